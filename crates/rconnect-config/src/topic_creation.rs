//! Topic creation groups of a source connector (KIP-158): `topic.creation.groups`,
//! `topic.creation.default.*` and `topic.creation.<group>.*`, read as Java's
//! `SourceConnectorConfig` (with `createTopics`) and `TopicCreationGroup` read them when
//! the connector and its tasks start.

use std::collections::BTreeMap;

use rconnect_sdk::config::{ConfigDef, ConfigValue};
use rconnect_sdk::Props;

use crate::connector::{
    add_topic_creation_keys, compile_java_regex, uses_topic_creation, TOPIC_CREATION_GROUPS_CONFIG,
    TOPIC_CREATION_PREFIX,
};
use crate::ConfigError;

/// The keys of a group that are not topic configs.
const GROUP_KEYS: [&str; 4] = ["include", "exclude", "replication.factor", "partitions"];

/// One topic creation group: which topics it covers and how it creates them.
#[derive(Debug, Clone)]
pub struct TopicCreationGroup {
    /// The group's alias (`default` for the default group).
    pub name: String,
    include: regex::Regex,
    exclude: regex::Regex,
    /// Partitions of new topics; `-1` for the broker's default.
    pub partitions: i32,
    /// Replication factor of new topics; `-1` for the broker's default.
    pub replication_factor: i16,
    /// Every other `topic.creation.<group>.*` key, as topic configs.
    pub configs: BTreeMap<String, String>,
}

impl TopicCreationGroup {
    /// Java `TopicCreationGroup#matches`: the topic fully matches one of the `include`
    /// patterns and none of the `exclude` patterns.
    pub fn matches(&self, topic: &str) -> bool {
        !self.exclude.is_match(topic) && self.include.is_match(topic)
    }
}

/// The topic creation groups of a source connector.
///
/// ```
/// use rconnect_config::topic_creation::TopicCreationGroups;
/// let props = [
///     ("topic.creation.groups", "compacted"),
///     ("topic.creation.default.replication.factor", "-1"),
///     ("topic.creation.default.partitions", "3"),
///     ("topic.creation.compacted.include", "state-.*"),
///     ("topic.creation.compacted.cleanup.policy", "compact"),
/// ]
/// .iter()
/// .map(|(k, v)| (k.to_string(), v.to_string()))
/// .collect();
/// let groups = TopicCreationGroups::from_config(true, &props).unwrap().unwrap();
/// let g = groups.find_first_group("state-1");
/// assert_eq!((g.name.as_str(), g.partitions), ("compacted", 3));
/// assert_eq!(g.configs["cleanup.policy"], "compact");
/// assert_eq!(groups.find_first_group("events").name, "default");
/// ```
#[derive(Debug, Clone)]
pub struct TopicCreationGroups {
    default: TopicCreationGroup,
    groups: Vec<TopicCreationGroup>,
}

impl TopicCreationGroups {
    /// The groups of `props`, or `None` when the connector does not create topics: the
    /// worker's `topic.creation.enable` is false or no `topic.creation.*` key is present.
    ///
    /// A missing `topic.creation.default.replication.factor` / `.partitions`, a bad value
    /// or a bad pattern is an error with Java's `ConfigException` text, the first in
    /// Java's order (the default group, then each group in `topic.creation.groups`).
    pub fn from_config(
        worker_enabled: bool,
        props: &Props,
    ) -> Result<Option<TopicCreationGroups>, ConfigError> {
        if !worker_enabled || !uses_topic_creation(props) {
            return Ok(None);
        }
        let def = add_topic_creation_keys(ConfigDef::new(), props);
        // Java ignores the default group's include/exclude: it is the fallback of all
        // topics no other group matches.
        let mut effective = props.clone();
        effective.remove(&format!("{TOPIC_CREATION_PREFIX}default.include"));
        effective.remove(&format!("{TOPIC_CREATION_PREFIX}default.exclude"));
        let parsed = def
            .parse(&effective)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let group = |name: &str| -> Result<TopicCreationGroup, ConfigError> {
            let prefix = format!("{TOPIC_CREATION_PREFIX}{name}.");
            let get = |k: &str| parsed.get(&format!("{prefix}{k}"));
            let pattern = |k: &str| -> Result<regex::Regex, ConfigError> {
                let list = match get(k) {
                    Some(ConfigValue::List(l)) => l.clone(),
                    _ => Vec::new(),
                };
                // Java compiles the patterns joined with `|`; an empty list matches nothing
                // but the empty name.
                compile_java_regex(&list.join("|")).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "Invalid value {} for configuration {prefix}{k}: Syntax error in regular expression: {e}",
                        list.join(",")
                    ))
                })
            };
            let partitions = match get("partitions") {
                Some(ConfigValue::Int(n)) => *n,
                _ => -1,
            };
            let replication_factor = match get("replication.factor") {
                Some(ConfigValue::Short(n)) => *n,
                _ => -1,
            };
            let configs = effective
                .iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(&prefix)?;
                    (!GROUP_KEYS.contains(&rest)).then(|| (rest.to_string(), v.clone()))
                })
                .collect();
            Ok(TopicCreationGroup {
                name: name.to_string(),
                include: pattern("include")?,
                exclude: pattern("exclude")?,
                partitions,
                replication_factor,
                configs,
            })
        };
        let mut names: Vec<String> = Vec::new();
        let listed = props
            .get(TOPIC_CREATION_GROUPS_CONFIG)
            .map(|v| rconnect_sdk::config::parse_list(v))
            .unwrap_or_default();
        for n in listed {
            if n != "default" && !names.contains(&n) {
                names.push(n);
            }
        }
        Ok(Some(TopicCreationGroups {
            default: group("default")?,
            groups: names.iter().map(|n| group(n)).collect::<Result<_, _>>()?,
        }))
    }

    /// Java `TopicCreation#findFirstGroup`: the first listed group that matches `topic`,
    /// else the default group.
    pub fn find_first_group(&self, topic: &str) -> &TopicCreationGroup {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .unwrap_or(&self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Props {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn err(kv: &[(&str, &str)]) -> String {
        TopicCreationGroups::from_config(true, &props(kv))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn off_without_keys_or_when_the_worker_disables_it() {
        assert!(
            TopicCreationGroups::from_config(true, &props(&[("topic", "t")]))
                .unwrap()
                .is_none()
        );
        let p = props(&[("topic.creation.default.partitions", "x")]);
        assert!(TopicCreationGroups::from_config(false, &p)
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_default_group_needs_partitions_and_replication_factor() {
        assert_eq!(
            err(&[("topic.creation.groups", "g")]),
            "Missing required configuration \"topic.creation.default.replication.factor\" which has no default value."
        );
        assert_eq!(
            err(&[("topic.creation.default.replication.factor", "1")]),
            "Missing required configuration \"topic.creation.default.partitions\" which has no default value."
        );
        assert_eq!(
            err(&[
                ("topic.creation.default.replication.factor", "0"),
                ("topic.creation.default.partitions", "1")
            ]),
            "Invalid value 0 for configuration topic.creation.default.replication.factor: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
        );
        assert_eq!(
            err(&[
                ("topic.creation.groups", "g"),
                ("topic.creation.default.replication.factor", "1"),
                ("topic.creation.default.partitions", "1"),
                ("topic.creation.g.partitions", "0")
            ]),
            "Invalid value 0 for configuration topic.creation.g.partitions: Number of partitions must be positive, or -1 to use the broker's default"
        );
    }

    #[test]
    fn groups_match_in_order_and_inherit_the_default() {
        let p = props(&[
            ("topic.creation.groups", "default,a,b,a"),
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.partitions", "2"),
            ("topic.creation.default.include", "nothing"),
            ("topic.creation.default.cleanup.policy", "delete"),
            ("topic.creation.a.include", "x.*, y"),
            ("topic.creation.a.exclude", "xx.*"),
            ("topic.creation.a.partitions", "5"),
            ("topic.creation.a.retention.ms", "1000"),
            ("topic.creation.b.include", ".*"),
            ("topic.creation.b.replication.factor", "1"),
        ]);
        let g = TopicCreationGroups::from_config(true, &p).unwrap().unwrap();
        let a = g.find_first_group("x1");
        assert_eq!(
            (a.name.as_str(), a.partitions, a.replication_factor),
            ("a", 5, -1)
        );
        assert_eq!(
            a.configs,
            BTreeMap::from([("retention.ms".to_string(), "1000".to_string())])
        );
        assert_eq!(g.find_first_group("y").name, "a");
        // Excluded from a, so the next group that matches.
        let b = g.find_first_group("xx1");
        assert_eq!(
            (b.name.as_str(), b.partitions, b.replication_factor),
            ("b", 2, 1)
        );
        let p = props(&[
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.partitions", "2"),
            ("topic.creation.default.include", "nothing"),
            ("topic.creation.default.cleanup.policy", "compact"),
        ]);
        let g = TopicCreationGroups::from_config(true, &p).unwrap().unwrap();
        let d = g.find_first_group("anything");
        assert_eq!(d.name, "default");
        assert_eq!(d.configs["cleanup.policy"], "compact");
        assert_eq!(d.configs.len(), 1);
    }
}
