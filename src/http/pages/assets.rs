//! The files every page loads: one small stylesheet, served under a content hash with a long
//! cache, and the favicon; and the Content-Security-Policy pages and assets send.

use std::sync::LazyLock;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

pub(super) const STYLESHEET: &str = include_str!("../../../templates/pages/style.css");
const PASSKEY_SCRIPT: &str = include_str!("../../../templates/pages/passkeys.js");
const PAGES_SCRIPT: &str = include_str!("../../../templates/pages/pages.js");
const FAVICON: &[u8] = include_bytes!("../../../templates/pages/favicon.ico");

/// `/assets/style-HASH.css`: a new stylesheet gets a new URL, so the old one may be cached
/// for a year.
pub static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/assets/style-{hash}.css")
});

/// `/assets/passkeys-HASH.js`: the pages' one script, the WebAuthn calls of /login and
/// /account (contract §8: the only JavaScript), hashed like the stylesheet.
pub static PASSKEY_SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(PASSKEY_SCRIPT.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/assets/passkeys-{hash}.js")
});

/// `/assets/pages-HASH.js`: what every page adds when scripts run (the show-password button, a
/// signed-in page asked for again when Back brings it from the browser's cache); the pages work
/// without it.
pub static PAGES_SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(PAGES_SCRIPT.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/assets/pages-{hash}.js")
});

/// Every page: no framing, no inline script or style (the stylesheet and the passkey script
/// are files of their own), scripts only from here and calling only here, forms post only
/// here, nothing loaded from elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The stylesheet and the favicon.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(STYLESHEET_PATH.as_str(), get(stylesheet))
        .route(PASSKEY_SCRIPT_PATH.as_str(), get(passkey_script))
        .route(PAGES_SCRIPT_PATH.as_str(), get(pages_script))
        .route("/favicon.ico", get(favicon))
}

/// The Content-Security-Policy every page and asset sends (unless it set a stricter one, like
/// the dev mailbox's sandboxed email view). `nosniff` is set for every answer in `http::router`.
pub fn security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    csp: HeaderValue,
) -> Router<S> {
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        csp,
    ))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn passkey_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        PASSKEY_SCRIPT,
    )
        .into_response()
}

async fn pages_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        PAGES_SCRIPT,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        FAVICON,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_url_carries_its_hash() {
        assert!(STYLESHEET_PATH.starts_with("/assets/style-"));
        assert_eq!(STYLESHEET_PATH.len(), "/assets/style-.css".len() + 12);
    }
}
