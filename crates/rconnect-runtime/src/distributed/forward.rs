//! Sending REST requests to another worker (Java `HerderRequestHandler#completeOrForwardRequest`
//! and `RestClient`): user requests forwarded to the leader or a task's owner, and signed
//! internal requests. Runs on blocking threads.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::herder::HerderError;

/// Why a forwarded request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// No HTTP answer at all (connection refused, reset, timed out): the worker may be gone.
    #[error("IO Error trying to forward REST request: {0}")]
    Unreachable(String),
    /// The other worker answered with an error, mapped to the error it reported.
    #[error(transparent)]
    Answered(#[from] HerderError),
}

impl From<ForwardError> for HerderError {
    fn from(e: ForwardError) -> HerderError {
        match e {
            ForwardError::Unreachable(_) => HerderError::Internal(e.to_string()),
            ForwardError::Answered(h) => h,
        }
    }
}

/// A response from another worker.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub status: u16,
    pub body: String,
}

tokio::task_local! {
    /// The `Authorization` header of the REST request being handled, copied into the
    /// requests it is forwarded as (Java: `RestClient#addHeadersToRequest`).
    static AUTHORIZATION: Option<String>;
}

/// Runs `f` (a REST request's handling) with `authorization` as the header its forwarded
/// requests carry.
pub async fn with_authorization<F: Future>(authorization: Option<String>, f: F) -> F::Output {
    AUTHORIZATION.scope(authorization, f).await
}

/// The TLS settings of requests to other workers' `https://` URLs: the truststore their
/// certificates chain to and this worker's client certificate (Java:
/// `SSLUtils#createClientSideSslContextFactory`, from `listeners.https.ssl.*` else `ssl.*`).
/// Certificates are DER; the client key is PEM.
#[derive(Clone, Default)]
pub struct ForwardTls {
    pub trusted: Option<Vec<Vec<u8>>>,
    pub client_cert: Option<(Vec<Vec<u8>>, String)>,
}

impl std::fmt::Debug for ForwardTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardTls")
            .field("trusted", &self.trusted.as_ref().map(Vec::len))
            .field("client_cert", &self.client_cert.is_some())
            .finish()
    }
}

static FORWARD_TLS: OnceLock<ForwardTls> = OnceLock::new();

/// Sets the TLS settings of forwarded requests, once, at start-up; later calls are ignored.
pub fn configure_tls(tls: ForwardTls) {
    let _ = FORWARD_TLS.set(tls);
}

fn tls_config() -> ureq::tls::TlsConfig {
    let mut b = ureq::tls::TlsConfig::builder();
    if let Some(tls) = FORWARD_TLS.get() {
        let certs = |ders: &[Vec<u8>]| -> Vec<ureq::tls::Certificate<'static>> {
            ders.iter()
                .map(|d| ureq::tls::Certificate::from_der(d).to_owned())
                .collect()
        };
        if let Some(trusted) = &tls.trusted {
            b = b.root_certs(ureq::tls::RootCerts::new_with_certs(&certs(trusted)));
        }
        if let Some((chain, key_pem)) = &tls.client_cert {
            match ureq::tls::PrivateKey::from_pem(key_pem.as_bytes()) {
                Ok(key) => {
                    b = b.client_cert(Some(ureq::tls::ClientCert::new_with_certs(
                        &certs(chain),
                        key,
                    )))
                }
                Err(e) => tracing::warn!("cannot use the client key for forwarded requests: {e}"),
            }
        }
    }
    b.build()
}

/// Joins a worker's base URL (with or without a trailing `/`) and a path.
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Sends `method url` with an optional JSON body and extra headers; a 2xx comes back as
/// is, an error status becomes the same `HerderError` the remote worker answered.
pub async fn send(
    method: &'static str,
    url: String,
    body: Option<Vec<u8>>,
    mut headers: Vec<(String, String)>,
) -> Result<Forwarded, ForwardError> {
    if let Ok(Some(auth)) = AUTHORIZATION.try_with(|a| a.clone()) {
        headers.push(("Authorization".to_string(), auth));
    }
    tokio::task::spawn_blocking(move || send_blocking(method, &url, body, &headers))
        .await
        .map_err(|e| ForwardError::Unreachable(e.to_string()))?
}

fn send_blocking(
    method: &str,
    url: &str,
    body: Option<Vec<u8>>,
    headers: &[(String, String)],
) -> Result<Forwarded, ForwardError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(90)))
        .tls_config(tls_config())
        .build()
        .into();
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Accept", "application/json")
        .header("User-Agent", "kafka-connect");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let result = match body {
        Some(b) => agent.run(
            req.header("Content-Type", "application/json")
                .body(b)
                .map_err(|e| HerderError::Internal(e.to_string()))?,
        ),
        None => agent.run(
            req.body(())
                .map_err(|e| HerderError::Internal(e.to_string()))?,
        ),
    };
    let mut resp = result.map_err(|e| ForwardError::Unreachable(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(Forwarded { status, body });
    }
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str().map(str::to_string))
        })
        .unwrap_or(body);
    Err(ForwardError::Answered(match status {
        400 => HerderError::BadRequest(message),
        404 => HerderError::NotFound(message),
        409 => HerderError::Conflict(message),
        503 => HerderError::Unavailable(message),
        s if s >= 400 => HerderError::Internal(message),
        s => HerderError::Internal(format!(
            "Unexpected status code when handling forwarded request: {s}"
        )),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_without_double_slashes() {
        assert_eq!(
            join_url("http://w1:8083/", "connectors/c/tasks"),
            "http://w1:8083/connectors/c/tasks"
        );
        assert_eq!(
            join_url("http://w1:8083", "/connectors"),
            "http://w1:8083/connectors"
        );
    }
}
