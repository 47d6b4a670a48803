//! Plugin aliases (Java `PluginUtils.simpleName/prunedName`) and class-name resolution
//! (Java `Plugins.connectorClass`, worker.md §5.6).

/// Java's aliases of a plugin class: its simple name, and the simple name cut at the last
/// occurrence of `kind_suffix` (`Connector`, `Converter`, `HeaderConverter`,
/// `Transformation`, `Predicate`) when that occurrence is not at the start.
///
/// Nested classes (`InsertField$Value`) get no alias: their simple names (`Value`, `Key`)
/// are shared by many plugins, so Java never ends up with a usable alias for them.
///
/// ```
/// use rconnect_config::plugin_aliases;
/// assert_eq!(
///     plugin_aliases("org.apache.kafka.connect.file.FileStreamSinkConnector", "Connector"),
///     vec!["FileStreamSinkConnector", "FileStreamSink"]
/// );
/// assert!(plugin_aliases("org.apache.kafka.connect.transforms.InsertField$Value", "Transformation").is_empty());
/// ```
pub fn plugin_aliases(class_name: &str, kind_suffix: &str) -> Vec<String> {
    let class_name = class_name.trim();
    if class_name.contains('$') || class_name.is_empty() {
        return Vec::new();
    }
    let simple = class_name.rsplit('.').next().unwrap_or(class_name);
    let mut out = vec![simple.to_string()];
    if !kind_suffix.is_empty() {
        if let Some(pos) = simple.rfind(kind_suffix) {
            if pos > 0 {
                out.push(simple[..pos].to_string());
            }
        }
    }
    out
}

/// Why a class name or alias did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Nothing matched; `available` lists every candidate class.
    #[error(
        "Failed to find any class that implements {kind} and which name matches {value}, available {}s are: {}",
        kind.to_lowercase(),
        available.join(", ")
    )]
    NotFound {
        kind: String,
        value: String,
        available: Vec<String>,
    },
    /// The alias matched several classes.
    #[error(
        "More than one {} matches alias {value}. Please use full package and class name instead. Classes found: {}",
        kind.to_lowercase(),
        matches.join(", ")
    )]
    Ambiguous {
        kind: String,
        value: String,
        matches: Vec<String>,
    },
}

/// Resolves a configured class name or alias against `(class, kind suffix)` candidates:
/// an exact fully-qualified name wins; otherwise the value must be an alias (see
/// [`plugin_aliases`]) of exactly one class. For connectors, `value + "Connector"` equal
/// to a simple name also matches (`FileStreamSink` → `FileStreamSinkConnector`).
///
/// ```
/// use rconnect_config::resolve_class;
/// let classes = vec![
///     ("org.apache.kafka.connect.file.FileStreamSinkConnector".to_string(), "Connector".to_string()),
///     ("org.apache.kafka.connect.file.FileStreamSourceConnector".to_string(), "Connector".to_string()),
/// ];
/// assert_eq!(resolve_class("FileStreamSink", &classes).unwrap(), "org.apache.kafka.connect.file.FileStreamSinkConnector");
/// assert!(resolve_class("Nope", &classes).is_err());
/// ```
pub fn resolve_class<'a>(
    value: &str,
    classes: &'a [(String, String)],
) -> Result<&'a str, ResolveError> {
    let value = value.trim();
    let kind = classes
        .first()
        .map(|(_, s)| s.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("Plugin")
        .to_string();
    if let Some((class, _)) = classes.iter().find(|(c, _)| c == value) {
        return Ok(class);
    }
    let mut matches: Vec<&'a str> = Vec::new();
    for (class, suffix) in classes {
        let aliases = plugin_aliases(class, suffix);
        let connector_rule = suffix == "Connector"
            && aliases
                .first()
                .is_some_and(|simple| *simple == format!("{value}Connector"));
        if (aliases.iter().any(|a| a == value) || connector_rule)
            && !matches.contains(&class.as_str())
        {
            matches.push(class);
        }
    }
    match matches.len() {
        1 => Ok(matches[0]),
        0 => Err(ResolveError::NotFound {
            kind,
            value: value.to_string(),
            available: classes.iter().map(|(c, _)| c.clone()).collect(),
        }),
        _ => Err(ResolveError::Ambiguous {
            kind,
            value: value.to_string(),
            matches: matches.iter().map(|s| s.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn aliases_follow_java() {
        assert_eq!(
            plugin_aliases("org.apache.kafka.connect.json.JsonConverter", "Converter"),
            vec!["JsonConverter", "Json"]
        );
        assert_eq!(
            plugin_aliases(
                "org.apache.kafka.connect.storage.SimpleHeaderConverter",
                "HeaderConverter"
            ),
            vec!["SimpleHeaderConverter", "Simple"]
        );
        assert_eq!(
            plugin_aliases(
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "Predicate"
            ),
            vec!["TopicNameMatches"]
        );
        assert_eq!(
            plugin_aliases(
                "org.apache.kafka.connect.transforms.RegexRouter",
                "Transformation"
            ),
            vec!["RegexRouter"]
        );
        // The suffix alone is not pruned to an empty alias.
        assert_eq!(
            plugin_aliases("a.b.Converter", "Converter"),
            vec!["Converter"]
        );
        // Java cuts at the last occurrence, not only at the end.
        assert_eq!(
            plugin_aliases("a.b.JsonConverterV2", "Converter"),
            vec!["JsonConverterV2", "Json"]
        );
        assert_eq!(
            plugin_aliases("NoPackageConnector", "Connector"),
            vec!["NoPackageConnector", "NoPackage"]
        );
        assert!(plugin_aliases(
            "org.apache.kafka.connect.transforms.Cast$Value",
            "Transformation"
        )
        .is_empty());
    }

    #[test]
    fn resolution_exact_alias_missing_ambiguous() {
        let c = entries(&[
            (
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "Connector",
            ),
            (
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "Connector",
            ),
            ("com.a.DupConnector", "Connector"),
            ("com.b.DupConnector", "Connector"),
        ]);
        assert_eq!(
            resolve_class(
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                &c
            )
            .unwrap(),
            "org.apache.kafka.connect.file.FileStreamSourceConnector"
        );
        assert_eq!(
            resolve_class(" FileStreamSinkConnector ", &c).unwrap(),
            "org.apache.kafka.connect.file.FileStreamSinkConnector"
        );
        assert_eq!(
            resolve_class("FileStreamSource", &c).unwrap(),
            "org.apache.kafka.connect.file.FileStreamSourceConnector"
        );
        assert_eq!(
            resolve_class("com.b.DupConnector", &c).unwrap(),
            "com.b.DupConnector"
        );

        let e = resolve_class("Dup", &c).unwrap_err();
        assert_eq!(
            e.to_string(),
            "More than one connector matches alias Dup. Please use full package and class name instead. Classes found: com.a.DupConnector, com.b.DupConnector"
        );
        let e = resolve_class("Missing", &c).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("Failed to find any class that implements Connector and which name matches Missing, available connectors are: "), "{msg}");
        assert!(msg.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"));
        // Case matters, as in Java.
        assert!(resolve_class("filestreamsink", &c).is_err());
    }

    #[test]
    fn nested_classes_resolve_only_by_full_name() {
        let c = entries(&[(
            "org.apache.kafka.connect.transforms.InsertField$Value",
            "Transformation",
        )]);
        assert!(resolve_class("Value", &c).is_err());
        assert!(resolve_class("InsertField$Value", &c).is_err());
        assert!(resolve_class("org.apache.kafka.connect.transforms.InsertField$Value", &c).is_ok());
    }
}
