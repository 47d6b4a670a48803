//! The plugins built into the binary: the runtime knows none of them by name.

use std::sync::Arc;

use rconnect_runtime::plugins::{
    ConnectorFactory, ConnectorPlugin, ConverterPlugin, PluginRegistry,
};

/// A registry with the FileStream connectors and the Apache converters.
pub fn registry() -> PluginRegistry {
    let mut r = PluginRegistry::new();
    for c in rconnect_file::connectors() {
        let plugin = match c {
            rconnect_file::ConnectorPlugin::Source {
                class_name,
                version,
                new_connector,
                new_task,
            } => ConnectorPlugin {
                class_name: class_name.to_string(),
                version: version.to_string(),
                factory: ConnectorFactory::Source {
                    connector: Arc::new(new_connector),
                    task: Arc::new(new_task),
                },
            },
            rconnect_file::ConnectorPlugin::Sink {
                class_name,
                version,
                new_connector,
                new_task,
            } => ConnectorPlugin {
                class_name: class_name.to_string(),
                version: version.to_string(),
                factory: ConnectorFactory::Sink {
                    connector: Arc::new(new_connector),
                    task: Arc::new(new_task),
                },
            },
        };
        r.register_connector(plugin);
    }
    for c in rconnect_converters::builtin() {
        r.register_converter(ConverterPlugin {
            class_name: c.class_name.to_string(),
            version: c.version.to_string(),
            converter: c.new_converter.map(|f| Arc::new(f) as _),
            header_converter: c.new_header_converter.map(|f| Arc::new(f) as _),
        });
    }
    r
}
