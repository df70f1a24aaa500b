//! Squatted sign-ups (issue 17, 1; contract §4): an address signed up again with another
//! password before it is verified is contested, and verifying it keeps no sign-up's password:
//! the answer says `password_reset_required`, a reset link goes to the address. A repeat of
//! the same password (a double submit) does not contest.

use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SQUATTER: &str = "the squatters password";
const OWNER: &str = "the owners own password";
const CHOSEN: &str = "chosen after verifying";
const COOLDOWN: Duration = Duration::from_secs(60);

async fn with_cooldown() -> TestApp {
    TestApp::spawn_with(|s| s.mail_cooldown = COOLDOWN).await
}

async fn json_of(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

/// Neither sign-up's password logs in (a wrong password is `invalid_credentials`, whatever the
/// account's state).
async fn no_password_works(app: &TestApp, email: &str) {
    for password in [SQUATTER, OWNER] {
        assert_problem(
            app.login(email, password).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
}

/// The reset link sent after the contested verification sets the owner's password.
async fn reset_by_the_mailed_link(app: &TestApp, email: &str) {
    let token = app.smtp.new_token(email, "reset-password").await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": token, "new_password": CHOSEN}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.login(email, CHOSEN).await.status(), StatusCode::OK);
    no_password_works(app, email).await;
}

/// The first scenario: the owner signs up inside the cooldown after a squatter. Her
/// inbox holds only the squatter's email; its link verifies the address but neither password.
#[tokio::test]
async fn an_owner_signing_up_inside_the_cooldown_contests_the_squatters_sign_up() {
    let app = with_cooldown().await;
    let email = "owner@example.com";
    let r = app.register_with(email, SQUATTER, Some("Squatter")).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let link = app.smtp.new_token(email, "verify-email").await;
    let r = app.register_with(email, OWNER, Some("Owner")).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "verification_sent"}),
        "answered as any sign-up"
    );
    app.sign_up_recorded(email).await;
    assert_eq!(app.outbox_to(email).await.len(), 1, "nothing more was sent");
    // Until it is verified, the account is the squatter's sign-up, as before.
    assert_problem(
        app.login(email, SQUATTER).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    let body = json_of(app.verify(&link).await).await;
    assert_eq!(
        body,
        json!({"status": "verified", "email": email, "password_reset_required": true})
    );
    no_password_works(&app, email).await;
    reset_by_the_mailed_link(&app, email).await;
    // The link is spent: using it again changes nothing.
    assert_problem(app.verify(&link).await, StatusCode::CONFLICT, "token_used").await;
    assert_eq!(app.login(email, CHOSEN).await.status(), StatusCode::OK);
    app.stop().await;
}

/// The second scenario: the owner signs up, the squatter signs up again 61 s later.
/// The owner's first link dies; the newest email (its code here) verifies the address and
/// neither password.
#[tokio::test]
async fn a_squatter_signing_up_after_the_cooldown_does_not_take_the_address() {
    let app = with_cooldown().await;
    let email = "later@example.com";
    app.register_with(email, OWNER, Some("Owner")).await;
    let first = app.smtp.new_token(email, "verify-email").await;
    app.advance(COOLDOWN + Duration::from_secs(1)).await;
    let r = app.register_with(email, SQUATTER, Some("Squatter")).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, code) = app.smtp.new_token_and_code(email, "verify-email").await;
    assert_problem(
        app.verify(&first).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.login(email, SQUATTER).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    let r = app
        .post(
            "/api/v1/email/verify",
            json!({"email": email, "code": code}),
        )
        .await;
    let body = json_of(r).await;
    assert_eq!(body["password_reset_required"], true, "{body}");
    assert_eq!(body["status"], "verified");
    no_password_works(&app, email).await;
    reset_by_the_mailed_link(&app, email).await;
    app.stop().await;
}

/// A double submit (two sign-ups with the same password, at once or one after the other)
/// contests nothing: the address verifies with its password, as a single sign-up would.
#[tokio::test]
async fn a_double_submit_does_not_contest_the_address() {
    // At once, inside the cooldown: one email, and its link verifies the password.
    let app = with_cooldown().await;
    let email = "twice@example.com";
    let (a, b) = tokio::join!(
        app.register_with(email, OWNER, Some("Owner")),
        app.register_with(email, OWNER, Some("Owner")),
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    let link = app.smtp.new_token(email, "verify-email").await;
    app.sign_up_recorded(email).await;
    let body = json_of(app.verify(&link).await).await;
    assert_eq!(body, json!({"status": "verified", "email": email}));
    assert_eq!(app.login(email, OWNER).await.status(), StatusCode::OK);
    app.stop().await;

    // One after the other with no cooldown: the second sends a new link, which verifies the
    // password; so does a third submit.
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        let r = app.register_with(email, OWNER, None).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        app.smtp.new_token(email, "verify-email").await;
    }
    let newest = app
        .smtp
        .latest(email)
        .await
        .token("verify-email")
        .expect("link");
    let body = json_of(app.verify(&newest).await).await;
    assert_eq!(body, json!({"status": "verified", "email": email}));
    assert_eq!(app.login(email, OWNER).await.status(), StatusCode::OK);
    assert!(
        app.smtp
            .messages_to(email)
            .iter()
            .all(|m| m.token("reset-password").is_none()),
        "no reset link was sent"
    );
    app.stop().await;
}

/// A repeat does not undo a contest: the squatter's sign-up, then the owner's twice.
#[tokio::test]
async fn a_contest_stays_when_a_password_is_repeated() {
    let app = TestApp::spawn().await;
    let email = "again@example.com";
    app.register_with(email, SQUATTER, None).await;
    app.smtp.new_token(email, "verify-email").await;
    for _ in 0..2 {
        app.register_with(email, OWNER, None).await;
        app.smtp.new_token(email, "verify-email").await;
    }
    let newest = app
        .smtp
        .latest(email)
        .await
        .token("verify-email")
        .expect("link");
    let body = json_of(app.verify(&newest).await).await;
    assert_eq!(body["password_reset_required"], true, "{body}");
    no_password_works(&app, email).await;
    app.stop().await;
}
