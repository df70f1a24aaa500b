//! Codes beside links (contract §4): the 6-digit code in the verification and reset emails,
//! typed with the address, does what the link does, and using either uses both. Everything
//! here goes through the real server and the real SMTP listener: the code is read from the
//! email that arrived.

use std::time::Duration;

use crate::support::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn verify_code(app: &TestApp, email: &str, code: &str) -> Response {
    app.post(
        "/api/v1/email/verify",
        json!({"email": email, "code": code}),
    )
    .await
}

async fn reset_code(app: &TestApp, email: &str, code: &str, password: &str) -> Response {
    app.post(
        "/api/v1/password/reset",
        json!({"email": email, "code": code, "new_password": password}),
    )
    .await
}

async fn reset_token(app: &TestApp, token: &str, password: &str) -> Response {
    app.post(
        "/api/v1/password/reset",
        json!({"token": token, "new_password": password}),
    )
    .await
}

async fn forgot(app: &TestApp, email: &str) {
    let r = app
        .post("/api/v1/password/forgot", json!({"email": email}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

/// Registers and returns the (token, code) of the verification email.
async fn signed_up(app: &TestApp, email: &str) -> (String, String) {
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    app.smtp.new_token_and_code(email, "verify-email").await
}

/// A code that is surely not `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn code_invalid(r: Response) -> Value {
    assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await
}

#[tokio::test]
async fn the_verification_code_verifies_and_uses_the_link() {
    let app = TestApp::spawn().await;
    let (token, code) = signed_up(&app, "Code.User@Example.com").await;
    assert_problem(
        app.login("code.user@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    // Typed with the address in any case, with the spaces people add.
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let r = verify_code(&app, "code.user@EXAMPLE.com", &spaced).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "verified", "email": "Code.User@Example.com"})
    );
    app.log_in("code.user@example.com").await;

    // Using the code used the link, and the code works once.
    assert_problem(app.verify(&token).await, StatusCode::CONFLICT, "token_used").await;
    code_invalid(verify_code(&app, "code.user@example.com", &code).await).await;
    app.stop().await;
}

#[tokio::test]
async fn using_the_link_kills_the_code() {
    let app = TestApp::spawn().await;
    let (token, code) = signed_up(&app, "link-first@example.com").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    code_invalid(verify_code(&app, "link-first@example.com", &code).await).await;

    forgot(&app, "link-first@example.com").await;
    let (token, code) = app
        .smtp
        .new_token_and_code("link-first@example.com", "reset-password")
        .await;
    assert_eq!(
        reset_token(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    code_invalid(
        reset_code(
            &app,
            "link-first@example.com",
            &code,
            "another passphrase 2",
        )
        .await,
    )
    .await;
    assert_eq!(
        app.login("link-first@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn a_reset_by_code_is_a_reset_like_by_link() {
    let app = TestApp::spawn().await;
    let (_, refresh) = app.logged_in("reset-code@example.com").await;
    forgot(&app, "reset-code@example.com").await;
    let (token, code) = app
        .smtp
        .new_token_and_code("reset-code@example.com", "reset-password")
        .await;

    // A weak password is refused first and spends nothing: the same code still works after.
    assert_problem(
        reset_code(&app, "reset-code@example.com", &code, "password1").await,
        StatusCode::BAD_REQUEST,
        "weak_password",
    )
    .await;
    let r = reset_code(&app, "reset-code@example.com", &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "password_changed"})
    );

    // Every session is revoked, nobody is logged in, the new password works, the owner is
    // told, and the link of the same email is used.
    assert_problem(
        app.refresh(&refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.login("reset-code@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("reset-code@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    app.smtp
        .with_subject("reset-code@example.com", "password was changed")
        .await;
    assert_problem(
        reset_token(&app, &token, "yet another passphrase").await,
        StatusCode::CONFLICT,
        "token_used",
    )
    .await;
    code_invalid(
        reset_code(
            &app,
            "reset-code@example.com",
            &code,
            "yet another passphrase",
        )
        .await,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_reset_by_code_verifies_an_unverified_account() {
    let app = TestApp::spawn().await;
    signed_up(&app, "unverified@example.com").await;
    forgot(&app, "unverified@example.com").await;
    let (_, code) = app
        .smtp
        .new_token_and_code("unverified@example.com", "reset-password")
        .await;
    assert_eq!(
        reset_code(&app, "unverified@example.com", &code, NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let (access, _) = tokens_of(app.login("unverified@example.com", NEW_PASSWORD).await).await;
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(me["email_verified"], true);
    app.stop().await;
}

#[tokio::test]
async fn only_the_newest_code_works_while_earlier_links_stay_valid() {
    let app = TestApp::spawn().await;
    let (first_token, first_code) = signed_up(&app, "newest@example.com").await;
    assert_eq!(
        app.resend("newest@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    let (_, second_code) = app
        .smtp
        .new_token_and_code("newest@example.com", "verify-email")
        .await;
    if first_code != second_code {
        code_invalid(verify_code(&app, "newest@example.com", &first_code).await).await;
    }
    // A resend leaves earlier links valid (§4); only the code was superseded.
    assert_eq!(app.verify(&first_token).await.status(), StatusCode::OK);
    // And that link's use made every verification code dead too.
    code_invalid(verify_code(&app, "newest@example.com", &second_code).await).await;

    forgot(&app, "newest@example.com").await;
    let (_, old) = app
        .smtp
        .new_token_and_code("newest@example.com", "reset-password")
        .await;
    forgot(&app, "newest@example.com").await;
    let (_, new) = app
        .smtp
        .new_token_and_code("newest@example.com", "reset-password")
        .await;
    if old != new {
        code_invalid(reset_code(&app, "newest@example.com", &old, NEW_PASSWORD).await).await;
    }
    assert_eq!(
        reset_code(&app, "newest@example.com", &new, NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn five_wrong_codes_kill_the_code_but_not_the_link() {
    let app = TestApp::spawn().await;
    // Four wrong tries leave the code working.
    let (_, code) = signed_up(&app, "four@example.com").await;
    for _ in 0..4 {
        code_invalid(verify_code(&app, "four@example.com", &wrong(&code)).await).await;
    }
    assert_eq!(
        verify_code(&app, "four@example.com", &code).await.status(),
        StatusCode::OK
    );

    // The fifth kills it: the right code is refused from then on, the link still works.
    let (token, code) = signed_up(&app, "five@example.com").await;
    for _ in 0..5 {
        code_invalid(verify_code(&app, "five@example.com", &wrong(&code)).await).await;
    }
    code_invalid(verify_code(&app, "five@example.com", &code).await).await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);

    // The same for a reset code; the count is per purpose (the verification tries above do
    // not count against it).
    forgot(&app, "five@example.com").await;
    let (token, code) = app
        .smtp
        .new_token_and_code("five@example.com", "reset-password")
        .await;
    for _ in 0..5 {
        code_invalid(reset_code(&app, "five@example.com", &wrong(&code), NEW_PASSWORD).await).await;
    }
    code_invalid(reset_code(&app, "five@example.com", &code, NEW_PASSWORD).await).await;
    assert_eq!(
        reset_token(&app, &token, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );

    // A new code starts a new count.
    forgot(&app, "five@example.com").await;
    let (_, code) = app
        .smtp
        .new_token_and_code("five@example.com", "reset-password")
        .await;
    assert_eq!(
        reset_code(&app, "five@example.com", &code, "the third passphrase")
            .await
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_wrong_codes_cannot_pass_the_limit() {
    let app = TestApp::spawn().await;
    let (_, code) = signed_up(&app, "burst@example.com").await;
    let bad = wrong(&code);
    let tries = (0..20).map(|_| verify_code(&app, "burst@example.com", &bad));
    for r in futures::future::join_all(tries).await {
        code_invalid(r).await;
    }
    // Every wrong try counts, up to the address's cap of 10 a day (issue 17).
    let counted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM code_failures")
        .fetch_one(app.db().await)
        .await
        .expect("count");
    assert_eq!(counted, 10);
    code_invalid(verify_code(&app, "burst@example.com", &code).await).await;
    app.stop().await;
}

#[tokio::test]
async fn every_failure_is_one_answer_that_says_nothing_about_accounts() {
    let app = TestApp::spawn().await;
    let (_, code) = signed_up(&app, "known@example.com").await;
    forgot(&app, "known@example.com").await;
    let (_, reset) = app
        .smtp
        .new_token_and_code("known@example.com", "reset-password")
        .await;

    let mut bodies = Vec::new();
    // Unknown addresses, with any code.
    bodies.push(code_invalid(verify_code(&app, "nobody@example.com", &code).await).await);
    bodies.push(code_invalid(verify_code(&app, "nobody@example.com", "000000").await).await);
    bodies.push(
        code_invalid(reset_code(&app, "nobody@example.com", &reset, NEW_PASSWORD).await).await,
    );
    // A wrong code, a code for the other purpose, a malformed code, for a known address.
    bodies.push(code_invalid(verify_code(&app, "known@example.com", &wrong(&code)).await).await);
    if reset != code {
        bodies.push(code_invalid(verify_code(&app, "known@example.com", &reset).await).await);
    }
    bodies.push(code_invalid(verify_code(&app, "known@example.com", "12345").await).await);
    bodies.push(code_invalid(verify_code(&app, "known@example.com", "abcdef").await).await);
    // An expired code (its link expired).
    app.sql_for(
        "UPDATE link_tokens SET expires_at = 1 WHERE purpose = 'reset_password' AND user_id = \
         (SELECT id FROM users WHERE email_norm = $1)",
        "known@example.com",
    )
    .await;
    bodies.push(
        code_invalid(reset_code(&app, "known@example.com", &reset, NEW_PASSWORD).await).await,
    );
    // A used one.
    assert_eq!(
        verify_code(&app, "known@example.com", &code).await.status(),
        StatusCode::OK
    );
    bodies.push(code_invalid(verify_code(&app, "known@example.com", &code).await).await);
    for body in &bodies {
        assert_eq!(body, &bodies[0], "every code failure answers alike");
    }
    app.stop().await;
}

#[tokio::test]
async fn bodies_take_a_token_or_an_address_with_a_code() {
    let app = TestApp::spawn().await;
    for (path, body, field) in [
        ("/api/v1/email/verify", json!({}), "token"),
        (
            "/api/v1/email/verify",
            json!({"email": "a@example.com"}),
            "code",
        ),
        ("/api/v1/email/verify", json!({"code": "123456"}), "email"),
        (
            "/api/v1/password/reset",
            json!({"email": "a@example.com", "code": "123456"}),
            "new_password",
        ),
        (
            "/api/v1/password/reset",
            json!({"email": "a@example.com", "new_password": NEW_PASSWORD}),
            "code",
        ),
    ] {
        let problem = assert_problem(
            app.post(path, body.clone()).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{path} {body}: {problem}"
        );
    }
    // A body with a token is the link shape, whatever else it holds.
    assert_problem(
        app.post(
            "/api/v1/email/verify",
            json!({"token": "x", "email": "a@example.com", "code": "123456"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    // A malformed address is named as such; it says nothing about accounts.
    assert_problem(
        verify_code(&app, "not an address", "123456").await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn of_twenty_concurrent_uses_of_one_code_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let (_, code) = signed_up(&app, "race-verify@example.com").await;
    let uses = (0..20).map(|_| verify_code(&app, "race-verify@example.com", &code));
    let statuses: Vec<StatusCode> = futures::future::join_all(uses)
        .await
        .iter()
        .map(Response::status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST),
        "{statuses:?}"
    );

    forgot(&app, "race-verify@example.com").await;
    let (_, code) = app
        .smtp
        .new_token_and_code("race-verify@example.com", "reset-password")
        .await;
    let uses = (0..20).map(|i| {
        let password = format!("{NEW_PASSWORD} {i}");
        let code = code.clone();
        let app = &app;
        async move {
            reset_code(app, "race-verify@example.com", &code, &password)
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(uses).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST),
        "{statuses:?}"
    );
    // Every notice is an outbox row, sent or not (counting received emails beside unsent
    // rows raced with the worker: a notice received but not yet marked sent counted twice).
    assert_eq!(
        app.outbox_to("race-verify@example.com")
            .await
            .iter()
            .filter(|m| m.kind == "password_changed")
            .count(),
        1,
        "one reset, one notice"
    );
    let notices = app
        .smtp
        .wait_for("race-verify@example.com", 3, MAIL_TIMEOUT)
        .await
        .iter()
        .filter(|m| m.subject.to_lowercase().contains("password was changed"))
        .count();
    assert_eq!(notices, 1, "the notice is sent once");
    app.stop().await;
}

#[tokio::test]
async fn a_password_change_kills_the_reset_code() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("changed@example.com").await;
    forgot(&app, "changed@example.com").await;
    let (_, code) = app
        .smtp
        .new_token_and_code("changed@example.com", "reset-password")
        .await;
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &access,
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    code_invalid(reset_code(&app, "changed@example.com", &code, "a third passphrase").await).await;
    app.stop().await;
}

#[tokio::test]
async fn codes_are_not_readable_at_rest_and_survive_a_secret_rotation() {
    let app = TestApp::spawn().await;
    // The worker waits: the code is in the outbox, sealed.
    app.smtp.refuse();
    assert_eq!(
        app.register("rest@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    // The sign-up is recorded just after its answer.
    wait_until(
        "the sign-up is recorded",
        Duration::from_secs(10),
        || async { !app.outbox().await.is_empty() },
    )
    .await;
    let payloads: Vec<(String, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT CAST(payload AS TEXT), sealed_link FROM outbox")
            .fetch_all(app.db().await)
            .await
            .expect("outbox");
    app.smtp.resume();
    assert!(
        payloads.iter().any(|(_, sealed)| sealed.is_some()),
        "the verification email was queued with its sealed link and code"
    );
    let (_, code) = app
        .smtp
        .new_token_and_code("rest@example.com", "verify-email")
        .await;
    for (payload, sealed) in &payloads {
        assert!(
            !payload.contains(&code) && !payload.contains("\"code\""),
            "{payload}"
        );
        let sealed = sealed.as_deref().unwrap_or_default();
        assert!(!sealed.windows(6).any(|w| w == code.as_bytes()));
    }
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM link_codes")
        .fetch_all(app.db().await)
        .await
        .expect("codes");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32);
    assert!(!stored[0].windows(6).any(|w| w == code.as_bytes()));

    // A code sent before a rotation works after it, while the old secret is the previous one.
    app.stop().await;
    let rotated = app
        .restart_with(|s| {
            s.secret = Some(OTHER_SECRET.parse().expect("secret"));
            s.secret_previous = Some(SECRET.parse().expect("secret"));
        })
        .await;
    assert_eq!(
        verify_code(&rotated, "rest@example.com", &code)
            .await
            .status(),
        StatusCode::OK
    );
    rotated.stop().await;
}

#[tokio::test]
async fn deleting_an_account_deletes_its_codes() {
    let app = TestApp::spawn().await;
    signed_up(&app, "gone@example.com").await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM link_codes")
            .fetch_one(app.db().await)
            .await
            .expect("count")
    };
    assert_eq!(count().await, 1);
    if !app.is_postgres() {
        // SQLite enforces foreign keys (and their cascades) only when asked, per connection;
        // PostgreSQL always does.
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(app.db().await)
            .await
            .expect("pragma");
    }
    app.sql_for(
        "DELETE FROM users WHERE email_norm = $1",
        "gone@example.com",
    )
    .await;
    assert_eq!(count().await, 0);
    app.stop().await;
}

#[tokio::test]
async fn code_attempts_count_against_the_link_limit_on_api_and_pages() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = true;
        s.rate_limits.link = latchkey::configuration::Quota {
            limit: 3,
            window: std::time::Duration::from_secs(60),
        };
    })
    .await;
    for _ in 0..2 {
        code_invalid(verify_code(&app, "limit@example.com", "123456").await).await;
    }
    // The page form counts under the same key.
    let r = app
        .post_raw(
            "/verify-email/code",
            Some("application/x-www-form-urlencoded"),
            "email=limit%40example.com&code=123456",
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = verify_code(&app, "limit@example.com", "123456").await;
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let r = app
        .post_raw(
            "/verify-email/code",
            Some("application/x-www-form-urlencoded"),
            "email=limit%40example.com&code=123456",
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

// --- The pages ---

/// A form post as the browser sends it from one of our pages.
async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> String {
    let r = app
        .client
        .post(app.url(path))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.base)
        .form(form)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    r.text().await.expect("html")
}

/// The `<input>` tag of the field `name` in `html`.
fn input<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} field in {html}"));
    let start = html[..at].rfind("<input").unwrap_or(at);
    let end = html[at..].find('>').map_or(html.len(), |i| at + i);
    &html[start..=end.min(html.len() - 1)]
}

#[tokio::test]
async fn the_code_pages_have_fields_password_managers_understand() {
    let app = TestApp::spawn().await;
    for (path, fields) in [
        (
            "/verify-email/code",
            vec![("email", "email"), ("code", "one-time-code")],
        ),
        (
            "/reset-password/code",
            vec![
                ("email", "email"),
                ("code", "one-time-code"),
                ("new_password", "new-password"),
            ],
        ),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("html");
        assert!(html.contains(&format!("action=\"{path}\"")), "{html}");
        assert!(html.contains("method=\"post\""), "{html}");
        for (name, autocomplete) in fields {
            let tag = input(&html, name);
            assert!(
                tag.contains(&format!("autocomplete=\"{autocomplete}\"")),
                "{path} {name}: {tag}"
            );
        }
        assert!(input(&html, "code").contains("inputmode=\"numeric\""));
    }
    // A link page opened without its token points to the code form.
    let html = app.get("/verify-email").await.text().await.expect("html");
    assert!(html.contains("href=\"/verify-email/code\""), "{html}");
    let html = app.get("/reset-password").await.text().await.expect("html");
    assert!(html.contains("href=\"/reset-password/code\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn after_sign_up_the_check_your_inbox_page_takes_the_code() {
    let app = TestApp::spawn().await;
    let html = post_form(
        &app,
        "/register",
        &[("email", "page-code@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert!(html.contains("Check your inbox"), "{html}");
    assert!(html.contains("action=\"/verify-email/code\""), "{html}");
    assert!(
        input(&html, "email").contains("value=\"page-code@example.com\""),
        "the address is filled in: {html}"
    );
    let (token, code) = app
        .smtp
        .new_token_and_code("page-code@example.com", "verify-email")
        .await;

    // A cross-site post of the form is refused and spends nothing.
    let r = app
        .client
        .post(app.url("/verify-email/code"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .form(&[("email", "page-code@example.com"), ("code", code.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A wrong code is explained on the form, the address kept.
    let html = post_form(
        &app,
        "/verify-email/code",
        &[("email", "page-code@example.com"), ("code", &wrong(&code))],
    )
    .await;
    assert!(html.contains("That code doesn’t work"), "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(input(&html, "email").contains("value=\"page-code@example.com\""));

    let html = post_form(
        &app,
        "/verify-email/code",
        &[("email", "page-code@example.com"), ("code", &code)],
    )
    .await;
    assert!(html.contains("is confirmed"), "{html}");
    app.log_in("page-code@example.com").await;
    assert_problem(app.verify(&token).await, StatusCode::CONFLICT, "token_used").await;

    // Resend's page carries the same form.
    let html = post_form(
        &app,
        "/resend-verification",
        &[("email", "someone@example.com")],
    )
    .await;
    assert!(html.contains("action=\"/verify-email/code\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn after_forgot_password_the_page_resets_with_the_code() {
    let app = TestApp::spawn().await;
    app.verified_user("page-reset@example.com").await;
    let html = post_form(
        &app,
        "/forgot-password",
        &[("email", "page-reset@example.com")],
    )
    .await;
    assert!(html.contains("Check your inbox"), "{html}");
    assert!(html.contains("action=\"/reset-password/code\""), "{html}");
    assert!(input(&html, "email").contains("value=\"page-reset@example.com\""));
    let (_, code) = app
        .smtp
        .new_token_and_code("page-reset@example.com", "reset-password")
        .await;

    // A weak password keeps the code in the form: it is still good.
    let html = post_form(
        &app,
        "/reset-password/code",
        &[
            ("email", "page-reset@example.com"),
            ("code", &code),
            ("new_password", "password1"),
        ],
    )
    .await;
    assert!(html.contains("too common"), "{html}");
    assert!(
        input(&html, "code").contains(&format!("value=\"{code}\"")),
        "{html}"
    );

    let html = post_form(
        &app,
        "/reset-password/code",
        &[
            ("email", "page-reset@example.com"),
            ("code", &code),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(html.contains("Password changed"), "{html}");
    assert_eq!(
        app.login("page-reset@example.com", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );

    // Used: the form says so, in the one answer for every failure.
    let html = post_form(
        &app,
        "/reset-password/code",
        &[
            ("email", "page-reset@example.com"),
            ("code", &code),
            ("new_password", "another new passphrase"),
        ],
    )
    .await;
    assert!(html.contains("That code doesn’t work"), "{html}");
    // An unknown address reads the same (but for the address kept in the form).
    let unknown = post_form(
        &app,
        "/reset-password/code",
        &[
            ("email", "ghost@example.com"),
            ("code", &code),
            ("new_password", "another new passphrase"),
        ],
    )
    .await;
    assert_eq!(
        html,
        unknown.replace("ghost@example.com", "page-reset@example.com")
    );
    app.stop().await;
}
