//! The worker's `ErrantRecordReporter` (Java `WorkerErrantRecordReporter`, KIP-610): a sink
//! task reports records it cannot process; they go through the task's operator (stage
//! `TASK_PUT`) to the dead letter queue and the log, and the sink loop waits for a
//! partition's reports before committing it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{FutureExt, Shared};
use rconnect_sdk::connector::{ErrantRecordReporter, ErrantReport};
use rconnect_sdk::converter;
use rconnect_sdk::record::{SinkRecord, Topic, TopicPartition};
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::clients::InRecord;
use crate::worker::Converters;

use super::tolerance::{Operator, ReportFuture};
use super::{Stage, Tolerance};

/// The class Java names as executing a task's reports.
pub const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";

type Pending = Shared<ReportFuture>;

pub struct WorkerErrantReporter {
    operator: Arc<Operator<InRecord>>,
    /// To serialize records the task built itself (Java uses the task's converters).
    converters: Arc<Converters>,
    /// The raw records of the batch being delivered, by original coordinates, so a
    /// delivered record is reported as it was consumed.
    batch: Mutex<HashMap<(Topic, i32, i64), InRecord>>,
    futures: Mutex<HashMap<TopicPartition, Vec<Pending>>>,
    /// The first error reported (Java `taskPutException`).
    put_error: Mutex<Option<ConnectError>>,
    runtime: tokio::runtime::Handle,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WorkerErrantReporter {
    /// Must be made inside a runtime (reports of task-built records serialize there).
    pub fn new(operator: Arc<Operator<InRecord>>, converters: Converters) -> Self {
        WorkerErrantReporter {
            operator,
            converters: Arc::new(converters),
            batch: Mutex::default(),
            futures: Mutex::default(),
            put_error: Mutex::default(),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// Remembers a consumed record until its batch has been delivered.
    pub fn keep(&self, r: InRecord) {
        lock(&self.batch).insert((r.topic.clone(), r.partition, r.offset), r);
    }

    /// The batch was delivered: its raw records are no longer needed.
    pub fn delivered(&self) {
        lock(&self.batch).clear();
    }

    /// Java `maybeThrowAsyncError`: after `put`, a report the task swallowed still fails the
    /// task under `errors.tolerance=none`.
    pub fn check_after_put(&self) -> ConnectResult<()> {
        match &*lock(&self.put_error) {
            Some(e) if self.operator.tolerance() == Tolerance::None => {
                Err(ConnectError::connect(format!(
                    "Tolerance exceeded in error handler\nCaused by: {}",
                    e.trace()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Java `awaitFutures`: waits for every report of `partitions` (before committing them);
    /// a report that failed fails the task.
    pub async fn await_partitions(&self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let pending: Vec<Pending> = {
            let mut f = lock(&self.futures);
            partitions
                .iter()
                .filter_map(|tp| f.remove(tp))
                .flatten()
                .collect()
        };
        for p in pending {
            p.await.map_err(|e| {
                ConnectError::connect(format!(
                    "Encountered an error while awaiting an errant record future's completion: {e}"
                ))
            })?;
        }
        Ok(())
    }

    /// Java `cancelFutures`: forgets the reports of partitions the task lost.
    pub fn forget_partitions(&self, partitions: &[TopicPartition]) {
        let mut f = lock(&self.futures);
        for tp in partitions {
            f.remove(tp);
        }
    }

    fn track(
        &self,
        tp: TopicPartition,
        report: ReportFuture,
        result: ConnectResult<()>,
    ) -> ErrantReport {
        let shared = report.shared();
        lock(&self.futures)
            .entry(tp)
            .or_default()
            .push(shared.clone());
        Box::pin(async move {
            let sent = shared.await;
            result.and(sent)
        })
    }
}

/// The consumed-record form of a record the task built: serialized with the connector's
/// converters, at the record's own (possibly transformed) coordinates.
async fn serialize(converters: &Converters, record: &SinkRecord) -> ConnectResult<InRecord> {
    let topic = record.topic.clone();
    let mut headers = record.headers.clone();
    let key = converter::from_connect(
        converters.key.as_ref(),
        &topic,
        &mut headers,
        record.key_schema.as_ref(),
        &record.key,
    )
    .await?
    .map(|c| c.into_owned());
    let value = converter::from_connect(
        converters.value.as_ref(),
        &topic,
        &mut headers,
        record.value_schema.as_ref(),
        &record.value,
    )
    .await?
    .map(|c| c.into_owned());
    let mut raw_headers = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        raw_headers.push((
            h.key.clone(),
            converters
                .header
                .from_connect_header(&topic, &h.key, h.schema.as_ref(), &h.value)?,
        ));
    }
    Ok(InRecord {
        topic,
        partition: record.kafka_partition.unwrap_or(-1),
        offset: record.meta.kafka_offset,
        key,
        value,
        timestamp: record.timestamp,
        timestamp_type: record.meta.timestamp_type,
        headers: raw_headers,
    })
}

impl ErrantRecordReporter for WorkerErrantReporter {
    fn report(&self, record: &SinkRecord, error: ConnectError) -> ErrantReport {
        {
            let mut first = lock(&self.put_error);
            if first.is_none() {
                *first = Some(error.clone());
            }
        }
        let failure = self
            .operator
            .failure(Stage::TaskPut, SINK_TASK_CLASS, error);
        let m = &record.meta;
        let original = lock(&self.batch)
            .get(&(
                m.original_topic.clone(),
                m.original_kafka_partition,
                m.original_kafka_offset,
            ))
            .cloned();
        if let Some(original) = original {
            let tp = TopicPartition::new(original.topic.to_string(), original.partition);
            let (report, result) = self.operator.execute_failed(failure, Some(&original));
            return self.track(tp, report, result);
        }
        // Not a record the worker delivered: Java builds a consumer record from it.
        let tp = TopicPartition::new(
            record.topic.to_string(),
            record.kafka_partition.unwrap_or(-1),
        );
        let operator = self.operator.clone();
        let converters = self.converters.clone();
        let record = record.clone();
        let tolerated = operator.tolerance() == Tolerance::All;
        let handle = self.runtime.spawn(async move {
            let original = serialize(&converters, &record).await?;
            let (report, result) = operator.execute_failed(failure, Some(&original));
            report.await?;
            result
        });
        let report: ReportFuture = Box::pin(async move {
            match handle.await {
                Ok(r) => r,
                Err(e) => Err(ConnectError::connect(format!(
                    "errant record report did not finish: {e}"
                ))),
            }
        });
        let result = if tolerated {
            Ok(())
        } else {
            Err(ConnectError::connect("Tolerance exceeded in error handler"))
        };
        self.track(tp, report, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::tolerance::{Failure, Reporter};
    use crate::errors::{ErrorConfig, Original};
    use rconnect_sdk::data::Value;
    use rconnect_sdk::record::{SinkMeta, TimestampType};
    use rconnect_sdk::stop::StopSignal;

    /// Stage, record coordinates, raw value.
    type Seen = (String, String, Option<Vec<u8>>);
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Seen>>);
    impl Reporter<InRecord> for Recorder {
        fn report(&self, f: &Failure, o: Option<&InRecord>) -> Option<ReportFuture> {
            let o = o.unwrap();
            lock(&self.0).push((f.stage.to_string(), o.coordinates(), o.value.clone()));
            None
        }
    }

    fn converters() -> Converters {
        let string = "org.apache.kafka.connect.storage.StringConverter".to_string();
        Converters {
            key: Box::new(rconnect_converters::StringConverter::default()),
            value: Box::new(rconnect_converters::StringConverter::default()),
            header: Box::new(rconnect_converters::SimpleHeaderConverter),
            key_class: string.clone(),
            value_class: string,
            header_class: "org.apache.kafka.connect.storage.SimpleHeaderConverter".into(),
        }
    }

    fn reporter(tolerance: Tolerance) -> (WorkerErrantReporter, Arc<Recorder>) {
        let rec = Arc::new(Recorder::default());
        let op = Operator::new(
            ErrorConfig {
                tolerance,
                ..ErrorConfig::default()
            },
            StopSignal::never(),
            vec![rec.clone() as Arc<dyn Reporter<InRecord>>],
        );
        (WorkerErrantReporter::new(Arc::new(op), converters()), rec)
    }

    fn consumed() -> InRecord {
        InRecord {
            topic: "in".into(),
            partition: 1,
            offset: 9,
            key: None,
            value: Some(b"raw bytes".to_vec()),
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            headers: Vec::new(),
        }
    }

    fn delivered(topic: &str) -> SinkRecord {
        SinkRecord {
            topic: topic.into(),
            kafka_partition: Some(1),
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::String("transformed".into()),
            timestamp: None,
            headers: Default::default(),
            meta: SinkMeta {
                kafka_offset: 9,
                timestamp_type: TimestampType::NoTimestampType,
                original_topic: "in".into(),
                original_kafka_partition: 1,
                original_kafka_offset: 9,
            },
        }
    }

    #[tokio::test]
    async fn a_delivered_record_is_reported_as_consumed() {
        let (r, rec) = reporter(Tolerance::All);
        r.keep(consumed());
        r.report(&delivered("renamed"), ConnectError::data("bad"))
            .await
            .unwrap();
        r.check_after_put().unwrap();
        let seen = lock(&rec.0).clone();
        assert_eq!(seen[0].0, "TASK_PUT");
        assert!(
            seen[0].1.contains("topic='in', partition=1, offset=9"),
            "{}",
            seen[0].1
        );
        assert_eq!(seen[0].2.as_deref(), Some(&b"raw bytes"[..]));
        r.await_partitions(&[TopicPartition::new("in", 1)])
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_record_the_task_built_is_serialized_with_the_converters() {
        let (r, rec) = reporter(Tolerance::All);
        let built = delivered("other");
        let f = r.report(&built, ConnectError::data("bad"));
        r.await_partitions(&[TopicPartition::new("other", 1)])
            .await
            .unwrap();
        f.await.unwrap();
        let seen = lock(&rec.0);
        assert!(
            seen[0].1.contains("topic='other', partition=1, offset=9"),
            "{}",
            seen[0].1
        );
        assert_eq!(seen[0].2.as_deref(), Some(&b"transformed"[..]));
    }

    #[tokio::test]
    async fn under_none_the_report_fails_and_so_does_the_put() {
        let (r, rec) = reporter(Tolerance::None);
        r.keep(consumed());
        let e = r
            .report(&delivered("in"), ConnectError::data("bad"))
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Tolerance exceeded in error handler"),
            "{e}"
        );
        // Reported all the same.
        assert_eq!(lock(&rec.0).len(), 1);
        let e = r.check_after_put().unwrap_err().to_string();
        assert!(e.contains("DataException: bad"), "{e}");
    }
}
