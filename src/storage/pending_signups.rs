use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, on_db};
use crate::error::Error;

/// A sign-up that was answered and not yet recorded.
#[derive(Debug, sqlx::FromRow)]
pub struct PendingSignup {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub locale: String,
    pub password_hash: String,
    pub created_at: Millis,
}

impl Conn {
    pub async fn insert_pending_signup(&mut self, p: &PendingSignup) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO pending_signups (id, email, name, locale, password_hash, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(p.id).bind(&p.email).bind(&p.name).bind(&p.locale).bind(&p.password_hash).bind(p.created_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
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
            RETURNING id, email, name, locale, password_hash, created_at";
        const POSTGRES: &str = "UPDATE pending_signups SET lease_until = $2 \
            WHERE id IN (SELECT id FROM pending_signups WHERE created_at <= $1 \
                           AND (lease_until IS NULL OR lease_until <= $3) ORDER BY created_at LIMIT $4 \
                           FOR UPDATE SKIP LOCKED) \
            RETURNING id, email, name, locale, password_hash, created_at";
        let sql = if self.is_postgres() { POSTGRES } else { SQLITE };
        Ok(on_db!(self, c => sqlx::query_as(sql)
            .bind(answered_before).bind(lease_until).bind(now).bind(limit)
            .fetch_all(c).await)?)
    }
}
