//! End-to-end test support: the real application on a random port, a temporary SQLite
//! database, and a real SMTP server over TCP.
#![allow(dead_code)]

pub mod smtp;

use std::{path::PathBuf, sync::Arc, time::Duration};

use latchkey::{Application, Settings, configuration::DatabaseUrl};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinHandle};

#[allow(unused_imports)] // not every test file uses every helper
pub use smtp::{ReceivedMail, SmtpServer};

pub const PASSWORD: &str = "correct horse battery";
/// A fixed secret, so that a restarted instance reads what the previous one sealed.
pub const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Settings for a test: everything on loopback, fast retries, cheap hashing, no cooldown.
pub fn test_settings(db: PathBuf, smtp: &SmtpServer) -> Settings {
    let mut s = Settings::defaults();
    s.listen = "127.0.0.1:0".parse().expect("address");
    s.database_url = DatabaseUrl::Sqlite(db);
    s.smtp_url = Some(smtp.url().parse().expect("smtp url"));
    s.secret = Some(SECRET.parse().expect("secret"));
    s.password_hash = "argon2id:m=4096,t=1,p=1".parse().expect("hash params");
    s.mail_cooldown = Duration::ZERO;
    s.rate_limit = false;
    s.worker.retry_base = Duration::from_millis(100);
    s.worker.retry_max = Duration::from_millis(400);
    s.worker.poll_interval = Duration::from_millis(100);
    s.worker.lease = Duration::from_secs(2);
    s
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub smtp: Arc<SmtpServer>,
    pub settings: Settings,
    pub dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let smtp = SmtpServer::start().await;
        let mut settings = test_settings(dir.path().join("latchkey.db"), &smtp);
        configure(&mut settings);
        Self::start(settings, smtp, dir).await
    }

    pub async fn start(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
    ) -> Self {
        let app = Application::build(settings.clone())
            .await
            .expect("the application starts");
        let base = format!("http://{}", app.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            base,
            client,
            smtp,
            settings,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops gracefully: requests and sends in flight finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stops like a killed process: nothing in flight finishes.
    pub async fn crash(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// A new instance on the same database, SMTP server and settings (and a new port).
    pub async fn restart_like(&self) -> TestApp {
        TestApp::start(self.settings.clone(), self.smtp.clone(), self.dir.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, email: &str) -> Response {
        self.post(
            "/api/v1/register",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/login",
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers, follows the verification link, and returns the address's verified account.
    pub async fn verified_user(&self, email: &str) {
        assert_eq!(self.register(email).await.status(), StatusCode::ACCEPTED);
        let token = self
            .smtp
            .latest(email)
            .await
            .token("verify-email")
            .expect("a verification link");
        let r = self
            .post("/api/v1/email/verify", json!({"token": token}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// A verified user, logged in: (access token, refresh token).
    pub async fn logged_in(&self, email: &str) -> (String, String) {
        self.verified_user(email).await;
        let body: Value = self
            .login(email, PASSWORD)
            .await
            .json()
            .await
            .expect("tokens");
        (
            str_of(&body, "access_token"),
            str_of(&body, "refresh_token"),
        )
    }
}

pub fn str_of(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

/// Asserts a problem+json answer with this status and code; returns the body.
pub async fn assert_problem(r: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status, "status for expected {code}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = r.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    body
}
