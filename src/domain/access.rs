//! Access tokens: short-lived HS256 JWTs naming the user and the session. The session is checked
//! on every request, so revoking it cuts its access tokens off at once.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::Keys;
use crate::{error::Error, storage::now_ms};

/// How long after `exp` an access token is still accepted, in seconds (documented in
/// docs/security.md).
pub const LEEWAY_SECS: u64 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: Vec<DecodingKey>,
    validation: Validation,
    ttl: Duration,
}

impl AccessTokens {
    pub fn new(keys: &Keys, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // A second of leeway for clocks that disagree a little; no more, so an expired token
        // stops working at once.
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let decoding = std::iter::once(&keys.access_signing)
            .chain(keys.access_previous.as_ref())
            .map(|k| DecodingKey::from_secret(k))
            .collect();
        Self {
            encoding: EncodingKey::from_secret(&keys.access_signing),
            decoding,
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: Uuid, session: Uuid) -> Result<String, Error> {
        let iat = now_ms() / 1000;
        let claims = Claims {
            sub: user,
            sid: session,
            iat,
            exp: iat + self.ttl.as_secs() as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)
    }

    /// The claims of a token signed by the current or the previous key and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        self.decoding
            .iter()
            .find_map(|key| jsonwebtoken::decode::<Claims>(token, key, &self.validation).ok())
            .map(|data| data.claims)
            .ok_or(Error::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::Secret;

    #[test]
    fn issued_tokens_verify_and_others_do_not() -> Result<(), Error> {
        let secret: Secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
            .parse()
            .map_err(Error::internal)?;
        let other: Secret = "HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
            .parse()
            .map_err(Error::internal)?;
        let tokens = AccessTokens::new(&Keys::derive(&secret, None), Duration::from_secs(60));
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let jwt = tokens.issue(user, session)?;
        let claims = tokens.verify(&jwt)?;
        assert_eq!((claims.sub, claims.sid), (user, session));

        let foreign = AccessTokens::new(&Keys::derive(&other, None), Duration::from_secs(60));
        assert!(matches!(foreign.verify(&jwt), Err(Error::Unauthorized)));
        assert!(matches!(
            tokens.verify("not.a.jwt"),
            Err(Error::Unauthorized)
        ));

        // While rotating, tokens of the previous secret are still accepted.
        let rotated = AccessTokens::new(
            &Keys::derive(&other, Some(&secret)),
            Duration::from_secs(60),
        );
        assert!(rotated.verify(&jwt).is_ok());
        Ok(())
    }
}
