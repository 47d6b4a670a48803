//! The worker: runs connector instances and task loops for whatever the herder assigns.

mod convert;
mod redaction;
#[cfg(test)]
mod redaction_tests;
mod sink;
#[cfg(test)]
mod sink_tests;
mod source;
#[cfg(test)]
mod source_tests;
mod submitted;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use rconnect_config::{Resolved, WorkerConfig};
use rconnect_sdk::connector::{Connector, ConnectorContext, SinkConnector, SourceConnector};
use rconnect_sdk::stop::{stop_pair, StopTrigger};
use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn, Instrument};

pub use convert::Converters;
pub use redaction::KnownSecrets;

use crate::clients::KafkaClients;
use crate::herder::{ConnectorTaskId, ConnectorType, State, TargetState};
use crate::offsets::OffsetBackingStore;
use crate::plugins::{ConnectorFactory, PluginRegistry};
use crate::status::{failure_trace, Status, StatusStore};

/// The worker's identity and configuration.
#[derive(Clone)]
pub struct WorkerSettings {
    /// `<advertised host>:<port>`, written in status records.
    pub worker_id: String,
    pub config: Arc<WorkerConfig>,
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

impl WorkerSettings {
    pub fn offset_flush_interval(&self) -> Duration {
        millis(self.config.offset_flush_interval_ms)
    }
    pub fn offset_flush_timeout(&self) -> Duration {
        millis(self.config.offset_flush_timeout_ms)
    }
    pub fn graceful_shutdown_timeout(&self) -> Duration {
        millis(self.config.task_shutdown_graceful_timeout_ms)
    }
}

/// Messages a running connector sends its herder.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectorEvent {
    /// `ConnectorContext::request_task_reconfiguration`.
    Reconfigure(String),
}

enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

impl Instance {
    fn as_connector(&mut self) -> &mut dyn Connector {
        match self {
            Instance::Source(c) => c.as_mut(),
            Instance::Sink(c) => c.as_mut(),
        }
    }
}

struct RunningConnector {
    instance: tokio::sync::Mutex<Instance>,
    config: Props,
    started: Mutex<bool>,
}

struct RunningTask {
    stop: StopTrigger,
    target: watch::Sender<TargetState>,
    join: JoinHandle<()>,
}

struct Context {
    name: String,
    events: mpsc::UnboundedSender<ConnectorEvent>,
    status: Arc<dyn StatusStore>,
    worker_id: String,
    generation: Arc<std::sync::atomic::AtomicI32>,
    secrets: Arc<KnownSecrets>,
}

impl ConnectorContext for Context {
    fn request_task_reconfiguration(&self) {
        let _ = self
            .events
            .send(ConnectorEvent::Reconfigure(self.name.clone()));
    }
    fn raise_error(&self, error: ConnectError) {
        let trace = self.secrets.redact(
            &self.name,
            &failure_trace(&error, "ConnectorContext.raiseError"),
        );
        warn!(connector = %self.name, "connector raised an error: {}", self.secrets.redact(&self.name, &error.to_string()));
        self.status.put_connector(
            &self.name,
            Status {
                state: State::Failed,
                trace: Some(trace),
                worker_id: self.worker_id.clone(),
                generation: self.generation.load(std::sync::atomic::Ordering::SeqCst),
            },
        );
    }
}

/// Java's `Worker#connectorClientConfigOverrides` check when a task's client is made.
pub(crate) fn check_client_overrides(
    settings: &WorkerConfig,
    client: rconnect_config::client_overrides::ClientType,
    connector_config: &Props,
) -> ConnectResult<()> {
    rconnect_config::client_overrides::check_overrides(
        settings.connector_client_config_override_policy,
        client,
        connector_config,
    )
    .map_err(ConnectError::connect)
}

fn shutting_down() -> ConnectError {
    ConnectError::connect("the worker is shutting down")
}

/// The text of a panic payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs connectors and tasks; owns nothing about which should run (that is the herder).
///
/// Connector instances and task loops always run on the data-path runtime, the one the
/// worker was built on (its `Handle` is captured in [`Worker::new`]), whoever calls: the
/// REST server runs on a runtime of its own, and a task started from a REST request must not
/// end up there, where request load or requests stuck in blocking calls would stall it
/// (Java runs them on the worker's own executor, never on Jetty's threads).
pub struct Worker {
    pub settings: WorkerSettings,
    pub plugins: Arc<PluginRegistry>,
    pub offsets: Arc<dyn OffsetBackingStore>,
    pub status: Arc<dyn StatusStore>,
    pub kafka: Arc<dyn KafkaClients>,
    events: mpsc::UnboundedSender<ConnectorEvent>,
    connectors: Mutex<HashMap<String, Arc<RunningConnector>>>,
    tasks: Mutex<HashMap<ConnectorTaskId, RunningTask>>,
    /// Shared with connector contexts, whose errors are written at the current generation.
    generation: Arc<std::sync::atomic::AtomicI32>,
    /// What config providers resolved, per connector, to redact traces and logs with.
    secrets: Arc<KnownSecrets>,
    /// The data-path runtime: connectors, task loops and their blocking calls run here.
    data_path: tokio::runtime::Handle,
    /// What `GET /metrics` reports.
    metrics: Arc<crate::metrics::Metrics>,
}

impl Worker {
    /// A worker whose connectors and tasks run on the current runtime (the data path).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(
        settings: WorkerSettings,
        plugins: Arc<PluginRegistry>,
        offsets: Arc<dyn OffsetBackingStore>,
        status: Arc<dyn StatusStore>,
        kafka: Arc<dyn KafkaClients>,
    ) -> (Arc<Worker>, mpsc::UnboundedReceiver<ConnectorEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        let settings_secrets = settings.config.provider_secrets.clone();
        let metrics = Arc::new(match settings.config.mode {
            rconnect_config::WorkerMode::Distributed => {
                crate::metrics::Metrics::distributed(settings.worker_id.clone())
            }
            rconnect_config::WorkerMode::Standalone => {
                crate::metrics::Metrics::standalone(settings.worker_id.clone())
            }
        });
        let w = Worker {
            settings,
            plugins,
            offsets,
            status,
            kafka,
            events,
            connectors: Mutex::new(HashMap::new()),
            tasks: Mutex::new(HashMap::new()),
            generation: Arc::new(std::sync::atomic::AtomicI32::new(0)),
            secrets: Arc::new(KnownSecrets::new(settings_secrets)),
            data_path: tokio::runtime::Handle::current(),
            metrics,
        };
        (Arc::new(w), rx)
    }

    /// A task of this worker started (`task-startup-success-total`).
    pub(crate) fn task_started(&self) {
        self.metrics
            .worker
            .task_startup_success_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The worker's metrics (`GET /metrics`).
    pub fn metrics(&self) -> Arc<crate::metrics::Metrics> {
        self.metrics.clone()
    }

    /// The runtime connectors and tasks run on.
    pub fn data_path(&self) -> &tokio::runtime::Handle {
        &self.data_path
    }

    /// Runs `work` on the data-path runtime and waits for it, so that what it spawns (a
    /// connector's own tasks, its blocking plugin calls) lands there. `None` if the runtime
    /// is shutting down. A caller that gives up waiting does not cancel `work`, as Java's
    /// herder operations run to completion on the worker's executor.
    async fn on_data_path<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        match self.data_path.spawn(work).await {
            Ok(value) => Some(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => None,
        }
    }

    /// The group generation written in status records (0 in standalone).
    pub fn set_generation(&self, generation: i32) {
        self.generation
            .store(generation, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn generation(&self) -> i32 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A task's active-topic tracker; inert when `topic.tracking.enable=false`.
    pub fn topic_tracker(&self, id: &ConnectorTaskId) -> crate::status::TopicTracker {
        let store = self
            .settings
            .config
            .topic_tracking_enable
            .then(|| self.status.clone());
        crate::status::TopicTracker::new(store, id.clone())
    }

    fn put_status(&self, f: impl FnOnce(Status)) {
        f(Status {
            state: State::Running,
            trace: None,
            worker_id: self.settings.worker_id.clone(),
            generation: self.generation(),
        })
    }

    /// Every status trace is written through here or [`Worker::task_status`], so none
    /// carries a value a config provider resolved.
    fn connector_status(&self, name: &str, state: State, trace: Option<String>) {
        self.put_status(|mut s| {
            s.state = state;
            s.trace = trace.map(|t| self.redact(name, &t));
            self.status.put_connector(name, s)
        });
    }

    /// The type of the connector class named in `config`.
    pub fn connector_type(&self, config: &Props) -> ConnectorType {
        config
            .get("connector.class")
            .and_then(|c| self.plugins.connector(c).ok())
            .map(|p| p.connector_type())
            .unwrap_or(ConnectorType::Unknown)
    }

    /// Creates and (if the target is STARTED) starts a connector instance. A failure to
    /// start is recorded as FAILED status and returned.
    pub async fn start_connector(
        self: &Arc<Self>,
        name: &str,
        config: Props,
        target: TargetState,
    ) -> ConnectResult<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.on_data_path(async move { w.start_connector_here(&name, config, target).await })
            .await
            .unwrap_or_else(|| Err(shutting_down()))
    }

    async fn start_connector_here(
        &self,
        name: &str,
        config: Props,
        target: TargetState,
    ) -> ConnectResult<()> {
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let plugin = self
            .plugins
            .connector(&class)
            .map_err(|e| ConnectError::config(e.to_string()))?
            .clone();
        let instance = match &plugin.factory {
            ConnectorFactory::Source { connector, .. } => Instance::Source(connector()),
            ConnectorFactory::Sink { connector, .. } => Instance::Sink(connector()),
        };
        let running = Arc::new(RunningConnector {
            instance: tokio::sync::Mutex::new(instance),
            config: config.clone(),
            started: Mutex::new(false),
        });
        self.connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), running.clone());
        match target {
            TargetState::Started => self.start_instance(name, &running).await,
            TargetState::Paused => {
                self.connector_status(name, State::Paused, None);
                Ok(())
            }
            TargetState::Stopped => {
                self.connector_status(name, State::Stopped, None);
                Ok(())
            }
        }
    }

    async fn start_instance(&self, name: &str, running: &RunningConnector) -> ConnectResult<()> {
        let w = &self.metrics.worker;
        w.connector_startup_attempts_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = self.start_instance_counted(name, running).await;
        let outcome = if result.is_ok() {
            &w.connector_startup_success_total
        } else {
            &w.connector_startup_failure_total
        };
        outcome.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        result
    }

    async fn start_instance_counted(
        &self,
        name: &str,
        running: &RunningConnector,
    ) -> ConnectResult<()> {
        let ctx = Arc::new(Context {
            name: name.to_string(),
            events: self.events.clone(),
            status: self.status.clone(),
            worker_id: self.settings.worker_id.clone(),
            generation: self.generation.clone(),
            secrets: self.secrets.clone(),
        });
        let config = match self.resolve_connector_config(name, &running.config).await {
            Ok(c) => c,
            Err(e) => {
                self.connector_failed(name, &e, "WorkerConnector.doStart");
                return Err(e);
            }
        };
        let mut inst = running.instance.lock().await;
        // Java's `SourceConnectorConfig` (with `createTopics`) reads the topic creation
        // groups when the connector starts; a bad group fails the connector.
        if let (Instance::Source(_), Err(e)) = (
            &*inst,
            rconnect_config::topic_creation::TopicCreationGroups::from_config(
                self.settings.config.topic_creation_enable,
                &config,
            ),
        ) {
            let e = ConnectError::from(e);
            self.connector_failed(name, &e, "WorkerConnector.doStart");
            return Err(e);
        }
        let result = inst
            .as_connector()
            .start(ctx, config)
            .instrument(tracing::info_span!("connector", connector = %name))
            .await;
        match result {
            Ok(()) => {
                *running.started.lock().unwrap_or_else(|p| p.into_inner()) = true;
                info!(connector = %name, "connector started");
                self.connector_status(name, State::Running, None);
                Ok(())
            }
            Err(e) => {
                self.connector_failed(name, &e, "WorkerConnector.doStart");
                Err(e)
            }
        }
    }

    /// `config` with the worker's config providers' references resolved, and the values
    /// they resolved to. File reads run on the providers' own threads with their timeout
    /// (`rconnect.config.providers.timeout.ms`), never on the reactor or tokio's blocking
    /// pool. Errors name references and paths, never values.
    pub async fn resolve_config(&self, config: &Props) -> ConnectResult<Resolved> {
        let providers = &self.settings.config.providers;
        // Without a reference there is nothing to read: no provider thread is taken.
        if providers.is_empty() || !config.values().any(|v| v.contains("${")) {
            return Ok(Resolved {
                props: config.clone(),
                secrets: Default::default(),
            });
        }
        providers
            .resolve(config)
            .await
            .map_err(|e| ConnectError::config(e.to_string()))
    }

    /// `config` of `connector` (its own or one of its tasks') resolved, remembering the
    /// values so that traces and logs about the connector can be redacted.
    pub async fn resolve_connector_config(
        &self,
        connector: &str,
        config: &Props,
    ) -> ConnectResult<Props> {
        let resolved = self.resolve_config(config).await?;
        self.secrets.remember(connector, &resolved.secrets);
        Ok(resolved.props)
    }

    /// `text` about `connector` with every value config providers resolved for it replaced
    /// by its `${provider:path:key}` reference.
    pub fn redact(&self, connector: &str, text: &str) -> String {
        self.secrets.redact(connector, text)
    }

    /// What config providers resolved on this worker, for the log writer to redact with.
    pub fn known_secrets(&self) -> Arc<KnownSecrets> {
        self.secrets.clone()
    }

    /// Forgets the resolved values of a deleted connector.
    pub fn forget_secrets(&self, connector: &str) {
        self.secrets.forget(connector);
    }

    /// Stops the connector instance (not its tasks).
    pub async fn stop_connector(self: &Arc<Self>, name: &str) {
        self.stop_connector_on_data_path(name).await;
    }

    /// Stops the connector instance on the data path, whoever calls; true when one ran here.
    async fn stop_connector_on_data_path(self: &Arc<Self>, name: &str) -> bool {
        let (w, name) = (self.clone(), name.to_string());
        // `None`: the runtime is shutting down, and the instance with it.
        self.on_data_path(async move { w.stop_connector_here(&name).await })
            .await
            .unwrap_or(false)
    }

    async fn stop_connector_here(&self, name: &str) -> bool {
        let running = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        match running {
            Some(running) => {
                self.stop_instance(name, &running).await;
                true
            }
            None => false,
        }
    }

    /// Stops the connector instance to restart it. When an instance ran here it is then
    /// recorded UNASSIGNED, as Java's `WorkerConnector#doShutdown` does through
    /// `AbstractHerder#onShutdown` (the status topic shows UNASSIGNED before the restart's
    /// RESTARTING and RUNNING).
    pub async fn stop_connector_to_restart(self: &Arc<Self>, name: &str) {
        if self.stop_connector_on_data_path(name).await {
            self.connector_status(name, State::Unassigned, None);
        }
    }

    /// Stops a task to restart it, recording it UNASSIGNED when it was running: Java's
    /// `WorkerTask#onShutdown` reports a task that ends normally, while a FAILED task's
    /// thread has already ended and reports nothing more.
    pub async fn stop_task_to_restart(&self, id: &ConnectorTaskId) {
        if let Some(t) = self.take_task(id) {
            let failed = self
                .status
                .task(id)
                .is_some_and(|s| s.state == State::Failed);
            t.stop.stop();
            self.await_task(id, t.join).await;
            if !failed {
                self.task_status(id, State::Unassigned, None);
            }
        }
    }

    /// Records the connector RESTARTING (Java `AbstractHerder#onRestart`), between stopping
    /// and starting it for a restart request with `includeTasks` or `onlyFailed`.
    pub fn connector_restarting(&self, name: &str) {
        self.connector_status(name, State::Restarting, None);
    }

    /// Records the task RESTARTING (Java `AbstractHerder#onRestart(ConnectorTaskId)`).
    pub fn task_restarting(&self, id: &ConnectorTaskId) {
        self.task_status(id, State::Restarting, None);
    }

    async fn stop_instance(&self, name: &str, running: &RunningConnector) {
        let was_started = std::mem::replace(
            &mut *running.started.lock().unwrap_or_else(|p| p.into_inner()),
            false,
        );
        if was_started {
            let mut inst = running.instance.lock().await;
            if let Err(e) = inst.as_connector().stop().await {
                warn!(connector = %name, "connector failed to stop cleanly: {}", self.redact(name, &e.to_string()));
            }
        }
    }

    /// Applies a target state to a running connector instance and its tasks.
    pub async fn set_target_state(
        self: &Arc<Self>,
        name: &str,
        target: TargetState,
    ) -> ConnectResult<()> {
        let (w, name) = (self.clone(), name.to_string());
        self.on_data_path(async move { w.set_target_state_here(&name, target).await })
            .await
            .unwrap_or_else(|| Err(shutting_down()))
    }

    async fn set_target_state_here(&self, name: &str, target: TargetState) -> ConnectResult<()> {
        let running = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        if let Some(running) = running {
            let failed = self
                .status
                .connector(name)
                .map(|s| s.state == State::Failed)
                .unwrap_or(false);
            match target {
                TargetState::Started => {
                    let started = *running.started.lock().unwrap_or_else(|p| p.into_inner());
                    if !started {
                        self.start_instance(name, &running).await?;
                    } else {
                        self.connector_status(name, State::Running, None);
                    }
                }
                // Java rejects pausing a FAILED connector: it stays FAILED.
                TargetState::Paused if failed => {}
                TargetState::Paused => {
                    self.stop_instance(name, &running).await;
                    self.connector_status(name, State::Paused, None);
                }
                TargetState::Stopped => {
                    self.stop_instance(name, &running).await;
                    self.connector_status(name, State::Stopped, None);
                }
            }
        }
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for (id, t) in tasks.iter() {
            if id.connector == name {
                t.target.send_replace(target);
            }
        }
        Ok(())
    }

    /// The task configs of a started connector, with `task.class` added and `topics` /
    /// `topics.regex` copied from the connector config (worker.md §5.4).
    pub async fn connector_task_configs(
        self: &Arc<Self>,
        name: &str,
        max_tasks: usize,
        enforce: bool,
    ) -> ConnectResult<Vec<Props>> {
        let (w, name) = (self.clone(), name.to_string());
        self.on_data_path(async move {
            w.connector_task_configs_here(&name, max_tasks, enforce)
                .await
        })
        .await
        .unwrap_or_else(|| Err(shutting_down()))
    }

    async fn connector_task_configs_here(
        &self,
        name: &str,
        max_tasks: usize,
        enforce: bool,
    ) -> ConnectResult<Vec<Props>> {
        let running = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| {
                ConnectError::connect(format!("Connector {name} is not running on this worker"))
            })?;
        let mut inst = running.instance.lock().await;
        let c = inst.as_connector();
        let task_class = c.task_class();
        let configs = c.task_configs(max_tasks)?;
        if enforce && configs.len() > max_tasks {
            return Err(ConnectError::connect(format!(
                "The connector {name} has generated {} tasks, which is greater than {max_tasks}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                configs.len()
            )));
        }
        Ok(configs
            .into_iter()
            .map(|mut t| {
                t.insert("task.class".into(), task_class.clone());
                for k in ["topics", "topics.regex"] {
                    if let Some(v) = running.config.get(k) {
                        t.insert(k.into(), v.clone());
                    }
                }
                // Task configs are stored: keep secrets out of them as Java does.
                rconnect_config::ConfigProviders::reverse_transform(&running.config, &mut t);
                t
            })
            .collect())
    }

    /// Starts one task of a connector whose config is `connector_config`.
    pub fn start_task(
        self: &Arc<Self>,
        id: ConnectorTaskId,
        connector_config: Props,
        task_config: Props,
        target: TargetState,
    ) -> ConnectResult<()> {
        self.metrics
            .worker
            .task_startup_attempts_total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let class = connector_config
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        let plugin = self
            .plugins
            .connector(&class)
            .map_err(|e| ConnectError::config(e.to_string()))?
            .clone();
        let (stop, signal) = stop_pair();
        let (target_tx, target_rx) = watch::channel(target);
        let span = tracing::info_span!("task", connector = %id.connector, task = id.task);
        let worker = self.clone();
        let task_id = id.clone();
        let (w, tid) = (worker.clone(), task_id.clone());
        let run: futures::future::BoxFuture<'static, ()> = Box::pin(async move {
            // Configs are stored with their `${provider:...}` references; the task gets the
            // values, resolved here where it runs (as Java's worker does).
            let (connector_config, task_config) = match (
                w.resolve_connector_config(&tid.connector, &connector_config)
                    .await,
                w.resolve_connector_config(&tid.connector, &task_config)
                    .await,
            ) {
                (Ok(c), Ok(t)) => (c, t),
                (Err(e), _) | (_, Err(e)) => {
                    w.task_failed(&tid, &e, "Worker.startTask");
                    return;
                }
            };
            match plugin.factory {
                ConnectorFactory::Source { task, .. } => {
                    source::run(
                        w,
                        tid,
                        connector_config,
                        task_config,
                        task(),
                        signal,
                        target_rx,
                    )
                    .await
                }
                ConnectorFactory::Sink { task, .. } => {
                    sink::run(
                        w,
                        tid,
                        connector_config,
                        task_config,
                        task(),
                        signal,
                        target_rx,
                    )
                    .await
                }
            }
        });
        // A panic in connector code fails only this task, with the panic as its trace.
        // On the data path even when a REST request starts the task (see `Worker`).
        let join = self.data_path.spawn(
            async move {
                if let Err(panic) = std::panic::AssertUnwindSafe(run).catch_unwind().await {
                    let msg = worker.redact(&task_id.connector, &panic_message(panic.as_ref()));
                    warn!("task panicked: {msg}");
                    worker.task_status(
                        &task_id,
                        State::Failed,
                        Some(format!(
                            "java.lang.RuntimeException: task panicked: {msg}\n"
                        )),
                    );
                }
            }
            .instrument(span),
        );
        self.tasks.lock().unwrap_or_else(|p| p.into_inner()).insert(
            id,
            RunningTask {
                stop,
                target: target_tx,
                join,
            },
        );
        Ok(())
    }

    /// Stops a task and waits for it (up to the graceful timeout, then abandons it).
    pub async fn stop_task(&self, id: &ConnectorTaskId) {
        if let Some(t) = self.take_task(id) {
            t.stop.stop();
            self.await_task(id, t.join).await;
        }
    }

    /// Removes a task from the running ones, to stop it.
    fn take_task(&self, id: &ConnectorTaskId) -> Option<RunningTask> {
        self.metrics.remove_task(id);
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
    }

    async fn await_task(&self, id: &ConnectorTaskId, mut join: JoinHandle<()>) {
        // The loop's own shutdown (final flush and offset commit) gets the graceful budget
        // on top of the flush timeout it may spend waiting for acks.
        let budget =
            self.settings.graceful_shutdown_timeout() + self.settings.offset_flush_timeout();
        if tokio::time::timeout(budget, &mut join).await.is_err() {
            warn!(task = %id, "task did not stop within {budget:?}; abandoning it");
            join.abort();
        }
    }

    /// Stops every task of `connector`, concurrently.
    pub async fn stop_tasks_of(&self, connector: &str) {
        let ids: Vec<ConnectorTaskId> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .filter(|id| id.connector == connector)
            .cloned()
            .collect();
        futures::future::join_all(ids.iter().map(|id| self.stop_task(id))).await;
    }

    /// Connectors whose instance exists on this worker.
    pub fn connector_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// Task ids running here.
    pub fn task_ids(&self) -> Vec<ConnectorTaskId> {
        let mut ids: Vec<ConnectorTaskId> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Stops everything: tasks first (concurrently), then connectors.
    pub async fn stop_all(&self) {
        let tasks: Vec<(ConnectorTaskId, RunningTask)> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for (_, t) in &tasks {
            t.stop.stop();
        }
        futures::future::join_all(
            tasks
                .into_iter()
                .map(|(id, t)| async move { self.await_task(&id, t.join).await }),
        )
        .await;
        let names: Vec<String> = self
            .connectors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        for n in names {
            self.stop_connector_here(&n).await;
        }
    }

    /// Marks a connector FAILED with the error as its trace.
    pub(crate) fn connector_failed(&self, name: &str, error: &ConnectError, context: &str) {
        warn!(connector = %name, "connector failed ({context}): {}", self.redact(name, &error.to_string()));
        self.connector_status(name, State::Failed, Some(failure_trace(error, context)));
    }

    /// Marks a task FAILED with the error as its trace (`context` names where it failed, as
    /// the Java frame would).
    pub(crate) fn task_failed(&self, id: &ConnectorTaskId, error: &ConnectError, context: &str) {
        warn!(task = %id, "task failed ({context}): {}", self.redact(&id.connector, &error.to_string()));
        if context == "Worker.startTask" || context.ends_with(".initializeAndStart") {
            self.metrics
                .worker
                .task_startup_failure_total
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.task_status(id, State::Failed, Some(failure_trace(error, context)));
    }

    pub(crate) fn task_status(&self, id: &ConnectorTaskId, state: State, trace: Option<String>) {
        self.put_status(|mut s| {
            s.state = state;
            s.trace = trace.map(|t| self.redact(&id.connector, &t));
            self.status.put_task(id, s)
        });
    }
}
