//! Sign-up, verification, log-in, sessions and the current user.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    domain::{
        accounts::DisplayName,
        email::EmailAddress,
        flows::{ConfirmOutcome, Registration, TokenPair},
        password::NewPassword,
    },
    error::Error,
    http::{AppState, problem::ApiJson, user_agent},
};

#[derive(Deserialize)]
pub struct RegisterBody {
    email: String,
    password: String,
    name: Option<String>,
}

pub async fn register(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<impl IntoResponse, Error> {
    let registration = Registration {
        email: EmailAddress::parse_field(&body.email, "email")?,
        password: NewPassword::parse(body.password)?,
        name: DisplayName::parse_optional(body.name.as_deref())?,
    };
    s.flows.register(registration).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "verification_sent"})),
    ))
}

#[derive(Deserialize)]
pub struct TokenBody {
    token: String,
}

pub async fn verify_email(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Value>, Error> {
    let email = s.flows.verify_email(&body.token).await?;
    Ok(Json(json!({"status": "verified", "email": email.as_str()})))
}

#[derive(Deserialize)]
pub struct EmailBody {
    email: String,
}

pub async fn resend_verification(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<impl IntoResponse, Error> {
    let email = EmailAddress::parse_field(&body.email, "email")?;
    s.flows.resend_verification(&email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "verification_sent"})),
    ))
}

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokensResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
}

impl From<TokenPair> for TokensResponse {
    fn from(t: TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
        }
    }
}

pub async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<TokensResponse>, Error> {
    let email = EmailAddress::parse_field(&body.email, "email")?;
    let tokens = s
        .flows
        .login(&email, &body.password, user_agent(&headers))
        .await?;
    Ok(Json(tokens.into()))
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Json<TokensResponse>, Error> {
    Ok(Json(s.flows.refresh(&body.refresh_token).await?.into()))
}

pub async fn logout(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<StatusCode, Error> {
    s.flows.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn forgot_password(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<impl IntoResponse, Error> {
    let email = EmailAddress::parse_field(&body.email, "email")?;
    s.flows.forgot_password(&email).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "reset_sent"}))))
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: String,
    new_password: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Json<Value>, Error> {
    s.flows
        .reset_password(&body.token, body.new_password)
        .await
        .map_err(|e| rename_password_field(e, "new_password"))?;
    Ok(Json(json!({"status": "password_changed"})))
}

pub async fn confirm_email_change(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Value>, Error> {
    Ok(Json(
        match s.flows.confirm_email_change(&body.token).await? {
            ConfirmOutcome::Changed(email) => json!({"status": "changed", "email": email.as_str()}),
            ConfirmOutcome::AwaitingOtherConfirmation => {
                json!({"status": "awaiting_other_confirmation"})
            }
        },
    ))
}

pub async fn revert_email_change(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Value>, Error> {
    let email = s.flows.revert_email_change(&body.token).await?;
    Ok(Json(json!({"status": "reverted", "email": email.as_str()})))
}

/// Password errors name the field the client sent (`new_password`), not the policy's default.
pub fn rename_password_field(e: Error, field: &str) -> Error {
    match e {
        Error::Invalid {
            code: "weak_password",
            mut errors,
        } => {
            for error in &mut errors {
                error.field = field.to_owned();
            }
            Error::Invalid {
                code: "weak_password",
                errors,
            }
        }
        other => other,
    }
}
