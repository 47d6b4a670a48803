//! How the membership loop reacts to config-topic records read between rebalances (Java
//! `DistributedHerder`'s `ConfigUpdateListener` and the tick that processes its queues).

use rconnect_group::{TaskId, WorkSet};

use super::TickLoop;
use crate::config_store::{ConfigStore, ConfigUpdate, RestartRequest};
use crate::distributed::herder::{spawn_reconcile, task_id};
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::status::Status;
use tracing::warn;

impl TickLoop {
    /// Whether `update` changes the connectors or task counts the last assignment was made
    /// from (for the leader: what it assigned; for a follower: what it read).
    pub(super) fn needs_rebalance(&self, update: &ConfigUpdate) -> bool {
        if self.herder.configs.concerns_skipped(update) {
            return false;
        }
        let snap = self.herder.configs.snapshot();
        match update {
            ConfigUpdate::ConnectorConfig(name) => {
                snap.connectors.contains_key(name) != self.task_counts.contains_key(name)
            }
            ConfigUpdate::TaskConfigs(name) => {
                snap.connectors.get(name).map(|c| c.tasks.len())
                    != self.task_counts.get(name).copied()
            }
            _ => false,
        }
    }

    /// Reacts to a config-topic record read while running; true when a rebalance is needed.
    pub(super) async fn on_config_update(&mut self, update: ConfigUpdate) -> bool {
        if self.herder.configs.concerns_skipped(&update) {
            // Not in the snapshot: neither run here nor assigned, so nothing changes.
            return false;
        }
        let h = self.herder.clone();
        let snap = h.configs.snapshot();
        match update {
            ConfigUpdate::ConnectorConfig(name) => {
                let exists = snap.connectors.contains_key(&name);
                let was_known = self.task_counts.contains_key(&name);
                if exists && was_known && self.owned.connectors.contains(&name) {
                    // A reconfigured connector restarts on its owner, which regenerates tasks.
                    let c = &snap.connectors[&name];
                    h.worker.stop_connector(&name).await;
                    if h.worker
                        .start_connector(&name, c.config.clone(), c.target_state)
                        .await
                        .is_ok()
                    {
                        spawn_reconcile(&h, &name);
                    }
                }
                if !exists {
                    // Deleted: stop what runs here at once; the leader cleans statuses.
                    let mine = WorkSet {
                        connectors: self
                            .owned
                            .connectors
                            .iter()
                            .filter(|c| **c == name)
                            .cloned()
                            .collect(),
                        tasks: self
                            .owned
                            .tasks
                            .iter()
                            .filter(|t| t.connector == name)
                            .cloned()
                            .collect(),
                    };
                    if !mine.is_empty() {
                        self.stop_work(&mine).await;
                        self.owned.remove_all(&mine);
                    }
                    if h.membership().is_leader {
                        h.worker.status.delete_connector(&name);
                    }
                }
                exists != was_known
            }
            ConfigUpdate::TaskConfigs(name) => {
                // Restart the tasks running here whose configs changed; the leader hands out
                // (or takes back) tasks whose number changed in the next round.
                let Some(c) = snap.connectors.get(&name) else {
                    return true;
                };
                let count_changed = self.task_counts.get(&name) != Some(&c.tasks.len());
                let mine: Vec<TaskId> = self
                    .owned
                    .tasks
                    .iter()
                    .filter(|t| t.connector == name)
                    .cloned()
                    .collect();
                for t in mine {
                    let now = c
                        .tasks
                        .get(t.task as usize)
                        .map(|tc| (c.config.clone(), tc.clone()));
                    if now.is_some() && self.started.get(&t) == now.as_ref() {
                        continue;
                    }
                    let id = task_id(&t);
                    h.worker.stop_task(&id).await;
                    self.started.remove(&t);
                    if now.is_some() {
                        self.start_task(&t, c);
                    } else {
                        self.owned.tasks.remove(&t);
                        h.worker.status.delete_task(&id);
                    }
                }
                count_changed
            }
            ConfigUpdate::TargetState(name) => {
                let Some(c) = snap.connectors.get(&name) else {
                    return false;
                };
                let runs_here = self.owned.connectors.contains(&name)
                    || self.owned.tasks.iter().any(|t| t.connector == name);
                if runs_here {
                    if let Err(e) = h.worker.set_target_state(&name, c.target_state).await {
                        warn!(connector = %name, "cannot apply target state: {e}");
                    }
                    if c.target_state == TargetState::Started
                        && self.owned.connectors.contains(&name)
                    {
                        spawn_reconcile(&h, &name);
                    }
                }
                false
            }
            ConfigUpdate::Restart(req) => {
                self.restart(&req).await;
                false
            }
            ConfigUpdate::SessionKey => false,
            ConfigUpdate::LoggerLevel { namespace, level } => {
                // Nobody listening (no REST server yet) leaves nothing to apply it to.
                let _ = h.logger_levels.send((namespace, level));
                false
            }
        }
    }

    /// Applies a KIP-745 restart request to what runs here.
    async fn restart(&mut self, req: &RestartRequest) {
        let h = self.herder.clone();
        let snap = h.configs.snapshot();
        let Some(c) = snap.connectors.get(&req.connector) else {
            return;
        };
        let failed = |s: Option<Status>| s.map(|s| s.state == State::Failed).unwrap_or(false);
        // Java `DistributedHerder#doRestartConnectorAndTasks`: stop the connector and mark it
        // RESTARTING, stop the tasks and mark them RESTARTING, then start them all; the stops
        // themselves write UNASSIGNED first.
        let restart_connector = self.owned.connectors.contains(&req.connector)
            && (!req.only_failed || failed(h.worker.status.connector(&req.connector)));
        let tasks: Vec<TaskId> = if req.include_tasks {
            self.owned
                .tasks
                .iter()
                .filter(|t| t.connector == req.connector)
                .filter(|t| !req.only_failed || failed(h.worker.status.task(&task_id(t))))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if restart_connector {
            h.worker.stop_connector_to_restart(&req.connector).await;
            h.worker.connector_restarting(&req.connector);
        }
        let ids: Vec<ConnectorTaskId> = tasks.iter().map(task_id).collect();
        futures::future::join_all(ids.iter().map(|id| h.worker.stop_task_to_restart(id))).await;
        for id in &ids {
            h.worker.task_restarting(id);
        }
        if restart_connector {
            let _ = h
                .worker
                .start_connector(&req.connector, c.config.clone(), c.target_state)
                .await;
        }
        for t in &tasks {
            self.started.remove(t);
            self.start_task(t, c);
        }
    }
}
