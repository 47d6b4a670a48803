//! The source task loop (transforms-and-errors.md §8): poll, convert, produce, and
//! commit the offsets of acknowledged records every `offset.flush.interval.ms`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
use rconnect_sdk::converter;
use rconnect_sdk::data::{Headers, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{RecordMetadata, SourceMeta, SourceRecord};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::{check_client_overrides, Converters, Worker};
use crate::clients::{Ack, OutRecord, ProducerClient, SendFailure};
use crate::errors::{log::LogReporter, ErrorConfig, Operator, Stage, Tolerance};
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::offsets::{offset_key, validate_offset_map, ConnectorOffsetReader};
use crate::status::TopicTracker;
use crate::topic_creation::TopicCreation;
use crate::transform_chain::TransformChain;
use rconnect_config::client_overrides::ClientType;

/// A record handed to the producer and not yet acknowledged. Kept small (the record
/// itself is boxed, and only kept when needed): one is queued and dequeued per record.
struct Submitted {
    partition: Option<Arc<OffsetMap>>,
    offset: Option<OffsetMap>,
    acked: bool,
    /// Kept only when the task wants `commit_record`, with its metadata once acknowledged.
    record: Option<Box<(SourceRecord, Option<RecordMetadata>)>>,
}

/// Submitted records in send order. Offsets become committable once every record sent
/// before them is acknowledged: a conservative form of Java's per-partition acked prefix
/// that never commits past an unacknowledged record.
#[derive(Default)]
struct InFlight {
    base: u64,
    queue: VecDeque<Submitted>,
    /// Latest committable offset per source partition, in first-seen order.
    committable: Vec<(Arc<OffsetMap>, Option<OffsetMap>)>,
    failure: Option<String>,
    /// `errors.tolerance=all`: a failed send counts as acknowledged (without metadata) and
    /// its error waits here to be reported (Java: `WorkerSourceTask#producerSendFailed`).
    tolerate_send_errors: bool,
    tolerated: Vec<String>,
}

impl InFlight {
    fn next_token(&self) -> u64 {
        self.base + self.queue.len() as u64
    }

    fn push(&mut self, s: Submitted) -> u64 {
        let t = self.next_token();
        self.queue.push_back(s);
        t
    }

    fn ack(&mut self, ack: Ack) {
        let Some(i) = ack.token.checked_sub(self.base) else {
            return;
        };
        let Some(s) = self.queue.get_mut(i as usize) else {
            return;
        };
        match ack.result {
            Ok((partition, offset)) => {
                s.acked = true;
                if let Some(kept) = &mut s.record {
                    kept.1 = Some(RecordMetadata {
                        topic: kept.0.topic.clone(),
                        partition,
                        offset,
                        timestamp: kept.0.timestamp,
                    });
                }
            }
            Err(e) if self.tolerate_send_errors => {
                s.acked = true;
                self.tolerated.push(e);
            }
            Err(e) => {
                if self.failure.is_none() {
                    self.failure = Some(e);
                }
            }
        }
    }

    /// Moves the acknowledged prefix into `committable`, returning records for
    /// `commit_record`.
    fn drain_acked(&mut self) -> Vec<(SourceRecord, Option<RecordMetadata>)> {
        let acked = self.queue.iter().take_while(|s| s.acked).count();
        if acked == 0 {
            return Vec::new();
        }
        let mut done = Vec::new();
        // Taken in place, then dropped in place: moving each entry out costs more than
        // the bookkeeping itself.
        for s in self.queue.range_mut(..acked) {
            if let Some(p) = s.partition.take() {
                // `Arc<T: Eq>` equality tries the pointer first, so shared partition maps
                // compare without reading them.
                match self.committable.iter_mut().find(|(q, _)| *q == p) {
                    Some(slot) => slot.1 = s.offset.take(),
                    None => self.committable.push((p, s.offset.take())),
                }
            }
            if let Some(kept) = s.record.take() {
                done.push(*kept);
            }
        }
        self.queue.drain(..acked);
        self.base += acked as u64;
        done
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

struct Loop {
    worker: Arc<Worker>,
    id: ConnectorTaskId,
    task: Box<dyn SourceTask>,
    converters: Converters,
    topics: TopicTracker,
    producer: Box<dyn ProducerClient>,
    acks: mpsc::UnboundedReceiver<Ack>,
    inflight: InFlight,
    chain: TransformChain<SourceMeta>,
    /// Java `TopicCreation`: set when the connector configures `topic.creation.*`.
    topic_creation: Option<TopicCreation>,
    wants_commit_record: bool,
    /// Offsets taken for a flush that failed, retried at the next one.
    unflushed: Vec<(Arc<OffsetMap>, Option<OffsetMap>)>,
    /// The last source partition found valid, so a task that shares one partition map
    /// between its records has it checked once.
    valid_partition: Option<Arc<OffsetMap>>,
    /// `errors.*` of the connector.
    errors: Operator<SourceRecord>,
}

pub(super) async fn run(
    worker: Arc<Worker>,
    id: ConnectorTaskId,
    connector_config: Props,
    task_config: Props,
    task: Box<dyn SourceTask>,
    stop: StopSignal,
    mut target: watch::Receiver<TargetState>,
) {
    let mut lp = match prepare(&worker, &id, &connector_config, task, stop.clone()) {
        Ok(lp) => lp,
        Err(e) => {
            worker.task_failed(&id, &e, "Worker.startTask");
            return;
        }
    };
    let ctx = SourceTaskContext {
        configs: task_config.clone(),
        offset_reader: Arc::new(ConnectorOffsetReader {
            connector: id.connector.clone(),
            store: worker.offsets.clone(),
        }),
        stop: stop.clone(),
    };
    if *target.borrow() == TargetState::Paused {
        worker.task_status(&id, State::Paused, None);
        if !wait_resumed(&mut target, &stop).await {
            return;
        }
    }
    if let Err(e) = lp.task.start(ctx, task_config).await {
        worker.task_failed(&id, &e, "WorkerSourceTask.initializeAndStart");
        let _ = lp.task.stop().await;
        return;
    }
    info!("source task started");
    worker.task_status(&id, State::Running, None);
    let result = lp.execute(&stop, &mut target).await;
    let flushed = lp.shutdown().await;
    if let Err(e) = lp.task.stop().await {
        warn!(
            "task stop failed: {}",
            worker.redact(&id.connector, &e.to_string())
        );
    }
    match result.and(flushed) {
        Ok(()) => {
            info!("source task stopped");
            // A stopped task's status stays as the herder sets it (removed on delete).
        }
        Err(e) => {
            worker.task_failed(&id, &e, "WorkerSourceTask.execute");
        }
    }
}

fn prepare(
    worker: &Arc<Worker>,
    id: &ConnectorTaskId,
    connector_config: &Props,
    task: Box<dyn SourceTask>,
    stop: StopSignal,
) -> ConnectResult<Loop> {
    let error_config = ErrorConfig::from_connector_config(connector_config, false)?;
    let metrics = Some(crate::errors::task_metrics(
        worker,
        id,
        crate::metrics::TaskKind::Source,
    ));
    let errors = Operator::new(
        error_config.clone(),
        stop,
        vec![Arc::new(
            LogReporter::new(id.clone(), &error_config).with_metrics(metrics.clone()),
        )],
    )
    .with_metrics(metrics);
    let converters = Converters::new(&worker.plugins, &worker.settings.config, connector_config)?;
    check_client_overrides(
        &worker.settings.config,
        ClientType::Producer,
        connector_config,
    )?;
    let config =
        worker
            .settings
            .config
            .task_producer_config(&id.connector, id.task, connector_config);
    let (producer, acks) = worker
        .kafka
        .producer(&config)
        .map_err(ConnectError::connect)?;
    let wants_commit_record = task.wants_commit_record();
    let chain = TransformChain::from_config(&worker.plugins, connector_config)?;
    let topic_creation = TopicCreation::for_task(worker, id, connector_config)?;
    Ok(Loop {
        worker: worker.clone(),
        id: id.clone(),
        chain,
        topic_creation,
        task,
        converters,
        topics: worker.topic_tracker(id),
        producer,
        acks,
        inflight: InFlight {
            tolerate_send_errors: errors.tolerance() == Tolerance::All,
            ..InFlight::default()
        },
        errors,
        wants_commit_record,
        unflushed: Vec::new(),
        valid_partition: None,
    })
}

/// Waits until the target state leaves PAUSED; false if stopped meanwhile.
async fn wait_resumed(target: &mut watch::Receiver<TargetState>, stop: &StopSignal) -> bool {
    loop {
        if stop.is_stopped() {
            return false;
        }
        if *target.borrow_and_update() != TargetState::Paused {
            return true;
        }
        tokio::select! {
            _ = stop.stopped() => return false,
            changed = target.changed() => if changed.is_err() { return false },
        }
    }
}

impl Loop {
    /// A message about this task with config provider values replaced by references.
    fn redact(&self, text: &str) -> String {
        self.worker.redact(&self.id.connector, text)
    }

    async fn execute(
        &mut self,
        stop: &StopSignal,
        target: &mut watch::Receiver<TargetState>,
    ) -> ConnectResult<()> {
        let interval = self.worker.settings.offset_flush_interval();
        let mut next_commit = Instant::now() + interval;
        loop {
            if stop.is_stopped() {
                return Ok(());
            }
            self.take_acks().await?;
            if Instant::now() >= next_commit {
                self.commit_offsets().await;
                next_commit = Instant::now() + interval;
            }
            if *target.borrow() == TargetState::Paused {
                self.worker.task_status(&self.id, State::Paused, None);
                if !wait_resumed(target, stop).await {
                    return Ok(());
                }
                self.worker.task_status(&self.id, State::Running, None);
                continue;
            }
            let mut batch = match self.task.poll().await {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(ConnectError::Retriable(e)) => {
                    warn!(
                        "retriable exception in poll, will poll again: {}",
                        self.redact(&e.to_string())
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            // Records are sent in place where nothing needs them by value: a record is a
            // few hundred bytes, and moving each one out of the batch is a copy.
            if self.chain.is_empty() {
                for record in batch.iter_mut() {
                    self.validate(record)?;
                    self.send(record).await?;
                }
            } else {
                for record in batch {
                    self.transform_and_send(record).await?;
                }
            }
        }
    }

    /// Handles acks already received, without waiting.
    async fn take_acks(&mut self) -> ConnectResult<()> {
        while let Ok(ack) = self.acks.try_recv() {
            self.inflight.ack(ack);
        }
        self.after_acks().await
    }

    async fn after_acks(&mut self) -> ConnectResult<()> {
        if let Some(e) = self.inflight.failure.take() {
            return Err(ConnectError::connect(format!(
                "Unrecoverable exception from producer send callback: {e}"
            )));
        }
        for e in std::mem::take(&mut self.inflight.tolerated) {
            let failure = self.errors.failure(
                Stage::KafkaProduce,
                "org.apache.kafka.connect.runtime.WorkerSourceTask",
                ConnectError::connect(e),
            );
            // Reported through the operator for its log line; tolerated, so no error.
            let (_, _) = self.errors.execute_failed(failure, None);
        }
        for (record, meta) in self.inflight.drain_acked() {
            if let Err(e) = self.task.commit_record(&record, meta.as_ref()).await {
                warn!(
                    "commitRecord failed (ignored, as Java does): {}",
                    self.redact(&e.to_string())
                );
            }
        }
        Ok(())
    }

    /// Java's checks of a record's source partition and offset.
    fn validate(&mut self, record: &SourceRecord) -> ConnectResult<()> {
        if let Some(p) = &record.meta.source_partition {
            if !self
                .valid_partition
                .as_ref()
                .is_some_and(|v| Arc::ptr_eq(v, p))
            {
                validate_offset_map("Partition", p)?;
                self.valid_partition = Some(p.clone());
            }
        }
        if let Some(o) = &record.meta.source_offset {
            validate_offset_map("Offset", o)?;
        }
        Ok(())
    }

    async fn transform_and_send(&mut self, record: SourceRecord) -> ConnectResult<()> {
        self.validate(&record)?;
        // Kept for `commitRecord` and for the error log's record details.
        let cfg = self.errors.config();
        let original = if self.wants_commit_record || (cfg.log_enable && cfg.log_include_messages) {
            Some(record.clone())
        } else {
            None
        };
        match self
            .chain
            .apply_tolerant(record, &self.errors, original.as_ref())
            .await?
        {
            Some(mut r) => self.send(&mut r).await,
            None => {
                // Dropped: Java reports it with no metadata and commits no offset for it.
                if let Some(original) = original.filter(|_| self.wants_commit_record) {
                    if let Err(e) = self.task.commit_record(&original, None).await {
                        warn!(
                            "commitRecord failed (ignored, as Java does): {}",
                            self.redact(&e.to_string())
                        );
                    }
                }
                Ok(())
            }
        }
    }

    /// Converts and produces a validated (and transformed) record; its offset is
    /// committable once it and everything sent before it are acknowledged.
    async fn send(&mut self, record: &mut SourceRecord) -> ConnectResult<()> {
        // Java: `AbstractWorkerSourceTask#convertTransformedRecord`, each step in the operator;
        // a tolerated failure drops the record like a filter (no offset is committed for it).
        let ops = &self.errors;
        let conv = &self.converters;
        let key = crate::attempt!(
            ops,
            Stage::KeyConverter,
            &conv.key_class,
            converter::from_connect(
                conv.key.as_ref(),
                &record.topic,
                &mut record.headers,
                record.key_schema.as_ref(),
                &record.key,
            )
            .await
        );
        let value = match key {
            Ok(key) => crate::attempt!(
                ops,
                Stage::ValueConverter,
                &conv.value_class,
                converter::from_connect(
                    conv.value.as_ref(),
                    &record.topic,
                    &mut record.headers,
                    record.value_schema.as_ref(),
                    &record.value,
                )
                .await
            )
            .map(|value| (key, value)),
            Err(f) => Err(f),
        };
        // After the key and value converters, which may add headers (Java passes them the
        // record's headers to add to).
        let converted = match value {
            Ok((key, value)) => crate::attempt!(ops, Stage::HeaderConverter, &conv.header_class, {
                let mut headers = Vec::with_capacity(record.headers.len());
                let mut failed = None;
                for h in record.headers.iter() {
                    match conv.header.from_connect_header(
                        &record.topic,
                        &h.key,
                        h.schema.as_ref(),
                        &h.value,
                    ) {
                        Ok(v) => headers.push((h.key.clone(), v)),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                failed.map_or(Ok(headers), Err)
            })
            .map(|headers| (key, value, headers)),
            Err(f) => Err(f),
        };
        let (key, value, headers) = match converted {
            Ok(c) => c,
            Err(f) => {
                self.errors.fail(f, Some(record))?;
                if self.wants_commit_record {
                    if let Err(e) = self.task.commit_record(record, None).await {
                        warn!(
                            "commitRecord failed (ignored, as Java does): {}",
                            self.redact(&e.to_string())
                        );
                    }
                }
                return Ok(());
            }
        };
        if let Some(ts) = record.timestamp {
            if ts < 0 {
                return Err(ConnectError::connect(format!(
                    "Invalid record timestamp {ts}"
                )));
            }
        }
        if let Some(tc) = &mut self.topic_creation {
            tc.maybe_create(&record.topic).await?;
        }
        // The token is the next in-flight slot; the record is only registered once the
        // producer took it, so a refused send leaves nothing behind.
        let token = self.inflight.next_token();
        loop {
            let out = OutRecord {
                topic: &record.topic,
                partition: record.kafka_partition,
                key: key.as_deref(),
                value: value.as_deref(),
                timestamp: record.timestamp,
                headers: &headers,
            };
            match self.producer.send(&out, token) {
                Ok(()) => break,
                Err(SendFailure::QueueFull) => {
                    // Make room: wait for at least one ack before trying again.
                    match tokio::time::timeout(Duration::from_millis(100), self.acks.recv()).await {
                        Ok(Some(ack)) => {
                            self.inflight.ack(ack);
                            self.take_acks().await?;
                        }
                        Ok(None) => return Err(ConnectError::connect("producer closed")),
                        Err(_) => {}
                    }
                }
                Err(SendFailure::Fatal(e)) => {
                    return Err(ConnectError::connect(format!(
                        "Unrecoverable exception trying to send: {e}"
                    )))
                }
            }
        }
        self.topics.record(&record.topic);
        let partition = record.meta.source_partition.take();
        let offset = record.meta.source_offset.take();
        let kept = if self.wants_commit_record {
            // What is left in the caller's place is dropped unread.
            let rest = SourceRecord {
                topic: record.topic.clone(),
                kafka_partition: None,
                key_schema: None,
                key: Value::Null,
                value_schema: None,
                value: Value::Null,
                timestamp: None,
                headers: Headers::new(),
                meta: SourceMeta::default(),
            };
            Some(Box::new((std::mem::replace(record, rest), None)))
        } else {
            None
        };
        let pushed = self.inflight.push(Submitted {
            partition,
            offset,
            acked: false,
            record: kept,
        });
        debug_assert_eq!(pushed, token);
        Ok(())
    }

    /// Writes the committable offsets to the store, then calls `commit()`.
    async fn commit_offsets(&mut self) -> bool {
        let mut pending = std::mem::take(&mut self.unflushed);
        for (p, o) in std::mem::take(&mut self.inflight.committable) {
            match pending.iter_mut().find(|(q, _)| *q == p) {
                Some(slot) => slot.1 = o,
                None => pending.push((p, o)),
            }
        }
        if !pending.is_empty() {
            let entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = pending
                .iter()
                .map(|(p, o)| {
                    (
                        offset_key(&self.id.connector, p),
                        o.as_ref()
                            .map(|o| serde_json::to_vec(o).expect("offset map is JSON")),
                    )
                })
                .collect();
            let timeout = self.worker.settings.offset_flush_timeout();
            match tokio::time::timeout(timeout, self.worker.offsets.set(entries)).await {
                Ok(Ok(())) => debug!("committed offsets of {} partition(s)", pending.len()),
                Ok(Err(e)) => {
                    warn!(
                        "offset flush failed, will retry: {}",
                        self.redact(&e.to_string())
                    );
                    self.unflushed = pending;
                    return false;
                }
                Err(_) => {
                    warn!("offset flush timed out after {timeout:?}, will retry");
                    self.unflushed = pending;
                    return false;
                }
            }
        }
        if let Err(e) = self.task.commit().await {
            warn!(
                "task commit() failed (ignored): {}",
                self.redact(&e.to_string())
            );
        }
        true
    }

    /// Waits for in-flight records (up to the flush timeout), then commits offsets.
    async fn shutdown(&mut self) -> ConnectResult<()> {
        let deadline = Instant::now() + self.worker.settings.offset_flush_timeout();
        let mut result = Ok(());
        while !self.inflight.is_empty() {
            match tokio::time::timeout_at(deadline, self.acks.recv()).await {
                Ok(Some(ack)) => {
                    self.inflight.ack(ack);
                    if let Err(e) = self.take_acks().await {
                        result = Err(e);
                        break;
                    }
                }
                Ok(None) | Err(_) => {
                    warn!("{} record(s) still unacknowledged at shutdown; their offsets are not committed", self.inflight.queue.len());
                    break;
                }
            }
        }
        if !self.commit_offsets().await {
            warn!("final offset commit failed");
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted(offset: i64) -> Submitted {
        Submitted {
            partition: Some(Arc::new(OffsetMap::with_entry("file", "f"))),
            offset: Some(OffsetMap::with_entry("position", offset)),
            acked: false,
            record: None,
        }
    }

    #[test]
    fn a_failed_send_is_acknowledged_and_kept_for_reporting_under_tolerance_all() {
        let mut f = InFlight {
            tolerate_send_errors: true,
            ..InFlight::default()
        };
        let a = f.push(submitted(1));
        let b = f.push(submitted(2));
        f.ack(Ack {
            token: a,
            result: Err("Broker: Message size too large".into()),
        });
        f.ack(Ack {
            token: b,
            result: Ok((0, 7)),
        });
        f.drain_acked();
        assert!(f.is_empty());
        assert!(f.failure.is_none());
        assert_eq!(
            f.tolerated,
            vec!["Broker: Message size too large".to_string()]
        );
        // Java acks the failed record too, so the offsets move past it.
        assert_eq!(
            f.committable[0].1,
            Some(OffsetMap::with_entry("position", 2))
        );
    }

    #[test]
    fn a_failed_send_fails_the_task_under_tolerance_none() {
        let mut f = InFlight::default();
        let a = f.push(submitted(1));
        f.ack(Ack {
            token: a,
            result: Err("boom".into()),
        });
        assert_eq!(f.failure.as_deref(), Some("boom"));
        assert!(f.drain_acked().is_empty());
        assert!(!f.is_empty());
    }
}
