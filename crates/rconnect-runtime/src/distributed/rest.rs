//! The REST-facing side of the distributed herder (Java `DistributedHerder`'s request
//! methods behind `ConnectorsResource`): each request reads the shared config snapshot,
//! or becomes a config-topic write on the leader (forwarded there from other workers), which
//! the membership loop of every worker then applies.

use async_trait::async_trait;
use rconnect_group::TaskId;
use rconnect_sdk::Props;
use serde_json::json;

use super::forward::{self, join_url};
use super::herder::DistributedHerder;
use crate::config_store::{ConfigStore, RestartRequest};
use crate::herder::*;
use crate::herder_support;
use crate::validation;

#[async_trait]
impl Herder for DistributedHerder {
    fn server_info(&self) -> ServerInfo {
        herder_support::server_info(&self.cluster_id)
    }

    async fn health(&self) -> (u16, WorkerStatus) {
        if self.membership().ready {
            herder_support::healthy()
        } else {
            herder_support::starting(" The worker is currently ensuring membership in the cluster.")
        }
    }

    async fn connectors(&self) -> Vec<String> {
        self.configs.snapshot().connectors.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.info(name)
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.configs
            .snapshot()
            .connectors
            .get(name)
            .map(|c| c.config.clone())
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Created<ConnectorInfo>> {
        herder_support::check_name(name)?;
        let infos = herder_support::validate(&self.worker, &config).await?;
        if let Some(msg) = validation::invalid_message(&infos) {
            return Err(HerderError::BadRequest(msg));
        }
        if let Some(leader) = self.leader_or_forward().await? {
            let (status, info) = if allow_replace {
                self.forward_json::<ConnectorInfo>(
                    "PUT",
                    &leader,
                    &format!("connectors/{name}/config?forward=true"),
                    Some(json!(config)),
                )
                .await?
            } else {
                let state = initial_state.map(|s| match s {
                    TargetState::Started => "RUNNING",
                    TargetState::Paused => "PAUSED",
                    TargetState::Stopped => "STOPPED",
                });
                let mut body = json!({"name": name, "config": config});
                if let Some(s) = state {
                    body["initial_state"] = json!(s);
                }
                self.forward_json::<ConnectorInfo>(
                    "POST",
                    &leader,
                    "connectors?forward=true",
                    Some(body),
                )
                .await?
            };
            let info =
                info.ok_or_else(|| HerderError::Internal("empty response from the leader".into()))?;
            return Ok(Created {
                created: status == 201,
                result: info,
            });
        }
        let exists = self.configs.snapshot().connectors.contains_key(name);
        if exists && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let target = if exists { None } else { initial_state };
        self.configs
            .put_connector_config(name, &config, target)
            .await
            .map_err(Self::store_err)?;
        let mut info = self.info(name)?;
        if !exists {
            // Java answers a create before any task exists.
            info.tasks.clear();
        }
        Ok(Created {
            created: !exists,
            result: info,
        })
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        if let Some(leader) = self.leader_or_forward().await? {
            return self
                .forward_json::<serde_json::Value>(
                    "DELETE",
                    &leader,
                    &format!("connectors/{name}?forward=true"),
                    None,
                )
                .await
                .map(|_| ());
        }
        // A connector left out for its name can still be deleted: that is how an operator
        // clears a record another writer (a Java worker) put in the topic.
        if !self.configs.snapshot().connectors.contains_key(name) && !self.configs.is_skipped(name)
        {
            return Err(HerderError::NotFound(format!("Connector {name} not found")));
        }
        self.configs
            .remove_connector_config(name)
            .await
            .map_err(Self::store_err)
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.state_info(name)
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        herder_support::task_state(&self.worker, id)
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        Ok(c.tasks
            .iter()
            .enumerate()
            .map(|(i, t)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as i32,
                },
                config: t.clone(),
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_target_state(name, TargetState::Paused)
            .await
            .map_err(Self::store_err)
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_target_state(name, TargetState::Started)
            .await
            .map_err(Self::store_err)
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        if let Some(leader) = self.leader_or_forward().await? {
            return self
                .forward_json::<serde_json::Value>(
                    "PUT",
                    &leader,
                    &format!("connectors/{name}/stop?forward=true"),
                    None,
                )
                .await
                .map(|_| ());
        }
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_task_configs(name, &[])
            .await
            .map_err(Self::store_err)?;
        self.configs
            .put_target_state(name, TargetState::Stopped)
            .await
            .map_err(Self::store_err)
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let m = self.stable().await?;
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        }
        let query = format!("connectors/{name}/restart?forward=true&includeTasks={include_tasks}&onlyFailed={only_failed}");
        if !include_tasks && !only_failed {
            // Legacy restart: the connector's owner restarts it in place.
            if self.worker.connector_names().iter().any(|c| c == name) {
                let snap = self.configs.snapshot();
                let c = &snap.connectors[name];
                // Java's legacy restart: UNASSIGNED (the stop), then RUNNING.
                self.worker.stop_connector_to_restart(name).await;
                let _ = self
                    .worker
                    .start_connector(name, c.config.clone(), c.target_state)
                    .await;
                return Ok(None);
            }
            let target = if m.is_leader {
                m.connector_owners.get(name).cloned()
            } else {
                m.leader_url.clone()
            };
            let target = target.ok_or_else(|| HerderError::Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)".into()))?;
            return self
                .forward_json::<serde_json::Value>("POST", &target, &query, None)
                .await
                .map(|_| None);
        }
        if !m.is_leader {
            let leader = m.leader_url.clone().unwrap_or_default();
            return self
                .forward_json::<ConnectorStateInfo>("POST", &leader, &query, None)
                .await
                .map(|(_, info)| info);
        }
        let current = self
            .state_info(name)
            .map_err(|_| HerderError::NotFound(format!("Status for connector {name} not found")))?;
        let mut plan = current.clone();
        if !only_failed || current.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
        }
        for t in plan.tasks.iter_mut() {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
            }
        }
        self.configs
            .put_restart_request(&RestartRequest {
                connector: name.to_string(),
                include_tasks,
                only_failed,
            })
            .await
            .map_err(Self::store_err)?;
        Ok(Some(plan))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let m = self.stable().await?;
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(&id.connector)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {}", id.connector)))?;
        let tc = c
            .tasks
            .get(id.task as usize)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown task: {id}")))?;
        if self.worker.task_ids().contains(id) {
            self.worker.stop_task_to_restart(id).await;
            return self
                .worker
                .start_task(id.clone(), c.config.clone(), tc.clone(), c.target_state)
                .map_err(|_| HerderError::Internal(format!("Failed to start task: {id}")));
        }
        let target = if m.is_leader {
            m.task_owners
                .get(&TaskId::new(id.connector.clone(), id.task))
                .cloned()
        } else {
            m.leader_url.clone()
        };
        let target = target.ok_or_else(|| HerderError::Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)".into()))?;
        self.forward_json::<serde_json::Value>(
            "POST",
            &target,
            &format!(
                "connectors/{}/tasks/{}/restart?forward=true",
                id.connector, id.task
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        self.worker.plugins.plugin_infos(connectors_only)
    }

    fn plugin_config(&self, plugin: &str) -> HerderResult<Vec<ConfigKeyInfo>> {
        herder_support::plugin_config(&self.worker, plugin)
    }

    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        herder_support::validate(&self.worker, &config).await
    }

    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        crate::offset_admin::offsets(&self.worker, name, &c.config).await
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: Vec<OffsetChange>,
    ) -> HerderResult<Message> {
        crate::offset_admin::check_not_empty(&offsets)?;
        self.modify_offsets(name, Some(offsets)).await
    }

    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.modify_offsets(name, None).await
    }

    async fn connector_active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        herder_support::active_topics(&self.worker, name)
    }

    async fn reset_connector_active_topics(&self, name: &str) -> HerderResult<()> {
        herder_support::reset_active_topics(&self.worker, name)
    }

    async fn set_cluster_logger_level(&self, namespace: &str, level: &str) -> HerderResult<bool> {
        // Any worker writes it, as Java's does; it takes effect here when read back.
        self.configs
            .put_logger_level(namespace, level)
            .await
            .map_err(|e| {
                HerderError::Internal(format!("Error writing logger level to Kafka: {e}"))
            })?;
        Ok(true)
    }

    fn logger_level_updates(&self) -> Option<tokio::sync::broadcast::Receiver<(String, String)>> {
        Some(self.logger_levels.subscribe())
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        body: &[u8],
        signature: (Option<String>, Option<String>),
    ) -> HerderResult<()> {
        self.signature_ok(body, &signature)?;
        if let Some(leader) = self.leader_or_forward().await? {
            let url = join_url(&leader, &format!("connectors/{name}/tasks?forward=true"));
            return forward::send("POST", url, Some(body.to_vec()), Vec::new())
                .await
                .map(|_| ())
                .map_err(HerderError::from);
        }
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        if c.target_state == TargetState::Stopped && !configs.is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Cannot submit non-empty set of task configs for stopped connector {name}"
            )));
        }
        self.configs
            .put_task_configs(name, &configs)
            .await
            .map_err(Self::store_err)
    }
}
