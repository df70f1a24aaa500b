//! Signing in with cookies, and the account page: profile, email and password change,
//! sessions. The cookies are `HttpOnly` and `SameSite=Lax`, `Secure` when the public URL is https;
//! the access token lives in one, the refresh token in another, and an expired access token is
//! refreshed on the next page view.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{forms, render};
use crate::{
    domain::{
        email::EmailAddress,
        flows::{Principal, TokenPair},
    },
    error::Error,
    http::{AppState, ClientIp, api::user_json, user_agent},
};

const ACCESS_COOKIE: &str = "latchkey_access";
const REFRESH_COOKIE: &str = "latchkey_refresh";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(s: &AppState, name: &str, value: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if s.flows.settings.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

fn session_cookies(s: &AppState, tokens: &TokenPair) -> Vec<HeaderValue> {
    let refresh_age = s.flows.settings.refresh_ttl.as_secs();
    [
        set_cookie(s, ACCESS_COOKIE, &tokens.access_token, tokens.expires_in),
        set_cookie(s, REFRESH_COOKIE, &tokens.refresh_token, refresh_age),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn clear_cookies(s: &AppState) -> Vec<HeaderValue> {
    [
        set_cookie(s, ACCESS_COOKIE, "", 0),
        set_cookie(s, REFRESH_COOKIE, "", 0),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn with_cookies(mut response: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// The signed-in user of a page request, refreshing an expired access token with the refresh
/// cookie; `Err` redirects to the log-in page.
async fn signed_in(
    s: &AppState,
    headers: &HeaderMap,
) -> Result<(Principal, Vec<HeaderValue>), Response> {
    if let Some(access) = cookie(headers, ACCESS_COOKIE).filter(|a| !a.is_empty())
        && let Ok(principal) = s.flows.authenticate(&access).await
    {
        return Ok((principal, Vec::new()));
    }
    let to_login = || with_cookies(Redirect::to("/login").into_response(), clear_cookies(s));
    let refresh = cookie(headers, REFRESH_COOKIE)
        .filter(|r| !r.is_empty())
        .ok_or_else(to_login)?;
    let tokens = s.flows.refresh(&refresh).await.map_err(|_| to_login())?;
    let principal = s
        .flows
        .authenticate(&tokens.access_token)
        .await
        .map_err(|_| to_login())?;
    Ok((principal, session_cookies(s, &tokens)))
}

pub async fn login_page() -> Response {
    login_form(None, None)
}

fn login_form(email: Option<String>, error: Option<String>) -> Response {
    forms::form_page(
        "Sign in",
        "",
        "/login",
        vec![
            forms::email_field(email),
            forms::field("password", "Password", "password", "current-password", true),
        ],
        "Sign in",
        error,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return login_form(
            None,
            Some("Fill in your email address and password.".into()),
        );
    };
    let result = match EmailAddress::parse_field(&f.email, "email") {
        Ok(email) => {
            s.flows
                .login(&email, &f.password, user_agent(&headers))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(tokens) => with_cookies(Redirect::to("/account").into_response(), session_cookies(&s, &tokens)),
        Err(Error::EmailNotVerified) => login_form(
            Some(f.email),
            Some("Your email address is not verified yet. Follow the link we sent, or ask for a new one at /resend-verification.".into()),
        ),
        Err(e) => login_form(Some(f.email), Some(forms::message(&e))),
    }
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refresh) = cookie(&headers, REFRESH_COOKIE) {
        let _ = s.flows.logout(&refresh).await;
    }
    with_cookies(Redirect::to("/login").into_response(), clear_cookies(&s))
}

pub async fn account_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&s, &headers).await {
        Ok((principal, cookies)) => {
            with_cookies(account(&s, &principal, None, None).await, cookies)
        }
        Err(redirect) => redirect,
    }
}

async fn account(
    s: &AppState,
    principal: &Principal,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let pending = s.flows.pending_email(principal.user.id).await;
    let sessions = s.flows.sessions(principal).await;
    let (Ok(pending), Ok(sessions)) = (pending, sessions) else {
        return Error::internal("cannot load the account page").into_response();
    };
    let serde = |v| Value::from(minijinja::value::Serde(v));
    render(
        "account.html",
        context! {
            user => serde(user_json(&principal.user)),
            pending => serde(serde_json::json!(pending)),
            sessions => serde(serde_json::json!(sessions)),
            needs_old => s.flows.settings.email_change_confirm_old,
            notice, error,
        },
    )
}

/// Runs an account action for the signed-in user and shows the account page with its outcome.
async fn act<F, Fut>(s: AppState, headers: HeaderMap, done: &str, action: F) -> Response
where
    F: FnOnce(AppState, Principal) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let page = match action(s.clone(), principal.clone()).await {
        Ok(()) => account(&s, &principal, Some(done), None).await,
        Err(e) => {
            let mut page = account(&s, &principal, None, Some(forms::message(&e))).await;
            if let Error::RateLimited { retry_after } = e {
                // The account page says so, with the status and header a client expects.
                *page.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
                let secs = retry_after.as_millis().div_ceil(1000).max(1);
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    page.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            page
        }
    };
    with_cookies(page, cookies)
}

#[derive(Deserialize, Default)]
pub struct EmailChangeForm {
    new_email: String,
    password: String,
}

pub async fn change_email(
    State(s): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    form: Result<Form<EmailChangeForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    act(
        s,
        headers,
        "We sent confirmation links. The address changes once they are followed.",
        |s, p| async move {
            let email = EmailAddress::parse_field(&f.new_email, "new_email")?;
            s.password_attempt(&client, &p)?;
            s.flows.request_email_change(&p, &f.password, &email).await
        },
    )
    .await
}

pub async fn cancel_email_change(State(s): State<AppState>, headers: HeaderMap) -> Response {
    act(
        s,
        headers,
        "The pending change was cancelled.",
        |s, p| async move { s.flows.cancel_email_change(&p).await },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    act(
        s,
        headers,
        "Your password was changed; your other sessions were signed out.",
        |s, p| async move {
            s.password_attempt(&client, &p)?;
            s.flows
                .change_password(&p, &f.current_password, f.new_password)
                .await
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct SessionForm {
    id: String,
}

pub async fn revoke_session(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    act(
        s,
        headers,
        "That session was signed out.",
        |s, p| async move {
            let id = f.id.parse().map_err(|_| Error::NotFound)?;
            s.flows.revoke_session(&p, id).await
        },
    )
    .await
}
