//! A member of a Connect group over the classic Kafka group protocol (spec `internals.md`
//! §5.1–§5.2): FindCoordinator → JoinGroup → SyncGroup, then Heartbeat from a background task
//! until the next join, and LeaveGroup on clean shutdown.
//!
//! Usage from a herder loop:
//! ```no_run
//! # use std::collections::BTreeMap;
//! # use rconnect_group::*;
//! # async fn f() -> Result<(), GroupError> {
//! let mut member = GroupMember::new(GroupConfig {
//!     bootstrap_servers: vec!["127.0.0.1:9092".into()],
//!     group_id: "connect-cluster".into(),
//!     ..GroupConfig::default()
//! });
//! let mut assignor = IncrementalCooperativeAssignor::new(300_000);
//! let metadata = WorkerMetadata { version: 2, url: "http://w1:8083/".into(),
//!                                 config_offset: -1, allocation: None };
//! let joined = member
//!     .join(&metadata, &mut |ctx: &LeaderContext| {
//!         assignor.assign(&AssignmentInput {
//!             leader_id: ctx.leader_id.clone(),
//!             generation: ctx.generation,
//!             last_completed_generation: ctx.last_completed_generation,
//!             protocol_version: ctx.protocol_version,
//!             members: ctx.members.clone(),
//!             connectors: BTreeMap::new(),
//!             leader_config_offset: -1,
//!             now_ms: 0,
//!         })
//!     })
//!     .await?;
//! let mut rejoin = member.rejoin_needed();
//! // ... start joined.assignment, then wait for `rejoin.changed()` or a config change ...
//! member.leave().await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::find_coordinator_response::FindCoordinatorResponse;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::conn::Connection;
use crate::protocol::{ConnectAssignment, ProtocolError, WorkerMetadata};

/// The group's `protocol_type` for Connect workers.
pub const PROTOCOL_TYPE: &str = "connect";

/// `connect.protocol`: which sub-protocols this worker offers (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectProtocol {
    /// `eager`: offers `default` (V0) only.
    Eager,
    /// `compatible`: offers `compatible` (V1), `default` (V0).
    Compatible,
    /// `sessioned` (the default): offers `sessioned` (V2), `compatible` (V1), `default` (V0).
    #[default]
    Sessioned,
}

impl ConnectProtocol {
    /// Parses a `connect.protocol` value (case-insensitive, as Java does).
    pub fn parse(value: &str) -> Result<ConnectProtocol, GroupError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "eager" => Ok(ConnectProtocol::Eager),
            "compatible" => Ok(ConnectProtocol::Compatible),
            "sessioned" => Ok(ConnectProtocol::Sessioned),
            _ => Err(GroupError::InvalidProtocol(value.to_string())),
        }
    }

    /// The JoinGroup protocols offered, in preference order, with their versions.
    pub fn offered(self) -> &'static [(&'static str, i16)] {
        match self {
            ConnectProtocol::Eager => &[("default", 0)],
            ConnectProtocol::Compatible => &[("compatible", 1), ("default", 0)],
            ConnectProtocol::Sessioned => &[("sessioned", 2), ("compatible", 1), ("default", 0)],
        }
    }
}

/// The protocol version of a sub-protocol name chosen by the broker (`default`→0,
/// `compatible`→1, `sessioned`→2).
pub fn protocol_version(name: &str) -> Option<i16> {
    match name {
        "default" => Some(0),
        "compatible" => Some(1),
        "sessioned" => Some(2),
        _ => None,
    }
}

/// Settings of a [`GroupMember`]; the defaults are Java's worker defaults.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `bootstrap.servers` as `host:port` entries (a `PLAINTEXT://` prefix is accepted).
    pub bootstrap_servers: Vec<String>,
    /// `group.id`.
    pub group_id: String,
    /// `client.id` sent in request headers.
    pub client_id: String,
    /// `session.timeout.ms` (10 s).
    pub session_timeout: Duration,
    /// `rebalance.timeout.ms` (60 s).
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms` (3 s).
    pub heartbeat_interval: Duration,
    /// `connect.protocol`.
    pub protocol: ConnectProtocol,
    /// `retry.backoff.ms` (100 ms): first back-off after a retriable failure, doubled per
    /// consecutive failure up to `retry_backoff_max`.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms` (1 s).
    pub retry_backoff_max: Duration,
    /// `request.timeout.ms` (40 s). JoinGroup waits up to `rebalance_timeout + 5 s` instead,
    /// as the broker holds it for the whole rebalance.
    pub request_timeout: Duration,
    /// TLS and SASL (`security.protocol`); PLAINTEXT by default.
    pub security: crate::Security,
}

impl Default for GroupConfig {
    fn default() -> GroupConfig {
        GroupConfig {
            bootstrap_servers: Vec::new(),
            group_id: String::new(),
            client_id: "rconnect".into(),
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(3),
            protocol: ConnectProtocol::Sessioned,
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_secs(1),
            request_timeout: Duration::from_secs(40),
            security: crate::Security::default(),
        }
    }
}

/// What the leader's assignment callback sees.
#[derive(Debug, Clone)]
pub struct LeaderContext {
    /// The generation being assigned.
    pub generation: i32,
    /// The leader's (this member's) id.
    pub leader_id: String,
    /// Generation of this member's last successful join, `-1` if none (for
    /// [`crate::IncrementalCooperativeAssignor`]).
    pub last_completed_generation: i32,
    /// The sub-protocol the broker chose (`default`, `compatible`, `sessioned`).
    pub protocol_name: String,
    /// Its version (0, 1, 2).
    pub protocol_version: i16,
    /// Every member's metadata for the chosen protocol, by member id.
    pub members: BTreeMap<String, WorkerMetadata>,
}

/// The outcome of a completed join (JoinGroup + SyncGroup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The group generation (tansu starts at 0, Kafka at 1).
    pub generation: i32,
    /// This member's id.
    pub member_id: String,
    /// The leader's member id, as the broker reported it.
    pub leader_id: String,
    /// Chosen sub-protocol version (0 eager, 1 compatible, 2 sessioned).
    pub protocol_version: i16,
    /// This member's assignment from the leader.
    pub assignment: ConnectAssignment,
    /// True when this member computed the assignments.
    pub is_leader: bool,
}

/// Why the background heartbeat asks the member to rejoin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejoinReason {
    /// `REBALANCE_IN_PROGRESS`: another member joined or left.
    Rebalance,
    /// `ILLEGAL_GENERATION`: the group moved on to another generation.
    IllegalGeneration,
    /// `UNKNOWN_MEMBER_ID` / `FENCED_INSTANCE_ID`: the coordinator expired this member; the
    /// next join starts with a fresh member id.
    UnknownMember,
    /// No successful heartbeat for a whole session timeout (coordinator unreachable): the
    /// member has most likely been expired and should stop its work.
    CoordinatorLost,
}

/// Errors of the group member. Retriable broker errors are retried inside
/// [`GroupMember::join`] until its deadline; what comes out is final for that call.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// A `connect.protocol` value other than eager/compatible/sessioned.
    #[error("connect.protocol: invalid value `{0}` (expected eager, compatible or sessioned)")]
    InvalidProtocol(String),
    /// `bootstrap.servers` is empty.
    #[error("bootstrap.servers is empty")]
    NoBootstrapServers,
    /// A socket error.
    #[error("broker {broker}: {source}")]
    Io {
        /// `host:port`.
        broker: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No answer in time.
    #[error("broker {broker}: {api} timed out")]
    Timeout {
        /// `host:port`.
        broker: String,
        /// The API called.
        api: &'static str,
    },
    /// A request could not be encoded (a bug: not retried).
    #[error("cannot encode {api} request: {message}")]
    Encode {
        /// The API.
        api: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A response could not be decoded.
    #[error("broker {broker}: {api}: {message}")]
    Codec {
        /// `host:port`.
        broker: String,
        /// The API called.
        api: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The broker does not support a usable version of an API.
    #[error("broker {broker} does not support a usable version of {api}")]
    UnsupportedApi {
        /// `host:port`.
        broker: String,
        /// The API.
        api: &'static str,
    },
    /// A Kafka error code that is not retried.
    #[error("broker {broker}: {api} failed: {error}")]
    Kafka {
        /// `host:port`.
        broker: String,
        /// The API called.
        api: &'static str,
        /// The error code.
        error: ResponseError,
    },
    /// The broker chose a protocol this member did not offer (a broker bug; tansu 0.6 does
    /// this in groups whose members offer different protocol lists).
    #[error("group coordinator chose unknown protocol `{0}`")]
    UnexpectedProtocol(String),
    /// A member's JoinGroup metadata could not be parsed (leader only).
    #[error("metadata of member {member}: {source}")]
    Metadata {
        /// The member id.
        member: String,
        /// The parse error.
        #[source]
        source: ProtocolError,
    },
    /// As leader, the assignment computed for a member could not be encoded (the assignors
    /// leave out what cannot be, so this is a bug; nothing is sent truncated).
    #[error("cannot encode the assignment of member {member}: {source}")]
    EncodeAssignment {
        /// The member id.
        member: String,
        /// The encoding error.
        #[source]
        source: ProtocolError,
    },
    /// This member's SyncGroup assignment could not be parsed.
    #[error("assignment from the leader: {0}")]
    Assignment(#[source] ProtocolError),
    /// The TLS handshake failed (an untrusted or mismatched certificate, or a plaintext
    /// port): not retried.
    #[error("broker {broker}: TLS handshake failed: {message}")]
    Tls {
        /// `host:port`.
        broker: String,
        /// What rustls reported.
        message: String,
    },
    /// SASL authentication failed (wrong credentials, mechanism not enabled): not retried.
    #[error("broker {broker}: SASL authentication failed: {message}")]
    Authentication {
        /// `host:port`.
        broker: String,
        /// The broker's message.
        message: String,
    },
    /// Retriable failures went on past the join deadline.
    #[error("gave up joining group `{group}` after {elapsed:?}: {last}")]
    GaveUp {
        /// `group.id`.
        group: String,
        /// Time spent.
        elapsed: Duration,
        /// The last failure.
        #[source]
        last: Box<GroupError>,
    },
}

impl GroupError {
    pub(crate) fn from_code(api: &'static str, code: i16, broker: &str) -> GroupError {
        GroupError::Kafka {
            broker: broker.to_string(),
            api,
            error: ResponseError::try_from_code(code).unwrap_or(ResponseError::Unknown(code)),
        }
    }

    /// True for socket-level failures (the connection should be dropped).
    fn is_connection_error(&self) -> bool {
        matches!(
            self,
            GroupError::Io { .. } | GroupError::Timeout { .. } | GroupError::Codec { .. }
        )
    }

    fn kafka_error(&self) -> Option<ResponseError> {
        match self {
            GroupError::Kafka { error, .. } => Some(*error),
            _ => None,
        }
    }
}

/// Coordinator errors that mean "find the coordinator again".
fn is_coordinator_error(error: ResponseError) -> bool {
    matches!(
        error,
        ResponseError::NotCoordinator
            | ResponseError::CoordinatorNotAvailable
            | ResponseError::CoordinatorLoadInProgress
    )
}

pub(crate) fn strip_scheme(server: &str) -> &str {
    server
        .trim()
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(server.trim())
}

/// Exponential back-off between retries.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(config: &GroupConfig) -> Backoff {
        Backoff {
            next: config.retry_backoff,
            max: config.retry_backoff_max.max(config.retry_backoff),
        }
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }
}

/// Finds the group coordinator through the bootstrap servers (or `via`, when given) and
/// connects to it.
async fn connect_coordinator(
    config: &GroupConfig,
    timeout: Duration,
) -> Result<Connection, GroupError> {
    if config.bootstrap_servers.is_empty() {
        return Err(GroupError::NoBootstrapServers);
    }
    let mut last = None;
    for server in &config.bootstrap_servers {
        let addr = strip_scheme(server);
        match find_coordinator(config, addr, timeout).await {
            Ok(conn) => return Ok(conn),
            Err(e) => {
                debug!(broker = addr, error = %e, "coordinator lookup failed");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or(GroupError::NoBootstrapServers))
}

async fn find_coordinator(
    config: &GroupConfig,
    addr: &str,
    timeout: Duration,
) -> Result<Connection, GroupError> {
    let mut conn = Connection::connect(addr, &config.client_id, timeout, &config.security).await?;
    let key = StrBytes::from_string(config.group_id.clone());
    let (response, version): (FindCoordinatorResponse, i16) = conn
        .send(6, timeout, |version| {
            let request = FindCoordinatorRequest::default();
            if version >= 4 {
                request.with_coordinator_keys(vec![key])
            } else {
                request.with_key(key)
            }
        })
        .await?;
    let (code, host, port) = if version >= 4 {
        let c = response
            .coordinators
            .first()
            .ok_or_else(|| GroupError::Codec {
                broker: addr.to_string(),
                api: "FindCoordinator",
                message: "empty coordinators list".into(),
            })?;
        (c.error_code, c.host.to_string(), c.port)
    } else {
        (
            response.error_code,
            response.host.to_string(),
            response.port,
        )
    };
    if code != 0 {
        return Err(GroupError::from_code("FindCoordinator", code, addr));
    }
    let coordinator = format!("{host}:{port}");
    debug!(group = %config.group_id, %coordinator, "found group coordinator");
    if coordinator == conn.addr() {
        return Ok(conn);
    }
    Connection::connect(&coordinator, &config.client_id, timeout, &config.security).await
}

/// A Connect group member. Not shareable between tasks; the heartbeat runs on its own tokio
/// task (with its own coordinator connection) between [`join`](Self::join)s.
pub struct GroupMember {
    config: GroupConfig,
    coordinator: Option<Connection>,
    member_id: String,
    generation: i32,
    last_completed_generation: i32,
    rejoin: Arc<watch::Sender<Option<RejoinReason>>>,
    heartbeat: Option<JoinHandle<()>>,
}

impl fmt::Debug for GroupMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupMember")
            .field("group_id", &self.config.group_id)
            .field("member_id", &self.member_id)
            .field("generation", &self.generation)
            .finish()
    }
}

impl GroupMember {
    /// A member that has not joined yet (no I/O happens here).
    pub fn new(config: GroupConfig) -> GroupMember {
        let (tx, _) = watch::channel(None);
        GroupMember {
            config,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            last_completed_generation: -1,
            rejoin: Arc::new(tx),
            heartbeat: None,
        }
    }

    /// The member id from the last join ("" before the first).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The generation of the last completed join, `-1` if none.
    pub fn last_completed_generation(&self) -> i32 {
        self.last_completed_generation
    }

    /// The configuration.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// A receiver that turns `Some(reason)` when the background heartbeat learns that this
    /// member must rejoin. Reset to `None` at the start of every [`join`](Self::join).
    pub fn rejoin_needed(&self) -> watch::Receiver<Option<RejoinReason>> {
        self.rejoin.subscribe()
    }

    /// Joins (or rejoins) the group and returns this member's assignment.
    ///
    /// `metadata` is sent once per offered sub-protocol with its `version` overwritten
    /// (2/1/0; V0 drops the allocation). If the broker makes this member the leader, `leader`
    /// is called with every member's metadata and must return one assignment per member; the
    /// member stamps them with the chosen protocol version before sending. The callback may be
    /// called more than once if a round fails and is retried.
    ///
    /// Heartbeats stop for the duration of the call and resume after a successful join.
    /// Retriable errors (coordinator moves, `MEMBER_ID_REQUIRED`, `REBALANCE_IN_PROGRESS`,
    /// `UNKNOWN_MEMBER_ID`, `ILLEGAL_GENERATION`, lost connections) are retried with
    /// back-off until `rebalance_timeout + session_timeout` has passed.
    pub async fn join(
        &mut self,
        metadata: &WorkerMetadata,
        leader: &mut (dyn FnMut(&LeaderContext) -> BTreeMap<String, ConnectAssignment> + Send),
    ) -> Result<Joined, GroupError> {
        let previous = *self.rejoin.borrow();
        self.stop_heartbeat().await;
        if previous == Some(RejoinReason::UnknownMember) {
            self.member_id.clear();
        }
        self.rejoin.send_replace(None);

        let protocols = self.protocols(metadata)?;
        let started = Instant::now();
        let deadline = started + self.config.rebalance_timeout + self.config.session_timeout;
        let mut backoff = Backoff::new(&self.config);
        loop {
            match self.join_once(&protocols, leader).await {
                Ok(joined) => {
                    info!(
                        group = %self.config.group_id,
                        member = %joined.member_id,
                        generation = joined.generation,
                        leader = joined.is_leader,
                        protocol = joined.protocol_version,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "joined group"
                    );
                    self.last_completed_generation = joined.generation;
                    self.start_heartbeat();
                    return Ok(joined);
                }
                Err(Retry::Now(reason)) => {
                    debug!(group = %self.config.group_id, %reason, "rejoining at once");
                    if Instant::now() >= deadline {
                        return Err(self.gave_up(started, reason));
                    }
                }
                Err(Retry::After(error)) => {
                    if Instant::now() >= deadline {
                        return Err(self.gave_up(started, error));
                    }
                    warn!(group = %self.config.group_id, %error, "join failed; retrying");
                    backoff.wait().await;
                }
                Err(Retry::Fatal(error)) => return Err(error),
            }
        }
    }

    fn gave_up(&self, started: Instant, last: GroupError) -> GroupError {
        GroupError::GaveUp {
            group: self.config.group_id.clone(),
            elapsed: started.elapsed(),
            last: Box::new(last),
        }
    }

    fn protocols(
        &self,
        metadata: &WorkerMetadata,
    ) -> Result<Vec<JoinGroupRequestProtocol>, GroupError> {
        self.config
            .protocol
            .offered()
            .iter()
            .map(|(name, version)| {
                let mut md = metadata.clone();
                md.version = *version;
                let bytes = md.encode().map_err(|source| GroupError::Metadata {
                    member: "self".into(),
                    source,
                })?;
                Ok(JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(name))
                    .with_metadata(Bytes::from(bytes)))
            })
            .collect()
    }

    /// Makes sure a coordinator connection exists.
    async fn coordinator(&mut self) -> Result<&mut Connection, Retry> {
        if self.coordinator.as_ref().is_some_and(|c| !c.in_sync()) {
            // A join cancelled mid-request (shutdown) leaves its response on the socket: a
            // LeaveGroup sent there read it ("correlation id 8 does not match request 9").
            debug!(group = %self.config.group_id, "replacing a coordinator connection with an unanswered request");
            self.coordinator = None;
        }
        if self.coordinator.is_none() {
            let conn = connect_coordinator(&self.config, self.config.request_timeout)
                .await
                .map_err(Retry::classify)?;
            self.coordinator = Some(conn);
        }
        self.coordinator
            .as_mut()
            .ok_or(Retry::After(GroupError::NoBootstrapServers))
    }

    /// Drops the coordinator connection after errors that mean it moved or broke.
    fn check_coordinator(&mut self, retry: &Retry) {
        let drop_it = match retry {
            Retry::After(e) | Retry::Now(e) | Retry::Fatal(e) => {
                e.is_connection_error() || e.kafka_error().is_some_and(is_coordinator_error)
            }
        };
        if drop_it {
            self.coordinator = None;
        }
    }

    async fn join_once(
        &mut self,
        protocols: &[JoinGroupRequestProtocol],
        leader: &mut (dyn FnMut(&LeaderContext) -> BTreeMap<String, ConnectAssignment> + Send),
    ) -> Result<Joined, Retry> {
        let result = self.join_and_sync(protocols, leader).await;
        if let Err(retry) = &result {
            self.check_coordinator(retry);
        }
        result
    }

    async fn join_and_sync(
        &mut self,
        protocols: &[JoinGroupRequestProtocol],
        leader: &mut (dyn FnMut(&LeaderContext) -> BTreeMap<String, ConnectAssignment> + Send),
    ) -> Result<Joined, Retry> {
        let group = GroupId(StrBytes::from_string(self.config.group_id.clone()));
        let join_timeout = self
            .config
            .request_timeout
            .max(self.config.rebalance_timeout + Duration::from_secs(5));
        let request = JoinGroupRequest::default()
            .with_group_id(group.clone())
            .with_session_timeout_ms(millis(self.config.session_timeout))
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
            .with_protocols(protocols.to_vec());
        let rebalance_timeout = millis(self.config.rebalance_timeout);
        let conn = self.coordinator().await?;
        let broker = conn.addr().to_string();
        let (response, _) = conn
            .send(i16::MAX, join_timeout, |version| {
                if version >= 1 {
                    request.with_rebalance_timeout_ms(rebalance_timeout)
                } else {
                    request
                }
            })
            .await
            .map_err(Retry::classify)?;
        if response.error_code != 0 {
            let error = GroupError::from_code("JoinGroup", response.error_code, &broker);
            return Err(match error.kafka_error() {
                Some(ResponseError::MemberIdRequired) => {
                    self.member_id = response.member_id.to_string();
                    Retry::Now(error)
                }
                Some(ResponseError::UnknownMemberId) => {
                    self.member_id.clear();
                    Retry::Now(error)
                }
                Some(ResponseError::RebalanceInProgress) => Retry::Now(error),
                _ => Retry::classify(error),
            });
        }
        self.member_id = response.member_id.to_string();
        self.generation = response.generation_id;
        let protocol_name = response
            .protocol_name
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        // Only a protocol this member offered is acceptable (tansu 0.6 sometimes picks one that
        // not every member offered).
        let protocol_version = self
            .config
            .protocol
            .offered()
            .iter()
            .find(|(name, _)| *name == protocol_name)
            .map(|(_, version)| *version)
            .ok_or_else(|| Retry::Fatal(GroupError::UnexpectedProtocol(protocol_name.clone())))?;
        let leader_id = response.leader.to_string();
        let is_leader = leader_id == self.member_id;
        debug!(
            group = %self.config.group_id,
            member = %self.member_id,
            generation = self.generation,
            %leader_id,
            protocol = %protocol_name,
            members = response.members.len(),
            "JoinGroup completed"
        );

        let mut assignments = Vec::new();
        if is_leader {
            let mut members = BTreeMap::new();
            for m in &response.members {
                let md = WorkerMetadata::decode(&m.metadata).map_err(|source| {
                    Retry::Fatal(GroupError::Metadata {
                        member: m.member_id.to_string(),
                        source,
                    })
                })?;
                members.insert(m.member_id.to_string(), md);
            }
            let ctx = LeaderContext {
                generation: self.generation,
                leader_id: leader_id.clone(),
                last_completed_generation: self.last_completed_generation,
                protocol_name: protocol_name.clone(),
                protocol_version,
                members,
            };
            for (member, mut assignment) in leader(&ctx) {
                assignment.version = protocol_version;
                let bytes = assignment.encode().map_err(|source| {
                    Retry::Fatal(GroupError::EncodeAssignment {
                        member: member.clone(),
                        source,
                    })
                })?;
                assignments.push(
                    SyncGroupRequestAssignment::default()
                        .with_member_id(StrBytes::from_string(member))
                        .with_assignment(Bytes::from(bytes)),
                );
            }
        }

        let request = SyncGroupRequest::default()
            .with_group_id(group)
            .with_generation_id(self.generation)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_assignments(assignments);
        let timeout = self.config.request_timeout;
        let conn = self.coordinator().await?;
        let (response, _) = conn
            .send(i16::MAX, timeout, |version| {
                if version >= 5 {
                    request
                        .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
                        .with_protocol_name(Some(StrBytes::from_string(protocol_name)))
                } else {
                    request
                }
            })
            .await
            .map_err(Retry::classify)?;
        if response.error_code != 0 {
            let error = GroupError::from_code("SyncGroup", response.error_code, &broker);
            return Err(match error.kafka_error() {
                Some(ResponseError::UnknownMemberId) => {
                    self.member_id.clear();
                    Retry::Now(error)
                }
                Some(ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration) => {
                    Retry::Now(error)
                }
                _ => Retry::classify(error),
            });
        }
        let assignment = ConnectAssignment::decode(&response.assignment)
            .map_err(|e| Retry::Fatal(GroupError::Assignment(e)))?;
        Ok(Joined {
            generation: self.generation,
            member_id: self.member_id.clone(),
            leader_id,
            protocol_version,
            assignment,
            is_leader,
        })
    }

    fn start_heartbeat(&mut self) {
        let params = HeartbeatParams {
            config: self.config.clone(),
            member_id: self.member_id.clone(),
            generation: self.generation,
        };
        let tx = Arc::clone(&self.rejoin);
        self.heartbeat = Some(tokio::spawn(heartbeat_loop(params, tx)));
    }

    async fn stop_heartbeat(&mut self) {
        if let Some(handle) = self.heartbeat.take() {
            handle.abort();
            // The task only ends by abort or by finishing; either outcome is fine here.
            let _ = handle.await;
        }
    }

    /// Leaves the group (LeaveGroup) and stops heartbeating. The next join starts as a new
    /// member. Errors are returned for logging; the member is reset either way.
    pub async fn leave(&mut self) -> Result<(), GroupError> {
        self.stop_heartbeat().await;
        if self.member_id.is_empty() {
            return Ok(());
        }
        let member_id = std::mem::take(&mut self.member_id);
        self.generation = -1;
        self.last_completed_generation = -1;
        let result = self.send_leave(&member_id).await;
        if result.is_err() {
            self.coordinator = None;
        }
        info!(group = %self.config.group_id, member = %member_id, "left group");
        result
    }

    async fn send_leave(&mut self, member_id: &str) -> Result<(), GroupError> {
        let group = GroupId(StrBytes::from_string(self.config.group_id.clone()));
        let member = StrBytes::from_string(member_id.to_string());
        let build = |version: i16| {
            let request = LeaveGroupRequest::default().with_group_id(group);
            if version >= 3 {
                let mut identity = MemberIdentity::default().with_member_id(member);
                if version >= 5 {
                    identity = identity.with_reason(Some(StrBytes::from_static_str(
                        "the worker is shutting down",
                    )));
                }
                request.with_members(vec![identity])
            } else {
                request.with_member_id(member)
            }
        };
        let timeout = self.config.request_timeout;
        let conn = match self.coordinator().await {
            Ok(conn) => conn,
            Err(Retry::Now(e) | Retry::After(e) | Retry::Fatal(e)) => return Err(e),
        };
        let broker = conn.addr().to_string();
        let (response, version) = conn.send(i16::MAX, timeout, build).await?;
        let code = if response.error_code != 0 {
            response.error_code
        } else if version >= 3 {
            response
                .members
                .iter()
                .map(|m| m.error_code)
                .find(|c| *c != 0)
                .unwrap_or(0)
        } else {
            0
        };
        if code != 0 {
            return Err(GroupError::from_code("LeaveGroup", code, &broker));
        }
        Ok(())
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if let Some(handle) = self.heartbeat.take() {
            handle.abort();
        }
    }
}

/// How a failed join round continues.
enum Retry {
    /// Rejoin without waiting (the broker asked for it).
    Now(GroupError),
    /// Back off, then retry.
    After(GroupError),
    /// Give up.
    Fatal(GroupError),
}

impl Retry {
    fn classify(error: GroupError) -> Retry {
        if error.is_connection_error() {
            return Retry::After(error);
        }
        match error.kafka_error() {
            Some(e) if is_coordinator_error(e) || e.is_retriable() => Retry::After(error),
            Some(ResponseError::RebalanceInProgress) => Retry::Now(error),
            Some(_) => Retry::Fatal(error),
            None => match error {
                GroupError::NoBootstrapServers
                | GroupError::Tls { .. }
                | GroupError::Authentication { .. }
                | GroupError::InvalidProtocol(_)
                | GroupError::Encode { .. }
                | GroupError::UnsupportedApi { .. } => Retry::Fatal(error),
                other => Retry::After(other),
            },
        }
    }
}

struct HeartbeatParams {
    config: GroupConfig,
    member_id: String,
    generation: i32,
}

async fn heartbeat_loop(params: HeartbeatParams, tx: Arc<watch::Sender<Option<RejoinReason>>>) {
    let config = &params.config;
    let group = GroupId(StrBytes::from_string(config.group_id.clone()));
    let request = HeartbeatRequest::default()
        .with_group_id(group)
        .with_generation_id(params.generation)
        .with_member_id(StrBytes::from_string(params.member_id.clone()));
    // Heartbeats must not outlive the session they are meant to keep alive.
    let timeout = config.request_timeout.min(config.session_timeout);
    let mut conn: Option<Connection> = None;
    let mut last_ok = Instant::now();
    let mut wait = config.heartbeat_interval;
    loop {
        tokio::time::sleep(wait).await;
        wait = config.heartbeat_interval;
        if conn.is_none() {
            match connect_coordinator(config, timeout).await {
                Ok(c) => conn = Some(c),
                Err(e) => debug!(error = %e, "heartbeat: coordinator lookup failed"),
            }
        }
        let outcome = match conn.as_mut() {
            Some(c) => {
                let broker = c.addr().to_string();
                match c.send(i16::MAX, timeout, |_| request.clone()).await {
                    Ok((r, _)) if r.error_code == 0 => Ok(()),
                    Ok((r, _)) => Err(GroupError::from_code("Heartbeat", r.error_code, &broker)),
                    Err(e) => Err(e),
                }
            }
            None => Err(GroupError::NoBootstrapServers),
        };
        match outcome {
            Ok(()) => last_ok = Instant::now(),
            Err(error) => {
                let reason = match error.kafka_error() {
                    Some(ResponseError::RebalanceInProgress) => Some(RejoinReason::Rebalance),
                    Some(ResponseError::IllegalGeneration) => Some(RejoinReason::IllegalGeneration),
                    Some(ResponseError::UnknownMemberId | ResponseError::FencedInstanceId) => {
                        Some(RejoinReason::UnknownMember)
                    }
                    _ => None,
                };
                if let Some(reason) = reason {
                    debug!(group = %config.group_id, ?reason, "heartbeat: rejoin needed");
                    tx.send_replace(Some(reason));
                    return;
                }
                if error.is_connection_error()
                    || error.kafka_error().is_some_and(is_coordinator_error)
                {
                    conn = None;
                }
                warn!(group = %config.group_id, %error, "heartbeat failed");
                wait = config.retry_backoff;
            }
        }
        if last_ok.elapsed() >= config.session_timeout {
            warn!(
                group = %config.group_id,
                "no successful heartbeat for a session timeout; coordinator lost"
            );
            tx.send_replace(Some(RejoinReason::CoordinatorLost));
            return;
        }
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

impl fmt::Display for RejoinReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            RejoinReason::Rebalance => "rebalance in progress",
            RejoinReason::IllegalGeneration => "illegal generation",
            RejoinReason::UnknownMember => "unknown member id",
            RejoinReason::CoordinatorLost => "coordinator lost",
        };
        f.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_protocols_follow_connect_protocol() {
        assert_eq!(
            ConnectProtocol::parse("SESSIONED").unwrap().offered(),
            &[("sessioned", 2), ("compatible", 1), ("default", 0)]
        );
        assert_eq!(
            ConnectProtocol::parse("compatible").unwrap().offered(),
            &[("compatible", 1), ("default", 0)]
        );
        assert_eq!(
            ConnectProtocol::parse("eager").unwrap().offered(),
            &[("default", 0)]
        );
        let err = ConnectProtocol::parse("fast").unwrap_err();
        assert!(err.to_string().contains("connect.protocol"), "{err}");
        assert_eq!(protocol_version("sessioned"), Some(2));
        assert_eq!(protocol_version("range"), None);
    }

    #[test]
    fn join_metadata_is_versioned_per_protocol() {
        let member = GroupMember::new(GroupConfig::default());
        let md = WorkerMetadata {
            version: 7,
            url: "http://w/".into(),
            config_offset: 3,
            allocation: Some(ConnectAssignment::empty(1, 0, "l", "u", 3)),
        };
        let protocols = member.protocols(&md).unwrap();
        let versions: Vec<(String, i16, bool)> = protocols
            .iter()
            .map(|p| {
                let md = WorkerMetadata::decode(&p.metadata).unwrap();
                (p.name.to_string(), md.version, md.allocation.is_some())
            })
            .collect();
        assert_eq!(
            versions,
            vec![
                ("sessioned".to_string(), 2, true),
                ("compatible".to_string(), 1, true),
                ("default".to_string(), 0, false)
            ]
        );
    }

    #[tokio::test]
    async fn unreachable_bootstrap_gives_up_with_context() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut member = GroupMember::new(GroupConfig {
            bootstrap_servers: vec![format!("PLAINTEXT://127.0.0.1:{port}")],
            group_id: "g".into(),
            rebalance_timeout: Duration::from_millis(200),
            session_timeout: Duration::from_millis(200),
            request_timeout: Duration::from_millis(200),
            ..GroupConfig::default()
        });
        let md = WorkerMetadata {
            version: 0,
            url: "u".into(),
            config_offset: 0,
            allocation: None,
        };
        let started = std::time::Instant::now();
        let err = member
            .join(&md, &mut |_: &LeaderContext| BTreeMap::new())
            .await
            .unwrap_err();
        assert!(matches!(err, GroupError::GaveUp { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")) || {
                let src = std::error::Error::source(&err).map(|s| s.to_string());
                src.is_some_and(|s| s.contains(&port.to_string()))
            }
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// A fake group coordinator on a loopback port: answers ApiVersions and FindCoordinator
    /// (naming itself), asks the first JoinGroup for a member id, answers every later
    /// JoinGroup only after `join_delay` (as a broker does while it waits for the other
    /// members), and counts LeaveGroups. Requests on one connection are answered in order.
    async fn fake_coordinator(join_delay: Duration) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use bytes::{Buf, BufMut, BytesMut};
        use kafka_protocol::messages::api_versions_response::ApiVersion;
        use kafka_protocol::messages::find_coordinator_response::Coordinator;
        use kafka_protocol::messages::leave_group_response::MemberResponse;
        use kafka_protocol::messages::*;
        use kafka_protocol::protocol::{Encodable, HeaderVersion, Request};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        fn frame<R: Encodable + HeaderVersion>(
            correlation_id: i32,
            version: i16,
            r: &R,
        ) -> Vec<u8> {
            let mut body = BytesMut::new();
            ResponseHeader::default()
                .with_correlation_id(correlation_id)
                .encode(&mut body, R::header_version(version))
                .unwrap();
            r.encode(&mut body, version).unwrap();
            let mut out = Vec::with_capacity(body.len() + 4);
            out.put_i32(body.len() as i32);
            out.extend_from_slice(&body);
            out
        }
        fn range<R: Request>() -> ApiVersion {
            ApiVersion::default()
                .with_api_key(R::KEY)
                .with_min_version(R::VERSIONS.min)
                .with_max_version(R::VERSIONS.max)
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let leaves = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let leaves_out = leaves.clone();
        let joins = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (leaves, joins) = (leaves.clone(), joins.clone());
                tokio::spawn(async move {
                    loop {
                        let Ok(len) = socket.read_i32().await else {
                            return;
                        };
                        let mut buf = vec![0u8; len as usize];
                        if socket.read_exact(&mut buf).await.is_err() {
                            return;
                        }
                        let mut b = &buf[..];
                        let (key, version, cid) = (b.get_i16(), b.get_i16(), b.get_i32());
                        let out = match ApiKey::try_from(key) {
                            Ok(ApiKey::ApiVersions) => frame(
                                cid,
                                version,
                                &ApiVersionsResponse::default().with_api_keys(vec![
                                    range::<ApiVersionsRequest>(),
                                    range::<FindCoordinatorRequest>(),
                                    range::<JoinGroupRequest>(),
                                    range::<SyncGroupRequest>(),
                                    range::<HeartbeatRequest>(),
                                    range::<LeaveGroupRequest>(),
                                ]),
                            ),
                            Ok(ApiKey::FindCoordinator) => {
                                let host = StrBytes::from_static_str("127.0.0.1");
                                let response = if version >= 4 {
                                    FindCoordinatorResponse::default().with_coordinators(vec![
                                        Coordinator::default()
                                            .with_key(StrBytes::from_static_str("g"))
                                            .with_host(host)
                                            .with_port(i32::from(port)),
                                    ])
                                } else {
                                    FindCoordinatorResponse::default()
                                        .with_host(host)
                                        .with_port(i32::from(port))
                                };
                                frame(cid, version, &response)
                            }
                            Ok(ApiKey::JoinGroup) => {
                                let first =
                                    joins.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
                                let response = JoinGroupResponse::default()
                                    .with_member_id(StrBytes::from_static_str("m-1"));
                                if first {
                                    frame(
                                        cid,
                                        version,
                                        &response.with_error_code(
                                            ResponseError::MemberIdRequired.code(),
                                        ),
                                    )
                                } else {
                                    tokio::time::sleep(join_delay).await;
                                    frame(
                                        cid,
                                        version,
                                        &response.with_error_code(
                                            ResponseError::RebalanceInProgress.code(),
                                        ),
                                    )
                                }
                            }
                            Ok(ApiKey::LeaveGroup) => {
                                leaves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                frame(
                                    cid,
                                    version,
                                    &LeaveGroupResponse::default()
                                        .with_members(vec![MemberResponse::default()
                                            .with_member_id(StrBytes::from_static_str("m-1"))]),
                                )
                            }
                            _ => return,
                        };
                        if socket.write_all(&out).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (port, leaves_out)
    }

    /// A join cancelled while its JoinGroup is unanswered (the herder's shutdown does this)
    /// must not leave that response for the LeaveGroup to read: before the fix the leave
    /// failed with "correlation id N does not match request N+1" and the group waited out
    /// the session timeout.
    #[tokio::test]
    async fn leave_after_a_cancelled_join_is_answered_on_a_clean_connection() {
        let (port, leaves) = fake_coordinator(Duration::from_millis(600)).await;
        let mut member = GroupMember::new(GroupConfig {
            bootstrap_servers: vec![format!("127.0.0.1:{port}")],
            group_id: "g".into(),
            request_timeout: Duration::from_secs(5),
            ..GroupConfig::default()
        });
        let md = WorkerMetadata {
            version: 0,
            url: "u".into(),
            config_offset: 0,
            allocation: None,
        };
        let cancelled = tokio::time::timeout(
            Duration::from_millis(200),
            member.join(&md, &mut |_: &LeaderContext| BTreeMap::new()),
        )
        .await;
        assert!(
            cancelled.is_err(),
            "the join should still be waiting: {cancelled:?}"
        );
        assert_eq!(member.member_id(), "m-1");
        member.leave().await.expect("LeaveGroup answered");
        assert_eq!(leaves.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
