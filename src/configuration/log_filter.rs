//! `LATCHKEY_LOG`, checked at start: a filter that parses but can never match logs nothing.

use tracing_subscriber::EnvFilter;

/// The levels `LATCHKEY_LOG` takes alone or after `target=`.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// `LATCHKEY_LOG`: a level (`debug`), or comma-separated directives (`info,sqlx=warn`). A bare
/// word that is not a level is refused: the filter syntax would read `verbose` as "everything
/// from a module named verbose", which logs nothing at all.
pub fn parse_log_filter(s: &str) -> Result<String, String> {
    let s = s.trim();
    let expected = || {
        format!(
            "expected a level ({}) or directives like info,latchkey=debug; got {s:?}",
            LEVELS.join(", ")
        )
    };
    if s.is_empty() {
        return Err(expected());
    }
    for directive in s.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((target, level)) if !target.trim().is_empty() => level,
            Some(_) => return Err(expected()),
            None => directive,
        };
        if !LEVELS.contains(&level.trim().to_ascii_lowercase().as_str()) {
            return Err(expected());
        }
    }
    EnvFilter::try_new(s).map_err(|e| format!("{e}: {}", expected()))?;
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives_are_accepted() {
        for ok in [
            "info",
            "DEBUG",
            "warn,latchkey=debug",
            "latchkey::mail=trace",
            "off",
        ] {
            assert_eq!(parse_log_filter(ok).as_deref(), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn words_that_log_nothing_are_refused_with_the_value() {
        for bad in [
            "verbose",
            "nonsense=[",
            "",
            "=debug",
            "info,loud",
            "latchkey=lots",
        ] {
            let err = parse_log_filter(bad).err();
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains(&format!("{:?}", bad.trim()))),
                "{bad:?}: {err:?}"
            );
        }
    }
}
