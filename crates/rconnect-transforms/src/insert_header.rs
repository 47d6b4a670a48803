//! Java `InsertHeader`: appends a header whose value is a literal parsed once with
//! `Values.parseString` (`42` is an INT8 header, `true` a BOOLEAN).

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::SchemaAndValue;
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectResult, Props};

use crate::util;

#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    literal: SchemaAndValue,
}

impl InsertHeader {
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(
                "header",
                ConfigType::String,
                Default::Required,
                Importance::High,
                "The name of the header.",
            ))
            .define(ConfigKey::new(
                "value.literal",
                ConfigType::String,
                Default::Required,
                Importance::High,
                "The literal value that is to be set as the header value on all records.",
            ))
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.header = c.string("header").unwrap_or_default();
        self.literal = rconnect_converters::values::parse_string(
            &c.string("value.literal").unwrap_or_default(),
        )?;
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        r.headers.add(
            self.header.clone(),
            self.literal.schema.clone(),
            self.literal.value.clone(),
        );
        Ok(Outcome::Keep)
    }
}

crate::transformation!(InsertHeader);
