//! The domain's one error that is not a refusal: something it needed failed although it
//! should not have (the OS random source, the key file, a signature, the hashing pool). It
//! says what was being done and keeps the cause; above the domain, `crate::Error` carries it
//! as an internal error, logged with its causes and never shown to a client.

use std::borrow::Cow;

/// Any error, kept with its own chain of causes.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What was being done when an error happened, with the error (if there is one) as its cause.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct Fault {
    what: Cow<'static, str>,
    #[source]
    source: Option<BoxError>,
}

impl Fault {
    /// `source` failed while `what` was being done.
    pub fn new(what: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// A failure that has no error value of its own to keep.
    pub fn msg(what: impl Into<Cow<'static, str>>) -> Self {
        Self {
            what: what.into(),
            source: None,
        }
    }
}
