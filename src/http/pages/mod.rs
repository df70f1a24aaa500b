//! Server-rendered pages (contract §8). Pages that carry a token never consume it on `GET`:
//! they show a button that `POST`s, so mail scanners that open links spend nothing.

pub mod dev_mailbox;

use std::sync::LazyLock;

use axum::{
    Form, Router,
    extract::{
        Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use tower_http::csrf::CsrfLayer;

use super::AppState;
use crate::error::Error;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` names: minijinja escapes every value in them.
    for (name, source) in [
        (
            "base.html",
            include_str!("../../../templates/pages/base.html"),
        ),
        (
            "link.html",
            include_str!("../../../templates/pages/link.html"),
        ),
        (
            "result.html",
            include_str!("../../../templates/pages/result.html"),
        ),
        (
            "mailbox.html",
            include_str!("../../../templates/pages/mailbox.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(name, error = %e, "built-in page template does not parse");
        }
    }
    env
});

pub fn render(name: &str, values: Value) -> Response {
    match PAGES.get_template(name).and_then(|t| t.render(values)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => Error::internal(format!("page {name}: {e}")).into_response(),
    }
}

/// Headers for pages whose URL or form holds a token: it must not leak to other sites through
/// the Referer, nor stay in a cache.
fn token_page(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub fn router(state: &AppState) -> Router<AppState> {
    let public = state
        .flows
        .settings
        .public_url
        .origin()
        .ascii_serialization();
    let csrf = CsrfLayer::new();
    let csrf = match csrf.clone().add_trusted_origin(&public) {
        Ok(layer) => layer,
        Err(_) => csrf,
    };
    Router::new()
        .route(
            "/verify-email",
            get(verify_email_page).post(verify_email_submit),
        )
        .layer(csrf)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// A query that does not parse (`?token=a&token=b`) is a link without a usable token: the page
/// says so, rather than axum's plain-text rejection.
async fn verify_email_page(query: Result<Query<TokenQuery>, QueryRejection>) -> Response {
    let q = query.map_or(TokenQuery { token: None }, |Query(q)| q);
    token_page(render(
        "link.html",
        context! {
            title => "Verify your email address",
            explanation => "Press the button to confirm this email address and activate your account.",
            button => "Verify my email address",
            action => "/verify-email",
            token => q.token,
        },
    ))
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
}

async fn verify_email_submit(
    State(s): State<AppState>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    let values = match s.flows.verify_email(&token).await {
        Ok(email) => context! {
            title => "Email address verified",
            message => format!("{email} is verified. You can sign in now."),
            next_url => "/login", next_label => "Sign in",
        },
        Err(e) => failure(
            "Email address not verified",
            &e,
            "/resend-verification",
            "Send a new link",
        ),
    };
    token_page(render("result.html", values))
}

/// A result page for a failed link, in words a person understands.
fn failure(title: &str, e: &Error, next_url: &str, next_label: &str) -> Value {
    let message = match e {
        Error::TokenExpired => "This link has expired.".to_owned(),
        Error::TokenUsed => "This link has already been used.".to_owned(),
        Error::TokenInvalid => {
            "This link is not valid any more: a newer link may have replaced it.".to_owned()
        }
        other if other.status().is_server_error() => {
            "Something went wrong on our side. Try again later.".to_owned()
        }
        other => other.to_string(),
    };
    context! { title, message, failed => true, next_url, next_label }
}
