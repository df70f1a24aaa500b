//! Starting on PostgreSQL (issue 8, contract §1 and §10): without `LATCHKEY_SECRET` `serve`,
//! `worker` and `migrate` refuse to start and say how to make one; a database that does not
//! answer at start is retried, with a log line per try, until
//! `LATCHKEY_DATABASE_CONNECT_TIMEOUT`, and one that comes up within it is used.
//!
//! PostgreSQL-only: without `LATCHKEY_TEST_POSTGRES` these tests say so and pass (under
//! `CI=true` they fail).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{cluster::PrivateCluster, node::Node, *};
use reqwest::StatusCode;

fn latchkey(dir: &std::path::Path) -> Command {
    let mut command = crate::support::latchkey(dir);
    command
        .stdin(Stdio::null())
        .env("LATCHKEY_LISTEN", "127.0.0.1:0");
    command
}

#[tokio::test]
async fn without_a_secret_no_command_starts_on_postgres() {
    if postgres_or_skip("the secret check on PostgreSQL").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::postgres().await;
    for command in ["serve", "worker", "migrate"] {
        let out = latchkey(dir.path())
            .arg(command)
            .env("LATCHKEY_DATABASE_URL", database.env_url())
            .output()
            .expect("run latchkey");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command} started without a secret");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: {stderr}");
        assert!(
            stderr.contains("LATCHKEY_SECRET") && stderr.contains("openssl rand -base64 32"),
            "{command} says what is missing and how to make one: {stderr}"
        );
    }
    // No key file was made instead, as SQLite would.
    assert!(!dir.path().join("latchkey.key").exists());
}

/// Nothing listens on the port: each try is logged, and the process gives up with an error
/// that names the setting after the connect timeout (not at once, and not never).
#[tokio::test]
async fn an_unreachable_database_is_retried_until_the_connect_timeout() {
    if postgres_or_skip("the connect timeout check").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("postgres://latchkey:latchkey@127.0.0.1:{port}/nowhere");
    // `serve` long enough for several tries; the others only to see them give up.
    let runs: Vec<_> = [("serve", 12), ("worker", 2), ("migrate", 2)]
        .into_iter()
        .map(|(command, timeout)| {
            let mut child = latchkey(dir.path());
            child
                .arg(command)
                .env("LATCHKEY_DATABASE_URL", &url)
                .env("LATCHKEY_SECRET", SECRET)
                .env("LATCHKEY_DATABASE_CONNECT_TIMEOUT", format!("{timeout}s"))
                .env("LATCHKEY_LOG", "info");
            std::thread::spawn(move || {
                let started = Instant::now();
                let out = child.output().expect("run latchkey");
                (command, timeout, started.elapsed(), out)
            })
        })
        .collect();
    for run in runs {
        let (command, timeout, took, out) = run.join().expect("join");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command}: {stderr}");
        assert!(
            took >= Duration::from_secs(timeout) && took < Duration::from_secs(timeout + 20),
            "{command} with a {timeout}s timeout gave up after {took:?}: {stderr}"
        );
        let last = stderr.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.contains("LATCHKEY_DATABASE_CONNECT_TIMEOUT"),
            "{command}'s error names the setting: {stderr}"
        );
        if command == "serve" {
            let tries = stderr.lines().filter(|l| l.contains("retrying")).count();
            assert!(tries >= 2, "{command} logs each try: {stderr}");
        }
    }
}

/// The database comes up while `serve` waits for it: the server starts and serves, no
/// restart needed (a compose stack or a host that boots both at once).
#[tokio::test]
async fn a_database_that_comes_up_within_the_timeout_is_used() {
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
