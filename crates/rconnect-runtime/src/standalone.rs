//! The standalone herder (Java `StandaloneHerder`): configs and statuses in memory,
//! offsets in a file, every connector and task on this one worker.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use rconnect_sdk::Props;
use tokio::sync::{mpsc, Mutex};
use tracing::{info, warn};

use crate::herder::*;
use crate::herder_support;
use crate::offset_admin;
use crate::validation;
use crate::worker::{ConnectorEvent, Worker};

/// The Kafka version whose Connect REST API rconnect matches (`GET /` reports it, and
/// clients parse it).
pub const KAFKA_VERSION: &str = "3.9.0";

struct Entry {
    config: Props,
    target: TargetState,
    tasks: Vec<Props>,
}

/// Manages connectors on a single worker.
pub struct StandaloneHerder {
    worker: Arc<Worker>,
    /// Java synchronizes every herder operation; so do we.
    configs: Mutex<BTreeMap<String, Entry>>,
    ready: AtomicBool,
    cluster_id: String,
}

impl StandaloneHerder {
    /// A herder over `worker`; `events` are the worker's connector events, handled by a
    /// background task for as long as the herder lives.
    pub fn new(
        worker: Arc<Worker>,
        events: mpsc::UnboundedReceiver<ConnectorEvent>,
        cluster_id: String,
    ) -> Arc<Self> {
        let h = Arc::new(StandaloneHerder {
            worker,
            configs: Mutex::new(BTreeMap::new()),
            ready: AtomicBool::new(false),
            cluster_id,
        });
        let weak = Arc::downgrade(&h);
        tokio::spawn(async move {
            let mut events = events;
            while let Some(ConnectorEvent::Reconfigure(name)) = events.recv().await {
                let Some(h) = weak.upgrade() else { break };
                h.reconfigure(&name).await;
            }
        });
        h
    }

    /// Marks start-up complete (after the command-line connectors were created).
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Stops every task and connector (shutdown).
    pub async fn stop(&self) {
        let _configs = self.configs.lock().await;
        self.worker.stop_all().await;
    }

    fn info(&self, name: &str, e: &Entry) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: e.config.clone(),
            tasks: (0..e.tasks.len() as i32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: self.worker.connector_type(&e.config),
        }
    }

    /// Starts the connector and, if it runs, its tasks.
    async fn start(&self, name: &str, e: &mut Entry) {
        if let Err(err) = self
            .worker
            .start_connector(name, e.config.clone(), e.target)
            .await
        {
            warn!(connector = %name, "connector did not start: {err}");
            return;
        }
        if e.target == TargetState::Stopped {
            e.tasks.clear();
            return;
        }
        self.regenerate_tasks(name, e).await;
        self.start_tasks(name, e);
    }

    async fn regenerate_tasks(&self, name: &str, e: &mut Entry) {
        if e.target != TargetState::Started {
            return;
        }
        let (max, enforce) = herder_support::max_tasks(&e.config);
        match self.worker.connector_task_configs(name, max, enforce).await {
            Ok(tasks) => e.tasks = tasks,
            Err(err) => {
                self.worker
                    .connector_failed(name, &err, "Worker.connectorTaskConfigs");
            }
        }
    }

    fn start_tasks(&self, name: &str, e: &Entry) {
        for (i, t) in e.tasks.iter().enumerate() {
            let id = ConnectorTaskId {
                connector: name.to_string(),
                task: i as i32,
            };
            if let Err(err) =
                self.worker
                    .start_task(id.clone(), e.config.clone(), t.clone(), e.target)
            {
                self.worker.task_failed(&id, &err, "Worker.startTask");
            }
        }
    }

    async fn stop_everything_of(&self, name: &str) {
        self.worker.stop_tasks_of(name).await;
        self.worker.stop_connector(name).await;
    }

    async fn reconfigure(&self, name: &str) {
        let mut configs = self.configs.lock().await;
        let Some(e) = configs.get_mut(name) else {
            return;
        };
        self.reconfigure_entry(name, e).await;
    }

    /// Java `StandaloneHerder#updateConnectorTasks`: regenerates the task configs of a
    /// started connector and restarts its tasks when they changed.
    async fn reconfigure_entry(&self, name: &str, e: &mut Entry) {
        let before = e.tasks.clone();
        self.regenerate_tasks(name, e).await;
        if e.tasks != before {
            info!(connector = %name, "task configs changed; restarting tasks");
            self.worker.stop_tasks_of(name).await;
            for i in e.tasks.len()..before.len() {
                self.worker.status.delete_task(&ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as i32,
                });
            }
            self.start_tasks(name, e);
        }
    }

    /// Alters (`Some`) or resets (`None`) a stopped connector's offsets. The lock is held
    /// throughout, as Java's synchronized herder does, so the connector cannot be resumed
    /// while its offsets change.
    async fn modify_offsets(
        &self,
        name: &str,
        offsets: Option<Vec<OffsetChange>>,
    ) -> HerderResult<Message> {
        let configs = self.configs.lock().await;
        let e = configs.get(name).ok_or_else(|| Self::not_found(name))?;
        offset_admin::check_stopped(name, e.target, e.tasks.len())?;
        offset_admin::modify(&self.worker, name, &e.config, offsets).await
    }

    fn not_found(name: &str) -> HerderError {
        HerderError::NotFound(format!("Connector {name} not found"))
    }

    fn state_info(&self, name: &str, e: &Entry) -> HerderResult<ConnectorStateInfo> {
        herder_support::connector_state(&self.worker, name, self.worker.connector_type(&e.config))
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn server_info(&self) -> ServerInfo {
        herder_support::server_info(&self.cluster_id)
    }

    async fn health(&self) -> (u16, WorkerStatus) {
        if !self.ready.load(Ordering::SeqCst) {
            return (
                503,
                WorkerStatus {
                    status: "starting".into(),
                    message: "Worker is still starting up.".into(),
                },
            );
        }
        // Standalone health proves the herder lock can be taken, as Java's does.
        match tokio::time::timeout(std::time::Duration::from_secs(10), self.configs.lock()).await {
            Ok(_) => herder_support::healthy(),
            Err(_) => (500, WorkerStatus { status: "unhealthy".into(), message: "Worker was unable to handle this request and may be unable to handle other requests.".into() }),
        }
    }

    async fn connectors(&self) -> Vec<String> {
        self.configs.lock().await.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let configs = self.configs.lock().await;
        configs
            .get(name)
            .map(|e| self.info(name, e))
            .ok_or_else(|| Self::not_found(name))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        let configs = self.configs.lock().await;
        configs
            .get(name)
            .map(|e| e.config.clone())
            .ok_or_else(|| Self::not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Created<ConnectorInfo>> {
        herder_support::check_name(name)?;
        let infos = herder_support::validate(&self.worker, &config)
            .await
            .map_err(validation::as_thrown)?;
        if let Some(msg) = validation::invalid_message(&infos) {
            return Err(HerderError::BadRequest(msg));
        }
        let mut configs = self.configs.lock().await;
        if configs.contains_key(name) && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let existing = configs.remove(name);
        if existing.is_some() {
            self.stop_everything_of(name).await;
        }
        let created = existing.is_none();
        let target = match &existing {
            Some(old) => old.target,
            None => initial_state.unwrap_or(TargetState::Started),
        };
        let old_task_count = existing.as_ref().map(|e| e.tasks.len()).unwrap_or(0);
        let mut entry = Entry {
            config,
            target,
            tasks: Vec::new(),
        };
        info!(connector = %name, "{} connector", if created { "creating" } else { "reconfiguring" });
        self.start(name, &mut entry).await;
        for i in entry.tasks.len()..old_task_count {
            self.worker.status.delete_task(&ConnectorTaskId {
                connector: name.to_string(),
                task: i as i32,
            });
        }
        let info = self.info(name, &entry);
        configs.insert(name.to_string(), entry);
        Ok(Created {
            created,
            result: info,
        })
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut configs = self.configs.lock().await;
        if configs.remove(name).is_none() {
            return Err(Self::not_found(name));
        }
        self.stop_everything_of(name).await;
        self.worker.status.delete_connector(name);
        self.worker.forget_secrets(name);
        info!(connector = %name, "connector deleted");
        Ok(())
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let configs = self.configs.lock().await;
        let e = configs.get(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        self.state_info(name, e)
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        herder_support::task_state(&self.worker, id)
    }

    async fn tasks_config(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let tasks = self.task_configs(name).await?;
        if tasks.is_empty() {
            return Err(Self::not_found(name));
        }
        Ok(tasks)
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let configs = self.configs.lock().await;
        let e = configs.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(e.tasks
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as i32,
                },
                config: c.clone(),
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        let mut configs = self.configs.lock().await;
        let e = configs
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        e.target = TargetState::Paused;
        self.worker
            .set_target_state(name, TargetState::Paused)
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        let mut configs = self.configs.lock().await;
        let e = configs
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector {name}")))?;
        let was = e.target;
        e.target = TargetState::Started;
        if was == TargetState::Stopped {
            // A stopped connector has no tasks: start it again and regenerate them.
            self.worker.stop_connector(name).await;
            self.start(name, e).await;
            return Ok(());
        }
        self.worker
            .set_target_state(name, TargetState::Started)
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))?;
        // Java requests a task reconfiguration when a connector reaches STARTED
        // (`onConnectorTargetStateChange`): a connector created PAUSED has no tasks yet.
        self.reconfigure_entry(name, e).await;
        Ok(())
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        let mut configs = self.configs.lock().await;
        let e = configs.get_mut(name).ok_or_else(|| {
            // Java: `StandaloneHerder#stopConnector`'s IllegalArgumentException, whose
            // message the exception mapper answers without the class name.
            HerderError::Internal(format!("No connector `{name}` configured"))
        })?;
        e.target = TargetState::Stopped;
        self.worker.stop_tasks_of(name).await;
        for i in 0..e.tasks.len() {
            self.worker.status.delete_task(&ConnectorTaskId {
                connector: name.to_string(),
                task: i as i32,
            });
        }
        e.tasks.clear();
        self.worker
            .set_target_state(name, TargetState::Stopped)
            .await
            .map_err(|e| HerderError::Internal(e.to_string()))
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let mut configs = self.configs.lock().await;
        let e = configs
            .get_mut(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if !include_tasks && !only_failed {
            // Java's legacy restart: UNASSIGNED (the stop), then RUNNING; no RESTARTING.
            self.worker.stop_connector_to_restart(name).await;
            if let Err(err) = self
                .worker
                .start_connector(name, e.config.clone(), e.target)
                .await
            {
                warn!(connector = %name, "restart failed: {err}");
            }
            return Ok(None);
        }
        let current = self
            .state_info(name, e)
            .map_err(|_| HerderError::NotFound(format!("Status for connector {name} not found")))?;
        let restart_connector = !only_failed || current.connector.state == State::Failed;
        let restart_tasks: Vec<i32> = current
            .tasks
            .iter()
            .filter(|t| include_tasks && (!only_failed || t.state == State::Failed))
            .map(|t| t.id)
            .collect();
        let mut plan = current.clone();
        if restart_connector {
            plan.connector.state = State::Restarting;
        }
        for t in plan.tasks.iter_mut() {
            if restart_tasks.contains(&t.id) {
                t.state = State::Restarting;
            }
        }
        // Standalone executes the plan before answering, in Java's order
        // (`StandaloneHerder#restartConnectorAndTasks`): stop the connector and mark it
        // RESTARTING, stop the tasks and mark them RESTARTING, then start them all.
        let task_ids: Vec<ConnectorTaskId> = restart_tasks
            .iter()
            .map(|t| ConnectorTaskId {
                connector: name.to_string(),
                task: *t,
            })
            .collect();
        if restart_connector {
            self.worker.stop_connector_to_restart(name).await;
            self.worker.connector_restarting(name);
        }
        futures::future::join_all(
            task_ids
                .iter()
                .map(|id| self.worker.stop_task_to_restart(id)),
        )
        .await;
        for id in &task_ids {
            self.worker.task_restarting(id);
        }
        if restart_connector {
            if let Err(err) = self
                .worker
                .start_connector(name, e.config.clone(), e.target)
                .await
            {
                warn!(connector = %name, "restart failed: {err}");
            }
        }
        for t in &restart_tasks {
            let id = ConnectorTaskId {
                connector: name.to_string(),
                task: *t,
            };
            if let Some(tc) = e.tasks.get(*t as usize) {
                if let Err(err) =
                    self.worker
                        .start_task(id.clone(), e.config.clone(), tc.clone(), e.target)
                {
                    warn!(task = %id, "restart failed: {err}");
                }
            }
        }
        Ok(Some(plan))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let configs = self.configs.lock().await;
        let e = configs.get(&id.connector).ok_or_else(|| {
            // Java: `StandaloneHerder#restartTask`'s NotFoundException texts (Java goes
            // on after reporting them and answers a 500 from the failed start instead).
            HerderError::NotFound(format!("Connector {} not found", id.connector))
        })?;
        let tc = e
            .tasks
            .get(id.task as usize)
            .ok_or_else(|| HerderError::NotFound(format!("Task {id} not found")))?;
        // Java: UNASSIGNED (the stop of a running task), then RUNNING.
        self.worker.stop_task_to_restart(id).await;
        self.worker
            .start_task(id.clone(), e.config.clone(), tc.clone(), e.target)
            .map_err(|_| HerderError::Internal(format!("Failed to start task: {id}")))
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
        let configs = self.configs.lock().await;
        let e = configs.get(name).ok_or_else(|| Self::not_found(name))?;
        offset_admin::offsets(&self.worker, name, &e.config).await
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: Vec<OffsetChange>,
    ) -> HerderResult<Message> {
        offset_admin::check_not_empty(&offsets)?;
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
}
