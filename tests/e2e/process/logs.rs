//! No password, token or link in any log line at any level (issue 4): `latchkey serve` runs as a
//! subprocess with `LATCHKEY_LOG=trace` and real SMTP, every flow runs over HTTP, and its
//! stderr is searched for every secret it handled: sign-up, verification, log-in, refresh,
//! reset, password change, email change and revert.

use std::{
    path::Path,
    process::{Child, Stdio},
    time::Duration,
};

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "first admin secret 1";

struct Server {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Server {
    async fn start(dir: &Path, db: &TestDatabase, smtp: &SmtpServer, format: &str) -> Self {
        let log = dir.join("latchkey.log");
        let file = std::fs::File::create(&log).expect("log file");
        let db = db.env_url();
        let child = latchkey(dir)
            .arg("serve")
            .envs([
                ("LATCHKEY_LISTEN", "127.0.0.1:0"),
                ("LATCHKEY_DATABASE_URL", db.as_str()),
                ("LATCHKEY_SMTP_URL", smtp.url().as_str()),
                ("LATCHKEY_SECRET", SECRET),
                ("LATCHKEY_MAIL_COOLDOWN", "0s"),
                ("LATCHKEY_LOG", "trace"),
                ("LATCHKEY_LOG_FORMAT", format),
                ("LATCHKEY_FIRST_ADMIN_EMAIL", "root@example.com"),
                ("LATCHKEY_FIRST_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("latchkey serve starts");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let base = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = listening_addr(&text) {
                break format!("http://{addr}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "serve did not start:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Self { child, base, log }
    }

    /// The log so far, the server still running.
    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).expect("log")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the `latchkey listening` line, text (`addr=…`) or JSON (`"addr":"…"`).
fn listening_addr(log: &str) -> Option<String> {
    let line = log.lines().find(|l| l.contains("latchkey listening"))?;
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

/// Everything secret the flows handled.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &str) {
        assert!(value.len() >= 8, "{what} too short to search for");
        self.0.push((what.to_owned(), value.to_owned()));
    }

    fn tokens_of(&mut self, r: &Value) {
        self.add("access token", &str_of(r, "access_token"));
        self.add("refresh token", &str_of(r, "refresh_token"));
    }

    /// Waits for the next `page` link to `to` and records it and its token.
    async fn next_link(&mut self, smtp: &SmtpServer, to: &str, page: &str) -> String {
        let token = smtp.new_token(to, page).await;
        let mail = smtp
            .messages_to(to)
            .into_iter()
            .find(|m| m.token(page).as_deref() == Some(token.as_str()))
            .unwrap_or_else(|| panic!("the mail with the {page} link"));
        self.link_of(&mail, page)
    }

    fn link_of(&mut self, mail: &ReceivedMail, page: &str) -> String {
        let link = mail.link(page).unwrap_or_else(|| panic!("a {page} link"));
        let token = mail.token(page).unwrap_or_else(|| panic!("a {page} token"));
        self.add("link", &link);
        self.add("link token", &token);
        token
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    async fn json(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let r = self.post(path, token, body).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }
}

async fn run_every_flow(format: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let database = TestDatabase::for_engine(dir.path()).await;
    let smtp = SmtpServer::start().await;
    let mut server = Server::start(dir.path(), &database, &smtp, format).await;
    let c = Client {
        http: reqwest::Client::new(),
        base: server.base.clone(),
    };
    let mut secrets = Secrets::default();
    secrets.add("first admin password", ADMIN_PASSWORD);

    // Sign-up, the link page (its query must not be logged), verification, log-in, refresh.
    let email = "ann@example.com";
    secrets.add("password", PASSWORD);
    c.json(
        "/api/v1/register",
        None,
        json!({"email": email, "password": PASSWORD, "name": "Ann"}),
    )
    .await;
    let token = secrets.next_link(&smtp, email, "verify-email").await;
    assert_eq!(
        c.get(&format!("/verify-email?token={token}"), None)
            .await
            .status(),
        StatusCode::OK
    );
    c.json("/api/v1/email/verify", None, json!({"token": token}))
        .await;
    let wrong = "wrong password for ann";
    secrets.add("wrong password", wrong);
    let r = c
        .post(
            "/api/v1/login",
            None,
            json!({"email": email, "password": wrong}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let tokens = c
        .json(
            "/api/v1/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    secrets.tokens_of(&tokens);
    let refreshed = c
        .json(
            "/api/v1/token/refresh",
            None,
            json!({"refresh_token": str_of(&tokens, "refresh_token")}),
        )
        .await;
    secrets.tokens_of(&refreshed);
    let access = str_of(&refreshed, "access_token");
    assert_eq!(
        c.get("/api/v1/me", Some(&access)).await.status(),
        StatusCode::OK
    );
    // A reused refresh token (logged as reuse) and a bad bearer.
    let r = c
        .post(
            "/api/v1/token/refresh",
            None,
            json!({"refresh_token": str_of(&tokens, "refresh_token")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let bogus = "eyJhbGciOiJIUzI1NiJ9.bogus-bearer.token";
    secrets.add("bogus bearer", bogus);
    assert_eq!(
        c.get("/api/v1/me", Some(bogus)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // An admin makes a user with a password; that user's verification link.
    let admin = c
        .json(
            "/api/v1/login",
            None,
            json!({"email": "root@example.com", "password": ADMIN_PASSWORD}),
        )
        .await;
    secrets.tokens_of(&admin);
    let admin_access = str_of(&admin, "access_token");
    let made_password = "made by the admin 7";
    secrets.add("admin-set password", made_password);
    c.json(
        "/api/v1/admin/users",
        Some(&admin_access),
        json!({"email": "made@example.com", "password": made_password}),
    )
    .await;
    secrets
        .next_link(&smtp, "made@example.com", "verify-email")
        .await;

    // Password reset.
    c.json("/api/v1/password/forgot", None, json!({"email": email}))
        .await;
    let token = secrets.next_link(&smtp, email, "reset-password").await;
    let new_password = "a brand new password 9";
    secrets.add("new password", new_password);
    c.json(
        "/api/v1/password/reset",
        None,
        json!({"token": token, "new_password": new_password}),
    )
    .await;
    let tokens = c
        .json(
            "/api/v1/login",
            None,
            json!({"email": email, "password": new_password}),
        )
        .await;
    secrets.tokens_of(&tokens);
    let access = str_of(&tokens, "access_token");
    c.json(
        "/api/v1/me/password",
        Some(&access),
        json!({"current_password": new_password, "new_password": "third password 123"}),
    )
    .await;
    secrets.add("third password", "third password 123");

    // Email change: both confirmations, then the revert link.
    c.json(
        "/api/v1/me/email",
        Some(&access),
        json!({"password": "third password 123", "new_email": "ann.new@example.com"}),
    )
    .await;
    for to in ["ann.new@example.com", email] {
        let token = secrets.next_link(&smtp, to, "confirm-email-change").await;
        c.json(
            "/api/v1/email/change/confirm",
            None,
            json!({"token": token}),
        )
        .await;
    }
    let token = secrets.next_link(&smtp, email, "revert-email-change").await;
    c.json("/api/v1/email/change/revert", None, json!({"token": token}))
        .await;
    secrets.next_link(&smtp, email, "reset-password").await;
    c.json(
        "/api/v1/logout",
        None,
        json!({"refresh_token": str_of(&refreshed, "refresh_token")}),
    )
    .await;
    // Every email that arrived is logged as sent before the log is read (the worker logs a
    // send after the SMTP server's answer).
    let arrived = smtp.messages().len();
    wait_until("every send is logged", Duration::from_secs(30), || async {
        server.text().matches("email sent").count() >= arrived
    })
    .await;

    let log = server.log();
    assert!(
        log.contains("email sent") && log.lines().count() > 50,
        "the log is too thin to prove anything:\n{log}"
    );
    for (what, secret) in &secrets.0 {
        if let Some(line) = log.lines().find(|l| l.contains(secret.as_str())) {
            panic!("a {what} is in the log:\n{line}");
        }
    }
    assert!(!log.contains("token="), "a link in the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_text_logs() {
    run_every_flow("text").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_json_logs() {
    run_every_flow("json").await;
}
