//! Amazon S3 sink connector, compatible with Confluent's
//! `io.confluent.connect.s3.S3SinkConnector` (kafka-connect-storage-cloud 10.x–12.x):
//! the same configuration keys and defaults, the same object keys, and the same file
//! contents for `JsonFormat` and `ByteArrayFormat`, on any S3-compatible store.
//!
//! * [`config`]: the keys and their checks.
//! * [`partitioner`]: Default, Field, TimeBased, Hourly and Daily partitioners; [`joda`]
//!   formats their `path.format`.
//! * [`format`]: the record encodings.
//! * [`writer`]: rotation and multipart uploads per Kafka partition.
//! * [`storage`]: the S3 operations, on `aws-sdk-s3`, behind [`storage::ObjectStore`].
//! * [`task`]: the connector and task.
//!
//! Exactly once: object keys depend only on the topic, partition, encoded partition and
//! first offset; objects appear atomically when their multipart upload completes; the
//! task hands the worker only offsets of records inside completed objects, so a replay
//! after a crash rewrites the same objects with the same content.

pub mod avro;
pub mod config;
pub mod format;
pub mod joda;
pub mod partitioner;
pub mod storage;
pub mod task;
pub mod writer;

pub use task::{S3SinkConnector, S3SinkTask};

/// Java class name of the connector.
pub const CONNECTOR_CLASS: &str = "io.confluent.connect.s3.S3SinkConnector";
/// Java class name of the task.
pub const TASK_CLASS: &str = "io.confluent.connect.s3.S3SinkTask";
/// The version reported: Confluent's release line whose behaviour is reproduced, with an
/// rconnect suffix.
pub const VERSION: &str = "10.5.0-rconnect";
