//! End-to-end tests of plugins loaded from `plugin.path`: the example plugins are built as
//! cdylibs, put in a temporary `plugin.path`, and driven through the real `rconnect` binary
//! in standalone mode, its REST API and a real broker.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests --test plugins`
//! (the plugin libraries are built by the tests, into the same target directory).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, rconnect_bin, Broker, Http, Worker};
use serde_json::{json, Value};

const DATAGEN_CLASS: &str = "io.rconnect.examples.DataGenSourceConnector";
const TRANSFORM_CLASS: &str = "io.rconnect.examples.transforms.UppercaseField";
const PANICKING_CLASS: &str = "io.rconnect.tests.PanickingSourceConnector";
const UPPER_CLASS: &str = "io.rconnect.examples.converters.UpperStringConverter";
const PANICKING_CONVERTER_CLASS: &str = "io.rconnect.tests.PanickingConverter";

const DATAGEN: &str = "rconnect_example_datagen";
const TRANSFORM: &str = "rconnect_example_transform";
const PANICKING: &str = "rconnect_test_plugin_panicking";
const WRONG_ABI: &str = "rconnect_test_plugin_wrong_abi";
const NOT_A_PLUGIN: &str = "rconnect_test_plugin_not_a_plugin";
const LINES_SINK: &str = "rconnect_test_plugin_lines_sink";

/// Builds the plugin crates once, with the cargo and target directory this test binary
/// was built with, and returns the directory holding the libraries.
fn plugin_libs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
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
            .args(["build", "--quiet"]);
        for p in [
            "rconnect-example-datagen",
            "rconnect-example-transform",
            "rconnect-test-plugin-panicking",
            "rconnect-test-plugin-wrong-abi",
            "rconnect-test-plugin-not-a-plugin",
            "rconnect-test-plugin-lines-sink",
        ] {
            cmd.args(["-p", p]);
        }
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build for the plugin crates");
        assert!(
            status.success(),
            "building the plugin crates failed: {status}"
        );
        profile_dir.to_path_buf()
    })
}

fn lib_file(name: &str) -> PathBuf {
    plugin_libs().join(format!(
        "{}{name}.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    ))
}

/// Copies library `name` to `dir/sub/`.
fn install(dir: &Path, sub: &str, name: &str) -> PathBuf {
    let to = dir.join(sub);
    fs::create_dir_all(&to).unwrap();
    let src = lib_file(name);
    let dst = to.join(src.file_name().unwrap());
    fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    dst
}

struct Setup {
    dir: tempfile::TempDir,
    plugin_path: PathBuf,
    port: u16,
    worker_props: PathBuf,
}

impl Setup {
    fn new(broker: &Broker) -> Setup {
        Setup::with_worker_props(broker, &[])
    }

    /// A worker whose properties end with `extra` (a later key overrides an earlier one).
    fn with_worker_props(broker: &Broker, extra: &[(&str, &str)]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let plugin_path = dir.path().join("plugins");
        fs::create_dir_all(&plugin_path).unwrap();
        let port = free_port();
        let worker_props = dir.path().join("worker.properties");
        let mut text = format!(
            "bootstrap.servers={}\n\
             key.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             offset.storage.file.filename={}\n\
             offset.flush.interval.ms=1000\n\
             listeners=http://127.0.0.1:{port}\n\
             plugin.path={}\n",
            broker.bootstrap(),
            dir.path().join("connect.offsets").display(),
            plugin_path.display()
        );
        for (k, v) in extra {
            text.push_str(&format!("{k}={v}\n"));
        }
        fs::write(&worker_props, text).unwrap();
        Setup {
            dir,
            plugin_path,
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

    /// A file in the setup's temporary directory.
    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn datagen_config(topic: &str, max: u32, transform: bool) -> Value {
    let mut c = json!({
        "connector.class": DATAGEN_CLASS,
        "tasks.max": "1",
        "topic": topic,
        "records.per.second": "200",
        "max.records": max.to_string(),
    });
    if transform {
        let o = c.as_object_mut().unwrap();
        o.insert("transforms".into(), "x".into());
        o.insert("transforms.x.type".into(), TRANSFORM_CLASS.into());
        o.insert("transforms.x.field".into(), "customer".into());
    }
    c
}

fn create(http: &Http, s: &Setup, name: &str, config: Value) {
    let (code, body) = http.post_json(
        &s.url("/connectors"),
        &json!({"name": name, "config": config}),
    );
    assert_eq!(code, 201, "create {name}: {body}");
}

/// Polls `/connectors/{name}/status` until `pred` holds; returns the last status.
fn wait_status(
    http: &Http,
    s: &Setup,
    name: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, status) = http.get_json(&s.url(&format!("/connectors/{name}/status")));
        if code == 200 && pred(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never became {what}: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn task_state(status: &Value) -> &str {
    status["tasks"][0]["state"].as_str().unwrap_or("")
}

/// The raw values of `count` records read from `topic`, as text.
fn read_texts(broker: &Broker, topic: &str, count: usize) -> Vec<String> {
    broker
        .consume_all(topic, count, Duration::from_secs(30))
        .into_iter()
        .map(|(_, v, _, _)| String::from_utf8(v.expect("value")).expect("UTF-8 value"))
        .collect()
}

/// Waits until `path` holds exactly `lines`.
fn wait_for_lines(path: &Path, lines: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.lines().collect::<Vec<_>>() == lines {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never held {lines:?}; it holds {text:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn file_source(file: &Path, topic: &str) -> Value {
    json!({
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": file.to_str().unwrap(),
        "topic": topic,
    })
}

fn file_sink(file: &Path, topic: &str) -> Value {
    json!({
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "file": file.to_str().unwrap(),
        "topics": topic,
    })
}

/// The JSON values of `count` records read from `topic`.
fn read_values(broker: &Broker, topic: &str, count: usize) -> Vec<Value> {
    broker
        .consume_all(topic, count, Duration::from_secs(30))
        .into_iter()
        .map(|(_, v, _, _)| serde_json::from_slice(&v.expect("value")).expect("JSON value"))
        .collect()
}

#[test]
fn datagen_source_with_transform_plugin_writes_transformed_records() {
    let broker = Broker::start();
    broker.create_topic("orders", 1, &[]);
    let s = Setup::new(&broker);
    install(&s.plugin_path, "datagen", DATAGEN);
    install(&s.plugin_path, "transforms/uppercase", TRANSFORM);
    let mut worker = s.start();
    let http = Http::new();

    let (code, plugins) = http.get_json(&s.url("/connector-plugins"));
    assert_eq!(code, 200);
    assert!(
        plugins
            .as_array()
            .unwrap()
            .contains(&json!({"class": DATAGEN_CLASS, "type": "source", "version": "0.1.0"})),
        "{plugins}"
    );
    let (_, all) = http.get_json(&s.url("/connector-plugins?connectorsOnly=false"));
    assert!(
        all.as_array().unwrap().contains(
            &json!({"class": TRANSFORM_CLASS, "type": "transformation", "version": "0.1.0"})
        ),
        "{all}"
    );

    // The plugin's config definition, looked up by alias, precedes the framework keys.
    let (code, def) = http.get_json(&s.url("/connector-plugins/DataGenSource/config"));
    assert_eq!(code, 200, "{def}");
    let names: Vec<&str> = def
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        &names[..3],
        ["topic", "records.per.second", "max.records"],
        "{def}"
    );
    let rate = &def.as_array().unwrap()[1];
    assert_eq!(rate["type"], "INT");
    assert_eq!(rate["default_value"], "10");

    // A transformation's own definition (KIP-769), by alias and by class name, crossing the
    // plugin boundary with CONFIG_DEF.
    let transform_def = json!([
        {"name": "field", "type": "STRING", "required": true, "default_value": null,
         "importance": "HIGH", "documentation": "The string field to upper-case.",
         "group": null, "order": -1, "width": "NONE", "display_name": "field",
         "dependents": []},
        {"name": "topic.suffix", "type": "STRING", "required": false, "default_value": "",
         "importance": "LOW", "documentation": "Appended to the topic of every record.",
         "group": null, "order": -1, "width": "NONE", "display_name": "topic.suffix",
         "dependents": []}
    ]);
    for p in ["UppercaseField", TRANSFORM_CLASS] {
        let (code, def) = http.get_json(&s.url(&format!("/connector-plugins/{p}/config")));
        assert_eq!((code, &def), (200, &transform_def), "{p}");
    }
    // Java's answers for a class that is no plugin, and for one of another plugin type.
    let (code, body) = http.get_json(&s.url("/connector-plugins/Uppercase/config"));
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["message"], "Unknown plugin Uppercase.");
    let (code, body) = http.get_json(&s.url("/connector-plugins/None/config"));
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["message"],
        "Invalid plugin class None. Valid types are sink, source, converter, \
         header_converter, transformation, predicate."
    );

    // Validation runs the plugin's own validator and reports in Java's shape.
    let mut bad = datagen_config("orders", 10, false);
    bad.as_object_mut().unwrap().remove("topic");
    bad["records.per.second"] = json!("0");
    bad["name"] = json!("orders-gen");
    let (code, body) = http.put_json(
        &s.url("/connector-plugins/DataGenSourceConnector/config/validate"),
        &bad,
    );
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["name"], DATAGEN_CLASS);
    assert_eq!(v["error_count"], 2, "{v}");
    let errors = |key: &str| {
        v["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .unwrap()["value"]["errors"]
            .clone()
    };
    assert_eq!(
        errors("topic"),
        json!(["Missing required configuration \"topic\" which has no default value."])
    );
    assert_eq!(
        errors("records.per.second"),
        json!(["Invalid value 0 for configuration records.per.second: Value must be at least 1"])
    );

    create(&http, &s, "orders-gen", datagen_config("orders", 30, true));
    let status = wait_status(&http, &s, "orders-gen", "RUNNING", |st| {
        st["connector"]["state"] == "RUNNING" && task_state(st) == "RUNNING"
    });
    assert_eq!(status["type"], "source");

    let values = read_values(&broker, "orders", 30);
    for (i, v) in values.iter().enumerate() {
        let p = &v["payload"];
        assert_eq!(p["id"], json!(i), "{v}");
        let expected = ["ALICE", "BOB", "CAROL", "DAVE"][i % 4];
        assert_eq!(
            p["customer"], expected,
            "the transform upper-cases the field: {v}"
        );
        assert_eq!(p["created"], json!(1_700_000_000_000i64 + i as i64 * 1000));
    }
    // Schema (name, logical types) survives the plugin boundary and the transform.
    let schema = &values[0]["schema"];
    assert_eq!(schema["name"], "io.rconnect.examples.datagen.Order");
    assert_eq!(
        schema["fields"][2]["name"],
        "org.apache.kafka.connect.data.Decimal"
    );
    assert_eq!(schema["fields"][2]["parameters"]["scale"], "2");
    assert_eq!(
        values[0]["payload"]["amount"], "A+g=",
        "1000 (10.00) as base64 two's complement"
    );
    assert_eq!(worker.try_exit_status(), None);
}

#[test]
fn a_panic_in_poll_fails_only_that_task() {
    let broker = Broker::start();
    broker.create_topic("healthy", 1, &[]);
    let s = Setup::new(&broker);
    install(&s.plugin_path, "a", DATAGEN);
    install(&s.plugin_path, "b", PANICKING);
    let mut worker = s.start();
    let http = Http::new();

    create(
        &http,
        &s,
        "boom",
        json!({"connector.class": PANICKING_CLASS, "tasks.max": "1", "topic": "healthy"}),
    );
    create(&http, &s, "fine", datagen_config("healthy", 20, false));

    let status = wait_status(&http, &s, "boom", "FAILED", |st| task_state(st) == "FAILED");
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("poll exploded on purpose"), "trace: {trace}");
    assert_eq!(
        status["connector"]["state"], "RUNNING",
        "only the task fails: {status}"
    );

    // The other connector keeps running and delivering, and the worker stays up.
    read_values(&broker, "healthy", 20);
    let fine = wait_status(&http, &s, "fine", "RUNNING", |st| {
        task_state(st) == "RUNNING"
    });
    assert_eq!(fine["connector"]["state"], "RUNNING");
    assert_eq!(worker.try_exit_status(), None);
    let (code, _) = http.get(&s.url("/connectors"));
    assert_eq!(code, 200);
}

#[test]
fn broken_libraries_are_skipped_with_one_log_line_each() {
    let broker = Broker::start();
    let s = Setup::new(&broker);
    let wrong = install(&s.plugin_path, "x", WRONG_ABI);
    let not_plugin = install(&s.plugin_path, "x", NOT_A_PLUGIN);
    let junk = s.plugin_path.join("x").join("junk.so");
    fs::write(&junk, b"not an ELF file").unwrap();
    install(&s.plugin_path, "y", DATAGEN);
    let worker = s.start();
    let http = Http::new();

    let log = worker.log();
    for (path, reason) in [
        (
            &wrong,
            "wrong plugin interface version 99 (this worker speaks version 1)",
        ),
        (
            &not_plugin,
            "not an rconnect plugin (missing symbol rconnect_plugin_abi_version)",
        ),
        (&junk, "cannot be loaded"),
    ] {
        let needle = format!("Skipping plugin library {}: {reason}", path.display());
        assert_eq!(
            log.matches(&needle).count(),
            1,
            "expected one line with {needle:?} in\n{log}"
        );
    }
    assert_eq!(
        log.matches(&format!("Skipping plugin library {}", wrong.display()))
            .count(),
        1
    );
    // Start-up went on: the good library is offered.
    let (_, plugins) = http.get_json(&s.url("/connector-plugins"));
    assert!(plugins.to_string().contains(DATAGEN_CLASS), "{plugins}");

    // The CLI reports the same.
    let out = Command::new(rconnect_bin())
        .args([
            "plugins",
            "list",
            "--plugin-path",
            s.plugin_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(DATAGEN_CLASS) && text.contains("DataGenSource"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}: wrong plugin interface version 99",
            wrong.display()
        )),
        "{text}"
    );
    assert!(text.contains("1 libraries loaded, 3 skipped"), "{text}");
}

#[test]
fn duplicate_class_keeps_the_first_library() {
    let broker = Broker::start();
    broker.create_topic("dups", 1, &[]);
    let s = Setup::new(&broker);
    install(&s.plugin_path, "a", DATAGEN);
    // The same class in two libraries: sorted path order puts "a/" first.
    let first = install(&s.plugin_path, "a", TRANSFORM);
    let second = install(&s.plugin_path, "b", PANICKING);
    let worker = s.start();
    let http = Http::new();

    let needle = format!(
        "Duplicate plugin class {TRANSFORM_CLASS} (transformation): {} is ignored, {} is used",
        second.display(),
        first.display()
    );
    assert_eq!(
        worker.log().matches(&needle).count(),
        1,
        "{}",
        worker.log_tail(40)
    );

    // The first library's transformation runs (the second would drop every record).
    create(&http, &s, "dups-gen", datagen_config("dups", 8, true));
    let values = read_values(&broker, "dups", 8);
    assert_eq!(values[1]["payload"]["customer"], "BOB");
    // The second library's other component is still offered.
    let (_, plugins) = http.get_json(&s.url("/connector-plugins"));
    assert!(plugins.to_string().contains(PANICKING_CLASS), "{plugins}");
}

/// Copies of the datagen library, each with its own class names: the class strings are
/// patched in place, `io.rconnect.examples.` → `io.rconnect.copyNNNN.` (same length).
fn hundred_copies(dir: &Path) -> usize {
    let original = fs::read(lib_file(DATAGEN)).unwrap();
    let from = b"io.rconnect.examples.";
    let hits: Vec<usize> = original
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| w == from)
        .map(|(i, _)| i)
        .collect();
    assert!(!hits.is_empty());
    for n in 0..100 {
        let mut bytes = original.clone();
        let to = format!("io.rconnect.copy{n:04}.");
        for &i in &hits {
            bytes[i..i + from.len()].copy_from_slice(to.as_bytes());
        }
        let sub = dir.join(format!("copy{n:04}"));
        fs::create_dir_all(&sub).unwrap();
        fs::write(sub.join(format!("libdatagen{n:04}.so")), bytes).unwrap();
    }
    hits.len()
}

/// The load time itself is a benchmark figure (scripts/bench, docs/BENCHMARKS.md), not
/// asserted here: timed tests fail on a busy machine for no fault of the code.
#[test]
fn a_hundred_plugin_libraries_load_and_are_listed() {
    let broker = Broker::start();
    let s = Setup::new(&broker);
    hundred_copies(&s.plugin_path);

    let out = Command::new(rconnect_bin())
        .args([
            "plugins",
            "list",
            "--plugin-path",
            s.plugin_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("io.rconnect.copy0000.DataGenSourceConnector"),
        "{text}"
    );
    assert!(
        text.contains("io.rconnect.copy0099.DataGenSourceConnector"),
        "{text}"
    );
    assert!(text.contains("100 libraries loaded, 0 skipped"), "{text}");

    let worker = s.start();
    let http = Http::new();
    let (_, plugins) = http.get_json(&s.url("/connector-plugins"));
    // The 100 copies, the two FileStream connectors, the JDBC source and the S3 sink.
    assert_eq!(plugins.as_array().unwrap().len(), 100 + 4, "{plugins}");
    let log = worker.log();
    let line = log
        .lines()
        .find(|l| l.contains("Loaded 100 plugin components from 100 libraries"))
        .unwrap_or_else(|| panic!("no load summary in\n{log}"));
    // The summary reports how long loading took, in whole milliseconds.
    let ms = line
        .rsplit(" in ")
        .next()
        .and_then(|t| t.trim().strip_suffix(" ms"))
        .and_then(|t| t.parse::<u64>().ok());
    assert!(ms.is_some(), "no load time in {line:?}");
}

#[test]
fn converter_plugin_converts_source_and_sink_records() {
    let broker = Broker::start();
    broker.create_topic("shout", 1, &[]);
    broker.create_topic("shout-override", 1, &[]);
    // The worker's value and header converters come from the plugin, by alias and by class.
    let s = Setup::with_worker_props(
        &broker,
        &[
            ("value.converter", "UpperStringConverter"),
            ("value.converter.prefix", "up:"),
            ("header.converter", UPPER_CLASS),
        ],
    );
    install(&s.plugin_path, "transforms", TRANSFORM);
    let mut worker = s.start();
    let http = Http::new();

    let (_, all) = http.get_json(&s.url("/connector-plugins?connectorsOnly=false"));
    for t in ["converter", "header_converter"] {
        assert!(
            all.as_array()
                .unwrap()
                .contains(&json!({"class": UPPER_CLASS, "type": t, "version": "0.1.0"})),
            "{all}"
        );
    }
    let (_, connectors) = http.get_json(&s.url("/connector-plugins"));
    assert!(
        !connectors.to_string().contains(UPPER_CLASS),
        "{connectors}"
    );
    // The converter's own definition (the class is also a header converter, whose
    // definition Java would show only for a header-converter-only class).
    let converter_def = json!([
        {"name": "prefix", "type": "STRING", "required": false, "default_value": "",
         "importance": "LOW",
         "documentation": "Written before every value, and removed from values read back that start with it.",
         "group": null, "order": -1, "width": "NONE", "display_name": "prefix",
         "dependents": []}
    ]);
    for p in ["UpperString", "UpperStringConverter", UPPER_CLASS] {
        let (code, def) = http.get_json(&s.url(&format!("/connector-plugins/{p}/config")));
        assert_eq!((code, &def), (200, &converter_def), "{p}");
    }
    // A built-in header converter: SimpleHeaderConverter.config() is empty.
    let (code, def) = http.get_json(&s.url("/connector-plugins/SimpleHeaderConverter/config"));
    assert_eq!((code, def), (200, json!([])));

    let input = s.file("in.txt");
    fs::write(&input, "hello world\nMixed Case 42\n").unwrap();
    // The worker's converter and settings...
    create(&http, &s, "src-worker", file_source(&input, "shout"));
    // ...or the connector's own, which replace the worker's settings entirely.
    let mut own = file_source(&input, "shout-override");
    own["value.converter"] = json!(UPPER_CLASS);
    own["value.converter.prefix"] = json!("own:");
    create(&http, &s, "src-own", own);
    assert_eq!(
        read_texts(&broker, "shout", 2),
        ["up:HELLO WORLD", "up:MIXED CASE 42"]
    );
    assert_eq!(
        read_texts(&broker, "shout-override", 2),
        ["own:HELLO WORLD", "own:MIXED CASE 42"]
    );

    // A record with headers goes through the plugin's header converter on the sink side.
    broker.produce_with_headers(
        "shout",
        &[(None, Some(b"up:with headers"), &[("h", b"x"), ("h", b"y")])],
    );
    let output = s.file("out.txt");
    create(&http, &s, "sink", file_sink(&output, "shout"));
    // The plugin read the values back (without the prefix the worker configured).
    wait_for_lines(&output, &["HELLO WORLD", "MIXED CASE 42", "with headers"]);
    for name in ["src-worker", "src-own", "sink"] {
        let st = wait_status(&http, &s, name, "RUNNING", |st| task_state(st) == "RUNNING");
        assert_eq!(st["connector"]["state"], "RUNNING", "{st}");
    }
    assert_eq!(worker.try_exit_status(), None);

    // The CLI lists the class under both kinds, with its aliases and library.
    let out = Command::new(rconnect_bin())
        .args([
            "plugins",
            "list",
            "--plugin-path",
            s.plugin_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let row = |t: &str| {
        text.lines()
            .find(|l| l.starts_with(UPPER_CLASS) && l.split_whitespace().nth(1) == Some(t))
            .unwrap_or_else(|| panic!("no {t} row for {UPPER_CLASS} in\n{text}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let conv = row("converter");
    assert_eq!(conv[2], "0.1.0", "{conv:?}");
    assert_eq!(conv[3], "UpperStringConverter,UpperString", "{conv:?}");
    assert!(conv[4].ends_with(".so"), "{conv:?}");
    let header = row("header_converter");
    assert_eq!(header[4], conv[4], "{header:?}");
}

#[test]
fn a_panic_in_a_plugin_converter_fails_only_that_task() {
    let broker = Broker::start();
    for t in ["conv-boom", "conv-ok", "conv-headers"] {
        broker.create_topic(t, 1, &[]);
    }
    let s = Setup::new(&broker);
    install(&s.plugin_path, "a", TRANSFORM);
    install(&s.plugin_path, "b", PANICKING);
    let mut worker = s.start();
    let http = Http::new();

    let input = s.file("in.txt");
    fs::write(&input, "one\ntwo\n").unwrap();
    let mut boom = file_source(&input, "conv-boom");
    boom["value.converter"] = json!("PanickingConverter");
    create(&http, &s, "boom-src", boom);
    let mut fine = file_source(&input, "conv-ok");
    fine["value.converter"] = json!("UpperStringConverter");
    create(&http, &s, "fine-src", fine);
    broker.produce_with_headers("conv-headers", &[(None, Some(b"v"), &[("h", b"x")])]);
    let mut boom_sink = file_sink(&s.file("out.txt"), "conv-headers");
    boom_sink["value.converter"] = json!("org.apache.kafka.connect.storage.StringConverter");
    boom_sink["header.converter"] = json!(PANICKING_CONVERTER_CLASS);
    create(&http, &s, "boom-sink", boom_sink);

    for (name, message) in [
        ("boom-src", "converter exploded on purpose"),
        ("boom-sink", "header converter exploded on purpose"),
    ] {
        let status = wait_status(&http, &s, name, "FAILED", |st| task_state(st) == "FAILED");
        let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
        assert!(trace.contains(message), "{name} trace: {trace}");
        assert_eq!(
            status["connector"]["state"], "RUNNING",
            "only the task fails: {status}"
        );
    }

    // The other connector keeps converting, and the worker stays up.
    assert_eq!(read_texts(&broker, "conv-ok", 2), ["ONE", "TWO"]);
    let st = wait_status(&http, &s, "fine-src", "RUNNING", |st| {
        task_state(st) == "RUNNING"
    });
    assert_eq!(st["connector"]["state"], "RUNNING");
    assert_eq!(worker.try_exit_status(), None);
    let (code, _) = http.get(&s.url("/connectors"));
    assert_eq!(code, 200);
}

#[test]
fn plugin_sink_task_with_a_plugin_predicate_in_its_chain() {
    let broker = Broker::start();
    broker.create_topic("lines", 1, &[]);
    // tansu answers a group join after half the session timeout (docs/tansu.md).
    let s = Setup::with_worker_props(&broker, &[("consumer.session.timeout.ms", "6000")]);
    install(&s.plugin_path, "sink", LINES_SINK);
    let mut worker = s.start();
    let http = Http::new();
    let out = s.file("lines.txt");
    // The plugin's Drop applies only where its ValueContains predicate matches.
    create(
        &http,
        &s,
        "lines",
        json!({
            "connector.class": "LinesSink",
            "topics": "lines",
            "file": out.to_str().unwrap(),
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "transforms": "skip",
            "transforms.skip.type": "io.rconnect.tests.Drop",
            "transforms.skip.predicate": "marked",
            "predicates": "marked",
            "predicates.marked.type": "ValueContains",
            "predicates.marked.substring": "drop-me",
        }),
    );
    broker.produce(
        "lines",
        &[
            (None, Some(b"keep 1")),
            (None, Some(b"drop-me 2")),
            (None, Some(b"keep 3")),
        ],
    );
    // open, then put and flush (at the offset commit): the lines cross in order.
    wait_for_lines(&out, &["# open lines-0", "keep 1", "keep 3"]);
    let (_, status) = http.get_json(&s.url("/connectors/lines/status"));
    assert_eq!(task_state(&status), "RUNNING", "{status}");
    assert!(worker.stop().success());
}
