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
    forms::{self, Field, email_field, field, form_page},
    render, success,
};
use crate::{domain::email::EmailAddress, error::Error, http::AppState};

pub const VERIFY_CODE_PAGE: &str = "/verify-email/code";
pub const RESET_CODE_PAGE: &str = "/reset-password/code";

fn code_field(value: Option<String>) -> Field {
    Field {
        value,
        inputmode: Some("numeric"),
        ..field(
            "code",
            "6-digit code from the email",
            "text",
            "one-time-code",
            true,
        )
    }
}

fn new_password_field() -> Field {
    field(
        "new_password",
        "New password (at least 8 characters)",
        "password",
        "new-password",
        true,
    )
}

/// The verify-by-code form, as its own page or as the "check your inbox" page after a sign-up
/// or a resend (`title` and `explanation` say which).
pub(super) fn verify_form(
    title: &str,
    explanation: &str,
    email: Option<String>,
    error: Option<String>,
) -> Response {
    form_page(
        title,
        explanation,
        VERIFY_CODE_PAGE,
        vec![email_field(email), code_field(None)],
        "Verify my email address",
        error,
    )
}

/// The reset-by-code form, as its own page or as the "check your inbox" page after a request
/// for a reset.
pub(super) fn reset_form(
    title: &str,
    explanation: &str,
    email: Option<String>,
    code: Option<String>,
    error: Option<String>,
) -> Response {
    form_page(
        title,
        explanation,
        RESET_CODE_PAGE,
        vec![email_field(email), code_field(code), new_password_field()],
        "Set the new password",
        error,
    )
}

const VERIFY: (&str, &str) = (
    "Enter your verification code",
    "Type the address you signed up with and the 6-digit code from the email we sent there.",
);
const RESET: (&str, &str) = (
    "Reset your password with a code",
    "Type your address, the 6-digit code from the password reset email, and a new password. Setting a new password signs you out everywhere.",
);

pub async fn verify_code_page() -> Response {
    verify_form(VERIFY.0, VERIFY.1, None, None)
}

pub async fn reset_code_page() -> Response {
    reset_form(RESET.0, RESET.1, None, None, None)
}

#[derive(Deserialize)]
pub struct CodeForm {
    email: String,
    code: String,
    new_password: Option<String>,
}

/// What a person reads when a code does not work: the one answer for every reason.
fn code_message(e: &Error) -> String {
    match e {
        Error::CodeInvalid => "That code does not work. Check that the address is the one the email went to and that the code is from the newest email; a code works once, and stops working after 5 wrong tries or when its link expires. You can ask for a new email.".into(),
        other => forms::message(other),
    }
}

pub async fn verify_code_submit(
    State(s): State<AppState>,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return verify_form(
            VERIFY.0,
            VERIFY.1,
            None,
            Some("Fill in the email address and the code.".into()),
        );
    };
    let result = match EmailAddress::parse_field(&f.email, "email") {
        Ok(email) => s.flows.verify_email_by_code(&email, &f.code).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(email) => render(
            "result.html",
            success(
                "Email address verified",
                format!("{email} is verified. You can sign in now."),
                "/login",
                "Sign in",
            ),
        ),
        Err(e) => verify_form(VERIFY.0, VERIFY.1, Some(f.email), Some(code_message(&e))),
    }
}

pub async fn reset_code_submit(
    State(s): State<AppState>,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return reset_form(
            RESET.0,
            RESET.1,
            None,
            None,
            Some("Fill in the email address, the code and a new password.".into()),
        );
    };
    let password = f.new_password.unwrap_or_default();
    let result = match EmailAddress::parse_field(&f.email, "email") {
        Ok(email) => {
            s.flows
                .reset_password_by_code(&email, &f.code, password)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => render(
            "result.html",
            success(
                "Password changed",
                "Your new password is set and every session was signed out.".into(),
                "/login",
                "Sign in",
            ),
        ),
        // A weak password spends nothing: the code stays in the form, only the password is
        // asked for again.
        Err(e @ Error::Invalid { .. }) if e.code() == "weak_password" => reset_form(
            RESET.0,
            RESET.1,
            Some(f.email),
            Some(f.code),
            Some(forms::message(&e)),
        ),
        Err(e) => reset_form(
            RESET.0,
            RESET.1,
            Some(f.email),
            None,
            Some(code_message(&e)),
        ),
    }
}
