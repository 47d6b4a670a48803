//! Sending REST requests to another worker (Java `HerderRequestHandler#completeOrForwardRequest`
//! and `RestClient`): user requests forwarded to the leader or a task's owner, and signed
//! internal requests. Runs on blocking threads.

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
    headers: Vec<(String, String)>,
) -> Result<Forwarded, ForwardError> {
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
