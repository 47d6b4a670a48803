//! PostgreSQL → Kafka: the built-in JDBC source (`mode=incrementing`, one task) copying a
//! 10-column table of `--lines` rows into tansu, timed from connector creation until every
//! row is in the topic, next to `psql -c "\copy (SELECT * FROM t) TO '/dev/null'"` of the
//! same table measured in the same run (the median of three). Needs the local PostgreSQL
//! (127.0.0.1:5432, user postgres, trust) and its `psql` client.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::broker::{free_port, Broker};
use crate::scenarios::{mb, wait_watermark, Env, Meter, Transfer, REST_POLL};
use crate::worker::Worker;

/// The table: the shape `scripts/bench-jdbc` reads (integers, text, numeric, timestamp,
/// double, boolean, varchar, date).
const CREATE: &str = "CREATE TABLE t (id BIGINT PRIMARY KEY, a INT NOT NULL, b BIGINT, c TEXT, \
     d NUMERIC(12,2), e TIMESTAMP, f DOUBLE PRECISION, g BOOLEAN, h VARCHAR(40), i DATE)";

/// The figures of one run.
#[derive(Clone, Copy, Debug)]
pub struct JdbcRun {
    /// rconnect: connector created → every row in the topic.
    pub transfer: Transfer,
    /// Wall time of `psql \copy` of the table to /dev/null, just before: the median of
    /// [`COPY_SAMPLES`] runs.
    pub copy: Duration,
    /// VmHWM of the worker after the run.
    pub peak_rss: u64,
    /// Share of all cores busy over the run (worker, broker, database and the rest): near
    /// 1.0 means the machine, not the worker alone, sets the rate.
    pub machine_busy: f64,
    /// Busy CPU time of the whole machine over the run (all processes, all cores).
    pub machine_cpu: Duration,
}

/// `\copy` runs per run, of which the median is kept. One `\copy` of the table takes under a
/// second, and on a shared VM a single one moved between 1.0M and 1.6M rows/s from run to
/// run: the ratio's denominator was the noisiest figure of the run.
const COPY_SAMPLES: usize = 3;

/// The median of `n` (odd) timings of `f`.
fn median_of(n: usize, mut f: impl FnMut() -> Result<Duration>) -> Result<Duration> {
    let mut t = (0..n).map(|_| f()).collect::<Result<Vec<_>>>()?;
    t.sort();
    Ok(t[n / 2])
}

/// A scratch database, dropped at the end.
struct Database {
    name: String,
}

fn psql(db: &str, args: &[&str]) -> Result<String> {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1"])
        .args(["-qAt", "-d", db])
        .args(args)
        .output()
        .context("running psql (the jdbc scenario needs the PostgreSQL client)")?;
    if !out.status.success() {
        bail!(
            "psql {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Database {
    fn create(rows: u64) -> Result<Database> {
        let name = format!("rconnect_bench_jdbc_{}", std::process::id());
        psql(
            "postgres",
            &[
                "-c",
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ],
        )?;
        psql("postgres", &["-c", &format!("CREATE DATABASE {name}")])?;
        let db = Database { name };
        let fill = format!(
            "INSERT INTO t SELECT g, g % 1000, g * 7, 'name-' || g, g / 100.0, \
             TIMESTAMP '2024-01-01' + g * INTERVAL '1 second', g * 0.5, g % 2 = 0, md5(g::text), \
             DATE '2024-01-01' + (g % 365) FROM generate_series(1, {rows}) g"
        );
        psql(
            &db.name,
            &["-c", CREATE, "-c", &fill, "-c", "VACUUM ANALYZE t"],
        )?;
        Ok(db)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(
            "postgres",
            &[
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ],
        );
    }
}

/// `runs` runs on one table (loaded once); each run times `psql \copy`, then a fresh broker
/// and worker copy the table.
pub fn jdbc_runs(env: &Env, runs: usize) -> Result<Vec<JdbcRun>> {
    let t = Instant::now();
    let db = Database::create(env.lines)?;
    eprintln!(
        "bench: jdbc table of {} rows loaded in {:.1} s",
        env.lines,
        t.elapsed().as_secs_f64()
    );
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        eprintln!("bench: PostgreSQL → Kafka run {}/{runs}", run + 1);
        out.push(jdbc_run(env, &db, run)?);
    }
    Ok(out)
}

fn jdbc_run(env: &Env, db: &Database, run: usize) -> Result<JdbcRun> {
    let dir = env.run_dir(&format!("jdbc-{run}"))?;
    let copy = median_of(COPY_SAMPLES, || {
        let t = Instant::now();
        psql(&db.name, &["-c", "\\copy (SELECT * FROM t) TO '/dev/null'"])?;
        Ok(t.elapsed())
    })?;

    let mut broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    let topic = "jdbc-t";
    broker.create_topic(topic, 1)?;
    let files = env.samples.write(&dir, &broker.bootstrap(), free_port()?)?;
    let mut worker = Worker::start(&env.rconnect, &files, &dir.join("rconnect.log"))?;
    worker.wait_rest(REST_POLL, Duration::from_secs(30))?;
    let watermarks = broker.watch(topic, 1)?;
    let machine0 = crate::procfs::machine_cpu()?;
    let meter = Meter::start(worker.pid(), broker.pid())?;
    worker.create_connector(
        "bench-jdbc",
        &[
            (
                "connector.class",
                "io.confluent.connect.jdbc.JdbcSourceConnector".into(),
            ),
            (
                "connection.url",
                format!(
                    "jdbc:postgresql://127.0.0.1:5432/{}?user=postgres&sslmode=disable",
                    db.name
                ),
            ),
            ("tasks.max", "1".into()),
            ("mode", "incrementing".into()),
            ("incrementing.column.name", "id".into()),
            ("table.whitelist", "t".into()),
            ("topic.prefix", "jdbc-".into()),
            ("poll.interval.ms", "600000".into()),
            (
                "key.converter",
                crate::scenarios::STRING_CONVERTER.to_string(),
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter".into(),
            ),
            ("value.converter.schemas.enable", "false".into()),
        ],
    )?;
    let (first, done) = wait_watermark(
        &mut broker,
        &watermarks,
        env.lines as i64,
        meter.t0,
        env.timeout,
        &mut || worker.check_alive(),
    )
    .context("rconnect PostgreSQL → Kafka")?;
    let transfer = meter.finish(first, done)?;
    let machine1 = crate::procfs::machine_cpu()?;
    let machine_cpu = machine1.0.saturating_sub(machine0.0);
    let machine_busy = machine_cpu.as_secs_f64()
        / (machine1.1.saturating_sub(machine0.1))
            .as_secs_f64()
            .max(1e-9);
    let peak_rss = worker.memory()?.hwm;
    worker.stop()?;
    let r = JdbcRun {
        transfer,
        copy,
        peak_rss,
        machine_busy,
        machine_cpu,
    };
    eprintln!(
        "    rconnect: {:.0} rows/s (first row in the topic after {:.2} s), {:.2} µs CPU/row (broker {:.2}, whole machine {:.2}: {:.0}% busy), peak RSS {:.1} MB; psql \\copy {:.0} rows/s ({:.2}×)",
        r.rows_per_second(env.lines),
        r.transfer.first.as_secs_f64(),
        r.cpu_per_row_us(env.lines),
        r.broker_cpu_per_row_us(env.lines),
        r.machine_cpu_per_row_us(env.lines),
        r.machine_busy * 100.0,
        mb(peak_rss),
        r.copy_rows_per_second(env.lines),
        r.ratio_to_copy()
    );
    Ok(r)
}

impl JdbcRun {
    pub fn rows_per_second(&self, rows: u64) -> f64 {
        rows as f64 / self.transfer.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn copy_rows_per_second(&self, rows: u64) -> f64 {
        rows as f64 / self.copy.as_secs_f64().max(1e-9)
    }
    pub fn cpu_per_row_us(&self, rows: u64) -> f64 {
        self.transfer.cpu.as_secs_f64() * 1e6 / rows as f64
    }
    pub fn broker_cpu_per_row_us(&self, rows: u64) -> f64 {
        self.transfer.broker_cpu.as_secs_f64() * 1e6 / rows as f64
    }
    pub fn machine_cpu_per_row_us(&self, rows: u64) -> f64 {
        self.machine_cpu.as_secs_f64() * 1e6 / rows as f64
    }
    /// rconnect's rate over `\copy`'s.
    pub fn ratio_to_copy(&self) -> f64 {
        self.copy.as_secs_f64() / self.transfer.elapsed.as_secs_f64().max(1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_time_is_the_median_sample() {
        let mut samples = [5, 1, 3].into_iter().map(Duration::from_secs);
        assert_eq!(
            median_of(3, || Ok(samples.next().unwrap())).unwrap(),
            Duration::from_secs(3)
        );
        assert!(median_of(3, || bail!("psql failed")).is_err());
    }

    #[test]
    fn the_ratio_is_the_copy_time_over_the_transfer_time() {
        let run = JdbcRun {
            transfer: Transfer {
                elapsed: Duration::from_secs(4),
                first: Duration::from_millis(100),
                cpu: Duration::from_secs(2),
                broker_cpu: Duration::ZERO,
            },
            copy: Duration::from_secs(1),
            peak_rss: 0,
            machine_busy: 0.5,
            machine_cpu: Duration::from_secs(8),
        };
        assert!((run.ratio_to_copy() - 0.25).abs() < 1e-9);
        assert!((run.rows_per_second(1_000_000) - 250_000.0).abs() < 1e-6);
        assert!((run.cpu_per_row_us(1_000_000) - 2.0).abs() < 1e-9);
        assert!((run.machine_cpu_per_row_us(1_000_000) - 8.0).abs() < 1e-9);
        assert!(run.broker_cpu_per_row_us(1_000_000).abs() < 1e-9);
    }
}
