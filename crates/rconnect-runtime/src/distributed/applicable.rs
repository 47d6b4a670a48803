//! The config topic as the distributed herder may apply it.
//!
//! The config topic is shared with whatever else writes it, Java workers included, and Java
//! checks no name length: a `connector-<name>` record whose name breaks the connector-name rule
//! (rconnect's 255-byte limit, or Java's own non-empty / no control characters rule, which old
//! Java versions did not enforce) would otherwise reach the assignment, and a name over 32767
//! bytes cannot be encoded there at all (`ConnectProtocol` strings have an int16 length), which
//! wedges every rebalance of the group. Such connectors are left out of the herder's view,
//! with one warning per name: the group, REST and every other connector go on. Their records
//! stay in the topic; `DELETE /connectors/{name}` still removes them (see
//! [`ApplicableConfigs::is_skipped`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rconnect_config::{check_connector_name, shorten_name};
use rconnect_sdk::Props;
use tokio::sync::broadcast;
use tracing::warn;

use crate::config_store::{
    ClusterConfigState, ConfigStore, ConfigStoreError, ConfigUpdate, RestartRequest, SessionKey,
};
use crate::herder::TargetState;

/// A [`ConfigStore`] whose snapshots leave out connectors with names that break the rule.
pub(crate) struct ApplicableConfigs {
    inner: Arc<dyn ConfigStore>,
    /// The names already warned about, so each is logged once (forgotten when deleted).
    warned: Mutex<BTreeSet<String>>,
}

impl ApplicableConfigs {
    pub(crate) fn new(inner: Arc<dyn ConfigStore>) -> ApplicableConfigs {
        ApplicableConfigs {
            inner,
            warned: Mutex::new(BTreeSet::new()),
        }
    }

    /// True when the topic holds a config for `name` that is left out because of its name.
    pub(crate) fn is_skipped(&self, name: &str) -> bool {
        check_connector_name(name).is_err() && self.inner.snapshot().connectors.contains_key(name)
    }

    /// True when an update concerns a connector that is left out, so there is nothing to do;
    /// a record read for the first time is warned about here, as it arrives.
    pub(crate) fn concerns_skipped(&self, update: &ConfigUpdate) -> bool {
        let skipped = update
            .connector()
            .is_some_and(|name| check_connector_name(name).is_err());
        if skipped {
            self.filter(self.inner.snapshot());
        }
        skipped
    }

    fn filter(&self, mut snap: ClusterConfigState) -> ClusterConfigState {
        let mut skipped = Vec::new();
        snap.connectors
            .retain(|name, _| match check_connector_name(name) {
                Ok(()) => true,
                Err(e) => {
                    skipped.push((name.clone(), e));
                    false
                }
            });
        let mut warned = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        warned.retain(|name| skipped.iter().any(|(s, _)| s == name));
        for (name, e) in skipped {
            if warned.insert(name.clone()) {
                warn!(
                    connector = %shorten_name(&name),
                    "skipping this connector's config record: {e}; the connector is not run or \
                     assigned (DELETE /connectors/<name> removes it)"
                );
            }
        }
        snap
    }
}

#[async_trait]
impl ConfigStore for ApplicableConfigs {
    fn snapshot(&self) -> ClusterConfigState {
        self.filter(self.inner.snapshot())
    }

    async fn read_to_end(&self) -> Result<(), ConfigStoreError> {
        self.inner.read_to_end().await
    }

    fn subscribe(&self) -> broadcast::Receiver<ConfigUpdate> {
        self.inner.subscribe()
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: &Props,
        target: Option<TargetState>,
    ) -> Result<(), ConfigStoreError> {
        self.inner.put_connector_config(name, config, target).await
    }

    async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError> {
        self.inner.remove_connector_config(name).await
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), ConfigStoreError> {
        self.inner.put_task_configs(name, configs).await
    }

    async fn put_target_state(
        &self,
        name: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError> {
        self.inner.put_target_state(name, state).await
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError> {
        self.inner.put_session_key(key).await
    }

    async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), ConfigStoreError> {
        self.inner.put_restart_request(request).await
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), ConfigStoreError> {
        self.inner.put_logger_level(namespace, level).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_store::ConnectorSnapshot;

    /// An in-memory config store: a fixed snapshot, writes recorded.
    struct FakeStore {
        state: Mutex<ClusterConfigState>,
        events: broadcast::Sender<ConfigUpdate>,
        removed: Mutex<Vec<String>>,
    }

    impl FakeStore {
        fn with(names: &[&str]) -> Arc<FakeStore> {
            let mut state = ClusterConfigState {
                offset: 7,
                ..Default::default()
            };
            for name in names {
                let config: Props = [("name".to_string(), name.to_string())].into();
                state.connectors.insert(
                    name.to_string(),
                    ConnectorSnapshot {
                        config,
                        target_state: TargetState::Started,
                        tasks: vec![Props::new()],
                        applied_config: None,
                        inconsistent: false,
                        task_config_generation: 0,
                    },
                );
            }
            Arc::new(FakeStore {
                state: Mutex::new(state),
                events: broadcast::channel(16).0,
                removed: Mutex::new(Vec::new()),
            })
        }
    }

    #[async_trait]
    impl ConfigStore for FakeStore {
        fn snapshot(&self) -> ClusterConfigState {
            self.state.lock().unwrap().clone()
        }
        async fn read_to_end(&self) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        fn subscribe(&self) -> broadcast::Receiver<ConfigUpdate> {
            self.events.subscribe()
        }
        async fn put_connector_config(
            &self,
            _: &str,
            _: &Props,
            _: Option<TargetState>,
        ) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError> {
            self.removed.lock().unwrap().push(name.to_string());
            self.state.lock().unwrap().connectors.remove(name);
            Ok(())
        }
        async fn put_task_configs(&self, _: &str, _: &[Props]) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        async fn put_target_state(&self, _: &str, _: TargetState) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        async fn put_session_key(&self, _: &SessionKey) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        async fn put_restart_request(&self, _: &RestartRequest) -> Result<(), ConfigStoreError> {
            Ok(())
        }
        async fn put_logger_level(&self, _: &str, _: &str) -> Result<(), ConfigStoreError> {
            Ok(())
        }
    }

    fn names(snap: &ClusterConfigState) -> Vec<&str> {
        snap.connectors.keys().map(String::as_str).collect()
    }

    #[test]
    fn connectors_with_names_breaking_the_rule_are_left_out() {
        let unencodable = "x".repeat(40_000);
        let too_long = "y".repeat(256);
        let at_limit = "z".repeat(255);
        let inner = FakeStore::with(&["ok", &unencodable, &too_long, &at_limit, "", "bell\u{7}"]);
        let store = ApplicableConfigs::new(inner.clone());
        let snap = store.snapshot();
        assert_eq!(names(&snap), vec!["ok", at_limit.as_str()]);
        assert_eq!(
            snap.offset, 7,
            "the offset is the topic's, skipped records included"
        );
        // Asking again gives the same view (and warns no more: each name is logged once).
        assert_eq!(store.snapshot(), snap);
        assert_eq!(store.warned.lock().unwrap().len(), 4);

        assert!(store.is_skipped(&unencodable));
        assert!(store.is_skipped(""));
        assert!(!store.is_skipped("ok"));
        assert!(
            !store.is_skipped(&"w".repeat(300)),
            "not in the topic, so not skipped"
        );
    }

    #[tokio::test]
    async fn a_skipped_connector_can_be_removed_and_is_forgotten() {
        let unencodable = "x".repeat(40_000);
        let inner = FakeStore::with(&["ok", &unencodable]);
        let store = ApplicableConfigs::new(inner.clone());
        assert_eq!(names(&store.snapshot()), vec!["ok"]);
        store.remove_connector_config(&unencodable).await.unwrap();
        assert_eq!(*inner.removed.lock().unwrap(), vec![unencodable.clone()]);
        assert!(!store.is_skipped(&unencodable));
        assert_eq!(names(&store.snapshot()), vec!["ok"]);
        assert!(store.warned.lock().unwrap().is_empty());
    }

    #[test]
    fn updates_about_skipped_connectors_are_recognised() {
        let long = "x".repeat(40_000);
        let inner = FakeStore::with(&["ok", &long]);
        let store = ApplicableConfigs::new(inner);
        for update in [
            ConfigUpdate::ConnectorConfig(long.clone()),
            ConfigUpdate::TaskConfigs(long.clone()),
            ConfigUpdate::TargetState(long.clone()),
            ConfigUpdate::Restart(RestartRequest {
                connector: long.clone(),
                include_tasks: true,
                only_failed: false,
            }),
        ] {
            assert!(store.concerns_skipped(&update), "{update:?}");
        }
        // The record was warned about as its update arrived.
        assert_eq!(*store.warned.lock().unwrap(), [long].into());
        assert!(!store.concerns_skipped(&ConfigUpdate::ConnectorConfig("ok".into())));
        assert!(!store.concerns_skipped(&ConfigUpdate::SessionKey));
    }
}
