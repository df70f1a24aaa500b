//! A webhook receiver on a real TCP port, checking every Standard Webhooks signature with its
//! own HMAC (not Latchkey's signing code). It can answer 500, hold answers, or go down and come
//! back on the same port. Every answer closes its connection, so "down" really is down.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::Value;
use sha2::Sha256;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
    task::JoinHandle,
};

/// The secret of the tests (the Standard Webhooks documentation's example).
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another valid secret, for rotation.
pub const OTHER_WEBHOOK_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";

/// One request as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub json: Value,
    /// The status this receiver answered.
    pub answered: u16,
}

impl Delivery {
    pub fn event_type(&self) -> &str {
        self.json["type"].as_str().unwrap_or_default()
    }

    /// Whether one of the signatures is valid under `secret` (`whsec_…`).
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .expect("secret base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac key");
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Behaviour {
    /// Answer 500 to the first attempt of each webhook-id.
    fail_first: bool,
    /// Answer this to everything.
    always: Option<u16>,
    /// Answer with a redirect to this URL.
    redirect_to: Option<String>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    /// Requests wait for a permit before they are answered; closed to hold none.
    gate: Arc<Mutex<Option<Arc<Semaphore>>>>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl Receiver {
    pub async fn start() -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let receiver = Arc::new(Self {
            addr,
            deliveries: Arc::default(),
            behaviour: Arc::default(),
            gate: Arc::default(),
            accept: Mutex::new(None),
        });
        receiver.serve(listener);
        receiver
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/latchkey", self.addr)
    }

    fn serve(&self, listener: TcpListener) {
        let deliveries = Arc::clone(&self.deliveries);
        let behaviour = Arc::clone(&self.behaviour);
        let gate = Arc::clone(&self.gate);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let deliveries = Arc::clone(&deliveries);
                let behaviour = Arc::clone(&behaviour);
                let gate = gate.lock().expect("lock").clone();
                tokio::spawn(async move {
                    let _ = handle(stream, deliveries, behaviour, gate).await;
                });
            }
        });
        *self.accept.lock().expect("lock") = Some(task);
    }

    /// Stops listening: connections are refused until `come_back`.
    pub fn go_down(&self) {
        if let Some(task) = self.accept.lock().expect("lock").take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn come_back(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    pub fn fail_first_attempts(&self) {
        self.behaviour.lock().expect("lock").fail_first = true;
    }

    pub fn always_answer(&self, status: u16) {
        self.behaviour.lock().expect("lock").always = Some(status);
    }

    pub fn redirect_to(&self, url: &str) {
        self.behaviour.lock().expect("lock").redirect_to = Some(url.to_owned());
    }

    /// Requests from now on wait until `release`.
    pub fn hold(&self) {
        *self.gate.lock().expect("lock") = Some(Arc::new(Semaphore::new(0)));
    }

    pub fn release(&self) {
        if let Some(gate) = self.gate.lock().expect("lock").take() {
            gate.add_permits(1_000);
        }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().expect("lock").clone()
    }

    /// The deliveries answered 2xx: the events the host app has.
    pub fn accepted(&self) -> Vec<Delivery> {
        self.deliveries()
            .into_iter()
            .filter(|d| (200..300).contains(&d.answered))
            .collect()
    }

    /// Waits until `n` accepted deliveries of `event_type` came in; returns them all.
    pub async fn wait_for(&self, event_type: &str, n: usize) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<Delivery> = self
                .accepted()
                .into_iter()
                .filter(|d| d.event_type() == event_type)
                .collect();
            if found.len() >= n {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {n} {event_type}; got {:?}",
                self.deliveries()
                    .iter()
                    .map(|d| (d.event_type().to_owned(), d.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn handle(
    mut stream: TcpStream,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    gate: Option<Arc<Semaphore>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    if let Some(gate) = gate {
        let _ = gate.acquire().await;
    }
    let id = header("webhook-id");
    let (status, location) = {
        let b = behaviour.lock().expect("lock");
        let seen = deliveries.lock().expect("lock").iter().any(|d| d.id == id);
        if let Some(to) = &b.redirect_to {
            (307, Some(to.clone()))
        } else if let Some(status) = b.always {
            (status, None)
        } else if b.fail_first && !seen {
            (500, None)
        } else {
            (204, None)
        }
    };
    deliveries.lock().expect("lock").push(Delivery {
        id,
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        json: serde_json::from_str(&body).unwrap_or(Value::Null),
        body,
        answered: status,
    });
    let location = location
        .map(|l| format!("location: {l}\r\n"))
        .unwrap_or_default();
    let response =
        format!("HTTP/1.1 {status} X\r\n{location}content-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
