//! SMTP faults tried on purpose (issue 11), scripted on the test SMTP server over TCP: a 4xx to one recipient or to the message (retried), a 5xx (dead at once with the
//! server's words, not ten retries over a day), a server that accepts the connection and never
//! answers (a bounded, configurable timeout, then a retry), a connection dropped in the middle
//! of the message data (retried, sent exactly once), and STARTTLS offered and then failing.
//! For each: what the outbox row says, what `latchkey outbox` and the admin listing show, and
//! that the next messages still go out.

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::support::{
    smtp::{ALWAYS, Fault},
    *,
};
use serde_json::Value;

const ROOT: &str = "root@example.com";
const WAIT: Duration = Duration::from_secs(30);
const SMTP_TIMEOUT: Duration = Duration::from_secs(1);

struct Faulty {
    app: TestApp,
    smtp: Arc<SmtpServer>,
    admin: String,
}

/// The application, with a first admin for the listing and retries that do not run out while
/// a test looks at them; with `starttls`, it requires STARTTLS of the SMTP server.
async fn spawn_with(starttls: bool) -> Faulty {
    let app = TestApp::spawn_with(|s| {
        if starttls {
            let url = s.smtp_url.as_ref().expect("the test SMTP server");
            s.smtp_url = Some(format!("{url}?tls=starttls").parse().expect("smtp url"));
        }
        s.first_admin_email = Some(ROOT.parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.into());
        s.worker.max_attempts = 1000;
        s.worker.smtp_timeout = SMTP_TIMEOUT;
    })
    .await;
    let (admin, _) = app.log_in(ROOT).await;
    let smtp = Arc::clone(&app.smtp);
    Faulty { app, smtp, admin }
}

async fn spawn() -> Faulty {
    spawn_with(false).await
}

impl Faulty {
    /// Queues one verification email to `address`.
    async fn queue(&self, address: &str) {
        let r = self.app.register(address).await;
        assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    }

    async fn row(&self, address: &str) -> OutboxRow {
        let rows = self.app.outbox_to(address).await;
        assert_eq!(rows.len(), 1, "one message to {address}: {rows:?}");
        rows[0].clone()
    }

    async fn wait_for_row(&self, address: &str, what: &str, check: impl Fn(&OutboxRow) -> bool) {
        wait_until(what, WAIT, || async {
            self.app
                .outbox_to(address)
                .await
                .first()
                .is_some_and(&check)
        })
        .await;
    }

    /// The message to `address` as `GET /api/v1/admin/outbox` lists it.
    async fn admin_listing(&self, address: &str) -> Value {
        let r = self
            .app
            .get_auth("/api/v1/admin/outbox?limit=200", &self.admin)
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let body: Value = r.json().await.expect("json");
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["to"] == address)
            .cloned()
            .unwrap_or_else(|| panic!("{address} is not listed: {body}"))
    }

    /// `latchkey outbox --json` and `latchkey outbox` on the application's database.
    async fn cli(&self) -> (Value, String) {
        let json = self.run_cli(&["outbox", "--json"]).await;
        let text = self.run_cli(&["outbox"]).await;
        (serde_json::from_str(&json).expect("outbox --json"), text)
    }

    async fn run_cli(&self, args: &[&str]) -> String {
        let mut command = latchkey(self.app.dir.path());
        command
            .args(args)
            .env("LATCHKEY_DATABASE_URL", self.app.database_env_url())
            .env("LATCHKEY_SECRET", SECRET)
            .stdin(Stdio::null());
        let out = tokio::task::spawn_blocking(move || command.output().expect("latchkey runs"))
            .await
            .expect("join");
        assert!(
            out.status.success(),
            "latchkey {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every view of a message that failed and waits for another try agrees: the row, the
    /// admin listing and both forms of `latchkey outbox` say `retrying` with the error.
    async fn assert_retrying(&self, address: &str, error_parts: &[&str]) {
        let row = self.row(address).await;
        assert_eq!(row.status, "retrying", "{row:?}");
        assert!(
            row.has_link,
            "a message that will be retried keeps its link"
        );
        let error = row.last_error.clone().unwrap_or_default();
        for part in error_parts {
            assert!(
                error.contains(part),
                "{part:?} not in the last error {error:?}"
            );
        }
        self.assert_listed(address, "retrying", error_parts).await;
    }

    async fn assert_listed(&self, address: &str, status: &str, error_parts: &[&str]) {
        let listed = self.admin_listing(address).await;
        assert_eq!(listed["status"], status, "{listed}");
        let error = listed["last_error"].as_str().unwrap_or_default();
        for part in error_parts {
            assert!(
                error.contains(part),
                "admin listing: {part:?} not in {listed}"
            );
        }
        if status == "retrying" {
            assert!(listed["next_attempt_at"].is_string(), "{listed}");
        }
        let (json, text) = self.cli().await;
        let failed = json["failed"]
            .as_array()
            .expect("failed")
            .iter()
            .find(|m| m["to"] == address)
            .cloned()
            .unwrap_or_else(|| panic!("latchkey outbox --json does not list {address}: {json}"));
        assert_eq!(failed["status"], status, "{failed}");
        let error = failed["last_error"].as_str().unwrap_or_default();
        for part in error_parts {
            assert!(
                error.contains(part),
                "latchkey outbox --json: {part:?} not in {failed}"
            );
            assert!(
                text.contains(part),
                "latchkey outbox: {part:?} not in {text}"
            );
        }
        assert!(text.contains(address), "{text}");
        assert!(json["counts"][status].as_i64().unwrap_or(0) >= 1, "{json}");
    }

    /// Moves the clock past the longest lease and retry delay, and lets whatever that makes
    /// due be sent: a second copy or a retry would now have been made.
    async fn pass_every_lease_and_retry(&self) {
        let worker = &self.app.settings.worker;
        self.app.advance(worker.lease + worker.retry_max).await;
        self.app.settle().await;
    }

    /// After the fault: the message went out exactly once, its row says sent with its link
    /// erased, and the listings agree.
    async fn assert_sent_once(&self, address: &str) {
        let mail = self.smtp.latest(address).await;
        self.wait_for_row(address, "the message is marked sent", |m| {
            m.status == "sent"
        })
        .await;
        // Nothing else follows, even once every lease and retry delay has passed.
        self.pass_every_lease_and_retry().await;
        assert_eq!(self.smtp.messages_to(address).len(), 1, "sent exactly once");
        let row = self.row(address).await;
        assert!(!row.has_link, "{row:?}");
        assert_eq!(row.last_error, None, "{row:?}");
        let listed = self.admin_listing(address).await;
        assert_eq!(listed["status"], "sent", "{listed}");
        assert!(mail.token("verify-email").is_some());
    }

    /// A message to a fresh address goes out while the fault holds for others.
    async fn next_message_goes_out(&self, address: &str) {
        self.queue(address).await;
        self.smtp.latest(address).await;
        self.wait_for_row(address, "the next message is marked sent", |m| {
            m.status == "sent"
        })
        .await;
    }
}

#[tokio::test]
async fn a_4xx_to_one_recipient_is_retried_while_other_messages_go_out() {
    let f = spawn().await;
    let busy = "busy@example.com";
    f.smtp.fail_for(
        busy,
        Fault::Rcpt("450 4.2.1 mailbox busy, try later"),
        ALWAYS,
    );
    f.queue(busy).await;
    f.wait_for_row(busy, "the message was retried", |m| {
        m.status == "retrying" && m.attempts >= 2
    })
    .await;
    f.assert_retrying(busy, &["450", "mailbox busy"]).await;
    f.next_message_goes_out("other@example.com").await;
    f.smtp.clear();
    f.assert_sent_once(busy).await;
    f.app.stop().await;
}

#[tokio::test]
async fn a_4xx_to_the_message_data_is_retried_and_sent_once() {
    let f = spawn().await;
    let to = "data451@example.com";
    f.smtp.fail_for(
        to,
        Fault::Data("451 4.3.0 local error in processing"),
        ALWAYS,
    );
    f.queue(to).await;
    f.wait_for_row(to, "the message was retried", |m| {
        m.status == "retrying" && m.attempts >= 2
    })
    .await;
    f.assert_retrying(to, &["451", "local error in processing"])
        .await;
    f.next_message_goes_out("after451@example.com").await;
    f.smtp.clear();
    f.assert_sent_once(to).await;
    f.app.stop().await;
}

/// `550 mailbox unavailable` at RCPT, or a 5xx to the data: dead at the first attempt with the
/// server's words and the link erased; nothing more is tried, and the next messages go out.
#[tokio::test]
async fn a_5xx_is_dead_at_once_with_the_servers_error() {
    let f = spawn().await;
    let gone = "gone@example.com";
    let refused = "refused@example.com";
    f.smtp
        .fail_for(gone, Fault::Rcpt("550 5.1.1 mailbox unavailable"), ALWAYS);
    f.smtp.fail_for(
        refused,
        Fault::Data("554 5.6.0 message content refused"),
        ALWAYS,
    );
    for (to, parts) in [
        (gone, ["550", "mailbox unavailable"]),
        (refused, ["554", "message content refused"]),
    ] {
        f.queue(to).await;
        f.wait_for_row(to, "the message is dead", |m| m.status == "dead")
            .await;
        let row = f.row(to).await;
        assert_eq!(row.attempts, 1, "no retry after a 5xx: {row:?}");
        assert!(!row.has_link, "a dead message keeps no link: {row:?}");
        f.assert_listed(to, "dead", &parts).await;
    }
    // Nothing was tried again, even once every lease and retry delay has passed.
    f.pass_every_lease_and_retry().await;
    assert_eq!(f.smtp.faults_applied(), 2);
    assert_eq!(f.row(gone).await.attempts, 1);
    f.next_message_goes_out("next@example.com").await;
    f.app.stop().await;
}

/// A server that accepts the connection and never says a word costs each attempt the SMTP
/// timeout (`LATCHKEY_SMTP_TIMEOUT`, 1 s here), no more; the message is retried and goes out
/// once the server answers again.
#[tokio::test]
async fn a_server_that_never_answers_times_out_and_the_message_is_retried() {
    let f = spawn().await;
    f.smtp.fail_connections(Fault::Silent, ALWAYS);
    let to = "silent@example.com";
    let queued = Instant::now();
    f.queue(to).await;
    f.wait_for_row(to, "the first attempt timed out", |m| {
        m.status == "retrying"
    })
    .await;
    // Bounded by the timeout (plus a loaded machine's slack), not by the server.
    assert!(queued.elapsed() < SMTP_TIMEOUT + Duration::from_secs(10));
    f.assert_retrying(to, &["within 1s"]).await;
    f.smtp.clear();
    f.assert_sent_once(to).await;
    f.next_message_goes_out("after-silence@example.com").await;
    f.app.stop().await;
}

/// The connection drops in the middle of the data: nothing was accepted, so the message is
/// retried, and it arrives exactly once when the server behaves again.
#[tokio::test]
async fn a_connection_dropped_in_the_middle_of_data_is_retried_and_sent_once() {
    let f = spawn().await;
    let to = "dropped@example.com";
    f.smtp.fail_for(to, Fault::DropInData, ALWAYS);
    f.queue(to).await;
    f.wait_for_row(to, "the message was retried", |m| {
        m.status == "retrying" && m.attempts >= 2
    })
    .await;
    let row = f.row(to).await;
    assert!(row.last_error.is_some_and(|e| !e.is_empty()));
    f.assert_retrying(to, &[]).await;
    f.next_message_goes_out("after-drop@example.com").await;
    f.smtp.clear();
    f.assert_sent_once(to).await;
    f.app.stop().await;
}

/// STARTTLS required (`?tls=starttls`), offered by the server, then failing: retried (the
/// message is not the problem), with the failure named; sent once the deployment is fixed.
#[tokio::test]
async fn starttls_offered_then_failing_is_retried_and_named() {
    let f = spawn_with(true).await;
    f.smtp.fail_connections(Fault::StartTlsFails, ALWAYS);
    let to = "tls@example.com";
    f.queue(to).await;
    f.wait_for_row(to, "the message was retried", |m| {
        m.status == "retrying" && m.attempts >= 2
    })
    .await;
    f.assert_retrying(to, &["STARTTLS"]).await;
    // The operator turns STARTTLS off for this (test) server: the next start sends it.
    f.app.stop().await;
    f.smtp.clear();
    let url = f.smtp.url();
    let app = f
        .app
        .restart_with(|s| s.smtp_url = Some(url.parse().expect("smtp url")))
        .await;
    let f = Faulty {
        admin: app.log_in(ROOT).await.0,
        app,
        smtp: f.smtp,
    };
    f.assert_sent_once(to).await;
    f.next_message_goes_out("after-tls@example.com").await;
    f.app.stop().await;
}
