//! The Connect data model: schemas, values, structs, logical types and headers
//! (Java's `org.apache.kafka.connect.data` and `header` packages).

mod headers;
pub mod java_float;
pub mod logical;
mod schema;
mod text;
mod value;

pub use headers::{Header, Headers};
pub use schema::{Field, Schema, SchemaBuilder, SchemaRef, Type};
pub use text::Text;
pub use value::{Decimal, SchemaAndValue, Struct, Value};
