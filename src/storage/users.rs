use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, OnUnique, USERS_EMAIL_NORM, on_db};
use crate::{
    domain::{accounts::User, locale::Locale},
    error::Error,
};

pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub email_norm: &'a str,
    pub password_hash: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email_verified: bool,
    pub is_admin: bool,
    pub locale: Option<Locale>,
    pub now: Millis,
}

impl Conn {
    pub async fn user_by_email(&mut self, email_norm: &str) -> Result<Option<User>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale FROM users WHERE email_norm = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(email_norm).fetch_optional(c).await)?)
    }

    pub async fn user_by_id(&mut self, id: Uuid) -> Result<Option<User>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale FROM users WHERE id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?)
    }

    /// Fails with `EmailTaken` when the normalized address exists (the unique index decides).
    pub async fn insert_user(&mut self, u: &NewUser<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO users (id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $8, $9)";
        on_db!(self, c => sqlx::query(SQL)
            .bind(u.id).bind(u.email).bind(u.email_norm).bind(u.password_hash).bind(u.name)
            .bind(u.email_verified).bind(u.is_admin).bind(u.now).bind(u.locale.map(Locale::as_str))
            .execute(c).await.map(|r| r.rows_affected()))
        .on_unique(&USERS_EMAIL_NORM, |_| Error::EmailTaken)?;
        Ok(())
    }

    /// A new sign-up on a still-unverified account takes it over: new password, name, language
    /// and the address as typed this time.
    pub async fn replace_unverified_signup(
        &mut self,
        id: Uuid,
        email: &str,
        password_hash: &str,
        name: Option<&str>,
        locale: Locale,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET email = $2, password_hash = $3, name = $4, updated_at = $5, locale = $6 \
                           WHERE id = $1 AND email_verified = FALSE";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(email).bind(password_hash).bind(name).bind(now).bind(locale.as_str()).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_email_verified(&mut self, id: Uuid, now: Millis) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET email_verified = TRUE, updated_at = $2 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Marks an unverified address verified and returns the user as it now is; `None` if the
    /// account is gone or was verified already (then nothing changes). One statement where an
    /// update and a read would be two round trips inside the writer's transaction.
    pub async fn verify_user_email(
        &mut self,
        id: Uuid,
        now: Millis,
    ) -> Result<Option<User>, Error> {
        const SQL: &str = "UPDATE users SET email_verified = TRUE, updated_at = $2 \
            WHERE id = $1 AND NOT email_verified \
            RETURNING id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(id).bind(now).fetch_optional(c).await)?)
    }
}

impl Conn {
    pub async fn set_password(
        &mut self,
        id: Uuid,
        password_hash: &str,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(password_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Moves an account from `from_norm` to a new address, verified. `EmailTaken` when the
    /// address is another account's (the unique index decides races); false when the account no
    /// longer has `from_norm`.
    pub async fn change_email(
        &mut self,
        id: Uuid,
        from_norm: &str,
        email: &str,
        email_norm: &str,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE users SET email = $3, email_norm = $4, email_verified = TRUE, updated_at = $5 \
                           WHERE id = $1 AND email_norm = $2";
        let done = on_db!(self, c => sqlx::query(SQL).bind(id).bind(from_norm).bind(email).bind(email_norm).bind(now).execute(c).await.map(|r| r.rows_affected()))
            .on_unique(&USERS_EMAIL_NORM, |_| Error::EmailTaken)?;
        Ok(done == 1)
    }

    /// Gives an account back an earlier address (a revert), whatever its address is now: a
    /// revert outlives later changes. `EmailTaken` when another account holds it.
    pub async fn restore_email(
        &mut self,
        id: Uuid,
        email: &str,
        email_norm: &str,
        now: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE users SET email = $2, email_norm = $3, email_verified = TRUE, updated_at = $4 \
                           WHERE id = $1";
        let done = on_db!(self, c => sqlx::query(SQL).bind(id).bind(email).bind(email_norm).bind(now).execute(c).await.map(|r| r.rows_affected()))
            .on_unique(&USERS_EMAIL_NORM, |_| Error::EmailTaken)?;
        Ok(done == 1)
    }
}

impl Conn {
    /// Deletes an account with everything that names it: sessions, links, pending and past
    /// email changes (by `ON DELETE CASCADE`), the emails queued or kept for its addresses and
    /// their mail cooldowns. Webhook events stay: they are the host app's record. False when
    /// there is no such user.
    pub async fn delete_user(&mut self, id: Uuid, email_norm: &str) -> Result<bool, Error> {
        // The account's addresses: the current one and those of its email changes (a blocked
        // change's new address is another account's, and its notice is that account's).
        const OUTBOX: &str = "DELETE FROM outbox WHERE channel = 'email' AND lower(recipient) IN (\
            SELECT $2 UNION SELECT old_email_norm FROM email_changes WHERE user_id = $1 \
            UNION SELECT new_email_norm FROM email_changes WHERE user_id = $1 AND blocked = FALSE)";
        const COOLDOWNS: &str = "DELETE FROM mail_cooldowns WHERE address IN (\
            SELECT $2 UNION SELECT old_email_norm FROM email_changes WHERE user_id = $1 \
            UNION SELECT new_email_norm FROM email_changes WHERE user_id = $1 AND blocked = FALSE)";
        const USER: &str = "DELETE FROM users WHERE id = $1";
        on_db!(self, c => sqlx::query(OUTBOX).bind(id).bind(email_norm).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(self, c => sqlx::query(COOLDOWNS).bind(id).bind(email_norm).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let done = on_db!(self, c => sqlx::query(USER).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Marks `id` as an account a sign-up made (see `stale_signups`).
    pub async fn mark_signup_account(&mut self, id: Uuid) -> Result<(), Error> {
        const SQL: &str =
            "INSERT INTO signup_accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING";
        on_db!(self, c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The password hash of the unverified account at this address, if any.
    pub async fn unverified_hash_at(&mut self, email_norm: &str) -> Result<Option<String>, Error> {
        const SQL: &str =
            "SELECT password_hash FROM users WHERE email_norm = $1 AND email_verified = FALSE";
        let found: Option<(Option<String>,)> =
            on_db!(self, c => sqlx::query_as(SQL).bind(email_norm).fetch_optional(c).await)?;
        Ok(found.and_then(|(h,)| h))
    }

    /// Marks the unverified account `id` contested: signed up again with another password
    /// (contract §4).
    pub async fn mark_contested(&mut self, id: Uuid) -> Result<(), Error> {
        const SQL: &str =
            "INSERT INTO contested_signups (user_id) VALUES ($1) ON CONFLICT DO NOTHING";
        on_db!(self, c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends the contest of `id`, if any: true when it was contested.
    pub async fn take_contested(&mut self, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "DELETE FROM contested_signups WHERE user_id = $1";
        let gone = on_db!(self, c => sqlx::query(SQL).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(gone == 1)
    }

    /// Leaves `id` with no usable password (a log-in with any password is refused alike).
    pub async fn clear_password(&mut self, id: Uuid, now: Millis) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET password_hash = NULL, updated_at = $2 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Up to `limit` accounts made by a sign-up, never verified, made before `cut` and with no
    /// verification link expiring after it: their last link has been expired for the
    /// retention that `cut` is `now` minus.
    pub async fn stale_signups(&mut self, cut: Millis, limit: i64) -> Result<Vec<User>, Error> {
        const SQL: &str = "SELECT id, email, email_norm, password_hash, name, email_verified, is_admin, disabled, created_at, updated_at, locale \
            FROM users u WHERE u.email_verified = FALSE AND u.created_at <= $1 \
              AND EXISTS (SELECT 1 FROM signup_accounts s WHERE s.user_id = u.id) \
              AND NOT EXISTS (SELECT 1 FROM link_tokens t WHERE t.user_id = u.id \
                  AND t.purpose = 'verify_email' AND t.expires_at > $1) \
            ORDER BY u.created_at LIMIT $2";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(cut).bind(limit).fetch_all(c).await)?)
    }

    pub async fn set_locale(
        &mut self,
        id: Uuid,
        locale: Option<Locale>,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(locale.map(Locale::as_str)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn set_name(
        &mut self,
        id: Uuid,
        name: Option<&str>,
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(name).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
