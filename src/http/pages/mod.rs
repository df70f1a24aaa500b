//! Server-rendered pages (contract §8), one room each:
//!
//! - `router`: every page's route, its rate limit, CSRF protection and headers
//! - `render`: the template engine (`Pages`) and the shapes of a page (a result, a form)
//! - `visitor`: who is looking (language, signed in or not); `cookies`: the pages' cookies
//! - `forms`: form view-models, the problem a form shows and how its page answers (plain
//!   values that `render` and `explain` use); `explain`: what a page says about an error
//! - `signed_out`: sign-up, resend, forgotten password; `codes`: the "enter the code" forms;
//!   `links`: the pages a link in an email opens; `account`: log-in and the account page
//! - `assets`: the stylesheet and favicon; `device`: "Chrome on Linux" for the sessions list
//! - `dev_mailbox`: the dev mailbox (contract §7)
//!
//! Every page speaks the visitor's language; the words come from the message catalogue
//! (`crate::i18n`).

mod account;
mod assets;
mod brand;
mod codes;
pub(crate) mod cookies;
pub mod dev_mailbox;
mod device;
mod explain;
mod forms;
mod links;
mod render;
mod router;
mod sign_in;
mod signed_out;
mod verified;
mod visitor;

pub use assets::{PAGE_CSP, STYLESHEET_PATH, security_headers};
pub use render::{PageTemplateError, Pages};
pub use router::router;
pub use visitor::Visitor;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::Response,
};

/// The page for a browser that asked for a path no route has (404) or with a method the path
/// does not take (405): `None` for the API, the operational endpoints, and clients that do not
/// ask for HTML, which get problem+json as before.
pub fn unrouted(
    s: &crate::http::AppState,
    headers: &HeaderMap,
    uri: &Uri,
    status: StatusCode,
) -> Option<Response> {
    let path = uri.path();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !wants_html
        || path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/.well-known/")
    {
        return None;
    }
    let visitor = Visitor::from_request(s, headers, uri);
    let mut page = explain::no_such_page(&s.pages, &visitor, status);
    let h = page.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, s.pages.brand.csp.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Some(page)
}
