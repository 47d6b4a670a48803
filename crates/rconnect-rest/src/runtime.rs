//! The REST server's own tokio runtime.
//!
//! Java's Connect answers REST requests on Jetty's thread pool, and the worker runs
//! connectors and tasks on its own executor (`Worker#executor`): a flood of requests, or
//! requests stuck in blocking calls (a config provider reading a FIFO, a forward to a dead
//! leader), cannot stop the data path. rconnect gets the same split with two runtimes:
//! the REST server, and every task and `spawn_blocking` call a request starts, run on this
//! one, with a few worker threads and a small bounded blocking pool; task loops, offset
//! flushes and Kafka clients run on the main runtime (the worker spawns them there, on the
//! handle it captured when it was built, whoever asks it to).

use std::io;

/// Worker threads of the REST runtime: requests mostly wait on the herder.
pub const REST_WORKER_THREADS: usize = 2;
/// The REST runtime's blocking pool: validation, forwarding to other workers and plugin calls
/// started by requests. Bounded, so that requests stuck in blocking calls queue up here
/// instead of growing threads without limit; the data path has its own pool.
pub const REST_BLOCKING_THREADS: usize = 32;

/// Builds the REST server's runtime (threads named `rconnect-rest`).
pub fn rest_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(REST_WORKER_THREADS)
        .max_blocking_threads(REST_BLOCKING_THREADS)
        .thread_name("rconnect-rest")
        .enable_all()
        .build()
}
