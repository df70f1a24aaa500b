//! `?return_to=`: where a page may send the browser once a flow is done (contract §12). Only a
//! URL under one of `LATCHKEY_RETURN_URLS` is followed, compared after parsing (scheme, host,
//! port, path prefix), so that no spelling of another site gets through: `//evil`, `\\evil`,
//! `https:evil`, `https://app@evil`, a trailing dot, another port, `..` or its encodings.

use url::Url;

/// The longest `return_to` kept; a longer one is ignored.
const MAX_LEN: usize = 2048;

/// A `return_to` that matched an allowed prefix, as its parsed (normalised) form: what was
/// compared is what the browser is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(Url);

impl ReturnTo {
    /// The URL if it lies under one of `allowed`; `None` for anything else.
    pub fn check(raw: &str, allowed: &[Url]) -> Option<Self> {
        if raw.len() > MAX_LEN
            // Browsers read `\` as `/` and drop tabs and newlines inside URLs: a value with
            // them means something else to the parser than to the eye.
            || raw.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
        {
            return None;
        }
        // Only an absolute http(s) URL, written with its `//`: `https:evil.example` is a
        // valid URL to parsers that fill the slashes in.
        let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return None;
        }
        let url = Url::parse(raw).ok()?;
        if !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        allowed
            .iter()
            .any(|prefix| under(&url, prefix))
            .then_some(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Same scheme, host and port, and the path at or below the prefix's path (a prefix
/// `/app` admits `/app` and `/app/…`, not `/application`).
fn under(url: &Url, prefix: &Url) -> bool {
    if url.scheme() != prefix.scheme()
        || url.host() != prefix.host()
        || url.port_or_known_default() != prefix.port_or_known_default()
    {
        return false;
    }
    let base = prefix.path();
    let path = url.path();
    if base.ends_with('/') {
        path.starts_with(base)
    } else {
        path == base
            || path
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn allowed() -> Vec<Url> {
        vec![
            Url::parse("https://app.example.com/").unwrap(),
            Url::parse("http://localhost:5173/app").unwrap(),
        ]
    }

    fn check(raw: &str) -> Option<String> {
        ReturnTo::check(raw, &allowed()).map(|r| r.as_str().to_owned())
    }

    #[test]
    fn urls_under_an_allowed_prefix_are_followed() {
        for ok in [
            "https://app.example.com/",
            "https://app.example.com/dashboard?tab=1#top",
            "HTTPS://APP.EXAMPLE.COM/Dashboard",
            "https://app.example.com:443/x",
            "http://localhost:5173/app",
            "http://localhost:5173/app/settings",
        ] {
            assert!(check(ok).is_some(), "{ok}");
        }
        // What is followed is the parsed form.
        assert_eq!(
            check("HTTPS://APP.EXAMPLE.COM/a/./b").as_deref(),
            Some("https://app.example.com/a/b")
        );
    }

    #[test]
    fn the_classic_open_redirect_bypasses_are_refused() {
        for bad in [
            "//evil.example/",
            "///evil.example/",
            "\\\\evil.example/",
            "/\\evil.example/",
            "https:\\\\evil.example/",
            "https://app.example.com\\@evil.example/",
            "https:evil.example",
            "https:/evil.example",
            "https:app.example.com/",
            "https://app.example.com@evil.example/",
            "https://app.example.com:pw@evil.example/",
            "https://user@app.example.com/",
            "https://app.example.com.evil.example/",
            "https://app.example.com./",
            "https://evil.example/https://app.example.com/",
            "https://app.example.com%2eevil.example/",
            "https://app.example.com%2f@evil.example/",
            "https://app%2eexample%2ecom.evil.example/",
            "https://app.example.com:8443/",
            "http://app.example.com/",
            "http://localhost:5174/app",
            "http://localhost:5173/application",
            "http://localhost:5173/app/../admin",
            "http://localhost:5173/app/%2e%2e/admin",
            "http://localhost:5173/app/%2E%2E/admin",
            "javascript:alert(1)//https://app.example.com/",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://app.example.com/\t",
            "https://app.example.com/\nx",
            " https://app.example.com/",
            "/dashboard",
            "",
        ] {
            assert_eq!(check(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nothing_is_followed_without_prefixes() {
        assert!(ReturnTo::check("https://app.example.com/", &[]).is_none());
    }

    proptest! {
        /// Whatever the value, a followed URL is under an allowed prefix's origin.
        #[test]
        fn a_followed_url_is_always_on_an_allowed_origin(raw in "\\PC{0,60}", tail in "[a-z./@:%\\\\]{0,20}") {
            for candidate in [raw.clone(), format!("https://app.example.com{tail}"), format!("https:{tail}{raw}")] {
                if let Some(r) = ReturnTo::check(&candidate, &allowed()) {
                    let url = Url::parse(r.as_str()).unwrap();
                    let origin = url.origin().ascii_serialization();
                    prop_assert!(origin == "https://app.example.com" || origin == "http://localhost:5173", "{candidate:?} -> {}", r.as_str());
                }
            }
        }
    }
}
