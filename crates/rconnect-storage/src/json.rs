//! Compact JSON output as Jackson writes it (internals.md §1): no spaces, `/` not escaped,
//! non-ASCII raw, control characters as `\b \t \n \f \r` or `\u00XX` with upper-case hex.
//! serde_json differs in the last point (lower-case hex), hence this writer.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `s` as a string literal, or `null`.
pub(crate) fn opt_string(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

/// Appends a string-to-string map in its iteration order.
pub(crate) fn string_map<'a>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a String, &'a String)>,
) {
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, k);
        out.push(':');
        string(out, v);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_jackson() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c/d\u{1}\u{1f}\n\t\r\u{8}\u{c}é€\u{7f}");
        assert_eq!(
            out,
            "\"a\\\"b\\\\c/d\\u0001\\u001F\\n\\t\\r\\b\\fé€\u{7f}\""
        );
    }
}
