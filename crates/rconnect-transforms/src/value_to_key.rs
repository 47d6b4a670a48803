//! Java `ValueToKey`: the key becomes a struct (or map) of fields copied from the value.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::{SchemaBuilder, Struct, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{self, field_value, map_get, require_map, require_struct};

const PURPOSE: &str = "copying fields from value to key";

#[derive(Debug, Default)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl ValueToKey {
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "fields",
                    ConfigType::List,
                    Default::Required,
                    Importance::High,
                    "Field names on the record value to extract as the record key.",
                )
                .validator(util::non_empty_list()),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.fields = c.list("fields");
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        match r.value_schema.clone() {
            None => {
                let value = require_map(&r.value, PURPOSE)?;
                let key: Vec<(Value, Value)> = self
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            Value::from(f.as_str()),
                            map_get(value, f).cloned().unwrap_or(Value::Null),
                        )
                    })
                    .collect();
                r.key_schema = None;
                r.key = Value::Map(dedup(key));
                Ok(Outcome::Keep)
            }
            Some(schema) => {
                let value = require_struct(&r.value, PURPOSE)?;
                let key_schema = self.cache.get_or_build(&schema, |schema| {
                    let mut b = SchemaBuilder::struct_();
                    for f in &self.fields {
                        let field = schema.field(f).ok_or_else(|| {
                            ConnectError::data(format!("Field does not exist: {f}"))
                        })?;
                        b = b.try_field(f.clone(), field.schema.clone())?;
                    }
                    Ok(b.build())
                })?;
                let mut key = Struct::new(key_schema.clone());
                for (i, f) in self.fields.iter().enumerate() {
                    let idx = value.schema().field(f).map(|x| x.index).unwrap_or(0);
                    key.put_unchecked(i, field_value(value, idx, self.replace_null_with_default));
                }
                r.key_schema = Some(key_schema);
                r.key = Value::Struct(key);
                Ok(Outcome::Keep)
            }
        }
    }
}

/// A listed field named twice is one map entry, as in Java's `HashMap`.
fn dedup(entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(e) => e.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

crate::transformation!(ValueToKey);
