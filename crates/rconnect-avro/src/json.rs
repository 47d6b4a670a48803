//! A JSON tree that writes numbers and strings as Jackson does.
//!
//! The registry identifies a schema by its exact text (Java: `AvroSchema#canonicalString`,
//! an MD5 over `Schema#toString()`), so schema JSON must be written byte for byte as Avro's
//! Jackson generator writes it: object keys in insertion order, floats as Java's
//! `Float/Double#toString`, control characters as `\uXXXX` with upper-case hex.

use rconnect_sdk::data::logical::java_float_string;

/// A JSON value that keeps the Java number kind it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A Java `float` (Jackson `FloatNode`), written with `Float#toString`.
    Float(f32),
    /// A Java `double`, written with `Double#toString`.
    Double(f64),
    Str(String),
    Array(Vec<Json>),
    /// Keys in insertion order, as Jackson's `ObjectNode` keeps them.
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Int(_) | Json::Float(_) | Json::Double(_))
    }

    /// From a parsed `serde_json` value (integers stay integers).
    pub fn from_serde(v: &serde_json::Value) -> Json {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Json::Int(i),
                None => Json::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Json::Str(s.clone()),
            serde_json::Value::Array(a) => Json::Array(a.iter().map(Json::from_serde).collect()),
            serde_json::Value::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Json::from_serde(v)))
                    .collect(),
            ),
        }
    }

    /// The compact text, as Jackson's default generator writes it.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            Json::Float(x) => write_float(out, *x as f64, true),
            Json::Double(x) => write_float(out, *x, false),
            Json::Str(s) => write_str(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Json::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

fn write_float(out: &mut String, x: f64, is_f32: bool) {
    // Jackson's QUOTE_NON_NUMERIC_NUMBERS (on by default) quotes NaN and the infinities.
    if x.is_finite() {
        out.push_str(&java_float_string(x, is_f32));
    } else {
        out.push('"');
        out.push_str(&java_float_string(x, is_f32));
        out.push('"');
    }
}

/// A JSON string as Jackson escapes it: `"` and `\`, the five short control escapes, other
/// control characters as `\u00XX` (upper-case hex); everything else as UTF-8.
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_jackson() {
        let j = Json::Object(vec![
            ("b".into(), Json::Double(1e10)),
            ("a".into(), Json::Float(1.1)),
            ("c".into(), Json::Str("x\u{1}\"\n".into())),
        ]);
        assert_eq!(j.to_text(), r#"{"b":1.0E10,"a":1.1,"c":"x\u0001\"\n"}"#);
    }
}
