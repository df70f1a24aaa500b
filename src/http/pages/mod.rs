//! Server-rendered pages (contract §8). Pages that carry a token never consume it on `GET`:
//! they show a button that `POST`s, so mail scanners that open links spend nothing.

mod account;
mod codes;
pub mod dev_mailbox;
mod forms;

use std::sync::LazyLock;

use axum::{
    Form, Router,
    extract::{
        Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use tower_http::{csrf::CsrfLayer, set_header::SetResponseHeaderLayer};

use super::{
    AppState,
    rate_limit::{self, Class},
};
use crate::{domain::flows::ConfirmOutcome, error::Error};

/// The page templates, built in.
const PAGE_TEMPLATES: &[(&str, &str)] = &[
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
        "form.html",
        include_str!("../../../templates/pages/form.html"),
    ),
    (
        "account.html",
        include_str!("../../../templates/pages/account.html"),
    ),
    (
        "mailbox.html",
        include_str!("../../../templates/pages/mailbox.html"),
    ),
];

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` names: minijinja escapes every value in them, the way the emails are escaped.
    env.set_formatter(crate::mail::templates::escape_html_text);
    for (name, source) in PAGE_TEMPLATES {
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
    // Every form that the API has a twin of counts against the same limit, under the API
    // route's key: a page is no way around the limits.
    let limit = |handler, class, key| rate_limit::limited(handler, state, class, key);
    Router::new()
        .route(
            "/login",
            get(account::login_page).merge(limit(
                post(account::login_submit),
                Class::Login,
                "/login",
            )),
        )
        .route("/logout", post(account::logout))
        .route("/account", get(account::account_page))
        .route("/account/email", post(account::change_email))
        .route("/account/email/cancel", post(account::cancel_email_change))
        .route("/account/password", post(account::change_password))
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route(
            "/register",
            get(forms::register_page).merge(limit(
                post(forms::register_submit),
                Class::Email,
                "/register",
            )),
        )
        .route(
            "/resend-verification",
            get(forms::resend_page).merge(limit(
                post(forms::resend_submit),
                Class::Email,
                "/email/verify/resend",
            )),
        )
        .route(
            "/forgot-password",
            get(forms::forgot_page).merge(limit(
                post(forms::forgot_submit),
                Class::Email,
                "/password/forgot",
            )),
        )
        .route(
            "/verify-email",
            get(verify_email_page).merge(limit(
                post(verify_email_submit),
                Class::Link,
                "/email/verify",
            )),
        )
        .route(
            codes::VERIFY_CODE_PAGE,
            get(codes::verify_code_page).merge(limit(
                post(codes::verify_code_submit),
                Class::Link,
                "/email/verify",
            )),
        )
        .route(
            codes::RESET_CODE_PAGE,
            get(codes::reset_code_page).merge(limit(
                post(codes::reset_code_submit),
                Class::Link,
                "/password/reset",
            )),
        )
        .route(
            "/reset-password",
            get(reset_password_page).merge(limit(
                post(reset_password_submit),
                Class::Link,
                "/password/reset",
            )),
        )
        .route(
            "/confirm-email-change",
            get(confirm_email_change_page).merge(limit(
                post(confirm_email_change_submit),
                Class::Link,
                "/email/change/confirm",
            )),
        )
        .route(
            "/revert-email-change",
            get(revert_email_change_page).merge(limit(
                post(revert_email_change_submit),
                Class::Link,
                "/email/change/revert",
            )),
        )
        .layer(csrf)
        // Pages carry tokens in their URL or form: they must leak neither to other sites
        // through the Referer nor into a cache, and are never framed.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
}

/// The pages' Content-Security-Policy, set here for every page at once: no scripts at all,
/// nothing loaded from elsewhere, forms post only to this origin, and no framing by any site.
/// Styles may be inline because the page templates carry their stylesheet in a `<style>`.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The query of a link page. One that does not parse (`?token=a&token=b`) is a link without a
/// usable token: the page says so, rather than axum's plain-text rejection.
type LinkQuery = Result<Query<TokenQuery>, QueryRejection>;

/// The page a link opens: it explains and offers a button; only the button's `POST` acts.
fn link_page(
    query: LinkQuery,
    action: &str,
    title: &str,
    explanation: &str,
    button: &str,
) -> Response {
    let q = query.map_or(TokenQuery { token: None }, |Query(q)| q);
    let password_field = action == "/reset-password";
    // Where the email also carries a code, a page without a token offers the code form.
    let code_url = match action {
        "/verify-email" => Some(codes::VERIFY_CODE_PAGE),
        "/reset-password" => Some(codes::RESET_CODE_PAGE),
        _ => None,
    };
    render(
        "link.html",
        context! { title, explanation, button, action, token => q.token, password_field, code_url },
    )
}

async fn verify_email_page(query: LinkQuery) -> Response {
    link_page(
        query,
        "/verify-email",
        "Verify your email address",
        "Press the button to confirm this email address and activate your account.",
        "Verify my email address",
    )
}

async fn reset_password_page(query: LinkQuery) -> Response {
    link_page(
        query,
        "/reset-password",
        "Choose a new password",
        "Setting a new password signs you out everywhere.",
        "Set the new password",
    )
}

async fn confirm_email_change_page(query: LinkQuery) -> Response {
    link_page(
        query,
        "/confirm-email-change",
        "Confirm the change of email address",
        "Press the button to confirm. The address changes once every confirmation is in.",
        "Confirm",
    )
}

async fn revert_email_change_page(query: LinkQuery) -> Response {
    link_page(
        query,
        "/revert-email-change",
        "Undo the change of email address",
        "Your account gets its previous address back, every session is signed out, and a link to choose a new password is sent to that address.",
        "Undo the change",
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
    new_password: Option<String>,
}

type LinkForm = Result<Form<TokenForm>, FormRejection>;

fn form_fields(form: LinkForm) -> (String, String) {
    form.map(|Form(f)| (f.token, f.new_password.unwrap_or_default()))
        .unwrap_or_default()
}

async fn verify_email_submit(State(s): State<AppState>, form: LinkForm) -> Response {
    let (token, _) = form_fields(form);
    let values = match s.flows.verify_email(&token).await {
        Ok(email) => success(
            "Email address verified",
            format!("{email} is verified. You can sign in now."),
            "/login",
            "Sign in",
        ),
        Err(e) => failure(
            "Email address not verified",
            &e,
            "/resend-verification",
            "Send a new link",
        ),
    };
    render("result.html", values)
}

async fn reset_password_submit(State(s): State<AppState>, form: LinkForm) -> Response {
    let (token, password) = form_fields(form);
    let values = match s.flows.reset_password(&token, password).await {
        Ok(()) => success(
            "Password changed",
            "Your new password is set and every session was signed out.".into(),
            "/login",
            "Sign in",
        ),
        Err(e) => failure(
            "Password not changed",
            &e,
            "/forgot-password",
            "Ask for a new link",
        ),
    };
    render("result.html", values)
}

async fn confirm_email_change_submit(State(s): State<AppState>, form: LinkForm) -> Response {
    let (token, _) = form_fields(form);
    let values = match s.flows.confirm_email_change(&token).await {
        Ok(ConfirmOutcome::Changed(email)) => success(
            "Email address changed",
            format!("Your account's address is now {email}."),
            "/login",
            "Sign in",
        ),
        Ok(ConfirmOutcome::AwaitingOtherConfirmation) => success(
            "Confirmation received",
            "Thank you. The change applies once the other address confirms too.".into(),
            "/account",
            "Your account",
        ),
        Err(e) => failure("Email address not changed", &e, "/account", "Your account"),
    };
    render("result.html", values)
}

async fn revert_email_change_submit(State(s): State<AppState>, form: LinkForm) -> Response {
    let (token, _) = form_fields(form);
    let values = match s.flows.revert_email_change(&token).await {
        Ok(email) => success(
            "Change undone",
            format!(
                "Your account's address is {email} again. We sent a link to choose a new password there."
            ),
            "/login",
            "Sign in",
        ),
        Err(e) => failure("Change not undone", &e, "/login", "Sign in"),
    };
    render("result.html", values)
}

pub(super) fn success(title: &str, message: String, next_url: &str, next_label: &str) -> Value {
    context! { title, message, next_url, next_label }
}

/// A result page for a failed link, in words a person understands.
fn failure(title: &str, e: &Error, next_url: &str, next_label: &str) -> Value {
    let message = match e {
        Error::TokenExpired => "This link has expired.".to_owned(),
        Error::TokenUsed => "This link has already been used.".to_owned(),
        Error::TokenInvalid => {
            "This link is not valid any more: a newer link may have replaced it.".to_owned()
        }
        Error::EmailTaken => {
            "That email address now belongs to another account, so the change cannot be made."
                .to_owned()
        }
        other if other.status().is_server_error() => {
            "Something went wrong on our side. Try again later.".to_owned()
        }
        other => other.to_string(),
    };
    context! { title, message, failed => true, next_url, next_label }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_template_parses() {
        for (name, _) in PAGE_TEMPLATES {
            assert!(PAGES.get_template(name).is_ok(), "{name}");
        }
    }
}
