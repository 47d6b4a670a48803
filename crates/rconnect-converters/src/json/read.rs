//! JSON bytes → Connect data: a small JSON reader that decodes straight into Connect
//! values, following the Jackson tree-model semantics `JsonConverter` relies on.
//!
//! Differences from Jackson that cannot matter for valid Connect data: lone UTF-16
//! surrogate escapes (`\uD800`) decode to U+FFFD, and with duplicate object keys a
//! conversion error in an overwritten value is still reported.

use std::borrow::Cow;
use std::sync::Arc;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use rconnect_sdk::data::logical::{
    self, DATE_NAME, DECIMAL_NAME, MILLIS_PER_DAY, TIMESTAMP_NAME, TIME_NAME,
};
use rconnect_sdk::data::{Field, Schema, SchemaRef, Struct, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult};

use crate::numtext::DecParts;

/// Jackson's default maximum nesting depth (`StreamReadConstraints`).
const MAX_DEPTH: usize = 1000;

/// The message Java's `toConnectData` wraps JSON parse failures in.
const SYNTAX_PREFIX: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// Jackson's Base64 reading: standard alphabet, padding required, stray low bits allowed.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Decodes Base64 text as Jackson's `TextNode.binaryValue()` does (whitespace ignored).
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    if s.bytes().any(|c| c <= b' ') {
        let compact: String = s.chars().filter(|&c| c > ' ').collect();
        BASE64.decode(compact).ok()
    } else {
        BASE64.decode(s).ok()
    }
}

/// Options that affect decoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeOptions {
    pub replace_null_with_default: bool,
}

/// A parsed JSON value, used for schema documents (payloads decode without it).
#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub kind: NodeKind<'a>,
    /// Byte offset of the value in the input, so a `default` can be decoded in place.
    pub start: usize,
}

#[derive(Debug)]
pub(crate) enum NodeKind<'a> {
    Null,
    Bool(bool),
    /// The literal and whether it is integral (no fraction or exponent).
    Num(&'a [u8], bool),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Jackson `get(name)`: the last value of that key on an object, else nothing.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.kind {
            NodeKind::Obj(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Jackson's `JsonNodeType` name of the value starting with `c`.
fn node_type_of(c: Option<u8>) -> &'static str {
    match c {
        Some(b'{') => "OBJECT",
        Some(b'[') => "ARRAY",
        Some(b'"') => "STRING",
        Some(b't') | Some(b'f') => "BOOLEAN",
        Some(b'n') => "NULL",
        Some(_) => "NUMBER",
        None => "MISSING",
    }
}

/// Jackson `longValue()` of a number literal: exact when it fits, else the low 64 bits
/// of the (truncated) integer.
fn long_value(tok: &[u8], integral: bool) -> i64 {
    if integral && tok.len() <= 18 {
        let (neg, digits) = match tok.first() {
            Some(b'-') => (true, &tok[1..]),
            _ => (false, tok),
        };
        let mut acc: i64 = 0;
        for &d in digits {
            acc = acc * 10 + (d - b'0') as i64;
        }
        return if neg { -acc } else { acc };
    }
    DecParts::from_json(tok).wrapping_i64()
}

/// The length of the longest prefix of `b`, in whole 8-byte words, made only of ASCII bytes
/// from 0x20 up that are neither `"` nor `\\` (bytes a JSON string scanner passes over, and
/// the writer copies without escaping).
pub(super) fn plain_ascii_prefix(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit in the result where a byte of `w` is zero (exact for ASCII words).
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if w & HIGH != 0 {
            break;
        }
        let control = w.wrapping_sub(ONES * 0x20) & HIGH;
        let special =
            zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if control | special != 0 {
            break;
        }
        i += 8;
    }
    i
}

/// Jackson `doubleValue()` / `floatValue()` of a number literal.
// Java's JsonConverter reads fractional numbers as `BigDecimal` (Jackson's
// `USE_BIG_DECIMAL_FOR_FLOATS`), which has no negative zero: `-0.0` reads as `0.0`. Adding
// `0.0` does the same here (`-0.0 + 0.0 == +0.0`) and changes no other value.
fn double_value(tok: &[u8], integral: bool) -> f64 {
    if integral && tok.len() <= 15 {
        return long_value(tok, true) as f64;
    }
    std::str::from_utf8(tok)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(0.0, |x| x + 0.0)
}

fn float_value(tok: &[u8], integral: bool) -> f32 {
    if integral && tok.len() <= 18 {
        return long_value(tok, true) as f32;
    }
    std::str::from_utf8(tok)
        .ok()
        .and_then(|s| s.parse::<f32>().ok())
        .map_or(0.0, |x| x + 0.0)
}

/// Jackson `isInt()`: an integral literal within `int` range.
fn int_node(tok: &[u8], integral: bool) -> Option<i32> {
    if !integral {
        return None;
    }
    let digits = tok
        .iter()
        .filter(|c| c.is_ascii_digit())
        .skip_while(|&&c| c == b'0')
        .count();
    if digits > 10 {
        return None;
    }
    i32::try_from(long_value(tok, true)).ok()
}

/// A cursor over one JSON document.
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader {
            b,
            pos: 0,
            depth: 0,
        }
    }

    /// A reader positioned at `pos` of `b` (to decode a value found by an earlier scan).
    pub fn at(b: &'a [u8], pos: usize) -> Self {
        Reader { b, pos, depth: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn syntax(&self, msg: impl std::fmt::Display) -> ConnectError {
        ConnectError::data(format!("{SYNTAX_PREFIX}{msg} (at byte {})", self.pos))
    }

    pub fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn unexpected(&self) -> ConnectError {
        match self.peek() {
            None => self.syntax("Unexpected end-of-input"),
            Some(c) if c.is_ascii_graphic() => self.syntax(format!(
                "Unexpected character ('{}' (code {c})): expected a valid value",
                c as char
            )),
            Some(c) => self.syntax(format!(
                "Unexpected character (code {c}): expected a valid value"
            )),
        }
    }

    fn enter(&mut self) -> ConnectResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        Ok(())
    }

    fn literal(&mut self, lit: &[u8]) -> ConnectResult<()> {
        if self.b.len() >= self.pos + lit.len() && &self.b[self.pos..self.pos + lit.len()] == lit {
            self.pos += lit.len();
            if let Some(&c) = self.b.get(self.pos) {
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 {
                    return Err(self.syntax(format!(
                        "Unrecognized token '{}{}'",
                        String::from_utf8_lossy(lit),
                        c as char
                    )));
                }
            }
            return Ok(());
        }
        Err(self.syntax(format!(
            "Unrecognized token: was expecting '{}'",
            String::from_utf8_lossy(lit)
        )))
    }

    /// A number literal (leading zeros allowed, as Connect's deserializer enables them).
    fn number(&mut self) -> ConnectResult<(&'a [u8], bool)> {
        let start = self.pos;
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let ds = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == ds {
            self.pos = i;
            return Err(self.syntax("Unexpected character in numeric value: expected digit"));
        }
        let mut integral = true;
        if b.get(i) == Some(&b'.') {
            integral = false;
            i += 1;
            let fs = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == fs {
                self.pos = i;
                return Err(
                    self.syntax("Unexpected character: Decimal point not followed by a digit")
                );
            }
        }
        if matches!(b.get(i), Some(b'e') | Some(b'E')) {
            integral = false;
            i += 1;
            if matches!(b.get(i), Some(b'+') | Some(b'-')) {
                i += 1;
            }
            let es = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == es {
                self.pos = i;
                return Err(
                    self.syntax("Unexpected character: Exponent indicator not followed by a digit")
                );
            }
        }
        self.pos = i;
        Ok((&b[start..i], integral))
    }

    /// A string (the cursor is on its opening quote).
    fn string(&mut self) -> ConnectResult<Cow<'a, str>> {
        self.pos += 1;
        let b = self.b;
        let start = self.pos;
        // Eight bytes at a time while they are plain printable ASCII (no quote, backslash or
        // control character): most strings are, and then no UTF-8 check is needed either.
        let mut i = start + plain_ascii_prefix(&b[start..]);
        let mut ascii = true;
        while i < b.len() {
            let c = b[i];
            if c == b'"' {
                self.pos = i + 1;
                let text = &b[start..i];
                if ascii {
                    // SAFETY: every byte of `text` was checked to be ASCII (< 0x80).
                    return Ok(Cow::Borrowed(unsafe {
                        std::str::from_utf8_unchecked(text)
                    }));
                }
                return std::str::from_utf8(text).map(Cow::Borrowed).map_err(|_| {
                    self.pos = start;
                    self.syntax("Invalid UTF-8 in string value")
                });
            }
            if c == b'\\' || c < 0x20 {
                break;
            }
            ascii &= c < 0x80;
            i += 1;
        }
        // An escape was found: the rest is copied with its escapes decoded. Sized for the
        // plain part plus some room, as growing from an exact-size copy reallocates at once.
        let mut buf: Vec<u8> = Vec::with_capacity(i - start + 64);
        buf.extend_from_slice(&b[start..i]);
        loop {
            let Some(&c) = b.get(i) else {
                self.pos = i;
                return Err(self.syntax(
                    "Unexpected end-of-input: was expecting closing quote for a string value",
                ));
            };
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return String::from_utf8(buf)
                        .map(Cow::Owned)
                        .map_err(|_| self.syntax("Invalid UTF-8 in string value"));
                }
                b'\\' => {
                    i += 1;
                    let Some(&e) = b.get(i) else {
                        self.pos = i;
                        return Err(
                            self.syntax("Unexpected end-of-input in character escape sequence")
                        );
                    };
                    i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => buf.push(e),
                        b'b' => buf.push(0x08),
                        b'f' => buf.push(0x0c),
                        b'n' => buf.push(b'\n'),
                        b'r' => buf.push(b'\r'),
                        b't' => buf.push(b'\t'),
                        b'u' => {
                            self.pos = i;
                            let hi = self.hex4()?;
                            i = self.pos;
                            let ch = if (0xD800..0xDC00).contains(&hi)
                                && b.get(i) == Some(&b'\\')
                                && b.get(i + 1) == Some(&b'u')
                            {
                                self.pos = i + 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    i = self.pos;
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    // Not a pair: the high half stands alone, the next escape is read on its own.
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            let mut tmp = [0u8; 4];
                            buf.extend_from_slice(
                                ch.unwrap_or('\u{FFFD}').encode_utf8(&mut tmp).as_bytes(),
                            );
                        }
                        other => {
                            self.pos = i - 1;
                            return Err(self.syntax(format!(
                                "Unrecognized character escape '{}' (code {other})",
                                other as char
                            )));
                        }
                    }
                }
                c if c < 0x20 => {
                    self.pos = i;
                    return Err(self.syntax(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {c})): has to be escaped using backslash to be included in string value"
                    )));
                }
                _ => {
                    let run = i;
                    while i < b.len() && b[i] != b'"' && b[i] != b'\\' && b[i] >= 0x20 {
                        i += 1;
                    }
                    buf.extend_from_slice(&b[run..i]);
                }
            }
        }
    }

    fn hex4(&mut self) -> ConnectResult<u32> {
        let Some(h) = self.b.get(self.pos..self.pos + 4) else {
            return Err(self.syntax("Unexpected end-of-input in character escape sequence"));
        };
        let mut v = 0u32;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or_else(|| {
                self.syntax("Unexpected character in Unicode escape: expected a hex-digit")
            })?;
            v = v * 16 + d;
        }
        self.pos += 4;
        Ok(v)
    }

    /// After a value inside a container: `,` (more follows, `true`) or `close` (`false`).
    fn next_or_close(&mut self, close: u8) -> ConnectResult<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => {
                let what = if close == b']' {
                    "an array"
                } else {
                    "an object"
                };
                Err(self.syntax(format!(
                    "Unexpected character: was expecting comma to separate {what} entries"
                )))
            }
        }
    }

    /// Consumes `[` and reports whether the array is empty (then `]` is consumed too).
    fn open_array(&mut self) -> ConnectResult<bool> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// Consumes `{` and reports whether the object is empty.
    fn open_object(&mut self) -> ConnectResult<bool> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// An object key and its colon; the cursor is then on the value.
    fn key(&mut self) -> ConnectResult<Cow<'a, str>> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(
                self.syntax("Unexpected character: was expecting double-quote to start field name")
            );
        }
        let k = self.string()?;
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.syntax(
                "Unexpected character: was expecting a colon to separate field name and value",
            ));
        }
        self.pos += 1;
        self.ws();
        Ok(k)
    }

    /// Skips one value, checking its syntax.
    pub fn skip_value(&mut self) -> ConnectResult<()> {
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.enter()?;
                if !self.open_object()? {
                    loop {
                        self.key()?;
                        self.skip_value()?;
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
            }
            Some(b'[') => {
                self.enter()?;
                if !self.open_array()? {
                    loop {
                        self.skip_value()?;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
            }
            Some(b'"') => {
                self.string()?;
            }
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'-') | Some(b'0'..=b'9') => {
                self.number()?;
            }
            _ => return Err(self.unexpected()),
        }
        Ok(())
    }

    /// The cursor position and nesting depth, to resume after a failed decode.
    pub fn checkpoint(&self) -> (usize, usize) {
        (self.pos, self.depth)
    }

    pub fn restore(&mut self, cp: (usize, usize)) {
        self.pos = cp.0;
        self.depth = cp.1;
    }

    /// Whether the input at the cursor starts with `bytes`.
    pub fn looking_at(&self, bytes: &[u8]) -> bool {
        self.b[self.pos..].starts_with(bytes)
    }

    /// Whether the bytes from `start` to the cursor are exactly `text`.
    pub fn span_is(&self, start: usize, text: &[u8]) -> bool {
        &self.b[start..self.pos] == text
    }

    /// Moves the cursor forward over `n` bytes already known to be valid JSON.
    pub fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.b.len());
    }

    /// Walks an object's members (cursor on `{`), handing each key to `f` with the cursor
    /// on the member's value; `f` must consume the value.
    pub fn skip_object_members(
        &mut self,
        mut f: impl FnMut(&mut Self, &str) -> ConnectResult<()>,
    ) -> ConnectResult<()> {
        self.enter()?;
        if !self.open_object()? {
            loop {
                let k = self.key()?;
                f(self, &k)?;
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Jackson requires white space (or the end) after a root-level number.
    pub fn check_root_number_end(&self) -> ConnectResult<()> {
        match self.peek() {
            None | Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r') => Ok(()),
            Some(c) => Err(self.syntax(format!("Unexpected character ('{}' (code {c})): Expected space separating root-level values", c as char))),
        }
    }

    /// Skips the root value (only the first value of the input counts, as in Jackson).
    pub fn skip_root(&mut self) -> ConnectResult<()> {
        self.ws();
        let number = matches!(self.peek(), Some(b'-') | Some(b'0'..=b'9'));
        self.skip_value()?;
        if number {
            self.check_root_number_end()?;
        }
        Ok(())
    }

    /// Parses one value into a [`Node`] tree.
    pub fn node(&mut self) -> ConnectResult<Node<'a>> {
        self.ws();
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'{') => {
                self.enter()?;
                let mut entries = Vec::new();
                if !self.open_object()? {
                    loop {
                        let k = self.key()?;
                        entries.push((k, self.node()?));
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                NodeKind::Obj(entries)
            }
            Some(b'[') => {
                self.enter()?;
                let mut items = Vec::new();
                if !self.open_array()? {
                    loop {
                        items.push(self.node()?);
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                NodeKind::Arr(items)
            }
            Some(b'"') => NodeKind::Str(self.string()?),
            Some(b't') => {
                self.literal(b"true")?;
                NodeKind::Bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                NodeKind::Bool(false)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                NodeKind::Null
            }
            Some(b'-') | Some(b'0'..=b'9') => {
                let (t, i) = self.number()?;
                NodeKind::Num(t, i)
            }
            _ => return Err(self.unexpected()),
        };
        Ok(Node { kind, start })
    }

    /// Decodes one value without a schema: integral numbers become INT64, other numbers
    /// FLOAT64, objects maps with string keys.
    pub fn read_any(&mut self) -> ConnectResult<Value> {
        self.ws();
        Ok(match self.peek() {
            Some(b'{') => {
                self.enter()?;
                // Twelve entries (960 bytes) fit glibc's per-thread cache (chunks up to
                // 1,032 bytes); sixteen would not, and were slower than regrowing from 8.
                let mut entries = Vec::with_capacity(12);
                if !self.open_object()? {
                    loop {
                        let k = self.key()?.into_owned();
                        let v = self.read_any()?;
                        entries.push((Value::String(k.into()), v));
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Value::Map(java_map(entries))
            }
            Some(b'[') => {
                self.enter()?;
                let mut items = Vec::new();
                if !self.open_array()? {
                    loop {
                        items.push(self.read_any()?);
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
                Value::Array(items)
            }
            Some(b'"') => Value::String(self.string()?.into_owned().into()),
            Some(b't') => {
                self.literal(b"true")?;
                Value::Boolean(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Value::Boolean(false)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Value::Null
            }
            Some(b'-') | Some(b'0'..=b'9') => {
                let (t, integral) = self.number()?;
                if integral {
                    Value::Int64(long_value(t, true))
                } else {
                    Value::Float64(double_value(t, false))
                }
            }
            _ => return Err(self.unexpected()),
        })
    }

    /// Decodes one value with an optional schema (`None` = schemaless).
    pub fn read_opt(
        &mut self,
        schema: Option<&SchemaRef>,
        opts: DecodeOptions,
    ) -> ConnectResult<Value> {
        match schema {
            Some(s) => self.read_with(s, opts),
            None => self.read_any(),
        }
    }

    /// The next value if it is a number, otherwise skips it (Jackson's numeric accessors
    /// read non-numbers as 0).
    fn number_or_skip(&mut self) -> ConnectResult<Option<(&'a [u8], bool)>> {
        if matches!(self.peek(), Some(b'-') | Some(b'0'..=b'9')) {
            return self.number().map(Some);
        }
        self.skip_value()?;
        Ok(None)
    }

    /// The next value if it is a string, otherwise skips it.
    fn string_or_skip(&mut self) -> ConnectResult<Option<Cow<'a, str>>> {
        if self.peek() == Some(b'"') {
            return self.string().map(Some);
        }
        self.skip_value()?;
        Ok(None)
    }

    /// Java `convertToConnect(schema, node)` over the bytes at the cursor.
    pub fn read_with(&mut self, schema: &SchemaRef, opts: DecodeOptions) -> ConnectResult<Value> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return null_value(schema, opts);
        }
        if let Some(name) = schema.name.as_deref() {
            match name {
                DECIMAL_NAME => return self.read_decimal(schema),
                DATE_NAME | TIME_NAME => {
                    let label = if name == DATE_NAME { "Date" } else { "Time" };
                    let kind = node_type_of(self.peek());
                    let int = match self.peek() {
                        Some(b'-') | Some(b'0'..=b'9') => {
                            let (t, integral) = self.number()?;
                            int_node(t, integral)
                        }
                        _ => None,
                    };
                    let Some(v) = int else {
                        return Err(ConnectError::data(format!("Invalid type for {label}, underlying representation should be integer but was {kind}")));
                    };
                    return if name == DATE_NAME {
                        Ok(Value::Timestamp(v as i64 * MILLIS_PER_DAY))
                    } else {
                        logical::temporal_from_underlying(TIME_NAME, &Value::Int32(v))
                    };
                }
                TIMESTAMP_NAME => {
                    let kind = node_type_of(self.peek());
                    if matches!(self.peek(), Some(b'-') | Some(b'0'..=b'9')) {
                        let (t, integral) = self.number()?;
                        if integral {
                            return Ok(Value::Timestamp(long_value(t, true)));
                        }
                    }
                    return Err(ConnectError::data(format!(
                        "Invalid type for Timestamp, underlying representation should be integral but was {kind}"
                    )));
                }
                _ => {}
            }
        }
        Ok(match schema.schema_type {
            Type::Boolean => match self.peek() {
                Some(b't') => {
                    self.literal(b"true")?;
                    Value::Boolean(true)
                }
                Some(b'f') => {
                    self.literal(b"false")?;
                    Value::Boolean(false)
                }
                _ => {
                    self.skip_value()?;
                    Value::Boolean(false)
                }
            },
            Type::Int8 => Value::Int8(
                self.number_or_skip()?
                    .map(|(t, i)| long_value(t, i) as i32 as i8)
                    .unwrap_or(0),
            ),
            Type::Int16 => Value::Int16(
                self.number_or_skip()?
                    .map(|(t, i)| long_value(t, i) as i32 as i16)
                    .unwrap_or(0),
            ),
            Type::Int32 => Value::Int32(
                self.number_or_skip()?
                    .map(|(t, i)| long_value(t, i) as i32)
                    .unwrap_or(0),
            ),
            Type::Int64 => Value::Int64(
                self.number_or_skip()?
                    .map(|(t, i)| long_value(t, i))
                    .unwrap_or(0),
            ),
            Type::Float32 => Value::Float32(
                self.number_or_skip()?
                    .map(|(t, i)| float_value(t, i))
                    .unwrap_or(0.0),
            ),
            Type::Float64 => Value::Float64(
                self.number_or_skip()?
                    .map(|(t, i)| double_value(t, i))
                    .unwrap_or(0.0),
            ),
            Type::String => match self.string_or_skip()? {
                Some(s) => Value::String(s.into_owned().into()),
                None => Value::Null,
            },
            Type::Bytes => match self.string_or_skip()? {
                Some(s) => Value::Bytes(
                    decode_base64(&s).ok_or_else(|| ConnectError::data("Invalid bytes field"))?,
                ),
                None => Value::Null,
            },
            Type::Array => self.read_array(schema, opts)?,
            Type::Map => self.read_map(schema, opts)?,
            Type::Struct => self.read_struct(schema, opts)?,
        })
    }

    fn read_decimal(&mut self, schema: &Schema) -> ConnectResult<Value> {
        match self.peek() {
            Some(b'-') | Some(b'0'..=b'9') => {
                let (t, _) = self.number()?;
                let d = DecParts::from_json(t).to_decimal().ok_or_else(|| self.syntax("Malformed numeric value"))?;
                Ok(Value::Decimal(d))
            }
            Some(b'"') => {
                let s = self.string()?;
                let bytes = decode_base64(&s).ok_or_else(|| ConnectError::data("Invalid bytes for Decimal field: invalid Base64"))?;
                logical::decimal_scale(schema.parameter(logical::SCALE_FIELD))
                    .and_then(|scale| logical::decimal_from_bytes(scale, &bytes))
                    .map(Value::Decimal)
                    .map_err(|e| ConnectError::data(format!("Invalid bytes for Decimal field: {e}")))
            }
            other => Err(ConnectError::data(format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                node_type_of(other)
            ))),
        }
    }

    fn read_array(&mut self, schema: &Schema, opts: DecodeOptions) -> ConnectResult<Value> {
        let es = schema.value_schema.as_ref();
        let mut items = Vec::new();
        match self.peek() {
            Some(b'[') => {
                self.enter()?;
                if !self.open_array()? {
                    loop {
                        items.push(self.read_opt(es, opts)?);
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
            }
            // Jackson iterates an object's values; scalars iterate as empty.
            Some(b'{') => {
                self.enter()?;
                if !self.open_object()? {
                    loop {
                        self.key()?;
                        items.push(self.read_opt(es, opts)?);
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
                self.depth -= 1;
            }
            _ => self.skip_value()?,
        }
        Ok(Value::Array(items))
    }

    fn read_map(&mut self, schema: &Schema, opts: DecodeOptions) -> ConnectResult<Value> {
        let ks = schema.key_schema.as_ref();
        let vs = schema.value_schema.as_ref();
        let string_keys = ks.map(|k| k.schema_type == Type::String).unwrap_or(true);
        let mut entries = Vec::new();
        if string_keys {
            if self.peek() != Some(b'{') {
                return Err(ConnectError::data(format!(
                    "Maps with string fields should be encoded as JSON objects, but found {}",
                    node_type_of(self.peek())
                )));
            }
            self.enter()?;
            if !self.open_object()? {
                loop {
                    let k = self.key()?.into_owned();
                    let v = self.read_opt(vs, opts)?;
                    entries.push((Value::String(k.into()), v));
                    if !self.next_or_close(b'}')? {
                        break;
                    }
                }
            }
            self.depth -= 1;
            return Ok(Value::Map(java_map(entries)));
        }
        if self.peek() != Some(b'[') {
            return Err(ConnectError::data(format!(
                "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
                node_type_of(self.peek())
            )));
        }
        self.enter()?;
        if !self.open_array()? {
            loop {
                self.ws();
                if self.peek() != Some(b'[') {
                    return Err(ConnectError::data(format!(
                        "Found invalid map entry instead of array tuple: {}",
                        node_type_of(self.peek())
                    )));
                }
                // Java checks the tuple's size before converting its elements.
                let tuple_start = self.pos;
                let mut n = 0usize;
                if !self.open_array()? {
                    loop {
                        self.skip_value()?;
                        n += 1;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
                if n != 2 {
                    return Err(ConnectError::data(format!(
                        "Found invalid map entry, expected length 2 but found :{n}"
                    )));
                }
                let tuple_end = self.pos;
                self.pos = tuple_start + 1;
                let k = self.read_opt(ks, opts)?;
                self.ws();
                self.pos += 1; // the comma
                let v = self.read_opt(vs, opts)?;
                self.pos = tuple_end;
                put_dedup(&mut entries, k, v);
                if !self.next_or_close(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(Value::Map(java_hash_ordered(entries)))
    }

    fn read_struct(&mut self, schema: &SchemaRef, opts: DecodeOptions) -> ConnectResult<Value> {
        if self.peek() != Some(b'{') {
            return Err(ConnectError::data(format!(
                "Structs should be encoded as JSON objects, but found {}",
                node_type_of(self.peek())
            )));
        }
        let fields = &schema.fields;
        let mut st = Struct::new(schema.clone());
        let mut seen = vec![false; fields.len()];
        self.enter()?;
        if !self.open_object()? {
            // JSON usually lists the fields in schema order, so try the next one first.
            let mut hint = 0;
            loop {
                let k = self.key()?;
                let idx = if fields.get(hint).map(|f| f.name == *k).unwrap_or(false) {
                    Some(hint)
                } else {
                    fields.iter().position(|f| f.name == *k)
                };
                match idx {
                    Some(i) => {
                        let v = self.read_with(&fields[i].schema, opts)?;
                        put_field(&mut st, &fields[i], v)?;
                        seen[i] = true;
                        hint = i + 1;
                    }
                    None => self.skip_value()?,
                }
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        for (i, f) in fields.iter().enumerate() {
            if !seen[i] {
                let v = null_value(&f.schema, opts)?;
                put_field(&mut st, f, v)?;
            }
        }
        Ok(Value::Struct(st))
    }
}

/// Java's null handling on read: the default (if enabled), else null if optional.
fn null_value(schema: &Schema, opts: DecodeOptions) -> ConnectResult<Value> {
    if opts.replace_null_with_default {
        if let Some(d) = &schema.default_value {
            return Ok(d.clone());
        }
    }
    if schema.optional {
        return Ok(Value::Null);
    }
    Err(ConnectError::data(format!(
        "Invalid null value for required {} field",
        schema.schema_type.java_name()
    )))
}

/// `Struct.put(field, value)`: decoded scalars always fit their schema, so only nulls in
/// required fields and container contents need Java's validation.
fn put_field(st: &mut Struct, f: &Field, v: Value) -> ConnectResult<()> {
    if (v.is_null() && !f.schema.optional)
        || matches!(f.schema.schema_type, Type::Array | Type::Map)
    {
        st.put(&f.name, v)?;
    } else {
        st.put_unchecked(f.index, v);
    }
    Ok(())
}

/// Jackson keeps the last value of a repeated key, at the key's first position. Only
/// used for JSON objects, whose keys are all strings.
fn dedup_keys(mut entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    let n = entries.len();
    if n < 2 {
        return entries;
    }
    fn key(v: &Value) -> &str {
        v.as_str().unwrap_or("")
    }
    let has_dup = if n <= 32 {
        // Cheap fingerprints first; full comparisons only when two of them collide.
        let mut fp = [0u64; 32];
        for (i, (k, _)) in entries.iter().enumerate() {
            let b = key(k).as_bytes();
            let mut head = [0u8; 7];
            let m = b.len().min(7);
            head[..m].copy_from_slice(&b[..m]);
            fp[i] = (b.len() as u64) << 56
                | u64::from_le_bytes([
                    head[0], head[1], head[2], head[3], head[4], head[5], head[6], 0,
                ]);
        }
        (1..n).any(|i| (0..i).any(|j| fp[i] == fp[j] && key(&entries[i].0) == key(&entries[j].0)))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(n);
        entries.iter().any(|(k, _)| !seen.insert(key(k)))
    };
    if !has_dup {
        return entries;
    }
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(n);
    for (k, v) in entries.drain(..) {
        put_dedup(&mut out, k, v);
    }
    out
}

/// Java reads every JSON object and map into a `new HashMap<>()`: its iteration order is
/// what Java writes next.
fn java_hash_ordered(mut entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    crate::java_hash_order::into_java_hash_order(&mut entries);
    entries
}

/// A JSON object as Java holds it: a repeated key keeps its first place with its last value
/// (Jackson's `ObjectNode`), then the `HashMap` order. Small objects with distinct keys, the
/// common case, are checked and ordered in one pass over their keys' hashes.
fn java_map(mut entries: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    if crate::java_hash_order::order_if_distinct(&mut entries) {
        return entries;
    }
    java_hash_ordered(dedup_keys(entries))
}

/// `Map.put`: a repeated key takes the new value and keeps its position.
fn put_dedup(entries: &mut Vec<(Value, Value)>, k: Value, v: Value) {
    if let Some(slot) = entries.iter_mut().find(|(x, _)| *x == k) {
        slot.1 = v;
    } else {
        entries.push((k, v));
    }
}

/// JSON schema document → Connect schema (Java `asConnectSchema`); `None` for JSON null.
///
/// `buf` is the whole input, so a `default` can be decoded from its position.
pub(crate) fn as_connect_schema(
    node: &Node<'_>,
    buf: &[u8],
    opts: DecodeOptions,
) -> ConnectResult<Option<SchemaRef>> {
    if matches!(node.kind, NodeKind::Null) {
        return Ok(None);
    }
    let type_name = node
        .get("type")
        .and_then(Node::as_str)
        .ok_or_else(|| ConnectError::data("Schema must contain 'type' field"))?;
    let mut s = match type_name {
        "boolean" => Schema::primitive(Type::Boolean, false),
        "int8" => Schema::primitive(Type::Int8, false),
        "int16" => Schema::primitive(Type::Int16, false),
        "int32" => Schema::primitive(Type::Int32, false),
        "int64" => Schema::primitive(Type::Int64, false),
        "float" => Schema::primitive(Type::Float32, false),
        "double" => Schema::primitive(Type::Float64, false),
        "bytes" => Schema::primitive(Type::Bytes, false),
        "string" => Schema::primitive(Type::String, false),
        "array" => {
            let items = match node.get("items") {
                Some(n) if !matches!(n.kind, NodeKind::Null) => n,
                _ => {
                    return Err(ConnectError::data(
                        "Array schema did not specify the element type",
                    ))
                }
            };
            let mut s = Schema::primitive(Type::Array, false);
            s.value_schema = Some(
                as_connect_schema(items, buf, opts)?
                    .ok_or_else(|| ConnectError::data("valueSchema cannot be null."))?,
            );
            s
        }
        "map" => {
            let keys = node
                .get("keys")
                .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
            let values = node
                .get("values")
                .ok_or_else(|| ConnectError::data("Map schema did not specify the value type"))?;
            let mut s = Schema::primitive(Type::Map, false);
            s.key_schema = Some(
                as_connect_schema(keys, buf, opts)?
                    .ok_or_else(|| ConnectError::data("keySchema cannot be null."))?,
            );
            s.value_schema = Some(
                as_connect_schema(values, buf, opts)?
                    .ok_or_else(|| ConnectError::data("valueSchema cannot be null."))?,
            );
            s
        }
        "struct" => {
            let Some(NodeKind::Arr(fields)) = node.get("fields").map(|n| &n.kind) else {
                return Err(ConnectError::data(
                    "Struct schema's \"fields\" argument is not an array.",
                ));
            };
            let mut s = Schema::primitive(Type::Struct, false);
            for f in fields {
                let name = f.get("field").and_then(Node::as_str).ok_or_else(|| {
                    ConnectError::data("Struct schema's field name not specified properly")
                })?;
                let fs = as_connect_schema(f, buf, opts)?.ok_or_else(|| {
                    ConnectError::data("Struct schema's field name not specified properly")
                })?;
                if name.is_empty() {
                    return Err(ConnectError::data("fieldName cannot be null."));
                }
                if s.fields.iter().any(|x| x.name == name) {
                    return Err(ConnectError::data(format!(
                        "Cannot create field because of field name duplication {name}"
                    )));
                }
                let index = s.fields.len();
                s.fields.push(Field {
                    name: name.to_string(),
                    index,
                    schema: fs,
                });
            }
            s
        }
        other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
    };
    s.optional = matches!(
        node.get("optional").map(|n| &n.kind),
        Some(NodeKind::Bool(true))
    );
    if let Some(name) = node.get("name").and_then(Node::as_str) {
        s.name = Some(name.to_string());
    }
    if let Some(NodeKind::Num(t, true)) = node.get("version").map(|n| &n.kind) {
        s.version = Some(long_value(t, true) as i32);
    }
    if let Some(doc) = node.get("doc").and_then(Node::as_str) {
        s.doc = Some(doc.to_string());
    }
    if let Some(NodeKind::Obj(params)) = node.get("parameters").map(|n| &n.kind) {
        for (k, v) in params {
            let v = v
                .as_str()
                .ok_or_else(|| ConnectError::data("Schema parameters must have string values."))?;
            s.parameters
                .get_or_insert_with(Default::default)
                .insert(k.to_string(), v.to_string());
        }
    }
    if let Some(d) = node.get("default") {
        let partial: SchemaRef = Arc::new(s);
        let v = Reader::at(buf, d.start).read_with(&partial, opts)?;
        s = Arc::try_unwrap(partial).unwrap_or_else(|a| (*a).clone());
        if !v.is_null() {
            s.validate_value(&v)
                .map_err(|e| ConnectError::data(format!("Invalid default value: {e}")))?;
            s.default_value = Some(v);
        }
    }
    Ok(Some(Arc::new(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_accessors_follow_jackson() {
        assert_eq!(long_value(b"-42", true), -42);
        assert_eq!(long_value(b"007", true), 7);
        assert_eq!(long_value(b"18446744073709551617", true), 1);
        assert_eq!(long_value(b"2.9", false), 2);
        assert_eq!(long_value(b"1e3", false), 1000);
        assert_eq!(long_value(b"4294967297", true) as i32, 1);
        assert_eq!(double_value(b"-0", true), 0.0);
        assert!(double_value(b"-0", true).is_sign_positive());
        assert_eq!(double_value(b"0.1", false), 0.1);
        assert_eq!(float_value(b"0.1", false), 0.1f32);
        assert_eq!(int_node(b"2147483647", true), Some(i32::MAX));
        assert_eq!(int_node(b"2147483648", true), None);
        assert_eq!(int_node(b"0000000000001", true), Some(1));
        assert_eq!(int_node(b"1.0", false), None);
    }

    #[test]
    fn plain_ascii_prefix_stops_at_the_first_word_a_scanner_must_look_at() {
        assert_eq!(plain_ascii_prefix(b""), 0);
        assert_eq!(plain_ascii_prefix(b"abcdefg"), 0, "less than a word");
        assert_eq!(plain_ascii_prefix(b"abcdefgh"), 8);
        assert_eq!(plain_ascii_prefix(b"abcdefghijklmnop\""), 16);
        for special in [b'"', b'\\', 0x00, 0x1f, 0x80, 0xff] {
            for at in 0..16 {
                let mut b = *b"abcdefghijklmnop";
                b[at] = special;
                assert_eq!(
                    plain_ascii_prefix(&b),
                    at / 8 * 8,
                    "byte {special:#x} at {at}"
                );
            }
        }
        // 0x20 (space) and 0x7f are plain.
        assert_eq!(plain_ascii_prefix(b" \x7f~~~~~~ \x7f~~~~~~"), 16);
    }

    #[test]
    fn long_strings_decode_across_the_word_scan() {
        for text in [
            "a plain ascii string longer than a word",
            "ascii then é accented then more ascii text",
            "exactly8",
            "tab\tafter a long ascii run of bytes",
        ] {
            let json = format!("\"{}\"", text.replace('\t', "\\t"));
            let mut r = Reader::new(json.as_bytes());
            assert_eq!(
                r.read_any().unwrap(),
                Value::String(text.to_string().into()),
                "{json}"
            );
        }
        let raw = b"\"0123456789\x01\"";
        assert!(
            Reader::new(raw).read_any().is_err(),
            "an unescaped control character"
        );
        let bad_utf8 = b"\"0123456789\xff\"";
        assert!(
            Reader::new(bad_utf8).read_any().is_err(),
            "invalid UTF-8 after the scan"
        );
    }

    #[test]
    fn strings_and_escapes() {
        let mut r = Reader::new(br#""a\"b\\c\/\n\u00e9\ud83d\ude00""#);
        assert_eq!(r.string().unwrap(), "a\"b\\c/\né😀");
        let mut r = Reader::new(b"\"a\x01\"");
        assert!(r.string().unwrap_err().to_string().contains("CTRL-CHAR"));
        let mut r = Reader::new(br#""\ud800x""#);
        assert_eq!(r.string().unwrap(), "\u{FFFD}x");
        let mut r = Reader::new(b"\"\xff\"");
        assert!(r.string().is_err());
    }

    #[test]
    fn skip_checks_syntax() {
        for ok in [
            &b"{}"[..],
            b"[]",
            b"{\"a\":[1,2,{\"b\":null}]}",
            b" 1.5e-3 ",
            b"\"x\"",
            b"true",
        ] {
            Reader::new(ok).skip_value().unwrap();
        }
        for bad in [
            &b"{"[..],
            b"[1,]",
            b"{\"a\" 1}",
            b"{a:1}",
            b"1.",
            b"-",
            b"tru",
            b"nul",
            b"[1 2]",
            b"'a'",
            b"NaN",
            b"+1",
            b"truex",
        ] {
            assert!(
                Reader::new(bad).skip_value().is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "[".repeat(2000);
        assert!(Reader::new(deep.as_bytes())
            .skip_value()
            .unwrap_err()
            .to_string()
            .contains("nesting depth"));
    }
}
