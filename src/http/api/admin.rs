//! `/api/v1/admin/*` (contract §3): for users with `is_admin`; 403 `forbidden` for others.

use axum::{
    Json,
    extract::{FromRequestParts, Path, State},
    http::{StatusCode, request::Parts},
};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    domain::{accounts::DisplayName, email::EmailAddress, password::NewPassword},
    error::Error,
    flows::{Cursor, NewAccount, OutboxStatus, PageSize, Principal, UserPatch},
    http::{
        AppState, Auth,
        problem::{ApiJson, ApiQuery},
    },
    views::{AdminUser, OutboxList, OutboxMessage, Problem, UserList, VerificationSent},
};

/// An authenticated administrator.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Auth(principal) = Auth::from_request_parts(parts, state).await?;
        if !principal.user.is_admin {
            return Err(Error::Forbidden);
        }
        Ok(Self(principal))
    }
}

/// The `{id}` of a user path; anything that is not a user id is simply not found.
pub struct UserId(pub Uuid);

impl FromRequestParts<AppState> for UserId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Uuid::parse_str(&id)
            .map(UserId)
            .map_err(|_| Error::NotFound)
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUserBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// Without one the user cannot log in until a password reset.
    #[schema(min_length = 8, max_length = 1024)]
    password: Option<String>,
    /// At most 200 characters, without control or direction-changing characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
    name: Option<String>,
    /// True: verified at once, no email. False (the default): a verification email is queued.
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    is_admin: bool,
}

#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    request_body = CreateUserBody,
    responses(
        (status = 201, description = "The user", body = AdminUser),
        (status = 400, description = "`invalid_email`, `weak_password`, `validation_failed`, `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    State(s): State<AppState>,
    _admin: Admin,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<(StatusCode, Json<AdminUser>), Error> {
    let account = NewAccount {
        email: EmailAddress::parse(&body.email)?,
        password: body.password.map(NewPassword::parse).transpose()?,
        name: DisplayName::parse_optional(body.name.as_deref())?,
        email_verified: body.email_verified,
        is_admin: body.is_admin,
    };
    let user = s.flows.create_account(account).await?;
    Ok((StatusCode::CREATED, Json(AdminUser::from(user))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Part of the address or the name (case-insensitive).
    q: Option<String>,
    /// Users per page: 1 to 200, 50 by default.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    security(("bearer" = [])),
    params(UserListQuery),
    responses(
        (status = 200, description = "Users, newest first", body = UserList),
        (status = 400, description = "`validation_failed`: a bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    State(s): State<AppState>,
    _admin: Admin,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<UserList>, Error> {
    let size = PageSize::parse(query.limit.as_deref())?;
    let after = Cursor::parse(query.cursor.as_deref())?;
    let page = s.flows.list_users(query.q.as_deref(), size, after).await?;
    Ok(Json(UserList {
        users: page.items.into_iter().map(AdminUser::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = AdminUser),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn show_user(
    State(s): State<AppState>,
    _admin: Admin,
    UserId(id): UserId,
) -> Result<Json<AdminUser>, Error> {
    Ok(Json(s.flows.user(id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUserBody {
    email_verified: Option<bool>,
    /// True revokes every session of the user at once.
    disabled: Option<bool>,
    is_admin: Option<bool>,
    /// A new name (at most 200 characters, without control or direction-changing characters);
    /// null or "" removes it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]*$")]
    name: Option<Option<String>>,
}

/// Tells a field given as null (`Some(None)`) from one left out (`None`, by `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = UpdateUserBody,
    responses(
        (status = 200, description = "The user after the change", body = AdminUser),
        (status = 400, description = "`validation_failed` (also: an administrator disabling or demoting themselves), `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin`: the change would leave no enabled, verified admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    State(s): State<AppState>,
    Admin(admin): Admin,
    UserId(id): UserId,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> Result<Json<AdminUser>, Error> {
    let patch = UserPatch {
        email_verified: body.email_verified,
        disabled: body.disabled,
        is_admin: body.is_admin,
        name: body
            .name
            .map(|n| DisplayName::parse_optional(n.as_deref()))
            .transpose()?,
    };
    let user = s.flows.update_user(id, patch, Some(admin.user.id)).await?;
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "The account is deleted with everything of it (as `DELETE /api/v1/me`)"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last_admin`: the change would leave no enabled, verified admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_user(
    State(s): State<AppState>,
    _admin: Admin,
    UserId(id): UserId,
) -> Result<StatusCode, Error> {
    s.flows.delete_account(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/mfa", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Every second factor of the user is removed (for a user who lost them); the user gets a `security_method_removed` email and a `user.mfa_changed` event is sent when there was one"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_mfa(
    State(s): State<AppState>,
    _admin: Admin,
    UserId(id): UserId,
) -> Result<StatusCode, Error> {
    s.flows.reset_second_factors(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/verification-email", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 202, description = "A verification email is queued (none within the mail cooldown)", body = VerificationSent),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_verified`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_verification(
    State(s): State<AppState>,
    _admin: Admin,
    UserId(id): UserId,
) -> Result<(StatusCode, Json<VerificationSent>), Error> {
    s.flows.send_verification(id).await?;
    Ok((StatusCode::ACCEPTED, Json(VerificationSent::BODY)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only messages in this state (an empty value is refused: it names none).
    #[param(value_type = Option<String>, pattern = "^(queued|retrying|sent|dead)$")]
    status: Option<String>,
    /// Messages per page: 1 to 200, 50 by default.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin",
    security(("bearer" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "Messages, newest first", body = OutboxList),
        (status = 400, description = "`validation_failed`: a bad status, limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_outbox(
    State(s): State<AppState>,
    _admin: Admin,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Json<OutboxList>, Error> {
    // `?status=` names no state: refused like any other unknown one, not read as "all".
    let status = query
        .status
        .as_deref()
        .map(str::parse::<OutboxStatus>)
        .transpose()?;
    let size = PageSize::parse(query.limit.as_deref())?;
    let after = Cursor::parse(query.cursor.as_deref())?;
    let page = s.flows.outbox_messages(status, size, after).await?;
    Ok(Json(OutboxList {
        messages: page.items.into_iter().map(OutboxMessage::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
