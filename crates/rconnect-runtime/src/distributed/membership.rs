//! The membership loop (Java `DistributedHerder#tick` and its rebalance listener): joins
//! the group through a [`Coordinator`], applies assignments by starting and stopping work,
//! reacts to config-topic records, and leaves the group at shutdown. REST requests never run
//! here; they reach it through the config topic (and the herder's shared view,
//! [`super::herder`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_group::{
    eager_assign, AssignmentInput, ConnectAssignment, IncrementalCooperativeAssignor,
    LeaderContext, TaskId, WorkSet, WorkerMetadata, CONFIG_MISMATCH,
};
use rconnect_sdk::Props;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::coordinator::Coordinator;
use super::herder::{now_ms, spawn_reconcile, task_id, DistributedHerder};
use crate::config_store::{ConfigStore, ConfigUpdate, ConnectorSnapshot, SessionKey};
use crate::herder::{ConnectorTaskId, State};
use crate::status::Status;
use crate::worker::ConnectorEvent;

mod config_updates;
#[cfg(test)]
mod tests;

/// The least time between a completed join and a rejoin this worker decides on by itself
/// (a new or removed connector, a changed task count, the follow-up after revocations, a
/// scheduled rebalance). Some coordinators, tansu among them, answer a follower's SyncGroup by
/// polling the group about once a second: a JoinGroup sent sooner moves the group on before
/// every follower has read its assignment, those followers rejoin, and with three or more
/// workers that can go on for tens of seconds (docs/tansu.md). Rejoins the coordinator asks
/// for are not delayed: the group is already rebalancing then.
pub const LOCAL_REJOIN_SPACING: Duration = Duration::from_secs(2);

/// The state of the tick loop: what this worker runs and its group membership.
pub(super) struct TickLoop {
    herder: Arc<DistributedHerder>,
    member: Box<dyn Coordinator>,
    /// [`LOCAL_REJOIN_SPACING`], shorter in unit tests.
    spacing: Duration,
    assignor: IncrementalCooperativeAssignor,
    owned: WorkSet,
    /// The assignment of the last completed rebalance (Java's `assignmentSnapshot`).
    last_assignment: Option<ConnectAssignment>,
    last_completed_generation: i32,
    /// The connectors and their task counts as of the last completed join (for the leader:
    /// those it assigned), to tell new and removed connectors, and task-config commits that
    /// keep a connector's count (no rebalance: the tasks' owners restart them in place).
    task_counts: HashMap<String, usize>,
    /// The connector and task config each local task was started with: a task-config
    /// commit restarts only the tasks whose pair changed (Java restarts unchanged tasks
    /// only when their connector's config changed).
    started: HashMap<TaskId, (Props, Props)>,
    /// Config-topic updates not handled yet. A rebalance drains the ones already queued once
    /// it has read the config topic, so that they are judged against the work owned before
    /// it (Java's `ConfigUpdateListener` classifies each record as it is read, against the
    /// herder's pre-rebalance `configState`): a `connector-X` record read before the
    /// rebalance that assigned X is the creation the assignment already covers, not a
    /// reconfiguration of the X that rebalance started.
    updates: tokio::sync::broadcast::Receiver<ConfigUpdate>,
}

/// What the leader's assignment callback leaves for the rest of the rebalance.
#[derive(Default)]
struct LeaderView {
    /// Who runs what, to forward owner-only requests.
    connector_owners: HashMap<String, String>,
    task_owners: HashMap<TaskId, String>,
    /// The task counts the assignment was computed from.
    task_counts: Option<HashMap<String, usize>>,
}

/// What a completed rebalance asks for next.
struct Outcome {
    rejoin_now: bool,
    delay: Option<Duration>,
}

impl TickLoop {
    pub(super) fn new(
        herder: Arc<DistributedHerder>,
        member: Box<dyn Coordinator>,
        spacing: Duration,
    ) -> Self {
        let delay = herder.settings().scheduled_rebalance_max_delay_ms;
        let updates = herder.configs.subscribe();
        TickLoop {
            updates,
            herder,
            member,
            spacing,
            assignor: IncrementalCooperativeAssignor::new(delay),
            owned: WorkSet::default(),
            last_assignment: None,
            last_completed_generation: -1,
            task_counts: HashMap::new(),
            started: HashMap::new(),
        }
    }

    pub(super) async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<ConnectorEvent>,
        mut shutdown: oneshot::Receiver<oneshot::Sender<()>>,
    ) {
        let mut rejoin = self.member.rejoin_needed();
        let mut need_join = true;
        // The first join, retries and rejoins the coordinator asks for go at once.
        let mut urgent = true;
        let mut last_join: Option<Instant> = None;
        let mut scheduled: Option<Instant> = None;
        let mut failures = 0u32;
        let done = loop {
            let spaced_until = match last_join {
                Some(at) if need_join && !urgent => Some(at + self.spacing),
                _ => None,
            };
            if need_join && spaced_until.is_none_or(|t| t <= Instant::now()) {
                // A join can take up to rebalance.timeout.ms + session.timeout.ms; a shutdown
                // must not wait for it (the work is stopped and the group left below).
                let outcome = tokio::select! {
                    r = self.rebalance() => r,
                    d = &mut shutdown => break d.ok(),
                };
                match outcome {
                    Ok(o) => {
                        failures = 0;
                        last_join = Some(Instant::now());
                        urgent = false;
                        need_join = o.rejoin_now;
                        scheduled = o.delay.map(|d| Instant::now() + d);
                    }
                    Err(e) => {
                        failures += 1;
                        let wait = Duration::from_millis(200 * u64::from(failures.min(25)));
                        warn!("rebalance failed, retrying in {wait:?}: {e}");
                        need_join = true;
                        urgent = true;
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            d = &mut shutdown => break d.ok(),
                        }
                        continue;
                    }
                }
            }
            let wake = [scheduled, spaced_until]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                d = &mut shutdown => break d.ok(),
                r = rejoin.changed() => {
                    if r.is_err() || rejoin.borrow_and_update().is_some() {
                        need_join = true;
                        urgent = true;
                    }
                }
                u = self.updates.recv() => match u {
                    Ok(update) => need_join |= self.on_config_update(update).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => need_join = true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break None,
                },
                Some(ConnectorEvent::Reconfigure(name)) = events.recv() => {
                    spawn_reconcile(&self.herder, &name);
                }
                _ = tokio::time::sleep_until(wake), if scheduled.is_some() || spaced_until.is_some() => {
                    if scheduled.is_some_and(|t| t <= Instant::now()) {
                        scheduled = None;
                        need_join = true;
                    }
                }
            }
        };
        info!("stopping connectors and tasks and leaving the group");
        self.herder.update_membership(|m| m.rebalancing = true);
        // As Java: what stops here is UNASSIGNED, written before leaving so the next owner's
        // RUNNING (at a higher generation) follows it.
        let owned = std::mem::take(&mut self.owned);
        self.stop_work(&owned).await;
        self.herder.worker.stop_all().await;
        tokio::time::timeout(Duration::from_secs(5), self.herder.worker.status.flush())
            .await
            .ok();
        if let Err(e) = self.member.leave().await {
            warn!("leaving the group failed: {e}");
        }
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    /// Stops connectors and tasks, marking them UNASSIGNED as Java does on revocation.
    async fn stop_work(&mut self, work: &WorkSet) {
        for t in &work.tasks {
            self.started.remove(t);
        }
        let worker = &self.herder.worker;
        let tasks: Vec<ConnectorTaskId> = work.tasks.iter().map(task_id).collect();
        futures::future::join_all(tasks.iter().map(|id| worker.stop_task(id))).await;
        for id in &tasks {
            worker.task_status(id, State::Unassigned, None);
        }
        for c in &work.connectors {
            worker.stop_connector(c).await;
            worker.status.put_connector(
                c,
                Status {
                    state: State::Unassigned,
                    trace: None,
                    worker_id: worker.settings.worker_id.clone(),
                    generation: worker.generation(),
                },
            );
        }
    }

    /// Java `WorkerCoordinator#metadata`: the last assignment received, with the work this
    /// worker runs now; none before the first assignment.
    fn allocation(&self, version: i16) -> Option<ConnectAssignment> {
        self.last_assignment
            .as_ref()
            .map(|last| last.as_member_allocation(&self.owned, version))
    }

    async fn rebalance(&mut self) -> Result<Outcome, String> {
        let h = self.herder.clone();
        let began = std::time::Instant::now();
        let metrics = h.worker.metrics();
        if let Some(r) = &metrics.rebalance {
            r.started();
        }
        h.update_membership(|m| m.rebalancing = true);
        let eager = h
            .settings()
            .connect_protocol
            .name()
            .eq_ignore_ascii_case("eager");
        if eager && !self.owned.is_empty() {
            // Eager: everything is revoked before joining.
            let all = std::mem::take(&mut self.owned);
            self.stop_work(&all).await;
        }
        h.configs.read_to_end().await.map_err(|e| e.to_string())?;
        let offset = h.configs.snapshot().offset;
        let metadata = WorkerMetadata {
            version: 2,
            url: h.url.clone(),
            config_offset: offset,
            allocation: self.allocation(2),
        };
        let configs = h.configs.clone();
        let assignor = &mut self.assignor;
        let view: Arc<Mutex<LeaderView>> = Arc::default();
        let view_in = view.clone();
        let mut leader = move |ctx: &LeaderContext| -> BTreeMap<String, ConnectAssignment> {
            let snap = configs.snapshot();
            let input = AssignmentInput {
                leader_id: ctx.leader_id.clone(),
                generation: ctx.generation,
                last_completed_generation: ctx.last_completed_generation,
                protocol_version: ctx.protocol_version,
                members: ctx.members.clone(),
                connectors: snap
                    .connectors
                    .iter()
                    .map(|(n, c)| (n.clone(), c.tasks.len() as u32))
                    .collect(),
                leader_config_offset: snap.offset,
                now_ms: now_ms(),
            };
            let out = if ctx.protocol_version == 0 {
                eager_assign(&input)
            } else {
                assignor.assign(&input)
            };
            // Remember who runs what, to forward owner-only requests.
            let mut v = view_in.lock().unwrap_or_else(|p| p.into_inner());
            *v = LeaderView {
                task_counts: Some(
                    input
                        .connectors
                        .iter()
                        .map(|(n, c)| (n.clone(), *c as usize))
                        .collect(),
                ),
                ..LeaderView::default()
            };
            for (member, a) in &out {
                let Some(md) = ctx.members.get(member) else {
                    continue;
                };
                let mut set = if ctx.protocol_version == 0 {
                    WorkSet::default()
                } else {
                    md.owned()
                };
                set.remove_all(&a.revoked_set());
                set.extend(&a.assigned_set());
                for c in set.connectors {
                    v.connector_owners.insert(c, md.url.clone());
                }
                for t in set.tasks {
                    v.task_owners.insert(t, md.url.clone());
                }
            }
            out
        };
        let joined = self
            .member
            .join(&metadata, &mut leader)
            .await
            .map_err(|e| e.to_string())?;
        let a = &joined.assignment;
        info!(
            "Joined group at generation {} with protocol version {} and got assignment: leader={} leaderUrl={} offset={} assigned={:?} revoked={:?} delay={}",
            joined.generation, joined.protocol_version, a.leader, a.leader_url, a.config_offset, a.assigned, a.revoked, a.delay
        );
        h.worker.set_generation(joined.generation);
        // Java keeps every assignment it receives, a CONFIG_MISMATCH one included.
        self.last_assignment = Some(a.clone());
        if a.error == CONFIG_MISMATCH {
            h.configs.read_to_end().await.map_err(|e| e.to_string())?;
            return Ok(Outcome {
                rejoin_now: true,
                delay: None,
            });
        }
        if h.configs.snapshot().offset < a.config_offset {
            let sync = Duration::from_millis(h.settings().worker_sync_timeout_ms.max(0) as u64);
            match tokio::time::timeout(sync, h.configs.read_to_end()).await {
                Ok(Ok(())) if h.configs.snapshot().offset >= a.config_offset => {}
                _ => {
                    return Err(format!(
                        "could not read the config topic up to offset {} within {sync:?}",
                        a.config_offset
                    ))
                }
            }
        }
        let revoked = a.revoked_set();
        if !revoked.is_empty() {
            self.stop_work(&revoked).await;
        }
        if joined.protocol_version == 0 {
            self.owned = WorkSet::default();
        } else {
            self.owned.remove_all(&revoked);
        }
        // Updates for records this rebalance has read, judged against the work kept from
        // before it (newly assigned work starts below from the snapshot that has them).
        let (pending, lagged) = self.drain_updates();
        for update in &pending {
            self.on_config_update(update.clone()).await;
        }
        let assigned = a.assigned_set();
        self.owned.extend(&assigned);
        self.last_completed_generation = joined.generation;
        if let Some(r) = &metrics.rebalance {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            r.completed(joined.generation, began.elapsed(), now_ms);
        }
        let is_leader = joined.is_leader;
        let view = std::mem::take(&mut *view.lock().unwrap_or_else(|p| p.into_inner()));
        self.task_counts = match view.task_counts {
            Some(counts) if is_leader => counts,
            _ => h
                .configs
                .snapshot()
                .connectors
                .iter()
                .map(|(n, c)| (n.clone(), c.tasks.len()))
                .collect(),
        };
        h.update_membership(|m| {
            m.leader_url = Some(a.leader_url.clone());
            m.is_leader = is_leader;
            m.generation = joined.generation;
            m.protocol_version = joined.protocol_version;
            if is_leader {
                m.connector_owners = view.connector_owners;
                m.task_owners = view.task_owners;
            }
        });
        if is_leader {
            self.clean_removed_statuses();
        }
        if is_leader && joined.protocol_version >= 2 {
            self.ensure_session_key().await;
        }
        // The rebalance is over before work starts: starting a connector publishes its task
        // configs, which may need the leader (possibly this worker) to take requests.
        h.update_membership(|m| {
            m.rebalancing = false;
            m.ready = true;
        });
        // A drained record the assignment did not cover (the leader assigned from an older
        // snapshot) needs another round, as it would have outside a rebalance.
        let uncovered = lagged || pending.iter().any(|u| self.needs_rebalance(u));
        self.start_work(&assigned).await;
        Ok(Outcome {
            rejoin_now: !revoked.is_empty() || uncovered,
            delay: (a.delay > 0).then(|| Duration::from_millis(a.delay as u64)),
        })
    }

    /// As the leader after a rebalance (Java `updateDeletedConnectorStatus` and
    /// `updateDeletedTaskStatus`): tombstones the statuses of connectors no longer configured
    /// and of task ids no longer in their connector's config. Done once the rebalance is
    /// complete so the previous owners' UNASSIGNED writes are not racing it.
    fn clean_removed_statuses(&self) {
        let snap = self.herder.configs.snapshot();
        let status = &self.herder.worker.status;
        for connector in status.connectors() {
            let Some(c) = snap.connectors.get(&connector) else {
                debug!(%connector, "cleaning status information of a removed connector");
                status.delete_connector(&connector);
                continue;
            };
            for task in status.tasks(&connector).into_keys() {
                if task < 0 || task as usize >= c.tasks.len() {
                    let id = ConnectorTaskId {
                        connector: connector.clone(),
                        task,
                    };
                    debug!(task = %id, "cleaning status information of a removed task");
                    status.delete_task(&id);
                }
            }
        }
    }

    /// Starts task `t` with its configs from `c`, remembering them.
    fn start_task(&mut self, t: &TaskId, c: &ConnectorSnapshot) {
        let Some(tc) = c.tasks.get(t.task as usize) else {
            return;
        };
        match self.herder.worker.start_task(
            task_id(t),
            c.config.clone(),
            tc.clone(),
            c.target_state,
        ) {
            Ok(()) => {
                self.started
                    .insert(t.clone(), (c.config.clone(), tc.clone()));
            }
            Err(e) => warn!(task = %t, "task did not start: {e}"),
        }
    }

    /// Starts newly assigned connectors (then their task configs) and tasks.
    async fn start_work(&mut self, assigned: &WorkSet) {
        let h = self.herder.clone();
        let snap = h.configs.snapshot();
        for name in &assigned.connectors {
            let Some(c) = snap.connectors.get(name) else {
                continue;
            };
            if h.worker
                .start_connector(name, c.config.clone(), c.target_state)
                .await
                .is_ok()
            {
                spawn_reconcile(&h, name);
            }
        }
        for t in &assigned.tasks {
            if let Some(c) = snap.connectors.get(&t.connector) {
                self.start_task(t, c);
            }
        }
    }

    /// As leader of a `sessioned` group: writes a new session key when none exists or it
    /// expired (KIP-507).
    async fn ensure_session_key(&mut self) {
        let h = &self.herder;
        let ttl = h.settings().inter_worker_key_ttl_ms as i64;
        let current = h.configs.snapshot().session_key;
        if current
            .as_ref()
            .is_some_and(|k| k.creation_timestamp + ttl > now_ms())
        {
            return;
        }
        let mut key = vec![0u8; 32];
        // The operating system's CSPRNG (getrandom(2) on Linux, BCryptGenRandom on Windows),
        // as Java's `KeyGenerator` draws on `SecureRandom`.
        if let Err(e) = getrandom::getrandom(&mut key) {
            warn!("cannot generate a session key: {e}");
            return;
        }
        let key = SessionKey {
            key,
            algorithm: h.settings().inter_worker_key_generation_algorithm.clone(),
            creation_timestamp: now_ms(),
        };
        if let Err(e) = h.configs.put_session_key(&key).await {
            warn!("cannot write the session key: {e}");
        }
    }

    /// The queued config updates, and whether some were lost to lag.
    fn drain_updates(&mut self) -> (Vec<ConfigUpdate>, bool) {
        use tokio::sync::broadcast::error::TryRecvError;
        let mut pending = Vec::new();
        let mut lagged = false;
        loop {
            match self.updates.try_recv() {
                Ok(u) => pending.push(u),
                Err(TryRecvError::Lagged(_)) => lagged = true,
                Err(TryRecvError::Empty | TryRecvError::Closed) => return (pending, lagged),
            }
        }
    }
}
