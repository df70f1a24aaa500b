//! The `latchkey` binary as a process: the one way the tests launch it ([`latchkey`]), and
//! `latchkey serve` and `latchkey worker` as nodes of one deployment, their log kept for
//! failure messages, stopped with SIGTERM or killed with SIGKILL.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{SECRET, SmtpServer};

/// The `latchkey` binary, to run in `dir` (where it reads `latchkey.toml` and, by default,
/// makes `latchkey.db` and `latchkey.key`): with none of the `LATCHKEY_*` variables of the
/// surroundings, plain log lines (`NO_COLOR`), and cheap password hashing (tests hash many
/// passwords). Everything else it needs, the test sets.
pub fn latchkey(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LATCHKEY_") {
            command.env_remove(key);
        }
    }
    // Each process its own metrics port: many run at once.
    command
        .env("NO_COLOR", "1")
        .env("LATCHKEY_PASSWORD_HASH", "argon2id:m=4096,t=1,p=1")
        .env("LATCHKEY_METRICS_LISTEN", "127.0.0.1:0");
    command
}

/// [`latchkey`] as a node of a test deployment: on `database_url`, sending through `smtp`, with
/// the suite's secret, no request limits and no mail cooldown (tests send many requests), quick
/// retries, and info logs. Every node has the same public URL, as nodes behind one load
/// balancer do: it is the access tokens' issuer, so a token from one node works on the others.
pub fn deployment(dir: &Path, database_url: &str, smtp: &SmtpServer) -> Command {
    let mut command = latchkey(dir);
    command.envs([
        ("LATCHKEY_DATABASE_URL", database_url),
        ("LATCHKEY_SMTP_URL", smtp.url().as_str()),
        ("LATCHKEY_SECRET", SECRET),
        ("LATCHKEY_PUBLIC_URL", "http://localhost:8080"),
        ("LATCHKEY_MAIL_COOLDOWN", "0s"),
        ("LATCHKEY_RATE_LIMIT", "off"),
        ("LATCHKEY_MAIL_RETRY_BASE", "200ms"),
        ("LATCHKEY_MAIL_RETRY_MAX", "1s"),
        ("LATCHKEY_MAIL_MAX_ATTEMPTS", "100"),
        ("LATCHKEY_LOG", "info"),
    ]);
    command
}

/// One running process.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT` for `serve`; empty for `worker`.
    pub base: String,
    /// `http://127.0.0.1:PORT` of `serve`'s metrics listener; empty when it has none.
    pub metrics_base: String,
    log: Arc<Mutex<Vec<String>>>,
    name: String,
}

impl Node {
    /// Starts `latchkey serve` on a random port and waits until it listens.
    pub async fn serve(name: &str, mut command: Command) -> Self {
        command.arg("serve").env("LATCHKEY_LISTEN", "127.0.0.1:0");
        let mut node = Self::spawn(name, command);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let lines = node.log_lines();
            if let Some(addr) = lines.iter().find_map(|l| listening_addr(l)) {
                node.base = format!("http://{addr}");
                if let Some(metrics) = lines.iter().find_map(|l| metrics_addr(l)) {
                    node.metrics_base = format!("http://{metrics}");
                }
                return node;
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                panic!("{name} ended at start ({status}):\n{}", node.log());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} did not start listening:\n{}",
                node.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts `latchkey worker`.
    pub fn worker(name: &str, mut command: Command) -> Self {
        command.arg("worker");
        Self::spawn(name, command)
    }

    fn spawn(name: &str, mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut log) = log.lock() {
                        log.push(line);
                    }
                }
            });
        }
        Self {
            child,
            base: String::new(),
            metrics_base: String::new(),
            log,
            name: name.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The log so far, one string (for failure messages).
    pub fn log(&self) -> String {
        format!("--- {} ---\n{}", self.name, self.log_lines().join("\n"))
    }

    /// Lines of the log at ERROR or WARN level, and panics (text log format).
    pub fn errors(&self) -> Vec<String> {
        self.log_lines()
            .into_iter()
            .filter(|l| l.contains(" ERROR ") || l.contains(" WARN ") || l.contains("panicked"))
            .collect()
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, like a machine or container that dies: nothing is cleaned up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the process to end (at most 60 s, then SIGKILL).
    pub async fn terminate(&mut self) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() > deadline {
                self.kill();
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address of the "latchkey listening" line (text or JSON log format).
/// The metrics address of the "latchkey listening" line (`metrics=ADDR`), if it has one.
pub fn metrics_addr(line: &str) -> Option<String> {
    if !line.contains("latchkey listening") {
        return None;
    }
    let rest = line
        .split_once("metrics=")
        .or_else(|| line.split_once("\"metrics\":\""))?
        .1;
    let addr: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    (!addr.is_empty()).then_some(addr)
}

pub fn listening_addr(line: &str) -> Option<String> {
    if !line.contains("latchkey listening") {
        return None;
    }
    let rest = line
        .split_once("addr=")
        .or_else(|| line.split_once("\"addr\":\""))?
        .1;
    Some(
        rest.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect(),
    )
}
