//! The signed-in user: profile, password, email change, sessions.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use utoipa::ToSchema;

use crate::{
    domain::{accounts::DisplayName, email::EmailAddress, invalid::Invalid, locale::Locale},
    error::Error,
    flows::{Client, ProfilePatch},
    http::{AppState, Auth, AuthWithPendingEmail, NoStore, problem::ApiJson},
    views::{ConfirmationSent, Me, PasswordChanged, Problem, RecoveryCodes, Session, TotpSetup},
};

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(
    State(s): State<AppState>,
    AuthWithPendingEmail(principal, pending): AuthWithPendingEmail,
) -> Result<Json<Me>, Error> {
    let mfa = s.flows.second_factors(principal.user.id).await?;
    Ok(Json(Me::new(&principal.user, pending, mfa)))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMeBody {
    /// A new name (at most 200 characters, without control or direction-changing characters);
    /// null or "" removes it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$")]
    name: Option<Option<String>>,
    /// A language tag of `en`, `de`, `fr`, `es` or `sv` (`de-AT` is matched by its language);
    /// null forgets it, so the deployment's default applies; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^\\s*([eE][nN]|[dD][eE]|[fF][rR]|[eE][sS]|[sS][vV])([-_][\\s\\S]*)?$")]
    locale: Option<Option<String>>,
}

/// Tells a field given as null (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateMeBody,
    responses(
        (status = 200, description = "The signed-in user after the change", body = Me),
        (status = 400, description = "`validation_failed` (the problem's errors name the field), `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    State(s): State<AppState>,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<UpdateMeBody>,
) -> Result<Json<Me>, Error> {
    let patch = ProfilePatch {
        name: body
            .name
            .map(|n| DisplayName::parse_optional(n.as_deref()))
            .transpose()?,
        locale: body
            .locale
            .map(|l| l.map(parse_locale).transpose())
            .transpose()?,
    };
    let user = s.flows.update_profile(&principal, patch).await?;
    let pending = s.flows.pending_email(user.id).await?;
    let mfa = s.flows.second_factors(user.id).await?;
    Ok(Json(Me::new(&user, pending, mfa)))
}

fn parse_locale(tag: String) -> Result<Locale, Error> {
    Ok(tag.trim().parse::<Locale>()?)
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteMeBody {
    password: String,
}

#[utoipa::path(delete, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    request_body = DeleteMeBody,
    responses(
        (status = 204, description = "The account is deleted with its sessions, links and pending change; its tokens stop working at once, an `account_deleted` email and a `user.deleted` event are sent, and the address can sign up again"),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin`: the change would leave no enabled, verified admin", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: every check of the password counts against the log-in limit of the account's address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_me(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<DeleteMeBody>,
) -> Result<StatusCode, Error> {
    s.flows
        .delete_own_account(&principal, &client, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    current_password: String,
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePasswordBody,
    responses(
        (status = 200, description = "`password_changed`; other sessions are revoked, this one stays", body = PasswordChanged),
        (status = 400, description = "`weak_password`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials` (wrong current password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: every check of the password counts against the log-in limit of the account's address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<Json<PasswordChanged>, Error> {
    s.flows
        .change_password(
            &principal,
            &client,
            &body.current_password,
            body.new_password,
        )
        .await?;
    Ok(Json(PasswordChanged::BODY))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeEmailBody {
    password: String,
    #[schema(format = Email, max_length = 254)]
    new_email: String,
}

#[utoipa::path(post, path = "/api/v1/me/email", tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangeEmailBody,
    responses(
        (status = 202, description = "`confirmation_sent`, the same whether or not the new address is free", body = ConfirmationSent),
        (status = 400, description = "`invalid_email`, `same_email`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: every check of the password counts against the log-in limit of the account's address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_email_change(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<(StatusCode, Json<ConfirmationSent>), Error> {
    let new_email = EmailAddress::parse(&body.new_email).map_err(Invalid::new_address)?;
    s.flows
        .request_email_change(&principal, &client, &body.password, &new_email)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ConfirmationSent::BODY)))
}

#[utoipa::path(delete, path = "/api/v1/me/email", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The pending change, if any, is cancelled and its links stop working"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel_email_change(
    State(s): State<AppState>,
    Auth(principal): Auth,
) -> Result<StatusCode, Error> {
    s.flows.cancel_email_change(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live sessions, the current one marked", body = [Session]),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sessions(
    State(s): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<Session>>, Error> {
    let sessions = s.flows.sessions(&principal).await?;
    Ok(Json(sessions.into_iter().map(Session::from).collect()))
}

#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 204, description = "The session is revoked; its tokens stop working at once"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no live session of yours has this id", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_session(
    State(s): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    s.flows.revoke_session(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    password: String,
}

#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "accounts",
    security(("bearer" = [])),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "An authenticator app waiting for its first code: nothing is active until `POST /api/v1/me/mfa/totp/confirm`", body = TotpSetup),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`mfa_already_enabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: every check of the password counts against the log-in limit of the account's address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_totp(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<NoStore<Json<TotpSetup>>, Error> {
    let setup = s
        .flows
        .start_totp(&principal, &body.password, &client)
        .await?;
    Ok(NoStore(Json(setup.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct CodeBody {
    /// A current code of the authenticator app.
    code: String,
}

#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "accounts",
    security(("bearer" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "The app is active; 10 recovery codes, shown this once. A `security_method_added` email and a `user.mfa_changed` event are sent", body = RecoveryCodes),
        (status = 400, description = "`code_invalid`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_pending_totp`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_totp(
    State(s): State<AppState>,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<NoStore<Json<RecoveryCodes>>, Error> {
    let codes = s.flows.confirm_totp(&principal, &body.code).await?;
    Ok(NoStore(Json(RecoveryCodes::new(codes))))
}

#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", tag = "accounts",
    security(("bearer" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "The app and its recovery codes are removed; a `security_method_removed` email and a `user.mfa_changed` event are sent"),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no authenticator app", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_totp(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, Error> {
    s.flows
        .remove_totp(&principal, &body.password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/mfa/recovery-codes", tag = "accounts",
    security(("bearer" = [])),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "A new set of 10 recovery codes; the old ones stop working", body = RecoveryCodes),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`mfa_not_enabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn renew_recovery_codes(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<NoStore<Json<RecoveryCodes>>, Error> {
    let codes = s
        .flows
        .renew_recovery_codes(&principal, &body.password, &client)
        .await?;
    Ok(NoStore(Json(RecoveryCodes::new(codes))))
}
