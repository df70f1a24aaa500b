//! Second factors (migration 0016): the authenticator app, recovery codes, and the tokens of
//! the second-factor step of a log-in.

use uuid::Uuid;

use super::{Conn, on_db};
use crate::{
    domain::{second_factor::RecoveryHash, time::Millis},
    error::Error,
};

/// An account's authenticator app row.
#[derive(Debug, sqlx::FromRow)]
pub struct TotpRow {
    pub secret_sealed: Vec<u8>,
    pub confirmed_at: Option<Millis>,
    pub last_step: i64,
}

/// A live `mfa_token`'s row.
#[derive(Debug, sqlx::FromRow)]
pub struct MfaTokenRow {
    pub user_id: Uuid,
    pub first_factor: String,
    pub failures: i64,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
}

/// What `GET /me` tells of an account's factors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorSummary {
    pub totp: bool,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl Conn {
    pub async fn totp_of(&mut self, user_id: Uuid) -> Result<Option<TotpRow>, Error> {
        const SQL: &str =
            "SELECT secret_sealed, confirmed_at, last_step FROM totp_factors WHERE user_id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(user_id).fetch_optional(c).await)?)
    }

    /// Stores a new enrolment waiting for its first code, replacing an earlier one that
    /// waits; an app already confirmed is kept (false).
    pub async fn put_pending_totp(
        &mut self,
        user_id: Uuid,
        sealed: &[u8],
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "INSERT INTO totp_factors (user_id, secret_sealed, created_at, confirmed_at, last_step) \
            VALUES ($1, $2, $3, NULL, 0) \
            ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
                created_at = excluded.created_at, last_step = 0 \
            WHERE totp_factors.confirmed_at IS NULL";
        let n = on_db!(self, c => sqlx::query(SQL).bind(user_id).bind(sealed).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records `step` as the newest accepted one, if it is newer than the last (and, with
    /// `confirm`, marks a waiting enrolment active). One statement: of two uses of one code,
    /// on any nodes, one wins.
    pub async fn take_totp_step(
        &mut self,
        user_id: Uuid,
        step: i64,
        confirm: bool,
        now: Millis,
    ) -> Result<bool, Error> {
        const CONFIRM: &str = "UPDATE totp_factors SET last_step = $2, confirmed_at = $3 \
            WHERE user_id = $1 AND last_step < $2 AND confirmed_at IS NULL";
        const USE: &str = "UPDATE totp_factors SET last_step = $2 \
            WHERE user_id = $1 AND last_step < $2 AND confirmed_at IS NOT NULL";
        let sql = if confirm { CONFIRM } else { USE };
        let n = on_db!(self, c => sqlx::query(sql).bind(user_id).bind(step).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Removes the app (confirmed or waiting) and the recovery codes; whether an active app
    /// was removed.
    pub async fn delete_totp(&mut self, user_id: Uuid) -> Result<bool, Error> {
        const APP: &str = "DELETE FROM totp_factors WHERE user_id = $1 RETURNING confirmed_at";
        const CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
        let removed: Vec<Option<Millis>> =
            on_db!(self, c => sqlx::query_scalar(APP).bind(user_id).fetch_all(c).await)?;
        on_db!(self, c => sqlx::query(CODES).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(removed.iter().any(Option::is_some))
    }

    /// Replaces the account's recovery codes with these (the old ones stop working).
    pub async fn replace_recovery_codes(
        &mut self,
        user_id: Uuid,
        hashes: &[RecoveryHash],
    ) -> Result<(), Error> {
        const DELETE: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
        const INSERT: &str =
            "INSERT INTO recovery_codes (user_id, hash, used_at) VALUES ($1, $2, NULL)";
        on_db!(self, c => sqlx::query(DELETE).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        for hash in hashes {
            on_db!(self, c => sqlx::query(INSERT).bind(user_id).bind(&hash.0[..])
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Uses one of the account's unused recovery codes matching a candidate hash: whether one
    /// was (one statement, so a code is used once however many try it at once).
    pub async fn use_recovery_code(
        &mut self,
        user_id: Uuid,
        candidates: [RecoveryHash; 2],
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE recovery_codes SET used_at = $4 \
            WHERE user_id = $1 AND hash IN ($2, $3) AND used_at IS NULL";
        let n = on_db!(self, c => sqlx::query(SQL).bind(user_id)
            .bind(&candidates[0].0[..]).bind(&candidates[1].0[..]).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n >= 1)
    }

    pub async fn factor_summary(&mut self, user_id: Uuid) -> Result<FactorSummary, Error> {
        const SQL: &str = "SELECT \
            (SELECT COUNT(*) FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL), \
            (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL), \
            (SELECT COUNT(*) FROM passkeys WHERE user_id = $1)";
        let (totp, left, passkeys): (i64, i64, i64) =
            on_db!(self, c => sqlx::query_as(SQL).bind(user_id).fetch_one(c).await)?;
        Ok(FactorSummary {
            totp: totp > 0,
            passkeys,
            recovery_codes_left: left,
        })
    }

    pub async fn insert_mfa_token(
        &mut self,
        hash: &[u8; 32],
        user_id: Uuid,
        first_factor: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO mfa_tokens (hash, user_id, first_factor, failures, created_at, expires_at) \
            VALUES ($1, $2, $3, 0, $4, $5)";
        on_db!(self, c => sqlx::query(SQL).bind(&hash[..]).bind(user_id).bind(first_factor)
            .bind(now).bind(expires_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        // Spent and expired ones of this account go as a new one comes: the table stays small
        // without a sweeper.
        const SWEEP: &str = "DELETE FROM mfa_tokens WHERE user_id = $1 AND expires_at < $2";
        on_db!(self, c => sqlx::query(SWEEP).bind(user_id).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn mfa_token(&mut self, hash: &[u8; 32]) -> Result<Option<MfaTokenRow>, Error> {
        const SQL: &str = "SELECT user_id, first_factor, failures, expires_at, used_at \
            FROM mfa_tokens WHERE hash = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(&hash[..]).fetch_optional(c).await)?)
    }

    /// Counts a wrong code against the token.
    pub async fn fail_mfa_token(&mut self, hash: &[u8; 32]) -> Result<(), Error> {
        const SQL: &str = "UPDATE mfa_tokens SET failures = failures + 1 WHERE hash = $1";
        on_db!(self, c => sqlx::query(SQL).bind(&hash[..]).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Uses the token if it is still live: one statement, one winner.
    pub async fn use_mfa_token(
        &mut self,
        hash: &[u8; 32],
        max_failures: i64,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE mfa_tokens SET used_at = $2 \
            WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3";
        let n = on_db!(self, c => sqlx::query(SQL).bind(&hash[..]).bind(now).bind(max_failures)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Every second factor of the account gone (an operator's reset): whether it had any.
    pub async fn delete_second_factors(&mut self, user_id: Uuid) -> Result<bool, Error> {
        let had_app = self.delete_totp(user_id).await?;
        const TOKENS: &str = "DELETE FROM mfa_tokens WHERE user_id = $1";
        on_db!(self, c => sqlx::query(TOKENS).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        // Passkeys too (contract §1: "every second factor and passkey"), and the ceremonies
        // waiting for one of them.
        const PASSKEYS: &str = "DELETE FROM passkeys WHERE user_id = $1";
        let keys = on_db!(self, c => sqlx::query(PASSKEYS).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        const CEREMONIES: &str = "DELETE FROM webauthn_challenges WHERE user_id = $1";
        on_db!(self, c => sqlx::query(CEREMONIES).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(had_app || keys > 0)
    }
}
