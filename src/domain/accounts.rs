//! User accounts as stored, and the values a user may set on theirs.

use uuid::Uuid;

use super::{email::EmailAddress, locale::Locale};
use crate::error::Error;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub email_norm: String,
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub email_verified: bool,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The user's language as stored; NULL for accounts made before languages existed.
    pub locale: Option<String>,
}

impl User {
    pub fn email_address(&self) -> EmailAddress {
        EmailAddress::from_stored(self.email.clone())
    }

    /// The language to write to this user in: theirs, or the deployment's default when it is
    /// unset or no longer offered.
    pub fn locale_or(&self, default: Locale) -> Locale {
        self.locale
            .as_deref()
            .and_then(Locale::from_tag)
            .unwrap_or(default)
    }
}

/// A display name: at most 200 characters, no control characters (so it cannot break a header
/// or a line of an email), surrounding space trimmed; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

pub const NAME_MAX_CHARS: usize = 200;

impl DisplayName {
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, Error> {
        let Some(raw) = input.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if raw.chars().count() > NAME_MAX_CHARS {
            return Err(Error::invalid(
                "validation_failed",
                "name",
                "a name has at most 200 characters",
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(Error::invalid(
                "validation_failed",
                "name",
                "a name cannot contain control characters",
            ));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse_optional(None).ok().flatten(), None);
        assert_eq!(DisplayName::parse_optional(Some("  ")).ok().flatten(), None);
        assert_eq!(
            DisplayName::parse_optional(Some(" Ann <b> "))
                .ok()
                .flatten()
                .map(|n| n.0),
            Some("Ann <b>".to_string())
        );
        assert!(DisplayName::parse_optional(Some("Ann\r\nBcc: x")).is_err());
        assert!(DisplayName::parse_optional(Some(&"a".repeat(201))).is_err());
    }
}
