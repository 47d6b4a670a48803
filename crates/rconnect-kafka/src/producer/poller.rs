//! The thread that serves a producer's event queue: delivery reports, client errors, logs.
//!
//! rdkafka's `ThreadedProducer` polls through `BaseProducer::poll(100 ms)`, which loops on a
//! deadline and hands librdkafka the remaining time in whole milliseconds: in the last
//! millisecond of every 100 ms the remainder rounds down to 0 and the loop spins on
//! `rd_kafka_queue_poll(.., 0)` and `clock_gettime` until the deadline passes. An idle source
//! task burned about 1% of a core that way. This thread waits in one `rd_kafka_queue_poll`
//! with a fixed timeout, so an idle producer costs one wake-up per [`POLL_TIMEOUT`], and it is
//! stopped by `rd_kafka_queue_yield` rather than by that timeout running out.
//!
//! Events are handled as rdkafka's `BaseProducer::poll` handles them (same context
//! callbacks), except that a client error is reported once (rdkafka reports it twice).

use std::ffi::{c_char, CStr};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::bindings as rd;
use rdkafka::client::ClientContext as _;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::producer::BaseProducer;
use rdkafka::producer::Producer as _;

use super::{delivery_of, DeliveryContext};
use crate::KafkaError;

/// The longest single wait. Nothing needs the thread to wake up on its own (stopping yields
/// the queue), so this only bounds how long a lost wake-up could delay the thread's exit.
pub(super) const POLL_TIMEOUT_MS: i32 = 1_000;

/// A reference to a client's main queue, where librdkafka puts the events of a producer
/// created with the event API (rdkafka's `BaseProducer` is).
struct MainQueue(NonNull<rd::rd_kafka_queue_t>);

// librdkafka queues are thread-safe; this is one counted reference to one.
unsafe impl Send for MainQueue {}
unsafe impl Sync for MainQueue {}

impl MainQueue {
    fn of(producer: &BaseProducer<DeliveryContext>) -> Result<MainQueue, KafkaError> {
        // Safety: the client is live; the call returns a new reference (or null).
        let q = unsafe { rd::rd_kafka_queue_get_main(producer.client().native_ptr()) };
        NonNull::new(q)
            .map(MainQueue)
            .ok_or_else(|| KafkaError::Internal("librdkafka has no main queue".into()))
    }
}

impl Drop for MainQueue {
    fn drop(&mut self) {
        // Safety: releases the reference taken in `of`, once.
        unsafe { rd::rd_kafka_queue_destroy(self.0.as_ptr()) };
    }
}

/// The running poll thread; stopping it (or dropping this) returns once it has exited.
pub(super) struct Poller {
    stop: Arc<AtomicBool>,
    queue: Arc<MainQueue>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts serving `producer`'s events on a new thread named `producer-poll`.
    pub(super) fn start(producer: &BaseProducer<DeliveryContext>) -> Result<Poller, KafkaError> {
        let queue = Arc::new(MainQueue::of(producer)?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let queue = queue.clone();
            let stop = stop.clone();
            let context = producer.context().clone();
            std::thread::Builder::new()
                .name("producer-poll".into())
                .spawn(move || serve(&queue, &context, &stop))
                .map_err(|e| {
                    KafkaError::Internal(format!("starting the producer poll thread: {e}"))
                })?
        };
        Ok(Poller {
            stop,
            queue,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it. Events still queued are left for the next poll
    /// (the producer's own drop serves them, as rdkafka's `BaseProducer` drop does).
    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::Release);
        // Wakes a thread waiting in rd_kafka_queue_poll; if it is busy with an event, the
        // yield stays pending and its next poll returns at once.
        // Safety: the queue reference is live (held by `self`).
        unsafe { rd::rd_kafka_queue_yield(self.queue.0.as_ptr()) };
        if thread.join().is_err() {
            tracing::error!("the producer poll thread panicked");
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(queue: &MainQueue, context: &DeliveryContext, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        // Safety: the queue reference is live for the whole loop.
        let event = unsafe { rd::rd_kafka_queue_poll(queue.0.as_ptr(), POLL_TIMEOUT_MS) };
        let Some(event) = NonNull::new(event) else {
            continue; // timed out or yielded
        };
        handle(context, event.as_ptr());
        // Safety: the event came from rd_kafka_queue_poll and is destroyed once; for a
        // delivery report this releases its messages (and lets a waiting flush return).
        unsafe { rd::rd_kafka_event_destroy(event.as_ptr()) };
    }
}

fn handle(context: &DeliveryContext, event: *mut rd::rd_kafka_event_t) {
    // Safety (all calls below): `event` is a live event of the type just read, and every
    // pointer it hands out lives until the event is destroyed by the caller.
    let kind = unsafe { rd::rd_kafka_event_type(event) };
    match kind {
        rd::RD_KAFKA_EVENT_DR => loop {
            let message = unsafe { rd::rd_kafka_event_message_next(event) };
            if message.is_null() {
                break;
            }
            (context.sink)(unsafe { delivery_of(message) });
        },
        rd::RD_KAFKA_EVENT_ERROR => {
            let code = unsafe { rd::rd_kafka_event_error(event) };
            let reason = unsafe { text(rd::rd_kafka_event_error_string(event)) };
            context.error(
                rdkafka::error::KafkaError::Global(code.into()),
                reason.trim(),
            );
        }
        rd::RD_KAFKA_EVENT_LOG => {
            let (mut facility, mut message, mut level) = (std::ptr::null(), std::ptr::null(), 0);
            let rc =
                unsafe { rd::rd_kafka_event_log(event, &mut facility, &mut message, &mut level) };
            if rc == 0 {
                let (facility, message) = unsafe { (text(facility), text(message)) };
                context.log(log_level(level), facility.trim(), message.trim());
            }
        }
        rd::RD_KAFKA_EVENT_STATS => {
            let json = unsafe { rd::rd_kafka_event_stats(event) };
            if !json.is_null() {
                context.stats_raw(unsafe { CStr::from_ptr(json) }.to_bytes());
            }
        }
        // Only raised when a context asks for OAUTHBEARER token refresh; ours does not.
        rd::RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH => {}
        _ => {
            let name = unsafe { text(rd::rd_kafka_event_name(event)) };
            tracing::warn!(target: "librdkafka", "ignored producer event {name}");
        }
    }
}

/// A librdkafka C string as text (lossy; empty for null).
///
/// # Safety
/// `s` is null or a NUL-terminated string that outlives the returned value.
unsafe fn text<'a>(s: *const c_char) -> std::borrow::Cow<'a, str> {
    if s.is_null() {
        return "".into();
    }
    // SAFETY: the caller's contract: non-null here, NUL-terminated, outliving the result.
    unsafe { CStr::from_ptr(s) }.to_string_lossy()
}

/// librdkafka's syslog-style level as rdkafka's level (its own mapping is private).
fn log_level(level: i32) -> RDKafkaLogLevel {
    match level {
        0 => RDKafkaLogLevel::Emerg,
        1 => RDKafkaLogLevel::Alert,
        2 => RDKafkaLogLevel::Critical,
        3 => RDKafkaLogLevel::Error,
        4 => RDKafkaLogLevel::Warning,
        5 => RDKafkaLogLevel::Notice,
        6 => RDKafkaLogLevel::Info,
        _ => RDKafkaLogLevel::Debug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_follow_syslog() {
        assert!(matches!(log_level(3), RDKafkaLogLevel::Error));
        assert!(matches!(log_level(4), RDKafkaLogLevel::Warning));
        assert!(matches!(log_level(7), RDKafkaLogLevel::Debug));
    }
}
