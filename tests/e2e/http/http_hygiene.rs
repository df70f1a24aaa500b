//! HTTP conventions (contract §2): every bad input of every public endpoint gets a 4xx
//! problem+json with a `code`, stores nothing and sends nothing; invalid addresses and weak
//! passwords are named; unknown routes are problem+json 404s; nothing produces a 5xx.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The JSON endpoints that take a body, each with a valid body.
fn endpoints() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/v1/register",
            json!({"email": "body@example.com", "password": PASSWORD, "name": "Body"}),
        ),
        ("/api/v1/email/verify", json!({"token": "A".repeat(43)})),
        (
            "/api/v1/email/verify/resend",
            json!({"email": "body@example.com"}),
        ),
        (
            "/api/v1/login",
            json!({"email": "body@example.com", "password": PASSWORD}),
        ),
        ("/api/v1/token/refresh", json!({"refresh_token": "x"})),
        ("/api/v1/logout", json!({"refresh_token": "x"})),
    ]
}

/// Asserts that nothing was stored and nothing queued or sent.
async fn assert_nothing_happened(app: &TestApp, what: &str) {
    assert_eq!(app.user_count().await, 0, "a user was stored after {what}");
    assert!(
        app.outbox().await.is_empty(),
        "an email was queued after {what}"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.db().await)
        .await
        .expect("count sessions");
    assert_eq!(sessions, 0, "a session was stored after {what}");
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let app = TestApp::spawn().await;
    for (path, body) in endpoints() {
        let text = body.to_string();
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            Some("json"),
            Some(""),
        ] {
            let r = app.post_raw(path, content_type, text.clone()).await;
            assert_eq!(
                r.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} with {content_type:?}"
            );
            assert_problem(
                r,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .await;
        }
    }
    assert_nothing_happened(&app, "bodies that are not JSON").await;
    // JSON with parameters, or written in capitals, is JSON.
    for (path, body) in endpoints() {
        for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
            let r = app
                .post_raw(path, Some(content_type), body.to_string())
                .await;
            assert_ne!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
            assert!(!r.status().is_server_error(), "{path}");
        }
    }
    assert_eq!(app.user_count().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_gets_400() {
    let app = TestApp::spawn().await;
    // A body every endpoint would take, but for what follows it.
    let complete = json!({
        "email": "trailing@example.com", "password": PASSWORD, "token": "A".repeat(43),
        "refresh_token": "x",
    })
    .to_string();
    let trailing = format!("{complete} trailing");
    let two_documents = format!("{complete}{complete}");
    let bodies: [&[u8]; 10] = [
        b"",
        b"{",
        b"{\"email\": ",
        b"nul",
        b"{'email': 'single@quotes.com'}",
        b"{\"email\": \"a@b.co\",}",
        trailing.as_bytes(),
        two_documents.as_bytes(),
        b"\xff\xfe{}",
        b"{\"email\": \"\xff@example.com\", \"password\": \"\xff\", \"token\": \"\xff\", \"refresh_token\": \"\xff\"}",
    ];
    for (path, _) in endpoints() {
        for body in bodies {
            let r = app
                .post_raw(path, Some("application/json"), body.to_vec())
                .await;
            let status = r.status();
            let problem = assert_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        }
    }
    assert_nothing_happened(&app, "malformed JSON").await;
    app.stop().await;
}

#[tokio::test]
async fn a_missing_field_or_a_wrong_type_gets_400_naming_the_field() {
    let app = TestApp::spawn().await;
    for (path, body) in endpoints() {
        let object = body.as_object().expect("an object").clone();
        // Every required field missing in turn (`name` is optional).
        for field in object.keys().filter(|k| *k != "name") {
            let mut missing = object.clone();
            missing.remove(field);
            let r = app.post(path, Value::Object(missing)).await;
            let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
            assert_eq!(
                problem["errors"][0]["field"],
                field.as_str(),
                "{path}: {problem}"
            );
        }
        // Every field of a wrong type in turn.
        for field in object.keys() {
            for wrong in [json!(42), json!(true), json!(["x"]), json!({"x": 1})] {
                let mut bad = object.clone();
                bad.insert(field.clone(), wrong.clone());
                let r = app.post(path, Value::Object(bad)).await;
                let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
                assert_eq!(
                    problem["errors"][0]["field"],
                    field.as_str(),
                    "{path}: {problem}"
                );
            }
        }
        // Not an object at all.
        for not_an_object in [json!(null), json!([]), json!("text"), json!(1)] {
            let r = app.post(path, not_an_object).await;
            assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
        }
    }
    // `null` for a required field is a missing value too.
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": null, "password": PASSWORD}),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_nothing_happened(&app, "missing fields and wrong types").await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_64_kib_gets_413() {
    let app = TestApp::spawn().await;
    for (path, body) in endpoints() {
        let mut object = body.as_object().expect("an object").clone();
        object.insert("padding".into(), json!(""));
        let base = Value::Object(object.clone()).to_string().len();
        // Exactly 64 KiB is allowed; one byte more is not.
        for (size, too_large) in [(64 * 1024, false), (64 * 1024 + 1, true), (1 << 20, true)] {
            object.insert("padding".into(), json!("p".repeat(size - base)));
            let raw = Value::Object(object.clone()).to_string();
            assert_eq!(raw.len(), size);
            let r = app.post_raw(path, Some("application/json"), raw).await;
            if too_large {
                assert_problem(r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
            } else {
                assert_ne!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
                assert!(!r.status().is_server_error(), "{path}");
            }
        }
    }
    // The accepted 64 KiB sign-up above was valid; nothing else was stored.
    assert_eq!(app.user_count().await, 1);
    // A name that makes the body large is refused by its own limit, not stored.
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": "longname@example.com", "password": PASSWORD, "name": "n".repeat(201)}),
        )
        .await;
    let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(app.user_count().await, 1);
    app.stop().await;
}

fn invalid_emails() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("no @", "ann.example.com".into()),
        ("two @", "ann@home@example.com".into()),
        ("two @ together", "ann@@example.com".into()),
        ("empty local part", "@example.com".into()),
        ("no dot in domain", "ann@example".into()),
        ("empty domain", "ann@".into()),
        ("empty domain label", "ann@example..com".into()),
        ("dot at the end", "ann@example.".into()),
        (
            "255 characters",
            format!("{}@example.com", "a".repeat(255 - 12)),
        ),
        ("NUL", "ann\u{0}@example.com".into()),
        ("CR LF", "ann@example.com\r\nBcc: eve@example.com".into()),
        ("tab inside", "ann\t@example.com".into()),
        ("bell", "ann@exam\u{7}ple.com".into()),
        ("DEL", "ann\u{7f}@example.com".into()),
        ("C1 control", "ann\u{85}x@example.com".into()),
        ("space inside", "ann smith@example.com".into()),
        // Within the contract's rules but not an address mail can be sent to (RFC 5321/5322).
        ("angle bracket", "ann<x@example.com".into()),
        ("comma", "ann,bob@example.com".into()),
        ("two dots", "ann..bob@example.com".into()),
        (
            "65-character local part",
            format!("{}@example.com", "a".repeat(65)),
        ),
        (
            "64-character domain label",
            format!("ann@{}.com", "b".repeat(64)),
        ),
    ]
}

#[tokio::test]
async fn invalid_addresses_get_400_invalid_email_and_nothing_happens() {
    let app = TestApp::spawn().await;
    for (what, email) in invalid_emails() {
        let bodies = [
            (
                "/api/v1/register",
                json!({"email": email, "password": PASSWORD}),
            ),
            ("/api/v1/email/verify/resend", json!({"email": email})),
            (
                "/api/v1/login",
                json!({"email": email, "password": PASSWORD}),
            ),
        ];
        for (path, body) in bodies {
            let r = app.post(path, body).await;
            let problem = assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
            assert_eq!(problem["errors"][0]["field"], "email", "{what} at {path}");
            assert_eq!(problem["errors"][0]["code"], "invalid_email", "{what}");
            assert!(problem["errors"][0]["message"].is_string(), "{what}");
        }
    }
    assert_nothing_happened(&app, "invalid addresses").await;

    // The limits themselves are fine: 254 characters, and unusual but valid addresses.
    let longest = format!(
        "{}@{}.{}.{}",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    );
    assert_eq!(longest.chars().count(), 254);
    for email in [
        longest.as_str(),
        "first.last+tag@sub.example.co.uk",
        "ünï@exämple.de",
    ] {
        assert_eq!(
            app.register(email).await.status(),
            StatusCode::ACCEPTED,
            "{email}"
        );
        app.smtp.latest(email).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn weak_passwords_get_400_weak_password_and_nothing_happens() {
    let app = TestApp::spawn().await;
    let weak = [
        ("empty", String::new()),
        ("7 characters", "abcdefg".into()),
        ("7 characters with spaces around", " s3cr3t".into()),
        ("1025 characters", "x".repeat(1025)),
        ("1025 two-byte characters", "é".repeat(1025)),
        ("common", "password1".into()),
        ("common in capitals", "PASSWORD1".into()),
        ("common digits", "12345678".into()),
        ("common keyboard walk", "qwertyuiop".into()),
    ];
    for (what, password) in &weak {
        let r = app.register_with("weak@example.com", password, None).await;
        let problem = assert_problem(r, StatusCode::BAD_REQUEST, "weak_password").await;
        assert_eq!(
            problem["errors"][0]["field"], "password",
            "{what}: {problem}"
        );
        assert_eq!(problem["errors"][0]["code"], "weak_password", "{what}");
    }
    assert_nothing_happened(&app, "weak passwords").await;

    // The bounds are inclusive, and length counts characters, not bytes.
    for (n, password) in [
        (8, "k9$Lm2!q".to_owned()),
        (1024, "é".repeat(1024)),
        (1024, "z".repeat(1024)),
    ] {
        assert_eq!(password.chars().count(), n);
        let email = format!("len{}@example.com", password.len());
        let r = app.register_with(&email, &password, None).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED, "{n} characters");
        let token = app
            .smtp
            .latest(&email)
            .await
            .token("verify-email")
            .expect("link");
        assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
        assert_eq!(app.login(&email, &password).await.status(), StatusCode::OK);
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_json() {
    let app = TestApp::spawn().await;
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/register",
        "/api/v1/register/",
        "/api/v1/../../etc/passwd",
        "/%00",
        "/dev/mailbox",
        "/dev/mailbox.json",
    ] {
        let r = app.get(path).await;
        assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
    for (path, method) in [
        ("/api/v1/register", Method::GET),
        ("/api/v1/register", Method::PUT),
        ("/api/v1/login", Method::DELETE),
        ("/api/v1/me", Method::POST),
        ("/api/v1/logout", Method::PATCH),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("request");
        let status = r.status();
        assert!(status.is_client_error(), "{method} {path}: {status}");
        assert_problem(r, status, "method_not_allowed").await;
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);

    // Every answer carries a request id, the client's own if it sent one.
    let r = app.get("/nope").await;
    assert!(r.headers().get("x-request-id").is_some());
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "test-request-42")
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("test-request-42")
    );
    app.stop().await;
}

/// A tiny deterministic generator, so that odd inputs are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[tokio::test]
async fn no_input_produces_a_server_error() {
    let app = TestApp::spawn().await;
    let mut rng = Lcg(2);
    let strings = [
        json!(""),
        json!(" "),
        json!("\u{0}"),
        json!("\u{202e}reversed@example.com"),
        json!("%00@example.com"),
        json!("a".repeat(5_000)),
        json!("🦀".repeat(300)),
        json!("<script>@example.com"),
        json!("'; DROP TABLE users; --@example.com"),
        json!(-1),
        json!(1e308),
        json!(18_446_744_073_709_551_615_u64),
        json!(null),
        json!({"$gt": ""}),
    ];
    let mut checked = 0;
    for (path, body) in endpoints() {
        let fields: Vec<String> = body
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        for field in &fields {
            for value in &strings {
                let mut b = body.clone();
                b[field.as_str()] = value.clone();
                let r = app.post(path, b).await;
                assert!(
                    r.status().is_client_error() || r.status().is_success(),
                    "{path} {field}={value}: {}",
                    r.status()
                );
                checked += 1;
            }
        }
        for n in [1, 7, 64, 512, 4096] {
            let r = app
                .post_raw(path, Some("application/json"), rng.bytes(n))
                .await;
            assert!(
                r.status().is_client_error(),
                "{path} random bytes: {}",
                r.status()
            );
            checked += 1;
        }
        // Deeply nested JSON.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let r = app.post_raw(path, Some("application/json"), deep).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path} deep nesting");
    }
    // Odd headers on an authenticated endpoint.
    for value in [
        "Bearer \u{1}".as_bytes().to_vec(),
        b"Bearer \xff\xfe".to_vec(),
        format!("Bearer {}", "a".repeat(8_000)).into_bytes(),
        b"Bearer a.b".to_vec(),
        b"Bearer ..".to_vec(),
    ] {
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(&value) else {
            continue;
        };
        let r = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", value)
            .send()
            .await
            .expect("request");
        assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Odd query strings on the link page.
    for query in [
        "?token=%ZZ",
        "?token=a&token=b",
        "?token[]=x",
        "?%",
        "?token=%00",
    ] {
        let r = app.get(&format!("/verify-email{query}")).await;
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            r.status().is_success() || r.status().is_client_error(),
            "{query}: {}",
            r.status()
        );
        // A page or a problem, never a bare text error.
        assert!(
            content_type.starts_with("text/html") || content_type == "application/problem+json",
            "{query}: {content_type}"
        );
    }
    assert!(checked > 100);
    app.stop().await;
}
