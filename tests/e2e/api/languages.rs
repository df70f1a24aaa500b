//! A user's language (contract §3, §6): chosen at sign-up by the `locale` field, else the
//! browser's `Accept-Language`, else `LATCHKEY_DEFAULT_LOCALE`, and shown by `GET /api/v1/me`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn locale_after_sign_up(
    app: &TestApp,
    email: &str,
    body: Value,
    accept: Option<&str>,
) -> Value {
    let mut request = app.client.post(app.url("/api/v1/register")).json(&body);
    if let Some(accept) = accept {
        request = request.header("accept-language", accept);
    }
    let r = request.send().await.expect("request");
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{body}");
    let token = app.smtp.new_token(email, "verify-email").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    let (access, _) = app.log_in(email).await;
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("json");
    me["locale"].clone()
}

#[tokio::test]
async fn the_field_wins_then_the_browser_then_the_default() {
    let app = TestApp::spawn_with(|s| s.default_locale = "sv".parse().expect("sv")).await;
    let cases = [
        ("field@example.com", Some("es-MX"), Some("de"), "es"),
        (
            "browser@example.com",
            None,
            Some("pt-BR, fr;q=0.8, de;q=0.5"),
            "fr",
        ),
        ("default@example.com", None, Some("zh-CN"), "sv"),
        ("nothing@example.com", None, None, "sv"),
    ];
    for (email, field, accept, expected) in cases {
        let mut body = json!({"email": email, "password": PASSWORD});
        if let Some(field) = field {
            body["locale"] = field.into();
        }
        let locale = locale_after_sign_up(&app, email, body, accept).await;
        assert_eq!(locale, json!(expected), "{email}");
    }
}

#[tokio::test]
async fn an_unknown_language_is_refused_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": "ann@example.com", "password": PASSWORD, "locale": "tlh"}),
        )
        .await;
    let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "locale", "{problem}");
    assert_eq!(app.user_count().await, 0);
}
