//! The JSON API (contract §3).
//!
//! `routes()` is the one list of API routes: the router is built from it, and a test checks
//! that the OpenAPI document (`openapi.rs`) describes every entry. A rate limit is one
//! `.limited(Class::…)` on an entry.

mod accounts;
pub mod admin;
pub mod openapi;

use std::sync::Arc;

use axum::{
    Router,
    handler::Handler,
    middleware,
    routing::{MethodFilter, MethodRouter, on},
};

use super::{
    AppState,
    rate_limit::{self, Class, RouteLimit},
};

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
    pub limit: Option<Class>,
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

    /// Counts this route's requests against the class's limits (contract §2).
    pub fn limited(mut self, class: Class) -> Self {
        self.limit = Some(class);
        self
    }

    /// Adds the route to `router`, behind its rate limit when limits are on.
    pub fn mount(self, router: Router<AppState>, state: &AppState) -> Router<AppState> {
        let mut handler = self.handler;
        if let (Some(class), true) = (self.limit, state.flows.settings.rate_limit) {
            let limit = RouteLimit {
                limiter: Arc::clone(&state.limiter),
                class,
                route: self.path,
            };
            handler = handler.layer(middleware::from_fn_with_state(limit, rate_limit::enforce));
        }
        router.route(self.path, handler)
    }
}

use Method::{Get, Patch, Post};

/// Every route under `/api/v1`.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Post, "/register", accounts::register).limited(Class::Email),
        Route::new(Post, "/email/verify", accounts::verify_email).limited(Class::Link),
        Route::new(Post, "/email/verify/resend", accounts::resend_verification)
            .limited(Class::Email),
        Route::new(Post, "/login", accounts::login).limited(Class::Login),
        Route::new(Post, "/token/refresh", accounts::refresh).limited(Class::Refresh),
        Route::new(Post, "/logout", accounts::logout),
        Route::new(Get, "/me", accounts::me),
        Route::new(Post, "/admin/users", admin::create_user),
        Route::new(Get, "/admin/users", admin::list_users),
        Route::new(Get, "/admin/users/{id}", admin::show_user),
        Route::new(Patch, "/admin/users/{id}", admin::update_user),
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
