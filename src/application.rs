//! Building and running Latchkey: the same assembly for `serve`, `worker`, the CLI and tests.

use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use axum::Router;
use secrecy::ExposeSecret as _;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    configuration::{DatabaseUrl, Logo, Settings},
    domain::{
        access::{AccessTokens, TokenSettings},
        fault::Fault,
        keys::{Keys, Secret},
        passkey::{RelyingParty, RelyingPartyError},
        password::{NewPassword, PasswordHasher, WeakPassword},
        time::Clock,
    },
    error::Error,
    flows::{Flows, RateLimiter},
    http::{self, AppState, pages::Pages},
    mail::{
        outbox::{Outbox, Worker},
        templates::{EmailBrand, TemplateError, Templates},
        transport::{SmtpError, Transport},
        webhook::WebhookClient,
    },
    storage::{IfMissing, OpenError, OpenOptions, Store},
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error(
        "LATCHKEY_SECRET is required with PostgreSQL: every serve, worker and migrate process \
         must share it. Make one with `openssl rand -base64 32` and give the same value to all"
    )]
    SecretRequired,
    #[error("{0}")]
    Secret(#[source] Fault),
    #[error("invalid email template: {0}")]
    Template(#[from] TemplateError),
    #[error(transparent)]
    PageTemplate(#[from] crate::http::pages::PageTemplateError),
    #[error("invalid LATCHKEY_SMTP_URL: {0}")]
    Smtp(#[source] SmtpError),
    #[error("cannot listen on {addr} (LATCHKEY_METRICS_LISTEN): {source}")]
    MetricsBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid LATCHKEY_FIRST_ADMIN_PASSWORD: {0}")]
    FirstAdminPassword(WeakPassword),
    #[error("cannot create the first admin: {0}")]
    FirstAdmin(#[source] Error),
    #[error("invalid LATCHKEY_WEBAUTHN_RP_ID: {0}")]
    RelyingParty(#[source] RelyingPartyError),
    #[error("cannot build the webhook HTTP client: {0}")]
    Webhook(#[source] reqwest::Error),
    #[error(
        "no key file at {}: only serve, worker, migrate, dev seed and user create make one; \
         set LATCHKEY_SECRET as the server has it",
        .0.display()
    )]
    MissingKeyFile(PathBuf),
}

/// The database settings as storage takes them.
pub fn database(settings: &Settings, if_missing: IfMissing) -> OpenOptions<'_> {
    OpenOptions {
        url: &settings.database_url,
        max_connections: settings.database_max_connections,
        connect_timeout: settings.database_connect_timeout,
        if_missing,
    }
}

/// Everything the flows and the worker need, built once from the settings.
pub struct Services {
    pub settings: Arc<Settings>,
    /// The time every flow, the worker and the access tokens read.
    pub clock: Clock,
    pub store: Store,
    pub keys: Keys,
    pub flows: Arc<Flows>,
    pub templates: Arc<Templates>,
    pub transport: Transport,
    pub webhooks: Option<Arc<WebhookClient>>,
    /// Files this start created (the SQLite database, `latchkey.key`), for the start-up log.
    created: Vec<(&'static str, PathBuf)>,
}

/// `latchkey migrate`: opens the database and applies the migrations, nothing else.
pub async fn migrate(settings: &Settings) -> Result<(), StartError> {
    if matches!(settings.database_url, DatabaseUrl::Postgres(_)) && settings.secret.is_none() {
        return Err(StartError::SecretRequired);
    }
    let store = Store::open(&database(settings, IfMissing::Create)).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

impl Services {
    /// Opens and migrates the database, resolves the secret, loads the templates; creates the
    /// SQLite database and its key file when they do not exist yet (`serve`, `worker`, `dev
    /// seed`, `user create`).
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with(settings, Clock::system(), IfMissing::Create).await
    }

    /// `build` on a clock of the caller's (tests move it forward instead of sleeping).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartError> {
        Self::build_with(settings, clock, IfMissing::Create).await
    }

    /// [`Self::build`] for every other command: a missing SQLite database or key file is
    /// refused, naming the path looked for, instead of made anew and reported on as empty.
    pub async fn open_existing(settings: Settings) -> Result<Self, StartError> {
        Self::build_with(settings, Clock::system(), IfMissing::Refuse).await
    }

    async fn build_with(
        settings: Settings,
        clock: Clock,
        if_missing: IfMissing,
    ) -> Result<Self, StartError> {
        let mut created = Vec::new();
        if let DatabaseUrl::Sqlite(path) = &settings.database_url
            && !path.exists()
        {
            created.push(("the SQLite database", path.clone()));
        }
        // Refused before the database is touched: a node without the shared secret would
        // issue tokens and seal links no other node can read.
        if matches!(settings.database_url, DatabaseUrl::Postgres(_)) && settings.secret.is_none() {
            return Err(StartError::SecretRequired);
        }
        let store = Store::open(&database(&settings, if_missing)).await?;
        store.migrate().await?;
        let (secret, key_file) = resolve_secret(&settings, if_missing)?;
        if let Some(path) = key_file {
            created.push((
                "the secret key file (keep it with the database: access tokens and queued links depend on it)",
                path,
            ));
        }
        let keys = Keys::derive(&secret, settings.secret_previous.as_ref());
        let templates = Arc::new(Templates::load_branded(
            &settings.product_name,
            settings.templates_dir.as_deref(),
            &email_brand(&settings),
        )?);
        let transport = match &settings.smtp_url {
            Some(url) => Transport::smtp(
                url,
                settings.worker.concurrency as u32,
                settings.worker.smtp_timeout,
            )
            .map_err(StartError::Smtp)?,
            None => Transport::DevMailbox(store.clone()),
        };
        let hasher = PasswordHasher::new(settings.password_hash)
            .map_err(StartError::Secret)?
            .observe_slot_waits(crate::telemetry::password_slot_wait);
        let access = AccessTokens::new(
            &keys,
            &TokenSettings {
                algorithm: settings.access_token_alg,
                // `iss` is the public URL as configured, without the slash `Url` adds.
                issuer: settings.public_url.as_str().trim_end_matches('/'),
                audience: &settings.token_audience,
                ttl: settings.access_ttl,
                clock: clock.clone(),
            },
        )
        .map_err(StartError::Secret)?;
        let webhooks = settings
            .webhook
            .as_ref()
            .map(WebhookClient::new)
            .transpose()
            .map_err(StartError::Webhook)?
            .map(Arc::new);
        let outbox = Outbox::new(keys.clone(), settings.webhook.as_ref().map(|w| &w.url));
        let relying_party = match RelyingParty::new(
            settings.webauthn_rp_id.as_deref(),
            &settings.public_url,
            &settings.cors_origins,
            &settings.product_name,
        ) {
            Ok(rp) => Some(rp),
            // Contract §1: the server starts; the passkey endpoints answer 404.
            Err(e @ RelyingPartyError::IpAddress(_)) => {
                tracing::warn!("{e}: passkeys are off; set LATCHKEY_WEBAUTHN_RP_ID to a domain");
                None
            }
            Err(e) => return Err(StartError::RelyingParty(e)),
        };
        let settings = Arc::new(settings);
        let flows = Arc::new(Flows {
            relying_party,
            store: store.clone(),
            clock: clock.clone(),
            hasher,
            access,
            outbox,
            settings: Arc::clone(&settings),
            codes: keys.codes.clone(),
            factors: keys.factors.clone(),
            limiter: RateLimiter::new(&settings, Some(store.clone()), clock.clone()),
            after_answer: Default::default(),
        });
        Ok(Self {
            settings,
            clock,
            store,
            keys,
            flows,
            templates,
            transport,
            webhooks,
            created,
        })
    }

    /// Logs the files this start created; only `serve` and `worker` call it, once they are up.
    pub fn log_created_files(&self) {
        for (what, path) in &self.created {
            tracing::info!(path = %path.display(), "created {what}");
        }
    }

    /// `LATCHKEY_FIRST_ADMIN_EMAIL` and `_PASSWORD`: a verified admin unless a user has that
    /// address already; run at the start of `serve` and `worker`, so starting again changes
    /// nothing.
    pub async fn ensure_first_admin(&self) -> Result<(), StartError> {
        let (Some(email), Some(password)) = (
            &self.settings.first_admin_email,
            &self.settings.first_admin_password,
        ) else {
            return Ok(());
        };
        let password = NewPassword::parse(password.expose_secret().to_owned())
            .map_err(StartError::FirstAdminPassword)?;
        let created = self
            .flows
            .ensure_first_admin(email, password)
            .await
            .map_err(StartError::FirstAdmin)?;
        if created {
            tracing::info!(%email, "first admin created");
        }
        Ok(())
    }

    pub fn worker(&self) -> Worker {
        Worker {
            store: self.store.clone(),
            clock: self.clock.clone(),
            keys: self.keys.clone(),
            templates: Arc::clone(&self.templates),
            transport: self.transport.clone(),
            from: self.settings.mail_from.clone(),
            settings: self.settings.worker.clone(),
            wake: self.store.outbox_wake(),
            webhooks: self.webhooks.clone(),
        }
    }
}

/// `LATCHKEY_SECRET`, or with SQLite the key file beside the database, made on first start.
fn resolve_secret(
    settings: &Settings,
    if_missing: IfMissing,
) -> Result<(Secret, Option<PathBuf>), StartError> {
    if let Some(secret) = &settings.secret {
        return Ok((secret.clone(), None));
    }
    match &settings.database_url {
        DatabaseUrl::Sqlite(db) => {
            let dir = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let path = dir.join("latchkey.key");
            let new = !path.exists();
            if new && if_missing == IfMissing::Refuse {
                return Err(StartError::MissingKeyFile(path));
            }
            let secret = Secret::load_or_create(&path).map_err(StartError::Secret)?;
            Ok((secret, new.then_some(path)))
        }
        DatabaseUrl::Postgres(_) => Err(StartError::SecretRequired),
    }
}

/// The HTTP server with the outbox worker beside it (`latchkey serve`).
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `/metrics`, on `LATCHKEY_METRICS_LISTEN`; `None` when off or its default port is taken.
    metrics: Option<(TcpListener, Router)>,
    services: Services,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// `build` on a clock of the caller's: the test harness keeps it to move the running
    /// application's time forward.
    pub async fn build_with_clock(
        mut settings: Settings,
        clock: Clock,
    ) -> Result<Self, StartError> {
        let addr = settings.listen;
        // Bound first: a taken port stops the start before any file is created.
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        if let Ok(bound) = listener.local_addr() {
            settings.follow_bound_port(bound.port());
        }
        let metrics_listener = match settings.metrics_listen {
            None => None,
            Some(m) => match TcpListener::bind(m.addr).await {
                Ok(listener) => Some(listener),
                Err(source) if m.required => {
                    return Err(StartError::MetricsBind {
                        addr: m.addr,
                        source,
                    });
                }
                Err(e) => {
                    tracing::warn!(addr = %m.addr, error = %e, "cannot listen on the default metrics address: /metrics is not served; set LATCHKEY_METRICS_LISTEN (or `off`)");
                    None
                }
            },
        };
        let services = Services::build_with_clock(settings, clock).await?;
        services.ensure_first_admin().await?;
        let state = AppState {
            flows: Arc::clone(&services.flows),
            dev_mailbox: services
                .settings
                .dev_mailbox()
                .then(|| services.store.clone()),
            pages: Arc::new(Pages::branded(
                Arc::clone(services.templates.catalogue()),
                services.settings.default_locale,
                &services.settings.branding,
                services.settings.templates_dir.as_deref(),
            )?),
        };
        // Installed before the first request, so that none goes uncounted.
        let _ = crate::telemetry::handle();
        Ok(Self {
            listener,
            metrics: metrics_listener.map(|l| (l, http::metrics_router(state.clone()))),
            router: http::router(state),
            services,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then finishes the requests and sends in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Stops the worker however the shutdown future ends: were it dropped unfinished (a
        // panic), the worker's stop channel would close without ever saying stop.
        let stop = StopOnDrop(stop_tx);
        let worker = tokio::spawn(self.services.worker().run(stop_rx.clone()));
        tokio::spawn(Arc::clone(&self.services.flows).finish_unfinished_signups(stop_rx.clone()));
        tokio::spawn(crate::telemetry::run_upkeep(stop_rx.clone()));
        self.services.log_created_files();
        let metrics_addr = self
            .metrics_addr()
            .map_or_else(|| "off".to_owned(), |a| a.to_string());
        tracing::info!(addr = %self.local_addr(), metrics = %metrics_addr, dev_mailbox = self.services.settings.dev_mailbox(), "latchkey listening");
        self.log_first_pages();
        let settings = &self.services.settings;
        let limits = http::server::ConnectionLimits {
            header_read_timeout: settings.http_header_timeout,
            body_timeout: settings.http_body_timeout,
            per_ip: settings.http_connections_per_ip,
            uncapped: settings.trusted_proxies.clone(),
        };
        if let Some((listener, router)) = self.metrics {
            let mut stop = stop_rx;
            let limits = limits.clone();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                };
                if let Err(e) = http::server::serve(listener, router, limits, stopped).await {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
        }
        let served = http::server::serve(self.listener, self.router, limits, async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests and sends in flight");
        })
        .await;
        // The work the answers left running (a reset link, a resend) is queued before the
        // worker stops, so that the worker sends it on its way out.
        let after_answer = &self.services.flows.after_answer;
        if !after_answer.finished(AFTER_ANSWER_GRACE).await {
            tracing::warn!(
                running = after_answer.running(),
                "shutting down: work after an answer did not end in {AFTER_ANSWER_GRACE:?}; stopping it"
            );
        }
        drop(stop);
        let _ = worker.await;
        self.services.store.close().await;
        served
    }

    /// The pages a person opens first, at the public URL (the base of every link).
    fn log_first_pages(&self) {
        let settings = &self.services.settings;
        let base = settings.public_url.as_str().trim_end_matches('/');
        tracing::info!("sign up at {base}/register; the account page is {base}/account");
        if settings.dev_mailbox() {
            tracing::info!(
                "no LATCHKEY_SMTP_URL: emails are kept in the dev mailbox at {base}/dev/mailbox"
            );
        }
        // A local public URL on another port than the listener's: LATCHKEY_LISTEN was changed
        // and LATCHKEY_PUBLIC_URL not. (Behind a proxy the ports differ on purpose.)
        let addr = self.local_addr();
        let local = match settings.public_url.host() {
            Some(url::Host::Domain(name)) => name == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if local && settings.public_url.port_or_known_default() != Some(addr.port()) {
            tracing::warn!(
                "LATCHKEY_PUBLIC_URL is {base} but the server listens on {addr}: links in emails and the URLs above use the public URL"
            );
        }
    }
}

/// How long a graceful stop waits for the work that answers left running.
const AFTER_ANSWER_GRACE: Duration = Duration::from_secs(10);

/// Sends "stop" when dropped.
struct StopOnDrop(watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled: a signal in between (right after the "listening" line)
/// would otherwise take the default action and kill the process mid-flight.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let one = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                // No handler: never resolves, and the default action applies.
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = one(interrupt) => {}
            () = one(terminate) => {}
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The colour and logo emails carry (contract §12): a logo file is fetched by mail clients from
/// the public URL, where the pages serve it.
pub fn email_brand(settings: &Settings) -> EmailBrand {
    let branding = &settings.branding;
    EmailBrand {
        color: branding.color.clone(),
        logo_url: branding.logo.as_ref().map(|logo| match logo {
            Logo::Url(url) => url.to_string(),
            Logo::File { .. } => format!(
                "{}{}",
                settings.public_url.as_str().trim_end_matches('/'),
                logo.src()
            ),
        }),
    }
}
