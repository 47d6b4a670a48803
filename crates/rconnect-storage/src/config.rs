//! Connector configs, task configs, target states, session keys and restart requests in
//! `config.storage.topic` (internals.md §2, §9; Java `KafkaConfigBackingStore`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_config::{shorten_name, WorkerConfig};
use rconnect_runtime::config_store::{
    ClusterConfigState, ConfigStore, ConfigStoreError, ConfigUpdate, ConnectorSnapshot,
    RestartRequest, SessionKey,
};
use rconnect_runtime::herder::TargetState;
use rconnect_sdk::Props;
use tokio::sync::broadcast;

use crate::clients::{internal_log_config, InternalTopic};
use crate::format::{
    commit_key, commit_value, connector_config_value, connector_key, decode_value,
    logger_level_value, parse_config_record, restart_key, restart_request_value, session_key_value,
    target_state_key, target_state_value, task_config_value, task_key, ConfigRecord, SkipReason,
    LOGGER_CLUSTER_PREFIX, SESSION_KEY_KEY,
};
use crate::topics::check_config_partitions;
use crate::{KafkaBasedLog, LogConfig, StorageError};

/// Java's `READ_WRITE_TOTAL_TIMEOUT_MS`: the budget of every write operation.
const READ_WRITE_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// What has been read from the config topic (Java's fields of `KafkaConfigBackingStore`).
#[derive(Debug)]
pub(crate) struct ConfigState {
    /// Offset of the last record read + 1; -1 before any.
    offset: i64,
    connector_configs: BTreeMap<String, Props>,
    target_states: HashMap<String, TargetState>,
    /// Applied task configs, by connector and task index.
    task_configs: HashMap<String, BTreeMap<i32, Props>>,
    task_counts: HashMap<String, i32>,
    /// Task configs waiting for their commit. An entry exists from the first task record of
    /// a connector until the connector is deleted (a commit only empties it), which decides
    /// whether a commit bumps the generation, as in Java.
    deferred: HashMap<String, BTreeMap<i32, Props>>,
    inconsistent: HashSet<String>,
    generations: HashMap<String, i64>,
    applied_configs: HashMap<String, Props>,
    pending_fencing: HashSet<String>,
    task_count_records: HashMap<String, i32>,
    session_key: Option<SessionKey>,
    logger_levels: BTreeMap<String, String>,
}

impl Default for ConfigState {
    fn default() -> Self {
        ConfigState {
            offset: -1,
            connector_configs: BTreeMap::new(),
            target_states: HashMap::new(),
            task_configs: HashMap::new(),
            task_counts: HashMap::new(),
            deferred: HashMap::new(),
            inconsistent: HashSet::new(),
            generations: HashMap::new(),
            applied_configs: HashMap::new(),
            pending_fencing: HashSet::new(),
            task_count_records: HashMap::new(),
            session_key: None,
            logger_levels: BTreeMap::new(),
        }
    }
}

/// Java's `completeTaskIdSet`: ids `0..n-1` all present; extra (stale, higher) ids are
/// allowed because compaction can leave them behind.
fn complete_task_id_set(ids: Option<&BTreeMap<i32, Props>>, n: i32) -> bool {
    (0..n).all(|i| ids.is_some_and(|ids| ids.contains_key(&i)))
}

impl ConfigState {
    /// Applies one record. `started` is false during the startup read; listeners hear
    /// nothing then (Java), and restart requests from history are ignored.
    pub(crate) fn apply(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        offset: i64,
        started: bool,
    ) -> Vec<ConfigUpdate> {
        let json = match decode_value(value) {
            Ok(json) => json,
            Err(e) => {
                // Java returns before recording the offset when the converter fails.
                tracing::error!(
                    offset,
                    "Failed to convert config data to Kafka Connect format: {e}"
                );
                return Vec::new();
            }
        };
        self.offset = offset + 1;
        let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) else {
            tracing::error!(
                offset,
                "Discarding config update record without a UTF-8 key"
            );
            return Vec::new();
        };
        match parse_config_record(key, json.as_ref()) {
            Ok(record) => self.process(record, started),
            Err(SkipReason::UnknownKey) => {
                tracing::error!(
                    "Discarding config update record with invalid key: {}",
                    shorten_name(key)
                );
                Vec::new()
            }
            Err(SkipReason::Invalid(reason)) => {
                tracing::error!("Ignoring config record {}: {reason}", shorten_name(key));
                Vec::new()
            }
        }
    }

    fn process(&mut self, record: ConfigRecord, started: bool) -> Vec<ConfigUpdate> {
        let mut events = Vec::new();
        match record {
            ConfigRecord::ConnectorConfig { name, config: None } => {
                tracing::info!(
                    "Successfully processed removal of connector '{}'",
                    shorten_name(&name)
                );
                self.connector_configs.remove(&name);
                self.task_counts.remove(&name);
                self.task_configs.remove(&name);
                self.deferred.remove(&name);
                self.applied_configs.remove(&name);
                self.inconsistent.remove(&name);
                events.push(ConfigUpdate::ConnectorConfig(name));
            }
            ConfigRecord::ConnectorConfig {
                name,
                config: Some(config),
            } => {
                tracing::debug!(
                    "Updating configuration for connector '{}'",
                    shorten_name(&name)
                );
                self.connector_configs.insert(name.clone(), config);
                events.push(ConfigUpdate::ConnectorConfig(name));
            }
            ConfigRecord::TargetState { name, state: None } => {
                // The snapshot falls back on STARTED while the config still exists.
                tracing::debug!(
                    "Removed target state for connector {} due to null value in topic.",
                    shorten_name(&name)
                );
                self.target_states.remove(&name);
            }
            ConfigRecord::TargetState {
                name,
                state: Some(state),
            } => {
                // Stored even for an unknown connector: that is how initial_state works.
                tracing::debug!(
                    "Setting target state for connector '{}' to {state:?}",
                    shorten_name(&name)
                );
                self.target_states.insert(name.clone(), state);
                events.push(ConfigUpdate::TargetState(name));
            }
            ConfigRecord::TaskConfig { id, config } => {
                tracing::debug!("Storing new config for task {id}; this will wait for a commit message before the new config will take effect.");
                self.deferred
                    .entry(id.connector)
                    .or_default()
                    .insert(id.task, config);
            }
            ConfigRecord::Commit { connector, tasks } => {
                if tasks < 0 {
                    tracing::error!("Ignoring connector tasks configuration commit for connector '{}' because its task count {tasks} is negative", shorten_name(&connector));
                } else if !self.connector_configs.contains_key(&connector) {
                    // Deleted connector whose history compaction removed: forget it.
                    tracing::debug!("Ignoring task configuration commit for connector '{}' because the connector has no configuration", shorten_name(&connector));
                    self.deferred.remove(&connector);
                    self.task_counts.remove(&connector);
                    self.task_configs.remove(&connector);
                    self.inconsistent.remove(&connector);
                    self.applied_configs.remove(&connector);
                } else {
                    self.commit(connector, tasks, &mut events);
                }
            }
            ConfigRecord::TaskCount { connector, count } => {
                tracing::debug!(
                    "Read task count record for connector '{}': {count}",
                    shorten_name(&connector)
                );
                self.task_count_records.insert(connector.clone(), count);
                self.pending_fencing.remove(&connector);
            }
            ConfigRecord::SessionKey(key) => {
                tracing::debug!("Installing new session key");
                self.session_key = Some(key);
                events.push(ConfigUpdate::SessionKey);
            }
            ConfigRecord::Restart(request) => {
                if started {
                    events.push(ConfigUpdate::Restart(request));
                } else {
                    tracing::debug!(?request, "ignoring restart request read during startup");
                }
            }
            ConfigRecord::LoggerLevel { namespace, level } => {
                // Cluster-wide log levels (KIP-976): applied by every worker as it reads them,
                // except those written before its startup read (Java
                // `KafkaConfigBackingStore#processLoggerLevelRecord`).
                tracing::debug!(namespace, ?level, "read logger level record");
                match level {
                    Some(level) => {
                        self.logger_levels.insert(namespace.clone(), level.clone());
                        events.push(ConfigUpdate::LoggerLevel { namespace, level });
                    }
                    None => {
                        self.logger_levels.remove(&namespace);
                    }
                };
            }
        }
        if started {
            events
        } else {
            Vec::new()
        }
    }

    fn commit(&mut self, connector: String, tasks: i32, events: &mut Vec<ConfigUpdate>) {
        let deferred = self.deferred.get(&connector);
        if !complete_task_id_set(deferred, tasks) {
            tracing::debug!("We have an incomplete set of task configs for connector '{}' probably due to compaction. So we are not doing anything with the new configuration.", shorten_name(&connector));
            self.inconsistent.insert(connector.clone());
        } else {
            if let Some(deferred) = deferred {
                let applied = self.task_configs.entry(connector.clone()).or_default();
                applied.extend(deferred.iter().map(|(k, v)| (*k, v.clone())));
                self.generations
                    .entry(connector.clone())
                    .and_modify(|g| *g += 1)
                    .or_insert(0);
            }
            if let Some(config) = self.connector_configs.get(&connector) {
                self.applied_configs
                    .insert(connector.clone(), config.clone());
            }
            self.inconsistent.remove(&connector);
        }
        // Always cleared: after an inconsistent commit a complete fresh set is needed.
        if let Some(deferred) = self.deferred.get_mut(&connector) {
            deferred.clear();
        }
        self.task_counts.insert(connector.clone(), tasks);
        self.pending_fencing.insert(connector.clone());
        events.push(ConfigUpdate::TaskConfigs(connector));
    }

    /// The herder's view (Java `ClusterConfigState`).
    pub(crate) fn snapshot(&self) -> ClusterConfigState {
        let connectors = self
            .connector_configs
            .iter()
            .map(|(name, config)| {
                let inconsistent = self.inconsistent.contains(name);
                let tasks = if inconsistent {
                    Vec::new()
                } else {
                    let count = self.task_counts.get(name).copied().unwrap_or(0);
                    let configs = self.task_configs.get(name);
                    (0..count)
                        .filter_map(|i| configs.and_then(|c| c.get(&i)).cloned())
                        .collect()
                };
                let snapshot = ConnectorSnapshot {
                    config: config.clone(),
                    target_state: self
                        .target_states
                        .get(name)
                        .copied()
                        .unwrap_or(TargetState::Started),
                    tasks,
                    applied_config: self.applied_configs.get(name).cloned(),
                    inconsistent,
                    task_config_generation: self.generations.get(name).copied().unwrap_or(-1),
                };
                (name.clone(), snapshot)
            })
            .collect();
        ClusterConfigState {
            offset: self.offset,
            connectors,
            session_key: self.session_key.clone(),
        }
    }
}

/// The config store over the single-partition config topic.
///
/// The snapshot is built from what the log's reader applied, so writes of other workers
/// show up without any call here; `read_to_end` waits until everything written before the
/// call is in. [`ConnectorSnapshot::task_config_generation`] is -1 until a task-config
/// commit was applied. [`ConfigUpdate`]s are broadcast only for records read after the
/// startup read (Java's `started` flag), so history never produces events.
pub struct KafkaConfigStore {
    log: KafkaBasedLog,
    state: Arc<Mutex<ConfigState>>,
    events: broadcast::Sender<ConfigUpdate>,
    /// Serializes multi-record write sequences of this worker.
    write_lock: tokio::sync::Mutex<()>,
}

impl KafkaConfigStore {
    /// Starts the store over the worker's `config.storage.topic` (client id
    /// `<base>configs`) and reads the topic to its end. Fails if the topic has more than
    /// one partition. The topic must exist (see [`crate::ensure_internal_topics`]).
    pub async fn start(worker: &WorkerConfig) -> Result<KafkaConfigStore, StorageError> {
        Self::start_with(internal_log_config(worker, InternalTopic::Config)?).await
    }

    /// Starts the store over an explicitly configured log.
    pub async fn start_with(config: LogConfig) -> Result<KafkaConfigStore, StorageError> {
        let state: Arc<Mutex<ConfigState>> = Arc::default();
        let (events, _) = broadcast::channel(1024);
        let started = Arc::new(AtomicBool::new(false));
        let callback = {
            let state = state.clone();
            let events = events.clone();
            let started = started.clone();
            Box::new(move |r: &rconnect_kafka::ConsumedRecord| {
                let updates = state.lock().unwrap_or_else(|p| p.into_inner()).apply(
                    r.key.as_deref(),
                    r.value.as_deref(),
                    r.offset,
                    started.load(Ordering::SeqCst),
                );
                for update in updates {
                    // No receiver is not an error.
                    let _ = events.send(update);
                }
            })
        };
        let log = KafkaBasedLog::start(config, callback).await?;
        if let Err(e) = check_config_partitions(log.topic(), log.partition_count()) {
            log.stop().await;
            return Err(e);
        }
        started.store(true, Ordering::SeqCst);
        Ok(KafkaConfigStore {
            log,
            state,
            events,
            write_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Stops the reader and flushes the producer.
    pub async fn stop(&self) {
        self.log.stop().await;
    }

    async fn read_until(&self, deadline: tokio::time::Instant) -> Result<(), StorageError> {
        self.log.read_to_end(remaining(deadline)).await
    }

    async fn send_until(
        &self,
        records: &[(Vec<u8>, Option<Vec<u8>>)],
        deadline: tokio::time::Instant,
    ) -> Result<(), StorageError> {
        self.log.send_all(records, remaining(deadline)).await
    }
}

fn remaining(deadline: tokio::time::Instant) -> Duration {
    deadline.saturating_duration_since(tokio::time::Instant::now())
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + READ_WRITE_TOTAL_TIMEOUT
}

fn record(key: String, value: Option<Vec<u8>>) -> (Vec<u8>, Option<Vec<u8>>) {
    (key.into_bytes(), value)
}

#[async_trait]
impl ConfigStore for KafkaConfigStore {
    fn snapshot(&self) -> ClusterConfigState {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .snapshot()
    }

    async fn read_to_end(&self) -> Result<(), ConfigStoreError> {
        Ok(self.log.read_to_end(READ_WRITE_TOTAL_TIMEOUT).await?)
    }

    fn subscribe(&self) -> broadcast::Receiver<ConfigUpdate> {
        self.events.subscribe()
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: &Props,
        target: Option<TargetState>,
    ) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let _guard = self.write_lock.lock().await;
        let mut records = Vec::with_capacity(2);
        if let Some(state) = target {
            records.push(record(
                target_state_key(name),
                Some(target_state_value(state)),
            ));
        }
        records.push(record(
            connector_key(name),
            Some(connector_config_value(config)),
        ));
        self.send_until(&records, deadline).await?;
        Ok(self.read_until(deadline).await?)
    }

    async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let _guard = self.write_lock.lock().await;
        let records = [
            record(connector_key(name), None),
            record(target_state_key(name), None),
        ];
        self.send_until(&records, deadline).await?;
        Ok(self.read_until(deadline).await?)
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let _guard = self.write_lock.lock().await;
        let count = i32::try_from(configs.len()).map_err(|_| {
            ConfigStoreError::Kafka(format!("too many task configs for connector '{name}'"))
        })?;
        self.read_until(deadline).await?;
        let tasks: Vec<_> = configs
            .iter()
            .zip(0..)
            .map(|(config, i)| record(task_key(name, i), Some(task_config_value(config))))
            .collect();
        if !tasks.is_empty() {
            self.send_until(&tasks, deadline).await?;
            self.read_until(deadline).await?;
        }
        self.send_until(
            &[record(commit_key(name), Some(commit_value(count)))],
            deadline,
        )
        .await?;
        Ok(self.read_until(deadline).await?)
    }

    /// Written by any worker; like Java, does not read back.
    async fn put_target_state(
        &self,
        name: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError> {
        let records = [record(
            target_state_key(name),
            Some(target_state_value(state)),
        )];
        Ok(self.send_until(&records, deadline()).await?)
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let records = [record(
            SESSION_KEY_KEY.to_string(),
            Some(session_key_value(key)),
        )];
        self.send_until(&records, deadline).await?;
        Ok(self.read_until(deadline).await?)
    }

    async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let records = [record(
            restart_key(&request.connector),
            Some(restart_request_value(request)),
        )];
        self.send_until(&records, deadline).await?;
        Ok(self.read_until(deadline).await?)
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), ConfigStoreError> {
        let deadline = deadline();
        let records = [record(
            format!("{LOGGER_CLUSTER_PREFIX}{namespace}"),
            Some(logger_level_value(level)),
        )];
        self.send_until(&records, deadline).await?;
        Ok(self.read_until(deadline).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Feeds records with consecutive offsets.
    struct Feed {
        state: ConfigState,
        next: i64,
        started: bool,
    }

    impl Feed {
        fn new(started: bool) -> Feed {
            Feed {
                state: ConfigState::default(),
                next: 0,
                started,
            }
        }

        fn put(&mut self, key: &str, value: Option<Vec<u8>>) -> Vec<ConfigUpdate> {
            let offset = self.next;
            self.next += 1;
            self.state
                .apply(Some(key.as_bytes()), value.as_deref(), offset, self.started)
        }

        fn task(&mut self, c: &str, i: i32, v: &str) {
            self.put(
                &task_key(c, i),
                Some(task_config_value(&props(&[("t", v)]))),
            );
        }

        fn snap(&self, c: &str) -> ConnectorSnapshot {
            self.state.snapshot().connectors[c].clone()
        }
    }

    #[test]
    fn empty_topic_snapshot() {
        let s = ConfigState::default().snapshot();
        assert_eq!(s.offset, -1);
        assert!(s.connectors.is_empty());
        assert_eq!(s.session_key, None);
    }

    #[test]
    fn create_and_commit_tasks() {
        let mut f = Feed::new(true);
        let config = props(&[("connector.class", "X"), ("name", "my-fs")]);
        assert_eq!(
            f.put(
                &target_state_key("my-fs"),
                Some(target_state_value(TargetState::Paused))
            ),
            vec![ConfigUpdate::TargetState("my-fs".into())]
        );
        assert_eq!(
            f.put(
                &connector_key("my-fs"),
                Some(connector_config_value(&config))
            ),
            vec![ConfigUpdate::ConnectorConfig("my-fs".into())]
        );
        f.task("my-fs", 0, "a");
        f.task("my-fs", 1, "b");
        // Buffered until the commit.
        assert!(f.snap("my-fs").tasks.is_empty());
        assert_eq!(f.snap("my-fs").task_config_generation, -1);
        assert_eq!(
            f.put(&commit_key("my-fs"), Some(commit_value(2))),
            vec![ConfigUpdate::TaskConfigs("my-fs".into())]
        );
        let s = f.snap("my-fs");
        assert_eq!(s.tasks, vec![props(&[("t", "a")]), props(&[("t", "b")])]);
        assert_eq!(s.target_state, TargetState::Paused);
        assert_eq!(s.applied_config, Some(config.clone()));
        assert_eq!(s.task_config_generation, 0);
        assert!(!s.inconsistent);
        assert_eq!(f.state.snapshot().offset, 5);
        assert_eq!(f.state.snapshot().task_count("my-fs"), 2);

        // Reconfiguration to one task bumps the generation; the stale task-1 stays unused.
        let config2 = props(&[("connector.class", "X"), ("name", "my-fs"), ("k", "v")]);
        f.put(
            &connector_key("my-fs"),
            Some(connector_config_value(&config2)),
        );
        assert_eq!(f.snap("my-fs").applied_config, Some(config));
        f.task("my-fs", 0, "c");
        f.put(&commit_key("my-fs"), Some(commit_value(1)));
        let s = f.snap("my-fs");
        assert_eq!(s.tasks, vec![props(&[("t", "c")])]);
        assert_eq!(s.task_config_generation, 1);
        assert_eq!(s.applied_config, Some(config2));
    }

    #[test]
    fn incomplete_commit_marks_inconsistent_until_a_complete_set() {
        let mut f = Feed::new(true);
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[("a", "1")]))),
        );
        f.task("c", 1, "only-one");
        f.put(&commit_key("c"), Some(commit_value(2)));
        let s = f.snap("c");
        assert!(s.inconsistent);
        assert!(s.tasks.is_empty());
        assert_eq!(s.task_config_generation, -1);
        assert_eq!(s.applied_config, None);
        assert_eq!(f.state.snapshot().task_count("c"), 0);
        // The buffer was cleared: task-0 alone does not complete the earlier set.
        f.task("c", 0, "x");
        f.put(&commit_key("c"), Some(commit_value(2)));
        assert!(f.snap("c").inconsistent);
        // A fresh complete set (with a stale extra id 2) repairs it.
        f.task("c", 0, "a");
        f.task("c", 1, "b");
        f.task("c", 2, "stale");
        f.put(&commit_key("c"), Some(commit_value(2)));
        let s = f.snap("c");
        assert!(!s.inconsistent);
        assert_eq!(s.tasks, vec![props(&[("t", "a")]), props(&[("t", "b")])]);
        assert_eq!(s.task_config_generation, 0);
    }

    #[test]
    fn zero_task_commit_and_unknown_connector_commit() {
        let mut f = Feed::new(true);
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[]))),
        );
        f.put(&commit_key("c"), Some(commit_value(0)));
        let s = f.snap("c");
        assert!(!s.inconsistent);
        assert!(s.tasks.is_empty());
        // Tasks and commit of a connector with no config: forgotten.
        f.task("gone", 0, "a");
        assert!(f.put(&commit_key("gone"), Some(commit_value(1))).is_empty());
        assert!(!f.state.deferred.contains_key("gone"));
        assert!(!f.state.snapshot().connectors.contains_key("gone"));
    }

    #[test]
    fn target_state_rules() {
        let mut f = Feed::new(true);
        // Stored for an unknown connector (initial_state), used once the config arrives.
        f.put(
            &target_state_key("c"),
            Some(target_state_value(TargetState::Stopped)),
        );
        assert!(f.state.snapshot().connectors.is_empty());
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[]))),
        );
        assert_eq!(f.snap("c").target_state, TargetState::Stopped);
        // Legacy record without state.v2.
        f.put(
            &target_state_key("c"),
            Some(br#"{"state":"PAUSED"}"#.to_vec()),
        );
        assert_eq!(f.snap("c").target_state, TargetState::Paused);
        // Tombstone while the config exists: STARTED.
        assert!(f.put(&target_state_key("c"), None).is_empty());
        assert_eq!(f.snap("c").target_state, TargetState::Started);
    }

    #[test]
    fn deletion_forgets_tasks() {
        let mut f = Feed::new(true);
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[]))),
        );
        f.task("c", 0, "a");
        f.put(&commit_key("c"), Some(commit_value(1)));
        assert_eq!(
            f.put(&connector_key("c"), None),
            vec![ConfigUpdate::ConnectorConfig("c".into())]
        );
        f.put(&target_state_key("c"), None);
        assert!(f.state.snapshot().connectors.is_empty());
        // Re-created: no tasks until a new commit.
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[]))),
        );
        assert!(f.snap("c").tasks.is_empty());
        assert_eq!(f.state.snapshot().task_count("c"), 0);
    }

    #[test]
    fn logger_levels_read_after_startup_are_applied() {
        let mut before = Feed::new(false);
        assert!(before
            .put("logger-cluster-org", Some(logger_level_value("DEBUG")))
            .is_empty());
        let mut f = Feed::new(true);
        assert_eq!(
            f.put(
                "logger-cluster-org.apache",
                Some(logger_level_value("debug"))
            ),
            vec![ConfigUpdate::LoggerLevel {
                namespace: "org.apache".into(),
                level: "debug".into()
            }]
        );
        // A tombstone changes nothing (Java ignores a null level).
        assert!(f.put("logger-cluster-org.apache", None).is_empty());
    }

    #[test]
    fn malformed_and_unknown_records_are_skipped() {
        let mut f = Feed::new(true);
        f.put(
            &connector_key("c"),
            Some(connector_config_value(&props(&[("a", "1")]))),
        );
        // Undecodable JSON: skipped without moving the offset (as Java).
        assert!(f
            .put(&connector_key("c"), Some(b"{nope".to_vec()))
            .is_empty());
        assert_eq!(f.state.snapshot().offset, 1);
        // Valid JSON of the wrong shape, unknown keys, records without a key: skipped, offset moves.
        assert!(f
            .put(&connector_key("c"), Some(br#"{"x":1}"#.to_vec()))
            .is_empty());
        assert!(f.put("future-record-kind", Some(b"{}".to_vec())).is_empty());
        assert!(f
            .put(&task_count_key("c"), Some(task_count_value(1)))
            .is_empty());
        assert!(f
            .put(&commit_key("c"), Some(br#"{"tasks":-1}"#.to_vec()))
            .is_empty());
        let offset = f.next;
        assert!(f.state.apply(None, Some(b"{}"), offset, true).is_empty());
        assert_eq!(f.state.snapshot().offset, offset + 1);
        assert_eq!(f.snap("c").config, props(&[("a", "1")]));
    }

    #[test]
    fn events_and_restarts_only_after_startup() {
        let mut f = Feed::new(false);
        let restart = RestartRequest {
            connector: "c".into(),
            include_tasks: true,
            only_failed: true,
        };
        assert!(f
            .put(
                &connector_key("c"),
                Some(connector_config_value(&props(&[])))
            )
            .is_empty());
        assert!(f
            .put(&restart_key("c"), Some(restart_request_value(&restart)))
            .is_empty());
        let key = SessionKey {
            key: vec![1, 2, 3],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 9,
        };
        assert!(f
            .put(SESSION_KEY_KEY, Some(session_key_value(&key)))
            .is_empty());
        assert_eq!(f.state.snapshot().session_key, Some(key.clone()));
        f.started = true;
        assert_eq!(
            f.put(&restart_key("c"), Some(restart_request_value(&restart))),
            vec![ConfigUpdate::Restart(restart)]
        );
        assert_eq!(
            f.put(SESSION_KEY_KEY, Some(session_key_value(&key))),
            vec![ConfigUpdate::SessionKey]
        );
    }
}
