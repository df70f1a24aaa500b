//! Response headers and files an outside attacker could exploit (contract §1, §2, §8; issue 9):
//! tokens are never cached, https deployments send HSTS on every answer, pages carry a CSP
//! without inline scripts and `nosniff`, and the SQLite files are readable by the owner only.

use crate::support::*;
use reqwest::{StatusCode, header};

fn header_of(r: &reqwest::Response, name: header::HeaderName) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn answers_that_carry_tokens_are_not_stored() {
    let app = TestApp::spawn().await;
    app.verified_user("cache@example.com").await;
    let r = app.login("cache@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header_of(&r, header::CACHE_CONTROL).as_deref(),
        Some("no-store")
    );
    assert_eq!(header_of(&r, header::PRAGMA).as_deref(), Some("no-cache"));
    let (_, refresh) = tokens_of(r).await;
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header_of(&r, header::CACHE_CONTROL).as_deref(),
        Some("no-store")
    );
    app.stop().await;
}

#[tokio::test]
async fn pages_forbid_framing_and_inline_scripts_and_every_answer_is_nosniff() {
    let app = TestApp::spawn().await;
    for page in pages::SIGNED_OUT {
        let r = app.get(page).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        let csp = header_of(&r, header::CONTENT_SECURITY_POLICY)
            .unwrap_or_else(|| panic!("no CSP on {page}"));
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(directives.contains(&"frame-ancestors 'none'"), "{csp}");
        // Scripts only from this server, never inline: the page script and the passkey calls'
        // are files under /assets.
        assert!(directives.contains(&"default-src 'none'"), "{csp}");
        assert!(directives.contains(&"script-src 'self'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(
            header_of(&r, header::X_CONTENT_TYPE_OPTIONS).as_deref(),
            Some("nosniff"),
            "{page}"
        );
        assert!(header_of(&r, header::STRICT_TRANSPORT_SECURITY).is_none());
        let html = r.text().await.expect("html");
        let scripts = html.matches("<script").count();
        let files = html.matches("<script src=\"/assets/").count();
        assert_eq!(scripts, files, "{page}: an inline script");
        assert!(
            !html.contains(" onclick=") && !html.contains(" onsubmit="),
            "{page}"
        );
    }
    for path in ["/healthz", "/api/v1/nope", "/api/v1/openapi.json"] {
        let r = app.get(path).await;
        assert_eq!(
            header_of(&r, header::X_CONTENT_TYPE_OPTIONS).as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_dev_mailbox_page_has_the_pages_csp() {
    let app = TestApp::spawn_with(|s| s.smtp_url = None).await;
    let r = app.get("/dev/mailbox").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = header_of(&r, header::CONTENT_SECURITY_POLICY).expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    app.stop().await;
}

#[tokio::test]
async fn with_an_https_public_url_every_answer_sends_hsts() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = "https://auth.example.com".parse().expect("url");
    })
    .await;
    let r = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let hsts = header_of(&r, header::STRICT_TRANSPORT_SECURITY).expect("HSTS on an error");
    assert!(hsts.starts_with("max-age="), "{hsts}");
    let max_age: u64 = hsts["max-age=".len()..]
        .split(';')
        .next()
        .and_then(|v| v.trim().parse().ok())
        .expect("a max-age");
    assert!(max_age >= 15_552_000, "at least 180 days: {hsts}");
    for path in ["/healthz", "/login", "/api/v1/me", "/no/such/page"] {
        let r = app.get(path).await;
        assert!(
            header_of(&r, header::STRICT_TRANSPORT_SECURITY).is_some(),
            "{path}"
        );
    }
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    // About SQLite's files: on SQLite whatever the suite's engine.
    let app = TestApp::spawn_sqlite_with(|_| {}).await;
    app.verified_user("private@example.com").await;
    let db = app.db_path();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path:?}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{path:?}");
    }
    app.stop().await;

    // A database left world-readable by an earlier version is narrowed at the next start.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let again = app.restart_like().await;
    let mode = std::fs::metadata(&db).expect("db").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    again.stop().await;
}
