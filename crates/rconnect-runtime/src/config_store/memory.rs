//! An in-memory [`ConfigStore`] for unit tests of the herders: writes apply at once, bump
//! the offset as the Kafka store's records would, notify subscribers, and are recorded so a
//! test can tell who wrote what.

use std::sync::Mutex;

use async_trait::async_trait;
use rconnect_sdk::Props;
use tokio::sync::broadcast;

use super::*;

/// One write, as a test sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Write {
    ConnectorConfig(String),
    RemoveConnector(String),
    /// The connector and how many task configs were written.
    TaskConfigs(String, usize),
    TargetState(String, TargetState),
    SessionKey,
    Restart(RestartRequest),
    LoggerLevel(String, String),
}

pub(crate) struct MemoryConfigStore {
    state: Mutex<ClusterConfigState>,
    events: broadcast::Sender<ConfigUpdate>,
    writes: Mutex<Vec<Write>>,
}

impl Default for MemoryConfigStore {
    fn default() -> Self {
        MemoryConfigStore {
            state: Mutex::new(ClusterConfigState {
                offset: 0,
                ..ClusterConfigState::default()
            }),
            events: broadcast::channel(1024).0,
            writes: Mutex::new(Vec::new()),
        }
    }
}

impl MemoryConfigStore {
    /// Every write so far, in order.
    pub(crate) fn writes(&self) -> Vec<Write> {
        self.writes.lock().unwrap().clone()
    }

    /// The task-config writes of `connector`, with their sizes.
    pub(crate) fn task_config_writes(&self, connector: &str) -> Vec<usize> {
        self.writes()
            .into_iter()
            .filter_map(|w| match w {
                Write::TaskConfigs(c, n) if c == connector => Some(n),
                _ => None,
            })
            .collect()
    }

    fn apply(
        &self,
        records: i64,
        write: Write,
        update: ConfigUpdate,
        f: impl FnOnce(&mut ClusterConfigState),
    ) {
        {
            let mut state = self.state.lock().unwrap();
            f(&mut state);
            state.offset += records;
        }
        self.writes.lock().unwrap().push(write);
        // Nobody listening is fine: the membership loop may not have started yet.
        let _ = self.events.send(update);
    }
}

#[async_trait]
impl ConfigStore for MemoryConfigStore {
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
        name: &str,
        config: &Props,
        target: Option<TargetState>,
    ) -> Result<(), ConfigStoreError> {
        if let Some(t) = target {
            self.put_target_state(name, t).await?;
        }
        self.apply(
            1,
            Write::ConnectorConfig(name.to_string()),
            ConfigUpdate::ConnectorConfig(name.to_string()),
            |s| {
                let target_state = s.connectors.get(name).map(|c| c.target_state);
                let c = s
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
                if let Some(t) = target.or(target_state) {
                    c.target_state = t;
                }
            },
        );
        Ok(())
    }

    async fn remove_connector_config(&self, name: &str) -> Result<(), ConfigStoreError> {
        self.apply(
            2,
            Write::RemoveConnector(name.to_string()),
            ConfigUpdate::ConnectorConfig(name.to_string()),
            |s| {
                s.connectors.remove(name);
            },
        );
        Ok(())
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), ConfigStoreError> {
        self.apply(
            configs.len() as i64 + 1,
            Write::TaskConfigs(name.to_string(), configs.len()),
            ConfigUpdate::TaskConfigs(name.to_string()),
            |s| {
                if let Some(c) = s.connectors.get_mut(name) {
                    c.tasks = configs.to_vec();
                    c.applied_config = Some(c.config.clone());
                    c.inconsistent = false;
                    c.task_config_generation += 1;
                }
            },
        );
        Ok(())
    }

    async fn put_target_state(
        &self,
        name: &str,
        state: TargetState,
    ) -> Result<(), ConfigStoreError> {
        self.apply(
            1,
            Write::TargetState(name.to_string(), state),
            ConfigUpdate::TargetState(name.to_string()),
            |s| {
                if let Some(c) = s.connectors.get_mut(name) {
                    c.target_state = state;
                }
            },
        );
        Ok(())
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), ConfigStoreError> {
        self.apply(1, Write::SessionKey, ConfigUpdate::SessionKey, |s| {
            s.session_key = Some(key.clone());
        });
        Ok(())
    }

    async fn put_restart_request(&self, request: &RestartRequest) -> Result<(), ConfigStoreError> {
        self.apply(
            1,
            Write::Restart(request.clone()),
            ConfigUpdate::Restart(request.clone()),
            |_| {},
        );
        Ok(())
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), ConfigStoreError> {
        self.apply(
            1,
            Write::LoggerLevel(namespace.to_string(), level.to_string()),
            ConfigUpdate::LoggerLevel {
                namespace: namespace.to_string(),
                level: level.to_string(),
            },
            |_| {},
        );
        Ok(())
    }
}
