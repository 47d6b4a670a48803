//! Test support: an in-memory [`Herder`] and a REST server on port 0 driven by blocking
//! `ureq` requests.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use rconnect_rest::{Listener, RestError, RestServer};
use rconnect_runtime::herder::*;
use rconnect_runtime::offset_admin;
use rconnect_sdk::Props;
use serde_json::{json, Value};

/// One configured connector of the [`TestHerder`].
#[derive(Debug, Clone)]
pub struct TestConnector {
    pub config: Props,
    pub target: TargetState,
    /// Task ids whose status is FAILED.
    pub failed_tasks: BTreeSet<i32>,
}

impl TestConnector {
    fn task_count(&self) -> i32 {
        if self.target == TargetState::Stopped {
            return 0;
        }
        self.config
            .get("tasks.max")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
    }

    /// Connectors configured with `test.no.status=true` have no status record yet.
    fn has_status(&self) -> bool {
        self.config.get("test.no.status").map(String::as_str) != Some("true")
    }

    fn connector_type(&self) -> ConnectorType {
        let class = self
            .config
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        if class.contains("Sink") {
            ConnectorType::Sink
        } else if class.contains("Source") {
            ConnectorType::Source
        } else {
            ConnectorType::Unknown
        }
    }
}

/// A HashMap-backed herder with Java's error messages.
pub struct TestHerder {
    pub connectors: Mutex<BTreeMap<String, TestConnector>>,
    pub health: Mutex<(u16, WorkerStatus)>,
}

pub const WORKER_ID: &str = "127.0.0.1:8083";

impl TestHerder {
    pub fn new() -> TestHerder {
        TestHerder {
            connectors: Mutex::new(BTreeMap::new()),
            health: Mutex::new((
                200,
                WorkerStatus {
                    status: "healthy".into(),
                    message: "Worker has completed startup and is ready to handle requests.".into(),
                },
            )),
        }
    }

    fn get(&self, name: &str) -> Option<TestConnector> {
        self.connectors.lock().unwrap().get(name).cloned()
    }

    fn info(name: &str, c: &TestConnector) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_string(),
            config: c.config.clone(),
            tasks: (0..c.task_count())
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: c.connector_type(),
        }
    }

    fn status(name: &str, c: &TestConnector) -> ConnectorStateInfo {
        let state = match c.target {
            TargetState::Started => State::Running,
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        };
        ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state,
                worker_id: WORKER_ID.into(),
                trace: None,
            },
            tasks: (0..c.task_count())
                .map(|id| {
                    let failed = c.failed_tasks.contains(&id);
                    TaskState {
                        id,
                        state: if failed { State::Failed } else { state },
                        worker_id: WORKER_ID.into(),
                        trace: failed.then(|| "java.lang.RuntimeException: boom".to_string()),
                    }
                })
                .collect(),
            connector_type: c.connector_type(),
        }
    }

    fn not_found(name: &str) -> HerderError {
        HerderError::NotFound(format!("Connector {name} not found"))
    }

    fn validate(config: &Props) -> Vec<String> {
        match config.get("tasks.max").map(String::as_str) {
            Some("0") => {
                vec!["Invalid value 0 for configuration tasks.max: Value must be at least 1".into()]
            }
            _ => Vec::new(),
        }
    }

    fn check_config(config: &Props) -> HerderResult<()> {
        if !config.contains_key("connector.class") {
            return Err(HerderError::BadRequest(format!(
                "Connector config {config:?} contains no connector type"
            )));
        }
        let errors = Self::validate(config);
        if !errors.is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\n\
                 You can also find the above list of errors at the endpoint \
                 `/connector-plugins/{{connectorType}}/config/validate`",
                errors.len(),
                errors.join("\n")
            )));
        }
        Ok(())
    }

    fn with_connector<T>(
        &self,
        name: &str,
        missing: HerderError,
        f: impl FnOnce(&mut TestConnector) -> T,
    ) -> HerderResult<T> {
        let mut map = self.connectors.lock().unwrap();
        map.get_mut(name).map(f).ok_or(missing)
    }
}

#[async_trait]
impl Herder for TestHerder {
    fn server_info(&self) -> ServerInfo {
        ServerInfo {
            version: "3.9.0".into(),
            commit: "abcdef0123456789".into(),
            kafka_cluster_id: "cluster-1".into(),
        }
    }

    async fn health(&self) -> (u16, WorkerStatus) {
        self.health.lock().unwrap().clone()
    }

    async fn connectors(&self) -> Vec<String> {
        self.connectors.lock().unwrap().keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        if name.starts_with("slow") {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let c = self.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(Self::info(name, &c))
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        Ok(self.get(name).ok_or_else(|| Self::not_found(name))?.config)
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Created<ConnectorInfo>> {
        Self::check_config(&config)?;
        let mut map = self.connectors.lock().unwrap();
        let existing = map.get(name).cloned();
        if existing.is_some() && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let connector = TestConnector {
            config,
            target: existing
                .as_ref()
                .map(|c| c.target)
                .or(initial_state)
                .unwrap_or(TargetState::Started),
            failed_tasks: BTreeSet::new(),
        };
        let info = Self::info(name, &connector);
        map.insert(name.to_string(), connector);
        Ok(Created {
            created: existing.is_none(),
            result: info,
        })
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        let mut map = self.connectors.lock().unwrap();
        let c = map.get_mut(name).ok_or_else(|| Self::not_found(name))?;
        let mut config = c.config.clone();
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Self::check_config(&config)?;
        c.config = config;
        Ok(Self::info(name, c))
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        let mut map = self.connectors.lock().unwrap();
        map.remove(name)
            .map(|_| ())
            .ok_or_else(|| Self::not_found(name))
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        match self.get(name) {
            Some(c) if c.has_status() => Ok(Self::status(name, &c)),
            _ => Err(HerderError::NotFound(format!(
                "No status found for connector {name}"
            ))),
        }
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        let missing = || HerderError::NotFound(format!("No status found for task {id}"));
        let c = self.get(&id.connector).ok_or_else(missing)?;
        Self::status(&id.connector, &c)
            .tasks
            .into_iter()
            .find(|t| t.id == id.task)
            .ok_or_else(missing)
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let c = self.get(name).ok_or_else(|| Self::not_found(name))?;
        Ok(Self::info(name, &c)
            .tasks
            .into_iter()
            .map(|id| {
                let mut config = c.config.clone();
                config.insert("task.id".into(), id.task.to_string());
                TaskInfo { id, config }
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        let missing = HerderError::NotFound(format!("Unknown connector {name}"));
        self.with_connector(name, missing, |c| c.target = TargetState::Paused)
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        let missing = HerderError::NotFound(format!("Unknown connector {name}"));
        self.with_connector(name, missing, |c| c.target = TargetState::Started)
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        // Standalone answers 500 for an unknown connector.
        let missing = HerderError::Internal(format!("No connector `{name}` configured"));
        self.with_connector(name, missing, |c| c.target = TargetState::Stopped)
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let c = self
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        let mut plan = Self::status(name, &c);
        if !only_failed || plan.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
        }
        for task in &mut plan.tasks {
            if include_tasks && (!only_failed || task.state == State::Failed) {
                task.state = State::Restarting;
            }
        }
        Ok(Some(plan))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let c = self
            .get(&id.connector)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {}", id.connector)))?;
        if id.task < 0 || id.task >= c.task_count() {
            return Err(HerderError::NotFound(format!("Unknown task: {id}")));
        }
        Ok(())
    }

    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        let plugin = |class: &str, plugin_type: &str| PluginInfo {
            class_name: class.into(),
            plugin_type: plugin_type.into(),
            version: Some("3.9.0".into()),
        };
        let mut all = vec![
            plugin(
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "sink",
            ),
            plugin(
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "source",
            ),
        ];
        if !connectors_only {
            all.push(plugin(
                "org.apache.kafka.connect.storage.StringConverter",
                "converter",
            ));
        }
        all
    }

    fn plugin_config(&self, plugin: &str) -> HerderResult<Vec<ConfigKeyInfo>> {
        match plugin {
            "FileStreamSource" | "org.apache.kafka.connect.file.FileStreamSourceConnector" => {
                Ok(vec![ConfigKeyInfo {
                    name: "file".into(),
                    config_type: "STRING".into(),
                    required: false,
                    default_value: None,
                    importance: "HIGH".into(),
                    documentation: "Source filename.".into(),
                    group: None,
                    order: -1,
                    width: "NONE".into(),
                    display_name: "file".into(),
                    dependents: vec![],
                }])
            }
            // A plugin class of a type the endpoint does not describe (Java answers 400;
            // converters, transformations and predicates are described since KIP-769).
            "AllConnectorClientConfigOverridePolicy" => Err(HerderError::BadRequest(format!(
                "Invalid plugin class {plugin}. Valid types are sink, source, converter, \
                 header_converter, transformation, predicate."
            ))),
            _ => Err(HerderError::NotFound(format!("Unknown plugin {plugin}."))),
        }
    }

    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        let class = config.get("connector.class").cloned().ok_or_else(|| {
            HerderError::Internal(
                "org.apache.kafka.connect.errors.ConnectException: Connector config contains \
                 no connector type"
                    .into(),
            )
        })?;
        let errors = Self::validate(&config);
        let configs = config
            .iter()
            .map(|(k, v)| ConfigInfo {
                definition: None,
                value: Some(ConfigValueInfo {
                    name: k.clone(),
                    value: Some(v.clone()),
                    recommended_values: vec![],
                    errors: if k == "tasks.max" {
                        errors.clone()
                    } else {
                        vec![]
                    },
                    visible: true,
                }),
            })
            .collect();
        Ok(ConfigInfos {
            name: class,
            error_count: errors.len(),
            groups: vec!["Common".into()],
            configs,
        })
    }

    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let c = self.get(name).ok_or_else(|| Self::not_found(name))?;
        let file = c.config.get("file").cloned().unwrap_or_default();
        let json =
            json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 30}}]});
        Ok(serde_json::from_value(json).expect("a valid ConnectorOffsets"))
    }

    /// The runtime's checks (STOPPED, sink offsets format) over offsets kept nowhere.
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: Vec<OffsetChange>,
    ) -> HerderResult<Message> {
        offset_admin::check_not_empty(&offsets)?;
        let c = self.get(name).ok_or_else(|| Self::not_found(name))?;
        offset_admin::check_stopped(name, c.target, c.task_count() as usize)?;
        if c.connector_type() == ConnectorType::Sink {
            offset_admin::parse_sink_offsets(&offsets)?;
        }
        Ok(Message {
            message: "The offsets for this connector have been altered successfully".into(),
        })
    }

    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        let c = self.get(name).ok_or_else(|| Self::not_found(name))?;
        offset_admin::check_stopped(name, c.target, c.task_count() as usize)?;
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".into(),
        })
    }

    /// A sink's `topics`, as if every one had been consumed; none for anything else.
    async fn connector_active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        Ok(self
            .get(name)
            .and_then(|c| c.config.get("topics").cloned())
            .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default())
    }

    async fn reset_connector_active_topics(&self, _name: &str) -> HerderResult<()> {
        Ok(())
    }
}

/// A response as the tests look at it.
pub struct Resp {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body {:?} is not JSON: {e}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Java `ErrorMessage` body.
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.json(),
            json!({"error_code": status, "message": message})
        );
    }

    /// Asserts an error whose message starts with `prefix`.
    pub fn assert_error_prefix(&self, status: u16, prefix: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        let v = self.json();
        assert_eq!(v["error_code"], json!(status));
        let msg = v["message"].as_str().expect("a message");
        assert!(
            msg.starts_with(prefix),
            "message {msg:?} should start with {prefix:?}"
        );
    }
}

/// A REST server with a [`TestHerder`], served by its own runtime thread.
pub struct TestServer {
    pub base: String,
    pub port: u16,
    pub herder: Arc<TestHerder>,
    agent: ureq::Agent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), RestError>>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|s| s)
    }

    pub fn start_with(
        configure: impl FnOnce(RestServer) -> RestServer + Send + 'static,
    ) -> TestServer {
        let herder = Arc::new(TestHerder::new());
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let served = herder.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let server = RestServer::bind(&[Listener::http("127.0.0.1", 0)]).await?;
                let server = configure(server);
                addr_tx
                    .send(server.local_addrs()[0])
                    .expect("the test is waiting");
                server
                    .serve(served, async move {
                        let _ = stop_rx.await;
                    })
                    .await
            })
        });
        let addr = addr_rx.recv().expect("the server bound its listener");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        TestServer {
            base: format!("http://{addr}"),
            port: addr.port(),
            herder,
            agent,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Sends a request; `body` is `(content type or None, text)`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<(Option<&str>, &str)>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let result = match body {
            None => self.agent.run(builder.body(()).expect("a valid request")),
            Some((content_type, text)) => {
                if let Some(ct) = content_type {
                    builder = builder.header("Content-Type", ct);
                }
                self.agent
                    .run(builder.body(text.to_string()).expect("a valid request"))
            }
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));
        Resp {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.body_mut().read_to_string().expect("a UTF-8 body"),
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, &[])
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn send_json(&self, method: &str, path: &str, body: &str) -> Resp {
        self.request(method, path, Some((Some("application/json"), body)), &[])
    }

    pub fn send_empty(&self, method: &str, path: &str) -> Resp {
        self.request(method, path, None, &[])
    }

    /// Creates a FileStreamSource connector through the API.
    pub fn create(&self, name: &str, extra: Value) -> Resp {
        let mut config = json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "tasks.max": "1",
            "file": "/tmp/in",
            "topic": "t",
        });
        for (k, v) in extra.as_object().expect("an object") {
            config[k] = v.clone();
        }
        let body = json!({"name": name, "config": config});
        let resp = self.send_json("POST", "/connectors", &body.to_string());
        assert_eq!(resp.status, 201, "create {name}: {}", resp.body);
        resp
    }

    /// Stops the server and returns what `serve` returned.
    pub fn shutdown(mut self) -> Result<(), RestError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), RestError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("the server thread does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let result = self.stop_and_join();
        if !std::thread::panicking() {
            result.expect("serve ends cleanly");
        }
    }
}
