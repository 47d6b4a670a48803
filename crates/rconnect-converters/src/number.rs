//! `org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double,Boolean}Converter`:
//! fixed-width big-endian encodings of a single primitive.

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::data::{Schema, SchemaAndValue, SchemaRef, Type, Value};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

pub(crate) const SHORT_CLASS_NAME: &str = "org.apache.kafka.connect.converters.ShortConverter";
pub(crate) const INTEGER_CLASS_NAME: &str = "org.apache.kafka.connect.converters.IntegerConverter";
pub(crate) const LONG_CLASS_NAME: &str = "org.apache.kafka.connect.converters.LongConverter";
pub(crate) const FLOAT_CLASS_NAME: &str = "org.apache.kafka.connect.converters.FloatConverter";
pub(crate) const DOUBLE_CLASS_NAME: &str = "org.apache.kafka.connect.converters.DoubleConverter";
pub(crate) const BOOLEAN_CLASS_NAME: &str = "org.apache.kafka.connect.converters.BooleanConverter";

/// The shared behaviour of Java's `NumberConverter` subclasses.
trait NumberKind {
    /// The name Java uses in messages (`short`, `integer`, ...).
    const TYPE_NAME: &'static str;
    /// The Java class the value must have, for ClassCastException-style messages.
    const JAVA_CLASS: &'static str;
    /// The Kafka deserializer's class name as its size error names it.
    const DESERIALIZER: &'static str;
    const SIZE: usize;
    fn schema() -> SchemaRef;
    fn encode(v: &Value) -> Option<Vec<u8>>;
    fn decode(b: &[u8]) -> Value;
}

fn number_serialize<K: NumberKind>(value: &Value) -> ConnectResult<Option<Vec<u8>>> {
    if value.is_null() {
        return Ok(None);
    }
    K::encode(value).map(Some).ok_or_else(|| {
        let class = value.java_class();
        ConnectError::data(format!(
            "Failed to serialize to {} (was class {class}): class {class} cannot be cast to class {}",
            K::TYPE_NAME,
            K::JAVA_CLASS
        ))
    })
}

fn number_deserialize<K: NumberKind>(bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
    let value = match bytes {
        None => Value::Null,
        Some(b) if b.len() != K::SIZE => {
            return Err(ConnectError::data(format!(
                "Failed to deserialize {}: Size of data received by {} is not {}",
                K::TYPE_NAME,
                K::DESERIALIZER,
                K::SIZE
            )))
        }
        Some(b) => K::decode(b),
    };
    Ok(SchemaAndValue::new(Some(K::schema()), value))
}

macro_rules! number_converter {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $type_name:expr, $java:expr, $deser:expr, $variant:ident, $rust:ty, $schema:ident) => {
        struct $kind;
        impl NumberKind for $kind {
            const TYPE_NAME: &'static str = $type_name;
            const JAVA_CLASS: &'static str = $java;
            const DESERIALIZER: &'static str = $deser;
            const SIZE: usize = std::mem::size_of::<$rust>();
            fn schema() -> SchemaRef {
                Schema::$schema()
            }
            fn encode(v: &Value) -> Option<Vec<u8>> {
                match v {
                    Value::$variant(x) => Some(x.to_be_bytes().to_vec()),
                    _ => None,
                }
            }
            fn decode(b: &[u8]) -> Value {
                let mut a = [0u8; std::mem::size_of::<$rust>()];
                a.copy_from_slice(b);
                Value::$variant(<$rust>::from_be_bytes(a))
            }
        }

        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl $name {
            /// Connect value → bytes; the schema is ignored and the value must already be
            /// exactly this converter's type (no widening), as in Java.
            pub fn serialize(&self, _schema: Option<&SchemaRef>, value: &Value) -> ConnectResult<Option<Vec<u8>>> {
                number_serialize::<$kind>(value)
            }
            /// Bytes → Connect value with this converter's optional schema.
            pub fn deserialize(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
                number_deserialize::<$kind>(bytes)
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

        impl_converter_traits!($name, apply);
    };
}

number_converter!(
    /// `ShortConverter`: INT16 as 2 big-endian bytes; reads yield `OPTIONAL_INT16`.
    ShortConverter, ShortKind, "short", "java.lang.Short", "ShortDeserializer", Int16, i16, optional_int16
);
number_converter!(
    /// `IntegerConverter`: INT32 as 4 big-endian bytes; reads yield `OPTIONAL_INT32`.
    IntegerConverter, IntegerKind, "integer", "java.lang.Integer", "IntegerDeserializer", Int32, i32, optional_int32
);
number_converter!(
    /// `LongConverter`: INT64 as 8 big-endian bytes; reads yield `OPTIONAL_INT64`.
    LongConverter, LongKind, "long", "java.lang.Long", "LongDeserializer", Int64, i64, optional_int64
);
number_converter!(
    /// `FloatConverter`: FLOAT32 as its IEEE-754 bits, big-endian; reads yield `OPTIONAL_FLOAT32`.
    FloatConverter, FloatKind, "float", "java.lang.Float", "Deserializer", Float32, f32, optional_float32
);
number_converter!(
    /// `DoubleConverter`: FLOAT64 as its IEEE-754 bits, big-endian; reads yield `OPTIONAL_FLOAT64`.
    DoubleConverter, DoubleKind, "double", "java.lang.Double", "Deserializer", Float64, f64, optional_float64
);

/// `BooleanConverter`: one byte, `0x01` true / `0x00` false; reads yield `OPTIONAL_BOOLEAN`.
/// Unlike the number converters it rejects a non-BOOLEAN schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct BooleanConverter;

impl BooleanConverter {
    /// Connect value → one byte.
    pub fn serialize(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(s) = schema {
            if s.schema_type != Type::Boolean {
                return Err(ConnectError::data(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    s.schema_type.java_name()
                )));
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Boolean(b) => Ok(Some(vec![*b as u8])),
            other => Err(ConnectError::data(format!(
                "BooleanConverter is not compatible with objects of type class {}",
                other.java_class()
            ))),
        }
    }
    /// One byte → BOOLEAN; any other length or byte value is a `DataException`.
    pub fn deserialize(&self, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = match bytes {
            None => Value::Null,
            Some([0]) => Value::Boolean(false),
            Some([1]) => Value::Boolean(true),
            Some([b]) => {
                return Err(ConnectError::data(format!(
                    "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: {}",
                    *b as i8
                )))
            }
            Some(_) => return Err(ConnectError::data("Failed to deserialize boolean: Size of data received by BooleanDeserializer is not 1")),
        };
        Ok(SchemaAndValue::new(Some(Schema::optional_boolean()), value))
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

impl_converter_traits!(BooleanConverter, apply);

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_sdk::converter::HeaderConverter;

    #[test]
    fn byte_layouts() {
        assert_eq!(
            ShortConverter.serialize(None, &Value::Int16(-2)).unwrap(),
            Some(vec![0xff, 0xfe])
        );
        assert_eq!(
            IntegerConverter
                .serialize(None, &Value::Int32(258))
                .unwrap(),
            Some(vec![0, 0, 1, 2])
        );
        assert_eq!(
            LongConverter.serialize(None, &Value::Int64(1)).unwrap(),
            Some(vec![0, 0, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(
            FloatConverter
                .serialize(None, &Value::Float32(1.0))
                .unwrap(),
            Some(vec![0x3f, 0x80, 0, 0])
        );
        assert_eq!(
            DoubleConverter
                .serialize(None, &Value::Float64(-2.0))
                .unwrap(),
            Some(vec![0xc0, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            BooleanConverter
                .serialize(None, &Value::Boolean(true))
                .unwrap(),
            Some(vec![1])
        );
        assert_eq!(
            BooleanConverter
                .serialize(Some(&Schema::boolean()), &Value::Boolean(false))
                .unwrap(),
            Some(vec![0])
        );
        assert_eq!(
            LongConverter
                .serialize(Some(&Schema::int64()), &Value::Null)
                .unwrap(),
            None
        );
    }

    #[test]
    fn reads_back_with_optional_schemas() {
        let sv = ShortConverter.deserialize(Some(&[0xff, 0xfe])).unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_int16()), Value::Int16(-2))
        );
        let sv = IntegerConverter.deserialize(Some(&[0, 0, 1, 2])).unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_int32()), Value::Int32(258))
        );
        let sv = LongConverter
            .deserialize(Some(&[0x80, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_int64()), Value::Int64(i64::MIN))
        );
        let sv = FloatConverter
            .deserialize(Some(&[0x3f, 0x80, 0, 0]))
            .unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_float32()), Value::Float32(1.0))
        );
        let sv = DoubleConverter
            .deserialize(Some(&[0xc0, 0, 0, 0, 0, 0, 0, 0]))
            .unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_float64()), Value::Float64(-2.0))
        );
        let sv = BooleanConverter.deserialize(Some(&[1])).unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_boolean()), Value::Boolean(true))
        );
        let sv = LongConverter.deserialize(None).unwrap();
        assert_eq!(
            (sv.schema, sv.value),
            (Some(Schema::optional_int64()), Value::Null)
        );
    }

    #[test]
    fn errors_follow_java() {
        assert_eq!(
            LongConverter.serialize(None, &Value::Int32(1)).unwrap_err().to_string(),
            "Failed to serialize to long (was class java.lang.Integer): class java.lang.Integer cannot be cast to class java.lang.Long"
        );
        assert_eq!(
            LongConverter
                .deserialize(Some(&[1, 2, 3]))
                .unwrap_err()
                .to_string(),
            "Failed to deserialize long: Size of data received by LongDeserializer is not 8"
        );
        assert_eq!(
            IntegerConverter
                .deserialize(Some(&[1]))
                .unwrap_err()
                .to_string(),
            "Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4"
        );
        assert_eq!(
            FloatConverter
                .deserialize(Some(&[1]))
                .unwrap_err()
                .to_string(),
            "Failed to deserialize float: Size of data received by Deserializer is not 4"
        );
        assert_eq!(
            BooleanConverter
                .deserialize(Some(&[2]))
                .unwrap_err()
                .to_string(),
            "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: 2"
        );
        assert!(BooleanConverter
            .deserialize(Some(&[1, 0]))
            .unwrap_err()
            .to_string()
            .contains("is not 1"));
        assert_eq!(
            BooleanConverter
                .serialize(Some(&Schema::int32()), &Value::Boolean(true))
                .unwrap_err()
                .to_string(),
            "Invalid schema type for BooleanConverter: INT32"
        );
        assert_eq!(
            BooleanConverter
                .serialize(None, &Value::Int8(1))
                .unwrap_err()
                .to_string(),
            "BooleanConverter is not compatible with objects of type class java.lang.Byte"
        );
    }

    #[test]
    fn header_converter_configures_and_round_trips() {
        let mut c = DoubleConverter;
        HeaderConverter::configure(&mut c, &Props::new()).unwrap();
        let b = c
            .from_connect_header("t", "h", None, &Value::Float64(0.5))
            .unwrap();
        assert_eq!(
            c.to_connect_header("t", "h", b.as_deref()).unwrap().value,
            Value::Float64(0.5)
        );
        let mut bad = Props::new();
        bad.insert("converter.type".into(), "sideways".into());
        assert!(HeaderConverter::configure(&mut c, &bad).is_err());
    }
}
