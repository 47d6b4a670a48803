//! The standalone herder through the `Herder` trait, over a worker of fakes: create,
//! update, delete, pause, resume, stop and restarts, with the statuses they leave.

use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::ConnectError;

use crate::herder::{Herder, HerderError, State, TargetState};
use crate::standalone::StandaloneHerder;
use crate::status::StatusStore;
use crate::test_util::{
    eventually, props, task_id, Harness, PollStep, SinkCall, SourceCall, SourceScript, SINK, SOURCE,
};

fn setup() -> (Harness, Arc<StandaloneHerder>) {
    let mut h = Harness::new(&[
        ("offset.flush.interval.ms", "1000"),
        ("offset.flush.timeout.ms", "500"),
        ("task.shutdown.graceful.timeout.ms", "1000"),
    ]);
    let herder = StandaloneHerder::new(
        h.worker.clone(),
        h.events.take().unwrap(),
        "fake-cluster".into(),
    );
    herder.set_ready();
    (h, herder)
}

fn source_config(tasks: &str) -> rconnect_sdk::Props {
    props(&[
        ("connector.class", SOURCE),
        ("name", "src"),
        ("tasks.max", "4"),
        ("test.tasks", tasks),
    ])
}

/// Waits until the connector and every task of `name` are in `state`, with `tasks` tasks.
async fn wait_all(herder: &StandaloneHerder, name: &str, state: State, tasks: usize) {
    for _ in 0..2000 {
        if let Ok(s) = herder.connector_status(name).await {
            if s.connector.state == state
                && s.tasks.len() == tasks
                && s.tasks.iter().all(|t| t.state == state)
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "{name} never reached {state:?} with {tasks} task(s): {:?}",
        herder.connector_status(name).await
    );
}

#[tokio::test(start_paused = true)]
async fn creating_a_connector_starts_it_and_its_tasks() {
    let (h, herder) = setup();
    let created = herder
        .put_connector_config("src", source_config("2"), None, false)
        .await
        .unwrap();
    assert!(created.created);
    assert_eq!(
        created.result.tasks,
        vec![task_id("src", 0), task_id("src", 1)]
    );
    wait_all(&herder, "src", State::Running, 2).await;
    let tasks = herder.task_configs("src").await.unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(
        tasks[1].config.get("task.class").map(String::as_str),
        Some("test.ScriptedTask")
    );
    assert_eq!(
        tasks[1].config.get("task.index").map(String::as_str),
        Some("1")
    );
    assert_eq!(h.source.count(&SourceCall::Start), 2);
    assert_eq!(herder.connectors().await, vec!["src".to_string()]);
    assert_eq!(
        herder.connector_config("src").await.unwrap(),
        source_config("2")
    );
}

#[tokio::test(start_paused = true)]
async fn records_flow_and_offsets_commit_through_a_created_connector() {
    let (h, herder) = setup();
    h.source
        .push_records(vec![SourceScript::record("f", 4, "out", "x")]);
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    let producer = h.kafka.producer(0).await;
    producer.wait_sent(1, Duration::from_secs(10)).await;
    h.source.wait_count(&SourceCall::Commit, 1).await;
    let offsets = herder.connector_offsets("src").await.unwrap();
    assert_eq!(offsets.offsets.len(), 1);
    assert_eq!(
        serde_json::to_value(&offsets.offsets[0]).unwrap(),
        serde_json::json!({"partition": {"file": "f"}, "offset": {"line": 4}})
    );
    // Offsets change only while the connector is stopped.
    let err = herder.reset_connector_offsets("src").await.unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    herder.stop_connector("src").await.unwrap();
    herder.reset_connector_offsets("src").await.unwrap();
    assert!(herder
        .connector_offsets("src")
        .await
        .unwrap()
        .offsets
        .is_empty());
}

#[tokio::test(start_paused = true)]
async fn creating_twice_conflicts_and_replacing_restarts_with_the_new_tasks() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("2"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 2).await;
    let err = herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HerderError::AlreadyExists("Connector src already exists".into())
    );
    let updated = herder
        .put_connector_config("src", source_config("1"), None, true)
        .await
        .unwrap();
    assert!(!updated.created);
    assert_eq!(updated.result.tasks, vec![task_id("src", 0)]);
    assert_eq!(
        h.source.count(&SourceCall::Stop),
        2,
        "both old tasks stopped"
    );
    h.source.wait_count(&SourceCall::Start, 3).await;
    wait_all(&herder, "src", State::Running, 1).await;
    assert!(
        h.status.task(&task_id("src", 1)).is_none(),
        "the removed task's status is gone"
    );
}

#[tokio::test(start_paused = true)]
async fn an_invalid_config_is_refused_and_nothing_is_created() {
    let (_h, herder) = setup();
    let err = herder
        .put_connector_config(
            "bad",
            props(&[("connector.class", "test.NoSuchConnector"), ("name", "bad")]),
            None,
            false,
        )
        .await
        .unwrap_err();
    // Java answers an unknown class with a ConnectException (500), a bad value with 400.
    assert_eq!(err.status(), 500, "{err}");
    assert!(
        err.to_string()
            .starts_with("Failed to find any class that implements Connector and which name matches test.NoSuchConnector"),
        "{err}"
    );
    let mut config = source_config("1");
    config.insert("tasks.max".into(), "many".into());
    let err = herder
        .put_connector_config("src", config, None, false)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    assert!(err.to_string().contains("tasks.max"), "{err}");
    assert!(herder.connectors().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn pause_and_resume_reach_the_connector_and_its_tasks() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 1).await;
    herder.pause_connector("src").await.unwrap();
    wait_all(&herder, "src", State::Paused, 1).await;
    herder.resume_connector("src").await.unwrap();
    wait_all(&herder, "src", State::Running, 1).await;
    assert_eq!(
        h.status.task_states(&task_id("src", 0)),
        vec![State::Running, State::Paused, State::Running]
    );
    assert_eq!(
        h.status.connector_states("src"),
        vec![State::Running, State::Paused, State::Running]
    );
    assert_eq!(
        h.source.count(&SourceCall::Start),
        1,
        "a resume restarts nothing"
    );
    assert_eq!(
        herder.pause_connector("nope").await.unwrap_err().status(),
        404
    );
}

#[tokio::test(start_paused = true)]
async fn a_connector_created_paused_gets_its_tasks_when_resumed() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("2"), Some(TargetState::Paused), false)
        .await
        .unwrap();
    let status = herder.connector_status("src").await.unwrap();
    assert_eq!(status.connector.state, State::Paused);
    assert!(status.tasks.is_empty());
    herder.resume_connector("src").await.unwrap();
    wait_all(&herder, "src", State::Running, 2).await;
    assert_eq!(h.source.count(&SourceCall::Start), 2);
}

#[tokio::test(start_paused = true)]
async fn stop_removes_the_tasks_and_resume_regenerates_them() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("2"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 2).await;
    herder.stop_connector("src").await.unwrap();
    let status = herder.connector_status("src").await.unwrap();
    assert_eq!(status.connector.state, State::Stopped);
    assert!(status.tasks.is_empty());
    assert!(herder.task_configs("src").await.unwrap().is_empty());
    assert_eq!(h.source.count(&SourceCall::Stop), 2);
    herder.resume_connector("src").await.unwrap();
    wait_all(&herder, "src", State::Running, 2).await;
    assert_eq!(h.source.count(&SourceCall::Start), 4);
}

#[tokio::test(start_paused = true)]
async fn delete_stops_everything_and_forgets_the_connector() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 1).await;
    herder.delete_connector("src").await.unwrap();
    assert_eq!(h.source.count(&SourceCall::Stop), 1);
    assert!(herder.connectors().await.is_empty());
    assert!(h.status.connector("src").is_none());
    assert!(h.status.tasks("src").is_empty());
    assert!(h.worker.task_ids().is_empty());
    assert!(h.worker.connector_names().is_empty());
    assert_eq!(
        herder.delete_connector("src").await.unwrap_err(),
        HerderError::NotFound("Connector src not found".into())
    );
    assert_eq!(
        herder.connector_info("src").await.unwrap_err().status(),
        404
    );
}

#[tokio::test(start_paused = true)]
async fn restarting_a_task_stops_and_starts_it() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    let id = task_id("src", 0);
    wait_all(&herder, "src", State::Running, 1).await;
    herder.restart_task(&id).await.unwrap();
    wait_all(&herder, "src", State::Running, 1).await;
    assert_eq!(
        h.status.task_states(&id),
        vec![State::Running, State::Unassigned, State::Running]
    );
    assert_eq!(h.source.count(&SourceCall::Start), 2);
    assert_eq!(
        herder.restart_task(&task_id("src", 7)).await.unwrap_err(),
        HerderError::NotFound("Task src-7 not found".into())
    );
}

#[tokio::test(start_paused = true)]
async fn restarting_only_failed_tasks_restarts_the_failed_task_alone() {
    let (h, herder) = setup();
    h.source
        .push(PollStep::Fail(ConnectError::connect("source lost")));
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    let id = task_id("src", 0);
    let failed = h.status.wait_task(&id, State::Failed).await;
    assert!(failed.trace.unwrap().contains("source lost"));
    let plan = herder
        .restart_connector("src", true, true)
        .await
        .unwrap()
        .expect("a plan");
    assert_eq!(
        plan.connector.state,
        State::Running,
        "the connector is not restarted"
    );
    assert_eq!(plan.tasks[0].state, State::Restarting);
    wait_all(&herder, "src", State::Running, 1).await;
    let states = h.status.task_states(&id);
    assert_eq!(
        states[states.len() - 3..],
        [State::Failed, State::Restarting, State::Running],
        "a failed task is not reported UNASSIGNED when stopped"
    );
    assert_eq!(h.status.connector_states("src"), vec![State::Running]);
}

#[tokio::test(start_paused = true)]
async fn the_legacy_restart_restarts_the_connector_only() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("1"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 1).await;
    assert_eq!(
        herder.restart_connector("src", false, false).await.unwrap(),
        None
    );
    assert_eq!(
        h.status.connector_states("src"),
        vec![State::Running, State::Unassigned, State::Running]
    );
    assert_eq!(h.source.count(&SourceCall::Start), 1, "tasks keep running");
}

#[tokio::test(start_paused = true)]
async fn a_connector_that_fails_to_start_is_failed_without_tasks() {
    let (_h, herder) = setup();
    let mut config = source_config("1");
    config.insert("test.fail.start".into(), "true".into());
    herder
        .put_connector_config("src", config, None, false)
        .await
        .unwrap();
    let status = herder.connector_status("src").await.unwrap();
    assert_eq!(status.connector.state, State::Failed);
    assert!(status
        .connector
        .trace
        .unwrap()
        .contains("the test connector refused to start"));
    assert!(status.tasks.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_sink_connector_runs_its_tasks_on_consumers_of_its_group() {
    let (h, herder) = setup();
    herder
        .put_connector_config(
            "snk",
            props(&[("connector.class", SINK), ("name", "snk"), ("topics", "t")]),
            None,
            false,
        )
        .await
        .unwrap();
    wait_all(&herder, "snk", State::Running, 1).await;
    let consumer = h.kafka.consumer(0).await;
    assert_eq!(consumer.group(), "connect-snk");
    h.kafka.cluster.produce("t", 0, None, "a");
    consumer.assign(&[rconnect_sdk::record::TopicPartition::new("t", 0)]);
    assert_eq!(h.sink.wait_put(1).await, vec!["a"]);
    herder.delete_connector("snk").await.unwrap();
    assert_eq!(h.sink.calls().last(), Some(&SinkCall::Stop));
    eventually(Duration::from_secs(10), "the consumer closed", || {
        consumer.is_closed().then_some(())
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_every_task() {
    let (h, herder) = setup();
    herder
        .put_connector_config("src", source_config("2"), None, false)
        .await
        .unwrap();
    wait_all(&herder, "src", State::Running, 2).await;
    herder.stop().await;
    assert_eq!(h.source.count(&SourceCall::Stop), 2);
    assert!(h.worker.task_ids().is_empty());
    assert!(h.worker.connector_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn sink_offsets_are_the_groups_and_change_only_while_stopped() {
    let (h, herder) = setup();
    let tp0 = rconnect_sdk::record::TopicPartition::new("t", 0);
    herder
        .put_connector_config(
            "snk",
            props(&[("connector.class", SINK), ("name", "snk"), ("topics", "t")]),
            None,
            false,
        )
        .await
        .unwrap();
    wait_all(&herder, "snk", State::Running, 1).await;
    h.kafka.cluster.produce("t", 0, None, "a");
    h.kafka.cluster.produce("t", 0, None, "b");
    let consumer = h.kafka.consumer(0).await;
    consumer.assign(std::slice::from_ref(&tp0));
    h.sink.wait_put(2).await;
    // The flush interval (1 s) commits the delivered offsets to the group.
    eventually(Duration::from_secs(60), "the group's commit", || {
        (h.kafka.cluster.committed("connect-snk").get(&tp0) == Some(&2)).then_some(())
    })
    .await;
    let offsets = serde_json::to_value(herder.connector_offsets("snk").await.unwrap()).unwrap();
    assert_eq!(
        offsets,
        serde_json::json!({"offsets": [{
            "partition": {"kafka_topic": "t", "kafka_partition": 0},
            "offset": {"kafka_offset": 2}
        }]})
    );
    let change: Vec<crate::herder::OffsetChange> = serde_json::from_value(serde_json::json!([{
        "partition": {"kafka_topic": "t", "kafka_partition": 0},
        "offset": {"kafka_offset": 0}
    }]))
    .unwrap();
    let err = herder
        .alter_connector_offsets("snk", change.clone())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    herder.stop_connector("snk").await.unwrap();
    assert!(consumer.is_closed(), "the stopped task left the group");
    herder.alter_connector_offsets("snk", change).await.unwrap();
    assert_eq!(h.kafka.cluster.committed("connect-snk").get(&tp0), Some(&0));
    herder.reset_connector_offsets("snk").await.unwrap();
    assert!(h.kafka.cluster.committed("connect-snk").is_empty());
}
