//! The one error type of Latchkey above the domain. Storage and the flows return it; the
//! refusals in it are types (`Invalid` says which input and why), never HTTP codes:
//! `http::rejection` is the one table that maps each to a status, the contract's code and a
//! field. It sits just above the domain: the domain's own errors (its refusals, a malformed
//! code or token, a `Fault`) become it by the `From`s here, and the domain never names it.

use std::time::Duration;

pub use crate::domain::fault::BoxError;
use crate::domain::{
    access::Rejected,
    accounts::InvalidName,
    codes::MalformedCode,
    email::InvalidEmail,
    fault::Fault,
    invalid::Invalid,
    locale::UnknownLocale,
    new_password::WeakPassword,
    tokens::{MalformedLinkToken, MalformedRefreshToken},
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that is not acceptable: which input, and why.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such resource")]
    NotFound,
    #[error("the email address or password is wrong")]
    InvalidCredentials,
    #[error("the email address has not been verified yet")]
    EmailNotVerified,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("a valid access token is required")]
    Unauthorized,
    #[error("this needs an administrator")]
    Forbidden,
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    /// A refresh token rotated out moments ago by a concurrent refresh (another tab): refused
    /// like any dead token, but the session lives on with the newer token.
    #[error(
        "this refresh token was just replaced by a concurrent refresh; the session goes on with the newer one"
    )]
    RefreshSuperseded,
    /// A request that uses the refresh cookie from an origin that may not (contract §12).
    #[error("this origin may not use the refresh cookie")]
    ForeignOrigin,
    #[error("the link is not valid")]
    TokenInvalid,
    #[error("the link has expired")]
    TokenExpired,
    #[error("the link has already been used")]
    TokenUsed,
    /// Any code that cannot be used, and any code for an address without an account: one
    /// answer, so that a code never tells whether an address has an account.
    #[error("the code is wrong, has expired, or was replaced by a newer one")]
    CodeInvalid,
    /// A passkey sign-in whose answer does not verify, whatever the reason (unknown
    /// credential, wrong challenge, origin or signature, no user verification, a counter that
    /// went backwards, a challenge used or expired): one answer.
    #[error("the passkey could not be verified")]
    PasskeyInvalid,
    /// A passkey registration whose answer does not verify.
    #[error("the new passkey could not be verified")]
    PasskeyRefused,
    #[error("the email address is already in use")]
    EmailTaken,
    /// The password (or emailed sign-in) was right and the account has a second factor: the
    /// log-in goes on at `POST /api/v1/login/mfa` with this token.
    #[error("a second factor is needed to finish signing in")]
    MfaRequired(crate::domain::second_factor::MfaChallenge),
    #[error("the sign-in step has expired, was used, or had too many wrong codes: sign in again")]
    MfaTokenInvalid,
    #[error("an authenticator app is already set up; turn it off first")]
    MfaAlreadyEnabled,
    #[error("there is no authenticator app waiting to be confirmed")]
    NoPendingTotp,
    #[error("the account has no second factor")]
    MfaNotEnabled,
    #[error("the account has no passkey")]
    NoPasskey,
    #[error("the new email address is the current one")]
    SameEmail,
    #[error("the email address is already verified")]
    AlreadyVerified,
    /// The change would leave the instance without an enabled, verified admin (contract §3).
    #[error("the instance's last admin cannot be deleted, disabled, demoted or unverified")]
    LastAdmin,
    #[error("too many requests; try again later")]
    RateLimited { retry_after: Duration },
    #[error("the database is busy; try again")]
    Busy,
    /// A concurrent transaction took what this one was about to (a row a unique index allows
    /// once): running it again sees the winner's row and decides by it. `transaction!` does.
    #[error("a concurrent change won a race: {0}")]
    RaceLost(#[source] sqlx::Error),
    /// The database cannot take writes for now; the service recovers by itself when the
    /// cause goes away.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[from] Unavailable),
    #[error("storage error: {0}")]
    Storage(#[source] sqlx::Error),
    /// Something that should not fail did; its cause is kept for the log, never shown to a
    /// client.
    #[error(transparent)]
    Internal(BoxError),
}

/// The domain's refusals become the error of a flow by `?`, as the input they concern in its
/// usual role (`Invalid`'s `From`s): an address as an account's, a password as a new account's.
macro_rules! invalid_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::Invalid(Invalid::from(e))
            }
        }
    )*};
}
invalid_from!(InvalidEmail, WeakPassword, InvalidName, UnknownLocale);

/// What the domain could not do although it should have: an internal error, with its cause.
impl From<Fault> for Error {
    fn from(e: Fault) -> Self {
        Self::Internal(Box::new(e))
    }
}

/// A bearer token that does not verify, for whatever reason: 401, the reason not told.
impl From<Rejected> for Error {
    fn from(_: Rejected) -> Self {
        Self::Unauthorized
    }
}

/// Text that cannot be a code is answered as any code that cannot be used.
impl From<MalformedCode> for Error {
    fn from(_: MalformedCode) -> Self {
        Self::CodeInvalid
    }
}

impl From<MalformedLinkToken> for Error {
    fn from(_: MalformedLinkToken) -> Self {
        Self::TokenInvalid
    }
}

impl From<MalformedRefreshToken> for Error {
    fn from(_: MalformedRefreshToken) -> Self {
        Self::InvalidRefreshToken
    }
}

impl Error {
    /// An internal error: an error value (kept as the cause) or a message.
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(e.into())
    }

    /// An internal error that says what was being done, keeping `source` as its cause.
    pub fn internal_while(
        what: impl Into<std::borrow::Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Fault::new(what, source).into()
    }
}

/// Why the database cannot take a write now, told by SQLite's result code or PostgreSQL's
/// connection state.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The database server cannot be reached (stopped, restarting, the network): requests
    /// that need it answer 503 until it is back, and the pool reconnects by itself.
    #[error("it cannot be reached")]
    Unreachable(#[source] sqlx::Error),
    /// `SQLITE_FULL`: the disk (or the file's size limit) has no room for the write.
    #[error("its disk is full")]
    DiskFull(#[source] sqlx::Error),
    /// `SQLITE_BUSY` / `SQLITE_LOCKED` past the busy timeout: another process holds the lock.
    #[error("it is locked by another process")]
    Locked(#[source] sqlx::Error),
}

/// SQLite's primary result codes (the low byte of an extended code, which sqlx reports).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_FULL: i64 = 13;

/// The primary SQLite result code of a database error, if it is one.
fn sqlite_code(e: &sqlx::Error) -> Option<i64> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    db.code()?.parse::<i64>().ok().map(|code| code & 0xff)
}

/// PostgreSQL's SQLSTATEs for a transaction that lost a race: run it again.
const PG_SERIALIZATION_FAILURE: &str = "40001";
const PG_DEADLOCK_DETECTED: &str = "40P01";
/// `lock_timeout` ran out waiting for a row another transaction holds.
const PG_LOCK_NOT_AVAILABLE: &str = "55P03";
/// Class 08 (connection exception) and 57P01-57P03 (the server is shutting down or starting):
/// the database went away under a connection.
fn pg_unreachable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

impl Error {
    /// A conflict with a concurrent transaction that running the same work again resolves:
    /// `Store::transaction` retries these.
    pub fn is_transient_conflict(&self) -> bool {
        match self {
            Self::Storage(sqlx::Error::Database(db)) => matches!(
                db.code().as_deref(),
                Some(PG_SERIALIZATION_FAILURE | PG_DEADLOCK_DETECTED | PG_LOCK_NOT_AVAILABLE)
            ),
            Self::RaceLost(_) => true,
            _ => false,
        }
    }
}

/// The one place where database errors become client errors by their kind. A unique index a
/// client can run into is mapped where the statement runs, by its name (`storage::constraint`).
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // No free connection in time: everything is in use, or (on PostgreSQL) the pool
            // cannot open one because the server is away.
            sqlx::Error::PoolTimedOut => Self::Busy,
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(Unavailable::Unreachable(e))
            }
            sqlx::Error::Database(db)
                if db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some_and(|pg| pg_unreachable(pg.code())) =>
            {
                Self::Unavailable(Unavailable::Unreachable(e))
            }
            _ => match sqlite_code(&e) {
                Some(SQLITE_FULL) => Self::Unavailable(Unavailable::DiskFull(e)),
                Some(SQLITE_BUSY | SQLITE_LOCKED) => Self::Unavailable(Unavailable::Locked(e)),
                _ => Self::Storage(e),
            },
        }
    }
}

/// Displays an error with every cause after it, `outer: inner: root`, for the one log line an
/// error gets where it ends (the response, the task, the worker). A cause that its parent's
/// message already shows (`storage error: {0}`) is not repeated.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown = text;
            }
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection as _, SqliteConnection, sqlite::SqliteConnectOptions};

    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_and_show_it_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = Error::internal_while("cannot write /x/latchkey.key", io);
        assert_eq!(e.to_string(), "cannot write /x/latchkey.key");
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(cause.as_deref(), Some("permission denied"));
        assert_eq!(
            Chain(&e).to_string(),
            "cannot write /x/latchkey.key: permission denied"
        );
        // A message alone, and an error whose message already shows its cause.
        assert_eq!(
            Chain(&Error::internal("sealing failed")).to_string(),
            "sealing failed"
        );
        let storage = Error::Storage(sqlx::Error::PoolClosed);
        assert_eq!(
            Chain(&storage).to_string(),
            format!("storage error: {}", sqlx::Error::PoolClosed)
        );
    }

    /// Captures what `tracing` writes, for the test below.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_500_logs_the_whole_chain_once_and_tells_the_client_none_of_it() {
        use axum::response::IntoResponse as _;
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let response = tracing::subscriber::with_default(subscriber, || {
            Error::internal_while("cannot write /x/latchkey.key", io).into_response()
        });
        assert_eq!(response.status().as_u16(), 500);
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("latchkey.key") && !body.contains("permission"),
            "{body}"
        );
        let logged = log
            .0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        let logged = logged.unwrap_or_default();
        assert_eq!(
            logged
                .matches("cannot write /x/latchkey.key: permission denied")
                .count(),
            1,
            "{logged}"
        );
    }

    /// Real SQLite errors, told apart by their result codes.
    #[tokio::test]
    async fn a_full_database_and_a_lock_held_elsewhere_are_unavailable()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::ZERO);
        let mut a = SqliteConnection::connect_with(&options).await?;
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(&mut a)
            .await?;
        // `max_page_count` makes SQLite answer SQLITE_FULL as on a full disk.
        sqlx::query("PRAGMA max_page_count = 3")
            .execute(&mut a)
            .await?;
        let full = sqlx::query("INSERT INTO t VALUES (randomblob(100000))")
            .execute(&mut a)
            .await
            .err()
            .map(Error::from);
        assert!(
            matches!(full, Some(Error::Unavailable(Unavailable::DiskFull(_)))),
            "{full:?}"
        );

        let mut b = SqliteConnection::connect_with(&options).await?;
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut a).await?;
        let locked = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut b)
            .await
            .err()
            .map(Error::from);
        assert!(
            matches!(locked, Some(Error::Unavailable(Unavailable::Locked(_)))),
            "{locked:?}"
        );
        sqlx::query("ROLLBACK").execute(&mut a).await?;

        // Anything else stays a storage error (500).
        let other = sqlx::query("SELECT * FROM nowhere")
            .execute(&mut b)
            .await
            .err()
            .map(Error::from);
        assert!(matches!(other, Some(Error::Storage(_))), "{other:?}");
        Ok(())
    }
}
