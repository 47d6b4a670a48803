//! Java `ReplaceField`: keeps (`include`), drops (`exclude`) and renames (`renames`) fields;
//! `whitelist`/`blacklist` are the pre-3.0 names of `include`/`exclude`, still accepted.

use std::sync::Arc;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::data::{SchemaBuilder, Struct, Text, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectResult, Props};

use crate::util::{
    self, apply_defaults, copy_schema_basics, into_map, into_struct, take_field_value, Side,
};

const PURPOSE: &str = "field replacement";

/// Java `String.split(":")`: trailing empty strings are dropped.
pub(crate) fn java_split_colon(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts == [""] {
        parts.clear();
    }
    parts
}

/// Java's `List.toString()` of a LIST config value, for error messages.
pub(crate) fn java_list(l: &[String]) -> String {
    format!("[{}]", l.join(", "))
}

#[derive(Debug)]
pub struct ReplaceField {
    side: Side,
    exclude: Vec<String>,
    include: Vec<String>,
    /// Old name, new name; the new one shared by the schemaless records it keys.
    renames: Vec<(String, Text)>,
    replace_null_with_default: bool,
    cache: util::SchemaCache,
}

impl ReplaceField {
    pub fn new(side: Side) -> Self {
        ReplaceField {
            side,
            exclude: Vec::new(),
            include: Vec::new(),
            renames: Vec::new(),
            replace_null_with_default: true,
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        let renames = Validator::Custom(Arc::new(|key, v| {
            if let ConfigValue::List(l) = v {
                for m in l {
                    if java_split_colon(m).len() != 2 {
                        return Err(format!(
                            "Invalid value {} for configuration {key}: Invalid rename mapping: {m}",
                            java_list(l)
                        ));
                    }
                }
            }
            Ok(())
        }));
        ConfigDef::new()
            .define(ConfigKey::new(
                "exclude",
                ConfigType::List,
                Default::Value(String::new()),
                Importance::Medium,
                "Fields to exclude. This takes precedence over the fields to include.",
            ))
            .define(ConfigKey::new(
                "include",
                ConfigType::List,
                Default::Value(String::new()),
                Importance::Medium,
                "Fields to include. If specified, only these fields will be used.",
            ))
            .define(
                ConfigKey::new(
                    "renames",
                    ConfigType::List,
                    Default::Value(String::new()),
                    Importance::Medium,
                    "Field rename mappings.",
                )
                .validator(renames),
            )
            .define(util::replace_null_key())
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        // Java `ConfigUtils.translateDeprecatedConfigs`: `blacklist` and `whitelist` stand for
        // `exclude` and `include` when those are not set.
        let mut props = props.clone();
        for (old, new) in [("blacklist", "exclude"), ("whitelist", "include")] {
            if let Some(v) = props.remove(old) {
                props.entry(new.to_string()).or_insert(v);
            }
        }
        let c = util::parse(&Self::definition(), &props)?;
        self.exclude = c.list("exclude");
        self.include = c.list("include");
        self.renames = c
            .list("renames")
            .iter()
            .map(|m| {
                let p = java_split_colon(m);
                (p[0].to_string(), Text::shared(p[1]))
            })
            .collect();
        self.replace_null_with_default = c.boolean(util::REPLACE_NULL_WITH_DEFAULT);
        Ok(())
    }

    fn keep(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.rename_of(name).map_or(name, |n| n.as_str())
    }

    /// The new name of a renamed field (the last rename of it wins, as in Java's map).
    fn rename_of(&self, name: &str) -> Option<&Text> {
        self.renames
            .iter()
            .rev()
            .find(|(o, _)| o == name)
            .map(|(_, n)| n)
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        // The value is taken out of the record and its kept fields moved into the result.
        let (schema, value) = self.side.take(r);
        if value.is_null() {
            self.side.put_back(r, schema, value);
            return Ok(Outcome::Keep);
        }
        match schema {
            None => {
                let m = into_map(value, PURPOSE)?;
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(m.len());
                for (k, v) in m {
                    let Value::String(name) = k else { continue };
                    if !self.keep(&name) {
                        continue;
                    }
                    // A kept name keeps its own string; a new one is the shared rename.
                    match self.rename_of(&name) {
                        Some(new) => util::map_put(&mut out, new, v),
                        None => util::map_put(&mut out, name, v),
                    }
                }
                self.side.put_back(r, None, Value::Map(out));
                Ok(Outcome::Keep)
            }
            Some(s) => {
                let value = into_struct(value, PURPOSE)?;
                let new_schema = self.cache.get_or_build(&s, |s| {
                    let mut b = copy_schema_basics(s, SchemaBuilder::struct_());
                    for f in s.fields.iter().filter(|f| self.keep(&f.name)) {
                        b = b.try_field(self.renamed(&f.name).to_string(), f.schema.clone())?;
                    }
                    Ok(b.build())
                })?;
                let (value_schema, mut values) = value.into_parts();
                let values = if new_schema.fields.len() == s.fields.len()
                    && values.len() == s.fields.len()
                {
                    // Every field kept (renames only): the same slots, in the same order.
                    apply_defaults(&value_schema, &mut values, self.replace_null_with_default);
                    values
                } else {
                    let mut kept = Vec::with_capacity(new_schema.fields.len());
                    for f in s.fields.iter().filter(|f| self.keep(&f.name)) {
                        kept.push(take_field_value(
                            &value_schema,
                            &mut values,
                            f.index,
                            self.replace_null_with_default,
                        ));
                    }
                    kept
                };
                self.side.put_back(
                    r,
                    Some(new_schema.clone()),
                    Value::Struct(Struct::from_parts_unchecked(new_schema, values)),
                );
                Ok(Outcome::Keep)
            }
        }
    }
}

crate::transformation!(ReplaceField);
