//! Passkeys over the API (contract §11), with a software authenticator built from the
//! specification (`support::passkey`): registering with the password, signing in without an
//! address, and every rule: user verification, the origin, single-use and expiring challenges,
//! a counter that goes backwards, removed passkeys, someone else's challenge, malformed
//! answers. On the suite's engine (run it with `LATCHKEY_TEST_ENGINE=postgres` too).

use std::time::Duration;

use crate::support::{passkey::SoftPasskey, *};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The public URL of a test app (`Settings::defaults`), the origin its pages are served from.
const ORIGIN: &str = "http://localhost:8080";

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("a JSON body")
}

async fn register_options(app: &TestApp, access: &str) -> Value {
    let r = app
        .post_auth(
            "/api/v1/me/passkeys/options",
            access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    body(r).await
}

/// Registers a software passkey for the signed-in user: (passkey, its id).
async fn add_passkey(app: &TestApp, access: &str, name: &str) -> (SoftPasskey, String) {
    let options = register_options(app, access).await;
    let (passkey, credential) = SoftPasskey::register(&options["publicKey"], ORIGIN);
    let r = app
        .post_auth(
            "/api/v1/me/passkeys",
            access,
            json!({"challenge_id": options["challenge_id"], "credential": credential, "name": name}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created = body(r).await;
    assert_eq!(created["name"], name);
    assert_eq!(created["last_used_at"], Value::Null);
    (passkey, str_of(&created, "id"))
}

async fn sign_in_options(app: &TestApp) -> Value {
    let r = app.post("/api/v1/login/passkey/options", json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    body(r).await
}

async fn sign_in(app: &TestApp, options: &Value, credential: Value) -> reqwest::Response {
    app.post(
        "/api/v1/login/passkey",
        json!({"challenge_id": options["challenge_id"], "credential": credential}),
    )
    .await
}

#[tokio::test]
async fn a_passkey_is_added_with_the_password_and_signs_in_without_an_address() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("ann@example.com").await;

    // The options are the browser's JSON: a discoverable credential, user verification.
    let options = register_options(&app, &access).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "ann@example.com");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert!(
        pk["pubKeyCredParams"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(pk["challenge"].as_str().is_some_and(|c| c.len() >= 22));

    let (mut passkey, id) = add_passkey(&app, &access, "Laptop").await;
    let listed = body(app.get_auth("/api/v1/me/passkeys", &access).await).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], id.as_str());

    // Anyone signs in with it: no address typed, no second factor asked.
    let options = sign_in_options(&app).await;
    assert_eq!(options["publicKey"]["userVerification"], "required");
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert!(
        options["publicKey"]
            .get("allowCredentials")
            .is_none_or(|a| a == &json!([]))
    );
    let credential = passkey.assert(&options["publicKey"]);
    let r = sign_in(&app, &options, credential).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let (signed_in, refresh) = tokens_of(r).await;
    let me = body(app.get_auth("/api/v1/me", &signed_in).await).await;
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(app.refresh(&refresh).await.status(), StatusCode::OK);
    let sessions = body(app.get_auth("/api/v1/me/sessions", &signed_in).await).await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");

    let listed = body(app.get_auth("/api/v1/me/passkeys", &access).await).await;
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");

    // Named anew; removed, it signs in no more.
    let r = app
        .patch_auth(
            &format!("/api/v1/me/passkeys/{id}"),
            &access,
            json!({"name": "Work laptop"}),
        )
        .await;
    assert_eq!(body(r).await["name"], "Work laptop");
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(&access)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    assert_problem(
        sign_in(&app, &options, credential).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;
}

#[tokio::test]
async fn a_challenge_is_answered_once_and_expires_after_five_minutes() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("bo@example.com").await;
    let (mut passkey, _) = add_passkey(&app, &access, "Phone").await;

    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    assert_eq!(
        sign_in(&app, &options, credential.clone()).await.status(),
        StatusCode::OK
    );
    assert_problem(
        sign_in(&app, &options, credential).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;

    // A wrong answer spends the challenge too.
    let options = sign_in_options(&app).await;
    let mut wrong = passkey.assert(&options["publicKey"]);
    wrong["response"]["signature"] = json!("MEQCIBAD");
    assert_problem(
        sign_in(&app, &options, wrong).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;
    let credential = passkey.assert(&options["publicKey"]);
    assert_problem(
        sign_in(&app, &options, credential).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;

    let options = sign_in_options(&app).await;
    app.advance(Duration::from_secs(5 * 60 + 1)).await;
    let credential = passkey.assert(&options["publicKey"]);
    assert_problem(
        sign_in(&app, &options, credential).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;

    // A registration challenge is used once as well.
    let options = register_options(&app, &access).await;
    let (_, credential) = SoftPasskey::register(&options["publicKey"], ORIGIN);
    let add = json!({"challenge_id": options["challenge_id"], "credential": credential});
    let r = app
        .post_auth("/api/v1/me/passkeys", &access, add.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.post_auth("/api/v1/me/passkeys", &access, add).await;
    assert_problem(r, StatusCode::BAD_REQUEST, "passkey_invalid").await;
}

#[tokio::test]
async fn no_user_verification_another_origin_or_a_counter_going_back_is_refused() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("cy@example.com").await;
    let (mut passkey, _) = add_passkey(&app, &access, "Key").await;

    passkey.verified = false;
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    let r = sign_in(&app, &options, credential).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "passkey_invalid").await;
    passkey.verified = true;

    passkey.origin = "https://evil.example".into();
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    let r = sign_in(&app, &options, credential).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "passkey_invalid").await;
    passkey.origin = ORIGIN.into();

    // Counter 5 is accepted; then 5 again (a clone) and 3 are refused; 6 is fine.
    let options = sign_in_options(&app).await;
    let credential = passkey.assert_with_counter(&options["publicKey"], 5);
    assert_eq!(
        sign_in(&app, &options, credential).await.status(),
        StatusCode::OK
    );
    for stale in [5, 3] {
        let options = sign_in_options(&app).await;
        let credential = passkey.assert_with_counter(&options["publicKey"], stale);
        let r = sign_in(&app, &options, credential).await;
        assert_problem(r, StatusCode::UNAUTHORIZED, "passkey_invalid").await;
    }
    let options = sign_in_options(&app).await;
    let credential = passkey.assert_with_counter(&options["publicKey"], 6);
    assert_eq!(
        sign_in(&app, &options, credential).await.status(),
        StatusCode::OK
    );

    // A registration whose client data is not the ceremony's is refused.
    let options = register_options(&app, &access).await;
    let (_, mut credential) = SoftPasskey::register(&options["publicKey"], ORIGIN);
    credential["response"]["clientDataJSON"] = json!("e30");
    let r = app
        .post_auth(
            "/api/v1/me/passkeys",
            &access,
            json!({"challenge_id": options["challenge_id"], "credential": credential}),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "passkey_invalid").await;
}

#[tokio::test]
async fn passkeys_are_the_owners_and_only_a_verified_account_with_its_password_adds_one() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.logged_in("ann@example.com").await;
    let (bo, _) = app.logged_in("bo@example.com").await;
    let (_, ann_key) = add_passkey(&app, &ann, "Ann's").await;

    // Bo cannot name, remove or finish Ann's.
    let r = app
        .patch_auth(
            &format!("/api/v1/me/passkeys/{ann_key}"),
            &bo,
            json!({"name": "mine"}),
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{ann_key}")))
        .bearer_auth(&bo)
        .send()
        .await
        .expect("DELETE");
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app
        .client
        .delete(app.url("/api/v1/me/passkeys/not-an-id"))
        .bearer_auth(&bo)
        .send()
        .await
        .expect("DELETE");
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let options = register_options(&app, &ann).await;
    let (_, credential) = SoftPasskey::register(&options["publicKey"], ORIGIN);
    let r = app
        .post_auth(
            "/api/v1/me/passkeys",
            &bo,
            json!({"challenge_id": options["challenge_id"], "credential": credential}),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "passkey_invalid").await;

    // The password is checked.
    let r = app
        .post_auth(
            "/api/v1/me/passkeys/options",
            &bo,
            json!({"password": "not the password"}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    // Malformed answers are a 4xx, never a 5xx.
    for credential in [
        json!(null),
        json!("x"),
        json!({"id": 1}),
        json!({"response": {}}),
    ] {
        let options = sign_in_options(&app).await;
        let r = sign_in(&app, &options, credential.clone()).await;
        assert_problem(r, StatusCode::UNAUTHORIZED, "passkey_invalid").await;
    }
    let r = app
        .post(
            "/api/v1/login/passkey",
            json!({"challenge_id": "nope", "credential": {}}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "passkey_invalid").await;
}

#[tokio::test]
async fn an_ip_address_as_relying_party_turns_passkeys_off() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = "http://127.0.0.1:8080".parse().expect("url");
    })
    .await;
    let r = app.post("/api/v1/login/passkey/options", json!({})).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn nothing_of_a_ceremony_is_readable_at_rest() {
    let app = TestApp::spawn_sqlite_with(|_| {}).await;
    let (access, _) = app.logged_in("di@example.com").await;
    let (mut passkey, _) = add_passkey(&app, &access, "Key").await;
    let waiting = register_options(&app, &access).await;
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    let (signed_in, refresh) = tokens_of(sign_in(&app, &options, credential).await).await;
    let open = sign_in_options(&app).await;
    app.stop().await;

    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", app.db_path().display());
        stored.extend(std::fs::read(&path).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    for secret in [
        str_of(&waiting, "challenge_id"),
        str_of(&open, "challenge_id"),
        refresh,
        signed_in,
    ] {
        assert!(
            !stored.contains(&secret),
            "{secret} is readable in the database"
        );
    }
}

/// `POST /login/mfa/passkey/options` for a second-factor step: its options.
async fn second_factor_options(app: &TestApp, mfa_token: &str) -> Value {
    let r = app
        .post(
            "/api/v1/login/mfa/passkey/options",
            json!({"mfa_token": mfa_token}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    body(r).await
}

async fn second_step(app: &TestApp, mfa_token: &str, credential: Value) -> reqwest::Response {
    app.post(
        "/api/v1/login/mfa",
        json!({"mfa_token": mfa_token, "passkey": credential}),
    )
    .await
}

#[tokio::test]
async fn a_passkey_is_a_second_factor_after_the_password_and_the_owner_is_told() {
    use crate::api::second_factor::{amr_of, mfa_token, with_app};
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some("boss@example.com".parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.to_owned().into());
    })
    .await;
    let email = "dee@example.com";
    let (access, _) = app.logged_in(email).await;
    let (mut passkey, id) = add_passkey(&app, &access, "Phone").await;
    let notice = app
        .smtp
        .with_subject(email, "sign-in method was added")
        .await;
    assert!(notice.text.contains("passkey"), "{}", notice.text);
    let me = body(app.get_auth("/api/v1/me", &access).await).await;
    assert_eq!(
        me["mfa"],
        json!({"totp": false, "passkeys": 1, "recovery_codes_left": 0})
    );

    // The password alone no longer signs in: the step offers the passkey.
    let r = app.login(email, PASSWORD).await;
    let problem = assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_required").await;
    assert_eq!(problem["methods"], json!(["passkey"]));
    let token = str_of(&problem, "mfa_token");
    let options = second_factor_options(&app, &token).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["userVerification"], "required");
    assert_eq!(pk["rpId"], "localhost");
    assert_eq!(pk["allowCredentials"].as_array().map(Vec::len), Some(1));
    assert!(options.get("challenge_id").is_none(), "the token names it");

    // An answer without user verification is refused and spends the options.
    passkey.verified = false;
    let refused = passkey.assert(pk);
    assert_problem(
        second_step(&app, &token, refused).await,
        StatusCode::BAD_REQUEST,
        "passkey_invalid",
    )
    .await;
    passkey.verified = true;
    let spent = passkey.assert(pk);
    assert_problem(
        second_step(&app, &token, spent).await,
        StatusCode::BAD_REQUEST,
        "passkey_invalid",
    )
    .await;

    // New options, a right answer: the tokens, amr ["pwd", "hwk"]; the step is over.
    let options = second_factor_options(&app, &token).await;
    let credential = passkey.assert(&options["publicKey"]);
    let r = second_step(&app, &token, credential.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (signed_in, _) = tokens_of(r).await;
    assert_eq!(amr_of(&signed_in), ["pwd", "hwk"]);
    assert_problem(
        second_step(&app, &token, credential).await,
        StatusCode::UNAUTHORIZED,
        "mfa_token_invalid",
    )
    .await;
    let r = app
        .post(
            "/api/v1/login/mfa/passkey/options",
            json!({"mfa_token": token}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_token_invalid").await;
    let listed = body(app.get_auth("/api/v1/me/passkeys", &access).await).await;
    assert!(listed[0]["last_used_at"].is_string(), "{listed}");

    // A passkey sign-in stays complete by itself.
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    let (alone, _) = tokens_of(sign_in(&app, &options, credential).await).await;
    assert_eq!(amr_of(&alone), ["hwk"]);

    // Five wrong answers end the step, as five wrong codes do.
    let token = mfa_token(&app, email).await;
    for _ in 0..5 {
        let options = second_factor_options(&app, &token).await;
        let wrong = passkey.assert_with_counter(&options["publicKey"], 1);
        assert_problem(
            second_step(&app, &token, wrong).await,
            StatusCode::BAD_REQUEST,
            "passkey_invalid",
        )
        .await;
    }
    let r = app
        .post(
            "/api/v1/login/mfa/passkey/options",
            json!({"mfa_token": token}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "mfa_token_invalid").await;

    // Removed, the owner is told, and the password alone signs in again.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{id}")))
        .bearer_auth(&access)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let notice = app
        .smtp
        .with_subject(email, "sign-in method was removed")
        .await;
    assert!(notice.text.contains("passkey"), "{}", notice.text);
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);

    // An account with only an app has no passkey to offer.
    let (other, _) = app.logged_in("eve@example.com").await;
    with_app(&app, &other).await;
    let token = mfa_token(&app, "eve@example.com").await;
    let r = app
        .post(
            "/api/v1/login/mfa/passkey/options",
            json!({"mfa_token": token}),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "no_passkey").await;
    app.stop().await;
}

#[tokio::test]
async fn an_operators_reset_removes_passkeys_too() {
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some("boss@example.com".parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.to_owned().into());
    })
    .await;
    let (admin, _) = app.log_in("boss@example.com").await;
    let email = "fay@example.com";
    let (access, _) = app.logged_in(email).await;
    let (mut passkey, _) = add_passkey(&app, &access, "Key").await;
    let id = str_of(&body(app.get_auth("/api/v1/me", &access).await).await, "id");
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/admin/users/{id}/mfa")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.smtp.with_subject(email, "was removed").await;
    let listed = body(app.get_auth("/api/v1/me/passkeys", &access).await).await;
    assert_eq!(listed, json!([]));
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    assert_problem(
        sign_in(&app, &options, credential).await,
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_passkey_sign_in_can_keep_its_refresh_token_in_the_cookie() {
    let app = TestApp::spawn_with(|s| {
        s.refresh_cookie = true;
        s.cors_origins = vec!["https://app.example.com".to_owned()];
    })
    .await;
    let (access, _) = app.logged_in("cookie.passkey@example.com").await;
    let (mut passkey, _) = add_passkey(&app, &access, "Phone").await;
    let call = |options: &Value, credential: Value, origin: &'static str| {
        app.client
            .post(app.url("/api/v1/login/passkey"))
            .header("latchkey-refresh", "cookie")
            .header(reqwest::header::ORIGIN, origin)
            .json(&json!({"challenge_id": options["challenge_id"], "credential": credential}))
            .send()
    };

    // Another site may not ask for the cookie: refused before the challenge is spent.
    let options = sign_in_options(&app).await;
    let credential = passkey.assert(&options["publicKey"]);
    let r = call(&options, credential.clone(), "https://evil.example")
        .await
        .expect("request");
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    // The app's origin gets the token as the HttpOnly cookie, not in the body, and the
    // cookie alone refreshes.
    let r = call(&options, credential, "https://app.example.com")
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("latchkey_app_refresh="))
        .map(str::to_owned)
        .expect("the refresh cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    let tokens = body(r).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert_eq!(
        app.me_status(&str_of(&tokens, "access_token")).await,
        StatusCode::OK
    );
    let jar = cookie.split(';').next().unwrap_or_default().to_owned();
    let r = app
        .client
        .post(app.url("/api/v1/token/refresh"))
        .header("latchkey-refresh", "cookie")
        .header(reqwest::header::COOKIE, jar)
        .json(&json!({}))
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await["access_token"].is_string());
}

/// `user.mfa_changed` (contract §9) says what the account has after each change of its second
/// factors: an authenticator app on, a passkey added and removed, an operator's reset. Each
/// step waits for its event before the next, since events are not ordered otherwise.
#[tokio::test]
async fn every_change_of_the_second_factors_is_an_mfa_changed_event() {
    use crate::support::webhooks::{Receiver, WEBHOOK_SECRET};
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|s| {
        s.webhook = Some(latchkey::configuration::WebhookSettings {
            url: receiver.url().parse().expect("url"),
            secret: WEBHOOK_SECRET.parse().expect("secret"),
            secret_previous: None,
        });
        s.first_admin_email = Some("boss@example.com".parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.to_owned().into());
    })
    .await;
    let email = "events@example.com";
    let (access, _) = app.logged_in(email).await;
    let id = str_of(&body(app.get_auth("/api/v1/me", &access).await).await, "id");
    let nth = |n: usize| {
        let receiver = receiver.clone();
        async move {
            let events = receiver.wait_for("user.mfa_changed", n).await;
            assert_eq!(events.len(), n, "one event per change");
            events[n - 1].json["data"].clone()
        }
    };

    crate::api::second_factor::with_app(&app, &access).await;
    assert_eq!(
        nth(1).await,
        json!({"user_id": id, "totp": true, "passkeys": 0})
    );
    let (_, key) = add_passkey(&app, &access, "Phone").await;
    assert_eq!(
        nth(2).await,
        json!({"user_id": id, "totp": true, "passkeys": 1})
    );
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/me/passkeys/{key}")))
        .bearer_auth(&access)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        nth(3).await,
        json!({"user_id": id, "totp": true, "passkeys": 0})
    );
    add_passkey(&app, &access, "Laptop").await;
    assert_eq!(
        nth(4).await,
        json!({"user_id": id, "totp": true, "passkeys": 1})
    );

    // The operator's reset removes both: one event saying nothing is left.
    let admin = app.log_in("boss@example.com").await.0;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/admin/users/{id}/mfa")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        nth(5).await,
        json!({"user_id": id, "totp": false, "passkeys": 0})
    );
    app.settle().await;
    assert_eq!(
        receiver.wait_for("user.mfa_changed", 5).await.len(),
        5,
        "nothing more"
    );
    app.stop().await;
}
