//! Changing the email address (contract §4): nothing changes until every required confirmation
//! is in; each link applies only the change it was sent for; the old address is told and can
//! revert. Pending changes are rows in the database, never cache entries.

use crate::storage::transaction;
use uuid::Uuid;

use super::{Client, Flows, Principal};
use crate::{
    domain::{
        email::EmailAddress,
        time::Millis,
        tokens::{LinkToken, Purpose},
        webhooks::{Event, RevokeReason},
    },
    error::Error,
    mail::{
        EmailKind,
        outbox::OutgoingEmail,
        values::{EmailChangeAttempt, EmailChangeConfirm, EmailChanged, EmailValues},
    },
    storage::{Conn, EmailChange, EmailChangeState, NewEmailChange, TokenState},
};

/// What a confirmation did.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Changed(EmailAddress),
    AwaitingOtherConfirmation,
}

/// What a live confirmation link of an email change is about, for the page it opens.
#[derive(Debug)]
pub struct ChangeLink {
    /// Sent to the current (old) address, rather than to the new one.
    pub to_old: bool,
    pub old_email: String,
    pub new_email: String,
}

/// `pending_email` of `GET /me`.
#[derive(Debug)]
pub struct PendingEmail {
    pub email: String,
    pub expires_at: Millis,
    pub new_confirmed: bool,
    pub old_confirmed: bool,
}

impl Flows {
    /// Starts a change of the signed-in user's address. The answer is the same whether or not
    /// the new address is free; when it is taken, its owner is told and the change can never
    /// apply. A new request replaces a pending one and kills its links.
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        client: &Client,
        password: &str,
        new_email: &EmailAddress,
    ) -> Result<(), Error> {
        let user = &principal.user;
        let attempt = self.count_password_attempt(client, user).await?;
        if new_email.normalized() == user.email_norm {
            return Err(Error::SameEmail);
        }
        self.verify_own_password(attempt, password).await?;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            tx.end_pending_email_change(user.id, EmailChangeState::Superseded, now)
                .await?;
            // Taken: another account has the address, or it is reserved for another account
            // until that account's revert link expires. Either way the owner is told, at the
            // address stored for them, never at the address as typed here, and in their language.
            let default = self.settings.default_locale;
            let owner = match tx.user_by_email(new_email.normalized()).await? {
                Some(owner) => Some((owner.email.clone(), owner.locale_or(default))),
                None => match tx
                    .address_reserved_for(new_email.normalized(), now)
                    .await?
                    .filter(|(owner, _)| *owner != user.id)
                {
                    Some((owner_id, stored)) => {
                        let locale = tx
                            .user_by_id(owner_id)
                            .await?
                            .map_or(default, |u| u.locale_or(default));
                        Some((stored, locale))
                    }
                    None => None,
                },
            };
            let taken = owner.is_some();
            // The requester's language, also for the confirmation to the new address (which has
            // no account of its own).
            let locale = user.locale_or(default);
            let change_id = Uuid::now_v7();
            let needs_old = self.settings.email_change_confirm_old;
            tx.insert_email_change(&NewEmailChange {
                id: change_id,
                user_id: user.id,
                old_email: &user.email,
                old_email_norm: &user.email_norm,
                new_email: new_email.as_str(),
                new_email_norm: new_email.normalized(),
                session_id: principal.session_id,
                needs_old,
                blocked: taken,
                now,
                expires_at: now + self.settings.email_change_ttl,
            })
            .await?;

            let old_email = user.email_address();
            if let Some((owner_address, owner_locale)) = owner {
                // Only a notice, under the cooldown: anyone signed in could otherwise mail an
                // address's owner over and over.
                let owner_address = EmailAddress::from_stored(owner_address);
                let notice = OutgoingEmail {
                    to: &owner_address,
                    name: None,
                    // Written to the address's owner, in their language.
                    locale: owner_locale,
                    values: EmailValues::EmailChangeAttempt(EmailChangeAttempt {
                        old_email: user.email.clone(),
                        new_email: new_email.as_str().to_owned(),
                        login_url: self.page("login"),
                    }),
                };
                self.enqueue_with_cooldown(tx, notice, now).await?;
            } else if self
                .take_cooldown(tx, EmailKind::EmailChangeConfirmNew, new_email, now)
                .await?
            {
                // Under the cooldown of its recipient, whichever account asks: the new address
                // is anyone's inbox.
                let link = self
                    .new_link(
                        tx,
                        Purpose::ConfirmNewEmail,
                        user.id,
                        &user.email_norm,
                        Some(change_id),
                        now,
                    )
                    .await?;
                let confirm = OutgoingEmail {
                    to: new_email,
                    // No name: the requester chose it, and a stranger's inbox is no place for
                    // text an attacker chose (contract §4).
                    name: None,
                    locale,
                    values: EmailValues::EmailChangeConfirmNew(EmailChangeConfirm {
                        old_email: user.email.clone(),
                        new_email: new_email.as_str().to_owned(),
                        link,
                    }),
                };
                self.outbox.enqueue(tx, confirm, now).await?;
            }
            // The old address is asked whether or not the new one is taken, so that its mailbox
            // does not tell the requester which addresses have accounts.
            if needs_old
                && self
                    .take_cooldown(tx, EmailKind::EmailChangeConfirmOld, &old_email, now)
                    .await?
            {
                let link = self
                    .new_link(
                        tx,
                        Purpose::ConfirmOldEmail,
                        user.id,
                        &user.email_norm,
                        Some(change_id),
                        now,
                    )
                    .await?;
                let confirm = OutgoingEmail {
                    to: &old_email,
                    name: user.name.as_deref(),
                    locale,
                    values: EmailValues::EmailChangeConfirmOld(EmailChangeConfirm {
                        old_email: user.email.clone(),
                        new_email: new_email.as_str().to_owned(),
                        link,
                    }),
                };
                self.outbox.enqueue(tx, confirm, now).await?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Cancels the pending change, if any; its links stop working.
    pub async fn cancel_email_change(&self, principal: &Principal) -> Result<(), Error> {
        transaction!(self.store, |tx| {
            tx.end_pending_email_change(
                principal.user.id,
                EmailChangeState::Cancelled,
                self.clock.now(),
            )
            .await
        })?;
        Ok(())
    }

    /// `authenticate` and the user's pending email change, in one read: `GET /me`, the
    /// request a client makes most.
    pub async fn authenticate_with_pending_email(
        &self,
        bearer: &str,
    ) -> Result<(Principal, Option<PendingEmail>), Error> {
        let claims = self.access.verify(bearer)?;
        let now = self.clock.now();
        let row = self
            .store
            .read()
            .await?
            .active_session_user_and_change(claims.sid, claims.sub, now)
            .await?
            .ok_or(Error::Unauthorized)?;
        let pending = match (row.change_new_email, row.change_expires_at) {
            (Some(email), Some(expires_at)) if expires_at > now => Some(PendingEmail {
                email,
                expires_at,
                new_confirmed: row.change_new_confirmed_at.is_some(),
                old_confirmed: row.change_old_confirmed_at.is_some(),
            }),
            _ => None,
        };
        let principal = Principal {
            user: row.user,
            session_id: claims.sid,
        };
        Ok((principal, pending))
    }

    pub async fn pending_email(&self, user_id: Uuid) -> Result<Option<PendingEmail>, Error> {
        let change = self
            .store
            .read()
            .await?
            .pending_email_change(user_id)
            .await?;
        Ok(change
            .filter(|c| c.expires_at > self.clock.now())
            .map(|c| PendingEmail {
                email: c.new_email,
                expires_at: c.expires_at,
                new_confirmed: c.new_confirmed_at.is_some(),
                old_confirmed: c.old_confirmed_at.is_some(),
            }))
    }

    /// Uses a confirmation link (to the new or the old address). The change applies when the
    /// last required confirmation is in, and then only the address of this link's change.
    /// The change a confirmation link would confirm, if it could be used now; using nothing.
    pub async fn email_change_link(&self, token: &str) -> Result<Option<ChangeLink>, Error> {
        let Ok(hash) = LinkToken::hash_presented(token) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mut conn = self.store.read().await?;
        let Some((purpose, change_id)) = conn.usable_change_link(hash, now).await? else {
            return Ok(None);
        };
        if !matches!(purpose, Purpose::ConfirmNewEmail | Purpose::ConfirmOldEmail) {
            return Ok(None);
        }
        let change = conn
            .email_change(change_id)
            .await?
            .filter(|c| c.state == EmailChangeState::Pending);
        Ok(change.map(|c| ChangeLink {
            to_old: purpose == Purpose::ConfirmOldEmail,
            old_email: c.old_email,
            new_email: c.new_email,
        }))
    }

    pub async fn confirm_email_change(&self, token: &str) -> Result<ConfirmOutcome, Error> {
        let hash = LinkToken::hash_presented(token)?;
        let outcome = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let state = tx.link_token_state(hash).await?;
            let purpose = match state.as_ref().map(TokenState::purpose) {
                Some(p @ (Purpose::ConfirmNewEmail | Purpose::ConfirmOldEmail)) => p,
                _ => return Err(Error::TokenInvalid),
            };
            let Some(used) = tx.try_use_link_token(hash, purpose, now).await? else {
                return Err(TokenState::error(state, purpose, now));
            };
            let change_id = used.change_id.ok_or(Error::TokenInvalid)?;
            let change = tx
                .email_change(change_id)
                .await?
                .filter(|c| c.state == EmailChangeState::Pending)
                .ok_or(Error::TokenInvalid)?;
            match purpose {
                Purpose::ConfirmNewEmail => tx.confirm_new_email(change_id, now).await?,
                _ => tx.confirm_old_email(change_id, now).await?,
            }
            let change = tx
                .email_change(change.id)
                .await?
                .ok_or(Error::TokenInvalid)?;
            if change.blocked || !change.confirmed() {
                return Ok(ConfirmOutcome::AwaitingOtherConfirmation);
            }
            // An address reserved for another account since the request (its owner changed away
            // from it and may still revert) cannot be taken.
            if tx
                .address_reserved_for(&change.new_email_norm, now)
                .await?
                .is_some_and(|(owner, _)| owner != change.user_id)
            {
                return Err(Error::EmailTaken);
            }
            // The unique index decides a race for the address: the loser's transaction rolls back,
            // its account unchanged.
            let moved = tx
                .change_email(
                    change.user_id,
                    &change.old_email_norm,
                    &change.new_email,
                    &change.new_email_norm,
                    now,
                )
                .await?;
            if !moved {
                return Err(Error::TokenInvalid);
            }
            self.after_email_change(tx, &change, now).await?;
            Ok(ConfirmOutcome::Changed(EmailAddress::from_stored(
                change.new_email,
            )))
        })?;
        Ok(outcome)
    }

    /// The change applied: other sessions end, links bound to the old address die, and the old
    /// address gets a notice with a revert link.
    async fn after_email_change(
        &self,
        tx: &mut Conn,
        change: &EmailChange,
        now: Millis,
    ) -> Result<(), Error> {
        tx.set_email_change_state(change.id, EmailChangeState::Applied, now)
            .await?;
        let changed = Event::EmailChanged {
            user_id: change.user_id,
            email: change.new_email.clone(),
            previous_email: change.old_email.clone(),
        };
        self.enqueue_event(tx, changed, now).await?;
        let ended = tx
            .revoke_user_sessions(change.user_id, change.session_id, now)
            .await?;
        self.sessions_revoked(tx, change.user_id, ended, RevokeReason::EmailChanged, now)
            .await?;
        tx.invalidate_link_tokens(change.user_id, Purpose::ResetPassword, now)
            .await?;
        tx.invalidate_link_tokens(change.user_id, Purpose::VerifyEmail, now)
            .await?;
        let user = tx
            .user_by_id(change.user_id)
            .await?
            .ok_or(Error::TokenInvalid)?;
        let link = self
            .new_link(
                tx,
                Purpose::RevertEmailChange,
                user.id,
                &user.email_norm,
                Some(change.id),
                now,
            )
            .await?;
        let old = EmailAddress::from_stored(change.old_email.clone());
        let notice = OutgoingEmail {
            to: &old,
            name: user.name.as_deref(),
            locale: user.locale_or(self.settings.default_locale),
            values: EmailValues::EmailChanged(EmailChanged {
                old_email: change.old_email.clone(),
                new_email: change.new_email.clone(),
                link,
            }),
        };
        self.outbox.enqueue(tx, notice, now).await
    }

    /// Undoes an applied change from the old address: the old address comes back, every session
    /// ends, and a reset link goes to the restored address. The link works whatever happened
    /// to the account since (further address changes, password changes), so an attacker who
    /// changed the address twice cannot shut the owner out; the later changes' revert links
    /// die with it, so they cannot take the account back.
    pub async fn revert_email_change(&self, token: &str) -> Result<EmailAddress, Error> {
        let hash = LinkToken::hash_presented(token)?;
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let used = tx
                .use_link_token(hash, Purpose::RevertEmailChange, now)
                .await?;
            let change_id = used.change_id.ok_or(Error::TokenInvalid)?;
            let change = tx
                .email_change(change_id)
                .await?
                .filter(|c| c.state == EmailChangeState::Applied)
                .ok_or(Error::TokenInvalid)?;
            // `EmailTaken` when another account holds the old address (rolls back).
            let restored = tx
                .restore_email(
                    change.user_id,
                    &change.old_email,
                    &change.old_email_norm,
                    now,
                )
                .await?;
            if !restored {
                return Err(Error::TokenInvalid);
            }
            tx.set_email_change_state(change.id, EmailChangeState::Reverted, now)
                .await?;
            tx.invalidate_later_revert_links(
                change.user_id,
                change.applied_at.unwrap_or(Millis(0)),
                now,
            )
            .await?;
            let reverted = Event::EmailReverted {
                user_id: change.user_id,
                email: change.old_email.clone(),
                previous_email: change.new_email.clone(),
            };
            self.enqueue_event(tx, reverted, now).await?;
            tx.end_pending_email_change(change.user_id, EmailChangeState::Cancelled, now)
                .await?;
            let ended = tx.revoke_user_sessions(change.user_id, None, now).await?;
            self.sessions_revoked(tx, change.user_id, ended, RevokeReason::EmailReverted, now)
                .await?;
            tx.invalidate_link_tokens(change.user_id, Purpose::ResetPassword, now)
                .await?;
            tx.invalidate_link_tokens(change.user_id, Purpose::VerifyEmail, now)
                .await?;
            let user = tx
                .user_by_id(change.user_id)
                .await?
                .ok_or(Error::TokenInvalid)?;
            self.enqueue_reset_link(tx, &user, Some(change.new_email.clone()), now)
                .await?;
            Ok(user)
        })?;
        Ok(user.email_address())
    }
}
