//! The `latchkey` binary (contract §1): an invalid setting stops it with one line naming the
//! variable, `migrate` creates the database, `serve` starts, serves and stops on SIGTERM, and
//! `worker` alone sends what the outbox holds.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use sqlx::Connection as _;

use crate::support::{
    MAIL_TIMEOUT, PASSWORD, SECRET, SmtpServer, TestApp, TestDatabase, wait_until,
};

/// The binary in `dir`, logging at info.
fn latchkey(dir: &Path) -> Command {
    let mut command = crate::support::latchkey(dir);
    command.env("LATCHKEY_LOG", "info");
    command
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("latchkey.db").display())
}

#[test]
fn an_invalid_setting_stops_start_up_with_one_line_naming_it() {
    let cases = [
        ("LATCHKEY_VERIFY_TTL", "soon"),
        ("LATCHKEY_ACCESS_TTL", "0s"),
        ("LATCHKEY_LISTEN", "nowhere"),
        ("LATCHKEY_SMTP_URL", "http://mail.example.com"),
        ("LATCHKEY_SECRET", "c2hvcnQ="),
        ("LATCHKEY_RATE_LIMIT", "maybe"),
        ("LATCHKEY_PASSWORD_HASH", "md5"),
        // Branding (contract §12): a colour that is not #RRGGBB, a logo that is neither an
        // https URL nor a readable image file, a stylesheet that cannot be read.
        ("LATCHKEY_BRAND_COLOR", "red"),
        ("LATCHKEY_BRAND_COLOR", "#12345"),
        ("LATCHKEY_LOGO_URL", "http://cdn.example.com/logo.png"),
        ("LATCHKEY_LOGO_URL", "/nowhere/logo.png"),
        ("LATCHKEY_LOGO_URL", "/etc/hostname"),
        ("LATCHKEY_PAGES_CSS", "/nowhere/brand.css"),
    ];
    for (variable, value) in cases {
        let dir = tempfile::tempdir().expect("temporary directory");
        for command in ["serve", "worker"] {
            let out = latchkey(dir.path())
                .arg(command)
                .env("LATCHKEY_DATABASE_URL", database_url(dir.path()))
                .env(variable, value)
                .output()
                .expect("run latchkey");
            assert!(!out.status.success(), "{command} with {variable}={value}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{command} with {variable}={value}: {stderr}"
            );
            assert!(stderr.contains(variable), "{stderr}");
        }
        assert!(
            !dir.path().join("latchkey.db").exists(),
            "it stopped before opening the database"
        );
    }

    // The same key in latchkey.toml is named as the file's.
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("latchkey.toml"), "verify_ttl = \"soon\"\n").expect("write");
    let out = latchkey(dir.path())
        .arg("serve")
        .env("LATCHKEY_DATABASE_URL", database_url(dir.path()))
        .output()
        .expect("run latchkey");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("verify_ttl"), "{stderr}");
}

#[test]
fn start_up_failures_are_one_line_too() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port();
    let cases = [
        (
            "serve",
            vec![
                ("LATCHKEY_LISTEN", format!("127.0.0.1:{port}")),
                ("LATCHKEY_DATABASE_URL", database_url(dir.path())),
            ],
            "cannot listen",
        ),
        (
            "migrate",
            vec![(
                "LATCHKEY_DATABASE_URL",
                "sqlite:///nonexistent-latchkey-dir/x.db".to_owned(),
            )],
            "database",
        ),
    ];
    for (command, env, expected) in cases {
        let out = latchkey(dir.path())
            .arg(command)
            .envs(env)
            .output()
            .expect("run latchkey");
        assert!(!out.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: {stderr}");
        assert!(stderr.contains(expected), "{command}: {stderr}");
    }
    drop(taken);
}

#[tokio::test]
async fn migrate_creates_the_database_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::for_engine(dir.path()).await;
    // Twice: migrating a migrated database is fine too.
    for _ in 0..2 {
        let out = latchkey(dir.path())
            .arg("migrate")
            .env("LATCHKEY_DATABASE_URL", database.env_url())
            // PostgreSQL needs the deployment's secret for every command.
            .env("LATCHKEY_SECRET", SECRET)
            .output()
            .expect("run latchkey");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = database.connect().await;
    let tables = if database.is_postgres() {
        "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    };
    let tables: Vec<String> = sqlx::query_scalar(tables)
        .fetch_all(&db)
        .await
        .expect("tables");
    for table in ["users", "link_tokens", "sessions", "outbox"] {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    db.close().await;
}

/// Removes ANSI colour sequences, in case the log has them.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn serve_starts_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut child = latchkey(dir.path())
        .arg("serve")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_DATABASE_URL", database_url(dir.path()))
        .env("LATCHKEY_VERIFY_TLL", "1h")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start latchkey serve");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, log) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(plain(&line)).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let addr = loop {
        let line = log
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no 'listening' line; got {seen:#?}"));
        seen.push(line.clone());
        if line.contains("latchkey listening")
            && let Some(addr) = line.split("addr=").nth(1)
        {
            break addr
                .split_whitespace()
                .next()
                .expect("an address")
                .to_owned();
        }
    };
    assert!(
        seen.iter().any(|l| l.contains("LATCHKEY_VERIFY_TLL")),
        "an unknown variable is named in a warning: {seen:#?}"
    );
    // Port 0 and no public URL: the public URL is on the port the server was given.
    let port = addr.rsplit(':').next().expect("a port");
    // The workers log as they start, so the pages line may come after theirs.
    let wanted = format!("sign up at http://localhost:{port}/register");
    loop {
        let line = log
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line naming {wanted}; got {seen:#?}"));
        seen.push(line.clone());
        if line.contains("sign up at") {
            assert!(line.contains(&wanted), "{line}");
            break;
        }
    }

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let r = client
        .post(format!("http://{addr}/api/v1/register"))
        .json(&serde_json::json!({"email": "cli@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    // The key file was made beside the database, private.
    let key = dir.path().join("latchkey.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("latchkey.key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

/// Sends SIGTERM and waits for the process; its exit status.
async fn terminate(child: std::process::Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut child = child;
    tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait")
}

#[tokio::test]
async fn the_worker_alone_sends_what_the_outbox_holds() {
    // A message queued by a server while SMTP was down; the server is gone.
    let app = TestApp::spawn_with(|s| s.worker.max_attempts = 100).await;
    app.smtp.refuse();
    app.register("worker@example.com").await;
    wait_until("the message failed once", MAIL_TIMEOUT, || async {
        app.outbox().await.iter().all(|m| m.attempts >= 1)
    })
    .await;
    app.stop().await;
    app.smtp.resume();

    let worker = latchkey(app.dir.path())
        .arg("worker")
        .env("LATCHKEY_DATABASE_URL", app.database_env_url())
        .env("LATCHKEY_SMTP_URL", app.smtp.url())
        .env("LATCHKEY_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey worker");
    let mail = app.smtp.latest("worker@example.com").await;
    assert!(mail.token("verify-email").is_some());
    wait_until("the message is marked sent", MAIL_TIMEOUT, || async {
        app.outbox().await.iter().all(|m| m.status == "sent")
    })
    .await;
    let status = terminate(worker).await;
    assert!(status.success(), "{status:?}");
    assert_eq!(app.smtp.messages_to("worker@example.com").len(), 1);
}

/// A newcomer's start: only `LATCHKEY_LISTEN` set, on a port other than 8080. The links in
/// emails lead to that port (contract §1: the default public URL follows the listen port),
/// and following one verifies the address.
#[tokio::test]
async fn with_only_a_listen_port_set_links_lead_to_that_port() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = latchkey(dir.path())
        .arg("serve")
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until("the server answers", Duration::from_secs(60), || async {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let r = client
        .post(format!("{base}/api/v1/register"))
        .json(&serde_json::json!({"email": "newcomer@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    // No SMTP configured: the email waits in the dev mailbox.
    let mailbox = || async {
        let r = client.get(format!("{base}/dev/mailbox.json")).send().await;
        let mails: Vec<serde_json::Value> = match r {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        mails
    };
    wait_until("the verification email", MAIL_TIMEOUT, || async {
        !mailbox().await.is_empty()
    })
    .await;
    let mails = mailbox().await;
    let link = mails[0]["links"][0].as_str().expect("a link").to_owned();
    let prefix = format!("http://localhost:{port}/verify-email?token=");
    assert!(link.starts_with(&prefix), "{link}");
    // The link works as the newcomer's browser would follow it: its page, then its button.
    let page = client.get(&link).send().await.expect("the link");
    assert_eq!(page.status(), reqwest::StatusCode::OK, "{link}");
    let token = link.split("token=").nth(1).expect("a token");
    let r = client
        .post(format!("http://localhost:{port}/verify-email"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .expect("the page's button");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let r = client
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"email": "newcomer@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("log in");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "verified by the link");
    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

/// `worker` may create the database (contract §1), as `serve`, `migrate`, `dev seed` and `user
/// create` may: a worker node started first on an empty directory makes it and runs.
#[tokio::test]
async fn the_worker_creates_the_database_it_is_the_first_to_open() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let worker = latchkey(dir.path())
        .arg("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey worker");
    let db = dir.path().join("latchkey.db");
    let key = dir.path().join("latchkey.key");
    wait_until(
        "the database and key exist",
        Duration::from_secs(60),
        || async { db.exists() && key.exists() },
    )
    .await;
    // Stopped at any point of its start: only the files matter here.
    terminate(worker).await;
}

/// `serve` on a free port of 127.0.0.1 in `dir`, its SQLite database there, sending to `smtp`;
/// the child and its base URL, once it answers.
async fn serve_on_a_free_port(
    dir: &Path,
    smtp: &SmtpServer,
) -> (std::process::Child, String, reqwest::Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = latchkey(dir)
        .arg("serve")
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .env("LATCHKEY_DATABASE_URL", database_url(dir))
        .env("LATCHKEY_SMTP_URL", smtp.url())
        .env("LATCHKEY_RATE_LIMIT", "off")
        .env("LATCHKEY_MAIL_COOLDOWN", "0s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until("the server answers", Duration::from_secs(60), || async {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    (child, base, client)
}

/// The work a resend does after its 202 (the lookup and the link) is not lost to a SIGTERM
/// that comes right after the answer: a graceful stop waits for it, and the worker sends the
/// email on its way out. The database is held by another process meanwhile, so that the work
/// is still waiting when the signal arrives (without the wait, the process exited first).
#[tokio::test]
async fn a_sigterm_right_after_a_202_still_sends_its_email() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let smtp = SmtpServer::start().await;
    let (child, base, client) = serve_on_a_free_port(dir.path(), &smtp).await;
    let address = "late@example.com";
    let r = client
        .post(format!("{base}/api/v1/register"))
        .json(&serde_json::json!({"email": address, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    smtp.latest(address).await;

    let mut other = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("latchkey.db")),
    )
    .await
    .expect("another connection");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .expect("lock");
    let r = client
        .post(format!("{base}/api/v1/email/verify/resend"))
        .json(&serde_json::json!({"email": address}))
        .send()
        .await
        .expect("resend");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // Well within the database's busy timeout (5 s).
    tokio::time::sleep(Duration::from_millis(700)).await;
    sqlx::query("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("unlock");
    drop(other);
    let mut child = child;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        smtp.messages_to(address).len(),
        2,
        "the sign-up's email and the resend's, both sent before the process exited"
    );
}

/// `worker` binds no port: with `LATCHKEY_LISTEN` on port 0 and no public URL its links would
/// lead to port 0, so it refuses to start, in one line naming the variable to set, before it
/// creates anything; with `LATCHKEY_PUBLIC_URL` set it starts.
#[tokio::test]
async fn the_worker_refuses_links_to_port_zero() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = latchkey(dir.path())
        .arg("worker")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_DATABASE_URL", database_url(dir.path()))
        .output()
        .expect("run latchkey worker");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("LATCHKEY_PUBLIC_URL"), "{stderr}");
    assert!(!dir.path().join("latchkey.db").exists(), "nothing created");

    let mut worker = latchkey(dir.path())
        .arg("worker")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_PUBLIC_URL", "https://id.example.com")
        .env("LATCHKEY_DATABASE_URL", database_url(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey worker");
    let db = dir.path().join("latchkey.db");
    wait_until(
        "the worker opened the database",
        Duration::from_secs(60),
        || async { db.exists() },
    )
    .await;
    assert!(worker.try_wait().expect("wait").is_none(), "it runs");
    // Stopped at any point of its start: only that it started matters here.
    terminate(worker).await;
}
