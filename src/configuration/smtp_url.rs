//! `LATCHKEY_SMTP_URL`: where mail goes, with a password that must never reach a log.

use std::{fmt, str::FromStr};

use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use super::InvalidValue;

/// The SMTP URL with its password taken out and held by `secrecy`: `Debug` and `Display` show
/// the URL without it.
#[derive(Clone)]
pub struct SmtpUrl {
    /// The URL without its password.
    url: Url,
    password: Option<SecretString>,
}

impl SmtpUrl {
    /// The URL without its password: scheme, user, host, port and options.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The password, percent-decoded.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.expose_secret())
    }
}

impl FromStr for SmtpUrl {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        // The URL is not echoed in an error: it may hold the password.
        let mut url = Url::parse(s.trim()).map_err(|source| InvalidValue::Url {
            value: "the SMTP URL".into(),
            source,
        })?;
        if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
            return Err(InvalidValue::Rule(
                "expected smtp://[user:pass@]host:port or smtps://…",
            ));
        }
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls" | "none") => {}
                _ => {
                    return Err(InvalidValue::UnknownSmtpOption {
                        key: key.into_owned(),
                        value: value.into_owned(),
                    });
                }
            }
        }
        let password = url.password().map(|p| {
            SecretString::from(
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        });
        // Cannot fail for a URL with a host, which was checked above.
        let _ = url.set_password(None);
        Ok(Self { url, password })
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("url", &self.url.as_str())
            .field("password", &self.password.as_ref().map(|_| ".."))
            .finish()
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_kept_apart_and_decoded() -> Result<(), InvalidValue> {
        let url: SmtpUrl =
            "smtp://mailer:p%40ss%20word@mail.example.com:587?tls=starttls".parse()?;
        assert_eq!(url.password(), Some("p@ss word"));
        assert_eq!(url.url().username(), "mailer");
        assert_eq!(url.url().password(), None);
        assert_eq!(url.url().port(), Some(587));
        for shown in [format!("{url:?}"), url.to_string()] {
            assert!(
                !shown.contains("p%40ss") && !shown.contains("p@ss"),
                "{shown}"
            );
        }
        let bare: SmtpUrl = "smtp://127.0.0.1:2525".parse()?;
        assert_eq!(bare.password(), None);
        assert!("http://x".parse::<SmtpUrl>().is_err());
        assert!("smtp://x?tls=maybe".parse::<SmtpUrl>().is_err());
        Ok(())
    }
}
