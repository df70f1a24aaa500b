//! The kinds of email Latchkey sends (contract §6): a plain value that storage keeps in the
//! outbox and the mail layer renders.

use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    Verification,
    AlreadyRegistered,
    PasswordReset,
    PasswordChanged,
    EmailChangeConfirmNew,
    EmailChangeConfirmOld,
    EmailChangeAttempt,
    EmailChanged,
    EmailReverted,
    AccountDeleted,
    SignIn,
    SecurityMethodAdded,
    SecurityMethodRemoved,
}

impl EmailKind {
    pub const ALL: [EmailKind; 13] = [
        Self::Verification,
        Self::AlreadyRegistered,
        Self::PasswordReset,
        Self::PasswordChanged,
        Self::EmailChangeConfirmNew,
        Self::EmailChangeConfirmOld,
        Self::EmailChangeAttempt,
        Self::EmailChanged,
        Self::EmailReverted,
        Self::AccountDeleted,
        Self::SignIn,
        Self::SecurityMethodAdded,
        Self::SecurityMethodRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verification => "verification",
            Self::AlreadyRegistered => "already_registered",
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::EmailChangeConfirmNew => "email_change_confirm_new",
            Self::EmailChangeConfirmOld => "email_change_confirm_old",
            Self::EmailChangeAttempt => "email_change_attempt",
            Self::EmailChanged => "email_changed",
            Self::EmailReverted => "email_reverted",
            Self::AccountDeleted => "account_deleted",
            Self::SignIn => "sign_in",
            Self::SecurityMethodAdded => "security_method_added",
            Self::SecurityMethodRemoved => "security_method_removed",
        }
    }
}

impl fmt::Display for EmailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown email kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for EmailKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}
