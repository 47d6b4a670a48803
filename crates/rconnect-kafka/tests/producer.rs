//! Producer against a real tansu broker.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rconnect_kafka::{KafkaConfig, Producer, SendError};
use rconnect_tests::Broker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_1000_and_read_acks() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("acks", 3, &[]);
    let config = KafkaConfig::source_producer(&broker.bootstrap(), "connector-producer-t-0");
    let (producer, mut acks) = Producer::new(&config).expect("producer");

    let headers = vec![
        ("h1".to_string(), Some(b"v1".to_vec())),
        ("null-header".to_string(), None),
    ];
    for i in 0..1000u64 {
        let key = format!("key-{i}");
        let value = format!("value-{i}");
        let partition = if i % 10 == 0 { Some(2) } else { None };
        let ts = if i == 5 {
            Some(1_600_000_000_000)
        } else {
            None
        };
        loop {
            match producer.send(
                &rconnect_kafka::ProducerRecord {
                    topic: "acks",
                    partition,
                    key: Some(key.as_bytes()),
                    value: Some(value.as_bytes()),
                    timestamp: ts,
                    headers: &headers,
                },
                i,
            ) {
                Ok(()) => break,
                Err(SendError::QueueFull) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("send {i}: {e}"),
            }
        }
    }
    let mut tokens = BTreeSet::new();
    let mut per_partition_last: [i64; 3] = [-1; 3];
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokens.len() < 1000 {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let delivery = tokio::time::timeout(remaining, acks.recv())
            .await
            .expect("all acks within 60 s")
            .expect("ack channel open");
        let record = delivery
            .result
            .unwrap_or_else(|e| panic!("token {}: {e}", delivery.token));
        if delivery.token % 10 == 0 {
            assert_eq!(record.partition, 2, "explicit partition honoured");
        }
        if delivery.token == 5 {
            assert_eq!(record.timestamp, Some(1_600_000_000_000));
        }
        let p = record.partition as usize;
        // Acks of one partition come in offset order.
        assert!(
            record.offset > per_partition_last[p],
            "offsets increase per partition"
        );
        per_partition_last[p] = record.offset;
        assert!(
            tokens.insert(delivery.token),
            "duplicate ack for {}",
            delivery.token
        );
    }
    // librdkafka releases a batch's messages (and only then lowers its count) after
    // running the batch's delivery callbacks, so the count may trail the last ack briefly.
    let released_by = Instant::now() + Duration::from_secs(5);
    while producer.in_flight_count() != 0 && Instant::now() < released_by {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        producer.in_flight_count(),
        0,
        "messages released after their acks"
    );
    producer.flush(Duration::from_secs(5)).await.expect("flush");

    let read = broker.consume_all("acks", 1000, Duration::from_secs(60));
    assert_eq!(read.len(), 1000);
    let values: BTreeSet<Vec<u8>> = read.iter().map(|r| r.1.clone().unwrap()).collect();
    assert_eq!(values.len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_sends_are_rejected_synchronously() {
    let broker = Broker::start();
    broker.create_topic("small", 1, &[]);
    let config =
        KafkaConfig::source_producer(&broker.bootstrap(), "p").with("message.max.bytes", "1000");
    let (producer, _acks) = Producer::new(&config).expect("producer");
    let err = producer
        .send(
            &rconnect_kafka::ProducerRecord {
                topic: "small",
                partition: None,
                key: None,
                value: Some(&[0u8; 5000]),
                timestamp: None,
                headers: &[],
            },
            1,
        )
        .expect_err("too large");
    assert!(matches!(err, SendError::Fatal { .. }), "{err:?}");
    assert!(!err.is_retriable());
    let err = producer
        .send(
            &rconnect_kafka::ProducerRecord {
                topic: "small",
                partition: None,
                key: None,
                value: Some(b"x"),
                timestamp: Some(-5),
                headers: &[],
            },
            2,
        )
        .expect_err("negative timestamp");
    assert!(err.to_string().contains("Invalid timestamp: -5"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_full_is_retriable() {
    let broker = Broker::start();
    broker.create_topic("full", 1, &[]);
    let config = KafkaConfig::source_producer(&broker.bootstrap(), "p")
        .with("queue.buffering.max.messages", "10")
        .with("linger.ms", "1000");
    let (producer, mut acks) = Producer::new(&config).expect("producer");
    let mut sent = 0u64;
    let err = loop {
        match producer.send(
            &rconnect_kafka::ProducerRecord {
                topic: "full",
                partition: None,
                key: None,
                value: Some(b"x"),
                timestamp: None,
                headers: &[],
            },
            sent,
        ) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent <= 10, "queue limit not enforced");
    };
    assert!(matches!(err, SendError::QueueFull), "{err:?}");
    assert!(err.is_retriable());
    producer
        .flush(Duration::from_secs(10))
        .await
        .expect("flush");
    for _ in 0..sent {
        acks.recv().await.unwrap().result.expect("delivered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_failure_is_reported_with_token() {
    let broker = Broker::start();
    broker.create_topic("one-partition", 1, &[]);
    let config =
        KafkaConfig::source_producer(&broker.bootstrap(), "p").with("delivery.timeout.ms", "2000");
    let (producer, mut acks) = Producer::new(&config).expect("producer");
    // Partition 7 does not exist: librdkafka either rejects it at once or fails the delivery.
    match producer.send(
        &rconnect_kafka::ProducerRecord {
            topic: "one-partition",
            partition: Some(7),
            key: None,
            value: Some(b"x"),
            timestamp: None,
            headers: &[],
        },
        42,
    ) {
        Err(e) => assert!(e.is_retriable(), "unknown partition is retriable: {e}"),
        Ok(()) => {
            let delivery = tokio::time::timeout(Duration::from_secs(20), acks.recv())
                .await
                .expect("a delivery report")
                .unwrap();
            assert_eq!(delivery.token, 42);
            let err = delivery.result.expect_err("must fail");
            assert!(err.to_string().contains("one-partition"), "{err}");
        }
    }
}
