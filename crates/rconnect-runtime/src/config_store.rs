//! Connector configs, task configs and target states as the distributed herder sees them
//! (Java `ConfigBackingStore` and `ClusterConfigState`). The Kafka implementation over the
//! config topic lives in `rconnect-storage`; the herder only knows this trait.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rconnect_sdk::Props;
use tokio::sync::broadcast;

use crate::herder::TargetState;

/// One connector in the config snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSnapshot {
    /// The raw (unresolved) connector config.
    pub config: Props,
    /// STARTED when no target-state record exists.
    pub target_state: TargetState,
    /// The applied task configs (empty while inconsistent).
    pub tasks: Vec<Props>,
    /// The connector config in force when the task configs were last committed, to detect
    /// that tasks must restart even if their configs did not change.
    pub applied_config: Option<Props>,
    /// Task configs were committed without a complete set; the owner must rewrite them.
    pub inconsistent: bool,
    /// Bumped on every applied task-config commit, starting at 0.
    pub task_config_generation: i64,
}

/// The inter-worker session key (KIP-507).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    pub algorithm: String,
    pub creation_timestamp: i64,
}

/// A KIP-745 restart request read from the config topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartRequest {
    pub connector: String,
    pub include_tasks: bool,
    pub only_failed: bool,
}

/// Everything read from the config topic up to `offset`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterConfigState {
    /// Offset of the last record read + 1; -1 when nothing was read.
    pub offset: i64,
    pub connectors: BTreeMap<String, ConnectorSnapshot>,
    pub session_key: Option<SessionKey>,
}

impl ClusterConfigState {
    /// The number of tasks of `connector` (0 if unknown or inconsistent).
    pub fn task_count(&self, connector: &str) -> usize {
        self.connectors
            .get(connector)
            .map(|c| c.tasks.len())
            .unwrap_or(0)
    }
}

/// What changed, as the store reads records (Java `ConfigBackingStore.UpdateListener`).
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigUpdate {
    /// A connector was created, reconfigured or deleted.
    ConnectorConfig(String),
    /// Task configs of a connector were committed.
    TaskConfigs(String),
    TargetState(String),
    SessionKey,
    /// A restart request written after this worker's startup read.
    Restart(RestartRequest),
    /// A cluster-wide log level (KIP-976) written after this worker's startup read: every
    /// worker applies it (Java `ConfigBackingStore.UpdateListener#onLoggingLevelUpdate`).
    LoggerLevel {
        namespace: String,
        level: String,
    },
}

impl ConfigUpdate {
    /// The connector the update is about (`None` for a session key).
    pub fn connector(&self) -> Option<&str> {
        match self {
            ConfigUpdate::ConnectorConfig(name)
            | ConfigUpdate::TaskConfigs(name)
            | ConfigUpdate::TargetState(name) => Some(name),
            ConfigUpdate::Restart(request) => Some(&request.connector),
            ConfigUpdate::SessionKey | ConfigUpdate::LoggerLevel { .. } => None,
        }
    }
}

/// Errors of a config store.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigStoreError {
    #[error("timed out {0}")]
    Timeout(String),
    #[error("{0}")]
    Kafka(String),
}

/// The config store seam.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// The current snapshot.
    fn snapshot(&self) -> ClusterConfigState;
    /// Reads the topic to its current end; afterwards `snapshot().offset` is up to date.
    async fn read_to_end(&self) -> Result<(), ConfigStoreError>;
    /// Updates as records are read.
    fn subscribe(&self) -> broadcast::Receiver<ConfigUpdate>;
    /// `[target-state-X if given], connector-X`, then reads to end.
    async fn put_connector_config(
        &self,
        name: &str,
        config: &Props,
        target: Option<TargetState>,
    ) -> Result<(), ConfigStoreError>;
    /// `connector-X` and `target-state-X` tombstones, then reads to end.
    async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError>;
    /// `task-X-0..n-1`, `commit-X`, reading to end in between as Java does.
    async fn put_task_configs(&self, name: &str, configs: &[Props])
        -> Result<(), ConfigStoreError>;
    async fn put_target_state(
        &self,
        name: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError>;
    async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError>;
    async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), ConfigStoreError>;
    /// `logger-cluster-<namespace>` with `{"level": level}` (Java
    /// `ConfigBackingStore#putLoggerLevel`); `level` as the user gave it.
    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), ConfigStoreError>;
}
