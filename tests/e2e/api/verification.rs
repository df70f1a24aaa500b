//! Email verification (contract §3, §4, §8): expired, used, garbage and misdirected links,
//! resending, concurrent uses of one link, and the link page that never uses a token.

use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Registers `email` and returns the token of its verification link.
async fn signed_up(app: &TestApp, email: &str) -> String {
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    app.smtp
        .latest(email)
        .await
        .token("verify-email")
        .expect("a verification link")
}

#[tokio::test]
async fn an_expired_link_answers_token_expired_and_resend_gives_a_new_one() {
    let app = TestApp::spawn_with(|s| s.verify_ttl = Duration::from_secs(3600)).await;
    let token = signed_up(&app, "late@example.com").await;
    let mail = app.smtp.latest("late@example.com").await;
    assert!(mail.text.contains("1 hour"), "{}", mail.text);
    app.advance(Duration::from_secs(3601)).await;
    assert_problem(app.verify(&token).await, StatusCode::GONE, "token_expired").await;
    assert_problem(
        app.login("late@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    assert_eq!(
        app.resend("late@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    let fresh = app
        .smtp
        .nth("late@example.com", 2)
        .await
        .token("verify-email")
        .expect("a new link");
    assert_eq!(app.verify(&fresh).await.status(), StatusCode::OK);
    app.log_in("late@example.com").await;
    app.stop().await;
}

#[tokio::test]
async fn used_and_garbage_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let token = signed_up(&app, "once@example.com").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    for _ in 0..2 {
        assert_problem(app.verify(&token).await, StatusCode::CONFLICT, "token_used").await;
    }

    let well_formed_unknown = "A".repeat(43);
    let long = "x".repeat(10_000);
    let garbage = [
        "",
        " ",
        "abc",
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        well_formed_unknown.as_str(),
        long.as_str(),
        "ünïcödé-ünïcödé-ünïcödé-ünïcödé-ünï",
        "../../etc/passwd",
        "' OR 1=1 --",
    ];
    for bad in garbage {
        assert_problem(
            app.verify(bad).await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
        )
        .await;
    }
    // The used token with something appended is another token, not a way around "used".
    assert_problem(
        app.verify(&format!("{token}A")).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_token_works_only_for_its_purpose_and_its_address() {
    let app = TestApp::spawn().await;
    let token = signed_up(&app, "purpose@example.com").await;

    // The same token recorded for another purpose (no endpoint can mint one yet).
    app.sql_for(
        "UPDATE link_tokens SET purpose = 'reset_password' WHERE account_email = $1",
        "purpose@example.com",
    )
    .await;
    assert_problem(
        app.verify(&token).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.sql_for(
        "UPDATE link_tokens SET purpose = 'verify_email' WHERE account_email = $1",
        "purpose@example.com",
    )
    .await;

    // The account's address changed after the link was sent.
    app.sql_for(
        "UPDATE users SET email = 'moved@example.com', email_norm = 'moved@example.com' WHERE email_norm = $1",
        "purpose@example.com",
    )
    .await;
    assert_problem(
        app.verify(&token).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    let verified: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_verified")
        .fetch_one(app.db().await)
        .await
        .expect("user");
    assert_eq!(verified, 0, "a refused link verified the account");

    // Back at the address it was sent to, the very same token works: the address was the
    // reason, not the earlier refusals.
    app.sql_for(
        "UPDATE users SET email = $1, email_norm = $1 WHERE email_norm = 'moved@example.com'",
        "purpose@example.com",
    )
    .await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn resend_keeps_earlier_links_valid_until_one_is_used() {
    let app = TestApp::spawn().await;
    let first = signed_up(&app, "resend@example.com").await;
    for n in 2..=3 {
        assert_eq!(
            app.resend("Resend@Example.com").await.status(),
            StatusCode::ACCEPTED
        );
        app.smtp.nth("resend@example.com", n).await;
    }
    let tokens: Vec<String> = app
        .smtp
        .messages_to("resend@example.com")
        .iter()
        .map(|m| m.token("verify-email").expect("link"))
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0], first);
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2] && tokens[0] != tokens[2]);

    // Any of them verifies (here the middle one); then the others are dead.
    assert_eq!(app.verify(&tokens[1]).await.status(), StatusCode::OK);
    for other in [&tokens[0], &tokens[2]] {
        assert_problem(
            app.verify(other).await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
        )
        .await;
    }
    assert_problem(
        app.verify(&tokens[1]).await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn resend_answers_alike_and_mails_only_unverified_accounts() {
    let app = TestApp::spawn().await;
    app.verified_user("done@example.com").await;
    signed_up(&app, "pending@example.com").await;
    app.verified_user("off@example.com").await;
    app.sql_for(
        "UPDATE users SET email_verified = FALSE, disabled = TRUE WHERE email_norm = $1",
        "off@example.com",
    )
    .await;
    let before = app.outbox().await.len();

    let mut answers = Vec::new();
    for email in [
        "nobody@example.com",
        "done@example.com",
        "pending@example.com",
        "off@example.com",
    ] {
        let r = app.resend(email).await;
        let status = r.status();
        let body: Value = r.json().await.expect("json");
        answers.push((status, body));
    }
    for answer in &answers {
        assert_eq!(
            answer,
            &(StatusCode::ACCEPTED, json!({"status": "verification_sent"}))
        );
    }
    // Only the unverified (and enabled) account got a new link (made after the answer, so
    // that the answer's time does not tell either).
    app.smtp.nth("pending@example.com", 2).await;
    // A moment more for the others' work after their answers, in tasks nothing waits for
    // (real time: no clock is involved).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let queued: Vec<_> = app.outbox().await.split_off(before);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].recipient, "pending@example.com");
    assert_eq!(queued[0].kind, "verification");
    assert!(app.outbox_to("nobody@example.com").await.is_empty());

    assert_problem(
        app.resend("not-an-address").await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn resend_respects_the_cooldown() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    let first = signed_up(&app, "wait@example.com").await;
    for _ in 0..3 {
        assert_eq!(
            app.resend("wait@example.com").await.status(),
            StatusCode::ACCEPTED
        );
    }
    // Another address has its own cooldown. (Its email also gives the resends, queued after
    // their answers, time to have run.)
    signed_up(&app, "other@example.com").await;
    assert_eq!(app.outbox_to("wait@example.com").await.len(), 1);
    // Once the cooldown has passed, a resend sends a new link; the first one still works.
    app.advance(Duration::from_secs(61)).await;
    assert_eq!(
        app.resend("wait@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.smtp.nth("wait@example.com", 2).await;
    assert_eq!(app.outbox_to("wait@example.com").await.len(), 2);
    assert_eq!(app.verify(&first).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn of_twenty_concurrent_uses_of_one_link_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let token = signed_up(&app, "race@example.com").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/email/verify"),
            token.clone(),
        );
        tasks.spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"token": token}))
                .send()
                .await
                .expect("request");
            let status = r.status();
            let body: Value = r.json().await.expect("json");
            (status, body)
        });
    }
    let (mut ok, mut used) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["code"], "token_used", "{body}");
                used += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, used), (1, 19));
    app.stop().await;
}

#[tokio::test]
async fn opening_the_link_page_never_uses_the_token() {
    let app = TestApp::spawn().await;
    let token = signed_up(&app, "scanner@example.com").await;
    for _ in 0..3 {
        let r = app.get(&format!("/verify-email?token={token}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(header("cache-control").as_deref(), Some("no-store"));
        assert!(
            header("content-type").is_some_and(|ct| ct.starts_with("text/html")),
            "{:?}",
            header("content-type")
        );
        let page = r.text().await.expect("page");
        let lower = page.to_lowercase();
        assert!(
            lower.contains("<form") && lower.contains(r#"method="post""#),
            "{page}"
        );
        assert!(page.contains(&token), "the form carries the token");
    }
    let verified: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_verified")
        .fetch_one(app.db().await)
        .await
        .expect("user");
    assert_eq!(verified, 0, "a GET verified the account");
    // The API still takes the token after the page was opened.
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn the_link_page_form_verifies() {
    let app = TestApp::spawn().await;
    let token = signed_up(&app, "form@example.com").await;

    // A cross-site form post (CSRF) is refused and spends nothing.
    let r = app
        .client
        .post(app.url("/verify-email"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The browser's own post from the page does verify.
    let r = app
        .client
        .post(app.url("/verify-email"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    let page = r.text().await.expect("page");
    assert!(page.contains("form@example.com is confirmed"), "{page}");
    app.log_in("form@example.com").await;

    // Posting it again says that it was done already (issue 19: it said "Address not
    // confirmed"), and does nothing a second time.
    let r = app
        .post_raw(
            "/verify-email",
            Some("application/x-www-form-urlencoded"),
            format!("token={token}"),
        )
        .await;
    // An outcome page like the success one (200), which explains and offers the next step.
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    assert!(page.contains("Your address is already confirmed"), "{page}");
    assert!(!page.contains("not confirmed"), "{page}");
    assert!(!page.contains("form@example.com is confirmed"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn the_link_page_escapes_what_it_is_given() {
    let app = TestApp::spawn().await;
    let r = app
        .get("/verify-email?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    assert!(!page.contains("<script>"), "{page}");
    // Without a token the page says so instead of failing.
    let r = app.get("/verify-email").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_raw(
            "/verify-email",
            Some("application/x-www-form-urlencoded"),
            "nonsense",
        )
        .await;
    assert!(!r.status().is_server_error(), "{}", r.status());
    app.stop().await;
}
