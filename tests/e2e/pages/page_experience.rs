//! What a person meets on the pages (contract §8): their language, the headers every page
//! sends, the stylesheet and favicon, pages for refused and rate-limited forms, errors beside
//! their fields, and the weight of each page.

use std::time::Duration;

use crate::support::*;
use latchkey::configuration::Quota;
use reqwest::{StatusCode, header};

async fn html(app: &TestApp, path: &str, accept_language: &str) -> (StatusCode, String) {
    let r = app
        .client
        .get(app.url(path))
        .header(header::ACCEPT_LANGUAGE, accept_language)
        .send()
        .await
        .expect("request");
    (r.status(), r.text().await.expect("html"))
}

#[tokio::test]
async fn pages_speak_the_browsers_language_and_name_the_product() {
    let app = TestApp::spawn_with(|s| s.product_name = "Acme ID".into()).await;
    let cases = [
        ("de-AT,de;q=0.9", "de", "Bei Acme ID anmelden"),
        ("fr", "fr", "Se connecter à Acme ID"),
        ("es-ES", "es", "Inicia sesión en Acme ID"),
        ("sv", "sv", "Logga in på Acme ID"),
        ("pt-BR", "en", "Sign in to Acme ID"),
    ];
    for (accept, lang, title) in cases {
        let (status, page) = html(&app, "/login", accept).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
        assert!(
            page.contains(&format!("<h1>{title}</h1>")),
            "{accept}: {page}"
        );
    }
}

#[tokio::test]
async fn the_language_links_remember_a_choice_and_go_back_only_to_this_site() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let r = client
        .get(app.url("/language?set=sv&next=%2Fregister"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/register");
    let cookie = r.headers()[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("latchkey_lang=sv;"), "{cookie}");
    let page = client
        .get(app.url("/register"))
        .header(header::COOKIE, "latchkey_lang=sv")
        .header(header::ACCEPT_LANGUAGE, "de")
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(page.contains("<html lang=\"sv\">") && page.contains("Skapa ditt Latchkey-konto"));

    for next in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        let r = client
            .get(app.url(&format!("/language?set=de&next={next}")))
            .send()
            .await
            .expect("request");
        assert_eq!(r.headers()[header::LOCATION], "/", "{next}");
    }
}

#[tokio::test]
async fn every_page_sends_a_strict_policy_and_stays_light() {
    let app = TestApp::spawn().await;
    let (_, login) = html(&app, "/login", "en").await;
    let css_path = login
        .split("href=\"")
        .find_map(|s| s.strip_suffix_once_css())
        .expect("a stylesheet link");
    let css = app
        .client
        .get(app.url(&css_path))
        .send()
        .await
        .expect("request");
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(
        css.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.headers()[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/css"))
    );
    let css_len = css.bytes().await.expect("css").len();

    for path in pages::SIGNED_OUT {
        let r = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        let body = r.text().await.expect("html");
        // Scripts are files of ours, never inline: the pages' own (show-password, on every
        // page) and the passkey calls (on /login).
        assert_eq!(
            body.matches("<script").count(),
            body.matches("<script src=\"/assets/passkeys-").count()
                + body.matches("<script src=\"/assets/pages-").count(),
            "{path}"
        );
        assert_eq!(
            body.matches("<script src=\"/assets/pages-").count(),
            1,
            "{path}"
        );
        assert!(!body.contains("style="), "{path}");
        assert_eq!(body.matches("<h1").count(), 1, "{path}: one h1");
        let weight = body.len() + css_len;
        assert!(
            weight < 20 * 1024,
            "{path} weighs {weight} bytes with its CSS"
        );
    }

    let favicon = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .expect("request");
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(favicon.headers()[header::CONTENT_TYPE], "image/x-icon");
}

/// The account page with everything on it: the profile form, an email change waiting for its
/// confirmations, two sessions, two passkeys, the password and delete forms; in every
/// language, it stays under 20 KB with its stylesheet and script.
#[tokio::test]
async fn the_full_account_page_stays_light_in_every_language() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    app.verified_user("heavy@example.com").await;
    let r = client
        .post(app.url("/login"))
        .form(&[("email", "heavy@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    let jar = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter(|c| !c.starts_with("latchkey_lang="))
        .collect::<Vec<_>>()
        .join("; ");
    let post = |path: &'static str, form: Vec<(&'static str, &'static str)>| {
        client
            .post(app.url(path))
            .header(header::COOKIE, jar.clone())
            .form(&form)
            .send()
    };
    let r = post(
        "/account/email",
        vec![
            ("new_email", "heavy.new@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await
    .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = app.log_in("heavy@example.com").await;
    // Two passkeys, listed with their rename and remove forms.
    for name in ["Alexandra's laptop", "Alexandra's phone"] {
        let options: serde_json::Value = app
            .post_auth(
                "/api/v1/me/passkeys/options",
                &access,
                serde_json::json!({"password": PASSWORD}),
            )
            .await
            .json()
            .await
            .expect("options");
        let (_, credential) = crate::support::passkey::SoftPasskey::register(
            &options["publicKey"],
            "http://localhost:8080",
        );
        let r = app
            .post_auth(
                "/api/v1/me/passkeys",
                &access,
                serde_json::json!({"challenge_id": options["challenge_id"], "credential": credential, "name": name}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    let (_, login) = html(&app, "/login", "en").await;
    let css_path = login
        .split("href=\"")
        .find_map(|s| s.strip_suffix_once_css())
        .expect("a stylesheet link");
    let css_len = app
        .client
        .get(app.url(&css_path))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("css")
        .len();
    let mut heaviest = 0;
    for lang in ["en", "de", "fr", "es", "sv"] {
        let r = post(
            "/account/profile",
            vec![("name", "Alexandra Example-Name"), ("locale", lang)],
        )
        .await
        .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        let r = client
            .get(app.url("/account"))
            .header(header::COOKIE, jar.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.expect("html");
        for part in [
            "id=\"profile\"",
            "class=\"pending\"",
            "action=\"/account/sessions/revoke\"",
            "id=\"password\"",
            "id=\"delete\"",
            "id=\"passkey-add\"",
            "action=\"/account/passkeys/remove\"",
            &format!("<html lang=\"{lang}\">"),
        ] {
            assert!(body.contains(part), "[{lang}] {part}");
        }
        assert_eq!(body.matches("<h1").count(), 1, "[{lang}] one h1");
        // With the passkey script it loads.
        let script = body
            .split("<script src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the passkey script");
        let script_len = app
            .client
            .get(app.url(script))
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("script")
            .len();
        let weight = body.len() + css_len + script_len;
        eprintln!(
            "/account [{lang}]: {} B HTML + {css_len} B CSS + {script_len} B script = {weight} B",
            body.len()
        );
        heaviest = heaviest.max(weight);
    }
    assert!(
        heaviest < 20 * 1024,
        "the account page weighs {heaviest} bytes with its CSS"
    );
    app.stop().await;
}

trait CssLink {
    fn strip_suffix_once_css(&self) -> Option<String>;
}

impl CssLink for &str {
    fn strip_suffix_once_css(&self) -> Option<String> {
        let end = self.find('"')?;
        let href = &self[..end];
        (href.starts_with("/assets/") && href.ends_with(".css")).then(|| href.to_owned())
    }
}

#[tokio::test]
async fn the_root_sends_people_to_log_in_or_their_account() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let r = client.get(app.url("/")).send().await.expect("request");
    assert_eq!(r.headers()[header::LOCATION], "/login");
    let r = client
        .get(app.url("/"))
        .header(header::COOKIE, "latchkey_refresh=something")
        .send()
        .await
        .expect("request");
    assert_eq!(r.headers()[header::LOCATION], "/account");
}

#[tokio::test]
async fn a_cross_site_form_gets_a_page_that_says_what_happened() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url("/forgot-password"))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCEPT_LANGUAGE, "de")
        .form(&[("email", "ann@example.com")])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/html"))
    );
    let page = r.text().await.expect("html");
    assert!(
        page.contains("Dieses Formular kam von einer anderen Website"),
        "{page}"
    );
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn a_rate_limited_form_gets_a_page_that_says_when_to_try_again() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = true;
        s.rate_limits.email = Quota {
            limit: 1,
            window: Duration::from_secs(60),
        };
    })
    .await;
    let post = || {
        app.client
            .post(app.url("/forgot-password"))
            .header(header::ACCEPT_LANGUAGE, "fr")
            .form(&[("email", "ann@example.com")])
            .send()
    };
    assert_eq!(post().await.expect("request").status(), StatusCode::OK);
    let r = post().await.expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    let page = r.text().await.expect("html");
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Trop de tentatives"));
    assert!(page.contains("Réessayez dans"), "{page}");
}

#[tokio::test]
async fn a_weak_password_on_the_reset_page_keeps_the_form_and_the_link() {
    let app = TestApp::spawn().await;
    app.verified_user("weak@example.com").await;
    assert_eq!(
        app.post(
            "/api/v1/password/forgot",
            serde_json::json!({"email": "weak@example.com"})
        )
        .await
        .status(),
        StatusCode::ACCEPTED
    );
    let token = app
        .smtp
        .new_token("weak@example.com", "reset-password")
        .await;
    let r = app
        .client
        .post(app.url("/reset-password"))
        .form(&[("token", token.as_str()), ("new_password", "password")])
        .send()
        .await
        .expect("request");
    let page = r.text().await.expect("html");
    assert!(page.contains("This password is too common"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(
        page.contains("aria-describedby=\"link-new-password-error link-new-password-hint\""),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"{token}\"")),
        "the form keeps its link"
    );
    // The link still works.
    let r = app
        .client
        .post(app.url("/reset-password"))
        .form(&[
            ("token", token.as_str()),
            ("new_password", "a much better secret"),
        ])
        .send()
        .await
        .expect("request");
    assert!(r.text().await.expect("html").contains("Password changed"));
}

#[tokio::test]
async fn an_unverified_log_in_links_to_a_new_confirmation_link() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("late@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "late@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    let page = r.text().await.expect("html");
    assert!(page.contains("<a href=\"/resend-verification\">"), "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("aria-describedby=\"login-error\""), "{page}");
}
