//! Signing in through the pages and managing the account without JavaScript (contract §8).

use crate::support::*;
use reqwest::{StatusCode, header};

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

/// When what the account page shows cannot be loaded, the page says so: an HTML page, 500,
/// never the API's problem+json.
#[tokio::test]
async fn an_account_page_that_cannot_load_is_a_page_that_says_so() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    app.verified_user("broken@example.com").await;
    let (jar, _) = sign_in(&app, &client, "broken@example.com").await;
    // The page shows a pending change of address: its table goes away under the server.
    sqlx::query("ALTER TABLE email_changes RENAME TO email_changes_gone")
        .execute(app.db().await)
        .await
        .expect("rename");
    let r = page(&client, app.url("/account"), &jar, None).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = r.headers().get(header::CONTENT_TYPE).cloned();
    assert!(
        content_type
            .as_ref()
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html")),
        "{content_type:?}"
    );
    let html = r.text().await.expect("html");
    assert!(
        html.contains("Something went wrong on our side") && html.contains("href=\"/account\""),
        "{html}"
    );
    assert!(
        !html.contains("email_changes"),
        "no detail of the failure: {html}"
    );
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

/// A form's fields as typed.
type Form<'a> = &'a [(&'a str, &'a str)];

/// The account as `GET /api/v1/me` reports it, through a fresh API log-in.
async fn me(app: &TestApp, email: &str) -> serde_json::Value {
    let (access, _) = tokens_of(app.login(email, PASSWORD).await).await;
    app.get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("json")
}

fn words() -> latchkey::i18n::Catalogue {
    latchkey::i18n::Catalogue::load("Latchkey", None).expect("the catalogue")
}

#[tokio::test]
async fn the_profile_form_changes_name_and_language_and_the_pages_follow() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let w = words();
    app.verified_user("prof@example.com").await;
    let (jar, _) = sign_in(&app, &client, "prof@example.com").await;

    // The form offers the five languages, each in its own words, and the default; sign-up
    // stored the language the account was made in.
    let html = page(&client, app.url("/account"), &jar, None)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("<form method=\"post\" action=\"/account/profile\" id=\"profile\">")
            && html.contains("autocomplete=\"name\"")
            && html.contains("<label for=\"profile-locale\">Language</label>")
            && html.contains("<option value=\"default\">Default (English)</option>")
            && html.contains("<option value=\"en\" lang=\"en\" selected>English</option>")
            && html.contains("<option value=\"de\" lang=\"de\">Deutsch</option>")
            && html.contains("<option value=\"sv\" lang=\"sv\">Svenska</option>"),
        "{html}"
    );

    let r = page(
        &client,
        app.url("/account/profile"),
        &jar,
        Some(&[("name", "Ann Example"), ("locale", "de")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (set, _) = cookies(&r);
    assert!(set.contains("latchkey_lang=de"), "{set}");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("<html lang=\"de\">")
            && html.contains(&format!("<h1>{}</h1>", w.text("de", "account-title", &[])))
            && html.contains(&w.text("de", "profile-saved", &[]))
            && html.contains("value=\"Ann Example\"")
            && html.contains("<option value=\"de\" lang=\"de\" selected>"),
        "{html}"
    );
    let user = me(&app, "prof@example.com").await;
    assert_eq!(user["name"], "Ann Example");
    assert_eq!(user["locale"], "de");
    // The next page view and the next email are in German too.
    let html = page(&client, app.url("/account"), &jar, None)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("<html lang=\"de\">"));
    page(
        &client,
        app.url("/account/email"),
        &jar,
        Some(&[
            ("new_email", "prof.neu@example.com"),
            ("password", PASSWORD),
        ]),
    )
    .await;
    let mail = app.smtp.latest("prof.neu@example.com").await;
    assert_eq!(mail.header("Content-Language").as_deref(), Some("de"));

    // Bad inputs: the error beside its field, in German, and nothing changed.
    let long = "x".repeat(201);
    let bad: [(Form, &str, &str); 4] = [
        (
            &[("name", "Bob"), ("locale", "xx")],
            "profile-locale",
            "error-locale-invalid",
        ),
        (
            &[("name", "Bob"), ("locale", "")],
            "profile-locale",
            "error-locale-invalid",
        ),
        (
            &[("name", "Bob\u{7}"), ("locale", "fr")],
            "profile-name",
            "error-name-invalid",
        ),
        (
            &[("name", &long), ("locale", "fr")],
            "profile-name",
            "error-name-invalid",
        ),
    ];
    for (form, field, key) in bad {
        let r = page(&client, app.url("/account/profile"), &jar, Some(form)).await;
        assert_eq!(r.status(), StatusCode::OK, "{form:?}");
        let html = r.text().await.expect("html");
        assert!(
            html.contains(&format!(
                "<p class=\"field-error\" id=\"{field}-error\" role=\"alert\">{}</p>",
                w.text("de", key, &[])
            )) && html.contains(&format!("aria-describedby=\"{field}-error\""))
                && html.contains("aria-invalid=\"true\"")
                && html.contains("<html lang=\"de\">"),
            "{form:?}: {html}"
        );
    }
    let r = client
        .post(app.url("/account/profile"))
        .header(header::COOKIE, &jar)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"name\":\"Eve\"}")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        !r.text()
            .await
            .expect("html")
            .contains(&w.text("de", "profile-saved", &[]))
    );
    // A form from another site is refused.
    let r = client
        .post(app.url("/account/profile"))
        .header(header::COOKIE, &jar)
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Mallory"), ("locale", "fr")])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let user = me(&app, "prof@example.com").await;
    assert_eq!(user["name"], "Ann Example");
    assert_eq!(user["locale"], "de");

    // An empty name removes it; "default" forgets the language, and the deployment's applies.
    let r = page(
        &client,
        app.url("/account/profile"),
        &jar,
        Some(&[("name", "  "), ("locale", "default")]),
    )
    .await;
    let (set, _) = cookies(&r);
    assert!(set.contains("latchkey_lang=en"), "{set}");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("<html lang=\"en\">")
            && html.contains("Your profile was saved.")
            && html.contains("<option value=\"default\" selected>Default (English)</option>"),
        "{html}"
    );
    let user = me(&app, "prof@example.com").await;
    assert_eq!(user["name"], serde_json::Value::Null);
    assert_eq!(user["locale"], serde_json::Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn deleting_the_account_takes_the_password_and_signs_out() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let w = words();
    app.verified_user("bye@example.com").await;
    let (jar, _) = sign_in(&app, &client, "bye@example.com").await;
    page(
        &client,
        app.url("/account/profile"),
        &jar,
        Some(&[("name", "Sven"), ("locale", "sv")]),
    )
    .await;

    let html = page(&client, app.url("/account"), &jar, None)
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("<form method=\"post\" action=\"/account/delete\" id=\"delete\">")
            && html.contains("id=\"delete-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\""),
        "{html}"
    );

    // A wrong or missing password: said beside the field, in Swedish; the account stays.
    for form in [&[("password", "not it at all")][..], &[][..]] {
        let r = page(&client, app.url("/account/delete"), &jar, Some(form)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(cookies(&r).1.is_empty(), "still signed in");
        let html = r.text().await.expect("html");
        assert!(
            html.contains(&format!(
                "<p class=\"field-error\" id=\"delete-password-error\" role=\"alert\">{}</p>",
                w.text("sv", "error-current-password", &[])
            )) && html.contains("aria-describedby=\"delete-password-error\" aria-invalid=\"true\""),
            "{html}"
        );
    }
    // A form from another site is refused.
    let r = client
        .post(app.url("/account/delete"))
        .header(header::COOKIE, &jar)
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_count().await, 1);
    assert_eq!(
        app.login("bye@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    let mails_before = app.smtp.messages_to("bye@example.com").len();
    let r = page(
        &client,
        app.url("/account/delete"),
        &jar,
        Some(&[("password", PASSWORD)]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, raw) = cookies(&r);
    for gone in ["latchkey_access=;", "latchkey_refresh=;"] {
        assert!(
            raw.iter()
                .any(|c| c.starts_with(gone) && c.contains("Max-Age=0")),
            "{raw:?}"
        );
    }
    assert!(
        raw.iter().any(|c| c.starts_with("latchkey_lang=sv;")),
        "{raw:?}"
    );
    let html = r.text().await.expect("html");
    assert!(
        html.contains("<html lang=\"sv\">")
            && html.contains(&format!(
                "<h1>{}</h1>",
                w.text("sv", "delete-done-title", &[])
            ))
            && html.contains(&w.text("sv", "delete-done", &[("email", "bye@example.com".into())]))
            && html.contains(&format!(
                "<a class=\"button\" href=\"/register\">{}</a>",
                w.text("sv", "next-new-account", &[])
            )),
        "{html}"
    );
    assert_eq!(app.user_count().await, 0);
    assert_eq!(
        app.login("bye@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = page(&client, app.url("/account"), &jar, None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the old cookies are dead"
    );
    // The notice goes out in the user's language.
    // The newest email once the notice has arrived (the verification email came before it).
    let mails = app
        .smtp
        .wait_for("bye@example.com", mails_before + 1, MAIL_TIMEOUT)
        .await;
    let mail = mails.last().expect("the account_deleted notice");
    assert_eq!(mail.header("Content-Language").as_deref(), Some("sv"));
    app.stop().await;
}

#[tokio::test]
async fn the_delete_form_counts_against_the_log_in_limit() {
    let app = TestApp::spawn_with(|s| s.rate_limit = true).await;
    let client = no_redirects();
    app.verified_user("limit@example.com").await;
    let (jar, _) = sign_in(&app, &client, "limit@example.com").await;
    // The page log-in was the 1st attempt; 9 wrong passwords fill the 10 a minute.
    for i in 0..9 {
        let r = page(
            &client,
            app.url("/account/delete"),
            &jar,
            Some(&[("password", "a wrong guess")]),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "guess {i}");
    }
    let r = page(
        &client,
        app.url("/account/delete"),
        &jar,
        Some(&[("password", PASSWORD)]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert!(
        r.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let html = r.text().await.expect("html");
    assert!(
        html.contains("Please try again") && html.contains("aria-describedby=\"delete-error\""),
        "{html}"
    );
    assert_eq!(app.user_count().await, 1, "not deleted");
    app.stop().await;
}
