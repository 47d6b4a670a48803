//! Connectors and tasks (Java `Connector`, `SourceConnector`, `SinkConnector`,
//! `SourceTask`, `SinkTask` and their contexts).
//!
//! A connector is configured once and splits its work into task configs; tasks do the
//! work. The worker owns every instance: it calls the methods in order, never two at once
//! on the same instance, and interrupts waits through the [`StopSignal`] in the context.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigValueReport};
use crate::error::{ConnectError, ConnectResult};
use crate::offset::{OffsetMap, OffsetStorageReader};
use crate::record::{RecordMetadata, SinkRecord, SourceRecord, TopicPartition};
use crate::stop::StopSignal;
use crate::Props;

/// What a connector may ask of the worker (Java `ConnectorContext`).
pub trait ConnectorContext: Send + Sync {
    /// The connector's task configs changed: the worker calls `task_configs` again.
    fn request_task_reconfiguration(&self);
    /// The connector failed in the background; it will be shown FAILED.
    fn raise_error(&self, error: ConnectError);
}

/// Behaviour shared by source and sink connectors.
#[async_trait]
pub trait Connector: Send {
    /// The plugin version shown by `GET /connector-plugins`.
    fn version(&self) -> String;
    /// The connector's own configuration keys.
    fn config_def(&self) -> ConfigDef;
    /// Validates a config; the default checks it against [`Connector::config_def`].
    fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        self.config_def().validate(props)
    }
    /// Starts the connector with its (already validated) configuration.
    async fn start(&mut self, ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()>;
    /// The configs of at most `max_tasks` tasks.
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>>;
    /// Stops the connector.
    async fn stop(&mut self) -> ConnectResult<()>;
    /// The class name written as `task.class` in task configs.
    fn task_class(&self) -> String;
}

/// Whether a source connector can do exactly-once delivery (KIP-618).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceSupport {
    Supported,
    Unsupported,
}

/// A source partition and its new offset (`None` = remove it), as given to
/// [`SourceConnector::alter_offsets`].
pub type SourceOffsetChange = (Option<OffsetMap>, Option<OffsetMap>);

/// A connector that reads from an external system into Kafka.
#[async_trait]
pub trait SourceConnector: Connector {
    fn exactly_once_support(&self, _props: &Props) -> Option<ExactlyOnceSupport> {
        None
    }

    /// Java `SourceConnector#alterOffsets` (KIP-875): sees the offsets a user writes through
    /// `PATCH`/`DELETE /connectors/{name}/offsets` before the worker stores them, on an
    /// instance that is not started. An error refuses the whole request (500 with its
    /// message) and nothing is written. `Ok(true)` says the connector has acted on them (or
    /// keeps no offsets of its own); `Ok(false)`, the default, makes the worker tell the user
    /// that offsets kept outside Connect must be changed by hand.
    ///
    /// ```
    /// use rconnect_sdk::connector::SourceOffsetChange;
    /// use rconnect_sdk::{ConnectError, ConnectResult, Props};
    ///
    /// // The check a connector whose offsets are `{"position": <non-negative number>}` makes.
    /// fn alter_offsets(_config: &Props, offsets: &[SourceOffsetChange]) -> ConnectResult<bool> {
    ///     for (_, offset) in offsets {
    ///         let position = offset.as_ref().map(|o| o.get("position").and_then(|p| p.as_i64()));
    ///         if let Some(None | Some(..0)) = position {
    ///             return Err(ConnectError::connect("'position' must be a non-negative number"));
    ///         }
    ///     }
    ///     Ok(true)
    /// }
    /// let good = rconnect_sdk::offset::OffsetMap::with_entry("position", 5);
    /// let bad = rconnect_sdk::offset::OffsetMap::with_entry("position", -5);
    /// assert!(alter_offsets(&Props::new(), &[(None, Some(bad))]).is_err());
    /// assert!(alter_offsets(&Props::new(), &[(None, Some(good))]).unwrap());
    /// ```
    fn alter_offsets(
        &self,
        _config: &Props,
        _offsets: &[SourceOffsetChange],
    ) -> ConnectResult<bool> {
        Ok(false)
    }
}

/// A connector that writes Kafka records to an external system.
#[async_trait]
pub trait SinkConnector: Connector {
    /// Java `SinkConnector#alterOffsets` (KIP-875): sees the consumer offsets a user writes
    /// through the REST API (`None` = reset) before the worker changes the connector's
    /// consumer group; see [`SourceConnector::alter_offsets`] for what the answer means.
    ///
    /// ```
    /// use rconnect_sdk::record::TopicPartition;
    /// use rconnect_sdk::{ConnectResult, Props};
    ///
    /// // A sink that keeps no offsets of its own accepts anything.
    /// fn alter_offsets(_config: &Props, _offsets: &[(TopicPartition, Option<i64>)]) -> ConnectResult<bool> {
    ///     Ok(true)
    /// }
    /// assert!(alter_offsets(&Props::new(), &[]).unwrap());
    /// ```
    fn alter_offsets(
        &self,
        _config: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        Ok(false)
    }
}

/// What a source task is given (Java `SourceTaskContext`).
#[derive(Clone)]
pub struct SourceTaskContext {
    pub configs: Props,
    pub offset_reader: Arc<dyn OffsetStorageReader>,
    /// Raised when the worker stops the task; `poll` should return soon after.
    pub stop: StopSignal,
}

/// A task that produces records (Java `SourceTask`).
///
/// ```
/// use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
/// use rconnect_sdk::data::{Schema, Value};
/// use rconnect_sdk::record::SourceRecord;
/// use rconnect_sdk::{async_trait, ConnectResult, Props};
///
/// struct Counter { n: i64, topic: String }
///
/// #[async_trait]
/// impl SourceTask for Counter {
///     fn version(&self) -> String { "1.0".into() }
///     async fn start(&mut self, _ctx: SourceTaskContext, props: Props) -> ConnectResult<()> {
///         self.topic = props.get("topic").cloned().unwrap_or_default();
///         Ok(())
///     }
///     async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
///         self.n += 1;
///         Ok(Some(vec![SourceRecord::new(None, None, self.topic.clone(), Some(Schema::int64()), Value::Int64(self.n))]))
///     }
///     async fn stop(&mut self) -> ConnectResult<()> { Ok(()) }
/// }
/// ```
#[async_trait]
pub trait SourceTask: Send {
    fn version(&self) -> String;
    async fn start(&mut self, ctx: SourceTaskContext, props: Props) -> ConnectResult<()>;
    /// New records, or `None` when there is nothing now. Should return periodically so
    /// the worker can commit offsets and notice a stop; [`ConnectError::Retriable`] is
    /// logged and treated as `None`.
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>>;
    /// Called after each offset flush.
    async fn commit(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    /// Called once per record when the broker acknowledged it (`metadata` set) or when
    /// it was dropped by a transformation or a tolerated error (`None`). Only called when
    /// [`SourceTask::wants_commit_record`] is true, so the worker can avoid keeping every
    /// record until it is acknowledged.
    async fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        Ok(())
    }
    /// Whether the task implements [`SourceTask::commit_record`].
    fn wants_commit_record(&self) -> bool {
        false
    }
    async fn stop(&mut self) -> ConnectResult<()>;
}

/// The shared state behind a [`SinkTaskContext`]; the worker reads and clears it.
#[derive(Debug, Default)]
pub struct SinkContextState {
    /// Rewind requests: partition → next offset to consume.
    pub offsets: HashMap<TopicPartition, i64>,
    /// Back-off for the next poll after a retriable failure.
    pub timeout: Option<Duration>,
    pub assignment: BTreeSet<TopicPartition>,
    /// Partitions the task paused itself.
    pub paused: BTreeSet<TopicPartition>,
    pub commit_requested: bool,
}

/// What [`ErrantRecordReporter::report`] returns: completes once the worker has written
/// the record where the connector's `errors.*` settings send it (the dead letter queue, the
/// log). Awaiting it is optional: the worker awaits every report of a partition before it
/// commits that partition's offsets.
pub type ErrantReport =
    std::pin::Pin<Box<dyn std::future::Future<Output = ConnectResult<()>> + Send + 'static>>;

/// Reports records a sink task could not process (Java `ErrantRecordReporter`, KIP-610).
///
/// The worker hands one to a sink task through [`SinkTaskContext::errant_record_reporter`]
/// when the connector sets `errors.deadletterqueue.topic.name` or `errors.log.enable=true`.
/// A report counts as a failure under `errors.tolerance`: with `none` the returned future
/// fails with `Tolerance exceeded in error handler`, and the worker fails the task after
/// `put` returns even if the task ignores it; with `all` the task may go on with the next
/// record. The record goes to the dead letter queue as it was consumed (original key,
/// value and headers) when the worker delivered it, re-serialized with the connector's
/// converters when the task built it.
///
/// ```
/// use rconnect_sdk::connector::{SinkTask, SinkTaskContext};
/// use rconnect_sdk::record::SinkRecord;
/// use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};
///
/// #[derive(Default)]
/// struct OnlyStrings { ctx: Option<SinkTaskContext> }
///
/// #[async_trait]
/// impl SinkTask for OnlyStrings {
///     fn version(&self) -> String { "1.0".into() }
///     async fn start(&mut self, ctx: SinkTaskContext, _props: Props) -> ConnectResult<()> {
///         self.ctx = Some(ctx);
///         Ok(())
///     }
///     async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
///         let reporter = self.ctx.as_ref().and_then(|c| c.errant_record_reporter());
///         for r in records {
///             if r.value.as_str().is_none() {
///                 let error = ConnectError::data("not a string");
///                 match &reporter {
///                     // Waits until the record is in the dead letter queue.
///                     Some(reporter) => reporter.report(r, error).await?,
///                     None => return Err(error),
///                 }
///             }
///         }
///         Ok(())
///     }
///     async fn stop(&mut self) -> ConnectResult<()> { Ok(()) }
/// }
/// ```
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record` as failed with `error`. The report starts at once, whether or not
    /// the returned future is awaited.
    fn report(&self, record: &SinkRecord, error: ConnectError) -> ErrantReport;
}

/// What a sink task may ask of the worker (Java `SinkTaskContext`).
#[derive(Clone)]
pub struct SinkTaskContext {
    pub configs: Props,
    pub stop: StopSignal,
    state: Arc<Mutex<SinkContextState>>,
    errant: Option<Arc<dyn ErrantRecordReporter>>,
}

impl SinkTaskContext {
    /// A context over shared state the worker also holds.
    pub fn new(configs: Props, stop: StopSignal, state: Arc<Mutex<SinkContextState>>) -> Self {
        SinkTaskContext {
            configs,
            stop,
            state,
            errant: None,
        }
    }
    /// The same context offering `reporter` to the task (the worker does this; a test of a
    /// task can too).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use rconnect_sdk::connector::{ErrantRecordReporter, ErrantReport, SinkTaskContext};
    /// use rconnect_sdk::record::SinkRecord;
    /// use rconnect_sdk::stop::StopSignal;
    /// use rconnect_sdk::{ConnectError, Props};
    ///
    /// /// Keeps the messages of what it is given.
    /// #[derive(Default)]
    /// struct Collect(Mutex<Vec<String>>);
    /// impl ErrantRecordReporter for Collect {
    ///     fn report(&self, _record: &SinkRecord, error: ConnectError) -> ErrantReport {
    ///         self.0.lock().unwrap().push(error.to_string());
    ///         Box::pin(async { Ok(()) })
    ///     }
    /// }
    ///
    /// let plain = SinkTaskContext::new(Props::new(), StopSignal::never(), Default::default());
    /// assert!(plain.errant_record_reporter().is_none());
    /// let collect = Arc::new(Collect::default());
    /// let ctx = plain.with_errant_record_reporter(collect.clone());
    /// let record = SinkRecord {
    ///     topic: "t".into(),
    ///     kafka_partition: Some(0),
    ///     key_schema: None,
    ///     key: rconnect_sdk::data::Value::Null,
    ///     value_schema: None,
    ///     value: rconnect_sdk::data::Value::Null,
    ///     timestamp: None,
    ///     headers: Default::default(),
    ///     meta: rconnect_sdk::record::SinkMeta {
    ///         kafka_offset: 0,
    ///         timestamp_type: Default::default(),
    ///         original_topic: "t".into(),
    ///         original_kafka_partition: 0,
    ///         original_kafka_offset: 0,
    ///     },
    /// };
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// ctx.errant_record_reporter().unwrap().report(&record, ConnectError::data("bad")).await.unwrap();
    /// # });
    /// assert_eq!(*collect.0.lock().unwrap(), vec!["bad".to_string()]);
    /// ```
    pub fn with_errant_record_reporter(mut self, reporter: Arc<dyn ErrantRecordReporter>) -> Self {
        self.errant = Some(reporter);
        self
    }
    /// The reporter for records the task cannot process (Java
    /// `SinkTaskContext#errantRecordReporter`); `None` unless the connector configures a dead
    /// letter queue or `errors.log.enable=true`. See [`ErrantRecordReporter`] for an example.
    pub fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.errant.clone()
    }
    fn with<R>(&self, f: impl FnOnce(&mut SinkContextState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }
    /// Rewinds partitions: the next records consumed start at these offsets.
    pub fn offsets(&self, offsets: BTreeMap<TopicPartition, i64>) {
        self.with(|s| s.offsets.extend(offsets));
    }
    /// Rewinds one partition.
    pub fn offset(&self, tp: TopicPartition, offset: i64) {
        self.with(|s| {
            s.offsets.insert(tp, offset);
        });
    }
    /// Sets a back-off before the next poll (after a retriable failure).
    pub fn timeout(&self, d: Duration) {
        self.with(|s| s.timeout = Some(d));
    }
    /// The partitions currently assigned to the task.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.with(|s| s.assignment.clone())
    }
    /// Stops consuming from these partitions until resumed; each must be assigned.
    pub fn pause(&self, tps: &[TopicPartition]) -> ConnectResult<()> {
        self.with(|s| {
            for tp in tps {
                if !s.assignment.contains(tp) {
                    return Err(ConnectError::connect(format!("No such partition: {tp}")));
                }
            }
            s.paused.extend(tps.iter().cloned());
            Ok(())
        })
    }
    pub fn resume(&self, tps: &[TopicPartition]) -> ConnectResult<()> {
        self.with(|s| {
            for tp in tps {
                if !s.assignment.contains(tp) {
                    return Err(ConnectError::connect(format!("No such partition: {tp}")));
                }
                s.paused.remove(tp);
            }
            Ok(())
        })
    }
    /// Asks for an offset commit as soon as possible.
    pub fn request_commit(&self) {
        self.with(|s| s.commit_requested = true);
    }
}

/// A task that writes records to an external system (Java `SinkTask`).
///
/// Offsets passed to `flush`/`pre_commit` are "next offset to consume" per partition.
#[async_trait]
pub trait SinkTask: Send {
    fn version(&self) -> String;
    async fn start(&mut self, ctx: SinkTaskContext, props: Props) -> ConnectResult<()>;
    /// Partitions newly assigned to this task.
    async fn open(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    /// Delivers records; called on every loop iteration, possibly with none.
    /// [`ConnectError::Retriable`] makes the worker redeliver the same batch later.
    ///
    /// The records are lent, as Java lends its collection: the worker keeps the batch for
    /// a redelivery without copying it, and a task that buffers records clones what it
    /// keeps.
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()>;
    /// Makes everything `put` so far durable.
    async fn flush(&mut self, _offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        Ok(())
    }
    /// The offsets safe to commit; the default flushes and returns `offsets`.
    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        self.flush(&offsets).await?;
        Ok(offsets)
    }
    /// Partitions taken away from this task.
    async fn close(&mut self, _partitions: &[TopicPartition]) -> ConnectResult<()> {
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()>;
}
