//! Delivering webhook events (contract §9): an HTTP `POST` of the stored body, signed per
//! attempt by Standard Webhooks 1.0. The outbox worker calls this exactly as it calls the SMTP
//! transport, so events get the same leases, retries, backoff and dead-lettering as emails.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use uuid::Uuid;

use super::transport::SendError;
use crate::{
    configuration::WebhookSettings,
    domain::{
        time::Millis,
        webhooks::{WebhookSecret, signature_header, webhook_id},
    },
};

/// How long one attempt may take, connection included (contract §9).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct WebhookClient {
    client: reqwest::Client,
    secret: WebhookSecret,
    secret_previous: Option<WebhookSecret>,
}

impl WebhookClient {
    pub fn new(settings: &WebhookSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            // A receiver that redirects is misconfigured; following it would send signed
            // account events wherever the redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Latchkey-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            secret: settings.secret.clone(),
            secret_previous: settings.secret_previous.clone(),
        })
    }

    /// One attempt: `Ok` with the receiver's status on a 2xx; any other answer, a timeout or a
    /// connection failure is worth another try.
    pub async fn deliver(
        &self,
        url: &str,
        message_id: Uuid,
        body: &str,
        now: Millis,
    ) -> Result<String, SendError> {
        let id = webhook_id(message_id);
        let timestamp = now.unix_seconds();
        let signature = signature_header(
            &self.secret,
            self.secret_previous.as_ref(),
            &id,
            timestamp,
            body.as_bytes(),
        );
        let response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| SendError::Transient(describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(status.to_string())
        } else if status.is_redirection() {
            Err(SendError::Transient(format!(
                "the receiver answered {status}; redirects are not followed"
            )))
        } else {
            Err(SendError::Transient(format!(
                "the receiver answered {status}"
            )))
        }
    }
}

/// reqwest's errors name the URL; say what went wrong, with the underlying cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer within 10 s"
    } else if e.is_connect() {
        "cannot connect to the receiver"
    } else {
        "the request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    }
}
