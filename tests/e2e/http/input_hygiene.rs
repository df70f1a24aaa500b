//! Inputs an outside attacker may send (contract §2, issue 9): addresses that look like an
//! existing one or that mail cannot reach, names that turn text around, JSON arrays where the
//! API takes objects, and access tokens presented after they expired.

use std::time::Duration;

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn look_alike_and_undeliverable_addresses_are_refused_and_make_nothing() {
    let app = TestApp::spawn().await;
    app.verified_user("ann@example.com").await;
    let (access, _) = app.log_in("ann@example.com").await;
    let users = app.user_count().await;
    let outbox = app.outbox().await.len();
    for bad in [
        "ann@example.com\u{200B}",
        "ann@exa\u{00AD}mple.com",
        "\u{FEFF}ann@example.com",
        "ann\u{202E}@example.com",
        "ann\u{2066}@example.com",
        "\"a,b\"@example.com",
        "\"ann\"@example.com",
    ] {
        let r = app.register(bad).await;
        let body = assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
        assert_eq!(body["errors"][0]["field"], "email", "{bad:?}");
        for path in ["/api/v1/password/forgot", "/api/v1/email/verify/resend"] {
            let r = app.post(path, json!({"email": bad})).await;
            assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
        }
        let r = app
            .post_auth(
                "/api/v1/me/email",
                &access,
                json!({"password": PASSWORD, "new_email": bad}),
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
    }
    assert_eq!(app.user_count().await, users);
    assert_eq!(app.outbox().await.len(), outbox);
    app.stop().await;
}

#[tokio::test]
async fn names_with_control_or_direction_characters_are_refused() {
    let app = TestApp::spawn().await;
    for bad in [
        "Ann\u{202E}gnp.exe",
        "\u{2067}Ann",
        "Ann\u{200F}",
        "Ann\u{0007}",
        "Ann\u{2028}Bcc",
    ] {
        let r = app
            .register_with("named@example.com", PASSWORD, Some(bad))
            .await;
        let body = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "name", "{bad:?}");
    }
    assert_eq!(app.user_count().await, 0);
    // An emoji joined by U+200D is a fine name.
    let r = app
        .register_with(
            "named@example.com",
            PASSWORD,
            Some("Ann \u{1F469}\u{200D}\u{1F4BB}"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.stop().await;
}

#[tokio::test]
async fn a_json_array_is_not_a_body() {
    let app = TestApp::spawn().await;
    app.verified_user("arr@example.com").await;
    let array = json!(["arr@example.com", PASSWORD]).to_string();
    for path in [
        "/api/v1/login",
        "/api/v1/register",
        "/api/v1/password/forgot",
        "/api/v1/token/refresh",
        "/api/v1/logout",
    ] {
        let r = app
            .post_raw(path, Some("application/json"), array.clone())
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    }
    let r = app
        .post_raw(
            "/api/v1/login",
            Some("application/json"),
            format!(" \n{array}"),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    // The object form works.
    assert_eq!(
        app.login("arr@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn an_access_token_is_refused_two_seconds_after_it_expires() {
    let app = TestApp::spawn_with(|s| s.access_ttl = Duration::from_secs(60)).await;
    app.verified_user("leeway@example.com").await;
    let (access, _) = app.log_in("leeway@example.com").await;
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON");
    let (iat, exp) = (
        claims["iat"].as_u64().expect("iat"),
        claims["exp"].as_u64().expect("exp"),
    );
    assert_eq!(exp - iat, 60);
    // Up to its expiry it works (the clock reads at most `exp` here, `iat` being whole seconds).
    app.advance(Duration::from_secs(59)).await;
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    // When the clock reads `exp` + 2 s or later it is refused: at most a second of leeway.
    app.advance(Duration::from_secs(3)).await;
    assert_problem(
        app.get_auth("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.stop().await;
}
