//! The built-in pages behind emailed links (contract §4, §8): opening one never spends the
//! token; its button does.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

async fn open_page(app: &TestApp, page: &str, token: &str) -> String {
    let r = app
        .client
        .get(app.url(&format!("/{page}?token={token}")))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("content-type").starts_with("text/html"));
    let html = r.text().await.expect("html");
    assert!(html.contains("method=\"post\""), "{html}");
    assert!(html.contains(token), "the form carries the token");
    html
}

async fn submit(app: &TestApp, page: &str, form: &[(&str, &str)]) -> String {
    let r = app
        .client
        .post(app.url(&format!("/{page}")))
        .form(form)
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
    r.text().await.expect("html")
}

#[tokio::test]
async fn reset_page_sets_the_password_only_when_submitted() {
    let app = TestApp::spawn().await;
    app.verified_user("page@example.com").await;
    app.post(
        "/api/v1/password/forgot",
        json!({"email": "page@example.com"}),
    )
    .await;
    let token = app
        .smtp
        .new_token("page@example.com", "reset-password")
        .await;
    for _ in 0..3 {
        let html = open_page(&app, "reset-password", &token).await;
        assert!(html.contains("name=\"new_password\""));
    }
    let html = submit(
        &app,
        "reset-password",
        &[("token", &token), ("new_password", "password1")],
    )
    .await;
    assert!(
        html.contains("too common"),
        "a weak password is explained: {html}"
    );
    let html = submit(
        &app,
        "reset-password",
        &[("token", &token), ("new_password", "page password ok")],
    )
    .await;
    assert!(html.contains("Password changed"), "{html}");
    assert_eq!(
        app.login("page@example.com", "page password ok")
            .await
            .status(),
        StatusCode::OK
    );
    let html = submit(
        &app,
        "reset-password",
        &[("token", &token), ("new_password", "page password 2")],
    )
    .await;
    // Used once already: the page says it is done, not that it failed.
    assert!(html.contains("This link was already used"), "{html}");
    assert!(html.contains("already set with this link"), "{html}");
    assert!(!html.contains("Password not changed"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn confirm_and_revert_pages_act_only_on_post() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, _) = app.logged_in("pg@example.com").await;
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            json!({"password": PASSWORD, "new_email": "pg2@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = app
        .smtp
        .new_token("pg2@example.com", "confirm-email-change")
        .await;
    open_page(&app, "confirm-email-change", &token).await;
    open_page(&app, "confirm-email-change", &token).await;
    let me: serde_json::Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        me["email"], "pg@example.com",
        "opening the page changed nothing"
    );
    let html = submit(&app, "confirm-email-change", &[("token", &token)]).await;
    assert!(html.contains("pg2@example.com"), "{html}");

    let revert = app
        .smtp
        .new_token("pg@example.com", "revert-email-change")
        .await;
    open_page(&app, "revert-email-change", &revert).await;
    let html = submit(&app, "revert-email-change", &[("token", &revert)]).await;
    assert!(html.contains("pg@example.com"), "{html}");
    assert_eq!(
        app.login("pg@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn a_page_without_a_token_or_with_a_bad_one_explains_itself() {
    let app = TestApp::spawn().await;
    for page in [
        "verify-email",
        "reset-password",
        "confirm-email-change",
        "revert-email-change",
    ] {
        let r = app
            .client
            .get(app.url(&format!("/{page}")))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.text()
                .await
                .expect("html")
                .contains("This link is incomplete")
        );
        let html = submit(&app, page, &[("token", "garbage")]).await;
        assert!(html.contains("no longer works"), "{page}: {html}");
    }
    app.stop().await;
}

#[tokio::test]
async fn register_resend_and_forgot_pages_work_without_javascript() {
    let app = TestApp::spawn().await;
    for page in ["register", "resend-verification", "forgot-password"] {
        let r = app
            .client
            .get(app.url(&format!("/{page}")))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("html");
        assert!(
            html.contains(&format!("action=\"/{page}\"")),
            "{page}: {html}"
        );
    }
    // A bad address is explained on the form, and nothing is sent.
    let html = submit(
        &app,
        "register",
        &[("email", "nope"), ("password", PASSWORD)],
    )
    .await;
    assert!(
        html.contains("Enter an email address like name@example.com")
            && html.contains("value=\"nope\""),
        "{html}"
    );
    let html = submit(
        &app,
        "register",
        &[("email", "form@example.com"), ("password", "password1")],
    )
    .await;
    assert!(html.contains("too common"), "{html}");
    let html = submit(
        &app,
        "register",
        &[
            ("email", "form@example.com"),
            ("password", PASSWORD),
            ("name", "Form <User>"),
        ],
    )
    .await;
    assert!(html.contains("Check your inbox"), "{html}");
    let first = app.smtp.new_token("form@example.com", "verify-email").await;
    let html = submit(
        &app,
        "resend-verification",
        &[("email", "form@example.com")],
    )
    .await;
    assert!(html.contains("Check your inbox"), "{html}");
    let second = app.smtp.new_token("form@example.com", "verify-email").await;
    assert_ne!(first, second);
    let html = submit(&app, "verify-email", &[("token", &second)]).await;
    assert!(html.contains("is confirmed"), "{html}");
    let html = submit(&app, "forgot-password", &[("email", "form@example.com")]).await;
    assert!(html.contains("Check your inbox"), "{html}");
    app.smtp
        .new_token("form@example.com", "reset-password")
        .await;
    // Unknown addresses get the same page.
    let html = submit(&app, "forgot-password", &[("email", "ghost@example.com")]).await;
    assert!(html.contains("Check your inbox"), "{html}");
    app.stop().await;
}

/// The value of the hidden `token` field of a page's form.
fn hidden_token(html: &str) -> String {
    let at = html
        .find(r#"name="token" value=""#)
        .unwrap_or_else(|| panic!("a token field in {html}"));
    let rest = &html[at + r#"name="token" value=""#.len()..];
    rest[..rest.find('"').expect("end of the value")].to_owned()
}

/// A contested address (issue 17, 1: signed up twice with different passwords) verified on
/// the page, by link or by code: the page asks for the new password at once, and that form
/// sets it. Neither sign-up's password logs in.
#[tokio::test]
async fn verifying_a_contested_address_asks_for_a_new_password_at_once() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = std::time::Duration::from_secs(60)).await;
    for (email, by_code) in [("link@example.com", false), ("code@example.com", true)] {
        app.register_with(email, "the squatters password", None)
            .await;
        let (token, code) = app.smtp.new_token_and_code(email, "verify-email").await;
        app.register_with(email, "the owners own password", None)
            .await;
        let html = if by_code {
            submit(
                &app,
                "verify-email/code",
                &[("email", email), ("code", &code)],
            )
            .await
        } else {
            submit(&app, "verify-email", &[("token", &token)]).await
        };
        assert!(html.contains("signed up more than once"), "{html}");
        assert!(html.contains(r#"action="/reset-password""#), "{html}");
        assert!(html.contains(r#"name="new_password""#), "{html}");
        let reset = hidden_token(&html);
        // The same link was mailed, for later.
        assert_eq!(app.smtp.new_token(email, "reset-password").await, reset);
        for password in ["the squatters password", "the owners own password"] {
            assert_eq!(
                app.login(email, password).await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let html = submit(
            &app,
            "reset-password",
            &[("token", &reset), ("new_password", "chosen on the page")],
        )
        .await;
        assert!(html.contains("Password changed"), "{html}");
        assert_eq!(
            app.login(email, "chosen on the page").await.status(),
            StatusCode::OK
        );
    }
    app.stop().await;
}
