//! Java `DropHeaders`: removes every header with one of the listed keys.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectResult, Props};

use crate::util;

#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: Vec<String>,
}

impl DropHeaders {
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "headers",
                ConfigType::List,
                Default::Required,
                Importance::High,
                "The name of the headers to be removed.",
            )
            .validator(util::non_empty_list()),
        )
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.headers = c.list("headers");
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        for h in &self.headers {
            r.headers.remove(h);
        }
        Ok(Outcome::Keep)
    }
}

crate::transformation!(DropHeaders);
