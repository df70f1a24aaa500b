//! Server-rendered pages (contract §8). Pages that carry a token never use it up on `GET`:
//! they show a button that `POST`s, so mail scanners that open links spend nothing.
//!
//! Every page speaks the visitor's language: a signed-in user's own, otherwise the one chosen
//! with the language links (a cookie), otherwise the best match of `Accept-Language`, otherwise
//! `LATCHKEY_DEFAULT_LOCALE`. The words come from the message catalogue (`crate::i18n`); one
//! small stylesheet, served under a content hash with a long cache, styles every page.

mod account;
mod codes;
pub mod dev_mailbox;
mod device;
mod forms;

use std::sync::{Arc, LazyLock};

use axum::{
    Form, Router,
    extract::{
        FromRequestParts, Query, Request, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use fluent_bundle::FluentValue;
use minijinja::{Environment, Value, context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::{csrf::CsrfLayer, set_header::SetResponseHeaderLayer};

use super::{
    AppState, accept_language,
    rate_limit::{self, Class},
};
use crate::{
    domain::{locale::Locale, password::NewPassword},
    error::Error,
    flows::ConfirmOutcome,
    i18n::Catalogue,
};

/// The page templates, built in.
const PAGE_TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../../templates/pages/base.html"),
    ),
    (
        "macros.html",
        include_str!("../../../templates/pages/macros.html"),
    ),
    (
        "result.html",
        include_str!("../../../templates/pages/result.html"),
    ),
    (
        "form.html",
        include_str!("../../../templates/pages/form.html"),
    ),
    (
        "account.html",
        include_str!("../../../templates/pages/account.html"),
    ),
    (
        "mailbox.html",
        include_str!("../../../templates/pages/mailbox.html"),
    ),
];

const STYLESHEET: &str = include_str!("../../../templates/pages/style.css");
const FAVICON: &[u8] = include_bytes!("../../../templates/pages/favicon.ico");

/// `/assets/style-HASH.css`: a new stylesheet gets a new URL, so the old one may be cached
/// for a year.
pub static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/assets/style-{hash}.css")
});

/// Every page: no framing, no inline script or style (the stylesheet is a file of its own),
/// forms post only here, nothing loaded from elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The cookie that keeps a signed-out visitor's choice of language.
pub const LANGUAGE_COOKIE: &str = "latchkey_lang";

/// The page templates with the catalogue's `t` function.
pub struct Pages {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    default_locale: Locale,
}

impl Pages {
    pub fn new(catalogue: Arc<Catalogue>, default_locale: Locale) -> Self {
        let mut env = Environment::new();
        // `.html` names: minijinja escapes every value in them, the way the emails are escaped.
        env.set_formatter(crate::mail::templates::escape_html_text);
        // Block tags leave no blank lines behind: smaller pages.
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        catalogue.install(&mut env);
        for (name, source) in PAGE_TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(name, error = %e, "built-in page template does not parse");
            }
        }
        Self {
            env,
            catalogue,
            default_locale,
        }
    }

    /// A message in the visitor's language.
    pub fn t(&self, lang: Locale, key: &str) -> String {
        self.catalogue.text(lang.as_str(), key, &[])
    }

    pub fn t_with(&self, lang: Locale, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.catalogue.text(lang.as_str(), key, args)
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Renders a page for `visitor` with `values`, status 200.
    pub fn render(&self, name: &str, visitor: &Visitor, values: Value) -> Response {
        let languages: Vec<Value> = Locale::ALL
            .iter()
            .map(|l| {
                context! { code => l.as_str(), name => self.catalogue.text(l.as_str(), "language-name", &[]) }
            })
            .collect();
        let page = context! {
            locale => visitor.lang.as_str(),
            product => self.catalogue.product(),
            css => STYLESHEET_PATH.as_str(),
            languages,
            here_q => percent_encoding::utf8_percent_encode(&visitor.here, percent_encoding::NON_ALPHANUMERIC).to_string(),
            signed_in => visitor.signed_in,
            ..values
        };
        match self.env.get_template(name).and_then(|t| t.render(page)) {
            Ok(html) => Html(html).into_response(),
            Err(e) => Error::internal_while(format!("page {name}"), e).into_response(),
        }
    }

    /// A page that says what happened and offers the next step.
    pub fn result(&self, visitor: &Visitor, outcome: Outcome) -> Response {
        let mut values = context! {
            title => outcome.title, message => outcome.message, failed => outcome.failed,
            detail => outcome.detail,
        };
        if let Some((url, label)) = outcome.next {
            values = context! { next_url => url, next_label => label, ..values };
        }
        if let Some((url, label)) = outcome.other {
            values = context! { other_url => url, other_label => label, ..values };
        }
        self.render("result.html", visitor, values)
    }

    /// A page whose main part is one form.
    pub fn form_page(&self, visitor: &Visitor, page: FormPage) -> Response {
        let values = context! {
            title => page.title,
            intro => page.intro,
            form => Value::from(minijinja::value::Serde(page.form.finish())),
            links => Value::from(minijinja::value::Serde(page.links)),
        };
        self.render("form.html", visitor, values)
    }
}

/// Who is looking, as far as a page's words go.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Locale,
    /// This page's path and query, for the language links to come back to.
    pub here: String,
    pub signed_in: bool,
}

impl Visitor {
    fn from_request(s: &AppState, headers: &HeaderMap, uri: &axum::http::Uri) -> Self {
        let chosen = account::cookie(headers, LANGUAGE_COOKIE).and_then(|c| Locale::from_tag(&c));
        let lang = chosen.unwrap_or_else(|| {
            accept_language(headers)
                .and_then(Locale::from_accept_language)
                .unwrap_or(s.pages.default_locale)
        });
        let here = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        Self {
            lang,
            here,
            signed_in: false,
        }
    }

    /// A signed-in user sees pages in their own language.
    pub fn signed_in_as(mut self, user: &crate::domain::accounts::User, default: Locale) -> Self {
        self.lang = user.locale_or(default);
        self.signed_in = true;
        self
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self::from_request(s, &parts.headers, &parts.uri))
    }
}

/// One input of a form. Labels, hints and errors are already in the visitor's language.
#[derive(Debug, Serialize, Default)]
pub struct Field {
    id: String,
    name: &'static str,
    label: String,
    r#type: &'static str,
    autocomplete: &'static str,
    required: bool,
    value: Option<String>,
    hint: Option<String>,
    error: Option<String>,
    describedby: Option<String>,
    minlength: Option<u32>,
    maxlength: Option<u32>,
    inputmode: Option<&'static str>,
    focus: bool,
    options: Vec<SelectOption>,
}

#[derive(Debug, Serialize)]
struct SelectOption {
    value: &'static str,
    label: String,
    /// The option's own language, when it is not the page's.
    lang: Option<&'static str>,
}

impl Field {
    pub fn new(
        name: &'static str,
        label: String,
        r#type: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            name,
            label,
            r#type,
            autocomplete,
            required: true,
            ..Self::default()
        }
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn value(mut self, value: Option<String>) -> Self {
        self.value = value.filter(|v| !v.is_empty());
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn numeric(mut self) -> Self {
        self.inputmode = Some("numeric");
        self
    }

    /// A new password: the policy's bounds, so the browser checks them first.
    pub fn new_password(mut self) -> Self {
        self.minlength = Some(crate::domain::password::MIN_CHARS as u32);
        self.maxlength = Some(crate::domain::password::MAX_CHARS as u32);
        self
    }

    /// A choice of language, each offered in its own language.
    pub fn languages(mut self, pages: &Pages) -> Self {
        self.r#type = "select";
        self.options = Locale::ALL
            .iter()
            .map(|l| SelectOption {
                value: l.as_str(),
                label: pages.catalogue.text(l.as_str(), "language-name", &[]),
                lang: Some(l.as_str()),
            })
            .collect();
        self
    }

    /// Puts a first option `value` with `label` (in the page's language) before the others.
    pub fn first_option(mut self, value: &'static str, label: String) -> Self {
        self.options.insert(
            0,
            SelectOption {
                value,
                label,
                lang: None,
            },
        );
        self
    }

    /// The most characters the field takes, so the browser stops there first.
    pub fn max_chars(mut self, max: u32) -> Self {
        self.maxlength = Some(max);
        self
    }
}

#[derive(Debug, Serialize)]
struct Hidden {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
pub struct LinkView {
    url: String,
    label: String,
    lead: Option<String>,
}

impl LinkView {
    pub fn new(url: &str, label: String) -> Self {
        Self {
            url: url.to_owned(),
            label,
            lead: None,
        }
    }

    pub fn after(mut self, lead: String) -> Self {
        self.lead = Some(lead);
        self
    }
}

/// A form: its fields, its button, and an error beside the field it is about (or above the
/// form when it is about the whole form), announced to screen readers.
#[derive(Debug, Serialize)]
pub struct FormView {
    id: &'static str,
    action: &'static str,
    button: String,
    button_class: Option<&'static str>,
    fields: Vec<Field>,
    hidden: Vec<Hidden>,
    error: Option<String>,
    error_link: Option<LinkView>,
}

impl FormView {
    pub fn new(id: &'static str, action: &'static str, button: String) -> Self {
        Self {
            id,
            action,
            button,
            button_class: None,
            fields: Vec::new(),
            hidden: Vec::new(),
            error: None,
            error_link: None,
        }
    }

    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    pub fn hidden(mut self, name: &'static str, value: String) -> Self {
        self.hidden.push(Hidden { name, value });
        self
    }

    pub fn button_class(mut self, class: &'static str) -> Self {
        self.button_class = Some(class);
        self
    }

    /// Puts `problem` beside its field, or above the form when no field of this form is meant.
    pub fn problem(mut self, problem: Option<Problem>) -> Self {
        let Some(problem) = problem else {
            return self;
        };
        match problem
            .field
            .and_then(|name| self.fields.iter_mut().find(|f| f.name == name))
        {
            Some(field) => field.error = Some(problem.message),
            None => {
                self.error = Some(problem.message);
                self.error_link = problem.link;
            }
        }
        self
    }

    /// Ids, `aria-describedby`, and focus on the first field in error (no script needed).
    fn finish(mut self) -> Self {
        let mut focused = false;
        for field in &mut self.fields {
            field.id = format!("{}-{}", self.id, field.name.replace('_', "-"));
            let mut described = Vec::new();
            if field.error.is_some() {
                described.push(format!("{}-error", field.id));
                if !focused {
                    field.focus = true;
                    focused = true;
                }
            }
            if field.hint.is_some() {
                described.push(format!("{}-hint", field.id));
            }
            field.describedby = (!described.is_empty()).then(|| described.join(" "));
        }
        self
    }
}

/// A page with one form.
pub struct FormPage {
    pub title: String,
    pub intro: Option<String>,
    pub form: FormView,
    pub links: Vec<LinkView>,
}

/// What went wrong with a form, in the visitor's language, and which field it is about.
#[derive(Debug)]
pub struct Problem {
    pub field: Option<&'static str>,
    pub message: String,
    pub link: Option<LinkView>,
    /// Set when the problem is a rate limit: the page answers 429 with `Retry-After`.
    pub retry_after: Option<std::time::Duration>,
}

impl Problem {
    pub fn form(message: String) -> Self {
        Self {
            field: None,
            message,
            link: None,
            retry_after: None,
        }
    }

    pub fn at(field: &'static str, message: String) -> Self {
        Self {
            field: Some(field),
            ..Self::form(message)
        }
    }
}

/// How a page's form names its fields, for putting an error of a flow beside the right one.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldNames {
    /// The field of a new password (`password` on sign-up, `new_password` elsewhere).
    pub new_password: &'static str,
    /// The field a wrong password is about; `None`: the whole form (log-in).
    pub credentials: Option<&'static str>,
}

/// Explains an error of a flow in the visitor's words. `password` is the new password that was
/// typed, to tell which rule it broke.
pub fn explain(
    pages: &Pages,
    lang: Locale,
    e: &Error,
    names: FieldNames,
    password: Option<&str>,
) -> Problem {
    let t = |key: &str| pages.t(lang, key);
    match e {
        Error::Invalid { code, errors } => {
            let field = errors.first().map(|f| f.field.as_str()).unwrap_or_default();
            match *code {
                "invalid_email" => {
                    let field = if field == "new_email" {
                        "new_email"
                    } else {
                        "email"
                    };
                    Problem::at(field, t("error-email-invalid"))
                }
                "weak_password" => {
                    let key = match password.map(|p| NewPassword::parse(p.to_owned())) {
                        Some(Err(crate::domain::password::WeakPassword::TooLong)) => {
                            "error-password-long"
                        }
                        Some(Err(crate::domain::password::WeakPassword::Common)) => {
                            "error-password-common"
                        }
                        _ => "error-password-short",
                    };
                    Problem::at(names.new_password, t(key))
                }
                _ if field == "name" => Problem::at("name", t("error-name-invalid")),
                _ if field == "locale" => Problem::at("locale", t("error-locale-invalid")),
                _ => Problem::form(e.to_string()),
            }
        }
        Error::InvalidCredentials => match names.credentials {
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
        Error::TokenExpired => Problem::form(t("link-expired")),
        Error::TokenUsed => Problem::form(t("link-used")),
        Error::TokenInvalid => Problem::form(t("link-invalid")),
        Error::NotFound => Problem::form(t("error-session-gone")),
        Error::RateLimited { retry_after } => {
            let wait = (*retry_after).max(std::time::Duration::from_secs(1));
            let when = pages.catalogue.in_about(lang.as_str(), wait);
            Problem {
                retry_after: Some(wait),
                ..Problem::form(pages.t_with(lang, "rate-limited", &[("when", when.into())]))
            }
        }
        other if other.status().is_server_error() => {
            if let Error::Unavailable(u) = other {
                unavailable::mark(u.retry_after_secs());
            }
            // The page's one log line for the failure, with its causes; the person sees a
            // plain sentence.
            tracing::error!(error = %crate::error::Chain(other), "page request failed");
            Problem::form(t("error-server"))
        }
        other => Problem::form(other.to_string()),
    }
}

/// A form page answered while the database cannot take writes (a full disk, a lock held
/// elsewhere) shows the form again with the error, as every form error does, but with the
/// status 503 and `Retry-After`, so monitoring and clients see it for what it is. `explain`
/// marks the request; `html_errors` sets the status.
mod unavailable {
    use std::cell::Cell;

    tokio::task_local! {
        static RETRY_AFTER: Cell<Option<u32>>;
    }

    pub fn mark(retry_after_secs: u32) {
        let _ = RETRY_AFTER.try_with(|c| c.set(Some(retry_after_secs)));
    }

    pub async fn scope<F: std::future::Future>(f: F) -> (F::Output, Option<u32>) {
        RETRY_AFTER
            .scope(Cell::new(None), async {
                let out = f.await;
                (out, RETRY_AFTER.with(Cell::get))
            })
            .await
    }
}

/// The next step a result page offers: (url, label).
type Step = (&'static str, String);

pub struct Outcome {
    pub title: String,
    pub message: String,
    pub detail: Option<String>,
    pub failed: bool,
    pub next: Option<Step>,
    pub other: Option<Step>,
}

impl Outcome {
    pub fn done(title: String, message: String, next: Step) -> Self {
        Self {
            title,
            message,
            detail: None,
            failed: false,
            next: Some(next),
            other: None,
        }
    }

    pub fn failed(title: String, message: String, next: Step, other: Option<Step>) -> Self {
        Self {
            title,
            message,
            detail: None,
            failed: true,
            next: Some(next),
            other,
        }
    }
}

pub fn router(state: &AppState) -> Router<AppState> {
    let public = state
        .flows
        .settings
        .public_url
        .origin()
        .ascii_serialization();
    let csrf = CsrfLayer::new();
    let csrf = match csrf.clone().add_trusted_origin(&public) {
        Ok(layer) => layer,
        Err(_) => csrf,
    };
    // Every form that the API has a twin of counts against the same limit, under the API
    // route's key: a page is no way around the limits.
    let limit = |handler, class, key| rate_limit::limited(handler, state, class, key);
    let pages = Router::new()
        .route("/", get(home))
        .route("/language", get(choose_language))
        .route(
            "/login",
            get(account::login_page).merge(limit(
                post(account::login_submit),
                Class::Login,
                "/login",
            )),
        )
        .route("/logout", post(account::logout))
        .route("/account", get(account::account_page))
        .route("/account/email", post(account::change_email))
        .route("/account/email/cancel", post(account::cancel_email_change))
        .route("/account/password", post(account::change_password))
        .route("/account/profile", post(account::update_profile))
        .route("/account/delete", post(account::delete_account))
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route(
            "/account/sessions/revoke-others",
            post(account::revoke_other_sessions),
        )
        .route(
            "/register",
            get(forms::register_page).merge(limit(
                post(forms::register_submit),
                Class::Email,
                "/register",
            )),
        )
        .route(
            "/resend-verification",
            get(forms::resend_page).merge(limit(
                post(forms::resend_submit),
                Class::Email,
                "/email/verify/resend",
            )),
        )
        .route(
            "/forgot-password",
            get(forms::forgot_page).merge(limit(
                post(forms::forgot_submit),
                Class::Email,
                "/password/forgot",
            )),
        )
        .route(
            "/verify-email",
            get(verify_email_page).merge(limit(
                post(verify_email_submit),
                Class::Link,
                "/email/verify",
            )),
        )
        .route(
            codes::VERIFY_CODE_PAGE,
            get(codes::verify_code_page).merge(limit(
                post(codes::verify_code_submit),
                Class::Link,
                "/email/verify",
            )),
        )
        .route(
            codes::RESET_CODE_PAGE,
            get(codes::reset_code_page).merge(limit(
                post(codes::reset_code_submit),
                Class::Link,
                "/password/reset",
            )),
        )
        .route(
            "/reset-password",
            get(reset_password_page).merge(limit(
                post(reset_password_submit),
                Class::Link,
                "/password/reset",
            )),
        )
        .route(
            "/confirm-email-change",
            get(confirm_email_change_page).merge(limit(
                post(confirm_email_change_submit),
                Class::Link,
                "/email/change/confirm",
            )),
        )
        .route(
            "/revert-email-change",
            get(revert_email_change_page).merge(limit(
                post(revert_email_change_submit),
                Class::Link,
                "/email/change/revert",
            )),
        )
        .layer(csrf)
        // A refused cross-site form and a rate-limited form answer a page, not a bare status.
        .layer(middleware::from_fn_with_state(state.clone(), html_errors))
        // Pages carry tokens in their URL or form: they must leak neither to other sites
        // through the Referer nor into a cache, and are never framed.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    let assets = Router::new()
        .route(STYLESHEET_PATH.as_str(), get(stylesheet))
        .route("/favicon.ico", get(favicon));
    security_headers(pages.merge(assets))
}

/// The Content-Security-Policy every page and asset sends (unless it set a stricter one, like
/// the dev mailbox's sandboxed email view). `nosniff` is set for every answer in `http::router`.
pub fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    ))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        FAVICON,
    )
        .into_response()
}

/// `/`: the account page for someone signed in, the log-in page for everyone else.
async fn home(headers: HeaderMap) -> Redirect {
    let signed_in = [account::ACCESS_COOKIE, account::REFRESH_COOKIE]
        .iter()
        .any(|name| account::cookie(&headers, name).is_some_and(|v| !v.is_empty()));
    Redirect::to(if signed_in { "/account" } else { "/login" })
}

#[derive(Deserialize)]
pub struct LanguageChoice {
    set: Option<String>,
    next: Option<String>,
}

/// The language links: remembers the choice in a cookie and goes back to the page. Only a path
/// of this site is a place to go back to.
async fn choose_language(
    State(s): State<AppState>,
    query: Result<Query<LanguageChoice>, QueryRejection>,
) -> Response {
    let choice = query.map_or(
        LanguageChoice {
            set: None,
            next: None,
        },
        |Query(q)| q,
    );
    let next = choice
        .next
        .filter(|n| local_path(n))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&next).into_response();
    if let Some(lang) = choice.set.as_deref().and_then(Locale::from_tag)
        && let Some(cookie) = account::set_cookie(&s, LANGUAGE_COOKIE, lang.as_str(), 31_536_000)
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A path on this site: not `//host` or `/\host` (which browsers read as another site), no
/// control characters.
fn local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control)
}

/// Turns the bare 403 of a refused cross-site form and the problem+json 429 of a rate-limited
/// form into pages that say what happened.
async fn html_errors(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let visitor = Visitor::from_request(&s, request.headers(), request.uri());
    let (mut response, unavailable) = unavailable::scope(next.run(request)).await;
    if let Some(secs) = unavailable
        && response.status().is_success()
    {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let p = &s.pages;
    let lang = visitor.lang;
    if status == StatusCode::TOO_MANY_REQUESTS && is_problem {
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let seconds = retry_after
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(60);
        let when = p.catalogue.in_about(
            lang.as_str(),
            std::time::Duration::from_secs(seconds.max(1)),
        );
        let outcome = Outcome {
            title: p.t(lang, "rate-limited-title"),
            message: p.t_with(lang, "rate-limited", &[("when", when.into())]),
            detail: None,
            failed: true,
            next: None,
            other: None,
        };
        let mut page = p.result(&visitor, outcome);
        *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Some(v) = retry_after {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return page;
    }
    let empty = axum::body::HttpBody::size_hint(response.body()).exact() == Some(0);
    if status == StatusCode::FORBIDDEN && empty {
        let outcome = Outcome {
            title: p.t(lang, "csrf-title"),
            message: p.t(lang, "csrf"),
            detail: None,
            failed: true,
            next: Some(("/", p.t(lang, "csrf-back"))),
            other: None,
        };
        let mut page = p.result(&visitor, outcome);
        *page.status_mut() = StatusCode::FORBIDDEN;
        return page;
    }
    response
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The query of a link page. One that does not parse (`?token=a&token=b`) is a link without a
/// usable token: the page says so, rather than axum's plain-text rejection.
type LinkQuery = Result<Query<TokenQuery>, QueryRejection>;

/// What a link page is about: its path and its message keys.
#[derive(Clone, Copy)]
struct LinkKind {
    action: &'static str,
    /// Key prefix: `verify`, `reset`, `confirm`, `revert`.
    keys: &'static str,
    /// Where a dead link sends people: a new link, the account page, log-in.
    next: (&'static str, &'static str),
}

const VERIFY: LinkKind = LinkKind {
    action: "/verify-email",
    keys: "verify",
    next: ("/resend-verification", "next-new-verify-link"),
};
const RESET: LinkKind = LinkKind {
    action: "/reset-password",
    keys: "reset",
    next: ("/forgot-password", "next-new-reset-link"),
};
const CONFIRM: LinkKind = LinkKind {
    action: "/confirm-email-change",
    keys: "confirm",
    next: ("/account", "next-account"),
};
const REVERT: LinkKind = LinkKind {
    action: "/revert-email-change",
    keys: "revert",
    next: ("/login", "next-sign-in"),
};

/// The page a link opens: it explains and offers a button; only the button's `POST` acts.
fn link_page(
    s: &AppState,
    visitor: &Visitor,
    kind: LinkKind,
    token: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let p = &s.pages;
    let lang = visitor.lang;
    let k = |suffix: &str| p.t(lang, &format!("{}-{suffix}", kind.keys));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        // Where the email also carries a code, the code form is the way on.
        let code = match kind.action {
            "/verify-email" => Some((codes::VERIFY_CODE_PAGE, p.t(lang, "link-use-code"))),
            "/reset-password" => Some((codes::RESET_CODE_PAGE, p.t(lang, "link-use-code"))),
            _ => None,
        };
        let next = (kind.next.0, p.t(lang, kind.next.1));
        let (next, other) = match code {
            Some(code) => (code, Some(next)),
            None => (next, None),
        };
        return p.result(
            visitor,
            Outcome::failed(k("title"), p.t(lang, "link-missing"), next, other),
        );
    };
    let mut form = FormView::new("link", kind.action, k("button")).hidden("token", token);
    if kind.action == RESET.action {
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
            intro: Some(k("intro")),
            form: form.problem(problem),
            links: Vec::new(),
        },
    )
}

fn token_of(query: LinkQuery) -> Option<String> {
    query.ok().and_then(|Query(q)| q.token)
}

async fn verify_email_page(State(s): State<AppState>, v: Visitor, q: LinkQuery) -> Response {
    link_page(&s, &v, VERIFY, token_of(q), None)
}

async fn reset_password_page(State(s): State<AppState>, v: Visitor, q: LinkQuery) -> Response {
    link_page(&s, &v, RESET, token_of(q), None)
}

async fn confirm_email_change_page(
    State(s): State<AppState>,
    v: Visitor,
    q: LinkQuery,
) -> Response {
    link_page(&s, &v, CONFIRM, token_of(q), None)
}

async fn revert_email_change_page(State(s): State<AppState>, v: Visitor, q: LinkQuery) -> Response {
    link_page(&s, &v, REVERT, token_of(q), None)
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
    let message = explain(p, lang, e, FieldNames::default(), None).message;
    let sign_in = ("/login", p.t(lang, "next-sign-in"));
    // A used verification link most likely verified the address already: signing in is next.
    let (next, other) = match (kind.action, e) {
        ("/verify-email", Error::TokenUsed) => (sign_in, None),
        (_, _) if kind.next.0 == "/login" => (sign_in, None),
        _ => ((kind.next.0, p.t(lang, kind.next.1)), Some(sign_in)),
    };
    p.result(
        visitor,
        Outcome::failed(
            p.t(lang, &format!("{}-failed-title", kind.keys)),
            message,
            next,
            other,
        ),
    )
}

async fn verify_email_submit(State(s): State<AppState>, v: Visitor, form: LinkForm) -> Response {
    let (token, _) = form_fields(form);
    let p = &s.pages;
    match s.flows.verify_email(&token).await {
        Ok(email) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "verify-done-title"),
                p.t_with(v.lang, "verify-done", &[("email", email.as_str().into())]),
                ("/login", p.t(v.lang, "next-sign-in")),
            ),
        ),
        Err(e) => link_failed(&s, &v, VERIFY, &e),
    }
}

async fn reset_password_submit(State(s): State<AppState>, v: Visitor, form: LinkForm) -> Response {
    let (token, password) = form_fields(form);
    let p = &s.pages;
    match s.flows.reset_password(&token, password.clone()).await {
        Ok(()) => p.result(
            &v,
            Outcome::done(
                p.t(v.lang, "reset-done-title"),
                p.t(v.lang, "reset-done"),
                ("/login", p.t(v.lang, "next-sign-in")),
            ),
        ),
        // The link still works: the form again, with the reason beside the field.
        Err(e @ Error::Invalid { .. }) => {
            let names = FieldNames {
                new_password: "new_password",
                credentials: None,
            };
            let problem = explain(p, v.lang, &e, names, Some(&password));
            link_page(&s, &v, RESET, Some(token), Some(problem))
        }
        Err(e) => link_failed(&s, &v, RESET, &e),
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
        Err(e) => link_failed(&s, &v, CONFIRM, &e),
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
        Err(e) => link_failed(&s, &v, REVERT, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> Pages {
        let catalogue = Arc::new(Catalogue::load("Acme", None).unwrap_or_else(|e| panic!("{e}")));
        Pages::new(catalogue, Locale::En)
    }

    #[test]
    fn every_page_template_parses() {
        let p = pages();
        for (name, _) in PAGE_TEMPLATES {
            assert!(p.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_page_renders_in_every_language() {
        let p = pages();
        for lang in Locale::ALL {
            let v = Visitor {
                lang,
                here: "/login?x=1".into(),
                signed_in: false,
            };
            let form = FormView::new("f", "/x", "Go".into())
                .field(
                    Field::new("email", "E".into(), "email", "email").value(Some("a@b.co".into())),
                )
                .field(Field::new("language", "L".into(), "select", "").languages(&p))
                .problem(Some(Problem::at("email", "bad".into())));
            let pages = [
                p.form_page(
                    &v,
                    FormPage {
                        title: "T".into(),
                        intro: Some("I".into()),
                        form,
                        links: vec![LinkView::new("/login", "L".into())],
                    },
                ),
                p.result(&v, Outcome::failed("T".into(), "M".into(), ("/", "N".into()), None)),
                p.render(
                    "account.html",
                    &Visitor { signed_in: true, ..v.clone() },
                    context! {
                        title => "A", user => context! { email => "a@b.co", email_verified => true },
                        member_since => "now", pending => context! { email => "n@b.co", expires => "in 1 day" },
                        email_form => Value::from(minijinja::value::Serde(FormView::new("e", "/e", "B".into()).finish())),
                        password_form => Value::from(minijinja::value::Serde(FormView::new("p", "/p", "B".into()).finish())),
                        sessions => vec![context! { id => "1", device => "Chrome on Linux", current => true, last_active => "now", started => "now" }],
                    },
                ),
            ];
            for page in pages {
                assert_eq!(page.status(), StatusCode::OK, "{lang}");
            }
        }
    }

    #[test]
    fn only_paths_of_this_site_are_places_to_go_back_to() {
        assert!(local_path("/login"));
        assert!(local_path("/verify-email?token=abc"));
        for bad in [
            "//evil.test/",
            "/\\evil.test",
            "https://evil.test/",
            "",
            "/a\nb",
        ] {
            assert!(!local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_stylesheet_url_carries_its_hash() {
        assert!(STYLESHEET_PATH.starts_with("/assets/style-"));
        assert_eq!(STYLESHEET_PATH.len(), "/assets/style-.css".len() + 12);
    }

    #[test]
    fn a_form_error_points_at_its_field_and_takes_focus() {
        let p = pages();
        let form = FormView::new("reset", "/reset-password", "Go".into())
            .field(
                Field::new("new_password", "New".into(), "password", "new-password")
                    .hint("h".into()),
            )
            .problem(Some(explain(
                &p,
                Locale::De,
                &Error::invalid("weak_password", "password", "x"),
                FieldNames {
                    new_password: "new_password",
                    credentials: None,
                },
                Some("password"),
            )))
            .finish();
        let field = &form.fields[0];
        assert_eq!(field.id, "reset-new-password");
        assert_eq!(
            field.error.as_deref(),
            Some("Dieses Passwort ist zu verbreitet. Wähle eines, das schwerer zu erraten ist.")
        );
        assert_eq!(
            field.describedby.as_deref(),
            Some("reset-new-password-error reset-new-password-hint")
        );
        assert!(field.focus);
        assert!(form.error.is_none());
    }
}
