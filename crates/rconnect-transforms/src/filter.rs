//! Java `Filter`: drops every record it is applied to; used with a predicate.

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
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
    fn transform<M: RecordMeta>(
        &self,
        _r: ConnectRecord<M>,
    ) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(None)
    }
}

crate::transformation!(Filter);
