//! The `Converter` and `HeaderConverter` impls every built-in converter shares: both traits
//! forward to the type's own `serialize`/`deserialize`, and `configure` injects
//! `converter.type` before calling the type's `$apply`.

use std::borrow::Cow;

use rconnect_sdk::data::{SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::ConnectResult;

/// `serialize` for the worker's no-await path, which may hand back the value's own bytes
/// instead of a copy. Converters that cannot borrow get it from the macro, as an owned
/// `serialize`.
pub(crate) trait SerializeCow {
    fn serialize_cow<'v>(
        &self,
        schema: Option<&SchemaRef>,
        value: &'v Value,
    ) -> ConnectResult<Option<Cow<'v, [u8]>>>;
}

/// A `deserialize` result, whether the converter can fail on read or not.
pub(crate) trait Decoded {
    fn into_result(self) -> ConnectResult<SchemaAndValue>;
}

impl Decoded for SchemaAndValue {
    fn into_result(self) -> ConnectResult<SchemaAndValue> {
        Ok(self)
    }
}

impl Decoded for ConnectResult<SchemaAndValue> {
    fn into_result(self) -> ConnectResult<SchemaAndValue> {
        self
    }
}

/// Implements both converter traits for `$name`, which has `serialize(schema, value)`,
/// `deserialize(bytes)`, `config_definition()` and `$apply(&mut self, &Props)`. With
/// `borrowing`, the type implements `SerializeCow` itself.
macro_rules! impl_converter_traits {
    ($name:ty, $apply:ident) => {
        impl_converter_traits!($name, $apply, borrowing);
        impl crate::adapters::SerializeCow for $name {
            fn serialize_cow<'v>(
                &self,
                schema: Option<&rconnect_sdk::data::SchemaRef>,
                value: &'v rconnect_sdk::data::Value,
            ) -> rconnect_sdk::ConnectResult<Option<std::borrow::Cow<'v, [u8]>>> {
                Ok(self.serialize(schema, value)?.map(std::borrow::Cow::Owned))
            }
        }
    };
    ($name:ty, $apply:ident, borrowing) => {
        #[async_trait::async_trait]
        impl rconnect_sdk::converter::Converter for $name {
            fn configure(
                &mut self,
                props: &rconnect_sdk::Props,
                is_key: bool,
            ) -> rconnect_sdk::ConnectResult<()> {
                self.$apply(&crate::config::with_type(props, is_key))
            }
            fn config_def(&self) -> rconnect_sdk::config::ConfigDef {
                Self::config_definition()
            }
            async fn from_connect(
                &self,
                _topic: &str,
                _headers: &mut rconnect_sdk::data::Headers,
                schema: Option<&rconnect_sdk::data::SchemaRef>,
                value: &rconnect_sdk::data::Value,
            ) -> rconnect_sdk::ConnectResult<Option<Vec<u8>>> {
                self.serialize(schema, value)
            }
            async fn to_connect(
                &self,
                _topic: &str,
                _headers: &rconnect_sdk::data::Headers,
                bytes: Option<&[u8]>,
            ) -> rconnect_sdk::ConnectResult<rconnect_sdk::data::SchemaAndValue> {
                crate::adapters::Decoded::into_result(self.deserialize(bytes))
            }
            fn from_connect_sync<'v>(
                &self,
                _topic: &str,
                _headers: &mut rconnect_sdk::data::Headers,
                schema: Option<&rconnect_sdk::data::SchemaRef>,
                value: &'v rconnect_sdk::data::Value,
            ) -> Option<rconnect_sdk::ConnectResult<Option<std::borrow::Cow<'v, [u8]>>>> {
                Some(crate::adapters::SerializeCow::serialize_cow(
                    self, schema, value,
                ))
            }
            fn to_connect_sync(
                &self,
                _topic: &str,
                _headers: &rconnect_sdk::data::Headers,
                bytes: Option<&[u8]>,
            ) -> Option<rconnect_sdk::ConnectResult<rconnect_sdk::data::SchemaAndValue>> {
                Some(crate::adapters::Decoded::into_result(
                    self.deserialize(bytes),
                ))
            }
        }

        impl rconnect_sdk::converter::HeaderConverter for $name {
            fn configure(
                &mut self,
                props: &rconnect_sdk::Props,
            ) -> rconnect_sdk::ConnectResult<()> {
                self.$apply(&crate::config::with_header_type(props))
            }
            fn config_def(&self) -> rconnect_sdk::config::ConfigDef {
                Self::config_definition()
            }
            fn to_connect_header(
                &self,
                _topic: &str,
                _key: &str,
                bytes: Option<&[u8]>,
            ) -> rconnect_sdk::ConnectResult<rconnect_sdk::data::SchemaAndValue> {
                crate::adapters::Decoded::into_result(self.deserialize(bytes))
            }
            fn from_connect_header(
                &self,
                _topic: &str,
                _key: &str,
                schema: Option<&rconnect_sdk::data::SchemaRef>,
                value: &rconnect_sdk::data::Value,
            ) -> rconnect_sdk::ConnectResult<Option<Vec<u8>>> {
                self.serialize(schema, value)
            }
        }
    };
}
