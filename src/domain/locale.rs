//! The languages Latchkey writes emails and pages in (contract §6).
//!
//! A tag is matched by its primary language subtag only (`de-AT` is `de`): the five catalogues
//! have no regional variants, and a near match reads better than the default language.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    De,
    Fr,
    Es,
    Sv,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: expected one of en, de, fr, es, sv")]
pub struct UnknownLocale(pub String);

impl Locale {
    pub const ALL: [Locale; 5] = [Self::En, Self::De, Self::Fr, Self::Es, Self::Sv];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::Sv => "sv",
        }
    }

    /// A BCP 47 tag such as `de-AT` or `SV`, by its language subtag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let language = tag.trim().split(['-', '_']).next()?;
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(language))
    }

    /// The best supported language of an `Accept-Language` header (RFC 9110 §12.5.4): the
    /// highest weight wins, the earlier entry on a tie; `q=0` excludes; `*` matches nothing
    /// specific, so the caller's default applies.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(u16, Self)> = None;
        for entry in header.split(',').take(32) {
            let mut parts = entry.split(';');
            let Some(locale) = parts.next().and_then(Self::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            let Some(weight) = weight.filter(|w| *w > 0) else {
                continue;
            };
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The locale a request asks for: an explicit field first, then the browser's languages,
    /// then the deployment's default.
    pub fn negotiate(
        explicit: Option<&str>,
        accept_language: Option<&str>,
        default: Self,
    ) -> Result<Self, UnknownLocale> {
        if let Some(tag) = explicit.map(str::trim).filter(|t| !t.is_empty()) {
            return tag.parse();
        }
        Ok(accept_language
            .and_then(Self::from_accept_language)
            .unwrap_or(default))
    }
}

/// A weight `0`..`1` with up to three decimals, in thousandths.
fn parse_weight(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    match whole {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, UnknownLocale> {
        Self::from_tag(s).ok_or_else(|| UnknownLocale(s.to_owned()))
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_match_by_language() {
        assert_eq!(Locale::from_tag("de-AT"), Some(Locale::De));
        assert_eq!(Locale::from_tag("SV_se"), Some(Locale::Sv));
        assert_eq!(Locale::from_tag("pt-BR"), None);
        assert_eq!(Locale::from_tag(""), None);
        assert_eq!("fr".parse::<Locale>(), Ok(Locale::Fr));
        assert!("klingon".parse::<Locale>().is_err());
    }

    #[test]
    fn accept_language_takes_the_heaviest_supported() {
        let pick = Locale::from_accept_language;
        assert_eq!(pick("pt-BR,pt;q=0.9,de;q=0.8,en;q=0.7"), Some(Locale::De));
        assert_eq!(pick("en;q=0.5, fr"), Some(Locale::Fr));
        assert_eq!(pick("es, sv"), Some(Locale::Es));
        assert_eq!(pick("de;q=0, *"), None);
        assert_eq!(pick("zh-CN"), None);
        assert_eq!(pick("sv;q=1.5"), None);
    }

    #[test]
    fn negotiation_prefers_the_field_then_the_header_then_the_default() {
        let n = Locale::negotiate;
        assert_eq!(n(Some("es"), Some("de"), Locale::En), Ok(Locale::Es));
        assert_eq!(n(None, Some("de-CH"), Locale::En), Ok(Locale::De));
        assert_eq!(n(Some(" "), None, Locale::Sv), Ok(Locale::Sv));
        assert!(n(Some("xx"), Some("de"), Locale::En).is_err());
    }

    proptest! {
        #[test]
        fn accept_language_never_panics(header in ".{0,200}") {
            let _ = Locale::from_accept_language(&header);
        }
    }
}
