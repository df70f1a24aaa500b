//! The page after an address was verified, by its link or by its code (contract §4).

use axum::response::Response;

use super::{
    forms::{Field, FormPage, FormView},
    render::Outcome,
    visitor::Visitor,
};
use crate::{flows::VerifiedAddress, http::AppState};

/// "Confirmed, sign in"; or, for a contested address (signed up more than once with different
/// passwords), which kept no password: the new-password form at once, on the reset link that
/// was also mailed (the verification proved the mailbox). It posts to the reset page, which
/// answers as for that link.
pub(super) fn verified_page(s: &AppState, v: &Visitor, verified: VerifiedAddress) -> Response {
    let p = &s.pages;
    let lang = v.lang;
    let email = [("email", verified.email.as_str().into())];
    let Some(token) = verified.reset_token else {
        return p.result(
            v,
            Outcome::done(
                p.t(lang, "verify-done-title"),
                p.t_with(lang, "verify-done", &email),
                ("/login", p.t(lang, "next-sign-in")),
            ),
        );
    };
    let form = FormView::new("link", "/reset-password", p.t(lang, "reset-button"))
        .hidden("token", token)
        .field(
            Field::new(
                "new_password",
                p.t(lang, "field-new-password"),
                "password",
                "new-password",
            )
            .new_password()
            .hint(p.t(lang, "field-new-password-hint")),
        );
    p.form_page(
        v,
        FormPage {
            title: p.t(lang, "reset-title"),
            intro: Some(p.t_with(lang, "verify-contested", &email)),
            form: form.problem(None),
            links: Vec::new(),
        },
    )
}
