//! The framework connector configuration (Java `ConnectorConfig`, `SinkConnectorConfig`,
//! `SourceConnectorConfig`, `TopicCreationConfig`) and its validation (worker.md §5).

use crate::aliases::resolve_class;
use crate::connector_name::{check_connector_name, shorten_name, InvalidConnectorName};
use crate::java::{case_insensitive_valid_string, config_exception, list_string};
use crate::worker::{partitions_validator, replication_factor_validator};
use rconnect_sdk::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, ConfigValueReport, Default, Importance,
    Validator, Width,
};
use rconnect_sdk::Props;
use std::sync::Arc;

pub const NAME_CONFIG: &str = "name";
pub const CONNECTOR_CLASS_CONFIG: &str = "connector.class";
pub const TASKS_MAX_CONFIG: &str = "tasks.max";
pub const TASKS_MAX_ENFORCE_CONFIG: &str = "tasks.max.enforce";
pub const TRANSFORMS_CONFIG: &str = "transforms";
pub const PREDICATES_CONFIG: &str = "predicates";
pub const TOPICS_CONFIG: &str = "topics";
pub const TOPICS_REGEX_CONFIG: &str = "topics.regex";
pub const DLQ_TOPIC_NAME_CONFIG: &str = "errors.deadletterqueue.topic.name";
pub const TOPIC_CREATION_PREFIX: &str = "topic.creation.";
pub const TOPIC_CREATION_GROUPS_CONFIG: &str = "topic.creation.groups";

const COMMON_GROUP: &str = "Common";
const TRANSFORMS_GROUP: &str = "Transforms";
const PREDICATES_GROUP: &str = "Predicates";
const ERROR_GROUP: &str = "Error Handling";
const TOPIC_CREATION_GROUP: &str = "Topic Creation";
const EXACTLY_ONCE_SUPPORT_GROUP: &str = "Exactly Once Support";
const OFFSETS_TOPIC_GROUP: &str = "offsets.topic";

/// Whether a connector is a source or a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    Source,
    Sink,
}

fn key(
    name: &str,
    t: ConfigType,
    default: Default,
    importance: Importance,
    doc: &str,
) -> ConfigKey {
    ConfigKey::new(name, t, default, importance, doc)
}

fn v(s: &str) -> Default {
    Default::Value(s.to_string())
}

/// Java `NonEmptyStringWithoutControlChars` on `name`, plus rconnect's length limit: the
/// connector-name rule, so `config/validate` reports what a create would refuse. An over-long
/// value is shown shortened rather than echoed whole.
fn connector_name_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        let s = match value {
            ConfigValue::String(s) => s,
            _ => return Ok(()),
        };
        check_connector_name(s).map_err(|e| {
            let shown = match e {
                InvalidConnectorName::TooLong { .. } => shorten_name(s),
                _ => s.clone(),
            };
            config_exception(name, &shown, &e.to_string())
        })
    }))
}

/// Java `ConnectorConfig.aliasValidator`: the alias list must not repeat an alias.
fn unique_aliases() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        let items = match value {
            ConfigValue::List(items) => items,
            ConfigValue::Null => {
                return Err(config_exception(name, "null", "entry must be non null"))
            }
            _ => return Ok(()),
        };
        let mut seen = std::collections::HashSet::new();
        if items.iter().all(|i| seen.insert(i)) {
            Ok(())
        } else {
            Err(config_exception(
                name,
                &list_string(items),
                "Duplicate alias provided.",
            ))
        }
    }))
}

pub(crate) fn compile_java_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

/// Java `RegexValidator` (a single pattern) or `TopicCreationConfig.REGEX_VALIDATOR`
/// (a list). Patterns are checked with the Rust `regex` syntax, which lacks Java's
/// look-around and back-references; such patterns are reported invalid because the
/// runtime could not apply them either.
fn regex_validator() -> Validator {
    Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| {
        let patterns: Vec<&str> = match value {
            ConfigValue::String(s) => vec![s.as_str()],
            ConfigValue::List(l) => l.iter().map(String::as_str).collect(),
            _ => return Ok(()),
        };
        for p in patterns {
            if let Err(e) = compile_java_regex(p) {
                let reason = match value {
                    ConfigValue::String(_) => format!("Invalid regex: {e}"),
                    _ => format!("Syntax error in regular expression: {e}"),
                };
                return Err(config_exception(name, p, &reason));
            }
        }
        Ok(())
    }))
}

/// The keys every connector has (Java `ConnectorConfig.configDef()`, Kafka 3.9).
pub fn connector_config_def() -> ConfigDef {
    use ConfigType as T;
    use Importance::{High, Low, Medium};
    ConfigDef::new()
        .define(
            key(NAME_CONFIG, T::String, Default::Required, High, "Globally unique name to use for this connector.")
                .validator(connector_name_validator())
                .group(COMMON_GROUP, 1, Width::Medium, "Connector name"),
        )
        .define(
            key(CONNECTOR_CLASS_CONFIG, T::String, Default::Required, High, "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter")
                .group(COMMON_GROUP, 2, Width::Long, "Connector class"),
        )
        .define(
            key(TASKS_MAX_CONFIG, T::Int, v("1"), High, "Maximum number of tasks to use for this connector.")
                .validator(Validator::at_least(1.0))
                .group(COMMON_GROUP, 3, Width::Short, "Tasks max"),
        )
        .define(
            key(TASKS_MAX_ENFORCE_CONFIG, T::Boolean, v("true"), Low, "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.")
                .group(COMMON_GROUP, 4, Width::Short, "Enforce tasks max"),
        )
        .define(
            key("key.converter", T::Class, Default::Null, Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the keys in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
                .group(COMMON_GROUP, 5, Width::Short, "Key converter class"),
        )
        .define(
            key("value.converter", T::Class, Default::Null, Low, "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro.")
                .group(COMMON_GROUP, 6, Width::Short, "Value converter class"),
        )
        .define(
            key("header.converter", T::Class, Default::Null, Low, "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.")
                .group(COMMON_GROUP, 7, Width::Short, "Header converter class"),
        )
        .define(
            key(TRANSFORMS_CONFIG, T::List, v(""), Low, "Aliases for the transformations to be applied to records.")
                .validator(unique_aliases())
                .group(TRANSFORMS_GROUP, 8, Width::Long, "Transforms"),
        )
        .define(
            key(PREDICATES_CONFIG, T::List, v(""), Low, "Aliases for the predicates used by transformations.")
                .validator(unique_aliases())
                .group(PREDICATES_GROUP, 9, Width::Long, "Predicates"),
        )
        .define(
            key("config.action.reload", T::String, v("restart"), Low, "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.")
                .validator(Validator::ValidString(vec!["none".into(), "restart".into()]))
                .group(COMMON_GROUP, 10, Width::Medium, "Reload Action"),
        )
        .define(
            key("errors.retry.timeout", T::Long, v("0"), Medium, "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.")
                .group(ERROR_GROUP, 1, Width::Medium, "Retry Timeout for Errors"),
        )
        .define(
            key("errors.retry.delay.max.ms", T::Long, v("60000"), Medium, "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.")
                .group(ERROR_GROUP, 2, Width::Medium, "Maximum Delay Between Retries for Errors"),
        )
        .define(
            key("errors.tolerance", T::String, v("none"), Medium, "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.")
                .validator(Validator::ValidString(vec!["none".into(), "all".into()]))
                .group(ERROR_GROUP, 3, Width::Short, "Error Tolerance"),
        )
        .define(
            key("errors.log.enable", T::Boolean, v("false"), Medium, "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.")
                .group(ERROR_GROUP, 4, Width::Short, "Log Errors"),
        )
        .define(
            key("errors.log.include.messages", T::Boolean, v("false"), Medium, "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.")
                .group(ERROR_GROUP, 5, Width::Short, "Log Error Details"),
        )
}

/// The sink connector keys (Java `SinkConnectorConfig.configDef()`).
pub fn sink_config_def() -> ConfigDef {
    use ConfigType as T;
    use Importance::{High, Medium};
    connector_config_def()
        .define(
            key(TOPICS_CONFIG, T::List, v(""), High, "List of topics to consume, separated by commas")
                .group(COMMON_GROUP, 4, Width::Long, "Topics"),
        )
        .define(
            key(TOPICS_REGEX_CONFIG, T::String, v(""), High, "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.")
                .validator(regex_validator())
                .group(COMMON_GROUP, 4, Width::Long, "Topics regex"),
        )
        .define(
            key(DLQ_TOPIC_NAME_CONFIG, T::String, v(""), Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.")
                .group(ERROR_GROUP, 6, Width::Medium, "Dead Letter Queue Topic Name"),
        )
        .define(
            key("errors.deadletterqueue.topic.replication.factor", T::Short, v("3"), Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist.")
                .group(ERROR_GROUP, 7, Width::Medium, "Dead Letter Queue Topic Replication Factor"),
        )
        .define(
            key("errors.deadletterqueue.context.headers.enable", T::Boolean, v("false"), Medium, "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>")
                .group(ERROR_GROUP, 8, Width::Medium, "Enable Error Context Headers"),
        )
}

/// The source connector keys (Java `SourceConnectorConfig.configDef()`).
pub fn source_config_def() -> ConfigDef {
    use ConfigType as T;
    use Importance::{Low, Medium};
    connector_config_def()
        .define(
            key(TOPIC_CREATION_GROUPS_CONFIG, T::List, v(""), Low, "Groups of configurations for topics created by source connectors")
                .validator(unique_aliases())
                .group(TOPIC_CREATION_GROUP, 1, Width::Long, "Topic Creation Groups"),
        )
        .define(
            key("exactly.once.support", T::String, v("requested"), Medium, "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.")
                .validator(case_insensitive_valid_string(&["requested", "required"]))
                .group(EXACTLY_ONCE_SUPPORT_GROUP, 2, Width::Short, "Exactly once support"),
        )
        .define(
            key("transaction.boundary", T::String, v("poll"), Medium, "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.")
                .validator(case_insensitive_valid_string(&["poll", "interval", "connector"]))
                .group(EXACTLY_ONCE_SUPPORT_GROUP, 3, Width::Short, "Transaction Boundary"),
        )
        .define(
            key("transaction.boundary.interval.ms", T::Long, Default::Null, Low, "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.")
                .validator(Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
                    ConfigValue::Null => Ok(()),
                    other => Validator::at_least(0.0).check(name, other),
                })))
                .group(EXACTLY_ONCE_SUPPORT_GROUP, 4, Width::Short, "Transaction boundary interval"),
        )
        .define(
            key("offsets.storage.topic", T::String, Default::Null, Low, "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker’s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the worker's). Only applicable in distributed mode; in standalone mode, setting this property will have no effect.")
                .validator(Validator::Custom(Arc::new(|name: &str, value: &ConfigValue| match value {
                    ConfigValue::Null => Ok(()),
                    other => Validator::NonEmptyString.check(name, other),
                })))
                .group(OFFSETS_TOPIC_GROUP, 1, Width::Long, "Offsets topic"),
        )
}

/// The static framework keys for `kind` (what `GET /connector-plugins/{p}/config` appends).
pub fn kind_config_def(kind: ConnectorKind) -> ConfigDef {
    match kind {
        ConnectorKind::Source => source_config_def(),
        ConnectorKind::Sink => sink_config_def(),
    }
}

/// Distinct aliases of a LIST key, in order (Java's `LinkedHashSet`).
fn unique_list(props: &Props, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in rconnect_sdk::config::parse_list(props.get(key).map(String::as_str).unwrap_or("")) {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Whether any `topic.creation.*` key is present (Java `usesTopicCreation`).
pub fn uses_topic_creation(props: &Props) -> bool {
    props.keys().any(|k| k.starts_with(TOPIC_CREATION_PREFIX))
}

/// The plugins validation may resolve class names against. Aliases are computed across
/// all entries together, as Java's class loader does.
#[derive(Debug, Clone, Default)]
pub struct PluginCatalog {
    pub converters: Vec<String>,
    pub header_converters: Vec<String>,
    pub transformations: Vec<String>,
    pub predicates: Vec<String>,
}

impl PluginCatalog {
    fn entries(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (list, suffix) in [
            (&self.converters, "Converter"),
            (&self.header_converters, "HeaderConverter"),
            (&self.transformations, "Transformation"),
            (&self.predicates, "Predicate"),
        ] {
            for c in list {
                out.push((c.clone(), suffix.to_string()));
            }
        }
        out
    }

    /// The class a converter, transformation or predicate name or alias stands for.
    pub fn resolve(&self, value: &str) -> Option<String> {
        let entries = self.entries();
        resolve_class(value.trim(), &entries)
            .ok()
            .map(str::to_string)
    }

    /// Resolves `value` to a class of the given list; the error is Java's message for
    /// `key`.
    fn check(
        &self,
        key: &str,
        value: &str,
        wanted: &[String],
        type_name: &str,
    ) -> Result<(), String> {
        let value = value.trim();
        let entries = self.entries();
        match resolve_class(value, &entries) {
            Ok(class) if wanted.iter().any(|w| w == class) => Ok(()),
            // Java's message (a bare ConfigException, without the "Invalid value" prefix);
            // the class is printed as `Class#toString` does.
            Ok(class) => Err(format!(
                "Class class {class} does not implement the {type_name} interface"
            )),
            Err(_) => Err(config_exception(
                key,
                value,
                &format!("Class {value} could not be found."),
            )),
        }
    }
}

/// Options of [`validate_framework_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationOptions<'a> {
    /// When given, converter, transformation and predicate class names are resolved.
    pub plugins: Option<&'a PluginCatalog>,
}

/// The framework keys for `kind` enriched for `props` (Java `ConnectorConfig.enrich` and
/// `SourceConnectorConfig.enrich`): `transforms.<a>.type` with the implicit
/// `transforms.<a>.predicate` / `.negate` and `predicates.<p>.type`. The transformations'
/// and predicates' own keys are not included (the runtime knows their definitions).
///
/// The `topic.creation.<group>.*` keys are not part of it: Java 3.9 validates only
/// `topic.creation.groups` here and checks the groups when the connector starts
/// ([`crate::topic_creation`]).
pub fn framework_config_def(kind: ConnectorKind, props: &Props) -> ConfigDef {
    framework_def_with(kind, props, &ValidationOptions::default())
}

fn framework_def_with(
    kind: ConnectorKind,
    props: &Props,
    opts: &ValidationOptions<'_>,
) -> ConfigDef {
    use ConfigType as T;
    let mut def = kind_config_def(kind);
    if let Some(catalog) = opts.plugins {
        for (k, list, type_name) in [
            ("key.converter", &catalog.converters, "Converter"),
            ("value.converter", &catalog.converters, "Converter"),
            (
                "header.converter",
                &catalog.header_converters,
                "HeaderConverter",
            ),
        ] {
            let base = def.key(k).cloned();
            if let Some(base) = base {
                let catalog = catalog.clone();
                let list = list.clone();
                def = def.define(base.validator(Validator::Custom(Arc::new(
                    move |name: &str, value: &ConfigValue| match value {
                        ConfigValue::Class(c) => catalog.check(name, c, &list, type_name),
                        _ => Ok(()),
                    },
                ))));
            }
        }
    }

    for alias in unique_list(props, TRANSFORMS_CONFIG) {
        let prefix = format!("{TRANSFORMS_CONFIG}.{alias}.");
        let group = format!("{TRANSFORMS_GROUP}: {alias}");
        let props_c = props.clone();
        let prefix_c = prefix.clone();
        let catalog = opts.plugins.cloned();
        let type_validator = Validator::Custom(Arc::new(move |name: &str, value: &ConfigValue| {
            let negate = format!("{prefix_c}negate");
            let predicate = format!("{prefix_c}predicate");
            if props_c.contains_key(&negate) && !props_c.contains_key(&predicate) {
                return Err(format!(
                    "Config '{negate}' was provided but there is no config '{predicate}' defining a predicate to be negated."
                ));
            }
            match (&catalog, value) {
                (Some(c), ConfigValue::Class(class)) => {
                    c.check(name, class, &c.transformations, "Transformation")
                }
                _ => Ok(()),
            }
        }));
        def = def
            .define(
                key(&format!("{prefix}type"), T::Class, Default::Required, Importance::High, &format!("Class for the '{alias}' transformation."))
                    .validator(type_validator)
                    .group(&group, 0, Width::Long, &format!("Transformation type for {alias}")),
            )
            .define(
                key(&format!("{prefix}predicate"), T::String, Default::Null, Importance::Medium, "The alias of a predicate used to determine whether to apply this transformation.")
                    .validator(known_predicate_validator(props))
                    .group(&group, 0, Width::None, "predicate"),
            )
            .define(
                key(&format!("{prefix}negate"), T::Boolean, v("false"), Importance::Medium, "Whether the configured predicate should be negated.")
                    .group(&group, 0, Width::None, "negate"),
            );
    }

    for alias in unique_list(props, PREDICATES_CONFIG) {
        let group = format!("{PREDICATES_GROUP}: {alias}");
        let catalog = opts.plugins.cloned();
        let mut k = key(
            &format!("predicates.{alias}.type"),
            T::Class,
            Default::Required,
            Importance::High,
            &format!("Class for the '{alias}' predicate."),
        )
        .group(
            &group,
            0,
            Width::Long,
            &format!("Predicate type for {alias}"),
        );
        if let Some(c) = catalog {
            k = k.validator(Validator::Custom(Arc::new(
                move |name: &str, value: &ConfigValue| match value {
                    ConfigValue::Class(class) => c.check(name, class, &c.predicates, "Predicate"),
                    _ => Ok(()),
                },
            )));
        }
        def = def.define(k);
    }
    def
}

/// Rejects a `transforms.<a>.predicate` naming an alias missing from `predicates`.
///
/// Java only notices this when the task starts (`Unknown configuration
/// 'predicates.<p>.type'`); reporting it at validation time is a deliberate improvement.
fn known_predicate_validator(props: &Props) -> Validator {
    let known = unique_list(props, PREDICATES_CONFIG);
    Validator::Custom(Arc::new(
        move |name: &str, value: &ConfigValue| match value {
            ConfigValue::String(p) if !p.is_empty() && !known.contains(p) => Err(config_exception(
                name,
                p,
                &format!("Predicate alias '{p}' is not defined in '{PREDICATES_CONFIG}'"),
            )),
            _ => Ok(()),
        },
    ))
}

/// `def` with the keys of the `default` topic creation group and of every group in
/// `topic.creation.groups` (Java `SourceConnectorConfig.embedDefaultGroup` and `enrich`);
/// a group's partitions and replication factor default to the default group's.
pub(crate) fn add_topic_creation_keys(mut def: ConfigDef, props: &Props) -> ConfigDef {
    use ConfigType as T;
    let nullable = |v: Validator| {
        Validator::Custom(Arc::new(
            move |name: &str, value: &ConfigValue| match value {
                ConfigValue::Null => Ok(()),
                other => v.check(name, other),
            },
        ))
    };
    let add_group = |def: ConfigDef,
                     alias: &str,
                     group: &str,
                     rf: Default,
                     partitions: Default,
                     include: Default| {
        let prefix = format!("{TOPIC_CREATION_PREFIX}{alias}.");
        // ConfigDef.embed joins the embedding group and the key's own group.
        let shown_group = format!("{group}: {group}");
        def.define(
            key(&format!("{prefix}include"), T::List, include, Importance::Low, "A list of regular expression literals used to match the topic names used by the source connector. This list is used to include topics that should be created using the topic settings defined by this group.")
                .validator(regex_validator())
                .group(&shown_group, 1, Width::Long, &format!("Inclusion Topic Pattern for {group}")),
        )
        .define(
            key(&format!("{prefix}exclude"), T::List, v(""), Importance::Low, "A list of regular expression literals used to match the topic names used by the source connector. This list is used to exclude topics from being created with the topic settings defined by this group. Note that exclusion rules have precedent and override any inclusion rules for the topics.")
                .validator(regex_validator())
                .group(&shown_group, 2, Width::Long, &format!("Exclusion Topic Pattern for {group}")),
        )
        .define(
            key(&format!("{prefix}replication.factor"), T::Short, rf, Importance::Low, "The replication factor for new topics created for this connector using this group. This value may be -1 to use the broker's default replication factor, or may be a positive number not larger than the number of brokers in the Kafka cluster.")
                .validator(nullable(replication_factor_validator()))
                .group(&shown_group, 3, Width::Long, &format!("Replication Factor for Topics in {group}")),
        )
        .define(
            key(&format!("{prefix}partitions"), T::Int, partitions, Importance::Low, "The number of partitions new topics created for this connector. This value may be -1 to use the broker's default number of partitions, or a positive number representing the desired number of partitions.")
                .validator(nullable(partitions_validator()))
                .group(&shown_group, 4, Width::Long, &format!("Partition Count for Topics in {group}")),
        )
    };
    def = add_group(
        def,
        "default",
        "default",
        Default::Required,
        Default::Required,
        v(".*"),
    );
    let inherit = |k: &str| match props.get(&format!("{TOPIC_CREATION_PREFIX}default.{k}")) {
        Some(v) => Default::Value(v.clone()),
        None => Default::Null,
    };
    for alias in unique_list(props, TOPIC_CREATION_GROUPS_CONFIG) {
        if alias == "default" {
            tracing::warn!("'default' topic creation group always exists and does not need to be listed explicitly");
            continue;
        }
        let group = format!("{TOPIC_CREATION_GROUP}: {alias}");
        def = add_group(
            def,
            &alias,
            &group,
            inherit("replication.factor"),
            inherit("partitions"),
            v(""),
        );
    }
    def
}

fn add_error(
    reports: &mut Vec<ConfigValueReport>,
    name: &str,
    value: Option<&String>,
    msg: String,
) {
    match reports.iter_mut().find(|r| r.name == name) {
        Some(r) => r.errors.push(msg),
        None => reports.push(ConfigValueReport {
            name: name.to_string(),
            value: value.cloned(),
            recommended_values: Vec::new(),
            errors: vec![msg],
            visible: true,
        }),
    }
}

/// Java `SinkConnectorConfig.validate(props, validatedConfig)`: exactly one of `topics` /
/// `topics.regex`, and the DLQ topic must not be consumed by the connector.
fn validate_sink(props: &Props, reports: &mut Vec<ConfigValueReport>) {
    let topics = props.get(TOPICS_CONFIG);
    let regex = props.get(TOPICS_REGEX_CONFIG);
    let dlq = props
        .get(DLQ_TOPIC_NAME_CONFIG)
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let has_topics = topics.is_some_and(|t| !t.trim().is_empty());
    let has_regex = regex.is_some_and(|t| !t.trim().is_empty());

    if has_topics && has_regex {
        let msg = format!("{TOPICS_CONFIG} and {TOPICS_REGEX_CONFIG} are mutually exclusive options, but both are set.");
        add_error(reports, TOPICS_CONFIG, topics, msg.clone());
        add_error(reports, TOPICS_REGEX_CONFIG, regex, msg);
    }
    if !has_topics && !has_regex {
        let msg = format!("Must configure one of {TOPICS_CONFIG} or {TOPICS_REGEX_CONFIG}");
        add_error(reports, TOPICS_CONFIG, topics, msg.clone());
        add_error(reports, TOPICS_REGEX_CONFIG, regex, msg);
    }
    if !dlq.is_empty() {
        if has_topics {
            let list = sink_topics(props);
            if list.contains(&dlq) {
                let msg = format!(
                    "The DLQ topic '{dlq}' may not be included in the list of topics ('{TOPICS_CONFIG}={}') consumed by the connector",
                    list_string(&list)
                );
                add_error(reports, TOPICS_CONFIG, topics, msg);
            }
        }
        if has_regex {
            let pattern = regex.map(String::as_str).unwrap_or("");
            if compile_java_regex(pattern).is_ok_and(|re| re.is_match(&dlq)) {
                let msg = format!(
                    "The DLQ topic '{dlq}' may not be matched by the regex for the topics ('{TOPICS_REGEX_CONFIG}={pattern}') consumed by the connector"
                );
                add_error(reports, TOPICS_REGEX_CONFIG, regex, msg);
            }
        }
    }
}

/// The sink's `topics` list: parsed, blanks dropped, duplicates removed (Java
/// `SinkConnectorConfig.parseTopicsList`).
pub fn sink_topics(props: &Props) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in
        rconnect_sdk::config::parse_list(props.get(TOPICS_CONFIG).map(String::as_str).unwrap_or(""))
    {
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Validates the framework keys of a connector config (worker.md §5.5 steps 3-4, the
/// checks that need no worker state): one report per key of
/// [`framework_config_def`], in definition order, plus the sink cross-checks.
pub fn validate_framework(kind: ConnectorKind, props: &Props) -> Vec<ConfigValueReport> {
    validate_framework_with(kind, props, &ValidationOptions::default())
}

/// [`validate_framework`] with worker-dependent options.
pub fn validate_framework_with(
    kind: ConnectorKind,
    props: &Props,
    opts: &ValidationOptions<'_>,
) -> Vec<ConfigValueReport> {
    let def = framework_def_with(kind, props, opts);
    let mut reports = def.validate(props);
    if kind == ConnectorKind::Sink {
        validate_sink(props, &mut reports);
    }
    reports
}

/// Java's 400 message for a create/update whose validation found errors, or `None` when
/// there is none. `N` counts error messages.
pub fn aggregate_errors(reports: &[ConfigValueReport]) -> Option<String> {
    let messages: Vec<&String> = reports.iter().flat_map(|r| r.errors.iter()).collect();
    if messages.is_empty() {
        return None;
    }
    let mut out = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        messages.len()
    );
    for m in messages {
        out.push('\n');
        out.push_str(m);
    }
    out.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sink(extra: &[(&str, &str)]) -> Props {
        let mut p = props(&[
            ("name", "s"),
            ("connector.class", "FileStreamSink"),
            ("topics", "t1"),
        ]);
        p.extend(props(extra));
        p
    }

    fn source(extra: &[(&str, &str)]) -> Props {
        let mut p = props(&[("name", "s"), ("connector.class", "FileStreamSource")]);
        p.extend(props(extra));
        p
    }

    fn errors(reports: &[ConfigValueReport], name: &str) -> Vec<String> {
        reports
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.errors.clone())
            .unwrap_or_default()
    }

    fn all_errors(reports: &[ConfigValueReport]) -> Vec<String> {
        reports.iter().flat_map(|r| r.errors.clone()).collect()
    }

    #[test]
    fn common_definitions_groups_and_orders() {
        let def = connector_config_def();
        let want = [
            ("name", "Common", 1, Width::Medium, "Connector name"),
            (
                "connector.class",
                "Common",
                2,
                Width::Long,
                "Connector class",
            ),
            ("tasks.max", "Common", 3, Width::Short, "Tasks max"),
            (
                "tasks.max.enforce",
                "Common",
                4,
                Width::Short,
                "Enforce tasks max",
            ),
            (
                "key.converter",
                "Common",
                5,
                Width::Short,
                "Key converter class",
            ),
            (
                "value.converter",
                "Common",
                6,
                Width::Short,
                "Value converter class",
            ),
            (
                "header.converter",
                "Common",
                7,
                Width::Short,
                "Header converter class",
            ),
            ("transforms", "Transforms", 8, Width::Long, "Transforms"),
            ("predicates", "Predicates", 9, Width::Long, "Predicates"),
            (
                "config.action.reload",
                "Common",
                10,
                Width::Medium,
                "Reload Action",
            ),
            (
                "errors.retry.timeout",
                "Error Handling",
                1,
                Width::Medium,
                "Retry Timeout for Errors",
            ),
            (
                "errors.retry.delay.max.ms",
                "Error Handling",
                2,
                Width::Medium,
                "Maximum Delay Between Retries for Errors",
            ),
            (
                "errors.tolerance",
                "Error Handling",
                3,
                Width::Short,
                "Error Tolerance",
            ),
            (
                "errors.log.enable",
                "Error Handling",
                4,
                Width::Short,
                "Log Errors",
            ),
            (
                "errors.log.include.messages",
                "Error Handling",
                5,
                Width::Short,
                "Log Error Details",
            ),
        ];
        assert_eq!(def.keys().len(), want.len());
        for (k, (name, group, order, width, display)) in def.keys().iter().zip(want) {
            assert_eq!(k.name, name);
            assert_eq!(k.group.as_deref(), Some(group), "{name}");
            assert_eq!(k.order_in_group, order, "{name}");
            assert_eq!(k.width, width, "{name}");
            assert_eq!(k.display_name, display, "{name}");
            assert!(!k.documentation.is_empty());
        }
        assert!(def.key("name").unwrap().is_required());
        assert!(def.key("connector.class").unwrap().is_required());
        assert_eq!(def.key("header.converter").unwrap().default, Default::Null);
    }

    #[test]
    fn sink_and_source_extra_keys() {
        let s = sink_config_def();
        for k in [
            "topics",
            "topics.regex",
            "errors.deadletterqueue.topic.name",
            "errors.deadletterqueue.topic.replication.factor",
            "errors.deadletterqueue.context.headers.enable",
        ] {
            assert!(s.key(k).is_some(), "{k}");
        }
        assert_eq!(
            s.key("errors.deadletterqueue.topic.replication.factor")
                .unwrap()
                .default,
            Default::Value("3".into())
        );
        let src = source_config_def();
        for (k, group) in [
            ("topic.creation.groups", "Topic Creation"),
            ("exactly.once.support", "Exactly Once Support"),
            ("transaction.boundary", "Exactly Once Support"),
            ("transaction.boundary.interval.ms", "Exactly Once Support"),
            ("offsets.storage.topic", "offsets.topic"),
        ] {
            assert_eq!(src.key(k).unwrap().group.as_deref(), Some(group), "{k}");
        }
        assert!(src.key("topics").is_none());
    }

    #[test]
    fn valid_configs_have_no_errors() {
        assert_eq!(
            all_errors(&validate_framework(ConnectorKind::Sink, &sink(&[]))),
            Vec::<String>::new()
        );
        assert_eq!(
            all_errors(&validate_framework(ConnectorKind::Source, &source(&[]))),
            Vec::<String>::new()
        );
        let reports = validate_framework(ConnectorKind::Source, &source(&[]));
        let tm = reports.iter().find(|r| r.name == "tasks.max").unwrap();
        assert_eq!(tm.value.as_deref(), Some("1"));
    }

    #[test]
    fn name_rules() {
        let r = validate_framework(ConnectorKind::Source, &source(&[("name", "")]));
        assert_eq!(
            errors(&r, "name"),
            vec!["Invalid value  for configuration name: String may not be empty"]
        );
        let r = validate_framework(ConnectorKind::Source, &source(&[("name", "a\u{7}b\nc")]));
        assert_eq!(
            errors(&r, "name"),
            vec!["Invalid value a\u{7}b\nc for configuration name: String may not contain control sequences but had the following ASCII chars: 7, 10"]
        );
        let long = "n".repeat(300);
        let r = validate_framework(ConnectorKind::Source, &source(&[("name", &long)]));
        assert_eq!(
            errors(&r, "name"),
            vec![format!(
                "Invalid value {}...(300 bytes) for configuration name: Connector name is too \
                 long: 300 bytes, the limit is 255",
                "n".repeat(64)
            )]
        );
        let mut p = source(&[]);
        p.remove("name");
        let r = validate_framework(ConnectorKind::Source, &p);
        assert_eq!(
            errors(&r, "name"),
            vec!["Missing required configuration \"name\" which has no default value."]
        );
    }

    #[test]
    fn typed_values_and_enums() {
        let r = validate_framework(
            ConnectorKind::Source,
            &source(&[
                ("tasks.max", "0"),
                ("errors.tolerance", "some"),
                ("config.action.reload", "x"),
                ("exactly.once.support", "REQUIRED"),
            ]),
        );
        assert_eq!(
            errors(&r, "tasks.max"),
            vec!["Invalid value 0 for configuration tasks.max: Value must be at least 1"]
        );
        assert_eq!(errors(&r, "errors.tolerance"), vec!["Invalid value some for configuration errors.tolerance: String must be one of: none, all"]);
        assert_eq!(errors(&r, "config.action.reload"), vec!["Invalid value x for configuration config.action.reload: String must be one of: none, restart"]);
        assert!(errors(&r, "exactly.once.support").is_empty());
        let r = validate_framework(
            ConnectorKind::Source,
            &source(&[
                ("transaction.boundary", "never"),
                ("transaction.boundary.interval.ms", "-5"),
                ("offsets.storage.topic", ""),
            ]),
        );
        assert!(errors(&r, "transaction.boundary")[0]
            .contains("String must be one of (case insensitive): "));
        assert_eq!(errors(&r, "transaction.boundary.interval.ms"), vec!["Invalid value -5 for configuration transaction.boundary.interval.ms: Value must be at least 0"]);
        assert_eq!(errors(&r, "offsets.storage.topic").len(), 1);
    }

    #[test]
    fn sink_topics_rules() {
        let mut p = sink(&[]);
        p.remove("topics");
        let r = validate_framework(ConnectorKind::Sink, &p);
        assert_eq!(
            errors(&r, "topics"),
            vec!["Must configure one of topics or topics.regex"]
        );
        assert_eq!(
            errors(&r, "topics.regex"),
            vec!["Must configure one of topics or topics.regex"]
        );

        let r = validate_framework(
            ConnectorKind::Sink,
            &sink(&[("topics", "  "), ("topics.regex", " ")]),
        );
        assert_eq!(errors(&r, "topics").len(), 1);

        let r = validate_framework(ConnectorKind::Sink, &sink(&[("topics.regex", "t.*")]));
        let msg = "topics and topics.regex are mutually exclusive options, but both are set.";
        assert_eq!(errors(&r, "topics"), vec![msg]);
        assert_eq!(errors(&r, "topics.regex"), vec![msg]);

        let r = validate_framework(
            ConnectorKind::Sink,
            &sink(&[
                ("topics", "a, dlq,a"),
                ("errors.deadletterqueue.topic.name", " dlq "),
            ]),
        );
        assert_eq!(
            errors(&r, "topics"),
            vec!["The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector"]
        );

        let mut p = sink(&[
            ("topics.regex", "d.*"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]);
        p.remove("topics");
        let r = validate_framework(ConnectorKind::Sink, &p);
        assert_eq!(
            errors(&r, "topics.regex"),
            vec!["The DLQ topic 'dlq' may not be matched by the regex for the topics ('topics.regex=d.*') consumed by the connector"]
        );
        // Full match: `d` does not match `dlq`.
        p.insert("topics.regex".into(), "d".into());
        assert!(errors(&validate_framework(ConnectorKind::Sink, &p), "topics.regex").is_empty());

        p.insert("topics.regex".into(), "(".into());
        let e = errors(&validate_framework(ConnectorKind::Sink, &p), "topics.regex");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("Invalid value ( for configuration topics.regex: Invalid regex: "),
            "{e:?}"
        );
    }

    #[test]
    fn transforms_rules() {
        let r = validate_framework(ConnectorKind::Source, &source(&[("transforms", "a,b,a")]));
        assert_eq!(
            errors(&r, "transforms"),
            vec!["Invalid value [a, b, a] for configuration transforms: Duplicate alias provided."]
        );
        assert_eq!(
            errors(&r, "transforms.a.type"),
            vec![
                "Missing required configuration \"transforms.a.type\" which has no default value."
            ]
        );
        assert_eq!(errors(&r, "transforms.b.type").len(), 1);

        let r = validate_framework(
            ConnectorKind::Source,
            &source(&[
                ("transforms", "a"),
                (
                    "transforms.a.type",
                    "org.apache.kafka.connect.transforms.RegexRouter",
                ),
                ("transforms.a.negate", "true"),
            ]),
        );
        assert_eq!(
            errors(&r, "transforms.a.type"),
            vec!["Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."]
        );

        let r = validate_framework(
            ConnectorKind::Source,
            &source(&[
                ("transforms", "a"),
                ("transforms.a.type", "X"),
                ("transforms.a.predicate", "p"),
            ]),
        );
        assert_eq!(
            errors(&r, "transforms.a.predicate"),
            vec!["Invalid value p for configuration transforms.a.predicate: Predicate alias 'p' is not defined in 'predicates'"]
        );

        let ok = source(&[
            ("transforms", "a"),
            ("transforms.a.type", "X"),
            ("transforms.a.predicate", "p"),
            ("transforms.a.negate", "true"),
            ("predicates", "p"),
            ("predicates.p.type", "Y"),
        ]);
        let r = validate_framework(ConnectorKind::Source, &ok);
        assert_eq!(all_errors(&r), Vec::<String>::new());
        let def = framework_config_def(ConnectorKind::Source, &ok);
        let t = def.key("transforms.a.type").unwrap();
        assert_eq!(t.group.as_deref(), Some("Transforms: a"));
        assert_eq!(t.display_name, "Transformation type for a");
        assert_eq!(
            def.key("predicates.p.type").unwrap().display_name,
            "Predicate type for p"
        );

        let r = validate_framework(ConnectorKind::Source, &source(&[("predicates", "p,p")]));
        assert_eq!(
            errors(&r, "predicates"),
            vec!["Invalid value [p, p] for configuration predicates: Duplicate alias provided."]
        );
        assert_eq!(
            errors(&r, "predicates.p.type"),
            vec![
                "Missing required configuration \"predicates.p.type\" which has no default value."
            ]
        );
    }

    #[test]
    fn class_checks_with_catalog() {
        let catalog = PluginCatalog {
            converters: vec!["org.apache.kafka.connect.json.JsonConverter".into()],
            header_converters: vec!["org.apache.kafka.connect.storage.SimpleHeaderConverter".into()],
            transformations: vec!["org.apache.kafka.connect.transforms.RegexRouter".into()],
            predicates: vec![
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches".into(),
            ],
        };
        let opts = ValidationOptions {
            plugins: Some(&catalog),
        };
        let p = source(&[
            ("key.converter", "Json"),
            ("value.converter", "Nope"),
            ("header.converter", "JsonConverter"),
            ("transforms", "r"),
            ("transforms.r.type", "RegexRouter"),
            ("predicates", "m"),
            ("predicates.m.type", "Missing"),
        ]);
        let r = validate_framework_with(ConnectorKind::Source, &p, &opts);
        assert!(errors(&r, "key.converter").is_empty());
        assert_eq!(errors(&r, "value.converter"), vec!["Invalid value Nope for configuration value.converter: Class Nope could not be found."]);
        assert_eq!(
            errors(&r, "header.converter"),
            vec!["Class class org.apache.kafka.connect.json.JsonConverter does not implement the HeaderConverter interface"]
        );
        assert!(errors(&r, "transforms.r.type").is_empty());
        assert_eq!(errors(&r, "predicates.m.type").len(), 1);
    }

    #[test]
    fn topic_creation_groups_are_not_validated_with_the_connector() {
        // Java 3.9 validates `topic.creation.groups` only; the groups' keys are checked
        // when the connector starts.
        let p = source(&[
            ("topic.creation.groups", "g"),
            ("topic.creation.g.partitions", "0"),
        ]);
        let r = validate_framework(ConnectorKind::Source, &p);
        assert_eq!(all_errors(&r), Vec::<String>::new());
        assert!(r.iter().all(|v| !v.name.starts_with("topic.creation.g.")));
        let def = framework_config_def(ConnectorKind::Source, &p);
        assert!(def.key("topic.creation.groups").is_some());
        assert!(def.key("topic.creation.default.partitions").is_none());
        let r = validate_framework(
            ConnectorKind::Source,
            &source(&[("topic.creation.groups", "g,g")]),
        );
        assert_eq!(errors(&r, "topic.creation.groups").len(), 1);
    }

    #[test]
    fn aggregate_message() {
        assert_eq!(
            aggregate_errors(&validate_framework(ConnectorKind::Sink, &sink(&[]))),
            None
        );
        let mut p = sink(&[("tasks.max", "0")]);
        p.remove("topics");
        let msg = aggregate_errors(&validate_framework(ConnectorKind::Sink, &p)).unwrap();
        assert_eq!(
            msg,
            "Connector configuration is invalid and contains the following 3 error(s):\n\
             Invalid value 0 for configuration tasks.max: Value must be at least 1\n\
             Must configure one of topics or topics.regex\n\
             Must configure one of topics or topics.regex\n\
             You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
        );
    }
}
