//! [`KafkaClients`] over `rconnect-kafka` (librdkafka): translates Java client configs
//! to librdkafka keys and maps the wrappers onto the task loops' seam.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use rconnect_config::{WorkerConfig, TASK_CONSUMER_DEFAULTS, TASK_PRODUCER_DEFAULTS};
use rconnect_kafka::rdkafka::types::RDKafkaErrorCode;
use rconnect_kafka::{
    Admin, Consumer, ConsumerEvent, KafkaConfig, KafkaError, Producer, SendError,
};
use rconnect_sdk::record::{TimestampType, Topic, TopicPartition};
use rconnect_sdk::Props;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::clients::{
    Ack, ConsumerClient, GroupOffsetsClient, GroupOffsetsError, InRecord, KafkaClients,
    NewTopicRequest, OutRecord, ProducerClient, Rebalance, SendFailure, TopicAdminClient,
    TopicCreated,
};

/// Makes librdkafka clients.
#[derive(Default)]
pub struct RdKafkaClients;

impl RdKafkaClients {
    pub fn new() -> Self {
        RdKafkaClients
    }

    /// The cluster id, as Java fetches it at startup (failure aborts start-up). Brokers
    /// that do not report one get `""`.
    pub async fn cluster_id(
        &self,
        config: &WorkerConfig,
        timeout: Duration,
    ) -> Result<String, String> {
        // Java hands the admin client every worker key and ignores the ones it does not know;
        // drop the worker's own keys first so only real client settings are translated.
        let worker_keys = WorkerConfig::config_def(config.mode);
        let props: Props = config
            .connector_admin_config("rconnect-worker-admin", &Props::new())
            .into_iter()
            .filter(|(k, _)| {
                k == "bootstrap.servers"
                    || k == "client.id"
                    || (worker_keys.key(k).is_none() && !is_worker_prefixed(k))
            })
            .collect();
        let admin = Admin::new(&translate("admin", &props)).map_err(|e| e.to_string())?;
        let id = admin.cluster_id(timeout).await.map_err(|e| e.to_string())?;
        Ok(id.unwrap_or_default())
    }
}

/// Keys configuring something other than the admin client itself.
fn is_worker_prefixed(key: &str) -> bool {
    [
        "key.converter.",
        "value.converter.",
        "header.converter.",
        "listeners.",
        "config.providers.",
        "rest.",
        "offset.storage.",
        "config.storage.",
        "status.storage.",
    ]
    .iter()
    .any(|p| key.starts_with(p))
}

/// Sets each of `defaults` the user's settings left unset.
fn set_defaults(kc: &mut KafkaConfig, defaults: &[(&str, &str)]) {
    for (k, v) in defaults {
        if kc.get(k).is_none() {
            kc.set(*k, *v);
        }
    }
}

/// Java client keys → librdkafka, warning once per client about keys without an equivalent.
fn translate(client: &str, java: &Props) -> KafkaConfig {
    translate_at(client, java, tracing::Level::WARN)
}

/// [`translate`], reporting the ignored keys at `level`.
fn translate_at(client: &str, java: &Props, level: tracing::Level) -> KafkaConfig {
    let (map, unsupported): (BTreeMap<String, String>, Vec<String>) =
        rconnect_config::to_librdkafka(java);
    if !unsupported.is_empty() {
        let keys = unsupported.join(", ");
        if level == tracing::Level::WARN {
            warn!("{client} settings with no librdkafka equivalent are ignored: {keys}");
        } else {
            debug!("{client} settings with no librdkafka equivalent are ignored: {keys}");
        }
    }
    KafkaConfig::from_map(map)
}

impl KafkaClients for RdKafkaClients {
    fn producer(
        &self,
        config: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String> {
        let mut kc = translate("producer", config);
        set_defaults(&mut kc, TASK_PRODUCER_DEFAULTS);
        let (tx, rx) = mpsc::unbounded_channel();
        // Reports go straight into the loop's channel, in its shape.
        let producer = Producer::with_delivery_callback(&kc, move |d| {
            let result = d
                .result
                .map(|r| (r.partition, r.offset))
                .map_err(|e| e.to_string());
            let _ = tx.send(Ack {
                token: d.token,
                result,
            });
        })
        .map_err(|e| e.to_string())?;
        Ok((Box::new(RdProducer(producer)), rx))
    }

    fn consumer(
        &self,
        config: &Props,
        topics: &[String],
        topics_regex: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String> {
        let mut kc = translate("consumer", config);
        set_defaults(&mut kc, TASK_CONSUMER_DEFAULTS);
        let (consumer, events) = Consumer::new(&kc).map_err(|e| e.to_string())?;
        match topics_regex {
            Some(re) => consumer.subscribe_regex(re),
            None => consumer.subscribe(topics),
        }
        .map_err(|e| e.to_string())?;
        Ok(Box::new(RdConsumer {
            consumer: Some(consumer),
            events,
            pending: Vec::new(),
        }))
    }

    fn group_offsets(&self, admin_config: &Props) -> Result<Box<dyn GroupOffsetsClient>, String> {
        // Like Java's, the config holds every un-prefixed worker key; most mean nothing to
        // librdkafka, and warning about them on every offsets request would only be noise.
        let config = translate_at("offsets admin client", admin_config, tracing::Level::DEBUG);
        let admin = Admin::new(&config).map_err(|e| e.to_string())?;
        Ok(Box::new(RdGroupOffsets(admin)))
    }

    fn topic_admin(&self, admin_config: &Props) -> Result<Box<dyn TopicAdminClient>, String> {
        // The config holds every un-prefixed worker key, as for the offsets admin client.
        let config = translate_at("topic admin client", admin_config, tracing::Level::DEBUG);
        let admin = Admin::new(&config).map_err(|e| e.to_string())?;
        Ok(Box::new(RdTopicAdmin(admin)))
    }
}

/// How long one topic creation request may take (Java's `TopicAdmin` waits for the
/// admin client's default API timeout, 60 s).
const TOPIC_ADMIN_TIMEOUT: Duration = Duration::from_secs(60);

struct RdTopicAdmin(Admin);

#[async_trait]
impl TopicAdminClient for RdTopicAdmin {
    async fn topic_exists(&self, topic: &str) -> Result<bool, String> {
        let counts = self
            .0
            .topic_partition_counts(Some(&[topic.to_string()]), TOPIC_ADMIN_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        Ok(counts.contains_key(topic))
    }

    async fn create_or_find(&self, topic: &NewTopicRequest) -> Result<TopicCreated, String> {
        let mut spec = rconnect_kafka::NewTopicSpec::new(
            &topic.name,
            topic.partitions,
            topic.replication_factor,
        );
        spec.configs = topic.configs.clone();
        match self.0.create_topic(&spec, TOPIC_ADMIN_TIMEOUT).await {
            Ok(rconnect_kafka::TopicCreation::Created) => Ok(TopicCreated::Created),
            Ok(rconnect_kafka::TopicCreation::AlreadyExists) => Ok(TopicCreated::Existing),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// How long one consumer-group admin request may take: less than the REST request timeout
/// (90 s), so that a slow broker is reported as such rather than as a REST timeout.
const GROUP_ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

struct RdGroupOffsets(Admin);

fn group_error(e: KafkaError) -> GroupOffsetsError {
    match e.code() {
        Some(
            RDKafkaErrorCode::UnknownMemberId
            | RDKafkaErrorCode::GroupSubscribedToTopic
            | RDKafkaErrorCode::NonEmptyGroup,
        ) => GroupOffsetsError::ActiveMembers(e.to_string()),
        _ => GroupOffsetsError::Failed(e.to_string()),
    }
}

#[async_trait]
impl GroupOffsetsClient for RdGroupOffsets {
    async fn list(&self, group: &str) -> Result<Vec<(TopicPartition, i64)>, GroupOffsetsError> {
        let offsets = self
            .0
            .list_group_offsets(group, GROUP_ADMIN_TIMEOUT)
            .await
            .map_err(group_error)?;
        Ok(offsets.iter().map(|(tp, o)| (to_sdk(tp), *o)).collect())
    }

    async fn alter(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<(), GroupOffsetsError> {
        let list: Vec<(rconnect_kafka::TopicPartition, i64)> =
            offsets.iter().map(|(tp, o)| (to_kafka(tp), *o)).collect();
        self.0
            .alter_group_offsets(group, &list, GROUP_ADMIN_TIMEOUT)
            .await
            .map_err(group_error)
    }

    async fn delete_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<(), GroupOffsetsError> {
        let list: Vec<rconnect_kafka::TopicPartition> = partitions.iter().map(to_kafka).collect();
        self.0
            .delete_group_offsets(group, &list, GROUP_ADMIN_TIMEOUT)
            .await
            .map_err(group_error)
    }

    async fn delete_group(&self, group: &str) -> Result<(), GroupOffsetsError> {
        self.0
            .delete_group(group, GROUP_ADMIN_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(group_error)
    }
}

struct RdProducer(Producer);

impl ProducerClient for RdProducer {
    fn send(&self, r: &OutRecord<'_>, token: u64) -> Result<(), SendFailure> {
        match self.0.send(
            r.topic,
            r.partition,
            r.key,
            r.value,
            r.timestamp,
            r.headers,
            token,
        ) {
            Ok(()) => Ok(()),
            // Both mean "not now": the loop waits for acks and sends the record again.
            Err(SendError::QueueFull) | Err(SendError::Retriable { .. }) => {
                Err(SendFailure::QueueFull)
            }
            Err(e @ SendError::Fatal { .. }) => Err(SendFailure::Fatal(e.to_string())),
        }
    }
}

struct RdConsumer {
    consumer: Option<Consumer>,
    events: mpsc::UnboundedReceiver<ConsumerEvent>,
    pending: Vec<Rebalance>,
}

fn to_sdk(tp: &rconnect_kafka::TopicPartition) -> TopicPartition {
    TopicPartition::new(tp.topic.clone(), tp.partition)
}

fn to_kafka(tp: &TopicPartition) -> rconnect_kafka::TopicPartition {
    rconnect_kafka::TopicPartition::new(tp.topic.clone(), tp.partition)
}

impl RdConsumer {
    fn consumer(&self) -> Result<&Consumer, String> {
        self.consumer
            .as_ref()
            .ok_or_else(|| "consumer is closed".to_string())
    }

    fn drain_events(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            match e {
                ConsumerEvent::Assigned(tps) => self
                    .pending
                    .push(Rebalance::Assigned(tps.iter().map(to_sdk).collect())),
                ConsumerEvent::Revoked { partitions, lost } => {
                    let tps: Vec<TopicPartition> = partitions.iter().map(to_sdk).collect();
                    if lost {
                        warn!("partitions lost (not committed): {tps:?}");
                    }
                    self.pending.push(Rebalance::Revoked(tps));
                }
                ConsumerEvent::RebalanceError(e) => warn!("rebalance error: {e}"),
                ConsumerEvent::CommitCompleted { result: Err(e), .. } => {
                    warn!("offset commit failed: {e}")
                }
                ConsumerEvent::CommitCompleted { .. } => {}
            }
        }
    }
}

#[async_trait]
impl ConsumerClient for RdConsumer {
    async fn poll_batch(&mut self, max: usize, timeout: Duration) -> Result<Vec<InRecord>, String> {
        let records = self
            .consumer()?
            .poll_batch(max, timeout)
            .await
            .map_err(|e| e.to_string())?;
        self.drain_events();
        Ok(records
            .into_iter()
            .map(|r| InRecord {
                topic: Topic::from(r.topic),
                partition: r.partition,
                offset: r.offset,
                key: r.key,
                value: r.value,
                timestamp: r.timestamp,
                timestamp_type: match r.timestamp_type {
                    rconnect_kafka::TimestampType::NoTimestampType => {
                        TimestampType::NoTimestampType
                    }
                    rconnect_kafka::TimestampType::CreateTime => TimestampType::CreateTime,
                    rconnect_kafka::TimestampType::LogAppendTime => TimestampType::LogAppendTime,
                },
                headers: r.headers,
            })
            .collect())
    }

    fn take_rebalances(&mut self) -> Vec<Rebalance> {
        self.drain_events();
        std::mem::take(&mut self.pending)
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), String> {
        let list: Vec<(rconnect_kafka::TopicPartition, i64)> =
            offsets.iter().map(|(tp, o)| (to_kafka(tp), *o)).collect();
        self.consumer()?
            .commit(&list, true)
            .await
            .map_err(|e| e.to_string())
    }

    fn position(&self, tp: &TopicPartition) -> Option<i64> {
        let c = self.consumer.as_ref()?;
        c.position()
            .ok()?
            .into_iter()
            .find(|(k, _)| k.topic == tp.topic && k.partition == tp.partition)
            .and_then(|(_, o)| o)
    }

    fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<(), String> {
        self.consumer()?
            .seek(&to_kafka(tp), offset)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    fn pause(&mut self, tps: &[TopicPartition]) -> Result<(), String> {
        let list: Vec<rconnect_kafka::TopicPartition> = tps.iter().map(to_kafka).collect();
        self.consumer()?.pause(&list).map_err(|e| e.to_string())
    }

    fn resume(&mut self, tps: &[TopicPartition]) -> Result<(), String> {
        let list: Vec<rconnect_kafka::TopicPartition> = tps.iter().map(to_kafka).collect();
        self.consumer()?.resume(&list).map_err(|e| e.to_string())
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        self.consumer
            .as_ref()
            .and_then(|c| c.assignment().ok())
            .map(|v| v.iter().map(to_sdk).collect())
            .unwrap_or_default()
    }

    async fn close(&mut self) {
        if let Some(c) = self.consumer.take() {
            c.close().await;
        }
    }
}
