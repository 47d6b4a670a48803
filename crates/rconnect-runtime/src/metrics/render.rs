//! The Prometheus text exposition format (version 0.0.4) of [`Metrics`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::{Metrics, TaskKind, TaskMetrics};
use crate::herder::{ConnectorStateInfo, ConnectorTaskId, State};

/// One metric family: its samples, written under one `# HELP` and `# TYPE`.
struct Family {
    help: &'static str,
    samples: Vec<(String, f64)>,
}

/// Families by name, written in name order so a scrape is stable.
#[derive(Default)]
struct Families(BTreeMap<String, Family>);

impl Families {
    fn add(&mut self, name: &str, help: &'static str, labels: &[(&str, &str)], value: f64) {
        let family = self.0.entry(name.to_string()).or_insert_with(|| Family {
            help,
            samples: Vec::new(),
        });
        family.samples.push((label_text(labels), value));
    }

    fn write(self) -> String {
        let mut out = String::new();
        for (name, family) in self.0 {
            // Only names ending in `_total` are counters (Prometheus' naming rule); the
            // cumulative Java attributes without that suffix stay gauges, as the JMX
            // exporter types them.
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, value) in family.samples {
                let _ = writeln!(out, "{name}{labels} {}", number(value));
            }
        }
        out
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn label_text(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn u(c: &AtomicU64) -> f64 {
    c.load(Ordering::Relaxed) as f64
}

fn i(c: &AtomicI64) -> f64 {
    c.load(Ordering::Relaxed) as f64
}

fn opt(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// Java's status attribute values: the state in lower case.
fn status_text(s: State) -> String {
    format!("{s:?}").to_ascii_lowercase()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Renders `metrics` with the states in `statuses` of the connectors and tasks that run on
/// `worker_id`.
pub fn render(metrics: &Metrics, worker_id: &str, statuses: &[ConnectorStateInfo]) -> String {
    let mut f = Families::default();
    worker_families(&mut f, metrics, worker_id, statuses);
    if let Some(r) = &metrics.rebalance {
        let p = "kafka_connect_worker_rebalance_";
        f.add(
            &format!("{p}completed_rebalances_total"),
            "The total number of rebalances completed by this worker.",
            &[],
            u(&r.completed_rebalances_total),
        );
        f.add(
            &format!("{p}rebalancing"),
            "Whether this worker is currently rebalancing (1) or not (0).",
            &[],
            i(&r.rebalancing),
        );
        f.add(
            &format!("{p}epoch"),
            "The epoch or generation number of this worker.",
            &[],
            i(&r.epoch),
        );
        f.add(
            &format!("{p}rebalance_avg_time_ms"),
            "The average time in milliseconds spent by this worker to rebalance.",
            &[],
            opt(r.rebalance_time.avg_ms()),
        );
        f.add(
            &format!("{p}rebalance_max_time_ms"),
            "The maximum time in milliseconds spent by this worker to rebalance.",
            &[],
            opt(r.rebalance_time.max_ms()),
        );
        let last = r.last_rebalance_ms.load(Ordering::Relaxed);
        f.add(
            &format!("{p}time_since_last_rebalance_ms"),
            "The time in milliseconds since this worker completed the most recent rebalance.",
            &[],
            if last > 0 {
                (now_ms() - last).max(0) as f64
            } else {
                f64::INFINITY
            },
        );
    }
    let states: BTreeMap<ConnectorTaskId, State> = statuses
        .iter()
        .flat_map(|c| {
            c.tasks
                .iter()
                .filter(|t| t.worker_id == worker_id)
                .map(move |t| {
                    (
                        ConnectorTaskId {
                            connector: c.name.clone(),
                            task: t.id,
                        },
                        t.state,
                    )
                })
        })
        .collect();
    for (id, m) in metrics.tasks() {
        task_families(&mut f, &id, &m, states.get(&id).copied());
    }
    f.write()
}

fn worker_families(
    f: &mut Families,
    metrics: &Metrics,
    worker_id: &str,
    statuses: &[ConnectorStateInfo],
) {
    let w = &metrics.worker;
    let p = "kafka_connect_worker_";
    let here: Vec<&ConnectorStateInfo> = statuses
        .iter()
        .filter(|c| c.connector.worker_id == worker_id)
        .collect();
    let tasks_here = statuses
        .iter()
        .flat_map(|c| c.tasks.iter())
        .filter(|t| t.worker_id == worker_id)
        .count();
    f.add(
        &format!("{p}connector_count"),
        "The number of connectors run in this worker.",
        &[],
        here.len() as f64,
    );
    f.add(
        &format!("{p}task_count"),
        "The number of tasks run in this worker.",
        &[],
        tasks_here as f64,
    );
    for (name, help, c) in [
        (
            "connector_startup_attempts_total",
            "The total number of connector startups that this worker has attempted.",
            &w.connector_startup_attempts_total,
        ),
        (
            "connector_startup_success_total",
            "The total number of connector starts that succeeded.",
            &w.connector_startup_success_total,
        ),
        (
            "connector_startup_failure_total",
            "The total number of connector starts that failed.",
            &w.connector_startup_failure_total,
        ),
        (
            "task_startup_attempts_total",
            "The total number of task startups that this worker has attempted.",
            &w.task_startup_attempts_total,
        ),
        (
            "task_startup_success_total",
            "The total number of task starts that succeeded.",
            &w.task_startup_success_total,
        ),
        (
            "task_startup_failure_total",
            "The total number of task starts that failed.",
            &w.task_startup_failure_total,
        ),
    ] {
        f.add(&format!("{p}{name}"), help, &[], u(c));
    }
    f.add(
        "rconnect_worker_auto_restarts_total",
        "Restarts of FAILED connectors and tasks by rconnect.auto.restart.enable (not in Java).",
        &[],
        u(&w.auto_restarts_total),
    );
    // Per connector, over all its tasks wherever they run (Java's connector-level counts
    // in connect-worker-metrics), for the connectors whose instance runs here.
    for c in &here {
        let count = |s: State| c.tasks.iter().filter(|t| t.state == s).count() as f64;
        let labels = [("connector", c.name.as_str())];
        f.add(
            &format!("{p}connector_total_task_count"),
            "The number of tasks of the connector on the worker.",
            &labels,
            c.tasks.len() as f64,
        );
        for (name, help, state) in [
            (
                "connector_running_task_count",
                "The number of running tasks of the connector on the worker.",
                State::Running,
            ),
            (
                "connector_paused_task_count",
                "The number of paused tasks of the connector on the worker.",
                State::Paused,
            ),
            (
                "connector_failed_task_count",
                "The number of failed tasks of the connector on the worker.",
                State::Failed,
            ),
            (
                "connector_unassigned_task_count",
                "The number of unassigned tasks of the connector on the worker.",
                State::Unassigned,
            ),
            (
                "connector_restarting_task_count",
                "The number of restarting tasks of the connector on the worker.",
                State::Restarting,
            ),
        ] {
            f.add(&format!("{p}{name}"), help, &labels, count(state));
        }
        f.add(
            "kafka_connect_connector_status",
            "The status of the connector (1 for the current status).",
            &[
                ("connector", c.name.as_str()),
                ("status", &status_text(c.connector.state)),
            ],
            1.0,
        );
    }
}

fn task_families(f: &mut Families, id: &ConnectorTaskId, m: &TaskMetrics, state: Option<State>) {
    let task = id.task.to_string();
    let labels = [
        ("connector", id.connector.as_str()),
        ("task", task.as_str()),
    ];
    if let Some(state) = state {
        f.add(
            "kafka_connect_connector_task_status",
            "The status of the connector task (1 for the current status).",
            &[
                ("connector", id.connector.as_str()),
                ("task", task.as_str()),
                ("status", &status_text(state)),
            ],
            1.0,
        );
    }
    let c = &m.common;
    let p = "kafka_connect_connector_task_";
    let ok = u(&c.offset_commit_success);
    let failed = u(&c.offset_commit_failure);
    let commits = ok + failed;
    let pct = |n: f64| if commits > 0.0 { n / commits } else { 0.0 };
    f.add(
        &format!("{p}offset_commit_success_percentage"),
        "The average percentage of this task's offset commit attempts that succeeded.",
        &labels,
        pct(ok),
    );
    f.add(
        &format!("{p}offset_commit_failure_percentage"),
        "The average percentage of this task's offset commit attempts that failed.",
        &labels,
        pct(failed),
    );
    f.add(
        &format!("{p}offset_commit_avg_time_ms"),
        "The average time in milliseconds taken by this task to commit offsets.",
        &labels,
        opt(c.offset_commit_time.avg_ms()),
    );
    f.add(
        &format!("{p}offset_commit_max_time_ms"),
        "The maximum time in milliseconds taken by this task to commit offsets.",
        &labels,
        opt(c.offset_commit_time.max_ms()),
    );
    f.add(
        &format!("{p}batch_size_avg"),
        "The average number of records in the batches the task has processed so far.",
        &labels,
        opt(c.batch_size.avg()),
    );
    f.add(
        &format!("{p}batch_size_max"),
        "The number of records in the largest batch the task has processed so far.",
        &labels,
        opt(c.batch_size.max()),
    );
    match m.kind {
        TaskKind::Source => {
            let s = &m.source;
            let p = "kafka_connect_source_task_";
            f.add(
                &format!("{p}source_record_poll_total"),
                "The total number of records produced/polled (before transformation) by this task.",
                &labels,
                u(&s.record_poll_total),
            );
            f.add(
                &format!("{p}source_record_write_total"),
                "The number of records output written to Kafka for this task.",
                &labels,
                u(&s.record_write_total),
            );
            f.add(
                &format!("{p}source_record_active_count"),
                "The number of records that have been produced by this task but not yet completely written to Kafka.",
                &labels,
                i(&s.record_active_count).max(0.0),
            );
            f.add(
                &format!("{p}poll_batch_avg_time_ms"),
                "The average time in milliseconds taken by this task to poll for a batch of source records.",
                &labels,
                opt(s.poll_batch_time.avg_ms()),
            );
            f.add(
                &format!("{p}poll_batch_max_time_ms"),
                "The maximum time in milliseconds taken by this task to poll for a batch of source records.",
                &labels,
                opt(s.poll_batch_time.max_ms()),
            );
        }
        TaskKind::Sink => {
            let s = &m.sink;
            let p = "kafka_connect_sink_task_";
            f.add(
                &format!("{p}sink_record_read_total"),
                "The total number of records read from Kafka by this task.",
                &labels,
                u(&s.record_read_total),
            );
            f.add(
                &format!("{p}sink_record_send_total"),
                "The total number of records output from the transformations and sent/put to this task.",
                &labels,
                u(&s.record_send_total),
            );
            f.add(
                &format!("{p}partition_count"),
                "The number of topic partitions assigned to this task.",
                &labels,
                i(&s.partition_count),
            );
            f.add(
                &format!("{p}offset_commit_completion_total"),
                "The total number of offset commit completions that were completed successfully.",
                &labels,
                u(&s.offset_commit_completion_total),
            );
            f.add(
                &format!("{p}offset_commit_skip_total"),
                "The total number of offset commit completions that were received too late and skipped/ignored.",
                &labels,
                u(&s.offset_commit_skip_total),
            );
            f.add(
                &format!("{p}put_batch_avg_time_ms"),
                "The average time taken by this task to put a batch of sinks records.",
                &labels,
                opt(s.put_batch_time.avg_ms()),
            );
            f.add(
                &format!("{p}put_batch_max_time_ms"),
                "The maximum time taken by this task to put a batch of sinks records.",
                &labels,
                opt(s.put_batch_time.max_ms()),
            );
        }
    }
    let e = &m.errors;
    let p = "kafka_connect_task_error_";
    for (name, help, c) in [
        (
            "total_record_failures",
            "The number of record processing failures in this task.",
            &e.total_record_failures,
        ),
        (
            "total_record_errors",
            "The number of record processing errors in this task.",
            &e.total_record_errors,
        ),
        (
            "total_records_skipped",
            "The number of records skipped due to errors.",
            &e.total_records_skipped,
        ),
        (
            "total_retries",
            "The number of operations retried.",
            &e.total_retries,
        ),
        (
            "total_errors_logged",
            "The number of errors that were logged.",
            &e.total_errors_logged,
        ),
        (
            "deadletterqueue_produce_requests",
            "The number of attempted writes to the dead letter queue.",
            &e.deadletterqueue_produce_requests,
        ),
        (
            "deadletterqueue_produce_failures",
            "The number of failed writes to the dead letter queue.",
            &e.deadletterqueue_produce_failures,
        ),
    ] {
        f.add(&format!("{p}{name}"), help, &labels, u(c));
    }
    f.add(
        &format!("{p}last_error_timestamp"),
        "The epoch timestamp when this task last encountered an error.",
        &labels,
        i(&e.last_error_timestamp),
    );
}
