//! docs/walkthrough.md shows scripts/walkthrough.sh verbatim; here it runs with curl
//! against a real `latchkey serve` (dev mailbox, default mail cooldown), and every answer it
//! prints must match the comment under its command: JSON compared as JSON (same keys, any
//! order; "…" stands for any value), anything else as text.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn script() -> String {
    std::fs::read_to_string(root().join("scripts/walkthrough.sh")).expect("scripts/walkthrough.sh")
}

/// The script from its first setting on: what docs/walkthrough.md shows.
fn shown_part(script: &str) -> &str {
    let start = script.find("URL=").expect("the script sets URL");
    script[start..].trim_end()
}

#[test]
fn the_walkthrough_doc_shows_the_script() {
    let doc =
        std::fs::read_to_string(root().join("docs/walkthrough.md")).expect("docs/walkthrough.md");
    let script = script();
    assert!(
        doc.contains(&format!("```sh\n{}\n```", shown_part(&script))),
        "docs/walkthrough.md differs from scripts/walkthrough.sh"
    );
}

/// The comments that show an answer: `# {…}`, `# […]`, `# 204`, `# 1 email to cy`.
fn expected_answers(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|c| c.starts_with(['{', '[']) || c.starts_with(|ch: char| ch.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// `actual` has `expected`'s shape: "…" matches any value, objects have the same keys.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(s), _) if s == "…" => true,
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|got| matches(v, got)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
        }
        _ => expected == actual,
    }
}

#[test]
fn every_flow_of_the_walk_through_answers_as_shown() {
    for tool in ["bash", "curl", "python3"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            found.is_ok_and(|s| s.success()),
            "{tool} is needed to run the walk-through of docs/walkthrough.md (.ci/run installs it)"
        );
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = crate::support::latchkey(dir.path())
        .arg("serve")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start latchkey serve");
    let stderr = server.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = server.kill();
            let _ = server.wait();
            panic!("no 'listening' line");
        };
        if line.contains("latchkey listening")
            && let Some(addr) = line.split("addr=").nth(1)
        {
            break addr.split_whitespace().next().expect("address").to_owned();
        }
    };

    let out = Command::new("bash")
        .arg(root().join("scripts/walkthrough.sh"))
        .env("LATCHKEY_URL", format!("http://{addr}"))
        .stdin(Stdio::null())
        .output()
        .expect("run the walk-through");
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let expected = expected_answers(&script());
    let actual: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        expected.len(),
        actual.len(),
        "one answer per shown comment: {stdout}"
    );
    for (e, a) in expected.iter().zip(&actual) {
        let same = match serde_json::from_str::<Value>(e) {
            Ok(e) if e.is_object() || e.is_array() => {
                serde_json::from_str::<Value>(a).is_ok_and(|a| matches(&e, &a))
            }
            _ => e == a,
        };
        assert!(same, "shown: {e}\nanswered: {a}");
    }
}
