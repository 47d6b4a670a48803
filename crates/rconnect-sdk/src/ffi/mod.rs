//! The stable plugin interface (ABI v1) between the rconnect worker and a plugin library.
//!
//! A plugin is a dynamic library (`.so` on Linux, `.dll` on Windows) that exports a few
//! `extern "C"` functions, all prefixed `rconnect_plugin_`; no Rust type crosses the boundary.
//! Data crosses as UTF-8 JSON ([`codec`]): records in batches, Connect schemas and values in the
//! JsonConverter envelope. The C declarations are in `include/rconnect_plugin.h` of this
//! crate, and `docs/plugins.md` explains every operation.
//!
//! A Rust author never touches this module directly: implement the traits of this crate and
//! export them with one [`export_plugin!`](crate::export_plugin) invocation:
//!
//! ```text
//! rconnect_sdk::export_plugin! {
//!     source "com.example.DataGenSourceConnector" => DataGenConnector, DataGenTask;
//!     transformation "com.example.Shout" => Shout;
//!     converter "com.example.UpperStringConverter" => UpperString;
//! }
//! ```
//!
//! The interface version stays 1 as kinds and operations are added: a worker only asks a
//! library for the kinds its manifest declares, so an older worker never sends an operation
//! an older library does not know, and a newer worker still loads older libraries.
//!
//! The host side (the worker) lives in `rconnect-runtime`'s `plugin_loader`.

pub mod codec;
mod plugin;

#[doc(hidden)]
pub use plugin::entry;
pub use plugin::{AnyPredicate, Export, Plugin};

use std::ffi::c_void;

/// The interface version this SDK speaks; `rconnect_plugin_abi_version()` returns it and
/// the worker skips any library that answers something else.
pub const ABI_VERSION: u32 = 1;

/// A byte buffer handed across the boundary. The side that allocated it releases it: the
/// plugin's buffers with `rconnect_plugin_free`, the host's with [`RcHost::free`].
#[repr(C)]
#[derive(Debug)]
pub struct RcBuffer {
    pub ptr: *mut u8,
    pub len: usize,
    pub cap: usize,
}

impl RcBuffer {
    /// An empty buffer (nothing to free).
    pub const fn empty() -> Self {
        RcBuffer {
            ptr: std::ptr::null_mut(),
            len: 0,
            cap: 0,
        }
    }
    /// Hands a vector over; release it with [`RcBuffer::free_vec`] in the same library.
    pub fn from_vec(v: Vec<u8>) -> Self {
        let mut v = std::mem::ManuallyDrop::new(v);
        RcBuffer {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }
    /// The bytes, copied out.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes (or be null).
    pub unsafe fn to_vec(&self) -> Vec<u8> {
        if self.ptr.is_null() || self.len == 0 {
            return Vec::new();
        }
        // SAFETY: the caller guarantees ptr/len describe live memory.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }.to_vec()
    }
    /// Releases a buffer made by [`RcBuffer::from_vec`] in this same library.
    ///
    /// # Safety
    /// The buffer must come from `from_vec` of this library and not be freed twice.
    pub unsafe fn free_vec(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: ptr/len/cap are those of a leaked Vec<u8> (from_vec).
            drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
        }
        *self = RcBuffer::empty();
    }
}

/// Callbacks the host gives an instance with `rconnect_plugin_attach_host`, valid until the
/// instance is destroyed. `call` takes a `HOST_OP_*` code and JSON input, and returns the
/// same codes as `rconnect_plugin_call`; its output buffer is released with `free`.
#[repr(C)]
pub struct RcHost {
    pub abi_version: u32,
    pub ctx: *mut c_void,
    pub call: unsafe extern "C" fn(
        ctx: *mut c_void,
        op: u32,
        input: *const u8,
        input_len: usize,
        out: *mut RcBuffer,
    ) -> i32,
    pub free: unsafe extern "C" fn(buf: *mut RcBuffer),
}

/// Return code: success, `out` holds the JSON result (`null` when there is none).
pub const RC_OK: i32 = 0;
/// Return code: the component failed; `out` holds `{"class": ..., "message": ...}`.
pub const RC_ERROR: i32 = 1;
/// Return code: the component panicked; `out` holds the panic message (UTF-8 text).
pub const RC_PANIC: i32 = 2;

/// Instance kinds for `rconnect_plugin_create(class, kind)`. Tasks are created under their
/// connector's class name.
pub mod kind {
    pub const SOURCE_CONNECTOR: u32 = 1;
    pub const SINK_CONNECTOR: u32 = 2;
    pub const SOURCE_TASK: u32 = 3;
    pub const SINK_TASK: u32 = 4;
    /// A key or value converter (Java `Converter`).
    pub const CONVERTER: u32 = 5;
    /// A header converter (Java `HeaderConverter`).
    pub const HEADER_CONVERTER: u32 = 6;
    pub const TRANSFORMATION: u32 = 7;
    pub const PREDICATE: u32 = 8;
}

/// Operation codes for `rconnect_plugin_call`; the input and output JSON of each is listed
/// in `docs/plugins.md`.
pub mod op {
    /// any task or connector → `"<version>"`
    pub const VERSION: u32 = 1;
    /// connector, transformation, predicate, converter, header converter → ConfigDef JSON
    pub const CONFIG_DEF: u32 = 2;
    /// connector: props → validation reports
    pub const VALIDATE: u32 = 3;
    /// connector or task: props → null
    pub const START: u32 = 4;
    /// connector: max tasks (number) → array of props
    pub const TASK_CONFIGS: u32 = 5;
    /// connector or task → null
    pub const STOP: u32 = 6;
    /// connector → `"<task class>"`
    pub const TASK_CLASS: u32 = 7;
    /// source connector: props → `"SUPPORTED"`, `"UNSUPPORTED"` or null
    pub const EXACTLY_ONCE_SUPPORT: u32 = 8;
    /// source task → record batch or null
    pub const POLL: u32 = 20;
    /// source task → null
    pub const COMMIT: u32 = 21;
    /// source task: `{"record", "metadata"}` → null
    pub const COMMIT_RECORD: u32 = 22;
    /// source task → bool
    pub const WANTS_COMMIT_RECORD: u32 = 23;
    /// sink task: partitions → null
    pub const OPEN: u32 = 30;
    /// sink task: partitions → null
    pub const CLOSE: u32 = 31;
    /// sink task: record batch → null
    pub const PUT: u32 = 32;
    /// sink task: offsets → null
    pub const FLUSH: u32 = 33;
    /// sink task: offsets → offsets
    pub const PRE_COMMIT: u32 = 34;
    /// sink task: `{"assignment"}` → the task's pending context requests
    pub const SINK_CONTEXT: u32 = 35;
    /// transformation or predicate: props → null
    pub const CONFIGURE: u32 = 40;
    /// transformation: `{"kind", "records"}` → array of record or null
    pub const APPLY: u32 = 41;
    /// predicate: `{"kind", "records"}` → array of bool
    pub const TEST: u32 = 42;
    /// transformation or predicate → null
    pub const CLOSE_COMPONENT: u32 = 43;
    /// converter: `{"props", "is_key"}` → null
    pub const CONVERTER_CONFIGURE: u32 = 50;
    /// converter: `{"topic", "headers", "value"}` → base64 bytes or null, or
    /// `{"data", "headers"}` when the converter changed the headers
    pub const FROM_CONNECT: u32 = 51;
    /// converter: `{"topic", "headers", "data"}` → envelope
    pub const TO_CONNECT: u32 = 52;
    /// header converter: `{"props"}` → null
    pub const HEADER_CONVERTER_CONFIGURE: u32 = 53;
    /// header converter: `{"topic", "key", "value"}` → base64 bytes or null
    pub const FROM_CONNECT_HEADER: u32 = 54;
    /// header converter: `{"topic", "key", "data"}` → envelope
    pub const TO_CONNECT_HEADER: u32 = 55;

    /// The operation's name as the header and `docs/plugins.md` spell it (for messages).
    pub fn name(op: u32) -> &'static str {
        match op {
            VERSION => "VERSION",
            CONFIG_DEF => "CONFIG_DEF",
            VALIDATE => "VALIDATE",
            START => "START",
            TASK_CONFIGS => "TASK_CONFIGS",
            STOP => "STOP",
            TASK_CLASS => "TASK_CLASS",
            EXACTLY_ONCE_SUPPORT => "EXACTLY_ONCE_SUPPORT",
            POLL => "POLL",
            COMMIT => "COMMIT",
            COMMIT_RECORD => "COMMIT_RECORD",
            WANTS_COMMIT_RECORD => "WANTS_COMMIT_RECORD",
            OPEN => "OPEN",
            CLOSE => "CLOSE",
            PUT => "PUT",
            FLUSH => "FLUSH",
            PRE_COMMIT => "PRE_COMMIT",
            SINK_CONTEXT => "SINK_CONTEXT",
            CONFIGURE => "CONFIGURE",
            APPLY => "APPLY",
            TEST => "TEST",
            CLOSE_COMPONENT => "CLOSE_COMPONENT",
            CONVERTER_CONFIGURE => "CONVERTER_CONFIGURE",
            FROM_CONNECT => "FROM_CONNECT",
            TO_CONNECT => "TO_CONNECT",
            HEADER_CONVERTER_CONFIGURE => "HEADER_CONVERTER_CONFIGURE",
            FROM_CONNECT_HEADER => "FROM_CONNECT_HEADER",
            TO_CONNECT_HEADER => "TO_CONNECT_HEADER",
            _ => "unknown operation",
        }
    }
}

/// Operation codes of [`RcHost::call`].
pub mod host_op {
    /// source task: array of source partitions → array of offsets (object or null)
    pub const OFFSETS: u32 = 1;
    /// connector → null
    pub const REQUEST_TASK_RECONFIGURATION: u32 = 2;
    /// connector: `{"class", "message"}` → null
    pub const RAISE_ERROR: u32 = 3;
    /// sink task → bool: whether the worker offers an errant record reporter (asked at
    /// `START`; a host that does not know the operation offers none)
    pub const ERRANT_RECORD_REPORTER: u32 = 4;
    /// sink task: `{"record", "error": {"class", "message"}}` → null once the record is
    /// reported (Java `ErrantRecordReporter#report(...).get()`), or the error the report
    /// failed with (`Tolerance exceeded in error handler` under `errors.tolerance=none`)
    pub const REPORT_ERRANT_RECORD: u32 = 5;
}

/// Exports a library's components through the plugin interface. Use it once, at the root
/// of a `cdylib` crate; each line is a component kind, its Java-style class name, and the
/// Rust types (which must implement `Default`):
///
/// ```text
/// rconnect_sdk::export_plugin! {
///     source "com.example.DataGenSourceConnector" => DataGenConnector, DataGenTask;
///     sink "com.example.LogSinkConnector" => LogConnector, LogTask;
///     transformation "com.example.Shout" => Shout;
///     predicate "com.example.IsBig" => IsBig;
///     converter "com.example.UpperStringConverter" => UpperString;
///     header_converter "com.example.UpperStringConverter" => UpperString;
/// }
/// ```
///
/// A connector's version is its `version()`; transformations, predicates and converters
/// report the crate's version. One class may be exported as both `converter` and
/// `header_converter` (as Java's `StringConverter` is both). Panics inside components are
/// caught and reported to the worker.
#[macro_export]
macro_rules! export_plugin {
    ($( $kind:ident $class:literal => $($ty:ty),+ );+ $(;)?) => {
        fn __rconnect_plugin_exports() -> ::std::vec::Vec<$crate::ffi::Export> {
            ::std::vec![$( $crate::export_plugin!(@export $kind $class, $($ty),+) ),+]
        }
        static __RCONNECT_PLUGIN: $crate::ffi::Plugin =
            $crate::ffi::Plugin::new(__rconnect_plugin_exports);

        /// ABI: the interface version, checked before anything else.
        #[unsafe(no_mangle)]
        pub extern "C" fn rconnect_plugin_abi_version() -> u32 {
            $crate::ffi::ABI_VERSION
        }
        /// ABI: the manifest, a NUL-terminated UTF-8 JSON document owned by the library.
        #[unsafe(no_mangle)]
        pub extern "C" fn rconnect_plugin_manifest() -> *const ::std::ffi::c_char {
            $crate::ffi::entry::manifest(&__RCONNECT_PLUGIN)
        }
        /// ABI: a new instance of `class` (see `rconnect_sdk::ffi::kind`), or null.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_create(
            class: *const ::std::ffi::c_char,
            kind: u32,
        ) -> *mut ::std::ffi::c_void {
            unsafe { $crate::ffi::entry::create(&__RCONNECT_PLUGIN, class, kind) }
        }
        /// ABI: destroys an instance.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_destroy(instance: *mut ::std::ffi::c_void) {
            unsafe { $crate::ffi::entry::destroy(instance) }
        }
        /// ABI: one operation on an instance.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_call(
            instance: *mut ::std::ffi::c_void,
            op: u32,
            input: *const u8,
            input_len: usize,
            out: *mut $crate::ffi::RcBuffer,
        ) -> i32 {
            unsafe { $crate::ffi::entry::call(instance, op, input, input_len, out) }
        }
        /// ABI: releases a buffer this library returned.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_free(buf: *mut $crate::ffi::RcBuffer) {
            unsafe { $crate::ffi::entry::free(buf) }
        }
        /// ABI: raises the instance's stop signal without waiting for a running call.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_signal_stop(instance: *mut ::std::ffi::c_void) {
            unsafe { $crate::ffi::entry::signal_stop(instance) }
        }
        /// ABI: gives an instance the host's callbacks.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn rconnect_plugin_attach_host(
            instance: *mut ::std::ffi::c_void,
            host: *const $crate::ffi::RcHost,
        ) {
            unsafe { $crate::ffi::entry::attach_host(instance, host) }
        }
    };
    (@export source $class:literal, $c:ty, $t:ty) => {
        $crate::ffi::Export::source::<$c, $t>($class)
    };
    (@export sink $class:literal, $c:ty, $t:ty) => {
        $crate::ffi::Export::sink::<$c, $t>($class)
    };
    (@export transformation $class:literal, $t:ty) => {
        $crate::ffi::Export::transformation::<$t>($class, env!("CARGO_PKG_VERSION"))
    };
    (@export predicate $class:literal, $t:ty) => {
        $crate::ffi::Export::predicate::<$t>($class, env!("CARGO_PKG_VERSION"))
    };
    (@export converter $class:literal, $t:ty) => {
        $crate::ffi::Export::converter::<$t>($class, env!("CARGO_PKG_VERSION"))
    };
    (@export header_converter $class:literal, $t:ty) => {
        $crate::ffi::Export::header_converter::<$t>($class, env!("CARGO_PKG_VERSION"))
    };
}
