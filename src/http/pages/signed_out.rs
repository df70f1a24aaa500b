//! Pages with a form for someone signed out: sign up, resend the verification link, forgotten
//! password.
//! They call the same flows as the API and answer the same way whether or not an address has an
//! account.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    response::Response,
};
use serde::Deserialize;

use super::{
    codes, cookies,
    explain::explain,
    forms::{Field, FormPage, FormView, LinkView, Problem, email_field},
    render::Pages,
    visitor::Visitor,
};
use crate::{
    domain::{accounts::DisplayName, email::EmailAddress, password::NewPassword},
    error::Error,
    flows::Registration,
    http::AppState,
};

/// The links under the signed-out forms, without the one to the page itself.
pub(super) fn other_pages(p: &Pages, v: &Visitor, this: &str) -> Vec<LinkView> {
    let t = |k: &str| p.t(v.lang, k);
    [
        ("/login", t("page-sign-in"), t("register-have-account")),
        ("/register", t("page-register"), t("login-new")),
        ("/forgot-password", t("page-forgot"), String::new()),
        // sign_in::EMAIL_PATH (written out: sign_in builds its forms on this list).
        ("/sign-in/email", t("page-sign-in-email"), String::new()),
        (
            codes::VERIFY_CODE_PAGE,
            t("next-have-verify-code"),
            String::new(),
        ),
        // The verification email sends people here to get a new link: it is always offered,
        // not only after a log-in failed.
        ("/resend-verification", t("page-resend"), String::new()),
        (
            codes::RESET_CODE_PAGE,
            t("next-have-reset-code"),
            String::new(),
        ),
    ]
    .into_iter()
    .filter(|(url, _, _)| *url != this)
    .map(|(url, label, lead)| {
        let link = LinkView::new(url, label);
        if lead.is_empty() {
            link
        } else {
            link.after(lead)
        }
    })
    .collect()
}

pub async fn register_page(State(s): State<AppState>, v: Visitor) -> Response {
    register_form(&s.pages, &v, None, None, None)
}

fn register_form(
    p: &Pages,
    v: &Visitor,
    email: Option<String>,
    name: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let form = FormView::new("register", "/register", t("register-button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .field(
            Field::new("password", t("field-password"), "password", "new-password")
                .new_password()
                .hint(t("field-new-password-hint")),
        )
        .field(
            Field::new("name", t("field-name-optional"), "text", "name")
                .optional()
                .value(name),
        )
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title: t("register-title"),
            intro: Some(t("register-intro")),
            form,
            links: other_pages(p, v, "/register"),
        },
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
    v: Visitor,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return register_form(p, &v, None, None, Some(problem));
    };
    let parsed = (|| {
        Ok::<_, Error>(Registration {
            email: EmailAddress::parse(&f.email)?,
            password: NewPassword::parse(f.password)?,
            name: DisplayName::parse_optional(f.name.as_deref())?,
            // The page's language: the one chosen with the language links, else the browser's.
            locale: v.lang,
            return_to: v.return_to.clone(),
        })
    })();
    let result = match parsed {
        Ok(registration) => {
            let email = registration.email.as_str().to_owned();
            s.flows.register(registration).await.map(|()| email)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(email) => {
            let page = check_inbox(p, &v, Sent::Verification, email);
            cookies::remember_return_to(&s, v.return_to.as_ref(), s.flows.settings.verify_ttl, page)
        }
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            register_form(p, &v, Some(f.email), f.name, Some(problem))
        }
    }
}

/// Which email a "check your inbox" page is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    Verification,
    Resent,
    Reset,
}

/// "Check your inbox", with the form for the code from that email and the address filled in.
fn check_inbox(p: &Pages, v: &Visitor, sent: Sent, email: String) -> Response {
    let title = p.t(v.lang, "sent-title");
    let key = match sent {
        Sent::Verification => "sent-register",
        Sent::Resent => "sent-resend",
        Sent::Reset => "sent-forgot",
    };
    let said = p.t_with(v.lang, key, &[("email", email.as_str().into())]);
    if sent == Sent::Reset {
        let intro = format!("{said} {}", p.t(v.lang, "code-or-link-reset"));
        codes::reset_form(p, v, title, intro, (Some(email), None), None)
    } else {
        let intro = format!("{said} {}", p.t(v.lang, "code-or-link"));
        codes::verify_form(p, v, title, intro, Some(email), None)
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

/// The two "send me a link" pages.
#[derive(Clone, Copy)]
enum LinkRequest {
    Resend,
    Forgot,
}

impl LinkRequest {
    fn path(self) -> &'static str {
        match self {
            Self::Resend => "/resend-verification",
            Self::Forgot => "/forgot-password",
        }
    }

    /// The prefix of the page's message keys (and the form's id).
    fn keys(self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Forgot => "forgot",
        }
    }

    fn sent(self) -> Sent {
        match self {
            Self::Resend => Sent::Resent,
            Self::Forgot => Sent::Reset,
        }
    }
}

fn email_form(
    p: &Pages,
    v: &Visitor,
    page: LinkRequest,
    email: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let k = |suffix: &str| p.t(v.lang, &format!("{}-{suffix}", page.keys()));
    let form = FormView::new(page.keys(), page.path(), k("button"))
        .field(email_field(p.t(v.lang, "field-email"), email))
        .problem(problem);
    p.form_page(
        v,
        FormPage {
            title: k("title"),
            intro: Some(k("intro")),
            form,
            links: other_pages(p, v, page.path()),
        },
    )
}

pub async fn resend_page(State(s): State<AppState>, v: Visitor) -> Response {
    email_form(&s.pages, &v, LinkRequest::Resend, None, None)
}

pub async fn forgot_page(State(s): State<AppState>, v: Visitor) -> Response {
    email_form(&s.pages, &v, LinkRequest::Forgot, None, None)
}

pub async fn resend_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let email = form.map(|Form(f)| f.email).unwrap_or_default();
    // Asked again within the mail cooldown: nothing new goes out, so the page says when the
    // next link can be asked for instead of that one is on its way. Read before the request's
    // own work (after the answer) takes the cooldown.
    let mut wait = None;
    let result = match EmailAddress::parse(&email).map_err(Error::from) {
        Ok(address) => {
            wait = s.flows.resend_wait(&address).await.ok().flatten();
            s.flows
                .resend_verification(&address)
                .await
                .map(|()| address)
        }
        Err(e) => Err(e),
    };
    if let (Ok(_), Some(wait)) = (&result, wait) {
        let p = &s.pages;
        let seconds = wait.as_secs_f64().ceil() as u64;
        let said = p.t_with(
            v.lang,
            "sent-resend-wait",
            &[
                ("email", email.as_str().into()),
                ("seconds", seconds.into()),
            ],
        );
        let intro = format!("{said} {}", p.t(v.lang, "code-or-link"));
        let page = codes::verify_form(p, &v, p.t(v.lang, "sent-title"), intro, Some(email), None);
        return cookies::remember_return_to(
            &s,
            v.return_to.as_ref(),
            s.flows.settings.verify_ttl,
            page,
        );
    }
    let page = answer(&s.pages, &v, LinkRequest::Resend, email, result);
    cookies::remember_return_to(&s, v.return_to.as_ref(), s.flows.settings.verify_ttl, page)
}

pub async fn forgot_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let email = form.map(|Form(f)| f.email).unwrap_or_default();
    let result = match EmailAddress::parse(&email).map_err(Error::from) {
        Ok(address) => s.flows.forgot_password(&address).await.map(|()| address),
        Err(e) => Err(e),
    };
    let page = answer(&s.pages, &v, LinkRequest::Forgot, email, result);
    cookies::remember_return_to(&s, v.return_to.as_ref(), s.flows.settings.reset_ttl, page)
}

fn answer(
    p: &Pages,
    v: &Visitor,
    page: LinkRequest,
    typed: String,
    result: Result<EmailAddress, Error>,
) -> Response {
    match result {
        Ok(_) => check_inbox(p, v, page.sent(), typed),
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            email_form(p, v, page, Some(typed), Some(problem))
        }
    }
}
