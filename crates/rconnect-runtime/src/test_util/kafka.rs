//! In-memory Kafka behind the [`KafkaClients`] seam: a producer whose acks the test
//! controls, consumers over in-memory partition logs with assignments, rebalances,
//! pauses and committed offsets, and the consumer-group admin calls.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_sdk::record::{TimestampType, Topic, TopicPartition};
use rconnect_sdk::Props;
use tokio::sync::{mpsc, Notify};

use crate::clients::{
    Ack, ConsumerClient, GroupOffsetsClient, GroupOffsetsError, InRecord, KafkaClients, OutRecord,
    ProducerClient, Rebalance, SendFailure,
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls `check` until it answers `Some`, up to `timeout` (of tokio time, so paused-time
/// tests advance through it).
pub async fn eventually<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A record the fake producer accepted, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRecord {
    pub token: u64,
    pub topic: String,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl SentRecord {
    /// The value as UTF-8 text (`None` for a null value).
    pub fn value_str(&self) -> Option<String> {
        self.value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

#[derive(Default)]
struct ProducerState {
    /// Acknowledge each record as it is sent.
    auto_ack: bool,
    sent: Vec<SentRecord>,
    /// Tokens sent and not answered yet, in send order.
    unanswered: Vec<u64>,
    /// `QueueFull` while this many records are unanswered.
    queue_limit: Option<usize>,
    /// Answers for the next sends, before any other rule.
    refusals: VecDeque<SendFailure>,
    next_offset: HashMap<(String, i32), i64>,
    acks: Option<mpsc::UnboundedSender<Ack>>,
}

/// A producer whose acknowledgements the test controls; cloning shares it.
///
/// By default every record is acknowledged as it is sent; with
/// [`FakeProducer::set_auto_ack`]`(false)` records wait for [`FakeProducer::ack`] or
/// [`FakeProducer::fail`], which lets a test answer them late or out of order.
#[derive(Clone, Default)]
pub struct FakeProducer {
    state: Arc<Mutex<ProducerState>>,
    changed: Arc<Notify>,
}

impl FakeProducer {
    fn new(auto_ack: bool, acks: mpsc::UnboundedSender<Ack>) -> Self {
        let p = FakeProducer::default();
        {
            let mut s = lock(&p.state);
            s.auto_ack = auto_ack;
            s.acks = Some(acks);
        }
        p
    }

    pub fn set_auto_ack(&self, auto: bool) {
        lock(&self.state).auto_ack = auto;
    }

    /// Refuses sends with `QueueFull` while `limit` records are unanswered.
    pub fn set_queue_limit(&self, limit: Option<usize>) {
        lock(&self.state).queue_limit = limit;
    }

    /// The next send is refused with `failure` (queued after earlier refusals).
    pub fn refuse_next(&self, failure: SendFailure) {
        lock(&self.state).refusals.push_back(failure);
    }

    /// Every record accepted so far, in send order.
    pub fn sent(&self) -> Vec<SentRecord> {
        lock(&self.state).sent.clone()
    }

    /// The values of the records accepted so far, as text.
    pub fn sent_values(&self) -> Vec<String> {
        lock(&self.state)
            .sent
            .iter()
            .map(|r| r.value_str().unwrap_or_default())
            .collect()
    }

    /// Tokens of records not acknowledged or failed yet, in send order.
    pub fn unanswered(&self) -> Vec<u64> {
        lock(&self.state).unanswered.clone()
    }

    fn answer(s: &mut ProducerState, token: u64, result: Result<(), String>) -> bool {
        let Some(i) = s.unanswered.iter().position(|t| *t == token) else {
            return false;
        };
        s.unanswered.remove(i);
        let record = s.sent.iter().find(|r| r.token == token).cloned();
        let result = match (result, record) {
            (Ok(()), Some(r)) => {
                let partition = r.partition.unwrap_or(0);
                let next = s.next_offset.entry((r.topic, partition)).or_insert(0);
                let offset = *next;
                *next += 1;
                Ok((partition, offset))
            }
            (Ok(()), None) => return false,
            (Err(e), _) => Err(e),
        };
        if let Some(acks) = &s.acks {
            let _ = acks.send(Ack { token, result });
        }
        true
    }

    /// Acknowledges one record; false if it is not waiting for an answer.
    pub fn ack(&self, token: u64) -> bool {
        Self::answer(&mut lock(&self.state), token, Ok(()))
    }

    /// Acknowledges every waiting record, in send order; returns how many.
    pub fn ack_all(&self) -> usize {
        let mut s = lock(&self.state);
        let tokens = s.unanswered.clone();
        tokens
            .into_iter()
            .filter(|t| Self::answer(&mut s, *t, Ok(())))
            .count()
    }

    /// Reports one record as failed, as a delivery callback with an exception.
    pub fn fail(&self, token: u64, error: &str) -> bool {
        Self::answer(&mut lock(&self.state), token, Err(error.to_string()))
    }

    /// Waits until at least `n` records were accepted.
    pub async fn wait_sent(&self, n: usize, timeout: Duration) -> Vec<SentRecord> {
        eventually(timeout, &format!("{n} sent record(s)"), || {
            let sent = self.sent();
            (sent.len() >= n).then_some(sent)
        })
        .await
    }
}

impl ProducerClient for FakeProducer {
    fn send(&self, record: &OutRecord<'_>, token: u64) -> Result<(), SendFailure> {
        let mut s = lock(&self.state);
        if let Some(refusal) = s.refusals.pop_front() {
            return Err(refusal);
        }
        if s.queue_limit.is_some_and(|l| s.unanswered.len() >= l) {
            return Err(SendFailure::QueueFull);
        }
        s.sent.push(SentRecord {
            token,
            topic: record.topic.to_string(),
            partition: record.partition,
            key: record.key.map(<[u8]>::to_vec),
            value: record.value.map(<[u8]>::to_vec),
            timestamp: record.timestamp,
            headers: record.headers.to_vec(),
        });
        s.unanswered.push(token);
        if s.auto_ack {
            Self::answer(&mut s, token, Ok(()));
        }
        drop(s);
        self.changed.notify_waiters();
        Ok(())
    }
}

/// One call the sink loop made on a consumer, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumerCall {
    Commit(Vec<(TopicPartition, i64)>),
    Seek(TopicPartition, i64),
    Pause(Vec<TopicPartition>),
    Resume(Vec<TopicPartition>),
    Close,
}

#[derive(Default)]
struct ConsumerState {
    group: String,
    topics: Vec<String>,
    topics_regex: Option<String>,
    assignment: BTreeSet<TopicPartition>,
    positions: HashMap<TopicPartition, i64>,
    paused: BTreeSet<TopicPartition>,
    rebalances: Vec<Rebalance>,
    calls: Vec<ConsumerCall>,
    commit_failures: VecDeque<String>,
    poll_failures: VecDeque<String>,
    closed: bool,
}

/// A group consumer over the cluster's in-memory logs; cloning shares it. The test
/// assigns and revokes partitions; nothing is assigned until it does.
#[derive(Clone)]
pub struct FakeConsumer {
    state: Arc<Mutex<ConsumerState>>,
    cluster: FakeCluster,
}

impl FakeConsumer {
    /// The group this consumer joined (its config's `group.id`).
    pub fn group(&self) -> String {
        lock(&self.state).group.clone()
    }

    /// The subscription: topics and regex.
    pub fn subscription(&self) -> (Vec<String>, Option<String>) {
        let s = lock(&self.state);
        (s.topics.clone(), s.topics_regex.clone())
    }

    /// Assigns partitions, starting at the group's committed offsets (or 0), as a
    /// rebalance the loop sees at its next check.
    pub fn assign(&self, tps: &[TopicPartition]) {
        let committed = self.cluster.committed(&self.group());
        {
            let mut s = lock(&self.state);
            for tp in tps {
                s.assignment.insert(tp.clone());
                let start = committed.get(tp).copied().unwrap_or(0);
                s.positions.insert(tp.clone(), start);
            }
            s.rebalances.push(Rebalance::Assigned(tps.to_vec()));
        }
        self.cluster.changed.notify_waiters();
    }

    /// Revokes partitions, as a rebalance the loop sees at its next check.
    pub fn revoke(&self, tps: &[TopicPartition]) {
        {
            let mut s = lock(&self.state);
            for tp in tps {
                s.assignment.remove(tp);
                s.positions.remove(tp);
                s.paused.remove(tp);
            }
            s.rebalances.push(Rebalance::Revoked(tps.to_vec()));
        }
        self.cluster.changed.notify_waiters();
    }

    /// The next commit fails with `error`.
    pub fn fail_next_commit(&self, error: &str) {
        lock(&self.state)
            .commit_failures
            .push_back(error.to_string());
    }

    /// The next poll fails with `error`.
    pub fn fail_next_poll(&self, error: &str) {
        lock(&self.state).poll_failures.push_back(error.to_string());
        self.cluster.changed.notify_waiters();
    }

    /// Every call made, in order.
    pub fn calls(&self) -> Vec<ConsumerCall> {
        lock(&self.state).calls.clone()
    }

    /// The commits made, in order.
    pub fn commits(&self) -> Vec<Vec<(TopicPartition, i64)>> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                ConsumerCall::Commit(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    pub fn paused(&self) -> BTreeSet<TopicPartition> {
        lock(&self.state).paused.clone()
    }

    pub fn position_of(&self, tp: &TopicPartition) -> Option<i64> {
        lock(&self.state).positions.get(tp).copied()
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    fn take_records(&self, max: usize) -> Result<Vec<InRecord>, String> {
        let mut s = lock(&self.state);
        if let Some(e) = s.poll_failures.pop_front() {
            return Err(e);
        }
        if !s.rebalances.is_empty() {
            // A rebalance ends the poll, as listener callbacks run inside it.
            return Ok(Vec::new());
        }
        let logs = lock(&self.cluster.logs);
        let mut out = Vec::new();
        let assigned: Vec<TopicPartition> = s.assignment.iter().cloned().collect();
        for tp in assigned {
            if s.paused.contains(&tp) {
                continue;
            }
            let Some(log) = logs.get(&tp) else { continue };
            let pos = s.positions.get(&tp).copied().unwrap_or(0);
            let take: Vec<InRecord> = log
                .iter()
                .filter(|r| r.offset >= pos)
                .take(max - out.len())
                .cloned()
                .collect();
            if let Some(last) = take.last() {
                s.positions.insert(tp.clone(), last.offset + 1);
            }
            out.extend(take);
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ConsumerClient for FakeConsumer {
    async fn poll_batch(&mut self, max: usize, timeout: Duration) -> Result<Vec<InRecord>, String> {
        let changed = self.cluster.changed.clone();
        let notified = changed.notified();
        tokio::pin!(notified);
        // Registered before looking, so a record produced in between is not missed.
        notified.as_mut().enable();
        let records = self.take_records(max)?;
        if !records.is_empty() {
            return Ok(records);
        }
        let _ = tokio::time::timeout(timeout, notified).await;
        self.take_records(max)
    }

    fn take_rebalances(&mut self) -> Vec<Rebalance> {
        std::mem::take(&mut lock(&self.state).rebalances)
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, i64)]) -> Result<(), String> {
        let group = {
            let mut s = lock(&self.state);
            s.calls.push(ConsumerCall::Commit(offsets.to_vec()));
            if let Some(e) = s.commit_failures.pop_front() {
                return Err(e);
            }
            s.group.clone()
        };
        let mut groups = lock(&self.cluster.groups);
        groups
            .entry(group)
            .or_default()
            .extend(offsets.iter().cloned());
        Ok(())
    }

    fn position(&self, tp: &TopicPartition) -> Option<i64> {
        lock(&self.state).positions.get(tp).copied()
    }

    fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<(), String> {
        let mut s = lock(&self.state);
        s.calls.push(ConsumerCall::Seek(tp.clone(), offset));
        if !s.assignment.contains(tp) {
            return Err(format!("No current assignment for partition {tp}"));
        }
        s.positions.insert(tp.clone(), offset);
        Ok(())
    }

    fn pause(&mut self, tps: &[TopicPartition]) -> Result<(), String> {
        let mut s = lock(&self.state);
        s.calls.push(ConsumerCall::Pause(tps.to_vec()));
        s.paused.extend(tps.iter().cloned());
        Ok(())
    }

    fn resume(&mut self, tps: &[TopicPartition]) -> Result<(), String> {
        {
            let mut s = lock(&self.state);
            s.calls.push(ConsumerCall::Resume(tps.to_vec()));
            for tp in tps {
                s.paused.remove(tp);
            }
        }
        self.cluster.changed.notify_waiters();
        Ok(())
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        lock(&self.state).assignment.iter().cloned().collect()
    }

    async fn close(&mut self) {
        let mut s = lock(&self.state);
        s.calls.push(ConsumerCall::Close);
        s.closed = true;
    }
}

/// The in-memory broker: partition logs and consumer groups' committed offsets.
#[derive(Clone, Default)]
pub struct FakeCluster {
    logs: Arc<Mutex<BTreeMap<TopicPartition, Vec<InRecord>>>>,
    groups: Arc<Mutex<HashMap<String, BTreeMap<TopicPartition, i64>>>>,
    changed: Arc<Notify>,
}

impl FakeCluster {
    /// Appends a record to a partition log; returns its offset.
    pub fn produce(&self, topic: &str, partition: i32, key: Option<&str>, value: &str) -> i64 {
        let offset = {
            let mut logs = lock(&self.logs);
            let log = logs
                .entry(TopicPartition::new(topic, partition))
                .or_default();
            let offset = log.len() as i64;
            log.push(InRecord {
                topic: Topic::from(topic),
                partition,
                offset,
                key: key.map(|k| k.as_bytes().to_vec()),
                value: Some(value.as_bytes().to_vec()),
                timestamp: Some(1_700_000_000_000 + offset),
                timestamp_type: TimestampType::CreateTime,
                headers: Vec::new(),
            });
            offset
        };
        self.changed.notify_waiters();
        offset
    }

    /// The committed offsets of `group`.
    pub fn committed(&self, group: &str) -> BTreeMap<TopicPartition, i64> {
        lock(&self.groups).get(group).cloned().unwrap_or_default()
    }

    /// Sets committed offsets of `group`, as another client would.
    pub fn set_committed(&self, group: &str, offsets: &[(TopicPartition, i64)]) {
        lock(&self.groups)
            .entry(group.to_string())
            .or_default()
            .extend(offsets.iter().cloned());
    }
}

#[derive(Default)]
struct ClientsState {
    producers: Vec<FakeProducer>,
    consumers: Vec<FakeConsumer>,
    producer_configs: Vec<Props>,
    consumer_configs: Vec<Props>,
    manual_acks: bool,
    refuse_producer: Option<String>,
}

/// [`KafkaClients`] over a [`FakeCluster`]; cloning shares it. Every client made is kept
/// so that the test can drive it.
#[derive(Clone, Default)]
pub struct FakeKafka {
    pub cluster: FakeCluster,
    state: Arc<Mutex<ClientsState>>,
}

impl FakeKafka {
    /// Producers made from now on wait for the test to acknowledge their records.
    pub fn set_manual_acks(&self, manual: bool) {
        lock(&self.state).manual_acks = manual;
    }

    /// Producers cannot be made: `producer()` answers `error`.
    pub fn refuse_producers(&self, error: Option<&str>) {
        lock(&self.state).refuse_producer = error.map(str::to_string);
    }

    pub fn producers(&self) -> Vec<FakeProducer> {
        lock(&self.state).producers.clone()
    }

    pub fn consumers(&self) -> Vec<FakeConsumer> {
        lock(&self.state).consumers.clone()
    }

    /// The configs producers were made with, in order.
    pub fn producer_configs(&self) -> Vec<Props> {
        lock(&self.state).producer_configs.clone()
    }

    /// The configs consumers were made with, in order.
    pub fn consumer_configs(&self) -> Vec<Props> {
        lock(&self.state).consumer_configs.clone()
    }

    /// Waits for the `n`th producer (0-based) to be made.
    pub async fn producer(&self, n: usize) -> FakeProducer {
        eventually(Duration::from_secs(10), &format!("producer #{n}"), || {
            self.producers().get(n).cloned()
        })
        .await
    }

    /// Waits for the `n`th consumer (0-based) to be made.
    pub async fn consumer(&self, n: usize) -> FakeConsumer {
        eventually(Duration::from_secs(10), &format!("consumer #{n}"), || {
            self.consumers().get(n).cloned()
        })
        .await
    }
}

impl KafkaClients for FakeKafka {
    fn producer(
        &self,
        config: &Props,
    ) -> Result<(Box<dyn ProducerClient>, mpsc::UnboundedReceiver<Ack>), String> {
        let mut s = lock(&self.state);
        if let Some(e) = &s.refuse_producer {
            return Err(e.clone());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let p = FakeProducer::new(!s.manual_acks, tx);
        s.producers.push(p.clone());
        s.producer_configs.push(config.clone());
        Ok((Box::new(p), rx))
    }

    fn consumer(
        &self,
        config: &Props,
        topics: &[String],
        topics_regex: Option<&str>,
    ) -> Result<Box<dyn ConsumerClient>, String> {
        let c = FakeConsumer {
            state: Arc::new(Mutex::new(ConsumerState {
                group: config.get("group.id").cloned().unwrap_or_default(),
                topics: topics.to_vec(),
                topics_regex: topics_regex.map(str::to_string),
                ..ConsumerState::default()
            })),
            cluster: self.cluster.clone(),
        };
        let mut s = lock(&self.state);
        s.consumers.push(c.clone());
        s.consumer_configs.push(config.clone());
        Ok(Box::new(c))
    }

    fn group_offsets(&self, _admin_config: &Props) -> Result<Box<dyn GroupOffsetsClient>, String> {
        Ok(Box::new(FakeGroupOffsets(self.clone())))
    }
}

/// The consumer-group admin calls over the fake cluster: a group with an open consumer
/// has active members, as a broker says.
pub struct FakeGroupOffsets(FakeKafka);

impl FakeGroupOffsets {
    fn check_empty(&self, group: &str) -> Result<(), GroupOffsetsError> {
        if self
            .0
            .consumers()
            .iter()
            .any(|c| c.group() == group && !c.is_closed())
        {
            return Err(GroupOffsetsError::ActiveMembers(format!(
                "group {group} has an open consumer"
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl GroupOffsetsClient for FakeGroupOffsets {
    async fn list(&self, group: &str) -> Result<Vec<(TopicPartition, i64)>, GroupOffsetsError> {
        Ok(self.0.cluster.committed(group).into_iter().collect())
    }

    async fn alter(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<(), GroupOffsetsError> {
        self.check_empty(group)?;
        self.0.cluster.set_committed(group, offsets);
        Ok(())
    }

    async fn delete_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<(), GroupOffsetsError> {
        self.check_empty(group)?;
        if let Some(g) = lock(&self.0.cluster.groups).get_mut(group) {
            for tp in partitions {
                g.remove(tp);
            }
        }
        Ok(())
    }

    async fn delete_group(&self, group: &str) -> Result<(), GroupOffsetsError> {
        self.check_empty(group)?;
        lock(&self.0.cluster.groups).remove(group);
        Ok(())
    }
}
