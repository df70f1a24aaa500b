//! Email: what kinds there are (contract §6), how they are rendered (`templates`), queued
//! (`outbox`) and delivered (`transport`).

pub mod outbox;
mod smtp_pool;
pub mod templates;
pub mod transport;
pub mod values;
pub mod webhook;

pub use crate::domain::email_kind::{EmailKind, UnknownKind};

/// A rendered email, ready for a transport.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The language it is written in (`Content-Language`).
    pub language: String,
}
