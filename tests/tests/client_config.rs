//! End-to-end tests of the connector-level client settings through the real `rconnect`
//! binary in standalone mode on tansu:
//! - client overrides (KIP-458): `connector.client.config.override.policy` refusing
//!   `producer.override.*` at validation and creation, and a `consumer.override.*` reaching
//!   a sink task's consumer;
//! - topic creation for sources (KIP-158): `topic.creation.default.*` creating a source's
//!   topic with its partitions and topic configs, a topic a transformation routes records to
//!   created with the settings of the group whose patterns match it, and the groups checked
//!   when the connector starts, as Java 3.9 does.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test client_config`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, unique_name, Broker, Http, Worker};
use serde_json::{json, Value};

struct Setup {
    dir: tempfile::TempDir,
    port: u16,
    worker: Worker,
    http: Http,
}

impl Setup {
    /// A standalone worker on `broker` with the extra worker settings `extra`.
    fn start(broker: &Broker, extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let props = dir.path().join("worker.properties");
        fs::write(
            &props,
            format!(
                "bootstrap.servers={}\n\
                 key.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 offset.storage.file.filename={}\n\
                 offset.flush.interval.ms=500\n\
                 consumer.session.timeout.ms=6000\n\
                 consumer.heartbeat.interval.ms=1000\n\
                 listeners=http://127.0.0.1:{port}\n{extra}",
                broker.bootstrap(),
                dir.path().join("connect.offsets").display(),
            ),
        )
        .unwrap();
        let mut worker = Worker::start(&["standalone", props.to_str().unwrap()], &[]);
        worker.wait_for_rest(port, Duration::from_secs(30));
        Setup {
            dir,
            port,
            worker,
            http: Http::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn create(&self, name: &str, config: &Value) -> (u16, String) {
        self.http.post_json(
            &self.url("/connectors"),
            &json!({"name": name, "config": config}),
        )
    }

    fn status(&self, name: &str) -> Value {
        let (code, body) = self
            .http
            .get_json(&self.url(&format!("/connectors/{name}/status")));
        assert_eq!(code, 200, "status of {name}: {body}");
        body
    }

    /// Waits until `pick` of the connector's status is `want`.
    fn wait_for(&self, name: &str, pick: impl Fn(&Value) -> Value, want: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.status(name);
            if pick(&status) == want {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never became {want}: {status}\n{}",
                self.worker.log_tail(40)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn write_lines(path: &Path, lines: &[&str]) {
    let mut f = fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

/// The errors validation reports on `key`.
fn errors_of(infos: &Value, key: &str) -> Vec<String> {
    infos["configs"]
        .as_array()
        .expect("configs")
        .iter()
        .find(|c| c["value"]["name"] == key)
        .unwrap_or_else(|| panic!("no entry for {key} in {infos}"))["value"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_none_policy_refuses_overrides_and_the_all_policy_applies_them() {
    let broker = Broker::start();
    let strict = Setup::start(
        &broker,
        "connector.client.config.override.policy=org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy\n",
    );
    let source = |s: &Setup| {
        json!({
            "name": "refused",
            "connector.class": "FileStreamSource",
            "file": s.path("in.txt").display().to_string(),
            "topic": unique_name("overrides"),
            "producer.override.linger.ms": "5",
        })
    };
    let (code, infos) = strict.http.put_json(
        &strict.url("/connector-plugins/FileStreamSource/config/validate"),
        &source(&strict),
    );
    assert_eq!(code, 200, "{infos}");
    let infos: Value = serde_json::from_str(&infos).unwrap();
    let refusal = "The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration.";
    assert_eq!(infos["error_count"], 1, "{infos}");
    assert_eq!(
        errors_of(&infos, "producer.override.linger.ms"),
        vec![refusal]
    );
    let (code, body) = strict.create("refused", &source(&strict));
    assert_eq!(code, 400, "{body}");
    assert!(body.contains(refusal), "{body}");

    // The default policy (All) accepts the same config, and lists the override with the
    // producer's own definition of the key.
    let open = Setup::start(&broker, "");
    let (code, infos) = open.http.put_json(
        &open.url("/connector-plugins/FileStreamSource/config/validate"),
        &source(&open),
    );
    assert_eq!(code, 200, "{infos}");
    let infos: Value = serde_json::from_str(&infos).unwrap();
    assert_eq!(infos["error_count"], 0, "{infos}");
    let linger = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "producer.override.linger.ms")
        .expect("an entry for the override");
    assert_eq!(linger["definition"]["type"], "LONG");
    assert_eq!(linger["definition"]["default_value"], "0");

    // A sink whose consumer starts at the end of the topic (the worker's forced default is
    // `earliest`) never sees the records produced before it joined.
    let topic = unique_name("overrides-in");
    broker.create_topic(&topic, 1, &[]);
    broker.produce(
        &topic,
        &[(None, Some(&b"early-1"[..])), (None, Some(&b"early-2"[..]))],
    );
    let out = open.path("out.txt");
    let (code, body) = open.create(
        "latest",
        &json!({
            "connector.class": "FileStreamSink",
            "file": out.display().to_string(),
            "topics": topic,
            "consumer.override.auto.offset.reset": "latest",
        }),
    );
    assert_eq!(code, 201, "{body}");
    open.wait_for("latest", |s| s["tasks"][0]["state"].clone(), "RUNNING");
    // The consumer's position is only set once it is assigned the partition: produce until
    // a late record arrives.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    let written = loop {
        n += 1;
        let late = format!("late-{n}");
        broker.produce(&topic, &[(None, Some(late.as_bytes()))]);
        std::thread::sleep(Duration::from_millis(300));
        let text = fs::read_to_string(&out).unwrap_or_default();
        if text.contains("late-") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no late record reached the sink: {}",
            open.worker.log_tail(40)
        );
    };
    assert!(!written.contains("early-"), "{written}");

    // Without the override the same sink reads from the beginning.
    let all = open.path("all.txt");
    let (code, body) = open.create(
        "earliest",
        &json!({
            "connector.class": "FileStreamSink",
            "file": all.display().to_string(),
            "topics": topic,
        }),
    );
    assert_eq!(code, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fs::read_to_string(&all)
        .unwrap_or_default()
        .contains("early-1")
    {
        assert!(Instant::now() < deadline, "{}", open.worker.log_tail(40));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_source_creates_its_topic_with_the_configured_partitions_and_configs() {
    let broker = Broker::start();
    let s = Setup::start(&broker, "");
    let topic = unique_name("created");
    let input = s.path("in.txt");
    write_lines(&input, &["a", "b", "c"]);
    let config = json!({
        "name": "creator",
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "3",
        "topic.creation.default.cleanup.policy": "compact",
        "topic.creation.default.retention.ms": "3600000",
    });
    // Java's validation answer for sources lists only `topic.creation.groups` of these keys.
    let (code, infos) = s.http.put_json(
        &s.url("/connector-plugins/FileStreamSource/config/validate"),
        &config,
    );
    assert_eq!(code, 200, "{infos}");
    let infos: Value = serde_json::from_str(&infos).unwrap();
    assert_eq!(infos["error_count"], 0, "{infos}");
    let names: Vec<&str> = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["value"]["name"].as_str())
        .filter(|n| n.starts_with("topic.creation."))
        .collect();
    assert_eq!(names, ["topic.creation.groups"]);

    assert_eq!(broker.partition_count(&topic), None);
    let (code, body) = s.create("creator", &config);
    assert_eq!(code, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while broker.partition_count(&topic).is_none() {
        assert!(
            Instant::now() < deadline,
            "{topic} was never created: {}",
            s.worker.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let records = broker.consume_all(&topic, 3, Duration::from_secs(30));
    assert_eq!(records.len(), 3);
    assert_eq!(broker.partition_count(&topic), Some(3));
    let configs = broker.topic_configs(&topic);
    assert_eq!(
        configs.get("cleanup.policy").cloned().flatten().as_deref(),
        Some("compact"),
        "{configs:?}"
    );
    assert_eq!(
        configs.get("retention.ms").cloned().flatten().as_deref(),
        Some("3600000"),
        "{configs:?}"
    );

    // A record routed to another topic by a transformation gets that topic created too,
    // with the settings of the first group whose patterns match it (the default group's
    // topic configs are not inherited).
    let routed_input = s.path("routed.txt");
    write_lines(&routed_input, &["x"]);
    let routed_from = unique_name("routed");
    let routed = format!("{routed_from}-wide");
    let mut routing = config.clone();
    for (k, v) in [
        ("name", "router".to_string()),
        ("file", routed_input.display().to_string()),
        ("topic", routed_from.clone()),
        ("transforms", "route".into()),
        ("transforms.route.type", "RegexRouter".into()),
        ("transforms.route.regex", "(.*)".into()),
        ("transforms.route.replacement", "$1-wide".into()),
        ("topic.creation.groups", "narrow,wide".into()),
        ("topic.creation.narrow.include", "nothing-.*".into()),
        ("topic.creation.narrow.partitions", "2".into()),
        ("topic.creation.wide.include", ".*-wide".into()),
        ("topic.creation.wide.partitions", "5".into()),
        ("topic.creation.wide.retention.ms", "7200000".into()),
    ] {
        routing[k] = json!(v);
    }
    let (code, body) = s.create("router", &routing);
    assert_eq!(code, 201, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while broker.partition_count(&routed).is_none() {
        assert!(
            Instant::now() < deadline,
            "{routed} was never created: {}",
            s.worker.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        broker
            .consume_all(&routed, 1, Duration::from_secs(30))
            .len(),
        1
    );
    assert_eq!(broker.partition_count(&routed), Some(5));
    assert_eq!(broker.partition_count(&routed_from), None);
    let configs = broker.topic_configs(&routed);
    assert_eq!(
        configs.get("retention.ms").cloned().flatten().as_deref(),
        Some("7200000"),
        "{configs:?}"
    );
    assert_ne!(
        configs.get("cleanup.policy").cloned().flatten().as_deref(),
        Some("compact"),
        "{configs:?}"
    );

    // A group without the default group's settings validates (Java 3.9 does not check
    // the groups there) and fails the connector when it starts, with Java's message.
    let mut broken = config.clone();
    broken["name"] = json!("broken");
    broken["topic"] = json!(unique_name("never"));
    broken["topic.creation.groups"] = json!("g");
    broken
        .as_object_mut()
        .unwrap()
        .remove("topic.creation.default.replication.factor");
    let (code, body) = s.create("broken", &broken);
    assert_eq!(code, 201, "{body}");
    let status = s.wait_for("broken", |s| s["connector"]["state"].clone(), "FAILED");
    let trace = status["connector"]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains(
            "Missing required configuration \"topic.creation.default.replication.factor\" which has no default value."
        ),
        "{status}"
    );
}
