//! The JSON API (contract §3).

mod accounts;
mod me;

pub use me::user_json;

use axum::{
    Router,
    routing::{delete, get, post},
};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(accounts::register))
        .route("/email/verify", post(accounts::verify_email))
        .route("/email/verify/resend", post(accounts::resend_verification))
        .route("/login", post(accounts::login))
        .route("/token/refresh", post(accounts::refresh))
        .route("/logout", post(accounts::logout))
        .route("/password/forgot", post(accounts::forgot_password))
        .route("/password/reset", post(accounts::reset_password))
        .route(
            "/email/change/confirm",
            post(accounts::confirm_email_change),
        )
        .route("/email/change/revert", post(accounts::revert_email_change))
        .route("/me", get(me::me))
        .route("/me/password", post(me::change_password))
        .route(
            "/me/email",
            post(me::request_email_change).delete(me::cancel_email_change),
        )
        .route("/me/sessions", get(me::sessions))
        .route("/me/sessions/{id}", delete(me::revoke_session))
}
