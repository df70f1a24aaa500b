//! How long one email takes to render (`cargo bench --bench render`): every kind in every
//! language, with the templates compiled once as the worker does at start. Prints the mean and
//! the worst per-kind mean in microseconds, and the size of each HTML part. CPU numbers on a
//! machine shared with other builds are noisy: read them as an order of magnitude.

use std::time::{Duration, Instant};

use latchkey::{
    Settings,
    cli::mail::sample_values,
    domain::locale::Locale,
    mail::{EmailKind, outbox::fill_expiry, templates::Templates},
};
use minijinja::Value;

const ROUNDS: u32 = 2_000;

fn main() {
    let settings = Settings::defaults();
    let started = Instant::now();
    let templates = match Templates::load(&settings.product_name, None) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("templates: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "compiling every kind in every language at start: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "{:<28} {:>4} {:>10} {:>10}",
        "kind", "lang", "µs/email", "HTML bytes"
    );
    let mut total = Duration::ZERO;
    let mut count = 0u32;
    let mut worst = (0.0f64, String::new());
    let mut largest = 0usize;
    for kind in EmailKind::ALL {
        for lang in Locale::ALL {
            let mut values = sample_values(&settings, kind);
            values.insert("locale".into(), lang.as_str().into());
            let mut size = 0;
            let start = Instant::now();
            for _ in 0..ROUNDS {
                // What the worker does per message: the expiry in words, then both parts.
                let mut v = values.clone();
                fill_expiry(&templates, lang.as_str(), &mut v);
                let email = templates
                    .render(
                        kind,
                        lang.as_str(),
                        &Value::from(minijinja::value::Serde(&v)),
                    )
                    .unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
                size = email.html.len();
            }
            let elapsed = start.elapsed();
            let micros = elapsed.as_secs_f64() * 1e6 / f64::from(ROUNDS);
            println!(
                "{:<28} {:>4} {:>10.1} {:>10}",
                kind.as_str(),
                lang.as_str(),
                micros,
                size
            );
            total += elapsed;
            count += ROUNDS;
            largest = largest.max(size);
            if micros > worst.0 {
                worst = (micros, format!("{kind} [{lang}]"));
            }
        }
    }
    println!(
        "mean {:.1} µs per email; slowest {} at {:.1} µs; largest HTML part {} bytes",
        total.as_secs_f64() * 1e6 / f64::from(count),
        worst.1,
        worst.0,
        largest
    );
}
