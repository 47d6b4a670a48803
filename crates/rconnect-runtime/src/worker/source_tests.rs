//! The source task loop in-process, against the fakes of `test_util`: ordering, offset
//! commits of acknowledged records only, flushes on the interval and at stop, pause and
//! resume, and failures. Time is paused, so intervals and timeouts pass instantly.

use std::time::Duration;

use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::ConnectError;
use serde_json::json;
use tokio::time::Instant;

use crate::clients::SendFailure;
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::status::StatusStore;
use crate::test_util::{
    props, task_id, FakeProducer, Harness, PollStep, SourceCall, SourceScript, SOURCE,
};

/// Long enough for any step of these tests; time is paused, so it costs nothing.
const LONG: Duration = Duration::from_secs(3600);

fn harness(interval_ms: &str) -> Harness {
    Harness::new(&[
        ("offset.flush.interval.ms", interval_ms),
        ("offset.flush.timeout.ms", "500"),
        ("task.shutdown.graceful.timeout.ms", "1000"),
    ])
}

/// Starts task 0 of connector `src` with the scripted source task.
fn start(h: &Harness, target: TargetState) -> ConnectorTaskId {
    let id = task_id("src", 0);
    let config = props(&[("connector.class", SOURCE), ("name", "src")]);
    let mut task_config = config.clone();
    task_config.insert("task.class".into(), "test.ScriptedTask".into());
    h.worker
        .start_task(id.clone(), config, task_config, target)
        .unwrap();
    id
}

fn rec(file: &str, line: i64) -> rconnect_sdk::record::SourceRecord {
    SourceScript::record(file, line, "out", &format!("{file}{line}"))
}

fn partition(file: &str) -> OffsetMap {
    OffsetMap::with_entry("file", file)
}

/// The committed `line` of `file`.
fn committed(h: &Harness, file: &str) -> Option<i64> {
    h.offsets
        .offset("src", &partition(file))
        .and_then(|v| v["line"].as_i64())
}

async fn running(h: &Harness) -> (ConnectorTaskId, FakeProducer) {
    let id = start(h, TargetState::Started);
    h.status.wait_task(&id, State::Running).await;
    (id, h.kafka.producer(0).await)
}

#[tokio::test(start_paused = true)]
async fn records_are_produced_in_poll_order_with_their_fields() {
    let h = harness("60000");
    let mut keyed = rec("a", 2);
    keyed.key = rconnect_sdk::data::Value::String("k".into());
    keyed.kafka_partition = Some(3);
    keyed.timestamp = Some(1234);
    keyed
        .headers
        .add("h", None, rconnect_sdk::data::Value::String("hv".into()));
    h.source.push_records(vec![rec("a", 0), rec("a", 1)]);
    h.source.push(PollStep::Nothing);
    h.source.push_records(vec![keyed, rec("b", 0)]);
    let (_, producer) = running(&h).await;
    let sent = producer.wait_sent(4, LONG).await;
    assert_eq!(producer.sent_values(), vec!["a0", "a1", "a2", "b0"]);
    assert_eq!(
        sent.iter().map(|r| r.token).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    let r = &sent[2];
    assert_eq!(r.topic, "out");
    assert_eq!(r.partition, Some(3));
    assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
    assert_eq!(r.timestamp, Some(1234));
    assert_eq!(r.headers, vec![("h".to_string(), Some(b"hv".to_vec()))]);
    assert_eq!((sent[0].partition, sent[0].key.as_deref()), (None, None));
}

#[tokio::test(start_paused = true)]
async fn offsets_are_committed_on_the_flush_interval() {
    let h = harness("1000");
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("b", 7)]);
    let (_, producer) = running(&h).await;
    producer.wait_sent(3, LONG).await;
    let started = Instant::now();
    assert!(h.offsets.writes().is_empty(), "nothing before the interval");
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert!(Instant::now() - started <= Duration::from_millis(1000));
    assert_eq!(committed(&h, "a"), Some(1));
    assert_eq!(committed(&h, "b"), Some(7));
    assert_eq!(h.offsets.writes().len(), 1, "one write for both partitions");
    // The next interval has nothing new to write but still calls `commit()`, as Java.
    h.source.wait_count(&SourceCall::Commit, 2).await;
    assert_eq!(h.offsets.writes().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn task_metrics_count_polled_sent_acknowledged_and_committed() {
    use std::sync::atomic::Ordering::Relaxed;
    let h = harness("1000");
    h.kafka.set_manual_acks(true);
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("a", 2)]);
    let (id, producer) = running(&h).await;
    producer.wait_sent(3, LONG).await;
    let m = h.worker.metrics().get(&id).expect("the task's metrics");
    assert_eq!(m.source.record_poll_total.load(Relaxed), 3);
    assert_eq!(m.common.batch_size.max(), Some(3.0));
    assert_eq!(m.source.record_write_total.load(Relaxed), 0);
    assert!(producer.ack(0));
    assert!(producer.ack(1));
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert_eq!(m.source.record_write_total.load(Relaxed), 2);
    assert_eq!(m.source.record_active_count.load(Relaxed), 1);
    assert_eq!(m.common.offset_commit_success.load(Relaxed), 1);
    assert_eq!(
        h.worker
            .metrics()
            .worker
            .task_startup_success_total
            .load(Relaxed),
        1
    );
    // A stopped task's metrics are gone from the worker's.
    h.worker.stop_task(&id).await;
    assert!(h.worker.metrics().get(&id).is_none());
}

#[tokio::test(start_paused = true)]
async fn an_unacknowledged_record_holds_back_only_its_partitions_offset() {
    let h = harness("1000");
    h.kafka.set_manual_acks(true);
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("b", 0), rec("a", 2)]);
    let (_, producer) = running(&h).await;
    producer.wait_sent(4, LONG).await;
    for token in [0, 2, 3] {
        assert!(producer.ack(token));
    }
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert_eq!(committed(&h, "a"), Some(0), "a1 is not acknowledged");
    assert_eq!(committed(&h, "b"), Some(0));
    assert!(producer.ack(1));
    h.source.wait_count(&SourceCall::Commit, 2).await;
    assert_eq!(committed(&h, "a"), Some(2));
}

#[tokio::test(start_paused = true)]
async fn a_failed_send_fails_the_task_and_only_acknowledged_offsets_are_committed() {
    let h = harness("600000");
    h.kafka.set_manual_acks(true);
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("b", 0)]);
    let (id, producer) = running(&h).await;
    producer.wait_sent(3, LONG).await;
    producer.ack(0);
    producer.ack(2);
    producer.fail(1, "NOT_ENOUGH_REPLICAS");
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(
        trace.contains("Unrecoverable exception from producer send callback: NOT_ENOUGH_REPLICAS"),
        "{trace}"
    );
    assert!(trace.contains("WorkerSourceTask.execute"), "{trace}");
    // The final commit on the way out writes what was acknowledged.
    h.source.wait_count(&SourceCall::Stop, 1).await;
    assert_eq!(committed(&h, "a"), Some(0));
    assert_eq!(committed(&h, "b"), Some(0));
}

#[tokio::test(start_paused = true)]
async fn stop_waits_for_acks_then_flushes() {
    let h = harness("600000");
    h.kafka.set_manual_acks(true);
    h.source.push_records(vec![rec("a", 0), rec("a", 1)]);
    let (id, producer) = running(&h).await;
    producer.wait_sent(2, LONG).await;
    let acker = {
        let producer = producer.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            producer.ack_all();
        })
    };
    let started = Instant::now();
    h.worker.stop_task(&id).await;
    let took = Instant::now() - started;
    acker.await.unwrap();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(500),
        "{took:?}"
    );
    assert_eq!(committed(&h, "a"), Some(1));
    let calls = h.source.calls();
    let tail: Vec<&SourceCall> = calls
        .iter()
        .filter(|c| !matches!(c, SourceCall::Poll))
        .collect();
    assert_eq!(
        tail,
        vec![&SourceCall::Start, &SourceCall::Commit, &SourceCall::Stop]
    );
    assert_eq!(
        h.status.task_states(&id),
        vec![State::Running],
        "a stopped task's status is the herder's to set"
    );
}

#[tokio::test(start_paused = true)]
async fn records_unacknowledged_at_stop_are_not_committed() {
    let h = harness("600000");
    h.kafka.set_manual_acks(true);
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("a", 2)]);
    let (id, producer) = running(&h).await;
    producer.wait_sent(3, LONG).await;
    producer.ack(0);
    producer.ack(2);
    let started = Instant::now();
    h.worker.stop_task(&id).await;
    assert_eq!(
        Instant::now() - started,
        Duration::from_millis(500),
        "waits offset.flush.timeout.ms for acks"
    );
    assert_eq!(committed(&h, "a"), Some(0));
    assert_eq!(h.source.count(&SourceCall::Stop), 1);
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
}

#[tokio::test(start_paused = true)]
async fn a_failed_offset_flush_is_retried_at_the_next_interval() {
    let h = harness("1000");
    h.offsets.fail_next_writes(1);
    h.source.push_records(vec![rec("a", 0)]);
    let (_, producer) = running(&h).await;
    producer.wait_sent(1, LONG).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(committed(&h, "a"), None);
    assert_eq!(
        h.source.count(&SourceCall::Commit),
        0,
        "commit() follows a successful flush only"
    );
    h.source.push_records(vec![rec("b", 3)]);
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert_eq!(committed(&h, "a"), Some(0), "kept for the retry");
    assert_eq!(committed(&h, "b"), Some(3));
}

#[tokio::test(start_paused = true)]
async fn a_stalled_offset_flush_times_out_and_is_retried() {
    let h = harness("1000");
    h.offsets.stall_writes(true);
    h.source.push_records(vec![rec("a", 0)]);
    let (_, producer) = running(&h).await;
    producer.wait_sent(1, LONG).await;
    // One interval and one flush timeout (500 ms): the flush gave up.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(h.source.count(&SourceCall::Commit), 0);
    assert!(h.source.count(&SourceCall::Poll) > 1, "the loop goes on");
    h.offsets.stall_writes(false);
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert_eq!(committed(&h, "a"), Some(0));
}

#[tokio::test(start_paused = true)]
async fn commit_failures_are_ignored() {
    let h = harness("1000");
    h.source
        .fail_commit(ConnectError::connect("commit refused"));
    h.source.push_records(vec![rec("a", 0)]);
    let (id, _) = running(&h).await;
    h.source.wait_count(&SourceCall::Commit, 2).await;
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
}

#[tokio::test(start_paused = true)]
async fn pause_stops_polling_and_resume_goes_on() {
    let h = harness("600000");
    let (id, producer) = running(&h).await;
    h.worker
        .set_target_state("src", TargetState::Paused)
        .await
        .unwrap();
    h.status.wait_task(&id, State::Paused).await;
    let polls = h.source.count(&SourceCall::Poll);
    h.source.push_records(vec![rec("a", 0)]);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(
        h.source.count(&SourceCall::Poll) <= polls + 1,
        "at most the poll under way when paused"
    );
    assert!(producer.sent().is_empty());
    h.worker
        .set_target_state("src", TargetState::Started)
        .await
        .unwrap();
    producer.wait_sent(1, LONG).await;
    assert_eq!(
        h.status.task_states(&id),
        vec![State::Running, State::Paused, State::Running]
    );
}

#[tokio::test(start_paused = true)]
async fn a_task_created_paused_starts_when_resumed() {
    let h = harness("600000");
    let id = start(&h, TargetState::Paused);
    h.status.wait_task(&id, State::Paused).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(h.source.calls().is_empty(), "not started while paused");
    h.worker
        .set_target_state("src", TargetState::Started)
        .await
        .unwrap();
    h.status.wait_task(&id, State::Running).await;
    assert_eq!(h.source.calls()[0], SourceCall::Start);
}

#[tokio::test(start_paused = true)]
async fn stop_while_paused_ends_the_task() {
    let h = harness("600000");
    let id = start(&h, TargetState::Paused);
    h.status.wait_task(&id, State::Paused).await;
    h.worker.stop_task(&id).await;
    assert!(h.source.calls().is_empty());
    assert!(h.worker.task_ids().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_poll_failure_fails_the_task_with_its_trace() {
    let h = harness("600000");
    h.source.push_records(vec![rec("a", 0)]);
    h.source
        .push(PollStep::Fail(ConnectError::connect("source went away")));
    let id = start(&h, TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: source went away"),
        "{trace}"
    );
    assert!(trace.contains("WorkerSourceTask.execute"), "{trace}");
    h.source.wait_count(&SourceCall::Stop, 1).await;
    assert_eq!(
        committed(&h, "a"),
        Some(0),
        "final commit of what was acked"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retriable_poll_failure_polls_again() {
    let h = harness("600000");
    h.source
        .push(PollStep::Fail(ConnectError::retriable("try later")));
    h.source.push_records(vec![rec("a", 0)]);
    let (id, producer) = running(&h).await;
    producer.wait_sent(1, LONG).await;
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
}

#[tokio::test(start_paused = true)]
async fn commit_record_follows_each_ack_with_its_metadata() {
    let h = harness("600000");
    h.kafka.set_manual_acks(true);
    h.source.wants_commit_record(true);
    h.source
        .push_records(vec![rec("a", 0), rec("a", 1), rec("b", 0)]);
    let (_, producer) = running(&h).await;
    producer.wait_sent(3, LONG).await;
    producer.ack(2);
    producer.ack(0);
    h.source
        .wait_count(&SourceCall::CommitRecord("a0".into(), Some(1)), 1)
        .await;
    let acked: Vec<SourceCall> = h
        .source
        .calls()
        .into_iter()
        .filter(|c| matches!(c, SourceCall::CommitRecord(..)))
        .collect();
    // In ack order, with the offsets the broker gave (per topic partition).
    assert_eq!(
        acked,
        vec![
            SourceCall::CommitRecord("b0".into(), Some(0)),
            SourceCall::CommitRecord("a0".into(), Some(1)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_waits_for_acks_and_keeps_the_order() {
    let h = harness("600000");
    h.kafka.set_manual_acks(true);
    h.source.push_records((0..5).map(|i| rec("a", i)).collect());
    let (_, producer) = running(&h).await;
    producer.set_queue_limit(Some(2));
    producer.wait_sent(2, LONG).await;
    // Whatever was accepted before the limit applied, nothing more goes until acks.
    let before = producer.sent().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(producer.sent().len(), before);
    while producer.sent().len() < 5 {
        producer.ack_all();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    producer.ack_all();
    assert_eq!(producer.sent_values(), vec!["a0", "a1", "a2", "a3", "a4"]);
}

#[tokio::test(start_paused = true)]
async fn a_send_refused_for_good_fails_the_task() {
    let h = harness("600000");
    let id = start(&h, TargetState::Started);
    let producer = h.kafka.producer(0).await;
    producer.refuse_next(SendFailure::Fatal("MESSAGE_TOO_LARGE".into()));
    h.source.push_records(vec![rec("a", 0)]);
    let status = h.status.wait_task(&id, State::Failed).await;
    assert!(status
        .trace
        .unwrap()
        .contains("Unrecoverable exception trying to send: MESSAGE_TOO_LARGE"),);
    assert!(producer.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_record_that_cannot_be_converted_fails_the_task() {
    let h = harness("600000");
    let mut bad = rec("a", 1);
    bad.value = rconnect_sdk::data::Value::Int32(5);
    h.source.push_records(vec![rec("a", 0), bad]);
    let id = start(&h, TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(trace.contains("DataException"), "{trace}");
    assert!(
        trace.contains("Utf8Converter handles only strings"),
        "{trace}"
    );
    assert_eq!(h.kafka.producer(0).await.sent_values(), vec!["a0"]);
}

#[tokio::test(start_paused = true)]
async fn a_non_primitive_source_partition_fails_the_task() {
    let h = harness("600000");
    let mut bad = rec("a", 0);
    bad.meta.source_partition = Some(std::sync::Arc::new(
        OffsetMap::try_from(json!({"nested": {"x": 1}})).unwrap(),
    ));
    h.source.push_records(vec![bad]);
    let id = start(&h, TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    assert!(status
        .trace
        .unwrap()
        .contains("Partition may only contain primitive types but field nested"));
}

#[tokio::test(start_paused = true)]
async fn a_start_failure_fails_the_task_and_stops_it() {
    let h = harness("600000");
    h.source.fail_start(ConnectError::config("missing file"));
    let id = start(&h, TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(trace.contains("missing file"), "{trace}");
    assert!(
        trace.contains("WorkerSourceTask.initializeAndStart"),
        "{trace}"
    );
    h.source.wait_count(&SourceCall::Stop, 1).await;
    assert_eq!(h.source.count(&SourceCall::Poll), 0);
}

#[tokio::test(start_paused = true)]
async fn a_producer_that_cannot_be_made_fails_the_task_before_start() {
    let h = harness("600000");
    h.kafka.refuse_producers(Some("no brokers"));
    let id = start(&h, TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(trace.contains("no brokers"), "{trace}");
    assert!(trace.contains("Worker.startTask"), "{trace}");
    assert!(h.source.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_task_stuck_in_poll_is_abandoned_after_the_shutdown_budget() {
    let h = harness("600000");
    h.source.push(PollStep::Hang);
    let id = start(&h, TargetState::Started);
    h.status.wait_task(&id, State::Running).await;
    h.source.wait_consumed().await;
    let started = Instant::now();
    h.worker.stop_task(&id).await;
    // task.shutdown.graceful.timeout.ms + offset.flush.timeout.ms, then abandoned.
    assert_eq!(Instant::now() - started, Duration::from_millis(1500));
    assert_eq!(h.source.count(&SourceCall::Stop), 0, "never got there");
    assert!(h.worker.task_ids().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_producer_is_made_from_the_task_producer_config() {
    let h = Harness::new(&[
        ("producer.acks", "1"),
        ("offset.flush.interval.ms", "600000"),
    ]);
    running(&h).await;
    let config = &h.kafka.producer_configs()[0];
    assert_eq!(
        config.get("client.id").map(String::as_str),
        Some("connector-producer-src-0")
    );
    assert_eq!(config.get("acks").map(String::as_str), Some("1"));
}

#[tokio::test(start_paused = true)]
async fn a_record_dropped_by_a_transformation_is_reported_without_metadata_and_commits_no_offset() {
    use crate::plugins::fixtures::{predicate, transformation, PREDICATE, TRANSFORMATION};
    let h = Harness::with_plugins(&[("offset.flush.interval.ms", "1000")], |r| {
        r.register_transformation(transformation(TRANSFORMATION));
        r.register_predicate(predicate(PREDICATE));
    });
    h.source.wants_commit_record(true);
    // Drops the records of topic `gone`, keeps the others.
    let mut config = props(&[
        ("connector.class", SOURCE),
        ("name", "src"),
        ("transforms", "drop"),
        ("transforms.drop.type", TRANSFORMATION),
        ("transforms.drop.predicate", "isGone"),
        ("predicates", "isGone"),
        ("predicates.isGone.type", PREDICATE),
        ("predicates.isGone.topic.name", "gone"),
    ]);
    let id = task_id("src", 0);
    let task_config = config.clone();
    config.insert("task.class".into(), "test.ScriptedTask".into());
    h.source.push_records(vec![
        SourceScript::record("a", 0, "out", "kept"),
        SourceScript::record("b", 0, "gone", "dropped"),
    ]);
    h.worker
        .start_task(id.clone(), config, task_config, TargetState::Started)
        .unwrap();
    let producer = h.kafka.producer(0).await;
    producer.wait_sent(1, LONG).await;
    h.source.wait_count(&SourceCall::Commit, 1).await;
    assert_eq!(producer.sent_values(), vec!["kept"]);
    let reported: Vec<SourceCall> = h
        .source
        .calls()
        .into_iter()
        .filter(|c| matches!(c, SourceCall::CommitRecord(..)))
        .collect();
    assert!(reported.contains(&SourceCall::CommitRecord("dropped".into(), None)));
    assert!(reported.contains(&SourceCall::CommitRecord("kept".into(), Some(0))));
    assert_eq!(committed(&h, "a"), Some(0));
    assert_eq!(
        committed(&h, "b"),
        None,
        "a dropped record's offset is not committed"
    );
}
