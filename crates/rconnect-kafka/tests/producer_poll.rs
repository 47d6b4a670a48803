//! The producer's own poll thread against a real tansu broker: delivery reports arrive
//! through it, flush waits for it, and dropping the last clone stops it, joins it and still
//! reports the records purged at drop.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_kafka::{Delivery, KafkaConfig, KafkaError, Producer, SendError};
use rconnect_tests::Broker;

/// Sets its flag when dropped: tells when the delivery callback (held by the poll thread
/// and the client) has been released.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Freezes the broker and waits until the kernel has stopped it (SIGSTOP lands
/// asynchronously: a request sent right after `freeze` could still be answered).
fn freeze(broker: &Broker) {
    broker.freeze(true);
    let listener = format!("tcp://127.0.0.1:{}", broker.port());
    let pid = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|arg| arg == listener.as_bytes()))
        })
        .map(|e| e.path())
        .expect("the broker's process");
    let waited = std::time::Instant::now();
    loop {
        let stat = std::fs::read_to_string(pid.join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .chars()
            .next();
        if state == Some('T') {
            return;
        }
        assert!(
            waited.elapsed() < common::LONG,
            "broker not stopped: {stat}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send_retrying(producer: &Producer, topic: &str, value: &[u8], token: u64) {
    loop {
        match producer.send(
            &rconnect_kafka::ProducerRecord {
                topic,
                partition: None,
                key: None,
                value: Some(value),
                timestamp: None,
                headers: &[],
            },
            token,
        ) {
            Ok(()) => return,
            Err(SendError::QueueFull) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("send {token}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_returns_after_every_delivery_report_was_passed_on() {
    common::init_tracing();
    let broker = Broker::start();
    broker.create_topic("poll-flush", 2, &[]);
    // A long linger: without flush the records would sit in librdkafka for 10 s.
    let config =
        KafkaConfig::source_producer(&broker.bootstrap(), "poll-flush").with("linger.ms", "10000");
    let (producer, mut acks) = Producer::new(&config).expect("producer");
    for token in 0..500u64 {
        send_retrying(
            &producer,
            "poll-flush",
            format!("v{token}").as_bytes(),
            token,
        );
    }
    producer
        .flush(common::LONG)
        .await
        .expect("flush within 60 s");
    // Every report was handed to the callback before flush returned: they are all queued.
    let mut tokens = Vec::new();
    while let Ok(d) = acks.try_recv() {
        let record = d
            .result
            .unwrap_or_else(|e| panic!("token {}: {e}", d.token));
        assert!(record.offset >= 0 && (0..2).contains(&record.partition));
        tokens.push(d.token);
    }
    tokens.sort_unstable();
    assert_eq!(tokens, (0..500).collect::<Vec<_>>());
    assert_eq!(producer.in_flight_count(), 0);
    let read = broker.consume_all("poll-flush", 500, common::LONG);
    assert_eq!(read.len(), 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_times_out_while_the_broker_is_unreachable() {
    let broker = Broker::start();
    broker.create_topic("poll-frozen", 1, &[]);
    let config = KafkaConfig::source_producer(&broker.bootstrap(), "poll-frozen");
    let (producer, mut acks) = Producer::new(&config).expect("producer");
    // Connected and the topic known before the outage.
    send_retrying(&producer, "poll-frozen", b"first", 0);
    producer.flush(common::LONG).await.expect("first flush");
    acks.recv().await.unwrap().result.expect("first delivered");

    freeze(&broker);
    send_retrying(&producer, "poll-frozen", b"second", 1);
    let err = producer
        .flush(Duration::from_millis(300))
        .await
        .expect_err("nothing can be delivered while the broker is frozen");
    assert!(
        matches!(
            err,
            KafkaError::Timeout {
                timeout_ms: 300,
                ..
            }
        ),
        "{err:?}"
    );
    let err = producer
        .flush_blocking(Duration::from_millis(100))
        .expect_err("blocking flush times out too");
    assert!(err.to_string().contains("producer flush"), "{err}");
    broker.freeze(false);
    producer
        .flush(common::LONG)
        .await
        .expect("flush after thaw");
    let d = acks.recv().await.unwrap();
    assert_eq!(d.token, 1);
    d.result.expect("delivered after thaw");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_arrive_without_flush_and_clones_share_the_thread() {
    let broker = Broker::start();
    broker.create_topic("poll-clones", 1, &[]);
    let released = Arc::new(AtomicBool::new(false));
    let reports = Arc::new(Mutex::new(Vec::<Delivery>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let producer = {
        let guard = DropFlag(released.clone());
        let reports = reports.clone();
        let count = count.clone();
        Producer::with_delivery_callback(
            &KafkaConfig::source_producer(&broker.bootstrap(), "poll-clones"),
            move |d| {
                let _keep = &guard;
                reports.lock().unwrap().push(d);
                count.fetch_add(1, Ordering::SeqCst);
            },
        )
        .expect("producer")
    };
    let clone = producer.clone();
    send_retrying(&clone, "poll-clones", b"a", 7);
    // No flush: the report comes through the poll thread alone.
    let waited = std::time::Instant::now();
    while count.load(Ordering::SeqCst) < 1 {
        assert!(waited.elapsed() < common::LONG, "no delivery report");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(clone);
    assert!(
        !released.load(Ordering::SeqCst),
        "a remaining clone keeps the client and its thread"
    );
    send_retrying(&producer, "poll-clones", b"b", 8);
    while count.load(Ordering::SeqCst) < 2 {
        assert!(
            waited.elapsed() < common::LONG,
            "no delivery report after a clone dropped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Dropping the last clone joins the poll thread and destroys the client before it
    // returns, so the callback (held by both) is released by then.
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .unwrap();
    assert!(released.load(Ordering::SeqCst), "callback released on drop");
    let reports = reports.lock().unwrap();
    let tokens: Vec<u64> = reports.iter().map(|d| d.token).collect();
    assert_eq!(tokens, vec![7, 8]);
    assert!(reports.iter().all(|d| d.result.is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_reports_the_records_it_purges() {
    let broker = Broker::start();
    broker.create_topic("poll-purge", 1, &[]);
    let config = KafkaConfig::source_producer(&broker.bootstrap(), "poll-purge");
    let (producer, mut acks) = Producer::new(&config).expect("producer");
    send_retrying(&producer, "poll-purge", b"first", 0);
    producer.flush(common::LONG).await.expect("first flush");
    acks.recv().await.unwrap().result.expect("first delivered");

    freeze(&broker);
    for token in 1..=20u64 {
        send_retrying(&producer, "poll-purge", b"stuck", token);
    }
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .unwrap();
    broker.freeze(false);
    // Each record queued at drop got a failed report, then the channel closed (the callback
    // and its sender were dropped with the client).
    let mut tokens = Vec::new();
    while let Some(d) = tokio::time::timeout(common::LONG, acks.recv())
        .await
        .expect("channel closes after the purge reports")
    {
        let err = d.result.expect_err("purged, not delivered");
        assert!(err.to_string().contains("poll-purge"), "{err}");
        tokens.push(d.token);
    }
    tokens.sort_unstable();
    assert_eq!(tokens, (1..=20).collect::<Vec<_>>());
}
