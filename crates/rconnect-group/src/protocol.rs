//! Byte layouts of the Connect group sub-protocols (spec `internals.md` §5.3–§5.5).
//!
//! These are the bytes carried opaquely by the Kafka group APIs: [`WorkerMetadata`] travels in
//! JoinGroup's per-protocol `metadata`, [`ConnectAssignment`] in SyncGroup's `assignment`.
//! Layouts match Java's `ConnectProtocol` (V0, `default`) and
//! `IncrementalCooperativeConnectProtocol` (V1 `compatible`, V2 `sessioned`) byte for byte.
//!
//! Readers accept any version ≥ 0 and parse the prefix they know, so a future V3 body is read
//! as V1/V2 and a V0 assignment body read as V1 gets empty revocations and no delay.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Protocol version of the `default` (eager) sub-protocol.
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// Protocol version of the `compatible` (incremental cooperative) sub-protocol.
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// Protocol version of the `sessioned` (cooperative with request signing) sub-protocol.
pub const CONNECT_PROTOCOL_V2: i16 = 2;

/// Assignment error code: no error.
pub const NO_ERROR: i16 = 0;
/// Assignment error code: the leader's config snapshot is behind some member's (§6.1).
pub const CONFIG_MISMATCH: i16 = 1;

/// The task id that stands for the connector instance itself in an assignment array.
pub const CONNECTOR_TASK: i32 = -1;

/// The longest string the protocol can carry, in UTF-8 bytes: strings (connector names, URLs,
/// member ids) have an int16 length (Java `Type.STRING`).
pub const MAX_STRING_BYTES: usize = i16::MAX as usize;

/// True when `s` fits a protocol string, so an assignment naming it can be encoded.
pub fn is_encodable_string(s: &str) -> bool {
    s.len() <= MAX_STRING_BYTES
}

/// A malformed or truncated Connect protocol body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The body ended before `field` could be read.
    #[error("connect protocol {body}: truncated while reading field `{field}`")]
    Truncated {
        /// `metadata` or `assignment`.
        body: &'static str,
        /// The field being read.
        field: &'static str,
    },
    /// The version header is negative.
    #[error("connect protocol {body}: invalid negative version {version}")]
    NegativeVersion {
        /// `metadata` or `assignment`.
        body: &'static str,
        /// The version read.
        version: i16,
    },
    /// A length prefix is negative where null is not allowed.
    #[error("connect protocol {body}: invalid length {length} for field `{field}`")]
    InvalidLength {
        /// `metadata` or `assignment`.
        body: &'static str,
        /// The field being read.
        field: &'static str,
        /// The length read.
        length: i32,
    },
    /// A string field is not valid UTF-8.
    #[error("connect protocol {body}: field `{field}` is not valid UTF-8")]
    InvalidUtf8 {
        /// `metadata` or `assignment`.
        body: &'static str,
        /// The field being read.
        field: &'static str,
    },
    /// A value does not fit its wire type (a string over [`MAX_STRING_BYTES`], an array over
    /// `i32::MAX` items). Nothing is truncated: the body is not written.
    #[error(
        "connect protocol {body}: field `{field}` is too long to encode ({length} bytes or items)"
    )]
    TooLong {
        /// `metadata` or `assignment`.
        body: &'static str,
        /// The field being written.
        field: &'static str,
        /// Its length: bytes for a string, items for an array.
        length: usize,
    },
}

/// One connector's entry in an assignment: the connector instance (task id `-1`) and/or tasks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorTasks {
    /// Connector name.
    pub connector: String,
    /// Task ids; [`CONNECTOR_TASK`] (`-1`) means the connector instance.
    pub tasks: Vec<i32>,
}

/// A task of a connector (`ConnectorTaskId` in Java); ordered by connector then task number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    /// Connector name.
    pub connector: String,
    /// Task number (0-based).
    pub task: i32,
}

impl TaskId {
    /// A task id.
    pub fn new(connector: impl Into<String>, task: i32) -> TaskId {
        TaskId {
            connector: connector.into(),
            task,
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// A set of connectors and tasks (Java's `ConnectorsAndTasks`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkSet {
    /// Connector instances.
    pub connectors: BTreeSet<String>,
    /// Tasks.
    pub tasks: BTreeSet<TaskId>,
}

impl WorkSet {
    /// True when there is neither a connector nor a task.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// Number of connectors plus tasks.
    pub fn len(&self) -> usize {
        self.connectors.len() + self.tasks.len()
    }

    /// Reads the wire form (`-1` = connector instance).
    pub fn from_entries(entries: &[ConnectorTasks]) -> WorkSet {
        let mut set = WorkSet::default();
        for entry in entries {
            for &task in &entry.tasks {
                if task == CONNECTOR_TASK {
                    set.connectors.insert(entry.connector.clone());
                } else {
                    set.tasks.insert(TaskId::new(entry.connector.clone(), task));
                }
            }
        }
        set
    }

    /// The wire form: connectors sorted by name, each with `-1` first (when the connector
    /// instance is included) then its task ids ascending, as Java writes them.
    pub fn to_entries(&self) -> Vec<ConnectorTasks> {
        let mut by_connector: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for connector in &self.connectors {
            by_connector
                .entry(connector)
                .or_default()
                .push(CONNECTOR_TASK);
        }
        for task in &self.tasks {
            by_connector
                .entry(&task.connector)
                .or_default()
                .push(task.task);
        }
        by_connector
            .into_iter()
            .map(|(connector, tasks)| ConnectorTasks {
                connector: connector.to_string(),
                tasks,
            })
            .collect()
    }

    /// Adds everything in `other`.
    pub fn extend(&mut self, other: &WorkSet) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }

    /// Removes everything in `other`.
    pub fn remove_all(&mut self, other: &WorkSet) {
        self.connectors.retain(|c| !other.connectors.contains(c));
        self.tasks.retain(|t| !other.tasks.contains(t));
    }

    /// `self − others…`.
    pub fn minus(&self, others: &[&WorkSet]) -> WorkSet {
        let mut out = self.clone();
        for other in others {
            out.remove_all(other);
        }
        out
    }

    /// The items in both `self` and `other`.
    pub fn intersection(&self, other: &WorkSet) -> WorkSet {
        WorkSet {
            connectors: self
                .connectors
                .intersection(&other.connectors)
                .cloned()
                .collect(),
            tasks: self.tasks.intersection(&other.tasks).cloned().collect(),
        }
    }

    /// True when `self` and `other` share a connector or a task.
    pub fn intersects(&self, other: &WorkSet) -> bool {
        self.connectors.iter().any(|c| other.connectors.contains(c))
            || self.tasks.iter().any(|t| other.tasks.contains(t))
    }
}

/// A member's JoinGroup metadata (§5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerMetadata {
    /// Header version: 0, 1 or 2 (higher versions read as their known prefix).
    pub version: i16,
    /// Advertised REST URL, e.g. `http://w1:8083/`.
    pub url: String,
    /// The worker's config-topic offset.
    pub config_offset: i64,
    /// The worker's current assignment (V1+ only); `None` on a first join or in V0.
    pub allocation: Option<ConnectAssignment>,
}

impl WorkerMetadata {
    /// Everything the member currently runs, per its allocation (empty when none).
    pub fn owned(&self) -> WorkSet {
        self.allocation
            .as_ref()
            .map(|a| a.assigned_set())
            .unwrap_or_default()
    }

    /// Serializes as `self.version`; V0 omits the allocation, V1+ writes it (re-versioned to
    /// the header's version, as Java does) or null.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let body = "metadata";
        let mut w = Writer::new(body);
        w.i16(self.version);
        w.string("url", &self.url)?;
        w.i64(self.config_offset);
        if self.version >= CONNECT_PROTOCOL_V1 {
            match &self.allocation {
                None => w.i32(-1),
                Some(allocation) => {
                    let mut allocation = allocation.clone();
                    allocation.version = self.version;
                    let bytes = allocation.encode()?;
                    w.len("allocation", bytes.len())?;
                    w.bytes(&bytes);
                }
            }
        }
        Ok(w.finish())
    }

    /// Parses a metadata body of any version ≥ 0.
    pub fn decode(bytes: &[u8]) -> Result<WorkerMetadata, ProtocolError> {
        let mut r = Reader::new("metadata", bytes);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(ProtocolError::NegativeVersion {
                body: "metadata",
                version,
            });
        }
        let url = r.string("url")?;
        let config_offset = r.i64("config-offset")?;
        let allocation = if version >= CONNECT_PROTOCOL_V1 && !r.is_empty() {
            match r.nullable_bytes("allocation")? {
                None => None,
                Some(bytes) => Some(ConnectAssignment::decode(bytes)?),
            }
        } else {
            None
        };
        Ok(WorkerMetadata {
            version,
            url,
            config_offset,
            allocation,
        })
    }
}

/// A member's assignment as carried by SyncGroup (§5.5); V0 bodies have no revocations/delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAssignment {
    /// Version: 0, 1 or 2.
    pub version: i16,
    /// [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    /// The leader's member id.
    pub leader: String,
    /// The leader's advertised REST URL.
    pub leader_url: String,
    /// Config offset the assignment is based on.
    pub config_offset: i64,
    /// Assigned work: in V0 the full set, in V1+ only the newly added items.
    pub assigned: Vec<ConnectorTasks>,
    /// Work to stop (V1+).
    pub revoked: Vec<ConnectorTasks>,
    /// Milliseconds until the scheduled follow-up rebalance, 0 for none (V1+).
    pub delay: i32,
}

impl ConnectAssignment {
    /// An assignment with no work.
    pub fn empty(
        version: i16,
        error: i16,
        leader: &str,
        leader_url: &str,
        config_offset: i64,
    ) -> ConnectAssignment {
        ConnectAssignment {
            version,
            error,
            leader: leader.to_string(),
            leader_url: leader_url.to_string(),
            config_offset,
            assigned: Vec::new(),
            revoked: Vec::new(),
            delay: 0,
        }
    }

    /// The assigned entries as a set.
    pub fn assigned_set(&self) -> WorkSet {
        WorkSet::from_entries(&self.assigned)
    }

    /// The revoked entries as a set.
    pub fn revoked_set(&self) -> WorkSet {
        WorkSet::from_entries(&self.revoked)
    }

    /// What a member embeds in its next JoinGroup metadata (V1+) after receiving `self`:
    /// this whole assignment (error, leader, leader URL, offset, revocations, delay), as
    /// Java's `WorkerCoordinator` keeps it in `assignmentSnapshot`, with the assigned entries
    /// replaced by all the work the member now runs. Re-versioned to `version`.
    ///
    /// The delay and revocations matter beyond compatibility: a member that rejoins when a
    /// scheduled rebalance is due sends metadata that differs from its previous join, which
    /// some brokers (tansu) need to start a new generation.
    pub fn as_member_allocation(&self, owned: &WorkSet, version: i16) -> ConnectAssignment {
        ConnectAssignment {
            version,
            assigned: owned.to_entries(),
            ..self.clone()
        }
    }

    /// True when the leader answered `CONFIG_MISMATCH`.
    pub fn is_config_mismatch(&self) -> bool {
        self.error == CONFIG_MISMATCH
    }

    /// Serializes as `self.version` (V0 drops `revoked` and `delay`). Arrays are written
    /// empty, never null, as Java does.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut w = Writer::new("assignment");
        w.i16(self.version);
        w.i16(self.error);
        w.string("leader", &self.leader)?;
        w.string("leader-url", &self.leader_url)?;
        w.i64(self.config_offset);
        w.entries("assignment", &self.assigned)?;
        if self.version >= CONNECT_PROTOCOL_V1 {
            w.entries("revoked", &self.revoked)?;
            w.i32(self.delay);
        }
        Ok(w.finish())
    }

    /// Parses an assignment body of any version ≥ 0; missing V1 fields default to empty
    /// revocations and no delay, so V0 bodies read fine.
    pub fn decode(bytes: &[u8]) -> Result<ConnectAssignment, ProtocolError> {
        let mut r = Reader::new("assignment", bytes);
        let version = r.i16("version")?;
        if version < 0 {
            return Err(ProtocolError::NegativeVersion {
                body: "assignment",
                version,
            });
        }
        let error = r.i16("error")?;
        let leader = r.string("leader")?;
        let leader_url = r.string("leader-url")?;
        let config_offset = r.i64("config-offset")?;
        let assigned = r.entries("assignment")?;
        let revoked = if r.is_empty() {
            Vec::new()
        } else {
            r.entries("revoked")?
        };
        let delay = if r.is_empty() { 0 } else { r.i32("delay")? };
        Ok(ConnectAssignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            assigned,
            revoked,
            delay,
        })
    }
}

struct Writer {
    body: &'static str,
    buf: Vec<u8>,
}

impl Writer {
    fn new(body: &'static str) -> Writer {
        Writer {
            body,
            buf: Vec::with_capacity(64),
        }
    }

    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    fn len(&mut self, field: &'static str, len: usize) -> Result<(), ProtocolError> {
        let len = i32::try_from(len).map_err(|_| ProtocolError::TooLong {
            body: self.body,
            field,
            length: len,
        })?;
        self.i32(len);
        Ok(())
    }

    fn string(&mut self, field: &'static str, s: &str) -> Result<(), ProtocolError> {
        let len = i16::try_from(s.len()).map_err(|_| ProtocolError::TooLong {
            body: self.body,
            field,
            length: s.len(),
        })?;
        self.i16(len);
        self.bytes(s.as_bytes());
        Ok(())
    }

    fn entries(
        &mut self,
        field: &'static str,
        entries: &[ConnectorTasks],
    ) -> Result<(), ProtocolError> {
        self.len(field, entries.len())?;
        for entry in entries {
            self.string("connector", &entry.connector)?;
            self.len("tasks", entry.tasks.len())?;
            for &task in &entry.tasks {
                self.i32(task);
            }
        }
        Ok(())
    }

    fn finish(self) -> Vec<u8> {
        self.buf
    }
}

struct Reader<'a> {
    body: &'static str,
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(body: &'static str, buf: &'a [u8]) -> Reader<'a> {
        Reader { body, buf }
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], ProtocolError> {
        if self.buf.len() < n {
            return Err(ProtocolError::Truncated {
                body: self.body,
                field,
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, ProtocolError> {
        let b = self.take(field, 2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, ProtocolError> {
        let b = self.take(field, 4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, ProtocolError> {
        let b = self.take(field, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    fn string(&mut self, field: &'static str) -> Result<String, ProtocolError> {
        let len = self.i16(field)?;
        let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidLength {
            body: self.body,
            field,
            length: len.into(),
        })?;
        let b = self.take(field, len)?;
        String::from_utf8(b.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 {
            body: self.body,
            field,
        })
    }

    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, ProtocolError> {
        let len = self.i32(field)?;
        if len == -1 {
            return Ok(None);
        }
        let n = usize::try_from(len).map_err(|_| ProtocolError::InvalidLength {
            body: self.body,
            field,
            length: len,
        })?;
        self.take(field, n).map(Some)
    }

    /// An array length; `-1` (null, allowed for the V1 arrays) reads as empty.
    fn array_len(&mut self, field: &'static str) -> Result<usize, ProtocolError> {
        let len = self.i32(field)?;
        if len == -1 {
            return Ok(0);
        }
        let n = usize::try_from(len).map_err(|_| ProtocolError::InvalidLength {
            body: self.body,
            field,
            length: len,
        })?;
        // Guards against huge bogus counts before allocating: every element is ≥ 2 bytes.
        if n > self.buf.len() {
            return Err(ProtocolError::Truncated {
                body: self.body,
                field,
            });
        }
        Ok(n)
    }

    fn entries(&mut self, field: &'static str) -> Result<Vec<ConnectorTasks>, ProtocolError> {
        let n = self.array_len(field)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let connector = self.string("connector")?;
            let count = self.array_len("tasks")?;
            let mut tasks = Vec::with_capacity(count);
            for _ in 0..count {
                tasks.push(self.i32("tasks")?);
            }
            out.push(ConnectorTasks { connector, tasks });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let digits: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
            .collect()
    }

    fn sample_assignment(version: i16) -> ConnectAssignment {
        ConnectAssignment {
            version,
            error: NO_ERROR,
            leader: "m1".into(),
            leader_url: "http://w1:8083/".into(),
            config_offset: 7,
            assigned: vec![
                ConnectorTasks {
                    connector: "c".into(),
                    tasks: vec![-1, 0, 1],
                },
                ConnectorTasks {
                    connector: "d".into(),
                    tasks: vec![2],
                },
            ],
            revoked: if version >= 1 {
                vec![ConnectorTasks {
                    connector: "e".into(),
                    tasks: vec![-1],
                }]
            } else {
                vec![]
            },
            delay: if version >= 1 { 300_000 } else { 0 },
        }
    }

    #[test]
    fn metadata_v2_first_join_golden() {
        let md = WorkerMetadata {
            version: 2,
            url: "http://w1:8083/".into(),
            config_offset: -1,
            allocation: None,
        };
        let mut expected = vec![0x00, 0x02, 0x00, 0x0f];
        expected.extend_from_slice(b"http://w1:8083/");
        expected.extend_from_slice(&[0xff; 8]);
        expected.extend_from_slice(&[0xff; 4]);
        assert_eq!(md.encode().unwrap(), expected);
        assert_eq!(WorkerMetadata::decode(&expected).unwrap(), md);
    }

    #[test]
    fn assignment_v1_golden() {
        let bytes = hex(
            "00 01 00 00 | 00 02 6d 31 | 00 0f 68 74 74 70 3a 2f 2f 77 31 3a 38 30 38 33 2f |
            00 00 00 00 00 00 00 07 | 00 00 00 01 00 01 63 00 00 00 02 ff ff ff ff 00 00 00 00 |
            00 00 00 00 | 00 00 00 00",
        );
        let mut work = WorkSet::default();
        work.connectors.insert("c".into());
        work.tasks.insert(TaskId::new("c", 0));
        let a = ConnectAssignment {
            version: 1,
            error: NO_ERROR,
            leader: "m1".into(),
            leader_url: "http://w1:8083/".into(),
            config_offset: 7,
            assigned: work.to_entries(),
            revoked: vec![],
            delay: 0,
        };
        assert_eq!(a.encode().unwrap(), bytes);
        let back = ConnectAssignment::decode(&bytes).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.assigned_set(), work);
    }

    #[test]
    fn metadata_round_trips_all_versions() {
        for version in 0..=2 {
            let md = WorkerMetadata {
                version,
                url: "http://wörker:8083/".into(),
                config_offset: 42,
                allocation: (version > 0).then(|| sample_assignment(version)),
            };
            let back = WorkerMetadata::decode(&md.encode().unwrap()).unwrap();
            assert_eq!(back, md, "version {version}");
        }
        // V0 drops the allocation on the wire.
        let md = WorkerMetadata {
            version: 0,
            url: "u".into(),
            config_offset: 1,
            allocation: Some(sample_assignment(1)),
        };
        assert_eq!(md.encode().unwrap(), hex("0000 0001 75 0000000000000001"));
        assert_eq!(
            WorkerMetadata::decode(&md.encode().unwrap())
                .unwrap()
                .allocation,
            None
        );
    }

    #[test]
    fn metadata_allocation_takes_header_version() {
        let md = WorkerMetadata {
            version: 2,
            url: "u".into(),
            config_offset: 1,
            allocation: Some(sample_assignment(1)),
        };
        let back = WorkerMetadata::decode(&md.encode().unwrap()).unwrap();
        assert_eq!(back.allocation.unwrap().version, 2);
    }

    #[test]
    fn assignment_round_trips_all_versions() {
        for version in 0..=2 {
            let a = sample_assignment(version);
            let bytes = a.encode().unwrap();
            assert_eq!(
                ConnectAssignment::decode(&bytes).unwrap(),
                a,
                "version {version}"
            );
        }
        let mut mismatch = ConnectAssignment::empty(2, CONFIG_MISMATCH, "m", "http://x/", 9);
        mismatch.delay = 5;
        let back = ConnectAssignment::decode(&mismatch.encode().unwrap()).unwrap();
        assert!(back.is_config_mismatch());
        assert_eq!(back, mismatch);
    }

    #[test]
    fn v0_assignment_read_by_v1_reader_defaults_trailing_fields() {
        let v0 = sample_assignment(0);
        let bytes = v0.encode().unwrap();
        let back = ConnectAssignment::decode(&bytes).unwrap();
        assert_eq!(back.version, 0);
        assert!(back.revoked.is_empty());
        assert_eq!(back.delay, 0);
        assert_eq!(back.assigned, v0.assigned);
    }

    #[test]
    fn higher_versions_parse_known_prefix() {
        let mut a = sample_assignment(2);
        a.version = 5;
        let mut bytes = a.encode().unwrap();
        bytes.extend_from_slice(&[1, 2, 3, 4, 5]);
        assert_eq!(ConnectAssignment::decode(&bytes).unwrap(), a);

        let md = WorkerMetadata {
            version: 3,
            url: "u".into(),
            config_offset: 3,
            allocation: None,
        };
        let mut bytes = md.encode().unwrap();
        bytes.extend_from_slice(&[9, 9]);
        assert_eq!(WorkerMetadata::decode(&bytes).unwrap(), md);

        // A V1 metadata body without the trailing allocation defaults it to null.
        let bytes = hex("0001 0001 75 0000000000000003");
        let md = WorkerMetadata::decode(&bytes).unwrap();
        assert_eq!((md.version, md.allocation), (1, None));
    }

    #[test]
    fn negative_version_and_truncation_are_errors() {
        assert_eq!(
            WorkerMetadata::decode(&hex("ffff 0001 75 0000000000000003")),
            Err(ProtocolError::NegativeVersion {
                body: "metadata",
                version: -1
            })
        );
        assert!(matches!(
            ConnectAssignment::decode(&hex("fffe")),
            Err(ProtocolError::NegativeVersion { version: -2, .. })
        ));
        let bytes = sample_assignment(1).encode().unwrap();
        for cut in [1, 5, 20, bytes.len() - 30] {
            assert!(
                matches!(
                    ConnectAssignment::decode(&bytes[..cut]),
                    Err(ProtocolError::Truncated { .. })
                ),
                "cut at {cut}"
            );
        }
        // A url length running past the end, and a bogus array count, are truncations.
        assert!(WorkerMetadata::decode(&hex("0000 0005 75")).is_err());
        assert!(matches!(
            ConnectAssignment::decode(&hex("0000 0000 0001 6d 0001 75 0000000000000000 7fffffff")),
            Err(ProtocolError::Truncated {
                field: "assignment",
                ..
            })
        ));
    }

    #[test]
    fn member_allocation_keeps_the_whole_last_assignment() {
        let mut received = ConnectAssignment::empty(2, NO_ERROR, "m1", "http://w1:8083/", 7);
        received.assigned = vec![ConnectorTasks {
            connector: "new".into(),
            tasks: vec![CONNECTOR_TASK],
        }];
        received.revoked = vec![ConnectorTasks {
            connector: "gone".into(),
            tasks: vec![0],
        }];
        received.delay = 5000;
        let owned = WorkSet::from_entries(&[
            ConnectorTasks {
                connector: "new".into(),
                tasks: vec![CONNECTOR_TASK],
            },
            ConnectorTasks {
                connector: "old".into(),
                tasks: vec![CONNECTOR_TASK, 0],
            },
        ]);
        let a = received.as_member_allocation(&owned, 1);
        assert_eq!(a.version, 1);
        assert_eq!(a.assigned, owned.to_entries());
        assert_eq!(
            (a.leader.as_str(), a.leader_url.as_str()),
            ("m1", "http://w1:8083/")
        );
        assert_eq!((a.config_offset, a.delay), (7, 5000));
        assert_eq!(a.revoked, received.revoked);
        // Two joins after assignments that differ only in their delay send different bytes.
        let mut later = received.clone();
        later.delay = 0;
        let md = |a: ConnectAssignment| WorkerMetadata {
            version: 2,
            url: "http://w2:8083/".into(),
            config_offset: 7,
            allocation: Some(a.as_member_allocation(&owned, 2)),
        };
        assert_ne!(md(received).encode().unwrap(), md(later).encode().unwrap());
    }

    #[test]
    fn connector_instance_is_written_first() {
        let mut work = WorkSet::default();
        work.tasks.insert(TaskId::new("b", 1));
        work.tasks.insert(TaskId::new("b", 0));
        work.connectors.insert("b".into());
        work.connectors.insert("a".into());
        assert_eq!(
            work.to_entries(),
            vec![
                ConnectorTasks {
                    connector: "a".into(),
                    tasks: vec![-1]
                },
                ConnectorTasks {
                    connector: "b".into(),
                    tasks: vec![-1, 0, 1]
                },
            ]
        );
        assert_eq!(WorkSet::from_entries(&work.to_entries()), work);
    }

    #[test]
    fn names_too_long_for_a_protocol_string_are_typed_errors() {
        let at_limit = "a".repeat(MAX_STRING_BYTES);
        let over = "b".repeat(MAX_STRING_BYTES + 1);
        assert!(is_encodable_string(&at_limit));
        assert!(!is_encodable_string(&over));

        let mut a = ConnectAssignment::empty(CONNECT_PROTOCOL_V1, NO_ERROR, "m", "http://m/", 1);
        a.assigned = vec![ConnectorTasks {
            connector: at_limit.clone(),
            tasks: vec![CONNECTOR_TASK],
        }];
        let bytes = a.encode().unwrap();
        assert_eq!(ConnectAssignment::decode(&bytes).unwrap(), a);

        // Neither truncated nor wrapped: a 40,000-byte name is refused, in either array.
        a.assigned[0].connector = "x".repeat(40_000);
        assert_eq!(
            a.encode(),
            Err(ProtocolError::TooLong {
                body: "assignment",
                field: "connector",
                length: 40_000
            })
        );
        a.revoked = std::mem::take(&mut a.assigned);
        a.revoked[0].connector = over;
        let e = a.encode().unwrap_err();
        assert_eq!(
            e.to_string(),
            "connect protocol assignment: field `connector` is too long to encode (32768 bytes \
             or items)"
        );

        // A member's allocation in its metadata is checked the same way.
        let md = WorkerMetadata {
            version: CONNECT_PROTOCOL_V2,
            url: "http://m/".into(),
            config_offset: 1,
            allocation: Some(a),
        };
        assert!(matches!(
            md.encode(),
            Err(ProtocolError::TooLong {
                field: "connector",
                ..
            })
        ));
    }
}
