//! The pages' cookies: the session (the access token in one, the refresh token in another) and
//! a signed-out visitor's choice of language. `HttpOnly` and `SameSite=Lax`, `Secure` when the
//! public URL is https.

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use crate::{
    flows::{Principal, TokenPair},
    http::AppState,
};

pub const ACCESS_COOKIE: &str = "latchkey_access";
pub const REFRESH_COOKIE: &str = "latchkey_refresh";
/// A browser app's refresh cookie (contract §12, `http::refresh_cookie`): `SameSite=Strict`,
/// on `/api/v1/` only. The pages' sign-out ends its session and clears it too.
pub const APP_REFRESH_COOKIE: &str = "latchkey_app_refresh";
const APP_REFRESH_PATH: &str = "/api/v1/";
/// The cookie that keeps a signed-out visitor's choice of language.
pub const LANGUAGE_COOKIE: &str = "latchkey_lang";
/// The cookie that keeps a `return_to` across an email (sign-up, resend, forgotten password):
/// the link opened in the same browser leads back to the app.
pub const RETURN_COOKIE: &str = "latchkey_return_to";

/// Remembers the visitor's `return_to` (if any) for the link of the email just sent, as long
/// as that link lives.
pub fn remember_return_to(
    s: &AppState,
    return_to: Option<&crate::domain::return_to::ReturnTo>,
    max_age: std::time::Duration,
    response: Response,
) -> Response {
    let Some(r) = return_to else {
        return response;
    };
    let encoded: String = url::form_urlencoded::byte_serialize(r.as_str().as_bytes()).collect();
    with_cookies(
        response,
        set_cookie(s, RETURN_COOKIE, &encoded, max_age.as_secs())
            .into_iter()
            .collect(),
    )
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub fn set_cookie(s: &AppState, name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if s.flows.settings.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The app's refresh cookie holding `token` (an empty one with age 0 clears it).
pub fn app_refresh_cookie(s: &AppState, token: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if s.flows.settings.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{APP_REFRESH_COOKIE}={token}; Path={APP_REFRESH_PATH}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// Every refresh token the browser holds, the app's and the pages' (signing out ends each).
pub fn refresh_tokens(headers: &HeaderMap) -> Vec<String> {
    [APP_REFRESH_COOKIE, REFRESH_COOKIE]
        .into_iter()
        .filter_map(|name| cookie(headers, name).filter(|v| !v.is_empty()))
        .collect()
}

pub fn session_cookies(s: &AppState, tokens: &TokenPair) -> Vec<HeaderValue> {
    let refresh_age = s.flows.settings.refresh_ttl.as_secs();
    [
        set_cookie(s, ACCESS_COOKIE, &tokens.access_token, tokens.expires_in),
        set_cookie(s, REFRESH_COOKIE, &tokens.refresh_token, refresh_age),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub fn clear_cookies(s: &AppState) -> Vec<HeaderValue> {
    [
        set_cookie(s, ACCESS_COOKIE, "", 0),
        set_cookie(s, REFRESH_COOKIE, "", 0),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The signed-out pages keep speaking the language of the user who was signed in.
pub fn language_cookie(s: &AppState, principal: &Principal) -> Option<HeaderValue> {
    let lang = principal.user.locale_or(s.flows.settings.default_locale);
    set_cookie(s, LANGUAGE_COOKIE, lang.as_str(), 31_536_000)
}

pub fn with_cookies(mut response: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// Whether the browser holds a session (not whether it is still good).
pub fn has_session(headers: &HeaderMap) -> bool {
    [ACCESS_COOKIE, REFRESH_COOKIE]
        .iter()
        .any(|name| cookie(headers, name).is_some_and(|v| !v.is_empty()))
}
