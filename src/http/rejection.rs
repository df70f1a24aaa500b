//! The one table from a refusal to its answer: the HTTP status, the contract's code (§2, §3),
//! for input that is not acceptable the field the answer names, and how long an unavailable
//! database asks clients to wait. The API's problem+json (`problem`) and the pages
//! (`pages::explain`) both read it; nothing else turns an error into a code. The refusals of
//! the HTTP layer's own (`Refusal`: how a request arrived) are defined here beside their rows.

use axum::http::StatusCode;

use crate::{
    domain::invalid::{AddressRole, Invalid, OwnAccountChange, PasswordRole},
    error::{Error, Unavailable},
};

/// A request the HTTP layer refuses before any flow sees it: how it arrived, not what it
/// asks for.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The body is not JSON (the position serde reports is left out).
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    /// An array where the API takes an object.
    #[error("the request body must be a JSON object")]
    NotAnObject,
    /// A field of the body is missing or of the wrong type.
    #[error("{message}")]
    Field { field: String, message: String },
    /// A query string that cannot be read (a repeated key, bad percent-encoding).
    #[error("{0}")]
    Query(String),
    /// The body had not fully arrived `LATCHKEY_HTTP_BODY_TIMEOUT` after the request's head.
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// The client's address already holds `LATCHKEY_HTTP_CONNECTIONS_PER_IP` connections.
    #[error("too many connections from your address; close one or try again later")]
    TooManyConnections,
}

/// How a refusal is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub status: StatusCode,
    /// The problem's machine-readable `code`.
    pub code: &'static str,
    /// The one entry of the problem's `errors`, when the refusal is about one field.
    pub field: Option<FieldRow<'a>>,
}

/// The entry of a problem's `errors`: the field as the request named it, and its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow<'a> {
    pub name: &'a str,
    pub code: &'static str,
}

impl Row<'static> {
    const fn of(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            field: None,
        }
    }
}

/// A refusal of input: 400, its code, and the field it names (with the same code).
pub fn invalid(i: &Invalid) -> Row<'static> {
    let (code, field) = match i {
        Invalid::Email { role, .. } => (
            "invalid_email",
            match role {
                AddressRole::Account => "email",
                AddressRole::NewAddress => "new_email",
            },
        ),
        Invalid::WeakPassword { role, .. } => (
            "weak_password",
            match role {
                PasswordRole::First => "password",
                PasswordRole::Replacement => "new_password",
            },
        ),
        Invalid::Name(_) => ("validation_failed", "name"),
        Invalid::Locale(_) => ("validation_failed", "locale"),
        Invalid::PageSize { .. } => ("validation_failed", "limit"),
        Invalid::Cursor => ("validation_failed", "cursor"),
        Invalid::OutboxStatus => ("validation_failed", "status"),
        Invalid::OwnAccount(change) => (
            "validation_failed",
            match change {
                OwnAccountChange::Disable => "disabled",
                OwnAccountChange::Demote => "is_admin",
            },
        ),
    };
    Row {
        status: StatusCode::BAD_REQUEST,
        code,
        field: Some(FieldRow { name: field, code }),
    }
}

/// Any error of a flow.
pub fn error(e: &Error) -> Row<'static> {
    use StatusCode as S;
    match e {
        Error::Invalid(i) => invalid(i),
        Error::NotFound => Row::of(S::NOT_FOUND, "not_found"),
        Error::InvalidCredentials => Row::of(S::UNAUTHORIZED, "invalid_credentials"),
        Error::EmailNotVerified => Row::of(S::FORBIDDEN, "email_not_verified"),
        Error::AccountDisabled => Row::of(S::FORBIDDEN, "account_disabled"),
        Error::Unauthorized => Row::of(S::UNAUTHORIZED, "unauthorized"),
        Error::Forbidden => Row::of(S::FORBIDDEN, "forbidden"),
        Error::InvalidRefreshToken | Error::RefreshSuperseded => {
            Row::of(S::UNAUTHORIZED, "invalid_refresh_token")
        }
        Error::ForeignOrigin => Row::of(S::FORBIDDEN, "forbidden"),
        Error::TokenInvalid => Row::of(S::BAD_REQUEST, "token_invalid"),
        Error::TokenExpired => Row::of(S::GONE, "token_expired"),
        Error::TokenUsed => Row::of(S::CONFLICT, "token_used"),
        Error::CodeInvalid => Row::of(S::BAD_REQUEST, "code_invalid"),
        Error::PasskeyInvalid => Row::of(S::UNAUTHORIZED, "passkey_invalid"),
        Error::PasskeyRefused => Row::of(S::BAD_REQUEST, "passkey_invalid"),
        Error::EmailTaken => Row::of(S::CONFLICT, "email_taken"),
        Error::MfaRequired(_) => Row::of(S::UNAUTHORIZED, "mfa_required"),
        Error::MfaTokenInvalid => Row::of(S::UNAUTHORIZED, "mfa_token_invalid"),
        Error::MfaAlreadyEnabled => Row::of(S::CONFLICT, "mfa_already_enabled"),
        Error::NoPendingTotp => Row::of(S::CONFLICT, "no_pending_totp"),
        Error::MfaNotEnabled => Row::of(S::CONFLICT, "mfa_not_enabled"),
        Error::NoPasskey => Row::of(S::CONFLICT, "no_passkey"),
        Error::SameEmail => Row::of(S::BAD_REQUEST, "same_email"),
        Error::AlreadyVerified => Row::of(S::CONFLICT, "already_verified"),
        Error::LastAdmin => Row::of(S::CONFLICT, "last_admin"),
        Error::RateLimited { .. } => Row::of(S::TOO_MANY_REQUESTS, "rate_limited"),
        Error::Busy | Error::RaceLost(_) => Row::of(S::SERVICE_UNAVAILABLE, "busy"),
        Error::Unavailable(Unavailable::DiskFull(_)) => {
            Row::of(S::SERVICE_UNAVAILABLE, "storage_full")
        }
        Error::Unavailable(Unavailable::Locked(_) | Unavailable::Unreachable(_)) => {
            Row::of(S::SERVICE_UNAVAILABLE, "busy")
        }
        Error::Storage(_) | Error::Internal(_) => {
            Row::of(S::INTERNAL_SERVER_ERROR, "internal_error")
        }
    }
}

/// `Retry-After` of a database that cannot take writes: a lock is usually gone in a moment,
/// room on a disk takes an operator.
pub fn retry_after_secs(u: &Unavailable) -> u32 {
    match u {
        Unavailable::DiskFull(_) => 30,
        Unavailable::Locked(_) => 1,
        Unavailable::Unreachable(_) => 5,
    }
}

/// A request the HTTP layer refuses before any flow sees it.
pub fn refusal(r: &Refusal) -> Row<'_> {
    use StatusCode as S;
    let validation = |name, code| Row {
        status: S::BAD_REQUEST,
        code: "validation_failed",
        field: Some(FieldRow { name, code }),
    };
    match r {
        Refusal::MalformedJson(_) => Row::of(S::BAD_REQUEST, "malformed_json"),
        Refusal::UnsupportedMediaType => {
            Row::of(S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        Refusal::PayloadTooLarge => Row::of(S::PAYLOAD_TOO_LARGE, "payload_too_large"),
        Refusal::MethodNotAllowed => Row::of(S::METHOD_NOT_ALLOWED, "method_not_allowed"),
        Refusal::NotAnObject => validation("", "validation_failed"),
        Refusal::Field { field, .. } => validation(field, "invalid_field"),
        Refusal::Query(_) => validation("query", "validation_failed"),
        Refusal::BodyTimeout => Row::of(S::REQUEST_TIMEOUT, "request_timeout"),
        Refusal::TooManyConnections => Row::of(S::TOO_MANY_REQUESTS, "rate_limited"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        accounts::InvalidName, email::InvalidEmail, locale::UnknownLocale,
        new_password::WeakPassword,
    };

    /// One of each refusal of input. The match makes a new variant fail to compile until it
    /// is added here, and `invalid` (an exhaustive match too) gives it a row.
    fn every_invalid() -> Vec<Invalid> {
        let all = vec![
            Invalid::from(InvalidEmail::At),
            Invalid::new_address(InvalidEmail::Domain),
            Invalid::from(WeakPassword::TooShort),
            Invalid::replacement_password(WeakPassword::Common),
            Invalid::Name(InvalidName::TooLong),
            Invalid::Locale(UnknownLocale("xx".into())),
            Invalid::PageSize { max: 200 },
            Invalid::Cursor,
            Invalid::OutboxStatus,
            Invalid::OwnAccount(OwnAccountChange::Disable),
            Invalid::OwnAccount(OwnAccountChange::Demote),
        ];
        for i in &all {
            match i {
                Invalid::Email { .. }
                | Invalid::WeakPassword { .. }
                | Invalid::Name(_)
                | Invalid::Locale(_)
                | Invalid::PageSize { .. }
                | Invalid::Cursor
                | Invalid::OutboxStatus
                | Invalid::OwnAccount(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_refusal_of_input_has_a_row_of_the_contract() {
        let rows: Vec<(&str, &str)> = every_invalid()
            .iter()
            .map(|i| {
                let row = invalid(i);
                assert_eq!(row.status, StatusCode::BAD_REQUEST, "{i:?}");
                let field = row.field.unwrap_or_else(|| panic!("{i:?} names no field"));
                assert_eq!(field.code, row.code, "{i:?}");
                (row.code, field.name)
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("invalid_email", "email"),
                ("invalid_email", "new_email"),
                ("weak_password", "password"),
                ("weak_password", "new_password"),
                ("validation_failed", "name"),
                ("validation_failed", "locale"),
                ("validation_failed", "limit"),
                ("validation_failed", "cursor"),
                ("validation_failed", "status"),
                ("validation_failed", "disabled"),
                ("validation_failed", "is_admin"),
            ]
        );
    }

    #[test]
    fn an_invalid_error_is_its_refusal_row_and_keeps_its_cause() {
        let e = Error::from(InvalidEmail::At);
        assert_eq!(error(&e), invalid(&Invalid::from(InvalidEmail::At)));
        assert_eq!(e.to_string(), InvalidEmail::At.to_string());
        let cause = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(cause, Some(InvalidEmail::At.to_string()));
    }

    #[test]
    fn transport_refusals_have_their_codes() {
        let field = Refusal::Field {
            field: "email".into(),
            message: "missing field `email`".into(),
        };
        let row = refusal(&field);
        assert_eq!(
            (row.status, row.code),
            (StatusCode::BAD_REQUEST, "validation_failed")
        );
        assert_eq!(
            row.field,
            Some(FieldRow {
                name: "email",
                code: "invalid_field"
            })
        );
        assert_eq!(
            refusal(&Refusal::PayloadTooLarge).status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
