//! `errors.tolerance`: which failures a task survives, and reporting every failure (Java:
//! `RetryWithToleranceOperator`, `ProcessingContext`, KAFKA-18073 for retries that run out).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{ConnectError, ConnectResult};

use super::{Attempts, ErrorConfig, Original, Stage, Tolerance};
use crate::metrics::{TaskErrorMetrics, TaskMetrics};

/// Completes when a reporter has finished with one failure (a dead letter queue send).
pub type ReportFuture = BoxFuture<'static, ConnectResult<()>>;

/// One step of one record that failed for good.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub stage: Stage,
    /// The Java class name of what ran the step (converter, transformation, task class).
    pub class: String,
    pub error: ConnectError,
}

/// Where failures go (Java `ErrorReporter`).
pub trait Reporter<O>: Send + Sync {
    /// Starts reporting `failure` of `original` (absent when the loop no longer has it);
    /// `Some` when the report finishes later.
    fn report(&self, failure: &Failure, original: Option<&O>) -> Option<ReportFuture>;
}

/// Failure counters (Java `ErrorHandlingMetrics`, the ones the loops need).
#[derive(Debug, Default)]
pub struct ErrorCounts {
    /// Failed operations, tolerated or not.
    pub failures: AtomicU64,
    /// Records skipped because their failure was tolerated.
    pub skipped: AtomicU64,
}

/// Applies a connector's `errors.*` settings to the failures of one task. Shared by the task
/// loop and the task's `ErrantRecordReporter`.
pub struct Operator<O> {
    config: ErrorConfig,
    stop: StopSignal,
    reporters: Vec<Arc<dyn Reporter<O>>>,
    pub counts: ErrorCounts,
    /// The task's `task-error-metrics`, when it has them.
    metrics: Option<Arc<TaskMetrics>>,
}

impl<O: Original> Operator<O> {
    pub fn new(
        config: ErrorConfig,
        stop: StopSignal,
        reporters: Vec<Arc<dyn Reporter<O>>>,
    ) -> Self {
        Operator {
            config,
            stop,
            reporters,
            counts: ErrorCounts::default(),
            metrics: None,
        }
    }

    /// The same operator, counting into the task's `task-error-metrics` (Java
    /// `ErrorHandlingMetrics`).
    pub fn with_metrics(mut self, metrics: Option<Arc<TaskMetrics>>) -> Self {
        self.metrics = metrics;
        self
    }

    fn error_metrics(&self) -> Option<&TaskErrorMetrics> {
        self.metrics.as_deref().map(|m| &m.errors)
    }

    /// Java `markAsFailed` and `recordError`: a record failed for good.
    fn record_error(&self) {
        if let Some(m) = self.error_metrics() {
            m.total_record_errors.fetch_add(1, Ordering::Relaxed);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default();
            m.last_error_timestamp.store(now, Ordering::Relaxed);
        }
    }

    pub fn config(&self) -> &ErrorConfig {
        &self.config
    }

    /// The attempts of one operation (used by [`attempt!`](crate::attempt)).
    pub fn attempts(&self, stage: Stage) -> Attempts<'_> {
        Attempts::new(self.config.retry, &self.stop, stage).counted(self.error_metrics())
    }

    /// A failure of `stage` run by `class`.
    pub fn failure(&self, stage: Stage, class: &str, error: ConnectError) -> Failure {
        Failure {
            stage,
            class: class.to_string(),
            error,
        }
    }

    /// Whether an operation may run more than once (so a loop must keep its input).
    pub fn may_retry(&self) -> bool {
        self.config.retry.may_retry()
    }

    pub fn tolerance(&self) -> Tolerance {
        self.config.tolerance
    }

    /// Java `withinToleranceLimits`: `all` tolerates everything, `none` nothing once a
    /// failure happened.
    pub fn within_tolerance(&self) -> bool {
        self.config.tolerance == Tolerance::All || self.counts.failures.load(Ordering::Relaxed) == 0
    }

    fn report(&self, failure: &Failure, original: Option<&O>) -> ReportFuture {
        let pending: Vec<ReportFuture> = self
            .reporters
            .iter()
            .filter_map(|r| r.report(failure, original))
            .collect();
        Box::pin(async move {
            for f in pending {
                f.await?;
            }
            Ok(())
        })
    }

    /// The error a task fails with: Java's message, the cause, and where it happened.
    fn fatal(&self, message: &str, failure: &Failure, original: Option<&O>) -> ConnectError {
        ConnectError::connect(format!(
            "{message}\nCaused by: {}\n\tat stage '{}' with class '{}'{}",
            failure.error.trace(),
            failure.stage,
            failure.class,
            original.map(|o| o.coordinates()).unwrap_or_default()
        ))
    }

    /// A step failed for good (after its retries): report it, then `Ok(())` to go on without
    /// the record, or the error to fail the task with. Every failure is reported, also the
    /// one that fails the task (Java reports in a `finally`), and retries that ran out count
    /// as a failure under `errors.tolerance=none` (Kafka 4.0, KAFKA-18073; 3.9 skipped the
    /// record silently).
    pub fn fail(&self, failure: Failure, original: Option<&O>) -> ConnectResult<()> {
        self.counts.failures.fetch_add(1, Ordering::Relaxed);
        self.record_error();
        // Framework failures do not wait for their reports (a dead letter queue send failure
        // is logged by its reporter), as in Java.
        drop(self.report(&failure, original));
        if !(failure.stage.tolerates_any_error() || failure.error.is_retriable()) {
            return Err(self.fatal("Unhandled exception in error handler", &failure, original));
        }
        if !self.within_tolerance() {
            return Err(self.fatal("Tolerance exceeded in error handler", &failure, original));
        }
        self.counts.skipped.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = self.error_metrics() {
            m.total_records_skipped.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Java `executeFailed`: an operation that failed outside the operator (a record the task
    /// reports, a failed produce). Reports it and returns the report's completion, or — when
    /// the failure is not tolerated — the error beside it (the report still happens).
    pub fn execute_failed(
        &self,
        failure: Failure,
        original: Option<&O>,
    ) -> (ReportFuture, ConnectResult<()>) {
        self.counts.failures.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = self.error_metrics() {
            m.total_record_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.record_error();
        let report = self.report(&failure, original);
        if !self.within_tolerance() {
            let e = self.fatal("Tolerance exceeded in error handler", &failure, original);
            return (report, Err(e));
        }
        (report, Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempt;
    use crate::errors::RetryPolicy;
    use std::sync::Mutex;

    /// A record that is just a name.
    struct Rec(&'static str);
    impl Original for Rec {
        fn log_details(&self) -> String {
            format!(", where record is {}", self.0)
        }
        fn coordinates(&self) -> String {
            format!(" (record {})", self.0)
        }
    }

    /// Remembers what it was given.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Seen>>);
    /// Stage, class, error message, record name.
    type Seen = (Stage, String, String, Option<String>);
    impl Reporter<Rec> for Recorder {
        fn report(&self, f: &Failure, o: Option<&Rec>) -> Option<ReportFuture> {
            self.0.lock().unwrap().push((
                f.stage,
                f.class.clone(),
                f.error.to_string(),
                o.map(|r| r.0.to_string()),
            ));
            None
        }
    }

    fn operator(tolerance: Tolerance, timeout_ms: i64) -> (Operator<Rec>, Arc<Recorder>) {
        let rec = Arc::new(Recorder::default());
        let config = ErrorConfig {
            tolerance,
            retry: RetryPolicy {
                timeout_ms,
                max_delay_ms: 60_000,
            },
            ..ErrorConfig::default()
        };
        let op = Operator::new(
            config,
            StopSignal::never(),
            vec![rec.clone() as Arc<dyn Reporter<Rec>>],
        );
        (op, rec)
    }

    const STAGES: [Stage; 4] = [
        Stage::KeyConverter,
        Stage::ValueConverter,
        Stage::HeaderConverter,
        Stage::Transformation,
    ];

    #[tokio::test]
    async fn tolerance_all_skips_any_error_of_the_record_stages() {
        let (op, rec) = operator(Tolerance::All, 0);
        for stage in STAGES {
            let r: Result<(), Failure> =
                attempt!(op, stage, "c.Class", Err(ConnectError::data("bad")));
            op.fail(r.unwrap_err(), Some(&Rec("a"))).unwrap();
        }
        assert_eq!(op.counts.skipped.load(Ordering::Relaxed), 4);
        assert!(op.within_tolerance());
        let seen = rec.0.lock().unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(
            seen[0],
            (
                Stage::KeyConverter,
                "c.Class".into(),
                "bad".into(),
                Some("a".into())
            )
        );
    }

    #[tokio::test]
    async fn tolerance_none_fails_at_the_first_error_of_every_stage_and_still_reports() {
        for stage in STAGES {
            let (op, rec) = operator(Tolerance::None, 0);
            let r: Result<(), Failure> =
                attempt!(op, stage, "c.Class", Err(ConnectError::data("bad input")));
            let e = op.fail(r.unwrap_err(), Some(&Rec("t-0@5"))).unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with("Tolerance exceeded in error handler\nCaused by: org.apache.kafka.connect.errors.DataException: bad input"), "{text}");
            assert!(
                text.contains(&format!(
                    "stage '{stage}' with class 'c.Class' (record t-0@5)"
                )),
                "{text}"
            );
            assert_eq!(rec.0.lock().unwrap().len(), 1, "reported before failing");
            assert!(!op.within_tolerance());
        }
    }

    #[tokio::test]
    async fn other_stages_tolerate_only_retriable_errors() {
        let (op, _) = operator(Tolerance::All, 0);
        let f = op.failure(Stage::KafkaProduce, "x", ConnectError::connect("boom"));
        let e = op.fail(f, None).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("Unhandled exception in error handler\n"));
        let f = op.failure(Stage::KafkaProduce, "x", ConnectError::retriable("later"));
        op.fail(f, None).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_retries_fail_under_none_and_skip_under_all() {
        let (op, _) = operator(Tolerance::None, 1000);
        let mut calls = 0;
        let r: Result<(), Failure> = attempt!(op, Stage::ValueConverter, "c", {
            calls += 1;
            Err(ConnectError::retriable("busy"))
        });
        assert_eq!(calls, 4, "one try and three retries (300 + 600 + 100 ms)");
        assert!(op.fail(r.unwrap_err(), None).is_err());

        let (op, _) = operator(Tolerance::All, 1000);
        let r: Result<(), Failure> = attempt!(
            op,
            Stage::ValueConverter,
            "c",
            Err(ConnectError::retriable("busy"))
        );
        assert!(op.fail(r.unwrap_err(), None).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_that_succeeds_is_no_failure() {
        let (op, rec) = operator(Tolerance::None, 10_000);
        let mut calls = 0;
        let r: Result<i32, Failure> = attempt!(op, Stage::Transformation, "c", {
            calls += 1;
            if calls < 3 {
                Err(ConnectError::retriable("busy"))
            } else {
                Ok(7)
            }
        });
        assert_eq!(r.unwrap(), 7);
        assert!(op.within_tolerance());
        assert!(rec.0.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn task_error_metrics_count_failures_retries_errors_and_skips() {
        let (op, _) = operator(Tolerance::All, 1000);
        let metrics = crate::metrics::Metrics::standalone("w").task(
            &crate::herder::ConnectorTaskId {
                connector: "c".into(),
                task: 0,
            },
            crate::metrics::TaskKind::Sink,
        );
        let op = op.with_metrics(Some(metrics.clone()));
        let r: Result<(), Failure> = attempt!(
            op,
            Stage::ValueConverter,
            "c",
            Err(ConnectError::retriable("busy"))
        );
        op.fail(r.unwrap_err(), None).unwrap();
        let r: Result<(), Failure> =
            attempt!(op, Stage::KeyConverter, "c", Err(ConnectError::data("bad")));
        op.fail(r.unwrap_err(), None).unwrap();
        let e = &metrics.errors;
        let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        // Four attempts of the retried operation (300 + 600 + 100 ms), one of the other.
        assert_eq!(n(&e.total_record_failures), 5);
        assert_eq!(n(&e.total_retries), 3);
        assert_eq!(n(&e.total_record_errors), 2);
        assert_eq!(n(&e.total_records_skipped), 2);
        assert!(e.last_error_timestamp.load(Ordering::Relaxed) > 0);
    }

    #[tokio::test]
    async fn execute_failed_reports_and_says_whether_tolerated() {
        let (op, rec) = operator(Tolerance::None, 0);
        let (report, result) = op.execute_failed(
            op.failure(
                Stage::TaskPut,
                "org.apache.kafka.connect.sink.SinkTask",
                ConnectError::data("no"),
            ),
            Some(&Rec("r")),
        );
        report.await.unwrap();
        assert!(result
            .unwrap_err()
            .to_string()
            .starts_with("Tolerance exceeded in error handler"));
        assert_eq!(rec.0.lock().unwrap().len(), 1);
        let (op, _) = operator(Tolerance::All, 0);
        let (_, result) = op.execute_failed(
            op.failure(Stage::TaskPut, "s", ConnectError::data("no")),
            None,
        );
        assert!(result.is_ok());
    }
}
