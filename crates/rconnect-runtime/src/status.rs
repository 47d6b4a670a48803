//! Connector and task statuses (Java `StatusBackingStore`): what `GET .../status` shows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::herder::{ConnectorTaskId, State};

/// One status record.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    pub worker_id: String,
    pub generation: i32,
}

/// Where statuses are kept: in memory for standalone, the status topic when distributed.
#[async_trait::async_trait]
pub trait StatusStore: Send + Sync {
    /// Waits until every status written so far is stored (before leaving a group, so the
    /// next owner's view starts from them).
    async fn flush(&self) {}
    fn put_connector(&self, connector: &str, status: Status);
    fn put_task(&self, id: &ConnectorTaskId, status: Status);
    fn connector(&self, connector: &str) -> Option<Status>;
    /// Task statuses of `connector`, by task id.
    fn tasks(&self, connector: &str) -> BTreeMap<i32, Status>;
    fn task(&self, id: &ConnectorTaskId) -> Option<Status>;
    /// Forgets a connector and its tasks (Java writes tombstones).
    fn delete_connector(&self, connector: &str);
    fn delete_task(&self, id: &ConnectorTaskId);
}

/// Statuses in memory, lost on restart (standalone, as Java).
#[derive(Default)]
pub struct MemoryStatusStore {
    connectors: Mutex<HashMap<String, Status>>,
    tasks: Mutex<HashMap<String, BTreeMap<i32, Status>>>,
}

impl StatusStore for MemoryStatusStore {
    fn put_connector(&self, connector: &str, status: Status) {
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(connector.to_string(), status);
    }
    fn put_task(&self, id: &ConnectorTaskId, status: Status) {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id.connector.clone())
            .or_default()
            .insert(id.task, status);
    }
    fn connector(&self, connector: &str) -> Option<Status> {
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connector)
            .cloned()
    }
    fn tasks(&self, connector: &str) -> BTreeMap<i32, Status> {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connector)
            .cloned()
            .unwrap_or_default()
    }
    fn task(&self, id: &ConnectorTaskId) -> Option<Status> {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id.connector)
            .and_then(|t| t.get(&id.task))
            .cloned()
    }
    fn delete_connector(&self, connector: &str) {
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connector);
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connector);
    }
    fn delete_task(&self, id: &ConnectorTaskId) {
        if let Some(t) = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&id.connector)
        {
            t.remove(&id.task);
        }
    }
}

/// Renders an error as the FAILED `trace` Java shows: exception class, message, and a
/// line saying where it was raised.
pub fn failure_trace(error: &rconnect_sdk::ConnectError, context: &str) -> String {
    format!("{}\n\tat {context}\n", error.trace())
}
