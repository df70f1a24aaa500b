//! The one error type of Latchkey. Flows return it; `http::problem` turns it into
//! `application/problem+json` with the contract's codes.

use std::time::Duration;

/// A problem with one field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that parsed as JSON but is not acceptable; `code` is the top-level code
    /// (`invalid_email`, `weak_password`, `validation_failed`, …).
    #[error("{}", .errors.first().map(|e| e.message.as_str()).unwrap_or("the request is not valid"))]
    Invalid {
        code: &'static str,
        errors: Vec<FieldError>,
    },
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    #[error("no such resource")]
    NotFound,
    #[error("the email address or password is wrong")]
    InvalidCredentials,
    #[error("the email address has not been verified yet")]
    EmailNotVerified,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("a valid access token is required")]
    Unauthorized,
    #[error("this needs an administrator")]
    Forbidden,
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("the link is not valid")]
    TokenInvalid,
    #[error("the link has expired")]
    TokenExpired,
    #[error("the link has already been used")]
    TokenUsed,
    /// Any code that cannot be used, and any code for an address without an account: one
    /// answer, so that a code never tells whether an address has an account.
    #[error("the code is wrong, has expired, or was replaced by a newer one")]
    CodeInvalid,
    #[error("the email address is already in use")]
    EmailTaken,
    #[error("the new email address is the current one")]
    SameEmail,
    #[error("the email address is already verified")]
    AlreadyVerified,
    #[error("the database has users that dev seed did not make; pass --force to seed it anyway")]
    DatabaseNotEmpty,
    #[error("too many requests; try again later")]
    RateLimited { retry_after: Duration },
    #[error("the database is busy; try again")]
    Busy,
    #[error("storage error: {0}")]
    Storage(#[source] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            errors: vec![FieldError::new(field, code, message)],
        }
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::Internal(what.to_string())
    }

    /// The contract's machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. } => code,
            Self::MalformedJson(_) => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotFound => "not_found",
            Self::InvalidCredentials => "invalid_credentials",
            Self::EmailNotVerified => "email_not_verified",
            Self::AccountDisabled => "account_disabled",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::TokenInvalid => "token_invalid",
            Self::TokenExpired => "token_expired",
            Self::TokenUsed => "token_used",
            Self::CodeInvalid => "code_invalid",
            Self::EmailTaken => "email_taken",
            Self::SameEmail => "same_email",
            Self::AlreadyVerified => "already_verified",
            Self::DatabaseNotEmpty => "database_not_empty",
            Self::RateLimited { .. } => "rate_limited",
            Self::Busy => "busy",
            Self::Storage(_) | Self::Internal(_) => "internal_error",
        }
    }
}

/// The one place where database errors become client errors: the only unique index a client
/// can run into is the one on normalized email addresses.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let message = db.message();
                if message.contains("email_norm") || db.constraint() == Some("users_email_norm") {
                    return Self::EmailTaken;
                }
                Self::Storage(e)
            }
            sqlx::Error::PoolTimedOut => Self::Busy,
            sqlx::Error::Database(db) if db.code().as_deref() == Some("5") => Self::Busy,
            _ => Self::Storage(e),
        }
    }
}
