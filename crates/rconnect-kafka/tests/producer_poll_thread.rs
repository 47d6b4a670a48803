//! One producer poll thread per client, gone when the last clone is dropped. A test binary
//! of its own with a single test: it counts this process's threads by name, which other
//! tests' producers would disturb.

use std::time::Duration;

use rconnect_kafka::{KafkaConfig, Producer};
use rconnect_tests::Broker;

fn poll_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "producer-poll")
        .count()
}

/// The count once it settles at `n` (or whatever it is after 5 s): a new thread names itself
/// once it runs, and a joined thread may linger in /proc for a moment after `pthread_join`
/// returns (the kernel wakes the joiner before it unlists the thread).
fn settles_at(n: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let count = poll_threads();
        if count == n || std::time::Instant::now() >= deadline {
            return count;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn drop_of_the_last_clone_stops_and_joins_the_poll_thread() {
    let broker = Broker::start();
    broker.create_topic("poll-thread", 1, &[]);
    assert_eq!(settles_at(0), 0);
    let (producer, mut acks) = Producer::new(&KafkaConfig::source_producer(
        &broker.bootstrap(),
        "poll-thread",
    ))
    .expect("producer");
    assert_eq!(settles_at(1), 1);
    let clone = producer.clone();
    assert_eq!(settles_at(1), 1, "clones share the thread");
    clone
        .send(
            &rconnect_kafka::ProducerRecord {
                topic: "poll-thread",
                partition: None,
                key: None,
                value: Some(b"x"),
                timestamp: None,
                headers: &[],
            },
            1,
        )
        .expect("send");
    clone
        .flush_blocking(Duration::from_secs(60))
        .expect("flush");
    drop(clone);
    assert_eq!(settles_at(1), 1, "the remaining clone keeps it");
    let second = Producer::new(&KafkaConfig::source_producer(
        &broker.bootstrap(),
        "poll-thread-2",
    ))
    .expect("second producer");
    assert_eq!(settles_at(2), 2, "one thread per client");
    drop(second);
    assert_eq!(settles_at(1), 1);
    drop(producer);
    assert_eq!(settles_at(0), 0);
    assert_eq!(acks.try_recv().expect("report").token, 1);
    assert!(
        acks.try_recv().is_err(),
        "no more reports, and the sender is gone"
    );
}
