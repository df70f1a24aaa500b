//! Pages with a form and no sign-in: sign up, resend the verification link, forgotten password.
//! They call the same flows as the API and answer the same way whether or not an address has an
//! account.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::HeaderMap,
    response::Response,
};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{codes, render};
use crate::{
    domain::{
        accounts::DisplayName, email::EmailAddress, flows::Registration, locale::Locale,
        password::NewPassword,
    },
    error::Error,
    http::{AppState, accept_language},
};

#[derive(Serialize)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) r#type: &'static str,
    pub(super) autocomplete: &'static str,
    pub(super) required: bool,
    pub(super) value: Option<String>,
    /// The keyboard a phone shows (`numeric` for codes).
    pub(super) inputmode: Option<&'static str>,
}

pub(super) const fn field(
    name: &'static str,
    label: &'static str,
    r#type: &'static str,
    autocomplete: &'static str,
    required: bool,
) -> Field {
    Field {
        name,
        label,
        r#type,
        autocomplete,
        required,
        value: None,
        inputmode: None,
    }
}

pub(super) fn email_field(value: Option<String>) -> Field {
    Field {
        value,
        ..field("email", "Email address", "email", "email", true)
    }
}

pub(super) fn form_page(
    title: &str,
    explanation: &str,
    action: &str,
    fields: Vec<Field>,
    button: &str,
    error: Option<String>,
) -> Response {
    let links = vec![
        context! { url => "/login", label => "Sign in" },
        context! { url => "/register", label => "Create an account" },
        context! { url => "/forgot-password", label => "Forgot your password?" },
        context! { url => codes::VERIFY_CODE_PAGE, label => "Have a verification code?" },
        context! { url => codes::RESET_CODE_PAGE, label => "Have a password reset code?" },
    ];
    let fields = minijinja::Value::from(minijinja::value::Serde(fields));
    render(
        "form.html",
        context! { title, explanation, action, fields, button, error, links },
    )
}

/// What a person reads for an error of a form.
pub(super) fn message(e: &Error) -> String {
    if e.status().is_server_error() {
        "Something went wrong on our side. Try again later.".into()
    } else {
        e.to_string()
    }
}

pub async fn register_page() -> Response {
    register_form(None, None, None)
}

fn register_form(email: Option<String>, name: Option<String>, error: Option<String>) -> Response {
    let fields = vec![
        email_field(email),
        field(
            "password",
            "Password (at least 8 characters)",
            "password",
            "new-password",
            true,
        ),
        Field {
            value: name,
            ..field("name", "Name (optional)", "text", "name", false)
        },
    ];
    form_page(
        "Create an account",
        "We will send a link to confirm your email address.",
        "/register",
        fields,
        "Create account",
        error,
    )
}

#[derive(Deserialize)]
pub struct RegisterForm {
    email: String,
    password: String,
    name: Option<String>,
}

pub async fn register_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return register_form(
            None,
            None,
            Some("Fill in the email address and a password.".into()),
        );
    };
    let parsed = (|| {
        Ok::<_, Error>(Registration {
            email: EmailAddress::parse_field(&f.email, "email")?,
            password: NewPassword::parse(f.password)?,
            name: DisplayName::parse_optional(f.name.as_deref())?,
            locale: Locale::negotiate(
                None,
                accept_language(&headers),
                s.flows.settings.default_locale,
            )?,
        })
    })();
    let result = match parsed {
        Ok(registration) => s.flows.register(registration).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => codes::verify_form(
            "Check your inbox",
            "If the address can receive mail, an email to confirm it is on its way. Open its link, or enter the 6-digit code from it here.",
            Some(f.email),
            None,
        ),
        Err(e) => register_form(Some(f.email), f.name, Some(message(&e))),
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

fn email_form(
    title: &str,
    explanation: &str,
    action: &str,
    email: Option<String>,
    error: Option<String>,
) -> Response {
    form_page(
        title,
        explanation,
        action,
        vec![email_field(email)],
        "Send the link",
        error,
    )
}

const RESEND: (&str, &str, &str) = (
    "Send a new verification link",
    "Enter the address you signed up with; a new link goes there if it still needs confirming.",
    "/resend-verification",
);
const FORGOT: (&str, &str, &str) = (
    "Forgot your password?",
    "Enter your address; a link to choose a new password goes there if it has an account.",
    "/forgot-password",
);

pub async fn resend_page() -> Response {
    email_form(RESEND.0, RESEND.1, RESEND.2, None, None)
}

pub async fn forgot_page() -> Response {
    email_form(FORGOT.0, FORGOT.1, FORGOT.2, None, None)
}

pub async fn resend_submit(
    State(s): State<AppState>,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let email = form.map(|Form(f)| f.email).unwrap_or_default();
    let result = match EmailAddress::parse_field(&email, "email") {
        Ok(address) => s.flows.resend_verification(&address).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => codes::verify_form(
            "Check your inbox",
            "If that address has an account waiting for confirmation, a new email is on its way. Open its link, or enter the 6-digit code from it here.",
            Some(email),
            None,
        ),
        Err(e) => email_form(RESEND.0, RESEND.1, RESEND.2, Some(email), Some(message(&e))),
    }
}

pub async fn forgot_submit(
    State(s): State<AppState>,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let email = form.map(|Form(f)| f.email).unwrap_or_default();
    let result = match EmailAddress::parse_field(&email, "email") {
        Ok(address) => s.flows.forgot_password(&address).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => codes::reset_form(
            "Check your inbox",
            "If that address has an account, an email to choose a new password is on its way. Open its link, or enter the 6-digit code from it here with a new password.",
            Some(email),
            None,
            None,
        ),
        Err(e) => email_form(FORGOT.0, FORGOT.1, FORGOT.2, Some(email), Some(message(&e))),
    }
}
