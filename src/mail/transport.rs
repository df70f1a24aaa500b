//! Delivery: SMTP with lettre's client (over our own `TCP_NODELAY` connections, see
//! `smtp_pool`; `smtps://` through lettre's pooled transport), or, with no SMTP configured, the
//! dev mailbox (a table the `/dev/mailbox` pages read, and each link written to the log).

use std::{sync::Arc, time::Duration};

pub use super::smtp_pool::SmtpError;
use super::{RenderedEmail, smtp_pool::SmtpPool};
use crate::{
    configuration::SmtpUrl,
    domain::time::Millis,
    storage::{Store, StoredMail},
};
use lettre::{
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
    transport::smtp::{
        PoolConfig, authentication::Credentials, client::TlsParameters, response::Response,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Cannot succeed however often it is tried (an address lettre refuses, or the server's
    /// 5xx answer to the message, like `550 mailbox unavailable`).
    #[error("{0}")]
    Permanent(String),
    /// Worth another try later (server down, timeout, a 4xx answer, a connection that broke).
    #[error("{0}")]
    Transient(String),
}

#[derive(Clone)]
pub enum Transport {
    /// Plain SMTP or STARTTLS, on connections of our own with `TCP_NODELAY` (see `smtp_pool`).
    Smtp(Arc<SmtpPool>),
    /// Implicit TLS (`smtps://`), through lettre's pooled transport.
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    DevMailbox(Store),
}

const SMTP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl From<SmtpError> for SendError {
    fn from(e: SmtpError) -> Self {
        if e.is_permanent() {
            Self::Permanent(e.to_string())
        } else {
            Self::Transient(e.to_string())
        }
    }
}

/// lettre's pooled transport (`smtps://`) does not say which step failed, so only the codes
/// RFC 5321 gives to a refused mailbox or message (550-553) end a message; a 5xx at log-in
/// (535) or at the greeting is the deployment's problem and is retried.
fn smtps_error(e: lettre::transport::smtp::Error) -> SendError {
    let refused = e.is_permanent()
        && e.status()
            .is_some_and(|code| (550..=553).contains(&u16::from(code)));
    if refused {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

impl Transport {
    /// `timeout` bounds connecting (up to the greeting, STARTTLS and log-in) and each
    /// message's exchange, each on its own.
    pub fn smtp(
        smtp_url: &SmtpUrl,
        max_connections: u32,
        timeout: Duration,
    ) -> Result<Self, SmtpError> {
        let url = smtp_url.url();
        let host = url.host_str().ok_or(SmtpError::NoHost)?;
        let starttls = url
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "starttls");
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                percent_decode(url.username()),
                smtp_url.password().unwrap_or_default().to_owned(),
            )
        });
        if url.scheme() != "smtps" {
            // The ports lettre's relay builders use: submission for STARTTLS, 25 for plain.
            let port = url.port().unwrap_or(if starttls { 587 } else { 25 });
            let tls = starttls
                .then(|| TlsParameters::new(host.to_owned()))
                .transpose()?;
            return Ok(Self::Smtp(Arc::new(SmtpPool::new(
                host.to_owned(),
                port,
                tls,
                credentials,
                timeout,
                max_connections as usize,
                SMTP_IDLE_TIMEOUT,
            ))));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(host)?;
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        let transport = builder
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(max_connections)
                    .idle_timeout(SMTP_IDLE_TIMEOUT),
            )
            .build();
        Ok(Self::Smtps(transport))
    }

    /// Sends one email; returns the server's answer for `mail test`.
    pub async fn send(
        &self,
        from: &Mailbox,
        to: &str,
        to_name: Option<&str>,
        email: &RenderedEmail,
        links: &[String],
        now: Millis,
    ) -> Result<String, SendError> {
        match self {
            Self::Smtp(pool) => {
                let message = build_message(from, to, to_name, email, now)?;
                let response = pool.send(message.envelope(), &message.formatted()).await?;
                Ok(answer(&response))
            }
            Self::Smtps(smtps) => {
                let message = build_message(from, to, to_name, email, now)?;
                let response = smtps.send(message).await.map_err(smtps_error)?;
                Ok(answer(&response))
            }
            Self::DevMailbox(store) => {
                let mail = StoredMail {
                    id: 0,
                    recipient: to.to_owned(),
                    subject: email.subject.clone(),
                    html: email.html.clone(),
                    text: email.text.clone(),
                    links: serde_json::to_string(links).unwrap_or_else(|_| "[]".into()),
                    created_at: now,
                };
                let mut conn = store
                    .autocommit()
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?;
                let id = conn
                    .insert_dev_mail(&mail)
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?;
                // By design (contract §7): with no SMTP the links are logged for the developer.
                for link in links {
                    tracing::info!(to, subject = %email.subject, %link, "dev mailbox: email stored");
                }
                if links.is_empty() {
                    tracing::info!(to, subject = %email.subject, "dev mailbox: email stored");
                }
                Ok(format!("stored in the dev mailbox as message {id}"))
            }
        }
    }
}

fn build_message(
    from: &Mailbox,
    to: &str,
    to_name: Option<&str>,
    email: &RenderedEmail,
    now: Millis,
) -> Result<Message, SendError> {
    let address: Address = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("address {to:?}: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(to_name.map(str::to_owned), address))
        .subject(email.subject.clone())
        // The service's time: in tests whose clock was moved forward, the Date agrees with
        // the links' expiry.
        .date(now.system_time())
        .message_id(Some(message_id(from)))
        // RFC 3834: out-of-office and other auto-responders do not answer it.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            email.language.clone(),
        ))
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| SendError::Permanent(e.to_string()))
}

/// A `Message-ID` under the sending domain (that of `LATCHKEY_MAIL_FROM`). lettre's default
/// uses the machine's host name, which says nothing true about the sender and which spam
/// filters hold against a message.
fn message_id(from: &Mailbox) -> String {
    format!(
        "<{}@{}>",
        uuid::Uuid::now_v7().simple(),
        from.email.domain()
    )
}

/// The server's answer, as `mail test` reports it.
fn answer(response: &Response) -> String {
    format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    )
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
