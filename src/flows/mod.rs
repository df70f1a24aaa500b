//! The account flows: one place, called alike by the JSON API, the HTML pages and the CLI.
//! Each flow is one or a few transactions; emails are queued inside them, and a commit that
//! queued one wakes the outbox worker (`storage::Conn::commit`): no flow wakes it by hand.

mod admin;
mod dev_seed;
mod email_change;
mod limits;
mod outbox_view;
mod pagination;
mod passkeys;
mod password;
mod profile;
mod second_factor;
mod session;
mod sign_in;
mod signup;

pub use admin::{NewAccount, UserPatch};
pub use dev_seed::SeedUser;
pub use email_change::{ChangeLink, ConfirmOutcome, PendingEmail};
pub use limits::{Client, LimitKey, RateLimiter};
pub use outbox_view::OutboxStatus;
pub use pagination::{Cursor, Page, PageSize};
pub use passkeys::PasskeyOptions;
pub use profile::ProfilePatch;
pub use second_factor::{SecondFactors, SecondProof, TotpEnrolment};
pub use session::{Principal, SessionView, TokenPair};
pub use signup::{Registration, VerifiedAddress};

use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use crate::domain::{
    access::AccessTokens,
    codes::{CodeKeys, FAILURE_WINDOW, MAX_FAILED_ATTEMPTS, MAX_FAILURES_PER_WINDOW, OneTimeCode},
    email::EmailAddress,
    password::PasswordHasher,
    time::{Clock, Millis},
    tokens::{LinkToken, Purpose, TokenHash},
    webhooks::{Event, RevokeReason},
};
use crate::{
    configuration::Settings,
    error::Error,
    mail::{
        EmailKind,
        outbox::{Outbox, OutgoingEmail},
        values::Link,
    },
    storage::{CodeLimits, Conn, NewLinkToken, Store},
};

pub struct Flows {
    pub store: Store,
    /// The one clock every flow reads (tests move it forward instead of sleeping).
    pub clock: Clock,
    pub hasher: PasswordHasher,
    pub access: AccessTokens,
    pub outbox: Outbox,
    pub settings: Arc<Settings>,
    /// Keys the hashes of emailed codes.
    pub codes: CodeKeys,
    /// Seal authenticator secrets and key recovery codes.
    pub factors: crate::domain::second_factor::FactorKeys,
    /// The limits on attempts: the HTTP layer's per-IP ones, and the address-keyed ones the
    /// log-in and every check of a signed-in user's password count themselves.
    pub limiter: RateLimiter,
    /// The WebAuthn relying party; `None` when passkeys are off (an IP address as its id).
    pub relying_party: Option<crate::domain::passkey::RelyingParty>,
    /// The work started after an answer and not ended yet.
    pub after_answer: AfterAnswer,
}

impl Flows {
    /// The account with this address, if any: a read, no write lock, unless a sign-up for
    /// the address was answered and is not recorded yet; then it is recorded first, so that
    /// what a client was answered is what every flow finds (§4).
    async fn account_at(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<crate::domain::accounts::User>, Error> {
        let mut conn = self.store.read().await?;
        let pending = conn.pending_signups_at(email.normalized()).await?;
        if !pending.is_empty() {
            // Not holding a connection meanwhile: recording takes one of its own.
            drop(conn);
            self.settle_signups(pending).await?;
            conn = self.store.read().await?;
        }
        conn.user_by_email(email.normalized()).await
    }

    /// How long links of a purpose live.
    fn ttl(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::VerifyEmail => self.settings.verify_ttl,
            Purpose::ResetPassword => self.settings.reset_ttl,
            Purpose::ConfirmNewEmail | Purpose::ConfirmOldEmail => self.settings.email_change_ttl,
            Purpose::RevertEmailChange => self.settings.revert_ttl,
            Purpose::SignIn => self.settings.sign_in_ttl,
        }
    }

    /// Makes a single-use link token, stores its hash, and returns the link
    /// `{link_base}/{page}?token=T` (contract §5: never built from request headers) with its
    /// lifetime.
    async fn new_link(
        &self,
        tx: &mut Conn,
        purpose: Purpose,
        user_id: Uuid,
        account_email: &str,
        change_id: Option<Uuid>,
        now: Millis,
    ) -> Result<Link, Error> {
        let (link, _) = self
            .new_link_token(tx, purpose, user_id, account_email, change_id, now)
            .await?;
        Ok(link)
    }

    /// `new_link` with a 6-digit code beside it (contract §4): the code replaces the account's
    /// earlier one for the purpose and lives exactly as long as this link.
    async fn new_link_with_code(
        &self,
        tx: &mut Conn,
        purpose: Purpose,
        user_id: Uuid,
        account_email: &str,
        now: Millis,
    ) -> Result<(Link, OneTimeCode), Error> {
        let (link, code, _) = self
            .new_link_with_code_token(tx, purpose, user_id, account_email, now)
            .await?;
        Ok((link, code))
    }

    /// `new_link_with_code` that also returns the link's token, for a page that uses it at
    /// once (a contested verification asks for the new password on the spot).
    async fn new_link_with_code_token(
        &self,
        tx: &mut Conn,
        purpose: Purpose,
        user_id: Uuid,
        account_email: &str,
        now: Millis,
    ) -> Result<(Link, OneTimeCode, LinkToken), Error> {
        let (link, token) = self
            .new_link_token(tx, purpose, user_id, account_email, None, now)
            .await?;
        let code = OneTimeCode::generate()?;
        let code_hash = self.codes.hash(purpose, account_email, &code);
        tx.put_link_code(user_id, purpose, token.hash(), code_hash, now)
            .await?;
        Ok((link, code, token))
    }

    async fn new_link_token(
        &self,
        tx: &mut Conn,
        purpose: Purpose,
        user_id: Uuid,
        account_email: &str,
        change_id: Option<Uuid>,
        now: Millis,
    ) -> Result<(Link, LinkToken), Error> {
        let token = LinkToken::generate()?;
        let ttl = self.ttl(purpose);
        tx.insert_link_token(&NewLinkToken {
            hash: token.hash(),
            user_id,
            purpose,
            account_email,
            change_id,
            now,
            expires_at: now + ttl,
        })
        .await?;
        let url = format!("{}?token={}", self.page(purpose.page()), token.text());
        Ok((Link { url, ttl }, token))
    }

    /// Tries a code typed with an address, in the write transaction in which the code's link
    /// is then used: the link's hash when the code matches. A wrong code is counted, and `None`
    /// returned so that the caller commits the count before it answers `code_invalid`. Every
    /// address takes this same path, with or without an account, so neither the answer nor the
    /// work tells them apart.
    async fn try_code(
        &self,
        tx: &mut Conn,
        email: &EmailAddress,
        purpose: Purpose,
        code: &OneTimeCode,
    ) -> Result<Option<TokenHash>, Error> {
        let candidates = self.codes.candidates(purpose, email.normalized(), code);
        let subject = self.codes.failure_subject(purpose, email.normalized());
        let limits = CodeLimits {
            per_code: MAX_FAILED_ATTEMPTS,
            per_window: MAX_FAILURES_PER_WINDOW,
            window: FAILURE_WINDOW,
        };
        let now = self.clock.now();
        let tried = tx
            .try_link_code(
                email.normalized(),
                purpose,
                &subject,
                candidates,
                limits,
                now,
            )
            .await?;
        Ok(tried.map(|t| t.link))
    }

    /// A page of the link base without a token (log-in, forgot password).
    fn page(&self, page: &str) -> String {
        format!(
            "{}/{page}",
            self.settings.link_base_url.as_str().trim_end_matches('/')
        )
    }

    /// Queues an email unless one of the same kind went to the same address within the cooldown.
    /// Returns whether it was queued.
    async fn enqueue_with_cooldown(
        &self,
        conn: &mut Conn,
        email: OutgoingEmail<'_>,
        now: Millis,
    ) -> Result<bool, Error> {
        if !self
            .take_cooldown(conn, email.kind(), email.to, now)
            .await?
        {
            return Ok(false);
        }
        self.outbox.enqueue(conn, email, now).await?;
        Ok(true)
    }

    /// Queues an account event for the webhook in the caller's transaction (contract §9).
    async fn enqueue_event(&self, conn: &mut Conn, event: Event, now: Millis) -> Result<(), Error> {
        self.outbox.enqueue_event(conn, event, now).await
    }

    /// Queues a `session.revoked` event for each session of `user_id` that the caller's
    /// transaction just ended, so the events commit (or roll back) with the revocation.
    async fn sessions_revoked(
        &self,
        conn: &mut Conn,
        user_id: Uuid,
        session_ids: Vec<Uuid>,
        reason: RevokeReason,
        now: Millis,
    ) -> Result<(), Error> {
        for session_id in session_ids {
            let event = Event::SessionRevoked {
                user_id,
                session_id,
                reason,
            };
            self.enqueue_event(conn, event, now).await?;
        }
        Ok(())
    }

    /// Records an email of `kind` to `to` now, unless one went within the cooldown (then false).
    async fn take_cooldown(
        &self,
        conn: &mut Conn,
        kind: EmailKind,
        to: &EmailAddress,
        now: Millis,
    ) -> Result<bool, Error> {
        let free = conn
            .take_mail_cooldown(
                kind.as_str(),
                to.normalized(),
                now,
                self.settings.mail_cooldown,
            )
            .await?;
        if !free {
            tracing::debug!(%kind, "mail cooldown: not sending");
        }
        Ok(free)
    }
}

/// A link that a right code could not use (used, superseded, expired, address changed) makes
/// the code dead: `code_invalid`, whatever the link's own answer would be.
fn code_error(e: Error) -> Error {
    match e {
        Error::TokenInvalid | Error::TokenUsed | Error::TokenExpired => Error::CodeInvalid,
        other => other,
    }
}

/// The work the flows run after their answer (`Flows::after_answer`) that has not ended yet: a
/// graceful stop waits for it, so that a SIGTERM right after a 202 does not drop the email
/// that answer promised (a reset or resend has no row until its task commits).
#[derive(Clone, Default)]
pub struct AfterAnswer(Arc<tokio::sync::watch::Sender<usize>>);

impl AfterAnswer {
    /// Waits until every task started so far has ended, at most `within`; false if some had
    /// not. Tasks started meanwhile are waited for too.
    pub async fn finished(&self, within: Duration) -> bool {
        let mut running = self.0.subscribe();
        tokio::time::timeout(within, running.wait_for(|n| *n == 0))
            .await
            .is_ok()
    }

    /// How many tasks are running.
    pub fn running(&self) -> usize {
        *self.0.borrow()
    }

    fn spawn(
        &self,
        what: &'static str,
        work: impl Future<Output = Result<(), Error>> + Send + 'static,
    ) {
        self.0.send_modify(|n| *n += 1);
        // Counted down when the task ends, however it ends (a panic included).
        let counted = Counted(Arc::clone(&self.0));
        tokio::spawn(async move {
            let _counted = counted;
            if let Err(e) = work.await {
                tracing::error!(error = %crate::error::Chain(&e), "{what}");
            }
        });
    }
}

struct Counted(Arc<tokio::sync::watch::Sender<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Flows {
    /// Runs a flow's work after its answer, in a task of its own, and logs its failure once:
    /// for the flows whose answer (and its time) must not tell whether an address has an
    /// account. A graceful stop waits for it (`AfterAnswer::finished`).
    fn after_answer(
        &self,
        what: &'static str,
        work: impl Future<Output = Result<(), Error>> + Send + 'static,
    ) {
        self.after_answer.spawn(what, work);
    }
}
