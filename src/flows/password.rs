//! Forgotten passwords, resets, and changing the password while signed in (contract §4).

use crate::storage::transaction;
use std::sync::Arc;

use super::{Client, Flows, Principal, code_error};
use crate::{
    domain::{
        accounts::User,
        codes::OneTimeCode,
        email::EmailAddress,
        invalid::Invalid,
        password::NewPassword,
        time::Millis,
        tokens::{LinkToken, Purpose},
        webhooks::{Event, RevokeReason},
    },
    error::Error,
    mail::{
        EmailKind,
        outbox::OutgoingEmail,
        values::{EmailReverted, EmailValues, PasswordChanged, PasswordReset},
    },
    storage::{Conn, EmailChangeState, TokenState},
};

impl Flows {
    /// Sends a reset link if the address has an (enabled) account; the answer is the same
    /// either way, and so is its time: the lookup and everything an account causes (a token,
    /// an outbox row) happen after the answer, in a task of their own. Nothing about the
    /// account changes, so an email lost to a crash in that moment is one the user asks again.
    pub async fn forgot_password(self: &Arc<Self>, email: &EmailAddress) -> Result<(), Error> {
        let (flows, email) = (Arc::clone(self), email.clone());
        self.after_answer("password reset: the link was not queued", async move {
            flows.send_reset_link(&email).await
        });
        Ok(())
    }

    /// `forgot_password`'s work. Several reset links may be live at once.
    ///
    /// The cooldown is taken for every address alike, with or without an account, so that
    /// within it the work after the answer is the same write for every address: a request
    /// sent right after this one finds the database and the processor equally busy (issue 17:
    /// it was slower after a `forgot` for an account).
    pub async fn send_reset_link(&self, email: &EmailAddress) -> Result<(), Error> {
        let user = self.account_at(email).await?;
        let user = user.filter(|u| !u.disabled);
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if self
                .take_cooldown(tx, EmailKind::PasswordReset, email, now)
                .await?
                && let Some(user) = &user
            {
                self.enqueue_reset_link(tx, user, None, now).await?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// A reset link to the account's address: in a `password_reset` email, or after a revert
    /// (`reverted_from`: the address the account had) in the `email_reverted` notice.
    pub(super) async fn enqueue_reset_link(
        &self,
        tx: &mut Conn,
        user: &User,
        reverted_from: Option<String>,
        now: Millis,
    ) -> Result<(), Error> {
        // The reset email proper carries a code beside its link; the notice after a revert
        // carries the link alone, and leaves the newest code as it was.
        let values = match reverted_from {
            None => {
                let (link, code) = self
                    .new_link_with_code(tx, Purpose::ResetPassword, user.id, &user.email_norm, now)
                    .await?;
                EmailValues::PasswordReset(PasswordReset { link, code })
            }
            Some(new_email) => {
                let link = self
                    .new_link(
                        tx,
                        Purpose::ResetPassword,
                        user.id,
                        &user.email_norm,
                        None,
                        now,
                    )
                    .await?;
                EmailValues::EmailReverted(EmailReverted { new_email, link })
            }
        };
        let to = user.email_address();
        let email = OutgoingEmail {
            to: &to,
            name: user.name.as_deref(),
            locale: user.locale_or(self.settings.default_locale),
            values,
        };
        self.outbox.enqueue(tx, email, now).await
    }

    /// Whether a reset link can still be used, without using it: the page it opens says so
    /// before anyone types a new password.
    pub async fn check_reset_link(&self, token: &str) -> Result<(), Error> {
        let hash = LinkToken::hash_presented(token)?;
        let now = self.clock.now();
        let state = self.store.read().await?.link_token_state(hash).await?;
        if state
            .as_ref()
            .is_some_and(|s| s.purpose() == Purpose::ResetPassword && s.usable(now))
        {
            Ok(())
        } else {
            Err(TokenState::error(state, Purpose::ResetPassword, now))
        }
    }

    /// The reset link sent when a contested address is verified (contract §4), in a
    /// `password_reset` email (no cooldown: one per verification); returns its token, which
    /// the verification page uses at once to ask for the new password.
    pub(super) async fn enqueue_contested_reset(
        &self,
        tx: &mut Conn,
        user: &User,
        now: Millis,
    ) -> Result<String, Error> {
        let (link, code, token) = self
            .new_link_with_code_token(tx, Purpose::ResetPassword, user.id, &user.email_norm, now)
            .await?;
        let to = user.email_address();
        let email = OutgoingEmail {
            to: &to,
            name: user.name.as_deref(),
            locale: user.locale_or(self.settings.default_locale),
            values: EmailValues::PasswordReset(PasswordReset { link, code }),
        };
        self.outbox.enqueue(tx, email, now).await?;
        Ok(token.text().to_owned())
    }

    /// Sets a new password with a reset link. A weak password is refused before the link is
    /// used, so it stays usable. The reset revokes every session, kills every other reset link,
    /// verifies the address (the link proved the mailbox), and logs nobody in.
    pub async fn reset_password(&self, token: &str, new_password: String) -> Result<(), Error> {
        let hash = LinkToken::hash_presented(token)?;
        let now = self.clock.now();
        // Tell about a dead link before asking for a better password.
        let state = self.store.read().await?.link_token_state(hash).await?;
        if !state
            .as_ref()
            .is_some_and(|s| s.purpose() == Purpose::ResetPassword && s.usable(now))
        {
            return Err(TokenState::error(state, Purpose::ResetPassword, now));
        }
        let password = NewPassword::parse(new_password).map_err(Invalid::replacement_password)?;
        let password_hash = self.hasher.hash(&password).await?;

        transaction!(self.store, |tx| {
            let now = self.clock.now();
            let used = tx.use_link_token(hash, Purpose::ResetPassword, now).await?;
            self.finish_reset(tx, used.user_id, &password_hash, Error::TokenInvalid, now)
                .await
        })?;
        Ok(())
    }

    /// Sets a new password with the code from the reset email, typed with the address: exactly
    /// what its link does (sessions revoked, other links dead, address verified), and it uses
    /// that link. Every failure of the code is `code_invalid`; a weak password is refused first
    /// and spends no try.
    pub async fn reset_password_by_code(
        &self,
        email: &EmailAddress,
        code: &str,
        new_password: String,
    ) -> Result<(), Error> {
        let code = OneTimeCode::parse(code)?;
        let password = NewPassword::parse(new_password).map_err(Invalid::replacement_password)?;
        // Hashed for every address alike, before the code is looked at: the time taken does
        // not tell whether the address has an account.
        let password_hash = self.hasher.hash(&password).await?;
        let reset = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let Some(link) = self
                .try_code(tx, email, Purpose::ResetPassword, &code)
                .await?
            else {
                // Committed: the wrong code counts.
                return Ok(false);
            };
            let used = tx
                .use_link_token(link, Purpose::ResetPassword, now)
                .await
                .map_err(code_error)?;
            self.finish_reset(tx, used.user_id, &password_hash, Error::CodeInvalid, now)
                .await?;
            Ok(true)
        })?;
        if !reset {
            return Err(Error::CodeInvalid);
        }
        Ok(())
    }

    /// After a reset link was used in `tx`, by its token or its code: the one way a reset ends.
    async fn finish_reset(
        &self,
        tx: &mut Conn,
        user_id: uuid::Uuid,
        password_hash: &str,
        gone: Error,
        now: Millis,
    ) -> Result<(), Error> {
        let user = tx.user_by_id(user_id).await?.ok_or(gone)?;
        tx.set_password(user.id, password_hash, now).await?;
        // The new password is the mailbox owner's: a contest of the address is settled.
        tx.take_contested(user.id).await?;
        if !user.email_verified {
            tx.set_email_verified(user.id, now).await?;
            let verified = Event::Verified {
                user_id: user.id,
                email: user.email.clone(),
            };
            self.enqueue_event(tx, verified, now).await?;
        }
        let ended = tx.revoke_user_sessions(user.id, None, now).await?;
        self.sessions_revoked(tx, user.id, ended, RevokeReason::PasswordReset, now)
            .await?;
        // Whoever knew the old password may have started an email change: it goes too.
        tx.end_pending_email_change(user.id, EmailChangeState::Cancelled, now)
            .await?;
        self.after_password_change(tx, &user, now).await
    }

    /// Changes the password of the signed-in user. Their other sessions end; this one stays.
    pub async fn change_password(
        &self,
        principal: &Principal,
        client: &Client,
        current: &str,
        new_password: String,
    ) -> Result<(), Error> {
        let attempt = self.count_password_attempt(client, &principal.user).await?;
        let password = NewPassword::parse(new_password).map_err(Invalid::replacement_password)?;
        self.verify_own_password(attempt, current).await?;
        let password_hash = self.hasher.hash(&password).await?;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            tx.set_password(principal.user.id, &password_hash, now)
                .await?;
            let ended = tx
                .revoke_user_sessions(principal.user.id, Some(principal.session_id), now)
                .await?;
            let reason = RevokeReason::PasswordReset;
            self.sessions_revoked(tx, principal.user.id, ended, reason, now)
                .await?;
            self.after_password_change(tx, &principal.user, now).await?;
            Ok(())
        })?;
        Ok(())
    }

    /// Whatever route changed the password: outstanding reset links die and the owner is told.
    async fn after_password_change(
        &self,
        tx: &mut Conn,
        user: &User,
        now: Millis,
    ) -> Result<(), Error> {
        tx.invalidate_link_tokens(user.id, Purpose::ResetPassword, now)
            .await?;
        self.enqueue_event(tx, Event::PasswordChanged { user_id: user.id }, now)
            .await?;
        let to = user.email_address();
        let notice = OutgoingEmail {
            to: &to,
            name: user.name.as_deref(),
            locale: user.locale_or(self.settings.default_locale),
            values: EmailValues::PasswordChanged(PasswordChanged {
                forgot_url: self.page("forgot-password"),
            }),
        };
        self.outbox.enqueue(tx, notice, now).await
    }
}
