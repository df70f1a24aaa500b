use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, on_db};
use crate::{
    domain::{accounts::User, tokens::TokenHash},
    error::Error,
};

/// A session and its user's state, to explain a refused refresh.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionState {
    pub refresh_hash: Vec<u8>,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
    pub disabled: bool,
    pub email_verified: bool,
}

/// A signed-in user, and the pending email change of the account if there is one (the
/// `change_` columns are all NULL when there is none).
#[derive(Debug, sqlx::FromRow)]
pub struct SessionUserAndChange {
    #[sqlx(flatten)]
    pub user: User,
    pub change_new_email: Option<String>,
    pub change_expires_at: Option<Millis>,
    pub change_new_confirmed_at: Option<Millis>,
    pub change_old_confirmed_at: Option<Millis>,
}

/// A live session as its user sees it.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: Millis,
    pub last_used_at: Millis,
    pub user_agent: Option<String>,
    pub ip_hint: Option<String>,
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub refresh_hash: TokenHash,
    pub user_agent: Option<&'a str>,
    /// The client's address, masked (`domain::ip_hint`).
    pub ip_hint: &'a str,
    /// How it was signed in (`Amr::stored`).
    pub amr: &'a str,
    pub now: Millis,
    pub expires_at: Millis,
}

impl Conn {
    pub async fn insert_session(&mut self, s: &NewSession<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO sessions (id, user_id, refresh_hash, user_agent, created_at, last_used_at, expires_at, amr, ip_hint) \
                           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(s.id).bind(s.user_id).bind(&s.refresh_hash.0[..]).bind(s.user_agent).bind(s.now).bind(s.expires_at).bind(s.amr).bind(s.ip_hint)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces the session's refresh token if `old` is its current one and the session and its
    /// user are in good standing; one statement, so of concurrent rotations exactly one wins. A
    /// trigger keeps the replaced hash in `rotated_refresh_tokens` (migration 0006).
    pub async fn rotate_refresh(
        &mut self,
        session_id: Uuid,
        old: TokenHash,
        new: TokenHash,
        now: Millis,
    ) -> Result<Option<(Uuid, String, String)>, Error> {
        // The address and how the session signed in come back in the same statement: the
        // access token carries them.
        const SQL: &str = "UPDATE sessions SET refresh_hash = $3, last_used_at = $4 \
            WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL AND expires_at > $4 \
              AND EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.disabled = FALSE AND u.email_verified = TRUE) \
            RETURNING user_id, (SELECT u.email FROM users u WHERE u.id = sessions.user_id), amr";
        Ok(on_db!(self, c => sqlx::query_as(SQL)
            .bind(session_id).bind(&old.0[..]).bind(&new.0[..]).bind(now)
            .fetch_optional(c).await)?)
    }

    /// When this session rotated out the token with this hash, if it ever issued it.
    pub async fn rotated_refresh_at(
        &mut self,
        session_id: Uuid,
        hash: TokenHash,
    ) -> Result<Option<Millis>, Error> {
        const SQL: &str =
            "SELECT rotated_at FROM rotated_refresh_tokens WHERE hash = $1 AND session_id = $2";
        Ok(
            on_db!(self, c => sqlx::query_scalar(SQL).bind(&hash.0[..]).bind(session_id).fetch_optional(c).await)?,
        )
    }

    pub async fn session_state(&mut self, session_id: Uuid) -> Result<Option<SessionState>, Error> {
        const SQL: &str = "SELECT s.refresh_hash, s.expires_at, s.revoked_at, u.disabled, u.email_verified \
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(session_id).fetch_optional(c).await)?)
    }

    /// Ends a session not ended yet; answers its user (for the `session.revoked` event), `None`
    /// if it had ended already.
    pub async fn revoke_session(
        &mut self,
        session_id: Uuid,
        now: Millis,
    ) -> Result<Option<Uuid>, Error> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING user_id";
        Ok(
            on_db!(self, c => sqlx::query_scalar(SQL).bind(session_id).bind(now).fetch_optional(c).await)?,
        )
    }

    /// The user behind an access token, if its session is live and the account enabled.
    pub async fn active_session_user(
        &mut self,
        session_id: Uuid,
        user_id: Uuid,
        now: Millis,
    ) -> Result<Option<User>, Error> {
        const SQL: &str = "SELECT u.id, u.email, u.email_norm, u.password_hash, u.name, u.email_verified, u.is_admin, u.disabled, u.created_at, u.updated_at, u.locale \
            FROM sessions s JOIN users u ON u.id = s.user_id \
            WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.disabled = FALSE";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(session_id).bind(user_id).bind(now).fetch_optional(c).await)?,
        )
    }

    /// `active_session_user`, with the user's pending email change (if any) in the same read:
    /// what `GET /me` shows.
    pub async fn active_session_user_and_change(
        &mut self,
        session_id: Uuid,
        user_id: Uuid,
        now: Millis,
    ) -> Result<Option<SessionUserAndChange>, Error> {
        const SQL: &str = "SELECT u.id, u.email, u.email_norm, u.password_hash, u.name, u.email_verified, u.is_admin, u.disabled, u.created_at, u.updated_at, u.locale, \
                c.new_email AS change_new_email, c.expires_at AS change_expires_at, \
                c.new_confirmed_at AS change_new_confirmed_at, c.old_confirmed_at AS change_old_confirmed_at \
            FROM sessions s JOIN users u ON u.id = s.user_id \
            LEFT JOIN email_changes c ON c.user_id = u.id AND c.state = 'pending' \
            WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND u.disabled = FALSE";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(session_id).bind(user_id).bind(now).fetch_optional(c).await)?,
        )
    }

    /// Revokes every live session of a user but `keep`; returns their ids. Sessions past their
    /// time are left alone: they ended already, and no event is owed for them.
    pub async fn revoke_user_sessions(
        &mut self,
        user_id: Uuid,
        keep: Option<Uuid>,
        now: Millis,
    ) -> Result<Vec<Uuid>, Error> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3 AND ($2 IS NULL OR id <> $2) RETURNING id";
        Ok(
            on_db!(self, c => sqlx::query_scalar(SQL).bind(user_id).bind(keep).bind(now).fetch_all(c).await)?,
        )
    }

    pub async fn live_sessions(
        &mut self,
        user_id: Uuid,
        now: Millis,
    ) -> Result<Vec<SessionInfo>, Error> {
        const SQL: &str = "SELECT id, created_at, last_used_at, user_agent, ip_hint FROM sessions             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(user_id).bind(now).fetch_all(c).await)?)
    }

    /// Revokes one live session of this user; false if there is none with that id.
    pub async fn revoke_user_session(
        &mut self,
        user_id: Uuid,
        session_id: Uuid,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3";
        let done = on_db!(self, c => sqlx::query(SQL).bind(session_id).bind(user_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }
}
