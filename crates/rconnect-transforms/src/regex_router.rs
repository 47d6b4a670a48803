//! Java `RegexRouter`: renames the topic when the regex matches all of it.

use std::sync::Arc;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::record::{ConnectRecord, RecordMeta, Topic};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::java_regex::JavaRegex;
use crate::util;

/// Java `RegexValidator`: `Invalid value <v> for configuration <k>: Invalid regex: <reason>`.
pub(crate) fn regex_validator() -> Validator {
    Validator::Custom(Arc::new(|key, v| match v {
        ConfigValue::String(s) => JavaRegex::new(s)
            .map(|_| ())
            .map_err(|e| format!("Invalid value {s} for configuration {key}: Invalid regex: {e}")),
        _ => Ok(()),
    }))
}

#[derive(Debug, Default)]
pub struct RegexRouter {
    regex: Option<JavaRegex>,
    replacement: String,
    /// The last topic's new name (`None`: not matched), shared by its records.
    routed: util::LastTopic<Option<Topic>>,
}

impl RegexRouter {
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "regex",
                    ConfigType::String,
                    Default::Required,
                    Importance::High,
                    "Regular expression to use for matching.",
                )
                .validator(regex_validator()),
            )
            .define(ConfigKey::new(
                "replacement",
                ConfigType::String,
                Default::Required,
                Importance::High,
                "Replacement string.",
            ))
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.regex = JavaRegex::new(&c.string("regex").unwrap_or_default()).ok();
        self.replacement = c.string("replacement").unwrap_or_default();
        self.routed = util::LastTopic::default();
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        if let Some(re) = &self.regex {
            // Java fails on a bad group reference only when a topic matches.
            let routed = self.routed.get_or_compute(&r.topic, |topic| {
                re.replace_whole(topic, &self.replacement)
                    .map(|t| t.map(Topic::from))
                    .map_err(ConnectError::data)
            })?;
            if let Some(topic) = routed {
                r.topic = topic;
            }
        }
        Ok(Outcome::Keep)
    }
}

crate::transformation!(RegexRouter);
