//! Java `Flatten`: nested structs (or maps) become top-level fields named
//! `parent<delimiter>child`.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::{Schema, SchemaBuilder, SchemaRef, Struct, Type, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{self, copy_schema_basics, require_map, require_struct, Side};

#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
    cache: crate::util::SchemaCache,
}

impl Flatten {
    pub fn new(side: Side) -> Self {
        Flatten {
            side,
            delimiter: ".".into(),
            cache: crate::util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new("delimiter", ConfigType::String, Default::Value(".".into()), Importance::Medium, "Delimiter to insert between field names from the input record when generating field names for the output record"))
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.delimiter = c.string("delimiter").unwrap_or_default();
        Ok(())
    }

    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        m: &[(Value, Value)],
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> ConnectResult<()> {
        for (k, v) in m {
            let key = self.name(prefix, &k.to_string());
            match v {
                Value::Null
                | Value::Int8(_)
                | Value::Int16(_)
                | Value::Int32(_)
                | Value::Int64(_)
                | Value::Float32(_)
                | Value::Float64(_)
                | Value::Boolean(_)
                | Value::String(_)
                | Value::Bytes(_)
                | Value::Array(_) => util::map_put(out, &key, v.clone()),
                Value::Map(inner) => self.flatten_map(inner, &key, out)?,
                other => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support class {} for record without schemas (for field {key}).",
                        other.java_class()
                    )))
                }
            }
        }
        Ok(())
    }

    /// Java `Flatten.buildUpdatedSchema`: leaves become optional under an optional
    /// ancestor, and take their default from an ancestor struct's default.
    fn flatten_schema(
        &self,
        s: &Schema,
        prefix: &str,
        optional: bool,
        default: Option<&Struct>,
        b: &mut Option<SchemaBuilder>,
    ) -> ConnectResult<()> {
        for f in &s.fields {
            let name = self.name(prefix, &f.name);
            let opt = optional || f.schema.optional;
            // The field's own default wins over the one its parent's default holds.
            let field_default = f
                .schema
                .default_value
                .clone()
                .or_else(|| default.map(|d| d.get_at(f.index).clone()))
                .filter(|v| !v.is_null());
            match f.schema.schema_type {
                Type::Struct => {
                    let nested_default = field_default.as_ref().and_then(|v| v.as_struct()).cloned();
                    self.flatten_schema(&f.schema, &name, opt, nested_default.as_ref(), b)?;
                }
                Type::Map => {
                    return Err(ConnectError::data(format!(
                        "Flatten transformation does not support MAP for record with schemas (for field {name})."
                    )))
                }
                _ => {
                    let leaf = leaf_schema(&f.schema, opt, field_default)?;
                    let builder = b.take().unwrap_or_else(SchemaBuilder::struct_);
                    *b = Some(builder.try_field(name, leaf)?);
                }
            }
        }
        Ok(())
    }

    fn flatten_struct(
        &self,
        s: Option<&Struct>,
        schema: &Schema,
        out: &mut Struct,
        prefix: &str,
    ) -> ConnectResult<()> {
        for f in &schema.fields {
            let name = self.name(prefix, &f.name);
            // Java 3.9 reads with `Struct.get`: a null slot becomes the field's default.
            let v = s.map(|s| s.get_at(f.index).clone()).unwrap_or(Value::Null);
            match f.schema.schema_type {
                Type::Struct => self.flatten_struct(v.as_struct(), &f.schema, out, &name)?,
                _ => {
                    if !v.is_null() {
                        out.put(&name, v)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        if value.is_null() {
            return Ok(Outcome::Keep);
        }
        match schema.cloned() {
            None => {
                let m = require_map(value, "flattening")?;
                let mut out = Vec::with_capacity(m.len());
                self.flatten_map(m, "", &mut out)?;
                self.side.put_back(r, None, Value::Map(out));
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = require_struct(value, "flattening")?;
                let new_schema: SchemaRef = self.cache.get_or_build(&s, |s| {
                    let mut b = Some(copy_schema_basics(s, SchemaBuilder::struct_()));
                    self.flatten_schema(s, "", false, None, &mut b)?;
                    Ok(b.unwrap_or_else(SchemaBuilder::struct_).build())
                })?;
                let mut out = Struct::new(new_schema.clone());
                self.flatten_struct(Some(value), &s, &mut out, "")?;
                self.side.put_back(r, Some(new_schema), Value::Struct(out));
                Ok(Outcome::Keep)
            }
        }
    }
}

/// A leaf field's schema: the original's type, name, version, doc and parameters, optional
/// when it or an ancestor is, with its own default or one from an ancestor's default.
fn leaf_schema(s: &Schema, optional: bool, default: Option<Value>) -> ConnectResult<SchemaRef> {
    let mut b = copy_schema_basics(s, SchemaBuilder::new(s.schema_type));
    if let (Some(ks), Some(vs)) = (&s.key_schema, &s.value_schema) {
        b = copy_schema_basics(s, SchemaBuilder::map(ks.clone(), vs.clone()));
    } else if let Some(vs) = &s.value_schema {
        b = copy_schema_basics(s, SchemaBuilder::array(vs.clone()));
    }
    if optional {
        b = b.optional();
    }
    if let Some(d) = default {
        b = b.default_value(d)?;
    }
    Ok(b.build())
}
crate::transformation!(Flatten);
