//! Queries for the operator surface: user and outbox listings, admin changes, dev seed.

use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, OutboxKind, OutboxStatus, on_db};
use crate::{
    domain::{accounts::User, email::EmailAddress},
    error::Error,
};

/// An outbox message as operators see it: never its payload or link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub kind: OutboxKind,
    pub recipient: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub next_attempt_at: Millis,
    pub sent_at: Option<Millis>,
}

/// Changes an admin may make; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct UserChanges<'a> {
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    pub is_admin: Option<bool>,
    /// `Some(None)` removes the name.
    pub name: Option<Option<&'a str>>,
}

impl Conn {
    /// Newest first. `pattern` is a `LIKE` pattern on the address or the lower-cased name;
    /// `before` is the id of the last user of the previous page.
    pub async fn list_users(
        &mut self,
        pattern: Option<&str>,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<User>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale \
            FROM users \
            WHERE ($1 IS NULL OR email_norm LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\') \
              AND ($2 IS NULL OR id < $2) \
            ORDER BY id DESC LIMIT $3";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(pattern).bind(before).bind(limit).fetch_all(c).await)?,
        )
    }

    /// Applies the changes; false when there is no such user.
    pub async fn change_user(
        &mut self,
        id: Uuid,
        changes: &UserChanges<'_>,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE users SET email_verified = COALESCE($2, email_verified), \
                disabled = COALESCE($3, disabled), is_admin = COALESCE($4, is_admin), \
                name = CASE WHEN $5 THEN $6 ELSE name END, updated_at = $7 \
            WHERE id = $1";
        let done = on_db!(self, c => sqlx::query(SQL)
            .bind(id).bind(changes.email_verified).bind(changes.disabled).bind(changes.is_admin)
            .bind(changes.name.is_some()).bind(changes.name.flatten()).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// Admins who can act: enabled, with a verified address. In the transaction that removed
    /// one, after the write: on PostgreSQL (SERIALIZABLE) two transactions that each remove one
    /// of the last two cannot both commit (one is run again and sees the other's write); on
    /// SQLite the writer is single.
    pub async fn count_active_admins(&mut self) -> Result<i64, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM users \
            WHERE is_admin = TRUE AND disabled = FALSE AND email_verified = TRUE";
        Ok(on_db!(self, c => sqlx::query_scalar(SQL).fetch_one(c).await)?)
    }

    /// Newest first, optionally of one status; `before` is the last id of the previous page.
    pub async fn list_outbox(
        &mut self,
        status: Option<OutboxStatus>,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OutboxEntry>, Error> {
        const SQL: &str = "SELECT id, kind, recipient, status, attempts, last_error, created_at, next_attempt_at, sent_at \
            FROM outbox WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR id < $2) \
            ORDER BY id DESC LIMIT $3";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(status).bind(before).bind(limit).fetch_all(c).await)?,
        )
    }

    /// Messages per status (statuses with none are absent).
    pub async fn outbox_counts(&mut self) -> Result<Vec<(OutboxStatus, i64)>, Error> {
        const SQL: &str = "SELECT status, COUNT(*) FROM outbox GROUP BY status";
        Ok(on_db!(self, c => sqlx::query_as(SQL).fetch_all(c).await)?)
    }

    pub async fn mark_seed_user(&mut self, user_id: Uuid) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO dev_seed_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING";
        on_db!(self, c => sqlx::query(SQL).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn is_seed_user(&mut self, user_id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM dev_seed_users WHERE user_id = $1";
        let n: i64 = on_db!(self, c => sqlx::query_scalar(SQL).bind(user_id).fetch_one(c).await)?;
        Ok(n > 0)
    }

    /// Users that `dev seed` did not make.
    /// Users `dev seed` did not make, not counting the admin at `first_admin` (the configured
    /// `LATCHKEY_FIRST_ADMIN_EMAIL`, which a local stack creates at start).
    pub async fn count_other_than_seed_users(
        &mut self,
        first_admin: Option<&EmailAddress>,
    ) -> Result<i64, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM users WHERE id NOT IN (SELECT user_id FROM dev_seed_users) \
            AND NOT (is_admin AND email_norm = COALESCE($1, ''))";
        let first_admin = first_admin.map(EmailAddress::normalized);
        Ok(on_db!(self, c => sqlx::query_scalar(SQL).bind(first_admin).fetch_one(c).await)?)
    }

    /// A new password for a seed user on a second `dev seed` (only seed users are touched).
    pub async fn reset_seed_user(
        &mut self,
        user_id: Uuid,
        password_hash: &str,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET password_hash = $2, email_verified = TRUE, disabled = FALSE, updated_at = $3 \
            WHERE id = $1 AND id IN (SELECT user_id FROM dev_seed_users)";
        on_db!(self, c => sqlx::query(SQL).bind(user_id).bind(password_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
