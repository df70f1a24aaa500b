//! The domain: types that can only hold valid values. The flows that use them are in `crate::flows`.

pub mod access;
pub mod accounts;
pub mod codes;
pub mod email;
pub mod email_kind;
pub mod keys;
pub mod locale;
pub mod password;
pub mod time;
pub mod tokens;
pub mod webhooks;

use crate::error::Error;

impl From<email::InvalidEmail> for Error {
    fn from(e: email::InvalidEmail) -> Self {
        Error::invalid("invalid_email", "email", e.to_string())
    }
}

impl From<locale::UnknownLocale> for Error {
    fn from(e: locale::UnknownLocale) -> Self {
        Error::invalid("validation_failed", "locale", e.to_string())
    }
}

impl email::EmailAddress {
    /// Parses a request field; the error names the field.
    pub fn parse_field(input: &str, field: &str) -> Result<Self, Error> {
        Self::parse(input).map_err(|e| Error::invalid("invalid_email", field, e.to_string()))
    }
}
