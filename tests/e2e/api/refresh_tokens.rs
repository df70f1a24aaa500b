//! Refresh tokens against an outside attacker (contract §4, issue 9): a forged token naming a
//! real session changes nothing, a token rotated out moments ago is refused without logging the
//! user out, and of many concurrent refreshes exactly one wins while the session lives on.

use std::time::Duration;

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The session id an access token names (its `sid` claim, readable by anyone who holds it).
fn session_id_of(access: &str) -> uuid::Uuid {
    let payload = access.split('.').nth(1).expect("a JWT has three parts");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON");
    claims["sid"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a sid claim")
}

/// A refresh token of the right shape for `session`: its id followed by bytes it never issued.
fn forged_for(session: uuid::Uuid, filler: u8) -> String {
    let mut bytes = session.as_bytes().to_vec();
    bytes.extend([filler; 32]);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_forged_refresh_token_naming_a_real_session_changes_nothing() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.logged_in("victim@example.com").await;
    let sid = session_id_of(&access);
    for filler in [0u8, 7, 255] {
        let forged = forged_for(sid, filler);
        assert_problem(
            app.refresh(&forged).await,
            StatusCode::UNAUTHORIZED,
            "invalid_refresh_token",
        )
        .await;
        assert_eq!(app.logout(&forged).await.status(), StatusCode::NO_CONTENT);
    }
    // Even long after: a forgery is never mistaken for reuse.
    app.advance(Duration::from_secs(60)).await;
    assert_problem(
        app.refresh(&forged_for(sid, 1)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    // The victim's session is untouched: its access token works and its refresh token rotates.
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_token_rotated_out_moments_ago_is_refused_without_ending_the_session() {
    let app = TestApp::spawn().await;
    let (_, refresh0) = app.logged_in("tabs@example.com").await;
    let (access1, refresh1) = tokens_of(app.refresh(&refresh0).await).await;
    // The other tab, a moment later, with the same token: refused, and told that the session
    // lives on, so that its client does not sign out.
    let loser = assert_problem(
        app.refresh(&refresh0).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_eq!(loser["superseded"], true, "{loser}");
    assert_eq!(app.me_status(&access1).await, StatusCode::OK);
    let (access2, refresh2) = tokens_of(app.refresh(&refresh1).await).await;
    assert_eq!(app.me_status(&access2).await, StatusCode::OK);

    // More than 10 seconds after its rotation, the same token is reuse: the session ends.
    app.advance(Duration::from_millis(10_500)).await;
    let reuse = assert_problem(
        app.refresh(&refresh0).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert!(reuse.get("superseded").is_none(), "{reuse}");
    assert_problem(
        app.get_auth("/api/v1/me", &access2).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.refresh(&refresh2).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn of_twenty_concurrent_refreshes_one_wins_and_the_session_survives() {
    let app = TestApp::spawn().await;
    let (_, refresh) = app.logged_in("twenty@example.com").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/token/refresh"),
            refresh.clone(),
        );
        tasks.spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .expect("request");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        });
    }
    let mut winners = Vec::new();
    let mut refused = 0;
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        match status {
            StatusCode::OK => winners.push(body),
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["code"], "invalid_refresh_token", "{body}");
                // Every loser can tell that it lost a race, not the session.
                assert_eq!(body["superseded"], true, "{body}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 19));
    // The winner's tokens work: the losers did not log the user out.
    let access = str_of(&winners[0], "access_token");
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    let r = app.refresh(&str_of(&winners[0], "refresh_token")).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn logout_with_a_token_the_session_issued_ends_it() {
    let app = TestApp::spawn().await;
    let (_, refresh0) = app.logged_in("out@example.com").await;
    let (access1, _) = tokens_of(app.refresh(&refresh0).await).await;
    // A token it rotated out is still one it issued: whoever holds it may end the session.
    assert_eq!(app.logout(&refresh0).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&access1).await, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
