//! The runtime's view of Kafka: just what the task loops need, so the loops do not
//! depend on how a client library spells it. `kafka_adapter` implements it over
//! `rconnect-kafka`.

use std::time::Duration;

use async_trait::async_trait;
use rconnect_sdk::record::{TimestampType, Topic, TopicPartition};
use rconnect_sdk::Props;
use tokio::sync::mpsc;

/// A record ready to produce, borrowed from the converted record (no copy on the way).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutRecord<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub timestamp: Option<i64>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// The broker's answer for one sent record.
#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    pub token: u64,
    /// `(partition, offset)` or the error text.
    pub result: Result<(i32, i64), String>,
}

/// Why a send did not even get queued.
#[derive(Debug)]
pub enum SendFailure {
    /// The local queue is full: wait for acks and send the record again.
    QueueFull,
    /// The record can never be sent (too large, unknown topic in strict mode, ...).
    Fatal(String),
}

/// A producer sending records asynchronously; acks arrive on the receiver returned
/// beside it, tagged with the token given to `send`.
pub trait ProducerClient: Send + Sync {
    fn send(&self, record: &OutRecord<'_>, token: u64) -> Result<(), SendFailure>;
}

/// A consumed record.
#[derive(Debug, Clone, PartialEq)]
pub struct InRecord {
    pub topic: Topic,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// A group rebalance as the sink loop sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rebalance {
    Assigned(Vec<TopicPartition>),
    Revoked(Vec<TopicPartition>),
}

/// A group consumer with manual commits.
#[async_trait]
pub trait ConsumerClient: Send {
    /// Up to `max` records, waiting at most `timeout` for the first.
    async fn poll_batch(&mut self, max: usize, timeout: Duration) -> Result<Vec<InRecord>, String>;
    /// Rebalances seen since the last call, in order.
    fn take_rebalances(&mut self) -> Vec<Rebalance>;
    /// Commits next-offsets-to-consume.
    async fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), String>;
    /// The current position (next offset) of assigned partitions, where known.
    fn position(&self, tp: &TopicPartition) -> Option<i64>;
    fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<(), String>;
    fn pause(&mut self, tps: &[TopicPartition]) -> Result<(), String>;
    fn resume(&mut self, tps: &[TopicPartition]) -> Result<(), String>;
    fn assignment(&self) -> Vec<TopicPartition>;
    /// Leaves the group and closes.
    async fn close(&mut self);
}

/// Why a consumer-group offsets operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GroupOffsetsError {
    /// The group still has members (the broker's `UNKNOWN_MEMBER_ID`,
    /// `GROUP_SUBSCRIBED_TO_TOPIC` or `NON_EMPTY_GROUP`), e.g. sink tasks not stopped yet.
    #[error("the consumer group has active members: {0}")]
    ActiveMembers(String),
    /// Anything else (unreachable broker, timeout, unsupported request, ...).
    #[error("{0}")]
    Failed(String),
}

/// A sink connector's consumer-group offsets, as Java's `Admin` reads and changes them for
/// the offsets REST API. Offsets are next offsets to consume.
#[async_trait]
pub trait GroupOffsetsClient: Send + Sync {
    /// Every committed offset of `group`.
    async fn list(&self, group: &str) -> Result<Vec<(TopicPartition, i64)>, GroupOffsetsError>;
    /// Commits `offsets` for `group`; refused while the group has members.
    async fn alter(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<(), GroupOffsetsError>;
    /// Deletes the committed offsets of `partitions`. This may rewrite the group's other
    /// offsets, so it must not run concurrently with [`GroupOffsetsClient::alter`].
    async fn delete_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<(), GroupOffsetsError>;
    /// Deletes the group with all its offsets; a group that does not exist is no error.
    async fn delete_group(&self, group: &str) -> Result<(), GroupOffsetsError>;
}

/// A topic a source task asks to create (Java's `NewTopic` built by
/// `TopicCreationGroup#newTopic`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicRequest {
    pub name: String,
    /// `-1` for the broker's default.
    pub partitions: i32,
    /// `-1` for the broker's default.
    pub replication_factor: i16,
    pub configs: std::collections::BTreeMap<String, String>,
}

/// What a create request found (Java's `TopicAdmin.TopicCreationResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicCreated {
    Created,
    /// The topic existed already (created meanwhile by someone else).
    Existing,
}

/// The admin operations of source topic creation (Java's `TopicAdmin#describeTopics` and
/// `#createOrFindTopics`).
#[async_trait]
pub trait TopicAdminClient: Send + Sync {
    /// Whether `topic` exists.
    async fn topic_exists(&self, topic: &str) -> Result<bool, String>;
    /// Creates the topic, or reports that it exists.
    async fn create_or_find(&self, topic: &NewTopicRequest) -> Result<TopicCreated, String>;
}

/// Makes clients from Java-style client configs (already layered by the worker).
pub trait KafkaClients: Send + Sync {
    fn producer(
        &self,
        config: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String>;
    fn consumer(
        &self,
        config: &Props,
        topics: &[String],
        topics_regex: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String>;
    /// A client for consumer-group offsets, made from an admin client config.
    fn group_offsets(&self, admin_config: &Props) -> Result<Box<dyn GroupOffsetsClient>, String>;
    /// A client for source topic creation, made from an admin client config. Client sets
    /// that cannot create topics (test doubles of the other operations) answer an error,
    /// which fails only tasks configured with `topic.creation.*`.
    fn topic_admin(&self, admin_config: &Props) -> Result<Box<dyn TopicAdminClient>, String> {
        let _ = admin_config;
        Err("this Kafka client set cannot create topics".to_string())
    }
}
