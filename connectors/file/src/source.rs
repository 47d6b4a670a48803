//! The FileStream source: reads lines from a file (or stdin) into one topic.
//!
//! # Offsets
//!
//! Each record carries the source partition `{"filename": <file exactly as configured>}`
//! and the offset `{"position": N}`, where `N` is the **byte** position in the file just
//! after the record's line terminator, i.e. where reading resumes after a restart.
//!
//! Java's `FileStreamSourceTask` counts positions in UTF-16 chars but skips that many
//! *bytes* when it restarts (an upstream bug): for non-ASCII text the stored position is
//! too small, so Java re-reads data and may start decoding mid-character. rconnect does
//! the fixed thing: positions are true byte offsets, and a restart resumes exactly after
//! the last committed line whatever the text. For ASCII files both agree, so offsets
//! written by a Java worker carry over unchanged. For a non-ASCII file migrated from a
//! Java worker, the Java offset points *earlier* than the true byte position, so the first
//! run re-reads a few lines (possibly starting with a garbled partial line); it never
//! skips data.
//!
//! # Reading
//!
//! * `\n`, `\r\n` and a lone `\r` end a line; a `\r` that is the last byte available is
//!   held until the next byte shows whether `\n` follows; a final line without terminator
//!   is never emitted (it waits for its terminator).
//! * Each line is decoded as UTF-8 on its own; invalid bytes become U+FFFD.
//! * The file is opened on the first `poll`; while it does not exist each poll logs a
//!   warning, waits a second and returns nothing.
//! * A stored position beyond the end of the file (truncated or replaced file) does not
//!   hang the task as it does in Java: the task seeks there, logs a warning and waits for
//!   the file to grow past it.
//! * With no data available, `poll` waits up to a second (cut short by stop) and returns
//!   what it has.
//! * With `file` absent or empty the task reads stdin: partition `{"filename":null}`,
//!   offset `{"position":null}`, and offsets are never read back. Stdin is read on a
//!   blocking thread that cannot be cancelled (a tokio limitation), so a worker shutting
//!   down may wait for the next line or for EOF on stdin.

use std::io::SeekFrom;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, Default as ConfigDefault, Importance, Validator,
};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, ExactlyOnceSupport, SourceConnector, SourceOffsetChange,
    SourceTask, SourceTaskContext,
};
use rconnect_sdk::data::{Headers, Schema, SchemaRef, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{ConnectRecord, SourceMeta, SourceRecord, Topic};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::lines::LineBuffer;
use crate::VERSION;

/// Java class name of the source connector.
pub const SOURCE_CONNECTOR_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
/// Java class name of the source task.
pub const SOURCE_TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceTask";

/// `file`: the file to read (source) or append to (sink).
pub const FILE_CONFIG: &str = "file";
/// `topic`: the topic the source publishes to.
pub const TOPIC_CONFIG: &str = "topic";
/// `batch.size`: the most records one `poll` returns.
pub const TASK_BATCH_SIZE_CONFIG: &str = "batch.size";
/// Default of `batch.size`.
pub const DEFAULT_TASK_BATCH_SIZE: i32 = 2000;

/// Source partition key holding the file name.
pub const FILENAME_FIELD: &str = "filename";
/// Source offset key holding the byte position.
pub const POSITION_FIELD: &str = "position";

/// How long an idle poll waits (Java waits one second).
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// The source connector's configuration (Java `FileStreamSourceConnector.CONFIG_DEF`).
pub fn source_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(
            FILE_CONFIG,
            ConfigType::String,
            ConfigDefault::Null,
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        ))
        .define(
            ConfigKey::new(
                TOPIC_CONFIG,
                ConfigType::String,
                ConfigDefault::Required,
                Importance::High,
                "The topic to publish data to",
            )
            .validator(Validator::NonEmptyString),
        )
        .define(ConfigKey::new(
            TASK_BATCH_SIZE_CONFIG,
            ConfigType::Int,
            ConfigDefault::Value(DEFAULT_TASK_BATCH_SIZE.to_string()),
            Importance::Low,
            "The maximum number of records the source task can read from the file each time it is polled",
        ))
}

/// The configured file, `None` for stdin (absent, null or empty after trimming).
fn configured_file(file: Option<&str>) -> Option<String> {
    file.filter(|f| !f.is_empty()).map(str::to_owned)
}

/// `org.apache.kafka.connect.file.FileStreamSourceConnector`: one task reading one file.
#[derive(Debug, Default)]
pub struct FileStreamSourceConnector {
    props: Props,
}

impl FileStreamSourceConnector {
    /// A connector not yet started.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for FileStreamSourceConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    fn config_def(&self) -> ConfigDef {
        source_config_def()
    }

    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        let parsed = source_config_def().parse(&props)?;
        let from = configured_file(parsed.string(FILE_CONFIG))
            .unwrap_or_else(|| "standard input".to_string());
        tracing::info!("Starting file source connector reading from {from}");
        self.props = props;
        Ok(())
    }

    /// Always exactly one task config, the connector's own props: a file can only be
    /// read by one task.
    fn task_configs(&mut self, _max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone()])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> String {
        SOURCE_TASK_CLASS.to_string()
    }
}

#[async_trait]
impl SourceConnector for FileStreamSourceConnector {
    /// Checks offsets a user wants to write through the REST API (Java `alterOffsets`);
    /// `offsets` pairs each source partition with its new offset (`None` = tombstone).
    ///
    /// Refused in stdin mode; tombstones are always accepted; any other offset needs a
    /// non-negative integer `position`, and its partition a `filename`. Whether the
    /// position fits the file is checked by the task when it starts.
    fn alter_offsets(&self, config: &Props, offsets: &[SourceOffsetChange]) -> ConnectResult<bool> {
        let parsed = source_config_def().parse(config)?;
        if configured_file(parsed.string(FILE_CONFIG)).is_none() {
            return Err(ConnectError::connect(format!(
                "Offsets cannot be modified if the '{FILE_CONFIG}' configuration is unspecified. \
                 This is because stdin is used for input and offsets are not tracked."
            )));
        }
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let Some(position) = offset.get(POSITION_FIELD) else {
                return Err(ConnectError::connect(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(ConnectError::connect(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(ConnectError::connect(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            let Some(partition) = partition else {
                return Err(ConnectError::connect("Partition objects cannot be null"));
            };
            if !partition.contains_key(FILENAME_FIELD) {
                return Err(ConnectError::connect(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }

    /// Supported when reading a real file (as long as it is only appended to),
    /// unsupported for stdin.
    fn exactly_once_support(&self, props: &Props) -> Option<ExactlyOnceSupport> {
        let file = props.get(FILE_CONFIG).map(|f| f.trim());
        Some(match configured_file(file) {
            Some(_) => ExactlyOnceSupport::Supported,
            None => ExactlyOnceSupport::Unsupported,
        })
    }
}

/// Where lines come from once the task runs.
enum Input {
    /// The file is not open yet (opened lazily by `poll`).
    Pending,
    /// The task was stopped.
    Closed,
    File(tokio::fs::File),
    Stdin(tokio::io::Stdin),
}

/// What the task was started with.
struct Running {
    ctx: SourceTaskContext,
    topic: Topic,
    batch_size: usize,
    /// `None` reads stdin.
    file: Option<String>,
    partition: std::sync::Arc<OffsetMap>,
    schema: SchemaRef,
}

/// `org.apache.kafka.connect.file.FileStreamSourceTask`: see the module docs for the
/// offset format and reading rules.
pub struct FileStreamSourceTask {
    running: Option<Running>,
    reader: Reader,
}

/// The reading state, apart from the configuration so both can be borrowed at once.
struct Reader {
    input: Input,
    lines: LineBuffer,
    /// Byte position in the file of the first unconsumed buffered byte.
    position: u64,
    /// Records extracted but not yet returned by `poll`.
    batch: Vec<SourceRecord>,
    idle_wait: Duration,
}

impl std::fmt::Debug for FileStreamSourceTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStreamSourceTask")
            .field("file", &self.running.as_ref().map(|r| &r.file))
            .field("position", &self.reader.position)
            .finish_non_exhaustive()
    }
}

impl Default for FileStreamSourceTask {
    fn default() -> Self {
        Self::new()
    }
}

impl FileStreamSourceTask {
    /// A task not yet started.
    pub fn new() -> Self {
        FileStreamSourceTask {
            running: None,
            reader: Reader {
                input: Input::Pending,
                lines: LineBuffer::new(),
                position: 0,
                batch: Vec::new(),
                idle_wait: IDLE_WAIT,
            },
        }
    }

    /// Shortens idle waits so tests do not sleep whole seconds.
    #[cfg(test)]
    fn with_idle_wait(mut self, d: Duration) -> Self {
        self.reader.idle_wait = d;
        self
    }
}

fn log_name(file: &Option<String>) -> &str {
    file.as_deref().unwrap_or("stdin")
}

impl Reader {
    /// Opens the input and, for a file, seeks to the stored position; `false` when the
    /// file does not exist yet (after the idle wait).
    async fn open(&mut self, run: &Running) -> ConnectResult<bool> {
        let Some(path) = run.file.as_deref() else {
            self.input = Input::Stdin(tokio::io::stdin());
            return Ok(true);
        };
        let mut file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(
                    "Couldn't find file {path} for FileStreamSourceTask, sleeping to wait for it to be created"
                );
                run.ctx.stop.sleep(self.idle_wait).await;
                return Ok(false);
            }
            Err(e) => {
                tracing::error!("Error while trying to open file {path}: {e}");
                return Err(ConnectError::connect(format!(
                    "Error while trying to open file {path}: {e}"
                )));
            }
        };
        let stored = run.ctx.offset_reader.offset(&run.partition).await?;
        let position = stored_position(path, stored.as_ref())?;
        if position > 0 {
            tracing::debug!("Found previous offset, trying to skip to file offset {position}");
            let len = file
                .metadata()
                .await
                .map_err(|e| {
                    ConnectError::connect(format!(
                        "Error while reading the length of file {path}: {e}"
                    ))
                })?
                .len();
            if position > len {
                tracing::warn!(
                    "Stored position {position} of file {path} is beyond its current length {len} \
                     (truncated or replaced?); waiting for the file to grow past it"
                );
            }
            file.seek(SeekFrom::Start(position)).await.map_err(|e| {
                ConnectError::connect(format!(
                    "Error while trying to seek to previous offset {position} in file {path}: {e}"
                ))
            })?;
            tracing::debug!("Skipped to offset {position}");
        }
        self.lines = LineBuffer::new();
        self.batch.clear();
        self.position = position;
        self.input = Input::File(file);
        tracing::debug!("Opened {path} for reading");
        Ok(true)
    }

    /// Moves complete buffered lines into `self.batch`, up to `batch_size` records.
    fn extract(&mut self, run: &Running) {
        if self.batch.len() >= run.batch_size {
            return;
        }
        let timestamp = now_millis();
        let file_mode = run.file.is_some();
        // Sized once per batch: growing a 2,000-record Vec by doubling copies it repeatedly.
        if self.batch.capacity() == 0 {
            self.batch.reserve_exact(run.batch_size);
        }
        while let Some(line) = self.lines.next_line() {
            let value = decode_line(self.lines.bytes(line.range));
            self.position += line.consumed as u64;
            let position = if file_mode {
                serde_json::Value::from(self.position)
            } else {
                serde_json::Value::Null
            };
            // A static key and one field: building the offset does not allocate.
            let offset = OffsetMap::with_entry(POSITION_FIELD, position);
            self.batch.push(ConnectRecord {
                topic: run.topic.clone(),
                kafka_partition: None,
                key_schema: None,
                key: Value::Null,
                value_schema: Some(run.schema.clone()),
                value: Value::String(value.into()),
                timestamp: Some(timestamp),
                headers: Headers::new(),
                meta: SourceMeta {
                    source_partition: Some(run.partition.clone()),
                    source_offset: Some(offset),
                },
            });
            if self.batch.len() >= run.batch_size {
                return;
            }
        }
    }

    /// Hands over the records collected so far (`None` if there are none).
    fn take_batch(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        if self.batch.is_empty() {
            Ok(None)
        } else {
            Ok(Some(std::mem::take(&mut self.batch)))
        }
    }

    /// One poll's worth of reading once the input is open.
    ///
    /// Records are collected in `self.batch`, not a local, so that neither a read error
    /// nor a cancelled poll loses lines whose bytes were already consumed.
    async fn read_lines(&mut self, run: &Running) -> ConnectResult<Option<Vec<SourceRecord>>> {
        let deadline = tokio::time::Instant::now() + self.idle_wait;
        let mut read_any = false;
        loop {
            self.extract(run);
            if self.batch.len() >= run.batch_size {
                return self.take_batch();
            }
            match &mut self.input {
                Input::Pending | Input::Closed => return self.take_batch(),
                Input::File(file) => {
                    let n = file
                        .read_buf(self.lines.prepare_read())
                        .await
                        .map_err(|e| {
                            let msg = format!("Error reading file {}: {e}", log_name(&run.file));
                            tracing::warn!("{msg}");
                            ConnectError::retriable(msg)
                        })?;
                    if n > 0 {
                        read_any = true;
                        continue;
                    }
                    // End of the data available now.
                    if self.batch.is_empty() && !read_any {
                        run.ctx.stop.sleep(self.idle_wait).await;
                    }
                    return self.take_batch();
                }
                Input::Stdin(stdin) => {
                    // A stdin read can block until the next line is typed; never hold
                    // collected records hostage to it.
                    if !self.batch.is_empty() {
                        return self.take_batch();
                    }
                    let buf = self.lines.prepare_read();
                    let n = tokio::select! {
                        r = stdin.read_buf(buf) => r.map_err(|e| {
                            ConnectError::retriable(format!("Error reading stdin: {e}"))
                        })?,
                        // The in-flight read keeps its data for the next poll.
                        _ = run.ctx.stop.stopped() => return self.take_batch(),
                        _ = tokio::time::sleep_until(deadline) => return self.take_batch(),
                    };
                    if n == 0 {
                        tokio::select! {
                            _ = run.ctx.stop.stopped() => {}
                            _ = tokio::time::sleep_until(deadline) => {}
                        }
                        return self.take_batch();
                    }
                }
            }
        }
    }
}

/// The position stored for `path`: 0 when nothing (or null) is stored; an error when it
/// is not a non-negative integer.
fn stored_position(path: &str, stored: Option<&OffsetMap>) -> ConnectResult<u64> {
    let Some(value) = stored.and_then(|o| o.get(POSITION_FIELD)) else {
        return Ok(0);
    };
    if value.is_null() {
        return Ok(0);
    }
    match value.as_u64() {
        Some(position) => Ok(position),
        None => Err(ConnectError::connect(format!(
            "Offset position is the incorrect type: stored offset of file {path} has \
             \"{POSITION_FIELD}\": {value}, expected a non-negative integer"
        ))),
    }
}

/// UTF-8 text of a line; invalid bytes become U+FFFD as Java's decoder does. Valid input
/// (the common case) is checked once and copied, without the lossy scan.
fn decode_line(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait]
impl SourceTask for FileStreamSourceTask {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    async fn start(&mut self, ctx: SourceTaskContext, props: Props) -> ConnectResult<()> {
        let parsed = source_config_def().parse(&props)?;
        let file = configured_file(parsed.string(FILE_CONFIG));
        let topic = Topic::from(parsed.string(TOPIC_CONFIG).unwrap_or_default());
        let batch_size = parsed
            .int(TASK_BATCH_SIZE_CONFIG)
            .unwrap_or(DEFAULT_TASK_BATCH_SIZE);
        // Java returns as soon as the record count reaches batch.size, so 0 or less
        // behaves as 1.
        let batch_size = batch_size.max(1) as usize;
        let mut partition = OffsetMap::new();
        partition.insert(
            FILENAME_FIELD,
            file.clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        );
        self.reader.input = Input::Pending;
        self.reader.lines = LineBuffer::new();
        self.reader.batch.clear();
        self.reader.position = 0;
        self.running = Some(Running {
            ctx,
            topic,
            batch_size,
            file,
            partition: std::sync::Arc::new(partition),
            schema: Schema::string(),
        });
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        let Some(run) = self.running.as_ref() else {
            return Err(ConnectError::connect(
                "FileStreamSourceTask polled before it was started",
            ));
        };
        match self.reader.input {
            Input::Closed => return Ok(None),
            Input::Pending => {
                if !self.reader.open(run).await? {
                    return Ok(None);
                }
            }
            Input::File(_) | Input::Stdin(_) => {}
        }
        self.reader.read_lines(run).await
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        // Dropping the handle closes the file; stdin itself is never closed.
        self.reader.input = Input::Closed;
        Ok(())
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
