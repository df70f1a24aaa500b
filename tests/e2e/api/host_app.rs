//! Beside the host application (contract §9): access tokens verified from the JWKS document
//! alone, before and after a secret rotation, and CORS for the API only.

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use latchkey::domain::access::TokenAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The integration guide's Rust snippet, as a host app would paste it.
#[path = "../../../interop/rust/verify.rs"]
mod guide;

/// Verifies `token` the way a host app's back end would: with the JWKS JSON and nothing else
/// (the guide's snippet), and returns the claims as JSON.
fn verify_with_jwks(jwks: &Value, token: &str, issuer: &str) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let claims =
        guide::verify_access_token(&set, token, issuer, "latchkey").map_err(|e| e.to_string())?;
    assert!(claims.exp > claims.iat && !claims.sid.is_empty());
    let payload = token.split('.').nth(1).ok_or("no payload")?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

async fn jwks(app: &TestApp) -> Value {
    let r = app.get("/.well-known/jwks.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cache = r
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cache.contains("max-age="), "cache headers: {cache:?}");
    r.json().await.expect("jwks json")
}

const ISSUER: &str = "http://localhost:8080";

#[tokio::test]
async fn the_jwks_verifies_tokens_before_and_after_a_rotation() {
    for alg in [TokenAlgorithm::Es256, TokenAlgorithm::EdDsa] {
        let app = TestApp::spawn_with(|s| s.access_token_alg = alg).await;
        let email = format!("jwks-{alg}@example.com");
        let (access, refresh) = app.logged_in(&email).await;
        let document = jwks(&app).await;
        assert_eq!(document["keys"].as_array().map(Vec::len), Some(1));
        for key in document["keys"].as_array().into_iter().flatten() {
            assert!(key.get("d").is_none(), "no private key in {key}");
            assert_eq!(key["alg"], alg.as_str());
        }
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(access.split('.').next().unwrap_or_default())
                .expect("header"),
        )
        .expect("json");
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["kid"], document["keys"][0]["kid"]);

        let claims = verify_with_jwks(&document, &access, ISSUER).expect("verifies");
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], "latchkey");
        assert_eq!(claims["email"], email);
        assert_eq!(claims["email_verified"], true);
        for claim in ["sub", "sid", "iat", "exp"] {
            assert!(!claims[claim].is_null(), "{claim} in {claims}");
        }
        let me: Value = app
            .get_auth("/api/v1/me", &access)
            .await
            .json()
            .await
            .expect("me");
        assert_eq!(claims["sub"], me["id"]);

        // Rotation: a new secret, the old one as previous. The old token still verifies with
        // the new document and is still accepted here; new tokens use the new key.
        app.stop().await;
        let rotated = app
            .restart_with(|s| {
                s.secret = Some(OTHER_SECRET.parse().expect("secret"));
                s.secret_previous = Some(SECRET.parse().expect("secret"));
            })
            .await;
        let document = jwks(&rotated).await;
        assert_eq!(document["keys"].as_array().map(Vec::len), Some(2));
        assert!(verify_with_jwks(&document, &access, ISSUER).is_ok());
        assert_eq!(rotated.me_status(&access).await, StatusCode::OK);
        let r = rotated.refresh(&refresh).await;
        assert_eq!(r.status(), StatusCode::OK);
        let (new_access, _) = tokens_of(r).await;
        assert!(verify_with_jwks(&document, &new_access, ISSUER).is_ok());
        assert_ne!(
            jsonwebtoken::decode_header(&new_access)
                .ok()
                .and_then(|h| h.kid),
            jsonwebtoken::decode_header(&access)
                .ok()
                .and_then(|h| h.kid)
        );

        // Once the previous secret is dropped, its tokens no longer verify anywhere.
        rotated.stop().await;
        let done = app
            .restart_with(|s| {
                s.secret = Some(OTHER_SECRET.parse().expect("secret"));
                s.secret_previous = None;
            })
            .await;
        let document = jwks(&done).await;
        assert_eq!(document["keys"].as_array().map(Vec::len), Some(1));
        assert!(verify_with_jwks(&document, &access, ISSUER).is_err());
        assert_eq!(done.me_status(&access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(done.me_status(&new_access).await, StatusCode::OK);
        done.stop().await;
    }
}

#[tokio::test]
async fn tampered_expired_foreign_audience_and_unsigned_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("forged@example.com").await;
    let payload = access.split('.').nth(1).expect("payload");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
    let ours = access_tokens(SECRET, None);
    // Re-signed unchanged, the claims pass: each forgery below differs only where it says.
    assert_eq!(
        app.me_status(&ours.sign(&claims).expect("sign")).await,
        StatusCode::OK
    );
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        ours.sign(&c).expect("sign")
    };
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let mut longer = claims.clone();
    longer["exp"] = json!(now_secs() + 86_400);
    parts[1] = URL_SAFE_NO_PAD.encode(longer.to_string());
    let tampered = parts.join(".");
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    let kid = jsonwebtoken::decode_header(&access)
        .ok()
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let none_with_kid = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string()),
        parts[1]
    );
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some(kid.clone()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(kid.as_bytes()),
    )
    .expect("hs256");
    let bad = [
        ("tampered payload", tampered),
        ("expired", with("exp", json!(now_secs() - 3600))),
        ("another audience", with("aud", json!("someone-else"))),
        ("another issuer", with("iss", json!("https://evil.example"))),
        ("alg none", unsigned),
        ("alg none with our kid", none_with_kid),
        ("HS256 keyed with the public kid", hs256),
        (
            "another secret",
            access_tokens(OTHER_SECRET, None)
                .sign(&claims)
                .expect("sign"),
        ),
    ];
    let document = jwks(&app).await;
    assert!(verify_with_jwks(&document, &access, ISSUER).is_ok());
    for (what, token) in bad {
        // The guide's verifier refuses each one too.
        assert!(
            verify_with_jwks(&document, &token, ISSUER).is_err(),
            "guide: {what}"
        );
        let r = app.get_auth("/api/v1/me", &token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    app.stop().await;
}

const APP_ORIGIN: &str = "https://app.example.com";
const OTHER_ORIGIN: &str = "https://evil.example.com";

fn cors_headers(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .map(|k| k.to_string())
        .collect()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn cors_answers_listed_origins_on_the_api_only() {
    let app = TestApp::spawn_with(|s| {
        s.cors_origins = vec![APP_ORIGIN.into(), "http://localhost:5173".into()];
    })
    .await;
    let preflight = |origin: &'static str, path: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    // An allowed origin's preflight.
    let r = preflight(APP_ORIGIN, "/api/v1/login")
        .await
        .expect("preflight");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "access-control-allow-origin"), APP_ORIGIN);
    let methods = header(&r, "access-control-allow-methods").to_lowercase();
    for m in ["get", "post", "patch", "delete"] {
        assert!(methods.contains(m), "{methods}");
    }
    let allowed = header(&r, "access-control-allow-headers").to_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(header(&r, "vary").to_lowercase().contains("origin"));
    assert_eq!(header(&r, "access-control-allow-credentials"), "");

    // A foreign origin's preflight: no CORS header at all.
    let r = preflight(OTHER_ORIGIN, "/api/v1/login")
        .await
        .expect("preflight");
    assert!(cors_headers(&r).is_empty(), "{:?}", cors_headers(&r));

    // Simple requests: the allowed origin is named, with Vary; a foreign one gets nothing, and
    // neither changes the answer itself.
    let (access, _) = app.logged_in("cors@example.com").await;
    for (origin, expected) in [(APP_ORIGIN, Some(APP_ORIGIN)), (OTHER_ORIGIN, None)] {
        let r = app
            .client
            .get(app.url("/api/v1/me"))
            .header("origin", origin)
            .bearer_auth(&access)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header(&r, "vary").to_lowercase().contains("origin"));
        match expected {
            Some(o) => assert_eq!(header(&r, "access-control-allow-origin"), o),
            None => assert!(cors_headers(&r).is_empty(), "{:?}", cors_headers(&r)),
        }
        // An error answer of the API carries it too (the browser must be able to read it).
        let r = app
            .client
            .post(app.url("/api/v1/login"))
            .header("origin", origin)
            .json(&json!({"email": "cors@example.com", "password": "wrong password"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            expected.unwrap_or_default()
        );
    }

    // Pages, operations and /dev: never.
    app.stop().await;
    let app = app
        .restart_with(|s| s.smtp_url = None) // the dev mailbox is mounted
        .await;
    for path in [
        "/login",
        "/register",
        "/dev/mailbox",
        "/dev/mailbox.json",
        "/healthz",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header("origin", APP_ORIGIN)
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert!(
            cors_headers(&r).is_empty(),
            "{path}: {:?}",
            cors_headers(&r)
        );
        let r = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", APP_ORIGIN)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("preflight");
        assert!(
            cors_headers(&r).is_empty(),
            "{path}: {:?}",
            cors_headers(&r)
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn without_cors_origins_no_cors_header_is_sent() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/login"))
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(cors_headers(&r).is_empty());
    let r = app
        .client
        .post(app.url("/api/v1/register"))
        .header("origin", APP_ORIGIN)
        .json(&json!({"email": "x@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(cors_headers(&r).is_empty());
    app.stop().await;
}
