//! Producer with asynchronous delivery reports.

mod native;
mod poller;

use std::time::Duration;

use std::sync::Arc;

use rdkafka::bindings as rd;
use rdkafka::producer::BaseProducer;
use rdkafka::producer::{DeliveryResult, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::mpsc;

use crate::context::tracing_client_context;
use crate::error::is_retriable_code;
use crate::{KafkaConfig, KafkaError, SendError};

/// One record to produce (Java `ProducerRecord`), borrowed from the caller: nothing is
/// copied until librdkafka copies it into its queue.
///
/// ```
/// use rconnect_kafka::ProducerRecord;
/// let headers = vec![("trace".to_string(), Some(b"1".to_vec()))];
/// let r = ProducerRecord { topic: "orders", partition: None, key: Some(b"k"), value: None, timestamp: None, headers: &headers };
/// assert_eq!(r.headers.len(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProducerRecord<'a> {
    pub topic: &'a str,
    /// `None` lets the partitioner choose.
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    /// `None` is a tombstone.
    pub value: Option<&'a [u8]>,
    /// `None` means "now" at the producer.
    pub timestamp: Option<i64>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

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

/// Where delivery reports go, called on the producer's poll thread (or, for records purged
/// when the producer is dropped, on the dropping thread).
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

    // Only reached through rdkafka's own `BaseProducer::poll`, which runs when the producer
    // is dropped (it purges what is still queued and serves the purge reports); the poll
    // thread builds the same `Delivery` from the same message (see `delivery_of`).
    fn delivery(&self, result: &DeliveryResult<'_>, _token: usize) {
        let message = match result {
            Ok(message) | Err((_, message)) => message.ptr(),
        };
        // Safety: the message belongs to the delivery report being served.
        (self.sink)(unsafe { delivery_of(message) });
    }
}

/// The delivery report of one message of a delivery-report event: its token (the opaque),
/// and where it landed or why it was not written.
///
/// # Safety
/// `message` is a live message of a delivery-report event.
unsafe fn delivery_of(message: *const rd::rd_kafka_message_t) -> Delivery {
    // SAFETY: the caller's contract: a live message of a delivery-report event.
    let m = unsafe { &*message };
    let result = if m.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: `message` is live (see above); `kind` is a valid out-pointer.
        let t = unsafe { rd::rd_kafka_message_timestamp(message, &mut kind) };
        Ok(DeliveredRecord {
            partition: m.partition,
            offset: m.offset,
            // As rdkafka's `Message::timestamp`: -1 or "not available" is no timestamp.
            timestamp: (t != -1
                && kind != rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
                .then_some(t),
        })
    } else {
        let topic = if m.rkt.is_null() {
            String::new()
        } else {
            // SAFETY: a live message's non-null topic handle names a NUL-terminated string
            // that lives as long as the handle.
            unsafe { std::ffi::CStr::from_ptr(rd::rd_kafka_topic_name(m.rkt)) }
                .to_string_lossy()
                .into_owned()
        };
        Err(KafkaError::Delivery {
            topic,
            source: rdkafka::error::KafkaError::MessageProduction(m.err.into()),
        })
    };
    Delivery {
        token: m._private as usize as u64,
        result,
    }
}

/// A Kafka producer whose sends never block: each record carries a `u64` token, and its
/// delivery report arrives later on the [`mpsc::UnboundedReceiver<Delivery>`] returned by
/// [`Producer::new`], so a source task loop can keep many records in flight.
///
/// Delivery reports are served on the producer's own poll thread (`producer-poll`); reports
/// for one partition arrive in send order. Cloning is cheap and shares the same client; when
/// the last clone is dropped the poll thread is stopped and joined, then the client is
/// destroyed: records still queued are purged and their (failed) delivery reports are
/// passed on before the drop returns.
#[derive(Clone)]
pub struct Producer {
    // Declared before `inner` so that the last clone releases its topic handles before
    // the client they belong to is destroyed.
    topics: Arc<native::TopicHandles>,
    inner: Arc<Client>,
}

/// The client and the thread serving its events.
struct Client {
    // Declared first: stopped and joined before the client below is dropped, as rdkafka's
    // `ThreadedProducer` does (the client's drop then serves the purged records itself).
    _poller: poller::Poller,
    producer: BaseProducer<DeliveryContext>,
}

impl Client {
    fn rk(&self) -> *mut rd::rd_kafka_t {
        self.producer.client().native_ptr()
    }
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
    /// the producer's poll thread: for callers that forward reports in their own shape
    /// without an extra channel hop. It must not block.
    pub fn with_delivery_callback(
        config: &KafkaConfig,
        on_delivery: impl Fn(Delivery) + Send + Sync + 'static,
    ) -> Result<Producer, KafkaError> {
        let producer: BaseProducer<DeliveryContext> = config
            .client_config()
            .create_with_context(DeliveryContext {
                sink: Box::new(on_delivery),
            })
            .map_err(|source| KafkaError::ClientCreation {
                client: "producer",
                source,
            })?;
        let poller = poller::Poller::start(&producer)?;
        Ok(Producer {
            topics: Arc::default(),
            inner: Arc::new(Client {
                _poller: poller,
                producer,
            }),
        })
    }

    /// Queues one record. `partition: None` lets librdkafka's partitioner choose (the default
    /// `consistent_random`: hash of the key, random for a null key; set `partitioner=murmur2_random`
    /// for Java's key hashing). `timestamp: None` means "now" at the producer; note that
    /// librdkafka also treats an explicit `Some(0)` as "now".
    ///
    /// Never blocks. On `Err` the record was not queued and no delivery report will come.
    pub fn send(&self, record: &ProducerRecord<'_>, token: u64) -> Result<(), SendError> {
        let topic = record.topic;
        if let Some(ts) = record.timestamp.filter(|ts| *ts < 0) {
            // Java's ProducerRecord rejects these with IllegalArgumentException.
            return Err(SendError::Fatal {
                topic: topic.to_string(),
                reason: format!(
                    "Invalid timestamp: {ts}. Timestamp should always be non-negative or null."
                ),
            });
        }
        let rkt = self.topics.handle(self.inner.rk(), topic)?;
        let code = native::produce(
            self.inner.rk(),
            rkt.as_ptr(),
            native::Record {
                partition: record.partition,
                key: record.key,
                value: record.value,
                timestamp: record.timestamp,
                headers: record.headers,
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
        self.inner.producer.in_flight_count()
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

    // The helper-thread closures below hold the whole client, poll thread included: a
    // transaction commit waits for delivery reports, which only that thread serves.

    /// Initialises transactions (needs `transactional.id`); blocks a helper thread.
    pub async fn init_transactions(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.producer.init_transactions(timeout),
            "init transactions",
        )
        .await
    }

    /// Starts a transaction.
    pub fn begin_transaction(&self) -> Result<(), KafkaError> {
        self.inner
            .producer
            .begin_transaction()
            .map_err(|source| KafkaError::op("begin transaction", source))
    }

    /// Commits the current transaction (flushing its records first).
    pub async fn commit_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.producer.commit_transaction(timeout),
            "commit transaction",
        )
        .await
    }

    /// Aborts the current transaction.
    pub async fn abort_transaction(&self, timeout: Duration) -> Result<(), KafkaError> {
        let inner = self.inner.clone();
        blocking(
            move || inner.producer.abort_transaction(timeout),
            "abort transaction",
        )
        .await
    }
}

impl Client {
    /// Waits until librdkafka holds no record any more (each got its delivery report from the
    /// poll thread), or `timeout` passes.
    ///
    /// `rd_kafka_flush` itself, not rdkafka's `flush`: with the event API librdkafka's flush
    /// does not serve the queue but waits for the poll thread to, and it makes lingering
    /// records sendable at once for its whole duration (Java: `KafkaProducer#flush`).
    /// rdkafka's flush instead calls it with a zero timeout in a loop and serves the queue
    /// on the flushing thread as well, next to the poll thread.
    fn flush(&self, timeout: Duration) -> rdkafka::error::KafkaResult<()> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // Safety: the client is live for the call.
        let code: RDKafkaErrorCode = unsafe { rd::rd_kafka_flush(self.rk(), ms) }.into();
        match code {
            RDKafkaErrorCode::NoError => Ok(()),
            code => Err(rdkafka::error::KafkaError::Flush(code)),
        }
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
