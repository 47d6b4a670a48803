//! Resolved config provider values never reach status traces or validation answers.

use std::sync::Arc;

use rconnect_config::WorkerConfig;
use rconnect_sdk::config::{ConfigDef, ConfigValueReport};
use rconnect_sdk::connector::{Connector, ConnectorContext, SourceConnector};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};
use tokio::sync::mpsc;

use super::*;
use crate::clients::{Ack, ConsumerClient, GroupOffsetsClient, ProducerClient};
use crate::herder::HerderError;
use crate::offsets::FileOffsetStore;
use crate::plugins::fixtures::{self, BOTH, SOURCE};
use crate::plugins::ConnectorPlugin;
use crate::status::MemoryStatusStore;

const SECRET: &str = "s3cret-Pa55";
const LEAKY: &str = "test.LeakySourceConnector";

/// Echoes its `password` in every message it can.
#[derive(Default)]
struct Leaky;

#[async_trait]
impl Connector for Leaky {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        fixtures::def(&["password"])
    }
    fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        let v = props.get("password").cloned();
        vec![ConfigValueReport {
            name: "password".into(),
            errors: vec![format!("wrong password {}", v.clone().unwrap_or_default())],
            recommended_values: v.iter().cloned().collect(),
            value: v,
            visible: true,
        }]
    }
    async fn start(&mut self, _: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        Err(ConnectError::connect(format!(
            "login refused for password {}",
            props.get("password").cloned().unwrap_or_default()
        )))
    }
    fn task_configs(&mut self, _: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "test.Task".into()
    }
}
impl SourceConnector for Leaky {}

/// Clients whose producer refuses its config, quoting all of it (as a client library
/// error may quote a setting).
struct QuotingClients;

impl KafkaClients for QuotingClients {
    fn producer(
        &self,
        config: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String> {
        Err(format!("bad producer config {config:?}"))
    }
    fn consumer(
        &self,
        _: &Props,
        _: &[String],
        _: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String> {
        Err("no consumer".into())
    }
    fn group_offsets(&self, _: &Props) -> Result<Box<dyn GroupOffsetsClient>, String> {
        Err("no admin".into())
    }
}

struct Setup {
    worker: Arc<Worker>,
    reference: String,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, format!("pw={SECRET}\n")).unwrap();
    let props: Props = [
        ("key.converter", BOTH),
        ("value.converter", BOTH),
        ("header.converter", BOTH),
        (
            "offset.storage.file.filename",
            &dir.path().join("offsets").display().to_string(),
        ),
        ("config.providers", "file"),
        ("config.providers.file.class", "FileConfigProvider"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = WorkerConfig::standalone(props).unwrap();
    let mut plugins = fixtures::registry();
    plugins.register_connector(ConnectorPlugin {
        class_name: LEAKY.into(),
        version: "1".into(),
        factory: ConnectorFactory::Source {
            connector: Arc::new(|| Box::new(Leaky)),
            task: Arc::new(|| unreachable!("Leaky has no tasks")),
        },
    });
    let (worker, _events) = Worker::new(
        WorkerSettings {
            worker_id: "w:1".into(),
            config: Arc::new(config),
        },
        Arc::new(plugins),
        Arc::new(FileOffsetStore::open(dir.path().join("offsets")).unwrap()),
        Arc::new(MemoryStatusStore::default()),
        Arc::new(QuotingClients),
    );
    Setup {
        worker,
        reference: format!("${{file:{}:pw}}", secrets.display()),
        _dir: dir,
    }
}

fn config(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_connector_failure_trace_carries_the_reference_not_the_value() {
    let s = setup();
    let c = config(&[("connector.class", LEAKY), ("password", &s.reference)]);
    assert!(s
        .worker
        .start_connector("leaky", c, TargetState::Started)
        .await
        .is_err());
    let status = s.worker.status.connector("leaky").unwrap();
    assert_eq!(status.state, State::Failed);
    let trace = status.trace.unwrap();
    assert!(!trace.contains(SECRET), "{trace}");
    assert!(
        trace.contains(&format!("login refused for password {}", s.reference)),
        "{trace}"
    );
}

#[tokio::test]
async fn a_task_failure_trace_carries_the_reference_not_the_value() {
    let s = setup();
    let c = config(&[
        ("connector.class", SOURCE),
        ("producer.override.sasl.password", &s.reference),
    ]);
    let id = ConnectorTaskId {
        connector: "src".into(),
        task: 0,
    };
    s.worker
        .start_task(id.clone(), c.clone(), c, TargetState::Started)
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        match s.worker.status.task(&id) {
            Some(st) if st.state == State::Failed => break st,
            _ if std::time::Instant::now() > deadline => panic!("task never failed"),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    let trace = status.trace.unwrap();
    assert!(trace.contains("bad producer config"), "{trace}");
    assert!(!trace.contains(SECRET), "{trace}");
    assert!(trace.contains(&s.reference), "{trace}");
}

#[tokio::test]
async fn validation_answers_with_the_config_as_sent() {
    let s = setup();
    let c = config(&[("connector.class", LEAKY), ("password", &s.reference)]);
    let infos = crate::herder_support::validate(&s.worker, &c)
        .await
        .unwrap();
    let body = serde_json::to_string(&infos).unwrap();
    assert!(!body.contains(SECRET), "{body}");
    let password = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .find(|v| v.name == "password")
        .unwrap();
    assert_eq!(password.value.as_deref(), Some(s.reference.as_str()));
    assert_eq!(
        password.errors,
        vec![format!("wrong password {}", s.reference)]
    );
    assert_eq!(password.recommended_values, vec![s.reference.clone()]);

    // An error built from the whole resolved config.
    let e = crate::herder_support::validate(&s.worker, &config(&[("password", &s.reference)]))
        .await
        .unwrap_err();
    let HerderError::BadRequest(m) = e else {
        panic!("{e:?}")
    };
    assert!(!m.contains(SECRET), "{m}");
    assert!(m.contains(&s.reference), "{m}");
}

#[tokio::test]
async fn a_provider_error_fails_validation_naming_the_path() {
    let s = setup();
    let c = config(&[
        ("connector.class", LEAKY),
        ("password", "${file:/no/such/rconnect/file:pw}"),
    ]);
    let e = crate::herder_support::validate(&s.worker, &c)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Could not read properties from file /no/such/rconnect/file"),
        "{e}"
    );
}

#[tokio::test]
async fn active_topics_named_by_a_provider_show_the_reference() {
    let s = setup();
    let c = config(&[("connector.class", LEAKY), ("password", &s.reference)]);
    // Resolving the connector's config (as starting it does) makes its values known.
    let _ = s
        .worker
        .start_connector("leaky", c, TargetState::Started)
        .await;
    for topic in [SECRET, "plain-topic"] {
        s.worker.status.put_topic(crate::status::TopicStatus {
            topic: topic.into(),
            connector: "leaky".into(),
            task: 0,
            discover_timestamp: 1,
        });
    }
    let topics = crate::herder_support::active_topics(&s.worker, "leaky").unwrap();
    assert_eq!(topics, vec![s.reference.clone(), "plain-topic".to_string()]);
}

#[tokio::test]
async fn a_connector_raising_an_error_gets_a_redacted_trace() {
    let s = setup();
    let c = config(&[("connector.class", SOURCE), ("password", &s.reference)]);
    s.worker
        .start_connector("raiser", c, TargetState::Started)
        .await
        .unwrap();
    let ctx = Context {
        name: "raiser".into(),
        events: mpsc::unbounded_channel().0,
        status: s.worker.status.clone(),
        worker_id: "w:1".into(),
        generation: Arc::default(),
        secrets: s.worker.known_secrets(),
    };
    ctx.raise_error(ConnectError::connect(format!("lost {SECRET}")));
    let trace = s.worker.status.connector("raiser").unwrap().trace.unwrap();
    assert!(trace.contains(&format!("lost {}", s.reference)), "{trace}");
    assert!(!trace.contains(SECRET), "{trace}");
}
