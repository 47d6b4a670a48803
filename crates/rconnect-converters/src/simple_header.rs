//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`, the default header converter.

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::converter::HeaderConverter;
use rconnect_sdk::data::{Schema, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::{ConnectResult, Props};

use crate::values::{convert_to_string, parse_string};

pub(crate) const CLASS_NAME: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Writes header values as UTF-8 text ([`convert_to_string`]) and infers a type when
/// reading them back ([`parse_string`]). No schema is stored, so round trips are lossy
/// about types: a STRING `"42"` comes back as INT8 42.
///
/// ```
/// use rconnect_converters::SimpleHeaderConverter;
/// use rconnect_sdk::converter::HeaderConverter;
/// use rconnect_sdk::data::{Schema, Value};
/// let c = SimpleHeaderConverter;
/// let b = c.from_connect_header("t", "h", Some(&Schema::string()), &Value::from("42")).unwrap();
/// assert_eq!(c.to_connect_header("t", "h", b.as_deref()).unwrap().value, Value::Int8(42));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        let text = String::from_utf8_lossy(bytes);
        match parse_string(&text) {
            Ok(sv) => Ok(sv),
            Err(e) => {
                tracing::warn!("Failed to deserialize value for header '{key}' on topic '{topic}', so using byte array: {e}");
                Ok(SchemaAndValue::new(
                    Some(Schema::bytes()),
                    Value::Bytes(bytes.to_vec()),
                ))
            }
        }
    }
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        Ok(convert_to_string(schema.map(|s| s.as_ref()), value).map(String::into_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::data::{SchemaBuilder, Type};

    fn round_trip(schema: SchemaRef, v: Value) -> SchemaAndValue {
        let c = SimpleHeaderConverter;
        let b = c.from_connect_header("t", "h", Some(&schema), &v).unwrap();
        c.to_connect_header("t", "h", b.as_deref()).unwrap()
    }

    #[test]
    fn lossy_round_trips() {
        let sv = round_trip(Schema::string(), Value::from("42"));
        assert_eq!(sv.schema, Some(Schema::int8()));
        assert_eq!(sv.value, Value::Int8(42));
        let sv = round_trip(Schema::string(), Value::from("true"));
        assert_eq!(sv.schema, Some(Schema::boolean()));
        let sv = round_trip(Schema::string(), Value::from("hello world"));
        assert_eq!(sv.value, Value::from("hello world"));
        let sv = round_trip(Schema::int64(), Value::Int64(5_000_000_000));
        assert_eq!(sv.value, Value::Int64(5_000_000_000));
        let sv = round_trip(
            SchemaBuilder::array(Schema::string()).build(),
            Value::Array(vec![Value::from("a"), Value::from("b")]),
        );
        assert_eq!(
            sv.schema
                .unwrap()
                .value_schema
                .as_ref()
                .unwrap()
                .schema_type,
            Type::String
        );
        assert_eq!(
            sv.value,
            Value::Array(vec![Value::from("a"), Value::from("b")])
        );
    }

    #[test]
    fn nulls() {
        let c = SimpleHeaderConverter;
        assert_eq!(
            c.from_connect_header("t", "h", Some(&Schema::optional_string()), &Value::Null)
                .unwrap(),
            None
        );
        assert_eq!(
            c.to_connect_header("t", "h", None).unwrap(),
            SchemaAndValue::NULL
        );
        assert_eq!(
            c.to_connect_header("t", "h", Some(b"null")).unwrap(),
            SchemaAndValue::NULL
        );
        assert_eq!(
            c.from_connect_header("t", "h", None, &Value::Bytes(vec![0xff]))
                .unwrap(),
            Some(b"/w==".to_vec())
        );
    }

    #[test]
    fn unparseable_input_falls_back_to_bytes() {
        let c = SimpleHeaderConverter;
        let deep = "[".repeat(5000).into_bytes();
        let sv = c.to_connect_header("t", "h", Some(&deep)).unwrap();
        assert_eq!(sv.schema, Some(Schema::bytes()));
        assert_eq!(sv.value, Value::Bytes(deep));
    }
}
