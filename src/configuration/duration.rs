//! Durations as operators write them: `90s`, `15m`, `24h`, `7d` (and `250ms` for tests).

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("expected a duration like 90s, 15m, 24h or 7d, got {0:?}")]
pub struct InvalidDuration(pub String);

pub fn parse_duration(input: &str) -> Result<Duration, InvalidDuration> {
    let err = || InvalidDuration(input.to_owned());
    let s = input.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().map_err(|_| err())?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(err()),
    };
    n.checked_mul(millis_per_unit)
        // Anything beyond ~10 years is a typo, and keeps time arithmetic far from overflow.
        .filter(|ms| *ms <= 10 * 365 * 86_400_000)
        .map(Duration::from_millis)
        .ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "",
            "s",
            "10",
            "1.5h",
            "-1s",
            "10 s",
            "10sec",
            "1w",
            "99999999999999999999s",
            "5000d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
