//! Output that nobody reads any more (issue 11): `latchkey serve 2>&1 | tee log` after the
//! `tee` has gone, a log collector that restarts, `latchkey … | head`. A write on a closed
//! pipe fails with EPIPE (Rust ignores SIGPIPE); the server must keep serving and stop
//! promptly with status 0 on SIGTERM or Ctrl-C, and a command must end quietly.

use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    net::{SocketAddr, TcpStream},
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
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
        .env("LATCHKEY_SECRET", SECRET);
    command
}

/// One HTTP/1.1 request on its own connection: the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, json: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = json.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// Waits until `/healthz` answers 200; false if the process ended first or it never did.
fn wait_healthy(child: &mut Child, addr: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if http(addr, "GET", "/healthz", None).is_some_and(|(s, _)| s == 200) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Sends the signal and waits at most `within` for the process to end.
fn signal_and_wait(mut child: Child, signal: &str, within: Duration) -> Option<ExitStatus> {
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Kills the server if a round fails before it is stopped on purpose: no process outlives
/// the test.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
fn serve_with_a_closed_log_pipe_serves_and_stops_promptly_every_time() {
    for round in 0..10 {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (reader, writer) = std::io::pipe().expect("pipe");
        let mut command = latchkey(dir.path());
        let metrics_addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        command
            .arg("serve")
            .env("LATCHKEY_METRICS_LISTEN", metrics_addr.to_string())
            .env("LATCHKEY_LOG", "info")
            .env("LATCHKEY_MAIL_COOLDOWN", "0s")
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("pipe"))
            .stderr(writer);
        // Even rounds: the pipe is closed before the first line (death at start-up); odd
        // rounds: after the "listening" line (the shutdown path, and the worker's lines).
        let closed_from_start = round % 2 == 0;
        let (child, addr) = if closed_from_start {
            drop(reader);
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            command.env("LATCHKEY_LISTEN", addr.to_string());
            (command.spawn().expect("start latchkey serve"), addr)
        } else {
            command.env("LATCHKEY_LISTEN", "127.0.0.1:0");
            let child = command.spawn().expect("start latchkey serve");
            drop(command); // the parent's copies of the write end
            let mut lines = BufReader::new(reader).lines();
            let addr = loop {
                let line = lines
                    .next()
                    .and_then(Result::ok)
                    .unwrap_or_else(|| panic!("round {round}: no 'listening' line"));
                if line.contains("latchkey listening")
                    && let Some(addr) = line.split("addr=").nth(1)
                {
                    break addr
                        .split_whitespace()
                        .next()
                        .and_then(|a| a.parse().ok())
                        .expect("an address");
                }
            };
            drop(lines);
            (child, addr)
        };
        let mut server = KillOnDrop(Some(child));
        let child = server.0.as_mut().expect("the server");
        assert!(
            wait_healthy(child, addr),
            "round {round}: the server died or never answered: {:?}",
            child.try_wait()
        );
        // Requests, and emails for the worker: every one of them logs.
        for n in 0..3 {
            let body =
                format!(r#"{{"email":"pipe{n}@example.com","password":"correct horse battery"}}"#);
            let answer = http(addr, "POST", "/api/v1/register", Some(&body));
            assert_eq!(answer.map(|(s, _)| s), Some(202), "round {round}");
        }
        assert_eq!(
            http(addr, "GET", "/healthz", None).map(|(s, _)| s),
            Some(200),
            "round {round}"
        );
        // The lost lines are counted, not fatal (the worker logs each email it sends, a moment
        // after the answers).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, metrics) = http(metrics_addr, "GET", "/metrics", None).expect("metrics");
            let dropped: f64 = metrics
                .lines()
                .find_map(|l| l.strip_prefix("latchkey_log_lines_dropped_total "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("round {round}: no dropped-lines counter in {metrics}"));
            if dropped > 0.0 {
                break;
            }
            assert!(Instant::now() < deadline, "round {round}: no line dropped");
            std::thread::sleep(Duration::from_millis(100));
        }

        let signal = if round % 4 < 2 { "TERM" } else { "INT" };
        let child = server.0.take().expect("the server");
        let status = signal_and_wait(child, signal, Duration::from_secs(15));
        assert!(
            status.is_some_and(|s| s.success()),
            "round {round}: SIGTERM/SIGINT with a closed log pipe: {status:?}"
        );
    }
}

#[test]
fn commands_whose_reader_has_gone_end_quietly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ok = latchkey(dir.path())
        .args(["user", "create", "--email", "ann@example.com", "--verified"])
        .arg("--no-password")
        .output()
        .expect("run latchkey");
    assert!(ok.status.success(), "{ok:?}");
    let commands: &[&[&str]] = &[
        &["mail", "preview", "verification", "--html"],
        &["mail", "preview", "password_reset", "--text"],
        &["migrate"],
        &["user", "list"],
        &["user", "show", "ann@example.com"],
        &["user", "verify", "ann@example.com"],
        &["outbox"],
        &["outbox", "--json"],
        &["dev", "seed", "--force"],
        &[
            "user",
            "create",
            "--email",
            "carol@example.com",
            "--verified",
            "--no-password",
        ],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = latchkey(dir.path())
            .args(*args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("run latchkey");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing on standard error");
    }

    // `| head`: the reader takes a little and goes away while the command is still writing.
    let mut child = latchkey(dir.path())
        .args(["mail", "preview", "verification", "--html"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run latchkey");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).expect("the first bytes");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");

    // A failure with both outputs closed is still a failure (status 1), never a panic (101).
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let status = latchkey(dir.path())
        .args(["user", "show", "nobody@example.com"])
        .stdin(Stdio::null())
        .stdout(writer.try_clone().expect("pipe"))
        .stderr(writer)
        .status()
        .expect("run latchkey");
    assert_eq!(status.code(), Some(1));
}
