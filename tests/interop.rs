//! Interoperability with the libraries host apps run (contract §9): a running server's access
//! tokens verified by PyJWT (`PyJWKClient`) and jose (`createRemoteJWKSet`), a captured webhook
//! by the Python and Node `standardwebhooks` packages, and the browser-side client of
//! docs/integration.md driven against the server, for ES256 and EdDSA.
//!
//! They need a Python venv and `npm ci` in `interop/`, which `.ci/run` makes (from PyPI and
//! npm); so they are `#[ignore]`d in a plain `cargo test` and `.ci/run` runs them with
//! `--ignored`. Without the venv or `node_modules` they fail, saying what to run.

// `pub`: this binary uses a few of the helpers; the e2e suite, which declares the module
// privately, is where a helper nobody uses is reported.
#[path = "support/mod.rs"]
pub mod support;

use std::{path::PathBuf, process::Command};

use latchkey::{configuration::WebhookSettings, domain::access::TokenAlgorithm};
use reqwest::StatusCode;
use serde_json::json;
use support::{pages, process_group::ProcessGroup, webhooks::*, *};

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
                ("LATCHKEY_PUBLIC_URL", "http://localhost:8080".to_owned()),
                ("LATCHKEY_TOKEN_AUDIENCE", "latchkey".to_owned()),
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

/// The reverse-proxy snippet of the guide, run by a real nginx: Latchkey's API, pages and keys
/// under the app's domain, the rest to the app, and links in emails on the app's domain.
#[tokio::test]
#[ignore = "needs nginx (Debian's nginx-light), which .ci/run installs"]
async fn the_guides_nginx_snippet_serves_latchkey_under_the_apps_domain() {
    let nginx = PathBuf::from("/usr/sbin/nginx");
    assert!(
        nginx.exists(),
        "nginx is missing: apt-get install nginx-light (.ci/run does)"
    );
    // The app: answers every request with "the app".
    let app_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app_port = app_listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut s, _)) = app_listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nthe app",
                    )
                    .await;
            });
        }
    });
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let public = format!("http://127.0.0.1:{proxy_port}");
    let app = TestApp::spawn_with(|s| {
        s.public_url = public.parse().expect("url");
        s.link_base_url = s.public_url.clone();
        s.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")];
    })
    .await;
    let latchkey_port = app.base.rsplit(':').next().expect("port").to_owned();
    let prefix = app.dir.path().join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).expect("nginx dir");
    let conf = prefix.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\npid {p}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n  access_log off;\n  \
             client_body_temp_path {p}/body; proxy_temp_path {p}/proxy;\n  \
             upstream latchkey {{ server 127.0.0.1:{latchkey_port}; }}\n  upstream app {{ server 127.0.0.1:{app_port}; }}\n  \
             server {{\n    listen 127.0.0.1:{proxy_port};\n    include {snippet};\n  }}\n}}\n",
            p = prefix.display(),
            snippet = interop_dir().join("nginx/latchkey.conf").display(),
        ),
    )
    .expect("nginx.conf");
    let mut command = std::process::Command::new(&nginx);
    command
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf)
        .stderr(std::process::Stdio::null());
    // Its own process group: the workers nginx starts are checked gone at the end.
    let nginx = ProcessGroup::spawn("nginx", command);
    let client = no_redirects();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{public}/")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "nginx did not start");
    let text = |path: &'static str| {
        let client = client.clone();
        let url = format!("{public}{path}");
        async move {
            let r = client.get(url).send().await.expect("request");
            (r.status(), r.text().await.expect("text"))
        }
    };

    // The app's own paths are the app's.
    for path in ["/", "/app/", "/app/settings?tab=1"] {
        assert_eq!(
            text(path).await,
            (StatusCode::OK, "the app".to_owned()),
            "{path}"
        );
    }
    // Every page is Latchkey's, with its stylesheet and icon.
    let mut stylesheet = None;
    for page in pages::SIGNED_OUT {
        let (status, html) = text(page).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        // One h1 on every page (a link page with a dead token shows no form, only what happened).
        assert!(
            html.contains("<h1"),
            "{page} is not Latchkey's page: {html}"
        );
        let linked = pages::links(&html)
            .into_iter()
            .find(|l| l.starts_with("/assets/") && l.ends_with(".css"))
            .unwrap_or_else(|| panic!("{page} links no stylesheet: {html}"));
        stylesheet.get_or_insert(linked);
    }
    let stylesheet = stylesheet.expect("a stylesheet");
    for (path, content_type) in [
        (stylesheet.as_str(), "text/css"),
        (pages::FAVICON, "image/x-icon"),
    ] {
        let r = client
            .get(format!("{public}{path}"))
            .send()
            .await
            .expect("asset");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(content_type)),
            "{path}"
        );
    }
    // Every other path of the pages (the ones that redirect, take only POST, or need a
    // session) answers through the proxy what it answers without it.
    for path in pages::PATHS.iter().filter(|p| **p != "/") {
        let via = client
            .get(format!("{public}{path}"))
            .send()
            .await
            .expect("through nginx");
        let direct = client.get(app.url(path)).send().await.expect("direct");
        assert_eq!(via.status(), direct.status(), "{path}");
        assert_ne!(via.text().await.expect("text"), "the app", "{path}");
    }
    // What is not for the internet is not served.
    for path in ["/metrics", "/dev/mailbox"] {
        assert_eq!(text(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }

    // The API and the keys, and the links in emails on the app's domain.
    let jwks: serde_json::Value = client
        .get(format!("{public}/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert!(jwks["keys"][0]["kid"].is_string(), "{jwks}");
    let email = "proxied@example.com";
    let r = client
        .post(format!("{public}/api/v1/register"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let link = app
        .smtp
        .latest(email)
        .await
        .link("verify-email")
        .expect("a verification link");
    assert!(
        link.starts_with(&format!("{public}/verify-email?token=")),
        "{link}"
    );
    let page = client.get(&link).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let token = link.split("token=").nth(1).expect("token");
    let r = client
        .post(format!("{public}/api/v1/email/verify"))
        .json(&json!({"token": token}))
        .send()
        .await
        .expect("verify");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client
        .post(format!("{public}/api/v1/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    let me = client
        .get(format!("{public}/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);

    // SIGQUIT is nginx's graceful stop: the master waits for its workers and ends, and no
    // process of nginx's is left behind.
    nginx.stop("QUIT", std::time::Duration::from_secs(30));
    app.stop().await;
}
