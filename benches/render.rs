//! Email rendering: the HTML size of every kind in every language, and the time to render one
//! email, the way the worker does it for a queued message (sample values filled, the expiry put
//! into words in the recipient's language, the HTML and text parts rendered). The MJML is
//! compiled once, when the templates load, as at start-up; that time is printed apart.
//!
//! `cargo bench --bench render [-- --iterations 2000]`
//!
//! Without `--bench` (as under `cargo test --all-targets`) it does nothing.

use std::{hint::black_box, time::Instant};

use latchkey::{
    Settings,
    cli::mail::sample,
    i18n::LANGUAGES,
    mail::{EmailKind, templates::Templates},
};

/// Gmail clips a message's HTML at 102 KB; the target is far below it.
const MAX_HTML_BYTES: usize = 40 * 1024;
/// Target time to render one email.
const MAX_RENDER_MS: f64 = 0.2;

/// This thread's CPU time in ns (Linux: the first field of `/proc/thread-self/schedstat`).
/// On a machine shared with other work it moves far less than wall time does.
fn thread_cpu_ns() -> Option<u128> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> Result<(), String> {
    let mut bench = false;
    let mut iterations: u32 = 2000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => bench = true,
            "--iterations" => {
                iterations = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--iterations needs a positive number")?;
            }
            other if other.starts_with('-') => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !bench {
        return Ok(());
    }

    let settings = Settings::defaults();
    let started = Instant::now();
    let templates = Templates::load(&settings.product_name, None).map_err(|e| e.to_string())?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "templates loaded (MJML compiled for {} kinds x {} languages) in {load_ms:.1} ms, once at start\n",
        EmailKind::ALL.len(),
        LANGUAGES.len()
    );

    // Sizes: one table, kinds by languages, in KB of the HTML part.
    let mut sizes = format!("| HTML size, KB | {} |\n| --- |", LANGUAGES.join(" | "));
    sizes.push_str(&" ---: |".repeat(LANGUAGES.len()));
    let mut largest = 0;
    for kind in EmailKind::ALL {
        sizes.push_str(&format!("\n| `{kind}` |"));
        for lang in LANGUAGES {
            let email = sample(&settings, &templates, kind, lang).map_err(|e| e.to_string())?;
            largest = largest.max(email.html.len());
            sizes.push_str(&format!(" {:.1} |", email.html.len() as f64 / 1024.0));
        }
    }
    println!("{sizes}\n");

    // Times: each kind in each language rendered `iterations` times after a warm-up; the mean
    // per email, per kind over the five languages, and the slowest single language.
    let mut times = String::from(
        "| kind | wall µs per email (5 languages) | slowest language, wall µs | CPU µs per email |\n| --- | ---: | ---: | ---: |",
    );
    let mut slowest_ms: f64 = 0.0;
    let mut total_ns = 0u128;
    let mut total_cpu_ns = 0u128;
    let mut total_renders = 0u128;
    for kind in EmailKind::ALL {
        let mut kind_ns = 0u128;
        let mut kind_cpu_ns = 0u128;
        let mut worst = (0.0, "");
        for lang in LANGUAGES {
            for _ in 0..iterations / 10 {
                black_box(sample(&settings, &templates, kind, lang).map_err(|e| e.to_string())?);
            }
            let cpu_before = thread_cpu_ns();
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(sample(&settings, &templates, kind, lang).map_err(|e| e.to_string())?);
            }
            let ns = started.elapsed().as_nanos();
            if let (Some(before), Some(after)) = (cpu_before, thread_cpu_ns()) {
                kind_cpu_ns += after.saturating_sub(before);
            }
            kind_ns += ns;
            let mean_us = ns as f64 / f64::from(iterations) / 1e3;
            if mean_us > worst.0 {
                worst = (mean_us, lang);
            }
        }
        let renders = u128::from(iterations) * LANGUAGES.len() as u128;
        total_ns += kind_ns;
        total_cpu_ns += kind_cpu_ns;
        total_renders += renders;
        slowest_ms = slowest_ms.max(worst.0 / 1e3);
        times.push_str(&format!(
            "\n| `{kind}` | {:.1} | {:.1} ({}) | {:.1} |",
            kind_ns as f64 / renders as f64 / 1e3,
            worst.0,
            worst.1,
            kind_cpu_ns as f64 / renders as f64 / 1e3,
        ));
    }
    println!("{times}\n");
    println!(
        "all kinds and languages: {:.1} µs wall, {:.1} µs CPU per email over {total_renders} renders",
        total_ns as f64 / total_renders as f64 / 1e3,
        total_cpu_ns as f64 / total_renders as f64 / 1e3
    );
    println!(
        "largest HTML part: {:.1} KB (target < {} KB): {}",
        largest as f64 / 1024.0,
        MAX_HTML_BYTES / 1024,
        if largest < MAX_HTML_BYTES {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "slowest kind and language: {:.3} ms per email (target < {MAX_RENDER_MS} ms): {}",
        slowest_ms,
        if slowest_ms < MAX_RENDER_MS {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}
