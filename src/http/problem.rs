//! `application/problem+json` (RFC 9457) for every error, and the JSON body extractor that
//! turns every way a body can be wrong into a `Refusal`: 415, 400 or 413 (contract §2). The
//! status and code of each come from the one table, `http::rejection`, which also holds the
//! HTTP layer's own refusals.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::request::Parts,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use super::rejection::{self, Refusal, Row};
use crate::{error::Error, views::Problem};

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let row = rejection::refusal(&self);
        problem(&row, self.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let row = rejection::error(&self);
        let detail = if row.status.is_server_error() {
            tracing::error!(error = %crate::error::Chain(&self), "request failed");
            "something went wrong on our side; try again later".to_owned()
        } else {
            self.to_string()
        };
        let mut response = match &self {
            Self::MfaRequired(challenge) => problem_with(&row, detail, |body| {
                body.with_mfa(challenge.token(), challenge.methods())
            }),
            Self::RefreshSuperseded => problem_with(&row, detail, Problem::superseded),
            _ => problem(&row, detail),
        };
        let headers = response.headers_mut();
        match &self {
            Self::RateLimited { retry_after } => {
                // Rounded up: a client that waits exactly this long finds room.
                let secs = retry_after.as_millis().div_ceil(1000).max(1);
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            // It carries the token of the second step: no cache may keep it.
            Self::MfaRequired(_) => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Busy | Self::RaceLost(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::Unavailable(u) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(rejection::retry_after_secs(u)),
                );
            }
            _ => {}
        }
        response
    }
}

/// The problem+json answer of a row, with `detail` (also the message of its field's entry).
fn problem(row: &Row<'_>, detail: String) -> Response {
    problem_with(row, detail, |body| body)
}

fn problem_with(
    row: &Row<'_>,
    detail: String,
    extend: impl FnOnce(Problem) -> Problem,
) -> Response {
    let status = row.status;
    let mut body = Problem::new(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        row.code,
        detail.clone(),
    );
    if let Some(field) = &row.field {
        body = body.with_error(field.name, field.code, detail);
    }
    let body = extend(body);
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// A JSON request body. Not JSON (by `Content-Type`): 415; over 64 KiB: 413; not parseable:
/// 400 `malformed_json`; a missing field or a value of the wrong type: 400 `validation_failed`
/// naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &S) -> Result<Self, Refusal> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(Refusal::UnsupportedMediaType);
        }
        // What is left unread of a refused body is read off the connection by the server
        // loop before the answer goes out (`http::server`), so the connection stays usable.
        if let Some(declared) = content_length(&req)
            && declared > super::BODY_LIMIT as u64
        {
            return Err(Refusal::PayloadTooLarge);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Refusal::PayloadTooLarge
            } else if super::server::is_body_timeout(&rejection) {
                Refusal::BodyTimeout
            } else {
                Refusal::MalformedJson("the body could not be read".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A query string. One that cannot be read (a repeated key, bad percent-encoding) is 400
/// `validation_failed`, as problem+json like every other error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Refusal> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| Refusal::Query(e.body_text()))
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

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Refusal> {
    // Every body of the API is an object. serde would also fill a struct from an array
    // (`["a@example.com", "pw"]`), in field order: refuse that shape outright.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Refusal::NotAnObject);
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
                Refusal::Field {
                    field,
                    message: strip_position(&message),
                }
            }
            _ => Refusal::MalformedJson(strip_position(&inner.to_string())),
        }
    })?;
    // One JSON document and nothing after it: `{...} garbage` is not JSON.
    de.end()
        .map_err(|e| Refusal::MalformedJson(strip_position(&e.to_string())))?;
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
                .map(|e| (rejection::refusal(&e).code, e.to_string()))
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
            Err(Refusal::NotAnObject)
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
