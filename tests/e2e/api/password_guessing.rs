//! A stolen access token or page cookie gives no more password guesses than the log-in form
//! (contract §2, issue 9): every check of a signed-in user's password counts against the log-in
//! limit of the account's address, over the API and the account page alike.

use crate::support::*;
use reqwest::{StatusCode, header};
use serde_json::json;

/// The default limits on (10 log-in attempts a minute per client and address).
async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.rate_limit = true).await
}

const WRONG: &str = "not the password";
const NEW: &str = "a much better secret";

#[tokio::test]
async fn wrong_current_passwords_on_the_password_change_are_limited_like_log_ins() {
    let app = spawn().await;
    let (access, _) = app.logged_in("guess@example.com").await;
    for i in 0..9 {
        let r = app
            .post_auth(
                "/api/v1/me/password",
                &access,
                json!({"current_password": WRONG, "new_password": NEW}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // The log-in made by `logged_in` was the 1st attempt; 9 guesses fill the 10.
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            json!({"current_password": PASSWORD, "new_password": NEW}),
        )
        .await;
    let retry = r.headers().get(header::RETRY_AFTER).cloned();
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(retry.is_some(), "Retry-After");
    // The right password did not get through, and log-in shares the count.
    assert_problem(
        app.login("guess@example.com", NEW).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    app.stop().await;
    // The count is the database's, not the process's: a restarted (or another) server
    // still refuses. The old password still works once limits are off.
    let again = app.restart_like().await;
    assert_problem(
        again.login("guess@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    again.stop().await;
    let unlimited = app.restart_with(|s| s.rate_limit = false).await;
    assert_eq!(
        unlimited
            .login("guess@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    unlimited.stop().await;
}

#[tokio::test]
async fn wrong_passwords_on_the_email_change_are_limited_like_log_ins() {
    let app = spawn().await;
    let (access, _) = app.logged_in("guess2@example.com").await;
    for i in 0..9 {
        let r = app
            .post_auth(
                "/api/v1/me/email",
                &access,
                json!({"password": WRONG, "new_email": "thief@example.com"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            json!({"password": PASSWORD, "new_email": "thief@example.com"}),
        )
        .await;
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let me: serde_json::Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["pending_email"], serde_json::Value::Null);
    app.stop().await;
}

/// A browser signed in on the log-in page (the 1st attempt of the address): the client and
/// its cookies.
async fn page_session(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    app.verified_user(email).await;
    let client = no_redirects();
    let r = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let jar = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    (client, jar)
}

fn is_html(r: &reqwest::Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[tokio::test]
async fn the_account_page_forms_count_against_the_same_limit() {
    let app = spawn().await;
    let (client, jar) = page_session(&app, "page@example.com").await;
    let post = |path: &'static str, form: Vec<(&'static str, &'static str)>| {
        client
            .post(app.url(path))
            .header(header::COOKIE, jar.clone())
            .form(&form)
            .send()
    };
    // 1 log-in; 5 wrong guesses on each form make 11.
    for _ in 0..5 {
        let r = post(
            "/account/password",
            vec![("current_password", WRONG), ("new_password", NEW)],
        )
        .await
        .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
    }
    for _ in 0..4 {
        let r = post(
            "/account/email",
            vec![("password", WRONG), ("new_email", "thief@example.com")],
        )
        .await
        .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = post(
        "/account/password",
        vec![("current_password", PASSWORD), ("new_password", NEW)],
    )
    .await
    .expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert!(is_html(&r));
    app.stop().await;
    let again = app.restart_with(|s| s.rate_limit = false).await;
    assert_eq!(
        again.login("page@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "the password is unchanged"
    );
    again.stop().await;
}

#[tokio::test]
async fn wrong_passwords_on_account_deletion_are_limited_like_log_ins() {
    let app = spawn().await;
    let (access, _) = app.logged_in("guess3@example.com").await;
    let delete = |password: &'static str| {
        app.client
            .delete(app.url("/api/v1/me"))
            .bearer_auth(&access)
            .json(&json!({"password": password}))
            .send()
    };
    for i in 0..9 {
        let r = delete(WRONG).await.expect("request");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = delete(PASSWORD).await.expect("request");
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The right password did not get through: the account is still there.
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    app.stop().await;
}

/// The account page's deletion form is a check of the password too: its guesses count, and
/// once the limit is spent the right password deletes nothing.
#[tokio::test]
async fn the_account_deletion_page_counts_against_the_same_limit() {
    let app = spawn().await;
    let (client, jar) = page_session(&app, "leave@example.com").await;
    let delete = |password: &'static str| {
        client
            .post(app.url("/account/delete"))
            .header(header::COOKIE, jar.clone())
            .form(&[("password", password)])
            .send()
    };
    // 1 log-in and 9 wrong guesses make 10.
    for i in 0..9 {
        let r = delete(WRONG).await.expect("request");
        assert_eq!(r.status(), StatusCode::OK, "guess {i}");
    }
    let r = delete(PASSWORD).await.expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert!(is_html(&r));
    // The API's log-in shares the count, and the account is still there.
    assert_problem(
        app.login("leave@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    app.stop().await;
    let again = app.restart_with(|s| s.rate_limit = false).await;
    assert_eq!(
        again.login("leave@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "the account is not deleted"
    );
    again.stop().await;
}

/// A check of the password counts before anything else of the request is looked at: a guess
/// sent with a weak new password, or with the account's own address as the new one, is a guess
/// all the same, whichever of the flows takes it.
#[tokio::test]
async fn a_guess_counts_whatever_else_is_wrong_with_the_request() {
    let app = spawn().await;
    let (access, _) = app.logged_in("sly@example.com").await;
    // 1 log-in, then 3 guesses on each of three paths: 10.
    for _ in 0..3 {
        let r = app
            .post_auth(
                "/api/v1/me/password",
                &access,
                json!({"current_password": WRONG, "new_password": "short"}),
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "weak_password").await;
        let r = app
            .post_auth(
                "/api/v1/me/email",
                &access,
                json!({"password": WRONG, "new_email": "SLY@example.com"}),
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "same_email").await;
        let r = app
            .client
            .delete(app.url("/api/v1/me"))
            .bearer_auth(&access)
            .json(&json!({"password": WRONG}))
            .send()
            .await
            .expect("request");
        assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            json!({"current_password": PASSWORD, "new_password": NEW}),
        )
        .await;
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // On the page too: the same address is spent, whichever door.
    let client = no_redirects();
    let r = client
        .post(app.url("/login"))
        .form(&[("email", "sly@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(is_html(&r));
    app.stop().await;
}
