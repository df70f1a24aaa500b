//! Passkeys (contract §11, WebAuthn Level 3) through kanidm's `webauthn-rs`: the relying
//! party, the options a browser reads (`PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `parseRequestOptionsFromJSON`), and the checks of what it answers (`toJSON()`).
//!
//! A ceremony's state (its challenge, the user verification it asked for) is serialised by the
//! library's `danger-allow-state-serialisation` feature and kept in the database by the flows,
//! keyed by a hash of the challenge id: any node finishes a ceremony another one started, and
//! the state is deleted as it is read, so a challenge is used once.

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

use super::fault::Fault;
use super::tokens::random_bytes;

/// How long a challenge may be answered (contract §11: 5 minutes).
pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);

/// Why a relying party could not be set up from the settings.
#[derive(Debug, thiserror::Error)]
pub enum RelyingPartyError {
    /// Browsers refuse an IP address as a relying party id: passkeys are off (contract §1).
    #[error("the WebAuthn relying party id {0} is an IP address, which browsers refuse")]
    IpAddress(String),
    #[error("the WebAuthn relying party id {rp_id} does not suit the origin {origin}: {reason}")]
    Refused {
        rp_id: String,
        origin: String,
        reason: String,
    },
}

/// This deployment as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
}

/// What a ceremony's start gives: the browser's options and the state to keep server side.
pub struct Started {
    /// `publicKey` of the options, in the JSON form browsers parse.
    pub public_key: Value,
    /// The library's state, serialised: kept in the database until the ceremony ends.
    pub state: String,
}

/// A registered passkey as stored: the library's credential (public key, counter, flags).
pub struct Registered {
    pub credential_id: Vec<u8>,
    pub credential: String,
}

/// A verified assertion: the credential's new stored form and its signature counter.
pub struct Asserted {
    pub credential: String,
    pub counter: u32,
}

impl RelyingParty {
    /// `rp_id` (`LATCHKEY_WEBAUTHN_RP_ID`, else the public URL's host); the allowed origins are
    /// the public URL's and `extra_origins` (`LATCHKEY_CORS_ORIGINS`).
    pub fn new(
        rp_id: Option<&str>,
        public_url: &Url,
        extra_origins: &[String],
        product_name: &str,
    ) -> Result<Self, RelyingPartyError> {
        let rp_id = match (rp_id, public_url.host()) {
            (Some(id), _) => id.to_owned(),
            (None, Some(url::Host::Domain(d))) => d.to_ascii_lowercase(),
            (None, Some(host)) => return Err(RelyingPartyError::IpAddress(host.to_string())),
            (None, None) => return Err(RelyingPartyError::IpAddress(String::new())),
        };
        if rp_id.parse::<std::net::IpAddr>().is_ok() {
            return Err(RelyingPartyError::IpAddress(rp_id));
        }
        let refused = |origin: &Url, e: &dyn std::fmt::Display| RelyingPartyError::Refused {
            rp_id: rp_id.clone(),
            origin: origin.to_string(),
            reason: e.to_string(),
        };
        let origin = Url::parse(&public_url.origin().ascii_serialization())
            .map_err(|e| refused(public_url, &e))?;
        let mut builder = WebauthnBuilder::new(&rp_id, &origin)
            .map_err(|e| refused(&origin, &e))?
            .rp_name(product_name)
            .timeout(CHALLENGE_TTL);
        for extra in extra_origins {
            let url = Url::parse(extra).map_err(|e| refused(&origin, &e))?;
            builder = builder.append_allowed_origin(&url);
        }
        let webauthn = builder.build().map_err(|e| refused(&origin, &e))?;
        Ok(Self { webauthn })
    }

    /// Starts registering a discoverable passkey for `user_handle` (the account's id, which
    /// the authenticator keeps and gives back at sign-in). `exclude` lists the account's
    /// credentials, so one authenticator is not registered twice.
    pub fn start_registration(
        &self,
        user_handle: Uuid,
        email: &str,
        display_name: &str,
        exclude: Vec<Vec<u8>>,
    ) -> Result<Started, Fault> {
        let exclude: Option<Vec<CredentialID>> = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user_handle, email, display_name, exclude)
            .map_err(|e| Fault::new("starting a passkey registration", e))?;
        let mut public_key = to_json(&options.public_key)?;
        // Sign-in without an address needs a discoverable credential: the library's passkey
        // registration leaves it to the authenticator, so it is asked for here.
        if let Some(selection) = public_key
            .get_mut("authenticatorSelection")
            .and_then(Value::as_object_mut)
        {
            selection.insert("residentKey".into(), "required".into());
            selection.insert("requireResidentKey".into(), true.into());
        }
        Ok(Started {
            public_key,
            state: state_json(&state)?,
        })
    }

    /// Checks a registration answer against its stored state.
    pub fn finish_registration(
        &self,
        credential: &Value,
        state: &str,
    ) -> Result<Registered, PasskeyRefused> {
        let credential: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyRefused)?;
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(|_| PasskeyRefused)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| {
                tracing::debug!(error = %e, "passkey registration refused");
                PasskeyRefused
            })?;
        Ok(Registered {
            credential_id: passkey.cred_id().to_vec(),
            credential: serde_json::to_string(&passkey).map_err(|_| PasskeyRefused)?,
        })
    }

    /// Starts a sign-in with any passkey of this relying party (no address: the authenticator
    /// offers its discoverable credentials).
    pub fn start_sign_in(&self) -> Result<Started, Fault> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| Fault::new("starting a passkey sign-in", e))?;
        // The library marks these options for conditional mediation (autofill); the pages ask
        // with a button, and only `publicKey` is sent, so that choice stays the caller's.
        Ok(Started {
            public_key: to_json(&options.public_key)?,
            state: state_json(&state)?,
        })
    }

    /// Reads a sign-in answer: the account's handle and the credential id it names, before
    /// anything is verified (the stored credential is looked up by them).
    pub fn identify(
        credential: &Value,
    ) -> Result<(PublicKeyCredential, Uuid, Vec<u8>), PasskeyRefused> {
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyRefused)?;
        let handle = credential
            .get_user_unique_id()
            .and_then(|b| Uuid::from_slice(b).ok())
            .ok_or(PasskeyRefused)?;
        let id = credential.get_credential_id().to_vec();
        Ok((credential, handle, id))
    }

    /// Verifies a discoverable sign-in's assertion by the stored credential: signature,
    /// challenge, origin, relying party, user verification, and a counter that moved forward.
    pub fn finish_sign_in(
        &self,
        credential: &PublicKeyCredential,
        state: &str,
        stored: &str,
    ) -> Result<Asserted, PasskeyRefused> {
        let state: DiscoverableAuthentication =
            serde_json::from_str(state).map_err(|_| PasskeyRefused)?;
        let mut passkey: Passkey = serde_json::from_str(stored).map_err(|_| PasskeyRefused)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(credential, state, &passkey)
            .map_err(refused)?;
        passkey.update_credential(&result);
        Ok(Asserted {
            credential: serde_json::to_string(&passkey).map_err(|_| PasskeyRefused)?,
            counter: result.counter(),
        })
    }
}

impl RelyingParty {
    /// Starts the second-factor check of an account whose password (or emailed sign-in) was
    /// right: only its own passkeys (`stored`, the library's credentials) are offered, and
    /// user verification is required as at every passkey sign-in.
    pub fn start_second_factor(&self, stored: &[String]) -> Result<Started, Fault> {
        let passkeys: Vec<Passkey> = stored
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect();
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| Fault::new("starting a passkey second-factor check", e))?;
        Ok(Started {
            public_key: to_json(&options.public_key)?,
            state: state_json(&state)?,
        })
    }

    /// Verifies a second-factor assertion: by one of the credentials the state offered (its
    /// signature, challenge, origin, user verification, and a counter past the one it had when
    /// the check started); `stored` is that credential now, updated for storing.
    pub fn finish_second_factor(
        &self,
        credential: &Value,
        state: &str,
        stored: &str,
    ) -> Result<Asserted, PasskeyRefused> {
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyRefused)?;
        let state: PasskeyAuthentication =
            serde_json::from_str(state).map_err(|_| PasskeyRefused)?;
        let mut passkey: Passkey = serde_json::from_str(stored).map_err(|_| PasskeyRefused)?;
        if passkey.cred_id().as_slice() != credential.get_credential_id() {
            return Err(PasskeyRefused);
        }
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(refused)?;
        passkey.update_credential(&result);
        Ok(Asserted {
            credential: serde_json::to_string(&passkey).map_err(|_| PasskeyRefused)?,
            counter: result.counter(),
        })
    }

    /// The credential id an assertion names, before it is verified.
    pub fn credential_id_of(credential: &Value) -> Result<Vec<u8>, PasskeyRefused> {
        let credential: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyRefused)?;
        Ok(credential.get_credential_id().to_vec())
    }
}

/// A passkey answer that does not verify, whatever the reason (malformed, wrong challenge,
/// origin or signature, no user verification, a counter that went backwards): one refusal.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the passkey answer did not verify")]
pub struct PasskeyRefused;

fn refused(e: webauthn_rs::prelude::WebauthnError) -> PasskeyRefused {
    tracing::debug!(error = %e, "passkey assertion refused");
    PasskeyRefused
}

/// A ceremony's id as the client holds it, and the hash under which its state is stored.
pub fn new_challenge_id() -> Result<(String, [u8; 32]), Fault> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let id = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = challenge_hash(&id);
    Ok((id, hash))
}

pub fn challenge_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Where the passkey check of a second-factor step is kept: derived from the step's
/// `mfa_token` hash (the client names no other id), apart from any challenge id's hash.
pub fn second_factor_ceremony(mfa_token_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"latchkey second-factor passkey\0");
    h.update(mfa_token_hash);
    h.finalize().into()
}

fn state_json<T: serde::Serialize>(state: &T) -> Result<String, Fault> {
    serde_json::to_string(state).map_err(|e| Fault::new("storing a WebAuthn state", e))
}

/// The options as JSON without nulls: a browser's JSON parsing takes a missing member for
/// "not given" but refuses `null` where it expects a list or a dictionary.
fn to_json<T: serde::Serialize>(options: &T) -> Result<Value, Fault> {
    let mut value =
        serde_json::to_value(options).map_err(|e| Fault::new("writing WebAuthn options", e))?;
    strip_nulls(&mut value);
    Ok(value)
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(public: &str, rp_id: Option<&str>) -> Result<RelyingParty, RelyingPartyError> {
        RelyingParty::new(rp_id, &Url::parse(public).unwrap(), &[], "Latchkey")
    }

    #[test]
    fn the_rp_id_is_the_public_hosts_unless_set_and_never_an_ip_address() {
        assert!(party("http://localhost:8080", None).is_ok());
        assert!(matches!(
            party("http://127.0.0.1:8080", None),
            Err(RelyingPartyError::IpAddress(_))
        ));
        assert!(party("https://auth.example.com", Some("example.com")).is_ok());
        assert!(matches!(
            party("https://auth.example.com", Some("other.org")),
            Err(RelyingPartyError::Refused { .. })
        ));
    }

    #[test]
    fn registration_options_ask_for_a_discoverable_credential_and_user_verification() {
        let rp = party("http://localhost:8080", None).unwrap();
        let started = rp
            .start_registration(
                Uuid::now_v7(),
                "ann@example.com",
                "Ann",
                vec![vec![1, 2, 3]],
            )
            .unwrap();
        let pk = &started.public_key;
        assert_eq!(pk["rp"]["id"], "localhost");
        assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(pk["excludeCredentials"][0]["id"], "AQID");
        assert!(pk["challenge"].as_str().is_some_and(|c| c.len() >= 43));
        assert!(!started.public_key.to_string().contains("null"));
    }

    #[test]
    fn a_malformed_answer_is_refused_not_a_panic() {
        let rp = party("http://localhost:8080", None).unwrap();
        let started = rp.start_sign_in().unwrap();
        assert_eq!(started.public_key["userVerification"], "required");
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"id": "x", "rawId": "!!", "type": "public-key", "response": {}}),
            serde_json::json!([1, 2]),
        ] {
            assert!(RelyingParty::identify(&bad).is_err());
            assert!(rp.finish_registration(&bad, &started.state).is_err());
        }
    }
}
