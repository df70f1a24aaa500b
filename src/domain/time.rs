//! Time as the service stores it (milliseconds since the Unix epoch, UTC) and as it writes it
//! for people and clients (RFC 3339). The one place that turns one into the other.

use std::{
    borrow::Cow,
    fmt,
    ops::{Add, Sub},
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use tokio::sync::watch;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type},
};

/// An instant, in milliseconds since the Unix epoch: what the database stores.
///
/// It serializes as RFC 3339 text (`2026-11-29T18:19:26.123Z`), the way every time in the API
/// is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

/// RFC 3339 has four-digit years: instants outside 0000..=9999 are written as the nearest one
/// inside, so a stored value, however wrong, never becomes an empty or invalid date.
const FIRST: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const LAST: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
const MIN_DATE: OffsetDateTime = time::macros::datetime!(0000-01-01 00:00 UTC);
const MAX_DATE: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59.999 UTC);

impl Millis {
    /// Later than any instant the service deals in: "never expires".
    pub const MAX: Self = Self(i64::MAX);

    /// The same instant as the standard library's time (clamped to the epoch: nothing the
    /// service stamps is older), for APIs that take one, like an email's `Date`.
    pub fn system_time(self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + Duration::from_millis(self.0.max(0).unsigned_abs())
    }

    /// Whole seconds since the Unix epoch (JWT `iat`/`exp`, webhook timestamps).
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// RFC 3339 in UTC, with as many fraction digits as the milliseconds need (as the `time`
    /// crate writes it). Written out by hand so that no formatting error can leave it empty.
    pub fn rfc3339(self) -> String {
        let clamped = self.0.clamp(FIRST, LAST);
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(clamped) * 1_000_000)
            // Not reached: the clamped range is inside what `time` represents.
            .unwrap_or(if clamped < 0 { MIN_DATE } else { MAX_DATE });
        let fraction = match t.millisecond() {
            0 => String::new(),
            ms => format!(".{}", format!("{ms:03}").trim_end_matches('0')),
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        )
    }

    /// How long ago this was at `now` (zero for an instant in the future).
    pub fn elapsed_at(self, now: Millis) -> Duration {
        Duration::from_millis(now.0.saturating_sub(self.0).max(0).unsigned_abs())
    }

    /// How long until this instant at `now` (zero for one in the past).
    pub fn remaining_at(self, now: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(now.0).max(0).unsigned_abs())
    }
}

/// Milliseconds of a duration, saturating: no stored lifetime is longer than `i64::MAX` ms.
fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// An instant plus a lifetime (`now + ttl`); saturates instead of overflowing.
impl Add<Duration> for Millis {
    type Output = Self;
    fn add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(millis_of(d)))
    }
}

/// An instant minus a span (`now - window`); saturates instead of overflowing.
impl Sub<Duration> for Millis {
    type Output = Self;
    fn sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(millis_of(d)))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

impl PartialSchema for Millis {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339, UTC"))
            .into()
    }
}

impl ToSchema for Millis {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}

/// Where every part of Latchkey reads the time: the flows, the outbox worker, the access
/// tokens and the rate limiter take one, so that tests can move a running application's time
/// forward (`advance`) instead of sleeping until links expire or retries fall due.
///
/// It is the system's UTC time plus an offset that only `advance` changes: time keeps
/// passing as usual, so real timeouts (connections, SMTP) and the worker's sleeps still work.
/// Whoever sleeps until an instant of this clock (the outbox worker, until the next message
/// falls due) also watches `advanced`, so that a jump forward ends the sleep at once.
#[derive(Clone, Default)]
pub struct Clock {
    inner: Arc<Shared>,
}

/// What every clone of a clock shares.
struct Shared {
    /// Milliseconds added to the system time.
    offset: AtomicI64,
    /// Counts the jumps, for those who sleep until an instant of this clock.
    advanced: watch::Sender<u64>,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            offset: AtomicI64::new(0),
            advanced: watch::Sender::new(0),
        }
    }
}

impl Clock {
    /// The system's time, until someone calls `advance`.
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> Millis {
        let system = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        let system = i64::try_from(system).unwrap_or(i64::MAX);
        Millis(system.saturating_add(self.inner.offset.load(Ordering::Relaxed)))
    }

    /// Moves this clock (and every clone of it) forward by `by`, and wakes whoever sleeps
    /// until an instant of it.
    pub fn advance(&self, by: Duration) {
        self.inner
            .offset
            .fetch_add(millis_of(by), Ordering::Relaxed);
        self.inner.advanced.send_modify(|jumps| *jumps += 1);
    }

    /// Changes each time the clock is advanced: a sleep until an instant of this clock selects
    /// on `changed()` and looks again. A receiver sees every jump made after it was taken.
    pub fn advanced(&self) -> watch::Receiver<u64> {
        self.inner.advanced.subscribe()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("offset_ms", &self.inner.offset.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::format_description::well_known::Rfc3339;

    use super::*;

    #[test]
    fn writes_rfc3339_in_utc() {
        assert_eq!(Millis(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Millis(1_764_440_366_123).rfc3339(),
            "2025-11-29T18:19:26.123Z"
        );
        assert_eq!(Millis(-1).rfc3339(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn out_of_range_values_are_the_nearest_date_not_nothing() {
        assert_eq!(Millis(i64::MAX).rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Millis(i64::MIN).rfc3339(), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn serializes_as_text() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_value(Millis(0))?,
            serde_json::json!("1970-01-01T00:00:00Z")
        );
        Ok(())
    }

    #[test]
    fn durations_never_go_negative() {
        let now = Millis(10_000);
        assert_eq!(Millis(4_000).elapsed_at(now), Duration::from_secs(6));
        assert_eq!(Millis(14_000).elapsed_at(now), Duration::ZERO);
        assert_eq!(Millis(14_000).remaining_at(now), Duration::from_secs(4));
        assert_eq!(
            Millis(i64::MIN).remaining_at(Millis(i64::MAX)),
            Duration::ZERO
        );
    }

    #[test]
    fn an_advanced_clock_moves_every_clone() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::from_secs(3600));
        let after = copy.now();
        assert!(after.0 - before.0 >= 3_600_000, "{before} -> {after}");
        assert!(after.0 - before.0 < 3_660_000, "{before} -> {after}");
    }

    #[tokio::test]
    async fn advancing_wakes_whoever_sleeps_on_the_clock() {
        let clock = Clock::system();
        let mut advanced = clock.advanced();
        let copy = clock.clone();
        tokio::spawn(async move { copy.advance(Duration::from_secs(60)) });
        let woke = tokio::time::timeout(Duration::from_secs(5), advanced.changed()).await;
        assert!(matches!(woke, Ok(Ok(()))), "{woke:?}");
    }

    #[test]
    fn arithmetic_saturates() {
        let now = Millis(1_000);
        assert_eq!(now + Duration::from_secs(2), Millis(3_000));
        assert_eq!(now - Duration::from_secs(2), Millis(-1_000));
        assert_eq!(Millis::MAX + Duration::from_secs(1), Millis::MAX);
        assert_eq!(Millis(i64::MIN) - Duration::MAX, Millis(i64::MIN));
        assert_eq!(Millis(-1).unix_seconds(), -1);
        assert_eq!(Millis(1_999).unix_seconds(), 1);
    }

    proptest! {
        /// Every stored value, however wrong, is written as a date RFC 3339 parsers accept,
        /// and values in range come back exactly, written as the `time` crate writes them.
        #[test]
        fn every_value_is_a_parseable_date(ms in prop_oneof![any::<i64>(), FIRST..=LAST]) {
            let text = Millis(ms).rfc3339();
            if (FIRST..=LAST).contains(&ms) {
                let by_time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .ok()
                    .and_then(|t| t.format(&Rfc3339).ok());
                prop_assert_eq!(Some(text.clone()), by_time);
            }
            let parsed = OffsetDateTime::parse(&text, &Rfc3339);
            prop_assert!(parsed.is_ok(), "{text}");
            if (FIRST..=LAST).contains(&ms) {
                let back = parsed.map(|t| t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
                prop_assert_eq!(back, i128::from(ms));
            }
        }
    }
}
