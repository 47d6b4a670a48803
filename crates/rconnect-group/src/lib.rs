//! The Kafka Connect group protocol (protocol type `connect`), for distributed mode.
//!
//! * [`protocol`]: byte layouts of member metadata and assignments (V0 `default`,
//!   V1 `compatible`, V2 `sessioned`), interoperable with Java workers.
//! * [`assignor`]: the leader's assignment algorithms, pure functions of their inputs:
//!   [`eager_assign`] and [`IncrementalCooperativeAssignor`].
//! * [`member`]: [`GroupMember`], a member of the group over the classic Kafka group APIs
//!   (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup), spoken directly with the
//!   `kafka-protocol` crate over tokio TCP because librdkafka cannot run a custom protocol.
//! * [`security`]: TLS (rustls) and SASL PLAIN/SCRAM for those connections.

pub mod assignor;
pub mod cluster;
mod conn;
pub mod member;
pub mod protocol;
pub mod security;

pub use assignor::{eager_assign, AssignmentInput, IncrementalCooperativeAssignor};
pub use cluster::fetch_cluster_id;
pub use member::{
    protocol_version, ConnectProtocol, GroupConfig, GroupError, GroupMember, Joined, LeaderContext,
    RejoinReason, PROTOCOL_TYPE,
};
pub use protocol::{
    ConnectAssignment, ConnectorTasks, ProtocolError, TaskId, WorkSet, WorkerMetadata,
    CONFIG_MISMATCH, CONNECTOR_TASK, CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V1, CONNECT_PROTOCOL_V2,
    NO_ERROR,
};
pub use security::{SaslCredentials, SaslMechanism, Security};
