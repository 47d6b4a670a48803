//! Producer with asynchronous delivery reports.

mod native;

use std::time::Duration;

use std::sync::Arc;

use rdkafka::message::{Message, Timestamp};
use rdkafka::producer::ThreadedProducer;
use rdkafka::producer::{DeliveryResult, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::mpsc;

use crate::context::tracing_client_context;
use crate::error::is_retriable_code;
use crate::{KafkaConfig, KafkaError, SendError};

/// The outcome of one send: the token given to [`Producer::send`] and where the record landed.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The caller's token.
    pub token: u64,
    /// Where the record was written, or why it was not.
    pub result: Result<DeliveredRecord, KafkaError>,
}

/// Coordinates of a written record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveredRecord {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// The record timestamp as the broker reports it (create or log-append time), if known.
    pub timestamp: Option<i64>,
}

/// Where delivery reports go, called on librdkafka's polling thread.
type DeliverySink = Box<dyn Fn(Delivery) + Send + Sync>;

// Delivery tokens are carried in a pointer-sized opaque.
const _: () = assert!(
    usize::BITS >= u64::BITS,
    "rconnect-kafka needs a 64-bit target"
);

struct DeliveryContext {
    sink: DeliverySink,
}

tracing_client_context!(DeliveryContext, "producer");

impl ProducerContext for DeliveryContext {
    // The token travels as the message's opaque pointer value itself: boxing it would cost
    // an allocation and a free per record (64-bit targets only: see the assertion above).
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, token: usize) {
        let result = match result {
            Ok(message) => Ok(DeliveredRecord {
                partition: message.partition(),
                offset: message.offset(),
                timestamp: match message.timestamp() {
                    Timestamp::NotAvailable => None,
                    Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) => Some(t),
                },
            }),
            Err((error, message)) => Err(KafkaError::Delivery {
                topic: message.topic().to_string(),
                source: error.clone(),
            }),
        };
        (self.sink)(Delivery {
            token: token as u64,
            result,
        });
    }
}

/// A Kafka producer whose sends never block: each record carries a `u64` token, and its
/// delivery report arrives later on the [`mpsc::UnboundedReceiver<Delivery>`] returned by
/// [`Producer::new`], so a source task loop can keep many records in flight.
///
/// librdkafka runs the delivery callbacks on its own polling thread; reports for one partition
/// arrive in send order. Cloning is cheap and shares the same client.
#[derive(Clone)]
pub struct Producer {
    // Declared before `inner` so that the last clone releases its topic handles before
    // the client they belong to is destroyed.
    topics: Arc<native::TopicHandles>,
    inner: ThreadedProducer<DeliveryContext>,
}

impl Producer {
    /// Creates the producer. Start from [`KafkaConfig::source_producer`] for task producers.
    pub fn new(
        config: &KafkaConfig,
    ) -> Result<(Producer, mpsc::UnboundedReceiver<Delivery>), KafkaError> {
        let (tx, rx) = mpsc::unbounded_channel();
        // A closed receiver means nobody waits for acks any more (the task is gone).
        let producer = Producer::with_delivery_callback(config, move |d| {
            let _ = tx.send(d);
        })?;
        Ok((producer, rx))
    }

    /// Creates the producer with `on_delivery` called for every delivery report, on
    /// librdkafka's polling thread: for callers that forward reports in their own shape
    /// without an extra channel hop. It must not block.
    pub fn with_delivery_callback(
        config: &KafkaConfig,
        on_delivery: impl Fn(Delivery) + Send + Sync + 'static,
    ) -> Result<Producer, KafkaError> {
        let inner = config
            .client_config()
            .create_with_context(DeliveryContext {
                sink: Box::new(on_delivery),
            })
            .map_err(|source| KafkaError::ClientCreation {
                client: "producer",
                source,
            })?;
        Ok(Producer {
            topics: Arc::default(),
            inner,
        })
    }

    /// Queues one record. `partition: None` lets librdkafka's partitioner choose (the default
    /// `consistent_random`: hash of the key, random for a null key; set `partitioner=murmur2_random`
    /// for Java's key hashing). `timestamp: None` means "now" at the producer; note that
    /// librdkafka also treats an explicit `Some(0)` as "now".
    ///
    /// Never blocks. On `Err` the record was not queued and no delivery report will come.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: Option<i64>,
        headers: &[(String, Option<Vec<u8>>)],
        token: u64,
    ) -> Result<(), SendError> {
        if let Some(ts) = timestamp.filter(|ts| *ts < 0) {
            // Java's ProducerRecord rejects these with IllegalArgumentException.
            return Err(SendError::Fatal {
                topic: topic.to_string(),
                reason: format!(
                    "Invalid timestamp: {ts}. Timestamp should always be non-negative or null."
                ),
            });
        }
        let rkt = self
            .topics
            .handle(self.inner.client().native_ptr(), topic)?;
        let code = native::produce(
            self.inner.client().native_ptr(),
            rkt.as_ptr(),
            native::Record {
                partition,
                key,
                value,
                timestamp,
                headers,
                opaque: token as usize,
            },
        );
        match code {
            RDKafkaErrorCode::NoError => Ok(()),
            RDKafkaErrorCode::QueueFull => Err(SendError::QueueFull),
            code if is_retriable_code(code) => Err(SendError::Retriable {
                topic: topic.to_string(),
                source: rdkafka::error::KafkaError::MessageProduction(code),
            }),
            code => Err(SendError::Fatal {
                topic: topic.to_string(),
                reason: rdkafka::error::KafkaError::MessageProduction(code).to_string(),
            }),
        }
    }

    /// Records queued or in flight, not yet released by librdkafka. A record is released just
    /// after its delivery report (once its batch's callbacks ran), so the count can briefly
    /// trail the reports already received.
    pub fn in_flight_count(&self) -> i32 {
        self.inner.in_flight_count()
    }

    /// Waits (on a blocking thread) until every queued record got its delivery report, or
    /// `timeout` passes.
    pub async fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.flush(timeout))
            .await
            .map_err(|e| KafkaError::Internal(e.to_string()))?
            .map_err(|source| match source.rdkafka_error_code() {
                Some(RDKafkaErrorCode::OperationTimedOut) => KafkaError::Timeout {
                    operation: "producer flush".into(),
                    timeout_ms: timeout.as_millis(),
                },
                _ => KafkaError::op("producer flush", source),
            })
    }

    /// Blocking variant of [`Producer::flush`], for use outside async code.
    pub fn flush_blocking(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.inner
            .flush(timeout)
            .map_err(|source| KafkaError::op("producer flush", source))
    }

    /// Initialises transactions (needs `transactional.id`); blocks a helper thread.
    pub async fn init_transactions(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.init_transactions(timeout),
            "init transactions",
        )
        .await
    }

    /// Starts a transaction.
    pub fn begin_transaction(&self) -> Result<(), KafkaError> {
        self.inner
            .begin_transaction()
            .map_err(|source| KafkaError::op("begin transaction", source))
    }

    /// Commits the current transaction (flushing its records first).
    pub async fn commit_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.commit_transaction(timeout),
            "commit transaction",
        )
        .await
    }

    /// Aborts the current transaction.
    pub async fn abort_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.abort_transaction(timeout),
            "abort transaction",
        )
        .await
    }
}

async fn blocking(
    f: impl FnOnce() -> rdkafka::error::KafkaResult<()> + Send + 'static,
    operation: &'static str,
) -> Result<(), KafkaError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KafkaError::Internal(e.to_string()))?
        .map_err(|source| KafkaError::op(operation, source))
}
