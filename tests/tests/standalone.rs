//! End-to-end tests of `rconnect standalone` on a real tansu broker, driven through the
//! real binary, the sample configs in `config/` and the REST API.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests`.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, sample_config_with, Broker, Http, Worker};
use serde_json::json;

/// Settings tests add to the sample worker config. The sink's consumer group joins in about
/// 3 s on tansu with a 6 s session timeout; with librdkafka's default (45 s) a join waits for it.
const TANSU_CONSUMER_SETTINGS: [(&str, &str); 1] = [("consumer.session.timeout.ms", "6000")];

struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    worker_props: PathBuf,
    source_props: PathBuf,
    sink_props: PathBuf,
    input: PathBuf,
    output: PathBuf,
}

impl Setup {
    fn new(broker: &Broker, flush_ms: u64) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let input = dir.path().join("test.txt");
        let output = dir.path().join("test.sink.txt");
        let mut worker = vec![
            ("bootstrap.servers", broker.bootstrap()),
            (
                "offset.storage.file.filename",
                dir.path().join("connect.offsets").display().to_string(),
            ),
            ("offset.flush.interval.ms", flush_ms.to_string()),
            ("listeners", format!("http://127.0.0.1:{port}")),
        ];
        worker.extend(
            TANSU_CONSUMER_SETTINGS
                .iter()
                .map(|(k, v)| (*k, v.to_string())),
        );
        let worker_props = sample_config_with("connect-standalone.properties", &worker, dir.path());
        let source_props = sample_config_with(
            "connect-file-source.properties",
            &[("file", input.display().to_string())],
            dir.path(),
        );
        let sink_props = sample_config_with(
            "connect-file-sink.properties",
            &[("file", output.display().to_string())],
            dir.path(),
        );
        Setup {
            dir,
            port,
            worker_props,
            source_props,
            sink_props,
            input,
            output,
        }
    }

    fn start(&self) -> Worker {
        let mut w = Worker::start(
            &[
                "standalone",
                self.worker_props.to_str().unwrap(),
                self.source_props.to_str().unwrap(),
                self.sink_props.to_str().unwrap(),
            ],
            &[],
        );
        w.wait_for_rest(self.port, Duration::from_secs(30));
        w
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// Line `i` of the test input: ASCII, Latin-1, CJK and emoji text, some lines ending in CRLF.
fn line(i: usize) -> (String, &'static str) {
    let text = match i % 5 {
        0 => format!("line {i} plain ascii"),
        1 => format!("ligne {i} été à Noël"),
        2 => format!("行 {i} 日本語のテキスト"),
        3 => format!("emoji {i} 🚀✨"),
        _ => format!("{i}"),
    };
    (text, if i.is_multiple_of(7) { "\r\n" } else { "\n" })
}

fn append_lines(path: &Path, range: std::ops::Range<usize>) -> Vec<String> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut buf = Vec::new();
    let mut lines = Vec::new();
    for i in range {
        let (text, end) = line(i);
        buf.extend_from_slice(text.as_bytes());
        buf.extend_from_slice(end.as_bytes());
        lines.push(text);
    }
    f.write_all(&buf).unwrap();
    lines
}

fn sink_lines(path: &Path) -> Vec<String> {
    match fs::read_to_string(path) {
        Ok(s) => s.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

/// Waits until the sink file holds at least `n` lines.
fn wait_for_lines(path: &Path, n: usize, timeout: Duration, worker: &Worker) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let lines = sink_lines(path);
        if lines.len() >= n {
            return lines;
        }
        if Instant::now() > deadline {
            panic!(
                "sink file has {} of {n} lines after {timeout:?}\nworker log:\n{}",
                lines.len(),
                worker.log_tail(60)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn wait_for_status(http: &Http, url: &str, want: &str, timeout: Duration) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (code, body) = http.get_json(url);
        if code == 200
            && body["connector"]["state"] == want
            && body["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == want))
        {
            return body;
        }
        if Instant::now() > deadline {
            panic!("status never became {want}: {code} {body}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sample_configs_move_100k_lines_in_order() {
    let broker = Broker::start();
    broker.create_topic("connect-test", 1, &[]);
    let s = Setup::new(&broker, 10_000);
    let expected = append_lines(&s.input, 0..100_000);
    let mut w = s.start();
    let got = wait_for_lines(&s.output, expected.len(), Duration::from_secs(180), &w);
    assert_eq!(got.len(), expected.len(), "no extra lines");
    assert!(
        got == expected,
        "sink lines differ from source lines (first difference at {:?})",
        got.iter().zip(&expected).position(|(a, b)| a != b)
    );
    let http = Http::new();
    wait_for_status(
        &http,
        &s.url("/connectors/local-file-source/status"),
        "RUNNING",
        Duration::from_secs(5),
    );
    wait_for_status(
        &http,
        &s.url("/connectors/local-file-sink/status"),
        "RUNNING",
        Duration::from_secs(5),
    );
    assert!(w.stop().success(), "graceful stop exits 0");
}

#[test]
fn graceful_restart_delivers_every_line_exactly_once() {
    let broker = Broker::start();
    broker.create_topic("connect-test", 1, &[]);
    // A long flush interval: only the commits at shutdown can make this exactly-once.
    let s = Setup::new(&broker, 600_000);
    let mut expected = append_lines(&s.input, 0..5_000);
    let mut w = s.start();
    wait_for_lines(&s.output, expected.len(), Duration::from_secs(60), &w);
    assert!(w.stop().success(), "graceful stop exits 0");
    let offsets = fs::read_to_string(s.dir.path().join("connect.offsets"))
        .expect("offsets file written at shutdown");
    assert!(
        offsets.contains("local-file-source"),
        "source offsets committed at shutdown: {offsets}"
    );

    expected.extend(append_lines(&s.input, 5_000..8_000));
    let mut w = s.start();
    let got = wait_for_lines(&s.output, expected.len(), Duration::from_secs(60), &w);
    // Give duplicates, if any, time to show up before judging.
    std::thread::sleep(Duration::from_secs(2));
    let got_after = sink_lines(&s.output);
    assert_eq!(
        got_after.len(),
        got.len(),
        "no duplicate lines after a graceful restart"
    );
    assert!(got_after == expected, "every line exactly once, in order");
    assert!(w.stop().success());
}

#[test]
fn kill_9_mid_stream_loses_no_line() {
    let broker = Broker::start();
    broker.create_topic("connect-test", 1, &[]);
    let s = Setup::new(&broker, 1_000);
    let mut expected = append_lines(&s.input, 0..50_000);
    let mut w = s.start();
    // Kill once some, but typically not all, lines went through.
    wait_for_lines(&s.output, 1_000, Duration::from_secs(60), &w);
    w.kill9();
    expected.extend(append_lines(&s.input, 50_000..60_000));
    let mut w = s.start();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut counts: HashMap<String, usize> = HashMap::new();
    loop {
        counts.clear();
        for l in sink_lines(&s.output) {
            *counts.entry(l).or_default() += 1;
        }
        if expected.iter().all(|l| counts.contains_key(l)) {
            break;
        }
        if Instant::now() > deadline {
            let missing = expected.iter().filter(|l| !counts.contains_key(*l)).count();
            panic!(
                "{missing} lines missing after kill -9 and restart\n{}",
                w.log_tail(60)
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    println!(
        "kill -9 then restart: {} lines expected, all present, {duplicates} duplicate line(s)",
        expected.len()
    );
    assert!(w.stop().success());
}

#[test]
fn rest_create_status_delete() {
    let broker = Broker::start();
    broker.create_topic("rest-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut overrides = vec![
        ("bootstrap.servers", broker.bootstrap()),
        (
            "offset.storage.file.filename",
            dir.path().join("offsets").display().to_string(),
        ),
        ("listeners", format!("http://127.0.0.1:{port}")),
    ];
    overrides.extend(
        TANSU_CONSUMER_SETTINGS
            .iter()
            .map(|(k, v)| (*k, v.to_string())),
    );
    let worker_props = sample_config_with("connect-standalone.properties", &overrides, dir.path());
    let mut w = Worker::start(&["standalone", worker_props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let base = format!("http://127.0.0.1:{port}");
    let http = Http::new();

    let (code, body) = http.get_json(&format!("{base}/"));
    assert_eq!(code, 200);
    assert!(
        body["version"].is_string() && body["kafka_cluster_id"].is_string(),
        "{body}"
    );
    assert_eq!(
        http.get_json(&format!("{base}/connectors")),
        (200, json!([]))
    );

    let input = dir.path().join("in.txt");
    append_lines(&input, 0..10);
    let req = json!({"name": "rest-src", "config": {"connector.class": "FileStreamSource", "tasks.max": "1", "file": input.display().to_string(), "topic": "rest-test"}});
    let (code, body) = http.post_json(&format!("{base}/connectors"), &req);
    assert_eq!(code, 201, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["name"], "rest-src");
    assert_eq!(body["type"], "source");
    assert_eq!(body["tasks"], json!([{"connector": "rest-src", "task": 0}]));

    let (code, body) = http.post_json(&format!("{base}/connectors"), &req);
    assert_eq!(code, 409, "duplicate create: {body}");

    let status = wait_for_status(
        &http,
        &format!("{base}/connectors/rest-src/status"),
        "RUNNING",
        Duration::from_secs(10),
    );
    assert_eq!(status["type"], "source");
    let records = broker.consume_all("rest-test", 10, Duration::from_secs(30));
    assert_eq!(records.len(), 10);

    // Topic tracking (KIP-558): the topic the task wrote to, a reset, and the topic
    // recorded again by the next record.
    let topics = format!("{base}/connectors/rest-src/topics");
    assert_eq!(
        http.get_json(&topics),
        (200, json!({"rest-src": {"topics": ["rest-test"]}}))
    );
    assert_eq!(
        http.get_json(&format!("{base}/connectors/nope/topics")),
        (200, json!({"nope": {"topics": []}})),
        "no existence check, as Java"
    );
    let (code, body) = http.put_empty(&format!("{topics}/reset"));
    assert_eq!((code, body.as_str()), (202, ""));
    assert_eq!(
        http.get_json(&topics),
        (200, json!({"rest-src": {"topics": []}}))
    );
    append_lines(&input, 10..11);
    broker.consume_all("rest-test", 11, Duration::from_secs(30));
    assert_eq!(
        http.get_json(&topics),
        (200, json!({"rest-src": {"topics": ["rest-test"]}}))
    );

    let (code, _) = http.delete(&format!("{base}/connectors/rest-src"));
    assert_eq!(code, 204);
    let (code, body) = http.get_json(&format!("{base}/connectors/rest-src/status"));
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["error_code"], 404);
    assert_eq!(
        http.get_json(&topics),
        (200, json!({"rest-src": {"topics": []}})),
        "deleting a connector forgets its topics"
    );
    // Deleted means stopped: new lines are no longer read.
    append_lines(&input, 11..20);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(broker.high_watermarks("rest-test"), 11);

    let (code, body) = http.get_json(&format!("{base}/connectors/nope"));
    assert_eq!(
        (code, body["message"].as_str()),
        (404, Some("Connector nope not found"))
    );
    let bad =
        json!({"name": "bad", "config": {"connector.class": "FileStreamSink", "file": "/tmp/x"}});
    let (code, body) = http.post_json(&format!("{base}/connectors"), &bad);
    assert_eq!(code, 400, "sink without topics is rejected: {body}");
    assert!(body.contains("topics"), "{body}");
    assert!(w.stop().success());
}

/// Waits for the worker to exit by itself.
fn exit_code(w: &mut Worker, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = w.try_exit_status() {
            return status.code();
        }
        if Instant::now() > deadline {
            panic!("worker did not exit within {timeout:?}\n{}", w.log_tail(40));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn cli_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.properties");
    let mut w = Worker::start(&["standalone", missing.to_str().unwrap()], &[]);
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(10)),
        Some(2),
        "missing worker file exits 2\n{}",
        w.log()
    );
    assert!(
        w.log().contains("nope.properties"),
        "error names the file:\n{}",
        w.log()
    );

    let mut w = Worker::start(&["standalone"], &[]);
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(10)),
        Some(1),
        "usage error exits 1"
    );
    assert!(w.log().contains("Usage"), "{}", w.log());
}

#[test]
fn unknown_connector_class_on_command_line_exits_3() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let worker_props = sample_config_with(
        "connect-standalone.properties",
        &[
            ("bootstrap.servers", broker.bootstrap()),
            (
                "offset.storage.file.filename",
                dir.path().join("offsets").display().to_string(),
            ),
            ("listeners", format!("http://127.0.0.1:{port}")),
        ],
        dir.path(),
    );
    let conn = dir.path().join("bad.properties");
    fs::write(
        &conn,
        "name=bad\nconnector.class=NoSuchConnector\ntopic=t\n",
    )
    .unwrap();
    let mut w = Worker::start(
        &[
            "standalone",
            worker_props.to_str().unwrap(),
            conn.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(30)),
        Some(3),
        "{}",
        w.log()
    );
    assert!(w.log().contains("NoSuchConnector"), "{}", w.log());
}

/// Starts a worker with no connectors on a fresh port; returns it and its base URL.
#[test]
fn topic_tracking_endpoints_answer_403_when_disabled() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let http = Http::new();
    let (mut w, base) = bare_worker_with(
        &broker,
        dir.path(),
        &[("topic.tracking.allow.reset", "false")],
    );
    let url = format!("{base}/connectors/c/topics");
    assert_eq!(http.get_json(&url), (200, json!({"c": {"topics": []}})));
    let (code, body) = http.put_empty(&format!("{url}/reset"));
    assert_eq!(code, 403);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"error_code": 403, "message": "Topic tracking reset is disabled."})
    );
    assert!(w.stop().success());

    let (mut w, base) =
        bare_worker_with(&broker, dir.path(), &[("topic.tracking.enable", "false")]);
    let url = format!("{base}/connectors/c/topics");
    for (code, body) in [http.get(&url), http.put_empty(&format!("{url}/reset"))] {
        assert_eq!(code, 403);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"error_code": 403, "message": "Topic tracking is disabled."})
        );
    }
    assert!(w.stop().success());
}

#[test]
fn config_providers_resolve_worker_and_connector_values() {
    let broker = Broker::start();
    broker.create_topic("cp-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let input = dir.path().join("in.txt");
    let secrets = dir.path().join("secrets.properties");
    fs::write(
        &secrets,
        format!(
            "listeners=http://127.0.0.1:{port}\ninput={}\n",
            input.display()
        ),
    )
    .unwrap();
    let s = secrets.display().to_string();
    let overrides = [
        ("bootstrap.servers", broker.bootstrap()),
        (
            "offset.storage.file.filename",
            dir.path().join("offsets").display().to_string(),
        ),
        ("config.providers", "file".to_string()),
        (
            "config.providers.file.class",
            "org.apache.kafka.common.config.provider.FileConfigProvider".to_string(),
        ),
        // The worker's own values resolve at start-up: it must listen on this port.
        ("listeners", format!("${{file:{s}:listeners}}")),
    ];
    let props = sample_config_with("connect-standalone.properties", &overrides, dir.path());
    let mut w = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let base = format!("http://127.0.0.1:{port}");
    let http = Http::new();

    append_lines(&input, 0..3);
    let reference = format!("${{file:{s}:input}}");
    let req = json!({"name": "cp", "config": {"connector.class": "FileStreamSource", "file": reference, "topic": "cp-test"}});
    let (code, body) = http.post_json(&format!("{base}/connectors"), &req);
    assert_eq!(code, 201, "{body}");
    let records = broker.consume_all("cp-test", 3, Duration::from_secs(30));
    assert_eq!(
        records.len(),
        3,
        "the task read the file the reference names"
    );
    // Stored and shown unresolved, task configs included.
    let (_, config) = http.get_json(&format!("{base}/connectors/cp/config"));
    assert_eq!(config["file"], json!(reference));
    let (_, tasks) = http.get_json(&format!("{base}/connectors/cp/tasks"));
    assert_eq!(tasks[0]["config"]["file"], json!(reference), "{tasks}");

    let bad = json!({"name": "bad", "config": {"connector.class": "FileStreamSource", "file": "${file:/no/such/secrets:input}", "topic": "cp-test"}});
    let (code, body) = http.post_json(&format!("{base}/connectors"), &bad);
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("/no/such/secrets"), "{body}");
    assert!(w.stop().success());
}

fn bare_worker(broker: &Broker, dir: &Path) -> (Worker, String) {
    bare_worker_with(broker, dir, &[])
}

/// A worker with no connectors and the sample config plus `extra` settings.
fn bare_worker_with(broker: &Broker, dir: &Path, extra: &[(&str, &str)]) -> (Worker, String) {
    let port = free_port();
    let mut overrides = vec![
        ("bootstrap.servers", broker.bootstrap()),
        (
            "offset.storage.file.filename",
            dir.join("offsets").display().to_string(),
        ),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("offset.flush.interval.ms", "1000".to_string()),
    ];
    overrides.extend(
        TANSU_CONSUMER_SETTINGS
            .iter()
            .chain(extra)
            .map(|(k, v)| (*k, v.to_string())),
    );
    let worker_props = sample_config_with("connect-standalone.properties", &overrides, dir);
    let mut w = Worker::start(&["standalone", worker_props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    (w, format!("http://127.0.0.1:{port}"))
}

#[test]
fn pause_resume_and_restart_through_rest() {
    let broker = Broker::start();
    broker.create_topic("pr-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut w, base) = bare_worker(&broker, dir.path());
    let http = Http::new();
    let input = dir.path().join("in.txt");
    append_lines(&input, 0..5);
    let req = json!({"name": "pr", "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": input.display().to_string(), "topic": "pr-test"}});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &req).0, 201);
    broker.consume_all("pr-test", 5, Duration::from_secs(30));

    let (code, body) = http.put_empty(&format!("{base}/connectors/pr/pause"));
    assert_eq!((code, body.as_str()), (202, ""));
    wait_for_status(
        &http,
        &format!("{base}/connectors/pr/status"),
        "PAUSED",
        Duration::from_secs(10),
    );
    append_lines(&input, 5..10);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        broker.high_watermarks("pr-test"),
        5,
        "a paused source reads nothing"
    );

    assert_eq!(
        http.put_empty(&format!("{base}/connectors/pr/resume")).0,
        202
    );
    wait_for_status(
        &http,
        &format!("{base}/connectors/pr/status"),
        "RUNNING",
        Duration::from_secs(10),
    );
    broker.consume_all("pr-test", 10, Duration::from_secs(30));

    let (code, body) = http.post_empty(&format!("{base}/connectors/pr/restart?includeTasks=true"));
    assert_eq!(code, 202, "{body}");
    let plan: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(plan["connector"]["state"], "RESTARTING");
    assert_eq!(plan["tasks"][0]["state"], "RESTARTING");
    wait_for_status(
        &http,
        &format!("{base}/connectors/pr/status"),
        "RUNNING",
        Duration::from_secs(10),
    );
    append_lines(&input, 10..12);
    let records = broker.consume_all("pr-test", 12, Duration::from_secs(30));
    assert_eq!(
        records.len(),
        12,
        "restart resumes from the committed offset without duplicates"
    );

    assert_eq!(
        http.post_empty(&format!("{base}/connectors/pr/tasks/0/restart"))
            .0,
        204
    );
    assert_eq!(
        http.post_empty(&format!("{base}/connectors/pr/tasks/9/restart"))
            .0,
        404
    );

    let (code, tasks) = http.get_json(&format!("{base}/connectors/pr/tasks-config"));
    assert_eq!(code, 200, "{tasks}");
    assert_eq!(tasks["pr-0"]["topic"], "pr-test", "{tasks}");
    assert_eq!(http.put_empty(&format!("{base}/connectors/pr/stop")).0, 204);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, st) = http.get_json(&format!("{base}/connectors/pr/status"));
        if st["connector"]["state"] == "STOPPED" && st["tasks"] == json!([]) {
            break;
        }
        assert!(Instant::now() < deadline, "never STOPPED: {st}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        http.get_json(&format!("{base}/connectors/pr/tasks")),
        (200, json!([]))
    );
    // Java's standalone herder answers a connector without tasks as not found here.
    assert_eq!(
        http.get_json(&format!("{base}/connectors/pr/tasks-config")),
        (
            404,
            json!({"error_code": 404, "message": "Connector pr not found"})
        )
    );
    assert!(w.stop().success());
}

#[test]
fn failing_task_is_failed_with_trace_and_worker_keeps_running() {
    let broker = Broker::start();
    broker.create_topic("fail-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut w, base) = bare_worker(&broker, dir.path());
    let http = Http::new();
    let bad_file = dir.path().join("no-such-dir").join("out.txt");
    let req = json!({"name": "bad-sink", "config": {"connector.class": "FileStreamSink", "file": bad_file.display().to_string(), "topics": "fail-test"}});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &req).0, 201);
    let deadline = Instant::now() + Duration::from_secs(20);
    let task = loop {
        let (_, body) = http.get_json(&format!("{base}/connectors/bad-sink/status"));
        if body["tasks"][0]["state"] == "FAILED" {
            break body["tasks"][0].clone();
        }
        assert!(Instant::now() < deadline, "task never FAILED: {body}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let trace = task["trace"].as_str().expect("a FAILED task has a trace");
    assert!(
        trace.contains("no-such-dir"),
        "the trace names the file: {trace}"
    );

    // The worker is unaffected: another connector runs.
    let input = dir.path().join("in.txt");
    append_lines(&input, 0..3);
    let ok = json!({"name": "good-src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": "fail-test"}});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &ok).0, 201);
    wait_for_status(
        &http,
        &format!("{base}/connectors/good-src/status"),
        "RUNNING",
        Duration::from_secs(10),
    );
    broker.consume_all("fail-test", 3, Duration::from_secs(30));
    let (code, list) = http.get_json(&format!("{base}/connectors?expand=status"));
    assert_eq!(code, 200);
    assert_eq!(list["bad-sink"]["status"]["tasks"][0]["state"], "FAILED");
    assert_eq!(list["good-src"]["status"]["connector"]["state"], "RUNNING");
    assert!(w.stop().success());
}

/// A connector that has no tasks yet (created PAUSED, or STOPPED then PAUSED) gets them when
/// it is resumed, as Java's herder requests a task reconfiguration when a connector reaches
/// STARTED; it used to stay RUNNING with `"tasks": []`.
#[test]
fn resuming_a_connector_without_tasks_starts_its_tasks() {
    let broker = Broker::start();
    broker.create_topic("resume-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut w, base) = bare_worker(&broker, dir.path());
    let http = Http::new();
    let input = dir.path().join("in.txt");
    append_lines(&input, 0..3);
    let config = json!({"connector.class": "FileStreamSource",
        "file": input.display().to_string(), "topic": "resume-test"});
    let req = json!({"name": "p", "config": config, "initial_state": "PAUSED"});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &req).0, 201);
    let status = format!("{base}/connectors/p/status");
    let (_, body) = http.get_json(&status);
    assert_eq!(body["connector"]["state"], "PAUSED", "{body}");
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/p/resume")).0,
        202
    );
    wait_for_status(&http, &status, "RUNNING", Duration::from_secs(15));
    broker.consume_all("resume-test", 3, Duration::from_secs(30));

    // Stopped (tasks removed), then paused, then resumed.
    assert_eq!(http.put_empty(&format!("{base}/connectors/p/stop")).0, 204);
    assert_eq!(http.put_empty(&format!("{base}/connectors/p/pause")).0, 202);
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/p/resume")).0,
        202
    );
    wait_for_status(&http, &status, "RUNNING", Duration::from_secs(15));
    append_lines(&input, 3..5);
    broker.consume_all("resume-test", 5, Duration::from_secs(30));
    assert!(w.stop().success());
}
