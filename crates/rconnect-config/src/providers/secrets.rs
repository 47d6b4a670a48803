//! The values config providers resolved, to take them out of text shown to users.
//!
//! Java answers validation with resolved values and lets them through in failure traces;
//! here every text built from resolved values (validation errors, status traces, log lines)
//! goes through [`Secrets::redact`], which puts each value's `${provider:path:key}` back.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};

/// Resolved values and the reference each came from.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// value -> reference.
    by_value: BTreeMap<String, String>,
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
    }

    /// Adds every value of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for (v, r) in &other.by_value {
            self.by_value.entry(v.clone()).or_insert_with(|| r.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// `text` with every resolved value replaced by its reference, longest values first
    /// and in one pass (a reference put in is not searched again). Short values such as
    /// `1` are replaced too: a garbled message is better than a leaked one.
    pub fn redact(&self, text: &str) -> String {
        if self.by_value.is_empty() {
            return text.to_string();
        }
        let (values, refs): (Vec<&str>, Vec<&str>) = self
            .by_value
            .iter()
            .map(|(v, r)| (v.as_str(), r.as_str()))
            .unzip();
        match AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&values)
        {
            Ok(ac) => ac.replace_all(text, &refs),
            // Too many or too long values to build a matcher: say nothing rather than leak.
            Err(_) => "<message withheld: it may contain config provider values>".to_string(),
        }
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
        assert_eq!(format!("{s:?}"), "Secrets(3 values)");
    }

    #[test]
    fn a_value_inside_a_reference_is_not_replaced_again() {
        let mut s = Secrets::default();
        s.add("file", "${file:/s:file}");
        assert_eq!(s.redact("a file"), "a ${file:/s:file}");
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
