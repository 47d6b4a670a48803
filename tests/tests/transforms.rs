//! End-to-end tests of the built-in transformations and predicates (Java's
//! `connect-transforms` classes, by their Java names) through the real `rconnect` binary in
//! standalone mode, with FileStream sources writing to tansu.
//!
//! The chain test compares the bytes on Kafka with what Java's own classes produced for the
//! same input and config (`chain-e2e-*` cases of
//! `crates/rconnect-transforms/tests/golden/smt-golden.jsonl`, `scripts/golden smt`).
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test transforms`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, repo_root, Broker, Http, Worker};
use serde_json::{json, Value};

const GOLDEN: &str = "crates/rconnect-transforms/tests/golden/smt-golden.jsonl";

/// A golden case by name.
fn golden(name: &str) -> Value {
    let text = fs::read_to_string(repo_root().join(GOLDEN)).expect("the SMT golden file");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a golden line"))
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no golden case {name}"))
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
             offset.flush.interval.ms=1000\n\
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

    /// A file holding `lines`, in the setup's directory.
    fn input(&self, name: &str, lines: &[&str]) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut f = fs::File::create(&path).unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        path
    }
}

/// POSTs a FileStreamSource named `name` reading `file` into `topic`, with `extra` config.
fn create_source(http: &Http, s: &Setup, name: &str, file: &Path, topic: &str, extra: &Value) {
    let mut config = json!({
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": file.display().to_string(),
        "topic": topic,
    });
    for (k, v) in extra.as_object().expect("an object") {
        config[k] = v.clone();
    }
    let (code, body) = http.post_json(
        &s.url("/connectors"),
        &json!({"name": name, "config": config}),
    );
    assert_eq!(code, 201, "create {name}: {body}");
}

fn wait_for_task_state(http: &Http, url: &str, want: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (code, body) = http.get_json(url);
        if code == 200
            && body["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == want))
        {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "tasks never became {want}: {code} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn java_chain_on_a_file_source_writes_javas_bytes() {
    let broker = Broker::start();
    // RegexRouter sends smt-raw to smt-clean; smt-other does not match the predicate.
    broker.create_topic("smt-clean", 1, &[]);
    broker.create_topic("smt-other", 1, &[]);
    let s = Setup::new(&broker, None);
    let mut w = s.start();
    let http = Http::new();

    let raw = golden("chain-e2e-raw");
    let other = golden("chain-e2e-other");
    assert_eq!(raw["config"], other["config"]);
    let line = |case: &Value| {
        case["input"]["value"]["envelope"]["payload"]
            .as_str()
            .expect("a line")
            .to_string()
    };
    let raw_file = s.input("raw.txt", &[&line(&raw)]);
    let other_file = s.input("other.txt", &[&line(&other)]);
    create_source(&http, &s, "raw", &raw_file, "smt-raw", &raw["config"]);
    create_source(
        &http,
        &s,
        "other",
        &other_file,
        "smt-other",
        &other["config"],
    );

    for (case, topic) in [(&raw, "smt-clean"), (&other, "smt-other")] {
        let expected = &case["output"];
        assert_eq!(
            expected["topic"], topic,
            "the golden case routes to {topic}"
        );
        let got = broker.consume_all(topic, 1, Duration::from_secs(30));
        assert_eq!(got.len(), 1, "{topic}: {got:?}");
        let (key, value, _, _) = &got[0];
        // Java's envelopes, written compactly in Java's field order, are the bytes Java's
        // JsonConverter writes.
        let want_key = serde_json::to_vec(&expected["key"]["envelope"]).unwrap();
        let want_value = serde_json::to_vec(&expected["value"]["envelope"]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(key.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(&want_key),
            "{topic} key"
        );
        assert_eq!(
            String::from_utf8_lossy(value.as_deref().unwrap_or_default()),
            String::from_utf8_lossy(&want_value),
            "{topic} value"
        );
    }
    assert!(w.stop().success());
}

#[test]
fn built_in_classes_are_listed_and_bad_transform_configs_are_refused_naming_the_key() {
    let broker = Broker::start();
    broker.create_topic("smt-bad", 1, &[]);
    let s = Setup::new(&broker, None);
    let mut w = s.start();
    let http = Http::new();

    let (code, body) = http.get_json(&s.url("/connector-plugins?connectorsOnly=false"));
    assert_eq!(code, 200, "{body}");
    let listed = body.as_array().expect("a list");
    for (class, kind) in [
        (
            "org.apache.kafka.connect.transforms.ValueToKey",
            "transformation",
        ),
        (
            "org.apache.kafka.connect.transforms.Cast$Value",
            "transformation",
        ),
        (
            "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            "transformation",
        ),
        (
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            "predicate",
        ),
    ] {
        assert!(
            listed
                .iter()
                .any(|p| p["class"] == class && p["type"] == kind && p["version"] == "3.9.0"),
            "{class} not listed: {body}"
        );
    }
    let (code, body) = http.get_json(
        &s.url("/connector-plugins/org.apache.kafka.connect.transforms.ExtractField$Value/config"),
    );
    assert_eq!(code, 200, "{body}");
    let names: Vec<&str> = body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["field", "field.syntax.version", "replace.null.with.default"]
    );

    // A Cast spec naming a type Cast cannot produce: create answers 400 naming the key.
    let input = s.input("bad.txt", &["1"]);
    let config = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": "smt-bad",
        "transforms": "c",
        "transforms.c.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.c.spec": "id:date",
    });
    let (code, body) = http.post_json(
        &s.url("/connectors"),
        &json!({"name": "bad-cast", "config": config}),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("Invalid type found in casting spec: date"),
        "{body}"
    );
    let mut named = config.clone();
    named["name"] = json!("bad-cast");
    let (code, body) = http.put_json(
        &s.url("/connector-plugins/FileStreamSource/config/validate"),
        &named,
    );
    assert_eq!(code, 200, "{body}");
    let infos: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(infos["error_count"], 1, "{body}");
    let spec = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "transforms.c.spec")
        .unwrap_or_else(|| panic!("no transforms.c.spec in {body}"));
    assert_eq!(spec["definition"]["group"], "Transforms: c", "{spec}");

    // InsertField with nothing to insert passes the key checks; Java's configure() refuses
    // it when the task starts, and so does rconnect.
    create_source(
        &http,
        &s,
        "no-insert",
        &input,
        "smt-bad",
        &json!({
            "transforms": "i",
            "transforms.i.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        }),
    );
    let status = wait_for_task_state(
        &http,
        &s.url("/connectors/no-insert/status"),
        "FAILED",
        Duration::from_secs(30),
    );
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("transformation i"), "{trace}");
    assert!(trace.contains("No field insertion configured"), "{trace}");
    assert!(w.stop().success());
}

/// Builds the example transformation plugin with this test's cargo and target directory and
/// returns its library.
fn transform_plugin_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>");
    let target_dir = profile_dir.parent().expect("<target>/<profile>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--quiet", "-p", "rconnect-example-transform"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    assert!(cmd.status().expect("run cargo build").success());
    profile_dir.join(format!(
        "{}rconnect_example_transform.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    ))
}

#[test]
fn plugin_and_built_in_transformations_mix_in_one_chain() {
    let lib = transform_plugin_lib();
    let broker = Broker::start();
    broker.create_topic("smt-mixed-shouted", 1, &[]);
    let plugins = tempfile::tempdir().unwrap();
    let dest = plugins.path().join("uppercase");
    fs::create_dir_all(&dest).unwrap();
    fs::copy(&lib, dest.join(lib.file_name().unwrap())).unwrap();
    let s = Setup::new(&broker, Some(plugins.path()));
    let mut w = s.start();
    let http = Http::new();

    let input = s.input("mixed.txt", &["hello"]);
    create_source(
        &http,
        &s,
        "mixed",
        &input,
        "smt-mixed",
        &json!({
            "transforms": "hoist,shout,tag,key",
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "customer",
            "transforms.shout.type": "io.rconnect.examples.transforms.UppercaseField",
            "transforms.shout.field": "customer",
            "transforms.shout.topic.suffix": "-shouted",
            "transforms.tag.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.tag.static.field": "source",
            "transforms.tag.static.value": "file",
            "transforms.tag.predicate": "hasTrace",
            "transforms.tag.negate": "true",
            "transforms.key.type": "ValueToKey",
            "transforms.key.fields": "customer",
            "predicates": "hasTrace",
            "predicates.hasTrace.type": "HasHeaderKey",
            "predicates.hasTrace.name": "trace",
        }),
    );
    let got = broker.consume_all("smt-mixed-shouted", 1, Duration::from_secs(30));
    let (key, value, _, _) = &got[0];
    let key: Value = serde_json::from_slice(key.as_deref().unwrap()).unwrap();
    let value: Value = serde_json::from_slice(value.as_deref().unwrap()).unwrap();
    assert_eq!(key["payload"], json!({"customer": "HELLO"}), "{key}");
    assert_eq!(
        value["payload"],
        json!({"customer": "HELLO", "source": "file"}),
        "{value}"
    );
    assert!(w.stop().success());
}
