//! The plugins built into the binary: the runtime knows none of them by name.

use std::sync::Arc;

use rconnect_config::worker::BUILTIN_CONNECTORS_EXCLUDE_CONFIG;
use rconnect_runtime::plugins::{
    ConnectorFactory, ConnectorPlugin, ConverterPlugin, PluginRegistry, PredicatePlugin,
    TransformationPlugin,
};

/// A registry with the FileStream connectors, the JDBC source, the S3 sink, the Apache
/// converters, Confluent's AvroConverter, and the Apache
/// transformations and predicates (`connect-transforms`), less the built-in connectors named
/// in `exclude` (`rconnect.builtin.connectors.exclude`: class names or aliases). A name that
/// matches no built-in connector is an error naming the key, so a typo cannot leave a
/// connector enabled that the deployment meant to remove.
pub fn registry(exclude: &[String]) -> anyhow::Result<PluginRegistry> {
    let excluded = excluded_classes(exclude)?;
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
        if !excluded.contains(&plugin.class_name) {
            r.register_connector(plugin);
        }
    }
    for c in rconnect_jdbc::connectors() {
        if !excluded.iter().any(|e| e == c.class_name) {
            r.register_connector(ConnectorPlugin {
                class_name: c.class_name.to_string(),
                version: c.version.to_string(),
                factory: ConnectorFactory::Source {
                    connector: Arc::new(c.new_connector),
                    task: Arc::new(c.new_task),
                },
            });
        }
    }
    if !excluded.iter().any(|c| c == rconnect_s3::CONNECTOR_CLASS) {
        r.register_connector(ConnectorPlugin {
            class_name: rconnect_s3::CONNECTOR_CLASS.to_string(),
            version: rconnect_s3::VERSION.to_string(),
            factory: ConnectorFactory::Sink {
                connector: Arc::new(|| Box::new(rconnect_s3::S3SinkConnector::new())),
                task: Arc::new(|| Box::new(rconnect_s3::S3SinkTask::new())),
            },
        });
    }
    for c in rconnect_converters::builtin() {
        r.register_converter(ConverterPlugin {
            class_name: c.class_name.to_string(),
            version: c.version.to_string(),
            converter: c.new_converter.map(|f| Arc::new(f) as _),
            header_converter: c.new_header_converter.map(|f| Arc::new(f) as _),
        });
    }
    // Confluent's AvroConverter: a key/value converter only, as in Java (it does not
    // implement `HeaderConverter`).
    r.register_converter(ConverterPlugin {
        class_name: rconnect_avro::CLASS_NAME.to_string(),
        version: rconnect_avro::VERSION.to_string(),
        converter: Some(Arc::new(|| {
            Box::new(rconnect_avro::AvroConverter::default())
                as Box<dyn rconnect_sdk::converter::Converter>
        })),
        header_converter: None,
    });
    for t in rconnect_transforms::transformations() {
        r.register_transformation(TransformationPlugin {
            class_name: t.class_name.to_string(),
            version: t.version.to_string(),
            for_source: Arc::new(t.new_source),
            for_sink: Arc::new(t.new_sink),
        });
    }
    for p in rconnect_transforms::predicates() {
        r.register_predicate(PredicatePlugin {
            class_name: p.class_name.to_string(),
            version: p.version.to_string(),
            for_source: Arc::new(p.new_source),
            for_sink: Arc::new(p.new_sink),
        });
    }
    Ok(r)
}

/// The full class names of the built-in connectors `names` designate, resolved as
/// `connector.class` is (full name, simple name, or simple name without `Connector`).
fn excluded_classes(names: &[String]) -> anyhow::Result<Vec<String>> {
    let mut builtin: Vec<(String, String)> = rconnect_file::connectors()
        .iter()
        .map(|c| {
            let class = match c {
                rconnect_file::ConnectorPlugin::Source { class_name, .. }
                | rconnect_file::ConnectorPlugin::Sink { class_name, .. } => class_name,
            };
            (class.to_string(), "Connector".to_string())
        })
        .chain(
            rconnect_jdbc::connectors()
                .iter()
                .map(|c| (c.class_name.to_string(), "Connector".to_string())),
        )
        .collect();
    builtin.push((
        rconnect_s3::CONNECTOR_CLASS.to_string(),
        "Connector".to_string(),
    ));
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match rconnect_config::resolve_class(name, &builtin) {
            Ok(class) => out.push(class.to_string()),
            Err(e) => {
                let reason = match e {
                    rconnect_config::ResolveError::NotFound { .. } => format!(
                        "no built-in connector has this class name or alias; the built-in connectors are: {}",
                        builtin
                            .iter()
                            .map(|(c, _)| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    other => other.to_string(),
                };
                anyhow::bail!(
                    "Invalid value {name} for configuration {BUILTIN_CONNECTORS_EXCLUDE_CONFIG}: {reason}"
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rconnect_runtime::validation::plugin_config_def;

    /// The key names `GET /connector-plugins/{p}/config` shows for built-in plugin `p`.
    fn shown(p: &str) -> Vec<String> {
        let registry = super::registry(&[]).expect("no exclusions");
        let (_, def) = plugin_config_def(&registry, p).unwrap_or_else(|e| panic!("{p}: {e}"));
        def.keys().iter().map(|k| k.name.clone()).collect()
    }

    #[test]
    fn built_in_converters_show_their_own_config_as_java() {
        // JsonConverterConfig and StringConverterConfig start from ConverterConfig.
        assert_eq!(
            shown("JsonConverter"),
            [
                "converter.type",
                "schemas.enable",
                "schemas.cache.size",
                "decimal.format",
                "replace.null.with.default"
            ]
        );
        assert_eq!(
            shown("org.apache.kafka.connect.storage.StringConverter"),
            ["converter.type", "converter.encoding"]
        );
        assert_eq!(shown("LongConverter"), ["converter.type"]);
        // SimpleHeaderConverter.config() is an empty ConfigDef; its alias is pruned at
        // `HeaderConverter`.
        assert!(shown("Simple").is_empty());
        // A connector: its own key, then the framework's.
        let sink = shown("FileStreamSink");
        assert_eq!(&sink[..3], ["file", "name", "connector.class"], "{sink:?}");
    }

    #[test]
    fn jdbc_source_resolves_by_confluents_names() {
        let registry = super::registry(&[]).expect("no exclusions");
        for alias in [
            "io.confluent.connect.jdbc.JdbcSourceConnector",
            "JdbcSourceConnector",
            "JdbcSource",
        ] {
            let p = registry
                .connector(alias)
                .unwrap_or_else(|e| panic!("{alias}: {e}"));
            assert_eq!(
                p.class_name,
                "io.confluent.connect.jdbc.JdbcSourceConnector"
            );
        }
        let keys = shown("JdbcSource");
        assert_eq!(
            &keys[..3],
            ["connection.url", "connection.user", "connection.password"],
            "{keys:?}"
        );
        assert!(keys.contains(&"timestamp.granularity".to_string()));
        let r = super::registry(&names(&["JdbcSource"])).unwrap();
        assert!(r.connector("JdbcSource").is_err());
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn connector_classes(r: &rconnect_runtime::plugins::PluginRegistry) -> Vec<String> {
        r.plugin_infos(true)
            .into_iter()
            .map(|p| p.class_name)
            .collect()
    }

    #[test]
    fn excluded_connectors_are_not_registered() {
        const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
        const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
        let all = connector_classes(&super::registry(&[]).unwrap());
        assert!(all.iter().any(|c| c == SOURCE) && all.iter().any(|c| c == SINK));
        // Aliases, full names, surrounding blanks and empty items (a trailing comma).
        for list in [
            &["FileStreamSource"][..],
            &[" FileStreamSourceConnector "],
            &[SOURCE, ""],
        ] {
            let r = super::registry(&names(list)).unwrap();
            let left = connector_classes(&r);
            assert!(!left.iter().any(|c| c == SOURCE), "{list:?}: {left:?}");
            assert!(left.iter().any(|c| c == SINK), "{list:?}: {left:?}");
            assert!(r.connector("FileStreamSource").is_err());
            // Converters are not affected.
            assert!(r.converter("JsonConverter").is_ok());
        }
        let r = super::registry(&names(&["FileStreamSource", "FileStreamSink"])).unwrap();
        let mut left = connector_classes(&r);
        left.sort();
        assert_eq!(
            left,
            [
                "io.confluent.connect.jdbc.JdbcSourceConnector",
                rconnect_s3::CONNECTOR_CLASS
            ]
        );
        let r = super::registry(&names(&[
            "FileStreamSource",
            "FileStreamSink",
            "JdbcSource",
            "S3Sink",
        ]))
        .unwrap();
        assert!(connector_classes(&r).is_empty());
    }

    #[test]
    fn unknown_excluded_name_names_the_key_and_the_name() {
        let e = super::registry(&names(&["FileStreamSink", "FileStreamSorce"]))
            .err()
            .expect("unknown name is an error")
            .to_string();
        assert!(
            e.starts_with(
                "Invalid value FileStreamSorce for configuration rconnect.builtin.connectors.exclude: \
                 no built-in connector has this class name or alias"
            ),
            "{e}"
        );
        assert!(
            e.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
            "{e}"
        );
        // Converters are not connectors.
        assert!(super::registry(&names(&["JsonConverter"])).is_err());
    }

    #[test]
    fn built_in_transformations_resolve_by_java_names_and_aliases() {
        let r = super::registry(&[]).unwrap();
        // Nested `$Key`/`$Value` classes have no alias; top-level ones do.
        for name in [
            "org.apache.kafka.connect.transforms.ValueToKey",
            "ValueToKey",
            "org.apache.kafka.connect.transforms.InsertField$Value",
            "org.apache.kafka.connect.transforms.TimestampConverter$Key",
            "RegexRouter",
            "Filter",
        ] {
            assert!(r.transformation(name).is_ok(), "{name}");
        }
        for name in [
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "TopicNameMatches",
            "HasHeaderKey",
            "RecordIsTombstone",
        ] {
            assert!(r.predicate(name).is_ok(), "{name}");
        }
        assert!(r.transformation("NoSuchTransform").is_err());
        assert_eq!(
            shown("org.apache.kafka.connect.transforms.Cast$Value"),
            ["spec", "replace.null.with.default"]
        );
        assert_eq!(shown("TopicNameMatches"), ["pattern"]);
        let listed: Vec<_> = r
            .plugin_infos(false)
            .into_iter()
            .filter(|p| p.plugin_type == "transformation" || p.plugin_type == "predicate")
            .collect();
        assert_eq!(listed.len(), 26 + 3);
        assert!(listed.iter().all(|p| p.version.as_deref() == Some("3.9.0")));
    }

    #[test]
    fn transformation_and_predicate_keys_are_validated_with_the_alias_prefix() {
        let props: rconnect_sdk::Props = [
            ("name", "v"),
            ("connector.class", "FileStreamSource"),
            ("topic", "t"),
            ("transforms", "c,m"),
            (
                "transforms.c.type",
                "org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ("transforms.c.spec", "id:date"),
            (
                "transforms.m.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("predicates", "p"),
            ("predicates.p.type", "TopicNameMatches"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let infos = rconnect_runtime::validation::validate(
            &super::registry(&[]).unwrap(),
            &props,
            rconnect_config::worker::OverridePolicy::All,
        )
        .expect("validation runs");
        let errors = |key: &str| -> Vec<String> {
            infos
                .configs
                .iter()
                .filter_map(|c| c.value.as_ref())
                .filter(|v| v.name == key)
                .flat_map(|v| v.errors.clone())
                .collect()
        };
        assert_eq!(
            errors("transforms.c.spec"),
            ["Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.DATE for configuration Invalid type found in casting spec: date"]
        );
        // Java's ConfigDef runs the validator on the missing value too, and
        // `NonEmptyListValidator` refuses null as an empty list.
        assert_eq!(
            errors("transforms.m.fields"),
            [
                "Missing required configuration \"transforms.m.fields\" which has no default value.",
                "Invalid value null for configuration transforms.m.fields: Empty list"
            ]
        );
        assert_eq!(
            errors("predicates.p.pattern"),
            ["Missing required configuration \"predicates.p.pattern\" which has no default value."]
        );
        assert!(errors("transforms.c.replace.null.with.default").is_empty());
        assert_eq!(infos.error_count, 4);
    }
}
