//! Every email kind in every language, exactly as it goes over SMTP, scored by Debian's
//! SpamAssassin with its local rules (no network tests): each must score at most 1.0 (5.0 is
//! spam). Skipped with a message where `spamassassin` is not installed, except with `CI=true`
//! (`.ci/run` installs it).

use std::{
    io::Write,
    process::{Command, Stdio},
};

use latchkey::{
    Settings,
    cli::mail::sample_values,
    domain::locale::Locale,
    mail::{EmailKind, outbox::fill_expiry, templates::Templates, transport::formatted_message},
};
use minijinja::Value;

const MAX_SCORE: f64 = 1.0;

fn spamassassin() -> Option<&'static str> {
    let found = Command::new("spamassassin")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("spamassassin");
    }
    let message =
        "spam check SKIPPED: spamassassin is not installed (apt-get install spamassassin)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; with CI=true it must run");
    }
    eprintln!("{message}");
    None
}

#[test]
fn every_kind_in_every_language_scores_at_most_one_point() {
    let Some(program) = spamassassin() else {
        return;
    };
    let mut settings = Settings::defaults();
    settings.link_base_url = "https://id.example.com".parse().expect("url");
    settings.mail_from = "Example ID <no-reply@example.com>".parse().expect("from");
    let templates = Templates::load(&settings.product_name, None).expect("templates");
    // One mbox, one SpamAssassin process: its start costs seconds, each message milliseconds.
    let mut mbox = Vec::new();
    let mut labels = Vec::new();
    for lang in Locale::ALL {
        for kind in EmailKind::ALL {
            let mut values = sample_values(&settings, kind);
            fill_expiry(&templates, lang.as_str(), &mut values);
            let email = templates
                .render(
                    kind,
                    lang.as_str(),
                    &Value::from(minijinja::value::Serde(&values)),
                )
                .expect("render");
            let raw = formatted_message(
                &settings.mail_from,
                "ann@example.com",
                Some("Ann Example"),
                &email,
            )
            .expect("a message");
            mbox.extend_from_slice(b"From no-reply@example.com Sun Nov 29 16:00:00 2026\n");
            for line in String::from_utf8_lossy(&raw).replace("\r\n", "\n").lines() {
                if line.starts_with("From ") {
                    mbox.push(b'>');
                }
                mbox.extend_from_slice(line.as_bytes());
                mbox.push(b'\n');
            }
            mbox.push(b'\n');
            labels.push(format!("{kind} [{lang}]"));
        }
    }
    let mut child = Command::new(program)
        .args([
            "-L",
            "--mbox",
            "--cf=use_bayes 0",
            "--cf=bayes_auto_learn 0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spamassassin starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&mbox)
        .expect("write");
    let output = child.wait_with_output().expect("spamassassin ends");
    let text = String::from_utf8_lossy(&output.stdout);
    let statuses: Vec<String> = text
        .split("\nX-Spam-Status: ")
        .skip(1)
        .map(|rest| {
            // The header may fold onto indented lines.
            let mut header = String::new();
            for (i, line) in rest.lines().enumerate() {
                if i > 0 && !line.starts_with([' ', '\t']) {
                    break;
                }
                header.push_str(line.trim());
                header.push(' ');
            }
            header
        })
        .collect();
    assert_eq!(statuses.len(), labels.len(), "one verdict per message");
    let mut worst = 0.0f64;
    for (label, status) in labels.iter().zip(&statuses) {
        let score: f64 = status
            .split("score=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{label}: no score in {status}"));
        worst = worst.max(score);
        assert!(score <= MAX_SCORE, "{label} scores {score}: {status}");
        if score > 0.0 {
            eprintln!("{label}: {status}");
        }
    }
    eprintln!("spam scores: worst {worst} of {} messages", labels.len());
}
