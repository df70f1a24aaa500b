//! The durable outbox (contract §1, §4): emails survive SMTP outages, crashes and restarts,
//! are sent once, die only when retries run out (keeping the last error), never leave a
//! readable link in the database files, and a graceful stop lets a send in progress finish.

use std::time::Duration;

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use latchkey::domain::keys::{Keys, Secret};
use reqwest::StatusCode;

const OUTBOX_TIMEOUT: Duration = Duration::from_secs(30);

/// The first retry comes within this (`LATCHKEY_MAIL_RETRY_BASE`'s default), later ones about
/// three times further each: the schedule of a deployment, which these tests move the clock
/// through instead of retrying every few milliseconds.
const FIRST_RETRY: Duration = Duration::from_secs(20);

/// The default retry schedule, and `max_attempts`.
fn real_retries(s: &mut latchkey::Settings, max_attempts: u32) {
    let defaults = latchkey::Settings::defaults().worker;
    s.worker.retry_base = defaults.retry_base;
    s.worker.retry_max = defaults.retry_max;
    s.worker.max_attempts = max_attempts;
}

/// Waits until every outbox row satisfies `check`.
async fn wait_for_outbox(app: &TestApp, what: &str, check: impl Fn(&OutboxRow) -> bool) {
    wait_until(what, OUTBOX_TIMEOUT, || async {
        let rows = app.outbox().await;
        !rows.is_empty() && rows.iter().all(&check)
    })
    .await;
}

/// The raw bytes of the database and its WAL and shared-memory files, as they are now.
fn database_files(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    ["latchkey.db", "latchkey.db-wal", "latchkey.db-shm"]
        .into_iter()
        .filter_map(|name| {
            std::fs::read(app.dir.path().join(name))
                .ok()
                .map(|raw| (name.to_owned(), raw))
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn twenty_sign_ups_while_smtp_is_down_are_each_delivered_once_when_it_is_back() {
    let app = TestApp::spawn_with(|s| real_retries(s, 100)).await;
    app.smtp.refuse();
    let addresses: Vec<String> = (0..20).map(|i| format!("outage{i}@example.com")).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for email in &addresses {
        let (client, url, email) = (
            app.client.clone(),
            app.url("/api/v1/register"),
            email.clone(),
        );
        tasks.spawn(async move {
            client
                .post(url)
                .json(&serde_json::json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .expect("request")
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), StatusCode::ACCEPTED);
    }
    // Every message was tried and failed, and waits for another try.
    wait_for_outbox(&app, "every message failed at least once", |m| {
        m.status == "retrying" && m.attempts >= 1 && m.last_error.is_some()
    })
    .await;
    assert_eq!(app.outbox().await.len(), 20);
    assert!(app.smtp.messages().is_empty());

    let connections_before = app.smtp.connections();
    app.smtp.resume();
    app.advance(FIRST_RETRY).await;
    wait_for_outbox(&app, "every message was sent", |m| m.status == "sent").await;
    // Sent over a bounded pool of reused connections, not one connection per message.
    let opened = app.smtp.connections() - connections_before;
    assert!(
        opened <= app.settings.worker.concurrency,
        "{opened} connections for 20 messages"
    );
    for email in &addresses {
        let mails = app.smtp.messages_to(email);
        assert_eq!(mails.len(), 1, "{email} got {} emails", mails.len());
        let token = mails[0].token("verify-email").expect("a link");
        assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    }
    assert_eq!(app.smtp.messages().len(), 20);
    for m in app.outbox().await {
        assert!(!m.has_link, "a sent message keeps its link: {m:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_send_cut_off_by_a_crash_is_made_after_restart() {
    let app = TestApp::spawn_with(|s| s.worker.lease = Duration::from_secs(30)).await;
    app.smtp.hang();
    // The answer does not wait for SMTP, even one that never answers.
    assert_eq!(
        app.register("crash@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.smtp.wait_for_data(1, OUTBOX_TIMEOUT).await;
    let rows = app.outbox().await;
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("queued", 1));

    // Killed mid-send: the message was committed, claimed, and never marked sent.
    app.crash().await;
    app.smtp.resume();
    assert!(app.smtp.messages().is_empty());
    let app = app.restart_like().await;
    // The dead worker's lease runs out; then the message is sent again.
    app.advance_during_sends(Duration::from_secs(30));
    let mail = app.smtp.latest("crash@example.com").await;
    wait_for_outbox(&app, "the message is marked sent", |m| m.status == "sent").await;
    assert_eq!(app.smtp.messages_to("crash@example.com").len(), 1);
    let rows = app.outbox().await;
    assert_eq!(rows[0].attempts, 2, "{rows:?}");
    assert!(!rows[0].has_link);
    let token = mail.token("verify-email").expect("a link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_message_waiting_for_a_retry_survives_a_crash() {
    let app = TestApp::spawn_with(|s| real_retries(s, 100)).await;
    app.smtp.refuse();
    app.register("waiting@example.com").await;
    wait_for_outbox(&app, "the message failed once", |m| {
        m.status == "retrying" && m.attempts >= 1
    })
    .await;
    app.crash().await;
    app.smtp.resume();
    let app = app.restart_like().await;
    // Its retry falls due on the restarted application's clock.
    app.advance(FIRST_RETRY).await;
    let mail = app.smtp.latest("waiting@example.com").await;
    wait_for_outbox(&app, "the message is marked sent", |m| m.status == "sent").await;
    assert_eq!(app.smtp.messages_to("waiting@example.com").len(), 1);
    let token = mail.token("verify-email").expect("a link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_message_whose_retries_run_out_is_dead_with_its_last_error_and_no_link() {
    let app = TestApp::spawn_with(|s| real_retries(s, 3)).await;
    app.smtp.refuse();
    app.register("doomed@example.com").await;
    wait_for_outbox(&app, "the message failed once", |m| {
        m.status == "retrying" && m.attempts == 1
    })
    .await;
    // The second try within the first retry delay, the third within three times that (each
    // `advance` first lets the try due before it fail).
    app.advance(FIRST_RETRY).await;
    app.advance(FIRST_RETRY * 3).await;
    wait_for_outbox(&app, "the message is dead", |m| m.status == "dead").await;
    let row: (String, i64, Option<String>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT CAST(status AS TEXT), attempts, last_error, sealed_link FROM outbox \
         WHERE recipient = 'doomed@example.com'",
    )
    .fetch_one(app.db().await)
    .await
    .expect("the message");
    assert_eq!(row.0, "dead");
    assert_eq!(row.1, 3);
    let error = row.2.expect("the last error is kept");
    assert!(error.contains("421"), "{error}");
    assert_eq!(row.3, None, "a dead message keeps its link");
    assert!(app.smtp.connections() >= 3);

    // Back up, the dead message stays dead while new ones are sent.
    app.smtp.resume();
    app.register("alive@example.com").await;
    app.smtp.latest("alive@example.com").await;
    wait_until("the new message is marked sent", OUTBOX_TIMEOUT, || async {
        app.outbox_to("alive@example.com").await[0].status == "sent"
    })
    .await;
    assert!(app.smtp.messages_to("doomed@example.com").is_empty());
    assert_eq!(app.outbox_to("doomed@example.com").await[0].status, "dead");
    app.stop().await;
}

#[tokio::test]
async fn no_link_token_or_secret_can_be_read_from_the_database_files() {
    // It reads SQLite's files: on SQLite whatever the suite's engine.
    let app = TestApp::spawn_sqlite_with(|s| s.worker.max_attempts = 100).await;
    app.smtp.refuse();
    app.register("sealed@example.com").await;
    wait_for_outbox(&app, "the message failed once", |m| {
        m.attempts >= 1 && m.has_link
    })
    .await;
    let while_waiting = database_files(&app);
    assert!(
        while_waiting.iter().any(|(name, _)| name == "latchkey.db"),
        "the database file exists"
    );

    app.smtp.resume();
    let mail = app.smtp.latest("sealed@example.com").await;
    wait_for_outbox(&app, "the message is marked sent", |m| m.status == "sent").await;
    assert!(
        !app.outbox().await[0].has_link,
        "the link is erased once sent"
    );
    let token = mail.token("verify-email").expect("a link");
    let token_bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64url token");
    let secret_bytes = base64::engine::general_purpose::STANDARD
        .decode(SECRET)
        .expect("secret");
    let keys = Keys::derive(&SECRET.parse::<Secret>().expect("secret"), None);
    let signing_keys = [keys.access.es256, keys.access.eddsa];
    let after_sending = database_files(&app);
    for (name, raw) in while_waiting.iter().chain(&after_sending) {
        for key in &signing_keys {
            assert!(!contains(raw, key), "{name} holds a signing key");
        }
        assert!(!contains(raw, token.as_bytes()), "{name} holds the token");
        assert!(
            !contains(raw, &token_bytes),
            "{name} holds the token's bytes"
        );
        assert!(!contains(raw, SECRET.as_bytes()), "{name} holds the secret");
        assert!(
            !contains(raw, &secret_bytes),
            "{name} holds the secret's bytes"
        );
    }
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_lets_a_send_in_progress_finish() {
    let app = TestApp::spawn().await;
    app.smtp.delay(Duration::from_secs(2));
    app.register("slow@example.com").await;
    app.smtp.wait_for_data(1, OUTBOX_TIMEOUT).await;
    assert!(
        app.smtp.messages().is_empty(),
        "the answer is still pending"
    );
    app.stop().await;
    assert_eq!(app.smtp.messages_to("slow@example.com").len(), 1);
    let rows = app.outbox().await;
    assert_eq!(rows[0].status, "sent", "{rows:?}");
    assert_eq!(rows[0].attempts, 1);
}

#[tokio::test]
async fn a_new_message_wakes_the_worker_and_retries_are_kept_on_time() {
    // The worker never polls in this test: it must be woken, or know when a retry falls due.
    let app = TestApp::spawn_with(|s| {
        real_retries(s, 10);
        s.worker.poll_interval = Duration::from_secs(3600);
    })
    .await;
    for i in 0..3 {
        let email = format!("awake{i}@example.com");
        app.register(&email).await;
        app.smtp.latest(&email).await;
    }
    app.smtp.refuse();
    app.register("retry@example.com").await;
    // The sign-up is answered before it is recorded: its row may not be there yet.
    wait_until("the message failed once", OUTBOX_TIMEOUT, || async {
        app.outbox_to("retry@example.com")
            .await
            .first()
            .is_some_and(|row| row.status == "retrying")
    })
    .await;
    app.smtp.resume();
    // When the retry falls due, the worker (asleep for an hour otherwise) sends it.
    app.advance(FIRST_RETRY).await;
    app.smtp
        .wait_for("retry@example.com", 1, Duration::from_secs(5))
        .await
        .first()
        .expect("the retry was not made when it fell due");
    app.stop().await;
}

#[tokio::test]
async fn links_sealed_before_a_secret_rotation_are_still_sent() {
    let app = TestApp::spawn_with(|s| s.worker.max_attempts = 100).await;
    app.smtp.refuse();
    app.register("rotate@example.com").await;
    wait_for_outbox(&app, "the message failed once", |m| m.attempts >= 1).await;
    app.stop().await;

    app.smtp.resume();
    let app = app
        .restart_with(|s| {
            s.secret = Some(OTHER_SECRET.parse().expect("secret"));
            s.secret_previous = Some(SECRET.parse().expect("secret"));
        })
        .await;
    let token = app
        .smtp
        .latest("rotate@example.com")
        .await
        .token("verify-email")
        .expect("a link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_link_that_cannot_be_decrypted_is_dead_not_retried_forever() {
    let app = TestApp::spawn_with(|s| s.worker.max_attempts = 100).await;
    app.smtp.refuse();
    app.register("lost@example.com").await;
    wait_for_outbox(&app, "the message failed once", |m| m.attempts >= 1).await;
    app.stop().await;

    // The secret was replaced without keeping the old one as LATCHKEY_SECRET_PREVIOUS.
    app.smtp.resume();
    let app = app
        .restart_with(|s| s.secret = Some(OTHER_SECRET.parse().expect("secret")))
        .await;
    wait_for_outbox(&app, "the message is dead", |m| m.status == "dead").await;
    let rows = app.outbox().await;
    assert!(!rows[0].has_link);
    let error = rows[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("LATCHKEY_SECRET"), "{error}");
    assert!(app.smtp.messages().is_empty());
    app.stop().await;
}

/// Messages queued before migration 0009 (when the worker told webhook events from emails by
/// a dot in the kind, and kept an email's values untagged) go to the right lane after it, and
/// an email among them is still sent, read as its kind's tagged payload.
#[tokio::test]
async fn messages_queued_before_the_channel_column_keep_their_lane_and_are_sent() {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("temporary directory"));
    let database = TestDatabase::for_engine(dir.path()).await;
    if let Some(path) = database.sqlite_path() {
        std::fs::File::create(path).expect("create the database file");
    }
    let engine = if database.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    let before = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(&all).expect("the migrations") {
        let path = entry.expect("a migration").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name < "0009" {
            std::fs::copy(&path, before.path().join(name)).expect("copy a migration");
        }
    }
    let pool = database.connect().await;
    sqlx::migrate::Migrator::new(before.path())
        .await
        .expect("the migrations before 0009")
        .run(&pool)
        .await
        .expect("migrate to 0008");
    let new_id = if database.is_postgres() {
        "gen_random_uuid()"
    } else {
        "randomblob(16)"
    };
    let insert = |kind: &str, recipient: &str, payload: &str| {
        format!(
            "INSERT INTO outbox (id, kind, recipient, payload, status, attempts, next_attempt_at, created_at) \
             VALUES ({new_id}, '{kind}', '{recipient}', '{payload}', 'queued', 0, 0, 0)"
        )
    };
    let old_email = insert(
        "password_changed",
        "old-row@example.com",
        r#"{"forgot_url":"http://localhost/forgot-password","email":"old-row@example.com","locale":"en","name":"Ann"}"#,
    );
    let old_event = insert(
        "user.password_changed",
        "http://127.0.0.1:9/hooks",
        r#"{"type":"user.password_changed","timestamp":"2026-01-01T00:00:00Z","data":{}}"#,
    );
    for statement in [old_email, old_event] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&pool)
            .await
            .expect("queue a message the old way");
    }
    sqlx::migrate::Migrator::new(all.as_path())
        .await
        .expect("every migration")
        .run(&pool)
        .await
        .expect("migrate to the end");
    let lanes: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, channel FROM outbox ORDER BY kind")
            .fetch_all(&pool)
            .await
            .expect("the outbox");
    assert_eq!(
        lanes,
        [
            ("password_changed".to_owned(), "email".to_owned()),
            ("user.password_changed".to_owned(), "webhook".to_owned()),
        ]
    );
    pool.close().await;

    let smtp = SmtpServer::start().await;
    let settings = test_settings_on(&database, &smtp);
    let app = TestApp::start_on(settings, smtp, dir, database).await;
    let mail = app.smtp.latest("old-row@example.com").await;
    assert!(mail.text.contains("Ann"), "{}", mail.text);
    assert!(
        mail.text.contains("http://localhost/forgot-password"),
        "{}",
        mail.text
    );
}

/// Waits up to `within` until `n` emails in all went to `to`.
async fn arrives_within(app: &TestApp, to: &str, n: usize, within: Duration, what: &str) {
    let started = std::time::Instant::now();
    let found = app.smtp.wait_for(to, n, within).await;
    assert!(
        found.len() >= n,
        "{what}: not sent within {within:?}: a message queued by a flow must wake the worker \
         when its transaction commits, not wait for the poll interval"
    );
    eprintln!("{what}: after {:?}", started.elapsed());
}

/// Every flow's email goes out when the transaction that queued it commits, not when the
/// worker next polls: with a poll interval of a minute, the verification and reset emails
/// (queued after the answer, in tasks of their own) and both confirmations of an email change
/// arrive within seconds. (Issue 16: reset and email change emails arrived a poll interval late.)
#[tokio::test]
async fn reset_and_email_change_emails_do_not_wait_for_the_poll_interval() {
    const WITHIN: Duration = Duration::from_secs(2);
    let app = TestApp::spawn_with(|s| s.worker.poll_interval = Duration::from_secs(60)).await;
    let ann = "prompt@example.com";
    assert_eq!(app.register(ann).await.status(), StatusCode::ACCEPTED);
    arrives_within(&app, ann, 1, WITHIN, "verification email").await;
    assert_eq!(app.resend(ann).await.status(), StatusCode::ACCEPTED);
    arrives_within(&app, ann, 2, WITHIN, "resent verification email").await;
    let token = app.smtp.new_token(ann, "verify-email").await;
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);

    let r = app
        .post(
            "/api/v1/password/forgot",
            serde_json::json!({ "email": ann }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    arrives_within(&app, ann, 3, WITHIN, "reset email").await;
    assert!(app.smtp.latest(ann).await.link("reset-password").is_some());

    let (access, _) = app.log_in(ann).await;
    let new = "prompt.new@example.com";
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            serde_json::json!({ "password": PASSWORD, "new_email": new }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    arrives_within(&app, new, 1, WITHIN, "confirmation to the new address").await;
    arrives_within(&app, ann, 4, WITHIN, "confirmation to the old address").await;
}
