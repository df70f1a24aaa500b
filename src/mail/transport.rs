//! Delivery: SMTP through lettre's pooled async transport, or, with no SMTP configured, the dev
//! mailbox (a table the `/dev/mailbox` pages read, and each link written to the log).

use std::time::Duration;

use lettre::{
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::{PoolConfig, authentication::Credentials},
};
use url::Url;

use super::RenderedEmail;
use crate::storage::{Store, StoredMail, now_ms};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Cannot succeed however often it is tried (an address lettre refuses, for example).
    #[error("{0}")]
    Permanent(String),
    /// Worth another try later (server down, timeout, 4xx or 5xx answer).
    #[error("{0}")]
    Transient(String),
}

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    DevMailbox(Store),
}

impl Transport {
    pub fn smtp(url: &Url, max_connections: u32) -> Result<Self, String> {
        let host = url.host_str().ok_or("the SMTP URL has no host")?;
        let starttls = url
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "starttls");
        let mut builder = match (url.scheme(), starttls) {
            ("smtps", _) => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?
            }
            (_, true) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| e.to_string())?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        if !url.username().is_empty() {
            builder = builder.credentials(Credentials::new(
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or_default()),
            ));
        }
        let transport = builder
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(
                PoolConfig::new()
                    .max_size(max_connections)
                    .idle_timeout(Duration::from_secs(60)),
            )
            .build();
        Ok(Self::Smtp(transport))
    }

    /// Sends one email; returns the server's answer for `mail test`.
    pub async fn send(
        &self,
        from: &Mailbox,
        to: &str,
        to_name: Option<&str>,
        email: &RenderedEmail,
        links: &[String],
    ) -> Result<String, SendError> {
        match self {
            Self::Smtp(smtp) => {
                let address: Address = to
                    .parse()
                    .map_err(|e| SendError::Permanent(format!("address {to:?}: {e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(Mailbox::new(to_name.map(str::to_owned), address))
                    .subject(email.subject.clone())
                    .date_now()
                    .message_id(None)
                    .multipart(MultiPart::alternative_plain_html(
                        email.text.clone(),
                        email.html.clone(),
                    ))
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                let response = smtp
                    .send(message)
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?;
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            Self::DevMailbox(store) => {
                let mail = StoredMail {
                    id: 0,
                    recipient: to.to_owned(),
                    subject: email.subject.clone(),
                    html: email.html.clone(),
                    text: email.text.clone(),
                    links: serde_json::to_string(links).unwrap_or_else(|_| "[]".into()),
                    created_at: now_ms(),
                };
                let mut conn = store
                    .writer()
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

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
