//! Kafka Connect's built-in converters, byte-compatible with the Java ones.
//!
//! * [`JsonConverter`] (`org.apache.kafka.connect.json.JsonConverter`): JSON with an
//!   optional `{"schema":...,"payload":...}` envelope; also a header converter.
//! * [`StringConverter`] (`org.apache.kafka.connect.storage.StringConverter`).
//! * [`ByteArrayConverter`] (`org.apache.kafka.connect.converters.ByteArrayConverter`).
//! * [`ShortConverter`], [`IntegerConverter`], [`LongConverter`], [`FloatConverter`],
//!   [`DoubleConverter`], [`BooleanConverter`] (`org.apache.kafka.connect.converters.*`).
//! * [`SimpleHeaderConverter`] (`org.apache.kafka.connect.storage.SimpleHeaderConverter`),
//!   built on [`values`] (Java `Values.convertToString` / `Values.parseString`).
//!
//! [`builtin`] lists them all for the worker's plugin registry.
//!
//! ```
//! use rconnect_converters::JsonConverter;
//! use rconnect_sdk::data::{Schema, Value};
//!
//! let json = JsonConverter::new();
//! let bytes = json.serialize(Some(&Schema::int32()), &Value::Int32(42)).unwrap().unwrap();
//! assert_eq!(bytes, br#"{"schema":{"type":"int32","optional":false},"payload":42}"#);
//! let back = json.deserialize(Some(&bytes)).unwrap();
//! assert_eq!(back.value, Value::Int32(42));
//! ```

#[macro_use]
mod adapters;
mod bytearray;
mod config;
mod java_hash_order;
mod javafmt;
pub mod json;
mod number;
mod numtext;
mod simple_header;
mod string;
pub mod values;

pub use bytearray::ByteArrayConverter;
pub use json::{DecimalFormat, JsonConverter, JsonConverterConfig};
pub use number::{
    BooleanConverter, DoubleConverter, FloatConverter, IntegerConverter, LongConverter,
    ShortConverter,
};
pub use simple_header::SimpleHeaderConverter;
pub use string::{Charset, StringConverter};

use rconnect_sdk::converter::{Converter, HeaderConverter};

/// The version the Apache converters report (Java `AppInfoParser.getVersion()`).
pub const APACHE_VERSION: &str = "3.9.0";

/// One built-in converter class, as the worker's plugin registry lists it.
///
/// A class may be a key/value converter, a header converter, or both; the matching
/// constructor is `Some` exactly when the flag is set. Aliases (`JsonConverter`, `Json`)
/// are computed by the runtime from `class_name`.
#[derive(Clone, Copy)]
pub struct ConverterPlugin {
    /// Fully qualified Java class name, e.g. `org.apache.kafka.connect.json.JsonConverter`.
    pub class_name: &'static str,
    /// The version REST reports for the plugin.
    pub version: &'static str,
    /// Usable as `key.converter` / `value.converter`.
    pub is_converter: bool,
    /// Usable as `header.converter`.
    pub is_header_converter: bool,
    /// A fresh, unconfigured key/value converter.
    pub new_converter: Option<fn() -> Box<dyn Converter>>,
    /// A fresh, unconfigured header converter.
    pub new_header_converter: Option<fn() -> Box<dyn HeaderConverter>>,
}

impl std::fmt::Debug for ConverterPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConverterPlugin")
            .field("class_name", &self.class_name)
            .field("version", &self.version)
            .field("is_converter", &self.is_converter)
            .field("is_header_converter", &self.is_header_converter)
            .finish()
    }
}

macro_rules! both {
    ($class:expr, $ty:ty) => {
        ConverterPlugin {
            class_name: $class,
            version: APACHE_VERSION,
            is_converter: true,
            is_header_converter: true,
            new_converter: Some(|| Box::new(<$ty>::default())),
            new_header_converter: Some(|| Box::new(<$ty>::default())),
        }
    };
}

/// Every converter and header converter built into rconnect, in a stable order.
///
/// ```
/// let all = rconnect_converters::builtin();
/// let json = all.iter().find(|p| p.class_name.ends_with(".JsonConverter")).unwrap();
/// assert!(json.is_converter && json.is_header_converter);
/// assert_eq!(json.version, "3.9.0");
/// ```
pub fn builtin() -> Vec<ConverterPlugin> {
    vec![
        both!(json::CLASS_NAME, JsonConverter),
        both!(string::CLASS_NAME, StringConverter),
        both!(bytearray::CLASS_NAME, ByteArrayConverter),
        both!(number::SHORT_CLASS_NAME, ShortConverter),
        both!(number::INTEGER_CLASS_NAME, IntegerConverter),
        both!(number::LONG_CLASS_NAME, LongConverter),
        both!(number::FLOAT_CLASS_NAME, FloatConverter),
        both!(number::DOUBLE_CLASS_NAME, DoubleConverter),
        both!(number::BOOLEAN_CLASS_NAME, BooleanConverter),
        ConverterPlugin {
            class_name: simple_header::CLASS_NAME,
            version: APACHE_VERSION,
            is_converter: false,
            is_header_converter: true,
            new_converter: None,
            new_header_converter: Some(|| Box::new(SimpleHeaderConverter)),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_every_class_with_matching_constructors() {
        let all = builtin();
        assert_eq!(all.len(), 10);
        for p in &all {
            assert_eq!(
                p.is_converter,
                p.new_converter.is_some(),
                "{}",
                p.class_name
            );
            assert_eq!(
                p.is_header_converter,
                p.new_header_converter.is_some(),
                "{}",
                p.class_name
            );
            assert_eq!(p.version, "3.9.0");
        }
        let names: Vec<_> = all.iter().map(|p| p.class_name).collect();
        assert!(names.contains(&"org.apache.kafka.connect.storage.SimpleHeaderConverter"));
        assert!(names.contains(&"org.apache.kafka.connect.converters.ByteArrayConverter"));
        assert!(names.contains(&"org.apache.kafka.connect.converters.BooleanConverter"));
        let simple = all
            .iter()
            .find(|p| p.class_name.ends_with("SimpleHeaderConverter"))
            .unwrap();
        assert!(!simple.is_converter);
    }

    #[test]
    fn constructed_converters_configure() {
        let props = rconnect_sdk::Props::new();
        for p in builtin() {
            if let Some(new) = p.new_converter {
                new().configure(&props, false).unwrap();
            }
            if let Some(new) = p.new_header_converter {
                new().configure(&props).unwrap();
            }
        }
    }
}
