//! Worker, task and error metrics, exposed by `GET /metrics` in the Prometheus text format.
//!
//! The groups and attribute names are Java Connect's (`ConnectMetricsRegistry`:
//! `connect-worker-metrics`, `connect-worker-rebalance-metrics`, `connector-metrics`,
//! `connector-task-metrics`, `source-task-metrics`, `sink-task-metrics`,
//! `task-error-metrics`), named the way the Prometheus JMX exporter rules users run for Java
//! Connect (Strimzi's `kafka-connect-metrics` config) name them: `kafka_connect_` + the group
//! without `-metrics` + the attribute, dashes as underscores, with `connector` and `task`
//! labels, e.g. `kafka_connect_source_task_source_record_poll_total{connector="c",task="0"}`.
//! Java's windowed `-rate` attributes are left out: Prometheus derives them from the
//! `_total` counters (`rate(...[1m])`).
//!
//! Counters are plain atomics a task loop bumps without locks; the registry is only locked
//! to add or remove a task and to render.

mod render;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::herder::{ConnectorStateInfo, ConnectorTaskId};

pub use render::render;

/// A running total and maximum of durations (Java's `Avg` and `Max` stats, over the task's
/// life rather than a window).
#[derive(Debug, Default)]
pub struct TimeStat {
    count: AtomicU64,
    sum_micros: AtomicU64,
    max_micros: AtomicU64,
}

impl TimeStat {
    /// Records one duration.
    pub fn record(&self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.max_micros.fetch_max(micros, Ordering::Relaxed);
    }

    /// Average in milliseconds; `None` before the first record (Java reports NaN).
    pub fn avg_ms(&self) -> Option<f64> {
        let n = self.count.load(Ordering::Relaxed);
        (n > 0).then(|| self.sum_micros.load(Ordering::Relaxed) as f64 / n as f64 / 1000.0)
    }

    /// Maximum in milliseconds; `None` before the first record.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count.load(Ordering::Relaxed) > 0)
            .then(|| self.max_micros.load(Ordering::Relaxed) as f64 / 1000.0)
    }
}

/// A running average and maximum of sizes (`batch-size-avg`, `batch-size-max`).
#[derive(Debug, Default)]
pub struct SizeStat {
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl SizeStat {
    /// Records one size.
    pub fn record(&self, n: usize) {
        let n = n as u64;
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(n, Ordering::Relaxed);
        self.max.fetch_max(n, Ordering::Relaxed);
    }

    /// Average; `None` before the first record.
    pub fn avg(&self) -> Option<f64> {
        let n = self.count.load(Ordering::Relaxed);
        (n > 0).then(|| self.sum.load(Ordering::Relaxed) as f64 / n as f64)
    }

    /// Maximum; `None` before the first record.
    pub fn max(&self) -> Option<f64> {
        (self.count.load(Ordering::Relaxed) > 0).then(|| self.max.load(Ordering::Relaxed) as f64)
    }
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// `connector-task-metrics`: what every task has.
#[derive(Debug, Default)]
pub struct CommonTaskMetrics {
    /// Offset commits that completed.
    pub offset_commit_success: AtomicU64,
    /// Offset commits that failed.
    pub offset_commit_failure: AtomicU64,
    /// Duration of offset commits.
    pub offset_commit_time: TimeStat,
    /// Records per poll (source) or per put (sink).
    pub batch_size: SizeStat,
}

/// `source-task-metrics`.
#[derive(Debug, Default)]
pub struct SourceTaskMetrics {
    /// Records the task returned from `poll` (before transformations).
    pub record_poll_total: AtomicU64,
    /// Records written to Kafka (acknowledged, after transformations).
    pub record_write_total: AtomicU64,
    /// Records sent and not yet acknowledged.
    pub record_active_count: AtomicI64,
    /// Duration of `poll` calls that returned records.
    pub poll_batch_time: TimeStat,
}

/// `sink-task-metrics`.
#[derive(Debug, Default)]
pub struct SinkTaskMetrics {
    /// Records read from Kafka.
    pub record_read_total: AtomicU64,
    /// Records handed to `put` (after transformations).
    pub record_send_total: AtomicU64,
    /// Partitions assigned to the task's consumer.
    pub partition_count: AtomicI64,
    /// Offset commit requests that completed.
    pub offset_commit_completion_total: AtomicU64,
    /// Offset commits skipped (nothing new to commit).
    pub offset_commit_skip_total: AtomicU64,
    /// Duration of `put` calls.
    pub put_batch_time: TimeStat,
}

/// `task-error-metrics` (`errors.tolerance`, `errors.log.enable`, the dead-letter queue).
#[derive(Debug, Default)]
pub struct TaskErrorMetrics {
    /// Operations that failed (after retries).
    pub total_record_failures: AtomicU64,
    /// Records that failed an operation.
    pub total_record_errors: AtomicU64,
    /// Records skipped because of errors (`errors.tolerance=all`).
    pub total_records_skipped: AtomicU64,
    /// Retries of failed operations.
    pub total_retries: AtomicU64,
    /// Errors written to the log.
    pub total_errors_logged: AtomicU64,
    /// Records sent to the dead-letter queue.
    pub deadletterqueue_produce_requests: AtomicU64,
    /// Failed sends to the dead-letter queue.
    pub deadletterqueue_produce_failures: AtomicU64,
    /// Epoch milliseconds of the last error, 0 before any.
    pub last_error_timestamp: AtomicI64,
}

impl TaskErrorMetrics {
    /// One record failed an operation at `now_ms`.
    pub fn record_error(&self, now_ms: i64) {
        bump(&self.total_record_failures, 1);
        bump(&self.total_record_errors, 1);
        self.last_error_timestamp.store(now_ms, Ordering::Relaxed);
    }
}

/// What a task is, for the groups it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// A source task: `source-task-metrics`.
    Source,
    /// A sink task: `sink-task-metrics`.
    Sink,
}

/// The metrics of one task; the loop holds an `Arc` and bumps the counters.
#[derive(Debug)]
pub struct TaskMetrics {
    /// Source or sink.
    pub kind: TaskKind,
    /// `connector-task-metrics`.
    pub common: CommonTaskMetrics,
    /// `source-task-metrics` (zero for a sink).
    pub source: SourceTaskMetrics,
    /// `sink-task-metrics` (zero for a source).
    pub sink: SinkTaskMetrics,
    /// `task-error-metrics`.
    pub errors: TaskErrorMetrics,
}

impl TaskMetrics {
    fn new(kind: TaskKind) -> TaskMetrics {
        TaskMetrics {
            kind,
            common: CommonTaskMetrics::default(),
            source: SourceTaskMetrics::default(),
            sink: SinkTaskMetrics::default(),
            errors: TaskErrorMetrics::default(),
        }
    }

    /// A source poll that returned `records` records after `took`.
    pub fn source_polled(&self, records: usize, took: Duration) {
        bump(&self.source.record_poll_total, records as u64);
        self.source.poll_batch_time.record(took);
        self.common.batch_size.record(records);
    }

    /// `n` source records were sent (not yet acknowledged).
    pub fn source_sent(&self, n: usize) {
        self.source
            .record_active_count
            .fetch_add(n as i64, Ordering::Relaxed);
    }

    /// `n` source records were acknowledged (written, or failed and given up on).
    pub fn source_acked(&self, n: usize, written: bool) {
        self.source
            .record_active_count
            .fetch_sub(n as i64, Ordering::Relaxed);
        if written {
            bump(&self.source.record_write_total, n as u64);
        }
    }

    /// An offset commit (flush) that took `took` and succeeded or not.
    pub fn offset_commit(&self, ok: bool, took: Duration) {
        if ok {
            bump(&self.common.offset_commit_success, 1);
        } else {
            bump(&self.common.offset_commit_failure, 1);
        }
        self.common.offset_commit_time.record(took);
        if self.kind == TaskKind::Sink && ok {
            bump(&self.sink.offset_commit_completion_total, 1);
        }
    }

    /// A sink offset commit skipped because nothing changed.
    pub fn sink_commit_skipped(&self) {
        bump(&self.sink.offset_commit_skip_total, 1);
    }

    /// `n` records read from the consumer.
    pub fn sink_read(&self, n: usize) {
        bump(&self.sink.record_read_total, n as u64);
    }

    /// A `put` of `n` records that took `took`.
    pub fn sink_put(&self, n: usize, took: Duration) {
        bump(&self.sink.record_send_total, n as u64);
        self.sink.put_batch_time.record(took);
        self.common.batch_size.record(n);
    }

    /// The consumer's assignment changed to `n` partitions.
    pub fn sink_partitions(&self, n: usize) {
        self.sink.partition_count.store(n as i64, Ordering::Relaxed);
    }
}

/// `connect-worker-metrics` counters (the counts of connectors and tasks come from the
/// statuses at render time).
#[derive(Debug, Default)]
pub struct WorkerMetrics {
    /// Connector starts attempted on this worker.
    pub connector_startup_attempts_total: AtomicU64,
    /// ... that succeeded.
    pub connector_startup_success_total: AtomicU64,
    /// ... that failed.
    pub connector_startup_failure_total: AtomicU64,
    /// Task starts attempted on this worker.
    pub task_startup_attempts_total: AtomicU64,
    /// ... that succeeded.
    pub task_startup_success_total: AtomicU64,
    /// ... that failed.
    pub task_startup_failure_total: AtomicU64,
    /// Restarts of failed connectors and tasks by `rconnect.auto.restart.enable`.
    pub auto_restarts_total: AtomicU64,
}

/// `connect-worker-rebalance-metrics` (distributed workers only).
#[derive(Debug, Default)]
pub struct RebalanceMetrics {
    /// Rebalances this worker completed.
    pub completed_rebalances_total: AtomicU64,
    /// 1 while a rebalance is under way.
    pub rebalancing: AtomicI64,
    /// The generation of the last assignment.
    pub epoch: AtomicI64,
    /// Duration of rebalances.
    pub rebalance_time: TimeStat,
    /// Epoch milliseconds when the last rebalance completed, 0 before any.
    pub last_rebalance_ms: AtomicI64,
}

impl RebalanceMetrics {
    /// A rebalance to `generation` completed after `took`.
    pub fn completed(&self, generation: i32, took: Duration, now_ms: i64) {
        bump(&self.completed_rebalances_total, 1);
        self.rebalancing.store(0, Ordering::Relaxed);
        self.epoch.store(i64::from(generation), Ordering::Relaxed);
        self.rebalance_time.record(took);
        self.last_rebalance_ms.store(now_ms, Ordering::Relaxed);
    }

    /// A rebalance started.
    pub fn started(&self) {
        self.rebalancing.store(1, Ordering::Relaxed);
    }
}

/// All metrics of one worker.
#[derive(Debug)]
pub struct Metrics {
    /// The worker these are of: connectors and tasks are counted where they run.
    worker_id: String,
    /// `connect-worker-metrics`.
    pub worker: WorkerMetrics,
    /// `connect-worker-rebalance-metrics`; rendered only for distributed workers.
    pub rebalance: Option<RebalanceMetrics>,
    tasks: Mutex<BTreeMap<ConnectorTaskId, Arc<TaskMetrics>>>,
}

impl Metrics {
    /// The metrics of a standalone worker (no rebalance group).
    pub fn standalone(worker_id: impl Into<String>) -> Metrics {
        Metrics {
            worker_id: worker_id.into(),
            worker: WorkerMetrics::default(),
            rebalance: None,
            tasks: Mutex::new(BTreeMap::new()),
        }
    }

    /// The metrics of a distributed worker.
    pub fn distributed(worker_id: impl Into<String>) -> Metrics {
        Metrics {
            rebalance: Some(RebalanceMetrics::default()),
            ..Metrics::standalone(worker_id)
        }
    }

    /// Fresh metrics for a task starting on this worker (a restarted task starts from zero,
    /// as Java's do).
    pub fn task(&self, id: &ConnectorTaskId, kind: TaskKind) -> Arc<TaskMetrics> {
        let m = Arc::new(TaskMetrics::new(kind));
        self.lock().insert(id.clone(), m.clone());
        m
    }

    /// Forgets a task that stopped on this worker.
    pub fn remove_task(&self, id: &ConnectorTaskId) {
        self.lock().remove(id);
    }

    /// The tasks that run here, in id order.
    pub fn tasks(&self) -> Vec<(ConnectorTaskId, Arc<TaskMetrics>)> {
        self.lock()
            .iter()
            .map(|(id, m)| (id.clone(), m.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ConnectorTaskId, Arc<TaskMetrics>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The Prometheus text of these metrics, with the connector and task states of
    /// `statuses` (the herder's view of every connector, filtered here to what runs on this
    /// worker).
    pub fn render(&self, statuses: &[ConnectorStateInfo]) -> String {
        render(self, &self.worker_id, statuses)
    }

    /// The task's metrics if it runs here.
    pub fn get(&self, id: &ConnectorTaskId) -> Option<Arc<TaskMetrics>> {
        self.lock().get(id).cloned()
    }
}

#[cfg(test)]
mod tests;
