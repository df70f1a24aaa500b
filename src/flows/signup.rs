//! Sign-up, email verification (by link or by code) and resending the verification email
//! (contract §4).

use crate::storage::transaction;
use std::{sync::Arc, time::Duration};

use tokio::sync::watch;

use uuid::Uuid;

use super::{Flows, code_error};
use crate::{
    domain::{
        accounts::{DisplayName, User},
        codes::OneTimeCode,
        email::EmailAddress,
        locale::Locale,
        password::NewPassword,
        return_to::ReturnTo,
        time::Millis,
        tokens::{LinkToken, Purpose},
        webhooks::Event,
    },
    error::Error,
    mail::{
        EmailKind,
        outbox::OutgoingEmail,
        values::{AlreadyRegistered, EmailValues, Verification},
    },
    storage::{Conn, NewUser, PendingSignup, Verified},
};

pub struct Registration {
    pub email: EmailAddress,
    pub password: NewPassword,
    pub name: Option<DisplayName>,
    /// Already negotiated by the caller (field, `Accept-Language`, default).
    pub locale: Locale,
    /// Where the pages' sign-up should lead once the address is verified (contract §12): the
    /// verification link carries it, so it works in another browser too.
    pub return_to: Option<ReturnTo>,
}

/// A sign-up that was answered: what recording it needs (the password only as its hash).
pub struct Answered {
    id: Uuid,
    email: EmailAddress,
    name: Option<DisplayName>,
    locale: Locale,
    password_hash: String,
    return_to: Option<ReturnTo>,
    /// The stored hash whose password this sign-up repeated (see `register`).
    repeats_hash: Option<String>,
}

/// What verifying an address did.
#[derive(Debug)]
pub struct VerifiedAddress {
    pub email: EmailAddress,
    /// Set when the address was contested (signed up more than once with different passwords,
    /// contract §4): no sign-up's password survived, a reset link was mailed, and this is its
    /// token, for the verification page to ask for the new password at once.
    pub reset_token: Option<String>,
}

impl VerifiedAddress {
    pub fn password_reset_required(&self) -> bool {
        self.reset_token.is_some()
    }
}

impl Answered {
    /// Read back from `pending_signups`, where `register` wrote values it had parsed.
    fn from_row(row: PendingSignup) -> Result<Self, Error> {
        Ok(Self {
            id: row.id,
            email: EmailAddress::parse(&row.email)?,
            name: DisplayName::parse_optional(row.name.as_deref())?,
            locale: row
                .locale
                .parse()
                .map_err(|e| Error::internal_while("the locale of a pending sign-up", e))?,
            password_hash: row.password_hash,
            // Not kept in `pending_signups`: a sign-up recorded by another process after this
            // one died sends its link without it (the pages' cookie still has it).
            return_to: None,
            repeats_hash: row.repeats_hash,
        })
    }
}

impl Flows {
    /// Registers an address. The answer is the same whether or not it had an account; what
    /// happens differs (§4): a new account and a verification link; for a verified account an
    /// "already registered" email and no change; for an unverified one, the new sign-up takes
    /// it over and only its new link verifies.
    ///
    /// The hash is made, and the sign-up written to `pending_signups`, before the answer, for
    /// every address alike; the lookup and whatever an account causes are written after it,
    /// in a task of their own, so the answer's time does not tell whether the address has an
    /// account (§3). Written first, an answered sign-up is never lost: if this process dies
    /// before the task commits, `finish_unfinished_signups` (in any process) records it. A
    /// database that cannot take the row makes the answer 503, so the client knows to retry.
    pub async fn register(self: &Arc<Self>, r: Registration) -> Result<(), Error> {
        let password_hash = self.hasher.hash(&r.password).await?;
        let pending = PendingSignup {
            id: Uuid::now_v7(),
            email: r.email.as_str().to_owned(),
            email_norm: r.email.normalized().to_owned(),
            name: r.name.as_ref().map(|n| n.as_str().to_owned()),
            locale: r.locale.as_str().to_owned(),
            password_hash,
            created_at: self.clock.now(),
            repeats_hash: None,
        };
        self.store
            .autocommit()
            .await?
            .insert_pending_signup(&pending)
            .await?;
        // Written, the sign-up is answered whatever this says; if it cannot say, the sign-up
        // counts as another password (contested: the safe side).
        let repeats_hash = match self.note_repeat(&pending, &r.password).await {
            Ok(repeats) => repeats,
            Err(e) => {
                tracing::warn!(signup = %pending.id, error = %crate::error::Chain(&e), "sign-up: cannot tell whether it repeats the last one");
                None
            }
        };
        let answered = Answered {
            id: pending.id,
            email: r.email,
            name: r.name,
            locale: r.locale,
            password_hash: pending.password_hash,
            return_to: r.return_to,
            repeats_hash,
        };
        let flows = Arc::clone(self);
        self.after_answer("sign-up: not recorded yet (it is retried)", async move {
            flows.record_registration(&answered).await
        });
        Ok(())
    }

    /// Whether this sign-up repeats the password of the one it follows on its address (the
    /// newest answered before it and not recorded yet, else the unverified account): the stored
    /// hash of that password if so, written to its pending row. A repeat, such as a double
    /// submit, does not contest the address (§4). Hashes are salted, so this takes an Argon2
    /// verification; every address gets the same work (two lookups, one verification, against
    /// a dummy hash when there is nothing to compare with, one write), so that neither the
    /// answer's time nor the work tells whether the address has an account.
    ///
    /// Run after the row is written, so that of two sign-ups at once (a double click) the later
    /// finds the earlier. A repeat of a repeat names the first hash: a repeat keeps the
    /// account's hash when it is recorded (see `take_over_unverified`).
    async fn note_repeat(
        &self,
        pending: &PendingSignup,
        password: &NewPassword,
    ) -> Result<Option<String>, Error> {
        let mut conn = self.store.read().await?;
        let earlier = conn
            .pending_signup_before(&pending.email_norm, pending.id)
            .await?;
        let account = conn.unverified_hash_at(&pending.email_norm).await?;
        drop(conn);
        let (against, repeated) = match earlier {
            Some((hash, repeats)) => (Some(hash), repeats),
            None => (account, None),
        };
        let same = self
            .hasher
            .verify(password.expose(), against.clone())
            .await?;
        let repeats = if same { repeated.or(against) } else { None };
        self.store
            .autocommit()
            .await?
            .set_pending_repeats(pending.id, repeats.as_deref())
            .await?;
        Ok(repeats)
    }

    /// Records the sign-ups that were answered but whose process died before it recorded
    /// them: every few seconds, those answered more than `UNFINISHED_AFTER` ago, leased so
    /// that one process takes each. Runs in `serve` and `worker` until `stop`.
    pub async fn finish_unfinished_signups(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        const EVERY: Duration = Duration::from_secs(5);
        const UNFINISHED_AFTER: Duration = Duration::from_secs(10);
        const LEASE: Duration = Duration::from_secs(60);
        const SWEEP_EVERY: Duration = Duration::from_secs(60);
        let mut last_sweep: Option<Millis> = None;
        while !*stop.borrow() {
            let now = self.clock.now();
            // About once a minute (of the flows' clock), the rows that only count or hold
            // back for a while.
            if last_sweep.is_none_or(|at| now.0 - at.0 >= SWEEP_EVERY.as_millis() as i64) {
                self.sweep_spent_rows(now).await;
                last_sweep = Some(now);
            }
            let claimed = async {
                self.store
                    .autocommit()
                    .await?
                    .claim_unfinished_signups(now - UNFINISHED_AFTER, now, now + LEASE, 20)
                    .await
            }
            .await;
            match claimed {
                Ok(rows) => {
                    for row in rows {
                        let id = row.id;
                        tracing::warn!(signup = %id, "recording a sign-up that was answered by a process that stopped before it recorded it");
                        if let Err(e) = self.record_pending(row).await {
                            tracing::error!(signup = %id, error = %crate::error::Chain(&e), "sign-up: not recorded yet (it is retried)");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %crate::error::Chain(&e), "cannot look for unfinished sign-ups")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Deletes mail cooldowns that ended and wrong codes past their window; a failure is
    /// logged and tried again next time.
    async fn sweep_spent_rows(&self, now: Millis) {
        let swept = async {
            let mut conn = self.store.autocommit().await?;
            conn.sweep_mail_cooldowns(now - self.settings.mail_cooldown)
                .await?;
            conn.sweep_code_failures(now - crate::domain::codes::FAILURE_WINDOW)
                .await
        };
        if let Err(e) = swept.await {
            tracing::warn!(error = %crate::error::Chain(&e), "cannot sweep old cooldowns and wrong codes");
        }
        if let Err(e) = self.delete_stale_signups(now).await {
            tracing::warn!(error = %crate::error::Chain(&e), "cannot delete never-verified sign-ups");
        }
    }

    /// Deletes the accounts made by a sign-up and never verified whose last verification link
    /// has been expired for `LATCHKEY_UNVERIFIED_RETENTION` (contract §4), each with everything
    /// of it and a `user.deleted` event (the host app heard `user.created`); no email: nobody
    /// proved the address. Each in a transaction that checks again, so a verification or a new
    /// sign-up in between keeps the account.
    async fn delete_stale_signups(&self, now: Millis) -> Result<(), Error> {
        let cut = now - self.settings.unverified_retention;
        let stale = self.store.read().await?.stale_signups(cut, 100).await?;
        for user in stale {
            transaction!(self.store, |tx| {
                let still = tx
                    .stale_signups(cut, 100)
                    .await?
                    .into_iter()
                    .any(|u| u.id == user.id);
                if !still || !tx.delete_user(user.id, &user.email_norm).await? {
                    return Ok(());
                }
                let deleted = Event::Deleted {
                    user_id: user.id,
                    email: user.email.clone(),
                };
                self.enqueue_event(tx, deleted, self.clock.now()).await?;
                tracing::info!(user = %user.id, "never-verified sign-up deleted after its retention");
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Read-your-writes (§4: a sign-up is there once it is answered): records sign-ups that
    /// were answered and found still pending, before the caller looks their address up.
    /// Recording is idempotent (the first transaction to take the pending row out records it,
    /// any other finds it gone and records nothing), so this process need not wait for
    /// whichever process answered the sign-up, nor know whether that process still lives: when
    /// this returns, each of them is committed.
    pub(super) async fn settle_signups(&self, pending: Vec<PendingSignup>) -> Result<(), Error> {
        for row in pending {
            self.record_pending(row).await?;
        }
        Ok(())
    }

    /// `settle_signups` for every address: before an operator's listing.
    pub(super) async fn settle_pending_signups(&self) -> Result<(), Error> {
        // Rows live milliseconds; more than this at once is a flood the finisher catches up on.
        const AT_MOST: i64 = 1000;
        let pending = self.store.read().await?.pending_signups(AT_MOST).await?;
        self.settle_signups(pending).await
    }

    /// Records a pending sign-up as read back from its row; a row that cannot be read (it
    /// never should: `register` wrote values it had parsed) is dropped, with an error logged.
    async fn record_pending(&self, row: PendingSignup) -> Result<(), Error> {
        let id = row.id;
        match Answered::from_row(row) {
            Ok(answered) => self.record_answered(&answered).await,
            Err(e) => {
                tracing::error!(signup = %id, error = %crate::error::Chain(&e), "a pending sign-up cannot be read; dropped");
                self.store
                    .autocommit()
                    .await?
                    .take_pending_signup(id)
                    .await
                    .map(drop)
            }
        }
    }

    /// `register`'s work once it is answered. The sign-ups answered before it for the same
    /// address are recorded first, in their order: whether it repeats the password of the one
    /// it follows (`repeats_hash`) is only meaningful in that order.
    pub async fn record_registration(&self, r: &Answered) -> Result<(), Error> {
        let earlier = self
            .store
            .read()
            .await?
            .pending_signups_at(r.email.normalized())
            .await?;
        for row in earlier.into_iter().filter(|row| row.id < r.id) {
            self.record_pending(row).await?;
        }
        self.record_answered(r).await
    }

    /// Records one answered sign-up: takes the pending row out in the transaction that
    /// records it, so that it is recorded once, by whichever process gets there.
    async fn record_answered(&self, r: &Answered) -> Result<(), Error> {
        let password_hash = r.password_hash.as_str();
        // Two sign-ups for one new address race on the unique index; the loser runs again
        // and finds the winner's account.
        for _ in 0..2 {
            let outcome = transaction!(self.store, |tx| {
                if !tx.take_pending_signup(r.id).await? {
                    // Another process recorded it already.
                    return Ok(());
                }
                let now = self.clock.now();
                let existing = tx.user_by_email(r.email.normalized()).await?;
                // An address reserved for an account that changed away from it (until its
                // revert link expires) is that account's: the sign-up is answered alike and
                // creates nothing, and the address is told as it would be for an existing
                // account.
                let reserved = match existing {
                    None => tx.address_reserved_for(r.email.normalized(), now).await?,
                    Some(_) => None,
                };
                match (existing, reserved) {
                    (None, Some((owner, stored))) => {
                        self.reserved_address(tx, owner, stored, now).await
                    }
                    (None, None) => self.create_unverified(tx, r, password_hash, now).await,
                    (Some(user), _) if user.email_verified || user.disabled => {
                        self.already_registered(tx, &user, &r.email, now).await
                    }
                    (Some(user), _) => {
                        self.take_over_unverified(tx, &user, r, password_hash, now)
                            .await
                    }
                }
            });
            match outcome {
                Ok(()) => {
                    return Ok(());
                }
                Err(Error::EmailTaken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Busy)
    }

    async fn create_unverified(
        &self,
        tx: &mut Conn,
        r: &Answered,
        password_hash: &str,
        now: Millis,
    ) -> Result<(), Error> {
        let id = Uuid::now_v7();
        let (email, name) = (&r.email, r.name.as_ref().map(DisplayName::as_str));
        tx.insert_user(&NewUser {
            id,
            email: email.as_str(),
            email_norm: email.normalized(),
            password_hash: Some(password_hash),
            name,
            email_verified: false,
            is_admin: false,
            locale: Some(r.locale),
            now,
        })
        .await?;
        tx.mark_signup_account(id).await?;
        self.enqueue_event(
            tx,
            Event::Created {
                user_id: id,
                email: email.as_str().to_owned(),
                email_verified: false,
            },
            now,
        )
        .await?;
        let return_to = r.return_to.as_ref();
        self.enqueue_verification_with_cooldown(tx, id, email, name, r.locale, return_to, now)
            .await?;
        Ok(())
    }

    async fn already_registered(
        &self,
        tx: &mut Conn,
        user: &User,
        typed: &EmailAddress,
        now: Millis,
    ) -> Result<(), Error> {
        let to = user.email_address();
        debug_assert_eq!(to.normalized(), typed.normalized());
        self.enqueue_with_cooldown(
            tx,
            OutgoingEmail {
                to: &to,
                name: user.name.as_deref(),
                locale: user.locale_or(self.settings.default_locale),
                values: self.already_registered_values(),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// A sign-up for an address reserved for `owner`: the `already_registered` notice goes to
    /// the address as it was stored; nothing else happens.
    async fn reserved_address(
        &self,
        tx: &mut Conn,
        owner: Uuid,
        stored: String,
        now: Millis,
    ) -> Result<(), Error> {
        let default = self.settings.default_locale;
        let (name, locale) = match tx.user_by_id(owner).await? {
            Some(u) => (u.name.clone(), u.locale_or(default)),
            None => (None, default),
        };
        let to = EmailAddress::from_stored(stored);
        self.enqueue_with_cooldown(
            tx,
            OutgoingEmail {
                to: &to,
                name: name.as_deref(),
                // The owner's language: the notice is about their account.
                locale,
                values: self.already_registered_values(),
            },
            now,
        )
        .await?;
        Ok(())
    }

    fn already_registered_values(&self) -> EmailValues {
        EmailValues::AlreadyRegistered(AlreadyRegistered {
            login_url: self.page("login"),
            forgot_url: self.page("forgot-password"),
        })
    }

    async fn take_over_unverified(
        &self,
        tx: &mut Conn,
        user: &User,
        r: &Answered,
        password_hash: &str,
        now: Millis,
    ) -> Result<(), Error> {
        let (email, name) = (&r.email, r.name.as_ref().map(DisplayName::as_str));
        // Another password than the account's contests the address (§4): once verified, it
        // keeps no sign-up's password. A repeat of it (a double submit) does not; an account
        // with no password (an operator's) has nothing to contest.
        let repeat = r.repeats_hash.is_some() && r.repeats_hash == user.password_hash;
        if !repeat && user.password_hash.is_some() {
            tx.mark_contested(user.id).await?;
        }
        // A repeat keeps the stored hash (the same password), so that a repeat of it still
        // finds the hash it names.
        let password_hash = match (&user.password_hash, repeat) {
            (Some(kept), true) => kept.as_str(),
            _ => password_hash,
        };
        // Within the cooldown such a sign-up changes nothing else.
        if !self
            .take_cooldown(tx, EmailKind::Verification, email, now)
            .await?
        {
            return Ok(());
        }
        tx.replace_unverified_signup(user.id, email.as_str(), password_hash, name, r.locale, now)
            .await?;
        // Only the link sent for this sign-up may verify it: whoever squatted the address
        // loses every earlier link along with the password.
        tx.invalidate_link_tokens(user.id, Purpose::VerifyEmail, now)
            .await?;
        let return_to = r.return_to.as_ref();
        self.enqueue_verification(tx, user.id, email, name, r.locale, return_to, now)
            .await
    }

    /// A verification link to `email`, subject to the mail cooldown.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn enqueue_verification_with_cooldown(
        &self,
        tx: &mut Conn,
        user_id: Uuid,
        email: &EmailAddress,
        name: Option<&str>,
        locale: Locale,
        return_to: Option<&ReturnTo>,
        now: Millis,
    ) -> Result<(), Error> {
        if self
            .take_cooldown(tx, EmailKind::Verification, email, now)
            .await?
        {
            self.enqueue_verification(tx, user_id, email, name, locale, return_to, now)
                .await?;
        }
        Ok(())
    }

    /// A verification link (and code) to `email`; the link carries `return_to` when the
    /// sign-up came from the pages with one, so that the page it opens leads back to the app.
    #[allow(clippy::too_many_arguments)]
    async fn enqueue_verification(
        &self,
        tx: &mut Conn,
        user_id: Uuid,
        email: &EmailAddress,
        name: Option<&str>,
        locale: Locale,
        return_to: Option<&ReturnTo>,
        now: Millis,
    ) -> Result<(), Error> {
        let (mut link, code) = self
            .new_link_with_code(tx, Purpose::VerifyEmail, user_id, email.normalized(), now)
            .await?;
        if let Some(return_to) = return_to {
            let encoded: String =
                url::form_urlencoded::byte_serialize(return_to.as_str().as_bytes()).collect();
            link.url = format!("{}&return_to={encoded}", link.url);
        }
        let email = OutgoingEmail {
            to: email,
            name,
            locale,
            values: EmailValues::Verification(Verification { link, code }),
        };
        self.outbox.enqueue(tx, email, now).await
    }

    /// Uses a verification link. Its account becomes verified and every other verification
    /// link of the account stops working.
    pub async fn verify_email(&self, token: &str) -> Result<VerifiedAddress, Error> {
        let hash = LinkToken::hash_presented(token)?;
        // A sign-up answered for the address is there before the link is used (§4): one that
        // contested the address counts even if it came a moment ago.
        let pending = self
            .store
            .read()
            .await?
            .pending_signups_for_link(hash)
            .await?;
        self.settle_signups(pending).await?;
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            // Using the link also stops the account's other verification links.
            let user = tx.use_verification_link(hash, now).await?;
            self.finish_verification(tx, user, Error::TokenInvalid, now)
                .await
        })?;
        Ok(user)
    }

    /// Verifies with the code from the verification email, typed with the address: exactly
    /// what its link does, and it uses that link. Every failure is `code_invalid`.
    pub async fn verify_email_by_code(
        &self,
        email: &EmailAddress,
        code: &str,
    ) -> Result<VerifiedAddress, Error> {
        let code = OneTimeCode::parse(code)?;
        // As for a link; the same lookup for every address.
        let pending = self
            .store
            .read()
            .await?
            .pending_signups_at(email.normalized())
            .await?;
        self.settle_signups(pending).await?;
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let Some(link) = self
                .try_code(tx, email, Purpose::VerifyEmail, &code)
                .await?
            else {
                // Committed: the wrong code counts.
                return Ok(None);
            };
            let user = tx
                .use_verification_link(link, now)
                .await
                .map_err(code_error)?;
            self.finish_verification(tx, user, Error::CodeInvalid, now)
                .await
                .map(Some)
        })?;
        user.ok_or(Error::CodeInvalid)
    }

    /// After a verification link was used in `tx` and its account (if still there) verified.
    /// A contested address keeps no password (§4): it is cleared, every session ends, and a
    /// reset link goes out.
    async fn finish_verification(
        &self,
        tx: &mut Conn,
        verified: Option<Verified>,
        gone: Error,
        now: Millis,
    ) -> Result<VerifiedAddress, Error> {
        let Verified { user, was_verified } = verified.ok_or(gone)?;
        let mut reset_token = None;
        if !was_verified && tx.take_contested(user.id).await? {
            tx.clear_password(user.id, now).await?;
            tx.revoke_user_sessions(user.id, None, now).await?;
            reset_token = Some(self.enqueue_contested_reset(tx, &user, now).await?);
            tracing::info!(user = %user.id, "contested address verified: its password was cleared and a reset link sent");
        }
        // Once per verification (contract §9): a link of an account that a reset, an operator
        // or another link verified already answers as usual and sends no second event.
        if !was_verified {
            self.enqueue_event(
                tx,
                Event::Verified {
                    user_id: user.id,
                    email: user.email.clone(),
                },
                now,
            )
            .await?;
        }
        Ok(VerifiedAddress {
            email: user.email_address(),
            reset_token,
        })
    }

    /// Sends a new verification link to an unverified account; earlier links stay valid. The
    /// answer never says whether the address has an account, and neither does its time: the
    /// lookup and the link are made after the answer, in a task of their own.
    pub async fn resend_verification(self: &Arc<Self>, email: &EmailAddress) -> Result<(), Error> {
        let (flows, email) = (Arc::clone(self), email.clone());
        self.after_answer("resend: the verification link was not queued", async move {
            flows.send_new_verification(&email).await
        });
        Ok(())
    }

    /// How long until a new verification link may go to `email`, when one went within the
    /// mail cooldown (the page says so instead of "on its way"). The cooldown is taken for every
    /// address alike, with or without an account, so this tells nothing about accounts.
    pub async fn resend_wait(&self, email: &EmailAddress) -> Result<Option<Duration>, Error> {
        let cooldown = self.settings.mail_cooldown;
        if cooldown.is_zero() {
            return Ok(None);
        }
        let since = self
            .store
            .read()
            .await?
            .mail_cooldown_since(EmailKind::Verification.as_str(), email.normalized())
            .await?;
        let now = self.clock.now();
        Ok(since
            .map(|at| cooldown.saturating_sub(at.elapsed_at(now)))
            .filter(|left| !left.is_zero()))
    }

    /// `resend_verification`'s work.
    pub async fn send_new_verification(&self, email: &EmailAddress) -> Result<(), Error> {
        let user = self.account_at(email).await?;
        let user = user.filter(|u| !u.email_verified && !u.disabled);
        // The cooldown is taken for every address alike, so that within it the work after the
        // answer is the same write whatever the address (see `send_reset_link`).
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if self
                .take_cooldown(tx, EmailKind::Verification, email, now)
                .await?
                && let Some(user) = &user
            {
                let to = user.email_address();
                let locale = user.locale_or(self.settings.default_locale);
                let name = user.name.as_deref();
                self.enqueue_verification(tx, user.id, &to, name, locale, None, now)
                    .await?;
            }
            Ok(())
        })?;
        Ok(())
    }
}
