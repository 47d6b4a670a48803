//! The connector and its task (Java `S3SinkConnector`, `S3SinkTask`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rconnect_sdk::config::{ConfigDef, ConfigValueReport};
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SinkConnector, SinkTask, SinkTaskContext,
};
use rconnect_sdk::record::{SinkRecord, TopicPartition};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

use crate::config::{self, NullBehavior, S3SinkConfig};
use crate::partitioner::PartitionerKind;
use crate::storage::{ObjectStore, S3Store, StoreError};
use crate::writer::{PartitionWriter, Shared, WriteError};
use crate::{TASK_CLASS, VERSION};

/// `io.confluent.connect.s3.S3SinkConnector`: `tasks.max` identical task configs.
#[derive(Debug, Default)]
pub struct S3SinkConnector {
    props: Props,
}

impl S3SinkConnector {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Connector for S3SinkConnector {
    fn version(&self) -> String {
        VERSION.to_string()
    }
    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }
    fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        config::validate(props)
    }
    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        S3SinkConfig::parse(&props)?;
        self.props = props;
        Ok(())
    }
    fn task_configs(&mut self, max_tasks: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.props.clone(); max_tasks])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        TASK_CLASS.to_string()
    }
}

#[async_trait]
impl SinkConnector for S3SinkConnector {
    /// Any consumer offsets are accepted: objects are named by offset, so resetting the
    /// offsets rewrites (or skips) objects as the user intends.
    fn alter_offsets(
        &self,
        _config: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> ConnectResult<bool> {
        Ok(true)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `io.confluent.connect.s3.S3SinkTask`.
#[derive(Default)]
pub struct S3SinkTask {
    shared: Option<Shared>,
    ctx: Option<SinkTaskContext>,
    /// Writers of the assigned partitions; a task has few, so a list searched by
    /// reference avoids building a key per record.
    writers: Vec<(TopicPartition, PartitionWriter)>,
}

impl S3SinkTask {
    pub fn new() -> Self {
        Self::default()
    }

    /// A task over another store (in-memory in unit tests).
    pub fn with_store(config: S3SinkConfig, store: Arc<dyn ObjectStore>) -> Self {
        S3SinkTask {
            shared: Some(Shared {
                config: Arc::new(config),
                store,
            }),
            ctx: None,
            writers: Vec::new(),
        }
    }

    fn shared(&self) -> ConnectResult<&Shared> {
        self.shared
            .as_ref()
            .ok_or_else(|| ConnectError::connect("S3SinkTask used before it was started"))
    }

    /// Where the objects of `tp` would be if the partitioner puts each Kafka partition
    /// in one directory: `[topics.dir/]topic/partition=P/topic+P+`.
    fn recovery_prefix(config: &S3SinkConfig, tp: &TopicPartition) -> Option<String> {
        if !matches!(config.partitioner.kind, PartitionerKind::Default)
            || config.partitioner.affix != crate::partitioner::Affix::None
        {
            return None;
        }
        let key = crate::writer::file_key(
            config,
            &tp.topic,
            tp.partition,
            &format!("partition={}", tp.partition),
            0,
        );
        let cut =
            key.len() - format!("{:0w$}", 0, w = config.zero_pad_width).len() - suffix_len(config);
        Some(key[..cut].to_string())
    }

    /// The start offset of the newest object of `tp` in the bucket.
    async fn newest_object_start(
        shared: &Shared,
        tp: &TopicPartition,
    ) -> Result<Option<i64>, StoreError> {
        let Some(prefix) = Self::recovery_prefix(&shared.config, tp) else {
            return Ok(None);
        };
        let suffix = &crate::writer::file_key(&shared.config, "t", 0, "p", 0)[..];
        let ext = &suffix[suffix.len() - suffix_len(&shared.config)..];
        let keys = shared.store.list_keys(&prefix, None).await?;
        Ok(keys
            .iter()
            .filter_map(|k| {
                k.strip_prefix(&prefix)?
                    .strip_suffix(ext)?
                    .parse::<i64>()
                    .ok()
            })
            .max())
    }
}

fn suffix_len(config: &S3SinkConfig) -> usize {
    crate::format::extension(&config.format).len() + if config.gzip.is_some() { 3 } else { 0 }
}

fn store_error(e: StoreError) -> ConnectError {
    match e {
        StoreError::Retriable(m) => ConnectError::retriable(m),
        StoreError::Fatal(m) => ConnectError::connect(m),
    }
}

#[async_trait]
impl SinkTask for S3SinkTask {
    fn version(&self) -> String {
        VERSION.to_string()
    }

    async fn start(&mut self, ctx: SinkTaskContext, props: Props) -> ConnectResult<()> {
        if self.shared.is_none() {
            let config = S3SinkConfig::parse(&props)?;
            let store = S3Store::new(&config).map_err(store_error)?;
            self.shared = Some(Shared {
                config: Arc::new(config),
                store: Arc::new(store),
            });
        }
        let shared = self.shared()?.clone();
        // Java: the task fails at start when the bucket cannot be reached.
        shared
            .store
            .check_bucket()
            .await
            .map_err(|e| ConnectError::connect(e.to_string()))?;
        tracing::info!(
            "Started S3 connector task with assigned partitions: {:?}",
            ctx.assignment()
        );
        self.ctx = Some(ctx);
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let shared = self.shared()?.clone();
        for tp in partitions {
            let mut w = PartitionWriter::new(shared.clone(), now_ms());
            // Objects already in the bucket: with one directory per Kafka partition every
            // object but the newest is complete and its successor starts where it ends,
            // so records before the newest object's start are written already. They are
            // skipped, and the newest object is rewritten identically from its start.
            match Self::newest_object_start(&shared, tp).await {
                Ok(Some(start)) => {
                    tracing::info!("{tp}: objects up to offset {start} are in the bucket; earlier records are skipped");
                    w.skip_below(start);
                }
                Ok(None) => {}
                // The store is unreachable for now: without the skip, replay from the
                // committed offset rewrites the same objects, which is still exactly once.
                Err(StoreError::Retriable(e)) => {
                    tracing::warn!("{tp}: cannot list the objects already in the bucket, replaying from the committed offset: {e}")
                }
                Err(e) => {
                    return Err(ConnectError::connect(format!(
                        "Recovering the objects of {tp}: {e}"
                    )))
                }
            }
            self.writers.retain(|(t, _)| t != tp);
            self.writers.push((tp.clone(), w));
        }
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        let shared = self.shared()?.clone();
        let now = now_ms();
        let mut failures: Vec<(usize, StoreError)> = Vec::new();
        for i in 0..self.writers.len() {
            self.writers[i].1.start_put();
            // A commit that failed in the background since the last `put`.
            let result = self.writers[i].1.poll_uploads().await;
            self.on_write_result(i, result, now, &mut failures).await?;
        }
        let mut last: Option<usize> = None;
        for record in records {
            if record.value.is_null() {
                match shared.config.null_behavior {
                    NullBehavior::Ignore => {
                        tracing::debug!("Null valued record from topic '{}', partition {} and offset {} was skipped.",
                            record.topic, record.kafka_partition.unwrap_or_default(), record.meta.kafka_offset);
                        continue;
                    }
                    NullBehavior::Fail => {
                        return Err(ConnectError::connect(
                            "Null valued records are not writeable with current behavior.on.null.values 'settings'.",
                        ))
                    }
                }
            }
            let m = &record.meta;
            let i = match last {
                Some(i)
                    if self.writers[i].0.partition == m.original_kafka_partition
                        && self.writers[i].0.topic == *m.original_topic =>
                {
                    i
                }
                _ => self
                    .writers
                    .iter()
                    .position(|(tp, _)| {
                        tp.partition == m.original_kafka_partition && tp.topic == *m.original_topic
                    })
                    .ok_or_else(|| {
                        ConnectError::connect(format!(
                            "No writer found for {}-{}",
                            m.original_topic, m.original_kafka_partition
                        ))
                    })?,
            };
            last = Some(i);
            let w = &mut self.writers[i].1;
            if w.is_rewound() {
                continue;
            }
            let result = w.write(record, now).await;
            self.on_write_result(i, result, now, &mut failures).await?;
        }
        for i in 0..self.writers.len() {
            let result = self.writers[i].1.after_put(now).await;
            self.on_write_result(i, result, now, &mut failures).await?;
        }
        if !failures.is_empty() {
            // Java `S3SinkTask#put`: the writer is replaced, the partition rewound to its
            // first uncommitted record and the worker backs off `retry.backoff.ms`.
            for (i, e) in &failures {
                tracing::warn!(
                    "{}: retriable S3 error, rewinding and retrying after {} ms: {e}",
                    self.writers[*i].0,
                    shared.config.retry_backoff_ms
                );
            }
            if let Some(ctx) = &self.ctx {
                ctx.timeout(Duration::from_millis(shared.config.retry_backoff_ms));
            }
        }
        Ok(())
    }

    /// Only offsets of records inside completed objects (Java `S3SinkTask#preCommit`);
    /// partitions with nothing new are left out.
    async fn pre_commit(
        &mut self,
        _offsets: HashMap<TopicPartition, i64>,
    ) -> ConnectResult<HashMap<TopicPartition, i64>> {
        let mut offsets = HashMap::new();
        for (tp, w) in &mut self.writers {
            if let Some(o) = w.take_offset_to_commit().await {
                offsets.insert(tp.clone(), o);
            }
        }
        Ok(offsets)
    }

    /// Drops the writers of `partitions`, aborting their uploads: what they held was not
    /// committed and is consumed again by the partition's next owner. (Java closes every
    /// writer here, which breaks cooperative rebalancing.)
    async fn close(&mut self, partitions: &[TopicPartition]) -> ConnectResult<()> {
        let mut kept = Vec::new();
        for (tp, mut w) in self.writers.drain(..) {
            if partitions.contains(&tp) {
                w.abort().await;
            } else {
                kept.push((tp, w));
            }
        }
        self.writers = kept;
        Ok(())
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        for (_, w) in &mut self.writers {
            w.abort().await;
        }
        self.writers.clear();
        Ok(())
    }
}

impl S3SinkTask {
    /// A writer's outcome in `put`: a retriable store error resets the writer and rewinds its
    /// partition (collected in `failures` for the back-off), anything else fails the task.
    async fn on_write_result(
        &mut self,
        i: usize,
        result: Result<(), WriteError>,
        now: i64,
        failures: &mut Vec<(usize, StoreError)>,
    ) -> ConnectResult<()> {
        match result {
            Ok(()) => Ok(()),
            Err(WriteError::Store(StoreError::Retriable(e))) => {
                let restart = self.writers[i].1.reset(now).await;
                self.rewind(i, restart);
                failures.push((i, StoreError::Retriable(e)));
                Ok(())
            }
            Err(WriteError::Store(StoreError::Fatal(e))) => Err(ConnectError::connect(e)),
            Err(WriteError::Connect(e)) => Err(e),
        }
    }

    /// Waits until the objects handed to background uploads are complete (or failed).
    pub async fn wait_uploads(&mut self) -> ConnectResult<()> {
        for (_, w) in &mut self.writers {
            match w.wait_uploads().await {
                Ok(()) | Err(WriteError::Store(StoreError::Retriable(_))) => {}
                Err(WriteError::Store(StoreError::Fatal(e))) => {
                    return Err(ConnectError::connect(e))
                }
                Err(WriteError::Connect(e)) => return Err(e),
            }
        }
        Ok(())
    }

    fn rewind(&self, i: usize, restart: Option<i64>) {
        if let (Some(ctx), Some(offset)) = (&self.ctx, restart) {
            ctx.offset(self.writers[i].0.clone(), offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use rconnect_sdk::connector::SinkContextState;
    use rconnect_sdk::data::{Schema, Value};
    use rconnect_sdk::record::{ConnectRecord, SinkMeta, TimestampType};
    use rconnect_sdk::stop::StopSignal;

    use super::*;

    /// The parts of an upload in progress.
    type Parts = Vec<(i32, Vec<u8>)>;

    /// An in-memory bucket; `fail_next` makes the next N calls fail as an outage would.
    #[derive(Default)]
    struct MemStore {
        objects: Mutex<BTreeMap<String, Vec<u8>>>,
        uploads: Mutex<HashMap<String, Parts>>,
        fail_next: Mutex<usize>,
        next_id: Mutex<u64>,
    }

    impl MemStore {
        fn outage(&self) -> Result<(), StoreError> {
            let mut n = self.fail_next.lock().unwrap();
            if *n > 0 {
                *n -= 1;
                return Err(StoreError::Retriable("connection refused".into()));
            }
            Ok(())
        }
        fn keys(&self) -> Vec<String> {
            self.objects.lock().unwrap().keys().cloned().collect()
        }
        fn text(&self, key: &str) -> String {
            String::from_utf8(self.objects.lock().unwrap()[key].clone()).unwrap()
        }
    }

    #[async_trait]
    impl ObjectStore for MemStore {
        async fn check_bucket(&self) -> Result<(), StoreError> {
            Ok(())
        }
        async fn create_upload(&self, _key: &str) -> Result<String, StoreError> {
            self.outage()?;
            let mut id = self.next_id.lock().unwrap();
            *id += 1;
            self.uploads
                .lock()
                .unwrap()
                .insert(id.to_string(), Vec::new());
            Ok(id.to_string())
        }
        async fn upload_part(
            &self,
            _key: &str,
            id: &str,
            part: i32,
            body: Vec<u8>,
        ) -> Result<String, StoreError> {
            self.outage()?;
            self.uploads
                .lock()
                .unwrap()
                .get_mut(id)
                .unwrap()
                .push((part, body));
            Ok(format!("etag-{part}"))
        }
        async fn complete_upload(
            &self,
            key: &str,
            id: &str,
            parts: Vec<(i32, String)>,
        ) -> Result<(), StoreError> {
            self.outage()?;
            let stored = self.uploads.lock().unwrap().remove(id).unwrap();
            assert_eq!(
                parts.iter().map(|p| p.0).collect::<Vec<_>>(),
                stored.iter().map(|p| p.0).collect::<Vec<_>>()
            );
            let body = stored.into_iter().flat_map(|(_, b)| b).collect();
            self.objects.lock().unwrap().insert(key.to_string(), body);
            Ok(())
        }
        async fn abort_upload(&self, _key: &str, id: &str) {
            self.uploads.lock().unwrap().remove(id);
        }
        async fn list_keys(
            &self,
            prefix: &str,
            _start_after: Option<&str>,
        ) -> Result<Vec<String>, StoreError> {
            Ok(self
                .keys()
                .into_iter()
                .filter(|k| k.starts_with(prefix))
                .collect())
        }
        async fn put_tags(&self, _key: &str, _tags: &[(String, String)]) -> Result<(), StoreError> {
            Ok(())
        }
    }

    fn record(partition: i32, offset: i64) -> SinkRecord {
        ConnectRecord {
            topic: "t".into(),
            kafka_partition: Some(partition),
            key_schema: None,
            key: Value::Null,
            value_schema: Some(Schema::string()),
            value: Value::from(format!("v{offset}")),
            timestamp: Some(offset),
            headers: Default::default(),
            meta: SinkMeta {
                kafka_offset: offset,
                timestamp_type: TimestampType::CreateTime,
                original_topic: "t".into(),
                original_kafka_partition: partition,
                original_kafka_offset: offset,
            },
        }
    }

    fn task(
        store: Arc<MemStore>,
        extra: &[(&str, &str)],
    ) -> (S3SinkTask, Arc<Mutex<SinkContextState>>, Props) {
        let mut props: Props = [
            ("format.class", crate::config::JSON_FORMAT),
            ("storage.class", crate::config::S3_STORAGE_CLASS),
            ("flush.size", "3"),
            ("s3.bucket.name", "b"),
            ("s3.part.size", "5242880"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        props.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = S3SinkConfig::parse(&props).unwrap();
        let state = Arc::new(Mutex::new(SinkContextState::default()));
        (S3SinkTask::with_store(config, store), state, props)
    }

    async fn started(
        store: Arc<MemStore>,
        extra: &[(&str, &str)],
    ) -> (S3SinkTask, Arc<Mutex<SinkContextState>>) {
        let (mut t, state, props) = task(store, extra);
        let ctx = SinkTaskContext::new(props.clone(), StopSignal::never(), state.clone());
        t.start(ctx, props).await.unwrap();
        t.open(&[TopicPartition::new("t", 0), TopicPartition::new("t", 1)])
            .await
            .unwrap();
        (t, state)
    }

    #[tokio::test]
    async fn pre_commit_hands_out_only_offsets_of_completed_objects() {
        let store = Arc::new(MemStore::default());
        let (mut t, _) = started(store.clone(), &[]).await;
        let batch: Vec<SinkRecord> = (0..5).map(|o| record(0, o)).chain([record(1, 0)]).collect();
        t.put(&batch).await.unwrap();
        t.wait_uploads().await.unwrap();
        assert_eq!(store.keys(), ["topics/t/partition=0/t+0+0000000000.json"]);
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000000.json"),
            "\"v0\"\n\"v1\"\n\"v2\"\n"
        );
        let offsets = t.pre_commit(HashMap::new()).await.unwrap();
        assert_eq!(offsets, HashMap::from([(TopicPartition::new("t", 0), 3)]));
        // Nothing new: nothing to commit.
        assert!(t.pre_commit(HashMap::new()).await.unwrap().is_empty());
        // Closing drops the open file of offsets 3 and 4; they come again to the next owner.
        t.close(&[TopicPartition::new("t", 0)]).await.unwrap();
        assert_eq!(store.keys().len(), 1);
        assert!(store.uploads.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_retriable_failure_rewinds_to_the_first_uncommitted_record() {
        let store = Arc::new(MemStore::default());
        let (mut t, state) = started(store.clone(), &[("retry.backoff.ms", "7")]).await;
        t.put(&[record(0, 0), record(0, 1)]).await.unwrap();
        *store.fail_next.lock().unwrap() = 1;
        // The commit at offset 2 fails in the background: at the next `put` the open file is
        // dropped, the partition is rewound to 0 and the worker backs off.
        t.put(&[record(0, 2), record(0, 3)]).await.unwrap();
        t.wait_uploads().await.unwrap();
        assert!(state.lock().unwrap().offsets.is_empty());
        t.put(&[record(0, 4)]).await.unwrap();
        {
            let s = state.lock().unwrap();
            assert_eq!(s.offsets.get(&TopicPartition::new("t", 0)), Some(&0));
            assert_eq!(s.timeout, Some(Duration::from_millis(7)));
        }
        assert!(store.keys().is_empty());
        assert!(t.pre_commit(HashMap::new()).await.unwrap().is_empty());
        // The worker delivers from offset 0 again: the same object as without the failure.
        t.put(&(0..4).map(|o| record(0, o)).collect::<Vec<_>>())
            .await
            .unwrap();
        t.wait_uploads().await.unwrap();
        assert_eq!(store.keys(), ["topics/t/partition=0/t+0+0000000000.json"]);
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000000.json"),
            "\"v0\"\n\"v1\"\n\"v2\"\n"
        );
        assert_eq!(
            t.pre_commit(HashMap::new()).await.unwrap()[&TopicPartition::new("t", 0)],
            3
        );
    }

    #[tokio::test]
    async fn open_skips_records_already_in_the_bucket() {
        let store = Arc::new(MemStore::default());
        let (mut t, _) = started(store.clone(), &[]).await;
        t.put(&(0..9).map(|o| record(0, o)).collect::<Vec<_>>())
            .await
            .unwrap();
        t.wait_uploads().await.unwrap();
        assert_eq!(store.keys().len(), 3);
        t.stop().await.unwrap();
        // A crash before the offsets were committed: the next task reads from offset 0.
        let (mut t, _) = started(store.clone(), &[]).await;
        let before = store.text("topics/t/partition=0/t+0+0000000006.json");
        t.put(&(0..12).map(|o| record(0, o)).collect::<Vec<_>>())
            .await
            .unwrap();
        t.wait_uploads().await.unwrap();
        assert_eq!(
            store.keys(),
            [
                "topics/t/partition=0/t+0+0000000000.json",
                "topics/t/partition=0/t+0+0000000003.json",
                "topics/t/partition=0/t+0+0000000006.json",
                "topics/t/partition=0/t+0+0000000009.json",
            ]
        );
        assert_eq!(
            store.text("topics/t/partition=0/t+0+0000000006.json"),
            before
        );
        assert_eq!(
            t.pre_commit(HashMap::new()).await.unwrap()[&TopicPartition::new("t", 0)],
            12
        );
    }

    #[tokio::test]
    async fn null_values_fail_or_are_skipped() {
        let store = Arc::new(MemStore::default());
        let (mut t, _) = started(store.clone(), &[]).await;
        let mut r = record(0, 0);
        r.value = Value::Null;
        let e = t.put(&[r.clone()]).await.unwrap_err();
        assert!(e.to_string().contains("behavior.on.null.values"), "{e}");
        let (mut t, _) = started(store.clone(), &[("behavior.on.null.values", "IGNORE")]).await;
        t.put(&[r, record(0, 1), record(0, 2), record(0, 3)])
            .await
            .unwrap();
        t.wait_uploads().await.unwrap();
        assert_eq!(store.keys(), ["topics/t/partition=0/t+0+0000000001.json"]);
    }

    #[tokio::test]
    async fn parts_are_uploaded_as_the_buffer_fills() {
        let store = Arc::new(MemStore::default());
        let (mut t, _) = started(store.clone(), &[("flush.size", "2")]).await;
        let mut big = record(0, 0);
        big.value = Value::from("x".repeat(6 * 1024 * 1024));
        t.put(&[big, record(0, 1)]).await.unwrap();
        t.wait_uploads().await.unwrap();
        let body = store.text("topics/t/partition=0/t+0+0000000000.json");
        assert_eq!(body.len(), 6 * 1024 * 1024 + 3 + 5);
        assert!(body.ends_with("\"\n\"v1\"\n"));
    }
}
