//! Operations through the real binary: `GET /metrics` read by the Prometheus Python client's
//! own parser (counters move while data moves), and the automatic restart of a FAILED task
//! (`rconnect.auto.restart.enable`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, repo_root, unique_name, Broker, Http, Worker};
use serde_json::{json, Value};

/// The venv of `scripts/install-ops-tools` (with `prometheus_client`).
fn ops_python() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/install-ops-tools"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/install-ops-tools");
    assert!(
        out.status.success(),
        "scripts/install-ops-tools failed (it needs python3 and PyPI)"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("python")
}

const PARSE: &str = r#"
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        v = None if math.isnan(s.value) else (str(s.value) if math.isinf(s.value) else s.value)
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": v})
print(json.dumps(out))
"#;

/// `GET /metrics` parsed by `prometheus_client`: every sample with its family and type.
fn scrape(python: &Path, http: &Http, base: &str) -> Vec<Value> {
    let (status, text) = http.get(&format!("{base}/metrics"));
    assert_eq!(status, 200, "{text}");
    let mut child = Command::new(python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the parser");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the scrape");
    let out = child.wait_with_output().expect("parser output");
    assert!(
        out.status.success(),
        "prometheus_client could not parse the scrape: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("parser JSON")
}

/// The value of the sample `name` whose labels include `labels`.
fn value(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
}

struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    base: String,
}

fn start_worker(broker: &Broker, extra: &str) -> (Setup, Worker) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}/offsets\noffset.flush.interval.ms=500\n\
             listeners=http://127.0.0.1:{port}\nconsumer.session.timeout.ms=6000\n{extra}",
            broker.bootstrap(),
            dir.path().display()
        ),
    )
    .expect("write worker.properties");
    let mut w = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(60));
    let base = format!("http://127.0.0.1:{port}");
    (Setup { dir, port, base }, w)
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

fn task_state(http: &Http, base: &str, name: &str) -> String {
    let (_, s) = http.get_json(&format!("{base}/connectors/{name}/status"));
    s["tasks"][0]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn metrics_are_prometheus_text_and_count_records_as_they_move() {
    let python = ops_python();
    let broker = Broker::start();
    let topic = unique_name("metrics");
    broker.create_topic(&topic, 1, &[]);
    let metrics_port = free_port();
    let (s, mut w) = start_worker(
        &broker,
        &format!("rconnect.metrics.listener=http://127.0.0.1:{metrics_port}\n"),
    );
    let http = Http::new();
    // The metrics listener serves /metrics and nothing of the REST API.
    let metrics_base = format!("http://127.0.0.1:{metrics_port}");
    assert_eq!(http.get(&format!("{metrics_base}/connectors")).0, 404);
    let on_own_port = scrape(&python, &http, &metrics_base);
    assert_eq!(
        value(&on_own_port, "kafka_connect_worker_connector_count", &[]),
        Some(0.0)
    );

    let input = s.dir.path().join("in.txt");
    let lines: Vec<String> = (0..200).map(|i| format!("line {i}")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (status, body) = http.post_json(
        &format!("{}/connectors", s.base),
        &json!({"name": "src", "config": {
            "connector.class": "FileStreamSource", "file": input, "topic": topic}}),
    );
    assert_eq!(status, 201, "{body}");
    let output = s.dir.path().join("out.txt");
    let (status, body) = http.post_json(
        &format!("{}/connectors", s.base),
        &json!({"name": "snk", "config": {
            "connector.class": "FileStreamSink", "file": output, "topics": topic}}),
    );
    assert_eq!(status, 201, "{body}");
    let src = [("connector", "src"), ("task", "0")];
    let snk = [("connector", "snk"), ("task", "0")];
    let poll = |m: &[Value]| {
        value(
            m,
            "kafka_connect_source_task_source_record_poll_total",
            &src,
        )
        .unwrap_or(-1.0)
    };
    let write = |m: &[Value]| {
        value(
            m,
            "kafka_connect_source_task_source_record_write_total",
            &src,
        )
        .unwrap_or(-1.0)
    };
    let read = |m: &[Value]| {
        value(m, "kafka_connect_sink_task_sink_record_read_total", &snk).unwrap_or(-1.0)
    };
    let sent = |m: &[Value]| {
        value(m, "kafka_connect_sink_task_sink_record_send_total", &snk).unwrap_or(-1.0)
    };
    let mut first = Vec::new();
    wait_until(
        "200 records counted on both sides",
        Duration::from_secs(60),
        || {
            first = scrape(&python, &http, &s.base);
            poll(&first) >= 200.0 && write(&first) >= 200.0 && sent(&first) >= 200.0
        },
    );
    let family_type = |name: &str| {
        first
            .iter()
            .find(|x| x["name"] == name)
            .map(|x| x["type"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(
        family_type("kafka_connect_source_task_source_record_poll_total").as_deref(),
        Some("counter")
    );
    assert_eq!(
        value(&first, "kafka_connect_worker_connector_count", &[]),
        Some(2.0)
    );
    assert_eq!(
        value(&first, "kafka_connect_worker_task_count", &[]),
        Some(2.0)
    );
    assert_eq!(
        value(
            &first,
            "kafka_connect_connector_task_status",
            &[("connector", "src"), ("status", "running")]
        ),
        Some(1.0)
    );
    assert_eq!(poll(&first), 200.0, "{first:?}");
    assert_eq!(write(&first), 200.0);
    // At least once: a rebalance on tansu may deliver a record to the sink again.
    assert!(read(&first) >= 200.0, "{first:?}");
    assert!(sent(&first) >= 200.0, "{first:?}");
    assert_eq!(
        value(&first, "kafka_connect_sink_task_partition_count", &snk),
        Some(1.0)
    );
    for name in [
        "kafka_connect_source_task_poll_batch_avg_time_ms",
        "kafka_connect_sink_task_put_batch_max_time_ms",
        "kafka_connect_connector_task_batch_size_max",
        "kafka_connect_task_error_total_record_failures",
        "kafka_connect_worker_connector_startup_success_total",
        "kafka_connect_worker_task_startup_success_total",
    ] {
        assert!(
            first.iter().any(|x| x["name"] == name),
            "{name} in the scrape"
        );
    }

    // More lines: the counters follow.
    let more: Vec<String> = (200..300).map(|i| format!("line {i}")).collect();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    use std::io::Write as _;
    f.write_all((more.join("\n") + "\n").as_bytes()).unwrap();
    drop(f);
    // The counters, not the file: the sink may have written a record twice (at least once).
    let mut second = Vec::new();
    wait_until(
        "300 records counted on both sides",
        Duration::from_secs(60),
        || {
            second = scrape(&python, &http, &s.base);
            poll(&second) >= 300.0 && write(&second) >= 300.0 && sent(&second) >= 300.0
        },
    );
    assert_eq!(poll(&second), 300.0);
    assert_eq!(write(&second), 300.0);
    assert!(read(&second) >= 300.0, "{second:?}");
    assert!(sent(&second) >= 300.0, "{second:?}");
    wait_until(
        "an offset commit of each task",
        Duration::from_secs(30),
        || {
            let m = scrape(&python, &http, &s.base);
            value(
                &m,
                "kafka_connect_connector_task_offset_commit_success_percentage",
                &src,
            ) > Some(0.0)
                && value(
                    &m,
                    "kafka_connect_sink_task_offset_commit_completion_total",
                    &snk,
                ) > Some(0.0)
        },
    );
    assert!(w.stop().success());
    let _ = s.port;
}

#[test]
fn a_failed_task_is_restarted_automatically_once_its_cause_is_gone() {
    let python = ops_python();
    let broker = Broker::start();
    let topic = unique_name("restart");
    broker.create_topic(&topic, 1, &[]);
    let (s, mut w) = start_worker(
        &broker,
        "rconnect.auto.restart.enable=true\nrconnect.auto.restart.initial.backoff.ms=300\n\
         rconnect.auto.restart.max.backoff.ms=1000\nrconnect.auto.restart.max.attempts=-1\n",
    );
    let http = Http::new();
    // The sink's directory does not exist yet: its task fails at start.
    let out_dir = s.dir.path().join("later");
    let output = out_dir.join("out.txt");
    let (status, body) = http.post_json(
        &format!("{}/connectors", s.base),
        &json!({"name": "snk", "config": {
            "connector.class": "FileStreamSink", "file": output, "topics": topic}}),
    );
    assert_eq!(status, 201, "{body}");
    wait_until("the task FAILED", Duration::from_secs(30), || {
        task_state(&http, &s.base, "snk") == "FAILED"
    });
    // It keeps failing, restarted with back-off, never crashing the worker.
    w.wait_for_log(
        "restarting FAILED task snk-0 automatically",
        Duration::from_secs(10),
    );
    assert!(w.try_exit_status().is_none(), "the worker is still up");

    std::fs::create_dir_all(&out_dir).unwrap();
    wait_until("the task RUNNING again", Duration::from_secs(15), || {
        task_state(&http, &s.base, "snk") == "RUNNING"
    });
    broker.produce(&topic, &[(None, Some(b"after the restart".as_slice()))]);
    wait_until("the record in the file", Duration::from_secs(90), || {
        std::fs::read_to_string(&output).is_ok_and(|t| t.contains("after the restart"))
    });
    let m = scrape(&python, &http, &s.base);
    let restarts = value(&m, "rconnect_worker_auto_restarts_total", &[]).unwrap_or(0.0);
    assert!(restarts >= 1.0, "restarts counted: {restarts}");
    assert!(
        value(&m, "kafka_connect_worker_task_startup_failure_total", &[]) >= Some(1.0),
        "{m:?}"
    );
    assert!(w.stop().success());
}
