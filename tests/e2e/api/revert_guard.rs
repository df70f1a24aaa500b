//! The revert link of an email change against an attacker who knows the password (contract §4,
//! issue 9): the old address stays reserved for the account while the link lives, the link
//! survives later changes of the address and of the password, and the "someone tried to use
//! your address" notice goes to the owner's stored address.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn change_to(app: &TestApp, access: &str, password: &str, new_email: &str) {
    let r = app
        .post_auth(
            "/api/v1/me/email",
            access,
            json!({"password": password, "new_email": new_email}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

/// Requests and confirms (from the new address) a change; confirm-old is off in these tests.
async fn move_to(app: &TestApp, access: &str, password: &str, new_email: &str) {
    change_to(app, access, password, new_email).await;
    let token = app.smtp.new_token(new_email, "confirm-email-change").await;
    let r = app
        .post("/api/v1/email/change/confirm", json!({"token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn revert(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/email/change/revert", json!({"token": token}))
        .await
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.email_change_confirm_old = false).await
}

#[tokio::test]
async fn a_squatter_cannot_block_the_revert_by_signing_up_the_old_address() {
    let app = spawn().await;
    let (stolen, _) = app.logged_in("victim@example.com").await;
    move_to(&app, &stolen, PASSWORD, "x1@evil.example").await;
    let revert_token = app
        .smtp
        .new_token("victim@example.com", "revert-email-change")
        .await;
    let before = app.smtp.messages_to("victim@example.com").len();

    // The attacker signs the old address up (no mailbox needed): same answer, nothing made,
    // and the address hears "already registered".
    let users = app.user_count().await;
    let r = app
        .register_with("VICTIM@example.com", "squatters password", None)
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body, json!({"status": "verification_sent"}));
    assert_eq!(app.user_count().await, users);
    let mails = app
        .smtp
        .wait_for("victim@example.com", before + 1, MAIL_TIMEOUT)
        .await;
    let notice = mails.last().expect("a notice");
    assert!(
        notice.link("verify-email").is_none(),
        "no verification link for a reserved address: {}",
        notice.text
    );
    assert!(
        app.outbox_to("victim@example.com")
            .await
            .iter()
            .any(|m| m.kind == "already_registered")
    );
    assert_problem(
        app.login("victim@example.com", "squatters password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    // Another account cannot change to it either: the change never applies.
    let (other, _) = app.logged_in("other@example.com").await;
    change_to(&app, &other, PASSWORD, "victim@example.com").await;
    let attempt = app.smtp.with_subject("victim@example.com", "").await;
    assert!(attempt.link("confirm-email-change").is_none());
    assert!(
        app.outbox_to("victim@example.com")
            .await
            .iter()
            .any(|m| m.kind == "email_change_attempt")
    );

    // The victim reverts.
    let r = revert(&app, &revert_token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "reverted", "email": "victim@example.com"})
    );
    app.stop().await;
}

#[tokio::test]
async fn a_change_requested_before_the_address_was_reserved_cannot_take_it() {
    let app = spawn().await;
    let (early, _) = app.logged_in("early@example.com").await;
    // Requested while the address was free: a confirmation link goes out.
    change_to(&app, &early, PASSWORD, "later@example.com").await;
    let confirm_token = app
        .smtp
        .new_token("later@example.com", "confirm-email-change")
        .await;
    // Meanwhile the address gets an account, which then moves away (so it is reserved).
    let (owner, _) = app.logged_in("later@example.com").await;
    move_to(&app, &owner, PASSWORD, "moved-on@example.com").await;
    let r = app
        .post(
            "/api/v1/email/change/confirm",
            json!({"token": confirm_token}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "email_taken").await;
    let me: Value = app
        .get_auth("/api/v1/me", &early)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "early@example.com");
    app.stop().await;
}

#[tokio::test]
async fn a_revert_link_survives_two_later_changes_and_a_password_change() {
    let app = spawn().await;
    let (stolen, stolen_refresh) = app.logged_in("owner2@example.com").await;
    move_to(&app, &stolen, PASSWORD, "x1@evil.example").await;
    let first_revert = app
        .smtp
        .new_token("owner2@example.com", "revert-email-change")
        .await;
    move_to(&app, &stolen, PASSWORD, "x2@evil.example").await;
    let second_revert = app
        .smtp
        .new_token("x1@evil.example", "revert-email-change")
        .await;
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &stolen,
            json!({"current_password": PASSWORD, "new_password": "the attackers own secret"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (attacker_access, _) = tokens_of(
        app.login("x2@evil.example", "the attackers own secret")
            .await,
    )
    .await;

    // The owner reverts with the first link: V is back, every session ends, V gets a reset link.
    let r = revert(&app, &first_revert).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "reverted", "email": "owner2@example.com"})
    );
    for access in [&stolen, &attacker_access] {
        assert_eq!(app.me_status(access).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.refresh(&stolen_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let reset = app
        .smtp
        .new_token("owner2@example.com", "reset-password")
        .await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": "the owner is back in"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login("owner2@example.com", "the owner is back in")
            .await
            .status(),
        StatusCode::OK
    );
    // The attacker's own revert link (to x1) cannot take the account back.
    assert_problem(
        revert(&app, &second_revert).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_problem(
        revert(&app, &first_revert).await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_address_taken_notice_goes_to_the_owners_stored_address() {
    let app = spawn().await;
    app.verified_user("ann@example.com").await;
    app.verified_user("kelvin@example.com").await;
    let (access, _) = app.logged_in("mallory@example.com").await;
    for (typed, owner) in [
        ("ANN@EXAMPLE.COM", "ann@example.com"),
        ("\u{212A}ELVIN@example.com", "kelvin@example.com"),
    ] {
        change_to(&app, &access, PASSWORD, typed).await;
        let notice = app.smtp.with_subject(owner, "").await;
        assert_eq!(notice.rcpt_to, vec![owner.to_owned()], "{typed}");
        assert!(
            app.smtp
                .messages()
                .iter()
                .all(|m| m.rcpt_to.iter().all(|r| r != typed)),
            "nothing goes to the address as typed: {typed}"
        );
    }
    app.stop().await;
}
