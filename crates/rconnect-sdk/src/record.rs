//! Records flowing through the worker (Java `ConnectRecord`, `SourceRecord`, `SinkRecord`).

use std::sync::Arc;

use crate::data::{Headers, SchemaRef, Value};
use crate::offset::OffsetMap;

/// A Kafka topic and partition (Java `TopicPartition`): the one type naming a partition
/// from the Kafka client (`rconnect-kafka` re-exports it) up to connectors.
///
/// ```
/// use rconnect_sdk::record::TopicPartition;
/// let tp = TopicPartition::new("orders", 3);
/// assert_eq!(tp.to_string(), "orders-3");
/// assert!(tp < TopicPartition::new("orders", 10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number.
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

/// A record's topic name. Cloning it is a reference-count increment: the records of a
/// task usually share one or a few topics, and a string copy per record (and its free)
/// was a measurable part of the worker's cost per record.
///
/// It reads as a `&str` (`Deref`), compares with strings, and is made from `String` or
/// `&str` with `into()`.
///
/// ```
/// use rconnect_sdk::record::Topic;
/// let t: Topic = "orders".into();
/// let u = t.clone();
/// assert_eq!(u, "orders");
/// assert!(t.starts_with("ord"));
/// assert_eq!(format!("{t}-0"), "orders-0");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Topic(Arc<str>);

impl Topic {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Topic {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for Topic {
    fn from(s: String) -> Self {
        Topic(s.into())
    }
}

impl From<&str> for Topic {
    fn from(s: &str) -> Self {
        Topic(s.into())
    }
}

impl From<Arc<str>> for Topic {
    fn from(s: Arc<str>) -> Self {
        Topic(s)
    }
}

impl From<&String> for Topic {
    fn from(s: &String) -> Self {
        Topic(s.as_str().into())
    }
}

/// The topic's name as a string value that shares the topic's allocation (what
/// `InsertField`'s `topic.field` puts into every record).
impl From<&Topic> for crate::data::Text {
    fn from(t: &Topic) -> Self {
        crate::data::Text::from(&t.0)
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> Self {
        t.0.to_string()
    }
}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Topic {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Topic> for str {
    fn eq(&self, other: &Topic) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Topic> for &str {
    fn eq(&self, other: &Topic) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Topic> for String {
    fn eq(&self, other: &Topic) -> bool {
        **self == *other.0
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
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
/// Transformations own the record they rewrite (by value, or in place through
/// `Transformation::apply_mut` on the worker's copy); where Java keeps the original record
/// (`commitRecord`, error reports), the worker keeps a clone of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord<M> {
    pub topic: Topic,
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
    pub original_topic: Topic,
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
        topic: impl Into<Topic>,
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
    /// What Java's `SourceRecord.toString()` / `SinkRecord.toString()` print before the
    /// `ConnectRecord{...}` part, for messages that quote a whole record (Java
    /// `TimestampRouter`).
    fn java_string(&self) -> String {
        String::new()
    }
}

/// A source partition or offset as Java's `Map.toString()` prints it: `{k=v, k2=v2}`.
fn java_map_string(m: Option<&OffsetMap>) -> String {
    let Some(m) = m else {
        return "null".into();
    };
    let entries: Vec<String> = m
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

impl RecordMeta for SourceMeta {
    fn kind(&self) -> &'static str {
        "source"
    }
    fn java_string(&self) -> String {
        format!(
            "SourceRecord{{sourcePartition={}, sourceOffset={}}}",
            java_map_string(self.source_partition.as_deref()),
            java_map_string(self.source_offset.as_ref())
        )
    }
}

impl RecordMeta for SinkMeta {
    fn kafka_offset(&self) -> Option<i64> {
        Some(self.kafka_offset)
    }
    fn kind(&self) -> &'static str {
        "sink"
    }
    fn java_string(&self) -> String {
        let t = match self.timestamp_type {
            TimestampType::NoTimestampType => "NoTimestampType",
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        };
        format!(
            "SinkRecord{{kafkaOffset={}, timestampType={t}, originalTopic={}, originalKafkaPartition={}, originalKafkaOffset={}}}",
            self.kafka_offset, self.original_topic, self.original_kafka_partition, self.original_kafka_offset
        )
    }
}

impl<M: RecordMeta> ConnectRecord<M> {
    /// A copy with new routing and data, keeping the kind-specific metadata and the
    /// headers (Java `newRecord`).
    #[allow(clippy::too_many_arguments)]
    pub fn new_record(
        &self,
        topic: impl Into<Topic>,
        kafka_partition: Option<i32>,
        key_schema: Option<SchemaRef>,
        key: Value,
        value_schema: Option<SchemaRef>,
        value: Value,
        timestamp: Option<i64>,
    ) -> Self {
        ConnectRecord {
            topic: topic.into(),
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
    pub topic: Topic,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}
