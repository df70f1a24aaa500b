//! User accounts as stored, and the values a user may set on theirs.

use uuid::Uuid;

use super::{email::EmailAddress, locale::Locale, time::Millis};

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
    pub created_at: Millis,
    pub updated_at: Millis,
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

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("a name has at most {NAME_MAX_CHARS} characters")]
    TooLong,
    #[error("a name cannot contain control or direction-changing characters")]
    BadCharacter,
}

impl DisplayName {
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, InvalidName> {
        let Some(raw) = input.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if raw.chars().count() > NAME_MAX_CHARS {
            return Err(InvalidName::TooLong);
        }
        if raw.chars().any(is_control_or_direction) {
            return Err(InvalidName::BadCharacter);
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Controls (Unicode Cc), line and paragraph separators, and the characters that change the
/// direction of text (so a name cannot make an email read backwards). Other format characters,
/// such as the zero-width joiner of emoji, are fine in a name.
fn is_control_or_direction(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
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
        assert_eq!(
            DisplayName::parse_optional(Some("Ann\r\nBcc: x")),
            Err(InvalidName::BadCharacter)
        );
        for bad in [
            "Ann\u{202E}gnp.exe",
            "\u{2066}Ann",
            "Ann\u{200F}",
            "Ann\u{2028}x",
            "A\u{0085}B",
        ] {
            assert_eq!(
                DisplayName::parse_optional(Some(bad)),
                Err(InvalidName::BadCharacter),
                "{bad:?}"
            );
        }
        // A family emoji is joined by U+200D: still a name.
        assert!(DisplayName::parse_optional(Some("Ann \u{1F468}\u{200D}\u{1F469}")).is_ok());
        assert_eq!(
            DisplayName::parse_optional(Some(&"a".repeat(201))),
            Err(InvalidName::TooLong)
        );
    }
}
