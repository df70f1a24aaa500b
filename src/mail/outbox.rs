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
use minijinja::Value;
use serde_json::{Map, Value as Json};
use tokio::{
    sync::{Notify, Semaphore, watch},
    task::JoinSet,
};
use uuid::Uuid;

use super::{
    EmailKind, RenderedEmail,
    templates::{TemplateError, Templates},
    transport::{SendError, Transport},
    values::{EXPIRES_IN_SECS, EmailValues},
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
    storage::{Channel, ClaimedMessage, Conn, NewOutboxMessage, OutboxKind, Store},
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

    /// What the outbox row stores readable: the kind's values with the address, the language
    /// and the name; never the link or the code.
    pub fn payload(&self) -> Result<Map<String, Json>, serde_json::Error> {
        let mut values = match serde_json::to_value(&self.values)? {
            Json::Object(values) => values,
            _ => Map::new(),
        };
        values.insert("email".into(), self.to.as_str().into());
        values.insert("locale".into(), self.locale.as_str().into());
        if let Some(name) = self.name {
            values.insert("name".into(), name.into());
        }
        Ok(values)
    }
}

/// The flows' handle on the outbox: queue inside a transaction, wake the worker after commit.
#[derive(Clone)]
pub struct Outbox {
    keys: Keys,
    /// `LATCHKEY_WEBHOOK_URL`; without it events are not queued at all.
    webhook_url: Option<Arc<str>>,
    wake: Arc<Wake>,
}

/// One wake-up per lane of the worker: a new email must not wait for a webhook lane that
/// happened to take the notification, nor the other way round.
#[derive(Default)]
pub struct Wake {
    email: Notify,
    webhook: Notify,
}

impl Wake {
    fn of(&self, channel: Channel) -> &Notify {
        match channel {
            Channel::Email => &self.email,
            Channel::Webhook => &self.webhook,
        }
    }
}

impl Outbox {
    pub fn new(keys: Keys, webhook_url: Option<&url::Url>) -> Self {
        Self {
            keys,
            webhook_url: webhook_url.map(|u| Arc::from(u.as_str())),
            wake: Arc::new(Wake::default()),
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
        let payload = Json::Object(email.payload().map_err(Error::internal)?).to_string();
        let link = email.values.link().map(|l| l.url.clone());
        let secret = match email.values.code() {
            Some(code) => Some(
                serde_json::to_string(&SealedSecrets {
                    link,
                    code: Some(code.as_str().to_owned()),
                })
                .map_err(Error::internal)?,
            ),
            None => link,
        };
        let sealed = secret
            .as_deref()
            .map(|secret| self.keys.seal(secret, id.as_bytes()))
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

    /// Call after the transaction that queued a message commits: no polling delay.
    pub fn wake(&self) {
        self.wake.email.notify_one();
        self.wake.webhook.notify_one();
    }

    pub fn waker(&self) -> Arc<Wake> {
        Arc::clone(&self.wake)
    }
}

/// What is sealed in an outbox row: a link alone as its text (as it always was), or a link and
/// a code as a JSON object.
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedSecrets {
    link: Option<String>,
    code: Option<String>,
}

impl SealedSecrets {
    /// A link starts with its scheme, never with `{`.
    fn read(opened: String) -> Result<Self, serde_json::Error> {
        if opened.starts_with('{') {
            serde_json::from_str(&opened)
        } else {
            Ok(Self {
                link: Some(opened),
                code: None,
            })
        }
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
    pub wake: Arc<Wake>,
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
        let wake_all = || {
            self.wake.email.notify_one();
            self.wake.webhook.notify_one();
        };
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
        let event = matches!(message.kind, OutboxKind::Event(_));
        let attempt = async {
            if event {
                self.post_event(&message).await
            } else {
                self.render_and_send(&message).await
            }
        };
        let outcome = tokio::select! {
            outcome = attempt => outcome,
            never = self.keep_lease(message.id, owner) => match never {},
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
        loop {
            tokio::time::sleep((lease / 3).max(std::time::Duration::from_millis(50))).await;
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
        let kind: EmailKind = match &message.kind {
            OutboxKind::Email(kind) => *kind,
            other => {
                return Err(SendError::Permanent(format!(
                    "{}",
                    super::UnknownKind(other.to_string())
                )));
            }
        };
        let values: Map<String, Json> = serde_json::from_str(&message.payload)
            .map_err(|e| SendError::Permanent(format!("payload: {e}")))?;
        let mut secrets = SealedSecrets {
            link: None,
            code: None,
        };
        if let Some(sealed) = &message.sealed_link {
            let opened = self.keys.open(sealed, message.id.as_bytes()).ok_or_else(|| {
                SendError::Permanent("the link cannot be decrypted: was LATCHKEY_SECRET replaced without LATCHKEY_SECRET_PREVIOUS?".into())
            })?;
            secrets = SealedSecrets::read(opened)
                .map_err(|e| SendError::Permanent(format!("sealed secrets: {e}")))?;
        }
        let links: Vec<String> = secrets.link.iter().cloned().collect();
        let name = values.get("name").and_then(Json::as_str).map(str::to_owned);
        let rendered = render_payload(&self.templates, kind, values, secrets)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        self.transport
            .send(
                &self.from,
                &message.recipient,
                name.as_deref(),
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

/// Renders a stored payload with its opened secrets, the way the worker sends it: the link and
/// the code put back, the expiry written out in the message's language. `mail preview` renders
/// its samples through here too.
fn render_payload(
    templates: &Templates,
    kind: EmailKind,
    mut values: Map<String, Json>,
    secrets: SealedSecrets,
) -> Result<RenderedEmail, TemplateError> {
    if let Some(code) = secrets.code {
        values.insert("code".into(), code.into());
    }
    if let Some(link) = secrets.link {
        values.insert("link".into(), link.into());
    }
    // Messages queued before languages existed carry none: they were English.
    let lang = values
        .get("locale")
        .and_then(Json::as_str)
        .unwrap_or("en")
        .to_owned();
    fill_expiry(templates, &lang, &mut values);
    templates.render(kind, &lang, &Value::from(minijinja::value::Serde(&values)))
}

/// An email rendered exactly as the worker would render it once queued: what `mail preview`
/// shows for a sample.
pub fn render_unqueued(
    templates: &Templates,
    email: &OutgoingEmail<'_>,
) -> Result<RenderedEmail, TemplateError> {
    let values = email.payload().map_err(|e| TemplateError::Render {
        kind: email.kind(),
        source: e.into(),
    })?;
    let secrets = SealedSecrets {
        link: email.values.link().map(|l| l.url.clone()),
        code: email.values.code().map(|c| c.as_str().to_owned()),
    };
    render_payload(templates, email.kind(), values, secrets)
}

/// Writes a link's lifetime out in the message's language as `expires_in` ("in 24 hours").
fn fill_expiry(templates: &Templates, lang: &str, values: &mut Map<String, Json>) {
    if let Some(secs) = values.get(EXPIRES_IN_SECS).and_then(Json::as_u64) {
        let text = templates
            .catalogue()
            .in_duration(lang, Duration::from_secs(secs));
        values.insert("expires_in".into(), text.into());
    } else if let Some(old) = values.get("expires_in").and_then(Json::as_str) {
        // Queued by an earlier version as English words ("24 hours").
        let text = format!("in {old}");
        values.insert("expires_in".into(), text.into());
    }
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

    #[test]
    fn sealed_secrets_read_old_links_and_new_link_and_code_pairs() -> Result<(), serde_json::Error>
    {
        // A row queued before codes existed holds the link alone.
        let old = SealedSecrets::read("https://x.test/verify-email?token=T".into())?;
        assert_eq!(
            old.link.as_deref(),
            Some("https://x.test/verify-email?token=T")
        );
        assert_eq!(old.code, None);
        let sealed = serde_json::to_string(&SealedSecrets {
            link: Some("https://x.test/reset-password?token=T".into()),
            code: Some("004217".into()),
        })?;
        let new = SealedSecrets::read(sealed)?;
        assert_eq!(
            new.link.as_deref(),
            Some("https://x.test/reset-password?token=T")
        );
        assert_eq!(new.code.as_deref(), Some("004217"));
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
