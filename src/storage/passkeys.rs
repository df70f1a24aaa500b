//! Passkeys and the WebAuthn ceremonies waiting for an answer (migration 0015).

use uuid::Uuid;

use super::{Conn, on_db};
use crate::{domain::time::Millis, error::Error};

/// A passkey as its owner sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
}

/// A stored credential, for verifying an assertion.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub credential: String,
    pub counter: i64,
}

pub struct NewPasskey<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub credential_id: &'a [u8],
    pub credential: &'a str,
    pub name: &'a str,
    pub now: Millis,
}

/// What a ceremony is for; a challenge answers only its own purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    Register,
    SignIn,
    SecondFactor,
}

impl CeremonyPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
            Self::SecondFactor => "second_factor",
        }
    }
}

impl Conn {
    /// Keeps a ceremony's state until it is answered or expires; expired ones are swept here.
    pub async fn insert_ceremony(
        &mut self,
        hash: &[u8; 32],
        purpose: CeremonyPurpose,
        user_id: Option<Uuid>,
        state: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), Error> {
        const SWEEP: &str = "DELETE FROM webauthn_challenges WHERE expires_at <= $1";
        const SQL: &str = "INSERT INTO webauthn_challenges (hash, purpose, user_id, state, created_at, expires_at) \
            VALUES ($1, $2, $3, $4, $5, $6)";
        on_db!(self, c => sqlx::query(SWEEP).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        on_db!(self, c => sqlx::query(SQL).bind(&hash[..]).bind(purpose.as_str()).bind(user_id)
            .bind(state).bind(now).bind(expires_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keeps a second-factor check's state under `hash` (derived from its `mfa_token`),
    /// replacing an earlier one of the same step: asking again gives a new challenge.
    pub async fn replace_ceremony(
        &mut self,
        hash: &[u8; 32],
        purpose: CeremonyPurpose,
        user_id: Uuid,
        state: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO webauthn_challenges (hash, purpose, user_id, state, created_at, expires_at) \
            VALUES ($1, $2, $3, $4, $5, $6) \
            ON CONFLICT (hash) DO UPDATE SET state = excluded.state, created_at = excluded.created_at, \
                expires_at = excluded.expires_at";
        on_db!(self, c => sqlx::query(SQL).bind(&hash[..]).bind(purpose.as_str()).bind(user_id)
            .bind(state).bind(now).bind(expires_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Takes a live ceremony of `purpose` (and of `user_id`, when it belongs to an account):
    /// its state, deleted in the same statement, so of any number of answers to one challenge,
    /// on any nodes, one gets it.
    pub async fn take_ceremony(
        &mut self,
        hash: &[u8; 32],
        purpose: CeremonyPurpose,
        user_id: Option<Uuid>,
        now: Millis,
    ) -> Result<Option<String>, Error> {
        const SQL: &str = "DELETE FROM webauthn_challenges \
            WHERE hash = $1 AND purpose = $2 AND expires_at > $3 \
              AND (($4 IS NULL AND user_id IS NULL) OR user_id = $4) \
            RETURNING state";
        Ok(
            on_db!(self, c => sqlx::query_scalar(SQL).bind(&hash[..]).bind(purpose.as_str())
            .bind(now).bind(user_id).fetch_optional(c).await)?,
        )
    }

    pub async fn insert_passkey(&mut self, p: &NewPasskey<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO passkeys (id, user_id, credential_id, credential, counter, name, created_at, last_used_at) \
            VALUES ($1, $2, $3, $4, 0, $5, $6, NULL)";
        on_db!(self, c => sqlx::query(SQL).bind(p.id).bind(p.user_id).bind(p.credential_id)
            .bind(p.credential).bind(p.name).bind(p.now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn passkey_exists(&mut self, credential_id: &[u8]) -> Result<bool, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM passkeys WHERE credential_id = $1";
        let n: i64 =
            on_db!(self, c => sqlx::query_scalar(SQL).bind(credential_id).fetch_one(c).await)?;
        Ok(n > 0)
    }

    pub async fn passkeys_of(&mut self, user_id: Uuid) -> Result<Vec<PasskeyInfo>, Error> {
        const SQL: &str = "SELECT id, name, created_at, last_used_at FROM passkeys \
            WHERE user_id = $1 ORDER BY created_at, id";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(user_id).fetch_all(c).await)?)
    }

    /// The account's credentials (ids and stored forms), for excluding them from a new
    /// registration and for a second-factor check.
    pub async fn passkey_credentials_of(
        &mut self,
        user_id: Uuid,
    ) -> Result<Vec<(Vec<u8>, String)>, Error> {
        const SQL: &str = "SELECT credential_id, credential FROM passkeys WHERE user_id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(user_id).fetch_all(c).await)?)
    }

    pub async fn passkey_count(&mut self, user_id: Uuid) -> Result<i64, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM passkeys WHERE user_id = $1";
        Ok(on_db!(self, c => sqlx::query_scalar(SQL).bind(user_id).fetch_one(c).await)?)
    }

    pub async fn passkey_by_credential_id(
        &mut self,
        credential_id: &[u8],
    ) -> Result<Option<StoredPasskey>, Error> {
        const SQL: &str =
            "SELECT id, user_id, credential, counter FROM passkeys WHERE credential_id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(credential_id).fetch_optional(c).await)?)
    }

    /// Records a verified use: the new stored credential and counter, if the counter is still
    /// the one the check was made against (a counter of 0 is an authenticator that keeps none).
    /// False: another sign-in with this credential got there first.
    pub async fn record_passkey_use(
        &mut self,
        id: Uuid,
        checked_counter: i64,
        credential: &str,
        counter: i64,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE passkeys SET credential = $3, counter = $4, last_used_at = $5 \
            WHERE id = $1 AND counter = $2 AND ($4 = 0 OR $4 > counter)";
        let n = on_db!(self, c => sqlx::query(SQL).bind(id).bind(checked_counter).bind(credential)
            .bind(counter).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn rename_passkey(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<Option<PasskeyInfo>, Error> {
        const SQL: &str = "UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 \
            RETURNING id, name, created_at, last_used_at";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(id).bind(user_id).bind(name)
            .fetch_optional(c).await)?,
        )
    }

    pub async fn delete_passkey(&mut self, user_id: Uuid, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "DELETE FROM passkeys WHERE id = $1 AND user_id = $2";
        let n = on_db!(self, c => sqlx::query(SQL).bind(id).bind(user_id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
