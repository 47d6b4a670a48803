//! A sink, a transformation and a predicate for the plugin end-to-end tests: together they
//! cross the plugin interface with sink tasks (`open`, `put`, `flush`, `close`) and with a
//! predicate guarding a transformation in a sink's chain.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::connector::{
    Connector, ConnectorContext, ErrantRecordReporter, SinkConnector, SinkTask, SinkTaskContext,
};
use rconnect_sdk::data::Value;
use rconnect_sdk::record::{ConnectRecord, RecordMeta, SinkRecord, TopicPartition};
use rconnect_sdk::transform::{Predicate, Transformation};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

/// Hands its config to one task.
#[derive(Default)]
pub struct LinesSinkConnector(Props);

#[async_trait]
impl Connector for LinesSinkConnector {
    fn version(&self) -> String {
        "1.0.0".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        self.0 = props;
        Ok(())
    }
    fn task_configs(&mut self, _max: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.0.clone()])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "io.rconnect.tests.LinesSinkTask".into()
    }
}

impl SinkConnector for LinesSinkConnector {}

/// Appends `<value>` lines to the file named by `file`, written out on `flush`; `open` and
/// `close` leave `# open <topic>-<partition>` lines, so the test sees those calls crossed.
/// Values starting with `errant:` are reported through the errant record reporter when the
/// worker offers one (and written like any other value when it does not).
#[derive(Default)]
pub struct LinesSinkTask {
    file: Option<std::fs::File>,
    pending: Vec<String>,
    errant: Option<Arc<dyn ErrantRecordReporter>>,
}

impl LinesSinkTask {
    fn file(&mut self) -> ConnectResult<&mut std::fs::File> {
        self.file
            .as_mut()
            .ok_or_else(|| ConnectError::connect("the task was not started"))
    }
    fn write(&mut self, text: &str) -> ConnectResult<()> {
        self.file()?
            .write_all(text.as_bytes())
            .map_err(|e| ConnectError::connect(format!("cannot write: {e}")))
    }
}

#[async_trait]
impl SinkTask for LinesSinkTask {
    fn version(&self) -> String {
        "1.0.0".into()
    }
    async fn start(&mut self, ctx: SinkTaskContext, props: Props) -> ConnectResult<()> {
        self.errant = ctx.errant_record_reporter();
        let path = props
            .get("file")
            .ok_or_else(|| ConnectError::config("Missing required configuration \"file\""))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ConnectError::connect(format!("cannot open {path}: {e}")))?;
        self.file = Some(file);
        Ok(())
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        for tp in partitions {
            self.write(&format!("# open {}-{}\n", tp.topic, tp.partition))?;
        }
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let text = match &r.value {
                Value::String(s) => s.to_string(),
                other => format!("{other:?}"),
            };
            if let (Some(reporter), Some(reason)) = (&self.errant, text.strip_prefix("errant:")) {
                reporter
                    .report(
                        r,
                        ConnectError::data(format!("rejected by the task: {reason}")),
                    )
                    .await?;
                continue;
            }
            self.pending.push(text);
        }
        Ok(())
    }
    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        let lines: String = self.pending.drain(..).map(|l| l + "\n").collect();
        self.write(&lines)
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.file = None;
        Ok(())
    }
}

/// Drops every record it is applied to.
#[derive(Default)]
pub struct DropRecords;

impl<M: RecordMeta> Transformation<M> for DropRecords {
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn apply(&self, _record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(None)
    }
}

/// True when the record's value is a string containing `substring`.
#[derive(Default)]
pub struct ValueContains(String);

impl<M: RecordMeta> Predicate<M> for ValueContains {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.0 = props
            .get("substring")
            .cloned()
            .ok_or_else(|| ConnectError::config("Missing required configuration \"substring\""))?;
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn test(&self, record: &ConnectRecord<M>) -> ConnectResult<bool> {
        Ok(matches!(&record.value, Value::String(s) if s.contains(&self.0)))
    }
}

rconnect_sdk::export_plugin! {
    sink "io.rconnect.tests.LinesSinkConnector" => LinesSinkConnector, LinesSinkTask;
    transformation "io.rconnect.tests.Drop" => DropRecords;
    predicate "io.rconnect.tests.ValueContains" => ValueContains;
}
