//! Outbox leases (issue 11): a short lease kept alive by a heartbeat while a send runs. A worker
//! killed with SIGKILL mid-send delays its message by at most one lease (measured here with a
//! real `latchkey worker` process), and a send that takes longer than the lease is not taken
//! over by another worker (no second copy).

use std::{
    io::Write as _,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use crate::support::*;
use reqwest::StatusCode;

/// The lease of the message in the outbox, if it has one (the test sends one message).
async fn lease_until(app: &TestApp) -> Option<i64> {
    sqlx::query_scalar("SELECT lease_until FROM outbox")
        .fetch_one(app.db().await)
        .await
        .expect("the message's lease")
}

/// A send that lasts four leases: without a heartbeat, the other worker would claim the message
/// after the first lease and send a second copy. The time passes on the clock both workers
/// share, half a lease at a time while the SMTP server holds its answer; the heartbeat renews
/// the lease after each step.
#[tokio::test]
async fn a_send_longer_than_the_lease_is_not_taken_over_by_another_worker() {
    let lease = Duration::from_secs(30);
    let app = TestApp::spawn_with(|s| s.worker.lease = lease).await;
    let other = app.restart_like().await;
    app.smtp.hold();
    assert_eq!(
        app.register("slow@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.smtp.wait_for_data(1, Duration::from_secs(30)).await;
    for step in 1..=8 {
        let before = lease_until(&app).await.expect("leased while it is sent");
        app.advance_during_sends(lease / 2);
        wait_until(
            &format!("the heartbeat renews the lease after step {step}"),
            Duration::from_secs(30),
            || async { lease_until(&app).await.is_some_and(|until| until > before) },
        )
        .await;
    }
    app.smtp.resume();
    app.smtp
        .wait_for("slow@example.com", 1, Duration::from_secs(30))
        .await;
    wait_until("the send is recorded", Duration::from_secs(30), || async {
        app.outbox().await.iter().all(|m| m.status == "sent")
    })
    .await;
    // One claim in all (a claim counts an attempt): the other worker never took it over.
    let rows = app.outbox().await;
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("sent", 1));
    assert_eq!(app.smtp.data_read(), 1, "one SMTP send in all");
    assert_eq!(app.smtp.messages_to("slow@example.com").len(), 1);
    other.stop().await;
    app.stop().await;
}

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `latchkey` on `db`, sending through `smtp` with this lease, quiet.
fn with_lease(dir: &std::path::Path, db: &TestDatabase, smtp: &SmtpServer, lease: &str) -> Command {
    let mut command = latchkey(dir);
    command
        .env("LATCHKEY_DATABASE_URL", db.env_url())
        .env("LATCHKEY_SECRET", SECRET)
        .env("LATCHKEY_SMTP_URL", smtp.url())
        .env("LATCHKEY_MAIL_LEASE", lease)
        .env("LATCHKEY_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// `latchkey worker` killed with SIGKILL while the SMTP server holds its message: a new worker
/// sends it once the lease runs out, within one lease of the kill (plus the poll and start).
/// Real time, on purpose: the lease runs out in separate processes, on their own clocks.
#[tokio::test]
async fn a_worker_killed_mid_send_is_replaced_within_one_lease() {
    let _turn = heavy_test().await;
    const LEASE_SECS: u64 = 3;
    let lease = format!("{LEASE_SECS}s");
    let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
    let database = TestDatabase::for_engine(dir.path()).await;
    let smtp = SmtpServer::start().await;
    let to = "killed@example.com";

    // A verification email queued by the CLI.
    let mut create = with_lease(dir.path(), &database, &smtp, &lease)
        .args(["user", "create", "--email", to])
        .stdin(Stdio::piped())
        .spawn()
        .expect("latchkey user create");
    if let Some(mut stdin) = create.stdin.take() {
        stdin
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
    }
    assert!(create.wait().expect("user create").success());

    smtp.hang();
    let first = Worker(
        with_lease(dir.path(), &database, &smtp, &lease)
            .arg("worker")
            .spawn()
            .expect("latchkey worker"),
    );
    smtp.wait_for_data(1, Duration::from_secs(60)).await;
    // kill -9 mid-send: the message is claimed and never marked.
    let killed_at = Instant::now();
    drop(first);
    smtp.resume();

    let _second = Worker(
        with_lease(dir.path(), &database, &smtp, &lease)
            .arg("worker")
            .spawn()
            .expect("latchkey worker"),
    );
    let restarted_at = Instant::now();
    let mails = smtp.wait_for(to, 1, Duration::from_secs(60)).await;
    let after_kill = killed_at.elapsed();
    let after_restart = restarted_at.elapsed();
    eprintln!(
        "lease {LEASE_SECS}s: sent {after_kill:?} after the kill, {after_restart:?} after the restart"
    );
    assert_eq!(mails.len(), 1);
    // At most one lease, the worker's poll (2 s) and a loaded machine's slack.
    assert!(
        after_kill < Duration::from_secs(LEASE_SECS + 2 + 10),
        "{after_kill:?}"
    );
    // Once recorded as sent, nothing sends it again.
    let db = database.connect().await;
    wait_until("the send is recorded", Duration::from_secs(30), || async {
        sqlx::query_scalar::<_, String>("SELECT CAST(status AS TEXT) FROM outbox")
            .fetch_one(&db)
            .await
            .is_ok_and(|status| status == "sent")
    })
    .await;
    assert_eq!(smtp.messages_to(to).len(), 1, "sent once");
}
