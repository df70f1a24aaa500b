//! Pages a newcomer tripped over (issue 19): a mistyped page path and `GET /logout` answer a
//! page in the browser's language, not JSON; the API and non-browser clients keep problem+json;
//! signing out tells the browser to drop its cached pages.

use crate::support::*;
use reqwest::{StatusCode, header};

async fn browse(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    lang: &str,
) -> reqwest::Response {
    no_redirects()
        .request(method, app.url(path))
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .header(header::ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .expect("request")
}

fn header_of(r: &reqwest::Response, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_mistyped_path_and_get_logout_answer_a_page_in_the_browsers_language() {
    let app = TestApp::spawn().await;
    for (method, path, status, words) in [
        (
            reqwest::Method::GET,
            "/acount",
            StatusCode::NOT_FOUND,
            "Hier gibt es keine Seite",
        ),
        (
            reqwest::Method::GET,
            "/login/extra",
            StatusCode::NOT_FOUND,
            "Hier gibt es keine Seite",
        ),
        (
            reqwest::Method::GET,
            "/logout",
            StatusCode::METHOD_NOT_ALLOWED,
            "Diese Seite lässt sich so nicht öffnen",
        ),
    ] {
        let r = browse(&app, method, path, "de-AT,de;q=0.9").await;
        assert_eq!(r.status(), status, "{path}");
        assert!(
            header_of(&r, header::CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
        assert!(header_of(&r, header::CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'"));
        let html = r.text().await.expect("html");
        assert!(
            html.contains("<html lang=\"de\">") && html.contains(words),
            "{path}: {html}"
        );
        assert!(html.contains("href=\"/\""), "a way on: {html}");
    }
    // In French too, for the same path.
    let html = browse(&app, reqwest::Method::GET, "/nowhere", "fr")
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("Il n’y a pas de page ici"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn the_api_and_non_browser_clients_still_get_problem_json() {
    let app = TestApp::spawn().await;
    for (method, path, status, code) in [
        (
            reqwest::Method::GET,
            "/api/v1/nowhere",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/login",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        // Even a browser's Accept gets JSON under /api/.
        let r = browse(&app, method.clone(), path, "en").await;
        assert_problem(r, status, code).await;
    }
    let r = app.get("/nowhere").await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

#[tokio::test]
async fn signing_out_clears_the_cached_pages() {
    let app = TestApp::spawn().await;
    let r = no_redirects()
        .post(app.url("/logout"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&r, header::HeaderName::from_static("clear-site-data")),
        "\"cache\""
    );
    app.stop().await;
}

#[tokio::test]
async fn a_dead_reset_link_says_so_before_a_password_is_typed() {
    let app = TestApp::spawn().await;
    let r = browse(
        &app,
        reqwest::Method::GET,
        "/reset-password?token=bogus",
        "en",
    )
    .await;
    let html = r.text().await.expect("html");
    assert!(
        !html.contains("name=\"new_password\""),
        "no password field: {html}"
    );
    assert!(
        html.contains("href=\"/forgot-password\""),
        "the next step: {html}"
    );

    // A live link shows the form, and checking it spent nothing.
    app.verified_user("reset@example.com").await;
    app.post(
        "/api/v1/password/forgot",
        serde_json::json!({"email": "reset@example.com"}),
    )
    .await;
    let token = app
        .smtp
        .new_token("reset@example.com", "reset-password")
        .await;
    let path = format!("/reset-password?token={token}");
    for _ in 0..2 {
        let r = browse(&app, reqwest::Method::GET, &path, "en").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.text()
                .await
                .expect("html")
                .contains("name=\"new_password\"")
        );
    }
    let r = app
        .post(
            "/api/v1/password/reset",
            serde_json::json!({"token": token, "new_password": "a new and long passphrase"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Used: the page says it is done, with no form.
    let r = browse(&app, reqwest::Method::GET, &path, "en").await;
    assert!(
        !r.text()
            .await
            .expect("html")
            .contains("name=\"new_password\"")
    );
    app.stop().await;
}

#[tokio::test]
async fn titles_name_the_product_once() {
    let app = TestApp::spawn().await;
    for (path, title) in [
        ("/login", "<title>Sign in to Latchkey</title>"),
        (
            "/forgot-password",
            "<title>Forgot your password? · Latchkey</title>",
        ),
    ] {
        let html = browse(&app, reqwest::Method::GET, path, "en")
            .await
            .text()
            .await
            .expect("html");
        assert!(html.contains(title), "{path}: {html}");
    }
    app.stop().await;
}
