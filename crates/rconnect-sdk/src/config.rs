//! Configuration definitions (Java `ConfigDef`): what keys a component accepts, their
//! types, defaults and validators, and Java's parsing rules for typed values.

use crate::error::{ConnectError, ConnectResult};
use crate::Props;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Java `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The upper-case name REST shows (`INT`, `LIST`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// Java `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// Java `ConfigDef.Width`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn name(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(String),
}

impl ConfigValue {
    /// The value as Java's REST layer stringifies it (lists comma-joined, passwords hidden).
    pub fn to_rest_string(&self) -> Option<String> {
        Some(match self {
            ConfigValue::Null => return None,
            ConfigValue::Boolean(b) => b.to_string(),
            ConfigValue::String(s) | ConfigValue::Class(s) => s.clone(),
            ConfigValue::Int(i) => i.to_string(),
            ConfigValue::Short(i) => i.to_string(),
            ConfigValue::Long(i) => i.to_string(),
            ConfigValue::Double(d) => crate::data::logical::java_float_string(*d, false),
            ConfigValue::List(l) => l.join(","),
            ConfigValue::Password(_) => "[hidden]".to_string(),
        })
    }
}

/// A key's default: none (the key is required), `null`, or a value in string form.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    Required,
    Null,
    Value(String),
}

/// A check on a parsed value; the error text follows Java's validators.
#[derive(Clone)]
pub enum Validator {
    /// `ConfigDef.Range.atLeast/between`.
    Range { min: Option<f64>, max: Option<f64> },
    /// `ConfigDef.ValidString.in(...)`, case-sensitive.
    ValidString(Vec<String>),
    /// `CaseInsensitiveValidString`.
    CaseInsensitiveValidString(Vec<String>),
    /// `ConfigDef.NonEmptyString`.
    NonEmptyString,
    /// Anything else.
    Custom(CustomValidator),
}

/// A validator written in code: given the key and its parsed value, the reason it is invalid.
pub type CustomValidator = Arc<dyn Fn(&str, &ConfigValue) -> Result<(), String> + Send + Sync>;

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Validator::Range { min, max } => write!(f, "Range({min:?}, {max:?})"),
            Validator::ValidString(v) => write!(f, "ValidString({v:?})"),
            Validator::CaseInsensitiveValidString(v) => {
                write!(f, "CaseInsensitiveValidString({v:?})")
            }
            Validator::NonEmptyString => write!(f, "NonEmptyString"),
            Validator::Custom(_) => write!(f, "Custom"),
        }
    }
}

impl Validator {
    pub fn at_least(min: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: None,
        }
    }
    pub fn between(min: f64, max: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: Some(max),
        }
    }

    /// `Ok` or Java's message: `Invalid value X for configuration K: reason`.
    pub fn check(&self, key: &str, v: &ConfigValue) -> Result<(), String> {
        let shown = v.to_rest_string().unwrap_or_else(|| "null".into());
        match self {
            Validator::Range { min, max } => {
                let n = match v {
                    ConfigValue::Int(i) => *i as f64,
                    ConfigValue::Short(i) => *i as f64,
                    ConfigValue::Long(i) => *i as f64,
                    ConfigValue::Double(d) => *d,
                    ConfigValue::Null => {
                        return Err(format!(
                            "Invalid value null for configuration {key}: Value must be non-null"
                        ))
                    }
                    _ => return Ok(()),
                };
                let fmt = |x: f64| {
                    if x.fract() == 0.0 {
                        format!("{}", x as i64)
                    } else {
                        x.to_string()
                    }
                };
                if let Some(lo) = min {
                    if n < *lo {
                        return Err(format!("Invalid value {shown} for configuration {key}: Value must be at least {}", fmt(*lo)));
                    }
                }
                if let Some(hi) = max {
                    if n > *hi {
                        return Err(format!("Invalid value {shown} for configuration {key}: Value must be no more than {}", fmt(*hi)));
                    }
                }
                Ok(())
            }
            Validator::ValidString(allowed) => {
                let s = match v {
                    ConfigValue::String(s) => s,
                    ConfigValue::Null => return Ok(()),
                    _ => return Ok(()),
                };
                if allowed.iter().any(|a| a == s) {
                    Ok(())
                } else {
                    Err(format!(
                        "Invalid value {s} for configuration {key}: String must be one of: {}",
                        allowed.join(", ")
                    ))
                }
            }
            Validator::CaseInsensitiveValidString(allowed) => {
                // Java keeps the values upper-cased in a HashSet and lists them in its order;
                // a null is not in the set.
                let upper: Vec<String> = allowed.iter().map(|a| a.to_uppercase()).collect();
                if let ConfigValue::String(s) = v {
                    if upper.contains(&s.to_uppercase()) {
                        return Ok(());
                    }
                }
                Err(format!(
                    "Invalid value {shown} for configuration {key}: String must be one of (case insensitive): {}",
                    java_hash_set_order(&upper).join(", ")
                ))
            }
            // Java's `NonEmptyString` lets `null` through (`s != null && s.isEmpty()`).
            Validator::NonEmptyString => match v {
                ConfigValue::String(s) if !s.is_empty() => Ok(()),
                ConfigValue::Null => Ok(()),
                _ => Err(format!(
                    "Invalid value {shown} for configuration {key}: String must be non-empty"
                )),
            },
            Validator::Custom(f) => f(key, v),
        }
    }
}

/// One key of a [`ConfigDef`].
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub config_type: ConfigType,
    pub default: Default,
    pub validator: Option<Validator>,
    pub importance: Importance,
    pub documentation: String,
    pub group: Option<String>,
    /// Position within the group; -1 when not set (Java's default).
    pub order_in_group: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
}

impl ConfigKey {
    /// A key with `Width::None`, no group and the name as display name.
    pub fn new(
        name: &str,
        t: ConfigType,
        default: Default,
        importance: Importance,
        doc: &str,
    ) -> Self {
        ConfigKey {
            name: name.to_string(),
            config_type: t,
            default,
            validator: None,
            importance,
            documentation: doc.to_string(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            display_name: name.to_string(),
            dependents: Vec::new(),
        }
    }
    pub fn validator(mut self, v: Validator) -> Self {
        self.validator = Some(v);
        self
    }
    pub fn group(mut self, group: &str, order: i32, width: Width, display_name: &str) -> Self {
        self.group = Some(group.to_string());
        self.order_in_group = order;
        self.width = width;
        self.display_name = display_name.to_string();
        self
    }
    pub fn is_required(&self) -> bool {
        self.default == Default::Required
    }
}

/// The result of validating one key, as `PUT .../config/validate` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValueReport {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

/// An ordered set of [`ConfigKey`]s.
///
/// ```
/// use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator};
/// use rconnect_sdk::Props;
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("topic", ConfigType::String, Default::Required, Importance::High, "Topic")
///         .validator(Validator::NonEmptyString))
///     .define(ConfigKey::new("batch.size", ConfigType::Int, Default::Value("2000".into()), Importance::Low, "Batch"));
/// let mut props = Props::new();
/// props.insert("topic".into(), "lines".into());
/// let parsed = def.parse(&props).unwrap();
/// assert_eq!(parsed.get("batch.size"), Some(&ConfigValue::Int(2000)));
/// props.insert("batch.size".into(), "x".into());
/// assert!(def.parse(&props).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        ConfigDef { keys: Vec::new() }
    }
    /// Adds a key; a later definition of the same name replaces the earlier one in its
    /// place, so the key keeps its position (Java lists keys in definition order, e.g. in
    /// validation answers).
    pub fn define(mut self, key: ConfigKey) -> Self {
        match self.keys.iter_mut().find(|k| k.name == key.name) {
            Some(existing) => *existing = key,
            None => self.keys.push(key),
        }
        self
    }
    /// Adds every key of `other` this definition lacks.
    pub fn merge_missing(mut self, other: &ConfigDef) -> Self {
        for k in &other.keys {
            if self.key(&k.name).is_none() {
                self.keys.push(k.clone());
            }
        }
        self
    }
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }
    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Parses and validates every defined key; the first error is returned.
    pub fn parse(&self, props: &Props) -> ConnectResult<ParsedConfig> {
        let mut values = BTreeMap::new();
        for k in &self.keys {
            let v = self.parse_key(k, props).map_err(ConnectError::Config)?;
            values.insert(k.name.clone(), v);
        }
        Ok(ParsedConfig { values })
    }

    fn parse_key(&self, k: &ConfigKey, props: &Props) -> Result<ConfigValue, String> {
        let raw = match (props.get(&k.name), &k.default) {
            (Some(v), _) => Some(v.as_str()),
            (None, Default::Required) => {
                return Err(format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    k.name
                ));
            }
            (None, Default::Null) => None,
            (None, Default::Value(d)) => Some(d.as_str()),
        };
        let v = match raw {
            None => ConfigValue::Null,
            Some(s) => parse_type(&k.name, k.config_type, s)?,
        };
        if let Some(val) = &k.validator {
            val.check(&k.name, &v)?;
        }
        Ok(v)
    }

    /// Validates every defined key without stopping at the first error (Java
    /// `ConfigDef.validate`), one report per key in definition order.
    ///
    /// As Java's `parseForValidate`: a value that does not parse (or a missing required
    /// one) is reported as `null`, and the validator runs on the parsed value, or on `null`
    /// when there is none, so a bad value can carry two errors (e.g. `Not a number of type
    /// INT` and `Value must be non-null`). A value that parses but fails its validator is
    /// still shown.
    pub fn validate(&self, props: &Props) -> Vec<ConfigValueReport> {
        self.keys
            .iter()
            .map(|k| {
                let (parsed, mut shown, mut errors) = match (props.get(&k.name), &k.default) {
                    (Some(raw), _) => match parse_type(&k.name, k.config_type, raw) {
                        Ok(v) => (Some(v), Some(raw.clone()), Vec::new()),
                        Err(e) => (None, None, vec![e]),
                    },
                    (None, Default::Required) => (
                        None,
                        None,
                        vec![format!(
                            "Missing required configuration \"{}\" which has no default value.",
                            k.name
                        )],
                    ),
                    (None, Default::Null) => (Some(ConfigValue::Null), None, Vec::new()),
                    (None, Default::Value(d)) => (
                        parse_type(&k.name, k.config_type, d).ok(),
                        Some(d.clone()),
                        Vec::new(),
                    ),
                };
                if let Some(validator) = &k.validator {
                    let checked = parsed.as_ref().unwrap_or(&ConfigValue::Null);
                    if let Err(e) = validator.check(&k.name, checked) {
                        // Java resolves a CLASS value while parsing it: a class that is not
                        // found is a parse error there, so the value is not shown.
                        if k.config_type == ConfigType::Class && e.ends_with("could not be found.")
                        {
                            shown = None;
                        }
                        errors.push(e);
                    }
                }
                let value = if k.config_type == ConfigType::Password && shown.is_some() {
                    Some("[hidden]".into())
                } else {
                    shown
                };
                ConfigValueReport {
                    name: k.name.clone(),
                    value,
                    recommended_values: Vec::new(),
                    errors,
                    visible: true,
                }
            })
            .collect()
    }
}

/// Parses `raw` as type `t` with Java's rules: values are trimmed first; booleans are
/// case-insensitive `true`/`false`; lists split on commas with blanks trimmed.
pub fn parse_type(name: &str, t: ConfigType, raw: &str) -> Result<ConfigValue, String> {
    let s = raw.trim();
    // Java's `ConfigDef#parseType` parses a String with `Integer.parseInt` etc., whose
    // NumberFormatException becomes "Not a number of type INT" (with the value as given).
    let bad = |type_name: &str| {
        format!("Invalid value {raw} for configuration {name}: Not a number of type {type_name}")
    };
    Ok(match t {
        ConfigType::Boolean => {
            if s.eq_ignore_ascii_case("true") {
                ConfigValue::Boolean(true)
            } else if s.eq_ignore_ascii_case("false") {
                ConfigValue::Boolean(false)
            } else {
                return Err(format!("Invalid value {s} for configuration {name}: Expected value to be either true or false"));
            }
        }
        ConfigType::String => ConfigValue::String(s.to_string()),
        ConfigType::Password => ConfigValue::Password(s.to_string()),
        ConfigType::Class => ConfigValue::Class(s.to_string()),
        ConfigType::Int => ConfigValue::Int(s.parse().map_err(|_| bad("INT"))?),
        ConfigType::Short => ConfigValue::Short(s.parse().map_err(|_| bad("SHORT"))?),
        ConfigType::Long => ConfigValue::Long(s.parse().map_err(|_| bad("LONG"))?),
        ConfigType::Double => ConfigValue::Double(s.parse().map_err(|_| bad("DOUBLE"))?),
        ConfigType::List => ConfigValue::List(parse_list(s)),
    })
}

/// Java's LIST parsing: an empty or blank string is an empty list; otherwise split on
/// commas and trim each element (`a,,b` keeps an empty middle element).
pub fn parse_list(s: &str) -> Vec<String> {
    if s.trim().is_empty() {
        Vec::new()
    } else {
        s.split(',').map(|x| x.trim().to_string()).collect()
    }
}

/// The typed values of a parsed configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedConfig {
    values: BTreeMap<String, ConfigValue>,
}

impl ParsedConfig {
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key)
    }
    /// A STRING/CLASS/PASSWORD value; `None` for null or an undefined key.
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.values.get(key)? {
            ConfigValue::String(s) | ConfigValue::Class(s) | ConfigValue::Password(s) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i32> {
        match self.values.get(key)? {
            ConfigValue::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn long(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            ConfigValue::Long(i) => Some(*i),
            ConfigValue::Int(i) => Some(*i as i64),
            _ => None,
        }
    }
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.values.get(key)? {
            ConfigValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn list(&self, key: &str) -> Option<&[String]> {
        match self.values.get(key)? {
            ConfigValue::List(l) => Some(l),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_parsing_follows_java() {
        assert_eq!(
            parse_type("k", ConfigType::Boolean, " TRUE ").unwrap(),
            ConfigValue::Boolean(true)
        );
        assert!(parse_type("k", ConfigType::Boolean, "yes")
            .unwrap_err()
            .contains("either true or false"));
        assert_eq!(
            parse_type("k", ConfigType::Int, " 5 ").unwrap(),
            ConfigValue::Int(5)
        );
        assert_eq!(
            parse_type("k", ConfigType::List, "a, ,b").unwrap(),
            ConfigValue::List(vec!["a".into(), "".into(), "b".into()])
        );
        assert_eq!(
            parse_type("k", ConfigType::List, "  ").unwrap(),
            ConfigValue::List(vec![])
        );
    }

    #[test]
    fn range_messages() {
        let v = Validator::at_least(1.0);
        assert_eq!(
            v.check("tasks.max", &ConfigValue::Int(0)).unwrap_err(),
            "Invalid value 0 for configuration tasks.max: Value must be at least 1"
        );
    }
}

/// Java `String.hashCode` over UTF-16 code units.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The iteration order of a `java.util.HashSet` built by inserting `items` in order
/// (`Collectors.toSet()`), for sets small enough that no bucket is treeified. Java shows this
/// order in some validator messages; reproducing it keeps those messages equal.
///
/// ```
/// use rconnect_sdk::config::java_hash_set_order;
/// // As in Java's message for a boolean-like CaseInsensitiveValidString.
/// let items = vec!["FALSE".to_string(), "TRUE".to_string()];
/// assert_eq!(java_hash_set_order(&items), ["TRUE", "FALSE"]);
/// ```
pub fn java_hash_set_order(items: &[String]) -> Vec<String> {
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
        let h = java_string_hash(s) as u32;
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

#[cfg(test)]
mod java_tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn case_insensitive_message_is_javas() {
        let v = Validator::CaseInsensitiveValidString(vec!["true".into(), "false".into()]);
        assert!(v.check("k", &ConfigValue::String("True".into())).is_ok());
        assert_eq!(
            v.check("k", &ConfigValue::String("maybe".into())),
            Err("Invalid value maybe for configuration k: String must be one of (case insensitive): TRUE, FALSE".to_string())
        );
        assert_eq!(
            v.check("k", &ConfigValue::Null),
            Err("Invalid value null for configuration k: String must be one of (case insensitive): TRUE, FALSE".to_string())
        );
    }
}
