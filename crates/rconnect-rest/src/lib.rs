//! The Kafka Connect REST API for rconnect.
//!
//! [`RestServer::bind`] binds the `listeners`, [`RestServer::serve`] answers requests by
//! calling a [`rconnect_runtime::herder::Herder`] until a shutdown future completes. The
//! endpoints, status codes and JSON bodies follow Java's `ConnectRestServer` and its
//! resources (`ConnectorsResource`, `ConnectorPluginsResource`, `LoggingResource`): every
//! error is `{"error_code":N,"message":"..."}`, request bodies
//! are bound with Jackson's semantics, and every request is logged through `tracing`
//! (target `rconnect_rest::request`).
//!
//! Connections are HTTP/1.1 with an idle timeout, a header-read timeout and a cap
//! ([`ConnectionLimits`]); [`rest_runtime`] builds the runtime rconnect serves them on, apart
//! from the data path's.
//!
//! `/admin/loggers` (Java's `LoggingResource`) changes log levels through a
//! [`LogFilterControl`] given with [`RestServer::with_log_filter_control`].
//! `GET /metrics` serves the worker's metrics in the Prometheus text format (given with
//! [`RestServer::with_metrics`]), also on a port of its own with [`MetricsListener`].
//! HTTPS listeners ([`ServerTls`]), `admin.listeners` ([`RestServer::bind_all`]) and HTTP
//! basic authentication compatible with Java's `BasicAuthSecurityRestExtension`
//! ([`BasicAuth`], [`RestServer::with_basic_auth`]) secure the API.
//!
//! `GET /openapi.json` serves an OpenAPI 3 description of the API (docs/openapi.json).

mod auth;
mod connections;
mod deep_json;
mod error;
mod handlers;
mod json;
mod loggers;
mod metrics_listener;
mod runtime;
mod server;

pub use auth::{
    jaas_entry_as_config, jaas_file_from_kafka_opts, AuthError, BasicAuth,
    BASIC_AUTH_EXTENSION_CLASS, JAAS_ENTRY, PROPERTY_FILE_LOGIN_MODULE,
};
pub use connections::{
    fit_to_open_file_limit, open_file_limit, ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, OPEN_FILE_LIMIT_DIVISOR,
};
pub use error::RestError;
pub use loggers::LogFilterControl;
pub use metrics_listener::MetricsListener;
pub use runtime::{rest_runtime, REST_BLOCKING_THREADS, REST_WORKER_THREADS};
pub use server::{Listener, RestServer, ServerTls, DEFAULT_REQUEST_TIMEOUT, GRACEFUL_STOP_TIMEOUT};
