//! Listeners, the router and the server loop.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::{ACCEPT, ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use rconnect_runtime::herder::Herder;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::auth::BasicAuth;
use crate::connections::{self, accept_loop, ConnectionLimits, Shared};
use crate::error::{ApiError, RestError};
use crate::handlers::{self as h, AppState, LocalAddr};
use crate::loggers::{LogFilterControl, LoggerLevels};

/// How long a request waits for the herder (Java's `DEFAULT_REST_REQUEST_TIMEOUT_MS`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// How long in-flight requests may run after shutdown is requested (Jetty's stop timeout).
pub const GRACEFUL_STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// One entry of the `listeners` worker setting, `proto://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// `http` or `https` (case-insensitive); `https` needs a TLS config
    /// ([`ServerTls`]).
    pub scheme: String,
    /// Host name or IP literal (IPv6 without brackets); `""` binds all interfaces.
    pub host: String,
    /// `0` picks a free port (see [`RestServer::local_addrs`]).
    pub port: u16,
}

impl Listener {
    /// A plain-HTTP listener.
    pub fn http(host: impl Into<String>, port: u16) -> Listener {
        Listener {
            scheme: "http".to_string(),
            host: host.into(),
            port,
        }
    }
}

impl FromStr for Listener {
    type Err = RestError;

    /// Parses `proto://host:port` like Java's `LISTENER_PATTERN`; the host may be empty
    /// or a bracketed IPv6 literal.
    fn from_str(s: &str) -> Result<Listener, RestError> {
        let invalid = |reason: &str| RestError::InvalidListener {
            listener: s.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = s
            .trim()
            .split_once("://")
            .ok_or_else(|| invalid("expected the format proto://host:port"))?;
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("unterminated IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| invalid("missing port"))?;
            (host, port)
        } else {
            rest.rsplit_once(':')
                .ok_or_else(|| invalid("missing port"))?
        };
        let port = port
            .trim_end_matches('/')
            .parse::<u16>()
            .map_err(|_| invalid("the port must be a number between 0 and 65535"))?;
        Ok(Listener {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// The TLS configs of HTTPS listeners: `main` for `listeners` (Java's
/// `listeners.https.ssl.*`, else `ssl.*`), `admin` for `admin.listeners`
/// (`admin.listeners.https.ssl.*`, else `ssl.*`).
#[derive(Clone, Default)]
pub struct ServerTls {
    pub main: Option<Arc<rustls::ServerConfig>>,
    pub admin: Option<Arc<rustls::ServerConfig>>,
}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The API, with `/admin` when `admin.listeners` is not set.
    Main { with_admin: bool },
    /// `admin.listeners`: `/admin` only.
    Admin,
}

struct Bound {
    listener: Listener,
    tcp: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    role: Role,
}

/// The REST server: bound listeners waiting for a herder.
pub struct RestServer {
    listeners: Vec<Bound>,
    request_timeout: Duration,
    limits: ConnectionLimits,
    loggers: Arc<LoggerLevels>,
    metrics: Option<Arc<rconnect_runtime::metrics::Metrics>>,
    auth: Option<Arc<BasicAuth>>,
}

impl RestServer {
    /// Binds every listener now, so a port in use fails at startup and port 0 is resolved.
    pub async fn bind(listeners: &[Listener]) -> Result<RestServer, RestError> {
        RestServer::bind_all(listeners, None, ServerTls::default()).await
    }

    /// Binds `listeners` and `admin_listeners` (Java's `admin.listeners`: `None` serves
    /// `/admin` on `listeners`, an empty list nowhere, otherwise only there). HTTPS
    /// listeners use the matching config of `tls`.
    pub async fn bind_all(
        listeners: &[Listener],
        admin_listeners: Option<&[Listener]>,
        tls: ServerTls,
    ) -> Result<RestServer, RestError> {
        if listeners.is_empty() {
            return Err(RestError::NoListeners);
        }
        let with_admin = admin_listeners.is_none();
        let mut all: Vec<(&Listener, Role)> = listeners
            .iter()
            .map(|l| (l, Role::Main { with_admin }))
            .collect();
        all.extend(
            admin_listeners
                .unwrap_or(&[])
                .iter()
                .map(|l| (l, Role::Admin)),
        );
        let mut bound = Vec::with_capacity(all.len());
        for (listener, role) in all {
            let tls = match listener.scheme.to_ascii_lowercase().as_str() {
                "http" => None,
                "https" => {
                    let (config, prefix) = match role {
                        Role::Admin => (&tls.admin, "admin.listeners.https."),
                        Role::Main { .. } => (&tls.main, "listeners.https."),
                    };
                    let config = config.clone().ok_or_else(|| RestError::Tls {
                        listener: listener.to_string(),
                        reason: format!("no TLS settings ({prefix}ssl.* or ssl.*)"),
                    })?;
                    Some(tokio_rustls::TlsAcceptor::from(config))
                }
                other => {
                    return Err(RestError::InvalidListener {
                        listener: listener.to_string(),
                        reason: format!("unsupported protocol {other}, expected http or https"),
                    })
                }
            };
            let host = listener.host.trim_start_matches('[').trim_end_matches(']');
            let host = if host.is_empty() { "0.0.0.0" } else { host };
            let tcp = connections::bind(host, listener.port)
                .await
                .map_err(|source| RestError::Bind {
                    listener: listener.to_string(),
                    source,
                })?;
            bound.push(Bound {
                listener: listener.clone(),
                tcp,
                tls,
                role,
            });
        }
        Ok(RestServer {
            listeners: bound,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            limits: ConnectionLimits::default(),
            loggers: Arc::new(LoggerLevels::detached()),
            metrics: None,
            auth: None,
        })
    }

    /// Requires HTTP basic authentication on every listener (Java's
    /// `BasicAuthSecurityRestExtension`), but for the internal requests between workers.
    pub fn with_basic_auth(mut self, auth: Arc<BasicAuth>) -> RestServer {
        self.auth = Some(auth);
        self
    }

    /// The bound addresses of `listeners`, in the order they were given.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|b| b.role != Role::Admin)
            .filter_map(|b| b.tcp.local_addr().ok())
            .collect()
    }

    /// The bound addresses of `admin.listeners`, in the order they were given.
    pub fn admin_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|b| b.role == Role::Admin)
            .filter_map(|b| b.tcp.local_addr().ok())
            .collect()
    }

    /// Overrides [`DEFAULT_REQUEST_TIMEOUT`]; a herder call that takes longer is answered
    /// with 500 `Request timed out`.
    pub fn with_request_timeout(mut self, timeout: Duration) -> RestServer {
        self.request_timeout = timeout;
        self
    }

    /// Overrides the default [`ConnectionLimits`]. The cap is lowered further when serving
    /// starts, to fit the open-file limit ([`connections::fit_to_open_file_limit`]).
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> RestServer {
        self.limits = limits;
        self
    }

    /// Lets `/admin/loggers` change the process's log filter through `control`; without
    /// it, levels set there are only recorded.
    pub fn with_log_filter_control(mut self, control: Arc<dyn LogFilterControl>) -> RestServer {
        self.loggers = Arc::new(LoggerLevels::new(control));
        self
    }

    /// Serves `metrics` at `GET /metrics` (Prometheus text format).
    pub fn with_metrics(mut self, metrics: Arc<rconnect_runtime::metrics::Metrics>) -> RestServer {
        self.metrics = Some(metrics);
        self
    }

    /// Serves the REST API on every listener until `shutdown` completes, then lets
    /// in-flight requests finish for up to [`GRACEFUL_STOP_TIMEOUT`].
    ///
    /// Everything a request does runs on the runtime this is polled on (its tasks, its
    /// `spawn_blocking` work): rconnect runs it on a runtime of its own
    /// ([`crate::rest_runtime`]), so that REST traffic cannot take the data path's threads.
    pub async fn serve(
        self,
        herder: Arc<dyn Herder>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RestError> {
        // Cluster-wide log levels other workers (or this one) wrote, applied here as Java's
        // `DistributedHerder` does through `AbstractHerder#setWorkerLoggerLevel`.
        let cluster_levels = herder
            .logger_level_updates()
            .map(|updates| tokio::spawn(apply_cluster_levels(updates, self.loggers.clone())));
        let state = AppState {
            herder,
            request_timeout: self.request_timeout,
            loggers: self.loggers.clone(),
            metrics: self.metrics.clone(),
        };
        let auth = self.auth.clone();
        let app_for = |role: Role| router(state.clone(), role, auth.clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        let open_files = connections::open_file_limit();
        let mut limits = self.limits;
        limits.max_connections =
            connections::fit_to_open_file_limit(limits.max_connections, open_files);
        tracing::info!(
            "REST server accepts at most {} connections at once (rconnect.rest.max.connections={}, \
             open-file limit {}), closes them after {:?} idle (rconnect.rest.idle.timeout.ms) \
             or {:?} without complete request headers (rconnect.rest.header.read.timeout.ms)",
            limits.max_connections,
            self.limits.max_connections,
            open_files.map_or_else(|| "unlimited".to_string(), |n| n.to_string()),
            limits.idle_timeout,
            limits.header_read_timeout,
        );
        let shared = Arc::new(Shared::new(limits));
        let mut servers = JoinSet::new();
        for Bound {
            listener,
            tcp,
            tls,
            role,
        } in self.listeners
        {
            let addr = tcp.local_addr().map_err(|source| RestError::Bind {
                listener: listener.to_string(),
                source,
            })?;
            let what = match role {
                Role::Admin => "admin endpoints",
                Role::Main { with_admin: true } => "the API and admin endpoints",
                Role::Main { with_admin: false } => "the API",
            };
            tracing::info!("REST server listening on {addr} for {listener} ({what})");
            let app = app_for(role).layer(Extension(LocalAddr(addr)));
            servers.spawn(accept_loop(tcp, app, tls, shared.clone(), stop_rx.clone()));
        }

        shutdown.await;
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(GRACEFUL_STOP_TIMEOUT, async {
            while let Some(joined) = servers.join_next().await {
                if let Err(e) = joined {
                    if e.is_panic() {
                        std::panic::resume_unwind(e.into_panic());
                    }
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "REST requests still running {GRACEFUL_STOP_TIMEOUT:?} after shutdown; aborting"
            );
            servers.abort_all();
        }
        if let Some(task) = cluster_levels {
            task.abort();
        }
        tracing::info!("REST server stopped");
        Ok(())
    }
}

async fn apply_cluster_levels(
    mut updates: tokio::sync::broadcast::Receiver<(String, String)>,
    loggers: Arc<LoggerLevels>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match updates.recv().await {
            Ok((namespace, level)) => match crate::loggers::parse_level(&level) {
                Some(level) => {
                    loggers.set(&namespace, level);
                }
                None => tracing::warn!(
                    "Ignoring request to set invalid level '{level}' for namespace {namespace}"
                ),
            },
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("{n} cluster-wide log level change(s) were missed")
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The whole application: request log, authentication forwarding and path normalization
/// around the routes a listener of `role` serves.
fn router(state: AppState, role: Role, auth: Option<Arc<BasicAuth>>) -> Router {
    let admin_routes = Router::new()
        .route("/admin/loggers", get(h::list_loggers))
        .route(
            "/admin/loggers/{logger}",
            get(h::get_logger).put(h::set_logger),
        );
    let routes = match role {
        Role::Admin => admin_routes,
        Role::Main { with_admin } => {
            let api = api_routes();
            if with_admin {
                api.merge(admin_routes)
            } else {
                api
            }
        }
    };
    let routes = routes
        // After routing, like Jersey: path (404), then method (405), then media types.
        .route_layer(middleware::from_fn(negotiate))
        .method_not_allowed_fallback(h::method_not_allowed)
        .fallback(h::not_found)
        .with_state(state);
    // Routing happens inside `routes`, so rewriting the path here still affects it.
    let app = Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(options_and_allow))
        .layer(middleware::from_fn(read_body_first))
        .layer(middleware::from_fn(forward_authorization));
    // Inside the request log, so refused requests are logged like the others.
    let app = match auth {
        Some(auth) => app.layer(middleware::from_fn(move |req: Request, next: Next| {
            crate::auth::require_basic_auth(auth.clone(), req, next)
        })),
        None => app,
    };
    app.layer(middleware::from_fn(log_and_normalize))
}

/// Java's `RestClient` copies the caller's `Authorization` header into the requests it
/// forwards to the leader or a task's owner: the herder finds it here while it handles
/// the request.
async fn forward_authorization(req: Request, next: Next) -> Response {
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    rconnect_runtime::distributed::forward::with_authorization(auth, next.run(req)).await
}

/// The API's routes (everything but `/admin`).
fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(h::server_info))
        .route("/health", get(h::health))
        .route("/metrics", get(h::metrics))
        .route(
            "/connectors",
            get(h::list_connectors).post(h::create_connector),
        )
        .route(
            "/connectors/{connector}",
            get(h::connector_info).delete(h::delete_connector),
        )
        .route(
            "/connectors/{connector}/config",
            get(h::connector_config)
                .put(h::put_connector_config)
                .patch(h::patch_connector_config),
        )
        .route("/connectors/{connector}/status", get(h::connector_status))
        .route(
            "/connectors/{connector}/tasks",
            get(h::task_configs).post(h::put_task_configs),
        )
        .route("/connectors/{connector}/tasks-config", get(h::tasks_config))
        .route(
            "/connectors/{connector}/tasks/{task}/status",
            get(h::task_status),
        )
        .route(
            "/connectors/{connector}/restart",
            post(h::restart_connector),
        )
        .route(
            "/connectors/{connector}/tasks/{task}/restart",
            post(h::restart_task),
        )
        .route("/connectors/{connector}/pause", put(h::pause_connector))
        .route("/connectors/{connector}/resume", put(h::resume_connector))
        .route("/connectors/{connector}/stop", put(h::stop_connector))
        .route(
            "/connectors/{connector}/offsets",
            get(h::connector_offsets)
                .patch(h::alter_connector_offsets)
                .delete(h::reset_connector_offsets),
        )
        .route("/connectors/{connector}/topics", get(h::connector_topics))
        .route(
            "/connectors/{connector}/topics/reset",
            put(h::reset_connector_topics),
        )
        .route("/openapi.json", get(h::openapi))
        .route("/connector-plugins", get(h::list_plugins))
        .route("/connector-plugins/{plugin}/config", get(h::plugin_config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(h::validate_config),
        )
}

/// Jersey's answers about methods: an automatic `OPTIONS` for every resource (200,
/// `text/plain`, the resource's methods and `OPTIONS` in the `Allow` header and the body),
/// and a 405 without an `Allow` header.
async fn options_and_allow(mut req: Request, next: Next) -> Response {
    if req.method() != Method::OPTIONS {
        let mut resp = next.run(req).await;
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
            resp.headers_mut().remove(ALLOW);
        }
        return resp;
    }
    // No route has TRACE, so routing answers 404 for an unknown path and 405 with the
    // route's methods otherwise.
    *req.method_mut() = Method::TRACE;
    let probe = next.run(req).await;
    if probe.status() != StatusCode::METHOD_NOT_ALLOWED {
        return probe;
    }
    let routed: Vec<String> = probe
        .headers()
        .get(ALLOW)
        .and_then(|a| a.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .collect();
    // Jersey lists the methods from a `HashSet<String>`, so in that set's iteration order.
    let allowed: Vec<&str> = ["HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"]
        .into_iter()
        .filter(|m| *m == "OPTIONS" || routed.iter().any(|r| r == m))
        .collect();
    let mut resp = (StatusCode::OK, allowed.join(", ")).into_response();
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(v) = HeaderValue::from_str(&allowed.join(",")) {
        headers.insert(ALLOW, v);
    }
    resp
}

/// The largest request body read ahead of the handlers: axum's default limit for the
/// `Bytes` extractor the handlers use (no `DefaultBodyLimit` is set), so reading ahead
/// refuses nothing they would accept.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Reads the whole request body before routing, so that every response keeps the
/// connection alive.
///
/// Many requests are answered without reading their body (404, 405, 415, 406, endpoints
/// that take none). If the end of that body has not arrived when the handler drops it,
/// hyper gives up on the connection and closes it right after the response, without a
/// `Connection: close`; a client that pools connections then sends its next request on a
/// closed socket ("Peer disconnected", a broken pipe). This hits any client that writes
/// a body after its headers, e.g. ureq's `POST` without a body, which is chunked with the
/// last chunk written separately. Java's Jetty consumes unread content before reusing
/// the connection, so keep-alive clients never saw this there.
async fn read_body_first(req: Request, next: Next) -> Response {
    match buffer_body(req).await {
        Ok(req) => next.run(req).await,
        Err(refused) => refused,
    }
}

/// The request with its body in memory; a body declared larger than [`MAX_BODY_BYTES`] is
/// left unread (the handler refuses it, and the connection is closed rather than drained).
/// A body that turns out too large, or fails to arrive, is answered like the handlers'
/// `Bytes` extractor answers it (413 or 400).
async fn buffer_body(req: Request) -> Result<Request, Response> {
    let declared_too_large = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > MAX_BODY_BYTES as u64);
    if declared_too_large {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    // A bare request, so the limit is axum's default, as in the handlers' extractor.
    match Bytes::from_request(Request::new(body), &()).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Err(rejection) => {
            Err(ApiError::new(rejection.status(), rejection.body_text()).into_response())
        }
    }
}

/// Logs every request (method, path, status, latency) and drops trailing slashes.
async fn log_and_normalize(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    if let Some(normalized) = strip_trailing_slash(&uri) {
        *req.uri_mut() = normalized;
    }
    let resp = if has_empty_segment(req.uri().path()) {
        // A Jersey path parameter matches `[^/]+`, so `/connectors//status` matches no
        // resource (404) rather than reaching one with an empty name.
        ApiError::not_found().into_response()
    } else {
        next.run(req).await
    };
    let status = resp.status().as_u16();
    let latency_ms = start.elapsed().as_millis();
    tracing::info!(
        target: "rconnect_rest::request",
        %method, path = %uri, status, latency_ms,
        "\"{method} {uri}\" {status} {latency_ms}ms"
    );
    resp
}

/// An empty segment after the first one (`/a//b`); a leading `//` is left to routing.
fn has_empty_segment(path: &str) -> bool {
    path.trim_start_matches('/')
        .split('/')
        .skip(1)
        .any(str::is_empty)
}

fn strip_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if path.len() <= 1 || !path.ends_with('/') {
        return None;
    }
    let trimmed = match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    let path_and_query = match uri.query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_string(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::from_str(&path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

/// `@Consumes(application/json)` (415) and `@Produces(application/json)` (406).
async fn negotiate(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let reads_body = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if reads_body && !content_type_acceptable(headers) {
        return ApiError::jax_rs(StatusCode::UNSUPPORTED_MEDIA_TYPE).into_response();
    }
    if !accepts_json(headers) {
        return ApiError::jax_rs(StatusCode::NOT_ACCEPTABLE).into_response();
    }
    next.run(req).await
}

/// Jersey matches a declared `Content-Type` against `@Consumes` while selecting the
/// resource method; a missing one matches anything (see `JsonBody` for what follows).
fn content_type_acceptable(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE) {
        Some(ct) => ct
            .to_str()
            .ok()
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|mt| media_range_matches_json(mt.trim())),
        None => true,
    }
}

/// Whether any `Accept` media range with a non-zero quality admits `application/json`.
fn accepts_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return true;
    }
    let mut any_range = false;
    for value in values {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim();
            if media.is_empty() {
                continue;
            }
            any_range = true;
            let zero_quality = parts.any(|param| {
                param
                    .split_once('=')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                    .and_then(|(_, q)| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if !zero_quality && media_range_matches_json(media) {
                return true;
            }
        }
    }
    // An `Accept` header with no media range at all means "anything".
    !any_range
}

fn media_range_matches_json(media: &str) -> bool {
    let Some((ty, sub)) = media.split_once('/') else {
        return media == "*";
    };
    let (ty, sub) = (ty.trim(), sub.trim());
    (ty == "*" || ty.eq_ignore_ascii_case("application"))
        && (sub == "*" || sub.eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_parsing() {
        assert_eq!(
            "http://:8083".parse::<Listener>().unwrap(),
            Listener::http("", 8083)
        );
        assert_eq!(
            "HTTP://[::1]:0".parse::<Listener>().unwrap(),
            Listener {
                scheme: "HTTP".into(),
                host: "::1".into(),
                port: 0
            }
        );
        assert_eq!(
            "http://localhost:80".parse::<Listener>().unwrap(),
            Listener::http("localhost", 80)
        );
        assert!("localhost:80".parse::<Listener>().is_err());
        assert!("http://localhost".parse::<Listener>().is_err());
        assert!("http://h:99999".parse::<Listener>().is_err());
        assert_eq!(Listener::http("::1", 1).to_string(), "http://[::1]:1");
    }

    #[test]
    fn trailing_slash() {
        let uri: Uri = "/connectors/?expand=status".parse().unwrap();
        assert_eq!(
            strip_trailing_slash(&uri).unwrap().to_string(),
            "/connectors?expand=status"
        );
        assert!(strip_trailing_slash(&"/".parse().unwrap()).is_none());
        assert!(strip_trailing_slash(&"/connectors".parse().unwrap()).is_none());
    }

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    fn body_request(body: Body, content_length: Option<&str>) -> Request {
        let mut req = Request::new(body);
        if let Some(len) = content_length {
            req.headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from_str(len).unwrap());
        }
        req
    }

    async fn body_of(body: Body) -> Bytes {
        axum::body::to_bytes(body, usize::MAX).await.unwrap()
    }

    #[tokio::test]
    async fn bodies_are_read_ahead() {
        let req = buffer_body(body_request(Body::from("{}"), Some("2")))
            .await
            .unwrap();
        assert_eq!(body_of(req.into_body()).await, "{}");
        let req = buffer_body(body_request(Body::empty(), None))
            .await
            .unwrap();
        assert_eq!(body_of(req.into_body()).await, "");

        // Too large as sent: the `Bytes` extractor's 413.
        let big = Body::from(vec![b' '; MAX_BODY_BYTES + 1]);
        let refused = buffer_body(body_request(big, None)).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let text = String::from_utf8(body_of(refused.into_body()).await.to_vec()).unwrap();
        assert!(text.contains("length limit exceeded"), "{text}");

        // Too large as declared: left to the handler, unread.
        let req = buffer_body(body_request(Body::from("[]"), Some("3000000")))
            .await
            .unwrap();
        assert_eq!(body_of(req.into_body()).await, "[]");
    }

    #[test]
    fn accept_negotiation() {
        assert!(accepts_json(&HeaderMap::new()));
        assert!(accepts_json(&accept("*/*")));
        assert!(accepts_json(&accept("text/html, application/json;q=0.5")));
        assert!(accepts_json(&accept("application/*")));
        assert!(accepts_json(&accept("")));
        assert!(!accepts_json(&accept("text/plain")));
        assert!(!accepts_json(&accept("application/json;q=0")));
    }
}
