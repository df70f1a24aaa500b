//! The dev mailbox (contract §7): with no SMTP configured, emails are kept and listed newest
//! first as a page and as JSON, with their links, and following a link works. With SMTP
//! configured it does not exist.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn mailbox(app: &TestApp) -> Vec<Value> {
    let r = app.get("/dev/mailbox.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("a JSON array")
}

async fn wait_for_mailbox(app: &TestApp, n: usize) -> Vec<Value> {
    wait_until(
        &format!("{n} emails are in the dev mailbox"),
        MAIL_TIMEOUT,
        || async { mailbox(app).await.len() >= n },
    )
    .await;
    mailbox(app).await
}

#[tokio::test]
async fn without_smtp_emails_are_listed_newest_first_and_their_links_work() {
    let app = TestApp::spawn_with(|s| s.smtp_url = None).await;
    app.register("first@example.com").await;
    wait_for_mailbox(&app, 1).await;
    app.register("second@example.com").await;
    let mails = wait_for_mailbox(&app, 2).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0]["to"], "second@example.com", "newest first");
    assert_eq!(mails[1]["to"], "first@example.com");
    for mail in &mails {
        assert!(mail["subject"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(mail["created_at"].is_string());
        let link = mail["links"][0].as_str().expect("a link");
        assert!(
            link.starts_with("http://localhost:8080/verify-email?token="),
            "{link}"
        );
        assert!(mail["text"].as_str().expect("text").contains(link));
        assert!(mail["html"].as_str().expect("html").contains(link));
    }
    // Nothing went over SMTP.
    assert!(app.smtp.messages().is_empty());

    // The page lists the same, newest first.
    let r = app.get("/dev/mailbox").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"))
    );
    let page = r.text().await.expect("page");
    let links: Vec<&str> = mails
        .iter()
        .map(|m| m["links"][0].as_str().expect("link"))
        .collect();
    // (The page escapes `/` in the links as `&#x2f;`; the tokens need no escaping.)
    let positions: Vec<usize> = links
        .iter()
        .map(|l| {
            let token = l.split("token=").nth(1).expect("token");
            page.find(&format!("verify-email?token={token}"))
                .expect("the link is on the page")
        })
        .collect();
    assert!(positions[0] < positions[1], "newest first on the page");

    // Each message can be viewed as HTML and as text.
    let id = mails[1]["id"].as_i64().expect("id");
    let r = app.get(&format!("/dev/mailbox/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains(links[1]));
    let r = app.get(&format!("/dev/mailbox/{id}/text")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("text").contains(links[1]));
    assert_eq!(
        app.get("/dev/mailbox/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/dev/mailbox/not-a-number").await.status(),
        StatusCode::NOT_FOUND
    );

    // Following the first address's link (on this server) shows the page; its button verifies.
    let path = links[1]
        .strip_prefix("http://localhost:8080")
        .expect("a link to the public URL");
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = path.split("token=").nth(1).expect("token");
    assert!(r.text().await.expect("page").contains(token));
    let r = app
        .post_raw(
            "/verify-email",
            Some("application/x-www-form-urlencoded"),
            format!("token={token}"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.log_in("first@example.com").await;
    app.stop().await;
}

#[tokio::test]
async fn with_smtp_configured_there_is_no_dev_mailbox() {
    let app = TestApp::spawn().await;
    app.register("smtp@example.com").await;
    app.smtp.latest("smtp@example.com").await;
    for path in ["/dev/mailbox", "/dev/mailbox.json", "/dev/mailbox/1"] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dev_mailbox")
        .fetch_one(app.db().await)
        .await
        .expect("count");
    assert_eq!(stored, 0, "emails sent over SMTP are not kept");
    app.stop().await;
}
