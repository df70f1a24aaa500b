//! Email templates: MJML compiled to HTML once at start (mrml), then filled per message by
//! minijinja with HTML escaping for the HTML part and none for the plain-text part. The words
//! come from the message catalogue (`crate::i18n`) through `t("key", …)` in the language of the
//! message's `locale`.
//!
//! Per kind there is `KIND.mjml` (the body, placed into `layout.mjml`) and `KIND.txt` (first line
//! the subject, then a blank line, then the plain-text body). A file of the same name in
//! `LATCHKEY_TEMPLATES_DIR/LANG/` replaces the built-in one for that language, and one in
//! `LATCHKEY_TEMPLATES_DIR/` for every language without its own.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use minijinja::{AutoEscape, Environment, Value, context};

use super::{EmailKind, RenderedEmail};
use crate::{
    error::BoxError,
    i18n::{Catalogue, LANGUAGES},
};

const LAYOUT: &str = "layout.mjml";
/// Where a kind's body goes in the layout.
const CONTENT_MARKER: &str = "%%CONTENT%%";

fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "layout.mjml" => include_str!("../../templates/email/layout.mjml"),
        "verification.mjml" => include_str!("../../templates/email/verification.mjml"),
        "verification.txt" => include_str!("../../templates/email/verification.txt"),
        "already_registered.mjml" => include_str!("../../templates/email/already_registered.mjml"),
        "already_registered.txt" => include_str!("../../templates/email/already_registered.txt"),
        "password_reset.mjml" => include_str!("../../templates/email/password_reset.mjml"),
        "password_reset.txt" => include_str!("../../templates/email/password_reset.txt"),
        "password_changed.mjml" => include_str!("../../templates/email/password_changed.mjml"),
        "password_changed.txt" => include_str!("../../templates/email/password_changed.txt"),
        "email_change_confirm_new.mjml" => {
            include_str!("../../templates/email/email_change_confirm_new.mjml")
        }
        "email_change_confirm_new.txt" => {
            include_str!("../../templates/email/email_change_confirm_new.txt")
        }
        "email_change_confirm_old.mjml" => {
            include_str!("../../templates/email/email_change_confirm_old.mjml")
        }
        "email_change_confirm_old.txt" => {
            include_str!("../../templates/email/email_change_confirm_old.txt")
        }
        "email_change_attempt.mjml" => {
            include_str!("../../templates/email/email_change_attempt.mjml")
        }
        "email_change_attempt.txt" => {
            include_str!("../../templates/email/email_change_attempt.txt")
        }
        "email_changed.mjml" => include_str!("../../templates/email/email_changed.mjml"),
        "email_changed.txt" => include_str!("../../templates/email/email_changed.txt"),
        "email_reverted.mjml" => include_str!("../../templates/email/email_reverted.mjml"),
        "email_reverted.txt" => include_str!("../../templates/email/email_reverted.txt"),
        "account_deleted.mjml" => include_str!("../../templates/email/account_deleted.mjml"),
        "account_deleted.txt" => include_str!("../../templates/email/account_deleted.txt"),
        "sign_in.mjml" => include_str!("../../templates/email/sign_in.mjml"),
        "sign_in.txt" => include_str!("../../templates/email/sign_in.txt"),
        "security_method_added.mjml" => {
            include_str!("../../templates/email/security_method_added.mjml")
        }
        "security_method_added.txt" => {
            include_str!("../../templates/email/security_method_added.txt")
        }
        "security_method_removed.mjml" => {
            include_str!("../../templates/email/security_method_removed.mjml")
        }
        "security_method_removed.txt" => {
            include_str!("../../templates/email/security_method_removed.txt")
        }
        _ => return None,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {source}")]
    Load {
        name: String,
        #[source]
        source: BoxError,
    },
    #[error("rendering {kind}: {source}")]
    Render {
        kind: EmailKind,
        #[source]
        source: BoxError,
    },
    #[error(transparent)]
    Catalogue(#[from] crate::i18n::CatalogueError),
}

pub struct Templates {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    /// The logo's absolute URL (contract §12), given to every template as `logo_url`.
    logo_url: Option<String>,
}

/// The branding emails take (contract §12): the accent colour replaces the built-in blue of
/// buttons and links, and a logo heads the message.
#[derive(Debug, Clone, Default)]
pub struct EmailBrand {
    /// `#rrggbb`, already checked by the configuration.
    pub color: Option<String>,
    /// An absolute URL: mail clients fetch it from wherever the message is read.
    pub logo_url: Option<String>,
}

/// The built-in accent colour of the email templates.
const BUILTIN_ACCENT: &str = "#1f4fd1";
/// Where the logo goes in the layout.
const LOGO_MARKER: &str = "%%LOGO%%";
/// The logo as MJML; its URL is filled (escaped) by minijinja like every other value.
const LOGO_MJML: &str = r#"<mj-image src="{{ logo_url }}" alt="{{ product }}" width="48px" align="left" padding="0 24px 8px 24px" />"#;

/// The source of a template for a language: the operator's per-language file, their file for
/// every language, or the built-in one.
fn source(overrides: Option<&Path>, lang: &str, name: &str) -> Result<String, TemplateError> {
    if let Some(dir) = overrides {
        for path in [dir.join(lang).join(name), dir.join(name)] {
            let path: PathBuf = path;
            if path.is_file() {
                return std::fs::read_to_string(&path).map_err(|e| TemplateError::Load {
                    name: path.display().to_string(),
                    source: e.into(),
                });
            }
        }
    }
    builtin(name)
        .map(str::to_owned)
        .ok_or_else(|| TemplateError::Load {
            name: name.into(),
            source: "no such template".into(),
        })
}

impl Templates {
    /// Loads the message catalogues and compiles every kind in every language; an override that
    /// does not parse stops start-up.
    pub fn load(product: &str, overrides: Option<&Path>) -> Result<Self, TemplateError> {
        Self::load_branded(product, overrides, &EmailBrand::default())
    }

    /// `load` with the operator's colour and logo.
    pub fn load_branded(
        product: &str,
        overrides: Option<&Path>,
        brand: &EmailBrand,
    ) -> Result<Self, TemplateError> {
        let accent = |mjml: String| match &brand.color {
            Some(c) => mjml.replace(BUILTIN_ACCENT, c),
            None => mjml,
        };
        let logo = if brand.logo_url.is_some() {
            LOGO_MJML
        } else {
            ""
        };
        let catalogue = Arc::new(Catalogue::load(product, overrides)?);
        let mut env = Environment::new();
        // Escaping is decided here for every template, not by minijinja's guess from the name.
        env.set_formatter(escape_html_text);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        catalogue.install(&mut env);
        for lang in LANGUAGES {
            let layout = accent(source(overrides, lang, LAYOUT)?).replace(LOGO_MARKER, logo);
            for kind in EmailKind::ALL {
                let mjml_name = format!("{kind}.mjml");
                let body = accent(source(overrides, lang, &mjml_name)?);
                let html =
                    compile_mjml(&layout.replace(CONTENT_MARKER, &body)).map_err(|source| {
                        TemplateError::Load {
                            name: format!("{lang}/{mjml_name}"),
                            source,
                        }
                    })?;
                let load_err = |name: String| {
                    move |e: minijinja::Error| TemplateError::Load {
                        name,
                        source: e.into(),
                    }
                };
                env.add_template_owned(format!("{lang}/{kind}.html"), html)
                    .map_err(load_err(format!("{lang}/{mjml_name}")))?;
                let txt_name = format!("{kind}.txt");
                let txt = source(overrides, lang, &txt_name)?;
                if !txt.contains("\n\n") {
                    return Err(TemplateError::Load {
                        name: format!("{lang}/{txt_name}"),
                        source: "needs a subject line, a blank line, then the body".into(),
                    });
                }
                env.add_template_owned(format!("{lang}/{txt_name}"), txt)
                    .map_err(load_err(format!("{lang}/{txt_name}")))?;
            }
        }
        Ok(Self {
            env,
            catalogue,
            logo_url: brand.logo_url.clone(),
        })
    }

    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    /// Renders one email in `lang` (English for a language there are no templates for).
    /// `values` are the message's own values (name, link, …); every one of them is escaped in
    /// the HTML part.
    pub fn render(
        &self,
        kind: EmailKind,
        lang: &str,
        values: &Value,
    ) -> Result<RenderedEmail, TemplateError> {
        let lang = if LANGUAGES.contains(&lang) {
            lang
        } else {
            "en"
        };
        let err = |e: minijinja::Error| TemplateError::Render {
            kind,
            source: e.into(),
        };
        let product = self.catalogue.product();
        let full_text = self
            .env
            .get_template(&format!("{lang}/{kind}.txt"))
            .and_then(|t| t.render(context! { locale => lang, product, logo_url => &self.logo_url, ..values.clone() }))
            .map_err(err)?;
        let (subject, text) = full_text
            .split_once("\n\n")
            .unwrap_or((full_text.as_str(), ""));
        // A subject is one line whatever the values held.
        let subject: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let html = self
            .env
            .get_template(&format!("{lang}/{kind}.html"))
            .and_then(|t| {
                t.render(
                    context! { locale => lang, product, logo_url => &self.logo_url, subject => &subject, ..values.clone() },
                )
            })
            .map_err(err)?;
        Ok(RenderedEmail {
            subject,
            html,
            text: text.trim_start_matches('\n').to_owned(),
            language: lang.to_owned(),
        })
    }
}

/// HTML-escapes string values the way MarkupSafe does (`& < > " '`). minijinja's own escaper
/// also writes `/` as `&#x2f;`, which leaves no link in the HTML as it appears in the text part.
pub fn escape_html_text(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn compile_mjml(source: &str) -> Result<String, BoxError> {
    let parsed = mrml::parse(source)?;
    Ok(parsed
        .element
        .render(&mrml::prelude::render::RenderOptions::default())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> Templates {
        match Templates::load("Acme", None) {
            Ok(t) => t,
            Err(e) => panic!("built-in templates must load: {e}"),
        }
    }

    fn sample() -> Value {
        context! {
            name => "Ann", email => "ann@example.com", link => "https://x.test/l?token=TOKEN123",
            expires_in => "in 24 hours", new_email => "new@example.com", old_email => "old@example.com",
            login_url => "https://x.test/login", forgot_url => "https://x.test/forgot-password",
            register_url => "https://x.test/register",
            code => "123456", method => "totp", account_url => "https://x.test/account",
        }
    }

    #[test]
    fn every_kind_renders_in_every_language_with_its_link_in_both_parts() {
        let t = templates();
        for lang in LANGUAGES {
            for kind in EmailKind::ALL {
                let email = t
                    .render(kind, lang, &sample())
                    .unwrap_or_else(|e| panic!("{lang} {kind}: {e}"));
                assert!(
                    !email.subject.is_empty() && !email.subject.contains('\n'),
                    "{kind} subject"
                );
                assert_eq!(email.language, lang);
                assert!(
                    email.html.contains(&format!("<html lang=\"{lang}\"")),
                    "{lang} {kind}: html lang"
                );
                let title = format!("<title>{}</title>", email.subject.replace('\'', "&#39;"));
                assert!(email.html.contains(&title), "{lang} {kind}: title");
                assert!(email.html.contains("Acme"), "{lang} {kind}: product name");
                assert!(email.text.contains("Acme"), "{lang} {kind}: product name");
                assert!(!email.text.contains("{{"), "{lang} {kind}: unfilled");
                if email.text.contains("TOKEN123") {
                    assert!(
                        email
                            .html
                            .contains("href=\"https://x.test/l?token=TOKEN123\""),
                        "{lang} {kind}: link in text but not html"
                    );
                }
                // Every built-in message the template uses exists: the English fallback for a
                // missing key would show the key itself.
                for part in [&email.html, &email.text] {
                    assert!(
                        !part.contains(&format!("{kind}-")),
                        "{lang} {kind}: a message key is shown"
                    );
                }
            }
        }
    }

    #[test]
    fn verification_and_reset_show_their_code_in_both_parts() {
        let t = templates();
        for kind in [EmailKind::Verification, EmailKind::PasswordReset] {
            let values = context! {
                email => "ann@example.com", link => "https://x.test/l?token=T",
                expires_in => "1 hour", code => "012345",
            };
            let email = t
                .render(kind, "en", &values)
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(
                email.text.lines().any(|l| l.trim() == "012345"),
                "{kind}: the code on a line of its own, leading zero kept: {}",
                email.text
            );
            assert!(
                email.html.contains(">012345</div>"),
                "{kind}: {}",
                email.html
            );
            assert!(email.html.contains("font-size:32px"), "{kind}: large type");
            // Without a code (an override, or a message queued before codes existed) the
            // email reads as before.
            let values = context! {
                email => "ann@example.com", link => "https://x.test/l?token=T", expires_in => "1 hour",
            };
            let email = t
                .render(kind, "en", &values)
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            // (The verification email still says that newer sign-ups stop earlier codes.)
            assert!(
                !email.text.contains("enter this code") && !email.text.contains("and the code"),
                "{kind}: {}",
                email.text
            );
            assert!(!email.html.contains("font-size:32px"), "{kind}");
        }
    }

    #[test]
    fn the_language_changes_the_words_and_the_expiry() {
        let t = templates();
        let values = context! { name => "Ann", email => "a@b.co", link => "L", expires_in => "in 24 Stunden" };
        let email = t
            .render(EmailKind::Verification, "de", &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(email.subject, "Bestätige deine E-Mail-Adresse");
        assert!(
            email.text.contains("läuft in 24 Stunden ab"),
            "{}",
            email.text
        );
        assert!(email.text.starts_with("Hallo Ann,"));
        let unknown = t
            .render(EmailKind::Verification, "xx", &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unknown.language, "en");
    }

    #[test]
    fn values_cannot_inject_markup() {
        let t = templates();
        let values = context! { name => "<script>alert(1)</script>", email => "a@b.co", link => "https://x.test/?token=t", expires_in => "in 1 hour" };
        let email = t
            .render(EmailKind::Verification, "en", &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!email.html.contains("<script>alert(1)"));
        assert!(email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(
            email.html.contains("href=\"https://x.test/?token=t\""),
            "links stay readable"
        );
        // The plain-text part is not HTML: it shows the name as typed.
        assert!(email.text.contains("<script>alert(1)</script>"));
    }

    #[test]
    fn overrides_replace_builtins_per_language_and_bad_ones_stop_start() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("verification.txt"),
            "Custom subject {{ name }}\n\nCustom body {{ link }}\n",
        )?;
        std::fs::create_dir(dir.path().join("sv"))?;
        std::fs::write(
            dir.path().join("sv/verification.txt"),
            "Svenskt ämne {{ name }}\n\nEgen text {{ link }}\n",
        )?;
        let t = Templates::load("Acme", Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let values = context! { name => "Bo", link => "L" };
        let email = t
            .render(EmailKind::Verification, "en", &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(email.subject, "Custom subject Bo");
        assert_eq!(email.text, "Custom body L\n");
        let swedish = t
            .render(EmailKind::Verification, "sv", &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(swedish.subject, "Svenskt ämne Bo");

        std::fs::write(
            dir.path().join("password_reset.mjml"),
            "<mj-section><mj-column>",
        )?;
        assert!(Templates::load("Acme", Some(dir.path())).is_err());
        Ok(())
    }
}
