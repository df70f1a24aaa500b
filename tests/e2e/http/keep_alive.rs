//! Early rejections on keep-alive connections (issue 11): a request whose body is refused before
//! it is read (415 for a body that is not JSON, 413, and also 401 and 404 answered without
//! looking at the body) must never cost the client its next request on the same connection.
//! The body may arrive after the answer went out (a client writes head and body apart, or the
//! network splits them): the server reads it off the connection before it answers, so the
//! connection stays usable; a body too large to be worth reading gets `Connection: close`.

use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// One answer read off a keep-alive connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A bare HTTP/1.1 client on one TCP connection: writes a request, reads exactly one answer
/// (by its `Content-Length`), and keeps the connection for the next.
struct RawClient {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl RawClient {
    async fn connect(app: &TestApp) -> Self {
        let addr = app.base.trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            buffered: Vec::new(),
        }
    }

    /// Writes the head, waits `gap`, then writes the body: with a gap, the body arrives after
    /// the server has answered a request it rejects from the head alone.
    async fn send(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        gap: Duration,
    ) -> std::io::Result<()> {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).await?;
        if !gap.is_zero() {
            // A gap on the wire: real time, nothing of the application's clock.
            tokio::time::sleep(gap).await;
        }
        self.stream.write_all(body).await
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        let mut buf = [0u8; 8192];
        let n = tokio::time::timeout(READ_TIMEOUT, self.stream.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::other("no answer in time"))??;
        self.buffered.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    /// Reads one answer; an error if the connection ends first (what a pooled client reports
    /// as "connection closed before message completed").
    async fn read_answer(&mut self) -> std::io::Result<Answer> {
        let end = loop {
            if let Some(i) = self.buffered.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if self.fill().await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "closed before an answer; got {:?}",
                        String::from_utf8_lossy(&self.buffered)
                    ),
                ));
            }
        };
        let head = String::from_utf8_lossy(&self.buffered[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buffered.len() < end + 4 + length {
            if self.fill().await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed in the middle of an answer",
                ));
            }
        }
        let body = String::from_utf8_lossy(&self.buffered[end + 4..end + 4 + length]).into_owned();
        self.buffered.drain(..end + 4 + length);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// True once the server has closed its side (a read returns end of stream).
    async fn closed_by_server(&mut self) -> bool {
        matches!(self.fill().await, Ok(0) | Err(_))
    }
}

fn code_of(answer: &Answer) -> String {
    serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

const JSON: (&str, &str) = ("Content-Type", "application/json");
const TEXT: (&str, &str) = ("Content-Type", "text/plain");

/// Three requests of each kind on one connection, with the body sent after a pause, then a
/// good request on the same connection: every answer arrives, and the connection is never
/// closed under the client.
#[tokio::test]
async fn rejected_bodies_never_cost_the_next_request_on_a_keep_alive_connection() {
    let app = TestApp::spawn().await;
    let register = json!({"email": "a@example.com", "password": "x"}).to_string();
    let long = format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024));
    type Case<'a> = (&'a str, &'a str, (&'a str, &'a str), Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "not JSON",
            "/api/v1/register",
            TEXT,
            register.clone().into_bytes(),
            415,
            "unsupported_media_type",
        ),
        (
            "too large",
            "/api/v1/register",
            JSON,
            long.into_bytes(),
            413,
            "payload_too_large",
        ),
        (
            "malformed JSON",
            "/api/v1/register",
            JSON,
            b"{\"email\": ".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "a missing field",
            "/api/v1/login",
            JSON,
            b"{\"email\": \"a@example.com\"}".to_vec(),
            400,
            "validation_failed",
        ),
        (
            "no access token",
            "/api/v1/me/password",
            JSON,
            b"{\"current_password\": \"a\", \"new_password\": \"b\"}".to_vec(),
            401,
            "unauthorized",
        ),
        (
            "no such route",
            "/api/v1/nowhere",
            JSON,
            register.clone().into_bytes(),
            404,
            "not_found",
        ),
    ];
    for gap in [Duration::ZERO, Duration::from_millis(150)] {
        for (what, path, content_type, body, status, code) in &cases {
            let mut client = RawClient::connect(&app).await;
            for n in 1..=3 {
                client
                    .send(path, &[*content_type], body, gap)
                    .await
                    .unwrap_or_else(|e| panic!("{what} #{n} (gap {gap:?}): write: {e}"));
                let answer = client
                    .read_answer()
                    .await
                    .unwrap_or_else(|e| panic!("{what} #{n} (gap {gap:?}): {e}"));
                assert_eq!(answer.status, *status, "{what} #{n}: {answer:?}");
                assert_eq!(code_of(&answer), *code, "{what} #{n}: {answer:?}");
                assert_ne!(
                    answer.header("connection"),
                    Some("close"),
                    "{what} #{n}: a small body is read, not a reason to close: {answer:?}"
                );
            }
            // And the connection still serves a good request.
            client
                .send(
                    "/api/v1/logout",
                    &[JSON],
                    b"{\"refresh_token\": \"nothing\"}",
                    gap,
                )
                .await
                .expect("write");
            let answer = client.read_answer().await.expect("the next request");
            assert_eq!(answer.status, 204, "{what}: {answer:?}");
        }
    }
    app.stop().await;
}

/// A body far too large to be worth reading: the answer says `Connection: close`, and the
/// server then closes, so a client knows to open a new connection for its next request.
#[tokio::test]
async fn a_huge_rejected_body_is_answered_with_connection_close() {
    let app = TestApp::spawn().await;
    let mut client = RawClient::connect(&app).await;
    // Declared, not sent: the server must not wait for 100 MB.
    client
        .stream
        .write_all(
            b"POST /api/v1/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\nabc",
        )
        .await
        .expect("write");
    let answer = client.read_answer().await.expect("an answer");
    assert_eq!(answer.status, 415, "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"), "{answer:?}");
    assert!(client.closed_by_server().await);
    app.stop().await;
}

/// The same through a pooled client: reqwest reuses its connection for every request, and
/// none of them fails with "connection closed before message completed".
#[tokio::test]
async fn a_pooled_client_gets_every_answer() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(READ_TIMEOUT)
        .build()
        .expect("client");
    for round in 0..5 {
        for (content_type, body, status) in [
            (
                "text/plain",
                "{\"email\": \"a@example.com\"}".to_owned(),
                415,
            ),
            (
                "application/json",
                format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024)),
                413,
            ),
            ("application/json", "{\"email\": ".to_owned(), 400),
            (
                "application/json",
                "{\"mail\": \"x@example.com\"}".to_owned(),
                400,
            ),
        ] {
            let r = client
                .post(app.url("/api/v1/password/forgot"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("round {round}, {content_type} ({status}): {e:?}"));
            assert_eq!(r.status().as_u16(), status, "round {round}");
            let _ = r.bytes().await.expect("the whole answer");
        }
        let r = client
            .post(app.url("/api/v1/logout"))
            .json(&json!({"refresh_token": "nothing"}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}, logout: {e:?}"));
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    app.stop().await;
}

/// `Expect: 100-continue` and a body refused from the head alone: the server never asks for
/// the body, so the client has not sent it; the answer closes the connection (the client's
/// next request goes on a new one) instead of waiting for a body that is not coming.
#[tokio::test]
async fn a_refused_body_that_was_never_asked_for_is_not_waited_for() {
    let app = TestApp::spawn().await;
    let mut client = RawClient::connect(&app).await;
    client
        .stream
        .write_all(
            b"POST /api/v1/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .expect("write");
    let answer = client.read_answer().await.expect("an answer");
    assert_eq!(answer.status, 415, "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"), "{answer:?}");
    assert!(client.closed_by_server().await);
    app.stop().await;
}
