//! One writer per assigned Kafka partition (Java `TopicPartitionWriter`): it routes
//! records to open files by encoded partition, rotates them by `flush.size`, record time
//! and schedule, and uploads each file as one multipart upload (Java `S3OutputStream`).

use std::io::Write as _;
use std::sync::Arc;

use flate2::write::GzEncoder;
use rconnect_sdk::data::SchemaRef;
use rconnect_sdk::record::SinkRecord;
use rconnect_sdk::ConnectError;

use rconnect_avro::data::AvroData;

use crate::avro::AvroFile;
use crate::config::{Format, S3SinkConfig};
use crate::format;
use crate::partitioner::PartitionerKind;
use crate::storage::{ObjectStore, StoreError};

/// Why a write or commit failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// What every writer of a task shares.
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<S3SinkConfig>,
    pub store: Arc<dyn ObjectStore>,
}

/// Parts uploading at once per file, and commits (batches of files) completing at once
/// per Kafka partition, while the task goes on consuming: they bound the memory held by
/// uploads in flight (Java uploads one part at a time, inside `put`).
const MAX_PARTS_IN_FLIGHT: usize = 2;
const MAX_COMMITS_IN_FLIGHT: usize = 2;

type PartHandle = tokio::task::JoinHandle<Result<(i32, String), StoreError>>;

/// The bytes of one file on their way to S3: a part buffer, optionally gzip-compressed,
/// sent as a part in the background whenever it reaches `s3.part.size`.
struct Upload {
    key: String,
    upload_id: Option<String>,
    /// Parts sent, in order, some perhaps still uploading.
    parts: std::collections::VecDeque<PartHandle>,
    /// Parts uploaded: `(number, etag)`.
    done: Vec<(i32, String)>,
    next_part: i32,
    body: Body,
}

enum Body {
    Plain(Vec<u8>),
    Gzip(GzEncoder<Vec<u8>>),
}

impl Upload {
    fn new(key: String, gzip: Option<u32>) -> Upload {
        let body = match gzip {
            None => Body::Plain(Vec::new()),
            Some(level) => Body::Gzip(GzEncoder::new(Vec::new(), flate2::Compression::new(level))),
        };
        Upload {
            key,
            upload_id: None,
            parts: Default::default(),
            done: Vec::new(),
            next_part: 1,
            body,
        }
    }

    fn pending(&mut self) -> &mut Vec<u8> {
        match &mut self.body {
            Body::Plain(b) => b,
            Body::Gzip(g) => g.get_mut(),
        }
    }

    async fn upload_id(&mut self, store: &dyn ObjectStore) -> Result<String, StoreError> {
        match &self.upload_id {
            Some(id) => Ok(id.clone()),
            None => {
                let id = store.create_upload(&self.key).await?;
                self.upload_id = Some(id.clone());
                Ok(id)
            }
        }
    }

    /// Sends full parts while the buffer holds at least `part_size` bytes; waits for the
    /// oldest part when too many are uploading.
    async fn upload_full_parts(
        &mut self,
        store: &Arc<dyn ObjectStore>,
        part_size: usize,
    ) -> Result<(), StoreError> {
        while self.pending().len() >= part_size {
            let buf = self.pending();
            let rest = buf[part_size..].to_vec();
            buf.truncate(part_size);
            let chunk = std::mem::replace(buf, rest);
            let id = self.upload_id(store.as_ref()).await?;
            let n = self.next_part;
            self.next_part += 1;
            let (store, key) = (store.clone(), self.key.clone());
            self.parts.push_back(tokio::spawn(async move {
                let etag = store.upload_part(&key, &id, n, chunk).await?;
                Ok((n, etag))
            }));
            while self.parts.len() > MAX_PARTS_IN_FLIGHT {
                self.await_oldest_part().await?;
            }
        }
        Ok(())
    }

    async fn await_oldest_part(&mut self) -> Result<(), StoreError> {
        if let Some(h) = self.parts.pop_front() {
            let part = h.await.map_err(|e| {
                StoreError::Fatal(format!("Uploading a part of {}: {e}", self.key))
            })??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Finishes compression and uploads everything but the completion: the parts still
    /// uploading, then the rest as the last part.
    async fn upload_rest(&mut self, store: &Arc<dyn ObjectStore>) -> Result<(), StoreError> {
        let rest = match std::mem::replace(&mut self.body, Body::Plain(Vec::new())) {
            Body::Plain(b) => b,
            Body::Gzip(g) => g
                .finish()
                .map_err(|e| StoreError::Fatal(format!("Compressing {}: {e}", self.key)))?,
        };
        while !self.parts.is_empty() {
            self.await_oldest_part().await?;
        }
        if !rest.is_empty() || self.done.is_empty() {
            let id = self.upload_id(store.as_ref()).await?;
            let n = self.next_part;
            self.next_part += 1;
            let etag = store.upload_part(&self.key, &id, n, rest).await?;
            self.done.push((n, etag));
        }
        Ok(())
    }

    /// Makes the object visible (only the completion does).
    async fn complete(&mut self, store: &dyn ObjectStore) -> Result<(), StoreError> {
        let id = self.upload_id.clone().unwrap_or_default();
        let parts = std::mem::take(&mut self.done);
        store.complete_upload(&self.key, &id, parts).await?;
        self.upload_id = None;
        Ok(())
    }

    async fn abort(mut self, store: &dyn ObjectStore) {
        // Parts still uploading would otherwise land after the abort.
        while let Some(h) = self.parts.pop_front() {
            let _ = h.await;
        }
        if let Some(id) = &self.upload_id {
            store.abort_upload(&self.key, id).await;
        }
    }
}

/// A file handed to the background, with what its tags say.
struct Committing {
    upload: Upload,
    start: i64,
    last: i64,
    count: u64,
}

/// Uploads and completes the files of one commit, in order. Completions wait for the
/// previous commit of the partition to complete (`prev`), so an object exists only if
/// every earlier object of its partition does: recovery at `open` relies on it.
async fn commit_in_background(
    config: Arc<S3SinkConfig>,
    store: Arc<dyn ObjectStore>,
    mut files: Vec<Committing>,
    prev: Option<tokio::sync::oneshot::Receiver<bool>>,
    done: tokio::sync::oneshot::Sender<bool>,
) -> Result<(), StoreError> {
    let r = commit_files(&config, &store, &mut files, prev).await;
    let _ = done.send(r.is_ok());
    if r.is_err() {
        for f in files {
            f.upload.abort(store.as_ref()).await;
        }
    }
    r
}

async fn commit_files(
    config: &S3SinkConfig,
    store: &Arc<dyn ObjectStore>,
    files: &mut Vec<Committing>,
    prev: Option<tokio::sync::oneshot::Receiver<bool>>,
) -> Result<(), StoreError> {
    for f in files.iter_mut() {
        f.upload.upload_rest(store).await?;
    }
    if let Some(prev) = prev {
        if !prev.await.unwrap_or(false) {
            return Err(StoreError::Retriable(
                "an earlier object of the partition was not completed".into(),
            ));
        }
    }
    while !files.is_empty() {
        files[0].upload.complete(store.as_ref()).await?;
        let f = files.remove(0);
        let key = &f.upload.key;
        tracing::debug!(
            "Committed {key} ({} records from offset {})",
            f.count,
            f.start
        );
        if config.object_tagging {
            let mut tags = vec![
                ("startOffset".to_string(), f.start.to_string()),
                ("endOffset".to_string(), f.last.to_string()),
                ("recordCount".to_string(), f.count.to_string()),
            ];
            tags.extend(config.extra_tags.iter().cloned());
            if let Err(e) = store.put_tags(key, &tags).await {
                if config.fail_on_tagging_error {
                    return Err(StoreError::Fatal(format!(
                        "Unable to tag S3 object {key}: {e}"
                    )));
                }
                tracing::warn!("Unable to tag S3 object {key}. Ignoring. {e}");
            }
        }
    }
    Ok(())
}

/// A commit uploading in the background.
struct InFlight {
    handle: tokio::task::JoinHandle<Result<(), StoreError>>,
    /// Its first record: where consumption restarts if it fails.
    restart: i64,
    /// The offset the worker may commit once it completed.
    next_offset: i64,
}

struct OpenFile {
    encoded: String,
    start: i64,
    last: i64,
    count: u64,
    schema: Option<SchemaRef>,
    upload: Upload,
    /// The container of an `AvroFormat` file.
    avro: Option<AvroFile>,
}

/// The writer of one Kafka partition.
pub struct PartitionWriter {
    shared: Shared,
    files: Vec<OpenFile>,
    /// Records written since the last commit, over all open files.
    record_count: u64,
    base_ts: Option<i64>,
    current_ts: Option<i64>,
    current_encoded: Option<String>,
    next_scheduled: Option<i64>,
    /// The offset the worker may commit once asked (`preCommit`).
    offset_to_commit: Option<i64>,
    /// The first offset written since the last commit: where a failed batch restarts.
    batch_start: Option<i64>,
    /// Records below this offset are already in completed objects (found at `open`).
    skip_below: i64,
    /// Set after a failure asked the worker to rewind: the rest of this `put`'s records
    /// of the partition are dropped, they come again.
    rewound: bool,
    scratch: Vec<u8>,
    avro_data: Option<AvroData>,
    /// Commits uploading in the background, oldest first.
    in_flight: std::collections::VecDeque<InFlight>,
    /// Completion of the newest commit, awaited by the next one before it completes.
    last_done: Option<tokio::sync::oneshot::Receiver<bool>>,
    /// A background commit failed: its error and first record.
    failure: Option<(StoreError, i64)>,
}

/// The key of the file of `record` starting at `start` (Java
/// `TopicPartitionWriter#getCommitFilename`): `[topics.dir/]topic/encoded/topic+P+offset.ext`.
pub fn file_key(
    config: &S3SinkConfig,
    topic: &str,
    partition: i32,
    encoded: &str,
    start: i64,
) -> String {
    let dd = &config.directory_delim;
    let fd = &config.file_delim;
    let ext = format::extension(&config.format);
    let gz = if config.gzip.is_some() { ".gz" } else { "" };
    let width = config.zero_pad_width;
    let name = format!("{topic}{fd}{partition}{fd}{start:0width$}{ext}{gz}");
    if config.topics_dir.is_empty() {
        format!("{topic}{dd}{encoded}{dd}{name}")
    } else {
        format!("{}{dd}{topic}{dd}{encoded}{dd}{name}", config.topics_dir)
    }
}

fn next_scheduled_rotation(now: i64, interval: i64, zone: &jiff::tz::TimeZone) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_millisecond(now) else {
        return now + interval;
    };
    let z = ts.to_zoned(zone.clone());
    let day_start = z
        .start_of_day()
        .map(|d| d.timestamp().as_millisecond())
        .unwrap_or(now);
    let next_midnight = z
        .tomorrow()
        .and_then(|t| t.start_of_day())
        .map(|d| d.timestamp().as_millisecond())
        .unwrap_or(i64::MAX);
    let next = day_start + ((now - day_start) / interval + 1) * interval;
    next.min(next_midnight)
}

impl PartitionWriter {
    pub fn new(shared: Shared, now: i64) -> PartitionWriter {
        let mut w = PartitionWriter {
            files: Vec::new(),
            record_count: 0,
            base_ts: None,
            current_ts: None,
            current_encoded: None,
            next_scheduled: None,
            offset_to_commit: None,
            batch_start: None,
            skip_below: i64::MIN,
            rewound: false,
            scratch: Vec::new(),
            avro_data: match &shared.config.format {
                Format::Avro { data, .. } => Some(AvroData::new(data.clone())),
                _ => None,
            },
            in_flight: Default::default(),
            last_done: None,
            failure: None,
            shared,
        };
        w.reschedule(now);
        w
    }

    fn reschedule(&mut self, now: i64) {
        let c = &self.shared.config;
        if c.rotate_schedule_interval_ms > 0 {
            if let Some(zone) = &c.schedule_zone {
                self.next_scheduled = Some(next_scheduled_rotation(
                    now,
                    c.rotate_schedule_interval_ms,
                    zone,
                ));
            }
        }
    }

    /// Records below `offset` are dropped: they are in objects already in the bucket.
    pub fn skip_below(&mut self, offset: i64) {
        self.skip_below = offset;
    }

    /// The offset past the newest object completed since the last call, if any
    /// (`preCommit`); commits still uploading do not count.
    pub async fn take_offset_to_commit(&mut self) -> Option<i64> {
        self.reap(false).await;
        self.offset_to_commit.take()
    }

    pub fn start_put(&mut self) {
        self.rewound = false;
    }

    pub fn is_rewound(&self) -> bool {
        self.rewound
    }

    /// Drops all uncommitted state after a failure; the answer is where the worker must
    /// resume consuming so the dropped records are written again, into the same objects.
    pub async fn reset(&mut self, now: i64) -> Option<i64> {
        let mut restart = self.failure.take().map(|(_, r)| r);
        // Commits after a failed one fail too (they wait for it); earlier ones may still
        // complete, and move the offset to commit.
        while let Some(f) = self.in_flight.pop_front() {
            let ok = matches!(f.handle.await, Ok(Ok(())));
            if restart.is_none() {
                if ok {
                    self.offset_to_commit = Some(f.next_offset);
                } else {
                    restart = Some(f.restart);
                }
            }
        }
        self.last_done = None;
        let restart = restart
            .or(self.batch_start)
            .or(self.files.iter().map(|f| f.start).min());
        self.abort_open_files().await;
        self.record_count = 0;
        self.base_ts = None;
        self.current_ts = None;
        self.current_encoded = None;
        self.batch_start = None;
        self.rewound = true;
        if let Some(r) = restart {
            // Records before the restart point that arrive again are in committed objects.
            self.skip_below = self.skip_below.max(r);
        }
        self.reschedule(now);
        restart
    }

    /// Waits for the commits in flight, then aborts every open upload (Java
    /// `TopicPartitionWriter#close`). Offsets of commits completing now are not handed to
    /// the worker: the partition's next owner writes the same objects again.
    pub async fn abort(&mut self) {
        while let Some(f) = self.in_flight.pop_front() {
            let _ = f.handle.await;
        }
        self.last_done = None;
        self.abort_open_files().await;
    }

    async fn abort_open_files(&mut self) {
        for f in self.files.drain(..) {
            f.upload.abort(self.shared.store.as_ref()).await;
        }
    }

    /// Collects finished background commits, oldest first (all of them with `wait`): the
    /// offset to commit moves past each completed one; a failure is kept for
    /// [`Self::check_failure`].
    async fn reap(&mut self, wait: bool) {
        while self.failure.is_none() {
            match self.in_flight.front() {
                None => break,
                Some(f) if !wait && !f.handle.is_finished() => break,
                Some(_) => self.reap_oldest().await,
            }
        }
    }

    async fn reap_oldest(&mut self) {
        let Some(f) = self.in_flight.pop_front() else {
            return;
        };
        match f.handle.await {
            Ok(Ok(())) => self.offset_to_commit = Some(f.next_offset),
            Ok(Err(e)) => self.failure = Some((e, f.restart)),
            Err(e) => {
                self.failure = Some((
                    StoreError::Fatal(format!("An S3 upload task failed: {e}")),
                    f.restart,
                ))
            }
        }
    }

    fn check_failure(&self) -> Result<(), WriteError> {
        match &self.failure {
            Some((e, _)) => Err(e.clone().into()),
            None => Ok(()),
        }
    }

    /// Collects finished background commits; a failed one is the answer.
    pub async fn poll_uploads(&mut self) -> Result<(), WriteError> {
        self.reap(false).await;
        self.check_failure()
    }

    /// Waits until every commit handed to the background has completed or failed.
    pub async fn wait_uploads(&mut self) -> Result<(), WriteError> {
        self.reap(true).await;
        self.check_failure()
    }

    fn rotate_on_time(&self, encoded: &str, ts: Option<i64>, now: i64) -> bool {
        if self.record_count == 0 {
            return false;
        }
        let c = &self.shared.config;
        let time_based = matches!(c.partitioner.kind, PartitionerKind::Time(_));
        let periodic = c.rotate_interval_ms > 0
            && time_based
            && match (ts, self.base_ts) {
                (Some(t), Some(b)) => {
                    t - b >= c.rotate_interval_ms
                        || (c.rotate_on_partition_change
                            && self.current_encoded.as_deref() != Some(encoded))
                }
                _ => false,
            };
        let scheduled =
            c.rotate_schedule_interval_ms > 0 && self.next_scheduled.is_some_and(|n| now >= n);
        periodic || scheduled
    }

    /// Writes one record (Java `TopicPartitionWriter#write`'s state machine for one
    /// buffered record).
    pub async fn write(&mut self, record: &SinkRecord, now: i64) -> Result<(), WriteError> {
        let offset = record.meta.kafka_offset;
        if self.rewound || offset < self.skip_below {
            return Ok(());
        }
        let config = self.shared.config.clone();
        let ts = config.partitioner.timestamp(record, now)?;
        if let Some(t) = ts {
            self.current_ts = Some(t);
            if self.base_ts.is_none() {
                self.base_ts = Some(t);
            }
        }
        let encoded = config.partitioner.encode(record, ts)?;
        let existing = self.files.iter().position(|f| f.encoded == encoded);
        let schema_switch = existing
            .is_some_and(|i| self.files[i].schema.is_none() != record.value_schema.is_none());
        let time = !schema_switch && self.rotate_on_time(&encoded, ts, now);
        // `schema.compatibility=NONE`: any other value schema starts a new file.
        let schema_change = !schema_switch
            && !time
            && self.record_count > 0
            && existing.is_some_and(|i| !same_schema(&self.files[i].schema, &record.value_schema));
        if schema_switch || time || schema_change {
            self.commit().await?;
            if time {
                self.reschedule(now);
            }
            self.base_ts = ts;
            self.current_ts = ts;
        }
        let i = match self.files.iter().position(|f| f.encoded == encoded) {
            Some(i) => i,
            None => {
                let key = file_key(
                    &config,
                    &record.topic,
                    record.kafka_partition.unwrap_or_default(),
                    &encoded,
                    offset,
                );
                tracing::info!("Opening record writer for: {key}");
                let mut upload = Upload::new(key, config.gzip);
                let avro = match (&config.format, &self.avro_data) {
                    (Format::Avro { codec, .. }, Some(data)) => {
                        let k = upload.key.clone();
                        Some(AvroFile::open(
                            data,
                            record.value_schema.as_ref(),
                            *codec,
                            &k,
                            upload.pending(),
                        )?)
                    }
                    _ => None,
                };
                self.files.push(OpenFile {
                    encoded: encoded.clone(),
                    start: offset,
                    last: offset,
                    count: 0,
                    schema: record.value_schema.clone(),
                    upload,
                    avro,
                });
                self.files.len() - 1
            }
        };
        let file = &mut self.files[i];
        match &mut file.upload.body {
            Body::Plain(buf) => match (&mut file.avro, &self.avro_data) {
                (Some(avro), Some(data)) => avro.append(data, &record.value, buf)?,
                _ => format::write_record(&config.format, buf, record)?,
            },
            Body::Gzip(g) => {
                self.scratch.clear();
                format::write_record(&config.format, &mut self.scratch, record)?;
                g.write_all(&self.scratch).map_err(|e| {
                    StoreError::Fatal(format!("Compressing {}: {e}", file.upload.key))
                })?;
            }
        }
        file.last = offset;
        file.count += 1;
        file.upload
            .upload_full_parts(&self.shared.store, config.part_size)
            .await?;
        self.record_count += 1;
        self.batch_start.get_or_insert(offset);
        self.current_encoded = Some(encoded);
        if self.record_count >= config.flush_size {
            self.commit().await?;
        }
        Ok(())
    }

    /// Java's check after a `put`'s records: time/scheduled rotation with the last
    /// record's time and the current wall clock.
    pub async fn after_put(&mut self, now: i64) -> Result<(), WriteError> {
        if self.rewound {
            return Ok(());
        }
        self.reap(false).await;
        self.check_failure()?;
        if self.record_count > 0 {
            let encoded = self.current_encoded.clone().unwrap_or_default();
            if self.rotate_on_time(&encoded, self.current_ts, now) {
                self.commit().await?;
                self.reschedule(now);
            }
        } else {
            self.reschedule(now);
        }
        Ok(())
    }

    /// Hands every open file, in the order they were opened, to a background task that
    /// uploads and completes them (Java `TopicPartitionWriter#commitFiles`, which does so
    /// inline); the offset to commit moves past them once they completed.
    pub async fn commit(&mut self) -> Result<(), WriteError> {
        self.check_failure()?;
        let mut files = Vec::with_capacity(self.files.len());
        let mut last = None;
        let mut first = None;
        for mut f in self.files.drain(..) {
            if let Some(avro) = &mut f.avro {
                avro.finish(f.upload.pending())?;
            }
            last = Some(last.map_or(f.last, |l: i64| l.max(f.last)));
            first = Some(first.map_or(f.start, |s: i64| s.min(f.start)));
            files.push(Committing {
                upload: f.upload,
                start: f.start,
                last: f.last,
                count: f.count,
            });
        }
        if let (Some(last), Some(first)) = (last, first) {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let prev = self.last_done.replace(rx);
            let handle = tokio::spawn(commit_in_background(
                self.shared.config.clone(),
                self.shared.store.clone(),
                files,
                prev,
                tx,
            ));
            self.in_flight.push_back(InFlight {
                handle,
                restart: self.batch_start.unwrap_or(first).min(first),
                next_offset: last + 1,
            });
        }
        self.record_count = 0;
        self.base_ts = None;
        self.batch_start = None;
        while self.in_flight.len() > MAX_COMMITS_IN_FLIGHT && self.failure.is_none() {
            self.reap_oldest().await;
        }
        self.check_failure()
    }
}

fn same_schema(a: &Option<SchemaRef>, b: &Option<SchemaRef>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_confluents_layout() {
        let mut props: rconnect_sdk::Props = [
            (
                "format.class",
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
            ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
            ("flush.size", "1"),
            ("s3.bucket.name", "b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = S3SinkConfig::parse(&props).unwrap();
        assert_eq!(
            file_key(&c, "orders", 3, "partition=3", 1000),
            "topics/orders/partition=3/orders+3+0000001000.json"
        );
        props.insert("topics.dir".into(), "".into());
        props.insert("s3.compression.type".into(), "gzip".into());
        let c = S3SinkConfig::parse(&props).unwrap();
        assert_eq!(
            file_key(&c, "orders", 3, "partition=3", 1000),
            "orders/partition=3/orders+3+0000001000.json.gz"
        );
        props.insert("filename.offset.zero.pad.width".into(), "4".into());
        props.insert("s3.compression.type".into(), "none".into());
        props.insert(
            "format.class".into(),
            "io.confluent.connect.s3.format.bytearray.ByteArrayFormat".into(),
        );
        props.insert("file.delim".into(), "-".into());
        let c = S3SinkConfig::parse(&props).unwrap();
        assert_eq!(
            file_key(&c, "orders", 3, "partition=3", 123456),
            "orders/partition=3/orders-3-123456.bin"
        );
    }

    #[test]
    fn schedules_reset_at_local_midnight() {
        let utc = jiff::tz::TimeZone::UTC;
        // 23:50 with a 1 h interval: the next slot is capped at midnight.
        let t = 1_715_989_800_000; // 2024-05-17T23:50:00Z
        assert_eq!(
            next_scheduled_rotation(t, 3_600_000, &utc),
            1_715_990_400_000
        );
        assert_eq!(
            next_scheduled_rotation(t - 4_000_000, 3_600_000, &utc),
            1_715_990_400_000 - 3_600_000
        );
    }
}
