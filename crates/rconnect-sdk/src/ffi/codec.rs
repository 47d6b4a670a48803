//! The JSON encoding of Connect data, records and configuration definitions that crosses
//! the plugin boundary (documented in `docs/plugins.md` and `include/rconnect_plugin.h`).
//!
//! Schema and value travel together in the JsonConverter envelope
//! `{"schema": <Connect JSON schema>, "payload": <value>}`: the schema is written exactly as
//! Kafka's `JsonConverter.asJsonSchema` writes it, the payload as JsonConverter writes it
//! with `decimal.format=BASE64`, with two changes that keep the round trip lossless:
//! non-finite floats are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, and a value
//! without a schema (`"schema": null`) is written in a tagged form, `{"<type>": ...}`,
//! because plain JSON cannot tell an `int32` from an `int64` or a map from a struct.
//!
//! This module is self-contained (it does not use `rconnect-converters`, which depends on
//! this crate), so both sides of the boundary share exactly one implementation.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use indexmap::IndexMap;
use num_bigint::BigInt;
use serde_json::{json, Map, Value as Json};

use crate::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValueReport, Default, Importance, Validator, Width,
};
use crate::data::{
    logical, Decimal, Field, Header, Headers, Schema, SchemaRef, Struct, Type, Value,
};
use crate::error::{ConnectError, ConnectResult};
use crate::offset::OffsetMap;
use crate::record::{
    ConnectRecord, RecordMeta, SinkMeta, SourceMeta, TimestampType, TopicPartition,
};
use crate::Props;

fn bad(what: &str) -> ConnectError {
    ConnectError::data(format!("plugin boundary: invalid {what}"))
}

// ----------------------------------------------------------------------------- schemas

fn type_name(t: Type) -> &'static str {
    match t {
        Type::Float32 => "float",
        Type::Float64 => "double",
        other => other.name(),
    }
}

fn parse_type_name(s: &str) -> Option<Type> {
    Some(match s {
        "int8" => Type::Int8,
        "int16" => Type::Int16,
        "int32" => Type::Int32,
        "int64" => Type::Int64,
        "float" => Type::Float32,
        "double" => Type::Float64,
        "boolean" => Type::Boolean,
        "string" => Type::String,
        "bytes" => Type::Bytes,
        "array" => Type::Array,
        "map" => Type::Map,
        "struct" => Type::Struct,
        _ => return None,
    })
}

/// A schema in Connect's JSON schema form (key order as `JsonConverter.asJsonSchema`).
pub fn schema_to_json(s: &Schema) -> ConnectResult<Json> {
    let mut m = Map::new();
    m.insert("type".into(), type_name(s.schema_type).into());
    match s.schema_type {
        Type::Array => {
            let items = s
                .value_schema
                .as_ref()
                .ok_or_else(|| bad("array schema without items"))?;
            m.insert("items".into(), schema_to_json(items)?);
        }
        Type::Map => {
            let k = s
                .key_schema
                .as_ref()
                .ok_or_else(|| bad("map schema without keys"))?;
            let v = s
                .value_schema
                .as_ref()
                .ok_or_else(|| bad("map schema without values"))?;
            m.insert("keys".into(), schema_to_json(k)?);
            m.insert("values".into(), schema_to_json(v)?);
        }
        Type::Struct => {
            let mut fields = Vec::with_capacity(s.fields.len());
            for f in &s.fields {
                let mut fj = schema_to_json(&f.schema)?;
                if let Json::Object(o) = &mut fj {
                    o.insert("field".into(), f.name.clone().into());
                }
                fields.push(fj);
            }
            m.insert("fields".into(), Json::Array(fields));
        }
        _ => {}
    }
    m.insert("optional".into(), s.optional.into());
    if let Some(n) = &s.name {
        m.insert("name".into(), n.clone().into());
    }
    if let Some(v) = s.version {
        m.insert("version".into(), v.into());
    }
    if let Some(d) = &s.doc {
        m.insert("doc".into(), d.clone().into());
    }
    if let Some(p) = &s.parameters {
        let o: Map<String, Json> = p
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        m.insert("parameters".into(), Json::Object(o));
    }
    if let Some(d) = &s.default_value {
        m.insert("default".into(), payload_to_json(s, d)?);
    }
    Ok(Json::Object(m))
}

/// A schema from Connect's JSON schema form; `null` is no schema.
pub fn schema_from_json(j: &Json) -> ConnectResult<Option<SchemaRef>> {
    let o = match j {
        Json::Null => return Ok(None),
        Json::Object(o) => o,
        _ => return Err(bad("schema (not an object)")),
    };
    let t = o
        .get("type")
        .and_then(Json::as_str)
        .and_then(parse_type_name)
        .ok_or_else(|| bad("schema type"))?;
    let mut s = Schema::primitive(t, o.get("optional") == Some(&Json::Bool(true)));
    let sub = |key: &str| -> ConnectResult<SchemaRef> {
        schema_from_json(o.get(key).unwrap_or(&Json::Null))?
            .ok_or_else(|| bad(&format!("schema: {key} missing")))
    };
    match t {
        Type::Array => s.value_schema = Some(sub("items")?),
        Type::Map => {
            s.key_schema = Some(sub("keys")?);
            s.value_schema = Some(sub("values")?);
        }
        Type::Struct => {
            let fields = o
                .get("fields")
                .and_then(Json::as_array)
                .ok_or_else(|| bad("struct schema: fields missing"))?;
            for (index, f) in fields.iter().enumerate() {
                let name = f
                    .get("field")
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("struct schema: field name missing"))?
                    .to_string();
                let schema =
                    schema_from_json(f)?.ok_or_else(|| bad("struct schema: null field schema"))?;
                s.fields.push(Field {
                    name,
                    index,
                    schema,
                });
            }
        }
        _ => {}
    }
    s.name = o.get("name").and_then(Json::as_str).map(str::to_string);
    s.version = o.get("version").and_then(Json::as_i64).map(|v| v as i32);
    s.doc = o.get("doc").and_then(Json::as_str).map(str::to_string);
    if let Some(p) = o.get("parameters") {
        let p = p.as_object().ok_or_else(|| bad("schema parameters"))?;
        let mut params = IndexMap::new();
        for (k, v) in p {
            let v = v.as_str().ok_or_else(|| bad("schema parameter value"))?;
            params.insert(k.clone(), v.to_string());
        }
        s.parameters = Some(params);
    }
    if let Some(d) = o.get("default") {
        s.default_value = Some(payload_from_json(&s, d)?);
    }
    Ok(Some(Arc::new(s)))
}

// ----------------------------------------------------------------------------- values

fn float_to_json(x: f64) -> Json {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        json!(x)
    }
}

fn float_from_json(j: &Json) -> ConnectResult<f64> {
    match j {
        Json::Number(n) => n.as_f64().ok_or_else(|| bad("float")),
        Json::String(s) if s == "NaN" => Ok(f64::NAN),
        Json::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => Err(bad("float")),
    }
}

fn int_from_json(j: &Json, what: &str) -> ConnectResult<i64> {
    j.as_i64().ok_or_else(|| bad(what))
}

/// A value encoded against its schema, as JsonConverter's payload.
pub fn payload_to_json(s: &Schema, v: &Value) -> ConnectResult<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Int8(x) => json!(x),
        Value::Int16(x) => json!(x),
        Value::Int32(x) => json!(x),
        Value::Int64(x) => json!(x),
        Value::Float32(x) => float_to_json(*x as f64),
        Value::Float64(x) => float_to_json(*x),
        Value::Boolean(b) => json!(b),
        Value::String(x) => json!(x),
        Value::Bytes(b) => B64.encode(b).into(),
        Value::Decimal(d) => {
            let scale = logical::decimal_scale(s.parameter(logical::SCALE_FIELD))?;
            B64.encode(logical::decimal_to_bytes(scale, d)?).into()
        }
        Value::Timestamp(_) => {
            let name = s.name.as_deref().unwrap_or("");
            match logical::temporal_to_underlying(name, v)? {
                Value::Int32(x) => json!(x),
                Value::Int64(x) => json!(x),
                _ => return Err(bad("temporal value")),
            }
        }
        Value::Array(items) => {
            let vs = s.value_schema.as_ref().ok_or_else(|| bad("array schema"))?;
            Json::Array(
                items
                    .iter()
                    .map(|x| payload_to_json(vs, x))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(entries) => {
            let ks = s.key_schema.as_ref().ok_or_else(|| bad("map schema"))?;
            let vs = s.value_schema.as_ref().ok_or_else(|| bad("map schema"))?;
            if ks.schema_type == Type::String {
                let mut o = Map::new();
                for (k, x) in entries {
                    let k = k
                        .as_str()
                        .ok_or_else(|| bad("map key (schema says string)"))?;
                    o.insert(k.to_string(), payload_to_json(vs, x)?);
                }
                Json::Object(o)
            } else {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, x) in entries {
                    pairs.push(json!([payload_to_json(ks, k)?, payload_to_json(vs, x)?]));
                }
                Json::Array(pairs)
            }
        }
        Value::Struct(st) => {
            let mut o = Map::new();
            for (f, x) in st.schema().fields.iter().zip(st.values()) {
                o.insert(f.name.clone(), payload_to_json(&f.schema, x)?);
            }
            Json::Object(o)
        }
    })
}

/// A value decoded against its schema.
pub fn payload_from_json(s: &Schema, j: &Json) -> ConnectResult<Value> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    let name = s.name.as_deref();
    Ok(match s.schema_type {
        Type::Int8 => Value::Int8(int_from_json(j, "int8")? as i8),
        Type::Int16 => Value::Int16(int_from_json(j, "int16")? as i16),
        Type::Int32 => {
            let x = Value::Int32(int_from_json(j, "int32")? as i32);
            match name {
                Some(n @ (logical::DATE_NAME | logical::TIME_NAME)) => {
                    logical::temporal_from_underlying(n, &x)?
                }
                _ => x,
            }
        }
        Type::Int64 => {
            let x = Value::Int64(int_from_json(j, "int64")?);
            match name {
                Some(n @ logical::TIMESTAMP_NAME) => logical::temporal_from_underlying(n, &x)?,
                _ => x,
            }
        }
        Type::Float32 => Value::Float32(float_from_json(j)? as f32),
        Type::Float64 => Value::Float64(float_from_json(j)?),
        Type::Boolean => Value::Boolean(j.as_bool().ok_or_else(|| bad("boolean"))?),
        Type::String => Value::String(j.as_str().ok_or_else(|| bad("string"))?.to_string().into()),
        Type::Bytes => {
            let b = B64
                .decode(j.as_str().ok_or_else(|| bad("bytes"))?)
                .map_err(|_| bad("base64 bytes"))?;
            if name == Some(logical::DECIMAL_NAME) {
                let scale = logical::decimal_scale(s.parameter(logical::SCALE_FIELD))?;
                Value::Decimal(logical::decimal_from_bytes(scale, &b)?)
            } else {
                Value::Bytes(b)
            }
        }
        Type::Array => {
            let vs = s.value_schema.as_ref().ok_or_else(|| bad("array schema"))?;
            let items = j.as_array().ok_or_else(|| bad("array"))?;
            Value::Array(
                items
                    .iter()
                    .map(|x| payload_from_json(vs, x))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Map => {
            let ks = s.key_schema.as_ref().ok_or_else(|| bad("map schema"))?;
            let vs = s.value_schema.as_ref().ok_or_else(|| bad("map schema"))?;
            let mut out = Vec::new();
            match j {
                Json::Object(o) => {
                    for (k, x) in o {
                        out.push((Value::String(k.clone().into()), payload_from_json(vs, x)?));
                    }
                }
                Json::Array(pairs) => {
                    for p in pairs {
                        match p.as_array().map(Vec::as_slice) {
                            Some([k, x]) => {
                                out.push((payload_from_json(ks, k)?, payload_from_json(vs, x)?))
                            }
                            _ => return Err(bad("map entry (not a pair)")),
                        }
                    }
                }
                _ => return Err(bad("map")),
            }
            Value::Map(out)
        }
        Type::Struct => {
            let o = j.as_object().ok_or_else(|| bad("struct"))?;
            let schema = Arc::new(s.clone());
            let mut st = Struct::new(schema.clone());
            for f in &schema.fields {
                let x = o.get(&f.name).unwrap_or(&Json::Null);
                st.put_unchecked(f.index, payload_from_json(&f.schema, x)?);
            }
            Value::Struct(st)
        }
    })
}

/// A schemaless value in the tagged form: `{"int32": 5}`, `{"map": [[k, v], ...]}`, ...
pub fn tagged_to_json(v: &Value) -> ConnectResult<Json> {
    let (tag, inner) = match v {
        Value::Null => return Ok(Json::Null),
        Value::Int8(x) => ("int8", json!(x)),
        Value::Int16(x) => ("int16", json!(x)),
        Value::Int32(x) => ("int32", json!(x)),
        Value::Int64(x) => ("int64", json!(x)),
        Value::Float32(x) => ("float", float_to_json(*x as f64)),
        Value::Float64(x) => ("double", float_to_json(*x)),
        Value::Boolean(b) => ("boolean", json!(b)),
        Value::String(s) => ("string", json!(s)),
        Value::Bytes(b) => ("bytes", B64.encode(b).into()),
        Value::Array(items) => (
            "array",
            Json::Array(items.iter().map(tagged_to_json).collect::<Result<_, _>>()?),
        ),
        Value::Map(entries) => {
            let mut pairs = Vec::with_capacity(entries.len());
            for (k, x) in entries {
                pairs.push(json!([tagged_to_json(k)?, tagged_to_json(x)?]));
            }
            ("map", Json::Array(pairs))
        }
        Value::Struct(st) => ("struct", envelope(Some(st.schema()), v)?),
        Value::Decimal(d) => (
            "decimal",
            json!({"unscaled": d.unscaled.to_string(), "scale": d.scale}),
        ),
        Value::Timestamp(ms) => ("timestamp", json!(ms)),
    };
    let mut m = Map::new();
    m.insert(tag.into(), inner);
    Ok(Json::Object(m))
}

/// A schemaless value from the tagged form.
pub fn tagged_from_json(j: &Json) -> ConnectResult<Value> {
    let o = match j {
        Json::Null => return Ok(Value::Null),
        Json::Object(o) if o.len() == 1 => o,
        _ => return Err(bad("schemaless value (expected {\"<type>\": ...})")),
    };
    let (tag, x) = o.iter().next().expect("one entry");
    Ok(match tag.as_str() {
        "int8" => Value::Int8(int_from_json(x, "int8")? as i8),
        "int16" => Value::Int16(int_from_json(x, "int16")? as i16),
        "int32" => Value::Int32(int_from_json(x, "int32")? as i32),
        "int64" => Value::Int64(int_from_json(x, "int64")?),
        "float" => Value::Float32(float_from_json(x)? as f32),
        "double" => Value::Float64(float_from_json(x)?),
        "boolean" => Value::Boolean(x.as_bool().ok_or_else(|| bad("boolean"))?),
        "string" => Value::String(x.as_str().ok_or_else(|| bad("string"))?.to_string().into()),
        "bytes" => Value::Bytes(
            B64.decode(x.as_str().ok_or_else(|| bad("bytes"))?)
                .map_err(|_| bad("base64 bytes"))?,
        ),
        "array" => Value::Array(
            x.as_array()
                .ok_or_else(|| bad("array"))?
                .iter()
                .map(tagged_from_json)
                .collect::<Result<_, _>>()?,
        ),
        "map" => {
            let mut out = Vec::new();
            for p in x.as_array().ok_or_else(|| bad("map"))? {
                match p.as_array().map(Vec::as_slice) {
                    Some([k, v]) => out.push((tagged_from_json(k)?, tagged_from_json(v)?)),
                    _ => return Err(bad("map entry (not a pair)")),
                }
            }
            Value::Map(out)
        }
        "struct" => from_envelope(x)?.1,
        "decimal" => {
            let unscaled: BigInt = x
                .get("unscaled")
                .and_then(Json::as_str)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("decimal unscaled"))?;
            let scale = x
                .get("scale")
                .and_then(Json::as_i64)
                .ok_or_else(|| bad("decimal scale"))?;
            Value::Decimal(Decimal::new(unscaled, scale as i32))
        }
        "timestamp" => Value::Timestamp(int_from_json(x, "timestamp")?),
        other => return Err(bad(&format!("schemaless value type {other}"))),
    })
}

/// `{"schema": ..., "payload": ...}` for a schema and value.
pub fn envelope(schema: Option<&SchemaRef>, v: &Value) -> ConnectResult<Json> {
    Ok(match schema {
        Some(s) => json!({"schema": schema_to_json(s)?, "payload": payload_to_json(s, v)?}),
        None => json!({"schema": null, "payload": tagged_to_json(v)?}),
    })
}

/// A schema and value from an envelope; a missing envelope (`null`) is no schema, null value.
pub fn from_envelope(j: &Json) -> ConnectResult<(Option<SchemaRef>, Value)> {
    if j.is_null() {
        return Ok((None, Value::Null));
    }
    let schema = schema_from_json(j.get("schema").unwrap_or(&Json::Null))?;
    let payload = j.get("payload").unwrap_or(&Json::Null);
    let value = match &schema {
        Some(s) => payload_from_json(s, payload)?,
        None => tagged_from_json(payload)?,
    };
    Ok((schema, value))
}

// ----------------------------------------------------------------------------- headers

/// Headers as `[{"key": "h", "value": <envelope>}]`, in order (keys may repeat).
pub fn headers_to_json(headers: &Headers) -> ConnectResult<Json> {
    let mut out = Vec::with_capacity(headers.len());
    for h in headers {
        out.push(json!({"key": h.key, "value": envelope(h.schema.as_ref(), &h.value)?}));
    }
    Ok(Json::Array(out))
}

/// Headers from `[{"key", "value"}]`.
pub fn headers_from_json(j: &Json) -> ConnectResult<Headers> {
    let mut headers = Headers::new();
    for h in j.as_array().ok_or_else(|| bad("headers (not an array)"))? {
        let key = h
            .get("key")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("header key"))?;
        let (schema, value) = from_envelope(h.get("value").unwrap_or(&Json::Null))?;
        headers.push(Header {
            key: key.to_string(),
            schema,
            value,
        });
    }
    Ok(headers)
}

// ----------------------------------------------------------------------------- records

/// How the kind-specific part of a record crosses the boundary.
pub trait MetaCodec: RecordMeta {
    /// `"source"` or `"sink"`.
    const KIND: &'static str;
    fn write(&self, o: &mut Map<String, Json>);
    fn read(o: &Map<String, Json>) -> ConnectResult<Self>;
}

fn offset_map(j: Option<&Json>, what: &str) -> ConnectResult<Option<OffsetMap>> {
    match j {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(o)) => Ok(Some(o.clone().into())),
        Some(_) => Err(bad(what)),
    }
}

impl MetaCodec for SourceMeta {
    const KIND: &'static str = "source";
    fn write(&self, o: &mut Map<String, Json>) {
        let obj = |m: Option<&OffsetMap>| m.map(OffsetMap::to_json).unwrap_or(Json::Null);
        o.insert(
            "source_partition".into(),
            obj(self.source_partition.as_deref()),
        );
        o.insert("source_offset".into(), obj(self.source_offset.as_ref()));
    }
    fn read(o: &Map<String, Json>) -> ConnectResult<Self> {
        Ok(SourceMeta {
            source_partition: offset_map(o.get("source_partition"), "source_partition")?
                .map(std::sync::Arc::new),
            source_offset: offset_map(o.get("source_offset"), "source_offset")?,
        })
    }
}

impl MetaCodec for SinkMeta {
    const KIND: &'static str = "sink";
    fn write(&self, o: &mut Map<String, Json>) {
        let tt = match self.timestamp_type {
            TimestampType::NoTimestampType => "NoTimestampType",
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        };
        o.insert("kafka_offset".into(), self.kafka_offset.into());
        o.insert("timestamp_type".into(), tt.into());
        o.insert("original_topic".into(), self.original_topic.as_str().into());
        o.insert(
            "original_kafka_partition".into(),
            self.original_kafka_partition.into(),
        );
        o.insert(
            "original_kafka_offset".into(),
            self.original_kafka_offset.into(),
        );
    }
    fn read(o: &Map<String, Json>) -> ConnectResult<Self> {
        let int = |k: &str| o.get(k).and_then(Json::as_i64).ok_or_else(|| bad(k));
        Ok(SinkMeta {
            kafka_offset: int("kafka_offset")?,
            timestamp_type: match o.get("timestamp_type").and_then(Json::as_str) {
                Some("CreateTime") => TimestampType::CreateTime,
                Some("LogAppendTime") => TimestampType::LogAppendTime,
                _ => TimestampType::NoTimestampType,
            },
            original_topic: o
                .get("original_topic")
                .and_then(Json::as_str)
                .ok_or_else(|| bad("original_topic"))?
                .into(),
            original_kafka_partition: int("original_kafka_partition")? as i32,
            original_kafka_offset: int("original_kafka_offset")?,
        })
    }
}

/// One record as a JSON object.
pub fn record_to_json<M: MetaCodec>(r: &ConnectRecord<M>) -> ConnectResult<Json> {
    let mut o = Map::new();
    o.insert("topic".into(), r.topic.as_str().into());
    o.insert(
        "kafka_partition".into(),
        r.kafka_partition.map(Json::from).unwrap_or(Json::Null),
    );
    o.insert("key".into(), envelope(r.key_schema.as_ref(), &r.key)?);
    o.insert("value".into(), envelope(r.value_schema.as_ref(), &r.value)?);
    o.insert(
        "timestamp".into(),
        r.timestamp.map(Json::from).unwrap_or(Json::Null),
    );
    o.insert("headers".into(), headers_to_json(&r.headers)?);
    r.meta.write(&mut o);
    Ok(Json::Object(o))
}

/// One record from a JSON object.
pub fn record_from_json<M: MetaCodec>(j: &Json) -> ConnectResult<ConnectRecord<M>> {
    let o = j.as_object().ok_or_else(|| bad("record (not an object)"))?;
    let (key_schema, key) = from_envelope(o.get("key").unwrap_or(&Json::Null))?;
    let (value_schema, value) = from_envelope(o.get("value").unwrap_or(&Json::Null))?;
    let headers = match o.get("headers") {
        None | Some(Json::Null) => Headers::new(),
        Some(hs) => headers_from_json(hs)?,
    };
    Ok(ConnectRecord {
        topic: o
            .get("topic")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("record topic"))?
            .into(),
        kafka_partition: o
            .get("kafka_partition")
            .and_then(Json::as_i64)
            .map(|p| p as i32),
        key_schema,
        key,
        value_schema,
        value,
        timestamp: o.get("timestamp").and_then(Json::as_i64),
        headers,
        meta: M::read(o)?,
    })
}

/// A batch of records as a JSON array.
pub fn records_to_json<M: MetaCodec>(rs: &[ConnectRecord<M>]) -> ConnectResult<Json> {
    Ok(Json::Array(
        rs.iter().map(record_to_json).collect::<Result<_, _>>()?,
    ))
}

/// A batch of records from a JSON array.
pub fn records_from_json<M: MetaCodec>(j: &Json) -> ConnectResult<Vec<ConnectRecord<M>>> {
    j.as_array()
        .ok_or_else(|| bad("record batch (not an array)"))?
        .iter()
        .map(record_from_json)
        .collect()
}

// ----------------------------------------------------------------------------- converters

/// Serialized bytes as base64 (as JsonConverter writes `bytes`), a Kafka null as `null`.
pub fn bytes_to_json(data: Option<&[u8]>) -> Json {
    data.map(|b| Json::String(B64.encode(b)))
        .unwrap_or(Json::Null)
}

/// Serialized bytes from base64, `null` (or a missing field) as a Kafka null.
pub fn bytes_from_json(j: Option<&Json>) -> ConnectResult<Option<Vec<u8>>> {
    match j {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => B64.decode(s).map(Some).map_err(|_| bad("base64 data")),
        Some(_) => Err(bad("data (expected a base64 string or null)")),
    }
}

fn topic_of(j: &Json) -> ConnectResult<String> {
    j.get("topic")
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad("topic"))
}

fn object<'a>(j: &'a Json, what: &str) -> ConnectResult<&'a Map<String, Json>> {
    j.as_object()
        .ok_or_else(|| bad(&format!("{what} (not an object)")))
}

/// `CONVERTER_CONFIGURE` input: `{"props": {...}, "is_key": bool}`.
pub fn converter_configure_to_json(props: &Props, is_key: bool) -> Json {
    json!({"props": props_to_json(props), "is_key": is_key})
}

/// The converter settings and whether it converts keys, from `CONVERTER_CONFIGURE` input.
pub fn converter_configure_from_json(j: &Json) -> ConnectResult<(Props, bool)> {
    let o = object(j, "converter configuration")?;
    let props = props_from_json(o.get("props").ok_or_else(|| bad("props"))?)?;
    let is_key = o
        .get("is_key")
        .and_then(Json::as_bool)
        .ok_or_else(|| bad("is_key"))?;
    Ok((props, is_key))
}

/// `HEADER_CONVERTER_CONFIGURE` input: `{"props": {...}}`.
pub fn header_converter_configure_to_json(props: &Props) -> Json {
    json!({"props": props_to_json(props)})
}

/// The header converter settings from `HEADER_CONVERTER_CONFIGURE` input.
pub fn header_converter_configure_from_json(j: &Json) -> ConnectResult<Props> {
    props_from_json(
        object(j, "header converter configuration")?
            .get("props")
            .ok_or_else(|| bad("props"))?,
    )
}

/// What `FROM_CONNECT` converts: a key or value of a record bound for `topic`.
#[derive(Debug, Clone, PartialEq)]
pub struct FromConnectRequest {
    pub topic: String,
    pub headers: Headers,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

/// `FROM_CONNECT` input: `{"topic", "headers", "value": <envelope>}`.
pub fn from_connect_request(
    topic: &str,
    headers: &Headers,
    schema: Option<&SchemaRef>,
    value: &Value,
) -> ConnectResult<Json> {
    Ok(json!({
        "topic": topic,
        "headers": headers_to_json(headers)?,
        "value": envelope(schema, value)?,
    }))
}

/// Parses `FROM_CONNECT` input.
pub fn from_connect_request_from_json(j: &Json) -> ConnectResult<FromConnectRequest> {
    let o = object(j, "from_connect input")?;
    let (schema, value) = from_envelope(o.get("value").unwrap_or(&Json::Null))?;
    Ok(FromConnectRequest {
        topic: topic_of(j)?,
        headers: headers_from_json(o.get("headers").ok_or_else(|| bad("headers"))?)?,
        schema,
        value,
    })
}

/// `FROM_CONNECT` output: the bytes (base64 or `null`), or `{"data", "headers"}` when the
/// converter changed the headers. The short form keeps the common case as small as the
/// bytes; the long one exists because Connect converters may add or change headers.
pub fn from_connect_reply(
    data: Option<&[u8]>,
    changed_headers: Option<&Headers>,
) -> ConnectResult<Json> {
    Ok(match changed_headers {
        None => bytes_to_json(data),
        Some(h) => json!({"data": bytes_to_json(data), "headers": headers_to_json(h)?}),
    })
}

/// Parses `FROM_CONNECT` output: the bytes and, if the converter changed them, the headers.
pub fn from_connect_reply_from_json(j: &Json) -> ConnectResult<(Option<Vec<u8>>, Option<Headers>)> {
    match j {
        Json::Object(o) => Ok((
            bytes_from_json(o.get("data"))?,
            Some(headers_from_json(
                o.get("headers").ok_or_else(|| bad("headers"))?,
            )?),
        )),
        other => Ok((bytes_from_json(Some(other))?, None)),
    }
}

/// What `TO_CONNECT` converts: the key or value bytes of a record read from `topic`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToConnectRequest {
    pub topic: String,
    pub headers: Headers,
    pub data: Option<Vec<u8>>,
}

/// `TO_CONNECT` input: `{"topic", "headers", "data": base64 or null}`; the output is an
/// envelope ([`envelope`]).
pub fn to_connect_request(
    topic: &str,
    headers: &Headers,
    data: Option<&[u8]>,
) -> ConnectResult<Json> {
    Ok(json!({"topic": topic, "headers": headers_to_json(headers)?, "data": bytes_to_json(data)}))
}

/// Parses `TO_CONNECT` input.
pub fn to_connect_request_from_json(j: &Json) -> ConnectResult<ToConnectRequest> {
    let o = object(j, "to_connect input")?;
    Ok(ToConnectRequest {
        topic: topic_of(j)?,
        headers: headers_from_json(o.get("headers").ok_or_else(|| bad("headers"))?)?,
        data: bytes_from_json(o.get("data"))?,
    })
}

/// What `FROM_CONNECT_HEADER` converts: the value of header `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct FromConnectHeaderRequest {
    pub topic: String,
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

fn header_key_of(j: &Json) -> ConnectResult<String> {
    j.get("key")
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad("header key"))
}

/// `FROM_CONNECT_HEADER` input: `{"topic", "key", "value": <envelope>}`; the output is the
/// bytes ([`bytes_to_json`]).
pub fn from_connect_header_request(
    topic: &str,
    key: &str,
    schema: Option<&SchemaRef>,
    value: &Value,
) -> ConnectResult<Json> {
    Ok(json!({"topic": topic, "key": key, "value": envelope(schema, value)?}))
}

/// Parses `FROM_CONNECT_HEADER` input.
pub fn from_connect_header_request_from_json(j: &Json) -> ConnectResult<FromConnectHeaderRequest> {
    let o = object(j, "from_connect_header input")?;
    let (schema, value) = from_envelope(o.get("value").unwrap_or(&Json::Null))?;
    Ok(FromConnectHeaderRequest {
        topic: topic_of(j)?,
        key: header_key_of(j)?,
        schema,
        value,
    })
}

/// What `TO_CONNECT_HEADER` converts: the bytes of header `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToConnectHeaderRequest {
    pub topic: String,
    pub key: String,
    pub data: Option<Vec<u8>>,
}

/// `TO_CONNECT_HEADER` input: `{"topic", "key", "data": base64 or null}`; the output is an
/// envelope.
pub fn to_connect_header_request(topic: &str, key: &str, data: Option<&[u8]>) -> Json {
    json!({"topic": topic, "key": key, "data": bytes_to_json(data)})
}

/// Parses `TO_CONNECT_HEADER` input.
pub fn to_connect_header_request_from_json(j: &Json) -> ConnectResult<ToConnectHeaderRequest> {
    let o = object(j, "to_connect_header input")?;
    Ok(ToConnectHeaderRequest {
        topic: topic_of(j)?,
        key: header_key_of(j)?,
        data: bytes_from_json(o.get("data"))?,
    })
}

// ----------------------------------------------------------------------------- configs

/// A flat configuration as a JSON object of strings.
pub fn props_to_json(p: &Props) -> Json {
    Json::Object(
        p.iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect(),
    )
}

/// A flat configuration from a JSON object of strings.
pub fn props_from_json(j: &Json) -> ConnectResult<Props> {
    let o = j.as_object().ok_or_else(|| bad("config (not an object)"))?;
    o.iter()
        .map(|(k, v)| match v {
            Json::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(bad(&format!("config value of {k} (not a string)"))),
        })
        .collect()
}

/// Topic partitions and offsets as `[{"topic","partition","offset"}]`.
pub fn offsets_to_json(m: &HashMap<TopicPartition, i64>) -> Json {
    let mut v: Vec<_> = m.iter().collect();
    v.sort();
    Json::Array(
        v.into_iter()
            .map(|(tp, o)| json!({"topic": tp.topic, "partition": tp.partition, "offset": o}))
            .collect(),
    )
}

fn tp_from_json(j: &Json) -> ConnectResult<TopicPartition> {
    Ok(TopicPartition::new(
        j.get("topic")
            .and_then(Json::as_str)
            .ok_or_else(|| bad("topic"))?,
        j.get("partition")
            .and_then(Json::as_i64)
            .ok_or_else(|| bad("partition"))? as i32,
    ))
}

/// Topic partitions and offsets from `[{"topic","partition","offset"}]`.
pub fn offsets_from_json(j: &Json) -> ConnectResult<HashMap<TopicPartition, i64>> {
    let mut out = HashMap::new();
    for e in j.as_array().ok_or_else(|| bad("offsets (not an array)"))? {
        let off = e
            .get("offset")
            .and_then(Json::as_i64)
            .ok_or_else(|| bad("offset"))?;
        out.insert(tp_from_json(e)?, off);
    }
    Ok(out)
}

/// Topic partitions as `[{"topic","partition"}]`.
pub fn partitions_to_json<'a>(tps: impl IntoIterator<Item = &'a TopicPartition>) -> Json {
    Json::Array(
        tps.into_iter()
            .map(|tp| json!({"topic": tp.topic, "partition": tp.partition}))
            .collect(),
    )
}

/// Topic partitions from `[{"topic","partition"}]`.
pub fn partitions_from_json(j: &Json) -> ConnectResult<Vec<TopicPartition>> {
    j.as_array()
        .ok_or_else(|| bad("partitions (not an array)"))?
        .iter()
        .map(tp_from_json)
        .collect()
}

fn config_type(t: &str) -> Option<ConfigType> {
    Some(match t {
        "BOOLEAN" => ConfigType::Boolean,
        "STRING" => ConfigType::String,
        "INT" => ConfigType::Int,
        "SHORT" => ConfigType::Short,
        "LONG" => ConfigType::Long,
        "DOUBLE" => ConfigType::Double,
        "LIST" => ConfigType::List,
        "CLASS" => ConfigType::Class,
        "PASSWORD" => ConfigType::Password,
        _ => return None,
    })
}

/// A configuration definition as a JSON array of keys. A custom validator crosses as
/// `{"kind":"custom"}`: the host cannot run it, so connectors validate on the plugin side.
pub fn config_def_to_json(def: &ConfigDef) -> Json {
    Json::Array(
        def.keys()
            .iter()
            .map(|k| {
                let default = match &k.default {
                    Default::Required => json!({"kind": "required"}),
                    Default::Null => json!({"kind": "null"}),
                    Default::Value(v) => json!({"kind": "value", "value": v}),
                };
                let validator = match &k.validator {
                    None => Json::Null,
                    Some(Validator::Range { min, max }) => {
                        json!({"kind": "range", "min": min, "max": max})
                    }
                    Some(Validator::ValidString(v)) => json!({"kind": "valid_string", "values": v}),
                    Some(Validator::CaseInsensitiveValidString(v)) => {
                        json!({"kind": "case_insensitive_valid_string", "values": v})
                    }
                    Some(Validator::NonEmptyString) => json!({"kind": "non_empty_string"}),
                    Some(Validator::Custom(_)) => json!({"kind": "custom"}),
                };
                json!({
                    "name": k.name, "type": k.config_type.name(), "default": default,
                    "validator": validator, "importance": k.importance.name(),
                    "documentation": k.documentation, "group": k.group,
                    "order_in_group": k.order_in_group, "width": k.width.name(),
                    "display_name": k.display_name, "dependents": k.dependents,
                })
            })
            .collect(),
    )
}

fn strings(j: Option<&Json>) -> Vec<String> {
    j.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A configuration definition from its JSON form (custom validators are dropped).
pub fn config_def_from_json(j: &Json) -> ConnectResult<ConfigDef> {
    let mut def = ConfigDef::new();
    for k in j
        .as_array()
        .ok_or_else(|| bad("config definition (not an array)"))?
    {
        let s = |f: &str| k.get(f).and_then(Json::as_str);
        let name = s("name").ok_or_else(|| bad("config key name"))?;
        let t = s("type")
            .and_then(config_type)
            .ok_or_else(|| bad(&format!("type of config key {name}")))?;
        let default = match k
            .get("default")
            .and_then(|d| d.get("kind"))
            .and_then(Json::as_str)
        {
            Some("null") => Default::Null,
            Some("value") => Default::Value(
                k["default"]
                    .get("value")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            _ => Default::Required,
        };
        let importance = match s("importance") {
            Some("HIGH") => Importance::High,
            Some("MEDIUM") => Importance::Medium,
            _ => Importance::Low,
        };
        let mut key = ConfigKey::new(
            name,
            t,
            default,
            importance,
            s("documentation").unwrap_or(""),
        );
        let v = k.get("validator").unwrap_or(&Json::Null);
        key.validator = match v.get("kind").and_then(Json::as_str) {
            Some("range") => Some(Validator::Range {
                min: v.get("min").and_then(Json::as_f64),
                max: v.get("max").and_then(Json::as_f64),
            }),
            Some("valid_string") => Some(Validator::ValidString(strings(v.get("values")))),
            Some("case_insensitive_valid_string") => Some(Validator::CaseInsensitiveValidString(
                strings(v.get("values")),
            )),
            Some("non_empty_string") => Some(Validator::NonEmptyString),
            _ => None,
        };
        key.group = s("group").map(str::to_string);
        key.order_in_group = k.get("order_in_group").and_then(Json::as_i64).unwrap_or(-1) as i32;
        key.width = match s("width") {
            Some("SHORT") => Width::Short,
            Some("MEDIUM") => Width::Medium,
            Some("LONG") => Width::Long,
            _ => Width::None,
        };
        key.display_name = s("display_name").unwrap_or(name).to_string();
        key.dependents = strings(k.get("dependents"));
        def = def.define(key);
    }
    Ok(def)
}

/// Validation reports as `[{"name","value","recommended_values","errors","visible"}]`.
pub fn reports_to_json(rs: &[ConfigValueReport]) -> Json {
    Json::Array(
        rs.iter()
            .map(|r| {
                json!({"name": r.name, "value": r.value, "recommended_values": r.recommended_values,
                       "errors": r.errors, "visible": r.visible})
            })
            .collect(),
    )
}

/// Validation reports from JSON.
pub fn reports_from_json(j: &Json) -> ConnectResult<Vec<ConfigValueReport>> {
    j.as_array()
        .ok_or_else(|| bad("validation reports (not an array)"))?
        .iter()
        .map(|r| {
            Ok(ConfigValueReport {
                name: r
                    .get("name")
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("report name"))?
                    .to_string(),
                value: r.get("value").and_then(Json::as_str).map(str::to_string),
                recommended_values: strings(r.get("recommended_values")),
                errors: strings(r.get("errors")),
                visible: r.get("visible").and_then(Json::as_bool).unwrap_or(true),
            })
        })
        .collect()
}

/// An error as `{"class": "<Java exception class>", "message": "..."}`.
pub fn error_to_json(e: &ConnectError) -> Json {
    json!({"class": e.java_class(), "message": e.to_string()})
}

/// An error from its JSON form; unknown classes become `ConnectException`s.
pub fn error_from_json(j: &Json) -> ConnectError {
    let msg = j
        .get("message")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    match j.get("class").and_then(Json::as_str).unwrap_or("") {
        "org.apache.kafka.connect.errors.DataException" => ConnectError::Data(msg),
        "org.apache.kafka.common.config.ConfigException" => ConnectError::Config(msg),
        "org.apache.kafka.connect.errors.RetriableException" => ConnectError::Retriable(msg),
        "org.apache.kafka.connect.errors.ConnectException" | "" => ConnectError::Connect(msg),
        other => ConnectError::Connect(format!("{other}: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SchemaBuilder;

    fn round_trip(schema: Option<SchemaRef>, v: Value) {
        let j = envelope(schema.as_ref(), &v).unwrap();
        let text = j.to_string();
        let back = from_envelope(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, (schema, v), "{text}");
    }

    #[test]
    fn every_type_survives_the_boundary() {
        let inner = SchemaBuilder::struct_()
            .name("In")
            .field("x", Schema::optional_int8())
            .build();
        let schema = SchemaBuilder::struct_()
            .name("com.example.All")
            .version(3)
            .doc("docs")
            .parameter("p", "v")
            .field("i16", Schema::int16())
            .field(
                "i32",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(Value::Int32(7))
                    .unwrap()
                    .build(),
            )
            .field("f32", Schema::float32())
            .field("f64", Schema::float64())
            .field("b", Schema::boolean())
            .field("bytes", Schema::bytes())
            .field("dec", logical::decimal_schema(3))
            .field("date", logical::date_builder().build())
            .field("time", logical::time_builder().build())
            .field("ts", logical::timestamp_builder().build())
            .field("arr", SchemaBuilder::array(Schema::string()).build())
            .field(
                "smap",
                SchemaBuilder::map(Schema::string(), Schema::int64()).build(),
            )
            .field(
                "imap",
                SchemaBuilder::map(Schema::int32(), inner.clone()).build(),
            )
            .build();
        let mut s = Struct::new(schema.clone());
        let mut i = Struct::new(inner);
        i.put("x", Value::Int8(-3)).unwrap();
        for (k, v) in [
            ("i16", Value::Int16(-300)),
            ("f32", Value::Float32(1.5)),
            ("f64", Value::Float64(f64::NAN.min(2.25))),
            ("b", Value::Boolean(true)),
            ("bytes", Value::Bytes(vec![0, 255, 7])),
            ("dec", Value::Decimal(Decimal::new(-123456, 3))),
            ("date", Value::Timestamp(19_000 * logical::MILLIS_PER_DAY)),
            ("time", Value::Timestamp(3_600_000)),
            ("ts", Value::Timestamp(1_700_000_000_123)),
            ("arr", Value::Array(vec![Value::from("a")])),
            (
                "smap",
                Value::Map(vec![(Value::from("k"), Value::Int64(i64::MAX))]),
            ),
            (
                "imap",
                Value::Map(vec![(Value::Int32(4), Value::Struct(i.clone()))]),
            ),
        ] {
            s.put(k, v).unwrap();
        }
        round_trip(Some(schema), Value::Struct(s));
        round_trip(None, Value::Null);
        round_trip(Some(Schema::optional_string()), Value::Null);
        round_trip(
            None,
            Value::Map(vec![
                (
                    Value::Int16(1),
                    Value::Array(vec![Value::Float32(f32::INFINITY), Value::Bytes(vec![1])]),
                ),
                (Value::from("d"), Value::Decimal(Decimal::new(5, -2))),
                (Value::Boolean(false), Value::Timestamp(-5)),
                (Value::Int8(2), Value::Struct(i)),
            ]),
        );
    }

    #[test]
    fn schema_json_is_connects_form() {
        let s = logical::decimal_schema(2);
        assert_eq!(
            schema_to_json(&s).unwrap().to_string(),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#
        );
    }

    #[test]
    fn records_and_configs_round_trip() {
        let mut r = crate::record::SourceRecord::new(
            Some(crate::offset::OffsetMap::try_from(json!({"f": "a"})).unwrap()),
            Some(crate::offset::OffsetMap::try_from(json!({"pos": 3})).unwrap()),
            "t",
            Some(Schema::string()),
            Value::from("v"),
        );
        r.kafka_partition = Some(2);
        r.timestamp = Some(9);
        r.headers.add("h", Some(Schema::int32()), Value::Int32(1));
        let back: ConnectRecord<SourceMeta> =
            record_from_json(&record_to_json(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        let sink = ConnectRecord {
            meta: SinkMeta {
                kafka_offset: 5,
                timestamp_type: TimestampType::CreateTime,
                original_topic: "o".into(),
                original_kafka_partition: 1,
                original_kafka_offset: 4,
            },
            topic: "t".into(),
            kafka_partition: Some(0),
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Int64(1),
            timestamp: None,
            headers: Headers::new(),
        };
        let back: ConnectRecord<SinkMeta> =
            record_from_json(&record_to_json(&sink).unwrap()).unwrap();
        assert_eq!(back, sink);

        let def = ConfigDef::new()
            .define(
                ConfigKey::new(
                    "a",
                    ConfigType::Int,
                    Default::Value("1".into()),
                    Importance::High,
                    "doc",
                )
                .validator(Validator::between(1.0, 5.0))
                .group("G", 2, Width::Short, "A"),
            )
            .define(ConfigKey::new(
                "b",
                ConfigType::List,
                Default::Required,
                Importance::Low,
                "",
            ));
        let back = config_def_from_json(&config_def_to_json(&def)).unwrap();
        assert_eq!(config_def_to_json(&back), config_def_to_json(&def));
        let mut props = Props::new();
        props.insert("a".into(), "9".into());
        assert_eq!(back.validate(&props), def.validate(&props));
        assert_eq!(
            error_from_json(&error_to_json(&ConnectError::retriable("x"))),
            ConnectError::retriable("x")
        );
    }

    #[test]
    fn converter_calls_round_trip() {
        let mut headers = Headers::new();
        headers.add("a", Some(Schema::int32()), Value::Int32(1));
        headers.add("a", None, Value::Array(vec![Value::from("x")]));
        headers.add("n", Some(Schema::optional_bytes()), Value::Null);
        let schema = logical::decimal_schema(2);
        let value = Value::Decimal(Decimal::new(-1234, 2));

        let j = from_connect_request("t", &headers, Some(&schema), &value).unwrap();
        assert_eq!(j["value"], envelope(Some(&schema), &value).unwrap());
        assert_eq!(
            from_connect_request_from_json(&j).unwrap(),
            FromConnectRequest {
                topic: "t".into(),
                headers: headers.clone(),
                schema: Some(schema.clone()),
                value: value.clone(),
            }
        );
        assert_eq!(
            from_connect_reply_from_json(&from_connect_reply(Some(&[0, 255]), None).unwrap())
                .unwrap(),
            (Some(vec![0, 255]), None)
        );
        assert_eq!(from_connect_reply(None, None).unwrap(), Json::Null);
        let long = from_connect_reply(None, Some(&headers)).unwrap();
        assert_eq!(
            from_connect_reply_from_json(&long).unwrap(),
            (None, Some(headers.clone()))
        );

        let j = to_connect_request("t", &headers, Some(b"\x00hi")).unwrap();
        assert_eq!(j["data"], "AGhp");
        assert_eq!(
            to_connect_request_from_json(&j).unwrap(),
            ToConnectRequest {
                topic: "t".into(),
                headers: headers.clone(),
                data: Some(b"\x00hi".to_vec()),
            }
        );
        let j = from_connect_header_request("t", "k", None, &Value::Int16(3)).unwrap();
        assert_eq!(
            from_connect_header_request_from_json(&j).unwrap(),
            FromConnectHeaderRequest {
                topic: "t".into(),
                key: "k".into(),
                schema: None,
                value: Value::Int16(3),
            }
        );
        let j = to_connect_header_request("t", "k", None);
        assert_eq!(j, json!({"topic": "t", "key": "k", "data": null}));
        assert_eq!(
            to_connect_header_request_from_json(&j).unwrap(),
            ToConnectHeaderRequest {
                topic: "t".into(),
                key: "k".into(),
                data: None,
            }
        );

        let mut props = Props::new();
        props.insert("p".into(), "v".into());
        assert_eq!(
            converter_configure_from_json(&converter_configure_to_json(&props, true)).unwrap(),
            (props.clone(), true)
        );
        assert_eq!(
            header_converter_configure_from_json(&header_converter_configure_to_json(&props))
                .unwrap(),
            props
        );
        assert!(headers_from_json(&json!({"a": 1})).is_err());
        assert!(headers_from_json(&json!([{"value": null}])).is_err());
        assert!(from_connect_reply_from_json(&json!({"data": null})).is_err());
        assert!(from_connect_reply_from_json(&json!(3)).is_err());
    }
}
