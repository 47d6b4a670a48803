//! Retrying an operation that fails with a `RetriableException`, with exponential back-off
//! (Java: `RetryWithToleranceOperator#execAndRetry` and `#backoff`).

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::ConnectError;
use tokio::time::Instant;

use super::Stage;

/// Java's `RETRIES_DELAY_MIN_MS`: the first back-off.
pub const RETRIES_DELAY_MIN_MS: u64 = 300;

/// `errors.retry.timeout` and `errors.retry.delay.max.ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total time to retry, ms; 0 = never retry, negative = forever.
    pub timeout_ms: i64,
    /// Cap of the exponential back-off, ms.
    pub max_delay_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            timeout_ms: 0,
            max_delay_ms: 60_000,
        }
    }
}

/// A uniform random number in `[0, bound)` (0 when `bound` is 0). Each `RandomState` is
/// freshly keyed by the standard library, which is randomness enough for jitter and saves a
/// dependency.
fn jitter(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(bound);
    h.finish() % bound
}

impl RetryPolicy {
    /// Whether an operation may ever run twice.
    pub fn may_retry(&self) -> bool {
        self.timeout_ms != 0
    }

    /// The wait before attempt `attempt + 1` (`attempt` is 1-based): `300 ms << (attempt - 1)`,
    /// or, once that exceeds `errors.retry.delay.max.ms`, a random wait below the cap (Java
    /// adds the jitter there so that many tasks do not retry in step); never past `remaining`.
    pub fn backoff(&self, attempt: u32, remaining: Option<Duration>) -> Duration {
        let max = self.max_delay_ms.max(0) as u64;
        let shift = attempt.saturating_sub(1);
        // Java shifts a long, which wraps past 63 bits; a wrapped delay is far above any cap
        // either way, so saturate.
        let exp = if shift >= 63 {
            u64::MAX
        } else {
            let v = RETRIES_DELAY_MIN_MS << shift;
            if v >> shift == RETRIES_DELAY_MIN_MS {
                v
            } else {
                u64::MAX
            }
        };
        let delay = if exp > max { jitter(max) } else { exp };
        let delay = Duration::from_millis(delay);
        match remaining {
            Some(r) => delay.min(r),
            None => delay,
        }
    }
}

/// One operation's attempts: decides after each failure whether to retry (after waiting)
/// or give up.
pub struct Attempts<'a> {
    policy: RetryPolicy,
    stop: &'a StopSignal,
    stage: Stage,
    /// Set at the first failure: every record step runs in an `Attempts`, and reading the
    /// clock for each one that succeeds at once would be wasted (the timeout then counts
    /// from the first failure rather than from the start of the first attempt, which differ
    /// by the length of one attempt).
    deadline: Option<Option<Instant>>,
    attempt: u32,
    /// Back-offs slept, for the tests and the logs.
    pub retries: u32,
    /// `task-error-metrics`: every failed attempt and every retry are counted (Java:
    /// `ErrorHandlingMetrics#recordFailure`, `#recordRetry`).
    metrics: Option<&'a crate::metrics::TaskErrorMetrics>,
}

impl<'a> Attempts<'a> {
    pub fn new(policy: RetryPolicy, stop: &'a StopSignal, stage: Stage) -> Self {
        Attempts {
            policy,
            stop,
            stage,
            deadline: None,
            attempt: 0,
            retries: 0,
            metrics: None,
        }
    }

    /// The same attempts, counted in `metrics`.
    pub fn counted(mut self, metrics: Option<&'a crate::metrics::TaskErrorMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// After a failed attempt: `Some(error)` when the operation has failed for good, `None`
    /// when it should run again (the back-off has been slept). Only a retriable error is
    /// retried, while the deadline has not passed and no stop was requested.
    pub async fn failed(&mut self, error: ConnectError) -> Option<ConnectError> {
        self.attempt += 1;
        if let Some(m) = self.metrics {
            m.total_record_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if !error.is_retriable() {
            return Some(error);
        }
        let now = Instant::now();
        let policy = self.policy;
        let deadline = *self.deadline.get_or_insert_with(|| {
            (policy.timeout_ms >= 0).then(|| now + Duration::from_millis(policy.timeout_ms as u64))
        });
        if deadline.is_some_and(|d| now >= d) {
            tracing::trace!(
                "can't retry stage {} after {} attempt(s)",
                self.stage,
                self.attempt
            );
            return Some(error);
        }
        let remaining = deadline.map(|d| d.saturating_duration_since(now));
        let delay = self.policy.backoff(self.attempt, remaining);
        tracing::debug!("Sleeping for up to {} millis", delay.as_millis());
        // A stop request ends the wait and fails the operation (Java: `triggerStop`).
        if self.stop.sleep(delay).await {
            return Some(error);
        }
        self.retries += 1;
        if let Some(m) = self.metrics {
            m.total_retries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout_ms: i64, max_delay_ms: i64) -> RetryPolicy {
        RetryPolicy {
            timeout_ms,
            max_delay_ms,
        }
    }

    #[test]
    fn backoff_doubles_from_300ms_then_jitters_below_the_cap() {
        let p = policy(-1, 60_000);
        let waits: Vec<u128> = (1..=8).map(|a| p.backoff(a, None).as_millis()).collect();
        assert_eq!(waits, vec![300, 600, 1200, 2400, 4800, 9600, 19200, 38400]);
        // 76 800 > 60 000: a random wait in [0, 60 000).
        for a in 9..40 {
            let w = p.backoff(a, None).as_millis();
            assert!(w < 60_000, "attempt {a}: {w}");
        }
        // Huge attempt numbers do not overflow.
        assert!(p.backoff(u32::MAX, None).as_millis() < 60_000);
        // The jitter really varies.
        let distinct: std::collections::BTreeSet<u128> =
            (0..50).map(|_| p.backoff(20, None).as_millis()).collect();
        assert!(distinct.len() > 10, "{distinct:?}");
    }

    #[test]
    fn backoff_never_passes_the_deadline_and_a_zero_cap_means_no_wait() {
        let p = policy(1000, 60_000);
        assert_eq!(
            p.backoff(3, Some(Duration::from_millis(250))),
            Duration::from_millis(250)
        );
        assert_eq!(p.backoff(1, Some(Duration::ZERO)), Duration::ZERO);
        let p = policy(1000, 0);
        assert_eq!(p.backoff(1, None), Duration::ZERO);
        // Below the first step the cap takes over at once.
        let p = policy(1000, 100);
        assert!(p.backoff(1, None) < Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_the_timeout_then_fails() {
        let stop = StopSignal::never();
        let mut a = Attempts::new(policy(1000, 60_000), &stop, Stage::ValueConverter);
        let start = Instant::now();
        // 300 + 600 = 900 ms, then the third wait is cut to the 100 ms left, then no more.
        assert!(a.failed(ConnectError::retriable("busy")).await.is_none());
        assert!(a.failed(ConnectError::retriable("busy")).await.is_none());
        assert!(a.failed(ConnectError::retriable("busy")).await.is_none());
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        let e = a.failed(ConnectError::retriable("still busy")).await;
        assert_eq!(e, Some(ConnectError::retriable("still busy")));
        assert_eq!(a.retries, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_by_default_nor_for_other_errors() {
        let stop = StopSignal::never();
        let mut a = Attempts::new(RetryPolicy::default(), &stop, Stage::KeyConverter);
        assert!(a.failed(ConnectError::retriable("x")).await.is_some());
        let mut a = Attempts::new(policy(-1, 10), &stop, Stage::KeyConverter);
        assert_eq!(
            a.failed(ConnectError::data("bad")).await,
            Some(ConnectError::data("bad"))
        );
        assert!(!RetryPolicy::default().may_retry());
        assert!(policy(-1, 10).may_retry());
    }

    #[tokio::test(start_paused = true)]
    async fn infinite_timeout_retries_until_stopped() {
        let (trigger, stop) = rconnect_sdk::stop::stop_pair();
        let mut a = Attempts::new(policy(-1, 1000), &stop, Stage::Transformation);
        for _ in 0..20 {
            assert!(a.failed(ConnectError::retriable("x")).await.is_none());
        }
        trigger.stop();
        assert!(a.failed(ConnectError::retriable("x")).await.is_some());
        assert_eq!(a.retries, 20);
    }
}
