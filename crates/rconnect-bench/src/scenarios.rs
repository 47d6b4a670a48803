//! The scenarios that run processes: start-up, and the transfer runs (memory, file → Kafka,
//! Kafka → file) of rconnect and of the reference on one broker.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::broker::{free_port, Broker, Watermarks};
use crate::data::{file_size, same_content};
use crate::process::{describe_exit, Proc};
use crate::procfs;
use crate::worker::{Samples, Worker, SAMPLE_SINK, SAMPLE_SOURCE, SAMPLE_TOPIC};

/// `StringConverter` for keys and values of the benchmark connectors.
pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
/// Interval of the REST polls of the start-up scenario.
pub const REST_POLL: Duration = Duration::from_millis(2);
/// Interval of the high-watermark polls while records go to Kafka.
pub const WATERMARK_POLL: Duration = Duration::from_millis(5);
/// Interval of the output-file size polls while records go to a file.
pub const FILE_POLL: Duration = Duration::from_millis(2);
/// How long the worker sits idle with the sample connectors before its RSS is read.
pub const IDLE_WAIT: Duration = Duration::from_secs(3);

/// What the scenarios need: binaries, samples, a scratch directory and the input file.
pub struct Env {
    /// The `rconnect` binary.
    pub rconnect: PathBuf,
    /// The `bench-ref` binary.
    pub bench_ref: PathBuf,
    /// The `tansu` binary.
    pub tansu: PathBuf,
    /// The sample configs.
    pub samples: Samples,
    /// Where they come from (`config/`), for the distributed sample.
    pub config_dir: PathBuf,
    /// Scratch directory (logs, configs, outputs).
    pub work: PathBuf,
    /// The input file.
    pub data: PathBuf,
    /// Lines in the input file.
    pub lines: u64,
    /// Bytes in the input file.
    pub data_bytes: u64,
    /// Longest wait for one transfer.
    pub timeout: Duration,
}

impl Env {
    pub(crate) fn run_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}

/// Start-up times of one worker, since spawn.
#[derive(Clone, Copy, Debug)]
pub struct Startup {
    /// Until the first 200 on `GET /`.
    pub rest: Duration,
    /// Until both sample connectors and their tasks are RUNNING.
    pub running: Duration,
}

/// Starts a worker with the two sample connectors `runs` times (one broker for all runs)
/// and times its start-up.
pub fn startup(env: &Env, runs: usize) -> Result<Vec<Startup>> {
    let dir = env.run_dir("startup")?;
    let broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    broker.create_topic(SAMPLE_TOPIC, 1)?;
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        let run_dir = dir.join(format!("run-{run}"));
        std::fs::create_dir_all(&run_dir)?;
        let files = env
            .samples
            .write(&run_dir, &broker.bootstrap(), free_port()?)?;
        let mut worker = Worker::start(&env.rconnect, &files, &run_dir.join("rconnect.log"))?;
        let timeout = Duration::from_secs(30);
        let rest = worker.wait_rest(REST_POLL, timeout)?;
        let running = worker.wait_running(&[SAMPLE_SOURCE, SAMPLE_SINK], REST_POLL, timeout)?;
        worker.stop()?;
        eprintln!(
            "  start-up run {}: REST {:.1} ms, connectors RUNNING {:.1} ms",
            run + 1,
            ms(rest),
            ms(running)
        );
        out.push(Startup { rest, running });
    }
    Ok(out)
}

/// One client moving the input file through Kafka in one direction.
#[derive(Clone, Copy, Debug)]
pub struct Transfer {
    /// From connector creation (rconnect) or process spawn (reference) until all records
    /// arrived.
    pub elapsed: Duration,
    /// From the same start until the first record arrived.
    pub first: Duration,
    /// CPU time (user + system) of the client process over `elapsed`.
    pub cpu: Duration,
    /// CPU time of the broker over `elapsed`.
    pub broker_cpu: Duration,
}

/// The figures of one transfer run.
#[derive(Clone, Copy, Debug)]
pub struct TransferRun {
    /// RSS of the worker idle with the sample connectors.
    pub idle_rss: u64,
    /// VmHWM of the worker after file → Kafka.
    pub peak_rss_source: u64,
    /// VmHWM of the worker after Kafka → file.
    pub peak_rss_sink: u64,
    /// rconnect, file → Kafka.
    pub rc_source: Transfer,
    /// rconnect, Kafka → file.
    pub rc_sink: Transfer,
    /// Reference, file → Kafka.
    pub ref_produce: Transfer,
    /// Reference, Kafka → file.
    pub ref_consume: Transfer,
    /// Peak RSS of the reference producer.
    pub ref_produce_rss: u64,
    /// Peak RSS of the reference consumer.
    pub ref_consume_rss: u64,
}

/// One transfer run on a fresh broker: rconnect (idle memory, file → Kafka, Kafka → file)
/// and the reference (produce, consume), into separate fresh one-partition topics. Odd runs
/// put the reference first so that neither side always meets the fresher broker.
pub fn transfer_run(env: &Env, run: usize) -> Result<TransferRun> {
    let dir = env.run_dir(&format!("transfer-{run}"))?;
    let mut broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    broker.create_topic(SAMPLE_TOPIC, 1)?;
    let (rc_topic, ref_topic) = ("bench-rconnect", "bench-reference");
    broker.create_topic(rc_topic, 1)?;
    broker.create_topic(ref_topic, 1)?;
    let (rc, reference) = if run & 1 == 0 {
        let rc = rconnect_transfer(env, &dir, &mut broker, rc_topic)?;
        (rc, reference_transfer(env, &dir, &mut broker, ref_topic)?)
    } else {
        let reference = reference_transfer(env, &dir, &mut broker, ref_topic)?;
        (
            rconnect_transfer(env, &dir, &mut broker, rc_topic)?,
            reference,
        )
    };
    Ok(TransferRun {
        idle_rss: rc.idle_rss,
        peak_rss_source: rc.peak_rss_source,
        peak_rss_sink: rc.peak_rss_sink,
        rc_source: rc.source,
        rc_sink: rc.sink,
        ref_produce: reference.produce,
        ref_consume: reference.consume,
        ref_produce_rss: reference.produce_rss,
        ref_consume_rss: reference.consume_rss,
    })
}

struct RconnectFigures {
    idle_rss: u64,
    peak_rss_source: u64,
    peak_rss_sink: u64,
    source: Transfer,
    sink: Transfer,
}

fn rconnect_transfer(
    env: &Env,
    dir: &Path,
    broker: &mut Broker,
    topic: &str,
) -> Result<RconnectFigures> {
    let wdir = dir.join("rconnect");
    std::fs::create_dir_all(&wdir)?;
    let files = env
        .samples
        .write(&wdir, &broker.bootstrap(), free_port()?)?;
    let mut worker = Worker::start(&env.rconnect, &files, &wdir.join("rconnect.log"))?;
    worker.wait_rest(REST_POLL, Duration::from_secs(30))?;
    worker.wait_running(
        &[SAMPLE_SOURCE, SAMPLE_SINK],
        REST_POLL,
        Duration::from_secs(30),
    )?;
    std::thread::sleep(IDLE_WAIT);
    let idle_rss = worker.memory()?.rss;

    let converters = [
        ("key.converter", STRING_CONVERTER.to_string()),
        ("value.converter", STRING_CONVERTER.to_string()),
        ("tasks.max", "1".to_string()),
    ];
    let mut source_config = vec![
        ("connector.class", "FileStreamSource".to_string()),
        ("file", env.data.to_string_lossy().into_owned()),
        ("topic", topic.to_string()),
    ];
    source_config.extend(converters.iter().cloned());
    let watermarks = broker.watch(topic, 1)?;
    let meter = Meter::start(worker.pid(), broker.pid())?;
    worker.create_connector("bench-source", &source_config)?;
    let (first, done) = wait_watermark(
        broker,
        &watermarks,
        env.lines as i64,
        meter.t0,
        env.timeout,
        &mut || worker.check_alive(),
    )
    .context("rconnect file → Kafka")?;
    let source = meter.finish(first, done)?;
    let peak_rss_source = worker.memory()?.hwm;
    // Stopped so that its idle polling is not counted in the sink's CPU time.
    worker.delete_connector("bench-source")?;

    let output = wdir.join("bench.sink.txt");
    let mut sink_config = vec![
        ("connector.class", "FileStreamSink".to_string()),
        ("file", output.to_string_lossy().into_owned()),
        ("topics", topic.to_string()),
    ];
    sink_config.extend(converters.iter().cloned());
    let meter = Meter::start(worker.pid(), broker.pid())?;
    worker.create_connector("bench-sink", &sink_config)?;
    let (first, done) = wait_file(&output, env.data_bytes, meter.t0, env.timeout, &mut || {
        worker.check_alive()
    })
    .context("rconnect Kafka → file")?;
    let sink = meter.finish(first, done)?;
    let peak_rss_sink = worker.memory()?.hwm;
    worker.stop()?;
    if !same_content(&env.data, &output)? {
        bail!(
            "{} differs from the input {}",
            output.display(),
            env.data.display()
        );
    }
    std::fs::remove_file(&output).ok();
    eprintln!(
        "    rconnect: file → Kafka {:.0} rec/s, Kafka → file {:.0} rec/s, idle RSS {:.1} MB, peak {:.1} MB",
        env.lines as f64 / source.elapsed.as_secs_f64(),
        env.lines as f64 / sink.elapsed.as_secs_f64(),
        mb(idle_rss),
        mb(peak_rss_source)
    );
    Ok(RconnectFigures {
        idle_rss,
        peak_rss_source,
        peak_rss_sink,
        source,
        sink,
    })
}

struct ReferenceFigures {
    produce: Transfer,
    consume: Transfer,
    produce_rss: u64,
    consume_rss: u64,
}

fn reference_transfer(
    env: &Env,
    dir: &Path,
    broker: &mut Broker,
    topic: &str,
) -> Result<ReferenceFigures> {
    let rdir = dir.join("reference");
    std::fs::create_dir_all(&rdir)?;
    let log = rdir.join("bench-ref.log");

    let mut cmd = Command::new(&env.bench_ref);
    cmd.arg("produce")
        .args(["--bootstrap", &broker.bootstrap(), "--topic", topic])
        .arg("--file")
        .arg(&env.data);
    let watermarks = broker.watch(topic, 1)?;
    let broker_cpu0 = procfs::cpu_time(broker.pid())?;
    let mut proc = Proc::spawn("bench-ref produce", cmd, &log)?;
    let start = proc.started();
    let (first, done) = wait_watermark(
        broker,
        &watermarks,
        env.lines as i64,
        start,
        env.timeout,
        &mut || failed_early(&mut proc),
    )
    .context("reference file → Kafka")?;
    let broker_cpu = procfs::cpu_time(broker.pid())?.saturating_sub(broker_cpu0);
    let finished = proc.wait_finish(env.timeout)?;
    if finished.code != Some(0) {
        bail!(
            "bench-ref produce ended with {}\n{}",
            describe_exit(finished.code),
            proc.log_tail(20)
        );
    }
    let produce = Transfer {
        elapsed: done,
        first,
        cpu: finished.cpu,
        broker_cpu,
    };
    let produce_rss = finished.max_rss;

    let output = rdir.join("bench-ref.out.txt");
    let mut cmd = Command::new(&env.bench_ref);
    cmd.arg("consume")
        .args(["--bootstrap", &broker.bootstrap(), "--topic", topic])
        .arg("--file")
        .arg(&output)
        .args(["--count", &env.lines.to_string()]);
    let broker_cpu0 = procfs::cpu_time(broker.pid())?;
    let mut proc = Proc::spawn("bench-ref consume", cmd, &log)?;
    let start = proc.started();
    let (first, done) = wait_file(&output, env.data_bytes, start, env.timeout, &mut || {
        failed_early(&mut proc)
    })
    .context("reference Kafka → file")?;
    let broker_cpu = procfs::cpu_time(broker.pid())?.saturating_sub(broker_cpu0);
    let finished = proc.wait_finish(env.timeout)?;
    if finished.code != Some(0) {
        bail!(
            "bench-ref consume ended with {}\n{}",
            describe_exit(finished.code),
            proc.log_tail(20)
        );
    }
    if !same_content(&env.data, &output)? {
        bail!(
            "{} differs from the input {}",
            output.display(),
            env.data.display()
        );
    }
    std::fs::remove_file(&output).ok();
    let consume = Transfer {
        elapsed: done,
        first,
        cpu: finished.cpu,
        broker_cpu,
    };
    eprintln!(
        "    reference: file → Kafka {:.0} rec/s, Kafka → file {:.0} rec/s",
        env.lines as f64 / produce.elapsed.as_secs_f64(),
        env.lines as f64 / consume.elapsed.as_secs_f64()
    );
    Ok(ReferenceFigures {
        produce,
        consume,
        produce_rss,
        consume_rss: finished.max_rss,
    })
}

/// An error when the reference exited before its records arrived (a clean exit is fine: the
/// poll that sees the last record may come after it).
fn failed_early(proc: &mut Proc) -> Result<()> {
    match proc.try_finish()? {
        Some(f) if f.code != Some(0) => bail!(
            "bench-ref ended with {}\n{}",
            describe_exit(f.code),
            proc.log_tail(20)
        ),
        _ => Ok(()),
    }
}

/// CPU times of a worker and the broker from the start of a transfer.
pub(crate) struct Meter {
    pid: u32,
    broker_pid: u32,
    cpu0: Duration,
    broker_cpu0: Duration,
    pub(crate) t0: Instant,
}

impl Meter {
    pub(crate) fn start(pid: u32, broker_pid: u32) -> Result<Meter> {
        Ok(Meter {
            pid,
            broker_pid,
            cpu0: procfs::cpu_time(pid)?,
            broker_cpu0: procfs::cpu_time(broker_pid)?,
            t0: Instant::now(),
        })
    }

    pub(crate) fn finish(self, first: Duration, elapsed: Duration) -> Result<Transfer> {
        Ok(Transfer {
            elapsed,
            first,
            cpu: procfs::cpu_time(self.pid)?.saturating_sub(self.cpu0),
            broker_cpu: procfs::cpu_time(self.broker_pid)?.saturating_sub(self.broker_cpu0),
        })
    }
}

/// Polls the topic's high watermark until it reaches `count`; returns the times (since
/// `start`) of the first record and of the last.
pub(crate) fn wait_watermark(
    broker: &mut Broker,
    watermarks: &Watermarks,
    count: i64,
    start: Instant,
    timeout: Duration,
    check: &mut dyn FnMut() -> Result<()>,
) -> Result<(Duration, Duration)> {
    let mut first = None;
    loop {
        let high = watermarks.sum()?;
        let now = start.elapsed();
        if high > 0 && first.is_none() {
            first = Some(now);
        }
        if high >= count {
            if high > count {
                bail!("the topic holds {high} records, more than the {count} sent");
            }
            return Ok((first.unwrap_or(now), now));
        }
        check()?;
        broker.check_alive()?;
        if now >= timeout {
            bail!("the topic holds {high} of {count} records after {timeout:?}");
        }
        std::thread::sleep(WATERMARK_POLL);
    }
}

/// Polls the size of `path` until it reaches `bytes`; returns the times (since `start`) of
/// the first byte and of the last.
fn wait_file(
    path: &Path,
    bytes: u64,
    start: Instant,
    timeout: Duration,
    check: &mut dyn FnMut() -> Result<()>,
) -> Result<(Duration, Duration)> {
    let mut first = None;
    loop {
        let size = file_size(path);
        let now = start.elapsed();
        if size > 0 && first.is_none() {
            first = Some(now);
        }
        if size >= bytes {
            return Ok((first.unwrap_or(now), now));
        }
        check()?;
        if now >= timeout {
            bail!(
                "{} holds {size} of {bytes} bytes after {timeout:?}",
                path.display()
            );
        }
        std::thread::sleep(FILE_POLL);
    }
}

/// Milliseconds as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Megabytes (10^6 bytes) as a float; `/proc` counts in KiB, so this is the stricter unit
/// for the memory goals.
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
