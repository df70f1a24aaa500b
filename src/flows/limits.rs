//! Limits on attempts (contract §2): a sliding window over the last attempts of each key, so
//! every attempt counts whatever its outcome.
//!
//! A sliding log, not a token bucket (such as `governor`'s GCRA): a bucket of 10 a minute lets
//! 10 through at once and then one every 6 s, so up to 19 in the first minute, where the
//! contract says 10 in any minute. Memory is bounded: idle keys are swept, and past
//! `MAX_KEYS` the least recently used ones go.
//!
//! Two kinds of limit, applied where what they are keyed on is known:
//! - per client IP, one for each `LimitKey`: the HTTP layer counts them before a handler runs
//!   (`per_ip`), in each process's memory. With N processes a client may make up to N times as
//!   many requests, which bounds load, not guesses.
//! - per client IP and address (log-in, and every check of a signed-in user's password): the
//!   flows count them with the parsed address, in the database, so that several processes
//!   behind one load balancer give an attacker no more guesses than one.
//!
//! Time is the flows' `Clock`, so that tests move it forward instead of sleeping.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{
        Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use crate::{
    configuration::{Quota, RateLimits, Settings},
    domain::{
        email::EmailAddress,
        time::{Clock, Millis},
    },
    error::Error,
    storage::{Store, transaction},
};

/// A window in the milliseconds the in-memory counters keep.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What a limit counts: each key has its own counters, and a page and the API route it mirrors
/// share one key, so the two together get one allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// Log-in attempts: per client IP here, and per client IP and address in the flow.
    Login,
    Register,
    ResendVerification,
    ForgotPassword,
    VerifyEmail,
    ResetPassword,
    ConfirmEmailChange,
    RevertEmailChange,
    Refresh,
    /// Sign-in by email: asking for the email, and using its link or code.
    SignInEmail,
    SignInConfirm,
}

impl LimitKey {
    /// The key's name in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::ResendVerification => "resend_verification",
            Self::ForgotPassword => "forgot_password",
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ConfirmEmailChange => "confirm_email_change",
            Self::RevertEmailChange => "revert_email_change",
            Self::Refresh => "refresh",
            Self::SignInEmail => "sign_in_email",
            Self::SignInConfirm => "sign_in_confirm",
        }
    }

    /// The limit per client IP (`LATCHKEY_RATE_LIMIT_*`).
    fn per_ip_quota(self, quotas: &RateLimits) -> Quota {
        match self {
            Self::Login => quotas.login_ip,
            Self::Register
            | Self::ResendVerification
            | Self::ForgotPassword
            | Self::SignInEmail => quotas.email,
            Self::VerifyEmail
            | Self::ResetPassword
            | Self::ConfirmEmailChange
            | Self::RevertEmailChange
            | Self::SignInConfirm => quotas.link,
            Self::Refresh => quotas.refresh,
        }
    }
}

/// Who is asking, as the HTTP layer tells the flows once per request: the client's IP as the
/// limits see it (the peer, or what trusted proxies say) and its `User-Agent`.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

/// Keys kept at most; a key costs about `limit` × 8 bytes plus its name.
const MAX_KEYS: usize = 100_000;

pub struct RateLimiter {
    enabled: bool,
    quotas: RateLimits,
    clock: Clock,
    state: Mutex<Windows>,
    /// Where the address-keyed limits are counted; `None` counts them in memory too.
    store: Option<Store>,
    /// When this process last swept old rows of the shared limits (Unix ms).
    last_shared_sweep: AtomicI64,
}

#[derive(Default)]
struct Windows {
    keys: HashMap<(LimitKey, String), Window>,
    last_sweep_ms: i64,
}

struct Window {
    window_ms: i64,
    /// Times of the counted attempts within the window, oldest first.
    hits: VecDeque<i64>,
}

impl Window {
    fn prune(&mut self, now: i64) {
        while self
            .hits
            .front()
            .is_some_and(|t| t.saturating_add(self.window_ms) <= now)
        {
            self.hits.pop_front();
        }
    }

    fn last_hit(&self) -> i64 {
        self.hits.back().copied().unwrap_or(i64::MIN)
    }

    fn idle_at(&self, now: i64) -> bool {
        self.last_hit().saturating_add(self.window_ms) <= now
    }
}

/// One limit to check: a key's counter for one subject (an IP, or an IP and an address).
struct Check {
    key: LimitKey,
    subject: String,
    quota: Quota,
    /// Keyed on an address: counted in the database, over all processes.
    shared: bool,
}

impl RateLimiter {
    /// `store`: where the address-keyed limits are counted (`None`: in memory, as the others).
    pub fn new(settings: &Settings, store: Option<Store>, clock: Clock) -> Self {
        Self {
            enabled: settings.rate_limit,
            quotas: settings.rate_limits,
            clock,
            state: Mutex::new(Windows::default()),
            store,
            last_shared_sweep: AtomicI64::new(0),
        }
    }

    /// Whether limits are on (`LATCHKEY_RATE_LIMIT`).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts one request of `key` from `ip`; `Err` is how long until there is room again.
    /// For the HTTP layer, before the handler runs; it answers the refusal its own way.
    pub fn per_ip(&self, key: LimitKey, ip: IpAddr) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        let check = self.per_ip_check(key, ip);
        let now = self.now_ms();
        self.attempt(&[&check], now).inspect_err(|_| {
            crate::telemetry::rate_limited(key.name());
            tracing::info!(limit = key.name(), "rate limited");
        })
    }

    /// Counts one log-in attempt on `address` from `client` (its per-IP count is the HTTP
    /// layer's). Keyed on the address as parsed (normalized), whether or not it has an account,
    /// and only together with the IP: a stranger's burst cannot lock the owner out.
    pub(super) async fn log_in_attempt(
        &self,
        client: &Client,
        address: &EmailAddress,
    ) -> Result<(), Error> {
        if !self.enabled {
            return Ok(());
        }
        let checks = [self.address_check(client.ip, address)];
        self.attempt_everywhere(&checks)
            .await?
            .map_err(|retry_after| refused(LimitKey::Login, retry_after))
    }

    /// Counts one check of a signed-in user's password as a log-in attempt for the account's
    /// address from this client: the same counters as a log-in (per IP, and per IP and
    /// address), so a stolen access token or page cookie gives no more guesses than the log-in
    /// form. Before the password is checked.
    pub(super) async fn password_check(
        &self,
        client: &Client,
        address: &EmailAddress,
    ) -> Result<(), Error> {
        if !self.enabled {
            return Ok(());
        }
        let checks = [
            self.per_ip_check(LimitKey::Login, client.ip),
            self.address_check(client.ip, address),
        ];
        self.attempt_everywhere(&checks)
            .await?
            .map_err(|retry_after| {
                tracing::info!(
                    limit = LimitKey::Login.name(),
                    "rate limited: password check"
                );
                refused(LimitKey::Login, retry_after)
            })
    }

    fn per_ip_check(&self, key: LimitKey, ip: IpAddr) -> Check {
        Check {
            key,
            subject: ip_key(ip),
            quota: key.per_ip_quota(&self.quotas),
            shared: false,
        }
    }

    fn address_check(&self, ip: IpAddr, address: &EmailAddress) -> Check {
        Check {
            key: LimitKey::Login,
            subject: format!("{} {}", ip_key(ip), address.normalized()),
            quota: self.quotas.login,
            shared: true,
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().0
    }

    /// Counts one attempt against every check, or none if any is at its limit (`Ok(Err(wait))`):
    /// the process's own windows first, then the shared ones in the database. A database that
    /// cannot count is an error (503), never a free pass.
    async fn attempt_everywhere(&self, checks: &[Check]) -> Result<Result<(), Duration>, Error> {
        let now = self.now_ms();
        let Some(store) = &self.store else {
            let all: Vec<&Check> = checks.iter().collect();
            return Ok(self.attempt(&all, now));
        };
        let (shared, local): (Vec<&Check>, Vec<&Check>) = checks.iter().partition(|c| c.shared);
        if let Err(wait) = self.attempt(&local, now) {
            return Ok(Err(wait));
        }
        for check in shared {
            match self.take_shared(store, check, now).await {
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
    async fn take_shared(
        &self,
        store: &Store,
        check: &Check,
        now: i64,
    ) -> Result<Option<Duration>, Error> {
        use sha2::{Digest as _, Sha256};
        let subject = Sha256::new()
            .chain_update(check.key.name().as_bytes())
            .chain_update([0])
            .chain_update(check.subject.as_bytes())
            .finalize();
        let limit = i64::from(check.quota.limit);
        let wait = transaction!(store, |tx| {
            tx.take_rate_limit_hit(&subject, Millis(now), check.quota.window, limit)
                .await
        })?;
        // Subjects never tried again leave rows behind: once a minute, this process deletes
        // every row past the longest window.
        let last = self.last_shared_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) > 60_000
            && self
                .last_shared_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let before = Millis(now) - self.quotas.login.window;
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
        Ok(wait)
    }

    /// Counts one attempt against every check, or none if any is at its limit; then the answer
    /// is how long until the busiest one has room again.
    fn attempt(&self, checks: &[&Check], now: i64) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.sweep_if_due(now);
        let mut wait = 0i64;
        for check in checks {
            if let Some(window) = state.keys.get_mut(&(check.key, check.subject.clone())) {
                window.prune(now);
                if window.hits.len() >= check.quota.limit as usize {
                    let oldest = window.hits.front().copied().unwrap_or(now);
                    wait = wait.max(oldest.saturating_add(window.window_ms).saturating_sub(now));
                }
            }
        }
        if wait > 0 {
            return Err(Duration::from_millis(wait.unsigned_abs()));
        }
        for check in checks {
            state.make_room(now);
            let window_ms = ms(check.quota.window);
            state
                .keys
                .entry((check.key, check.subject.clone()))
                .or_insert_with(|| Window {
                    window_ms,
                    hits: VecDeque::new(),
                })
                .hits
                .push_back(now);
        }
        Ok(())
    }

    /// Takes back the attempt `attempt` counted at `now` (another limit refused it).
    fn uncount(&self, checks: &[&Check], now: i64) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for check in checks {
            if let Some(window) = state.keys.get_mut(&(check.key, check.subject.clone()))
                && let Some(at) = window.hits.iter().rposition(|t| *t == now)
            {
                window.hits.remove(at);
            }
        }
    }
}

/// The answer to an attempt over a limit: 429 `rate_limited` with its `Retry-After`.
fn refused(key: LimitKey, retry_after: Duration) -> Error {
    crate::telemetry::rate_limited(key.name());
    tracing::info!(limit = key.name(), "rate limited");
    Error::RateLimited { retry_after }
}

impl Windows {
    /// Drops idle keys at most once a minute: O(keys), amortized over all requests.
    fn sweep_if_due(&mut self, now: i64) {
        if now.saturating_sub(self.last_sweep_ms) < 60_000 {
            return;
        }
        self.last_sweep_ms = now;
        self.sweep(now);
    }

    fn sweep(&mut self, now: i64) {
        self.keys.retain(|_, w| !w.idle_at(now));
    }

    /// Before adding a key at the cap: sweep, and if that is not enough, forget the tenth of
    /// the keys used longest ago (rare, so the sort is paid once per many inserts).
    fn make_room(&mut self, now: i64) {
        if self.keys.len() < MAX_KEYS {
            return;
        }
        self.sweep(now);
        if self.keys.len() < MAX_KEYS {
            return;
        }
        let mut ages: Vec<i64> = self.keys.values().map(Window::last_hit).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(clock: &Clock) -> RateLimiter {
        let mut settings = Settings::defaults();
        settings.rate_limit = true;
        settings.rate_limits.email = Quota {
            limit: 3,
            window: Duration::from_millis(200),
        };
        RateLimiter::new(&settings, None, clock.clone())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn client(s: &str) -> Client {
        Client {
            ip: ip(s),
            user_agent: None,
        }
    }

    fn address(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn limited(r: Result<(), Error>) -> Option<Duration> {
        match r {
            Err(Error::RateLimited { retry_after }) => Some(retry_after),
            _ => None,
        }
    }

    #[test]
    fn a_sliding_window_counts_every_attempt_and_frees_up() {
        let clock = Clock::system();
        let l = limiter(&clock);
        let client = ip("10.0.0.1");
        for _ in 0..3 {
            assert!(l.per_ip(LimitKey::Register, client).is_ok());
        }
        let wait = l.per_ip(LimitKey::Register, client).err();
        assert!(
            wait.is_some_and(|w| w <= Duration::from_millis(200)),
            "{wait:?}"
        );
        // Another client, and another key of the same class, are untouched.
        assert!(l.per_ip(LimitKey::Register, ip("10.0.0.2")).is_ok());
        assert!(l.per_ip(LimitKey::ResendVerification, client).is_ok());
        clock.advance(Duration::from_millis(200));
        assert!(l.per_ip(LimitKey::Register, client).is_ok());
    }

    #[tokio::test]
    async fn log_ins_are_limited_per_address_and_ip_not_per_address_alone() {
        let clock = Clock::system();
        let l = limiter(&clock);
        let ann = address("ann@example.com");
        let attacker = client("203.0.113.9");
        for _ in 0..10 {
            assert!(l.log_in_attempt(&attacker, &ann).await.is_ok());
        }
        assert!(limited(l.log_in_attempt(&attacker, &ann).await).is_some());
        // The same address however it was typed: it is the parsed address that counts.
        let shouted = address(" Ann@Example.COM ");
        assert!(limited(l.log_in_attempt(&attacker, &shouted).await).is_some());
        // The owner, elsewhere, still gets in; the attacker may still try other addresses.
        assert!(
            l.log_in_attempt(&client("198.51.100.7"), &ann)
                .await
                .is_ok()
        );
        let bob = address("bob@example.com");
        assert!(l.log_in_attempt(&attacker, &bob).await.is_ok());
    }

    #[tokio::test]
    async fn a_password_check_counts_as_a_log_in_of_the_address() {
        let clock = Clock::system();
        let l = limiter(&clock);
        let ann = address("ann@example.com");
        let thief = client("203.0.113.9");
        for _ in 0..5 {
            assert!(l.log_in_attempt(&thief, &ann).await.is_ok());
            assert!(l.password_check(&thief, &ann).await.is_ok());
        }
        assert!(limited(l.log_in_attempt(&thief, &ann).await).is_some());
        assert!(limited(l.password_check(&thief, &ann).await).is_some());
        // A minute later the window has room again.
        clock.advance(Duration::from_secs(60));
        assert!(l.password_check(&thief, &ann).await.is_ok());
    }

    #[tokio::test]
    async fn limits_turned_off_count_nothing() {
        let mut settings = Settings::defaults();
        settings.rate_limit = false;
        let l = RateLimiter::new(&settings, None, Clock::system());
        let ann = address("ann@example.com");
        for _ in 0..100 {
            assert!(l.per_ip(LimitKey::Login, ip("10.0.0.1")).is_ok());
            assert!(l.log_in_attempt(&client("10.0.0.1"), &ann).await.is_ok());
        }
    }

    #[test]
    fn ipv6_clients_are_their_64() {
        assert_eq!(ip_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(ip_key(ip("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
        assert_eq!(ip_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
    }

    #[test]
    fn memory_is_bounded() {
        let l = limiter(&Clock::system());
        let now = l.now_ms();
        for i in 0..(MAX_KEYS + 10) {
            let check = Check {
                key: LimitKey::Register,
                subject: format!("k{i}"),
                quota: Quota {
                    limit: 5,
                    window: Duration::from_secs(60),
                },
                shared: false,
            };
            let _ = l.attempt(&[&check], now);
        }
        let keys = l.state.lock().map(|s| s.keys.len()).unwrap_or(usize::MAX);
        assert!(keys <= MAX_KEYS, "{keys}");
    }
}
