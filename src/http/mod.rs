//! HTTP: the JSON API under `/api/v1`, the HTML pages, and the operational endpoints. Handlers
//! only translate between HTTP and the flows.

pub mod api;
pub mod pages;
pub mod problem;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequestParts, State},
    http::{HeaderName, Request, header, request::Parts},
    response::IntoResponse,
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    domain::flows::{Flows, Principal},
    error::Error,
    storage::Store,
};

pub const BODY_LIMIT: usize = 64 * 1024;
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct AppState {
    pub flows: Arc<Flows>,
    /// Set only when no SMTP is configured (contract §7).
    pub dev_mailbox: Option<Store>,
}

pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest("/api/v1", api::router())
        .merge(pages::router(&state))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.dev_mailbox.is_some() {
        app = app.merge(pages::dev_mailbox::router());
    }
    let request_id = REQUEST_ID.clone();
    app.fallback(|| async { Error::NotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                        // The path only: query strings carry link tokens.
                        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| Error::internal("panic while handling the request").into_response())),
        )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, Error> {
    let check = async { state.flows.store.read().await?.ping().await };
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => Ok("ready"),
        _ => Err(Error::Busy),
    }
}

/// An authenticated request: `Authorization: Bearer <access token>` of a live session.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(Error::Unauthorized)?;
        state.flows.authenticate(bearer).await.map(Auth)
    }
}

pub fn user_agent(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

/// Stored milliseconds as RFC 3339, as every time in the API is written.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
