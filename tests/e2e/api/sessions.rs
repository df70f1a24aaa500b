//! Log-in, refresh-token rotation, log-out and access tokens (contract §1, §2, §3, §4): what
//! each state of an account answers, reuse detection, concurrent refreshes, revoked sessions,
//! forged and expired access tokens, secret rotation, and the generated key file.

use std::time::Duration;

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use latchkey::domain::keys::Secret;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Status and JSON body of an answer.
async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.expect("json"))
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_answer_alike() {
    let app = TestApp::spawn().await;
    app.verified_user("known@example.com").await;
    app.register("unverified@example.com").await;
    app.verified_user("disabled@example.com").await;
    app.sql_for(
        "UPDATE users SET disabled = TRUE WHERE email_norm = $1",
        "disabled@example.com",
    )
    .await;
    app.verified_user("nopassword@example.com").await;
    app.sql_for(
        "UPDATE users SET password_hash = NULL WHERE email_norm = $1",
        "nopassword@example.com",
    )
    .await;

    let unknown = answer(app.login("unknown@example.com", PASSWORD).await).await;
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.1["code"], "invalid_credentials");
    for email in [
        "known@example.com",
        "unverified@example.com",
        "disabled@example.com",
    ] {
        let wrong = answer(app.login(email, "not the password").await).await;
        assert_eq!(wrong, unknown, "{email}");
    }
    // An account without a password (made by an operator) takes none.
    for password in [PASSWORD, "", "latchkey-dummy-password"] {
        let none = answer(app.login("nopassword@example.com", password).await).await;
        assert_eq!(none, unknown, "{password:?}");
    }
    // An empty password is just a wrong one.
    assert_eq!(
        answer(app.login("known@example.com", "").await).await,
        unknown
    );

    // The account's state is told only to someone who knows the password.
    assert_problem(
        app.login("unverified@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    assert_problem(
        app.login("disabled@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;
    // Disabled wins over unverified.
    app.sql_for(
        "UPDATE users SET disabled = TRUE WHERE email_norm = $1",
        "unverified@example.com",
    )
    .await;
    assert_problem(
        app.login("unverified@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "account_disabled",
    )
    .await;
    // A log-in address is normalized like every other.
    app.log_in("  KNOWN@example.COM ").await;
    assert_problem(
        app.login("known", PASSWORD).await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_and_an_old_token_is_dead() {
    let app = TestApp::spawn().await;
    let (access, mut refresh) = app.logged_in("rotate@example.com").await;
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    let mut seen = vec![refresh.clone()];
    for _ in 0..3 {
        let r = app.refresh(&refresh).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.expect("tokens");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        let next = str_of(&body, "refresh_token");
        assert!(!seen.contains(&next), "a refresh token came back twice");
        assert_eq!(
            app.me_status(&str_of(&body, "access_token")).await,
            StatusCode::OK
        );
        seen.push(next.clone());
        refresh = next;
    }
    // The current one is the only one that works; using a dead one is reuse (next test).
    assert_problem(
        app.refresh(&seen[0]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn reusing_a_dead_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let (access0, refresh0) = app.logged_in("reuse@example.com").await;
    let (other_access, other_refresh) = app.log_in("reuse@example.com").await;

    let (access1, refresh1) = tokens_of(app.refresh(&refresh0).await).await;
    let (access2, refresh2) = tokens_of(app.refresh(&refresh1).await).await;
    assert_eq!(app.me_status(&access2).await, StatusCode::OK);
    // Past the grace period that two tabs refreshing at once get (tested in refresh_tokens.rs).
    app.advance(Duration::from_secs(11)).await;

    // Someone presents a token that was already rotated away: the session is over for all.
    assert_problem(
        app.refresh(&refresh0).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.refresh(&refresh2).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    for access in [&access0, &access1, &access2] {
        let r = app.get_auth("/api/v1/me", access).await;
        assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    // Another session of the same user is not touched.
    assert_eq!(app.me_status(&other_access).await, StatusCode::OK);
    let (other_access, _) = tokens_of(app.refresh(&other_refresh).await).await;
    assert_eq!(app.me_status(&other_access).await, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let (_, refresh) = app.logged_in("concurrent@example.com").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/token/refresh"),
            refresh.clone(),
        );
        tasks.spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .expect("request");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        });
    }
    let (mut ok, mut refused) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        let (status, body) = result.expect("task");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["code"], "invalid_refresh_token", "{body}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (1, 15));
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_account_cannot_refresh_or_use_its_access_tokens() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.logged_in("gone@example.com").await;
    app.sql_for(
        "UPDATE users SET disabled = TRUE WHERE email_norm = $1",
        "gone@example.com",
    )
    .await;
    assert_problem(
        app.get_auth("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.refresh(&refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_unverified_account_cannot_refresh() {
    let app = TestApp::spawn().await;
    let (_, refresh) = app.logged_in("unverify@example.com").await;
    app.sql_for(
        "UPDATE users SET email_verified = FALSE WHERE email_norm = $1",
        "unverify@example.com",
    )
    .await;
    assert_problem(
        app.refresh(&refresh).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_expired_session_cannot_refresh() {
    let app = TestApp::spawn().await;
    let (_, refresh) = app.logged_in("expired@example.com").await;
    // The session's lifetime passes.
    app.advance(app.settings.refresh_ttl + Duration::from_secs(1))
        .await;
    assert_problem(
        app.refresh(&refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_accepts_any_token() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.logged_in("bye@example.com").await;
    let (other_access, _) = app.log_in("bye@example.com").await;
    let r = app.logout(&refresh).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.text().await.expect("body").is_empty());
    assert_problem(
        app.refresh(&refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        app.get_auth("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(app.me_status(&other_access).await, StatusCode::OK);

    // Again, unknown, and garbage: all 204.
    let unknown = URL_SAFE_NO_PAD.encode([7u8; 48]);
    for token in [refresh.as_str(), unknown.as_str(), "", "garbage", "!!!"] {
        assert_eq!(
            app.logout(token).await.status(),
            StatusCode::NO_CONTENT,
            "{token:?}"
        );
    }
    assert_problem(
        app.refresh(&unknown).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    for garbage in ["", "garbage", "a.b.c"] {
        assert_problem(
            app.refresh(garbage).await,
            StatusCode::UNAUTHORIZED,
            "invalid_refresh_token",
        )
        .await;
    }
    app.stop().await;
}

/// The claims of a JWT, unverified.
fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Signs `claims` with the access-token key pair derived from `secret` (ES256, the default).
fn sign(claims: &Value, secret: &str) -> String {
    crate::support::access_tokens(secret, None)
        .sign(claims)
        .expect("sign")
}

#[tokio::test]
async fn missing_malformed_forged_and_expired_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("bearer@example.com").await;
    let claims = claims_of(&access);

    // The same claims signed again with the deployment's key pass: the forgeries below differ
    // from a good token only where they say.
    assert_eq!(app.me_status(&sign(&claims, SECRET)).await, StatusCode::OK);

    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let mut expired = claims.clone();
    expired["iat"] = json!(now_secs() - 7200);
    expired["exp"] = json!(now_secs() - 3600);
    let mut forever = claims.clone();
    forever["exp"] = json!(now_secs() + 10 * 365 * 86_400);
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(forever.to_string());
    let unsigned = format!("{header_none}.{payload}.");
    let mut parts: Vec<&str> = access.split('.').collect();
    let tampered_payload = URL_SAFE_NO_PAD.encode(forever.to_string());
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    let bad_tokens = [
        ("garbage", "garbage".to_owned()),
        ("three dots", "a.b.c".to_owned()),
        ("expired", sign(&expired, SECRET)),
        ("another secret", sign(&forever, OTHER_SECRET)),
        ("alg none", unsigned),
        ("payload changed", tampered),
        ("truncated", access[..access.len() - 2].to_owned()),
    ];
    for (what, token) in &bad_tokens {
        let r = app.get_auth("/api/v1/me", token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    for header in [
        format!("Basic {access}"),
        access.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
    ] {
        let r = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", header.as_str())
            .send()
            .await
            .expect("request");
        assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // The good token is still good.
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn an_access_token_stops_working_when_it_expires() {
    let app = TestApp::spawn_with(|s| s.access_ttl = Duration::from_secs(1)).await;
    app.verified_user("short@example.com").await;
    let r = app.login("short@example.com", PASSWORD).await;
    let body: Value = r.json().await.expect("tokens");
    assert_eq!(body["expires_in"], 1);
    let access = str_of(&body, "access_token");
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    let claims = claims_of(&access);
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        1
    );
    // Past its expiry and the verifier's second of leeway.
    app.advance(Duration::from_secs(3)).await;
    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn tokens_signed_with_the_previous_secret_work_while_rotating() {
    let app = TestApp::spawn().await;
    let (old_access, refresh) = app.logged_in("rotation@example.com").await;
    app.stop().await;

    let rotating = app
        .restart_with(|s| {
            s.secret = Some(OTHER_SECRET.parse().expect("secret"));
            s.secret_previous = Some(SECRET.parse().expect("secret"));
        })
        .await;
    assert_eq!(rotating.me_status(&old_access).await, StatusCode::OK);
    let (new_access, refresh) = tokens_of(rotating.refresh(&refresh).await).await;
    assert_eq!(rotating.me_status(&new_access).await, StatusCode::OK);
    rotating.stop().await;

    // Once the old secret is dropped, its tokens are not accepted; the new ones are.
    let rotated = app
        .restart_with(|s| s.secret = Some(OTHER_SECRET.parse().expect("secret")))
        .await;
    assert_problem(
        rotated.get_auth("/api/v1/me", &old_access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(rotated.me_status(&new_access).await, StatusCode::OK);
    assert_eq!(rotated.refresh(&refresh).await.status(), StatusCode::OK);
    rotated.stop().await;
}

#[tokio::test]
async fn without_a_secret_a_private_key_file_is_made_and_reused() {
    // The key file is SQLite's: with PostgreSQL a secret is required.
    let app = TestApp::spawn_sqlite_with(|s| s.secret = None).await;
    let key_path = app.dir.path().join("latchkey.key");
    let key = std::fs::read_to_string(&key_path).expect("latchkey.key beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {:o}", mode & 0o777);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .expect("base64 text");
    assert_eq!(bytes.len(), 32);
    assert!(key.trim().parse::<Secret>().is_ok());

    let (access, refresh) = app.logged_in("keyfile@example.com").await;
    app.stop().await;
    let again = app.restart_like().await;
    assert_eq!(
        std::fs::read_to_string(&key_path).expect("key file"),
        key,
        "the key file was not replaced"
    );
    assert_eq!(again.me_status(&access).await, StatusCode::OK);
    assert_eq!(again.refresh(&refresh).await.status(), StatusCode::OK);
    again.stop().await;

    // The key is not in the database.
    for file in ["latchkey.db", "latchkey.db-wal"] {
        if let Ok(raw) = std::fs::read(app.dir.path().join(file)) {
            assert!(
                !raw.windows(bytes.len()).any(|w| w == bytes.as_slice()),
                "{file} holds the key"
            );
            let text = key.trim().as_bytes();
            assert!(
                !raw.windows(text.len()).any(|w| w == text),
                "{file} holds the key text"
            );
        }
    }
}
