//! Small reproductions of Java library behaviour that leak into user-visible messages.

use rconnect_sdk::config::{ConfigValue, Validator};
use std::sync::Arc;

/// Java `String.hashCode` over UTF-16 code units.
pub(crate) fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The iteration order of a `java.util.HashSet` built by inserting `items` in order
/// (`Collectors.toSet()`), for sets small enough that no bucket is treeified. Java shows
/// this order in some validator messages, so reproducing it keeps those messages equal.
pub(crate) fn hash_set_order(items: &[String]) -> Vec<String> {
    let mut unique: Vec<&String> = Vec::new();
    for i in items {
        if !unique.contains(&i) {
            unique.push(i);
        }
    }
    let mut cap: usize = 16;
    while unique.len() * 4 > cap * 3 {
        cap *= 2;
    }
    let bucket = |s: &str| {
        let h = string_hash(s) as u32;
        ((h ^ (h >> 16)) as usize) & (cap - 1)
    };
    let mut indexed: Vec<(usize, usize, &String)> = unique
        .iter()
        .enumerate()
        .map(|(i, s)| (bucket(s), i, *s))
        .collect();
    indexed.sort();
    indexed.into_iter().map(|(_, _, s)| s.clone()).collect()
}

/// Java `ConfigDef.CaseInsensitiveValidString.in(...)`, with its exact message: the
/// allowed values upper-cased, in `HashSet` order.
pub(crate) fn case_insensitive_valid_string(values: &[&str]) -> Validator {
    let upper: Vec<String> = values.iter().map(|v| v.to_uppercase()).collect();
    let shown = hash_set_order(&upper).join(", ");
    Validator::Custom(Arc::new(move |name: &str, v: &ConfigValue| {
        let s = match v {
            ConfigValue::String(s) => Some(s.as_str()),
            _ => None,
        };
        match s {
            Some(s) if upper.contains(&s.to_uppercase()) => Ok(()),
            _ => {
                let shown_value = v.to_rest_string().unwrap_or_else(|| "null".into());
                Err(config_exception(
                    name,
                    &shown_value,
                    &format!("String must be one of (case insensitive): {shown}"),
                ))
            }
        }
    }))
}

/// Java `ConfigException(name, value, message)` text.
pub(crate) fn config_exception(name: &str, value: &str, message: &str) -> String {
    format!("Invalid value {value} for configuration {name}: {message}")
}

/// Java `List.toString()`: `[a, b]`.
pub(crate) fn list_string(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn string_hash_matches_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("hello"), 99162322);
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn hash_set_order_matches_java_messages() {
        // Orders observed in Java ConfigException messages.
        assert_eq!(
            hash_set_order(&v(&["FALSE", "TRUE"])).join(", "),
            "TRUE, FALSE"
        );
        assert_eq!(
            hash_set_order(&v(&["NONE", "GZIP", "SNAPPY", "ZSTD"])).join(", "),
            "ZSTD, GZIP, NONE, SNAPPY"
        );
        assert_eq!(
            hash_set_order(&v(&["DISABLED", "DOWNGRADE", "UPGRADE", "BIDIRECTIONAL"])).join(", "),
            "DISABLED, DOWNGRADE, UPGRADE, BIDIRECTIONAL"
        );
        assert_eq!(
            hash_set_order(&v(&["EVENT", "WALLCLOCK"])).join(", "),
            "EVENT, WALLCLOCK"
        );
    }

    #[test]
    fn case_insensitive_validator() {
        let val = case_insensitive_valid_string(&["requested", "required"]);
        assert!(val
            .check("k", &ConfigValue::String("REQUIRED".into()))
            .is_ok());
        let e = val
            .check("k", &ConfigValue::String("x".into()))
            .unwrap_err();
        assert!(
            e.starts_with(
                "Invalid value x for configuration k: String must be one of (case insensitive): "
            ),
            "{e}"
        );
        assert!(e.contains("REQUESTED") && e.contains("REQUIRED"));
    }
}
