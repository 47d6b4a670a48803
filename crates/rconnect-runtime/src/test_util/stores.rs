//! In-memory offset, status and config stores, recording what was written and failing or
//! stalling on request.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::Props;
use tokio::sync::{broadcast, watch};

use crate::config_store::{
    ClusterConfigState, ConfigStore, ConfigStoreError, ConfigUpdate, ConnectorSnapshot,
    RestartRequest, SessionKey,
};
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::offsets::{canonical_key, connector_offsets, OffsetBackingStore, OffsetStoreError};
use crate::status::{MemoryStatusStore, Status, StatusStore, TopicStatus};

use super::kafka::eventually;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One `set` call: keys and values (`None` deletes).
pub type OffsetWrite = Vec<(Vec<u8>, Option<Vec<u8>>)>;

#[derive(Default)]
struct OffsetState {
    /// canonical key → (key as written, value)
    entries: BTreeMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
    /// Every `set` that succeeded, as given.
    writes: Vec<OffsetWrite>,
    /// Errors for the next `set` calls.
    failures: VecDeque<String>,
}

/// An [`OffsetBackingStore`] in memory; cloning shares it. Writes can be made to fail
/// ([`MemoryOffsetStore::fail_next_writes`]) or to stall until released
/// ([`MemoryOffsetStore::stall_writes`]).
#[derive(Clone)]
pub struct MemoryOffsetStore {
    state: Arc<Mutex<OffsetState>>,
    /// True while writes are stalled.
    stalled: Arc<watch::Sender<bool>>,
}

impl Default for MemoryOffsetStore {
    fn default() -> Self {
        MemoryOffsetStore {
            state: Arc::default(),
            stalled: Arc::new(watch::channel(false).0),
        }
    }
}

impl MemoryOffsetStore {
    /// The next `n` writes fail.
    pub fn fail_next_writes(&self, n: usize) {
        let mut s = lock(&self.state);
        for i in 0..n {
            s.failures
                .push_back(format!("injected offset write failure {i}"));
        }
    }

    /// Writes wait (`true`) until released (`false`).
    pub fn stall_writes(&self, stall: bool) {
        self.stalled.send_replace(stall);
    }

    /// Every successful write, in order.
    pub fn writes(&self) -> Vec<OffsetWrite> {
        lock(&self.state).writes.clone()
    }

    /// The offsets stored for `connector`, as `(partition, offset)` JSON texts.
    pub async fn offsets_of(&self, connector: &str) -> Vec<(String, Option<String>)> {
        connector_offsets(self, connector)
            .await
            .into_iter()
            .map(|(p, o)| {
                (
                    serde_json::to_string(&p).unwrap_or_default(),
                    o.map(|o| serde_json::to_string(&o).unwrap_or_default()),
                )
            })
            .collect()
    }

    /// The offset stored for one partition of `connector`.
    pub fn offset(&self, connector: &str, partition: &OffsetMap) -> Option<serde_json::Value> {
        let key = canonical_key(&crate::offsets::offset_key(connector, partition));
        lock(&self.state)
            .entries
            .get(&key)
            .and_then(|(_, v)| serde_json::from_slice(v).ok())
    }
}

#[async_trait]
impl OffsetBackingStore for MemoryOffsetStore {
    async fn get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, OffsetStoreError> {
        let s = lock(&self.state);
        Ok(keys
            .iter()
            .map(|k| s.entries.get(&canonical_key(k)).map(|(_, v)| v.clone()))
            .collect())
    }

    async fn set(&self, entries: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), OffsetStoreError> {
        let mut stalled = self.stalled.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = stalled.wait_for(|s| !*s).await;
        let mut s = lock(&self.state);
        if let Some(reason) = s.failures.pop_front() {
            return Err(OffsetStoreError::Topic {
                action: "write",
                topic: "memory".into(),
                reason,
            });
        }
        for (k, v) in &entries {
            let ck = canonical_key(k);
            match v {
                Some(v) => {
                    s.entries.insert(ck, (k.clone(), v.clone()));
                }
                None => {
                    s.entries.remove(&ck);
                }
            }
        }
        s.writes.push(entries);
        Ok(())
    }

    async fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        lock(&self.state).entries.values().cloned().collect()
    }
}

/// A [`StatusStore`] in memory that also keeps every status written, in order, so a test
/// can check transitions (`RUNNING` → `PAUSED` → `RUNNING`), not only the last state.
#[derive(Default)]
pub struct RecordingStatusStore {
    inner: MemoryStatusStore,
    history: Mutex<Vec<(String, Option<i32>, Status)>>,
}

impl RecordingStatusStore {
    /// The states written for task `id`, oldest first.
    pub fn task_states(&self, id: &ConnectorTaskId) -> Vec<State> {
        lock(&self.history)
            .iter()
            .filter(|(c, t, _)| *c == id.connector && *t == Some(id.task))
            .map(|(_, _, s)| s.state)
            .collect()
    }

    /// The states written for connector `name` (not its tasks), oldest first.
    pub fn connector_states(&self, name: &str) -> Vec<State> {
        lock(&self.history)
            .iter()
            .filter(|(c, t, _)| c == name && t.is_none())
            .map(|(_, _, s)| s.state)
            .collect()
    }

    /// Waits until task `id`'s current status is `state`, and returns it.
    pub async fn wait_task(&self, id: &ConnectorTaskId, state: State) -> Status {
        eventually(
            Duration::from_secs(10),
            &format!("task {id} {state:?}"),
            || self.inner.task(id).filter(|s| s.state == state),
        )
        .await
    }

    /// Waits until connector `name`'s current status is `state`.
    pub async fn wait_connector(&self, name: &str, state: State) -> Status {
        eventually(
            Duration::from_secs(10),
            &format!("connector {name} {state:?}"),
            || self.inner.connector(name).filter(|s| s.state == state),
        )
        .await
    }
}

#[async_trait]
impl StatusStore for RecordingStatusStore {
    fn put_connector(&self, connector: &str, status: Status) {
        lock(&self.history).push((connector.to_string(), None, status.clone()));
        self.inner.put_connector(connector, status)
    }
    fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        lock(&self.history).push((id.connector.clone(), Some(id.task), status.clone()));
        self.inner.put_task(id, status)
    }
    fn connector(&self, connector: &str) -> Option<Status> {
        self.inner.connector(connector)
    }
    fn tasks(&self, connector: &str) -> BTreeMap<i32, Status> {
        self.inner.tasks(connector)
    }
    fn task(&self, id: &ConnectorTaskId) -> Option<Status> {
        self.inner.task(id)
    }
    fn connectors(&self) -> Vec<String> {
        self.inner.connectors()
    }
    fn delete_connector(&self, connector: &str) {
        self.inner.delete_connector(connector)
    }
    fn delete_task(&self, id: &ConnectorTaskId) {
        self.inner.delete_task(id)
    }
    fn put_topic(&self, status: TopicStatus) {
        self.inner.put_topic(status)
    }
    fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        self.inner.topic(connector, topic)
    }
    fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        self.inner.topics(connector)
    }
    fn delete_topic(&self, connector: &str, topic: &str) {
        self.inner.delete_topic(connector, topic)
    }
    fn topic_removals(&self) -> u64 {
        self.inner.topic_removals()
    }
}

/// One successful write to a [`MemoryConfigStore`], as a test sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigWrite {
    /// A connector config (with its target state, when one was given).
    ConnectorConfig(String),
    /// A connector's removal.
    RemoveConnector(String),
    /// The connector and how many task configs were written.
    TaskConfigs(String, usize),
    /// A target state alone.
    TargetState(String, TargetState),
    /// A session key.
    SessionKey,
    /// A restart request.
    Restart(RestartRequest),
    /// A logger level for the cluster (KIP-976).
    LoggerLevel(String, String),
}

#[derive(Default)]
struct ConfigState {
    snapshot: ClusterConfigState,
    writes: Vec<ConfigWrite>,
    failures: VecDeque<ConfigStoreError>,
}

/// A [`ConfigStore`] in memory: every write is read back at once, as if the config topic
/// had one writer and no lag. Writes can be made to fail.
pub struct MemoryConfigStore {
    state: Mutex<ConfigState>,
    updates: broadcast::Sender<ConfigUpdate>,
}

impl Default for MemoryConfigStore {
    fn default() -> Self {
        MemoryConfigStore {
            state: Mutex::new(ConfigState {
                snapshot: ClusterConfigState {
                    offset: -1,
                    ..ClusterConfigState::default()
                },
                ..ConfigState::default()
            }),
            updates: broadcast::channel(1024).0,
        }
    }
}

impl MemoryConfigStore {
    /// The next write fails with `error`.
    pub fn fail_next_write(&self, error: ConfigStoreError) {
        lock(&self.state).failures.push_back(error);
    }

    /// Every successful write so far, in order.
    pub fn writes(&self) -> Vec<ConfigWrite> {
        lock(&self.state).writes.clone()
    }

    /// Restart requests written, in order.
    pub fn restart_requests(&self) -> Vec<RestartRequest> {
        self.writes()
            .into_iter()
            .filter_map(|w| match w {
                ConfigWrite::Restart(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The sizes of the task-config writes of `connector`, in order.
    pub fn task_config_writes(&self, connector: &str) -> Vec<usize> {
        self.writes()
            .into_iter()
            .filter_map(|w| match w {
                ConfigWrite::TaskConfigs(c, n) if c == connector => Some(n),
                _ => None,
            })
            .collect()
    }

    /// Applies one write of `records` records, logs it as `write` and announces `update`.
    fn write(
        &self,
        records: i64,
        write: ConfigWrite,
        update: Option<ConfigUpdate>,
        apply: impl FnOnce(&mut ConfigState),
    ) -> Result<(), ConfigStoreError> {
        {
            let mut s = lock(&self.state);
            if let Some(e) = s.failures.pop_front() {
                return Err(e);
            }
            apply(&mut s);
            s.writes.push(write);
            s.snapshot.offset = s.snapshot.offset.max(0) + records;
        }
        if let Some(u) = update {
            let _ = self.updates.send(u);
        }
        Ok(())
    }
}

#[async_trait]
impl ConfigStore for MemoryConfigStore {
    fn snapshot(&self) -> ClusterConfigState {
        lock(&self.state).snapshot.clone()
    }

    async fn read_to_end(&self) -> Result<(), ConfigStoreError> {
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<ConfigUpdate> {
        self.updates.subscribe()
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: &Props,
        target: Option<TargetState>,
    ) -> Result<(), ConfigStoreError> {
        let records = if target.is_some() { 2 } else { 1 };
        self.write(
            records,
            ConfigWrite::ConnectorConfig(name.to_string()),
            Some(ConfigUpdate::ConnectorConfig(name.to_string())),
            |s| {
                let c = s
                    .snapshot
                    .connectors
                    .entry(name.to_string())
                    .or_insert_with(|| ConnectorSnapshot {
                        config: Props::new(),
                        target_state: TargetState::Started,
                        tasks: Vec::new(),
                        applied_config: None,
                        inconsistent: false,
                        task_config_generation: 0,
                    });
                c.config = config.clone();
                if let Some(t) = target {
                    c.target_state = t;
                }
            },
        )
    }

    async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError> {
        self.write(
            2,
            ConfigWrite::RemoveConnector(name.to_string()),
            Some(ConfigUpdate::ConnectorConfig(name.to_string())),
            |s| {
                s.snapshot.connectors.remove(name);
            },
        )
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), ConfigStoreError> {
        self.write(
            configs.len() as i64 + 1,
            ConfigWrite::TaskConfigs(name.to_string(), configs.len()),
            Some(ConfigUpdate::TaskConfigs(name.to_string())),
            |s| {
                if let Some(c) = s.snapshot.connectors.get_mut(name) {
                    if c.applied_config.is_some() || !c.tasks.is_empty() {
                        c.task_config_generation += 1;
                    }
                    c.tasks = configs.to_vec();
                    c.applied_config = Some(c.config.clone());
                    c.inconsistent = false;
                }
            },
        )
    }

    async fn put_target_state(
        &self,
        name: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError> {
        let write = ConfigWrite::TargetState(name.to_string(), state);
        self.write(
            1,
            write,
            Some(ConfigUpdate::TargetState(name.to_string())),
            |s| {
                if let Some(c) = s.snapshot.connectors.get_mut(name) {
                    c.target_state = state;
                }
            },
        )
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError> {
        self.write(
            1,
            ConfigWrite::SessionKey,
            Some(ConfigUpdate::SessionKey),
            |s| {
                s.snapshot.session_key = Some(key.clone());
            },
        )
    }

    async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), ConfigStoreError> {
        let update = ConfigUpdate::Restart(request.clone());
        self.write(
            1,
            ConfigWrite::Restart(request.clone()),
            Some(update),
            |_| {},
        )
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), ConfigStoreError> {
        let update = ConfigUpdate::LoggerLevel {
            namespace: namespace.to_string(),
            level: level.to_string(),
        };
        let write = ConfigWrite::LoggerLevel(namespace.to_string(), level.to_string());
        self.write(1, write, Some(update), |_| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_offset_store_fails_and_stalls_on_request() {
        let store = MemoryOffsetStore::default();
        let key = br#"["c",{"f":"a"}]"#.to_vec();
        store.fail_next_writes(1);
        assert!(store
            .set(vec![(key.clone(), Some(b"1".to_vec()))])
            .await
            .is_err());
        assert!(store.writes().is_empty());
        store.stall_writes(true);
        let stalled = tokio::time::timeout(
            Duration::from_millis(50),
            store.set(vec![(key.clone(), Some(b"2".to_vec()))]),
        )
        .await;
        assert!(stalled.is_err(), "a stalled write waits");
        store.stall_writes(false);
        store
            .set(vec![(key.clone(), Some(b"3".to_vec()))])
            .await
            .unwrap();
        assert_eq!(store.get(&[key]).await.unwrap(), vec![Some(b"3".to_vec())]);
        assert_eq!(store.writes().len(), 1);
    }

    #[tokio::test]
    async fn the_config_store_reads_its_writes_back_and_announces_them() {
        let store = MemoryConfigStore::default();
        let mut updates = store.subscribe();
        let config: Props = [("k".to_string(), "v".to_string())].into_iter().collect();
        store
            .put_connector_config("c", &config, Some(TargetState::Paused))
            .await
            .unwrap();
        store
            .put_task_configs("c", std::slice::from_ref(&config))
            .await
            .unwrap();
        let snap = store.snapshot();
        let c = &snap.connectors["c"];
        assert_eq!(c.target_state, TargetState::Paused);
        assert_eq!(c.tasks, vec![config.clone()]);
        assert_eq!(c.applied_config.as_ref(), Some(&config));
        assert_eq!(snap.offset, 4);
        assert_eq!(
            updates.recv().await.unwrap(),
            ConfigUpdate::ConnectorConfig("c".into())
        );
        assert_eq!(
            updates.recv().await.unwrap(),
            ConfigUpdate::TaskConfigs("c".into())
        );
        store.fail_next_write(ConfigStoreError::Kafka("down".into()));
        assert!(store.remove_connector_config("c").await.is_err());
        store.remove_connector_config("c").await.unwrap();
        assert!(store.snapshot().connectors.is_empty());
    }
}
