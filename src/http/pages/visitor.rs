//! Who is looking at a page, as far as its words go: the language (a signed-in user's own,
//! otherwise the one chosen with the language links, otherwise the best match of
//! `Accept-Language`, otherwise `LATCHKEY_DEFAULT_LOCALE`) and where the page is.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Uri, request::Parts},
};

use super::cookies::{self, LANGUAGE_COOKIE};
use crate::{
    domain::{accounts::User, locale::Locale},
    http::{AppState, accept_language},
};

#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Locale,
    /// This page's path and query, for the language links to come back to.
    pub here: String,
    pub signed_in: bool,
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
        Self {
            lang,
            here,
            signed_in: false,
        }
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
