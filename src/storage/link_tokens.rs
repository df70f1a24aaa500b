use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, Db, on_db};
use crate::{
    domain::{
        accounts::User,
        tokens::{Purpose, TokenHash},
    },
    error::Error,
};

pub struct NewLinkToken<'a> {
    pub hash: TokenHash,
    pub user_id: Uuid,
    pub purpose: Purpose,
    /// The account's normalized address now; the link dies once the address differs.
    pub account_email: &'a str,
    /// The email change a confirmation or revert link belongs to.
    pub change_id: Option<Uuid>,
    pub now: Millis,
    pub expires_at: Millis,
}

/// A token that was just used: whose it was, and which change it names, if any.
/// An account verified by a link, and whether it already was (then the link verified nothing
/// new: no second `user.verified`, contract §9).
#[derive(Debug, sqlx::FromRow)]
pub struct Verified {
    #[sqlx(flatten)]
    pub user: User,
    pub was_verified: bool,
}

#[derive(Debug, sqlx::FromRow)]
pub struct UsedToken {
    pub user_id: Uuid,
    pub change_id: Option<Uuid>,
}

/// Everything needed to say why a token could not be used.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenState {
    pub purpose: Purpose,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
    pub invalidated_at: Option<Millis>,
    /// Whether the account still has the address the link was made for.
    pub address_current: bool,
}

impl TokenState {
    /// The contract's answer for a token that could not be used (§3, §4).
    pub fn error(state: Option<Self>, purpose: Purpose, now: Millis) -> Error {
        match state {
            Some(s) if s.purpose != purpose => Error::TokenInvalid,
            Some(s) if s.used_at.is_some() => Error::TokenUsed,
            Some(s) if s.invalidated_at.is_some() || !s.address_current => Error::TokenInvalid,
            Some(s) if s.expires_at <= now => Error::TokenExpired,
            // Usable a moment ago and lost a race since: someone else used it.
            Some(_) => Error::TokenUsed,
            None => Error::TokenInvalid,
        }
    }

    /// Whether a use would succeed now (for a check before slow work, like hashing).
    pub fn usable(&self, now: Millis) -> bool {
        self.used_at.is_none()
            && self.invalidated_at.is_none()
            && self.address_current
            && self.expires_at > now
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
}

impl Conn {
    pub async fn insert_link_token(&mut self, t: &NewLinkToken<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO link_tokens (hash, user_id, purpose, account_email, change_id, created_at, expires_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(&t.hash.0[..]).bind(t.user_id).bind(t.purpose).bind(t.account_email).bind(t.change_id)
            .bind(t.now).bind(t.expires_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Uses a token in one conditional update, so that of concurrent uses exactly one wins. The
    /// token must be unused, not superseded, not expired, of this purpose, and its account must
    /// still have the address it was made for, except a revert link: it outlives later changes
    /// of the address, so that an attacker who changes it twice cannot shut the owner out.
    pub async fn try_use_link_token(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: Millis,
    ) -> Result<Option<UsedToken>, Error> {
        const SQL: &str = "UPDATE link_tokens SET used_at = $3 \
            WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > $3 \
              AND (purpose = 'revert_email_change' \
                   OR EXISTS (SELECT 1 FROM users u WHERE u.id = link_tokens.user_id AND u.email_norm = link_tokens.account_email)) \
            RETURNING user_id, change_id";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).bind(purpose).bind(now).fetch_optional(c).await)?,
        )
    }

    /// Uses a token, or says why it cannot be used (`token_invalid`, `token_used`,
    /// `token_expired`).
    pub async fn use_link_token(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: Millis,
    ) -> Result<UsedToken, Error> {
        match self.try_use_link_token(hash, purpose, now).await? {
            Some(used) => Ok(used),
            None => Err(self.why_unusable(hash, purpose, now).await?),
        }
    }

    /// Like `use_link_token`, and in the same statement makes every other live token of its
    /// user for the purpose unusable (a verification link, once used, stops the account's other
    /// ones): one statement instead of two inside the writer's transaction.
    pub async fn use_link_token_superseding(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: Millis,
    ) -> Result<UsedToken, Error> {
        const SQL: &str = "UPDATE link_tokens \
            SET used_at = CASE WHEN hash = $1 THEN $3 ELSE used_at END, \
                invalidated_at = CASE WHEN hash = $1 THEN invalidated_at ELSE $3 END \
            WHERE purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL \
              AND user_id = (SELECT t.user_id FROM link_tokens t \
                  WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.invalidated_at IS NULL \
                    AND t.expires_at > $3 \
                    AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.email_norm = t.account_email)) \
            RETURNING hash, user_id, change_id";
        let rows: Vec<(Vec<u8>, Uuid, Option<Uuid>)> = on_db!(self, c => sqlx::query_as(SQL)
            .bind(&hash.0[..]).bind(purpose).bind(now)
            .fetch_all(c).await)?;
        match rows.into_iter().find(|(h, _, _)| h[..] == hash.0[..]) {
            Some((_, user_id, change_id)) => Ok(UsedToken { user_id, change_id }),
            None => Err(self.why_unusable(hash, purpose, now).await?),
        }
    }

    /// Uses a verification link as `use_link_token_superseding` does and marks its account's
    /// address verified, returning the account as it now is (`None` if the account is gone).
    /// On PostgreSQL that is one statement (the token update as a data-modifying CTE): every
    /// statement is a round trip to the database, and the verification ran at three inside its
    /// transaction (measured in issue 8). SQLite has no data-modifying CTEs: two statements there.
    pub async fn use_verification_link(
        &mut self,
        hash: TokenHash,
        now: Millis,
    ) -> Result<Option<Verified>, Error> {
        const SQL: &str = "WITH used AS (UPDATE link_tokens \
            SET used_at = CASE WHEN hash = $1 THEN $3 ELSE used_at END, \
                invalidated_at = CASE WHEN hash = $1 THEN invalidated_at ELSE $3 END \
            WHERE purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL \
              AND user_id = (SELECT t.user_id FROM link_tokens t \
                  WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.invalidated_at IS NULL \
                    AND t.expires_at > $3 \
                    AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.email_norm = t.account_email)) \
            RETURNING hash, user_id) \
            UPDATE users SET email_verified = TRUE, updated_at = $3 \
            FROM users AS before \
            WHERE users.id = (SELECT user_id FROM used WHERE hash = $1) AND before.id = users.id \
            RETURNING users.id, users.email, users.email_norm, users.password_hash, users.name, users.email_verified, \
                users.is_admin, users.disabled, users.created_at, users.updated_at, users.locale, \
                before.email_verified AS was_verified";
        let purpose = Purpose::VerifyEmail;
        match self.db() {
            Db::Postgres(c) => {
                let user: Option<Verified> = sqlx::query_as(SQL)
                    .bind(&hash.0[..])
                    .bind(purpose)
                    .bind(now)
                    .fetch_optional(c)
                    .await?;
                match user {
                    Some(user) => Ok(Some(user)),
                    None => Err(self.why_unusable(hash, purpose, now).await?),
                }
            }
            Db::Sqlite(_) => {
                let used = self.use_link_token_superseding(hash, purpose, now).await?;
                // The update finds the account unverified, or it was verified already (then
                // it is read as it is; the single writer: nothing changes it in between). The
                // common case is one statement: each is a round trip to SQLite's thread.
                if let Some(user) = self.verify_user_email(used.user_id, now).await? {
                    return Ok(Some(Verified {
                        user,
                        was_verified: false,
                    }));
                }
                Ok(self.user_by_id(used.user_id).await?.map(|user| Verified {
                    user,
                    was_verified: true,
                }))
            }
        }
    }

    /// Why a token could not be used just now.
    async fn why_unusable(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: Millis,
    ) -> Result<Error, Error> {
        let state = self.link_token_state(hash).await?;
        Ok(TokenState::error(state, purpose, now))
    }

    /// The purpose and email change of a link that could be used now, without using it (the
    /// page a confirmation link opens names the addresses before its button is pressed).
    pub async fn usable_change_link(
        &mut self,
        hash: TokenHash,
        now: Millis,
    ) -> Result<Option<(Purpose, Uuid)>, Error> {
        const SQL: &str = "SELECT purpose, change_id FROM link_tokens \
            WHERE hash = $1 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > $2 AND change_id IS NOT NULL";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).bind(now).fetch_optional(c).await)?,
        )
    }

    pub async fn link_token_state(&mut self, hash: TokenHash) -> Result<Option<TokenState>, Error> {
        const SQL: &str = "SELECT t.purpose, t.expires_at, t.used_at, t.invalidated_at, \
                (u.email_norm IS NOT NULL AND (t.purpose = 'revert_email_change' OR u.email_norm = t.account_email)) AS address_current \
            FROM link_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).fetch_optional(c).await)?)
    }

    /// Makes every live token of a user for a purpose unusable (a later event superseded them).
    pub async fn invalidate_link_tokens(
        &mut self,
        user_id: Uuid,
        purpose: Purpose,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE link_tokens SET invalidated_at = $3 \
            WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL";
        on_db!(self, c => sqlx::query(SQL).bind(user_id).bind(purpose).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Makes the live revert links of changes applied after `applied_at` unusable: once the
    /// owner reverts, the later changes (an attacker's) cannot be reverted back.
    pub async fn invalidate_later_revert_links(
        &mut self,
        user_id: Uuid,
        applied_at: Millis,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE link_tokens SET invalidated_at = $3 \
            WHERE purpose = 'revert_email_change' AND used_at IS NULL AND invalidated_at IS NULL \
              AND change_id IN (SELECT id FROM email_changes WHERE user_id = $1 AND applied_at >= $2)";
        on_db!(self, c => sqlx::query(SQL).bind(user_id).bind(applied_at).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Makes the live links of an email change unusable (superseded or cancelled).
    pub async fn invalidate_change_tokens(
        &mut self,
        change_id: Uuid,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE link_tokens SET invalidated_at = $2 \
            WHERE change_id = $1 AND used_at IS NULL AND invalidated_at IS NULL";
        on_db!(self, c => sqlx::query(SQL).bind(change_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
