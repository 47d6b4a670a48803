//! A transformation plugin: upper-cases one string field of Struct values (or of
//! schemaless map values), and optionally appends a suffix to the topic. The library also
//! exports a converter, [`upper_string::UpperStringConverter`].
//!
//! ```properties
//! transforms=shout
//! transforms.shout.type=io.rconnect.examples.transforms.UppercaseField
//! transforms.shout.field=customer
//! transforms.shout.topic.suffix=-shouted
//! ```

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::data::{Struct, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta};
use rconnect_sdk::transform::Transformation;
use rconnect_sdk::{ConnectError, ConnectResult, Props};

pub mod upper_string;

use upper_string::UpperStringConverter;

const FIELD: &str = "field";
const SUFFIX: &str = "topic.suffix";

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(
                FIELD,
                ConfigType::String,
                Default::Required,
                Importance::High,
                "The string field to upper-case.",
            )
            .validator(Validator::NonEmptyString),
        )
        .define(ConfigKey::new(
            SUFFIX,
            ConfigType::String,
            Default::Value(String::new()),
            Importance::Low,
            "Appended to the topic of every record.",
        ))
}

/// Upper-cases `field` of each record value.
#[derive(Default)]
pub struct UppercaseField {
    field: String,
    suffix: String,
}

impl<M: RecordMeta> Transformation<M> for UppercaseField {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        let parsed = config_def().parse(props)?;
        self.field = parsed.string(FIELD).unwrap_or_default().to_string();
        self.suffix = parsed.string(SUFFIX).unwrap_or_default().to_string();
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        config_def()
    }
    fn apply(&self, record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
        let value = match &record.value {
            Value::Struct(s) => {
                let mut out = Struct::new(s.schema().clone());
                for f in &s.schema().fields {
                    let v = s.get_without_default(&f.name)?.clone();
                    let v = match v {
                        Value::String(x) if f.name == self.field => {
                            Value::String(x.to_uppercase().into())
                        }
                        other => other,
                    };
                    out.put_unchecked(f.index, v);
                }
                Value::Struct(out)
            }
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| match (k, v) {
                        (Value::String(name), Value::String(x)) if *name == self.field => {
                            (k.clone(), Value::String(x.to_uppercase().into()))
                        }
                        _ => (k.clone(), v.clone()),
                    })
                    .collect(),
            ),
            Value::Null => Value::Null,
            other => {
                return Err(ConnectError::data(format!(
                    "UppercaseField needs a Struct or Map value, got {}",
                    other.java_class()
                )))
            }
        };
        let topic = format!("{}{}", record.topic, self.suffix);
        Ok(Some(record.new_record(
            topic,
            record.kafka_partition,
            record.key_schema.clone(),
            record.key.clone(),
            record.value_schema.clone(),
            value,
            record.timestamp,
        )))
    }
}

rconnect_sdk::export_plugin! {
    transformation "io.rconnect.examples.transforms.UppercaseField" => UppercaseField;
    converter "io.rconnect.examples.converters.UpperStringConverter" => UpperStringConverter;
    header_converter "io.rconnect.examples.converters.UpperStringConverter" => UpperStringConverter;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{Schema, SchemaBuilder};
    use rconnect_sdk::record::{SourceMeta, SourceRecord};

    #[test]
    fn upper_cases_the_field_and_renames_the_topic() {
        let schema = SchemaBuilder::struct_()
            .field("name", Schema::string())
            .field("n", Schema::int32())
            .build();
        let mut s = Struct::new(schema.clone());
        s.put("name", Value::from("alice")).unwrap();
        s.put("n", Value::Int32(1)).unwrap();
        let r = SourceRecord::new(None, None, "t", Some(schema), Value::Struct(s));
        let mut t = UppercaseField::default();
        let mut props = Props::new();
        props.insert(FIELD.into(), "name".into());
        props.insert(SUFFIX.into(), "-x".into());
        Transformation::<SourceMeta>::configure(&mut t, &props).unwrap();
        let out = Transformation::<SourceMeta>::apply(&t, r).unwrap().unwrap();
        assert_eq!(out.topic, "t-x");
        assert_eq!(
            out.value.as_struct().unwrap().get("name").unwrap(),
            &Value::from("ALICE")
        );
        assert_eq!(
            out.value.as_struct().unwrap().get("n").unwrap(),
            &Value::Int32(1)
        );
    }
}
