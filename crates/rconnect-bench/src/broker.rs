//! A throw-away tansu broker (in-memory storage) on a free loopback port, and the few admin
//! calls the benchmark needs.

use std::ffi::CString;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::bindings;
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::{Offset, TopicPartitionList};

use crate::process::Proc;

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A running tansu broker; killed on drop.
pub struct Broker {
    // Fields drop in order: the clients go before the broker they talk to.
    admin: AdminClient<DefaultClientContext>,
    meta: BaseConsumer,
    proc: Proc,
    port: u16,
}

impl Broker {
    /// Starts `bin broker` with `memory://` storage, logging to `log`, and waits until it
    /// answers a metadata request. A port taken between probe and bind is retried.
    pub fn start(bin: &Path, log: &Path) -> Result<Broker> {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let url = format!("tcp://127.0.0.1:{port}");
            let mut cmd = Command::new(bin);
            cmd.arg("broker")
                .args(["--listener-url", &url, "--advertised-listener-url", &url])
                .args(["--storage-engine", "memory://tansu/"])
                .env("RUST_LOG", "warn");
            let proc = Proc::spawn("tansu", cmd, log)?;
            let config = client_config(&format!("127.0.0.1:{port}"));
            let admin = config.create().context("creating an admin client")?;
            let meta = config.create().context("creating a metadata client")?;
            let mut broker = Broker {
                admin,
                meta,
                proc,
                port,
            };
            match broker.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return Ok(broker),
                Err(e) => last = format!("{e:#}"),
            }
        }
        bail!("tansu did not start: {last}")
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.proc.check_alive()?;
            match self.meta.fetch_metadata(None, Duration::from_millis(500)) {
                Ok(md) if !md.brokers().is_empty() => return Ok(()),
                Ok(_) if Instant::now() >= deadline => bail!("metadata lists no brokers"),
                Err(e) if Instant::now() >= deadline => bail!("metadata request failed: {e}"),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// An error if the broker has died.
    pub fn check_alive(&mut self) -> Result<()> {
        self.proc.check_alive()
    }

    /// Creates `name` with `partitions` partitions (replication 1) and waits until metadata
    /// shows it.
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<()> {
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = futures::executor::block_on(self.admin.create_topics([&topic], &opts))
            .with_context(|| format!("CreateTopics {name}"))?;
        for result in results {
            if let Err((topic, code)) = result {
                bail!("creating topic {topic}: {code}");
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(md) = self.meta.fetch_metadata(Some(name), Duration::from_secs(2)) {
                let ready = md.topics().iter().any(|t| {
                    t.name() == name
                        && t.error().is_none()
                        && t.partitions().len() == partitions as usize
                });
                if ready {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                bail!("topic {name} not in metadata 10 s after creation");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A [`Watermarks`] watcher of partitions `0..partitions` of `topic`.
    pub fn watch(&self, topic: &str, partitions: i32) -> Result<Watermarks> {
        Watermarks::new(&self.bootstrap(), topic, partitions)
    }
}

/// Follows the high watermarks of a topic's partitions as Fetch responses report them.
///
/// Not ListOffsets ("latest"): tansu answers that with the base offset of the newest stored
/// batch plus one, not the high watermark, so it lags by up to a whole batch. Instead this
/// consumer is assigned at an offset far beyond the end; every fetch then comes back empty
/// (tansu does not answer OffsetOutOfRange) but carries the true high watermark, which
/// librdkafka caches. No records are transferred, so the broker does little extra work.
pub struct Watermarks {
    consumer: BaseConsumer,
    topic: CString,
    name: String,
    partitions: i32,
}

impl Watermarks {
    fn new(bootstrap: &str, topic: &str, partitions: i32) -> Result<Watermarks> {
        let consumer: BaseConsumer = client_config(bootstrap)
            .set(
                "group.id",
                format!("bench-watermarks-{}", std::process::id()),
            )
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "5")
            .create()
            .context("creating the watermark consumer")?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Offset(i64::MAX / 2))
                .with_context(|| format!("assigning {topic}-{p}"))?;
        }
        consumer
            .assign(&tpl)
            .with_context(|| format!("assigning {topic}"))?;
        Ok(Watermarks {
            consumer,
            topic: CString::new(topic).with_context(|| format!("topic name {topic:?}"))?,
            name: topic.to_string(),
            partitions,
        })
    }

    /// The sum of the latest known high watermarks (0 for a partition not fetched yet).
    pub fn sum(&self) -> Result<i64> {
        // Serves the consumer's queue; fetch responses themselves are handled by
        // librdkafka's threads.
        if let Some(Err(e)) = self.consumer.poll(Duration::ZERO) {
            bail!("watermark consumer of {}: {e}", self.name);
        }
        let mut sum = 0;
        for p in 0..self.partitions {
            let (mut low, mut high) = (-1i64, -1i64);
            // SAFETY: the client pointer is alive for the borrow of self.consumer; topic
            // is a valid C string; the out-pointers point to locals.
            let err = unsafe {
                bindings::rd_kafka_get_watermark_offsets(
                    self.consumer.client().native_ptr(),
                    self.topic.as_ptr(),
                    p,
                    &mut low,
                    &mut high,
                )
            };
            if err != bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                bail!("cached watermarks of {}-{p}: error {err:?}", self.name);
            }
            sum += high.max(0);
        }
        Ok(sum)
    }
}

/// A client config for `bootstrap` with librdkafka's log quietened to errors.
///
/// `isolation.level=read_uncommitted` makes watermark queries (ListOffsets "latest") return
/// the high watermark; with librdkafka's default `read_committed` they return the last
/// stable offset, which tansu reports as the last batch's base offset plus one.
pub fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("isolation.level", "read_uncommitted")
        .set("log_level", "3");
    config
}

/// `tansu --version`, trimmed; the error names the binary.
pub fn version(bin: &Path) -> Result<String> {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", bin.display()))?;
    if !out.status.success() {
        bail!("{} --version failed: {}", bin.display(), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
