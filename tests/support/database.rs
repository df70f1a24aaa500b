//! The database under test: a SQLite file in the test's temporary directory, or a fresh
//! PostgreSQL database of its own.
//!
//! `LATCHKEY_TEST_POSTGRES` is the URL of a PostgreSQL role that may create databases (for
//! example `postgres://latchkey:latchkey@127.0.0.1:5432/postgres`). With it set, the
//! PostgreSQL-only tests run; without it they skip with a message (and fail under `CI=true`).
//! `LATCHKEY_TEST_ENGINE=postgres` runs the whole suite on PostgreSQL: every application a
//! test starts gets a database of its own, created with a random name and dropped when the last
//! instance on it is dropped. Tests about SQLite itself (its files, its locks) stay on SQLite.
//!
//! Raw SQL in tests goes through [`AnyPool`], so one statement serves both engines: write it
//! portably (`CAST(x AS TEXT)`, `WHERE flag` rather than reading booleans, which SQLite stores
//! as integers).

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Once},
    time::Duration,
};

use latchkey::configuration::DatabaseUrl;
use sqlx::{
    AnyPool, Connection as _, Executor as _,
    any::AnyPoolOptions,
    postgres::{PgConnectOptions, PgConnection},
};

/// The admin URL of a PostgreSQL role with `CREATEDB`.
pub const POSTGRES_ENV: &str = "LATCHKEY_TEST_POSTGRES";
/// `sqlite` (the default) or `postgres`: the engine of the whole suite.
pub const ENGINE_ENV: &str = "LATCHKEY_TEST_ENGINE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engine this run of the suite uses (`LATCHKEY_TEST_ENGINE`).
pub fn engine() -> Engine {
    match std::env::var(ENGINE_ENV).as_deref() {
        Err(_) | Ok("" | "sqlite") => Engine::Sqlite,
        Ok("postgres" | "postgresql") => {
            assert!(
                postgres_admin_url().is_some(),
                "{ENGINE_ENV}=postgres needs {POSTGRES_ENV}, the URL of a role with CREATEDB \
                 (e.g. postgres://latchkey:latchkey@127.0.0.1:5432/postgres)"
            );
            Engine::Postgres
        }
        Ok(other) => panic!("{ENGINE_ENV}={other:?}: expected sqlite or postgres"),
    }
}

/// `LATCHKEY_TEST_POSTGRES`, if set.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
}

/// True under `CI=true`, where a test that cannot run fails instead of skipping.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// For a PostgreSQL-only test: the admin URL, or `None` after saying on standard error that
/// `what` was skipped. Under `CI=true` a missing URL is a failure: CI sets it.
pub fn postgres_or_skip(what: &str) -> Option<String> {
    if let Some(url) = postgres_admin_url() {
        return Some(url);
    }
    let message = format!(
        "{what} needs PostgreSQL: set {POSTGRES_ENV} to the URL of a role with CREATEDB \
         (README, \"Test it\")"
    );
    assert!(
        !under_ci(),
        "{message}; with CI=true it must run (.ci/run sets it)"
    );
    eprintln!("SKIPPED: {message}");
    None
}

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// One PostgreSQL database made for a test; dropped (with its connections) when this is.
#[derive(Debug)]
pub struct PgDatabase {
    name: String,
    url: String,
    admin_url: String,
    /// False for a database the test did not create (it is left alone).
    owned: bool,
}

impl PgDatabase {
    /// A new, empty database on the server of `LATCHKEY_TEST_POSTGRES`.
    pub async fn create() -> Arc<Self> {
        let admin = postgres_admin_url()
            .unwrap_or_else(|| panic!("{POSTGRES_ENV} is not set: no PostgreSQL to test on"));
        Self::create_on(&admin).await
    }

    /// A new, empty database on the server of `admin_url`.
    pub async fn create_on(admin_url: &str) -> Arc<Self> {
        // The name holds its creation time (a UUIDv7), for the sweep of leftovers.
        let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
        let mut admin = connect_admin(admin_url).await;
        sweep_once(&mut admin).await;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {POSTGRES_ENV}: {e}"));
        let _ = admin.close().await;
        let url = with_database(admin_url, &name);
        Arc::new(Self {
            name,
            url,
            admin_url: admin_url.to_owned(),
            owned: true,
        })
    }

    /// A database that exists already and outlives the test (nothing is dropped).
    pub fn existing(url: &str) -> Arc<Self> {
        let name = url::Url::parse(url)
            .ok()
            .map(|u| u.path().trim_start_matches('/').to_owned())
            .unwrap_or_default();
        Arc::new(Self {
            name,
            url: url.to_owned(),
            admin_url: url.to_owned(),
            owned: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's URL, for `LATCHKEY_DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        // Drop runs inside the test's runtime, which must not be blocked on itself: the drop
        // gets a thread and a small runtime of its own. Best effort: a failure leaves a
        // database behind, named latchkey_test_*, and says so.
        let (name, admin_url) = (self.name.clone(), self.admin_url.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                // A busy server (too many clients for a moment) gets a few more tries.
                let mut last = String::new();
                for attempt in 0..5 {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                    }
                    match drop_database(&admin_url, &name).await {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e,
                    }
                }
                Err(last)
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// The names of the databases tests make.
const PREFIX: &str = "latchkey_test_";

async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let options: PgConnectOptions = admin_url.parse().map_err(|e| format!("{e}"))?;
    let mut admin = tokio::time::timeout(
        Duration::from_secs(10),
        PgConnection::connect_with(&options),
    )
    .await
    .map_err(|_| "connect: timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let dropped = admin.execute(sqlx::AssertSqlSafe(sql)).await;
    let _ = admin.close().await;
    dropped.map(|_| ()).map_err(|e| e.to_string())
}

/// Once per test process: drops test databases made more than two hours ago, which a killed
/// run left behind (no test runs that long, so none of them is in use).
async fn sweep_once(admin: &mut PgConnection) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
    )
    .bind(PREFIX)
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    let cutoff = std::time::SystemTime::now() - Duration::from_secs(2 * 3600);
    for name in names {
        let made = uuid::Uuid::parse_str(&name[PREFIX.len()..])
            .ok()
            .and_then(|id| id.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                std::time::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        if made.is_some_and(|made| made < cutoff) {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = admin.execute(sqlx::AssertSqlSafe(sql)).await;
        }
    }
}

async fn connect_admin(admin_url: &str) -> PgConnection {
    let options: PgConnectOptions = admin_url
        .parse()
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is not a PostgreSQL URL: {e}"));
    PgConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"))
}

/// `url` with its database (the path) replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let mut url = url::Url::parse(url).unwrap_or_else(|e| panic!("{url:?}: {e}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The database an application under test runs on.
#[derive(Debug, Clone)]
pub enum TestDatabase {
    Sqlite(PathBuf),
    Postgres(Arc<PgDatabase>),
}

impl TestDatabase {
    /// The suite's engine: `latchkey.db` in `dir`, or a fresh PostgreSQL database.
    pub async fn for_engine(dir: &Path) -> Self {
        match engine() {
            Engine::Sqlite => Self::Sqlite(dir.join("latchkey.db")),
            Engine::Postgres => Self::Postgres(PgDatabase::create().await),
        }
    }

    /// A fresh PostgreSQL database (whatever the suite's engine).
    pub async fn postgres() -> Self {
        Self::Postgres(PgDatabase::create().await)
    }

    /// The database of settings that already name one.
    pub fn of(url: &DatabaseUrl) -> Self {
        use secrecy::ExposeSecret as _;
        match url {
            DatabaseUrl::Sqlite(path) => Self::Sqlite(path.clone()),
            DatabaseUrl::Postgres(url) => Self::Postgres(PgDatabase::existing(url.expose_secret())),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path),
            Self::Postgres(_) => None,
        }
    }

    /// The value for `LATCHKEY_DATABASE_URL`.
    pub fn env_url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(db) => db.url().to_owned(),
        }
    }

    pub fn database_url(&self) -> DatabaseUrl {
        self.env_url()
            .parse()
            .unwrap_or_else(|e| panic!("database URL: {e}"))
    }

    /// A pool for raw SQL in tests (one connection on SQLite, where it waits on locks).
    pub async fn connect(&self) -> AnyPool {
        install_drivers();
        match self {
            Self::Sqlite(path) => AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        Ok(())
                    })
                })
                .connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap_or_else(|e| panic!("open the test database {}: {e}", path.display())),
            Self::Postgres(db) => AnyPoolOptions::new()
                .max_connections(2)
                .connect(db.url())
                .await
                .unwrap_or_else(|e| panic!("connect to the test database {}: {e}", db.name())),
        }
    }
}
