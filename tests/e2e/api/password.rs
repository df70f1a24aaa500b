//! Password reset and password change (contract §4), end to end.

use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a different long secret";

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.post("/api/v1/password/forgot", json!({"email": email}))
        .await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/password/reset",
        json!({"token": token, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn forgot_answers_the_same_and_mails_only_accounts() {
    let app = TestApp::spawn().await;
    app.verified_user("known@example.com").await;
    let known = forgot(&app, "KNOWN@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(
        (known.status(), unknown.status()),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    let (a, b): (Value, Value) = (
        known.json().await.expect("json"),
        unknown.json().await.expect("json"),
    );
    assert_eq!(a, json!({"status": "reset_sent"}));
    assert_eq!(a, b);
    app.smtp
        .new_token("known@example.com", "reset-password")
        .await;
    // A moment for the other request's work, done after its answer in a task nothing waits
    // for (real time: no clock is involved, so `advance` cannot stand in).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.smtp.messages_to("nobody@example.com").is_empty());
    let r = forgot(&app, "not an address").await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
    app.stop().await;
}

#[tokio::test]
async fn forgot_respects_the_cooldown() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    app.verified_user("cool@example.com").await;
    forgot(&app, "cool@example.com").await;
    app.smtp
        .new_token("cool@example.com", "reset-password")
        .await;
    let before = app.smtp.messages_to("cool@example.com").len();
    assert_eq!(
        forgot(&app, "cool@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    // The reset is queued after the answer, in a task of its own that nothing waits for: give
    // it time to run (real time: it waits for that task, not for a clock).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.smtp.messages_to("cool@example.com").len(),
        before,
        "nothing sent within the cooldown"
    );
    // Once the cooldown has passed, a new request sends a new link.
    app.advance(Duration::from_secs(61)).await;
    forgot(&app, "cool@example.com").await;
    app.smtp
        .new_token("cool@example.com", "reset-password")
        .await;
    app.stop().await;
}

#[tokio::test]
async fn a_reset_sets_the_password_revokes_sessions_and_kills_other_links() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.logged_in("pat@example.com").await;
    forgot(&app, "pat@example.com").await;
    let first = app
        .smtp
        .new_token("pat@example.com", "reset-password")
        .await;
    forgot(&app, "pat@example.com").await;
    let second = app
        .smtp
        .new_token("pat@example.com", "reset-password")
        .await;

    // A weak password is refused and leaves the link usable.
    let r = reset(&app, &second, "password1").await;
    let body = assert_problem(r, StatusCode::BAD_REQUEST, "weak_password").await;
    assert_eq!(body["errors"][0]["field"], "new_password");
    assert_problem(
        reset(&app, &second, "short").await,
        StatusCode::BAD_REQUEST,
        "weak_password",
    )
    .await;

    let r = reset(&app, &second, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "password_changed"}),
        "a reset never logs in by itself"
    );

    assert_problem(
        reset(&app, &second, "yet another secret").await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    assert_problem(
        reset(&app, &first, "yet another secret").await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.get_auth("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let r = app
        .post("/api/v1/token/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert_problem(
        app.login("pat@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("pat@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );

    app.smtp
        .with_subject("pat@example.com", "password was changed")
        .await;
    app.stop().await;
}

#[tokio::test]
async fn a_reset_verifies_an_unverified_account() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("new@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    forgot(&app, "new@example.com").await;
    let token = app
        .smtp
        .new_token("new@example.com", "reset-password")
        .await;
    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("new@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn reset_links_expire_and_garbage_is_invalid() {
    let app = TestApp::spawn_with(|s| s.reset_ttl = Duration::from_secs(3600)).await;
    app.verified_user("late@example.com").await;
    forgot(&app, "late@example.com").await;
    let token = app
        .smtp
        .new_token("late@example.com", "reset-password")
        .await;
    app.advance(Duration::from_secs(3601)).await;
    assert_problem(
        reset(&app, &token, NEW_PASSWORD).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    assert_problem(
        reset(&app, "nope", NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    // A verification token is not a reset token.
    app.register("other@example.com").await;
    let verify = app
        .smtp
        .new_token("other@example.com", "verify-email")
        .await;
    assert_problem(
        reset(&app, &verify, NEW_PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_uses_of_one_reset_link_succeed_once() {
    let app = TestApp::spawn().await;
    app.verified_user("race@example.com").await;
    forgot(&app, "race@example.com").await;
    let token = app
        .smtp
        .new_token("race@example.com", "reset-password")
        .await;
    let attempts = (0..20).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            reset(app, &token, &format!("{NEW_PASSWORD} {i}"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.logged_in("me@example.com").await;
    let other: Value = app
        .login("me@example.com", PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    forgot(&app, "me@example.com").await;
    let reset_token = app.smtp.new_token("me@example.com", "reset-password").await;

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            change("wrong password", NEW_PASSWORD),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            change(PASSWORD, "qwertyuiop"),
        )
        .await;
    let body = assert_problem(r, StatusCode::BAD_REQUEST, "weak_password").await;
    assert_eq!(body["errors"][0]["field"], "new_password");
    let r = app
        .post("/api/v1/me/password", change(PASSWORD, NEW_PASSWORD))
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            change(PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "password_changed"})
    );

    assert_eq!(
        app.get_auth("/api/v1/me", &access).await.status(),
        StatusCode::OK,
        "this session stays"
    );
    let r = app
        .post("/api/v1/token/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_problem(
        app.get_auth("/api/v1/me", &str_of(&other, "access_token"))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Any password change kills outstanding reset links.
    assert_problem(
        reset(&app, &reset_token, "some other secret").await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.smtp
        .with_subject("me@example.com", "password was changed")
        .await;
    assert_eq!(
        app.login("me@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn sessions_are_listed_and_can_be_ended() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("s@example.com").await;
    let other: Value = app
        .client
        .post(app.url("/api/v1/login"))
        .header("user-agent", "second-device/1.0")
        .json(&json!({"email": "s@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let list: Value = app
        .get_auth("/api/v1/me/sessions", &access)
        .await
        .json()
        .await
        .expect("json");
    let sessions = list.as_array().expect("array");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    for s in sessions {
        for key in [
            "id",
            "created_at",
            "last_used_at",
            "user_agent",
            "ip_hint",
            "current",
        ] {
            assert!(s.get(key).is_some(), "{key} missing in {s}");
        }
    }
    let other_id = sessions
        .iter()
        .find(|s| s["current"] == false)
        .map(|s| str_of(s, "id"))
        .expect("other session");
    assert!(
        sessions
            .iter()
            .any(|s| s["user_agent"] == "second-device/1.0")
    );

    let delete = |id: String| {
        app.client
            .delete(app.url(&format!("/api/v1/me/sessions/{id}")))
            .bearer_auth(&access)
            .send()
    };
    assert_eq!(
        delete(other_id.clone()).await.expect("request").status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get_auth("/api/v1/me", &str_of(&other, "access_token"))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let r = app
        .post(
            "/api/v1/token/refresh",
            json!({"refresh_token": str_of(&other, "refresh_token")}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert_problem(
        delete(other_id).await.expect("request"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        delete("not-a-uuid".into()).await.expect("request"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Another user's session is not found either.
    let (stranger, _) = app.logged_in("stranger@example.com").await;
    let theirs: Value = app
        .get_auth("/api/v1/me/sessions", &stranger)
        .await
        .json()
        .await
        .expect("json");
    let their_id = str_of(&theirs[0], "id");
    assert_problem(
        delete(their_id).await.expect("request"),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_auth("/api/v1/me", &stranger).await.status(),
        StatusCode::OK
    );
    let list: Value = app
        .get_auth("/api/v1/me/sessions", &access)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn each_session_shows_where_it_began_with_the_address_masked() {
    // Behind a trusted proxy the client's address is the forwarded one.
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    app.verified_user("where@example.com").await;
    let mut access = String::new();
    for from in ["203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348"] {
        let r = app
            .client
            .post(app.url("/api/v1/login"))
            .header("X-Forwarded-For", from)
            .json(&json!({"email": "where@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        access = tokens_of(r).await.0;
    }
    let r = app.get_auth("/api/v1/me/sessions", &access).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("body");
    // Never the whole address.
    assert!(
        !text.contains("203.0.113.77") && !text.contains("8a2e"),
        "{text}"
    );
    let list: Value = serde_json::from_str(&text).expect("json");
    let mut hints: Vec<_> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["ip_hint"].as_str().expect("ip_hint").to_owned())
        .collect();
    hints.sort();
    assert_eq!(hints, ["2001:db8:85a3::/48", "203.0.113.x"]);
    app.stop().await;

    // Without a trusted proxy a forwarded address is not believed: the peer's is shown.
    let app = TestApp::spawn().await;
    app.verified_user("peer@example.com").await;
    let r = app
        .client
        .post(app.url("/api/v1/login"))
        .header("X-Forwarded-For", "203.0.113.77")
        .json(&json!({"email": "peer@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    let (access, _) = tokens_of(r).await;
    let list: Value = app
        .get_auth("/api/v1/me/sessions", &access)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list[0]["ip_hint"], "127.0.0.x", "{list}");
    app.stop().await;
}
