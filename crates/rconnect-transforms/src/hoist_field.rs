//! Java `HoistField`: wraps the key or value in a single-field struct (or map).

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::data::{SchemaBuilder, Struct, Text, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Outcome;
use rconnect_sdk::{ConnectResult, Props};

use crate::util::{self, Side};

/// Slots reserved in the hoisted struct's values (one used).
const HOISTED_CAPACITY: usize = 4;

#[derive(Debug)]
pub struct HoistField {
    side: Side,
    /// Shared: the key of every schemaless record it wraps, without a copy.
    field: Text,
    cache: util::SchemaCache,
}

impl HoistField {
    pub fn new(side: Side) -> Self {
        HoistField {
            side,
            field: Text::new(),
            cache: util::SchemaCache::default(),
        }
    }

    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "field",
            ConfigType::String,
            Default::Required,
            Importance::Medium,
            "Field name for the single field that will be created in the resulting Struct or Map.",
        ))
    }

    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let c = util::parse(&Self::definition(), props)?;
        self.field = Text::shared(&c.string("field").unwrap_or_default());
        Ok(())
    }

    fn transform<M: RecordMeta>(&self, r: &mut ConnectRecord<M>) -> ConnectResult<Outcome> {
        let (schema, value) = self.side.take(r);
        match schema {
            None => self.side.put_back(
                r,
                None,
                Value::Map(vec![(Value::String(self.field.clone()), value)]),
            ),
            Some(s) => {
                let new_schema = self.cache.get_or_build(&s, |_| {
                    Ok(SchemaBuilder::struct_()
                        .try_field(self.field.clone(), s.clone())?
                        .build())
                })?;
                // Room for a few more fields: the next stage of a chain often widens the
                // struct (InsertField), and a one-slot Vec would be reallocated there.
                let mut slots = Vec::with_capacity(HOISTED_CAPACITY);
                slots.push(Value::Null);
                let mut st = Struct::from_parts_unchecked(new_schema.clone(), slots);
                // Validated like Java's `Struct.put`, by position: the one field is slot 0.
                st.put_at(0, value)?;
                self.side.put_back(r, Some(new_schema), Value::Struct(st));
            }
        }
        Ok(Outcome::Keep)
    }
}

crate::transformation!(HoistField);
