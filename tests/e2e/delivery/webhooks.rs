//! Webhooks (contract §9) end to end: a receiver on a real TCP port gets every event of an
//! account's life, signed by Standard Webhooks 1.0 (checked by the receiver's own HMAC), with
//! the same webhook-id on retries and nothing lost while it was down. Also profile changes and
//! account deletion (contract §4), which send the last event.

use std::{sync::Arc, time::Duration};

use crate::support::{webhooks::*, *};
use latchkey::configuration::WebhookSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn with_webhook(s: &mut latchkey::Settings, receiver: &Receiver) {
    s.webhook = Some(WebhookSettings {
        url: receiver.url().parse().expect("url"),
        secret: WEBHOOK_SECRET.parse().expect("secret"),
        secret_previous: None,
    });
    s.first_admin_email = Some("root@example.com".parse().expect("address"));
    s.first_admin_password = Some(PASSWORD.into());
}

async fn admin_token(app: &TestApp) -> String {
    app.log_in("root@example.com").await.0
}

async fn delete(app: &TestApp, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = app.client.delete(app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn user_id(app: &TestApp, access: &str) -> String {
    let me: Value = app
        .get_auth("/api/v1/me", access)
        .await
        .json()
        .await
        .expect("me");
    str_of(&me, "id")
}

#[tokio::test]
async fn every_event_of_an_accounts_life_arrives_signed_once_each() {
    let receiver = Receiver::start().await;
    receiver.fail_first_attempts(); // every event is retried once: the id must not change
    let app = TestApp::spawn_with(|s| {
        with_webhook(s, &receiver);
        s.email_change_confirm_old = false;
    })
    .await;
    let root = receiver.wait_for("user.created", 1).await;
    assert_eq!(root[0].json["data"]["email"], "root@example.com");
    assert_eq!(root[0].json["data"]["email_verified"], true);
    let admin = admin_token(&app).await;

    // Sign-up, verify.
    let email = "life@example.com";
    app.register(email).await;
    let created = receiver.wait_for("user.created", 2).await;
    let created = created
        .iter()
        .find(|d| d.json["data"]["email"] == email)
        .expect("user.created of the sign-up");
    assert_eq!(created.json["data"]["email_verified"], false);
    let id = created.json["data"]["user_id"]
        .as_str()
        .expect("user_id")
        .to_owned();
    let token = app.smtp.new_token(email, "verify-email").await;
    app.verify(&token).await;
    let verified = receiver.wait_for("user.verified", 1).await;
    assert_eq!(
        verified[0].json["data"],
        json!({"user_id": id, "email": email})
    );

    // Reset.
    app.post("/api/v1/password/forgot", json!({"email": email}))
        .await;
    let token = app.smtp.new_token(email, "reset-password").await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": token, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let changed = receiver.wait_for("user.password_changed", 1).await;
    assert_eq!(changed[0].json["data"], json!({"user_id": id}));

    // Email change, then revert.
    let (access, _) = app.log_in(email).await;
    let new = "life.new@example.com";
    app.post_auth(
        "/api/v1/me/email",
        &access,
        json!({"password": PASSWORD, "new_email": new}),
    )
    .await;
    let token = app.smtp.new_token(new, "confirm-email-change").await;
    app.post("/api/v1/email/change/confirm", json!({"token": token}))
        .await;
    let moved = receiver.wait_for("user.email_changed", 1).await;
    assert_eq!(
        moved[0].json["data"],
        json!({"user_id": id, "email": new, "previous_email": email})
    );
    let token = app.smtp.new_token(email, "revert-email-change").await;
    let r = app
        .post("/api/v1/email/change/revert", json!({"token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let reverted = receiver.wait_for("user.email_reverted", 1).await;
    assert_eq!(
        reverted[0].json["data"],
        json!({"user_id": id, "email": email, "previous_email": new})
    );

    // Disable, enable (a repeated PATCH changes nothing and sends nothing).
    let path = format!("/api/v1/admin/users/{id}");
    for disabled in [true, true, false] {
        let r = app
            .patch_auth(&path, &admin, json!({"disabled": disabled}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(
        receiver.wait_for("user.disabled", 1).await[0].json["data"],
        json!({"user_id": id})
    );
    receiver.wait_for("user.enabled", 1).await;

    // An operator un-verifies the address (twice: one event), then verifies it again.
    for verified in [false, false, true] {
        let r = app
            .patch_auth(&path, &admin, json!({"email_verified": verified}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(
        receiver.wait_for("user.unverified", 1).await[0].json["data"],
        json!({"user_id": id, "email": email})
    );
    receiver.wait_for("user.verified", 2).await;

    // Delete.
    let r = delete(&app, &path, &admin, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let deleted = receiver.wait_for("user.deleted", 1).await;
    assert_eq!(
        deleted[0].json["data"],
        json!({"user_id": id, "email": email})
    );

    // Every delivery is signed (checked with the receiver's own HMAC), has a timestamp near the
    // attempt, a body of {type, timestamp, data}, and no secret.
    let deliveries = receiver.deliveries();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    for d in &deliveries {
        assert!(d.signed_with(WEBHOOK_SECRET), "bad signature: {d:?}");
        assert!(!d.signed_with(OTHER_WEBHOOK_SECRET));
        let ts: i64 = d.timestamp.parse().expect("unix seconds");
        assert!((now - ts).abs() < 120, "{d:?}");
        assert!(d.json["timestamp"].is_string() && d.json["data"].is_object());
        for secret in ["token", "http", "$argon2", PASSWORD] {
            assert!(!d.body.contains(secret), "{secret} in {}", d.body);
        }
        for key in d.json["data"].as_object().expect("data").keys() {
            assert!(
                [
                    "user_id",
                    "email",
                    "email_verified",
                    "previous_email",
                    "session_id",
                    "reason"
                ]
                .contains(&key.as_str()),
                "{key} in {}",
                d.body
            );
        }
    }
    // Each event was refused once and then accepted: the same id, the same body, twice; and
    // exactly one accepted delivery per id.
    let mut ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    for id in &ids {
        let attempts: Vec<_> = deliveries.iter().filter(|d| d.id == *id).collect();
        assert_eq!(attempts.len(), 2, "{id}: {attempts:?}");
        assert_eq!(attempts[0].body, attempts[1].body);
        assert_eq!(attempts[0].answered, 500);
        assert!((200..300).contains(&attempts[1].answered));
    }
    // The account's own events (its sessions' are the next test's).
    let mut types: Vec<&str> = receiver
        .accepted()
        .iter()
        .map(|d| d.event_type().to_owned())
        .filter(|t| t.starts_with("user."))
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(String::as_str)
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "user.created",
            "user.created",
            "user.deleted",
            "user.disabled",
            "user.email_changed",
            "user.email_reverted",
            "user.enabled",
            "user.password_changed",
            "user.unverified",
            "user.verified",
            "user.verified",
        ]
    );

    // The outbox lists the deliveries: kind is the event type, to is the webhook URL.
    let r = app.get_auth("/api/v1/admin/outbox?limit=200", &admin).await;
    let listing: Value = r.json().await.expect("outbox listing");
    let events: Vec<&Value> = listing["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["kind"].as_str().is_some_and(|k| k.starts_with("user.")))
        .collect();
    assert_eq!(events.len(), 11);
    for m in events {
        assert_eq!(m["to"], receiver.url());
        assert_eq!(m["status"], "sent");
        assert_eq!(m["attempts"], 2);
    }
    app.stop().await;
}

/// The session id (`sid`) of an access token, unverified.
fn sid_of(access: &str) -> String {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let payload = access.split('.').nth(1).expect("a JWT has three parts");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON");
    str_of(&claims, "sid")
}

#[tokio::test]
async fn a_session_that_ends_before_its_time_is_told_once_with_why() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|s| with_webhook(s, &receiver)).await;
    let admin = admin_token(&app).await;
    let email = "sessions@example.com";
    let (kept, _) = app.logged_in(email).await;
    let id = user_id(&app, &kept).await;
    let revoked = |n| {
        let receiver = receiver.clone();
        async move { receiver.wait_for("session.revoked", n).await }
    };
    let said = |d: &Delivery| {
        (
            str_of(&d.json["data"], "session_id"),
            str_of(&d.json["data"], "reason"),
        )
    };

    // Log-out, twice: one event.
    let (access, refresh) = app.log_in(email).await;
    for _ in 0..2 {
        assert_eq!(app.logout(&refresh).await.status(), StatusCode::NO_CONTENT);
    }
    let events = revoked(1).await;
    assert_eq!(
        events[0].json["data"],
        json!({"user_id": id, "session_id": sid_of(&access), "reason": "logout"})
    );

    // Ended from the sessions list.
    let (other, _) = app.log_in(email).await;
    let path = format!("/api/v1/me/sessions/{}", sid_of(&other));
    assert_eq!(
        delete(&app, &path, &kept, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        said(&revoked(2).await[1]),
        (sid_of(&other), "revoked".into())
    );

    // A rotated-out refresh token presented after the grace: the session is revoked.
    let (reused, refresh) = app.log_in(email).await;
    assert_eq!(app.refresh(&refresh).await.status(), StatusCode::OK);
    app.advance(Duration::from_secs(60)).await;
    assert_eq!(
        app.refresh(&refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        said(&revoked(3).await[2]),
        (sid_of(&reused), "reuse_detected".into())
    );

    // A password change ends the other sessions, not this one.
    let (other, _) = app.log_in(email).await;
    let r = app
        .post_auth(
            "/api/v1/me/password",
            &kept,
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        said(&revoked(4).await[3]),
        (sid_of(&other), "password_reset".into())
    );

    // Disabling ends every session; deleting ends the ones begun since.
    let path = format!("/api/v1/admin/users/{id}");
    let r = app
        .patch_auth(&path, &admin, json!({"disabled": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        said(&revoked(5).await[4]),
        (sid_of(&kept), "disabled".into())
    );
    let r = app
        .patch_auth(&path, &admin, json!({"disabled": false}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (last, _) = app.log_in(email).await;
    assert_eq!(
        delete(&app, &path, &admin, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        said(&revoked(6).await[5]),
        (sid_of(&last), "deleted".into())
    );

    // One event per ended session, none for the admin's own, nothing twice.
    app.settle().await;
    let all = receiver.accepted();
    let sessions: Vec<_> = all
        .iter()
        .filter(|d| d.event_type() == "session.revoked")
        .collect();
    assert_eq!(sessions.len(), 6, "{sessions:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_was_down_loses_nothing_and_a_rotation_signs_twice() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|s| {
        with_webhook(s, &receiver);
        if let Some(w) = &mut s.webhook {
            w.secret = OTHER_WEBHOOK_SECRET.parse().expect("secret");
            w.secret_previous = Some(WEBHOOK_SECRET.parse().expect("secret"));
        }
        s.worker.max_attempts = 30;
    })
    .await;
    receiver.wait_for("user.created", 1).await;
    receiver.go_down();
    for i in 0..5 {
        app.register(&format!("down{i}@example.com")).await;
    }
    // The outbox holds them, retrying.
    wait_until(
        "the events are retried",
        Duration::from_secs(10),
        || async {
            let rows = app.outbox().await;
            rows.iter()
                .filter(|m| m.kind == "user.created" && m.status == "retrying")
                .count()
                == 5
        },
    )
    .await;
    receiver.come_back().await;
    let created = receiver.wait_for("user.created", 6).await;
    assert_eq!(created.len(), 6, "each exactly once");
    for d in &created {
        assert!(d.signed_with(OTHER_WEBHOOK_SECRET) && d.signed_with(WEBHOOK_SECRET));
        assert_eq!(d.signature.split(' ').count(), 2);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_always_fails_or_redirects_ends_dead_with_its_last_error() {
    let receiver = Receiver::start().await;
    receiver.always_answer(500);
    let app = TestApp::spawn_with(|s| {
        with_webhook(s, &receiver);
        s.worker.max_attempts = 3;
    })
    .await;
    wait_until("the event is dead", Duration::from_secs(20), || async {
        app.outbox().await.iter().any(|m| m.status == "dead")
    })
    .await;
    let dead = app.outbox().await;
    let dead = dead
        .iter()
        .find(|m| m.kind == "user.created")
        .expect("the event");
    assert_eq!((dead.status.as_str(), dead.attempts), ("dead", 3));
    assert!(
        dead.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("500"),
        "{dead:?}"
    );
    let attempts = receiver.deliveries();
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|d| d.id == attempts[0].id));

    // A redirect is not followed: the target never hears of it.
    let target = Receiver::start().await;
    receiver.redirect_to(&target.url());
    app.register("redirected@example.com").await;
    wait_until(
        "the second event is dead",
        Duration::from_secs(20),
        || async {
            app.outbox()
                .await
                .iter()
                .filter(|m| m.kind == "user.created" && m.status == "dead")
                .count()
                == 2
        },
    )
    .await;
    assert!(target.deliveries().is_empty());
    let rows = app.outbox().await;
    assert!(rows.iter().any(|m| {
        m.last_error
            .as_deref()
            .is_some_and(|e| e.contains("redirect"))
    }));

    // `latchkey outbox` and the admin listing show them with their errors.
    let admin = admin_token(&app).await;
    let listing: Value = app
        .get_auth("/api/v1/admin/outbox?status=dead", &admin)
        .await
        .json()
        .await
        .expect("json");
    let messages = listing["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["kind"] == "user.created"
        && m["to"] == receiver.url()
        && m["last_error"].is_string()));
    app.stop().await;
}

#[tokio::test]
async fn a_slow_receiver_does_not_hold_up_emails() {
    let receiver = Receiver::start().await;
    receiver.hold(); // answers nothing until released
    let app = TestApp::spawn_with(|s| {
        with_webhook(s, &receiver);
        s.first_admin_email = None;
        s.first_admin_password = None;
        s.worker.webhook_concurrency = 1;
        s.worker.lease = Duration::from_secs(30);
    })
    .await;
    for i in 0..3 {
        let email = format!("slow{i}@example.com");
        app.register(&email).await;
        // The email arrives while every webhook delivery is stuck.
        app.smtp.new_token(&email, "verify-email").await;
    }
    assert!(receiver.accepted().is_empty());
    receiver.release();
    receiver.wait_for("user.created", 3).await;
    app.stop().await;
}

#[tokio::test]
async fn without_a_webhook_url_no_event_is_queued() {
    let app = TestApp::spawn().await;
    app.logged_in("quiet@example.com").await;
    assert!(app.outbox().await.iter().all(|m| !m.kind.contains('.')));
    app.stop().await;
}

#[tokio::test]
async fn patch_me_changes_the_name_and_answers_the_me_object() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("profile@example.com").await;
    let r = app
        .patch_auth("/api/v1/me", &access, json!({"name": "  Ann Example "}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(body, me);
    assert_eq!(me["name"], "Ann Example");
    // Absent leaves it, null removes it.
    let body: Value = app
        .patch_auth("/api/v1/me", &access, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["name"], "Ann Example");
    let body: Value = app
        .patch_auth("/api/v1/me", &access, json!({"name": null}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["name"], Value::Null);
    // Bad input changes nothing.
    let r = app
        .patch_auth("/api/v1/me", &access, json!({"name": "a\u{202e}b\nc"}))
        .await;
    let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "name");
    let r = app
        .patch_auth("/api/v1/me", &access, json!({"name": 5}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The language: matched by its language subtag; an unknown one is validation_failed on
    // `locale` and changes nothing; null forgets it.
    let body: Value = app
        .patch_auth("/api/v1/me", &access, json!({"locale": "de-AT"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["locale"], "de");
    for bad in [json!("klingon"), json!(""), json!(7)] {
        let r = app
            .patch_auth(
                "/api/v1/me",
                &access,
                json!({"locale": bad, "name": "Not Me"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        if bad.is_string() {
            let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], "locale");
        }
    }
    let me: Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(
        (me["locale"].clone(), me["name"].clone()),
        (json!("de"), Value::Null)
    );
    let body: Value = app
        .patch_auth(
            "/api/v1/me",
            &access,
            json!({"locale": "sv", "name": "Sven"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (body["locale"].clone(), body["name"].clone()),
        (json!("sv"), json!("Sven"))
    );
    let r = app
        .patch_auth("/api/v1/me", "nope", json!({"name": "X"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

/// Every row in the database that names `id` or `email`, table by table.
async fn rows_naming(app: &TestApp, id: &str, email: &str) -> Vec<String> {
    let db = app.db().await;
    let postgres = app.is_postgres();
    let (tables, columns) = if postgres {
        (
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'",
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
    } else {
        (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations'",
            "SELECT name FROM pragma_table_info($1)",
        )
    };
    let tables: Vec<String> = sqlx::query_scalar(tables)
        .fetch_all(db)
        .await
        .expect("tables");
    let uuid = uuid::Uuid::parse_str(id).expect("uuid");
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(columns)
            .bind(&table)
            .fetch_all(db)
            .await
            .expect("columns");
        for column in columns {
            // SQLite keeps a uuid as its 16 bytes; PostgreSQL's text form of one is the
            // hyphenated lower-case form that `id` has.
            let query = if postgres {
                let sql = format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) = $1 \
                     OR position($2 in lower(CAST(\"{column}\" AS TEXT))) > 0"
                );
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(uuid.to_string())
            } else {
                let sql = format!(
                    "SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" = $1 OR lower(CAST(\"{column}\" AS TEXT)) = $2 \
                     OR (typeof(\"{column}\") = 'text' AND instr(lower(\"{column}\"), $2) > 0)"
                );
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(uuid.as_bytes().to_vec())
            };
            let n: i64 = query
                .bind(email.to_lowercase())
                .fetch_one(db)
                .await
                .expect("count");
            if n > 0 {
                found.push(format!("{table}.{column}: {n}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn deleting_an_account_removes_every_row_of_it_and_frees_the_address() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|s| with_webhook(s, &receiver)).await;
    let email = "Gone@Example.com";
    let (access, refresh) = app.logged_in(email).await;
    let (second, _) = app.log_in(email).await;
    let id = user_id(&app, &access).await;
    // Leave something of every kind: a pending change with its links, a reset link, sessions.
    app.post_auth(
        "/api/v1/me/email",
        &access,
        json!({"password": PASSWORD, "new_email": "gone.new@example.com"}),
    )
    .await;
    app.post("/api/v1/password/forgot", json!({"email": email}))
        .await;
    app.smtp.new_token(email, "reset-password").await;
    receiver.wait_for("user.verified", 1).await;

    // A wrong password deletes nothing.
    let r = delete(
        &app,
        "/api/v1/me",
        &access,
        Some(json!({"password": "wrong password"})),
    )
    .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = delete(&app, "/api/v1/me", &access, None).await;
    assert!(r.status().is_client_error());
    assert_eq!(app.me_status(&access).await, StatusCode::OK);

    let r = delete(
        &app,
        "/api/v1/me",
        &access,
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Its tokens are refused at once, every session's.
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The notice and the event.
    let notice = app.smtp.with_subject(email, "deleted").await;
    assert!(notice.text.contains("deleted"));
    let deleted = receiver.wait_for("user.deleted", 1).await;
    assert_eq!(deleted[0].json["data"]["user_id"], id.as_str());

    // Nothing of the account is left but the notice and the events sent to the host app.
    wait_until("the notice is sent", Duration::from_secs(10), || async {
        app.outbox().await.iter().all(|m| m.status == "sent")
    })
    .await;
    let left = rows_naming(&app, &id, email).await;
    let outbox: Vec<_> = app.outbox().await;
    let kept: Vec<String> = outbox
        .iter()
        .filter(|m| m.recipient.eq_ignore_ascii_case(email))
        .map(|m| m.kind.clone())
        .collect();
    assert_eq!(kept, ["account_deleted"], "{outbox:?}");
    for row in &left {
        assert!(
            row.starts_with("outbox.recipient") || row.starts_with("outbox.payload"),
            "left behind: {left:?}"
        );
    }

    // The address signs up again, as a new account.
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    let token = app.smtp.new_token(email, "verify-email").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    let (access, _) = app.log_in(email).await;
    assert_ne!(user_id(&app, &access).await, id);
    app.stop().await;
}

#[tokio::test]
async fn admins_delete_any_account_and_missing_ones_are_not_found() {
    let receiver = Arc::new(Receiver::start().await);
    let app = TestApp::spawn_with(|s| with_webhook(s, &receiver)).await;
    let admin = admin_token(&app).await;
    let (access, _) = app.logged_in("victim@example.com").await;
    let id = user_id(&app, &access).await;
    let r = delete(&app, &format!("/api/v1/admin/users/{id}"), &access, None).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = delete(&app, &format!("/api/v1/admin/users/{id}"), &admin, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
    for missing in [
        id.as_str(),
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let r = delete(
            &app,
            &format!("/api/v1/admin/users/{missing}"),
            &admin,
            None,
        )
        .await;
        assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    }
    app.smtp.with_subject("victim@example.com", "deleted").await;
    app.stop().await;
}
