//! Connector and task statuses in `status.storage.topic` (internals.md §4; Java
//! `KafkaStatusBackingStore`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_config::WorkerConfig;
use rconnect_runtime::herder::{ConnectorTaskId, State};
use rconnect_runtime::status::{Status, StatusStore, TopicStatus};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clients::{internal_log_config, InternalTopic};
use crate::format::{
    connector_status_key, parse_status_value, parse_task_status_key, parse_topic_status_key,
    parse_topic_status_value, status_value, task_status_key, topic_status_key, topic_status_value,
    CONNECTOR_STATUS_PREFIX, TASK_STATUS_PREFIX, TOPIC_STATUS_PREFIX,
};
use crate::{KafkaBasedLog, LogConfig, StorageError};

/// A cached status and the sequence number of this worker's last write of its key.
#[derive(Debug, Default)]
struct Entry {
    value: Option<Status>,
    sequence: u64,
}

impl Entry {
    /// Java `CacheEntry.canWriteSafely`: nothing cached, or written by the same worker, or
    /// by an older or equal generation.
    fn can_write_safely(&self, status: &Status) -> bool {
        self.value
            .as_ref()
            .is_none_or(|v| v.worker_id == status.worker_id || v.generation <= status.generation)
    }
}

/// Which cache entry a key is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Connector(String),
    Task(ConnectorTaskId),
}

/// The statuses read from the topic.
#[derive(Debug, Default)]
pub(crate) struct StatusCache {
    connectors: HashMap<String, Entry>,
    tasks: HashMap<String, BTreeMap<i32, Entry>>,
    /// Last write sequence handed out (shared by all keys, so a removed and re-created
    /// entry never matches an old write).
    last_sequence: u64,
    /// Active topics (KIP-558) by connector, then topic.
    topics: HashMap<String, BTreeMap<String, TopicStatus>>,
    /// Bumped when an active topic is removed (see `StatusStore::topic_removals`). Shared
    /// with the store, which every task reads for every record: an atomic, not the lock.
    topic_removals: Arc<AtomicU64>,
}

impl StatusCache {
    fn entry(&mut self, target: &Target) -> &mut Entry {
        match target {
            Target::Connector(c) => self.connectors.entry(c.clone()).or_default(),
            Target::Task(id) => self
                .tasks
                .entry(id.connector.clone())
                .or_default()
                .entry(id.task)
                .or_default(),
        }
    }

    fn existing(&self, target: &Target) -> Option<&Entry> {
        match target {
            Target::Connector(c) => self.connectors.get(c),
            Target::Task(id) => self.tasks.get(&id.connector).and_then(|t| t.get(&id.task)),
        }
    }

    /// Applies one record of the status topic.
    pub(crate) fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) else {
            tracing::warn!("Discarding status record without a UTF-8 key");
            return;
        };
        if let Some(connector) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
            let Some(value) = value else {
                tracing::trace!(connector, "removing connector status");
                self.connectors.remove(connector);
                self.tasks.remove(connector);
                return;
            };
            match parse_status_value(value) {
                Ok(status) => self.entry(&Target::Connector(connector.into())).value = Some(status),
                Err(e) => tracing::warn!("Failed to parse connector status with key {key}: {e}"),
            }
        } else if key.starts_with(TASK_STATUS_PREFIX) {
            let Some(id) = parse_task_status_key(key) else {
                tracing::warn!("Receive record with invalid task status key {key}");
                return;
            };
            let Some(value) = value else {
                tracing::trace!(task = %id, "removing task status");
                if let Some(tasks) = self.tasks.get_mut(&id.connector) {
                    tasks.remove(&id.task);
                }
                return;
            };
            let status = match parse_status_value(value) {
                Ok(status) => status,
                Err(e) => {
                    tracing::warn!("Failed to parse task status with key {key}: {e}");
                    return;
                }
            };
            let entry = self.entry(&Target::Task(id.clone()));
            if let Some(current) = &entry.value {
                // A worker that lost the task in a rebalance may write UNASSIGNED after the
                // new owner already wrote RUNNING.
                if status.state == State::Unassigned
                    && current.state == State::Running
                    && current.generation >= status.generation
                {
                    tracing::trace!(task = %id, "Ignoring stale status update {status:?}");
                    return;
                }
            }
            entry.value = Some(status);
        } else if key.starts_with(TOPIC_STATUS_PREFIX) {
            let Some((topic, connector)) = parse_topic_status_key(key) else {
                tracing::warn!("Discarding record with invalid topic status key {key}");
                return;
            };
            let Some(value) = value else {
                if let Some(topics) = self.topics.get_mut(connector) {
                    topics.remove(topic);
                }
                self.topic_removals.fetch_add(1, Ordering::Relaxed);
                return;
            };
            match parse_topic_status_value(value) {
                Ok(status) => {
                    self.topics
                        .entry(connector.to_string())
                        .or_default()
                        .insert(topic.to_string(), status);
                }
                Err(e) => tracing::warn!("Failed to parse topic status with key {key}: {e}"),
            }
        } else {
            tracing::warn!("Discarding record with invalid key {key}");
        }
    }
}

#[derive(Debug, Clone)]
struct Write {
    key: String,
    value: Option<Vec<u8>>,
    /// The status entry written; `None` for topic records, which Java retries regardless.
    target: Option<Target>,
    sequence: u64,
    /// The status, for safe writes (re-checked before a retry).
    safe: Option<Status>,
}

enum Job {
    Write(Write),
    Flush(oneshot::Sender<Result<(), StorageError>>),
}

/// Statuses kept in a compacted topic, shared by all workers of the cluster.
///
/// Writes never block the caller: they are queued and sent in call order by a writer task.
/// FAILED and UNASSIGNED are "safe writes" (Java `putSafe`): they are dropped when the
/// cached status of the key was written by another worker with a newer generation. Reads
/// answer from the cache the log's reader keeps current, so a write shows up once it has
/// been read back (as in Java); [`KafkaStatusStore::read_to_end`] waits for that.
pub struct KafkaStatusStore {
    log: Arc<KafkaBasedLog>,
    cache: Arc<Mutex<StatusCache>>,
    /// The cache's removal counter, readable without its lock.
    topic_removals: Arc<AtomicU64>,
    jobs: mpsc::UnboundedSender<Job>,
    writer: Mutex<Option<JoinHandle<()>>>,
    timeout: Duration,
}

impl KafkaStatusStore {
    /// Starts the store over the worker's `status.storage.topic` (client id
    /// `<base>statuses`) and reads the topic to its end. The topic must exist (see
    /// [`crate::ensure_internal_topics`]).
    pub async fn start(worker: &WorkerConfig) -> Result<KafkaStatusStore, StorageError> {
        Self::start_with(internal_log_config(worker, InternalTopic::Status)?).await
    }

    /// Starts the store over an explicitly configured log.
    pub async fn start_with(config: LogConfig) -> Result<KafkaStatusStore, StorageError> {
        let cache: Arc<Mutex<StatusCache>> = Arc::default();
        let topic_removals = cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .topic_removals
            .clone();
        let sink = cache.clone();
        let log = Arc::new(
            KafkaBasedLog::start(
                config,
                Box::new(move |r| {
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .apply(r.key.as_deref(), r.value.as_deref())
                }),
            )
            .await?,
        );
        let (jobs, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_loop(log.clone(), cache.clone(), jobs.clone(), rx));
        Ok(KafkaStatusStore {
            log,
            cache,
            topic_removals,
            jobs,
            writer: Mutex::new(Some(writer)),
            timeout: Duration::from_secs(30),
        })
    }

    /// Reads the topic to its current end, so the cache shows every status written before.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        self.log.read_to_end(self.timeout).await
    }

    /// Waits until every status written before this call was acknowledged (Java flushes
    /// the status producer before completing a rebalance revocation).
    pub async fn flush(&self) -> Result<(), StorageError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Flush(tx))
            .map_err(|_| StorageError::Stopped(self.log.topic().to_string()))?;
        rx.await
            .map_err(|_| StorageError::Stopped(self.log.topic().to_string()))?
    }

    /// Flushes queued writes (up to 5 s), then stops the writer and the reader.
    pub async fn stop(&self) {
        if let Err(e) = tokio::time::timeout(Duration::from_secs(5), self.flush()).await {
            tracing::warn!(error = %e, "status writes not flushed on stop");
        }
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            writer.abort();
        }
        self.log.stop().await;
    }

    fn send(&self, target: Target, key: String, status: Option<&Status>) {
        let safe = status.filter(|s| matches!(s.state, State::Failed | State::Unassigned));
        let sequence = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = safe {
                if !cache.entry(&target).can_write_safely(s) {
                    tracing::debug!(key, ?s, "skipping status write: a newer generation owns it");
                    return;
                }
            }
            cache.last_sequence += 1;
            let sequence = cache.last_sequence;
            cache.entry(&target).sequence = sequence;
            sequence
        };
        self.queue(Write {
            key,
            value: status.and_then(status_value),
            target: Some(target),
            sequence,
            safe: safe.cloned(),
        });
    }

    /// Queues a write outside the connector/task status rules (topic records).
    fn send_plain(&self, key: String, value: Option<Vec<u8>>) {
        self.queue(Write {
            key,
            value,
            target: None,
            sequence: 0,
            safe: None,
        });
    }

    fn queue(&self, write: Write) {
        if self.jobs.send(Job::Write(write)).is_err() {
            tracing::warn!("status store is stopped; status write dropped");
        }
    }
}

impl Drop for KafkaStatusStore {
    fn drop(&mut self) {
        if let Some(writer) = self
            .writer
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            writer.abort();
        }
    }
}

async fn write_loop(
    log: Arc<KafkaBasedLog>,
    cache: Arc<Mutex<StatusCache>>,
    requeue: mpsc::UnboundedSender<Job>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
) {
    while let Some(job) = jobs.recv().await {
        match job {
            Job::Flush(reply) => {
                let _ = reply.send(log.flush(Duration::from_secs(30)).await);
            }
            Job::Write(write) => loop {
                let callback = {
                    let write = write.clone();
                    let cache = cache.clone();
                    let requeue = requeue.clone();
                    Box::new(move |result: Result<_, rconnect_kafka::KafkaError>| {
                        let Err(e) = result else { return };
                        if !e.is_retriable() {
                            tracing::error!(key = %write.key, error = %e, "Failed to write status update");
                            return;
                        }
                        // Retry unless the key was deleted or written again since.
                        let retry = match &write.target {
                            None => true,
                            Some(target) => {
                                let cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                                cache.existing(target).is_some_and(|entry| {
                                    entry.sequence == write.sequence
                                        && write
                                            .safe
                                            .as_ref()
                                            .is_none_or(|s| entry.can_write_safely(s))
                                })
                            }
                        };
                        if retry {
                            tracing::warn!(key = %write.key, error = %e, "retrying status write");
                            let _ = requeue.send(Job::Write(write));
                        }
                    })
                };
                match log.send_with_callback(write.key.as_bytes(), write.value.as_deref(), callback)
                {
                    Ok(()) => break,
                    Err(e) if e.is_retriable() => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(e) => {
                        tracing::error!(key = %write.key, error = %e, "Failed to write status update");
                        break;
                    }
                }
            },
        }
    }
}

#[async_trait::async_trait]
impl StatusStore for KafkaStatusStore {
    async fn flush(&self) {
        if let Err(e) = KafkaStatusStore::flush(self).await {
            tracing::warn!("status flush failed: {e}");
        }
    }

    fn put_connector(&self, connector: &str, status: Status) {
        self.send(
            Target::Connector(connector.to_string()),
            connector_status_key(connector),
            Some(&status),
        );
    }

    fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        self.send(Target::Task(id.clone()), task_status_key(id), Some(&status));
    }

    fn connector(&self, connector: &str) -> Option<Status> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .connectors
            .get(connector)
            .and_then(|e| e.value.clone())
    }

    fn tasks(&self, connector: &str) -> BTreeMap<i32, Status> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .tasks
            .get(connector)
            .map(|tasks| {
                tasks
                    .iter()
                    .filter_map(|(id, e)| e.value.clone().map(|v| (*id, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn task(&self, id: &ConnectorTaskId) -> Option<Status> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .tasks
            .get(&id.connector)
            .and_then(|t| t.get(&id.task))
            .and_then(|e| e.value.clone())
    }

    fn connectors(&self) -> Vec<String> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut names: std::collections::BTreeSet<String> = cache
            .connectors
            .iter()
            .filter(|(_, e)| e.value.is_some())
            .map(|(c, _)| c.clone())
            .collect();
        names.extend(
            cache
                .tasks
                .iter()
                .filter(|(_, t)| t.values().any(|e| e.value.is_some()))
                .map(|(c, _)| c.clone()),
        );
        names.into_iter().collect()
    }

    /// Tombstones the connector's status and the status of every task of it in the cache.
    fn delete_connector(&self, connector: &str) {
        let tasks: Vec<i32> = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .tasks
                .get(connector)
                .map(|t| t.keys().copied().collect())
                .unwrap_or_default()
        };
        for task in tasks {
            self.delete_task(&ConnectorTaskId {
                connector: connector.to_string(),
                task,
            });
        }
        self.send(
            Target::Connector(connector.to_string()),
            connector_status_key(connector),
            None,
        );
        for topic in self.topics(connector) {
            self.delete_topic(connector, &topic.topic);
        }
    }

    fn delete_task(&self, id: &ConnectorTaskId) {
        self.send(Target::Task(id.clone()), task_status_key(id), None);
    }

    fn put_topic(&self, status: TopicStatus) {
        let key = topic_status_key(&status.topic, &status.connector);
        self.send_plain(key, Some(topic_status_value(&status)));
    }

    fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .topics
            .get(connector)
            .and_then(|t| t.get(topic))
            .cloned()
    }

    fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .topics
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    fn delete_topic(&self, connector: &str, topic: &str) {
        self.send_plain(topic_status_key(topic, connector), None);
    }

    fn topic_removals(&self) -> u64 {
        self.topic_removals.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State, worker: &str, generation: i32) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker.into(),
            generation,
        }
    }

    fn value(s: &Status) -> Vec<u8> {
        status_value(s).unwrap()
    }

    #[test]
    fn read_rules() {
        let mut cache = StatusCache::default();
        let running = status(State::Running, "a:1", 5);
        cache.apply(Some(b"status-task-my-conn-3"), Some(&value(&running)));
        let id = ConnectorTaskId {
            connector: "my-conn".into(),
            task: 3,
        };
        assert_eq!(
            cache.existing(&Target::Task(id.clone())).unwrap().value,
            Some(running.clone())
        );
        // A stale UNASSIGNED (same or older generation) is ignored...
        cache.apply(
            Some(b"status-task-my-conn-3"),
            Some(&value(&status(State::Unassigned, "b:1", 5))),
        );
        assert_eq!(
            cache.existing(&Target::Task(id.clone())).unwrap().value,
            Some(running.clone())
        );
        // ...a newer one is not.
        let newer = status(State::Unassigned, "b:1", 6);
        cache.apply(Some(b"status-task-my-conn-3"), Some(&value(&newer)));
        assert_eq!(
            cache.existing(&Target::Task(id.clone())).unwrap().value,
            Some(newer)
        );
        // Malformed values, bad keys and topic records are skipped.
        cache.apply(Some(b"status-task-my-conn-3"), Some(b"{not json"));
        cache.apply(Some(b"status-task-x"), Some(&value(&running)));
        cache.apply(
            Some(b"status-topic-t:connector-my-conn"),
            Some(br#"{"topic":{}}"#),
        );
        cache.apply(Some(b"something-else"), Some(b"{}"));
        cache.apply(None, Some(b"{}"));
        assert_eq!(cache.tasks.len(), 1);
        // A connector tombstone forgets its tasks.
        cache.apply(Some(b"status-connector-my-conn"), Some(&value(&running)));
        cache.apply(Some(b"status-connector-my-conn"), None);
        assert!(cache.connectors.is_empty());
        assert!(cache.tasks.is_empty());
    }

    #[test]
    fn safe_write_rule() {
        let mut entry = Entry::default();
        assert!(entry.can_write_safely(&status(State::Failed, "a:1", 1)));
        entry.value = Some(status(State::Running, "b:1", 4));
        assert!(
            entry.can_write_safely(&status(State::Failed, "b:1", 1)),
            "same worker"
        );
        assert!(
            entry.can_write_safely(&status(State::Failed, "a:1", 4)),
            "same generation"
        );
        assert!(
            entry.can_write_safely(&status(State::Failed, "a:1", 5)),
            "newer generation"
        );
        assert!(
            !entry.can_write_safely(&status(State::Failed, "a:1", 3)),
            "older generation elsewhere"
        );
    }
}
