use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, on_db};
use crate::error::Error;

/// A sign-up that was answered and not yet recorded.
#[derive(Debug, sqlx::FromRow)]
pub struct PendingSignup {
    pub id: Uuid,
    pub email: String,
    /// `email` in its compared form (`EmailAddress::normalized`).
    pub email_norm: String,
    pub name: Option<String>,
    pub locale: String,
    pub password_hash: String,
    pub created_at: Millis,
    /// The stored hash whose password this sign-up repeated, as `register` found it before
    /// answering: a repeat (a double submit) does not contest the address.
    pub repeats_hash: Option<String>,
}

impl Conn {
    pub async fn insert_pending_signup(&mut self, p: &PendingSignup) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO pending_signups (id, email, email_norm, name, locale, password_hash, created_at, repeats_hash) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(p.id).bind(&p.email).bind(&p.email_norm).bind(&p.name).bind(&p.locale)
            .bind(&p.password_hash).bind(p.created_at).bind(&p.repeats_hash)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The newest sign-up for this address answered before `id` and not recorded yet: its
    /// password hash and the hash it repeats, if any (see `set_pending_repeats`).
    pub async fn pending_signup_before(
        &mut self,
        email_norm: &str,
        id: Uuid,
    ) -> Result<Option<(String, Option<String>)>, Error> {
        const SQL: &str = "SELECT password_hash, repeats_hash FROM pending_signups \
            WHERE email_norm = $1 AND id < $2 ORDER BY id DESC LIMIT 1";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(email_norm).bind(id).fetch_optional(c).await)?,
        )
    }

    /// Records which stored hash the answered sign-up `id` repeats the password of (`None`:
    /// none), before its answer.
    pub async fn set_pending_repeats(
        &mut self,
        id: Uuid,
        repeats_hash: Option<&str>,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE pending_signups SET repeats_hash = $2 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(repeats_hash).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The sign-ups for this address that are answered and not recorded yet (normally none).
    pub async fn pending_signups_at(
        &mut self,
        email_norm: &str,
    ) -> Result<Vec<PendingSignup>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, name, locale, password_hash, created_at, repeats_hash \
            FROM pending_signups WHERE email_norm = $1 ORDER BY created_at";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(email_norm).fetch_all(c).await)?)
    }

    /// The sign-ups answered and not recorded yet for the address a link was made for.
    pub async fn pending_signups_for_link(
        &mut self,
        hash: crate::domain::tokens::TokenHash,
    ) -> Result<Vec<PendingSignup>, Error> {
        const SQL: &str = "SELECT p.id, p.email, p.email_norm, p.name, p.locale, p.password_hash, p.created_at, p.repeats_hash \
            FROM pending_signups p JOIN link_tokens t ON t.account_email = p.email_norm \
            WHERE t.hash = $1 ORDER BY p.created_at";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).fetch_all(c).await)?)
    }

    /// Up to `limit` sign-ups that are answered and not recorded yet, the oldest first.
    pub async fn pending_signups(&mut self, limit: i64) -> Result<Vec<PendingSignup>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, name, locale, password_hash, created_at, repeats_hash \
            FROM pending_signups ORDER BY created_at LIMIT $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(limit).fetch_all(c).await)?)
    }

    /// Takes the pending sign-up out, in the transaction that records it: false when another
    /// process already did (then this one must record nothing).
    pub async fn take_pending_signup(&mut self, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "DELETE FROM pending_signups WHERE id = $1";
        let gone = on_db!(self, c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(gone == 1)
    }

    /// Leases up to `limit` sign-ups answered before `answered_before` that nobody is
    /// finishing (their process died), for `lease_until`.
    pub async fn claim_unfinished_signups(
        &mut self,
        answered_before: Millis,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<PendingSignup>, Error> {
        const SQLITE: &str = "UPDATE pending_signups SET lease_until = $2 \
            WHERE id IN (SELECT id FROM pending_signups WHERE created_at <= $1 \
                           AND (lease_until IS NULL OR lease_until <= $3) ORDER BY created_at LIMIT $4) \
            RETURNING id, email, email_norm, name, locale, password_hash, created_at, repeats_hash";
        const POSTGRES: &str = "UPDATE pending_signups SET lease_until = $2 \
            WHERE id IN (SELECT id FROM pending_signups WHERE created_at <= $1 \
                           AND (lease_until IS NULL OR lease_until <= $3) ORDER BY created_at LIMIT $4 \
                           FOR UPDATE SKIP LOCKED) \
            RETURNING id, email, email_norm, name, locale, password_hash, created_at, repeats_hash";
        let sql = if self.is_postgres() { POSTGRES } else { SQLITE };
        Ok(on_db!(self, c => sqlx::query_as(sql)
            .bind(answered_before).bind(lease_until).bind(now).bind(limit)
            .fetch_all(c).await)?)
    }
}
