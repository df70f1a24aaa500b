//! The database. Flows see one API (`Store`, `Conn`); behind it each engine runs its own
//! connection type. The SQL is written once in the dialect both engines share (`$n`
//! parameters, `RETURNING`, `ON CONFLICT`, times as integer milliseconds), and `on_db!` runs it
//! on whichever engine the connection belongs to. A PostgreSQL backend adds an arm to `Db`, a
//! pool to `Backend` and its own migration folder; the flows do not change.
//!
//! SQLite allows one writer at a time, so writes go through a single connection (`BEGIN
//! IMMEDIATE`, never a lock upgrade that could fail with `SQLITE_BUSY`) and reads through a few
//! of their own (`sqlite.rs`).
//!
//! PostgreSQL has no single writer: any number of processes write at once. Its transactions
//! run SERIALIZABLE (see `Store::transaction`), so the flows, written as read-then-write on
//! SQLite's serial writer, keep their meaning: a transaction that would see another's writes
//! out of order is aborted with 40001 and run again from the start.

mod admin;
mod constraint;
mod dev_mailbox;
mod email_changes;
mod link_codes;
mod link_tokens;
mod outbox;
mod passkeys;
mod pending_signups;
mod rate_limits;
mod second_factors;
mod sessions;
mod sqlite;
mod stored;
mod users;

pub use admin::{OutboxEntry, UserChanges};
pub(crate) use constraint::{EMAIL_CHANGES_ONE_PENDING, OnUnique, USERS_EMAIL_NORM};
pub use dev_mailbox::StoredMail;
pub use email_changes::{EmailChange, NewEmailChange};
pub use link_codes::{CodeLimits, CodeTry};
pub use link_tokens::{NewLinkToken, TokenState, UsedToken, Verified};
pub use outbox::{ClaimedMessage, NewOutboxMessage};
pub use passkeys::{CeremonyPurpose, NewPasskey, PasskeyInfo, StoredPasskey};
pub use pending_signups::PendingSignup;
pub use second_factors::{FactorSummary, MfaTokenRow, TotpRow};
pub use sessions::{NewSession, SessionInfo, SessionState, SessionUserAndChange};
pub use stored::{Channel, EmailChangeState, OutboxKind, OutboxStatus};
pub use users::NewUser;

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use tokio::sync::Notify;

use secrecy::ExposeSecret as _;
use sqlx::{
    PgConnection, SqliteConnection, Transaction,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::{configuration::DatabaseUrl, error::Error};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The channel a PostgreSQL transaction that queues a message notifies on commit; every
/// worker listens on it.
pub const OUTBOX_CHANNEL: &str = "latchkey_outbox";

/// How often a transaction that lost a race (a serialization failure or a deadlock) is run
/// again before the request gives up with 503 `busy`. SERIALIZABLE aborts more often than
/// strictly needed: PostgreSQL's predicate locks cover index pages, so sign-ups of addresses
/// on one page of the `users_email_norm` index (all of them, in a young database) conflict.
/// Measured with 500 sign-ups of sequential addresses from 8 clients on one server: 42% lost
/// their first attempt, 2% their third, none the eighth; 5 attempts a few milliseconds apart
/// had left about 5% failing, 10 with growing waits 0-1.6% (recorded anyway, from
/// `pending_signups`). READ COMMITTED with row locks would abort less, at the price of a lock
/// taken by hand in every flow that reads before it writes, where SERIALIZABLE finds every
/// such race by itself.
const TRANSACTION_ATTEMPTS: u32 = 10;

/// Longest a single statement may run on PostgreSQL: a stuck query must not hold a pool
/// connection (and a request) for ever.
const STATEMENT_TIMEOUT: &str = "10s";
/// A PostgreSQL connection idle this long is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);
/// Longest a statement waits for a row lock before it fails (and its transaction is retried).
const LOCK_TIMEOUT: &str = "5s";

/// SQLite connections for reads, beside the one writer.
const SQLITE_READERS: usize = 4;

#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
    /// Callers waiting for a pool connection now, for `/metrics` (sqlx does not count them).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Wakes this process's outbox workers when a message they send is committed.
    outbox_wake: Arc<OutboxWake>,
}

/// Wakes the outbox workers of this process when a message is committed to the outbox, one
/// wake-up per channel (a new email must not wait for a webhook lane that happened to take the
/// notification, nor the other way round). `Conn` does it, after a transaction that queued a
/// message commits, so no flow can forget to; a transaction that rolls back wakes nothing.
/// (On PostgreSQL the `NOTIFY` sent by the queueing transaction wakes every process's workers
/// the same way, on commit.)
#[derive(Debug, Default)]
pub struct OutboxWake {
    email: Notify,
    webhook: Notify,
}

impl OutboxWake {
    /// What a lane of `channel` waits on. A wake-up while the lane is busy is kept for it.
    pub fn of(&self, channel: Channel) -> &Notify {
        match channel {
            Channel::Email => &self.email,
            Channel::Webhook => &self.webhook,
        }
    }

    /// Both lanes (another process queued something: a PostgreSQL notification).
    pub fn all(&self) {
        self.email.notify_one();
        self.webhook.notify_one();
    }
}

/// The channels a transaction queued messages for, woken when it commits.
#[derive(Debug, Default, Clone, Copy)]
struct Queued {
    email: bool,
    webhook: bool,
}

impl Queued {
    fn add(&mut self, channel: Channel) {
        match channel {
            Channel::Email => self.email = true,
            Channel::Webhook => self.webhook = true,
        }
    }

    fn wake(self, wake: &OutboxWake) {
        for (queued, channel) in [
            (self.email, Channel::Email),
            (self.webhook, Channel::Webhook),
        ] {
            if queued {
                wake.of(channel).notify_one();
            }
        }
    }
}

enum Backend {
    Sqlite(Box<sqlite::Sqlite>),
    Postgres { pool: PgPool },
}

/// One caller waiting for a connection, in `Store::waiting` until dropped.
struct Waiting(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A connection pool's state, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
    pub waiting: usize,
}

/// Whether opening may create a SQLite database that does not exist yet. Only `serve`,
/// `worker`, `migrate`, `dev seed` and `user create` may (contract §1): any other command run
/// in the wrong directory must not leave an empty database behind and report on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Create,
    Refuse,
}

/// What opening the database needs, and nothing else of the settings.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions<'a> {
    pub url: &'a DatabaseUrl,
    /// Connections each process keeps to PostgreSQL.
    pub max_connections: u32,
    /// How long a start keeps retrying a PostgreSQL that does not answer.
    pub connect_timeout: Duration,
    pub if_missing: IfMissing,
}

/// For storage's own tests: `url`, created if missing.
#[cfg(test)]
pub(crate) fn test_options(url: &DatabaseUrl) -> OpenOptions<'_> {
    OpenOptions {
        url,
        max_connections: 2,
        connect_timeout: Duration::from_secs(5),
        if_missing: IfMissing::Create,
    }
}

/// For storage's own tests on PostgreSQL: the server `LATCHKEY_TEST_POSTGRES` names, as for
/// the suite. `None`, with a message, when it is not set (a failure under `CI=true`, where it
/// always is).
#[cfg(test)]
pub(crate) fn test_postgres_url(what: &str) -> Option<String> {
    let url = std::env::var("LATCHKEY_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "LATCHKEY_TEST_POSTGRES is set under CI"
        );
        eprintln!("SKIPPED: set LATCHKEY_TEST_POSTGRES to run {what} on PostgreSQL");
    }
    url
}

/// For storage's own tests: a new, empty PostgreSQL database on the server `admin_url` names,
/// dropped by [`ScratchDatabase::drop_now`].
#[cfg(test)]
pub(crate) struct ScratchDatabase {
    admin_url: String,
    name: String,
    pub url: DatabaseUrl,
}

#[cfg(test)]
impl ScratchDatabase {
    pub(crate) async fn create(admin_url: &str) -> Result<Self, Error> {
        use sqlx::{Connection as _, Executor as _};
        let name = format!("latchkey_unit_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(admin_url).await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await?;
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url).map_err(Error::internal)?;
        url.set_path(&name);
        let url = url
            .as_str()
            .parse::<DatabaseUrl>()
            .map_err(Error::internal)?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        })
    }

    /// Drops the database (its store must be closed first).
    pub(crate) async fn drop_now(self) -> Result<(), Error> {
        use sqlx::{Connection as _, Executor as _};
        let mut admin = PgConnection::connect(&self.admin_url).await?;
        let name = &self.name;
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .await?;
        let _ = admin.close().await;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "no database at {}: only serve, worker, migrate, dev seed and user create create one \
         (check LATCHKEY_DATABASE_URL and the working directory)",
        .path.display()
    )]
    Missing { path: std::path::PathBuf },
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the database file {path}: {source}")]
    OpenFile {
        path: std::path::PathBuf,
        source: sqlx::Error,
    },
    #[error("cannot create the database file {path}: {source}")]
    CreateFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("invalid PostgreSQL URL: {0}")]
    PostgresUrl(#[source] sqlx::Error),
    #[error("PostgreSQL did not answer within {}s (LATCHKEY_DATABASE_CONNECT_TIMEOUT): {source}", .waited.as_secs())]
    Unreachable {
        waited: Duration,
        #[source]
        source: sqlx::Error,
    },
}

impl Store {
    /// Opens without migrating; a missing SQLite file is created or refused as `options` say.
    pub async fn open(options: &OpenOptions<'_>) -> Result<Self, OpenError> {
        match options.url {
            DatabaseUrl::Sqlite(path) => Self::open_sqlite(path, options.if_missing).await,
            DatabaseUrl::Postgres(url) => {
                Self::open_postgres(
                    url.expose_secret(),
                    options.max_connections,
                    options.connect_timeout,
                )
                .await
            }
        }
    }

    /// Connects to PostgreSQL, retrying (with a log line per try) until `connect_timeout`: in
    /// a compose file or after a reboot the database often starts after Latchkey.
    async fn open_postgres(
        url: &str,
        max_connections: u32,
        connect_timeout: Duration,
    ) -> Result<Self, OpenError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(OpenError::PostgresUrl)?
            .application_name("latchkey")
            .options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("lock_timeout", LOCK_TIMEOUT),
                // A transaction left open by a stuck client must not hold its locks for ever.
                ("idle_in_transaction_session_timeout", "60s"),
            ]);
        // Tried with a connection of its own, so that each try fails as fast as the network
        // says and its error (refused, unknown host, bad password) is what is logged.
        let started = std::time::Instant::now();
        let mut attempt = 1u32;
        loop {
            match <PgConnection as sqlx::Connection>::connect_with(&options).await {
                Ok(conn) => {
                    let _ = sqlx::Connection::close(conn).await;
                    break;
                }
                Err(source) => {
                    let waited = started.elapsed();
                    if waited >= connect_timeout {
                        return Err(OpenError::Unreachable {
                            waited: connect_timeout,
                            source,
                        });
                    }
                    tracing::warn!(attempt, error = %source, "PostgreSQL does not answer yet; retrying");
                    attempt += 1;
                    let pause = Duration::from_millis(250 * u64::from(attempt.min(8)));
                    tokio::time::sleep(pause.min(connect_timeout - waited)).await;
                }
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            // A request waits this long for a free connection before it answers 503 `busy`.
            .acquire_timeout(Duration::from_secs(5))
            // A network connection can die between uses (a restarted database, a proxy): one
            // that sat idle is pinged before use and replaced if dead, instead of failing the
            // request. One used a moment ago is not: sqlx already pings every connection as it
            // comes back to the pool, and a ping on each acquire too was one more round trip on
            // every request (measured in issue 8: a fifth of the database's work on a refresh).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Ok(Self::with(Backend::Postgres { pool }))
    }

    fn with(backend: Backend) -> Self {
        Self {
            backend: Arc::new(backend),
            waiting: Arc::default(),
            outbox_wake: Arc::default(),
        }
    }

    /// What this process's outbox workers wait on between claims.
    pub fn outbox_wake(&self) -> Arc<OutboxWake> {
        Arc::clone(&self.outbox_wake)
    }

    fn conn(&self, inner: ConnInner) -> Conn {
        Conn {
            inner,
            queued: Queued::default(),
            wake: Arc::clone(&self.outbox_wake),
        }
    }

    /// Takes a connection from `pool`, counted in `waiting` while it waits.
    async fn acquire<DB: sqlx::Database>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<PoolConnection<DB>, sqlx::Error> {
        let _waiting = self.waiting();
        pool.acquire().await
    }

    /// Counts a caller in `waiting` until the guard is dropped.
    fn waiting(&self) -> Waiting {
        self.waiting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting(Arc::clone(&self.waiting))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(&*self.backend, Backend::Postgres { .. })
    }

    /// The pool requests use, for `/metrics`.
    pub fn pool_stats(&self) -> PoolStats {
        let waiting = self.waiting.load(std::sync::atomic::Ordering::Relaxed);
        let of = |size: u32, idle: usize, max: u32| PoolStats {
            in_use: size.saturating_sub(idle as u32),
            idle: idle as u32,
            max,
            waiting,
        };
        match &*self.backend {
            Backend::Sqlite(sqlite) => {
                let counts = sqlite.counts();
                PoolStats {
                    in_use: counts.in_use,
                    idle: counts.idle,
                    max: counts.max,
                    waiting,
                }
            }
            Backend::Postgres { pool, .. } => of(
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        }
    }

    /// A connection that hears `NOTIFY` on the outbox channel (PostgreSQL only).
    pub async fn outbox_listener(&self) -> Option<Result<sqlx::postgres::PgListener, Error>> {
        match &*self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres { pool, .. } => Some(
                async {
                    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                    listener.listen(OUTBOX_CHANNEL).await?;
                    Ok(listener)
                }
                .await,
            ),
        }
    }

    async fn open_sqlite(path: &Path, if_missing: IfMissing) -> Result<Self, OpenError> {
        let create = if_missing == IfMissing::Create;
        if !create && !path.exists() {
            return Err(OpenError::Missing {
                path: path.to_owned(),
            });
        }
        private_database_files(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL loses no committed transaction on a process crash, only on a
            // power cut, and saves an fsync per commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // SQLite's own message ("unable to open database file") does not say which file.
        let sqlite = sqlite::Sqlite::open(options, SQLITE_READERS)
            .await
            .map_err(|source| OpenError::OpenFile {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self::with(Backend::Sqlite(Box::new(sqlite))))
    }

    /// Applies the migrations this build knows. On PostgreSQL sqlx holds an advisory lock
    /// while it migrates, so processes that start at once take turns: the first applies, the
    /// others find nothing left to do.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        match &*self.backend {
            Backend::Sqlite(sqlite) => sqlite.migrate(&SQLITE_MIGRATIONS).await?,
            Backend::Postgres { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    fn migrations(&self) -> &'static sqlx::migrate::Migrator {
        match &*self.backend {
            Backend::Sqlite(_) => &SQLITE_MIGRATIONS,
            Backend::Postgres { .. } => &POSTGRES_MIGRATIONS,
        }
    }

    /// A connection for reads, each statement on its own.
    pub async fn read(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Sqlite(sqlite) => {
                let _waiting = self.waiting();
                Ok(self.conn(ConnInner::SqliteRead(sqlite.reader().await?)))
            }
            Backend::Postgres { pool, .. } => {
                Ok(self.conn(ConnInner::Postgres(self.acquire(pool).await?)))
            }
        }
    }

    /// After a failed attempt of a `transaction!`: whether to run it again. Waits a moment
    /// before saying yes.
    pub(crate) async fn retry_after(&self, e: &Error, attempt: u32) -> bool {
        if !e.is_transient_conflict() || attempt >= TRANSACTION_ATTEMPTS {
            return false;
        }
        tracing::debug!(attempt, error = %e, "transaction lost a race; running it again");
        // Exponential, capped at 100 ms, with up to as much again of jitter so that the same
        // racers do not meet again at once: at most about half a second over all attempts.
        let base = (1u64 << attempt.min(7)).min(100);
        let jitter = crate::domain::tokens::random_bytes::<1>().map_or(0, |b| u64::from(b[0]));
        let pause = Duration::from_millis(base + jitter % (base + 1));
        tokio::time::sleep(pause).await;
        true
    }

    /// A write transaction; dropped without `commit` it rolls back. Flows use `transaction!`.
    pub(crate) async fn begin(&self) -> Result<Conn, Error> {
        // Counted as waiting until the transaction has its connection and has begun.
        let _waiting = self.waiting();
        self.begin_uncounted().await
    }

    async fn begin_uncounted(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Postgres { pool, .. } => {
                let tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    .await?;
                Ok(self.conn(ConnInner::PostgresTx(tx)))
            }
            Backend::Sqlite(sqlite) => Ok(self.conn(ConnInner::SqliteTx(sqlite.begin().await?))),
        }
    }

    /// The writer without a transaction, each statement committed on its own: for changes
    /// that are one statement.
    pub async fn autocommit(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Sqlite(sqlite) => {
                let _waiting = self.waiting();
                Ok(self.conn(ConnInner::SqliteWrite(sqlite.writer().await?)))
            }
            Backend::Postgres { pool, .. } => {
                Ok(self.conn(ConnInner::Postgres(self.acquire(pool).await?)))
            }
        }
    }

    /// The connection for a one-statement write that follows reads on `read`: on PostgreSQL
    /// `read` itself (any pool connection writes, and a second acquire would cost a round trip
    /// more on each request), on SQLite the writer.
    pub async fn autocommit_after(&self, read: Conn) -> Result<Conn, Error> {
        match read.inner {
            ConnInner::Postgres(_) => Ok(read),
            _ => {
                drop(read);
                self.autocommit().await
            }
        }
    }

    /// Readiness: the database answers and every migration this build knows is applied (an
    /// older binary's database, or one another node is still migrating, is not ready).
    pub async fn ping(&self) -> Result<(), Error> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success = TRUE";
        let mut conn = self.read().await?;
        let applied: Vec<i64> = on_db!(conn, c => sqlx::query_scalar(SQL).fetch_all(c).await)?;
        let missing = self
            .migrations()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .find(|m| !applied.contains(&m.version));
        match missing {
            Some(m) => Err(Error::internal(format!(
                "migration {} ({}) is not applied",
                m.version, m.description
            ))),
            None => Ok(()),
        }
    }

    pub async fn close(&self) {
        match &*self.backend {
            Backend::Sqlite(sqlite) => sqlite.close().await,
            Backend::Postgres { pool, .. } => pool.close().await,
        }
    }
}

/// The database holds password hashes, addresses and names: its file is created readable by
/// the owner only (0600), before SQLite opens it, and SQLite gives its `-wal` and `-shm` files
/// the database file's mode. Files left readable by an earlier version are narrowed to 0600.
fn private_database_files(path: &Path) -> Result<(), OpenError> {
    let created = |source| OpenError::CreateFile {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(created(e)),
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm", "-journal"] {
        use std::os::unix::fs::PermissionsExt as _;
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = std::path::PathBuf::from(file);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.permissions().mode() & 0o077 != 0
            && let Err(e) = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!(file = %file.display(), error = %e, "cannot make the database file private");
        }
    }
    Ok(())
}

pub struct Conn {
    inner: ConnInner,
    /// What this connection's open transaction queued in the outbox.
    queued: Queued,
    wake: Arc<OutboxWake>,
}

enum ConnInner {
    SqliteRead(sqlite::ReaderGuard),
    SqliteWrite(sqlite::WriterGuard),
    SqliteTx(sqlite::WriterGuard),
    Postgres(PoolConnection<sqlx::Postgres>),
    PostgresTx(Transaction<'static, sqlx::Postgres>),
}

/// The engine-specific connection a statement runs on.
pub(crate) enum Db<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// `transaction!(store, |tx| { ... })`: runs the block, with `tx: &mut Conn` in one write
/// transaction, and commits it; an `Err` from the block (or a `return Err(..)`) rolls it back.
///
/// A transaction that lost a race it cannot see coming (PostgreSQL's serialization failures,
/// deadlocks and lock timeouts) is run again from the start, up to `TRANSACTION_ATTEMPTS`
/// times, so that a conflict is a short wait and never a 500; past that the request gets 503
/// `busy`. SQLite needs no such loop: its writer is one connection that waits (busy timeout)
/// for a lock held by another process. The block must therefore do nothing outside the
/// database that cannot be done twice: flows queue their emails in the outbox in the same
/// transaction, and its commit wakes the outbox worker (`Conn::commit`).
///
/// A macro rather than a method taking an async closure: the futures of async closures that
/// borrow their surroundings cannot yet be shown to be `Send`, which spawned tasks and axum
/// handlers need.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:block) => {{
        let store: &$crate::storage::Store = &$store;
        let mut attempt = 1u32;
        loop {
            let outcome: Result<_, $crate::error::Error> = async {
                let mut conn = store.begin().await?;
                let $tx = &mut conn;
                let done: Result<_, $crate::error::Error> = async { $body }.await;
                let value = done?;
                conn.commit().await?;
                Ok(value)
            }
            .await;
            match outcome {
                Err(e) if store.retry_after(&e, attempt).await => attempt += 1,
                Err(e) if e.is_transient_conflict() => break Err($crate::error::Error::Busy),
                other => break other,
            }
        }
    }};
}
pub(crate) use transaction;

/// Runs `$body` with `$c` bound to the connection of whichever engine `$conn` uses: the
/// same statement text on both (`Conn::is_postgres` picks the text for the few statements
/// where the dialects differ).
macro_rules! on_db {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn.db() {
            $crate::storage::Db::Sqlite($c) => $body,
            $crate::storage::Db::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_db;

impl Conn {
    pub(crate) fn db(&mut self) -> Db<'_> {
        match &mut self.inner {
            ConnInner::SqliteRead(c) => Db::Sqlite(c),
            ConnInner::SqliteWrite(c) | ConnInner::SqliteTx(c) => Db::Sqlite(c),
            ConnInner::Postgres(c) => Db::Postgres(c),
            ConnInner::PostgresTx(t) => Db::Postgres(t),
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(
            &self.inner,
            ConnInner::Postgres(_) | ConnInner::PostgresTx(_)
        )
    }

    /// Commits a transaction (a no-op for a plain connection), then wakes the outbox workers
    /// of this process for what it queued.
    pub async fn commit(self) -> Result<(), Error> {
        let Self {
            inner,
            queued,
            wake,
        } = self;
        match inner {
            ConnInner::SqliteTx(t) => t.commit().await?,
            ConnInner::PostgresTx(t) => t.commit().await?,
            ConnInner::SqliteRead(_) | ConnInner::SqliteWrite(_) | ConnInner::Postgres(_) => {}
        }
        queued.wake(&wake);
        Ok(())
    }

    /// A message for `channel` was written on this connection: its workers are woken when it
    /// is committed, at once for a plain connection (each statement commits on its own), when
    /// `commit` succeeds for a transaction. Dropped uncommitted, a transaction wakes nothing.
    pub(crate) fn queued_message(&mut self, channel: Channel) {
        match self.inner {
            ConnInner::SqliteTx(_) | ConnInner::PostgresTx(_) => self.queued.add(channel),
            ConnInner::SqliteRead(_) | ConnInner::SqliteWrite(_) | ConnInner::Postgres(_) => {
                self.wake.of(channel).notify_one()
            }
        }
    }
}
