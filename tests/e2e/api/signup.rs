//! Sign-up over HTTP and real SMTP (contract §2, §3, §4, §5, §6): the same answer whatever the
//! address's account, what happens to verified and unverified accounts, the mail cooldown,
//! address normalization and the unique index, and what the emails hold.

use std::time::Duration;

use crate::support::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn sign_up_verify_and_log_in() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": "  Ann@Example.COM ", "password": PASSWORD, "name": "Ann"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "verification_sent"})
    );

    let mail = app.smtp.latest("Ann@Example.COM").await;
    assert_eq!(mail.content_type, "multipart/alternative");
    for header in ["From", "To", "Subject", "Date", "Message-ID"] {
        assert!(mail.header(header).is_some(), "{header} missing");
    }
    assert!(!mail.text.is_empty() && !mail.html.is_empty());
    let link = mail.link("verify-email").expect("link in text part");
    assert!(
        link.starts_with("http://localhost:8080/verify-email?token="),
        "{link}"
    );
    assert!(
        mail.html.contains(&link),
        "the same link is in the HTML part"
    );
    let token = mail.token("verify-email").expect("token");
    // 256 random bits, URL-safe.
    assert_eq!(token.len(), 43, "{token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );

    // Not verified yet: the right password hears so, a wrong one does not.
    assert_problem(
        app.login("ann@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    assert_problem(
        app.login("ann@example.com", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    let r = app.verify(&token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "verified", "email": "Ann@Example.COM"})
    );

    let r = app.login("ANN@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let me: Value = app
        .get_auth("/api/v1/me", &str_of(&tokens, "access_token"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "Ann@Example.COM");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["is_admin"], false);
    assert!(me["id"].is_string(), "{me}");
    let created_at = me["created_at"].as_str().expect("created_at");
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created_at}"
    );
    assert_eq!(me["pending_email"], Value::Null);
    let mut keys: Vec<&str> = me
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "email",
            "email_verified",
            "id",
            "is_admin",
            "locale",
            "mfa",
            "name",
            "pending_email"
        ]
    );

    // Used once; a second use is 409.
    assert_problem(app.verify(&token).await, StatusCode::CONFLICT, "token_used").await;
    app.stop().await;
}

/// Status, content type and body bytes of an answer, for comparing answers.
async fn answer(r: Response) -> (StatusCode, String, String) {
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.expect("body"))
}

#[tokio::test]
async fn sign_up_answers_alike_for_new_verified_and_unverified_addresses() {
    let app = TestApp::spawn().await;
    app.verified_user("verified@example.com").await;
    assert_eq!(
        app.register("unverified@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.smtp.latest("unverified@example.com").await;

    let other = "another password 42";
    let new = answer(app.register_with("new@example.com", other, None).await).await;
    let verified = answer(
        app.register_with("verified@example.com", other, Some("Mallory"))
            .await,
    )
    .await;
    let unverified = answer(
        app.register_with("unverified@example.com", other, None)
            .await,
    )
    .await;
    assert_eq!(new.0, StatusCode::ACCEPTED);
    assert_eq!(new, verified);
    assert_eq!(new, unverified);
    assert_eq!(app.user_count().await, 3);

    // The verified account is told someone tried, with a log-in and a reset link.
    let mail = app.smtp.nth("verified@example.com", 2).await;
    let kinds: Vec<_> = app
        .outbox_to("verified@example.com")
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["verification", "already_registered"]);
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(mail.link("verify-email").is_none(), "{}", mail.text);
    for link in [
        "http://localhost:8080/login",
        "http://localhost:8080/forgot-password",
    ] {
        assert!(mail.text.contains(link), "{link} in {}", mail.text);
        assert!(mail.html.contains(link), "{link} in the HTML part");
    }
    // Nothing about the account changed: the old password still logs in, the new one does not.
    app.log_in("verified@example.com").await;
    assert_problem(
        app.login("verified@example.com", other).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let (access, _) = app.log_in("verified@example.com").await;
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(me["name"], Value::Null, "the name did not change either");
    app.stop().await;
}

#[tokio::test]
async fn a_new_sign_up_takes_over_an_unverified_account() {
    let app = TestApp::spawn().await;
    let squatter = "squatter password 1";
    let owner = "owner password 2";
    assert_eq!(
        app.register_with("taken@example.com", squatter, Some("Squatter"))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let first = app
        .smtp
        .nth("taken@example.com", 1)
        .await
        .token("verify-email")
        .expect("first link");
    assert_eq!(
        app.register_with("Taken@Example.com", owner, Some("Owner"))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let second_mail = app.smtp.nth("taken@example.com", 2).await;
    let second = second_mail.token("verify-email").expect("second link");
    assert_ne!(first, second);
    assert!(second_mail.text.contains("Owner"), "{}", second_mail.text);

    // The squatter's link and password are dead; the new sign-up's password is the one.
    assert_problem(
        app.verify(&first).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.login("taken@example.com", squatter).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.login("taken@example.com", owner).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    // Signed up twice with different passwords, the address is contested (issue 17, 1):
    // verified, it keeps neither password, and the reset link that comes sets the owner's.
    let r = app.verify(&second).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.json::<Value>().await.expect("json");
    assert_eq!(body["email"], "Taken@Example.com");
    assert_eq!(body["password_reset_required"], true);
    assert_problem(
        app.login("taken@example.com", owner).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let reset = app
        .smtp
        .new_token("taken@example.com", "reset-password")
        .await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": owner}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.login("taken@example.com", owner).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(me["name"], "Owner");
    assert_eq!(app.user_count().await, 1);
    // The first link stays dead after verification too.
    assert_problem(
        app.verify(&first).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn within_the_cooldown_a_sign_up_changes_nothing_and_sends_nothing() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    let first_password = "first password 1";
    let second_password = "second password 2";
    app.register_with("cool@example.com", first_password, Some("First"))
        .await;
    let link = app
        .smtp
        .latest("cool@example.com")
        .await
        .token("verify-email")
        .expect("link");

    let r = app
        .register_with("cool@example.com", second_password, Some("Second"))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.expect("json"),
        json!({"status": "verification_sent"})
    );
    // Queued in the same transaction as the sign-up: none was queued.
    assert_eq!(app.outbox_to("cool@example.com").await.len(), 1);

    // The first link still verifies and the name is still the first sign-up's; but the address
    // is contested (issue 17, 1): neither password survives, a reset link sets a new one.
    let r = app.verify(&link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json")["password_reset_required"],
        true
    );
    for password in [first_password, second_password] {
        assert_problem(
            app.login("cool@example.com", password).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let reset = app
        .smtp
        .new_token("cool@example.com", "reset-password")
        .await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": first_password}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.login("cool@example.com", first_password).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(me["name"], "First");

    // A verified account gets one "already registered" email per cooldown, however often.
    for _ in 0..3 {
        assert_eq!(
            app.register("cool@example.com").await.status(),
            StatusCode::ACCEPTED
        );
    }
    let kinds: Vec<_> = app
        .outbox_to("cool@example.com")
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "verification",
            "password_reset",
            "password_changed",
            "already_registered"
        ]
    );

    // The cooldown is per address: another address is not held back.
    app.register("warm@example.com").await;
    app.smtp.latest("warm@example.com").await;
    app.stop().await;
}

#[tokio::test]
async fn case_and_whitespace_variants_are_one_account() {
    let app = TestApp::spawn().await;
    for variant in [
        "Mixed.Case@Example.org",
        "  mixed.case@example.org",
        "MIXED.CASE@EXAMPLE.ORG\t",
    ] {
        assert_eq!(
            app.register(variant).await.status(),
            StatusCode::ACCEPTED,
            "{variant}"
        );
    }
    assert_eq!(app.user_count().await, 1);
    let mails = app
        .smtp
        .wait_for("mixed.case@example.org", 3, MAIL_TIMEOUT)
        .await;
    assert_eq!(mails.len(), 3);
    // The newest sign-up's link is the one that verifies, whichever arrived last.
    let mut verified = 0;
    for mail in &mails {
        let token = mail.token("verify-email").expect("link");
        if app.verify(&token).await.status() == StatusCode::OK {
            verified += 1;
        }
    }
    assert_eq!(verified, 1);
    app.log_in(" mixed.CASE@example.ORG ").await;
    app.stop().await;
}

#[tokio::test]
async fn concurrent_sign_ups_for_one_new_address_make_one_account() {
    let app = TestApp::spawn().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/register"));
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "Race@Example.COM"
        };
        tasks.spawn(async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .expect("request")
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), StatusCode::ACCEPTED);
    }
    assert_eq!(app.user_count().await, 1);

    // Uniqueness is the database's, not only the code's.
    let db = app.db().await;
    let (index, insert) = if app.is_postgres() {
        (
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'users' \
             AND indexdef LIKE '%email_norm%'",
            "INSERT INTO users (id, email, email_norm, created_at, updated_at) \
             VALUES ('00000000-0000-0000-0000-000000000001', 'RACE@example.com', 'race@example.com', 0, 0)",
        )
    } else {
        (
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' \
             AND sql LIKE '%email_norm%'",
            "INSERT INTO users (id, email, email_norm, created_at, updated_at) \
             VALUES (X'00000000000000000000000000000001', 'RACE@example.com', 'race@example.com', 0, 0)",
        )
    };
    let index: String = sqlx::query_scalar(index)
        .fetch_one(db)
        .await
        .expect("an index on users.email_norm");
    assert!(index.to_uppercase().contains("UNIQUE"), "{index}");
    let duplicate = sqlx::query(insert).execute(db).await;
    assert!(duplicate.is_err(), "a second row for one address");
    app.stop().await;
}

#[tokio::test]
async fn links_come_from_the_link_base_never_from_request_headers() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = "https://id.example.com".parse().expect("url");
        s.link_base_url = "https://app.example.com/accounts".parse().expect("url");
    })
    .await;
    let register = || async {
        let r = app
            .client
            .post(app.url("/api/v1/register"))
            .header("host", "evil.example")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-proto", "http")
            .header("forwarded", "host=evil.example;proto=http")
            .json(&json!({"email": "base@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    };
    register().await;
    let link = app
        .smtp
        .nth("base@example.com", 1)
        .await
        .link("verify-email")
        .expect("link");
    assert!(
        link.starts_with("https://app.example.com/accounts/verify-email?token="),
        "{link}"
    );
    let token = link.split("token=").nth(1).expect("token").to_owned();
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    register().await;
    let notice = app.smtp.nth("base@example.com", 2).await;
    for page in ["login", "forgot-password"] {
        let link = format!("https://app.example.com/accounts/{page}");
        assert!(notice.text.contains(&link), "{link} in {}", notice.text);
    }
    for mail in app.smtp.messages() {
        assert!(!mail.raw.contains("evil.example"), "{}", mail.raw);
    }
    app.stop().await;
}

#[tokio::test]
async fn names_cannot_inject_markup_or_headers() {
    let app = TestApp::spawn().await;
    let name = r#"<script>alert(1)</script> "Boss", <boss@evil.example>"#;
    assert_eq!(
        app.register_with("named@example.com", PASSWORD, Some(name))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let mail = app.smtp.latest("named@example.com").await;
    assert_eq!(mail.rcpt_to, ["named@example.com"]);
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
    // The To header holds exactly one address, the account's, whatever the name says.
    let parsed = mailparse::parse_mail(mail.raw.as_bytes()).expect("the message parses");
    let to = parsed
        .headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case("to"))
        .map(|h| mailparse::addrparse_header(h).expect("a To header that parses"))
        .expect("a To header");
    let addresses: Vec<String> = to
        .iter()
        .flat_map(|a| match a {
            mailparse::MailAddr::Single(s) => vec![s.addr.clone()],
            mailparse::MailAddr::Group(g) => g.addrs.iter().map(|s| s.addr.clone()).collect(),
        })
        .collect();
    assert_eq!(addresses, ["named@example.com"], "To: {}", mail.to);
    assert!(mail.header("Bcc").is_none() && mail.header("Cc").is_none());

    // A name that could break a header line is refused, and nothing is stored or sent.
    let r = app
        .register_with(
            "crlf@example.com",
            PASSWORD,
            Some("Ann\r\nBcc: x@evil.example"),
        )
        .await;
    let body = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    assert_eq!(app.user_count().await, 1);
    assert!(app.outbox_to("crlf@example.com").await.is_empty());
    app.stop().await;
}
