//! Passkeys (contract §11): a signed-in user's registering, naming, listing and removing, and
//! anyone's sign-in with one. Every endpoint answers 404 `not_found` when passkeys are off
//! (the relying party id would be an IP address).

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::Error,
    flows::Client,
    http::{
        AppState, Auth, NoStore,
        problem::ApiJson,
        refresh_cookie::{self, Jar},
    },
    views::{Passkey, PasskeyChallenge, Problem, Tokens},
};

#[derive(Deserialize, ToSchema)]
pub struct PasskeyOptionsBody {
    password: String,
}

#[utoipa::path(post, path = "/api/v1/me/passkeys/options", tag = "passkeys",
    security(("bearer" = [])),
    request_body = PasskeyOptionsBody,
    responses(
        (status = 200, description = "Options for `navigator.credentials.create` (a discoverable credential, user verification required); the challenge lives 5 minutes and is answered once", body = PasskeyChallenge),
        (status = 401, description = "`invalid_credentials` (wrong password) or `unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified`: only a verified address may add a passkey", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: passkeys are off", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: every check of the password counts against the log-in limit of the account's address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn registration_options(
    State(s): State<AppState>,
    client: Client,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<PasskeyOptionsBody>,
) -> Result<NoStore<Json<PasskeyChallenge>>, Error> {
    let options = s
        .flows
        .passkey_registration_options(&principal, &client, &body.password)
        .await?;
    Ok(NoStore(Json(options.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterPasskeyBody {
    challenge_id: String,
    /// What the browser's `PublicKeyCredential.toJSON()` gives.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
    name: Option<String>,
}

// Named apart from the sign-up's `register`: operation ids are unique in the document, and
// generators (openapi-typescript for @latchkey/client) refuse a document where they are not.
#[utoipa::path(post, path = "/api/v1/me/passkeys", tag = "passkeys", operation_id = "register_passkey",
    security(("bearer" = [])),
    request_body = RegisterPasskeyBody,
    responses(
        (status = 201, description = "The new passkey", body = Passkey),
        (status = 400, description = "`passkey_invalid`: the answer did not verify, or its challenge is used, expired or another's; `validation_failed` on `name`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: passkeys are off", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(s): State<AppState>,
    Auth(principal): Auth,
    ApiJson(body): ApiJson<RegisterPasskeyBody>,
) -> Result<(StatusCode, Json<Passkey>), Error> {
    let passkey = s
        .flows
        .register_passkey(
            &principal,
            &body.challenge_id,
            &body.credential,
            body.name.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(passkey.into())))
}

#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's passkeys, oldest first", body = [Passkey]),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<Passkey>>, Error> {
    let passkeys = s.flows.passkeys(principal.user.id).await?;
    Ok(Json(passkeys.into_iter().map(Passkey::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct RenamePasskeyBody {
    name: String,
}

#[utoipa::path(patch, path = "/api/v1/me/passkeys/{id}", tag = "passkeys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The passkey's id")),
    request_body = RenamePasskeyBody,
    responses(
        (status = 200, description = "The passkey with its new name", body = Passkey),
        (status = 400, description = "`validation_failed` on `name`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no passkey of yours has this id", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rename(
    State(s): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenamePasskeyBody>,
) -> Result<Json<Passkey>, Error> {
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    let passkey = s.flows.rename_passkey(&principal, id, &body.name).await?;
    Ok(Json(passkey.into()))
}

#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "passkeys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The passkey's id")),
    responses(
        (status = 204, description = "The passkey is removed: it signs in no more"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no passkey of yours has this id", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(s): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    s.flows.remove_passkey(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{}`: a passkey sign-in starts without an address.
#[derive(Deserialize, ToSchema)]
pub struct SignInOptionsBody {}

#[utoipa::path(post, path = "/api/v1/login/passkey/options", tag = "passkeys",
    request_body = SignInOptionsBody,
    responses(
        (status = 200, description = "Options for `navigator.credentials.get` (no allowed credentials: the authenticator offers its discoverable ones; user verification required)", body = PasskeyChallenge),
        (status = 404, description = "`not_found`: passkeys are off", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in_options(
    State(s): State<AppState>,
    ApiJson(_): ApiJson<SignInOptionsBody>,
) -> Result<NoStore<Json<PasskeyChallenge>>, Error> {
    let options = s.flows.passkey_sign_in_options().await?;
    Ok(NoStore(Json(options.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct PasskeySignInBody {
    challenge_id: String,
    /// What the browser's `PublicKeyCredential.toJSON()` gives.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

#[utoipa::path(post, path = "/api/v1/login/passkey", tag = "passkeys",
    request_body = PasskeySignInBody,
    responses(
        (status = 200, description = "Access and refresh tokens; no second factor is asked (the passkey verified the user). With `Latchkey-Refresh: cookie` (and `LATCHKEY_REFRESH_COOKIE=on`) the refresh token is set as the `latchkey_app_refresh` cookie instead of in the body", body = Tokens),
        (status = 401, description = "`passkey_invalid`: the assertion did not verify (unknown or removed passkey, wrong signature, origin or challenge, no user verification, a counter that went backwards), or the challenge is used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account_disabled`; `forbidden`: the cookie asked for from an origin that may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: passkeys are off", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    params(("Latchkey-Refresh" = Option<String>, Header, description = "`cookie`: keep the refresh token in an HttpOnly cookie (section 12)")))]
pub async fn sign_in(
    State(s): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeySignInBody>,
) -> Result<Response, Error> {
    // Checked before the assertion is spent: a refused origin uses up nothing.
    let cookie_mode = refresh_cookie::requested(&s, &headers)?;
    let tokens = s
        .flows
        .sign_in_with_passkey(&body.challenge_id, &body.credential, &client)
        .await?;
    Ok(super::accounts::tokens_answer(
        &s,
        tokens,
        cookie_mode.then_some(Jar::App),
    ))
}
