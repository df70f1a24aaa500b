//! Log-in, refresh-token rotation, log-out, and resolving an access token to its user.

use uuid::Uuid;

use super::Flows;
use crate::{
    domain::{accounts::User, email::EmailAddress, tokens::RefreshToken},
    error::Error,
    storage::{NewSession, ms, now_ms},
};

/// What a successful log-in or refresh returns.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// The user an access token stands for, and the session it belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: Uuid,
}

impl Flows {
    /// Checks the password first: `email_not_verified` and `account_disabled` are only ever
    /// told to someone who knows it.
    pub async fn login(
        &self,
        email: &EmailAddress,
        password: &str,
        user_agent: Option<&str>,
    ) -> Result<TokenPair, Error> {
        let user = self.account_at(email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if !self.hasher.verify(password, stored).await? {
            return Err(Error::InvalidCredentials);
        }
        let user = user.ok_or(Error::InvalidCredentials)?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        if !user.email_verified {
            return Err(Error::EmailNotVerified);
        }
        self.start_session(&user, user_agent).await
    }

    async fn start_session(
        &self,
        user: &User,
        user_agent: Option<&str>,
    ) -> Result<TokenPair, Error> {
        let session_id = Uuid::now_v7();
        let refresh = RefreshToken::generate(session_id)?;
        let now = now_ms();
        let user_agent = user_agent.map(|ua| truncate(ua, 256));
        self.store
            .writer()
            .await?
            .insert_session(&NewSession {
                id: session_id,
                user_id: user.id,
                refresh_hash: refresh.hash(),
                user_agent: user_agent.as_deref(),
                now,
                expires_at: now + ms(self.settings.refresh_ttl),
            })
            .await?;
        self.token_pair(user.id, &refresh)
    }

    fn token_pair(&self, user_id: Uuid, refresh: &RefreshToken) -> Result<TokenPair, Error> {
        Ok(TokenPair {
            access_token: self.access.issue(user_id, refresh.session_id())?,
            refresh_token: refresh.text().to_owned(),
            expires_in: self.access.ttl().as_secs(),
        })
    }

    /// Rotates a refresh token. A token that is no longer the session's current one has been
    /// used before: whoever holds it, the session is revoked.
    pub async fn refresh(&self, presented: &str) -> Result<TokenPair, Error> {
        let (session_id, hash) = RefreshToken::parse(presented)?;
        let next = RefreshToken::generate(session_id)?;
        let now = now_ms();
        let mut conn = self.store.writer().await?;
        if let Some(user_id) = conn
            .rotate_refresh(session_id, hash, next.hash(), now)
            .await?
        {
            return self.token_pair(user_id, &next);
        }
        let Some(state) = conn.session_state(session_id).await? else {
            return Err(Error::InvalidRefreshToken);
        };
        if state.revoked_at.is_some() || state.expires_at <= now {
            return Err(Error::InvalidRefreshToken);
        }
        if state.refresh_hash != hash.0 {
            tracing::warn!(session = %session_id, "refresh token reused: revoking the session");
            conn.revoke_session(session_id, now).await?;
            return Err(Error::InvalidRefreshToken);
        }
        if state.disabled {
            conn.revoke_session(session_id, now).await?;
            return Err(Error::InvalidRefreshToken);
        }
        Err(Error::EmailNotVerified)
    }

    /// Ends the session a refresh token belongs to. Unknown tokens are fine: log-out is
    /// idempotent.
    pub async fn logout(&self, presented: &str) -> Result<(), Error> {
        let Ok((session_id, _)) = RefreshToken::parse(presented) else {
            return Ok(());
        };
        // The current token ends its session; a dead one is reuse, which ends it too. The
        // session id alone is known only to holders of its access tokens, who may end it anyway.
        self.store
            .writer()
            .await?
            .revoke_session(session_id, now_ms())
            .await?;
        Ok(())
    }

    /// The user behind a bearer token. The session is looked up every time, so a revoked
    /// session or a disabled account is refused at once.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, Error> {
        let claims = self.access.verify(bearer)?;
        let user = self
            .store
            .read()
            .await?
            .active_session_user(claims.sid, claims.sub, now_ms())
            .await?
            .ok_or(Error::Unauthorized)?;
        Ok(Principal {
            user,
            session_id: claims.sid,
        })
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

/// A live session as `GET /me/sessions` shows it.
#[derive(Debug, serde::Serialize)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: String,
    pub last_used_at: String,
    pub user_agent: Option<String>,
    pub current: bool,
}

impl Flows {
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>, Error> {
        let sessions = self
            .store
            .read()
            .await?
            .live_sessions(principal.user.id, now_ms())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == principal.session_id,
                id: s.id,
                created_at: crate::http::rfc3339(s.created_at),
                last_used_at: crate::http::rfc3339(s.last_used_at),
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Ends one of the user's own live sessions; `not_found` for any other id.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: Uuid,
    ) -> Result<(), Error> {
        let revoked = self
            .store
            .writer()
            .await?
            .revoke_user_session(principal.user.id, session_id, now_ms())
            .await?;
        if revoked {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
