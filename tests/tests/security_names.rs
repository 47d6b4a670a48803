//! End-to-end tests of the connector-name rule through the real binary: names over 255 bytes
//! are refused everywhere a connector is created, and a distributed group whose config topic
//! holds a record with a 40,000-byte name (as a Java worker, which has no limit, would write
//! it) keeps working instead of failing every rebalance.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test security_names`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{
    distributed_worker_settings, free_port, repo_root, unique_name, Broker, Http, Worker,
};
use serde_json::{json, Value};

const TOO_LONG_40000: &str = "Connector name is too long: 40000 bytes, the limit is 255";

/// A sample file from `config/` with `overrides` appended (later keys win in `.properties`).
fn sample_plus(sample: &str, overrides: &[(&str, String)], path: &Path) -> PathBuf {
    let mut text = fs::read_to_string(repo_root().join("config").join(sample)).unwrap();
    text.push('\n');
    for (k, v) in overrides {
        text.push_str(&format!("{k}={v}\n"));
    }
    fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn standalone_props(dir: &Path, broker: &Broker, port: u16) -> PathBuf {
    sample_plus(
        "connect-standalone.properties",
        &[
            ("bootstrap.servers", broker.bootstrap()),
            (
                "offset.storage.file.filename",
                dir.join("offsets").display().to_string(),
            ),
            ("listeners", format!("http://127.0.0.1:{port}")),
            ("consumer.session.timeout.ms", "6000".into()),
        ],
        &dir.join("worker.properties"),
    )
}

fn source_config(name: &str, file: &Path, topic: &str) -> Value {
    json!({
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": file.display().to_string(),
        "topic": topic,
        "name": name,
    })
}

/// `(status, error message)` of a JSON error answer.
fn error_message(answer: (u16, String)) -> (u16, String) {
    let (code, body) = answer;
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(v["error_code"], json!(code), "{body}");
    (code, v["message"].as_str().unwrap_or_default().to_string())
}

/// Waits for the worker to exit by itself; its exit code.
fn exit_code(w: &mut Worker, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = w.try_exit_status() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "worker did not exit within {timeout:?}\n{}",
            w.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn standalone_rest_refuses_names_over_255_bytes() {
    let broker = Broker::start();
    let topic = unique_name("names");
    broker.create_topic(&topic, 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    fs::write(&input, "").unwrap();
    let port = free_port();
    let props = standalone_props(dir.path(), &broker, port);
    let mut w = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let base = format!("http://127.0.0.1:{port}");
    let http = Http::new();

    let long = "x".repeat(40_000);
    let (code, message) = error_message(http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": long, "config": source_config(&long, &input, &topic)}),
    ));
    assert_eq!((code, message.as_str()), (400, TOO_LONG_40000));
    // Without `name` in the config (it is taken from the request) and through PUT alike.
    let (code, message) = error_message(http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": long, "config": {"connector.class": "FileStreamSource", "topic": topic}}),
    ));
    assert_eq!((code, message.as_str()), (400, TOO_LONG_40000));
    let (code, message) = error_message(http.put_json(
        &format!("{base}/connectors/{long}/config"),
        &source_config(&long, &input, &topic),
    ));
    assert_eq!((code, message.as_str()), (400, TOO_LONG_40000));

    // The limit is in UTF-8 bytes: 256 bytes refused, 255 accepted.
    let n256 = "n".repeat(256);
    let (code, message) = error_message(http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": n256, "config": source_config(&n256, &input, &topic)}),
    ));
    assert_eq!(
        (code, message.as_str()),
        (
            400,
            "Connector name is too long: 256 bytes, the limit is 255"
        )
    );
    let euro86 = "€".repeat(86);
    let (code, message) = error_message(http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": euro86, "config": source_config(&euro86, &input, &topic)}),
    ));
    assert_eq!(
        (code, message.as_str()),
        (
            400,
            "Connector name is too long: 258 bytes, the limit is 255"
        )
    );
    let n255 = "n".repeat(255);
    let (code, body) = http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": n255, "config": source_config(&n255, &input, &topic)}),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        http.get_json(&format!("{base}/connectors")),
        (200, json!([n255]))
    );

    // Java's own checks keep Java's aggregated validation answer.
    let (code, message) = error_message(http.post_json(
        &format!("{base}/connectors"),
        &json!({"name": "", "config": {"connector.class": "FileStreamSource", "topic": topic}}),
    ));
    assert_eq!(
        (code, message.as_str()),
        (
            400,
            "Connector configuration is invalid and contains the following 1 error(s):\n\
             Invalid value  for configuration name: String may not be empty\n\
             You can also find the above list of errors at the endpoint \
             `/connector-plugins/{connectorType}/config/validate`"
        )
    );

    // Validation predicts the refusal, showing the value shortened.
    let (code, body) = http.put_json(
        &format!("{base}/connector-plugins/FileStreamSource/config/validate"),
        &source_config(&long, &input, &topic),
    );
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error_count"], json!(1), "{v}");
    let name_errors = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "name")
        .map(|c| c["value"]["errors"].clone())
        .unwrap();
    assert_eq!(
        name_errors,
        json!([format!(
            "Invalid value {}...(40000 bytes) for configuration name: {TOO_LONG_40000}",
            "x".repeat(64)
        )])
    );
    assert!(w.stop().success());
}

#[test]
fn standalone_exits_on_a_connector_file_with_a_name_over_255_bytes() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let props = standalone_props(dir.path(), &broker, port);
    let conn = dir.path().join("long-name.properties");
    fs::write(
        &conn,
        format!(
            "name={}\nconnector.class=FileStreamSource\nfile=/dev/null\ntopic=t\n",
            "x".repeat(40_000)
        ),
    )
    .unwrap();
    let mut w = Worker::start(
        &[
            "standalone",
            props.to_str().unwrap(),
            conn.to_str().unwrap(),
        ],
        &[],
    );
    // Java's exit code for a connector that cannot be created.
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(30)),
        Some(3),
        "{}",
        w.log_tail(20)
    );
    let log = w.log();
    let expected = format!(
        "Connector configuration at '{}' has an invalid 'name' ({}...(40000 bytes)): {TOO_LONG_40000}",
        conn.display(),
        "x".repeat(64)
    );
    assert!(log.contains(&expected), "{log}");
    assert!(
        !log.contains(&"x".repeat(1000)),
        "the name is shown shortened"
    );
}

// ---- distributed --------------------------------------------------------------------------

/// The fast-failover settings of docs/distributed.md plus tansu's short consumer sessions.
fn distributed_props(dir: &Path, broker: &Broker, group: &str, port: u16) -> PathBuf {
    sample_plus(
        "connect-distributed.properties",
        &distributed_worker_settings(broker, group, port),
        &dir.join(format!("worker-{port}.properties")),
    )
}

fn start_distributed(props: &Path, port: u16) -> Worker {
    let mut w = Worker::start(&["distributed", props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    w
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

/// Waits until `GET /health` answers 200 (the worker completed a join of the group).
fn wait_healthy(http: &Http, port: u16, w: &Worker, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let (code, body) = http.get(&url(port, "/health"));
        if code == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "worker {port} not healthy within {timeout:?}: {code} {body}\n{}",
            w.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until `name` and all its tasks are RUNNING, as seen from `port`.
fn wait_running(http: &Http, port: u16, name: &str, workers: &[&Worker], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let (code, body) = http.get_json(&url(port, &format!("/connectors/{name}/status")));
        let tasks = body["tasks"].as_array().cloned().unwrap_or_default();
        if code == 200
            && body["connector"]["state"] == "RUNNING"
            && !tasks.is_empty()
            && tasks.iter().all(|t| t["state"] == "RUNNING")
        {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = workers.iter().map(|w| w.log_tail(30)).collect();
            panic!(
                "{name} not RUNNING within {timeout:?}: {code} {body}\n{}",
                logs.join("\n----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn distributed_group_survives_a_config_record_with_a_40000_byte_name() {
    let broker = Broker::start();
    let topic = unique_name("names-dist");
    broker.create_topic(&topic, 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let group = unique_name("connect-names");
    let input = dir.path().join("in.txt");
    fs::write(&input, "one\ntwo\n").unwrap();
    let http = Http::new();

    let (pa, pb) = (free_port(), free_port());
    let props_a = distributed_props(dir.path(), &broker, &group, pa);
    let props_b = distributed_props(dir.path(), &broker, &group, pb);
    let a = start_distributed(&props_a, pa);
    let mut b = start_distributed(&props_b, pb);
    wait_healthy(&http, pa, &a, Duration::from_secs(60));
    wait_healthy(&http, pb, &b, Duration::from_secs(60));

    // Refused with 400 by whichever worker gets it, before anything is written.
    let long = "x".repeat(40_000);
    for port in [pa, pb] {
        let (code, message) = error_message(http.post_json(
            &url(port, "/connectors"),
            &json!({"name": long, "config": source_config(&long, &input, &topic)}),
        ));
        assert_eq!((code, message.as_str()), (400, TOO_LONG_40000));
    }
    let (code, message) = error_message(http.put_json(
        &url(pb, &format!("/connectors/{long}/config")),
        &source_config(&long, &input, &topic),
    ));
    assert_eq!((code, message.as_str()), (400, TOO_LONG_40000));

    // What a Java worker writes for such a connector: `connector-<name>` with
    // `{"properties":{...}}` (JsonConverter, schemas disabled), in the config topic.
    let config_topic = format!("{group}-configs");
    let key = format!("connector-{long}");
    let value = json!({ "properties": source_config(&long, &input, &topic) }).to_string();
    broker.produce(
        &config_topic,
        &[(Some(key.as_bytes()), Some(value.as_bytes()))],
    );
    for w in [&a, &b] {
        w.wait_for_log(
            "skipping this connector's config record: Connector name is too long: 40000 bytes",
            Duration::from_secs(30),
        );
    }

    // The group keeps working: a connector is created, rebalanced in and runs.
    let (code, body) = http.post_json(
        &url(pb, "/connectors"),
        &json!({"name": "ok-src", "config": source_config("ok-src", &input, &topic)}),
    );
    assert_eq!(code, 201, "{body}");
    wait_running(&http, pa, "ok-src", &[&a, &b], Duration::from_secs(60));
    for port in [pa, pb] {
        assert_eq!(
            http.get_json(&url(port, "/connectors")),
            (200, json!(["ok-src"]))
        );
    }
    broker.consume_all(&topic, 2, Duration::from_secs(30));

    // A restarted worker rejoins and serves REST, the record still in the topic.
    assert!(b.stop().success());
    let b = start_distributed(&props_b, pb);
    wait_healthy(&http, pb, &b, Duration::from_secs(60));
    assert_eq!(
        http.get_json(&url(pb, "/connectors")),
        (200, json!(["ok-src"]))
    );
    wait_running(&http, pb, "ok-src", &[&a, &b], Duration::from_secs(60));
    b.wait_for_log(
        "skipping this connector's config record",
        Duration::from_secs(5),
    );

    // Deleted through the restarted worker (forwarded to the leader if need be).
    let (code, body) = http.delete(&url(pb, "/connectors/ok-src"));
    assert_eq!(code, 204, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get_json(&url(pa, "/connectors")) != (200, json!([])) {
        assert!(Instant::now() < deadline, "ok-src never went away");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The skipped record itself can be removed: its key gets a tombstone.
    let (code, body) = http.delete(&url(pa, &format!("/connectors/{long}")));
    assert_eq!(code, 204, "{body}");
    let records = broker.consume_available(&config_topic, usize::MAX, Duration::from_secs(5));
    let last = records
        .iter()
        .rev()
        .find(|r| r.0.as_deref() == Some(key.as_bytes()))
        .expect("the connector record");
    assert_eq!(last.1, None, "a tombstone for connector-<name>");
    let (code, _) = http.delete(&url(pa, &format!("/connectors/{long}")));
    assert_eq!(code, 404, "gone once removed");

    // The worker's own lines show the name shortened; only the access log repeats request
    // paths as they came.
    for w in [&a, &b] {
        let full: Vec<String> = w
            .log()
            .lines()
            .filter(|l| l.contains(&"x".repeat(1000)) && !l.contains("rconnect_rest::request"))
            .map(|l| l.chars().take(160).collect())
            .collect();
        assert!(full.is_empty(), "lines with the whole name: {full:?}");
    }
}
