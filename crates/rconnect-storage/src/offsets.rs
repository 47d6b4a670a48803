//! Source offsets in `offset.storage.topic` (internals.md §3; Java
//! `KafkaOffsetBackingStore`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rconnect_config::WorkerConfig;
use rconnect_runtime::offsets::{canonical_key, OffsetBackingStore, OffsetStoreError};

use crate::clients::{internal_log_config, InternalTopic};
use crate::{KafkaBasedLog, LogConfig, StorageError};

/// canonical key → (key bytes as last written, value)
type Table = HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>;

/// Source offsets kept in a compacted topic. Keys are `["<connector>",{partition}]` and
/// values the offset object, both JSON bytes as the runtime encodes them; a tombstone
/// removes the offset. The whole topic is kept in memory, filled by the log's reader, so
/// offsets written by other workers are seen. Keys are matched by their parsed JSON
/// ([`canonical_key`]), so entries written by a Java worker with another key order are found.
pub struct KafkaOffsetStore {
    log: KafkaBasedLog,
    table: Arc<Mutex<Table>>,
    timeout: Duration,
}

fn apply(table: &Mutex<Table>, key: Option<&[u8]>, value: Option<&[u8]>) {
    let Some(key) = key else {
        tracing::warn!("ignoring offsets record without a key");
        return;
    };
    let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
    let canonical = canonical_key(key);
    match value {
        Some(value) => {
            table.insert(canonical, (key.to_vec(), value.to_vec()));
        }
        None => {
            table.remove(&canonical);
        }
    }
}

/// Replaces each key that equals a stored key as JSON but not byte for byte by the stored
/// bytes. The producer picks the partition from the key bytes (Java's murmur2 partitioner),
/// so a tombstone or update spelled in another key order would land on another partition:
/// a reader could then apply it before the record it replaces (order holds only within a
/// partition), and compaction would never remove the old record.
fn stored_key_bytes(
    table: &Mutex<Table>,
    entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let table = table.lock().unwrap_or_else(|p| p.into_inner());
    if table.is_empty() {
        return entries;
    }
    entries
        .into_iter()
        .map(|(key, value)| match table.get(&canonical_key(&key)) {
            Some((stored, _)) if *stored != key => (stored.clone(), value),
            _ => (key, value),
        })
        .collect()
}

impl KafkaOffsetStore {
    /// Starts the store over the worker's `offset.storage.topic` (client id
    /// `<base>offsets`) and reads the topic to its end. The topic must exist (see
    /// [`crate::ensure_internal_topics`]).
    pub async fn start(worker: &WorkerConfig) -> Result<KafkaOffsetStore, StorageError> {
        Self::start_with(internal_log_config(worker, InternalTopic::Offsets)?).await
    }

    /// Starts the store over an explicitly configured log.
    pub async fn start_with(config: LogConfig) -> Result<KafkaOffsetStore, StorageError> {
        let table: Arc<Mutex<Table>> = Arc::default();
        let sink = table.clone();
        let log = KafkaBasedLog::start(
            config,
            Box::new(move |r| apply(&sink, r.key.as_deref(), r.value.as_deref())),
        )
        .await?;
        Ok(KafkaOffsetStore {
            log,
            table,
            timeout: Duration::from_secs(30),
        })
    }

    /// Reads the topic to its current end.
    pub async fn read_to_end(&self) -> Result<(), StorageError> {
        self.log.read_to_end(self.timeout).await
    }

    /// Stops the reader and flushes the producer.
    pub async fn stop(&self) {
        self.log.stop().await;
    }
}

#[async_trait]
impl OffsetBackingStore for KafkaOffsetStore {
    /// Reads to the end of the topic first, as Java does.
    async fn get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, OffsetStoreError> {
        self.read_to_end()
            .await
            .map_err(|e| OffsetStoreError::Topic {
                action: "read",
                topic: self.log.topic().to_string(),
                reason: e.to_string(),
            })?;
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        Ok(keys
            .iter()
            .map(|k| table.get(&canonical_key(k)).map(|(_, v)| v.clone()))
            .collect())
    }

    /// Sends one record per entry and waits for all acknowledgements. The in-memory table
    /// changes when the records are read back. A key equal as JSON to a stored one is sent
    /// with the stored bytes ([`stored_key_bytes`]).
    async fn set(&self, entries: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), OffsetStoreError> {
        let entries = stored_key_bytes(&self.table, entries);
        self.log
            .send_all(&entries, self.timeout)
            .await
            .map_err(|e| OffsetStoreError::Topic {
                action: "write to",
                topic: self.log.topic().to_string(),
                reason: e.to_string(),
            })
    }

    /// Every live entry after reading to the end (on a read failure, what was read so far).
    async fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        if let Err(e) = self.read_to_end().await {
            tracing::warn!(error = %e, "listing offsets without reading to the end of the topic");
        }
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_matches_keys_by_json_and_applies_tombstones() {
        let table = Mutex::new(Table::new());
        apply(
            &table,
            Some(br#"["c",{"b":"2","a":1}]"#),
            Some(b"{\"pos\":1}"),
        );
        apply(&table, Some(br#"["c",{"x":1}]"#), Some(b"{\"pos\":2}"));
        apply(&table, None, Some(b"{}"));
        let t = table.lock().unwrap();
        assert_eq!(
            t.get(&canonical_key(br#"["c",{"a":1,"b":"2"}]"#))
                .map(|e| e.1.clone()),
            Some(b"{\"pos\":1}".to_vec())
        );
        drop(t);
        apply(&table, Some(br#"["c",{"a":1,"b":"2"}]"#), None);
        let t = table.lock().unwrap();
        assert!(t.get(&canonical_key(br#"["c",{"b":"2","a":1}]"#)).is_none());
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn writes_reuse_the_stored_bytes_of_an_equal_key() {
        let table = Mutex::new(Table::new());
        let stored = br#"["c",{"b":"2","a":1}]"#.to_vec();
        apply(&table, Some(&stored), Some(b"{\"pos\":1}"));
        let routed = stored_key_bytes(
            &table,
            vec![
                (br#"["c",{"a":1,"b":"2"}]"#.to_vec(), None),
                (stored.clone(), Some(b"{\"pos\":2}".to_vec())),
                (br#"["c",{"a":2}]"#.to_vec(), Some(b"{}".to_vec())),
            ],
        );
        assert_eq!(
            routed,
            vec![
                (stored.clone(), None),
                (stored, Some(b"{\"pos\":2}".to_vec())),
                (br#"["c",{"a":2}]"#.to_vec(), Some(b"{}".to_vec())),
            ]
        );
        // Nothing stored: keys go out as given.
        let empty = Mutex::new(Table::new());
        let given = vec![(br#"["c",{"a":1,"b":"2"}]"#.to_vec(), None)];
        assert_eq!(stored_key_bytes(&empty, given.clone()), given);
    }
}
