//! The durable outbox. Flows queue an email in the same transaction as the change that causes
//! it; the worker leases due messages, sends them, and retries with backoff until they are sent
//! or their attempts run out. A lease, not a row lock, covers the SMTP conversation, so a worker
//! that dies mid-send only delays its messages until the lease expires.
//!
//! The lease is short and kept alive by a heartbeat while the send runs: a crashed process's
//! messages wait at most one lease (30 s by default), however long a send may take. A lease
//! that named the process instance instead would not help: a restarted process has a new
//! random instance id and cannot tell its predecessor's claims from those of a live process on
//! another node; only a configured, stable node id could, and a copied configuration that gave
//! two live nodes the same id would send messages twice. See docs/operations.md.

use std::{sync::Arc, time::Duration};

use lettre::message::Mailbox;
use minijinja::{Value, context};
use tokio::{
    sync::{Semaphore, watch},
    task::JoinSet,
};
use uuid::Uuid;

use super::{
    EmailKind, RenderedEmail,
    templates::{TemplateError, Templates},
    transport::{SendError, Transport},
    values::{EmailPayload, EmailValues, Sealed},
    webhook::WebhookClient,
};
use crate::{
    configuration::WorkerSettings,
    domain::{
        email::EmailAddress,
        keys::Keys,
        locale::Locale,
        time::{Clock, Millis},
        tokens::random_bytes,
        webhooks::Event,
    },
    error::Error,
    storage::{Channel, ClaimedMessage, Conn, NewOutboxMessage, OutboxKind, OutboxWake, Store},
};

/// An email a flow wants sent: to whom, in which language, and its kind's values (whose link
/// and code are sealed until the message is sent).
pub struct OutgoingEmail<'a> {
    pub to: &'a EmailAddress,
    pub name: Option<&'a str>,
    /// The language to write it in (contract §6: the recipient's, or for a new address the
    /// requester's).
    pub locale: Locale,
    pub values: EmailValues,
}

impl OutgoingEmail<'_> {
    pub fn kind(&self) -> EmailKind {
        self.values.kind()
    }
}

/// The flows' handle on the outbox: queue inside a transaction; its commit wakes the worker
/// (`storage::Conn::commit`).
#[derive(Clone)]
pub struct Outbox {
    keys: Keys,
    /// `LATCHKEY_WEBHOOK_URL`; without it events are not queued at all.
    webhook_url: Option<Arc<str>>,
}

impl Outbox {
    pub fn new(keys: Keys, webhook_url: Option<&url::Url>) -> Self {
        Self {
            keys,
            webhook_url: webhook_url.map(|u| Arc::from(u.as_str())),
        }
    }

    /// Queues an account event for the webhook, in the caller's transaction (so it is sent
    /// exactly when the change it reports commits). Nothing when no webhook is configured.
    pub async fn enqueue_event(
        &self,
        conn: &mut Conn,
        event: Event,
        now: Millis,
    ) -> Result<(), Error> {
        let Some(url) = &self.webhook_url else {
            return Ok(());
        };
        conn.insert_outbox(&NewOutboxMessage {
            id: Uuid::now_v7(),
            kind: OutboxKind::Event(event.kind()),
            recipient: url,
            payload: &event.body(now),
            sealed_link: None,
            now,
        })
        .await
    }

    /// Queues an email in the caller's transaction; its link and code are sealed, never
    /// stored readable.
    pub async fn enqueue(
        &self,
        conn: &mut Conn,
        email: OutgoingEmail<'_>,
        now: Millis,
    ) -> Result<(), Error> {
        let id = Uuid::now_v7();
        let (values, sealed) = email.values.stored();
        let payload = serde_json::to_string(&EmailPayload {
            locale: email.locale,
            name: email.name.map(str::to_owned),
            values,
        })
        .map_err(Error::internal)?;
        let sealed = sealed
            .map(|sealed| serde_json::to_string(&sealed).map_err(Error::internal))
            .transpose()?
            .map(|secrets| self.keys.seal(&secrets, id.as_bytes()))
            .transpose()?;
        conn.insert_outbox(&NewOutboxMessage {
            id,
            kind: OutboxKind::Email(email.kind()),
            recipient: email.to.as_str(),
            payload: &payload,
            sealed_link: sealed.as_deref(),
            now,
        })
        .await
    }
}

/// Sends what the outbox holds.
pub struct Worker {
    pub store: Store,
    /// Due times, leases and retries are instants of this clock.
    pub clock: Clock,
    pub keys: Keys,
    pub templates: Arc<Templates>,
    pub transport: Transport,
    pub from: Mailbox,
    pub settings: WorkerSettings,
    /// What the lanes wait on: the store wakes it when a message is committed in this process.
    pub wake: Arc<OutboxWake>,
    /// `None` without `LATCHKEY_WEBHOOK_URL`: events left from an earlier configuration die.
    pub webhooks: Option<Arc<WebhookClient>>,
}

impl Worker {
    /// Runs until `shutdown` turns true, then lets the sends in flight finish. Emails and
    /// webhook events run in lanes of their own, each with its own concurrency, so that a slow
    /// webhook receiver never delays an email.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let listen = this
            .store
            .is_postgres()
            .then(|| tokio::spawn(Arc::clone(&this).listen_for_messages(shutdown.clone())));
        let email = tokio::spawn(Arc::clone(&this).run_lane(Channel::Email, shutdown.clone()));
        let webhook = tokio::spawn(Arc::clone(&this).run_lane(Channel::Webhook, shutdown));
        let _ = email.await;
        let _ = webhook.await;
        if let Some(listen) = listen {
            listen.abort();
        }
    }

    /// PostgreSQL: wakes both lanes whenever any process queues a message (the NOTIFY sent by
    /// the queueing transaction), so that whichever worker is free sends it at once. While the
    /// listener is down (the database restarting) the lanes still poll; after it reconnects
    /// they look once, for what was queued meanwhile.
    async fn listen_for_messages(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let wake_all = || self.wake.all();
        while !*shutdown.borrow() {
            let mut listener = match self.store.outbox_listener().await {
                Some(Ok(listener)) => listener,
                Some(Err(e)) => {
                    tracing::warn!(error = %crate::error::Chain(&e), "outbox: cannot listen for new messages; polling meanwhile");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
                None => return,
            };
            wake_all();
            loop {
                tokio::select! {
                    heard = listener.try_recv() => match heard {
                        Ok(Some(_)) => wake_all(),
                        // The connection was lost; `try_recv` reconnects on the next call.
                        Ok(None) => wake_all(),
                        Err(e) => {
                            tracing::warn!(error = %e, "outbox: lost the listener; reconnecting");
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    async fn run_lane(self: Arc<Self>, channel: Channel, mut shutdown: watch::Receiver<bool>) {
        let this = self;
        // A clock moved forward (in tests) may have made messages due: look again at once.
        let mut advanced = this.clock.advanced();
        let concurrency = match channel {
            Channel::Email => this.settings.concurrency,
            Channel::Webhook => this.settings.webhook_concurrency,
        };
        let slots = Arc::new(Semaphore::new(concurrency));
        let mut in_flight = JoinSet::new();
        tracing::info!(?channel, concurrency, "outbox worker started");
        while !*shutdown.borrow() {
            let free = slots.available_permits();
            let mut claimed = 0;
            if free > 0 {
                match this.claim(channel, free).await {
                    Ok(messages) => {
                        claimed = messages.len();
                        for (owner, message) in messages {
                            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                                break;
                            };
                            let worker = Arc::clone(&this);
                            in_flight.spawn(async move {
                                worker.deliver(owner, message).await;
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %crate::error::Chain(&e), "outbox: cannot claim messages")
                    }
                }
            }
            if claimed > 0 && claimed == free {
                // Possibly more due: wait only for a free slot.
                tokio::select! {
                    _ = in_flight.join_next() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let pause = this.pause(channel).await;
            tokio::select! {
                _ = this.wake.of(channel).notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = advanced.changed() => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                _ = shutdown.changed() => {}
            }
        }
        // What is due at the stop goes out with it, as many as there are free slots: the
        // messages queued just before it (the work after an answer, which a graceful stop waits
        // for) would otherwise wait for the next start.
        let free = slots.available_permits();
        if free > 0
            && let Ok(messages) = this.claim(channel, free).await
        {
            for (owner, message) in messages {
                let worker = Arc::clone(&this);
                in_flight.spawn(async move { worker.deliver(owner, message).await });
            }
        }
        tracing::info!(
            ?channel,
            in_flight = in_flight.len(),
            "outbox worker stopping; letting sends in flight finish"
        );
        while in_flight.join_next().await.is_some() {}
    }

    /// How long to sleep when nothing is due: until the next message falls due, at most the
    /// poll interval (other processes may queue messages we are not woken for).
    async fn pause(&self, channel: Channel) -> Duration {
        let poll = self.settings.poll_interval;
        let next = match self.store.read().await {
            Ok(mut conn) => conn.next_due_at(channel).await.ok().flatten(),
            Err(_) => None,
        };
        match next {
            Some(at) => at.remaining_at(self.clock.now()).min(poll),
            None => poll,
        }
    }

    async fn claim(
        &self,
        channel: Channel,
        limit: usize,
    ) -> Result<Vec<(Uuid, ClaimedMessage)>, Error> {
        let owner = Uuid::from_bytes(random_bytes::<16>()?);
        let now = self.clock.now();
        let mut conn = self.store.autocommit().await?;
        let messages = conn
            .claim_due_messages(channel, owner, now, now + self.settings.lease, limit as i64)
            .await?;
        Ok(messages.into_iter().map(|m| (owner, m)).collect())
    }

    async fn deliver(&self, owner: Uuid, message: ClaimedMessage) {
        // The heartbeat runs until the outcome is recorded, not only while sending: a lease
        // that ran out while a busy node waited for a connection to record "sent" let another
        // node claim the message and send it a second time.
        tokio::select! {
            () = self.attempt_and_record(owner, &message) => {}
            never = self.keep_lease(message.id, owner) => match never {},
        }
    }

    async fn attempt_and_record(&self, owner: Uuid, message: &ClaimedMessage) {
        let event = message.channel == Channel::Webhook;
        let outcome = if event {
            self.post_event(message).await
        } else {
            self.render_and_send(message).await
        };
        let what = if event { "webhook event" } else { "email" };
        let result = match &outcome {
            Ok(answer) => {
                tracing::info!(id = %message.id, kind = %message.kind, attempt = message.attempts, %answer, "{what} sent");
                if !event {
                    crate::telemetry::email_sent(message.kind.as_str());
                }
                match self.store.autocommit().await {
                    Ok(mut conn) => conn.mark_sent(message.id, owner, self.clock.now()).await,
                    Err(e) => Err(e),
                }
            }
            Err(e) => {
                let retry_at = match e {
                    SendError::Permanent(_) => None,
                    SendError::Transient(_) => self.retry_at(message.attempts),
                };
                tracing::warn!(id = %message.id, kind = %message.kind, attempt = message.attempts,
                    error = %e, dead = retry_at.is_none(), "{what} not sent");
                if !event {
                    crate::telemetry::email_failed(message.kind.as_str(), retry_at.is_none());
                }
                match self.store.autocommit().await {
                    Ok(mut conn) => {
                        conn.mark_failed(message.id, owner, &e.to_string(), retry_at)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            // The lease runs out and the message is tried again: at least once, never lost.
            tracing::error!(id = %message.id, error = %crate::error::Chain(&e), "outbox: cannot record the outcome of a send");
        }
    }

    /// The heartbeat of a send in progress: renews its lease every third of the lease, so
    /// that the lease can be short (a crash delays a message by at most one lease) while a
    /// send may take longer than that. Runs until the send ends and drops it.
    async fn keep_lease(&self, id: Uuid, owner: Uuid) -> std::convert::Infallible {
        let lease = self.settings.lease;
        // A clock moved forward (in tests) brings the lease's end nearer at once: renew then.
        let mut advanced = self.clock.advanced();
        loop {
            tokio::select! {
                _ = tokio::time::sleep((lease / 3).max(Duration::from_millis(50))) => {}
                _ = advanced.changed() => {}
            }
            let renewed = match self.store.autocommit().await {
                Ok(mut conn) => conn.renew_lease(id, owner, self.clock.now() + lease).await,
                Err(e) => Err(e),
            };
            match renewed {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(%id, "outbox: the lease of a send in progress was lost");
                }
                // The next beat tries again; if none succeeds, the lease runs out and the
                // message is tried again (at least once, never lost).
                Err(e) => tracing::warn!(%id, error = %e, "outbox: cannot renew a lease"),
            }
        }
    }

    /// A webhook event: the stored body, to the stored URL, signed now.
    async fn post_event(&self, message: &ClaimedMessage) -> Result<String, SendError> {
        let Some(client) = &self.webhooks else {
            return Err(SendError::Permanent(
                "LATCHKEY_WEBHOOK_URL is no longer set on this worker".into(),
            ));
        };
        client
            .deliver(
                &message.recipient,
                message.id,
                &message.payload,
                self.clock.now(),
            )
            .await
    }

    async fn render_and_send(&self, message: &ClaimedMessage) -> Result<String, SendError> {
        let permanent = |e: &dyn std::fmt::Display| SendError::Permanent(e.to_string());
        let kind: EmailKind = match &message.kind {
            OutboxKind::Email(kind) => *kind,
            other => return Err(permanent(&super::UnknownKind(other.to_string()))),
        };
        let payload: EmailPayload = serde_json::from_str(&message.payload)
            .map_err(|e| SendError::Permanent(format!("payload: {e}")))?;
        if payload.values.kind() != kind {
            return Err(SendError::Permanent(format!(
                "a {kind} message with a {} payload",
                payload.values.kind()
            )));
        }
        let sealed = match &message.sealed_link {
            Some(sealed) => {
                let opened = self.keys.open(sealed, message.id.as_bytes()).ok_or_else(|| {
                    SendError::Permanent("the link cannot be decrypted: was LATCHKEY_SECRET replaced without LATCHKEY_SECRET_PREVIOUS?".into())
                })?;
                let sealed: Sealed = serde_json::from_str(&opened)
                    .map_err(|e| SendError::Permanent(format!("sealed link: {e}")))?;
                Some(sealed)
            }
            None => None,
        };
        let values = EmailValues::from_stored(payload.values, sealed).map_err(|e| permanent(&e))?;
        let links: Vec<String> = values.link().map(|l| l.url.clone()).into_iter().collect();
        let rendered = render_email(
            &self.templates,
            &message.recipient,
            payload.name.as_deref(),
            payload.locale,
            &values,
        )
        .map_err(|e| permanent(&e))?;
        self.transport
            .send(
                &self.from,
                &message.recipient,
                payload.name.as_deref(),
                &rendered,
                &links,
                self.clock.now(),
            )
            .await
    }

    /// Exponential backoff with jitter: the first retry after at most `retry_base`, each later
    /// one about three times further, capped at `retry_max`; `None` once attempts run out.
    fn retry_at(&self, attempts: i64) -> Option<Millis> {
        retry_delay(&self.settings, attempts).map(|d| self.clock.now() + d)
    }
}

/// Renders an email the way the worker sends it: its kind's values (link and code included),
/// the address and the name, and the link's lifetime written out in the message's language as
/// `expires_in` ("in 24 hours", "in 24 Stunden").
fn render_email(
    templates: &Templates,
    to: &str,
    name: Option<&str>,
    locale: Locale,
    values: &EmailValues,
) -> Result<RenderedEmail, TemplateError> {
    let lang = locale.as_str();
    let expires_in = values
        .link()
        .map(|link| templates.catalogue().in_duration(lang, link.ttl));
    let context = context! {
        email => to,
        name => name,
        expires_in => expires_in,
        ..Value::from(minijinja::value::Serde(values))
    };
    templates.render(values.kind(), lang, &context)
}

/// An email rendered exactly as the worker would render it once queued (through the outbox's
/// stored and sealed form and back): what `mail preview` shows for a sample.
pub fn render_unqueued(
    templates: &Templates,
    email: &OutgoingEmail<'_>,
) -> Result<RenderedEmail, TemplateError> {
    let (stored, sealed) = email.values.stored();
    let values = EmailValues::from_stored(stored, sealed).map_err(|e| TemplateError::Render {
        kind: email.kind(),
        source: e.into(),
    })?;
    render_email(
        templates,
        email.to.as_str(),
        email.name,
        email.locale,
        &values,
    )
}

pub fn retry_delay(settings: &WorkerSettings, attempts: i64) -> Option<Duration> {
    if attempts >= i64::from(settings.max_attempts) {
        return None;
    }
    let exponent = attempts.clamp(1, 30) as i32 - 1;
    let full = settings.retry_base.as_secs_f64() * 3f64.powi(exponent);
    let capped = full.min(settings.retry_max.as_secs_f64());
    // Jitter in [0.5, 1.0): retries of many messages failing together spread out.
    let jitter =
        random_bytes::<2>().map_or(0.75, |b| 0.5 + f64::from(u16::from_le_bytes(b)) / 131_072.0);
    Some(Duration::from_secs_f64(capped * jitter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::values::StoredValues;

    /// An email's payload is its kind's values tagged by the kind, beside the language and
    /// the name, and reads back as the same.
    #[test]
    fn email_payloads_are_tagged_by_kind_and_read_back() -> Result<(), serde_json::Error> {
        let payload = EmailPayload {
            locale: Locale::De,
            name: Some("Ann".into()),
            values: StoredValues::PasswordReset {
                expires_in_secs: 3600,
            },
        };
        let text = serde_json::to_string(&payload)?;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text)?,
            serde_json::json!({
                "kind": "password_reset", "locale": "de", "name": "Ann", "expires_in_secs": 3600
            })
        );
        assert_eq!(serde_json::from_str::<EmailPayload>(&text)?, payload);
        let nameless = serde_json::json!({ "kind": "account_deleted", "locale": "en",
            "register_url": "https://x.test/register" });
        let read: EmailPayload = serde_json::from_value(nameless)?;
        assert_eq!(read.name, None);
        assert_eq!(read.values.kind(), EmailKind::AccountDeleted);
        Ok(())
    }

    #[test]
    fn backoff_starts_within_the_base_grows_and_stops() {
        let s = WorkerSettings::default();
        let first = retry_delay(&s, 1).unwrap_or_default();
        assert!(
            first <= Duration::from_secs(20) && first >= Duration::from_secs(10),
            "{first:?}"
        );
        let fifth = retry_delay(&s, 5).unwrap_or_default();
        assert!(fifth >= Duration::from_secs(810), "{fifth:?}");
        let ninth = retry_delay(&s, 9).unwrap_or_default();
        assert!(ninth <= s.retry_max, "{ninth:?}");
        assert_eq!(retry_delay(&s, 10), None);
        // About a day from first attempt to the last with the defaults.
        let worst: f64 = (1..10)
            .map(|n| (20.0 * 3f64.powi(n - 1)).min(43_200.0))
            .sum();
        assert!((60_000.0..120_000.0).contains(&worst), "{worst}");
    }
}
