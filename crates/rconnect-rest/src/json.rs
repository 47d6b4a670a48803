//! Request-body decoding with Jackson's semantics.
//!
//! Java Connect binds bodies with Jackson, so the REST API's observable behaviour is
//! Jackson's: an empty body is `null`, scalars are coerced into `String` map values,
//! unknown properties of entity types are rejected, and every binding failure is an
//! exception that `ConnectExceptionMapper` turns into a 500 carrying Jackson's message.
//! The messages below follow Jackson's wording closely enough for clients that grep
//! for `Unrecognized field`, `Cannot deserialize value` or `Cannot construct instance`.

use std::collections::BTreeMap;

use rconnect_runtime::herder::{OffsetChange, TargetState};
use serde_json::{Map, Value};

use crate::deep_json;
use crate::error::ApiError;

/// A flat `Map<String,String>` body in which JSON `null` values are kept as `None`.
pub(crate) type NullableProps = BTreeMap<String, Option<String>>;

const LOCATION_REDACTED: &str =
    "Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)";
const MAP_TYPE: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.String>";
const CREATE_REQUEST_CLASS: &str =
    "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";

/// A request body as JSON, and whether it nests deeper than Jackson reads.
#[derive(Debug)]
pub(crate) struct ParsedBody {
    pub value: Value,
    /// The body as received, for the location of binding errors.
    pub raw: axum::body::Bytes,
    /// Containers below [`deep_json::MAX_NESTING_DEPTH`] were cut off.
    pub too_deep: bool,
    /// The path of the value in which they were.
    pub deep_path: Option<Vec<Seg>>,
    /// The body is not valid JSON: `value` is what precedes the error, and this is
    /// Jackson's message for it, answered unless binding that part fails first.
    pub syntax_error: Option<String>,
    /// Where in the body the syntax error is (see [`deep_json::Parsed::error_at`]).
    pub syntax_path: Option<Vec<Seg>>,
    /// A second JSON value after the body: its token type and 1-based line and column.
    pub trailing: Option<(&'static str, usize, usize)>,
}

/// What Jackson binds a body to, for the reference chain of an error met inside it while
/// reading (a syntax error, a document nested too deep): the bean properties down to it.
pub(crate) trait Entity {
    /// The type the resource method declares, as Jackson names it in "bound as".
    const BOUND_AS: &'static str;

    fn chain(_path: &[Seg]) -> Option<String> {
        None
    }
}

impl Entity for Option<NullableProps> {
    const BOUND_AS: &'static str = "java.util.Map";
}

#[cfg(test)]
impl Entity for () {
    const BOUND_AS: &'static str = "java.lang.Object";
}

impl Entity for Option<Vec<BTreeMap<String, String>>> {
    const BOUND_AS: &'static str = "java.util.List";
}

impl Entity for Option<CreateConnectorRequest> {
    const BOUND_AS: &'static str = CREATE_REQUEST_CLASS;

    fn chain(path: &[Seg]) -> Option<String> {
        match path.first()? {
            Seg::Key(k) if matches!(k.as_str(), "name" | "config" | "initial_state") => {
                Some(format!("{CREATE_REQUEST_CLASS}[\"{k}\"]"))
            }
            _ => None,
        }
    }
}

impl Entity for Option<ConnectorOffsetsRequest> {
    const BOUND_AS: &'static str = OFFSETS_CLASS;

    fn chain(path: &[Seg]) -> Option<String> {
        depth_error_chain(path)
    }
}

impl ParsedBody {
    /// The result of binding `self.value`: a binding error of the shallow part as it is
    /// (Jackson meets it first while streaming), else Jackson's depth error if the body
    /// nests too deep.
    pub fn finish<T: Entity>(&self, bound: Result<T, BindError>) -> Result<T, ApiError> {
        let bound = match bound {
            // Unknown properties Jackson buffers are reported at the end of their object,
            // which a body cut short by a syntax error never reaches.
            Err(e) if self.syntax_error.is_some() && matches!(e.at, At::AfterObject(_)) => {
                return Err(ApiError::internal(
                    self.syntax_error.clone().unwrap_or_default(),
                ))
            }
            Err(e) => return Err(e.into_api_error(&self.raw)),
            Ok(bound) => bound,
        };
        if let Some(message) = &self.syntax_error {
            let mut message = message.clone();
            if let Some(chain) = self.syntax_path.as_deref().and_then(T::chain) {
                message.push_str(&format!(" (through reference chain: {chain})"));
            }
            return Err(ApiError::internal(message));
        }
        if let Some((token, line, column)) = self.trailing {
            return Err(ApiError::internal(format!(
                "Trailing token (of type {token}) found after value (bound as `{}`): not allowed \
                 as per `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`\n at \
                 [{LOCATION_REDACTED}; line: {line}, column: {column}]",
                T::BOUND_AS
            )));
        }
        if self.too_deep {
            let mut message = deep_json::too_deep_message();
            if let Some(chain) = self.deep_path.as_deref().and_then(T::chain) {
                message.push_str(&format!(" (through reference chain: {chain})"));
            }
            return Err(ApiError::internal(message));
        }
        Ok(bound)
    }
}

/// Parses a request body; an empty body is JSON `null` (Jackson's `ALLOW_EMPTY_INPUT`).
pub(crate) fn parse_body(raw: &axum::body::Bytes) -> Result<ParsedBody, ApiError> {
    let body: &[u8] = raw;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ParsedBody {
            value: Value::Null,
            raw: raw.clone(),
            too_deep: false,
            deep_path: None,
            syntax_error: None,
            syntax_path: None,
            trailing: None,
        });
    }
    let error = match serde_json::from_slice(body) {
        Ok(value) => {
            return Ok(ParsedBody {
                value,
                raw: raw.clone(),
                too_deep: false,
                deep_path: None,
                syntax_error: None,
                syntax_path: None,
                trailing: None,
            })
        }
        Err(e) => e,
    };
    // Deeper than serde_json's recursion limit: read without recursion.
    if error.to_string().starts_with("recursion limit exceeded") {
        if let Some(p) = deep_json::parse(body) {
            return Ok(ParsedBody {
                value: p.value,
                raw: raw.clone(),
                too_deep: p.truncated,
                deep_path: p.cut_at,
                syntax_error: None,
                syntax_path: None,
                trailing: None,
            });
        }
    }
    let message = syntax_message(body, &error);
    if let Some((value, trailing)) = value_then_trailing_token(body) {
        return Ok(ParsedBody {
            value,
            raw: raw.clone(),
            too_deep: false,
            deep_path: None,
            syntax_error: None,
            syntax_path: None,
            trailing: Some(trailing),
        });
    }
    // Jackson binds while it reads: what precedes the error is bound first.
    match deep_json::parse_prefix(body) {
        Some(prefix) => Ok(ParsedBody {
            value: prefix.value,
            raw: raw.clone(),
            too_deep: prefix.truncated,
            deep_path: prefix.cut_at,
            syntax_error: Some(message),
            syntax_path: prefix.error_at,
            trailing: None,
        }),
        None => Err(ApiError::internal(message)),
    }
}

/// The reference chain Jackson gives a depth error: the bean properties down to the value
/// being read. Only an offset's `partition` or `offset` (a `Map<String,Object>`) can hold a
/// document deep enough; elsewhere a container is a binding error long before.
fn depth_error_chain(path: &[Seg]) -> Option<String> {
    match path {
        [Seg::Key(offsets), Seg::Index(i), Seg::Key(field), ..]
            if offsets == "offsets" && (field == "partition" || field == "offset") =>
        {
            Some(format!(
                "{OFFSETS_CLASS}[\"offsets\"]->java.util.ArrayList[{i}]->{OFFSET_CLASS}[\"{field}\"]"
            ))
        }
        _ => None,
    }
}

/// A body that is one JSON value followed by the start of another: the first value and
/// the second's token type and start (Jackson binds the first, then refuses the trailing
/// token, `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`). `None` for anything else.
fn value_then_trailing_token(body: &[u8]) -> Option<(Value, (&'static str, usize, usize))> {
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let value = values.next()?.ok()?;
    let mut at = values.byte_offset();
    while at < body.len() && matches!(body[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    let token = match body.get(at)? {
        b'{' => "START_OBJECT",
        b'[' => "START_ARRAY",
        b'"' => "VALUE_STRING",
        b't' if body[at..].starts_with(b"true") => "VALUE_TRUE",
        b'f' if body[at..].starts_with(b"false") => "VALUE_FALSE",
        b'n' if body[at..].starts_with(b"null") => "VALUE_NULL",
        b'-' | b'0'..=b'9' => {
            let end = body[at..]
                .iter()
                .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                .map_or(body.len(), |p| at + p);
            if body[at..end]
                .iter()
                .any(|b| matches!(b, b'.' | b'e' | b'E'))
            {
                "VALUE_NUMBER_FLOAT"
            } else {
                "VALUE_NUMBER_INT"
            }
        }
        _ => return None,
    };
    let (line, column) = line_column(body, at);
    Some((value, (token, line, column)))
}

/// Renders a serde_json syntax error the way Jackson reports a `JsonParseException`.
fn syntax_message(body: &[u8], e: &serde_json::Error) -> String {
    let full = e.to_string();
    // serde_json appends " at line L column C", which Jackson puts in its location suffix.
    let detail = full
        .rsplit_once(" at line ")
        .map(|(d, _)| d.to_string())
        .unwrap_or(full);
    let (line, column) = (e.line(), e.column());
    let location = |line: usize, column: usize| {
        format!("[{LOCATION_REDACTED}; line: {line}, column: {column}]")
    };
    if e.classify() == serde_json::error::Category::Eof {
        // Jackson names the innermost container left open and where it started, and
        // reports the position after the last character.
        if let Some((kind, open_line, open_column)) = innermost_open_container(body) {
            let (end_line, end_column) = end_position(body);
            return format!(
                "Unexpected end-of-input: expected close marker for {kind} (start marker at {})\n \
                 at {}",
                location(open_line, open_column),
                location(end_line, end_column)
            );
        }
        return format!(
            "Unexpected end-of-input: {detail}\n at {}",
            location(line, column)
        );
    }
    if let Some(marked) = jackson_token_error(body, &detail, line, column) {
        let message = marked.split('\u{0}').next().unwrap_or_default();
        return format!(
            "{message}\n at {}",
            location(line, column_of(&marked, column))
        );
    }
    let Some(byte) = byte_at(body, line, column) else {
        return format!(
            "Unexpected character: {detail}\n at {}",
            location(line, column)
        );
    };
    // Jackson reports the position after the character it stopped at.
    let after = location(line, column + 1);
    if byte >= 0x80 && !(0xC2..=0xF4).contains(&byte) {
        return format!("Invalid UTF-8 start byte 0x{byte:x}\n at {after}");
    }
    let c = offending_char(body, line, column).unwrap_or(byte as char);
    let prefix = format!("Unexpected character ('{c}' (code {}))", c as u32);
    let jackson_detail = match detail.as_str() {
        "expected value" => Some(
            "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' \
             or 'false')",
        ),
        "key must be a string" => Some("was expecting double-quote to start field name"),
        "trailing comma" if c == '}' => Some("was expecting double-quote to start field name"),
        _ => None,
    };
    match jackson_detail {
        Some(d) => format!("{prefix}: {d}\n at {after}"),
        None => format!("{prefix}: {detail}\n at {}", location(line, column)),
    }
}

/// Jackson's wording for malformed tokens serde_json reports by kind, and the column
/// Jackson reports them at (after the token), as `message` plus a `\u{0}column` marker.
fn jackson_token_error(body: &[u8], detail: &str, line: usize, column: usize) -> Option<String> {
    let line_bytes = body.split(|b| *b == b'\n').nth(line.checked_sub(1)?)?;
    let at = column.checked_sub(1)?.min(line_bytes.len());
    match detail {
        // `tru`, `nul`, `fals`: Jackson reads the whole word.
        "expected ident" => {
            let mut start = at.min(line_bytes.len().saturating_sub(1));
            while start > 0 && !line_bytes[start].is_ascii_alphabetic() {
                start -= 1;
            }
            while start > 0 && line_bytes[start - 1].is_ascii_alphanumeric() {
                start -= 1;
            }
            let mut end = start;
            while end < line_bytes.len() && line_bytes[end].is_ascii_alphanumeric() {
                end += 1;
            }
            let token = std::str::from_utf8(&line_bytes[start..end]).ok()?;
            Some(format!(
                "Unrecognized token '{token}': was expecting (JSON String, Number, Array, Object \
                 or token 'null', 'true' or 'false')\u{0}{}",
                // Jackson has read the character after the word too.
                end + 2
            ))
        }
        // A `\u` escape with a character that is not a hex digit.
        "invalid escape" => {
            let escape = line_bytes[..at].windows(2).rposition(|w| w == b"\\u")?;
            let bad =
                (escape + 2..line_bytes.len()).find(|&i| !line_bytes[i].is_ascii_hexdigit())?;
            if bad >= escape + 6 {
                return None;
            }
            let c = line_bytes[bad] as char;
            Some(format!(
                "Unexpected character ('{c}' (code {})): expected a hex-digit for character \
                 escape sequence\u{0}{}",
                c as u32,
                bad + 2
            ))
        }
        "invalid number" if at >= 1 && line_bytes.get(at - 1) == Some(&b'0') => {
            let leading =
                at < 2 || !line_bytes[at - 2].is_ascii_digit() && line_bytes[at - 2] != b'.';
            (leading && line_bytes.get(at).is_some_and(u8::is_ascii_digit))
                .then(|| format!("Invalid numeric value: Leading zeroes not allowed\u{0}{column}"))
        }
        _ => None,
    }
}

/// The column marked in a [`jackson_token_error`] message.
fn column_of(message: &str, default: usize) -> usize {
    message
        .split_once('\u{0}')
        .and_then(|(_, c)| c.parse().ok())
        .unwrap_or(default)
}

/// The byte serde_json stopped at (`column` is 1-based, in bytes).
fn byte_at(body: &[u8], line: usize, column: usize) -> Option<u8> {
    let line_bytes = body.split(|b| *b == b'\n').nth(line.checked_sub(1)?)?;
    line_bytes.get(column.checked_sub(1)?).copied()
}

/// The innermost array or object still open at the end of `body`, with its 1-based line
/// and column, scanning without recursion (strings and escapes respected).
fn innermost_open_container(body: &[u8]) -> Option<(&'static str, usize, usize)> {
    let mut open: Vec<(&'static str, usize, usize)> = Vec::new();
    let (mut line, mut column) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if b == b'\n' {
            line += 1;
            column = 0;
            continue;
        }
        column += 1;
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => open.push(("Object", line, column)),
            b'[' => open.push(("Array", line, column)),
            b'}' | b']' => {
                open.pop();
            }
            _ => {}
        }
    }
    if in_string {
        return None;
    }
    open.pop()
}

/// The 1-based line and column just after the last byte of `body`.
fn end_position(body: &[u8]) -> (usize, usize) {
    let line = body.iter().filter(|b| **b == b'\n').count() + 1;
    let last_line = body.rsplit(|b| *b == b'\n').next().unwrap_or(body);
    (line, last_line.len() + 1)
}

/// The character serde_json stopped at (`column` is 1-based, in bytes).
fn offending_char(body: &[u8], line: usize, column: usize) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let line_text = text.split('\n').nth(line.checked_sub(1)?)?;
    let idx = column.checked_sub(1)?;
    line_text.get(idx..)?.chars().next()
}

/// Jackson's description of the token a value starts with.
fn token_description(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null value (token `JsonToken.VALUE_NULL`)",
        Value::Bool(true) => "Boolean value (token `JsonToken.VALUE_TRUE`)",
        Value::Bool(false) => "Boolean value (token `JsonToken.VALUE_FALSE`)",
        Value::Number(n) if n.is_f64() => {
            "Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)"
        }
        Value::Number(_) => "Integer value (token `JsonToken.VALUE_NUMBER_INT`)",
        Value::String(_) => "String value (token `JsonToken.VALUE_STRING`)",
        Value::Array(_) => "Array value (token `JsonToken.START_ARRAY`)",
        Value::Object(_) => "Object value (token `JsonToken.START_OBJECT`)",
    }
}

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Where Jackson's parser stood when binding failed, for the location suffix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum At {
    /// The start of the value at this path (a value of the wrong type).
    Start(Vec<Seg>),
    /// Just after the first token of the value at this path (an unknown property met
    /// after the creator was built).
    AfterToken(Vec<Seg>),
    /// Just after the end of the object at this path (unknown properties Jackson buffered
    /// until the object ended, waiting for the creator's properties).
    AfterObject(Vec<Seg>),
}

/// A binding failure: Jackson's message (its reference chain at the end) and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BindError {
    pub message: String,
    pub at: At,
}

impl BindError {
    /// The 500 Java answers: the message with Jackson's location before the chain.
    pub fn into_api_error(self, body: &[u8]) -> ApiError {
        let location = locate(body, &self.at)
            .map(|(line, column)| {
                format!("\n at [{LOCATION_REDACTED}; line: {line}, column: {column}]")
            })
            .unwrap_or_default();
        let message = match self.message.find(" (through reference chain: ") {
            Some(i) => format!("{}{location}{}", &self.message[..i], &self.message[i..]),
            None => format!("{}{location}", self.message),
        };
        ApiError::internal(message)
    }
}

fn with_key(path: &[Seg], key: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Key(key.to_string()));
    p
}

fn with_index(path: &[Seg], i: usize) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(Seg::Index(i));
    p
}

fn cannot_deserialize(java_type: &str, v: &Value, chain: Option<&str>, path: &[Seg]) -> BindError {
    let mut msg = format!(
        "Cannot deserialize value of type `{java_type}` from {}",
        token_description(v)
    );
    if let Some(chain) = chain {
        msg.push_str(&format!(" (through reference chain: {chain})"));
    }
    BindError {
        message: msg,
        at: At::Start(path.to_vec()),
    }
}

/// A JSON scalar as Jackson's `StringDeserializer` sees it: strings verbatim, numbers and
/// booleans as their text, `null` as `None`; containers are binding errors.
fn scalar_to_string(v: &Value, chain: &str, path: &[Seg]) -> Result<Option<String>, BindError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => {
            Err(cannot_deserialize("java.lang.String", v, Some(chain), path))
        }
    }
}

/// Binds a `Map<String,String>` body. `Ok(None)` is a JSON `null` (or empty) body, which
/// Java hands to the resource method as `null`.
pub(crate) fn flat_config(
    v: &Value,
    chain_prefix: &str,
) -> Result<Option<NullableProps>, BindError> {
    flat_config_at(v, chain_prefix, &[])
}

fn flat_config_at(
    v: &Value,
    chain_prefix: &str,
    path: &[Seg],
) -> Result<Option<NullableProps>, BindError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            let chain = chain_prefix.trim_end_matches("->");
            let chain = (!chain.is_empty()).then_some(chain);
            return Err(not_an_object(
                MAP_TYPE,
                "java.util.LinkedHashMap",
                other,
                chain,
                path,
            ));
        }
    };
    let mut out = NullableProps::new();
    for (key, value) in obj {
        let chain = format!("{chain_prefix}java.util.LinkedHashMap[\"{key}\"]");
        out.insert(
            key.clone(),
            scalar_to_string(value, &chain, &with_key(path, key))?,
        );
    }
    Ok(Some(out))
}

/// `POST /connectors` body (`CreateConnectorRequest`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateConnectorRequest {
    /// Already trimmed; `""` when absent.
    pub name: String,
    pub config: Option<NullableProps>,
    pub initial_state: Option<TargetState>,
}

/// An unknown property of a class bound through a `@JsonCreator`: Jackson buffers it until
/// every creator property was seen (then fails at the end of the object), or fails at once
/// once the object was built.
fn unknown_property(
    message: String,
    creator_complete: bool,
    object_path: &[Seg],
    key: &str,
) -> BindError {
    BindError {
        message,
        at: if creator_complete {
            At::AfterToken(with_key(object_path, key))
        } else {
            At::AfterObject(object_path.to_vec())
        },
    }
}

/// Binds a `CreateConnectorRequest`; `Ok(None)` for a `null` body.
pub(crate) fn create_connector_request(
    v: &Value,
) -> Result<Option<CreateConnectorRequest>, BindError> {
    let obj: &Map<String, Value> = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            return Err(not_an_object(
                CREATE_REQUEST_CLASS,
                CREATE_REQUEST_CLASS,
                other,
                None,
                &[],
            ))
        }
    };
    let mut req = CreateConnectorRequest {
        name: String::new(),
        config: None,
        initial_state: None,
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut buffered_unknown: Option<BindError> = None;
    for (key, value) in obj {
        let chain = format!("{CREATE_REQUEST_CLASS}[\"{key}\"]");
        let path = with_key(&[], key);
        match key.as_str() {
            "name" => req.name = scalar_to_string(value, &chain, &path)?.unwrap_or_default(),
            "config" => req.config = flat_config_at(value, &format!("{chain}->"), &path)?,
            "initial_state" => {
                req.initial_state = match scalar_to_string(value, &chain, &path)? {
                    None => None,
                    Some(s) => {
                        Some(
                            TargetState::from_initial_state(&s).ok_or_else(|| BindError {
                                message: format!(
                                    "Cannot construct instance of \
                                 `{CREATE_REQUEST_CLASS}$InitialState`, problem: No enum \
                                 constant {CREATE_REQUEST_CLASS}.InitialState.{} (through \
                                 reference chain: {chain})",
                                    s.to_uppercase()
                                ),
                                at: At::Start(path.clone()),
                            })?,
                        )
                    }
                }
            }
            _ => {
                let error = unknown_property(
                    format!(
                        "Unrecognized field \"{key}\" (class {CREATE_REQUEST_CLASS}), not marked \
                         as ignorable (3 known properties: \"config\", \"name\", \
                         \"initial_state\"]) (through reference chain: {chain})"
                    ),
                    seen.len() == 3,
                    &[],
                    key,
                );
                if seen.len() == 3 {
                    return Err(error);
                }
                buffered_unknown.get_or_insert(error);
            }
        }
        if matches!(key.as_str(), "name" | "config" | "initial_state") {
            seen.insert(key.as_str());
        }
    }
    if let Some(error) = buffered_unknown {
        return Err(error);
    }
    // Jackson trims nothing; the resource does (`createRequest.name().trim()`), and Java's
    // `String#trim` removes every character up to U+0020, control characters included.
    req.name = req.name.trim_matches(|c: char| c <= ' ').to_string();
    Ok(Some(req))
}

const OFFSETS_CLASS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets";
const OFFSET_CLASS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset";
const OFFSET_LIST_TYPE: &str =
    "java.util.ArrayList<org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset>";
const OBJECT_MAP_TYPE: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.Object>";

/// Jackson's message for a scalar where an object was expected (a class with a
/// `@JsonCreator`, or a map), or for an array there.
fn not_an_object(
    generic: &str,
    raw: &str,
    v: &Value,
    chain: Option<&str>,
    path: &[Seg],
) -> BindError {
    // A map has only a String creator: other scalars are "cannot deserialize" errors.
    let is_map = raw == "java.util.LinkedHashMap";
    let found = match v {
        Value::String(s) => Some(("String", format!("String value ('{s}')"))),
        _ if is_map => None,
        Value::Number(n) if n.is_f64() => Some(("double/Double", format!("Number value ({n})"))),
        Value::Number(n) => Some(("int/Int", format!("Number value ({n})"))),
        Value::Bool(b) => Some(("boolean/Boolean", format!("Boolean value ({b})"))),
        _ => None,
    };
    let Some((kind, found)) = found else {
        return cannot_deserialize(generic, v, chain, path);
    };
    let mut msg = format!(
        "Cannot construct instance of `{raw}` (although at least one Creator exists): no \
         {kind}-argument constructor/factory method to deserialize from {found}"
    );
    if let Some(chain) = chain {
        msg.push_str(&format!(" (through reference chain: {chain})"));
    }
    BindError {
        message: msg,
        at: At::Start(path.to_vec()),
    }
}

/// A `Map<String, ?>` field: `null` is `None`.
fn object_map(
    v: &Value,
    chain: &str,
    path: &[Seg],
) -> Result<Option<Map<String, Value>>, BindError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m.clone())),
        other => Err(not_an_object(
            OBJECT_MAP_TYPE,
            "java.util.LinkedHashMap",
            other,
            Some(chain),
            path,
        )),
    }
}

/// `PATCH /connectors/{c}/offsets` body (`ConnectorOffsets`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConnectorOffsetsRequest {
    /// `None` when `offsets` is absent or `null`; an element is `None` when it is `null`.
    pub offsets: Option<Vec<Option<OffsetChange>>>,
}

/// Binds a `ConnectorOffsets`; `Ok(None)` for a `null` (or empty) body.
pub(crate) fn connector_offsets_request(
    v: &Value,
) -> Result<Option<ConnectorOffsetsRequest>, BindError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            return Err(not_an_object(
                OFFSETS_CLASS,
                OFFSETS_CLASS,
                other,
                None,
                &[],
            ))
        }
    };
    let mut req = ConnectorOffsetsRequest { offsets: None };
    let mut creator_complete = false;
    let mut buffered_unknown: Option<BindError> = None;
    for (key, value) in obj {
        let chain = format!("{OFFSETS_CLASS}[\"{key}\"]");
        let path = with_key(&[], key);
        if key != "offsets" {
            let error = unknown_property(
                format!(
                    "Unrecognized field \"{key}\" (class {OFFSETS_CLASS}), not marked as \
                     ignorable (one known property: \"offsets\"]) (through reference chain: \
                     {chain})"
                ),
                creator_complete,
                &[],
                key,
            );
            if creator_complete {
                return Err(error);
            }
            buffered_unknown.get_or_insert(error);
            continue;
        }
        req.offsets = match value {
            Value::Null => None,
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        connector_offset(
                            item,
                            &format!("{chain}->java.util.ArrayList[{i}]"),
                            &with_index(&path, i),
                        )
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(cannot_deserialize(
                    OFFSET_LIST_TYPE,
                    other,
                    Some(&chain),
                    &path,
                ))
            }
        };
        creator_complete = true;
    }
    if let Some(error) = buffered_unknown {
        return Err(error);
    }
    Ok(Some(req))
}

/// One `ConnectorOffset`; `None` for a `null` element.
fn connector_offset(
    v: &Value,
    chain: &str,
    path: &[Seg],
) -> Result<Option<OffsetChange>, BindError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            return Err(not_an_object(
                OFFSET_CLASS,
                OFFSET_CLASS,
                other,
                Some(chain),
                path,
            ))
        }
    };
    let mut change = OffsetChange {
        partition: None,
        offset: None,
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut buffered_unknown: Option<BindError> = None;
    for (key, value) in obj {
        let chain = format!("{chain}->{OFFSET_CLASS}[\"{key}\"]");
        let value_path = with_key(path, key);
        match key.as_str() {
            "partition" => {
                change.partition = object_map(value, &chain, &value_path)?.map(Into::into)
            }
            "offset" => change.offset = object_map(value, &chain, &value_path)?.map(Into::into),
            _ => {
                let complete = seen.len() == 2;
                let error = unknown_property(
                    format!(
                        "Unrecognized field \"{key}\" (class {OFFSET_CLASS}), not marked as \
                         ignorable (2 known properties: \"partition\", \"offset\"]) (through \
                         reference chain: {chain})"
                    ),
                    complete,
                    path,
                    key,
                );
                if complete {
                    return Err(error);
                }
                buffered_unknown.get_or_insert(error);
                continue;
            }
        }
        seen.insert(key.as_str());
    }
    if let Some(error) = buffered_unknown {
        return Err(error);
    }
    Ok(Some(change))
}

const TASK_CONFIGS_TYPE: &str =
    "java.util.ArrayList<java.util.Map<java.lang.String,java.lang.String>>";

/// `POST /connectors/{c}/tasks` body (`List<Map<String,String>>`): each map with its
/// `null` values left out (no task config holds them). `Ok(None)` for a `null` body.
pub(crate) fn task_configs(v: &Value) -> Result<Option<Vec<BTreeMap<String, String>>>, BindError> {
    let items = match v {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        other => return Err(cannot_deserialize(TASK_CONFIGS_TYPE, other, None, &[])),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let chain = format!("java.util.ArrayList[{i}]->");
        let config = flat_config_at(item, &chain, &with_index(&[], i))?.unwrap_or_default();
        out.push(
            config
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
        );
    }
    Ok(Some(out))
}

/// Byte offsets of the value at `path` in `body`: its start, the end of its first token and
/// its end (those two unknown when the body ends inside the value). Scans without recursion, skipping everything off the path.
fn value_span(body: &[u8], path: &[Seg]) -> Option<(usize, Option<usize>, Option<usize>)> {
    let ws = |i: &mut usize| {
        while *i < body.len() && matches!(body[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    let string_end = |mut i: usize| -> Option<usize> {
        i += 1;
        while i < body.len() {
            match body[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    // The end of the value starting at `i` (containers by bracket counting).
    let value_end = |i: usize| -> Option<usize> {
        match body.get(i)? {
            b'"' => string_end(i),
            b'[' | b'{' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < body.len() {
                    match body[j] {
                        b'"' => {
                            j = string_end(j)?;
                            continue;
                        }
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < body.len()
                    && !matches!(body[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    j += 1;
                }
                Some(j)
            }
        }
    };
    let mut i = 0usize;
    ws(&mut i);
    for seg in path {
        match (seg, body.get(i)?) {
            (Seg::Key(want), b'{') => {
                i += 1;
                loop {
                    ws(&mut i);
                    if body.get(i)? != &b'"' {
                        return None;
                    }
                    let key_end = string_end(i)?;
                    let key: String = serde_json::from_slice(&body[i..key_end]).ok()?;
                    i = key_end;
                    ws(&mut i);
                    i += 1; // ':'
                    ws(&mut i);
                    if &key == want {
                        break;
                    }
                    i = value_end(i)?;
                    ws(&mut i);
                    if body.get(i)? != &b',' {
                        return None;
                    }
                    i += 1;
                }
            }
            (Seg::Index(want), b'[') => {
                i += 1;
                for _ in 0..*want {
                    ws(&mut i);
                    i = value_end(i)?;
                    ws(&mut i);
                    if body.get(i)? != &b',' {
                        return None;
                    }
                    i += 1;
                }
                ws(&mut i);
            }
            _ => return None,
        }
    }
    // The start is known even when the value is cut short (a truncated body).
    let end = value_end(i);
    let first_token_end = match body.get(i) {
        Some(b'[' | b'{') => Some(i + 1),
        _ => end,
    };
    Some((i, first_token_end, end))
}

/// Jackson's 1-based line and column (in bytes) of a byte offset.
fn line_column(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset.min(body.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    (line, offset - line_start + 1)
}

fn locate(body: &[u8], at: &At) -> Option<(usize, usize)> {
    let offset = match at {
        At::Start(path) => value_span(body, path)?.0,
        At::AfterToken(path) => value_span(body, path)?.1?,
        At::AfterObject(path) => value_span(body, path)?.2?,
    };
    Some(line_column(body, offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_test(body: &[u8]) -> Result<ParsedBody, ApiError> {
        parse_body(&axum::body::Bytes::copy_from_slice(body))
    }

    /// The error a `Map<String,String>` endpoint answers for `body`.
    fn parse_err(body: &[u8]) -> ApiError {
        match parse_test(body) {
            Err(e) => e,
            Ok(p) => p.finish(flat_config(&p.value, "")).unwrap_err(),
        }
    }

    /// Java 3.9's answers, measured on a Java worker.
    #[test]
    fn syntax_errors_inside_a_bound_value_are_worded_and_chained_as_jackson() {
        let create = |body: &str| {
            let p = parse_test(body.as_bytes()).unwrap();
            p.finish(create_connector_request(&p.value))
                .unwrap_err()
                .message
                .unwrap()
        };
        let loc = |c: usize| {
            format!(
                "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` \
                 disabled); line: 1, column: {c}] (through reference chain: \
                 org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest[\"config\"])"
            )
        };
        assert_eq!(
            create(r#"{"name":"jxq-x","config":{"a":"\u00"}}"#),
            format!(
                "Unexpected character ('\"' (code 34)): expected a hex-digit for character \
                 escape sequence{}",
                loc(37)
            )
        );
        assert_eq!(
            create(r#"{"name":"jxq-x","config":{"a":tru}}"#),
            format!(
                "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or \
                 token 'null', 'true' or 'false'){}",
                loc(35)
            )
        );
        assert_eq!(
            create(r#"{"name":"jxq-x","config":{"a":01}}"#),
            format!(
                "Invalid numeric value: Leading zeroes not allowed{}",
                loc(32)
            )
        );
    }

    #[test]
    fn trailing_tokens_are_refused_after_binding() {
        // Java 3.9: `{"a":1}{"b":2}` to a Map<String,String> endpoint.
        assert_eq!(
            parse_err(br#"{"a":1}{"b":2}"#).message.unwrap(),
            "Trailing token (of type START_OBJECT) found after value (bound as \
             `java.util.Map`): not allowed as per \
             `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`\n at [Source: REDACTED \
             (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 8]"
        );
        // The first value's binding error comes first.
        let p = parse_test(br#"{"name":[1]} 5"#).unwrap();
        let msg = p
            .finish(create_connector_request(&p.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(
            msg.starts_with("Cannot deserialize value of type `java.lang.String`"),
            "{msg}"
        );
    }

    #[test]
    fn truncated_bodies_bind_what_precedes_the_error_first() {
        // Java: `[` to a ConnectorOffsets endpoint is a binding error at column 1.
        let p = parse_test(b"[").unwrap();
        let msg = p
            .finish(connector_offsets_request(&p.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(msg.starts_with("Cannot deserialize value of type `org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets` from Array value"), "{msg}");
        assert!(msg.ends_with("line: 1, column: 1]"), "{msg}");
        // What precedes the error binds: the syntax error is answered.
        let p = parse_test(br#"{"name":"a","config":{"k":"v","#).unwrap();
        let msg = p
            .finish(create_connector_request(&p.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(msg.starts_with("Unexpected end-of-input"), "{msg}");
        // A buffered unknown property is never reported for a body cut short.
        let p = parse_test(br#"{"bogus":1,"name":"#).unwrap();
        let msg = p
            .finish(create_connector_request(&p.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(msg.starts_with("Unexpected end-of-input"), "{msg}");
        // A value of the wrong type before the error is reported instead.
        let p = parse_test(br#"{"name":["a"], x"#).unwrap();
        let msg = p
            .finish(create_connector_request(&p.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(
            msg.starts_with("Cannot deserialize value of type `java.lang.String` from Array"),
            "{msg}"
        );
    }

    #[test]
    fn empty_body_is_null() {
        assert_eq!(parse_test(b"").unwrap().value, Value::Null);
        assert_eq!(parse_test(b"  \n").unwrap().value, Value::Null);
    }

    #[test]
    fn syntax_errors_name_the_character_and_location() {
        let err = parse_err(b"{\"a\": x}");
        let msg = err.message.unwrap();
        assert!(
            msg.starts_with("Unexpected character ('x' (code 120)): "),
            "{msg}"
        );
        assert!(msg.ends_with("line: 1, column: 8]"), "{msg}");
        let err = parse_err(b"{");
        assert_eq!(
            err.message.unwrap(),
            "Unexpected end-of-input: expected close marker for Object (start marker at \
             [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: \
             1, column: 1])\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` \
             disabled); line: 1, column: 2]"
        );
        let msg = parse_err(b"{bad").message.unwrap();
        assert!(
            msg.starts_with(
                "Unexpected character ('b' (code 98)): was expecting double-quote to start field \
                 name\n"
            ) && msg.ends_with("column: 3]"),
            "{msg}"
        );
        let msg = parse_err(b"{\"a\":\"\xff\"}").message.unwrap();
        assert!(msg.starts_with("Invalid UTF-8 start byte 0xff\n"), "{msg}");
    }

    #[test]
    fn deep_bodies_get_the_shallow_binding_error_or_the_depth_error() {
        let deep = |inner: &str| {
            format!(
                "{{\"name\":\"c\",\"config\":{{\"a\":{inner}{}{}}}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
        };
        let body = parse_test(deep("").as_bytes()).unwrap();
        let err = body
            .finish(create_connector_request(&body.value))
            .unwrap_err();
        assert!(err
            .message
            .unwrap()
            .starts_with("Cannot deserialize value of type `java.lang.String` from Array value"),);
        let offsets = format!(
            "{{\"offsets\":[{{\"partition\":{{\"a\":{}{}}}}}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let body = parse_test(offsets.as_bytes()).unwrap();
        let err = body
            .finish(connector_offsets_request(&body.value))
            .unwrap_err();
        assert!(err
            .message
            .unwrap()
            .starts_with("Document nesting depth (1001)"));
        // Deeper than serde_json reads, shallower than Jackson's limit: accepted.
        let fine = format!("{{\"a\":{}1{}}}", "[".repeat(500), "]".repeat(500));
        let body = parse_test(fine.as_bytes()).unwrap();
        assert!(!body.too_deep);
    }

    /// The column Java 3.9 (Jackson 2.16) reports for each body, measured on a Java worker.
    #[test]
    fn binding_errors_carry_jacksons_location() {
        fn column(body: &str, bind: fn(&Value) -> Result<(), BindError>) -> String {
            let parsed = parse_test(body.as_bytes()).unwrap();
            let msg = parsed
                .finish(bind(&parsed.value))
                .unwrap_err()
                .message
                .unwrap();
            let (_, after) = msg.split_once("column: ").expect(&msg);
            after.split(']').next().unwrap().to_string()
        }
        let map: fn(&Value) -> Result<(), BindError> = |v| flat_config(v, "").map(|_| ());
        let create: fn(&Value) -> Result<(), BindError> =
            |v| create_connector_request(v).map(|_| ());
        let offsets: fn(&Value) -> Result<(), BindError> =
            |v| connector_offsets_request(v).map(|_| ());
        assert_eq!(column(r#"{"topic": {"a": 1}}"#, map), "11");
        assert_eq!(column(r#"{"x":"y","topic":{"a": 1}}"#, map), "18");
        assert_eq!(column("  [1]", map), "3");
        assert_eq!(column(r#"{"name":"x", "bogus": 1}"#, create), "25");
        assert_eq!(
            column(r#"{"bogus": {"a":[1,2]}, "name":"x"}"#, create),
            "35"
        );
        assert_eq!(column(r#"{"config": {"k": [1]}, "name": 5}"#, create), "18");
        assert_eq!(
            column(r#"{"name":"a", "initial_state": "bogus"}"#, create),
            "31"
        );
        assert_eq!(column("  12", create), "3");
        assert_eq!(column(r#"{"offsets": [], "extra": 1}"#, offsets), "27");
        assert_eq!(column(r#"{"extra":   1, "offsets": []}"#, offsets), "30");
        assert_eq!(
            column(r#"{"offsets": [{"partition": {}, "bogus": 1}]}"#, offsets),
            "43"
        );
        assert_eq!(
            column(r#"{"offsets": [{"partition": "p"}]}"#, offsets),
            "28"
        );
        assert_eq!(column(r#"{"offsets": [5]}"#, offsets), "14");
        let parsed = parse_test(b"{\"name\":\"c\",\n \"config\": [1, 2]}").unwrap();
        let msg = parsed
            .finish(create_connector_request(&parsed.value))
            .unwrap_err()
            .message
            .unwrap();
        assert!(
            msg.ends_with(
                "from Array value (token `JsonToken.START_ARRAY`)\n at [Source: REDACTED \
                 (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 2, column: \
                 12] (through reference chain: org.apache.kafka.connect.runtime.rest.entities.\
                 CreateConnectorRequest[\"config\"])"
            ),
            "{msg}"
        );
    }

    #[test]
    fn scalars_are_coerced_and_containers_rejected() {
        let cfg = flat_config(
            &json!({"a": 1, "b": true, "c": "x", "d": null, "e": 1.5}),
            "",
        )
        .unwrap()
        .unwrap();
        assert_eq!(cfg["a"].as_deref(), Some("1"));
        assert_eq!(cfg["b"].as_deref(), Some("true"));
        assert_eq!(cfg["c"].as_deref(), Some("x"));
        assert_eq!(cfg["d"], None);
        assert_eq!(cfg["e"].as_deref(), Some("1.5"));
        let err = flat_config(&json!({"a": {"b": 1}}), "").unwrap_err();
        assert_eq!(
            err.message,
            "Cannot deserialize value of type `java.lang.String` from Object value (token \
             `JsonToken.START_OBJECT`) (through reference chain: java.util.LinkedHashMap[\"a\"])"
        );
        let err = flat_config(&json!([1]), "").unwrap_err();
        assert!(err.message.contains("from Array value"));
    }

    #[test]
    fn connector_offsets_binding() {
        let req = connector_offsets_request(&json!({"offsets": [
            {"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 5}},
            {"partition": {"filename": "/f"}, "offset": null},
            {"offset": {"position": 1}},
            null,
        ]}))
        .unwrap()
        .unwrap();
        let offsets = req.offsets.unwrap();
        assert_eq!(offsets.len(), 4);
        let first = offsets[0].as_ref().unwrap();
        assert_eq!(first.partition.as_ref().unwrap()["kafka_topic"], "t");
        assert_eq!(first.offset.as_ref().unwrap()["kafka_offset"], 5);
        assert_eq!(offsets[1].as_ref().unwrap().offset, None);
        assert_eq!(offsets[2].as_ref().unwrap().partition, None);
        assert_eq!(offsets[3], None);

        assert_eq!(connector_offsets_request(&Value::Null).unwrap(), None);
        let absent = connector_offsets_request(&json!({})).unwrap().unwrap();
        assert_eq!(absent.offsets, None);
        let null = connector_offsets_request(&json!({"offsets": null}))
            .unwrap()
            .unwrap();
        assert_eq!(null.offsets, None);

        let msg = |v: Value| connector_offsets_request(&v).unwrap_err().message;
        assert_eq!(
            msg(json!({"offsets": [], "extra": 1})),
            "Unrecognized field \"extra\" (class \
             org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets), not marked as \
             ignorable (one known property: \"offsets\"]) (through reference chain: \
             org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets[\"extra\"])"
        );
        assert_eq!(
            msg(json!({"offsets": [{"partition": {}, "offsets": {}}]})),
            "Unrecognized field \"offsets\" (class \
             org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset), not marked as \
             ignorable (2 known properties: \"partition\", \"offset\"]) (through reference \
             chain: org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets[\"offsets\"]\
             ->java.util.ArrayList[0]->org.apache.kafka.connect.runtime.rest.entities.\
             ConnectorOffset[\"offsets\"])"
        );
        assert!(msg(json!({"offsets": {}})).starts_with(
            "Cannot deserialize value of type `java.util.ArrayList<org.apache.kafka.connect.\
             runtime.rest.entities.ConnectorOffset>` from Object value"
        ));
        assert!(msg(json!({"offsets": [{"partition": "p"}]})).starts_with(
            "Cannot construct instance of `java.util.LinkedHashMap` (although at least one \
             Creator exists): no String-argument constructor/factory method to deserialize from \
             String value ('p')"
        ));
        assert!(msg(json!({"offsets": [{"offset": [1]}]}))
            .starts_with("Cannot deserialize value of type `java.util.LinkedHashMap<"));
        assert!(msg(json!([])).starts_with(
            "Cannot deserialize value of type \
             `org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets` from Array value"
        ));
        assert!(msg(json!(5)).contains("no int/Int-argument constructor"));
    }

    #[test]
    fn create_request_binding() {
        let req = create_connector_request(
            &json!({"name": " c ", "config": {"k": 1}, "initial_state": "paused"}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(req.name, "c");
        assert_eq!(req.config.unwrap()["k"].as_deref(), Some("1"));
        assert_eq!(req.initial_state, Some(TargetState::Paused));

        let req = create_connector_request(&json!({})).unwrap().unwrap();
        assert_eq!(req.name, "");
        assert_eq!(req.config, None);

        let err = create_connector_request(&json!({"name": "c", "x": 1})).unwrap_err();
        assert!(err.message.starts_with("Unrecognized field \"x\""));
        let err = create_connector_request(&json!({"initial_state": "bogus"})).unwrap_err();
        assert!(err.message.contains("No enum constant"));
        assert_eq!(create_connector_request(&Value::Null).unwrap(), None);
    }
}
