use uuid::Uuid;

use super::{Conn, on_db};
use crate::{
    domain::tokens::{Purpose, TokenHash},
    error::Error,
};

/// A token that was just used: whose it was and where it had been sent.
#[derive(Debug, sqlx::FromRow)]
pub struct ConsumedToken {
    pub user_id: Uuid,
    pub sent_to: String,
}

/// Everything needed to say why a token could not be used.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenState {
    pub purpose: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub invalidated_at: Option<i64>,
    /// Whether the account still has the address the link was sent to.
    pub address_current: bool,
}

impl TokenState {
    /// The contract's answer for a token that could not be used (§3, §4).
    pub fn error(state: Option<Self>, purpose: Purpose, now: i64) -> Error {
        match state {
            Some(s) if s.purpose != purpose.as_str() => Error::TokenInvalid,
            Some(s) if s.used_at.is_some() => Error::TokenUsed,
            Some(s) if s.invalidated_at.is_some() || !s.address_current => Error::TokenInvalid,
            Some(s) if s.expires_at <= now => Error::TokenExpired,
            // Usable a moment ago and lost a race since: someone else used it.
            Some(_) => Error::TokenUsed,
            None => Error::TokenInvalid,
        }
    }
}

impl Conn {
    pub async fn insert_link_token(
        &mut self,
        hash: TokenHash,
        user_id: Uuid,
        purpose: Purpose,
        sent_to: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO link_tokens (hash, user_id, purpose, sent_to, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(&hash.0[..]).bind(user_id).bind(purpose.as_str()).bind(sent_to).bind(now).bind(expires_at)
            .execute(c).await)?;
        Ok(())
    }

    /// Uses a token in one conditional update, so that of concurrent uses exactly one wins. The
    /// token must be unused, not superseded, not expired, of this purpose, and its account must
    /// still have the address it was sent to.
    pub async fn consume_link_token(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: i64,
    ) -> Result<Option<ConsumedToken>, Error> {
        const SQL: &str = "UPDATE link_tokens SET used_at = $3 \
            WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > $3 \
              AND EXISTS (SELECT 1 FROM users u WHERE u.id = link_tokens.user_id AND u.email_norm = link_tokens.sent_to) \
            RETURNING user_id, sent_to";
        Ok(
            on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).bind(purpose.as_str()).bind(now).fetch_optional(c).await)?,
        )
    }

    /// Uses a token as `consume_link_token` does and, in the same statement, makes every other
    /// live token of its user for the purpose unusable (a verification link, once used, stops
    /// the account's other ones). One statement instead of two inside the writer's transaction.
    pub async fn consume_link_token_superseding(
        &mut self,
        hash: TokenHash,
        purpose: Purpose,
        now: i64,
    ) -> Result<Option<ConsumedToken>, Error> {
        const SQL: &str = "UPDATE link_tokens \
            SET used_at = CASE WHEN hash = $1 THEN $3 ELSE used_at END, \
                invalidated_at = CASE WHEN hash = $1 THEN invalidated_at ELSE $3 END \
            WHERE purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL \
              AND user_id = (SELECT t.user_id FROM link_tokens t \
                  WHERE t.hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.invalidated_at IS NULL \
                    AND t.expires_at > $3 \
                    AND EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.email_norm = t.sent_to)) \
            RETURNING hash, user_id, sent_to";
        let rows: Vec<(Vec<u8>, Uuid, String)> = on_db!(self, c => sqlx::query_as(SQL)
            .bind(&hash.0[..]).bind(purpose.as_str()).bind(now)
            .fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .find(|(h, _, _)| h[..] == hash.0[..])
            .map(|(_, user_id, sent_to)| ConsumedToken { user_id, sent_to }))
    }

    pub async fn link_token_state(&mut self, hash: TokenHash) -> Result<Option<TokenState>, Error> {
        const SQL: &str = "SELECT t.purpose, t.expires_at, t.used_at, t.invalidated_at, \
                (u.email_norm IS NOT NULL AND u.email_norm = t.sent_to) AS address_current \
            FROM link_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(&hash.0[..]).fetch_optional(c).await)?)
    }

    /// Makes every live token of a user for a purpose unusable (a later event superseded them).
    pub async fn invalidate_link_tokens(
        &mut self,
        user_id: Uuid,
        purpose: Purpose,
        now: i64,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE link_tokens SET invalidated_at = $3 \
            WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND invalidated_at IS NULL";
        on_db!(self, c => sqlx::query(SQL).bind(user_id).bind(purpose.as_str()).bind(now).execute(c).await)?;
        Ok(())
    }
}
