//! The herder: the seam between the REST API and whatever manages connectors.
//!
//! Everything the REST layer needs is behind [`Herder`]; the JSON shapes it returns are
//! the entity types here, serialized exactly as Java's REST entities.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rconnect_sdk::Props;
use serde::{Deserialize, Serialize};

/// Desired state of a connector, persisted with its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    /// Parses `initial_state` (`RUNNING`, `PAUSED`, `STOPPED`, case-insensitive).
    pub fn from_initial_state(s: &str) -> Option<TargetState> {
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }
}

/// `source`, `sink` or `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    Source,
    Sink,
    Unknown,
}

/// Observable state of a connector or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Stopped,
    Failed,
    Restarting,
    Destroyed,
}

/// `{"connector": "c", "task": 0}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: i32,
}

impl std::fmt::Display for ConnectorTaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// `GET /connectors/{c}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Props,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// One element of `GET /connectors/{c}/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: Props,
}

/// The connector part of a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorState {
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// A task status, `GET /connectors/{c}/tasks/{t}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskState {
    pub id: i32,
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// `GET /connectors/{c}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// `GET /`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: String,
}

/// One element of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    #[serde(rename = "class")]
    pub class_name: String,
    #[serde(rename = "type")]
    pub plugin_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
}

/// `GET /health` outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerStatus {
    pub status: String,
    pub message: String,
}

/// The definition part of a validation entry (`ConfigKeyInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub config_type: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    pub order: i32,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
}

/// The value part of a validation entry (`ConfigValueInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

/// One entry of `ConfigInfos.configs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    pub definition: Option<ConfigKeyInfo>,
    pub value: Option<ConfigValueInfo>,
}

/// `PUT /connector-plugins/{p}/config/validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

/// `{"partition": {...}, "offset": {...}|null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffset {
    pub partition: rconnect_sdk::offset::OffsetMap,
    pub offset: Option<rconnect_sdk::offset::OffsetMap>,
}

/// `GET /connectors/{c}/offsets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// One element of a `PATCH /connectors/{c}/offsets` body: a partition and its new offset,
/// either of which may be JSON `null` (a `null` offset removes the partition's offset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffsetChange {
    pub partition: Option<rconnect_sdk::offset::OffsetMap>,
    pub offset: Option<rconnect_sdk::offset::OffsetMap>,
}

/// `{"message": ...}` (Java `Message`), the answer to offset changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message: String,
}

/// A created-or-updated result: `created` decides 201 versus 200.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    pub created: bool,
    pub result: T,
}

/// Why a herder request failed; each maps to Java's HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HerderError {
    /// 404 (`NotFoundException`).
    #[error("{0}")]
    NotFound(String),
    /// 409 (`AlreadyExistsException`).
    #[error("{0}")]
    AlreadyExists(String),
    /// 400 (`BadRequestException`).
    #[error("{0}")]
    BadRequest(String),
    /// 409 for a conflicting operation such as a rebalance.
    #[error("{0}")]
    Conflict(String),
    /// 403 (an internal request with a bad signature).
    #[error("{0}")]
    Forbidden(String),
    /// 503.
    #[error("{0}")]
    Unavailable(String),
    /// 500 (any other exception).
    #[error("{0}")]
    Internal(String),
}

impl HerderError {
    /// The HTTP status Java answers with.
    pub fn status(&self) -> u16 {
        match self {
            HerderError::NotFound(_) => 404,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) => 409,
            HerderError::BadRequest(_) => 400,
            HerderError::Forbidden(_) => 403,
            HerderError::Unavailable(_) => 503,
            HerderError::Internal(_) => 500,
        }
    }
}

pub type HerderResult<T> = Result<T, HerderError>;

/// What the REST API asks of a worker, standalone or distributed.
#[async_trait]
pub trait Herder: Send + Sync + 'static {
    /// `GET /`.
    fn server_info(&self) -> ServerInfo;
    /// `GET /health`.
    async fn health(&self) -> (u16, WorkerStatus);
    /// Connector names.
    async fn connectors(&self) -> Vec<String>;
    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo>;
    async fn connector_config(&self, name: &str) -> HerderResult<Props>;
    /// Creates or replaces a connector; `allow_replace=false` answers 409 if it exists.
    /// The config is validated first (400 with Java's aggregated message).
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Created<ConnectorInfo>>;
    /// `PATCH /connectors/{c}/config`: `None` values delete keys.
    /// `PATCH /connectors/{c}/config` (KIP-477): the stored config with `patch` applied
    /// (a `null` value removes the key), put as an update.
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        let config = crate::herder_support::apply_patch(self.connector_config(name).await?, patch);
        Ok(self
            .put_connector_config(name, config, None, true)
            .await?
            .result)
    }
    async fn delete_connector(&self, name: &str) -> HerderResult<()>;
    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo>;
    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState>;
    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>>;
    /// The deprecated `GET /connectors/{c}/tasks-config`; Java's standalone herder answers
    /// 404 for a connector without tasks, the distributed one `{}`.
    async fn tasks_config(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        self.task_configs(name).await
    }
    async fn pause_connector(&self, name: &str) -> HerderResult<()>;
    async fn resume_connector(&self, name: &str) -> HerderResult<()>;
    async fn stop_connector(&self, name: &str) -> HerderResult<()>;
    /// `None` for the legacy restart (204), `Some` for the KIP-745 plan (202).
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>>;
    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()>;
    /// `GET /connector-plugins`, already in Java's order.
    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo>;
    /// `GET /connector-plugins/{p}/config`.
    fn plugin_config(&self, plugin: &str) -> HerderResult<Vec<ConfigKeyInfo>>;
    /// `PUT /connector-plugins/{p}/config/validate`.
    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos>;
    /// `GET /connectors/{c}/offsets`.
    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets>;
    /// `PATCH /connectors/{c}/offsets` (KIP-875): writes `offsets`, a non-empty list with
    /// one entry per partition. The connector must be STOPPED (400 otherwise).
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: Vec<OffsetChange>,
    ) -> HerderResult<Message>;
    /// `DELETE /connectors/{c}/offsets` (KIP-875): forgets every offset of a STOPPED
    /// connector.
    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message>;
    /// `GET /connectors/{c}/topics` (KIP-558): the topics the connector's tasks used.
    async fn connector_active_topics(&self, name: &str) -> HerderResult<Vec<String>>;
    /// `PUT /connectors/{c}/topics/reset`.
    async fn reset_connector_active_topics(&self, name: &str) -> HerderResult<()>;

    /// `PUT /admin/loggers/{namespace}?scope=cluster` (KIP-976), `level` as the user gave
    /// it (already checked to be a log4j level). `Ok(true)` when the level went to the
    /// config topic, from which every worker of the group, this one included, applies it
    /// (Java `DistributedHerder#setClusterLoggerLevel`); `Ok(false)` when this worker is the
    /// whole cluster and the caller sets the level here (Java `StandaloneHerder`).
    async fn set_cluster_logger_level(&self, namespace: &str, level: &str) -> HerderResult<bool> {
        let _ = (namespace, level);
        Ok(false)
    }

    /// Cluster-wide log levels `(namespace, level)` to apply to this worker as they arrive;
    /// `None` when no other worker can set them (standalone).
    fn logger_level_updates(&self) -> Option<tokio::sync::broadcast::Receiver<(String, String)>> {
        None
    }

    /// Internal `POST /connectors/{c}/tasks`: a follower that runs a connector hands its
    /// task configs to the leader. `body` is the raw request body (the signature covers
    /// it); `signature` is `(X-Connect-Authorization, X-Connect-Request-Signature-Algorithm)`.
    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        body: &[u8],
        signature: (Option<String>, Option<String>),
    ) -> HerderResult<()> {
        let _ = (name, configs, body, signature);
        Err(HerderError::Internal("Kafka Connect in standalone mode does not support externally setting task configurations.".into()))
    }
}
