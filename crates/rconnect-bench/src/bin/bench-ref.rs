//! `bench-ref`: the bare librdkafka reference the benchmark compares rconnect with.
//!
//! ```text
//! bench-ref produce --bootstrap B --topic T --file F [--set key=value ...]
//! bench-ref consume --bootstrap B --topic T --file F --count N [--group G] [--set key=value ...]
//! ```
//!
//! `produce` sends every line of F (without its newline) as a record value with a null key,
//! and exits once every record is acknowledged. `consume` reads T in a consumer group and
//! appends each value plus `\n` to F until N records were written, then commits once and
//! exits. Nothing else happens: no conversion, no per-record allocation beyond what
//! librdkafka does, so the difference to rconnect is the cost of the Connect runtime.
//!
//! The client settings are those the rconnect runtime gives its task clients (see
//! [`rconnect_bench::reference`]); `--set` overrides or adds librdkafka properties.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rconnect_bench::args::Args;
use rconnect_bench::reference;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _};
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;

const USAGE: &str = "\
usage:
  bench-ref produce --bootstrap B --topic T --file F [--set key=value ...]
  bench-ref consume --bootstrap B --topic T --file F --count N [--group G] [--set key=value ...]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-ref: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<()> {
    let mut argv = std::env::args().skip(1);
    let command = argv
        .next()
        .with_context(|| format!("missing command\n{USAGE}"))?;
    let mut args = Args::parse(argv, &["set"]).with_context(|| USAGE.to_string())?;
    let bootstrap = args.required("bootstrap")?;
    let topic = args.required("topic")?;
    let file = args.required("file")?;
    let overrides = args.all("set");
    match command.as_str() {
        "produce" => {
            args.finish()?;
            let mut config = reference::producer_config(&bootstrap);
            apply_overrides(&mut config, &overrides)?;
            produce(config, &topic, &file)
        }
        "consume" => {
            let count: u64 = args.parsed("count")?.context("--count is required")?;
            let group = args
                .optional("group")
                .unwrap_or_else(|| format!("bench-ref-{}", std::process::id()));
            args.finish()?;
            let mut config = reference::consumer_config(&bootstrap, &group);
            apply_overrides(&mut config, &overrides)?;
            consume(config, &topic, &file, count)
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn apply_overrides(config: &mut ClientConfig, overrides: &[String]) -> Result<()> {
    for kv in overrides {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--set {kv:?}: expected key=value"))?;
        config.set(k, v);
    }
    Ok(())
}

/// Counts delivery reports; keeps the first failure.
#[derive(Default)]
struct Deliveries {
    ok: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

fn produce(config: ClientConfig, topic: &str, path: &str) -> Result<()> {
    let start = Instant::now();
    let producer: BaseProducer<Deliveries> = config
        .create_with_context(Deliveries::default())
        .context("creating the producer")?;
    let file = File::open(path).with_context(|| format!("opening {path}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(256);
    let mut sent: u64 = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {path}"))?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let mut record: BaseRecord<'_, (), [u8]> = BaseRecord::to(topic).payload(&line[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    // Serving delivery reports is what frees queue space.
                    producer.poll(Duration::from_millis(10));
                    record = back;
                }
                Err((e, _)) => bail!("producing record {sent} to {topic}: {e}"),
            }
        }
        sent += 1;
        if sent & 1023 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer
        .flush(Duration::from_secs(600))
        .context("waiting for the last acknowledgements")?;
    let ctx = producer.context();
    let failed = ctx.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = ctx
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        bail!(
            "{failed} of {sent} records failed; first error: {}",
            first.unwrap_or_default()
        );
    }
    let ok = ctx.ok.load(Ordering::Relaxed);
    if ok != sent {
        bail!("{ok} of {sent} records acknowledged after flush");
    }
    eprintln!(
        "bench-ref: produced {sent} records to {topic} in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn consume(config: ClientConfig, topic: &str, path: &str, count: u64) -> Result<()> {
    let start = Instant::now();
    let consumer: BaseConsumer = config.create().context("creating the consumer")?;
    consumer
        .subscribe(&[topic])
        .with_context(|| format!("subscribing to {topic}"))?;
    let file = File::create(path).with_context(|| format!("creating {path}"))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut written: u64 = 0;
    while written < count {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                out.write_all(m.payload().unwrap_or_default())
                    .and_then(|()| out.write_all(b"\n"))
                    .with_context(|| format!("writing {path}"))?;
                written += 1;
            }
            Some(Err(e)) => bail!("consuming {topic}: {e}"),
        }
    }
    out.flush().with_context(|| format!("writing {path}"))?;
    drop(out);
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .context("committing offsets")?;
    eprintln!(
        "bench-ref: consumed {written} records from {topic} in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
