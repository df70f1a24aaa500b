//! The HTTP/1 server loop. `axum::serve` builds hyper's connections without a timer, so hyper's
//! `header_read_timeout` never fires: a client that trickles a request head, or sits idle on a
//! keep-alive connection, keeps its connection (and a task) forever. Here every connection gets
//! the timer and the timeout; hyper starts that timeout whenever it waits for a request head,
//! which bounds both a slow head and the idle time between requests. Graceful shutdown works
//! as with axum: stop accepting, let requests in flight finish, close idle connections.
//!
//! A request may be answered without its body being read (415 for a body that is not JSON,
//! 401, 404, 429...). hyper then reads only what is already buffered and otherwise stops
//! reading and closes the connection after the answer, without saying so: a keep-alive client
//! whose body arrived a moment later finds its next request's connection gone ("connection
//! closed before message completed"), or, as the unread bytes make the kernel reset the
//! connection, loses the answer itself. So the loop reads whatever the router left of a body
//! before the answer goes out, within bounds, and marks the answer `Connection: close` when
//! the rest is not worth reading.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, header},
    response::Response,
};
use hyper::{
    body::{Body, Bytes, Frame, Incoming, SizeHint},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// Bounds on what one connection may hold the server for.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time to send a request's head, and idle time between requests.
    pub header_read_timeout: Duration,
    /// Longest wait for the next piece of a body that is read only to keep the connection.
    pub body_read_timeout: Duration,
}

/// A body the router left unread is read and thrown away up to this size before its answer
/// goes out; a larger rest is not worth it, and its answer closes the connection.
const DRAIN_LIMIT: u64 = 1024 * 1024;
/// And for at most this long in all, however steadily it trickles in.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in
/// flight. Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: the listener itself is fine, so
                    // wait a moment rather than spin or stop serving.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let body_timeout = limits.body_read_timeout;
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let router = router.clone();
            async move {
                let expects_continue = request
                    .headers()
                    .get(header::EXPECT)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
                let (parts, body) = request.into_parts();
                let body = SharedBody::new(body);
                let response = router
                    .oneshot(hyper::Request::from_parts(parts, body.clone()))
                    .await
                    .map_err(|e: Infallible| e)?;
                Ok::<_, Infallible>(
                    finish_body(response, body, expects_continue, body_timeout).await,
                )
            }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that go away: normal life for a server.
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The request body, shared between the router (which may read it, or not) and the loop,
/// which reads what the router left.
#[derive(Clone)]
struct SharedBody {
    inner: Arc<Mutex<Incoming>>,
    /// Whether anyone asked for a frame: with `Expect: 100-continue`, an unpolled body was
    /// never asked for and the client has not sent it.
    polled: Arc<AtomicBool>,
}

impl SharedBody {
    fn new(body: Incoming) -> Self {
        Self {
            inner: Arc::new(Mutex::new(body)),
            polled: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Body for SharedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        self.polled.store(true, Ordering::Relaxed);
        match self.inner.lock() {
            Ok(mut body) => Pin::new(&mut *body).poll_frame(cx),
            // Only a panic while polling poisons it; the body is then over.
            Err(_) => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.lock().map_or(true, |b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .lock()
            .map_or_else(|_| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

/// Reads off the connection what the router left of the request body, so that the connection
/// can serve the client's next request; if that is not worth it, the answer says
/// `Connection: close` (hyper then closes after sending it), so the client knows to open a new
/// connection rather than lose a request on this one.
async fn finish_body(
    mut response: Response,
    mut body: SharedBody,
    expects_continue: bool,
    frame_timeout: Duration,
) -> Response {
    if body.is_end_stream() {
        return response;
    }
    let unsent = expects_continue && !body.polled.load(Ordering::Relaxed);
    let too_large = body.size_hint().lower() > DRAIN_LIMIT;
    let drained = !unsent && !too_large && drain(&mut body, frame_timeout).await;
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// True when the body ended within the bounds.
async fn drain(body: &mut SharedBody, frame_timeout: Duration) -> bool {
    let mut read = 0u64;
    let all = async {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx));
            match tokio::time::timeout(frame_timeout, frame).await {
                Ok(None) => return true,
                Ok(Some(Ok(frame))) => {
                    read += frame.data_ref().map_or(0, |d| d.len() as u64);
                    if read > DRAIN_LIMIT {
                        return false;
                    }
                }
                Ok(Some(Err(_))) | Err(_) => return false,
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, all).await.unwrap_or(false)
}
