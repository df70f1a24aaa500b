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
//! Every wait on the server is bounded by `timeout`, the NOOP and QUIT of pooled connections
//! included: a server that stops answering costs a send its timeout, never the worker a slot.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use lettre::{
    address::Envelope,
    transport::smtp::{
        self,
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        extension::ClientId,
        response::Response,
    },
};
use tokio::net::TcpStream;

/// Why a send failed, by the step that failed: only the server's refusal of the message
/// itself (a 5xx to MAIL, RCPT or DATA) says that trying again cannot help.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("the SMTP URL has no host")]
    NoHost,
    /// Setting the transport up (TLS parameters, lettre's own builder) failed.
    #[error("{0}")]
    Setup(#[from] smtp::Error),
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("no greeting from the SMTP server within {0:?}")]
    ConnectTimeout(Duration),
    #[error("the SMTP server's greeting or EHLO failed: {0}")]
    Hello(#[source] smtp::Error),
    #[error("the SMTP server does not offer STARTTLS")]
    NoStartTls,
    #[error("STARTTLS failed: {0}")]
    StartTls(#[source] smtp::Error),
    #[error("SMTP authentication failed: {0}")]
    Auth(#[source] smtp::Error),
    /// The server's answer to this message (MAIL FROM, RCPT TO, DATA), or the connection
    /// failing while it was sent.
    #[error("{0}")]
    Message(#[source] smtp::Error),
    #[error("no answer from the SMTP server within {0:?}")]
    Timeout(Duration),
}

impl SmtpError {
    /// A 5xx answer to the message: the server refuses it for good (`550 mailbox
    /// unavailable`). A 5xx while connecting (a refused login, a TLS policy) is the
    /// deployment's problem, not the message's, and is retried like an outage.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Message(e) if e.is_permanent())
    }
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

    /// Sends one message.
    pub async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<Response, SmtpError> {
        let mut conn = self.connection().await?;
        match tokio::time::timeout(self.timeout, conn.send(envelope, email)).await {
            Ok(Ok(response)) => {
                self.recycle(conn).await;
                Ok(response)
            }
            Ok(Err(e)) => {
                self.close(conn).await;
                Err(SmtpError::Message(e))
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
            if since.elapsed() < self.idle_timeout
                && tokio::time::timeout(self.timeout, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Ok(conn);
            }
            self.close(conn).await;
        }
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let connect_error = |source| SmtpError::Connect {
            host: self.host.clone(),
            port: self.port,
            source,
        };
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(connect_error)?;
        stream.set_nodelay(true).map_err(connect_error)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(SmtpError::Hello)?;
        if let Some(tls) = &self.starttls {
            if !conn.can_starttls() {
                self.close(conn).await;
                return Err(SmtpError::NoStartTls);
            }
            conn.starttls(tls.clone(), &self.hello)
                .await
                .map_err(SmtpError::StartTls)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(SmtpError::Auth)?;
        }
        Ok(conn)
    }

    async fn recycle(&self, conn: AsyncSmtpConnection) {
        if !conn.has_broken()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((conn, Instant::now()));
            return;
        }
        self.close(conn).await;
    }

    /// QUIT, then close; a server that does not answer the QUIT is not waited for.
    async fn close(&self, mut conn: AsyncSmtpConnection) {
        let _ = tokio::time::timeout(self.timeout, conn.abort()).await;
    }
}
