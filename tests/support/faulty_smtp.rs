//! A scriptable misbehaving SMTP server on a real TCP port: each fault is a rule, for one
//! recipient or for every connection, applied a number of times (or until cleared). Faults:
//! an answer of the test's choosing to RCPT TO or to the message data (4xx, 5xx), a server
//! that accepts the connection and never says a word, a connection dropped halfway through
//! the message data, and STARTTLS offered and then failing. Without a rule it accepts mail
//! like `SmtpServer`, and keeps only the messages it answered with 250.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

use super::smtp::{ReceivedMail, address_of};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer RCPT TO with this line (`450 4.2.1 mailbox busy`, `550 5.1.1 mailbox
    /// unavailable`).
    Rcpt(&'static str),
    /// Read the whole message data, then answer with this line instead of 250.
    Data(&'static str),
    /// Close the connection halfway through the message data.
    DropInData,
    /// Accept the connection and never send anything (for every connection).
    Silent,
    /// Offer STARTTLS, answer the command with 220, then close instead of a TLS handshake
    /// (for every connection).
    StartTlsFails,
}

struct Rule {
    /// `None`: every connection (for `Silent` and `StartTlsFails`).
    to: Option<String>,
    fault: Fault,
    remaining: usize,
}

#[derive(Default)]
struct State {
    rules: Mutex<Vec<Rule>>,
    received: Mutex<Vec<ReceivedMail>>,
    /// Woken on every message accepted and every fault applied.
    event: Notify,
    faults_applied: AtomicUsize,
    connections: AtomicUsize,
}

impl State {
    /// Applies the first rule for `to` (or for every connection) whose fault matches `kind`,
    /// counting it down.
    fn take(&self, to: Option<&str>, kind: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut rules = self.rules.lock().expect("lock");
        let i = rules.iter().position(|r| {
            kind(&r.fault) && r.to.as_deref().map(str::to_lowercase) == to.map(str::to_lowercase)
        })?;
        let fault = rules[i].fault.clone();
        rules[i].remaining -= 1;
        if rules[i].remaining == 0 {
            rules.remove(i);
        }
        self.faults_applied.fetch_add(1, Ordering::SeqCst);
        self.event.notify_waiters();
        Some(fault)
    }

    fn has(&self, kind: impl Fn(&Fault) -> bool) -> bool {
        self.rules
            .lock()
            .expect("lock")
            .iter()
            .any(|r| r.to.is_none() && kind(&r.fault))
    }
}

pub struct FaultySmtp {
    pub port: u16,
    state: Arc<State>,
}

/// Until cleared.
pub const ALWAYS: usize = usize::MAX;

impl FaultySmtp {
    pub async fn start() -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the faulty SMTP server");
        let port = listener.local_addr().expect("local address").port();
        let state: Arc<State> = Arc::default();
        let accepting = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&accepting);
                tokio::spawn(async move {
                    let _ = serve(stream, &state).await;
                });
            }
        });
        Arc::new(Self { port, state })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// `fault` for messages to `to`, the next `times` times (`ALWAYS`: until cleared).
    pub fn fail_for(&self, to: &str, fault: Fault, times: usize) {
        self.state.rules.lock().expect("lock").push(Rule {
            to: Some(to.to_owned()),
            fault,
            remaining: times,
        });
    }

    /// `fault` for every new connection, the next `times` times.
    pub fn fail_connections(&self, fault: Fault, times: usize) {
        self.state.rules.lock().expect("lock").push(Rule {
            to: None,
            fault,
            remaining: times,
        });
    }

    /// Back to normal service.
    pub fn clear(&self) {
        self.state.rules.lock().expect("lock").clear();
    }

    pub fn faults_applied(&self) -> usize {
        self.state.faults_applied.load(Ordering::SeqCst)
    }

    /// The messages accepted (answered 250) for `address`.
    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        let address = address.to_lowercase();
        self.state
            .received
            .lock()
            .expect("lock")
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.to_lowercase() == address))
            .cloned()
            .collect()
    }

    /// Waits until `n` messages to `address` were accepted; panics after `timeout`.
    pub async fn wait_for(&self, address: &str, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.event.notified();
            let found = self.messages_to(address);
            if found.len() >= n {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} messages to {address} never arrived; got {}",
                found.len()
            );
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

async fn serve(stream: TcpStream, state: &State) -> std::io::Result<()> {
    state.connections.fetch_add(1, Ordering::SeqCst);
    if state.take(None, |f| *f == Fault::Silent).is_some() {
        // Hold the connection open and say nothing, until the client gives up.
        let mut stream = stream;
        let mut buf = [0u8; 1024];
        while tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await? > 0 {}
        return Ok(());
    }
    let offer_starttls = state.has(|f| *f == Fault::StartTlsFails);
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 faulty.smtp ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::<String>::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let extensions: &[u8] = if offer_starttls {
                b"250-faulty.smtp\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else {
                b"250-faulty.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            };
            write.write_all(extensions).await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 faulty.smtp\r\n").await?;
        } else if upper == "STARTTLS" {
            if state.take(None, |f| *f == Fault::StartTlsFails).is_some() {
                write.write_all(b"220 2.0.0 go ahead\r\n").await?;
                // No handshake follows: the client's TLS fails.
                return Ok(());
            }
            write.write_all(b"454 4.7.0 TLS not available\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address_of(&command);
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let address = address_of(&command);
            match state.take(Some(&address), |f| matches!(f, Fault::Rcpt(_))) {
                Some(Fault::Rcpt(reply)) => {
                    write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                }
                _ => {
                    to.push(address);
                    write.write_all(b"250 OK\r\n").await?;
                }
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                write
                    .write_all(b"554 5.5.1 no valid recipients\r\n")
                    .await?;
                continue;
            }
            let fault = to.iter().find_map(|t| {
                state.take(Some(t), |f| matches!(f, Fault::Data(_) | Fault::DropInData))
            });
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            let mut lines_read = 0;
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                lines_read += 1;
                if fault == Some(Fault::DropInData) && lines_read == 5 {
                    // Gone halfway through the message: nothing was accepted.
                    return Ok(());
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            if let Some(Fault::Data(reply)) = fault {
                write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                continue;
            }
            state
                .received
                .lock()
                .expect("lock")
                .push(ReceivedMail::parse(from.clone(), to.clone(), data));
            state.event.notify_waiters();
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}
