//! `latchkey mail preview` and `latchkey mail test`.

use std::time::Duration;

use crate::{
    configuration::Settings,
    domain::{codes::OneTimeCode, email::EmailAddress, locale::Locale},
    mail::{
        EmailKind, RenderedEmail,
        outbox::{OutgoingEmail, render_unqueued},
        templates::{TemplateError, Templates},
        transport::Transport,
        values::{
            AccountDeleted, AlreadyRegistered, EmailChangeAttempt, EmailChangeConfirm,
            EmailChanged, EmailReverted, EmailValues, Link, PasswordChanged, PasswordReset,
            SecurityMethod, SignIn, Verification,
        },
    },
    storage::Store,
};

/// Renders one kind with sample values, the way the worker fills them (templates from
/// `LATCHKEY_TEMPLATES_DIR` included), and prints one part.
pub fn preview(
    settings: &Settings,
    kind: EmailKind,
    locale: Option<&str>,
    html: bool,
) -> Result<(), String> {
    let lang = match locale {
        Some(tag) => tag
            .parse::<Locale>()
            .map_err(|e| format!("--locale: {e}"))?,
        None => settings.default_locale,
    }
    .as_str();
    let templates = Templates::load_branded(
        &settings.product_name,
        settings.templates_dir.as_deref(),
        &crate::application::email_brand(settings),
    )
    .map_err(|e| crate::error::Chain(&e).to_string())?;
    let email = sample(settings, &templates, kind, lang)
        .map_err(|e| crate::error::Chain(&e).to_string())?;
    if html {
        outln!("{}", email.html)
    } else {
        outln!("Subject: {}\n\n{}", email.subject, email.text)
    }
}

/// One kind in one language filled with sample values and rendered the way the worker renders
/// a queued message (the expiry in that language included): what `mail preview` prints, and
/// what the spam check, the screenshots and the render benchmark look at.
pub fn sample(
    settings: &Settings,
    templates: &Templates,
    kind: EmailKind,
    lang: &str,
) -> Result<RenderedEmail, TemplateError> {
    let to = EmailAddress::from_stored("ann@example.com".to_owned());
    let email = OutgoingEmail {
        to: &to,
        name: Some("Ann Example"),
        locale: lang.parse().unwrap_or(settings.default_locale),
        values: sample_values(settings, kind),
    };
    render_unqueued(templates, &email)
}

/// The values a flow would give an email of `kind`, with sample links and codes that never
/// work. A new kind cannot be left out: the match names every one.
pub fn sample_values(settings: &Settings, kind: EmailKind) -> EmailValues {
    let base = settings.link_base_url.as_str().trim_end_matches('/');
    let page = |page: &str| format!("{base}/{page}");
    let link = |page: &str, ttl: Duration| Link {
        url: format!("{base}/{page}?token=SAMPLE-TOKEN-NOT-VALID"),
        ttl,
    };
    // A sample, like the token: it never works.
    let code = || OneTimeCode::parse("012345").unwrap_or_else(|_| unreachable!("six digits"));
    let (old_email, new_email) = (
        "ann@example.com".to_owned(),
        "ann.new@example.com".to_owned(),
    );
    match kind {
        EmailKind::Verification => EmailValues::Verification(Verification {
            link: link("verify-email", settings.verify_ttl),
            code: code(),
        }),
        EmailKind::AlreadyRegistered => EmailValues::AlreadyRegistered(AlreadyRegistered {
            login_url: page("login"),
            forgot_url: page("forgot-password"),
        }),
        EmailKind::PasswordReset => EmailValues::PasswordReset(PasswordReset {
            link: link("reset-password", settings.reset_ttl),
            code: code(),
        }),
        EmailKind::PasswordChanged => EmailValues::PasswordChanged(PasswordChanged {
            forgot_url: page("forgot-password"),
        }),
        EmailKind::EmailChangeConfirmNew => {
            EmailValues::EmailChangeConfirmNew(EmailChangeConfirm {
                old_email,
                new_email,
                link: link("confirm-email-change", settings.email_change_ttl),
            })
        }
        EmailKind::EmailChangeConfirmOld => {
            EmailValues::EmailChangeConfirmOld(EmailChangeConfirm {
                old_email,
                new_email,
                link: link("confirm-email-change", settings.email_change_ttl),
            })
        }
        EmailKind::EmailChangeAttempt => EmailValues::EmailChangeAttempt(EmailChangeAttempt {
            old_email,
            new_email,
            login_url: page("login"),
        }),
        EmailKind::EmailChanged => EmailValues::EmailChanged(EmailChanged {
            old_email,
            new_email,
            link: link("revert-email-change", settings.revert_ttl),
        }),
        EmailKind::EmailReverted => EmailValues::EmailReverted(EmailReverted {
            new_email,
            link: link("reset-password", settings.reset_ttl),
        }),
        EmailKind::AccountDeleted => EmailValues::AccountDeleted(AccountDeleted {
            register_url: page("register"),
        }),
        EmailKind::SignIn => EmailValues::SignIn(SignIn {
            link: link("sign-in", settings.sign_in_ttl),
            code: code(),
        }),
        EmailKind::SecurityMethodAdded => EmailValues::SecurityMethodAdded(SecurityMethod {
            method: "totp".into(),
            account_url: page("account"),
        }),
        EmailKind::SecurityMethodRemoved => EmailValues::SecurityMethodRemoved(SecurityMethod {
            method: "totp".into(),
            account_url: page("account"),
        }),
    }
}

/// Sends one message through the configured transport and prints the server's answer.
pub async fn test(settings: Settings, to: &str) -> Result<(), String> {
    let to = EmailAddress::parse(to).map_err(|e| format!("--to: {e}"))?;
    let (transport, store) = match &settings.smtp_url {
        Some(url) => (
            Transport::smtp(url, 1, settings.worker.smtp_timeout)
                .map_err(|e| format!("invalid LATCHKEY_SMTP_URL: {e}"))?,
            None,
        ),
        None => {
            let store = Store::open(&crate::application::database(
                &settings,
                crate::storage::IfMissing::Refuse,
            ))
            .await
            .map_err(|e| crate::error::Chain(&e).to_string())?;
            store
                .migrate()
                .await
                .map_err(|e| crate::error::Chain(&e).to_string())?;
            (Transport::DevMailbox(store.clone()), Some(store))
        }
    };
    let email = RenderedEmail {
        subject: "Latchkey test email".into(),
        text: "This is a test email from `latchkey mail test`: the transport works.\n".into(),
        html: "<!doctype html><html lang=\"en\"><head><title>Latchkey test email</title></head><body><p>This is a test email from <code>latchkey mail test</code>: the transport works.</p></body></html>".into(),
        language: "en".into(),
    };
    let result = transport
        .send(
            &settings.mail_from,
            to.as_str(),
            None,
            &email,
            &[],
            crate::domain::time::Clock::system().now(),
        )
        .await;
    if let Some(store) = store {
        store.close().await;
    }
    match result {
        Ok(answer) => outln!("sent to {to}: {answer}"),
        Err(e) => Err(format!("the test email to {to} was not sent: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LANGUAGES;

    /// Every kind's values, as the flows build them, render in every language with nothing
    /// left unfilled, and carry their link and code into both parts.
    #[test]
    fn every_kind_s_values_render_in_every_language() {
        let settings = Settings::defaults();
        let templates = Templates::load(&settings.product_name, None)
            .unwrap_or_else(|e| panic!("built-in templates: {e}"));
        for kind in EmailKind::ALL {
            let values = sample_values(&settings, kind);
            assert_eq!(values.kind(), kind);
            for lang in LANGUAGES {
                let email = sample(&settings, &templates, kind, lang)
                    .unwrap_or_else(|e| panic!("{kind} ({lang}): {e}"));
                assert_eq!(email.language, lang, "{kind}");
                assert!(!email.subject.is_empty(), "{kind} ({lang}): subject");
                for part in [&email.text, &email.html] {
                    assert!(!part.contains("{{"), "{kind} ({lang}): unfilled");
                    assert!(part.contains("Ann Example"), "{kind} ({lang}): name");
                    if let Some(link) = values.link() {
                        assert!(part.contains(&link.url), "{kind} ({lang}): link");
                    }
                    if let Some(code) = values.code() {
                        assert!(part.contains(code.as_str()), "{kind} ({lang}): code");
                    }
                }
                if values.link().is_some() {
                    // The lifetime is written out in the language, not left as seconds.
                    assert!(!email.text.contains("86400"), "{kind} ({lang}): expiry");
                }
            }
        }
    }
}
