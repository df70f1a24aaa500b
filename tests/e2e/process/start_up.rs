//! What `latchkey serve` says at start (issue 11): settings that would be accepted but do the
//! wrong thing are refused with the value and what is expected, a first start says which files
//! it created and which pages to open, and on PostgreSQL every command needs the secret and
//! waits a bounded time for a database that does not answer.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::SECRET;

/// The binary with a database in `dir`.
fn latchkey(dir: &Path) -> Command {
    let mut command = crate::support::latchkey(dir);
    command
        .env(
            "LATCHKEY_DATABASE_URL",
            format!("sqlite://{}", dir.join("latchkey.db").display()),
        )
        .stdin(Stdio::null());
    command
}

/// Runs `serve` expecting it to refuse to start; its one line of standard error.
fn refused(dir: &Path, env: &[(&str, &str)]) -> String {
    let out = latchkey(dir)
        .arg("serve")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("run latchkey");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{env:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{env:?}: {stderr}");
    stderr
}

#[test]
fn settings_that_would_do_the_wrong_thing_are_refused_with_their_value() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A log filter that parses but matches nothing: before, nothing at all was logged.
    for value in ["verbose", "nonsense=["] {
        let line = refused(dir.path(), &[("LATCHKEY_LOG", value)]);
        assert!(line.contains("LATCHKEY_LOG"), "{line}");
        assert!(line.contains(&format!("{value:?}")), "{line}");
        assert!(line.contains("debug"), "says what is expected: {line}");
    }
    // An address that is not IP:PORT is echoed with what is expected.
    for value in ["example.com:18081", "8080", "localhost"] {
        let line = refused(dir.path(), &[("LATCHKEY_LISTEN", value)]);
        assert!(line.contains("LATCHKEY_LISTEN"), "{line}");
        assert!(line.contains(&format!("{value:?}")), "{line}");
        assert!(line.contains("127.0.0.1:8080"), "an example: {line}");
    }
    // A syntax error in latchkey.toml says where.
    std::fs::write(
        dir.path().join("latchkey.toml"),
        "product_name = \"Acme\"\nmail_cooldown = \"60s\nlog = \"info\"\n",
    )
    .expect("write latchkey.toml");
    let line = refused(dir.path(), &[]);
    assert!(line.contains("latchkey.toml"), "{line}");
    assert!(line.contains("line 2, column "), "{line}");
    std::fs::remove_file(dir.path().join("latchkey.toml")).expect("remove");
    // A database in a directory that does not exist names the path.
    let missing = dir.path().join("no-such-dir").join("x.db");
    let url = format!("sqlite://{}", missing.display());
    let line = refused(dir.path(), &[("LATCHKEY_DATABASE_URL", &url)]);
    assert!(line.contains(&missing.display().to_string()), "{line}");
    assert!(!dir.path().join("no-such-dir").exists());
    // A path SQLite cannot open (here a directory) names the path too.
    let taken = dir.path().join("a-directory");
    std::fs::create_dir(&taken).expect("mkdir");
    let url = format!("sqlite://{}", taken.display());
    let line = refused(dir.path(), &[("LATCHKEY_DATABASE_URL", &url)]);
    assert!(line.contains(&taken.display().to_string()), "{line}");
}

/// Starts `serve`, reads its log until the pages are named, stops it with SIGTERM; every line.
fn start_and_stop(dir: &Path, env: &[(&str, &str)]) -> Vec<String> {
    let mut child = latchkey(dir)
        .arg("serve")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start latchkey serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no line naming the account page: {lines:#?}");
        };
        let done = line.contains("/account");
        lines.push(line);
        if done {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    lines.extend(rx.iter());
    lines
}

#[test]
fn a_first_start_names_the_files_it_created_and_the_pages_to_open() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let public = [("LATCHKEY_PUBLIC_URL", "http://localhost:18099")];
    let log = start_and_stop(dir.path(), &public);
    let has = |lines: &[String], text: &str| lines.iter().any(|l| l.contains(text));
    let db = dir.path().join("latchkey.db").display().to_string();
    let key = dir.path().join("latchkey.key").display().to_string();
    assert!(
        log.iter()
            .any(|l| l.contains("created the SQLite database") && l.contains(&db)),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("created the secret key file") && l.contains(&key)),
        "{log:#?}"
    );
    assert!(has(&log, "http://localhost:18099/register"), "{log:#?}");
    assert!(has(&log, "http://localhost:18099/account"), "{log:#?}");
    assert!(has(&log, "http://localhost:18099/dev/mailbox"), "{log:#?}");
    // The public URL is local but not where the server listens: said once, as a warning.
    assert!(
        log.iter()
            .any(|l| l.contains("WARN") && l.contains("LATCHKEY_PUBLIC_URL")),
        "{log:#?}"
    );

    // The second start created nothing; with SMTP there is no dev mailbox to open.
    let log = start_and_stop(
        dir.path(),
        &[public[0], ("LATCHKEY_SMTP_URL", "smtp://127.0.0.1:1")],
    );
    assert!(!has(&log, "created the"), "{log:#?}");
    assert!(has(&log, "http://localhost:18099/register"), "{log:#?}");
    assert!(!has(&log, "/dev/mailbox"), "{log:#?}");
}

#[test]
fn localhost_is_taken_as_the_loopback_address() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("localhost:{port}");
    let log = start_and_stop(dir.path(), &[("LATCHKEY_LISTEN", &listen)]);
    assert!(
        log.iter()
            .any(|l| l.contains("latchkey listening") && l.contains(&format!("127.0.0.1:{port}"))),
        "{log:#?}"
    );
}

/// PostgreSQL without `LATCHKEY_SECRET`: `serve`, `worker` and `migrate` refuse before they
/// touch the database, say in one line how to make a secret, and make no key file instead (as
/// they would beside a SQLite database). No PostgreSQL server is needed: nothing listens there.
#[test]
fn postgresql_needs_the_shared_secret_in_every_command() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for command in ["serve", "worker", "migrate"] {
        let out = latchkey(dir.path())
            .arg(command)
            .env("LATCHKEY_LISTEN", "127.0.0.1:0")
            // `worker` binds no port: links need a public URL given.
            .env("LATCHKEY_PUBLIC_URL", "https://id.example.com")
            .env(
                "LATCHKEY_DATABASE_URL",
                "postgres://latchkey@127.0.0.1:1/latchkey",
            )
            .output()
            .expect("run latchkey");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: {stderr}");
        assert!(stderr.contains("LATCHKEY_SECRET"), "{command}: {stderr}");
        assert!(
            stderr.contains("openssl rand -base64 32"),
            "{command}: {stderr}"
        );
    }
    assert!(!dir.path().join("latchkey.key").exists());
}

/// A database that does not answer at start is tried again, with a warning per try, until
/// `LATCHKEY_DATABASE_CONNECT_TIMEOUT`; then each command exits with an error that names the
/// setting: not at once, and not never. Nothing listens on the port, so no PostgreSQL server is
/// needed.
#[test]
fn an_unreachable_database_is_retried_until_the_connect_timeout() {
    const TIMEOUT: Duration = Duration::from_secs(3);
    let dir = tempfile::tempdir().expect("temporary directory");
    // A port nobody listens on: refused at once, every try.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("postgres://latchkey:latchkey@127.0.0.1:{port}/nowhere");
    let runs: Vec<_> = ["serve", "worker", "migrate"]
        .into_iter()
        .map(|command| {
            let mut child = latchkey(dir.path());
            child
                .arg(command)
                .env("LATCHKEY_LISTEN", "127.0.0.1:0")
                .env("LATCHKEY_PUBLIC_URL", "https://id.example.com")
                .env("LATCHKEY_DATABASE_URL", &url)
                .env("LATCHKEY_SECRET", SECRET)
                .env(
                    "LATCHKEY_DATABASE_CONNECT_TIMEOUT",
                    format!("{}s", TIMEOUT.as_secs()),
                )
                .env("LATCHKEY_LOG", "info");
            std::thread::spawn(move || {
                let started = Instant::now();
                let out = child.output().expect("run latchkey");
                (command, started.elapsed(), out)
            })
        })
        .collect();
    for run in runs {
        let (command, took, out) = run.join().expect("join");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(20),
            "{command} with a {TIMEOUT:?} timeout gave up after {took:?}: {stderr}"
        );
        let tries = stderr.matches("does not answer yet").count();
        assert!(tries >= 2, "{command} logs each try: {stderr}");
        let last = stderr.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.contains("LATCHKEY_DATABASE_CONNECT_TIMEOUT"),
            "{command}'s error names the setting: {stderr}"
        );
    }
}
