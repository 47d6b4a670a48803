//! Self-test of the broker harness: a real tansu broker round trip.

use std::time::Duration;

use rconnect_tests::{Broker, KeyValue, OwnedKeyValue};

#[test]
fn broker_round_trip() {
    let broker = Broker::start();
    broker.create_topic("harness-topic", 3, &[]);
    assert_eq!(broker.partition_count("harness-topic"), Some(3));
    assert!(broker.topics().iter().any(|t| t == "harness-topic"));

    let keys: Vec<Vec<u8>> = (0..10).map(|i| format!("k{i}").into_bytes()).collect();
    let values: Vec<Vec<u8>> = (0..10).map(|i| format!("v{i}").into_bytes()).collect();
    let mut records: Vec<KeyValue<'_>> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| (Some(k.as_slice()), Some(v.as_slice())))
        .collect();
    // A tombstone with a null key, to check nulls survive the round trip.
    records[9] = (None, None);
    broker.produce("harness-topic", &records);

    assert_eq!(broker.high_watermarks("harness-topic"), 10);
    let read = broker.consume_all("harness-topic", 10, Duration::from_secs(30));
    assert_eq!(read.len(), 10);
    let mut got: Vec<OwnedKeyValue> = read
        .iter()
        .map(|(k, v, _, _)| (k.clone(), v.clone()))
        .collect();
    let mut want: Vec<OwnedKeyValue> = records
        .iter()
        .map(|(k, v)| (k.map(<[u8]>::to_vec), v.map(<[u8]>::to_vec)))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for (_, _, partition, offset) in &read {
        assert!((0..3).contains(partition));
        assert!(*offset >= 0);
    }
}

#[test]
fn broker_rejects_duplicate_topic_and_isolates_instances() {
    let a = Broker::start();
    let b = Broker::start();
    assert_ne!(a.port(), b.port());
    a.create_topic("only-in-a", 1, &[("cleanup.policy", "compact")]);
    assert_eq!(a.partition_count("only-in-a"), Some(1));
    assert_eq!(b.partition_count("only-in-a"), None);
    let dup = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.create_topic("only-in-a", 1, &[]);
    }));
    assert!(dup.is_err(), "creating an existing topic must fail");
}
