//! `KafkaBasedLog`: a topic read whole from the beginning by a background task, and a
//! producer writing to it (Java `util/KafkaBasedLog.java`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rconnect_kafka::{
    Admin, ConsumedRecord, Consumer, DeliveredRecord, KafkaConfig, KafkaError, Producer,
    ProducerRecord, SendError, TopicPartition,
};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::StorageError;

/// Applies one consumed record to a store's in-memory state. Called on the log's reader
/// task, in offset order per partition; it must not block.
pub type RecordCallback = Box<dyn FnMut(&ConsumedRecord) + Send>;

/// Called once with the outcome of a send.
pub type DeliveryCallback = Box<dyn FnOnce(Result<DeliveredRecord, KafkaError>) + Send>;

/// The clients of one internal log, in librdkafka keys.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The topic.
    pub topic: String,
    /// Producer settings; [`KafkaBasedLog::start`] forces `partitioner=murmur2_random`.
    pub producer: KafkaConfig,
    /// Consumer settings; [`KafkaBasedLog::start`] forces manual assignment from the
    /// beginning and no commits.
    pub consumer: KafkaConfig,
    /// Admin settings, for partition discovery and end offsets.
    pub admin: KafkaConfig,
    /// How long to wait for the topic to appear, and for the initial read.
    pub start_timeout: Duration,
}

/// Per-partition next offsets applied by the reader task.
type Positions = Vec<i64>;

/// One internal topic: written through a producer, read back whole by a background task.
///
/// Every record, whoever wrote it, reaches the store only through the reader task's
/// [`RecordCallback`], as in Java: a write is visible to readers of the store once it has
/// been read back. [`KafkaBasedLog::read_to_end`] waits for that.
pub struct KafkaBasedLog {
    topic: String,
    partitions: Vec<TopicPartition>,
    producer: Producer,
    admin: Admin,
    pending: Arc<Mutex<HashMap<u64, DeliveryCallback>>>,
    next_token: AtomicU64,
    positions: watch::Receiver<Positions>,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn forced_producer(config: &KafkaConfig) -> KafkaConfig {
    let mut config = config.clone();
    // Java's default partitioner: murmur2 of the key bytes; librdkafka's default (CRC32)
    // would put keys on other partitions than Java workers do.
    config.set("partitioner", "murmur2_random");
    config
}

fn forced_consumer(config: &KafkaConfig, topic: &str) -> KafkaConfig {
    let mut config = config.clone();
    // assign() needs a group id in librdkafka; the group is never joined and nothing is
    // committed, so it only has to differ from real groups.
    if config.get("group.id").is_none() {
        config.set("group.id", format!("rconnect-internal-log-{topic}"));
    }
    config
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false");
    if config.get("fetch.wait.max.ms").is_none() {
        // Other workers' writes should show up promptly (Java's consumer is woken up on
        // read_to_end; here the reader polls all the time).
        config.set("fetch.wait.max.ms", "100");
    }
    config
}

impl KafkaBasedLog {
    /// Starts the log: waits for the topic's partitions (up to `start_timeout`), creates
    /// the clients, assigns every partition from the beginning, starts the reader task and
    /// reads to the end once before returning. Must run inside a tokio runtime.
    pub async fn start(
        config: LogConfig,
        callback: RecordCallback,
    ) -> Result<KafkaBasedLog, StorageError> {
        let topic = config.topic.clone();
        let admin = Admin::new(&config.admin)
            .map_err(|e| StorageError::kafka(format!("admin client for topic '{topic}'"), e))?;
        let partition_count = wait_for_partitions(&admin, &topic, config.start_timeout).await?;
        let partitions: Vec<TopicPartition> = (0..partition_count as i32)
            .map(|p| TopicPartition::new(topic.clone(), p))
            .collect();

        let (producer, mut deliveries) = Producer::new(&forced_producer(&config.producer))
            .map_err(|e| StorageError::kafka(format!("producer for topic '{topic}'"), e))?;
        let (consumer, _events) = Consumer::new(&forced_consumer(&config.consumer, &topic))
            .map_err(|e| StorageError::kafka(format!("consumer of topic '{topic}'"), e))?;
        let assignment: Vec<(TopicPartition, i64)> =
            partitions.iter().map(|tp| (tp.clone(), -2)).collect();
        consumer
            .assign(&assignment)
            .map_err(|e| StorageError::kafka(format!("assignment of topic '{topic}'"), e))?;

        let pending: Arc<Mutex<HashMap<u64, DeliveryCallback>>> = Arc::default();
        let dispatcher = {
            let pending = pending.clone();
            tokio::spawn(async move {
                while let Some(delivery) = deliveries.recv().await {
                    let callback = pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&delivery.token);
                    if let Some(callback) = callback {
                        callback(delivery.result);
                    }
                }
            })
        };

        let (positions_tx, positions) = watch::channel(vec![0i64; partitions.len()]);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let reader = tokio::spawn(read_loop(
            topic.clone(),
            consumer,
            callback,
            positions_tx,
            shutdown_rx,
        ));
        let log = KafkaBasedLog {
            topic,
            partitions,
            producer,
            admin,
            pending,
            next_token: AtomicU64::new(0),
            positions,
            shutdown,
            tasks: Mutex::new(vec![dispatcher, reader]),
        };
        if let Err(e) = log.read_to_end(config.start_timeout).await {
            log.stop().await;
            return Err(e);
        }
        tracing::info!(topic = %log.topic, partitions = log.partitions.len(), "finished reading internal topic");
        Ok(log)
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The number of partitions of the topic when the log started.
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// Waits until every record written before this call was applied to the store: fetches
    /// the log end offsets ([`Admin::end_offsets`], correct on tansu too) and waits for the
    /// reader task to reach them.
    pub async fn read_to_end(&self, timeout: Duration) -> Result<(), StorageError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let ends = self
            .admin
            .end_offsets(&self.partitions, timeout)
            .await
            .map_err(|e| {
                StorageError::kafka(format!("end offsets of topic '{}'", self.topic), e)
            })?;
        let mut ends_by_partition = vec![0i64; self.partitions.len()];
        for (tp, end) in ends {
            if let Some(slot) = ends_by_partition.get_mut(tp.partition as usize) {
                *slot = end;
            }
        }
        let mut positions = self.positions.clone();
        let wait = positions.wait_for(|pos| {
            pos.iter()
                .zip(&ends_by_partition)
                .all(|(pos, end)| pos >= end)
        });
        let outcome = tokio::time::timeout_at(deadline, wait)
            .await
            .map(|r| r.map(|_| ()));
        match outcome {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(StorageError::Stopped(self.topic.clone())),
            Err(_) => Err(StorageError::Timeout {
                operation: format!(
                    "reading topic '{}' to its end offsets {ends_by_partition:?} (read up to {:?})",
                    self.topic,
                    *self.positions.borrow()
                ),
                timeout_ms: timeout.as_millis(),
            }),
        }
    }

    /// Queues a record; `callback` gets the delivery outcome. Never blocks. On `Err` the
    /// record was not queued and the callback is dropped uncalled.
    pub fn send_with_callback(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
        callback: DeliveryCallback,
    ) -> Result<(), SendError> {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token, callback);
        let result = self.producer.send(
            &ProducerRecord {
                topic: &self.topic,
                partition: None,
                key: Some(key),
                value,
                timestamp: None,
                headers: &[],
            },
            token,
        );
        if result.is_err() {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&token);
        }
        result
    }

    /// Queues a record, waiting while the producer queue is full; the returned receiver
    /// yields the delivery outcome.
    async fn enqueue(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<oneshot::Receiver<Result<DeliveredRecord, KafkaError>>, StorageError> {
        loop {
            let (tx, rx) = oneshot::channel();
            let callback: DeliveryCallback = Box::new(move |result| {
                let _ = tx.send(result);
            });
            match self.send_with_callback(key, value, callback) {
                Ok(()) => return Ok(rx),
                Err(e) if e.is_retriable() => {
                    tracing::debug!(topic = %self.topic, error = %e, "send to internal topic deferred");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => {
                    return Err(StorageError::Config(format!(
                        "cannot write to topic '{}': {e}",
                        self.topic
                    )))
                }
            }
        }
    }

    /// Sends the records in order and waits until all are acknowledged (or `timeout`).
    pub async fn send_all(
        &self,
        records: &[(Vec<u8>, Option<Vec<u8>>)],
        timeout: Duration,
    ) -> Result<(), StorageError> {
        let work = async {
            let mut acks = Vec::with_capacity(records.len());
            for (key, value) in records {
                acks.push(self.enqueue(key, value.as_deref()).await?);
            }
            for ack in acks {
                ack.await
                    .map_err(|_| StorageError::Stopped(self.topic.clone()))?
                    .map_err(|e| {
                        StorageError::kafka(format!("write to topic '{}'", self.topic), e)
                    })?;
            }
            Ok(())
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| StorageError::Timeout {
                operation: format!(
                    "writing {} record(s) to topic '{}'",
                    records.len(),
                    self.topic
                ),
                timeout_ms: timeout.as_millis(),
            })?
    }

    /// Sends one record (a None value is a tombstone) and waits for its acknowledgement.
    pub async fn send(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<(), StorageError> {
        self.send_all(&[(key.to_vec(), value.map(<[u8]>::to_vec))], timeout)
            .await
    }

    /// Waits until every queued record got its delivery report.
    pub async fn flush(&self, timeout: Duration) -> Result<(), StorageError> {
        self.producer
            .flush(timeout)
            .await
            .map_err(|e| StorageError::kafka(format!("flush of topic '{}'", self.topic), e))
    }

    /// Stops reading (the reader task ends and closes its consumer) after flushing the
    /// producer for up to 5 s. Idempotent.
    pub async fn stop(&self) {
        if let Err(e) = self.flush(Duration::from_secs(5)).await {
            tracing::warn!(topic = %self.topic, error = %e, "flushing internal producer on stop");
        }
        let _ = self.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let [dispatcher, reader]: [JoinHandle<()>; 2] = match tasks.try_into() {
            Ok(tasks) => tasks,
            // Already stopped.
            Err(_) => return,
        };
        let abort = reader.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .is_err()
        {
            tracing::warn!(topic = %self.topic, "reader of internal topic did not stop in 10 s");
            abort.abort();
        }
        // The dispatcher would only end with the producer; pending callbacks are dropped.
        dispatcher.abort();
    }
}

impl Drop for KafkaBasedLog {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}

async fn wait_for_partitions(
    admin: &Admin,
    topic: &str,
    timeout: Duration,
) -> Result<usize, StorageError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let names = [topic.to_string()];
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        match admin
            .topic_partition_counts(Some(&names), remaining.max(Duration::from_millis(100)))
            .await
        {
            Ok(counts) => {
                if let Some(n) = counts.get(topic) {
                    return Ok(*n);
                }
                tracing::debug!(topic, "internal topic not visible yet");
            }
            Err(e) => tracing::debug!(topic, error = %e, "metadata request for internal topic"),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StorageError::Timeout {
                operation: format!("waiting for topic '{topic}' to exist"),
                timeout_ms: timeout.as_millis(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn read_loop(
    topic: String,
    consumer: Consumer,
    mut callback: RecordCallback,
    positions: watch::Sender<Positions>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let batch = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            batch = consumer.poll_batch(1000, Duration::from_millis(500)) => batch,
        };
        match batch {
            Ok(records) if records.is_empty() => {
                // Positions also move past records the application never sees (transaction
                // markers); take librdkafka's word for them when idle.
                if let Ok(known) = consumer.position() {
                    positions.send_if_modified(|pos| {
                        let mut changed = false;
                        for (tp, offset) in known {
                            if let (Some(slot), Some(offset)) =
                                (pos.get_mut(tp.partition as usize), offset)
                            {
                                if offset > *slot {
                                    *slot = offset;
                                    changed = true;
                                }
                            }
                        }
                        changed
                    });
                }
            }
            Ok(records) => {
                let mut advanced: Vec<(i32, i64)> = Vec::with_capacity(records.len());
                for record in &records {
                    callback(record);
                    advanced.push((record.partition, record.offset + 1));
                }
                positions.send_modify(|pos| {
                    for (partition, next) in advanced {
                        if let Some(slot) = pos.get_mut(partition as usize) {
                            *slot = (*slot).max(next);
                        }
                    }
                });
            }
            Err(e) => {
                tracing::error!(topic = %topic, error = %e, "reading internal topic failed; retrying");
                tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    consumer.close().await;
}
