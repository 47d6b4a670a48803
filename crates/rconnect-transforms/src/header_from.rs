//! Java `HeaderFrom`: copies or moves fields of the key or value into headers.

use std::sync::Arc;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::data::{SchemaBuilder, Struct, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{
    self, copy_schema_basics, field_value, map_get, require_map, require_struct, Side,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    operation: Operation,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl HeaderFrom {
    pub fn new(side: Side) -> Self {
        HeaderFrom {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            operation: Operation::Copy,
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        let op = Validator::Custom(Arc::new(|key, v| match v {
            ConfigValue::String(s) if s == "move" || s == "copy" => Ok(()),
            other => Err(format!(
                "Invalid value {} for configuration {key}: String must be one of: move, copy",
                other.to_rest_string().unwrap_or_else(|| "null".into())
            )),
        }));
        ConfigDef::new()
            .define(
                ConfigKey::new("fields", ConfigType::List, Default::Required, Importance::High, "Field names in the record whose values are to be copied or moved to headers.")
                    .validator(util::non_empty_list()),
            )
            .define(
                ConfigKey::new("headers", ConfigType::List, Default::Required, Importance::High, "Header names, in the same order as the field names listed in the fields configuration property.")
                    .validator(util::non_empty_list()),
            )
            .define(
                ConfigKey::new("operation", ConfigType::String, Default::Required, Importance::High, "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).")
                    .validator(op),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.fields = c.list("fields");
        self.headers = c.list("headers");
        if self.fields.len() != self.headers.len() {
            return Err(ConnectError::config(
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        self.operation = if c.string("operation").as_deref() == Some("move") {
            Operation::Move
        } else {
            Operation::Copy
        };
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        let mut headers = r.headers.clone();
        match schema.cloned() {
            None => {
                let m = require_map(value, "header copy")?;
                let mut out = m.to_vec();
                for (f, h) in self.fields.iter().zip(&self.headers) {
                    headers.add(
                        h.clone(),
                        None,
                        map_get(m, f).cloned().unwrap_or(Value::Null),
                    );
                    if self.operation == Operation::Move {
                        util::map_remove(&mut out, f);
                    }
                }
                self.side.put_back(r, None, Value::Map(out));
                r.headers = headers;
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = require_struct(value, "header copy")?;
                for (f, h) in self.fields.iter().zip(&self.headers) {
                    let field = s.field(f).ok_or_else(|| {
                        // Java fails with a NullPointerException on `schema.field(f).schema()`.
                        ConnectError::data(format!("Field {f} does not exist in the schema"))
                    })?;
                    headers.add(
                        h.clone(),
                        Some(field.schema.clone()),
                        field_value(value, field.index, self.replace_null_with_default),
                    );
                }
                if self.operation == Operation::Move {
                    let kept: Vec<usize> = s
                        .fields
                        .iter()
                        .filter(|f| !self.fields.contains(&f.name))
                        .map(|f| f.index)
                        .collect();
                    let new_schema = self.cache.get_or_build(&s, |s| {
                        let mut b = copy_schema_basics(s, SchemaBuilder::struct_());
                        for &i in &kept {
                            b =
                                b.try_field(s.fields[i].name.clone(), s.fields[i].schema.clone())?;
                        }
                        Ok(b.build())
                    })?;
                    let mut out = Struct::new(new_schema.clone());
                    for (i, idx) in kept.into_iter().enumerate() {
                        out.put_unchecked(
                            i,
                            field_value(value, idx, self.replace_null_with_default),
                        );
                    }
                    self.side.put_back(r, Some(new_schema), Value::Struct(out));
                }
                r.headers = headers;
                Ok(Outcome::Keep)
            }
        }
    }
}

crate::transformation!(HeaderFrom);
