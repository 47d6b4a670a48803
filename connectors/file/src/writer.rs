//! The sink's writer thread: `put` hands each rendered batch over and goes back to
//! consuming while the thread writes it, instead of waiting on a blocking-pool round trip
//! per batch (two thread wake-ups, and the task loop idle during the write).
//!
//! Batches are written in hand-over order, each with one `write_all`, straight to the OS
//! (no user-space buffer, no fsync: as Java's unbuffered stream). [`Writer::flush`] waits
//! until everything handed over is written, and reports the first failure, so the worker
//! commits offsets only for lines that reached the file. After a failed write the thread
//! writes nothing more, so the file never holds a gap followed by later lines.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{mpsc, oneshot};

/// Batches handed over but not yet written: bounds memory when the disk is slower than
/// the consumer, while letting one batch be rendered as the previous one is written.
const IN_FLIGHT: usize = 2;

/// Where the thread writes.
#[derive(Clone)]
pub(crate) enum Target {
    File(Arc<std::fs::File>),
    Stdout,
}

enum Job {
    Write(Vec<u8>),
    /// Answered once every earlier job is done, with the first write error if any.
    Flush(oneshot::Sender<Result<(), String>>),
}

/// The task's handle on its writer thread. Dropping it lets the thread finish what was
/// handed over and exit.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Written buffers coming back for reuse (at most [`IN_FLIGHT`] + 1 exist).
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    /// The first write error, set by the thread, so the next `put` fails without waiting
    /// for a flush.
    failed: Arc<OnceLock<String>>,
}

impl Writer {
    /// Starts the thread.
    pub(crate) fn spawn(target: Target, name: &str) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel(IN_FLIGHT);
        let spare = Arc::new(Mutex::new(Vec::new()));
        let spare_tx = spare.clone();
        let failed = Arc::new(OnceLock::new());
        let thread_failed = failed.clone();
        let label = name.to_string();
        std::thread::Builder::new()
            .name("file-sink-writer".into())
            .spawn(move || run(target, rx, spare_tx, &thread_failed, &label))?;
        Ok(Self {
            jobs,
            spare,
            failed,
        })
    }

    /// An empty buffer to render the next batch into, reusing a written one when there is.
    pub(crate) fn buffer(&self) -> Vec<u8> {
        let reused = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match reused {
            Some(mut buf) => {
                buf.clear();
                buf
            }
            None => Vec::new(),
        }
    }

    /// Queues `bytes` for writing; waits only while [`IN_FLIGHT`] batches are queued.
    /// Fails, writing nothing, once an earlier write has failed.
    pub(crate) async fn write(&self, bytes: Vec<u8>) -> Result<(), String> {
        if let Some(e) = self.failed.get() {
            return Err(e.clone());
        }
        self.jobs
            .send(Job::Write(bytes))
            .await
            .map_err(|_| "the writer thread has stopped".to_string())
    }

    /// Waits until every batch handed over so far is written; the first write error, if
    /// any, from then on.
    pub(crate) async fn flush(&self) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job::Flush(done))
            .await
            .map_err(|_| "the writer thread has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the writer thread has stopped".to_string())?
    }
}

fn run(
    target: Target,
    mut jobs: mpsc::Receiver<Job>,
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    failed: &OnceLock<String>,
    name: &str,
) {
    while let Some(job) = jobs.blocking_recv() {
        match job {
            Job::Write(bytes) => {
                if failed.get().is_none() {
                    if let Err(e) = write_all(&target, &bytes) {
                        tracing::error!("Error writing to {name}: {e}");
                        let _ = failed.set(e.to_string());
                    }
                }
                spare.lock().unwrap_or_else(|p| p.into_inner()).push(bytes);
            }
            Job::Flush(done) => {
                let result = match (failed.get(), &target) {
                    (Some(e), _) => Err(e.clone()),
                    (None, Target::Stdout) => {
                        std::io::stdout().lock().flush().map_err(|e| e.to_string())
                    }
                    (None, Target::File(_)) => Ok(()),
                };
                let _ = done.send(result);
            }
        }
    }
}

fn write_all(target: &Target, bytes: &[u8]) -> std::io::Result<()> {
    match target {
        Target::File(file) => (&**file).write_all(bytes),
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
    }
}
