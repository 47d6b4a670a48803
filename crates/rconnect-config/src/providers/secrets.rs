//! The values config providers resolved, to take them out of text shown to users.
//!
//! Java answers validation with resolved values and lets them through in failure traces;
//! here every text built from resolved values (validation errors, status traces, log lines)
//! goes through [`Secrets::redact`], which puts each value's `${provider:path:key}` back.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// Resolved values and the reference each came from.
#[derive(Clone, Default)]
pub struct Secrets {
    /// value -> reference.
    by_value: BTreeMap<String, String>,
    /// The matcher over the values, built on first use after a change (`None` when the
    /// values are too many or too long for one).
    matcher: OnceLock<Option<AhoCorasick>>,
}

/// From this many characters on, a value is replaced wherever it appears; a shorter one
/// only where it is a whole word (or its edge is not a word character), so that a value
/// such as `t` or `1` does not garble every word holding that letter.
const ANYWHERE_CHARS: usize = 8;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `value`, found at `start..end` of `text`, is to be replaced there.
fn stands_alone(text: &str, start: usize, end: usize, value: &str) -> bool {
    if value.chars().count() >= ANYWHERE_CHARS {
        return true;
    }
    let left_ok = !value.chars().next().is_some_and(is_word)
        || !text[..start].chars().next_back().is_some_and(is_word);
    let right_ok = !value.chars().next_back().is_some_and(is_word)
        || !text[end..].chars().next().is_some_and(is_word);
    left_ok && right_ok
}

/// Never shows the values.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.by_value.len())
    }
}

impl Secrets {
    /// Records that `reference` resolved to `value`. A value with surrounding whitespace
    /// (a file's trailing newline) is recorded trimmed too, as it often shows up trimmed.
    pub fn add(&mut self, value: &str, reference: &str) {
        for v in [value, value.trim()] {
            if !v.is_empty() {
                self.by_value
                    .entry(v.to_string())
                    .or_insert_with(|| reference.to_string());
            }
        }
        self.matcher = OnceLock::new();
    }

    /// Adds every value of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for (v, r) in &other.by_value {
            self.by_value.entry(v.clone()).or_insert_with(|| r.clone());
        }
        self.matcher = OnceLock::new();
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// `text` with every resolved value replaced by its reference: the longest match first,
    /// in one pass (a reference put in is not searched again). Values of fewer than 8
    /// characters are replaced only where they stand alone (see [`ANYWHERE_CHARS`]).
    pub fn redact(&self, text: &str) -> String {
        if self.by_value.is_empty() {
            return text.to_string();
        }
        let matcher = self.matcher.get_or_init(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(self.by_value.keys())
                .ok()
        });
        let Some(ac) = matcher else {
            // Too many or too long values to build a matcher: say nothing rather than leak.
            return "<message withheld: it may contain config provider values>".to_string();
        };
        let entries: Vec<(&String, &String)> = self.by_value.iter().collect();
        let mut found: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .filter(|m| stands_alone(text, m.start(), m.end(), entries[m.pattern().as_usize()].0))
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        found.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (start, end, pattern) in found {
            if start < pos {
                continue;
            }
            out.push_str(&text[pos..start]);
            out.push_str(entries[pattern].1);
            pos = end;
        }
        out.push_str(&text[pos..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_each_value_by_its_reference() {
        let mut s = Secrets::default();
        s.add("hunter2\n", "${dir:/run/secrets:pw}");
        s.add("hunter", "${env:SHORT}");
        s.add("", "${env:EMPTY}");
        assert_eq!(
            s.redact("login failed for hunter2 and hunter2\n (hunter)"),
            "login failed for ${dir:/run/secrets:pw} and ${dir:/run/secrets:pw} (${env:SHORT})"
        );
        assert_eq!(s.redact("nothing here"), "nothing here");
        // A value added after a first use is redacted too.
        s.add("late-value", "${env:LATE}");
        assert_eq!(s.redact("x late-value"), "x ${env:LATE}");
        assert_eq!(format!("{s:?}"), "Secrets(4 values)");
    }

    #[test]
    fn a_value_inside_a_reference_is_not_replaced_again() {
        let mut s = Secrets::default();
        s.add("file", "${file:/s:file}");
        assert_eq!(s.redact("a file"), "a ${file:/s:file}");
        s.add("file-secret-long", "${env:F}");
        assert_eq!(s.redact("file-secret-long"), "${env:F}");
    }

    #[test]
    fn short_values_only_where_they_stand_alone() {
        let mut s = Secrets::default();
        s.add("t", "${file:/s:topic}");
        s.add("1", "${file:/s:tasks}");
        s.add("pw", "${env:PW}");
        assert_eq!(
            s.redact("topic t, task 1 of connector test (pw=x, pwd)"),
            "topic ${file:/s:topic}, task ${file:/s:tasks} of connector test (${env:PW}=x, pwd)"
        );
        // A long value is replaced inside words too.
        s.add("LongSecret99", "${env:L}");
        assert_eq!(s.redact("xLongSecret99y"), "x${env:L}y");
        // A value with non-word edges matches next to words.
        s.add("/p", "${env:P}");
        assert_eq!(s.redact("a/p"), "a${env:P}");
    }

    #[test]
    fn extend_keeps_both() {
        let mut a = Secrets::default();
        a.add("one-secret", "${env:A}");
        let mut b = Secrets::default();
        b.add("two-secret", "${env:B}");
        a.extend(&b);
        assert_eq!(a.redact("one-secret two-secret"), "${env:A} ${env:B}");
        assert!(!a.is_empty());
        assert!(Secrets::default().is_empty());
    }
}
