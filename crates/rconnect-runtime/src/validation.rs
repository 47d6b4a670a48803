//! Connector config validation (worker.md §5.5): framework keys, then the connector's own
//! keys, aggregated into Java's `ConfigInfos` shape and 400 message.

use rconnect_config::client_overrides::{validate_overrides, ClientType, OverrideReport};
use rconnect_config::connector::{
    aggregate_errors, framework_config_def, validate_framework_with, ConnectorKind,
    ValidationOptions,
};
use rconnect_config::worker::OverridePolicy;
use rconnect_config::Secrets;
use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigValueReport, Default};
use rconnect_sdk::Props;

use crate::herder::{
    ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, ConnectorType, HerderError,
};
use crate::plugins::{ConnectorFactory, PluginClass, PluginRegistry};

const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";

/// Java's `Plugins#connectorClass` message for a class that matches no connector: the
/// connectors listed as `PluginDesc#toString`, in `PluginDesc` order (by class name).
/// rconnect's connectors are all reported at `location='classpath'`.
fn connector_not_found(plugins: &PluginRegistry, value: &str) -> String {
    let mut connectors = plugins.plugin_infos(true);
    connectors.sort_by(|a, b| a.class_name.cmp(&b.class_name));
    let list: Vec<String> = connectors
        .iter()
        .map(|p| {
            let (c, t) = (&p.class_name, &p.plugin_type);
            let v = p.version.as_deref().unwrap_or("undefined");
            format!(
                "PluginDesc{{klass=class {c}, name='{c}', version='{v}', encodedVersion={v}, \
                 type={t}, typeName='{t}', location='classpath'}}"
            )
        })
        .collect();
    format!(
        "Failed to find any class that implements Connector and which name matches {value}, \
         available connectors are: {}",
        list.join(", ")
    )
}

/// A validation error as Java's create path answers it: there validation runs on the
/// request thread, so a ConnectException is answered with its message only.
pub fn as_thrown(e: HerderError) -> HerderError {
    match e {
        HerderError::Internal(m) => HerderError::Internal(
            m.strip_prefix(&format!("{CONNECT_EXCEPTION}: "))
                .map(str::to_string)
                .unwrap_or(m),
        ),
        other => other,
    }
}

/// Java's `ConfigDef#groups`: each group in the order a key of it was first defined.
fn groups_of(defs: &[&ConfigDef]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for def in defs {
        for group in def.keys().iter().filter_map(|k| k.group.as_ref()) {
            if !groups.contains(group) {
                groups.push(group.clone());
            }
        }
    }
    groups
}

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

/// The config definition `GET /connector-plugins/{p}/config` shows (Java's
/// `AbstractHerder.connectorPluginConfig`): for a connector its own keys followed by the
/// framework keys it does not define; for a converter, header converter, transformation or
/// predicate its own keys. A class that is both a converter and a header converter shows
/// its converter definition, as Java checks `Converter` first.
///
/// `{p}` is resolved among every plugin type at once ([`PluginRegistry::plugin_class`]):
/// 404 `Unknown plugin P.` when nothing matches, 400 for a class of another plugin type.
pub fn plugin_config_def(
    plugins: &PluginRegistry,
    class: &str,
) -> Result<(ConnectorType, ConfigDef), HerderError> {
    let invalid = || {
        HerderError::BadRequest(format!(
            "Invalid plugin class {class}. Valid types are sink, source, converter, \
             header_converter, transformation, predicate."
        ))
    };
    match plugins.plugin_class(class) {
        None => Err(HerderError::NotFound(format!("Unknown plugin {class}."))),
        Some(PluginClass::Connector(plugin)) => {
            let own = match &plugin.factory {
                ConnectorFactory::Source { connector, .. } => connector().config_def(),
                ConnectorFactory::Sink { connector, .. } => connector().config_def(),
            };
            let t = plugin.connector_type();
            Ok((
                t,
                own.merge_missing(&framework_config_def(
                    kind_of(t),
                    &rconnect_sdk::Props::new(),
                )),
            ))
        }
        Some(PluginClass::Converter(p)) => {
            let def = match (&p.converter, &p.header_converter) {
                (Some(c), _) => c().config_def(),
                (None, Some(h)) => h().config_def(),
                // A registration with neither kind offers no plugin of a valid type.
                (None, None) => return Err(invalid()),
            };
            Ok((ConnectorType::Unknown, def))
        }
        Some(PluginClass::Transformation(p)) => Ok((
            ConnectorType::Unknown,
            rconnect_sdk::transform::Transformation::config_def((p.for_source)().as_ref()),
        )),
        Some(PluginClass::Predicate(p)) => Ok((
            ConnectorType::Unknown,
            rconnect_sdk::transform::Predicate::config_def((p.for_source)().as_ref()),
        )),
        Some(PluginClass::Other(_)) => Err(invalid()),
    }
}

/// Validates `props` as Java's `validateConnectorConfig` does; errors are reported in
/// the result, not as an `Err`, except a missing or unknown `connector.class`.
pub fn validate(
    plugins: &PluginRegistry,
    props: &Props,
    override_policy: OverridePolicy,
) -> Result<ConfigInfos, HerderError> {
    let class = props.get("connector.class").ok_or_else(|| {
        HerderError::BadRequest(format!(
            "Connector config {} contains no connector type",
            java_map(props)
        ))
    })?;
    // Java validates on an executor, so the ConnectException comes back wrapped and its
    // class name is part of the answer (see [`as_thrown`] for the create path).
    let plugin = plugins.connector(class).map_err(|e| {
        let message = match &e {
            rconnect_config::ResolveError::NotFound { value, .. } => {
                connector_not_found(plugins, value)
            }
            other => other.to_string(),
        };
        HerderError::Internal(format!("{CONNECT_EXCEPTION}: {message}"))
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
        plugins: Some(&catalog),
    };
    let framework_reports = validate_framework_with(kind_of(t), props, &opts);
    let embedded = embedded_plugin_keys(plugins, props, &framework_def);
    let mut configs = Vec::new();
    let mut error_count = 0;
    let mut seen = std::collections::HashSet::new();
    let mut push = |def: &ConfigDef, r: ConfigValueReport, configs: &mut Vec<ConfigInfo>| {
        if !seen.insert(r.name.clone()) {
            return;
        }
        error_count += r.errors.len();
        configs.push(ConfigInfo {
            definition: def.key(&r.name).map(key_info),
            value: Some(value_info(r)),
        });
    };
    for r in framework_reports {
        // `transforms.<a>.predicate` / `.negate` are listed among the transformation's
        // embedded keys, and not at all when its type does not resolve.
        let implicit = r.name.starts_with("transforms.")
            && (r.name.ends_with(".predicate") || r.name.ends_with(".negate"))
            && framework_def.key(&r.name).is_some();
        if implicit {
            continue;
        }
        let name = r.name.clone();
        push(&framework_def, r, &mut configs);
        if let Some((_, def)) = embedded.iter().find(|(type_key, _)| *type_key == name) {
            for e in def.validate(props) {
                push(def, e, &mut configs);
            }
        }
    }
    for r in own_reports {
        push(&own_def, r, &mut configs);
    }
    // Java shows a CLASS value as the class it parsed to (`Class#getName`), so an alias
    // such as `JsonConverter` appears as the class it resolved to.
    for config in &mut configs {
        let is_class = config
            .definition
            .as_ref()
            .is_some_and(|d| d.config_type == "CLASS");
        if let Some(value) = config
            .value
            .as_mut()
            .filter(|v| is_class && v.errors.is_empty())
        {
            if let Some(resolved) = value.value.as_deref().and_then(|v| catalog.resolve(v)) {
                value.value = Some(resolved);
            }
        }
    }
    // Java's `transforms.<a>.type` / `predicates.<p>.type` recommenders list every
    // transformation / predicate class it knows (`Plugins#transformations`, a set sorted by
    // class name).
    let sorted = |classes: &[String]| {
        let mut c = classes.to_vec();
        c.sort();
        c
    };
    let (transformations, predicates) = (
        sorted(&catalog.transformations),
        sorted(&catalog.predicates),
    );
    for value in configs.iter_mut().filter_map(|c| c.value.as_mut()) {
        let Some(rest) = value.name.strip_suffix(".type") else {
            continue;
        };
        if rest
            .strip_prefix("transforms.")
            .is_some_and(|a| !a.is_empty())
        {
            value.recommended_values = transformations.clone();
        } else if rest
            .strip_prefix("predicates.")
            .is_some_and(|a| !a.is_empty())
        {
            value.recommended_values = predicates.clone();
        }
    }
    let mut groups = groups_of(&[&framework_def, &own_def]);
    for (client, overrides) in client_overrides(props, kind_of(t), override_policy)? {
        let def = client.config_def();
        let prefix = client.override_prefix();
        for r in overrides {
            let key = def.key(&r.name);
            // Java's `prefixedConfigInfos`: groups of the client keys (most have none),
            // and one error counted per config with errors.
            if let Some(group) = key.and_then(|k| k.group.clone()) {
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
            error_count += usize::from(!r.errors.is_empty());
            configs.push(ConfigInfo {
                definition: key.map(|k| ConfigKeyInfo {
                    name: format!("{prefix}{}", k.name),
                    ..key_info(k)
                }),
                value: Some(ConfigValueInfo {
                    name: format!("{prefix}{}", r.name),
                    value: r.value,
                    recommended_values: Vec::new(),
                    errors: r.errors,
                    visible: true,
                }),
            });
        }
    }
    // Java merges the header converter's answer first, then the key's and the value's.
    for (property, converter_type) in [
        ("header.converter", "header"),
        ("key.converter", "key"),
        ("value.converter", "value"),
    ] {
        let Some((def, reports)) =
            validate_converter(plugins, props, &configs, property, converter_type)
        else {
            continue;
        };
        // Groups in the order of the answer's entries (Java's `prefixedConfigInfos`).
        for r in &reports {
            if let Some(group) = def.key(&r.name).and_then(|k| k.group.clone()) {
                if !groups.contains(&group) {
                    groups.push(group);
                }
            }
        }
        let prefix = format!("{property}.");
        for r in reports {
            // Java's `prefixedConfigInfos` counts configs with errors, not messages.
            error_count += usize::from(!r.errors.is_empty());
            let definition = def.key(&r.name).map(|k| ConfigKeyInfo {
                name: format!("{prefix}{}", k.name),
                ..key_info(k)
            });
            let mut value = value_info(r);
            value.name = format!("{prefix}{}", value.name);
            configs.push(ConfigInfo {
                definition,
                value: Some(value),
            });
        }
    }
    Ok(ConfigInfos {
        name: class.clone(),
        error_count,
        groups,
        configs,
    })
}

/// The override reports of each client the connector's tasks will use, in the order Java's
/// `AbstractHerder#validateConnectorConfig` merges them (producer, consumer, admin): a
/// source uses a producer, and an admin client when it uses topic creation; a sink uses a
/// consumer, and a producer and an admin client when it has a dead letter queue topic.
/// Each client's reports come in Java's `HashMap` order of the unprefixed keys.
fn client_overrides(
    props: &Props,
    kind: ConnectorKind,
    policy: OverridePolicy,
) -> Result<Vec<(ClientType, Vec<OverrideReport>)>, HerderError> {
    let has_dlq = props
        .get("errors.deadletterqueue.topic.name")
        .is_some_and(|t| !t.is_empty());
    let source = kind == ConnectorKind::Source;
    let uses = [
        (ClientType::Producer, source || has_dlq),
        (ClientType::Consumer, !source),
        (
            ClientType::Admin,
            if source {
                rconnect_config::connector::uses_topic_creation(props)
            } else {
                has_dlq
            },
        ),
    ];
    let mut out = Vec::new();
    for (client, used) in uses {
        if !used {
            continue;
        }
        let mut reports = validate_overrides(policy, client, props).map_err(|m| {
            HerderError::Internal(format!(
                "org.apache.kafka.common.config.ConfigException: {m}"
            ))
        })?;
        use rconnect_sdk::java_hash_map::{into_iteration_order, string_hash};
        into_iteration_order(&mut reports, |r| Some(string_hash(&r.name)));
        out.push((client, reports));
    }
    Ok(out)
}

/// The embedded keys of every configured transformation and predicate whose `type`
/// resolves, by the name of that `type` key, as Java's `ConnectorConfig.enrich` embeds
/// them: `transforms.<a>.predicate` and `.negate` (the framework's definitions, with
/// their validators) together with the transformation's own `config()` keys, or the
/// predicate's own keys, prefixed with `transforms.<a>.` / `predicates.<p>.`, in
/// `ConfigDef#embed`'s order (Java's `sortedConfigs`: by group, order in group, required
/// first, importance, name), with group `Transforms: <a>` / `Predicates: <p>` and orders
/// counted from 1. A transformation whose type does not resolve embeds nothing, not even
/// `predicate` and `negate` (Java's `populateConfigDef` gives up on it).
fn embedded_plugin_keys(
    plugins: &PluginRegistry,
    props: &Props,
    framework_def: &ConfigDef,
) -> Vec<(String, ConfigDef)> {
    let mut out = Vec::new();
    let reserved = ["predicate", "negate"];
    for (list, kind) in [("transforms", "Transforms"), ("predicates", "Predicates")] {
        let mut aliases: Vec<String> = Vec::new();
        for a in rconnect_sdk::config::parse_list(props.get(list).map(String::as_str).unwrap_or(""))
        {
            if !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        for alias in aliases {
            let prefix = format!("{list}.{alias}.");
            let type_key = format!("{prefix}type");
            let Some(class) = props.get(&type_key) else {
                continue;
            };
            let (own, mut keys): (ConfigDef, Vec<ConfigKey>) = if list == "transforms" {
                match plugins.transformation(class) {
                    Ok(p) => (
                        rconnect_sdk::transform::Transformation::config_def(
                            (p.for_source)().as_ref(),
                        ),
                        reserved
                            .iter()
                            .filter_map(|k| framework_def.key(&format!("{prefix}{k}")).cloned())
                            .map(|mut k| {
                                k.name = k.name[prefix.len()..].to_string();
                                k.group = None;
                                k.order_in_group = -1;
                                k
                            })
                            .collect(),
                    ),
                    Err(_) => continue,
                }
            } else {
                match plugins.predicate(class) {
                    Ok(p) => (
                        rconnect_sdk::transform::Predicate::config_def((p.for_source)().as_ref()),
                        Vec::new(),
                    ),
                    Err(_) => continue,
                }
            };
            // The implicit keys mask a plugin's own keys of the same name.
            keys.extend(
                own.keys()
                    .iter()
                    .filter(|k| list != "transforms" || !reserved.contains(&k.name.as_str()))
                    .cloned(),
            );
            sort_like_java(&mut keys);
            let mut def = ConfigDef::new();
            for (i, mut k) in keys.into_iter().enumerate() {
                k.name = format!("{prefix}{}", k.name);
                k.group = Some(format!("{kind}: {alias}"));
                k.order_in_group = i32::try_from(i + 1).unwrap_or(i32::MAX);
                def = def.define(k);
            }
            out.push((type_key, def));
        }
    }
    out
}

/// Java's `ConfigDef#sortedConfigs`: keys without a group first, then by the group's first
/// appearance, by order in group, keys without a default first, by importance (HIGH first)
/// and by name.
fn sort_like_java(keys: &mut [ConfigKey]) {
    let mut groups: Vec<String> = Vec::new();
    for g in keys.iter().filter_map(|k| k.group.clone()) {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let group_ord = |k: &ConfigKey| {
        k.group
            .as_ref()
            .map(|g| groups.iter().position(|x| x == g).unwrap_or(0) as i64)
            .unwrap_or(-1)
    };
    let importance = |k: &ConfigKey| match k.importance {
        rconnect_sdk::config::Importance::High => 0,
        rconnect_sdk::config::Importance::Medium => 1,
        rconnect_sdk::config::Importance::Low => 2,
    };
    keys.sort_by(|a, b| {
        group_ord(a)
            .cmp(&group_ord(b))
            .then(a.order_in_group.cmp(&b.order_in_group))
            .then(
                (!matches!(b.default, Default::Required))
                    .cmp(&!matches!(a.default, Default::Required))
                    .reverse(),
            )
            .then(importance(a).cmp(&importance(b)))
            .then(a.name.cmp(&b.name))
    });
}

/// Java 3.9's `AbstractHerder#validateConverterConfig`: a converter named in the connector
/// config (and valid there) validates its own `<property>.`-prefixed keys, with
/// `converter.type` defaulting to `converter_type`.
fn validate_converter(
    plugins: &PluginRegistry,
    props: &Props,
    configs: &[ConfigInfo],
    property: &str,
    converter_type: &str,
) -> Option<(ConfigDef, Vec<ConfigValueReport>)> {
    let class = props.get(property)?;
    let valid = configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .find(|v| v.name == property)
        .is_some_and(|v| v.errors.is_empty());
    if !valid {
        return None;
    }
    let (_, def) = plugin_config_def(plugins, class).ok()?;
    let prefix = format!("{property}.");
    let mut own: Props = props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_string(), v.clone())))
        .collect();
    own.entry("converter.type".to_string())
        .or_insert_with(|| converter_type.to_string());
    let reports = java_hash_map_order(def.validate(&own));
    Some((def, reports))
}

/// `reports` in the iteration order of a Java `HashMap` keyed by their names, into which
/// they were put in the given order: `ConfigDef#validate` returns the values of such a map,
/// and the converter's entries (and its groups) are answered in that order.
fn java_hash_map_order(mut reports: Vec<ConfigValueReport>) -> Vec<ConfigValueReport> {
    use rconnect_sdk::java_hash_map::{into_iteration_order, string_hash};
    into_iteration_order(&mut reports, |r| Some(string_hash(&r.name)));
    reports
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

/// `infos` of a resolved config as the user may see them: each value as `sent` (with its
/// `${provider:path:key}` references, as `GET /connectors/{c}/config` shows it), and every
/// other text with each resolved value replaced by its reference.
pub fn shown_as_sent(mut infos: ConfigInfos, sent: &Props, secrets: &Secrets) -> ConfigInfos {
    infos.name = secrets.redact(&infos.name);
    for v in infos.configs.iter_mut().filter_map(|c| c.value.as_mut()) {
        // A value that failed to parse stays `null`, as Java shows it.
        v.value = match (sent.get(&v.name), &v.value) {
            (_, None) => None,
            // A value sent with a provider reference is shown with it; others as
            // validation shows them (a class alias as its class).
            (Some(raw), Some(_)) if raw.contains("${") => Some(raw.clone()),
            (_, Some(x)) => Some(secrets.redact(x)),
        };
        for text in v.errors.iter_mut().chain(v.recommended_values.iter_mut()) {
            *text = secrets.redact(text);
        }
    }
    infos
}

/// `e` with each resolved value in its message replaced by its reference.
pub fn redact_error(e: HerderError, secrets: &Secrets) -> HerderError {
    use HerderError as E;
    let r = |m: String| secrets.redact(&m);
    match e {
        E::NotFound(m) => E::NotFound(r(m)),
        E::AlreadyExists(m) => E::AlreadyExists(r(m)),
        E::BadRequest(m) => E::BadRequest(r(m)),
        E::Conflict(m) => E::Conflict(r(m)),
        E::Forbidden(m) => E::Forbidden(r(m)),
        E::Unavailable(m) => E::Unavailable(r(m)),
        E::Internal(m) => E::Internal(r(m)),
    }
}

/// A map rendered as Java's `AbstractMap.toString`: `{k=v, k2=v2}`.
pub fn java_map(props: &Props) -> String {
    let body: Vec<String> = props.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", body.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::fixtures::{self, *};

    fn names(def: &ConfigDef) -> Vec<String> {
        def.keys().iter().map(|k| k.name.clone()).collect()
    }

    fn shown(plugins: &PluginRegistry, p: &str) -> Vec<String> {
        match plugin_config_def(plugins, p) {
            Ok((_, def)) => names(&def),
            Err(e) => panic!("{p}: {e}"),
        }
    }

    #[test]
    fn connectors_show_their_keys_then_the_framework_keys_they_lack() {
        let r = fixtures::registry();
        for (p, own, kind, t) in [
            (
                "HelloSource",
                "topic",
                ConnectorKind::Source,
                ConnectorType::Source,
            ),
            (SINK, "file", ConnectorKind::Sink, ConnectorType::Sink),
        ] {
            let (got_type, def) = plugin_config_def(&r, p).unwrap();
            assert_eq!(got_type, t, "{p}");
            let framework = names(&framework_config_def(kind, &Props::new()));
            assert!(!framework.contains(&own.to_string()));
            let mut expected = vec![own.to_string()];
            expected.extend(framework);
            assert_eq!(names(&def), expected, "{p}");
        }
    }

    #[test]
    fn other_types_show_only_their_own_keys() {
        let r = fixtures::registry();
        for (p, keys) in [
            // Both a converter and a header converter: the converter's, as Java checks
            // `instanceof Converter` first.
            (BOTH, vec!["prefix"]),
            ("Upper", vec!["prefix"]),
            ("UpperConverter", vec!["prefix"]),
            (HEADER_ONLY, vec!["tag"]),
            ("Tag", vec!["tag"]),
            (TRANSFORMATION, vec!["fields"]),
            ("MaskField", vec!["fields"]),
            (PREDICATE, vec!["topic.name"]),
            ("TopicIs", vec!["topic.name"]),
        ] {
            assert_eq!(shown(&r, p), keys, "{p}");
        }
        let (t, def) = plugin_config_def(&r, "MaskField").unwrap();
        assert_eq!(t, ConnectorType::Unknown);
        let info = key_info(&def.keys()[0]);
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            serde_json::json!({
                "name": "fields", "type": "STRING", "required": false, "default_value": "",
                "importance": "MEDIUM", "documentation": "The fields.", "group": null,
                "order": -1, "width": "NONE", "display_name": "fields", "dependents": []
            })
        );
    }

    #[test]
    fn unknown_and_non_plugin_classes_answer_as_java() {
        let mut r = fixtures::registry();
        r.register_transformation(fixtures::transformation("a.Shared"));
        r.register_predicate(fixtures::predicate("b.Shared"));
        for p in ["Nope", "com.example.Nope", "Shared"] {
            let e = plugin_config_def(&r, p).err().unwrap();
            assert_eq!(e.status(), 404, "{p}");
            assert_eq!(e.to_string(), format!("Unknown plugin {p}."));
        }
        for p in [
            "All",
            "NoneConnectorClientConfigOverridePolicy",
            "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
            "FileConfigProvider",
        ] {
            let e = plugin_config_def(&r, p).err().unwrap();
            assert_eq!(e.status(), 400, "{p}");
            assert_eq!(
                e.to_string(),
                format!(
                    "Invalid plugin class {p}. Valid types are sink, source, converter, \
                     header_converter, transformation, predicate."
                )
            );
        }
    }

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn entry<'a>(infos: &'a ConfigInfos, name: &str) -> Option<&'a ConfigInfo> {
        infos
            .configs
            .iter()
            .find(|c| c.value.as_ref().is_some_and(|v| v.name == name))
    }

    #[test]
    fn embedded_keys_follow_the_type_in_javas_embed_order() {
        let r = fixtures::registry();
        let base = [
            ("connector.class", SOURCE),
            ("name", "v"),
            ("topic", "t"),
            ("transforms", "m"),
            ("transforms.m.type", "MaskField"),
            ("transforms.m.predicate", "p"),
            ("predicates", "p"),
            ("predicates.p.type", "TopicIs"),
        ];
        let infos = validate(&r, &props(&base), OverridePolicy::All).unwrap();
        let names: Vec<&str> = infos
            .configs
            .iter()
            .filter_map(|c| c.value.as_ref().map(|v| v.name.as_str()))
            .collect();
        let at = names
            .iter()
            .position(|n| *n == "transforms.m.type")
            .unwrap();
        assert_eq!(
            names[at..at + 6],
            [
                "transforms.m.type",
                "transforms.m.fields",
                "transforms.m.negate",
                "transforms.m.predicate",
                "predicates.p.type",
                "predicates.p.topic.name",
            ]
        );
        let negate = entry(&infos, "transforms.m.negate").unwrap();
        let d = negate.definition.as_ref().unwrap();
        assert_eq!((d.group.as_deref(), d.order), (Some("Transforms: m"), 2));
        let predicate = entry(&infos, "transforms.m.predicate").unwrap();
        assert_eq!(predicate.definition.as_ref().unwrap().default_value, None);
        assert_eq!(infos.error_count, 0);

        // A type that does not resolve embeds nothing, not even predicate and negate.
        let mut bad = props(&base);
        bad.insert("transforms.m.type".into(), "Nope".into());
        let infos = validate(&r, &bad, OverridePolicy::All).unwrap();
        assert!(entry(&infos, "transforms.m.type").is_some());
        assert!(entry(&infos, "transforms.m.predicate").is_none());
        assert!(entry(&infos, "transforms.m.negate").is_none());
    }

    #[test]
    fn overrides_of_the_clients_in_use_are_listed_and_checked() {
        let r = fixtures::registry();
        let source = props(&[
            ("connector.class", SOURCE),
            ("name", "v"),
            ("topic", "t"),
            ("producer.override.linger.ms", "5"),
            ("producer.override.bogus", "x"),
            ("consumer.override.max.poll.records", "5"),
            ("admin.override.retries", "1"),
            ("value.converter", BOTH),
        ]);
        let infos = validate(&r, &source, OverridePolicy::All).unwrap();
        assert_eq!(infos.error_count, 0);
        let linger = entry(&infos, "producer.override.linger.ms").unwrap();
        let d = linger.definition.as_ref().unwrap();
        assert_eq!(
            (d.name.as_str(), d.config_type.as_str()),
            ("producer.override.linger.ms", "LONG")
        );
        let bogus = entry(&infos, "producer.override.bogus").unwrap();
        assert!(bogus.definition.is_none());
        // A source without topic creation has neither a consumer nor an admin client.
        assert!(entry(&infos, "consumer.override.max.poll.records").is_none());
        assert!(entry(&infos, "admin.override.retries").is_none());
        // Java merges the overrides before the converters' entries.
        let names: Vec<&str> = infos
            .configs
            .iter()
            .filter_map(|c| c.value.as_ref().map(|v| v.name.as_str()))
            .collect();
        let last_override = names
            .iter()
            .rposition(|n| n.contains(".override."))
            .unwrap();
        let first_converter = names
            .iter()
            .position(|n| n.starts_with("value.converter."))
            .unwrap();
        assert!(last_override < first_converter, "{names:?}");

        let infos = validate(&r, &source, OverridePolicy::None).unwrap();
        assert_eq!(infos.error_count, 2);
        assert_eq!(
            entry(&infos, "producer.override.linger.ms").unwrap().value.as_ref().unwrap().errors,
            vec!["The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration."]
        );
        assert!(invalid_message(&infos)
            .unwrap()
            .contains("The 'None' policy does not allow 'bogus'"));

        let mut topics = source.clone();
        topics.insert("topic.creation.default.partitions".into(), "1".into());
        let infos = validate(&r, &topics, OverridePolicy::None).unwrap();
        assert!(entry(&infos, "admin.override.retries").is_some());

        let sink = props(&[
            ("connector.class", SINK),
            ("name", "v"),
            ("topics", "t"),
            ("producer.override.linger.ms", "5"),
            ("consumer.override.max.poll.records", "5"),
        ]);
        let infos = validate(&r, &sink, OverridePolicy::Principal).unwrap();
        assert!(entry(&infos, "producer.override.linger.ms").is_none());
        assert_eq!(infos.error_count, 1);

        let bad = props(&[
            ("connector.class", SOURCE),
            ("name", "v"),
            ("producer.override.linger.ms", "soon"),
        ]);
        let e = validate(&r, &bad, OverridePolicy::All).unwrap_err();
        assert_eq!(e.status(), 500);
        assert_eq!(
            e.to_string(),
            "org.apache.kafka.common.config.ConfigException: Invalid value soon for configuration linger.ms: Not a number of type LONG"
        );
    }
}
