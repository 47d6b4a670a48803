use std::time::Duration;

use super::*;
use crate::herder::{ConnectorState, ConnectorType, State, TaskState};

fn id(c: &str, t: i32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: c.to_string(),
        task: t,
    }
}

fn status(name: &str, worker: &str, tasks: &[(i32, State, &str)]) -> ConnectorStateInfo {
    ConnectorStateInfo {
        name: name.to_string(),
        connector: ConnectorState {
            state: State::Running,
            worker_id: worker.to_string(),
            trace: None,
        },
        tasks: tasks
            .iter()
            .map(|(id, state, w)| TaskState {
                id: *id,
                state: *state,
                worker_id: w.to_string(),
                trace: None,
            })
            .collect(),
        connector_type: ConnectorType::Source,
    }
}

/// The value of the sample `name{labels}` in `text`.
fn sample(text: &str, name_and_labels: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name_and_labels} ")))
        .map(str::to_string)
}

#[test]
fn time_and_size_stats_average_and_keep_the_maximum() {
    let t = TimeStat::default();
    assert_eq!(t.avg_ms(), None);
    t.record(Duration::from_millis(2));
    t.record(Duration::from_millis(4));
    assert_eq!(t.avg_ms(), Some(3.0));
    assert_eq!(t.max_ms(), Some(4.0));
    let s = SizeStat::default();
    assert_eq!(s.max(), None);
    s.record(10);
    s.record(0);
    assert_eq!(s.avg(), Some(5.0));
    assert_eq!(s.max(), Some(10.0));
}

#[test]
fn source_task_counters_render_under_strimzi_names() {
    let m = Metrics::standalone("w1");
    let t = m.task(&id("src", 0), TaskKind::Source);
    t.source_polled(3, Duration::from_millis(1));
    t.source_sent(3);
    t.source_acked(2, true);
    t.offset_commit(true, Duration::from_millis(5));
    t.offset_commit(false, Duration::from_millis(7));
    t.errors.record_error(1234);
    let text = m.render(&[status("src", "w1", &[(0, State::Running, "w1")])]);
    let l = "{connector=\"src\",task=\"0\"}";
    let get =
        |n: &str| sample(&text, &format!("{n}{l}")).unwrap_or_else(|| panic!("{n} in\n{text}"));
    assert_eq!(
        get("kafka_connect_source_task_source_record_poll_total"),
        "3"
    );
    assert_eq!(
        get("kafka_connect_source_task_source_record_write_total"),
        "2"
    );
    assert_eq!(
        get("kafka_connect_source_task_source_record_active_count"),
        "1"
    );
    assert_eq!(
        get("kafka_connect_connector_task_offset_commit_success_percentage"),
        "0.5"
    );
    assert_eq!(
        get("kafka_connect_connector_task_offset_commit_max_time_ms"),
        "7"
    );
    assert_eq!(get("kafka_connect_connector_task_batch_size_max"), "3");
    assert_eq!(get("kafka_connect_task_error_total_record_failures"), "1");
    assert_eq!(get("kafka_connect_task_error_last_error_timestamp"), "1234");
    assert_eq!(
        sample(
            &text,
            "kafka_connect_connector_task_status{connector=\"src\",task=\"0\",status=\"running\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(text.contains("# TYPE kafka_connect_source_task_source_record_poll_total counter"));
    assert!(text.contains("# TYPE kafka_connect_task_error_total_record_failures gauge"));
    // No sink families for a source task, and no rebalance families standalone.
    assert!(!text.contains("kafka_connect_sink_task_"), "{text}");
    assert!(!text.contains("rebalance"), "{text}");
    // Each family once, its HELP and TYPE before its samples.
    let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    assert_eq!(types, helps);
}

#[test]
fn sink_task_and_worker_counts_follow_the_statuses_of_this_worker() {
    let m = Metrics::distributed("w1");
    let t = m.task(&id("snk", 1), TaskKind::Sink);
    t.sink_read(5);
    t.sink_put(5, Duration::from_millis(3));
    t.sink_partitions(2);
    t.offset_commit(true, Duration::from_millis(1));
    t.sink_commit_skipped();
    m.rebalance
        .as_ref()
        .unwrap()
        .completed(7, Duration::from_millis(40), 1);
    let statuses = [
        status(
            "snk",
            "w1",
            &[(0, State::Failed, "w2"), (1, State::Running, "w1")],
        ),
        status("elsewhere", "w2", &[(0, State::Running, "w2")]),
    ];
    let text = m.render(&statuses);
    let l = "{connector=\"snk\",task=\"1\"}";
    assert_eq!(
        sample(
            &text,
            &format!("kafka_connect_sink_task_sink_record_read_total{l}")
        )
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        sample(
            &text,
            &format!("kafka_connect_sink_task_sink_record_send_total{l}")
        )
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        sample(
            &text,
            &format!("kafka_connect_sink_task_partition_count{l}")
        )
        .as_deref(),
        Some("2")
    );
    assert_eq!(
        sample(
            &text,
            &format!("kafka_connect_sink_task_offset_commit_completion_total{l}")
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            &format!("kafka_connect_sink_task_offset_commit_skip_total{l}")
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kafka_connect_worker_connector_count").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kafka_connect_worker_task_count").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kafka_connect_worker_connector_failed_task_count{connector=\"snk\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kafka_connect_worker_connector_total_task_count{connector=\"snk\"}"
        )
        .as_deref(),
        Some("2")
    );
    assert!(!text.contains("connector=\"elsewhere\""), "{text}");
    assert_eq!(
        sample(&text, "kafka_connect_worker_rebalance_epoch").as_deref(),
        Some("7")
    );
    assert_eq!(
        sample(
            &text,
            "kafka_connect_worker_rebalance_completed_rebalances_total"
        )
        .as_deref(),
        Some("1")
    );
    // A removed task is gone from the next scrape.
    m.remove_task(&id("snk", 1));
    assert!(!m.render(&statuses).contains("kafka_connect_sink_task_"));
}

#[test]
fn label_values_are_escaped() {
    let m = Metrics::standalone("w1");
    m.task(&id("a\"b\\c\nd", 0), TaskKind::Source);
    let text = m.render(&[]);
    assert!(text.contains("connector=\"a\\\"b\\\\c\\nd\""), "{text}");
    // Averages before any record are NaN, as Java's are.
    assert!(text.contains("kafka_connect_source_task_poll_batch_avg_time_ms{connector=\"a\\\"b\\\\c\\nd\",task=\"0\"} NaN"));
}
