//! Emails in the recipient's language (contract §6), read at the SMTP listener: the words, the
//! `Content-Language` header, the HTML `lang` and `<title>`, durations in that language, the
//! product name, and whose language the email-change messages use.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

async fn sign_up(app: &TestApp, email: &str, locale: &str) {
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": email, "password": PASSWORD, "name": "Åsa", "locale": locale}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_verification_email_is_written_in_the_users_language() {
    let app = TestApp::spawn_with(|s| s.product_name = "Acme ID".into()).await;
    let cases = [
        (
            "de@example.com",
            "de",
            "Bestätige deine E-Mail-Adresse",
            "laufen in 24 Stunden ab",
        ),
        (
            "en@example.com",
            "en",
            "Confirm your email address",
            "expire in 24 hours",
        ),
        (
            "fr@example.com",
            "fr",
            "Confirmez votre adresse e-mail",
            "expirent dans 24 heures",
        ),
        (
            "es@example.com",
            "es-MX",
            "Confirma tu dirección de correo",
            "caducan en 24 horas",
        ),
        (
            "sv@example.com",
            "sv",
            "Bekräfta din e-postadress",
            "går ut om 24 timmar",
        ),
    ];
    for (email, locale, subject, expiry) in cases {
        sign_up(&app, email, locale).await;
        let mail = app.smtp.latest(email).await;
        let lang = &locale[..2];
        assert_eq!(mail.subject, subject, "{email}");
        assert_eq!(mail.header("Content-Language").as_deref(), Some(lang));
        assert!(mail.text.contains(expiry), "{email}: {}", mail.text);
        assert!(mail.text.contains("Acme ID"), "{email}: product name");
        assert!(
            mail.html.contains(&format!("<html lang=\"{lang}\"")),
            "{email}: html lang"
        );
        assert!(
            mail.html.contains(&format!("<title>{subject}</title>")),
            "{email}: title"
        );
        assert!(mail.html.contains("Acme ID"), "{email}: product name");
        assert!(mail.link("verify-email").is_some(), "{email}: link");
        assert!(mail.code().is_some(), "{email}: the code");
    }
}

#[tokio::test]
async fn email_change_mails_use_the_requesters_and_the_owners_languages() {
    let app = TestApp::spawn().await;
    sign_up(&app, "sven@example.com", "sv").await;
    let token = app.smtp.new_token("sven@example.com", "verify-email").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    sign_up(&app, "francine@example.com", "fr").await;
    let token = app
        .smtp
        .new_token("francine@example.com", "verify-email")
        .await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    let (access, _) = app.log_in("sven@example.com").await;

    // A free new address: its confirmation is in the requester's language (it has no account).
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            json!({"password": PASSWORD, "new_email": "sven.ny@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let to_new = app.smtp.latest("sven.ny@example.com").await;
    assert_eq!(to_new.header("Content-Language").as_deref(), Some("sv"));
    assert_eq!(to_new.subject, "Bekräfta din nya e-postadress");
    let to_old = app
        .smtp
        .with_subject("sven@example.com", "Godkänn bytet av din e-postadress")
        .await;
    assert_eq!(to_old.header("Content-Language").as_deref(), Some("sv"));

    // An address that belongs to someone else: its owner is told in their own language.
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            json!({"password": PASSWORD, "new_email": "francine@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let notice = app
        .smtp
        .with_subject(
            "francine@example.com",
            "Quelqu’un a essayé d’utiliser votre adresse e-mail",
        )
        .await;
    assert_eq!(notice.header("Content-Language").as_deref(), Some("fr"));
}
