//! Sign-in by email (contract §11): a link and a 6-digit code in a `sign_in` email sign in
//! without the password, verify an unverified address, and lead to the second-factor step
//! when the account has one.

use reqwest::{Response, StatusCode};
use serde_json::json;

use super::second_factor::{amr_of, totp, with_app};
use crate::support::*;

async fn ask(app: &TestApp, email: &str) {
    let r = app
        .post("/api/v1/login/email", json!({"email": email}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body, json!({"status": "sign_in_sent"}));
}

async fn confirm(app: &TestApp, body: serde_json::Value) -> Response {
    app.post("/api/v1/login/email/confirm", body).await
}

#[tokio::test]
async fn the_link_signs_in_once_and_the_code_too() {
    let app = TestApp::spawn().await;
    let email = "link@example.com";
    app.verified_user(email).await;
    ask(&app, email).await;
    let mail = app.smtp.with_subject(email, "sign-in link").await;
    assert!(mail.html.contains("/sign-in?token="));
    let (token, code) = app.smtp.new_token_and_code(email, "sign-in").await;
    let r = confirm(&app, json!({"token": token})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["email"]);
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    // Using the link used the code.
    assert_problem(
        confirm(&app, json!({"token": token})).await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    assert_problem(
        confirm(&app, json!({"email": email, "code": code})).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;

    ask(&app, email).await;
    let (_, code) = app.smtp.new_token_and_code(email, "sign-in").await;
    assert_problem(
        confirm(&app, json!({"email": "nobody@example.com", "code": code})).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;
    let r = confirm(&app, json!({"email": email.to_uppercase(), "code": code})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_problem(
        confirm(&app, json!({"token": "not a token"})).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_email() {
    let app = TestApp::spawn().await;
    app.verified_user("known@example.com").await;
    ask(&app, "unknown@example.com").await;
    ask(&app, "known@example.com").await;
    app.smtp
        .with_subject("known@example.com", "sign-in link")
        .await;
    assert!(app.smtp.messages_to("unknown@example.com").is_empty());
    let r = app
        .post("/api/v1/login/email", json!({"email": "no at sign"}))
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
    app.stop().await;
}

#[tokio::test]
async fn five_wrong_codes_end_the_code_and_the_mail_cooldown_holds() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = std::time::Duration::from_secs(60)).await;
    let email = "cool@example.com";
    app.verified_user(email).await;
    ask(&app, email).await;
    let (_, code) = app.smtp.new_token_and_code(email, "sign-in").await;
    // Within the cooldown a second request sends nothing.
    ask(&app, email).await;
    let wrong = format!(
        "{:06}",
        (code.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    for _ in 0..5 {
        assert_problem(
            confirm(&app, json!({"email": email, "code": wrong})).await,
            StatusCode::BAD_REQUEST,
            "code_invalid",
        )
        .await;
    }
    assert_problem(
        confirm(&app, json!({"email": email, "code": code})).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;
    let sign_ins = app
        .smtp
        .messages_to(email)
        .into_iter()
        .filter(|m| m.subject.contains("sign-in link"))
        .count();
    assert_eq!(sign_ins, 1);
    app.stop().await;
}

#[tokio::test]
async fn signing_in_verifies_an_unverified_address() {
    let app = TestApp::spawn().await;
    let email = "fresh@example.com";
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    app.smtp.new_token(email, "verify-email").await;
    assert_problem(
        app.login(email, PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    ask(&app, email).await;
    let token = app.smtp.new_token(email, "sign-in").await;
    let r = confirm(&app, json!({"token": token})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_second_factor_is_still_asked_for() {
    let app = TestApp::spawn().await;
    let email = "both@example.com";
    let (access, _) = app.logged_in(email).await;
    let (secret, _) = with_app(&app, &access).await;
    ask(&app, email).await;
    let token = app.smtp.new_token(email, "sign-in").await;
    let problem = assert_problem(
        confirm(&app, json!({"token": token})).await,
        StatusCode::UNAUTHORIZED,
        "mfa_required",
    )
    .await;
    let r = app
        .post(
            "/api/v1/login/mfa",
            json!({"mfa_token": str_of(&problem, "mfa_token"), "code": totp(&secret, 1)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["email", "otp"]);
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_account_is_refused_and_the_feature_can_be_off() {
    let app = TestApp::spawn().await;
    let email = "off@example.com";
    app.verified_user(email).await;
    ask(&app, email).await;
    let token = app.smtp.new_token(email, "sign-in").await;
    app.sql_for(
        "UPDATE users SET disabled = TRUE WHERE email_norm = $1",
        email,
    )
    .await;
    assert_problem(
        confirm(&app, json!({"token": token})).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;
    app.stop().await;

    let off = TestApp::spawn_with(|s| s.sign_in_by_email = false).await;
    let r = off
        .post("/api/v1/login/email", json!({"email": email}))
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = confirm(&off, json!({"token": "x".repeat(43)})).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    off.stop().await;
}
