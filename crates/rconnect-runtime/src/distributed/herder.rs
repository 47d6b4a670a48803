//! The distributed herder (Java `DistributedHerder`): workers share configs, offsets and
//! statuses through internal topics and split the work through the `connect` group.
//!
//! One task (the membership loop, [`super::membership`]) owns the group membership and
//! decides what runs here; REST requests ([`super::rest`]) read the shared snapshot directly,
//! and writes that only the leader may make are forwarded to it over HTTP, as Java does
//! (`DistributedHerder#forwardRequest`). Where Java answers 409 during a rebalance, requests
//! here first wait (up to [`REBALANCE_WAIT`]) for it to finish.
//!
//! This module holds what both sides share: the membership view, forwarding to the leader
//! and the publication of task configs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_config::WorkerConfig;
use rconnect_group::TaskId;
use rconnect_sdk::Props;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::applicable::ApplicableConfigs;
use super::coordinator::Coordinator;
use super::forward::{self, join_url, ForwardError};
use super::membership::TickLoop;
pub use super::membership::LOCAL_REJOIN_SPACING;
use super::signing;
use crate::config_store::ConfigStore;
use crate::herder::*;
use crate::herder_support;
use crate::worker::{ConnectorEvent, Worker};

/// How long a request waits for a rebalance in progress before Java's 409.
pub const REBALANCE_WAIT: Duration = Duration::from_secs(30);

/// What REST handlers read without going through the tick loop.
#[derive(Debug, Clone, Default)]
pub(super) struct Membership {
    pub(super) leader_url: Option<String>,
    pub(super) is_leader: bool,
    pub(super) generation: i32,
    pub(super) protocol_version: i16,
    pub(super) rebalancing: bool,
    pub(super) ready: bool,
    /// Leader only: who runs each connector and task (their REST URLs).
    pub(super) connector_owners: HashMap<String, String>,
    pub(super) task_owners: HashMap<TaskId, String>,
}

/// A distributed worker's herder.
pub struct DistributedHerder {
    pub(super) worker: Arc<Worker>,
    /// The config topic less the connectors whose names break the connector-name rule.
    pub(super) configs: Arc<ApplicableConfigs>,
    config: Arc<WorkerConfig>,
    pub(super) url: String,
    pub(super) cluster_id: String,
    membership: Mutex<Membership>,
    /// Cluster-wide log levels read from the config topic, for the REST layer to apply.
    pub(super) logger_levels: tokio::sync::broadcast::Sender<(String, String)>,
    /// Bumped whenever `membership` changes, so waiters wake.
    changed: watch::Sender<u64>,
    shutdown: Mutex<Option<oneshot::Sender<oneshot::Sender<()>>>>,
}

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn task_id(t: &TaskId) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: t.connector.clone(),
        task: t.task,
    }
}

impl DistributedHerder {
    /// Starts the herder's membership loop; the worker joins the group at once through
    /// `member` ([`rconnect_group::GroupMember`] in a running worker).
    pub fn start(
        worker: Arc<Worker>,
        events: mpsc::UnboundedReceiver<ConnectorEvent>,
        configs: Arc<dyn ConfigStore>,
        member: impl Coordinator,
        url: String,
        cluster_id: String,
    ) -> Arc<Self> {
        Self::start_with(
            worker,
            events,
            configs,
            Box::new(member),
            url,
            cluster_id,
            LOCAL_REJOIN_SPACING,
        )
    }

    /// [`Self::start`] with the least time between rejoins this worker decides on.
    pub(super) fn start_with(
        worker: Arc<Worker>,
        events: mpsc::UnboundedReceiver<ConnectorEvent>,
        configs: Arc<dyn ConfigStore>,
        member: Box<dyn Coordinator>,
        url: String,
        cluster_id: String,
        spacing: Duration,
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
            logger_levels: tokio::sync::broadcast::channel(64).0,
            shutdown: Mutex::new(Some(shutdown_tx)),
        });
        tokio::spawn(TickLoop::new(h.clone(), member, spacing).run(events, shutdown_rx));
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

    pub(super) fn membership(&self) -> Membership {
        self.membership
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn update_membership(&self, f: impl FnOnce(&mut Membership)) {
        f(&mut self.membership.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.send_modify(|v| *v += 1);
    }

    pub(super) fn settings(&self) -> &rconnect_config::DistributedSettings {
        self.config
            .distributed
            .as_ref()
            .expect("a distributed herder has distributed settings")
    }

    /// Waits for a rebalance in progress to finish, then Java's 409 if it does not.
    pub(super) async fn stable(&self) -> HerderResult<Membership> {
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
    pub(super) async fn modify_offsets(
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
    pub(super) async fn leader_or_forward(&self) -> HerderResult<Option<String>> {
        let m = self.stable().await?;
        Ok(if m.is_leader { None } else { m.leader_url })
    }

    pub(super) fn info(&self, name: &str) -> HerderResult<ConnectorInfo> {
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

    pub(super) fn state_info(&self, name: &str) -> HerderResult<ConnectorStateInfo> {
        let connector_type = self
            .configs
            .snapshot()
            .connectors
            .get(name)
            .map(|c| self.worker.connector_type(&c.config))
            .unwrap_or(ConnectorType::Unknown);
        herder_support::connector_state(&self.worker, name, connector_type)
    }

    pub(super) fn store_err(e: crate::config_store::ConfigStoreError) -> HerderError {
        HerderError::Internal(e.to_string())
    }

    /// Forwards a request to `base` and decodes a JSON answer.
    pub(super) async fn forward_json<T: serde::de::DeserializeOwned>(
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
    pub(super) async fn publish_task_configs(
        &self,
        name: &str,
        configs: Vec<Props>,
    ) -> HerderResult<()> {
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
    pub(super) async fn reconcile_tasks(&self, name: &str) {
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

    pub(super) fn signature_ok(
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
pub(super) fn spawn_reconcile(h: &Arc<DistributedHerder>, name: &str) {
    let h = h.clone();
    let name = name.to_string();
    // The data path's runtime, whatever runtime the caller is on.
    let runtime = h.worker.data_path().clone();
    runtime.spawn(async move { h.reconcile_tasks(&name).await });
}
