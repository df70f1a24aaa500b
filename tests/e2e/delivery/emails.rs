//! What the emails are (contract §5, §6): headers, both parts, values escaped only where HTML
//! needs it, and templates an operator replaces from `LATCHKEY_TEMPLATES_DIR`.

use std::sync::Arc;

use crate::support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn emails_have_their_headers_and_escape_values_only_in_html() {
    let app = TestApp::spawn_with(|s| {
        s.mail_from = "Accounts Team <accounts@example.org>"
            .parse()
            .expect("from");
    })
    .await;
    let name = "Ann & <Bob>";
    app.register_with("headers@example.com", PASSWORD, Some(name))
        .await;
    app.register("other@example.com").await;
    let mail = app.smtp.latest("headers@example.com").await;
    let other = app.smtp.latest("other@example.com").await;

    assert_eq!(mail.mail_from, "accounts@example.org");
    let from = mail.header("From").expect("From");
    assert!(
        from.contains("Accounts Team") && from.contains("<accounts@example.org>"),
        "{from}"
    );
    assert!(mail.to.contains("headers@example.com"), "{}", mail.to);
    assert!(!mail.subject.trim().is_empty());
    let date = mail.header("Date").expect("Date");
    assert!(mailparse::dateparse(&date).is_ok(), "{date}");
    let id = mail.header("Message-ID").expect("Message-ID");
    assert!(
        id.starts_with('<') && id.ends_with('>') && id.contains('@'),
        "{id}"
    );
    // Under the sending domain, not the machine's host name.
    assert!(id.ends_with("@example.org>"), "{id}");
    assert_ne!(
        Some(id),
        other.header("Message-ID"),
        "each email has its own id"
    );
    // RFC 3834: auto-responders stay quiet.
    assert_eq!(
        mail.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );

    // The plain-text part has the name as typed; the HTML part has it escaped.
    assert!(mail.text.contains(name), "{}", mail.text);
    assert!(!mail.text.contains("&amp;") && !mail.text.contains("&lt;"));
    assert!(!mail.html.contains("<Bob>"), "{}", mail.html);
    assert!(mail.html.contains("&lt;Bob&gt;"), "{}", mail.html);
    app.stop().await;
}

#[tokio::test]
async fn templates_from_the_templates_dir_replace_the_built_in_ones() {
    let templates = tempfile::tempdir().expect("templates directory");
    std::fs::write(
        templates.path().join("verification.txt"),
        "Welcome aboard, {{ name }}\n\nCustom text. Confirm here: {{ link }}\n",
    )
    .expect("write");
    std::fs::write(
        templates.path().join("verification.mjml"),
        "<mj-text>Custom HTML for {{ name }}</mj-text>\n<mj-button href=\"{{ link }}\">Confirm</mj-button>\n",
    )
    .expect("write");
    let dir = templates.path().to_owned();
    let app = TestApp::spawn_with(|s| s.templates_dir = Some(dir)).await;
    app.register_with("custom@example.com", PASSWORD, Some("<i>Ann</i>"))
        .await;
    let mail = app.smtp.latest("custom@example.com").await;
    assert_eq!(mail.subject, "Welcome aboard, <i>Ann</i>");
    assert!(mail.text.contains("Custom text."), "{}", mail.text);
    assert!(
        mail.html.contains("Custom HTML for &lt;i&gt;Ann&lt;"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<i>Ann"), "{}", mail.html);
    let token = mail
        .token("verify-email")
        .expect("the link is in the custom text");
    assert!(mail.html.contains(&token), "the link is in the custom HTML");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);

    // Kinds without an override keep the built-in template.
    app.register("custom@example.com").await;
    let notice = app.smtp.nth("custom@example.com", 2).await;
    assert!(notice.text.contains("/forgot-password"), "{}", notice.text);
    app.stop().await;
}

#[tokio::test]
async fn a_broken_template_stops_start_up_naming_it() {
    let templates = tempfile::tempdir().expect("templates directory");
    std::fs::write(
        templates.path().join("already_registered.txt"),
        "Subject {{ name\n\nbody\n",
    )
    .expect("write");
    let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
    let smtp = SmtpServer::start().await;
    let mut settings = test_settings(dir.path().join("latchkey.db"), &smtp);
    settings.templates_dir = Some(templates.path().to_owned());
    let error = TestApp::try_start(settings, smtp, dir)
        .await
        .err()
        .expect("the application refuses to start");
    assert!(error.contains("already_registered.txt"), "{error}");
}

#[tokio::test]
async fn every_kind_carries_auto_submitted_and_a_message_id_of_the_sending_domain() {
    let app = TestApp::spawn_with(|s| {
        s.mail_from = "Latchkey <no-reply@mail.example.net>"
            .parse()
            .expect("from");
    })
    .await;
    // verification, already_registered, password_reset, password_changed
    let (access, _) = app.logged_in("kinds@example.com").await;
    app.register("kinds@example.com").await;
    app.post(
        "/api/v1/password/forgot",
        serde_json::json!({"email": "kinds@example.com"}),
    )
    .await;
    app.post_auth(
        "/api/v1/me/password",
        &access,
        serde_json::json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
    )
    .await;
    let mails = app
        .smtp
        .wait_for("kinds@example.com", 4, MAIL_TIMEOUT)
        .await;
    assert!(mails.len() >= 4, "{}", mails.len());
    for mail in &mails {
        let id = mail.header("Message-ID").unwrap_or_default();
        assert!(
            id.starts_with('<') && id.ends_with("@mail.example.net>"),
            "{}: {id}",
            mail.subject
        );
        assert_eq!(
            mail.header("Auto-Submitted").as_deref(),
            Some("auto-generated"),
            "{}",
            mail.subject
        );
    }
    app.stop().await;
}

/// Contract §12: the product name, the accent colour and the logo are in the HTML part; a logo
/// file is fetched by mail clients from the public URL, where the pages serve it.
#[tokio::test]
async fn a_branded_email_carries_the_logo_the_name_and_the_colour() {
    let logo = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>".to_vec();
    let app = TestApp::spawn_with(|s| {
        s.product_name = "Acme Cloud".into();
        s.branding = latchkey::configuration::Branding {
            color: Some("#aa0055".into()),
            logo: Some(latchkey::configuration::Logo::File {
                bytes: logo.clone(),
                content_type: "image/svg+xml",
                extension: "svg",
            }),
            pages_css: None,
        };
    })
    .await;
    app.register("branded@example.com").await;
    let mail = app.smtp.latest("branded@example.com").await;
    assert!(mail.html.contains("Acme Cloud"), "{}", mail.html);
    assert!(mail.text.contains("Acme Cloud"), "{}", mail.text);
    assert!(mail.html.contains("#aa0055"), "{}", mail.html);
    assert!(
        !mail.html.contains("#1f4fd1"),
        "the built-in blue is gone: {}",
        mail.html
    );
    let src = mail
        .html
        .split("src=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find(|u| u.contains("/assets/logo-"))
        .unwrap_or_else(|| panic!("a logo: {}", mail.html))
        .to_owned();
    // Absolute, under the public URL (the test settings' public URL is not the test port).
    let (origin, path) = src.split_at(src.find("/assets/").unwrap_or_default());
    assert!(origin.starts_with("http://localhost"), "{src}");
    let served = app.client.get(app.url(path)).send().await.expect("logo");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), logo);
    // The verification link still works in the branded email.
    let token = mail.token("verify-email").expect("link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}
