//! Errors: the ones [`crate::RestServer`] returns to its caller, and the JSON error
//! responses (`{"error_code":N,"message":"..."}`) every failed request gets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rconnect_runtime::herder::HerderError;
use serde::Serialize;

/// Why the REST server could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// A `listeners` entry that is not `proto://host:port`.
    #[error("Invalid listener {listener}: {reason}")]
    InvalidListener { listener: String, reason: String },
    /// An `https` listener without usable TLS settings.
    #[error("Cannot set up TLS for REST listener {listener}: {reason}")]
    Tls { listener: String, reason: String },
    /// The listener address could not be bound.
    #[error("Unable to bind REST listener {listener}: {source}")]
    Bind {
        listener: String,
        #[source]
        source: std::io::Error,
    },
    /// `bind` was given no listener at all.
    #[error("No REST listener configured (listeners is empty)")]
    NoListeners,
}

/// An error answered to an HTTP client, serialized as Java's `ErrorMessage`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: Option<String>,
}

#[derive(Serialize)]
struct ErrorMessage<'a> {
    error_code: u16,
    message: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: Some(message.into()),
        }
    }

    /// Any exception Java's `ConnectExceptionMapper` does not recognise becomes a 500.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// A JAX-RS `WebApplicationException` raised by routing or content negotiation,
    /// whose message is `HTTP <code> <reason>`.
    pub fn jax_rs(status: StatusCode) -> ApiError {
        let reason = status.canonical_reason().unwrap_or("");
        ApiError::new(status, format!("HTTP {} {}", status.as_u16(), reason))
    }

    pub fn not_found() -> ApiError {
        ApiError::jax_rs(StatusCode::NOT_FOUND)
    }
}

impl From<HerderError> for ApiError {
    fn from(e: HerderError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorMessage {
            error_code: self.status.as_u16(),
            message: self.message.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}
