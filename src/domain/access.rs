//! Access tokens (contract §9): short-lived JWTs signed with ES256 or EdDSA by a key pair
//! derived from `LATCHKEY_SECRET`, so that any back end verifies them with the public keys of
//! `/.well-known/jwks.json` alone. This API also checks the session on every request, so
//! revoking it cuts its access tokens off here at once.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fault::Fault;
use super::jws::{self, Refused, SigningKey};
pub use super::jws::{PublicJwk, TokenAlgorithm};
use super::keys::{AccessSeeds, Keys};
use super::time::{Clock, Millis};

/// How long after `exp` an access token is still accepted, in seconds (documented in
/// docs/security.md; contract §9: at most 1 second).
pub const LEEWAY_SECS: u64 = 1;

/// What an access token says (contract §9).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub email: String,
    pub email_verified: bool,
    /// How the session was signed in (RFC 8176 values: `pwd`, `otp`, `hwk`, `email`).
    #[serde(default)]
    pub amr: Vec<String>,
    pub iat: i64,
    pub exp: i64,
}

/// Who a token is issued to.
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub email: &'a str,
    pub email_verified: bool,
    /// The session's sign-in methods, as the `amr` claim lists them.
    pub amr: &'a [&'static str],
}

/// The JWK Set (RFC 7517) of `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct JwkSet {
    /// The current secret's key, then the previous secret's while it is set.
    keys: Vec<PublicJwk>,
}

/// Why a token was refused; every reason is answered alike (the API's 401 `unauthorized`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error(transparent)]
    Jws(#[from] Refused),
    #[error("the claims are missing or malformed")]
    Claims,
    #[error("another issuer")]
    Issuer,
    #[error("another audience")]
    Audience,
    #[error("expired")]
    Expired,
}

fn derive(seeds: &AccessSeeds, algorithm: TokenAlgorithm) -> Result<SigningKey, Fault> {
    match algorithm {
        TokenAlgorithm::Es256 => SigningKey::es256(&seeds.es256),
        TokenAlgorithm::EdDsa => SigningKey::ed25519(&seeds.eddsa),
    }
    .map_err(|e| Fault::new("the derived access-token key", e))
}

#[derive(Clone)]
pub struct AccessTokens {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    current: SigningKey,
    previous: Option<SigningKey>,
    /// The base64url JOSE header of every token the current key signs.
    header: String,
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
    pub fn new(keys: &Keys, settings: &TokenSettings<'_>) -> Result<Self, Fault> {
        let current = derive(&keys.access, settings.algorithm)?;
        let previous = keys
            .access_previous
            .as_ref()
            .map(|seeds| derive(seeds, settings.algorithm))
            .transpose()?;
        Ok(Self {
            inner: std::sync::Arc::new(Inner {
                header: current.header(),
                current,
                previous,
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
        self.inner.current.algorithm()
    }

    pub fn issue(&self, subject: &Subject<'_>, session: Uuid) -> Result<String, Fault> {
        self.issue_at(subject, session, self.inner.clock.now())
    }

    /// [`Self::issue`] at a given time.
    pub fn issue_at(
        &self,
        subject: &Subject<'_>,
        session: Uuid,
        now: Millis,
    ) -> Result<String, Fault> {
        let iat = now.unix_seconds();
        let claims = Claims {
            iss: self.inner.issuer.clone(),
            aud: self.inner.audience.clone(),
            sub: subject.user_id,
            sid: session,
            email: subject.email.to_owned(),
            email_verified: subject.email_verified,
            amr: subject.amr.iter().map(|m| (*m).to_owned()).collect(),
            iat,
            exp: iat.saturating_add(i64::try_from(self.inner.ttl.as_secs()).unwrap_or(i64::MAX)),
        };
        self.sign(&claims)
    }

    /// Signs any claims with the current key, under the header every token carries. Public so
    /// that tests can forge tokens that differ from a real one only where they say.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, Fault> {
        let payload =
            serde_json::to_vec(claims).map_err(|e| Fault::new("an access token's claims", e))?;
        self.inner
            .current
            .sign_compact(&self.inner.header, &payload)
            .map_err(|e| Fault::new("signing an access token", e))
    }

    /// The claims of a token signed by the current or the previous key (chosen by `kid`), with
    /// the configured algorithm, issuer and audience, and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejected> {
        self.verify_at(token, self.inner.clock.now())
    }

    /// [`Self::verify`] at a given time, saying why a token is refused.
    pub fn verify_at(&self, token: &str, now: Millis) -> Result<Claims, Rejected> {
        let inner = &self.inner;
        let payload = jws::verify_compact(token, inner.current.algorithm(), |kid| {
            std::iter::once(&inner.current)
                .chain(inner.previous.as_ref())
                .find(|k| k.kid() == kid)
        })?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| Rejected::Claims)?;
        if claims.iss != inner.issuer {
            return Err(Rejected::Issuer);
        }
        if claims.aud != inner.audience {
            return Err(Rejected::Audience);
        }
        // Accepted up to LEEWAY_SECS past `exp` (clocks of two nodes may disagree a little),
        // counted in milliseconds so that it is never more.
        let leeway_ms = i64::try_from(LEEWAY_SECS * 1000).unwrap_or(i64::MAX);
        if now.0 > claims.exp.saturating_mul(1000).saturating_add(leeway_ms) {
            return Err(Rejected::Expired);
        }
        Ok(claims)
    }

    /// The JWK Set (RFC 7517) of `/.well-known/jwks.json`: the current key, then the previous
    /// secret's while it is set.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: std::iter::once(&self.inner.current)
                .chain(self.inner.previous.as_ref())
                .map(|k| k.jwk().clone())
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
        let parse = |s: &str| s.parse::<Secret>();
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
    fn issued_tokens_verify_and_others_do_not() -> Result<(), Box<dyn std::error::Error>> {
        for alg in [TokenAlgorithm::Es256, TokenAlgorithm::EdDsa] {
            let issuer = tokens(alg, SECRET, None);
            let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
            let subject = Subject {
                user_id: user,
                email: "ann@example.com",
                email_verified: true,
                amr: &["pwd"],
            };
            let jwt = issuer.issue(&subject, session)?;
            let claims = issuer.verify(&jwt)?;
            assert_eq!((claims.sub, claims.sid), (user, session));
            assert_eq!(claims.email, "ann@example.com");

            let foreign = tokens(alg, OTHER, None);
            assert!(foreign.verify(&jwt).is_err());
            assert!(issuer.verify("not.a.jwt").is_err());

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
    fn tokens_expire_on_the_service_clock() -> Result<(), Box<dyn std::error::Error>> {
        let clock = Clock::system();
        let issuer = tokens_on(clock.clone(), TokenAlgorithm::Es256, SECRET, None);
        let subject = Subject {
            user_id: Uuid::now_v7(),
            email: "ann@example.com",
            email_verified: true,
            amr: &["pwd"],
        };
        let jwt = issuer.issue(&subject, Uuid::now_v7())?;
        let claims = issuer.verify(&jwt)?;
        assert_eq!(claims.exp - claims.iat, 60);
        clock.advance(Duration::from_secs(59));
        assert!(issuer.verify(&jwt).is_ok(), "still within its lifetime");
        clock.advance(Duration::from_secs(3));
        assert_eq!(issuer.verify(&jwt).err(), Some(Rejected::Expired));
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
    fn the_jwks_of_a_fixed_secret_never_changes() -> Result<(), Box<dyn std::error::Error>> {
        let es256 = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"JgOF1C7UfYD0-dsRUYwJ6_APrWPGO8Io6akOTqihvu4","y":"kij_urHKV7nE-Xsk1V__tGeE0slb6wJCwhavFyzqguU","kid":"ueO-KmeNwc1qbw8Ipg8cxUONgCMkW-Oaszk8k9Ci1HI","alg":"ES256","use":"sig"}]}"#;
        let eddsa = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"QiUv8-o7x_tKCJYChtTvZCiBmq2urjlkHAIye69dFkE","kid":"73scJV6c18k7Orh94rlqYBikwgMIPkXdXZXm3wzcxSQ","alg":"EdDSA","use":"sig"}]}"#;
        let json = |alg| serde_json::to_string(&tokens(alg, SECRET, None).jwks());
        assert_eq!(json(TokenAlgorithm::Es256)?, es256);
        assert_eq!(json(TokenAlgorithm::EdDsa)?, eddsa);
        Ok(())
    }

    fn subject() -> Subject<'static> {
        Subject {
            user_id: Uuid::now_v7(),
            email: "ann@example.com",
            email_verified: true,
            amr: &["pwd"],
        }
    }

    fn claims_at(now: Millis) -> Claims {
        let iat = now.0 / 1000;
        Claims {
            iss: "https://id.example.com".into(),
            aud: "latchkey".into(),
            sub: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            email: "ann@example.com".into(),
            email_verified: false,
            amr: vec!["pwd".into()],
            iat,
            exp: iat + 60,
        }
    }

    #[test]
    fn claims_are_checked_after_the_signature() -> Result<(), Box<dyn std::error::Error>> {
        let now = Millis(1_800_000_000_000);
        for alg in [TokenAlgorithm::Es256, TokenAlgorithm::EdDsa] {
            let issuer = tokens(alg, SECRET, None);
            let good = claims_at(now);
            assert!(issuer.verify_at(&issuer.sign(&good)?, now).is_ok());
            let refused = |c: Claims| issuer.verify_at(&issuer.sign(&c).ok()?, now).err();
            let other_iss = Claims {
                iss: "https://evil.example".into(),
                ..good.clone()
            };
            assert_eq!(refused(other_iss), Some(Rejected::Issuer));
            let other_aud = Claims {
                aud: "someone-else".into(),
                ..good.clone()
            };
            assert_eq!(refused(other_aud), Some(Rejected::Audience));
            // `exp` 1 s ago is inside the leeway; 1.001 s ago is not (contract §9).
            let exp = (now.0 - 1000) / 1000;
            assert!(
                refused(Claims {
                    exp,
                    ..good.clone()
                })
                .is_none()
            );
            let past = issuer.sign(&Claims {
                exp,
                ..good.clone()
            })?;
            assert_eq!(
                issuer.verify_at(&past, Millis(now.0 + 1)).err(),
                Some(Rejected::Expired)
            );
            assert_eq!(
                refused(Claims {
                    exp: i64::MIN,
                    ..good.clone()
                }),
                Some(Rejected::Expired)
            );
            // Claims missing or of the wrong type.
            let no_exp = serde_json::json!({"iss": good.iss, "aud": good.aud, "sub": good.sub,
                "sid": good.sid, "email": good.email, "email_verified": true, "iat": good.iat});
            assert_eq!(
                issuer.verify_at(&issuer.sign(&no_exp)?, now).err(),
                Some(Rejected::Claims)
            );
            let aud_list = serde_json::json!({"iss": good.iss, "aud": [good.aud], "sub": good.sub,
                "sid": good.sid, "email": good.email, "email_verified": true, "iat": good.iat,
                "exp": good.exp});
            assert_eq!(
                issuer.verify_at(&issuer.sign(&aud_list)?, now).err(),
                Some(Rejected::Claims)
            );
            // A token of the other algorithm, from the same secret, is refused.
            let other = match alg {
                TokenAlgorithm::Es256 => TokenAlgorithm::EdDsa,
                TokenAlgorithm::EdDsa => TokenAlgorithm::Es256,
            };
            let foreign = tokens(other, SECRET, None).sign(&good)?;
            assert_eq!(
                issuer.verify_at(&foreign, now).err(),
                Some(Rejected::Jws(Refused::Algorithm))
            );
        }
        Ok(())
    }

    /// An independent implementation (jsonwebtoken on RustCrypto, what the integration guide
    /// shows host apps) verifies our tokens with the JWKS alone.
    #[test]
    fn another_library_verifies_issued_tokens() -> Result<(), Box<dyn std::error::Error>> {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation};
        for (alg, jwt_alg) in [
            (TokenAlgorithm::Es256, Algorithm::ES256),
            (TokenAlgorithm::EdDsa, Algorithm::EdDSA),
        ] {
            let issuer = tokens(alg, SECRET, None);
            let token = issuer.issue(&subject(), Uuid::now_v7())?;
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_value(serde_json::to_value(issuer.jwks())?)?;
            let header = jsonwebtoken::decode_header(&token)?;
            let jwk = set.find(header.kid.as_deref().unwrap_or_default());
            let key = DecodingKey::from_jwk(jwk.ok_or("no key has the token's kid")?)?;
            let mut validation = Validation::new(jwt_alg);
            validation.set_issuer(&["https://id.example.com"]);
            validation.set_audience(&["latchkey"]);
            let claims = jsonwebtoken::decode::<Claims>(&token, &key, &validation)?.claims;
            assert_eq!(claims.email, "ann@example.com");
        }
        Ok(())
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() -> Result<(), Box<dyn std::error::Error>> {
        let jwks = serde_json::to_value(tokens(TokenAlgorithm::Es256, SECRET, None).jwks())?;
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone())?;
        let thumbprint = jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)?;
        assert_eq!(jwks["keys"][0]["kid"], thumbprint);
        Ok(())
    }
}
