//! Failover: three `rconnect distributed` workers on one broker run a file source and two
//! file sinks; the worker running most of them is killed with SIGKILL, and the time until
//! every connector and task is RUNNING again on the survivors is measured.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use serde_json::Value as Json;

use crate::broker::{free_port, Broker};
use crate::process::Proc;
use crate::scenarios::{Env, REST_POLL};
use crate::worker::override_properties;

/// The fast-failover settings of docs/distributed.md, and tansu's short session timeout.
const FAST_FAILOVER: [(&str, &str); 5] = [
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "1000"),
    ("scheduled.rebalance.max.delay.ms", "0"),
    ("offset.flush.interval.ms", "1000"),
    ("consumer.session.timeout.ms", "6000"),
];

const CONNECTORS: [&str; 3] = ["src", "sink-a", "sink-b"];

struct Member {
    proc: Proc,
    port: u16,
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get_json(agent: &ureq::Agent, url: &str) -> Option<Json> {
    let mut r = agent.get(url).call().ok()?;
    if r.status().as_u16() != 200 {
        return None;
    }
    serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()
}

/// `connector or connector-task → worker id` once everything is RUNNING, else `None`.
fn placement(agent: &ureq::Agent, port: u16) -> Option<HashMap<String, String>> {
    let status = get_json(
        agent,
        &format!("http://127.0.0.1:{port}/connectors?expand=status"),
    )?;
    let mut out = HashMap::new();
    for c in CONNECTORS {
        let s = &status[c]["status"];
        if s["connector"]["state"] != "RUNNING" {
            return None;
        }
        out.insert(
            c.to_string(),
            s["connector"]["worker_id"].as_str()?.to_string(),
        );
        let tasks = s["tasks"].as_array().filter(|t| !t.is_empty())?;
        for t in tasks {
            if t["state"] != "RUNNING" {
                return None;
            }
            out.insert(
                format!("{c}-{}", t["id"]),
                t["worker_id"].as_str()?.to_string(),
            );
        }
    }
    Some(out)
}

fn start_member(
    env: &Env,
    dir: &Path,
    bootstrap: &str,
    group: &str,
    index: usize,
) -> Result<Member> {
    let port = free_port()?;
    let sample = std::fs::read_to_string(env.config_dir.join("connect-distributed.properties"))
        .context("reading connect-distributed.properties")?;
    let mut overrides: Vec<(&str, String)> = vec![
        ("bootstrap.servers", bootstrap.to_string()),
        ("group.id", group.to_string()),
        ("config.storage.topic", format!("{group}-configs")),
        ("offset.storage.topic", format!("{group}-offsets")),
        ("status.storage.topic", format!("{group}-status")),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("rest.advertised.host.name", "127.0.0.1".into()),
    ];
    overrides.extend(FAST_FAILOVER.iter().map(|(k, v)| (*k, v.to_string())));
    let props = dir.join(format!("worker-{index}.properties"));
    std::fs::write(&props, override_properties(&sample, &overrides))?;
    let mut cmd = Command::new(&env.rconnect);
    cmd.arg("distributed").arg(&props);
    let proc = Proc::spawn(
        "rconnect distributed",
        cmd,
        &dir.join(format!("worker-{index}.log")),
    )?;
    Ok(Member { proc, port })
}

/// One failover run on a fresh broker; returns the time from SIGKILL to all RUNNING.
pub fn failover_run(env: &Env, run: usize) -> Result<Duration> {
    let dir = env.work.join(format!("failover-{run}"));
    std::fs::create_dir_all(&dir)?;
    let broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    let topic = "failover";
    broker.create_topic(topic, 1)?;
    let group = format!("bench-failover-{run}");
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(start_member(env, &dir, &broker.bootstrap(), &group, i)?);
    }
    let agent = http();
    let deadline = Instant::now() + Duration::from_secs(60);
    for m in &members {
        while get_json(&agent, &format!("http://127.0.0.1:{}/", m.port)).is_none() {
            if Instant::now() > deadline {
                bail!(
                    "worker on {} never served REST\n{}",
                    m.port,
                    m.proc.log_tail(30)
                );
            }
            std::thread::sleep(REST_POLL);
        }
    }
    let input = dir.join("in.txt");
    std::fs::write(&input, "one\ntwo\nthree\n")?;
    let configs = [
        (
            "src",
            serde_json::json!({"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}),
        ),
        (
            "sink-a",
            serde_json::json!({"connector.class": "FileStreamSink", "file": dir.join("a.txt").display().to_string(), "topics": topic}),
        ),
        (
            "sink-b",
            serde_json::json!({"connector.class": "FileStreamSink", "file": dir.join("b.txt").display().to_string(), "topics": topic}),
        ),
    ];
    for (name, config) in configs {
        let body = serde_json::json!({"name": name, "config": config}).to_string();
        let url = format!("http://127.0.0.1:{}/connectors", members[0].port);
        let mut r = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body)
            .with_context(|| format!("POST {url}"))?;
        if r.status().as_u16() != 201 {
            bail!(
                "creating {name} answered {}: {}",
                r.status(),
                r.body_mut().read_to_string().unwrap_or_default()
            );
        }
    }
    let before = loop {
        if let Some(p) = placement(&agent, members[0].port) {
            break p;
        }
        if Instant::now() > deadline + Duration::from_secs(60) {
            bail!(
                "connectors never all RUNNING\n{}",
                members[0].proc.log_tail(30)
            );
        }
        std::thread::sleep(REST_POLL);
    };
    let mut load: HashMap<&str, usize> = HashMap::new();
    for w in before.values() {
        *load.entry(w.as_str()).or_default() += 1;
    }
    let (victim_id, _) = load
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(w, n)| (w.to_string(), *n))
        .context("no placement")?;
    let victim = members
        .iter()
        .position(|m| victim_id.ends_with(&format!(":{}", m.port)))
        .context("victim not found")?;
    let survivor = members[(victim + 1) % members.len()].port;
    let killed_at = Instant::now();
    members[victim].proc.kill();
    let timeout = Duration::from_secs(120);
    loop {
        if let Some(p) = placement(&agent, survivor) {
            if p.values().all(|w| *w != victim_id) {
                break;
            }
        }
        if killed_at.elapsed() > timeout {
            bail!("work did not move off the killed worker within {timeout:?}");
        }
        std::thread::sleep(REST_POLL);
    }
    let took = killed_at.elapsed();
    for (i, m) in members.iter_mut().enumerate() {
        if i != victim {
            let _ = m.proc.terminate(Duration::from_secs(30));
        }
    }
    Ok(took)
}
