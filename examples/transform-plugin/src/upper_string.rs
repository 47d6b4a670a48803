//! A converter plugin: writes string values upper-cased as UTF-8, behind an optional
//! prefix, and reads bytes back as an optional string without the prefix. The same class
//! is a key/value converter and a header converter, as Java's `StringConverter` is.
//!
//! ```properties
//! value.converter=io.rconnect.examples.converters.UpperStringConverter
//! value.converter.prefix=up:
//! ```

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::data::{Headers, Schema, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

/// The class name the library exports the converter under.
pub const CLASS: &str = "io.rconnect.examples.converters.UpperStringConverter";

const PREFIX: &str = "prefix";

fn config_def() -> ConfigDef {
    ConfigDef::new().define(ConfigKey::new(
        PREFIX,
        ConfigType::String,
        Default::Value(String::new()),
        Importance::Low,
        "Written before every value, and removed from values read back that start with it.",
    ))
}

/// Upper-cases string values on the way to Kafka.
#[derive(Default)]
pub struct UpperStringConverter {
    prefix: String,
}

impl UpperStringConverter {
    fn configure_props(&mut self, props: &Props) -> ConnectResult<()> {
        let parsed = config_def().parse(props)?;
        self.prefix = parsed.string(PREFIX).unwrap_or_default().to_string();
        Ok(())
    }

    /// Connect data → bytes: a string upper-cased behind the prefix, null as a Kafka null.
    pub fn write(&self, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(
                format!("{}{}", self.prefix, s.to_uppercase()).into_bytes(),
            )),
            other => Err(ConnectError::data(format!(
                "UpperStringConverter needs a string value, got {}",
                other.java_class()
            ))),
        }
    }

    /// Bytes → an optional string, the prefix removed.
    pub fn read(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = match bytes {
            None => Value::Null,
            Some(b) => {
                let s = std::str::from_utf8(b).map_err(|e| {
                    ConnectError::data(format!("UpperStringConverter read invalid UTF-8: {e}"))
                })?;
                Value::String(s.strip_prefix(&self.prefix).unwrap_or(s).to_string().into())
            }
        };
        Ok(SchemaAndValue::new(Some(Schema::optional_string()), value))
    }
}

#[async_trait]
impl Converter for UpperStringConverter {
    fn configure(&mut self, props: &Props, _is_key: bool) -> ConnectResult<()> {
        self.configure_props(props)
    }
    fn config_def(&self) -> ConfigDef {
        config_def()
    }
    async fn from_connect(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.write(value)
    }
    async fn to_connect(
        &self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.read(bytes)
    }
}

impl HeaderConverter for UpperStringConverter {
    fn configure(&mut self, props: &Props) -> ConnectResult<()> {
        self.configure_props(props)
    }
    fn config_def(&self) -> ConfigDef {
        config_def()
    }
    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        self.read(bytes)
    }
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        self.write(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_upper_case_behind_the_prefix_and_reads_it_back() {
        let mut c = UpperStringConverter::default();
        let mut props = Props::new();
        props.insert(PREFIX.into(), "up:".into());
        Converter::configure(&mut c, &props, false).unwrap();
        assert_eq!(
            c.write(&Value::from("Hello, wörld")).unwrap(),
            Some("up:HELLO, WÖRLD".as_bytes().to_vec())
        );
        assert_eq!(c.write(&Value::Null).unwrap(), None);
        assert_eq!(
            c.write(&Value::Int32(1)).unwrap_err(),
            ConnectError::data("UpperStringConverter needs a string value, got java.lang.Integer")
        );
        assert_eq!(
            c.read(Some(b"up:HI")).unwrap(),
            SchemaAndValue::new(Some(Schema::optional_string()), Value::from("HI"))
        );
        assert_eq!(
            c.read(Some(b"no prefix")).unwrap().value,
            Value::from("no prefix")
        );
        assert_eq!(c.read(None).unwrap().value, Value::Null);
        assert!(c.read(Some(&[0xff])).is_err());
    }

    #[test]
    fn header_converter_shares_the_rules() {
        let mut c = UpperStringConverter::default();
        HeaderConverter::configure(&mut c, &Props::new()).unwrap();
        assert_eq!(
            c.from_connect_header("t", "h", None, &Value::from("ab"))
                .unwrap(),
            Some(b"AB".to_vec())
        );
        assert_eq!(
            c.to_connect_header("t", "h", Some(b"xy")).unwrap().value,
            Value::from("xy")
        );
    }
}
