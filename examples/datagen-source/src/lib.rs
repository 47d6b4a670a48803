//! A data generator source connector, loaded by rconnect from `plugin.path`.
//!
//! Each task writes `records.per.second` Struct records per second to `topic`, with the
//! schema `io.rconnect.examples.datagen.Order { id: int64, customer: string,
//! amount: Decimal(2), created: Timestamp }`, keyed by `id`. Its source offset is the next
//! id, so a restarted task continues where the last committed offset left off.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::data::{logical, Decimal, Schema, SchemaBuilder, SchemaRef, Struct, Value};
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::SourceRecord;
use rconnect_sdk::stop::StopSignal;
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TOPIC: &str = "topic";
const RATE: &str = "records.per.second";
const MAX: &str = "max.records";
const CUSTOMERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(
                TOPIC,
                ConfigType::String,
                Default::Required,
                Importance::High,
                "The topic to write to.",
            )
            .validator(Validator::NonEmptyString),
        )
        .define(
            ConfigKey::new(
                RATE,
                ConfigType::Int,
                Default::Value("10".into()),
                Importance::Medium,
                "Records per second per task.",
            )
            .validator(Validator::between(1.0, 1_000_000.0)),
        )
        .define(ConfigKey::new(
            MAX,
            ConfigType::Long,
            Default::Value("-1".into()),
            Importance::Low,
            "Stop producing after this many records per task; -1 for no limit.",
        ))
}

/// The value schema of every record.
pub fn order_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("io.rconnect.examples.datagen.Order")
        .version(1)
        .field("id", Schema::int64())
        .field("customer", Schema::string())
        .field("amount", logical::decimal_schema(2))
        .field("created", logical::timestamp_builder().build())
        .build()
}

/// The connector: one task config per task, each with a distinct `task.id`.
#[derive(Default)]
pub struct DataGenConnector {
    props: Props,
}

#[async_trait]
impl Connector for DataGenConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }
    fn config_def(&self) -> ConfigDef {
        config_def()
    }
    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        config_def().parse(&props)?;
        self.props = props;
        Ok(())
    }
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok((0..max_tasks.max(1))
            .map(|i| {
                let mut p = self.props.clone();
                p.insert("task.id".into(), i.to_string());
                p
            })
            .collect())
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "io.rconnect.examples.DataGenSourceTask".to_string()
    }
}

impl SourceConnector for DataGenConnector {}

struct Running {
    topic: String,
    interval: Duration,
    max: Option<i64>,
    partition: OffsetMap,
    schema: SchemaRef,
    stop: StopSignal,
    next_id: i64,
    next_at: Instant,
}

/// The task: paces itself with the worker's stop signal, so a stop ends its wait at once.
#[derive(Default)]
pub struct DataGenTask {
    running: Option<Running>,
}

#[async_trait]
impl SourceTask for DataGenTask {
    fn version(&self) -> String {
        VERSION.to_string()
    }
    async fn start(&mut self, ctx: SourceTaskContext, props: Props) -> ConnectResult<()> {
        let parsed = config_def().parse(&props)?;
        let task = props.get("task.id").cloned().unwrap_or_else(|| "0".into());
        let partition: OffsetMap = [("generator", "datagen".to_string()), ("task", task)]
            .into_iter()
            .collect();
        // Resume after the last committed record, if any.
        let next_id = ctx
            .offset_reader
            .offset(&partition)
            .await?
            .and_then(|o| o.get("next").and_then(|n| n.as_i64()))
            .unwrap_or(0);
        let rate = parsed.int(RATE).unwrap_or(10).max(1) as u64;
        self.running = Some(Running {
            topic: parsed.string(TOPIC).unwrap_or_default().to_string(),
            interval: Duration::from_nanos(1_000_000_000 / rate),
            max: parsed.long(MAX).filter(|m| *m >= 0),
            partition,
            schema: order_schema(),
            stop: ctx.stop.clone(),
            next_id,
            next_at: Instant::now(),
        });
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        let r = self
            .running
            .as_mut()
            .ok_or_else(|| ConnectError::connect("DataGenSourceTask polled before start"))?;
        if r.max.is_some_and(|m| r.next_id >= m) {
            r.stop.sleep(Duration::from_millis(200)).await;
            return Ok(None);
        }
        let now = Instant::now();
        if now < r.next_at {
            r.stop.sleep(r.next_at - now).await;
            return Ok(None);
        }
        // Everything due by now, at most 1000 records per poll.
        let mut batch = Vec::new();
        while r.next_at <= Instant::now()
            && batch.len() < 1000
            && r.max.is_none_or(|m| r.next_id < m)
        {
            batch.push(make_record(r)?);
            r.next_at += r.interval;
        }
        Ok(Some(batch))
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

fn make_record(r: &mut Running) -> ConnectResult<SourceRecord> {
    let id = r.next_id;
    r.next_id += 1;
    let mut order = Struct::new(r.schema.clone());
    order.put("id", Value::Int64(id))?;
    order.put("customer", Value::from(CUSTOMERS[(id % 4) as usize]))?;
    order.put("amount", Value::Decimal(Decimal::new(1000 + id * 25, 2)))?;
    order.put("created", Value::Timestamp(1_700_000_000_000 + id * 1000))?;
    let offset = OffsetMap::with_entry("next", id + 1);
    let mut record = SourceRecord::new(
        Some(r.partition.clone()),
        Some(offset),
        r.topic.clone(),
        Some(r.schema.clone()),
        Value::Struct(order),
    );
    record.key_schema = Some(Schema::int64());
    record.key = Value::Int64(id);
    Ok(record)
}

rconnect_sdk::export_plugin! {
    source "io.rconnect.examples.DataGenSourceConnector" => DataGenConnector, DataGenTask;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::offset::OffsetStorageReader;
    use rconnect_sdk::stop::stop_pair;

    struct NoOffsets;
    #[async_trait]
    impl OffsetStorageReader for NoOffsets {
        async fn offsets(&self, p: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
            Ok(vec![None; p.len()])
        }
    }

    #[tokio::test]
    async fn generates_ordered_structs_at_the_configured_rate() {
        let mut props = Props::new();
        props.insert(TOPIC.into(), "orders".into());
        props.insert(RATE.into(), "1000".into());
        props.insert(MAX.into(), "5".into());
        let (_trigger, stop) = stop_pair();
        let ctx = SourceTaskContext {
            configs: props.clone(),
            offset_reader: Arc::new(NoOffsets),
            stop,
        };
        let mut t = DataGenTask::default();
        t.start(ctx, props).await.unwrap();
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 5 && Instant::now() < deadline {
            got.extend(t.poll().await.unwrap().unwrap_or_default());
        }
        assert_eq!(got.len(), 5);
        assert_eq!(got[4].key, Value::Int64(4));
        let v = got[4].value.as_struct().unwrap();
        assert_eq!(
            v.get("amount").unwrap(),
            &Value::Decimal(Decimal::new(1100, 2))
        );
        assert_eq!(
            got[4].meta.source_offset.as_ref().unwrap()["next"],
            serde_json::json!(5)
        );
        // max.records reached: nothing more.
        assert!(t.poll().await.unwrap().is_none());
    }
}
