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
    /// Containers below [`deep_json::MAX_NESTING_DEPTH`] were cut off.
    pub too_deep: bool,
}

impl ParsedBody {
    /// The result of binding `self.value`: a binding error of the shallow part as it is
    /// (Jackson meets it first while streaming), else Jackson's depth error if the body
    /// nests too deep.
    pub fn finish<T>(&self, bound: Result<T, ApiError>) -> Result<T, ApiError> {
        let bound = bound?;
        if self.too_deep {
            return Err(ApiError::internal(deep_json::too_deep_message()));
        }
        Ok(bound)
    }
}

/// Parses a request body; an empty body is JSON `null` (Jackson's `ALLOW_EMPTY_INPUT`).
pub(crate) fn parse_body(body: &[u8]) -> Result<ParsedBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ParsedBody {
            value: Value::Null,
            too_deep: false,
        });
    }
    match serde_json::from_slice(body) {
        Ok(value) => Ok(ParsedBody {
            value,
            too_deep: false,
        }),
        // Deeper than serde_json's recursion limit: read without recursion.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            match deep_json::parse(body) {
                Some(p) => Ok(ParsedBody {
                    value: p.value,
                    too_deep: p.truncated,
                }),
                None => Err(ApiError::internal(syntax_message(body, &e))),
            }
        }
        Err(e) => Err(ApiError::internal(syntax_message(body, &e))),
    }
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
    let Some(byte) = byte_at(body, line, column) else {
        return format!("Unexpected character: {detail}\n at {}", location(line, column));
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

fn cannot_deserialize(java_type: &str, v: &Value, chain: Option<&str>) -> ApiError {
    let mut msg = format!(
        "Cannot deserialize value of type `{java_type}` from {}",
        token_description(v)
    );
    if let Some(chain) = chain {
        msg.push_str(&format!(" (through reference chain: {chain})"));
    }
    ApiError::internal(msg)
}

/// A JSON scalar as Jackson's `StringDeserializer` sees it: strings verbatim, numbers and
/// booleans as their text, `null` as `None`; containers are binding errors.
fn scalar_to_string(v: &Value, chain: &str) -> Result<Option<String>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => {
            Err(cannot_deserialize("java.lang.String", v, Some(chain)))
        }
    }
}

/// Binds a `Map<String,String>` body. `Ok(None)` is a JSON `null` (or empty) body, which
/// Java hands to the resource method as `null`.
pub(crate) fn flat_config(
    v: &Value,
    chain_prefix: &str,
) -> Result<Option<NullableProps>, ApiError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            let chain = (!chain_prefix.is_empty()).then_some(chain_prefix);
            return Err(cannot_deserialize(MAP_TYPE, other, chain));
        }
    };
    let mut out = NullableProps::new();
    for (key, value) in obj {
        let chain = format!("{chain_prefix}java.util.LinkedHashMap[\"{key}\"]");
        out.insert(key.clone(), scalar_to_string(value, &chain)?);
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

/// Binds a `CreateConnectorRequest`; `Ok(None)` for a `null` body.
pub(crate) fn create_connector_request(
    v: &Value,
) -> Result<Option<CreateConnectorRequest>, ApiError> {
    let obj: &Map<String, Value> = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => return Err(cannot_deserialize(CREATE_REQUEST_CLASS, other, None)),
    };
    let mut req = CreateConnectorRequest {
        name: String::new(),
        config: None,
        initial_state: None,
    };
    for (key, value) in obj {
        let chain = format!("{CREATE_REQUEST_CLASS}[\"{key}\"]");
        match key.as_str() {
            "name" => req.name = scalar_to_string(value, &chain)?.unwrap_or_default(),
            "config" => req.config = flat_config(value, &format!("{chain}->"))?,
            "initial_state" => {
                req.initial_state = match scalar_to_string(value, &chain)? {
                    None => None,
                    Some(s) => Some(TargetState::from_initial_state(&s).ok_or_else(|| {
                        ApiError::internal(format!(
                            "Cannot construct instance of `{CREATE_REQUEST_CLASS}$InitialState`, \
                             problem: No enum constant {CREATE_REQUEST_CLASS}.InitialState.{} \
                             (through reference chain: {chain})",
                            s.to_uppercase()
                        ))
                    })?),
                }
            }
            _ => {
                return Err(ApiError::internal(format!(
                    "Unrecognized field \"{key}\" (class {CREATE_REQUEST_CLASS}), not marked as \
                     ignorable (3 known properties: \"name\", \"config\", \"initial_state\"]) \
                     (through reference chain: {chain})"
                )))
            }
        }
    }
    // Jackson trims nothing; the resource does (`createRequest.name().trim()`).
    req.name = req.name.trim().to_string();
    Ok(Some(req))
}

const OFFSETS_CLASS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets";
const OFFSET_CLASS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset";
const OFFSET_LIST_TYPE: &str =
    "java.util.ArrayList<org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset>";
const OBJECT_MAP_TYPE: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.Object>";

/// Jackson's message for a scalar where an object was expected (a class with a
/// `@JsonCreator`, or a map), or for an array there.
fn not_an_object(generic: &str, raw: &str, v: &Value, chain: Option<&str>) -> ApiError {
    let found = match v {
        Value::String(s) => Some(("String", format!("String value ('{s}')"))),
        Value::Number(n) if n.is_f64() => Some(("double/Double", format!("Number value ({n})"))),
        Value::Number(n) => Some(("int/Int", format!("Number value ({n})"))),
        Value::Bool(b) => Some(("boolean/Boolean", format!("Boolean value ({b})"))),
        _ => None,
    };
    let Some((kind, found)) = found else {
        return cannot_deserialize(generic, v, chain);
    };
    let mut msg = format!(
        "Cannot construct instance of `{raw}` (although at least one Creator exists): no \
         {kind}-argument constructor/factory method to deserialize from {found}"
    );
    if let Some(chain) = chain {
        msg.push_str(&format!(" (through reference chain: {chain})"));
    }
    ApiError::internal(msg)
}

/// A `Map<String, ?>` field: `null` is `None`.
fn object_map(v: &Value, chain: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m.clone())),
        other => Err(not_an_object(
            OBJECT_MAP_TYPE,
            "java.util.LinkedHashMap",
            other,
            Some(chain),
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
) -> Result<Option<ConnectorOffsetsRequest>, ApiError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => return Err(not_an_object(OFFSETS_CLASS, OFFSETS_CLASS, other, None)),
    };
    let mut req = ConnectorOffsetsRequest { offsets: None };
    for (key, value) in obj {
        let chain = format!("{OFFSETS_CLASS}[\"{key}\"]");
        if key != "offsets" {
            return Err(ApiError::internal(format!(
                "Unrecognized field \"{key}\" (class {OFFSETS_CLASS}), not marked as ignorable \
                 (one known property: \"offsets\"]) (through reference chain: {chain})"
            )));
        }
        req.offsets = match value {
            Value::Null => None,
            Value::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        connector_offset(item, &format!("{chain}->java.util.ArrayList[{i}]"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(cannot_deserialize(OFFSET_LIST_TYPE, other, Some(&chain))),
        };
    }
    Ok(Some(req))
}

/// One `ConnectorOffset`; `None` for a `null` element.
fn connector_offset(v: &Value, chain: &str) -> Result<Option<OffsetChange>, ApiError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            return Err(not_an_object(
                OFFSET_CLASS,
                OFFSET_CLASS,
                other,
                Some(chain),
            ))
        }
    };
    let mut change = OffsetChange {
        partition: None,
        offset: None,
    };
    for (key, value) in obj {
        let chain = format!("{chain}->{OFFSET_CLASS}[\"{key}\"]");
        match key.as_str() {
            "partition" => change.partition = object_map(value, &chain)?.map(Into::into),
            "offset" => change.offset = object_map(value, &chain)?.map(Into::into),
            _ => {
                return Err(ApiError::internal(format!(
                    "Unrecognized field \"{key}\" (class {OFFSET_CLASS}), not marked as ignorable \
                     (2 known properties: \"partition\", \"offset\"]) (through reference chain: \
                     {chain})"
                )))
            }
        }
    }
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_body_is_null() {
        assert_eq!(parse_body(b"").unwrap().value, Value::Null);
        assert_eq!(parse_body(b"  \n").unwrap().value, Value::Null);
    }

    #[test]
    fn syntax_errors_name_the_character_and_location() {
        let err = parse_body(b"{\"a\": x}").unwrap_err();
        let msg = err.message.unwrap();
        assert!(
            msg.starts_with("Unexpected character ('x' (code 120)): "),
            "{msg}"
        );
        assert!(msg.ends_with("line: 1, column: 8]"), "{msg}");
        let err = parse_body(b"{").unwrap_err();
        assert_eq!(
            err.message.unwrap(),
            "Unexpected end-of-input: expected close marker for Object (start marker at \
             [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: \
             1, column: 1])\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` \
             disabled); line: 1, column: 2]"
        );
        let msg = parse_body(b"{bad").unwrap_err().message.unwrap();
        assert!(
            msg.starts_with(
                "Unexpected character ('b' (code 98)): was expecting double-quote to start field \
                 name\n"
            ) && msg.ends_with("column: 3]"),
            "{msg}"
        );
        let msg = parse_body(b"{\"a\":\"\xff\"}").unwrap_err().message.unwrap();
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
        let body = parse_body(deep("").as_bytes()).unwrap();
        let err = body
            .finish(create_connector_request(&body.value))
            .unwrap_err();
        assert!(
            err.message.unwrap().starts_with(
                "Cannot deserialize value of type `java.lang.String` from Array value"
            ),
        );
        let offsets = format!(
            "{{\"offsets\":[{{\"partition\":{{\"a\":{}{}}}}}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let body = parse_body(offsets.as_bytes()).unwrap();
        let err = body
            .finish(connector_offsets_request(&body.value))
            .unwrap_err();
        assert!(err.message.unwrap().starts_with("Document nesting depth (1001)"));
        // Deeper than serde_json reads, shallower than Jackson's limit: accepted.
        let fine = format!("{{\"a\":{}1{}}}", "[".repeat(500), "]".repeat(500));
        let body = parse_body(fine.as_bytes()).unwrap();
        assert!(!body.too_deep);
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
            err.message.unwrap(),
            "Cannot deserialize value of type `java.lang.String` from Object value (token \
             `JsonToken.START_OBJECT`) (through reference chain: java.util.LinkedHashMap[\"a\"])"
        );
        let err = flat_config(&json!([1]), "").unwrap_err();
        assert!(err.message.unwrap().contains("from Array value"));
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

        let msg = |v: Value| connector_offsets_request(&v).unwrap_err().message.unwrap();
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
        assert!(err.message.unwrap().starts_with("Unrecognized field \"x\""));
        let err = create_connector_request(&json!({"initial_state": "bogus"})).unwrap_err();
        assert!(err.message.unwrap().contains("No enum constant"));
        assert_eq!(create_connector_request(&Value::Null).unwrap(), None);
    }
}
