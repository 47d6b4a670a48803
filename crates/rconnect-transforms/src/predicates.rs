//! Java's built-in predicates (`org.apache.kafka.connect.transforms.predicates`).

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Predicate;
use rconnect_sdk::{ConnectResult, Props};

use crate::java_regex::JavaRegex;
use crate::util;

/// True when the record's topic matches a Java regex entirely.
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<JavaRegex>,
    /// Whether the last topic matched, shared by its records.
    matched: util::LastTopic<bool>,
}

impl TopicNameMatches {
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "pattern",
                ConfigType::String,
                Default::Required,
                Importance::Medium,
                "A Java regular expression for matching against the name of a record's topic.",
            )
            .validator(Validator::Custom(std::sync::Arc::new(|key, v| {
                Validator::NonEmptyString.check(key, v)?;
                match &crate::regex_router::regex_validator() {
                    Validator::Custom(f) => f(key, v),
                    _ => Ok(()),
                }
            }))),
        )
    }
}

impl<M: RecordMeta> Predicate<M> for TopicNameMatches {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.pattern = JavaRegex::new(&c.string("pattern").unwrap_or_default()).ok();
        self.matched = util::LastTopic::default();
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }
    fn test(&self, r: &ConnectRecord<M>) -> ConnectResult<bool> {
        let Some(pattern) = &self.pattern else {
            return Ok(false);
        };
        self.matched
            .get_or_compute(&r.topic, |topic| Ok(pattern.matches(topic)))
    }
}

/// True when the record has at least one header with the configured key.
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl HasHeaderKey {
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "name",
                ConfigType::String,
                Default::Required,
                Importance::Medium,
                "The header name.",
            )
            .validator(Validator::NonEmptyString),
        )
    }
}

impl<M: RecordMeta> Predicate<M> for HasHeaderKey {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.name = c.string("name").unwrap_or_default();
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }
    fn test(&self, r: &ConnectRecord<M>) -> ConnectResult<bool> {
        Ok(r.headers.iter().any(|h| h.key == self.name))
    }
}

/// True for tombstones: records whose value is null.
#[derive(Debug, Default, Clone, Copy)]
pub struct RecordIsTombstone;

impl<M: RecordMeta> Predicate<M> for RecordIsTombstone {
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn test(&self, r: &ConnectRecord<M>) -> ConnectResult<bool> {
        Ok(r.value.is_null())
    }
}
