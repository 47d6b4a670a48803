//! Records flowing through the worker (Java `ConnectRecord`, `SourceRecord`, `SinkRecord`).

use std::sync::Arc;

use crate::data::{Headers, SchemaRef, Value};
use crate::offset::OffsetMap;

/// A Kafka topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// How a consumed record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    #[default]
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}

/// The fields every record has; `M` carries what is specific to source or sink records.
///
/// Transformations receive records by value and return a new one, so "must not mutate
/// the input" holds by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord<M> {
    pub topic: String,
    /// `None` on a source record lets the producer's partitioner choose.
    pub kafka_partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    /// `Value::Null` is a tombstone.
    pub value: Value,
    /// Milliseconds since the epoch; `None` lets the producer assign it.
    pub timestamp: Option<i64>,
    pub headers: Headers,
    pub meta: M,
}

/// What a source record adds: where it came from in the source system.
///
/// The partition is shared (`Arc`): a task usually emits many records of one partition,
/// and cloning an `Arc` costs a counter increment where cloning the map costs several
/// allocations per record.
///
/// ```
/// use std::sync::Arc;
/// use rconnect_sdk::offset::OffsetMap;
/// use rconnect_sdk::record::SourceMeta;
/// let partition = Arc::new(OffsetMap::with_entry("filename", "/tmp/in.txt"));
/// let metas: Vec<SourceMeta> = (0..3)
///     .map(|i| SourceMeta {
///         source_partition: Some(partition.clone()),
///         source_offset: Some(OffsetMap::with_entry("position", i)),
///     })
///     .collect();
/// assert_eq!(Arc::strong_count(&partition), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceMeta {
    pub source_partition: Option<Arc<OffsetMap>>,
    pub source_offset: Option<OffsetMap>,
}

/// What a sink record adds: where it was consumed from.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkMeta {
    pub kafka_offset: i64,
    pub timestamp_type: TimestampType,
    /// Coordinates before any transformation (KIP-793); offsets committed for this record
    /// use these.
    pub original_topic: String,
    pub original_kafka_partition: i32,
    pub original_kafka_offset: i64,
}

/// A record produced by a source task.
///
/// ```
/// use rconnect_sdk::record::SourceRecord;
/// use rconnect_sdk::data::{Schema, Value};
/// use rconnect_sdk::offset::OffsetMap;
/// let partition = OffsetMap::with_entry("filename", "/tmp/in.txt");
/// let offset = OffsetMap::with_entry("position", 42);
/// let r = SourceRecord::new(Some(partition), Some(offset), "lines", Some(Schema::string()), Value::from("hello"));
/// assert_eq!(r.topic, "lines");
/// assert_eq!(r.kafka_partition, None);
/// ```
pub type SourceRecord = ConnectRecord<SourceMeta>;

/// A record consumed from Kafka and given to a sink task.
pub type SinkRecord = ConnectRecord<SinkMeta>;

impl SourceRecord {
    /// A source record with no key, partition, timestamp or headers.
    pub fn new(
        source_partition: Option<OffsetMap>,
        source_offset: Option<OffsetMap>,
        topic: impl Into<String>,
        value_schema: Option<SchemaRef>,
        value: Value,
    ) -> Self {
        ConnectRecord {
            topic: topic.into(),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema,
            value,
            timestamp: None,
            headers: Headers::new(),
            meta: SourceMeta {
                source_partition: source_partition.map(Arc::new),
                source_offset,
            },
        }
    }
}

/// Access to what differs between source and sink records, for transformations and
/// predicates that work on both (Java's `R extends ConnectRecord<R>`).
pub trait RecordMeta: Clone + Send + Sync + 'static {
    /// The consumed offset of a sink record; `None` for source records.
    fn kafka_offset(&self) -> Option<i64> {
        None
    }
    /// The record's kind, for messages.
    fn kind(&self) -> &'static str;
}

impl RecordMeta for SourceMeta {
    fn kind(&self) -> &'static str {
        "source"
    }
}

impl RecordMeta for SinkMeta {
    fn kafka_offset(&self) -> Option<i64> {
        Some(self.kafka_offset)
    }
    fn kind(&self) -> &'static str {
        "sink"
    }
}

impl<M: RecordMeta> ConnectRecord<M> {
    /// A copy with new routing and data, keeping the kind-specific metadata and the
    /// headers (Java `newRecord`).
    #[allow(clippy::too_many_arguments)]
    pub fn new_record(
        &self,
        topic: String,
        kafka_partition: Option<i32>,
        key_schema: Option<SchemaRef>,
        key: Value,
        value_schema: Option<SchemaRef>,
        value: Value,
        timestamp: Option<i64>,
    ) -> Self {
        ConnectRecord {
            topic,
            kafka_partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            headers: self.headers.clone(),
            meta: self.meta.clone(),
        }
    }
}

/// Where the broker stored a produced record, given to `SourceTask::commit_record`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}
