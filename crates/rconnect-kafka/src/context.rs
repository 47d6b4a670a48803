//! Routing of librdkafka's log and error callbacks to `tracing`.

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError as RdKafkaError;

pub(crate) fn log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", facility, "{message}")
        }
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility, "{message}")
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}

/// Client-level errors (broker connection loss and the like). librdkafka retries these by
/// itself, so they are warnings; fatal ones are errors.
pub(crate) fn error(client: &str, error: RdKafkaError, reason: &str) {
    use rdkafka::types::RDKafkaErrorCode as C;
    match error.rdkafka_error_code() {
        Some(C::Fatal) => tracing::error!(target: "librdkafka", client, "{error}: {reason}"),
        _ => tracing::warn!(target: "librdkafka", client, "{error}: {reason}"),
    }
}

/// Implements `ClientContext` for a context type, forwarding logs and errors to `tracing`.
macro_rules! tracing_client_context {
    ($ty:ty, $name:expr) => {
        impl rdkafka::client::ClientContext for $ty {
            fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
                $crate::context::log(level, fac, message)
            }

            fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
                $crate::context::error($name, error, reason)
            }
        }
    };
}

pub(crate) use tracing_client_context;
