//! Java `Filter`: drops every record it is applied to; used with a predicate.

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectResult, Props};

#[derive(Debug, Default, Clone, Copy)]
pub struct Filter;

impl Filter {
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
    }
    fn configure_props(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn transform<M: RecordMeta>(&self, _r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        Ok(Outcome::Drop)
    }
}

crate::transformation!(Filter);
