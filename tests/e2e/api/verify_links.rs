//! Using a verification link stops the account's other verification links, in the same
//! statement that uses it (contract §4), and of concurrent uses of one link exactly one wins.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn one_used_link_stops_the_others() {
    let app = TestApp::spawn().await;
    let email = "links@example.com";
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    for _ in 0..2 {
        let r = app
            .post("/api/v1/email/verify/resend", json!({"email": email}))
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let mut tokens = Vec::new();
    for n in 1..=3 {
        let mail = app.smtp.nth(email, n).await;
        tokens.push(mail.token("verify-email").expect("a verification link"));
    }
    // Another account's link is not touched.
    let other = "other@example.com";
    assert_eq!(app.register(other).await.status(), StatusCode::ACCEPTED);
    let other_token = app
        .smtp
        .latest(other)
        .await
        .token("verify-email")
        .expect("link");

    let r = app
        .post("/api/v1/email/verify", json!({"token": tokens[1]}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for stopped in [&tokens[0], &tokens[2]] {
        assert_problem(
            app.post("/api/v1/email/verify", json!({"token": stopped}))
                .await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
        )
        .await;
    }
    assert_problem(
        app.post("/api/v1/email/verify", json!({"token": tokens[1]}))
            .await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    let r = app
        .post("/api/v1/email/verify", json!({"token": other_token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn of_concurrent_uses_of_one_link_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let email = "race@example.com";
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    let token = app
        .smtp
        .latest(email)
        .await
        .token("verify-email")
        .expect("link");
    let mut uses = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/email/verify"));
        let body = json!({"token": token});
        uses.spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("request")
                .status()
        });
    }
    let statuses = uses.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1);
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    app.stop().await;
}
