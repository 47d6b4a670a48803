//! Java `SetSchemaMetadata`: sets the name and/or version of the key or value schema.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::{Schema, Struct, Type, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{self, field_value, Side};

#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl SetSchemaMetadata {
    pub fn new(side: Side) -> Self {
        SetSchemaMetadata {
            side,
            name: None,
            version: None,
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(
                "schema.name",
                ConfigType::String,
                Default::Null,
                Importance::High,
                "Schema name to set.",
            ))
            .define(ConfigKey::new(
                "schema.version",
                ConfigType::Int,
                Default::Null,
                Importance::High,
                "Schema version to set.",
            ))
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.name = c.string("schema.name");
        self.version = c.int("schema.version");
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        if self.name.is_none() && self.version.is_none() {
            return Err(ConnectError::config(
                "Neither schema name nor version configured",
            ));
        }
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        if schema.is_none() && value.is_null() {
            return Ok(Outcome::Keep);
        }
        let schema = util::require_schema(schema, "updating schema metadata")?;
        let new = self.cache.get_or_build(schema, |schema| {
            let mut new = Schema::clone(schema);
            if let Some(n) = &self.name {
                new.name = Some(n.clone());
            }
            if let Some(v) = self.version {
                new.version = Some(v);
            }
            // Java `ConnectSchema`'s constructor lists fields even for a non-struct schema,
            // which fails.
            if new.schema_type != Type::Struct {
                return Err(ConnectError::data("Cannot list fields on non-struct type"));
            }
            Ok(std::sync::Arc::new(new))
        })?;
        let value = match value {
            Value::Struct(s) => {
                let mut out = Struct::new(new.clone());
                for f in &s.schema().fields {
                    out.put_unchecked(
                        f.index,
                        field_value(s, f.index, self.replace_null_with_default),
                    );
                }
                Value::Struct(out)
            }
            other => other.clone(),
        };
        self.side.put_back(r, Some(new), value);
        Ok(Outcome::Keep)
    }
}

crate::transformation!(SetSchemaMetadata);
