//! "Enter the code" forms: the 6-digit code from a verification or reset email, typed with the
//! address, does what that email's link does (contract §4, §8). The page that says an email was
//! sent carries the form too, with the address already filled in.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    response::Response,
};
use serde::Deserialize;

use super::{
    explain::explain,
    forms::{Field, FormPage, FormView, LinkView, Problem, email_field},
    render::{Outcome, Pages},
    visitor::Visitor,
};
use crate::{
    domain::{email::EmailAddress, invalid::Invalid},
    error::Error,
    http::AppState,
};

pub const VERIFY_CODE_PAGE: &str = "/verify-email/code";
pub const RESET_CODE_PAGE: &str = "/reset-password/code";

fn code_field(p: &Pages, v: &Visitor, value: Option<String>) -> Field {
    Field::new("code", p.t(v.lang, "field-code"), "text", "one-time-code")
        .numeric()
        .value(value)
}

/// The verify-by-code form, as its own page or as the "check your inbox" page after a sign-up
/// or a resend (`title` and `intro` say which).
pub(super) fn verify_form(
    p: &Pages,
    v: &Visitor,
    title: String,
    intro: String,
    email: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let form = FormView::new("code", VERIFY_CODE_PAGE, p.t(v.lang, "code-verify-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .field(code_field(p, v, None))
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title,
            intro: Some(intro),
            form,
            links: vec![LinkView::new(
                "/resend-verification",
                p.t(v.lang, "next-new-verify-link"),
            )],
        },
    )
}

/// The reset-by-code form, as its own page or as the "check your inbox" page after a request
/// for a reset.
pub(super) fn reset_form(
    p: &Pages,
    v: &Visitor,
    title: String,
    intro: String,
    typed: (Option<String>, Option<String>),
    problem: Option<Problem>,
) -> Response {
    let (email, code) = typed;
    let form = FormView::new("code", RESET_CODE_PAGE, p.t(v.lang, "reset-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .field(code_field(p, v, code))
        .field(
            Field::new(
                "new_password",
                p.t(v.lang, "field-new-password"),
                "password",
                "new-password",
            )
            .new_password()
            .hint(p.t(v.lang, "field-new-password-hint")),
        )
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title,
            intro: Some(intro),
            form,
            links: vec![LinkView::new(
                "/forgot-password",
                p.t(v.lang, "next-new-reset-link"),
            )],
        },
    )
}

fn verify_page(
    p: &Pages,
    v: &Visitor,
    email: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let title = p.t(v.lang, "code-verify-title");
    let intro = p.t(v.lang, "code-verify-intro");
    verify_form(p, v, title, intro, email, problem)
}

fn reset_page(
    p: &Pages,
    v: &Visitor,
    typed: (Option<String>, Option<String>),
    problem: Option<Problem>,
) -> Response {
    let title = p.t(v.lang, "code-reset-title");
    let intro = p.t(v.lang, "code-reset-intro");
    reset_form(p, v, title, intro, typed, problem)
}

pub async fn verify_code_page(State(s): State<AppState>, v: Visitor) -> Response {
    verify_page(&s.pages, &v, None, None)
}

pub async fn reset_code_page(State(s): State<AppState>, v: Visitor) -> Response {
    reset_page(&s.pages, &v, (None, None), None)
}

#[derive(Deserialize)]
pub struct CodeForm {
    email: String,
    code: String,
    new_password: Option<String>,
}

/// What a person reads when a code does not work: the one answer for every reason, beside the
/// code.
fn code_problem(p: &Pages, v: &Visitor, e: &Error) -> Problem {
    match e {
        Error::CodeInvalid => Problem::at("code", p.t(v.lang, "error-code-invalid")),
        other => explain(p, v.lang, other, None),
    }
}

pub async fn verify_code_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return verify_page(p, &v, None, Some(problem));
    };
    let result = match EmailAddress::parse(&f.email) {
        Ok(email) => s.flows.verify_email_by_code(&email, &f.code).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(verified) => super::verified::verified_page(&s, &v, verified),
        Err(e) => {
            let problem = code_problem(p, &v, &e);
            verify_page(p, &v, Some(f.email), Some(problem))
        }
    }
}

pub async fn reset_code_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return reset_page(p, &v, (None, None), Some(problem));
    };
    let password = f.new_password.unwrap_or_default();
    let result = match EmailAddress::parse(&f.email) {
        Ok(email) => {
            s.flows
                .reset_password_by_code(&email, &f.code, password)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "reset-done-title"),
                p.t(v.lang, "reset-done"),
                ("/login", p.t(v.lang, "next-sign-in")),
            ),
        ),
        // A weak password spends nothing: the code stays in the form, only the password is
        // asked for again.
        Err(e @ Error::Invalid(Invalid::WeakPassword { .. })) => {
            let problem = code_problem(p, &v, &e);
            reset_page(p, &v, (Some(f.email), Some(f.code)), Some(problem))
        }
        Err(e) => {
            let problem = code_problem(p, &v, &e);
            reset_page(p, &v, (Some(f.email), None), Some(problem))
        }
    }
}
