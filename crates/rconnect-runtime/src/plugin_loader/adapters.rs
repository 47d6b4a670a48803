//! The SDK traits implemented over a plugin instance, so the worker runs plugin components
//! exactly as built-in ones. Async trait methods call the plugin on a blocking thread;
//! the quick synchronous ones (config definitions, task configs, transformations) call it
//! directly, except the converters' synchronous methods, which run per record on the task's
//! reactor thread and so step off it first ([`off_reactor`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rconnect_sdk::config::{ConfigDef, ConfigValueReport};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, ExactlyOnceSupport, SinkConnector, SinkTask, SinkTaskContext,
    SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::data::{Headers, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::ffi::codec::{self, MetaCodec};
use rconnect_sdk::ffi::{kind, op};
use rconnect_sdk::record::{
    ConnectRecord, RecordMetadata, SinkRecord, SourceRecord, TopicPartition,
};
use rconnect_sdk::transform::{Outcome, Predicate, Transformation};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};
use serde_json::{json, Value as Json};
use tracing::warn;

use super::library::{blocking, off_reactor, HostState, Instance, Library};

/// An instance, or why it could not be created (reported by every fallible call).
struct Handle {
    inst: Result<Arc<Instance>, ConnectError>,
    class: String,
}

impl Handle {
    fn new(lib: &Arc<Library>, class: &str, kind: u32) -> Handle {
        Handle {
            inst: Instance::new(lib, class, kind),
            class: class.to_string(),
        }
    }
    fn get(&self) -> ConnectResult<&Arc<Instance>> {
        self.inst.as_ref().map_err(Clone::clone)
    }
    fn call(&self, op: u32, input: &Json) -> ConnectResult<Json> {
        self.get()?.call(op, input)
    }
    async fn call_blocking(&self, op: u32, input: Json) -> ConnectResult<Json> {
        blocking(self.get()?, move |i| i.call(op, &input)).await
    }
    fn string(&self, op: u32, fallback: &str) -> String {
        match self.call(op, &Json::Null) {
            Ok(Json::String(s)) => s,
            Ok(_) => fallback.to_string(),
            Err(e) => {
                warn!("plugin {}: operation {op} failed: {e}", self.class);
                fallback.to_string()
            }
        }
    }
    fn config_def(&self) -> ConfigDef {
        self.config_def_from(self.call(op::CONFIG_DEF, &Json::Null))
    }
    /// The definition a `CONFIG_DEF` call returned; an empty one (and a warning) if the call
    /// failed, as a definition is only ever shown, never needed to run.
    fn config_def_from(&self, reply: ConnectResult<Json>) -> ConfigDef {
        match reply.and_then(|j| codec::config_def_from_json(&j)) {
            Ok(def) => def,
            Err(e) => {
                warn!(
                    "plugin {}: cannot read its config definition: {e}",
                    self.class
                );
                ConfigDef::new()
            }
        }
    }
}

/// A source or sink connector inside a plugin library.
pub(crate) struct FfiConnector {
    handle: Handle,
    version: String,
}

impl FfiConnector {
    pub fn source(lib: &Arc<Library>, class: &str, version: &str) -> Self {
        FfiConnector {
            handle: Handle::new(lib, class, kind::SOURCE_CONNECTOR),
            version: version.to_string(),
        }
    }
    pub fn sink(lib: &Arc<Library>, class: &str, version: &str) -> Self {
        FfiConnector {
            handle: Handle::new(lib, class, kind::SINK_CONNECTOR),
            version: version.to_string(),
        }
    }
}

#[async_trait]
impl Connector for FfiConnector {
    fn version(&self) -> String {
        self.version.clone()
    }
    fn config_def(&self) -> ConfigDef {
        self.handle.config_def()
    }
    fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        match self
            .handle
            .call(op::VALIDATE, &codec::props_to_json(props))
            .and_then(|j| codec::reports_from_json(&j))
        {
            Ok(r) => r,
            Err(e) => {
                warn!(
                    "plugin {}: validate failed ({e}); checking against its config definition",
                    self.handle.class
                );
                self.config_def().validate(props)
            }
        }
    }
    async fn start(&mut self, ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        self.handle.get()?.attach(HostState {
            offsets: None,
            context: Some(ctx),
            runtime: tokio::runtime::Handle::try_current().ok(),
            errant: None,
        });
        self.handle
            .call_blocking(op::START, codec::props_to_json(&props))
            .await?;
        Ok(())
    }
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        let j = self.handle.call(op::TASK_CONFIGS, &json!(max_tasks))?;
        j.as_array()
            .ok_or_else(|| {
                ConnectError::connect(format!(
                    "{}: task configs are not an array",
                    self.handle.class
                ))
            })?
            .iter()
            .map(codec::props_from_json)
            .collect()
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.handle.call_blocking(op::STOP, Json::Null).await?;
        Ok(())
    }
    fn task_class(&self) -> String {
        self.handle.string(op::TASK_CLASS, &self.handle.class)
    }
}

impl SourceConnector for FfiConnector {
    fn exactly_once_support(&self, props: &Props) -> Option<ExactlyOnceSupport> {
        match self
            .handle
            .call(op::EXACTLY_ONCE_SUPPORT, &codec::props_to_json(props))
        {
            Ok(Json::String(s)) if s == "SUPPORTED" => Some(ExactlyOnceSupport::Supported),
            Ok(Json::String(s)) if s == "UNSUPPORTED" => Some(ExactlyOnceSupport::Unsupported),
            _ => None,
        }
    }
}

impl SinkConnector for FfiConnector {}

/// A source task inside a plugin library.
pub(crate) struct FfiSourceTask {
    handle: Handle,
    stop_watch: Option<tokio::task::JoinHandle<()>>,
}

impl FfiSourceTask {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiSourceTask {
            handle: Handle::new(lib, class, kind::SOURCE_TASK),
            stop_watch: None,
        }
    }
}

impl Drop for FfiSourceTask {
    fn drop(&mut self) {
        if let Some(w) = self.stop_watch.take() {
            w.abort();
        }
    }
}

#[async_trait]
impl SourceTask for FfiSourceTask {
    fn version(&self) -> String {
        self.handle.string(op::VERSION, "undefined")
    }
    async fn start(&mut self, ctx: SourceTaskContext, props: Props) -> ConnectResult<()> {
        let inst = self.handle.get()?.clone();
        inst.attach(HostState {
            offsets: Some(ctx.offset_reader.clone()),
            context: None,
            runtime: tokio::runtime::Handle::try_current().ok(),
            errant: None,
        });
        // The worker's stop must reach a poll that is blocked inside the plugin.
        let watched = inst.clone();
        let stop = ctx.stop.clone();
        self.stop_watch = Some(tokio::spawn(async move {
            stop.stopped().await;
            watched.signal_stop();
        }));
        self.handle
            .call_blocking(op::START, codec::props_to_json(&props))
            .await?;
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        blocking(self.handle.get()?, |i| {
            match i.call(op::POLL, &Json::Null)? {
                Json::Null => Ok(None),
                batch => codec::records_from_json(&batch).map(Some),
            }
        })
        .await
    }
    async fn commit(&mut self) -> ConnectResult<()> {
        self.handle.call_blocking(op::COMMIT, Json::Null).await?;
        Ok(())
    }
    async fn commit_record(
        &mut self,
        record: &SourceRecord,
        metadata: Option<&RecordMetadata>,
    ) -> ConnectResult<()> {
        let metadata = metadata
            .map(|m| json!({"topic": m.topic.as_str(), "partition": m.partition, "offset": m.offset, "timestamp": m.timestamp}))
            .unwrap_or(Json::Null);
        let input = json!({"record": codec::record_to_json(record)?, "metadata": metadata});
        self.handle.call_blocking(op::COMMIT_RECORD, input).await?;
        Ok(())
    }
    fn wants_commit_record(&self) -> bool {
        matches!(
            self.handle.call(op::WANTS_COMMIT_RECORD, &Json::Null),
            Ok(Json::Bool(true))
        )
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        if let Ok(i) = self.handle.get() {
            i.signal_stop();
        }
        self.handle.call_blocking(op::STOP, Json::Null).await?;
        Ok(())
    }
}

/// A sink task inside a plugin library. After each call the task's context requests
/// (rewinds, back-off, pauses, commit requests) are copied to the worker's context.
pub(crate) struct FfiSinkTask {
    handle: Handle,
    ctx: Option<SinkTaskContext>,
    paused: BTreeSet<TopicPartition>,
}

impl FfiSinkTask {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiSinkTask {
            handle: Handle::new(lib, class, kind::SINK_TASK),
            ctx: None,
            paused: BTreeSet::new(),
        }
    }

    /// Runs `op` then reads the task's context requests, both on one blocking thread.
    async fn call_synced(&mut self, op: u32, input: Json) -> ConnectResult<Json> {
        let assignment = self
            .ctx
            .as_ref()
            .map(|c| codec::partitions_to_json(&c.assignment()));
        let (result, context) = blocking(self.handle.get()?, move |i| {
            let result = i.call(op, &input);
            let context = match assignment {
                Some(a) => i.call(op::SINK_CONTEXT, &json!({"assignment": a})).ok(),
                None => None,
            };
            Ok((result, context))
        })
        .await?;
        if let (Some(ctx), Some(c)) = (&self.ctx, context) {
            if let Ok(offsets) = codec::offsets_from_json(&c["offsets"]) {
                if !offsets.is_empty() {
                    ctx.offsets(offsets.into_iter().collect());
                }
            }
            if let Some(ms) = c["timeout_ms"].as_u64() {
                ctx.timeout(std::time::Duration::from_millis(ms));
            }
            if c["commit_requested"] == Json::Bool(true) {
                ctx.request_commit();
            }
            if let Ok(paused) = codec::partitions_from_json(&c["paused"]) {
                let paused: BTreeSet<_> = paused.into_iter().collect();
                let resumed: Vec<_> = self.paused.difference(&paused).cloned().collect();
                let newly: Vec<_> = paused.difference(&self.paused).cloned().collect();
                if !resumed.is_empty() {
                    let _ = ctx.resume(&resumed);
                }
                if !newly.is_empty() {
                    let _ = ctx.pause(&newly);
                }
                self.paused = paused;
            }
        }
        result
    }
}

#[async_trait]
impl SinkTask for FfiSinkTask {
    fn version(&self) -> String {
        self.handle.string(op::VERSION, "undefined")
    }
    async fn start(&mut self, ctx: SinkTaskContext, props: Props) -> ConnectResult<()> {
        // Attached before START, where the task asks whether a reporter is offered.
        if let Some(errant) = ctx.errant_record_reporter() {
            self.handle.get()?.attach(HostState {
                offsets: None,
                context: None,
                runtime: tokio::runtime::Handle::try_current().ok(),
                errant: Some(errant),
            });
        }
        self.ctx = Some(ctx);
        self.call_synced(op::START, codec::props_to_json(&props))
            .await?;
        Ok(())
    }
    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.call_synced(op::OPEN, codec::partitions_to_json(partitions))
            .await?;
        Ok(())
    }
    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let batch = codec::records_to_json(records)?;
        self.call_synced(op::PUT, batch).await?;
        Ok(())
    }
    async fn flush(&mut self, offsets: &HashMap<TopicPartition, i64>) -> ConnectResult<()> {
        self.call_synced(op::FLUSH, codec::offsets_to_json(offsets))
            .await?;
        Ok(())
    }
    async fn pre_commit(
        &mut self,
        offsets: HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        let j = self
            .call_synced(op::PRE_COMMIT, codec::offsets_to_json(&offsets))
            .await?;
        codec::offsets_from_json(&j)
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        self.call_synced(op::CLOSE, codec::partitions_to_json(partitions))
            .await?;
        Ok(())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        if let Ok(i) = self.handle.get() {
            i.signal_stop();
        }
        self.handle.call_blocking(op::STOP, Json::Null).await?;
        Ok(())
    }
}

/// A transformation inside a plugin library, for either record kind.
pub(crate) struct FfiTransformation(Handle);

impl FfiTransformation {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiTransformation(Handle::new(lib, class, kind::TRANSFORMATION))
    }
}

impl<M: MetaCodec> Transformation<M> for FfiTransformation {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.0.call(op::CONFIGURE, &codec::props_to_json(props))?;
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        self.0.config_def()
    }
    fn apply(&self, mut record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(self.apply_mut(&mut record)?.keep(record))
    }
    fn apply_mut(&self, record: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        // The record crosses the boundary as JSON either way; the reply replaces it.
        let input = json!({"kind": M::KIND, "records": [codec::record_to_json(record)?]});
        let out = self.0.call(op::APPLY, &input)?;
        match out.as_array().map(Vec::as_slice) {
            Some([Json::Null]) => Ok(Outcome::Drop),
            Some([r]) => {
                *record = codec::record_from_json(r)?;
                Ok(Outcome::Keep)
            }
            _ => Err(ConnectError::connect(format!(
                "{}: apply must return one result per record",
                self.0.class
            ))),
        }
    }
    fn close(&mut self) {
        if let Err(e) = self.0.call(op::CLOSE_COMPONENT, &Json::Null) {
            warn!("plugin {}: close failed: {e}", self.0.class);
        }
    }
}

/// A predicate inside a plugin library, for either record kind.
pub(crate) struct FfiPredicate(Handle);

impl FfiPredicate {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiPredicate(Handle::new(lib, class, kind::PREDICATE))
    }
}

impl<M: MetaCodec> Predicate<M> for FfiPredicate {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.0.call(op::CONFIGURE, &codec::props_to_json(props))?;
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        self.0.config_def()
    }
    fn test(&self, record: &ConnectRecord<M>) -> ConnectResult<bool> {
        let input = json!({"kind": M::KIND, "records": [codec::record_to_json(record)?]});
        match self.0.call(op::TEST, &input)?.as_array().map(Vec::as_slice) {
            Some([Json::Bool(b)]) => Ok(*b),
            _ => Err(ConnectError::connect(format!(
                "{}: test must return one boolean per record",
                self.0.class
            ))),
        }
    }
    fn close(&mut self) {
        if let Err(e) = self.0.call(op::CLOSE_COMPONENT, &Json::Null) {
            warn!("plugin {}: close failed: {e}", self.0.class);
        }
    }
}

/// A plugin's answer that does not have the shape its operation promises.
fn bad_reply(class: &str, op: u32, e: ConnectError) -> ConnectError {
    ConnectError::connect(format!(
        "{class} returned an invalid result for operation {} ({op}): {e}",
        op::name(op)
    ))
}

/// Makes the `&self` methods of the converter traits, which the type system lets the worker
/// share between threads, honour the interface's one-call-at-a-time rule.
#[derive(Clone, Default)]
struct Serial(Arc<Mutex<()>>);

impl Serial {
    fn call(&self, inst: &Instance, op: u32, input: &Json) -> ConnectResult<Json> {
        let _turn = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inst.call(op, input)
    }
}

/// A key/value converter inside a plugin library.
pub(crate) struct FfiConverter {
    handle: Handle,
    serial: Serial,
}

impl FfiConverter {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiConverter {
            handle: Handle::new(lib, class, kind::CONVERTER),
            serial: Serial::default(),
        }
    }

    async fn call(&self, op: u32, input: Json) -> ConnectResult<Json> {
        let serial = self.serial.clone();
        blocking(self.handle.get()?, move |i| serial.call(i, op, &input)).await
    }
}

#[async_trait]
impl Converter for FfiConverter {
    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()> {
        let input = codec::converter_configure_to_json(props, is_key);
        let inst = self.handle.get()?;
        off_reactor(|| self.serial.call(inst, op::CONVERTER_CONFIGURE, &input))?;
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        let reply = self
            .handle
            .get()
            .and_then(|inst| off_reactor(|| self.serial.call(inst, op::CONFIG_DEF, &Json::Null)));
        self.handle.config_def_from(reply)
    }
    async fn from_connect(
        &self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        let input = codec::from_connect_request(topic, headers, schema, value)?;
        let out = self.call(op::FROM_CONNECT, input).await?;
        let (data, changed) = codec::from_connect_reply_from_json(&out)
            .map_err(|e| bad_reply(&self.handle.class, op::FROM_CONNECT, e))?;
        if let Some(h) = changed {
            *headers = h;
        }
        Ok(data)
    }
    async fn to_connect(
        &self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let input = codec::to_connect_request(topic, headers, bytes)?;
        let out = self.call(op::TO_CONNECT, input).await?;
        let (schema, value) = codec::from_envelope(&out)
            .map_err(|e| bad_reply(&self.handle.class, op::TO_CONNECT, e))?;
        Ok(SchemaAndValue::new(schema, value))
    }
}

/// A header converter inside a plugin library.
pub(crate) struct FfiHeaderConverter {
    handle: Handle,
    serial: Serial,
}

impl FfiHeaderConverter {
    pub fn new(lib: &Arc<Library>, class: &str) -> Self {
        FfiHeaderConverter {
            handle: Handle::new(lib, class, kind::HEADER_CONVERTER),
            serial: Serial::default(),
        }
    }

    fn call(&self, op: u32, input: &Json) -> ConnectResult<Json> {
        let inst = self.handle.get()?;
        off_reactor(|| self.serial.call(inst, op, input))
    }
}

impl HeaderConverter for FfiHeaderConverter {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.call(
            op::HEADER_CONVERTER_CONFIGURE,
            &codec::header_converter_configure_to_json(props),
        )?;
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        self.handle
            .config_def_from(self.call(op::CONFIG_DEF, &Json::Null))
    }
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let input = codec::to_connect_header_request(topic, key, bytes);
        let out = self.call(op::TO_CONNECT_HEADER, &input)?;
        let (schema, value) = codec::from_envelope(&out)
            .map_err(|e| bad_reply(&self.handle.class, op::TO_CONNECT_HEADER, e))?;
        Ok(SchemaAndValue::new(schema, value))
    }
    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        let input = codec::from_connect_header_request(topic, key, schema, value)?;
        let out = self.call(op::FROM_CONNECT_HEADER, &input)?;
        codec::bytes_from_json(Some(&out))
            .map_err(|e| bad_reply(&self.handle.class, op::FROM_CONNECT_HEADER, e))
    }
}
