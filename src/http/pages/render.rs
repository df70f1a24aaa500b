//! The template engine of the pages: the built-in templates with the catalogue's `t`, and the
//! three shapes a page takes (a result, a form, the account page through `render`).

use std::{path::Path, sync::Arc};

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use fluent_bundle::FluentValue;
use minijinja::{Environment, Value, context};

use super::{
    assets::{PAGES_SCRIPT_PATH, STYLESHEET_PATH},
    brand::Brand,
    forms::{Answer, FormPage},
    visitor::Visitor,
};
use crate::{
    configuration::Branding,
    domain::locale::Locale,
    error::{Chain, Error},
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
        "mfa_setup.html",
        include_str!("../../../templates/pages/mfa_setup.html"),
    ),
    (
        "mailbox.html",
        include_str!("../../../templates/pages/mailbox.html"),
    ),
];

/// The page templates with the catalogue's `t` function.
pub struct Pages {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    pub(super) default_locale: Locale,
    pub(super) brand: Brand,
}

/// A page template in `LATCHKEY_TEMPLATES_DIR/pages/` that cannot be read or does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid page template {} (LATCHKEY_TEMPLATES_DIR): {source}", .path.display())]
pub struct PageTemplateError {
    path: std::path::PathBuf,
    #[source]
    source: crate::error::BoxError,
}

impl Pages {
    /// The pages with the operator's branding, and their templates where
    /// `templates_dir/pages/` has a file of the same name (contract §12).
    pub fn branded(
        catalogue: Arc<Catalogue>,
        default_locale: Locale,
        branding: &Branding,
        templates_dir: Option<&Path>,
    ) -> Result<Self, PageTemplateError> {
        let mut pages = Self::new(catalogue, default_locale);
        pages.brand = Brand::new(branding);
        let Some(dir) = templates_dir.map(|d| d.join("pages")) else {
            return Ok(pages);
        };
        for (name, _) in PAGE_TEMPLATES {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let err = |source: crate::error::BoxError| PageTemplateError {
                path: path.clone(),
                source,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.into()))?;
            pages
                .env
                .add_template_owned(name.to_string(), text)
                .map_err(|e| err(e.into()))?;
        }
        Ok(pages)
    }

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
            brand: Brand::default(),
        }
    }

    /// The Content-Security-Policy of the pages (a logo from another site let in as an image).
    pub fn brand_csp(&self) -> axum::http::HeaderValue {
        self.brand.csp.clone()
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
            brand_css => self.brand.stylesheets.iter().map(|a| a.path.clone()).collect::<Vec<_>>(),
            logo => self.brand.logo_src.clone(),
            page_script => PAGES_SCRIPT_PATH.as_str(),
            languages,
            here_q => percent_encoding::utf8_percent_encode(&visitor.here, percent_encoding::NON_ALPHANUMERIC).to_string(),
            signed_in => visitor.signed_in,
            home => visitor.app_url.clone().unwrap_or_else(|| "/".to_owned()),
            ..values
        };
        match self.env.get_template(name).and_then(|t| t.render(page)) {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                // The templates are built in, so this is a bug; the visitor still gets a page
                // that says what the other pages say when the server fails.
                let e = Error::internal_while(format!("page {name}"), e);
                tracing::error!(error = %Chain(&e), "page request failed");
                let lang = visitor.lang;
                let page = format!(
                    "<!doctype html>\n<html lang=\"{}\"><meta charset=\"utf-8\">\
                     <title>{}</title><p>{}</p></html>\n",
                    lang.as_str(),
                    escape(self.catalogue.product()),
                    escape(&self.t(lang, "error-server")),
                );
                (StatusCode::INTERNAL_SERVER_ERROR, Html(page)).into_response()
            }
        }
    }

    /// A page that says what happened and offers the next step, answered as `outcome` says.
    pub fn result(&self, visitor: &Visitor, outcome: Outcome) -> Response {
        let mut values = context! {
            title => outcome.title, message => outcome.message, failed => outcome.failed,
            detail => outcome.detail,
        };
        // A finished flow's way on ("/account") is the app's when there is one; other steps
        // stay on the pages and carry the `return_to` on.
        let step = |url: &str| {
            if url == "/account" {
                visitor.done_url(url)
            } else {
                visitor.carry(url)
            }
        };
        if let Some((url, label)) = outcome.next {
            values = context! { next_url => step(url), next_label => label, ..values };
        }
        if let Some((url, label)) = outcome.other {
            values = context! { other_url => step(url), other_label => label, ..values };
        }
        outcome
            .answer
            .apply(self.render("result.html", visitor, values))
    }

    /// A page whose main part is one form, answered as the form's problem (if any) says.
    pub fn form_page(&self, visitor: &Visitor, page: FormPage) -> Response {
        self.form_page_with(visitor, page, context! {})
    }

    /// `form_page` with more values for the template (the log-in page's passkey button).
    pub fn form_page_with(&self, visitor: &Visitor, page: FormPage, extra: Value) -> Response {
        let answer = page.form.answer();
        let carry = |url: &str| visitor.carry(url);
        let values = context! {
            title => page.title,
            intro => page.intro,
            form => Value::from(minijinja::value::Serde(page.form.carrying(&carry).finish())),
            links => Value::from(minijinja::value::Serde(super::forms::carrying(page.links, &carry))),
            ..extra
        };
        answer.apply(self.render("form.html", visitor, values))
    }

    /// The language choice of a select: every language, each in its own words.
    pub(super) fn language_names(&self) -> impl Iterator<Item = (Locale, String)> + '_ {
        Locale::ALL
            .into_iter()
            .map(|l| (l, self.catalogue.text(l.as_str(), "language-name", &[])))
    }
}

/// Text for HTML outside a template.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The next step a result page offers: (url, label).
pub type Step = (&'static str, String);

/// What a result page says.
pub struct Outcome {
    pub title: String,
    pub message: String,
    pub detail: Option<String>,
    pub failed: bool,
    pub next: Option<Step>,
    pub other: Option<Step>,
    /// The status the page answers with (and `Retry-After`), as `explain` decided.
    pub answer: Answer,
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
            answer: Answer::Shown,
        }
    }

    pub fn failed(title: String, message: String, next: Step, other: Option<Step>) -> Self {
        Self {
            failed: true,
            other,
            ..Self::done(title, message, next)
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::http::pages::forms::{Field, FormView, LinkView, Problem};

    pub(crate) fn pages() -> Pages {
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
                return_to: None,
                app_url: None,
            };
            let form = FormView::new("f", "/x", "Go".into())
                .field(
                    Field::new("email", "E".into(), "email", "email").value(Some("a@b.co".into())),
                )
                .field(
                    Field::new("language", "L".into(), "select", "").languages(p.language_names()),
                )
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
                        mfa_on => false,
                        mfa_on_form => Value::from(minijinja::value::Serde(FormView::new("m", "/m", "B".into()).finish())),
                    },
                ),
            ];
            for page in pages {
                assert_eq!(page.status(), StatusCode::OK, "{lang}");
            }
        }
    }

    /// A template that fails (a bug: they are built in) still answers a page, never
    /// problem+json: 500, in the visitor's language.
    #[tokio::test]
    async fn a_page_that_cannot_be_rendered_is_still_a_page() {
        let catalogue = Catalogue::load("A <b> & Co", None).unwrap_or_else(|e| panic!("{e}"));
        let p = Pages::new(Arc::new(catalogue), Locale::En);
        let v = Visitor {
            lang: Locale::De,
            here: "/".into(),
            signed_in: false,
            return_to: None,
            app_url: None,
        };
        let page = p.render("nowhere.html", &v, context! {});
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let content_type = page.headers().get(axum::http::header::CONTENT_TYPE);
        assert!(
            content_type.is_some_and(|t| t.as_bytes().starts_with(b"text/html")),
            "{content_type:?}"
        );
        let body = axum::body::to_bytes(page.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("<html lang=\"de\">"), "{html}");
        assert!(
            html.contains("<title>A &lt;b&gt; &amp; Co</title>"),
            "{html}"
        );
        assert!(html.contains(&p.t(Locale::De, "error-server")), "{html}");
    }
}
