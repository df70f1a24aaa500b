//! `latchkey mail preview` and `latchkey mail test`.

use std::time::Duration;

use minijinja::Value;
use serde_json::{Map, Value as Json};

use crate::{
    configuration::Settings,
    domain::{email::EmailAddress, flows::EXPIRES_IN_SECS, locale::Locale},
    mail::{
        EmailKind, RenderedEmail,
        outbox::fill_expiry,
        templates::{TemplateError, Templates},
        transport::Transport,
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
    let templates = Templates::load(&settings.product_name, settings.templates_dir.as_deref())
        .map_err(|e| e.to_string())?;
    let email = sample(settings, &templates, kind, lang).map_err(|e| e.to_string())?;
    if html {
        println!("{}", email.html);
    } else {
        println!("Subject: {}\n\n{}", email.subject, email.text);
    }
    Ok(())
}

/// One kind in one language filled with sample values the way the worker fills a queued
/// message (the expiry in that language included): what `mail preview` prints, and what the
/// spam check, the screenshots and the render benchmark look at.
pub fn sample(
    settings: &Settings,
    templates: &Templates,
    kind: EmailKind,
    lang: &str,
) -> Result<RenderedEmail, TemplateError> {
    let mut values = sample_values(settings, kind);
    fill_expiry(templates, lang, &mut values);
    let values = Value::from(minijinja::value::Serde(&values));
    templates.render(kind, lang, &values)
}

/// The sample values `mail preview` fills a kind with (a link, a code, an expiry, names).
pub fn sample_values(settings: &Settings, kind: EmailKind) -> Map<String, Json> {
    let base = settings.link_base_url.as_str().trim_end_matches('/');
    let (page, ttl): (Option<&str>, Option<Duration>) = match kind {
        EmailKind::Verification => (Some("verify-email"), Some(settings.verify_ttl)),
        EmailKind::PasswordReset => (Some("reset-password"), Some(settings.reset_ttl)),
        EmailKind::EmailChangeConfirmNew | EmailKind::EmailChangeConfirmOld => (
            Some("confirm-email-change"),
            Some(settings.email_change_ttl),
        ),
        EmailKind::EmailChanged => (Some("revert-email-change"), Some(settings.revert_ttl)),
        _ => (None, None),
    };
    let mut values = Map::new();
    values.insert("name".into(), "Ann Example".into());
    values.insert("email".into(), "ann@example.com".into());
    values.insert("old_email".into(), "ann@example.com".into());
    values.insert("new_email".into(), "ann.new@example.com".into());
    values.insert("login_url".into(), format!("{base}/login").into());
    values.insert("register_url".into(), format!("{base}/register").into());
    values.insert(
        "forgot_url".into(),
        format!("{base}/forgot-password").into(),
    );
    if let Some(page) = page {
        values.insert(
            "link".into(),
            format!("{base}/{page}?token=SAMPLE-TOKEN-NOT-VALID").into(),
        );
    }
    if let Some(ttl) = ttl {
        values.insert(EXPIRES_IN_SECS.into(), ttl.as_secs().into());
    }
    if matches!(kind, EmailKind::Verification | EmailKind::PasswordReset) {
        // A sample, like the token: it never works.
        values.insert("code".into(), "012345".into());
    }
    values
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
            let store = Store::open(&settings.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
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
        .send(&settings.mail_from, to.as_str(), None, &email, &[])
        .await;
    if let Some(store) = store {
        store.close().await;
    }
    match result {
        Ok(answer) => {
            println!("sent to {to}: {answer}");
            Ok(())
        }
        Err(e) => Err(format!("the test email to {to} was not sent: {e}")),
    }
}
