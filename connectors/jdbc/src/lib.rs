//! A JDBC source connector compatible with Confluent's
//! `io.confluent.connect.jdbc.JdbcSourceConnector` (kafka-connect-jdbc 10.x), for
//! PostgreSQL, MySQL/MariaDB and SQL Server, with no JDBC driver to install.
//!
//! The same `.properties` file runs unchanged: `connection.url` keeps its JDBC form, every
//! source key of Confluent's connector is accepted with its default, and source offsets
//! are read and written byte for byte as Confluent's connector does, so a connector moved
//! from a Java worker resumes where it stopped.
//!
//! * [`connector::JdbcSourceConnector`]: validation, table discovery, task split.
//! * [`task::JdbcSourceTask`]: the queries of each mode and the records they produce.
//!
//! ```
//! let p = rconnect_jdbc::connectors();
//! assert_eq!(p[0].class_name, "io.confluent.connect.jdbc.JdbcSourceConnector");
//! ```

pub mod config;
pub mod connector;
pub mod db;
pub mod dialect;
pub mod offset;
pub mod task;
pub mod types;
pub mod url;

use rconnect_sdk::connector::{SourceConnector, SourceTask};

pub use connector::{JdbcSourceConnector, CONNECTOR_CLASS};
pub use task::{JdbcSourceTask, TASK_CLASS};

/// The version reported by the connector and its task: the Confluent release whose
/// behaviour they reproduce.
pub const VERSION: &str = "10.9.0";

/// A source connector as a plugin registry needs it.
#[derive(Clone, Copy)]
pub struct SourcePlugin {
    pub class_name: &'static str,
    pub version: &'static str,
    pub new_connector: fn() -> Box<dyn SourceConnector>,
    pub new_task: fn() -> Box<dyn SourceTask>,
}

/// The JDBC source connector (its aliases `JdbcSourceConnector` and `JdbcSource` follow
/// from the class name).
pub fn connectors() -> Vec<SourcePlugin> {
    vec![SourcePlugin {
        class_name: CONNECTOR_CLASS,
        version: VERSION,
        new_connector: || {
            install_crypto_provider();
            Box::new(JdbcSourceConnector::new())
        },
        new_task: || {
            install_crypto_provider();
            Box::new(JdbcSourceTask::new())
        },
    }]
}

/// rustls needs one process-wide crypto provider; two are compiled in (ring for sqlx,
/// aws-lc-rs pulled by tiberius' tokio-rustls defaults), so none is chosen automatically.
/// Installing ring is a no-op when a provider is already installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
