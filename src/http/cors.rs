//! CORS for `/api/v1/*` only (contract §9), with tower-http's `CorsLayer`. The pages and
//! `/dev/*` are never wrapped, so they never answer with CORS headers.
//!
//! Two things `CorsLayer` does not do the contract's way, fixed around it: it adds
//! `Access-Control-Allow-Methods` and `-Headers` to every preflight, whatever the origin (the
//! contract: no CORS header for other origins), and answers preflights 200 (the contract: 204).

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::AppState;

/// The API router, answering CORS for `origins`; unchanged when there are none.
pub fn scoped(api: Router<AppState>, origins: &[String]) -> Router<AppState> {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if allowed.is_empty() {
        return api;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed.clone()))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // The API uses no cookies: credentials are never allowed.
        .allow_credentials(false);
    api.layer(layer)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let allowed = allowed.clone();
            async move { only_for_allowed_origins(&allowed, request, next).await }
        }))
}

async fn only_for_allowed_origins(
    allowed: &[HeaderValue],
    request: Request,
    next: Next,
) -> Response {
    let from_allowed = request
        .headers()
        .get(header::ORIGIN)
        .is_some_and(|o| allowed.contains(o));
    let options = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    if !from_allowed {
        let cors: Vec<_> = response
            .headers()
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in cors {
            response.headers_mut().remove(name);
        }
    }
    // Every OPTIONS is answered by the CORS layer itself, with an empty body.
    if options && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}
