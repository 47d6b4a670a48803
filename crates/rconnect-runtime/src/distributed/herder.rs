//! The distributed herder (Java `DistributedHerder`): workers share configs, offsets and
//! statuses through internal topics and split the work through the `connect` group.
//!
//! One task (the tick loop) owns the group membership and decides what runs here; REST
//! requests read the shared snapshot directly, and writes that only the leader may make are
//! forwarded to it over HTTP, as Java does (rest-api.md §3). Where Java answers 409 during a
//! rebalance, requests here first wait (up to [`REBALANCE_WAIT`]) for it to finish.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_config::WorkerConfig;
use rconnect_group::{
    eager_assign, AssignmentInput, ConnectAssignment, GroupMember, IncrementalCooperativeAssignor,
    LeaderContext, TaskId, WorkSet, WorkerMetadata, CONFIG_MISMATCH,
};
use rconnect_sdk::Props;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::applicable::ApplicableConfigs;
use super::forward::{self, join_url, ForwardError};
use super::signing;
use crate::config_store::{
    ConfigStore, ConfigUpdate, ConnectorSnapshot, RestartRequest, SessionKey,
};
use crate::herder::*;
use crate::herder_support;
use crate::status::Status;
use crate::validation;
use crate::worker::{ConnectorEvent, Worker};

/// How long a request waits for a rebalance in progress before Java's 409.
pub const REBALANCE_WAIT: Duration = Duration::from_secs(30);

/// The least time between a completed join and a rejoin this worker decides on by itself
/// (a new or removed connector, a changed task count, the follow-up after revocations, a
/// scheduled rebalance). Some coordinators, tansu among them, answer a follower's SyncGroup by
/// polling the group about once a second: a JoinGroup sent sooner moves the group on before
/// every follower has read its assignment, those followers rejoin, and with three or more
/// workers that can go on for tens of seconds (docs/tansu.md). Rejoins the coordinator asks
/// for are not delayed: the group is already rebalancing then.
pub const LOCAL_REJOIN_SPACING: Duration = Duration::from_secs(2);

/// What REST handlers read without going through the tick loop.
#[derive(Debug, Clone, Default)]
struct Membership {
    leader_url: Option<String>,
    is_leader: bool,
    generation: i32,
    protocol_version: i16,
    rebalancing: bool,
    ready: bool,
    /// Leader only: who runs each connector and task (their REST URLs).
    connector_owners: HashMap<String, String>,
    task_owners: HashMap<TaskId, String>,
}

/// A distributed worker's herder.
pub struct DistributedHerder {
    worker: Arc<Worker>,
    /// The config topic less the connectors whose names break the connector-name rule.
    configs: Arc<ApplicableConfigs>,
    config: Arc<WorkerConfig>,
    url: String,
    cluster_id: String,
    membership: Mutex<Membership>,
    /// Bumped whenever `membership` changes, so waiters wake.
    changed: watch::Sender<u64>,
    shutdown: Mutex<Option<oneshot::Sender<oneshot::Sender<()>>>>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn task_id(t: &TaskId) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: t.connector.clone(),
        task: t.task,
    }
}

impl DistributedHerder {
    /// Starts the herder's tick loop; the worker joins the group at once.
    pub fn start(
        worker: Arc<Worker>,
        events: mpsc::UnboundedReceiver<ConnectorEvent>,
        configs: Arc<dyn ConfigStore>,
        member: GroupMember,
        url: String,
        cluster_id: String,
    ) -> Arc<Self> {
        let config = worker.settings.config.clone();
        let (changed, _) = watch::channel(0);
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let h = Arc::new(DistributedHerder {
            worker,
            configs: Arc::new(ApplicableConfigs::new(configs)),
            config,
            url,
            cluster_id,
            membership: Mutex::new(Membership {
                rebalancing: true,
                ..Default::default()
            }),
            changed,
            shutdown: Mutex::new(Some(shutdown_tx)),
        });
        tokio::spawn(TickLoop::new(h.clone(), member).run(events, shutdown_rx));
        h
    }

    /// Stops all work here and leaves the group (a clean shutdown hands work over at once).
    pub async fn stop(&self) {
        let tx = self
            .shutdown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(tx) = tx {
            let (done_tx, done_rx) = oneshot::channel();
            if tx.send(done_tx).is_ok() {
                let _ = done_rx.await;
            }
        }
    }

    fn membership(&self) -> Membership {
        self.membership
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn update_membership(&self, f: impl FnOnce(&mut Membership)) {
        f(&mut self.membership.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.send_modify(|v| *v += 1);
    }

    fn settings(&self) -> &rconnect_config::DistributedSettings {
        self.config
            .distributed
            .as_ref()
            .expect("a distributed herder has distributed settings")
    }

    /// Waits for a rebalance in progress to finish, then Java's 409 if it does not.
    async fn stable(&self) -> HerderResult<Membership> {
        let mut rx = self.changed.subscribe();
        let deadline = Instant::now() + REBALANCE_WAIT;
        loop {
            let m = self.membership();
            if !m.rebalancing && m.leader_url.is_some() {
                return Ok(m);
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return Err(HerderError::Conflict("Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.".into()));
            }
        }
    }

    /// Waits until a completed rebalance names a leader other than `gone`; `None` at
    /// `deadline`. The new leader may be this worker: requests forwarded to it with
    /// `forward=true` are then served locally.
    async fn new_leader(&self, gone: &str, deadline: Instant) -> Option<String> {
        let mut rx = self.changed.subscribe();
        loop {
            let m = self.membership();
            if !m.rebalancing {
                if let Some(url) = m.leader_url.filter(|u| u != gone) {
                    return Some(url);
                }
            }
            tokio::time::timeout_at(deadline, rx.changed())
                .await
                .ok()?
                .ok()?;
        }
    }

    /// Alters (`Some`) or resets (`None`) a connector's offsets on the leader (Java
    /// `DistributedHerder.modifyConnectorOffsets`): 409 while a rebalance goes on,
    /// forwarded from other workers, then 404 and the STOPPED check.
    async fn modify_offsets(
        &self,
        name: &str,
        offsets: Option<Vec<OffsetChange>>,
    ) -> HerderResult<Message> {
        if let Some(leader) = self.leader_or_forward().await? {
            let (method, body) = match &offsets {
                Some(o) => ("PATCH", Some(json!({ "offsets": o }))),
                None => ("DELETE", None),
            };
            return self
                .forward_json::<Message>(
                    method,
                    &leader,
                    &format!("connectors/{name}/offsets?forward=true"),
                    body,
                )
                .await?
                .1
                .ok_or_else(|| HerderError::Internal("empty response from the leader".into()));
        }
        self.configs.read_to_end().await.map_err(|e| {
            warn!("cannot read the config topic to its end: {e}");
            HerderError::Internal(
                "Failed to read to end of config topic before modifying connector offsets".into(),
            )
        })?;
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        crate::offset_admin::check_stopped(name, c.target_state, c.tasks.len())?;
        crate::offset_admin::modify(&self.worker, name, &c.config, offsets).await
    }

    /// The leader URL if this worker is not the leader; `None` when it is.
    async fn leader_or_forward(&self) -> HerderResult<Option<String>> {
        let m = self.stable().await?;
        Ok(if m.is_leader { None } else { m.leader_url })
    }

    fn info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: c.config.clone(),
            tasks: (0..c.tasks.len() as i32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            connector_type: self.worker.connector_type(&c.config),
        })
    }

    fn state_info(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let connector_type = self
            .configs
            .snapshot()
            .connectors
            .get(name)
            .map(|c| self.worker.connector_type(&c.config))
            .unwrap_or(ConnectorType::Unknown);
        herder_support::connector_state(&self.worker, name, connector_type)
    }

    fn store_err(e: crate::config_store::ConfigStoreError) -> HerderError {
        HerderError::Internal(e.to_string())
    }

    /// Forwards a request to `base` and decodes a JSON answer.
    async fn forward_json<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        base: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> HerderResult<(u16, Option<T>)> {
        let body = body.map(|b| serde_json::to_vec(&b).expect("JSON value"));
        let deadline = Instant::now() + REBALANCE_WAIT;
        let mut base = base.to_string();
        let r = loop {
            let url = join_url(&base, path);
            debug!("forwarding {method} {path} to {url}");
            match forward::send(method, url, body.clone(), Vec::new()).await {
                Ok(r) => break r,
                // Java answers 500 at once when the leader does not answer. A leader that
                // died is replaced after a session timeout and a rebalance: wait for that (up
                // to the same bound as for a rebalance in progress) and ask the new one.
                Err(ForwardError::Unreachable(e))
                    if self.membership().leader_url.as_deref() == Some(base.as_str()) =>
                {
                    warn!("the leader at {base} did not answer ({e}); waiting for a new leader");
                    match self.new_leader(&base, deadline).await {
                        Some(leader) => base = leader,
                        None => {
                            return Err(HerderError::Internal(format!(
                                "IO Error trying to forward REST request: {e} (the leader at {base} did not answer, and no other leader was elected within {}s)",
                                REBALANCE_WAIT.as_secs()
                            )))
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        };
        if r.body.is_empty() {
            return Ok((r.status, None));
        }
        let parsed = serde_json::from_str(&r.body)
            .map_err(|e| HerderError::Internal(format!("bad response from {base}: {e}")))?;
        Ok((r.status, Some(parsed)))
    }

    /// Writes task configs as the leader, or sends them to the leader signed.
    async fn publish_task_configs(&self, name: &str, configs: Vec<Props>) -> HerderResult<()> {
        match self.leader_or_forward().await? {
            None => self
                .configs
                .put_task_configs(name, &configs)
                .await
                .map_err(Self::store_err),
            Some(leader) => {
                let body = serde_json::to_vec(&configs).expect("JSON of strings");
                let mut headers = Vec::new();
                let m = self.membership();
                if m.protocol_version >= 2 {
                    if let Some(key) = self.configs.snapshot().session_key {
                        let alg = &self.settings().inter_worker_signature_algorithm;
                        for (k, v) in signing::sign(&key, alg, &body)
                            .map_err(|e| HerderError::Internal(e.to_string()))?
                        {
                            headers.push((k.to_string(), v));
                        }
                    }
                }
                let url = join_url(&leader, &format!("connectors/{name}/tasks?forward=true"));
                forward::send("POST", url, Some(body), headers)
                    .await
                    .map(|_| ())
                    .map_err(HerderError::from)
            }
        }
    }

    /// As a connector's owner: regenerates its task configs and publishes them when they
    /// differ from the committed ones, or when the connector config changed since.
    async fn reconcile_tasks(&self, name: &str) {
        let snap = self.configs.snapshot();
        let Some(c) = snap.connectors.get(name) else {
            return;
        };
        if c.target_state != TargetState::Started {
            return;
        }
        let (max, enforce) = herder_support::max_tasks(&c.config);
        let generated = match self.worker.connector_task_configs(name, max, enforce).await {
            Ok(t) => t,
            Err(e) => {
                warn!(
                    connector = %name,
                    "failed to generate task configs: {}",
                    self.worker.redact(name, &e.to_string())
                );
                return;
            }
        };
        let changed =
            c.inconsistent || generated != c.tasks || c.applied_config.as_ref() != Some(&c.config);
        if !changed {
            return;
        }
        info!(connector = %name, "publishing {} task config(s)", generated.len());
        // Java retries forever with back-off (250 ms to 60 s).
        let mut backoff = Duration::from_millis(250);
        for _ in 0..12 {
            match self.publish_task_configs(name, generated.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    warn!(connector = %name, "failed to publish task configs, retrying in {backoff:?}: {e}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    fn signature_ok(
        &self,
        body: &[u8],
        signature: &(Option<String>, Option<String>),
    ) -> HerderResult<()> {
        if self.membership().protocol_version < 2 {
            return Ok(());
        }
        let key = self.configs.snapshot().session_key;
        signing::verify(
            key.as_ref(),
            &self.settings().inter_worker_verification_algorithms,
            signature.0.as_deref(),
            signature.1.as_deref(),
            body,
        )
        .map_err(|e| match e.status() {
            400 => HerderError::BadRequest(e.to_string()),
            503 => HerderError::Unavailable(e.to_string()),
            _ => HerderError::Forbidden(e.to_string()),
        })
    }
}

/// Regenerates a connector's task configs off the tick loop: publishing may forward to
/// the leader, which must stay free to answer.
fn spawn_reconcile(h: &Arc<DistributedHerder>, name: &str) {
    let h = h.clone();
    let name = name.to_string();
    // The data path's runtime, whatever runtime the caller is on.
    let runtime = h.worker.data_path().clone();
    runtime.spawn(async move { h.reconcile_tasks(&name).await });
}

/// The state of the tick loop: what this worker runs and its group membership.
struct TickLoop {
    herder: Arc<DistributedHerder>,
    member: GroupMember,
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
    fn new(herder: Arc<DistributedHerder>, member: GroupMember) -> Self {
        let delay = herder.settings().scheduled_rebalance_max_delay_ms;
        let updates = herder.configs.subscribe();
        TickLoop {
            updates,
            herder,
            member,
            assignor: IncrementalCooperativeAssignor::new(delay),
            owned: WorkSet::default(),
            last_assignment: None,
            last_completed_generation: -1,
            task_counts: HashMap::new(),
            started: HashMap::new(),
        }
    }

    async fn run(
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
                Some(at) if need_join && !urgent => Some(at + LOCAL_REJOIN_SPACING),
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

    /// Starts newly assigned connectors (then their task configs) and tasks.
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
    async fn ensure_session_key(&self) {
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
        if let Err(e) = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
        {
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

    /// Whether `update` changes the connectors or task counts the last assignment was made
    /// from (for the leader: what it assigned; for a follower: what it read).
    fn needs_rebalance(&self, update: &ConfigUpdate) -> bool {
        if self.herder.configs.concerns_skipped(update) {
            return false;
        }
        let snap = self.herder.configs.snapshot();
        match update {
            ConfigUpdate::ConnectorConfig(name) => {
                snap.connectors.contains_key(name) != self.task_counts.contains_key(name)
            }
            ConfigUpdate::TaskConfigs(name) => {
                snap.connectors.get(name).map(|c| c.tasks.len())
                    != self.task_counts.get(name).copied()
            }
            _ => false,
        }
    }

    /// Reacts to a config-topic record read while running; true when a rebalance is needed.
    async fn on_config_update(&mut self, update: ConfigUpdate) -> bool {
        if self.herder.configs.concerns_skipped(&update) {
            // Not in the snapshot: neither run here nor assigned, so nothing changes.
            return false;
        }
        let h = self.herder.clone();
        let snap = h.configs.snapshot();
        match update {
            ConfigUpdate::ConnectorConfig(name) => {
                let exists = snap.connectors.contains_key(&name);
                let was_known = self.task_counts.contains_key(&name);
                if exists && was_known && self.owned.connectors.contains(&name) {
                    // A reconfigured connector restarts on its owner, which regenerates tasks.
                    let c = &snap.connectors[&name];
                    h.worker.stop_connector(&name).await;
                    if h.worker
                        .start_connector(&name, c.config.clone(), c.target_state)
                        .await
                        .is_ok()
                    {
                        spawn_reconcile(&h, &name);
                    }
                }
                if !exists {
                    // Deleted: stop what runs here at once; the leader cleans statuses.
                    let mine = WorkSet {
                        connectors: self
                            .owned
                            .connectors
                            .iter()
                            .filter(|c| **c == name)
                            .cloned()
                            .collect(),
                        tasks: self
                            .owned
                            .tasks
                            .iter()
                            .filter(|t| t.connector == name)
                            .cloned()
                            .collect(),
                    };
                    if !mine.is_empty() {
                        self.stop_work(&mine).await;
                        self.owned.remove_all(&mine);
                    }
                    if h.membership().is_leader {
                        h.worker.status.delete_connector(&name);
                    }
                }
                exists != was_known
            }
            ConfigUpdate::TaskConfigs(name) => {
                // Restart the tasks running here whose configs changed; the leader hands out
                // (or takes back) tasks whose number changed in the next round.
                let Some(c) = snap.connectors.get(&name) else {
                    return true;
                };
                let count_changed = self.task_counts.get(&name) != Some(&c.tasks.len());
                let mine: Vec<TaskId> = self
                    .owned
                    .tasks
                    .iter()
                    .filter(|t| t.connector == name)
                    .cloned()
                    .collect();
                for t in mine {
                    let now = c
                        .tasks
                        .get(t.task as usize)
                        .map(|tc| (c.config.clone(), tc.clone()));
                    if now.is_some() && self.started.get(&t) == now.as_ref() {
                        continue;
                    }
                    let id = task_id(&t);
                    h.worker.stop_task(&id).await;
                    self.started.remove(&t);
                    if now.is_some() {
                        self.start_task(&t, c);
                    } else {
                        self.owned.tasks.remove(&t);
                        h.worker.status.delete_task(&id);
                    }
                }
                count_changed
            }
            ConfigUpdate::TargetState(name) => {
                let Some(c) = snap.connectors.get(&name) else {
                    return false;
                };
                let runs_here = self.owned.connectors.contains(&name)
                    || self.owned.tasks.iter().any(|t| t.connector == name);
                if runs_here {
                    if let Err(e) = h.worker.set_target_state(&name, c.target_state).await {
                        warn!(connector = %name, "cannot apply target state: {e}");
                    }
                    if c.target_state == TargetState::Started
                        && self.owned.connectors.contains(&name)
                    {
                        spawn_reconcile(&h, &name);
                    }
                }
                false
            }
            ConfigUpdate::Restart(req) => {
                self.restart(&req).await;
                false
            }
            ConfigUpdate::SessionKey => false,
        }
    }

    /// Applies a KIP-745 restart request to what runs here.
    async fn restart(&mut self, req: &RestartRequest) {
        let h = self.herder.clone();
        let snap = h.configs.snapshot();
        let Some(c) = snap.connectors.get(&req.connector) else {
            return;
        };
        let failed = |s: Option<Status>| s.map(|s| s.state == State::Failed).unwrap_or(false);
        // Java `DistributedHerder#doRestartConnectorAndTasks`: stop the connector and mark it
        // RESTARTING, stop the tasks and mark them RESTARTING, then start them all; the stops
        // themselves write UNASSIGNED first.
        let restart_connector = self.owned.connectors.contains(&req.connector)
            && (!req.only_failed || failed(h.worker.status.connector(&req.connector)));
        let tasks: Vec<TaskId> = if req.include_tasks {
            self.owned
                .tasks
                .iter()
                .filter(|t| t.connector == req.connector)
                .filter(|t| !req.only_failed || failed(h.worker.status.task(&task_id(t))))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if restart_connector {
            h.worker.stop_connector_to_restart(&req.connector).await;
            h.worker.connector_restarting(&req.connector);
        }
        let ids: Vec<ConnectorTaskId> = tasks.iter().map(task_id).collect();
        futures::future::join_all(ids.iter().map(|id| h.worker.stop_task_to_restart(id))).await;
        for id in &ids {
            h.worker.task_restarting(id);
        }
        if restart_connector {
            let _ = h
                .worker
                .start_connector(&req.connector, c.config.clone(), c.target_state)
                .await;
        }
        for t in &tasks {
            self.started.remove(t);
            self.start_task(t, c);
        }
    }
}

#[async_trait]
impl Herder for DistributedHerder {
    fn server_info(&self) -> ServerInfo {
        herder_support::server_info(&self.cluster_id)
    }

    async fn health(&self) -> (u16, WorkerStatus) {
        if self.membership().ready {
            herder_support::healthy()
        } else {
            herder_support::starting(" The worker is currently ensuring membership in the cluster.")
        }
    }

    async fn connectors(&self) -> Vec<String> {
        self.configs.snapshot().connectors.keys().cloned().collect()
    }

    async fn connector_info(&self, name: &str) -> HerderResult<ConnectorInfo> {
        self.info(name)
    }

    async fn connector_config(&self, name: &str) -> HerderResult<Props> {
        self.configs
            .snapshot()
            .connectors
            .get(name)
            .map(|c| c.config.clone())
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        initial_state: Option<TargetState>,
        allow_replace: bool,
    ) -> HerderResult<Created<ConnectorInfo>> {
        herder_support::check_name(name)?;
        let infos = herder_support::validate(&self.worker, &config).await?;
        if let Some(msg) = validation::invalid_message(&infos) {
            return Err(HerderError::BadRequest(msg));
        }
        if let Some(leader) = self.leader_or_forward().await? {
            let (status, info) = if allow_replace {
                self.forward_json::<ConnectorInfo>(
                    "PUT",
                    &leader,
                    &format!("connectors/{name}/config?forward=true"),
                    Some(json!(config)),
                )
                .await?
            } else {
                let state = initial_state.map(|s| match s {
                    TargetState::Started => "RUNNING",
                    TargetState::Paused => "PAUSED",
                    TargetState::Stopped => "STOPPED",
                });
                let mut body = json!({"name": name, "config": config});
                if let Some(s) = state {
                    body["initial_state"] = json!(s);
                }
                self.forward_json::<ConnectorInfo>(
                    "POST",
                    &leader,
                    "connectors?forward=true",
                    Some(body),
                )
                .await?
            };
            let info =
                info.ok_or_else(|| HerderError::Internal("empty response from the leader".into()))?;
            return Ok(Created {
                created: status == 201,
                result: info,
            });
        }
        let exists = self.configs.snapshot().connectors.contains_key(name);
        if exists && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let target = if exists { None } else { initial_state };
        self.configs
            .put_connector_config(name, &config, target)
            .await
            .map_err(Self::store_err)?;
        let mut info = self.info(name)?;
        if !exists {
            // Java answers a create before any task exists.
            info.tasks.clear();
        }
        Ok(Created {
            created: !exists,
            result: info,
        })
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> HerderResult<ConnectorInfo> {
        let config = herder_support::apply_patch(self.connector_config(name).await?, patch);
        Ok(self
            .put_connector_config(name, config, None, true)
            .await?
            .result)
    }

    async fn delete_connector(&self, name: &str) -> HerderResult<()> {
        if let Some(leader) = self.leader_or_forward().await? {
            return self
                .forward_json::<serde_json::Value>(
                    "DELETE",
                    &leader,
                    &format!("connectors/{name}?forward=true"),
                    None,
                )
                .await
                .map(|_| ());
        }
        // A connector left out for its name can still be deleted: that is how an operator
        // clears a record another writer (a Java worker) put in the topic.
        if !self.configs.snapshot().connectors.contains_key(name) && !self.configs.is_skipped(name)
        {
            return Err(HerderError::NotFound(format!("Connector {name} not found")));
        }
        self.configs
            .remove_connector_config(name)
            .await
            .map_err(Self::store_err)
    }

    async fn connector_status(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        self.state_info(name)
    }

    async fn task_status(&self, id: &ConnectorTaskId) -> HerderResult<TaskState> {
        herder_support::task_state(&self.worker, id)
    }

    async fn task_configs(&self, name: &str) -> HerderResult<Vec<TaskInfo>> {
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        Ok(c.tasks
            .iter()
            .enumerate()
            .map(|(i, t)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as i32,
                },
                config: t.clone(),
            })
            .collect())
    }

    async fn pause_connector(&self, name: &str) -> HerderResult<()> {
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_target_state(name, TargetState::Paused)
            .await
            .map_err(Self::store_err)
    }

    async fn resume_connector(&self, name: &str) -> HerderResult<()> {
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_target_state(name, TargetState::Started)
            .await
            .map_err(Self::store_err)
    }

    async fn stop_connector(&self, name: &str) -> HerderResult<()> {
        if let Some(leader) = self.leader_or_forward().await? {
            return self
                .forward_json::<serde_json::Value>(
                    "PUT",
                    &leader,
                    &format!("connectors/{name}/stop?forward=true"),
                    None,
                )
                .await
                .map(|_| ());
        }
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        }
        self.configs
            .put_task_configs(name, &[])
            .await
            .map_err(Self::store_err)?;
        self.configs
            .put_target_state(name, TargetState::Stopped)
            .await
            .map_err(Self::store_err)
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> HerderResult<Option<ConnectorStateInfo>> {
        let m = self.stable().await?;
        if !self.configs.snapshot().connectors.contains_key(name) {
            return Err(HerderError::NotFound(format!("Unknown connector: {name}")));
        }
        let query = format!("connectors/{name}/restart?forward=true&includeTasks={include_tasks}&onlyFailed={only_failed}");
        if !include_tasks && !only_failed {
            // Legacy restart: the connector's owner restarts it in place.
            if self.worker.connector_names().iter().any(|c| c == name) {
                let snap = self.configs.snapshot();
                let c = &snap.connectors[name];
                // Java's legacy restart: UNASSIGNED (the stop), then RUNNING.
                self.worker.stop_connector_to_restart(name).await;
                let _ = self
                    .worker
                    .start_connector(name, c.config.clone(), c.target_state)
                    .await;
                return Ok(None);
            }
            let target = if m.is_leader {
                m.connector_owners.get(name).cloned()
            } else {
                m.leader_url.clone()
            };
            let target = target.ok_or_else(|| HerderError::Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)".into()))?;
            return self
                .forward_json::<serde_json::Value>("POST", &target, &query, None)
                .await
                .map(|_| None);
        }
        if !m.is_leader {
            let leader = m.leader_url.clone().unwrap_or_default();
            return self
                .forward_json::<ConnectorStateInfo>("POST", &leader, &query, None)
                .await
                .map(|(_, info)| info);
        }
        let current = self
            .state_info(name)
            .map_err(|_| HerderError::NotFound(format!("Status for connector {name} not found")))?;
        let mut plan = current.clone();
        if !only_failed || current.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
        }
        for t in plan.tasks.iter_mut() {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
            }
        }
        self.configs
            .put_restart_request(&RestartRequest {
                connector: name.to_string(),
                include_tasks,
                only_failed,
            })
            .await
            .map_err(Self::store_err)?;
        Ok(Some(plan))
    }

    async fn restart_task(&self, id: &ConnectorTaskId) -> HerderResult<()> {
        let m = self.stable().await?;
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(&id.connector)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {}", id.connector)))?;
        let tc = c
            .tasks
            .get(id.task as usize)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown task: {id}")))?;
        if self.worker.task_ids().contains(id) {
            self.worker.stop_task_to_restart(id).await;
            return self
                .worker
                .start_task(id.clone(), c.config.clone(), tc.clone(), c.target_state)
                .map_err(|_| HerderError::Internal(format!("Failed to start task: {id}")));
        }
        let target = if m.is_leader {
            m.task_owners
                .get(&TaskId::new(id.connector.clone(), id.task))
                .cloned()
        } else {
            m.leader_url.clone()
        };
        let target = target.ok_or_else(|| HerderError::Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance)".into()))?;
        self.forward_json::<serde_json::Value>(
            "POST",
            &target,
            &format!(
                "connectors/{}/tasks/{}/restart?forward=true",
                id.connector, id.task
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        self.worker.plugins.plugin_infos(connectors_only)
    }

    fn plugin_config(&self, plugin: &str) -> HerderResult<Vec<ConfigKeyInfo>> {
        herder_support::plugin_config(&self.worker, plugin)
    }

    async fn validate_connector_config(&self, config: Props) -> HerderResult<ConfigInfos> {
        herder_support::validate(&self.worker, &config).await
    }

    async fn connector_offsets(&self, name: &str) -> HerderResult<ConnectorOffsets> {
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        crate::offset_admin::offsets(&self.worker, name, &c.config).await
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: Vec<OffsetChange>,
    ) -> HerderResult<Message> {
        crate::offset_admin::check_not_empty(&offsets)?;
        self.modify_offsets(name, Some(offsets)).await
    }

    async fn reset_connector_offsets(&self, name: &str) -> HerderResult<Message> {
        self.modify_offsets(name, None).await
    }

    async fn connector_active_topics(&self, name: &str) -> HerderResult<Vec<String>> {
        herder_support::active_topics(&self.worker, name)
    }

    async fn reset_connector_active_topics(&self, name: &str) -> HerderResult<()> {
        herder_support::reset_active_topics(&self.worker, name)
    }

    async fn put_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
        body: &[u8],
        signature: (Option<String>, Option<String>),
    ) -> HerderResult<()> {
        self.signature_ok(body, &signature)?;
        if let Some(leader) = self.leader_or_forward().await? {
            let url = join_url(&leader, &format!("connectors/{name}/tasks?forward=true"));
            return forward::send("POST", url, Some(body.to_vec()), Vec::new())
                .await
                .map(|_| ())
                .map_err(HerderError::from);
        }
        let snap = self.configs.snapshot();
        let c = snap
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        if c.target_state == TargetState::Stopped && !configs.is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Cannot submit non-empty set of task configs for stopped connector {name}"
            )));
        }
        self.configs
            .put_task_configs(name, &configs)
            .await
            .map_err(Self::store_err)
    }
}
