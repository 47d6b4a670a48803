//! Consumer against a real tansu broker: group membership, manual commits, rebalances.

mod common;

use std::time::{Duration, Instant};

use rconnect_kafka::{ConsumedRecord, Consumer, ConsumerEvent, TimestampType, TopicPartition};
use rconnect_tests::Broker;
use tokio::sync::mpsc::UnboundedReceiver;

fn produce_numbered(broker: &Broker, topic: &str, partition: i32, range: std::ops::Range<u32>) {
    let values: Vec<Vec<u8>> = range.map(|i| format!("{i}").into_bytes()).collect();
    let records: Vec<rconnect_tests::KeyValue<'_>> = values
        .iter()
        .map(|v| (Some(b"k".as_slice()), Some(v.as_slice())))
        .collect();
    broker.produce_to(topic, Some(partition), &records);
}

/// Polls until `n` records arrived (events are collected on the side).
async fn poll_n(
    consumer: &Consumer,
    events: &mut UnboundedReceiver<ConsumerEvent>,
    n: usize,
    seen: &mut Vec<ConsumerEvent>,
) -> Vec<ConsumedRecord> {
    let deadline = Instant::now() + common::LONG;
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            Instant::now() < deadline,
            "got {} of {n} records",
            out.len()
        );
        let batch = consumer
            .poll_batch(n - out.len(), Duration::from_millis(500))
            .await
            .expect("poll");
        out.extend(batch);
        seen.extend(common::drain(events));
    }
    out
}

/// Polls until an event matching `pred` shows up; returns the records read meanwhile.
async fn poll_until_event(
    consumer: &Consumer,
    events: &mut UnboundedReceiver<ConsumerEvent>,
    seen: &mut Vec<ConsumerEvent>,
    pred: impl Fn(&ConsumerEvent) -> bool,
) -> Vec<ConsumedRecord> {
    let deadline = Instant::now() + common::LONG;
    let mut records = Vec::new();
    loop {
        let new = common::drain(events);
        let hit = new.iter().any(&pred);
        seen.extend(new);
        if hit {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "event not seen; events so far: {seen:?}"
        );
        records.extend(
            consumer
                .poll_batch(100, Duration::from_millis(200))
                .await
                .expect("poll"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_then_second_consumer_resumes() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("orders", 1, &[]);
    produce_numbered(&broker, "orders", 0, 0..20);
    let tp = TopicPartition::new("orders", 0);

    let config = common::group_consumer(&broker.bootstrap(), "connect-orders", "c1");
    let (consumer, mut events) = Consumer::new(&config).expect("consumer");
    consumer
        .subscribe(&["orders".to_string()])
        .expect("subscribe");
    let mut seen = Vec::new();
    let started = Instant::now();
    let first = poll_n(&consumer, &mut events, 10, &mut seen).await;
    eprintln!("first 10 records after {:?}", started.elapsed());
    assert!(seen
        .iter()
        .any(|e| matches!(e, ConsumerEvent::Assigned(p) if p == &vec![tp.clone()])));
    assert_eq!(consumer.assignment().unwrap(), vec![tp.clone()]);
    assert!(consumer.member_id().is_some());
    let offsets: Vec<i64> = first.iter().map(|r| r.offset).collect();
    assert_eq!(offsets[..10], (0..10).collect::<Vec<i64>>()[..]);
    let r = &first[3];
    assert_eq!(&*r.topic, "orders");
    assert_eq!(r.key.as_deref(), Some(b"k".as_slice()));
    assert_eq!(r.value.as_deref(), Some(b"3".as_slice()));
    assert_eq!(r.timestamp_type, TimestampType::CreateTime);
    assert!(r.timestamp.is_some());

    // Commit "next offset to read" = 7, although 10 were read.
    consumer
        .commit(&[(tp.clone(), 7)], true)
        .await
        .expect("sync commit");
    let committed = consumer
        .committed(std::slice::from_ref(&tp), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(committed, vec![(tp.clone(), Some(7))]);
    assert_eq!(
        broker.committed_offsets("connect-orders", "orders"),
        vec![Some(7)]
    );
    consumer.close().await;

    let config = common::group_consumer(&broker.bootstrap(), "connect-orders", "c2");
    let (second, mut events2) = Consumer::new(&config).expect("consumer");
    second
        .subscribe(&["orders".to_string()])
        .expect("subscribe");
    let mut seen2 = Vec::new();
    let resumed = poll_n(&second, &mut events2, 13, &mut seen2).await;
    let offsets: Vec<i64> = resumed.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, (7..20).collect::<Vec<i64>>());

    // Asynchronous commit: the outcome comes back as an event while polling.
    second
        .commit(&[(tp.clone(), 20)], false)
        .await
        .expect("async commit");
    poll_until_event(&second, &mut events2, &mut seen2, |e| {
        matches!(e, ConsumerEvent::CommitCompleted { result: Ok(()), offsets }
            if offsets == &vec![(TopicPartition::new("orders", 0), 20)])
    })
    .await;
    assert_eq!(
        broker.committed_offsets("connect-orders", "orders"),
        vec![Some(20)]
    );
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalance_revocation_waits_for_commit() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("shared", 2, &[]);
    produce_numbered(&broker, "shared", 0, 0..5);
    produce_numbered(&broker, "shared", 1, 0..5);
    let all = vec![
        TopicPartition::new("shared", 0),
        TopicPartition::new("shared", 1),
    ];

    let config = common::group_consumer(&broker.bootstrap(), "connect-shared", "a");
    let (a, mut a_events) = Consumer::new(&config).expect("consumer a");
    a.subscribe(&["shared".to_string()]).unwrap();
    let mut a_seen = Vec::new();
    poll_n(&a, &mut a_events, 10, &mut a_seen).await;
    assert!(a_seen
        .iter()
        .any(|e| matches!(e, ConsumerEvent::Assigned(p) if p == &all)));

    // A second member joins: `a` must see its partitions revoked, and can still commit them
    // before the revocation is applied (by its next poll).
    let config = common::group_consumer(&broker.bootstrap(), "connect-shared", "b");
    let (b, mut b_events) = Consumer::new(&config).expect("consumer b");
    b.subscribe(&["shared".to_string()]).unwrap();
    let b_task = tokio::spawn(async move {
        let mut seen = Vec::new();
        let records = poll_until_event(
            &b,
            &mut b_events,
            &mut seen,
            |e| matches!(e, ConsumerEvent::Assigned(p) if !p.is_empty()),
        )
        .await;
        (b, b_events, seen, records)
    });

    let mut a_seen = Vec::new();
    poll_until_event(&a, &mut a_events, &mut a_seen, |e| {
        matches!(e, ConsumerEvent::Revoked { lost: false, .. })
    })
    .await;
    let revoked = a_seen
        .iter()
        .find_map(|e| match e {
            ConsumerEvent::Revoked { partitions, .. } => Some(partitions.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(revoked, all);
    // Still owned until the next poll: commit like onPartitionsRevoked does.
    assert_eq!(a.assignment().unwrap(), all);
    a.commit(&[(all[0].clone(), 5), (all[1].clone(), 4)], true)
        .await
        .expect("commit inside the revocation window");

    // Keep polling: the revocation completes and the group settles with one partition each.
    poll_until_event(
        &a,
        &mut a_events,
        &mut a_seen,
        |e| matches!(e, ConsumerEvent::Assigned(p) if p.len() == 1),
    )
    .await;
    let (b, _b_events, b_seen, mut b_records) = b_task.await.unwrap();
    let b_assigned = b_seen
        .iter()
        .rev()
        .find_map(|e| match e {
            ConsumerEvent::Assigned(p) if !p.is_empty() => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(b_assigned.len(), 1);
    let a_assigned = a.assignment().unwrap();
    assert_eq!(a_assigned.len(), 1);
    assert_ne!(a_assigned, b_assigned);
    assert_eq!(
        broker.committed_offsets("connect-shared", "shared"),
        vec![Some(5), Some(4)]
    );

    // b resumes from the committed offsets: nothing from partition 0, offset 4 of partition 1.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        b_records.extend(b.poll_batch(100, Duration::from_millis(200)).await.unwrap());
    }
    let b_offsets: Vec<(i32, i64)> = b_records.iter().map(|r| (r.partition, r.offset)).collect();
    if b_assigned[0].partition == 1 {
        assert_eq!(b_offsets, vec![(1, 4)]);
    } else {
        assert!(b_offsets.is_empty(), "{b_offsets:?}");
    }
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_seek_and_regex_subscription() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("logs-a", 1, &[]);
    broker.create_topic("logs-b", 1, &[]);
    broker.create_topic("xlogs-a", 1, &[]);
    produce_numbered(&broker, "logs-a", 0, 0..5);
    produce_numbered(&broker, "logs-b", 0, 0..5);
    produce_numbered(&broker, "xlogs-a", 0, 0..5);

    let config = common::group_consumer(&broker.bootstrap(), "connect-logs", "c")
        .with("topic.metadata.refresh.interval.ms", "1000");
    let (consumer, mut events) = Consumer::new(&config).expect("consumer");
    // Java matches the whole name: "logs-.*" must not pick up "xlogs-a".
    consumer.subscribe_regex("logs-.*").expect("subscribe");
    let mut seen = Vec::new();
    let records = poll_n(&consumer, &mut events, 10, &mut seen).await;
    let mut topics: Vec<&str> = records.iter().map(|r| &*r.topic).collect();
    topics.dedup();
    topics.sort();
    topics.dedup();
    assert_eq!(topics, vec!["logs-a", "logs-b"]);
    let mut assignment = consumer.assignment().unwrap();
    assignment.sort();
    assert_eq!(
        assignment,
        vec![
            TopicPartition::new("logs-a", 0),
            TopicPartition::new("logs-b", 0)
        ]
    );

    // Pause logs-a: new records there are held back; logs-b keeps flowing.
    let a = TopicPartition::new("logs-a", 0);
    consumer.pause(std::slice::from_ref(&a)).unwrap();
    produce_numbered(&broker, "logs-a", 0, 5..8);
    produce_numbered(&broker, "logs-b", 0, 5..8);
    let got = poll_n(&consumer, &mut events, 3, &mut seen).await;
    assert!(got.iter().all(|r| &*r.topic == "logs-b"), "{got:?}");
    let extra = consumer
        .poll_batch(100, Duration::from_secs(2))
        .await
        .unwrap();
    assert!(extra.is_empty(), "paused partition delivered {extra:?}");

    // Resume and rewind logs-a to offset 2: redelivers 2..8.
    consumer.resume(std::slice::from_ref(&a)).unwrap();
    consumer.seek(&a, 2).unwrap();
    let again = poll_n(&consumer, &mut events, 6, &mut seen).await;
    let offsets: Vec<(String, i64)> = again
        .iter()
        .map(|r| (r.topic.to_string(), r.offset))
        .collect();
    assert_eq!(
        offsets,
        (2..8)
            .map(|o| ("logs-a".to_string(), o))
            .collect::<Vec<_>>()
    );
    let positions = consumer.position().unwrap();
    assert!(positions.contains(&(a.clone(), Some(8))), "{positions:?}");
    consumer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigned_consumer_reads_headers_and_nulls() {
    let broker = Broker::start();
    broker.create_topic("plain", 1, &[]);
    let (producer, mut acks) = rconnect_kafka::Producer::new(
        &rconnect_kafka::KafkaConfig::source_producer(&broker.bootstrap(), "p"),
    )
    .unwrap();
    let headers = vec![
        ("a".to_string(), Some(b"1".to_vec())),
        ("n".to_string(), None),
    ];
    producer
        .send(
            &rconnect_kafka::ProducerRecord {
                topic: "plain",
                partition: Some(0),
                key: None,
                value: None,
                timestamp: Some(1234),
                headers: &headers,
            },
            1,
        )
        .unwrap();
    acks.recv().await.unwrap().result.unwrap();

    let config = rconnect_kafka::KafkaConfig::new()
        .with("bootstrap.servers", broker.bootstrap())
        .with("group.id", "unused")
        .with("enable.auto.commit", "false");
    let (consumer, _events) = Consumer::new(&config).unwrap();
    consumer
        .assign(&[(TopicPartition::new("plain", 0), -2)])
        .unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.is_empty() && Instant::now() < deadline {
        got = consumer
            .poll_batch(10, Duration::from_millis(500))
            .await
            .unwrap();
    }
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!((r.key.clone(), r.value.clone()), (None, None));
    assert_eq!(r.timestamp, Some(1234));
    assert_eq!(r.headers, headers);
    consumer.close().await;
}
