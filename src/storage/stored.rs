//! States and kinds as the database keeps them: TEXT columns (with CHECK constraints where the
//! set is closed) that sqlx reads into enums and writes from them, so that flows compare
//! values of a type, never strings. A text the enum does not know fails to decode: a row
//! written by a newer version is an error, never silently some other state.

use std::str::FromStr;

use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};

use crate::{
    domain::{
        email_kind::EmailKind, invalid::Invalid, time::Millis, tokens::Purpose, webhooks::EventType,
    },
    error::Error,
};

/// Instants are integer milliseconds on both engines (SQLite `INTEGER`, PostgreSQL `BIGINT`):
/// a `Millis` binds and decodes as the engine's 64-bit integer, so rows read straight into it.
impl<DB: Database> Type<DB> for Millis
where
    i64: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for Millis
where
    i64: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Millis
where
    i64: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <i64 as Decode<'r, DB>>::decode(value).map(Millis)
    }
}

/// Implements sqlx's `Type`, `Encode` and `Decode` on every engine for a type with
/// `as_stored(&self) -> &str` and `from_stored(&str) -> Option<Self>`, as the engine's text.
macro_rules! stored_as_text {
    ($t:ty) => {
        impl<DB: Database> Type<DB> for $t
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode(self.as_stored().to_owned(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as Decode<'r, DB>>::decode(value)?;
                Self::from_stored(text).ok_or_else(|| {
                    format!("unknown {} {text:?} in the database", stringify!($t)).into()
                })
            }
        }
    };
}

impl Purpose {
    fn as_stored(&self) -> &'static str {
        self.as_str()
    }
    fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}
stored_as_text!(Purpose);

/// Where an email change is (`email_changes.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChangeState {
    /// Waiting for its confirmations; at most one per account.
    Pending,
    /// A newer request replaced it.
    Superseded,
    /// Cancelled by the user, or ended by a password reset or a revert.
    Cancelled,
    /// The address was changed; its revert link may still undo it.
    Applied,
    /// Undone from the old address.
    Reverted,
}

impl EmailChangeState {
    const ALL: [Self; 5] = [
        Self::Pending,
        Self::Superseded,
        Self::Cancelled,
        Self::Applied,
        Self::Reverted,
    ];

    fn as_stored(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Superseded => "superseded",
            Self::Cancelled => "cancelled",
            Self::Applied => "applied",
            Self::Reverted => "reverted",
        }
    }
    fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_stored() == s)
    }
}
stored_as_text!(EmailChangeState);

/// An outbox message's state (contract §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Queued,
    Retrying,
    Sent,
    Dead,
}

impl OutboxStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Retrying, Self::Sent, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }
    fn as_stored(&self) -> &'static str {
        self.as_str()
    }
    fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Not sent yet, and still to be tried.
    pub fn waiting(self) -> bool {
        matches!(self, Self::Queued | Self::Retrying)
    }
}
stored_as_text!(OutboxStatus);

impl FromStr for OutboxStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_stored(s.trim()).ok_or(Error::Invalid(Invalid::OutboxStatus))
    }
}

/// What the worker delivers an outbox message through (`outbox.channel`): each has a lane of
/// its own, so that a slow webhook receiver never delays an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    const ALL: [Self; 2] = [Self::Email, Self::Webhook];

    fn as_stored(&self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }
    fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_stored() == s)
    }
}
stored_as_text!(Channel);

/// What an outbox message is: an email of a kind, or a webhook event of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxKind {
    Email(EmailKind),
    Event(EventType),
    /// Queued by a newer version of Latchkey (during a rolling upgrade): this worker cannot
    /// send it, and says so in the message's error.
    Unknown(String),
}

impl OutboxKind {
    /// The channel a message of this kind goes through; none for a kind this version does
    /// not know (it queues none of those).
    pub fn channel(&self) -> Option<Channel> {
        match self {
            Self::Email(_) => Some(Channel::Email),
            Self::Event(_) => Some(Channel::Webhook),
            Self::Unknown(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Email(kind) => kind.as_str(),
            Self::Event(kind) => kind.as_str(),
            Self::Unknown(kind) => kind,
        }
    }
    fn as_stored(&self) -> &str {
        self.as_str()
    }
    fn from_stored(s: &str) -> Option<Self> {
        Some(match (s.parse::<EmailKind>(), EventType::parse(s)) {
            (Ok(kind), _) => Self::Email(kind),
            (_, Some(kind)) => Self::Event(kind),
            _ => Self::Unknown(s.to_owned()),
        })
    }
}
stored_as_text!(OutboxKind);

impl std::fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        configuration::{DatabaseUrl, Settings},
        storage::{Store, on_db},
    };

    /// Instants at the edges of what an `i64` holds, and ordinary ones.
    const INSTANTS: [Millis; 5] = [
        Millis(i64::MIN),
        Millis(-1),
        Millis(0),
        Millis(1_764_440_366_123),
        Millis::MAX,
    ];

    /// Binds each instant, stores it in a 64-bit integer column, reads it back into `Millis`
    /// (and `NULL` into `None`): exactly what every query of the storage layer relies on.
    async fn round_trip(store: &Store) -> Result<(), Error> {
        const CREATE: &str = "CREATE TEMPORARY TABLE millis_round_trip (at BIGINT)";
        const INSERT: &str = "INSERT INTO millis_round_trip (at) VALUES ($1)";
        const SELECT: &str = "SELECT at FROM millis_round_trip ORDER BY at";
        const ECHO: &str = "SELECT $1";
        // One connection throughout: a temporary table lives in its connection.
        let mut conn = store.autocommit().await?;
        on_db!(conn, c => sqlx::query(CREATE).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        for at in INSTANTS {
            on_db!(conn, c => sqlx::query(INSERT).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
            let echoed: Millis =
                on_db!(conn, c => sqlx::query_scalar(ECHO).bind(at).fetch_one(&mut *c).await)?;
            assert_eq!(echoed, at);
        }
        on_db!(conn, c => sqlx::query(INSERT).bind(None::<Millis>).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let back: Vec<Option<Millis>> =
            on_db!(conn, c => sqlx::query_scalar(SELECT).fetch_all(c).await)?;
        let stored: Vec<Millis> = back.iter().flatten().copied().collect();
        assert_eq!(
            stored, INSTANTS,
            "every instant comes back as it went in, in order"
        );
        assert_eq!(
            back.iter().filter(|at| at.is_none()).count(),
            1,
            "NULL is None"
        );
        Ok(())
    }

    #[tokio::test]
    async fn millis_round_trips_on_sqlite() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(Error::internal)?;
        let mut settings = Settings::defaults();
        settings.database_url = DatabaseUrl::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&crate::storage::test_options(&settings.database_url))
            .await
            .map_err(Error::internal)?;
        round_trip(&store).await?;
        store.close().await;
        Ok(())
    }

    /// On PostgreSQL when `LATCHKEY_TEST_POSTGRES` names a server (as for the suite); skipped
    /// with a message otherwise, and a failure under `CI=true`, where it is always set.
    #[tokio::test]
    async fn millis_round_trips_on_postgres() -> Result<(), Error> {
        let Some(url) = crate::storage::test_postgres_url("the Millis round trip") else {
            return Ok(());
        };
        let mut settings = Settings::defaults();
        settings.database_url = url.parse::<DatabaseUrl>().map_err(Error::internal)?;
        let store = Store::open(&crate::storage::test_options(&settings.database_url))
            .await
            .map_err(Error::internal)?;
        round_trip(&store).await?;
        store.close().await;
        Ok(())
    }
}
