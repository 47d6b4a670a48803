//! Connect data → JSON bytes, written straight into a `Vec<u8>` with Jackson's output
//! conventions (compact, `ObjectNode` key order, Java number formatting).
//!
//! Public for connectors that write JSON the way Java's `JsonConverter` and Jackson do
//! (Confluent's S3 `JsonFormat` runs a `JsonConverter` with `schemas.enable=false`).
//!
//! ```
//! use rconnect_converters::json::write::{write_str, Encoder};
//! use rconnect_sdk::data::Value;
//!
//! let enc = Encoder { decimal_numeric: false, replace_null_with_default: true };
//! let mut out = Vec::new();
//! enc.write_value(&mut out, None, &Value::String("a\"b".into())).unwrap();
//! out.push(b' ');
//! write_str(&mut out, "\u{1F600}");
//! assert_eq!(out, br#""a\"b" "\uD83D\uDE00""#);
//! ```

use base64::Engine as _;
use rconnect_sdk::data::logical::{self, DATE_NAME, DECIMAL_NAME, TIMESTAMP_NAME, TIME_NAME};
use rconnect_sdk::data::{Decimal, Schema, Struct, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::javafmt::write_java_float;

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

/// Appends `s` as a JSON string the way Jackson's UTF-8 generator does: `"` and `\`
/// escaped, control characters as `\b \t \n \f \r` or `\u00XX` (upper-case hex),
/// characters outside the Basic Multilingual Plane as their UTF-16 surrogate pair
/// (`\uD83D\uDE00`), everything else raw.
///
/// Java: `UTF8JsonGenerator#_outputMultiByteChar` escapes each surrogate half of a Java
/// string (Jackson 2.16, before `COMBINE_UNICODE_SURROGATES_IN_UTF8` existed), so the bytes
/// of a key with such a character, and so its partition, match Java's.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // Room for the common case (nothing to escape) at once, so the quotes and the text
    // below do not each check and grow the buffer.
    out.reserve(b.len() + 2);
    out.push(b'"');
    // Short strings (most field names) are checked a byte at a time, without the scan.
    let plain = if b.len() < 8 && b.iter().all(|&c| c < 0x80 && ESCAPES[c as usize] == 0) {
        b.len()
    } else {
        plain_prefix(b)
    };
    if plain == b.len() {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate().skip(plain) {
        if c >= 0x80 {
            // Only a 4-byte sequence's lead byte is >= 0xF0; continuation bytes fall through.
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

/// `Decimal.fromLogical`'s bytes (minimal big-endian two's complement) of a value that fits
/// 128 bits, on the stack: `(bytes, len)`, the value in the last `len` bytes. `None` when
/// it does not fit, or the scale is wrong (the caller reports that).
fn small_decimal_bytes(scale: i32, d: &Decimal) -> Option<([u8; 16], usize)> {
    if d.scale != scale {
        return None;
    }
    let v = i128::try_from(&d.unscaled).ok()?;
    let bytes = v.to_be_bytes();
    // Drop leading bytes that only repeat the sign of the byte after them.
    let mut skip = 0;
    while skip < 15 {
        let (b, next) = (bytes[skip], bytes[skip + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            skip += 1;
        } else {
            break;
        }
    }
    Some((bytes, 16 - skip))
}

/// The length of the longest prefix of `b` that is written as it is: ASCII without control
/// characters, `"` or `\\`. Whole words first with the reader's 8-byte scan (most strings
/// are all plain, and a byte at a time this scan was most of the cost of writing a string),
/// then the rest a byte at a time.
fn plain_prefix(b: &[u8]) -> usize {
    let at = super::read::plain_ascii_prefix(b);
    at + b[at..]
        .iter()
        .position(|&c| c >= 0x80 || ESCAPES[c as usize] != 0)
        .unwrap_or(b.len() - at)
}

/// `\uXXXX` with upper-case hex, as Jackson writes it.
fn write_u_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 15) as usize]);
    }
}

/// Appends `bytes` as a quoted standard Base64 string (Jackson's `MIME_NO_LINEFEEDS`).
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// Appends an integer as a JSON number.
pub fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Appends a Java `float` (`is_f32`) or `double` as Jackson writes it: non-finite numbers
/// as strings (`QUOTE_NON_NUMERIC_NUMBERS`).
pub fn write_float(out: &mut Vec<u8>, x: f64, is_f32: bool) {
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

struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends Java `BigDecimal.toString()` as a JSON number.
pub fn write_decimal_number(out: &mut Vec<u8>, d: &Decimal) {
    use std::fmt::Write as _;
    let _ = write!(VecWriter(out), "{d}");
}

/// The `type` name the JSON schema uses (note `float`/`double`, not `float32`/`float64`).
pub(crate) fn json_type_name(t: Type) -> &'static str {
    match t {
        Type::Boolean => "boolean",
        Type::Int8 => "int8",
        Type::Int16 => "int16",
        Type::Int32 => "int32",
        Type::Int64 => "int64",
        Type::Float32 => "float",
        Type::Float64 => "double",
        Type::Bytes => "bytes",
        Type::String => "string",
        Type::Array => "array",
        Type::Map => "map",
        Type::Struct => "struct",
    }
}

fn invalid_type(schema: Option<&Schema>, value: &Value) -> ConnectError {
    let t = schema
        .map(|s| s.schema_type.java_name())
        .unwrap_or("unknown schema");
    ConnectError::data(format!(
        "Invalid type for {t}: class {}",
        value.java_class()
    ))
}

const REQUIRED_NULL: &str =
    "Conversion error: null value for field that is required and has no default value";

/// Java `JsonConverter.convertToJson` and `asJsonSchema`, writing bytes instead of nodes.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    /// `decimal.format=NUMERIC`.
    pub decimal_numeric: bool,
    /// `replace.null.with.default`.
    pub replace_null_with_default: bool,
}

/// A struct schema's field names as the JSON writer puts them before each value (`"a":`,
/// then `,"b":` ...), rendered once per schema: a struct's field names are the same in
/// every record, and writing them as strings each time (the escape scan, the quotes, the
/// buffer checks) cost more than their values for short fields.
#[derive(Debug)]
pub struct FieldNames {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl FieldNames {
    /// Renders the names of `schema`'s fields (none for a schema without fields).
    pub fn render(schema: &Schema) -> FieldNames {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(schema.fields.len());
        for (i, f) in schema.fields.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            write_str(&mut bytes, &f.name);
            bytes.push(b':');
            ends.push(bytes.len());
        }
        FieldNames { bytes, ends }
    }
}

impl Encoder {
    /// [`Encoder::write_value`] for a struct value whose own schema is `schema`, with the
    /// field names rendered beforehand by [`FieldNames::render`] of that schema: the same
    /// bytes, written faster. The caller checks that `names` belongs to `schema`, and that
    /// `schema` is a struct schema without a logical name.
    pub fn write_struct_with_names(
        &self,
        out: &mut Vec<u8>,
        schema: &Schema,
        value: &Struct,
        names: &FieldNames,
    ) -> ConnectResult<()> {
        out.push(b'{');
        let mut start = 0;
        for ((f, v), &end) in schema.fields.iter().zip(value.values()).zip(&names.ends) {
            out.extend_from_slice(&names.bytes[start..end]);
            start = end;
            self.write_value(out, Some(&f.schema), v)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// Appends the payload encoding of `value` under `schema` (`None` = schemaless).
    pub fn write_value(
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
            if self.replace_null_with_default {
                if let Some(d) = &s.default_value {
                    return self.write_value(out, schema, d);
                }
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
                DATE_NAME => return write_temporal(out, "Date", name, value),
                TIME_NAME => return write_temporal(out, "Time", name, value),
                TIMESTAMP_NAME => return write_temporal(out, "Timestamp", name, value),
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
            (Type::Bytes, other) => {
                return Err(ConnectError::data(format!(
                    "Invalid type for bytes type: class {}",
                    other.java_class()
                )))
            }
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
        // Object form for string keys; Java decides by the key schema, or (schemaless, or a
        // map schema without key schema) by whether every key is a string.
        let object_mode = match ks {
            Some(k) => k.schema_type == Type::String,
            None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
        };
        if object_mode {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.write_key(out, ks, k)?;
                out.push(b':');
                self.write_value(out, vs, v)?;
            }
            out.push(b'}');
        } else {
            out.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                self.write_value(out, ks, k)?;
                out.push(b',');
                self.write_value(out, vs, v)?;
                out.push(b']');
            }
            out.push(b']');
        }
        Ok(())
    }

    /// An object key: Java converts the key with the key schema, then takes `asText()`.
    fn write_key(&self, out: &mut Vec<u8>, ks: Option<&Schema>, k: &Value) -> ConnectResult<()> {
        match (k, ks) {
            (Value::String(s), _) => write_str(out, s),
            (Value::Null, Some(s)) => match (&s.default_value, self.replace_null_with_default) {
                (Some(d), true) => return self.write_key(out, Some(s), d),
                _ if s.optional => write_str(out, "null"),
                _ => return Err(ConnectError::data(REQUIRED_NULL)),
            },
            (Value::Null, None) => write_str(out, "null"),
            (other, _) => return Err(invalid_type(ks, other)),
        }
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
            // NUMERIC writes the BigDecimal as-is: Java does not check the scale here.
            write_decimal_number(out, d);
        } else {
            let scale = logical::decimal_scale(schema.parameter(logical::SCALE_FIELD))?;
            match small_decimal_bytes(scale, d) {
                Some((bytes, len)) => write_base64(out, &bytes[16 - len..]),
                None => write_base64(out, &logical::decimal_to_bytes(scale, d)?),
            }
        }
        Ok(())
    }

    /// Appends `asJsonSchema(schema)`.
    pub fn write_schema(&self, out: &mut Vec<u8>, s: &Schema) -> ConnectResult<()> {
        self.write_schema_open(out, s)?;
        out.push(b'}');
        Ok(())
    }

    fn write_opt_schema(&self, out: &mut Vec<u8>, s: Option<&Schema>) -> ConnectResult<()> {
        match s {
            Some(s) => self.write_schema(out, s),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    /// The schema object without its closing brace, so struct fields can append `"field"`.
    fn write_schema_open(&self, out: &mut Vec<u8>, s: &Schema) -> ConnectResult<()> {
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(json_type_name(s.schema_type).as_bytes());
        out.push(b'"');
        match s.schema_type {
            Type::Array => {
                out.extend_from_slice(b",\"items\":");
                self.write_opt_schema(out, s.value_schema.as_deref())?;
            }
            Type::Map => {
                out.extend_from_slice(b",\"keys\":");
                self.write_opt_schema(out, s.key_schema.as_deref())?;
                out.extend_from_slice(b",\"values\":");
                self.write_opt_schema(out, s.value_schema.as_deref())?;
            }
            Type::Struct => {
                out.extend_from_slice(b",\"fields\":[");
                for (i, f) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.write_schema_open(out, &f.schema)?;
                    out.extend_from_slice(b",\"field\":");
                    write_str(out, &f.name);
                    out.push(b'}');
                }
                out.push(b']');
            }
            _ => {}
        }
        out.extend_from_slice(if s.optional {
            b",\"optional\":true"
        } else {
            b",\"optional\":false"
        });
        if let Some(name) = &s.name {
            out.extend_from_slice(b",\"name\":");
            write_str(out, name);
        }
        if let Some(v) = s.version {
            out.extend_from_slice(b",\"version\":");
            write_int(out, v);
        }
        if let Some(doc) = &s.doc {
            out.extend_from_slice(b",\"doc\":");
            write_str(out, doc);
        }
        if let Some(params) = &s.parameters {
            out.extend_from_slice(b",\"parameters\":{");
            for (i, (k, v)) in params.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_str(out, v);
            }
            out.push(b'}');
        }
        if let Some(d) = &s.default_value {
            out.extend_from_slice(b",\"default\":");
            self.write_value(out, Some(s), d)?;
        }
        Ok(())
    }
}

fn write_temporal(out: &mut Vec<u8>, label: &str, name: &str, value: &Value) -> ConnectResult<()> {
    let Value::Timestamp(ms) = value else {
        return Err(ConnectError::data(format!(
            "Invalid type for {label}, expected Date but was class {}",
            value.java_class()
        )));
    };
    write_int(out, logical::temporal_underlying(name, *ms)?);
    Ok(())
}

#[cfg(test)]
mod plain_prefix_tests {
    use super::*;

    #[test]
    fn small_decimals_have_java_bytes() {
        for v in [
            0i128,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            32767,
            -32768,
            1 << 40,
            -(1 << 63),
            i128::MAX,
            i128::MIN,
            123_456_789,
            -987_654_321_012,
        ] {
            let d = Decimal::new(v, 2);
            let (bytes, len) = small_decimal_bytes(2, &d).unwrap();
            assert_eq!(
                bytes[16 - len..].to_vec(),
                logical::decimal_to_bytes(2, &d).unwrap(),
                "{v}"
            );
        }
        assert!(small_decimal_bytes(3, &Decimal::new(1, 2)).is_none());
    }

    fn naive(b: &[u8]) -> usize {
        b.iter()
            .position(|&c| c >= 0x80 || ESCAPES[c as usize] != 0)
            .unwrap_or(b.len())
    }

    /// Strings under 8 bytes take their own path; padded to 8 they take the general one.
    #[test]
    fn short_strings_are_written_as_long_ones() {
        let chars = [
            "a", "Z", " ", "\"", "\\", "\n", "\u{1}", "\u{7f}", "é", "😀", "/",
        ];
        let pad = "xxxxxxxx";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut s = String::new();
            let mut n = state;
            for _ in 0..(state % 8) {
                s.push_str(chars[(n % chars.len() as u64) as usize]);
                n /= chars.len() as u64;
            }
            let mut short = Vec::new();
            write_str(&mut short, &s);
            let mut long = Vec::new();
            write_str(&mut long, &format!("{s}{pad}"));
            let cut = long.len() - pad.len() - 1;
            long.truncate(cut);
            long.push(b'"');
            assert_eq!(short, long, "{s:?}");
        }
    }

    #[test]
    fn plain_prefix_stops_at_the_first_byte_to_escape() {
        let specials = [
            0u8, 0x1f, b'"', b'\\', 0x80, 0xff, 0x7f, b' ', b'!', b'#', b'[', b']',
        ];
        for len in 0..40 {
            for at in 0..len {
                for &c in &specials {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    // A special byte after the first, so marks beyond it cannot mislead.
                    if at + 3 < len {
                        b[at + 3] = b'"';
                    }
                    assert_eq!(plain_prefix(&b), naive(&b), "{b:?}");
                }
            }
            assert_eq!(plain_prefix(&vec![b'x'; len]), len);
        }
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            let mut b = Vec::new();
            for _ in 0..(state % 37) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly printable ASCII, sometimes anything.
                b.push(if state.is_multiple_of(11) {
                    (state >> 8) as u8
                } else {
                    0x20 + (state >> 8) as u8 % 95
                });
            }
            assert_eq!(plain_prefix(&b), naive(&b), "{b:?}");
        }
    }
}
