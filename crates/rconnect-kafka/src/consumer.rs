//! Group consumer with batch polling, manual commits and observable rebalances.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer as _, ConsumerContext, RebalanceProtocol, StreamConsumer,
};
use rdkafka::error::{KafkaError as RdKafkaError, KafkaResult};
use rdkafka::message::{BorrowedMessage, Headers, Message, Timestamp};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc;

use crate::context::tracing_client_context;
use crate::{KafkaConfig, KafkaError, TopicPartition};

/// Kind of a record timestamp, as in Java's `TimestampType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// The record has no timestamp.
    NoTimestampType,
    /// Set by the producer.
    CreateTime,
    /// Set by the broker when appending.
    LogAppendTime,
}

/// A consumed record, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// Topic; the records of one poll share one allocation per topic.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key (None for a null key).
    pub key: Option<Vec<u8>>,
    /// Value (None for a null value, e.g. a tombstone).
    pub value: Option<Vec<u8>>,
    /// Timestamp in ms since the epoch; None when the record has none.
    pub timestamp: Option<i64>,
    /// Kind of the timestamp.
    pub timestamp_type: TimestampType,
    /// Headers in record order; a header value may be null.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

#[cfg(not(windows))]
extern "C" {
    /// `csrc/message_headers.c`: 0 when a consumed message certainly has no headers.
    fn rconnect_message_may_have_headers(
        message: *const rdkafka::bindings::rd_kafka_message_t,
    ) -> std::os::raw::c_int;
}

/// Windows builds leave out `csrc/message_headers.c` (build.rs says why): every message may
/// have headers, so librdkafka parses each one's header section (`rd_kafka_message_headers`).
#[cfg(windows)]
unsafe fn rconnect_message_may_have_headers(
    _message: *const rdkafka::bindings::rd_kafka_message_t,
) -> std::os::raw::c_int {
    1
}

/// The topic of the previous message of a poll: librdkafka's topic object (compared by
/// address) and its name. Consecutive messages mostly share their topic, so the name is
/// neither read nor allocated again for them.
type LastTopic = Option<(usize, Arc<str>)>;

fn topic_of(m: &BorrowedMessage<'_>, last: &mut LastTopic) -> Arc<str> {
    // Safety: `m` is a live message; `rkt` is a field of librdkafka's public message struct.
    let rkt = unsafe { (*m.ptr()).rkt } as usize;
    match last {
        Some((prev, name)) if *prev == rkt => name.clone(),
        _ => last.insert((rkt, Arc::from(m.topic()))).1.clone(),
    }
}

impl ConsumedRecord {
    fn from_message(m: &BorrowedMessage<'_>, last_topic: &mut LastTopic) -> ConsumedRecord {
        let (timestamp, timestamp_type) = match m.timestamp() {
            Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
            Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
            Timestamp::LogAppendTime(t) => (Some(t), TimestampType::LogAppendTime),
        };
        // Safety: `m` is a live message of this consumer.
        let headers = if unsafe { rconnect_message_may_have_headers(m.ptr()) } != 0 {
            m.headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        ConsumedRecord {
            topic: topic_of(m, last_topic),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            timestamp,
            timestamp_type,
            headers,
        }
    }
}

/// Something that happened to the consumer's group membership or commits.
#[derive(Debug, Clone)]
pub enum ConsumerEvent {
    /// Partitions were assigned (the full new assignment for the eager protocol, the added
    /// partitions for the cooperative one). Already applied when the event is seen.
    Assigned(Vec<TopicPartition>),
    /// Partitions are being taken away. Unless `lost`, the consumer still owns them until the
    /// next [`Consumer::poll_batch`], so the task loop can commit their offsets first (what
    /// Java does in `onPartitionsRevoked`). `lost` partitions (e.g. the session expired) were
    /// already dropped and must not be committed (`onPartitionsLost`).
    Revoked {
        /// The partitions.
        partitions: Vec<TopicPartition>,
        /// True when the partitions were lost rather than revoked.
        lost: bool,
    },
    /// librdkafka reported a rebalance error; the assignment was cleared.
    RebalanceError(KafkaError),
    /// An asynchronous commit ([`Consumer::commit`] with `sync = false`) finished.
    /// Delivered in the order the commits were requested.
    CommitCompleted {
        /// The offsets of the commit.
        offsets: Vec<(TopicPartition, i64)>,
        /// Its outcome.
        result: Result<(), KafkaError>,
    },
}

struct Shared {
    events: mpsc::UnboundedSender<ConsumerEvent>,
    /// A revocation whose unassign is held back: (partitions, cooperative protocol).
    pending_revoke: Mutex<Option<(TopicPartitionList, bool)>>,
    /// Bumped on every rebalance callback, so a poll can return early.
    rebalance_seq: AtomicU64,
    closing: AtomicBool,
}

impl Shared {
    fn send(&self, event: ConsumerEvent) {
        // A closed receiver only means nobody listens for events.
        let _ = self.events.send(event);
    }
}

struct EventContext {
    shared: Arc<Shared>,
}

tracing_client_context!(EventContext, "consumer");

fn partitions_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

fn offsets_of(tpl: &TopicPartitionList) -> Vec<(TopicPartition, Option<i64>)> {
    tpl.elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            };
            (TopicPartition::new(e.topic(), e.partition()), offset)
        })
        .collect()
}

fn unassign(
    consumer: &BaseConsumer<EventContext>,
    tpl: &TopicPartitionList,
    cooperative: bool,
) -> KafkaResult<()> {
    if cooperative {
        consumer.incremental_unassign(tpl)
    } else {
        consumer.unassign()
    }
}

impl ConsumerContext for EventContext {
    // Replaces rdkafka's default handler so that a revocation can be held back (see
    // `ConsumerEvent::Revoked`): librdkafka waits for the unassign before it rejoins the group,
    // and until then the member's generation is still valid for commits.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let shared = &self.shared;
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let partitions = partitions_of(tpl);
                tracing::debug!(?partitions, "partitions assigned");
                let result = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                match result {
                    Ok(()) => shared.send(ConsumerEvent::Assigned(partitions)),
                    Err(source) => {
                        tracing::error!(%source, "applying partition assignment failed");
                        shared.send(ConsumerEvent::RebalanceError(KafkaError::op(
                            "partition assignment",
                            source,
                        )));
                    }
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let partitions = partitions_of(tpl);
                let lost = consumer.assignment_lost();
                tracing::debug!(?partitions, lost, "partitions revoked");
                if lost || shared.closing.load(Ordering::SeqCst) {
                    if let Err(e) = unassign(consumer, tpl, cooperative) {
                        tracing::warn!(%e, "unassign after revocation failed");
                    }
                } else {
                    let mut pending = shared
                        .pending_revoke
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    *pending = Some((tpl.clone(), cooperative));
                }
                shared.send(ConsumerEvent::Revoked { partitions, lost });
            }
            other => {
                let source = RdKafkaError::Rebalance(other.into());
                tracing::error!(%source, "rebalance error");
                if let Err(e) = consumer.unassign() {
                    tracing::warn!(%e, "unassign after rebalance error failed");
                }
                shared.send(ConsumerEvent::RebalanceError(KafkaError::op(
                    "rebalance",
                    source,
                )));
            }
        }
        shared.rebalance_seq.fetch_add(1, Ordering::SeqCst);
    }
}

/// A group consumer for sink tasks (and a plain assigned consumer when used with
/// [`Consumer::assign`]).
///
/// Built on rdkafka's `StreamConsumer`: [`Consumer::poll_batch`] awaits the first record
/// without blocking a thread, then drains what librdkafka has already fetched. It is
/// cancel-safe: dropping the future (e.g. in `tokio::select!` against a stop signal, which is
/// how Java's `wakeup()` maps here) loses no record.
///
/// Rebalance and async-commit outcomes arrive as [`ConsumerEvent`]s on the receiver returned
/// by [`Consumer::new`]; they are produced while `poll_batch` runs, which then returns early
/// so the task loop can react. A revocation is held back until the next `poll_batch` (or
/// [`Consumer::close`]), which gives the loop the chance to commit the revoked partitions,
/// as Java's `onPartitionsRevoked` does. Keep polling at least every `max.poll.interval.ms`.
pub struct Consumer {
    inner: Arc<StreamConsumer<EventContext>>,
    shared: Arc<Shared>,
    /// Asynchronous commits, run in order by `commit_thread`.
    commit_jobs: Option<std::sync::mpsc::Sender<TopicPartitionList>>,
    commit_thread: Option<std::thread::JoinHandle<()>>,
}

impl Consumer {
    /// Creates the consumer. Must be called inside a tokio runtime (rdkafka spawns a small
    /// housekeeping task). Start from [`KafkaConfig::sink_consumer`] for sink tasks.
    pub fn new(
        config: &KafkaConfig,
    ) -> Result<(Consumer, mpsc::UnboundedReceiver<ConsumerEvent>), KafkaError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: tx,
            pending_revoke: Mutex::new(None),
            rebalance_seq: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        });
        let context = EventContext {
            shared: shared.clone(),
        };
        let inner: StreamConsumer<EventContext> = config
            .client_config()
            .create_with_context(context)
            .map_err(|source| KafkaError::ClientCreation {
                client: "consumer",
                source,
            })?;
        let inner = Arc::new(inner);
        let (jobs, commit_thread) = spawn_commit_thread(inner.clone(), shared.clone())?;
        Ok((
            Consumer {
                inner,
                shared,
                commit_jobs: Some(jobs),
                commit_thread: Some(commit_thread),
            },
            rx,
        ))
    }

    /// Subscribes to a list of topics (replacing any earlier subscription).
    pub fn subscribe(&self, topics: &[String]) -> Result<(), KafkaError> {
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        self.inner
            .subscribe(&names)
            .map_err(|source| KafkaError::op(format!("subscribe to {topics:?}"), source))
    }

    /// Subscribes to every topic whose whole name matches `pattern` (Java's `topics.regex`
    /// uses `Matcher.matches()`). librdkafka marks regex subscriptions with a leading `^` and
    /// matches anywhere in the name, so the pattern is anchored as `^(pattern)$`. librdkafka
    /// uses POSIX extended regular expressions: Java-only syntax (e.g. `(?i)`, `\d`) is not
    /// understood.
    pub fn subscribe_regex(&self, pattern: &str) -> Result<(), KafkaError> {
        let anchored = format!("^({pattern})$");
        self.inner
            .subscribe(&[anchored.as_str()])
            .map_err(|source| KafkaError::op(format!("subscribe to pattern {pattern:?}"), source))
    }

    /// Drops the subscription.
    pub fn unsubscribe(&self) {
        self.inner.unsubscribe();
    }

    /// Assigns partitions explicitly (no group membership). Offsets use Kafka's special
    /// values: `-2` earliest, `-1` latest, `-1000` the group's committed offset; others are
    /// absolute offsets.
    pub fn assign(&self, partitions: &[(TopicPartition, i64)]) -> Result<(), KafkaError> {
        let mut tpl = TopicPartitionList::with_capacity(partitions.len());
        for (tp, offset) in partitions {
            tpl.add_partition_offset(&tp.topic, tp.partition, Offset::from_raw(*offset))
                .map_err(|source| KafkaError::op(format!("assign {tp}"), source))?;
        }
        self.inner
            .assign(&tpl)
            .map_err(|source| KafkaError::op("assign", source))
    }

    /// Applies a held-back revocation (see [`ConsumerEvent::Revoked`]).
    fn complete_pending_revoke(&self) -> Result<(), KafkaError> {
        let pending = self
            .shared
            .pending_revoke
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((tpl, cooperative)) = pending {
            let result = if cooperative {
                self.inner.incremental_unassign(&tpl)
            } else {
                self.inner.unassign()
            };
            result.map_err(|source| KafkaError::op("unassign of revoked partitions", source))?;
        }
        Ok(())
    }

    /// Waits up to `timeout` for records and returns at most `max` of them (an empty batch on
    /// timeout). Returns early, possibly with an empty batch, when a rebalance happened: look
    /// at the event receiver. Transient consumer errors (broker unreachable, unknown topic)
    /// are logged and polling goes on, as Java's `poll` does; fatal ones are returned.
    pub async fn poll_batch(
        &self,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<ConsumedRecord>, KafkaError> {
        self.complete_pending_revoke()?;
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let seq = &self.shared.rebalance_seq;
        let start_seq = seq.load(Ordering::SeqCst);
        let mut stream = self.inner.stream();
        let mut last_topic: LastTopic = None;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let first = poll_fn(|cx| {
                if seq.load(Ordering::SeqCst) != start_seq {
                    return Poll::Ready(None);
                }
                match stream.poll_next_unpin(cx) {
                    Poll::Ready(item) => Poll::Ready(item),
                    // A rebalance event is handled inside poll_next, which then yields Pending.
                    Poll::Pending if seq.load(Ordering::SeqCst) != start_seq => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            });
            match tokio::time::timeout_at(deadline, first).await {
                Err(_) | Ok(None) => return Ok(out),
                Ok(Some(Ok(message))) => {
                    out.push(ConsumedRecord::from_message(&message, &mut last_topic));
                    break;
                }
                Ok(Some(Err(error))) => check_poll_error(error)?,
            }
        }
        while out.len() < max && seq.load(Ordering::SeqCst) == start_seq {
            match stream.next().now_or_never() {
                Some(Some(Ok(message))) => {
                    out.push(ConsumedRecord::from_message(&message, &mut last_topic))
                }
                Some(Some(Err(error))) => check_poll_error(error)?,
                Some(None) | None => break,
            }
        }
        Ok(out)
    }

    /// Commits `offsets` (each the next offset to read) for the group. With `sync`, waits
    /// for the broker's answer on a blocking thread. Without, returns at once; the commit runs
    /// on the consumer's commit thread (asynchronous commits run one at a time, in call order)
    /// and its outcome arrives as [`ConsumerEvent::CommitCompleted`]. An empty list is a no-op.
    ///
    /// librdkafka's own asynchronous `rd_kafka_commit` reports the outcome of explicit-offset
    /// commits only to an `offset_commit_cb` (which the rdkafka crate does not install for
    /// them), hence the commit thread.
    pub async fn commit(
        &self,
        offsets: &[(TopicPartition, i64)],
        sync: bool,
    ) -> Result<(), KafkaError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let tpl = crate::commit_list(offsets, "cannot commit")?;
        if sync {
            let inner = self.inner.clone();
            tokio::task::spawn_blocking(move || inner.commit(&tpl, CommitMode::Sync))
                .await
                .map_err(|e| KafkaError::Internal(e.to_string()))?
                .map_err(|source| KafkaError::op("offset commit", source))
        } else {
            self.commit_jobs
                .as_ref()
                .and_then(|jobs| jobs.send(tpl).ok())
                .ok_or_else(|| KafkaError::Internal("consumer commit thread is gone".into()))
        }
    }

    /// Sets the next offset to fetch for an assigned partition. Asynchronous in librdkafka:
    /// takes effect for the next fetch; errors for unassigned partitions are reported here.
    pub fn seek(&self, tp: &TopicPartition, offset: i64) -> Result<(), KafkaError> {
        self.inner
            .seek(
                &tp.topic,
                tp.partition,
                Offset::from_raw(offset),
                Duration::ZERO,
            )
            .map_err(|source| KafkaError::op(format!("seek of {tp} to {offset}"), source))
    }

    fn tpl(partitions: &[TopicPartition]) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::with_capacity(partitions.len());
        for tp in partitions {
            tpl.add_partition(&tp.topic, tp.partition);
        }
        tpl
    }

    /// Stops fetching from the partitions (they stay assigned).
    pub fn pause(&self, partitions: &[TopicPartition]) -> Result<(), KafkaError> {
        self.inner
            .pause(&Self::tpl(partitions))
            .map_err(|source| KafkaError::op(format!("pause of {partitions:?}"), source))
    }

    /// Resumes fetching from paused partitions.
    pub fn resume(&self, partitions: &[TopicPartition]) -> Result<(), KafkaError> {
        self.inner
            .resume(&Self::tpl(partitions))
            .map_err(|source| KafkaError::op(format!("resume of {partitions:?}"), source))
    }

    /// The partitions currently assigned (including ones with a held-back revocation).
    pub fn assignment(&self) -> Result<Vec<TopicPartition>, KafkaError> {
        self.inner
            .assignment()
            .map(|tpl| partitions_of(&tpl))
            .map_err(|source| KafkaError::op("assignment", source))
    }

    /// The next offset to fetch per assigned partition; None until librdkafka knows it
    /// (right after an assignment, before the committed offset was fetched).
    pub fn position(&self) -> Result<Vec<(TopicPartition, Option<i64>)>, KafkaError> {
        self.inner
            .position()
            .map(|tpl| offsets_of(&tpl))
            .map_err(|source| KafkaError::op("position", source))
    }

    /// The group's committed offsets for `partitions` (None where nothing is committed).
    pub async fn committed(
        &self,
        partitions: &[TopicPartition],
        timeout: Duration,
    ) -> Result<Vec<(TopicPartition, Option<i64>)>, KafkaError> {
        let inner = self.inner.clone();
        let tpl = Self::tpl(partitions);
        tokio::task::spawn_blocking(move || inner.committed_offsets(tpl, timeout))
            .await
            .map_err(|e| KafkaError::Internal(e.to_string()))?
            .map(|tpl| offsets_of(&tpl))
            .map_err(|source| KafkaError::op("fetch of committed offsets", source))
    }

    /// This member's id in the group, once joined.
    pub fn member_id(&self) -> Option<String> {
        // SAFETY: the client pointer is valid while `inner` lives; the returned string is
        // owned by us and released with rd_kafka_mem_free.
        unsafe {
            let client = self.inner.client().native_ptr();
            let id = rdkafka::bindings::rd_kafka_memberid(client);
            if id.is_null() {
                return None;
            }
            let value = std::ffi::CStr::from_ptr(id).to_string_lossy().into_owned();
            rdkafka::bindings::rd_kafka_mem_free(client, id as *mut std::ffi::c_void);
            Some(value).filter(|v| !v.is_empty())
        }
    }

    /// Leaves the group and closes the consumer on a blocking thread, after queued
    /// asynchronous commits finished. A held-back revocation is applied first; partitions
    /// still assigned are revoked without waiting.
    pub async fn close(mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        if let Err(e) = self.complete_pending_revoke() {
            tracing::warn!(%e, "unassign on close failed");
        }
        drop(self.commit_jobs.take());
        let commit_thread = self.commit_thread.take();
        let inner = self.inner.clone();
        drop(self);
        // The last reference runs librdkafka's consumer close, which waits for the broker.
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(t) = commit_thread {
                let _ = t.join();
            }
            drop(inner);
        })
        .await;
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        if let Err(e) = self.complete_pending_revoke() {
            tracing::warn!(%e, "unassign on drop failed");
        }
        // The commit thread ends after the queued commits; it holds its own reference.
        drop(self.commit_jobs.take());
    }
}

fn spawn_commit_thread(
    consumer: Arc<StreamConsumer<EventContext>>,
    shared: Arc<Shared>,
) -> Result<
    (
        std::sync::mpsc::Sender<TopicPartitionList>,
        std::thread::JoinHandle<()>,
    ),
    KafkaError,
> {
    let (tx, rx) = std::sync::mpsc::channel::<TopicPartitionList>();
    let handle = std::thread::Builder::new()
        .name("kafka-commit".into())
        .spawn(move || {
            for tpl in rx {
                let result = consumer
                    .commit(&tpl, CommitMode::Sync)
                    .map_err(|source| KafkaError::op("asynchronous offset commit", source));
                if let Err(e) = &result {
                    tracing::warn!(%e, "offset commit failed");
                }
                let offsets = offsets_of(&tpl)
                    .into_iter()
                    .filter_map(|(tp, o)| o.map(|o| (tp, o)))
                    .collect();
                shared.send(ConsumerEvent::CommitCompleted { offsets, result });
            }
        })
        .map_err(|e| KafkaError::Internal(format!("cannot start the commit thread: {e}")))?;
    Ok((tx, handle))
}

fn check_poll_error(error: RdKafkaError) -> Result<(), KafkaError> {
    match error {
        RdKafkaError::MessageConsumptionFatal(_) => Err(KafkaError::op("consume", error)),
        RdKafkaError::PartitionEOF(_) => Ok(()),
        other => {
            tracing::warn!(error = %other, "consumer error (librdkafka keeps retrying)");
            Ok(())
        }
    }
}
