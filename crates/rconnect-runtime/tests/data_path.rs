//! Connectors and task loops run on the runtime the worker was built on (the data path),
//! even when the call that starts them comes from another runtime (the REST server's).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rconnect_config::WorkerConfig;
use rconnect_runtime::clients::{
    Ack, ConsumerClient, GroupOffsetsClient, KafkaClients, ProducerClient,
};
use rconnect_runtime::herder::{ConnectorTaskId, TargetState};
use rconnect_runtime::offsets::FileOffsetStore;
use rconnect_runtime::plugins::{
    ConnectorFactory, ConnectorPlugin, ConverterPlugin, PluginRegistry,
};
use rconnect_runtime::status::MemoryStatusStore;
use rconnect_runtime::worker::{Worker, WorkerSettings};
use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::record::SourceRecord;
use rconnect_sdk::{async_trait, ConnectResult, Props};
use tokio::sync::mpsc;

/// Which probe ran on which thread.
type Seen = Arc<Mutex<Vec<(&'static str, String)>>>;

fn record(seen: &Seen, probe: &'static str) {
    let name = std::thread::current().name().unwrap_or("").to_string();
    seen.lock().unwrap().push((probe, name));
}

struct ProbeConnector(Seen);

#[async_trait]
impl Connector for ProbeConnector {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, _props: Props) -> ConnectResult<()> {
        record(&self.0, "connector start");
        // What a connector spawns lands on the runtime it was started on.
        let seen = self.0.clone();
        tokio::spawn(async move { record(&seen, "connector's own task") });
        Ok(())
    }
    fn task_configs(&mut self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![Props::new()])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "ProbeTask".into()
    }
}

impl SourceConnector for ProbeConnector {}

struct ProbeTask;

#[async_trait]
impl SourceTask for ProbeTask {
    fn version(&self) -> String {
        "1".into()
    }
    async fn start(&mut self, _ctx: SourceTaskContext, _props: Props) -> ConnectResult<()> {
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        Ok(None)
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Kafka clients that record where the task loop asks for its producer, then refuse.
struct ProbeClients(Seen);

impl KafkaClients for ProbeClients {
    fn producer(
        &self,
        _config: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String> {
        record(&self.0, "task loop");
        Err("probe: no producer".into())
    }
    fn consumer(
        &self,
        _config: &Props,
        _topics: &[String],
        _topics_regex: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String> {
        Err("probe: no consumer".into())
    }
    fn group_offsets(&self, _admin_config: &Props) -> Result<Box<dyn GroupOffsetsClient>, String> {
        Err("probe: no admin".into())
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn connectors_and_tasks_run_on_the_data_path_whoever_starts_them() {
    let seen: Seen = Arc::default();
    let mut plugins = PluginRegistry::new();
    let connector_seen = seen.clone();
    plugins.register_connector(ConnectorPlugin {
        class_name: "ProbeConnector".into(),
        version: "1".into(),
        factory: ConnectorFactory::Source {
            connector: Arc::new(move || Box::new(ProbeConnector(connector_seen.clone()))),
            task: Arc::new(|| Box::new(ProbeTask)),
        },
    });
    for c in rconnect_converters::builtin() {
        plugins.register_converter(ConverterPlugin {
            class_name: c.class_name.to_string(),
            version: c.version.to_string(),
            converter: c.new_converter.map(|f| Arc::new(f) as _),
            header_converter: c.new_header_converter.map(|f| Arc::new(f) as _),
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let offsets_file = dir.path().join("offsets");
    let config = WorkerConfig::standalone(props(&[
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "offset.storage.file.filename",
            offsets_file.to_str().unwrap(),
        ),
    ]))
    .expect("a worker config");

    let data_path = runtime("data-path");
    let rest = runtime("rest");
    let (worker, _events) = data_path.block_on(async {
        Worker::new(
            WorkerSettings {
                worker_id: "probe:8083".into(),
                config: Arc::new(config),
            },
            Arc::new(plugins),
            Arc::new(FileOffsetStore::open(&offsets_file).unwrap()),
            Arc::new(MemoryStatusStore::default()),
            Arc::new(ProbeClients(seen.clone())),
        )
    });

    // As a REST handler would: from a task of the REST runtime.
    rest.block_on(start_from_rest(worker.clone()));

    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = seen.lock().unwrap().clone();
    for probe in ["connector start", "connector's own task", "task loop"] {
        let threads: Vec<&String> = seen
            .iter()
            .filter(|(p, _)| *p == probe)
            .map(|(_, t)| t)
            .collect();
        assert!(!threads.is_empty(), "{probe} never ran: {seen:?}");
        assert!(
            threads.iter().all(|t| t.starts_with("data-path")),
            "{probe} ran on {threads:?}, not on the data path"
        );
    }
    data_path.block_on(worker.stop_all());
}

async fn start_from_rest(worker: Arc<Worker>) {
    tokio::spawn(async move {
        let config = props(&[("connector.class", "ProbeConnector"), ("tasks.max", "1")]);
        worker
            .start_connector("probe", config.clone(), TargetState::Started)
            .await
            .expect("the connector starts");
        let tasks = worker
            .connector_task_configs("probe", 1, true)
            .await
            .expect("task configs");
        let id = ConnectorTaskId {
            connector: "probe".into(),
            task: 0,
        };
        worker
            .start_task(id, config, tasks[0].clone(), TargetState::Started)
            .expect("the task starts");
    })
    .await
    .expect("the REST-side task");
}
