//! A consumer group's committed offsets and the group itself: what Connect does with Java's
//! `Admin.listConsumerGroupOffsets`, `alterConsumerGroupOffsets`,
//! `deleteConsumerGroupOffsets` and `deleteConsumerGroups` for sink connectors (KIP-875).
//!
//! The `rdkafka` crate wraps only the last of these. Listing and altering go through a
//! consumer that has the group's id but never joins the group, which sends the same requests
//! the admin calls send (OffsetFetch, and OffsetCommit with generation -1 and no member id).
//! Deleting single offsets is built from the other three (see
//! [`Admin::delete_group_offsets`]).

use std::time::{Duration, Instant};

use rdkafka::admin::AdminOptions;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::Admin;
use crate::context::tracing_client_context;
use crate::{KafkaError, TopicPartition};

struct GroupContext;
tracing_client_context!(GroupContext, "group offsets client");
impl ConsumerContext for GroupContext {}

/// Outcome of [`Admin::delete_group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDeletion {
    /// The group and its committed offsets were deleted.
    Deleted,
    /// There was no such group (deleting is idempotent, as in Connect's offsets reset).
    NotFound,
}

fn tpl_of(partitions: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(partitions.len());
    for tp in partitions {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}

fn group_error(operation: impl Into<String>, group: &str, code: RDKafkaErrorCode) -> KafkaError {
    KafkaError::Group {
        operation: operation.into(),
        group: group.to_string(),
        code,
    }
}

impl Admin {
    /// A consumer with the group's id that never subscribes, so it never becomes a member.
    fn group_client(&self, group: &str) -> Result<BaseConsumer<GroupContext>, KafkaError> {
        let mut config = self.connection_config();
        config
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        config
            .client_config()
            .create_with_context(GroupContext)
            .map_err(|source| KafkaError::ClientCreation {
                client: "consumer",
                source,
            })
    }

    /// The offsets `group` has committed, sorted by topic and partition.
    ///
    /// Java lists them with one OffsetFetch for "all partitions"; rdkafka cannot send that,
    /// so this asks for every partition of every topic in the cluster's metadata. The answer
    /// is the same except for offsets of topics that no longer exist, which are left out.
    pub async fn list_group_offsets(
        &self,
        group: &str,
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, i64)>, KafkaError> {
        let deadline = Instant::now() + timeout;
        let counts = self.topic_partition_counts(None, timeout).await?;
        let partitions: Vec<TopicPartition> = counts
            .iter()
            .flat_map(|(topic, n)| (0..*n as i32).map(move |p| TopicPartition::new(topic, p)))
            .collect();
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        let consumer = self.group_client(group)?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let group_name = group.to_string();
        let committed = tokio::task::spawn_blocking(move || {
            consumer.committed_offsets(tpl_of(&partitions), remaining)
        })
        .await
        .map_err(|e| KafkaError::Internal(e.to_string()))?
        .map_err(|source| {
            KafkaError::op(
                format!("fetch of the committed offsets of group '{group_name}'"),
                source,
            )
        })?;
        let mut out: Vec<(TopicPartition, i64)> = committed
            .elements()
            .iter()
            .filter_map(|e| match (e.offset(), e.error()) {
                (Offset::Offset(o), Ok(())) => {
                    Some((TopicPartition::new(e.topic(), e.partition()), o))
                }
                (_, Err(err)) => {
                    tracing::debug!(
                        group,
                        topic = e.topic(),
                        partition = e.partition(),
                        %err,
                        "no committed offset"
                    );
                    None
                }
                _ => None,
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Commits `offsets` (next offsets to consume) for `group`.
    ///
    /// Sent as a commit by a consumer that is not a member, as Java's admin call is: the
    /// broker accepts it only while the group has no members, and answers
    /// `UNKNOWN_MEMBER_ID` otherwise. Negative offsets are refused before anything is sent.
    pub async fn alter_group_offsets(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let tpl = crate::commit_list(offsets, "invalid")?;
        let consumer = self.group_client(group)?;
        // librdkafka's synchronous commit has no timeout of its own.
        let commit = tokio::task::spawn_blocking(move || consumer.commit(&tpl, CommitMode::Sync));
        let result = tokio::time::timeout(timeout, commit)
            .await
            .map_err(|_| KafkaError::Timeout {
                operation: format!("offset commit for group '{group}'"),
                timeout_ms: timeout.as_millis(),
            })?
            .map_err(|e| KafkaError::Internal(e.to_string()))?;
        result.map_err(|source| match source.rdkafka_error_code() {
            Some(code) => group_error("offset commit", group, code),
            None => KafkaError::op(format!("offset commit for group '{group}'"), source),
        })
    }

    /// Deletes the committed offsets of `partitions` for `group`, keeping its other offsets.
    ///
    /// Java sends OffsetDelete, which rdkafka does not wrap; librdkafka's own
    /// `rd_kafka_DeleteConsumerGroupOffsets` cannot be used either: on a broker without
    /// OffsetDelete (tansu, Kafka before 2.4) librdkafka 2.12 releases its reply queue twice
    /// and the process aborts when the client is destroyed. So the group is deleted
    /// (DeleteGroups, which the broker refuses while the group has members, as it refuses
    /// OffsetDelete for topics members consume) and the offsets to keep are committed again.
    /// If that commit fails, those offsets are lost: they are logged, and the error says so.
    pub async fn delete_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
        timeout: Duration,
    ) -> Result<(), KafkaError> {
        let deadline = Instant::now() + timeout;
        let remaining = || deadline.saturating_duration_since(Instant::now());
        let committed = self.list_group_offsets(group, timeout).await?;
        if !committed.iter().any(|(tp, _)| partitions.contains(tp)) {
            return Ok(());
        }
        let keep: Vec<(TopicPartition, i64)> = committed
            .into_iter()
            .filter(|(tp, _)| !partitions.contains(tp))
            .collect();
        self.delete_group(group, remaining()).await?;
        if let Err(e) = self.alter_group_offsets(group, &keep, remaining()).await {
            tracing::error!(
                group,
                ?keep,
                "deleted the group to delete some of its offsets, but could not commit the \
                 others again: {e}"
            );
            return Err(e);
        }
        Ok(())
    }

    /// Deletes `group` with its committed offsets. The broker refuses a group that still has
    /// members (`NonEmptyGroup`); a group that does not exist is [`GroupDeletion::NotFound`].
    pub async fn delete_group(
        &self,
        group: &str,
        timeout: Duration,
    ) -> Result<GroupDeletion, KafkaError> {
        let opts: AdminOptions = Self::options(timeout);
        let results = self
            .inner
            .delete_groups(&[group], &opts)
            .await
            .map_err(|source| KafkaError::op(format!("DeleteGroups of '{group}'"), source))?;
        match results.into_iter().next() {
            Some(Ok(_)) => Ok(GroupDeletion::Deleted),
            Some(Err((_, RDKafkaErrorCode::GroupIdNotFound))) => Ok(GroupDeletion::NotFound),
            Some(Err((_, code))) => Err(group_error("DeleteGroups", group, code)),
            None => Err(KafkaError::Internal(format!(
                "DeleteGroups returned no result for {group}"
            ))),
        }
    }
}
