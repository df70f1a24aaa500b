//! The JSON API (contract §3).

mod accounts;

use axum::{
    Router,
    routing::{get, post},
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
        .route("/me", get(accounts::me))
}
