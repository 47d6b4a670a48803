//! The FileStream sink: appends each record's value as one line to a file (or stdout).
//!
//! Each value is written in Java's `String.valueOf` form (the `Display` of
//! [`rconnect_sdk::data::Value`]) followed by `\n`: `null` for a null value, strings as
//! is (embedded newlines written raw), `1.0E10` for large doubles,
//! `Struct{a=1,b=x}` for structs, `{k=v, k2=v2}` for maps, `[a, b]` for arrays. Java
//! prints byte arrays as an identity hash (`[B@27973e9b`), which cannot be reproduced;
//! rconnect writes them as their signed byte values instead, like Java's
//! `Arrays.toString(byte[])`: `[104, 105, -1]`. Keys, headers, topic and partition are
//! not written.
//!
//! Each `put` renders the whole batch and hands it to the task's writer thread, which
//! writes it to the OS at once in one write, as Java writes through its unbuffered stream;
//! `put` does not wait for that write (see [`crate::writer`]). `flush`, and so every
//! offset commit, waits until all lines handed over are written, and never fsyncs, as in
//! Java. Several tasks of one connector append to the same file.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, Default as ConfigDefault, Importance,
};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SinkConnector, SinkTask, SinkTaskContext,
};
use rconnect_sdk::data::Value;
use rconnect_sdk::record::{SinkRecord, TopicPartition};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

use crate::source::FILE_CONFIG;
use crate::writer::{Target, Writer};
use crate::VERSION;

/// Java class name of the sink connector.
pub const SINK_CONNECTOR_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
/// Java class name of the sink task.
pub const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkTask";

/// The sink connector's configuration (Java `FileStreamSinkConnector.CONFIG_DEF`).
pub fn sink_config_def() -> ConfigDef {
    ConfigDef::new().define(ConfigKey::new(
        FILE_CONFIG,
        ConfigType::String,
        ConfigDefault::Null,
        Importance::High,
        "Destination filename. If not specified, the standard output will be used",
    ))
}

/// `org.apache.kafka.connect.file.FileStreamSinkConnector`: `max_tasks` identical tasks.
#[derive(Debug, Default)]
pub struct FileStreamSinkConnector {
    props: Props,
}

impl FileStreamSinkConnector {
    /// A connector not yet started.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for FileStreamSinkConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        sink_config_def()
    }

    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        let parsed = sink_config_def().parse(&props)?;
        let to = parsed
            .string(FILE_CONFIG)
            .filter(|f| !f.is_empty())
            .unwrap_or("standard output");
        tracing::info!("Starting file sink connector writing to {to}");
        self.props = props;
        Ok(())
    }

    /// `max_tasks` copies of the connector's props: every task appends to the same file.
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone(); max_tasks])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> String {
        SINK_TASK_CLASS.to_string()
    }
}

#[async_trait]
impl SinkConnector for FileStreamSinkConnector {
    /// Accepts any offsets a user writes through the REST API (Java `alterOffsets`): the
    /// sink keeps no state of its own.
    fn alter_offsets(
        &self,
        _config: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        Ok(true)
    }
}

/// Where lines go, and the thread writing them.
struct Output {
    /// The file's path, or `stdout`, for messages.
    name: String,
    writer: Writer,
}

/// `org.apache.kafka.connect.file.FileStreamSinkTask`: see the module docs for the
/// line format.
#[derive(Default)]
pub struct FileStreamSinkTask {
    output: Option<Output>,
}

impl std::fmt::Debug for FileStreamSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSinkTask")
            .field("output", &self.output.as_ref().map(|o| &o.name))
            .finish_non_exhaustive()
    }
}

impl FileStreamSinkTask {
    /// A task not yet started.
    pub fn new() -> Self {
        Self::default()
    }

    fn output(&self) -> ConnectResult<&Output> {
        self.output
            .as_ref()
            .ok_or_else(|| ConnectError::connect("FileStreamSinkTask used before it was started"))
    }
}

/// Appends `value` as Java's `String.valueOf` would print it, then `\n`.
fn render_line(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(s) => buf.extend_from_slice(s.as_bytes()),
        // Writing to a Vec cannot fail.
        other => {
            let _ = write!(buf, "{other}");
        }
    }
    buf.push(b'\n');
}

#[async_trait]
impl SinkTask for FileStreamSinkTask {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    async fn start(&mut self, _ctx: SinkTaskContext, props: Props) -> ConnectResult<()> {
        let parsed = sink_config_def().parse(&props)?;
        let (target, name) = match parsed.string(FILE_CONFIG).filter(|f| !f.is_empty()) {
            None => (Target::Stdout, "stdout".to_string()),
            Some(path) => {
                let path = PathBuf::from(path);
                let open_path = path.clone();
                let opened = tokio::task::spawn_blocking(move || {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(open_path)
                })
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r);
                let file = opened.map_err(|e| {
                    ConnectError::connect(format!(
                        "Couldn't find or create file '{}' for FileStreamSinkTask: {e}",
                        path.display()
                    ))
                })?;
                (Target::File(Arc::new(file)), path.display().to_string())
            }
        };
        let writer = Writer::spawn(target, &name).map_err(|e| {
            ConnectError::connect(format!("Couldn't start the writer thread for {name}: {e}"))
        })?;
        let output = Output { name, writer };
        self.output = Some(output);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let output = self.output()?;
        let mut buf = output.writer.buffer();
        for record in records {
            render_line(&mut buf, &record.value);
        }
        tracing::trace!("Writing {} lines to {}", records.len(), output.name);
        output
            .writer
            .write(buf)
            .await
            .map_err(|e| ConnectError::connect(format!("Error writing to {}: {e}", output.name)))
    }

    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        let output = self.output()?;
        tracing::trace!("Flushing output stream for {}", output.name);
        // Waits for the writer thread; no fsync, as Java never syncs either.
        output
            .writer
            .flush()
            .await
            .map_err(|e| ConnectError::connect(format!("Error writing to {}: {e}", output.name)))
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        // Lines handed over are written before the task reports stopped; dropping the
        // writer then ends its thread, which closes the file (stdout is never closed).
        let Some(output) = self.output.take() else {
            return Ok(());
        };
        output
            .writer
            .flush()
            .await
            .map_err(|e| ConnectError::connect(format!("Error writing to {}: {e}", output.name)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rconnect_sdk::connector::SinkContextState;
    use rconnect_sdk::data::{Schema, SchemaBuilder, Struct};
    use rconnect_sdk::record::{ConnectRecord, SinkMeta, TimestampType};
    use rconnect_sdk::stop::StopSignal;

    use super::*;

    fn record(offset: i64, value: Value) -> SinkRecord {
        ConnectRecord {
            topic: "t".into(),
            kafka_partition: Some(0),
            key_schema: None,
            key: Value::from("ignored key"),
            value_schema: None,
            value,
            timestamp: None,
            headers: Default::default(),
            meta: SinkMeta {
                kafka_offset: offset,
                timestamp_type: TimestampType::CreateTime,
                original_topic: "t".into(),
                original_kafka_partition: 0,
                original_kafka_offset: offset,
            },
        }
    }

    fn props(file: &std::path::Path) -> Props {
        let mut p = Props::new();
        p.insert("file".into(), file.to_str().unwrap().into());
        p
    }

    async fn started(props: Props) -> ConnectResult<FileStreamSinkTask> {
        let ctx = SinkTaskContext::new(
            props.clone(),
            StopSignal::never(),
            Arc::new(Mutex::new(SinkContextState::default())),
        );
        let mut task = FileStreamSinkTask::new();
        task.start(ctx, props).await?;
        Ok(task)
    }

    #[tokio::test]
    async fn put_appends_one_line_per_value_and_writes_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "existing\n").unwrap();
        let mut task = started(props(&path)).await.unwrap();

        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::optional_string())
            .build();
        let mut s = Struct::new(schema);
        s.put("a", Value::Int32(1)).unwrap();
        let values = vec![
            Value::from("plain"),
            Value::from("two\nlines"),
            Value::Null,
            Value::Int64(-7),
            Value::Float64(1e10),
            Value::Boolean(true),
            Value::Struct(s),
            Value::Map(vec![
                (Value::from("k"), Value::Int32(1)),
                (Value::from("k2"), Value::Null),
            ]),
            Value::Array(vec![Value::from("a"), Value::from("b")]),
            Value::Bytes(vec![104, 105, 255]),
            Value::from("ünïcode"),
        ];
        let records = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| record(i as i64, v))
            .collect::<Vec<_>>();
        task.put(&records).await.unwrap();
        let expected = "existing\nplain\ntwo\nlines\nnull\n-7\n1.0E10\ntrue\nStruct{a=1}\n\
                        {k=1, k2=null}\n[a, b]\n[104, 105, -1]\nünïcode\n";
        // Written through by the writer thread without any flush.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(&path).unwrap() != expected {
            assert!(
                std::time::Instant::now() < deadline,
                "not written without a flush: {:?}",
                std::fs::read_to_string(&path).unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }

        task.put(&[]).await.unwrap();
        task.put(&[record(20, Value::Null), record(21, Value::Null)])
            .await
            .unwrap();
        task.flush(&HashMap::new()).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{expected}null\nnull\n")
        );

        let committed: HashMap<_, _> = [(TopicPartition::new("t", 0), 22)].into();
        assert_eq!(task.pre_commit(committed.clone()).await.unwrap(), committed);
        task.stop().await.unwrap();
        assert!(task.put(&[record(22, Value::Null)]).await.is_err());
    }

    #[tokio::test]
    async fn a_failed_write_fails_flush_and_later_puts() {
        // Every write to /dev/full fails with ENOSPC.
        let path = std::path::Path::new("/dev/full");
        let mut task = started(props(path)).await.unwrap();
        // Handed over: the write itself fails on the writer thread.
        task.put(&[record(0, Value::from("x"))]).await.unwrap();
        let err = task.flush(&HashMap::new()).await.unwrap_err().to_string();
        assert!(err.starts_with("Error writing to /dev/full: "), "{err}");
        let err = task
            .put(&[record(1, Value::from("y"))])
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Error writing to /dev/full: "), "{err}");
        assert!(task.stop().await.is_err());
    }

    #[tokio::test]
    async fn stop_waits_for_lines_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut task = started(props(&path)).await.unwrap();
        let records: Vec<_> = (0..2000)
            .map(|i| record(i, Value::from(format!("line {i}"))))
            .collect();
        for chunk in records.chunks(100) {
            task.put(chunk).await.unwrap();
        }
        task.stop().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[1999], "line 1999");
    }

    #[tokio::test]
    async fn creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.txt");
        let mut task = started(props(&path)).await.unwrap();
        task.put(&[record(0, Value::from("x"))]).await.unwrap();
        task.flush(&HashMap::new()).await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n");
    }

    #[tokio::test]
    async fn open_failure_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("out.txt");
        let err = started(props(&path)).await.unwrap_err();
        let msg = err.to_string();
        assert_eq!(
            err.java_class(),
            "org.apache.kafka.connect.errors.ConnectException"
        );
        assert!(
            msg.starts_with(&format!(
                "Couldn't find or create file '{}'",
                path.display()
            )),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn empty_file_config_means_stdout() {
        let mut p = Props::new();
        p.insert("file".into(), String::new());
        let task = started(p).await.unwrap();
        assert_eq!(task.output.as_ref().unwrap().name, "stdout");
        let task = started(Props::new()).await.unwrap();
        assert_eq!(task.output.as_ref().unwrap().name, "stdout");
    }

    #[tokio::test]
    async fn connector_config_and_task_fan_out() {
        let mut c = FileStreamSinkConnector::new();
        assert_eq!(c.version(), "3.9.0");
        assert_eq!(c.task_class(), SINK_TASK_CLASS);
        let def = c.config_def();
        assert_eq!(def.keys().len(), 1);
        let file = def.key("file").unwrap();
        assert_eq!(file.default, ConfigDefault::Null);
        assert_eq!(
            file.documentation,
            "Destination filename. If not specified, the standard output will be used"
        );
        let mut p = Props::new();
        p.insert("file".into(), "/tmp/out".into());
        p.insert("topics".into(), "a".into());
        struct NoCtx;
        impl ConnectorContext for NoCtx {
            fn request_task_reconfiguration(&self) {}
            fn raise_error(&self, _error: ConnectError) {}
        }
        c.start(Arc::new(NoCtx), p.clone()).await.unwrap();
        assert_eq!(
            c.task_configs(3).unwrap(),
            vec![p.clone(), p.clone(), p.clone()]
        );
        let offsets = [
            (TopicPartition::new("a", 0), Some(5)),
            (TopicPartition::new("a", 1), None),
        ];
        assert!(c.alter_offsets(&p, &offsets).unwrap());
        c.stop().await.unwrap();
    }
}
