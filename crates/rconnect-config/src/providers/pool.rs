//! The threads config provider reads run on.
//!
//! A read touches the file system and may hang (a stuck network mount), so it never runs on
//! the async reactor nor on tokio's shared blocking pool, which the data path needs: a few
//! dedicated threads take one job each, a job is queued only by a caller holding one of
//! as many slots as there are threads (so nothing queues without bound), and a caller gives
//! up after the timeout, whether it waited for a slot or for its job. A hung read keeps its
//! thread and slot; the others keep serving until every thread is stuck, and then callers
//! time out instead of piling up.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why a job did not run to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// No answer within the timeout (waiting for a free thread included).
    Timeout,
    /// The job panicked or the pool's threads are gone.
    Failed,
}

/// A small pool of dedicated threads with a per-call timeout.
pub struct ProviderPool {
    jobs: mpsc::Sender<Job>,
    slots: Arc<Semaphore>,
    threads: usize,
    timeout: Duration,
}

impl std::fmt::Debug for ProviderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderPool")
            .field("threads", &self.threads)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ProviderPool {
    /// Starts `threads` (at least 1) threads; each call may take up to `timeout`. The
    /// threads end when the pool is dropped (a thread stuck in a read ends with it).
    pub fn new(threads: usize, timeout: Duration) -> std::io::Result<ProviderPool> {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("rconnect-provider-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking job drops its reply channel: the caller sees `Failed`.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                })?;
        }
        Ok(ProviderPool {
            jobs: tx,
            slots: Arc::new(Semaphore::new(threads)),
            threads,
            timeout,
        })
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn submit<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        f: impl FnOnce() -> T + Send + 'static,
        reply: impl FnOnce(T) + Send + 'static,
    ) -> Result<(), PoolError> {
        self.jobs
            .send(Box::new(move || {
                let out = f();
                // The slot frees when the thread does, not when the caller gives up.
                drop(permit);
                reply(out);
            }))
            .map_err(|_| PoolError::Failed)
    }

    /// Runs `f` on a pool thread; for async callers (the wait never blocks the reactor).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let call = async {
            let permit = self
                .slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| PoolError::Failed)?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            self.submit(permit, f, move |out| {
                let _ = tx.send(out);
            })?;
            rx.await.map_err(|_| PoolError::Failed)
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| PoolError::Timeout)?
    }

    /// Runs `f` on a pool thread, blocking the calling thread (worker start-up, before
    /// anything else runs).
    pub fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let deadline = Instant::now() + self.timeout;
        let permit = loop {
            match self.slots.clone().try_acquire_owned() {
                Ok(p) => break p,
                Err(TryAcquireError::Closed) => return Err(PoolError::Failed),
                Err(TryAcquireError::NoPermits) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(PoolError::Timeout);
                    }
                    std::thread::sleep(left.min(Duration::from_millis(5)));
                }
            }
        };
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(permit, f, move |out| {
            let _ = tx.send(out);
        })?;
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => PoolError::Timeout,
                mpsc::RecvTimeoutError::Disconnected => PoolError::Failed,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_jobs_on_named_dedicated_threads() {
        let pool = ProviderPool::new(2, Duration::from_secs(5)).unwrap();
        let name = pool
            .run_blocking(|| std::thread::current().name().map(str::to_string))
            .unwrap();
        assert!(name.unwrap().starts_with("rconnect-provider-"));
    }

    #[test]
    fn a_slow_job_times_out_and_a_busy_pool_makes_callers_wait_then_time_out() {
        let pool = Arc::new(ProviderPool::new(1, Duration::from_millis(200)).unwrap());
        let (release_tx, release_rx) = mpsc::channel::<()>();
        // Occupies the only thread until released.
        let started = Instant::now();
        let r = pool.run_blocking(move || {
            let _ = release_rx.recv();
        });
        assert_eq!(r, Err(PoolError::Timeout));
        assert!(started.elapsed() >= Duration::from_millis(200));
        // The thread is still busy: the next caller waits for a slot, then times out, and
        // its job never runs.
        let ran = Arc::new(AtomicUsize::new(0));
        let r2 = {
            let ran = ran.clone();
            pool.run_blocking(move || ran.fetch_add(1, Ordering::SeqCst))
        };
        assert_eq!(r2, Err(PoolError::Timeout));
        release_tx.send(()).unwrap();
        // Once free, the pool serves again.
        let ok = {
            let ran = ran.clone();
            pool.run_blocking(move || ran.fetch_add(1, Ordering::SeqCst) + 1)
        };
        assert_eq!(ok, Ok(1));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn async_callers_time_out_while_the_pool_is_busy() {
        let pool = Arc::new(ProviderPool::new(1, Duration::from_millis(150)).unwrap());
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let slow = pool.run(move || {
            let _ = release_rx.recv();
        });
        assert_eq!(slow.await, Err(PoolError::Timeout));
        // Many waiting callers queue no work: all time out, none runs later.
        let ran = Arc::new(AtomicUsize::new(0));
        let waits: Vec<_> = (0..20)
            .map(|_| {
                let (pool, ran) = (pool.clone(), ran.clone());
                tokio::spawn(
                    async move { pool.run(move || ran.fetch_add(1, Ordering::SeqCst)).await },
                )
            })
            .collect();
        for w in waits {
            assert_eq!(w.await.unwrap(), Err(PoolError::Timeout));
        }
        release_tx.send(()).unwrap();
        assert_eq!(pool.run(|| 7).await, Ok(7));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_panicking_job_fails_its_call_only() {
        let pool = ProviderPool::new(1, Duration::from_secs(5)).unwrap();
        assert_eq!(
            pool.run_blocking(|| -> u8 { panic!("boom") }),
            Err(PoolError::Failed)
        );
        assert_eq!(pool.run_blocking(|| 3), Ok(3));
    }
}
