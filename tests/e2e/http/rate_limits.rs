//! Per-client request limits (contract §2) over HTTP: 429 `rate_limited` with `Retry-After`.

use std::time::Duration;

use crate::support::*;
use latchkey::configuration::Quota;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// Limits on, and the test client behind a trusted proxy so `X-Forwarded-For` picks the client.
async fn limited_app(configure: impl FnOnce(&mut latchkey::Settings)) -> TestApp {
    TestApp::spawn_with(|s| {
        s.rate_limit = true;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        configure(s);
    })
    .await
}

async fn post_from(app: &TestApp, client_ip: &str, path: &str, body: Value) -> Response {
    app.client
        .post(app.url(path))
        .header("X-Forwarded-For", client_ip)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn login_from(app: &TestApp, client_ip: &str, email: &str, password: &str) -> Response {
    post_from(
        app,
        client_ip,
        "/api/v1/login",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn assert_limited(r: Response) {
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "Retry-After: {retry_after:?}"
    );
    assert_problem(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn a_password_burst_is_stopped_without_locking_the_owner_out() {
    let app = limited_app(|_| {}).await;
    app.verified_user("owner@example.com").await;
    let attacker = "203.0.113.50";
    for _ in 0..10 {
        let r = login_from(&app, attacker, "owner@example.com", "wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The 11th is refused before the password is even looked at; the right one too.
    assert_limited(login_from(&app, attacker, "owner@example.com", "wrong password!").await).await;
    assert_limited(login_from(&app, attacker, "OWNER@example.com ", PASSWORD).await).await;
    // The owner, from elsewhere, logs in.
    let r = login_from(&app, "198.51.100.7", "owner@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);

    // An address without an account is limited the same way.
    for _ in 0..10 {
        let r = login_from(&app, attacker, "ghost@example.com", "wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(login_from(&app, attacker, "ghost@example.com", "wrong password!").await).await;
    app.stop().await;
}

#[tokio::test]
async fn one_client_trying_many_addresses_is_limited_per_ip() {
    let app = limited_app(|s| {
        s.rate_limits.login_ip = Quota {
            limit: 5,
            window: Duration::from_secs(60),
        };
    })
    .await;
    for i in 0..5 {
        let r = login_from(
            &app,
            "203.0.113.9",
            &format!("u{i}@example.com"),
            "wrong password!",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(login_from(&app, "203.0.113.9", "u9@example.com", "wrong password!").await)
        .await;
    // Malformed attempts count too, and another client is unaffected.
    let r = login_from(&app, "203.0.113.10", "not an address", "x").await;
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
    app.stop().await;
}

#[tokio::test]
async fn email_sending_endpoints_are_limited_per_ip_and_free_up() {
    let app = limited_app(|s| {
        s.rate_limits.email = Quota {
            limit: 3,
            window: Duration::from_secs(60),
        };
    })
    .await;
    let client = "192.0.2.44";
    for i in 0..3 {
        let body = json!({"email": format!("r{i}@example.com"), "password": PASSWORD});
        let r = post_from(&app, client, "/api/v1/register", body).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let body = json!({"email": "r9@example.com", "password": PASSWORD});
    let r = post_from(&app, client, "/api/v1/register", body.clone()).await;
    let wait = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60);
    assert_limited(r).await;
    // Each route counts on its own.
    let r = post_from(
        &app,
        client,
        "/api/v1/email/verify/resend",
        json!({"email": "r0@example.com"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // After Retry-After the window has room again, and not before.
    assert!((59..=60).contains(&wait), "{wait}");
    app.advance(Duration::from_secs(wait - 2)).await;
    assert_limited(post_from(&app, client, "/api/v1/register", body.clone()).await).await;
    app.advance(Duration::from_secs(2)).await;
    let r = post_from(&app, client, "/api/v1/register", body).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.stop().await;
}

#[tokio::test]
async fn link_and_refresh_endpoints_are_limited_per_ip() {
    let app = limited_app(|s| {
        s.rate_limits.link = Quota {
            limit: 3,
            window: Duration::from_secs(60),
        };
        s.rate_limits.refresh = Quota {
            limit: 2,
            window: Duration::from_secs(60),
        };
    })
    .await;
    let token = json!({"token": "x".repeat(43)});
    for _ in 0..3 {
        let r = post_from(&app, "192.0.2.1", "/api/v1/email/verify", token.clone()).await;
        assert_problem(r, StatusCode::BAD_REQUEST, "token_invalid").await;
    }
    assert_limited(post_from(&app, "192.0.2.1", "/api/v1/email/verify", token).await).await;
    let refresh = json!({"refresh_token": "nope"});
    for _ in 0..2 {
        let r = post_from(&app, "192.0.2.1", "/api/v1/token/refresh", refresh.clone()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(post_from(&app, "192.0.2.1", "/api/v1/token/refresh", refresh).await).await;
    app.stop().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    // No trusted proxy: a client cannot escape its limit by inventing X-Forwarded-For.
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = true;
        s.rate_limits.email = Quota {
            limit: 2,
            window: Duration::from_secs(60),
        };
    })
    .await;
    for i in 0..2 {
        let r = post_from(
            &app,
            &format!("10.9.9.{i}"),
            "/api/v1/email/verify/resend",
            json!({"email": "a@example.com"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    assert_limited(
        post_from(
            &app,
            "10.9.9.200",
            "/api/v1/email/verify/resend",
            json!({"email": "a@example.com"}),
        )
        .await,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    // The test settings turn them off, as LATCHKEY_RATE_LIMIT=off does.
    let app = TestApp::spawn().await;
    for _ in 0..15 {
        let r = app.login("nobody@example.com", "wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    app.stop().await;
}

/// Two servers on one database count the attempts on one address together (contract §10):
/// an attacker who spreads guesses over every node behind a load balancer gets no more of
/// them than on one, while the per-IP limits stay each process's own.
#[tokio::test]
async fn the_address_limit_is_counted_over_every_server_on_the_database() {
    let a = limited_app(|s| {
        s.rate_limits.login = Quota {
            limit: 4,
            window: Duration::from_secs(60),
        }
    })
    .await;
    a.verified_user("shared@example.com").await;
    let b = a.restart_like().await;
    for (i, server) in [&a, &b, &a, &b].into_iter().enumerate() {
        let r = login_from(
            server,
            "203.0.113.5",
            "shared@example.com",
            "wrong password 1",
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    for server in [&a, &b] {
        let r = login_from(server, "203.0.113.5", "shared@example.com", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().get("retry-after").is_some());
    }
    // The owner, from elsewhere, is not locked out on either server.
    let r = login_from(&b, "198.51.100.7", "shared@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    b.stop().await;
    a.stop().await;
}

/// The log-in limit is keyed on the address as parsed, not as typed: `Ann@Example.COM`,
/// ` ann@example.com ` and the sign-in page's `ann@Example.com` are one address with one count.
#[tokio::test]
async fn the_log_in_limit_counts_an_address_however_it_is_typed() {
    let app = limited_app(|s| {
        s.rate_limits.login = Quota {
            limit: 4,
            window: Duration::from_secs(60),
        }
    })
    .await;
    app.verified_user("ann@example.com").await;
    let client = "203.0.113.77";
    for typed in ["Ann@Example.COM", " ann@example.com ", "ANN@EXAMPLE.COM"] {
        let r = login_from(&app, client, typed, "wrong password!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{typed}");
    }
    let r = app
        .client
        .post(app.url("/login"))
        .header("X-Forwarded-For", client)
        .form(&[
            ("email", "ann@Example.com"),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert_limited(login_from(&app, client, "ann@example.com", PASSWORD).await).await;
    // Another address from the same client has a count of its own.
    let r = login_from(&app, client, "bob@example.com", "wrong password!").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
