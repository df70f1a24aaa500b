//! Sign-up, verification, log-in, sessions and the current user.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    domain::{accounts::DisplayName, email::EmailAddress, locale::Locale, password::NewPassword},
    error::Error,
    flows::{Client, Registration, SecondProof, TokenPair},
    http::{
        AppState, NoStore, accept_language,
        problem::ApiJson,
        refresh_cookie::{self, Jar},
        rejection::Refusal,
    },
    views::{
        EmailChangeConfirmed, MfaPasskeyOptions, PasswordChanged, Problem, ResetSent, Reverted,
        SignInSent, Tokens, VerificationSent, Verified,
    },
};

#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// At least 8 characters, at most 1024; common passwords are refused (`weak_password`).
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
    /// At most 200 characters, without control or direction-changing characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
    name: Option<String>,
    /// `en`, `de`, `fr`, `es` or `sv` (a tag like `de-AT` counts as its language); without it
    /// (or empty), the best match of `Accept-Language`, else the deployment's default.
    #[schema(pattern = "^\\s*(([eE][nN]|[dD][eE]|[fF][rR]|[eE][sS]|[sS][vV])([-_][\\s\\S]*)?)?$")]
    locale: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/register", tag = "accounts",
    request_body = RegisterBody,
    responses(
        (status = 202, description = "`verification_sent`, the same whether or not the address has an account", body = VerificationSent),
        (status = 400, description = "`invalid_email`, `weak_password`, `validation_failed`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<VerificationSent>), Error> {
    let registration = Registration {
        email: EmailAddress::parse(&body.email)?,
        password: NewPassword::parse(body.password)?,
        name: DisplayName::parse_optional(body.name.as_deref())?,
        locale: Locale::negotiate(
            body.locale.as_deref(),
            accept_language(&headers),
            s.flows.settings.default_locale,
        )?,
        return_to: None,
    };
    s.flows.register(registration).await?;
    Ok((StatusCode::ACCEPTED, Json(VerificationSent::BODY)))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// The token of the emailed link: 43 base64url characters.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    token: String,
}

/// The fields a link-or-code body may carry, before it is known which shape it is.
#[derive(Deserialize)]
struct ProofFields {
    token: Option<String>,
    email: Option<String>,
    code: Option<String>,
}

/// Which of the two shapes a body is; a message in serde's words for a missing field, so that
/// the problem names it.
enum Proof {
    Link(String),
    Code { email: String, code: String },
}

impl TryFrom<ProofFields> for Proof {
    type Error = &'static str;
    fn try_from(f: ProofFields) -> Result<Self, Self::Error> {
        match (f.token, f.email, f.code) {
            // A body with a token is the link shape; other fields are ignored there, as
            // unknown fields are everywhere.
            (Some(token), _, _) => Ok(Self::Link(token)),
            (None, Some(email), Some(code)) => Ok(Self::Code { email, code }),
            (None, Some(_), None) => Err("missing field `code`"),
            (None, None, Some(_)) => Err("missing field `email`"),
            (None, None, None) => Err("missing field `token`"),
        }
    }
}

/// `{token}` from the link in the verification email, or `{email, code}` with the code from
/// that email.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, try_from = "ProofFields")]
pub enum VerifyBody {
    /// The link's token.
    Link {
        #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
        token: String,
    },
    /// The 6-digit code, with the address it was sent to.
    Code {
        #[schema(format = Email, max_length = 254)]
        email: String,
        #[schema(pattern = "^[0-9]{6}$")]
        code: String,
    },
}

impl TryFrom<ProofFields> for VerifyBody {
    type Error = &'static str;
    fn try_from(f: ProofFields) -> Result<Self, Self::Error> {
        Ok(match Proof::try_from(f)? {
            Proof::Link(token) => Self::Link { token },
            Proof::Code { email, code } => Self::Code { email, code },
        })
    }
}

#[utoipa::path(post, path = "/api/v1/email/verify", tag = "accounts",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "The address is verified; `password_reset_required` when it was contested (signed up more than once with different passwords): no sign-up's password works, and a reset link was sent", body = Verified),
        (status = 400, description = "`token_invalid`; `code_invalid` for a code that is wrong, used, replaced by a newer one, expired, spent by 5 wrong tries, or sent with an address that has no account (one answer for all); `invalid_email`; `validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`token_used`", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_email(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Json<Verified>, Error> {
    let verified = match body {
        VerifyBody::Link { token } => s.flows.verify_email(&token).await?,
        VerifyBody::Code { email, code } => {
            let email = EmailAddress::parse(&email)?;
            s.flows.verify_email_by_code(&email, &code).await?
        }
    };
    Ok(Json(Verified::new(
        verified.email.as_str(),
        verified.password_reset_required(),
    )))
}

#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

#[utoipa::path(post, path = "/api/v1/email/verify/resend", tag = "accounts",
    request_body = EmailBody,
    responses(
        (status = 202, description = "`verification_sent`, the same whether or not the address has an account", body = VerificationSent),
        (status = 400, description = "`invalid_email`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resend_verification(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<(StatusCode, Json<VerificationSent>), Error> {
    let email = EmailAddress::parse(&body.email)?;
    s.flows.resend_verification(&email).await?;
    Ok((StatusCode::ACCEPTED, Json(VerificationSent::BODY)))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    password: String,
}

#[utoipa::path(post, path = "/api/v1/login", tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Access and refresh tokens; with `Latchkey-Refresh: cookie` (and `LATCHKEY_REFRESH_COOKIE=on`) the refresh token is set as the `latchkey_app_refresh` cookie instead of in the body", body = Tokens),
        (status = 400, description = "`invalid_email`, `validation_failed`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`; `mfa_required`: the password was right and the account has a second factor (the problem then carries the step's token and methods for POST /api/v1/login/mfa)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified`, `account_disabled` (only with the right password); `forbidden`: the cookie asked for from an origin that may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie (section 12)")))]
pub async fn login(
    State(s): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, Error> {
    let cookie_mode = refresh_cookie::requested(&s, &headers)?;
    let email = EmailAddress::parse(&body.email)?;
    let tokens = s.flows.login(&email, &body.password, &client).await?;
    Ok(tokens_answer(&s, tokens, cookie_mode.then_some(Jar::App)))
}

/// The tokens, with the refresh token in the body, or in the cookie of `jar`.
pub(super) fn tokens_answer(s: &AppState, tokens: TokenPair, jar: Option<Jar>) -> Response {
    match jar {
        None => NoStore(Json(Tokens::from(tokens))).into_response(),
        Some(jar) => {
            let cookie = refresh_cookie::keep(s, jar, &tokens.refresh_token);
            let body = Tokens::from(tokens).without_refresh_token();
            refresh_cookie::with(NoStore(Json(body)), cookie)
        }
    }
}

/// `{refresh_token}`; `{}` with `Latchkey-Refresh: cookie`, which takes the cookie's.
#[derive(Deserialize, ToSchema)]
pub struct RefreshBody {
    #[schema(nullable = false)]
    refresh_token: Option<String>,
}

impl RefreshBody {
    /// The body's token, required outside the cookie mode.
    fn token(self) -> Result<String, Refusal> {
        self.refresh_token.ok_or_else(|| Refusal::Field {
            field: "refresh_token".into(),
            message: "missing field `refresh_token`".into(),
        })
    }
}

#[utoipa::path(post, path = "/api/v1/token/refresh", tag = "accounts",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is dead from now on. With `Latchkey-Refresh: cookie` the token is the cookie's (the app's, else the pages' session), and its successor is set in the same cookie instead of the body", body = Tokens),
        (status = 400, description = "`validation_failed`: no refresh token in the body (outside the cookie mode)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_refresh_token`; with `\"superseded\": true` when the token was rotated moments ago by a concurrent refresh of the same session (another tab): the session lives on, and the newer token (or cookie) works", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified`; `forbidden`: the cookie used from an origin that may not", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: use and rotate the refresh cookie (section 12)")))]
pub async fn refresh(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, Error> {
    if !refresh_cookie::requested(&s, &headers)? {
        let token = match body.token() {
            Ok(token) => token,
            Err(refusal) => return Ok(refusal.into_response()),
        };
        let tokens = s.flows.refresh(&token).await?;
        return Ok(tokens_answer(&s, tokens, None));
    }
    let Some((token, jar)) = refresh_cookie::presented(&headers) else {
        return Err(Error::InvalidRefreshToken);
    };
    match s.flows.refresh(&token).await {
        Ok(tokens) => Ok(tokens_answer(&s, tokens, Some(jar))),
        // A dead token is of no use to keep; a superseded one was already replaced in the
        // browser's jar by the refresh that won.
        Err(e @ Error::InvalidRefreshToken) => {
            Ok(refresh_cookie::with(e, refresh_cookie::clear(&s, jar)))
        }
        Err(e) => Err(e),
    }
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "accounts",
    request_body = RefreshBody,
    responses(
        (status = 204, description = "The session is ended (an unknown token too); with `Latchkey-Refresh: cookie`, the sessions of the refresh cookies the browser holds end and the cookies are cleared"),
        (status = 400, description = "`validation_failed`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the cookie used from an origin that may not", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: end the refresh cookie's session and clear it (section 12)")))]
pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, Error> {
    if !refresh_cookie::requested(&s, &headers)? {
        let token = match body.token() {
            Ok(token) => token,
            Err(refusal) => return Ok(refusal.into_response()),
        };
        s.flows.logout(&token).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    for token in refresh_cookie::all_presented(&headers) {
        s.flows.logout(&token).await?;
    }
    Ok(refresh_cookie::with(
        StatusCode::NO_CONTENT,
        refresh_cookie::clear_all(&s),
    ))
}

#[utoipa::path(post, path = "/api/v1/password/forgot", tag = "accounts",
    request_body = EmailBody,
    responses(
        (status = 202, description = "`reset_sent`, the same whether or not the address has an account", body = ResetSent),
        (status = 400, description = "`invalid_email`, `validation_failed`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn forgot_password(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<(StatusCode, Json<ResetSent>), Error> {
    let email = EmailAddress::parse(&body.email)?;
    s.flows.forgot_password(&email).await?;
    Ok((StatusCode::ACCEPTED, Json(ResetSent::BODY)))
}

#[derive(Deserialize)]
struct ResetFields {
    #[serde(flatten)]
    proof: ProofFields,
    new_password: String,
}

/// `{token, new_password}` with the token of the link in the reset email, or
/// `{email, code, new_password}` with the code from that email.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, try_from = "ResetFields")]
pub enum ResetBody {
    /// The link's token.
    Link {
        #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
        token: String,
        #[schema(min_length = 8, max_length = 1024)]
        new_password: String,
    },
    /// The 6-digit code, with the address it was sent to.
    Code {
        #[schema(format = Email, max_length = 254)]
        email: String,
        #[schema(pattern = "^[0-9]{6}$")]
        code: String,
        #[schema(min_length = 8, max_length = 1024)]
        new_password: String,
    },
}

impl TryFrom<ResetFields> for ResetBody {
    type Error = &'static str;
    fn try_from(f: ResetFields) -> Result<Self, Self::Error> {
        let new_password = f.new_password;
        Ok(match Proof::try_from(f.proof)? {
            Proof::Link(token) => Self::Link {
                token,
                new_password,
            },
            Proof::Code { email, code } => Self::Code {
                email,
                code,
                new_password,
            },
        })
    }
}

#[utoipa::path(post, path = "/api/v1/password/reset", tag = "accounts",
    request_body = ResetBody,
    responses(
        (status = 200, description = "`password_changed`; every session is revoked and nobody is logged in", body = PasswordChanged),
        (status = 400, description = "`token_invalid`; `code_invalid` for a code that is wrong, used, replaced by a newer one, expired, spent by 5 wrong tries, or sent with an address that has no account (one answer for all); `weak_password` (the link or code stays usable); `invalid_email`; `validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`token_used`", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Json<PasswordChanged>, Error> {
    let reset = match body {
        ResetBody::Link {
            token,
            new_password,
        } => s.flows.reset_password(&token, new_password).await,
        ResetBody::Code {
            email,
            code,
            new_password,
        } => {
            let email = EmailAddress::parse(&email)?;
            s.flows
                .reset_password_by_code(&email, &code, new_password)
                .await
        }
    };
    reset?;
    Ok(Json(PasswordChanged::BODY))
}

#[utoipa::path(post, path = "/api/v1/email/change/confirm", tag = "accounts",
    request_body = TokenBody,
    responses(
        (status = 200, description = "`changed` with the new `email`, or `awaiting_other_confirmation`", body = EmailChangeConfirmed),
        (status = 400, description = "`token_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`token_used`, or `email_taken` when another account got the address first", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_email_change(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<EmailChangeConfirmed>, Error> {
    let outcome = s.flows.confirm_email_change(&body.token).await?;
    Ok(Json(outcome.into()))
}

#[utoipa::path(post, path = "/api/v1/email/change/revert", tag = "accounts",
    request_body = TokenBody,
    responses(
        (status = 200, description = "`reverted` with the restored `email`; every session is revoked and a reset link is sent", body = Reverted),
        (status = 400, description = "`token_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`token_used`, or `email_taken` when the old address was taken meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revert_email_change(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Reverted>, Error> {
    let email = s.flows.revert_email_change(&body.token).await?;
    Ok(Json(Reverted::new(email.as_str())))
}

/// `{mfa_token, code}` or `{mfa_token, passkey}`: the second-factor step of a log-in. `code`
/// is a current code of the authenticator app or one of the recovery codes; `passkey` is the
/// browser's `PublicKeyCredential.toJSON()` answering `POST /api/v1/login/mfa/passkey/options`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, try_from = "MfaFields")]
pub enum MfaBody {
    Code {
        /// From the `mfa_required` answer.
        mfa_token: String,
        /// Six digits from the authenticator app, or a recovery code (`xxxxx-xxxxx`).
        code: String,
    },
    Passkey {
        /// From the `mfa_required` answer.
        mfa_token: String,
        /// What the browser's `PublicKeyCredential.toJSON()` gives.
        #[schema(value_type = Object)]
        passkey: serde_json::Value,
    },
}

/// The members as sent, before one of the two shapes is picked (one message per mistake).
#[derive(Deserialize)]
pub struct MfaFields {
    mfa_token: Option<String>,
    code: Option<String>,
    passkey: Option<serde_json::Value>,
}

impl TryFrom<MfaFields> for MfaBody {
    type Error = &'static str;
    fn try_from(f: MfaFields) -> Result<Self, Self::Error> {
        let mfa_token = f.mfa_token.ok_or("missing field `mfa_token`")?;
        // As with `{token}` beside `{email, code}`, the first shape present is the one read.
        match (f.code, f.passkey) {
            (Some(code), _) => Ok(Self::Code { mfa_token, code }),
            (None, Some(passkey)) => Ok(Self::Passkey { mfa_token, passkey }),
            (None, None) => Err("missing field `code`"),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/login/mfa", tag = "accounts",
    request_body = MfaBody,
    responses(
        (status = 200, description = "Access and refresh tokens; the access token's `amr` ends with `otp` (a code) or `hwk` (a passkey). With `Latchkey-Refresh: cookie` (and `LATCHKEY_REFRESH_COOKIE=on`) the refresh token is set as the `latchkey_app_refresh` cookie instead of in the body", body = Tokens),
        (status = 400, description = "`code_invalid`: a wrong, used or unknown code; `passkey_invalid`: an assertion that does not verify or answers no live options (each counted: 5 end the `mfa_token`, and each counts against the address's log-in limit)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`mfa_token_invalid`: unknown, used, expired (5 minutes) or ended by 5 wrong answers", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`; `forbidden`: the cookie asked for from an origin that may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie (section 12)")))]
pub async fn login_mfa(
    State(s): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MfaBody>,
) -> Result<Response, Error> {
    // Checked before the step is spent: a refused origin uses up nothing.
    let cookie_mode = refresh_cookie::requested(&s, &headers)?;
    let (mfa_token, proof) = match body {
        MfaBody::Code { mfa_token, code } => (mfa_token, SecondProof::Code(code)),
        MfaBody::Passkey { mfa_token, passkey } => (mfa_token, SecondProof::Passkey(passkey)),
    };
    let tokens = s
        .flows
        .login_second_factor(&mfa_token, proof, &client)
        .await?;
    Ok(tokens_answer(&s, tokens, cookie_mode.then_some(Jar::App)))
}

/// `{mfa_token}`: the step whose passkey check starts.
#[derive(Deserialize, ToSchema)]
pub struct MfaTokenBody {
    /// From the `mfa_required` answer.
    mfa_token: String,
}

#[utoipa::path(post, path = "/api/v1/login/mfa/passkey/options", tag = "accounts",
    request_body = MfaTokenBody,
    responses(
        (status = 200, description = "Options for `navigator.credentials.get` offering the account's passkeys (user verification required); the answer goes to `POST /api/v1/login/mfa` as `{mfa_token, passkey}` within 5 minutes, once. Asking again replaces them.", body = MfaPasskeyOptions),
        (status = 401, description = "`mfa_token_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: passkeys are off", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_passkey`: the account has no passkey", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login_mfa_passkey_options(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<MfaTokenBody>,
) -> Result<NoStore<Json<MfaPasskeyOptions>>, Error> {
    let public_key = s
        .flows
        .passkey_second_factor_options(&body.mfa_token)
        .await?;
    Ok(NoStore(Json(MfaPasskeyOptions::new(public_key))))
}

#[utoipa::path(post, path = "/api/v1/login/email", tag = "accounts",
    request_body = EmailBody,
    responses(
        (status = 202, description = "`sign_in_sent`, the same (in the same time) whether or not the address has an account; an account's address gets a `sign_in` email with a link and a code, under the mail cooldown", body = SignInSent),
        (status = 400, description = "`invalid_email`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: sign-in by email is turned off (`LATCHKEY_SIGN_IN_BY_EMAIL=off`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in_by_email(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<(StatusCode, Json<SignInSent>), Error> {
    let email = EmailAddress::parse(&body.email)?;
    s.flows.request_sign_in(&email).await?;
    Ok((StatusCode::ACCEPTED, Json(SignInSent::BODY)))
}

/// `{token}` from the link in the `sign_in` email, or `{email, code}` with its code.
#[derive(Deserialize, ToSchema)]
#[serde(untagged, try_from = "ProofFields")]
pub enum SignInConfirmBody {
    /// The link's token.
    Link {
        #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
        token: String,
    },
    /// The 6-digit code, with the address it was sent to.
    Code {
        #[schema(format = Email, max_length = 254)]
        email: String,
        #[schema(pattern = "^[0-9]{6}$")]
        code: String,
    },
}

impl TryFrom<ProofFields> for SignInConfirmBody {
    type Error = &'static str;
    fn try_from(f: ProofFields) -> Result<Self, Self::Error> {
        Ok(match Proof::try_from(f)? {
            Proof::Link(token) => Self::Link { token },
            Proof::Code { email, code } => Self::Code { email, code },
        })
    }
}

#[utoipa::path(post, path = "/api/v1/login/email/confirm", tag = "accounts",
    request_body = SignInConfirmBody,
    responses(
        (status = 200, description = "Access and refresh tokens (`amr` `[\"email\"]`); an unverified address is verified. With `Latchkey-Refresh: cookie` (and `LATCHKEY_REFRESH_COOKIE=on`) the refresh token is set as the `latchkey_app_refresh` cookie instead of in the body", body = Tokens),
        (status = 400, description = "`token_invalid`; `code_invalid` for every failing code (one answer for all)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`mfa_required` when the account has a second factor (as log-in)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`; `forbidden`: the cookie asked for from an origin that may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: sign-in by email is turned off", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`token_used`", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`token_expired`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie (section 12)")))]
pub async fn confirm_sign_in(
    State(s): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignInConfirmBody>,
) -> Result<Response, Error> {
    // Checked before the link or code is spent.
    let cookie_mode = refresh_cookie::requested(&s, &headers)?;
    let tokens = match body {
        SignInConfirmBody::Link { token } => s.flows.confirm_sign_in(&token, &client).await?,
        SignInConfirmBody::Code { email, code } => {
            let email = EmailAddress::parse(&email)?;
            s.flows
                .confirm_sign_in_by_code(&email, &code, &client)
                .await?
        }
    };
    Ok(tokens_answer(&s, tokens, cookie_mode.then_some(Jar::App)))
}
