//! Harness for end-to-end tests: starts real services on free loopback ports.
//!
//! * [`Broker`]: a throw-away tansu Kafka broker (in-memory storage) plus blocking helpers to
//!   create topics, produce, and read topics back without a consumer group.
//! * [`Worker`]: an `rconnect` process with its output captured in a log file.
//! * [`Http`]: a small REST client that hands back 4xx/5xx responses instead of failing.
//! * [`schema_registry::SchemaRegistry`]: a Schema Registry (Avro) test server.
//! * [`s3::S3Server`]: a SeaweedFS S3 server, and [`s3::S3Client`] to read buckets back.
//!
//! Everything here is blocking and panics with a descriptive message on failure: it is test
//! code, and a panic is the clearest way to fail a test. The helpers work both from plain
//! `#[test]` functions and from inside a tokio runtime (they never start a runtime of their own).
//!
//! Tansu quirks worth knowing when writing tests (see `/work/shared/test-infra.md` and the
//! `rconnect-kafka` crate docs): create topics explicitly (auto-creation on produce is not
//! reliable across tansu builds), use `session.timeout.ms=6000` for consumer groups (group
//! joins wait for the session timeout otherwise), and expect generation ids to start at 0.

pub mod kafka_proxy;
pub mod s3;
pub mod schema_registry;
pub mod tls;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

pub use tempfile;

/// A record to produce: key and value, either may be null.
pub type KeyValue<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// A record with headers to produce: key, value, and `(header key, header value)` pairs.
pub type KeyValueHeaders<'a> = (
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    &'a [(&'a str, &'a [u8])],
);

/// An owned key and value, either may be null.
pub type OwnedKeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A record as read back by [`Broker::consume_all`]: key, value, partition, offset.
pub type ConsumedRecord = (Option<Vec<u8>>, Option<Vec<u8>>, i32, i64);

/// Root of the cargo workspace (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// A free TCP port on 127.0.0.1 (bound once, then released; another process could take it
/// in between, which is unlikely enough for tests).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("local_addr of a bound listener")
        .port()
}

/// Last `max_lines` lines of a text file (lossy UTF-8), or a note saying why it can't be read.
pub fn log_tail(path: &Path, max_lines: usize) -> String {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return format!("<cannot open {}: {e}>", path.display()),
    };
    // Reading only the end keeps this cheap for chatty processes.
    const MAX_BYTES: u64 = 256 * 1024;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_BYTES {
        let _ = file.seek(SeekFrom::Start(len - MAX_BYTES));
    }
    let mut bytes = Vec::new();
    if let Err(e) = file.read_to_end(&mut bytes) {
        return format!("<cannot read {}: {e}>", path.display());
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(max_lines)..].join("\n")
}

/// Spawns `cmd` from one long-lived thread so that `PR_SET_PDEATHSIG` kills the child when the
/// test process dies (even by SIGKILL or a test timeout), without killing it when the
/// (short-lived) test thread that asked for it ends: the death signal is tied to the thread
/// that forked, not to the process.
fn spawn_reaped(mut cmd: Command) -> std::io::Result<Child> {
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("harness-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
                    unsafe {
                        cmd.pre_exec(|| {
                            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("start the harness spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((std::mem::replace(&mut cmd, Command::new("true")), reply_tx))
        .expect("harness spawner thread is alive");
    reply_rx.recv().expect("harness spawner thread replies")
}

/// `prefix-<pid>-<counter>`: unique within this machine for the life of the process.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A log file in the temp dir, deleted on drop unless `RCONNECT_TEST_KEEP_LOGS` is set (the
/// tails printed on failure are often not enough to follow a group rebalance).
fn log_file(prefix: &str) -> tempfile::NamedTempFile {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".log")
        .disable_cleanup(std::env::var_os("RCONNECT_TEST_KEEP_LOGS").is_some())
        .tempfile()
        .expect("create a log file in the temp dir")
}

// ---------------------------------------------------------------------------------------------
// Broker
// ---------------------------------------------------------------------------------------------

/// Path of the tansu binary: env `RCONNECT_TANSU`, else `<repo>/.tools/bin/tansu`, else what
/// `scripts/install-tansu` installs (run once per process).
pub fn tansu_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("RCONNECT_TANSU") {
            return PathBuf::from(path);
        }
        let local = repo_root().join(".tools/bin/tansu");
        if local.exists() {
            return local;
        }
        let script = repo_root().join("scripts/install-tansu");
        let out = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            out.status
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        let path = PathBuf::from(printed.lines().last().unwrap_or_default().trim());
        assert!(
            path.exists(),
            "{} printed {path:?}, which does not exist",
            script.display()
        );
        path
    })
    .clone()
}

/// A tansu broker with in-memory storage on a free loopback port, killed on drop.
pub struct Broker {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl Broker {
    /// Starts a broker and waits until it answers a metadata request (up to 30 s).
    pub fn start() -> Broker {
        let bin = tansu_bin();
        let deadline = Instant::now() + Duration::from_secs(30);
        // A port picked by free_port can be taken before tansu binds it: retry a few times.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let log = log_file("tansu-");
            let url = format!("tcp://127.0.0.1:{port}");
            let mut cmd = Command::new(&bin);
            cmd.arg("broker")
                .args(["--listener-url", &url, "--advertised-listener-url", &url])
                .args(["--storage-engine", "memory://tansu/"])
                .env(
                    "RUST_LOG",
                    std::env::var("TANSU_LOG").unwrap_or_else(|_| "warn".into()),
                )
                .stdin(Stdio::null())
                .stdout(log.reopen().expect("reopen broker log"))
                .stderr(log.reopen().expect("reopen broker log"));
            let child =
                spawn_reaped(cmd).unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let mut broker = Broker { child, port, log };
            match broker.wait_ready(deadline) {
                Ok(()) => return broker,
                Err(reason) if attempt < 3 && Instant::now() < deadline => {
                    eprintln!("tansu on port {port} did not start ({reason}); retrying");
                }
                Err(reason) => panic!(
                    "tansu broker did not become ready on port {port}: {reason}\n\
                     --- broker log tail ({}) ---\n{}",
                    broker.log.path().display(),
                    log_tail(broker.log.path(), 40)
                ),
            }
        }
    }

    fn wait_ready(&mut self, deadline: Instant) -> Result<(), String> {
        let consumer: BaseConsumer = self
            .client_config()
            .create()
            .map_err(|e| format!("cannot create a metadata client: {e}"))?;
        let mut last_err = String::from("no attempt made");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("broker exited with {status}"));
            }
            match consumer.fetch_metadata(None, Duration::from_millis(500)) {
                Ok(md) if !md.brokers().is_empty() => return Ok(()),
                Ok(_) => last_err = "metadata lists no brokers".into(),
                Err(e) => last_err = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("timed out; last metadata error: {last_err}"))
    }

    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the broker process: to clients this looks like
    /// a network outage, and nothing the broker holds in memory is lost.
    pub fn freeze(&self, frozen: bool) {
        let sig = if frozen { libc::SIGSTOP } else { libc::SIGCONT };
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, sig);
        }
    }

    /// The broker's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Path of the broker's stdout/stderr log.
    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// A client config with `bootstrap.servers` set and quiet librdkafka logging.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.bootstrap())
            .set("log_level", "3");
        config
    }

    /// Creates a topic (replication factor 1) with the given topic configs; panics if it
    /// fails, including when the topic already exists.
    pub fn create_topic(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let admin: AdminClient<DefaultClientContext> =
            self.client_config().create().expect("create admin client");
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = futures::executor::block_on(admin.create_topics([&topic], &opts))
            .unwrap_or_else(|e| panic!("CreateTopics {name} failed: {e}"));
        for result in results {
            if let Err((topic, code)) = result {
                panic!("creating topic {topic} failed: {code}");
            }
        }
        self.wait_for_topic(name, partitions);
    }

    /// Waits until metadata shows `name` with `partitions` partitions (up to 10 s).
    fn wait_for_topic(&self, name: &str, partitions: i32) {
        let consumer: BaseConsumer = self.client_config().create().expect("metadata client");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(md) = consumer.fetch_metadata(Some(name), Duration::from_secs(2)) {
                let ready = md.topics().iter().any(|t| {
                    t.name() == name
                        && t.error().is_none()
                        && t.partitions().len() == partitions as usize
                });
                if ready {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "topic {name} not visible in metadata after 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Partition count of `topic` from metadata, or None when the topic does not exist.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        let consumer: BaseConsumer = self.client_config().create().expect("metadata client");
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("metadata for {topic}: {e}"));
        md.topics()
            .iter()
            .find(|t| t.name() == topic && t.error().is_none())
            .map(|t| t.partitions().len())
            .filter(|n| *n > 0)
    }

    /// The configs of `topic` as the broker describes them, read with rconnect's own admin
    /// client (`rconnect_kafka::Admin`); a value the broker hides is None.
    pub fn topic_configs(&self, topic: &str) -> BTreeMap<String, Option<String>> {
        let mut config = rconnect_kafka::KafkaConfig::new();
        config.set("bootstrap.servers", self.bootstrap());
        let admin = rconnect_kafka::Admin::new(&config).expect("admin client");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the admin client");
        runtime
            .block_on(admin.describe_topic_config(topic, Duration::from_secs(10)))
            .unwrap_or_else(|e| panic!("DescribeConfigs of {topic}: {e}"))
    }

    /// Names of all topics in the cluster.
    pub fn topics(&self) -> Vec<String> {
        let consumer: BaseConsumer = self.client_config().create().expect("metadata client");
        let md = consumer
            .fetch_metadata(None, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("cluster metadata: {e}"));
        md.topics().iter().map(|t| t.name().to_string()).collect()
    }

    /// Produces the records (key, value) in order to `topic` with `acks=all`, partition chosen
    /// by librdkafka's default partitioner, and waits until all are acknowledged.
    pub fn produce(&self, topic: &str, records: &[KeyValue<'_>]) {
        self.produce_to(topic, None, records)
    }

    /// Like [`Broker::produce`], but into one explicit partition when `partition` is Some.
    pub fn produce_to(&self, topic: &str, partition: Option<i32>, records: &[KeyValue<'_>]) {
        let records: Vec<KeyValueHeaders<'_>> =
            records.iter().map(|&(k, v)| (k, v, &[][..])).collect();
        self.produce_records(topic, partition, &records)
    }

    /// Like [`Broker::produce`], with record headers.
    pub fn produce_with_headers(&self, topic: &str, records: &[KeyValueHeaders<'_>]) {
        self.produce_records(topic, None, records)
    }

    fn produce_records(
        &self,
        topic: &str,
        partition: Option<i32>,
        records: &[KeyValueHeaders<'_>],
    ) {
        let producer: ThreadedProducer<FailureCollector> = self
            .client_config()
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("message.timeout.ms", "30000")
            .create_with_context(FailureCollector::default())
            .expect("create producer");
        for (i, (key, value, headers)) in records.iter().enumerate() {
            let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic);
            record.key = *key;
            record.payload = *value;
            record.partition = partition;
            if !headers.is_empty() {
                let mut owned = OwnedHeaders::new_with_capacity(headers.len());
                for &(key, value) in headers.iter() {
                    owned = owned.insert(Header {
                        key,
                        value: Some(value),
                    });
                }
                record.headers = Some(owned);
            }
            let mut pending = record;
            loop {
                match producer.send(pending) {
                    Ok(()) => break,
                    Err((e, back))
                        if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) =>
                    {
                        pending = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err((e, _)) => panic!("producing record {i} to {topic} failed: {e}"),
                }
            }
        }
        producer
            .flush(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("flushing records to {topic} failed: {e}"));
        // flush also succeeds when deliveries failed, so look at the delivery reports.
        let failures = producer
            .context()
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        assert!(
            failures.is_empty(),
            "producing to {topic} failed: {failures:?}"
        );
    }

    /// Reads `topic` from the beginning of every partition (no consumer group: partitions are
    /// assigned explicitly) until `expected_count` records were read or `timeout` passed, and
    /// returns what was read, sorted by (partition, offset). Panics on timeout.
    pub fn consume_all(
        &self,
        topic: &str,
        expected_count: usize,
        timeout: Duration,
    ) -> Vec<ConsumedRecord> {
        let records = self.consume_available(topic, expected_count, timeout);
        assert!(
            records.len() >= expected_count,
            "read {} of {expected_count} expected records from {topic} within {timeout:?}",
            records.len()
        );
        records
    }

    /// Like [`Broker::consume_all`] but returns whatever was read when `timeout` passes.
    pub fn consume_available(
        &self,
        topic: &str,
        expected_count: usize,
        timeout: Duration,
    ) -> Vec<ConsumedRecord> {
        // librdkafka refuses assign() without a group.id ("Unknown group"); the group is never
        // joined (no subscribe) and nothing is committed, so a unique throw-away id is enough.
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", unique_name("harness-reader"))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .expect("create consumer");
        let partitions = self
            .partition_count(topic)
            .unwrap_or_else(|| panic!("topic {topic} does not exist"));
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions as i32 {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .expect("add partition to assignment");
        }
        consumer.assign(&tpl).expect("assign partitions");
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < expected_count && Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => out.push((
                    m.key().map(<[u8]>::to_vec),
                    m.payload().map(<[u8]>::to_vec),
                    m.partition(),
                    m.offset(),
                )),
                Some(Err(e)) => eprintln!("consume_all({topic}): {e}"),
                None => {}
            }
        }
        out.sort_by_key(|r| (r.2, r.3));
        out
    }

    /// Per-partition high watermarks (log end offsets), indexed by partition.
    ///
    /// tansu's ListOffsets(LATEST) answers the base offset of the last batch + 1, so for each
    /// non-empty partition the last batch is fetched and the high watermark of that Fetch
    /// response (which tansu gets right) is used.
    pub fn partition_high_watermarks(&self, topic: &str) -> Vec<i64> {
        let partitions = self
            .partition_count(topic)
            .unwrap_or_else(|| panic!("topic {topic} does not exist"));
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", unique_name("harness-watermarks"))
            .set("enable.auto.commit", "false")
            .create()
            .expect("create consumer");
        let listed: Vec<i64> = (0..partitions as i32)
            .map(|p| {
                consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(5))
                    .unwrap_or_else(|e| panic!("watermarks of {topic}-{p}: {e}"))
                    .1
            })
            .collect();
        let mut tpl = TopicPartitionList::new();
        for (p, high) in listed.iter().enumerate() {
            if *high > 0 {
                tpl.add_partition_offset(topic, p as i32, Offset::Offset(high - 1))
                    .expect("add partition");
            }
        }
        if tpl.count() == 0 {
            return listed;
        }
        consumer.assign(&tpl).expect("assign partitions");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut exact = listed.clone();
        let mut known = vec![false; listed.len()];
        loop {
            for (p, high) in listed.iter().enumerate() {
                if *high > 0 && !known[p] {
                    if let Some(fetched) = cached_high_watermark(&consumer, topic, p as i32) {
                        exact[p] = fetched.max(*high);
                        known[p] = true;
                    }
                }
            }
            if listed.iter().zip(&known).all(|(h, k)| *h <= 0 || *k) {
                return exact;
            }
            assert!(
                Instant::now() < deadline,
                "no fetch response for {topic} within 10 s"
            );
            let _ = consumer.poll(Duration::from_millis(100));
        }
    }

    /// Sum of the high watermarks of all partitions of `topic`.
    pub fn high_watermarks(&self, topic: &str) -> i64 {
        self.partition_high_watermarks(topic).iter().sum()
    }

    /// Committed offsets of consumer group `group` for every partition of `topic`
    /// (None for a partition without a committed offset), indexed by partition.
    pub fn committed_offsets(&self, group: &str, topic: &str) -> Vec<Option<i64>> {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .expect("create consumer");
        let partitions = self
            .partition_count(topic)
            .unwrap_or_else(|| panic!("topic {topic} does not exist"));
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions as i32 {
            tpl.add_partition(topic, p);
        }
        let committed = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("committed offsets of group {group}: {e}"));
        (0..partitions as i32)
            .map(
                |p| match committed.find_partition(topic, p).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) => Some(o),
                    _ => None,
                },
            )
            .collect()
    }
}

/// High watermark of the last Fetch response for a partition, if one arrived.
fn cached_high_watermark(consumer: &BaseConsumer, topic: &str, partition: i32) -> Option<i64> {
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: valid client pointer and C string; the out-pointers point to live locals.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}

/// Collects failed delivery reports of the harness producer.
#[derive(Default)]
struct FailureCollector {
    failures: Mutex<Vec<String>>,
}

impl ClientContext for FailureCollector {}

impl ProducerContext for FailureCollector {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(e.to_string());
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- tansu broker log tail ({}) ---\n{}",
                self.log.path().display(),
                log_tail(self.log.path(), 30)
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// rconnect worker process
// ---------------------------------------------------------------------------------------------

/// The built `rconnect` binary: env `RCONNECT_BIN`, else `<target>/<profile>/rconnect` next to
/// the running test executable (`.../target/debug/deps/<test>` → `.../target/debug/rconnect`).
///
/// The tests crate cannot make cargo build another crate's binary, so build it first:
/// `cargo build -p rconnect && cargo test -p rconnect-tests`.
pub fn rconnect_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("RCONNECT_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("path of the test executable");
    let mut dir = exe.parent().expect("test executable has a parent dir");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("deps dir has a parent");
    }
    let bin = dir.join("rconnect");
    assert!(
        bin.exists(),
        "{} does not exist: run `cargo build -p rconnect` before these tests \
         (or set RCONNECT_BIN)",
        bin.display()
    );
    bin
}

/// A running `rconnect` process. Its stdout and stderr go to a log file whose tail is printed
/// when the process is dropped during a panic. Dropping a running worker kills it (SIGKILL).
pub struct Worker {
    child: Option<Child>,
    log: tempfile::NamedTempFile,
}

impl Worker {
    /// Spawns `rconnect` with `args` and extra environment variables `env` (the rest of the
    /// environment is inherited; `RUST_LOG` defaults to `info` when unset).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Worker {
        Worker::spawn(args, env, |_| {})
    }

    /// Spawns `rconnect` as [`Worker::start`] does, after `prepare` adjusts the command.
    fn spawn(args: &[&str], env: &[(&str, &str)], prepare: impl FnOnce(&mut Command)) -> Worker {
        let bin = rconnect_bin();
        let log = log_file("rconnect-");
        let mut cmd = Command::new(&bin);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("reopen worker log"))
            .stderr(log.reopen().expect("reopen worker log"));
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        prepare(&mut cmd);
        let child =
            spawn_reaped(cmd).unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Worker {
            child: Some(child),
            log,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Path of the captured stdout/stderr.
    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// Everything the process has written so far (lossy UTF-8).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.log.path()).unwrap_or_default()).into_owned()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(self.log.path(), lines)
    }

    /// Exit status if the process has exited (reaping it), None while it runs.
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Waits until `GET http://127.0.0.1:PORT/` gets any HTTP response. Panics with the log
    /// tail if the process exits first or `timeout` passes.
    pub fn wait_for_rest(&mut self, port: u16, timeout: Duration) {
        let http = Http::with_timeout(Duration::from_secs(2));
        let url = format!("http://127.0.0.1:{port}/");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit_status() {
                panic!(
                    "rconnect exited with {status} before its REST server came up\n{}",
                    self.log_tail(60)
                );
            }
            if http.try_request("GET", &url, None).is_ok() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "rconnect REST server on port {port} not up after {timeout:?}\n{}",
                    self.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the log contains `needle`; panics with the log tail after `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.log().contains(needle) {
            if Instant::now() >= deadline {
                panic!(
                    "log never contained {needle:?} within {timeout:?}\n{}",
                    self.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits up to 60 s for the process to exit; returns its exit status.
    /// Panics (after SIGKILL) if it does not exit in time.
    pub fn stop(&mut self) -> ExitStatus {
        self.stop_within(Duration::from_secs(60))
    }

    /// [`Worker::stop`] with an explicit grace period.
    pub fn stop_within(&mut self, grace: Duration) -> ExitStatus {
        let child = self.child.take().expect("rconnect was already stopped");
        stop_child(child, grace, "rconnect", || self.log_tail(60))
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill9(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("rconnect was already stopped");
        let _ = child.kill();
        child.wait().expect("wait for killed rconnect")
    }
}

/// SIGTERM to `child`, then up to `grace` for it to exit; SIGKILL and a panic showing
/// `log_tail` after that.
fn stop_child(
    mut child: Child,
    grace: Duration,
    what: &str,
    log_tail: impl Fn() -> String,
) -> ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    // SAFETY: plain syscall on a pid we own and have not reaped yet.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not exit within {grace:?} of SIGTERM\n{}",
                log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// On drop of a test's process: its log tail when the test is failing, then SIGKILL.
fn drop_child(child: Option<Child>, log: &Path, what: &str) {
    if std::thread::panicking() {
        eprintln!(
            "--- {what} log tail ({}) ---\n{}",
            log.display(),
            log_tail(log, 80)
        );
    }
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop_child(self.child.take(), self.log.path(), "rconnect");
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// Blocking REST client for tests: every HTTP status is a normal result (status, body).
/// Transport failures (connection refused, timeout) panic, except in [`Http::try_request`].
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

impl Http {
    /// A client with a 30 s overall timeout per request.
    pub fn new() -> Http {
        Http::with_timeout(Duration::from_secs(30))
    }

    /// A client with the given overall timeout per request.
    pub fn with_timeout(timeout: Duration) -> Http {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> (u16, String) {
        self.request("GET", url, None)
    }

    /// `GET url`, parsing the body as JSON (panics if it is not JSON).
    pub fn get_json(&self, url: &str) -> (u16, serde_json::Value) {
        let (status, body) = self.get(url);
        let json = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("GET {url} returned {status} with non-JSON body {body:?}: {e}")
        });
        (status, json)
    }

    /// `POST url` with a JSON body.
    pub fn post_json(&self, url: &str, body: &serde_json::Value) -> (u16, String) {
        self.request("POST", url, Some(("application/json", &body.to_string())))
    }

    /// `PUT url` with a JSON body.
    pub fn put_json(&self, url: &str, body: &serde_json::Value) -> (u16, String) {
        self.request("PUT", url, Some(("application/json", &body.to_string())))
    }

    /// `PATCH url` with a JSON body.
    pub fn patch_json(&self, url: &str, body: &serde_json::Value) -> (u16, String) {
        self.request("PATCH", url, Some(("application/json", &body.to_string())))
    }

    /// `POST url` with no body.
    pub fn post_empty(&self, url: &str) -> (u16, String) {
        self.request("POST", url, None)
    }

    /// `PUT url` with no body.
    pub fn put_empty(&self, url: &str) -> (u16, String) {
        self.request("PUT", url, None)
    }

    /// `DELETE url`.
    pub fn delete(&self, url: &str) -> (u16, String) {
        self.request("DELETE", url, None)
    }

    /// Any request; `body` is (content type, text), sent verbatim (e.g. malformed JSON).
    pub fn request(&self, method: &str, url: &str, body: Option<(&str, &str)>) -> (u16, String) {
        self.try_request(method, url, body)
            .unwrap_or_else(|e| panic!("{method} {url} failed: {e}"))
    }

    /// Like [`Http::request`] but returns transport errors instead of panicking.
    pub fn try_request(
        &self,
        method: &str,
        url: &str,
        body: Option<(&str, &str)>,
    ) -> Result<(u16, String), ureq::Error> {
        let response = match (method, body) {
            ("GET", _) => self.agent.get(url).call(),
            ("DELETE", _) => self.agent.delete(url).call(),
            ("POST", Some((ct, text))) => {
                self.agent.post(url).header("Content-Type", ct).send(text)
            }
            ("POST", None) => self.agent.post(url).send_empty(),
            ("PUT", Some((ct, text))) => self.agent.put(url).header("Content-Type", ct).send(text),
            ("PUT", None) => self.agent.put(url).send_empty(),
            ("PATCH", Some((ct, text))) => {
                self.agent.patch(url).header("Content-Type", ct).send(text)
            }
            (other, _) => panic!("Http::request: unsupported method {other}"),
        };
        let mut response = response?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        Ok((status, text))
    }
}

/// Writes `props` as a `.properties` file (`key=value` lines, in key order) at `path`;
/// backslashes in values are escaped so they survive properties parsing.
pub fn write_properties(path: &Path, props: &BTreeMap<&str, String>) {
    let text: String = props
        .iter()
        .map(|(k, v)| format!("{k}={}\n", v.replace('\\', "\\\\")))
        .collect();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

impl Worker {
    /// [`Worker::start`] with the process's open-file limit (`RLIMIT_NOFILE`, soft and hard)
    /// set to `limit`, as `ulimit -n LIMIT; exec rconnect ...` would.
    pub fn start_with_open_file_limit(args: &[&str], env: &[(&str, &str)], limit: u64) -> Worker {
        Worker::spawn(args, env, |cmd| {
            // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
            unsafe {
                cmd.pre_exec(move || {
                    let rlim = libc::rlimit {
                        rlim_cur: limit as libc::rlim_t,
                        rlim_max: limit as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &rlim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        })
    }
}

/// A sample file of the repository's `config/` written into `dir` with some keys replaced (or
/// appended when absent); every other line, comments included, is kept as shipped.
pub fn sample_config_with(name: &str, overrides: &[(&str, String)], dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("config").join(name))
        .unwrap_or_else(|e| panic!("sample config {name}: {e}"));
    let mut left: std::collections::HashMap<&str, &String> =
        overrides.iter().map(|(k, v)| (*k, v)).collect();
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split(['=', ':']).next().unwrap_or("").trim();
        if let Some(v) = left.remove(key) {
            out.push_str(&format!("{key}={v}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    for (k, v) in overrides {
        if left.contains_key(k) {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

// ---------------------------------------------------------------------------------------------
// Java reference worker (Apache Kafka Connect 3.9.0)
// ---------------------------------------------------------------------------------------------

/// Env var that turns "Java is missing" from a test failure into a printed skip.
pub const SKIP_JAVA_ENV: &str = "RCONNECT_SKIP_JAVA_TESTS";

/// The classpath of the Java reference, installed by `scripts/install-java-reference` (once
/// per process), or None when `java` is missing and `RCONNECT_SKIP_JAVA_TESTS=1` is set.
///
/// A missing `java` fails the calling test unless that variable is set: these tests must never
/// pass silently on a machine that cannot run them. Either way the reason is printed.
pub fn java_reference(test: &str) -> Option<String> {
    static CLASSPATH: OnceLock<Result<String, String>> = OnceLock::new();
    let result = CLASSPATH.get_or_init(|| {
        let has_java = Command::new("java")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_java {
            return Err(
                "no `java` on PATH (Java 17 runs the Apache Kafka Connect 3.9.0 \
                        reference worker)"
                    .into(),
            );
        }
        let script = repo_root().join("scripts/install-java-reference");
        let out = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed: {}", script.display(), out.status));
        }
        let file = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        std::fs::read_to_string(&file)
            .map(|cp| cp.trim().to_string())
            .map_err(|e| format!("cannot read the classpath file {file:?}: {e}"))
    });
    match result {
        Ok(cp) => Some(cp.clone()),
        Err(reason) => {
            let skip = std::env::var(SKIP_JAVA_ENV).is_ok_and(|v| v == "1");
            if skip {
                // Written to the stderr handle, not with eprintln!: the test harness captures
                // the macros' output of passing tests, and a skip must be seen.
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {reason}; {SKIP_JAVA_ENV}=1 is set"
                );
                None
            } else {
                panic!(
                    "{test} needs the Java reference and cannot run: {reason}. Install Java 17 \
                     (see README, \"Java interoperability tests\") or set {SKIP_JAVA_ENV}=1 \
                     to skip these tests explicitly"
                );
            }
        }
    }
}

/// log4j2 configuration for a Java worker: everything at INFO to stdout (captured in the log
/// file), with the worker's group-membership logs included.
const JAVA_LOG4J2: &str = "status = warn\n\
appender.console.type = Console\n\
appender.console.name = STDOUT\n\
appender.console.layout.type = PatternLayout\n\
appender.console.layout.pattern = [%d] %p %m (%c)%n\n\
rootLogger.level = info\n\
rootLogger.appenderRef.stdout.ref = STDOUT\n\
logger.reflections.name = org.reflections\n\
logger.reflections.level = error\n";

/// A running Apache Kafka Connect 3.9.0 `ConnectDistributed` worker (the Java reference).
/// Its output goes to its own log file, printed in part when dropped during a panic; dropping
/// it kills the JVM (SIGKILL).
pub struct JavaWorker {
    child: Option<Child>,
    log: tempfile::NamedTempFile,
    port: u16,
    _dir: tempfile::TempDir,
}

impl JavaWorker {
    /// Starts `ConnectDistributed` with the worker properties `props` (written to a temp
    /// file; `plugin.discovery=service_load` is added, as the bundled scanner is too old)
    /// and waits until its REST server on `port` answers (up to `timeout`).
    pub fn start_distributed(
        classpath: &str,
        props: &BTreeMap<&str, String>,
        port: u16,
        timeout: Duration,
    ) -> JavaWorker {
        let dir = tempfile::tempdir().expect("temp dir for the Java worker");
        let mut props = props.clone();
        props.insert("plugin.discovery", "service_load".into());
        let worker_props = dir.path().join("worker.properties");
        write_properties(&worker_props, &props);
        let log4j = dir.path().join("log4j2.properties");
        std::fs::write(&log4j, JAVA_LOG4J2).expect("write log4j2.properties");
        let log = log_file("java-connect-");
        let mut cmd = Command::new("java");
        cmd.arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
            .args([
                "-Xms64m",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
            ])
            .arg("-cp")
            .arg(classpath)
            .arg("org.apache.kafka.connect.cli.ConnectDistributed")
            .arg(&worker_props)
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("reopen Java worker log"))
            .stderr(log.reopen().expect("reopen Java worker log"));
        let child = spawn_reaped(cmd).unwrap_or_else(|e| panic!("cannot start java: {e}"));
        let mut worker = JavaWorker {
            child: Some(child),
            log,
            port,
            _dir: dir,
        };
        worker.wait_for_rest(timeout);
        worker
    }

    /// Waits until `GET /` answers 200 (Java's REST server is up once the herder started).
    fn wait_for_rest(&mut self, timeout: Duration) {
        let http = Http::with_timeout(Duration::from_secs(2));
        let url = format!("http://127.0.0.1:{}/", self.port);
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "the Java worker exited with {status} before its REST server came up\n{}",
                    self.log_tail(60)
                );
            }
            if matches!(http.try_request("GET", &url, None), Ok((200, _))) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "Java worker REST server on port {} not up after {timeout:?}\n{}",
                    self.port,
                    self.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The REST port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Path of the captured stdout/stderr.
    pub fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// Everything the JVM has written so far (lossy UTF-8).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.log.path()).unwrap_or_default()).into_owned()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(self.log.path(), lines)
    }

    /// SIGTERM (Connect's shutdown hook stops work and leaves the group), then waits up to
    /// `grace` for the JVM to exit; SIGKILL and panic after that.
    pub fn stop_within(&mut self, grace: Duration) -> ExitStatus {
        let child = self
            .child
            .take()
            .expect("the Java worker was already stopped");
        stop_child(child, grace, "the Java worker", || self.log_tail(60))
    }

    /// Kills the JVM with SIGKILL and reaps it.
    pub fn kill9(&mut self) -> ExitStatus {
        let mut child = self
            .child
            .take()
            .expect("the Java worker was already stopped");
        let _ = child.kill();
        child.wait().expect("wait for the killed Java worker")
    }
}

impl Drop for JavaWorker {
    fn drop(&mut self) {
        drop_child(self.child.take(), self.log.path(), "Java worker");
    }
}

/// The leader's REST port from the last `leaderUrl=` a worker logged: rconnect logs
/// `leaderUrl=http://127.0.0.1:PORT/`, Java `leaderUrl='http://127.0.0.1:PORT/'`.
pub fn logged_leader_port(log: &str) -> Option<u16> {
    let line = log.lines().rev().find(|l| l.contains("leaderUrl="))?;
    let url = line.split("leaderUrl=").nth(1)?;
    let url = url.trim_start_matches('\'');
    let end = url.find(['\'', ',', ' ', '}']).unwrap_or(url.len());
    url[..end]
        .trim_end_matches('/')
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

/// The `state` of every record with key `key` in a status topic (`status-connector-NAME`,
/// `status-task-NAME-N`), in topic order; tombstones read as `"<deleted>"`.
pub fn status_history(broker: &Broker, topic: &str, key: &str) -> Vec<String> {
    // Every partition up to its high watermark as of now: a count over all partitions could
    // be reached with one partition read short while others grow.
    let highs = broker.partition_high_watermarks(topic);
    let consumer: BaseConsumer = broker
        .client_config()
        .set("group.id", unique_name("harness-status"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("create consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..highs.len() as i32 {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("add partition to assignment");
    }
    consumer.assign(&tpl).expect("assign partitions");
    let mut next: Vec<i64> = vec![0; highs.len()];
    let mut records: Vec<ConsumedRecord> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while next.iter().zip(&highs).any(|(n, h)| n < h) {
        assert!(
            Instant::now() < deadline,
            "{topic} not read up to {highs:?} within 20 s (at {next:?})"
        );
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let p = m.partition() as usize;
            next[p] = next[p].max(m.offset() + 1);
            if m.offset() < highs[p] && m.key() == Some(key.as_bytes()) {
                records.push((
                    m.key().map(<[u8]>::to_vec),
                    m.payload().map(<[u8]>::to_vec),
                    m.partition(),
                    m.offset(),
                ));
            }
        }
    }
    records.sort_by_key(|r| (r.2, r.3));
    // One key lives in one partition, so (partition, offset) order is write order.
    records
        .iter()
        .map(|r| match &r.1 {
            None => "<deleted>".to_string(),
            Some(v) => serde_json::from_slice::<serde_json::Value>(v)
                .ok()
                .and_then(|j| j["state"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(v).into_owned()),
        })
        .collect()
}

/// The status records three restarts of a one-task FileStreamSink `name` write, through the
/// worker at `port` whose status topic is `status_topic`: `[connector, task]` after
/// `POST /connectors/NAME/restart?includeTasks=true`, `[connector]` after the legacy
/// `POST /connectors/NAME/restart`, `[task]` after `POST /connectors/NAME/tasks/0/restart`.
/// Creates the connector (and its input topic) first and waits for RUNNING after each step.
pub fn restart_status_history(
    broker: &Broker,
    status_topic: &str,
    port: u16,
    name: &str,
    sink_file: &Path,
) -> Vec<Vec<String>> {
    let http = Http::new();
    let base = format!("http://127.0.0.1:{port}/connectors");
    let input = format!("{name}-in");
    if broker.partition_count(&input).is_none() {
        broker.create_topic(&input, 1, &[]);
    }
    let (code, body) = http.post_json(
        &base,
        &serde_json::json!({"name": name, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1",
            "topics": input,
            "file": sink_file.to_str().expect("UTF-8 temp path"),
        }}),
    );
    assert_eq!(code, 201, "create {name}: {body}");
    let ckey = format!("status-connector-{name}");
    let tkey = format!("status-task-{name}-0");
    let running = |keys: &[&str], from: &[usize]| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (code, st) = http.get_json(&format!("{base}/{name}/status"));
            let rest_ok = code == 200
                && st["connector"]["state"] == "RUNNING"
                && st["tasks"][0]["state"] == "RUNNING";
            let hist: Vec<Vec<String>> = keys
                .iter()
                .zip(from)
                .map(|(k, n)| {
                    status_history(broker, status_topic, k)
                        .get(*n..)
                        .map(<[String]>::to_vec)
                        .unwrap_or_default()
                })
                .collect();
            if rest_ok
                && hist
                    .iter()
                    .all(|h| h.len() >= 2 && h.last().is_some_and(|s| s == "RUNNING"))
            {
                return hist;
            }
            assert!(
                Instant::now() < deadline,
                "{name} not RUNNING again after a restart: {st} {hist:?}"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    };
    // Wait for the first RUNNING of both.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = status_history(broker, status_topic, &ckey);
        let t = status_history(broker, status_topic, &tkey);
        if c.last().is_some_and(|s| s == "RUNNING") && t.last().is_some_and(|s| s == "RUNNING") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never RUNNING: {c:?} {t:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut out = Vec::new();
    let count = |k: &str| status_history(broker, status_topic, k).len();

    let from = [count(&ckey), count(&tkey)];
    let (code, body) = http.post_empty(&format!("{base}/{name}/restart?includeTasks=true"));
    assert_eq!(code, 202, "restart?includeTasks=true: {body}");
    out.extend(running(&[&ckey, &tkey], &from));

    let from = [count(&ckey)];
    let (code, body) = http.post_empty(&format!("{base}/{name}/restart"));
    assert_eq!(code, 204, "legacy restart: {body}");
    out.extend(running(&[&ckey], &from));

    let from = [count(&tkey)];
    let (code, body) = http.post_empty(&format!("{base}/{name}/tasks/0/restart"));
    assert_eq!(code, 204, "task restart: {body}");
    out.extend(running(&[&tkey], &from));
    out
}

/// Worker settings for `rconnect distributed` on a test broker: the group and its internal
/// topics, a REST listener on `port`, the fast-failover settings of docs/distributed.md, and
/// tansu's short consumer sessions (docs/tansu.md).
pub fn distributed_worker_settings(
    broker: &Broker,
    group: &str,
    port: u16,
) -> Vec<(&'static str, String)> {
    vec![
        ("bootstrap.servers", broker.bootstrap()),
        ("group.id", group.to_string()),
        ("config.storage.topic", format!("{group}-configs")),
        ("offset.storage.topic", format!("{group}-offsets")),
        ("status.storage.topic", format!("{group}-status")),
        ("offset.storage.partitions", "3".into()),
        ("status.storage.partitions", "3".into()),
        ("listeners", format!("http://127.0.0.1:{port}")),
        ("rest.advertised.host.name", "127.0.0.1".into()),
        ("session.timeout.ms", "6000".into()),
        ("heartbeat.interval.ms", "1000".into()),
        ("scheduled.rebalance.max.delay.ms", "0".into()),
        ("offset.flush.interval.ms", "1000".into()),
        ("consumer.session.timeout.ms", "6000".into()),
        ("consumer.heartbeat.interval.ms", "1000".into()),
    ]
}

/// The venv python with `confluent-kafka[avro]` (scripts/install-confluent-kafka).
pub fn confluent_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new(repo_root().join("scripts/install-confluent-kafka"))
            .output()
            .expect("run scripts/install-confluent-kafka");
        assert!(
            out.status.success(),
            "scripts/install-confluent-kafka failed (it needs python3 and PyPI): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

/// Runs `script` with the venv python of [`confluent_python`]; its stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new(confluent_python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
