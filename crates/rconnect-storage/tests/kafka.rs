//! The stores against a real tansu broker: topic creation, two "workers" sharing the
//! topics, and the raw topic contents read back with a plain consumer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rconnect_config::WorkerConfig;
use rconnect_kafka::{Admin, KafkaConfig};
use rconnect_runtime::config_store::{ConfigStore, ConfigUpdate, RestartRequest, SessionKey};
use rconnect_runtime::herder::{ConnectorTaskId, State, TargetState};
use rconnect_runtime::offsets::{offset_key, OffsetBackingStore};
use rconnect_runtime::status::{Status, StatusStore, TopicStatus};
use rconnect_sdk::Props;
use rconnect_storage::{
    ensure_internal_topics, KafkaConfigStore, KafkaOffsetStore, KafkaStatusStore,
};
use rconnect_tests::{unique_name, Broker};
use serde_json::{json, Value as Json};

const T: Duration = Duration::from_secs(20);

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

struct Topics {
    config: String,
    offsets: String,
    status: String,
}

fn topics() -> Topics {
    Topics {
        config: unique_name("cfg"),
        offsets: unique_name("off"),
        status: unique_name("st"),
    }
}

fn worker(broker: &Broker, t: &Topics, extra: &[(&str, &str)]) -> WorkerConfig {
    let mut p = Props::new();
    for (k, v) in [
        ("bootstrap.servers", broker.bootstrap().as_str()),
        ("group.id", "connect-cluster"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("config.storage.topic", t.config.as_str()),
        ("offset.storage.topic", t.offsets.as_str()),
        ("status.storage.topic", t.status.as_str()),
        ("config.storage.replication.factor", "1"),
        ("offset.storage.replication.factor", "1"),
        ("status.storage.replication.factor", "1"),
        ("offset.storage.partitions", "4"),
        ("status.storage.partitions", "3"),
    ] {
        p.insert(k.into(), v.into());
    }
    for (k, v) in extra {
        p.insert(k.to_string(), v.to_string());
    }
    WorkerConfig::distributed(p).expect("valid worker config")
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Polls `check` until it holds or `T` passes.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + T;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn admin(broker: &Broker) -> Admin {
    Admin::new(&KafkaConfig::admin(&broker.bootstrap(), "test-admin")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_topics_are_created_compacted() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    let w = worker(&broker, &t, &[("offset.storage.segment.bytes", "1048576")]);
    ensure_internal_topics(&w).await.unwrap();
    assert_eq!(broker.partition_count(&t.config), Some(1));
    assert_eq!(broker.partition_count(&t.offsets), Some(4));
    assert_eq!(broker.partition_count(&t.status), Some(3));
    let admin = admin(&broker);
    for topic in [&t.config, &t.offsets, &t.status] {
        let configs = admin.describe_topic_config(topic, T).await.unwrap();
        assert_eq!(
            configs.get("cleanup.policy"),
            Some(&Some("compact".to_string())),
            "{topic}: {configs:?}"
        );
    }
    let offsets = admin.describe_topic_config(&t.offsets, T).await.unwrap();
    assert_eq!(
        offsets.get("segment.bytes"),
        Some(&Some("1048576".to_string()))
    );
    // Existing topics pass the checks.
    ensure_internal_topics(&w).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_topics_are_checked() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    broker.create_topic(&t.config, 2, &[("cleanup.policy", "compact")]);
    let err = ensure_internal_topics(&worker(&broker, &t, &[]))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is required to have a single partition")
            && err.contains("found 2 partitions"),
        "{err}"
    );
    let err = KafkaConfigStore::start(&worker(&broker, &t, &[]))
        .await
        .err()
        .expect("a 2-partition config topic is refused")
        .to_string();
    assert!(err.contains("single partition"), "{err}");

    let t = topics();
    broker.create_topic(&t.status, 1, &[("cleanup.policy", "delete")]);
    let err = ensure_internal_topics(&worker(&broker, &t, &[]))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "'status.storage.topic' property is required to have 'cleanup.policy=compact'"
        ) && err.contains("'cleanup.policy=delete'"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_store_shared_by_two_workers() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    let w = worker(&broker, &t, &[]);
    ensure_internal_topics(&w).await.unwrap();
    // History written by a Java worker, with an unknown key, a malformed value, a restart
    // request (ignored: read at startup) and a deleted connector whose task commit survives.
    broker.produce(
        &t.config,
        &[
            (
                Some(b"connector-old"),
                Some(br#"{"properties":{"name":"old"}}"#),
            ),
            (Some(b"future-kind-x"), Some(b"{}")),
            (Some(b"connector-bad"), Some(b"{not json")),
            (
                Some(b"restart-connector-old"),
                Some(br#"{"include-tasks":true,"only-failed":false}"#),
            ),
            (Some(b"connector-gone"), None),
            (Some(b"task-gone-0"), Some(br#"{"properties":{}}"#)),
            (Some(b"commit-gone"), Some(br#"{"tasks":1}"#)),
        ],
    );
    let a = KafkaConfigStore::start(&w).await.unwrap();
    let b = KafkaConfigStore::start(&w).await.unwrap();
    let snap = b.snapshot();
    // The malformed record does not count (Java records no offset for it): 7 records, the
    // last at offset 6.
    assert_eq!(snap.offset, 7);
    assert_eq!(snap.connectors.keys().collect::<Vec<_>>(), vec!["old"]);
    let mut events = b.subscribe();

    let config = props(&[
        ("connector.class", "FileStreamSource"),
        ("name", "my-fs"),
        ("tasks.max", "2"),
    ]);
    a.put_connector_config("my-fs", &config, Some(TargetState::Paused))
        .await
        .unwrap();
    let tasks = vec![
        props(&[("task.class", "T"), ("i", "0")]),
        props(&[("task.class", "T"), ("i", "1")]),
    ];
    a.put_task_configs("my-fs", &tasks).await.unwrap();
    assert_eq!(a.snapshot().connectors["my-fs"].tasks, tasks);

    b.read_to_end().await.unwrap();
    let snap = b.snapshot();
    let c = &snap.connectors["my-fs"];
    assert_eq!(c.config, config);
    assert_eq!(c.target_state, TargetState::Paused);
    assert_eq!(c.tasks, tasks);
    assert_eq!(c.applied_config.as_ref(), Some(&config));
    assert_eq!(c.task_config_generation, 0);
    assert_eq!(snap.offset, a.snapshot().offset);
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert_eq!(
        seen,
        vec![
            ConfigUpdate::TargetState("my-fs".into()),
            ConfigUpdate::ConnectorConfig("my-fs".into()),
            ConfigUpdate::TaskConfigs("my-fs".into()),
        ]
    );

    // Any worker may write target states; the other sees it without asking.
    b.put_target_state("my-fs", TargetState::Stopped)
        .await
        .unwrap();
    eventually("the STOPPED target state on worker a", || {
        a.snapshot().connectors["my-fs"].target_state == TargetState::Stopped
    })
    .await;

    let mut a_events = a.subscribe();
    let restart = RestartRequest {
        connector: "my-fs".into(),
        include_tasks: true,
        only_failed: true,
    };
    b.put_restart_request(&restart).await.unwrap();
    let got = tokio::time::timeout(T, a_events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, ConfigUpdate::Restart(restart));

    // A cluster-wide log level (KIP-976) written by one worker reaches the other as written.
    b.put_logger_level("org.example", "debug").await.unwrap();
    let got = tokio::time::timeout(T, a_events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        ConfigUpdate::LoggerLevel {
            namespace: "org.example".into(),
            level: "debug".into()
        }
    );

    let key = SessionKey {
        key: vec![7; 32],
        algorithm: "HmacSHA256".into(),
        creation_timestamp: 1_700_000_000_000,
    };
    a.put_session_key(&key).await.unwrap();
    b.read_to_end().await.unwrap();
    assert_eq!(b.snapshot().session_key, Some(key));

    a.remove_connector_config("my-fs").await.unwrap();
    b.read_to_end().await.unwrap();
    assert!(!b.snapshot().connectors.contains_key("my-fs"));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_store_shared_by_two_workers() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    let w = worker(&broker, &t, &[]);
    ensure_internal_topics(&w).await.unwrap();
    let a = KafkaStatusStore::start(&w).await.unwrap();
    let b = KafkaStatusStore::start(&w).await.unwrap();
    let st = |state, worker: &str, generation| Status {
        state,
        trace: None,
        worker_id: worker.into(),
        generation,
    };
    let task = ConnectorTaskId {
        connector: "my-conn".into(),
        task: 1,
    };

    a.put_connector("my-conn", st(State::Running, "a:8083", 3));
    a.put_task(&task, st(State::Running, "a:8083", 3));
    // No read_to_end: the background reader brings other workers' writes.
    eventually("worker a's statuses on worker b", || {
        b.task(&task) == Some(st(State::Running, "a:8083", 3)) && b.connector("my-conn").is_some()
    })
    .await;

    // A safe write from an older generation on another worker is dropped...
    b.put_task(&task, st(State::Unassigned, "b:8083", 2));
    b.flush().await.unwrap();
    a.read_to_end().await.unwrap();
    assert_eq!(a.task(&task), Some(st(State::Running, "a:8083", 3)));
    // ...a non-safe one is written...
    b.put_task(&task, st(State::Paused, "b:8083", 2));
    // ...and so is a safe one with a newer generation.
    b.put_task(&task, st(State::Failed, "b:8083", 4));
    b.flush().await.unwrap();
    a.read_to_end().await.unwrap();
    assert_eq!(a.task(&task), Some(st(State::Failed, "b:8083", 4)));
    // A stale UNASSIGNED (same generation as the cached RUNNING) is ignored on read.
    a.put_task(&task, st(State::Running, "a:8083", 5));
    a.flush().await.unwrap();
    b.read_to_end().await.unwrap();
    b.put_task(&task, st(State::Unassigned, "b:8083", 5));
    b.flush().await.unwrap();
    a.read_to_end().await.unwrap();
    b.read_to_end().await.unwrap();
    assert_eq!(a.task(&task), Some(st(State::Running, "a:8083", 5)));
    assert_eq!(b.task(&task), Some(st(State::Running, "a:8083", 5)));
    // connector RUNNING, task RUNNING, PAUSED, FAILED, RUNNING, UNASSIGNED: the stale
    // UNASSIGNED of generation 2 was never sent.
    let raw = broker.consume_all(&t.status, 6, T);
    assert_eq!(raw.len(), 6);
    assert!(
        raw.iter().any(|r| r
            .1
            .as_deref()
            .is_some_and(|v| v.starts_with(b"{\"state\":\"UNASSIGNED\""))),
        "the UNASSIGNED record was written, only ignored on read"
    );

    let task0 = ConnectorTaskId {
        connector: "my-conn".into(),
        task: 0,
    };
    a.put_task(&task0, st(State::Running, "a:8083", 5));
    a.flush().await.unwrap();
    b.read_to_end().await.unwrap();
    assert_eq!(
        b.tasks("my-conn").keys().copied().collect::<Vec<_>>(),
        vec![0, 1]
    );

    // Active topics (KIP-558): Java's key and value, seen by the other worker; a reset on
    // one worker tells the other's tasks to record again.
    let topic_status = |topic: &str| TopicStatus {
        topic: topic.into(),
        connector: "my-conn".into(),
        task: 1,
        discover_timestamp: 1_700_000_000_123,
    };
    a.put_topic(topic_status("orders"));
    a.put_topic(topic_status("refunds"));
    a.flush().await.unwrap();
    b.read_to_end().await.unwrap();
    assert_eq!(b.topic("my-conn", "orders"), Some(topic_status("orders")));
    assert_eq!(b.topics("my-conn").len(), 2);
    let raw = broker.consume_all(&t.status, 9, T);
    let orders = raw
        .iter()
        .find(|r| r.0.as_deref() == Some(&b"status-topic-orders:connector-my-conn"[..]))
        .expect("the topic record");
    assert_eq!(
        text(&orders.1).as_deref(),
        Some(
            r#"{"topic":{"name":"orders","connector":"my-conn","task":1,"discoverTimestamp":1700000000123}}"#
        )
    );
    let removals = a.topic_removals();
    b.delete_topic("my-conn", "refunds");
    b.flush().await.unwrap();
    a.read_to_end().await.unwrap();
    assert_eq!(a.topic("my-conn", "refunds"), None);
    assert_ne!(a.topic_removals(), removals);

    assert_eq!(a.connectors(), vec!["my-conn".to_string()]);
    // Deletion tombstones the connector, its tasks and its topics.
    b.delete_connector("my-conn");
    b.flush().await.unwrap();
    a.read_to_end().await.unwrap();
    assert_eq!(a.connector("my-conn"), None);
    assert!(a.tasks("my-conn").is_empty());
    assert!(a.topics("my-conn").is_empty());
    assert!(a.connectors().is_empty());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_shared_by_two_workers() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    let w = worker(&broker, &t, &[]);
    ensure_internal_topics(&w).await.unwrap();
    let a = KafkaOffsetStore::start(&w).await.unwrap();
    let b = KafkaOffsetStore::start(&w).await.unwrap();
    let partition = json!({"protocol": "1", "table": "t"})
        .as_object()
        .unwrap()
        .clone();
    let key = offset_key("src", &partition.clone().into());
    a.set(vec![
        (key.clone(), Some(br#"{"position":7}"#.to_vec())),
        (b"[\"src\",{\"x\":1}]".to_vec(), Some(b"{\"p\":1}".to_vec())),
    ])
    .await
    .unwrap();
    // Another key order (as a Java worker may have written it) finds the same entry.
    let reordered = br#"["src",{"table":"t","protocol":"1"}]"#.to_vec();
    assert_eq!(
        b.get(&[reordered.clone(), b"[\"nope\",{}]".to_vec()])
            .await
            .unwrap(),
        vec![Some(br#"{"position":7}"#.to_vec()), None]
    );
    assert_eq!(b.entries().await.len(), 2);
    // The two spellings hash to different partitions: written as given, the tombstone could
    // be read before the record it deletes. The store sends it with the stored bytes.
    let partitions = w.distributed.as_ref().unwrap().offset_storage_partitions;
    assert_ne!(
        java_partition(&reordered, partitions),
        java_partition(&key, partitions)
    );
    b.set(vec![(reordered, None)]).await.unwrap();
    assert_eq!(a.get(std::slice::from_ref(&key)).await.unwrap(), vec![None]);
    assert_eq!(a.entries().await.len(), 1);
    a.stop().await;
    b.stop().await;
    // Both records of the entry carry the first writer's bytes, on one partition.
    let records = broker.consume_all(&t.offsets, 3, T);
    let entry: Vec<_> = records
        .iter()
        .filter(|r| r.0.as_deref() != Some(&b"[\"src\",{\"x\":1}]"[..]))
        .map(|r| (r.0.clone(), r.1.is_some(), r.2))
        .collect();
    let home = java_partition(&key, partitions);
    assert_eq!(
        entry,
        vec![(Some(key.clone()), true, home), (Some(key), false, home)]
    );
}

/// Java's `Utils.murmur2`.
fn murmur2(data: &[u8]) -> i32 {
    let seed: u32 = 0x9747b28c;
    let m: u32 = 0x5bd1e995;
    let r = 24;
    let length = data.len();
    let mut h: u32 = seed ^ (length as u32);
    let chunks = length / 4;
    for i in 0..chunks {
        let i4 = i * 4;
        let mut k = u32::from_le_bytes([data[i4], data[i4 + 1], data[i4 + 2], data[i4 + 3]]);
        k = k.wrapping_mul(m);
        k ^= k >> r;
        k = k.wrapping_mul(m);
        h = h.wrapping_mul(m);
        h ^= k;
    }
    let tail = &data[chunks * 4..];
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(m);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(m);
    h ^= h >> 15;
    h as i32
}

fn java_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fffffff) % partitions
}

fn text(b: &Option<Vec<u8>>) -> Option<String> {
    b.as_ref().map(|b| String::from_utf8(b.clone()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_contents_match_the_spec() {
    init_tracing();
    let broker = Broker::start();
    let t = topics();
    let w = worker(&broker, &t, &[]);
    ensure_internal_topics(&w).await.unwrap();
    let configs = KafkaConfigStore::start(&w).await.unwrap();
    let statuses = KafkaStatusStore::start(&w).await.unwrap();
    let offsets = KafkaOffsetStore::start(&w).await.unwrap();

    let config = props(&[
        ("connector.class", "FileStreamSource"),
        ("file", "/in"),
        ("name", "fs"),
        ("tasks.max", "2"),
        ("topic", "t"),
    ]);
    configs
        .put_connector_config("fs", &config, Some(TargetState::Started))
        .await
        .unwrap();
    configs
        .put_task_configs(
            "fs",
            &[
                props(&[(
                    "task.class",
                    "org.apache.kafka.connect.file.FileStreamSourceTask",
                )]),
                props(&[("b", "2")]),
            ],
        )
        .await
        .unwrap();
    configs
        .put_target_state("fs", TargetState::Stopped)
        .await
        .unwrap();
    configs
        .put_session_key(&SessionKey {
            key: b"ab".to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 12,
        })
        .await
        .unwrap();
    configs
        .put_restart_request(&RestartRequest {
            connector: "fs".into(),
            include_tasks: false,
            only_failed: true,
        })
        .await
        .unwrap();
    configs.remove_connector_config("fs").await.unwrap();

    let failed = Status {
        state: State::Failed,
        trace: Some("boom\n\tat here\n".into()),
        worker_id: "10.0.0.5:8083".into(),
        generation: 7,
    };
    statuses.put_connector(
        "fs",
        Status {
            state: State::Running,
            trace: None,
            worker_id: "10.0.0.5:8083".into(),
            generation: 7,
        },
    );
    statuses.put_task(
        &ConnectorTaskId {
            connector: "fs".into(),
            task: 0,
        },
        failed,
    );
    statuses.put_task(
        &ConnectorTaskId {
            connector: "fs".into(),
            task: 1,
        },
        Status {
            state: State::Destroyed,
            trace: None,
            worker_id: "w:1".into(),
            generation: 7,
        },
    );
    statuses.flush().await.unwrap();

    let partition = json!({"filename": "/tmp/test.txt"})
        .as_object()
        .unwrap()
        .clone();
    offsets
        .set(vec![(
            offset_key("local-file-source", &partition.clone().into()),
            Some(br#"{"position":1234}"#.to_vec()),
        )])
        .await
        .unwrap();

    let expected_config: Vec<(&str, Option<&str>)> = vec![
        (
            "target-state-fs",
            Some(r#"{"state":"STARTED","state.v2":"STARTED"}"#),
        ),
        (
            "connector-fs",
            Some(
                r#"{"properties":{"connector.class":"FileStreamSource","file":"/in","name":"fs","tasks.max":"2","topic":"t"}}"#,
            ),
        ),
        (
            "task-fs-0",
            Some(
                r#"{"properties":{"task.class":"org.apache.kafka.connect.file.FileStreamSourceTask"}}"#,
            ),
        ),
        ("task-fs-1", Some(r#"{"properties":{"b":"2"}}"#)),
        ("commit-fs", Some(r#"{"tasks":2}"#)),
        (
            "target-state-fs",
            Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#),
        ),
        (
            "session-key",
            Some(r#"{"key":"YWI=","algorithm":"HmacSHA256","creation-timestamp":12}"#),
        ),
        (
            "restart-connector-fs",
            Some(r#"{"include-tasks":false,"only-failed":true}"#),
        ),
        ("connector-fs", None),
        ("target-state-fs", None),
    ];
    let records = broker.consume_all(&t.config, expected_config.len(), T);
    let got: Vec<(Option<String>, Option<String>)> =
        records.iter().map(|r| (text(&r.0), text(&r.1))).collect();
    let want: Vec<(Option<String>, Option<String>)> = expected_config
        .iter()
        .map(|(k, v)| (Some(k.to_string()), v.map(str::to_string)))
        .collect();
    assert_eq!(got, want);

    let records = broker.consume_all(&t.status, 3, T);
    let mut by_key: BTreeMap<String, (Option<String>, i32)> = BTreeMap::new();
    for r in &records {
        let key = text(&r.0).unwrap();
        assert_eq!(
            r.2,
            java_partition(key.as_bytes(), 3),
            "{key} is on Java's partition"
        );
        by_key.insert(key, (text(&r.1), r.2));
    }
    assert_eq!(
        by_key["status-connector-fs"].0.as_deref(),
        Some(r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#)
    );
    assert_eq!(
        by_key["status-task-fs-0"].0.as_deref(),
        Some(
            r#"{"state":"FAILED","trace":"boom\n\tat here\n","worker_id":"10.0.0.5:8083","generation":7}"#
        )
    );
    assert_eq!(
        by_key["status-task-fs-1"].0, None,
        "DESTROYED is a tombstone"
    );
    for (key, (value, _)) in &by_key {
        if let Some(v) = value {
            let v: Json = serde_json::from_str(v).unwrap();
            let fields: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert_eq!(
                fields,
                ["state", "trace", "worker_id", "generation"],
                "{key}"
            );
        }
    }

    let records = broker.consume_all(&t.offsets, 1, T);
    let key = br#"["local-file-source",{"filename":"/tmp/test.txt"}]"#;
    assert_eq!(records[0].0.as_deref(), Some(&key[..]));
    assert_eq!(records[0].1.as_deref(), Some(&br#"{"position":1234}"#[..]));
    assert_eq!(records[0].2, java_partition(key, 4));

    configs.stop().await;
    statuses.stop().await;
    offsets.stop().await;
}
