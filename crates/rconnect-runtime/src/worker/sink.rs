//! The sink task loop (transforms-and-errors.md §7): consume, convert, `put`, and commit
//! what `preCommit` allows every `offset.flush.interval.ms` and at shutdown.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rconnect_sdk::connector::{SinkContextState, SinkTask, SinkTaskContext};
use rconnect_sdk::converter;
use rconnect_sdk::data::Headers;
use rconnect_sdk::record::{ConnectRecord, SinkMeta, SinkRecord, TopicPartition};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::{Converters, Worker};
use crate::clients::{ConsumerClient, InRecord, Rebalance};
use crate::errors::{SinkErrors, Stage};
use crate::herder::{ConnectorTaskId, State, TargetState};
use crate::status::TopicTracker;
use crate::transform_chain::TransformChain;

/// Java's `max.poll.records` default bounds each `put` batch.
const DEFAULT_MAX_POLL_RECORDS: usize = 500;

struct Loop {
    worker: Arc<Worker>,
    /// The connector, to redact messages with.
    connector: String,
    chain: TransformChain<SinkMeta>,
    task: Box<dyn SinkTask>,
    converters: Converters,
    topics: TopicTracker,
    consumer: Box<dyn ConsumerClient>,
    state: Arc<Mutex<SinkContextState>>,
    max_poll_records: usize,
    /// Next offset to consume, per partition, of everything delivered to `put`.
    current: HashMap<TopicPartition, i64>,
    last_committed: HashMap<TopicPartition, i64>,
    /// A batch `put` refused with a retriable error, to deliver again.
    redeliver: Option<(Vec<SinkRecord>, HashMap<TopicPartition, i64>)>,
    /// Partitions paused by the task itself or for the connector's PAUSED state.
    paused_by_us: BTreeSet<TopicPartition>,
    /// `errors.*`: tolerance, dead letter queue, the task's errant record reporter.
    errors: SinkErrors,
    /// `sink-task-metrics` and `connector-task-metrics` of this task.
    metrics: Arc<crate::metrics::TaskMetrics>,
}

pub(super) async fn run(
    worker: Arc<Worker>,
    id: ConnectorTaskId,
    connector_config: Props,
    task_config: Props,
    task: Box<dyn SinkTask>,
    stop: StopSignal,
    target: watch::Receiver<TargetState>,
) {
    let errors = match SinkErrors::setup(&worker, &id, &connector_config, stop.clone()).await {
        Ok(e) => e,
        Err(e) => {
            worker.task_failed(&id, &e, "Worker.startTask");
            return;
        }
    };
    let mut lp = match prepare(&worker, &id, &connector_config, &task_config, task, errors) {
        Ok(lp) => lp,
        Err(e) => {
            worker.task_failed(&id, &e, "Worker.startTask");
            return;
        }
    };
    let mut ctx = SinkTaskContext::new(task_config.clone(), stop.clone(), lp.state.clone());
    if let Some(r) = &lp.errors.errant {
        ctx = ctx.with_errant_record_reporter(r.clone());
    }
    if let Err(e) = lp.task.start(ctx, task_config).await {
        worker.task_failed(&id, &e, "WorkerSinkTask.initializeAndStart");
        let _ = lp.task.stop().await;
        lp.consumer.close().await;
        return;
    }
    info!("sink task started");
    worker.task_started();
    let initial = if *target.borrow() == TargetState::Paused {
        State::Paused
    } else {
        State::Running
    };
    worker.task_status(&id, initial, None);
    let result = lp.execute(&id, &stop, target).await;
    let closed = lp.close_all().await;
    if let Err(e) = lp.task.stop().await {
        warn!(
            "task stop failed: {}",
            worker.redact(&id.connector, &e.to_string())
        );
    }
    lp.consumer.close().await;
    lp.errors
        .close(worker.settings.offset_flush_timeout())
        .await;
    match result.and(closed) {
        Ok(()) => info!("sink task stopped"),
        Err(e) => {
            worker.task_failed(&id, &e, "WorkerSinkTask.execute");
        }
    }
}

fn prepare(
    worker: &Arc<Worker>,
    id: &ConnectorTaskId,
    connector_config: &Props,
    task_config: &Props,
    task: Box<dyn SinkTask>,
    errors: SinkErrors,
) -> ConnectResult<Loop> {
    let topics: Vec<String> = {
        let mut seen = BTreeSet::new();
        rconnect_sdk::config::parse_list(
            task_config.get("topics").map(String::as_str).unwrap_or(""),
        )
        .into_iter()
        .filter(|t| !t.is_empty() && seen.insert(t.clone()))
        .collect()
    };
    let regex = task_config
        .get("topics.regex")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    if topics.is_empty() && regex.is_none() {
        return Err(ConnectError::config(
            "Must configure one of topics or topics.regex",
        ));
    }
    let converters = Converters::new(&worker.plugins, &worker.settings.config, connector_config)?;
    super::check_client_overrides(
        &worker.settings.config,
        rconnect_config::client_overrides::ClientType::Consumer,
        connector_config,
    )?;
    let config =
        worker
            .settings
            .config
            .task_consumer_config(&id.connector, id.task, connector_config);
    let max_poll_records = match config.get("max.poll.records") {
        Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| ConnectError::config(format!("Invalid value {v} for configuration max.poll.records: must be a positive integer")))?,
        None => DEFAULT_MAX_POLL_RECORDS,
    };
    let consumer = worker
        .kafka
        .consumer(&config, &topics, regex)
        .map_err(ConnectError::connect)?;
    let chain = TransformChain::from_config(&worker.plugins, connector_config)?;
    Ok(Loop {
        worker: worker.clone(),
        connector: id.connector.clone(),
        chain,
        task,
        converters,
        topics: worker.topic_tracker(id),
        consumer,
        state: Arc::new(Mutex::new(SinkContextState::default())),
        max_poll_records,
        current: HashMap::new(),
        last_committed: HashMap::new(),
        redeliver: None,
        paused_by_us: BTreeSet::new(),
        errors,
        metrics: crate::errors::task_metrics(worker, id, crate::metrics::TaskKind::Sink),
    })
}

impl Loop {
    /// A message about this task with config provider values replaced by references.
    fn redact(&self, text: &str) -> String {
        self.worker.redact(&self.connector, text)
    }

    fn ctx<R>(&self, f: impl FnOnce(&mut SinkContextState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    async fn execute(
        &mut self,
        id: &ConnectorTaskId,
        stop: &StopSignal,
        mut target: watch::Receiver<TargetState>,
    ) -> ConnectResult<()> {
        let interval = self.worker.settings.offset_flush_interval();
        let mut next_commit = Instant::now() + interval;
        let mut was_paused = false;
        loop {
            if stop.is_stopped() {
                return Ok(());
            }
            self.handle_rebalances().await?;
            let commit_requested = self.ctx(|s| std::mem::take(&mut s.commit_requested));
            if commit_requested || Instant::now() >= next_commit {
                let all: Vec<TopicPartition> = self.consumer.assignment();
                self.commit(&all, false).await?;
                next_commit = Instant::now() + interval;
            }
            self.apply_rewinds()?;
            let paused = *target.borrow_and_update() == TargetState::Paused;
            if paused != was_paused {
                self.worker.task_status(
                    id,
                    if paused {
                        State::Paused
                    } else {
                        State::Running
                    },
                    None,
                );
                was_paused = paused;
            }
            self.apply_pauses(paused)?;

            let mut timeout = next_commit.saturating_duration_since(Instant::now());
            if let Some(t) = self.ctx(|s| s.timeout.take()) {
                timeout = timeout.min(t);
            }
            let polled = tokio::select! {
                _ = stop.stopped() => return Ok(()),
                _ = target.changed() => continue,
                r = self.consumer.poll_batch(self.max_poll_records, timeout) => r.map_err(ConnectError::connect)?,
            };
            self.metrics.sink_read(polled.len());
            let (batch, consumed) = match self.redeliver.take() {
                // Partitions stay paused during redelivery, so `polled` is empty then.
                Some(pending) => pending,
                None => self.convert(polled).await?,
            };
            let put_at = Instant::now();
            let put = self.task.put(&batch).await;
            if !batch.is_empty() {
                self.metrics.sink_put(batch.len(), put_at.elapsed());
            }
            match put {
                Ok(()) => {
                    if let Some(r) = &self.errors.errant {
                        r.check_after_put()?;
                        r.delivered();
                    }
                    self.current.extend(consumed);
                }
                Err(ConnectError::Retriable(e)) => {
                    warn!(
                        "retriable error from put, redelivering {} record(s): {e}",
                        batch.len()
                    );
                    let all = self.consumer.assignment();
                    self.consumer.pause(&all).map_err(ConnectError::connect)?;
                    self.paused_by_us.extend(all);
                    self.redeliver = Some((batch, consumed));
                }
                Err(e) => {
                    return Err(ConnectError::connect(format!(
                        "Exiting WorkerSinkTask due to unrecoverable exception: {e}"
                    )))
                }
            }
        }
    }

    async fn convert(
        &mut self,
        records: Vec<InRecord>,
    ) -> ConnectResult<(Vec<SinkRecord>, HashMap<TopicPartition, i64>)> {
        let mut batch = Vec::with_capacity(records.len());
        // Next offset per partition; a batch spans few partitions, so a short list
        // searched by reference avoids building a key for every record.
        let mut consumed: Vec<(TopicPartition, i64)> = Vec::new();
        for r in records {
            // Every consumed record counts, filtered ones included, so their offsets are
            // committed.
            match consumed
                .iter_mut()
                .find(|(tp, _)| tp.partition == r.partition && tp.topic == r.topic)
            {
                Some(slot) => slot.1 = r.offset + 1,
                None => consumed.push((
                    TopicPartition::new(r.topic.clone(), r.partition),
                    r.offset + 1,
                )),
            }
            // Java: `WorkerSinkTask#convertAndTransformRecord`, each step in the operator; a
            // tolerated failure skips the record (its offset still counts as consumed).
            let ops = &*self.errors.operator;
            let conv = &self.converters;
            let headers = crate::attempt!(ops, Stage::HeaderConverter, &conv.header_class, {
                let mut headers = Headers::new();
                let mut failed = None;
                for (k, v) in &r.headers {
                    match conv.header.to_connect_header(&r.topic, k, v.as_deref()) {
                        Ok(sv) => {
                            headers.add(k.clone(), sv.schema, sv.value);
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                failed.map_or(Ok(headers), Err)
            });
            let headers = match headers {
                Ok(h) => h,
                Err(f) => {
                    ops.fail(f, Some(&r))?;
                    continue;
                }
            };
            let key = crate::attempt!(
                ops,
                Stage::KeyConverter,
                &conv.key_class,
                converter::to_connect(conv.key.as_ref(), &r.topic, &headers, r.key.as_deref())
                    .await
            );
            let key = match key {
                Ok(k) => k,
                Err(f) => {
                    ops.fail(f, Some(&r))?;
                    continue;
                }
            };
            let value = crate::attempt!(
                ops,
                Stage::ValueConverter,
                &conv.value_class,
                converter::to_connect(conv.value.as_ref(), &r.topic, &headers, r.value.as_deref())
                    .await
            );
            let value = match value {
                Ok(v) => v,
                Err(f) => {
                    ops.fail(f, Some(&r))?;
                    continue;
                }
            };
            let timestamp = match r.timestamp {
                None | Some(-1) => None,
                Some(t) if t < 0 => {
                    return Err(ConnectError::connect(format!(
                        "Invalid record timestamp {t}"
                    )))
                }
                Some(t) => Some(t),
            };
            // As Java: the consumed topic, before any transformation renames it.
            self.topics.record(&r.topic);
            let mut record = ConnectRecord {
                topic: r.topic.clone(),
                kafka_partition: Some(r.partition),
                key_schema: key.schema,
                key: key.value,
                value_schema: value.schema,
                value: value.value,
                timestamp,
                headers,
                meta: SinkMeta {
                    kafka_offset: r.offset,
                    timestamp_type: r.timestamp_type,
                    original_topic: r.topic.clone(),
                    original_kafka_partition: r.partition,
                    original_kafka_offset: r.offset,
                },
            };
            if !self.chain.is_empty()
                && self
                    .chain
                    .apply_tolerant_mut(&mut record, &self.errors.operator, Some(&r))
                    .await?
                    == Outcome::Drop
            {
                continue;
            }
            batch.push(record);
            // A delivered record stays at hand (moved, not copied) while its batch is out, so
            // that a report of it sends the bytes as consumed.
            if let Some(errant) = &self.errors.errant {
                errant.keep(r);
            }
        }
        Ok((batch, consumed.into_iter().collect()))
    }

    async fn handle_rebalances(&mut self) -> ConnectResult<()> {
        let events = self.consumer.take_rebalances();
        if !events.is_empty() {
            self.handle_rebalance_events(events).await?;
            self.metrics
                .sink_partitions(self.consumer.assignment().len());
        }
        Ok(())
    }

    async fn handle_rebalance_events(&mut self, events: Vec<Rebalance>) -> ConnectResult<()> {
        for event in events {
            match event {
                Rebalance::Assigned(tps) => {
                    for tp in &tps {
                        if let Some(pos) = self.consumer.position(tp) {
                            self.current.insert(tp.clone(), pos);
                            self.last_committed.insert(tp.clone(), pos);
                        }
                    }
                    self.ctx(|s| s.assignment.extend(tps.iter().cloned()));
                    if !tps.is_empty() {
                        debug!("partitions assigned: {tps:?}");
                        self.task.open(&tps).await?;
                    }
                }
                Rebalance::Revoked(tps) => {
                    debug!("partitions revoked: {tps:?}");
                    self.commit(&tps, true).await?;
                    for tp in &tps {
                        self.current.remove(tp);
                        self.last_committed.remove(tp);
                        self.paused_by_us.remove(tp);
                    }
                    if let Some((batch, consumed)) = self.redeliver.as_mut() {
                        batch.retain(|r| {
                            !tps.iter().any(|tp| {
                                tp.topic == r.meta.original_topic
                                    && tp.partition == r.meta.original_kafka_partition
                            })
                        });
                        consumed.retain(|tp, _| !tps.contains(tp));
                    }
                    self.ctx(|s| {
                        for tp in &tps {
                            s.assignment.remove(tp);
                            s.paused.remove(tp);
                        }
                    });
                }
            }
        }
        Ok(())
    }

    fn apply_rewinds(&mut self) -> ConnectResult<()> {
        let rewinds: Vec<(TopicPartition, i64)> = self.ctx(|s| s.offsets.drain().collect());
        for (tp, off) in rewinds {
            self.consumer
                .seek(&tp, off)
                .map_err(ConnectError::connect)?;
            self.current.insert(tp.clone(), off);
            self.last_committed.insert(tp, off);
        }
        Ok(())
    }

    /// Brings the consumer's paused set in line with what the task and target ask for.
    fn apply_pauses(&mut self, connector_paused: bool) -> ConnectResult<()> {
        if self.redeliver.is_some() {
            return Ok(());
        }
        // The usual case, checked first because reading the assignment is a round trip to
        // librdkafka's main thread: nothing paused and nothing to pause.
        if !connector_paused && self.paused_by_us.is_empty() && self.ctx(|s| s.paused.is_empty()) {
            return Ok(());
        }
        let assignment: BTreeSet<TopicPartition> = self.consumer.assignment().into_iter().collect();
        let want: BTreeSet<TopicPartition> = if connector_paused {
            assignment.clone()
        } else {
            self.ctx(|s| s.paused.clone())
                .intersection(&assignment)
                .cloned()
                .collect()
        };
        let to_pause: Vec<TopicPartition> = want.difference(&self.paused_by_us).cloned().collect();
        let to_resume: Vec<TopicPartition> = self
            .paused_by_us
            .difference(&want)
            .filter(|tp| assignment.contains(tp))
            .cloned()
            .collect();
        if !to_pause.is_empty() {
            self.consumer
                .pause(&to_pause)
                .map_err(ConnectError::connect)?;
        }
        if !to_resume.is_empty() {
            self.consumer
                .resume(&to_resume)
                .map_err(ConnectError::connect)?;
        }
        self.paused_by_us = want;
        Ok(())
    }

    /// Java's `commitOffsets` (§7.3) for `partitions`.
    async fn commit(&mut self, partitions: &[TopicPartition], closing: bool) -> ConnectResult<()> {
        // Java: a partition's errant record reports complete before its offsets are committed.
        if let Some(r) = &self.errors.errant {
            r.await_partitions(partitions).await?;
        }
        let to_commit: HashMap<TopicPartition, i64> = partitions
            .iter()
            .filter_map(|tp| self.current.get(tp).map(|o| (tp.clone(), *o)))
            .collect();
        if to_commit.is_empty() {
            if closing && !partitions.is_empty() {
                self.task.close(partitions).await?;
            }
            return Ok(());
        }
        let returned = match self.task.pre_commit(to_commit.clone()).await {
            Ok(r) => r,
            Err(e) => {
                if closing {
                    // Java (`WorkerSinkTask#commitOffsets`) logs it and still closes the
                    // partitions; the revocation or the stop goes on, nothing is committed.
                    warn!(
                        "offset commit failed during close: {}",
                        self.redact(&e.to_string())
                    );
                    self.task.close(partitions).await?;
                    return Ok(());
                }
                warn!(
                    "preCommit failed, rewinding to the last committed offsets: {}",
                    self.redact(&e.to_string())
                );
                for tp in partitions {
                    if let Some(off) = self.last_committed.get(tp).copied() {
                        let _ = self.consumer.seek(tp, off);
                        self.current.insert(tp.clone(), off);
                    }
                }
                return Ok(());
            }
        };
        if closing {
            self.task.close(partitions).await?;
        }
        if returned.is_empty() {
            return Ok(());
        }
        let mut commit: Vec<(TopicPartition, i64)> = Vec::new();
        for (tp, off) in returned {
            match to_commit.get(&tp) {
                Some(cur) if off <= *cur => {
                    if self.last_committed.get(&tp) != Some(&off) {
                        commit.push((tp, off));
                    }
                }
                Some(_) => warn!("ignoring offset {off} for {tp}: beyond what was delivered"),
                None => warn!("ignoring offset {off} for {tp}: not a partition being committed"),
            }
        }
        if commit.is_empty() {
            self.metrics.sink_commit_skipped();
            return Ok(());
        }
        commit.sort();
        let began = Instant::now();
        let committed = self.consumer.commit(&commit).await;
        self.metrics
            .offset_commit(committed.is_ok(), began.elapsed());
        match committed {
            Ok(()) => {
                debug!("committed {} partition offset(s)", commit.len());
                self.last_committed.extend(commit);
            }
            Err(e) => warn!(
                "offset commit failed, will retry at the next interval: {}",
                self.redact(&e.to_string())
            ),
        }
        Ok(())
    }

    /// Final commit for every assigned partition, then `close`.
    async fn close_all(&mut self) -> ConnectResult<()> {
        let all = self.consumer.assignment();
        self.commit(&all, true).await
    }
}
