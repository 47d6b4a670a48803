//! The per-record work of `scripts/bench --only smt` without the broker: FileStreamSource-like
//! records (a 100-byte line as a STRING value) through the worker's transformation chain
//! (`TransformChain::apply_tolerant_mut`, as the source loop calls it, with the bench's
//! [`CHAIN`](rconnect_bench::smt::CHAIN)) and then the key and value converters
//! (StringConverter, and JsonConverter with `schemas.enable=false`).
//!
//! ```text
//! cargo build --profile profiling -p rconnect-bench --bin smt-chain
//! target/profiling/smt-chain [plain|chain] [RECORDS]
//! ```
//!
//! prints the CPU time per record; for instruction counts, which other processes on the
//! machine do not disturb, run it under callgrind counting only `run`:
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='smt_chain::run' \
//!     target/profiling/smt-chain chain 100000
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use rconnect_runtime::errors::{ErrorConfig, Operator};
use rconnect_runtime::plugins::{PluginRegistry, PredicatePlugin, TransformationPlugin};
use rconnect_runtime::transform_chain::TransformChain;
use rconnect_sdk::converter::Converter;
use rconnect_sdk::data::{Headers, Schema, SchemaRef, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{ConnectRecord, SourceMeta, SourceRecord, Topic};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::Props;

/// The topic of the chained case, which its predicate matches.
const TOPIC: &str = rconnect_bench::smt::CHAIN_TOPIC;

fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    for t in rconnect_transforms::transformations() {
        r.register_transformation(TransformationPlugin {
            class_name: t.class_name.to_string(),
            version: t.version.to_string(),
            for_source: Arc::new(t.new_source),
            for_sink: Arc::new(t.new_sink),
        });
    }
    for p in rconnect_transforms::predicates() {
        r.register_predicate(PredicatePlugin {
            class_name: p.class_name.to_string(),
            version: p.version.to_string(),
            for_source: Arc::new(p.new_source),
            for_sink: Arc::new(p.new_sink),
        });
    }
    r
}

/// What the FileStreamSource task builds per line (connectors/file/src/source.rs).
struct Lines {
    topic: Topic,
    schema: SchemaRef,
    partition: Arc<OffsetMap>,
    line: String,
    position: u64,
}

impl Lines {
    fn next(&mut self) -> SourceRecord {
        self.position += 101;
        ConnectRecord {
            topic: self.topic.clone(),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: Some(self.schema.clone()),
            value: Value::String(self.line.clone().into()),
            timestamp: Some(1_765_000_000_000),
            headers: Headers::new(),
            meta: SourceMeta {
                source_partition: Some(self.partition.clone()),
                source_offset: Some(OffsetMap::with_entry(
                    "position",
                    serde_json::Value::from(self.position),
                )),
            },
        }
    }
}

/// Builds, transforms and converts `records` records; the sum of the output sizes.
#[inline(never)]
fn run(
    records: usize,
    lines: &mut Lines,
    chain: &TransformChain<SourceMeta>,
    ops: &Operator<SourceRecord>,
    key: &dyn Converter,
    value: &dyn Converter,
) -> usize {
    futures::executor::block_on(async {
        let mut bytes = 0;
        for _ in 0..records {
            let mut record = lines.next();
            if !chain.is_empty() {
                match chain.apply_tolerant_mut(&mut record, ops, None).await {
                    Ok(Outcome::Keep) => {}
                    other => panic!("the chain dropped or failed a record: {other:?}"),
                }
            }
            let mut headers = std::mem::take(&mut record.headers);
            let k = key
                .from_connect_sync(&record.topic, &mut headers, None, &record.key)
                .expect("a synchronous converter")
                .expect("a key");
            let v = value
                .from_connect_sync(
                    &record.topic,
                    &mut headers,
                    record.value_schema.as_ref(),
                    &record.value,
                )
                .expect("a synchronous converter")
                .expect("a value");
            bytes += k.map_or(0, |b| b.len()) + v.map_or(0, |b| b.len()) + record.topic.len();
            black_box(&record);
        }
        bytes
    })
}

fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let cases: Vec<bool> = match args.first().map(String::as_str) {
        Some("plain") => vec![false],
        Some("chain") => vec![true],
        _ => vec![false, true],
    };
    let records: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(300_000);
    let plugins = registry();
    let mut key = rconnect_converters::StringConverter::default();
    Converter::configure(&mut key, &Props::new(), true).expect("a StringConverter");
    let mut value = rconnect_converters::JsonConverter::new();
    let props: Props = [("schemas.enable".to_string(), "false".to_string())].into();
    Converter::configure(&mut value, &props, false).expect("a JsonConverter");
    let ops = Operator::new(ErrorConfig::default(), StopSignal::never(), Vec::new());
    let line: String = (0..100)
        .map(|i| (b'A' + (i * 7 % 26) as u8) as char)
        .collect();
    for chained in cases {
        let config: Props = if chained {
            rconnect_bench::smt::CHAIN
                .iter()
                .chain(rconnect_bench::smt::PREDICATE.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        } else {
            Props::new()
        };
        let chain = TransformChain::<SourceMeta>::from_config(&plugins, &config)
            .expect("the bench's chain");
        let mut lines = Lines {
            topic: TOPIC.into(),
            schema: Schema::string(),
            partition: Arc::new(OffsetMap::with_entry("filename", "/tmp/in.txt")),
            line: line.clone(),
            position: 0,
        };
        // Warm-up: caches, allocator.
        run(1000, &mut lines, &chain, &ops, &key, &value);
        let (t0, c0) = (Instant::now(), thread_cpu());
        let bytes = run(records, &mut lines, &chain, &ops, &key, &value);
        let (wall, cpu) = (t0.elapsed(), thread_cpu() - c0);
        println!(
            "{}: {records} records, {:.0} ns CPU per record ({:.0} ns wall), {bytes} bytes",
            if chained { "chain" } else { "plain" },
            cpu.as_nanos() as f64 / records as f64,
            wall.as_nanos() as f64 / records as f64,
        );
    }
}
