//! The authenticator app, recovery codes and the second-factor step of a log-in (contract
//! §11), through the real server. Codes come from an independent implementation of RFC 6238:
//! Debian's `oathtool`, never from the code under test.

use std::process::Command;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// The code `oathtool` computes for `secret` (base32) at `steps` 30-second steps from now.
pub fn totp(secret: &str, steps: i64) -> String {
    let at = now_secs() + steps * 30;
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "-N", &format!("@{at}"), secret])
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => panic!("oathtool: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => panic!("oathtool is needed for these tests (apt-get install oathtool): {e}"),
    }
}

/// The `amr` claim of an access token (read without verifying: the server issued it).
pub fn amr_of(access: &str) -> Vec<String> {
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    claims["amr"]
        .as_array()
        .expect("an amr claim")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// Enrols and confirms an authenticator app: (its base32 secret, the recovery codes).
pub async fn with_app(app: &TestApp, access: &str) -> (String, Vec<String>) {
    let r = app
        .post_auth("/api/v1/me/mfa/totp", access, json!({"password": PASSWORD}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let setup: Value = r.json().await.expect("json");
    let secret = str_of(&setup, "secret");
    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp/confirm",
            access,
            json!({"code": totp(&secret, 0)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    let codes = body["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (secret, codes)
}

/// Logs in with the password and expects the second-factor step: its `mfa_token`.
pub async fn mfa_token(app: &TestApp, email: &str) -> String {
    let r = app.login(email, PASSWORD).await;
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_required").await;
    str_of(&problem, "mfa_token")
}

async fn second_step(app: &TestApp, token: &str, code: &str) -> Response {
    app.post(
        "/api/v1/login/mfa",
        json!({"mfa_token": token, "code": code}),
    )
    .await
}

async fn me(app: &TestApp, access: &str) -> Value {
    let r = app.get_auth("/api/v1/me", access).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

#[tokio::test]
async fn an_app_is_enrolled_with_the_password_confirmed_by_a_code_and_asked_for_at_log_in() {
    let app = TestApp::spawn().await;
    let email = "totp@example.com";
    let (access, _) = app.logged_in(email).await;
    assert_eq!(
        me(&app, &access).await["mfa"],
        json!({"totp": false, "passkeys": 0, "recovery_codes_left": 0})
    );
    assert_eq!(amr_of(&access), ["pwd"]);

    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp",
            &access,
            json!({"password": "wrong password"}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp/confirm",
            &access,
            json!({"code": "123456"}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "no_pending_totp").await;

    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-store")
    );
    let setup: Value = r.json().await.expect("json");
    let secret = str_of(&setup, "secret");
    let uri = str_of(&setup, "otpauth_uri");
    assert!(
        uri.starts_with("otpauth://totp/Latchkey:totp%40example.com?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Latchkey"));
    assert!(str_of(&setup, "qr_svg").contains("<svg"));

    // Waiting for its first code, the app is not active: log-in needs the password alone.
    assert_eq!(me(&app, &access).await["mfa"]["totp"], json!(false));
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);
    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp/confirm",
            &access,
            json!({"code": "000000"}),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await;
    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp/confirm",
            &access,
            json!({"code": totp(&secret, 0)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let codes: Value = r.json().await.expect("json");
    let codes: Vec<String> =
        serde_json::from_value(codes["recovery_codes"].clone()).expect("codes");
    assert_eq!(codes.len(), 10);
    assert_eq!(
        me(&app, &access).await["mfa"],
        json!({"totp": true, "passkeys": 0, "recovery_codes_left": 10})
    );
    let notice = app
        .smtp
        .with_subject(email, "sign-in method was added")
        .await;
    assert!(notice.text.contains("authenticator app"), "{}", notice.text);
    let r = app
        .post_auth(
            "/api/v1/me/mfa/totp",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "mfa_already_enabled").await;

    // The log-in now stops after the password.
    let r = app.login(email, PASSWORD).await;
    assert_eq!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-store")
    );
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_required").await;
    assert_eq!(problem["methods"], json!(["totp", "recovery_code"]));
    let token = str_of(&problem, "mfa_token");
    assert_problem(
        second_step(&app, &token, "000000").await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;
    // The code that confirmed the app was accepted once: never again.
    let used = totp(&secret, 0);
    let next = totp(&secret, 1);
    if used != next {
        assert_problem(
            second_step(&app, &token, &used).await,
            StatusCode::BAD_REQUEST,
            "code_invalid",
        )
        .await;
    }
    let r = second_step(&app, &token, &next).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["pwd", "otp"]);
    // The token was used; and the code it took, within its 30 seconds, is refused again.
    assert_problem(
        second_step(&app, &token, &next).await,
        StatusCode::UNAUTHORIZED,
        "mfa_token_invalid",
    )
    .await;
    let again = mfa_token(&app, email).await;
    assert_problem(
        second_step(&app, &again, &next).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;

    // A recovery code works once, typed any way.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let r = second_step(&app, &again, &typed).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, refresh) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["pwd", "otp"]);
    assert_eq!(
        me(&app, &access).await["mfa"]["recovery_codes_left"],
        json!(9)
    );
    let third = mfa_token(&app, email).await;
    assert_problem(
        second_step(&app, &third, &codes[0]).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;
    // A refreshed access token says how the session was signed in too.
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["pwd", "otp"]);
    app.stop().await;
}

#[tokio::test]
async fn five_wrong_codes_end_the_step_and_bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let email = "wrong@example.com";
    let (access, _) = app.logged_in(email).await;
    let (secret, _) = with_app(&app, &access).await;
    let token = mfa_token(&app, email).await;
    for _ in 0..5 {
        assert_problem(
            second_step(&app, &token, "000000").await,
            StatusCode::BAD_REQUEST,
            "code_invalid",
        )
        .await;
    }
    assert_problem(
        second_step(&app, &token, &totp(&secret, 1)).await,
        StatusCode::UNAUTHORIZED,
        "mfa_token_invalid",
    )
    .await;
    for bad in ["", "nonsense", &"A".repeat(43), &token[..42]] {
        assert_problem(
            second_step(&app, bad, &totp(&secret, 1)).await,
            StatusCode::UNAUTHORIZED,
            "mfa_token_invalid",
        )
        .await;
    }
    let r = app
        .post("/api/v1/login/mfa", json!({"mfa_token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The step lives 5 minutes.
    let late = mfa_token(&app, email).await;
    sqlx::query("UPDATE mfa_tokens SET expires_at = 0")
        .execute(app.db().await)
        .await
        .expect("expire");
    assert_problem(
        second_step(&app, &late, &totp(&secret, 1)).await,
        StatusCode::UNAUTHORIZED,
        "mfa_token_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn every_code_counts_against_the_log_in_limit_of_the_address() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = true;
    })
    .await;
    let email = "limited@example.com";
    let (access, _) = app.logged_in(email).await;
    with_app(&app, &access).await;
    // Log-in attempts so far: 1. The limit is 10 a minute per client and address.
    let token = mfa_token(&app, email).await;
    for _ in 0..5 {
        second_step(&app, &token, "000000").await;
    }
    let token = mfa_token(&app, email).await;
    for _ in 0..2 {
        second_step(&app, &token, "000000").await;
    }
    assert_problem(
        second_step(&app, &token, "000000").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    assert_problem(
        app.login(email, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn new_recovery_codes_end_the_old_a_reset_keeps_the_app_and_turning_it_off_needs_the_password()
 {
    let app = TestApp::spawn().await;
    let email = "keep@example.com";
    let (access, _) = app.logged_in(email).await;
    let r = app
        .post_auth(
            "/api/v1/me/mfa/recovery-codes",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "mfa_not_enabled").await;
    let (secret, old) = with_app(&app, &access).await;
    let r = app
        .post_auth(
            "/api/v1/me/mfa/recovery-codes",
            &access,
            json!({"password": "nope nope"}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = app
        .post_auth(
            "/api/v1/me/mfa/recovery-codes",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let new: Value = r.json().await.expect("json");
    let new: Vec<String> = serde_json::from_value(new["recovery_codes"].clone()).expect("codes");
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    let token = mfa_token(&app, email).await;
    assert_problem(
        second_step(&app, &token, &old[1]).await,
        StatusCode::BAD_REQUEST,
        "code_invalid",
    )
    .await;
    assert_eq!(
        second_step(&app, &token, &new[1]).await.status(),
        StatusCode::OK
    );

    // A password reset never removes the second factor.
    app.post("/api/v1/password/forgot", json!({"email": email}))
        .await;
    let reset = app.smtp.new_token(email, "reset-password").await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": "another good passphrase"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.login(email, "another good passphrase").await;
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_required").await;
    let r = second_step(&app, &str_of(&problem, "mfa_token"), &totp(&secret, 1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;

    let r = app
        .client
        .delete(app.url("/api/v1/me/mfa/totp"))
        .bearer_auth(&access)
        .json(&json!({"password": "wrong password"}))
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = app
        .client
        .delete(app.url("/api/v1/me/mfa/totp"))
        .bearer_auth(&access)
        .json(&json!({"password": "another good passphrase"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let notice = app.smtp.with_subject(email, "was removed").await;
    assert!(notice.text.contains("/account"), "{}", notice.text);
    let r = app.login(email, "another good passphrase").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (access, _) = tokens_of(r).await;
    assert_eq!(amr_of(&access), ["pwd"]);
    assert_eq!(
        me(&app, &access).await["mfa"],
        json!({"totp": false, "passkeys": 0, "recovery_codes_left": 0})
    );
    let r = app
        .client
        .delete(app.url("/api/v1/me/mfa/totp"))
        .bearer_auth(&access)
        .json(&json!({"password": "another good passphrase"}))
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

#[tokio::test]
async fn secrets_recovery_codes_and_step_tokens_are_not_readable_at_rest() {
    let app = TestApp::spawn().await;
    let email = "atrest@example.com";
    let (access, _) = app.logged_in(email).await;
    let (secret, codes) = with_app(&app, &access).await;
    let token = mfa_token(&app, email).await;
    let raw_secret = base32_decode(&secret);
    let raw_token = URL_SAFE_NO_PAD.decode(&token).expect("token");
    let mut needles: Vec<Vec<u8>> = vec![
        secret.clone().into_bytes(),
        raw_secret.clone(),
        token.clone().into_bytes(),
        raw_token,
    ];
    for code in &codes {
        needles.push(code.clone().into_bytes());
        needles.push(code.replace('-', "").into_bytes());
    }
    // What the tables hold.
    let mut stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT secret_sealed FROM totp_factors")
        .fetch_all(app.db().await)
        .await
        .expect("apps");
    assert_eq!(stored.len(), 1);
    stored.extend(
        sqlx::query_scalar::<_, Vec<u8>>("SELECT hash FROM recovery_codes")
            .fetch_all(app.db().await)
            .await
            .expect("codes"),
    );
    stored.extend(
        sqlx::query_scalar::<_, Vec<u8>>("SELECT hash FROM mfa_tokens")
            .fetch_all(app.db().await)
            .await
            .expect("tokens"),
    );
    assert_eq!(stored.len(), 1 + 10 + 1);
    // And, on SQLite, every byte of the database and its journal.
    if let Some(path) = app.database.sqlite_path() {
        for file in [path.to_owned(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                stored.push(bytes);
            }
        }
    }
    for haystack in &stored {
        for needle in &needles {
            assert!(
                !haystack
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "a secret, recovery code or step token is readable in the database"
            );
        }
    }
    app.stop().await;
}

/// RFC 4648 base32 without padding, for the test's own use.
fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

#[tokio::test]
async fn an_operator_removes_the_factors_of_a_user_who_lost_them_and_the_user_is_told() {
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some("boss@example.com".parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.to_owned().into());
    })
    .await;
    let (admin, _) = app.log_in("boss@example.com").await;
    let email = "lost@example.com";
    let (access, _) = app.logged_in(email).await;
    with_app(&app, &access).await;
    let id = str_of(&me(&app, &access).await, "id");
    let delete = |path: String, token: String| {
        let app = &app;
        async move {
            app.client
                .delete(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .expect("request")
        }
    };
    let r = delete(format!("/api/v1/admin/users/{id}/mfa"), access.clone()).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let r = delete(
        format!("/api/v1/admin/users/{}/mfa", uuid::Uuid::now_v7()),
        admin.clone(),
    )
    .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = delete(format!("/api/v1/admin/users/{id}/mfa"), admin.clone()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let notice = app.smtp.with_subject(email, "was removed").await;
    assert!(notice.text.contains("administrator"), "the notice says who");
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);
    app.stop().await;
}
