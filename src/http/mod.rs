//! HTTP: the JSON API under `/api/v1`, the HTML pages, and the operational endpoints. Handlers
//! only translate between HTTP and the flows.

pub mod api;
mod cors;
pub mod pages;
pub mod problem;
pub mod rate_limit;
pub mod refresh_cookie;
pub mod rejection;
pub mod server;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, State},
    http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, Uri, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    error::Error,
    flows::{Client, Flows, PendingEmail, Principal},
    storage::Store,
};

pub const BODY_LIMIT: usize = 64 * 1024;
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct AppState {
    pub flows: Arc<Flows>,
    /// Set only when no SMTP is configured (contract §7).
    pub dev_mailbox: Option<Store>,
    /// The page templates and the message catalogue.
    pub pages: Arc<pages::Pages>,
}

/// The operational endpoints outside `/api/v1` (in the OpenAPI document too). `/metrics` is
/// not one of them: it is served on its own listener (`metrics_router`).
pub fn ops_routes() -> Vec<api::Route> {
    use api::{Method::Get, Route};
    vec![
        Route::new(Get, "/healthz", healthz),
        Route::new(Get, "/readyz", readyz),
        Route::new(Get, "/.well-known/jwks.json", jwks),
    ]
}

/// `/metrics` alone, for `LATCHKEY_METRICS_LISTEN`. Its counters follow what users ask for
/// (emails sent by kind tell whether a `forgot` hit an account), so they are kept off the
/// public listener, where one proxy rule forgotten would publish them.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .fallback(|| async { Error::NotFound })
        .with_state(state)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest(
            "/api/v1",
            cors::scoped(
                api::router(&state),
                &state.flows.settings.cors_origins,
                state.flows.settings.refresh_cookie,
            ),
        )
        .merge(pages::router(&state));
    for route in ops_routes() {
        app = route.mount(app, &state);
    }
    if state.dev_mailbox.is_some() {
        app = app.merge(pages::security_headers(
            pages::dev_mailbox::router(),
            state.pages.brand_csp(),
        ));
    }
    let request_id = REQUEST_ID.clone();
    // Behind https, browsers are told to come back over https only.
    let hsts = (state.flows.settings.public_url.scheme() == "https").then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        )
    });
    let cors_origins = state.flows.settings.cors_origins.clone();
    let credentials = state.flows.settings.refresh_cookie;
    let app = app
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    cors::scoped(app, &cors_origins, credentials)
        // Inside the router, so that the matched route (not the raw URI) is known.
        .layer(middleware::from_fn(track_requests))
        .with_state(state)
        // A body's deadline (`LATCHKEY_HTTP_BODY_TIMEOUT` after its head) is kept by the
        // server loop (`server::SharedBody`), whatever reads it.
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
        // Outermost, so that every answer gets them, errors and 429s included.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(tower::util::option_layer(hsts))
}

/// No route: a page for a browser on a page path (contract §8), problem+json otherwise.
async fn not_found(State(s): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    pages::unrouted(&s, &headers, &uri, StatusCode::NOT_FOUND)
        .unwrap_or_else(|| Error::NotFound.into_response())
}

/// A method the path does not take (`GET /logout`): likewise.
async fn method_not_allowed(State(s): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    pages::unrouted(&s, &headers, &uri, StatusCode::METHOD_NOT_ALLOWED)
        .unwrap_or_else(|| rejection::Refusal::MethodNotAllowed.into_response())
}

/// An answer that carries tokens (log-in, refresh): no cache may store it (RFC 6749 §5.1).
/// A wrapper rather than a function, so that the handler's type still names its body.
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

/// Counts every request by method, matched route and status, and times it. Requests that
/// match no route are `unmatched`: raw paths would let clients grow the metrics without bound.
async fn track_requests(request: axum::extract::Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    // Clients may send any method token; only the standard ones become label values.
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    crate::telemetry::request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database answers and every migration is applied", body = String, content_type = "text/plain"),
        (status = 503, description = "`busy`: not ready", body = crate::views::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, Error> {
    let check = state.flows.store.ping();
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => Ok("ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            Err(Error::Busy)
        }
        Err(_) => Err(Error::Busy),
    }
}

/// Prometheus text format: requests by route and status, latencies, outbox messages by status,
/// emails sent, failed and dead by kind, password-hashing slot waits, database connections in
/// use, idle and waited for. 503 `busy` when the recorder is not installed in this process.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, Error> {
    let handle = crate::telemetry::handle().ok_or(Error::Busy)?;
    // The outbox gauge is read now, so it is as fresh as the scrape; a slow database only
    // leaves it as it was.
    let counts = tokio::time::timeout(Duration::from_secs(2), state.flows.outbox_counts()).await;
    if let Ok(Ok(counts)) = counts {
        for (status, n) in counts {
            crate::telemetry::outbox_depth(status.as_str(), n);
        }
    }
    crate::telemetry::log_lines_dropped(crate::logging::dropped_lines());
    let pool = state.flows.store.pool_stats();
    crate::telemetry::database_pool(pool.in_use, pool.idle, pool.max, pool.waiting);
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// How long verifiers may cache the key set. A rotation deploys the new key and signs with it
/// at once; verifiers that meet an unknown `kid` refetch (PyJWT, jose and most libraries do).
const JWKS_MAX_AGE: &str = "public, max-age=300";

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "operations",
    responses((status = 200, description = "The JWK Set (RFC 7517) that verifies access tokens: the key of the current secret and, while `LATCHKEY_SECRET_PREVIOUS` is set, the previous one's. Cacheable for 5 minutes.", body = crate::domain::access::JwkSet, content_type = "application/json")))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = axum::Json(state.flows.access.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(JWKS_MAX_AGE),
    );
    response
}

/// An authenticated request: `Authorization: Bearer <access token>` of a live session.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        state.flows.authenticate(bearer(parts)?).await.map(Auth)
    }
}

/// `Auth` with the user's pending email change, read with it: for `GET /me`.
pub struct AuthWithPendingEmail(pub Principal, pub Option<PendingEmail>);

impl FromRequestParts<AppState> for AuthWithPendingEmail {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let (principal, pending) = state
            .flows
            .authenticate_with_pending_email(bearer(parts)?)
            .await?;
        Ok(Self(principal, pending))
    }
}

/// The access token of `Authorization: Bearer <token>`.
fn bearer(parts: &Parts) -> Result<&str, Error> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(Error::Unauthorized)
}

/// The client of a request as the flows are told it: its IP as the rate limits see it (the
/// peer, or what trusted proxies say) and its `User-Agent`.
impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(rate_limit::client_of(
            state,
            &parts.headers,
            &parts.extensions,
        ))
    }
}

pub fn user_agent(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

pub fn accept_language(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}
