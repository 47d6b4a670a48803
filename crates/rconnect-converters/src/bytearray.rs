//! `org.apache.kafka.connect.converters.ByteArrayConverter`.

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::data::{Schema, SchemaAndValue, SchemaRef, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

pub(crate) const CLASS_NAME: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

/// Passes raw bytes through unchanged; reads always yield `OPTIONAL_BYTES`.
///
/// ```
/// use rconnect_converters::ByteArrayConverter;
/// use rconnect_sdk::data::Value;
/// let c = ByteArrayConverter;
/// assert_eq!(c.serialize(None, &Value::Bytes(vec![1, 2])).unwrap(), Some(vec![1, 2]));
/// assert!(c.serialize(None, &Value::Int32(1)).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ByteArrayConverter;

impl ByteArrayConverter {
    /// Java `fromConnectData`: the schema must be absent or BYTES, the value null or bytes.
    pub fn serialize(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema {
            if s.schema_type != Type::Bytes {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for ByteArrayConverter: {}",
                    s.schema_type.java_name()
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type class {}",
                other.java_class()
            ))),
        }
    }

    /// Java `toConnectData`: `(OPTIONAL_BYTES, bytes)`, null staying null.
    pub fn deserialize(&self, bytes: Option<&[u8]>) -> SchemaAndValue {
        SchemaAndValue::new(
            Some(Schema::optional_bytes()),
            bytes
                .map(|b| Value::Bytes(b.to_vec()))
                .unwrap_or(Value::Null),
        )
    }

    /// The configuration keys: only `converter.type`.
    pub fn config_definition() -> ConfigDef {
        crate::config::new_config_def()
    }

    /// Checks a configuration: only `converter.type` is defined.
    fn apply(&mut self, props: &Props) -> ConnectResult<()> {
        Self::config_definition().parse(props).map(|_| ())
    }
}

impl_converter_traits!(ByteArrayConverter, apply);

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::converter::{Converter, HeaderConverter};
    use rconnect_sdk::data::Headers;

    #[test]
    fn write_rules() {
        let c = ByteArrayConverter;
        assert_eq!(
            c.serialize(Some(&Schema::bytes()), &Value::Bytes(vec![0, 255]))
                .unwrap(),
            Some(vec![0, 255])
        );
        assert_eq!(
            c.serialize(Some(&Schema::optional_bytes()), &Value::Null)
                .unwrap(),
            None
        );
        assert_eq!(c.serialize(None, &Value::Null).unwrap(), None);
        assert_eq!(
            c.serialize(Some(&Schema::string()), &Value::Bytes(vec![]))
                .unwrap_err(),
            ConnectError::data("Invalid schema type for ByteArrayConverter: STRING")
        );
        assert_eq!(
            c.serialize(None, &Value::from("x")).unwrap_err(),
            ConnectError::data(
                "ByteArrayConverter is not compatible with objects of type class java.lang.String"
            )
        );
    }

    #[test]
    fn read_rules() {
        let c = ByteArrayConverter;
        let sv = c.deserialize(Some(b"ab"));
        assert_eq!(sv.schema, Some(Schema::optional_bytes()));
        assert_eq!(sv.value, Value::Bytes(b"ab".to_vec()));
        let sv = c.deserialize(None);
        assert_eq!(sv.schema, Some(Schema::optional_bytes()));
        assert_eq!(sv.value, Value::Null);
    }

    #[tokio::test]
    async fn trait_paths_agree() {
        let mut c = ByteArrayConverter;
        Converter::configure(&mut c, &Props::new(), true).unwrap();
        let mut h = Headers::new();
        assert_eq!(
            c.from_connect("t", &mut h, None, &Value::Bytes(vec![7]))
                .await
                .unwrap(),
            Some(vec![7])
        );
        assert_eq!(
            c.to_connect("t", &h, Some(&[7])).await.unwrap().value,
            Value::Bytes(vec![7])
        );
        assert_eq!(
            c.from_connect_header("t", "k", None, &Value::Bytes(vec![8]))
                .unwrap(),
            Some(vec![8])
        );
        assert_eq!(
            c.to_connect_header("t", "k", None).unwrap().value,
            Value::Null
        );
    }
}
