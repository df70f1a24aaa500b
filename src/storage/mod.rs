//! The database. Flows see one API (`Store`, `Conn`); behind it each engine runs its own
//! connection type. The SQL is written once in the dialect both engines share (`$n`
//! parameters, `RETURNING`, `ON CONFLICT`, times as integer milliseconds), and `on_db!` runs it
//! on whichever engine the connection belongs to. A PostgreSQL backend adds an arm to `Db`, a
//! pool to `Backend` and its own migration folder; the flows do not change.
//!
//! SQLite allows one writer at a time, so writes go through a single pooled connection
//! (`BEGIN IMMEDIATE`, never a lock upgrade that could fail with `SQLITE_BUSY`) and reads through
//! a pool of their own.

mod admin;
mod dev_mailbox;
mod email_changes;
mod link_codes;
mod link_tokens;
mod outbox;
mod sessions;
mod users;

pub use admin::{OutboxEntry, UserChanges};
pub use dev_mailbox::StoredMail;
pub use email_changes::{EmailChange, NewEmailChange};
pub use link_codes::CodeTry;
pub use link_tokens::{NewLinkToken, TokenState, UsedToken};
pub use outbox::{Channel, ClaimedMessage, NewOutboxMessage};
pub use sessions::{NewSession, SessionInfo, SessionState};
pub use users::NewUser;

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    SqliteConnection, Transaction,
    pool::PoolConnection,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

use crate::{configuration::DatabaseUrl, error::Error};

/// Milliseconds since the Unix epoch: the one time representation in storage.
pub fn now_ms() -> i64 {
    crate::domain::time::Millis::now().0
}

pub fn ms(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Clone)]
pub struct Store {
    backend: Arc<Backend>,
}

enum Backend {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
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
    #[error("PostgreSQL is not supported by this build yet; use sqlite://PATH")]
    PostgresUnsupported,
}

impl Store {
    /// Opens (creating a SQLite file if missing) without migrating.
    pub async fn open(url: &DatabaseUrl) -> Result<Self, OpenError> {
        match url {
            DatabaseUrl::Sqlite(path) => Self::open_sqlite(path).await,
            DatabaseUrl::Postgres(_) => Err(OpenError::PostgresUnsupported),
        }
    }

    async fn open_sqlite(path: &Path) -> Result<Self, OpenError> {
        private_database_files(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL loses no committed transaction on a process crash, only on a
            // power cut, and saves an fsync per commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // No ping before each acquire: a SQLite connection is a file handle that cannot go stale
        // the way a network connection does, and the ping is one more round trip to the
        // connection's worker thread on every request (measured: a third of a refresh's cost).
        // SQLite's own message ("unable to open database file") does not say which file.
        let open_file = |source| OpenError::OpenFile {
            path: path.to_owned(),
            source,
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(open_file)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(open_file)?;
        Ok(Self {
            backend: Arc::new(Backend::Sqlite { writer, reader }),
        })
    }

    pub async fn migrate(&self) -> Result<(), OpenError> {
        match &*self.backend {
            Backend::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
        }
        Ok(())
    }

    /// A connection for reads, each statement on its own.
    pub async fn read(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Sqlite { reader, .. } => Ok(Conn(ConnInner::Sqlite(reader.acquire().await?))),
        }
    }

    /// A write transaction; dropped without `commit` it rolls back.
    pub async fn transaction(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Sqlite { writer, .. } => {
                let tx = match writer.begin_with("BEGIN IMMEDIATE").await {
                    // A COMMIT that failed (SQLITE_FULL on a full disk) leaves the transaction
                    // rolled back by SQLite but still counted as open by sqlx, whose own
                    // rollback then fails: that connection could never begin again, and the
                    // service would not recover when the disk has room. Replace it.
                    Err(sqlx::Error::InvalidSavePointStatement) => {
                        tracing::warn!(
                            "replacing the database writer connection after a failed transaction"
                        );
                        let stale = writer.acquire().await?;
                        let _ = sqlx::Connection::close(stale.detach()).await;
                        writer.begin_with("BEGIN IMMEDIATE").await?
                    }
                    begun => begun?,
                };
                Ok(Conn(ConnInner::SqliteTx(tx)))
            }
        }
    }

    /// The writer without a transaction, each statement committed on its own: for changes
    /// that are one statement.
    pub async fn autocommit(&self) -> Result<Conn, Error> {
        match &*self.backend {
            Backend::Sqlite { writer, .. } => Ok(Conn(ConnInner::Sqlite(writer.acquire().await?))),
        }
    }

    pub async fn close(&self) {
        match &*self.backend {
            Backend::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
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

pub struct Conn(ConnInner);

enum ConnInner {
    Sqlite(PoolConnection<sqlx::Sqlite>),
    SqliteTx(Transaction<'static, sqlx::Sqlite>),
}

/// The engine-specific connection a statement runs on.
pub(crate) enum Db<'c> {
    Sqlite(&'c mut SqliteConnection),
}

/// Runs `$body` with `$c` bound to the connection of whichever engine `$conn` uses.
macro_rules! on_db {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn.db() {
            $crate::storage::Db::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_db;

impl Conn {
    pub(crate) fn db(&mut self) -> Db<'_> {
        match &mut self.0 {
            ConnInner::Sqlite(c) => Db::Sqlite(c),
            ConnInner::SqliteTx(t) => Db::Sqlite(t),
        }
    }

    /// Commits a transaction (a no-op for a plain connection).
    pub async fn commit(self) -> Result<(), Error> {
        match self.0 {
            ConnInner::SqliteTx(t) => t.commit().await?,
            ConnInner::Sqlite(_) => {}
        }
        Ok(())
    }

    /// Readiness: the database answers and every migration this build knows is applied (an
    /// older binary's database, or one another node is still migrating, is not ready).
    pub async fn ping(&mut self) -> Result<(), Error> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success = TRUE";
        let applied: Vec<i64> = on_db!(self, c => sqlx::query_scalar(SQL).fetch_all(c).await)?;
        let missing = SQLITE_MIGRATIONS
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
}
