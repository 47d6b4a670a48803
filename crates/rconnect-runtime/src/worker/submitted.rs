//! The source loop's bookkeeping of records handed to the producer (Java:
//! `SubmittedRecords`): which are still in flight, and which source offsets may be
//! committed because every record submitted before them for the same source partition
//! was acknowledged.
//!
//! Records are identified by a token, the one handed to the producer with the record and
//! returned in its [`Ack`]; tokens are consecutive, so a token is an index into the
//! submission order. Each source partition keeps its own deque of submissions, so a slow
//! or failed record holds back only the offsets of its own partition, as in Java.

use std::collections::VecDeque;
use std::sync::Arc;

use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::{RecordMetadata, SourceRecord};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::clients::Ack;

/// A record whose send was acknowledged (with its metadata) or that the task must be told
/// about without metadata, for `SourceTask::commit_record`.
pub(super) type Acked = (SourceRecord, Option<RecordMetadata>);

/// One submission, in token order. Kept small: one is queued and dequeued per record.
struct Slot {
    acked: bool,
    /// Kept only when the task wants `commit_record`.
    record: Option<Box<SourceRecord>>,
}

/// The submissions of one source partition, oldest first: `(token, source offset)`.
struct PartitionDeque {
    partition: Arc<OffsetMap>,
    pending: VecDeque<(u64, Option<OffsetMap>)>,
}

/// Java `SubmittedRecords`, for one task.
#[derive(Default)]
pub(super) struct SubmittedRecords {
    /// The token of `order[0]`.
    base: u64,
    /// Every submission not yet known acknowledged at the front, in token order.
    order: VecDeque<Slot>,
    /// Source partitions with submissions not yet moved to `committable`, first seen first.
    /// Deques that empty are dropped, so this holds only partitions with recent traffic.
    partitions: Vec<PartitionDeque>,
    /// The index in `partitions` used last: a task's records usually share a partition.
    last: usize,
    /// Latest committable offset per source partition, not yet taken by a flush.
    committable: Vec<(Arc<OffsetMap>, Option<OffsetMap>)>,
    /// Submissions not acknowledged yet.
    outstanding: usize,
    /// The first send failure reported by the producer.
    failure: Option<String>,
    /// `errors.tolerance=all`: a failed send counts as acknowledged (without metadata) and
    /// its error waits in `tolerated` to be reported (Java: `WorkerSourceTask#producerSendFailed`).
    tolerate_send_errors: bool,
    tolerated: Vec<String>,
}

impl SubmittedRecords {
    /// Bookkeeping that counts failed sends as acknowledged (`errors.tolerance=all`)
    /// instead of failing the task.
    pub fn tolerating_send_errors(tolerate: bool) -> SubmittedRecords {
        SubmittedRecords {
            tolerate_send_errors: tolerate,
            ..SubmittedRecords::default()
        }
    }

    /// The send errors tolerated since the last call.
    pub fn take_tolerated(&mut self) -> Vec<String> {
        std::mem::take(&mut self.tolerated)
    }

    /// The token the next submission gets: hand it to the producer with the record, then
    /// [`SubmittedRecords::submit`] once the producer took it.
    pub fn next_token(&self) -> u64 {
        self.base + self.order.len() as u64
    }

    /// Registers a record the producer accepted (Java `SubmittedRecords#submit`). A record
    /// without a source partition is tracked for `commit_record` and shutdown, but has no
    /// offset to commit (Java would write it under a `null` partition key, which no task
    /// can read back).
    pub fn submit(
        &mut self,
        partition: Option<Arc<OffsetMap>>,
        offset: Option<OffsetMap>,
        record: Option<Box<SourceRecord>>,
    ) -> u64 {
        let token = self.next_token();
        if let Some(p) = partition {
            let i = self.deque_of(p);
            self.partitions[i].pending.push_back((token, offset));
        }
        self.order.push_back(Slot {
            acked: false,
            record,
        });
        self.outstanding += 1;
        token
    }

    /// The index of `partition`'s deque, made if needed.
    fn deque_of(&mut self, partition: Arc<OffsetMap>) -> usize {
        // `Arc<T: Eq>` equality tries the pointer first, so a partition map shared between
        // records compares without reading it.
        if self
            .partitions
            .get(self.last)
            .is_some_and(|d| d.partition == partition)
        {
            return self.last;
        }
        let i = match self
            .partitions
            .iter()
            .position(|d| d.partition == partition)
        {
            Some(i) => i,
            None => {
                self.partitions.push(PartitionDeque {
                    partition,
                    pending: VecDeque::new(),
                });
                self.partitions.len() - 1
            }
        };
        self.last = i;
        i
    }

    fn slot(&mut self, token: u64) -> Option<&mut Slot> {
        let i = token.checked_sub(self.base)?;
        self.order.get_mut(usize::try_from(i).ok()?)
    }

    /// Applies the producer's answer for one record. A success marks it acknowledged
    /// (Java `SubmittedRecord#ack`) and returns it, with its metadata, when it was kept for
    /// `commit_record`; a failure is remembered for [`SubmittedRecords::take_failure`] and
    /// leaves the record outstanding, holding back its partition's offsets. Unknown or
    /// repeated tokens are ignored.
    pub fn ack(&mut self, ack: Ack) -> Option<Acked> {
        let result = match ack.result {
            Err(e) if self.tolerate_send_errors => {
                if self.slot(ack.token).is_some_and(|s| !s.acked) {
                    self.tolerated.push(e);
                }
                Err(None)
            }
            Err(e) => Err(Some(e)),
            Ok(position) => Ok(position),
        };
        match result {
            Ok(_) | Err(None) => {
                let slot = self.slot(ack.token)?;
                if slot.acked {
                    return None;
                }
                slot.acked = true;
                let kept = slot.record.take();
                self.outstanding -= 1;
                // The acknowledged prefix is never looked at again: tokens before `base`
                // count as acknowledged. Only an ack of the oldest record can extend it, so
                // each slot is scanned once however acks are ordered.
                if ack.token == self.base {
                    while self.order.front().is_some_and(|s| s.acked) {
                        self.order.pop_front();
                        self.base += 1;
                    }
                }
                kept.map(|record| {
                    // A tolerated failure is reported without metadata, as Java does.
                    let meta = result.ok().map(|(partition, offset)| RecordMetadata {
                        topic: record.topic.clone(),
                        partition,
                        offset,
                        timestamp: record.timestamp,
                    });
                    (*record, meta)
                })
            }
            Err(Some(e)) => {
                if self.slot(ack.token).is_some_and(|s| !s.acked) && self.failure.is_none() {
                    self.failure = Some(e);
                }
                None
            }
        }
    }

    fn is_acked(&self, token: u64) -> bool {
        match token.checked_sub(self.base) {
            None => true,
            Some(i) => usize::try_from(i)
                .ok()
                .and_then(|i| self.order.get(i))
                .is_some_and(|s| s.acked),
        }
    }

    /// Moves the acknowledged prefix of every partition's deque into the committable
    /// offsets (Java `SubmittedRecords#committableOffsets`, run on every loop iteration so
    /// that deques stay as short as what is in flight).
    pub fn update_committable(&mut self) {
        let mut emptied = false;
        for i in 0..self.partitions.len() {
            let mut latest = None;
            let everything_acked = self.partitions[i]
                .pending
                .back()
                .is_some_and(|(token, _)| *token < self.base);
            if everything_acked {
                // The usual case: all of it acknowledged. The older offsets are dropped in
                // place rather than moved out one by one.
                let pending = &mut self.partitions[i].pending;
                latest = pending.pop_back().map(|(_, o)| o);
                pending.clear();
            }
            while let Some((token, _)) = self.partitions[i].pending.front() {
                if !self.is_acked(*token) {
                    break;
                }
                latest = self.partitions[i].pending.pop_front().map(|(_, o)| o);
            }
            let deque = &self.partitions[i];
            if let Some(offset) = latest {
                match self
                    .committable
                    .iter_mut()
                    .find(|(p, _)| *p == deque.partition)
                {
                    Some(slot) => slot.1 = offset,
                    None => self.committable.push((deque.partition.clone(), offset)),
                }
            }
            emptied |= deque.pending.is_empty();
        }
        if emptied {
            self.partitions.retain(|d| !d.pending.is_empty());
            self.last = 0;
        }
    }

    /// The committable offsets gathered so far, latest per source partition, in the order
    /// partitions were first seen; the caller owns them until they are written.
    pub fn take_committable(&mut self) -> Vec<(Arc<OffsetMap>, Option<OffsetMap>)> {
        self.update_committable();
        std::mem::take(&mut self.committable)
    }

    /// Records submitted and neither acknowledged nor given up.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    pub fn is_empty(&self) -> bool {
        self.outstanding == 0
    }

    /// The first send failure reported since the last call.
    pub fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }

    /// Java `SubmittedRecords#awaitAllMessages`: applies acks from `acks` until nothing is
    /// outstanding, a send failed, the producer is gone or `deadline` passes. Returns the
    /// records acknowledged meanwhile (for `commit_record`) and whether everything was
    /// acknowledged.
    pub async fn await_all(
        &mut self,
        acks: &mut mpsc::UnboundedReceiver<Ack>,
        deadline: Instant,
    ) -> (Vec<Acked>, bool) {
        let mut done = Vec::new();
        while !self.is_empty() && self.failure.is_none() {
            match tokio::time::timeout_at(deadline, acks.recv()).await {
                Ok(Some(ack)) => done.extend(self.ack(ack)),
                Ok(None) | Err(_) => break,
            }
        }
        let all = self.is_empty();
        (done, all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::Value;
    use std::time::Duration;

    fn partition(name: &str) -> Arc<OffsetMap> {
        Arc::new(OffsetMap::with_entry("file", name))
    }

    fn offset(n: i64) -> Option<OffsetMap> {
        Some(OffsetMap::with_entry("line", n))
    }

    fn ok(token: u64) -> Ack {
        Ack {
            token,
            result: Ok((0, token as i64)),
        }
    }

    fn failed(token: u64) -> Ack {
        Ack {
            token,
            result: Err("broker said no".into()),
        }
    }

    #[test]
    fn a_failed_send_is_acknowledged_and_kept_for_reporting_under_tolerance_all() {
        let mut s = SubmittedRecords::tolerating_send_errors(true);
        let a = s.submit(Some(partition("f")), offset(1), None);
        let b = s.submit(Some(partition("f")), offset(2), None);
        s.ack(failed(a));
        s.ack(ok(b));
        s.update_committable();
        assert!(s.is_empty());
        assert_eq!(s.take_failure(), None);
        assert_eq!(s.take_tolerated(), vec!["broker said no".to_string()]);
        // Java acks the failed record too, so the offsets move past it.
        assert_eq!(committable(&mut s), vec![("f".to_string(), Some(2))]);
    }

    #[test]
    fn a_tolerated_failure_is_handed_to_commit_record_without_metadata() {
        let mut s = SubmittedRecords::tolerating_send_errors(true);
        let record = SourceRecord {
            topic: "t".into(),
            kafka_partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            timestamp: None,
            headers: Default::default(),
            meta: Default::default(),
        };
        let a = s.submit(Some(partition("f")), offset(1), Some(Box::new(record)));
        let (kept, meta) = s.ack(failed(a)).expect("kept for commit_record");
        assert_eq!(kept.topic, "t");
        assert_eq!(meta, None);
    }

    /// `(partition name, line)` of the committable offsets.
    fn committable(s: &mut SubmittedRecords) -> Vec<(String, Option<i64>)> {
        s.take_committable()
            .into_iter()
            .map(|(p, o)| {
                (
                    p.get("file").and_then(|v| v.as_str()).unwrap().to_string(),
                    o.and_then(|o| o.get("line").and_then(|v| v.as_i64())),
                )
            })
            .collect()
    }

    #[test]
    fn tokens_are_consecutive_and_predicted_by_next_token() {
        let mut s = SubmittedRecords::default();
        let a = partition("a");
        for expected in 0..5 {
            assert_eq!(s.next_token(), expected);
            assert_eq!(
                s.submit(Some(a.clone()), offset(expected as i64), None),
                expected
            );
        }
        assert_eq!(s.outstanding(), 5);
        s.ack(ok(0));
        s.ack(ok(1));
        assert_eq!(s.next_token(), 5, "acknowledging does not reuse tokens");
        assert_eq!(s.outstanding(), 3);
    }

    #[test]
    fn nothing_is_committable_before_an_ack() {
        let mut s = SubmittedRecords::default();
        s.submit(Some(partition("a")), offset(1), None);
        assert!(committable(&mut s).is_empty());
        assert!(!s.is_empty());
    }

    #[test]
    fn only_the_acknowledged_prefix_of_a_partition_is_committable() {
        let mut s = SubmittedRecords::default();
        let a = partition("a");
        for line in 0..4 {
            s.submit(Some(a.clone()), offset(line), None);
        }
        // Out of order: 1 and 3 first; 0 holds both back.
        s.ack(ok(1));
        s.ack(ok(3));
        assert!(committable(&mut s).is_empty());
        s.ack(ok(0));
        assert_eq!(committable(&mut s), vec![("a".into(), Some(1))]);
        s.ack(ok(2));
        assert_eq!(committable(&mut s), vec![("a".into(), Some(3))]);
        assert!(s.is_empty());
        assert!(
            committable(&mut s).is_empty(),
            "taken offsets are not offered twice"
        );
    }

    #[test]
    fn an_unacknowledged_record_holds_back_only_its_own_partition() {
        let mut s = SubmittedRecords::default();
        let (a, b) = (partition("a"), partition("b"));
        s.submit(Some(a.clone()), offset(10), None); // 0: never acknowledged
        s.submit(Some(b.clone()), offset(20), None); // 1
        s.submit(Some(a.clone()), offset(11), None); // 2
        s.submit(Some(b.clone()), offset(21), None); // 3
        for t in [1, 2, 3] {
            s.ack(ok(t));
        }
        assert_eq!(committable(&mut s), vec![("b".into(), Some(21))]);
        assert_eq!(s.outstanding(), 1);
        s.ack(ok(0));
        assert_eq!(committable(&mut s), vec![("a".into(), Some(11))]);
    }

    #[test]
    fn a_failed_send_holds_back_its_partition_and_is_reported_once() {
        let mut s = SubmittedRecords::default();
        let (a, b) = (partition("a"), partition("b"));
        s.submit(Some(a.clone()), offset(1), None);
        s.submit(Some(a.clone()), offset(2), None);
        s.submit(Some(b.clone()), offset(7), None);
        s.ack(failed(0));
        s.ack(failed(1));
        s.ack(ok(2));
        assert_eq!(s.take_failure().as_deref(), Some("broker said no"));
        assert_eq!(s.take_failure(), None);
        assert_eq!(committable(&mut s), vec![("b".into(), Some(7))]);
        assert_eq!(s.outstanding(), 2, "failed records stay outstanding");
    }

    #[test]
    fn the_latest_offset_wins_and_partitions_keep_first_seen_order() {
        let mut s = SubmittedRecords::default();
        let (a, b) = (partition("a"), partition("b"));
        s.submit(Some(b.clone()), offset(1), None);
        s.submit(Some(a.clone()), offset(1), None);
        s.submit(Some(b.clone()), offset(2), None);
        for t in 0..3 {
            s.ack(ok(t));
        }
        s.update_committable();
        // More acks before the flush takes them: still one entry per partition.
        s.submit(Some(b.clone()), offset(3), None);
        s.ack(ok(3));
        assert_eq!(
            committable(&mut s),
            vec![("b".into(), Some(3)), ("a".into(), Some(1))]
        );
    }

    #[test]
    fn equal_partition_maps_that_are_not_shared_are_one_partition() {
        let mut s = SubmittedRecords::default();
        s.submit(Some(partition("a")), offset(1), None);
        s.submit(Some(partition("a")), offset(2), None);
        s.ack(ok(1));
        assert!(
            committable(&mut s).is_empty(),
            "token 0 is the same partition"
        );
        s.ack(ok(0));
        assert_eq!(committable(&mut s), vec![("a".into(), Some(2))]);
    }

    #[test]
    fn a_null_offset_is_committable_as_a_removal() {
        let mut s = SubmittedRecords::default();
        s.submit(Some(partition("a")), offset(1), None);
        s.submit(Some(partition("a")), None, None);
        s.ack(ok(0));
        s.ack(ok(1));
        assert_eq!(committable(&mut s), vec![("a".into(), None)]);
    }

    #[test]
    fn records_without_a_partition_are_tracked_but_commit_nothing() {
        let mut s = SubmittedRecords::default();
        s.submit(None, offset(1), None);
        s.submit(Some(partition("a")), offset(5), None);
        s.ack(ok(1));
        assert_eq!(committable(&mut s), vec![("a".into(), Some(5))]);
        assert_eq!(s.outstanding(), 1);
        s.ack(ok(0));
        assert!(committable(&mut s).is_empty());
        assert!(s.is_empty());
    }

    #[test]
    fn unknown_and_repeated_acks_are_ignored() {
        let mut s = SubmittedRecords::default();
        s.submit(Some(partition("a")), offset(1), None);
        s.submit(Some(partition("a")), offset(2), None);
        assert!(s.ack(ok(99)).is_none());
        s.ack(ok(0));
        s.ack(ok(0));
        assert_eq!(s.outstanding(), 1, "a repeated ack counts once");
        s.ack(failed(0));
        assert_eq!(s.take_failure(), None, "a failure after success is ignored");
        s.ack(failed(42));
        assert_eq!(
            s.take_failure(),
            None,
            "a failure of an unknown token is ignored"
        );
        assert_eq!(committable(&mut s), vec![("a".into(), Some(1))]);
    }

    #[test]
    fn kept_records_come_back_with_their_metadata_in_ack_order() {
        let mut s = SubmittedRecords::default();
        let record = |v: i64| {
            let mut r = SourceRecord::new(None, None, "out".to_string(), None, Value::Int64(v));
            r.timestamp = Some(1000 + v);
            Box::new(r)
        };
        s.submit(Some(partition("a")), offset(0), Some(record(0)));
        s.submit(Some(partition("a")), offset(1), Some(record(1)));
        s.submit(Some(partition("a")), offset(2), None);
        let (r1, m1) = s
            .ack(Ack {
                token: 1,
                result: Ok((3, 41)),
            })
            .expect("kept");
        assert_eq!(r1.value, Value::Int64(1));
        let m1 = m1.unwrap();
        assert_eq!(
            (m1.topic.as_str(), m1.partition, m1.offset, m1.timestamp),
            ("out", 3, 41, Some(1001))
        );
        assert!(s.ack(ok(2)).is_none(), "not kept");
        let (r0, _) = s.ack(ok(0)).expect("kept");
        assert_eq!(r0.value, Value::Int64(0));
    }

    #[test]
    fn many_partitions_and_records_in_flight() {
        // Acks arrive per partition in reverse partition order: each partition's offsets
        // become committable exactly when its own records are all acknowledged.
        let mut s = SubmittedRecords::default();
        let parts: Vec<Arc<OffsetMap>> = (0..10).map(|i| partition(&format!("p{i}"))).collect();
        let mut tokens: Vec<Vec<u64>> = vec![Vec::new(); 10];
        for n in 0..1000 {
            let p = n % 10;
            tokens[p].push(s.submit(Some(parts[p].clone()), offset(n as i64), None));
        }
        for p in (0..10).rev() {
            for t in tokens[p].iter().rev() {
                s.ack(ok(*t));
            }
            let c = committable(&mut s);
            assert_eq!(c, vec![(format!("p{p}"), Some(990 + p as i64))]);
        }
        assert!(s.is_empty());
        assert!(s.partitions.is_empty(), "emptied deques are dropped");
        assert!(s.order.is_empty(), "the acknowledged prefix is dropped");
    }

    #[test]
    fn the_acknowledged_prefix_is_dropped_once_the_oldest_record_is_acknowledged() {
        let mut s = SubmittedRecords::default();
        for line in 0..100 {
            s.submit(Some(partition("a")), offset(line), None);
        }
        for t in (1..100).rev() {
            s.ack(ok(t));
        }
        assert_eq!(s.order.len(), 100, "held by the oldest record");
        s.ack(ok(0));
        assert!(s.order.is_empty());
        assert_eq!(s.next_token(), 100);
        assert_eq!(committable(&mut s), vec![("a".into(), Some(99))]);
    }

    #[tokio::test(start_paused = true)]
    async fn await_all_drains_acks_until_everything_is_acknowledged() {
        let mut s = SubmittedRecords::default();
        for line in 0..3 {
            s.submit(Some(partition("a")), offset(line), None);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            for t in [2, 0, 1] {
                tokio::time::sleep(Duration::from_millis(10)).await;
                tx.send(ok(t)).unwrap();
            }
            // Kept open: the drain must end because nothing is outstanding.
            std::future::pending::<()>().await;
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let (_, all) = s.await_all(&mut rx, deadline).await;
        assert!(all);
        assert!(Instant::now() < deadline);
        assert_eq!(committable(&mut s), vec![("a".into(), Some(2))]);
    }

    #[tokio::test(start_paused = true)]
    async fn await_all_gives_up_at_the_deadline_keeping_what_was_acknowledged() {
        let mut s = SubmittedRecords::default();
        for line in 0..3 {
            s.submit(Some(partition("a")), offset(line), None);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(ok(0)).unwrap();
        let start = Instant::now();
        let (_, all) = s
            .await_all(&mut rx, start + Duration::from_millis(500))
            .await;
        assert!(!all);
        assert_eq!(Instant::now() - start, Duration::from_millis(500));
        assert_eq!(s.outstanding(), 2);
        assert_eq!(committable(&mut s), vec![("a".into(), Some(0))]);
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn await_all_stops_at_a_failure_or_a_closed_producer() {
        let mut s = SubmittedRecords::default();
        for line in 0..3 {
            s.submit(Some(partition("a")), offset(line), None);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(failed(1)).unwrap();
        tx.send(ok(2)).unwrap();
        let far = Instant::now() + Duration::from_secs(3600);
        let (_, all) = s.await_all(&mut rx, far).await;
        assert!(!all);
        assert!(s.take_failure().is_some());
        assert_eq!(
            s.outstanding(),
            3,
            "the ack after the failure is left unread"
        );
        drop(tx);
        let start = Instant::now();
        let (_, all) = s.await_all(&mut rx, far).await;
        assert!(!all);
        // The remaining ack was read, then the closed channel ended the wait at once.
        assert_eq!(Instant::now(), start);
        assert_eq!(s.outstanding(), 2);
    }
}
