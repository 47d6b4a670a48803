//! Java-compatible .properties parsing and the worker and connector configuration of rconnect.
//!
//! - [`properties`]: `.properties` files read byte for byte as Java `Properties.load`.
//! - [`worker`]: the worker configuration (standalone and distributed keys, REST listeners,
//!   advertised URL and worker id, client config layering).
//! - [`connector`]: the framework connector config definitions and their validation.
//! - [`connector_file`]: connector definition files given on the standalone command line.
//! - [`connector_name`]: the rule every connector name must pass.
//! - [`aliases`]: plugin aliases and `connector.class` resolution.
//! - [`client`]: translation of Java Kafka client keys to librdkafka keys.
//! - [`topic_creation`]: a source connector's topic creation groups (KIP-158).
//! - [`client_overrides`]: connector-level client overrides and the override policy (KIP-458).
//! - [`ssl`]: Java's `ssl.*` keys (keystores, truststores) as TLS material and rustls configs.

pub mod aliases;
pub mod client;
pub mod client_overrides;
pub mod connector;
pub mod connector_file;
pub mod connector_name;
mod java;
pub mod properties;
pub mod providers;
pub mod ssl;
pub mod topic_creation;
pub mod worker;

pub use aliases::{plugin_aliases, resolve_class, ResolveError};
pub use client::{to_librdkafka, TASK_CONSUMER_DEFAULTS, TASK_PRODUCER_DEFAULTS};
pub use connector::{
    aggregate_errors, framework_config_def, validate_framework, validate_framework_with,
    ConnectorKind, PluginCatalog, ValidationOptions,
};
pub use connector_file::{load_connector_file, parse_connector_definition, ConnectorDefinition};
pub use connector_name::{
    check_connector_name, shorten_name, InvalidConnectorName, MAX_CONNECTOR_NAME_BYTES,
};
pub use properties::{load_properties_file, parse_properties, PropertiesError};
pub use providers::{ConfigProviders, ProviderError, Resolved, Secrets};
pub use worker::{DistributedSettings, Listener, RestAdvertisement, WorkerConfig, WorkerMode};

use std::path::PathBuf;

/// Errors of this crate. [`ConfigError::Invalid`] carries Java's `ConfigException` text
/// unchanged (for example `Missing required configuration "key.converter" which has no
/// default value.`), so it can be shown to users as a Java worker would.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("Failed to read file {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    /// A `.properties` file holds a malformed `\uXXXX` escape.
    #[error("Malformed \\uxxxx encoding in {} at line {line}", path.display())]
    Properties { path: PathBuf, line: usize },
    /// A configuration value is missing or invalid (Java `ConfigException`).
    #[error("{0}")]
    Invalid(String),
    /// A connector definition file is malformed or incomplete.
    #[error("{message}")]
    ConnectorFile { path: PathBuf, message: String },
}

impl From<ConfigError> for rconnect_sdk::ConnectError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Invalid(m) => rconnect_sdk::ConnectError::Config(m),
            other => rconnect_sdk::ConnectError::Connect(other.to_string()),
        }
    }
}
