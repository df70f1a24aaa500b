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
//!
//! A body must have arrived whole `body_timeout` after its head: a deadline, not a pause
//! between pieces (tower-http's body timeout restarts with every frame, so one byte every
//! few seconds kept a request open for ever). And one client address holds at most
//! `per_ip` connections at once; more are answered 429 and closed, so that nobody ties up
//! the server's connections from one machine.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    net::{IpAddr, SocketAddr},
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
    response::{IntoResponse as _, Response},
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
use ipnet::IpNet;
use tokio::{net::TcpListener, time::Sleep};
use tower::ServiceExt as _;

use super::rejection::Refusal;

/// Bounds on what one connection, and one client address, may hold the server for.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Time to send a request's head, and idle time between requests.
    pub header_read_timeout: Duration,
    /// Time from a request's head until its whole body has arrived.
    pub body_timeout: Duration,
    /// Connections one client address may hold open at once; `None`: no cap.
    pub per_ip: Option<usize>,
    /// Peers that are not capped: trusted reverse proxies carry many clients on their
    /// connections (the proxy caps its own clients).
    pub uncapped: Vec<IpNet>,
}

/// An over-the-cap connection gets this long to send the request it is refused for.
const REFUSAL_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

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
    let mut refusing = http1::Builder::new();
    refusing
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_HEAD_TIMEOUT.min(limits.header_read_timeout))
        .keep_alive(false);
    let open = OpenConnections::default();
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
        let capped = !limits.uncapped.iter().any(|net| net.contains(&peer.ip()));
        let slot = match limits.per_ip.filter(|_| capped) {
            None => None,
            Some(cap) => match open.take(peer.ip(), cap) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%peer, "too many connections from one address");
                    let refusal = graceful
                        .watch(refusing.serve_connection(TokioIo::new(stream), service_fn(refuse)));
                    tokio::spawn(async move {
                        let _ = refusal.await;
                    });
                    continue;
                }
            },
        };
        let router = router.clone();
        let body_timeout = limits.body_timeout;
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
                // The head is in: the body's deadline starts now.
                let body = SharedBody::new(body, body_timeout);
                let response = router
                    .oneshot(hyper::Request::from_parts(parts, body.clone()))
                    .await
                    .map_err(|e: Infallible| e)?;
                Ok::<_, Infallible>(finish_body(response, body, expects_continue).await)
            }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that go away: normal life for a server.
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            // The address's count goes down when the connection is gone.
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The answer to a connection over its address's cap: 429, and the connection closes.
async fn refuse(_: hyper::Request<Incoming>) -> Result<Response, Infallible> {
    let mut response = Refusal::TooManyConnections.into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    Ok(response)
}

/// The connections open per client address. IPv6 clients are counted per /64, the block one
/// host usually holds, so that walking through its addresses gains nothing.
#[derive(Default, Clone)]
struct OpenConnections(Arc<Mutex<HashMap<AddressKey, usize>>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    V4(u32),
    V6Prefix(u64),
}

impl AddressKey {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.into()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.into()),
                None => Self::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl OpenConnections {
    /// A place for one more connection of `ip`, or `None` when it holds `cap` already.
    fn take(&self, ip: IpAddr, cap: usize) -> Option<Slot> {
        let key = AddressKey::of(ip);
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            open: self.clone(),
            key,
        })
    }
}

/// One open connection of an address; dropping it frees the place.
struct Slot {
    open: OpenConnections,
    key: AddressKey,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Why a request body ended early.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Connection(#[from] hyper::Error),
    /// The body was not whole `LATCHKEY_HTTP_BODY_TIMEOUT` after the head.
    #[error("the request body did not arrive in time")]
    Deadline,
}

/// Whether a failure to read a body (as an extractor reports it) was the body's deadline.
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if matches!(e.downcast_ref::<BodyError>(), Some(BodyError::Deadline)) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The request body, shared between the router (which may read it, or not) and the loop,
/// which reads what the router left; it fails once its deadline has passed.
#[derive(Clone)]
struct SharedBody {
    inner: Arc<Mutex<Deadlined>>,
    /// Whether anyone asked for a frame: with `Expect: 100-continue`, an unpolled body was
    /// never asked for and the client has not sent it.
    polled: Arc<AtomicBool>,
}

struct Deadlined {
    body: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl SharedBody {
    fn new(body: Incoming, within: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Deadlined {
                body,
                deadline: Box::pin(tokio::time::sleep(within)),
            })),
            polled: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Body for SharedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.polled.store(true, Ordering::Relaxed);
        let Ok(mut inner) = self.inner.lock() else {
            // Only a panic while polling poisons it; the body is then over.
            return Poll::Ready(None);
        };
        let inner = &mut *inner;
        match Pin::new(&mut inner.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(BodyError::from))),
            // Waiting for more: only until the deadline.
            Poll::Pending => match inner.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(BodyError::Deadline))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.lock().map_or(true, |b| b.body.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .lock()
            .map_or_else(|_| SizeHint::with_exact(0), |b| b.body.size_hint())
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
) -> Response {
    if body.is_end_stream() {
        return response;
    }
    let unsent = expects_continue && !body.polled.load(Ordering::Relaxed);
    let too_large = body.size_hint().lower() > DRAIN_LIMIT;
    let drained = !unsent && !too_large && drain(&mut body).await;
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// True when the body ended within the bounds (and its own deadline).
async fn drain(body: &mut SharedBody) -> bool {
    let mut read = 0u64;
    let all = async {
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
                None => return true,
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, |d| d.len() as u64);
                    if read > DRAIN_LIMIT {
                        return false;
                    }
                }
                Some(Err(_)) => return false,
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, all).await.unwrap_or(false)
}
