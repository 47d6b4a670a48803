//! The converters of one task: connector overrides or the worker's (worker.md §5.1).

use rconnect_config::WorkerConfig;
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::{ConnectError, ConnectResult, Props};

use crate::plugins::PluginRegistry;

/// Key, value and header converters, configured.
pub struct Converters {
    pub key: Box<dyn Converter>,
    pub value: Box<dyn Converter>,
    pub header: Box<dyn HeaderConverter>,
    /// The Java class names of the three, as error reports name them.
    pub key_class: String,
    pub value_class: String,
    pub header_class: String,
}

/// The full class name of a configured converter (which may be an alias).
fn class_name(plugins: &PluginRegistry, configured: &str) -> String {
    match plugins.plugin_class(configured) {
        Some(crate::plugins::PluginClass::Converter(p)) => p.class_name.to_string(),
        _ => configured.to_string(),
    }
}

/// The class and settings of converter `which` (`key`, `value`, `header`): if the
/// connector names a class, only the connector's prefixed settings apply; otherwise the
/// worker's class and settings.
fn pick(which: &str, worker: &WorkerConfig, connector: &Props) -> ConnectResult<(String, Props)> {
    let class_key = format!("{which}.converter");
    if let Some(c) = connector.get(&class_key) {
        let prefix = format!("{class_key}.");
        let props = connector
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
            .collect();
        return Ok((c.trim().to_string(), props));
    }
    let class = match which {
        "key" => &worker.key_converter,
        "value" => &worker.value_converter,
        _ => &worker.header_converter,
    };
    Ok((class.clone(), worker.converter_props(which)))
}

impl Converters {
    pub fn new(
        plugins: &PluginRegistry,
        worker: &WorkerConfig,
        connector: &Props,
    ) -> ConnectResult<Self> {
        let make = |which: &str, is_key: bool| -> ConnectResult<(Box<dyn Converter>, String)> {
            let (class, mut props) = pick(which, worker, connector)?;
            let factory = plugins.converter(&class).map_err(|e| {
                ConnectError::config(format!(
                    "Invalid value {class} for configuration {which}.converter: {e}"
                ))
            })?;
            let mut c = factory();
            props.insert("converter.type".into(), which.into());
            c.configure(&props, is_key)?;
            Ok((c, class_name(plugins, &class)))
        };
        let (hclass, mut hprops) = pick("header", worker, connector)?;
        let hfactory = plugins.header_converter(&hclass).map_err(|e| {
            ConnectError::config(format!(
                "Invalid value {hclass} for configuration header.converter: {e}"
            ))
        })?;
        let mut header = hfactory();
        hprops.insert("converter.type".into(), "header".into());
        header.configure(&hprops)?;
        let (key, key_class) = make("key", true)?;
        let (value, value_class) = make("value", false)?;
        Ok(Converters {
            key,
            value,
            header,
            key_class,
            value_class,
            header_class: class_name(plugins, &hclass),
        })
    }
}
