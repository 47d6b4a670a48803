//! What the transformations share (Java `util.Requirements`, `util.SchemaUtil`, and the
//! `$Key`/`$Value` split of `operatingSchema`/`operatingValue`/`newRecord`).

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::data::{Schema, SchemaBuilder, SchemaRef, Struct, Text, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta, Topic};
use rconnect_sdk::{ConnectError, ConnectResult};

/// Which side of the record a `$Key` or `$Value` transformation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    /// The operating schema and value.
    pub fn get<M>(self, r: &ConnectRecord<M>) -> (Option<&SchemaRef>, &Value) {
        match self {
            Side::Key => (r.key_schema.as_ref(), &r.key),
            Side::Value => (r.value_schema.as_ref(), &r.value),
        }
    }

    /// Moves the operating schema and value out of the record (leaving null), for
    /// transformations that wrap the value rather than copy it.
    pub fn take<M>(self, r: &mut ConnectRecord<M>) -> (Option<SchemaRef>, Value) {
        match self {
            Side::Key => (r.key_schema.take(), std::mem::take(&mut r.key)),
            Side::Value => (r.value_schema.take(), std::mem::take(&mut r.value)),
        }
    }

    /// Replaces the operating side in place (after [`Side::take`]); a record is a few
    /// hundred bytes, and passing it by value through [`Side::set`] copies it.
    pub fn put_back<M>(self, r: &mut ConnectRecord<M>, schema: Option<SchemaRef>, value: Value) {
        match self {
            // The slot was emptied by `take` (or holds a scalar): `replace_in` skips the
            // out-of-line drop of the old value.
            Side::Key => {
                r.key_schema = schema;
                Value::replace_in(&mut r.key, value);
            }
            Side::Value => {
                r.value_schema = schema;
                Value::replace_in(&mut r.value, value);
            }
        }
    }

    /// The record with the operating side replaced; everything else is kept.
    pub fn set<M: RecordMeta>(
        self,
        mut r: ConnectRecord<M>,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord<M> {
        self.put_back(&mut r, schema, value);
        r
    }
}

/// Java's `Object.getClass().getName()` of a value, `null` for null.
pub fn class_of(v: &Value) -> &'static str {
    v.java_class()
}

/// Java `Requirements.requireStruct`.
pub fn require_struct<'a>(v: &'a Value, purpose: &str) -> ConnectResult<&'a Struct> {
    match v {
        Value::Struct(s) => Ok(s),
        other => Err(not_a_struct(other, purpose)),
    }
}

fn not_a_struct(v: &Value, purpose: &str) -> ConnectError {
    ConnectError::data(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        class_of(v)
    ))
}

/// [`require_struct`] of a value the transformation owns, which it may take apart.
pub fn into_struct(v: Value, purpose: &str) -> ConnectResult<Struct> {
    match v {
        Value::Struct(s) => Ok(s),
        other => Err(not_a_struct(&other, purpose)),
    }
}

/// Java `Requirements.requireMap`: a schemaless value must be a map.
pub fn require_map<'a>(v: &'a Value, purpose: &str) -> ConnectResult<&'a [(Value, Value)]> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(not_a_map(other, purpose)),
    }
}

/// [`require_map`] of a value the transformation owns.
pub fn into_map(v: Value, purpose: &str) -> ConnectResult<Vec<(Value, Value)>> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(not_a_map(&other, purpose)),
    }
}

fn not_a_map(v: &Value, purpose: &str) -> ConnectError {
    ConnectError::data(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        class_of(v)
    ))
}

/// Java `Requirements.requireSchema`.
pub fn require_schema<'a>(s: Option<&'a SchemaRef>, purpose: &str) -> ConnectResult<&'a SchemaRef> {
    s.ok_or_else(|| ConnectError::data(format!("Schema required for [{purpose}]")))
}

/// Java `SchemaUtil.copySchemaBasics`: name, version, doc and parameters only.
pub fn copy_schema_basics(from: &Schema, mut b: SchemaBuilder) -> SchemaBuilder {
    if let Some(n) = &from.name {
        b = b.name(n.clone());
    }
    if let Some(v) = from.version {
        b = b.version(v);
    }
    if let Some(d) = &from.doc {
        b = b.doc(d.clone());
    }
    if let Some(p) = &from.parameters {
        for (k, v) in p {
            b = b.parameter(k.clone(), v.clone());
        }
    }
    b
}

/// A struct field's value: `Struct.get` (default for a null slot) when
/// `replace.null.with.default` is true, else `getWithoutDefault`.
pub fn field_value(s: &Struct, index: usize, replace_null_with_default: bool) -> Value {
    if replace_null_with_default {
        s.get_at(index).clone()
    } else {
        s.values()[index].clone()
    }
}

/// [`field_value`] of every slot of a struct taken apart (`Struct::into_parts`), in place:
/// a null slot becomes its field's default when `replace.null.with.default` is true.
pub fn apply_defaults(schema: &Schema, values: &mut [Value], replace_null_with_default: bool) {
    if !replace_null_with_default {
        return;
    }
    for (v, f) in values.iter_mut().zip(&schema.fields) {
        if v.is_null() {
            if let Some(d) = &f.schema.default_value {
                *v = d.clone();
            }
        }
    }
}

/// [`field_value`] of a slot of a struct taken apart, moved out (the slot is left null).
pub fn take_field_value(
    schema: &Schema,
    values: &mut [Value],
    index: usize,
    replace_null_with_default: bool,
) -> Value {
    let v = std::mem::take(&mut values[index]);
    if replace_null_with_default && v.is_null() {
        if let Some(d) = &schema.fields[index].schema.default_value {
            return d.clone();
        }
    }
    v
}

/// The entry of a schemaless map under a string key.
pub fn map_get<'a>(m: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Sets a string-keyed entry, replacing an existing one in place (Java `Map.put`).
///
/// A new key is made from `key` with `Into<Text>`: a shared [`Text`] (a transformation's
/// configured field name) goes in without a copy.
pub fn map_put<K: AsRef<str> + Into<Text>>(m: &mut Vec<(Value, Value)>, key: K, value: Value) {
    match m.iter_mut().find(|(k, _)| k.as_str() == Some(key.as_ref())) {
        Some(e) => e.1 = value,
        None => m.push((Value::String(key.into()), value)),
    }
}

/// Removes a string-keyed entry (Java `Map.remove`).
pub fn map_remove(m: &mut Vec<(Value, Value)>, key: &str) {
    m.retain(|(k, _)| k.as_str() != Some(key));
}

/// Java `Schema.toString()` of a `ConnectSchema`: `Schema{INT32}`, or with its name
/// `Schema{com.example.Person:STRUCT}`.
pub fn schema_string(s: &Schema) -> String {
    match &s.name {
        Some(n) => format!("Schema{{{n}:{}}}", s.schema_type.java_name()),
        None => format!("Schema{{{}}}", s.schema_type.java_name()),
    }
}

// ---- config keys shared by several transformations ----------------------------------------

pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

pub fn replace_null_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Default::Value("true".into()),
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
    )
}

/// Java `ConfigDef.NonEmptyListValidator` / `NonEmptyList`.
pub fn non_empty_list() -> Validator {
    Validator::Custom(std::sync::Arc::new(|key, v| match v {
        ConfigValue::List(l) if l.is_empty() => Err(format!(
            "Invalid value [] for configuration {key}: Empty list"
        )),
        ConfigValue::Null => Err(format!(
            "Invalid value null for configuration {key}: Empty list"
        )),
        _ => Ok(()),
    }))
}

/// Parses `props` against `def`, as Java's `SimpleConfig` does.
pub fn parse(def: &ConfigDef, props: &rconnect_sdk::Props) -> ConnectResult<Parsed> {
    Ok(Parsed(def.parse(props)?))
}

/// Typed access to a parsed transformation config.
pub struct Parsed(rconnect_sdk::config::ParsedConfig);

impl Parsed {
    pub fn string(&self, key: &str) -> Option<String> {
        self.0.string(key).map(str::to_string)
    }
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0.list(key).map(<[String]>::to_vec).unwrap_or_default()
    }
    pub fn boolean(&self, key: &str) -> bool {
        self.0.boolean(key).unwrap_or(false)
    }
    pub fn int(&self, key: &str) -> Option<i32> {
        self.0.int(key)
    }
}

/// Java `ConnectRecord.toString()` with its subclass prefix, for messages quoting a record.
pub fn record_string<M: RecordMeta>(r: &ConnectRecord<M>) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "null".into());
    let headers = if r.headers.is_empty() {
        String::new()
    } else {
        let hs: Vec<String> = r
            .headers
            .iter()
            .map(|h| {
                format!(
                    "ConnectHeader(key={}, value={}, schema={})",
                    h.key,
                    h.value,
                    opt(h.schema.as_deref().map(schema_string))
                )
            })
            .collect();
        format!("[{}]", hs.join(", "))
    };
    format!(
        "{} ConnectRecord{{topic='{}', kafkaPartition={}, key={}, keySchema={}, value={}, valueSchema={}, timestamp={}, headers=ConnectHeaders(headers={headers})}}",
        r.meta.java_string(),
        r.topic,
        opt(r.kafka_partition.map(|p| p.to_string())),
        r.key,
        opt(r.key_schema.as_deref().map(schema_string)),
        r.value,
        opt(r.value_schema.as_deref().map(schema_string)),
        opt(r.timestamp.map(|t| t.to_string())),
    )
}

/// Java's per-transformation `SynchronizedCache<Schema, Schema>(new LRUCache<>(16))`: a
/// rewritten schema is built once per input schema, and records keep sharing one output
/// `Arc` (which also lets converters reuse their own per-schema work).
#[derive(Debug, Default)]
pub struct SchemaCache {
    entries: std::sync::Mutex<Vec<(SchemaRef, SchemaRef)>>,
}

impl SchemaCache {
    const CAPACITY: usize = 16;

    /// The cached rewrite of `input`, or `build(input)` remembered.
    pub fn get_or_build(
        &self,
        input: &SchemaRef,
        build: impl FnOnce(&Schema) -> ConnectResult<SchemaRef>,
    ) -> ConnectResult<SchemaRef> {
        {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            // From the most recent: entries are distinct, so it finds the same one sooner.
            if let Some(i) = entries
                .iter()
                .rposition(|(k, _)| std::sync::Arc::ptr_eq(k, input) || **k == **input)
            {
                // Most recently used last; a task's records usually share one schema, which
                // is then already there.
                let last = entries.len() - 1;
                if i != last {
                    let e = entries.remove(i);
                    entries.push(e);
                }
                return Ok(entries[last].1.clone());
            }
        }
        let out = build(input)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.remove(0);
        }
        entries.push((input.clone(), out.clone()));
        Ok(out)
    }
}

/// The result of a function of the topic name, kept for the last topic seen. A task's
/// records nearly always share one topic, and a regex match per record (Java runs one in
/// `RegexRouter#apply` and `TopicNameMatches#test`) costs more than the rest of a simple
/// transformation; the result is the same, as the function depends on the name only.
#[derive(Debug, Default)]
pub struct LastTopic<T> {
    last: std::sync::Mutex<Option<(Topic, T)>>,
}

impl<T: Clone> LastTopic<T> {
    /// `f(topic)`, from the last call when it was for the same topic; errors are not kept.
    pub fn get_or_compute<E>(
        &self,
        topic: &Topic,
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, v)) = &*last {
            if t == topic {
                return Ok(v.clone());
            }
        }
        let v = f(topic)?;
        *last = Some((topic.clone(), v.clone()));
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::Schema;
    use rconnect_sdk::record::SourceRecord;
    use rconnect_sdk::transform::Transformation;

    fn person(extra: &str) -> SchemaRef {
        SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .field(extra, Schema::optional_string())
            .build()
    }

    #[test]
    fn schema_rewrites_are_cached_per_input_schema() {
        let mut t = crate::InsertField::new(Side::Value);
        let props: rconnect_sdk::Props = [("topic.field".to_string(), "t".to_string())].into();
        Transformation::<rconnect_sdk::record::SourceMeta>::configure(&mut t, &props).unwrap();
        let rec = |schema: &SchemaRef| {
            let mut s = Struct::new(schema.clone());
            s.put("id", Value::Int64(1)).unwrap();
            SourceRecord::new(None, None, "orders", Some(schema.clone()), Value::Struct(s))
        };
        let a = person("a");
        let first = t.apply(rec(&a)).unwrap().unwrap().value_schema.unwrap();
        // An equal schema in another Arc hits the same entry.
        let again = t
            .apply(rec(&person("a")))
            .unwrap()
            .unwrap()
            .value_schema
            .unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        // Other schemas get their own rewrite, and the cache keeps only 16.
        for i in 0..20 {
            let s = person(&format!("f{i}"));
            let out = t.apply(rec(&s)).unwrap().unwrap().value_schema.unwrap();
            assert_eq!(out.fields.len(), 3);
            assert_eq!(out.fields[1].name, format!("f{i}"));
        }
        assert_eq!(t.cache.entries.lock().unwrap().len(), SchemaCache::CAPACITY);
        let evicted = t.apply(rec(&a)).unwrap().unwrap().value_schema.unwrap();
        assert!(!std::sync::Arc::ptr_eq(&first, &evicted));
        assert_eq!(*first, *evicted);
    }

    #[test]
    fn the_last_topic_result_is_reused_until_the_topic_changes() {
        let last = LastTopic::<usize>::default();
        let mut calls = 0;
        let mut len = |t: &Topic| {
            last.get_or_compute(t, |s| {
                calls += 1;
                Ok::<_, ()>(s.len())
            })
        };
        let a: Topic = "orders".into();
        assert_eq!(len(&a), Ok(6));
        assert_eq!(len(&a.clone()), Ok(6));
        // An equal name in another allocation is the same topic.
        assert_eq!(len(&"orders".into()), Ok(6));
        assert_eq!(len(&"lines".into()), Ok(5));
        assert_eq!(len(&a), Ok(6));
        assert_eq!(calls, 3);
        // Errors are not kept.
        let failing = LastTopic::<usize>::default();
        assert_eq!(failing.get_or_compute(&a, |_| Err("bad")), Err("bad"));
        assert_eq!(
            failing.get_or_compute(&a, |s| Ok::<_, &str>(s.len())),
            Ok(6)
        );
    }
}
