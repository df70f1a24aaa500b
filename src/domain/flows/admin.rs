//! What operators do, through the admin API and the CLI alike: create, list, show and change
//! users, resend verification, inspect the outbox, the first admin, and the dev seed.

use std::str::FromStr;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use super::Flows;
use crate::{
    domain::{
        accounts::{DisplayName, User},
        email::EmailAddress,
        password::NewPassword,
        tokens::random_bytes,
        webhooks::Event,
    },
    error::Error,
    storage::{NewUser, OutboxEntry, UserChanges, now_ms},
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

/// How many items a listing returns: 50 unless asked, at most 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const DEFAULT: Self = Self(50);
    pub const MAX: u32 = 200;

    pub fn parse(input: Option<&str>) -> Result<Self, Error> {
        match input.map(str::trim) {
            None | Some("") => Ok(Self::DEFAULT),
            Some(s) => match s.parse::<u32>() {
                Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
                _ => Err(Error::invalid(
                    "validation_failed",
                    "limit",
                    format!("limit is a number from 1 to {}", Self::MAX),
                )),
            },
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where the next page starts: opaque to clients (the last id of the page, base64url).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(Uuid);

impl Cursor {
    pub fn parse(input: Option<&str>) -> Result<Option<Self>, Error> {
        let Some(text) = input.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|bytes| Uuid::from_slice(&bytes).ok())
            .map(|id| Some(Self(id)))
            .ok_or_else(|| {
                Error::invalid(
                    "validation_failed",
                    "cursor",
                    "cursor is not one this API returned",
                )
            })
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

/// One page of a listing and where the next one starts (`None`: this was the last).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// `fetched` holds up to one more than a page, which tells whether another page follows.
    fn of(mut fetched: Vec<T>, size: PageSize, id: impl Fn(&T) -> Uuid) -> Self {
        let size = size.get() as usize;
        let next = if fetched.len() > size {
            fetched.truncate(size);
            fetched.last().map(|item| Cursor(id(item)))
        } else {
            None
        };
        Self {
            items: fetched,
            next,
        }
    }
}

/// The outbox states of contract §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Queued,
    Retrying,
    Sent,
    Dead,
}

impl OutboxStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Retrying, Self::Sent, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }
}

impl FromStr for OutboxStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "validation_failed",
                    "status",
                    "status is one of queued, retrying, sent, dead",
                )
            })
    }
}

/// A user `dev seed` made or renewed, with the password it now has.
pub struct SeedUser {
    pub email: EmailAddress,
    pub password: String,
    pub is_admin: bool,
}

const SEED_USERS: [(&str, &str, bool); 3] = [
    ("admin@example.com", "Ada Admin", true),
    ("alice@example.com", "Alice Example", false),
    ("bob@example.com", "Bob Example", false),
];

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
        let mut tx = self.store.write().await?;
        let now = now_ms();
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
        self.event(&mut tx, created, now).await?;
        if !account.email_verified {
            let locale = self.settings.default_locale;
            self.queue_verification(&mut tx, id, &account.email, name, locale, now)
                .await?;
        }
        let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
        tx.commit().await?;
        self.outbox.wake();
        tracing::info!(user = %id, verified = account.email_verified, admin = account.is_admin, "user created by an operator");
        Ok(user)
    }

    /// Users whose address or name contains `query` (case-insensitively), newest first.
    pub async fn list_users(
        &self,
        query: Option<&str>,
        size: PageSize,
        after: Option<Cursor>,
    ) -> Result<Page<User>, Error> {
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
        if acting == Some(id) {
            let refuse = |field: &str| {
                Error::invalid(
                    "validation_failed",
                    field,
                    "administrators cannot disable or demote their own account",
                )
            };
            if patch.disabled == Some(true) {
                return Err(refuse("disabled"));
            }
            if patch.is_admin == Some(false) {
                return Err(refuse("is_admin"));
            }
        }
        let changes = UserChanges {
            email_verified: patch.email_verified,
            disabled: patch.disabled,
            is_admin: patch.is_admin,
            name: patch
                .name
                .as_ref()
                .map(|n| n.as_ref().map(DisplayName::as_str)),
        };
        let mut tx = self.store.write().await?;
        let now = now_ms();
        let before = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
        if !tx.change_user(id, &changes, now).await? {
            return Err(Error::NotFound);
        }
        if patch.disabled == Some(true) {
            let revoked = tx.revoke_user_sessions(id, None, now).await?;
            tracing::info!(user = %id, revoked, "account disabled: sessions revoked");
        }
        let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
        // Events for what changed, not for what was asked: a repeated PATCH sends nothing.
        if user.email_verified && !before.email_verified {
            let verified = Event::Verified {
                user_id: id,
                email: user.email.clone(),
            };
            self.event(&mut tx, verified, now).await?;
        }
        match (before.disabled, user.disabled) {
            (false, true) => {
                self.event(&mut tx, Event::Disabled { user_id: id }, now)
                    .await?
            }
            (true, false) => {
                self.event(&mut tx, Event::Enabled { user_id: id }, now)
                    .await?
            }
            _ => {}
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(user)
    }

    /// A new verification email for an unverified user (subject to the mail cooldown, like
    /// every email); `already_verified` otherwise.
    pub async fn send_verification(&self, id: Uuid) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let user = tx.user_by_id(id).await?.ok_or(Error::NotFound)?;
        if user.email_verified {
            return Err(Error::AlreadyVerified);
        }
        let to = user.email_address();
        let locale = user.locale_or(self.settings.default_locale);
        self.queue_verification(
            &mut tx,
            user.id,
            &to,
            user.name.as_deref(),
            locale,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    /// Outbox messages, newest first, without payloads or links.
    pub async fn outbox_messages(
        &self,
        status: Option<OutboxStatus>,
        size: PageSize,
        after: Option<Cursor>,
    ) -> Result<Page<OutboxEntry>, Error> {
        let fetched = self
            .store
            .read()
            .await?
            .list_outbox(
                status.map(OutboxStatus::as_str),
                after.map(|c| c.0),
                i64::from(size.get()) + 1,
            )
            .await?;
        Ok(Page::of(fetched, size, |m| m.id))
    }

    /// Messages per status, every status present (zero when none).
    pub async fn outbox_counts(&self) -> Result<Vec<(OutboxStatus, i64)>, Error> {
        let counts = self.store.read().await?.outbox_counts().await?;
        Ok(OutboxStatus::ALL
            .into_iter()
            .map(|status| {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| *n);
                (status, n)
            })
            .collect())
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

    /// `latchkey dev seed`: a few verified test users with fresh random passwords. Refuses a
    /// database with users it did not make (the configured first admin aside) unless `force`;
    /// those are never touched.
    pub async fn dev_seed(&self, force: bool) -> Result<Vec<SeedUser>, Error> {
        let first_admin = self.settings.first_admin_email.as_ref();
        let others = self
            .store
            .read()
            .await?
            .count_other_than_seed_users(first_admin)
            .await?;
        if others > 0 && !force {
            return Err(Error::DatabaseNotEmpty);
        }
        let mut seeded = Vec::new();
        for (address, name, is_admin) in SEED_USERS {
            let email = EmailAddress::parse(address)?;
            let password = URL_SAFE_NO_PAD.encode(random_bytes::<12>()?);
            let new_password = NewPassword::parse(password.clone())?;
            let hash = self.hasher.hash(&new_password).await?;
            let mut tx = self.store.write().await?;
            let now = now_ms();
            match tx.user_by_email(email.normalized()).await? {
                Some(user) if tx.is_seed_user(user.id).await? => {
                    tx.reset_seed_user(user.id, &hash, now).await?;
                }
                Some(_) => {
                    tracing::warn!(%email, "dev seed: a real user has this address; left alone");
                    continue;
                }
                None => {
                    let id = Uuid::now_v7();
                    tx.insert_user(&NewUser {
                        id,
                        email: email.as_str(),
                        email_norm: email.normalized(),
                        password_hash: Some(&hash),
                        name: Some(name),
                        email_verified: true,
                        is_admin,
                        locale: None,
                        now,
                    })
                    .await?;
                    tx.mark_seed_user(id).await?;
                }
            }
            tx.commit().await?;
            seeded.push(SeedUser {
                email,
                password,
                is_admin,
            });
        }
        Ok(seeded)
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
    fn page_sizes_and_cursors_parse_or_say_why() {
        assert_eq!(PageSize::parse(None).ok(), Some(PageSize::DEFAULT));
        assert_eq!(
            PageSize::parse(Some("200")).ok().map(PageSize::get),
            Some(200)
        );
        for bad in ["0", "201", "-1", "ten", "1e3"] {
            assert!(PageSize::parse(Some(bad)).is_err(), "{bad}");
        }
        let cursor = Cursor(Uuid::now_v7());
        assert_eq!(
            Cursor::parse(Some(&cursor.encode())).ok().flatten(),
            Some(cursor)
        );
        assert!(Cursor::parse(Some("!!")).is_err());
        assert!(Cursor::parse(Some("AAAA")).is_err());
        assert!("dead".parse::<OutboxStatus>().is_ok());
        assert!("lost".parse::<OutboxStatus>().is_err());
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
