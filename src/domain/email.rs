//! Email addresses as the contract (§2) defines them. An `EmailAddress` can only hold a valid
//! address; it keeps the form the user typed for display and a normalized form for comparison.

use std::{fmt, str::FromStr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("an email address is required")]
    Empty,
    #[error("an email address has at most 254 characters")]
    TooLong,
    #[error(
        "an email address cannot contain spaces, or control, invisible or direction-changing characters"
    )]
    BadCharacter,
    #[error("an email address has exactly one @")]
    At,
    #[error("the part before the @ is empty")]
    EmptyLocal,
    #[error("the domain must have a dot, like example.com")]
    Domain,
    /// Within the rules above but not an address mail can be sent to (RFC 5321/5322: a local
    /// part over 64 characters, a domain label over 63, `<`, `,`, `..`, …): accepting it would
    /// make an account whose emails can never be delivered.
    #[error("this is not an address email can be sent to")]
    Undeliverable,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    display: String,
    normalized: String,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let display = Self::check(input)?;
        let normalized = display.to_lowercase();
        // The form an account is compared in must be an address too (a property test found
        // `İ@a.com`, whose lower case `i\u{307}@a.com` mail cannot carry): otherwise an account
        // exists that cannot be typed the way it is stored.
        if normalized != display && Self::check(&normalized).is_err() {
            return Err(InvalidEmail::Undeliverable);
        }
        Ok(Self {
            display: display.to_owned(),
            normalized,
        })
    }

    /// The rules of contract §2 on one form of an address; the trimmed text if it passes.
    fn check(input: &str) -> Result<&str, InvalidEmail> {
        let display = input.trim();
        if display.is_empty() {
            return Err(InvalidEmail::Empty);
        }
        if display.chars().count() > 254 {
            return Err(InvalidEmail::TooLong);
        }
        // Control and format characters (Unicode Cc and Cf: U+200B, U+00AD, U+202E, …) make
        // addresses that look like an existing one but are another account.
        if display
            .chars()
            .any(|c| c.is_whitespace() || is_control_or_format(c))
        {
            return Err(InvalidEmail::BadCharacter);
        }
        let (local, domain) = display.split_once('@').ok_or(InvalidEmail::At)?;
        if domain.contains('@') {
            return Err(InvalidEmail::At);
        }
        if local.is_empty() {
            return Err(InvalidEmail::EmptyLocal);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(InvalidEmail::Domain);
        }
        // A quoted local part (`"a,b"@example.com`) parses as an address but cannot be carried
        // by the SMTP layer, so its account could never be verified.
        if local.contains(['"', '\\']) || display.parse::<lettre::Address>().is_err() {
            return Err(InvalidEmail::Undeliverable);
        }
        Ok(display)
    }

    /// Rebuilds an address read back from storage, where it was valid when written.
    pub fn from_stored(display: String) -> Self {
        let normalized = display.to_lowercase();
        Self {
            display,
            normalized,
        }
    }

    /// The address as the user typed it (trimmed): used in emails and responses.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The form two addresses are compared in (and the unique index is on).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// Unicode general categories Cc (controls) and Cf (format: invisible and direction-changing).
pub fn is_control_or_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

impl FromStr for EmailAddress {
    type Err = InvalidEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_compares_case_insensitively() {
        let a = EmailAddress::parse("  Ann@Example.COM ").ok();
        let b = EmailAddress::parse("ann@example.com").ok();
        assert_eq!(a.as_ref().map(|a| a.as_str()), Some("Ann@Example.COM"));
        assert_eq!(
            a.map(|a| a.normalized().to_owned()),
            b.map(|b| b.normalized().to_owned())
        );
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "ünïcode@exämple.de",
            "x@a.b.c",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_the_contract_refuses() {
        let long = format!("{}@example.com", "a".repeat(243));
        let local65 = format!("{}@example.com", "a".repeat(65));
        let label64 = format!("a@{}.com", "b".repeat(64));
        let cases: &[(&str, InvalidEmail)] = &[
            ("", InvalidEmail::Empty),
            ("   ", InvalidEmail::Empty),
            ("plain", InvalidEmail::At),
            ("a@b@c.com", InvalidEmail::At),
            ("@example.com", InvalidEmail::EmptyLocal),
            ("a@localhost", InvalidEmail::Domain),
            ("a@", InvalidEmail::Domain),
            ("a@.com", InvalidEmail::Domain),
            ("a@example.", InvalidEmail::Domain),
            ("a\u{0}b@example.com", InvalidEmail::BadCharacter),
            ("a\r\nBcc: x@y.z", InvalidEmail::BadCharacter),
            ("a b@example.com", InvalidEmail::BadCharacter),
            (long.as_str(), InvalidEmail::TooLong),
            ("a<b@example.com", InvalidEmail::Undeliverable),
            ("a,b@example.com", InvalidEmail::Undeliverable),
            ("a..b@example.com", InvalidEmail::Undeliverable),
            ("a@-example.com", InvalidEmail::Undeliverable),
            (local65.as_str(), InvalidEmail::Undeliverable),
            (label64.as_str(), InvalidEmail::Undeliverable),
            ("ann@example.com\u{200b}", InvalidEmail::BadCharacter),
            ("ann@exa\u{00AD}mple.com", InvalidEmail::BadCharacter),
            ("ann\u{202E}@example.com", InvalidEmail::BadCharacter),
            ("\u{FEFF}ann@example.com", InvalidEmail::BadCharacter),
            ("ann\u{2066}@example.com", InvalidEmail::BadCharacter),
            ("ann\u{0085}@example.com", InvalidEmail::BadCharacter),
            ("\"a,b\"@example.com", InvalidEmail::Undeliverable),
            ("\"ann\"@example.com", InvalidEmail::Undeliverable),
            ("a\\b@example.com", InvalidEmail::Undeliverable),
            // Found by tests/properties.rs: the lower case is not an address.
            ("\u{130}@a.com", InvalidEmail::Undeliverable),
        ];
        for (input, expected) in cases {
            assert_eq!(
                EmailAddress::parse(input).as_ref().err(),
                Some(expected),
                "{input:?}"
            );
        }
        // 254 characters that mail can be sent to: a 64-character local part, labels of 63.
        let longest = format!(
            "{}@{}.{}.{}",
            "a".repeat(64),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61)
        );
        assert_eq!(longest.chars().count(), 254);
        assert!(EmailAddress::parse(&longest).is_ok());
    }
}
