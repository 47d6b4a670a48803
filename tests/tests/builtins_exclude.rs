//! End-to-end tests of `rconnect.builtin.connectors.exclude`: built-in connectors a
//! deployment disables are gone from the REST API and cannot be created; a name that is no
//! built-in connector stops the worker at start-up.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test builtins_exclude`.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, Broker, Http, Worker};
use serde_json::json;

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

/// A standalone worker file for `bootstrap`, REST on `port`, plus `extra` lines.
fn worker_file(dir: &Path, bootstrap: &str, port: u16, extra: &str) -> String {
    let path = dir.join("worker.properties");
    fs::write(
        &path,
        format!(
            "bootstrap.servers={bootstrap}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\n\
             listeners=http://127.0.0.1:{port}\n\
             consumer.session.timeout.ms=6000\n\
             {extra}\n",
            dir.join("offsets").display()
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn plugin_classes(http: &Http, base: &str) -> Vec<String> {
    let (code, body) = http.get_json(&format!("{base}/connector-plugins"));
    assert_eq!(code, 200, "{body}");
    body.as_array()
        .expect("a JSON array of plugins")
        .iter()
        .map(|p| p["class"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits for the worker to exit by itself; its exit code.
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
fn excluded_connector_is_not_offered_and_cannot_be_created() {
    let broker = Broker::start();
    broker.create_topic("exclude-test", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let worker = worker_file(
        dir.path(),
        &broker.bootstrap(),
        port,
        "rconnect.builtin.connectors.exclude=FileStreamSource",
    );
    let mut w = Worker::start(&["standalone", &worker], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    let base = format!("http://127.0.0.1:{port}");
    let http = Http::new();

    let classes = plugin_classes(&http, &base);
    assert!(!classes.iter().any(|c| c == SOURCE), "{classes:?}");
    assert!(classes.iter().any(|c| c == SINK), "{classes:?}");

    // Creating the excluded connector answers exactly as a class nobody has ever heard of.
    let create = |class: &str| {
        let req = json!({"name": "excluded", "config": {
            "connector.class": class,
            "file": dir.path().join("in.txt").display().to_string(),
            "topic": "exclude-test"}});
        http.post_json(&format!("{base}/connectors"), &req)
    };
    let (code, body) = create("FileStreamSource");
    let (unknown_code, unknown_body) = create("NoSuchConnector");
    assert!(code >= 400, "{code} {body}");
    assert_eq!(
        (code, body.clone()),
        (
            unknown_code,
            unknown_body.replace("NoSuchConnector", "FileStreamSource")
        )
    );
    assert!(body.contains("FileStreamSource"), "{body}");
    let (code, _) = create(SOURCE);
    assert_eq!(code, unknown_code);
    let validate = |class: &str| {
        let config =
            json!({"connector.class": class, "name": "v", "topic": "t", "file": "/dev/null"});
        http.put_json(
            &format!("{base}/connector-plugins/{class}/config/validate"),
            &config,
        )
    };
    let (code, body) = validate("FileStreamSource");
    let (unknown_code, unknown_body) = validate("NoSuchConnector");
    assert!(code >= 400, "{code} {body}");
    assert_eq!(
        (code, body),
        (
            unknown_code,
            unknown_body.replace("NoSuchConnector", "FileStreamSource")
        )
    );
    let (code, body) = http.get_json(&format!("{base}/connectors"));
    assert_eq!((code, body), (200, json!([])));
    // What is not excluded still works.
    let sink = json!({"name": "kept", "config": {
        "connector.class": "FileStreamSink",
        "file": dir.path().join("out.txt").display().to_string(),
        "topics": "exclude-test"}});
    let (code, body) = http.post_json(&format!("{base}/connectors"), &sink);
    assert_eq!(code, 201, "{body}");
    assert!(w.stop().success());
}

#[test]
fn excluded_connector_in_a_connector_file_fails_start_like_an_unknown_class() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let worker = worker_file(
        dir.path(),
        &broker.bootstrap(),
        free_port(),
        &format!("rconnect.builtin.connectors.exclude={SOURCE}, FileStreamSink"),
    );
    let conn = dir.path().join("source.properties");
    fs::write(
        &conn,
        "name=src\nconnector.class=FileStreamSource\ntopic=t\nfile=/dev/null\n",
    )
    .unwrap();
    let mut w = Worker::start(&["standalone", &worker, conn.to_str().unwrap()], &[]);
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(30)),
        Some(3),
        "{}",
        w.log()
    );
    assert!(w.log().contains("FileStreamSource"), "{}", w.log());
}

#[test]
fn unknown_excluded_name_stops_the_worker_at_start() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: the name is checked before the worker contacts Kafka.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let worker = worker_file(
        dir.path(),
        &nowhere,
        free_port(),
        "rconnect.builtin.connectors.exclude=FileStreamSink,FileStreamSorce",
    );
    let mut w = Worker::start(&["standalone", &worker], &[]);
    // 2 as every invalid worker config (Java `AbstractConnectCli`: "Stopping due to error").
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(10)),
        Some(2),
        "{}",
        w.log()
    );
    let log = w.log();
    assert!(
        log.contains(
            "Invalid value FileStreamSorce for configuration rconnect.builtin.connectors.exclude: \
             no built-in connector has this class name or alias"
        ),
        "{log}"
    );
    assert!(log.contains(&worker), "names the worker file: {log}");
    assert!(!log.contains("cannot reach the Kafka cluster"), "{log}");

    // Distributed workers check it the same way.
    let distributed = dir.path().join("distributed.properties");
    fs::write(
        &distributed,
        format!(
            "{}group.id=g\nconfig.storage.topic=c\noffset.storage.topic=o\nstatus.storage.topic=s\n",
            fs::read_to_string(&worker).unwrap()
        ),
    )
    .unwrap();
    let mut w = Worker::start(&["distributed", distributed.to_str().unwrap()], &[]);
    assert_eq!(
        exit_code(&mut w, Duration::from_secs(10)),
        Some(2),
        "{}",
        w.log()
    );
    assert!(
        w.log().contains(
            "Invalid value FileStreamSorce for configuration rconnect.builtin.connectors.exclude"
        ),
        "{}",
        w.log()
    );
}
