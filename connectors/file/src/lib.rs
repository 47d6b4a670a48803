//! FileStream source and sink connectors, compatible with Apache Kafka's
//! `org.apache.kafka.connect.file` connectors (version 3.9.0).
//!
//! * [`FileStreamSourceConnector`] / [`FileStreamSourceTask`]: read the lines of a file
//!   (or stdin) into one topic; offsets are byte positions (see [`source`] for how this
//!   fixes Java's char/byte mismatch).
//! * [`FileStreamSinkConnector`] / [`FileStreamSinkTask`]: append each record's value
//!   as a line to a file (or stdout).
//!
//! [`connectors`] lists them for a plugin registry.

mod lines;
pub mod sink;
pub mod source;
mod writer;

use rconnect_sdk::connector::{SinkConnector, SinkTask, SourceConnector, SourceTask};

pub use sink::{
    sink_config_def, FileStreamSinkConnector, FileStreamSinkTask, SINK_CONNECTOR_CLASS,
    SINK_TASK_CLASS,
};
pub use source::{
    source_config_def, FileStreamSourceConnector, FileStreamSourceTask, DEFAULT_TASK_BATCH_SIZE,
    FILENAME_FIELD, FILE_CONFIG, POSITION_FIELD, SOURCE_CONNECTOR_CLASS, SOURCE_TASK_CLASS,
    TASK_BATCH_SIZE_CONFIG, TOPIC_CONFIG,
};

/// The version every FileStream connector and task reports: the Kafka release whose
/// behaviour they reproduce.
pub const VERSION: &str = "3.9.0";

/// A connector plugin as a registry needs it: its class name, version and constructors.
///
/// Self-contained so the worker can build its plugin table from [`connectors`]; it may
/// move into the SDK later.
#[derive(Clone, Copy)]
pub enum ConnectorPlugin {
    /// A source connector and its task.
    Source {
        class_name: &'static str,
        version: &'static str,
        new_connector: fn() -> Box<dyn SourceConnector>,
        new_task: fn() -> Box<dyn SourceTask>,
    },
    /// A sink connector and its task.
    Sink {
        class_name: &'static str,
        version: &'static str,
        new_connector: fn() -> Box<dyn SinkConnector>,
        new_task: fn() -> Box<dyn SinkTask>,
    },
}

impl ConnectorPlugin {
    /// The connector's fully qualified Java class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            ConnectorPlugin::Source { class_name, .. }
            | ConnectorPlugin::Sink { class_name, .. } => class_name,
        }
    }

    /// The plugin version.
    pub fn version(&self) -> &'static str {
        match self {
            ConnectorPlugin::Source { version, .. } | ConnectorPlugin::Sink { version, .. } => {
                version
            }
        }
    }
}

impl std::fmt::Debug for ConnectorPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            ConnectorPlugin::Source { .. } => "Source",
            ConnectorPlugin::Sink { .. } => "Sink",
        };
        f.debug_struct(kind)
            .field("class_name", &self.class_name())
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

/// The FileStream source and sink connectors, source first.
pub fn connectors() -> Vec<ConnectorPlugin> {
    vec![
        ConnectorPlugin::Source {
            class_name: SOURCE_CONNECTOR_CLASS,
            version: VERSION,
            new_connector: || Box::new(FileStreamSourceConnector::new()),
            new_task: || Box::new(FileStreamSourceTask::new()),
        },
        ConnectorPlugin::Sink {
            class_name: SINK_CONNECTOR_CLASS,
            version: VERSION,
            new_connector: || Box::new(FileStreamSinkConnector::new()),
            new_task: || Box::new(FileStreamSinkTask::new()),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_builds_working_instances() {
        let plugins = connectors();
        assert_eq!(plugins.len(), 2);
        match &plugins[0] {
            ConnectorPlugin::Source {
                class_name,
                version,
                new_connector,
                new_task,
            } => {
                assert_eq!(
                    *class_name,
                    "org.apache.kafka.connect.file.FileStreamSourceConnector"
                );
                assert_eq!(*version, "3.9.0");
                let c = new_connector();
                assert_eq!(c.task_class(), SOURCE_TASK_CLASS);
                assert_eq!(c.version(), *version);
                assert_eq!(new_task().version(), *version);
            }
            other => panic!("expected the source first, got {other:?}"),
        }
        match &plugins[1] {
            ConnectorPlugin::Sink {
                class_name,
                version,
                new_connector,
                new_task,
            } => {
                assert_eq!(
                    *class_name,
                    "org.apache.kafka.connect.file.FileStreamSinkConnector"
                );
                let c = new_connector();
                assert_eq!(c.task_class(), SINK_TASK_CLASS);
                assert_eq!(c.config_def().keys().len(), 1);
                assert_eq!(new_task().version(), *version);
            }
            other => panic!("expected the sink second, got {other:?}"),
        }
        assert_eq!(plugins[1].class_name(), SINK_CONNECTOR_CLASS);
        assert_eq!(plugins[0].version(), VERSION);
    }
}
