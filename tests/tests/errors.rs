//! End-to-end tests of error handling (`errors.*` connector keys) through the real `rconnect`
//! binary in standalone mode on tansu: a FileStreamSink with `errors.tolerance=all` and a
//! dead letter queue, the same with `errors.tolerance=none`, and a plugin sink task that
//! reports records through its `ErrantRecordReporter` across the plugin interface.
//!
//! Build first: `cargo build -p rconnect && cargo test -p rconnect-tests --test errors`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, unique_name, Broker, Http, Worker};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};

/// A consumed record with its headers.
struct Rec {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Rec {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// Reads partition 0 of `topic` from the start until `n` records arrived (or panics).
fn consume_with_headers(broker: &Broker, topic: &str, n: usize) -> Vec<Rec> {
    let consumer: BaseConsumer = broker
        .client_config()
        .set("group.id", unique_name("errors-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let deadline = Instant::now() + Duration::from_secs(30);
    while broker.partition_count(topic).is_none() {
        assert!(Instant::now() < deadline, "topic {topic} never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "read {} of {n} records from {topic}",
            out.len()
        );
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Rec {
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers,
            });
        }
    }
    out
}

struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    worker_props: PathBuf,
}

impl Setup {
    fn new(broker: &Broker, plugin_path: Option<&Path>) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let worker_props = dir.path().join("worker.properties");
        let mut text = format!(
            "bootstrap.servers={}\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             key.converter.schemas.enable=true\n\
             value.converter.schemas.enable=true\n\
             offset.storage.file.filename={}\n\
             offset.flush.interval.ms=500\n\
             listeners=http://127.0.0.1:{port}\n",
            broker.bootstrap(),
            dir.path().join("connect.offsets").display(),
        );
        if let Some(p) = plugin_path {
            text.push_str(&format!("plugin.path={}\n", p.display()));
        }
        fs::write(&worker_props, text).unwrap();
        Setup {
            dir,
            port,
            worker_props,
        }
    }

    fn start(&self) -> Worker {
        let mut w = Worker::start(&["standalone", self.worker_props.to_str().unwrap()], &[]);
        w.wait_for_rest(self.port, Duration::from_secs(30));
        w
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn create(&self, http: &Http, name: &str, config: Value) {
        let (code, body) = http.post_json(
            &self.url("/connectors"),
            &json!({"name": name, "config": config}),
        );
        assert_eq!(code, 201, "create {name}: {body}");
    }

    fn task_status(&self, http: &Http, name: &str, want: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, body) = http.get_json(&self.url(&format!("/connectors/{name}/status")));
            if code == 200 && body["tasks"][0]["state"] == want {
                return body["tasks"][0].clone();
            }
            assert!(Instant::now() < deadline, "{name} never {want}: {body}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Waits until `path` holds exactly `lines` (ignoring `# ` lines the test plugin writes).
fn wait_for_lines(path: &Path, lines: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        let got: Vec<&str> = text.lines().filter(|l| !l.starts_with("# ")).collect();
        if got == lines {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} holds {got:?}, want {lines:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn envelope(s: &str) -> String {
    json!({"schema": {"type": "string", "optional": false}, "payload": s}).to_string()
}

const NOT_JSON: &str = "{not json";
const NO_ENVELOPE: &str = r#"{"a":1}"#;

#[test]
fn sink_conversion_failures_go_to_the_dlq_under_all_and_fail_the_task_under_none() {
    let broker = Broker::start();
    broker.create_topic("err-in", 1, &[]);
    broker.create_topic("err-strict", 1, &[]);
    let good1 = envelope("good-1");
    let good2 = envelope("good-2");
    let key = envelope("k1");
    let records: Vec<rconnect_tests::KeyValueHeaders<'_>> = vec![
        (None, Some(good1.as_bytes()), &[]),
        (
            Some(key.as_bytes()),
            Some(NOT_JSON.as_bytes()),
            &[("trace-id", b"abc")],
        ),
        (None, Some(NO_ENVELOPE.as_bytes()), &[]),
        (None, Some(good2.as_bytes()), &[]),
    ];
    broker.produce_with_headers("err-in", &records);
    broker.produce_with_headers("err-strict", &records);

    let s = Setup::new(&broker, None);
    let mut w = s.start();
    let http = Http::new();
    let out = s.dir.path().join("out.txt");
    s.create(
        &http,
        "tolerant",
        json!({
            "connector.class": "FileStreamSink",
            "topics": "err-in",
            "file": out.display().to_string(),
            "errors.tolerance": "all",
            "errors.log.enable": "true",
            "errors.log.include.messages": "true",
            "errors.deadletterqueue.topic.name": "err-dlq",
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    let strict_out = s.dir.path().join("strict.txt");
    s.create(
        &http,
        "strict",
        json!({
            "connector.class": "FileStreamSink",
            "topics": "err-strict",
            "file": strict_out.display().to_string(),
            "errors.deadletterqueue.topic.name": "err-strict-dlq",
            "errors.deadletterqueue.topic.replication.factor": "1",
        }),
    );

    // Good records reach the file; the bad ones are skipped.
    wait_for_lines(&out, &["good-1", "good-2"]);
    s.task_status(&http, "tolerant", "RUNNING");

    // The dead letter queue (created by the task) holds the original bytes and headers, then
    // every context header.
    let dlq = consume_with_headers(&broker, "err-dlq", 2);
    assert_eq!(dlq[0].key.as_deref(), Some(key.as_bytes()));
    assert_eq!(dlq[0].value.as_deref(), Some(NOT_JSON.as_bytes()));
    assert_eq!(dlq[1].key, None);
    assert_eq!(dlq[1].value.as_deref(), Some(NO_ENVELOPE.as_bytes()));
    let names: Vec<&str> = dlq[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "trace-id",
            "__connect.errors.topic",
            "__connect.errors.partition",
            "__connect.errors.offset",
            "__connect.errors.connector.name",
            "__connect.errors.task.id",
            "__connect.errors.stage",
            "__connect.errors.class.name",
            "__connect.errors.exception.class.name",
            "__connect.errors.exception.message",
            "__connect.errors.exception.stacktrace",
        ]
    );
    for (rec, offset) in [(&dlq[0], "1"), (&dlq[1], "2")] {
        assert_eq!(
            rec.header("__connect.errors.topic").as_deref(),
            Some("err-in")
        );
        assert_eq!(
            rec.header("__connect.errors.partition").as_deref(),
            Some("0")
        );
        assert_eq!(
            rec.header("__connect.errors.offset").as_deref(),
            Some(offset)
        );
        assert_eq!(
            rec.header("__connect.errors.connector.name").as_deref(),
            Some("tolerant")
        );
        assert_eq!(rec.header("__connect.errors.task.id").as_deref(), Some("0"));
        assert_eq!(
            rec.header("__connect.errors.stage").as_deref(),
            Some("VALUE_CONVERTER")
        );
        assert_eq!(
            rec.header("__connect.errors.class.name").as_deref(),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert_eq!(
            rec.header("__connect.errors.exception.class.name")
                .as_deref(),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        let trace = rec.header("__connect.errors.exception.stacktrace").unwrap();
        assert!(
            trace.starts_with("org.apache.kafka.connect.errors.DataException: "),
            "{trace}"
        );
    }
    assert_eq!(dlq[0].header("trace-id").as_deref(), Some("abc"));
    let m0 = dlq[0].header("__connect.errors.exception.message").unwrap();
    assert!(
        m0.starts_with("Converting byte[] to Kafka Connect data failed due to serialization error"),
        "{m0}"
    );
    let m1 = dlq[1].header("__connect.errors.exception.message").unwrap();
    assert!(
        m1.starts_with(
            "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields"
        ),
        "{m1}"
    );
    // errors.log.enable with include.messages: Java's log line with the record coordinates.
    w.wait_for_log(
        "Error encountered in task tolerant-0. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is {topic='err-in', partition=0, offset=1",
        Duration::from_secs(10),
    );

    // Java's task-error-metrics, as Prometheus exporters name them.
    let (code, metrics) = http.get(&s.url("/metrics"));
    assert_eq!(code, 200, "{metrics}");
    for line in [
        "kafka_connect_task_error_total_records_skipped{connector=\"tolerant\",task=\"0\"} 2",
        "kafka_connect_task_error_total_record_errors{connector=\"tolerant\",task=\"0\"} 2",
        "kafka_connect_task_error_total_errors_logged{connector=\"tolerant\",task=\"0\"} 2",
        "kafka_connect_task_error_deadletterqueue_produce_requests{connector=\"tolerant\",task=\"0\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "no {line} in\n{metrics}");
    }

    // errors.tolerance=none: the first bad record fails the task, naming where it was read,
    // and is still written to the dead letter queue.
    let task = s.task_status(&http, "strict", "FAILED");
    let trace = task["trace"].as_str().unwrap();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"
        ),
        "{trace}"
    );
    assert!(
        trace.contains("Caused by: org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to serialization error"),
        "{trace}"
    );
    assert!(
        trace.contains("stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is {topic='err-strict', partition=0, offset=1"),
        "{trace}"
    );
    let strict_dlq = consume_with_headers(&broker, "err-strict-dlq", 1);
    assert_eq!(strict_dlq[0].value.as_deref(), Some(NOT_JSON.as_bytes()));
    // Context headers are off for this connector: only the original one.
    assert_eq!(strict_dlq[0].headers.len(), 1);
    assert!(w.stop().success());
}

/// Builds the lines-sink test plugin with the cargo and target directory of this test.
fn lines_sink_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>");
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(rconnect_tests::repo_root())
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--quiet", "-p", "rconnect-test-plugin-lines-sink"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    assert!(cmd.status().expect("cargo build").success());
    profile_dir.join(format!(
        "{}rconnect_test_plugin_lines_sink.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    ))
}

#[test]
fn a_plugin_sink_task_reports_errant_records_to_the_dlq() {
    let lib = lines_sink_lib();
    let broker = Broker::start();
    broker.create_topic("errant-in", 1, &[]);
    broker.produce(
        "errant-in",
        &[
            (None, Some(b"one")),
            (Some(b"key"), Some(b"errant:too long")),
            (None, Some(b"two")),
        ],
    );
    let plugins = tempfile::tempdir().unwrap();
    fs::create_dir_all(plugins.path().join("sink")).unwrap();
    fs::copy(
        &lib,
        plugins.path().join("sink").join(lib.file_name().unwrap()),
    )
    .unwrap();
    let s = Setup::new(&broker, Some(plugins.path()));
    let mut w = s.start();
    let http = Http::new();
    let out = s.dir.path().join("lines.txt");
    s.create(
        &http,
        "errant",
        json!({
            "connector.class": "io.rconnect.tests.LinesSinkConnector",
            "topics": "errant-in",
            "file": out.display().to_string(),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "errant-dlq",
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        }),
    );
    wait_for_lines(&out, &["one", "two"]);
    let dlq = consume_with_headers(&broker, "errant-dlq", 1);
    assert_eq!(dlq[0].key.as_deref(), Some(&b"key"[..]));
    assert_eq!(dlq[0].value.as_deref(), Some(&b"errant:too long"[..]));
    assert_eq!(
        dlq[0].header("__connect.errors.stage").as_deref(),
        Some("TASK_PUT")
    );
    assert_eq!(
        dlq[0].header("__connect.errors.class.name").as_deref(),
        Some("org.apache.kafka.connect.sink.SinkTask")
    );
    assert_eq!(
        dlq[0].header("__connect.errors.offset").as_deref(),
        Some("1")
    );
    assert_eq!(
        dlq[0]
            .header("__connect.errors.exception.message")
            .as_deref(),
        Some("rejected by the task: too long")
    );
    s.task_status(&http, "errant", "RUNNING");
    assert!(w.stop().success());
}

#[test]
fn source_transformation_failures_are_skipped_under_all_and_fail_the_task_under_none() {
    let broker = Broker::start();
    broker.create_topic("src-all", 1, &[]);
    broker.create_topic("src-none", 1, &[]);
    let s = Setup::new(&broker, None);
    let mut w = s.start();
    let http = Http::new();
    let input = s.dir.path().join("in.txt");
    fs::write(&input, "a\nb\n").unwrap();
    // FileStreamSource values are strings: ExtractField$Value refuses every one of them
    // (Java's "Only Struct objects supported ...").
    let source = |topic: &str, tolerance: &str| {
        json!({
            "connector.class": "FileStreamSource",
            "file": input.display().to_string(),
            "topic": topic,
            "transforms": "extract",
            "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
            "transforms.extract.field": "x",
            "errors.tolerance": tolerance,
            "errors.log.enable": "true",
        })
    };
    s.create(&http, "src-all", source("src-all", "all"));
    s.create(&http, "src-none", source("src-none", "none"));

    w.wait_for_log(
        "Error encountered in task src-all-0. Executing stage 'TRANSFORMATION' with class 'org.apache.kafka.connect.transforms.ExtractField$Value'.",
        Duration::from_secs(30),
    );
    let task = s.task_status(&http, "src-none", "FAILED");
    let trace = task["trace"].as_str().unwrap();
    assert!(
        trace.starts_with(
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\nCaused by: org.apache.kafka.connect.errors.DataException: Only Struct objects supported"
        ),
        "{trace}"
    );
    assert!(
        trace.contains("stage 'TRANSFORMATION' with class 'org.apache.kafka.connect.transforms.ExtractField$Value'"),
        "{trace}"
    );
    s.task_status(&http, "src-all", "RUNNING");
    // Both lines were skipped: nothing reached the topic.
    assert!(broker
        .consume_available("src-all", 1, Duration::from_secs(2))
        .is_empty());
    assert!(w.stop().success());
}

/// Java's own worker (Apache Kafka Connect 3.9.0) and rconnect consume the same records with
/// the same sink config; their dead letter queues must hold the same records and headers
/// (the stack trace aside: rconnect has no JVM frames, docs/errors.md).
#[test]
fn dlq_records_and_headers_match_javas() {
    let Some(classpath) = rconnect_tests::java_reference("dlq_records_and_headers_match_javas")
    else {
        return;
    };
    let broker = Broker::start();
    broker.create_topic("cmp-in", 1, &[]);
    let key = envelope("k1");
    let good = envelope("good");
    let records: Vec<rconnect_tests::KeyValueHeaders<'_>> = vec![
        (
            Some(key.as_bytes()),
            Some(NOT_JSON.as_bytes()),
            &[("h", b"1")],
        ),
        (None, Some(good.as_bytes()), &[]),
        (None, Some(NO_ENVELOPE.as_bytes()), &[]),
        (Some(b"[1,"), Some(good.as_bytes()), &[]),
    ];
    broker.produce_with_headers("cmp-in", &records);
    let settings = |group: &str, port: u16| {
        let mut p: std::collections::BTreeMap<&str, String> =
            rconnect_tests::distributed_worker_settings(&broker, group, port)
                .into_iter()
                .collect();
        for (k, v) in [
            ("config.storage.replication.factor", "1"),
            ("offset.storage.replication.factor", "1"),
            ("status.storage.replication.factor", "1"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
        ] {
            p.insert(k, v.to_string());
        }
        p
    };
    let dir = tempfile::tempdir().unwrap();
    let java_port = free_port();
    let _java = rconnect_tests::JavaWorker::start_distributed(
        &classpath,
        &settings("cmp-java", java_port),
        java_port,
        Duration::from_secs(60),
    );
    let rc_port = free_port();
    let rc_props = dir.path().join("rconnect.properties");
    rconnect_tests::write_properties(&rc_props, &settings("cmp-rc", rc_port));
    let mut rc = Worker::start(&["distributed", rc_props.to_str().unwrap()], &[]);
    rc.wait_for_rest(rc_port, Duration::from_secs(60));

    let http = Http::new();
    for (port, name) in [(java_port, "cmp-java"), (rc_port, "cmp-rc")] {
        let config = json!({
            "connector.class": "FileStreamSink",
            "topics": "cmp-in",
            "file": dir.path().join(format!("{name}.txt")).display().to_string(),
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": format!("{name}-dlq"),
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        });
        let (code, body) = http.post_json(
            &format!("http://127.0.0.1:{port}/connectors"),
            &json!({"name": name, "config": config}),
        );
        assert_eq!(code, 201, "{name}: {body}");
    }
    let java = consume_with_headers(&broker, "cmp-java-dlq", 3);
    let ours = consume_with_headers(&broker, "cmp-rc-dlq", 3);
    for (j, r) in java.iter().zip(&ours) {
        assert_eq!(j.key, r.key);
        assert_eq!(j.value, r.value);
        let strip = |rec: &Rec| -> Vec<(String, Option<String>)> {
            rec.headers
                .iter()
                .filter(|(k, _)| {
                    k != "__connect.errors.exception.stacktrace"
                        && k != "__connect.errors.exception.message"
                })
                .map(|(k, v)| {
                    let v = v
                        .as_deref()
                        .map(|v| String::from_utf8_lossy(v).into_owned());
                    // The connector names differ (one consumer group each).
                    let v = v.map(|v| {
                        if v.starts_with("cmp-") {
                            "<name>".into()
                        } else {
                            v
                        }
                    });
                    (k.clone(), v)
                })
                .collect()
        };
        assert_eq!(strip(j), strip(r));
        // rconnect's JsonConverter adds the parser's detail after Java's message (Java has it
        // in the exception's cause).
        let message = |rec: &Rec| rec.header("__connect.errors.exception.message").unwrap();
        assert!(
            message(r).starts_with(&message(j)),
            "{:?} does not extend Java's {:?}",
            message(r),
            message(j)
        );
        let trace = |rec: &Rec| rec.header("__connect.errors.exception.stacktrace").unwrap();
        let java_first = trace(j).lines().next().unwrap_or_default().to_string();
        assert!(
            trace(r).trim_end().starts_with(&java_first),
            "the stack trace's first line: {:?} vs Java's {java_first:?}",
            trace(r)
        );
    }
    assert!(rc.stop().success());
}
