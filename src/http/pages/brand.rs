//! Branding of the pages (contract §12): the accent colour as a generated stylesheet, the
//! operator's stylesheet and logo file, each served from `/assets/` under a content hash, and
//! the Content-Security-Policy that lets a logo from another site in as an image only. No
//! inline style or script is needed, so the policy keeps refusing them.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::IntoResponse,
    routing::get,
};

use super::assets::{PAGE_CSP, STYLESHEET};
use crate::configuration::{Branding, Logo, branding::short_hash};

/// The built-in accent and its hover shade, as the built-in stylesheet writes them.
const ACCENT: &str = "#1f4fd1";
const ACCENT_HOVER: &str = "#163a9e";

/// One file served from `/assets/`.
#[derive(Clone)]
pub struct Asset {
    pub path: String,
    body: axum::body::Bytes,
    content_type: &'static str,
}

/// What the pages add for the operator's branding.
#[derive(Clone)]
pub struct Brand {
    /// Stylesheets linked after the built-in one: the accent's, then the operator's.
    pub stylesheets: Vec<Asset>,
    pub logo_file: Option<Asset>,
    /// The logo's `src` on pages.
    pub logo_src: Option<String>,
    pub csp: HeaderValue,
}

impl Default for Brand {
    fn default() -> Self {
        Self::new(&Branding::default())
    }
}

impl Brand {
    pub fn new(branding: &Branding) -> Self {
        let mut stylesheets = Vec::new();
        if let Some(color) = &branding.color {
            stylesheets.push(css("accent", accent_css(color)));
        }
        if let Some(extra) = &branding.pages_css {
            stylesheets.push(css("custom", extra.clone()));
        }
        let logo_file = match &branding.logo {
            Some(
                logo @ Logo::File {
                    bytes,
                    content_type,
                    ..
                },
            ) => Some(Asset {
                path: logo.src(),
                body: bytes.clone().into(),
                content_type,
            }),
            _ => None,
        };
        let csp = match &branding.logo {
            // Another site's logo is let in as an image, nothing else.
            Some(Logo::Url(url)) => {
                let origin = url.origin().ascii_serialization();
                HeaderValue::from_str(
                    &PAGE_CSP.replace("img-src 'self'", &format!("img-src 'self' {origin}")),
                )
                .unwrap_or_else(|_| HeaderValue::from_static(PAGE_CSP))
            }
            _ => HeaderValue::from_static(PAGE_CSP),
        };
        Self {
            stylesheets,
            logo_file,
            logo_src: branding.logo.as_ref().map(Logo::src),
            csp,
        }
    }

    /// The routes of the branded files.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let mut router = Router::new();
        for asset in self.stylesheets.iter().chain(&self.logo_file) {
            let a = asset.clone();
            router = router.route(
                &asset.path,
                get(move || async move {
                    (
                        [
                            (header::CONTENT_TYPE, a.content_type),
                            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                        ],
                        a.body,
                    )
                        .into_response()
                }),
            );
        }
        router
    }
}

fn css(name: &str, text: String) -> Asset {
    Asset {
        path: format!("/assets/{name}-{}.css", short_hash(text.as_bytes())),
        body: text.into(),
        content_type: "text/css; charset=utf-8",
    }
}

/// The built-in stylesheet's rules that use the accent, with the operator's colour; hover
/// states darken it.
fn accent_css(color: &str) -> String {
    let mut out = String::from("/* LATCHKEY_BRAND_COLOR */\n");
    for line in STYLESHEET.lines() {
        if line.starts_with("/*") || line.starts_with(' ') {
            continue;
        }
        if line.contains(ACCENT_HOVER) {
            let rule = line.replace(ACCENT_HOVER, color);
            // `…}` → `…;filter:brightness(.85)}`: the hover shade of any colour.
            if let Some(stripped) = rule.strip_suffix('}') {
                out.push_str(stripped);
                out.push_str(";filter:brightness(.85)}\n");
            }
        } else if line.contains(ACCENT) {
            out.push_str(&line.replace(ACCENT, color));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accent_stylesheet_recolours_the_accent_rules_only() {
        let css = accent_css("#aa0055");
        assert!(css.contains("button,.button{"), "{css}");
        assert!(css.contains("#aa0055"), "{css}");
        assert!(!css.contains(ACCENT), "{css}");
        assert!(!css.contains("#b42318"), "{css}");
    }

    #[test]
    fn a_logo_from_elsewhere_is_allowed_as_an_image_only() {
        let branding = Branding {
            logo: Some(Logo::Url(
                url::Url::parse("https://cdn.example.com/a/logo.svg")
                    .unwrap_or_else(|e| panic!("{e}")),
            )),
            ..Branding::default()
        };
        let csp = Brand::new(&branding).csp;
        let csp = csp.to_str().unwrap_or_default();
        assert!(
            csp.contains("img-src 'self' https://cdn.example.com;"),
            "{csp}"
        );
        assert_eq!(csp.matches("cdn.example.com").count(), 1, "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
}
