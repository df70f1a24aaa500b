//! End-to-end test support: the real application on a random port, a temporary database
//! (SQLite, or PostgreSQL with `LATCHKEY_TEST_ENGINE=postgres`: see database.rs), and a real
//! SMTP server over TCP.
//!
//! Each `TestApp` runs on a Tokio runtime of its own, like a process of its own: `crash()` drops
//! that runtime with everything on it (server, worker, sends in flight), as a killed process
//! would lose them, while `stop()` shuts down gracefully.

pub mod cluster;
pub mod database;
pub mod node;
pub mod pages;
pub mod passkey;
pub mod process_group;
pub mod smtp;
pub mod webhooks;

use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use latchkey::{Application, Settings, domain::time::Clock};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::AnyPool;
use tokio::{
    runtime::Runtime,
    sync::{OnceCell, oneshot},
    task::JoinHandle,
};

pub use database::{Engine, PgDatabase, TestDatabase, engine, postgres_or_skip, under_ci};
pub use node::latchkey;
pub use smtp::{MAIL_TIMEOUT, ReceivedMail, SmtpServer};

pub const PASSWORD: &str = "correct horse battery";
/// A fixed secret, so that a restarted instance reads what the previous one sealed.
pub const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Another valid secret, for rotation and foreign signatures.
pub const OTHER_SECRET: &str = "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The access tokens a deployment with `secret` (and `previous`) issues, with the test
/// settings' issuer and audience: for forging tokens that differ from real ones only where a
/// test says.
pub fn access_tokens(
    secret: &str,
    previous: Option<&str>,
) -> latchkey::domain::access::AccessTokens {
    use latchkey::domain::{
        access::{AccessTokens, TokenSettings},
        keys::{Keys, Secret},
    };
    let secret: Secret = secret.parse().expect("secret");
    let previous: Option<Secret> = previous.map(|p| p.parse().expect("secret"));
    let defaults = Settings::defaults();
    AccessTokens::new(
        &Keys::derive(&secret, previous.as_ref()),
        &TokenSettings {
            algorithm: defaults.access_token_alg,
            issuer: defaults.public_url.as_str().trim_end_matches('/'),
            audience: &defaults.token_audience,
            ttl: defaults.access_ttl,
            clock: latchkey::domain::time::Clock::system(),
        },
    )
    .expect("access tokens")
}

/// Settings for a test on the SQLite file `db`: everything on loopback, fast retries, cheap
/// hashing, no cooldown.
pub fn test_settings(db: PathBuf, smtp: &SmtpServer) -> Settings {
    test_settings_on(&TestDatabase::Sqlite(db), smtp)
}

/// Settings for a test on `db`, whichever engine it is.
pub fn test_settings_on(db: &TestDatabase, smtp: &SmtpServer) -> Settings {
    let mut s = Settings::defaults();
    s.listen = "127.0.0.1:0".parse().expect("address");
    s.metrics_listen = Some(latchkey::configuration::MetricsListen {
        addr: "127.0.0.1:0".parse().expect("address"),
        required: true,
    });
    s.database_url = db.database_url();
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
    /// `http://127.0.0.1:PORT` of the metrics listener, when it has one.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    pub smtp: Arc<SmtpServer>,
    pub settings: Settings,
    pub dir: Arc<tempfile::TempDir>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
    runtime: Mutex<Option<Runtime>>,
    db: OnceCell<AnyPool>,
    /// Kept by every instance on it: a test's PostgreSQL database lives as long as they do.
    pub database: TestDatabase,
    /// The application's time; `advance` moves it. Instances started from this one
    /// (`restart_like`, `restart_with`) share it, as processes share the time of one machine.
    pub clock: Clock,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with settings changed by `configure`, on the suite's engine.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let database = TestDatabase::for_engine(dir.path()).await;
        Self::spawn_on(database, dir, configure).await
    }

    /// Spawns on SQLite whatever the suite's engine: for tests about SQLite itself (its
    /// files, the key file beside it).
    pub async fn spawn_sqlite_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
        let database = TestDatabase::Sqlite(dir.path().join("latchkey.db"));
        Self::spawn_on(database, dir, configure).await
    }

    /// Spawns on `database`, with settings changed by `configure`.
    pub async fn spawn_on(
        database: TestDatabase,
        dir: Arc<tempfile::TempDir>,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let smtp = SmtpServer::start().await;
        let mut settings = test_settings_on(&database, &smtp);
        configure(&mut settings);
        Self::start_on(settings, smtp, dir, database).await
    }

    /// Starts with these settings, on the database they name.
    pub async fn start(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
    ) -> Self {
        let database = TestDatabase::of(&settings.database_url);
        Self::start_on(settings, smtp, dir, database).await
    }

    /// Starts with these settings, keeping `database` (which they name) alive.
    pub async fn start_on(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
        database: TestDatabase,
    ) -> Self {
        Self::try_start_on(settings, smtp, dir, database)
            .await
            .unwrap_or_else(|e| panic!("the application does not start: {e}"))
    }

    /// Starts the application on a runtime of its own; the start error if it does not start.
    pub async fn try_start(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
    ) -> Result<Self, String> {
        let database = TestDatabase::of(&settings.database_url);
        Self::try_start_on(settings, smtp, dir, database).await
    }

    /// [`Self::try_start`], keeping `database` alive.
    pub async fn try_start_on(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
        database: TestDatabase,
    ) -> Result<Self, String> {
        Self::try_start_on_clock(settings, smtp, dir, database, Clock::system()).await
    }

    /// [`Self::try_start_on`] with the time of `clock`.
    async fn try_start_on_clock(
        settings: Settings,
        smtp: Arc<SmtpServer>,
        dir: Arc<tempfile::TempDir>,
        database: TestDatabase,
        clock: Clock,
    ) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("latchkey-under-test")
            .enable_all()
            .build()
            .expect("a runtime for the application");
        type Addrs = (SocketAddr, Option<SocketAddr>);
        let (ready, started) = oneshot::channel::<Result<Addrs, String>>();
        let (stop, stopped) = oneshot::channel::<()>();
        let app_settings = settings.clone();
        let app_clock = clock.clone();
        let task = runtime.spawn(async move {
            let app = match Application::build_with_clock(app_settings, app_clock).await {
                Ok(app) => app,
                Err(e) => {
                    let _ = ready.send(Err(e.to_string()));
                    return Ok(());
                }
            };
            let _ = ready.send(Ok((app.local_addr(), app.metrics_addr())));
            app.run(async {
                let _ = stopped.await;
            })
            .await
        });
        let (addr, metrics_addr) = match started.await {
            Ok(Ok(addrs)) => addrs,
            Ok(Err(e)) => {
                runtime.shutdown_background();
                return Err(e);
            }
            Err(_) => {
                runtime.shutdown_background();
                return Err("the application task ended before it started".into());
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Ok(Self {
            base: format!("http://{addr}"),
            metrics_base: metrics_addr.map(|a| format!("http://{a}")),
            client,
            smtp,
            settings,
            dir,
            stop: Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
            runtime: Mutex::new(Some(runtime)),
            db: OnceCell::new(),
            database,
            clock,
        })
    }

    /// Moves the application's time forward by `by`: links and access tokens expire,
    /// cooldowns and limits pass, retries fall due (the outbox worker wakes for them). Instead
    /// of sleeping until then; real timeouts (connections, SMTP) stay real.
    ///
    /// First it lets the messages due now be sent and recorded: a jump past a lease while a
    /// message is being sent (its email may already be in the test's SMTP server, the worker
    /// not yet told) would let a worker take it over and send it again, which no real clock
    /// does.
    pub async fn advance(&self, by: Duration) {
        self.settle().await;
        self.clock.advance(by);
    }

    /// Waits until no message is due now or being sent: what the outbox would do at this time
    /// is done. After `advance(past every lease and retry)` it shows that nothing more is on
    /// its way, where a sleep could only hope so.
    pub async fn settle(&self) {
        wait_until(
            "the messages due are sent and recorded",
            MAIL_TIMEOUT,
            || async { self.sends_due_or_in_progress().await == 0 },
        )
        .await;
    }

    /// [`Self::advance`] at once, sends in progress or not: for tests of leases.
    pub fn advance_during_sends(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Messages due now, or that a worker holds the live lease of (being sent).
    async fn sends_due_or_in_progress(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'retrying') \
             AND (next_attempt_at <= $1 OR (lease_until IS NOT NULL AND lease_until > $1))",
        )
        .bind(self.clock.now().0)
        .fetch_one(self.db().await)
        .await
        .expect("the outbox's leases")
    }

    /// Stops gracefully, like SIGTERM: requests and sends in flight finish first.
    pub async fn stop(&self) {
        if let Some(stop) = self.stop.lock().expect("lock").take() {
            let _ = stop.send(());
        }
        let task = self.task.lock().expect("lock").take();
        if let Some(task) = task {
            let result = task.await.expect("the application task does not panic");
            result.expect("the server ends cleanly");
        }
        self.shut_down_runtime().await;
    }

    /// Stops like a killed process: everything in flight is dropped where it stands.
    pub async fn crash(&self) {
        self.task.lock().expect("lock").take();
        self.stop.lock().expect("lock").take();
        self.shut_down_runtime().await;
    }

    async fn shut_down_runtime(&self) {
        let runtime = self.runtime.lock().expect("lock").take();
        if let Some(runtime) = runtime {
            tokio::task::spawn_blocking(move || runtime.shutdown_timeout(Duration::from_secs(10)))
                .await
                .expect("runtime shut down");
        }
    }

    /// A new instance on the same database, SMTP server and settings (and a new port).
    pub async fn restart_like(&self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// A new instance on the same database and SMTP server, with settings changed.
    pub async fn restart_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        TestApp::try_start_on_clock(
            settings,
            self.smtp.clone(),
            self.dir.clone(),
            self.database.clone(),
            self.clock.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("the application does not start again: {e}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The SQLite file; a test that reads it runs on SQLite (`spawn_sqlite_with`).
    pub fn db_path(&self) -> PathBuf {
        self.database
            .sqlite_path()
            .unwrap_or_else(|| panic!("this test reads the SQLite file but runs on PostgreSQL"))
            .to_owned()
    }

    pub fn is_postgres(&self) -> bool {
        self.database.is_postgres()
    }

    /// The value of `LATCHKEY_DATABASE_URL` for a `latchkey` process on this database.
    pub fn database_env_url(&self) -> String {
        self.database.env_url()
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// A POST with exactly these bytes and this `Content-Type` (none if `None`).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
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

    pub async fn patch_auth(&self, path: &str, token: &str, body: Value) -> Response {
        self.client
            .patch(self.url(path))
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

    /// A sign-up is recorded just after its answer; a look-up records it first when it asks
    /// (read-your-writes), but tests that measure time wait for the recording so that it does not
    /// run inside what they measure. Its row in `pending_signups` is taken out by the transaction
    /// that records it. Panics if that does not happen in `MAIL_TIMEOUT`.
    #[allow(dead_code)] // used by tests/timing.rs, not by every binary that includes support
    pub async fn sign_up_recorded(&self, email: &str) {
        let email = email.trim().to_lowercase();
        wait_until(
            &format!("the sign-up of {email} is recorded"),
            MAIL_TIMEOUT,
            || async {
                let pending: Vec<String> = sqlx::query_scalar("SELECT email FROM pending_signups")
                    .fetch_all(self.db().await)
                    .await
                    .expect("read pending_signups");
                !pending.iter().any(|p| p.trim().to_lowercase() == email)
            },
        )
        .await;
    }

    pub async fn register(&self, email: &str) -> Response {
        self.register_with(email, PASSWORD, None).await
    }

    pub async fn register_with(&self, email: &str, password: &str, name: Option<&str>) -> Response {
        let mut body = json!({"email": email, "password": password});
        if let Some(name) = name {
            body["name"] = name.into();
        }
        // No wait for the sign-up to be recorded: from its answer on, every flow must find it
        // (contract §4), and every test that signs up checks that.
        self.post("/api/v1/register", body).await
    }

    /// Leaves a sign-up of `email` (with `PASSWORD`) answered and unrecorded, as the process that
    /// answered it would if it died at once: only its `pending_signups` row, with the password hash
    /// of `like`'s account. Dated far ahead, so that the finisher of left-over sign-ups (which takes
    /// rows older than a few seconds) leaves it to the look-up under test.
    pub async fn leave_sign_up_pending(&self, n: u8, email: &str, like: &str) {
        let id = if self.is_postgres() {
            format!("'00000000-0000-0000-0000-0000000000{n:02x}'")
        } else {
            format!("X'000000000000000000000000000000{n:02x}'")
        };
        let sql = format!(
            "INSERT INTO pending_signups (id, email, email_norm, name, locale, password_hash, created_at) \
             SELECT {id}, $1, $2, NULL, 'en', password_hash, 9000000000000000 FROM users WHERE email_norm = $3"
        );
        let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .bind(email.to_lowercase())
            .bind(like.to_lowercase())
            .execute(self.db().await)
            .await
            .expect("insert a pending sign-up")
            .rows_affected();
        assert_eq!(inserted, 1, "{like} has an account to copy the hash from");
    }

    pub async fn verify(&self, token: &str) -> Response {
        self.post("/api/v1/email/verify", json!({"token": token}))
            .await
    }

    pub async fn resend(&self, email: &str) -> Response {
        self.post("/api/v1/email/verify/resend", json!({"email": email}))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/login",
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/token/refresh",
            json!({"refresh_token": refresh_token}),
        )
        .await
    }

    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.post("/api/v1/logout", json!({"refresh_token": refresh_token}))
            .await
    }

    /// The status of `GET /api/v1/me` with this access token.
    pub async fn me_status(&self, access_token: &str) -> StatusCode {
        self.get_auth("/api/v1/me", access_token).await.status()
    }

    /// Registers, follows the verification link, and returns the address's verified account.
    pub async fn verified_user(&self, email: &str) {
        assert_eq!(self.register(email).await.status(), StatusCode::ACCEPTED);
        let token = self.smtp.new_token(email, "verify-email").await;
        assert_eq!(self.verify(&token).await.status(), StatusCode::OK);
    }

    /// Logs in with the test password: (access token, refresh token).
    pub async fn log_in(&self, email: &str) -> (String, String) {
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "log-in of {email}");
        tokens_of(r).await
    }

    /// A verified user, logged in: (access token, refresh token).
    pub async fn logged_in(&self, email: &str) -> (String, String) {
        self.verified_user(email).await;
        self.log_in(email).await
    }

    // --- The database, for what the API cannot show or cannot do yet ---

    /// A connection pool on the application's database, whichever engine it is: write the
    /// SQL portably (database.rs says how).
    pub async fn db(&self) -> &AnyPool {
        self.db.get_or_init(|| self.database.connect()).await
    }

    /// Runs one statement with `email` (normalized) bound to `$1`, e.g.
    /// `UPDATE users SET disabled = TRUE WHERE email_norm = $1`; returns the rows changed.
    pub async fn sql_for(&self, statement: &'static str, email: &str) -> u64 {
        sqlx::query(statement)
            .bind(email.trim().to_lowercase())
            .execute(self.db().await)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
            .rows_affected()
    }

    /// The accounts in the database, once every sign-up answered so far is recorded (each is
    /// recorded just after its answer; the API finds it before that, the table not).
    pub async fn user_count(&self) -> i64 {
        wait_until(
            "the sign-ups answered are recorded",
            MAIL_TIMEOUT,
            || async {
                let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_signups")
                    .fetch_one(self.db().await)
                    .await
                    .expect("count pending sign-ups");
                pending == 0
            },
        )
        .await;
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.db().await)
            .await
            .expect("count users")
    }

    /// Every outbox row, oldest first.
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        let rows: Vec<(String, String, String, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT CAST(kind AS TEXT), recipient, CAST(status AS TEXT), attempts, last_error, \
             CASE WHEN sealed_link IS NULL THEN 0 ELSE 1 END \
             FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(self.db().await)
        .await
        .expect("read the outbox");
        rows.into_iter()
            .map(
                |(kind, recipient, status, attempts, last_error, has_link)| OutboxRow {
                    kind,
                    recipient,
                    status,
                    attempts,
                    last_error,
                    has_link: has_link != 0,
                },
            )
            .collect()
    }

    /// The outbox rows to `address` (compared case-insensitively).
    pub async fn outbox_to(&self, address: &str) -> Vec<OutboxRow> {
        let address = address.trim().to_lowercase();
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.recipient.to_lowercase() == address)
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Ok(mut runtime) = self.runtime.lock()
            && let Some(runtime) = runtime.take()
        {
            runtime.shutdown_background();
        }
    }
}

/// One outbox row, without its (sealed) link.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub kind: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub has_link: bool,
}

/// A client that shows redirects instead of following them (the pages answer forms with them).
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Now, in seconds since the Unix epoch (the unit of `iat` and `exp` in tokens).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64
}

/// The tokens of a 200 log-in or refresh answer: (access token, refresh token).
pub async fn tokens_of(r: Response) -> (String, String) {
    let body: Value = r.json().await.expect("tokens");
    (
        str_of(&body, "access_token"),
        str_of(&body, "refresh_token"),
    )
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
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "{key} missing in {body}");
    }
    body
}

/// A turn for a heavy test: several `latchkey` processes or a PostgreSQL cluster of its own,
/// hundreds of requests, and bounds on how long a lease or a recovery takes. At most two run at
/// once (as when each file was a binary of its own, run on 2 threads), beside the rest of the
/// suite: more of them together starve each other of the machine and trip their bounds (seen
/// with 8 test threads). Hold the permit until the test ends.
pub async fn heavy_test() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    TURNS
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// Polls `check` until it holds; panics with `what` after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
