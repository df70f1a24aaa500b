//! The refresh token in a cookie (contract §12): `Latchkey-Refresh: cookie` on log-in, refresh
//! and log-out; the cookie's flags; the rotation and reuse rules as for a body's token; the
//! header and `Origin` checks; CORS credentials only in this mode; a session begun on the pages
//! used by the app through the same call.

use std::time::Duration;

use crate::support::*;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const APP: &str = "https://app.example.com";
const MODE: &str = "latchkey-refresh";

async fn cookie_app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.refresh_cookie = true;
        s.cors_origins = vec![APP.to_owned()];
    })
    .await
}

/// The raw `Set-Cookie` header for `name`, if the answer sets it.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value a `Set-Cookie` header gives its cookie.
fn value_of(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// A cookie-mode call: the header, and the cookie jar given.
async fn call(app: &TestApp, path: &str, jar: &str, body: Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.url(path))
        .header(MODE, "cookie")
        .json(&body);
    if !jar.is_empty() {
        request = request.header(header::COOKIE, jar);
    }
    request.send().await.expect("request")
}

async fn cookie_login(app: &TestApp, email: &str) -> (String, String) {
    app.verified_user(email).await;
    let r = call(
        app,
        "/api/v1/login",
        "",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = set_cookie(&r, "latchkey_app_refresh").expect("the refresh cookie");
    let body: Value = r.json().await.expect("tokens");
    assert!(body.get("refresh_token").is_none(), "{body}");
    (str_of(&body, "access_token"), cookie)
}

#[tokio::test]
async fn the_refresh_token_lives_in_an_http_only_cookie_that_rotates_and_logs_out() {
    let app = cookie_app().await;
    let (access, cookie) = cookie_login(&app, "cookie@example.com").await;
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/",
        "Max-Age=2592000",
    ] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure on http: {cookie}");
    let first = value_of(&cookie);
    let jar = format!("latchkey_app_refresh={first}");

    // Refresh with `{}`: a new access token, the successor in the cookie, none in the body.
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let second = value_of(&set_cookie(&r, "latchkey_app_refresh").expect("rotated"));
    assert_ne!(second, first);
    let body: Value = r.json().await.expect("tokens");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(
        app.me_status(&str_of(&body, "access_token")).await,
        StatusCode::OK
    );

    // The tab that lost the race: refused, told so, and the session lives on.
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    assert!(
        set_cookie(&r, "latchkey_app_refresh").is_none(),
        "a loser's cookie is left alone"
    );
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert_eq!(problem["superseded"], true, "{problem}");
    let jar = format!("latchkey_app_refresh={second}");

    // Log-out ends the session and clears the cookie.
    let r = call(&app, "/api/v1/logout", &jar, json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookie(&r, "latchkey_app_refresh").expect("cleared");
    assert!(
        cleared.starts_with("latchkey_app_refresh=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert!(
        problem.get("superseded").is_none(),
        "a dead session is not superseded: {problem}"
    );
    app.stop().await;
}

#[tokio::test]
async fn reuse_after_the_grace_ends_the_session_as_with_a_body_token() {
    let app = cookie_app().await;
    let (_, cookie) = cookie_login(&app, "reuse@example.com").await;
    let stolen = format!("latchkey_app_refresh={}", value_of(&cookie));
    let r = call(&app, "/api/v1/token/refresh", &stolen, json!({})).await;
    let current = format!(
        "latchkey_app_refresh={}",
        value_of(&set_cookie(&r, "latchkey_app_refresh").expect("rotated"))
    );
    let access: Value = r.json().await.expect("tokens");
    app.advance(Duration::from_millis(10_500)).await;
    let r = call(&app, "/api/v1/token/refresh", &stolen, json!({})).await;
    // A dead token's cookie is cleared.
    assert!(set_cookie(&r, "latchkey_app_refresh").is_some_and(|c| c.contains("Max-Age=0")));
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    // Reuse revoked the whole session: the current cookie and its access token are dead too.
    let r = call(&app, "/api/v1/token/refresh", &current, json!({})).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    assert_eq!(
        app.me_status(&str_of(&access, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn the_cookie_is_used_only_with_the_header_and_from_allowed_origins() {
    let app = cookie_app().await;
    let (_, cookie) = cookie_login(&app, "origins@example.com").await;
    let jar = format!("latchkey_app_refresh={}", value_of(&cookie));
    let client = reqwest::Client::new();

    // Without the header the cookie is not looked at: a body token is required.
    let r = client
        .post(app.url("/api/v1/token/refresh"))
        .header(header::COOKIE, &jar)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    let r = client
        .post(app.url("/api/v1/logout"))
        .header(header::COOKIE, &jar)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;

    // Another site's script (which could only send the header after a preflight it fails).
    for origin in [
        "https://evil.example",
        "null",
        "https://app.example.com.evil.example",
    ] {
        for path in ["/api/v1/token/refresh", "/api/v1/logout"] {
            let r = client
                .post(app.url(path))
                .header(MODE, "cookie")
                .header(header::ORIGIN, origin)
                .header(header::COOKIE, &jar)
                .json(&json!({}))
                .send()
                .await
                .expect("request");
            assert!(set_cookie(&r, "latchkey_app_refresh").is_none());
            assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
        }
    }
    // The session survived all that; the app's origin and the public URL's may use it.
    let public = app.settings.public_url.origin().ascii_serialization();
    let mut jar = jar;
    for origin in [APP, public.as_str()] {
        let r = client
            .post(app.url("/api/v1/token/refresh"))
            .header(MODE, "cookie")
            .header(header::ORIGIN, origin)
            .header(header::COOKIE, &jar)
            .json(&json!({}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK, "from {origin}");
        jar = format!(
            "latchkey_app_refresh={}",
            value_of(&set_cookie(&r, "latchkey_app_refresh").expect("rotated"))
        );
    }
    app.stop().await;
}

/// The preflight and the answer an allowed origin sees, with and without the cookie mode.
async fn cors(app: &TestApp) -> (reqwest::Response, reqwest::Response) {
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/token/refresh"))
        .header(header::ORIGIN, APP)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,latchkey-refresh",
        )
        .send()
        .await
        .expect("preflight");
    let answer = client
        .post(app.url("/api/v1/token/refresh"))
        .header(header::ORIGIN, APP)
        .json(&json!({"refresh_token": "x"}))
        .send()
        .await
        .expect("request");
    (preflight, answer)
}

fn header_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn cors_allows_credentials_only_in_the_cookie_mode_and_only_for_allowed_origins() {
    let on = cookie_app().await;
    let (preflight, answer) = cors(&on).await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header_of(&preflight, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        header_of(&preflight, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let allowed = header_of(&preflight, "access-control-allow-headers").unwrap_or_default();
    assert!(
        allowed.to_ascii_lowercase().contains("latchkey-refresh"),
        "{allowed}"
    );
    assert_eq!(
        header_of(&answer, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    // Another origin gets no CORS header at all, credentials least of all.
    let r = reqwest::Client::new()
        .post(on.url("/api/v1/token/refresh"))
        .header(header::ORIGIN, "https://evil.example")
        .json(&json!({"refresh_token": "x"}))
        .send()
        .await
        .expect("request");
    assert!(
        r.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
    on.stop().await;

    let off = TestApp::spawn_with(|s| s.cors_origins = vec![APP.to_owned()]).await;
    let (preflight, answer) = cors(&off).await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header_of(&preflight, "access-control-allow-credentials"),
        None
    );
    assert_eq!(header_of(&answer, "access-control-allow-credentials"), None);
    assert_eq!(
        header_of(&answer, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    // With the mode off the header asks for nothing: the token comes in the body.
    off.verified_user("off@example.com").await;
    let r = call(
        &off,
        "/api/v1/login",
        "",
        json!({"email": "off@example.com", "password": PASSWORD}),
    )
    .await;
    assert!(set_cookie(&r, "latchkey_app_refresh").is_none());
    let (_, refresh) = tokens_of(r).await;
    assert!(!refresh.is_empty());
    off.stop().await;
}

#[tokio::test]
async fn retry_after_is_readable_by_scripts_of_allowed_origins() {
    let app = TestApp::spawn_with(|s| {
        s.cors_origins = vec![APP.to_owned()];
        s.rate_limit = true;
    })
    .await;
    let client = reqwest::Client::new();
    let mut limited = None;
    for _ in 0..70 {
        let r = client
            .post(app.url("/api/v1/login"))
            .header(header::ORIGIN, APP)
            .json(&json!({"email": "limit@example.com", "password": "wrong password"}))
            .send()
            .await
            .expect("request");
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the log-in limit answers 429");
    assert!(header_of(&r, "retry-after").is_some());
    let exposed = header_of(&r, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.to_ascii_lowercase().contains("retry-after"),
        "{exposed:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_session_begun_on_the_pages_is_the_apps_through_the_same_call() {
    let app = cookie_app().await;
    app.verified_user("pages@example.com").await;
    let r = no_redirects()
        .post(app.url("/login"))
        .form(&[("email", "pages@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pages_refresh = value_of(&set_cookie(&r, "latchkey_refresh").expect("the pages' cookie"));

    // The browser sends the pages' cookie (Path=/) to /api/v1/ too.
    let jar = format!("latchkey_refresh={pages_refresh}");
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The successor goes back into the pages' cookie, so the pages keep the current token.
    let rotated = set_cookie(&r, "latchkey_refresh").expect("the pages' cookie, rotated");
    assert!(rotated.contains("Path=/;"), "{rotated}");
    let body: Value = r.json().await.expect("tokens");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(
        app.me_status(&str_of(&body, "access_token")).await,
        StatusCode::OK
    );

    // The pages go on with the rotated cookie (no access cookie: they refresh too).
    let r = no_redirects()
        .get(app.url("/account"))
        .header(
            header::COOKIE,
            format!("latchkey_refresh={}", value_of(&rotated)),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let jar = format!(
        "latchkey_refresh={}",
        value_of(&set_cookie(&r, "latchkey_refresh").expect("the pages rotated it"))
    );

    // Log-out through the API ends that session and clears the pages' cookies too.
    let r = call(&app, "/api/v1/logout", &jar, json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for name in [
        "latchkey_refresh",
        "latchkey_access",
        "latchkey_app_refresh",
    ] {
        assert!(
            set_cookie(&r, name).is_some_and(|c| c.contains("Max-Age=0")),
            "{name}"
        );
    }
    let r = no_redirects()
        .get(app.url("/account"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn signing_out_on_the_pages_clears_the_cache_and_the_app_cookie() {
    let app = cookie_app().await;
    let (_, cookie) = cookie_login(&app, "both@example.com").await;
    let jar = format!("latchkey_app_refresh={}", value_of(&cookie));
    let r = no_redirects()
        .post(app.url("/logout"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&r, "clear-site-data").as_deref(),
        Some("\"cache\"")
    );
    assert!(set_cookie(&r, "latchkey_app_refresh").is_some_and(|c| c.contains("Max-Age=0")));
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    app.stop().await;
}

#[tokio::test]
async fn the_second_factor_step_and_sign_in_by_email_set_the_cookie_too() {
    use super::second_factor::{totp, with_app};
    let app = cookie_app().await;
    let email = "cookie.mfa@example.com";
    let (access, _) = app.logged_in(email).await;
    let (secret, _) = with_app(&app, &access).await;

    // The password with the header: the step, then its code with the header: the cookie.
    let r = call(
        &app,
        "/api/v1/login",
        "",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_required").await;
    let step = json!({"mfa_token": str_of(&problem, "mfa_token"), "code": totp(&secret, 1)});
    // Another site may not ask: refused before the step is spent.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/login/mfa"))
        .header(MODE, "cookie")
        .header(header::ORIGIN, "https://evil.example")
        .json(&step)
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = call(&app, "/api/v1/login/mfa", "", step).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = set_cookie(&r, "latchkey_app_refresh").expect("the refresh cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/api/v1/"));
    let body: Value = r.json().await.expect("tokens");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let jar = format!("latchkey_app_refresh={}", value_of(&cookie));
    let r = call(&app, "/api/v1/token/refresh", &jar, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Sign-in by email: its code with the header.
    let other = "cookie.email@example.com";
    app.verified_user(other).await;
    let r = app
        .post("/api/v1/login/email", json!({"email": other}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, code) = app.smtp.new_token_and_code(other, "sign-in").await;
    let r = call(
        &app,
        "/api/v1/login/email/confirm",
        "",
        json!({"email": other, "code": code}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(set_cookie(&r, "latchkey_app_refresh").is_some());
    let body: Value = r.json().await.expect("tokens");
    assert!(body.get("refresh_token").is_none(), "{body}");
    app.stop().await;
}
