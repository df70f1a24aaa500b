//! `?return_to=` (contract §12): kept through the page flows (errors and the verification email
//! included), followed only under `LATCHKEY_RETURN_URLS`, and `LATCHKEY_APP_URL` for
//! "Continue".

use crate::support::*;
use reqwest::{StatusCode, header};

const BACK: &str = "https://app.example.com/after?x=1";
const BACK_Q: &str = "https%3A%2F%2Fapp.example.com%2Fafter%3Fx%3D1";

async fn app_with_return_urls() -> TestApp {
    TestApp::spawn_with(|s| {
        s.return_urls = vec!["https://app.example.com/".parse().expect("url")];
        s.app_url = Some("https://app.example.com/home".parse().expect("url"));
    })
    .await
}

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn sign_in_at(app: &TestApp, path: &str, password: &str) -> reqwest::Response {
    no_redirects()
        .post(app.url(path))
        .form(&[("email", "back@example.com"), ("password", password)])
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn signing_in_returns_to_an_allowed_url_through_errors() {
    let app = app_with_return_urls().await;
    app.verified_user("back@example.com").await;
    let html = app
        .client
        .get(app.url(&format!("/login?return_to={BACK_Q}")))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("action=\"/login?return_to={BACK_Q}\"")),
        "{html}"
    );
    // The links to the other signed-out pages carry it on too.
    assert!(
        html.contains(&format!("href=\"/register?return_to={BACK_Q}\"")),
        "{html}"
    );

    // A wrong password: the form again, still carrying it.
    let r = sign_in_at(
        &app,
        &format!("/login?return_to={BACK_Q}"),
        "wrong password!",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("action=\"/login?return_to={BACK_Q}\"")),
        "{html}"
    );

    let r = sign_in_at(&app, &format!("/login?return_to={BACK_Q}"), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).as_deref(), Some(BACK));

    // Without a return_to, the app's address.
    let r = sign_in_at(&app, "/login", PASSWORD).await;
    assert_eq!(
        location(&r).as_deref(),
        Some("https://app.example.com/home")
    );
    app.stop().await;
}

#[tokio::test]
async fn no_spelling_of_another_site_is_followed() {
    let app = app_with_return_urls().await;
    app.verified_user("back@example.com").await;
    for bad in [
        "//evil.example/",
        "\\\\evil.example/",
        "/\\evil.example/",
        "https:evil.example",
        "https:\\\\evil.example",
        "https://app.example.com@evil.example/",
        "https://app.example.com.evil.example/",
        "https://app.example.com./",
        "HTTPS://APP.EXAMPLE.COM.EVIL.EXAMPLE/",
        "https://app.example.com:8443/",
        "http://app.example.com/",
        "https://app.example.com%2eevil.example/",
        "javascript:alert(1)",
        "https://evil.example/?https://app.example.com/",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let r = sign_in_at(&app, &format!("/login?return_to={encoded}"), PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(
            location(&r).as_deref(),
            Some("https://app.example.com/home"),
            "{bad} must be ignored"
        );
        // Nor is it carried on in the page's forms or links.
        let html = app
            .client
            .get(app.url(&format!("/login?return_to={encoded}")))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("html");
        assert!(!html.contains("return_to"), "{bad}: {html}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_return_is_kept_across_the_verification_email() {
    let app = app_with_return_urls().await;
    let r = no_redirects()
        .post(app.url(&format!("/register?return_to={BACK_Q}")))
        .form(&[("email", "back@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let kept = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("latchkey_return_to="))
        .expect("the return is remembered")
        .to_owned();
    assert!(
        kept.contains("HttpOnly") && kept.contains("SameSite=Lax"),
        "{kept}"
    );
    let jar = kept.split(';').next().unwrap_or_default().to_owned();
    // The code form of "check your inbox" carries it.
    let html = r.text().await.expect("html");
    assert!(html.contains(&format!("return_to={BACK_Q}")), "{html}");

    // The link, opened in the same browser: its button, then "Sign in", lead back.
    let token = app.smtp.new_token("back@example.com", "verify-email").await;
    let html = app
        .client
        .get(app.url(&format!("/verify-email?token={token}")))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("action=\"/verify-email?return_to={BACK_Q}\"")),
        "{html}"
    );
    let html = app
        .client
        .post(app.url(&format!("/verify-email?return_to={BACK_Q}")))
        .header(header::COOKIE, &jar)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("href=\"/login?return_to={BACK_Q}\"")),
        "{html}"
    );
    let r = no_redirects()
        .post(app.url(&format!("/login?return_to={BACK_Q}")))
        .header(header::COOKIE, &jar)
        .form(&[("email", "back@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(location(&r).as_deref(), Some(BACK));
    // Done: the remembered return is cleared.
    assert!(
        r.headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("latchkey_return_to=;") && c.contains("Max-Age=0"))
    );
    // A cookie from elsewhere is checked like a query.
    let r = no_redirects()
        .post(app.url("/login"))
        .header(
            header::COOKIE,
            "latchkey_return_to=https%3A%2F%2Fevil.example%2F",
        )
        .form(&[("email", "back@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(
        location(&r).as_deref(),
        Some("https://app.example.com/home")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_emailed_link_carries_the_return_to_another_browser() {
    let app = app_with_return_urls().await;
    let r = no_redirects()
        .post(app.url(&format!("/register?return_to={BACK_Q}")))
        .form(&[("email", "elsewhere@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let token = app
        .smtp
        .new_token("elsewhere@example.com", "verify-email")
        .await;
    let mail = app
        .smtp
        .messages_to("elsewhere@example.com")
        .into_iter()
        .last()
        .expect("the verification email");
    let link = mail.link("verify-email").expect("the link");
    assert!(
        link.ends_with(&format!("/verify-email?token={token}&return_to={BACK_Q}")),
        "{link}"
    );
    assert!(
        mail.html
            .contains(&format!("token={token}&amp;return_to={BACK_Q}")),
        "the HTML part's link too"
    );

    // Opened on a phone (no cookie of the sign-up's browser): its button, then "Sign in",
    // lead back.
    let path = link
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let path = &path[path.find('/').unwrap_or_default()..];
    let html = app
        .client
        .get(app.url(path))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("action=\"/verify-email?return_to={BACK_Q}\"")),
        "{html}"
    );
    let html = app
        .client
        .post(app.url(&format!("/verify-email?return_to={BACK_Q}")))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("href=\"/login?return_to={BACK_Q}\"")),
        "{html}"
    );

    // A sign-up through the API, or one without a return_to, sends the plain link.
    app.register("plain@example.com").await;
    let token = app
        .smtp
        .new_token("plain@example.com", "verify-email")
        .await;
    let mail = app
        .smtp
        .messages_to("plain@example.com")
        .into_iter()
        .last()
        .expect("the verification email");
    assert!(
        mail.link("verify-email")
            .is_some_and(|l| l.ends_with(&format!("?token={token}"))),
        "{}",
        mail.text
    );
    app.stop().await;
}

#[tokio::test]
async fn without_settings_nothing_is_followed_and_continue_is_the_account() {
    let app = TestApp::spawn().await;
    app.verified_user("back@example.com").await;
    let r = sign_in_at(&app, &format!("/login?return_to={BACK_Q}"), PASSWORD).await;
    assert_eq!(location(&r).as_deref(), Some("/account"));
    app.stop().await;
}

#[tokio::test]
async fn the_return_is_kept_through_the_second_factor_step() {
    use crate::api::second_factor::{totp, with_app};
    let app = app_with_return_urls().await;
    let (access, _) = app.logged_in("back@example.com").await;
    let (secret, _) = with_app(&app, &access).await;

    // The right password: the step's form carries the return_to on.
    let r = sign_in_at(&app, &format!("/login?return_to={BACK_Q}"), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("action=\"/login/mfa?return_to={BACK_Q}\"")),
        "{html}"
    );
    let token = html
        .split("name=\"mfa_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the step's token")
        .to_owned();

    // A wrong code shows the step again, still carrying it; the right one leads back.
    let step = |code: String| {
        no_redirects()
            .post(app.url(&format!("/login/mfa?return_to={BACK_Q}")))
            .form(&[("mfa_token", token.clone()), ("code", code)])
            .send()
    };
    let html = step("000000".into())
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("action=\"/login/mfa?return_to={BACK_Q}\"")),
        "{html}"
    );
    let r = step(totp(&secret, 1)).await.expect("request");
    assert_eq!(location(&r).as_deref(), Some(BACK));
    app.stop().await;
}
