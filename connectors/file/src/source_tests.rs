use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rconnect_sdk::connector::{Connector, SourceConnector, SourceTask, SourceTaskContext};
use rconnect_sdk::data::{Type, Value};
use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
use rconnect_sdk::record::SourceRecord;
use rconnect_sdk::stop::{stop_pair, StopSignal, StopTrigger};
use rconnect_sdk::{async_trait, ConnectResult, Props};
use serde_json::json;

use super::*;

/// Committed offsets kept in memory, keyed by the partition's JSON; counts lookups.
#[derive(Default)]
struct MemOffsets {
    stored: Mutex<HashMap<String, OffsetMap>>,
    lookups: Mutex<usize>,
}

impl MemOffsets {
    fn with(partition: serde_json::Value, offset: serde_json::Value) -> Arc<Self> {
        let m = MemOffsets::default();
        m.stored.lock().unwrap().insert(
            partition.to_string(),
            OffsetMap::try_from(offset).expect("offset is an object"),
        );
        Arc::new(m)
    }
}

#[async_trait]
impl OffsetStorageReader for MemOffsets {
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
        *self.lookups.lock().unwrap() += partitions.len();
        let stored = self.stored.lock().unwrap();
        Ok(partitions
            .iter()
            .map(|p| stored.get(&p.to_json().to_string()).cloned())
            .collect())
    }
}

const FAST: Duration = Duration::from_millis(20);

fn props(file: &Path, batch: Option<usize>) -> Props {
    let mut p = Props::new();
    p.insert("file".into(), file.to_str().unwrap().into());
    p.insert("topic".into(), "lines".into());
    if let Some(b) = batch {
        p.insert("batch.size".into(), b.to_string());
    }
    p
}

async fn start_with(
    props: Props,
    offsets: Arc<MemOffsets>,
    stop: StopSignal,
    idle: Duration,
) -> FileStreamSourceTask {
    let mut task = FileStreamSourceTask::new().with_idle_wait(idle);
    let ctx = SourceTaskContext {
        configs: props.clone(),
        offset_reader: offsets,
        stop,
    };
    task.start(ctx, props).await.unwrap();
    task
}

async fn started(file: &Path, batch: Option<usize>) -> FileStreamSourceTask {
    start_with(
        props(file, batch),
        Arc::default(),
        StopSignal::never(),
        FAST,
    )
    .await
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn position(r: &SourceRecord) -> u64 {
    r.meta
        .source_offset
        .as_ref()
        .unwrap()
        .get("position")
        .unwrap()
        .as_u64()
        .unwrap()
}

fn lines(records: Option<Vec<SourceRecord>>) -> Vec<(String, u64)> {
    records
        .unwrap_or_default()
        .iter()
        .map(|r| (r.value.as_str().unwrap().to_string(), position(r)))
        .collect()
}

fn owned(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected.iter().map(|(s, p)| (s.to_string(), *p)).collect()
}

#[tokio::test]
async fn upstream_vector_with_byte_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.txt");
    std::fs::write(&path, b"").unwrap();
    let mut task = started(&path, None).await;
    assert_eq!(task.poll().await.unwrap(), None);

    append(&path, b"partial line");
    assert_eq!(task.poll().await.unwrap(), None);

    append(&path, b" finished\n");
    let records = task.poll().await.unwrap().unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.topic, "lines");
    assert_eq!(r.kafka_partition, None);
    assert_eq!(r.key, Value::Null);
    assert!(r.key_schema.is_none());
    let schema = r.value_schema.as_ref().unwrap();
    assert_eq!(schema.schema_type, Type::String);
    assert!(!schema.optional);
    assert_eq!(r.value, Value::from("partial line finished"));
    let partition = json!({"filename": path.to_str().unwrap()});
    assert_eq!(
        r.meta.source_partition.clone().map(|p| p.to_json()),
        Some(partition)
    );
    assert_eq!(
        r.meta.source_offset.as_ref().map(OffsetMap::to_json),
        Some(json!({"position": 22}))
    );
    let now = now_millis();
    assert!(r.timestamp.is_some_and(|t| t <= now && t > now - 60_000));

    append(&path, b"line1\rline2\r\nline3\nline4\n\r");
    assert_eq!(
        lines(task.poll().await.unwrap()),
        owned(&[("line1", 28), ("line2", 35), ("line3", 41), ("line4", 47)])
    );
    // The trailing `\r` is held: nothing more until the next byte arrives.
    assert_eq!(task.poll().await.unwrap(), None);

    append(&path, b"subsequent text");
    assert_eq!(lines(task.poll().await.unwrap()), owned(&[("", 48)]));
    // A final line without terminator is never emitted.
    assert_eq!(task.poll().await.unwrap(), None);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn non_ascii_positions_are_byte_counts_and_restart_resumes_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("utf8.txt");
    std::fs::write(&path, "héllo\n日本語\n😀x\r\nend\n").unwrap();
    let mut task = started(&path, None).await;
    let got = lines(task.poll().await.unwrap());
    assert_eq!(
        got,
        owned(&[("héllo", 7), ("日本語", 17), ("😀x", 24), ("end", 28)])
    );
    task.stop().await.unwrap();

    // A restart from the committed offset of the first line resumes with the second.
    let partition = json!({"filename": path.to_str().unwrap()});
    let offsets = MemOffsets::with(partition, json!({"position": 7}));
    let mut task = start_with(
        props(&path, None),
        offsets.clone(),
        StopSignal::never(),
        FAST,
    )
    .await;
    let got = lines(task.poll().await.unwrap());
    assert_eq!(got, owned(&[("日本語", 17), ("😀x", 24), ("end", 28)]));
    assert_eq!(*offsets.lookups.lock().unwrap(), 1);
}

#[tokio::test]
async fn crlf_and_lone_cr_and_empty_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crlf.txt");
    std::fs::write(&path, b"a\r\nb\r\n\r\nc\rd\n").unwrap();
    let mut task = started(&path, None).await;
    assert_eq!(
        lines(task.poll().await.unwrap()),
        owned(&[("a", 3), ("b", 6), ("", 8), ("c", 10), ("d", 12)])
    );
}

#[tokio::test]
async fn invalid_utf8_becomes_replacement_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, b"ok\nh\xff\xfei\n\xe6\x97\n").unwrap();
    let mut task = started(&path, None).await;
    assert_eq!(
        lines(task.poll().await.unwrap()),
        owned(&[("ok", 3), ("h\u{fffd}\u{fffd}i", 8), ("\u{fffd}", 11)])
    );
}

#[tokio::test]
async fn batch_size_caps_each_poll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.txt");
    let line = "Neque porro quisquam est qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit...\n";
    std::fs::write(&path, line.repeat(10_002)).unwrap();
    let mut task = started(&path, Some(5000)).await;
    let first = task.poll().await.unwrap().unwrap();
    assert_eq!(first.len(), 5000);
    assert_eq!(position(&first[4999]), 5000 * line.len() as u64);
    let second = task.poll().await.unwrap().unwrap();
    assert_eq!(second.len(), 5000);
    assert_eq!(position(&second[0]), 5001 * line.len() as u64);
    let third = task.poll().await.unwrap().unwrap();
    assert_eq!(third.len(), 2);
    assert_eq!(position(&third[1]), 10_002 * line.len() as u64);
    assert_eq!(task.poll().await.unwrap(), None);
}

#[tokio::test]
async fn lines_already_buffered_are_returned_without_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.txt");
    std::fs::write(&path, b"1\n2\n3\n4\n5\n").unwrap();
    let mut task = started(&path, Some(2)).await;
    let mut all = Vec::new();
    for expected in [2, 2, 1] {
        let got = lines(task.poll().await.unwrap());
        assert_eq!(got.len(), expected);
        all.extend(got);
    }
    assert_eq!(
        all,
        owned(&[("1", 2), ("2", 4), ("3", 6), ("4", 8), ("5", 10)])
    );
}

#[tokio::test]
async fn missing_file_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.txt");
    let mut task = started(&path, None).await;
    let t = Instant::now();
    assert_eq!(task.poll().await.unwrap(), None);
    assert!(t.elapsed() >= FAST);
    assert_eq!(task.poll().await.unwrap(), None);
    append(&path, b"hello\n");
    assert_eq!(lines(task.poll().await.unwrap()), owned(&[("hello", 6)]));
}

/// Runs one poll on a task that will wait a full second, stops it after 50 ms, and
/// checks the poll ended promptly.
async fn assert_stop_interrupts(path: &Path) {
    let (trigger, signal): (StopTrigger, StopSignal) = stop_pair();
    let mut task = start_with(
        props(path, None),
        Arc::default(),
        signal,
        Duration::from_secs(1),
    )
    .await;
    let t = Instant::now();
    let handle = tokio::spawn(async move { task.poll().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    trigger.stop();
    let result = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.unwrap(), None);
    assert!(
        t.elapsed() < Duration::from_millis(700),
        "poll took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn stop_interrupts_the_idle_wait() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.txt");
    std::fs::write(&path, b"").unwrap();
    assert_stop_interrupts(&path).await;
}

#[tokio::test]
async fn stop_interrupts_the_wait_for_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_stop_interrupts(&dir.path().join("absent.txt")).await;
}

#[tokio::test]
async fn stopped_task_returns_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stopped.txt");
    std::fs::write(&path, b"a\nb\n").unwrap();
    let mut task = started(&path, Some(1)).await;
    assert_eq!(lines(task.poll().await.unwrap()), owned(&[("a", 2)]));
    task.stop().await.unwrap();
    assert_eq!(task.poll().await.unwrap(), None);
}

#[tokio::test]
async fn stored_offset_beyond_eof_waits_for_growth() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.txt");
    std::fs::write(&path, b"abc\n").unwrap();
    let partition = json!({"filename": path.to_str().unwrap()});
    let offsets = MemOffsets::with(partition, json!({"position": 10}));
    let mut task = start_with(props(&path, None), offsets, StopSignal::never(), FAST).await;
    assert_eq!(task.poll().await.unwrap(), None);
    assert_eq!(task.poll().await.unwrap(), None);
    // Byte 10 is the `\n` after "defghi": reading resumes exactly there.
    append(&path, b"defghi\nxyz\n");
    assert_eq!(
        lines(task.poll().await.unwrap()),
        owned(&[("", 11), ("xyz", 15)])
    );
}

#[tokio::test]
async fn null_stored_position_starts_from_the_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("null.txt");
    std::fs::write(&path, b"a\n").unwrap();
    let partition = json!({"filename": path.to_str().unwrap()});
    let offsets = MemOffsets::with(partition, json!({"position": null}));
    let mut task = start_with(props(&path, None), offsets, StopSignal::never(), FAST).await;
    assert_eq!(lines(task.poll().await.unwrap()), owned(&[("a", 2)]));
}

#[tokio::test]
async fn bad_stored_offset_type_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-offset.txt");
    std::fs::write(&path, b"a\n").unwrap();
    for bad in [json!("12"), json!(1.5), json!(-3), json!([1])] {
        let partition = json!({"filename": path.to_str().unwrap()});
        let offsets = MemOffsets::with(partition, json!({ "position": bad }));
        let mut task = start_with(props(&path, None), offsets, StopSignal::never(), FAST).await;
        let err = task.poll().await.unwrap_err();
        let msg = err.to_string();
        assert!(!err.is_retriable());
        assert!(
            msg.contains("Offset position is the incorrect type"),
            "{msg}"
        );
        assert!(msg.contains(path.to_str().unwrap()), "{msg}");
        assert!(msg.contains(&bad.to_string()), "{msg}");
    }
}

#[tokio::test]
async fn unreadable_path_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    // Opening a directory succeeds on Linux but reading it fails; a path under a
    // regular file cannot even be opened.
    let blocker = dir.path().join("plain");
    std::fs::write(&blocker, b"").unwrap();
    let path = blocker.join("child.txt");
    let mut task = started(&path, None).await;
    let msg = task.poll().await.unwrap_err().to_string();
    assert!(msg.contains("Error while trying to open file"), "{msg}");
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
}

#[tokio::test]
async fn stdin_mode_uses_null_partition_and_trims_config() {
    let mut p = Props::new();
    p.insert("file".into(), "  ".into());
    p.insert("topic".into(), "t".into());
    let task = start_with(p, Arc::default(), StopSignal::never(), FAST).await;
    let run = task.running.as_ref().unwrap();
    assert_eq!(run.file, None);
    assert_eq!(run.partition.to_json(), json!({"filename": null}));
    assert_eq!(run.batch_size, 2000);
}

#[tokio::test]
async fn polling_before_start_is_an_error() {
    let mut task = FileStreamSourceTask::new();
    assert!(task.poll().await.is_err());
}

#[tokio::test]
async fn connector_config_and_task_fan_out() {
    let mut c = FileStreamSourceConnector::new();
    assert_eq!(c.version(), "3.9.0");
    assert_eq!(
        c.task_class(),
        "org.apache.kafka.connect.file.FileStreamSourceTask"
    );
    let def = c.config_def();
    let names: Vec<_> = def.keys().iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["file", "topic", "batch.size"]);
    let batch = def.key("batch.size").unwrap();
    assert_eq!(batch.config_type, ConfigType::Int);
    assert_eq!(batch.default, ConfigDefault::Value("2000".into()));
    assert_eq!(def.key("file").unwrap().default, ConfigDefault::Null);
    assert!(def.key("topic").unwrap().is_required());

    let mut p = Props::new();
    p.insert("topic".into(), "".into());
    let reports = c.validate(&p);
    let topic = reports.iter().find(|r| r.name == "topic").unwrap();
    assert_eq!(
        topic.errors,
        ["Invalid value  for configuration topic: String must be non-empty"]
    );
    p.remove("topic");
    assert!(c.start(Arc::new(NoCtx), p.clone()).await.is_err());

    p.insert("topic".into(), "t".into());
    p.insert("file".into(), "/tmp/x".into());
    p.insert("connector.class".into(), "FileStreamSource".into());
    c.start(Arc::new(NoCtx), p.clone()).await.unwrap();
    assert_eq!(c.task_configs(5).unwrap(), vec![p.clone()]);
    assert_eq!(
        c.exactly_once_support(&p),
        Some(ExactlyOnceSupport::Supported)
    );
    p.insert("file".into(), "".into());
    assert_eq!(
        c.exactly_once_support(&p),
        Some(ExactlyOnceSupport::Unsupported)
    );
    p.remove("file");
    assert_eq!(
        c.exactly_once_support(&p),
        Some(ExactlyOnceSupport::Unsupported)
    );
    c.stop().await.unwrap();
}

struct NoCtx;

impl rconnect_sdk::connector::ConnectorContext for NoCtx {
    fn request_task_reconfiguration(&self) {}
    fn raise_error(&self, _error: rconnect_sdk::ConnectError) {}
}

#[tokio::test]
async fn read_errors_are_retriable_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A directory opens like a file on Linux but every read fails (EISDIR).
    let mut task = started(dir.path(), None).await;
    let err = task.poll().await.unwrap_err();
    assert!(err.is_retriable());
    assert!(
        err.to_string().contains(dir.path().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn alter_offsets_follows_java_rules() {
    let c = FileStreamSourceConnector::new();
    let obj = |v: serde_json::Value| Some(OffsetMap::try_from(v).unwrap());
    let mut config = Props::new();
    config.insert("topic".into(), "t".into());
    let good = [(obj(json!({"filename": "/a"})), obj(json!({"position": 5})))];
    let err = c.alter_offsets(&config, &good).unwrap_err().to_string();
    assert!(
        err.starts_with("Offsets cannot be modified if the 'file' configuration is unspecified."),
        "{err}"
    );

    config.insert("file".into(), "/a".into());
    assert!(c.alter_offsets(&config, &good).unwrap());
    // Tombstones pass whatever the partition holds.
    assert!(c
        .alter_offsets(&config, &[(None, None), (obj(json!({"x": 1})), None)])
        .unwrap());
    let cases = [
        (
            obj(json!({"filename": "/a"})),
            json!({"pos": 1}),
            "Offset objects should either be null or contain the key 'position'",
        ),
        (
            obj(json!({"filename": "/a"})),
            json!({"position": "1"}),
            "The value for the 'position' key in the offset is expected to be a Long value",
        ),
        (
            obj(json!({"filename": "/a"})),
            json!({"position": 1.0}),
            "The value for the 'position' key in the offset is expected to be a Long value",
        ),
        (
            obj(json!({"filename": "/a"})),
            json!({"position": -1}),
            "The value for the 'position' key in the offset should be a non-negative value",
        ),
        (
            None,
            json!({"position": 1}),
            "Partition objects cannot be null",
        ),
        (
            obj(json!({"file": "/a"})),
            json!({"position": 1}),
            "Partition objects should contain the key 'filename'",
        ),
    ];
    for (partition, offset, expected) in cases {
        let err = c
            .alter_offsets(&config, &[(partition, obj(offset))])
            .unwrap_err();
        assert_eq!(err.to_string(), expected);
    }
}

#[tokio::test]
async fn a_big_file_arrives_whole_and_in_order_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.txt");
    let text: String = (0..10_000).map(|i| format!("line-{i}\n")).collect();
    std::fs::write(&path, &text).unwrap();
    let mut task = started(&path, Some(700)).await;
    let mut got = Vec::new();
    while got.len() < 10_000 {
        let batch = lines(task.poll().await.unwrap());
        assert!(
            !batch.is_empty(),
            "a poll came back empty after {}",
            got.len()
        );
        assert!(batch.len() <= 700);
        got.extend(batch);
    }
    let mut end = 0;
    for (i, (line, position)) in got.iter().enumerate() {
        assert_eq!(line, &format!("line-{i}"));
        end += line.len() as u64 + 1;
        assert_eq!(*position, end);
    }
    // Lines appended later are read on from there.
    append(&path, b"more\n");
    assert_eq!(
        lines(task.poll().await.unwrap()),
        owned(&[("more", end + 5)])
    );
    assert_eq!(task.poll().await.unwrap(), None);
    task.stop().await.unwrap();
    assert_eq!(task.poll().await.unwrap(), None);
}
