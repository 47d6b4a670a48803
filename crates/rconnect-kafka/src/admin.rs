//! Admin operations: topics, metadata, cluster id, end offsets.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer as _, ConsumerContext};
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::context::tracing_client_context;
use crate::{KafkaConfig, KafkaError, TopicPartition};

mod group;
pub use group::GroupDeletion;

struct AdminContext;
tracing_client_context!(AdminContext, "admin client");

struct ProbeContext;
tracing_client_context!(ProbeContext, "end-offset probe");
impl ConsumerContext for ProbeContext {}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    /// Topic name.
    pub name: String,
    /// Partition count; `-1` asks for the broker default (KIP-464, as Connect's
    /// `topic.creation.default.partitions=-1`).
    pub partitions: i32,
    /// Replication factor; `-1` asks for the broker default.
    pub replication_factor: i16,
    /// Topic configs, e.g. `cleanup.policy=compact`.
    pub configs: BTreeMap<String, String>,
}

impl NewTopicSpec {
    /// A topic with the given name, partitions and replication factor and no configs.
    pub fn new(name: impl Into<String>, partitions: i32, replication_factor: i16) -> Self {
        NewTopicSpec {
            name: name.into(),
            partitions,
            replication_factor,
            configs: BTreeMap::new(),
        }
    }

    /// Adds a topic config.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.insert(key.into(), value.into());
        self
    }
}

/// Outcome of creating one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicCreation {
    /// The topic was created.
    Created,
    /// The topic existed already (not an error, as in Connect's `TopicAdmin`).
    AlreadyExists,
}

/// An admin client. Cheap to clone.
#[derive(Clone)]
pub struct Admin {
    inner: Arc<AdminClient<AdminContext>>,
    config: KafkaConfig,
}

impl Admin {
    /// Creates the client. Start from [`KafkaConfig::admin`].
    ///
    /// Sets `allow.auto.create.topics=false` unless the config sets it: librdkafka's admin
    /// client is a producer underneath, whose metadata requests would otherwise ask the broker
    /// to create every topic they look up (tansu does so), unlike Java's `Admin`.
    pub fn new(config: &KafkaConfig) -> Result<Admin, KafkaError> {
        let mut config = config.clone();
        if config.get("allow.auto.create.topics").is_none() {
            config.set("allow.auto.create.topics", "false");
        }
        let inner = config
            .client_config()
            .create_with_context(AdminContext)
            .map_err(|source| KafkaError::ClientCreation {
                client: "admin client",
                source,
            })?;
        Ok(Admin {
            inner: Arc::new(inner),
            config,
        })
    }

    /// The admin client's connection settings (brokers, client id, security), for the
    /// helper consumers some operations need.
    fn connection_config(&self) -> KafkaConfig {
        let mut config = KafkaConfig::new();
        for key in ["bootstrap.servers", "security.protocol", "client.id"] {
            if let Some(v) = self.config.get(key) {
                config.set(key, v);
            }
        }
        for (k, v) in self.config.props() {
            if k.starts_with("sasl.") || k.starts_with("ssl.") {
                config.set(k.clone(), v.clone());
            }
        }
        config
    }

    fn options(timeout: Duration) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(timeout))
            .operation_timeout(Some(timeout))
    }

    /// Creates topics; a topic that exists already is reported as
    /// [`TopicCreation::AlreadyExists`], any other per-topic failure is an error.
    pub async fn create_topics(
        &self,
        topics: &[NewTopicSpec],
        timeout: Duration,
    ) -> Result<Vec<(String, TopicCreation)>, KafkaError> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let new_topics: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|spec| {
                let mut topic = NewTopic::new(
                    &spec.name,
                    spec.partitions,
                    TopicReplication::Fixed(i32::from(spec.replication_factor)),
                );
                for (k, v) in &spec.configs {
                    topic = topic.set(k, v);
                }
                topic
            })
            .collect();
        let results = self
            .inner
            .create_topics(new_topics.iter(), &Self::options(timeout))
            .await
            .map_err(|source| {
                let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
                KafkaError::op(format!("CreateTopics of {names:?}"), source)
            })?;
        results
            .into_iter()
            .map(|result| match result {
                Ok(name) => Ok((name, TopicCreation::Created)),
                Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    Ok((name, TopicCreation::AlreadyExists))
                }
                Err((topic, code)) => Err(KafkaError::Topic {
                    operation: "CreateTopics",
                    topic,
                    code,
                }),
            })
            .collect()
    }

    /// Creates one topic (see [`Admin::create_topics`]).
    pub async fn create_topic(
        &self,
        topic: &NewTopicSpec,
        timeout: Duration,
    ) -> Result<TopicCreation, KafkaError> {
        let mut results = self
            .create_topics(std::slice::from_ref(topic), timeout)
            .await?;
        results.pop().map(|(_, outcome)| outcome).ok_or_else(|| {
            KafkaError::Internal(format!(
                "CreateTopics returned no result for {}",
                topic.name
            ))
        })
    }

    /// Deletes topics; a topic that does not exist is not an error.
    pub async fn delete_topics(
        &self,
        names: &[String],
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let results = self
            .inner
            .delete_topics(&refs, &Self::options(timeout))
            .await
            .map_err(|source| KafkaError::op("DeleteTopics", source))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                Err((topic, code)) => {
                    return Err(KafkaError::Topic {
                        operation: "DeleteTopics",
                        topic,
                        code,
                    })
                }
            }
        }
        Ok(())
    }

    /// The cluster id from metadata, None if the broker reports none. Tansu reports its
    /// `--cluster-id` (default `tansu_cluster`).
    pub async fn cluster_id(&self, timeout: Duration) -> Result<Option<String>, KafkaError> {
        let inner = self.inner.clone();
        let id = tokio::task::spawn_blocking(move || inner.inner().fetch_cluster_id(timeout))
            .await
            .map_err(|e| KafkaError::Internal(e.to_string()))?;
        if id.is_none() {
            // librdkafka answers None both for "no id" and for "no metadata yet"; tell them
            // apart with a metadata request.
            self.topic_partition_counts(None, timeout).await?;
        }
        Ok(id)
    }

    /// Partition counts of `topics` (of all topics when None). Topics that do not exist are
    /// left out of the map.
    pub async fn topic_partition_counts(
        &self,
        topics: Option<&[String]>,
        timeout: Duration,
    ) -> Result<BTreeMap<String, usize>, KafkaError> {
        let inner = self.inner.clone();
        let wanted: Option<Vec<String>> = topics.map(<[String]>::to_vec);
        tokio::task::spawn_blocking(move || {
            let client = inner.inner();
            let mut counts = BTreeMap::new();
            let mut record = |md: rdkafka::metadata::Metadata| {
                for t in md.topics() {
                    if t.error().is_none() && !t.partitions().is_empty() {
                        counts.insert(t.name().to_string(), t.partitions().len());
                    }
                }
            };
            match &wanted {
                None => record(
                    client
                        .fetch_metadata(None, timeout)
                        .map_err(|source| KafkaError::op("metadata request", source))?,
                ),
                Some(names) => {
                    for name in names {
                        record(
                            client
                                .fetch_metadata(Some(name), timeout)
                                .map_err(|source| {
                                    KafkaError::op(
                                        format!("metadata request for topic '{name}'"),
                                        source,
                                    )
                                })?,
                        )
                    }
                }
            }
            Ok(counts)
        })
        .await
        .map_err(|e| KafkaError::Internal(e.to_string()))?
    }

    /// A topic's configs as the broker describes them (value None when the broker hides it,
    /// e.g. a sensitive value). Apache Kafka answers an error for a missing topic; tansu
    /// answers an empty list.
    pub async fn describe_topic_config(
        &self,
        topic: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, Option<String>>, KafkaError> {
        let results = self
            .inner
            .describe_configs([&ResourceSpecifier::Topic(topic)], &Self::options(timeout))
            .await
            .map_err(|source| {
                KafkaError::op(format!("DescribeConfigs of topic '{topic}'"), source)
            })?;
        let resource = results
            .into_iter()
            .next()
            .ok_or_else(|| {
                KafkaError::Internal(format!("DescribeConfigs of '{topic}' returned nothing"))
            })?
            .map_err(|code| KafkaError::Topic {
                operation: "DescribeConfigs",
                topic: topic.to_string(),
                code,
            })?;
        Ok(resource
            .entries
            .into_iter()
            .map(|e| (e.name, e.value))
            .collect())
    }

    /// Log end offsets (high watermarks) of the partitions.
    ///
    /// Correct on tansu, whose ListOffsets(LATEST) answers the base offset of the last
    /// record batch + 1: for every non-empty partition the last batch is fetched once and the
    /// high watermark of that Fetch response (which tansu gets right) is used. On Apache Kafka
    /// the two agree, and the extra fetch costs one round trip. Blocks a helper thread for up
    /// to `timeout`.
    pub async fn end_offsets(
        &self,
        partitions: &[TopicPartition],
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, i64)>, KafkaError> {
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        let mut config = self.connection_config();
        // assign() needs a group id; the group is never joined and nothing is committed.
        config
            .set("group.id", "rconnect-end-offset-probe")
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_uncommitted");
        let partitions = partitions.to_vec();
        let admin = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            probe_end_offsets(&admin, &config, &partitions, timeout)
        })
        .await
        .map_err(|e| KafkaError::Internal(e.to_string()))?
    }
}

fn probe_end_offsets(
    admin: &AdminClient<AdminContext>,
    config: &KafkaConfig,
    partitions: &[TopicPartition],
    timeout: Duration,
) -> Result<Vec<(TopicPartition, i64)>, KafkaError> {
    let deadline = std::time::Instant::now() + timeout;
    let remaining = || deadline.saturating_duration_since(std::time::Instant::now());
    let mut listed = Vec::with_capacity(partitions.len());
    for tp in partitions {
        let (_, high) = admin
            .inner()
            .fetch_watermarks(&tp.topic, tp.partition, remaining())
            .map_err(|source| KafkaError::op(format!("ListOffsets of {tp}"), source))?;
        listed.push(high);
    }
    let mut tpl = TopicPartitionList::new();
    for (tp, high) in partitions.iter().zip(&listed) {
        if *high > 0 {
            tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(high - 1))
                .map_err(|source| KafkaError::op(format!("assign {tp}"), source))?;
        }
    }
    if tpl.count() == 0 {
        return Ok(partitions.iter().cloned().zip(listed).collect());
    }
    // A separate consumer whose only requests are these fetches, so its cached watermarks
    // come from Fetch responses.
    let consumer: BaseConsumer<ProbeContext> = config
        .client_config()
        .create_with_context(ProbeContext)
        .map_err(|source| KafkaError::ClientCreation {
            client: "consumer",
            source,
        })?;
    consumer
        .assign(&tpl)
        .map_err(|source| KafkaError::op("assign for end-offset probe", source))?;
    let mut fetched: Vec<Option<i64>> = vec![None; partitions.len()];
    // tansu's high watermark seems to lag an acknowledged write for a moment (seen once on a
    // loaded machine); the offsets of the records a Fetch returned are a bound it cannot lag.
    let mut seen_end: Vec<i64> = vec![0; partitions.len()];
    loop {
        for (i, (tp, high)) in partitions.iter().zip(&listed).enumerate() {
            if *high > 0 && fetched[i].is_none() {
                fetched[i] = cached_high_watermark(&consumer, tp);
            }
        }
        let done = listed
            .iter()
            .zip(&fetched)
            .all(|(high, f)| *high <= 0 || f.is_some());
        if done {
            // The records of the Fetch responses that carried those watermarks are queued.
            while note_record(partitions, consumer.poll(Duration::ZERO), &mut seen_end) {}
            break;
        }
        if remaining().is_zero() {
            return Err(KafkaError::Timeout {
                operation: "end offsets".into(),
                timeout_ms: timeout.as_millis(),
            });
        }
        note_record(
            partitions,
            consumer.poll(remaining().min(Duration::from_millis(100))),
            &mut seen_end,
        );
    }
    Ok(partitions
        .iter()
        .zip(listed.iter().zip(fetched).zip(seen_end))
        .map(|(tp, ((high, f), seen))| (tp.clone(), f.unwrap_or(*high).max(*high).max(seen)))
        .collect())
}

/// Raises `seen_end` of the record's partition to its offset + 1; true only when the poll
/// returned a record (so draining stops at the first error or empty poll).
fn note_record(
    partitions: &[TopicPartition],
    polled: Option<rdkafka::error::KafkaResult<BorrowedMessage<'_>>>,
    seen_end: &mut [i64],
) -> bool {
    match polled {
        Some(Ok(m)) => {
            if let Some(i) = partitions
                .iter()
                .position(|tp| tp.partition == m.partition() && tp.topic == m.topic())
            {
                seen_end[i] = seen_end[i].max(m.offset() + 1);
            }
            true
        }
        Some(Err(e)) => {
            tracing::debug!(%e, "end-offset probe");
            false
        }
        None => false,
    }
}

/// The high watermark of the last Fetch response for `tp`, if any.
fn cached_high_watermark(
    consumer: &BaseConsumer<ProbeContext>,
    tp: &TopicPartition,
) -> Option<i64> {
    let topic = std::ffi::CString::new(tp.topic.as_str()).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: valid client pointer and C string; the out-pointers point to live locals.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            tp.partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}
