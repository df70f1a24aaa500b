//! Compact JWS (RFC 7515) for access tokens, on `ring` alone: ES256 (RFC 7518 §3.4) and EdDSA
//! with Ed25519 (RFC 8037), nothing else. Small on purpose: a general JOSE library accepts
//! algorithms Latchkey never signs with, and pulled in RSA, P-384 and a second elliptic-curve
//! stack to do so.
//!
//! Verification is strict: exactly three base64url parts without padding, a header whose `alg`
//! is the one configured (never `none`, never another), no `crit` parameters (none is
//! understood), a `kid` naming one of the caller's keys, a valid signature, and for ES256 a
//! low-S one (`s ≤ n/2`), which is also the only kind signed here: the mirrored `(r, n−s)` of a
//! real token would otherwise be a second valid string for the same token.

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::elliptic_curve::{PrimeField as _, scalar::IsHigh as _, sec1::ToSec1Point as _};
use ring::signature::{self, KeyPair as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

/// The longest token looked at: real ones are about 450 bytes; anything far longer is refused
/// before any decoding work.
pub const MAX_TOKEN_LEN: usize = 4096;

/// `LATCHKEY_ACCESS_TOKEN_ALG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenAlgorithm {
    #[default]
    Es256,
    EdDsa,
}

impl TokenAlgorithm {
    /// The JOSE `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for TokenAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "ES256" => Ok(Self::Es256),
            "EdDSA" => Ok(Self::EdDsa),
            other => Err(format!("expected ES256 or EdDSA, got {other:?}")),
        }
    }
}

/// Why a key could not be made from its seed (never expected with derived seeds).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the seed is not a valid P-256 scalar")]
    Scalar,
    #[error("ring refused the key: {0}")]
    Rejected(ring::error::KeyRejected),
}

/// Signing failed (ring's random source failed, or a signature it made was not a P-256 scalar).
#[derive(Debug, thiserror::Error)]
#[error("{0} signing failed")]
pub struct SignError(&'static str);

/// Why a token was refused. Callers answer all of them alike (401); the variants are for tests
/// and debugging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a compact JWS")]
    Malformed,
    #[error("the header names another algorithm")]
    Algorithm,
    #[error("the header has critical parameters")]
    Critical,
    #[error("the header names no known key")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("a high-S ES256 signature")]
    HighS,
}

/// A public key as a JWK (RFC 7517), as `/.well-known/jwks.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicJwk {
    /// `EC` for ES256, `OKP` for EdDSA.
    kty: &'static str,
    /// `P-256` or `Ed25519`.
    crv: &'static str,
    /// The public key (base64url): the x coordinate of a P-256 point, or the Ed25519 key.
    x: String,
    /// The y coordinate of a P-256 point (base64url); absent for Ed25519.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    y: Option<String>,
    /// The RFC 7638 thumbprint, which tokens name in their header.
    kid: String,
    /// `ES256` or `EdDSA`.
    alg: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(rename = "use")]
    usage: &'static str,
}

enum Signer {
    /// `ECDSA_P256_SHA256_FIXED`: the fixed-size `r || s` form JWS wants (RFC 7518 §3.4).
    Es256(signature::EcdsaKeyPair, ring::rand::SystemRandom),
    Ed25519(signature::Ed25519KeyPair),
}

/// One key pair, parsed once (parsing per token would cost more than the signature), with its
/// public half as ring verifies it and as a JWK.
pub struct SigningKey {
    algorithm: TokenAlgorithm,
    signer: Signer,
    verifier: signature::UnparsedPublicKey<Vec<u8>>,
    jwk: PublicJwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.algorithm)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An ES256 key from a P-256 scalar (big-endian). ring cannot compute the public point of
    /// a bare scalar, so `p256`'s arithmetic does, once.
    pub fn es256(scalar: &[u8; 32]) -> Result<Self, KeyError> {
        let secret = p256::SecretKey::from_slice(scalar).map_err(|_| KeyError::Scalar)?;
        let point = secret.public_key().to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(KeyError::Scalar);
        };
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        // RFC 7638: the required members in lexicographic order, no white space.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let rng = ring::rand::SystemRandom::new();
        let pair = signature::EcdsaKeyPair::from_private_key_and_public_key(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar,
            point.as_bytes(),
            &rng,
        )
        .map_err(KeyError::Rejected)?;
        let public = point.as_bytes().to_vec();
        Ok(Self {
            algorithm: TokenAlgorithm::Es256,
            verifier: signature::UnparsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                public,
            ),
            signer: Signer::Es256(pair, rng),
            jwk: jwk(
                TokenAlgorithm::Es256,
                ("EC", "P-256"),
                x,
                Some(y),
                &canonical,
            ),
        })
    }

    /// An EdDSA key from an Ed25519 secret key (the RFC 8032 seed).
    pub fn ed25519(seed: &[u8; 32]) -> Result<Self, KeyError> {
        let pair =
            signature::Ed25519KeyPair::from_seed_unchecked(seed).map_err(KeyError::Rejected)?;
        let public = pair.public_key().as_ref().to_vec();
        let x = URL_SAFE_NO_PAD.encode(&public);
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        Ok(Self {
            algorithm: TokenAlgorithm::EdDsa,
            verifier: signature::UnparsedPublicKey::new(&signature::ED25519, public),
            signer: Signer::Ed25519(pair),
            jwk: jwk(
                TokenAlgorithm::EdDsa,
                ("OKP", "Ed25519"),
                x,
                None,
                &canonical,
            ),
        })
    }

    pub fn algorithm(&self) -> TokenAlgorithm {
        self.algorithm
    }

    /// The RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    pub fn jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// The base64url header every token of this key carries.
    pub fn header(&self) -> String {
        let header =
            serde_json::json!({"alg": self.algorithm.as_str(), "typ": "JWT", "kid": self.kid()});
        URL_SAFE_NO_PAD.encode(header.to_string())
    }

    /// `header.payload.signature`, with `header` as [`Self::header`] made it (base64url).
    pub fn sign_compact(&self, header: &str, payload: &[u8]) -> Result<String, SignError> {
        let mut token = String::with_capacity(header.len() + payload.len() * 4 / 3 + 100);
        token.push_str(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.signer {
            Signer::Es256(pair, rng) => {
                let signature = pair.sign(rng, message).map_err(|_| SignError("ES256"))?;
                let mut signature = signature.as_ref().to_vec();
                low_s(&mut signature).ok_or(SignError("ES256"))?;
                Ok(signature)
            }
            Signer::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Refused> {
        if self.algorithm == TokenAlgorithm::Es256 && is_high_s(signature)? {
            return Err(Refused::HighS);
        }
        self.verifier
            .verify(message, signature)
            .map_err(|_| Refused::Signature)
    }
}

fn jwk(
    algorithm: TokenAlgorithm,
    (kty, crv): (&'static str, &'static str),
    x: String,
    y: Option<String>,
    canonical: &str,
) -> PublicJwk {
    PublicJwk {
        kty,
        crv,
        x,
        y,
        kid: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
        alg: algorithm.as_str(),
        usage: "sig",
    }
}

/// The `s` half of a fixed-size ES256 signature as a P-256 scalar; `None` when it is not one
/// (`s ≥ n`) or the signature has the wrong length.
fn scalar_s(signature: &[u8]) -> Option<p256::Scalar> {
    let s: [u8; 32] = signature.get(32..)?.try_into().ok()?;
    (signature.len() == 64)
        .then(|| p256::Scalar::from_repr(s.into()).into_option())
        .flatten()
}

/// Whether an ES256 signature's `s` is above n/2. A malformed one is refused outright.
fn is_high_s(signature: &[u8]) -> Result<bool, Refused> {
    scalar_s(signature)
        .map(|s| bool::from(s.is_high()))
        .ok_or(Refused::Signature)
}

/// Replaces a high `s` by `n − s`, which verifies alike (ECDSA signatures come in mirrored
/// pairs); `None` if `signature` is not a fixed-size ES256 signature.
fn low_s(signature: &mut [u8]) -> Option<()> {
    let s = scalar_s(signature)?;
    if bool::from(s.is_high()) {
        signature.get_mut(32..)?.copy_from_slice(&(-s).to_repr());
    }
    Some(())
}

/// The protected header: only what Latchkey reads. Unknown members are ignored (RFC 7515
/// §4), except `crit`, which asks for an understanding we do not have.
#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde::de::IgnoredAny>,
}

/// Verifies a compact JWS signed with `algorithm` by the key whose `kid` the header names
/// (`key` finds it), and returns its payload's bytes.
pub fn verify_compact<'k>(
    token: &str,
    algorithm: TokenAlgorithm,
    key: impl Fn(&str) -> Option<&'k SigningKey>,
) -> Result<Vec<u8>, Refused> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Refused::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed);
    let parsed: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| Refused::Malformed)?;
    if parsed.alg != algorithm.as_str() {
        return Err(Refused::Algorithm);
    }
    if parsed.crit.is_some() {
        return Err(Refused::Critical);
    }
    let key = parsed
        .kid
        .as_deref()
        .and_then(key)
        .filter(|k| k.algorithm == algorithm)
        .ok_or(Refused::UnknownKey)?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    key.verify(signing_input.as_bytes(), &decode(signature)?)?;
    decode(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (SigningKey, SigningKey) {
        let es = SigningKey::es256(&[7; 32]).expect("a valid scalar");
        let ed = SigningKey::ed25519(&[9; 32]).expect("a seed");
        (es, ed)
    }

    fn only<'k>(k: &'k SigningKey) -> impl Fn(&str) -> Option<&'k SigningKey> + 'k {
        move |kid| (kid == k.kid()).then_some(k)
    }

    #[test]
    fn round_trip_for_both_algorithms() {
        let (es, ed) = keys();
        for key in [&es, &ed] {
            let token = key
                .sign_compact(&key.header(), br#"{"a":1}"#)
                .expect("signs");
            let payload = verify_compact(&token, key.algorithm(), only(key)).expect("verifies");
            assert_eq!(payload, br#"{"a":1}"#);
        }
    }

    #[test]
    fn es256_signs_low_s_only_and_refuses_the_mirrored_signature() {
        let (es, _) = keys();
        let n_minus = |s: p256::Scalar| (-s).to_repr();
        for i in 0..64u8 {
            let token = es.sign_compact(&es.header(), &[b'x', i]).expect("signs");
            let (input, sig) = token.rsplit_once('.').expect("three parts");
            let mut sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
            assert!(!is_high_s(&sig).expect("64 bytes"), "signed high-S");
            // The mirror (r, n − s) is a valid ECDSA signature that ring alone would accept.
            let s = scalar_s(&sig).expect("a scalar");
            sig[32..].copy_from_slice(&n_minus(s));
            assert!(es.verifier.verify(input.as_bytes(), &sig).is_ok());
            let mirrored = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
            assert_eq!(
                verify_compact(&mirrored, TokenAlgorithm::Es256, only(&es)),
                Err(Refused::HighS)
            );
        }
    }

    #[test]
    fn wrong_algorithm_kid_header_or_signature_is_refused() {
        let (es, ed) = keys();
        let token = es.sign_compact(&es.header(), b"{}").expect("signs");
        // The configured algorithm is EdDSA: an ES256 token is refused before any key is tried.
        assert_eq!(
            verify_compact(&token, TokenAlgorithm::EdDsa, only(&es)),
            Err(Refused::Algorithm)
        );
        assert_eq!(
            verify_compact(&token, TokenAlgorithm::Es256, only(&ed)),
            Err(Refused::UnknownKey)
        );
        // A header that names a key of the other algorithm under the configured `alg`.
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"ES256","kid":"{}"}}"#, ed.kid())),
            token.split_once('.').expect("parts").1
        );
        assert_eq!(
            verify_compact(&forged, TokenAlgorithm::Es256, |_| Some(&ed)),
            Err(Refused::UnknownKey)
        );
        for header in [
            r#"{"alg":"none"}"#.to_owned(),
            r#"{"alg":"HS256"}"#.to_owned(),
            r#"{"alg":"es256"}"#.to_owned(),
            format!(r#"{{"alg":"ES256","kid":"{}","crit":["exp"]}}"#, es.kid()),
            r#"{"alg":"ES256"}"#.to_owned(),
        ] {
            let rest = token.split_once('.').expect("parts").1;
            let t = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(&header));
            assert!(
                verify_compact(&t, TokenAlgorithm::Es256, only(&es)).is_err(),
                "{header}"
            );
        }
        // The header re-signed differently: same claims, other bytes.
        let other_header = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"kid":"{}","alg":"ES256","typ":"JWT"}}"#,
            es.kid()
        ));
        let swapped = format!("{other_header}.{}", token.split_once('.').expect("p").1);
        assert_eq!(
            verify_compact(&swapped, TokenAlgorithm::Es256, only(&es)),
            Err(Refused::Signature)
        );
        // Flipped bits anywhere in payload or signature.
        let bytes = token.as_bytes();
        let first_dot = token.find('.').expect("dot");
        for i in (first_dot + 1..bytes.len()).step_by(7) {
            if bytes[i] == b'.' {
                continue;
            }
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(t).expect("ascii");
            assert!(
                verify_compact(&t, TokenAlgorithm::Es256, only(&es)).is_err(),
                "byte {i} changed"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let (es, _) = keys();
        let token = es.sign_compact(&es.header(), b"{}").expect("signs");
        let (head, sig) = token.rsplit_once('.').expect("parts");
        for bad in [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{token}."),
            format!("{head}.{sig}="),
            format!("{head}.{sig}.{sig}"),
            format!("{head}.{}", &sig[..sig.len() - 2]),
            format!("{head}.{}", "A".repeat(MAX_TOKEN_LEN)),
            format!("{}.{head}.{sig}", "e30"),
        ] {
            assert!(
                verify_compact(&bad, TokenAlgorithm::Es256, only(&es)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn public_keys_are_the_ones_other_libraries_compute() {
        // RFC 8032 §7.1, test 1: the seed and its public key.
        let seed: [u8; 32] =
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let ed = SigningKey::ed25519(&seed).expect("seed");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&ed.jwk().x).expect("x"),
            hex::<32>("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        // RFC 6979 §A.2.5: the P-256 private key and its public point.
        let d = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
        let es = SigningKey::es256(&d).expect("scalar");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&es.jwk().x).expect("x"),
            hex::<32>("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6")
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(es.jwk().y.as_deref().expect("y"))
                .expect("y"),
            hex::<32>("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
        );
        assert!(SigningKey::es256(&[0; 32]).is_err(), "zero is no scalar");
        assert!(SigningKey::es256(&[0xff; 32]).is_err(), "above the order");
    }

    fn hex<const N: usize>(s: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
        }
        out
    }
}
