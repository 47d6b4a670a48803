//! Java `TimestampRouter`: routes to a topic named from the record's topic and timestamp
//! (`${topic}-${timestamp}`, the timestamp formatted with a `SimpleDateFormat` pattern in UTC).

use std::sync::Arc;

use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Validator,
};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::date_format::DateFormat;
use crate::util;

#[derive(Debug)]
pub struct TimestampRouter {
    topic_format: String,
    format: DateFormat,
}

impl std::default::Default for TimestampRouter {
    fn default() -> Self {
        TimestampRouter {
            topic_format: "${topic}-${timestamp}".into(),
            format: DateFormat::new("yyyyMMdd").unwrap_or_else(|_| unreachable!("a valid pattern")),
        }
    }
}

/// Refuses a `SimpleDateFormat` pattern Java would refuse, naming the key.
pub(crate) fn date_pattern_validator() -> Validator {
    Validator::Custom(Arc::new(|key, v| match v {
        ConfigValue::String(s) => DateFormat::new(s)
            .map(|_| ())
            .map_err(|e| format!("Invalid value {s} for configuration {key}: {e}")),
        _ => Ok(()),
    }))
}

impl TimestampRouter {
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("topic.format", ConfigType::String, Default::Value("${topic}-${timestamp}".into()), Importance::High, "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively."))
            .define(
                ConfigKey::new("timestamp.format", ConfigType::String, Default::Value("yyyyMMdd".into()), Importance::High, "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.")
                    .validator(date_pattern_validator()),
            )
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.topic_format = c.string("topic.format").unwrap_or_default();
        self.format = DateFormat::new(&c.string("timestamp.format").unwrap_or_default())
            .map_err(ConnectError::config)?;
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let Some(ts) = r.timestamp else {
            return Err(ConnectError::data(format!(
                "Timestamp missing on record: {}",
                util::record_string(r)
            )));
        };
        let topic = self
            .topic_format
            .replace("${topic}", &r.topic)
            .replace("${timestamp}", &self.format.format(ts));
        r.topic = topic.into();
        Ok(Outcome::Keep)
    }
}

crate::transformation!(TimestampRouter);
