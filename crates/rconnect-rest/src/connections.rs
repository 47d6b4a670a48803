//! The accept loop and per-connection hygiene: idle timeout, header-read timeout and a cap
//! on open connections.
//!
//! Java's Jetty closes a connection after 30 s without I/O (`ServerConnector` idle timeout)
//! and, with a bounded thread pool, stops reading new requests when it is saturated. rconnect
//! serves HTTP/1.1 (as Connect's Jetty does) with hyper and adds the same limits itself:
//!
//! - idle timeout: a connection with no request in progress and no I/O for
//!   `rconnect.rest.idle.timeout.ms` is closed (gracefully: a request that just arrived is
//!   still answered). A request being handled is never cut, however long the herder takes.
//! - header-read timeout: from the first byte of a request, its headers must be complete
//!   within `rconnect.rest.header.read.timeout.ms`, or the connection is dropped.
//! - connection cap: at most [`ConnectionLimits::max_connections`] connections (over all
//!   listeners) are accepted at once. Past it the server stops calling `accept`, so further
//!   connections wait in the kernel's listen backlog instead of holding a descriptor here.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Java's Jetty idle timeout (`rconnect.rest.idle.timeout.ms` default).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// `rconnect.rest.header.read.timeout.ms` default: a request's headers fit in a packet or
/// two, so 10 s is far above any honest client's delay while a slow-header client holds a
/// connection slot for a third of the idle timeout at most.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// `rconnect.rest.max.connections` default (before [`fit_to_open_file_limit`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The share of the open-file limit REST connections may take; the rest is left to the data
/// path (Kafka client sockets, source and sink files, offset writes, plugin libraries).
pub const OPEN_FILE_LIMIT_DIVISOR: u64 = 4;
/// The listen backlog asked for (the kernel caps it at `net.core.somaxconn`): connections
/// past the cap wait there, costing no descriptor. tokio's `TcpListener::bind` asks for 128,
/// which a burst of idle clients fills, and the kernel then drops their handshakes.
pub const LISTEN_BACKLOG: u32 = 1024;
/// At most one warning per this period about the cap or accept errors.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// How long to wait before retrying `accept` after an error other than a failed
/// connection (typically `EMFILE`: retrying at once would spin).
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Limits on the REST server's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A connection with no request in progress and no I/O for this long is closed.
    pub idle_timeout: Duration,
    /// The longest a request's headers may take to arrive, from their first byte.
    pub header_read_timeout: Duration,
    /// The most connections open at once, over all listeners.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The process's soft open-file limit (`RLIMIT_NOFILE`); `None` when unlimited or unknown.
#[cfg(unix)]
pub fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives on this stack.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    // `rlim_t` is not 64 bits on every target.
    #[allow(clippy::unnecessary_cast)]
    let current = limit.rlim_cur as u64;
    (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(current)
}

/// Windows has no per-process limit on open sockets and files like `RLIMIT_NOFILE` (handles
/// are bounded by memory), so `rconnect.rest.max.connections` applies as configured.
#[cfg(not(unix))]
pub fn open_file_limit() -> Option<u64> {
    None
}

/// `configured`, lowered to a quarter of `open_file_limit` (at least 1), so that idle or
/// slow REST clients can never take the descriptors the data path needs.
pub fn fit_to_open_file_limit(configured: usize, open_file_limit: Option<u64>) -> usize {
    let configured = configured.max(1);
    match open_file_limit {
        Some(limit) => {
            let share = (limit / OPEN_FILE_LIMIT_DIVISOR).max(1);
            configured.min(usize::try_from(share).unwrap_or(usize::MAX))
        }
        None => configured,
    }
}

/// Binds a listener on the first address `host` resolves to that can be bound, with
/// [`LISTEN_BACKLOG`] (as `TcpListener::bind` would, but for the backlog).
pub(crate) async fn bind(host: &str, port: u16) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let bound = socket.and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(LISTEN_BACKLOG)
        });
        match bound {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host} resolves to no address"),
        )
    }))
}

/// A warning that is logged at most once per [`WARN_EVERY`], counting the ones it held back.
#[derive(Default)]
pub(crate) struct RateLimitedWarning {
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimitedWarning {
    fn warn(&self, message: impl FnOnce(u64) -> String) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (last, held_back) = &mut *state;
        if last.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            *held_back += 1;
            return;
        }
        let text = message(*held_back);
        *last = Some(Instant::now());
        *held_back = 0;
        drop(state);
        tracing::warn!("{text}");
    }
}

/// What every listener's accept loop shares.
pub(crate) struct Shared {
    pub limits: ConnectionLimits,
    /// One permit per open connection; `max_connections` in all.
    pub slots: Arc<Semaphore>,
    pub cap_warning: RateLimitedWarning,
    pub accept_warning: RateLimitedWarning,
}

impl Shared {
    pub fn new(limits: ConnectionLimits) -> Shared {
        Shared {
            limits,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            cap_warning: RateLimitedWarning::default(),
            accept_warning: RateLimitedWarning::default(),
        }
    }
}

/// Accepts connections on `tcp` and serves `app` on each until `stop` turns true, then lets
/// open connections finish their requests and close.
pub(crate) async fn accept_loop(
    tcp: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let permit = match shared.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let cap = shared.limits.max_connections;
                shared.cap_warning.warn(|held_back| {
                    format!(
                        "REST server has {cap} connections open, its cap \
                         (rconnect.rest.max.connections, at most 1/{OPEN_FILE_LIMIT_DIVISOR} of \
                         the open-file limit): new connections wait in the listen backlog until \
                         one closes{}",
                        held_back_note(held_back)
                    )
                });
                tokio::select! {
                    permit = shared.slots.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    _ = stop.wait_for(|stopped| *stopped) => break,
                    Some(_) = connections.join_next() => continue,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = tcp.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
            Some(_) = connections.join_next() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                shared.accept_warning.warn(|held_back| {
                    format!(
                        "REST server cannot accept connections: {e}; retrying in \
                         {ACCEPT_ERROR_BACKOFF:?}{}",
                        held_back_note(held_back)
                    )
                });
                drop(permit);
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => continue,
                    _ = stop.wait_for(|stopped| *stopped) => break,
                }
            }
        };
        connections.spawn(serve_connection(
            stream,
            peer,
            app.clone(),
            tls.clone(),
            shared.limits,
            stop.clone(),
            permit,
        ));
    }
    // Stopped: no more accepts (the listener closes here); open connections were told to
    // finish and close (see `serve_connection`).
    drop(tcp);
    while connections.join_next().await.is_some() {}
}

fn held_back_note(held_back: u64) -> String {
    if held_back == 0 {
        String::new()
    } else {
        format!(" ({held_back} similar warnings suppressed)")
    }
}

/// Errors about one connection that failed before it was accepted (as hyper-util's and
/// axum's accept loops treat them): the next `accept` can go ahead at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// What the server knows of a connection's activity, shared by its I/O, its service and
/// its watchdog. Times are milliseconds since the connection was accepted.
struct Activity {
    opened: Instant,
    last_io_ms: AtomicU64,
    /// When the first byte of the next request arrived; [`NO_HEAD`] when none is pending.
    head_started_ms: AtomicU64,
    in_flight: AtomicUsize,
    head_started: Notify,
}

const NO_HEAD: u64 = u64::MAX;

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(NO_HEAD),
            in_flight: AtomicUsize::new(0),
            head_started: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn touch(&self) {
        self.last_io_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    fn bytes_read(&self) {
        let now = self.now_ms();
        self.last_io_ms.store(now, Ordering::Relaxed);
        // Bytes while no request is being handled start the next request's headers.
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_started_ms
                .compare_exchange(NO_HEAD, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.head_started.notify_one();
        }
    }

    /// A request's headers were parsed and it is being handled until the guard drops.
    fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started_ms.store(NO_HEAD, Ordering::Release);
        InFlight(self.clone())
    }

    /// Resolves when the connection has expired: its headers are late, or (with `idle`) it
    /// has been idle too long. Never while a request is being handled.
    async fn expired(&self, limits: &ConnectionLimits, idle: bool) -> Expiry {
        let idle_ms = millis(limits.idle_timeout);
        let header_ms = millis(limits.header_read_timeout);
        loop {
            let notified = self.head_started.notified();
            let now = self.now_ms();
            let head = self.head_started_ms.load(Ordering::Acquire);
            let (deadline, expiry) = if self.in_flight.load(Ordering::Acquire) > 0 {
                // Re-check later: idleness counts from the end of the request.
                (now.saturating_add(idle_ms), None)
            } else if head != NO_HEAD {
                (head.saturating_add(header_ms), Some(Expiry::HeaderRead))
            } else if idle {
                let last = self.last_io_ms.load(Ordering::Relaxed);
                (last.saturating_add(idle_ms), Some(Expiry::Idle))
            } else {
                (now.saturating_add(idle_ms), None)
            };
            if let Some(expiry) = expiry.filter(|_| now >= deadline) {
                return expiry;
            }
            let wake = self.opened + Duration::from_millis(deadline);
            tokio::select! {
                () = tokio::time::sleep_until(wake.into()) => {}
                () = notified => {}
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2)
}

/// Marks a request in progress; dropping it (response ready, or the request abandoned)
/// restarts the idle clock.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Idle,
    HeaderRead,
}

/// A socket that reports its reads and writes to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

/// A connection's byte stream: plain, or TLS over the watched socket (so that handshake
/// and record bytes count as activity too).
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves HTTP/1.1 on one connection until the client closes it, it expires, or the server
/// stops (then the request in progress, if any, is answered first). Holding `_slot` counts
/// the connection against the cap. With `tls`, the TLS handshake comes first and must end
/// within the header-read timeout; a client whose certificate the listener refuses
/// (`ssl.client.auth`) is dropped there, before any HTTP.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: ConnectionLimits,
    stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    // Responses are small and written whole: do not let Nagle hold their last segment.
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let watched = Watched {
        inner: stream,
        activity: activity.clone(),
    };
    match tls {
        None => serve_http(Box::new(watched), peer, app, activity, limits, stop).await,
        Some(acceptor) => {
            match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(watched)).await {
                Ok(Ok(tls_stream)) => {
                    serve_http(Box::new(tls_stream), peer, app, activity, limits, stop).await
                }
                Ok(Err(e)) => {
                    tracing::debug!("TLS handshake with {peer} failed: {e}");
                }
                Err(_) => tracing::debug!(
                    "closing REST connection from {peer}: TLS handshake not complete within {:?}",
                    limits.header_read_timeout
                ),
            }
        }
    }
}

async fn serve_http(
    stream: Box<dyn Stream>,
    peer: SocketAddr,
    app: Router,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(stream);
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_flight = activity.begin_request();
            let app = app.clone();
            async move {
                let response = app.oneshot(req.map(Body::new)).await;
                drop(in_flight);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header-read timeout is ours (`Activity::expired`): hyper's would also run while a
    // keep-alive connection waits for its next request, i.e. act as a shorter idle timeout.
    builder.keep_alive(true).header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("REST connection from {peer} ended: {e}");
                }
                return;
            }
            expiry = activity.expired(&limits, !closing) => match expiry {
                Expiry::Idle => {
                    tracing::debug!(
                        "closing REST connection from {peer}: idle for {:?}",
                        limits.idle_timeout
                    );
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                Expiry::HeaderRead => {
                    tracing::debug!(
                        "closing REST connection from {peer}: request headers not complete \
                         within {:?}",
                        limits.header_read_timeout
                    );
                    return;
                }
            },
            _ = stop.wait_for(|stopped| *stopped), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_fits_the_open_file_limit() {
        assert_eq!(fit_to_open_file_limit(1024, None), 1024);
        assert_eq!(fit_to_open_file_limit(1024, Some(256)), 64);
        assert_eq!(fit_to_open_file_limit(1024, Some(1_048_576)), 1024);
        assert_eq!(fit_to_open_file_limit(10, Some(256)), 10);
        assert_eq!(fit_to_open_file_limit(10, Some(2)), 1);
        assert_eq!(fit_to_open_file_limit(0, None), 1);
    }

    #[test]
    fn warnings_are_rate_limited() {
        let w = RateLimitedWarning::default();
        let mut logged = Vec::new();
        for _ in 0..3 {
            w.warn(|held_back| {
                logged.push(held_back);
                String::new()
            });
        }
        assert_eq!(logged, vec![0]);
        assert_eq!(w.state.lock().unwrap().1, 2);
    }
}
