//! The JSON API (contract §3).
//!
//! `routes()` is the one list of API routes: the router is built from it, and a test checks
//! that the OpenAPI document (`openapi.rs`) describes every entry. A per-IP rate limit is one
//! `.limited(LimitKey::…)` on an entry.

mod accounts;
mod admin;
mod me;
pub mod openapi;
mod passkeys;

use axum::{
    Router,
    handler::Handler,
    routing::{MethodFilter, MethodRouter, on},
};

use super::{AppState, rate_limit};
use crate::flows::LimitKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// One method on one path, with its rate limit if it has one.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub limit: Option<LimitKey>,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new<H, T>(method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Self {
            method,
            path,
            limit: None,
            handler: on(method.filter(), handler),
        }
    }

    /// Counts this route's requests against the key's per-IP limit (contract §2).
    pub fn limited(mut self, key: LimitKey) -> Self {
        self.limit = Some(key);
        self
    }

    /// Adds the route to `router`, behind its rate limit when limits are on.
    pub fn mount(self, router: Router<AppState>, state: &AppState) -> Router<AppState> {
        let handler = match self.limit {
            Some(key) => rate_limit::limited(self.handler, state, key, rate_limit::api_refusal),
            None => self.handler,
        };
        router.route(self.path, handler)
    }
}

use Method::{Delete, Get, Patch, Post};

/// Every route under `/api/v1`.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Post, "/register", accounts::register).limited(LimitKey::Register),
        Route::new(Post, "/email/verify", accounts::verify_email).limited(LimitKey::VerifyEmail),
        Route::new(Post, "/email/verify/resend", accounts::resend_verification)
            .limited(LimitKey::ResendVerification),
        Route::new(Post, "/login", accounts::login).limited(LimitKey::Login),
        Route::new(Post, "/login/mfa", accounts::login_mfa).limited(LimitKey::Login),
        Route::new(
            Post,
            "/login/mfa/passkey/options",
            accounts::login_mfa_passkey_options,
        )
        .limited(LimitKey::Login),
        Route::new(Post, "/login/email", accounts::sign_in_by_email).limited(LimitKey::SignInEmail),
        Route::new(Post, "/login/email/confirm", accounts::confirm_sign_in)
            .limited(LimitKey::SignInConfirm),
        Route::new(Post, "/token/refresh", accounts::refresh).limited(LimitKey::Refresh),
        Route::new(Post, "/logout", accounts::logout),
        Route::new(Post, "/password/forgot", accounts::forgot_password)
            .limited(LimitKey::ForgotPassword),
        Route::new(Post, "/password/reset", accounts::reset_password)
            .limited(LimitKey::ResetPassword),
        Route::new(
            Post,
            "/email/change/confirm",
            accounts::confirm_email_change,
        )
        .limited(LimitKey::ConfirmEmailChange),
        Route::new(Post, "/email/change/revert", accounts::revert_email_change)
            .limited(LimitKey::RevertEmailChange),
        Route::new(Get, "/me", me::me),
        Route::new(Patch, "/me", me::update_me),
        Route::new(Delete, "/me", me::delete_me),
        Route::new(Post, "/me/password", me::change_password),
        Route::new(Post, "/me/email", me::request_email_change),
        Route::new(Delete, "/me/email", me::cancel_email_change),
        Route::new(Get, "/me/sessions", me::sessions),
        Route::new(Delete, "/me/sessions/{id}", me::revoke_session),
        Route::new(Post, "/me/passkeys/options", passkeys::registration_options),
        Route::new(Post, "/me/passkeys", passkeys::register),
        Route::new(Get, "/me/passkeys", passkeys::list),
        Route::new(Patch, "/me/passkeys/{id}", passkeys::rename),
        Route::new(Delete, "/me/passkeys/{id}", passkeys::remove),
        Route::new(Post, "/login/passkey/options", passkeys::sign_in_options)
            .limited(LimitKey::Login),
        Route::new(Post, "/login/passkey", passkeys::sign_in).limited(LimitKey::Login),
        Route::new(Post, "/me/mfa/totp", me::start_totp),
        Route::new(Post, "/me/mfa/totp/confirm", me::confirm_totp),
        Route::new(Delete, "/me/mfa/totp", me::remove_totp),
        Route::new(Post, "/me/mfa/recovery-codes", me::renew_recovery_codes),
        Route::new(Post, "/admin/users", admin::create_user),
        Route::new(Get, "/admin/users", admin::list_users),
        Route::new(Get, "/admin/users/{id}", admin::show_user),
        Route::new(Patch, "/admin/users/{id}", admin::update_user),
        Route::new(Delete, "/admin/users/{id}", admin::delete_user),
        Route::new(Delete, "/admin/users/{id}/mfa", admin::reset_mfa),
        Route::new(
            Post,
            "/admin/users/{id}/verification-email",
            admin::send_verification,
        ),
        Route::new(Get, "/admin/outbox", admin::list_outbox),
        Route::new(Get, "/openapi.json", openapi::document),
    ]
}

pub fn router(state: &AppState) -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, route| route.mount(router, state))
}
