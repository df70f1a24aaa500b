//! Log output: lines on standard error, where a failed write is never fatal.
//!
//! Under docker, journald or `latchkey serve 2>&1 | tee log`, the reading end of the log pipe
//! can close while the service runs. Rust ignores SIGPIPE, so each write then fails with EPIPE.
//! `tracing-subscriber` reports a failed write with `eprintln!`, which panics when standard
//! error is that same closed pipe: the panic killed the server during start-up, or killed the
//! task that was logging (the shutdown path among them) and left the outbox worker running
//! with nobody to stop it. Here a line that cannot be written is dropped and counted
//! (`latchkey_log_lines_dropped_total`), and the service goes on.

use std::{
    io::{self, IsTerminal as _},
    sync::atomic::{AtomicU64, Ordering},
};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::configuration::{LogFormat, Settings};

static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Log lines dropped because standard error could not take them, since the process started.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Standard error that swallows write errors (and counts the lines they cost).
#[derive(Debug, Clone, Copy, Default)]
pub struct LossyStderr;

impl io::Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter hands over one whole event per `write_all`, so one failure is one line.
        if io::stderr().lock().write_all(buf).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LossyStderr {
    type Writer = LossyStderr;
    fn make_writer(&'a self) -> Self::Writer {
        LossyStderr
    }
}

/// Servers log at `LATCHKEY_LOG` (default info). One-shot commands log warnings only unless
/// `LATCHKEY_LOG` asks for more: their output is what they print.
pub fn init(settings: &Settings, server: bool) {
    let level = if server || std::env::var_os("LATCHKEY_LOG").is_some() {
        settings.log.as_str()
    } else {
        "warn"
    };
    // The setting was checked when the settings were read; "info" is only a last resort.
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LossyStderr)
        // Never `eprintln!` about a failed write: that is what panicked.
        .log_internal_errors(false)
        .with_ansi(io::stderr().is_terminal());
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
