//! The pages of signing in beyond the password (contract §8, §11): the second-factor step
//! after a right password (or an emailed sign-in), "Email me a sign-in code", the page the
//! emailed link opens (a button confirms: a mail scanner that opens the link spends nothing),
//! and the form for the emailed code.

use axum::{
    Form,
    extract::{Query, State, rejection::FormRejection},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use super::{
    assets::PASSKEY_SCRIPT_PATH,
    cookies::{RETURN_COOKIE, language_cookie, session_cookies, set_cookie, with_cookies},
    explain::{explain, too_many_requests},
    forms::{Field, FormPage, FormView, Problem, email_field},
    render::Pages,
    signed_out::other_pages,
    visitor::Visitor,
};
use crate::{
    domain::email::EmailAddress,
    domain::second_factor::MfaChallenge,
    error::Error,
    flows::{Client, SecondProof, TokenPair},
    http::AppState,
};

/// The path of the second-factor step's form.
pub const MFA_PATH: &str = "/login/mfa";
/// Where the step's passkey answer is posted (by the page's script).
pub const MFA_PASSKEY_PATH: &str = "/login/mfa/passkey";
/// "Email me a sign-in code".
pub const EMAIL_PATH: &str = "/sign-in/email";
/// The form for the emailed code.
pub const CODE_PATH: &str = "/sign-in/code";
/// The page the emailed link opens.
pub const LINK_PATH: &str = "/sign-in";

/// The log-in form (`/login`).
pub(super) fn login_form(
    s: &AppState,
    v: &Visitor,
    email: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let p = &s.pages;
    let t = |k: &str| p.t(v.lang, k);
    let form = FormView::new("login", "/login", t("login-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .field(Field::new(
            "password",
            t("field-password"),
            "password",
            "current-password",
        ))
        .problem(problem);
    let page = FormPage {
        title: t("login-title"),
        intro: None,
        form,
        links: other_pages(p, v, "/login"),
    };
    // "Sign in with a passkey": shown by the page's script, which makes the WebAuthn call.
    let passkey = s.flows.relying_party.is_some().then(|| {
        context! { action => v.carry("/login/passkey"), label => t("login-passkey"), error => t("passkey-failed") }
    });
    match passkey {
        Some(passkey) => p.form_page_with(
            v,
            page,
            context! { passkey, script => PASSKEY_SCRIPT_PATH.as_str() },
        ),
        None => p.form_page(v, page),
    }
}

/// Signed in: the session's cookies, and on to the app when it asked (`return_to`) or is
/// known (`LATCHKEY_APP_URL`), else to the account page.
pub async fn signed_in(s: &AppState, v: &Visitor, tokens: &TokenPair) -> Response {
    let mut cookies = session_cookies(s, tokens);
    if let Ok(principal) = s.flows.authenticate(&tokens.access_token).await {
        cookies.extend(language_cookie(s, &principal));
    }
    // A `return_to` kept across an email has done its job.
    if v.return_to.is_some() {
        cookies.extend(set_cookie(s, RETURN_COOKIE, "", 0));
    }
    with_cookies(
        Redirect::to(&v.done_url("/account")).into_response(),
        cookies,
    )
}

/// The second-factor step: the code of the authenticator app or a recovery code.
pub fn mfa_step(
    p: &Pages,
    v: &Visitor,
    token: &str,
    passkey: bool,
    problem: Option<Problem>,
) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let mut form = FormView::new("login-mfa", MFA_PATH, t("mfa-button"))
        .hidden("mfa_token", token.to_owned())
        .field(
            Field::new("code", t("field-mfa-code"), "text", "one-time-code")
                .hint(t("field-mfa-code-hint"))
                .max_chars(32),
        )
        .problem(problem);
    if passkey {
        // Kept through a wrong code, so the passkey button stays.
        form = form.hidden("passkey", "1".to_owned());
    }
    let page = FormPage {
        title: t("mfa-title"),
        intro: Some(t("mfa-intro")),
        form,
        links: Vec::new(),
    };
    if !passkey {
        return p.form_page(v, page);
    }
    // "Use a passkey instead": shown by the page's script, which makes the WebAuthn call.
    let button = context! {
        action => v.carry(MFA_PASSKEY_PATH),
        kind => "second-factor",
        mfa_token => token,
        label => t("mfa-passkey"),
        error => t("passkey-failed"),
    };
    p.form_page_with(
        v,
        page,
        context! { passkey => button, script => PASSKEY_SCRIPT_PATH.as_str() },
    )
}

/// A first factor's answer on a page: signed in, the second-factor step, or `None` for an
/// error the caller explains in its own form.
pub async fn after_first_factor(
    s: &AppState,
    v: &Visitor,
    result: Result<TokenPair, Error>,
) -> Result<Response, Error> {
    match result {
        Ok(tokens) => Ok(signed_in(s, v, &tokens).await),
        Err(Error::MfaRequired(challenge)) => Ok(step_for(s, v, &challenge)),
        Err(Error::RateLimited { retry_after }) => Ok(too_many_requests(&s.pages, v, retry_after)),
        Err(e) => Err(e),
    }
}

fn step_for(s: &AppState, v: &Visitor, challenge: &MfaChallenge) -> Response {
    let passkey =
        s.flows.relying_party.is_some() && challenge.methods().iter().any(|m| m == "passkey");
    mfa_step(&s.pages, v, challenge.token(), passkey, None)
}

#[derive(Deserialize)]
pub struct MfaForm {
    mfa_token: String,
    code: String,
    #[serde(default)]
    passkey: Option<String>,
}

pub async fn mfa_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<MfaForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        return Redirect::to("/login").into_response();
    };
    let result = s
        .flows
        .login_second_factor(&f.mfa_token, SecondProof::Code(f.code), &client)
        .await;
    match result {
        Ok(tokens) => signed_in(&s, &v, &tokens).await,
        Err(Error::RateLimited { retry_after }) => too_many_requests(p, &v, retry_after),
        Err(Error::CodeInvalid) => {
            let problem = Problem::at("code", p.t(v.lang, "error-mfa-code"));
            mfa_step(p, &v, &f.mfa_token, f.passkey.is_some(), Some(problem))
        }
        // A dead step: sign in again, with the reason above the form.
        Err(Error::MfaTokenInvalid) => {
            let problem = Problem::form(p.t(v.lang, "error-mfa-token"));
            login_form(&s, &v, None, Some(problem))
        }
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            mfa_step(p, &v, &f.mfa_token, f.passkey.is_some(), Some(problem))
        }
    }
}

/// "Email me a sign-in code": the address.
pub async fn email_page(State(s): State<AppState>, v: Visitor) -> Response {
    email_form(&s.pages, &v, None, None)
}

fn email_form(p: &Pages, v: &Visitor, email: Option<String>, problem: Option<Problem>) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let form = FormView::new("sign-in-email", EMAIL_PATH, t("sign-in-email-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title: t("sign-in-email-title"),
            intro: Some(t("sign-in-email-intro")),
            form,
            links: other_pages(p, v, EMAIL_PATH),
        },
    )
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

/// Sends the email (for every address alike) and shows the code form.
pub async fn email_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return email_form(p, &v, None, Some(problem));
    };
    let email = match EmailAddress::parse(&f.email) {
        Ok(email) => email,
        Err(e) => {
            let problem = explain(p, v.lang, &e.into(), None);
            return email_form(p, &v, Some(f.email), Some(problem));
        }
    };
    match s.flows.request_sign_in(&email).await {
        Ok(()) => code_form(p, &v, Some(email.as_str().to_owned()), None),
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            email_form(p, &v, Some(f.email), Some(problem))
        }
    }
}

fn code_form(p: &Pages, v: &Visitor, email: Option<String>, problem: Option<Problem>) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let form = FormView::new("sign-in-code", CODE_PATH, t("sign-in-code-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .field(Field::new("code", t("field-code"), "text", "one-time-code").numeric())
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title: t("sign-in-code-title"),
            intro: Some(t("sign-in-code-intro")),
            form,
            links: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    email: String,
    code: String,
}

pub async fn code_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return code_form(p, &v, None, Some(problem));
    };
    let result = match EmailAddress::parse(&f.email) {
        Ok(email) => {
            s.flows
                .confirm_sign_in_by_code(&email, &f.code, &client)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match after_first_factor(&s, &v, result).await {
        Ok(page) => page,
        Err(Error::CodeInvalid) => {
            let problem = Problem::at("code", p.t(v.lang, "error-code-invalid"));
            code_form(p, &v, Some(f.email), Some(problem))
        }
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            code_form(p, &v, Some(f.email), Some(problem))
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The page the emailed link opens: a button, never a sign-in on `GET`.
pub async fn link_page(
    State(s): State<AppState>,
    v: Visitor,
    q: Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = q.ok().and_then(|Query(q)| q.token).unwrap_or_default();
    link_form(&s.pages, &v, &token, None)
}

fn link_form(p: &Pages, v: &Visitor, token: &str, problem: Option<Problem>) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    if token.is_empty() {
        return email_form(p, v, None, Some(Problem::form(t("link-missing"))));
    }
    let form = FormView::new("sign-in-link", LINK_PATH, t("sign-in-link-button"))
        .hidden("token", token.to_owned())
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title: t("sign-in-link-title"),
            intro: Some(t("sign-in-link-intro")),
            form,
            links: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
}

pub async fn link_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let token = form.map(|Form(f)| f.token).unwrap_or_default();
    let result = s.flows.confirm_sign_in(&token, &client).await;
    match after_first_factor(&s, &v, result).await {
        Ok(page) => page,
        // A dead link: a new one is one form away.
        Err(e @ (Error::TokenInvalid | Error::TokenUsed | Error::TokenExpired)) => {
            let problem = explain(p, v.lang, &e, None);
            email_form(p, &v, None, Some(problem))
        }
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            link_form(p, &v, &token, Some(problem))
        }
    }
}

#[derive(Deserialize)]
pub struct MfaPasskeyForm {
    mfa_token: String,
    credential: String,
}

/// "Use a passkey instead": the script puts the assertion here.
pub async fn mfa_passkey_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<MfaPasskeyForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        return Redirect::to("/login").into_response();
    };
    let result = match serde_json::from_str::<serde_json::Value>(&f.credential) {
        Ok(credential) => {
            s.flows
                .login_second_factor(&f.mfa_token, SecondProof::Passkey(credential), &client)
                .await
        }
        Err(_) => Err(Error::PasskeyRefused),
    };
    match result {
        Ok(tokens) => signed_in(&s, &v, &tokens).await,
        Err(Error::RateLimited { retry_after }) => too_many_requests(p, &v, retry_after),
        Err(Error::MfaTokenInvalid) => {
            let problem = Problem::form(p.t(v.lang, "error-mfa-token"));
            login_form(&s, &v, None, Some(problem))
        }
        Err(e) => {
            let problem = match e {
                Error::PasskeyRefused => Problem::form(p.t(v.lang, "passkey-failed")),
                e => explain(p, v.lang, &e, None),
            };
            mfa_step(p, &v, &f.mfa_token, true, Some(problem))
        }
    }
}
