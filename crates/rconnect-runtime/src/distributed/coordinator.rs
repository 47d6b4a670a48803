//! The group coordinator as the membership loop uses it (Java `WorkerGroupMember` over
//! `WorkerCoordinator`): join and sync in one call, the heartbeat's call to rejoin, and
//! leaving. [`GroupMember`] of `rconnect-group` implements it over the Kafka protocol; unit
//! tests of the loop implement it in memory.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rconnect_group::{
    ConnectAssignment, GroupError, GroupMember, Joined, LeaderContext, RejoinReason, WorkerMetadata,
};
use tokio::sync::watch;

/// Computes every member's assignment when this worker is the leader.
pub type AssignFn<'a> =
    dyn FnMut(&LeaderContext) -> BTreeMap<String, ConnectAssignment> + Send + 'a;

/// A Connect group membership.
#[async_trait]
pub trait Coordinator: Send + 'static {
    /// JoinGroup then SyncGroup (Java `WorkerCoordinator#poll` until the join completes):
    /// sends `metadata`, calls `leader` with every member's metadata if the coordinator
    /// makes this worker the leader, and returns this worker's assignment. Heartbeats pause
    /// during the call and resume after it.
    async fn join(
        &mut self,
        metadata: &WorkerMetadata,
        leader: &mut AssignFn<'_>,
    ) -> Result<Joined, GroupError>;

    /// Turns `Some(reason)` when the heartbeat learns that the group is rebalancing or has
    /// lost this member; reset at the start of every join.
    fn rejoin_needed(&self) -> watch::Receiver<Option<RejoinReason>>;

    /// LeaveGroup, so the others rebalance at once instead of after a session timeout.
    async fn leave(&mut self) -> Result<(), GroupError>;
}

#[async_trait]
impl Coordinator for GroupMember {
    async fn join(
        &mut self,
        metadata: &WorkerMetadata,
        leader: &mut AssignFn<'_>,
    ) -> Result<Joined, GroupError> {
        GroupMember::join(self, metadata, leader).await
    }

    fn rejoin_needed(&self) -> watch::Receiver<Option<RejoinReason>> {
        GroupMember::rejoin_needed(self)
    }

    async fn leave(&mut self) -> Result<(), GroupError> {
        GroupMember::leave(self).await
    }
}
