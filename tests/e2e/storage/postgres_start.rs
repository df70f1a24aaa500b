//! Starting on PostgreSQL (issue 8, contract §1 and §10): a database that comes up while `serve`
//! waits for it (within `LATCHKEY_DATABASE_CONNECT_TIMEOUT`) is used. The refusals that need no
//! PostgreSQL server (no secret, no database answering) are in `process::start_up`.
//!
//! PostgreSQL-only: without `LATCHKEY_TEST_POSTGRES` this test says so and passes (under
//! `CI=true` it fails).

use std::time::Duration;

use crate::support::{cluster::PrivateCluster, node::Node, *};
use reqwest::StatusCode;

/// The database comes up while `serve` waits for it: the server starts and serves, no
/// restart needed (a compose stack or a host that boots both at once).
#[tokio::test]
async fn a_database_that_comes_up_within_the_timeout_is_used() {
    let _turn = heavy_test().await;
    if postgres_or_skip("the late database check").is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::start_or_skip("the late database check") else {
        return;
    };
    cluster.stop().expect("stop the cluster");
    let dir = tempfile::tempdir().expect("temporary directory");
    let smtp = SmtpServer::start().await;
    let mut command = node::deployment(dir.path(), &cluster.url("postgres"), &smtp);
    command.env("LATCHKEY_DATABASE_CONNECT_TIMEOUT", "60s");
    let starting = tokio::spawn(Node::serve("serve", command));
    // Real time: `serve` retries its connection on its own clock, in another process.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !starting.is_finished(),
        "serve started without its database"
    );
    cluster.start().expect("start the cluster");
    let server = starting
        .await
        .expect("serve starts once the database is up");
    let client = reqwest::Client::new();
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    let r = client
        .post(server.url("/api/v1/register"))
        .json(&serde_json::json!({"email": "late@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    smtp.latest("late@example.com").await;
}
