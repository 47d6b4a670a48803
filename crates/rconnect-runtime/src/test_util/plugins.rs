//! Plugins a test scripts: a source task that returns prepared batches, a sink task that
//! records every call and answers `put`/`preCommit` as told, their connectors, and a UTF-8
//! converter.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rconnect_sdk::config::{self, ConfigDef, ConfigKey, ConfigType, Importance};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SinkConnector, SinkTask, SinkTaskContext, SourceConnector,
    SourceTask, SourceTaskContext,
};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::data::{Headers, Schema, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{RecordMetadata, SinkRecord, SourceRecord, TopicPartition};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

use super::kafka::eventually;
use crate::plugins::{ConnectorFactory, ConnectorPlugin, ConverterPlugin, PluginRegistry};

/// The scripted source connector's class.
pub const SOURCE: &str = "test.ScriptedSourceConnector";
/// The recording sink connector's class.
pub const SINK: &str = "test.RecordingSinkConnector";
/// Strings as UTF-8 bytes, as a converter and a header converter.
pub const UTF8: &str = "test.Utf8Converter";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The registry of the scriptable plugins, whose tasks follow `source` and `sink`.
pub fn registry(source: &SourceScript, sink: &SinkScript) -> PluginRegistry {
    let mut r = PluginRegistry::new();
    let (s, k) = (source.clone(), sink.clone());
    r.register_connector(ConnectorPlugin {
        class_name: SOURCE.into(),
        version: "1".into(),
        factory: ConnectorFactory::Source {
            connector: Arc::new(|| Box::new(TestConnector::default())),
            task: Arc::new(move || Box::new(ScriptedSourceTask(s.clone()))),
        },
    });
    r.register_connector(ConnectorPlugin {
        class_name: SINK.into(),
        version: "1".into(),
        factory: ConnectorFactory::Sink {
            connector: Arc::new(|| Box::new(TestConnector::default())),
            task: Arc::new(move || Box::new(RecordingSinkTask(k.clone()))),
        },
    });
    r.register_converter(ConverterPlugin {
        class_name: UTF8.into(),
        version: "1".into(),
        converter: Some(Arc::new(|| Box::new(Utf8) as Box<dyn Converter>)),
        header_converter: Some(Arc::new(|| Box::new(Utf8) as Box<dyn HeaderConverter>)),
    });
    r
}

/// Strings as UTF-8; any other value is a `DataException`, which lets a test make a
/// record fail conversion.
struct Utf8;

fn utf8_bytes(value: &Value) -> ConnectResult<Option<Vec<u8>>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone().into_bytes())),
        other => Err(ConnectError::data(format!(
            "Utf8Converter handles only strings, not {}",
            other.java_class()
        ))),
    }
}

fn utf8_value(bytes: Option<&[u8]>) -> SchemaAndValue {
    SchemaAndValue::new(
        Some(Schema::optional_string()),
        bytes
            .map(|b| Value::String(String::from_utf8_lossy(b).into_owned().into()))
            .unwrap_or(Value::Null),
    )
}

#[async_trait]
impl Converter for Utf8 {
    fn configure(&mut self, _: &Props, _: bool) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn from_connect(
        &self,
        _: &str,
        _: &mut Headers,
        _: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        utf8_bytes(value)
    }
    async fn to_connect(
        &self,
        _: &str,
        _: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        Ok(utf8_value(bytes))
    }
}

impl HeaderConverter for Utf8 {
    fn configure(&mut self, _: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn to_connect_header(
        &self,
        _: &str,
        _: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        Ok(utf8_value(bytes))
    }
    fn from_connect_header(
        &self,
        _: &str,
        _: &str,
        _: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        utf8_bytes(value)
    }
}

fn optional(def: ConfigDef, key: &str) -> ConfigDef {
    def.define(ConfigKey::new(
        key,
        ConfigType::String,
        config::Default::Value(String::new()),
        Importance::Low,
        &format!("The {key}."),
    ))
}

/// A connector whose tasks get its own config plus `task.index`; `test.tasks` says how
/// many (default 1, at most `tasks.max`), and `test.fail.start=true` makes `start` fail.
#[derive(Default)]
struct TestConnector(Props);

#[async_trait]
impl Connector for TestConnector {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        ["topic", "test.tasks", "test.fail.start"]
            .iter()
            .fold(ConfigDef::new(), |d, k| optional(d, k))
    }
    async fn start(&mut self, _: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        if props.get("test.fail.start").map(String::as_str) == Some("true") {
            return Err(ConnectError::connect("the test connector refused to start"));
        }
        self.0 = props;
        Ok(())
    }
    fn task_configs(&mut self, max: usize) -> ConnectResult<Vec<Props>> {
        let n = self
            .0
            .get("test.tasks")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(1)
            .min(max);
        Ok((0..n)
            .map(|i| {
                let mut c = self.0.clone();
                c.insert("task.index".into(), i.to_string());
                c
            })
            .collect())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "test.ScriptedTask".into()
    }
}
impl SourceConnector for TestConnector {}
impl SinkConnector for TestConnector {}

/// What the source task does at one `poll`.
pub enum PollStep {
    /// Returns these records.
    Records(Vec<SourceRecord>),
    /// Fails with this error.
    Fail(ConnectError),
    /// Returns no records.
    Nothing,
    /// Never returns, even when the task is stopped: a task stuck in its source.
    Hang,
}

/// A call the worker made on the scripted source task.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceCall {
    Start,
    Poll,
    Commit,
    /// `commitRecord`: the record's value, and the Kafka offset when it was acknowledged.
    CommitRecord(String, Option<i64>),
    Stop,
}

#[derive(Default)]
struct SourceState {
    steps: VecDeque<PollStep>,
    calls: Vec<SourceCall>,
    wants_commit_record: bool,
    start_error: Option<ConnectError>,
    commit_error: Option<ConnectError>,
    ctx: Option<SourceTaskContext>,
}

/// The script of the scripted source tasks; cloning shares it. With nothing scripted a
/// `poll` waits 10 ms (or until the task is stopped) and returns no records, as a
/// well-behaved task does.
#[derive(Clone, Default)]
pub struct SourceScript(Arc<Mutex<SourceState>>);

impl SourceScript {
    /// A record of source partition `{"file": file}` at offset `{"line": line}`.
    pub fn record(file: &str, line: i64, topic: &str, value: &str) -> SourceRecord {
        SourceRecord::new(
            Some(OffsetMap::with_entry("file", file)),
            Some(OffsetMap::with_entry("line", line)),
            topic.to_string(),
            Some(Schema::string()),
            Value::String(value.to_string().into()),
        )
    }

    /// The next polls return `step` (after what is already scripted).
    pub fn push(&self, step: PollStep) {
        lock(&self.0).steps.push_back(step);
    }

    /// The next poll returns `records`.
    pub fn push_records(&self, records: Vec<SourceRecord>) {
        self.push(PollStep::Records(records));
    }

    pub fn wants_commit_record(&self, wants: bool) {
        lock(&self.0).wants_commit_record = wants;
    }

    pub fn fail_start(&self, error: ConnectError) {
        lock(&self.0).start_error = Some(error);
    }

    /// `commit()` fails (the worker logs and ignores it).
    pub fn fail_commit(&self, error: ConnectError) {
        lock(&self.0).commit_error = Some(error);
    }

    pub fn calls(&self) -> Vec<SourceCall> {
        lock(&self.0).calls.clone()
    }

    /// How many times `call` was made.
    pub fn count(&self, call: &SourceCall) -> usize {
        lock(&self.0).calls.iter().filter(|c| *c == call).count()
    }

    /// Steps not consumed yet.
    pub fn pending(&self) -> usize {
        lock(&self.0).steps.len()
    }

    /// The context the task was started with.
    pub fn context(&self) -> Option<SourceTaskContext> {
        lock(&self.0).ctx.clone()
    }

    /// Waits until every scripted step was consumed.
    pub async fn wait_consumed(&self) {
        eventually(Duration::from_secs(10), "the scripted polls", || {
            (self.pending() == 0).then_some(())
        })
        .await
    }

    /// Waits until `call` was made at least `n` times.
    pub async fn wait_count(&self, call: &SourceCall, n: usize) {
        eventually(Duration::from_secs(10), &format!("{n} x {call:?}"), || {
            (self.count(call) >= n).then_some(())
        })
        .await
    }
}

struct ScriptedSourceTask(SourceScript);

impl ScriptedSourceTask {
    fn record(&self, call: SourceCall) {
        lock(&self.0 .0).calls.push(call);
    }
}

#[async_trait]
impl SourceTask for ScriptedSourceTask {
    fn version(&self) -> String {
        "1".into()
    }
    async fn start(&mut self, ctx: SourceTaskContext, _: Props) -> ConnectResult<()> {
        self.record(SourceCall::Start);
        let mut s = lock(&self.0 .0);
        s.ctx = Some(ctx);
        match s.start_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        let (step, stop) = {
            let mut s = lock(&self.0 .0);
            s.calls.push(SourceCall::Poll);
            (s.steps.pop_front(), s.ctx.as_ref().map(|c| c.stop.clone()))
        };
        match step {
            Some(PollStep::Records(r)) => Ok(Some(r)),
            Some(PollStep::Fail(e)) => Err(e),
            Some(PollStep::Nothing) => Ok(None),
            Some(PollStep::Hang) => std::future::pending().await,
            None => {
                let idle = tokio::time::sleep(Duration::from_millis(10));
                match stop {
                    Some(stop) => {
                        tokio::select! {
                            _ = idle => {}
                            _ = stop.stopped() => {}
                        }
                    }
                    None => idle.await,
                }
                Ok(None)
            }
        }
    }
    async fn commit(&mut self) -> ConnectResult<()> {
        self.record(SourceCall::Commit);
        match lock(&self.0 .0).commit_error.clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        let value = match &record.value {
            Value::String(s) => s.to_string(),
            other => format!("{other:?}"),
        };
        self.record(SourceCall::CommitRecord(value, metadata.map(|m| m.offset)));
        Ok(())
    }
    fn wants_commit_record(&self) -> bool {
        lock(&self.0 .0).wants_commit_record
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.record(SourceCall::Stop);
        Ok(())
    }
}

/// What the sink task does at one `put` of a non-empty batch (empty batches, delivered
/// on every iteration, always succeed).
pub enum PutStep {
    Fail(ConnectError),
    /// Waits until the task is stopped, then succeeds: a cooperative slow sink.
    UntilStopped,
    /// Never returns, even when the task is stopped: a sink stuck in its destination.
    Hang,
}

/// A call the worker made on the recording sink task.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkCall {
    Start,
    Open(Vec<TopicPartition>),
    /// A non-empty `put`: `(topic, partition, offset, value)` of each record.
    Put(Vec<(String, i32, i64, String)>),
    PreCommit(BTreeMap<TopicPartition, i64>),
    Close(Vec<TopicPartition>),
    Stop,
}

/// How `preCommit` answers.
#[derive(Debug, Clone, Default)]
pub enum PreCommit {
    /// Returns the offsets given (Java's default, after `flush`).
    #[default]
    Echo,
    /// Returns these offsets.
    Return(HashMap<TopicPartition, i64>),
    /// Fails.
    Fail(String),
}

#[derive(Default)]
struct SinkState {
    steps: VecDeque<PutStep>,
    calls: Vec<SinkCall>,
    pre_commit: PreCommit,
    ctx: Option<SinkTaskContext>,
    start_error: Option<ConnectError>,
}

/// The script of the recording sink tasks; cloning shares it.
#[derive(Clone, Default)]
pub struct SinkScript(Arc<Mutex<SinkState>>);

impl SinkScript {
    /// The next non-empty `put` does `step` (after what is already scripted).
    pub fn push(&self, step: PutStep) {
        lock(&self.0).steps.push_back(step);
    }

    pub fn pre_commit(&self, answer: PreCommit) {
        lock(&self.0).pre_commit = answer;
    }

    pub fn fail_start(&self, error: ConnectError) {
        lock(&self.0).start_error = Some(error);
    }

    pub fn calls(&self) -> Vec<SinkCall> {
        lock(&self.0).calls.clone()
    }

    /// The values of every record `put`, in order (redeliveries included).
    pub fn put_values(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                SinkCall::Put(r) => Some(r),
                _ => None,
            })
            .flatten()
            .map(|(_, _, _, v)| v)
            .collect()
    }

    /// The context the task was started with, to pause, rewind or request commits.
    pub fn context(&self) -> Option<SinkTaskContext> {
        lock(&self.0).ctx.clone()
    }

    /// Waits until the calls satisfy `check`.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[SinkCall]) -> bool) {
        eventually(Duration::from_secs(10), what, || {
            check(&self.calls()).then_some(())
        })
        .await
    }

    /// Waits until `n` record values were put.
    pub async fn wait_put(&self, n: usize) -> Vec<String> {
        eventually(
            Duration::from_secs(10),
            &format!("{n} record(s) put"),
            || {
                let v = self.put_values();
                (v.len() >= n).then_some(v)
            },
        )
        .await
    }
}

struct RecordingSinkTask(SinkScript);

impl RecordingSinkTask {
    fn record(&self, call: SinkCall) {
        lock(&self.0 .0).calls.push(call);
    }
}

#[async_trait]
impl SinkTask for RecordingSinkTask {
    fn version(&self) -> String {
        "1".into()
    }
    async fn start(&mut self, ctx: SinkTaskContext, _: Props) -> ConnectResult<()> {
        self.record(SinkCall::Start);
        let mut s = lock(&self.0 .0);
        s.ctx = Some(ctx);
        match s.start_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.record(SinkCall::Open(partitions.to_vec()));
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let (step, stop) = {
            let mut s = lock(&self.0 .0);
            s.calls.push(SinkCall::Put(
                records
                    .iter()
                    .map(|r| {
                        let v = match &r.value {
                            Value::String(s) => s.to_string(),
                            other => format!("{other:?}"),
                        };
                        (
                            r.topic.to_string(),
                            r.kafka_partition.unwrap_or(-1),
                            r.meta.kafka_offset,
                            v,
                        )
                    })
                    .collect(),
            ));
            (s.steps.pop_front(), s.ctx.as_ref().map(|c| c.stop.clone()))
        };
        match step {
            None => Ok(()),
            Some(PutStep::Fail(e)) => Err(e),
            Some(PutStep::UntilStopped) => {
                if let Some(stop) = stop {
                    stop.stopped().await;
                }
                Ok(())
            }
            Some(PutStep::Hang) => std::future::pending().await,
        }
    }
    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        self.record(SinkCall::PreCommit(
            offsets.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        ));
        match lock(&self.0 .0).pre_commit.clone() {
            PreCommit::Echo => Ok(offsets),
            PreCommit::Return(o) => Ok(o),
            PreCommit::Fail(e) => Err(ConnectError::connect(e)),
        }
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.record(SinkCall::Close(partitions.to_vec()));
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.record(SinkCall::Stop);
        Ok(())
    }
}
