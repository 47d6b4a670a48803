//! Java regular expressions as `RegexRouter` and `TopicNameMatches` use them: the pattern
//! must match the whole input (`Matcher.matches()`), and replacements use Java's syntax
//! (`$1`, `${name}`, `\$` for a literal dollar).
//!
//! The `regex` crate has no look-around or back-references; such a pattern is refused at
//! configuration time with the key named.

use regex::Regex;

/// A pattern anchored to match a whole string.
#[derive(Debug, Clone)]
pub struct JavaRegex {
    pub source: String,
    whole: Regex,
}

impl JavaRegex {
    /// Compiles `pattern`; the error is the reason, for `Invalid regex: <reason>`.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let whole = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?;
        Ok(JavaRegex {
            source: pattern.to_string(),
            whole,
        })
    }

    /// Java `Pattern.matcher(s).matches()`.
    pub fn matches(&self, s: &str) -> bool {
        self.whole.is_match(s)
    }

    /// `matcher.matches() ? matcher.replaceFirst(replacement) : None`, with a Java
    /// replacement string.
    ///
    /// ```
    /// use rconnect_transforms::java_regex::JavaRegex;
    /// let r = JavaRegex::new("(.*)-raw").unwrap();
    /// assert_eq!(r.replace_whole("orders-raw", "$1-clean").as_deref(), Some("orders-clean"));
    /// assert_eq!(r.replace_whole("orders", "$1"), None);
    /// ```
    pub fn replace_whole(&self, s: &str, replacement: &str) -> Option<String> {
        let caps = self.whole.captures(s)?;
        let mut out = String::new();
        let b: Vec<char> = replacement.chars().collect();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                '\\' if i + 1 < b.len() => {
                    out.push(b[i + 1]);
                    i += 2;
                }
                '$' if i + 1 < b.len() && b[i + 1] == '{' => {
                    let end = (i + 2..b.len()).find(|&j| b[j] == '}').unwrap_or(b.len());
                    let name: String = b[i + 2..end].iter().collect();
                    out.push_str(caps.name(&name).map(|m| m.as_str()).unwrap_or(""));
                    i = end + 1;
                }
                '$' if i + 1 < b.len() && b[i + 1].is_ascii_digit() => {
                    // Java takes further digits while the group number stays valid.
                    let mut n = b[i + 1].to_digit(10).unwrap_or(0) as usize;
                    let mut j = i + 2;
                    while j < b.len() && b[j].is_ascii_digit() {
                        let next = n * 10 + b[j].to_digit(10).unwrap_or(0) as usize;
                        if next >= caps.len() {
                            break;
                        }
                        n = next;
                        j += 1;
                    }
                    out.push_str(caps.get(n).map(|m| m.as_str()).unwrap_or(""));
                    i = j;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Some(out)
    }
}
