//! One loaded plugin library and its instances: the only place the host calls the C ABI.

use std::ffi::{c_char, c_void, CString};
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rconnect_sdk::connector::ConnectorContext;
use rconnect_sdk::ffi::{
    codec, host_op, op, RcBuffer, RcHost, ABI_VERSION, RC_ERROR, RC_OK, RC_PANIC,
};
use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
use rconnect_sdk::{ConnectError, ConnectResult};
use serde_json::Value as Json;

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type ManifestFn = unsafe extern "C" fn() -> *const c_char;
type CreateFn = unsafe extern "C" fn(*const c_char, u32) -> *mut c_void;
type DestroyFn = unsafe extern "C" fn(*mut c_void);
type CallFn = unsafe extern "C" fn(*mut c_void, u32, *const u8, usize, *mut RcBuffer) -> i32;
type FreeFn = unsafe extern "C" fn(*mut RcBuffer);
type SignalStopFn = unsafe extern "C" fn(*mut c_void);
type AttachHostFn = unsafe extern "C" fn(*mut c_void, *const RcHost);

/// A plugin library that passed the version and manifest checks.
///
/// The library is never unloaded (its `dlclose` is skipped): a Rust library with
/// thread-local destructors, or any instance left behind, would crash the worker later.
pub struct Library {
    path: PathBuf,
    _lib: ManuallyDrop<libloading::Library>,
    create: CreateFn,
    destroy: DestroyFn,
    call: CallFn,
    free: FreeFn,
    signal_stop: SignalStopFn,
    attach_host: AttachHostFn,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Library({})", self.path.display())
    }
}

/// Why a library was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("cannot be loaded: {0}")]
    NotLoadable(String),
    #[error("not an rconnect plugin (missing symbol {0})")]
    MissingSymbol(&'static str),
    #[error("wrong plugin interface version {found} (this worker speaks version {expected})")]
    WrongVersion { found: u32, expected: u32 },
    #[error("broken manifest: {0}")]
    BadManifest(String),
}

impl Library {
    /// Loads `path`, checks `rconnect_plugin_abi_version` before anything else, and returns
    /// the library with its manifest JSON.
    pub fn open(path: &Path) -> Result<(Arc<Library>, Json), LoadError> {
        // SAFETY: loading a library runs its initialisers; plugin.path is trusted by the
        // operator exactly as Java trusts the jars in it.
        let lib = unsafe { libloading::Library::new(path) }
            .map_err(|e| LoadError::NotLoadable(e.to_string()))?;
        let lib = ManuallyDrop::new(lib);
        // SAFETY: the symbol types are those the ABI (rconnect_plugin.h) declares.
        unsafe {
            let version: AbiVersionFn = sym(&lib, "rconnect_plugin_abi_version")?;
            let found = version();
            if found != ABI_VERSION {
                return Err(LoadError::WrongVersion {
                    found,
                    expected: ABI_VERSION,
                });
            }
            let manifest: ManifestFn = sym(&lib, "rconnect_plugin_manifest")?;
            let loaded = Library {
                path: path.to_path_buf(),
                create: sym(&lib, "rconnect_plugin_create")?,
                destroy: sym(&lib, "rconnect_plugin_destroy")?,
                call: sym(&lib, "rconnect_plugin_call")?,
                free: sym(&lib, "rconnect_plugin_free")?,
                signal_stop: sym(&lib, "rconnect_plugin_signal_stop")?,
                attach_host: sym(&lib, "rconnect_plugin_attach_host")?,
                _lib: lib,
            };
            let text = manifest();
            if text.is_null() {
                return Err(LoadError::BadManifest(
                    "rconnect_plugin_manifest returned NULL".into(),
                ));
            }
            let text = std::ffi::CStr::from_ptr(text)
                .to_str()
                .map_err(|_| LoadError::BadManifest("not UTF-8".into()))?;
            let json: Json = serde_json::from_str(text)
                .map_err(|e| LoadError::BadManifest(format!("invalid JSON: {e}")))?;
            Ok((Arc::new(loaded), json))
        }
    }

    /// The file this library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &'static str) -> Result<T, LoadError> {
    // SAFETY: the caller names the right type for the symbol.
    unsafe { lib.get::<T>(name.as_bytes()) }
        .map(|s| *s)
        .map_err(|_| LoadError::MissingSymbol(name))
}

/// What the host offers an instance through its `RcHost` callbacks.
pub(crate) struct HostState {
    pub offsets: Option<Arc<dyn OffsetStorageReader>>,
    pub context: Option<Arc<dyn ConnectorContext>>,
    pub runtime: Option<tokio::runtime::Handle>,
    /// A sink task's errant record reporter, when the connector configures one.
    pub errant: Option<Arc<dyn rconnect_sdk::connector::ErrantRecordReporter>>,
}

struct Attached {
    _table: Box<RcHost>,
    _state: Box<HostState>,
}

/// One live plugin instance; destroyed when the last reference goes.
pub(crate) struct Instance {
    lib: Arc<Library>,
    ptr: *mut c_void,
    class: String,
    host: Mutex<Option<Attached>>,
}

// SAFETY: the ABI requires instances to accept calls from any thread, one at a time
// (signal_stop excepted); the adapters never overlap calls on one instance.
unsafe impl Send for Instance {}
unsafe impl Sync for Instance {}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: ptr came from create of this library and is destroyed once; the host table
        // (dropped after this) outlives the instance as the ABI requires.
        unsafe { (self.lib.destroy)(self.ptr) };
    }
}

impl Instance {
    /// A new instance of `class` (`kind` from `rconnect_sdk::ffi::kind`).
    pub fn new(lib: &Arc<Library>, class: &str, kind: u32) -> ConnectResult<Arc<Instance>> {
        let c = CString::new(class)
            .map_err(|_| ConnectError::connect(format!("invalid class name {class:?}")))?;
        // SAFETY: c is a NUL-terminated string alive for the call.
        let ptr = unsafe { (lib.create)(c.as_ptr(), kind) };
        if ptr.is_null() {
            return Err(ConnectError::connect(format!(
                "plugin library {} could not create an instance of {class} (kind {kind})",
                lib.path.display()
            )));
        }
        Ok(Arc::new(Instance {
            lib: lib.clone(),
            ptr,
            class: class.to_string(),
            host: Mutex::new(None),
        }))
    }

    /// One synchronous call; a plugin error or panic becomes a `ConnectError` whose message
    /// is the plugin's (for a panic: the panic message).
    pub fn call(&self, op: u32, input: &Json) -> ConnectResult<Json> {
        let input = if input.is_null() {
            String::new()
        } else {
            input.to_string()
        };
        let mut out = RcBuffer::empty();
        // SAFETY: ptr is live; input is a valid slice; out is released with the library's
        // own free function.
        let (rc, bytes) = unsafe {
            let rc = (self.lib.call)(self.ptr, op, input.as_ptr(), input.len(), &mut out);
            let bytes = out.to_vec();
            (self.lib.free)(&mut out);
            (rc, bytes)
        };
        match rc {
            RC_OK if bytes.is_empty() => Ok(Json::Null),
            RC_OK => serde_json::from_slice(&bytes).map_err(|e| {
                ConnectError::connect(format!(
                    "{} returned invalid JSON for operation {} ({op}): {e}",
                    self.class,
                    op::name(op)
                ))
            }),
            RC_ERROR => Err(serde_json::from_slice::<Json>(&bytes)
                .map(|j| codec::error_from_json(&j))
                .unwrap_or_else(|_| ConnectError::connect(String::from_utf8_lossy(&bytes)))),
            RC_PANIC => Err(ConnectError::connect(
                String::from_utf8_lossy(&bytes).into_owned(),
            )),
            other => Err(ConnectError::connect(format!(
                "{} returned unknown code {other} for operation {} ({op})",
                self.class,
                op::name(op)
            ))),
        }
    }

    /// Raises the instance's stop signal; never waits for a running call.
    pub fn signal_stop(&self) {
        // SAFETY: ptr is live; the ABI allows this concurrently with a running call.
        unsafe { (self.lib.signal_stop)(self.ptr) };
    }

    /// Gives the instance host callbacks; they stay valid until the instance is destroyed.
    pub fn attach(&self, state: HostState) {
        let state = Box::new(state);
        let table = Box::new(RcHost {
            abi_version: ABI_VERSION,
            ctx: &*state as *const HostState as *mut c_void,
            call: host_call,
            free: host_free,
        });
        // SAFETY: table and state are boxed (stable addresses) and kept in self.host until
        // after destroy (fields drop after Drop::drop).
        unsafe { (self.lib.attach_host)(self.ptr, &*table) };
        *self.host.lock().unwrap_or_else(|p| p.into_inner()) = Some(Attached {
            _table: table,
            _state: state,
        });
    }
}

/// Runs `f` on a blocking thread, as plugin calls are synchronous.
pub(crate) async fn blocking<T: Send + 'static>(
    inst: &Arc<Instance>,
    f: impl FnOnce(&Instance) -> ConnectResult<T> + Send + 'static,
) -> ConnectResult<T> {
    let inst = inst.clone();
    let class = inst.class.clone();
    tokio::task::spawn_blocking(move || f(&inst))
        .await
        .map_err(|e| {
            ConnectError::connect(format!("call into plugin {class} did not finish: {e}"))
        })?
}

/// Runs a synchronous plugin call from a synchronous trait method without stalling the
/// reactor: on a multi-threaded runtime the worker thread hands its other tasks off first
/// (`block_in_place`); elsewhere (a current-thread runtime, a blocking thread, no runtime)
/// that is impossible or needless, and the call runs as is.
pub(crate) fn off_reactor<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

unsafe extern "C" fn host_free(buf: *mut RcBuffer) {
    if !buf.is_null() {
        // SAFETY: host buffers are made by RcBuffer::from_vec in this binary.
        unsafe { (*buf).free_vec() };
    }
}

unsafe extern "C" fn host_call(
    ctx: *mut c_void,
    op: u32,
    input: *const u8,
    input_len: usize,
    out: *mut RcBuffer,
) -> i32 {
    if ctx.is_null() || out.is_null() {
        return RC_ERROR;
    }
    // SAFETY: ctx is the HostState boxed in `attach`, alive until the instance is destroyed.
    let state = unsafe { &*(ctx as *const HostState) };
    let bytes: &[u8] = if input.is_null() || input_len == 0 {
        &[]
    } else {
        // SAFETY: the plugin passes a valid slice.
        unsafe { std::slice::from_raw_parts(input, input_len) }
    };
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host_op(state, op, bytes)));
    let (rc, payload) = match result {
        Ok(Ok(j)) => (RC_OK, j.to_string().into_bytes()),
        Ok(Err(e)) => (RC_ERROR, codec::error_to_json(&e).to_string().into_bytes()),
        Err(p) => (
            RC_PANIC,
            crate::worker::panic_message(p.as_ref()).into_bytes(),
        ),
    };
    // SAFETY: out is writable (checked above).
    unsafe { *out = RcBuffer::from_vec(payload) };
    rc
}

fn host_op(state: &HostState, op: u32, bytes: &[u8]) -> ConnectResult<Json> {
    let input: Json = if bytes.is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ConnectError::connect(format!("plugin sent invalid JSON: {e}")))?
    };
    match op {
        host_op::OFFSETS => {
            let reader = state
                .offsets
                .as_ref()
                .ok_or_else(|| ConnectError::connect("no offset reader for this instance"))?;
            let partitions: Vec<OffsetMap> = input
                .as_array()
                .ok_or_else(|| ConnectError::connect("offsets request: not an array"))?
                .iter()
                .map(|p| {
                    p.as_object()
                        .cloned()
                        .map(OffsetMap::from)
                        .unwrap_or_default()
                })
                .collect();
            // Plugin calls that may read offsets (a task's start and poll) run on the
            // runtime's blocking threads, where block_on is allowed.
            let rt = state
                .runtime
                .as_ref()
                .ok_or_else(|| ConnectError::connect("no runtime to read offsets with"))?;
            let offsets = rt.block_on(reader.offsets(&partitions))?;
            Ok(Json::Array(
                offsets
                    .into_iter()
                    .map(|o| o.map(Json::from).unwrap_or(Json::Null))
                    .collect(),
            ))
        }
        host_op::REQUEST_TASK_RECONFIGURATION => {
            if let Some(c) = &state.context {
                c.request_task_reconfiguration();
            }
            Ok(Json::Null)
        }
        host_op::RAISE_ERROR => {
            if let Some(c) = &state.context {
                c.raise_error(codec::error_from_json(&input));
            }
            Ok(Json::Null)
        }
        host_op::ERRANT_RECORD_REPORTER => Ok(Json::Bool(state.errant.is_some())),
        host_op::REPORT_ERRANT_RECORD => {
            let reporter = state
                .errant
                .as_ref()
                .ok_or_else(|| ConnectError::connect("no errant record reporter for this task"))?;
            let record =
                codec::record_from_json::<rconnect_sdk::record::SinkMeta>(&input["record"])?;
            let error = codec::error_from_json(&input["error"]);
            // The task calls from `put`, which runs on a blocking thread of the runtime: the
            // report (a dead letter queue send) is awaited there.
            let rt = state
                .runtime
                .as_ref()
                .ok_or_else(|| ConnectError::connect("no runtime to report with"))?;
            rt.block_on(reporter.report(&record, error))?;
            Ok(Json::Null)
        }
        other => Err(ConnectError::connect(format!(
            "unknown host operation {other}"
        ))),
    }
}
