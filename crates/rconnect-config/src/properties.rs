//! Java `.properties` parsing, byte for byte as `java.util.Properties.load(InputStream)`.
//!
//! The input is ISO-8859-1: every byte becomes the char with the same code point, so a
//! UTF-8 `é` (C3 A9) reads as the two chars `Ã©`, exactly as a Java worker sees it.
//! Characters outside Latin-1 must be written as `\uXXXX`.

use crate::ConfigError;
use rconnect_sdk::Props;
use std::path::Path;

/// A malformed `\uXXXX` escape, the only error `Properties.load` raises on content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Malformed \\uxxxx encoding. (line {line})")]
pub struct PropertiesError {
    /// The 1-based natural line on which the malformed escape starts.
    pub line: usize,
}

/// One logical line: its chars (as Latin-1 code units) and, for each char, the natural
/// line it came from, so errors can point at the right line after continuations.
struct LogicalLine {
    chars: Vec<u8>,
    lines: Vec<usize>,
}

/// Splits the input into logical lines with Java `Properties.LineReader` rules.
fn logical_lines(bytes: &[u8]) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut buf_lines: Vec<usize> = Vec::new();
    let mut line_no = 1usize;
    let mut skip_white = true;
    let mut appended_line_begin = false;
    let mut is_new_line = true;
    let mut is_comment = false;
    let mut preceding_backslash = false;
    let mut i = 0usize;

    while i < bytes.len() {
        let c = bytes[i];
        i += 1;

        if skip_white {
            if c == b' ' || c == b'\t' || c == 0x0c {
                continue;
            }
            if !appended_line_begin && (c == b'\r' || c == b'\n') {
                // A blank line: still advance the line counter.
                if c == b'\n' || (c == b'\r' && bytes.get(i) != Some(&b'\n')) {
                    line_no += 1;
                }
                continue;
            }
            skip_white = false;
            appended_line_begin = false;
        }
        if is_new_line {
            is_new_line = false;
            if c == b'#' || c == b'!' {
                is_comment = true;
            }
        }
        if c != b'\n' && c != b'\r' {
            if !is_comment {
                buf.push(c);
                buf_lines.push(line_no);
                preceding_backslash = if c == b'\\' {
                    !preceding_backslash
                } else {
                    false
                };
            }
            continue;
        }

        // End of a natural line.
        let crlf = c == b'\r' && bytes.get(i) == Some(&b'\n');
        line_no += 1;
        if is_comment || buf.is_empty() {
            if crlf {
                i += 1;
            }
            is_comment = false;
            is_new_line = true;
            skip_white = true;
            preceding_backslash = false;
            buf.clear();
            buf_lines.clear();
            continue;
        }
        if preceding_backslash {
            // The backslash before the line break is not part of the line.
            buf.pop();
            buf_lines.pop();
            skip_white = true;
            appended_line_begin = true;
            preceding_backslash = false;
            if crlf {
                i += 1;
            }
        } else {
            if crlf {
                i += 1;
            }
            out.push(LogicalLine {
                chars: std::mem::take(&mut buf),
                lines: std::mem::take(&mut buf_lines),
            });
            is_new_line = true;
            skip_white = true;
        }
    }
    if !buf.is_empty() && !is_comment {
        if preceding_backslash {
            // A backslash at the very end of the input is dropped, as in Java.
            buf.pop();
            buf_lines.pop();
        }
        out.push(LogicalLine {
            chars: buf,
            lines: buf_lines,
        });
    }
    out
}

/// Java `Properties.loadConvert`: resolves escapes in `chars[start..end]`.
fn convert(line: &LogicalLine, start: usize, end: usize) -> Result<String, PropertiesError> {
    let chars = &line.chars;
    let mut units: Vec<u16> = Vec::with_capacity(end.saturating_sub(start));
    let mut i = start;
    while i < end {
        let c = chars[i];
        i += 1;
        if c != b'\\' {
            units.push(c as u16);
            continue;
        }
        if i >= end {
            // Unreachable with LineReader output (an odd trailing backslash continues the
            // line), kept so a stray backslash can never index out of bounds.
            break;
        }
        let e = chars[i];
        i += 1;
        match e {
            b'u' => {
                let err = PropertiesError {
                    line: line.lines[i - 2],
                };
                if i + 4 > end {
                    return Err(err);
                }
                let mut value: u16 = 0;
                for &h in &chars[i..i + 4] {
                    let d = (h as char).to_digit(16).ok_or_else(|| err.clone())?;
                    value = (value << 4) | d as u16;
                }
                i += 4;
                units.push(value);
            }
            b't' => units.push(b'\t' as u16),
            b'r' => units.push(b'\r' as u16),
            b'n' => units.push(b'\n' as u16),
            b'f' => units.push(0x0c),
            other => units.push(other as u16),
        }
    }
    // Java strings are UTF-16: `\uD83D\uDE00` pairs become one char; a lone surrogate has
    // no Rust equivalent and becomes U+FFFD.
    Ok(String::from_utf16_lossy(&units))
}

/// Parses `.properties` bytes exactly as Java `Properties.load(InputStream)` does.
///
/// ```
/// let p = rconnect_config::parse_properties(b"a=1  \nkey value\n# comment\n").unwrap();
/// assert_eq!(p["a"], "1  ");
/// assert_eq!(p["key"], "value");
/// ```
pub fn parse_properties(bytes: &[u8]) -> Result<Props, PropertiesError> {
    let mut props = Props::new();
    for line in logical_lines(bytes) {
        let limit = line.chars.len();
        let mut key_len = 0;
        let mut value_start = limit;
        let mut has_sep = false;
        let mut preceding_backslash = false;
        while key_len < limit {
            let c = line.chars[key_len];
            if (c == b'=' || c == b':') && !preceding_backslash {
                value_start = key_len + 1;
                has_sep = true;
                break;
            } else if (c == b' ' || c == b'\t' || c == 0x0c) && !preceding_backslash {
                value_start = key_len + 1;
                break;
            }
            preceding_backslash = if c == b'\\' {
                !preceding_backslash
            } else {
                false
            };
            key_len += 1;
        }
        while value_start < limit {
            let c = line.chars[value_start];
            if c != b' ' && c != b'\t' && c != 0x0c {
                if !has_sep && (c == b'=' || c == b':') {
                    has_sep = true;
                } else {
                    break;
                }
            }
            value_start += 1;
        }
        let key = convert(&line, 0, key_len)?;
        let value = convert(&line, value_start, limit)?;
        props.insert(key, value);
    }
    Ok(props)
}

/// Reads and parses a `.properties` file; errors name the file.
///
/// This does blocking I/O: call it from `spawn_blocking` (or at startup, before the
/// runtime serves requests).
pub fn load_properties_file(path: &Path) -> Result<Props, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_properties(&bytes).map_err(|e| ConfigError::Properties {
        path: path.to_path_buf(),
        line: e.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[u8]) -> Props {
        parse_properties(s).unwrap()
    }

    fn one(s: &[u8], key: &str) -> String {
        p(s).get(key)
            .cloned()
            .unwrap_or_else(|| panic!("no key {key:?} in {:?}", p(s)))
    }

    #[test]
    fn latin1_each_byte_is_one_char() {
        assert_eq!(one(b"k=\xc3\xa9", "k"), "\u{c3}\u{a9}");
        assert_eq!(one(b"k=\xc3\xa9", "k"), "Ã©");
        assert_eq!(one(b"\xff=x", "\u{ff}"), "x");
    }

    #[test]
    fn natural_line_endings_lf_cr_crlf() {
        let props = p(b"a=1\nb=2\rc=3\r\nd=4");
        assert_eq!(props.len(), 4);
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
        assert_eq!(props["c"], "3");
        assert_eq!(props["d"], "4");
    }

    #[test]
    fn lone_cr_separates_lines() {
        let props = p(b"a=1\rb=2\r");
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
    }

    #[test]
    fn leading_whitespace_skipped_blank_lines_ignored() {
        let props = p(b"   a=1\n\t\x0cb=2\n\n   \n\r\n");
        assert_eq!(props.len(), 2);
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
    }

    #[test]
    fn comments_hash_and_bang_not_continuable() {
        let props = p(b"# a=1\n  ! b=2\nc=3\n#comment \\\nd=4\n");
        assert_eq!(props.len(), 2, "{props:?}");
        assert_eq!(props["c"], "3");
        assert_eq!(props["d"], "4");
        // A `#` that is not the first non-blank char is data.
        assert_eq!(one(b"e=#x", "e"), "#x");
    }

    #[test]
    fn continuation_spec_example() {
        assert_eq!(one(b"e=x\\\n    y\\\n  z", "e"), "xyz");
    }

    #[test]
    fn continuation_odd_vs_even_backslashes() {
        // Three backslashes: one escaped backslash plus a continuation.
        assert_eq!(one(b"a=x\\\\\\\n  y", "a"), "x\\y");
        // Two backslashes: an escaped backslash, no continuation.
        let props = p(b"a=x\\\\\n  y");
        assert_eq!(props["a"], "x\\");
        assert_eq!(props["y"], "");
    }

    #[test]
    fn continuation_with_crlf_and_cr() {
        assert_eq!(one(b"a=1\\\r\n   2\r\nb=3", "a"), "12");
        assert_eq!(one(b"a=1\\\r   2\rb=3", "a"), "12");
        assert_eq!(one(b"a=1\\\r\n   2\r\nb=3", "b"), "3");
    }

    #[test]
    fn continuation_line_starting_with_hash_is_data() {
        assert_eq!(one(b"a=1\\\n  #2", "a"), "1#2");
    }

    #[test]
    fn continuation_onto_empty_line_ends_value() {
        let props = p(b"a=1\\\n\nb=2");
        assert_eq!(props["a"], "1");
        assert_eq!(props["b"], "2");
    }

    #[test]
    fn trailing_backslash_at_eof_dropped() {
        assert_eq!(one(b"a=1\\", "a"), "1");
    }

    #[test]
    fn separators() {
        assert_eq!(one(b"key=value", "key"), "value");
        assert_eq!(one(b"key:value", "key"), "value");
        assert_eq!(one(b"key value", "key"), "value");
        assert_eq!(one(b"key: value", "key"), "value");
        assert_eq!(one(b"key   =   value", "key"), "value");
        assert_eq!(one(b"key\t:\tvalue", "key"), "value");
        // Only one separator is consumed; a second one is part of the value.
        assert_eq!(one(b"key==value", "key"), "=value");
        assert_eq!(one(b"key = :value", "key"), ":value");
        assert_eq!(one(b"key value=x", "key"), "value=x");
    }

    #[test]
    fn key_without_separator_has_empty_value() {
        assert_eq!(one(b"lonely", "lonely"), "");
        assert_eq!(one(b"lonely   ", "lonely"), "");
        assert_eq!(one(b"k=", "k"), "");
    }

    #[test]
    fn trailing_whitespace_of_value_kept() {
        assert_eq!(one(b"a=1  ", "a"), "1  ");
        assert_eq!(one(b"a=1\t\n", "a"), "1\t");
    }

    #[test]
    fn escaped_separators_in_key() {
        assert_eq!(one(b"a\\=b=c", "a=b"), "c");
        assert_eq!(one(b"a\\:b:c", "a:b"), "c");
        assert_eq!(one(b"a\\ b c", "a b"), "c");
        assert_eq!(one(b"\\#notcomment=1", "#notcomment"), "1");
        // An escaped backslash does not escape the following separator.
        assert_eq!(one(b"a\\\\=b", "a\\"), "b");
    }

    #[test]
    fn escapes() {
        assert_eq!(one(b"k=\\t\\n\\r\\f", "k"), "\t\n\r\u{0c}");
        assert_eq!(one(b"k=\\u0041\\u00e9\\u20AC", "k"), "A\u{e9}\u{20ac}");
        assert_eq!(one(b"k=\\q\\\\\\=\\:", "k"), "q\\=:");
        assert_eq!(one(b"k=\\uD83D\\uDE00", "k"), "\u{1F600}");
    }

    #[test]
    fn malformed_unicode_escape_names_line() {
        assert_eq!(parse_properties(b"a=1\n\nb=\\u12G4").unwrap_err().line, 3);
        assert_eq!(parse_properties(b"b=\\u12").unwrap_err().line, 1);
        // The line is the natural line of the escape, even after a continuation.
        assert_eq!(parse_properties(b"a=1\\\n  \\uZZZZ").unwrap_err().line, 2);
        assert_eq!(
            parse_properties(b"\\uXY=1").unwrap_err().to_string(),
            "Malformed \\uxxxx encoding. (line 1)"
        );
    }

    #[test]
    fn duplicate_keys_last_wins() {
        assert_eq!(one(b"a=1\na=2\na=3", "a"), "3");
    }

    #[test]
    fn load_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.properties");
        let e = load_properties_file(&missing).unwrap_err();
        assert!(e.to_string().contains("nope.properties"), "{e}");

        let bad = dir.path().join("bad.properties");
        std::fs::write(&bad, b"ok=1\nbad=\\uQQQQ\n").unwrap();
        let e = load_properties_file(&bad).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("bad.properties") && msg.contains("line 2"),
            "{msg}"
        );

        let good = dir.path().join("good.properties");
        std::fs::write(&good, b"x = y\n").unwrap();
        assert_eq!(load_properties_file(&good).unwrap()["x"], "y");
    }
}
