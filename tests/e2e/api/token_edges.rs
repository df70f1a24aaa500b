//! The edges of access-token verification that the second outside probe found (issue 17,
//! items 9 and 10), against the running server: a token more than 1 second past its `exp` is
//! refused, and the mirrored ES256 signature `(r, n − s)` of a real token is not a second
//! valid string for it.

use std::time::Duration;

use crate::support::*;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::Value;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Item 9: the leeway after `exp` is at most 1 second (it was up to 1.99 s: whole seconds were
/// compared). Tokens of the same session are re-signed with the deployment's key and an `exp`
/// in whole seconds; the test clock is moved so that the server reads them 0.3 s and 1.3 s
/// after it.
#[tokio::test]
async fn an_access_token_is_refused_more_than_a_second_after_exp() {
    let app = TestApp::spawn().await;
    app.verified_user("leeway1@example.com").await;
    let (access, _) = app.log_in("leeway1@example.com").await;
    let claims = claims_of(&access);
    let tokens = access_tokens(SECRET, None);
    let signed = |exp: i64| {
        let mut c = claims.clone();
        c["exp"] = exp.into();
        c["iat"] = (exp - 60).into();
        tokens.sign(&c).expect("signs")
    };
    // The application's clock to `exp` + 1.3 s, `exp` being its current second.
    let now = app.clock.now().0;
    let exp = now.div_euclid(1000);
    let to = exp * 1000 + 1300 - now;
    app.advance(Duration::from_millis(u64::try_from(to).expect("ahead")))
        .await;
    assert_eq!(app.me_status(&signed(exp + 1)).await, StatusCode::OK);
    assert_problem(
        app.get_auth("/api/v1/me", &signed(exp)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.stop().await;
}

/// The order of P-256, big-endian.
const P256_N: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `n − s` for a big-endian `s < n`.
fn mirror(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(P256_N[i]) - i16::from(s[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = u8::try_from(d).expect("a byte");
    }
    out
}

/// Item 10: ES256 (the default) signs only low-S signatures, and the mirrored high-S one of a
/// real token, which plain ECDSA verification accepts, is refused: a token has one string.
#[tokio::test]
async fn the_mirrored_signature_of_a_real_es256_token_is_refused() {
    let app = TestApp::spawn().await;
    app.verified_user("mirror@example.com").await;
    for _ in 0..5 {
        let (access, _) = app.log_in("mirror@example.com").await;
        let (input, signature) = access.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
        assert_eq!(signature.len(), 64, "r and s");
        // Low-S: s ≤ n/2, so its mirror n − s is above n/2.
        let mirrored_s = mirror(&signature[32..]);
        assert!(
            mirrored_s.as_slice() > &signature[32..],
            "the server signed high-S"
        );
        let mut mirrored = signature[..32].to_vec();
        mirrored.extend_from_slice(&mirrored_s);
        let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&mirrored));
        assert_eq!(app.me_status(&access).await, StatusCode::OK);
        assert_problem(
            app.get_auth("/api/v1/me", &forged).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
    }
    app.stop().await;
}
