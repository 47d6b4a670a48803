//! The cost of a transformation chain: the same FileStreamSource run (file → Kafka, JSON
//! values) once without transforms and once with four SMTs and a predicate, on one worker
//! and one broker; the figure is the CPU per record of each.

use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::broker::{free_port, Broker};
use crate::scenarios::{wait_watermark, Env, Meter, Transfer, REST_POLL};
use crate::worker::{Worker, SAMPLE_SINK, SAMPLE_SOURCE, SAMPLE_TOPIC};

/// The topic the plain run writes to.
const PLAIN_TOPIC: &str = "smt-plain";
/// The topic the chained connector names; its RegexRouter sends the records on to
/// [`ROUTED_TOPIC`].
pub const CHAIN_TOPIC: &str = "smt-chain";
/// Where the chained records land.
const ROUTED_TOPIC: &str = "smt-routed";

/// The chain: a line becomes a struct, gains two fields, has its field renamed and is routed
/// to another topic when a predicate matches (the shape of a typical production config).
pub const CHAIN: [(&str, &str); 14] = [
    ("transforms", "hoist,insert,rename,route"),
    (
        "transforms.hoist.type",
        "org.apache.kafka.connect.transforms.HoistField$Value",
    ),
    ("transforms.hoist.field", "line"),
    (
        "transforms.insert.type",
        "org.apache.kafka.connect.transforms.InsertField$Value",
    ),
    ("transforms.insert.static.field", "origin"),
    ("transforms.insert.static.value", "bench"),
    ("transforms.insert.topic.field", "source_topic"),
    (
        "transforms.rename.type",
        "org.apache.kafka.connect.transforms.ReplaceField$Value",
    ),
    ("transforms.rename.renames", "line:payload"),
    (
        "transforms.route.type",
        "org.apache.kafka.connect.transforms.RegexRouter",
    ),
    ("transforms.route.regex", "smt-(.*)"),
    ("transforms.route.replacement", ROUTED_TOPIC),
    ("transforms.route.predicate", "isChain"),
    ("predicates", "isChain"),
];

/// The predicate of [`CHAIN`].
pub const PREDICATE: [(&str, &str); 2] = [
    (
        "predicates.isChain.type",
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    ),
    ("predicates.isChain.pattern", CHAIN_TOPIC),
];

/// One run: the plain transfer and the chained one.
#[derive(Clone, Copy, Debug)]
pub struct SmtRun {
    /// Without transforms.
    pub plain: Transfer,
    /// With [`CHAIN`].
    pub chain: Transfer,
}

impl SmtRun {
    /// CPU per record of the chained run over the plain one, minus one, in percent.
    pub fn extra_cpu_percent(&self) -> f64 {
        (self.chain.cpu.as_secs_f64() / self.plain.cpu.as_secs_f64().max(1e-9) - 1.0) * 100.0
    }
}

/// The connector config of one case: JSON values without schemas, so the plain run pays for
/// the same converter as the chained one.
fn config(env: &Env, topic: &str, chained: bool) -> Vec<(&'static str, String)> {
    let mut config = vec![
        ("connector.class", "FileStreamSource".to_string()),
        ("file", env.data.to_string_lossy().into_owned()),
        ("topic", topic.to_string()),
        ("tasks.max", "1".to_string()),
        (
            "key.converter",
            crate::scenarios::STRING_CONVERTER.to_string(),
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter".to_string(),
        ),
        ("value.converter.schemas.enable", "false".to_string()),
    ];
    if chained {
        config.extend(CHAIN.iter().map(|(k, v)| (*k, v.to_string())));
        config.extend(PREDICATE.iter().map(|(k, v)| (*k, v.to_string())));
    }
    config
}

/// One run on a fresh broker and worker; odd runs put the chained case first.
pub fn smt_run(env: &Env, run: usize) -> Result<SmtRun> {
    let dir = env.work.join(format!("smt-{run}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    for topic in [SAMPLE_TOPIC, PLAIN_TOPIC, CHAIN_TOPIC, ROUTED_TOPIC] {
        broker.create_topic(topic, 1)?;
    }
    let files = env.samples.write(&dir, &broker.bootstrap(), free_port()?)?;
    let mut worker = Worker::start(&env.rconnect, &files, &dir.join("rconnect.log"))?;
    worker.wait_rest(REST_POLL, Duration::from_secs(30))?;
    worker.wait_running(
        &[SAMPLE_SOURCE, SAMPLE_SINK],
        REST_POLL,
        Duration::from_secs(30),
    )?;
    let order = if run & 1 == 0 {
        [false, true]
    } else {
        [true, false]
    };
    let mut plain = None;
    let mut chain = None;
    for chained in order {
        let (name, topic, lands_on) = if chained {
            ("smt-chain", CHAIN_TOPIC, ROUTED_TOPIC)
        } else {
            ("smt-plain", PLAIN_TOPIC, PLAIN_TOPIC)
        };
        let watermarks = broker.watch(lands_on, 1)?;
        let meter = Meter::start(worker.pid(), broker.pid())?;
        worker.create_connector(name, &config(env, topic, chained))?;
        let (first, done) = wait_watermark(
            &mut broker,
            &watermarks,
            env.lines as i64,
            meter.t0,
            env.timeout,
            &mut || worker.check_alive(),
        )
        .with_context(|| format!("rconnect file → Kafka, {name}"))?;
        let transfer = meter.finish(first, done)?;
        // Stopped so that its idle polling is not counted in the next case.
        worker.delete_connector(name)?;
        if chained {
            chain = Some(transfer);
        } else {
            plain = Some(transfer);
        }
    }
    worker.stop()?;
    let run = SmtRun {
        plain: plain.context("the plain case did not run")?,
        chain: chain.context("the chained case did not run")?,
    };
    eprintln!(
        "    plain {:.0} rec/s, chain {:.0} rec/s; chain CPU per record {:+.1}%",
        env.lines as f64 / run.plain.elapsed.as_secs_f64(),
        env.lines as f64 / run.chain.elapsed.as_secs_f64(),
        run.extra_cpu_percent()
    );
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(cpu_ms: u64) -> Transfer {
        Transfer {
            elapsed: Duration::from_secs(1),
            first: Duration::from_millis(10),
            cpu: Duration::from_millis(cpu_ms),
            broker_cpu: Duration::ZERO,
        }
    }

    #[test]
    fn extra_cpu_is_the_chained_run_over_the_plain_one() {
        let run = SmtRun {
            plain: transfer(800),
            chain: transfer(1000),
        };
        assert!((run.extra_cpu_percent() - 25.0).abs() < 1e-9);
    }

    #[test]
    fn the_chain_names_its_predicate_and_four_transforms() {
        let transforms = CHAIN
            .iter()
            .find(|(k, _)| *k == "transforms")
            .map(|(_, v)| *v)
            .unwrap_or_default();
        assert_eq!(transforms.split(',').count(), 4);
        assert!(PREDICATE
            .iter()
            .all(|(k, _)| k.starts_with("predicates.isChain.")));
    }
}
