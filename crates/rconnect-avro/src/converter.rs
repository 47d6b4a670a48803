//! `io.confluent.connect.avro.AvroConverter`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rconnect_sdk::converter::Converter;
use rconnect_sdk::data::{Headers, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::codec::Reader;
use crate::config::AvroConverterConfig;
use crate::data::AvroData;
use crate::registry::{client_for, SchemaRegistryClient};
use crate::schema::{can_read, to_json_text, Kind, ParsedSchema};
use crate::AvroError;

const MAGIC_BYTE: u8 = 0;

/// Confluent's Avro converter: Connect data ↔ `0x00`, a 4-byte schema id, Avro binary.
///
/// The registry is asked once per distinct schema (write: per Connect schema and subject;
/// read: per topic and schema id); afterwards records convert without a network call.
/// Registry calls are async, so a conversion that must ask the registry awaits on the
/// task's own runtime without blocking a thread.
///
/// ```
/// use rconnect_avro::AvroConverter;
/// use rconnect_sdk::converter::Converter;
/// use rconnect_sdk::data::{Headers, Schema, SchemaBuilder, Struct, Value};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut c = AvroConverter::default();
/// c.configure(&[("schema.registry.url".to_string(), "mock://converter-doc".to_string())].into(), false).unwrap();
/// let schema = SchemaBuilder::struct_().name("com.example.User").field("id", Schema::int64()).build();
/// let mut user = Struct::new(schema.clone());
/// user.put("id", Value::Int64(7)).unwrap();
/// let bytes = c.from_connect("users", &mut Headers::new(), Some(&schema), &Value::Struct(user.clone())).await.unwrap().unwrap();
/// assert_eq!(&bytes[5..], [14]);
/// let back = c.to_connect("users", &Headers::new(), Some(&bytes)).await.unwrap();
/// assert_eq!(back.value.as_struct().unwrap().get("id").unwrap(), &Value::Int64(7));
/// # });
/// ```
#[derive(Default)]
pub struct AvroConverter {
    state: Option<Arc<State>>,
}

struct State {
    config: AvroConverterConfig,
    is_key: bool,
    data: AvroData,
    client: Arc<dyn SchemaRegistryClient>,
    write_cache: Mutex<Vec<(SchemaRef, Arc<WriteEntry>)>>,
    read_cache: Mutex<HashMap<(String, i32), Arc<ReadEntry>>>,
    /// The `Anything` record schemaless values are written with.
    anything: WriteEntry,
}

struct WriteEntry {
    parsed: ParsedSchema,
    /// Schema id per subject.
    ids: Mutex<HashMap<String, i32>>,
}

struct ReadEntry {
    parsed: ParsedSchema,
    /// `None` for the `Anything` record of schemaless values.
    connect: Option<SchemaRef>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a cache lock leaves only a cache behind; keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for AvroConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroConverter")
            .field("config", &self.state.as_ref().map(|s| &s.config))
            .finish_non_exhaustive()
    }
}

impl AvroConverter {
    /// A converter on an explicit registry client (Java `new AvroConverter(client)`).
    pub fn with_client(
        config: AvroConverterConfig,
        is_key: bool,
        client: Arc<dyn SchemaRegistryClient>,
    ) -> Self {
        AvroConverter {
            state: Some(Arc::new(State {
                data: AvroData::new(config.data.clone()),
                config,
                is_key,
                client,
                write_cache: Mutex::default(),
                read_cache: Mutex::default(),
                anything: WriteEntry {
                    parsed: ParsedSchema::parse(crate::data::ANYTHING_SCHEMA)
                        .expect("the Anything schema parses"),
                    ids: Mutex::default(),
                },
            })),
        }
    }

    fn state(&self) -> ConnectResult<&Arc<State>> {
        self.state
            .as_ref()
            .ok_or_else(|| ConnectError::connect("AvroConverter used before configure()"))
    }
}

fn to_connect_error(e: AvroError, context: String) -> ConnectError {
    let msg = format!("{context}{e}");
    match &e {
        AvroError::Registry(r) if r.is_retriable() => ConnectError::retriable(msg),
        _ => ConnectError::data(msg),
    }
}

impl State {
    fn write_entry(&self, schema: &SchemaRef) -> Result<Arc<WriteEntry>, AvroError> {
        {
            let mut cache = lock(&self.write_cache);
            if let Some((_, e)) = cache.iter().find(|(s, _)| Arc::ptr_eq(s, schema)) {
                return Ok(e.clone());
            }
            if let Some(e) = cache
                .iter()
                .find(|(s, _)| s == schema)
                .map(|(_, e)| e.clone())
            {
                // An equal schema in a new allocation: key it too, so that the next record
                // with it takes the synchronous path (which matches by pointer only).
                if cache.len() >= self.config.data.schemas_cache_size.max(1) {
                    cache.remove(0);
                }
                cache.push((schema.clone(), e.clone()));
                return Ok(e);
            }
        }
        let avro = self.data.from_connect_schema(schema)?;
        let text = to_json_text(&avro)?;
        let parsed = ParsedSchema::parse(&text)?;
        let entry = Arc::new(WriteEntry {
            parsed,
            ids: Mutex::default(),
        });
        let mut cache = lock(&self.write_cache);
        if cache.len() >= self.config.data.schemas_cache_size.max(1) {
            cache.remove(0);
        }
        cache.push((schema.clone(), entry.clone()));
        Ok(entry)
    }

    async fn schema_id(&self, entry: &WriteEntry, subject: &str) -> Result<i32, AvroError> {
        if let Some(id) = lock(&entry.ids).get(subject) {
            return Ok(*id);
        }
        let text = &entry.parsed.text;
        let c = &self.config;
        let wrap = |what: &str, e: crate::RegistryError| {
            // Keep the registry error (and its retriability), naming the subject.
            match e {
                crate::RegistryError::Rest {
                    status,
                    code,
                    message,
                } => AvroError::Registry(crate::RegistryError::Rest {
                    status,
                    code,
                    message: format!("{what} under subject \"{subject}\": {message}"),
                }),
                other => AvroError::Registry(other),
            }
        };
        let id = if c.auto_register_schemas {
            self.client
                .register(subject, text, c.normalize_schemas)
                .await
                .map_err(|e| wrap("Error registering Avro schema", e))?
        } else if c.use_schema_id >= 0 {
            let registered = self
                .client
                .schema_by_id(c.use_schema_id, Some(subject))
                .await
                .map_err(|e| wrap("Error retrieving schema ID", e))?;
            let parsed = ParsedSchema::parse(&registered)?;
            if !can_read(&parsed, &entry.parsed) {
                return Err(AvroError::Data(format!(
                    "Schema {} (use.schema.id) under subject \"{subject}\" cannot read data written with {text}",
                    c.use_schema_id
                )));
            }
            c.use_schema_id
        } else if c.use_latest_version {
            let latest = self
                .client
                .latest(subject)
                .await
                .map_err(|e| wrap("Error retrieving latest version of Avro schema", e))?;
            if c.latest_compatibility_strict {
                let parsed = ParsedSchema::parse(&latest.schema)?;
                if !can_read(&parsed, &entry.parsed) {
                    return Err(AvroError::Data(format!(
                        "Latest schema (version {}, id {}) under subject \"{subject}\" is not backward compatible with {text}",
                        latest.version, latest.id
                    )));
                }
            }
            latest.id
        } else {
            self.client
                .lookup(subject, text, false)
                .await
                .map_err(|e| wrap("Error retrieving Avro schema", e))?
                .id
        };
        lock(&entry.ids).insert(subject.to_string(), id);
        Ok(id)
    }

    async fn serialize(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, AvroError> {
        let Some(schema) = schema else {
            if value.is_null() {
                return Ok(None);
            }
            let strategy = self.config.subject_strategy(self.is_key);
            let subject = strategy.subject(topic, self.is_key, &self.anything.parsed.root)?;
            let id = self.schema_id(&self.anything, &subject).await?;
            return self.encode_schemaless(id, value).map(Some);
        };
        let entry = self.write_entry(schema)?;
        if value.is_null() {
            if !schema.optional {
                return Err(AvroError::Data(
                    "Found null value for non-optional schema".into(),
                ));
            }
            return Ok(None);
        }
        let strategy = self.config.subject_strategy(self.is_key);
        let subject = strategy.subject(topic, self.is_key, &entry.parsed.root)?;
        let id = self.schema_id(&entry, &subject).await?;
        self.encode(&entry, id, schema, value).map(Some)
    }

    fn encode_schemaless(&self, id: i32, value: &Value) -> Result<Vec<u8>, AvroError> {
        let mut out = Vec::with_capacity(64);
        out.push(MAGIC_BYTE);
        out.extend_from_slice(&id.to_be_bytes());
        crate::data::encode_anything(value, &mut out)?;
        Ok(out)
    }

    fn encode(
        &self,
        entry: &WriteEntry,
        id: i32,
        schema: &SchemaRef,
        value: &Value,
    ) -> Result<Vec<u8>, AvroError> {
        let mut out = Vec::with_capacity(64);
        out.push(MAGIC_BYTE);
        out.extend_from_slice(&id.to_be_bytes());
        let root = &entry.parsed.root;
        if matches!(root.kind, Kind::Bytes) {
            // Java writes a top-level `bytes` datum raw, without its length.
            let mut tmp = Vec::new();
            self.data
                .encode(&entry.parsed, root, schema, value, &mut tmp)?;
            let mut r = Reader::new(&tmp);
            out.extend_from_slice(r.read_bytes()?);
        } else {
            self.data
                .encode(&entry.parsed, root, schema, value, &mut out)?;
        }
        Ok(out)
    }

    /// The write path when everything it needs is cached: `None` sends the caller to the
    /// async path (a new schema, or one not yet registered under this subject).
    fn serialize_cached(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Option<Result<Option<Vec<u8>>, AvroError>> {
        if value.is_null() {
            return None;
        }
        let Some(schema) = schema else {
            let strategy = self.config.subject_strategy(self.is_key);
            let subject = match strategy.subject(topic, self.is_key, &self.anything.parsed.root) {
                Ok(s) => s,
                Err(e) => return Some(Err(e)),
            };
            let id = *lock(&self.anything.ids).get(&subject)?;
            return Some(self.encode_schemaless(id, value).map(Some));
        };
        let entry = {
            let cache = lock(&self.write_cache);
            cache
                .iter()
                .find(|(s, _)| Arc::ptr_eq(s, schema))?
                .1
                .clone()
        };
        let strategy = self.config.subject_strategy(self.is_key);
        let id = if strategy == crate::subject::SubjectNameStrategy::TopicName {
            let ids = lock(&entry.ids);
            // One subject per topic: avoid building the subject string per record.
            let suffix = if self.is_key { "-key" } else { "-value" };
            ids.iter()
                .find(|(s, _)| {
                    s.len() == topic.len() + suffix.len()
                        && s.starts_with(topic)
                        && s.ends_with(suffix)
                })
                .map(|(_, id)| *id)?
        } else {
            let subject = match strategy.subject(topic, self.is_key, &entry.parsed.root) {
                Ok(s) => s,
                Err(e) => return Some(Err(e)),
            };
            *lock(&entry.ids).get(&subject)?
        };
        Some(self.encode(&entry, id, schema, value).map(Some))
    }

    fn deserialize_cached(
        &self,
        topic: &str,
        bytes: &[u8],
    ) -> Option<Result<SchemaAndValue, AvroError>> {
        if bytes.len() < 5 || bytes[0] != MAGIC_BYTE {
            return None;
        }
        let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let entry = lock(&self.read_cache)
            .get(&(topic.to_string(), id))?
            .clone();
        Some(self.decode(&entry, &bytes[5..]))
    }

    fn decode(&self, entry: &ReadEntry, payload: &[u8]) -> Result<SchemaAndValue, AvroError> {
        let Some(connect) = &entry.connect else {
            let value = crate::data::decode_anything(&mut Reader::new(payload))?;
            return Ok(SchemaAndValue::new(None, value));
        };
        let root = &entry.parsed.root;
        let value = if matches!(root.kind, Kind::Bytes) {
            // The raw top-level `bytes` of the write path.
            let mut framed = Vec::with_capacity(payload.len() + 5);
            crate::codec::write_bytes(&mut framed, payload);
            self.data
                .decode(&entry.parsed, root, connect, &mut Reader::new(&framed))?
        } else {
            self.data
                .decode(&entry.parsed, root, connect, &mut Reader::new(payload))?
        };
        Ok(SchemaAndValue::new(Some(connect.clone()), value))
    }

    async fn read_entry(&self, topic: &str, id: i32) -> Result<Arc<ReadEntry>, AvroError> {
        let key = (topic.to_string(), id);
        if let Some(e) = lock(&self.read_cache).get(&key) {
            return Ok(e.clone());
        }
        let strategy = self.config.subject_strategy(self.is_key);
        let topic_subject = (!strategy.uses_schema())
            .then(|| format!("{topic}-{}", if self.is_key { "key" } else { "value" }));
        let text = self
            .client
            .schema_by_id(id, topic_subject.as_deref())
            .await
            .map_err(|e| match e {
                crate::RegistryError::Rest {
                    status,
                    code,
                    message,
                } => AvroError::Registry(crate::RegistryError::Rest {
                    status,
                    code,
                    message: format!("Error retrieving Avro schema for id {id}: {message}"),
                }),
                other => AvroError::Registry(other),
            })?;
        let parsed = ParsedSchema::parse(&text)?;
        let subject = strategy.subject(topic, self.is_key, &parsed.root)?;
        let version = self
            .client
            .lookup(&subject, &text, true)
            .await
            .map_err(|e| match e {
                crate::RegistryError::Rest { status, code, message } => {
                    AvroError::Registry(crate::RegistryError::Rest {
                        status,
                        code,
                        message: format!(
                            "Error retrieving Avro schema version for id {id} under subject \"{subject}\": {message}"
                        ),
                    })
                }
                other => AvroError::Registry(other),
            })?
            .version;
        // Java compares the whole schema with its `Anything` record.
        let connect = if parsed.text == crate::data::ANYTHING_SCHEMA
            || to_json_text(&parsed.root)? == crate::data::ANYTHING_SCHEMA
        {
            None
        } else {
            Some(self.data.to_connect_schema(&parsed, Some(version))?)
        };
        let entry = Arc::new(ReadEntry { parsed, connect });
        let mut cache = lock(&self.read_cache);
        if cache.len() >= self.config.max_schemas_per_subject.max(1) {
            cache.clear();
        }
        cache.insert(key, entry.clone());
        Ok(entry)
    }

    async fn deserialize(&self, topic: &str, bytes: &[u8]) -> Result<SchemaAndValue, AvroError> {
        if bytes.len() < 5 {
            return Err(AvroError::Data(format!(
                "Unknown magic byte! (a {}-byte payload is shorter than the 5-byte header)",
                bytes.len()
            )));
        }
        if bytes[0] != MAGIC_BYTE {
            return Err(AvroError::Data("Unknown magic byte!".into()));
        }
        let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let entry = self.read_entry(topic, id).await?;
        self.decode(&entry, &bytes[5..])
    }
}

#[async_trait]
impl Converter for AvroConverter {
    fn configure(&mut self, props: &Props, is_key: bool) -> ConnectResult<()> {
        let config = AvroConverterConfig::parse(props)?;
        let client = client_for(&config).map_err(|e| ConnectError::config(e.to_string()))?;
        *self = AvroConverter::with_client(config, is_key, client);
        Ok(())
    }

    async fn from_connect(
        &self,
        topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        let st = self.state()?;
        st.serialize(topic, schema, value).await.map_err(|e| {
            to_connect_error(
                e,
                format!("Failed to serialize Avro data from topic {topic} : "),
            )
        })
    }

    async fn to_connect(
        &self,
        topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let st = self.state()?;
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        st.deserialize(topic, bytes).await.map_err(|e| {
            to_connect_error(
                e,
                format!("Failed to deserialize data for topic {topic} to Avro: "),
            )
        })
    }

    fn from_connect_sync<'v>(
        &self,
        topic: &str,
        _headers: &mut Headers,
        schema: Option<&SchemaRef>,
        value: &'v Value,
    ) -> Option<ConnectResult<Option<Cow<'v, [u8]>>>> {
        let st = self.state.as_ref()?;
        let r = st.serialize_cached(topic, schema, value)?;
        Some(r.map(|b| b.map(Cow::Owned)).map_err(|e| {
            to_connect_error(
                e,
                format!("Failed to serialize Avro data from topic {topic} : "),
            )
        }))
    }

    fn to_connect_sync(
        &self,
        topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Option<ConnectResult<SchemaAndValue>> {
        let st = self.state.as_ref()?;
        let Some(bytes) = bytes else {
            return Some(Ok(SchemaAndValue::NULL));
        };
        let r = st.deserialize_cached(topic, bytes)?;
        Some(r.map_err(|e| {
            to_connect_error(
                e,
                format!("Failed to deserialize data for topic {topic} to Avro: "),
            )
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{Schema, SchemaBuilder, Struct};

    fn converter(scope: &str) -> AvroConverter {
        let mut c = AvroConverter::default();
        let props: Props = [("schema.registry.url".to_string(), format!("mock://{scope}"))].into();
        c.configure(&props, false).unwrap();
        c
    }

    #[tokio::test]
    async fn the_cached_path_gives_what_the_async_path_gives() {
        let c = converter("sync-path");
        // Version 1: the registry's version comes back on read.
        let schema = SchemaBuilder::struct_()
            .name("a.B")
            .version(1)
            .field("x", Schema::int32())
            .field(
                "m",
                SchemaBuilder::map(Schema::int32(), Schema::string()).build(),
            )
            .build();
        let mut s = Struct::new(schema.clone());
        s.put("x", Value::Int32(5)).unwrap();
        s.put("m", Value::Map(vec![(Value::Int32(1), Value::from("one"))]))
            .unwrap();
        let v = Value::Struct(s);
        let mut h = Headers::new();
        // Nothing cached yet: the worker must take the async path.
        assert!(c
            .from_connect_sync("t", &mut h, Some(&schema), &v)
            .is_none());
        let bytes = c
            .from_connect("t", &mut h, Some(&schema), &v)
            .await
            .unwrap()
            .unwrap();
        let sync = c
            .from_connect_sync("t", &mut h, Some(&schema), &v)
            .unwrap()
            .unwrap();
        assert_eq!(sync.as_deref(), Some(&bytes[..]));
        // Another topic is another subject: async again.
        assert!(c
            .from_connect_sync("u", &mut h, Some(&schema), &v)
            .is_none());
        assert!(c.to_connect_sync("t", &h, Some(&bytes)).is_none());
        let read = c.to_connect("t", &h, Some(&bytes)).await.unwrap();
        assert_eq!(read.value, v);
        assert_eq!(
            c.to_connect_sync("t", &h, Some(&bytes)).unwrap().unwrap(),
            read
        );
        assert_eq!(
            c.to_connect_sync("t", &h, None).unwrap().unwrap(),
            SchemaAndValue::NULL
        );
    }

    #[tokio::test]
    async fn nulls_and_schemaless_values() {
        let c = converter("nulls");
        let mut h = Headers::new();
        let opt = Schema::optional_string();
        assert_eq!(
            c.from_connect("t", &mut h, Some(&opt), &Value::Null)
                .await
                .unwrap(),
            None
        );
        let e = c
            .from_connect("t", &mut h, Some(&Schema::string()), &Value::Null)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("non-optional"), "{e}");
        // Schemaless values travel in the Anything record.
        let schemaless = Value::Array(vec![Value::from("x"), Value::Null, Value::Int64(3)]);
        let b = c
            .from_connect("t", &mut h, None, &schemaless)
            .await
            .unwrap()
            .unwrap();
        let back = c.to_connect("t", &h, Some(&b)).await.unwrap();
        assert_eq!((back.schema, back.value), (None, schemaless));
        assert_eq!(
            c.from_connect("t", &mut h, None, &Value::Null)
                .await
                .unwrap(),
            None
        );
        assert!(AvroConverter::default()
            .to_connect("t", &h, Some(&[0, 0, 0, 0, 1]))
            .await
            .is_err());
    }
}
