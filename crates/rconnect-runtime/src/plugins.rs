//! The plugins a worker can offer: connectors, converters and header converters, each
//! under its class name and Java's aliases.
//!
//! Built-in components and (later) dynamic-library plugins register factories here; the
//! runtime never depends on a connector crate, the binary wires them in.

use std::sync::Arc;

use rconnect_sdk::connector::{SinkConnector, SinkTask, SourceConnector, SourceTask};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::record::{SinkMeta, SourceMeta};
use rconnect_sdk::transform::{Predicate, Transformation};

use crate::herder::{ConnectorType, PluginInfo};

pub type NewSourceConnector = Arc<dyn Fn() -> Box<dyn SourceConnector> + Send + Sync>;
pub type NewSourceTask = Arc<dyn Fn() -> Box<dyn SourceTask> + Send + Sync>;
pub type NewSinkConnector = Arc<dyn Fn() -> Box<dyn SinkConnector> + Send + Sync>;
pub type NewSinkTask = Arc<dyn Fn() -> Box<dyn SinkTask> + Send + Sync>;
pub type NewConverter = Arc<dyn Fn() -> Box<dyn Converter> + Send + Sync>;
pub type NewHeaderConverter = Arc<dyn Fn() -> Box<dyn HeaderConverter> + Send + Sync>;

pub type NewSourceTransformation =
    Arc<dyn Fn() -> Box<dyn Transformation<SourceMeta>> + Send + Sync>;
pub type NewSinkTransformation = Arc<dyn Fn() -> Box<dyn Transformation<SinkMeta>> + Send + Sync>;
pub type NewSourcePredicate = Arc<dyn Fn() -> Box<dyn Predicate<SourceMeta>> + Send + Sync>;
pub type NewSinkPredicate = Arc<dyn Fn() -> Box<dyn Predicate<SinkMeta>> + Send + Sync>;

/// A registered transformation: one class, usable on source and sink records.
#[derive(Clone)]
pub struct TransformationPlugin {
    pub class_name: String,
    pub version: String,
    pub for_source: NewSourceTransformation,
    pub for_sink: NewSinkTransformation,
}

/// A registered predicate.
#[derive(Clone)]
pub struct PredicatePlugin {
    pub class_name: String,
    pub version: String,
    pub for_source: NewSourcePredicate,
    pub for_sink: NewSinkPredicate,
}

/// How to make a connector and its tasks.
#[derive(Clone)]
pub enum ConnectorFactory {
    Source {
        connector: NewSourceConnector,
        task: NewSourceTask,
    },
    Sink {
        connector: NewSinkConnector,
        task: NewSinkTask,
    },
}

/// A registered connector plugin.
#[derive(Clone)]
pub struct ConnectorPlugin {
    pub class_name: String,
    pub version: String,
    pub factory: ConnectorFactory,
}

impl ConnectorPlugin {
    pub fn connector_type(&self) -> ConnectorType {
        match self.factory {
            ConnectorFactory::Source { .. } => ConnectorType::Source,
            ConnectorFactory::Sink { .. } => ConnectorType::Sink,
        }
    }
}

/// A registered converter plugin; one class may be both kinds, as in Java.
#[derive(Clone)]
pub struct ConverterPlugin {
    pub class_name: String,
    pub version: String,
    pub converter: Option<NewConverter>,
    pub header_converter: Option<NewHeaderConverter>,
}

/// Why a class name could not be resolved (Java's messages).
pub type PluginError = rconnect_config::ResolveError;

/// Every plugin this worker offers.
#[derive(Clone, Default)]
pub struct PluginRegistry {
    connectors: Vec<ConnectorPlugin>,
    converters: Vec<ConverterPlugin>,
    transformations: Vec<TransformationPlugin>,
    predicates: Vec<PredicatePlugin>,
}

/// Resolves a full class name or Java alias among `items`.
fn resolve<'a, T>(
    items: &'a [T],
    class: impl Fn(&T) -> &str,
    name: &str,
    suffix: &str,
) -> Result<&'a T, PluginError> {
    let classes: Vec<(String, String)> = items
        .iter()
        .map(|p| (class(p).to_string(), suffix.to_string()))
        .collect();
    let found = rconnect_config::resolve_class(name, &classes)?.to_string();
    Ok(items
        .iter()
        .find(|p| class(p) == found)
        .expect("resolved among these items"))
}

impl PluginRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a connector; a class already registered keeps its first registration, as
    /// Java keeps the first of two duplicate classes.
    pub fn register_connector(&mut self, plugin: ConnectorPlugin) -> bool {
        if self
            .connectors
            .iter()
            .any(|p| p.class_name == plugin.class_name)
        {
            return false;
        }
        self.connectors.push(plugin);
        true
    }

    pub fn register_converter(&mut self, plugin: ConverterPlugin) -> bool {
        if self
            .converters
            .iter()
            .any(|p| p.class_name == plugin.class_name)
        {
            return false;
        }
        self.converters.push(plugin);
        true
    }

    pub fn register_transformation(&mut self, plugin: TransformationPlugin) -> bool {
        if self
            .transformations
            .iter()
            .any(|p| p.class_name == plugin.class_name)
        {
            return false;
        }
        self.transformations.push(plugin);
        true
    }

    pub fn register_predicate(&mut self, plugin: PredicatePlugin) -> bool {
        if self
            .predicates
            .iter()
            .any(|p| p.class_name == plugin.class_name)
        {
            return false;
        }
        self.predicates.push(plugin);
        true
    }

    /// Resolves a `transforms.<alias>.type`.
    pub fn transformation(&self, name: &str) -> Result<&TransformationPlugin, PluginError> {
        resolve(
            &self.transformations,
            |p| &p.class_name,
            name,
            "Transformation",
        )
    }

    /// Resolves a `predicates.<alias>.type`.
    pub fn predicate(&self, name: &str) -> Result<&PredicatePlugin, PluginError> {
        resolve(&self.predicates, |p| &p.class_name, name, "Predicate")
    }

    /// Resolves `connector.class` (full name or alias).
    pub fn connector(&self, name: &str) -> Result<&ConnectorPlugin, PluginError> {
        resolve(&self.connectors, |p| &p.class_name, name, "Connector")
    }

    /// Resolves a key/value converter class.
    pub fn converter(&self, name: &str) -> Result<&NewConverter, PluginError> {
        let with: Vec<&ConverterPlugin> = self
            .converters
            .iter()
            .filter(|p| p.converter.is_some())
            .collect();
        resolve(&with, |p| &p.class_name, name, "Converter")
            .map(|p| p.converter.as_ref().expect("filtered"))
    }

    /// Resolves a header converter class.
    pub fn header_converter(&self, name: &str) -> Result<&NewHeaderConverter, PluginError> {
        let with: Vec<&ConverterPlugin> = self
            .converters
            .iter()
            .filter(|p| p.header_converter.is_some())
            .collect();
        resolve(&with, |p| &p.class_name, name, "HeaderConverter")
            .map(|p| p.header_converter.as_ref().expect("filtered"))
    }

    /// The class names of every non-connector plugin, for config validation.
    pub fn catalog(&self) -> rconnect_config::connector::PluginCatalog {
        rconnect_config::connector::PluginCatalog {
            converters: self
                .converters
                .iter()
                .filter(|p| p.converter.is_some())
                .map(|p| p.class_name.clone())
                .collect(),
            header_converters: self
                .converters
                .iter()
                .filter(|p| p.header_converter.is_some())
                .map(|p| p.class_name.clone())
                .collect(),
            transformations: self
                .transformations
                .iter()
                .map(|p| p.class_name.clone())
                .collect(),
            predicates: self
                .predicates
                .iter()
                .map(|p| p.class_name.clone())
                .collect(),
        }
    }

    /// `GET /connector-plugins`: sinks, sources, then (unless `connectors_only`)
    /// transformations, predicates, converters and header converters, each sorted by class
    /// name.
    pub fn plugin_infos(&self, connectors_only: bool) -> Vec<PluginInfo> {
        let info = |class: &str, t: &str, v: &str| PluginInfo {
            class_name: class.to_string(),
            plugin_type: t.to_string(),
            version: (v != "undefined").then(|| v.to_string()),
        };
        let mut out = Vec::new();
        for (want, t) in [
            (ConnectorType::Sink, "sink"),
            (ConnectorType::Source, "source"),
        ] {
            let mut group: Vec<&ConnectorPlugin> = self
                .connectors
                .iter()
                .filter(|p| p.connector_type() == want)
                .collect();
            group.sort_by(|a, b| a.class_name.cmp(&b.class_name));
            out.extend(
                group
                    .into_iter()
                    .map(|p| info(&p.class_name, t, &p.version)),
            );
        }
        if !connectors_only {
            let mut transforms: Vec<&TransformationPlugin> = self.transformations.iter().collect();
            transforms.sort_by(|a, b| a.class_name.cmp(&b.class_name));
            out.extend(
                transforms
                    .iter()
                    .map(|p| info(&p.class_name, "transformation", &p.version)),
            );
            let mut predicates: Vec<&PredicatePlugin> = self.predicates.iter().collect();
            predicates.sort_by(|a, b| a.class_name.cmp(&b.class_name));
            out.extend(
                predicates
                    .iter()
                    .map(|p| info(&p.class_name, "predicate", &p.version)),
            );
            let mut convs: Vec<&ConverterPlugin> = self.converters.iter().collect();
            convs.sort_by(|a, b| a.class_name.cmp(&b.class_name));
            out.extend(
                convs
                    .iter()
                    .filter(|p| p.converter.is_some())
                    .map(|p| info(&p.class_name, "converter", &p.version)),
            );
            out.extend(
                convs
                    .iter()
                    .filter(|p| p.header_converter.is_some())
                    .map(|p| info(&p.class_name, "header_converter", &p.version)),
            );
        }
        out
    }
}
