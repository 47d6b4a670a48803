//! Source offset storage: the backing store trait, the standalone file store, and the
//! per-connector reader and writer that use Java's key and value encoding.
//!
//! Keys are `["<connector>",{partition}]` and values the offset object, both compact JSON
//! (data-and-converters.md §3.4). The store matches keys by their parsed JSON, not their
//! bytes, so entries written by a Java worker with another key order are still found.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use rconnect_sdk::offset::{OffsetMap, OffsetStorageReader};
use rconnect_sdk::{ConnectError, ConnectResult};
use serde_json::Value as Json;
use std::sync::Arc;

/// Why the offset store failed.
#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    #[error("cannot read offsets file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("offsets file {path} is corrupt ({reason}); refusing to overwrite it: move it away to start with no offsets")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot write offsets file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The offsets topic (distributed mode) could not be read to its end or written.
    #[error("cannot {action} offsets topic {topic}: {reason}")]
    Topic {
        action: &'static str,
        topic: String,
        reason: String,
    },
}

impl From<OffsetStoreError> for ConnectError {
    fn from(e: OffsetStoreError) -> Self {
        ConnectError::connect(e.to_string())
    }
}

/// Raw key/value storage of source offsets (Java `OffsetBackingStore`).
#[async_trait]
pub trait OffsetBackingStore: Send + Sync {
    /// Values for `keys`, in order.
    async fn get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, OffsetStoreError>;
    /// Writes entries durably; a `None` value deletes the key.
    async fn set(&self, entries: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), OffsetStoreError>;
    /// Every stored entry.
    async fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)>;
}

/// A key's identity: its JSON with object keys sorted, so key order does not matter.
pub fn canonical_key(raw: &[u8]) -> Vec<u8> {
    fn sort(v: Json) -> Json {
        match v {
            Json::Object(m) => {
                let mut entries: Vec<(String, Json)> =
                    m.into_iter().map(|(k, v)| (k, sort(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(entries.into_iter().collect())
            }
            Json::Array(a) => Json::Array(a.into_iter().map(sort).collect()),
            other => other,
        }
    }
    match serde_json::from_slice::<Json>(raw) {
        Ok(v) => serde_json::to_vec(&sort(v)).unwrap_or_else(|_| raw.to_vec()),
        Err(_) => raw.to_vec(),
    }
}

#[derive(Default)]
struct Table {
    /// canonical key → (key as first written, value)
    entries: HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
}

impl Table {
    fn apply(&mut self, entries: &[(Vec<u8>, Option<Vec<u8>>)]) {
        for (k, v) in entries {
            let ck = canonical_key(k);
            match v {
                Some(v) => {
                    self.entries.insert(ck, (k.clone(), v.clone()));
                }
                None => {
                    self.entries.remove(&ck);
                }
            }
        }
    }
}

/// The standalone store: everything in memory, persisted to
/// `offset.storage.file.filename` on every write.
///
/// The file is JSON (`{"version":1,"entries":[[key,value],...]}`, key and value being the
/// JSON texts Java would write) and is replaced atomically: written to a temporary file,
/// synced, then renamed over the old one, so a crash mid-write leaves the previous
/// committed offsets intact. Java's file format (Java serialization) is not read.
pub struct FileOffsetStore {
    path: PathBuf,
    table: Mutex<Table>,
    /// Serializes writers so an older snapshot never renames over a newer one.
    write_lock: tokio::sync::Mutex<()>,
    /// The runtime the store was opened on (the data path), whose blocking pool writes the
    /// file. A REST request (an offset reset) writes while holding `write_lock`; on the REST
    /// runtime's pool, busy with other requests, it would hold up the tasks' flushes.
    runtime: Option<tokio::runtime::Handle>,
}

impl FileOffsetStore {
    /// Opens the store, loading the file if it exists.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OffsetStoreError> {
        let path = path.into();
        let mut table = Table::default();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let entries = parse_file(&bytes).map_err(|reason| OffsetStoreError::Corrupt {
                    path: path.clone(),
                    reason,
                })?;
                table.apply(
                    &entries
                        .into_iter()
                        .map(|(k, v)| (k, Some(v)))
                        .collect::<Vec<_>>(),
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(OffsetStoreError::Read { path, source }),
        }
        Ok(FileOffsetStore {
            path,
            table: Mutex::new(table),
            write_lock: tokio::sync::Mutex::new(()),
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    fn snapshot(&self) -> Vec<u8> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries: Vec<(&Vec<u8>, &Vec<u8>)> =
            table.entries.values().map(|(k, v)| (k, v)).collect();
        entries.sort();
        let list: Vec<Json> = entries
            .into_iter()
            .map(|(k, v)| {
                Json::Array(vec![
                    Json::String(String::from_utf8_lossy(k).into_owned()),
                    Json::String(String::from_utf8_lossy(v).into_owned()),
                ])
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"version": 1, "entries": list}))
            .expect("JSON of strings")
    }
}

/// Serialized key and value of one stored offset.
type KeyValueBytes = (Vec<u8>, Vec<u8>);

fn parse_file(bytes: &[u8]) -> Result<Vec<KeyValueBytes>, String> {
    let doc: Json = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let list = doc
        .get("entries")
        .and_then(Json::as_array)
        .ok_or("no \"entries\" array")?;
    list.iter()
        .map(|e| match e.as_array().map(Vec::as_slice) {
            Some([Json::String(k), Json::String(v)]) => {
                Ok((k.clone().into_bytes(), v.clone().into_bytes()))
            }
            _ => Err(format!("bad entry {e}")),
        })
        .collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // Make the rename itself durable.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[async_trait]
impl OffsetBackingStore for FileOffsetStore {
    async fn get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, OffsetStoreError> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        Ok(keys
            .iter()
            .map(|k| table.entries.get(&canonical_key(k)).map(|(_, v)| v.clone()))
            .collect())
    }

    async fn set(&self, entries: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), OffsetStoreError> {
        let _guard = self.write_lock.lock().await;
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .apply(&entries);
        let bytes = self.snapshot();
        let path = self.path.clone();
        let write = move || write_atomically(&path, &bytes);
        let result = match &self.runtime {
            Some(runtime) => runtime.spawn_blocking(write).await,
            None => tokio::task::spawn_blocking(write).await,
        };
        match result {
            Ok(r) => r.map_err(|source| OffsetStoreError::Write {
                path: self.path.clone(),
                source,
            }),
            Err(join) => Err(OffsetStoreError::Write {
                path: self.path.clone(),
                source: std::io::Error::other(join.to_string()),
            }),
        }
    }

    async fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.entries.values().cloned().collect()
    }
}

/// The stored key of a connector's source partition: `["<connector>",{partition}]`.
pub fn offset_key(connector: &str, partition: &OffsetMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + connector.len());
    out.push(b'[');
    serde_json::to_writer(&mut out, connector).expect("string");
    out.push(b',');
    serde_json::to_writer(&mut out, partition).expect("map");
    out.push(b']');
    out
}

/// Checks Java's rule: offset and partition maps hold only primitive values.
pub fn validate_offset_map(what: &str, m: &OffsetMap) -> ConnectResult<()> {
    for (k, v) in m {
        if v.is_object() || v.is_array() {
            return Err(ConnectError::data(format!(
                "{what} may only contain primitive types but field {k} has a non-primitive value"
            )));
        }
    }
    Ok(())
}

/// The offsets of every partition of `connector` in `store`.
pub async fn connector_offsets(
    store: &dyn OffsetBackingStore,
    connector: &str,
) -> Vec<(OffsetMap, Option<OffsetMap>)> {
    let mut out = Vec::new();
    for (k, v) in store.entries().await {
        let Ok(Json::Array(key)) = serde_json::from_slice::<Json>(&k) else {
            continue;
        };
        let [Json::String(name), Json::Object(partition)] = key.as_slice() else {
            continue;
        };
        if name != connector {
            continue;
        }
        let offset = serde_json::from_slice::<Json>(&v)
            .ok()
            .and_then(|v| OffsetMap::try_from(v).ok());
        out.push((OffsetMap::from(partition.clone()), offset));
    }
    out.sort_by(|a, b| {
        serde_json::to_string(&a.0)
            .unwrap_or_default()
            .cmp(&serde_json::to_string(&b.0).unwrap_or_default())
    });
    out
}

/// A connector's view of the store (Java `OffsetStorageReaderImpl`).
pub struct ConnectorOffsetReader {
    pub connector: String,
    pub store: Arc<dyn OffsetBackingStore>,
}

#[async_trait]
impl OffsetStorageReader for ConnectorOffsetReader {
    async fn offsets(&self, partitions: &[OffsetMap]) -> ConnectResult<Vec<Option<OffsetMap>>> {
        let keys: Vec<Vec<u8>> = partitions
            .iter()
            .map(|p| offset_key(&self.connector, p))
            .collect();
        let values = self.store.get(&keys).await?;
        // Best effort, as Java: an undecodable value reads as absent.
        Ok(values
            .into_iter()
            .map(|v| {
                v.and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok())
                    .and_then(|j| OffsetMap::try_from(j).ok())
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Json) -> OffsetMap {
        OffsetMap::try_from(v).unwrap()
    }

    #[test]
    fn key_bytes_match_java() {
        let k = offset_key("file-src", &map(json!({"filename": "/tmp/test.txt"})));
        assert_eq!(k, br#"["file-src",{"filename":"/tmp/test.txt"}]"#);
    }

    #[tokio::test]
    async fn file_store_round_trip_and_key_order_insensitive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets");
        let store = FileOffsetStore::open(&path).unwrap();
        let written = br#"["c",{"protocol":"1","table":"t"}]"#.to_vec();
        store
            .set(vec![(written, Some(br#"{"position":7}"#.to_vec()))])
            .await
            .unwrap();
        drop(store);
        let store = FileOffsetStore::open(&path).unwrap();
        let reordered = br#"["c",{"table":"t","protocol":"1"}]"#.to_vec();
        assert_eq!(
            store.get(std::slice::from_ref(&reordered)).await.unwrap(),
            vec![Some(br#"{"position":7}"#.to_vec())]
        );
        store.set(vec![(reordered.clone(), None)]).await.unwrap();
        assert_eq!(store.get(&[reordered]).await.unwrap(), vec![None]);
    }

    #[test]
    fn corrupt_file_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets");
        std::fs::write(&path, b"garbage").unwrap();
        let err = FileOffsetStore::open(&path).err().unwrap();
        assert!(err.to_string().contains("corrupt"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"garbage");
    }
}
