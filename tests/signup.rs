//! Sign-up and email verification over HTTP and real SMTP (contract §3, §4, §5, §6).

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_up_verify_and_log_in() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": "  Ann@Example.COM ", "password": PASSWORD, "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json"),
        json!({"status": "verification_sent"})
    );

    let mail = app.smtp.latest("Ann@Example.COM").await;
    assert_eq!(mail.content_type, "multipart/alternative");
    for header in ["From", "To", "Subject", "Date", "Message-ID"] {
        assert!(mail.header(header).is_some(), "{header} missing");
    }
    let link = mail.link("verify-email").expect("link in text part");
    assert!(
        link.starts_with("http://localhost:8080/verify-email?token="),
        "{link}"
    );
    assert!(
        mail.html.contains(&link),
        "the same link is in the HTML part"
    );

    // Not verified yet: the right password hears so, a wrong one does not.
    assert_problem(
        app.login("ann@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    assert_problem(
        app.login("ann@example.com", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    let token = mail.token("verify-email").expect("token");
    let r = app
        .post("/api/v1/email/verify", json!({"token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json"),
        json!({"status": "verified", "email": "Ann@Example.COM"})
    );

    let r = app.login("ANN@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: serde_json::Value = r.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let me: serde_json::Value = app
        .get_auth("/api/v1/me", &str_of(&tokens, "access_token"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "Ann@Example.COM");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["pending_email"], serde_json::Value::Null);

    // Used once; a second use is 409.
    assert_problem(
        app.post("/api/v1/email/verify", json!({"token": token}))
            .await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    app.stop().await;
    let _ = Duration::ZERO;
}
