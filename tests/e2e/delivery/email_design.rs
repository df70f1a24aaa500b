//! What every email's HTML part must have (issue 10): each button's link also as text below it,
//! the code in large type where there is one, the product name, the reason the person got it,
//! text colours with at least 4.5:1 contrast (WCAG AA) on the backgrounds they sit on, and a
//! size well under Gmail's 102 KB clipping point. Every kind in every language, rendered as the
//! worker renders it (`latchkey mail preview` shows the same).

use latchkey::{
    Settings,
    cli::mail::{sample, sample_values},
    i18n::LANGUAGES,
    mail::{EmailKind, RenderedEmail, templates::Templates},
};

/// Gmail clips a message's HTML at 102 KB; we stay far below.
const MAX_HTML_BYTES: usize = 40 * 1024;

fn every_email() -> Vec<(EmailKind, &'static str, RenderedEmail)> {
    let mut settings = Settings::defaults();
    settings.product_name = "Acme ID".into();
    settings.link_base_url = "https://accounts.acme-id.com/".parse().expect("base url");
    let templates = Templates::load(&settings.product_name, None).expect("templates");
    let mut all = Vec::new();
    for lang in LANGUAGES {
        for kind in EmailKind::ALL {
            let email = sample(&settings, &templates, kind, lang)
                .unwrap_or_else(|e| panic!("{kind} ({lang}): {e}"));
            all.push((kind, lang, email));
        }
    }
    all
}

/// The `href`s of the `<a …>` tags whose style matches `button`.
fn hrefs(html: &str, button: bool) -> Vec<String> {
    html.split("<a ")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            let is_button = tag.contains("display:inline-block");
            let href = tag.split("href=\"").nth(1)?.split('"').next()?;
            (is_button == button).then(|| href.to_owned())
        })
        .collect()
}

#[test]
fn every_button_has_its_link_as_text_below_it() {
    for (kind, lang, email) in every_email() {
        let buttons = hrefs(&email.html, true);
        assert!(!buttons.is_empty(), "{kind} ({lang}) has a button");
        let html = &email.html;
        for href in buttons {
            let button_at = html.find(&format!("href=\"{href}\"")).expect("button");
            let text = format!(">{href}</a>");
            let text_at = html[button_at..].find(&text).unwrap_or_else(|| {
                panic!("{kind} ({lang}): {href} is not written out below its button")
            });
            // Below it, not somewhere at the end: nothing but one text block in between.
            assert!(
                text_at < 2_000,
                "{kind} ({lang}): {href} is written far from its button"
            );
            assert!(
                email.text.contains(&href),
                "{kind} ({lang}): {href} is not in the plain-text part"
            );
        }
    }
}

#[test]
fn the_code_is_in_large_type_where_there_is_one() {
    let settings = Settings::defaults();
    for (kind, lang, email) in every_email() {
        let code = sample_values(&settings, kind)
            .code()
            .map(|c| c.as_str().to_owned());
        let has_code = matches!(
            kind,
            EmailKind::Verification | EmailKind::PasswordReset | EmailKind::SignIn
        );
        assert_eq!(code.is_some(), has_code, "{kind}: a sample code");
        let Some(code) = code else { continue };
        assert!(
            email.text.contains(&code),
            "{kind} ({lang}): code in the text part"
        );
        // The code is the whole content of its element, whose style sets a large font.
        let at = email
            .html
            .find(&format!(">{code}<"))
            .unwrap_or_else(|| panic!("{kind} ({lang}): the code is not an element of its own"));
        let style = &email.html[..at];
        let size: f64 = style
            .rfind("font-size:")
            .and_then(|i| style[i + "font-size:".len()..].split("px").next())
            .and_then(|px| px.trim().parse().ok())
            .unwrap_or_else(|| panic!("{kind} ({lang}): no font size for the code"));
        assert!(size >= 28.0, "{kind} ({lang}): the code is {size}px");
    }
}

#[test]
fn every_email_names_the_product_and_why_it_was_sent() {
    for (kind, lang, email) in every_email() {
        for part in [&email.html, &email.text] {
            assert!(part.contains("Acme ID"), "{kind} ({lang}): product name");
            // The footer: "You got this email because someone used ann@example.com with …".
            assert!(
                part.contains("ann@example.com"),
                "{kind} ({lang}): the address it is about"
            );
        }
        assert!(
            !email.html.contains("display:none"),
            "{kind} ({lang}): hidden text (spam filters hold it against an email)"
        );
    }
}

#[test]
fn the_html_stays_far_below_the_size_where_gmail_clips() {
    for (kind, lang, email) in every_email() {
        assert!(
            email.html.len() < MAX_HTML_BYTES,
            "{kind} ({lang}): {} bytes",
            email.html.len()
        );
    }
}

/// WCAG 2 relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour")) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn contrast_is_computed_as_wcag_says() {
    assert!((contrast("000000", "ffffff") - 21.0).abs() < 1e-9);
    assert!((contrast("777777", "ffffff") - 4.48).abs() < 0.01);
}

#[test]
fn text_colours_have_aa_contrast_on_every_background() {
    for (kind, lang, email) in every_email() {
        let html = &email.html;
        let colours = |prefix: &str| -> Vec<String> {
            let mut found: Vec<String> = html
                .match_indices(prefix)
                .filter(|(at, _)| !html[..*at].ends_with('-'))
                .filter_map(|(at, _)| html.get(at + prefix.len()..at + prefix.len() + 6))
                .map(str::to_lowercase)
                .collect();
            found.sort();
            found.dedup();
            found
        };
        let text = colours("color:#");
        let mut backgrounds = colours("background-color:#");
        backgrounds.extend(colours("background:#"));
        let button = "1f4fd1";
        for fg in &text {
            // White is the button's label, on the button; every other colour is text on the
            // page or the card.
            let on: Vec<&String> = if fg == "ffffff" {
                backgrounds.iter().filter(|b| *b == button).collect()
            } else {
                backgrounds
                    .iter()
                    .filter(|b| *b != button && *b != fg)
                    .collect()
            };
            assert!(!on.is_empty(), "{kind} ({lang}): #{fg} is on no background");
            for bg in on {
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{kind} ({lang}): #{fg} on #{bg} is {ratio:.2}:1, under 4.5:1"
                );
            }
        }
    }
}
