//! The pages a link in an email opens: verify the address, reset the password, confirm or revert
//! an email change. They never use a token up on `GET`: they show a button that `POST`s, so mail
//! scanners that open links spend nothing. A link that does not work gets a page that offers
//! the next step.

use axum::{
    Form, Router,
    extract::{
        Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    response::Response,
    routing::{MethodRouter, get, post},
};
use serde::Deserialize;

use super::{
    codes,
    explain::{explain, limit_refusal},
    forms::{Field, FormPage, FormView, Problem},
    render::{Outcome, Step},
    verified,
    visitor::Visitor,
};
use crate::{
    error::Error,
    flows::{ChangeLink, ConfirmOutcome, LimitKey},
    http::{AppState, rate_limit},
};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    VerifyEmail,
    ResetPassword,
    ConfirmEmailChange,
    RevertEmailChange,
}

impl LinkKind {
    pub const ALL: [Self; 4] = [
        Self::VerifyEmail,
        Self::ResetPassword,
        Self::ConfirmEmailChange,
        Self::RevertEmailChange,
    ];

    /// The page's path (the link in the email points here).
    pub fn path(self) -> &'static str {
        match self {
            Self::VerifyEmail => "/verify-email",
            Self::ResetPassword => "/reset-password",
            Self::ConfirmEmailChange => "/confirm-email-change",
            Self::RevertEmailChange => "/revert-email-change",
        }
    }

    /// The prefix of the page's message keys.
    fn keys(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify",
            Self::ResetPassword => "reset",
            Self::ConfirmEmailChange => "confirm",
            Self::RevertEmailChange => "revert",
        }
    }

    /// Where a dead link sends people, with the key of its label: a new link, the account
    /// page, log-in.
    fn next(self) -> (&'static str, &'static str) {
        match self {
            Self::VerifyEmail => ("/resend-verification", "next-new-verify-link"),
            Self::ResetPassword => ("/forgot-password", "next-new-reset-link"),
            Self::ConfirmEmailChange => ("/account", "next-account"),
            Self::RevertEmailChange => ("/login", "next-sign-in"),
        }
    }

    /// The form for the code that the same email carries, if it carries one.
    fn code_page(self) -> Option<&'static str> {
        match self {
            Self::VerifyEmail => Some(codes::VERIFY_CODE_PAGE),
            Self::ResetPassword => Some(codes::RESET_CODE_PAGE),
            Self::ConfirmEmailChange | Self::RevertEmailChange => None,
        }
    }

    /// The per-IP limit its use counts against, shared with the API route it mirrors.
    fn limit(self) -> LimitKey {
        match self {
            Self::VerifyEmail => LimitKey::VerifyEmail,
            Self::ResetPassword => LimitKey::ResetPassword,
            Self::ConfirmEmailChange => LimitKey::ConfirmEmailChange,
            Self::RevertEmailChange => LimitKey::RevertEmailChange,
        }
    }

    /// The handler of the page's button.
    fn submit(self) -> MethodRouter<AppState> {
        match self {
            Self::VerifyEmail => post(verify_email_submit),
            Self::ResetPassword => post(reset_password_submit),
            Self::ConfirmEmailChange => post(confirm_email_change_submit),
            Self::RevertEmailChange => post(revert_email_change_submit),
        }
    }
}

/// Every link page: `GET` shows it, `POST` (behind the link limit) uses the link.
pub fn routes(state: &AppState) -> Router<AppState> {
    LinkKind::ALL
        .into_iter()
        .fold(Router::new(), |router, kind| {
            let show = get(
                move |State(s): State<AppState>, v: Visitor, q: LinkQuery| async move {
                    let token = token_of(q);
                    // A reset link is checked before the page asks for a new password: a dead
                    // one gets its next step at once (checking spends nothing).
                    if kind == LinkKind::ResetPassword
                        && let Some(t) = token.as_deref().filter(|t| !t.is_empty())
                        && let Err(e) = s.flows.check_reset_link(t).await
                    {
                        return link_failed(&s, &v, kind, &e);
                    }
                    // A confirmation of an email change names both addresses before its button
                    // is pressed (nothing is used up by looking).
                    let mut intro = None;
                    if kind == LinkKind::ConfirmEmailChange
                        && let Some(t) = token.as_deref().filter(|t| !t.is_empty())
                        && let Ok(Some(link)) = s.flows.email_change_link(t).await
                    {
                        intro = Some(change_intro(&s, &v, &link));
                    }
                    link_page(&s, &v, kind, token, None, intro)
                },
            );
            let submit = rate_limit::limited(kind.submit(), state, kind.limit(), limit_refusal);
            router.route(kind.path(), show.merge(submit))
        })
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The query of a link page. One that does not parse (`?token=a&token=b`) is a link without a
/// usable token: the page says so, rather than axum's plain-text rejection.
type LinkQuery = Result<Query<TokenQuery>, QueryRejection>;

fn token_of(query: LinkQuery) -> Option<String> {
    query.ok().and_then(|Query(q)| q.token)
}

/// The page a link opens: it explains and offers a button; only the button's `POST` acts.
fn link_page(
    s: &AppState,
    visitor: &Visitor,
    kind: LinkKind,
    token: Option<String>,
    problem: Option<Problem>,
    intro: Option<String>,
) -> Response {
    let p = &s.pages;
    let lang = visitor.lang;
    let k = |suffix: &str| p.t(lang, &format!("{}-{suffix}", kind.keys()));
    let (next_path, next_key) = kind.next();
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        // Where the email also carries a code, the code form is the way on.
        let next = (next_path, p.t(lang, next_key));
        let (next, other) = match kind.code_page() {
            Some(code) => ((code, p.t(lang, "link-use-code")), Some(next)),
            None => (next, None),
        };
        return p.result(
            visitor,
            Outcome::failed(k("title"), p.t(lang, "link-missing"), next, other),
        );
    };
    let mut form = FormView::new("link", kind.path(), k("button")).hidden("token", token);
    if kind == LinkKind::ResetPassword {
        form = form.field(
            Field::new(
                "new_password",
                p.t(lang, "field-new-password"),
                "password",
                "new-password",
            )
            .new_password()
            .hint(p.t(lang, "field-new-password-hint")),
        );
    }
    p.form_page(
        visitor,
        FormPage {
            title: k("title"),
            intro: Some(intro.unwrap_or_else(|| k("intro"))),
            form: form.problem(problem),
            links: Vec::new(),
        },
    )
}

/// What an email change's confirmation page says it confirms. The link to the current address
/// reached the account's owner: both addresses in full. The link to the new address may have
/// reached a stranger (a mistyped address): the account's address only masked, so that such an
/// inbox learns no one's address (and never the account's name).
fn change_intro(s: &AppState, v: &Visitor, link: &ChangeLink) -> String {
    let (key, old) = if link.to_old {
        ("confirm-intro-old", link.old_email.clone())
    } else {
        ("confirm-intro-new", mask_email(&link.old_email))
    };
    s.pages.t_with(
        v.lang,
        key,
        &[("old", old.into()), ("new", link.new_email.clone().into())],
    )
}

/// `a•••@example.com`: the first character of the local part and the domain.
fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
    new_password: Option<String>,
}

type LinkForm = Result<Form<TokenForm>, FormRejection>;

fn form_fields(form: LinkForm) -> (String, String) {
    form.map(|Form(f)| (f.token, f.new_password.unwrap_or_default()))
        .unwrap_or_default()
}

/// The page for a link that did not work: what happened, and the next step.
fn link_failed(s: &AppState, visitor: &Visitor, kind: LinkKind, e: &Error) -> Response {
    let p = &s.pages;
    let lang = visitor.lang;
    let problem = explain(p, lang, e, None);
    let sign_in: Step = ("/login", p.t(lang, "next-sign-in"));
    let (next, other) = match (kind, e) {
        // A used verification link most likely verified the address already: signing in is
        // next.
        (LinkKind::VerifyEmail, Error::TokenUsed) | (LinkKind::RevertEmailChange, _) => {
            (sign_in, None)
        }
        _ => {
            let (path, key) = kind.next();
            ((path, p.t(lang, key)), Some(sign_in))
        }
    };
    // A used link most likely did its work (opened twice, or by a second click): say that it
    // is done rather than that it failed.
    let (title, message) = match e {
        Error::TokenUsed => (
            p.t(lang, &format!("{}-used-title", kind.keys())),
            p.t(lang, &format!("{}-used", kind.keys())),
        ),
        _ => (
            p.t(lang, &format!("{}-failed-title", kind.keys())),
            problem.message,
        ),
    };
    let outcome = Outcome {
        answer: problem.answer,
        failed: !matches!(e, Error::TokenUsed),
        ..Outcome::failed(title, message, next, other)
    };
    p.result(visitor, outcome)
}

async fn verify_email_submit(State(s): State<AppState>, v: Visitor, form: LinkForm) -> Response {
    let (token, _) = form_fields(form);
    match s.flows.verify_email(&token).await {
        Ok(verified) => verified::verified_page(&s, &v, verified),
        Err(e) => link_failed(&s, &v, LinkKind::VerifyEmail, &e),
    }
}

async fn reset_password_submit(State(s): State<AppState>, v: Visitor, form: LinkForm) -> Response {
    let (token, password) = form_fields(form);
    let p = &s.pages;
    match s.flows.reset_password(&token, password).await {
        Ok(()) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "reset-done-title"),
                p.t(v.lang, "reset-done"),
                ("/login", p.t(v.lang, "next-sign-in")),
            ),
        ),
        // The link still works: the form again, with the reason beside the field.
        Err(e @ Error::Invalid(_)) => {
            let problem = explain(p, v.lang, &e, None);
            link_page(
                &s,
                &v,
                LinkKind::ResetPassword,
                Some(token),
                Some(problem),
                None,
            )
        }
        Err(e) => link_failed(&s, &v, LinkKind::ResetPassword, &e),
    }
}

async fn confirm_email_change_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: LinkForm,
) -> Response {
    let (token, _) = form_fields(form);
    let p = &s.pages;
    match s.flows.confirm_email_change(&token).await {
        Ok(ConfirmOutcome::Changed(email)) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "confirm-done-title"),
                p.t_with(v.lang, "confirm-done", &[("email", email.as_str().into())]),
                ("/account", p.t(v.lang, "next-account")),
            ),
        ),
        Ok(ConfirmOutcome::AwaitingOtherConfirmation) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "confirm-waiting-title"),
                p.t(v.lang, "confirm-waiting"),
                ("/account", p.t(v.lang, "next-account")),
            ),
        ),
        Err(e) => link_failed(&s, &v, LinkKind::ConfirmEmailChange, &e),
    }
}

async fn revert_email_change_submit(
    State(s): State<AppState>,
    v: Visitor,
    form: LinkForm,
) -> Response {
    let (token, _) = form_fields(form);
    let p = &s.pages;
    match s.flows.revert_email_change(&token).await {
        Ok(email) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "revert-done-title"),
                p.t_with(v.lang, "revert-done", &[("email", email.as_str().into())]),
                ("/login", p.t(v.lang, "next-sign-in")),
            ),
        ),
        Err(e) => link_failed(&s, &v, LinkKind::RevertEmailChange, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn a_masked_address_keeps_its_first_character_and_domain() {
        assert_eq!(mask_email("john.doe@example.com"), "j•••@example.com");
        assert_eq!(mask_email("é@x.org"), "é•••@x.org");
        assert_eq!(mask_email("nodomain"), "•••");
    }
}
