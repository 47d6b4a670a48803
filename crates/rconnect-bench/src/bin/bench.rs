//! `bench`: runs rconnect's benchmarks against a bare librdkafka reference and prints (or
//! writes) the Markdown report. Usually started through `scripts/bench`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rconnect_bench::args::Args;
use rconnect_bench::json::{self, Direction};
use rconnect_bench::report::{self, JsonCase, Machine, Results};
use rconnect_bench::scenarios::{self, Env};
use rconnect_bench::worker::Samples;
use rconnect_bench::{data, reference};

const USAGE: &str = "\
usage: bench [options]
  --lines N           records in the input file (default 1000000)
  --line-len N        bytes per record (default 100)
  --runs K            transfer and memory runs (default 5)
  --startup-runs K    start-up runs (default 10)
  --json-runs K       runs of each JSON and Avro converter case (default 5)
  --json-seconds S    CPU seconds per JSON run (default 1)
  --only LIST         comma-separated subset of: startup,plugins,transfer,json,avro,failover,idle,smt,s3,jdbc (default all;
                      jdbc needs the local PostgreSQL and psql)
  --idle-seconds S    CPU sampling window of each idle case (default 30)
  --write [PATH]      also write the report into PATH (default docs/BENCHMARKS.md)
  --timeout SECS      longest wait for one transfer (default 300)
  --rconnect PATH     rconnect binary (default: next to this one)
  --bench-ref PATH    bench-ref binary (default: next to this one)
  --tansu PATH        tansu binary (default: $RCONNECT_TANSU or <repo>/.tools/bin/tansu)
  --weed PATH         SeaweedFS binary for the s3 scenario (default: $RCONNECT_WEED or <repo>/.tools/bin/weed)
  --config-dir PATH   sample configs (default <repo>/config)
  --keep              keep the scratch directory (logs, configs)";

const SCENARIOS: &[&str] = &[
    "startup", "plugins", "transfer", "json", "avro", "failover", "idle", "smt", "s3", "jdbc",
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating this executable")?;
    Ok(exe.with_file_name(name))
}

fn run() -> Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let mut args = Args::parse(argv.clone(), &[]).with_context(|| USAGE.to_string())?;
    let lines: u64 = args.parsed("lines")?.unwrap_or(1_000_000);
    let line_len: usize = args.parsed("line-len")?.unwrap_or(100);
    let runs: usize = args.parsed("runs")?.unwrap_or(5);
    let startup_runs: usize = args.parsed("startup-runs")?.unwrap_or(10);
    let json_runs: usize = args.parsed("json-runs")?.unwrap_or(5);
    let json_seconds: f64 = args.parsed("json-seconds")?.unwrap_or(1.0);
    let timeout = Duration::from_secs(args.parsed("timeout")?.unwrap_or(300));
    let idle_window = args.parsed::<f64>("idle-seconds")?.map_or(
        rconnect_bench::idle::DEFAULT_WINDOW,
        Duration::from_secs_f64,
    );
    let only: Vec<String> = match args.optional("only") {
        Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
        None => SCENARIOS.iter().map(|s| s.to_string()).collect(),
    };
    if let Some(bad) = only.iter().find(|s| !SCENARIOS.contains(&s.as_str())) {
        bail!(
            "--only: unknown scenario {bad:?} (known: {})",
            SCENARIOS.join(",")
        );
    }
    let write = if args.flag("write") {
        Some(PathBuf::from("docs/BENCHMARKS.md"))
    } else {
        args.optional("write").map(PathBuf::from)
    };
    let rconnect = args
        .optional("rconnect")
        .map_or_else(|| sibling("rconnect"), |p| Ok(p.into()))?;
    let bench_ref = args
        .optional("bench-ref")
        .map_or_else(|| sibling("bench-ref"), |p| Ok(p.into()))?;
    let tansu = args
        .optional("tansu")
        .or_else(|| std::env::var("RCONNECT_TANSU").ok())
        .map_or_else(|| repo_root().join(".tools/bin/tansu"), PathBuf::from);
    let weed = args
        .optional("weed")
        .or_else(|| std::env::var("RCONNECT_WEED").ok())
        .map_or_else(|| repo_root().join(".tools/bin/weed"), PathBuf::from);
    let config_dir = args
        .optional("config-dir")
        .map_or_else(|| repo_root().join("config"), PathBuf::from);
    let keep = args.flag("keep");
    args.finish().with_context(|| USAGE.to_string())?;
    if lines == 0
        || line_len < 10
        || runs == 0
        || startup_runs == 0
        || json_runs == 0
        || json_seconds <= 0.0
        || idle_window.is_zero()
    {
        bail!("--lines, --runs, --startup-runs, --json-runs, --json-seconds and --idle-seconds must be positive, --line-len at least 10");
    }
    let wants = |s: &str| only.iter().any(|o| o == s);
    if wants("startup") || wants("transfer") || wants("idle") || wants("smt") {
        for (what, path) in [
            ("rconnect", &rconnect),
            ("bench-ref", &bench_ref),
            ("tansu", &tansu),
        ] {
            if !path.exists() {
                bail!(
                    "{what} binary {} does not exist (build with scripts/bench, or pass --{what})",
                    path.display()
                );
            }
        }
    }

    let command = std::env::var("BENCH_COMMAND").unwrap_or_else(|_| {
        let mut c = vec!["bench".to_string()];
        c.extend(argv.iter().cloned());
        c.join(" ")
    });
    let machine = Machine::describe(&tansu);
    let began = Instant::now();
    let scratch = tempfile::Builder::new()
        .prefix("rconnect-bench-")
        .tempdir()
        .context("creating a scratch directory")?;
    let work = scratch.path().to_path_buf();
    eprintln!("bench: scratch directory {}", work.display());
    let settings = Settings {
        lines,
        line_len,
        runs,
        startup_runs,
        json_runs,
        json_seconds,
        timeout,
        idle_window,
        rconnect,
        bench_ref,
        tansu: tansu.clone(),
        weed,
        config_dir,
    };

    let results = match measure(&work, &only, settings) {
        Ok(r) => r,
        Err(e) => {
            let kept = scratch.keep();
            eprintln!(
                "bench: kept the scratch directory {} (logs, configs)",
                kept.display()
            );
            return Err(e);
        }
    };
    let elapsed = began.elapsed();
    let tables = results.tables();
    println!("{tables}");
    if let Some(path) = write {
        let doc = format!(
            "Command: `{command}` (whole run: {:.0} s).\n\n### Machine\n\n{}\n{}\n{tables}",
            elapsed.as_secs_f64(),
            machine.markdown(),
            report::method(
                lines,
                line_len,
                &reference::describe(&reference::producer_settings()),
                &reference::describe(&reference::consumer_settings())
            ),
        );
        report::write_document(&path, &doc)?;
        eprintln!("bench: wrote {}", path.display());
    }
    if keep {
        let kept = scratch.keep();
        eprintln!("bench: kept {}", kept.display());
    }
    eprintln!("bench: finished in {:.0} s", elapsed.as_secs_f64());
    Ok(())
}

/// What the scenarios are run with.
struct Settings {
    lines: u64,
    line_len: usize,
    runs: usize,
    startup_runs: usize,
    json_runs: usize,
    json_seconds: f64,
    timeout: Duration,
    idle_window: Duration,
    rconnect: PathBuf,
    bench_ref: PathBuf,
    tansu: PathBuf,
    weed: PathBuf,
    config_dir: PathBuf,
}

fn measure(work: &Path, only: &[String], settings: Settings) -> Result<Results> {
    let Settings {
        lines,
        line_len,
        runs,
        startup_runs,
        json_runs,
        json_seconds,
        timeout,
        idle_window,
        rconnect,
        bench_ref,
        tansu,
        weed,
        config_dir,
    } = settings;
    let wants = |s: &str| only.iter().any(|o| o == s);
    let mut results = Results {
        lines,
        line_len,
        ..Default::default()
    };
    if wants("startup")
        || wants("plugins")
        || wants("transfer")
        || wants("failover")
        || wants("smt")
        || wants("s3")
        || wants("jdbc")
    {
        let data_path = work.join("input.txt");
        let t = Instant::now();
        let data_bytes = data::generate(&data_path, lines, line_len)?;
        eprintln!(
            "bench: generated {lines} lines ({data_bytes} bytes) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let env = Env {
            rconnect: rconnect.clone(),
            bench_ref,
            tansu: tansu.clone(),
            samples: Samples::load(&config_dir)?,
            config_dir: config_dir.clone(),
            work: work.to_path_buf(),
            data: data_path,
            lines,
            data_bytes,
            timeout,
        };
        if wants("startup") {
            eprintln!("bench: start-up, {startup_runs} runs");
            results.startup = Some(scenarios::startup(&env, startup_runs)?);
        }
        if wants("plugins") {
            eprintln!(
                "bench: start-up with {} plugins, {startup_runs} runs",
                rconnect_bench::plugins::PLUGIN_COPIES
            );
            results.plugins = Some(rconnect_bench::plugins::plugin_startup(&env, startup_runs)?);
        }
        if wants("transfer") {
            let mut all = Vec::with_capacity(runs);
            for run in 0..runs {
                eprintln!("bench: transfer run {}/{runs}", run + 1);
                all.push(scenarios::transfer_run(&env, run)?);
            }
            results.transfers = Some(all);
        }
        if wants("s3") {
            let mut all = Vec::with_capacity(runs);
            for run in 0..runs {
                eprintln!("bench: Kafka → S3 run {}/{runs}", run + 1);
                all.push(rconnect_bench::s3::s3_run(&env, &weed, run)?);
            }
            results.s3 = Some(all);
        }
        if wants("failover") {
            let mut all = Vec::with_capacity(runs);
            for run in 0..runs {
                let took = rconnect_bench::failover::failover_run(&env, run)?;
                eprintln!(
                    "bench: failover run {}/{runs}: {:.1} s",
                    run + 1,
                    took.as_secs_f64()
                );
                all.push(took);
            }
            results.failover = Some(all);
        }
        if wants("jdbc") {
            results.jdbc = Some(rconnect_bench::jdbc::jdbc_runs(&env, runs)?);
        }
        if wants("smt") {
            let mut all = Vec::with_capacity(runs);
            for run in 0..runs {
                eprintln!("bench: 4-SMT chain run {}/{runs}", run + 1);
                all.push(rconnect_bench::smt::smt_run(&env, run)?);
            }
            results.smt = Some(all);
        }
    }
    if wants("idle") {
        eprintln!(
            "bench: idle CPU, {} cases of {:.0} s",
            rconnect_bench::idle::IdleSetup::CASES.len(),
            idle_window.as_secs_f64()
        );
        results.idle = Some(rconnect_bench::idle::idle_cpu(
            &rconnect,
            &tansu,
            &Samples::load(&config_dir)?,
            work,
            idle_window,
        )?);
    }
    if wants("json") {
        let mut cases = Vec::new();
        for (direction, name) in [
            (Direction::Serialize, "serialize"),
            (Direction::Deserialize, "deserialize"),
        ] {
            for schemas_enable in [false, true] {
                let mut samples = Vec::with_capacity(json_runs);
                for _ in 0..json_runs {
                    samples.push(json::measure(
                        direction,
                        schemas_enable,
                        Duration::from_secs_f64(json_seconds),
                    )?);
                }
                eprintln!(
                    "bench: JSON {name}, schemas.enable={schemas_enable}: {:.0} records per CPU-second (first run)",
                    samples[0].per_cpu_second
                );
                cases.push(JsonCase {
                    direction: name,
                    schemas_enable,
                    samples,
                });
            }
        }
        results.json = Some(cases);
    }
    if wants("avro") {
        let mut cases = Vec::new();
        for (direction, name) in [
            (Direction::Serialize, "serialize"),
            (Direction::Deserialize, "deserialize"),
        ] {
            let mut samples = Vec::with_capacity(json_runs);
            for _ in 0..json_runs {
                samples.push(rconnect_bench::avro::measure(
                    direction,
                    Duration::from_secs_f64(json_seconds),
                )?);
            }
            eprintln!(
                "bench: Avro {name}: {:.0} records per CPU-second (first run)",
                samples[0].per_cpu_second
            );
            cases.push(JsonCase {
                direction: name,
                schemas_enable: false,
                samples,
            });
        }
        results.avro = Some(cases);
    }

    Ok(results)
}
