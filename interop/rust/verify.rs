//! The Rust snippet of docs/integration.md: verifying a Latchkey access token with the
//! `jsonwebtoken` crate and the JWKS document alone. tests/e2e/api/host_app.rs includes this file and
//! checks tokens with it, before and after a secret rotation.

// --- snippet: rust-verify-token ---
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header,
    errors::{Error, ErrorKind},
    jwk::JwkSet,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // a host app reads the fields it needs
pub struct Claims {
    pub sub: String, // the user's id
    pub sid: String, // the session's id
    pub email: String,
    pub email_verified: bool,
    pub iat: i64,
    pub exp: i64,
}

/// `jwks` is `GET {LATCHKEY_URL}/.well-known/jwks.json`, parsed: fetch it at start, and again
/// when a token names a `kid` it does not have (after a secret rotation).
pub fn verify_access_token(
    jwks: &JwkSet,
    token: &str,
    issuer: &str,   // LATCHKEY_PUBLIC_URL
    audience: &str, // LATCHKEY_TOKEN_AUDIENCE
) -> Result<Claims, Error> {
    let header = decode_header(token)?;
    let kid = header.kid.ok_or(ErrorKind::InvalidToken)?;
    let jwk = jwks.find(&kid).ok_or(ErrorKind::InvalidToken)?;
    let key = DecodingKey::from_jwk(jwk)?;
    // Only the asymmetric algorithms Latchkey signs with: never `none`, never HS256 (and the
    // key's own type must fit the algorithm, which `decode` checks).
    if !matches!(header.alg, Algorithm::ES256 | Algorithm::EdDSA) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    Ok(decode::<Claims>(token, &key, &validation)?.claims)
}
// --- end snippet ---
