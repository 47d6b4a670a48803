//! `GET /metrics`, on the REST listeners and, when `rconnect.metrics.listener` is set, on a
//! listener of its own that serves nothing else (so a Prometheus scraper needs no access to
//! the REST API).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rconnect_runtime::herder::Herder;
use rconnect_runtime::metrics::Metrics;

use crate::server::Listener;
use crate::RestError;

/// The content type of the Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics text with the statuses of every connector the herder knows.
pub(crate) async fn scrape(herder: &dyn Herder, metrics: &Metrics) -> String {
    let mut statuses = Vec::new();
    for name in herder.connectors().await {
        // A connector deleted between the two calls is simply left out.
        if let Ok(status) = herder.connector_status(&name).await {
            statuses.push(status);
        }
    }
    metrics.render(&statuses)
}

pub(crate) fn prometheus_response(body: String) -> Response {
    ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// A bound metrics-only listener (plain HTTP).
pub struct MetricsListener {
    tcp: tokio::net::TcpListener,
    listener: Listener,
}

impl MetricsListener {
    /// Binds `listener` now, so a port in use fails at start-up.
    pub async fn bind(listener: &Listener) -> Result<MetricsListener, RestError> {
        if !listener.scheme.eq_ignore_ascii_case("http") {
            return Err(RestError::InvalidListener {
                listener: listener.to_string(),
                reason: format!(
                    "unsupported protocol {} for rconnect.metrics.listener, expected http",
                    listener.scheme
                ),
            });
        }
        let host = listener.host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let tcp = tokio::net::TcpListener::bind((host, listener.port))
            .await
            .map_err(|source| RestError::Bind {
                listener: listener.to_string(),
                source,
            })?;
        Ok(MetricsListener {
            tcp,
            listener: listener.clone(),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.local_addr().ok()
    }

    /// Serves `GET /metrics` until `shutdown` completes; any other path answers 404.
    pub async fn serve(
        self,
        herder: Arc<dyn Herder>,
        metrics: Arc<Metrics>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RestError> {
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let (herder, metrics) = (herder.clone(), metrics.clone());
                async move { prometheus_response(scrape(herder.as_ref(), &metrics).await) }
            }),
        );
        tracing::info!(
            "metrics listener on {} for {}",
            self.local_addr()
                .map_or_else(|| "?".to_string(), |a| a.to_string()),
            self.listener
        );
        axum::serve(self.tcp, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| RestError::Bind {
                listener: self.listener.to_string(),
                source,
            })
    }
}
