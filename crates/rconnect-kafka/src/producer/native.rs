//! The produce call, made straight to librdkafka with a topic handle kept per topic.
//!
//! rdkafka's `BaseRecord` send turns the topic name into a new `CString` and has
//! librdkafka look the topic up by name (under its lock) for every record. A source task
//! sends every record of a batch to one or a few topics, so a handle taken once per topic
//! saves both: about 500 instructions per record, a tenth of the source loop (see
//! docs/BENCHMARKS.md). The message itself is queued exactly as rdkafka does it
//! (`RD_KAFKA_MSG_F_COPY`, the token as the opaque, timestamp 0 for "now").

use std::ffi::{c_void, CString};
use std::ptr::{self, NonNull};
use std::sync::Mutex;

use rdkafka::bindings as rd;
use rdkafka::bindings::rd_kafka_vtype_t::*;
use rdkafka::types::RDKafkaErrorCode;

use crate::SendError;

/// At most this many topic handles are kept; a task writing to more topics (a router
/// transform, say) still works, its least recently added handles are released.
const MAX_HANDLES: usize = 64;

/// One reference to a librdkafka topic object.
pub(super) struct TopicHandle {
    name: String,
    rkt: NonNull<rd::rd_kafka_topic_t>,
}

// librdkafka topic objects are reference counted and thread-safe; a handle is only a
// counted reference.
unsafe impl Send for TopicHandle {}
unsafe impl Sync for TopicHandle {}

impl TopicHandle {
    pub(super) fn as_ptr(&self) -> *mut rd::rd_kafka_topic_t {
        self.rkt.as_ptr()
    }
}

impl Drop for TopicHandle {
    fn drop(&mut self) {
        // Safety: the handle came from rd_kafka_topic_new and is released once.
        unsafe { rd::rd_kafka_topic_destroy(self.rkt.as_ptr()) };
    }
}

/// The handles of one producer, most recently added last.
#[derive(Default)]
pub(super) struct TopicHandles {
    handles: Mutex<Vec<std::sync::Arc<TopicHandle>>>,
}

impl TopicHandles {
    /// The handle of `topic`, taken from `rk` on first use.
    pub(super) fn handle(
        &self,
        rk: *mut rd::rd_kafka_t,
        topic: &str,
    ) -> Result<std::sync::Arc<TopicHandle>, SendError> {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = handles.iter().rev().find(|h| h.name == topic) {
            return Ok(h.clone());
        }
        let fatal = |reason: String| SendError::Fatal {
            topic: topic.to_string(),
            reason,
        };
        let name = CString::new(topic)
            .map_err(|_| fatal("the topic name contains a NUL character".into()))?;
        // Safety: `rk` is the live client of the producer that owns `self`; a null conf
        // uses the client's default topic configuration, as a by-name produce does.
        let rkt = unsafe { rd::rd_kafka_topic_new(rk, name.as_ptr(), ptr::null_mut()) };
        let Some(rkt) = NonNull::new(rkt) else {
            return Err(fatal(format!(
                "librdkafka refused the topic: {}",
                last_error()
            )));
        };
        let handle = std::sync::Arc::new(TopicHandle {
            name: topic.to_string(),
            rkt,
        });
        if handles.len() >= MAX_HANDLES {
            handles.remove(0);
        }
        handles.push(handle.clone());
        Ok(handle)
    }
}

fn last_error() -> String {
    // Safety: reads the calling thread's last error code.
    let code: RDKafkaErrorCode = unsafe { rd::rd_kafka_last_error() }.into();
    code.to_string()
}

/// What one produce call queues.
pub(super) struct Record<'a> {
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub timestamp: Option<i64>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
    pub opaque: usize,
}

fn bytes(b: Option<&[u8]>) -> (*mut c_void, usize) {
    match b {
        Some(b) => (b.as_ptr() as *mut c_void, b.len()),
        None => (ptr::null_mut(), 0),
    }
}

/// Queues `record` on topic `rkt`; the code librdkafka answered (`NoError` when queued).
pub(super) fn produce(
    rk: *mut rd::rd_kafka_t,
    rkt: *mut rd::rd_kafka_topic_t,
    record: Record<'_>,
) -> RDKafkaErrorCode {
    let (value_ptr, value_len) = bytes(record.value);
    let (key_ptr, key_len) = bytes(record.key);
    let headers = native_headers(record.headers);
    // Safety: every pointer is valid for the call (librdkafka copies key, value and
    // header bytes); `rk` and `rkt` are live and belong together; the argument list has
    // the types librdkafka's varargs expect for each tag and ends with END.
    let err = unsafe {
        rd::rd_kafka_producev(
            rk,
            RD_KAFKA_VTYPE_RKT,
            rkt,
            RD_KAFKA_VTYPE_PARTITION,
            record.partition.unwrap_or(-1),
            RD_KAFKA_VTYPE_MSGFLAGS,
            rd::RD_KAFKA_MSG_F_COPY as std::os::raw::c_int,
            RD_KAFKA_VTYPE_VALUE,
            value_ptr,
            value_len,
            RD_KAFKA_VTYPE_KEY,
            key_ptr,
            key_len,
            RD_KAFKA_VTYPE_OPAQUE,
            record.opaque as *mut c_void,
            RD_KAFKA_VTYPE_TIMESTAMP,
            record.timestamp.unwrap_or(0),
            RD_KAFKA_VTYPE_HEADERS,
            headers,
            RD_KAFKA_VTYPE_END,
        )
    };
    let code: RDKafkaErrorCode = err.into();
    if code != RDKafkaErrorCode::NoError && !headers.is_null() {
        // librdkafka only takes the headers over when the message is queued.
        // Safety: created above and not owned by librdkafka.
        unsafe { rd::rd_kafka_headers_destroy(headers) };
    }
    code
}

/// The headers as a librdkafka list (null when there are none); a null value stays null.
fn native_headers(headers: &[(String, Option<Vec<u8>>)]) -> *mut rd::rd_kafka_headers_t {
    if headers.is_empty() {
        return ptr::null_mut();
    }
    // Safety: a new list, filled with copies of the given bytes (rd_kafka_header_add
    // copies name and value).
    unsafe {
        let list = rd::rd_kafka_headers_new(headers.len());
        for (name, value) in headers {
            let (value_ptr, value_len) = match value {
                Some(v) => (v.as_ptr() as *const c_void, v.len() as isize),
                None => (ptr::null(), 0),
            };
            rd::rd_kafka_header_add(
                list,
                name.as_ptr() as *const std::os::raw::c_char,
                name.len() as isize,
                value_ptr,
                value_len,
            );
        }
        list
    }
}
