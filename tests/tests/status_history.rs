//! The status records an rconnect worker writes for in-place restarts, read back from the
//! status topic: Java's `DistributedHerder#doRestartConnectorAndTasks` writes UNASSIGNED
//! (the stop), RESTARTING, RUNNING for a restart with `includeTasks`/`onlyFailed`, and the
//! legacy connector restart and the task restart write UNASSIGNED then RUNNING.
//! (`java_interop.rs` compares the same sequence with a Java worker's.)
//!
//! Build first: `cargo build -p rconnect`.

use std::collections::BTreeMap;
use std::time::Duration;

use rconnect_tests::{
    free_port, restart_status_history, unique_name, write_properties, Broker, Worker,
};

#[test]
fn restarts_write_java_status_history_to_the_status_topic() {
    let broker = Broker::start();
    let dir = rconnect_tests::tempfile::tempdir().unwrap();
    let group = unique_name("history");
    let port = free_port();
    let props: BTreeMap<&str, String> = [
        ("bootstrap.servers", broker.bootstrap()),
        ("group.id", group.clone()),
        ("config.storage.topic", format!("{group}-configs")),
        ("offset.storage.topic", format!("{group}-offsets")),
        ("status.storage.topic", format!("{group}-status")),
        ("config.storage.replication.factor", "1".into()),
        ("offset.storage.replication.factor", "1".into()),
        ("status.storage.replication.factor", "1".into()),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter".into(),
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".into(),
        ),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("rest.advertised.host.name", "127.0.0.1".into()),
        ("session.timeout.ms", "6000".into()),
        ("heartbeat.interval.ms", "1000".into()),
        ("scheduled.rebalance.max.delay.ms", "0".into()),
        ("consumer.session.timeout.ms", "6000".into()),
        ("consumer.heartbeat.interval.ms", "1000".into()),
    ]
    .into_iter()
    .collect();
    let path = dir.path().join("worker.properties");
    write_properties(&path, &props);
    let mut w = Worker::start(&["distributed", path.to_str().unwrap()], &[]);
    w.wait_for_rest(port, Duration::from_secs(60));

    let history = restart_status_history(
        &broker,
        &format!("{group}-status"),
        port,
        "hist",
        &dir.path().join("hist.out"),
    );
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        history,
        vec![
            s(&["UNASSIGNED", "RESTARTING", "RUNNING"]),
            s(&["UNASSIGNED", "RESTARTING", "RUNNING"]),
            s(&["UNASSIGNED", "RUNNING"]),
            s(&["UNASSIGNED", "RUNNING"]),
        ],
        "connector and task after restart?includeTasks=true, connector after the legacy \
         restart, task after the task restart"
    );
}
