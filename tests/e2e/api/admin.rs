//! The admin API (contract §3), the first admin, /metrics, /readyz and the OpenAPI document,
//! end to end over HTTP with real SMTP.

use std::{sync::Arc, time::Duration};

use crate::support::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const ROOT: &str = "root@example.com";

async fn admin_app_with(configure: impl FnOnce(&mut latchkey::Settings)) -> (TestApp, String) {
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some(ROOT.parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.into());
        configure(s);
    })
    .await;
    let token = access_token(&app, ROOT, PASSWORD).await;
    (app, token)
}

async fn admin_app() -> (TestApp, String) {
    admin_app_with(|_| {}).await
}

async fn access_token(app: &TestApp, email: &str, password: &str) -> String {
    let r = app.login(email, password).await;
    assert_eq!(r.status(), StatusCode::OK, "log-in of {email}");
    str_of(&r.json::<Value>().await.expect("tokens"), "access_token")
}

async fn json_of(r: Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    r.json().await.expect("json body")
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    json_of(
        app.post_auth("/api/v1/admin/users", token, body).await,
        StatusCode::CREATED,
    )
    .await
}

#[tokio::test]
async fn only_admins_get_in() {
    let (app, admin) = admin_app().await;
    let (user, _) = app.logged_in("plain@example.com").await;
    let some_id = "01900000-0000-7000-8000-000000000000";
    let gets = [
        "/api/v1/admin/users".to_owned(),
        format!("/api/v1/admin/users/{some_id}"),
        "/api/v1/admin/outbox".to_owned(),
    ];
    for path in &gets {
        assert_problem(
            app.get_auth(path, &user).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        let anonymous = app.client.get(app.url(path)).send().await.expect("request");
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let posts = [
        (
            "/api/v1/admin/users".to_owned(),
            json!({"email": "x@example.com"}),
        ),
        (
            format!("/api/v1/admin/users/{some_id}/verification-email"),
            json!({}),
        ),
    ];
    for (path, body) in &posts {
        assert_problem(
            app.post_auth(path, &user, body.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        app.patch_auth(
            &format!("/api/v1/admin/users/{some_id}"),
            &user,
            json!({"is_admin": true}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The admin made at start is verified and an admin.
    let me = json_of(app.get_auth("/api/v1/me", &admin).await, StatusCode::OK).await;
    assert_eq!(
        (me["is_admin"].clone(), me["email_verified"].clone()),
        (json!(true), json!(true))
    );
    app.stop().await;
}

#[tokio::test]
async fn create_users_verified_or_not() {
    let (app, admin) = admin_app().await;

    // Verified: no email at all, and the user can log in at once.
    let made = create(
        &app,
        &admin,
        json!({"email": "Vera@Example.com", "password": PASSWORD, "name": "Vera", "email_verified": true}),
    )
    .await;
    assert_eq!(made["email"], "Vera@Example.com");
    assert_eq!(made["email_verified"], true);
    assert_eq!(made["disabled"], false);
    assert_eq!(made["is_admin"], false);
    assert_eq!(made["name"], "Vera");
    assert!(
        made["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    // Unverified: sign-up's verification email, whose link verifies.
    let made = create(
        &app,
        &admin,
        json!({"email": "una@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(made["email_verified"], false);
    let token = app
        .smtp
        .latest("una@example.com")
        .await
        .token("verify-email")
        .expect("link");
    let r = app
        .post("/api/v1/email/verify", json!({"token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login("una@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    // No password: cannot log in (until a reset); as an admin from the start.
    let made = create(
        &app,
        &admin,
        json!({"email": "nopass@example.com", "email_verified": true, "is_admin": true}),
    )
    .await;
    assert_eq!(
        (made["has_password"].clone(), made["is_admin"].clone()),
        (json!(false), json!(true))
    );
    assert_problem(
        app.login("nopass@example.com", "").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    let post = |body: Value| app.post_auth("/api/v1/admin/users", &admin, body);
    assert_problem(
        post(json!({"email": "VERA@example.com"})).await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;
    assert_problem(
        post(json!({"email": "nope"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    )
    .await;
    assert_problem(
        post(json!({"email": "w@example.com", "password": "password1"})).await,
        StatusCode::BAD_REQUEST,
        "weak_password",
    )
    .await;
    assert_problem(
        post(json!({"name": "x"})).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_problem(
        post(json!({"email": "w@example.com", "is_admin": "yes"})).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    // Only the unverified user got an email.
    assert!(app.smtp.messages_to("vera@example.com").is_empty());
    assert!(app.smtp.messages_to("nopass@example.com").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn list_search_and_pages() {
    let (app, admin) = admin_app().await;
    for i in 0..5 {
        create(
            &app,
            &admin,
            json!({"email": format!("page{i}@example.com"), "email_verified": true, "name": format!("Pager {i}")}),
        )
        .await;
    }
    create(
        &app,
        &admin,
        json!({"email": "other@example.org", "email_verified": true, "name": "50%_off"}),
    )
    .await;

    let list = |query: &str| {
        let path = format!("/api/v1/admin/users{query}");
        let (app, admin) = (&app, &admin);
        async move { app.get_auth(&path, admin).await }
    };
    let all = json_of(list("").await, StatusCode::OK).await;
    assert_eq!(all["users"].as_array().map(Vec::len), Some(7));
    assert_eq!(all["next_cursor"], Value::Null);
    assert!(all["users"][0]["disabled"].is_boolean());

    // Pages of two, newest first, through every user exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?q=PAGE&limit=2&cursor={c}"),
            None => "?q=PAGE&limit=2".to_owned(),
        };
        let page = json_of(list(&query).await, StatusCode::OK).await;
        for u in page["users"].as_array().expect("users") {
            seen.push(str_of(u, "email"));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5)
            .rev()
            .map(|i| format!("page{i}@example.com"))
            .collect::<Vec<_>>()
    );

    // Names match too, and LIKE wildcards are plain characters.
    let by_name = json_of(list("?q=pager%203").await, StatusCode::OK).await;
    assert_eq!(by_name["users"][0]["email"], "page3@example.com");
    let literal = json_of(list("?q=%25_").await, StatusCode::OK).await;
    assert_eq!(literal["users"].as_array().map(Vec::len), Some(1));

    for bad in [
        "?limit=0",
        "?limit=201",
        "?limit=ten",
        "?cursor=nonsense",
        "?limit=1&limit=2",
    ] {
        let body = assert_problem(
            list(bad).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert!(body["errors"][0]["field"].is_string(), "{bad}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn show_and_change_users() {
    let (app, admin) = admin_app().await;
    let (user_token, refresh) = app.logged_in("dana@example.com").await;
    let list = json_of(
        app.get_auth("/api/v1/admin/users?q=dana", &admin).await,
        StatusCode::OK,
    )
    .await;
    let id = str_of(&list["users"][0], "id");
    let path = format!("/api/v1/admin/users/{id}");

    let shown = json_of(app.get_auth(&path, &admin).await, StatusCode::OK).await;
    assert_eq!(
        (shown["email"].clone(), shown["disabled"].clone()),
        (json!("dana@example.com"), json!(false))
    );
    for missing in [
        "/api/v1/admin/users/01900000-0000-7000-8000-000000000000",
        "/api/v1/admin/users/not-a-uuid",
    ] {
        assert_problem(
            app.get_auth(missing, &admin).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_problem(
        app.patch_auth(
            "/api/v1/admin/users/01900000-0000-7000-8000-000000000000",
            &admin,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Disabling ends every session at once: access and refresh tokens both.
    let changed = json_of(
        app.patch_auth(&path, &admin, json!({"disabled": true}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["disabled"], true);
    assert_problem(
        app.get_auth("/api/v1/me", &user_token).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post("/api/v1/token/refresh", json!({"refresh_token": refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.login("dana@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;

    let changed = json_of(
        app.patch_auth(
            &path,
            &admin,
            json!({"disabled": false, "is_admin": true, "name": "Dana"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            changed["disabled"].clone(),
            changed["is_admin"].clone(),
            changed["name"].clone()
        ),
        (json!(false), json!(true), json!("Dana"))
    );
    // An absent name stays; null removes it.
    let kept = json_of(
        app.patch_auth(&path, &admin, json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["name"], "Dana");
    let removed = json_of(
        app.patch_auth(&path, &admin, json!({"name": null})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(removed["name"], Value::Null);

    // Promoted, Dana is an admin with a new log-in.
    let dana = access_token(&app, "dana@example.com", PASSWORD).await;
    assert_eq!(
        app.get_auth("/api/v1/admin/outbox", &dana).await.status(),
        StatusCode::OK
    );

    // Un-verifying is allowed; an admin cannot lock themselves out.
    let unverified = json_of(
        app.patch_auth(&path, &admin, json!({"email_verified": false}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unverified["email_verified"], false);
    let me = json_of(app.get_auth("/api/v1/me", &admin).await, StatusCode::OK).await;
    let own = format!("/api/v1/admin/users/{}", str_of(&me, "id"));
    // The only admin disabling or demoting itself would leave none (contract §3); with another
    // admin it is still refused, as `validation_failed` (second_probe::the_last_admin_stays).
    for body in [json!({"disabled": true}), json!({"is_admin": false})] {
        assert_problem(
            app.patch_auth(&own, &admin, body).await,
            StatusCode::CONFLICT,
            "last_admin",
        )
        .await;
    }
    for body in [json!({"disabled": "yes"}), json!([1])] {
        assert_problem(
            app.patch_auth(&path, &admin, body).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
    }
    let not_json = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&admin)
        .body("x")
        .send()
        .await
        .expect("request");
    assert_problem(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn resend_verification_by_admin() {
    let (app, admin) = admin_app().await;
    let made = create(
        &app,
        &admin,
        json!({"email": "late@example.com", "password": PASSWORD}),
    )
    .await;
    let id = str_of(&made, "id");
    app.smtp
        .wait_for("late@example.com", 1, Duration::from_secs(10))
        .await;
    let r = app
        .post_auth(
            &format!("/api/v1/admin/users/{id}/verification-email"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let mails = app
        .smtp
        .wait_for("late@example.com", 2, Duration::from_secs(10))
        .await;
    assert_eq!(mails.len(), 2);
    // The resent link works, and then there is nothing left to verify.
    let token = mails[1].token("verify-email").expect("link");
    assert_eq!(
        app.post("/api/v1/email/verify", json!({"token": token}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.post_auth(
            &format!("/api/v1/admin/users/{id}/verification-email"),
            &admin,
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "already_verified",
    )
    .await;
    assert_problem(
        app.post_auth(
            "/api/v1/admin/users/01900000-0000-7000-8000-000000000000/verification-email",
            &admin,
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn outbox_listing_shows_state_never_secrets() {
    let (app, admin) = admin_app_with(|s| s.worker.max_attempts = 2).await;
    // A message that cannot be delivered: retried, then dead. (Before any message is sent:
    // the transport's pool would reuse a connection made earlier.)
    app.smtp.refuse();
    app.register("lost@example.com").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let page = json_of(
            app.get_auth("/api/v1/admin/outbox?status=dead", &admin)
                .await,
            StatusCode::OK,
        )
        .await;
        if let Some(m) = page["messages"].as_array().and_then(|m| m.first()) {
            break m.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no dead message");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    app.smtp.resume();
    app.register("sent@example.com").await;
    let mail = app.smtp.latest("sent@example.com").await;
    let token = mail.token("verify-email").expect("link");
    // The worker records the send after the SMTP server's answer, a moment after the mail is in.
    wait_until(
        "the message recorded as sent",
        Duration::from_secs(10),
        || async {
            app.outbox_to("sent@example.com")
                .await
                .iter()
                .any(|m| m.status == "sent")
        },
    )
    .await;

    assert_eq!(dead["to"], "lost@example.com");
    assert_eq!(dead["kind"], "verification");
    assert_eq!(dead["attempts"], 2);
    assert!(
        dead["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{dead}"
    );
    assert_eq!(dead["next_attempt_at"], Value::Null);
    assert_eq!(dead["sent_at"], Value::Null);

    let all = json_of(
        app.get_auth("/api/v1/admin/outbox", &admin).await,
        StatusCode::OK,
    )
    .await;
    let text = all.to_string();
    assert!(!text.contains(&token), "a link token in the outbox listing");
    assert!(!text.contains("token="), "a link in the outbox listing");
    let sent = all["messages"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["to"] == "sent@example.com"))
        .cloned()
        .expect("the sent message");
    let mut keys: Vec<_> = sent
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(
        keys,
        [
            "attempts",
            "created_at",
            "id",
            "kind",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "status",
            "to"
        ]
    );
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].as_str().is_some_and(|t| t.contains('T')));

    let one = json_of(
        app.get_auth("/api/v1/admin/outbox?limit=1", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["messages"].as_array().map(Vec::len), Some(1));
    let cursor = str_of(&one, "next_cursor");
    let next = json_of(
        app.get_auth(
            &format!("/api/v1/admin/outbox?limit=1&cursor={cursor}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(next["messages"][0]["id"], one["messages"][0]["id"]);
    for bad in ["?status=lost", "?limit=500", "?cursor=%%%"] {
        assert_problem(
            app.get_auth(&format!("/api/v1/admin/outbox{bad}"), &admin)
                .await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
    }
    app.stop().await;
}

#[tokio::test]
async fn the_first_admin_is_made_once() {
    let (app, _) = admin_app().await;
    let again = app.restart_like().await;
    app.stop().await;
    let token = access_token(&again, ROOT, PASSWORD).await;
    let admins = json_of(
        again.get_auth("/api/v1/admin/users?q=root", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admins["users"].as_array().map(Vec::len), Some(1));
    again.stop().await;

    // A first admin password that fails the policy stops the start, naming the variable.
    let dir = tempfile::tempdir().expect("dir");
    let smtp = SmtpServer::start().await;
    let mut settings = test_settings(dir.path().join("db.sqlite"), &smtp);
    settings.first_admin_email = Some(ROOT.parse().expect("address"));
    settings.first_admin_password = Some("short".into());
    let err = latchkey::Application::build(settings)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("LATCHKEY_FIRST_ADMIN_PASSWORD") && !e.contains('\n')),
        "{err:?}"
    );
}

/// Against a `latchkey serve` process: the metrics recorder is process-wide, so an application
/// inside this test process would show every other test's counts beside its own.
#[tokio::test]
async fn health_metrics_and_openapi() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::for_engine(dir.path()).await;
    let smtp = SmtpServer::start().await;
    let mut command = node::deployment(dir.path(), &database.env_url(), &smtp);
    command.envs([
        ("LATCHKEY_FIRST_ADMIN_EMAIL", ROOT),
        ("LATCHKEY_FIRST_ADMIN_PASSWORD", PASSWORD),
    ]);
    let server = node::Node::serve("serve", command).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(server.url(path)).send();
    assert_eq!(
        get("/healthz").await.expect("healthz").status(),
        StatusCode::OK
    );
    assert_eq!(
        get("/readyz").await.expect("readyz").status(),
        StatusCode::OK
    );
    let r = client
        .post(server.url("/api/v1/register"))
        .json(&json!({"email": "metered@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    smtp.latest("metered@example.com").await;
    assert_eq!(
        get("/no/such/page?token=secret")
            .await
            .expect("404")
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = client
        .post(server.url("/api/v1/login"))
        .json(&json!({"email": ROOT, "password": PASSWORD}))
        .send()
        .await
        .expect("log-in");
    let admin = str_of(&json_of(r, StatusCode::OK).await, "access_token");
    let r = client
        .get(server.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("admin users");
    assert_eq!(r.status(), StatusCode::OK);

    // Not on the public listener (issue 17, item 12: its counters follow users' requests)...
    assert_eq!(
        get("/metrics").await.expect("metrics").status(),
        StatusCode::NOT_FOUND
    );
    // ... but on its own, which serves nothing else.
    let metrics = |path: &str| client.get(format!("{}{path}", server.metrics_base)).send();
    assert!(!server.metrics_base.is_empty(), "{}", server.log());
    for path in ["/healthz", "/api/v1/openapi.json", "/register"] {
        assert_eq!(
            metrics(path).await.expect("metrics listener").status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = metrics("/metrics").await.expect("metrics");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/plain"))
    );
    let text = r.text().await.expect("text");
    // Counters with the counts this test caused: the process served nobody else.
    for needle in [
        "latchkey_http_requests_total{method=\"POST\",route=\"/api/v1/register\",status=\"202\"} 1",
        // The 404 above and `/metrics` on the public listener; the metrics listener's own
        // requests are not counted.
        "latchkey_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 2",
        "latchkey_http_requests_total{method=\"GET\",route=\"/api/v1/admin/users\",status=\"200\"} 1",
        "latchkey_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/login\"} 1",
        "latchkey_outbox_messages{status=\"sent\"} 1",
        "latchkey_outbox_messages{status=\"dead\"} 0",
        "latchkey_emails_sent_total{kind=\"verification\"} 1",
        "latchkey_password_hash_slot_wait_seconds_bucket",
        "latchkey_db_connections{state=\"in_use\"}",
        "latchkey_db_connections{state=\"idle\"}",
        "latchkey_db_connections_max",
        "latchkey_db_acquire_waiting",
    ] {
        assert!(
            text.lines().any(|line| line == needle
                || line.starts_with(&format!("{needle} "))
                || line.starts_with(&format!("{needle}{{"))),
            "{needle} missing from /metrics:\n{text}"
        );
    }
    assert!(!text.contains("secret"), "a raw URI in the metrics");

    let doc = json_of(
        get("/api/v1/openapi.json").await.expect("openapi"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/admin/users/{id}"]["patch"].is_object());
    assert!(doc["paths"]["/api/v1/admin/outbox"]["get"]["parameters"].is_array());
}

/// A metrics address the operator chose must be had: taken, the start stops and names the
/// variable. The default one taken (another node on the host) costs only the metrics.
#[tokio::test]
async fn a_taken_metrics_address_stops_the_start_only_when_it_was_chosen() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("address");
    let dir = Arc::new(tempfile::tempdir().expect("dir"));
    let smtp = SmtpServer::start().await;
    let mut settings = test_settings(dir.path().join("db.sqlite"), &smtp);
    settings.metrics_listen = Some(latchkey::configuration::MetricsListen {
        addr,
        required: true,
    });
    let err = TestApp::try_start(settings.clone(), Arc::clone(&smtp), Arc::clone(&dir))
        .await
        .err();
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("LATCHKEY_METRICS_LISTEN") && e.contains(&addr.to_string())),
        "{err:?}"
    );
    settings.metrics_listen = Some(latchkey::configuration::MetricsListen {
        addr,
        required: false,
    });
    let app = TestApp::try_start(settings, smtp, dir)
        .await
        .expect("starts");
    assert_eq!(app.metrics_base, None);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.stop().await;
}
