//! The values of each kind of email: one struct per kind, built by the flows for a real message
//! and by `latchkey mail preview` for a sample, so that a kind's values are named once.
//!
//! What a struct serializes to is what the outbox row stores as the message's payload (the
//! same keys as before there were structs, so rows already queued still render). The link and
//! the code are secrets: they are skipped here and sealed in the row by the outbox.

use std::time::Duration;

use serde::{Serialize, Serializer, ser::SerializeMap};

use super::EmailKind;
use crate::domain::codes::OneTimeCode;

/// The payload key of a link's lifetime in seconds, which the worker writes out in the
/// recipient's language as `expires_in` ("in 24 hours", "in 24 Stunden").
pub const EXPIRES_IN_SECS: &str = "expires_in_secs";

/// A single-use link and how long it lives. Only its lifetime is stored readable.
#[derive(Clone)]
pub struct Link {
    pub url: String,
    pub ttl: Duration,
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(EXPIRES_IN_SECS, &self.ttl.as_secs())?;
        map.end()
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &"..")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// `verification`: the link and code that verify a new account.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    #[serde(flatten)]
    pub link: Link,
    #[serde(skip)]
    pub code: OneTimeCode,
}

/// `already_registered`: someone signed up with an address that has an account.
#[derive(Debug, Clone, Serialize)]
pub struct AlreadyRegistered {
    pub login_url: String,
    pub forgot_url: String,
}

/// `password_reset`: the link and code that set a new password.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    #[serde(flatten)]
    pub link: Link,
    #[serde(skip)]
    pub code: OneTimeCode,
}

/// `password_changed`: the notice after any change of the password.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordChanged {
    pub forgot_url: String,
}

/// `email_change_confirm_new` and `email_change_confirm_old`: a link that confirms a change,
/// sent to the new address and to the old one.
#[derive(Debug, Clone, Serialize)]
pub struct EmailChangeConfirm {
    pub old_email: String,
    pub new_email: String,
    #[serde(flatten)]
    pub link: Link,
}

/// `email_change_attempt`: another account asked for this address; its owner is told.
#[derive(Debug, Clone, Serialize)]
pub struct EmailChangeAttempt {
    pub old_email: String,
    pub new_email: String,
    pub login_url: String,
}

/// `email_changed`: the notice to the old address, with the link that reverts the change.
#[derive(Debug, Clone, Serialize)]
pub struct EmailChanged {
    pub old_email: String,
    pub new_email: String,
    #[serde(flatten)]
    pub link: Link,
}

/// `email_reverted`: the address came back; a reset link lets the owner set a new password.
#[derive(Debug, Clone, Serialize)]
pub struct EmailReverted {
    pub new_email: String,
    #[serde(flatten)]
    pub link: Link,
}

/// `account_deleted`: the last email an account gets.
#[derive(Debug, Clone, Serialize)]
pub struct AccountDeleted {
    pub register_url: String,
}

/// One email's values; the variant is its kind, so a kind and its values cannot disagree.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EmailValues {
    Verification(Verification),
    AlreadyRegistered(AlreadyRegistered),
    PasswordReset(PasswordReset),
    PasswordChanged(PasswordChanged),
    EmailChangeConfirmNew(EmailChangeConfirm),
    EmailChangeConfirmOld(EmailChangeConfirm),
    EmailChangeAttempt(EmailChangeAttempt),
    EmailChanged(EmailChanged),
    EmailReverted(EmailReverted),
    AccountDeleted(AccountDeleted),
}

impl EmailValues {
    pub fn kind(&self) -> EmailKind {
        match self {
            Self::Verification(_) => EmailKind::Verification,
            Self::AlreadyRegistered(_) => EmailKind::AlreadyRegistered,
            Self::PasswordReset(_) => EmailKind::PasswordReset,
            Self::PasswordChanged(_) => EmailKind::PasswordChanged,
            Self::EmailChangeConfirmNew(_) => EmailKind::EmailChangeConfirmNew,
            Self::EmailChangeConfirmOld(_) => EmailKind::EmailChangeConfirmOld,
            Self::EmailChangeAttempt(_) => EmailKind::EmailChangeAttempt,
            Self::EmailChanged(_) => EmailKind::EmailChanged,
            Self::EmailReverted(_) => EmailKind::EmailReverted,
            Self::AccountDeleted(_) => EmailKind::AccountDeleted,
        }
    }

    /// The link the email carries, if its kind has one (sealed, never stored readable).
    pub fn link(&self) -> Option<&Link> {
        match self {
            Self::Verification(v) => Some(&v.link),
            Self::PasswordReset(v) => Some(&v.link),
            Self::EmailChangeConfirmNew(v) | Self::EmailChangeConfirmOld(v) => Some(&v.link),
            Self::EmailChanged(v) => Some(&v.link),
            Self::EmailReverted(v) => Some(&v.link),
            Self::AlreadyRegistered(_)
            | Self::PasswordChanged(_)
            | Self::EmailChangeAttempt(_)
            | Self::AccountDeleted(_) => None,
        }
    }

    /// The code beside the link, for the kinds that have one (sealed with the link).
    pub fn code(&self) -> Option<&OneTimeCode> {
        match self {
            Self::Verification(v) => Some(&v.code),
            Self::PasswordReset(v) => Some(&v.code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            url: "https://x.test/verify-email?token=SECRET".into(),
            ttl: Duration::from_secs(3600),
        }
    }

    /// Rows queued before the structs existed had exactly these keys: the worker reads both.
    #[test]
    fn payloads_keep_the_stored_keys_and_never_the_secrets() -> Result<(), serde_json::Error> {
        let code = OneTimeCode::parse("012345").map_err(serde::ser::Error::custom)?;
        let verification = EmailValues::Verification(Verification {
            link: link(),
            code: code.clone(),
        });
        assert_eq!(
            serde_json::to_value(&verification)?,
            serde_json::json!({ "expires_in_secs": 3600 })
        );
        let changed = EmailValues::EmailChanged(EmailChanged {
            old_email: "a@x.test".into(),
            new_email: "b@x.test".into(),
            link: link(),
        });
        assert_eq!(
            serde_json::to_value(&changed)?,
            serde_json::json!({
                "old_email": "a@x.test", "new_email": "b@x.test", "expires_in_secs": 3600
            })
        );
        let text = serde_json::to_string(&verification)?;
        assert!(
            !text.contains("SECRET") && !text.contains("012345"),
            "{text}"
        );
        assert_eq!(verification.code(), Some(&code));
        assert!(changed.link().is_some() && changed.code().is_none());
        let deleted = EmailValues::AccountDeleted(AccountDeleted {
            register_url: "https://x.test/register".into(),
        });
        assert_eq!(
            serde_json::to_value(&deleted)?,
            serde_json::json!({ "register_url": "https://x.test/register" })
        );
        Ok(())
    }
}
