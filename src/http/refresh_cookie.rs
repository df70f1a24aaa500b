//! The refresh token in a cookie for browser apps (contract §12). With
//! `LATCHKEY_REFRESH_COOKIE=on`, a request that sends `Latchkey-Refresh: cookie` gets its refresh
//! token as an `HttpOnly`, `SameSite=Strict` cookie limited to `/api/v1/`, and refresh and
//! log-out read it from there. The header is what stops other sites: a custom header forces a
//! CORS preflight, which only `LATCHKEY_CORS_ORIGINS` pass; an `Origin` it carries must be the
//! public URL's or one of those.
//!
//! A session begun on the pages lives in the pages' refresh cookie (`Path=/`, `SameSite=Lax`),
//! which the browser sends to `/api/v1/` too: refresh takes it when there is no app cookie and
//! writes its successor back into it, so the pages and the app keep holding the same, current
//! token of one session.

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use super::{
    AppState,
    pages::cookies::{
        ACCESS_COOKIE, APP_REFRESH_COOKIE, REFRESH_COOKIE, app_refresh_cookie, cookie, set_cookie,
    },
};
use crate::error::Error;

/// Every refresh token the browser holds (log-out ends each one's session).
pub use super::pages::cookies::refresh_tokens as all_presented;

/// The header that asks for the cookie.
pub const HEADER: &str = "latchkey-refresh";

/// Which cookie held the token, so that its successor goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jar {
    App,
    Pages,
}

/// Whether the request asks for the cookie mode: the header, with the mode on. An `Origin`
/// that is neither the public URL's nor an allowed one is refused (403 `forbidden`). With the
/// mode off the header is ignored and the request is an ordinary one.
pub fn requested(s: &AppState, headers: &HeaderMap) -> Result<bool, Error> {
    let asked = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"));
    if !asked || !s.flows.settings.refresh_cookie {
        return Ok(false);
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let settings = &s.flows.settings;
        let public = settings.public_url.origin().ascii_serialization();
        let allowed = origin
            .to_str()
            .is_ok_and(|o| o == public || settings.cors_origins.iter().any(|c| c == o));
        if !allowed {
            return Err(Error::ForeignOrigin);
        }
    }
    Ok(true)
}

/// The refresh token the browser holds: the app's cookie, else the pages'.
pub fn presented(headers: &HeaderMap) -> Option<(String, Jar)> {
    let held = |name| cookie(headers, name).filter(|v| !v.is_empty());
    held(APP_REFRESH_COOKIE)
        .map(|t| (t, Jar::App))
        .or_else(|| held(REFRESH_COOKIE).map(|t| (t, Jar::Pages)))
}

/// The cookie that carries `token` in `jar` (an empty token with age 0 clears it).
pub fn set(s: &AppState, jar: Jar, token: &str, max_age: u64) -> Option<HeaderValue> {
    match jar {
        Jar::Pages => set_cookie(s, REFRESH_COOKIE, token, max_age),
        Jar::App => app_refresh_cookie(s, token, max_age),
    }
}

/// A new session's or a rotation's cookie, living as long as the session may.
pub fn keep(s: &AppState, jar: Jar, token: &str) -> Option<HeaderValue> {
    set(s, jar, token, s.flows.settings.refresh_ttl.as_secs())
}

/// Clears the cookie of `jar`.
pub fn clear(s: &AppState, jar: Jar) -> Option<HeaderValue> {
    set(s, jar, "", 0)
}

/// Clears every cookie that holds a session: the app's and the pages' (log-out through the
/// API signs the pages out too, since it ended their session).
pub fn clear_all(s: &AppState) -> Vec<HeaderValue> {
    [
        clear(s, Jar::App),
        clear(s, Jar::Pages),
        set_cookie(s, ACCESS_COOKIE, "", 0),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `response` with these `Set-Cookie` headers.
pub fn with(
    response: impl IntoResponse,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    let mut response = response.into_response();
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}
