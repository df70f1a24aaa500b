//! Signing in with cookies, and the account page: profile (name, language), email and password
//! change, sessions, deleting the account. The cookies are `HttpOnly` and `SameSite=Lax`, `Secure` when the public URL is https;
//! the access token lives in one, the refresh token in another, and an expired access token is
//! refreshed on the next page view. The account page speaks the user's own language.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderName, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::{
    assets::PASSKEY_SCRIPT_PATH,
    cookies::{
        ACCESS_COOKIE, REFRESH_COOKIE, app_refresh_cookie, clear_cookies, cookie, language_cookie,
        refresh_tokens, session_cookies, with_cookies,
    },
    device,
    explain::{explain, too_many_requests},
    forms::{Answer, Field, FormView, Problem},
    render::{Outcome, Pages},
    visitor::Visitor,
};
use crate::{
    domain::{
        accounts::DisplayName, email::EmailAddress, invalid::Invalid, locale::Locale, time::Millis,
    },
    error::Error,
    flows::{Client, Principal, ProfilePatch, SessionView},
    http::AppState,
};

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

pub async fn login_page(State(s): State<AppState>, v: Visitor) -> Response {
    super::sign_in::login_form(&s, &v, None, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let Ok(Form(f)) = form else {
        let problem = Problem::form(p.t(v.lang, "error-required"));
        return super::sign_in::login_form(&s, &v, None, Some(problem));
    };
    let result = match EmailAddress::parse(&f.email) {
        Ok(email) => s.flows.login(&email, &f.password, &client).await,
        Err(e) => Err(e.into()),
    };
    // Signed in, or on to the second-factor step; over the address's log-in limit, the page
    // that says when to try again, as for the per-IP limit, not the form.
    match super::sign_in::after_first_factor(&s, &v, result).await {
        Ok(page) => page,
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            super::sign_in::login_form(&s, &v, Some(f.email), Some(problem))
        }
    }
}

/// Signs out: ends the session of every refresh cookie the browser holds (the pages' and an
/// app's, section 12), clears them, and tells the browser to drop its cached pages, so that
/// Back cannot show a signed-in page again (the back/forward cache included).
pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    for refresh in refresh_tokens(&headers) {
        let _ = s.flows.logout(&refresh).await;
    }
    let mut cookies = clear_cookies(&s);
    if s.flows.settings.refresh_cookie {
        cookies.extend(app_refresh_cookie(&s, "", 0));
    }
    let mut response = with_cookies(Redirect::to("/login").into_response(), cookies);
    response.headers_mut().insert(
        HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\""),
    );
    response
}

pub async fn account_page(State(s): State<AppState>, v: Visitor, headers: HeaderMap) -> Response {
    match signed_in(&s, &headers).await {
        Ok((principal, cookies)) => {
            let page = account(&s, v, &principal, Notice::None, Typed::default()).await;
            with_cookies(page, cookies)
        }
        Err(redirect) => redirect,
    }
}

/// What the account page says after an action: a notice of success, or a problem shown in
/// the form it came from.
enum Notice {
    None,
    Done(&'static str),
    Problem(&'static str, Problem),
}

/// One session as the account page lists it.
#[derive(Serialize)]
struct SessionLine {
    id: String,
    device: String,
    current: bool,
    last_active: String,
    started: String,
    ip_hint: Option<String>,
}

fn session_line(p: &Pages, v: &Visitor, s: &SessionView, now: Millis) -> SessionLine {
    let lang = v.lang.as_str();
    let device = match device::describe(s.user_agent.as_deref().unwrap_or_default()) {
        (Some(browser), Some(os)) => p.t_with(
            v.lang,
            "device-browser-on-os",
            &[("browser", browser.into()), ("os", os.into())],
        ),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => p.t(v.lang, "device-unknown"),
    };
    SessionLine {
        id: s.id.to_string(),
        device,
        current: s.current,
        last_active: p.catalogue().ago(lang, s.last_used_at.elapsed_at(now)),
        started: p.catalogue().ago(lang, s.created_at.elapsed_at(now)),
        ip_hint: s.ip_hint.clone(),
    }
}

/// What was typed into the profile form, shown again beside its error.
#[derive(Default)]
struct Typed {
    name: Option<String>,
    locale: Option<String>,
}

/// The value of the language select that stands for the deployment's default.
const DEFAULT_LANGUAGE: &str = "default";

async fn account(
    s: &AppState,
    v: Visitor,
    principal: &Principal,
    notice: Notice,
    typed: Typed,
) -> Response {
    let v = v.signed_in_as(&principal.user, s.flows.settings.default_locale);
    let p = &s.pages;
    let t = |k: &str| p.t(v.lang, k);
    let pending = s.flows.pending_email(principal.user.id).await;
    let sessions = s.flows.sessions(principal).await;
    let passkeys = s.flows.passkeys(principal.user.id).await;
    let factors = s.flows.second_factors(principal.user.id).await;
    let (pending, sessions, passkeys, factors) = match (pending, sessions, passkeys, factors) {
        (Ok(pending), Ok(sessions), Ok(passkeys), Ok(factors)) => {
            (pending, sessions, passkeys, factors)
        }
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            // Without them there is no account page to show: a page that says so, 500 (or 503
            // with `Retry-After` when the database cannot take requests), in the user's words.
            let problem = explain(p, v.lang, &e, None);
            let answer = match problem.answer {
                Answer::Shown => Answer::Failed,
                other => other,
            };
            let outcome = Outcome {
                answer,
                ..Outcome::failed(
                    t("account-title"),
                    problem.message,
                    ("/account", t("next-try-again")),
                    None,
                )
            };
            return p.result(&v, outcome);
        }
    };
    let (done, mut problems, answer) = match notice {
        Notice::None => (None, Vec::new(), Answer::Shown),
        Notice::Done(key) => (Some(t(key)), Vec::new(), Answer::Shown),
        Notice::Problem(form, problem) => {
            let answer = problem.answer;
            (None, vec![(form, problem)], answer)
        }
    };
    let mut problem_for = |form: &str| {
        problems
            .iter()
            .position(|(f, _)| *f == form)
            .map(|i| problems.swap_remove(i).1)
    };
    let user = &principal.user;
    let now = s.flows.clock.now();
    let default = s.flows.settings.default_locale;
    let default_label = p.t_with(
        v.lang,
        "language-default",
        &[(
            "language",
            p.catalogue()
                .text(default.as_str(), "language-name", &[])
                .into(),
        )],
    );
    let chosen = user
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .map_or(DEFAULT_LANGUAGE, Locale::as_str);
    let profile_form = FormView::new("profile", "/account/profile", t("profile-button"))
        .button_class("secondary")
        .field(
            Field::new("name", t("field-name-optional"), "text", "name")
                .optional()
                .max_chars(crate::domain::accounts::NAME_MAX_CHARS as u32)
                .value(typed.name.or_else(|| user.name.clone())),
        )
        .field(
            Field::new("locale", t("field-language"), "select", "")
                .languages(p.language_names())
                .first_option(DEFAULT_LANGUAGE, default_label)
                .value(typed.locale.or_else(|| Some(chosen.to_owned()))),
        )
        .problem(problem_for("profile"));
    let email_form = FormView::new("email", "/account/email", t("email-button"))
        .button_class("secondary")
        .field(Field::new(
            "new_email",
            t("field-new-email"),
            "email",
            "email",
        ))
        .field(Field::new(
            "password",
            t("field-current-password"),
            "password",
            "current-password",
        ))
        .problem(problem_for("email"));
    let password_form = FormView::new("password", "/account/password", t("password-button"))
        .button_class("secondary")
        .field(Field::new(
            "current_password",
            t("field-current-password"),
            "password",
            "current-password",
        ))
        .field(
            Field::new(
                "new_password",
                t("field-new-password"),
                "password",
                "new-password",
            )
            .new_password()
            .hint(t("field-new-password-hint")),
        )
        .problem(problem_for("password"));
    let sessions_error = problem_for("sessions").map(|p| p.message);
    let lines: Vec<SessionLine> = sessions
        .iter()
        .map(|x| session_line(p, &v, x, now))
        .collect();
    let others = sessions.iter().any(|x| !x.current);
    let pending = pending.map(|x| {
        context! {
            email => x.email,
            new_confirmed => x.new_confirmed,
            old_confirmed => x.old_confirmed,
            expires => p.catalogue().in_about(v.lang.as_str(), x.expires_at.remaining_at(now)),
        }
    });
    let delete_form = FormView::new("delete", "/account/delete", t("delete-button"))
        .button_class("danger")
        .field(Field::new(
            "password",
            t("field-current-password"),
            "password",
            "current-password",
        ))
        .problem(problem_for("delete"));
    // Passkeys: only for a verified address (contract §11), and when the relying party is set.
    let passkeys_on = s.flows.relying_party.is_some() && user.email_verified;
    let passkey_lines: Vec<Value> = passkeys
        .iter()
        .map(|k| {
            let lang = v.lang.as_str();
            let used = match k.last_used_at {
                Some(at) => p.t_with(
                    v.lang,
                    "passkeys-used-when",
                    &[("when", p.catalogue().ago(lang, at.elapsed_at(now)).into())],
                ),
                None => t("passkeys-never-used"),
            };
            context! {
                id => k.id.to_string(),
                name => &k.name,
                added => p.catalogue().ago(lang, k.created_at.elapsed_at(now)),
                used,
            }
        })
        .collect();
    let passkey_form = passkeys_on.then(|| {
        FormView::new(
            "passkey-add",
            "/account/passkeys/options",
            t("passkeys-add"),
        )
        .button_class("secondary")
        .field(
            Field::new("name", t("field-passkey-name"), "text", "off")
                .optional()
                .max_chars(crate::domain::accounts::NAME_MAX_CHARS as u32),
        )
        .field(Field::new(
            "password",
            t("field-current-password"),
            "password",
            "current-password",
        ))
        .problem(problem_for("passkeys"))
        .finish()
    });
    let password_field = || {
        Field::new(
            "password",
            t("field-current-password"),
            "password",
            "current-password",
        )
    };
    let mfa_on_form = FormView::new("mfa-on", "/account/mfa/totp", t("mfa-on-button"))
        .button_class("secondary")
        .field(password_field())
        .problem(problem_for("mfa-on"));
    let mfa_codes_form = FormView::new(
        "mfa-codes",
        "/account/mfa/recovery-codes",
        t("mfa-codes-button"),
    )
    .button_class("secondary")
    .field(password_field())
    .problem(problem_for("mfa-codes"));
    let mfa_off_form = FormView::new("mfa-off", "/account/mfa/totp/off", t("mfa-off-button"))
        .button_class("danger")
        .field(password_field())
        .problem(problem_for("mfa-off"));
    let values = context! {
        passkeys => passkey_lines,
        passkey_form => passkey_form.map(|f| Value::from(minijinja::value::Serde(f))),
        passkeys_error => problem_for("passkey-list").map(|p| p.message),
        script => passkeys_on.then(|| PASSKEY_SCRIPT_PATH.as_str()),
        title => t("account-title"),
        mfa_on => factors.totp,
        mfa_left => factors.recovery_codes_left,
        mfa_on_form => Value::from(minijinja::value::Serde(mfa_on_form.finish())),
        mfa_codes_form => Value::from(minijinja::value::Serde(mfa_codes_form.finish())),
        mfa_off_form => Value::from(minijinja::value::Serde(mfa_off_form.finish())),
        wide => true,
        notice => done,
        user => context! { email => &user.email, email_verified => user.email_verified, name => &user.name },
        member_since => p.catalogue().ago(v.lang.as_str(), user.created_at.elapsed_at(now)),
        pending,
        needs_old => s.flows.settings.email_change_confirm_old,
        profile => Value::from(minijinja::value::Serde(profile_form.finish())),
        email_form => Value::from(minijinja::value::Serde(email_form.finish())),
        delete_form => Value::from(minijinja::value::Serde(delete_form.finish())),
        password_form => Value::from(minijinja::value::Serde(password_form.finish())),
        sessions => Value::from(minijinja::value::Serde(lines)),
        sessions_error,
        others,
    };
    answer.apply(p.render("account.html", &v, values))
}

/// How the account page reports an action: the form its error is shown in, the notice of
/// success, and the field of that form that holds the current password, if it has one.
struct Report {
    form: &'static str,
    done: &'static str,
    current_password: Option<&'static str>,
}

impl Report {
    fn new(form: &'static str, done: &'static str) -> Self {
        Self {
            form,
            done,
            current_password: None,
        }
    }
}

/// Runs an account action for the signed-in user and shows the account page with its outcome.
async fn act<F, Fut>(
    s: AppState,
    v: Visitor,
    headers: HeaderMap,
    report: Report,
    action: F,
) -> Response
where
    F: FnOnce(AppState, Principal) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let lang = principal.user.locale_or(s.flows.settings.default_locale);
    let notice = match action(s.clone(), principal.clone()).await {
        Ok(()) => Notice::Done(report.done),
        Err(e) => Notice::Problem(
            report.form,
            explain(&s.pages, lang, &e, report.current_password),
        ),
    };
    // The action may have changed the account (its address): show it as it is now.
    let principal = match cookie(&headers, ACCESS_COOKIE) {
        Some(access) => s.flows.authenticate(&access).await.unwrap_or(principal),
        None => principal,
    };
    let page = account(&s, v, &principal, notice, Typed::default()).await;
    with_cookies(page, cookies)
}

#[derive(Deserialize, Default)]
pub struct EmailChangeForm {
    new_email: String,
    password: String,
}

pub async fn change_email(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<EmailChangeForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report {
        current_password: Some("password"),
        ..Report::new("email", "email-sent")
    };
    act(s, v, headers, report, |s, p| async move {
        let email = EmailAddress::parse(&f.new_email).map_err(Invalid::new_address)?;
        s.flows
            .request_email_change(&p, &client, &f.password, &email)
            .await
    })
    .await
}

pub async fn cancel_email_change(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
) -> Response {
    act(
        s,
        v,
        headers,
        Report::new("email", "email-cancelled"),
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
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report {
        current_password: Some("current_password"),
        ..Report::new("password", "password-changed")
    };
    act(s, v, headers, report, |s, p| async move {
        s.flows
            .change_password(&p, &client, &f.current_password, f.new_password)
            .await
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct SessionForm {
    id: String,
}

pub async fn revoke_session(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    act(
        s,
        v,
        headers,
        Report::new("sessions", "sessions-signed-out-one"),
        |s, p| async move {
            let id = f.id.parse().map_err(|_| Error::NotFound)?;
            s.flows.revoke_session(&p, id).await
        },
    )
    .await
}

/// "Sign out everywhere else": every live session of the user but this one.
pub async fn revoke_other_sessions(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
) -> Response {
    act(
        s,
        v,
        headers,
        Report::new("sessions", "sessions-signed-out-others"),
        |s, p| async move { s.flows.revoke_other_sessions(&p).await.map(drop) },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ProfileForm {
    name: Option<String>,
    locale: Option<String>,
}

/// The profile form's fields as `PATCH /api/v1/me` takes them: an empty name removes it, the
/// "default" language forgets the user's choice, a field left out leaves it as it is.
fn profile_patch(f: &ProfileForm) -> Result<ProfilePatch, Error> {
    let name = f
        .name
        .as_deref()
        .map(|n| DisplayName::parse_optional(Some(n)))
        .transpose()?;
    let locale = match f.locale.as_deref().map(str::trim) {
        None => None,
        Some(DEFAULT_LANGUAGE) => Some(None),
        Some(tag) => Some(Some(tag.parse::<Locale>()?)),
    };
    Ok(ProfilePatch { name, locale })
}

/// Saves the name and language; the page (and the language cookie) switch to the new
/// language at once.
pub async fn update_profile(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<ProfileForm>, FormRejection>,
) -> Response {
    let (principal, mut cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    // A body that is no form at all changes nothing and is not reported as saved.
    let Ok(Form(f)) = form else {
        let lang = principal.user.locale_or(s.flows.settings.default_locale);
        let notice = Notice::Problem("profile", Problem::form(s.pages.t(lang, "error-required")));
        let page = account(&s, v, &principal, notice, Typed::default()).await;
        return with_cookies(page, cookies);
    };
    let result = match profile_patch(&f) {
        Ok(patch) => s.flows.update_profile(&principal, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(user) => {
            let principal = Principal { user, ..principal };
            cookies.extend(language_cookie(&s, &principal));
            let page = account(
                &s,
                v,
                &principal,
                Notice::Done("profile-saved"),
                Typed::default(),
            )
            .await;
            with_cookies(page, cookies)
        }
        Err(e) => {
            let lang = principal.user.locale_or(s.flows.settings.default_locale);
            let problem = explain(&s.pages, lang, &e, None);
            let typed = Typed {
                name: f.name,
                locale: f.locale,
            };
            let notice = Notice::Problem("profile", problem);
            let page = account(&s, v, &principal, notice, typed).await;
            with_cookies(page, cookies)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    password: String,
}

/// Deletes the account with its password (the flow of `DELETE /api/v1/me`, counted against the
/// same limit), signs the browser out and says so in the user's language.
pub async fn delete_account(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<DeleteForm>, FormRejection>,
) -> Response {
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let result = s
        .flows
        .delete_own_account(&principal, &client, &f.password)
        .await;
    let default = s.flows.settings.default_locale;
    let lang = principal.user.locale_or(default);
    match result {
        Ok(()) => {
            let mut v = v.signed_in_as(&principal.user, default);
            v.signed_in = false;
            let p = &s.pages;
            let outcome = Outcome::done(
                p.t(lang, "delete-done-title"),
                p.t_with(
                    lang,
                    "delete-done",
                    &[("email", principal.user.email.clone().into())],
                ),
                ("/register", p.t(lang, "next-new-account")),
            );
            let mut gone = clear_cookies(&s);
            gone.extend(language_cookie(&s, &principal));
            with_cookies(p.result(&v, outcome), gone)
        }
        Err(e) => {
            let problem = explain(&s.pages, lang, &e, Some("password"));
            let notice = Notice::Problem("delete", problem);
            let page = account(&s, v, &principal, notice, Typed::default()).await;
            with_cookies(page, cookies)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PasskeySignInForm {
    challenge_id: String,
    credential: String,
}

/// The passkey button of /login: its script puts the assertion here.
pub async fn login_passkey_submit(
    State(s): State<AppState>,
    v: Visitor,
    client: Client,
    form: Result<Form<PasskeySignInForm>, FormRejection>,
) -> Response {
    let p = &s.pages;
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let result = match serde_json::from_str::<serde_json::Value>(&f.credential) {
        Ok(credential) => {
            s.flows
                .sign_in_with_passkey(&f.challenge_id, &credential, &client)
                .await
        }
        Err(_) => Err(Error::PasskeyInvalid),
    };
    match result {
        Ok(tokens) => super::sign_in::signed_in(&s, &v, &tokens).await,
        Err(Error::RateLimited { retry_after }) => too_many_requests(p, &v, retry_after),
        Err(e) => {
            let problem = explain(p, v.lang, &e, None);
            super::sign_in::login_form(&s, &v, None, Some(problem))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PasskeyOptionsForm {
    password: String,
}

/// "Add a passkey": the password is checked and the options answered as JSON to the page's
/// script, which makes the WebAuthn call. A browser without the script gets the account page
/// saying that the script is needed.
pub async fn passkey_options(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<PasskeyOptionsForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let wants_json = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    if !wants_json {
        let lang = principal.user.locale_or(s.flows.settings.default_locale);
        let problem = Problem::form(s.pages.t(lang, "passkey-needs-script"));
        let notice = Notice::Problem("passkeys", problem);
        let page = account(&s, v, &principal, notice, Typed::default()).await;
        return with_cookies(page, cookies);
    }
    let answer = match s
        .flows
        .passkey_registration_options(&principal, &client, &f.password)
        .await
    {
        Ok(options) => axum::Json(serde_json::json!({
            "challenge_id": options.challenge_id,
            "publicKey": options.public_key,
        }))
        .into_response(),
        Err(e) => {
            let lang = principal.user.locale_or(s.flows.settings.default_locale);
            let problem = explain(&s.pages, lang, &e, Some("password"));
            let status = crate::http::rejection::error(&e).status;
            (
                status,
                axum::Json(serde_json::json!({ "message": problem.message })),
            )
                .into_response()
        }
    };
    with_cookies(answer, cookies)
}

#[derive(Deserialize, Default)]
pub struct PasskeyAddForm {
    challenge_id: String,
    credential: String,
    name: String,
}

pub async fn passkey_add(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<PasskeyAddForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report::new("passkeys", "passkey-added");
    act(s, v, headers, report, |s, p| async move {
        let credential: serde_json::Value =
            serde_json::from_str(&f.credential).map_err(|_| Error::PasskeyRefused)?;
        s.flows
            .register_passkey(&p, &f.challenge_id, &credential, Some(&f.name))
            .await
            .map(|_| ())
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct PasskeyRenameForm {
    id: String,
    name: String,
}

pub async fn passkey_rename(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<PasskeyRenameForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report::new("passkey-list", "passkey-renamed");
    act(s, v, headers, report, |s, p| async move {
        let id = f.id.parse().map_err(|_| Error::NotFound)?;
        s.flows.rename_passkey(&p, id, &f.name).await.map(|_| ())
    })
    .await
}

pub async fn passkey_remove(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report::new("passkey-list", "passkey-removed");
    act(s, v, headers, report, |s, p| async move {
        let id = f.id.parse().map_err(|_| Error::NotFound)?;
        s.flows.remove_passkey(&p, id).await
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct MfaPasswordForm {
    password: String,
}

/// "Turn on" two-step verification: the password, then the page with the QR code and the
/// form for the first code.
pub async fn start_totp(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<MfaPasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let v = v.signed_in_as(&principal.user, s.flows.settings.default_locale);
    match s.flows.start_totp(&principal, &f.password, &client).await {
        Ok(setup) => with_cookies(
            mfa_setup_page(&s.pages, &v, &setup.secret, &setup.qr_svg, None),
            cookies,
        ),
        Err(e) => {
            let lang = principal.user.locale_or(s.flows.settings.default_locale);
            let notice = Notice::Problem("mfa-on", explain(&s.pages, lang, &e, Some("password")));
            with_cookies(
                account(&s, v, &principal, notice, Typed::default()).await,
                cookies,
            )
        }
    }
}

fn mfa_setup_page(
    p: &Pages,
    v: &Visitor,
    secret: &str,
    qr_svg: &str,
    problem: Option<Problem>,
) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let form = FormView::new(
        "mfa-confirm",
        "/account/mfa/totp/confirm",
        t("mfa-confirm-button"),
    )
    .hidden("secret", secret.to_owned())
    .field(
        Field::new("code", t("field-mfa-app-code"), "text", "one-time-code")
            .numeric()
            .max_chars(32),
    )
    .problem(problem);
    p.render(
        "mfa_setup.html",
        v,
        context! {
            title => t("mfa-setup-title"),
            qr_svg => qr_svg,
            secret => secret,
            form => Value::from(minijinja::value::Serde(form.finish())),
        },
    )
}

fn recovery_codes_page(p: &Pages, v: &Visitor, codes: &[String]) -> Response {
    let t = |k: &str| p.t(v.lang, k);
    let text = codes.join("\n");
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
    );
    p.render(
        "mfa_setup.html",
        v,
        context! {
            title => t("mfa-codes-title"),
            codes => codes.to_vec(),
            download => download,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct MfaConfirmForm {
    code: String,
    secret: String,
}

/// The first code: the app is on, and the recovery codes are shown once.
pub async fn confirm_totp(
    State(s): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<MfaConfirmForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let v = v.signed_in_as(&principal.user, s.flows.settings.default_locale);
    let page = match s.flows.confirm_totp(&principal, &f.code).await {
        Ok(codes) => recovery_codes_page(&s.pages, &v, &codes),
        Err(Error::CodeInvalid) => {
            // The secret came back in the form (the user's own, shown on the page before):
            // the page again without the QR code, the secret to type if need be.
            let problem = Problem::at("code", s.pages.t(v.lang, "error-mfa-code"));
            mfa_setup_page(&s.pages, &v, &f.secret, "", Some(problem))
        }
        Err(e) => {
            let lang = principal.user.locale_or(s.flows.settings.default_locale);
            let notice = Notice::Problem("mfa-on", explain(&s.pages, lang, &e, None));
            account(&s, v, &principal, notice, Typed::default()).await
        }
    };
    with_cookies(page, cookies)
}

pub async fn renew_recovery_codes(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<MfaPasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let (principal, cookies) = match signed_in(&s, &headers).await {
        Ok(signed) => signed,
        Err(redirect) => return redirect,
    };
    let v = v.signed_in_as(&principal.user, s.flows.settings.default_locale);
    let page = match s
        .flows
        .renew_recovery_codes(&principal, &f.password, &client)
        .await
    {
        Ok(codes) => recovery_codes_page(&s.pages, &v, &codes),
        Err(e) => {
            let lang = principal.user.locale_or(s.flows.settings.default_locale);
            let notice =
                Notice::Problem("mfa-codes", explain(&s.pages, lang, &e, Some("password")));
            account(&s, v, &principal, notice, Typed::default()).await
        }
    };
    with_cookies(page, cookies)
}

pub async fn remove_totp(
    State(s): State<AppState>,
    client: Client,
    v: Visitor,
    headers: HeaderMap,
    form: Result<Form<MfaPasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let report = Report {
        current_password: Some("password"),
        ..Report::new("mfa-off", "mfa-turned-off")
    };
    act(s, v, headers, report, |s, p| async move {
        s.flows.remove_totp(&p, &f.password, &client).await
    })
    .await
}
