//! `/admin/loggers` changes what a running worker logs (Java's `LoggingResource`, KIP-495):
//! the level set through REST is applied to the tracing filter at once.

use std::time::Duration;

use rconnect_tests::{free_port, Broker, Http, Worker};

/// A standalone worker's properties in `dir`, listening on a free port.
fn worker_properties(broker: &Broker, dir: &std::path::Path) -> (std::path::PathBuf, u16) {
    let port = free_port();
    let props = dir.join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             offset.storage.file.filename={}/offsets\nlisteners=http://127.0.0.1:{port}\n",
            broker.bootstrap(),
            dir.display()
        ),
    )
    .expect("write worker.properties");
    (props, port)
}

fn request_lines(w: &Worker) -> usize {
    w.log()
        .lines()
        .filter(|l| l.contains("rconnect_rest::request") && l.contains("\"GET /connectors\""))
        .count()
}

#[test]
fn log_levels_change_at_run_time() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (props, port) = worker_properties(&broker, dir.path());
    let mut w = Worker::start(
        &["standalone", props.to_str().unwrap()],
        &[("RUST_LOG", "info")],
    );
    w.wait_for_rest(port, Duration::from_secs(60));
    let http = Http::new();
    let base = format!("http://127.0.0.1:{port}");

    let (status, levels) = http.get_json(&format!("{base}/admin/loggers"));
    assert_eq!(status, 200);
    assert_eq!(levels["root"]["level"], "INFO");

    http.get(&format!("{base}/connectors"));
    let before = request_lines(&w);
    assert!(
        before >= 1,
        "request lines are logged at INFO:\n{}",
        w.log_tail(20)
    );

    let (status, body) = http.put_json(
        &format!("{base}/admin/loggers/rconnect_rest::request"),
        &serde_json::json!({"level": "WARN"}),
    );
    assert_eq!(
        (status, body.as_str()),
        (200, r#"["rconnect_rest::request"]"#)
    );
    http.get(&format!("{base}/connectors"));
    http.get(&format!("{base}/connectors"));
    assert_eq!(
        request_lines(&w),
        before,
        "WARN hides the INFO request lines"
    );

    // Setting the parent sets its children too (Java's prefix rule).
    let (status, _) = http.put_json(
        &format!("{base}/admin/loggers/rconnect_rest?scope=cluster"),
        &serde_json::json!({"level": "DEBUG"}),
    );
    assert_eq!(status, 204);
    http.get(&format!("{base}/connectors"));
    assert_eq!(request_lines(&w), before + 1, "DEBUG shows them again");
    let (_, level) = http.get_json(&format!("{base}/admin/loggers/rconnect_rest::request"));
    assert_eq!(level["level"], "DEBUG");
    w.stop();
}

#[test]
fn json_log_format_writes_one_object_per_line_filtered_by_rconnect_log() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (props, port) = worker_properties(&broker, dir.path());
    let mut w = Worker::start(
        &["standalone", props.to_str().unwrap()],
        &[
            ("RCONNECT_LOG", "info"),
            ("RUST_LOG", "error"),
            ("RCONNECT_LOG_FORMAT", "json"),
        ],
    );
    w.wait_for_rest(port, Duration::from_secs(60));
    let http = Http::new();
    http.get(&format!("http://127.0.0.1:{port}/connectors"));
    w.wait_for_log("GET /connectors", Duration::from_secs(10));
    let log = w.log();
    let objects: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    // RCONNECT_LOG (info) wins over RUST_LOG (error): the INFO request line is there.
    let request = objects
        .iter()
        .find(|o| o["target"] == "rconnect_rest::request")
        .unwrap_or_else(|| panic!("no request line:\n{log}"));
    assert_eq!(request["level"], "INFO");
    assert!(request["timestamp"].is_string(), "{request}");
    assert!(
        objects.iter().all(|o| o["level"].is_string()),
        "every line has a level"
    );
    assert!(w.stop().success());
}
