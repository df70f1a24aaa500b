//! Signing in through the pages and managing the account without JavaScript (contract §8).

mod common;

use common::*;
use reqwest::{StatusCode, header};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `name=value` pairs of the response's Set-Cookie headers, and the raw headers.
fn cookies(r: &reqwest::Response) -> (String, Vec<String>) {
    let raw: Vec<String> = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let pairs = raw
        .iter()
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    (pairs, raw)
}

async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str) -> (String, Vec<String>) {
    let r = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/account")
    );
    cookies(&r)
}

async fn page(
    client: &reqwest::Client,
    url: String,
    jar: &str,
    form: Option<&[(&str, &str)]>,
) -> reqwest::Response {
    let request = match form {
        Some(form) => client.post(url).form(form),
        None => client.get(url),
    };
    request
        .header(header::COOKIE, jar)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn sign_in_manage_the_account_and_sign_out() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    app.verified_user("web@example.com").await;

    let r = client
        .post(app.url("/login"))
        .form(&[("email", "web@example.com"), ("password", "wrong one!")])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("That email address and password don’t match")
    );

    let (jar, raw) = sign_in(&app, &client, "web@example.com").await;
    // The two tokens, and the user's language for the pages after signing out.
    assert_eq!(raw.len(), 3);
    assert!(
        raw.iter().any(|c| c.starts_with("latchkey_lang=en;")),
        "{raw:?}"
    );
    for c in &raw {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"),
            "{c}"
        );
        assert!(!c.contains("Secure"), "not on plain http: {c}");
    }

    let r = page(&client, app.url("/account"), &jar, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("web@example.com") && html.contains("This device"),
        "{html}"
    );

    let r = page(
        &client,
        app.url("/account/email"),
        &jar,
        Some(&[("new_email", "web2@example.com"), ("password", PASSWORD)]),
    )
    .await;
    let html = r.text().await.expect("html");
    assert!(
        html.contains("We sent confirmation links") && html.contains("web2@example.com"),
        "{html}"
    );
    app.smtp
        .new_token("web2@example.com", "confirm-email-change")
        .await;
    let r = page(&client, app.url("/account/email/cancel"), &jar, Some(&[])).await;
    assert!(r.text().await.expect("html").contains("cancelled"));

    let r = page(
        &client,
        app.url("/account/password"),
        &jar,
        Some(&[
            ("current_password", "nope nope"),
            ("new_password", "fresh secret 123"),
        ]),
    )
    .await;
    // A wrong current password is said to be that, beside its field.
    let html = r.text().await.expect("html");
    assert!(
        html.contains("That isn’t your current password.")
            && html.contains("aria-describedby=\"password-current-password-error\"")
            && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    let r = page(
        &client,
        app.url("/account/password"),
        &jar,
        Some(&[
            ("current_password", PASSWORD),
            ("new_password", "fresh secret 123"),
        ]),
    )
    .await;
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("password was changed")
    );

    // Without a usable access cookie the refresh cookie signs the page in and is rotated.
    let refresh_only = jar
        .split("; ")
        .filter(|c| c.starts_with("latchkey_refresh="))
        .collect::<Vec<_>>()
        .join("; ");
    let r = page(&client, app.url("/account"), &refresh_only, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (rotated, _) = cookies(&r);
    assert!(
        rotated.contains("latchkey_access=") && rotated.contains("latchkey_refresh="),
        "{rotated}"
    );

    let r = page(&client, app.url("/logout"), &rotated, Some(&[])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = page(&client, app.url("/account"), &rotated, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
    let r = client
        .get(app.url("/account"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    app.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_on_https_and_cross_site_posts_are_refused() {
    let app =
        TestApp::spawn_with(|s| s.public_url = "https://id.example.com".parse().expect("url"))
            .await;
    let client = no_redirects();
    app.verified_user("sec@example.com").await;
    let (jar, raw) = sign_in(&app, &client, "sec@example.com").await;
    assert!(raw.iter().all(|c| c.contains("; Secure")), "{raw:?}");

    let r = client
        .post(app.url("/account/password"))
        .header(header::COOKIE, &jar)
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("current_password", PASSWORD),
            ("new_password", "hijacked secret 1"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.login("sec@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "the password did not change"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_sign_in_page_shares_the_api_log_in_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit = true).await;
    let client = no_redirects();
    let wrong = [
        ("email", "target@example.com"),
        ("password", "guess guess 1"),
    ];
    // Five wrong passwords through the API and five through the page: the allowance of ten a
    // minute per client and address is spent, whichever door was used.
    for _ in 0..5 {
        let r = app.login("target@example.com", "guess guess 1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = client
            .post(app.url("/login"))
            .form(&wrong)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = client
        .post(app.url("/login"))
        .form(&wrong)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert_problem(
        app.login("target@example.com", "guess guess 1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    // Another address from the same client is still allowed.
    let r = app.login("someone.else@example.com", "guess guess 1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
