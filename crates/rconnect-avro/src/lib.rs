//! Confluent's Avro converter for Kafka Connect (`io.confluent.connect.avro.AvroConverter`,
//! Confluent Platform 7.0), byte-compatible with the Java converter: the same Avro schemas
//! registered under the same subjects, the same record bytes (magic byte 0, a 4-byte
//! big-endian schema id, the Avro binary datum), and the same Connect data read back.
//!
//! * [`data`]: the Connect ↔ Avro mapping (Java `AvroData`) and the binary encoding.
//! * [`schema`]: Avro schemas with their properties, parsed and written as Java's Avro does.
//! * [`registry`]: an async Schema Registry client with caches, retries and typed errors,
//!   plus the in-memory `mock://` registry.
//! * [`AvroConverter`]: the converter the worker loads.
//!
//! ```
//! use rconnect_avro::AvroConverter;
//! use rconnect_sdk::converter::Converter;
//! use rconnect_sdk::data::{Headers, Schema, Value};
//! use rconnect_sdk::Props;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let mut c = AvroConverter::default();
//! let props: Props = [("schema.registry.url".to_string(), "mock://doc".to_string())].into();
//! c.configure(&props, false).unwrap();
//! let bytes = c.from_connect("t", &mut Headers::new(), Some(&Schema::int32()), &Value::Int32(42)).await.unwrap().unwrap();
//! assert_eq!(bytes, [0, 0, 0, 0, 1, 84]);
//! let back = c.to_connect("t", &Headers::new(), Some(&bytes)).await.unwrap();
//! assert_eq!(back.value, Value::Int32(42));
//! # });
//! ```

pub mod codec;
pub mod config;
mod converter;
pub mod data;
pub mod json;
pub mod registry;
pub mod schema;
pub mod subject;

pub use config::AvroConverterConfig;
pub use converter::AvroConverter;
pub use registry::RegistryError;

/// The Java class name the worker configuration uses.
pub const CLASS_NAME: &str = "io.confluent.connect.avro.AvroConverter";
/// The Confluent Platform version whose behaviour this converter follows.
pub const VERSION: &str = "7.0.16";

/// What went wrong converting Avro data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AvroError {
    /// An Avro schema that cannot be parsed or written.
    #[error("{0}")]
    Schema(String),
    /// A value that does not fit its schema, or bytes that cannot be decoded.
    #[error("{0}")]
    Data(String),
    /// The Schema Registry failed or refused.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
