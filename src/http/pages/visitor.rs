//! Who is looking at a page, as far as its words go: the language (a signed-in user's own,
//! otherwise the one chosen with the language links, otherwise the best match of
//! `Accept-Language`, otherwise `LATCHKEY_DEFAULT_LOCALE`) and where the page is.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Uri, request::Parts},
};

use super::cookies::{self, LANGUAGE_COOKIE};
use crate::{
    domain::{accounts::User, locale::Locale, return_to::ReturnTo},
    http::{AppState, accept_language},
};

#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Locale,
    /// This page's path and query, for the language links to come back to.
    pub here: String,
    pub signed_in: bool,
    /// `?return_to=` when it lies under `LATCHKEY_RETURN_URLS` (contract §12): every form and
    /// link of the page carries it on, and the end of the flow goes there.
    pub return_to: Option<ReturnTo>,
    /// `LATCHKEY_APP_URL`: where "Continue" leads without a `return_to`.
    pub app_url: Option<String>,
}

impl Visitor {
    pub fn from_request(s: &AppState, headers: &HeaderMap, uri: &Uri) -> Self {
        let chosen = cookies::cookie(headers, LANGUAGE_COOKIE).and_then(|c| Locale::from_tag(&c));
        let lang = chosen.unwrap_or_else(|| {
            accept_language(headers)
                .and_then(Locale::from_accept_language)
                .unwrap_or(s.pages.default_locale)
        });
        let here = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        let allowed = &s.flows.settings.return_urls;
        // The query's, else the one remembered when an email was sent from the pages: it is
        // checked again, as a cookie is the browser's to change.
        let return_to = uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "return_to")
                    .and_then(|(_, v)| ReturnTo::check(&v, allowed))
            })
            .or_else(|| {
                let kept = cookies::cookie(headers, cookies::RETURN_COOKIE)?;
                let decoded = percent_encoding::percent_decode_str(&kept)
                    .decode_utf8()
                    .ok()?;
                ReturnTo::check(&decoded, allowed)
            });
        Self {
            lang,
            here,
            signed_in: false,
            return_to,
            app_url: s.flows.settings.app_url.as_ref().map(ToString::to_string),
        }
    }

    /// A path of the pages with the `return_to` carried on.
    pub fn carry(&self, path: &str) -> String {
        match &self.return_to {
            Some(r) if path.starts_with('/') => {
                let sep = if path.contains('?') { '&' } else { '?' };
                let encoded: String =
                    url::form_urlencoded::byte_serialize(r.as_str().as_bytes()).collect();
                format!("{path}{sep}return_to={encoded}")
            }
            _ => path.to_owned(),
        }
    }

    /// Where a finished flow leads: the `return_to`, else `LATCHKEY_APP_URL`, else `fallback`.
    pub fn done_url(&self, fallback: &str) -> String {
        self.return_to
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .or_else(|| self.app_url.clone())
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// A signed-in user sees pages in their own language.
    pub fn signed_in_as(mut self, user: &User, default: Locale) -> Self {
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
