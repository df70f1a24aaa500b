//! Settings from the `LATCHKEY_*` environment and an optional `latchkey.toml` (contract §1).
//!
//! Every key is parsed into a typed value once, at start; an invalid one stops the process with
//! a message naming the variable.

pub mod branding;
mod duration;
mod invalid;
mod log_filter;
mod smtp_url;
mod source;

pub use branding::{Branding, Logo};
pub use duration::{InvalidDuration, parse_duration};
pub use invalid::InvalidValue;
pub use smtp_url::SmtpUrl;
pub use source::Source;

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use ipnet::IpNet;
use lettre::message::Mailbox;
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::domain::{
    access::TokenAlgorithm, email::EmailAddress, keys::Secret, locale::Locale,
    password::HashParams, webhooks::WebhookSecret,
};

/// One setting that could not be parsed: which variable, and why.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {reason}")]
pub struct ConfigError {
    pub variable: String,
    #[source]
    pub reason: InvalidValue,
}

#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// `postgres://…`, kept as written for the driver; it may hold a password.
    Postgres(SecretString),
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Sqlite(a), Self::Sqlite(b)) => a == b,
            (Self::Postgres(a), Self::Postgres(b)) => a.expose_secret() == b.expose_secret(),
            _ => false,
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(InvalidValue::expected(
                    "a file path, like sqlite://latchkey.db",
                    s,
                ));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.into()))
        } else {
            Err(InvalidValue::expected("sqlite://PATH or postgres://…", s))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How the outbox worker paces its retries; not in the contract's table, tuned for tests.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Attempts before a message is marked dead.
    pub max_attempts: u32,
    /// Delay before the first retry; later ones triple, with jitter, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a claim lasts without a heartbeat (renewed every third of it while the send
    /// runs): a crashed worker's messages come back after at most this long.
    pub lease: Duration,
    /// Sends in flight at once from one process.
    pub concurrency: usize,
    /// Webhook deliveries in flight at once, apart from the emails: a slow receiver never
    /// holds up an email.
    pub webhook_concurrency: usize,
    /// `LATCHKEY_MAIL_POLL_INTERVAL`: how often an idle worker looks for messages it was not
    /// told about. A message queued in the same process, or on PostgreSQL in any process
    /// (LISTEN/NOTIFY), wakes it at once; a standalone `latchkey worker` on SQLite hears of
    /// `serve`'s messages only by this poll, which is why it is short.
    pub poll_interval: Duration,
    /// `LATCHKEY_SMTP_TIMEOUT`: the longest wait for the SMTP server, for connecting (up to
    /// its greeting, STARTTLS and log-in) and again for each message's exchange.
    pub smtp_timeout: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            retry_base: Duration::from_secs(20),
            retry_max: Duration::from_secs(12 * 3600),
            lease: Duration::from_secs(30),
            concurrency: 4,
            webhook_concurrency: 4,
            poll_interval: Duration::from_millis(250),
            smtp_timeout: Duration::from_secs(30),
        }
    }
}

/// At most `limit` requests within any `window` (a sliding window, contract §2). Written
/// `N/DURATION`, like `10/1m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
}

impl FromStr for Quota {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::expected("REQUESTS/DURATION like 10/1m", s);
        let (n, window) = s.trim().split_once('/').ok_or_else(bad)?;
        let limit = match n.trim().parse::<u32>() {
            Ok(n @ 1..=1_000_000) => n,
            _ => return Err(bad()),
        };
        let window = positive_duration(window).map_err(|_| bad())?;
        Ok(Self { limit, window })
    }
}

/// Which quota applies where; each route has its own counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Log-in attempts per client IP and address (`LATCHKEY_RATE_LIMIT_LOGIN`).
    pub login: Quota,
    /// Log-in attempts per client IP, whatever the address (`LATCHKEY_RATE_LIMIT_LOGIN_IP`).
    pub login_ip: Quota,
    /// Requests that send an email (register, resend, forgot) per client IP
    /// (`LATCHKEY_RATE_LIMIT_EMAIL`).
    pub email: Quota,
    /// Uses of a link token (verify, reset, confirm, revert) per client IP
    /// (`LATCHKEY_RATE_LIMIT_LINK`).
    pub link: Quota,
    /// Refresh-token rotations per client IP (`LATCHKEY_RATE_LIMIT_REFRESH`).
    pub refresh: Quota,
}

/// `LATCHKEY_METRICS_LISTEN`: where `/metrics` is served, apart from the public listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsListen {
    pub addr: SocketAddr,
    /// Set by the operator: an address that cannot be bound stops the start. The default
    /// (`127.0.0.1:9464`) taken by another process only costs this one its metrics, with a
    /// warning: two nodes on one host should not fail for a port nobody chose.
    pub required: bool,
}

impl MetricsListen {
    pub const DEFAULT: &'static str = "127.0.0.1:9464";
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// `None`: `LATCHKEY_METRICS_LISTEN=off`, no metrics are served.
    pub metrics_listen: Option<MetricsListen>,
    pub public_url: Url,
    pub link_base_url: Url,
    pub database_url: DatabaseUrl,
    /// `LATCHKEY_DATABASE_MAX_CONNECTIONS`: connections each process keeps to PostgreSQL.
    pub database_max_connections: u32,
    /// `LATCHKEY_DATABASE_CONNECT_TIMEOUT`: how long a start keeps retrying a database that
    /// does not answer.
    pub database_connect_timeout: Duration,
    /// `LATCHKEY_SMTP_URL`, its password held apart.
    pub smtp_url: Option<SmtpUrl>,
    pub mail_from: Mailbox,
    pub secret: Option<Secret>,
    pub secret_previous: Option<Secret>,
    pub first_admin_email: Option<EmailAddress>,
    pub first_admin_password: Option<SecretString>,
    pub verify_ttl: Duration,
    /// How long an account made by a sign-up and never verified is kept after its last
    /// verification link expired (`LATCHKEY_UNVERIFIED_RETENTION`).
    pub unverified_retention: Duration,
    pub reset_ttl: Duration,
    pub email_change_ttl: Duration,
    pub revert_ttl: Duration,
    pub access_ttl: Duration,
    /// `LATCHKEY_ACCESS_TOKEN_ALG`.
    pub access_token_alg: TokenAlgorithm,
    /// `LATCHKEY_TOKEN_AUDIENCE`: the `aud` claim.
    pub token_audience: String,
    pub refresh_ttl: Duration,
    pub email_change_confirm_old: bool,
    pub mail_cooldown: Duration,
    /// `LATCHKEY_SIGN_IN_BY_EMAIL`: sign-in by an emailed link or code (contract §11).
    pub sign_in_by_email: bool,
    /// `LATCHKEY_SIGN_IN_TTL`: lifetime of a sign-in link and code.
    pub sign_in_ttl: Duration,
    pub rate_limit: bool,
    /// The per-client request limits (contract §2), applied when `rate_limit` is on.
    pub rate_limits: RateLimits,
    pub templates_dir: Option<PathBuf>,
    /// The language for users whose own is unknown (contract §6).
    pub default_locale: Locale,
    /// What emails and pages call the product.
    pub product_name: String,
    /// The accent colour, logo and extra stylesheet of pages and emails (contract §12).
    pub branding: Branding,
    /// `LATCHKEY_CORS_ORIGINS`: origins (`scheme://host[:port]`) whose scripts may call the API.
    pub cors_origins: Vec<String>,
    /// `LATCHKEY_WEBAUTHN_RP_ID`: the WebAuthn relying party id; `None` takes the host of the
    /// public URL (contract §11).
    pub webauthn_rp_id: Option<String>,
    /// `LATCHKEY_REFRESH_COOKIE`: browser clients may keep the refresh token in an HttpOnly
    /// cookie (contract §12).
    pub refresh_cookie: bool,
    /// `LATCHKEY_APP_URL`: where "Continue" leads once a page flow is done; unset: `/account`.
    pub app_url: Option<Url>,
    /// `LATCHKEY_RETURN_URLS`: the prefixes a `?return_to=` may point under.
    pub return_urls: Vec<Url>,
    /// `LATCHKEY_WEBHOOK_URL` with its secrets; `None`: no events are sent.
    pub webhook: Option<WebhookSettings>,
    pub trusted_proxies: Vec<IpNet>,
    pub password_hash: HashParams,
    pub log: String,
    pub log_format: LogFormat,
    pub worker: WorkerSettings,
    /// How long a connection may take to send a request's head, and may sit idle between
    /// requests, before it is closed (`LATCHKEY_HTTP_HEADER_TIMEOUT`).
    pub http_header_timeout: Duration,
    /// How long after its head a request's body must have arrived whole
    /// (`LATCHKEY_HTTP_BODY_TIMEOUT`).
    pub http_body_timeout: Duration,
    /// Connections one client address (the socket's peer; IPv6 per /64) may hold open at once
    /// (`LATCHKEY_HTTP_CONNECTIONS_PER_IP`; `0`: no cap). Trusted proxies are not capped.
    pub http_connections_per_ip: Option<usize>,
}

impl Settings {
    /// The server bound `LATCHKEY_LISTEN`'s port 0 to `port`: a URL on port 0 (the default
    /// public URL then, which follows the listen port) takes the bound port, so that links in
    /// emails reach this server.
    pub fn follow_bound_port(&mut self, port: u16) {
        for url in [&mut self.public_url, &mut self.link_base_url] {
            if url.port() == Some(0) {
                // Cannot fail: an http(s) URL with a host, as `parse_base_url` made it.
                let _ = url.set_port(Some(port));
            }
        }
    }

    /// The setting whose URL is still on port 0, for a process that binds no port (`worker`)
    /// and so cannot fill it in: `LATCHKEY_LISTEN` on port 0 with no public URL (the default
    /// follows the listen port), or a URL given with port 0. Links built on it would lead
    /// nowhere.
    pub fn url_on_port_zero(&self) -> Option<&'static str> {
        if self.public_url.port() == Some(0) {
            Some("LATCHKEY_PUBLIC_URL")
        } else if self.link_base_url.port() == Some(0) {
            Some("LATCHKEY_LINK_BASE_URL")
        } else {
            None
        }
    }

    /// Reads the process environment and `latchkey.toml` (or the file `LATCHKEY_CONFIG` names).
    pub fn load() -> Result<(Self, Vec<String>), ConfigError> {
        let source = Source::from_process()?;
        Self::from_source(source)
    }

    /// Parses every key; returns the settings and warnings (unknown `LATCHKEY_*` variables).
    pub fn from_source(mut src: Source) -> Result<(Self, Vec<String>), ConfigError> {
        let listen = src.parse("listen", "127.0.0.1:8080", parse_listen)?;
        // Unset, the public URL follows the listen port (contract §1): links in emails must
        // reach the server a newcomer just started on another port.
        let default_public_url = format!("http://localhost:{}", listen.port());
        let public_url: Url = src.parse("public_url", &default_public_url, parse_base_url)?;
        let link_base_url = match src.take("link_base_url") {
            Some(v) => parse_base_url(&v).map_err(|e| src.error("link_base_url", e))?,
            None => public_url.clone(),
        };
        let metrics_listen = match src.take("metrics_listen") {
            None => Some(MetricsListen {
                addr: parse_listen(MetricsListen::DEFAULT)
                    .map_err(|e| src.error("metrics_listen", e))?,
                required: false,
            }),
            Some(v) if v.trim().eq_ignore_ascii_case("off") => None,
            Some(v) => Some(MetricsListen {
                addr: parse_listen(&v).map_err(|e| src.error("metrics_listen", e))?,
                required: true,
            }),
        };
        let settings = Settings {
            listen,
            metrics_listen,
            public_url,
            link_base_url,
            database_url: src.parse("database_url", "sqlite://latchkey.db", typed)?,
            database_max_connections: src.parse(
                "database_max_connections",
                "10",
                parse_max_connections,
            )?,
            database_connect_timeout: src.parse(
                "database_connect_timeout",
                "30s",
                positive_duration,
            )?,
            smtp_url: src.parse_opt("smtp_url", typed)?,
            mail_from: src.parse("mail_from", "Latchkey <no-reply@localhost>", from_str)?,
            secret: src.parse_opt("secret", from_str)?,
            secret_previous: src.parse_opt("secret_previous", from_str)?,
            first_admin_email: src.parse_opt("first_admin_email", from_str)?,
            first_admin_password: src.take("first_admin_password").map(SecretString::from),
            verify_ttl: src.parse("verify_ttl", "24h", positive_duration)?,
            unverified_retention: src.parse("unverified_retention", "7d", positive_duration)?,
            reset_ttl: src.parse("reset_ttl", "1h", positive_duration)?,
            email_change_ttl: src.parse("email_change_ttl", "24h", positive_duration)?,
            revert_ttl: src.parse("revert_ttl", "7d", positive_duration)?,
            access_ttl: src.parse("access_ttl", "15m", positive_duration)?,
            access_token_alg: src.parse("access_token_alg", "ES256", from_str)?,
            token_audience: src.parse("token_audience", "latchkey", parse_audience)?,
            refresh_ttl: src.parse("refresh_ttl", "30d", positive_duration)?,
            email_change_confirm_old: src.parse("email_change_confirm_old", "true", parse_bool)?,
            mail_cooldown: src.parse("mail_cooldown", "60s", any_duration)?,
            sign_in_by_email: src.parse("sign_in_by_email", "on", parse_bool)?,
            sign_in_ttl: src.parse("sign_in_ttl", "15m", positive_duration)?,
            rate_limit: src.parse("rate_limit", "on", parse_bool)?,
            rate_limits: RateLimits {
                login: src.parse("rate_limit_login", "10/1m", typed)?,
                login_ip: src.parse("rate_limit_login_ip", "60/1m", typed)?,
                email: src.parse("rate_limit_email", "10/1m", typed)?,
                link: src.parse("rate_limit_link", "30/1m", typed)?,
                refresh: src.parse("rate_limit_refresh", "30/1m", typed)?,
            },
            templates_dir: src.parse_opt("templates_dir", parse_dir)?,
            default_locale: src.parse("default_locale", "en", from_str_display)?,
            product_name: src.parse("product_name", "Latchkey", parse_product_name)?,
            branding: Branding {
                color: src.parse_opt("brand_color", branding::parse_color)?,
                logo: src.parse_opt("logo_url", branding::parse_logo)?,
                pages_css: src.parse_opt("pages_css", branding::parse_pages_css)?,
            },
            cors_origins: src.parse("cors_origins", "", parse_origins)?,
            webauthn_rp_id: src.parse_opt("webauthn_rp_id", parse_rp_id)?,
            refresh_cookie: src.parse("refresh_cookie", "off", parse_bool)?,
            app_url: src.parse_opt("app_url", parse_base_url_with_query)?,
            return_urls: src.parse("return_urls", "", parse_return_urls)?,
            webhook: webhook_settings(&mut src)?,
            trusted_proxies: src.parse("trusted_proxies", "", parse_proxies)?,
            password_hash: src.parse("password_hash", "argon2id:m=19456,t=2,p=1", from_str)?,
            log: src.parse("log", "info", |s| {
                log_filter::parse_log_filter(s).map_err(|e| InvalidValue::Refused(e.into()))
            })?,
            log_format: src.parse("log_format", "text", parse_log_format)?,
            worker: WorkerSettings {
                max_attempts: src.parse("mail_max_attempts", "10", parse_attempts)?,
                retry_base: src.parse("mail_retry_base", "20s", positive_duration)?,
                retry_max: src.parse("mail_retry_max", "12h", positive_duration)?,
                lease: src.parse("mail_lease", "30s", positive_duration)?,
                concurrency: src.parse("mail_concurrency", "4", parse_concurrency)?,
                webhook_concurrency: src.parse("webhook_concurrency", "4", parse_concurrency)?,
                poll_interval: src.parse("mail_poll_interval", "250ms", positive_duration)?,
                smtp_timeout: src.parse("smtp_timeout", "30s", positive_duration)?,
            },
            http_header_timeout: src.parse("http_header_timeout", "30s", positive_duration)?,
            http_body_timeout: src.parse("http_body_timeout", "30s", positive_duration)?,
            http_connections_per_ip: src.parse(
                "http_connections_per_ip",
                "128",
                parse_connection_cap,
            )?,
        };
        if settings.first_admin_email.is_some() != settings.first_admin_password.is_some() {
            return Err(src.error(
                "first_admin_password",
                InvalidValue::Rule(
                    "LATCHKEY_FIRST_ADMIN_EMAIL and LATCHKEY_FIRST_ADMIN_PASSWORD go together",
                ),
            ));
        }
        let warnings = src.unknown_keys();
        Ok((settings, warnings))
    }

    /// Defaults for a test or a tool: everything as the contract's table says.
    pub fn defaults() -> Self {
        match Self::from_source(Source::empty()) {
            Ok((settings, _)) => settings,
            Err(e) => unreachable!("the built-in defaults parse: {e}"),
        }
    }

    pub fn dev_mailbox(&self) -> bool {
        self.smtp_url.is_none()
    }
}

/// A value whose type explains a refusal in its own words.
fn from_str<T: FromStr<Err: Into<crate::error::BoxError>>>(s: &str) -> Result<T, InvalidValue> {
    s.parse::<T>().map_err(|e| InvalidValue::Refused(e.into()))
}

/// `from_str` after trimming the value.
fn from_str_display<T: FromStr<Err: Into<crate::error::BoxError>>>(
    s: &str,
) -> Result<T, InvalidValue> {
    from_str(s.trim())
}

/// A value of one of the configuration's own types, whose refusals are `InvalidValue`s.
fn typed<T: FromStr<Err = InvalidValue>>(s: &str) -> Result<T, InvalidValue> {
    s.parse()
}

/// Shown in subjects and page titles: one short line.
/// `IP:PORT`, or `localhost:PORT` for 127.0.0.1: other host names are not resolved, since a
/// name can stand for several addresses and the server binds one.
fn parse_listen(s: &str) -> Result<SocketAddr, InvalidValue> {
    let t = s.trim();
    if let Ok(addr) = t.parse() {
        return Ok(addr);
    }
    if let Some(port) = t.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(InvalidValue::expected(
        "IP:PORT like 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080 (or localhost:PORT)",
        s,
    ))
}

/// Shown in subjects and page titles: one short line.
fn parse_product_name(s: &str) -> Result<String, InvalidValue> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 60 || s.chars().any(char::is_control) {
        return Err(InvalidValue::expected(
            "a name of 1 to 60 characters on one line",
            s,
        ));
    }
    Ok(s.to_owned())
}

fn positive_duration(s: &str) -> Result<Duration, InvalidValue> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(InvalidValue::Zero),
        d => Ok(d),
    }
}

fn any_duration(s: &str) -> Result<Duration, InvalidValue> {
    Ok(parse_duration(s)?)
}

fn parse_bool(s: &str) -> Result<bool, InvalidValue> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(InvalidValue::expected("true/false or on/off", s)),
    }
}

fn parse_attempts(s: &str) -> Result<u32, InvalidValue> {
    match s.trim().parse::<u32>() {
        Ok(n @ 1..=100) => Ok(n),
        _ => Err(InvalidValue::expected("a number from 1 to 100", s)),
    }
}

fn parse_max_connections(s: &str) -> Result<u32, InvalidValue> {
    match s.trim().parse::<u32>() {
        Ok(n @ 1..=1000) => Ok(n),
        _ => Err(InvalidValue::expected("a number from 1 to 1000", s)),
    }
}

/// `0` turns the cap off (a load test from one machine).
fn parse_connection_cap(s: &str) -> Result<Option<usize>, InvalidValue> {
    match s.trim().parse::<usize>() {
        Ok(0) => Ok(None),
        Ok(n @ 1..=1_000_000) => Ok(Some(n)),
        _ => Err(InvalidValue::expected(
            "a number from 0 (no cap) to 1000000",
            s,
        )),
    }
}

fn parse_concurrency(s: &str) -> Result<usize, InvalidValue> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=256) => Ok(n),
        _ => Err(InvalidValue::expected("a number from 1 to 256", s)),
    }
}

fn parse_url(s: &str) -> Result<Url, InvalidValue> {
    Url::parse(s.trim()).map_err(|source| InvalidValue::Url {
        value: s.to_owned(),
        source,
    })
}

fn parse_base_url(s: &str) -> Result<Url, InvalidValue> {
    let url = parse_url(s)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(InvalidValue::expected("an http(s) URL", s));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidValue::QueryOrFragment);
    }
    Ok(url)
}

/// An http(s) URL to send a browser to; a query is fine, a fragment too.
fn parse_base_url_with_query(s: &str) -> Result<Url, InvalidValue> {
    let url = parse_url(s)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(InvalidValue::expected("an http(s) URL", s));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidValue::expected(
            "an http(s) URL without user:password@",
            s,
        ));
    }
    Ok(url)
}

/// Comma-separated http(s) URL prefixes; each is kept parsed, so that a `return_to` is
/// compared by scheme, host, port and path, never as text.
fn parse_return_urls(s: &str) -> Result<Vec<Url>, InvalidValue> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let url = parse_base_url_with_query(p)?;
            if url.query().is_some() || url.fragment().is_some() {
                return Err(InvalidValue::QueryOrFragment);
            }
            Ok(url)
        })
        .collect()
}

fn parse_dir(s: &str) -> Result<PathBuf, InvalidValue> {
    let path = PathBuf::from(s);
    if path.is_dir() {
        Ok(path)
    } else {
        Err(InvalidValue::NotDirectory(s.to_owned()))
    }
}

fn parse_proxies(s: &str) -> Result<Vec<IpNet>, InvalidValue> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| InvalidValue::NotIpRange(p.to_owned()))
        })
        .collect()
}

/// `LATCHKEY_WEBHOOK_URL` and its secrets: the secret is required with the URL.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: Url,
    pub secret: WebhookSecret,
    pub secret_previous: Option<WebhookSecret>,
}

fn webhook_settings(src: &mut Source) -> Result<Option<WebhookSettings>, ConfigError> {
    let url = src.parse_opt("webhook_url", parse_webhook_url)?;
    let secret = src.parse_opt("webhook_secret", from_str)?;
    let secret_previous = src.parse_opt("webhook_secret_previous", from_str)?;
    match (url, secret) {
        (Some(url), Some(secret)) => Ok(Some(WebhookSettings {
            url,
            secret,
            secret_previous,
        })),
        (Some(_), None) => Err(src.error(
            "webhook_secret",
            InvalidValue::Rule(
                "required with LATCHKEY_WEBHOOK_URL: whsec_ followed by the base64 of at least 24 random bytes",
            ),
        )),
        (None, _) => Ok(None),
    }
}

fn parse_webhook_url(s: &str) -> Result<Url, InvalidValue> {
    let url = parse_url(s)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(InvalidValue::expected("an http(s) URL", s));
    }
    Ok(url)
}

/// A browser origin: `scheme://host[:port]`, nothing else (a trailing `/` is tolerated).
fn parse_origins(s: &str) -> Result<Vec<String>, InvalidValue> {
    s.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let bad = || InvalidValue::NotOrigin(o.to_owned());
            let url = Url::parse(o).map_err(|_| bad())?;
            let bare = url.path() == "/" && !o.ends_with("/.") && url.query().is_none();
            if !matches!(url.scheme(), "http" | "https")
                || url.host().is_none()
                || !bare
                || url.fragment().is_some()
                || !url.username().is_empty()
                || url.password().is_some()
            {
                return Err(bad());
            }
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

/// A relying party id is a host name (lower case, no scheme, port or path); whether it suits
/// the public URL is the WebAuthn library's check at start.
fn parse_rp_id(s: &str) -> Result<String, InvalidValue> {
    let given = s;
    let s = s.trim().to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !s.starts_with('.')
        && !s.ends_with('.');
    if ok {
        Ok(s)
    } else {
        Err(InvalidValue::expected(
            "a host name such as example.com",
            given,
        ))
    }
}

fn parse_audience(s: &str) -> Result<String, InvalidValue> {
    let s = s.trim();
    if s.is_empty() || s.chars().any(char::is_control) {
        return Err(InvalidValue::expected(
            "a non-empty name without control characters",
            s,
        ));
    }
    Ok(s.to_owned())
}

fn parse_log_format(s: &str) -> Result<LogFormat, InvalidValue> {
    match s.trim() {
        "text" | "" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(InvalidValue::expected("text or json", s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::from_source(Source::from_pairs(env, None)?).map(|(s, _)| s)
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = Settings::defaults();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            s.metrics_listen.map(|m| (m.addr.to_string(), m.required)),
            Some(("127.0.0.1:9464".into(), false))
        );
        assert_eq!(s.link_base_url.as_str(), "http://localhost:8080/");
        assert_eq!(s.database_url, DatabaseUrl::Sqlite("latchkey.db".into()));
        // Slow or idle connections are closed after a bounded time (§2).
        assert_eq!(s.http_header_timeout, Duration::from_secs(30));
        assert_eq!(s.http_body_timeout, Duration::from_secs(30));
        assert_eq!(s.http_connections_per_ip, Some(128));
        assert_eq!(s.verify_ttl, Duration::from_secs(86_400));
        assert_eq!(s.unverified_retention, Duration::from_secs(7 * 86_400));
        assert_eq!(s.refresh_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(s.mail_cooldown, Duration::from_secs(60));
        assert!(s.email_change_confirm_old && s.rate_limit && s.dev_mailbox());
        assert_eq!(s.default_locale, Locale::En);
        assert_eq!(s.product_name, "Latchkey");
    }

    #[test]
    fn languages_and_product_name_are_checked() {
        assert_eq!(
            load(&[("LATCHKEY_DEFAULT_LOCALE", "de-AT")])
                .map(|s| s.default_locale)
                .ok(),
            Some(Locale::De)
        );
        for (key, value) in [
            ("LATCHKEY_DEFAULT_LOCALE", "tlh"),
            ("LATCHKEY_PRODUCT_NAME", " "),
            ("LATCHKEY_PRODUCT_NAME", "Acme\nBcc: x"),
        ] {
            let err = load(&[(key, value)]).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains(key)), "{key}={value:?}");
        }
    }

    #[test]
    fn an_invalid_value_names_its_variable() {
        let err = load(&[("LATCHKEY_VERIFY_TTL", "soon")])
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("invalid LATCHKEY_VERIFY_TTL:")),
            "{err:?}"
        );
        let err = load(&[("LATCHKEY_SMTP_URL", "http://x")])
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("LATCHKEY_SMTP_URL")),
            "{err:?}"
        );
    }

    #[test]
    fn zero_cooldown_is_allowed_but_zero_ttl_is_not() {
        assert!(load(&[("LATCHKEY_MAIL_COOLDOWN", "0s")]).is_ok());
        assert!(load(&[("LATCHKEY_ACCESS_TTL", "0s")]).is_err());
    }

    #[test]
    fn rate_limits_parse_and_default_to_the_contract() {
        let s = Settings::defaults();
        let minute = Duration::from_secs(60);
        assert_eq!(
            s.rate_limits.login,
            Quota {
                limit: 10,
                window: minute
            }
        );
        assert_eq!(
            s.rate_limits.login_ip,
            Quota {
                limit: 60,
                window: minute
            }
        );
        assert_eq!(
            s.rate_limits.email,
            Quota {
                limit: 10,
                window: minute
            }
        );
        assert_eq!(
            s.rate_limits.link,
            Quota {
                limit: 30,
                window: minute
            }
        );
        let s = load(&[
            ("LATCHKEY_RATE_LIMIT_LOGIN", "5/30s"),
            ("LATCHKEY_RATE_LIMIT", "off"),
        ])
        .ok();
        assert_eq!(
            s.map(|s| (s.rate_limit, s.rate_limits.login)),
            Some((
                false,
                Quota {
                    limit: 5,
                    window: Duration::from_secs(30)
                }
            ))
        );
        for bad in ["10", "0/1m", "10/0s", "x/1m", "10/soon"] {
            assert!(
                load(&[("LATCHKEY_RATE_LIMIT_EMAIL", bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn public_url_defaults_to_the_listen_port() {
        let url = |vars: &[(&str, &str)]| load(vars).ok().map(|s| s.public_url.to_string());
        assert_eq!(url(&[]), Some("http://localhost:8080/".into()));
        let listen = ("LATCHKEY_LISTEN", "127.0.0.1:18081");
        assert_eq!(url(&[listen]), Some("http://localhost:18081/".into()));
        let links = load(&[listen]).ok().map(|s| s.link_base_url.to_string());
        assert_eq!(links, Some("http://localhost:18081/".into()));
        // Set, the public URL is what it says, whatever the port.
        let set = ("LATCHKEY_PUBLIC_URL", "https://id.example.com");
        assert_eq!(url(&[listen, set]), Some("https://id.example.com/".into()));

        // Port 0: the port the server is given, once it has one.
        let any = ("LATCHKEY_LISTEN", "127.0.0.1:0");
        let mut s = load(&[any]).unwrap_or_else(|e| panic!("{e}"));
        s.follow_bound_port(41234);
        assert_eq!(s.public_url.as_str(), "http://localhost:41234/");
        assert_eq!(s.link_base_url.as_str(), "http://localhost:41234/");
        let mut s = load(&[any, set]).unwrap_or_else(|e| panic!("{e}"));
        s.follow_bound_port(41234);
        assert_eq!(s.public_url.as_str(), "https://id.example.com/");
    }

    #[test]
    fn metrics_listen_is_loopback_unless_set_and_can_be_off() {
        let metrics = |vars: &[(&str, &str)]| {
            load(vars)
                .map(|s| s.metrics_listen.map(|m| (m.addr.to_string(), m.required)))
                .map_err(|e| e.to_string())
        };
        assert_eq!(metrics(&[]), Ok(Some(("127.0.0.1:9464".into(), false))));
        let set = metrics(&[("LATCHKEY_METRICS_LISTEN", "0.0.0.0:9100")]);
        assert_eq!(set, Ok(Some(("0.0.0.0:9100".into(), true))));
        assert_eq!(metrics(&[("LATCHKEY_METRICS_LISTEN", "off")]), Ok(None));
        let bad = metrics(&[("LATCHKEY_METRICS_LISTEN", "somewhere")]);
        assert!(bad.is_err_and(|e| e.contains("LATCHKEY_METRICS_LISTEN")));
    }

    #[test]
    fn a_url_on_port_zero_is_named_until_a_port_is_bound() {
        let s = load(&[("LATCHKEY_LISTEN", "127.0.0.1:0")]).expect("settings");
        assert_eq!(s.url_on_port_zero(), Some("LATCHKEY_PUBLIC_URL"));
        let s = load(&[
            ("LATCHKEY_LISTEN", "127.0.0.1:0"),
            ("LATCHKEY_PUBLIC_URL", "https://id.example.com"),
        ])
        .expect("settings");
        assert_eq!(s.url_on_port_zero(), None);
        let s = load(&[
            ("LATCHKEY_PUBLIC_URL", "https://id.example.com"),
            ("LATCHKEY_LINK_BASE_URL", "http://localhost:0"),
        ])
        .expect("settings");
        assert_eq!(s.url_on_port_zero(), Some("LATCHKEY_LINK_BASE_URL"));
        let mut s = load(&[("LATCHKEY_LISTEN", "127.0.0.1:0")]).expect("settings");
        s.follow_bound_port(41234);
        assert_eq!(s.url_on_port_zero(), None);
        assert_eq!(load(&[]).expect("settings").url_on_port_zero(), None);
    }

    #[test]
    fn link_base_defaults_to_public_url() {
        let s = load(&[("LATCHKEY_PUBLIC_URL", "https://id.example.com")]).ok();
        assert_eq!(
            s.map(|s| s.link_base_url.to_string()),
            Some("https://id.example.com/".into())
        );
    }

    #[test]
    fn toml_file_sets_keys_and_the_environment_wins() -> Result<(), ConfigError> {
        let toml = r#"
            verify_ttl = "2h"
            mail_cooldown = "0s"
            email_change_confirm_old = false
            trusted_proxies = ["10.0.0.0/8", "192.168.1.1"]
            listen = "0.0.0.0:9000"
        "#;
        let env = [("LATCHKEY_LISTEN".to_string(), "127.0.0.1:7000".to_string())];
        let (s, warnings) =
            Settings::from_source(Source::from_pairs(env.into_iter(), Some(toml.into()))?)?;
        assert_eq!(s.verify_ttl, Duration::from_secs(7200));
        assert_eq!(s.mail_cooldown, Duration::ZERO);
        assert!(!s.email_change_confirm_old);
        assert_eq!(s.trusted_proxies.len(), 2);
        assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
        assert!(warnings.is_empty(), "{warnings:?}");
        let bad = Source::from_pairs(std::iter::empty(), Some("verify_ttl = \"soon\"".into()))?;
        let err = Settings::from_source(bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("verify_ttl (latchkey.toml)"), "{err}");
        Ok(())
    }

    #[test]
    fn cors_origins_are_origins_or_start_up_stops() {
        let s = load(&[(
            "LATCHKEY_CORS_ORIGINS",
            "https://app.example.com, http://localhost:5173/",
        )])
        .ok();
        assert_eq!(
            s.map(|s| s.cors_origins),
            Some(vec![
                "https://app.example.com".to_string(),
                "http://localhost:5173".to_string()
            ])
        );
        assert!(Settings::defaults().cors_origins.is_empty());
        for bad in [
            "app.example.com",
            "https://app.example.com/path",
            "ftp://x.example.com",
            "https://app.example.com?x=1",
            "*",
        ] {
            let err = load(&[("LATCHKEY_CORS_ORIGINS", bad)])
                .err()
                .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("invalid LATCHKEY_CORS_ORIGINS:")),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn webhook_secret_is_required_with_the_url_and_validated() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let s = load(&[
            ("LATCHKEY_WEBHOOK_URL", "https://app.example.com/hooks"),
            ("LATCHKEY_WEBHOOK_SECRET", secret),
        ]);
        assert!(s.is_ok_and(|s| s.webhook.is_some()));
        let err = load(&[("LATCHKEY_WEBHOOK_URL", "https://app.example.com/hooks")])
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("LATCHKEY_WEBHOOK_SECRET")),
            "{err:?}"
        );
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_c2hvcnQ=",
            "whsec_!!",
        ] {
            let err = load(&[
                ("LATCHKEY_WEBHOOK_URL", "https://app.example.com/hooks"),
                ("LATCHKEY_WEBHOOK_SECRET", bad),
            ])
            .err()
            .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("invalid LATCHKEY_WEBHOOK_SECRET:")),
                "{bad}: {err:?}"
            );
        }
        let err = load(&[("LATCHKEY_WEBHOOK_URL", "ftp://x")])
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("LATCHKEY_WEBHOOK_URL")));
    }

    #[test]
    fn token_algorithm_and_audience() {
        let s = Settings::defaults();
        assert_eq!(s.access_token_alg, TokenAlgorithm::Es256);
        assert_eq!(s.token_audience, "latchkey");
        let s = load(&[("LATCHKEY_ACCESS_TOKEN_ALG", "EdDSA")]).ok();
        assert_eq!(s.map(|s| s.access_token_alg), Some(TokenAlgorithm::EdDsa));
        assert!(load(&[("LATCHKEY_ACCESS_TOKEN_ALG", "HS256")]).is_err());
    }

    #[test]
    fn debug_output_never_shows_a_secret() -> Result<(), ConfigError> {
        let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";
        let previous = "cHJldmlvdXMtcHJldmlvdXMtcHJldmlvdXMtcHJldmlvdXM=";
        let webhook = "whsec_d2ViaG9vay13ZWJob29rLXdlYmhvb2std2ViaG9vaw==";
        let webhook_previous = "whsec_b2xkaG9vay1vbGRob29rLW9sZGhvb2stb2xkaG9vaw==";
        let s = load(&[
            ("LATCHKEY_SECRET", secret),
            ("LATCHKEY_SECRET_PREVIOUS", previous),
            ("LATCHKEY_FIRST_ADMIN_EMAIL", "root@example.com"),
            ("LATCHKEY_FIRST_ADMIN_PASSWORD", "first-admin-pass-4711"),
            (
                "LATCHKEY_SMTP_URL",
                "smtp://mailer:smtp-pass-4711@mail.example.com:587?tls=starttls",
            ),
            ("LATCHKEY_WEBHOOK_URL", "https://app.example.com/hooks"),
            ("LATCHKEY_WEBHOOK_SECRET", webhook),
            ("LATCHKEY_WEBHOOK_SECRET_PREVIOUS", webhook_previous),
        ])?;
        let shown = format!("{s:?} {s:#?}");
        for secret in [
            secret,
            previous,
            webhook,
            webhook_previous,
            // The base64 without the prefix, and a recognisable part of the decoded bytes.
            &webhook["whsec_".len()..],
            "secret-secret",
            "previous-previous",
            "webhook-webhook",
            "first-admin-pass-4711",
            "smtp-pass-4711",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // The settings themselves are there, only the secrets are not.
        assert!(shown.contains("mail.example.com") && shown.contains("root@example.com"));
        let pg = load(&[(
            "LATCHKEY_DATABASE_URL",
            "postgres://app:pg-pass-4711@db/app",
        )])?;
        assert!(!format!("{pg:?}").contains("pg-pass-4711"));
        Ok(())
    }

    #[test]
    fn unknown_variables_are_warnings() {
        let env = [("LATCHKEY_VERIFY_TLL".to_string(), "1h".to_string())];
        let warnings = Source::from_pairs(env.into_iter(), None)
            .and_then(Settings::from_source)
            .map(|(_, w)| w)
            .unwrap_or_default();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("LATCHKEY_VERIFY_TLL"));
    }
}
