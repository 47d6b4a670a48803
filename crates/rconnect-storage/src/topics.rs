//! Creation and checks of the internal topics at startup (internals.md §1).

use std::time::Duration;

use rconnect_config::WorkerConfig;
use rconnect_kafka::{Admin, NewTopicSpec, TopicCreation};

use crate::clients::{admin_config, distributed};
use crate::StorageError;

const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

struct Wanted {
    spec: NewTopicSpec,
    /// The worker key naming the topic, for error messages.
    worker_key: &'static str,
    /// What the topic holds, for error messages (Java's wording).
    purpose: &'static str,
}

/// `<prefix>.storage.*` topic settings: prefix removed, without `topic`,
/// `replication.factor`, `partitions` and `cleanup.policy` (always `compact`), as Java's
/// `DistributedConfig.topicSettings`.
fn topic_settings(worker: &WorkerConfig, prefix: &str) -> Vec<(String, String)> {
    let mut settings = worker.originals_with_prefix(prefix);
    if prefix == "config.storage." {
        if let Some(p) = settings.get("partitions") {
            tracing::warn!("Ignoring '{prefix}partitions={p}' setting, since config topic partitions is always 1");
        }
    }
    if let Some(policy) = settings.remove("cleanup.policy") {
        tracing::warn!(
            "Ignoring '{prefix}cleanup.policy={policy}' setting, since compaction is always used"
        );
    }
    for k in ["topic", "replication.factor", "partitions"] {
        settings.remove(k);
    }
    settings.into_iter().collect()
}

fn spec(
    name: &str,
    partitions: i32,
    replication_factor: i16,
    extra: Vec<(String, String)>,
) -> NewTopicSpec {
    let mut spec = NewTopicSpec::new(name, partitions, replication_factor);
    for (k, v) in extra {
        spec = spec.config(k, v);
    }
    spec.config("cleanup.policy", "compact")
}

/// Creates the config (1 partition), offsets and status topics when missing, compacted and
/// with the `<config|offset|status>.storage.*` topic settings and replication factors
/// (`-1` = broker default). For topics that existed already: the config topic must have
/// exactly one partition, and a cleanup policy other than exactly `compact` is an error;
/// when the broker describes no configs (tansu does that for some builds, Java's "older
/// broker or no permission" case) the policy check is skipped with a log line. Errors carry
/// Java's `ConfigException` messages.
pub async fn ensure_internal_topics(worker: &WorkerConfig) -> Result<(), StorageError> {
    let settings = distributed(worker)?;
    let admin = Admin::new(&admin_config(worker)?)
        .map_err(|e| StorageError::kafka("admin client for the internal topics", e))?;
    let wanted = [
        Wanted {
            spec: spec(
                &settings.config_storage_topic,
                1,
                settings.config_storage_replication_factor,
                topic_settings(worker, "config.storage."),
            ),
            worker_key: "config.storage.topic",
            purpose: "connector configurations",
        },
        Wanted {
            spec: spec(
                &settings.offset_storage_topic,
                settings.offset_storage_partitions,
                settings.offset_storage_replication_factor,
                topic_settings(worker, "offset.storage."),
            ),
            worker_key: "offset.storage.topic",
            purpose: "source connector offsets",
        },
        Wanted {
            spec: spec(
                &settings.status_storage_topic,
                settings.status_storage_partitions,
                settings.status_storage_replication_factor,
                topic_settings(worker, "status.storage."),
            ),
            worker_key: "status.storage.topic",
            purpose: "connector and task statuses",
        },
    ];
    for w in &wanted {
        let outcome = admin
            .create_topic(&w.spec, ADMIN_TIMEOUT)
            .await
            .map_err(|e| StorageError::kafka(format!("creating topic '{}'", w.spec.name), e))?;
        match outcome {
            TopicCreation::Created => {
                tracing::info!(topic = %w.spec.name, partitions = w.spec.partitions, "created internal topic")
            }
            TopicCreation::AlreadyExists => verify_cleanup_policy(&admin, w).await?,
        }
    }
    let config_topic = &settings.config_storage_topic;
    let counts = admin
        .topic_partition_counts(Some(std::slice::from_ref(config_topic)), ADMIN_TIMEOUT)
        .await
        .map_err(|e| StorageError::kafka(format!("metadata of topic '{config_topic}'"), e))?;
    if let Some(n) = counts.get(config_topic) {
        check_config_partitions(config_topic, *n)?;
    }
    Ok(())
}

/// Java's check that the config topic has a single partition.
pub(crate) fn check_config_partitions(topic: &str, partitions: usize) -> Result<(), StorageError> {
    if partitions > 1 {
        return Err(StorageError::Config(format!(
            "Topic '{topic}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found {partitions} partitions."
        )));
    }
    Ok(())
}

async fn verify_cleanup_policy(admin: &Admin, w: &Wanted) -> Result<(), StorageError> {
    let topic = &w.spec.name;
    let configs = match admin.describe_topic_config(topic, ADMIN_TIMEOUT).await {
        Ok(configs) => configs,
        Err(e) => {
            tracing::info!(topic = %topic, error = %e, "Unable to use admin client to verify the cleanup policy of the topic");
            return Ok(());
        }
    };
    let policies: Vec<String> = configs
        .get("cleanup.policy")
        .cloned()
        .flatten()
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    check_cleanup_policy(topic, w.worker_key, w.purpose, &policies)
}

/// Java's `verifyTopicCleanupPolicyOnlyCompact`: an empty list means "cannot tell".
pub(crate) fn check_cleanup_policy(
    topic: &str,
    worker_key: &str,
    purpose: &str,
    policies: &[String],
) -> Result<(), StorageError> {
    if policies.is_empty() {
        tracing::info!("Unable to use admin client to verify the cleanup policy of '{topic}' topic is 'compact', either because the broker is an older version or because the Kafka principal used for Connect internal topics does not have the required permission to describe topic configurations.");
        return Ok(());
    }
    let mut unique: Vec<&str> = policies.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    if unique != ["compact"] {
        let found = unique.join(",");
        return Err(StorageError::Config(format!(
            "Topic '{topic}' supplied via the '{worker_key}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of {purpose}, but found the topic currently has 'cleanup.policy={found}'. Continuing would likely result in eventually losing {purpose} and problems restarting this Connect cluster in the future. Change the '{worker_key}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_policy_rules() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_cleanup_policy("t", "offset.storage.topic", "x", &p(&[])).is_ok());
        assert!(check_cleanup_policy("t", "offset.storage.topic", "x", &p(&["compact"])).is_ok());
        let err = check_cleanup_policy(
            "t",
            "offset.storage.topic",
            "source connector offsets",
            &p(&["compact", "delete"]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("Topic 't' supplied via the 'offset.storage.topic' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of source connector offsets, but found the topic currently has 'cleanup.policy=compact,delete'."), "{err}");
    }

    #[test]
    fn config_topic_must_have_one_partition() {
        assert!(check_config_partitions("c", 1).is_ok());
        let err = check_config_partitions("c", 3).unwrap_err().to_string();
        assert!(err.contains("found 3 partitions"), "{err}");
    }
}
