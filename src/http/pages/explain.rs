//! What a page says about an error of a flow, and how it answers: the words come from the
//! catalogue by the error's type (for refused input, by which `Invalid` it is), the field from
//! the one table (`http::rejection`), and the status (200 with the form again, 429 or 503 with
//! `Retry-After`) is part of the `Problem` `explain` returns, applied where the page is
//! rendered.

use std::time::Duration;

use axum::{extract::Request, http::StatusCode, response::Response};

use super::{
    forms::{Answer, LinkView, Problem},
    render::{Outcome, Pages},
    visitor::Visitor,
};
use crate::{
    domain::{invalid::Invalid, locale::Locale, new_password::WeakPassword},
    error::Error,
    http::{AppState, rejection},
};

/// Explains an error of a flow in the visitor's words. `current_password` is the field of the
/// form that holds the signed-in user's password, which a wrong one is about (`None`: the whole
/// form, as on the log-in page).
pub fn explain(
    pages: &Pages,
    lang: Locale,
    e: &Error,
    current_password: Option<&'static str>,
) -> Problem {
    let t = |key: &str| pages.t(lang, key);
    match e {
        Error::Invalid(invalid) => match wording(invalid) {
            Some(key) => Problem {
                field: rejection::invalid(invalid).field.map(|f| f.name),
                ..Problem::form(t(key))
            },
            // Refusals of no page's input (the admin API's): its own sentence, above the form.
            None => Problem::form(e.to_string()),
        },
        Error::InvalidCredentials => match current_password {
            Some(field) => Problem::at(field, t("error-current-password")),
            None => Problem::form(t("error-credentials")),
        },
        Error::EmailNotVerified => Problem {
            link: Some(LinkView::new(
                "/resend-verification",
                t("error-not-verified-link"),
            )),
            ..Problem::form(t("error-not-verified"))
        },
        Error::AccountDisabled => Problem::form(t("error-disabled")),
        Error::SameEmail => Problem::at("new_email", t("error-same-email")),
        Error::EmailTaken => Problem::form(t("error-email-taken")),
        Error::LastAdmin => Problem::form(t("error-last-admin")),
        Error::PasskeyInvalid | Error::PasskeyRefused => Problem::form(t("passkey-failed")),
        Error::TokenExpired => Problem::form(t("link-expired")),
        Error::TokenUsed => Problem::form(t("link-used")),
        Error::TokenInvalid => Problem::form(t("link-invalid")),
        Error::NotFound => Problem::form(t("error-session-gone")),
        Error::RateLimited { retry_after } => {
            let wait = (*retry_after).max(Duration::from_secs(1));
            let when = pages.catalogue().in_about(lang.as_str(), wait);
            Problem {
                answer: Answer::TooManyRequests(*retry_after),
                ..Problem::form(pages.t_with(lang, "rate-limited", &[("when", when.into())]))
            }
        }
        other if rejection::error(other).status.is_server_error() => {
            // The page's one log line for the failure, with its causes; the person sees a
            // plain sentence.
            tracing::error!(error = %crate::error::Chain(other), "page request failed");
            let answer = match other {
                Error::Unavailable(u) => Answer::Unavailable {
                    retry_after_secs: rejection::retry_after_secs(u),
                },
                _ => Answer::Shown,
            };
            Problem {
                answer,
                ..Problem::form(t("error-server"))
            }
        }
        other => Problem::form(other.to_string()),
    }
}

/// The catalogue's words for a refusal of input on a page; `None` for refusals no page's form
/// can cause.
fn wording(invalid: &Invalid) -> Option<&'static str> {
    Some(match invalid {
        Invalid::Email { .. } => "error-email-invalid",
        Invalid::WeakPassword { reason, .. } => match reason {
            WeakPassword::TooShort => "error-password-short",
            WeakPassword::TooLong => "error-password-long",
            WeakPassword::Common => "error-password-common",
        },
        Invalid::Name(_) => "error-name-invalid",
        Invalid::Locale(_) => "error-locale-invalid",
        Invalid::PageSize { .. }
        | Invalid::Cursor
        | Invalid::OutboxStatus
        | Invalid::OwnAccount(_) => return None,
    })
}

/// The page for an attempt a limit refused: what happened and when to try again, 429 with
/// `Retry-After`.
pub fn too_many_requests(p: &Pages, visitor: &Visitor, retry_after: Duration) -> Response {
    let lang = visitor.lang;
    let secs = retry_after.as_millis().div_ceil(1000).max(1);
    let when = p.catalogue().in_about(
        lang.as_str(),
        Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX)),
    );
    let outcome = Outcome {
        title: p.t(lang, "rate-limited-title"),
        message: p.t_with(lang, "rate-limited", &[("when", when.into())]),
        detail: None,
        failed: true,
        next: None,
        other: None,
        answer: Answer::TooManyRequests(retry_after),
    };
    p.result(visitor, outcome)
}

/// How the pages' routes answer a request over their per-IP limit (`rate_limit::Refuse`).
pub fn limit_refusal(s: &AppState, request: &Request, retry_after: Duration) -> Response {
    let visitor = Visitor::from_request(s, request.headers(), request.uri());
    too_many_requests(&s.pages, &visitor, retry_after)
}

/// The page for a form posted from another site (refused by the CSRF layer): 403.
pub fn cross_site(p: &Pages, visitor: &Visitor) -> Response {
    let lang = visitor.lang;
    let outcome = Outcome::failed(
        p.t(lang, "csrf-title"),
        p.t(lang, "csrf"),
        ("/", p.t(lang, "csrf-back")),
        None,
    );
    let mut page = p.result(visitor, outcome);
    *page.status_mut() = StatusCode::FORBIDDEN;
    page
}

/// A browser's request for a page path that does not exist (404), or with a method the path
/// does not take (405, such as `GET /logout`): a page in the visitor's language, not JSON.
pub fn no_such_page(p: &Pages, visitor: &Visitor, status: StatusCode) -> Response {
    let lang = visitor.lang;
    let (title, message) = if status == StatusCode::METHOD_NOT_ALLOWED {
        ("wrong-method-title", "wrong-method")
    } else {
        ("missing-title", "missing")
    };
    let outcome = Outcome::failed(
        p.t(lang, title),
        p.t(lang, message),
        ("/", p.t(lang, "csrf-back")),
        None,
    );
    let mut page = p.result(visitor, outcome);
    *page.status_mut() = status;
    page
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;
    use crate::{
        domain::invalid::PasswordRole,
        http::pages::{
            forms::{Field, FormView},
            render::tests::pages,
        },
    };

    #[test]
    fn a_form_error_points_at_its_field_and_takes_focus() {
        let p = pages();
        let weak = Error::Invalid(Invalid::replacement_password(WeakPassword::Common));
        let form = FormView::new("reset", "/reset-password", "Go".into())
            .field(
                Field::new("new_password", "New".into(), "password", "new-password")
                    .hint("h".into()),
            )
            .problem(Some(explain(&p, Locale::De, &weak, None)))
            .finish();
        let field = &form.fields()[0];
        assert_eq!(field.id(), "reset-new-password");
        assert_eq!(
            field.error(),
            Some("Dieses Passwort ist zu verbreitet. Wähle eines, das schwerer zu erraten ist.")
        );
        assert_eq!(
            field.describedby(),
            Some("reset-new-password-error reset-new-password-hint")
        );
        assert!(field.focused());
        assert!(form.error().is_none());
        assert_eq!(form.answer(), Answer::Shown);
    }

    #[test]
    fn each_rule_a_password_breaks_has_its_words_beside_the_field_it_was_typed_in() {
        let p = pages();
        for (reason, key) in [
            (WeakPassword::TooShort, "error-password-short"),
            (WeakPassword::TooLong, "error-password-long"),
            (WeakPassword::Common, "error-password-common"),
        ] {
            for (role, field) in [
                (PasswordRole::First, "password"),
                (PasswordRole::Replacement, "new_password"),
            ] {
                let e = Error::Invalid(Invalid::WeakPassword {
                    role,
                    reason: reason.clone(),
                });
                let problem = explain(&p, Locale::En, &e, None);
                assert_eq!(problem.field, Some(field));
                assert_eq!(problem.message, p.t(Locale::En, key));
            }
        }
    }

    #[test]
    fn a_limit_and_an_unavailable_database_set_the_status_of_the_page() {
        let p = pages();
        let limited = Error::RateLimited {
            retry_after: Duration::from_millis(1500),
        };
        let problem = explain(&p, Locale::En, &limited, Some("password"));
        assert_eq!(
            problem.answer,
            Answer::TooManyRequests(Duration::from_millis(1500))
        );
        let page = problem.answer.apply(Response::default());
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            page.headers()
                .get(header::RETRY_AFTER)
                .map(HeaderValue::as_bytes),
            Some(&b"2"[..])
        );
        let locked = Error::Unavailable(crate::error::Unavailable::Locked(sqlx::Error::PoolClosed));
        let problem = explain(&p, Locale::En, &locked, None);
        assert_eq!(
            problem.answer,
            Answer::Unavailable {
                retry_after_secs: 1
            }
        );
        assert_eq!(problem.message, p.t(Locale::En, "error-server"));
        // Anything else of the server's is said the same way, on a page that shows the form.
        let problem = explain(&p, Locale::En, &Error::Busy, None);
        assert_eq!(problem.answer, Answer::Shown);
    }
}
