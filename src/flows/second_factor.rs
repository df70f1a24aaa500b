//! Second factors (contract §11): the authenticator app and its recovery codes, the
//! second-factor step of every sign-in that starts with a password or an emailed link, and
//! their removal by an operator.
//!
//! The step is shared by every first factor and every second one: a first factor that
//! succeeded calls `finish_first_factor`, which either starts the session or answers
//! `mfa_required` with a token kept (hashed) in the database, so any node finishes it;
//! `login_second_factor` takes that token with a `SecondProof`. A new kind of proof (a passkey
//! assertion) is one more variant there and one more `SecondFactor` in `methods`.

use uuid::Uuid;

use super::{Client, Flows, Principal, TokenPair};
use crate::{
    domain::{
        accounts::User,
        second_factor::{
            Amr, Authenticator, MFA_TOKEN_MAX_FAILURES, MFA_TOKEN_TTL, Method, MfaChallenge,
            RECOVERY_CODES, RecoveryCode, SecondFactor, TotpSecret, digits_of, mfa_token_hash,
            new_mfa_token,
        },
        time::Millis,
        webhooks::Event,
    },
    error::Error,
    mail::{
        outbox::OutgoingEmail,
        values::{EmailValues, SecurityMethod},
    },
    storage::{Conn, FactorSummary, MfaTokenRow, transaction},
};

/// What finishes the second-factor step.
#[derive(Debug)]
pub enum SecondProof {
    /// A code from the authenticator app, or a recovery code.
    Code(String),
    /// A passkey's assertion (`PublicKeyCredential.toJSON()`) answering the options of
    /// `passkey_second_factor_options` for the same `mfa_token`.
    Passkey(serde_json::Value),
}

/// An enrolment waiting for its first code: what the app needs.
pub struct TotpEnrolment {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// The second factors an account has (`GET /me`'s `mfa`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondFactors {
    pub totp: bool,
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl SecondFactors {
    fn of(summary: FactorSummary) -> Self {
        Self {
            totp: summary.totp,
            passkeys: summary.passkeys,
            recovery_codes_left: summary.recovery_codes_left,
        }
    }

    /// Whether a sign-in must pass the second-factor step.
    pub fn any(&self) -> bool {
        self.totp || self.passkeys > 0
    }

    /// The `methods` of `mfa_required`.
    fn methods(&self) -> Vec<SecondFactor> {
        let mut methods = Vec::new();
        if self.totp {
            methods.push(SecondFactor::Totp);
        }
        if self.recovery_codes_left > 0 {
            methods.push(SecondFactor::RecoveryCode);
        }
        if self.passkeys > 0 {
            methods.push(SecondFactor::Passkey);
        }
        methods
    }
}

/// Which change a notice email tells of.
#[derive(Debug, Clone, Copy)]
pub(super) enum Change {
    Added(&'static str),
    Removed(&'static str),
}

impl Flows {
    /// The account's second factors. With passkeys off (no relying party) its passkeys cannot
    /// be used, so they neither count nor are asked for: the password alone, or the app.
    pub async fn second_factors(&self, user_id: Uuid) -> Result<SecondFactors, Error> {
        let summary = self.store.read().await?.factor_summary(user_id).await?;
        let mut factors = SecondFactors::of(summary);
        if self.relying_party.is_none() {
            factors.passkeys = 0;
        }
        Ok(factors)
    }

    /// A live `mfa_token`: its hash, row and account; `mfa_token_invalid` otherwise.
    pub(super) async fn live_mfa_step(
        &self,
        mfa_token: &str,
    ) -> Result<([u8; 32], MfaTokenRow, User), Error> {
        let hash = mfa_token_hash(mfa_token).ok_or(Error::MfaTokenInvalid)?;
        let mut read = self.store.read().await?;
        let row = read.mfa_token(&hash).await?.ok_or(Error::MfaTokenInvalid)?;
        let now = self.clock.now();
        if row.used_at.is_some() || row.expires_at <= now || row.failures >= MFA_TOKEN_MAX_FAILURES
        {
            return Err(Error::MfaTokenInvalid);
        }
        let user = read
            .user_by_id(row.user_id)
            .await?
            .ok_or(Error::MfaTokenInvalid)?;
        Ok((hash, row, user))
    }

    /// After a first factor succeeded for `user` (in good standing): the session, or
    /// `mfa_required` when the account has a second factor.
    pub(super) async fn finish_first_factor(
        &self,
        user: &User,
        first: Method,
        client: &Client,
    ) -> Result<TokenPair, Error> {
        let factors = self.second_factors(user.id).await?;
        if !factors.any() {
            return self.start_session(user, client, &Amr::one(first)).await;
        }
        let (token, hash) = new_mfa_token()?;
        let now = self.clock.now();
        self.store
            .autocommit()
            .await?
            .insert_mfa_token(&hash, user.id, first.as_str(), now, now + MFA_TOKEN_TTL)
            .await?;
        Err(Error::MfaRequired(MfaChallenge::new(
            token,
            factors.methods(),
        )))
    }

    /// The second-factor step: the tokens for a live `mfa_token` and a right proof. A wrong
    /// code is counted against the token (5 kill it) and, like every try, against the log-in
    /// limit of the account's address.
    pub async fn login_second_factor(
        &self,
        mfa_token: &str,
        proof: SecondProof,
        client: &Client,
    ) -> Result<TokenPair, Error> {
        let (hash, row, user) = self.live_mfa_step(mfa_token).await?;
        self.limiter
            .log_in_attempt(client, &user.email_address())
            .await?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        let first = Method::parse(&row.first_factor).unwrap_or(Method::Password);
        let second = match proof {
            SecondProof::Code(code) => {
                self.second_factor_code(&hash, &user, &code).await?;
                Method::Otp
            }
            SecondProof::Passkey(credential) => {
                self.second_factor_passkey(&hash, &user, &credential)
                    .await?;
                Method::Passkey
            }
        };
        self.start_session(&user, client, &Amr::one(first).then(second))
            .await
    }

    /// The step finished by a code: `code_invalid` (counted against the token) unless right.
    async fn second_factor_code(
        &self,
        hash: &[u8; 32],
        user: &User,
        code: &str,
    ) -> Result<(), Error> {
        let accepted = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let right = self.use_code(tx, user, code, now).await?;
            if !right {
                // Committed: the wrong code counts.
                tx.fail_mfa_token(hash).await?;
                return Ok(false);
            }
            // The token's own use decides a race: of two nodes with right codes, one wins
            // (the loser's transaction rolls back, its code unused).
            if !tx.use_mfa_token(hash, MFA_TOKEN_MAX_FAILURES, now).await? {
                return Err(Error::MfaTokenInvalid);
            }
            Ok(true)
        })?;
        if accepted {
            Ok(())
        } else {
            Err(Error::CodeInvalid)
        }
    }

    /// Uses a code of the account's app (6 digits) or one of its recovery codes, in `tx`:
    /// whether it was right (and is now spent).
    async fn use_code(
        &self,
        tx: &mut Conn,
        user: &User,
        code: &str,
        now: Millis,
    ) -> Result<bool, Error> {
        if let Some(digits) = digits_of(code) {
            let Some(app) = tx.totp_of(user.id).await? else {
                return Ok(false);
            };
            if app.confirmed_at.is_none() {
                return Ok(false);
            }
            let secret = self.factors.open(&app.secret_sealed, user.id)?;
            let checker = Authenticator::new(&secret, &self.settings.product_name, &user.email)?;
            return match checker.accepts(&digits, now, app.last_step) {
                Some(step) => tx.take_totp_step(user.id, step, false, now).await,
                None => Ok(false),
            };
        }
        match RecoveryCode::parse(code) {
            Some(code) => {
                let candidates = self.factors.recovery_candidates(user.id, &code);
                tx.use_recovery_code(user.id, candidates, now).await
            }
            None => Ok(false),
        }
    }

    /// Starts an enrolment of an authenticator app (after the password): nothing is active
    /// until `confirm_totp`. A new start replaces an unconfirmed one.
    pub async fn start_totp(
        &self,
        principal: &Principal,
        password: &str,
        client: &Client,
    ) -> Result<TotpEnrolment, Error> {
        let user = &principal.user;
        let attempt = self.count_password_attempt(client, user).await?;
        self.verify_own_password(attempt, password).await?;
        let secret = TotpSecret::generate()?;
        let sealed = self.factors.seal(&secret, user.id)?;
        let stored = self
            .store
            .autocommit()
            .await?
            .put_pending_totp(user.id, &sealed, self.clock.now())
            .await?;
        if !stored {
            return Err(Error::MfaAlreadyEnabled);
        }
        let app = Authenticator::new(&secret, &self.settings.product_name, &user.email)?;
        Ok(TotpEnrolment {
            secret: secret.base32(),
            otpauth_uri: app.otpauth_uri()?,
            qr_svg: app.qr_svg()?,
        })
    }

    /// Confirms an enrolment with a current code: the app is active from now on, and the
    /// answer is a new set of recovery codes (shown this once).
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<Vec<String>, Error> {
        let user = &principal.user;
        let codes = transaction!(self.store, |tx| {
            let now = self.clock.now();
            let app = tx.totp_of(user.id).await?;
            let Some(app) = app.filter(|a| a.confirmed_at.is_none()) else {
                return Err(Error::NoPendingTotp);
            };
            let secret = self.factors.open(&app.secret_sealed, user.id)?;
            let checker = Authenticator::new(&secret, &self.settings.product_name, &user.email)?;
            let Some(step) = digits_of(code).and_then(|d| checker.accepts(&d, now, app.last_step))
            else {
                return Ok(None);
            };
            if !tx.take_totp_step(user.id, step, true, now).await? {
                return Ok(None);
            }
            let codes = self.new_recovery_codes_in(tx, user.id).await?;
            self.tell_factor_change(tx, user, Change::Added("totp"), now)
                .await?;
            Ok(Some(codes))
        })?;
        codes.ok_or(Error::CodeInvalid)
    }

    /// Turns the authenticator app off (after the password), with its recovery codes.
    pub async fn remove_totp(
        &self,
        principal: &Principal,
        password: &str,
        client: &Client,
    ) -> Result<(), Error> {
        let user = &principal.user;
        let attempt = self.count_password_attempt(client, user).await?;
        self.verify_own_password(attempt, password).await?;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if !tx.delete_totp(user.id).await? {
                return Err(Error::NotFound);
            }
            self.tell_factor_change(tx, user, Change::Removed("totp"), now)
                .await
        })
    }

    /// A new set of recovery codes (after the password); the old set stops working.
    pub async fn renew_recovery_codes(
        &self,
        principal: &Principal,
        password: &str,
        client: &Client,
    ) -> Result<Vec<String>, Error> {
        let user = &principal.user;
        let attempt = self.count_password_attempt(client, user).await?;
        self.verify_own_password(attempt, password).await?;
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            if !SecondFactors::of(tx.factor_summary(user.id).await?).any() {
                return Err(Error::MfaNotEnabled);
            }
            let codes = self.new_recovery_codes_in(tx, user.id).await?;
            self.tell_factor_change(tx, user, Change::Added("recovery_codes"), now)
                .await?;
            Ok(codes)
        })
    }

    /// An operator removes every second factor of an account whose owner lost them (admin
    /// API, `latchkey user reset-mfa`); the owner is told. `not_found` for an unknown id.
    pub async fn reset_second_factors(&self, user_id: Uuid) -> Result<bool, Error> {
        transaction!(self.store, |tx| {
            let now = self.clock.now();
            let user = tx.user_by_id(user_id).await?.ok_or(Error::NotFound)?;
            let had = SecondFactors::of(tx.factor_summary(user.id).await?).any();
            tx.delete_second_factors(user.id).await?;
            if had {
                self.tell_factor_change(tx, &user, Change::Removed("all"), now)
                    .await?;
            }
            Ok(had)
        })
    }

    async fn new_recovery_codes_in(
        &self,
        tx: &mut Conn,
        user_id: Uuid,
    ) -> Result<Vec<String>, Error> {
        let codes = (0..RECOVERY_CODES)
            .map(|_| RecoveryCode::generate())
            .collect::<Result<Vec<_>, _>>()?;
        let hashes: Vec<_> = codes
            .iter()
            .map(|c| self.factors.recovery_hash(user_id, c))
            .collect();
        tx.replace_recovery_codes(user_id, &hashes).await?;
        Ok(codes.iter().map(RecoveryCode::display).collect())
    }

    /// The notice to the account's address and the `user.mfa_changed` event, in `tx`.
    pub(super) async fn tell_factor_change(
        &self,
        tx: &mut Conn,
        user: &User,
        change: Change,
        now: Millis,
    ) -> Result<(), Error> {
        let factors = SecondFactors::of(tx.factor_summary(user.id).await?);
        self.enqueue_event(
            tx,
            Event::MfaChanged {
                user_id: user.id,
                totp: factors.totp,
                passkeys: factors.passkeys,
            },
            now,
        )
        .await?;
        let values = |method: &str| SecurityMethod {
            method: method.to_owned(),
            account_url: self.page("account"),
        };
        let to = user.email_address();
        let notice = OutgoingEmail {
            to: &to,
            name: user.name.as_deref(),
            locale: user.locale_or(self.settings.default_locale),
            values: match change {
                Change::Added(m) => EmailValues::SecurityMethodAdded(values(m)),
                Change::Removed(m) => EmailValues::SecurityMethodRemoved(values(m)),
            },
        };
        self.outbox.enqueue(tx, notice, now).await
    }
}
