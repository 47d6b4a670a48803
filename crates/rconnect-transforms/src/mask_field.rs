//! Java `MaskField`: replaces listed fields with their type's zero value (`0`, `""`,
//! `false`, empty list or map, epoch 0) or with a configured `replacement`.

use std::sync::Arc;

use num_bigint::BigInt;
use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::data::{Decimal, Struct, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::util::{self, field_value, map_get, map_put, require_map, require_struct, Side};

const PURPOSE: &str = "mask fields";

#[derive(Debug)]
pub struct MaskField {
    side: Side,
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

impl MaskField {
    pub fn new(side: Side) -> Self {
        MaskField {
            side,
            fields: Vec::new(),
            replacement: None,
            replace_null_with_default: true,
        }
    }

    pub fn definition() -> ConfigDef {
        // Java `ConfigDef.NonEmptyString`: null passes, "" does not.
        let non_empty = Validator::Custom(Arc::new(|key, v| match v {
            ConfigValue::String(s) if s.is_empty() => Err(format!(
                "Invalid value  for configuration {key}: String must be non-empty"
            )),
            _ => Ok(()),
        }));
        ConfigDef::new()
            .define(
                ConfigKey::new("fields", ConfigType::List, Default::Required, Importance::High, "Names of fields to mask.")
                    .validator(util::non_empty_list()),
            )
            .define(
                ConfigKey::new("replacement", ConfigType::String, Default::Null, Importance::Low, "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).")
                    .validator(non_empty),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.fields = c.list("fields");
        self.replacement = c.string("replacement");
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn masked(&self, v: &Value) -> ConnectResult<Value> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        match &self.replacement {
            None => Ok(match v {
                Value::Boolean(_) => Value::Boolean(false),
                Value::Int8(_) => Value::Int8(0),
                Value::Int16(_) => Value::Int16(0),
                Value::Int32(_) => Value::Int32(0),
                Value::Int64(_) => Value::Int64(0),
                Value::Float32(_) => Value::Float32(0.0),
                Value::Float64(_) => Value::Float64(0.0),
                // `BigDecimal.ZERO` has scale 0, whatever the field's scale.
                Value::Decimal(_) => Value::Decimal(Decimal::new(0, 0)),
                Value::Timestamp(_) => Value::Timestamp(0),
                Value::String(_) => Value::from(""),
                Value::Array(_) => Value::Array(Vec::new()),
                Value::Map(_) => Value::Map(Vec::new()),
                other => {
                    return Err(ConnectError::data(format!(
                        "Cannot mask value of type: class {}",
                        other.java_class()
                    )))
                }
            }),
            Some(rep) => {
                let number = || -> ConnectResult<Number> {
                    Number::parse(rep).ok_or_else(|| {
                        ConnectError::data(format!(
                            "Unable to convert {rep} (class java.lang.String) to a number"
                        ))
                    })
                };
                Ok(match v {
                    Value::Int8(_) => Value::Int8(number()?.as_i64() as i8),
                    Value::Int16(_) => Value::Int16(number()?.as_i64() as i16),
                    Value::Int32(_) => Value::Int32(number()?.as_i64() as i32),
                    Value::Int64(_) => Value::Int64(number()?.as_i64()),
                    Value::Float32(_) => Value::Float32(number()?.as_f64() as f32),
                    Value::Float64(_) => Value::Float64(number()?.as_f64()),
                    Value::String(_) => Value::from(rep.as_str()),
                    Value::Decimal(_) => {
                        Value::Decimal(parse_big_decimal(rep).ok_or_else(|| {
                            ConnectError::data(format!(
                                "Unable to convert {rep} (class java.lang.String) to a number"
                            ))
                        })?)
                    }
                    other => {
                        return Err(ConnectError::data(format!(
                            "Cannot mask value of type class {} with custom replacement.",
                            other.java_class()
                        )))
                    }
                })
            }
        }
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        match schema.cloned() {
            None => {
                let m = require_map(value, PURPOSE)?;
                let mut out = m.to_vec();
                for f in &self.fields {
                    let masked = self.masked(map_get(m, f).unwrap_or(&Value::Null))?;
                    map_put(&mut out, f, masked);
                }
                self.side.put_back(r, None, Value::Map(out));
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = require_struct(value, PURPOSE)?;
                let mut out = Struct::new(value.schema().clone());
                for f in &value.schema().fields {
                    let v = field_value(value, f.index, self.replace_null_with_default);
                    let v = if self.fields.contains(&f.name) {
                        self.masked(&v)?
                    } else {
                        v
                    };
                    out.put_unchecked(f.index, v);
                }
                self.side.put_back(r, Some(s), Value::Struct(out));
                Ok(Outcome::Keep)
            }
        }
    }
}

/// A replacement read as Java's `Values.convertTo<Number>` reads a string: an integer, or a
/// decimal whose integral part is taken for integer fields.
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn parse(s: &str) -> Option<Number> {
        let t = s.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Some(Number::Int(i));
        }
        if t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        {
            return None;
        }
        t.parse::<f64>().ok().map(Number::Float)
    }
    fn as_i64(&self) -> i64 {
        match self {
            Number::Int(i) => *i,
            Number::Float(f) => *f as i64,
        }
    }
    fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
        }
    }
}

/// Java `new BigDecimal(String)` for plain and exponent forms.
fn parse_big_decimal(s: &str) -> Option<Decimal> {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits = format!("{int}{frac}");
    let unscaled: BigInt = digits.parse().ok()?;
    Some(Decimal::new(unscaled, frac.len() as i32 - exp))
}

crate::transformation!(MaskField);
