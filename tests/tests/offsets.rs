//! End-to-end tests of the offsets REST API (KIP-875) on `rconnect standalone`: reading,
//! altering and resetting the offsets of a FileStreamSource (offsets file) and of a
//! FileStreamSink (its consumer group) on a real tansu broker.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, repo_root, Broker, Http, KeyValue, Worker};
use serde_json::{json, Value};

const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";

/// A standalone worker with no connectors, committing offsets every 500 ms, with tansu's
/// short consumer session timeout; returns it and its base URL.
fn worker(broker: &Broker, dir: &Path) -> (Worker, String) {
    let port = free_port();
    let sample = fs::read_to_string(repo_root().join("config/connect-standalone.properties"))
        .expect("sample worker config");
    let mut text: String = sample
        .lines()
        .filter(|l| {
            !l.starts_with("bootstrap.servers=")
                && !l.starts_with("offset.storage.file.filename=")
                && !l.starts_with("offset.flush.interval.ms=")
                && !l.starts_with("listeners=")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    for (k, v) in [
        ("bootstrap.servers", broker.bootstrap()),
        (
            "offset.storage.file.filename",
            dir.join("connect.offsets").display().to_string(),
        ),
        ("offset.flush.interval.ms", "500".into()),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("consumer.session.timeout.ms", "6000".into()),
    ] {
        text.push_str(&format!("{k}={v}\n"));
    }
    let props = dir.join("worker.properties");
    fs::write(&props, text).unwrap();
    let mut w = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(30));
    (w, format!("http://127.0.0.1:{port}"))
}

fn not_stopped(name: &str) -> Value {
    json!({"error_code": 400, "message": format!(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can \
         be done for the specified connector by issuing a 'PUT' request to the \
         '/connectors/{name}/stop' endpoint"
    )})
}

fn message(kind: &str) -> Value {
    json!({"message": format!("The offsets for this connector have been {kind} successfully")})
}

/// A response with its body parsed.
fn as_json_pair((code, body): (u16, String)) -> (u16, Value) {
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{code} {body:?}: {e}"));
    (code, v)
}

/// Polls `GET …/offsets` until it answers `want`.
fn wait_for_offsets(http: &Http, url: &str, want: &Value, w: &Worker) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = http.get_json(url);
        if code == 200 && body == *want {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "offsets never became {want}: {code} {body}\n{}",
                w.log_tail(40)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn values(records: &[rconnect_tests::ConsumedRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(r.1.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

/// The lines of `path` once it holds at least `n`.
fn wait_for_lines(path: &Path, n: usize, w: &Worker) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines: Vec<String> = fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() >= n {
            return lines;
        }
        if Instant::now() > deadline {
            panic!(
                "{} has {} of {n} lines\n{}",
                path.display(),
                lines.len(),
                w.log_tail(40)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn source_offsets_are_altered_and_reset_while_stopped() {
    let broker = Broker::start();
    broker.create_topic("offsets-src", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut w, base) = worker(&broker, dir.path());
    let http = Http::new();
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..5).map(|i| format!("line {i}")).collect();
    let mut f = fs::File::create(&input).unwrap();
    for l in &lines {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let file = input.display().to_string();
    let req = json!({"name": "src", "config": {
        "connector.class": "FileStreamSource", "file": file, "topic": "offsets-src",
        "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER}});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &req).0, 201);
    let records = broker.consume_all("offsets-src", 5, Duration::from_secs(30));
    assert_eq!(values(&records), lines);

    let offsets_url = format!("{base}/connectors/src/offsets");
    let at = |position: i64| json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": position}}]});
    // Every line is 7 bytes long.
    wait_for_offsets(&http, &offsets_url, &at(35), &w);

    let rewind = at(14);
    assert_eq!(
        as_json_pair(http.patch_json(&offsets_url, &rewind)),
        (400, not_stopped("src"))
    );
    assert_eq!(
        as_json_pair(http.delete(&offsets_url)),
        (400, not_stopped("src"))
    );
    assert_eq!(
        as_json_pair(http.patch_json(&format!("{base}/connectors/nope/offsets"), &rewind)),
        (
            404,
            json!({"error_code": 404, "message": "Connector nope not found"})
        )
    );

    assert_eq!(
        http.put_empty(&format!("{base}/connectors/src/stop")).0,
        204
    );
    // FileStreamSourceConnector#alterOffsets refuses what its task could not resume from,
    // and nothing is written.
    let refused = |offsets: Value, why: &str| {
        assert_eq!(
            as_json_pair(http.patch_json(&offsets_url, &json!({"offsets": [offsets]}))),
            (500, json!({"error_code": 500, "message": why})),
            "{offsets}"
        );
    };
    refused(
        json!({"offset": {"position": 1}}),
        "Partition objects cannot be null",
    );
    refused(
        json!({"partition": {"filename": file}, "offset": {"position": "abc"}}),
        "The value for the 'position' key in the offset is expected to be a Long value",
    );
    refused(
        json!({"partition": {"filename": file}, "offset": {"position": -5}}),
        "The value for the 'position' key in the offset should be a non-negative value",
    );
    refused(
        json!({"partition": {"filename": file}, "offset": {}}),
        "Offset objects should either be null or contain the key 'position'",
    );
    refused(
        json!({"partition": {"file": file}, "offset": {"position": 1}}),
        "Partition objects should contain the key 'filename'",
    );
    assert_eq!(http.get_json(&offsets_url), (200, at(35)));
    assert_eq!(
        as_json_pair(http.patch_json(&offsets_url, &rewind)),
        (200, message("altered"))
    );
    assert_eq!(http.get_json(&offsets_url), (200, at(14)));
    // Resumed, the task starts from the altered position: lines 2 to 4 again.
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/src/resume")).0,
        202
    );
    let records = broker.consume_all("offsets-src", 8, Duration::from_secs(30));
    assert_eq!(values(&records[5..]), lines[2..]);
    wait_for_offsets(&http, &offsets_url, &at(35), &w);

    // Reset: no offsets at all, and the file is read from its start.
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/src/stop")).0,
        204
    );
    assert_eq!(
        as_json_pair(http.delete(&offsets_url)),
        (200, message("reset"))
    );
    assert_eq!(http.get_json(&offsets_url), (200, json!({"offsets": []})));
    assert_eq!(
        as_json_pair(http.delete(&offsets_url)),
        (200, message("reset")),
        "resetting again is no error"
    );
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/src/resume")).0,
        202
    );
    let records = broker.consume_all("offsets-src", 13, Duration::from_secs(30));
    assert_eq!(values(&records[8..]), lines);
    wait_for_offsets(&http, &offsets_url, &at(35), &w);
    assert!(w.stop().success());
}

#[test]
fn sink_offsets_are_the_consumer_groups() {
    let broker = Broker::start();
    broker.create_topic("offsets-sink", 1, &[]);
    let values: Vec<String> = (0..5).map(|i| format!("v{i}")).collect();
    let records: Vec<KeyValue<'_>> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
    broker.produce("offsets-sink", &records);
    let dir = tempfile::tempdir().unwrap();
    let (mut w, base) = worker(&broker, dir.path());
    let http = Http::new();
    let out = dir.path().join("out.txt");
    let req = json!({"name": "snk", "config": {
        "connector.class": "FileStreamSink", "file": out.display().to_string(),
        "topics": "offsets-sink",
        "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER}});
    assert_eq!(http.post_json(&format!("{base}/connectors"), &req).0, 201);
    assert_eq!(wait_for_lines(&out, 5, &w), values);

    let offsets_url = format!("{base}/connectors/snk/offsets");
    let at = |offset: Value| {
        json!({"offsets": [{
            "partition": {"kafka_topic": "offsets-sink", "kafka_partition": 0},
            "offset": offset}]})
    };
    wait_for_offsets(&http, &offsets_url, &at(json!({"kafka_offset": 5})), &w);
    assert_eq!(
        as_json_pair(http.patch_json(&offsets_url, &at(json!({"kafka_offset": 2})))),
        (400, not_stopped("snk"))
    );

    // Altered while stopped (numbers may be strings, as in Java); records 2 to 4 come again.
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/snk/stop")).0,
        204
    );
    let (code, body) = as_json_pair(http.patch_json(
        &offsets_url,
        &json!({"offsets": [{
            "partition": {"kafka_topic": "offsets-sink", "kafka_partition": "0"},
            "offset": {"kafka_offset": "2"}}]}),
    ));
    assert_eq!((code, body), (200, message("altered")));
    assert_eq!(
        http.get_json(&offsets_url),
        (200, at(json!({"kafka_offset": 2})))
    );
    let (code, body) = as_json_pair(http.patch_json(
        &offsets_url,
        &json!({"offsets": [{"partition": {"kafka_topic": "offsets-sink"}, "offset": null}]}),
    ));
    assert_eq!(
        (code, body["message"].as_str()),
        (
            400,
            Some(
                "The partition for a sink connector offset must contain the keys \
                 'kafka_topic' and 'kafka_partition'"
            )
        )
    );
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/snk/resume")).0,
        202
    );
    let lines = wait_for_lines(&out, 8, &w);
    assert_eq!(lines[5..], values[2..]);
    wait_for_offsets(&http, &offsets_url, &at(json!({"kafka_offset": 5})), &w);

    // Reset deletes the group: no offsets, and everything is delivered again.
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/snk/stop")).0,
        204
    );
    assert_eq!(
        as_json_pair(http.delete(&offsets_url)),
        (200, message("reset"))
    );
    assert_eq!(http.get_json(&offsets_url), (200, json!({"offsets": []})));
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/snk/resume")).0,
        202
    );
    let lines = wait_for_lines(&out, 13, &w);
    assert_eq!(lines[8..], values[..]);
    wait_for_offsets(&http, &offsets_url, &at(json!({"kafka_offset": 5})), &w);

    // A null offset removes that partition's offset.
    assert_eq!(
        http.put_empty(&format!("{base}/connectors/snk/stop")).0,
        204
    );
    assert_eq!(
        as_json_pair(http.patch_json(&offsets_url, &at(Value::Null))),
        (200, message("altered"))
    );
    assert_eq!(http.get_json(&offsets_url), (200, json!({"offsets": []})));
    assert!(w.stop().success());
}
