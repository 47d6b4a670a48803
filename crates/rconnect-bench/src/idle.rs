//! Idle CPU: an `rconnect standalone` worker with connectors that have nothing to do (file
//! sources on files that do not grow, a sink on a topic nobody writes to), and the CPU time
//! the process uses while it waits. A worker with no connectors is measured the same way, so
//! the cost of one idle task is what it adds to that.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::broker::{free_port, Broker};
use crate::procfs;
use crate::scenarios::STRING_CONVERTER;
use crate::worker::{Samples, Worker, SAMPLE_TOPIC};

/// How long a case sits idle after its connectors are RUNNING before the window starts: the
/// sources read their two lines, the sink joins its group (about 3 s on tansu).
pub const SETTLE: Duration = Duration::from_secs(8);
/// Default length of the sampling window. CPU time comes in clock ticks (10 ms at the usual
/// 100 Hz), so 30 s resolve about 0.03% of a core for the whole process.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// What runs in one idle case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdleSetup {
    /// FileStreamSource connectors (one task each).
    pub sources: usize,
    /// FileStreamSink connectors (one task each).
    pub sinks: usize,
}

impl IdleSetup {
    /// The cases of the scenario: no connectors, 1 and 10 sources, 1 sink.
    pub const CASES: [IdleSetup; 4] = [
        IdleSetup {
            sources: 0,
            sinks: 0,
        },
        IdleSetup {
            sources: 1,
            sinks: 0,
        },
        IdleSetup {
            sources: 10,
            sinks: 0,
        },
        IdleSetup {
            sources: 0,
            sinks: 1,
        },
    ];

    /// Tasks the case runs.
    pub fn tasks(&self) -> usize {
        self.sources + self.sinks
    }

    /// "no connectors", "1 FileStreamSource", "10 FileStreamSource", "1 FileStreamSink".
    pub fn label(&self) -> String {
        match (self.sources, self.sinks) {
            (0, 0) => "no connectors".to_string(),
            (n, 0) => format!("{n} FileStreamSource"),
            (0, n) => format!("{n} FileStreamSink"),
            (s, k) => format!("{s} FileStreamSource + {k} FileStreamSink"),
        }
    }
}

/// CPU use of one idle case.
#[derive(Clone, Debug)]
pub struct IdleCase {
    /// What ran.
    pub setup: IdleSetup,
    /// Length of the sampling window (wall time).
    pub window: Duration,
    /// Process CPU time (user + system, all threads) over the window.
    pub cpu: Duration,
    /// CPU time over the window per thread name, largest first, zeros left out: time on
    /// CPU from schedstat (nanoseconds) where the kernel has it, else clock ticks.
    pub threads: Vec<(String, Duration)>,
    /// The threads' schedstat time on CPU over the window, summed (threads that ended in the
    /// window are missing), when the kernel provides schedstat: the same quantity as `cpu`
    /// at nanosecond rather than clock-tick resolution.
    pub threads_run: Option<Duration>,
}

impl IdleCase {
    /// CPU use over the window in percent of one core.
    pub fn percent_of_core(&self) -> f64 {
        100.0 * self.cpu.as_secs_f64() / self.window.as_secs_f64()
    }

    /// [`IdleCase::threads_run`] in percent of one core.
    pub fn threads_percent_of_core(&self) -> Option<f64> {
        self.threads_run
            .map(|d| 100.0 * d.as_secs_f64() / self.window.as_secs_f64())
    }
}

/// Runs every case of [`IdleSetup::CASES`] on one broker, each in a fresh worker, sampling
/// its CPU time over `window`.
pub fn idle_cpu(
    rconnect: &Path,
    tansu: &Path,
    samples: &Samples,
    work: &Path,
    window: Duration,
) -> Result<Vec<IdleCase>> {
    let dir = work.join("idle");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let broker = Broker::start(tansu, &dir.join("tansu.log"))?;
    broker.create_topic(SAMPLE_TOPIC, 1)?;
    let mut out = Vec::new();
    for setup in IdleSetup::CASES {
        let case_dir = dir.join(format!("sources-{}-sinks-{}", setup.sources, setup.sinks));
        std::fs::create_dir_all(&case_dir)?;
        let case = idle_case(rconnect, samples, &broker, &case_dir, setup, window)?;
        eprintln!(
            "  idle, {}: {:.3}% of a core ({} ms over {:.1} s; threads' schedstat {}); busiest threads: {}",
            setup.label(),
            case.percent_of_core(),
            case.cpu.as_millis(),
            case.window.as_secs_f64(),
            case.threads_percent_of_core()
                .map_or_else(|| "n/a".to_string(), |p| format!("{p:.3}%")),
            busiest(&case.threads, 8)
        );
        out.push(case);
    }
    Ok(out)
}

/// `name 120 ms, name 30 ms, ...` for the first `n` threads.
pub fn busiest(threads: &[(String, Duration)], n: usize) -> String {
    if threads.is_empty() {
        return "none".to_string();
    }
    threads
        .iter()
        .take(n)
        .map(|(name, cpu)| format!("`{name}` {:.1} ms", cpu.as_secs_f64() * 1e3))
        .collect::<Vec<_>>()
        .join(", ")
}

fn idle_case(
    rconnect: &Path,
    samples: &Samples,
    broker: &Broker,
    dir: &Path,
    setup: IdleSetup,
    window: Duration,
) -> Result<IdleCase> {
    let files = samples.write(dir, &broker.bootstrap(), free_port()?)?;
    let mut worker = Worker::start_with(rconnect, &files, &[], &dir.join("rconnect.log"))?;
    let poll = Duration::from_millis(20);
    worker.wait_rest(poll, Duration::from_secs(30))?;
    let mut names = Vec::new();
    for i in 0..setup.sources {
        let name = format!("idle-source-{i}");
        let input = dir.join(format!("{name}.txt"));
        // Two lines read at start, then nothing: the file never grows.
        std::fs::write(&input, "foo\nbar\n")
            .with_context(|| format!("writing {}", input.display()))?;
        worker.create_connector(&name, &connector("FileStreamSource", &input, "topic"))?;
        names.push(name);
    }
    for i in 0..setup.sinks {
        let name = format!("idle-sink-{i}");
        let output = dir.join(format!("{name}.txt"));
        worker.create_connector(&name, &connector("FileStreamSink", &output, "topics"))?;
        names.push(name);
    }
    if !names.is_empty() {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        worker.wait_running(&names, poll, Duration::from_secs(60))?;
    }
    std::thread::sleep(SETTLE);

    let pid = worker.pid();
    let threads_before = procfs::thread_cpu_times(pid)?;
    let cpu_before = worker.cpu_time()?;
    let began = Instant::now();
    std::thread::sleep(window);
    let cpu_after = worker.cpu_time()?;
    let elapsed = began.elapsed();
    let threads_after = procfs::thread_cpu_times(pid)?;
    worker.check_alive()?;
    worker.stop()?;
    if cpu_after < cpu_before {
        bail!("CPU time of pid {pid} went backwards");
    }
    Ok(IdleCase {
        setup,
        window: elapsed,
        cpu: cpu_after - cpu_before,
        threads: thread_deltas(&threads_before, &threads_after),
        threads_run: threads_run(&threads_before, &threads_after),
    })
}

/// A one-task FileStream connector config; `topic_key` is `topic` (source) or `topics`
/// (sink).
fn connector(class: &str, file: &Path, topic_key: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("connector.class", class.to_string()),
        ("tasks.max", "1".to_string()),
        ("file", file.to_string_lossy().into_owned()),
        (topic_key, SAMPLE_TOPIC.to_string()),
        ("key.converter", STRING_CONVERTER.to_string()),
        ("value.converter", STRING_CONVERTER.to_string()),
    ]
}

/// The time a thread used between two snapshots (`before` is `None` for a thread that
/// started in between): schedstat's when both readings have it, else clock ticks.
fn used(before: Option<&procfs::ThreadCpu>, after: &procfs::ThreadCpu) -> Duration {
    match (before.map_or(Some(Duration::ZERO), |b| b.run), after.run) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => after
            .cpu
            .saturating_sub(before.map_or(Duration::ZERO, |b| b.cpu)),
    }
}

/// The schedstat time all threads alive at the end used between the snapshots; `None`
/// without schedstat.
fn threads_run(before: &[procfs::ThreadCpu], after: &[procfs::ThreadCpu]) -> Option<Duration> {
    let start: BTreeMap<u32, &procfs::ThreadCpu> = before.iter().map(|t| (t.tid, t)).collect();
    after
        .iter()
        .map(|t| {
            let b = start.get(&t.tid).map_or(Some(Duration::ZERO), |b| b.run)?;
            Some(t.run?.saturating_sub(b))
        })
        .sum()
}

/// CPU time each thread name used between two snapshots (a thread that started in between
/// counts from zero; one that ended in between is not seen), largest first, zeros left out.
fn thread_deltas(
    before: &[procfs::ThreadCpu],
    after: &[procfs::ThreadCpu],
) -> Vec<(String, Duration)> {
    let start: BTreeMap<u32, &procfs::ThreadCpu> = before.iter().map(|t| (t.tid, t)).collect();
    let mut by_name: BTreeMap<&str, Duration> = BTreeMap::new();
    for t in after {
        *by_name.entry(&t.name).or_default() += used(start.get(&t.tid).copied(), t);
    }
    let mut out: Vec<(String, Duration)> = by_name
        .into_iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(n, d)| (n.to_string(), d))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tid: u32, name: &str, ms: u64) -> procfs::ThreadCpu {
        procfs::ThreadCpu {
            tid,
            name: name.to_string(),
            cpu: Duration::from_millis(ms),
            run: None,
        }
    }

    fn precise(tid: u32, ms: u64, run_us: u64) -> procfs::ThreadCpu {
        procfs::ThreadCpu {
            run: Some(Duration::from_micros(run_us)),
            ..t(tid, "p", ms)
        }
    }

    #[test]
    fn deltas_are_grouped_by_name_and_sorted() {
        let before = [
            t(1, "main", 100),
            t(2, "rdk:main", 50),
            t(3, "rdk:main", 10),
        ];
        let after = [
            t(1, "main", 100),
            t(2, "rdk:main", 70),
            t(3, "rdk:main", 20),
            t(4, "new", 40),
        ];
        assert_eq!(
            thread_deltas(&before, &after),
            vec![
                ("new".to_string(), Duration::from_millis(40)),
                ("rdk:main".to_string(), Duration::from_millis(30)),
            ]
        );
    }

    #[test]
    fn schedstat_is_preferred_when_both_readings_have_it() {
        let before = [precise(1, 10, 10_000), t(2, "p", 10)];
        let after = [
            precise(1, 10, 10_250),
            precise(2, 20, 99_000),
            precise(3, 0, 500),
        ];
        // Thread 1: 250 µs by schedstat (ticks say 0); thread 2: ticks (no schedstat
        // before); thread 3: new, from zero.
        assert_eq!(
            thread_deltas(&before, &after),
            vec![("p".to_string(), Duration::from_micros(250 + 10_000 + 500))]
        );
        assert_eq!(threads_run(&before, &after), None);
        let before = [precise(1, 10, 10_000)];
        assert_eq!(
            threads_run(&before, &after[..1]),
            Some(Duration::from_micros(250))
        );
        assert_eq!(
            threads_run(&before, &[after[0].clone(), after[2].clone()]),
            Some(Duration::from_micros(750))
        );
    }

    #[test]
    fn labels_and_percent() {
        assert_eq!(IdleSetup::CASES[0].label(), "no connectors");
        assert_eq!(IdleSetup::CASES[2].label(), "10 FileStreamSource");
        assert_eq!(IdleSetup::CASES[3].label(), "1 FileStreamSink");
        let case = IdleCase {
            setup: IdleSetup::CASES[1],
            window: Duration::from_secs(20),
            cpu: Duration::from_millis(200),
            threads: Vec::new(),
            threads_run: Some(Duration::from_millis(100)),
        };
        assert_eq!(case.threads_percent_of_core(), Some(0.5));
        assert!((case.percent_of_core() - 1.0).abs() < 1e-9);
    }
}
