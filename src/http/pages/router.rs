//! Every page's route, its per-IP limit (a form that the API has a twin of counts against the
//! same `LimitKey`: a page is no way around the limits), CSRF protection, and the headers every
//! page sends.

use axum::{
    Router,
    extract::{Query, Request, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{MethodRouter, get, post},
};
use serde::Deserialize;
use tower_http::{
    csrf::{CsrfLayer, ProtectionError},
    set_header::SetResponseHeaderLayer,
};

use super::{
    account, assets, codes,
    cookies::{self, LANGUAGE_COOKIE},
    explain::{cross_site, limit_refusal},
    links, sign_in, signed_out,
    visitor::Visitor,
};
use crate::{
    domain::locale::Locale,
    flows::LimitKey,
    http::{AppState, rate_limit},
};

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
    let limited = |handler: MethodRouter<AppState>, key: LimitKey| {
        rate_limit::limited(handler, state, key, limit_refusal)
    };
    let pages = Router::new()
        .route("/", get(home))
        .route("/language", get(choose_language))
        .route(
            "/login",
            get(account::login_page).merge(limited(post(account::login_submit), LimitKey::Login)),
        )
        .route(
            "/login/passkey",
            limited(post(account::login_passkey_submit), LimitKey::Login),
        )
        .route(
            sign_in::MFA_PATH,
            limited(post(sign_in::mfa_submit), LimitKey::Login),
        )
        .route(
            sign_in::MFA_PASSKEY_PATH,
            limited(post(sign_in::mfa_passkey_submit), LimitKey::Login),
        )
        .route(
            sign_in::EMAIL_PATH,
            get(sign_in::email_page)
                .merge(limited(post(sign_in::email_submit), LimitKey::SignInEmail)),
        )
        .route(
            sign_in::CODE_PATH,
            limited(post(sign_in::code_submit), LimitKey::SignInConfirm),
        )
        .route(
            sign_in::LINK_PATH,
            get(sign_in::link_page)
                .merge(limited(post(sign_in::link_submit), LimitKey::SignInConfirm)),
        )
        .route("/logout", post(account::logout))
        .route("/account/passkeys/options", post(account::passkey_options))
        .route("/account/passkeys", post(account::passkey_add))
        .route("/account/passkeys/rename", post(account::passkey_rename))
        .route("/account/passkeys/remove", post(account::passkey_remove))
        .route("/account", get(account::account_page))
        .route("/account/email", post(account::change_email))
        .route("/account/email/cancel", post(account::cancel_email_change))
        .route("/account/password", post(account::change_password))
        .route("/account/mfa/totp", post(account::start_totp))
        .route("/account/mfa/totp/confirm", post(account::confirm_totp))
        .route("/account/mfa/totp/off", post(account::remove_totp))
        .route(
            "/account/mfa/recovery-codes",
            post(account::renew_recovery_codes),
        )
        .route("/account/profile", post(account::update_profile))
        .route("/account/delete", post(account::delete_account))
        .route("/account/sessions/revoke", post(account::revoke_session))
        .route(
            "/account/sessions/revoke-others",
            post(account::revoke_other_sessions),
        )
        .route(
            "/register",
            get(signed_out::register_page).merge(limited(
                post(signed_out::register_submit),
                LimitKey::Register,
            )),
        )
        .route(
            "/resend-verification",
            get(signed_out::resend_page).merge(limited(
                post(signed_out::resend_submit),
                LimitKey::ResendVerification,
            )),
        )
        .route(
            "/forgot-password",
            get(signed_out::forgot_page).merge(limited(
                post(signed_out::forgot_submit),
                LimitKey::ForgotPassword,
            )),
        )
        .route(
            codes::VERIFY_CODE_PAGE,
            get(codes::verify_code_page).merge(limited(
                post(codes::verify_code_submit),
                LimitKey::VerifyEmail,
            )),
        )
        .route(
            codes::RESET_CODE_PAGE,
            get(codes::reset_code_page).merge(limited(
                post(codes::reset_code_submit),
                LimitKey::ResetPassword,
            )),
        )
        .merge(links::routes(state))
        .layer(csrf)
        // A refused cross-site form answers a page that says so, not a bare status.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            cross_site_page,
        ))
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
    let brand = &state.pages.brand;
    assets::security_headers(
        pages.merge(assets::router()).merge(brand.router()),
        brand.csp.clone(),
    )
}

/// The CSRF layer refuses a cross-site form with a bare 403 that carries its
/// `ProtectionError`: this turns that one answer into a page in the visitor's language.
async fn cross_site_page(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let visitor = Visitor::from_request(&s, request.headers(), request.uri());
    let response = next.run(request).await;
    if response.extensions().get::<ProtectionError>().is_some() {
        return cross_site(&s.pages, &visitor);
    }
    response
}

/// `/`: the account page for someone signed in, the log-in page for everyone else.
async fn home(headers: HeaderMap) -> Redirect {
    Redirect::to(if cookies::has_session(&headers) {
        "/account"
    } else {
        "/login"
    })
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
        && let Some(cookie) = cookies::set_cookie(&s, LANGUAGE_COOKIE, lang.as_str(), 31_536_000)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
