//! Record encodings of the value files (Java `JsonRecordWriterProvider`,
//! `ByteArrayRecordWriterProvider`).
//!
//! JSON: a Struct value goes through Connect's `JsonConverter` with `schemas.enable=false`
//! (and `decimal.format` from `json.decimal.format`); any other value is written by
//! Jackson as the plain Java object (a string value is a quoted JSON string, a map a JSON
//! object with its keys' `toString()`, a `Date` epoch milliseconds, a `BigDecimal` a
//! number). Each record is followed by `\n`.

use base64::Engine as _;
use rconnect_sdk::data::java_float::write_java_float;
use rconnect_sdk::data::logical::{self, DATE_NAME, DECIMAL_NAME, TIMESTAMP_NAME, TIME_NAME};
use rconnect_sdk::data::{Decimal, Schema, Type, Value};
use rconnect_sdk::record::SinkRecord;
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::config::Format;

/// The file extension of `format` (before any `.gz`).
pub fn extension(format: &Format) -> &str {
    match format {
        Format::Json { .. } => ".json",
        Format::ByteArray { extension, .. } => extension,
        Format::Avro { .. } => ".avro",
    }
}

/// Appends the encoding of `record`'s value and its separator.
pub fn write_record(format: &Format, out: &mut Vec<u8>, record: &SinkRecord) -> ConnectResult<()> {
    match format {
        Format::Json { decimal_numeric } => {
            let enc = Encoder {
                decimal_numeric: *decimal_numeric,
            };
            match (&record.value, record.value_schema.as_deref()) {
                (Value::Struct(_), schema) => enc.write_value(out, schema, &record.value)?,
                (v, _) => write_jackson(out, v),
            }
            out.push(b'\n');
        }
        Format::ByteArray { separator, .. } => {
            if let Some(s) = &record.value_schema {
                if s.schema_type != Type::Bytes {
                    return Err(ConnectError::data(format!(
                        "Invalid schema type for ByteArrayConverter: {}",
                        s.schema_type.java_name()
                    )));
                }
            }
            match &record.value {
                Value::Bytes(b) => out.extend_from_slice(b),
                other => {
                    return Err(ConnectError::data(format!(
                        "ByteArrayConverter is not compatible with objects of type class {}",
                        other.java_class()
                    )))
                }
            }
            out.extend_from_slice(separator);
        }
        // Avro records go into their file's container (`crate::avro::AvroFile`).
        Format::Avro { .. } => {
            return Err(ConnectError::connect(
                "An AvroFormat record was written outside of its Avro container",
            ))
        }
    }
    Ok(())
}

/// Jackson's escape for each ASCII byte: 0 = none, `u` = `\u00XX`, else the short form.
static ESCAPES: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A JSON string as Jackson's UTF-8 generator writes it: control characters escaped
/// (`\u00XX` upper-case), characters outside the BMP as escaped surrogate pairs (Jackson
/// escapes each UTF-16 half), everything else raw.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x80 {
            if c >= 0xF0 {
                out.extend_from_slice(&b[start..i]);
                let v = s[i..]
                    .chars()
                    .next()
                    .map_or(0, |ch| u32::from(ch).saturating_sub(0x10000));
                write_u_escape(out, 0xD800 + (v >> 10));
                write_u_escape(out, 0xDC00 + (v & 0x3FF));
                start = i + 4;
            }
            continue;
        }
        let e = ESCAPES[c as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        if e == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
        } else {
            out.push(b'\\');
            out.push(e);
        }
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

fn write_u_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 15) as usize]);
    }
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .as_bytes(),
    );
    out.push(b'"');
}

/// Lets `write!` append into the byte buffer.
struct StrVec<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for StrVec<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Jackson writes non-finite numbers as strings.
fn write_float(out: &mut Vec<u8>, x: f64, is_f32: bool) {
    if x.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        write_java_float(out, x, is_f32);
    }
}

fn write_decimal_number(out: &mut Vec<u8>, d: &Decimal) {
    use std::fmt::Write as _;
    let _ = write!(StrVec(out), "{d}");
}

/// Jackson's `ObjectMapper.writeValue` of the Java object behind a Connect value.
fn write_jackson(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int8(x) => write_int(out, *x),
        Value::Int16(x) => write_int(out, *x),
        Value::Int32(x) => write_int(out, *x),
        Value::Int64(x) | Value::Timestamp(x) => write_int(out, *x),
        Value::Float32(x) => write_float(out, *x as f64, true),
        Value::Float64(x) => write_float(out, *x, false),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::String(s) => write_str(out, s),
        Value::Bytes(b) => write_base64(out, b),
        Value::Decimal(d) => write_decimal_number(out, d),
        Value::Array(items) => {
            out.push(b'[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_jackson(out, x);
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            out.push(b'{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Jackson names a map entry by its key's `toString()`.
                match k {
                    Value::String(s) => write_str(out, s),
                    other => write_str(out, &java_to_string(other)),
                }
                out.push(b':');
                write_jackson(out, x);
            }
            out.push(b'}');
        }
        // A Struct nested in a schemaless value: its fields as a JSON object, the shape the
        // converter gives a Struct.
        Value::Struct(st) => {
            let enc = Encoder {
                decimal_numeric: false,
            };
            let _ = enc.write_value(out, Some(st.schema()), v);
        }
    }
}

fn java_to_string(v: &Value) -> String {
    v.to_string()
}

const REQUIRED_NULL: &str =
    "Conversion error: null value for field that is required and has no default value";

fn invalid_type(schema: Option<&Schema>, value: &Value) -> ConnectError {
    let t = schema
        .map(|s| s.schema_type.java_name())
        .unwrap_or("unknown schema");
    ConnectError::data(format!(
        "Invalid type for {t}: class {}",
        value.java_class()
    ))
}

/// Java `JsonConverter.convertToJson` with `schemas.enable=false` and
/// `replace.null.with.default=true` (the converter's defaults).
#[derive(Debug, Clone, Copy)]
struct Encoder {
    decimal_numeric: bool,
}

impl Encoder {
    fn write_value(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<()> {
        if value.is_null() {
            let Some(s) = schema else {
                out.extend_from_slice(b"null");
                return Ok(());
            };
            if let Some(d) = &s.default_value {
                return self.write_value(out, schema, d);
            }
            if s.optional {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            return Err(ConnectError::data(REQUIRED_NULL));
        }
        if let Some((s, name)) = schema.and_then(|s| Some((s, s.name.as_deref()?))) {
            match name {
                DECIMAL_NAME => return self.write_decimal(out, s, value),
                DATE_NAME | TIME_NAME | TIMESTAMP_NAME => {
                    return match logical::temporal_to_underlying(name, value)? {
                        Value::Int32(x) => {
                            write_int(out, x);
                            Ok(())
                        }
                        Value::Int64(x) => {
                            write_int(out, x);
                            Ok(())
                        }
                        other => Err(invalid_type(schema, &other)),
                    }
                }
                _ => {}
            }
        }
        let ty = match schema {
            Some(s) => s.schema_type,
            None => value.inferred_type().ok_or_else(|| {
                ConnectError::data(format!(
                    "Java class class {} does not have corresponding schema type.",
                    value.java_class()
                ))
            })?,
        };
        match (ty, value) {
            (Type::Int8, Value::Int8(x)) => write_int(out, *x),
            (Type::Int16, Value::Int16(x)) => write_int(out, *x),
            (Type::Int32, Value::Int32(x)) => write_int(out, *x),
            (Type::Int64, Value::Int64(x)) => write_int(out, *x),
            (Type::Float32, Value::Float32(x)) => write_float(out, *x as f64, true),
            (Type::Float64, Value::Float64(x)) => write_float(out, *x, false),
            (Type::Boolean, Value::Boolean(b)) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" })
            }
            (Type::String, Value::String(s)) => write_str(out, s),
            (Type::Bytes, Value::Bytes(b)) => write_base64(out, b),
            (Type::Array, Value::Array(items)) => {
                let es = schema.and_then(|s| s.value_schema.as_deref());
                out.push(b'[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_value(out, es, x)?;
                }
                out.push(b']');
            }
            (Type::Map, Value::Map(entries)) => self.write_map(out, schema, entries)?,
            (Type::Struct, Value::Struct(st)) => {
                let s = match schema {
                    Some(s)
                        if std::ptr::eq(st.schema().as_ref(), s) || st.schema().as_ref() == s =>
                    {
                        s
                    }
                    _ => return Err(ConnectError::data("Mismatching schema.")),
                };
                out.push(b'{');
                for (i, (f, v)) in s.fields.iter().zip(st.values()).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, &f.name);
                    out.push(b':');
                    self.write_value(out, Some(&f.schema), v)?;
                }
                out.push(b'}');
            }
            _ => return Err(invalid_type(schema, value)),
        }
        Ok(())
    }

    fn write_map(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        entries: &[(Value, Value)],
    ) -> ConnectResult<()> {
        let ks = schema.and_then(|s| s.key_schema.as_deref());
        let vs = schema.and_then(|s| s.value_schema.as_deref());
        let object_mode = match ks {
            Some(k) => k.schema_type == Type::String,
            None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
        };
        out.push(if object_mode { b'{' } else { b'[' });
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if object_mode {
                match k {
                    Value::String(s) => write_str(out, s),
                    Value::Null => write_str(out, "null"),
                    other => return Err(invalid_type(ks, other)),
                }
                out.push(b':');
                self.write_value(out, vs, v)?;
            } else {
                out.push(b'[');
                self.write_value(out, ks, k)?;
                out.push(b',');
                self.write_value(out, vs, v)?;
                out.push(b']');
            }
        }
        out.push(if object_mode { b'}' } else { b']' });
        Ok(())
    }

    fn write_decimal(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        value: &Value,
    ) -> ConnectResult<()> {
        let Value::Decimal(d) = value else {
            return Err(ConnectError::data(format!(
                "Invalid type for Decimal, expected BigDecimal but was class {}",
                value.java_class()
            )));
        };
        if self.decimal_numeric {
            write_decimal_number(out, d);
        } else {
            let scale = logical::decimal_scale(schema.parameter(logical::SCALE_FIELD))?;
            write_base64(out, &logical::decimal_to_bytes(scale, d)?);
        }
        Ok(())
    }
}
