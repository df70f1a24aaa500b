//! Passkeys (contract §11): registering one (signed in, with the password), naming, listing
//! and removing them, and signing in with one without typing an address.
//!
//! Every ceremony's state lives in `webauthn_challenges` under the hash of its id and is
//! deleted as it is read: any node finishes a ceremony, a challenge is answered once, and
//! it expires after five minutes. A challenge is spent by any answer, right or wrong.

use serde_json::Value;
use uuid::Uuid;

use super::{Client, Flows, Principal, TokenPair};
use crate::{
    domain::{
        accounts::DisplayName,
        passkey::{CHALLENGE_TTL, RelyingParty, challenge_hash, new_challenge_id},
        second_factor::{Amr, Method},
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
            Ok(())
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

    pub async fn remove_passkey(&self, principal: &Principal, id: Uuid) -> Result<(), Error> {
        let user_id = principal.user.id;
        let removed = self
            .store
            .autocommit()
            .await?
            .delete_passkey(user_id, id)
            .await?;
        if removed {
            Ok(())
        } else {
            Err(Error::NotFound)
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
        self.start_session(&user, client.user_agent.as_deref(), &amr)
            .await
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
