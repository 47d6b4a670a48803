//! Java `Cast`: casts fields (`spec=a:int32,b:string`) or the whole key/value
//! (`spec=int64`) to another primitive type, with Java's numeric conversions.

use std::sync::Arc;

use base64::Engine as _;
use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::data::{logical, Schema, SchemaBuilder, SchemaRef, Struct, Type, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::replace_field::{java_list, java_split_colon};
use crate::util::{
    self, copy_schema_basics, field_value, map_get, map_put, require_map, require_struct, Side,
};

const PURPOSE: &str = "cast types";

const OUTPUT_TYPES: [Type; 8] = [
    Type::Int8,
    Type::Int16,
    Type::Int32,
    Type::Int64,
    Type::Float32,
    Type::Float64,
    Type::Boolean,
    Type::String,
];

/// Java's `EnumSet` order of the supported input types, as its messages list them.
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";

fn type_named(s: &str) -> Option<Type> {
    Some(match s.to_uppercase().as_str() {
        "INT8" => Type::Int8,
        "INT16" => Type::Int16,
        "INT32" => Type::Int32,
        "INT64" => Type::Int64,
        "FLOAT32" => Type::Float32,
        "FLOAT64" => Type::Float64,
        "BOOLEAN" => Type::Boolean,
        "STRING" => Type::String,
        "BYTES" => Type::Bytes,
        "ARRAY" => Type::Array,
        "MAP" => Type::Map,
        "STRUCT" => Type::Struct,
        _ => return None,
    })
}

/// The parsed `spec`: either one whole-value type or per-field types.
#[derive(Debug, Clone, PartialEq)]
enum Casts {
    Whole(Type),
    Fields(Vec<(String, Type)>),
}

fn parse_spec(spec: &[String]) -> Result<Casts, String> {
    if spec.is_empty() {
        return Err("Must specify at least one field to cast.".into());
    }
    let mut whole = None;
    let mut fields = Vec::new();
    let output = |t: Type| {
        if OUTPUT_TYPES.contains(&t) {
            Ok(t)
        } else {
            Err(format!("Cast transformation does not support casting to {}; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]", t.java_name()))
        }
    };
    for m in spec {
        let parts = java_split_colon(m);
        if parts.len() > 2 {
            // Java reuses ReplaceField's message here, key name included.
            return Err(format!(
                "Invalid value {} for configuration renames: Invalid rename mapping: {m}",
                java_list(spec)
            ));
        }
        if parts.len() <= 1 {
            let name = parts.first().copied().unwrap_or("").trim();
            let t = type_named(name).ok_or_else(|| {
                format!("Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.{} for configuration Invalid type found in casting spec: {name}", name.to_uppercase())
            })?;
            whole = Some(output(t)?);
        } else {
            let name = parts[1].trim();
            let t = type_named(name).ok_or_else(|| {
                format!("Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.{} for configuration Invalid type found in casting spec: {name}", name.to_uppercase())
            })?;
            let t = output(t)?;
            let field = parts[0].trim().to_string();
            match fields
                .iter_mut()
                .find(|(f, _): &&mut (String, Type)| *f == field)
            {
                Some(e) => e.1 = t,
                None => fields.push((field, t)),
            }
        }
    }
    match whole {
        Some(_) if spec.len() > 1 => Err("Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec".into()),
        Some(t) => Ok(Casts::Whole(t)),
        None => Ok(Casts::Fields(fields)),
    }
}

#[derive(Debug)]
pub struct Cast {
    side: Side,
    casts: Casts,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl Cast {
    pub fn new(side: Side) -> Self {
        Cast {
            side,
            casts: Casts::Fields(Vec::new()),
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        let spec = Validator::Custom(Arc::new(|_key, v| match v {
            ConfigValue::List(l) => parse_spec(l).map(|_| ()),
            _ => Err("Must specify at least one field to cast.".into()),
        }));
        ConfigDef::new()
            .define(
                ConfigKey::new("spec", ConfigType::List, Default::Required, Importance::High, "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.")
                    .validator(spec),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.casts = parse_spec(&c.list("spec")).map_err(ConnectError::config)?;
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn field_type(&self, name: &str) -> Option<Type> {
        match &self.casts {
            Casts::Fields(f) => f.iter().find(|(n, _)| n == name).map(|(_, t)| *t),
            Casts::Whole(_) => None,
        }
    }

    fn new_schema(&self, s: &Schema) -> ConnectResult<SchemaRef> {
        let mut b = match &self.casts {
            Casts::Whole(t) => copy_schema_basics(s, SchemaBuilder::new(*t)),
            Casts::Fields(_) => {
                // Java builds the new schema from `schema.fields()` before looking at the value.
                if s.schema_type != Type::Struct {
                    return Err(ConnectError::data("Cannot list fields on non-struct type"));
                }
                let mut b = copy_schema_basics(s, SchemaBuilder::struct_());
                for f in &s.fields {
                    match self.field_type(&f.name) {
                        Some(t) => {
                            let mut fb = SchemaBuilder::new(t);
                            if f.schema.optional {
                                fb = fb.optional();
                            }
                            if let Some(d) = &f.schema.default_value {
                                fb = fb.default_value(cast_value(Some(&f.schema), d, t)?)?;
                            }
                            b = b.try_field(f.name.clone(), fb.build())?;
                        }
                        None => b = b.try_field(f.name.clone(), f.schema.clone())?,
                    }
                }
                b
            }
        };
        if s.optional {
            b = b.optional();
        }
        if let Some(d) = &s.default_value {
            let t = b.peek().schema_type;
            b = b.default_value(cast_value(Some(s), d, t)?)?;
        }
        Ok(b.build())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        if value.is_null() {
            return Ok(Outcome::Keep);
        }
        match schema.cloned() {
            None => {
                let out = match &self.casts {
                    Casts::Whole(t) => cast_value(None, value, *t)?,
                    Casts::Fields(fields) => {
                        let m = require_map(value, PURPOSE)?;
                        let mut out = m.to_vec();
                        for (f, t) in fields {
                            let v = cast_value(None, map_get(m, f).unwrap_or(&Value::Null), *t)?;
                            map_put(&mut out, f, v);
                        }
                        Value::Map(out)
                    }
                };
                self.side.put_back(r, None, out);
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let new_schema = self.cache.get_or_build(&s, |s| self.new_schema(s))?;
                let out = match &self.casts {
                    Casts::Whole(t) => cast_value(Some(&s), value, *t)?,
                    Casts::Fields(_) => {
                        let value = require_struct(value, PURPOSE)?;
                        let mut out = Struct::new(new_schema.clone());
                        for f in &value.schema().fields {
                            let v = field_value(value, f.index, self.replace_null_with_default);
                            let v = match self.field_type(&f.name) {
                                Some(t) => cast_value(Some(&f.schema), &v, t)?,
                                None => v,
                            };
                            out.put_unchecked(f.index, v);
                        }
                        Value::Struct(out)
                    }
                };
                self.side.put_back(r, Some(new_schema), out);
                Ok(Outcome::Keep)
            }
        }
    }
}

fn unexpected(v: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Unexpected type in Cast transformation: class {}",
        v.java_class()
    ))
}

fn out_of_range(v: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Value ({v}) was out of range for requested data type"
    ))
}

/// Java `Number.longValue()` / `doubleValue()` of the numeric kinds; `None` otherwise.
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    Some(match v {
        Value::Int8(x) => Num::I(*x as i64),
        Value::Int16(x) => Num::I(*x as i64),
        Value::Int32(x) => Num::I(*x as i64),
        Value::Int64(x) => Num::I(*x),
        Value::Float32(x) => Num::F(*x as f64),
        Value::Float64(x) => Num::F(*x),
        Value::Decimal(d) => Num::F(decimal_f64(d)),
        _ => return None,
    })
}

fn decimal_f64(d: &rconnect_sdk::data::Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// Java's `(int) d`: saturating, NaN to 0 (Rust `as` does the same).
fn int_value(n: &Num) -> i32 {
    match n {
        Num::I(i) => *i as i32,
        Num::F(f) => *f as i32,
    }
}

fn long_value(n: &Num) -> i64 {
    match n {
        Num::I(i) => *i,
        Num::F(f) => *f as i64,
    }
}

/// Java `Integer.parseInt` and friends: optional sign and ASCII digits only.
fn parse_java_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Java `Double.parseDouble`: surrounding whitespace, a trailing `f`/`d`, `NaN`, `Infinity`.
fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "NaN" || unsigned == "Infinity" {
        return t.replace("Infinity", "inf").parse().ok();
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b"eE.+-".contains(&b))
    {
        return None;
    }
    t.parse().ok()
}

/// Java `Cast.castValueToType`.
fn cast_value(schema: Option<&Schema>, value: &Value, target: Type) -> ConnectResult<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.schema_type,
        None => value.inferred_type().ok_or_else(|| {
            ConnectError::data(format!("Cast transformation was passed a value of type class {} which is not supported by Connect's data API", value.java_class()))
        })?,
    };
    if !matches!(
        inferred,
        Type::Int8
            | Type::Int16
            | Type::Int32
            | Type::Int64
            | Type::Float32
            | Type::Float64
            | Type::Boolean
            | Type::String
            | Type::Bytes
    ) {
        return Err(ConnectError::data(format!(
            "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES}",
            inferred.java_name()
        )));
    }
    // Date, Time and Timestamp are cast from their INT32/INT64 form unless going to string.
    let mut v = value.clone();
    if let Some(name) = schema.and_then(|s| s.name.as_deref()) {
        if target != Type::String
            && matches!(
                name,
                logical::DATE_NAME | logical::TIME_NAME | logical::TIMESTAMP_NAME
            )
        {
            v = logical::temporal_to_underlying(name, &v)?;
        }
    }
    let v = &v;
    Ok(match target {
        Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => {
            let n = match v {
                Value::Boolean(b) => Num::I(*b as i64),
                Value::String(s) => {
                    let i = parse_java_int(s).ok_or_else(|| out_of_range(v))?;
                    let (lo, hi) = match target {
                        Type::Int8 => (i8::MIN as i64, i8::MAX as i64),
                        Type::Int16 => (i16::MIN as i64, i16::MAX as i64),
                        Type::Int32 => (i32::MIN as i64, i32::MAX as i64),
                        _ => (i64::MIN, i64::MAX),
                    };
                    if i < lo || i > hi {
                        return Err(out_of_range(v));
                    }
                    Num::I(i)
                }
                other => num(other).ok_or_else(|| unexpected(other))?,
            };
            // Java `Number.byteValue()`/`shortValue()` narrow the int value (floats saturate
            // to int first); `intValue()` of a long wraps, of a double saturates.
            match target {
                Type::Int8 => Value::Int8(int_value(&n) as i8),
                Type::Int16 => Value::Int16(int_value(&n) as i16),
                Type::Int32 => Value::Int32(int_value(&n)),
                _ => Value::Int64(long_value(&n)),
            }
        }
        Type::Float32 | Type::Float64 => {
            let f = match v {
                Value::Boolean(b) => *b as i64 as f64,
                Value::String(s) => parse_java_double(s).ok_or_else(|| out_of_range(v))?,
                Value::Int64(i) if target == Type::Float32 => return Ok(Value::Float32(*i as f32)),
                other => match num(other).ok_or_else(|| unexpected(other))? {
                    Num::I(i) => i as f64,
                    Num::F(f) => f,
                },
            };
            if target == Type::Float32 {
                Value::Float32(f as f32)
            } else {
                Value::Float64(f)
            }
        }
        Type::Boolean => Value::Boolean(match v {
            Value::Boolean(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            other => long_value(&num(other).ok_or_else(|| unexpected(other))?) != 0,
        }),
        Type::String => Value::String(
            match v {
                Value::Timestamp(_) => {
                    rconnect_converters::values::convert_to_string(None, v).unwrap_or_default()
                }
                Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
                other => other.to_string(),
            }
            .into(),
        ),
        _ => {
            return Err(ConnectError::data(format!(
                "{} is not supported in the Cast transformation.",
                target.java_name()
            )))
        }
    })
}

crate::transformation!(Cast);
