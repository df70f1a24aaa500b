use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, EMAIL_CHANGES_ONE_PENDING, EmailChangeState, OnUnique, on_db};
use crate::error::Error;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailChange {
    pub id: Uuid,
    pub user_id: Uuid,
    pub old_email: String,
    pub old_email_norm: String,
    pub new_email: String,
    pub new_email_norm: String,
    pub session_id: Option<Uuid>,
    pub needs_old: bool,
    pub blocked: bool,
    pub new_confirmed_at: Option<Millis>,
    pub old_confirmed_at: Option<Millis>,
    pub state: EmailChangeState,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub applied_at: Option<Millis>,
}

impl EmailChange {
    /// Every confirmation the change needs is in.
    pub fn confirmed(&self) -> bool {
        self.new_confirmed_at.is_some() && (!self.needs_old || self.old_confirmed_at.is_some())
    }
}

pub struct NewEmailChange<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub old_email: &'a str,
    pub old_email_norm: &'a str,
    pub new_email: &'a str,
    pub new_email_norm: &'a str,
    pub session_id: Uuid,
    pub needs_old: bool,
    pub blocked: bool,
    pub now: Millis,
    pub expires_at: Millis,
}

impl Conn {
    pub async fn insert_email_change(&mut self, c: &NewEmailChange<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO email_changes (id, user_id, old_email, old_email_norm, new_email, new_email_norm, \
                session_id, needs_old, blocked, state, created_at, expires_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11)";
        on_db!(self, db => sqlx::query(SQL)
            .bind(c.id).bind(c.user_id).bind(c.old_email).bind(c.old_email_norm).bind(c.new_email).bind(c.new_email_norm)
            .bind(c.session_id).bind(c.needs_old).bind(c.blocked).bind(c.now).bind(c.expires_at)
            .execute(db).await.map(|r| r.rows_affected()))
            // Another request of the same account inserted its change after this one ended
            // the pending one: run again, and this one supersedes that.
            .on_unique(&EMAIL_CHANGES_ONE_PENDING, Error::RaceLost)?;
        Ok(())
    }

    /// The user's pending change, expired or not.
    pub async fn pending_email_change(
        &mut self,
        user_id: Uuid,
    ) -> Result<Option<EmailChange>, Error> {
        const SQL: &str = "SELECT id, user_id, old_email, old_email_norm, new_email, new_email_norm, session_id, needs_old, blocked, \
                new_confirmed_at, old_confirmed_at, state, created_at, expires_at, applied_at \
            FROM email_changes WHERE user_id = $1 AND state = 'pending'";
        Ok(on_db!(self, db => sqlx::query_as(SQL).bind(user_id).fetch_optional(db).await)?)
    }

    pub async fn email_change(&mut self, id: Uuid) -> Result<Option<EmailChange>, Error> {
        const SQL: &str = "SELECT id, user_id, old_email, old_email_norm, new_email, new_email_norm, session_id, needs_old, blocked, \
                new_confirmed_at, old_confirmed_at, state, created_at, expires_at, applied_at \
            FROM email_changes WHERE id = $1";
        Ok(on_db!(self, db => sqlx::query_as(SQL).bind(id).fetch_optional(db).await)?)
    }

    /// Ends a pending change (`superseded` or `cancelled`) and kills its links.
    pub async fn end_pending_email_change(
        &mut self,
        user_id: Uuid,
        state: EmailChangeState,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE email_changes SET state = $2 WHERE user_id = $1 AND state = 'pending' RETURNING id";
        let ended: Option<Uuid> = on_db!(self, db => sqlx::query_scalar(SQL).bind(user_id).bind(state).fetch_optional(db).await)?;
        if let Some(id) = ended {
            self.invalidate_change_tokens(id, now).await?;
        }
        Ok(ended.is_some())
    }

    /// The account an old address is reserved for, and the address as it was stored: a change
    /// away from it was applied and its revert link is still live (contract §4). Nobody else
    /// may sign up with it or change to it until that link is used or expires.
    pub async fn address_reserved_for(
        &mut self,
        email_norm: &str,
        now: Millis,
    ) -> Result<Option<(Uuid, String)>, Error> {
        const SQL: &str = "SELECT c.user_id, c.old_email FROM email_changes c \
            WHERE c.old_email_norm = $1 AND c.state = 'applied' \
              AND EXISTS (SELECT 1 FROM link_tokens t WHERE t.change_id = c.id AND t.purpose = 'revert_email_change' \
                  AND t.used_at IS NULL AND t.invalidated_at IS NULL AND t.expires_at > $2) \
            ORDER BY c.applied_at DESC LIMIT 1";
        Ok(
            on_db!(self, db => sqlx::query_as(SQL).bind(email_norm).bind(now).fetch_optional(db).await)?,
        )
    }

    pub async fn confirm_new_email(&mut self, id: Uuid, now: Millis) -> Result<(), Error> {
        const SQL: &str =
            "UPDATE email_changes SET new_confirmed_at = $2 WHERE id = $1 AND state = 'pending'";
        on_db!(self, db => sqlx::query(SQL).bind(id).bind(now).execute(db).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn confirm_old_email(&mut self, id: Uuid, now: Millis) -> Result<(), Error> {
        const SQL: &str =
            "UPDATE email_changes SET old_confirmed_at = $2 WHERE id = $1 AND state = 'pending'";
        on_db!(self, db => sqlx::query(SQL).bind(id).bind(now).execute(db).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_email_change_state(
        &mut self,
        id: Uuid,
        state: EmailChangeState,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE email_changes SET state = $2, applied_at = CASE WHEN $4 THEN $3 ELSE applied_at END WHERE id = $1";
        let applied = state == EmailChangeState::Applied;
        on_db!(self, db => sqlx::query(SQL).bind(id).bind(state).bind(now).bind(applied).execute(db).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
