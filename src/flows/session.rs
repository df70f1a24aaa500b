//! Log-in, refresh-token rotation, log-out, and resolving an access token to its user; and the
//! guard on every other check of a signed-in user's password.

use crate::storage::transaction;
use uuid::Uuid;

use super::{Client, Flows};
use crate::{
    domain::{
        access::Subject,
        accounts::User,
        email::EmailAddress,
        ip_hint::ip_hint,
        second_factor::{Amr, Method},
        time::Millis,
        tokens::{RefreshToken, TokenHash},
        webhooks::RevokeReason,
    },
    error::Error,
    storage::NewSession,
};

/// How long after its rotation a refresh token is only refused, not taken as reuse: a second
/// tab that refreshed with the same token at the same moment must not log the user out.
pub const REUSE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What a successful log-in or refresh returns.
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// A check of a signed-in user's password that the log-in limit has counted.
pub(super) struct CountedAttempt<'u> {
    user: &'u User,
}

/// The user an access token stands for, and the session it belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: Uuid,
}

impl Flows {
    /// Counts the attempt against the address's log-in limit for this client, then checks the
    /// password: `email_not_verified` and `account_disabled` are only ever told to someone who
    /// knows it.
    pub async fn login(
        &self,
        email: &EmailAddress,
        password: &str,
        client: &Client,
    ) -> Result<TokenPair, Error> {
        self.limiter.log_in_attempt(client, email).await?;
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
        self.finish_first_factor(&user, Method::Password, client)
            .await
    }

    /// The guard before any check of a signed-in user's password (contract §2): the check
    /// counts as a log-in attempt for the account's address from this client. Its answer is
    /// the only way to `verify_own_password`, so a flow cannot check a password uncounted.
    pub(super) async fn count_password_attempt<'u>(
        &self,
        client: &Client,
        user: &'u User,
    ) -> Result<CountedAttempt<'u>, Error> {
        self.limiter
            .password_check(client, &user.email_address())
            .await?;
        Ok(CountedAttempt { user })
    }

    /// Whether `password` is the user's own, after the attempt was counted.
    pub(super) async fn verify_own_password(
        &self,
        attempt: CountedAttempt<'_>,
        password: &str,
    ) -> Result<(), Error> {
        let stored = attempt.user.password_hash.clone();
        if self.hasher.verify(password, stored).await? {
            Ok(())
        } else {
            Err(Error::InvalidCredentials)
        }
    }

    /// A new session for `user`, signed in by `amr`.
    pub(super) async fn start_session(
        &self,
        user: &User,
        client: &Client,
        amr: &Amr,
    ) -> Result<TokenPair, Error> {
        let session_id = Uuid::now_v7();
        let refresh = RefreshToken::generate(session_id)?;
        let now = self.clock.now();
        let user_agent = client.user_agent.as_deref().map(|ua| truncate(ua, 256));
        let ip_hint = ip_hint(client.ip);
        self.store
            .autocommit()
            .await?
            .insert_session(&NewSession {
                id: session_id,
                user_id: user.id,
                refresh_hash: refresh.hash(),
                user_agent: user_agent.as_deref(),
                ip_hint: &ip_hint,
                amr: &amr.stored(),
                now,
                expires_at: now + self.settings.refresh_ttl,
            })
            .await?;
        let values: Vec<_> = amr.values().collect();
        let subject = Subject {
            user_id: user.id,
            email: &user.email,
            email_verified: user.email_verified,
            amr: &values,
        };
        self.token_pair(&subject, &refresh)
    }

    fn token_pair(
        &self,
        subject: &Subject<'_>,
        refresh: &RefreshToken,
    ) -> Result<TokenPair, Error> {
        Ok(TokenPair {
            access_token: self.access.issue(subject, refresh.session_id())?,
            refresh_token: refresh.text().to_owned(),
            expires_in: self.access.ttl().as_secs(),
        })
    }

    /// Rotates a refresh token. A dead token that this session really issued is reuse: the
    /// session is revoked, unless the token was rotated out moments ago (two tabs refreshing at
    /// once). Anything the session never issued is refused and changes nothing, whatever
    /// session id it names: the id is readable in every access token.
    pub async fn refresh(&self, presented: &str) -> Result<TokenPair, Error> {
        let (session_id, hash) = RefreshToken::parse(presented)?;
        let next = RefreshToken::generate(session_id)?;
        let now = self.clock.now();
        // The common case, the current token of a live session of an enabled, verified
        // account, is one statement: the rotation is conditional on all of that, so of
        // concurrent refreshes with one token exactly one rotates. The token's hash is
        // compared by the database: a SHA-256, whose comparison tells a timing observer
        // nothing about a token (as for the rotated-out hashes, `on_dead_refresh_token`).
        let rotated = self
            .store
            .autocommit()
            .await?
            .rotate_refresh(session_id, hash, next.hash(), now)
            .await?;
        if let Some((user_id, email, amr)) = rotated {
            // Only verified accounts rotate (the statement checks it).
            let amr = Amr::from_stored(&amr);
            let values: Vec<_> = amr.values().collect();
            let subject = Subject {
                user_id,
                email: &email,
                email_verified: true,
                amr: &values,
            };
            return self.token_pair(&subject, &next);
        }
        // Anything else: why not, read without the write lock.
        let mut conn = self.store.read().await?;
        let Some(state) = conn.session_state(session_id).await? else {
            return Err(Error::InvalidRefreshToken);
        };
        if !hash.matches(&state.refresh_hash) {
            // An ended session has nothing left to protect or to hand on.
            if state.revoked_at.is_some() || state.expires_at <= now {
                return Err(Error::InvalidRefreshToken);
            }
            drop(conn);
            return Err(self.on_dead_refresh_token(session_id, hash, now).await?);
        }
        if state.revoked_at.is_some() || state.expires_at <= now {
            return Err(Error::InvalidRefreshToken);
        }
        if state.disabled {
            drop(conn);
            self.end_session(session_id, RevokeReason::Disabled, now)
                .await?;
            return Err(Error::InvalidRefreshToken);
        }
        if !state.email_verified {
            return Err(Error::EmailNotVerified);
        }
        // Its current token, live and in good standing, yet not rotated a moment ago: the
        // session changed in between (a log-out, an expiry); refused like any dead token.
        Err(Error::InvalidRefreshToken)
    }

    /// A token that is not the session's current one: reuse if the session rotated it out
    /// (revoking it after the grace period), a forgery otherwise (nothing happens). Answers
    /// the refusal to give: within the grace the token is `RefreshSuperseded`, so the losing
    /// tab can tell that the session lives on.
    async fn on_dead_refresh_token(
        &self,
        session_id: Uuid,
        hash: TokenHash,
        now: Millis,
    ) -> Result<Error, Error> {
        let rotated_at = self
            .store
            .read()
            .await?
            .rotated_refresh_at(session_id, hash)
            .await?;
        let Some(rotated_at) = rotated_at else {
            return Ok(Error::InvalidRefreshToken);
        };
        if rotated_at.elapsed_at(now) < REUSE_GRACE {
            tracing::info!(session = %session_id, "refresh token presented again right after its rotation: refused, session kept");
            return Ok(Error::RefreshSuperseded);
        }
        if self
            .end_session(session_id, RevokeReason::ReuseDetected, now)
            .await?
        {
            tracing::warn!(session = %session_id, "refresh token reused: revoking the session");
        }
        Ok(Error::InvalidRefreshToken)
    }

    /// Ends a live session with its `session.revoked` event; false if it had ended already.
    async fn end_session(
        &self,
        session_id: Uuid,
        reason: RevokeReason,
        now: Millis,
    ) -> Result<bool, Error> {
        transaction!(self.store, |tx| {
            let Some(user_id) = tx.revoke_session(session_id, now).await? else {
                return Ok(false);
            };
            self.sessions_revoked(tx, user_id, vec![session_id], reason, now)
                .await?;
            Ok(true)
        })
    }

    /// Ends the session a refresh token belongs to, if the session really issued that token
    /// (its current one or one it rotated out). Anything else is fine too and changes nothing:
    /// log-out is idempotent, and a session id alone must not end anyone's session.
    pub async fn logout(&self, presented: &str) -> Result<(), Error> {
        let Ok((session_id, hash)) = RefreshToken::parse(presented) else {
            return Ok(());
        };
        transaction!(self.store, |tx| {
            let Some(state) = tx.session_state(session_id).await? else {
                return Ok(());
            };
            let issued = hash.matches(&state.refresh_hash)
                || tx.rotated_refresh_at(session_id, hash).await?.is_some();
            let now = self.clock.now();
            if issued && let Some(user_id) = tx.revoke_session(session_id, now).await? {
                let reason = RevokeReason::Logout;
                self.sessions_revoked(tx, user_id, vec![session_id], reason, now)
                    .await?;
            }
            Ok(())
        })
    }

    /// The user behind a bearer token. The session is looked up every time, so a revoked
    /// session or a disabled account is refused at once.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, Error> {
        let claims = self.access.verify(bearer)?;
        let user = self
            .store
            .read()
            .await?
            .active_session_user(claims.sid, claims.sub, self.clock.now())
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
#[derive(Debug)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: Millis,
    pub last_used_at: Millis,
    pub user_agent: Option<String>,
    /// Where it began, masked (`203.0.113.x`); none for sessions older than the hint.
    pub ip_hint: Option<String>,
    pub current: bool,
}

impl Flows {
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<SessionView>, Error> {
        let sessions = self
            .store
            .read()
            .await?
            .live_sessions(principal.user.id, self.clock.now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == principal.session_id,
                id: s.id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                user_agent: s.user_agent,
                ip_hint: s.ip_hint,
            })
            .collect())
    }

    /// Ends one of the user's own live sessions; `not_found` for any other id.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: Uuid,
    ) -> Result<(), Error> {
        let user_id = principal.user.id;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if !tx.revoke_user_session(user_id, session_id, now).await? {
                return Err(Error::NotFound);
            }
            self.sessions_revoked(tx, user_id, vec![session_id], RevokeReason::Revoked, now)
                .await
        })
    }

    /// "Sign out everywhere else": ends every live session of the user but this one, in one
    /// statement; returns how many ended.
    pub async fn revoke_other_sessions(&self, principal: &Principal) -> Result<u64, Error> {
        let user_id = principal.user.id;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            let ended = tx
                .revoke_user_sessions(user_id, Some(principal.session_id), now)
                .await?;
            let count = ended.len() as u64;
            self.sessions_revoked(tx, user_id, ended, RevokeReason::Revoked, now)
                .await?;
            Ok(count)
        })
    }
}
