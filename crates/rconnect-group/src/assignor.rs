//! Leader-side assignment algorithms (spec `internals.md` §6): the eager round-robin assignor
//! (`default`, V0) and the incremental cooperative assignor (`compatible`/`sessioned`, KIP-415).
//!
//! Both are pure: the leader passes everything in an [`AssignmentInput`] (members' decoded
//! metadata, the configured connectors of its config snapshot, the clock) and gets one
//! [`ConnectAssignment`] per member back, ready for SyncGroup.

use std::collections::{BTreeMap, BTreeSet};

use tracing::{debug, warn};

use crate::protocol::{
    is_encodable_string, ConnectAssignment, TaskId, WorkSet, WorkerMetadata, CONFIG_MISMATCH,
    CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V1, NO_ERROR,
};

/// Everything a leader needs to compute one round's assignments.
#[derive(Debug, Clone, Default)]
pub struct AssignmentInput {
    /// The leader's member id (written into every assignment).
    pub leader_id: String,
    /// The generation being assigned (JoinGroup response).
    pub generation: i32,
    /// The leader's last completed generation (the generation of its last successful
    /// SyncGroup), `-1` if none. Cooperative only: a mismatch with the generation the
    /// assignor last assigned makes it forget its previous assignment (§6.3 step 1).
    pub last_completed_generation: i32,
    /// Group protocol version chosen by the broker (0, 1 or 2); written into assignments.
    pub protocol_version: i16,
    /// All members' metadata by member id.
    pub members: BTreeMap<String, WorkerMetadata>,
    /// Connectors of the leader's config snapshot with their task counts (tasks `0..n`).
    pub connectors: BTreeMap<String, u32>,
    /// Offset of the leader's config snapshot.
    pub leader_config_offset: i64,
    /// Current time in milliseconds (injected so that delays are testable).
    pub now_ms: i64,
}

impl AssignmentInput {
    fn leader_url(&self) -> String {
        self.members
            .get(&self.leader_id)
            .map(|m| m.url.clone())
            .unwrap_or_default()
    }

    /// The configured connectors and tasks that can be assigned. A connector whose name does
    /// not fit a protocol string (over 32767 bytes; Java writes such config records, having no
    /// name limit) is left out with a warning: an assignment naming it could not be encoded,
    /// and every rebalance of the group would fail.
    fn configured(&self) -> WorkSet {
        let mut set = WorkSet::default();
        for (connector, &count) in &self.connectors {
            if !is_encodable_string(connector) {
                warn!(
                    connector = %shown(connector),
                    bytes = connector.len(),
                    "not assigning a connector whose name is too long for the group protocol"
                );
                continue;
            }
            set.connectors.insert(connector.clone());
            for task in 0..count {
                // Task counts beyond i32::MAX cannot be expressed on the wire; saturate.
                let task = i32::try_from(task).unwrap_or(i32::MAX);
                set.tasks.insert(TaskId::new(connector.clone(), task));
            }
        }
        set
    }

    /// §6.1: `Err(assignments)` with `CONFIG_MISMATCH` for everyone when the leader's snapshot
    /// is behind the highest member offset, else the offset to put in the assignments.
    ///
    /// The offset used is the leader's snapshot offset, i.e. the state the work was computed
    /// from. Java writes the maximum member offset instead when its (older) snapshot was not
    /// refreshed, which labels work computed from a newer snapshot with an older offset.
    fn config_offset(&self, version: i16) -> Result<i64, BTreeMap<String, ConnectAssignment>> {
        let max_offset = self
            .members
            .values()
            .map(|m| m.config_offset)
            .max()
            .unwrap_or(self.leader_config_offset);
        if self.leader_config_offset < max_offset {
            debug!(
                leader_offset = self.leader_config_offset,
                max_offset, "leader config snapshot is behind a member; answering CONFIG_MISMATCH"
            );
            let url = self.leader_url();
            return Err(self
                .members
                .keys()
                .map(|id| {
                    let a = ConnectAssignment::empty(
                        version,
                        CONFIG_MISMATCH,
                        &self.leader_id,
                        &url,
                        max_offset,
                    );
                    (id.clone(), a)
                })
                .collect());
        }
        Ok(self.leader_config_offset)
    }
}

/// The first 64 bytes of a (long) connector name, for a log line.
fn shown(name: &str) -> &str {
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Eager assignment (§6.2): connectors (sorted) then every task (connectors sorted, tasks by
/// id) dealt round-robin over the sorted member ids with one circular iterator. Each member's
/// V0 assignment carries its full set of work.
pub fn eager_assign(input: &AssignmentInput) -> BTreeMap<String, ConnectAssignment> {
    let config_offset = match input.config_offset(CONNECT_PROTOCOL_V0) {
        Ok(offset) => offset,
        Err(mismatch) => return mismatch,
    };
    let members: Vec<&String> = input.members.keys().collect();
    let mut work: BTreeMap<&String, WorkSet> =
        members.iter().map(|m| (*m, WorkSet::default())).collect();
    if !members.is_empty() {
        let mut next = members.iter().cycle();
        let configured = input.configured();
        for connector in &configured.connectors {
            if let Some(m) = next.next() {
                if let Some(w) = work.get_mut(*m) {
                    w.connectors.insert(connector.clone());
                }
            }
        }
        for task in configured.tasks {
            if let Some(m) = next.next() {
                if let Some(w) = work.get_mut(*m) {
                    w.tasks.insert(task);
                }
            }
        }
    }
    let url = input.leader_url();
    work.into_iter()
        .map(|(member, set)| {
            let mut a = ConnectAssignment::empty(
                CONNECT_PROTOCOL_V0,
                NO_ERROR,
                &input.leader_id,
                &url,
                config_offset,
            );
            a.assigned = set.to_entries();
            (member.clone(), a)
        })
        .collect()
}

/// The incremental cooperative assignor (§6.3, Java `IncrementalCooperativeAssignor`), with
/// the state the leader keeps between rounds. Create one per worker and call
/// [`assign`](Self::assign) whenever that worker is leader.
///
/// Differences from Java, on purpose: connectors/tasks that a member still runs but that are
/// no longer configured are revoked even when the assignor has no previous assignment (Java
/// only revokes deletions it can derive from its previous assignment, so a new leader could
/// leave a deleted connector running); and the per-worker extra slots of load-balancing
/// revocations go to the most loaded workers first (Java: hash-map order), which minimises
/// the number of revocations; and a member departing right after a revoking round while
/// nothing is lost does not start a scheduled-rebalance delay (Java waits the full max delay
/// for nothing).
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    max_delay_ms: i32,
    previous_assignment: WorkSet,
    previous_revocation: WorkSet,
    previous_generation: i32,
    previous_members: BTreeSet<String>,
    /// Insertion-ordered, duplicate-free (Java's `LinkedHashSet`).
    candidate_workers: Vec<String>,
    scheduled_rebalance: i64,
    delay: i32,
    revoked_in_previous: bool,
    successive_revoking_rebalances: u32,
}

impl IncrementalCooperativeAssignor {
    /// A fresh assignor; `max_delay_ms` is `scheduled.rebalance.max.delay.ms` (default 300000).
    pub fn new(max_delay_ms: i32) -> IncrementalCooperativeAssignor {
        IncrementalCooperativeAssignor {
            max_delay_ms: max_delay_ms.max(0),
            previous_assignment: WorkSet::default(),
            previous_revocation: WorkSet::default(),
            previous_generation: -1,
            previous_members: BTreeSet::new(),
            candidate_workers: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            revoked_in_previous: false,
            successive_revoking_rebalances: 0,
        }
    }

    /// The delay (ms) handed out in the last round; 0 when no follow-up rebalance is scheduled.
    pub fn delay(&self) -> i32 {
        self.delay
    }

    /// Absolute time (ms) of the scheduled follow-up rebalance, 0 when none.
    pub fn scheduled_rebalance(&self) -> i64 {
        self.scheduled_rebalance
    }

    /// Computes one round. Each member's assignment lists only newly added work in
    /// `assigned`, what it must stop in `revoked`, and the current `delay`.
    pub fn assign(&mut self, input: &AssignmentInput) -> BTreeMap<String, ConnectAssignment> {
        let version = input.protocol_version.max(CONNECT_PROTOCOL_V1);
        let config_offset = match input.config_offset(version) {
            Ok(offset) => offset,
            Err(mismatch) => return mismatch,
        };
        let now = input.now_ms;

        if self.previous_generation != input.last_completed_generation {
            debug!(
                previous = self.previous_generation,
                last_completed = input.last_completed_generation,
                "generation mismatch; forgetting the previous assignment"
            );
            self.previous_assignment = WorkSet::default();
        }

        let configured = input.configured();
        let current: BTreeMap<String, WorkSet> = input
            .members
            .iter()
            .map(|(id, md)| (id.clone(), md.owned()))
            .collect();
        let mut active = WorkSet::default();
        for set in current.values() {
            active.extend(set);
        }

        if !self.previous_revocation.is_empty() {
            if self.previous_revocation.intersects(&active) {
                // A revocation of the last round did not take effect: start again from reality.
                self.previous_assignment = active.clone();
            }
            self.previous_revocation = WorkSet::default();
        }

        let mut known = self.previous_assignment.clone();
        known.extend(&active);
        let deleted = known.minus(&[&configured]);
        let lost = self.previous_assignment.minus(&[&active, &deleted]);
        let created = configured.minus(&[&self.previous_assignment, &active]);
        debug!(?deleted, ?lost, ?created, "derived sets");

        let mut to_revoke: BTreeMap<String, WorkSet> = BTreeMap::new();
        let duplicated = duplicated(&current);
        for (member, set) in &current {
            let mut revoke = set.intersection(&deleted);
            revoke.extend(&set.intersection(&duplicated));
            if !revoke.is_empty() {
                to_revoke.insert(member.clone(), revoke);
            }
        }

        let mut next: BTreeMap<String, WorkSet> = current
            .iter()
            .map(|(member, set)| {
                let mut set = set.clone();
                if let Some(revoke) = to_revoke.get(member) {
                    set.remove_all(revoke);
                }
                (member.clone(), set)
            })
            .collect();

        let mut to_assign = created;
        self.handle_lost(&lost, &mut to_assign, &mut next, input, now);

        if self.delay == 0 {
            let balancing = load_balancing_revocations(&configured, &next);
            if !balancing.is_empty() && self.revoked_in_previous {
                self.successive_revoking_rebalances += 1;
                self.delay = self.revocation_backoff(self.successive_revoking_rebalances);
                if self.delay != 0 {
                    self.scheduled_rebalance = now + i64::from(self.delay);
                    debug!(
                        delay = self.delay,
                        "consecutive revoking rebalances; postponing load-balancing revocations"
                    );
                } else {
                    apply_revocations(&balancing, &mut to_revoke, &mut next);
                }
            } else if !balancing.is_empty() {
                apply_revocations(&balancing, &mut to_revoke, &mut next);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // The group converged: reset the back-off.
                self.revoked_in_previous = false;
                self.successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        if !next.is_empty() {
            assign_least_loaded(&mut next, &to_assign.connectors, |w| &mut w.connectors);
            assign_least_loaded(&mut next, &to_assign.tasks, |w| &mut w.tasks);
        }

        let url = input.leader_url();
        let empty = WorkSet::default();
        let assignments: BTreeMap<String, ConnectAssignment> = next
            .iter()
            .map(|(member, set)| {
                let before = current.get(member).unwrap_or(&empty);
                let mut a = ConnectAssignment::empty(
                    version,
                    NO_ERROR,
                    &input.leader_id,
                    &url,
                    config_offset,
                );
                a.assigned = set.minus(&[before]).to_entries();
                a.revoked = to_revoke.get(member).unwrap_or(&empty).to_entries();
                a.delay = self.delay;
                (member.clone(), a)
            })
            .collect();

        let mut previous = WorkSet::default();
        for set in next.values() {
            previous.extend(set);
        }
        let mut revoked_all = WorkSet::default();
        for set in to_revoke.values() {
            revoked_all.extend(set);
        }
        previous.remove_all(&revoked_all);
        previous.extend(&lost);
        self.previous_assignment = previous;
        self.previous_revocation = revoked_all;
        self.previous_generation = input.generation;
        self.previous_members = input.members.keys().cloned().collect();
        debug!(
            ?assignments,
            delay = self.delay,
            "cooperative assignment computed"
        );
        assignments
    }

    fn handle_lost(
        &mut self,
        lost: &WorkSet,
        to_assign: &mut WorkSet,
        next: &mut BTreeMap<String, WorkSet>,
        input: &AssignmentInput,
        now: i64,
    ) {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return;
        }
        let all_previous_present = self
            .previous_members
            .iter()
            .all(|m| input.members.contains_key(m));
        if self.scheduled_rebalance <= 0 && all_previous_present {
            // Nobody left: the work was lost by a member that missed the last assignment.
            to_assign.extend(lost);
            return;
        }
        if self.max_delay_ms == 0 {
            to_assign.extend(lost);
            return;
        }
        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            let candidates: Vec<String> = self
                .candidate_workers
                .iter()
                .filter(|w| next.contains_key(*w))
                .cloned()
                .collect();
            if candidates.is_empty() {
                to_assign.extend(lost);
            } else {
                debug!(
                    ?candidates,
                    ?lost,
                    "delay expired; lost work to candidate workers"
                );
                for (connector, worker) in lost.connectors.iter().zip(candidates.iter().cycle()) {
                    if let Some(w) = next.get_mut(worker) {
                        w.connectors.insert(connector.clone());
                    }
                }
                for (task, worker) in lost.tasks.iter().zip(candidates.iter().cycle()) {
                    if let Some(w) = next.get_mut(worker) {
                        w.tasks.insert(task.clone());
                    }
                }
            }
            self.reset_delay();
            // The full delay has passed: successive revoking rebalances are allowed again.
            self.revoked_in_previous = false;
            return;
        }
        if lost.is_empty() && self.scheduled_rebalance <= 0 {
            // Only reachable after a revoking round with no loss: nothing to wait for.
            return;
        }
        for (worker, set) in next.iter() {
            if set.is_empty() && !self.candidate_workers.contains(worker) {
                self.candidate_workers.push(worker.clone());
            }
        }
        if now < self.scheduled_rebalance {
            let remaining = self.scheduled_rebalance - now;
            self.delay = i32::try_from(remaining.min(i64::from(self.max_delay_ms))).unwrap_or(0);
        } else {
            self.delay = self.max_delay_ms;
        }
        self.scheduled_rebalance = now + i64::from(self.delay);
        debug!(
            delay = self.delay,
            ?lost,
            "holding lost work for the scheduled rebalance delay"
        );
    }

    fn reset_delay(&mut self) {
        self.candidate_workers.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }

    /// Java's `ExponentialBackoff(1, 40, maxDelay, 0)`: 40 ms, 1.6 s, 64 s, … capped at the
    /// max delay; always 0 when the max delay is 0.
    fn revocation_backoff(&self, attempts: u32) -> i32 {
        if self.max_delay_ms == 0 {
            return 0;
        }
        let mut term: i64 = 1;
        for _ in 0..attempts {
            term = term.saturating_mul(40);
            if term >= i64::from(self.max_delay_ms) {
                return self.max_delay_ms;
            }
        }
        term as i32
    }
}

fn duplicated(current: &BTreeMap<String, WorkSet>) -> WorkSet {
    let mut connectors: BTreeMap<&String, usize> = BTreeMap::new();
    let mut tasks: BTreeMap<&TaskId, usize> = BTreeMap::new();
    for set in current.values() {
        for c in &set.connectors {
            *connectors.entry(c).or_default() += 1;
        }
        for t in &set.tasks {
            *tasks.entry(t).or_default() += 1;
        }
    }
    WorkSet {
        connectors: connectors
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: tasks
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

fn apply_revocations(
    revocations: &BTreeMap<String, WorkSet>,
    to_revoke: &mut BTreeMap<String, WorkSet>,
    next: &mut BTreeMap<String, WorkSet>,
) {
    for (worker, set) in revocations {
        to_revoke.entry(worker.clone()).or_default().extend(set);
        if let Some(w) = next.get_mut(worker) {
            w.remove_all(set);
        }
    }
}

/// Revocations that bring every worker down to ⌊total/N⌋ or ⌈total/N⌉, computed separately for
/// connectors and tasks.
fn load_balancing_revocations(
    configured: &WorkSet,
    next: &BTreeMap<String, WorkSet>,
) -> BTreeMap<String, WorkSet> {
    let mut out: BTreeMap<String, WorkSet> = BTreeMap::new();
    if next.is_empty() || next.values().all(WorkSet::is_empty) || configured.is_empty() {
        return out;
    }
    let connectors = balance(configured.connectors.len(), next, |w| &w.connectors);
    for (worker, items) in connectors {
        out.entry(worker).or_default().connectors.extend(items);
    }
    let tasks = balance(configured.tasks.len(), next, |w| &w.tasks);
    for (worker, items) in tasks {
        out.entry(worker).or_default().tasks.extend(items);
    }
    out
}

fn balance<T: Clone + Ord>(
    total: usize,
    next: &BTreeMap<String, WorkSet>,
    field: impl Fn(&WorkSet) -> &BTreeSet<T>,
) -> Vec<(String, Vec<T>)> {
    let workers = next.len();
    let floor = total / workers;
    let mut extras = total % workers;
    let mut by_load: Vec<(&String, &BTreeSet<T>)> =
        next.iter().map(|(w, set)| (w, field(set))).collect();
    by_load.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut out = Vec::new();
    for (worker, items) in by_load {
        if items.len() <= floor {
            continue;
        }
        let max = if extras > 0 {
            extras -= 1;
            floor + 1
        } else {
            floor
        };
        let excess = items.len().saturating_sub(max);
        if excess > 0 {
            out.push((worker.clone(), items.iter().take(excess).cloned().collect()));
        }
    }
    out
}

/// Deals `items` (in order) to the least-loaded workers: sort by load then member id, give one
/// item to each worker at the minimum load, repeat.
fn assign_least_loaded<T: Clone + Ord>(
    next: &mut BTreeMap<String, WorkSet>,
    items: &BTreeSet<T>,
    field: impl Fn(&mut WorkSet) -> &mut BTreeSet<T>,
) {
    let mut items = items.iter().peekable();
    while items.peek().is_some() {
        let mut loads: Vec<(usize, String)> = next
            .iter_mut()
            .map(|(w, set)| (field(set).len(), w.clone()))
            .collect();
        loads.sort();
        let min = loads[0].0;
        for (load, worker) in loads {
            if load > min {
                break;
            }
            let Some(item) = items.next() else { break };
            if let Some(set) = next.get_mut(&worker) {
                field(set).insert(item.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ConnectorTasks, CONNECT_PROTOCOL_V2};

    fn md(url: &str, offset: i64, allocation: Option<ConnectAssignment>) -> WorkerMetadata {
        WorkerMetadata {
            version: CONNECT_PROTOCOL_V2,
            url: url.into(),
            config_offset: offset,
            allocation,
        }
    }

    fn connectors(spec: &[(&str, u32)]) -> BTreeMap<String, u32> {
        spec.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    /// Drives rounds like a group would: members keep "previous − revoked + assigned".
    struct Group {
        assignor: IncrementalCooperativeAssignor,
        owned: BTreeMap<String, WorkSet>,
        generation: i32,
        connectors: BTreeMap<String, u32>,
    }

    impl Group {
        fn new(max_delay: i32, members: &[&str], connectors: BTreeMap<String, u32>) -> Group {
            Group {
                assignor: IncrementalCooperativeAssignor::new(max_delay),
                owned: members
                    .iter()
                    .map(|m| (m.to_string(), WorkSet::default()))
                    .collect(),
                generation: -1,
                connectors,
            }
        }

        fn round(&mut self, now: i64) -> BTreeMap<String, ConnectAssignment> {
            let last_completed = self.generation;
            self.generation += 1;
            let members = self
                .owned
                .iter()
                .map(|(id, set)| {
                    let mut alloc = ConnectAssignment::empty(2, 0, "", "", 5);
                    alloc.assigned = set.to_entries();
                    (id.clone(), md(&format!("http://{id}/"), 5, Some(alloc)))
                })
                .collect();
            let input = AssignmentInput {
                leader_id: self.owned.keys().next().cloned().unwrap_or_default(),
                generation: self.generation,
                last_completed_generation: last_completed,
                protocol_version: 2,
                members,
                connectors: self.connectors.clone(),
                leader_config_offset: 5,
                now_ms: now,
            };
            let out = self.assignor.assign(&input);
            for (member, a) in &out {
                let set = self.owned.get_mut(member).unwrap();
                set.remove_all(&a.revoked_set());
                set.extend(&a.assigned_set());
            }
            out
        }

        fn counts(&self) -> Vec<(usize, usize)> {
            self.owned
                .values()
                .map(|s| (s.connectors.len(), s.tasks.len()))
                .collect()
        }

        fn total(&self) -> WorkSet {
            let mut all = WorkSet::default();
            for s in self.owned.values() {
                all.extend(s);
            }
            all
        }
    }

    fn configured_set(c: &BTreeMap<String, u32>) -> WorkSet {
        AssignmentInput {
            connectors: c.clone(),
            ..Default::default()
        }
        .configured()
    }

    #[test]
    fn first_assignment_spreads_evenly() {
        let c = connectors(&[("a", 3), ("b", 3), ("c", 3)]);
        let mut g = Group::new(300_000, &["m1", "m2", "m3"], c.clone());
        let out = g.round(0);
        assert_eq!(g.counts(), vec![(1, 3), (1, 3), (1, 3)]);
        assert_eq!(g.total(), configured_set(&c));
        for a in out.values() {
            assert_eq!(a.version, 2);
            assert_eq!(a.leader, "m1");
            assert_eq!(a.leader_url, "http://m1/");
            assert_eq!(a.config_offset, 5);
            assert!(a.revoked.is_empty());
            assert_eq!(a.delay, 0);
        }
        // A stable group gets no changes in the next round.
        let out = g.round(10);
        assert!(out
            .values()
            .all(|a| a.assigned.is_empty() && a.revoked.is_empty()));
    }

    #[test]
    fn new_member_gets_work_by_revocation_then_second_round() {
        let c = connectors(&[("a", 4), ("b", 2)]);
        let mut g = Group::new(300_000, &["m1", "m2"], c.clone());
        g.round(0);
        assert_eq!(g.counts(), vec![(1, 3), (1, 3)]);
        g.owned.insert("m3".into(), WorkSet::default());
        let out = g.round(100);
        assert!(out["m3"].assigned.is_empty(), "nothing free yet: {out:?}");
        // 2 connectors over 3 workers need no move; 6 tasks: one from each old worker.
        assert_eq!(out["m1"].revoked_set().tasks.len(), 1, "{out:?}");
        assert_eq!(out["m2"].revoked_set().tasks.len(), 1, "{out:?}");
        assert!(out.values().all(|a| a.revoked_set().connectors.is_empty()));
        let out = g.round(200);
        assert_eq!(out["m3"].assigned_set().tasks.len(), 2);
        let mut counts = g.counts();
        counts.sort();
        assert_eq!(counts, vec![(0, 2), (1, 2), (1, 2)]);
        assert_eq!(g.total(), configured_set(&c));
        // Converged: the back-off counter resets and nothing moves.
        let out = g.round(300);
        assert!(out
            .values()
            .all(|a| a.assigned.is_empty() && a.revoked.is_empty()));
    }

    #[test]
    fn departed_member_work_is_held_for_the_delay_then_reassigned() {
        let c = connectors(&[("a", 2), ("b", 2), ("c", 2)]);
        let mut g = Group::new(10_000, &["m1", "m2", "m3"], c.clone());
        g.round(0);
        let gone = g.owned.remove("m3").unwrap();
        assert!(!gone.is_empty());
        let out = g.round(1_000);
        assert!(out
            .values()
            .all(|a| a.delay == 10_000 && a.assigned.is_empty()));
        assert_eq!(g.assignor.scheduled_rebalance(), 11_000);
        // A rejoin before expiry keeps the lost work unassigned and counts the delay down.
        let out = g.round(4_000);
        assert!(out
            .values()
            .all(|a| a.delay == 7_000 && a.assigned.is_empty()));
        // A replacement (empty) worker joins while waiting: it becomes a candidate.
        g.owned.insert("m4".into(), WorkSet::default());
        let out = g.round(6_000);
        assert_eq!(out["m4"].delay, 5_000);
        assert!(out["m4"].assigned.is_empty());
        let out = g.round(11_000);
        assert_eq!(
            out["m4"].assigned_set(),
            gone,
            "lost work goes to the candidate"
        );
        assert!(out.values().all(|a| a.delay == 0));
        assert_eq!(g.total(), configured_set(&c));
    }

    #[test]
    fn departed_member_work_returns_to_it_if_it_comes_back() {
        let c = connectors(&[("a", 3)]);
        let mut g = Group::new(10_000, &["m1", "m2"], c);
        g.round(0);
        let gone = g.owned.remove("m2").unwrap();
        g.round(1_000);
        // It restarts with nothing (a new member id would look the same) and the delay expires:
        // it is the only empty worker seen, so it gets the lost work back.
        g.owned.insert("m2".into(), WorkSet::default());
        g.round(2_000);
        let out = g.round(11_000);
        assert_eq!(out["m2"].assigned_set(), gone);
    }

    #[test]
    fn zero_delay_reassigns_lost_work_at_once() {
        let c = connectors(&[("a", 2), ("b", 2)]);
        let mut g = Group::new(0, &["m1", "m2", "m3"], c.clone());
        g.round(0);
        g.owned.remove("m2");
        let out = g.round(1);
        assert!(out.values().all(|a| a.delay == 0));
        assert_eq!(g.total(), configured_set(&c));
        let mut counts = g.counts();
        counts.sort();
        assert_eq!(counts, vec![(1, 2), (1, 2)]);
    }

    #[test]
    fn deleted_connectors_are_revoked() {
        let c = connectors(&[("a", 2), ("b", 2)]);
        let mut g = Group::new(300_000, &["m1", "m2"], c);
        g.round(0);
        g.connectors.remove("b");
        let out = g.round(1);
        let mut revoked = WorkSet::default();
        for a in out.values() {
            revoked.extend(&a.revoked_set());
        }
        let expected = configured_set(&connectors(&[("b", 2)]));
        assert_eq!(revoked, expected);
        assert_eq!(g.total(), configured_set(&connectors(&[("a", 2)])));
        // A new leader without history also revokes a connector nobody configures anymore.
        let mut fresh = IncrementalCooperativeAssignor::new(300_000);
        let mut alloc = ConnectAssignment::empty(2, 0, "", "", 5);
        alloc.assigned = vec![ConnectorTasks {
            connector: "zombie".into(),
            tasks: vec![-1, 0],
        }];
        let input = AssignmentInput {
            leader_id: "m1".into(),
            generation: 3,
            last_completed_generation: 2,
            protocol_version: 1,
            members: [("m1".to_string(), md("u", 5, Some(alloc)))].into(),
            connectors: BTreeMap::new(),
            leader_config_offset: 5,
            now_ms: 0,
        };
        let out = fresh.assign(&input);
        assert_eq!(out["m1"].version, 1);
        assert_eq!(
            out["m1"].revoked,
            vec![ConnectorTasks {
                connector: "zombie".into(),
                tasks: vec![-1, 0]
            }]
        );
    }

    #[test]
    fn duplicated_work_is_revoked_from_every_holder() {
        let mut alloc = ConnectAssignment::empty(2, 0, "", "", 1);
        alloc.assigned = vec![ConnectorTasks {
            connector: "a".into(),
            tasks: vec![0],
        }];
        let members: BTreeMap<String, WorkerMetadata> = [
            ("m1".to_string(), md("u1", 1, Some(alloc.clone()))),
            ("m2".to_string(), md("u2", 1, Some(alloc))),
        ]
        .into();
        let mut assignor = IncrementalCooperativeAssignor::new(1000);
        let input = AssignmentInput {
            leader_id: "m1".into(),
            generation: 0,
            last_completed_generation: -1,
            protocol_version: 2,
            members,
            connectors: connectors(&[("a", 1)]),
            leader_config_offset: 1,
            now_ms: 0,
        };
        let out = assignor.assign(&input);
        let task = vec![ConnectorTasks {
            connector: "a".into(),
            tasks: vec![0],
        }];
        assert_eq!(out["m1"].revoked, task);
        assert_eq!(out["m2"].revoked, task);
    }

    #[test]
    fn config_mismatch_when_leader_is_behind() {
        let input = AssignmentInput {
            leader_id: "m1".into(),
            generation: 1,
            last_completed_generation: 0,
            protocol_version: 2,
            members: [
                ("m1".to_string(), md("http://l/", 4, None)),
                ("m2".to_string(), md("http://f/", 9, None)),
            ]
            .into(),
            connectors: connectors(&[("a", 1)]),
            leader_config_offset: 4,
            now_ms: 0,
        };
        for out in [
            IncrementalCooperativeAssignor::new(0).assign(&input),
            eager_assign(&input),
        ] {
            assert_eq!(out.len(), 2);
            for a in out.values() {
                assert_eq!(a.error, CONFIG_MISMATCH);
                assert_eq!(a.config_offset, 9);
                assert_eq!(a.leader_url, "http://l/");
                assert!(a.assigned.is_empty());
            }
        }
    }

    #[test]
    fn consecutive_revocations_back_off_exponentially() {
        let a = IncrementalCooperativeAssignor::new(300_000);
        assert_eq!(
            (1..=4).map(|k| a.revocation_backoff(k)).collect::<Vec<_>>(),
            vec![40, 1_600, 64_000, 300_000]
        );
        assert_eq!(
            IncrementalCooperativeAssignor::new(0).revocation_backoff(2),
            0
        );

        // Two members join one after the other: the second revoking round is postponed.
        let c = connectors(&[("a", 6)]);
        let mut g = Group::new(300_000, &["m1"], c);
        g.round(0);
        g.owned.insert("m2".into(), WorkSet::default());
        let out = g.round(10);
        assert!(out["m1"].revoked_set().len() == 3, "{out:?}");
        g.owned.insert("m3".into(), WorkSet::default());
        let out = g.round(20);
        // m2 takes the freed work (no second revocation: back-off of 40 ms).
        assert!(out.values().all(|a| a.revoked.is_empty()), "{out:?}");
        assert!(out.values().all(|a| a.delay == 40));
        // Once the back-off delay has expired the revocation is allowed again.
        let out = g.round(100);
        assert_eq!(out["m1"].revoked_set().tasks.len(), 1, "{out:?}");
        assert!(out.values().all(|a| a.delay == 0));
        // Revoking right after that revoking round backs off longer (1.6 s) ...
        g.owned.insert("m4".into(), WorkSet::default());
        g.owned.insert("m5".into(), WorkSet::default());
        let out = g.round(110);
        assert!(
            out.values()
                .all(|a| a.revoked.is_empty() && a.delay == 1_600),
            "{out:?}"
        );
        // ... and a round while that delay runs clears the flag; at expiry revocation resumes.
        let out = g.round(900);
        assert!(
            out.values().all(|a| a.revoked.is_empty() && a.delay == 810),
            "{out:?}"
        );
        let out = g.round(1_710);
        assert!(out.values().any(|a| !a.revoked.is_empty()), "{out:?}");
        g.round(1_720);
        let mut counts = g.counts();
        counts.sort();
        assert_eq!(counts, vec![(0, 1), (0, 1), (0, 1), (0, 1), (1, 2)]);
        assert_eq!(g.total(), configured_set(&connectors(&[("a", 6)])));
    }

    /// A leader whose config snapshot holds a connector named beyond what the protocol can
    /// carry leaves it out, so every assignment encodes and the group keeps rebalancing.
    #[test]
    fn unencodable_connector_names_are_never_assigned() {
        let long = "x".repeat(40_000);
        let mut c = connectors(&[("a", 2), ("b", 1)]);
        c.insert(long.clone(), 3);
        let mut g = Group::new(0, &["m1", "m2"], c.clone());
        for round in 0..3 {
            let out = g.round(round);
            for a in out.values() {
                assert!(a.encode().is_ok(), "round {round}: {a:?}");
                assert!(a.assigned.iter().all(|e| e.connector != long));
            }
        }
        assert_eq!(
            g.total(),
            configured_set(&connectors(&[("a", 2), ("b", 1)]))
        );

        // The eager assignor too.
        let members: BTreeMap<String, WorkerMetadata> = ["m1", "m2"]
            .iter()
            .map(|m| (m.to_string(), md(&format!("http://{m}/"), 3, None)))
            .collect();
        let input = AssignmentInput {
            leader_id: "m1".into(),
            protocol_version: 0,
            members,
            connectors: c,
            leader_config_offset: 3,
            ..Default::default()
        };
        let out = eager_assign(&input);
        let mut assigned = WorkSet::default();
        for a in out.values() {
            assert!(a.encode().is_ok());
            assigned.extend(&a.assigned_set());
        }
        assert_eq!(assigned, configured_set(&connectors(&[("a", 2), ("b", 1)])));
        // A name of exactly 32767 bytes still fits.
        let edge = "e".repeat(32_767);
        assert!(configured_set(&[(edge.clone(), 1)].into())
            .connectors
            .contains(&edge));
    }

    #[test]
    fn eager_round_robin_order() {
        let members: BTreeMap<String, WorkerMetadata> = ["m3", "m1", "m2"]
            .iter()
            .map(|m| (m.to_string(), md(&format!("http://{m}/"), 3, None)))
            .collect();
        let input = AssignmentInput {
            leader_id: "m2".into(),
            generation: 0,
            last_completed_generation: -1,
            protocol_version: 0,
            members,
            connectors: connectors(&[("b", 2), ("a", 2)]),
            leader_config_offset: 3,
            now_ms: 0,
        };
        let out = eager_assign(&input);
        let entries = |m: &str| {
            out[m]
                .assigned
                .iter()
                .map(|e| (e.connector.as_str(), e.tasks.clone()))
                .collect::<Vec<_>>()
        };
        // Connectors a→m1, b→m2; then tasks a0→m3, a1→m1, b0→m2, b1→m3.
        assert_eq!(entries("m1"), vec![("a", vec![-1, 1])]);
        assert_eq!(entries("m2"), vec![("b", vec![-1, 0])]);
        assert_eq!(entries("m3"), vec![("a", vec![0]), ("b", vec![1])]);
        for a in out.values() {
            assert_eq!((a.version, a.error, a.config_offset), (0, NO_ERROR, 3));
            assert_eq!(
                (a.leader.as_str(), a.leader_url.as_str()),
                ("m2", "http://m2/")
            );
        }
    }
}
