//! Java `InsertField`: adds the record's topic, partition, offset, timestamp and/or a static
//! value as fields of the key or value.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::{logical, Schema, SchemaBuilder, SchemaRef, Struct, Text, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{self, apply_defaults, copy_schema_basics, into_map, into_struct, map_put, Side};

const PURPOSE: &str = "field insertion";

/// A field to insert: `name!` is required, `name?` and `name` optional.
///
/// The name is shared: a schemaless record gets it as a map key without a copy.
#[derive(Debug, Clone)]
struct Spec {
    name: Text,
    optional: bool,
}

fn spec(raw: Option<String>) -> Option<Spec> {
    let raw = raw?;
    if let Some(n) = raw.strip_suffix('!') {
        Some(Spec {
            name: Text::shared(n),
            optional: false,
        })
    } else if let Some(n) = raw.strip_suffix('?') {
        Some(Spec {
            name: Text::shared(n),
            optional: true,
        })
    } else {
        Some(Spec {
            name: Text::shared(&raw),
            optional: true,
        })
    }
}

#[derive(Debug)]
pub struct InsertField {
    side: Side,
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    /// Shared by every record it goes into.
    static_value: Option<Text>,
    replace_null_with_default: bool,
    pub(crate) cache: util::SchemaCache,
}

impl InsertField {
    pub fn new(side: Side) -> Self {
        InsertField {
            side,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        let suffix = "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).";
        let key = |name: &str, doc: &str| {
            ConfigKey::new(
                name,
                ConfigType::String,
                Default::Null,
                Importance::Medium,
                &format!("{doc}{suffix}"),
            )
        };
        ConfigDef::new()
            // Java's texts end with their own separator (a space, or `<br/>` for the offset).
            .define(key("topic.field", "Field name for Kafka topic. "))
            .define(key("partition.field", "Field name for Kafka partition. "))
            .define(key(
                "offset.field",
                "Field name for Kafka offset - only applicable to sink connectors.<br/>",
            ))
            .define(key("timestamp.field", "Field name for record timestamp. "))
            .define(key("static.field", "Field name for static data field. "))
            .define(ConfigKey::new(
                "static.value",
                ConfigType::String,
                Default::Null,
                Importance::Medium,
                "Static field value, if field name configured.",
            ))
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.topic = spec(c.string("topic.field"));
        self.partition = spec(c.string("partition.field"));
        self.offset = spec(c.string("offset.field"));
        self.timestamp = spec(c.string("timestamp.field"));
        self.static_field = spec(c.string("static.field"));
        self.static_value = c.string("static.value").as_deref().map(Text::shared);
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        if self.topic.is_none()
            && self.partition.is_none()
            && self.offset.is_none()
            && self.timestamp.is_none()
            && self.static_field.is_none()
        {
            return Err(ConnectError::config("No field insertion configured"));
        }
        if self.static_field.is_some() && self.static_value.is_none() {
            // Java prints the spec object itself (`InsertField$InsertionSpec@<hash>`).
            return Err(ConnectError::config("Invalid value null for configuration static.value: No value specified for static field: org.apache.kafka.connect.transforms.InsertField$InsertionSpec@0"));
        }
        Ok(())
    }

    fn offset_of<M: RecordMeta>(r: &ConnectRecord<M>) -> ConnectResult<i64> {
        r.meta.kafka_offset().ok_or_else(|| {
            ConnectError::data(format!(
                "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
            ))
        })
    }

    fn schema_for(&self, s: &Schema) -> ConnectResult<SchemaRef> {
        let mut b = copy_schema_basics(s, SchemaBuilder::struct_());
        for f in &s.fields {
            b = b.try_field(f.name.clone(), f.schema.clone())?;
        }
        let pick = |sp: &Spec, req: SchemaRef, opt: SchemaRef| if sp.optional { opt } else { req };
        if let Some(sp) = &self.topic {
            b = b.try_field(
                sp.name.clone(),
                pick(sp, Schema::string(), Schema::optional_string()),
            )?;
        }
        if let Some(sp) = &self.partition {
            b = b.try_field(
                sp.name.clone(),
                pick(sp, Schema::int32(), Schema::optional_int32()),
            )?;
        }
        if let Some(sp) = &self.offset {
            b = b.try_field(
                sp.name.clone(),
                pick(sp, Schema::int64(), Schema::optional_int64()),
            )?;
        }
        if let Some(sp) = &self.timestamp {
            b = b.try_field(
                sp.name.clone(),
                pick(
                    sp,
                    logical::timestamp_builder().build(),
                    logical::timestamp_builder().optional().build(),
                ),
            )?;
        }
        if let Some(sp) = &self.static_field {
            b = b.try_field(
                sp.name.clone(),
                pick(sp, Schema::string(), Schema::optional_string()),
            )?;
        }
        Ok(b.build())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        // The value is taken out of the record and its fields moved into the result: the
        // record is the transformation's own, and a copy of each field would allocate.
        let (schema, value) = self.side.take(r);
        if value.is_null() {
            self.side.put_back(r, schema, value);
            return Ok(Outcome::Keep);
        }
        match schema {
            None => {
                let mut m = into_map(value, PURPOSE)?;
                if let Some(sp) = &self.topic {
                    map_put(&mut m, &sp.name, Value::String(Text::from(&r.topic)));
                }
                if let (Some(sp), Some(p)) = (&self.partition, r.kafka_partition) {
                    map_put(&mut m, &sp.name, Value::Int32(p));
                }
                if let Some(sp) = &self.offset {
                    map_put(&mut m, &sp.name, Value::Int64(Self::offset_of(r)?));
                }
                if let (Some(sp), Some(ts)) = (&self.timestamp, r.timestamp) {
                    map_put(&mut m, &sp.name, Value::Int64(ts));
                }
                if let (Some(sp), Some(v)) = (&self.static_field, &self.static_value) {
                    map_put(&mut m, &sp.name, Value::String(v.clone()));
                }
                self.side.put_back(r, None, Value::Map(m));
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = into_struct(value, PURPOSE)?;
                let new_schema = self.cache.get_or_build(&s, |s| self.schema_for(s))?;
                // The copied fields keep their positions; the inserted ones follow.
                let (value_schema, mut values) = value.into_parts();
                apply_defaults(&value_schema, &mut values, self.replace_null_with_default);
                // The inserted fields follow the copied ones in `schema_for`'s order. Each
                // value fits its field's schema (what Java's `Struct.put` checks), so they
                // are appended in that order, without a lookup by name.
                let copied = s.fields.len();
                if values.len() != copied {
                    // A struct whose own schema is not the record's: its slots are cut or
                    // padded to the record schema's fields.
                    values.resize(copied, Value::Null);
                }
                values.reserve_exact(new_schema.fields.len() - copied);
                if self.topic.is_some() {
                    // Shares the topic's name: no copy per record.
                    values.push(Value::String(Text::from(&r.topic)));
                }
                if self.partition.is_some() {
                    values.push(r.kafka_partition.map_or_else(|| Value::Null, Value::Int32));
                }
                if self.offset.is_some() {
                    values.push(Value::Int64(Self::offset_of(r)?));
                }
                if self.timestamp.is_some() {
                    values.push(r.timestamp.map_or_else(|| Value::Null, Value::Timestamp));
                }
                if self.static_field.is_some() {
                    // `map_or_else`: `map_or`'s default `Value::Null` would be built and dropped (an
                    // out-of-line drop) for every record.
                    values.push(
                        self.static_value
                            .clone()
                            .map_or_else(|| Value::Null, Value::String),
                    );
                }
                let out = Struct::from_parts_unchecked(new_schema.clone(), values);
                self.side.put_back(r, Some(new_schema), Value::Struct(out));
                Ok(Outcome::Keep)
            }
        }
    }
}

crate::transformation!(InsertField);

#[cfg(test)]
mod tests {
    use rconnect_sdk::data::{Schema, Struct, Value};
    use rconnect_sdk::record::{SourceMeta, SourceRecord};
    use rconnect_sdk::transform::Transformation;

    use super::*;

    fn configured() -> InsertField {
        let mut t = InsertField::new(Side::Value);
        let props: Props = [
            ("topic.field", "source_topic"),
            ("static.field", "origin"),
            ("static.value", "bench"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Transformation::<SourceMeta>::configure(&mut t, &props).unwrap();
        t
    }

    fn texts(v: &Value) -> Vec<(String, bool)> {
        let strings: Vec<&Value> = match v {
            Value::Struct(s) => s.values().iter().collect(),
            Value::Map(m) => m.iter().flat_map(|(k, v)| [k, v]).collect(),
            other => vec![other],
        };
        strings
            .into_iter()
            .filter_map(|v| match v {
                Value::String(t) => Some((t.to_string(), t.is_shared())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn inserted_topic_and_static_value_share_one_string_across_records() {
        let t = configured();
        let schema = SchemaBuilder::struct_()
            .field("line", Schema::string())
            .build();
        let mut st = Struct::new(schema.clone());
        st.put("line", Value::from("x")).unwrap();
        let rec = SourceRecord::new(None, None, "lines", Some(schema), Value::Struct(st));
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(
            texts(&out.value),
            [
                ("x".to_string(), false),
                ("lines".to_string(), true),
                ("bench".to_string(), true)
            ]
        );
    }

    #[test]
    fn schemaless_records_get_shared_keys_and_values() {
        let t = configured();
        let rec = SourceRecord::new(
            None,
            None,
            "lines",
            None,
            Value::Map(vec![(Value::from("line"), Value::from("x"))]),
        );
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(
            texts(&out.value),
            [
                ("line".to_string(), false),
                ("x".to_string(), false),
                ("source_topic".to_string(), true),
                ("lines".to_string(), true),
                ("origin".to_string(), true),
                ("bench".to_string(), true)
            ]
        );
    }
}
