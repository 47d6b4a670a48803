//! Connector and task statuses (Java `StatusBackingStore`): what `GET .../status` shows.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rconnect_sdk::record::Topic;

use crate::herder::{ConnectorTaskId, State};

/// One status record.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    pub worker_id: String,
    pub generation: i32,
}

/// A topic a connector's task used (KIP-558 topic tracking; Java `TopicStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: i32,
    /// Epoch milliseconds when the task first used the topic.
    pub discover_timestamp: i64,
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
    /// Every connector with a connector or task status.
    fn connectors(&self) -> Vec<String>;
    /// Forgets a connector, its tasks and its active topics (Java writes tombstones).
    fn delete_connector(&self, connector: &str);
    fn delete_task(&self, id: &ConnectorTaskId);

    /// Records that a task used a topic.
    fn put_topic(&self, status: TopicStatus);
    /// The active topic `topic` of `connector`, if recorded.
    fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus>;
    /// Every active topic of `connector`.
    fn topics(&self, connector: &str) -> Vec<TopicStatus>;
    /// Forgets one active topic of `connector` (a reset).
    fn delete_topic(&self, connector: &str, topic: &str);
    /// A number that changes whenever an active topic is forgotten, so that tasks which
    /// remember what they recorded know to record again (Java looks the store up for every
    /// record instead).
    fn topic_removals(&self) -> u64;
}

/// Statuses in memory, lost on restart (standalone, as Java).
#[derive(Default)]
pub struct MemoryStatusStore {
    connectors: Mutex<HashMap<String, Status>>,
    tasks: Mutex<HashMap<String, BTreeMap<i32, Status>>>,
    topics: Mutex<HashMap<String, BTreeMap<String, TopicStatus>>>,
    topic_removals: AtomicU64,
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
    fn connectors(&self) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        names.extend(
            self.tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .filter(|(_, t)| !t.is_empty())
                .map(|(c, _)| c.clone()),
        );
        names.into_iter().collect()
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
        if self
            .topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connector)
            .is_some()
        {
            self.topic_removals.fetch_add(1, Ordering::Relaxed);
        }
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
    fn put_topic(&self, status: TopicStatus) {
        self.topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(status.connector.clone())
            .or_default()
            .insert(status.topic.clone(), status);
    }
    fn topic(&self, connector: &str, topic: &str) -> Option<TopicStatus> {
        self.topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connector)
            .and_then(|t| t.get(topic))
            .cloned()
    }
    fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        self.topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
    fn delete_topic(&self, connector: &str, topic: &str) {
        if let Some(t) = self
            .topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(connector)
        {
            t.remove(topic);
        }
        self.topic_removals.fetch_add(1, Ordering::Relaxed);
    }
    fn topic_removals(&self) -> u64 {
        self.topic_removals.load(Ordering::Relaxed)
    }
}

/// What one task remembers of the topics it recorded as active, so that a record costs an
/// atomic load and, for the topic of the previous record (the common case), a pointer
/// comparison: not a store lookup under its lock, nor a hash of the name.
pub struct TopicTracker {
    store: Option<std::sync::Arc<dyn StatusStore>>,
    id: ConnectorTaskId,
    recorded: std::collections::HashSet<String>,
    /// The last topic recorded; records of one topic share its `Arc`.
    last: Option<Topic>,
    removals: u64,
}

impl TopicTracker {
    /// A tracker for task `id`; `None` for `store` when `topic.tracking.enable=false`.
    pub fn new(store: Option<std::sync::Arc<dyn StatusStore>>, id: ConnectorTaskId) -> Self {
        let removals = store.as_ref().map_or(0, |s| s.topic_removals());
        TopicTracker {
            store,
            id,
            recorded: Default::default(),
            last: None,
            removals,
        }
    }

    /// Records `topic` as active for the task's connector unless it already is (Java
    /// `recordActiveTopic`).
    pub fn record(&mut self, topic: &Topic) {
        let Some(store) = &self.store else { return };
        let removals = store.topic_removals();
        if removals != self.removals {
            self.removals = removals;
            self.recorded.clear();
            self.last = None;
        }
        if self.last.as_ref() == Some(topic) {
            return;
        }
        if !self.recorded.contains(topic.as_str()) {
            if store.topic(&self.id.connector, topic).is_none() {
                store.put_topic(TopicStatus {
                    topic: topic.to_string(),
                    connector: self.id.connector.clone(),
                    task: self.id.task,
                    discover_timestamp: now_ms(),
                });
            }
            self.recorded.insert(topic.to_string());
        }
        self.last = Some(topic.clone());
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Renders an error as the FAILED `trace` Java shows: exception class, message, and a
/// line saying where it was raised.
pub fn failure_trace(error: &rconnect_sdk::ConnectError, context: &str) -> String {
    format!("{}\n\tat {context}\n", error.trace())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tracker(store: &Arc<MemoryStatusStore>) -> TopicTracker {
        let store: Arc<dyn StatusStore> = store.clone();
        TopicTracker::new(
            Some(store),
            ConnectorTaskId {
                connector: "c".into(),
                task: 3,
            },
        )
    }

    #[test]
    fn a_topic_is_recorded_once_and_again_after_a_reset() {
        let store = Arc::new(MemoryStatusStore::default());
        let mut t = tracker(&store);
        t.record(&"orders".into());
        let first = store.topic("c", "orders").expect("recorded");
        assert_eq!((first.task, first.connector.as_str()), (3, "c"));
        t.record(&"orders".into());
        t.record(&"refunds".into());
        t.record(&"orders".into());
        assert_eq!(
            store.topic("c", "orders"),
            Some(first.clone()),
            "not rewritten"
        );
        assert_eq!(store.topics("c").len(), 2);

        store.delete_topic("c", "orders");
        assert_eq!(store.topic("c", "orders"), None);
        t.record(&"orders".into());
        assert!(
            store.topic("c", "orders").is_some(),
            "recorded again after the reset"
        );

        store.delete_connector("c");
        assert!(store.topics("c").is_empty());
        t.record(&"refunds".into());
        assert!(store.topic("c", "refunds").is_some());
    }
}
