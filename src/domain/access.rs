//! Access tokens (contract §9): short-lived JWTs signed with ES256 or EdDSA by a key pair
//! derived from `LATCHKEY_SECRET`, so that any back end verifies them with the public keys of
//! `/.well-known/jwks.json` alone. This API also checks the session on every request, so
//! revoking it cuts its access tokens off here at once.

use std::{fmt, str::FromStr, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::keys::{AccessSeeds, Keys};
use super::time::Clock;
use crate::error::Error;

/// How long after `exp` an access token is still accepted, in seconds (documented in
/// docs/security.md).
pub const LEEWAY_SECS: u64 = 1;

/// `LATCHKEY_ACCESS_TOKEN_ALG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenAlgorithm {
    #[default]
    Es256,
    EdDsa,
}

impl TokenAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
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

/// What an access token says (contract §9).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub iat: i64,
    pub exp: i64,
}

/// Who a token is issued to.
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub email: &'a str,
    pub email_verified: bool,
}

/// A private key, parsed once: jsonwebtoken would parse a PKCS#8 document and recompute the
/// public key on every `encode`, which costs more than the signature itself. ES256 signs with
/// ring (already linked for TLS): its P-256 is several times faster than the portable `p256`
/// crate's, which is what keeps a refresh within its CPU budget.
enum Signer {
    Es256(ring::signature::EcdsaKeyPair, ring::rand::SystemRandom),
    EdDsa(ed25519_dalek::SigningKey),
}

impl Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match self {
            // ECDSA_P256_SHA256_FIXED: the fixed-size r || s form JWS wants (RFC 7518 §3.4).
            Self::Es256(key, rng) => key
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::internal("ES256 signing failed")),
            Self::EdDsa(key) => {
                use ed25519_dalek::Signer as _;
                Ok(key.sign(message).to_bytes().to_vec())
            }
        }
    }
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

/// The JWK Set (RFC 7517) of `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct JwkSet {
    /// The current secret's key, then the previous secret's while it is set.
    keys: Vec<PublicJwk>,
}

/// One key pair: the private half (for the current secret) and the public JWK.
struct KeyPair {
    kid: String,
    algorithm: TokenAlgorithm,
    signer: Signer,
    jwk: PublicJwk,
    decoding: DecodingKey,
}

impl KeyPair {
    fn derive(seeds: &AccessSeeds, algorithm: TokenAlgorithm) -> Result<Self, Error> {
        let (signer, (kty, crv, x, y), thumbprint_input) = match algorithm {
            TokenAlgorithm::Es256 => {
                let key = p256::ecdsa::SigningKey::from_slice(&seeds.es256)
                    .map_err(|_| Error::internal("the derived P-256 scalar is not valid"))?;
                let point = key.verifying_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err(Error::internal("the P-256 public key has no coordinates"));
                };
                let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
                // RFC 7638: the required members in lexicographic order, no white space.
                let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
                let jwk = ("EC", "P-256", x, Some(y));
                let rng = ring::rand::SystemRandom::new();
                let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &seeds.es256,
                    point.as_bytes(),
                    &rng,
                )
                .map_err(|e| Error::internal_while("the derived P-256 key", e.to_string()))?;
                (Signer::Es256(pair, rng), jwk, canonical)
            }
            TokenAlgorithm::EdDsa => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seeds.eddsa);
                let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
                let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
                let jwk = ("OKP", "Ed25519", x, None);
                (Signer::EdDsa(key), jwk, canonical)
            }
        };
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
        let jwk = PublicJwk {
            kty,
            crv,
            x,
            y,
            kid: kid.clone(),
            alg: algorithm.as_str(),
            usage: "sig",
        };
        let public: jsonwebtoken::jwk::Jwk = serde_json::to_value(&jwk)
            .and_then(serde_json::from_value)
            .map_err(Error::internal)?;
        let decoding = DecodingKey::from_jwk(&public).map_err(Error::internal)?;
        Ok(Self {
            kid,
            algorithm,
            signer,
            jwk,
            decoding,
        })
    }
}

#[derive(Clone)]
pub struct AccessTokens {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    current: KeyPair,
    previous: Option<KeyPair>,
    /// The base64url JOSE header of every token the current key signs.
    header: String,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
    clock: Clock,
}

/// Who issues tokens and for whom: `iss` and `aud`; and the clock `iat` and `exp` are read on.
pub struct TokenSettings<'a> {
    pub algorithm: TokenAlgorithm,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub ttl: Duration,
    pub clock: Clock,
}

impl AccessTokens {
    pub fn new(keys: &Keys, settings: &TokenSettings<'_>) -> Result<Self, Error> {
        let current = KeyPair::derive(&keys.access, settings.algorithm)?;
        let previous = keys
            .access_previous
            .as_ref()
            .map(|seeds| KeyPair::derive(seeds, settings.algorithm))
            .transpose()?;
        let header = json!({"alg": settings.algorithm.as_str(), "typ": "JWT", "kid": current.kid});
        let mut validation = Validation::new(settings.algorithm.jwt());
        // A second of leeway for clocks that disagree a little; no more, so an expired token
        // stops working at once.
        validation.leeway = LEEWAY_SECS;
        // `exp` is checked against the service's clock (in `verify`), not the system's.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[settings.issuer]);
        validation.set_audience(&[settings.audience]);
        Ok(Self {
            inner: std::sync::Arc::new(Inner {
                header: URL_SAFE_NO_PAD.encode(header.to_string()),
                current,
                previous,
                validation,
                issuer: settings.issuer.to_owned(),
                audience: settings.audience.to_owned(),
                ttl: settings.ttl,
                clock: settings.clock.clone(),
            }),
        })
    }

    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    pub fn algorithm(&self) -> TokenAlgorithm {
        self.inner.current.algorithm
    }

    pub fn issue(&self, subject: &Subject<'_>, session: Uuid) -> Result<String, Error> {
        let iat = self.inner.clock.now().unix_seconds();
        let claims = Claims {
            iss: self.inner.issuer.clone(),
            aud: self.inner.audience.clone(),
            sub: subject.user_id,
            sid: session,
            email: subject.email.to_owned(),
            email_verified: subject.email_verified,
            iat,
            exp: iat + self.inner.ttl.as_secs() as i64,
        };
        self.sign(&claims)
    }

    /// Signs any claims with the current key, under the header every token carries. Public so
    /// that tests can forge tokens that differ from a real one only where they say.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, Error> {
        let payload = serde_json::to_vec(claims).map_err(Error::internal)?;
        let mut token = String::with_capacity(400);
        token.push_str(&self.inner.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.inner.current.signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// The claims of a token signed by the current or the previous key (chosen by `kid`), with
    /// the configured algorithm, issuer and audience, and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthorized)?;
        let kid = header.kid.ok_or(Error::Unauthorized)?;
        let key = std::iter::once(&self.inner.current)
            .chain(self.inner.previous.as_ref())
            .find(|k| k.kid == kid)
            .ok_or(Error::Unauthorized)?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.inner.validation)
            .map(|data| data.claims)
            .map_err(|_| Error::Unauthorized)?;
        let now = self.inner.clock.now().unix_seconds();
        if claims.exp.saturating_add(LEEWAY_SECS as i64) < now {
            return Err(Error::Unauthorized);
        }
        Ok(claims)
    }

    /// The JWK Set (RFC 7517) of `/.well-known/jwks.json`: the current key, then the previous
    /// secret's while it is set.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: std::iter::once(&self.inner.current)
                .chain(self.inner.previous.as_ref())
                .map(|k| k.jwk.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::Secret;

    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OTHER: &str = "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn tokens(alg: TokenAlgorithm, current: &str, previous: Option<&str>) -> AccessTokens {
        tokens_on(Clock::system(), alg, current, previous)
    }

    fn tokens_on(
        clock: Clock,
        alg: TokenAlgorithm,
        current: &str,
        previous: Option<&str>,
    ) -> AccessTokens {
        let parse = |s: &str| s.parse::<Secret>().map_err(Error::internal);
        let current = parse(current).unwrap_or_else(|e| panic!("{e}"));
        let previous = previous.map(|p| parse(p).unwrap_or_else(|e| panic!("{e}")));
        let settings = TokenSettings {
            algorithm: alg,
            issuer: "https://id.example.com",
            audience: "latchkey",
            ttl: Duration::from_secs(60),
            clock,
        };
        AccessTokens::new(&Keys::derive(&current, previous.as_ref()), &settings)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn issued_tokens_verify_and_others_do_not() -> Result<(), Error> {
        for alg in [TokenAlgorithm::Es256, TokenAlgorithm::EdDsa] {
            let issuer = tokens(alg, SECRET, None);
            let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
            let subject = Subject {
                user_id: user,
                email: "ann@example.com",
                email_verified: true,
            };
            let jwt = issuer.issue(&subject, session)?;
            let claims = issuer.verify(&jwt)?;
            assert_eq!((claims.sub, claims.sid), (user, session));
            assert_eq!(claims.email, "ann@example.com");

            let foreign = tokens(alg, OTHER, None);
            assert!(matches!(foreign.verify(&jwt), Err(Error::Unauthorized)));
            assert!(matches!(
                issuer.verify("not.a.jwt"),
                Err(Error::Unauthorized)
            ));

            // While rotating, tokens of the previous secret are still accepted, and the JWKS
            // lists both keys.
            let rotated = tokens(alg, OTHER, Some(SECRET));
            assert!(rotated.verify(&jwt).is_ok());
            assert_eq!(rotated.jwks().keys.len(), 2);
        }
        Ok(())
    }

    /// `iat`, `exp` and the expiry check all read the service's clock: a token dies when that
    /// clock passes its `exp` by more than the leeway, whatever the system time says.
    #[test]
    fn tokens_expire_on_the_service_clock() -> Result<(), Error> {
        let clock = Clock::system();
        let issuer = tokens_on(clock.clone(), TokenAlgorithm::Es256, SECRET, None);
        let subject = Subject {
            user_id: Uuid::now_v7(),
            email: "ann@example.com",
            email_verified: true,
        };
        let jwt = issuer.issue(&subject, Uuid::now_v7())?;
        let claims = issuer.verify(&jwt)?;
        assert_eq!(claims.exp - claims.iat, 60);
        clock.advance(Duration::from_secs(59));
        assert!(issuer.verify(&jwt).is_ok(), "still within its lifetime");
        clock.advance(Duration::from_secs(3));
        assert!(matches!(issuer.verify(&jwt), Err(Error::Unauthorized)));
        Ok(())
    }

    #[test]
    fn keys_are_derived_alike_and_differ_by_algorithm() {
        let json = |set: JwkSet| serde_json::to_value(set).unwrap_or_default();
        let a = json(tokens(TokenAlgorithm::Es256, SECRET, None).jwks());
        let b = json(tokens(TokenAlgorithm::Es256, SECRET, None).jwks());
        let ed = json(tokens(TokenAlgorithm::EdDsa, SECRET, None).jwks());
        assert_eq!(a, b, "every node derives the same key");
        assert_ne!(a["keys"][0]["kid"], ed["keys"][0]["kid"]);
        assert_eq!(a["keys"][0]["kty"], "EC");
        assert_eq!(ed["keys"][0]["crv"], "Ed25519");
        assert!(a["keys"][0].get("d").is_none(), "never the private half");
    }

    /// The JWKS of a fixed secret, byte for byte: a deployment's keys and `kid`s must survive
    /// any change of crypto library, or every token and every verifier's cached JWKS breaks.
    /// The values were computed independently (Python `cryptography`: HKDF-SHA256, P-256 and
    /// Ed25519 public keys, RFC 7638 thumbprints) and match what the first release published.
    #[test]
    fn the_jwks_of_a_fixed_secret_never_changes() -> Result<(), Error> {
        let es256 = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"JgOF1C7UfYD0-dsRUYwJ6_APrWPGO8Io6akOTqihvu4","y":"kij_urHKV7nE-Xsk1V__tGeE0slb6wJCwhavFyzqguU","kid":"ueO-KmeNwc1qbw8Ipg8cxUONgCMkW-Oaszk8k9Ci1HI","alg":"ES256","use":"sig"}]}"#;
        let eddsa = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"QiUv8-o7x_tKCJYChtTvZCiBmq2urjlkHAIye69dFkE","kid":"73scJV6c18k7Orh94rlqYBikwgMIPkXdXZXm3wzcxSQ","alg":"EdDSA","use":"sig"}]}"#;
        let json = |alg| serde_json::to_string(&tokens(alg, SECRET, None).jwks());
        assert_eq!(json(TokenAlgorithm::Es256).map_err(Error::internal)?, es256);
        assert_eq!(json(TokenAlgorithm::EdDsa).map_err(Error::internal)?, eddsa);
        Ok(())
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() -> Result<(), Error> {
        let jwks = serde_json::to_value(tokens(TokenAlgorithm::Es256, SECRET, None).jwks())
            .map_err(Error::internal)?;
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(jwks["keys"][0].clone()).map_err(Error::internal)?;
        let thumbprint = jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .map_err(Error::internal)?;
        assert_eq!(jwks["keys"][0]["kid"], thumbprint);
        Ok(())
    }
}
