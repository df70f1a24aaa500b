//! `application/problem+json` (RFC 9457) for every error, and the JSON body extractor that
//! turns every way a body can be wrong into one of them: 415, 400 or 413 (contract §2).

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::request::Parts,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::{
    error::{Error, FieldError},
    views::Problem,
};

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. }
            | Self::MalformedJson(_)
            | Self::TokenInvalid
            | Self::CodeInvalid
            | Self::SameEmail => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidCredentials | Self::Unauthorized | Self::InvalidRefreshToken => {
                StatusCode::UNAUTHORIZED
            }
            Self::EmailNotVerified | Self::AccountDisabled | Self::Forbidden => {
                StatusCode::FORBIDDEN
            }
            Self::TokenExpired => StatusCode::GONE,
            Self::TokenUsed | Self::EmailTaken | Self::AlreadyVerified | Self::DatabaseNotEmpty => {
                StatusCode::CONFLICT
            }
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy | Self::RaceLost(_) | Self::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Storage(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if status.is_server_error() {
            tracing::error!(error = %crate::error::Chain(&self), "request failed");
            "something went wrong on our side; try again later".to_owned()
        } else {
            self.to_string()
        };
        let mut body = Problem::new(
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error"),
            self.code(),
            detail,
        );
        if let Self::Invalid { errors, .. } = &self {
            body = body.with_errors(errors);
        }
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            Self::RateLimited { retry_after } => {
                // Rounded up: a client that waits exactly this long finds room.
                let secs = retry_after.as_millis().div_ceil(1000).max(1);
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Busy | Self::RaceLost(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::Unavailable(u) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(u.retry_after_secs()));
            }
            _ => {}
        }
        response
    }
}

/// A JSON request body. Not JSON (by `Content-Type`): 415; over 64 KiB: 413; not parseable:
/// 400 `malformed_json`; a missing field or a value of the wrong type: 400 `validation_failed`
/// naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(Error::UnsupportedMediaType);
        }
        // What is left unread of a refused body is read off the connection by the server
        // loop before the answer goes out (`http::server`), so the connection stays usable.
        if let Some(declared) = content_length(&req)
            && declared > super::BODY_LIMIT as u64
        {
            return Err(Error::PayloadTooLarge);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::MalformedJson("the body could not be read".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A query string. One that cannot be read (a repeated key, bad percent-encoding) is 400
/// `validation_failed`, as problem+json like every other error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| Error::invalid("validation_failed", "query", e.body_text()))
    }
}

fn content_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    // Every body of the API is an object. serde would also fill a struct from an array
    // (`["a@example.com", "pw"]`), in field order: refuse that shape outright.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Error::invalid(
            "validation_failed",
            "",
            "the request body must be a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let field = missing_field(&message)
                    .map(str::to_owned)
                    .unwrap_or_else(|| if path == "." { String::new() } else { path });
                Error::Invalid {
                    code: "validation_failed",
                    errors: vec![FieldError::new(
                        field,
                        "invalid_field",
                        strip_position(&message),
                    )],
                }
            }
            _ => Error::MalformedJson(strip_position(&inner.to_string())),
        }
    })?;
    // One JSON document and nothing after it: `{...} garbage` is not JSON.
    de.end()
        .map_err(|e| Error::MalformedJson(strip_position(&e.to_string())))?;
    Ok(value)
}

/// serde says "missing field `email` at line 1 column 2"; the field is what a client needs.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Password errors name the field the client sent (`new_password`), not the policy's default.
pub fn rename_password_field(e: Error, field: &str) -> Error {
    match e {
        Error::Invalid {
            code: "weak_password",
            mut errors,
        } => {
            for error in &mut errors {
                error.field = field.to_owned();
            }
            Error::Invalid {
                code: "weak_password",
                errors,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        n: Option<u32>,
    }

    #[test]
    fn content_types() {
        let ok = |s: &'static str| is_json(Some(&HeaderValue::from_static(s)));
        assert!(ok("application/json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("Application/JSON"));
        assert!(ok("application/merge-patch+json"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/x-www-form-urlencoded"));
        assert!(!is_json(None));
    }

    #[test]
    fn body_errors_are_classified() {
        let err = |b: &str| {
            parse_json::<Body>(b.as_bytes())
                .err()
                .map(|e| (e.code(), e.to_string()))
        };
        assert_eq!(err("{").map(|e| e.0), Some("malformed_json"));
        assert_eq!(err("").map(|e| e.0), Some("malformed_json"));
        assert_eq!(
            err("{}"),
            Some(("validation_failed", "missing field `email`".into()))
        );
        assert_eq!(err("[]").map(|e| e.0), Some("validation_failed"));
        assert_eq!(
            err(r#"{"email": 5}"#).map(|e| e.0),
            Some("validation_failed")
        );
        assert_eq!(
            err(r#"{"email": "a", "n": -1}"#).map(|e| e.0),
            Some("validation_failed")
        );
        assert!(parse_json::<Body>(br#"{"email": "a", "extra": true}"#).is_ok());
        assert!(matches!(
            parse_json::<Body>(br#" ["a"]"#),
            Err(Error::Invalid {
                code: "validation_failed",
                ..
            })
        ));
        assert!(parse_json::<Body>(b"{\"email\": \"a\"}\n ").is_ok());
        assert_eq!(
            err(r#"{"email": "a"} trailing"#).map(|e| e.0),
            Some("malformed_json")
        );
        assert_eq!(
            err(r#"{"email": "a"}{"email": "b"}"#).map(|e| e.0),
            Some("malformed_json")
        );
    }
}
