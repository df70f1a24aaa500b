//! `latchkey dev seed`: test users for a local stack.

use crate::storage::transaction;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use super::Flows;
use crate::{
    domain::{email::EmailAddress, password::NewPassword, tokens::random_bytes},
    error::Error,
    storage::NewUser,
};

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
    /// How many users the database has that `dev seed` did not make, the configured first
    /// admin aside: the CLI refuses to seed beside them unless told to.
    pub async fn users_not_seeded(&self) -> Result<i64, Error> {
        let first_admin = self.settings.first_admin_email.as_ref();
        self.store
            .read()
            .await?
            .count_other_than_seed_users(first_admin)
            .await
    }

    /// `latchkey dev seed`: a few verified test users with fresh random passwords. Users it did
    /// not make are never touched.
    pub async fn dev_seed(&self) -> Result<Vec<SeedUser>, Error> {
        let mut seeded = Vec::new();
        for (address, name, is_admin) in SEED_USERS {
            let email = EmailAddress::parse(address)?;
            let password = URL_SAFE_NO_PAD.encode(random_bytes::<12>()?);
            let new_password = NewPassword::parse(password.clone())?;
            let hash = self.hasher.hash(&new_password).await?;
            let seeded_now = transaction!(self.store, |tx| {
                let now = self.clock.now();
                match tx.user_by_email(email.normalized()).await? {
                    Some(user) if tx.is_seed_user(user.id).await? => {
                        tx.reset_seed_user(user.id, &hash, now).await?;
                    }
                    Some(_) => {
                        tracing::warn!(%email, "dev seed: a real user has this address; left alone");
                        return Ok(false);
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
                Ok(true)
            })?;
            if !seeded_now {
                continue;
            }
            seeded.push(SeedUser {
                email,
                password,
                is_admin,
            });
        }
        Ok(seeded)
    }
}
