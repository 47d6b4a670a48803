//! Automatic restarts of FAILED connectors and tasks (`rconnect.auto.restart.enable`; not in
//! Java, whose operators restart them through REST; Strimzi's auto-restart is the model).
//!
//! Each worker restarts what FAILED on itself, through the herder as a REST restart would,
//! after an exponential back-off: `initial.backoff.ms`, doubled after each restart in a row, at
//! most `max.backoff.ms`, and at most `max.attempts` restarts in a row (then it stays FAILED and
//! says so in the log). Something that stays RUNNING for `max.backoff.ms` starts again from the
//! initial back-off. A FAILED status seen again right after a restart waits out the next
//! back-off, so a task that fails at once is never restarted in a tight loop.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rconnect_config::worker::{
    AUTO_RESTART_ENABLE_CONFIG, AUTO_RESTART_INITIAL_BACKOFF_MS_CONFIG,
    AUTO_RESTART_MAX_ATTEMPTS_CONFIG, AUTO_RESTART_MAX_BACKOFF_MS_CONFIG,
};
use rconnect_config::WorkerConfig;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::herder::{ConnectorTaskId, Herder, State};
use crate::metrics::Metrics;

/// The back-off rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Wait before the first restart.
    pub initial_backoff: Duration,
    /// Longest wait, and how long RUNNING resets the count.
    pub max_backoff: Duration,
    /// Restarts in a row before giving up; `None` for no limit.
    pub max_attempts: Option<u32>,
}

impl RestartPolicy {
    /// The policy of a worker config, or `None` when `rconnect.auto.restart.enable` is false.
    pub fn from_config(config: &WorkerConfig) -> Option<RestartPolicy> {
        let p = config.parsed();
        if !p.boolean(AUTO_RESTART_ENABLE_CONFIG).unwrap_or(false) {
            return None;
        }
        let ms = |k: &str, d: i64| Duration::from_millis(p.long(k).unwrap_or(d).max(1) as u64);
        let initial_backoff = ms(AUTO_RESTART_INITIAL_BACKOFF_MS_CONFIG, 5000);
        Some(RestartPolicy {
            initial_backoff,
            max_backoff: ms(AUTO_RESTART_MAX_BACKOFF_MS_CONFIG, 300_000).max(initial_backoff),
            max_attempts: u32::try_from(p.int(AUTO_RESTART_MAX_ATTEMPTS_CONFIG).unwrap_or(10)).ok(),
        })
    }

    /// The wait before restart number `attempt + 1`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .map_or(self.max_backoff, |d| d.min(self.max_backoff))
    }

    /// How often statuses are looked at: often enough to honour the initial back-off,
    /// rarely enough to cost nothing when all is well.
    pub fn check_interval(&self) -> Duration {
        (self.initial_backoff / 2).clamp(Duration::from_millis(100), Duration::from_secs(1))
    }
}

/// What can be restarted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A connector instance.
    Connector(String),
    /// A task.
    Task(ConnectorTaskId),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Connector(c) => write!(f, "connector {c}"),
            Target::Task(t) => write!(f, "task {t}"),
        }
    }
}

#[derive(Debug, Default)]
struct Entry {
    /// Restarts in a row.
    attempts: u32,
    /// When the pending restart is due.
    due: Option<Instant>,
    /// Since when it has been RUNNING.
    running_since: Option<Instant>,
    /// The give-up message was logged.
    gave_up: bool,
}

/// What to do after a round of observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Restart it now; `attempt` counts from 1.
    Restart { target: Target, attempt: u32 },
    /// It failed `attempts` times in a row: left FAILED.
    GiveUp { target: Target, attempts: u32 },
}

/// The restart state of everything this worker runs; fed one status round at a time.
#[derive(Debug)]
pub struct Tracker {
    policy: RestartPolicy,
    entries: HashMap<Target, Entry>,
}

impl Tracker {
    /// An empty tracker.
    pub fn new(policy: RestartPolicy) -> Tracker {
        Tracker {
            policy,
            entries: HashMap::new(),
        }
    }

    /// Takes the states seen at `now` (everything not in `seen` is forgotten: deleted, or
    /// moved to another worker) and returns what to do.
    pub fn observe(&mut self, now: Instant, seen: &[(Target, State)]) -> Vec<Decision> {
        self.entries.retain(|t, _| seen.iter().any(|(s, _)| s == t));
        let mut out = Vec::new();
        for (target, state) in seen {
            let e = self.entries.entry(target.clone()).or_default();
            match state {
                State::Failed => {
                    e.running_since = None;
                    if self.policy.max_attempts.is_some_and(|m| e.attempts >= m) {
                        if !e.gave_up {
                            e.gave_up = true;
                            out.push(Decision::GiveUp {
                                target: target.clone(),
                                attempts: e.attempts,
                            });
                        }
                        continue;
                    }
                    match e.due {
                        None => e.due = Some(now + self.policy.backoff(e.attempts)),
                        Some(due) if now >= due => {
                            e.due = None;
                            e.attempts += 1;
                            out.push(Decision::Restart {
                                target: target.clone(),
                                attempt: e.attempts,
                            });
                        }
                        Some(_) => {}
                    }
                }
                State::Running => {
                    e.due = None;
                    let since = *e.running_since.get_or_insert(now);
                    if now.duration_since(since) >= self.policy.max_backoff {
                        e.attempts = 0;
                        e.gave_up = false;
                    }
                }
                _ => {
                    e.due = None;
                    e.running_since = None;
                }
            }
        }
        out
    }
}

/// What this worker runs, as the herder's statuses say.
async fn observe_statuses(herder: &dyn Herder, worker_id: &str) -> Vec<(Target, State)> {
    let mut seen = Vec::new();
    for name in herder.connectors().await {
        let Ok(status) = herder.connector_status(&name).await else {
            continue;
        };
        if status.connector.worker_id == worker_id {
            seen.push((Target::Connector(name.clone()), status.connector.state));
        }
        for t in status.tasks.iter().filter(|t| t.worker_id == worker_id) {
            seen.push((
                Target::Task(ConnectorTaskId {
                    connector: name.clone(),
                    task: t.id,
                }),
                t.state,
            ));
        }
    }
    seen
}

/// Watches the statuses of what runs on `worker_id` and restarts what FAILED, until the
/// returned task is aborted.
pub fn spawn(
    herder: Arc<dyn Herder>,
    worker_id: String,
    policy: RestartPolicy,
    metrics: Arc<Metrics>,
) -> tokio::task::JoinHandle<()> {
    info!(
        "restarting FAILED connectors and tasks automatically (rconnect.auto.restart.enable): \
         after {:?}, doubling up to {:?}, {} in a row",
        policy.initial_backoff,
        policy.max_backoff,
        policy
            .max_attempts
            .map_or_else(|| "without limit".to_string(), |m| format!("at most {m}"))
    );
    tokio::spawn(async move {
        let mut tracker = Tracker::new(policy);
        let mut tick = tokio::time::interval(policy.check_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let seen = observe_statuses(herder.as_ref(), &worker_id).await;
            for decision in tracker.observe(Instant::now(), &seen) {
                act(herder.as_ref(), &metrics, &policy, decision).await;
            }
        }
    })
}

async fn act(herder: &dyn Herder, metrics: &Metrics, policy: &RestartPolicy, d: Decision) {
    match d {
        Decision::GiveUp { target, attempts } => warn!(
            "{target} is still FAILED after {attempts} automatic restart(s) in a row; leaving it \
             FAILED (rconnect.auto.restart.max.attempts), restart it through the REST API"
        ),
        Decision::Restart { target, attempt } => {
            let limit = policy
                .max_attempts
                .map_or_else(|| "no limit".to_string(), |m| m.to_string());
            warn!("restarting FAILED {target} automatically (attempt {attempt} of {limit})");
            let result = match &target {
                Target::Connector(name) => herder
                    .restart_connector(name, false, false)
                    .await
                    .map(|_| ()),
                Target::Task(id) => herder.restart_task(id).await,
            };
            match result {
                Ok(()) => {
                    metrics
                        .worker
                        .auto_restarts_total
                        .fetch_add(1, Ordering::Relaxed);
                }
                // Deleted or moved meanwhile, or a rebalance: the next round sees it again.
                Err(e) => warn!("automatic restart of {target} failed: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: Option<u32>) -> RestartPolicy {
        RestartPolicy {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            max_attempts,
        }
    }

    fn task(n: i32) -> Target {
        Target::Task(ConnectorTaskId {
            connector: "c".into(),
            task: n,
        })
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = policy(None);
        let waits: Vec<u64> = (0..6).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
        assert_eq!(p.backoff(200), Duration::from_secs(8));
        assert_eq!(p.check_interval(), Duration::from_millis(500));
    }

    #[test]
    fn a_failed_task_is_restarted_after_each_backoff_and_never_in_a_tight_loop() {
        let mut t = Tracker::new(policy(None));
        let t0 = Instant::now();
        let s = |secs: f64| t0 + Duration::from_secs_f64(secs);
        let failed = [(task(0), State::Failed)];
        assert!(
            t.observe(s(0.0), &failed).is_empty(),
            "first sight schedules"
        );
        assert!(t.observe(s(0.5), &failed).is_empty());
        assert_eq!(
            t.observe(s(1.0), &failed),
            [Decision::Restart {
                target: task(0),
                attempt: 1
            }]
        );
        // Still FAILED right after (the status not yet updated, or it failed again): the
        // next restart waits 2 s from here.
        assert!(t.observe(s(1.1), &failed).is_empty());
        assert!(t.observe(s(3.0), &failed).is_empty());
        assert_eq!(
            t.observe(s(3.1), &failed),
            [Decision::Restart {
                target: task(0),
                attempt: 2
            }]
        );
    }

    #[test]
    fn attempts_stop_at_the_limit_and_reset_after_running_long_enough() {
        let mut t = Tracker::new(policy(Some(1)));
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let failed = [(task(1), State::Failed)];
        t.observe(s(0), &failed);
        assert_eq!(t.observe(s(1), &failed).len(), 1);
        // Failed again after its one restart: left FAILED, said once.
        assert_eq!(
            t.observe(s(2), &failed),
            [Decision::GiveUp {
                target: task(1),
                attempts: 1
            }]
        );
        assert!(t.observe(s(20), &failed).is_empty(), "given up once");
        // Restarted by hand, RUNNING for max.backoff: counting starts over.
        let running = [(task(1), State::Running)];
        t.observe(s(30), &running);
        t.observe(s(38), &running);
        t.observe(s(40), &failed);
        assert_eq!(t.observe(s(41), &failed).len(), 1);
    }

    #[test]
    fn running_briefly_does_not_reset_and_other_states_cancel_a_pending_restart() {
        let mut t = Tracker::new(policy(None));
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        t.observe(s(0), &[(task(0), State::Failed)]);
        assert_eq!(t.observe(s(1), &[(task(0), State::Failed)]).len(), 1);
        t.observe(s(2), &[(task(0), State::Running)]);
        t.observe(s(3), &[(task(0), State::Failed)]);
        // attempts is still 1: the wait is 2 s.
        assert!(t.observe(s(4), &[(task(0), State::Failed)]).is_empty());
        assert_eq!(
            t.observe(s(5), &[(task(0), State::Failed)]),
            [Decision::Restart {
                target: task(0),
                attempt: 2
            }]
        );
        // Paused by the user while a restart is pending: nothing happens.
        t.observe(s(6), &[(task(0), State::Failed)]);
        t.observe(s(7), &[(task(0), State::Paused)]);
        assert!(t.observe(s(20), &[(task(0), State::Paused)]).is_empty());
    }

    #[test]
    fn forgotten_targets_start_over_and_connectors_are_tracked_apart_from_tasks() {
        let mut t = Tracker::new(policy(None));
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let conn = Target::Connector("c".into());
        let both = [(conn.clone(), State::Failed), (task(0), State::Running)];
        t.observe(s(0), &both);
        assert_eq!(
            t.observe(s(1), &both),
            [Decision::Restart {
                target: conn.clone(),
                attempt: 1
            }]
        );
        // Deleted (not seen), then created again: a fresh start.
        t.observe(s(2), &[]);
        t.observe(s(3), &[(conn.clone(), State::Failed)]);
        assert_eq!(
            t.observe(s(4), &[(conn.clone(), State::Failed)]),
            [Decision::Restart {
                target: conn,
                attempt: 1
            }]
        );
    }
}
