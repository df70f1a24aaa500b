//! Where a refusal of input is born: each says, in types, what was wrong and which input it
//! concerns. It carries no HTTP status, no contract code and no field name: `http::rejection`
//! is the one table that turns a refusal into those, for the API and the pages alike.

use super::{
    accounts::InvalidName, email::InvalidEmail, locale::UnknownLocale, new_password::WeakPassword,
};

/// Which address of a request an invalid one was given as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRole {
    /// The address an account has or is to have (sign-up, log-in, a link or code request).
    Account,
    /// The address a signed-in user wants to change theirs to.
    NewAddress,
}

/// Which password of a request a weak one was given as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRole {
    /// The first password of a new account.
    First,
    /// A password that replaces the current or a forgotten one.
    Replacement,
}

/// A change an administrator may not make to their own account: it could leave nobody able to
/// administer the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnAccountChange {
    Disable,
    Demote,
}

/// Input that is well-formed as a request but not acceptable: a 400 with the field it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("{reason}")]
    Email {
        role: AddressRole,
        #[source]
        reason: InvalidEmail,
    },
    #[error("{reason}")]
    WeakPassword {
        role: PasswordRole,
        #[source]
        reason: WeakPassword,
    },
    #[error("{0}")]
    Name(#[source] InvalidName),
    #[error("{0}")]
    Locale(#[source] UnknownLocale),
    /// The page size of a listing.
    #[error("limit is a number from 1 to {max}")]
    PageSize { max: u32 },
    /// The cursor of a listing, which must be one the listing returned.
    #[error("cursor is not one this API returned")]
    Cursor,
    /// The status an outbox listing is filtered by.
    #[error("status is one of queued, retrying, sent, dead")]
    OutboxStatus,
    #[error("administrators cannot disable or demote their own account")]
    OwnAccount(OwnAccountChange),
}

impl Invalid {
    /// An invalid address given as the new address of a change.
    pub fn new_address(reason: InvalidEmail) -> Self {
        Self::Email {
            role: AddressRole::NewAddress,
            reason,
        }
    }

    /// A weak password given to replace the current or a forgotten one.
    pub fn replacement_password(reason: WeakPassword) -> Self {
        Self::WeakPassword {
            role: PasswordRole::Replacement,
            reason,
        }
    }
}

/// An address as the account's: the usual case.
impl From<InvalidEmail> for Invalid {
    fn from(reason: InvalidEmail) -> Self {
        Self::Email {
            role: AddressRole::Account,
            reason,
        }
    }
}

/// A new account's password: the usual case where a password is parsed outside a flow.
impl From<WeakPassword> for Invalid {
    fn from(reason: WeakPassword) -> Self {
        Self::WeakPassword {
            role: PasswordRole::First,
            reason,
        }
    }
}

impl From<InvalidName> for Invalid {
    fn from(reason: InvalidName) -> Self {
        Self::Name(reason)
    }
}

impl From<UnknownLocale> for Invalid {
    fn from(reason: UnknownLocale) -> Self {
        Self::Locale(reason)
    }
}
