//! Kafka-backed internal-topic stores of distributed mode, with Java Connect's topic formats
//! byte for byte (spec internals.md §1–§4 and §9).
//!
//! * [`KafkaBasedLog`]: one topic read from the beginning by a background task, plus a
//!   producer using Java's key hashing (`murmur2_random`).
//! * [`ensure_internal_topics`]: creates the config, offsets and status topics at startup.
//! * [`KafkaOffsetStore`] ([`rconnect_runtime::offsets::OffsetBackingStore`]) over
//!   `offset.storage.topic`.
//! * [`KafkaStatusStore`] ([`rconnect_runtime::status::StatusStore`]) over
//!   `status.storage.topic`.
//! * [`KafkaConfigStore`] ([`rconnect_runtime::config_store::ConfigStore`]) over
//!   `config.storage.topic`.
//!
//! Each store is built from the [`WorkerConfig`](rconnect_config::WorkerConfig) with
//! `start`, which reads its topic to the end before returning, and is shut down with `stop`.
//! Client settings follow worker.md §3.3: client ids `<group.id>-[<client.id>-]configs`,
//! `…offsets`, `…statuses` and `…shared-admin`.

mod clients;
pub mod config;
pub mod format;
mod json;
mod log;
pub mod offsets;
pub mod status;
mod topics;

pub use clients::{internal_log_config, InternalTopic};
pub use config::KafkaConfigStore;
pub use log::{KafkaBasedLog, LogConfig, RecordCallback};
pub use offsets::KafkaOffsetStore;
pub use status::KafkaStatusStore;
pub use topics::ensure_internal_topics;

use rconnect_kafka::KafkaError;

/// Why an internal-topic operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// A Kafka client operation failed.
    #[error("{context}: {source}")]
    Kafka {
        /// What was attempted, naming the topic.
        context: String,
        /// The client error (boxed: it is large).
        #[source]
        source: Box<KafkaError>,
    },
    /// The worker configuration or an existing topic is unusable (Java `ConfigException`;
    /// the message is Java's).
    #[error("{0}")]
    Config(String),
    /// An operation did not finish in time.
    #[error("timed out after {timeout_ms} ms {operation}")]
    Timeout {
        /// What was attempted.
        operation: String,
        /// The time allowed.
        timeout_ms: u128,
    },
    /// The log was stopped.
    #[error("the internal log of topic '{0}' is stopped")]
    Stopped(String),
}

impl StorageError {
    pub(crate) fn kafka(context: impl Into<String>, source: KafkaError) -> Self {
        StorageError::Kafka {
            context: context.into(),
            source: Box::new(source),
        }
    }
}

impl From<StorageError> for rconnect_runtime::config_store::ConfigStoreError {
    fn from(e: StorageError) -> Self {
        use rconnect_runtime::config_store::ConfigStoreError;
        match e {
            StorageError::Timeout { .. } => ConfigStoreError::Timeout(e.to_string()),
            other => ConfigStoreError::Kafka(other.to_string()),
        }
    }
}

impl From<StorageError> for rconnect_sdk::ConnectError {
    fn from(e: StorageError) -> Self {
        rconnect_sdk::ConnectError::connect(e.to_string())
    }
}
