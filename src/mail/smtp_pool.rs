//! Pooled SMTP connections with Nagle's algorithm off, for plain SMTP and STARTTLS.
//!
//! lettre 0.11.23 never sets `TCP_NODELAY`, and it writes the end of the message data
//! (`\r\n.\r\n`) in a write of its own after the body. With Nagle on, that write waits until the
//! server acknowledges the body, and servers delay that acknowledgement (40 ms on Linux, more
//! elsewhere), so every message cost 40 ms more than its SMTP exchange and a worker with 4 sends
//! in flight topped out near 90 messages a second. Here the TCP connection is ours, made with
//! `TCP_NODELAY`, and handed to lettre's SMTP client (`connect_with_transport`); STARTTLS and
//! AUTH are lettre's as before. (lettre's own fix, PR #1159, is not released yet; implicit TLS,
//! `smtps://`, still goes through lettre's transport, which owns that socket.)
//!
//! The pool works like lettre's: idle connections are kept up to `max_idle`, checked with NOOP
//! before reuse, dropped after `idle_timeout`, and a connection that failed is never reused.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        extension::ClientId,
        response::Response,
    },
};
use tokio::net::TcpStream;

/// Why a message could not be handed to the SMTP server (or a transport not be set up).
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("the SMTP URL has no host")]
    NoHost,
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the SMTP server within {0:?}")]
    ConnectTimeout(Duration),
    #[error("TCP_NODELAY: {0}")]
    NoDelay(#[source] std::io::Error),
    #[error("the SMTP server does not offer STARTTLS")]
    NoStartTls,
    #[error("no answer from the SMTP server within {0:?}")]
    Timeout(Duration),
    /// The server's answer or the client's failure, as lettre reports it.
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

pub struct SmtpPool {
    host: String,
    port: u16,
    /// `Some` for STARTTLS, which is then required.
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// For connecting, and for each message's whole exchange.
    timeout: Duration,
    max_idle: usize,
    idle_timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    pub fn new(
        host: String,
        port: u16,
        starttls: Option<TlsParameters>,
        credentials: Option<Credentials>,
        timeout: Duration,
        max_idle: usize,
        idle_timeout: Duration,
    ) -> Self {
        Self {
            host,
            port,
            starttls,
            credentials,
            hello: ClientId::default(),
            timeout,
            max_idle,
            idle_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message; the error is the connection's or the server's.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Response, SmtpError> {
        let mut conn = self.connection().await?;
        match tokio::time::timeout(self.timeout, conn.send(envelope, email)).await {
            Ok(Ok(response)) => {
                self.recycle(conn).await;
                Ok(response)
            }
            Ok(Err(e)) => {
                conn.abort().await;
                Err(e.into())
            }
            // A connection stuck mid-exchange is dropped, not reused.
            Err(_) => Err(SmtpError::Timeout(self.timeout)),
        }
    }

    async fn connection(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        loop {
            let parked = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut conn, since)) = parked else {
                return tokio::time::timeout(self.timeout, self.open())
                    .await
                    .map_err(|_| SmtpError::ConnectTimeout(self.timeout))?;
            };
            if since.elapsed() < self.idle_timeout && conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|source| SmtpError::Connect {
                host: self.host.clone(),
                port: self.port,
                source,
            })?;
        stream.set_nodelay(true).map_err(SmtpError::NoDelay)?;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        if let Some(tls) = &self.starttls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(SmtpError::NoStartTls);
            }
            conn.starttls(tls.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }

    async fn recycle(&self, mut conn: AsyncSmtpConnection) {
        if !conn.has_broken()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((conn, Instant::now()));
            return;
        }
        conn.abort().await;
    }
}
