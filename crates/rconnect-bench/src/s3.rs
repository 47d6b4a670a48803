//! Kafka → S3: the built-in S3 sink (JsonFormat, `flush.size=100000`) writing the input
//! topic into a SeaweedFS bucket (`scripts/install-seaweedfs`), timed from connector creation
//! until the last object is listed, and from the first record written (the sink's first
//! "Opening record writer" log line, after the consumer group join) until the last object is
//! listed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::broker::{free_port, Broker};
use crate::process::Proc;
use crate::scenarios::{mb, wait_watermark, Env, Meter, Transfer, REST_POLL};
use crate::worker::Worker;

/// Records per object.
pub const FLUSH_SIZE: u64 = 100_000;
const BUCKET: &str = "bench";

/// The figures of one Kafka → S3 run.
#[derive(Clone, Copy, Debug)]
pub struct S3Run {
    pub transfer: Transfer,
    /// VmHWM of the worker after the run (it also ran the file source that filled the topic).
    pub peak_rss: u64,
    /// From connector creation until the task wrote its first record (the consumer group
    /// join and the first fetch).
    pub consumed: Duration,
}

impl S3Run {
    /// Records per second from the first record written to the last object listed.
    pub fn consuming_rate(&self, lines: u64) -> f64 {
        lines as f64
            / self
                .transfer
                .elapsed
                .saturating_sub(self.consumed)
                .as_secs_f64()
    }
}

/// Watches the worker log for the sink's first "Opening record writer" line.
struct LogWatch {
    path: PathBuf,
    pos: u64,
    carry: String,
}

impl LogWatch {
    fn new(path: PathBuf) -> LogWatch {
        let pos = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        LogWatch {
            path,
            pos,
            carry: String::new(),
        }
    }

    fn seen(&mut self, needle: &str) -> Result<bool> {
        use std::io::{Read as _, Seek as _};
        let mut f = std::fs::File::open(&self.path)?;
        f.seek(std::io::SeekFrom::Start(self.pos))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        self.pos += buf.len() as u64;
        self.carry.push_str(&String::from_utf8_lossy(&buf));
        let found = self.carry.contains(needle);
        // Keep a tail in case the line is cut in the middle.
        let keep = self.carry.len().saturating_sub(needle.len());
        let keep = (keep..=self.carry.len())
            .find(|i| self.carry.is_char_boundary(*i))
            .unwrap_or(0);
        self.carry.drain(..keep);
        Ok(found)
    }
}

/// A SeaweedFS cluster (master, volume, filer, s3) without authentication.
struct Seaweed {
    procs: Vec<Proc>,
    port: u16,
}

impl Seaweed {
    fn start(weed: &Path, dir: &Path) -> Result<Seaweed> {
        for sub in ["m", "v", "f"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        std::fs::write(
            dir.join("master.toml"),
            "[master.volume_growth]\ncopy_1 = 1\n",
        )?;
        let ports: Vec<u16> = (0..8).map(|_| free_port()).collect::<Result<_>>()?;
        let master = format!("127.0.0.1:{}.{}", ports[0], ports[1]);
        let p = |i: usize| ports[i].to_string();
        let specs: Vec<(&str, Vec<String>)> = vec![
            (
                "master",
                vec![
                    "master".into(),
                    "-ip".into(),
                    "127.0.0.1".into(),
                    "-port".into(),
                    p(0),
                    "-port.grpc".into(),
                    p(1),
                    "-mdir".into(),
                    "m".into(),
                    "-resumeState=false".into(),
                ],
            ),
            (
                "volume",
                vec![
                    "volume".into(),
                    "-ip".into(),
                    "127.0.0.1".into(),
                    "-port".into(),
                    p(2),
                    "-port.grpc".into(),
                    p(3),
                    "-dir".into(),
                    "v".into(),
                    "-max".into(),
                    "20".into(),
                    "-master".into(),
                    master.clone(),
                ],
            ),
            (
                "filer",
                vec![
                    "filer".into(),
                    "-ip".into(),
                    "127.0.0.1".into(),
                    "-port".into(),
                    p(4),
                    "-port.grpc".into(),
                    p(5),
                    "-master".into(),
                    master.clone(),
                    "-defaultStoreDir".into(),
                    "f".into(),
                ],
            ),
            (
                "s3",
                vec![
                    "s3".into(),
                    "-ip.bind".into(),
                    "127.0.0.1".into(),
                    "-port".into(),
                    p(6),
                    "-port.grpc".into(),
                    p(7),
                    "-filer".into(),
                    format!("127.0.0.1:{}.{}", ports[4], ports[5]),
                    "-port.iceberg".into(),
                    "0".into(),
                    "-port.lance".into(),
                    "0".into(),
                ],
            ),
        ];
        let mut procs = Vec::new();
        for (name, args) in specs {
            let mut cmd = Command::new(weed);
            cmd.args(&args).current_dir(dir);
            procs.push(Proc::spawn(
                &format!("weed {name}"),
                cmd,
                &dir.join(format!("{name}.log")),
            )?);
        }
        let s = Seaweed {
            procs,
            port: ports[6],
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let agent = agent();
        loop {
            if let Ok(r) = agent.put(&s.url(BUCKET)).send_empty() {
                if r.status().is_success() {
                    return Ok(s);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "SeaweedFS did not create the bucket within 60 s (logs in {})",
                    dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// Keys in the bucket (one listing page is enough for the few objects of a run).
    fn count_objects(&self) -> Result<usize> {
        let mut r = agent()
            .get(&self.url(&format!("{BUCKET}?list-type=2")))
            .call()?;
        Ok(r.body_mut().read_to_string()?.matches("<Key>").count())
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            p.kill();
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One run on a fresh broker and store: the file source fills a one-partition topic, then
/// the S3 sink is created and timed until every object is in the bucket.
pub fn s3_run(env: &Env, weed: &PathBuf, run: usize) -> Result<S3Run> {
    if !env.lines.is_multiple_of(FLUSH_SIZE) {
        bail!("--lines must be a multiple of {FLUSH_SIZE} for the S3 scenario (every object complete)");
    }
    let dir = env.run_dir(&format!("s3-{run}"))?;
    // The processes run in their data directory: a relative path would not resolve there.
    let weed = std::fs::canonicalize(weed)
        .with_context(|| format!("SeaweedFS binary {}", weed.display()))?;
    let store = Seaweed::start(&weed, &dir.join("seaweed"))?;
    let mut broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    let topic = "bench-s3";
    broker.create_topic(topic, 1)?;
    let wdir = dir.join("rconnect");
    std::fs::create_dir_all(&wdir)?;
    let files = env
        .samples
        .write(&wdir, &broker.bootstrap(), free_port()?)?;
    let mut worker = Worker::start(&env.rconnect, &files, &wdir.join("rconnect.log"))?;
    worker.wait_rest(REST_POLL, Duration::from_secs(30))?;
    let string = "org.apache.kafka.connect.storage.StringConverter".to_string();
    let watermarks = broker.watch(topic, 1)?;
    worker.create_connector(
        "fill",
        &[
            ("connector.class", "FileStreamSource".into()),
            ("file", env.data.to_string_lossy().into_owned()),
            ("topic", topic.into()),
            ("value.converter", string.clone()),
        ],
    )?;
    wait_watermark(
        &mut broker,
        &watermarks,
        env.lines as i64,
        Instant::now(),
        env.timeout,
        &mut || worker.check_alive(),
    )
    .context("filling the topic")?;
    worker.delete_connector("fill")?;

    let objects = (env.lines / FLUSH_SIZE) as usize;
    let mut log = LogWatch::new(wdir.join("rconnect.log"));
    let meter = Meter::start(worker.pid(), broker.pid())?;
    worker.create_connector(
        "bench-s3",
        &[
            (
                "connector.class",
                "io.confluent.connect.s3.S3SinkConnector".into(),
            ),
            ("topics", topic.into()),
            ("tasks.max", "1".into()),
            ("s3.bucket.name", BUCKET.into()),
            ("s3.region", "us-east-1".into()),
            ("store.url", store.url("").trim_end_matches('/').to_string()),
            (
                "s3.credentials.provider.class",
                "software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider".into(),
            ),
            (
                "storage.class",
                "io.confluent.connect.s3.storage.S3Storage".into(),
            ),
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat".into(),
            ),
            ("flush.size", FLUSH_SIZE.to_string()),
            ("value.converter", string),
        ],
    )?;
    let mut first = None;
    let mut consumed = None;
    let done = loop {
        if consumed.is_none() && log.seen("Opening record writer for:")? {
            consumed = Some(meter.t0.elapsed());
        }
        let n = store.count_objects()?;
        let now = meter.t0.elapsed();
        if n > 0 && first.is_none() {
            first = Some(now);
        }
        if n >= objects {
            break now;
        }
        worker.check_alive()?;
        if now > env.timeout {
            bail!(
                "{n} of {objects} objects in the bucket after {:?}",
                env.timeout
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let transfer = meter.finish(first.unwrap_or(done), done)?;
    let peak_rss = worker.memory()?.hwm;
    worker.stop()?;
    let consumed = consumed.context("the worker log has no \"Opening record writer\" line")?;
    let run = S3Run {
        transfer,
        peak_rss,
        consumed,
    };
    eprintln!(
        "    rconnect: Kafka → S3 {:.0} rec/s from the first record written ({:.0} from connector creation; first record after {:.2} s), {:.2} µs CPU/record, peak RSS {:.1} MB",
        run.consuming_rate(env.lines),
        env.lines as f64 / transfer.elapsed.as_secs_f64(),
        consumed.as_secs_f64(),
        transfer.cpu.as_secs_f64() * 1e6 / env.lines as f64,
        mb(peak_rss)
    );
    Ok(run)
}
