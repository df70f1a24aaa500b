//! The policy a new password must pass (contract §2): at least 8 characters, at most 1024, and
//! not one of the common passwords. Hashing is `super::password`'s.

use std::{collections::HashSet, fmt, sync::LazyLock};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 1024;

/// The zxcvbn crate's ranked password list (from Xato's 10 million leaked passwords), keeping
/// the entries of 8 characters or more: shorter ones are refused by length anyway.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .collect()
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("a password needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_CHARS} characters")]
    TooLong,
    #[error("this password is too common; choose one that is harder to guess")]
    Common,
}

/// A password that passed the policy; the only input `PasswordHasher::hash` takes.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: String) -> Result<Self, WeakPassword> {
        let chars = input.chars().count();
        if chars < MIN_CHARS {
            return Err(WeakPassword::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(WeakPassword::TooLong);
        }
        if COMMON.contains(input.to_lowercase().as_str()) {
            return Err(WeakPassword::Common);
        }
        Ok(Self(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds_and_common_list() {
        assert_eq!(
            NewPassword::parse("short".into()).err(),
            Some(WeakPassword::TooShort)
        );
        assert_eq!(
            NewPassword::parse("x".repeat(1025)).err(),
            Some(WeakPassword::TooLong)
        );
        assert!(NewPassword::parse("x".repeat(1024)).is_ok());
        assert_eq!(
            NewPassword::parse("password1".into()).err(),
            Some(WeakPassword::Common)
        );
        assert_eq!(
            NewPassword::parse("PassWord1".into()).err(),
            Some(WeakPassword::Common)
        );
        assert_eq!(
            NewPassword::parse("qwertyuiop".into()).err(),
            Some(WeakPassword::Common)
        );
        assert!(NewPassword::parse("correct horse battery".into()).is_ok());
        // Eight characters, not eight bytes.
        assert!(NewPassword::parse("ééééèèèè".into()).is_ok());
    }

    #[test]
    fn the_list_is_real_and_large() {
        assert!(COMMON.len() >= 10_000, "{} entries", COMMON.len());
    }
}
