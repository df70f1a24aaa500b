//! Slow and idle connections over real sockets (contract §2, issue 9): a connection that
//! trickles its request head, sends half a request line, sits idle between requests or trickles
//! its body is closed after a bounded time, and one that behaves is served as usual.
//!
//! These timeouts are the network's, on real time: the tests sleep and measure real time, and
//! the test clock (`advance`) has no part in them.

use std::time::{Duration, Instant};

use crate::support::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const LIMIT: Duration = Duration::from_secs(1);
/// Generous slack for a loaded machine; far below the "stays open forever" it guards against.
const SLACK: Duration = Duration::from_secs(5);

async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| {
        s.http_header_timeout = LIMIT;
        s.http_body_timeout = LIMIT;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://").to_owned();
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, Instant) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (String::from_utf8_lossy(&seen).into(), Instant::now());
            }
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "the connection was still open after {within:?}; got {:?}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
}

#[tokio::test]
async fn half_a_request_line_is_closed_after_the_header_timeout() {
    let app = spawn().await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream.write_all(b"GET /hea").await.expect("write");
    let (_, closed) = until_closed(&mut stream, LIMIT + SLACK).await;
    assert!(closed - started >= LIMIT - Duration::from_millis(100));
    app.stop().await;
}

#[tokio::test]
async fn a_trickled_request_head_is_closed_after_the_header_timeout() {
    let app = spawn().await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let (mut read, mut write) = stream.split();
    let trickle = async {
        for byte in head {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let closed = async {
        let mut buf = [0u8; 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(_) => {}
            }
        }
    };
    // The trickle would take 7 s; the server must hang up long before it ends.
    let closed = tokio::select! {
        at = closed => at,
        () = trickle => panic!("the server read the whole trickled head"),
    };
    let took = closed - started;
    assert!(took < LIMIT + SLACK, "{took:?}");
    assert!(took >= LIMIT - Duration::from_millis(100), "{took:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_an_active_one_is_served() {
    let app = spawn().await;
    let mut stream = connect(&app).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    // Requests closer together than the limit share the connection.
    for _ in 0..3 {
        stream.write_all(request).await.expect("write");
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(SLACK, stream.read(&mut buf))
            .await
            .expect("an answer")
            .expect("read");
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::sleep(LIMIT / 3).await;
    }
    // Then it sits idle: the server closes it.
    let idle_since = Instant::now();
    let (rest, closed) = until_closed(&mut stream, LIMIT + SLACK).await;
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
        "{rest:?}"
    );
    assert!(closed - idle_since >= LIMIT / 2);
    app.stop().await;
}

#[tokio::test]
async fn a_trickled_body_ends_after_the_body_timeout() {
    let app = spawn().await;
    let mut stream = connect(&app).await;
    let head = "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"email\"";
    stream.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let (answer, closed) = until_closed(&mut stream, LIMIT + SLACK).await;
    // Answered with a 4xx (the body could not be read) and closed, or just closed.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");
    assert!(closed - started < LIMIT + SLACK);
    app.stop().await;
}
