//! Metrics in the Prometheus text format (`GET /metrics`). One process-wide recorder from the
//! `metrics` facade; the rest of the code records through the functions here, so metric names
//! and labels live in one place.

use std::{sync::OnceLock, time::Duration};

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const REQUESTS: &str = "latchkey_http_requests_total";
const REQUEST_SECONDS: &str = "latchkey_http_request_duration_seconds";
const RATE_LIMITED: &str = "latchkey_rate_limited_total";
const OUTBOX: &str = "latchkey_outbox_messages";
const EMAILS_SENT: &str = "latchkey_emails_sent_total";
const EMAILS_FAILED: &str = "latchkey_emails_failed_total";
const EMAILS_DEAD: &str = "latchkey_emails_dead_total";
const SLOT_WAIT: &str = "latchkey_password_hash_slot_wait_seconds";
const LOG_LINES_DROPPED: &str = "latchkey_log_lines_dropped_total";
const DB_CONNECTIONS: &str = "latchkey_db_connections";
const DB_CONNECTIONS_MAX: &str = "latchkey_db_connections_max";
const DB_WAITING: &str = "latchkey_db_acquire_waiting";

/// Request latencies: most answers take milliseconds, log-ins tens of them (Argon2).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Waiting for a hashing slot is zero until the cores are busy, then grows by whole hashes.
const SLOT_WAIT_BUCKETS: &[f64] = &[
    0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use. `None` if another recorder was installed
/// first (metrics then go there and `/metrics` answers 503).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), LATENCY_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(SLOT_WAIT.into()), SLOT_WAIT_BUCKETS));
    let handle = match builder.and_then(PrometheusBuilder::install_recorder) {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed");
            return None;
        }
    };
    describe_counter!(
        REQUESTS,
        "HTTP requests by method, matched route and status"
    );
    describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request latency by method and matched route"
    );
    describe_counter!(RATE_LIMITED, "Requests refused with 429 by route");
    describe_gauge!(OUTBOX, "Outbox messages by status, read at scrape time");
    describe_counter!(EMAILS_SENT, "Emails handed to the transport, by kind");
    describe_counter!(
        EMAILS_FAILED,
        "Failed send attempts (retried or not), by kind"
    );
    describe_counter!(EMAILS_DEAD, "Emails given up on (marked dead), by kind");
    describe_histogram!(
        SLOT_WAIT,
        metrics::Unit::Seconds,
        "Time a password hash or check waited for a free hashing slot"
    );
    describe_counter!(
        LOG_LINES_DROPPED,
        "Log lines dropped because standard error could not take them (a closed log pipe)"
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Database connections of this process by state (in_use, idle), read at scrape time"
    );
    describe_gauge!(
        DB_CONNECTIONS_MAX,
        "The most connections this process opens (LATCHKEY_DATABASE_MAX_CONNECTIONS on PostgreSQL)"
    );
    describe_gauge!(
        DB_WAITING,
        "Requests of this process waiting for a free database connection"
    );
    Some(handle)
}

/// Folds histogram samples into buckets; without it they pile up between scrapes.
pub async fn run_upkeep(mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(handle) = handle() else { return };
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => handle.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

pub fn request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let (method, route) = (method.to_owned(), route.to_owned());
    counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(REQUEST_SECONDS, "method" => method, "route" => route).record(elapsed.as_secs_f64());
}

pub fn rate_limited(route: &'static str) {
    counter!(RATE_LIMITED, "route" => route).increment(1);
}

pub fn outbox_depth(status: &str, count: i64) {
    gauge!(OUTBOX, "status" => status.to_owned()).set(count as f64);
}

/// The database pool's connections in use and idle, its size, and the callers waiting for one.
pub fn database_pool(in_use: u32, idle: u32, max: u32, waiting: usize) {
    gauge!(DB_CONNECTIONS, "state" => "in_use").set(f64::from(in_use));
    gauge!(DB_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    gauge!(DB_CONNECTIONS_MAX).set(f64::from(max));
    gauge!(DB_WAITING).set(waiting as f64);
}

pub fn email_sent(kind: &str) {
    counter!(EMAILS_SENT, "kind" => kind.to_owned()).increment(1);
}

/// A failed attempt; `dead` when it was the last one (counted in both).
pub fn email_failed(kind: &str, dead: bool) {
    counter!(EMAILS_FAILED, "kind" => kind.to_owned()).increment(1);
    if dead {
        counter!(EMAILS_DEAD, "kind" => kind.to_owned()).increment(1);
    }
}

/// The count the logging module keeps, copied at scrape time: lines can be lost before the
/// recorder exists.
pub fn log_lines_dropped(total: u64) {
    counter!(LOG_LINES_DROPPED).absolute(total);
}

pub fn password_slot_wait(waited: Duration) {
    histogram!(SLOT_WAIT).record(waited.as_secs_f64());
}
