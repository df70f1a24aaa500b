//! Per-client request limits (contract §2): a sliding window over the last attempts of each
//! key, counted before the handler runs, so every attempt counts whatever its outcome.
//!
//! A sliding log, not a token bucket (such as `governor`'s GCRA): a bucket of 10 a minute lets
//! 10 through at once and then one every 6 s, so up to 19 in the first minute, where the
//! contract says 10 in any minute. Memory is bounded: idle keys are swept, and past
//! `MAX_KEYS` the least recently used ones go.
//!
//! Applying a limit to a route is one line in `api::routes()`: `.limited(Class::…)`.
//!
//! The limits keyed on an address (log-in per IP and address, and every check of a signed-in
//! user's password) are counted in the database, so that several processes behind one load
//! balancer give an attacker no more guesses than one. The per-IP limits stay in each
//! process's memory: with N processes a client may make up to N times as many requests, which
//! bounds load, not guesses.

use std::{
    collections::{HashMap, VecDeque},
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::MethodRouter,
};
use ipnet::IpNet;

use crate::{
    configuration::{Quota, RateLimits, Settings},
    domain::email::EmailAddress,
    error::Error,
    http::{AppState, BODY_LIMIT},
    storage::{Store, transaction},
};

/// Which limits a route takes; each route counts separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Per client IP and address, and per client IP (`login`).
    Login,
    /// Requests that send email (`register`, `email/verify/resend`, `password/forgot`).
    Email,
    /// Uses of a link token (`email/verify`, `password/reset`, `email/change/*`).
    Link,
    /// `token/refresh`.
    Refresh,
}

/// The key the log-in limits are counted under (`POST /api/v1/login` and the sign-in page).
pub const LOGIN_KEY: &str = "/login";

/// Keys kept at most; a key costs about `limit` × 8 bytes plus its name.
const MAX_KEYS: usize = 100_000;

pub struct RateLimiter {
    enabled: bool,
    quotas: RateLimits,
    trusted_proxies: Vec<IpNet>,
    state: Mutex<Windows>,
    epoch: Instant,
    /// Where the address-keyed limits are counted; `None` counts them in memory too.
    store: Option<Store>,
    /// When this process last swept old rows of the shared limits (Unix ms).
    last_shared_sweep: AtomicI64,
}

#[derive(Default)]
struct Windows {
    keys: HashMap<(&'static str, String), Window>,
    last_sweep_ms: u64,
}

struct Window {
    window_ms: u64,
    /// Times of the counted attempts within the window, oldest first.
    hits: VecDeque<u64>,
}

impl Window {
    fn prune(&mut self, now: u64) {
        while self.hits.front().is_some_and(|t| t + self.window_ms <= now) {
            self.hits.pop_front();
        }
    }

    fn last_hit(&self) -> u64 {
        self.hits.back().copied().unwrap_or(0)
    }
}

/// One limit to check: a route's counter for one subject (an IP, or an IP and an address).
struct Check {
    route: &'static str,
    subject: String,
    quota: Quota,
    /// Keyed on an address: counted in the database, over all processes.
    shared: bool,
}

impl RateLimiter {
    /// `store`: where the address-keyed limits are counted (`None`: in memory, as the others).
    pub fn new(settings: &Settings, store: Option<Store>) -> Self {
        Self {
            enabled: settings.rate_limit,
            quotas: settings.rate_limits,
            trusted_proxies: settings.trusted_proxies.clone(),
            state: Mutex::new(Windows::default()),
            epoch: Instant::now(),
            store,
            last_shared_sweep: AtomicI64::new(0),
        }
    }

    /// Counts one attempt against every check, or none if any is at its limit (`Ok(Err(wait))`):
    /// the process's own windows first, then the shared ones in the database. A database that
    /// cannot count is an error (503), never a free pass.
    async fn attempt_everywhere(&self, checks: &[Check]) -> Result<Result<(), Duration>, Error> {
        let Some(store) = &self.store else {
            return Ok(self.attempt(checks));
        };
        let (shared, local): (Vec<&Check>, Vec<&Check>) = checks.iter().partition(|c| c.shared);
        let now = self.now_ms();
        if let Err(wait) = self.attempt_refs(&local, now) {
            return Ok(Err(wait));
        }
        for check in shared {
            match self.take_shared(store, check).await {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    self.uncount(&local, now);
                    return Ok(Err(wait));
                }
                Err(e) => {
                    self.uncount(&local, now);
                    return Err(e);
                }
            }
        }
        Ok(Ok(()))
    }

    /// One attempt on a shared limit; `Some(wait)` when it is at its limit.
    async fn take_shared(&self, store: &Store, check: &Check) -> Result<Option<Duration>, Error> {
        use sha2::{Digest as _, Sha256};
        let subject = Sha256::new()
            .chain_update(check.route.as_bytes())
            .chain_update([0])
            .chain_update(check.subject.as_bytes())
            .finalize();
        let window_ms = crate::storage::ms(check.quota.window);
        let limit = i64::from(check.quota.limit);
        let now = crate::storage::now_ms();
        let wait = transaction!(store, |tx| {
            tx.take_rate_limit_hit(&subject, now, window_ms, limit)
                .await
        })?;
        // Subjects never tried again leave rows behind: once a minute, this process deletes
        // every row past the longest window.
        let last = self.last_shared_sweep.load(Ordering::Relaxed);
        if now - last > 60_000
            && self
                .last_shared_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let before = now - crate::storage::ms(self.quotas.login.window);
            if let Err(e) = async {
                store
                    .autocommit()
                    .await?
                    .sweep_rate_limit_hits(before)
                    .await
            }
            .await
            {
                tracing::warn!(error = %crate::error::Chain(&e), "cannot sweep old rate-limit rows");
            }
        }
        Ok(wait.map(|ms| Duration::from_millis(ms.max(0) as u64)))
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Counts one attempt against every check, or none if any is at its limit; then the answer
    /// is how long until the busiest one has room again.
    fn attempt(&self, checks: &[Check]) -> Result<(), Duration> {
        let checks: Vec<&Check> = checks.iter().collect();
        self.attempt_refs(&checks, self.now_ms())
    }

    fn attempt_refs(&self, checks: &[&Check], now: u64) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.sweep_if_due(now);
        let mut wait = 0u64;
        for check in checks {
            if let Some(window) = state.keys.get_mut(&(check.route, check.subject.clone())) {
                window.prune(now);
                if window.hits.len() >= check.quota.limit as usize {
                    let oldest = window.hits.front().copied().unwrap_or(now);
                    wait = wait.max(oldest + window.window_ms - now);
                }
            }
        }
        if wait > 0 {
            return Err(Duration::from_millis(wait));
        }
        for check in checks {
            state.make_room(now);
            let window_ms = check.quota.window.as_millis() as u64;
            state
                .keys
                .entry((check.route, check.subject.clone()))
                .or_insert_with(|| Window {
                    window_ms,
                    hits: VecDeque::new(),
                })
                .hits
                .push_back(now);
        }
        Ok(())
    }

    /// Takes back the attempt `attempt_refs` counted at `now` (another limit refused it).
    fn uncount(&self, checks: &[&Check], now: u64) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for check in checks {
            if let Some(window) = state.keys.get_mut(&(check.route, check.subject.clone()))
                && let Some(at) = window.hits.iter().rposition(|t| *t == now)
            {
                window.hits.remove(at);
            }
        }
    }

    /// Counts one check of a signed-in user's password (`POST /me/password`, `POST /me/email`,
    /// `DELETE /me` and their pages) as a log-in attempt for the account's address from this
    /// client: the same counters as `POST /login`, so a stolen access token or page cookie
    /// gives no more guesses than the log-in form. Call it before the password is checked;
    /// `Err` is 429 `rate_limited` with its `Retry-After`.
    pub async fn password_attempt(&self, ip: IpAddr, email_norm: &str) -> Result<(), Error> {
        if !self.enabled {
            return Ok(());
        }
        let checks = self.checks(Class::Login, LOGIN_KEY, ip, Some(email_norm));
        self.attempt_everywhere(&checks)
            .await?
            .map_err(|retry_after| {
                crate::telemetry::rate_limited(LOGIN_KEY);
                tracing::info!(route = LOGIN_KEY, "rate limited: password check");
                Error::RateLimited { retry_after }
            })
    }

    /// The client's IP: the socket's peer, or, when the peer is a trusted proxy, the right-most
    /// `X-Forwarded-For` entry that is not one (entries left of it are the client's to forge).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
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

    fn checks(
        &self,
        class: Class,
        route: &'static str,
        ip: IpAddr,
        address: Option<&str>,
    ) -> Vec<Check> {
        let ip = ip_key(ip);
        let one = |quota: Quota| Check {
            route,
            subject: ip.clone(),
            quota,
            shared: false,
        };
        match class {
            Class::Login => {
                let mut checks = vec![one(self.quotas.login_ip)];
                // Keyed on the address as typed (normalized), whether or not it has an account,
                // and only together with the IP: a stranger's burst cannot lock the owner out.
                if let Some(address) = address {
                    checks.push(Check {
                        route,
                        subject: format!("{ip} {address}"),
                        quota: self.quotas.login,
                        shared: true,
                    });
                }
                checks
            }
            Class::Email => vec![one(self.quotas.email)],
            Class::Link => vec![one(self.quotas.link)],
            Class::Refresh => vec![one(self.quotas.refresh)],
        }
    }
}

impl Windows {
    /// Drops idle keys at most once a minute: O(keys), amortized over all requests.
    fn sweep_if_due(&mut self, now: u64) {
        if now.saturating_sub(self.last_sweep_ms) < 60_000 {
            return;
        }
        self.last_sweep_ms = now;
        self.sweep(now);
    }

    fn sweep(&mut self, now: u64) {
        self.keys.retain(|_, w| w.last_hit() + w.window_ms > now);
    }

    /// Before adding a key at the cap: sweep, and if that is not enough, forget the tenth of
    /// the keys used longest ago (rare, so the sort is paid once per many inserts).
    fn make_room(&mut self, now: u64) {
        if self.keys.len() < MAX_KEYS {
            return;
        }
        self.sweep(now);
        if self.keys.len() < MAX_KEYS {
            return;
        }
        let mut ages: Vec<u64> = self.keys.values().map(Window::last_hit).collect();
        let cut = ages.len() / 10;
        let (_, threshold, _) = ages.select_nth_unstable(cut);
        let threshold = *threshold;
        self.keys.retain(|_, w| w.last_hit() > threshold);
    }
}

/// IPv6 clients usually hold a whole /64, so that is what one client is.
fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
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

/// Puts `handler` behind the limits of `class` (when limits are on), counted under `key`. A
/// page and the API route it mirrors share a key, so the two together get one allowance.
pub fn limited(
    handler: MethodRouter<AppState>,
    state: &AppState,
    class: Class,
    key: &'static str,
) -> MethodRouter<AppState> {
    if !state.flows.settings.rate_limit {
        return handler;
    }
    let limit = RouteLimit {
        limiter: Arc::clone(&state.limiter),
        class,
        route: key,
    };
    handler.layer(axum::middleware::from_fn_with_state(limit, enforce))
}

/// What the middleware needs for one route.
#[derive(Clone)]
pub struct RouteLimit {
    pub limiter: Arc<RateLimiter>,
    pub class: Class,
    pub route: &'static str,
}

/// The middleware: refuses with 429 `rate_limited` and `Retry-After` before the handler runs.
pub async fn enforce(State(limit): State<RouteLimit>, request: Request, next: Next) -> Response {
    let ip = limit
        .limiter
        .client_ip(peer_of(request.extensions()), request.headers());
    let (request, address) = if limit.class == Class::Login {
        match with_address(request).await {
            Ok(pair) => pair,
            Err(e) => return e.into_response(),
        }
    } else {
        (request, None)
    };
    let checks = limit
        .limiter
        .checks(limit.class, limit.route, ip, address.as_deref());
    match limit.limiter.attempt_everywhere(&checks).await {
        Ok(Ok(())) => next.run(request).await,
        Ok(Err(retry_after)) => {
            crate::telemetry::rate_limited(limit.route);
            tracing::info!(route = limit.route, "rate limited");
            Error::RateLimited { retry_after }.into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The socket's peer address of a request (unspecified if the server did not record it).
pub fn peer_of(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// Reads the body (JSON or a form) for its `email` field, normalized, and puts it back for the
/// handler.
async fn with_address(request: Request) -> Result<(Request, Option<String>), Error> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    // JSON from the API, a urlencoded form from the sign-in page.
    let address = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("email")?.as_str().map(normalize))
        .or_else(|| {
            url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "email")
                .map(|(_, v)| normalize(&v))
        });
    Ok((Request::from_parts(parts, Body::from(bytes)), address))
}

fn normalize(typed: &str) -> String {
    EmailAddress::parse(typed).map_or_else(
        |_| typed.trim().to_lowercase(),
        |e| e.normalized().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(proxies: &str) -> RateLimiter {
        let mut settings = Settings::defaults();
        settings.rate_limits.email = Quota {
            limit: 3,
            window: Duration::from_millis(200),
        };
        settings.trusted_proxies = proxies
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.parse().ok())
            .collect();
        RateLimiter::new(&settings, None)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn a_sliding_window_counts_every_attempt_and_frees_up() {
        let l = limiter("");
        let checks = l.checks(Class::Email, "register", ip("10.0.0.1"), None);
        for _ in 0..3 {
            assert!(l.attempt(&checks).is_ok());
        }
        let wait = l.attempt(&checks).err();
        assert!(
            wait.is_some_and(|w| w <= Duration::from_millis(200)),
            "{wait:?}"
        );
        // Another client and another route are untouched.
        assert!(
            l.attempt(&l.checks(Class::Email, "register", ip("10.0.0.2"), None))
                .is_ok()
        );
        assert!(
            l.attempt(&l.checks(Class::Email, "resend", ip("10.0.0.1"), None))
                .is_ok()
        );
        std::thread::sleep(Duration::from_millis(220));
        assert!(l.attempt(&checks).is_ok());
    }

    #[test]
    fn login_limits_per_address_and_ip_not_per_address_alone() {
        let l = limiter("");
        let attacker = l.checks(
            Class::Login,
            "login",
            ip("203.0.113.9"),
            Some("ann@example.com"),
        );
        for _ in 0..10 {
            assert!(l.attempt(&attacker).is_ok());
        }
        assert!(l.attempt(&attacker).is_err());
        // The owner, elsewhere, still gets in; the attacker may still try other addresses.
        let owner = l.checks(
            Class::Login,
            "login",
            ip("198.51.100.7"),
            Some("ann@example.com"),
        );
        assert!(l.attempt(&owner).is_ok());
        let other = l.checks(
            Class::Login,
            "login",
            ip("203.0.113.9"),
            Some("bob@example.com"),
        );
        assert!(l.attempt(&other).is_ok());
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
            limiter("").client_ip(ip("9.9.9.9"), &headers),
            ip("9.9.9.9")
        );
        // Through trusted proxies: the right-most untrusted entry.
        let l = limiter("10.0.0.0/8");
        assert_eq!(l.client_ip(ip("10.0.0.1"), &headers), ip("2.2.2.2"));
        headers.insert(
            "x-forwarded-for",
            "10.0.0.9".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(l.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.9"));
        headers.insert(
            "x-forwarded-for",
            "nonsense, 10.0.0.9"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(l.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.9"));
        headers.remove("x-forwarded-for");
        assert_eq!(l.client_ip(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_their_64() {
        assert_eq!(ip_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(ip_key(ip("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
        assert_eq!(ip_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn memory_is_bounded() {
        let l = limiter("");
        for i in 0..(MAX_KEYS + 10) {
            let subject = format!("k{i}");
            let _ = l.attempt(&[Check {
                route: "register",
                subject,
                quota: Quota {
                    limit: 5,
                    window: Duration::from_secs(60),
                },
                shared: false,
            }]);
        }
        let keys = l.state.lock().map(|s| s.keys.len()).unwrap_or(usize::MAX);
        assert!(keys <= MAX_KEYS, "{keys}");
    }
}
