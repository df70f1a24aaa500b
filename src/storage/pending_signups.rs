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
}

impl Conn {
    pub async fn insert_pending_signup(&mut self, p: &PendingSignup) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO pending_signups (id, email, email_norm, name, locale, password_hash, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(p.id).bind(&p.email).bind(&p.email_norm).bind(&p.name).bind(&p.locale)
            .bind(&p.password_hash).bind(p.created_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The sign-ups for this address that are answered and not recorded yet (normally none).
    pub async fn pending_signups_at(
        &mut self,
        email_norm: &str,
    ) -> Result<Vec<PendingSignup>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, name, locale, password_hash, created_at \
            FROM pending_signups WHERE email_norm = $1 ORDER BY created_at";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(email_norm).fetch_all(c).await)?)
    }

    /// Up to `limit` sign-ups that are answered and not recorded yet, the oldest first.
    pub async fn pending_signups(&mut self, limit: i64) -> Result<Vec<PendingSignup>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, name, locale, password_hash, created_at \
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
            RETURNING id, email, email_norm, name, locale, password_hash, created_at";
        const POSTGRES: &str = "UPDATE pending_signups SET lease_until = $2 \
            WHERE id IN (SELECT id FROM pending_signups WHERE created_at <= $1 \
                           AND (lease_until IS NULL OR lease_until <= $3) ORDER BY created_at LIMIT $4 \
                           FOR UPDATE SKIP LOCKED) \
            RETURNING id, email, email_norm, name, locale, password_hash, created_at";
        let sql = if self.is_postgres() { POSTGRES } else { SQLITE };
        Ok(on_db!(self, c => sqlx::query_as(sql)
            .bind(answered_before).bind(lease_until).bind(now).bind(limit)
            .fetch_all(c).await)?)
    }
}
