//! The per-client-IP request limits (contract §2) as HTTP middleware: a route is limited by one
//! `LimitKey`, counted before its handler runs, so every attempt counts whatever its outcome.
//! The limits keyed on an address are not here: the flows count them with the parsed address
//! (`flows::limits`).
//!
//! Applying a limit to a route is one line: `.limited(LimitKey::…)` in `api::routes()`, or
//! `limited(…)` in the pages' router, which answer a refusal in their own way.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use ipnet::IpNet;

use crate::{
    error::Error,
    flows::{Client, LimitKey},
    http::AppState,
};

/// How a route answers a request over its limit, given how long until there is room again:
/// problem+json on the API (`api_refusal`), a page on the pages.
pub type Refuse = fn(&AppState, &Request, Duration) -> Response;

/// The API's answer: 429 `rate_limited` with `Retry-After`.
pub fn api_refusal(_: &AppState, _: &Request, retry_after: Duration) -> Response {
    Error::RateLimited { retry_after }.into_response()
}

/// Puts `handler` behind the per-IP limit of `key` (when limits are on).
pub fn limited(
    handler: MethodRouter<AppState>,
    state: &AppState,
    key: LimitKey,
    refuse: Refuse,
) -> MethodRouter<AppState> {
    if !state.flows.limiter.enabled() {
        return handler;
    }
    let limit = RouteLimit {
        state: state.clone(),
        key,
        refuse,
    };
    handler.layer(axum::middleware::from_fn_with_state(limit, enforce))
}

/// What the middleware needs for one route.
#[derive(Clone)]
struct RouteLimit {
    state: AppState,
    key: LimitKey,
    refuse: Refuse,
}

/// The middleware: refuses before the handler runs.
async fn enforce(State(limit): State<RouteLimit>, request: Request, next: Next) -> Response {
    let client = client_of(&limit.state, request.headers(), request.extensions());
    match limit.state.flows.limiter.per_ip(limit.key, client.ip) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => (limit.refuse)(&limit.state, &request, retry_after),
    }
}

/// The client of a request, as the flows are told it.
pub fn client_of(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Client {
    let trusted = &state.flows.settings.trusted_proxies;
    Client {
        ip: client_ip(trusted, peer_of(extensions), headers),
        user_agent: super::user_agent(headers).map(str::to_owned),
    }
}

/// The socket's peer address of a request (unspecified if the server did not record it).
pub fn peer_of(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// The client's IP: the socket's peer, or, when the peer is a trusted proxy, the right-most
/// `X-Forwarded-For` entry that is not one (entries left of it are the client's to forge).
pub fn client_ip(trusted_proxies: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted(&ip) => client = ip,
            Some(ip) => return ip,
            // A malformed entry was not written by a trusted proxy: stop at the last good hop.
            None => return client,
        }
    }
    client
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(proxies: &str) -> Vec<IpNet> {
        proxies
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn the_client_ip_comes_from_trusted_proxies_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "1.1.1.1, 2.2.2.2, 10.0.0.5"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        // Not through a trusted proxy: the header is the client's to forge.
        assert_eq!(
            client_ip(&trusted(""), ip("9.9.9.9"), &headers),
            ip("9.9.9.9")
        );
        // Through trusted proxies: the right-most untrusted entry.
        let l = trusted("10.0.0.0/8");
        assert_eq!(client_ip(&l, ip("10.0.0.1"), &headers), ip("2.2.2.2"));
        headers.insert(
            "x-forwarded-for",
            "10.0.0.9".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(client_ip(&l, ip("10.0.0.1"), &headers), ip("10.0.0.9"));
        headers.insert(
            "x-forwarded-for",
            "nonsense, 10.0.0.9"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(client_ip(&l, ip("10.0.0.1"), &headers), ip("10.0.0.9"));
        headers.remove("x-forwarded-for");
        assert_eq!(client_ip(&l, ip("10.0.0.1"), &headers), ip("10.0.0.1"));
    }
}
