//! Sign-in by email (contract §11): a link and a 6-digit code sent to the account's address,
//! either of which signs in without the password. The request answers alike, in equal time,
//! for every address; the code follows the rules of every emailed code (§4). Using it proves
//! the mailbox, so it verifies an unverified address; an account with a second factor goes on
//! to the second-factor step.

use std::sync::Arc;

use super::{Client, Flows, TokenPair, code_error};
use crate::{
    domain::{
        accounts::User,
        codes::OneTimeCode,
        email::EmailAddress,
        second_factor::Method,
        time::Millis,
        tokens::{LinkToken, Purpose, TokenHash},
        webhooks::Event,
    },
    error::Error,
    mail::{
        outbox::OutgoingEmail,
        values::{EmailValues, SignIn},
    },
    storage::{Conn, transaction},
};

impl Flows {
    /// Sends a sign-in link and code if the address has an account (`not_found` when the
    /// deployment turned sign-in by email off). The lookup and everything an account causes
    /// happen after the answer, in a task of their own: the answer and its time are the same
    /// for every address.
    pub async fn request_sign_in(self: &Arc<Self>, email: &EmailAddress) -> Result<(), Error> {
        if !self.settings.sign_in_by_email {
            return Err(Error::NotFound);
        }
        let (flows, email) = (Arc::clone(self), email.clone());
        self.after_answer("sign-in by email: the link was not queued", async move {
            flows.send_sign_in(&email).await
        });
        Ok(())
    }

    /// `request_sign_in`'s work.
    pub async fn send_sign_in(&self, email: &EmailAddress) -> Result<(), Error> {
        let Some(user) = self.account_at(email).await?.filter(|u| !u.disabled) else {
            return Ok(());
        };
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            let to = user.email_address();
            if !self
                .take_cooldown(tx, crate::mail::EmailKind::SignIn, &to, now)
                .await?
            {
                return Ok(());
            }
            let (link, code) = self
                .new_link_with_code(tx, Purpose::SignIn, user.id, &user.email_norm, now)
                .await?;
            let email = OutgoingEmail {
                to: &to,
                name: user.name.as_deref(),
                locale: user.locale_or(self.settings.default_locale),
                values: EmailValues::SignIn(SignIn { link, code }),
            };
            self.outbox.enqueue(tx, email, now).await
        })
    }

    /// Signs in with the link's token.
    pub async fn confirm_sign_in(&self, token: &str, client: &Client) -> Result<TokenPair, Error> {
        self.sign_in_enabled()?;
        let hash = LinkToken::hash_presented(token)?;
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            self.use_sign_in_link(tx, hash, now).await
        })?;
        self.finish_first_factor(&user, Method::Email, client).await
    }

    /// Signs in with the code, typed with the address; every failure is `code_invalid`.
    pub async fn confirm_sign_in_by_code(
        &self,
        email: &EmailAddress,
        code: &str,
        client: &Client,
    ) -> Result<TokenPair, Error> {
        self.sign_in_enabled()?;
        let code = OneTimeCode::parse(code)?;
        let user = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let Some(link) = self.try_code(tx, email, Purpose::SignIn, &code).await? else {
                // Committed: the wrong code counts.
                return Ok(None);
            };
            self.use_sign_in_link(tx, link, now)
                .await
                .map_err(code_error)
                .map(Some)
        })?;
        let user = user.ok_or(Error::CodeInvalid)?;
        self.finish_first_factor(&user, Method::Email, client).await
    }

    fn sign_in_enabled(&self) -> Result<(), Error> {
        if self.settings.sign_in_by_email {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Uses a sign-in link (its account's other sign-in links stop working) and verifies the
    /// address if it was not yet: the link proved the mailbox. A disabled account is refused,
    /// and its link stays unused (the transaction rolls back).
    async fn use_sign_in_link(
        &self,
        tx: &mut Conn,
        hash: TokenHash,
        now: Millis,
    ) -> Result<User, Error> {
        let used = tx
            .use_link_token_superseding(hash, Purpose::SignIn, now)
            .await?;
        let user = tx
            .user_by_id(used.user_id)
            .await?
            .ok_or(Error::TokenInvalid)?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        if user.email_verified {
            return Ok(user);
        }
        let user = tx
            .verify_user_email(user.id, now)
            .await?
            .ok_or(Error::TokenInvalid)?;
        self.enqueue_event(
            tx,
            Event::Verified {
                user_id: user.id,
                email: user.email.clone(),
            },
            now,
        )
        .await?;
        Ok(user)
    }
}
