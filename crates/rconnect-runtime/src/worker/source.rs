//! The source task loop (transforms-and-errors.md §8): poll, convert, produce, and
//! commit the offsets of acknowledged records every `offset.flush.interval.ms`.

use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
use rconnect_sdk::converter;
use rconnect_sdk::data::{Headers, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{SourceMeta, SourceRecord};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::submitted::{Acked, SubmittedRecords};
use super::{check_client_overrides, Converters, Worker};
use crate::clients::{Ack, OutRecord, ProducerClient, SendFailure};
use crate::errors::{log::LogReporter, ErrorConfig, Operator, Stage, Tolerance};
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::offsets::{offset_key, validate_offset_map, ConnectorOffsetReader};
use crate::status::TopicTracker;
use crate::topic_creation::TopicCreation;
use crate::transform_chain::TransformChain;
use rconnect_config::client_overrides::ClientType;

struct Loop {
    worker: Arc<Worker>,
    id: ConnectorTaskId,
    task: Box<dyn SourceTask>,
    converters: Converters,
    topics: TopicTracker,
    producer: Box<dyn ProducerClient>,
    acks: mpsc::UnboundedReceiver<Ack>,
    submitted: SubmittedRecords,
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
    /// `source-task-metrics` and `connector-task-metrics` of this task.
    metrics: Arc<crate::metrics::TaskMetrics>,
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
    worker.task_started();
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
    let task_metrics = crate::errors::task_metrics(worker, id, crate::metrics::TaskKind::Source);
    let metrics = Some(task_metrics.clone());
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
        submitted: SubmittedRecords::tolerating_send_errors(errors.tolerance() == Tolerance::All),
        errors,
        metrics: task_metrics,
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
            let polled_at = Instant::now();
            let mut batch = match self.task.poll().await {
                Ok(Some(b)) => {
                    self.metrics.source_polled(b.len(), polled_at.elapsed());
                    b
                }
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
            // Records are transformed and sent in place: a record is a few hundred bytes,
            // and moving each one out of the batch (and into the future that sends it) is
            // a copy each time.
            if self.chain.is_empty() {
                for record in batch.iter_mut() {
                    self.validate(record)?;
                    self.send(record).await?;
                }
            } else {
                for record in batch.iter_mut() {
                    self.transform_and_send(record).await?;
                }
            }
        }
    }

    /// Handles acks already received, without waiting.
    async fn take_acks(&mut self) -> ConnectResult<()> {
        while let Ok(ack) = self.acks.try_recv() {
            self.on_ack(ack).await;
        }
        self.after_acks()
    }

    /// Applies one ack; Java calls `commitRecord` from the producer callback, as each
    /// record is acknowledged.
    async fn on_ack(&mut self, ack: Ack) {
        self.metrics.source_acked(1, ack.result.is_ok());
        if let Some(acked) = self.submitted.ack(ack) {
            self.commit_record(acked).await;
        }
    }

    async fn commit_record(&mut self, (record, meta): Acked) {
        if let Err(e) = self.task.commit_record(&record, meta.as_ref()).await {
            warn!(
                "commitRecord failed (ignored, as Java does): {}",
                self.redact(&e.to_string())
            );
        }
    }

    /// Fails on a send the producer reported failed; otherwise moves what is now
    /// acknowledged to the committable offsets.
    fn after_acks(&mut self) -> ConnectResult<()> {
        if let Some(e) = self.submitted.take_failure() {
            return Err(ConnectError::connect(format!(
                "Unrecoverable exception from producer send callback: {e}"
            )));
        }
        for e in self.submitted.take_tolerated() {
            let failure = self.errors.failure(
                Stage::KafkaProduce,
                "org.apache.kafka.connect.runtime.WorkerSourceTask",
                ConnectError::connect(e),
            );
            // Reported through the operator for its log line; tolerated, so no error.
            let (_, _) = self.errors.execute_failed(failure, None);
        }
        self.submitted.update_committable();
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

    async fn transform_and_send(&mut self, record: &mut SourceRecord) -> ConnectResult<()> {
        self.validate(record)?;
        // Kept for `commitRecord` and for the error log's record details.
        let cfg = self.errors.config();
        let original = if self.wants_commit_record || (cfg.log_enable && cfg.log_include_messages) {
            Some(record.clone())
        } else {
            None
        };
        // In place: the record is a few hundred bytes, and the stages edit one copy of it.
        match self
            .chain
            .apply_tolerant_mut(record, &self.errors, original.as_ref())
            .await?
        {
            Outcome::Keep => self.send(record).await,
            Outcome::Drop => {
                // Dropped: Java reports it with no metadata and commits no offset for it.
                if let Some(original) = original.filter(|_| self.wants_commit_record) {
                    self.commit_record((original, None)).await;
                }
                Ok(())
            }
        }
    }

    /// Converts and produces a validated (and transformed) record; its offset is
    /// committable once it and everything sent before it for the same source partition
    /// are acknowledged.
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
        let token = self.submitted.next_token();
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
                Ok(()) => {
                    self.metrics.source_sent(1);
                    break;
                }
                Err(SendFailure::QueueFull) => {
                    // Make room: wait for at least one ack before trying again.
                    match tokio::time::timeout(Duration::from_millis(100), self.acks.recv()).await {
                        Ok(Some(ack)) => {
                            self.on_ack(ack).await;
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
            Some(Box::new(std::mem::replace(record, rest)))
        } else {
            None
        };
        let submitted = self.submitted.submit(partition, offset, kept);
        debug_assert_eq!(submitted, token);
        Ok(())
    }

    /// Writes the committable offsets to the store, then calls `commit()`.
    async fn commit_offsets(&mut self) -> bool {
        let began = Instant::now();
        let ok = self.flush_offsets().await;
        self.metrics.offset_commit(ok, began.elapsed());
        ok
    }

    async fn flush_offsets(&mut self) -> bool {
        let mut pending = std::mem::take(&mut self.unflushed);
        for (p, o) in self.submitted.take_committable() {
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
        let (acked, all) = self.submitted.await_all(&mut self.acks, deadline).await;
        for a in acked {
            self.commit_record(a).await;
        }
        let result = self.after_acks();
        if !all && result.is_ok() {
            warn!(
                "{} record(s) still unacknowledged at shutdown; their offsets are not committed",
                self.submitted.outstanding()
            );
        }
        if !self.commit_offsets().await {
            warn!("final offset commit failed");
        }
        result
    }
}
