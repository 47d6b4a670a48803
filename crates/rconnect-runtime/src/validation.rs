//! Connector config validation (worker.md §5.5): framework keys, then the connector's own
//! keys, aggregated into Java's `ConfigInfos` shape and 400 message.

use rconnect_config::connector::{
    aggregate_errors, framework_config_def, validate_framework_with, ConnectorKind,
    ValidationOptions,
};
use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigValueReport, Default};
use rconnect_sdk::Props;

use crate::herder::{
    ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, ConnectorType, HerderError,
};
use crate::plugins::{ConnectorFactory, PluginRegistry};

/// The groups Java lists in every validation response.
const GROUPS: [&str; 7] = [
    "Common",
    "Transforms",
    "Predicates",
    "Error Handling",
    "Topic Creation",
    "Exactly Once Support",
    "offsets.topic",
];

pub fn key_info(k: &ConfigKey) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: k.name.clone(),
        config_type: k.config_type.name().to_string(),
        required: k.is_required(),
        default_value: match &k.default {
            Default::Value(v) => Some(v.clone()),
            _ => None,
        },
        importance: k.importance.name().to_string(),
        documentation: k.documentation.clone(),
        group: k.group.clone(),
        order: k.order_in_group,
        width: k.width.name().to_string(),
        display_name: k.display_name.clone(),
        dependents: k.dependents.clone(),
    }
}

fn value_info(r: ConfigValueReport) -> ConfigValueInfo {
    ConfigValueInfo {
        name: r.name,
        value: r.value,
        recommended_values: r.recommended_values,
        errors: r.errors,
        visible: r.visible,
    }
}

fn kind_of(t: ConnectorType) -> ConnectorKind {
    match t {
        ConnectorType::Sink => ConnectorKind::Sink,
        _ => ConnectorKind::Source,
    }
}

/// The config definition `GET /connector-plugins/{p}/config` shows: for a connector its
/// own keys followed by the framework keys it does not define; for a transformation,
/// predicate or converter its own keys.
pub fn plugin_config_def(
    plugins: &PluginRegistry,
    class: &str,
) -> Result<(ConnectorType, ConfigDef), HerderError> {
    if let Ok(plugin) = plugins.connector(class) {
        let own = match &plugin.factory {
            ConnectorFactory::Source { connector, .. } => connector().config_def(),
            ConnectorFactory::Sink { connector, .. } => connector().config_def(),
        };
        let t = plugin.connector_type();
        return Ok((
            t,
            own.merge_missing(&framework_config_def(
                kind_of(t),
                &rconnect_sdk::Props::new(),
            )),
        ));
    }
    if let Ok(p) = plugins.transformation(class) {
        return Ok((
            ConnectorType::Unknown,
            rconnect_sdk::transform::Transformation::config_def((p.for_source)().as_ref()),
        ));
    }
    if let Ok(p) = plugins.predicate(class) {
        return Ok((
            ConnectorType::Unknown,
            rconnect_sdk::transform::Predicate::config_def((p.for_source)().as_ref()),
        ));
    }
    if let Ok(c) = plugins.converter(class) {
        return Ok((ConnectorType::Unknown, c().config_def()));
    }
    if let Ok(c) = plugins.header_converter(class) {
        return Ok((ConnectorType::Unknown, c().config_def()));
    }
    Err(HerderError::NotFound(format!("Unknown plugin {class}.")))
}

/// Validates `props` as Java's `validateConnectorConfig` does; errors are reported in
/// the result, not as an `Err`, except a missing or unknown `connector.class`.
pub fn validate(
    plugins: &PluginRegistry,
    props: &Props,
    topic_creation_enabled: bool,
) -> Result<ConfigInfos, HerderError> {
    let class = props.get("connector.class").ok_or_else(|| {
        HerderError::BadRequest(format!(
            "Connector config {} contains no connector type",
            java_map(props)
        ))
    })?;
    let plugin = plugins.connector(class).map_err(|e| {
        HerderError::Internal(format!(
            "org.apache.kafka.connect.errors.ConnectException: {e}"
        ))
    })?;
    let t = plugin.connector_type();
    let (own_def, own_reports) = match &plugin.factory {
        ConnectorFactory::Source { connector, .. } => {
            let c = connector();
            (c.config_def(), c.validate(props))
        }
        ConnectorFactory::Sink { connector, .. } => {
            let c = connector();
            (c.config_def(), c.validate(props))
        }
    };
    let framework_def = framework_config_def(kind_of(t), props);
    let catalog = plugins.catalog();
    let opts = ValidationOptions {
        topic_creation_enabled,
        plugins: Some(&catalog),
    };
    let framework_reports = validate_framework_with(kind_of(t), props, &opts);
    let mut configs = Vec::new();
    let mut error_count = 0;
    let mut seen = std::collections::HashSet::new();
    for (def, reports) in [(&framework_def, framework_reports), (&own_def, own_reports)] {
        for r in reports {
            if !seen.insert(r.name.clone()) {
                continue;
            }
            error_count += r.errors.len();
            configs.push(ConfigInfo {
                definition: def.key(&r.name).map(key_info),
                value: Some(value_info(r)),
            });
        }
    }
    Ok(ConfigInfos {
        name: class.clone(),
        error_count,
        groups: GROUPS.iter().map(|s| s.to_string()).collect(),
        configs,
    })
}

/// The 400 message for a config that failed validation, or `None` if it is valid.
pub fn invalid_message(infos: &ConfigInfos) -> Option<String> {
    let reports: Vec<ConfigValueReport> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .map(|v| ConfigValueReport {
            name: v.name.clone(),
            value: v.value.clone(),
            recommended_values: v.recommended_values.clone(),
            errors: v.errors.clone(),
            visible: v.visible,
        })
        .collect();
    aggregate_errors(&reports)
}

/// A map rendered as Java's `AbstractMap.toString`: `{k=v, k2=v2}`.
pub fn java_map(props: &Props) -> String {
    let body: Vec<String> = props.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", body.join(", "))
}
