//! States and kinds as the database keeps them: TEXT columns (with CHECK constraints where the
//! set is closed) that sqlx reads into enums and writes from them, so that flows compare
//! values of a type, never strings. A text the enum does not know fails to decode: a row
//! written by a newer version is an error, never silently some other state.

use std::str::FromStr;

use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};

use crate::{
    domain::{email_kind::EmailKind, invalid::Invalid, tokens::Purpose, webhooks::EventType},
    error::Error,
};

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

/// What an outbox message is: an email of a kind, or a webhook event of a type (which has a
/// dot; email kinds never do, and the claim query tells the two channels apart by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxKind {
    Email(EmailKind),
    Event(EventType),
    /// Queued by a newer version of Latchkey (during a rolling upgrade): this worker cannot
    /// send it, and says so in the message's error.
    Unknown(String),
}

impl OutboxKind {
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
