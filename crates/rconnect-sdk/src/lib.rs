//! The Connect API of rconnect.
//!
//! This crate is what a connector, converter, transformation or predicate is written
//! against, whether it is built into the worker or loaded from `plugin.path`. It mirrors
//! Kafka Connect's `connect-api` module: the data model ([`data`]), records ([`record`]),
//! the connector and task traits ([`connector`]), converters ([`converter`]),
//! transformations and predicates ([`transform`]), configuration definitions
//! ([`config`]) and source offsets ([`offset`]).
//!
//! Connectors and tasks are async: the worker runs them on tokio, and anything that
//! waits (a database, an HTTP call, a sleep between polls) should `.await` rather than
//! block.
//!
//! ```
//! use rconnect_sdk::data::{Schema, SchemaBuilder, Struct, Value};
//!
//! let schema = SchemaBuilder::struct_()
//!     .name("com.example.User")
//!     .field("id", Schema::int64())
//!     .field("name", Schema::optional_string())
//!     .build();
//! let mut user = Struct::new(schema);
//! user.put("id", Value::Int64(42)).unwrap();
//! assert_eq!(user.get("id").unwrap(), &Value::Int64(42));
//! ```

pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod ffi;
pub mod java_hash_map;
pub mod offset;
pub mod record;
pub mod stop;
pub mod transform;

pub use async_trait::async_trait;
pub use error::{ConnectError, ConnectResult};

/// A flat string-to-string configuration, as Java passes `Map<String, String>`.
pub type Props = std::collections::BTreeMap<String, String>;
