//! What the service shows of its data: every JSON body the API answers with, one type each,
//! with the schema the OpenAPI document is generated from (`http::api::openapi`). The API
//! handlers return these types, so the document describes exactly what is served; the CLI
//! (`latchkey outbox --json`) and the pages use the same ones.
//!
//! It sits above the flows and below `http` and `cli`: it imports the domain, the storage rows
//! and the flows' results, and nothing that imports it.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{accounts::User, locale::Locale, time::Millis},
    flows::{
        ConfirmOutcome, PasskeyOptions, PendingEmail as PendingChange, SecondFactors, SessionView,
        TokenPair, TotpEnrolment,
    },
    storage::{OutboxEntry, PasskeyInfo},
};

/// A body `{"status": "<value>"}` whose status is one fixed word, with a schema that allows
/// exactly that word (so that an answer with another one is drift).
macro_rules! status_body {
    ($(#[$doc:meta])* $name:ident, $status:ident :: $variant:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, ToSchema)]
        pub struct $name {
            #[schema(inline)]
            status: $status,
        }

        #[derive(Debug, Clone, Copy, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $status {
            $variant,
        }

        impl $name {
            pub const BODY: Self = Self {
                status: $status::$variant,
            };
        }
    };
}

status_body!(
    /// `{"status": "verification_sent"}`: the same whether or not the address has an account.
    VerificationSent,
    VerificationSentStatus::VerificationSent
);
status_body!(
    /// `{"status": "sign_in_sent"}`: the same whether or not the address has an account.
    SignInSent,
    SignInSentStatus::SignInSent
);
status_body!(
    /// `{"status": "reset_sent"}`: the same whether or not the address has an account.
    ResetSent,
    ResetSentStatus::ResetSent
);
status_body!(
    /// `{"status": "password_changed"}`.
    PasswordChanged,
    PasswordChangedStatus::PasswordChanged
);
status_body!(
    /// `{"status": "confirmation_sent"}`: the same whether or not the new address is free.
    ConfirmationSent,
    ConfirmationSentStatus::ConfirmationSent
);

/// `{"status": "verified", "email": "..."}`, with `"password_reset_required": true` when the
/// address was contested.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verified {
    #[schema(inline)]
    status: VerifiedStatus,
    /// The verified address.
    email: String,
    /// Present (and true) when the address had been signed up more than once with different
    /// passwords: no password set at sign-up works, and a password reset link was sent to the
    /// address.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    password_reset_required: bool,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedStatus {
    Verified,
}

impl Verified {
    pub fn new(email: impl Into<String>, password_reset_required: bool) -> Self {
        Self {
            status: VerifiedStatus::Verified,
            email: email.into(),
            password_reset_required,
        }
    }
}

/// `{"status": "reverted", "email": OLD}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reverted {
    #[schema(inline)]
    status: RevertedStatus,
    /// The restored address.
    email: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevertedStatus {
    Reverted,
}

impl Reverted {
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            status: RevertedStatus::Reverted,
            email: email.into(),
        }
    }
}

/// What a confirmation link did: `{"status": "changed", "email": NEW}` when the change applied,
/// `{"status": "awaiting_other_confirmation"}` while the other address has not confirmed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EmailChangeConfirmed {
    Changed {
        /// The account's address from now on.
        email: String,
    },
    AwaitingOtherConfirmation,
}

impl From<ConfirmOutcome> for EmailChangeConfirmed {
    fn from(outcome: ConfirmOutcome) -> Self {
        match outcome {
            ConfirmOutcome::Changed(email) => Self::Changed {
                email: email.as_str().to_owned(),
            },
            ConfirmOutcome::AwaitingOtherConfirmation => Self::AwaitingOtherConfirmation,
        }
    }
}

/// Access and refresh tokens (log-in and refresh).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tokens {
    /// A JWT for `Authorization: Bearer`.
    access_token: String,
    #[schema(inline)]
    token_type: TokenType,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// Single-use: each refresh returns a new one. Absent when the request asked for the
    /// refresh cookie (`Latchkey-Refresh: cookie`): the token is then in that cookie only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    refresh_token: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

impl From<TokenPair> for Tokens {
    fn from(t: TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            token_type: TokenType::Bearer,
            expires_in: t.expires_in,
            refresh_token: Some(t.refresh_token),
        }
    }
}

impl Tokens {
    /// The answer when the refresh token went into the cookie instead.
    pub fn without_refresh_token(mut self) -> Self {
        self.refresh_token = None;
        self
    }
}

/// The signed-in user (`GET` and `PATCH /api/v1/me`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    id: Uuid,
    email: String,
    email_verified: bool,
    #[schema(required = true)]
    name: Option<String>,
    /// The language of the user's emails and pages; null: the deployment's default.
    #[schema(required = true)]
    locale: Option<Locale>,
    is_admin: bool,
    created_at: Millis,
    /// Null, or the change of address waiting for confirmation.
    #[schema(required = true)]
    pending_email: Option<PendingEmail>,
    /// The account's second factors.
    mfa: Mfa,
}

/// Which second factors an account has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mfa {
    /// An authenticator app is active.
    totp: bool,
    /// How many passkeys are registered.
    passkeys: i64,
    /// Recovery codes not used yet.
    recovery_codes_left: i64,
}

impl From<SecondFactors> for Mfa {
    fn from(f: SecondFactors) -> Self {
        Self {
            totp: f.totp,
            passkeys: f.passkeys,
            recovery_codes_left: f.recovery_codes_left,
        }
    }
}

/// An authenticator app waiting for its first code (`POST /me/mfa/totp`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TotpSetup {
    /// The shared secret in base32, for typing into an app by hand.
    secret: String,
    /// `otpauth://totp/ISSUER:ADDRESS?secret=…&issuer=…`: what the QR code holds.
    otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    qr_svg: String,
}

impl From<TotpEnrolment> for TotpSetup {
    fn from(e: TotpEnrolment) -> Self {
        Self {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_svg: e.qr_svg,
        }
    }
}

/// A new set of recovery codes, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// 10 codes (`xxxxx-xxxxx`), each usable once in place of an authenticator code.
    recovery_codes: Vec<String>,
}

impl RecoveryCodes {
    pub fn new(recovery_codes: Vec<String>) -> Self {
        Self { recovery_codes }
    }
}

impl Me {
    pub fn new(user: &User, pending: Option<PendingChange>, mfa: SecondFactors) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            email_verified: user.email_verified,
            name: user.name.clone(),
            locale: user.locale.as_deref().and_then(Locale::from_tag),
            is_admin: user.is_admin,
            created_at: user.created_at,
            pending_email: pending.map(PendingEmail::from),
            mfa: Mfa::from(mfa),
        }
    }
}

/// A change of address waiting for its confirmations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingEmail {
    /// The new address.
    email: String,
    /// When its links stop working.
    expires_at: Millis,
    /// The new address has confirmed.
    new_confirmed: bool,
    /// The current address has confirmed (always false while that is not required).
    old_confirmed: bool,
}

impl From<PendingChange> for PendingEmail {
    fn from(p: PendingChange) -> Self {
        Self {
            email: p.email,
            expires_at: p.expires_at,
            new_confirmed: p.new_confirmed,
            old_confirmed: p.old_confirmed,
        }
    }
}

/// One live session (`GET /api/v1/me/sessions`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    id: Uuid,
    created_at: Millis,
    /// The last log-in or refresh.
    last_used_at: Millis,
    #[schema(required = true)]
    user_agent: Option<String>,
    /// Where the session began, roughly: the client's address with its host part masked
    /// (`203.0.113.x`, or an IPv6 /48 such as `2001:db8:85a3::/48`); null for sessions begun
    /// before Latchkey kept it.
    #[schema(required = true, example = "203.0.113.x")]
    ip_hint: Option<String>,
    /// The session of the access token making this request.
    current: bool,
}

impl From<SessionView> for Session {
    fn from(s: SessionView) -> Self {
        Self {
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
            ip_hint: s.ip_hint,
            current: s.current,
        }
    }
}

/// A user as administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminUser {
    id: Uuid,
    email: String,
    email_verified: bool,
    #[schema(required = true)]
    name: Option<String>,
    is_admin: bool,
    disabled: bool,
    /// False for a user made without a password: they log in only after a reset.
    has_password: bool,
    created_at: Millis,
    updated_at: Millis,
}

impl From<User> for AdminUser {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            email_verified: u.email_verified,
            name: u.name,
            is_admin: u.is_admin,
            disabled: u.disabled,
            has_password: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// An outbox message (an email or a webhook delivery): never its body, link or token.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    id: Uuid,
    /// The email kind, or the event type of a webhook delivery.
    kind: String,
    /// The address, or the webhook URL.
    to: String,
    /// `queued` (not tried yet), `retrying` (tried, tried again at `next_attempt_at`), `sent`,
    /// `dead` (retries ran out).
    #[schema(pattern = "^(queued|retrying|sent|dead)$")]
    status: String,
    attempts: i64,
    #[schema(required = true)]
    last_error: Option<String>,
    created_at: Millis,
    /// Null once sent or dead.
    #[schema(required = true)]
    next_attempt_at: Option<Millis>,
    /// Null until sent.
    #[schema(required = true)]
    sent_at: Option<Millis>,
}

impl From<OutboxEntry> for OutboxMessage {
    fn from(m: OutboxEntry) -> Self {
        let waiting = m.status.waiting();
        Self {
            id: m.id,
            kind: m.kind.to_string(),
            to: m.recipient,
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            next_attempt_at: waiting.then_some(m.next_attempt_at),
            sent_at: m.sent_at,
        }
    }
}

/// A page of outbox messages, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxList {
    pub messages: Vec<OutboxMessage>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `application/problem+json` (RFC 9457), the body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:latchkey:problem:CODE`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    kind: String,
    /// The HTTP status's reason phrase.
    title: String,
    status: u16,
    /// The machine-readable code, like `invalid_credentials`.
    code: String,
    /// What went wrong, in words for a person.
    detail: String,
    /// Present on validation errors: one entry per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    errors: Option<Vec<ProblemField>>,
    /// With `mfa_required` only: the opaque, single-use token of the second-factor step
    /// (valid 5 minutes), for `POST /api/v1/login/mfa`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    mfa_token: Option<String>,
    /// With `mfa_required` only: how the step may be finished (`totp`, `recovery_code`,
    /// `passkey`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    methods: Option<Vec<String>>,
    /// Present (true) on an `invalid_refresh_token` whose token was rotated out moments ago by
    /// a concurrent refresh: the session is not over, another tab holds its newer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    superseded: Option<bool>,
}

impl Problem {
    pub fn new(status: u16, title: &str, code: &str, detail: String) -> Self {
        Self {
            kind: format!("urn:latchkey:problem:{code}"),
            title: title.to_owned(),
            status,
            code: code.to_owned(),
            detail,
            errors: None,
            mfa_token: None,
            methods: None,
            superseded: None,
        }
    }

    /// The refresh token lost a race with a concurrent refresh of the same session.
    pub fn superseded(mut self) -> Self {
        self.superseded = Some(true);
        self
    }

    /// The second-factor step of a log-in (`mfa_required`).
    pub fn with_mfa(mut self, token: &str, methods: Vec<String>) -> Self {
        self.mfa_token = Some(token.to_owned());
        self.methods = Some(methods);
        self
    }

    /// The problem is about one field of the request.
    pub fn with_error(mut self, field: &str, code: &str, message: String) -> Self {
        self.errors = Some(vec![ProblemField {
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        }]);
        self
    }
}

/// One field of a request that was not acceptable.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field as the request named it (empty for the body as a whole).
    field: String,
    code: String,
    message: String,
}

/// One passkey of the signed-in user (`GET /api/v1/me/passkeys`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Passkey {
    id: Uuid,
    name: String,
    created_at: Millis,
    /// The last sign-in or second-factor check with it; null until then.
    #[schema(required = true)]
    last_used_at: Option<Millis>,
}

impl From<PasskeyInfo> for Passkey {
    fn from(p: PasskeyInfo) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// The start of a WebAuthn ceremony: `publicKey` is the JSON form of
/// `PublicKeyCredentialCreationOptions` or `PublicKeyCredentialRequestOptions` (binary fields
/// as base64url), as `PublicKeyCredential.parseCreationOptionsFromJSON` and
/// `parseRequestOptionsFromJSON` read it; the answer names `challenge_id`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasskeyChallenge {
    challenge_id: String,
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: serde_json::Value,
}

/// The passkey check of a second-factor step: `publicKey` is the JSON form of
/// `PublicKeyCredentialRequestOptions`; no id, the `mfa_token` names the step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MfaPasskeyOptions {
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: serde_json::Value,
}

impl MfaPasskeyOptions {
    pub fn new(public_key: serde_json::Value) -> Self {
        Self { public_key }
    }
}

impl From<PasskeyOptions> for PasskeyChallenge {
    fn from(o: PasskeyOptions) -> Self {
        Self {
            challenge_id: o.challenge_id,
            public_key: o.public_key,
        }
    }
}
