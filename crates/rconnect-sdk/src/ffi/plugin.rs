//! The plugin side of the interface: what [`export_plugin!`](crate::export_plugin) expands
//! to calls into here. Every call runs the component under `catch_unwind`, on the caller's
//! thread, with a current-thread tokio runtime per connector, task or converter instance for
//! the async trait methods (the worker calls from its blocking threads, so `block_on` is safe).

use std::collections::BTreeSet;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value as Json};

use super::codec::{self, MetaCodec};
use super::{host_op, kind, op, RcBuffer, RcHost, RC_ERROR, RC_OK, RC_PANIC};
use crate::connector::{
    ConnectorContext, ExactlyOnceSupport, SinkConnector, SinkContextState, SinkTask,
    SinkTaskContext, SourceConnector, SourceTask, SourceTaskContext,
};
use crate::converter::{Converter, HeaderConverter};
use crate::offset::{OffsetMap, OffsetStorageReader};
use crate::record::{ConnectRecord, RecordMetadata, SinkMeta, SinkRecord, SourceMeta};
use crate::stop::{stop_pair, StopTrigger};
use crate::transform::{AnyTransformation, Predicate};
use crate::{ConnectError, ConnectResult};

/// A predicate usable on both source and sink records.
pub trait AnyPredicate: Predicate<SourceMeta> + Predicate<SinkMeta> {}
impl<T: Predicate<SourceMeta> + Predicate<SinkMeta>> AnyPredicate for T {}

enum Constructor {
    Source(
        fn() -> Box<dyn SourceConnector>,
        fn() -> Box<dyn SourceTask>,
    ),
    Sink(fn() -> Box<dyn SinkConnector>, fn() -> Box<dyn SinkTask>),
    Transformation(fn() -> Box<dyn AnyTransformation>),
    Predicate(fn() -> Box<dyn AnyPredicate>),
    Converter(fn() -> Box<dyn Converter>),
    HeaderConverter(fn() -> Box<dyn HeaderConverter>),
}

/// One exported component: its class name and how to make it.
pub struct Export {
    class: &'static str,
    version: Option<&'static str>,
    new: Constructor,
}

impl Export {
    /// A source connector and its task.
    pub fn source<C, T>(class: &'static str) -> Export
    where
        C: SourceConnector + Default + 'static,
        T: SourceTask + Default + 'static,
    {
        Export {
            class,
            version: None,
            new: Constructor::Source(|| Box::new(C::default()), || Box::new(T::default())),
        }
    }
    /// A sink connector and its task.
    pub fn sink<C, T>(class: &'static str) -> Export
    where
        C: SinkConnector + Default + 'static,
        T: SinkTask + Default + 'static,
    {
        Export {
            class,
            version: None,
            new: Constructor::Sink(|| Box::new(C::default()), || Box::new(T::default())),
        }
    }
    /// A transformation for both record kinds.
    pub fn transformation<T>(class: &'static str, version: &'static str) -> Export
    where
        T: AnyTransformation + Default + 'static,
    {
        Export {
            class,
            version: Some(version),
            new: Constructor::Transformation(|| Box::new(T::default())),
        }
    }
    /// A predicate for both record kinds.
    pub fn predicate<T>(class: &'static str, version: &'static str) -> Export
    where
        T: AnyPredicate + Default + 'static,
    {
        Export {
            class,
            version: Some(version),
            new: Constructor::Predicate(|| Box::new(T::default())),
        }
    }
    /// A key/value converter.
    pub fn converter<T>(class: &'static str, version: &'static str) -> Export
    where
        T: Converter + Default + 'static,
    {
        Export {
            class,
            version: Some(version),
            new: Constructor::Converter(|| Box::new(T::default())),
        }
    }
    /// A header converter.
    pub fn header_converter<T>(class: &'static str, version: &'static str) -> Export
    where
        T: HeaderConverter + Default + 'static,
    {
        Export {
            class,
            version: Some(version),
            new: Constructor::HeaderConverter(|| Box::new(T::default())),
        }
    }
}

/// The components of one library, built on first use.
pub struct Plugin {
    init: fn() -> Vec<Export>,
    exports: OnceLock<Vec<Export>>,
    manifest: OnceLock<CString>,
}

impl Plugin {
    /// A plugin whose components `init` lists.
    pub const fn new(init: fn() -> Vec<Export>) -> Plugin {
        Plugin {
            init,
            exports: OnceLock::new(),
            manifest: OnceLock::new(),
        }
    }
    fn exports(&self) -> &[Export] {
        self.exports.get_or_init(self.init)
    }
    /// Every export of `class`: one class may be exported as several kinds (a converter
    /// that is also a header converter).
    fn find<'a>(&'a self, class: &'a str) -> impl Iterator<Item = &'a Export> + 'a {
        self.exports().iter().filter(move |e| e.class == class)
    }
    fn manifest_json(&self) -> String {
        let components: Vec<Json> = self
            .exports()
            .iter()
            .map(|e| {
                let (kind, version) = match &e.new {
                    Constructor::Source(c, _) => ("source", c().version()),
                    Constructor::Sink(c, _) => ("sink", c().version()),
                    Constructor::Transformation(_) => (
                        "transformation",
                        e.version.unwrap_or("undefined").to_string(),
                    ),
                    Constructor::Predicate(_) => {
                        ("predicate", e.version.unwrap_or("undefined").to_string())
                    }
                    Constructor::Converter(_) => {
                        ("converter", e.version.unwrap_or("undefined").to_string())
                    }
                    Constructor::HeaderConverter(_) => (
                        "header_converter",
                        e.version.unwrap_or("undefined").to_string(),
                    ),
                };
                json!({"kind": kind, "class": e.class, "version": version})
            })
            .collect();
        json!({"abi_version": super::ABI_VERSION, "components": components}).to_string()
    }
}

#[derive(Clone, Copy)]
struct HostRef(*const RcHost);
// SAFETY: the host promises the table and its ctx are usable from any thread until the
// instance is destroyed (documented in the header).
unsafe impl Send for HostRef {}
unsafe impl Sync for HostRef {}

impl HostRef {
    fn call(&self, op: u32, input: &Json) -> ConnectResult<Json> {
        let input = input.to_string();
        let mut out = RcBuffer::empty();
        // SAFETY: the host table is valid until destroy; input is a live slice.
        let (rc, bytes) = unsafe {
            let h = &*self.0;
            let rc = (h.call)(h.ctx, op, input.as_ptr(), input.len(), &mut out);
            let bytes = out.to_vec();
            (h.free)(&mut out);
            (rc, bytes)
        };
        let text = String::from_utf8_lossy(&bytes);
        match rc {
            RC_OK if text.is_empty() => Ok(Json::Null),
            RC_OK => serde_json::from_str(&text)
                .map_err(|e| ConnectError::connect(format!("host returned invalid JSON: {e}"))),
            RC_ERROR => Err(serde_json::from_str(&text)
                .map(|j| codec::error_from_json(&j))
                .unwrap_or_else(|_| ConnectError::connect(text.into_owned()))),
            _ => Err(ConnectError::connect(format!("host call failed: {text}"))),
        }
    }
}

struct HostOffsets(Arc<Mutex<Option<HostRef>>>);

#[async_trait::async_trait]
impl OffsetStorageReader for HostOffsets {
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
        let host = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(host) = host else {
            return Ok(vec![None; partitions.len()]);
        };
        let input = Json::Array(partitions.iter().map(OffsetMap::to_json).collect());
        let out = host.call(host_op::OFFSETS, &input)?;
        let arr = out
            .as_array()
            .ok_or_else(|| ConnectError::connect("host offsets: not an array"))?;
        Ok(arr
            .iter()
            .map(|o| o.as_object().cloned().map(OffsetMap::from))
            .collect())
    }
}

/// A sink task's errant record reporter, over the host. The host answers once the record is
/// reported, so the future returned to the task is already complete.
struct HostErrantReporter(Arc<Mutex<Option<HostRef>>>);

impl crate::connector::ErrantRecordReporter for HostErrantReporter {
    fn report(&self, record: &SinkRecord, error: ConnectError) -> crate::connector::ErrantReport {
        let host = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        let result = match host {
            None => Err(ConnectError::connect("the worker is gone")),
            Some(h) => codec::record_to_json(record).and_then(|r| {
                h.call(
                    host_op::REPORT_ERRANT_RECORD,
                    &json!({"record": r, "error": codec::error_to_json(&error)}),
                )
                .map(|_| ())
            }),
        };
        Box::pin(std::future::ready(result))
    }
}

struct HostContext(Arc<Mutex<Option<HostRef>>>);

impl HostContext {
    fn call(&self, op: u32, input: &Json) {
        let host = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = host {
            let _ = h.call(op, input);
        }
    }
}

impl ConnectorContext for HostContext {
    fn request_task_reconfiguration(&self) {
        self.call(host_op::REQUEST_TASK_RECONFIGURATION, &Json::Null);
    }
    fn raise_error(&self, error: ConnectError) {
        self.call(host_op::RAISE_ERROR, &codec::error_to_json(&error));
    }
}

enum Component {
    SourceConnector(Box<dyn SourceConnector>),
    SinkConnector(Box<dyn SinkConnector>),
    SourceTask(Box<dyn SourceTask>),
    SinkTask(Box<dyn SinkTask>, Arc<Mutex<SinkContextState>>),
    Transformation(Box<dyn AnyTransformation>),
    Predicate(Box<dyn AnyPredicate>),
    Converter(Box<dyn Converter>),
    HeaderConverter(Box<dyn HeaderConverter>),
}

struct Instance {
    component: Mutex<Component>,
    /// Raised by `rconnect_plugin_signal_stop` without taking `component`'s lock.
    stop: StopTrigger,
    host: Arc<Mutex<Option<HostRef>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Instance {
    fn block_on<F: std::future::Future>(&self, f: F) -> ConnectResult<F::Output> {
        let rt = self
            .runtime
            .as_ref()
            .ok_or_else(|| ConnectError::connect("no runtime for this component"))?;
        Ok(rt.block_on(f))
    }
}

fn bad_op(op: u32) -> ConnectError {
    ConnectError::connect(format!("operation {op} is not supported by this component"))
}

fn records_in<M: MetaCodec>(input: &Json) -> ConnectResult<Vec<ConnectRecord<M>>> {
    codec::records_from_json(input.get("records").unwrap_or(&Json::Null))
}

fn dispatch(inst: &Instance, op: u32, input: &Json) -> ConnectResult<Json> {
    let mut guard = inst.component.lock().unwrap_or_else(|p| p.into_inner());
    let props = || codec::props_from_json(input);
    match &mut *guard {
        Component::SourceConnector(c) if op == op::EXACTLY_ONCE_SUPPORT => {
            Ok(match c.exactly_once_support(&props()?) {
                Some(ExactlyOnceSupport::Supported) => "SUPPORTED".into(),
                Some(ExactlyOnceSupport::Unsupported) => "UNSUPPORTED".into(),
                None => Json::Null,
            })
        }
        Component::SourceConnector(c) => connector_op(inst, &mut **c, op, input),
        Component::SinkConnector(c) => connector_op(inst, &mut **c, op, input),
        Component::SourceTask(t) => match op {
            op::VERSION => Ok(t.version().into()),
            op::START => {
                let ctx = SourceTaskContext {
                    configs: props()?,
                    offset_reader: Arc::new(HostOffsets(inst.host.clone())),
                    stop: inst.stop.signal(),
                };
                inst.block_on(t.start(ctx, props()?))??;
                Ok(Json::Null)
            }
            op::POLL => match inst.block_on(t.poll())?? {
                Some(batch) => codec::records_to_json(&batch),
                None => Ok(Json::Null),
            },
            op::COMMIT => inst.block_on(t.commit())?.map(|_| Json::Null),
            op::WANTS_COMMIT_RECORD => Ok(t.wants_commit_record().into()),
            op::COMMIT_RECORD => {
                let record = codec::record_from_json::<SourceMeta>(&input["record"])?;
                let meta = input
                    .get("metadata")
                    .filter(|m| !m.is_null())
                    .map(|m| RecordMetadata {
                        topic: m["topic"].as_str().unwrap_or_default().into(),
                        partition: m["partition"].as_i64().unwrap_or(-1) as i32,
                        offset: m["offset"].as_i64().unwrap_or(-1),
                        timestamp: m["timestamp"].as_i64(),
                    });
                inst.block_on(t.commit_record(&record, meta.as_ref()))??;
                Ok(Json::Null)
            }
            op::STOP => inst.block_on(t.stop())?.map(|_| Json::Null),
            _ => Err(bad_op(op)),
        },
        Component::SinkTask(t, state) => match op {
            op::VERSION => Ok(t.version().into()),
            op::START => {
                let mut ctx = SinkTaskContext::new(props()?, inst.stop.signal(), state.clone());
                let host = *inst.host.lock().unwrap_or_else(|p| p.into_inner());
                let offered = host.is_some_and(|h| {
                    matches!(
                        h.call(host_op::ERRANT_RECORD_REPORTER, &Json::Null),
                        Ok(Json::Bool(true))
                    )
                });
                if offered {
                    ctx = ctx.with_errant_record_reporter(Arc::new(HostErrantReporter(
                        inst.host.clone(),
                    )));
                }
                inst.block_on(t.start(ctx, props()?))??;
                Ok(Json::Null)
            }
            op::OPEN | op::CLOSE => {
                let tps = codec::partitions_from_json(input)?;
                {
                    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                    for tp in &tps {
                        if op == op::OPEN {
                            s.assignment.insert(tp.clone());
                        } else {
                            s.assignment.remove(tp);
                            s.paused.remove(tp);
                        }
                    }
                }
                if op == op::OPEN {
                    inst.block_on(t.open(&tps))??;
                } else {
                    inst.block_on(t.close(&tps))??;
                }
                Ok(Json::Null)
            }
            op::PUT => {
                let batch = codec::records_from_json::<SinkMeta>(input)?;
                inst.block_on(t.put(&batch))?.map(|_| Json::Null)
            }
            op::FLUSH => {
                let offsets = codec::offsets_from_json(input)?;
                inst.block_on(t.flush(&offsets))?.map(|_| Json::Null)
            }
            op::PRE_COMMIT => {
                let offsets = codec::offsets_from_json(input)?;
                Ok(codec::offsets_to_json(
                    &inst.block_on(t.pre_commit(offsets))??,
                ))
            }
            op::SINK_CONTEXT => {
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(a) = input.get("assignment") {
                    s.assignment = codec::partitions_from_json(a)?.into_iter().collect();
                    let assignment = s.assignment.clone();
                    s.paused.retain(|tp| assignment.contains(tp));
                }
                let offsets = codec::offsets_to_json(&std::mem::take(&mut s.offsets));
                let timeout = s.timeout.take().map(|d: Duration| d.as_millis() as u64);
                let commit = std::mem::take(&mut s.commit_requested);
                let paused: BTreeSet<_> = s.paused.clone();
                Ok(json!({
                    "offsets": offsets, "timeout_ms": timeout,
                    "paused": codec::partitions_to_json(&paused), "commit_requested": commit,
                }))
            }
            op::STOP => inst.block_on(t.stop())?.map(|_| Json::Null),
            _ => Err(bad_op(op)),
        },
        Component::Transformation(t) => {
            type S = dyn crate::transform::Transformation<SourceMeta>;
            type K = dyn crate::transform::Transformation<SinkMeta>;
            let source = || input["kind"].as_str() != Some("sink");
            match op {
                op::CONFIGURE => <S>::configure(t.as_mut(), &props()?).map(|_| Json::Null),
                op::CONFIG_DEF => Ok(codec::config_def_to_json(&<S>::config_def(t.as_ref()))),
                op::APPLY if source() => {
                    let mut out = Vec::new();
                    for r in records_in::<SourceMeta>(input)? {
                        out.push(match <S>::apply(t.as_ref(), r)? {
                            Some(r) => codec::record_to_json(&r)?,
                            None => Json::Null,
                        });
                    }
                    Ok(Json::Array(out))
                }
                op::APPLY => {
                    let mut out = Vec::new();
                    for r in records_in::<SinkMeta>(input)? {
                        out.push(match <K>::apply(t.as_ref(), r)? {
                            Some(r) => codec::record_to_json(&r)?,
                            None => Json::Null,
                        });
                    }
                    Ok(Json::Array(out))
                }
                op::CLOSE_COMPONENT => {
                    <S>::close(t.as_mut());
                    Ok(Json::Null)
                }
                _ => Err(bad_op(op)),
            }
        }
        Component::Predicate(p) => {
            type S = dyn Predicate<SourceMeta>;
            type K = dyn Predicate<SinkMeta>;
            let source = || input["kind"].as_str() != Some("sink");
            match op {
                op::CONFIGURE => <S>::configure(p.as_mut(), &props()?).map(|_| Json::Null),
                op::CONFIG_DEF => Ok(codec::config_def_to_json(&<S>::config_def(p.as_ref()))),
                op::TEST if source() => Ok(Json::Array(
                    records_in::<SourceMeta>(input)?
                        .iter()
                        .map(|r| <S>::test(p.as_ref(), r).map(Json::Bool))
                        .collect::<Result<_, _>>()?,
                )),
                op::TEST => Ok(Json::Array(
                    records_in::<SinkMeta>(input)?
                        .iter()
                        .map(|r| <K>::test(p.as_ref(), r).map(Json::Bool))
                        .collect::<Result<_, _>>()?,
                )),
                op::CLOSE_COMPONENT => {
                    <S>::close(p.as_mut());
                    Ok(Json::Null)
                }
                _ => Err(bad_op(op)),
            }
        }
        Component::Converter(c) => match op {
            op::CONVERTER_CONFIGURE => {
                let (props, is_key) = codec::converter_configure_from_json(input)?;
                c.configure(&props, is_key).map(|_| Json::Null)
            }
            op::CONFIG_DEF => Ok(codec::config_def_to_json(&c.config_def())),
            op::FROM_CONNECT => {
                let mut req = codec::from_connect_request_from_json(input)?;
                let before = req.headers.clone();
                let data = inst.block_on(crate::converter::from_connect(
                    c.as_ref(),
                    &req.topic,
                    &mut req.headers,
                    req.schema.as_ref(),
                    &req.value,
                ))??;
                let changed = (req.headers != before).then_some(&req.headers);
                codec::from_connect_reply(data.as_deref(), changed)
            }
            op::TO_CONNECT => {
                let req = codec::to_connect_request_from_json(input)?;
                let sv = inst.block_on(crate::converter::to_connect(
                    c.as_ref(),
                    &req.topic,
                    &req.headers,
                    req.data.as_deref(),
                ))??;
                codec::envelope(sv.schema.as_ref(), &sv.value)
            }
            _ => Err(bad_op(op)),
        },
        Component::HeaderConverter(c) => match op {
            op::HEADER_CONVERTER_CONFIGURE => c
                .configure(&codec::header_converter_configure_from_json(input)?)
                .map(|_| Json::Null),
            op::CONFIG_DEF => Ok(codec::config_def_to_json(&c.config_def())),
            op::FROM_CONNECT_HEADER => {
                let req = codec::from_connect_header_request_from_json(input)?;
                let data =
                    c.from_connect_header(&req.topic, &req.key, req.schema.as_ref(), &req.value)?;
                Ok(codec::bytes_to_json(data.as_deref()))
            }
            op::TO_CONNECT_HEADER => {
                let req = codec::to_connect_header_request_from_json(input)?;
                let sv = c.to_connect_header(&req.topic, &req.key, req.data.as_deref())?;
                codec::envelope(sv.schema.as_ref(), &sv.value)
            }
            _ => Err(bad_op(op)),
        },
    }
}

fn connector_op<C: crate::connector::Connector + ?Sized>(
    inst: &Instance,
    c: &mut C,
    op: u32,
    input: &Json,
) -> ConnectResult<Json> {
    match op {
        op::VERSION => Ok(c.version().into()),
        op::CONFIG_DEF => Ok(codec::config_def_to_json(&c.config_def())),
        op::VALIDATE => Ok(codec::reports_to_json(
            &c.validate(&codec::props_from_json(input)?),
        )),
        op::START => {
            let ctx = Arc::new(HostContext(inst.host.clone()));
            inst.block_on(c.start(ctx, codec::props_from_json(input)?))??;
            Ok(Json::Null)
        }
        op::TASK_CONFIGS => {
            let max = input.as_u64().unwrap_or(1) as usize;
            let configs = c.task_configs(max)?;
            Ok(Json::Array(
                configs.iter().map(codec::props_to_json).collect(),
            ))
        }
        op::STOP => inst.block_on(c.stop())?.map(|_| Json::Null),
        op::TASK_CLASS => Ok(c.task_class().into()),
        _ => Err(bad_op(op)),
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The functions the macro's `extern "C"` entry points forward to.
pub mod entry {
    use super::*;

    /// `rconnect_plugin_manifest`.
    pub fn manifest(plugin: &Plugin) -> *const c_char {
        let m = plugin.manifest.get_or_init(|| {
            let text = catch_unwind(AssertUnwindSafe(|| plugin.manifest_json()))
                .unwrap_or_else(|p| json!({"error": panic_text(p.as_ref())}).to_string());
            CString::new(text).unwrap_or_default()
        });
        m.as_ptr()
    }

    fn make_component(e: &Export, k: u32) -> Option<Component> {
        Some(match (&e.new, k) {
            (Constructor::Source(c, _), kind::SOURCE_CONNECTOR) => Component::SourceConnector(c()),
            (Constructor::Source(_, t), kind::SOURCE_TASK) => Component::SourceTask(t()),
            (Constructor::Sink(c, _), kind::SINK_CONNECTOR) => Component::SinkConnector(c()),
            (Constructor::Sink(_, t), kind::SINK_TASK) => {
                Component::SinkTask(t(), Arc::new(Mutex::new(SinkContextState::default())))
            }
            (Constructor::Transformation(t), kind::TRANSFORMATION) => {
                Component::Transformation(t())
            }
            (Constructor::Predicate(p), kind::PREDICATE) => Component::Predicate(p()),
            (Constructor::Converter(c), kind::CONVERTER) => Component::Converter(c()),
            (Constructor::HeaderConverter(c), kind::HEADER_CONVERTER) => {
                Component::HeaderConverter(c())
            }
            _ => return None,
        })
    }

    fn new_instance(plugin: &Plugin, class: &str, k: u32) -> Option<Instance> {
        let component = plugin.find(class).find_map(|e| make_component(e, k))?;
        // Only components with async methods need a runtime to block on.
        let runtime = match k {
            kind::TRANSFORMATION | kind::PREDICATE | kind::HEADER_CONVERTER => None,
            _ => Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?,
            ),
        };
        Some(Instance {
            component: Mutex::new(component),
            stop: stop_pair().0,
            host: Arc::new(Mutex::new(None)),
            runtime,
        })
    }

    /// `rconnect_plugin_create`.
    ///
    /// # Safety
    /// `class` must be null or a NUL-terminated string.
    pub unsafe fn create(plugin: &Plugin, class: *const c_char, k: u32) -> *mut c_void {
        if class.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller passes a NUL-terminated string.
        let class = match unsafe { CStr::from_ptr(class) }.to_str() {
            Ok(c) => c.to_string(),
            Err(_) => return std::ptr::null_mut(),
        };
        match catch_unwind(AssertUnwindSafe(|| new_instance(plugin, &class, k))) {
            Ok(Some(inst)) => Box::into_raw(Box::new(inst)) as *mut c_void,
            _ => std::ptr::null_mut(),
        }
    }

    /// `rconnect_plugin_destroy`.
    ///
    /// # Safety
    /// `instance` must come from `create` of this library and not be used afterwards.
    pub unsafe fn destroy(instance: *mut c_void) {
        if instance.is_null() {
            return;
        }
        // SAFETY: created by Box::into_raw in `create`.
        let inst = unsafe { Box::from_raw(instance as *mut Instance) };
        let _ = catch_unwind(AssertUnwindSafe(move || {
            // A runtime must not be dropped inside another runtime's context; dropping it
            // here (the host's thread, outside any runtime of this library) is fine.
            drop(inst);
        }));
    }

    /// `rconnect_plugin_call`.
    ///
    /// # Safety
    /// `instance` from `create`; `input` points to `input_len` bytes; `out` is writable.
    pub unsafe fn call(
        instance: *mut c_void,
        op: u32,
        input: *const u8,
        input_len: usize,
        out: *mut RcBuffer,
    ) -> i32 {
        if instance.is_null() || out.is_null() {
            return RC_ERROR;
        }
        // SAFETY: see the function's contract.
        let inst = unsafe { &*(instance as *const Instance) };
        let bytes: &[u8] = if input.is_null() || input_len == 0 {
            &[]
        } else {
            // SAFETY: see the function's contract.
            unsafe { std::slice::from_raw_parts(input, input_len) }
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let input: Json = if bytes.is_empty() {
                Json::Null
            } else {
                serde_json::from_slice(bytes).map_err(|e| {
                    ConnectError::connect(format!("plugin received invalid JSON: {e}"))
                })?
            };
            dispatch(inst, op, &input)
        }));
        let (rc, payload) = match result {
            Ok(Ok(j)) => (RC_OK, j.to_string().into_bytes()),
            Ok(Err(e)) => (RC_ERROR, codec::error_to_json(&e).to_string().into_bytes()),
            Err(p) => (RC_PANIC, panic_text(p.as_ref()).into_bytes()),
        };
        // SAFETY: out is writable (checked non-null above).
        unsafe { *out = RcBuffer::from_vec(payload) };
        rc
    }

    /// `rconnect_plugin_free`.
    ///
    /// # Safety
    /// `buf` must hold a buffer this library returned, not yet freed.
    pub unsafe fn free(buf: *mut RcBuffer) {
        if !buf.is_null() {
            // SAFETY: see the function's contract.
            unsafe { (*buf).free_vec() };
        }
    }

    /// `rconnect_plugin_signal_stop`.
    ///
    /// # Safety
    /// `instance` from `create`, not destroyed.
    pub unsafe fn signal_stop(instance: *mut c_void) {
        if !instance.is_null() {
            // SAFETY: see the function's contract.
            let inst = unsafe { &*(instance as *const Instance) };
            inst.stop.stop();
        }
    }

    /// `rconnect_plugin_attach_host`.
    ///
    /// # Safety
    /// `instance` from `create`; `host` null or valid until the instance is destroyed.
    pub unsafe fn attach_host(instance: *mut c_void, host: *const RcHost) {
        if instance.is_null() {
            return;
        }
        // SAFETY: see the function's contract.
        let inst = unsafe { &*(instance as *const Instance) };
        *inst.host.lock().unwrap_or_else(|p| p.into_inner()) =
            (!host.is_null()).then_some(HostRef(host));
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;

    use super::*;
    use crate::config::{ConfigDef, ConfigKey, ConfigType, Default as Def, Importance};
    use crate::data::{Headers, Schema, SchemaAndValue, SchemaRef, Value};
    use crate::Props;

    /// Upper-cases strings on the way out (with an optional prefix), reads bytes back as an
    /// optional string; both a converter and a header converter, as Java's StringConverter.
    #[derive(Default)]
    struct Upper {
        prefix: String,
        is_key: bool,
    }

    fn def() -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "prefix",
            ConfigType::String,
            Def::Value(String::new()),
            Importance::Low,
            "Written before every value.",
        ))
    }

    impl Upper {
        fn write(&self, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
            match value {
                Value::Null => Ok(None),
                Value::String(s) if s == "boom" => panic!("converter exploded on purpose"),
                Value::String(s) => Ok(Some(
                    format!("{}{}", self.prefix, s.to_uppercase()).into_bytes(),
                )),
                other => Err(ConnectError::data(format!(
                    "not a string: {}",
                    other.java_class()
                ))),
            }
        }
        fn read(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
            SchemaAndValue::new(
                Some(Schema::optional_string()),
                bytes
                    .map(|b| Value::String(String::from_utf8_lossy(b).into_owned().into()))
                    .unwrap_or(Value::Null),
            )
        }
    }

    #[async_trait::async_trait]
    impl Converter for Upper {
        fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()> {
            self.prefix = props.get("prefix").cloned().unwrap_or_default();
            self.is_key = is_key;
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def()
        }
        async fn from_connect(
            &self,
            _topic: &str,
            headers: &mut Headers,
            _schema: Option<&SchemaRef>,
            value: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            // Marks keys so that a test can see header changes travel back.
            if self.is_key {
                headers.add("converted", Some(Schema::string()), Value::from("key"));
            }
            self.write(value)
        }
        async fn to_connect(
            &self,
            _topic: &str,
            _headers: &Headers,
            bytes: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Ok(self.read(bytes))
        }
    }

    impl HeaderConverter for Upper {
        fn configure(&mut self, props: &Props) -> ConnectResult<()> {
            self.prefix = props.get("prefix").cloned().unwrap_or_default();
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def()
        }
        fn to_connect_header(
            &self,
            _topic: &str,
            _key: &str,
            bytes: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Ok(self.read(bytes))
        }
        fn from_connect_header(
            &self,
            _topic: &str,
            _key: &str,
            _schema: Option<&SchemaRef>,
            value: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            self.write(value)
        }
    }

    const CLASS: &str = "com.example.UpperStringConverter";

    fn exports() -> Vec<Export> {
        vec![
            Export::converter::<Upper>(CLASS, "1.2.3"),
            Export::header_converter::<Upper>(CLASS, "1.2.3"),
        ]
    }
    static PLUGIN: Plugin = Plugin::new(exports);

    struct Inst(*mut c_void);
    impl Drop for Inst {
        fn drop(&mut self) {
            unsafe { entry::destroy(self.0) };
        }
    }

    fn create(class: &str, k: u32) -> Option<Inst> {
        let c = CString::new(class).unwrap();
        let p = unsafe { entry::create(&PLUGIN, c.as_ptr(), k) };
        (!p.is_null()).then_some(Inst(p))
    }

    fn call(inst: &Inst, op: u32, input: &Json) -> (i32, String) {
        let text = if input.is_null() {
            String::new()
        } else {
            input.to_string()
        };
        let mut out = RcBuffer::empty();
        let rc = unsafe { entry::call(inst.0, op, text.as_ptr(), text.len(), &mut out) };
        let bytes = unsafe { out.to_vec() };
        unsafe { entry::free(&mut out) };
        (rc, String::from_utf8(bytes).unwrap())
    }

    fn ok(inst: &Inst, op: u32, input: &Json) -> Json {
        let (rc, text) = call(inst, op, input);
        assert_eq!(rc, RC_OK, "op {op}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn one_class_is_listed_and_created_as_both_converter_kinds() {
        let manifest: Json = serde_json::from_str(&PLUGIN.manifest_json()).unwrap();
        assert_eq!(
            manifest["components"],
            json!([
                {"kind": "converter", "class": CLASS, "version": "1.2.3"},
                {"kind": "header_converter", "class": CLASS, "version": "1.2.3"},
            ])
        );
        assert!(create(CLASS, kind::CONVERTER).is_some());
        assert!(create(CLASS, kind::HEADER_CONVERTER).is_some());
        assert!(create(CLASS, kind::TRANSFORMATION).is_none());
        assert!(create("com.example.Other", kind::CONVERTER).is_none());
    }

    #[test]
    fn converter_ops_round_trip() {
        let c = create(CLASS, kind::CONVERTER).unwrap();
        let def = ok(&c, op::CONFIG_DEF, &Json::Null);
        assert_eq!(def[0]["name"], "prefix");
        let cfg = codec::converter_configure_to_json(&props(&[("prefix", "> ")]), false);
        assert_eq!(ok(&c, op::CONVERTER_CONFIGURE, &cfg), Json::Null);

        let mut headers = Headers::new();
        headers.add("h", Some(Schema::int32()), Value::Int32(7));
        let schema = Schema::string();
        let input =
            codec::from_connect_request("t", &headers, Some(&schema), &Value::from("hi there"))
                .unwrap();
        let out = ok(&c, op::FROM_CONNECT, &input);
        assert_eq!(out, json!("PiBISSBUSEVSRQ=="), "base64 of \"> HI THERE\"");
        assert_eq!(
            codec::from_connect_reply_from_json(&out).unwrap(),
            (Some(b"> HI THERE".to_vec()), None)
        );
        let null = codec::from_connect_request("t", &headers, None, &Value::Null).unwrap();
        assert_eq!(ok(&c, op::FROM_CONNECT, &null), Json::Null);

        let input = codec::to_connect_request("t", &headers, Some(b"abc")).unwrap();
        let out = ok(&c, op::TO_CONNECT, &input);
        assert_eq!(
            codec::from_envelope(&out).unwrap(),
            (Some(Schema::optional_string()), Value::from("abc"))
        );
        let input = codec::to_connect_request("t", &headers, None).unwrap();
        assert_eq!(
            codec::from_envelope(&ok(&c, op::TO_CONNECT, &input)).unwrap(),
            (Some(Schema::optional_string()), Value::Null)
        );
    }

    #[test]
    fn headers_a_converter_changes_travel_back() {
        let c = create(CLASS, kind::CONVERTER).unwrap();
        let cfg = codec::converter_configure_to_json(&Props::new(), true);
        ok(&c, op::CONVERTER_CONFIGURE, &cfg);
        let mut headers = Headers::new();
        headers.add("h", None, Value::Int64(1));
        let input = codec::from_connect_request("t", &headers, None, &Value::from("k")).unwrap();
        let out = ok(&c, op::FROM_CONNECT, &input);
        let (data, changed) = codec::from_connect_reply_from_json(&out).unwrap();
        assert_eq!(data, Some(b"K".to_vec()));
        headers.add("converted", Some(Schema::string()), Value::from("key"));
        assert_eq!(changed, Some(headers));
    }

    #[test]
    fn header_converter_ops_round_trip() {
        let c = create(CLASS, kind::HEADER_CONVERTER).unwrap();
        let cfg = codec::header_converter_configure_to_json(&props(&[("prefix", "#")]));
        assert_eq!(ok(&c, op::HEADER_CONVERTER_CONFIGURE, &cfg), Json::Null);
        assert_eq!(ok(&c, op::CONFIG_DEF, &Json::Null)[0]["name"], "prefix");
        let input =
            codec::from_connect_header_request("t", "h", None, &Value::from("abc")).unwrap();
        let out = ok(&c, op::FROM_CONNECT_HEADER, &input);
        assert_eq!(
            codec::bytes_from_json(Some(&out)).unwrap(),
            Some(b"#ABC".to_vec())
        );
        let input = codec::to_connect_header_request("t", "h", Some(b"xyz"));
        assert_eq!(
            codec::from_envelope(&ok(&c, op::TO_CONNECT_HEADER, &input)).unwrap(),
            (Some(Schema::optional_string()), Value::from("xyz"))
        );
        // The converter-only operations are not the header converter's.
        let (rc, text) = call(&c, op::FROM_CONNECT, &input);
        assert_eq!(rc, RC_ERROR, "{text}");
        assert!(text.contains("operation 51 is not supported"), "{text}");
    }

    #[test]
    fn panics_errors_and_bad_input_come_back_as_codes() {
        let c = create(CLASS, kind::CONVERTER).unwrap();
        ok(
            &c,
            op::CONVERTER_CONFIGURE,
            &codec::converter_configure_to_json(&Props::new(), false),
        );
        let boom =
            codec::from_connect_request("t", &Headers::new(), None, &Value::from("boom")).unwrap();
        assert_eq!(
            call(&c, op::FROM_CONNECT, &boom),
            (RC_PANIC, "converter exploded on purpose".to_string())
        );
        // The instance stays usable after a panic.
        let fine =
            codec::from_connect_request("t", &Headers::new(), None, &Value::from("a")).unwrap();
        assert_eq!(ok(&c, op::FROM_CONNECT, &fine), json!("QQ=="));

        let int =
            codec::from_connect_request("t", &Headers::new(), None, &Value::Int32(1)).unwrap();
        let (rc, text) = call(&c, op::FROM_CONNECT, &int);
        assert_eq!(rc, RC_ERROR);
        let e: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(e["class"], "org.apache.kafka.connect.errors.DataException");
        assert_eq!(e["message"], "not a string: java.lang.Integer");

        for (op, input, needle) in [
            (op::CONVERTER_CONFIGURE, json!({"props": {}}), "is_key"),
            (
                op::CONVERTER_CONFIGURE,
                json!({"props": {"a": 1}, "is_key": true}),
                "config value of a",
            ),
            (
                op::FROM_CONNECT,
                json!([]),
                "from_connect input (not an object)",
            ),
            (
                op::FROM_CONNECT,
                json!({"topic": "t", "value": null}),
                "headers",
            ),
            (
                op::TO_CONNECT,
                json!({"topic": "t", "headers": [], "data": 5}),
                "expected a base64 string",
            ),
            (
                op::TO_CONNECT,
                json!({"topic": "t", "headers": [], "data": "%%"}),
                "base64 data",
            ),
            (
                op::TO_CONNECT,
                json!({"headers": [], "data": null}),
                "invalid topic",
            ),
        ] {
            let (rc, text) = call(&c, op, &input);
            assert_eq!(rc, RC_ERROR, "{input}: {text}");
            assert!(text.contains(needle), "{input}: {text}");
        }
    }
}
