//! The signed-in user: profile, password, email change, sessions.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::accounts::rename_password_field;
use crate::{
    domain::{accounts::User, email::EmailAddress, flows::SessionView},
    error::Error,
    http::{AppState, Auth, problem::ApiJson, rfc3339},
};

pub async fn me(State(s): State<AppState>, Auth(principal): Auth) -> Result<Json<Value>, Error> {
    let pending = s.flows.pending_email(principal.user.id).await?;
    let mut body = user_json(&principal.user);
    body["pending_email"] = json!(pending);
    Ok(Json(body))
}

pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "is_admin": user.is_admin,
        "created_at": rfc3339(user.created_at),
        "pending_email": Value::Null,
    })
}

#[derive(Deserialize)]
pub struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<Json<Value>, Error> {
    s.flows
        .change_password(&principal, &body.current_password, body.new_password)
        .await
        .map_err(|e| rename_password_field(e, "new_password"))?;
    Ok(Json(json!({"status": "password_changed"})))
}

#[derive(Deserialize)]
pub struct ChangeEmailBody {
    password: String,
    new_email: String,
}

pub async fn request_email_change(
    State(s): State<AppState>,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<impl IntoResponse, Error> {
    let new_email = EmailAddress::parse_field(&body.new_email, "new_email")?;
    s.flows
        .request_email_change(&principal, &body.password, &new_email)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "confirmation_sent"})),
    ))
}

pub async fn cancel_email_change(
    State(s): State<AppState>,
    Auth(principal): Auth,
) -> Result<StatusCode, Error> {
    s.flows.cancel_email_change(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn sessions(
    State(s): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<SessionView>>, Error> {
    Ok(Json(s.flows.sessions(&principal).await?))
}

pub async fn revoke_session(
    State(s): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    s.flows.revoke_session(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
