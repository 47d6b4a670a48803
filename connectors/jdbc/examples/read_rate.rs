//! Rows per second one JDBC source task reads from a table (the read path without Kafka):
//! `cargo run --release -p rconnect-jdbc --example read_rate -- JDBC_URL TABLE ROWS`.
//! Used by `scripts/bench-jdbc`, which compares it with `psql \copy` of the same table.

use std::sync::Arc;
use std::time::Instant;

use rconnect_jdbc::JdbcSourceTask;
use rconnect_sdk::connector::{SourceTask, SourceTaskContext};
use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{async_trait, ConnectResult, Props};

struct NoOffsets;

#[async_trait]
impl OffsetStorageReader for NoOffsets {
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
        Ok(vec![None; partitions.len()])
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, table, rows] = args.as_slice() else {
        eprintln!("usage: read_rate JDBC_URL TABLE ROWS");
        std::process::exit(2);
    };
    let rows: usize = rows.parse().expect("ROWS is a number");
    rconnect_jdbc::install_crypto_provider();
    let props: Props = [
        ("connection.url", url.as_str()),
        ("mode", "incrementing"),
        ("incrementing.column.name", "id"),
        ("tables", table.as_str()),
        ("tables.fetched", "true"),
        ("poll.interval.ms", "60000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ctx = SourceTaskContext {
        configs: props.clone(),
        offset_reader: Arc::new(NoOffsets),
        stop: StopSignal::never(),
    };
    let mut task = JdbcSourceTask::new();
    let start = Instant::now();
    task.start(ctx, props).await.expect("start");
    let mut n = 0;
    while n < rows {
        if let Some(b) = task.poll().await.expect("poll") {
            n += b.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    task.stop().await.ok();
    println!("{n} rows in {secs:.2} s: {:.0} rows/s", n as f64 / secs);
}
