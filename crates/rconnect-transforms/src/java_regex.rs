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
    /// replacement string; the error is Java's message for a bad group reference.
    ///
    /// ```
    /// use rconnect_transforms::java_regex::JavaRegex;
    /// let r = JavaRegex::new("(.*)-raw").unwrap();
    /// assert_eq!(r.replace_whole("orders-raw", "$1-clean").unwrap().as_deref(), Some("orders-clean"));
    /// assert_eq!(r.replace_whole("orders", "$1").unwrap(), None);
    /// assert_eq!(r.replace_whole("orders-raw", "$2").unwrap_err(), "No group 2");
    /// ```
    pub fn replace_whole(&self, s: &str, replacement: &str) -> Result<Option<String>, String> {
        let Some(caps) = self.whole.captures(s) else {
            return Ok(None);
        };
        // Group 0 is the whole match; `caps.len()` counts it.
        let group_count = caps.len() - 1;
        let mut out = String::new();
        let b: Vec<char> = replacement.chars().collect();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                '\\' => {
                    let c = b.get(i + 1).ok_or("character to be escaped is missing")?;
                    out.push(*c);
                    i += 2;
                }
                '$' => {
                    i += 1;
                    match b.get(i) {
                        None => {
                            return Err("Illegal group reference: group index is missing".into())
                        }
                        Some('{') => {
                            let end = (i + 1..b.len())
                                .find(|&j| b[j] == '}')
                                .ok_or("named capturing group is missing trailing '}'")?;
                            let name: String = b[i + 1..end].iter().collect();
                            if name.is_empty() {
                                return Err("named capturing group has 0 length name".into());
                            }
                            let m = caps
                                .name(&name)
                                .map(|m| m.as_str())
                                .or_else(|| {
                                    self.whole
                                        .capture_names()
                                        .flatten()
                                        .any(|n| n == name)
                                        .then_some("")
                                })
                                .ok_or_else(|| format!("No group with name {{{name}}}"))?;
                            out.push_str(m);
                            i = end + 1;
                        }
                        Some(c) if c.is_ascii_digit() => {
                            // Java reads one digit, then more while the number stays a group.
                            let mut n = c.to_digit(10).unwrap_or(0) as usize;
                            i += 1;
                            while let Some(d) = b.get(i).and_then(|c| c.to_digit(10)) {
                                let next = n * 10 + d as usize;
                                if next > group_count {
                                    break;
                                }
                                n = next;
                                i += 1;
                            }
                            if n > group_count {
                                return Err(format!("No group {n}"));
                            }
                            out.push_str(caps.get(n).map(|m| m.as_str()).unwrap_or(""));
                        }
                        Some(_) => return Err("Illegal group reference".into()),
                    }
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Ok(Some(out))
    }
}
