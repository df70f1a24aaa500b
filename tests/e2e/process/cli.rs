//! The `latchkey` command line (contract §1), run as a subprocess against a temporary database;
//! what it does is checked over HTTP with the real server on the same database.

use std::{io::Write as _, process::Stdio, sync::Arc, time::Duration};

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary in a temporary directory (so no `latchkey.toml` is read), with its own database
/// and no `LATCHKEY_*` variable from the surroundings.
struct Cli {
    dir: Arc<tempfile::TempDir>,
    database: TestDatabase,
    env: Vec<(String, String)>,
}

impl Cli {
    /// On the suite's engine.
    async fn new() -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let database = match engine() {
            Engine::Sqlite => TestDatabase::Sqlite(dir.path().join("cli.db")),
            Engine::Postgres => TestDatabase::postgres().await,
        };
        Self::on(dir, database)
    }

    /// On SQLite whatever the suite's engine (for what is about SQLite's files).
    fn sqlite() -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let database = TestDatabase::Sqlite(dir.path().join("cli.db"));
        Self::on(dir, database)
    }

    fn on(dir: Arc<tempfile::TempDir>, database: TestDatabase) -> Self {
        Self {
            dir,
            env: vec![
                ("LATCHKEY_DATABASE_URL".into(), database.env_url()),
                ("LATCHKEY_SECRET".into(), SECRET.into()),
                (
                    "LATCHKEY_PASSWORD_HASH".into(),
                    "argon2id:m=4096,t=1,p=1".into(),
                ),
            ],
            database,
        }
    }

    fn with(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs on a blocking thread: the test's SMTP server lives on the async runtime.
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = latchkey(self.dir.path());
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let stdin = stdin.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = command.spawn().expect("latchkey runs");
            // Dropping the pipe closes standard input: the command sees its end.
            if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
                let _ = pipe.write_all(text.as_bytes());
            }
            let out = child.wait_with_output().expect("latchkey finishes");
            Output {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .await
        .expect("join")
    }

    async fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin).await;
        assert_eq!(out.code, 0, "latchkey {args:?}: {}", out.stderr);
        out.stdout
    }

    /// Fails with exactly one line on standard error.
    async fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin).await;
        assert_ne!(out.code, 0, "latchkey {args:?} should fail: {}", out.stdout);
        assert_eq!(
            out.stderr.trim_end().lines().count(),
            1,
            "one line: {:?}",
            out.stderr
        );
        out.stderr
    }

    /// The server on the CLI's database.
    async fn server(
        &self,
        smtp: Arc<SmtpServer>,
        configure: impl FnOnce(&mut latchkey::Settings),
    ) -> TestApp {
        let mut settings = test_settings_on(&self.database, &smtp);
        configure(&mut settings);
        TestApp::start_on(settings, smtp, Arc::clone(&self.dir), self.database.clone()).await
    }
}

const PW: &str = "correct horse battery\n";

#[tokio::test(flavor = "multi_thread")]
async fn users_from_the_command_line() {
    let cli = Cli::new().await;
    let out = cli
        .ok(
            &[
                "user",
                "create",
                "--email",
                "Root@Example.com",
                "--name",
                "Root",
                "--verified",
                "--admin",
            ],
            Some(PW),
        )
        .await;
    assert!(out.contains("Root@Example.com"), "{out}");
    let out = cli
        .ok(&["user", "create", "--email", "una@example.com"], Some(PW))
        .await;
    assert!(out.contains("verification email is queued"), "{out}");

    // Refusals: one line each, non-zero.
    let e = cli
        .fails(
            &[
                "user",
                "create",
                "--email",
                "root@example.com",
                "--verified",
            ],
            Some(PW),
        )
        .await;
    assert!(e.contains("already in use"), "{e}");
    let e = cli
        .fails(
            &["user", "create", "--email", "w@example.com"],
            Some("password1\n"),
        )
        .await;
    assert!(e.contains("common"), "{e}");
    cli.fails(&["user", "create", "--email", "w@example.com"], Some(""))
        .await;
    cli.fails(&["user", "create", "--email", "not-an-address"], Some(PW))
        .await;
    let out = cli
        .run(
            &[
                "user",
                "create",
                "--email",
                "w@example.com",
                "--password",
                "x",
            ],
            None,
        )
        .await;
    assert_ne!(out.code, 0, "a password is never an argument");
    let e = cli
        .fails(&["user", "show", "ghost@example.com"], None)
        .await;
    assert!(
        e.starts_with("latchkey: ") && e.contains("ghost@example.com"),
        "{e}"
    );
    cli.fails(&["user", "disable", "ghost@example.com"], None)
        .await;

    let list = cli.ok(&["user", "list"], None).await;
    assert!(list.starts_with("EMAIL"), "{list}");
    assert!(
        list.contains("Root@Example.com") && list.contains("una@example.com"),
        "{list}"
    );
    let list = cli.ok(&["user", "list", "--query", "una"], None).await;
    assert_eq!(list.lines().count(), 2, "{list}");
    let shown = cli.ok(&["user", "show", "root@example.com"], None).await;
    assert!(
        shown.contains("admin:          yes") && shown.contains("email verified: yes"),
        "{shown}"
    );

    // What the CLI made, the server serves: the admin logs in; the queued email goes out.
    let smtp = SmtpServer::start().await;
    let app = cli.server(smtp, |_| {}).await;
    let r = app.login("root@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = app
        .smtp
        .latest("una@example.com")
        .await
        .token("verify-email")
        .expect("link");
    assert_eq!(
        app.post("/api/v1/email/verify", serde_json::json!({"token": token}))
            .await
            .status(),
        StatusCode::OK
    );

    // Disable ends the sessions at once; enable lets the user back in.
    let tokens: Value = r.json().await.expect("tokens");
    // Root is the only admin: the CLI cannot leave the instance without one (contract §3).
    let e = cli
        .fails(&["user", "disable", "root@example.com"], None)
        .await;
    assert!(e.contains("last admin"), "{e}");
    cli.ok(
        &[
            "user",
            "create",
            "--email",
            "second-admin@example.com",
            "--verified",
            "--admin",
        ],
        Some(PW),
    )
    .await;
    cli.ok(&["user", "disable", "root@example.com"], None).await;
    assert_eq!(
        app.get_auth("/api/v1/me", &str_of(&tokens, "access_token"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_problem(
        app.login("root@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;
    cli.ok(&["user", "enable", "root@example.com"], None).await;
    assert_eq!(
        app.login("root@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    // verify: an unverified user can log in afterwards.
    cli.ok(&["user", "create", "--email", "late@example.com"], Some(PW))
        .await;
    assert_problem(
        app.login("late@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    cli.ok(&["user", "verify", "late@example.com"], None).await;
    assert_eq!(
        app.login("late@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

/// The seed table: EMAIL PASSWORD ROLE.
fn seeded(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells.len() == 3).then(|| (cells[0].into(), cells[1].into(), cells[2].into()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_seed_only_on_a_development_database() {
    let cli = Cli::new().await;
    let first = seeded(&cli.ok(&["dev", "seed"], None).await);
    assert!(first.len() >= 3, "{first:?}");
    assert!(first.iter().any(|(_, _, role)| role == "admin"));
    // Again: the same users, new passwords, still allowed (only seed users exist).
    let second = seeded(&cli.ok(&["dev", "seed"], None).await);
    assert_eq!(first.len(), second.len());
    assert_ne!(first[0].1, second[0].1);

    let smtp = SmtpServer::start().await;
    let app = cli.server(smtp, |_| {}).await;
    for (email, password, _) in &second {
        assert_eq!(
            app.login(email, password).await.status(),
            StatusCode::OK,
            "{email}"
        );
    }
    assert_eq!(
        app.login(&first[0].0, &first[0].1).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;

    // A real user: refused, unless forced, and the real user is never touched.
    cli.ok(
        &[
            "user",
            "create",
            "--email",
            "real@example.com",
            "--verified",
        ],
        Some(PW),
    )
    .await;
    let e = cli.fails(&["dev", "seed"], None).await;
    assert!(e.contains("--force"), "{e}");
    assert!(!seeded(&cli.ok(&["dev", "seed", "--force"], None).await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_seed_works_beside_the_first_admin() {
    // A local stack with LATCHKEY_FIRST_ADMIN_*: the server made the admin at start.
    let admin = ("LATCHKEY_FIRST_ADMIN_EMAIL", "boss@example.com");
    let password = ("LATCHKEY_FIRST_ADMIN_PASSWORD", "first admin secret 1");
    let cli = Cli::new()
        .await
        .with(admin.0, admin.1)
        .with(password.0, password.1);
    let smtp = SmtpServer::start().await;
    let app = cli
        .server(smtp, |s| {
            s.first_admin_email = Some(admin.1.parse().expect("address"));
            s.first_admin_password = Some(password.1.into());
        })
        .await;
    app.stop().await;
    let list = cli.ok(&["user", "list"], None).await;
    assert_eq!(list.lines().count(), 2, "a header and the admin: {list}");

    let users = seeded(&cli.ok(&["dev", "seed"], None).await);
    assert_eq!(users.len(), 3, "{users:?}");
    assert!(users.iter().all(|(email, _, _)| email != admin.1));
    // The first admin is left as it was.
    let show = cli.ok(&["user", "show", admin.1], None).await;
    assert!(show.contains("admin:          yes"), "{show}");

    // Without that setting the same database counts the admin as a real user.
    let plain = Cli {
        dir: Arc::clone(&cli.dir),
        database: cli.database.clone(),
        env: cli
            .env
            .iter()
            .filter(|(k, _)| !k.starts_with("LATCHKEY_FIRST_ADMIN"))
            .cloned()
            .collect(),
    };
    let e = plain.fails(&["dev", "seed"], None).await;
    assert!(e.contains("--force"), "{e}");

    // A real user besides: refused again, as before.
    cli.ok(
        &[
            "user",
            "create",
            "--email",
            "real@example.com",
            "--verified",
        ],
        Some(PW),
    )
    .await;
    let e = cli.fails(&["dev", "seed"], None).await;
    assert!(e.contains("--force"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_queue_an_email_warn_without_a_public_url() {
    let cli = Cli::new().await;
    let help = cli.ok(&["--help"], None).await;
    assert!(help.contains("LATCHKEY_PUBLIC_URL"), "{help}");
    let help = cli.ok(&["user", "create", "--help"], None).await;
    assert!(help.contains("LATCHKEY_PUBLIC_URL"), "{help}");

    let warns = |stderr: &str| stderr.contains("warning") && stderr.contains("LATCHKEY_PUBLIC_URL");
    let out = cli
        .run(&["user", "create", "--email", "ann@example.com"], Some(PW))
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(warns(&out.stderr), "{}", out.stderr);
    assert!(
        out.stderr.contains("http://localhost:8080"),
        "{}",
        out.stderr
    );
    // Nothing queued, nothing to warn about.
    let out = cli
        .run(
            &["user", "create", "--email", "bob@example.org", "--verified"],
            Some(PW),
        )
        .await;
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let out = cli
        .run(&["user", "delete", "--yes", "bob@example.org"], None)
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(warns(&out.stderr), "{}", out.stderr);

    let cli = cli.with("LATCHKEY_PUBLIC_URL", "https://accounts.example.com");
    let out = cli
        .run(&["user", "create", "--email", "cy@example.com"], Some(PW))
        .await;
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_preview_renders_every_kind() {
    let cli = Cli::new().await;
    let kinds = [
        "verification",
        "already_registered",
        "password_reset",
        "password_changed",
        "email_change_confirm_new",
        "email_change_confirm_old",
        "email_change_attempt",
        "email_changed",
        "email_reverted",
    ];
    for kind in kinds {
        let html = cli.ok(&["mail", "preview", kind, "--html"], None).await;
        assert!(html.contains("<html"), "{kind}");
        let text = cli.ok(&["mail", "preview", kind, "--text"], None).await;
        assert!(
            text.starts_with("Subject: ") && text.lines().count() > 3,
            "{kind}: {text}"
        );
        assert!(!text.contains("<html"), "{kind}");
    }
    let link = cli
        .ok(&["mail", "preview", "password_reset", "--text"], None)
        .await;
    assert!(
        link.contains("http://localhost:8080/reset-password?token="),
        "{link}"
    );
    let out = cli.run(&["mail", "preview", "verification"], None).await;
    assert_ne!(out.code, 0, "--html or --text is required");
    let out = cli
        .run(&["mail", "preview", "postcard", "--text"], None)
        .await;
    assert!(
        out.code != 0 && out.stderr.contains("verification"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_test_reports_the_smtp_answer_or_error() {
    let smtp = SmtpServer::start().await;
    let cli = Cli::new().await.with("LATCHKEY_SMTP_URL", &smtp.url());
    let out = cli
        .ok(&["mail", "test", "--to", "ops@example.com"], None)
        .await;
    assert!(out.contains("250"), "the server's answer: {out}");
    let mail = smtp.latest("ops@example.com").await;
    assert!(mail.subject.contains("test"), "{}", mail.subject);

    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let down = Cli::new()
        .await
        .with("LATCHKEY_SMTP_URL", &format!("smtp://127.0.0.1:{port}"));
    let e = down
        .fails(&["mail", "test", "--to", "ops@example.com"], None)
        .await;
    assert!(e.contains("not sent"), "{e}");
    down.fails(&["mail", "test", "--to", "nope"], None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_shows_counts_and_failures() {
    let cli = Cli::new().await;
    cli.ok(&["user", "create", "--email", "q@example.com"], Some(PW))
        .await;
    let out = cli.ok(&["outbox"], None).await;
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["queued", "1"]),
        "{out}"
    );
    assert!(out.contains("no retrying or dead messages"), "{out}");

    // The server tries while SMTP refuses, and gives up.
    let smtp = SmtpServer::start().await;
    smtp.refuse();
    let app = cli.server(smtp, |s| s.worker.max_attempts = 2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let json: Value =
            serde_json::from_str(&cli.ok(&["outbox", "--json"], None).await).expect("json");
        if json["counts"]["dead"] == 1 {
            let failed = &json["failed"][0];
            assert_eq!(failed["to"], "q@example.com");
            assert_eq!(failed["status"], "dead");
            assert!(failed["last_error"].as_str().is_some_and(|e| !e.is_empty()));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never dead: {json}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
    let out = cli.ok(&["outbox"], None).await;
    assert!(
        out.contains("LAST ERROR") && out.contains("q@example.com"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_delete_asks_unless_yes_and_removes_the_account() {
    let cli = Cli::new().await;
    for email in ["keep@example.com", "drop@example.com", "quick@example.com"] {
        cli.ok(
            &["user", "create", "--email", email, "--verified"],
            Some(PW),
        )
        .await;
    }
    let smtp = SmtpServer::start().await;
    let app = cli.server(smtp, |_| {}).await;
    let (access, _) = app.log_in("drop@example.com").await;

    // No answer, or anything but yes, keeps the account.
    for answer in [None, Some("\n"), Some("no\n")] {
        let err = cli
            .fails(&["user", "delete", "keep@example.com"], answer)
            .await;
        assert!(err.contains("not deleted"), "{err}");
    }
    assert!(
        cli.ok(&["user", "show", "keep@example.com"], None)
            .await
            .contains("keep@")
    );

    let out = cli
        .ok(&["user", "delete", "drop@example.com"], Some("y\n"))
        .await;
    assert!(out.contains("deleted"), "{out}");
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
    cli.ok(&["user", "delete", "--yes", "quick@example.com"], None)
        .await;
    let err = cli
        .fails(&["user", "delete", "--yes", "drop@example.com"], None)
        .await;
    assert!(err.contains("no user has the address"), "{err}");
    let list = cli.ok(&["user", "list"], None).await;
    assert!(list.contains("keep@") && !list.contains("drop@") && !list.contains("quick@"));
    app.smtp.with_subject("drop@example.com", "deleted").await;
    app.smtp.with_subject("quick@example.com", "deleted").await;
    app.stop().await;
}

/// A failure's causes reach the one line the command prints: not only that the key file could
/// not be read, but why.
#[tokio::test(flavor = "multi_thread")]
async fn a_failure_names_its_cause() {
    // The key file beside the SQLite database; PostgreSQL has none (the secret is required).
    let mut cli = Cli::sqlite();
    cli.env.retain(|(key, _)| key != "LATCHKEY_SECRET");
    std::fs::create_dir(cli.dir.path().join("latchkey.key")).expect("a directory for the key");
    // `outbox` may not create the database (contract §1): `migrate` does.
    cli.ok(&["migrate"], None).await;
    let err = cli.fails(&["outbox"], None).await;
    assert!(
        err.contains("latchkey.key") && err.contains("directory"),
        "{err}"
    );
}

/// Run in the wrong directory, a command that only reads or changes what is there refuses the
/// missing database with one line naming the path it looked for, and leaves no file behind
/// (contract §1); the five commands that may create it still do.
#[tokio::test(flavor = "multi_thread")]
async fn only_five_commands_create_the_database() {
    let mut cli = Cli::sqlite();
    cli.env.retain(|(key, _)| key != "LATCHKEY_SECRET");
    let db = cli.dir.path().join("cli.db");
    let nothing_made = |cli: &Cli| {
        let files: Vec<_> = std::fs::read_dir(cli.dir.path())
            .expect("the directory")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert!(files.is_empty(), "files made: {files:?}");
    };
    let address = "someone@example.com";
    for args in [
        &["outbox"][..],
        &["outbox", "--json"],
        &["user", "list"],
        &["user", "show", address],
        &["user", "verify", address],
        &["user", "disable", address],
        &["user", "enable", address],
        &["user", "delete", address, "--yes"],
        // Without SMTP the test email goes to the dev mailbox, in the database.
        &["mail", "test", "--to", address],
    ] {
        let err = cli.fails(args, None).await;
        assert!(err.contains(&db.display().to_string()), "{args:?}: {err}");
        assert!(err.contains("no database"), "{args:?}: {err}");
        nothing_made(&cli);
    }
    // Rendering needs no database at all.
    cli.ok(&["mail", "preview", "password_reset", "--text"], None)
        .await;
    nothing_made(&cli);

    // `migrate` makes the database but no key; the key file is refused just the same.
    cli.ok(&["migrate"], None).await;
    assert!(db.exists());
    let key = cli.dir.path().join("latchkey.key");
    let err = cli.fails(&["user", "list"], None).await;
    assert!(err.contains(&key.display().to_string()), "{err}");
    assert!(!key.exists());
    // `user create` makes the key; then every command works on what is there.
    cli.ok(
        &["user", "create", "--email", address, "--verified"],
        Some(PW),
    )
    .await;
    assert!(key.exists());
    let list = cli.ok(&["user", "list"], None).await;
    assert!(list.contains(address), "{list}");

    for creating in [
        &["user", "create", "--email", address, "--verified"][..],
        &["dev", "seed"],
    ] {
        let fresh = Cli::sqlite();
        let stdin = (creating[0] == "user").then_some(PW);
        fresh.ok(creating, stdin).await;
        assert!(fresh.dir.path().join("cli.db").exists(), "{creating:?}");
    }
}

/// A sign-up is there once it is answered (contract §4), for the CLI too: one answered and not
/// recorded yet (only its `pending_signups` row, as the process that answered it leaves it until
/// it records it) is listed and shown, and its verification email goes out.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_lists_and_shows_a_sign_up_not_recorded_yet() {
    let cli = Cli::new().await;
    cli.ok(&["migrate"], None).await;
    let smtp = SmtpServer::start().await;
    let app = cli.server(Arc::clone(&smtp), |_| {}).await;
    assert_eq!(
        app.register("seed@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.login("seed@example.com", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );

    app.leave_sign_up_pending(1, "Listed@Example.com", "seed@example.com")
        .await;
    let list = cli.ok(&["user", "list"], None).await;
    assert!(list.contains("Listed@Example.com"), "{list}");

    app.leave_sign_up_pending(2, "shown@example.com", "seed@example.com")
        .await;
    let shown = cli.ok(&["user", "show", "shown@example.com"], None).await;
    assert!(shown.contains("email verified: no"), "{shown}");
    for email in ["Listed@Example.com", "shown@example.com"] {
        assert!(smtp.latest(email).await.token("verify-email").is_some());
    }
    app.stop().await;
}
