//! Interoperability with the libraries host apps run (contract §9): a running server's access
//! tokens verified by PyJWT (`PyJWKClient`) and jose (`createRemoteJWKSet`), a captured webhook
//! by the Python and Node `standardwebhooks` packages, and the browser-side client of
//! docs/integration.md driven against the server, for ES256 and EdDSA.
//!
//! They need a Python venv and `npm ci` in `interop/`, which `.ci/run` makes (from PyPI and
//! npm); so they are `#[ignore]`d in a plain `cargo test` and `.ci/run` runs them with
//! `--ignored`. Without the venv or `node_modules` they fail, saying what to run.

mod common;

use std::{path::PathBuf, process::Command};

use common::{webhooks::*, *};
use latchkey::{configuration::WebhookSettings, domain::access::TokenAlgorithm};
use serde_json::json;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// Runs a check script; its status and output.
fn run(program: &PathBuf, script: &str, dir: &PathBuf, env: &[(&str, String)]) -> (bool, String) {
    assert!(
        program.exists(),
        "{} is missing: run .ci/run, or `python3 -m venv interop/python/.venv && interop/python/.venv/bin/pip install -r interop/python/requirements.txt` and `npm ci --prefix interop/node`",
        program.display()
    );
    let out = Command::new(program)
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
#[ignore = "needs the Python venv and node_modules that .ci/run installs"]
async fn python_and_node_libraries_verify_tokens_and_webhooks() {
    let python = interop_dir().join("python/.venv/bin/python");
    let node = PathBuf::from(std::env::var("NODE").unwrap_or_else(|_| "node".into()));
    let node_modules = interop_dir().join("node/node_modules/jose");
    assert!(
        node_modules.exists(),
        "{} is missing: run `npm ci --prefix interop/node`",
        node_modules.display()
    );
    let node = which(&node);
    for alg in [TokenAlgorithm::Es256, TokenAlgorithm::EdDsa] {
        let receiver = Receiver::start().await;
        let app = TestApp::spawn_with(|s| {
            s.access_token_alg = alg;
            s.webhook = Some(WebhookSettings {
                url: receiver.url().parse().expect("url"),
                secret: WEBHOOK_SECRET.parse().expect("secret"),
                secret_previous: None,
            });
        })
        .await;
        let email = format!("interop-{alg}@example.com");
        let (access, _) = app.logged_in(&email).await;
        let delivery = receiver.wait_for("user.verified", 1).await.remove(0);
        let capture = app.dir.path().join("webhook.json");
        let headers = json!({
            "webhook-id": delivery.id,
            "webhook-timestamp": delivery.timestamp,
            "webhook-signature": delivery.signature,
        });
        std::fs::write(
            &capture,
            json!({"headers": headers, "body": delivery.body}).to_string(),
        )
        .expect("capture");
        let env = |token: &str| {
            vec![
                ("LATCHKEY_URL", app.base.clone()),
                ("LATCHKEY_ISSUER", "http://localhost:8080".to_owned()),
                ("LATCHKEY_AUDIENCE", "latchkey".to_owned()),
                ("ACCESS_TOKEN", token.to_owned()),
                ("WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
                ("WEBHOOK_CAPTURE", capture.display().to_string()),
                ("LOGIN_EMAIL", email.clone()),
                ("LOGIN_PASSWORD", PASSWORD.to_owned()),
            ]
        };
        let python_dir = interop_dir().join("python");
        let node_dir = interop_dir().join("node");
        let (ok, out) = run(&python, "verify.py", &python_dir, &env(&access));
        assert!(ok, "{alg} python: {out}");
        assert!(
            out.contains("token ok") && out.contains("webhook ok: user.verified"),
            "{out}"
        );
        let (ok, out) = run(&node, "verify.mjs", &node_dir, &env(&access));
        assert!(ok, "{alg} node: {out}");
        assert!(out.contains("browser client ok"), "{out}");

        // A token signed by another deployment fails in both: the scripts do check.
        let mut claims: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                access.split('.').nth(1).expect("payload"),
            )
            .expect("b64"),
        )
        .expect("json");
        claims["email"] = json!("someone.else@example.com");
        let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            claims.to_string(),
        );
        let forged = parts.join(".");
        let (ok, out) = run(&python, "verify.py", &python_dir, &env(&forged));
        assert!(!ok, "python accepted a forged token: {out}");
        let (ok, out) = run(&node, "verify.mjs", &node_dir, &env(&forged));
        assert!(!ok, "node accepted a forged token: {out}");
        app.stop().await;
    }
}

/// `node` as found on PATH (an absolute path, for `exists`).
fn which(program: &PathBuf) -> PathBuf {
    if program.is_absolute() {
        return program.clone();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(program))
        .find(|p| p.exists())
        .unwrap_or_else(|| program.clone())
}
