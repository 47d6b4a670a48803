//! `org.apache.kafka.connect.json.JsonConverter`.
//!
//! Output is byte-for-byte what the Java converter (Jackson, compact) writes: the
//! envelope `{"schema":...,"payload":...}`, schema objects with keys in `asJsonSchema`
//! order, Base64 bytes, Decimal as Base64 or a number, Date/Time/Timestamp as integers,
//! floats formatted like Java, maps with non-string keys as arrays of pairs.
//!
//! Schema caches: the serialized schema JSON is cached per schema instance (pointer
//! identity) and parsed schemas per schema-JSON bytes, each bounded by
//! `schemas.cache.size`; a full cache is emptied rather than evicted least-recently-used.
//!
//! Floats use the shortest round-trip digits (Java 19+ `Double.toString`); older JVMs
//! occasionally print one more digit for the same double.

mod read;
pub mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, Default as KeyDefault, Importance, Validator, Width,
};
use rconnect_sdk::data::{SchemaAndValue, SchemaRef, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use read::{as_connect_schema, DecodeOptions, Reader};
use write::{Encoder, FieldNames};

pub(crate) const CLASS_NAME: &str = "org.apache.kafka.connect.json.JsonConverter";

/// `schemas.enable`.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// `schemas.cache.size`.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// `decimal.format`.
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// `replace.null.with.default`.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// How Decimal values are written (`decimal.format`); both forms are accepted on read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled two's-complement bytes (the default).
    #[default]
    Base64,
    /// A JSON number written from `BigDecimal.toString()`.
    Numeric,
}

impl DecimalFormat {
    /// Parses `BASE64` / `NUMERIC`, case-insensitively.
    pub fn from_name(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("BASE64") {
            Some(DecimalFormat::Base64)
        } else if s.eq_ignore_ascii_case("NUMERIC") {
            Some(DecimalFormat::Numeric)
        } else {
            None
        }
    }
}

/// The parsed `JsonConverterConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonConverterConfig {
    /// `schemas.enable` (default true).
    pub schemas_enable: bool,
    /// `schemas.cache.size` (default 1000); 0 or less disables caching.
    pub schemas_cache_size: i32,
    /// `decimal.format` (default BASE64).
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default` (default true).
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        JsonConverterConfig {
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConverterConfig {
    /// The configuration keys (Java `JsonConverterConfig.configDef()`), including the
    /// required `converter.type`.
    pub fn config_def() -> ConfigDef {
        let key =
            |name: &str, t, default: &str, imp, doc: &str, group: &str, order, display: &str| {
                ConfigKey::new(name, t, KeyDefault::Value(default.into()), imp, doc).group(
                    group,
                    order,
                    Width::Medium,
                    display,
                )
            };
        crate::config::new_config_def()
            .define(key(
                SCHEMAS_ENABLE_CONFIG,
                ConfigType::Boolean,
                "true",
                Importance::High,
                "Include schemas within each of the serialized values and keys.",
                "Schemas",
                0,
                "Enable Schemas",
            ))
            .define(key(
                SCHEMAS_CACHE_SIZE_CONFIG,
                ConfigType::Int,
                "1000",
                Importance::High,
                "The maximum number of schemas that can be cached in this converter instance.",
                "Schemas",
                1,
                "Schema Cache Size",
            ))
            .define(
                key(
                    DECIMAL_FORMAT_CONFIG,
                    ConfigType::String,
                    "BASE64",
                    Importance::Low,
                    "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                    "Serialization",
                    0,
                    "Decimal Format",
                )
                .validator(Validator::CaseInsensitiveValidString(vec!["BASE64".into(), "NUMERIC".into()])),
            )
            .define(key(
                REPLACE_NULL_WITH_DEFAULT_CONFIG,
                ConfigType::Boolean,
                "true",
                Importance::Low,
                "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
                "Serialization",
                1,
                "Replace null with default",
            ))
    }

    /// Parses converter properties (prefix already stripped). `converter.type` is
    /// required, as in Java; the `Converter`/`HeaderConverter` `configure` methods set it.
    pub fn parse(props: &Props) -> ConnectResult<Self> {
        let parsed = Self::config_def().parse(props)?;
        let fmt = parsed.string(DECIMAL_FORMAT_CONFIG).unwrap_or("BASE64");
        Ok(JsonConverterConfig {
            schemas_enable: parsed.boolean(SCHEMAS_ENABLE_CONFIG).unwrap_or(true),
            schemas_cache_size: parsed.int(SCHEMAS_CACHE_SIZE_CONFIG).unwrap_or(1000),
            decimal_format: DecimalFormat::from_name(fmt).ok_or_else(|| {
                ConnectError::config(format!(
                    "Invalid value {fmt} for configuration {DECIMAL_FORMAT_CONFIG}"
                ))
            })?,
            replace_null_with_default: parsed
                .boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
                .unwrap_or(true),
        })
    }
}

/// Something rendered from a schema, per schema instance, up to `capacity` entries (then
/// emptied). Entries hold the `Arc`, so an address cannot be reused by another schema while
/// it is cached; the most recent hit is checked first, without hashing.
struct PerSchema<T> {
    last: Option<(SchemaRef, T)>,
    by_ptr: HashMap<usize, (SchemaRef, T)>,
}

impl<T> Default for PerSchema<T> {
    fn default() -> Self {
        PerSchema {
            last: None,
            by_ptr: HashMap::new(),
        }
    }
}

impl<T: Clone> PerSchema<T> {
    fn get(&mut self, schema: &SchemaRef) -> Option<&T> {
        let recent = matches!(&self.last, Some((s, _)) if Arc::ptr_eq(s, schema));
        if !recent {
            let hit = self.by_ptr.get(&(Arc::as_ptr(schema) as usize))?.clone();
            self.last = Some(hit);
        }
        self.last.as_ref().map(|(_, v)| v)
    }

    fn insert(&mut self, schema: &SchemaRef, value: T, capacity: usize) {
        if self.by_ptr.len() >= capacity {
            self.by_ptr.clear();
        }
        self.by_ptr.insert(
            Arc::as_ptr(schema) as usize,
            (schema.clone(), value.clone()),
        );
        self.last = Some((schema.clone(), value));
    }
}

/// What the writer renders once per schema.
#[derive(Default)]
struct WriteCache {
    /// The schema as JSON (`schemas.enable=true`).
    json: PerSchema<Arc<[u8]>>,
    /// A struct schema's field names, for the payload ([`FieldNames`]).
    names: PerSchema<Arc<FieldNames>>,
}

/// Parsed schemas per schema-JSON bytes.
#[derive(Default)]
struct ReadCache {
    last: Option<(Arc<[u8]>, SchemaRef)>,
    by_bytes: HashMap<Box<[u8]>, SchemaRef>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a cache lock leaves only a cache behind; keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kafka Connect's JSON converter; also usable as a header converter.
///
/// ```
/// use rconnect_converters::{JsonConverter, JsonConverterConfig};
/// use rconnect_sdk::data::{Schema, Value};
///
/// let plain = JsonConverter::with_config(JsonConverterConfig { schemas_enable: false, ..Default::default() });
/// assert_eq!(plain.serialize(Some(&Schema::float64()), &Value::Float64(1e10)).unwrap().unwrap(), b"1.0E10");
/// let back = plain.deserialize(Some(br#"{"a":1,"b":1.5}"#)).unwrap();
/// assert!(back.schema.is_none());
/// assert_eq!(back.value, Value::Map(vec![(Value::from("a"), Value::Int64(1)), (Value::from("b"), Value::Float64(1.5))]));
/// ```
pub struct JsonConverter {
    config: JsonConverterConfig,
    write_cache: Mutex<WriteCache>,
    read_cache: Mutex<ReadCache>,
    /// The size of the last output, used to size the next buffer.
    size_hint: AtomicUsize,
}

impl std::fmt::Debug for JsonConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonConverter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for JsonConverter {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonConverter {
    /// A converter with the default configuration (schemas enabled).
    pub fn new() -> Self {
        Self::with_config(JsonConverterConfig::default())
    }

    /// A converter with an explicit configuration.
    pub fn with_config(config: JsonConverterConfig) -> Self {
        JsonConverter {
            config,
            write_cache: Mutex::default(),
            read_cache: Mutex::default(),
            size_hint: AtomicUsize::new(64),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    /// The configuration keys; see [`JsonConverterConfig::config_def`].
    pub fn config_definition() -> ConfigDef {
        JsonConverterConfig::config_def()
    }

    /// Configures from properties that include `converter.type`; resets the caches.
    pub fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        *self = Self::with_config(JsonConverterConfig::parse(props)?);
        Ok(())
    }

    fn encoder(&self) -> Encoder {
        Encoder {
            decimal_numeric: self.config.decimal_format == DecimalFormat::Numeric,
            replace_null_with_default: self.config.replace_null_with_default,
        }
    }

    fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            replace_null_with_default: self.config.replace_null_with_default,
        }
    }

    fn cache_capacity(&self) -> usize {
        self.config.schemas_cache_size.max(0) as usize
    }

    /// Java `fromConnectData`: `None` (a Kafka null) only when both schema and value are
    /// null; a null value with a schema gives `"payload":null` (or the default) with
    /// schemas enabled, or the 4 bytes `null` without.
    pub fn serialize(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let enc = self.encoder();
        let mut out = Vec::with_capacity(self.size_hint.load(Ordering::Relaxed));
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => self.write_schema_cached(&mut out, s, &enc)?,
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            self.write_payload(&mut out, schema, value, &enc)?;
            out.push(b'}');
        } else {
            self.write_payload(&mut out, schema, value, &enc)?;
        }
        self.size_hint.store(out.len() + 16, Ordering::Relaxed);
        Ok(Some(out))
    }

    /// The payload: a top-level struct whose own schema is the record's is written with its
    /// field names rendered once per schema ([`FieldNames`], cached like the schema JSON);
    /// anything else, and everything when caching is off, by [`Encoder::write_value`].
    fn write_payload(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&SchemaRef>,
        value: &Value,
        enc: &Encoder,
    ) -> ConnectResult<()> {
        if let (Some(s), Value::Struct(st)) = (schema, value) {
            // A struct schema named like a logical type is left to `write_value`, which
            // reports it as Java does.
            let logical = s
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("org.apache.kafka.connect.data."));
            if s.schema_type == Type::Struct
                && !logical
                && Arc::ptr_eq(st.schema(), s)
                && self.cache_capacity() > 0
            {
                // Written under the cache's lock, which borrows the names instead of
                // cloning their `Arc` per record; a task's converter is its own, so the
                // lock is not contended.
                let mut cache = lock(&self.write_cache);
                if let Some(names) = cache.names.get(s) {
                    return enc.write_struct_with_names(out, s, st, names);
                }
                let names = Arc::new(FieldNames::render(s));
                let written = enc.write_struct_with_names(out, s, st, &names);
                cache.names.insert(s, names, self.cache_capacity());
                return written;
            }
        }
        enc.write_value(out, schema.map(|s| s.as_ref()), value)
    }

    /// Java `asJsonSchema(schema)` as compact JSON text.
    pub fn schema_to_json(&self, schema: &SchemaRef) -> ConnectResult<String> {
        let mut out = Vec::new();
        self.write_schema_cached(&mut out, schema, &self.encoder())?;
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    fn write_schema_cached(
        &self,
        out: &mut Vec<u8>,
        schema: &SchemaRef,
        enc: &Encoder,
    ) -> ConnectResult<()> {
        let cap = self.cache_capacity();
        if cap == 0 {
            return enc.write_schema(out, schema);
        }
        if let Some(json) = lock(&self.write_cache).json.get(schema) {
            out.extend_from_slice(json);
            return Ok(());
        }
        let mut json = Vec::with_capacity(256);
        enc.write_schema(&mut json, schema)?;
        out.extend_from_slice(&json);
        lock(&self.write_cache)
            .json
            .insert(schema, json.into(), cap);
        Ok(())
    }

    /// Java `toConnectData`: Kafka null → `(None, Null)`; with schemas enabled the input
    /// must be an object with exactly the keys `schema` and `payload`; without, the whole
    /// document is the payload and the schema is `None` (integers read as INT64, other
    /// numbers as FLOAT64, objects as maps with string keys).
    pub fn deserialize(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let Some(b) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        let mut r = Reader::new(b);
        r.ws();
        if !self.config.schemas_enable {
            // Jackson reads empty input as a missing node, which converts to null.
            if r.at_end() {
                return Ok(SchemaAndValue::NULL);
            }
            let number = matches!(r.peek(), Some(b'-') | Some(b'0'..=b'9'));
            let v = r.read_any()?;
            if number {
                r.check_root_number_end()?;
            }
            return Ok(SchemaAndValue::new(None, v));
        }
        if r.at_end() {
            return Err(ConnectError::data(ENVELOPE_ERROR));
        }
        if r.peek() != Some(b'{') {
            r.skip_root()?;
            return Err(ConnectError::data(ENVELOPE_ERROR));
        }
        let last = if self.cache_capacity() > 0 {
            lock(&self.read_cache).last.clone()
        } else {
            None
        };
        let env = self.scan_envelope(&mut r, last)?;
        let (Some(schema_at), Some(payload_at)) = (env.schema, env.payload) else {
            return Err(ConnectError::data(ENVELOPE_ERROR));
        };
        let schema = match env.schema_known {
            Some(s) => s,
            None => self.schema_from(b, schema_at)?,
        };
        let value = match env.value {
            Some(v) => v?,
            None => Reader::at(b, payload_at.0).read_opt(schema.as_ref(), self.decode_options())?,
        };
        Ok(SchemaAndValue::new(schema, value))
    }

    /// Walks the top-level object (cursor on `{`), checking the whole document's syntax.
    ///
    /// When the schema JSON is byte-identical to the last one parsed, it is not scanned
    /// again (those bytes were validated when first parsed), and the payload is decoded
    /// during the walk instead of being skipped and revisited. A conversion error found
    /// that way is held back until the rest of the document has been checked, so syntax
    /// and envelope errors still take precedence, as in Java.
    fn scan_envelope(
        &self,
        r: &mut Reader<'_>,
        last: Option<(Arc<[u8]>, SchemaRef)>,
    ) -> ConnectResult<Envelope> {
        let mut env = Envelope::default();
        let mut extra = false;
        let opts = self.decode_options();
        r.skip_object_members(|r, key| {
            r.ws();
            let start = r.pos();
            match key {
                "schema" => {
                    env.schema_known = None;
                    env.value = None;
                    if let Some((bytes, schema)) =
                        last.as_ref().filter(|(bytes, _)| r.looking_at(bytes))
                    {
                        r.advance(bytes.len());
                        env.schema_known = Some(Some(schema.clone()));
                    } else {
                        r.skip_value()?;
                        if r.span_is(start, b"null") {
                            env.schema_known = Some(None);
                        }
                    }
                    env.schema = Some((start, r.pos()));
                }
                "payload" => {
                    env.value = None;
                    match &env.schema_known {
                        Some(schema) => {
                            let cp = r.checkpoint();
                            let v = r.read_opt(schema.as_ref(), opts);
                            if v.is_err() {
                                r.restore(cp);
                                r.skip_value()?;
                            }
                            env.value = Some(v);
                        }
                        None => r.skip_value()?,
                    }
                    env.payload = Some((start, r.pos()));
                }
                _ => {
                    extra = true;
                    r.skip_value()?;
                }
            }
            Ok(())
        })?;
        if extra {
            return Ok(Envelope::default());
        }
        Ok(env)
    }

    /// Java `asConnectSchema` for the schema JSON at `span` of `b`, through the cache.
    fn schema_from(&self, b: &[u8], span: (usize, usize)) -> ConnectResult<Option<SchemaRef>> {
        let text = &b[span.0..span.1];
        if text == b"null" {
            return Ok(None);
        }
        let cap = self.cache_capacity();
        if cap > 0 {
            let mut c = lock(&self.read_cache);
            if let Some((k, s)) = &c.last {
                if **k == *text {
                    return Ok(Some(s.clone()));
                }
            }
            if let Some(s) = c.by_bytes.get(text).cloned() {
                c.last = Some((Arc::from(text), s.clone()));
                return Ok(Some(s));
            }
        }
        let node = Reader::at(b, span.0).node()?;
        let schema = as_connect_schema(&node, b, self.decode_options())?;
        if let (Some(s), true) = (&schema, cap > 0) {
            let mut c = lock(&self.read_cache);
            if c.by_bytes.len() >= cap {
                c.by_bytes.clear();
            }
            c.by_bytes.insert(text.into(), s.clone());
            c.last = Some((Arc::from(text), s.clone()));
        }
        Ok(schema)
    }

    /// Java `asConnectSchema` for a schema JSON document.
    pub fn schema_from_json(&self, json: &[u8]) -> ConnectResult<Option<SchemaRef>> {
        let mut r = Reader::new(json);
        r.ws();
        let start = r.pos();
        r.skip_value()?;
        self.schema_from(json, (start, r.pos()))
    }
}

/// What a walk over the envelope found.
#[derive(Default)]
struct Envelope {
    /// Span of the `schema` value; `None` if missing (or any extra key was present).
    schema: Option<(usize, usize)>,
    /// Span of the `payload` value, likewise.
    payload: Option<(usize, usize)>,
    /// The schema, when resolved during the walk (`Some(None)` is JSON null).
    schema_known: Option<Option<SchemaRef>>,
    /// The payload, when decoded during the walk.
    value: Option<ConnectResult<Value>>,
}

impl_converter_traits!(JsonConverter, configure_props);

#[cfg(test)]
mod tests;
