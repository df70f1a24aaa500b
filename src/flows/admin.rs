//! What operators do to users, through the admin API and the CLI alike: create, list, show and
//! change them, resend verification, and the first admin. Listings are paged (`pagination`);
//! the outbox view and the dev seed have files of their own.

use crate::storage::transaction;
use uuid::Uuid;

use super::{Cursor, Flows, Page, PageSize};
use crate::{
    domain::{
        accounts::{DisplayName, User},
        email::EmailAddress,
        invalid::{Invalid, OwnAccountChange},
        password::NewPassword,
        webhooks::{Event, RevokeReason},
    },
    error::Error,
    storage::{Conn, NewUser, UserChanges},
};

/// A user made by an operator. Without a password the account cannot log in until a reset.
pub struct NewAccount {
    pub email: EmailAddress,
    pub password: Option<NewPassword>,
    pub name: Option<DisplayName>,
    pub email_verified: bool,
    pub is_admin: bool,
}

/// Changes to a user; `None` leaves a field as it is, `name: Some(None)` removes the name.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    pub is_admin: Option<bool>,
    pub name: Option<Option<DisplayName>>,
}

impl Flows {
    /// Creates a user for an operator. Unverified, it gets a verification email (the same one
    /// sign-up sends); verified, no email at all.
    pub async fn create_account(&self, account: NewAccount) -> Result<User, Error> {
        let password_hash = match &account.password {
            Some(p) => Some(self.hasher.hash(p).await?),
            None => None,
        };
        let name = account.name.as_ref().map(DisplayName::as_str);
        let id = Uuid::now_v7();
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            tx.insert_user(&NewUser {
                id,
                email: account.email.as_str(),
                email_norm: account.email.normalized(),
                password_hash: password_hash.as_deref(),
                name,
                email_verified: account.email_verified,
                is_admin: account.is_admin,
                locale: None,
                now,
            })
            .await?;
            let created = Event::Created {
                user_id: id,
                email: account.email.as_str().to_owned(),
                email_verified: account.email_verified,
            };
            self.enqueue_event(tx, created, now).await?;
            if !account.email_verified {
                let locale = self.settings.default_locale;
                let to = &account.email;
                self.enqueue_verification_with_cooldown(tx, id, to, name, locale, None, now)
                    .await?;
            }
            tx.user_by_id(id).await?.ok_or(Error::NotFound)
        })?;
        tracing::info!(user = %id, verified = account.email_verified, admin = account.is_admin, "user created by an operator");
        Ok(user)
    }

    /// Users whose address or name contains `query` (case-insensitively), newest first. Every
    /// sign-up answered before the listing is in it (§4): those still pending are recorded
    /// first.
    pub async fn list_users(
        &self,
        query: Option<&str>,
        size: PageSize,
        after: Option<Cursor>,
    ) -> Result<Page<User>, Error> {
        self.settle_pending_signups().await?;
        let pattern = query
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| format!("%{}%", escape_like(&q.to_lowercase())));
        let fetched = self
            .store
            .read()
            .await?
            .list_users(
                pattern.as_deref(),
                after.map(|c| c.0),
                i64::from(size.get()) + 1,
            )
            .await?;
        Ok(Page::of(fetched, size, |u| u.id))
    }

    pub async fn user(&self, id: Uuid) -> Result<User, Error> {
        self.store
            .read()
            .await?
            .user_by_id(id)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn user_by_address(&self, email: &EmailAddress) -> Result<User, Error> {
        self.account_at(email).await?.ok_or(Error::NotFound)
    }

    /// Applies an operator's changes. Disabling revokes every session of the user in the same
    /// transaction, so its tokens stop working at once. `acting` is the admin making the change:
    /// an admin cannot disable or demote themselves (and so lock everyone out).
    pub async fn update_user(
        &self,
        id: Uuid,
        patch: UserPatch,
        acting: Option<Uuid>,
    ) -> Result<User, Error> {
        // Checked once the change is written (it is then rolled back): the last admin is
        // `last_admin` whoever acts, before an admin's own disabling or demoting is refused.
        let own_change = (acting == Some(id))
            .then(|| {
                if patch.disabled == Some(true) {
                    Some(OwnAccountChange::Disable)
                } else if patch.is_admin == Some(false) {
                    Some(OwnAccountChange::Demote)
                } else {
                    None
                }
            })
            .flatten();
        let changes = UserChanges {
            email_verified: patch.email_verified,
            disabled: patch.disabled,
            is_admin: patch.is_admin,
            name: patch
                .name
                .as_ref()
                .map(|n| n.as_ref().map(DisplayName::as_str)),
        };
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let before = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
            if !tx.change_user(id, &changes, now).await? {
                return Err(Error::NotFound);
            }
            self.keep_an_admin(tx, &before).await?;
            if let Some(change) = own_change {
                return Err(Error::Invalid(Invalid::OwnAccount(change)));
            }
            if patch.disabled == Some(true) {
                let ended = tx.revoke_user_sessions(id, None, now).await?;
                tracing::info!(user = %id, revoked = ended.len(), "account disabled: sessions revoked");
                self.sessions_revoked(tx, id, ended, RevokeReason::Disabled, now)
                    .await?;
            }
            let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
            // Events for what changed, not for what was asked: a repeated PATCH sends nothing.
            if user.email_verified && !before.email_verified {
                let verified = Event::Verified {
                    user_id: id,
                    email: user.email.clone(),
                };
                self.enqueue_event(tx, verified, now).await?;
            }
            if before.email_verified && !user.email_verified {
                let unverified = Event::Unverified {
                    user_id: id,
                    email: user.email.clone(),
                };
                self.enqueue_event(tx, unverified, now).await?;
            }
            match (before.disabled, user.disabled) {
                (false, true) => {
                    self.enqueue_event(tx, Event::Disabled { user_id: id }, now)
                        .await?
                }
                (true, false) => {
                    self.enqueue_event(tx, Event::Enabled { user_id: id }, now)
                        .await?
                }
                _ => {}
            }
            Ok(user)
        })?;
        Ok(user)
    }

    /// After a change to `before` (an account as it was) is written in `tx`: if it was an
    /// admin who could act and none is left, `last_admin`, and the caller's transaction rolls
    /// back (contract §3). A check of the transaction's own result, not a read before the
    /// write, so two admins acting at once cannot both remove the last two (see
    /// `count_active_admins`).
    pub(super) async fn keep_an_admin(&self, tx: &mut Conn, before: &User) -> Result<(), Error> {
        let was_admin = before.is_admin && !before.disabled && before.email_verified;
        if was_admin && tx.count_active_admins().await? == 0 {
            tracing::info!(user = %before.id, "refused: the instance's last admin");
            return Err(Error::LastAdmin);
        }
        Ok(())
    }

    /// A new verification email for an unverified user (subject to the mail cooldown, like
    /// every email); `already_verified` otherwise.
    pub async fn send_verification(&self, id: Uuid) -> Result<(), Error> {
        transaction!(self.store, |tx| {
            let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
            if user.email_verified {
                return Err(Error::AlreadyVerified);
            }
            let to = user.email_address();
            let locale = user.locale_or(self.settings.default_locale);
            self.enqueue_verification_with_cooldown(
                tx,
                user.id,
                &to,
                user.name.as_deref(),
                locale,
                None,
                self.clock.now(),
            )
            .await?;
            Ok(())
        })?;
        Ok(())
    }

    /// `LATCHKEY_FIRST_ADMIN_*`: a verified admin with this address unless a user has it.
    /// Returns whether one was created; starting again changes nothing.
    pub async fn ensure_first_admin(
        &self,
        email: &EmailAddress,
        password: NewPassword,
    ) -> Result<bool, Error> {
        if self.account_at(email).await?.is_some() {
            return Ok(false);
        }
        let account = NewAccount {
            email: email.clone(),
            password: Some(password),
            name: None,
            email_verified: true,
            is_admin: true,
        };
        match self.create_account(account).await {
            Ok(_) => Ok(true),
            // Another node starting at the same moment made it.
            Err(Error::EmailTaken) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `LIKE` treats `%` and `_` as wildcards; a search for them means the characters.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
