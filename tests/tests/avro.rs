//! Confluent's AvroConverter end to end: the registry client against the test Schema Registry
//! (`rconnect_tests::schema_registry`), and the real binary on tansu writing Avro that
//! Confluent's Python client (`confluent-kafka`'s AvroDeserializer, an independent Avro
//! implementation) reads back, and reading Avro that its AvroSerializer wrote.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rconnect_avro::registry::{HttpRegistry, SchemaRegistryClient};
use rconnect_avro::{AvroConverter, AvroConverterConfig, RegistryError};
use rconnect_sdk::converter::Converter;
use rconnect_sdk::data::{Headers, Schema, SchemaBuilder, Struct, Value};
use rconnect_sdk::Props;
use rconnect_tests::schema_registry::SchemaRegistry;
use rconnect_tests::{
    confluent_python, free_port, python, repo_root, sample_config_with, Broker, Http, Worker,
};
use serde_json::json;

fn props(kv: &[(&str, String)]) -> Props {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn converter(kv: &[(&str, String)]) -> AvroConverter {
    let mut c = AvroConverter::default();
    c.configure(&props(kv), false).expect("converter config");
    c
}

fn user_v1() -> rconnect_sdk::data::SchemaRef {
    SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .build()
}

fn user(schema: &rconnect_sdk::data::SchemaRef, fields: &[(&str, Value)]) -> Value {
    let mut s = Struct::new(schema.clone());
    for (k, v) in fields {
        s.put(k, v.clone()).unwrap();
    }
    Value::Struct(s)
}

#[tokio::test]
async fn registry_client_follows_the_rest_api() {
    let reg = SchemaRegistry::start(None);
    let config = AvroConverterConfig::parse(&props(&[("schema.registry.url", reg.url())])).unwrap();
    let client = HttpRegistry::new(&config).unwrap();
    let v1 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    assert_eq!(client.register("t-value", v1, false).await.unwrap(), 1);
    assert_eq!(client.register("t-value", v1, false).await.unwrap(), 1);
    assert_eq!(
        reg.registrations(),
        1,
        "the same schema twice is one version"
    );
    let found = client.lookup("t-value", v1, false).await.unwrap();
    assert_eq!((found.id, found.version), (1, 1));
    assert_eq!(client.schema_by_id(1, None).await.unwrap(), v1);
    let missing = |e: RegistryError| e.error_code();
    assert_eq!(
        missing(client.schema_by_id(99, None).await.unwrap_err()),
        Some(40403)
    );
    assert_eq!(
        missing(client.latest("nope").await.unwrap_err()),
        Some(40401)
    );
    assert_eq!(
        missing(
            client
                .lookup("t-value", r#""string""#, false)
                .await
                .unwrap_err()
        ),
        Some(40403)
    );
    // A new required field without a default cannot read old data: 409 under BACKWARD.
    let v2 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
    let e = client.register("t-value", v2, false).await.unwrap_err();
    assert_eq!(e.error_code(), Some(409), "{e}");
    assert!(!e.is_retriable());
    let v2 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}]}"#;
    assert_eq!(client.register("t-value", v2, false).await.unwrap(), 2);
    assert_eq!(client.latest("t-value").await.unwrap().version, 2);
    // Raw API answers.
    let http = Http::new();
    let (code, body) = http.post_json(
        &format!("{}/subjects/t-value/versions", reg.url()),
        &json!({"schema": "{\"type\":\"nope\"}"}),
    );
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("42201"), "{body}");
    let (code, body) = http.get(&format!("{}/subjects/t-value/versions/7", reg.url()));
    assert_eq!((code, body.contains("40402")), (404, true), "{body}");
    let (code, body) = http.get(&format!("{}/subjects/t-value/versions/abc", reg.url()));
    assert_eq!((code, body.contains("42202")), (422, true), "{body}");
}

#[tokio::test]
async fn converter_errors_name_the_subject_and_registry_outages_are_retriable() {
    let reg = SchemaRegistry::start(None);
    let fast = |url: String| {
        vec![
            ("schema.registry.url", url),
            ("max.retries", "1".to_string()),
            ("retries.wait.ms", "10".to_string()),
        ]
    };
    let c = converter(&fast(reg.url()));
    let v1 = user_v1();
    let bytes = c
        .from_connect(
            "users",
            &mut Headers::new(),
            Some(&v1),
            &user(&v1, &[("id", Value::Int64(1))]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&bytes[..5], [0, 0, 0, 0, 1]);
    // A steady stream asks the registry nothing.
    let before = reg.requests();
    for i in 0..100 {
        c.from_connect(
            "users",
            &mut Headers::new(),
            Some(&v1),
            &user(&v1, &[("id", Value::Int64(i))]),
        )
        .await
        .unwrap();
        c.to_connect("users", &Headers::new(), Some(&bytes))
            .await
            .unwrap();
    }
    assert_eq!(
        reg.requests() - before,
        2,
        "one schema fetch and one version lookup for reads"
    );

    let incompatible = SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .field("email", Schema::string())
        .build();
    let e = c
        .from_connect(
            "users",
            &mut Headers::new(),
            Some(&incompatible),
            &user(
                &incompatible,
                &[("id", Value::Int64(1)), ("email", Value::from("a@b"))],
            ),
        )
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(!e.is_retriable(), "{msg}");
    assert!(
        msg.contains("users-value") && msg.contains("incompatible") && msg.contains("409"),
        "{msg}"
    );

    // The registry down: a retriable error, and the same call succeeds once it is back.
    reg.set_unavailable(true);
    let v2 = SchemaBuilder::struct_()
        .name("com.example.User")
        .field("id", Schema::int64())
        .field("email", Schema::optional_string())
        .build();
    let record = user(&v2, &[("id", Value::Int64(2))]);
    let e = c
        .from_connect("users", &mut Headers::new(), Some(&v2), &record)
        .await
        .unwrap_err();
    assert!(e.is_retriable(), "{e}");
    reg.set_unavailable(false);
    let b2 = c
        .from_connect("users", &mut Headers::new(), Some(&v2), &record)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&b2[..5], [0, 0, 0, 0, 2]);

    // Nothing listening: retriable, naming the URL.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let e = converter(&fast(dead.clone()))
        .from_connect(
            "users",
            &mut Headers::new(),
            Some(&v1),
            &user(&v1, &[("id", Value::Int64(1))]),
        )
        .await
        .unwrap_err();
    assert!(e.is_retriable() && e.to_string().contains(&dead), "{e}");

    // Bad payloads.
    for (bytes, needle) in [
        (vec![1u8, 0, 0, 0, 1, 2], "Unknown magic byte"),
        (vec![0u8, 0, 0], "Unknown magic byte"),
        (vec![0u8, 0, 0, 0, 99, 2], "40403"),
        (vec![0u8, 0, 0, 0, 1], "ends before"),
    ] {
        let e = c
            .to_connect("users", &Headers::new(), Some(&bytes))
            .await
            .unwrap_err();
        assert!(e.to_string().contains(needle), "{bytes:?}: {e}");
        assert!(e.to_string().contains("topic users"), "{e}");
    }
}

#[tokio::test]
async fn wrong_credentials_fail_with_the_registry_answer() {
    let reg = SchemaRegistry::start(Some(("connect", "secret")));
    let with = |info: &str| {
        converter(&[
            ("schema.registry.url", reg.url()),
            ("basic.auth.credentials.source", "USER_INFO".to_string()),
            ("basic.auth.user.info", info.to_string()),
        ])
    };
    let v1 = user_v1();
    let rec = user(&v1, &[("id", Value::Int64(1))]);
    let e = with("connect:wrong")
        .from_connect("users", &mut Headers::new(), Some(&v1), &rec)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Unauthorized"), "{e}");
    assert!(!e.is_retriable());
    with("connect:secret")
        .from_connect("users", &mut Headers::new(), Some(&v1), &rec)
        .await
        .unwrap();
}

// ------------------------------------------------------------------------ end to end

const PY_READ: &str = r#"
import json, sys
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
bootstrap, registry, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sr = SchemaRegistryClient({"url": registry})
de = AvroDeserializer(sr)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-avro", "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
seen = 0
while seen < count:
    m = c.poll(10)
    if m is None:
        sys.exit("timed out after %d records" % seen)
    if m.error():
        continue
    key = de(m.key(), SerializationContext(topic, MessageField.KEY))
    v = de(m.value(), SerializationContext(topic, MessageField.VALUE))
    print(json.dumps({"key": key, "id": v["id"], "customer": v["customer"], "amount": str(v["amount"]),
                      "created": int(v["created"].timestamp() * 1000)}))
    seen += 1
"#;

const PY_WRITE: &str = r#"
import sys
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import SerializationContext, MessageField
bootstrap, registry, topic = sys.argv[1], sys.argv[2], sys.argv[3]
schema = '{"type":"record","name":"Reading","namespace":"py","fields":[{"name":"sensor","type":"string"},{"name":"value","type":"double"},{"name":"count","type":["null","int"],"default":null}]}'
ser = AvroSerializer(SchemaRegistryClient({"url": registry}), schema)
p = Producer({"bootstrap.servers": bootstrap})
for i in range(3):
    v = ser({"sensor": "s%d" % i, "value": i + 0.5, "count": None if i == 1 else i}, SerializationContext(topic, MessageField.VALUE))
    p.produce(topic, key=("k%d" % i).encode(), value=v)
p.flush(30)
"#;

fn datagen_lib() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("<target>/<profile>");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", target_dir)
            .args(["build", "--quiet", "-p", "rconnect-example-datagen"])
            .status()
            .expect("cargo build the datagen plugin");
        assert!(status.success(), "building rconnect-example-datagen failed");
        profile_dir.join(format!(
            "{}rconnect_example_datagen.{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_EXTENSION
        ))
    })
    .clone()
}

fn wait_until(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> bool,
    log: impl Fn() -> String,
) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < timeout,
            "timed out waiting for {what}\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn avro_source_and_sink_interoperate_with_confluent_python_and_a_restart_registers_nothing() {
    let py = confluent_python();
    assert!(py.exists());
    let broker = Broker::start();
    let reg = SchemaRegistry::start(None);
    broker.create_topic("orders", 1, &[]);
    broker.create_topic("readings", 1, &[]);
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins/datagen");
    fs::create_dir_all(&plugins).unwrap();
    let lib = datagen_lib();
    fs::copy(&lib, plugins.join(lib.file_name().unwrap())).unwrap();
    let port = free_port();
    // The worker runs on the Avro sample config, with this test's addresses.
    let worker_props = sample_config_with(
        "connect-avro-standalone.properties",
        &[
            ("bootstrap.servers", broker.bootstrap()),
            ("key.converter.schema.registry.url", reg.url()),
            // An alias, as Java resolves it.
            ("value.converter", "AvroConverter".to_string()),
            ("value.converter.schema.registry.url", reg.url()),
            (
                "offset.storage.file.filename",
                dir.path().join("connect.offsets").display().to_string(),
            ),
            ("offset.flush.interval.ms", "500".to_string()),
            ("listeners", format!("http://127.0.0.1:{port}")),
            (
                "plugin.path",
                dir.path().join("plugins").display().to_string(),
            ),
            ("consumer.session.timeout.ms", "6000".to_string()),
            ("consumer.heartbeat.interval.ms", "1000".to_string()),
        ],
        dir.path(),
    );
    let source_props = dir.path().join("datagen.properties");
    let write_source = |max: u32| {
        fs::write(
            &source_props,
            format!(
                "name=orders-gen\nconnector.class=io.rconnect.examples.DataGenSourceConnector\ntasks.max=1\n\
                 topic=orders\nrecords.per.second=500\nmax.records={max}\n"
            ),
        )
        .unwrap()
    };
    write_source(10);
    let sink_file = dir.path().join("readings.txt");
    let sink_props = dir.path().join("sink.properties");
    fs::write(
        &sink_props,
        format!(
            "name=readings-sink\nconnector.class=FileStreamSink\ntasks.max=1\ntopics=readings\nfile={}\n\
             key.converter=org.apache.kafka.connect.storage.StringConverter\n",
            sink_file.display()
        ),
    )
    .unwrap();
    let args = [
        "standalone",
        worker_props.to_str().unwrap(),
        source_props.to_str().unwrap(),
        sink_props.to_str().unwrap(),
    ];
    let mut worker = Worker::start(&args, &[]);
    worker.wait_for_rest(port, Duration::from_secs(30));
    let bootstrap = broker.bootstrap();
    wait_until(
        "10 Avro orders",
        Duration::from_secs(30),
        || broker.high_watermarks("orders") >= 10,
        || worker.log_tail(40),
    );

    // Python's AvroDeserializer reads what rconnect wrote.
    let read = python(PY_READ, &[&bootstrap, &reg.url(), "orders", "10"]);
    let rows: Vec<serde_json::Value> = read
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 10);
    for (i, row) in rows.iter().enumerate() {
        let id = i as i64;
        let customers = ["alice", "bob", "carol", "dave"];
        assert_eq!(row["key"], json!(id), "{row}");
        assert_eq!(row["id"], json!(id), "{row}");
        assert_eq!(row["customer"], json!(customers[i % 4]), "{row}");
        let cents = 1000 + id * 25;
        assert_eq!(
            row["amount"],
            json!(format!("{}.{:02}", cents / 100, cents % 100)),
            "{row}"
        );
        assert_eq!(
            row["created"],
            json!(1_700_000_000_000 + id * 1000),
            "{row}"
        );
    }
    assert_eq!(reg.subjects(), ["orders-key", "orders-value"]);
    let value_schema = &reg.versions("orders-value")[0];
    assert!(
        value_schema.contains(r#""connect.name":"io.rconnect.examples.datagen.Order""#),
        "{value_schema}"
    );

    // rconnect reads what Python's AvroSerializer wrote.
    python(PY_WRITE, &[&bootstrap, &reg.url(), "readings"]);
    wait_until(
        "3 lines in the sink file",
        Duration::from_secs(30),
        || {
            fs::read_to_string(&sink_file)
                .map(|t| t.lines().count() >= 3)
                .unwrap_or(false)
        },
        || worker.log_tail(40),
    );
    let lines = fs::read_to_string(&sink_file).unwrap();
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        [
            "Struct{sensor=s0,value=0.5,count=0}",
            "Struct{sensor=s1,value=1.5}",
            "Struct{sensor=s2,value=2.5,count=2}"
        ]
    );

    // A restart continues the stream under the schemas already registered.
    let registered = reg.registrations();
    assert_eq!(registered, 3, "orders-key, orders-value, readings-value");
    worker.stop();
    write_source(20);
    let mut worker = Worker::start(&args, &[]);
    worker.wait_for_rest(port, Duration::from_secs(30));
    wait_until(
        "20 Avro orders",
        Duration::from_secs(30),
        || broker.high_watermarks("orders") >= 20,
        || worker.log_tail(40),
    );
    let read = python(PY_READ, &[&bootstrap, &reg.url(), "orders", "20"]);
    let last: serde_json::Value = serde_json::from_str(read.lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], json!(19));
    assert_eq!(
        reg.registrations(),
        registered,
        "a restart registers nothing new"
    );
    assert_eq!(reg.versions("orders-value").len(), 1);
    worker.stop();
}
