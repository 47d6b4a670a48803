//! A stop signal a task can wait on, so that `stop()` from the worker interrupts a wait
//! inside `poll()` the way Java's `stop()` from another thread does.

use std::time::Duration;
use tokio::sync::watch;

/// The worker's half: raises the signal.
#[derive(Debug)]
pub struct StopTrigger(watch::Sender<bool>);

/// The task's half: observed inside `poll()`/`put()` to end waits early.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use rconnect_sdk::stop::stop_pair;
/// use std::time::Duration;
/// let (trigger, signal) = stop_pair();
/// trigger.stop();
/// // A stopped signal ends the sleep at once and reports it.
/// assert!(signal.sleep(Duration::from_secs(60)).await);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

/// A connected trigger and signal.
pub fn stop_pair() -> (StopTrigger, StopSignal) {
    let (tx, rx) = watch::channel(false);
    (StopTrigger(tx), StopSignal(rx))
}

impl StopTrigger {
    /// Raise the signal; every clone of the [`StopSignal`] sees it.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
    /// A new signal observing this trigger.
    pub fn signal(&self) -> StopSignal {
        StopSignal(self.0.subscribe())
    }
}

impl StopSignal {
    /// A signal that never fires, for tests and tools.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        StopSignal(rx)
    }
    /// Whether stop was requested.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }
    /// Resolves once stop is requested.
    pub async fn stopped(&self) {
        let mut rx = self.0.clone();
        // An error means the trigger is gone, which also means stop.
        let _ = rx.wait_for(|s| *s).await;
    }
    /// Sleeps for `d` or until stop is requested; returns true if stopped.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.stopped() => true,
            _ = tokio::time::sleep(d) => self.is_stopped(),
        }
    }
}
