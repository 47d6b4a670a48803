//! Java `TimestampConverter`: converts a timestamp (the whole key/value or one field)
//! between a formatted string, a Unix number (`unix.precision`) and the `Date`, `Time` and
//! `Timestamp` logical types.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::data::{logical, Schema, SchemaBuilder, SchemaRef, Struct, Type, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::date_format::DateFormat;
use crate::util::{self, copy_schema_basics, field_value, map_get, map_put, require_map, Side};

const PURPOSE: &str = "converting timestamp formats";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl TimestampConverter {
    pub fn new(side: Side) -> Self {
        TimestampConverter {
            side,
            field: String::new(),
            target: Kind::Timestamp,
            format: None,
            precision: Precision::Millis,
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        ConfigDef::new()
            .define(ConfigKey::new("field", ConfigType::String, Default::Value(String::new()), Importance::High, "The field containing the timestamp, or empty if the entire value is a timestamp"))
            .define(
                ConfigKey::new("target.type", ConfigType::String, Default::Required, Importance::High, "The desired timestamp representation: string, unix, Date, Time, or Timestamp")
                    .validator(Validator::ValidString(strings(&["string", "unix", "Date", "Time", "Timestamp"]))),
            )
            .define(ConfigKey::new("format", ConfigType::String, Default::Value(String::new()), Importance::Medium, "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."))
            .define(
                ConfigKey::new("unix.precision", ConfigType::String, Default::Value("milliseconds".into()), Importance::Low, "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components.")
                    .validator(Validator::ValidString(strings(&["nanoseconds", "microseconds", "milliseconds", "seconds"]))),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.field = c.string("field").unwrap_or_default();
        self.target = match c.string("target.type").as_deref() {
            Some("string") => Kind::String,
            Some("unix") => Kind::Unix,
            Some("Date") => Kind::Date,
            Some("Time") => Kind::Time,
            _ => Kind::Timestamp,
        };
        self.precision = match c.string("unix.precision").as_deref() {
            Some("seconds") => Precision::Seconds,
            Some("microseconds") => Precision::Micros,
            Some("nanoseconds") => Precision::Nanos,
            _ => Precision::Millis,
        };
        let pattern = c.string("format").unwrap_or_default();
        if self.target == Kind::String && pattern.trim().is_empty() {
            return Err(ConnectError::config("TimestampConverter requires format option to be specified when using string timestamps"));
        }
        self.format = if pattern.trim().is_empty() {
            None
        } else {
            Some(DateFormat::new(&pattern).map_err(|_| {
                ConnectError::config(format!("TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"))
            })?)
        };
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn target_schema(&self, optional: bool) -> SchemaRef {
        let b = match self.target {
            Kind::String => SchemaBuilder::string(),
            Kind::Unix => SchemaBuilder::int64(),
            Kind::Date => logical::date_builder(),
            Kind::Time => logical::time_builder(),
            Kind::Timestamp => logical::timestamp_builder(),
        };
        if optional {
            b.optional().build()
        } else {
            b.build()
        }
    }

    /// Java `convertTimestamp`: source form to epoch milliseconds to the target form.
    fn convert(&self, v: &Value, source: Option<Kind>) -> ConnectResult<Value> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        let source = match source {
            Some(k) => k,
            None => match v {
                Value::Timestamp(_) => Kind::Timestamp,
                Value::Int64(_) => Kind::Unix,
                Value::String(_) => Kind::String,
                other => {
                    return Err(ConnectError::data(format!(
                        "TimestampConverter does not support class {} objects as timestamps",
                        other.java_class()
                    )))
                }
            },
        };
        let ms = match (source, v) {
            (Kind::String, Value::String(s)) => {
                let f = self.format.as_ref();
                f.and_then(|f| f.parse(s)).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        f.map(DateFormat::pattern).unwrap_or("")
                    ))
                })?
            }
            (Kind::Unix, Value::Int64(n)) => match self.precision {
                Precision::Seconds => n.saturating_mul(1000),
                Precision::Millis => *n,
                Precision::Micros => n / 1000,
                Precision::Nanos => n / 1_000_000,
            },
            (Kind::Date | Kind::Time | Kind::Timestamp, Value::Timestamp(ms)) => *ms,
            (_, other) => {
                return Err(ConnectError::data(format!(
                    "Expected a {} value but found class {}",
                    match source {
                        Kind::String => "string",
                        Kind::Unix => "unix",
                        _ => "java.util.Date",
                    },
                    other.java_class()
                )))
            }
        };
        Ok(match self.target {
            Kind::String => Value::String(
                self.format
                    .as_ref()
                    .map(|f| f.format(ms))
                    .unwrap_or_default()
                    .into(),
            ),
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => ms / 1000,
                Precision::Millis => ms,
                Precision::Micros => ms.saturating_mul(1000),
                Precision::Nanos => ms.saturating_mul(1_000_000),
            }),
            Kind::Date => {
                Value::Timestamp(ms.div_euclid(logical::MILLIS_PER_DAY) * logical::MILLIS_PER_DAY)
            }
            Kind::Time => Value::Timestamp(ms.rem_euclid(logical::MILLIS_PER_DAY)),
            Kind::Timestamp => Value::Timestamp(ms),
        })
    }

    fn convert_struct(&self, s: &Struct, new_schema: &SchemaRef) -> ConnectResult<Struct> {
        let mut out = Struct::new(new_schema.clone());
        for f in &s.schema().fields {
            let v = field_value(s, f.index, self.replace_null_with_default);
            let v = if f.name == self.field {
                self.convert(&v, Some(kind_of_schema(&f.schema)?))?
            } else {
                v
            };
            out.put(&f.name, v)?;
        }
        Ok(out)
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.get(r);
        match schema.cloned() {
            None => {
                let out = if value.is_null() || self.field.is_empty() {
                    self.convert(value, None)?
                } else {
                    let m = require_map(value, PURPOSE)?;
                    let mut out = m.to_vec();
                    let converted =
                        self.convert(map_get(m, &self.field).unwrap_or(&Value::Null), None)?;
                    map_put(&mut out, &self.field, converted);
                    Value::Map(out)
                };
                self.side.put_back(r, None, out);
                Ok(Outcome::Keep)
            }
            Some(s) if self.field.is_empty() => {
                let source = kind_of_schema(&s)?;
                let out = self.convert(value, Some(source))?;
                self.side
                    .put_back(r, Some(self.target_schema(s.optional)), out);
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = match value {
                    Value::Null => None,
                    other => Some(util::require_struct(other, PURPOSE)?),
                };
                let new_schema = self.cache.get_or_build(&s, |s| self.field_schema(s))?;
                let out = match value {
                    None => Value::Null,
                    Some(v) => Value::Struct(self.convert_struct(v, &new_schema)?),
                };
                self.side.put_back(r, Some(new_schema), out);
                Ok(Outcome::Keep)
            }
        }
    }

    /// The struct schema with `field` converted (Java keeps the struct's optional flag and
    /// converts its default).
    fn field_schema(&self, s: &Schema) -> ConnectResult<SchemaRef> {
        let mut b = copy_schema_basics(s, SchemaBuilder::struct_());
        for f in &s.fields {
            let fs = if f.name == self.field {
                self.target_schema(f.schema.optional)
            } else {
                f.schema.clone()
            };
            b = b.try_field(f.name.clone(), fs)?;
        }
        if s.optional {
            b = b.optional();
        }
        if let Some(Value::Struct(d)) = &s.default_value {
            let partial = b.clone().build();
            b = b.default_value(Value::Struct(self.convert_struct(d, &partial)?))?;
        }
        Ok(b.build())
    }
}

/// Java `timestampTypeFromSchema`.
fn kind_of_schema(s: &Schema) -> ConnectResult<Kind> {
    Ok(match (s.name.as_deref(), s.schema_type) {
        (Some(logical::TIMESTAMP_NAME), _) => Kind::Timestamp,
        (Some(logical::DATE_NAME), _) => Kind::Date,
        (Some(logical::TIME_NAME), _) => Kind::Time,
        (_, Type::String) => Kind::String,
        (_, Type::Int64) => Kind::Unix,
        _ => {
            return Err(ConnectError::connect(format!(
                "Schema {} does not correspond to a known timestamp type format",
                util::schema_string(s)
            )))
        }
    })
}

crate::transformation!(TimestampConverter);
