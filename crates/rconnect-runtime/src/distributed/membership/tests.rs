//! The membership loop against an in-memory coordinator, config store, status store and
//! Kafka clients: what starts and stops on each assignment, and who writes what.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_config::WorkerConfig;
use rconnect_group::{
    ConnectAssignment, ConnectorTasks, GroupError, Joined, LeaderContext, RejoinReason, WorkSet,
    WorkerMetadata, CONNECTOR_TASK, NO_ERROR,
};
use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::record::SourceRecord;
use rconnect_sdk::{ConnectResult, Props};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

use crate::clients::{
    Ack, ConsumerClient, GroupOffsetsClient, KafkaClients, OutRecord, ProducerClient, SendFailure,
};
use crate::config_store::ConfigStore;
use crate::distributed::coordinator::{AssignFn, Coordinator};
use crate::distributed::herder::DistributedHerder;
use crate::herder::{ConnectorTaskId, Herder, State, TargetState};
use crate::offsets::FileOffsetStore;
use crate::plugins::{fixtures, ConnectorFactory, ConnectorPlugin};
use crate::status::MemoryStatusStore;
use crate::test_util::{ConfigWrite as Write, MemoryConfigStore};
use crate::worker::{Worker, WorkerSettings};

const COUNTING: &str = "test.CountingSourceConnector";
const ME: &str = "me";
const OTHER: &str = "other";
/// How long a test waits for something the loop does on its own.
const PATIENCE: Duration = Duration::from_secs(10);

/// What the connectors and tasks of [`COUNTING`] did, in order ("start c", "stop c-0", ...).
type Log = Arc<Mutex<Vec<String>>>;

struct Counting {
    log: Log,
    name: String,
    config: Props,
}

#[async_trait]
impl Connector for Counting {
    fn version(&self) -> String {
        "1".into()
    }
    fn config_def(&self) -> ConfigDef {
        fixtures::def(&["topic"])
    }
    async fn start(&mut self, _: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        self.name = props.get("name").cloned().unwrap_or_default();
        self.config = props;
        self.log
            .lock()
            .unwrap()
            .push(format!("start {}", self.name));
        Ok(())
    }
    /// `max` tasks, each told its number.
    fn task_configs(&mut self, max: usize) -> ConnectResult<Vec<Props>> {
        Ok((0..max)
            .map(|i| {
                let mut t = self.config.clone();
                t.insert("task.number".into(), i.to_string());
                t
            })
            .collect())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.log.lock().unwrap().push(format!("stop {}", self.name));
        Ok(())
    }
    fn task_class(&self) -> String {
        "test.CountingTask".into()
    }
}
impl SourceConnector for Counting {}

struct CountingTask {
    log: Log,
    id: String,
}

#[async_trait]
impl SourceTask for CountingTask {
    fn version(&self) -> String {
        "1".into()
    }
    async fn start(&mut self, _: SourceTaskContext, props: Props) -> ConnectResult<()> {
        self.id = format!(
            "{}-{}",
            props.get("name").cloned().unwrap_or_default(),
            props.get("task.number").cloned().unwrap_or_default()
        );
        self.log.lock().unwrap().push(format!("start {}", self.id));
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(None)
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        self.log.lock().unwrap().push(format!("stop {}", self.id));
        Ok(())
    }
}

/// Producers that acknowledge every record; nothing else is needed by idle source tasks.
struct AckingClients;

struct AckingProducer(mpsc::UnboundedSender<Ack>);

impl ProducerClient for AckingProducer {
    fn send(&self, _: &OutRecord<'_>, token: u64) -> Result<(), SendFailure> {
        let _ = self.0.send(Ack {
            token,
            result: Ok((0, 0)),
        });
        Ok(())
    }
}

impl KafkaClients for AckingClients {
    fn producer(
        &self,
        _: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String> {
        let (tx, rx) = mpsc::unbounded_channel();
        Ok((Box::new(AckingProducer(tx)), rx))
    }
    fn consumer(
        &self,
        _: &Props,
        _: &[String],
        _: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String> {
        Err("no consumers in these tests".into())
    }
    fn group_offsets(&self, _: &Props) -> Result<Box<dyn GroupOffsetsClient>, String> {
        Err("no admin in these tests".into())
    }
}

/// How the test answers one join of the loop.
enum Round {
    /// Another member leads; this is this worker's assignment.
    Follower {
        generation: i32,
        assignment: ConnectAssignment,
    },
    /// This worker leads: its assignor runs over `others` plus its own metadata, and every
    /// member's assignment is sent back on `out`.
    Leader {
        generation: i32,
        others: BTreeMap<String, WorkerMetadata>,
        out: oneshot::Sender<BTreeMap<String, ConnectAssignment>>,
    },
}

/// A join as the fake coordinator received it.
struct JoinCall {
    metadata: WorkerMetadata,
    reply: oneshot::Sender<Round>,
}

/// The coordinator side the loop sees: every join waits for the test's answer.
struct FakeCoordinator {
    calls: mpsc::UnboundedSender<JoinCall>,
    rejoin: Arc<watch::Sender<Option<RejoinReason>>>,
    left: Arc<AtomicBool>,
    last_completed_generation: i32,
}

#[async_trait]
impl Coordinator for FakeCoordinator {
    async fn join(
        &mut self,
        metadata: &WorkerMetadata,
        leader: &mut AssignFn<'_>,
    ) -> Result<Joined, GroupError> {
        self.rejoin.send_replace(None);
        let (reply, answer) = oneshot::channel();
        let call = JoinCall {
            metadata: metadata.clone(),
            reply,
        };
        let gone = || GroupError::UnexpectedProtocol("the test ended".into());
        self.calls.send(call).map_err(|_| gone())?;
        let joined = match answer.await.map_err(|_| gone())? {
            Round::Follower {
                generation,
                assignment,
            } => Joined {
                generation,
                member_id: ME.into(),
                leader_id: assignment.leader.clone(),
                protocol_version: 2,
                assignment,
                is_leader: false,
            },
            Round::Leader {
                generation,
                mut others,
                out,
            } => {
                others.insert(ME.into(), metadata.clone());
                let ctx = LeaderContext {
                    generation,
                    leader_id: ME.into(),
                    last_completed_generation: self.last_completed_generation,
                    protocol_name: "sessioned".into(),
                    protocol_version: 2,
                    members: others,
                };
                let all = leader(&ctx);
                let mine = all[ME].clone();
                let _ = out.send(all);
                Joined {
                    generation,
                    member_id: ME.into(),
                    leader_id: ME.into(),
                    protocol_version: 2,
                    assignment: mine,
                    is_leader: true,
                }
            }
        };
        self.last_completed_generation = joined.generation;
        Ok(joined)
    }

    fn rejoin_needed(&self) -> watch::Receiver<Option<RejoinReason>> {
        self.rejoin.subscribe()
    }

    async fn leave(&mut self) -> Result<(), GroupError> {
        self.left.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A worker running the membership loop against the fakes, and the test's handles on them.
struct Harness {
    herder: Arc<DistributedHerder>,
    worker: Arc<Worker>,
    store: Arc<MemoryConfigStore>,
    calls: mpsc::UnboundedReceiver<JoinCall>,
    rejoin: Arc<watch::Sender<Option<RejoinReason>>>,
    left: Arc<AtomicBool>,
    log: Log,
    _dir: tempfile::TempDir,
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn connector_config(name: &str, tasks: usize) -> Props {
    props(&[
        ("name", name),
        ("connector.class", COUNTING),
        ("tasks.max", &tasks.to_string()),
        ("topic", "t"),
    ])
}

impl Harness {
    /// A worker with `store` as its config topic and `extra` worker settings.
    fn start(store: Arc<MemoryConfigStore>, extra: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut p = props(&[
            ("bootstrap.servers", "localhost:9092"),
            ("group.id", "g"),
            ("config.storage.topic", "g-configs"),
            ("offset.storage.topic", "g-offsets"),
            ("status.storage.topic", "g-status"),
            ("key.converter", fixtures::BOTH),
            ("value.converter", fixtures::BOTH),
            ("header.converter", fixtures::BOTH),
            ("scheduled.rebalance.max.delay.ms", "0"),
        ]);
        for (k, v) in extra {
            p.insert(k.to_string(), v.to_string());
        }
        let config = WorkerConfig::distributed(p).unwrap();
        let log: Log = Arc::default();
        let mut plugins = fixtures::registry();
        let (connector_log, task_log) = (log.clone(), log.clone());
        plugins.register_connector(ConnectorPlugin {
            class_name: COUNTING.into(),
            version: "1".into(),
            factory: ConnectorFactory::Source {
                connector: Arc::new(move || {
                    Box::new(Counting {
                        log: connector_log.clone(),
                        name: String::new(),
                        config: Props::new(),
                    })
                }),
                task: Arc::new(move || {
                    Box::new(CountingTask {
                        log: task_log.clone(),
                        id: String::new(),
                    })
                }),
            },
        });
        let (worker, events) = Worker::new(
            WorkerSettings {
                worker_id: "me:8083".into(),
                config: Arc::new(config),
            },
            Arc::new(plugins),
            Arc::new(FileOffsetStore::open(dir.path().join("offsets")).unwrap()),
            Arc::new(MemoryStatusStore::default()),
            Arc::new(AckingClients),
        );
        let (calls_tx, calls) = mpsc::unbounded_channel();
        let rejoin = Arc::new(watch::channel(None).0);
        let left = Arc::new(AtomicBool::new(false));
        let coordinator = FakeCoordinator {
            calls: calls_tx,
            rejoin: rejoin.clone(),
            left: left.clone(),
            last_completed_generation: -1,
        };
        let herder = DistributedHerder::start_with(
            worker.clone(),
            events,
            store.clone(),
            Box::new(coordinator),
            "http://me:8083/".into(),
            "cluster".into(),
            Duration::from_millis(50),
        );
        Harness {
            herder,
            worker,
            store,
            calls,
            rejoin,
            left,
            log,
            _dir: dir,
        }
    }

    async fn next_join(&mut self) -> JoinCall {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("the loop joins in time")
            .expect("the loop is running")
    }

    /// Answers the next join as a follower of `leader_url`; returns the metadata sent.
    async fn follow(
        &mut self,
        generation: i32,
        leader_url: &str,
        assigned: &[(&str, &[i32])],
        revoked: &[(&str, &[i32])],
    ) -> WorkerMetadata {
        let call = self.next_join().await;
        let mut a =
            ConnectAssignment::empty(2, NO_ERROR, OTHER, leader_url, self.store.snapshot().offset);
        a.assigned = entries(assigned);
        a.revoked = entries(revoked);
        let _ = call.reply.send(Round::Follower {
            generation,
            assignment: a,
        });
        call.metadata
    }

    /// Answers the next join as its leader, with `others` in the group; returns the
    /// metadata this worker sent and every member's assignment.
    async fn lead(
        &mut self,
        generation: i32,
        others: BTreeMap<String, WorkerMetadata>,
    ) -> (WorkerMetadata, BTreeMap<String, ConnectAssignment>) {
        let call = self.next_join().await;
        let (out, assignments) = oneshot::channel();
        let _ = call.reply.send(Round::Leader {
            generation,
            others,
            out,
        });
        let assignments = tokio::time::timeout(PATIENCE, assignments)
            .await
            .expect("the leader assigns in time")
            .expect("the leader assigns");
        (call.metadata, assignments)
    }

    /// Asks the loop to rejoin, as the heartbeat does when the group rebalances.
    fn rebalance(&self) {
        self.rejoin.send_replace(Some(RejoinReason::Rebalance));
    }

    fn running(&self) -> (Vec<String>, Vec<String>) {
        let mut connectors = self.worker.connector_names();
        connectors.sort();
        let mut tasks: Vec<String> = self
            .worker
            .task_ids()
            .iter()
            .map(ToString::to_string)
            .collect();
        tasks.sort();
        (connectors, tasks)
    }

    /// Waits until exactly `connectors` and `tasks` run here.
    async fn wait_running(&self, connectors: &[&str], tasks: &[&str]) {
        let want = (
            connectors.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            tasks.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let now = self.running();
            if now == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "running {now:?}, expected {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the loop has applied a completed rebalance.
    async fn wait_stable(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.herder.membership().rebalancing {
            assert!(tokio::time::Instant::now() < deadline, "still rebalancing");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn count(&self, event: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|e| *e == event)
            .count()
    }

    fn state(&self, connector: &str) -> Option<State> {
        self.worker.status.connector(connector).map(|s| s.state)
    }

    fn task_state(&self, connector: &str, task: i32) -> Option<State> {
        self.worker
            .status
            .task(&ConnectorTaskId {
                connector: connector.into(),
                task,
            })
            .map(|s| s.state)
    }
}

fn entries(work: &[(&str, &[i32])]) -> Vec<ConnectorTasks> {
    work.iter()
        .map(|(c, t)| ConnectorTasks {
            connector: c.to_string(),
            tasks: t.to_vec(),
        })
        .collect()
}

/// A store holding connectors with their task configs committed as the counting connector
/// generates them.
async fn store_with(connectors: &[(&str, usize)]) -> Arc<MemoryConfigStore> {
    let store = Arc::new(MemoryConfigStore::default());
    for (name, tasks) in connectors {
        let config = connector_config(name, *tasks);
        store
            .put_connector_config(name, &config, None)
            .await
            .unwrap();
        let task_configs: Vec<Props> = (0..*tasks)
            .map(|i| {
                let mut t = config.clone();
                t.insert("task.number".into(), i.to_string());
                t.insert("task.class".into(), "test.CountingTask".into());
                t
            })
            .collect();
        store.put_task_configs(name, &task_configs).await.unwrap();
    }
    store
}

/// A leader's REST endpoint that accepts every request and records its request line.
async fn fake_leader() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen_in = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen_in.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body its Content-Length announces.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            let line = text.lines().next().unwrap_or_default().to_string();
                            seen.lock().unwrap().push(line);
                            break;
                        }
                    }
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, seen)
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_assignment_starts_its_connectors_and_tasks() {
    let store = store_with(&[("a", 2), ("b", 1)]).await;
    let mut h = Harness::start(store, &[]);
    let (leader, forwarded) = fake_leader().await;
    let first = h
        .follow(
            1,
            &leader,
            &[("a", &[CONNECTOR_TASK, 0, 1]), ("b", &[0])],
            &[],
        )
        .await;
    assert_eq!(first.allocation, None, "nothing owned before");
    assert_eq!(first.url, "http://me:8083/");
    h.wait_running(&["a"], &["a-0", "a-1", "b-0"]).await;
    h.wait_stable().await;
    let m = h.herder.membership();
    assert_eq!(m.leader_url.as_deref(), Some(leader.as_str()));
    assert!(!m.is_leader);
    assert_eq!(m.generation, 1);
    assert_eq!(h.worker.generation(), 1);
    settle().await;
    assert_eq!(h.count("start a"), 1);
    assert_eq!(h.count("start a-0"), 1);
    assert_eq!(h.count("start a-1"), 1);
    assert_eq!(h.count("start b-0"), 1);
    assert_eq!(h.count("start b"), 0, "b's connector is not assigned here");
    assert_eq!(h.state("a"), Some(State::Running));
    assert_eq!(h.task_state("b", 0), Some(State::Running));
    // The committed task configs are what `a` generates: nothing to publish.
    assert!(forwarded.lock().unwrap().is_empty());
    assert_eq!(h.store.task_config_writes("a"), vec![2]);

    h.herder.stop().await;
    assert!(h.left.load(Ordering::SeqCst));
    h.wait_running(&[], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoking_rebalance_stops_exactly_the_revoked_work() {
    let store = store_with(&[("a", 2), ("b", 1)]).await;
    let mut h = Harness::start(store, &[]);
    let (leader, _) = fake_leader().await;
    h.follow(
        1,
        &leader,
        &[("a", &[CONNECTOR_TASK, 0, 1]), ("b", &[CONNECTOR_TASK, 0])],
        &[],
    )
    .await;
    h.wait_running(&["a", "b"], &["a-0", "a-1", "b-0"]).await;
    h.wait_stable().await;

    h.rebalance();
    let second = h
        .follow(2, &leader, &[], &[("a", &[1]), ("b", &[CONNECTOR_TASK])])
        .await;
    // The member metadata carries everything owned before the revocation.
    let owned = second.owned();
    assert_eq!(owned.connectors.len(), 2, "{owned:?}");
    assert_eq!(owned.tasks.len(), 3, "{owned:?}");
    h.wait_running(&["a"], &["a-0", "b-0"]).await;
    assert_eq!(h.task_state("a", 1), Some(State::Unassigned));
    assert_eq!(h.state("b"), Some(State::Unassigned));

    // Revocations are followed by a rejoin of its own, which declares what is left.
    let third = h.follow(3, &leader, &[], &[]).await;
    let owned = third.owned();
    let want = WorkSet {
        connectors: ["a".to_string()].into(),
        tasks: [
            rconnect_group::TaskId::new("a", 0),
            rconnect_group::TaskId::new("b", 0),
        ]
        .into(),
    };
    assert_eq!(owned, want);
    h.wait_stable().await;
    settle().await;
    h.wait_running(&["a"], &["a-0", "b-0"]).await;
    // Nothing that kept running was stopped or started again.
    for kept in ["a", "a-0", "b-0"] {
        assert_eq!(h.count(&format!("start {kept}")), 1, "{kept}");
        assert_eq!(h.count(&format!("stop {kept}")), 0, "{kept}");
    }
    assert_eq!(h.count("stop a-1"), 1);
    assert_eq!(h.count("stop b"), 1);
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_members_work_is_reassigned_after_the_scheduled_delay() {
    const DELAY_MS: u64 = 700;
    let store = store_with(&[("a", 2), ("b", 2)]).await;
    let mut h = Harness::start(
        store,
        &[("scheduled.rebalance.max.delay.ms", &DELAY_MS.to_string())],
    );
    let other = WorkerMetadata {
        version: 2,
        url: "http://other:8083/".into(),
        config_offset: h.store.snapshot().offset,
        allocation: None,
    };
    let (_, gen1) = h.lead(1, [(OTHER.to_string(), other.clone())].into()).await;
    let mine = gen1[ME].assigned_set();
    let theirs = gen1[OTHER].assigned_set();
    assert!(!mine.is_empty() && !theirs.is_empty(), "{gen1:?}");
    assert_eq!(mine.len() + theirs.len(), 6, "2 connectors and 4 tasks");
    h.wait_stable().await;
    assert!(h.herder.membership().is_leader);
    let task_names =
        |w: &WorkSet| -> Vec<String> { w.tasks.iter().map(ToString::to_string).collect() };
    let connectors: Vec<&str> = mine.connectors.iter().map(String::as_str).collect();
    let tasks = task_names(&mine);
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    h.wait_running(&connectors, &tasks).await;

    // The other worker joined generation 1 and is gone by generation 2.
    h.rebalance();
    let (md2, gen2) = h.lead(2, BTreeMap::new()).await;
    let joined_at = tokio::time::Instant::now();
    assert!(md2.allocation.is_some());
    let delay = gen2[ME].delay;
    assert!(
        delay > 0 && delay as u64 <= DELAY_MS,
        "lost work waits for its worker: {:?}",
        gen2[ME]
    );
    assert!(gen2[ME].assigned.is_empty(), "{:?}", gen2[ME]);
    h.wait_stable().await;
    h.wait_running(&connectors, &tasks).await;

    // Nobody asks: the loop rejoins by itself once the delay is over.
    let (md3, gen3) = h.lead(3, BTreeMap::new()).await;
    let waited = joined_at.elapsed();
    assert!(
        waited >= Duration::from_millis(delay as u64 - 50),
        "rejoined after {waited:?}, before the delay of {delay} ms"
    );
    // What it sends differs from the previous join (the delay it was given is in it), so a
    // coordinator that ignores unchanged joins still starts a new generation.
    assert_ne!(md3, md2);
    assert_eq!(md3.allocation.as_ref().map(|a| a.delay), Some(delay));
    assert_eq!(gen3[ME].assigned_set(), theirs, "{:?}", gen3[ME]);
    let mut all = mine.clone();
    all.extend(&theirs);
    let connectors: Vec<&str> = all.connectors.iter().map(String::as_str).collect();
    let tasks = task_names(&all);
    let tasks: Vec<&str> = tasks.iter().map(String::as_str).collect();
    h.wait_running(&connectors, &tasks).await;
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_record_read_before_its_assignment_is_no_reconfiguration() {
    let store = store_with(&[]).await;
    let mut h = Harness::start(store, &[]);
    let (leader, forwarded) = fake_leader().await;
    h.follow(1, &leader, &[], &[]).await;
    h.wait_stable().await;

    // The leader saw the new connector and started a rebalance; its record reaches this
    // worker while the join is under way, before the assignment that gives it the connector.
    h.rebalance();
    let call = h.next_join().await;
    h.store
        .put_connector_config("c", &connector_config("c", 1), None)
        .await
        .unwrap();
    let mut a = ConnectAssignment::empty(2, NO_ERROR, OTHER, &leader, h.store.snapshot().offset);
    a.assigned = entries(&[("c", &[CONNECTOR_TASK])]);
    let _ = call.reply.send(Round::Follower {
        generation: 2,
        assignment: a,
    });
    h.wait_running(&["c"], &[]).await;
    // Its task configs go to the leader, once.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while forwarded.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "nothing forwarded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    settle().await;
    assert_eq!(h.count("start c"), 1, "{:?}", h.log.lock().unwrap());
    assert_eq!(h.count("stop c"), 0);
    assert_eq!(
        *forwarded.lock().unwrap(),
        vec!["POST /connectors/c/tasks?forward=true HTTP/1.1".to_string()]
    );
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_writes_task_configs_and_the_session_key() {
    // As a follower: task configs go to the leader over REST; nothing is written here.
    let store = store_with(&[]).await;
    store
        .put_connector_config("n", &connector_config("n", 2), None)
        .await
        .unwrap();
    let mut h = Harness::start(store, &[]);
    let (leader, forwarded) = fake_leader().await;
    h.follow(1, &leader, &[("n", &[CONNECTOR_TASK])], &[]).await;
    h.wait_running(&["n"], &[]).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while forwarded.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "nothing forwarded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    settle().await;
    assert_eq!(h.store.task_config_writes("n"), Vec::<usize>::new());
    assert!(!h.store.writes().contains(&Write::SessionKey));
    h.herder.stop().await;

    // As the leader: it writes both itself.
    let store = store_with(&[]).await;
    store
        .put_connector_config("n", &connector_config("n", 2), None)
        .await
        .unwrap();
    let mut h = Harness::start(store, &[]);
    h.lead(1, BTreeMap::new()).await;
    h.wait_running(&["n"], &[]).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while h.store.task_config_writes("n").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no task configs written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(h.store.task_config_writes("n"), vec![2]);
    assert!(h.store.writes().contains(&Write::SessionKey));
    assert!(h.store.snapshot().session_key.is_some());
    // The changed task count needs a rebalance, which hands the new tasks out.
    let (_, gen2) = h.lead(2, BTreeMap::new()).await;
    assert_eq!(gen2[ME].assigned.len(), 1, "{:?}", gen2[ME]);
    h.wait_running(&["n"], &["n-0", "n-1"]).await;
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_a_connector_without_tasks_publishes_them() {
    let store = store_with(&[]).await;
    store
        .put_connector_config("p", &connector_config("p", 1), Some(TargetState::Paused))
        .await
        .unwrap();
    let mut h = Harness::start(store, &[]);
    h.lead(1, BTreeMap::new()).await;
    h.wait_running(&["p"], &[]).await;
    settle().await;
    assert_eq!(h.state("p"), Some(State::Paused));
    assert_eq!(h.store.task_config_writes("p"), Vec::<usize>::new());

    h.herder.resume_connector("p").await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while h.store.task_config_writes("p").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no task configs written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.lead(2, BTreeMap::new()).await;
    h.wait_running(&["p"], &["p-0"]).await;
    assert_eq!(h.state("p"), Some(State::Running));
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_during_a_rebalance_stops_the_work_and_leaves() {
    let store = store_with(&[("a", 1)]).await;
    let mut h = Harness::start(store, &[]);
    let (leader, _) = fake_leader().await;
    h.follow(1, &leader, &[("a", &[CONNECTOR_TASK, 0])], &[])
        .await;
    h.wait_running(&["a"], &["a-0"]).await;
    h.wait_stable().await;

    // A rebalance starts and its join never completes.
    h.rebalance();
    let pending = h.next_join().await;
    tokio::time::timeout(PATIENCE, h.herder.stop())
        .await
        .expect("stop does not wait for the join");
    drop(pending);
    assert!(h.left.load(Ordering::SeqCst));
    assert_eq!(h.running(), (vec![], vec![]));
    assert_eq!(h.state("a"), Some(State::Unassigned));
    assert_eq!(h.task_state("a", 0), Some(State::Unassigned));
    assert_eq!(h.count("stop a"), 1);
    assert_eq!(h.count("stop a-0"), 1);
    assert!(h.herder.membership().rebalancing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_log_levels_go_through_the_config_topic() {
    let store = store_with(&[]).await;
    let mut h = Harness::start(store, &[]);
    let mut levels = h.herder.logger_level_updates().expect("distributed");
    let (leader, forwarded) = fake_leader().await;
    h.follow(1, &leader, &[], &[]).await;
    h.wait_stable().await;
    // Any worker writes the level (no forwarding), and applies it as it reads it back.
    assert!(h
        .herder
        .set_cluster_logger_level("org.example", "debug")
        .await
        .unwrap());
    assert_eq!(
        h.store.writes().last(),
        Some(&Write::LoggerLevel("org.example".into(), "debug".into()))
    );
    let applied = tokio::time::timeout(PATIENCE, levels.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied, ("org.example".to_string(), "debug".to_string()));
    assert!(forwarded.lock().unwrap().is_empty());
    h.herder.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_names_are_answered_with_java_distributed_herder_texts() {
    use crate::herder::HerderError::NotFound;
    let store = store_with(&[("a", 1)]).await;
    let mut h = Harness::start(store, &[]);
    h.lead(1, BTreeMap::new()).await;
    h.wait_running(&["a"], &["a-0"]).await;
    h.wait_stable().await;
    let x0 = ConnectorTaskId {
        connector: "x".into(),
        task: 0,
    };
    let a99 = ConnectorTaskId {
        connector: "a".into(),
        task: 99,
    };
    let not_found = |text: &str| Err(NotFound(text.to_string()));
    // Java `DistributedHerder` (and `AbstractHerder` for pause and resume), 3.9.0.
    assert_eq!(
        h.herder.connector_info("x").await.map(|_| ()),
        not_found("Connector x not found")
    );
    assert_eq!(
        h.herder.task_configs("x").await.map(|_| ()),
        not_found("Connector x not found")
    );
    assert_eq!(
        h.herder.delete_connector("x").await,
        not_found("Connector x not found")
    );
    assert_eq!(
        h.herder.pause_connector("x").await,
        not_found("Unknown connector x")
    );
    assert_eq!(
        h.herder.stop_connector("x").await,
        not_found("Unknown connector x")
    );
    assert_eq!(
        h.herder
            .restart_connector("x", false, false)
            .await
            .map(|_| ()),
        not_found("Unknown connector: x")
    );
    assert_eq!(
        h.herder.restart_task(&x0).await,
        not_found("Unknown connector: x")
    );
    assert_eq!(
        h.herder.restart_task(&a99).await,
        not_found("Unknown task: a-99")
    );
    assert_eq!(
        h.herder.task_status(&a99).await.map(|_| ()),
        not_found("No status found for task a-99")
    );
    h.herder.stop().await;
}
