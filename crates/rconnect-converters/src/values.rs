//! Java's `org.apache.kafka.connect.data.Values`: the string form of Connect values
//! ([`convert_to_string`]) and best-effort parsing of such strings back into typed values
//! ([`parse_string`]). `SimpleHeaderConverter`, `InsertHeader` and `Cast` build on these.
//!
//! ```
//! use rconnect_converters::values::{convert_to_string, parse_string};
//! use rconnect_sdk::data::{Type, Value};
//!
//! let sv = parse_string("42").unwrap();
//! assert_eq!(sv.schema.unwrap().schema_type, Type::Int8);
//! assert_eq!(sv.value, Value::Int8(42));
//! let list = Value::Array(vec![Value::from("a"), Value::Int32(1)]);
//! assert_eq!(convert_to_string(None, &list).unwrap(), r#"["a",1]"#);
//! ```
//!
//! Known differences from Java: dates before the 1582 Gregorian cut-over use the
//! proleptic Gregorian calendar (Java's `SimpleDateFormat` switches to Julian), and only
//! ASCII digits start a number (Java's `Character.isDigit` also accepts other scripts).

use base64::Engine as _;
use rconnect_sdk::data::logical::{self, days_from_civil, MILLIS_PER_DAY};
use rconnect_sdk::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::javafmt::{format_values_date, java_float};
use crate::numtext::{decimal_to_f64, decimal_wrapping_i64, DecParts};

/// Nesting deeper than this is refused rather than risking the stack (Java would fail
/// with a `StackOverflowError`, which `SimpleHeaderConverter` also turns into raw bytes).
const MAX_DEPTH: usize = 256;

// ---------------------------------------------------------------------------------------
// convertToString

/// Java `Values.convertToString(schema, value)`: `None` for null, otherwise the string
/// form (strings as-is, numbers as Java prints them, bytes as Base64, lists/maps/structs in
/// the embedded form `[1,"a"]`, `{"k":1}`, dates by magnitude). The schema is unused, as in
/// Java.
pub fn convert_to_string(_schema: Option<&Schema>, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, value, false);
    Some(out)
}

fn append(out: &mut String, v: &Value, embedded: bool) {
    use std::fmt::Write as _;
    match v {
        Value::Null => out.push_str("null"),
        Value::Int8(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Int16(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Int32(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Int64(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Float32(x) => out.push_str(&java_float(*x as f64, true)),
        Value::Float64(x) => out.push_str(&java_float(*x, false)),
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => {
            if embedded {
                out.push('"');
                for c in s.chars() {
                    if c == '\\' || c == '"' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Value::Bytes(b) => {
            let enc = base64::engine::general_purpose::STANDARD.encode(b);
            if embedded {
                out.push('"');
                out.push_str(&enc);
                out.push('"');
            } else {
                out.push_str(&enc);
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, x, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, k, true);
                out.push(':');
                append(out, x, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, f) in s.schema().fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, &Value::String(f.name.clone().into()), true);
                out.push(':');
                append(out, s.get_at(f.index), true);
            }
            out.push('}');
        }
        Value::Timestamp(ms) => out.push_str(&format_values_date(*ms)),
    }
}

// ---------------------------------------------------------------------------------------
// parseString

/// Java `Values.parseString(text)`: infers the schema and value a string most likely
/// denotes.
///
/// `"null"` (trimmed) gives `(None, Null)`; `""` is an empty STRING; `true`/`false` are
/// BOOLEAN; integers take the smallest of INT8/16/32/64 (then Decimal scale 0); fractions
/// become FLOAT32, FLOAT64 or Decimal; `yyyy-MM-dd`, `HH:mm:ss.SSSZ` and
/// `yyyy-MM-ddTHH:mm:ss.SSSZ` become Date, Time and Timestamp; `[...]` and `{...}` become
/// arrays and maps with a common element schema where one exists; anything else is the
/// original text as STRING.
///
/// Fails only on input nested too deeply to parse safely.
pub fn parse_string(text: &str) -> ConnectResult<SchemaAndValue> {
    if text.is_empty() {
        return Ok(SchemaAndValue::new(
            Some(Schema::string()),
            Value::String(String::new().into()),
        ));
    }
    let mut vp = ValueParser {
        p: Parser::new(text),
    };
    match vp.parse(false, 0) {
        Ok(Some(sv)) => Ok(sv),
        Ok(None) => Ok(SchemaAndValue::NULL),
        Err(PErr::TooDeep) => Err(ConnectError::data(format!(
            "Value nested more than {MAX_DEPTH} levels deep cannot be parsed"
        ))),
        // Top-level data errors are caught inside `parse`; this arm is defensive.
        Err(PErr::Data(m)) => Err(ConnectError::data(m)),
    }
}

#[derive(Debug)]
enum PErr {
    /// A Java `DataException`: callers may catch it and fall back to a string.
    Data(String),
    /// Too deep to continue; never caught.
    TooDeep,
}

type PResult<T> = Result<T, PErr>;

fn data<T>(msg: impl Into<String>) -> PResult<T> {
    Err(PErr::Data(msg.into()))
}

/// Java `String.trim()`: strips code points up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// Port of Java's `Values.Parser`: splits on unescaped `: , { } [ ] "`, keeping the
/// delimiters as their own tokens.
struct Parser<'a> {
    original: &'a str,
    idx: usize,
    next_token: Option<(usize, usize)>,
    previous: Option<(usize, usize)>,
}

impl<'a> Parser<'a> {
    fn new(original: &'a str) -> Self {
        Parser {
            original,
            idx: 0,
            next_token: None,
            previous: None,
        }
    }
    fn tok(&self, r: (usize, usize)) -> &'a str {
        &self.original[r.0..r.1]
    }
    fn position(&self) -> usize {
        self.idx
    }
    fn mark(&self) -> usize {
        self.next_token.map(|t| t.0).unwrap_or(self.idx)
    }
    fn rewind_to(&mut self, pos: usize) {
        self.idx = pos;
        self.next_token = None;
        self.previous = None;
    }
    fn can_consume_next_token(&self) -> bool {
        self.idx < self.original.len()
    }
    fn has_next(&self) -> bool {
        self.next_token.is_some() || self.can_consume_next_token()
    }
    fn next(&mut self) -> &'a str {
        let t = match self.next_token.take() {
            Some(t) => t,
            None => self.consume_next_token(),
        };
        self.previous = Some(t);
        self.tok(t)
    }
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(&self.original[start..self.position()])
    }
    fn consume_next_token(&mut self) -> (usize, usize) {
        let b = self.original.as_bytes();
        let start = self.idx;
        let mut escaped = false;
        while self.idx < b.len() {
            match b[self.idx] {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' => {
                    if !escaped {
                        if start < self.idx {
                            return (start, self.idx);
                        }
                        self.idx += 1;
                        return (start, start + 1);
                    }
                    escaped = false;
                }
                _ => escaped = false,
            }
            self.idx += 1;
        }
        (start, self.idx)
    }
    fn previous_is(&self, s: &str) -> bool {
        self.previous.map(|t| self.tok(t) == s).unwrap_or(false)
    }
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.is_next(expected) {
            self.next_token = None;
            return true;
        }
        false
    }
    fn is_next(&mut self, expected: &str) -> bool {
        if self.next_token.is_none() {
            if !self.has_next() {
                return false;
            }
            self.next_token = Some(self.consume_next_token());
        }
        while let Some(t) = self.next_token {
            if is_blank(self.tok(t)) && self.can_consume_next_token() {
                self.next_token = Some(self.consume_next_token());
            } else {
                break;
            }
        }
        self.next_token
            .map(|t| java_trim(self.tok(t)) == expected)
            .unwrap_or(false)
    }
}

fn sv(schema: SchemaRef, value: Value) -> SchemaAndValue {
    SchemaAndValue::new(Some(schema), value)
}

/// Port of Java's `Values.ValueParser`.
struct ValueParser<'a> {
    p: Parser<'a>,
}

impl<'a> ValueParser<'a> {
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.p.mark();
        if self.p.can_consume(literal) && (embedded || !self.p.has_next()) {
            return true;
        }
        self.p.rewind_to(start);
        false
    }

    /// `None` is Java's `null` result (the literal `null`, or nothing left to parse).
    fn parse(&mut self, embedded: bool, depth: usize) -> PResult<Option<SchemaAndValue>> {
        if depth > MAX_DEPTH {
            return Err(PErr::TooDeep);
        }
        if !self.p.has_next() {
            return Ok(None);
        }
        if embedded && self.p.can_consume("\"") {
            return Ok(Some(self.parse_quoted_string()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        if self.single_token_literal(embedded, "true") {
            return Ok(Some(sv(Schema::boolean(), Value::Boolean(true))));
        }
        if self.single_token_literal(embedded, "false") {
            return Ok(Some(sv(Schema::boolean(), Value::Boolean(false))));
        }
        let start = self.p.mark();
        let attempt = if self.p.can_consume("[") {
            Some(self.parse_array(depth))
        } else if self.p.can_consume("{") {
            Some(self.parse_map(depth))
        } else {
            None
        };
        match attempt {
            Some(Ok(v)) => return Ok(Some(v)),
            Some(Err(PErr::Data(msg))) => {
                tracing::trace!(
                    "Unable to parse the value as a map or an array; reverting to string: {msg}"
                );
                self.p.rewind_to(start);
            }
            Some(Err(e)) => return Err(e),
            None => {}
        }
        let token = self.p.next();
        if is_blank(token) {
            return Ok(Some(sv(
                Schema::string(),
                Value::String(token.to_string().into()),
            )));
        }
        self.parse_next_token(embedded, java_trim(token))
    }

    fn parse_next_token(&mut self, embedded: bool, token: &str) -> PResult<Option<SchemaAndValue>> {
        let first = token.as_bytes()[0];
        let digit = first.is_ascii_digit();
        if digit {
            if let Some(t) = self.parse_multiple_tokens_as_temporal(token) {
                return Ok(Some(t));
            }
        }
        if digit || first == b'+' || first == b'-' {
            if let Some(n) = parse_as_number(token) {
                return Ok(Some(n));
            }
        }
        if embedded {
            return data("Failed to parse embedded value");
        }
        Ok(Some(sv(
            Schema::string(),
            Value::String(self.p.original.to_string().into()),
        )))
    }

    fn parse_multiple_tokens_as_temporal(&mut self, token: &str) -> Option<SchemaAndValue> {
        // Time and timestamp literals contain unescaped colons, so they arrive as five tokens.
        let position = self.p.mark();
        if let Some(rest) = self.p.next_n(4) {
            let joined = format!("{token}{rest}");
            if let Some(t) = parse_as_temporal(&joined) {
                return Some(t);
            }
        }
        self.p.rewind_to(position);
        parse_as_temporal(token)
    }

    fn parse_quoted_string(&mut self) -> SchemaAndValue {
        let mut content = String::new();
        while self.p.has_next() {
            if self.p.can_consume("\"") {
                break;
            }
            content.push_str(self.p.next());
        }
        if let Some(t) = parse_as_temporal(&content) {
            return t;
        }
        sv(Schema::string(), Value::String(content.into()))
    }

    fn parse_array(&mut self, depth: usize) -> PResult<SchemaAndValue> {
        let mut result = Vec::new();
        let mut merger = SchemaMerger::default();
        while self.p.has_next() {
            if self.p.can_consume("]") {
                let schema = match merger.common() {
                    Some(common) => {
                        result = result
                            .iter()
                            .map(|v| convert_to(&common, v))
                            .collect::<PResult<Vec<_>>>()?;
                        SchemaBuilder::array(common).build()
                    }
                    None => SchemaBuilder::new(Type::Array).build(),
                };
                return Ok(sv(schema, Value::Array(result)));
            }
            if self.p.can_consume(",") {
                return data(format!(
                    "Unable to parse an empty array element: {}",
                    self.p.original
                ));
            }
            let element = self.parse(true, depth + 1)?;
            merger.merge(element.as_ref());
            result.push(element.map(|e| e.value).unwrap_or(Value::Null));
            let current = self.p.mark();
            if self.p.can_consume("]") {
                self.p.rewind_to(current);
            } else if !self.p.can_consume(",") {
                return data("Array elements missing ',' delimiter");
            }
        }
        if self.p.previous_is(",") {
            return data(format!(
                "Array is missing element after ',': {}",
                self.p.original
            ));
        }
        data(format!(
            "Array is missing terminating ']': {}",
            self.p.original
        ))
    }

    fn parse_map(&mut self, depth: usize) -> PResult<SchemaAndValue> {
        let mut result: Vec<(Value, Value)> = Vec::new();
        let mut keys = SchemaMerger::default();
        let mut values = SchemaMerger::default();
        while self.p.has_next() {
            if self.p.can_consume("}") {
                let (schema, entries) = match (keys.common(), values.common()) {
                    (Some(k), Some(v)) => {
                        let mut aligned = Vec::with_capacity(result.len());
                        for (key, val) in &result {
                            put_linked(&mut aligned, convert_to(&k, key)?, convert_to(&v, val)?);
                        }
                        (SchemaBuilder::map(k, v).build(), aligned)
                    }
                    (Some(k), None) => {
                        let mut aligned = Vec::with_capacity(result.len());
                        for (key, val) in result {
                            put_linked(&mut aligned, convert_to(&k, &key)?, val);
                        }
                        let mut schema = Schema::primitive(Type::Map, false);
                        schema.key_schema = Some(k);
                        (std::sync::Arc::new(schema), aligned)
                    }
                    _ => (SchemaBuilder::new(Type::Map).build(), result),
                };
                return Ok(sv(schema, Value::Map(entries)));
            }
            if self.p.can_consume(",") {
                return data(format!(
                    "Unable to parse a map entry with no key or value: {}",
                    self.p.original
                ));
            }
            let key = match self.parse(true, depth + 1)? {
                Some(k) if !k.value.is_null() => k,
                _ => {
                    return data(format!(
                        "Map entry may not have a null key: {}",
                        self.p.original
                    ))
                }
            };
            if !self.p.can_consume(":") {
                return data(format!(
                    "Map entry is missing ':' at {} in {}",
                    self.p.position(),
                    self.p.original
                ));
            }
            let value = self.parse(true, depth + 1)?;
            put_linked(
                &mut result,
                key.value.clone(),
                value
                    .as_ref()
                    .map(|v| v.value.clone())
                    .unwrap_or(Value::Null),
            );
            self.p.can_consume(",");
            keys.merge(Some(&key));
            values.merge(value.as_ref());
        }
        if self.p.previous_is(",") {
            return data(format!(
                "Map is missing element after ',': {}",
                self.p.original
            ));
        }
        data(format!(
            "Map is missing terminating '}}': {}",
            self.p.original
        ))
    }
}

/// `LinkedHashMap.put`: a repeated key keeps its position and takes the new value.
fn put_linked(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = value;
    } else {
        entries.push((key, value));
    }
}

/// Java `Values.SchemaMerger`: the common schema of all non-null elements seen, if any.
#[derive(Default)]
struct SchemaMerger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

impl SchemaMerger {
    fn merge(&mut self, latest: Option<&SchemaAndValue>) {
        let Some(schema) = latest.and_then(|l| l.schema.as_ref()) else {
            return;
        };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(schema.clone()),
            Some(prev) => {
                let merged = merge_schemas(&prev, schema);
                self.incompatible = merged.is_none();
                merged
            }
        };
    }
    fn common(&self) -> Option<SchemaRef> {
        self.common.clone()
    }
}

fn numeric_rank(t: Type) -> Option<u8> {
    Some(match t {
        Type::Int8 => 0,
        Type::Int16 => 1,
        Type::Int32 => 2,
        Type::Int64 => 3,
        Type::Float32 => 4,
        Type::Float64 => 5,
        _ => return None,
    })
}

/// Java `Values.mergeSchemas`: numeric types widen (INT8 < ... < FLOAT64), equal types
/// merge, anything else has no common schema.
fn merge_schemas(prev: &SchemaRef, new: &SchemaRef) -> Option<SchemaRef> {
    if prev.schema_type != new.schema_type {
        let (a, b) = (
            numeric_rank(prev.schema_type)?,
            numeric_rank(new.schema_type)?,
        );
        return Some(if b > a { new.clone() } else { prev.clone() });
    }
    if prev.optional == new.optional {
        return Some(if prev.optional {
            prev.clone()
        } else {
            new.clone()
        });
    }
    if prev != new {
        return None;
    }
    Some(prev.clone())
}

/// Java `Values.parseAsNumber`.
fn parse_as_number(token: &str) -> Option<SchemaAndValue> {
    let parts = DecParts::parse_java(token)?;
    if let Some(v) = parts.exact_i64() {
        return Some(if let Ok(x) = i8::try_from(v) {
            sv(Schema::int8(), Value::Int8(x))
        } else if let Ok(x) = i16::try_from(v) {
            sv(Schema::int16(), Value::Int16(x))
        } else if let Ok(x) = i32::try_from(v) {
            sv(Schema::int32(), Value::Int32(x))
        } else {
            sv(Schema::int64(), Value::Int64(v))
        });
    }
    let scale = parts.scale();
    let f = parts.to_f32();
    if f.is_finite() && scale != 0 {
        return Some(sv(Schema::float32(), Value::Float32(f)));
    }
    let d = parts.to_f64();
    if d.is_finite() && scale != 0 {
        return Some(sv(Schema::float64(), Value::Float64(d)));
    }
    let dec = parts.to_decimal()?;
    Some(sv(logical::decimal_schema(dec.scale), Value::Decimal(dec)))
}

#[derive(Clone, Copy)]
enum Pat {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
    Lit(u8),
}

const DATE_PATTERN: &[Pat] = &[
    Pat::Year,
    Pat::Lit(b'-'),
    Pat::Month,
    Pat::Lit(b'-'),
    Pat::Day,
];
const TIME_PATTERN: &[Pat] = &[
    Pat::Hour,
    Pat::Lit(b':'),
    Pat::Minute,
    Pat::Lit(b':'),
    Pat::Second,
    Pat::Lit(b'.'),
    Pat::Milli,
    Pat::Lit(b'Z'),
];
const TIMESTAMP_PATTERN: &[Pat] = &[
    Pat::Year,
    Pat::Lit(b'-'),
    Pat::Month,
    Pat::Lit(b'-'),
    Pat::Day,
    Pat::Lit(b'T'),
    Pat::Hour,
    Pat::Lit(b':'),
    Pat::Minute,
    Pat::Lit(b':'),
    Pat::Second,
    Pat::Lit(b'.'),
    Pat::Milli,
    Pat::Lit(b'Z'),
];

/// A lenient `SimpleDateFormat(pattern).parse(text, pos)` in UTC: numeric fields are
/// greedy signed integers, out-of-range values roll over, and text after the pattern is
/// ignored. Returns epoch milliseconds.
fn parse_pattern(text: &str, pattern: &[Pat]) -> Option<i64> {
    let b = text.as_bytes();
    let mut i = 0;
    let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut ms) =
        (1970i64, 1i64, 1i64, 0i64, 0i64, 0i64, 0i64);
    for p in pattern {
        match p {
            Pat::Lit(c) => {
                if b.get(i) != Some(c) {
                    return None;
                }
                i += 1;
            }
            field => {
                let neg = b.get(i) == Some(&b'-');
                if neg {
                    i += 1;
                }
                let ds = i;
                let mut n: i64 = 0;
                while i < b.len() && b[i].is_ascii_digit() {
                    n = n.checked_mul(10)?.checked_add((b[i] - b'0') as i64)?;
                    i += 1;
                }
                if i == ds {
                    return None;
                }
                if neg {
                    n = -n;
                }
                match field {
                    Pat::Year => y = n,
                    Pat::Month => mo = n,
                    Pat::Day => d = n,
                    Pat::Hour => h = n,
                    Pat::Minute => mi = n,
                    Pat::Second => s = n,
                    Pat::Milli => ms = n,
                    Pat::Lit(_) => unreachable!("literals are matched above"),
                }
            }
        }
    }
    // Lenient calendar arithmetic: months and days roll over into the next unit.
    let m0 = mo - 1;
    let year = y.checked_add(m0.div_euclid(12))?;
    if year.abs() > 100_000_000 {
        return None;
    }
    let days = days_from_civil(year, (m0.rem_euclid(12) + 1) as u32, 1).checked_add(d - 1)?;
    days.checked_mul(MILLIS_PER_DAY)?
        .checked_add(h.checked_mul(3_600_000)?)?
        .checked_add(mi.checked_mul(60_000)?)?
        .checked_add(s.checked_mul(1000)?)?
        .checked_add(ms)
}

/// Java `Values.parseAsTemporal`: picks Time, Timestamp or Date by the literal's length.
fn parse_as_temporal(token: &str) -> Option<SchemaAndValue> {
    let token = token.replace("\\:", ":");
    let len: usize = token.chars().map(char::len_utf16).sum();
    let (pattern, schema) = match len {
        13 => (TIME_PATTERN, logical::time_builder().build()),
        24 => (TIMESTAMP_PATTERN, logical::timestamp_builder().build()),
        10 => (DATE_PATTERN, logical::date_builder().build()),
        _ => return None,
    };
    parse_pattern(&token, pattern).map(|ms| sv(schema, Value::Timestamp(ms)))
}

// ---------------------------------------------------------------------------------------
// convertTo (used to align parsed elements with their common schema)

fn describe(v: &Value) -> String {
    format!("{v} (class {})", v.java_class())
}

/// Java `Values.asLong(value, null, null)`.
fn as_long(v: &Value) -> PResult<i64> {
    Ok(match v {
        Value::Int8(x) => *x as i64,
        Value::Int16(x) => *x as i64,
        Value::Int32(x) => *x as i64,
        Value::Int64(x) => *x,
        Value::Float32(x) => *x as i64,
        Value::Float64(x) => *x as i64,
        Value::Decimal(d) => decimal_wrapping_i64(d),
        Value::String(s) => match DecParts::parse_java(s) {
            Some(p) => p.wrapping_i64(),
            None => return data(format!("Unable to convert {} to a number", describe(v))),
        },
        _ => return data(format!("Unable to convert {} to a number", describe(v))),
    })
}

/// Java `Values.asDouble(value, null, null)`.
fn as_double(v: &Value) -> PResult<f64> {
    Ok(match v {
        Value::Int8(x) => *x as f64,
        Value::Int16(x) => *x as f64,
        Value::Int32(x) => *x as f64,
        Value::Int64(x) => *x as f64,
        Value::Float32(x) => *x as f64,
        Value::Float64(x) => *x,
        Value::Decimal(d) => decimal_to_f64(d),
        Value::String(s) => match DecParts::parse_java(s) {
            Some(p) => p.to_f64(),
            None => as_long(v)? as f64,
        },
        _ => as_long(v)? as f64,
    })
}

fn convert_temporal(to: &Schema, v: &Value) -> PResult<Value> {
    let parsed;
    let v = if let Value::String(s) = v {
        parsed = parse_string(s)
            .map_err(|e| PErr::Data(e.to_string()))?
            .value;
        &parsed
    } else {
        v
    };
    if let Value::Timestamp(_) = v {
        return Ok(v.clone());
    }
    let n = as_long(v)?;
    match to.name.as_deref() {
        Some(logical::DATE_NAME) => Ok(Value::Timestamp((n as i32) as i64 * MILLIS_PER_DAY)),
        Some(logical::TIME_NAME) => {
            let ms = n as i32;
            if !(0..=MILLIS_PER_DAY as i32).contains(&ms) {
                return data("Time values must use number of milliseconds greater than 0 and less than 86400000");
            }
            Ok(Value::Timestamp(ms as i64))
        }
        _ => Ok(Value::Timestamp(n)),
    }
}

/// Java `Values.convertTo(toSchema, null, value)`.
fn convert_to(to: &Schema, v: &Value) -> PResult<Value> {
    if v.is_null() {
        if to.optional {
            return Ok(Value::Null);
        }
        return data("Unable to convert a null value to a schema that requires a value");
    }
    let name = to.name.as_deref();
    Ok(match to.schema_type {
        Type::Bytes if name == Some(logical::DECIMAL_NAME) => match v {
            Value::Bytes(b) => {
                let scale = logical::decimal_scale(to.parameter(logical::SCALE_FIELD))
                    .map_err(|e| PErr::Data(e.to_string()))?;
                Value::Decimal(
                    logical::decimal_from_bytes(scale, b).map_err(|e| PErr::Data(e.to_string()))?,
                )
            }
            Value::Decimal(_) => v.clone(),
            Value::Int8(_)
            | Value::Int16(_)
            | Value::Int32(_)
            | Value::Int64(_)
            | Value::Float32(_)
            | Value::Float64(_) => {
                // Java `BigDecimal.valueOf(double)` goes through `Double.toString`.
                let text = java_float(as_double(v)?, false);
                match DecParts::parse_java(&text).and_then(|p| p.to_decimal()) {
                    Some(d) => Value::Decimal(d),
                    None => return data(format!("Unable to convert {} to a decimal", describe(v))),
                }
            }
            Value::String(s) => match DecParts::parse_java(s).and_then(|p| p.to_decimal()) {
                Some(d) => Value::Decimal(d),
                None => return data(format!("Unable to convert {} to a decimal", describe(v))),
            },
            _ => return data(format!("Unable to convert {} to a decimal", describe(v))),
        },
        Type::Bytes => match v {
            Value::Bytes(_) => v.clone(),
            Value::Decimal(d) => {
                let scale = logical::decimal_scale(to.parameter(logical::SCALE_FIELD))
                    .map_err(|e| PErr::Data(e.to_string()))?;
                Value::Bytes(
                    logical::decimal_to_bytes(scale, d).map_err(|e| PErr::Data(e.to_string()))?,
                )
            }
            _ => return data(format!("Unable to convert {} to bytes", describe(v))),
        },
        Type::String => Value::String(convert_to_string(None, v).unwrap_or_default().into()),
        Type::Boolean => match v {
            Value::Boolean(_) => v.clone(),
            Value::String(s) => match parse_string(s).map(|p| p.value) {
                Ok(b @ Value::Boolean(_)) => b,
                _ => Value::Boolean(as_long(v)? != 0),
            },
            _ => Value::Boolean(as_long(v)? != 0),
        },
        Type::Int8 => match v {
            Value::Int8(_) => v.clone(),
            _ => Value::Int8(as_long(v)? as i8),
        },
        Type::Int16 => match v {
            Value::Int16(_) => v.clone(),
            _ => Value::Int16(as_long(v)? as i16),
        },
        Type::Int32 if matches!(name, Some(logical::DATE_NAME) | Some(logical::TIME_NAME)) => {
            convert_temporal(to, v)?
        }
        Type::Int32 => match v {
            Value::Int32(_) => v.clone(),
            _ => Value::Int32(as_long(v)? as i32),
        },
        Type::Int64 if name == Some(logical::TIMESTAMP_NAME) => convert_temporal(to, v)?,
        Type::Int64 => match v {
            Value::Int64(_) => v.clone(),
            _ => Value::Int64(as_long(v)?),
        },
        Type::Float32 => match v {
            Value::Float32(_) => v.clone(),
            _ => Value::Float32(as_double(v)? as f32),
        },
        Type::Float64 => match v {
            Value::Float64(_) => v.clone(),
            _ => Value::Float64(as_double(v)?),
        },
        Type::Array => match v {
            Value::Array(_) => v.clone(),
            Value::String(s) => match parse_string(s).map(|p| p.value) {
                Ok(a @ Value::Array(_)) => a,
                _ => return data(format!("Unable to convert {} to an array", describe(v))),
            },
            _ => return data(format!("Unable to convert {} to an array", describe(v))),
        },
        Type::Map => match v {
            Value::Map(_) => v.clone(),
            Value::String(s) => match parse_string(s).map(|p| p.value) {
                Ok(m @ Value::Map(_)) => m,
                _ => return data(format!("Unable to convert {} to a map", describe(v))),
            },
            _ => return data(format!("Unable to convert {} to a map", describe(v))),
        },
        Type::Struct => match v {
            Value::Struct(_) => v.clone(),
            _ => return data(format!("Unable to convert {} to a struct", describe(v))),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{Decimal, Struct};

    fn decimal(unscaled: i64, scale: i32) -> Value {
        Value::Decimal(Decimal::new(unscaled, scale))
    }

    fn parse(s: &str) -> SchemaAndValue {
        parse_string(s).unwrap()
    }

    fn parsed_type(s: &str) -> Option<Type> {
        parse(s).schema.map(|s| s.schema_type)
    }

    #[test]
    fn convert_to_string_table() {
        assert_eq!(convert_to_string(None, &Value::Null), None);
        assert_eq!(
            convert_to_string(None, &Value::from("a \"b\"")).unwrap(),
            "a \"b\""
        );
        assert_eq!(convert_to_string(None, &Value::Int32(1)).unwrap(), "1");
        assert_eq!(
            convert_to_string(None, &Value::Float64(1.5)).unwrap(),
            "1.5"
        );
        assert_eq!(
            convert_to_string(None, &Value::Float64(1e10)).unwrap(),
            "1.0E10"
        );
        assert_eq!(
            convert_to_string(None, &Value::Float32(0.1)).unwrap(),
            "0.1"
        );
        assert_eq!(
            convert_to_string(None, &decimal(12345, 2)).unwrap(),
            "123.45"
        );
        assert_eq!(
            convert_to_string(None, &Value::Boolean(false)).unwrap(),
            "false"
        );
        assert_eq!(
            convert_to_string(None, &Value::Bytes(b"hi".to_vec())).unwrap(),
            "aGk="
        );
        let list = Value::Array(vec![
            Value::from("a\\b\"c"),
            Value::Null,
            Value::Bytes(vec![1]),
            Value::Int8(3),
        ]);
        assert_eq!(
            convert_to_string(None, &list).unwrap(),
            r#"["a\\b\"c",null,"AQ==",3]"#
        );
        let map = Value::Map(vec![
            (Value::from("k"), Value::Int32(1)),
            (Value::Int32(2), Value::Array(vec![])),
        ]);
        assert_eq!(convert_to_string(None, &map).unwrap(), r#"{"k":1,2:[]}"#);
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field(
                "b",
                SchemaBuilder::string()
                    .optional()
                    .default_value(Value::from("d"))
                    .unwrap()
                    .build(),
            )
            .build();
        let mut s = Struct::new(schema);
        s.put("a", Value::Int32(1)).unwrap();
        assert_eq!(
            convert_to_string(None, &Value::Struct(s)).unwrap(),
            r#"{"a":1,"b":"d"}"#
        );
        assert_eq!(
            convert_to_string(None, &Value::Timestamp(45_296_789)).unwrap(),
            "12:34:56.789Z"
        );
        assert_eq!(
            convert_to_string(None, &Value::Timestamp(19782 * MILLIS_PER_DAY)).unwrap(),
            "2024-02-29"
        );
        assert_eq!(
            convert_to_string(None, &Value::Timestamp(19782 * MILLIS_PER_DAY + 1)).unwrap(),
            "2024-02-29T00:00:00.001Z"
        );
    }

    #[test]
    fn nulls_empties_and_booleans() {
        assert_eq!(parse("null"), SchemaAndValue::NULL);
        assert_eq!(parse("  null "), SchemaAndValue::NULL);
        assert_eq!(
            parse(""),
            SchemaAndValue::new(Some(Schema::string()), Value::from(""))
        );
        assert_eq!(
            parse("   "),
            SchemaAndValue::new(Some(Schema::string()), Value::from("   "))
        );
        assert_eq!(
            parse("true"),
            SchemaAndValue::new(Some(Schema::boolean()), Value::Boolean(true))
        );
        assert_eq!(
            parse(" false "),
            SchemaAndValue::new(Some(Schema::boolean()), Value::Boolean(false))
        );
        assert_eq!(
            parse("TRUE"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("TRUE"))
        );
        assert_eq!(
            parse("true}"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("true}"))
        );
        assert_eq!(
            parse("null}"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("null}"))
        );
    }

    #[test]
    fn numbers_take_the_smallest_type() {
        assert_eq!(
            parse("42"),
            SchemaAndValue::new(Some(Schema::int8()), Value::Int8(42))
        );
        assert_eq!(parse("-128").value, Value::Int8(-128));
        assert_eq!(
            parse("128"),
            SchemaAndValue::new(Some(Schema::int16()), Value::Int16(128))
        );
        assert_eq!(
            parse("40000"),
            SchemaAndValue::new(Some(Schema::int32()), Value::Int32(40000))
        );
        assert_eq!(
            parse("3000000000"),
            SchemaAndValue::new(Some(Schema::int64()), Value::Int64(3_000_000_000))
        );
        assert_eq!(parse("+7").value, Value::Int8(7));
        assert_eq!(parse("1.0").value, Value::Int8(1));
        assert_eq!(parse("1e5").value, Value::Int32(100_000));
        assert_eq!(
            parse("0.1"),
            SchemaAndValue::new(Some(Schema::float32()), Value::Float32(0.1))
        );
        assert_eq!(
            parse("1.5e300"),
            SchemaAndValue::new(Some(Schema::float64()), Value::Float64(1.5e300))
        );
        let big = parse("12345678901234567890");
        assert_eq!(big.schema, Some(logical::decimal_schema(0)));
        assert_eq!(
            big.value,
            Value::Decimal(Decimal::new(
                num_bigint::BigInt::parse_bytes(b"12345678901234567890", 10).unwrap(),
                0
            ))
        );
        let huge = parse("1.5e400");
        assert_eq!(huge.schema, Some(logical::decimal_schema(-399)));
        assert_eq!(huge.value, Value::Decimal(Decimal::new(15, -399)));
        assert_eq!(
            parse("12abc"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("12abc"))
        );
        assert_eq!(
            parse("-"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("-"))
        );
        assert_eq!(parse(" 42 ").value, Value::Int8(42));
    }

    #[test]
    fn temporals_by_length() {
        let d = parse("2024-02-29");
        assert_eq!(d.schema, Some(logical::date_builder().build()));
        assert_eq!(d.value, Value::Timestamp(19782 * MILLIS_PER_DAY));
        let t = parse("12:34:56.789Z");
        assert_eq!(t.schema, Some(logical::time_builder().build()));
        assert_eq!(t.value, Value::Timestamp(45_296_789));
        let ts = parse("2024-02-29T12:34:56.789Z");
        assert_eq!(ts.schema, Some(logical::timestamp_builder().build()));
        assert_eq!(
            ts.value,
            Value::Timestamp(19782 * MILLIS_PER_DAY + 45_296_789)
        );
        // Lenient like SimpleDateFormat: month 13 rolls into the next year.
        assert_eq!(
            parse("2023-13-01").value,
            Value::Timestamp(days_from_civil(2024, 1, 1) * MILLIS_PER_DAY)
        );
        // Wrong length: a number or a string, not a date.
        assert_eq!(parsed_type("2024-2-29"), Some(Type::String));
        assert_eq!(parsed_type("1234567890"), Some(Type::Int32));
    }

    #[test]
    fn arrays() {
        let a = parse("[1, 2, 300]");
        assert_eq!(
            a.schema,
            Some(SchemaBuilder::array(Schema::int16()).build())
        );
        assert_eq!(
            a.value,
            Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)])
        );
        let a = parse("[1, 2.5]");
        assert_eq!(
            a.schema,
            Some(SchemaBuilder::array(Schema::float32()).build())
        );
        assert_eq!(
            a.value,
            Value::Array(vec![Value::Float32(1.0), Value::Float32(2.5)])
        );
        let a = parse(r#"["a", "b c"]"#);
        assert_eq!(
            a.schema,
            Some(SchemaBuilder::array(Schema::string()).build())
        );
        assert_eq!(
            a.value,
            Value::Array(vec![Value::from("a"), Value::from("b c")])
        );
        let a = parse("[]");
        assert_eq!(a.schema.as_ref().unwrap().schema_type, Type::Array);
        assert!(a.schema.as_ref().unwrap().value_schema.is_none());
        assert_eq!(a.value, Value::Array(vec![]));
        let a = parse(r#"[1, "a"]"#);
        assert!(a.schema.as_ref().unwrap().value_schema.is_none());
        assert_eq!(
            a.value,
            Value::Array(vec![Value::Int8(1), Value::from("a")])
        );
        let a = parse("[null, null]");
        assert!(a.schema.as_ref().unwrap().value_schema.is_none());
        assert_eq!(a.value, Value::Array(vec![Value::Null, Value::Null]));
        let a = parse(r#"["2024-02-29"]"#);
        assert_eq!(
            a.schema,
            Some(SchemaBuilder::array(logical::date_builder().build()).build())
        );
        let nested = parse("[[1],[2]]");
        assert_eq!(
            nested.value,
            Value::Array(vec![
                Value::Array(vec![Value::Int8(1)]),
                Value::Array(vec![Value::Int8(2)])
            ])
        );
        // A null among typed elements cannot be aligned to a required schema: plain string.
        assert_eq!(
            parse("[1, null]"),
            SchemaAndValue::new(Some(Schema::string()), Value::from("[1, null]"))
        );
        // Unterminated, bare words and empty elements fall back to the whole string.
        assert_eq!(parsed_type("[1, 2"), Some(Type::String));
        assert_eq!(parse("[a, b]").value, Value::from("[a, b]"));
        assert_eq!(parse("[1,,2]").value, Value::from("[1,,2]"));
    }

    #[test]
    fn maps() {
        let m = parse(r#"{"a": 1, "b": 2}"#);
        assert_eq!(
            m.schema,
            Some(SchemaBuilder::map(Schema::string(), Schema::int8()).build())
        );
        assert_eq!(
            m.value,
            Value::Map(vec![
                (Value::from("a"), Value::Int8(1)),
                (Value::from("b"), Value::Int8(2))
            ])
        );
        let m = parse(r#"{"a": 1, "a": 1000}"#);
        assert_eq!(
            m.value,
            Value::Map(vec![(Value::from("a"), Value::Int16(1000))])
        );
        let m = parse(r#"{"a": null}"#);
        let s = m.schema.unwrap();
        assert_eq!(s.key_schema, Some(Schema::string()));
        assert!(s.value_schema.is_none());
        assert_eq!(m.value, Value::Map(vec![(Value::from("a"), Value::Null)]));
        let m = parse("{1: true, 2: false}");
        assert_eq!(
            m.schema,
            Some(SchemaBuilder::map(Schema::int8(), Schema::boolean()).build())
        );
        assert_eq!(parse("{null: 1}").value, Value::from("{null: 1}"));
        assert_eq!(parse("{\"a\" 1}").value, Value::from("{\"a\" 1}"));
        assert_eq!(parse("{}").value, Value::Map(vec![]));
    }

    #[test]
    fn round_trips_through_strings() {
        let list = Value::Array(vec![Value::Int32(1000), Value::Int32(2000)]);
        let text = convert_to_string(None, &list).unwrap();
        assert_eq!(
            parse(&text).value,
            Value::Array(vec![Value::Int16(1000), Value::Int16(2000)])
        );
        let ts = Value::Timestamp(1_700_000_000_123);
        assert_eq!(parse(&convert_to_string(None, &ts).unwrap()).value, ts);
    }

    #[test]
    fn pathological_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000);
        assert!(parse_string(&deep).is_err());
    }
}
