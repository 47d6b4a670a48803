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

/// Classes of the plugin types a worker knows but `GET /connector-plugins/{p}/config` does
/// not describe, with the type suffix Java prunes for their aliases. Java scans these as
/// plugins, so they take part in alias collisions, and that endpoint answers 400 for them
/// rather than 404. The client config override policies are the ones rconnect implements
/// (`connector.client.config.override.policy`); the config providers are the built-ins of
/// Java's worker (worker.md "Config providers"). REST extensions are not applicable to
/// rconnect (rest-api.md), so none is listed.
pub const OTHER_PLUGIN_CLASSES: [(&str, &str); 6] = [
    (
        "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "ConfigProvider",
    ),
    (
        "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "ConfigProvider",
    ),
    (
        "org.apache.kafka.common.config.provider.FileConfigProvider",
        "ConfigProvider",
    ),
    (
        "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
        "ConnectorClientConfigOverridePolicy",
    ),
    (
        "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
        "ConnectorClientConfigOverridePolicy",
    ),
    (
        "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
        "ConnectorClientConfigOverridePolicy",
    ),
];

/// The plugin a class name or alias names among every plugin type (Java's
/// `Plugins.pluginClass`), for `GET /connector-plugins/{p}/config`.
#[derive(Clone, Copy)]
pub enum PluginClass<'a> {
    Connector(&'a ConnectorPlugin),
    /// A converter, a header converter, or one class that is both.
    Converter(&'a ConverterPlugin),
    Transformation(&'a TransformationPlugin),
    Predicate(&'a PredicatePlugin),
    /// A class of another plugin type ([`OTHER_PLUGIN_CLASSES`]).
    Other(&'static str),
}

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

    /// Resolves a full class name or alias among every plugin type at once, as Java's
    /// `Plugins.pluginClass` does: an alias (a simple class name, or one cut at its type's
    /// suffix) names a class only when no other class of any type has the same alias;
    /// anything else must be a full class name. A class registered under several types
    /// answers as the first of connector, converter (or header converter), transformation
    /// and predicate, the order of Java's `instanceof` checks in `connectorPluginConfig`.
    /// `None` when nothing matches (Java's `ClassNotFoundException`).
    pub fn plugin_class(&self, name: &str) -> Option<PluginClass<'_>> {
        let mut candidates: Vec<(&str, &str)> = Vec::new();
        candidates.extend(
            self.connectors
                .iter()
                .map(|p| (p.class_name.as_str(), "Connector")),
        );
        for p in &self.converters {
            if p.converter.is_some() {
                candidates.push((&p.class_name, "Converter"));
            }
            if p.header_converter.is_some() {
                candidates.push((&p.class_name, "HeaderConverter"));
            }
        }
        candidates.extend(
            self.transformations
                .iter()
                .map(|p| (p.class_name.as_str(), "Transformation")),
        );
        candidates.extend(
            self.predicates
                .iter()
                .map(|p| (p.class_name.as_str(), "Predicate")),
        );
        candidates.extend(OTHER_PLUGIN_CLASSES);

        // Java looks the value up among the aliases first and falls back to it as a class
        // name; an exact class name first is the same, because a name without a package
        // is its own simple name and so collides with any other class aliased to it.
        let class = match candidates.iter().find(|(c, _)| *c == name) {
            Some((c, _)) => c.to_string(),
            None => {
                let mut owners: Vec<&str> = candidates
                    .iter()
                    .filter(|(c, suffix)| {
                        rconnect_config::plugin_aliases(c, suffix)
                            .iter()
                            .any(|a| a == name)
                    })
                    .map(|(c, _)| *c)
                    .collect();
                // One class under several types (a converter that is also a header
                // converter) is still one class.
                owners.sort_unstable();
                owners.dedup();
                match owners.as_slice() {
                    [one] => one.to_string(),
                    _ => return None,
                }
            }
        };
        if let Some(p) = self.connectors.iter().find(|p| p.class_name == class) {
            return Some(PluginClass::Connector(p));
        }
        if let Some(p) = self.converters.iter().find(|p| p.class_name == class) {
            return Some(PluginClass::Converter(p));
        }
        if let Some(p) = self.transformations.iter().find(|p| p.class_name == class) {
            return Some(PluginClass::Transformation(p));
        }
        if let Some(p) = self.predicates.iter().find(|p| p.class_name == class) {
            return Some(PluginClass::Predicate(p));
        }
        OTHER_PLUGIN_CLASSES
            .iter()
            .find(|(c, _)| *c == class)
            .map(|(c, _)| PluginClass::Other(c))
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

/// Small plugins of every type, each with its own config definition, for the tests of the
/// registry and of what `GET /connector-plugins/{p}/config` shows.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::sync::Arc;

    use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance};
    use rconnect_sdk::connector::{
        Connector, ConnectorContext, SinkConnector, SinkTask, SinkTaskContext, SourceConnector,
        SourceTask, SourceTaskContext,
    };
    use rconnect_sdk::converter::{Converter, HeaderConverter};
    use rconnect_sdk::data::{Headers, Schema, SchemaAndValue, SchemaRef, Value};
    use rconnect_sdk::record::{ConnectRecord, RecordMeta, SinkRecord, SourceRecord};
    use rconnect_sdk::transform::{Predicate, Transformation};
    use rconnect_sdk::{async_trait, ConnectError, ConnectResult, Props};

    use super::*;

    pub const SOURCE: &str = "test.HelloSourceConnector";
    pub const SINK: &str = "test.DumpSinkConnector";
    /// A converter and a header converter, with a different key for each.
    pub const BOTH: &str = "test.UpperConverter";
    pub const HEADER_ONLY: &str = "test.TagHeaderConverter";
    pub const TRANSFORMATION: &str = "test.MaskField";
    pub const PREDICATE: &str = "test.TopicIsPredicate";

    /// A definition with the given keys, each an optional string.
    pub fn def(keys: &[&str]) -> ConfigDef {
        keys.iter().fold(ConfigDef::new(), |d, k| {
            d.define(ConfigKey::new(
                k,
                ConfigType::String,
                Default::Value(String::new()),
                Importance::Medium,
                &format!("The {k}."),
            ))
        })
    }

    /// One task config per connector: the connector's own.
    #[derive(Default)]
    struct Passing(Props);

    #[async_trait]
    impl Connector for Passing {
        fn version(&self) -> String {
            "1".into()
        }
        fn config_def(&self) -> ConfigDef {
            def(&["topic"])
        }
        async fn start(&mut self, _: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
            self.0 = props;
            Ok(())
        }
        fn task_configs(&mut self, _max: usize) -> ConnectResult<Vec<Props>> {
            Ok(vec![self.0.clone()])
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
        fn task_class(&self) -> String {
            "test.Task".into()
        }
    }
    impl SourceConnector for Passing {}

    /// The same, with the sink's key.
    #[derive(Default)]
    struct Dumping(Passing);

    #[async_trait]
    impl Connector for Dumping {
        fn version(&self) -> String {
            self.0.version()
        }
        fn config_def(&self) -> ConfigDef {
            def(&["file"])
        }
        async fn start(
            &mut self,
            ctx: Arc<dyn ConnectorContext>,
            props: Props,
        ) -> ConnectResult<()> {
            self.0.start(ctx, props).await
        }
        fn task_configs(&mut self, max: usize) -> ConnectResult<Vec<Props>> {
            self.0.task_configs(max)
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            self.0.stop().await
        }
        fn task_class(&self) -> String {
            self.0.task_class()
        }
    }
    impl SinkConnector for Dumping {}

    /// A source task with nothing to produce; a sink task that counts what it receives.
    #[derive(Default)]
    struct Idle(usize);

    #[async_trait]
    impl SourceTask for Idle {
        fn version(&self) -> String {
            "1".into()
        }
        async fn start(&mut self, _: SourceTaskContext, _: Props) -> ConnectResult<()> {
            Ok(())
        }
        async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
            Ok(None)
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl SinkTask for Idle {
        fn version(&self) -> String {
            "1".into()
        }
        async fn start(&mut self, _: SinkTaskContext, _: Props) -> ConnectResult<()> {
            Ok(())
        }
        async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
            self.0 += records.len();
            Ok(())
        }
        async fn stop(&mut self) -> ConnectResult<()> {
            Ok(())
        }
    }

    /// Strings as UTF-8, as a converter (key `prefix`) and as a header converter (key
    /// `header.prefix`), so a test can tell which definition was shown.
    #[derive(Default)]
    struct Utf8;

    fn utf8_bytes(value: &Value) -> ConnectResult<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone().into_bytes())),
            other => Err(ConnectError::data(format!(
                "not a string: {}",
                other.java_class()
            ))),
        }
    }

    fn utf8_value(bytes: Option<&[u8]>) -> SchemaAndValue {
        SchemaAndValue::new(
            Some(Schema::optional_string()),
            bytes
                .map(|b| Value::String(String::from_utf8_lossy(b).into_owned().into()))
                .unwrap_or(Value::Null),
        )
    }

    #[async_trait]
    impl Converter for Utf8 {
        fn configure(&mut self, _: &Props, _: bool) -> ConnectResult<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def(&["prefix"])
        }
        async fn from_connect(
            &self,
            _: &str,
            _: &mut Headers,
            _: Option<&SchemaRef>,
            value: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            utf8_bytes(value)
        }
        async fn to_connect(
            &self,
            _: &str,
            _: &Headers,
            bytes: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Ok(utf8_value(bytes))
        }
    }

    impl HeaderConverter for Utf8 {
        fn configure(&mut self, _: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def(&["header.prefix"])
        }
        fn to_connect_header(
            &self,
            _: &str,
            _: &str,
            bytes: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Ok(utf8_value(bytes))
        }
        fn from_connect_header(
            &self,
            _: &str,
            _: &str,
            _: Option<&SchemaRef>,
            value: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            utf8_bytes(value)
        }
    }

    /// A header converter only (key `tag`).
    struct Tag;

    impl HeaderConverter for Tag {
        fn configure(&mut self, _: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def(&["tag"])
        }
        fn to_connect_header(
            &self,
            topic: &str,
            key: &str,
            bytes: Option<&[u8]>,
        ) -> ConnectResult<SchemaAndValue> {
            Utf8.to_connect_header(topic, key, bytes)
        }
        fn from_connect_header(
            &self,
            topic: &str,
            key: &str,
            schema: Option<&SchemaRef>,
            value: &Value,
        ) -> ConnectResult<Option<Vec<u8>>> {
            Utf8.from_connect_header(topic, key, schema, value)
        }
    }

    /// Drops every record (key `fields`); keeps records whose topic is `topic.name`.
    struct DropAll;

    impl<M: RecordMeta> Transformation<M> for DropAll {
        fn configure(&mut self, _: &Props) -> ConnectResult<()> {
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def(&["fields"])
        }
        fn apply(&self, _: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
            Ok(None)
        }
    }

    #[derive(Default)]
    struct TopicIs(String);

    impl<M: RecordMeta> Predicate<M> for TopicIs {
        fn configure(&mut self, props: &Props) -> ConnectResult<()> {
            self.0 = props.get("topic.name").cloned().unwrap_or_default();
            Ok(())
        }
        fn config_def(&self) -> ConfigDef {
            def(&["topic.name"])
        }
        fn test(&self, record: &ConnectRecord<M>) -> ConnectResult<bool> {
            Ok(record.topic == self.0)
        }
    }

    pub fn source(class: &str) -> ConnectorPlugin {
        ConnectorPlugin {
            class_name: class.into(),
            version: "1".into(),
            factory: ConnectorFactory::Source {
                connector: Arc::new(|| Box::new(Passing::default())),
                task: Arc::new(|| Box::new(Idle::default())),
            },
        }
    }

    pub fn sink(class: &str) -> ConnectorPlugin {
        ConnectorPlugin {
            class_name: class.into(),
            version: "1".into(),
            factory: ConnectorFactory::Sink {
                connector: Arc::new(|| Box::new(Dumping::default())),
                task: Arc::new(|| Box::new(Idle::default())),
            },
        }
    }

    pub fn converter(class: &str, converter: bool, header_converter: bool) -> ConverterPlugin {
        ConverterPlugin {
            class_name: class.into(),
            version: "1".into(),
            converter: converter.then(|| Arc::new(|| Box::new(Utf8) as Box<dyn Converter>) as _),
            header_converter: header_converter.then(|| {
                Arc::new(|| Box::new(Tag) as Box<dyn HeaderConverter>) as NewHeaderConverter
            }),
        }
    }

    pub fn both(class: &str) -> ConverterPlugin {
        ConverterPlugin {
            header_converter: Some(Arc::new(|| Box::new(Utf8) as Box<dyn HeaderConverter>)),
            ..converter(class, true, false)
        }
    }

    pub fn transformation(class: &str) -> TransformationPlugin {
        TransformationPlugin {
            class_name: class.into(),
            version: "1".into(),
            for_source: Arc::new(|| Box::new(DropAll)),
            for_sink: Arc::new(|| Box::new(DropAll)),
        }
    }

    pub fn predicate(class: &str) -> PredicatePlugin {
        PredicatePlugin {
            class_name: class.into(),
            version: "1".into(),
            for_source: Arc::new(|| Box::new(TopicIs::default())),
            for_sink: Arc::new(|| Box::new(TopicIs::default())),
        }
    }

    /// One plugin of every type, under the class names above.
    pub fn registry() -> PluginRegistry {
        let mut r = PluginRegistry::new();
        r.register_connector(source(SOURCE));
        r.register_connector(sink(SINK));
        r.register_converter(both(BOTH));
        r.register_converter(converter(HEADER_ONLY, false, true));
        r.register_transformation(transformation(TRANSFORMATION));
        r.register_predicate(predicate(PREDICATE));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{self, *};
    use super::*;

    /// The class `name` resolves to, with its type as Java's `PluginType` names it.
    fn resolved(r: &PluginRegistry, name: &str) -> Option<(String, &'static str)> {
        r.plugin_class(name).map(|p| match p {
            PluginClass::Connector(c) => (
                c.class_name.clone(),
                match c.connector_type() {
                    ConnectorType::Sink => "sink",
                    _ => "source",
                },
            ),
            PluginClass::Converter(c) => (c.class_name.clone(), "converter"),
            PluginClass::Transformation(t) => (t.class_name.clone(), "transformation"),
            PluginClass::Predicate(p) => (p.class_name.clone(), "predicate"),
            PluginClass::Other(c) => (c.to_string(), "other"),
        })
    }

    #[test]
    fn plugin_class_resolves_every_type_by_class_name_and_alias() {
        let r = fixtures::registry();
        for (name, class, t) in [
            (SOURCE, SOURCE, "source"),
            ("HelloSourceConnector", SOURCE, "source"),
            ("HelloSource", SOURCE, "source"),
            ("DumpSink", SINK, "sink"),
            (BOTH, BOTH, "converter"),
            ("UpperConverter", BOTH, "converter"),
            ("Upper", BOTH, "converter"),
            // Pruned at `HeaderConverter` as a header converter, at `Converter` never:
            // Java prunes each plugin at its own type's suffix.
            ("TagHeaderConverter", HEADER_ONLY, "converter"),
            ("Tag", HEADER_ONLY, "converter"),
            (TRANSFORMATION, TRANSFORMATION, "transformation"),
            ("MaskField", TRANSFORMATION, "transformation"),
            (PREDICATE, PREDICATE, "predicate"),
            ("TopicIsPredicate", PREDICATE, "predicate"),
            ("TopicIs", PREDICATE, "predicate"),
        ] {
            assert_eq!(
                resolved(&r, name),
                Some((class.to_string(), t)),
                "{name} should name {class}"
            );
        }
        for unknown in [
            "Nope",
            "test.Nope",
            "TagHeader",
            "Mask",
            "HelloSourceConnector ",
        ] {
            assert_eq!(resolved(&r, unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn an_alias_two_classes_share_across_types_names_neither() {
        let mut r = fixtures::registry();
        // `Shared` is the simple name of a transformation and of a predicate.
        r.register_transformation(transformation("a.Shared"));
        r.register_predicate(predicate("b.Shared"));
        // `All` is also the alias of Java's AllConnectorClientConfigOverridePolicy.
        r.register_connector(source("c.AllConnector"));
        assert_eq!(resolved(&r, "Shared"), None);
        assert_eq!(resolved(&r, "All"), None);
        assert_eq!(
            resolved(&r, "a.Shared"),
            Some(("a.Shared".into(), "transformation"))
        );
        assert_eq!(
            resolved(&r, "b.Shared"),
            Some(("b.Shared".into(), "predicate"))
        );
        assert_eq!(
            resolved(&r, "AllConnector"),
            Some(("c.AllConnector".into(), "source"))
        );
    }

    #[test]
    fn one_class_under_several_types_answers_as_the_first_java_checks() {
        let mut r = PluginRegistry::new();
        r.register_predicate(predicate("x.Multi"));
        r.register_transformation(transformation("x.Multi"));
        assert_eq!(
            resolved(&r, "Multi"),
            Some(("x.Multi".into(), "transformation"))
        );
        r.register_converter(fixtures::converter("x.Multi", true, false));
        assert_eq!(resolved(&r, "Multi"), Some(("x.Multi".into(), "converter")));
        r.register_connector(sink("x.Multi"));
        assert_eq!(resolved(&r, "x.Multi"), Some(("x.Multi".into(), "sink")));
    }

    #[test]
    fn other_plugin_types_resolve_but_are_not_described() {
        let r = fixtures::registry();
        for (name, class) in [
            (
                "All",
                "org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy",
            ),
            (
                "PrincipalConnectorClientConfigOverridePolicy",
                "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
            ),
            (
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
            ),
            (
                "FileConfigProvider",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "EnvVar",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
            (
                "Directory",
                "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            ),
        ] {
            assert_eq!(
                resolved(&r, name),
                Some((class.to_string(), "other")),
                "{name}"
            );
        }
    }
}
