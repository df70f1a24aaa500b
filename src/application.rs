//! Building and running Latchkey: the same assembly for `serve`, `worker`, the CLI and tests.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc};

use axum::Router;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    configuration::{DatabaseUrl, Settings},
    domain::{
        access::{AccessTokens, TokenSettings},
        flows::Flows,
        keys::{Keys, Secret},
        password::{NewPassword, PasswordHasher, WeakPassword},
    },
    error::Error,
    http::{self, AppState, pages::Pages, rate_limit::RateLimiter},
    mail::{
        outbox::{Outbox, Worker},
        templates::{TemplateError, Templates},
        transport::Transport,
        webhook::WebhookClient,
    },
    storage::{OpenError, Store},
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("LATCHKEY_SECRET is required with PostgreSQL: every node must share it")]
    SecretRequired,
    #[error("{0}")]
    Secret(Error),
    #[error("invalid email template: {0}")]
    Template(#[from] TemplateError),
    #[error("invalid LATCHKEY_SMTP_URL: {0}")]
    Smtp(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid LATCHKEY_FIRST_ADMIN_PASSWORD: {0}")]
    FirstAdminPassword(WeakPassword),
    #[error("cannot create the first admin: {0}")]
    FirstAdmin(Error),
    #[error("{0}")]
    Other(String),
}

/// Everything the flows and the worker need, built once from the settings.
pub struct Services {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: Keys,
    pub flows: Arc<Flows>,
    pub templates: Arc<Templates>,
    pub transport: Transport,
    pub webhooks: Option<Arc<WebhookClient>>,
}

impl Services {
    /// Opens and migrates the database, resolves the secret, loads the templates.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let store = Store::open(&settings.database_url).await?;
        store.migrate().await?;
        let secret = resolve_secret(&settings)?;
        let keys = Keys::derive(&secret, settings.secret_previous.as_ref());
        let templates = Arc::new(Templates::load(
            &settings.product_name,
            settings.templates_dir.as_deref(),
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
        let hasher = PasswordHasher::new(settings.password_hash).map_err(StartError::Secret)?;
        let access = AccessTokens::new(
            &keys,
            &TokenSettings {
                algorithm: settings.access_token_alg,
                // `iss` is the public URL as configured, without the slash `Url` adds.
                issuer: settings.public_url.as_str().trim_end_matches('/'),
                audience: &settings.token_audience,
                ttl: settings.access_ttl,
            },
        )
        .map_err(StartError::Secret)?;
        let webhooks = settings
            .webhook
            .as_ref()
            .map(WebhookClient::new)
            .transpose()
            .map_err(StartError::Other)?
            .map(Arc::new);
        let outbox = Outbox::new(keys.clone(), settings.webhook.as_ref().map(|w| &w.url));
        let settings = Arc::new(settings);
        let flows = Arc::new(Flows {
            store: store.clone(),
            hasher,
            access,
            outbox,
            settings: Arc::clone(&settings),
            codes: keys.codes.clone(),
        });
        Ok(Self {
            settings,
            store,
            keys,
            flows,
            templates,
            transport,
            webhooks,
        })
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
        let password =
            NewPassword::parse(password.clone()).map_err(StartError::FirstAdminPassword)?;
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
            keys: self.keys.clone(),
            templates: Arc::clone(&self.templates),
            transport: self.transport.clone(),
            from: self.settings.mail_from.clone(),
            settings: self.settings.worker.clone(),
            wake: self.flows.outbox.waker(),
            webhooks: self.webhooks.clone(),
        }
    }
}

/// `LATCHKEY_SECRET`, or with SQLite the key file beside the database, made on first start.
fn resolve_secret(settings: &Settings) -> Result<Secret, StartError> {
    if let Some(secret) = &settings.secret {
        return Ok(secret.clone());
    }
    match &settings.database_url {
        DatabaseUrl::Sqlite(db) => {
            let dir = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Secret::load_or_create(&dir.join("latchkey.key")).map_err(StartError::Secret)
        }
        DatabaseUrl::Postgres(_) => Err(StartError::SecretRequired),
    }
}

/// The HTTP server with the outbox worker beside it (`latchkey serve`).
pub struct Application {
    listener: TcpListener,
    router: Router,
    services: Services,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let addr = settings.listen;
        let services = Services::build(settings).await?;
        services.ensure_first_admin().await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let state = AppState {
            flows: Arc::clone(&services.flows),
            dev_mailbox: services
                .settings
                .dev_mailbox()
                .then(|| services.store.clone()),
            limiter: Arc::new(RateLimiter::new(&services.settings)),
            pages: Arc::new(Pages::new(
                Arc::clone(services.templates.catalogue()),
                services.settings.default_locale,
            )),
        };
        // Installed before the first request, so that none goes uncounted.
        let _ = crate::telemetry::handle();
        Ok(Self {
            listener,
            router: http::router(state),
            services,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn flows(&self) -> Arc<Flows> {
        Arc::clone(&self.services.flows)
    }

    /// Serves until `shutdown` completes, then finishes the requests and sends in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = tokio::spawn(self.services.worker().run(stop_rx.clone()));
        tokio::spawn(crate::telemetry::run_upkeep(stop_rx));
        tracing::info!(addr = %self.local_addr(), dev_mailbox = self.services.settings.dev_mailbox(), "latchkey listening");
        let limits = http::server::ConnectionLimits {
            header_read_timeout: self.services.settings.http_header_timeout,
            body_read_timeout: self.services.settings.http_body_timeout,
        };
        let served = http::server::serve(self.listener, self.router, limits, async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests and sends in flight");
            let _ = stop_tx.send(true);
        })
        .await;
        let _ = worker.await;
        self.services.store.close().await;
        served
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
