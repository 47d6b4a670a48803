//! Error types.

use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// An error from a Kafka client operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KafkaError {
    /// A client could not be created, usually because of an invalid or unknown config key.
    #[error("cannot create Kafka {client}: {source}")]
    ClientCreation {
        /// "producer", "consumer" or "admin client".
        client: &'static str,
        /// librdkafka's error, naming the offending key.
        source: RdKafkaError,
    },
    /// A client operation failed.
    #[error("Kafka {operation} failed: {source}")]
    Operation {
        /// What was attempted, e.g. "commit of offsets" or "metadata request".
        operation: String,
        /// librdkafka's error.
        source: RdKafkaError,
    },
    /// A broker answered with an error for one topic.
    #[error("Kafka {operation} for topic '{topic}' failed: {code}")]
    Topic {
        /// What was attempted.
        operation: &'static str,
        /// The topic concerned.
        topic: String,
        /// The broker's (or librdkafka's) error code.
        code: RDKafkaErrorCode,
    },
    /// A broker answered with an error for a consumer group (or one of its partitions).
    #[error("Kafka {operation} of group '{group}' failed: {code}")]
    Group {
        /// What was attempted, e.g. "offset commit" or "DeleteGroups".
        operation: String,
        /// The group concerned.
        group: String,
        /// The broker's (or librdkafka's) error code.
        code: RDKafkaErrorCode,
    },
    /// A record could not be delivered.
    #[error("delivery to {topic} failed: {source}")]
    Delivery {
        /// Destination topic.
        topic: String,
        /// librdkafka's error.
        source: RdKafkaError,
    },
    /// An operation did not finish in time.
    #[error("Kafka {operation} timed out after {timeout_ms} ms")]
    Timeout {
        /// What was attempted.
        operation: String,
        /// The time allowed.
        timeout_ms: u128,
    },
    /// A value passed in cannot be represented in Kafka.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A blocking helper thread failed (panicked or was cancelled).
    #[error("internal error running blocking Kafka call: {0}")]
    Internal(String),
}

impl KafkaError {
    pub(crate) fn op(operation: impl Into<String>, source: RdKafkaError) -> Self {
        KafkaError::Operation {
            operation: operation.into(),
            source,
        }
    }

    /// librdkafka's error code, when there is one.
    pub fn code(&self) -> Option<RDKafkaErrorCode> {
        match self {
            KafkaError::ClientCreation { source, .. }
            | KafkaError::Operation { source, .. }
            | KafkaError::Delivery { source, .. } => source.rdkafka_error_code(),
            KafkaError::Topic { code, .. } | KafkaError::Group { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether retrying the same operation later may succeed: the cases Java's client reports
    /// as `RetriableException` (timeouts, leadership changes, unavailable brokers or
    /// coordinators, full queues, unknown topic or partition).
    pub fn is_retriable(&self) -> bool {
        match self {
            KafkaError::Timeout { .. } => true,
            _ => self.code().is_some_and(is_retriable_code),
        }
    }
}

pub(crate) fn is_retriable_code(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as C;
    matches!(
        code,
        C::QueueFull
            | C::MessageTimedOut
            | C::RequestTimedOut
            | C::OperationTimedOut
            | C::TimedOutQueue
            | C::NotLeaderForPartition
            | C::LeaderNotAvailable
            | C::NetworkException
            | C::BrokerNotAvailable
            | C::BrokerTransportFailure
            | C::AllBrokersDown
            | C::Resolve
            | C::UnknownTopicOrPartition
            | C::UnknownPartition
            | C::UnknownTopic
            | C::NotEnoughReplicas
            | C::NotEnoughReplicasAfterAppend
            | C::CoordinatorLoadInProgress
            | C::CoordinatorNotAvailable
            | C::NotCoordinator
            | C::KafkaStorageError
            | C::FencedLeaderEpoch
            | C::UnknownLeaderEpoch
            | C::OffsetNotAvailable
            | C::PreferredLeaderNotAvailable
            | C::InProgress
            | C::Retry
    )
}

/// Why [`crate::Producer::send`] did not accept a record.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// librdkafka's local queue is full (`queue.buffering.max.messages` /
    /// `queue.buffering.max.kbytes`): wait for deliveries and send the same record again.
    /// This is where Java's `send` would block (`max.block.ms`).
    #[error("producer queue is full")]
    QueueFull,
    /// A temporary condition (e.g. the partition is not known yet): back off and retry the
    /// same record, like Java's `RetriableException`.
    #[error("retriable error sending to topic '{topic}': {source}")]
    Retriable {
        /// Destination topic.
        topic: String,
        /// librdkafka's error.
        source: RdKafkaError,
    },
    /// The record can never be sent (too large, invalid topic or timestamp, fatal producer
    /// state): the task should fail.
    #[error("cannot send record to topic '{topic}': {reason}")]
    Fatal {
        /// Destination topic.
        topic: String,
        /// What is wrong.
        reason: String,
    },
}

impl SendError {
    /// True for [`SendError::QueueFull`] and [`SendError::Retriable`].
    pub fn is_retriable(&self) -> bool {
        !matches!(self, SendError::Fatal { .. })
    }
}
