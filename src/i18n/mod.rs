//! What people read, in their language: one Fluent catalogue per language (`locales/*.ftl`),
//! used by the email templates and the pages through the template function `t`.
//!
//! English is the reference: every other catalogue has exactly its keys (a test fails
//! otherwise), and a key that is still missing at run time (an operator's partial override)
//! falls back to English rather than showing an empty string. Plural forms come from the
//! CLDR rules of each language (Fluent's `[one]`/`[other]` selectors).
//!
//! An operator may replace messages of one language with `LATCHKEY_TEMPLATES_DIR/LANG/messages.ftl`:
//! its messages override the built-in ones of the same key, the others stay.

use std::{borrow::Cow, collections::HashMap, path::Path, sync::Arc, time::Duration};

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use minijinja::{
    Environment, State, Value,
    value::{Kwargs, ValueKind},
};

/// The languages every email and page exists in, English first (the fallback).
pub const LANGUAGES: [&str; 5] = ["en", "de", "fr", "es", "sv"];
const FALLBACK: &str = "en";

/// The built-in catalogue of a language.
pub fn builtin(lang: &str) -> Option<&'static str> {
    Some(match lang {
        "en" => include_str!("../../locales/en.ftl"),
        "de" => include_str!("../../locales/de.ftl"),
        "fr" => include_str!("../../locales/fr.ftl"),
        "es" => include_str!("../../locales/es.ftl"),
        "sv" => include_str!("../../locales/sv.ftl"),
        _ => return None,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("message catalogue {name}: {reason}")]
    Load { name: String, reason: String },
}

type Bundle = FluentBundle<FluentResource>;

/// Every language's messages, parsed once at start.
pub struct Catalogue {
    bundles: HashMap<&'static str, Bundle>,
    product: String,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("languages", &self.bundles.keys().collect::<Vec<_>>())
            .field("product", &self.product)
            .finish()
    }
}

fn parse(name: &str, source: String) -> Result<FluentResource, CatalogueError> {
    FluentResource::try_new(source).map_err(|(_, errors)| CatalogueError::Load {
        name: name.to_owned(),
        reason: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

impl Catalogue {
    /// Loads the built-in catalogues and the operator's per-language overrides, if any.
    pub fn load(product: &str, overrides: Option<&Path>) -> Result<Self, CatalogueError> {
        let mut bundles = HashMap::new();
        for lang in LANGUAGES {
            let id: unic_langid::LanguageIdentifier =
                lang.parse().map_err(|_| CatalogueError::Load {
                    name: lang.into(),
                    reason: "not a language tag".into(),
                })?;
            let mut bundle = Bundle::new_concurrent(vec![id]);
            // Fluent wraps every value in Unicode isolation marks by default; they would show up
            // in plain-text emails and subjects as invisible characters.
            bundle.set_use_isolating(false);
            let source = builtin(lang).unwrap_or_default();
            bundle
                .add_resource(parse(&format!("{lang}.ftl"), source.to_owned())?)
                .map_err(|errors| CatalogueError::Load {
                    name: format!("{lang}.ftl"),
                    reason: format!("{errors:?}"),
                })?;
            if let Some(dir) = overrides {
                let path = dir.join(lang).join("messages.ftl");
                if path.is_file() {
                    let name = path.display().to_string();
                    let text =
                        std::fs::read_to_string(&path).map_err(|e| CatalogueError::Load {
                            name: name.clone(),
                            reason: e.to_string(),
                        })?;
                    bundle.add_resource_overriding(parse(&name, text)?);
                }
            }
            bundles.insert(lang, bundle);
        }
        Ok(Self {
            bundles,
            product: product.to_owned(),
        })
    }

    pub fn product(&self) -> &str {
        &self.product
    }

    /// The message `key` in `lang` (English when the language or the key is missing), with
    /// `args` and the product name filled in.
    pub fn text(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len() + 1);
        fluent_args.set("product", self.product.as_str());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(lang, key, &fluent_args)
    }

    fn format(&self, lang: &str, key: &str, args: &FluentArgs<'_>) -> String {
        for candidate in [lang, FALLBACK] {
            let Some(bundle) = self.bundles.get(candidate) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    lang = candidate,
                    key,
                    ?errors,
                    "message formatted with errors"
                );
            }
            return text.into_owned();
        }
        tracing::warn!(lang, key, "no such message in any language");
        key.to_owned()
    }

    /// "in 24 hours", "in 24 Stunden": a configured lifetime, in whole units.
    pub fn in_duration(&self, lang: &str, d: Duration) -> String {
        let (unit, count) = exact_unit(d);
        self.text(
            lang,
            "in-duration",
            &[("unit", unit.into()), ("count", count.into())],
        )
    }

    /// "in 23 hours": how long until a moment, rounded down to its largest unit.
    pub fn in_about(&self, lang: &str, d: Duration) -> String {
        let (unit, count) = rough_unit(d);
        self.text(
            lang,
            "in-duration",
            &[("unit", unit.into()), ("count", count.into())],
        )
    }

    /// "2 hours ago", "vor 2 Stunden".
    pub fn ago(&self, lang: &str, d: Duration) -> String {
        let (unit, count) = rough_unit(d);
        self.text(
            lang,
            "time-ago",
            &[("unit", unit.into()), ("count", count.into())],
        )
    }

    /// Makes `t("key", name=value, …)` available to templates; the language is the template's
    /// `locale` value. The result is plain text: HTML templates escape it like any value.
    pub fn install(self: &Arc<Self>, env: &mut Environment<'static>) {
        let catalogue = Arc::clone(self);
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let locale = state.lookup("locale");
                let lang = locale.as_ref().and_then(Value::as_str).unwrap_or(FALLBACK);
                let mut args = FluentArgs::new();
                args.set("product", catalogue.product.as_str());
                for name in kwargs.args() {
                    let value: Value = kwargs.get(name)?;
                    args.set(name.to_owned(), fluent_value(&value));
                }
                Ok(catalogue.format(lang, key, &args))
            },
        );
    }
}

fn fluent_value(value: &Value) -> FluentValue<'static> {
    match value.kind() {
        ValueKind::Number => match i64::try_from(value.clone()) {
            Ok(n) => n.into(),
            Err(_) => value.to_string().into(),
        },
        ValueKind::Undefined | ValueKind::None => FluentValue::from(Cow::Borrowed("")),
        _ => value.as_str().map_or_else(
            || FluentValue::from(value.to_string()),
            |s| FluentValue::from(s.to_owned()),
        ),
    }
}

/// A configured lifetime in the largest unit that divides it, as people say it: `24h` is 24
/// hours rather than 1 day, `7d` is 7 days.
fn exact_unit(d: Duration) -> (&'static str, u64) {
    match d.as_secs() {
        s if s >= 2 * 86_400 && s % 86_400 == 0 => ("day", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => ("hour", s / 3_600),
        s if s >= 60 => ("minute", s / 60),
        s => ("second", s.max(1)),
    }
}

/// An elapsed or remaining time in its largest whole unit, as people say it.
fn rough_unit(d: Duration) -> (&'static str, u64) {
    match d.as_secs() {
        s if s >= 86_400 => ("day", s / 86_400),
        s if s >= 3_600 => ("hour", s / 3_600),
        s if s >= 60 => ("minute", s / 60),
        s => ("second", s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast::Entry;
    use std::collections::BTreeSet;

    fn catalogue() -> Arc<Catalogue> {
        Arc::new(Catalogue::load("Acme", None).unwrap_or_else(|e| panic!("{e}")))
    }

    fn keys(lang: &str) -> BTreeSet<String> {
        let source = builtin(lang).unwrap_or_else(|| panic!("no catalogue for {lang}"));
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, e)| panic!("{lang}.ftl does not parse: {e:?}"));
        resource
            .entries()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_language_has_exactly_the_english_keys() {
        let english = keys("en");
        assert!(english.len() > 100, "the reference catalogue is complete");
        for lang in LANGUAGES {
            let theirs = keys(lang);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty(), "{lang}.ftl lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang}.ftl has keys English lacks: {extra:?}"
            );
        }
    }

    #[test]
    fn every_message_formats_without_errors_in_every_language() {
        let c = catalogue();
        // Every variable any message uses, so that a typo in a variable name is an error.
        let mut args = FluentArgs::new();
        for name in [
            "name",
            "email",
            "new_email",
            "old_email",
            "when",
            "browser",
            "os",
            "language",
            "left",
            "old",
            "new",
            "device",
            "hint",
        ] {
            args.set(name, "X");
        }
        args.set("product", "Acme");
        args.set("unit", "hour");
        args.set("count", 2);
        args.set("seconds", 30);
        for lang in LANGUAGES {
            let bundle = &c.bundles[lang];
            for key in keys(lang) {
                let pattern = bundle
                    .get_message(&key)
                    .and_then(|m| m.value())
                    .unwrap_or_else(|| panic!("{lang}: {key} has no value"));
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{lang}: {key}: {errors:?}");
                assert!(!text.trim().is_empty(), "{lang}: {key} is empty");
                assert!(
                    !text.contains('\u{2068}'),
                    "{lang}: {key} has isolation marks"
                );
            }
        }
    }

    #[test]
    fn durations_read_naturally_with_plural_forms() {
        let c = catalogue();
        let day = Duration::from_secs(86_400);
        let hour = Duration::from_secs(3_600);
        let cases = [
            ("en", 24 * hour, "in 24 hours"),
            ("en", hour, "in 1 hour"),
            ("en", 7 * day, "in 7 days"),
            ("en", Duration::from_secs(900), "in 15 minutes"),
            ("de", 24 * hour, "in 24 Stunden"),
            ("de", hour, "in 1 Stunde"),
            ("de", 7 * day, "in 7 Tagen"),
            ("de", 2 * day, "in 2 Tagen"),
            ("fr", hour, "dans 1 heure"),
            ("fr", 24 * hour, "dans 24 heures"),
            ("es", 3 * day, "en 3 días"),
            ("es", hour, "en 1 hora"),
            ("es", 7 * day, "en 7 días"),
            ("sv", hour, "om 1 timme"),
            ("sv", 24 * hour, "om 24 timmar"),
        ];
        for (lang, d, expected) in cases {
            assert_eq!(c.in_duration(lang, d), expected, "{lang} {d:?}");
        }
        let sentence = c.text(
            "de",
            "email-link-once",
            &[("when", c.in_duration("de", 24 * hour).into())],
        );
        assert_eq!(
            sentence,
            "Der Link funktioniert einmal und läuft in 24 Stunden ab."
        );
        assert_eq!(
            c.ago("en", 2 * hour + 300 * Duration::from_secs(1)),
            "2 hours ago"
        );
        assert_eq!(c.ago("de", 2 * hour), "vor 2 Stunden");
        assert_eq!(c.ago("fr", Duration::from_secs(60)), "il y a 1 minute");
        assert_eq!(c.ago("es", 3 * day), "hace 3 días");
        assert_eq!(c.ago("sv", Duration::from_secs(5)), "nyss");
        assert_eq!(
            c.in_about("en", 23 * hour + 3_000 * Duration::from_secs(1)),
            "in 23 hours"
        );
    }

    #[test]
    fn unknown_languages_and_keys_fall_back_to_english() {
        let c = catalogue();
        assert_eq!(c.text("xx", "page-sign-in", &[]), "Sign in");
        assert_eq!(c.text("de", "no-such-key", &[]), "no-such-key");
        assert_eq!(c.text("sv", "csrf-back", &[]), "Tillbaka till Acme");
    }

    #[test]
    fn templates_call_t_with_the_locale_in_scope() {
        let c = catalogue();
        let mut env = Environment::new();
        c.install(&mut env);
        let render = |locale: &str| {
            env.render_str(
                r#"{{ t("verification-intro", email=email) }}"#,
                minijinja::context! { locale, email => "a@b.co" },
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(render("en").starts_with("Welcome to Acme! Confirm that a@b.co"));
        assert!(render("sv").starts_with("Välkommen till Acme!"));
    }

    #[test]
    fn an_operator_override_replaces_single_messages_of_one_language() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("de"))?;
        std::fs::write(
            dir.path().join("de/messages.ftl"),
            "login-button = Los geht's\n",
        )?;
        let c = Catalogue::load("Acme", Some(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.text("de", "login-button", &[]), "Los geht's");
        assert_eq!(c.text("de", "page-sign-out", &[]), "Abmelden");
        assert_eq!(c.text("en", "login-button", &[]), "Sign in");
        std::fs::write(dir.path().join("de/messages.ftl"), "broken = {\n")?;
        assert!(Catalogue::load("Acme", Some(dir.path())).is_err());
        Ok(())
    }
}
