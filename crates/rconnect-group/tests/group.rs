//! Group membership against a real tansu broker: several members with protocol type
//! `connect`, driven like herders (join, apply the assignment, rejoin when told to).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rconnect_group::{
    AssignmentInput, ConnectAssignment, ConnectProtocol, GroupConfig, GroupMember,
    IncrementalCooperativeAssignor, Joined, LeaderContext, WorkSet, WorkerMetadata,
};
use rconnect_tests::{unique_name, Broker};
use tokio::sync::{mpsc, oneshot};

const SESSION: Duration = Duration::from_millis(6000);
const HEARTBEAT: Duration = Duration::from_millis(1000);

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

fn connectors() -> BTreeMap<String, u32> {
    [("alpha", 2), ("beta", 3), ("gamma", 1)]
        .iter()
        .map(|(c, n)| (c.to_string(), *n))
        .collect()
}

fn configured() -> WorkSet {
    let mut set = WorkSet::default();
    for (c, n) in connectors() {
        set.connectors.insert(c.clone());
        for t in 0..n as i32 {
            set.tasks.insert(rconnect_group::TaskId::new(c.clone(), t));
        }
    }
    set
}

/// What a worker reports after each completed join.
#[derive(Debug, Clone)]
struct Report {
    worker: usize,
    joined: Joined,
    owned: WorkSet,
    at: Instant,
}

/// Shared record of what leaders saw and computed, per generation.
#[derive(Default)]
struct LeaderLog {
    contexts: BTreeMap<i32, LeaderContext>,
    computed: BTreeMap<i32, BTreeMap<String, ConnectAssignment>>,
}

enum Stop {
    Leave,
    Vanish,
}

struct WorkerHandle {
    stop: Option<oneshot::Sender<Stop>>,
    task: tokio::task::JoinHandle<()>,
}

/// A minimal herder: joins, keeps "owned − revoked + assigned", rejoins at once after a
/// revocation, after `delay`, or when the heartbeat says so.
fn spawn_worker(
    worker: usize,
    bootstrap: String,
    group: String,
    max_delay: i32,
    log: Arc<Mutex<LeaderLog>>,
    reports: mpsc::UnboundedSender<Report>,
) -> WorkerHandle {
    let (stop_tx, mut stop_rx) = oneshot::channel::<Stop>();
    let task = tokio::spawn(async move {
        let mut member = GroupMember::new(GroupConfig {
            bootstrap_servers: vec![bootstrap],
            group_id: group,
            client_id: format!("worker-{worker}"),
            session_timeout: SESSION,
            rebalance_timeout: Duration::from_secs(10),
            heartbeat_interval: HEARTBEAT,
            protocol: ConnectProtocol::Sessioned,
            ..GroupConfig::default()
        });
        let mut assignor = IncrementalCooperativeAssignor::new(max_delay);
        let mut owned = WorkSet::default();
        let mut had_assignment = false;
        let started = Instant::now();
        loop {
            let allocation = had_assignment.then(|| {
                let mut a = ConnectAssignment::empty(2, 0, "", "", 42);
                a.assigned = owned.to_entries();
                a
            });
            let metadata = WorkerMetadata {
                version: 2,
                url: format!("http://w{worker}:8083/"),
                config_offset: 39 + worker as i64,
                allocation,
            };
            let log2 = Arc::clone(&log);
            let mut leader = |ctx: &LeaderContext| {
                let out = assignor.assign(&AssignmentInput {
                    leader_id: ctx.leader_id.clone(),
                    generation: ctx.generation,
                    last_completed_generation: ctx.last_completed_generation,
                    protocol_version: ctx.protocol_version,
                    members: ctx.members.clone(),
                    connectors: connectors(),
                    leader_config_offset: 42,
                    now_ms: started.elapsed().as_millis() as i64,
                });
                let mut log = log2.lock().unwrap();
                log.contexts.insert(ctx.generation, ctx.clone());
                log.computed.insert(ctx.generation, out.clone());
                out
            };
            let joined = tokio::select! {
                r = member.join(&metadata, &mut leader) => r.expect("join"),
                stop = &mut stop_rx => {
                    if let Ok(Stop::Leave) = stop { member.leave().await.expect("leave"); }
                    return;
                }
            };
            assert_eq!(
                joined.assignment.error, 0,
                "config offsets agree: {joined:?}"
            );
            had_assignment = true;
            owned.remove_all(&joined.assignment.revoked_set());
            owned.extend(&joined.assignment.assigned_set());
            let revoked = !joined.assignment.revoked.is_empty();
            let delay = joined.assignment.delay;
            let _ = reports.send(Report {
                worker,
                joined,
                owned: owned.clone(),
                at: Instant::now(),
            });
            if revoked {
                continue;
            }
            let mut rejoin = member.rejoin_needed();
            let scheduled = async {
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay as u64)).await
                } else {
                    std::future::pending::<()>().await
                }
            };
            let stop = tokio::select! {
                _ = async { rejoin.wait_for(|r| r.is_some()).await.map(|_| ()) } => None,
                _ = scheduled => None,
                stop = &mut stop_rx => Some(stop),
            };
            match stop {
                None => {}
                Some(Ok(Stop::Leave)) => {
                    member.leave().await.expect("leave");
                    return;
                }
                // Dropping the member aborts its heartbeat without LeaveGroup.
                Some(_) => return,
            }
        }
    });
    WorkerHandle {
        stop: Some(stop_tx),
        task,
    }
}

/// Collects reports until the given workers agree on one generation and own all configured
/// work exactly once, with nothing pending; returns the converged reports and when.
async fn converge(
    rx: &mut mpsc::UnboundedReceiver<Report>,
    workers: &[usize],
    deadline: Duration,
) -> (BTreeMap<usize, Report>, Instant) {
    let until = Instant::now() + deadline;
    let mut latest: BTreeMap<usize, Report> = BTreeMap::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let report = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no convergence within {deadline:?}; latest: {latest:#?}"))
            .expect("workers alive");
        latest.insert(report.worker, report);
        let current: Vec<&Report> = workers.iter().filter_map(|w| latest.get(w)).collect();
        if current.len() != workers.len() {
            continue;
        }
        let generation = current[0].joined.generation;
        if current.iter().any(|r| r.joined.generation != generation) {
            continue;
        }
        if current
            .iter()
            .any(|r| !r.joined.assignment.revoked.is_empty() || r.joined.assignment.delay != 0)
        {
            continue;
        }
        let mut union = WorkSet::default();
        let mut total = 0;
        for r in &current {
            union.extend(&r.owned);
            total += r.owned.len();
        }
        if union == configured() && total == union.len() {
            let at = current.iter().map(|r| r.at).max().unwrap();
            let picked = workers.iter().map(|w| (*w, latest[w].clone())).collect();
            return (picked, at);
        }
    }
}

fn check_leader_view(log: &LeaderLog, reports: &BTreeMap<usize, Report>) {
    let generation = reports.values().next().unwrap().joined.generation;
    let ctx = log
        .contexts
        .get(&generation)
        .unwrap_or_else(|| panic!("no leader context for generation {generation}"));
    let leaders: Vec<&Report> = reports.values().filter(|r| r.joined.is_leader).collect();
    assert_eq!(leaders.len(), 1, "exactly one leader: {reports:#?}");
    assert_eq!(ctx.leader_id, leaders[0].joined.member_id);
    assert_eq!(ctx.protocol_version, 2);
    assert_eq!(ctx.protocol_name, "sessioned");
    assert_eq!(ctx.members.len(), reports.len());
    for r in reports.values() {
        let md = &ctx.members[&r.joined.member_id];
        assert_eq!(md.url, format!("http://w{}:8083/", r.worker));
        assert_eq!(md.config_offset, 39 + r.worker as i64);
        assert_eq!(md.version, 2);
        assert_eq!(r.joined.leader_id, ctx.leader_id);
        assert_eq!(r.joined.assignment.leader, ctx.leader_id);
        assert_eq!(
            r.joined.assignment.leader_url,
            format!("http://w{}:8083/", leaders[0].worker)
        );
        let computed = &log.computed[&generation][&r.joined.member_id];
        assert_eq!(&r.joined.assignment, computed, "worker {}", r.worker);
    }
}

struct Setup {
    _broker: Broker,
    log: Arc<Mutex<LeaderLog>>,
    rx: mpsc::UnboundedReceiver<Report>,
    workers: Vec<WorkerHandle>,
    converged_at: Instant,
}

async fn three_workers(max_delay: i32) -> Setup {
    init_tracing();
    let broker = Broker::start();
    let group = unique_name("connect-group");
    let log = Arc::new(Mutex::new(LeaderLog::default()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let workers: Vec<WorkerHandle> = (1..=3)
        .map(|w| {
            spawn_worker(
                w,
                broker.bootstrap(),
                group.clone(),
                max_delay,
                Arc::clone(&log),
                tx.clone(),
            )
        })
        .collect();
    let (reports, at) = converge(&mut rx, &[1, 2, 3], Duration::from_secs(60)).await;
    eprintln!(
        "three workers converged in {:?} at generation {}",
        at - started,
        reports[&1].joined.generation
    );
    check_leader_view(&log.lock().unwrap(), &reports);
    let mut counts: Vec<usize> = reports.values().map(|r| r.owned.len()).collect();
    counts.sort();
    assert_eq!(counts, vec![3, 3, 3], "9 items spread evenly: {reports:#?}");
    Setup {
        _broker: broker,
        log,
        rx,
        workers,
        converged_at: at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_join_and_share_the_leaders_assignment() {
    let setup = three_workers(300_000).await;
    for w in setup.workers {
        w.task.abort();
    }
    drop(setup.log);
    drop(setup.rx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_leave_triggers_a_quick_rebalance_and_reassignment() {
    let mut setup = three_workers(0).await;
    let settle = setup.converged_at;
    let leaver = 2;
    let left_at = Instant::now();
    setup.workers[leaver - 1]
        .stop
        .take()
        .unwrap()
        .send(Stop::Leave)
        .ok();
    let (reports, at) = converge(&mut setup.rx, &[1, 3], Duration::from_secs(30)).await;
    let failover = at - left_at;
    eprintln!(
        "clean leave: remaining workers own everything after {failover:?} (settled {:?} before)",
        left_at - settle
    );
    assert!(
        failover < SESSION,
        "a clean leave must not wait for the session timeout: {failover:?}"
    );
    check_leader_view(&setup.log.lock().unwrap(), &reports);
    for w in setup.workers {
        w.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_member_is_expired_after_the_session_timeout() {
    let mut setup = three_workers(0).await;
    let victim = 3;
    let vanished_at = Instant::now();
    setup.workers[victim - 1]
        .stop
        .take()
        .unwrap()
        .send(Stop::Vanish)
        .ok();
    let (reports, at) = converge(&mut setup.rx, &[1, 2], Duration::from_secs(40)).await;
    let failover = at - vanished_at;
    eprintln!("silent member: remaining workers own everything after {failover:?}");
    assert!(
        failover >= SESSION - Duration::from_millis(1500),
        "expiry cannot precede the session timeout: {failover:?}"
    );
    assert!(
        failover < Duration::from_secs(15),
        "failover goal: {failover:?}"
    );
    check_leader_view(&setup.log.lock().unwrap(), &reports);
    for w in setup.workers {
        w.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// All members on `connect.protocol=eager`: the broker picks `default` and the leader's eager
/// assignment reaches everyone. (A mixed group, e.g. sessioned + compatible + eager, should
/// also settle on `default`, but tansu 0.6 picks a protocol not every member offered, or
/// answers INCONSISTENT_GROUP_PROTOCOL, depending on join order; real Kafka votes correctly.)
async fn eager_members_get_the_leaders_round_robin_assignment() {
    init_tracing();
    let broker = Broker::start();
    let group = unique_name("connect-eager");
    let member = |w: usize, protocol| {
        GroupMember::new(GroupConfig {
            bootstrap_servers: vec![broker.bootstrap()],
            group_id: group.clone(),
            client_id: format!("worker-{w}"),
            session_timeout: SESSION,
            rebalance_timeout: Duration::from_secs(10),
            heartbeat_interval: HEARTBEAT,
            protocol,
            ..GroupConfig::default()
        })
    };
    let mut members = vec![
        member(1, ConnectProtocol::Eager),
        member(2, ConnectProtocol::Eager),
        member(3, ConnectProtocol::Eager),
    ];
    let computed: Arc<Mutex<BTreeMap<i32, BTreeMap<String, ConnectAssignment>>>> = Arc::default();
    let started = Instant::now();
    let mut joined = join_all(&mut members, &computed).await;
    // A member that arrived after a generation formed makes everyone rejoin once more.
    for _ in 0..3 {
        if joined.iter().all(|j| j.generation == joined[0].generation) {
            break;
        }
        joined = join_all(&mut members, &computed).await;
    }
    eprintln!("eager group joined in {:?}", started.elapsed());
    let generation = joined[0].generation;
    assert!(
        joined.iter().all(|j| j.generation == generation),
        "{joined:#?}"
    );
    assert_eq!(joined.iter().filter(|j| j.is_leader).count(), 1);
    let computed = computed.lock().unwrap()[&generation].clone();
    let mut union = WorkSet::default();
    for j in &joined {
        assert_eq!(j.protocol_version, 0);
        assert_eq!(j.assignment, computed[&j.member_id]);
        assert_eq!(j.assignment.version, 0);
        union.extend(&j.assignment.assigned_set());
    }
    assert_eq!(union, configured());
    for m in &mut members {
        m.leave().await.expect("leave");
    }
}

type Computed = Arc<Mutex<BTreeMap<i32, BTreeMap<String, ConnectAssignment>>>>;

/// Joins all members concurrently; leaders assign eagerly and record what they computed.
async fn join_all(members: &mut [GroupMember], computed: &Computed) -> Vec<Joined> {
    let futures = members.iter_mut().enumerate().map(|(i, m)| {
        let computed = Arc::clone(computed);
        async move {
            let metadata = WorkerMetadata {
                version: 2,
                url: format!("http://w{}:8083/", i + 1),
                config_offset: 7,
                allocation: None,
            };
            let mut leader = |ctx: &LeaderContext| {
                assert_eq!(
                    (ctx.protocol_name.as_str(), ctx.protocol_version),
                    ("default", 0)
                );
                assert!(ctx.members.values().all(|m| m.version == 0));
                let out = rconnect_group::eager_assign(&AssignmentInput {
                    leader_id: ctx.leader_id.clone(),
                    generation: ctx.generation,
                    protocol_version: ctx.protocol_version,
                    members: ctx.members.clone(),
                    connectors: connectors(),
                    leader_config_offset: 7,
                    ..AssignmentInput::default()
                });
                computed.lock().unwrap().insert(ctx.generation, out.clone());
                out
            };
            m.join(&metadata, &mut leader).await.expect("join")
        }
    });
    futures::future::join_all(futures).await
}
