//! Connector-level client overrides (KIP-458): `producer.override.*`, `consumer.override.*`
//! and `admin.override.*` in a connector config, checked against the worker's
//! `connector.client.config.override.policy`.
//!
//! The Kafka clients' own config definitions (Java `ProducerConfig.configDef()`,
//! `ConsumerConfig.configDef()`, `AdminClientConfig.configDef()`) are carried as data
//! generated from Kafka 3.9.0 (`scripts/golden clients`), because Connect's validation
//! answer lists each override with its client's definition.

use std::sync::OnceLock;

use rconnect_sdk::config::{
    parse_type, ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Width,
};
use rconnect_sdk::Props;

use crate::worker::OverridePolicy;

/// The three clients a connector's tasks may use, as Java's
/// `ConnectorClientConfigRequest.ClientType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    Producer,
    Consumer,
    Admin,
}

impl ClientType {
    /// The connector config prefix of this client's overrides, e.g. `producer.override.`.
    pub fn override_prefix(self) -> &'static str {
        match self {
            ClientType::Producer => "producer.override.",
            ClientType::Consumer => "consumer.override.",
            ClientType::Admin => "admin.override.",
        }
    }

    /// The client's config definition as Kafka 3.9.0 defines it.
    ///
    /// ```
    /// use rconnect_config::client_overrides::ClientType;
    /// let acks = ClientType::Producer.config_def().key("acks").unwrap();
    /// assert_eq!(acks.config_type.name(), "STRING");
    /// ```
    pub fn config_def(self) -> &'static ConfigDef {
        static DEFS: OnceLock<[ConfigDef; 3]> = OnceLock::new();
        let defs = DEFS.get_or_init(load_defs);
        match self {
            ClientType::Producer => &defs[0],
            ClientType::Consumer => &defs[1],
            ClientType::Admin => &defs[2],
        }
    }
}

const CLIENT_DEFS_JSON: &str = include_str!("../data/client-config-defs.json");

fn load_defs() -> [ConfigDef; 3] {
    // The file is generated and committed; a malformed one is a build defect that the
    // unit tests below catch, so an entry that does not read is skipped rather than fatal.
    let json: serde_json::Value = serde_json::from_str(CLIENT_DEFS_JSON).unwrap_or_default();
    ["producer", "consumer", "admin"].map(|client| {
        let mut def = ConfigDef::new();
        for k in json
            .get(client)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(key) = key_from_json(k) {
                def = def.define(key);
            }
        }
        def
    })
}

fn key_from_json(k: &serde_json::Value) -> Option<ConfigKey> {
    let s = |f: &str| k.get(f).and_then(|v| v.as_str()).map(str::to_string);
    let config_type = match s("type")?.as_str() {
        "BOOLEAN" => ConfigType::Boolean,
        "STRING" => ConfigType::String,
        "INT" => ConfigType::Int,
        "SHORT" => ConfigType::Short,
        "LONG" => ConfigType::Long,
        "DOUBLE" => ConfigType::Double,
        "LIST" => ConfigType::List,
        "CLASS" => ConfigType::Class,
        "PASSWORD" => ConfigType::Password,
        _ => return None,
    };
    let importance = match s("importance")?.as_str() {
        "HIGH" => Importance::High,
        "MEDIUM" => Importance::Medium,
        _ => Importance::Low,
    };
    let width = match s("width").as_deref() {
        Some("SHORT") => Width::Short,
        Some("MEDIUM") => Width::Medium,
        Some("LONG") => Width::Long,
        _ => Width::None,
    };
    let required = k.get("required").and_then(|v| v.as_bool()).unwrap_or(false);
    let default = match (required, s("default_value")) {
        (true, _) => Default::Required,
        (false, Some(v)) => Default::Value(v),
        (false, None) => Default::Null,
    };
    let name = s("name")?;
    Some(ConfigKey {
        display_name: s("display_name").unwrap_or_else(|| name.clone()),
        name,
        config_type,
        default,
        validator: None,
        importance,
        documentation: s("documentation").unwrap_or_default(),
        group: s("group"),
        order_in_group: k
            .get("order")
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or(-1),
        width,
        dependents: k
            .get("dependents")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

impl OverridePolicy {
    /// Whether the policy lets a connector override the client key `key` (unprefixed).
    /// Java: `PrincipalConnectorClientConfigOverridePolicy` allows `sasl.jaas.config`,
    /// `sasl.mechanism` and `security.protocol`.
    pub fn allows(self, key: &str) -> bool {
        match self {
            OverridePolicy::All => true,
            OverridePolicy::None => false,
            OverridePolicy::Principal => {
                matches!(
                    key,
                    "sasl.jaas.config" | "sasl.mechanism" | "security.protocol"
                )
            }
        }
    }

    /// Java's `AbstractConnectorClientConfigOverridePolicy#validate` message, naming the
    /// unprefixed client key.
    pub fn violation(self, key: &str) -> String {
        format!(
            "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
            self.name()
        )
    }
}

/// One override as validation reports it (unprefixed name).
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideReport {
    /// The client key without the override prefix.
    pub name: String,
    /// The value as Java shows it: parsed by the client key's type and rendered back
    /// (`ConfigDef.convertToString`), or as given for a key the client does not define.
    pub value: Option<String>,
    /// The policy violation, if any.
    pub errors: Vec<String>,
}

/// Validates the `client` overrides of `connector_config` against `policy`, as Java's
/// `AbstractHerder#validateClientOverrides`: one report per override key, in no particular
/// order (Java iterates a `HashMap`). A value that does not parse as its key's type is an
/// `Err` with Java's `ConfigException` text, as Java fails the whole validation there.
pub fn validate_overrides(
    policy: OverridePolicy,
    client: ClientType,
    connector_config: &Props,
) -> Result<Vec<OverrideReport>, String> {
    let def = client.config_def();
    let mut reports = Vec::new();
    for (k, raw) in connector_config {
        let Some(name) = k.strip_prefix(client.override_prefix()) else {
            continue;
        };
        let value = match def.key(name) {
            Some(key) => java_string(parse_type(name, key.config_type, raw)?),
            None => Some(raw.clone()),
        };
        let errors = if policy.allows(name) {
            Vec::new()
        } else {
            vec![policy.violation(name)]
        };
        reports.push(OverrideReport {
            name: name.to_string(),
            value,
            errors,
        });
    }
    Ok(reports)
}

/// Java's `Worker#connectorClientConfigOverrides` check at task start: overrides the policy
/// refuses fail the task (validation normally refuses them first, but a connector stored
/// under a more permissive policy can meet a stricter worker).
pub fn check_overrides(
    policy: OverridePolicy,
    client: ClientType,
    connector_config: &Props,
) -> Result<(), String> {
    let refused: Vec<String> = connector_config
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix(client.override_prefix())?;
            (!policy.allows(name)).then(|| {
                // Java's `ConfigValue#toString`, except that a password is not shown (Java
                // prints the raw value into the task's trace).
                let secret = client
                    .config_def()
                    .key(name)
                    .is_some_and(|k| k.config_type == ConfigType::Password);
                let v = if secret { "[hidden]" } else { v.as_str() };
                format!("[{name},{v},[],[{}],true]", policy.violation(name))
            })
        })
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Client Config Overrides not allowed [{}]",
            refused.join(", ")
        ))
    }
}

/// Java's `ConfigDef.convertToString` of a parsed value.
fn java_string(v: ConfigValue) -> Option<String> {
    Some(match v {
        ConfigValue::Null => return None,
        ConfigValue::Boolean(b) => b.to_string(),
        ConfigValue::String(s) | ConfigValue::Class(s) => s,
        ConfigValue::Password(_) => "[hidden]".to_string(),
        ConfigValue::Int(n) => n.to_string(),
        ConfigValue::Short(n) => n.to_string(),
        ConfigValue::Long(n) => n.to_string(),
        // Java's Double.toString and Rust's Debug agree on the values these keys take
        // (`0.8`, `1.0`).
        ConfigValue::Double(n) => format!("{n:?}"),
        ConfigValue::List(l) => l.join(","),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_client_definition_loads() {
        for (client, n, key) in [
            (ClientType::Producer, 90, "linger.ms"),
            (ClientType::Consumer, 90, "auto.offset.reset"),
            (ClientType::Admin, 70, "retries"),
        ] {
            let def = client.config_def();
            assert!(def.keys().len() >= n, "{client:?}: {}", def.keys().len());
            assert!(def.key(key).is_some(), "{client:?} lacks {key}");
        }
        let k = ClientType::Producer.config_def().key("linger.ms").unwrap();
        assert_eq!(k.config_type, ConfigType::Long);
        assert!(matches!(k.default, Default::Value(ref d) if d == "0"));
        let k = ClientType::Consumer
            .config_def()
            .key("key.deserializer")
            .unwrap();
        assert!(matches!(k.default, Default::Required));
    }

    #[test]
    fn policies_refuse_with_javas_message() {
        let c = props(&[
            ("producer.override.linger.ms", " 05 "),
            ("producer.override.sasl.mechanism", "PLAIN"),
            ("producer.override.bogus", " x "),
            ("consumer.override.max.poll.records", "5"),
        ]);
        let all = validate_overrides(OverridePolicy::All, ClientType::Producer, &c).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|r| r.errors.is_empty()));
        let linger = all.iter().find(|r| r.name == "linger.ms").unwrap();
        assert_eq!(linger.value.as_deref(), Some("5"));
        let bogus = all.iter().find(|r| r.name == "bogus").unwrap();
        assert_eq!(bogus.value.as_deref(), Some(" x "));

        let none = validate_overrides(OverridePolicy::None, ClientType::Producer, &c).unwrap();
        let linger = none.iter().find(|r| r.name == "linger.ms").unwrap();
        assert_eq!(
            linger.errors,
            vec!["The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration."]
        );
        let principal =
            validate_overrides(OverridePolicy::Principal, ClientType::Producer, &c).unwrap();
        let refused: Vec<&str> = principal
            .iter()
            .filter(|r| !r.errors.is_empty())
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(refused.len(), 2);
        assert!(!refused.contains(&"sasl.mechanism"));

        let e = validate_overrides(
            OverridePolicy::All,
            ClientType::Producer,
            &props(&[("producer.override.linger.ms", "soon")]),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "Invalid value soon for configuration linger.ms: Not a number of type LONG"
        );
    }

    #[test]
    fn task_start_check_names_the_refused_keys() {
        let c = props(&[("admin.override.retries", "1")]);
        assert!(check_overrides(OverridePolicy::All, ClientType::Admin, &c).is_ok());
        assert!(check_overrides(OverridePolicy::None, ClientType::Producer, &c).is_ok());
        let secret = props(&[("producer.override.sasl.jaas.config", "s3cret")]);
        let e = check_overrides(OverridePolicy::None, ClientType::Producer, &secret).unwrap_err();
        assert!(e.contains("[sasl.jaas.config,[hidden],[]"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = check_overrides(OverridePolicy::None, ClientType::Admin, &c).unwrap_err();
        assert_eq!(
            e,
            "Client Config Overrides not allowed [[retries,1,[],[The 'None' policy does not \
             allow 'retries' to be overridden in the connector configuration.],true]]"
        );
    }
}
