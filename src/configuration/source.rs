//! Where raw setting values come from: the environment over `latchkey.toml`.

use std::{collections::BTreeMap, path::Path};

use super::{ConfigError, InvalidValue};

const PREFIX: &str = "LATCHKEY_";
/// Variables that are read elsewhere and so are not typos.
const NOT_SETTINGS: &[&str] = &["config"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Env,
    File,
}

/// Raw values by lower-case key (`verify_ttl`), with where each came from.
#[derive(Debug, Default)]
pub struct Source {
    values: BTreeMap<String, (String, Origin)>,
}

impl Source {
    pub fn empty() -> Self {
        Self::default()
    }

    /// The process environment over `$LATCHKEY_CONFIG`, or `./latchkey.toml` when it exists.
    pub fn from_process() -> Result<Self, ConfigError> {
        let file = match std::env::var("LATCHKEY_CONFIG") {
            Ok(path) => Some(read_file(Path::new(&path), "LATCHKEY_CONFIG")?),
            Err(_) if Path::new("latchkey.toml").is_file() => {
                Some(read_file(Path::new("latchkey.toml"), "latchkey.toml")?)
            }
            Err(_) => None,
        };
        Self::from_pairs(std::env::vars(), file)
    }

    /// Environment pairs (only `LATCHKEY_*` are used) over an optional TOML document.
    pub fn from_pairs(
        env: impl Iterator<Item = (String, String)>,
        toml_text: Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(text) = toml_text {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
                variable: "latchkey.toml".into(),
                reason: InvalidValue::Toml {
                    at: e.span().map(|span| line_and_column(&text, span.start)),
                    error: Box::new(e),
                },
            })?;
            for (key, value) in table {
                let raw = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| i.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                values.insert(key.to_ascii_lowercase(), (raw, Origin::File));
            }
        }
        for (name, value) in env {
            if let Some(key) = name.strip_prefix(PREFIX) {
                values.insert(key.to_ascii_lowercase(), (value, Origin::Env));
            }
        }
        Ok(Self { values })
    }

    /// Removes and returns a raw value.
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.values.remove(key).map(|(v, _)| v)
    }

    pub fn parse<T>(
        &mut self,
        key: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Result<T, ConfigError> {
        let origin = self.values.get(key).map(|(_, o)| *o);
        let raw = self.take(key).unwrap_or_else(|| default.to_owned());
        parse(&raw).map_err(|reason| error_for(key, origin, reason))
    }

    pub fn parse_opt<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Result<Option<T>, ConfigError> {
        let origin = self.values.get(key).map(|(_, o)| *o);
        match self.take(key) {
            Some(raw) if !raw.trim().is_empty() => parse(&raw)
                .map(Some)
                .map_err(|reason| error_for(key, origin, reason)),
            _ => Ok(None),
        }
    }

    pub fn error(&self, key: &str, reason: InvalidValue) -> ConfigError {
        error_for(key, Some(Origin::Env), reason)
    }

    /// Keys nobody asked for: likely typos, reported as warnings.
    pub fn unknown_keys(&self) -> Vec<String> {
        self.values
            .iter()
            .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()))
            .map(|(k, (_, origin))| match origin {
                Origin::Env => format!(
                    "unknown setting {PREFIX}{} is ignored",
                    k.to_ascii_uppercase()
                ),
                Origin::File => format!("unknown setting {k:?} in latchkey.toml is ignored"),
            })
            .collect()
    }
}

fn error_for(key: &str, origin: Option<Origin>, reason: InvalidValue) -> ConfigError {
    let variable = match origin {
        Some(Origin::File) => format!("{key} (latchkey.toml)"),
        _ => format!("{PREFIX}{}", key.to_ascii_uppercase()),
    };
    ConfigError { variable, reason }
}

/// 1-based line and column (in characters) of a byte offset, as editors count them.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn read_file(path: &Path, name: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError {
        variable: name.into(),
        reason: InvalidValue::Read {
            path: path.to_owned(),
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let text = "listen = \"127.0.0.1:8080\"\nlog = [\"info\"\n";
        let err = Source::from_pairs(std::iter::empty(), Some(text.into()))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("invalid latchkey.toml: line 2, column ")),
            "{err:?}"
        );
        assert_eq!(line_and_column("a\nbé=\n", 5), (2, 3));
    }
}
