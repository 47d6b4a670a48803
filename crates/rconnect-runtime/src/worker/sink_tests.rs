//! The sink task loop in-process, against the fakes of `test_util`: delivery order,
//! commits of what `preCommit` allows, rebalances, pause/resume, redelivery after a
//! retriable `put` failure, and stopping (also during a `put` that never returns). Time is
//! paused, so intervals and timeouts pass instantly.

use std::collections::HashMap;
use std::time::Duration;

use rconnect_sdk::record::TopicPartition;
use rconnect_sdk::ConnectError;
use tokio::time::Instant;

use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::status::StatusStore;
use crate::test_util::{
    eventually, props, task_id, ConsumerCall, FakeConsumer, Harness, PreCommit, PutStep, SinkCall,
    SINK,
};

const GROUP: &str = "connect-snk";

fn harness(interval_ms: &str) -> Harness {
    Harness::new(&[
        ("offset.flush.interval.ms", interval_ms),
        ("offset.flush.timeout.ms", "500"),
        ("task.shutdown.graceful.timeout.ms", "1000"),
    ])
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

fn start_with(h: &Harness, extra: &[(&str, &str)], target: TargetState) -> ConnectorTaskId {
    let id = task_id("snk", 0);
    let mut config = props(&[("connector.class", SINK), ("name", "snk")]);
    config.extend(props(extra));
    let mut task_config = config.clone();
    task_config.insert("task.class".into(), "test.ScriptedTask".into());
    h.worker
        .start_task(id.clone(), config, task_config, target)
        .unwrap();
    id
}

/// A running sink task on topic `t`, with `partitions` of it assigned.
async fn running(h: &Harness, partitions: &[TopicPartition]) -> (ConnectorTaskId, FakeConsumer) {
    let id = start_with(h, &[("topics", "t")], TargetState::Started);
    h.status.wait_task(&id, State::Running).await;
    let consumer = h.kafka.consumer(0).await;
    if !partitions.is_empty() {
        consumer.assign(partitions);
        let opened = SinkCall::Open(partitions.to_vec());
        h.sink.wait_for("open", |c| c.contains(&opened)).await;
    }
    (id, consumer)
}

async fn wait_commits(consumer: &FakeConsumer, n: usize) -> Vec<Vec<(TopicPartition, i64)>> {
    eventually(Duration::from_secs(3600), &format!("{n} commit(s)"), || {
        let c = consumer.commits();
        (c.len() >= n).then_some(c)
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn records_are_put_in_order_and_committed_on_the_interval() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    for v in ["a", "b", "c"] {
        cluster.produce("t", 0, None, v);
    }
    cluster.produce("t", 1, Some("k"), "d");
    let put = h.sink.wait_put(4).await;
    let p0: Vec<&String> = put.iter().filter(|v| *v != "d").collect();
    assert_eq!(p0, vec!["a", "b", "c"], "a partition's records in order");
    let records: Vec<(String, i32, i64, String)> = h
        .sink
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            SinkCall::Put(r) => Some(r),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        records.contains(&("t".into(), 1, 0, "d".into())),
        "{records:?}"
    );
    assert!(
        records.contains(&("t".into(), 0, 2, "c".into())),
        "{records:?}"
    );
    let commits = wait_commits(&consumer, 1).await;
    assert_eq!(commits[0], vec![(tp("t", 0), 3), (tp("t", 1), 1)]);
    assert_eq!(cluster.committed(GROUP)[&tp("t", 0)], 3);
    let pre: Vec<SinkCall> = h
        .sink
        .calls()
        .into_iter()
        .filter(|c| matches!(c, SinkCall::PreCommit(m) if !m.is_empty()))
        .collect();
    assert!(pre.contains(&SinkCall::PreCommit(
        [(tp("t", 0), 3), (tp("t", 1), 1)].into_iter().collect()
    )));
    // Nothing new: later intervals do not commit the same offsets again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(consumer.commits().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_consumer_joins_the_connectors_group_with_the_deduplicated_topics() {
    let h = harness("600000");
    let id = start_with(&h, &[("topics", "t, u,t,,")], TargetState::Started);
    h.status.wait_task(&id, State::Running).await;
    let consumer = h.kafka.consumer(0).await;
    assert_eq!(consumer.group(), GROUP);
    assert_eq!(
        consumer.subscription(),
        (vec!["t".to_string(), "u".to_string()], None)
    );
    let config = &h.kafka.consumer_configs()[0];
    assert_eq!(
        config.get("client.id").map(String::as_str),
        Some("connector-consumer-snk-0")
    );
}

#[tokio::test(start_paused = true)]
async fn pre_commit_offsets_are_honoured_within_what_was_delivered() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    for v in ["a", "b", "c"] {
        cluster.produce("t", 0, None, v);
    }
    cluster.produce("t", 1, None, "d");
    h.sink.wait_put(4).await;
    h.sink.pre_commit(PreCommit::Return(HashMap::from([
        (tp("t", 0), 1),
        // Beyond what was delivered, and a partition not assigned: both ignored.
        (tp("t", 1), 99),
        (tp("x", 0), 5),
    ])));
    let commits = wait_commits(&consumer, 1).await;
    assert_eq!(commits[0], vec![(tp("t", 0), 1)]);
}

#[tokio::test(start_paused = true)]
async fn an_empty_pre_commit_answer_commits_nothing() {
    let h = harness("1000");
    h.sink.pre_commit(PreCommit::Return(HashMap::new()));
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(h
        .sink
        .calls()
        .iter()
        .any(|c| matches!(c, SinkCall::PreCommit(m) if m.get(&tp("t", 0)) == Some(&1))));
    assert!(consumer.commits().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_failing_pre_commit_rewinds_to_the_last_committed_offsets() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    for v in ["a", "b", "c"] {
        cluster.produce("t", 0, None, v);
    }
    cluster.set_committed(GROUP, &[(tp("t", 0), 1)]);
    h.sink.pre_commit(PreCommit::Fail("flush failed".into()));
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    assert_eq!(
        h.sink.wait_put(2).await,
        vec!["b", "c"],
        "from the committed offset"
    );
    eventually(Duration::from_secs(3600), "the rewind", || {
        consumer
            .calls()
            .contains(&ConsumerCall::Seek(tp("t", 0), 1))
            .then_some(())
    })
    .await;
    h.sink.pre_commit(PreCommit::Echo);
    assert_eq!(h.sink.wait_put(4).await[2..4], ["b", "c"], "redelivered");
    let commits = wait_commits(&consumer, 1).await;
    assert_eq!(commits[0], vec![(tp("t", 0), 3)]);
}

#[tokio::test(start_paused = true)]
async fn a_failing_pre_commit_during_close_still_closes_and_the_task_goes_on() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    let (id, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    cluster.produce("t", 0, None, "a");
    cluster.produce("t", 1, None, "b");
    h.sink.wait_put(2).await;
    h.sink.pre_commit(PreCommit::Fail("flush failed".into()));
    consumer.revoke(&[tp("t", 1)]);
    h.sink
        .wait_for("close of t-1", |c| {
            c.contains(&SinkCall::Close(vec![tp("t", 1)]))
        })
        .await;
    cluster.produce("t", 0, None, "c");
    h.sink.wait_put(3).await;
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
    h.worker.stop_task(&id).await;
    assert_eq!(
        h.sink.calls()[h.sink.calls().len() - 2..],
        [SinkCall::Close(vec![tp("t", 0)]), SinkCall::Stop]
    );
    assert!(consumer.commits().is_empty());
    assert_eq!(
        h.status.task_states(&id),
        vec![State::Running],
        "not failed by the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_commit_is_retried_at_the_next_interval() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    let (id, consumer) = running(&h, &[tp("t", 0)]).await;
    consumer.fail_next_commit("COORDINATOR_NOT_AVAILABLE");
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    let commits = wait_commits(&consumer, 2).await;
    assert_eq!(commits[0], commits[1]);
    assert_eq!(cluster.committed(GROUP)[&tp("t", 0)], 1);
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
}

#[tokio::test(start_paused = true)]
async fn a_revocation_commits_and_closes_only_the_revoked_partitions() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    let (id, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    cluster.produce("t", 0, None, "a");
    cluster.produce("t", 1, None, "b");
    h.sink.wait_put(2).await;
    consumer.revoke(&[tp("t", 1)]);
    h.sink
        .wait_for("close of t-1", |c| {
            c.contains(&SinkCall::Close(vec![tp("t", 1)]))
        })
        .await;
    let calls = h.sink.calls();
    let close = calls
        .iter()
        .position(|c| *c == SinkCall::Close(vec![tp("t", 1)]))
        .unwrap();
    assert_eq!(
        calls[close - 1],
        SinkCall::PreCommit([(tp("t", 1), 1)].into_iter().collect()),
        "preCommit of the revoked partitions only, then close"
    );
    assert_eq!(consumer.commits(), vec![vec![(tp("t", 1), 1)]]);
    consumer.assign(&[tp("t", 2)]);
    h.sink
        .wait_for("open of t-2", |c| {
            c.contains(&SinkCall::Open(vec![tp("t", 2)]))
        })
        .await;
    cluster.produce("t", 2, None, "c");
    h.sink.wait_put(3).await;
    h.worker.stop_task(&id).await;
    let calls = h.sink.calls();
    let n = calls.len();
    assert_eq!(
        calls[n - 3..],
        [
            SinkCall::PreCommit([(tp("t", 0), 1), (tp("t", 2), 1)].into_iter().collect()),
            SinkCall::Close(vec![tp("t", 0), tp("t", 2)]),
            SinkCall::Stop
        ]
    );
    assert_eq!(
        consumer.commits().last().unwrap(),
        &vec![(tp("t", 0), 1), (tp("t", 2), 1)]
    );
    assert!(consumer.is_closed());
}

#[tokio::test(start_paused = true)]
async fn a_revocation_without_deliveries_closes_without_committing() {
    let h = harness("600000");
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    consumer.revoke(&[tp("t", 0)]);
    h.sink
        .wait_for("close", |c| c.contains(&SinkCall::Close(vec![tp("t", 0)])))
        .await;
    assert!(consumer.commits().is_empty());
    assert!(!h
        .sink
        .calls()
        .iter()
        .any(|c| matches!(c, SinkCall::PreCommit(m) if m.contains_key(&tp("t", 0)) && m[&tp("t", 0)] != 0)));
}

#[tokio::test(start_paused = true)]
async fn a_retriable_put_failure_redelivers_the_same_batch_with_partitions_paused() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    cluster.produce("t", 0, None, "a");
    cluster.produce("t", 1, None, "b");
    h.sink
        .push(PutStep::Fail(ConnectError::retriable("destination busy")));
    let (id, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    let put = h.sink.wait_put(4).await;
    assert_eq!(put[..2], put[2..4], "the same batch again");
    let calls = consumer.calls();
    let all = vec![tp("t", 0), tp("t", 1)];
    let paused = calls
        .iter()
        .position(|c| *c == ConsumerCall::Pause(all.clone()))
        .expect("paused for the redelivery");
    eventually(Duration::from_secs(3600), "resume", || {
        consumer.calls()[paused..]
            .contains(&ConsumerCall::Resume(all.clone()))
            .then_some(())
    })
    .await;
    assert!(consumer.paused().is_empty());
    cluster.produce("t", 0, None, "c");
    assert_eq!(h.sink.wait_put(5).await[4], "c");
    eventually(Duration::from_secs(3600), "the commit of c", || {
        (cluster.committed(GROUP).get(&tp("t", 0)) == Some(&2)).then_some(())
    })
    .await;
    assert_eq!(cluster.committed(GROUP)[&tp("t", 1)], 1);
    assert_eq!(h.status.task(&id).unwrap().state, State::Running);
}

#[tokio::test(start_paused = true)]
async fn records_produced_during_a_redelivery_wait_for_it() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    cluster.produce("t", 0, None, "a");
    for _ in 0..3 {
        h.sink
            .push(PutStep::Fail(ConnectError::retriable("destination busy")));
    }
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    h.sink.wait_put(1).await;
    cluster.produce("t", 0, None, "b");
    let put = h.sink.wait_put(5).await;
    assert_eq!(put, vec!["a", "a", "a", "a", "b"]);
    assert!(consumer.paused().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unrecoverable_put_failure_fails_the_task() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    h.sink
        .push(PutStep::Fail(ConnectError::connect("disk full")));
    let (id, consumer) = running(&h, &[tp("t", 0)]).await;
    cluster.produce("t", 0, None, "a");
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(
        trace.contains("Exiting WorkerSinkTask due to unrecoverable exception: disk full"),
        "{trace}"
    );
    assert!(trace.contains("WorkerSinkTask.execute"), "{trace}");
    h.sink
        .wait_for("stop", |c| c.last() == Some(&SinkCall::Stop))
        .await;
    eventually(Duration::from_secs(10), "the consumer closed", || {
        consumer.is_closed().then_some(())
    })
    .await;
    assert!(
        consumer.commits().is_empty(),
        "the failed batch is not committed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_poll_failure_fails_the_task() {
    let h = harness("600000");
    let (id, consumer) = running(&h, &[tp("t", 0)]).await;
    consumer.fail_next_poll("SASL authentication failed");
    let status = h.status.wait_task(&id, State::Failed).await;
    assert!(status.trace.unwrap().contains("SASL authentication failed"));
}

#[tokio::test(start_paused = true)]
async fn pausing_the_connector_pauses_every_partition_and_resuming_resumes_them() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    let (id, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    h.worker
        .set_target_state("snk", TargetState::Paused)
        .await
        .unwrap();
    h.status.wait_task(&id, State::Paused).await;
    eventually(Duration::from_secs(10), "paused partitions", || {
        (consumer.paused().len() == 2).then_some(())
    })
    .await;
    cluster.produce("t", 1, None, "b");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        h.sink.put_values(),
        vec!["a"],
        "nothing delivered while paused"
    );
    h.worker
        .set_target_state("snk", TargetState::Started)
        .await
        .unwrap();
    h.status.wait_task(&id, State::Running).await;
    assert_eq!(h.sink.wait_put(2).await, vec!["a", "b"]);
    assert!(consumer.paused().is_empty());
    assert_eq!(
        h.status.task_states(&id),
        vec![State::Running, State::Paused, State::Running]
    );
}

#[tokio::test(start_paused = true)]
async fn a_sink_created_paused_consumes_nothing_until_resumed() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    cluster.produce("t", 0, None, "a");
    let id = start_with(&h, &[("topics", "t")], TargetState::Paused);
    h.status.wait_task(&id, State::Paused).await;
    let consumer = h.kafka.consumer(0).await;
    consumer.assign(&[tp("t", 0)]);
    eventually(Duration::from_secs(10), "paused partition", || {
        (consumer.paused().len() == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(h.sink.put_values().is_empty());
    h.worker
        .set_target_state("snk", TargetState::Started)
        .await
        .unwrap();
    assert_eq!(h.sink.wait_put(1).await, vec!["a"]);
}

#[tokio::test(start_paused = true)]
async fn a_task_pauses_and_resumes_its_own_partitions() {
    let h = harness("1000");
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0), tp("t", 1)]).await;
    let ctx = h.sink.context().unwrap();
    ctx.pause(&[tp("t", 0)]).unwrap();
    assert!(
        ctx.pause(&[tp("u", 0)]).is_err(),
        "an unassigned partition cannot be paused"
    );
    eventually(Duration::from_secs(3600), "t-0 paused", || {
        (consumer.paused() == [tp("t", 0)].into_iter().collect()).then_some(())
    })
    .await;
    cluster.produce("t", 0, None, "a");
    cluster.produce("t", 1, None, "b");
    assert_eq!(h.sink.wait_put(1).await, vec!["b"]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(h.sink.put_values(), vec!["b"]);
    ctx.resume(&[tp("t", 0)]).unwrap();
    assert_eq!(h.sink.wait_put(2).await, vec!["b", "a"]);
    assert!(consumer.paused().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_commit_requested_by_the_task_happens_before_the_interval() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    let started = Instant::now();
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    h.sink.context().unwrap().request_commit();
    // Wakes the poll, so the loop sees the request.
    cluster.produce("t", 0, None, "b");
    let commits = wait_commits(&consumer, 1).await;
    assert!(Instant::now() - started < Duration::from_secs(600));
    assert!(commits[0][0].1 >= 1);
}

#[tokio::test(start_paused = true)]
async fn a_rewind_by_the_task_seeks_and_redelivers() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    let (_, consumer) = running(&h, &[tp("t", 0)]).await;
    cluster.produce("t", 0, None, "a");
    cluster.produce("t", 0, None, "b");
    h.sink.wait_put(2).await;
    h.sink.context().unwrap().offset(tp("t", 0), 0);
    cluster.produce("t", 0, None, "c");
    let put = h.sink.wait_put(6).await;
    assert_eq!(put, vec!["a", "b", "c", "a", "b", "c"]);
    assert!(consumer
        .calls()
        .contains(&ConsumerCall::Seek(tp("t", 0), 0)));
}

#[tokio::test(start_paused = true)]
async fn stop_during_a_put_that_never_returns_abandons_the_task() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    h.sink.push(PutStep::Hang);
    let (id, consumer) = running(&h, &[tp("t", 0)]).await;
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    let started = Instant::now();
    h.worker.stop_task(&id).await;
    // task.shutdown.graceful.timeout.ms + offset.flush.timeout.ms, then abandoned.
    assert_eq!(Instant::now() - started, Duration::from_millis(1500));
    assert!(!h.sink.calls().contains(&SinkCall::Stop));
    assert!(consumer.commits().is_empty());
    assert!(h.worker.task_ids().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stop_during_a_slow_put_lets_it_finish_then_commits_and_closes() {
    let h = harness("600000");
    let cluster = h.kafka.cluster.clone();
    h.sink.push(PutStep::UntilStopped);
    let (id, consumer) = running(&h, &[tp("t", 0)]).await;
    cluster.produce("t", 0, None, "a");
    h.sink.wait_put(1).await;
    h.worker.stop_task(&id).await;
    let calls = h.sink.calls();
    let n = calls.len();
    assert_eq!(
        calls[n - 3..],
        [
            SinkCall::PreCommit([(tp("t", 0), 1)].into_iter().collect()),
            SinkCall::Close(vec![tp("t", 0)]),
            SinkCall::Stop
        ]
    );
    assert_eq!(consumer.commits(), vec![vec![(tp("t", 0), 1)]]);
    assert_eq!(consumer.calls().last(), Some(&ConsumerCall::Close));
}

#[tokio::test(start_paused = true)]
async fn a_sink_without_topics_fails_before_start() {
    let h = harness("600000");
    let id = start_with(&h, &[], TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(
        trace.contains("Must configure one of topics or topics.regex"),
        "{trace}"
    );
    assert!(trace.contains("Worker.startTask"), "{trace}");
    assert!(h.sink.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_start_failure_fails_the_task_and_closes_the_consumer() {
    let h = harness("600000");
    h.sink.fail_start(ConnectError::config("bad url"));
    let id = start_with(&h, &[("topics.regex", "t.*")], TargetState::Started);
    let status = h.status.wait_task(&id, State::Failed).await;
    assert!(status
        .trace
        .unwrap()
        .contains("WorkerSinkTask.initializeAndStart"));
    let consumer = h.kafka.consumer(0).await;
    assert_eq!(consumer.subscription(), (vec![], Some("t.*".to_string())));
    eventually(Duration::from_secs(10), "the consumer closed", || {
        consumer.is_closed().then_some(())
    })
    .await;
    assert_eq!(h.sink.calls(), vec![SinkCall::Start, SinkCall::Stop]);
}

#[tokio::test(start_paused = true)]
async fn max_poll_records_bounds_each_put() {
    let h = Harness::new(&[
        ("offset.flush.interval.ms", "600000"),
        ("consumer.max.poll.records", "2"),
    ]);
    let cluster = h.kafka.cluster.clone();
    for v in ["a", "b", "c", "d", "e"] {
        cluster.produce("t", 0, None, v);
    }
    running(&h, &[tp("t", 0)]).await;
    assert_eq!(h.sink.wait_put(5).await, vec!["a", "b", "c", "d", "e"]);
    let sizes: Vec<usize> = h
        .sink
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            SinkCall::Put(r) => Some(r.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![2, 2, 1]);
}

#[tokio::test(start_paused = true)]
async fn an_invalid_max_poll_records_fails_the_task_naming_the_key() {
    let h = harness("600000");
    let id = start_with(
        &h,
        &[("topics", "t"), ("consumer.override.max.poll.records", "0")],
        TargetState::Started,
    );
    let status = h.status.wait_task(&id, State::Failed).await;
    let trace = status.trace.unwrap();
    assert!(
        trace.contains("Invalid value 0 for configuration max.poll.records"),
        "{trace}"
    );
    assert!(h.kafka.consumers().is_empty());
}
