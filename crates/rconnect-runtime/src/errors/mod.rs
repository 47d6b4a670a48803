//! Error handling of the task loops (Java: `org.apache.kafka.connect.runtime.errors`):
//! retries with back-off ([`retry`]), `errors.tolerance` ([`tolerance`]), and the reporters a
//! failure goes to: the log ([`log`]) and, for sink connectors, the dead letter queue
//! ([`dlq`]). [`errant`] is the worker's side of the SDK's `ErrantRecordReporter`.
//!
//! A loop runs each step of a record (conversion, each transformation stage, the produce
//! of a source record) through [`attempt!`](crate::attempt): a failure is retried while
//! `errors.retry.timeout` allows, then handed to [`Operator::fail`], which reports it and
//! says whether the task goes on without the record or fails.

pub mod dlq;
pub mod errant;
pub mod log;
pub mod retry;
pub mod tolerance;

use std::sync::Arc;

use rconnect_sdk::data::Headers;
use rconnect_sdk::record::{RecordMeta, SourceRecord, TimestampType};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

pub use retry::{Attempts, RetryPolicy};
pub use tolerance::{Failure, Operator, Reporter};

use crate::clients::InRecord;

/// The step of the pipeline a failure happened in (Java `Stage`; the names are written to
/// logs and to the `__connect.errors.stage` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    TaskPoll,
    TaskPut,
    Transformation,
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    KafkaProduce,
    KafkaConsume,
}

impl Stage {
    /// Java's enum constant name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::TaskPoll => "TASK_POLL",
            Stage::TaskPut => "TASK_PUT",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }

    /// Whether any error of this stage may be tolerated; elsewhere only retriable ones
    /// (Java: `RetryWithToleranceOperator.TOLERABLE_EXCEPTIONS`).
    pub fn tolerates_any_error(self) -> bool {
        matches!(
            self,
            Stage::Transformation
                | Stage::KeyConverter
                | Stage::ValueConverter
                | Stage::HeaderConverter
        )
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `errors.tolerance` (Java `ToleranceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tolerance {
    #[default]
    None,
    All,
}

/// The `errors.*` keys of a connector config (Java `ConnectorConfig`,
/// `SinkConnectorConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorConfig {
    pub retry: RetryPolicy,
    pub tolerance: Tolerance,
    pub log_enable: bool,
    pub log_include_messages: bool,
    /// Trimmed; empty = no dead letter queue.
    pub dlq_topic: String,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

impl Default for ErrorConfig {
    fn default() -> Self {
        ErrorConfig {
            retry: RetryPolicy::default(),
            tolerance: Tolerance::None,
            log_enable: false,
            log_include_messages: false,
            dlq_topic: String::new(),
            dlq_replication_factor: 3,
            dlq_context_headers: false,
        }
    }
}

fn bad(key: &str, value: &str, why: &str) -> ConnectError {
    ConnectError::config(format!(
        "Invalid value {value} for configuration {key}: {why}"
    ))
}

fn long(config: &Props, key: &str, default: i64) -> ConnectResult<i64> {
    match config.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| bad(key, v, "Not a number of type LONG")),
    }
}

fn boolean(config: &Props, key: &str) -> ConnectResult<bool> {
    match config.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(bad(key, v, "Expected value to be either true or false")),
    }
}

impl ErrorConfig {
    /// Reads the keys from a connector config; values validation would refuse are errors
    /// naming the key. The dead letter queue keys are read for sinks only.
    pub fn from_connector_config(config: &Props, sink: bool) -> ConnectResult<Self> {
        let tolerance = match config.get("errors.tolerance").map(|v| v.trim()) {
            None | Some("none") => Tolerance::None,
            Some("all") => Tolerance::All,
            Some(v) => {
                return Err(bad(
                    "errors.tolerance",
                    v,
                    "String must be one of: none, all",
                ))
            }
        };
        let mut c = ErrorConfig {
            retry: RetryPolicy {
                timeout_ms: long(config, "errors.retry.timeout", 0)?,
                max_delay_ms: long(config, "errors.retry.delay.max.ms", 60_000)?,
            },
            tolerance,
            log_enable: boolean(config, "errors.log.enable")?,
            log_include_messages: boolean(config, "errors.log.include.messages")?,
            ..ErrorConfig::default()
        };
        if sink {
            c.dlq_topic = config
                .get("errors.deadletterqueue.topic.name")
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let key = "errors.deadletterqueue.topic.replication.factor";
            c.dlq_replication_factor = match config.get(key).map(|v| v.trim()) {
                None | Some("") => 3,
                Some(v) => v
                    .parse()
                    .map_err(|_| bad(key, v, "Not a number of type SHORT"))?,
            };
            c.dlq_context_headers =
                boolean(config, "errors.deadletterqueue.context.headers.enable")?;
        }
        Ok(c)
    }

    /// Java gives a sink task an `ErrantRecordReporter` only when something would receive
    /// its reports (`Worker#createWorkerErrantRecordReporter`).
    pub fn wants_errant_record_reporter(&self) -> bool {
        !self.dlq_topic.is_empty() || self.log_enable
    }
}

/// What a failure is reported with: the record as the task loop first saw it.
pub trait Original: Send + Sync {
    /// Java `LogReporter#appendMessage`: `, where …` (only logged with
    /// `errors.log.include.messages=true`).
    fn log_details(&self) -> String;
    /// Where the record came from, for the trace of a task that fails on it: coordinates
    /// only, never keys or values.
    fn coordinates(&self) -> String;
}

impl Original for InRecord {
    fn log_details(&self) -> String {
        let mut s = format!(
            ", where consumed record is {{topic='{}', partition={}, offset={}",
            self.topic, self.partition, self.offset
        );
        let kind = match self.timestamp_type {
            TimestampType::CreateTime => Some("CreateTime"),
            TimestampType::LogAppendTime => Some("LogAppendTime"),
            TimestampType::NoTimestampType => None,
        };
        if let Some(kind) = kind {
            s.push_str(&format!(
                ", timestamp={}, timestampType={kind}",
                self.timestamp.unwrap_or(-1)
            ));
        }
        s.push('}');
        s
    }
    fn coordinates(&self) -> String {
        self.log_details()
    }
}

/// Java `ConnectHeaders#toString`, close enough for a log line.
fn headers_text(h: &Headers) -> String {
    let items: Vec<String> = h
        .iter()
        .map(|h| {
            format!(
                "ConnectHeader(key={}, value={:?}, schema={:?})",
                h.key, h.value, h.schema
            )
        })
        .collect();
    format!("ConnectHeaders(headers={})", items.join(", "))
}

fn or_null<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
}

impl Original for SourceRecord {
    /// Java `SourceRecord#toString` (the `ConnectRecord{...}` part approximated: values as
    /// rconnect prints them).
    fn log_details(&self) -> String {
        format!(
            ", where source record is = {} ConnectRecord{{topic='{}', kafkaPartition={}, key={:?}, keySchema={:?}, value={:?}, valueSchema={:?}, timestamp={}, headers={}}}",
            self.meta.java_string(),
            self.topic,
            or_null(self.kafka_partition),
            self.key,
            self.key_schema,
            self.value,
            self.value_schema,
            or_null(self.timestamp),
            headers_text(&self.headers),
        )
    }
    fn coordinates(&self) -> String {
        format!(
            ", where source record is {} ConnectRecord{{topic='{}', kafkaPartition={}}}",
            self.meta.java_string(),
            self.topic,
            or_null(self.kafka_partition),
        )
    }
}

/// Runs `$op` (an expression, usually ending in `.await`, re-evaluated for every attempt)
/// under `$ops`' retry policy: `Ok(value)`, or `Err(Failure)` once it has failed for good,
/// to hand to [`Operator::fail`]. A macro rather than a closure so the operation may
/// borrow anything mutably across attempts.
#[macro_export]
#[doc(hidden)]
macro_rules! attempt {
    ($ops:expr, $stage:expr, $class:expr, $op:expr) => {{
        let ops = &$ops;
        let stage = $stage;
        let mut attempts = ops.attempts(stage);
        loop {
            match $op {
                Ok(v) => break Ok(v),
                Err(e) => {
                    if let Some(e) = attempts.failed(e).await {
                        break Err(ops.failure(stage, $class, e));
                    }
                }
            }
        }
    }};
}

/// The task's metrics entry: the one the loop registered, or a new one. Registration must
/// come before the error handling is set up, or the counts go to a replaced entry.
pub fn task_metrics(
    worker: &crate::worker::Worker,
    id: &crate::herder::ConnectorTaskId,
    kind: crate::metrics::TaskKind,
) -> Arc<crate::metrics::TaskMetrics> {
    let metrics = worker.metrics();
    let existing = metrics.get(id);
    existing.unwrap_or_else(|| metrics.task(id, kind))
}

/// Everything error handling needs in a sink task: the operator (with its log and dead
/// letter queue reporters) and the reporter handed to the task.
pub struct SinkErrors {
    pub operator: Arc<Operator<InRecord>>,
    pub errant: Option<Arc<errant::WorkerErrantReporter>>,
    dlq: Option<Arc<dlq::DlqReporter>>,
}

impl SinkErrors {
    /// No reporters, tolerance `none`: what a task without `errors.*` keys gets.
    pub fn disabled(stop: rconnect_sdk::stop::StopSignal) -> Self {
        SinkErrors {
            operator: Arc::new(Operator::new(ErrorConfig::default(), stop, Vec::new())),
            errant: None,
            dlq: None,
        }
    }

    /// Java `Worker#sinkTaskReporters` and `#createWorkerErrantRecordReporter`: creates the
    /// dead letter queue topic if missing and its producer, then the reporters.
    pub async fn setup(
        worker: &crate::worker::Worker,
        id: &crate::herder::ConnectorTaskId,
        connector_config: &Props,
        stop: rconnect_sdk::stop::StopSignal,
    ) -> ConnectResult<Self> {
        let config = ErrorConfig::from_connector_config(connector_config, true)?;
        let mut reporters: Vec<Arc<dyn Reporter<InRecord>>> = Vec::new();
        let dlq = if config.dlq_topic.is_empty() {
            None
        } else {
            let d = Arc::new(dlq::DlqReporter::setup(worker, id, connector_config, &config).await?);
            reporters.push(d.clone());
            Some(d)
        };
        let metrics = Some(task_metrics(worker, id, crate::metrics::TaskKind::Sink));
        reporters.push(Arc::new(
            log::LogReporter::new(id.clone(), &config).with_metrics(metrics.clone()),
        ));
        let wants_errant = config.wants_errant_record_reporter();
        let operator = Arc::new(Operator::new(config, stop, reporters).with_metrics(metrics));
        let errant = if wants_errant {
            let converters = crate::worker::Converters::new(
                &worker.plugins,
                &worker.settings.config,
                connector_config,
            )?;
            Some(Arc::new(errant::WorkerErrantReporter::new(
                operator.clone(),
                converters,
            )))
        } else {
            None
        };
        Ok(SinkErrors {
            operator,
            errant,
            dlq,
        })
    }

    /// Waits (up to `timeout`) for dead letter queue sends still in flight, as Java's
    /// producer close does at task shutdown.
    pub async fn close(&self, timeout: std::time::Duration) {
        if let Some(d) = &self.dlq {
            d.flush(timeout).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn config_defaults_and_values() {
        let c = ErrorConfig::from_connector_config(&Props::new(), true).unwrap();
        assert_eq!(c, ErrorConfig::default());
        assert!(!c.wants_errant_record_reporter());
        let c = ErrorConfig::from_connector_config(
            &props(&[
                ("errors.retry.timeout", "-1"),
                ("errors.retry.delay.max.ms", "1000"),
                ("errors.tolerance", "all"),
                ("errors.log.enable", "TRUE"),
                ("errors.log.include.messages", "true"),
                ("errors.deadletterqueue.topic.name", " dlq "),
                ("errors.deadletterqueue.topic.replication.factor", "1"),
                ("errors.deadletterqueue.context.headers.enable", "true"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            c,
            ErrorConfig {
                retry: RetryPolicy {
                    timeout_ms: -1,
                    max_delay_ms: 1000
                },
                tolerance: Tolerance::All,
                log_enable: true,
                log_include_messages: true,
                dlq_topic: "dlq".into(),
                dlq_replication_factor: 1,
                dlq_context_headers: true,
            }
        );
        assert!(c.wants_errant_record_reporter());
        // A source connector has no dead letter queue.
        let c = ErrorConfig::from_connector_config(
            &props(&[("errors.deadletterqueue.topic.name", "dlq")]),
            false,
        )
        .unwrap();
        assert_eq!(c.dlq_topic, "");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = |k: &str, v: &str| {
            ErrorConfig::from_connector_config(&props(&[(k, v)]), true)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("errors.tolerance", "ALL"),
            "Invalid value ALL for configuration errors.tolerance: String must be one of: none, all"
        );
        assert!(e("errors.retry.timeout", "soon").contains("errors.retry.timeout"));
        assert!(e("errors.log.enable", "yes").contains("errors.log.enable"));
        assert!(e("errors.deadletterqueue.topic.replication.factor", "70000").contains("SHORT"));
    }

    #[test]
    fn stage_names_and_tolerable_stages() {
        assert_eq!(Stage::ValueConverter.to_string(), "VALUE_CONVERTER");
        assert_eq!(Stage::KafkaProduce.name(), "KAFKA_PRODUCE");
        assert!(Stage::Transformation.tolerates_any_error());
        assert!(Stage::HeaderConverter.tolerates_any_error());
        assert!(!Stage::TaskPut.tolerates_any_error());
        assert!(!Stage::KafkaProduce.tolerates_any_error());
    }

    #[test]
    fn source_record_details_start_as_javas_to_string() {
        use rconnect_sdk::offset::OffsetMap;
        let r = SourceRecord::new(
            Some(OffsetMap::with_entry("file", "in.txt")),
            Some(OffsetMap::with_entry("position", 7)),
            "orders",
            None,
            rconnect_sdk::data::Value::Null,
        );
        assert!(r.log_details().starts_with(", where source record is = SourceRecord{sourcePartition={file=in.txt}, sourceOffset={position=7}} ConnectRecord{topic='orders', kafkaPartition=null, key="), "{}", r.log_details());
        assert_eq!(
            r.coordinates(),
            ", where source record is SourceRecord{sourcePartition={file=in.txt}, sourceOffset={position=7}} ConnectRecord{topic='orders', kafkaPartition=null}"
        );
    }

    #[test]
    fn consumed_record_details_as_java_logs_them() {
        let mut r = InRecord {
            topic: "t".into(),
            partition: 2,
            offset: 7,
            key: None,
            value: None,
            timestamp: Some(1000),
            timestamp_type: TimestampType::CreateTime,
            headers: Vec::new(),
        };
        assert_eq!(
            r.log_details(),
            ", where consumed record is {topic='t', partition=2, offset=7, timestamp=1000, timestampType=CreateTime}"
        );
        r.timestamp_type = TimestampType::NoTimestampType;
        assert_eq!(
            r.log_details(),
            ", where consumed record is {topic='t', partition=2, offset=7}"
        );
    }
}
