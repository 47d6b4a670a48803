//! Small reproductions of Java library behaviour that leak into user-visible messages.

use rconnect_sdk::config::Validator;

/// Java `ConfigDef.CaseInsensitiveValidString.in(...)`; the SDK's validator reproduces its
/// message (the allowed values upper-cased, in `HashSet` order).
pub(crate) fn case_insensitive_valid_string(values: &[&str]) -> Validator {
    Validator::CaseInsensitiveValidString(values.iter().map(|v| v.to_string()).collect())
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
    use rconnect_sdk::config::{java_hash_set_order as hash_set_order, ConfigValue};

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
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
