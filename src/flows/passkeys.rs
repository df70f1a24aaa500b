//! Passkeys (contract §11): registering one (signed in, with the password), naming, listing
//! and removing them, and signing in with one without typing an address.
//!
//! Every ceremony's state lives in `webauthn_challenges` under the hash of its id and is
//! deleted as it is read: any node finishes a ceremony, a challenge is answered once, and
//! it expires after five minutes. A challenge is spent by any answer, right or wrong.

use serde_json::Value;
use uuid::Uuid;

use super::{Client, Flows, Principal, TokenPair, second_factor::Change};
use crate::{
    domain::{
        accounts::DisplayName,
        accounts::User,
        passkey::{
            CHALLENGE_TTL, RelyingParty, challenge_hash, new_challenge_id, second_factor_ceremony,
        },
        second_factor::{Amr, MFA_TOKEN_MAX_FAILURES, Method},
    },
    error::Error,
    storage::{CeremonyPurpose, NewPasskey, PasskeyInfo, transaction},
};

/// The start of a ceremony: the id the answer must name, and the browser's `publicKey`.
#[derive(Debug)]
pub struct PasskeyOptions {
    pub challenge_id: String,
    pub public_key: Value,
}

impl Flows {
    /// The relying party, or 404 when passkeys are off (the relying party id would be an IP
    /// address, contract §1).
    fn relying_party(&self) -> Result<&RelyingParty, Error> {
        self.relying_party.as_ref().ok_or(Error::NotFound)
    }

    /// Starts registering a passkey, after the password (counted like every check of it).
    /// Only a verified address may add one.
    pub async fn passkey_registration_options(
        &self,
        principal: &Principal,
        client: &Client,
        password: &str,
    ) -> Result<PasskeyOptions, Error> {
        let rp = self.relying_party()?;
        let user = &principal.user;
        let attempt = self.count_password_attempt(client, user).await?;
        self.verify_own_password(attempt, password).await?;
        if !user.email_verified {
            return Err(Error::EmailNotVerified);
        }
        let exclude = self
            .store
            .read()
            .await?
            .passkey_credentials_of(user.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let display = user.name.as_deref().unwrap_or(&user.email);
        let started = rp.start_registration(user.id, &user.email, display, exclude)?;
        let challenge_id = self
            .keep_ceremony(CeremonyPurpose::Register, Some(user.id), &started.state)
            .await?;
        Ok(PasskeyOptions {
            challenge_id,
            public_key: started.public_key,
        })
    }

    /// Finishes a registration: the new passkey, named (`name`, else "Passkey").
    pub async fn register_passkey(
        &self,
        principal: &Principal,
        challenge_id: &str,
        credential: &Value,
        name: Option<&str>,
    ) -> Result<PasskeyInfo, Error> {
        let rp = self.relying_party()?;
        let name = DisplayName::parse_optional(name)?
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| "Passkey".to_owned());
        let user_id = principal.user.id;
        let now = self.clock.now();
        let state = self
            .store
            .autocommit()
            .await?
            .take_ceremony(
                &challenge_hash(challenge_id),
                CeremonyPurpose::Register,
                Some(user_id),
                now,
            )
            .await?
            .ok_or(Error::PasskeyRefused)?;
        let registered = rp
            .finish_registration(credential, &state)
            .map_err(|_| Error::PasskeyRefused)?;
        let id = Uuid::now_v7();
        transaction!(self.store, |tx| {
            // One credential belongs to one account (WebAuthn §7.1 step 22).
            if tx.passkey_exists(&registered.credential_id).await? {
                return Err(Error::PasskeyRefused);
            }
            tx.insert_passkey(&NewPasskey {
                id,
                user_id,
                credential_id: &registered.credential_id,
                credential: &registered.credential,
                name: &name,
                now,
            })
            .await?;
            self.tell_factor_change(tx, &principal.user, Change::Added("passkey"), now)
                .await
        })?;
        Ok(PasskeyInfo {
            id,
            name,
            created_at: now,
            last_used_at: None,
        })
    }

    pub async fn passkeys(&self, user_id: Uuid) -> Result<Vec<PasskeyInfo>, Error> {
        self.store.read().await?.passkeys_of(user_id).await
    }

    pub async fn rename_passkey(
        &self,
        principal: &Principal,
        id: Uuid,
        name: &str,
    ) -> Result<PasskeyInfo, Error> {
        let name = DisplayName::parse_optional(Some(name))?
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| "Passkey".to_owned());
        self.store
            .autocommit()
            .await?
            .rename_passkey(principal.user.id, id, &name)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Removes one of the account's passkeys; the owner is told, as for every second factor.
    pub async fn remove_passkey(&self, principal: &Principal, id: Uuid) -> Result<(), Error> {
        let user = &principal.user;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if !tx.delete_passkey(user.id, id).await? {
                return Err(Error::NotFound);
            }
            self.tell_factor_change(tx, user, Change::Removed("passkey"), now)
                .await
        })
    }

    /// The options of a passkey as the second factor of a log-in whose first factor was right:
    /// the account's own passkeys, user verification required. The state is kept under the
    /// `mfa_token` (asking again replaces it), so the answer goes to `POST /login/mfa` with
    /// that token and no other id. 409 `no_passkey` for an account without one.
    pub async fn passkey_second_factor_options(&self, mfa_token: &str) -> Result<Value, Error> {
        let rp = self.relying_party()?;
        let (hash, _, user) = self.live_mfa_step(mfa_token).await?;
        let stored: Vec<String> = self
            .store
            .read()
            .await?
            .passkey_credentials_of(user.id)
            .await?
            .into_iter()
            .map(|(_, credential)| credential)
            .collect();
        if stored.is_empty() {
            return Err(Error::NoPasskey);
        }
        let started = rp.start_second_factor(&stored)?;
        let now = self.clock.now();
        self.store
            .autocommit()
            .await?
            .replace_ceremony(
                &second_factor_ceremony(&hash),
                CeremonyPurpose::SecondFactor,
                user.id,
                &started.state,
                now,
                now + CHALLENGE_TTL,
            )
            .await?;
        Ok(started.public_key)
    }

    /// The second-factor step finished by a passkey (the `mfa_token`'s `hash`, live a moment
    /// ago). In one transaction: the ceremony is taken (one answer per challenge), the
    /// assertion verified, the passkey's counter recorded and the token used, so of answers
    /// racing on any nodes one wins and the others find the token used. A wrong answer spends
    /// the challenge and counts against the token like a wrong code: 400 `passkey_invalid`.
    pub(super) async fn second_factor_passkey(
        &self,
        hash: &[u8; 32],
        user: &User,
        credential: &Value,
    ) -> Result<(), Error> {
        let rp = self.relying_party.as_ref().ok_or(Error::PasskeyRefused)?;
        let credential_id = RelyingParty::credential_id_of(credential).ok();
        let ceremony = second_factor_ceremony(hash);
        let accepted = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let state = tx
                .take_ceremony(&ceremony, CeremonyPurpose::SecondFactor, Some(user.id), now)
                .await?;
            let Some(state) = state else {
                // Taken by another answer: if that one won, the step is over.
                let row = tx.mfa_token(hash).await?;
                if row.is_none_or(|r| r.used_at.is_some()) {
                    return Err(Error::MfaTokenInvalid);
                }
                tx.fail_mfa_token(hash).await?;
                return Ok(false);
            };
            let stored = match &credential_id {
                Some(id) => tx
                    .passkey_by_credential_id(id)
                    .await?
                    .filter(|p| p.user_id == user.id),
                None => None,
            };
            let verified = stored.and_then(|s| {
                rp.finish_second_factor(credential, &state, &s.credential)
                    .ok()
                    .map(|a| (s, a))
            });
            let Some((stored, asserted)) = verified else {
                tx.fail_mfa_token(hash).await?;
                return Ok(false);
            };
            // Conditional on the stored counter: a cloned authenticator loses.
            let recorded = tx
                .record_passkey_use(
                    stored.id,
                    stored.counter,
                    &asserted.credential,
                    i64::from(asserted.counter),
                    now,
                )
                .await?;
            if !recorded {
                tx.fail_mfa_token(hash).await?;
                return Ok(false);
            }
            if !tx.use_mfa_token(hash, MFA_TOKEN_MAX_FAILURES, now).await? {
                return Err(Error::MfaTokenInvalid);
            }
            Ok(true)
        })?;
        if accepted {
            Ok(())
        } else {
            Err(Error::PasskeyRefused)
        }
    }

    /// Starts a sign-in with a passkey: no address, the authenticator offers its own.
    pub async fn passkey_sign_in_options(&self) -> Result<PasskeyOptions, Error> {
        let started = self.relying_party()?.start_sign_in()?;
        let challenge_id = self
            .keep_ceremony(CeremonyPurpose::SignIn, None, &started.state)
            .await?;
        Ok(PasskeyOptions {
            challenge_id,
            public_key: started.public_key,
        })
    }

    /// Signs in with a passkey's assertion: complete by itself (the passkey verified the user),
    /// so no second factor is asked. A disabled account is refused as at log-in.
    pub async fn sign_in_with_passkey(
        &self,
        challenge_id: &str,
        credential: &Value,
        client: &Client,
    ) -> Result<TokenPair, Error> {
        let rp = self.relying_party()?;
        let now = self.clock.now();
        // The challenge is spent first, whatever the answer holds: one use, right or wrong.
        let state = self
            .store
            .autocommit()
            .await?
            .take_ceremony(
                &challenge_hash(challenge_id),
                CeremonyPurpose::SignIn,
                None,
                now,
            )
            .await?
            .ok_or(Error::PasskeyInvalid)?;
        let (assertion, handle, credential_id) =
            RelyingParty::identify(credential).map_err(|_| Error::PasskeyInvalid)?;
        let mut conn = self.store.read().await?;
        let stored = conn
            .passkey_by_credential_id(&credential_id)
            .await?
            .filter(|p| p.user_id == handle)
            .ok_or(Error::PasskeyInvalid)?;
        let asserted = rp
            .finish_sign_in(&assertion, &state, &stored.credential)
            .map_err(|_| Error::PasskeyInvalid)?;
        let user = conn
            .user_by_id(stored.user_id)
            .await?
            .ok_or(Error::PasskeyInvalid)?;
        // Conditional on the counter just checked: of two sign-ins with one counter value
        // (a cloned authenticator), on any nodes, one is recorded and the other refused.
        let recorded = self
            .store
            .autocommit_after(conn)
            .await?
            .record_passkey_use(
                stored.id,
                stored.counter,
                &asserted.credential,
                i64::from(asserted.counter),
                now,
            )
            .await?;
        if !recorded {
            return Err(Error::PasskeyInvalid);
        }
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        if !user.email_verified {
            return Err(Error::EmailNotVerified);
        }
        // Complete by itself (contract §11): `amr` is ["hwk"].
        let amr = Amr::one(Method::Passkey);
        self.start_session(&user, client, &amr).await
    }

    /// Stores a ceremony's state under a new id; the id for the client.
    async fn keep_ceremony(
        &self,
        purpose: CeremonyPurpose,
        user_id: Option<Uuid>,
        state: &str,
    ) -> Result<String, Error> {
        let (id, hash) = new_challenge_id()?;
        let now = self.clock.now();
        self.store
            .autocommit()
            .await?
            .insert_ceremony(&hash, purpose, user_id, state, now, now + CHALLENGE_TTL)
            .await?;
        Ok(id)
    }
}
