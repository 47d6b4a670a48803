//! End-to-end tests of `rconnect distributed`: several real worker processes in one group on
//! a real tansu broker, driven through the REST API.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{
    distributed_worker_settings, free_port, repo_root, unique_name, Broker, Http, Worker,
};
use serde_json::json;

/// Fast-failover settings (docs/distributed.md) plus tansu's short session timeout.
fn worker_props(dir: &Path, broker: &Broker, group: &str, port: u16) -> PathBuf {
    let sample =
        fs::read_to_string(repo_root().join("config/connect-distributed.properties")).unwrap();
    let mut text: String = sample
        .lines()
        .filter(|l| {
            !l.starts_with("bootstrap.servers=")
                && !l.starts_with("group.id=")
                && !l.contains(".storage.topic=")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    for (k, v) in distributed_worker_settings(broker, group, port) {
        text.push_str(&format!("{k}={v}\n"));
    }
    let path = dir.join(format!("worker-{port}.properties"));
    fs::write(&path, text).unwrap();
    path
}

struct Cluster {
    dir: tempfile::TempDir,
    group: String,
    workers: BTreeMap<u16, Worker>,
    http: Http,
}

impl Cluster {
    /// No workers yet, in a fresh group and directory.
    fn new() -> Cluster {
        Cluster {
            dir: tempfile::tempdir().unwrap(),
            group: unique_name("connect-group"),
            workers: BTreeMap::new(),
            http: Http::new(),
        }
    }

    fn start_worker(&mut self, broker: &Broker) -> u16 {
        self.start_worker_with(broker, &[])
    }

    /// A worker whose properties end with `extra` (a later line wins).
    fn start_worker_with(&mut self, broker: &Broker, extra: &[(&str, &str)]) -> u16 {
        let port = free_port();
        let props = worker_props(self.dir.path(), broker, &self.group, port);
        let mut f = fs::OpenOptions::new().append(true).open(&props).unwrap();
        for (k, v) in extra {
            writeln!(f, "{k}={v}").unwrap();
        }
        let mut w = Worker::start(&["distributed", props.to_str().unwrap()], &[]);
        w.wait_for_rest(port, Duration::from_secs(30));
        self.workers.insert(port, w);
        port
    }

    fn url(port: u16, path: &str) -> String {
        format!("http://127.0.0.1:{port}{path}")
    }

    /// The leader's port, from the last assignment a worker logged.
    fn leader(&self) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for w in self.workers.values() {
                if let Some(line) = w.log().lines().rev().find(|l| l.contains("leaderUrl=")) {
                    let url = line
                        .split("leaderUrl=")
                        .nth(1)
                        .unwrap()
                        .split_whitespace()
                        .next()
                        .unwrap();
                    return url
                        .trim_end_matches('/')
                        .rsplit(':')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                }
            }
            assert!(Instant::now() < deadline, "no worker logged a leader");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `(leader, follower)` once workers `a` and `b` both logged the same leader: the
    /// "leader" read from one log may otherwise be a worker that has not met the other yet.
    fn agreed_leader(&self, a: u16, b: u16) -> (u16, u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let leader = self.leader();
            let both = [a, b].iter().all(|p| {
                self.workers[p]
                    .log()
                    .lines()
                    .any(|l| l.contains(&format!("leaderUrl=http://127.0.0.1:{leader}/")))
            });
            if both {
                return (leader, if leader == a { b } else { a });
            }
            assert!(
                Instant::now() < deadline,
                "workers {a} and {b} never agreed on a leader"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `connector -> {"connector": worker, "task-N": worker}` once everything is RUNNING.
    fn wait_all_running(
        &self,
        port: u16,
        connectors: &[&str],
        timeout: Duration,
    ) -> HashMap<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let (code, body) = self
                .http
                .get_json(&Self::url(port, "/connectors?expand=status"));
            let mut placement = HashMap::new();
            let mut ok = code == 200;
            for c in connectors {
                let st = &body[*c]["status"];
                if st["connector"]["state"] != "RUNNING"
                    || st["tasks"].as_array().is_none_or(|t| t.is_empty())
                {
                    ok = false;
                    continue;
                }
                placement.insert(
                    c.to_string(),
                    st["connector"]["worker_id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
                for t in st["tasks"].as_array().unwrap() {
                    if t["state"] != "RUNNING" {
                        ok = false;
                    }
                    placement.insert(
                        format!("{c}-{}", t["id"]),
                        t["worker_id"].as_str().unwrap_or("").to_string(),
                    );
                }
            }
            if ok {
                return placement;
            }
            if Instant::now() > deadline {
                let logs: String = self
                    .workers
                    .values()
                    .map(|w| w.log_tail(25))
                    .collect::<Vec<_>>()
                    .join("\n----\n");
                panic!("not everything RUNNING within {timeout:?}: {body}\n{logs}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn append(path: &Path, range: std::ops::Range<usize>) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let text: String = range.map(|i| format!("record {i}\n")).collect();
    f.write_all(text.as_bytes()).unwrap();
}

/// Waits until `file` holds every `record i` for `i < n`; returns the duplicate count.
fn wait_complete(file: &Path, n: usize, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let text = fs::read_to_string(file).unwrap_or_default();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for l in text.lines() {
            *counts.entry(l).or_default() += 1;
        }
        let missing = (0..n)
            .filter(|i| !counts.contains_key(format!("record {i}").as_str()))
            .count();
        if missing == 0 {
            return counts.values().map(|c| c - 1).sum();
        }
        assert!(
            Instant::now() < deadline,
            "{} is missing {missing} of {n} records",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn started_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("task started"))
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn three_workers_failover_and_scale_out() {
    let broker = Broker::start();
    let topic = unique_name("dist");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let ports: Vec<u16> = (0..3).map(|_| cluster.start_worker(&broker)).collect();
    let leader = cluster.leader();
    let followers: Vec<u16> = ports.iter().copied().filter(|p| *p != leader).collect();
    assert_eq!(followers.len(), 2, "one leader among three workers");

    let input = cluster.dir.path().join("in.txt");
    let out_a = cluster.dir.path().join("a.txt");
    let out_b = cluster.dir.path().join("b.txt");
    append(&input, 0..2_000);
    let creates = [
        json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}}),
        json!({"name": "sink-a", "config": {"connector.class": "FileStreamSink", "file": out_a.display().to_string(), "topics": topic}}),
        json!({"name": "sink-b", "config": {"connector.class": "FileStreamSink", "file": out_b.display().to_string(), "topics": topic}}),
    ];
    for (i, c) in creates.iter().enumerate() {
        let via = followers[i % 2];
        let (code, body) = cluster.http.post_json(&Cluster::url(via, "/connectors"), c);
        assert_eq!(code, 201, "create through follower {via}: {body}");
    }
    let (code, body) = cluster
        .http
        .post_json(&Cluster::url(followers[0], "/connectors"), &creates[0]);
    assert_eq!(code, 409, "duplicate create answers 409: {body}");

    let names = ["src", "sink-a", "sink-b"];
    let placement = cluster.wait_all_running(leader, &names, Duration::from_secs(60));
    let mut load: HashMap<String, usize> = HashMap::new();
    for w in placement.values() {
        *load.entry(w.clone()).or_default() += 1;
    }
    assert!(
        load.len() >= 2,
        "work is spread over the workers: {placement:?}"
    );
    // Every worker answers the same status.
    for p in &ports {
        assert_eq!(
            cluster
                .http
                .get_json(&Cluster::url(*p, "/connectors/src/status"))
                .0,
            200
        );
    }
    wait_complete(&out_a, 2_000, Duration::from_secs(60));
    wait_complete(&out_b, 2_000, Duration::from_secs(60));
    // Active topics (KIP-558) travel through the status topic: every worker answers them.
    for name in names {
        for p in &ports {
            let url = Cluster::url(*p, &format!("/connectors/{name}/topics"));
            let want = json!({name: {"topics": [topic]}});
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let (code, body) = cluster.http.get_json(&url);
                if (code, &body) == (200, &want) {
                    break;
                }
                assert!(Instant::now() < deadline, "{url}: {code} {body}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    // Kill the worker that runs most of the work.
    let (busiest_id, _) = load.iter().max_by_key(|(_, n)| **n).unwrap();
    let busiest: u16 = busiest_id.rsplit(':').next().unwrap().parse().unwrap();
    append(&input, 2_000..4_000);
    let killed_at = Instant::now();
    cluster.workers.get_mut(&busiest).unwrap().kill9();
    let survivor = *ports.iter().find(|p| **p != busiest).unwrap();
    let deadline = killed_at + Duration::from_secs(15);
    let after = loop {
        let placement = cluster.wait_all_running(survivor, &names, Duration::from_secs(60));
        if placement.values().all(|w| w != busiest_id) {
            break placement;
        }
        assert!(
            Instant::now() < deadline,
            "work still shown on the killed worker after 15 s: {placement:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let failover = killed_at.elapsed();
    println!(
        "failover: every task RUNNING on the survivors {failover:?} after kill -9 ({after:?})"
    );
    assert!(
        failover <= Duration::from_secs(15),
        "failover took {failover:?}"
    );
    append(&input, 4_000..5_000);
    let dup_a = wait_complete(&out_a, 5_000, Duration::from_secs(60));
    let dup_b = wait_complete(&out_b, 5_000, Duration::from_secs(60));
    println!(
        "after failover: sink-a {dup_a} duplicate(s), sink-b {dup_b} duplicate(s), none missing"
    );

    // A fourth worker joins and gets work; unaffected tasks on the others do not restart.
    let survivors: Vec<u16> = ports.iter().copied().filter(|p| *p != busiest).collect();
    let before: HashMap<u16, usize> = survivors
        .iter()
        .map(|p| (*p, started_lines(&cluster.workers[p].log()).len()))
        .collect();
    let newcomer = cluster.start_worker(&broker);
    let new_id = format!("127.0.0.1:{newcomer}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let placement = loop {
        let placement = cluster.wait_all_running(newcomer, &names, Duration::from_secs(60));
        if placement.values().any(|w| *w == new_id) {
            break placement;
        }
        assert!(
            Instant::now() < deadline,
            "the new worker got no work: {placement:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for p in &survivors {
        let id = format!("127.0.0.1:{p}");
        let log = cluster.workers[p].log();
        let restarted: Vec<String> = started_lines(&log)[before[p]..].to_vec();
        for line in &restarted {
            // A task (re)started on a survivor after the join must not be one it still runs
            // and ran before: moved work may start elsewhere, kept work must not restart.
            let kept: Vec<&String> = placement
                .iter()
                .filter(|(_, w)| **w == id)
                .map(|(k, _)| k)
                .collect();
            assert!(
                !kept.iter().any(|k| line.contains(&format!(
                    "connector={}",
                    k.rsplit_once('-').map_or(k.as_str(), |x| x.0)
                ))),
                "worker {p} restarted kept work after the join: {line}"
            );
        }
    }
    append(&input, 5_000..6_000);
    wait_complete(&out_a, 6_000, Duration::from_secs(60));
    wait_complete(&out_b, 6_000, Duration::from_secs(60));
    for (p, w) in cluster.workers.iter_mut() {
        if *p != busiest {
            assert!(w.stop().success(), "worker {p} stops cleanly");
        }
    }
}

/// KIP-415's delayed rebalance with an rconnect leader: the work of a killed follower waits
/// for `scheduled.rebalance.max.delay.ms` and is then reassigned. Java's default delay is 5
/// minutes; 5 s here. The leader's rejoin when the delay expires must carry different
/// metadata than its previous join (the delay is part of it, as in Java), or a broker that
/// treats an unchanged join as no rebalance (tansu) never moves the work.
#[test]
fn lost_work_is_reassigned_when_the_scheduled_delay_expires() {
    let broker = Broker::start();
    let topic = unique_name("delayed");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let delay = Duration::from_secs(5);
    let delay_ms = delay.as_millis().to_string();
    let a = cluster.start_worker_with(&broker, &[("scheduled.rebalance.max.delay.ms", &delay_ms)]);
    let b = cluster.start_worker_with(&broker, &[("scheduled.rebalance.max.delay.ms", &delay_ms)]);
    let (leader, follower) = cluster.agreed_leader(a, b);
    let input = cluster.dir.path().join("in.txt");
    append(&input, 0..100);
    let mut names = Vec::new();
    for i in 0..4 {
        let name = format!("src-{i}");
        let c = json!({"name": name, "config": {"connector.class": "FileStreamSource",
            "file": input.display().to_string(), "topic": topic}});
        let (code, body) = cluster
            .http
            .post_json(&Cluster::url(leader, "/connectors"), &c);
        assert_eq!(code, 201, "{body}");
        names.push(name);
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let follower_id = format!("127.0.0.1:{follower}");
    // Wait until the follower runs some of the work, so there is work to lose.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let placement = cluster.wait_all_running(leader, &names, Duration::from_secs(60));
        if placement.values().any(|w| *w == follower_id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the follower never got work: {placement:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let killed_at = Instant::now();
    cluster.workers.get_mut(&follower).unwrap().kill9();
    // The status of lost work keeps naming the dead worker until the reassignment; what is
    // asserted is that it is reassigned at all, within the delay plus the failover budget.
    let deadline = killed_at + delay + Duration::from_secs(15);
    let after = loop {
        let placement = cluster.wait_all_running(leader, &names, Duration::from_secs(60));
        if placement.values().all(|w| *w != follower_id) {
            break placement;
        }
        assert!(
            Instant::now() < deadline,
            "work still on the killed worker {:?} after kill -9 (delay {delay:?}): {placement:?}\n{}",
            killed_at.elapsed(),
            cluster.workers[&leader].log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    println!(
        "delayed rebalance: all work RUNNING on the leader {:?} after kill -9 ({after:?})",
        killed_at.elapsed()
    );
    assert!(cluster.workers.get_mut(&leader).unwrap().stop().success());
}

#[test]
fn clean_shutdown_hands_work_over_at_once() {
    let broker = Broker::start();
    let topic = unique_name("leave");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let a = cluster.start_worker(&broker);
    let b = cluster.start_worker(&broker);
    let input = cluster.dir.path().join("in.txt");
    append(&input, 0..100);
    let req = json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic, "tasks.max": "1"}});
    assert_eq!(
        cluster
            .http
            .post_json(&Cluster::url(a, "/connectors"), &req)
            .0,
        201
    );
    let placement = cluster.wait_all_running(a, &["src"], Duration::from_secs(60));
    let owner: u16 = placement["src-0"]
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let other = if owner == a { b } else { a };
    let stopped_at = Instant::now();
    assert!(cluster.workers.get_mut(&owner).unwrap().stop().success());
    let other_id = format!("127.0.0.1:{other}");
    loop {
        let placement = cluster.wait_all_running(other, &["src"], Duration::from_secs(30));
        if placement.values().all(|w| *w == other_id) {
            break;
        }
        assert!(
            stopped_at.elapsed() < Duration::from_secs(30),
            "work never moved: {placement:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = stopped_at.elapsed();
    println!("clean shutdown: work RUNNING on the other worker {took:?} after SIGTERM");
    // Waiting for the session timeout would cost at least 6 s plus a ~3 s tansu join; a
    // LeaveGroup needs only the join. The margin absorbs a loaded CI machine.
    assert!(
        took < Duration::from_millis(8500),
        "a clean leave does not wait for the session timeout: {took:?}"
    );
    let records = broker.consume_all(&topic, 100, Duration::from_secs(30));
    assert!(records.len() >= 100);
}

#[test]
fn worker_survives_losing_the_broker_for_30_seconds() {
    let broker = Broker::start();
    let topic = unique_name("outage");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let port = cluster.start_worker(&broker);
    let input = cluster.dir.path().join("in.txt");
    let output = cluster.dir.path().join("out.txt");
    append(&input, 0..100);
    for c in [
        json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}}),
        json!({"name": "sink", "config": {"connector.class": "FileStreamSink", "file": output.display().to_string(), "topics": topic}}),
    ] {
        assert_eq!(
            cluster
                .http
                .post_json(&Cluster::url(port, "/connectors"), &c)
                .0,
            201
        );
    }
    cluster.wait_all_running(port, &["src", "sink"], Duration::from_secs(60));
    wait_complete(&output, 100, Duration::from_secs(60));

    broker.freeze(true);
    append(&input, 100..200);
    std::thread::sleep(Duration::from_secs(30));
    broker.freeze(false);
    let worker = cluster.workers.get_mut(&port).unwrap();
    assert!(
        worker.try_exit_status().is_none(),
        "the worker survived the outage\n{}",
        worker.log_tail(40)
    );

    append(&input, 200..300);
    let duplicates = wait_complete(&output, 300, Duration::from_secs(90));
    cluster.wait_all_running(port, &["src", "sink"], Duration::from_secs(60));
    println!("after a 30 s broker outage: all 300 records delivered, {duplicates} duplicate(s)");
    assert!(cluster.workers.get_mut(&port).unwrap().stop().success());
}

#[test]
fn create_through_a_follower_while_the_leader_is_down() {
    let broker = Broker::start();
    let topic = unique_name("noleader");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let a = cluster.start_worker(&broker);
    let b = cluster.start_worker(&broker);
    // Both workers must have joined the same generation, or the "leader" read from one log
    // may be a worker that has not met the other yet.
    let (code, body) = cluster.http.get_json(&Cluster::url(a, "/connectors"));
    assert_eq!(code, 200, "{body}");
    let (leader, follower) = cluster.agreed_leader(a, b);

    cluster.workers.get_mut(&leader).unwrap().kill9();
    let input = cluster.dir.path().join("in.txt");
    append(&input, 0..10);
    let req = json!({"name": "src", "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    let sent = Instant::now();
    let (code, body) = Http::with_timeout(Duration::from_secs(45))
        .post_json(&Cluster::url(follower, "/connectors"), &req);
    let took = sent.elapsed();
    println!("create through the follower with the leader killed: {code} after {took:?}");
    // The follower waits for the group to elect it (session timeout + one join) instead of
    // answering Java's immediate 500, and never longer than the bounded wait.
    assert_eq!(code, 201, "{body}");
    assert!(took < Duration::from_secs(35), "bounded wait: {took:?}");
    let placement = cluster.wait_all_running(follower, &["src"], Duration::from_secs(60));
    let id = format!("127.0.0.1:{follower}");
    assert!(placement.values().all(|w| *w == id), "{placement:?}");
    let records = broker.consume_all(&topic, 10, Duration::from_secs(30));
    assert_eq!(records.len(), 10);

    // Fewer tasks: the leader tombstones the statuses of task ids no longer configured.
    let out = cluster.dir.path().join("out.txt");
    let sink = |tasks: &str| json!({"connector.class": "FileStreamSink", "file": out.display().to_string(), "topics": topic, "tasks.max": tasks});
    let config_url = Cluster::url(follower, "/connectors/sink/config");
    assert_eq!(cluster.http.put_json(&config_url, &sink("2")).0, 201);
    let placement = cluster.wait_all_running(follower, &["sink"], Duration::from_secs(60));
    assert!(placement.contains_key("sink-1"), "{placement:?}");
    assert_eq!(cluster.http.put_json(&config_url, &sink("1")).0, 200);
    let status_url = Cluster::url(follower, "/connectors/sink/status");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = cluster.http.get_json(&status_url);
        let ids: Vec<i64> = status["tasks"]
            .as_array()
            .map(|t| t.iter().filter_map(|t| t["id"].as_i64()).collect())
            .unwrap_or_default();
        if ids == [0] && status["tasks"][0]["state"] == "RUNNING" {
            break;
        }
        assert!(Instant::now() < deadline, "task 1's status stays: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(cluster.workers.get_mut(&follower).unwrap().stop().success());
}

#[test]
fn offsets_changed_through_a_follower_are_forwarded_to_the_leader() {
    let broker = Broker::start();
    let mut cluster = Cluster::new();
    let a = cluster.start_worker(&broker);
    let b = cluster.start_worker(&broker);
    // Created STOPPED, the connector never has tasks: its offsets may change at once.
    let file = cluster.dir.path().join("in.txt").display().to_string();
    let req = json!({"name": "src", "initial_state": "STOPPED", "config": {
        "connector.class": "FileStreamSource", "file": file, "topic": unique_name("offsets")}});
    let (code, body) = cluster
        .http
        .post_json(&Cluster::url(a, "/connectors"), &req);
    assert_eq!(code, 201, "{body}");
    // Both workers in one generation, so one of them is a follower of the other.
    let (leader, follower) = cluster.agreed_leader(a, b);

    let offsets =
        json!({"offsets": [{"partition": {"filename": file}, "offset": {"position": 42}}]});
    let url = Cluster::url(follower, "/connectors/src/offsets");
    let (code, body) = cluster.http.patch_json(&url, &offsets);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"message": "The offsets for this connector have been altered successfully"})
    );
    assert!(
        cluster.workers[&leader]
            .log()
            .contains("PATCH /connectors/src/offsets?forward=true"),
        "the leader served the forwarded request"
    );
    // The offsets topic is shared: both workers read the new offset.
    for p in [a, b] {
        assert_eq!(
            cluster
                .http
                .get_json(&Cluster::url(p, "/connectors/src/offsets")),
            (200, offsets.clone())
        );
    }
    // Errors come back from the leader as they are.
    let (code, body) = cluster.http.patch_json(
        &Cluster::url(follower, "/connectors/nope/offsets"),
        &offsets,
    );
    assert_eq!(code, 404, "{body}");

    let (code, body) = cluster.http.delete(&url);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("have been reset successfully"), "{body}");
    assert_eq!(
        cluster
            .http
            .get_json(&Cluster::url(leader, "/connectors/src/offsets")),
        (200, json!({"offsets": []}))
    );
}

/// Polls `GET /connectors/{name}/status` on `port` until the connector is in `state` with
/// no tasks.
fn wait_state_without_tasks(cluster: &Cluster, port: u16, name: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, body) = cluster
            .http
            .get_json(&Cluster::url(port, &format!("/connectors/{name}/status")));
        if code == 200
            && body["connector"]["state"] == state
            && body["tasks"].as_array().is_some_and(|t| t.is_empty())
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never {state} without tasks: {code} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn resuming_a_connector_without_tasks_starts_its_tasks() {
    let broker = Broker::start();
    let topic = unique_name("resume");
    broker.create_topic(&topic, 1, &[]);
    let mut cluster = Cluster::new();
    let a = cluster.start_worker(&broker);
    let b = cluster.start_worker(&broker);
    let input = cluster.dir.path().join("in.txt");
    append(&input, 0..10);
    // Created PAUSED, the connector never generated task configs.
    let req = json!({"name": "src", "initial_state": "PAUSED", "config": {
        "connector.class": "FileStreamSource", "file": input.display().to_string(),
        "topic": topic, "tasks.max": "1"}});
    let (code, body) = cluster
        .http
        .post_json(&Cluster::url(a, "/connectors"), &req);
    assert_eq!(code, 201, "{body}");
    wait_state_without_tasks(&cluster, a, "src", "PAUSED");
    let (code, body) = cluster
        .http
        .put_empty(&Cluster::url(b, "/connectors/src/resume"));
    assert_eq!(code, 202, "{body}");
    cluster.wait_all_running(a, &["src"], Duration::from_secs(60));

    // Stopped, the connector has no tasks again; paused and resumed, it gets them back.
    let (code, body) = cluster
        .http
        .put_empty(&Cluster::url(b, "/connectors/src/stop"));
    assert_eq!(code, 204, "{body}");
    wait_state_without_tasks(&cluster, a, "src", "STOPPED");
    let (code, body) = cluster
        .http
        .put_empty(&Cluster::url(a, "/connectors/src/pause"));
    assert_eq!(code, 202, "{body}");
    wait_state_without_tasks(&cluster, b, "src", "PAUSED");
    let (code, body) = cluster
        .http
        .put_empty(&Cluster::url(a, "/connectors/src/resume"));
    assert_eq!(code, 202, "{body}");
    cluster.wait_all_running(b, &["src"], Duration::from_secs(60));
    assert!(
        broker
            .consume_all(&topic, 10, Duration::from_secs(30))
            .len()
            >= 10
    );
}

#[test]
fn a_cluster_log_level_set_on_one_worker_applies_on_all() {
    let broker = Broker::start();
    let mut cluster = Cluster::new();
    let a = cluster.start_worker(&broker);
    let b = cluster.start_worker(&broker);
    cluster.agreed_leader(a, b);
    let logger = "rconnect_runtime::distributed";
    let (code, body) = cluster.http.put_json(
        &Cluster::url(a, &format!("/admin/loggers/{logger}?scope=cluster")),
        &json!({"level": "debug"}),
    );
    assert_eq!((code, body.as_str()), (204, ""));
    // Java writes `logger-cluster-<namespace>` to the config topic; each worker applies it.
    for port in [a, b] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, body) = cluster
                .http
                .get_json(&Cluster::url(port, &format!("/admin/loggers/{logger}")));
            if code == 200 && body["level"] == "DEBUG" {
                assert!(body["last_modified"].is_i64(), "{body}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "worker {port} never applied the level: {code} {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // The worker scope stays per worker: only b changes.
    let (code, body) = cluster.http.put_json(
        &Cluster::url(b, &format!("/admin/loggers/{logger}")),
        &json!({"level": "WARN"}),
    );
    assert_eq!(code, 200, "{body}");
    let level = |port| {
        cluster
            .http
            .get_json(&Cluster::url(port, &format!("/admin/loggers/{logger}")))
            .1["level"]
            .clone()
    };
    assert_eq!(level(b), "WARN");
    assert_eq!(level(a), "DEBUG");

    // Both workers count the rebalance that formed the group (connect-worker-rebalance-metrics).
    for port in [a, b] {
        let (code, text) = cluster.http.get(&Cluster::url(port, "/metrics"));
        assert_eq!(code, 200, "{text}");
        let completed = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("kafka_connect_worker_rebalance_completed_rebalances_total ")
            })
            .and_then(|v| v.parse::<f64>().ok());
        assert!(completed >= Some(1.0), "worker {port}:\n{text}");
        assert!(
            text.contains("# TYPE kafka_connect_worker_rebalance_epoch gauge"),
            "{text}"
        );
    }
}
