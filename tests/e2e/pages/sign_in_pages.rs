//! The pages of signing in beyond the password (contract §8, §11), without JavaScript: two-step
//! verification set up on /account, the second-factor step after /login, and sign-in by email
//! (the link page confirms with a button; the code form).

use reqwest::{StatusCode, header};

use crate::api::second_factor::totp;
use crate::support::*;

fn jar_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The value of the hidden input `name` in `html`.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at..];
    let value = rest.find("value=\"").expect("a value") + 7;
    rest[value..].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn two_step_verification_on_the_account_page_and_at_sign_in() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let email = "pages@example.com";
    app.verified_user(email).await;
    let form = |path: &str, fields: &[(&str, &str)], jar: &str| {
        client
            .post(app.url(path))
            .header(header::COOKIE, jar.to_owned())
            .form(fields)
            .send()
    };
    let r = form("/login", &[("email", email), ("password", PASSWORD)], "")
        .await
        .expect("request");
    assert_eq!(location(&r).as_deref(), Some("/account"));
    let jar = jar_of(&r);
    let account = client
        .get(app.url("/account"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(account.contains("Two-step verification"), "{account}");
    assert!(account.contains("action=\"/account/mfa/totp\""));

    let r = form("/account/mfa/totp", &[("password", "wrong password")], &jar)
        .await
        .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("Set up an authenticator app")
    );
    let setup = form("/account/mfa/totp", &[("password", PASSWORD)], &jar)
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(setup.contains("<svg"), "the QR code is on the page");
    let secret = hidden(&setup, "secret");
    let r = form(
        "/account/mfa/totp/confirm",
        &[("code", "000000"), ("secret", &secret)],
        &jar,
    )
    .await
    .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("That code doesn’t work")
    );
    let codes = form(
        "/account/mfa/totp/confirm",
        &[("code", &totp(&secret, 0)), ("secret", &secret)],
        &jar,
    )
    .await
    .expect("request")
    .text()
    .await
    .expect("html");
    assert!(codes.contains("Your recovery codes"), "{codes}");
    assert!(codes.contains("download=\"recovery-codes.txt\""));

    // Signing in now asks for the code after the password.
    let step = form("/login", &[("email", email), ("password", PASSWORD)], "")
        .await
        .expect("request");
    assert_eq!(step.status(), StatusCode::OK);
    let step = step.text().await.expect("html");
    assert!(step.contains("action=\"/login/mfa\""), "{step}");
    let token = hidden(&step, "mfa_token");
    let r = form(
        "/login/mfa",
        &[("mfa_token", &token), ("code", "000000")],
        "",
    )
    .await
    .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("That code doesn’t work")
    );
    let r = form(
        "/login/mfa",
        &[("mfa_token", &token), ("code", &totp(&secret, 1))],
        "",
    )
    .await
    .expect("request");
    assert_eq!(location(&r).as_deref(), Some("/account"));
    let jar = jar_of(&r);

    // Turning it off needs the password.
    let r = form("/account/mfa/totp/off", &[("password", PASSWORD)], &jar)
        .await
        .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("Two-step verification is off")
    );
    let r = form("/login", &[("email", email), ("password", PASSWORD)], "")
        .await
        .expect("request");
    assert_eq!(location(&r).as_deref(), Some("/account"));
    app.stop().await;
}

#[tokio::test]
async fn sign_in_by_email_on_the_pages() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let email = "mailed@example.com";
    app.verified_user(email).await;
    let login = client
        .get(app.url("/login"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    assert!(login.contains("href=\"/sign-in/email\""), "{login}");
    let r = client
        .post(app.url("/sign-in/email"))
        .form(&[("email", email)])
        .send()
        .await
        .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("action=\"/sign-in/code\"")
    );
    let (token, code) = app.smtp.new_token_and_code(email, "sign-in").await;
    // Opening the link signs nobody in: a button does.
    let page = client
        .get(app.url(&format!("/sign-in?token={token}")))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get(header::SET_COOKIE).is_none());
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("action=\"/sign-in\"")
    );
    let r = client
        .post(app.url("/sign-in"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(location(&r).as_deref(), Some("/account"));
    // The code went with the link.
    let r = client
        .post(app.url("/sign-in/code"))
        .form(&[("email", email), ("code", code.as_str())])
        .send()
        .await
        .expect("request");
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("That code doesn’t work")
    );
    app.stop().await;
}
