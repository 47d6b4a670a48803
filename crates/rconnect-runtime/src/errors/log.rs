//! `errors.log.enable`: every failure written to the log at ERROR (Java `LogReporter`).

use crate::herder::ConnectorTaskId;

use super::tolerance::{Failure, ReportFuture, Reporter};
use super::{ErrorConfig, Original};

pub struct LogReporter {
    id: ConnectorTaskId,
    enabled: bool,
    include_messages: bool,
    metrics: Option<std::sync::Arc<crate::metrics::TaskMetrics>>,
}

impl LogReporter {
    pub fn new(id: ConnectorTaskId, config: &ErrorConfig) -> Self {
        LogReporter {
            id,
            enabled: config.log_enable,
            include_messages: config.log_include_messages,
            metrics: None,
        }
    }

    /// Counts logged errors in the task's `task-error-metrics`.
    pub fn with_metrics(
        mut self,
        metrics: Option<std::sync::Arc<crate::metrics::TaskMetrics>>,
    ) -> Self {
        self.metrics = metrics;
        self
    }

    /// Java `LogReporter#message`.
    pub fn message<O: Original>(&self, failure: &Failure, original: Option<&O>) -> String {
        let details = match original {
            Some(o) if self.include_messages => o.log_details(),
            _ => String::new(),
        };
        format!(
            "Error encountered in task {}. Executing stage '{}' with class '{}'{details}.",
            self.id, failure.stage, failure.class
        )
    }
}

impl<O: Original> Reporter<O> for LogReporter {
    fn report(&self, failure: &Failure, original: Option<&O>) -> Option<ReportFuture> {
        if self.enabled {
            // Java passes the exception to the logger, which prints it after the message.
            tracing::error!(
                task = %self.id,
                "{}\n{}",
                self.message(failure, original),
                failure.error.trace()
            );
            if let Some(m) = &self.metrics {
                m.errors
                    .total_errors_logged
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::InRecord;
    use crate::errors::Stage;
    use rconnect_sdk::record::TimestampType;
    use rconnect_sdk::ConnectError;

    fn reporter(include: bool) -> LogReporter {
        LogReporter::new(
            ConnectorTaskId {
                connector: "conn".into(),
                task: 1,
            },
            &ErrorConfig {
                log_enable: true,
                log_include_messages: include,
                ..ErrorConfig::default()
            },
        )
    }

    #[test]
    fn message_as_java_writes_it() {
        let f = Failure {
            stage: Stage::ValueConverter,
            class: "org.apache.kafka.connect.json.JsonConverter".into(),
            error: ConnectError::data("bad"),
        };
        let r = InRecord {
            topic: "t".into(),
            partition: 0,
            offset: 3,
            key: None,
            value: None,
            timestamp: Some(5),
            timestamp_type: TimestampType::LogAppendTime,
            headers: Vec::new(),
        };
        assert_eq!(
            reporter(false).message(&f, Some(&r)),
            "Error encountered in task conn-1. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'."
        );
        assert_eq!(
            reporter(true).message(&f, Some(&r)),
            "Error encountered in task conn-1. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', where consumed record is {topic='t', partition=0, offset=3, timestamp=5, timestampType=LogAppendTime}."
        );
        assert_eq!(
            reporter(true).message::<InRecord>(&f, None),
            "Error encountered in task conn-1. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'."
        );
    }
}
