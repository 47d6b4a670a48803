//! Kafka client settings of the internal logs, from the worker config (worker.md §3.3,
//! internals.md §1).

use std::time::Duration;

use rconnect_config::worker::ExactlyOnceSourceSupport;
use rconnect_config::{to_librdkafka, DistributedSettings, WorkerConfig};
use rconnect_kafka::KafkaConfig;
use rconnect_sdk::Props;

use crate::{LogConfig, StorageError};

/// How long a store waits for its topic and its first read at startup.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// One of the three internal topics of a distributed worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalTopic {
    /// `config.storage.topic`.
    Config,
    /// `offset.storage.topic`.
    Offsets,
    /// `status.storage.topic`.
    Status,
}

impl InternalTopic {
    /// The client id suffix: `configs`, `offsets` or `statuses`.
    pub fn client_id_suffix(self) -> &'static str {
        match self {
            InternalTopic::Config => "configs",
            InternalTopic::Offsets => "offsets",
            InternalTopic::Status => "statuses",
        }
    }

    /// The topic name configured for it.
    pub fn topic(self, settings: &DistributedSettings) -> &str {
        match self {
            InternalTopic::Config => &settings.config_storage_topic,
            InternalTopic::Offsets => &settings.offset_storage_topic,
            InternalTopic::Status => &settings.status_storage_topic,
        }
    }
}

/// librdkafka keys that only mean something to consumers.
const CONSUMER_ONLY: &[&str] = &[
    "group.id",
    "group.instance.id",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "isolation.level",
    "auto.offset.reset",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "fetch.wait.max.ms",
    "max.partition.fetch.bytes",
    "check.crcs",
    "partition.assignment.strategy",
];

/// librdkafka keys that only mean something to producers.
const PRODUCER_ONLY: &[&str] = &[
    "acks",
    "linger.ms",
    "batch.size",
    "compression.type",
    "enable.idempotence",
    "transactional.id",
    "transaction.timeout.ms",
    "message.send.max.retries",
    "delivery.timeout.ms",
    "queue.buffering.max.kbytes",
];

pub(crate) fn distributed(worker: &WorkerConfig) -> Result<&DistributedSettings, StorageError> {
    worker.distributed.as_ref().ok_or_else(|| {
        StorageError::Config(
            "Kafka-backed internal topics need a distributed worker configuration".into(),
        )
    })
}

/// The worker's own client settings, translated: `bootstrap.servers` and every worker key
/// without a `producer.`/`consumer.`/`admin.` prefix, as Java passes `originals()` to the
/// internal clients. Keys librdkafka does not know are left out (logged at debug level:
/// most are worker-only keys such as converters).
fn base_props(worker: &WorkerConfig) -> KafkaConfig {
    let mut props = Props::new();
    for (k, v) in worker.originals() {
        if !(k.starts_with("producer.") || k.starts_with("consumer.") || k.starts_with("admin.")) {
            props.insert(k.clone(), v.clone());
        }
    }
    props.insert(
        "bootstrap.servers".into(),
        worker.bootstrap_servers.join(","),
    );
    let (translated, dropped) = to_librdkafka(&props);
    if !dropped.is_empty() {
        tracing::debug!(
            ?dropped,
            "worker keys not passed to the internal Kafka clients"
        );
    }
    KafkaConfig::from_map(translated)
}

fn without(mut config: KafkaConfig, keys: &[&str]) -> KafkaConfig {
    for k in keys {
        config.remove(k);
    }
    config
}

/// The shared admin client of the internal stores: client id `<base>shared-admin`.
pub(crate) fn admin_config(worker: &WorkerConfig) -> Result<KafkaConfig, StorageError> {
    let settings = distributed(worker)?;
    Ok(without(base_props(worker), CONSUMER_ONLY).with(
        "client.id",
        format!("{}shared-admin", settings.internal_client_id_base()),
    ))
}

/// The clients of one internal topic: client id `<group.id>-[<client.id>-]<suffix>`;
/// producer with `acks=all`, idempotence off, `delivery.timeout.ms=Integer.MAX_VALUE` and
/// one request in flight (so retried sends keep their order); consumer reading
/// uncommitted records (committed only, for the config topic with
/// `exactly.once.source.support=enabled`).
pub fn internal_log_config(
    worker: &WorkerConfig,
    which: InternalTopic,
) -> Result<LogConfig, StorageError> {
    let settings = distributed(worker)?;
    let client_id = format!(
        "{}{}",
        settings.internal_client_id_base(),
        which.client_id_suffix()
    );
    let base = base_props(worker).with("client.id", client_id.clone());
    let producer = without(base.clone(), CONSUMER_ONLY)
        .with("acks", "all")
        .with("enable.idempotence", "false")
        .with("delivery.timeout.ms", "2147483647")
        .with("max.in.flight", "1");
    let read_committed = which == InternalTopic::Config
        && settings.exactly_once_source_support == ExactlyOnceSourceSupport::Enabled;
    let consumer = without(base, PRODUCER_ONLY)
        .with("group.id", format!("{client_id}-reader"))
        .with(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        );
    Ok(LogConfig {
        topic: which.topic(settings).to_string(),
        producer,
        consumer,
        admin: admin_config(worker)?,
        start_timeout: START_TIMEOUT,
    })
}
