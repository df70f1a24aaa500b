//! Why a setting's value was refused: one variant per kind of mistake, each saying what was
//! expected and, where it helps, echoing what was given.

use std::path::PathBuf;

use super::InvalidDuration;

#[derive(Debug, thiserror::Error)]
pub enum InvalidValue {
    #[error(transparent)]
    Duration(#[from] InvalidDuration),
    #[error("must be longer than 0s")]
    Zero,
    #[error("expected {expected}, got {got:?}")]
    Expected { expected: &'static str, got: String },
    #[error("{source} in {value:?}")]
    Url {
        value: String,
        #[source]
        source: url::ParseError,
    },
    #[error("must not have a query or fragment")]
    QueryOrFragment,
    #[error("{0:?} is not a directory")]
    NotDirectory(String),
    #[error("{0:?} is not an IP address or CIDR range")]
    NotIpRange(String),
    #[error("{0:?} is not an origin like https://app.example.com")]
    NotOrigin(String),
    #[error("unknown SMTP URL option {key}={value}")]
    UnknownSmtpOption { key: String, value: String },
    /// A rule between settings (two that go together, a secret a URL needs).
    #[error("{0}")]
    Rule(&'static str),
    /// A value's own type refused it, in its own words (a secret, a language, hash
    /// parameters, an address).
    #[error("{0}")]
    Refused(crate::error::BoxError),
    /// A `latchkey.toml` that does not parse, and where (line and column, as editors count).
    #[error(
        "{}{}",
        .at.map(|(line, column)| format!("line {line}, column {column}: ")).unwrap_or_default(),
        .error.message()
    )]
    Toml {
        at: Option<(usize, usize)>,
        error: Box<toml::de::Error>,
    },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl InvalidValue {
    pub(super) fn expected(expected: &'static str, got: &str) -> Self {
        Self::Expected {
            expected,
            got: got.to_owned(),
        }
    }
}
