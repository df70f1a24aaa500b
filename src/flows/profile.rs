//! The user's own profile, and deleting an account (contract §4): by the user with their
//! password, by an administrator, or by an operator from the CLI.

use crate::storage::transaction;
use uuid::Uuid;

use super::{Client, Flows, Principal};
use crate::{
    domain::{
        accounts::DisplayName,
        locale::Locale,
        webhooks::{Event, RevokeReason},
    },
    error::Error,
    mail::{
        outbox::OutgoingEmail,
        values::{AccountDeleted, EmailValues},
    },
};

/// Changes to the signed-in user's profile; `None` leaves a field as it is, `name: Some(None)`
/// removes the name.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub name: Option<Option<DisplayName>>,
    /// `Some(None)` forgets the language: the deployment's default applies.
    pub locale: Option<Option<Locale>>,
}

impl Flows {
    /// Applies the user's changes and returns the account as it now is.
    pub async fn update_profile(
        &self,
        principal: &Principal,
        patch: ProfilePatch,
    ) -> Result<crate::domain::accounts::User, Error> {
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let id = principal.user.id;
            if let Some(name) = &patch.name {
                tx.set_name(id, name.as_ref().map(DisplayName::as_str), now)
                    .await?;
            }
            if let Some(locale) = patch.locale {
                tx.set_locale(id, locale, now).await?;
            }
            let user = tx.user_by_id(id).await?.ok_or(Error::Unauthorized)?;
            Ok(user)
        })?;
        Ok(user)
    }

    /// `DELETE /api/v1/me`: the password proves it is the owner, not only a holder of a token
    /// (and counts against the log-in limit of the account's address).
    pub async fn delete_own_account(
        &self,
        principal: &Principal,
        client: &Client,
        password: &str,
    ) -> Result<(), Error> {
        let attempt = self.count_password_attempt(client, &principal.user).await?;
        self.verify_own_password(attempt, password).await?;
        self.delete_account(principal.user.id).await
    }

    /// Deletes an account and everything of it in one transaction: its sessions end (so its
    /// access tokens are refused at once), its links and pending change die, and the address is
    /// free to sign up again. The address gets the `account_deleted` notice (whatever the mail
    /// cooldown: it is the last email it gets from this account) and the host app the
    /// `user.deleted` event.
    pub async fn delete_account(&self, id: Uuid) -> Result<(), Error> {
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
            // Ended first, so that each live session gets its event before the rows go.
            let ended = tx.revoke_user_sessions(id, None, now).await?;
            self.sessions_revoked(tx, id, ended, RevokeReason::Deleted, now)
                .await?;
            if !tx.delete_user(id, &user.email_norm).await? {
                return Err(Error::NotFound);
            }
            self.keep_an_admin(tx, &user).await?;
            let to = user.email_address();
            let notice = OutgoingEmail {
                to: &to,
                name: user.name.as_deref(),
                locale: user.locale_or(self.settings.default_locale),
                values: EmailValues::AccountDeleted(AccountDeleted {
                    register_url: self.page("register"),
                }),
            };
            self.outbox.enqueue(tx, notice, now).await?;
            let deleted = Event::Deleted {
                user_id: id,
                email: user.email.clone(),
            };
            self.enqueue_event(tx, deleted, now).await
        })?;
        tracing::info!(user = %id, "account deleted");
        Ok(())
    }
}
