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
