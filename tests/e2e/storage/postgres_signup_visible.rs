//! A sign-up is there once it is answered, on any node (contract §4, §10): two `latchkey
//! serve` processes on one PostgreSQL database; a sign-up answered by one is found by a log-in
//! and an admin listing on the other the moment the 202 arrives, although the answering node
//! records it only after answering. A sign-up that a node answered and never recorded (it died
//! in between: only the `pending_signups` row it wrote before answering is left) is recorded by
//! the other node's first look-up of the address.
//!
//! PostgreSQL-only: without `LATCHKEY_TEST_POSTGRES` this test says so and passes (under
//! `CI=true` it fails).

use std::time::Duration;

use crate::support::{node::Node, *};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROUNDS: usize = 50;
const ROOT: &str = "root@example.com";

async fn post(client: &reqwest::Client, url: String, body: Value) -> reqwest::Response {
    client.post(url).json(&body).send().await.expect("request")
}

/// The problem code of an answer, with its status.
async fn code_of(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_answered_by_one_server_is_found_on_the_other_at_once() {
    let _turn = heavy_test().await;
    if postgres_or_skip("the two-server read-your-writes test").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::postgres().await;
    let url = database.env_url();
    // One listener for both: whichever node records a sign-up, its email comes here.
    let smtp = SmtpServer::start().await;
    let command = || {
        let mut command = node::deployment(dir.path(), &url, &smtp);
        command
            .env("LATCHKEY_FIRST_ADMIN_EMAIL", ROOT)
            .env("LATCHKEY_FIRST_ADMIN_PASSWORD", PASSWORD);
        command
    };
    let (mut a, mut b) = tokio::join!(
        Node::serve("server A", command()),
        Node::serve("server B", command())
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let r = post(
        &client,
        b.url("/api/v1/login"),
        json!({"email": ROOT, "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", b.log());
    let admin = str_of(&r.json::<Value>().await.expect("tokens"), "access_token");

    for i in 0..ROUNDS {
        let email = format!("two-nodes-{i}@example.com");
        let r = post(
            &client,
            a.url("/api/v1/register"),
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        // Alternately a log-in and an admin listing first, on the other server.
        let log_in = async {
            let r = post(
                &client,
                b.url("/api/v1/login"),
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
            assert_eq!(
                code_of(r).await,
                (StatusCode::FORBIDDEN, "email_not_verified".to_owned()),
                "log-in of {email} on server B right after its sign-up on server A"
            );
        };
        let listing = async {
            let r = client
                .get(b.url(&format!("/api/v1/admin/users?q=two-nodes-{i}@")))
                .bearer_auth(&admin)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status(), StatusCode::OK);
            let page: Value = r.json().await.expect("json");
            let listed: Vec<String> = page["users"]
                .as_array()
                .expect("users")
                .iter()
                .map(|u| str_of(u, "email"))
                .collect();
            assert_eq!(listed, vec![email.clone()], "listed on server B");
        };
        if i % 2 == 0 {
            log_in.await;
            listing.await;
        } else {
            listing.await;
            log_in.await;
        }
    }
    for i in 0..ROUNDS {
        let mail = smtp.latest(&format!("two-nodes-{i}@example.com")).await;
        assert!(mail.token("verify-email").is_some());
    }

    // Answered by a node that died before recording it: the row it wrote before answering,
    // dated far ahead so that the finisher of left-over sign-ups (which waits a while before it
    // takes a row) leaves it to the log-in on the other node.
    let db = database.connect().await;
    let inserted = sqlx::query(
        "INSERT INTO pending_signups (id, email, email_norm, name, locale, password_hash, created_at) \
         SELECT '00000000-0000-0000-0000-0000000000aa', 'Orphan@Example.com', 'orphan@example.com', \
                NULL, 'en', password_hash, 9000000000000000 \
         FROM users WHERE email_norm = 'two-nodes-0@example.com'",
    )
    .execute(&db)
    .await
    .expect("a pending sign-up")
    .rows_affected();
    assert_eq!(inserted, 1);
    let r = post(
        &client,
        b.url("/api/v1/login"),
        json!({"email": "orphan@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        code_of(r).await,
        (StatusCode::FORBIDDEN, "email_not_verified".to_owned())
    );
    assert!(
        smtp.latest("Orphan@Example.com")
            .await
            .token("verify-email")
            .is_some()
    );
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_signups")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(pending, 0);

    for node in [&mut a, &mut b] {
        node.terminate().await;
        let errors: Vec<String> = node
            .errors()
            .into_iter()
            .filter(|l| !l.contains(" WARN "))
            .collect();
        assert!(errors.is_empty(), "{}", node.log());
    }
}
