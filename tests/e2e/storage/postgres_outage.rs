//! The database goes away while a server runs (issue 8): on a PostgreSQL cluster of the test's
//! own, stopped and started again under a running `latchkey serve`. While it is down, requests
//! that need it answer 503 with a problem body and `/readyz` is not ready; once it is back the
//! same process serves again without a restart, and an email queued before the stop is
//! delivered, once.
//!
//! PostgreSQL-only: it needs PostgreSQL's programs (initdb, pg_ctl) and, like the other
//! PostgreSQL tests, `LATCHKEY_TEST_POSTGRES`; without them it says so and passes (under
//! `CI=true` it fails).

use std::time::{Duration, Instant};

use crate::support::{cluster::PrivateCluster, node::Node, *};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A request that needs the database, while it is down: 503, a problem body, `Retry-After`,
/// and an answer in bounded time (the pool does not wait forever for a connection).
async fn assert_unavailable(what: &str, request: reqwest::RequestBuilder) {
    let started = Instant::now();
    let r = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = started.elapsed();
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let retry_after = r.headers().get("retry-after").is_some();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(content_type, "application/problem+json", "{what}");
    assert_eq!(body["status"], 503, "{what}: {body}");
    assert!(body["code"].is_string(), "{what}: {body}");
    assert!(retry_after, "{what}: Retry-After");
    assert!(took < Duration::from_secs(20), "{what} took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_stopped_and_started_under_a_running_server() {
    let _turn = heavy_test().await;
    if postgres_or_skip("the database outage test").is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::start_or_skip("the database outage test") else {
        return;
    };
    let url = cluster.url("postgres");
    let dir = tempfile::tempdir().expect("temporary directory");
    let smtp = SmtpServer::start().await;
    let mut command = node::deployment(dir.path(), &url, &smtp);
    command.env("LATCHKEY_DATABASE_CONNECT_TIMEOUT", "30s");
    let mut server = Node::serve("serve", command).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let base = server.base.clone();
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).json(&body);

    // A verified, logged-in user.
    let r = post(
        "/api/v1/register",
        json!({"email": "ann@example.com", "password": PASSWORD}),
    )
    .send()
    .await
    .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = smtp.new_token("ann@example.com", "verify-email").await;
    let r = post("/api/v1/email/verify", json!({"token": token}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(
        "/api/v1/login",
        json!({"email": "ann@example.com", "password": PASSWORD}),
    )
    .send()
    .await
    .expect("log in");
    assert_eq!(r.status(), StatusCode::OK);
    let (access, refresh) = tokens_of(r).await;

    // An email queued while SMTP is down: it waits in the outbox across the outage.
    smtp.refuse();
    let r = post(
        "/api/v1/register",
        json!({"email": "queued@example.com", "password": PASSWORD}),
    )
    .send()
    .await
    .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let database = TestDatabase::Postgres(PgDatabase::existing(&url));
    let db = database.connect().await;
    wait_until(
        "the email is queued and was tried",
        Duration::from_secs(30),
        || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM outbox WHERE recipient = 'queued@example.com' AND attempts > 0",
            )
            .fetch_one(&db)
            .await
            .unwrap_or(0)
                > 0
        },
    )
    .await;
    db.close().await;

    // The database goes away.
    cluster.stop().expect("stop the cluster");
    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK, "the process is up");
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "not ready");
    assert_unavailable(
        "log-in",
        post(
            "/api/v1/login",
            json!({"email": "ann@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    assert_unavailable(
        "refresh",
        post("/api/v1/token/refresh", json!({"refresh_token": refresh})),
    )
    .await;
    assert_unavailable(
        "GET /api/v1/me",
        client.get(server.url("/api/v1/me")).bearer_auth(&access),
    )
    .await;
    assert_unavailable(
        "PATCH /api/v1/me",
        client
            .patch(server.url("/api/v1/me"))
            .bearer_auth(&access)
            .json(&json!({"name": "Down"})),
    )
    .await;
    // A sign-up that cannot be recorded is not answered 202: a sign-up is there once it is
    // answered (contract §4), so the client is told to try again.
    assert_unavailable(
        "sign-up",
        post(
            "/api/v1/register",
            json!({"email": "during@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    // The outage lasts a while: real time, as the server's reconnects and pool timeouts (in
    // another process, on its own clock) run on it.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(server.running(), "the server died with its database");

    // Back: the same process serves again by itself.
    smtp.resume();
    cluster.start().expect("start the cluster again");
    let back = Instant::now();
    wait_until("log-in works again", Duration::from_secs(60), || async {
        post(
            "/api/v1/login",
            json!({"email": "ann@example.com", "password": PASSWORD}),
        )
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    eprintln!(
        "serving again {:?} after the database came back",
        back.elapsed()
    );
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK, "ready again");
    let me = client
        .get(server.url("/api/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    let r = post("/api/v1/token/refresh", json!({"refresh_token": refresh}))
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), StatusCode::OK);

    // The email queued before the stop goes out, once; and a new one too.
    let queued = smtp
        .wait_for("queued@example.com", 1, Duration::from_secs(60))
        .await;
    assert_eq!(queued.len(), 1, "the queued email was lost");
    let r = post(
        "/api/v1/register",
        json!({"email": "after@example.com", "password": PASSWORD}),
    )
    .send()
    .await
    .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    smtp.latest("after@example.com").await;
    // A second copy would follow a lease or a retry of the server process's own clock: real
    // time, which a test clock cannot move in another process.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        smtp.messages_to("queued@example.com").len(),
        1,
        "sent twice"
    );
    assert!(
        smtp.messages_to("during@example.com").is_empty(),
        "the refused sign-up was recorded after all"
    );
    assert!(server.running());
    assert!(
        !server.log_lines().iter().any(|l| l.contains("panicked")),
        "{}",
        server.log()
    );
    server.terminate().await;
}
