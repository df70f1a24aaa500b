//! A small SMTP server on a real TCP port, for tests: it speaks enough of RFC 5321 for lettre and
//! keeps the messages it accepted (answered 250). It can be told to refuse service, to hang
//! after the message data, or to answer slowly; and faults can be scripted as rules, for one
//! recipient or for every connection, applied a number of times (or until cleared): an answer of
//! the test's choosing to RCPT TO or to the message data (4xx, 5xx), a connection accepted and
//! never spoken to, a connection dropped halfway through the message data, and STARTTLS offered
//! and then failing.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

/// One message as received: envelope and the parsed MIME parts.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub raw: String,
    pub headers: Vec<(String, String)>,
    pub subject: String,
    pub to: String,
    pub text: String,
    pub html: String,
    pub content_type: String,
}

impl ReceivedMail {
    pub fn parse(mail_from: String, rcpt_to: Vec<String>, raw: String) -> Self {
        let mut mail = Self {
            mail_from,
            rcpt_to,
            headers: Vec::new(),
            subject: String::new(),
            to: String::new(),
            text: String::new(),
            html: String::new(),
            content_type: String::new(),
            raw,
        };
        let Ok(parsed) = mailparse::parse_mail(mail.raw.as_bytes()) else {
            return mail;
        };
        mail.headers = parsed
            .headers
            .iter()
            .map(|h| (h.get_key(), h.get_value()))
            .collect();
        mail.subject = mail.header("Subject").unwrap_or_default();
        mail.to = mail.header("To").unwrap_or_default();
        mail.content_type = parsed.ctype.mimetype.clone();
        let mut stack = vec![&parsed];
        while let Some(part) = stack.pop() {
            match part.ctype.mimetype.as_str() {
                "text/plain" => mail.text = part.get_body().unwrap_or_default(),
                "text/html" => mail.html = part.get_body().unwrap_or_default(),
                _ => stack.extend(part.subparts.iter()),
            }
        }
        mail
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The first link in the plain-text part that goes to `page` (`verify-email`, …).
    pub fn link(&self, page: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.contains(&format!("/{page}?token=")))
            .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
    }

    /// The 6-digit code of the plain-text part: a line of its own.
    pub fn code(&self) -> Option<String> {
        self.text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned)
    }

    /// The token of the first link to `page` (up to the next query parameter: a verification
    /// link may carry a `return_to` after it).
    pub fn token(&self, page: &str) -> Option<String> {
        self.link(page).and_then(|l| {
            l.split("token=")
                .nth(1)
                .and_then(|t| t.split('&').next())
                .map(str::to_owned)
        })
    }
}

const UP: u8 = 0;
const REFUSING: u8 = 1;
const HANGING: u8 = 2;
const SLOW: u8 = 3;
const HOLDING: u8 = 4;

/// A scripted fault (see [`SmtpServer::fail_for`] and [`SmtpServer::fail_connections`]).
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

/// A fault rule applied until cleared.
pub const ALWAYS: usize = usize::MAX;

struct Rule {
    /// `None`: every connection (for `Silent` and `StartTlsFails`).
    to: Option<String>,
    fault: Fault,
    remaining: usize,
}

/// What the connections share.
#[derive(Default)]
struct State {
    received: Mutex<Vec<ReceivedMail>>,
    /// Woken when a message arrives, when a message's data has been read, and when a fault is
    /// applied.
    arrived: Notify,
    mode: AtomicU8,
    /// The answer delay of `SLOW`, in milliseconds.
    delay_ms: AtomicU64,
    /// Messages whose data was read in full, answered or not (hung, slow, accepted, faulted).
    data_read: AtomicUsize,
    /// Connections opened, refused ones included.
    connections: AtomicUsize,
    rules: Mutex<Vec<Rule>>,
    faults_applied: AtomicUsize,
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
        self.arrived.notify_waiters();
        Some(fault)
    }

    /// Whether a rule for every connection has a fault that matches `kind`.
    fn has(&self, kind: impl Fn(&Fault) -> bool) -> bool {
        self.rules
            .lock()
            .expect("lock")
            .iter()
            .any(|r| r.to.is_none() && kind(&r.fault))
    }
}

pub struct SmtpServer {
    pub port: u16,
    state: Arc<State>,
    /// Tokens `new_token` already handed out.
    seen: Mutex<std::collections::HashSet<String>>,
}

impl SmtpServer {
    pub async fn start() -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test SMTP server");
        let port = listener.local_addr().expect("local address").port();
        let server = Arc::new(Self {
            port,
            state: Arc::default(),
            seen: Mutex::default(),
        });
        let state = Arc::clone(&server.state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let _ = serve(stream, &state).await;
                });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answer every new connection, and the next command on an open one, with `421` and close
    /// it, like a server that is down.
    pub fn refuse(&self) {
        self.state.mode.store(REFUSING, Ordering::SeqCst);
    }

    /// Accept the message data but never answer it, like a server that hangs.
    pub fn hang(&self) {
        self.state.mode.store(HANGING, Ordering::SeqCst);
    }

    /// Accept the message data and answer it only once `resume` is called: a send that takes
    /// as long as the test says.
    pub fn hold(&self) {
        self.state.mode.store(HOLDING, Ordering::SeqCst);
    }

    /// Accept messages, but answer the data only after `delay`, like a slow server.
    pub fn delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
        self.state.mode.store(SLOW, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.state.mode.store(UP, Ordering::SeqCst);
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

    /// No more scripted faults.
    pub fn clear(&self) {
        self.state.rules.lock().expect("lock").clear();
    }

    pub fn faults_applied(&self) -> usize {
        self.state.faults_applied.load(Ordering::SeqCst)
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.state.received.lock().expect("lock").clone()
    }

    /// How many connections were opened (refused ones included).
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// How many messages had their data read in full, whether or not they were then answered.
    pub fn data_read(&self) -> usize {
        self.state.data_read.load(Ordering::SeqCst)
    }

    /// Waits until the data of at least `n` messages was read (a hung or slow send is then in
    /// flight); panics after `timeout`.
    pub async fn wait_for_data(&self, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.arrived.notified();
            if self.data_read() >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the data of {n} messages never arrived; got {}",
                self.data_read()
            );
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    pub fn messages_to(&self, address: &str) -> Vec<ReceivedMail> {
        let address = address.to_lowercase();
        self.messages()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.to_lowercase() == address))
            .collect()
    }

    /// Waits until at least `n` messages went to `address` (or `timeout`); returns them all.
    pub async fn wait_for(&self, address: &str, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.arrived.notified();
            let found = self.messages_to(address);
            if found.len() >= n || tokio::time::Instant::now() >= deadline {
                return found;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// The newest message to `address`, waiting up to `MAIL_TIMEOUT` for one.
    pub async fn latest(&self, address: &str) -> ReceivedMail {
        let found = self.wait_for(address, 1, MAIL_TIMEOUT).await;
        found
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("no email arrived for {address}"))
    }

    /// The token of the newest link to `page` sent to `address` that this method has not
    /// returned before, waiting up to `MAIL_TIMEOUT` for one to arrive.
    pub async fn new_token(&self, address: &str, page: &str) -> String {
        let deadline = tokio::time::Instant::now() + MAIL_TIMEOUT;
        loop {
            let notified = self.state.arrived.notified();
            let fresh = {
                let seen = self.seen.lock().expect("lock");
                self.messages_to(address)
                    .iter()
                    .rev()
                    .filter_map(|m| m.token(page))
                    .find(|t| !seen.contains(t))
            };
            if let Some(token) = fresh {
                self.seen.lock().expect("lock").insert(token.clone());
                return token;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("no new {page} link arrived for {address}");
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Like `new_token`, with the code of the same email: (token, code). The code must be in
    /// both parts.
    pub async fn new_token_and_code(&self, address: &str, page: &str) -> (String, String) {
        let token = self.new_token(address, page).await;
        let mail = self
            .messages_to(address)
            .into_iter()
            .find(|m| m.token(page).as_deref() == Some(token.as_str()))
            .unwrap_or_else(|| panic!("the email with the {page} link to {address}"));
        let code = mail
            .code()
            .unwrap_or_else(|| panic!("no code in the email to {address}: {}", mail.text));
        assert!(
            mail.html.contains(&code),
            "the code is in the HTML part too: {}",
            mail.html
        );
        (token, code)
    }

    /// The newest message to `address` whose subject contains `needle`, waiting up to
    /// `MAIL_TIMEOUT` for one.
    pub async fn with_subject(&self, address: &str, needle: &str) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + MAIL_TIMEOUT;
        let needle_lower = needle.to_lowercase();
        loop {
            let notified = self.state.arrived.notified();
            if let Some(m) = self
                .messages_to(address)
                .into_iter()
                .rev()
                .find(|m| m.subject.to_lowercase().contains(&needle_lower))
            {
                return m;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("no email with subject {needle:?} arrived for {address}");
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Waits for the `n`-th message (1-based) to `address`.
    pub async fn nth(&self, address: &str, n: usize) -> ReceivedMail {
        let found = self.wait_for(address, n, MAIL_TIMEOUT).await;
        found
            .get(n - 1)
            .cloned()
            .unwrap_or_else(|| panic!("email {n} never arrived for {address}; got {}", found.len()))
    }
}

/// How long the helpers wait for an email: generous, for a loaded machine.
pub const MAIL_TIMEOUT: Duration = Duration::from_secs(30);

async fn serve(stream: TcpStream, state: &State) -> std::io::Result<()> {
    state.connections.fetch_add(1, Ordering::SeqCst);
    let mode = &state.mode;
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
    if mode.load(Ordering::SeqCst) == REFUSING {
        write
            .write_all(b"421 test server refusing service\r\n")
            .await?;
        return Ok(());
    }
    write.write_all(b"220 test.smtp ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if mode.load(Ordering::SeqCst) == REFUSING && upper != "QUIT" {
            write
                .write_all(b"421 test server refusing service\r\n")
                .await?;
            return Ok(());
        }
        if upper.starts_with("EHLO") {
            let extensions: &[u8] = if offer_starttls {
                b"250-test.smtp\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else {
                b"250-test.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            };
            write.write_all(extensions).await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 test.smtp\r\n").await?;
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
            state.data_read.fetch_add(1, Ordering::SeqCst);
            state.arrived.notify_waiters();
            if let Some(Fault::Data(reply)) = fault {
                write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                continue;
            }
            match mode.load(Ordering::SeqCst) {
                HANGING => std::future::pending::<()>().await,
                HOLDING => {
                    while mode.load(Ordering::SeqCst) == HOLDING {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                SLOW => {
                    let delay = state.delay_ms.load(Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                _ => {}
            }
            state
                .received
                .lock()
                .expect("lock")
                .push(ReceivedMail::parse(from.clone(), to.clone(), data));
            state.arrived.notify_waiters();
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

/// The address inside `MAIL FROM:<...>` or `RCPT TO:<...>`.
fn address_of(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}
