//! Record encodings of the value files (Java `JsonRecordWriterProvider`,
//! `ByteArrayRecordWriterProvider`).
//!
//! JSON: a Struct value goes through Connect's `JsonConverter` with `schemas.enable=false`
//! (and `decimal.format` from `json.decimal.format`); any other value is written by
//! Jackson as the plain Java object (a string value is a quoted JSON string, a map a JSON
//! object with its keys' `toString()`, a `Date` epoch milliseconds, a `BigDecimal` a
//! number). Each record is followed by `\n`.

use rconnect_converters::json::write::{
    write_base64, write_decimal_number, write_float, write_int, write_str, Encoder,
};
use rconnect_sdk::data::{Type, Value};
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
            // The converter's defaults but for `decimal.format` (Java:
            // `JsonRecordWriterProvider` configures its `JsonConverter` with
            // `schemas.enable=false` and `decimal.format` only).
            let enc = Encoder {
                decimal_numeric: *decimal_numeric,
                replace_null_with_default: true,
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
                replace_null_with_default: true,
            };
            let _ = enc.write_value(out, Some(st.schema()), v);
        }
    }
}

fn java_to_string(v: &Value) -> String {
    v.to_string()
}
