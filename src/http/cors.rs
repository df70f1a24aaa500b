//! CORS for `/api/v1/*` only (contract §9), with tower-http's `CorsLayer`. The pages and
//! `/dev/*` are never wrapped, so they never answer with CORS headers.
//!
//! Two things `CorsLayer` does not do the contract's way, fixed around it: it adds
//! `Access-Control-Allow-Methods` and `-Headers` to every preflight, whatever the origin (the
//! contract: no CORS header for other origins), and answers preflights 200 (the contract: 204).

use axum::{
    Router,
    extract::Request,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::{Layer as _, ServiceExt as _};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::AppState;

/// Where CORS applies: the JSON API.
const SCOPE: &str = "/api/v1";

/// Adds CORS for `origins` to the `/api/v1` part of `app`; `app` unchanged when there are none.
/// Applied around the whole router (not to the nested API router) so that it also covers the
/// method-not-allowed answers the top-level router makes for API paths.
/// `credentials`: `LATCHKEY_REFRESH_COOKIE=on`, the one case the API uses a cookie (§12).
pub fn scoped(app: Router<AppState>, origins: &[String], credentials: bool) -> Router<AppState> {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if allowed.is_empty() {
        return app;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed.clone()))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(super::refresh_cookie::HEADER),
        ])
        // A 429's `Retry-After` tells a script when to try again (contract §2).
        .expose_headers([header::RETRY_AFTER])
        // Only the refresh cookie needs credentials; without it the API uses no cookies.
        .allow_credentials(credentials);
    app.layer(middleware::from_fn(move |request: Request, next: Next| {
        let allowed = allowed.clone();
        let layer = layer.clone();
        async move {
            let path = request.uri().path();
            if path == SCOPE || path.starts_with("/api/v1/") {
                only_for_allowed_origins(&allowed, layer, request, next).await
            } else {
                next.run(request).await
            }
        }
    }))
}

async fn only_for_allowed_origins(
    allowed: &[HeaderValue],
    layer: CorsLayer,
    request: Request,
    next: Next,
) -> Response {
    let from_allowed = request
        .headers()
        .get(header::ORIGIN)
        .is_some_and(|o| allowed.contains(o));
    let options = request.method() == Method::OPTIONS;
    let mut response = match layer.layer(next).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
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
    response.into_response()
}
