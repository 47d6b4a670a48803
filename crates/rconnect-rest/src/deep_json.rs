//! Reading request bodies nested deeper than serde_json's recursion limit (128), without
//! recursion, so that they are answered as Java answers them.
//!
//! Jackson binds while it reads: a body whose shallow part does not fit the entity (an
//! array where a string belongs) fails at that point, however deep the rest goes; a body
//! that binds is refused once it nests deeper than `StreamReadConstraints`'s 1000 levels.
//! [`parse`] builds the document up to [`MAX_NESTING_DEPTH`] levels and replaces anything
//! deeper by an empty container of the same kind, reporting that it did: the binder then
//! runs on the shallow part first, and only a body that binds gets the depth error.

use serde_json::{Map, Value};

use crate::json::Seg;

/// Jackson 2.16's `StreamReadConstraints.DEFAULT_MAX_DEPTH`.
pub(crate) const MAX_NESTING_DEPTH: usize = 1000;

/// Jackson's message for a document nested deeper than [`MAX_NESTING_DEPTH`].
pub(crate) fn too_deep_message() -> String {
    format!(
        "Document nesting depth ({}) exceeds the maximum allowed ({MAX_NESTING_DEPTH}, from \
         `StreamReadConstraints.getMaxNestingDepth()`)",
        MAX_NESTING_DEPTH + 1
    )
}

/// A parsed body and whether containers deeper than [`MAX_NESTING_DEPTH`] were cut off.
pub(crate) struct Parsed {
    pub value: Value,
    pub truncated: bool,
    /// Where the first container too deep was met: the path of the value it belongs to.
    pub cut_at: Option<Vec<Seg>>,
    /// For a body that is not valid JSON ([`parse_prefix`]): the path of the value being
    /// read when the error was met (empty at the top level or at a key).
    pub error_at: Option<Vec<Seg>>,
}

/// The path of the value being read, from the open containers.
fn path_of(stack: &[Frame]) -> Vec<Seg> {
    let mut path = Vec::new();
    for frame in stack {
        match frame {
            Frame::Array(items) => path.push(Seg::Index(items.len())),
            Frame::Object(_, Some(key)) => path.push(Seg::Key(key.clone())),
            // At a key: not inside any property's value.
            Frame::Object(_, None) => break,
        }
    }
    path
}

enum Frame {
    Array(Vec<Value>),
    Object(Map<String, Value>, Option<String>),
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn string(&mut self) -> Option<String> {
        // `self.i` is at the opening quote; serde_json decodes the escapes.
        let start = self.i;
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return serde_json::from_slice(&self.s[start..self.i]).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn scalar(&mut self) -> Option<Value> {
        let start = self.i;
        while self.i < self.s.len()
            && !matches!(
                self.s[self.i],
                b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
            )
        {
            self.i += 1;
        }
        let v: Value = serde_json::from_slice(&self.s[start..self.i]).ok()?;
        match v {
            Value::Number(_) | Value::Bool(_) | Value::Null => Some(v),
            _ => None,
        }
    }

    /// Skips the container starting at `self.i` (bracket counting, strings respected).
    fn skip_container(&mut self) -> Option<()> {
        let mut depth = 0usize;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        None
    }
}

/// Parses `body` iteratively; `None` when it is not valid JSON (the caller reports
/// serde_json's syntax error for it).
pub(crate) fn parse(body: &[u8]) -> Option<Parsed> {
    let mut stack = Vec::new();
    let mut cut_at = None;
    let value = parse_into(body, &mut stack, &mut cut_at)?;
    Some(Parsed {
        value,
        truncated: cut_at.is_some(),
        cut_at,
        error_at: None,
    })
}

/// What Jackson has read of a body that is not valid JSON when it stops at the error, as
/// a document: every container still open is closed where the error is, and the value
/// being read there is left out. `None` when no container was opened. Jackson binds while
/// it reads, so a binding error in this part comes before the syntax error.
pub(crate) fn parse_prefix(body: &[u8]) -> Option<Parsed> {
    let mut stack = Vec::new();
    let mut cut_at = None;
    if let Some(value) = parse_into(body, &mut stack, &mut cut_at) {
        return Some(Parsed {
            value,
            truncated: cut_at.is_some(),
            cut_at,
            error_at: None,
        });
    }
    let error_at = Some(path_of(&stack));
    let mut value: Option<Value> = None;
    while let Some(frame) = stack.pop() {
        let closed = match frame {
            Frame::Array(mut items) => {
                items.extend(value.take());
                Value::Array(items)
            }
            Frame::Object(mut map, pending_key) => {
                // The key a child container was opened for is still pending here; the
                // innermost frame's pending key had no value yet and is left out.
                if let (Some(key), Some(inner)) = (pending_key, value.take()) {
                    map.insert(key, inner);
                }
                Value::Object(map)
            }
        };
        value = Some(closed);
    }
    value.map(|value| Parsed {
        value,
        truncated: cut_at.is_some(),
        cut_at,
        error_at,
    })
}

fn parse_into(body: &[u8], stack: &mut Vec<Frame>, cut_at: &mut Option<Vec<Seg>>) -> Option<Value> {
    let mut r = Reader { s: body, i: 0 };
    let mut done: Option<Value> = None;
    loop {
        // Read one value (or open a container).
        let value = match r.peek()? {
            b'[' | b'{' if stack.len() >= MAX_NESTING_DEPTH => {
                if cut_at.is_none() {
                    *cut_at = Some(path_of(stack));
                }
                let array = r.s[r.i] == b'[';
                r.skip_container()?;
                Some(if array {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                })
            }
            // A container is on the stack from its first character, so a body cut short
            // inside it still shows it (see `parse_prefix`).
            b'[' => {
                r.i += 1;
                stack.push(Frame::Array(Vec::new()));
                if r.peek()? == b']' {
                    r.i += 1;
                    stack.pop();
                    Some(Value::Array(Vec::new()))
                } else {
                    None
                }
            }
            b'{' => {
                r.i += 1;
                stack.push(Frame::Object(Map::new(), None));
                match r.peek()? {
                    b'}' => {
                        r.i += 1;
                        stack.pop();
                        Some(Value::Object(Map::new()))
                    }
                    b'"' => {
                        let key = r.string()?;
                        if r.peek()? != b':' {
                            return None;
                        }
                        r.i += 1;
                        if let Some(Frame::Object(_, pending)) = stack.last_mut() {
                            *pending = Some(key);
                        }
                        None
                    }
                    _ => return None,
                }
            }
            b'"' => Some(Value::String(r.string()?)),
            _ => Some(r.scalar()?),
        };
        let Some(mut value) = value else { continue };
        // Attach the value, closing every container it completes.
        loop {
            match stack.last_mut() {
                None => {
                    done = Some(value);
                    break;
                }
                Some(Frame::Array(items)) => {
                    items.push(value);
                    match r.peek()? {
                        b',' => {
                            r.i += 1;
                            break;
                        }
                        b']' => {
                            r.i += 1;
                            let Some(Frame::Array(items)) = stack.pop() else {
                                return None;
                            };
                            value = Value::Array(items);
                        }
                        _ => return None,
                    }
                }
                Some(Frame::Object(map, key)) => {
                    map.insert(key.take()?, value);
                    match r.peek()? {
                        b',' => {
                            r.i += 1;
                            if r.peek()? != b'"' {
                                return None;
                            }
                            *key = Some(r.string()?);
                            if r.peek()? != b':' {
                                return None;
                            }
                            r.i += 1;
                            break;
                        }
                        b'}' => {
                            r.i += 1;
                            let Some(Frame::Object(map, _)) = stack.pop() else {
                                return None;
                            };
                            value = Value::Object(map);
                        }
                        _ => return None,
                    }
                }
            }
        }
        if let Some(value) = done.take() {
            if r.peek().is_some() {
                return None;
            }
            return Some(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shallow_documents_parse_as_serde_json_does() {
        let text = br#" {"a": [1, 2.5, "x\"y", null, true, {"b": {}}, []], "c": {"d": "e"}} "#;
        let p = parse(text).unwrap();
        assert!(!p.truncated);
        assert_eq!(p.value, serde_json::from_slice::<Value>(text).unwrap());
        assert!(parse(b"{\"a\":}").is_none());
        assert!(parse(b"[1,]").is_none());
        assert!(parse(b"{} x").is_none());
        assert!(parse(b"[").is_none());
    }

    #[test]
    fn deep_documents_are_cut_at_the_limit_without_recursion() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let p = parse(deep.as_bytes()).unwrap();
        assert!(p.truncated);
        assert!(p.value["a"].is_array());
        let ok = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let p = parse(ok.as_bytes()).unwrap();
        assert!(!p.truncated);
        let mut v = &p.value;
        let mut depth = 0;
        while let Some(inner) = v.as_array().and_then(|a| a.first()) {
            v = inner;
            depth += 1;
        }
        assert_eq!(depth, 499);
        assert_eq!(
            parse(b"{\"k\": \"\\u00e9\"}").unwrap().value,
            json!({"k": "é"})
        );
    }
}
