//! Connector definition files given on the standalone command line (worker.md §2 step 5,
//! Java `ConnectStandalone.parseConnectorConfigurationFile`).

use crate::connector_name::{check_connector_name, shorten_name};
use crate::properties::parse_properties;
use crate::ConfigError;
use rconnect_sdk::Props;
use serde_json::Value;
use std::path::Path;

/// A connector to create at standalone startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorDefinition {
    pub name: String,
    /// The connector config; always contains `name`.
    pub config: Props,
    /// `RUNNING`, `PAUSED` or `STOPPED` (upper-cased) when the file gave one.
    pub initial_state: Option<String>,
}

/// Reads and parses a connector definition file. Blocking I/O: call it at startup or
/// from `spawn_blocking`.
pub fn load_connector_file(path: &Path) -> Result<ConnectorDefinition, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_connector_definition(path, &bytes)
}

fn file_error(path: &Path, message: String) -> ConfigError {
    ConfigError::ConnectorFile {
        path: path.to_path_buf(),
        message,
    }
}

fn missing_name(path: &Path) -> ConfigError {
    file_error(
        path,
        format!(
            "Connector configuration at '{}' is missing the mandatory 'name' configuration",
            path.display()
        ),
    )
}

/// A JSON scalar as Jackson's `StringDeserializer` reads it; `None` for objects/arrays.
fn scalar_string(v: &Value) -> Option<Option<String>> {
    match v {
        Value::String(s) => Some(Some(s.clone())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Null => Some(None),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A flat JSON object of scalars, or `None` if any value is an object or array.
fn flat_map(
    path: &Path,
    obj: &serde_json::Map<String, Value>,
) -> Option<Result<Props, ConfigError>> {
    let mut props = Props::new();
    for (k, v) in obj {
        match scalar_string(v)? {
            Some(s) => {
                props.insert(k.clone(), s);
            }
            None => {
                return Some(Err(file_error(
                    path,
                    format!(
                        "Connector configuration at '{}' has a null value for '{k}'",
                        path.display()
                    ),
                )))
            }
        }
    }
    Some(Ok(props))
}

/// Parses the content of a connector definition file, trying in order:
/// (a) a JSON object of strings (must contain `name`);
/// (b) a JSON `{"name", "config", "initial_state"}` request (unknown fields ignored;
///     `config.name`, if present, must equal `name`; otherwise it is added);
/// (c) a `.properties` file (must contain `name`).
///
/// Deviation: Java falls through to (c) when `initial_state` is not a valid state and then
/// reports a missing `name`; this reports the bad state instead.
///
/// The name must pass the connector-name rule ([`check_connector_name`]); the error names the
/// file and shows an over-long name shortened.
pub fn parse_connector_definition(
    path: &Path,
    bytes: &[u8],
) -> Result<ConnectorDefinition, ConfigError> {
    let def = parse_any_form(path, bytes)?;
    check_connector_name(&def.name).map_err(|e| {
        file_error(
            path,
            format!(
                "Connector configuration at '{}' has an invalid 'name' ({}): {e}",
                path.display(),
                shorten_name(&def.name)
            ),
        )
    })?;
    Ok(def)
}

fn parse_any_form(path: &Path, bytes: &[u8]) -> Result<ConnectorDefinition, ConfigError> {
    if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(bytes) {
        if let Some(flat) = flat_map(path, &obj) {
            let config = flat?;
            let name = config
                .get("name")
                .cloned()
                .ok_or_else(|| missing_name(path))?;
            return Ok(ConnectorDefinition {
                name,
                config,
                initial_state: None,
            });
        }
        return parse_request(path, &obj);
    }
    let config = parse_properties(bytes).map_err(|e| ConfigError::Properties {
        path: path.to_path_buf(),
        line: e.line,
    })?;
    let name = config
        .get("name")
        .cloned()
        .ok_or_else(|| missing_name(path))?;
    Ok(ConnectorDefinition {
        name,
        config,
        initial_state: None,
    })
}

fn parse_request(
    path: &Path,
    obj: &serde_json::Map<String, Value>,
) -> Result<ConnectorDefinition, ConfigError> {
    let shown = path.display();
    let name = match obj.get("name") {
        Some(v) => match scalar_string(v) {
            Some(Some(s)) => s,
            Some(None) => return Err(missing_name(path)),
            None => {
                return Err(file_error(
                    path,
                    format!(
                        "Connector configuration at '{shown}' has a 'name' that is not a string"
                    ),
                ))
            }
        },
        None => return Err(missing_name(path)),
    };
    let mut config = match obj.get("config") {
        Some(Value::Object(c)) => match flat_map(path, c) {
            Some(r) => r?,
            None => {
                return Err(file_error(
                    path,
                    format!("Connector configuration at '{shown}' has a 'config' whose values are not all strings"),
                ))
            }
        },
        Some(_) => return Err(file_error(path, format!("Connector configuration at '{shown}' has a 'config' that is not an object"))),
        None => return Err(file_error(path, format!("Connector configuration at '{shown}' has no 'config' object"))),
    };
    match config.get("name") {
        Some(n) if *n != name => {
            return Err(file_error(
                path,
                format!("Connector name configuration in 'config' doesn't match the one specified in 'name' at '{shown}'"),
            ))
        }
        Some(_) => {}
        None => {
            config.insert("name".into(), name.clone());
        }
    }
    let initial_state = match obj.get("initial_state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let upper = s.to_uppercase();
            if !["RUNNING", "PAUSED", "STOPPED"].contains(&upper.as_str()) {
                return Err(file_error(
                    path,
                    format!("Connector configuration at '{shown}' has an invalid 'initial_state' {s}: must be one of RUNNING, PAUSED, STOPPED"),
                ));
            }
            Some(upper)
        }
        Some(other) => {
            return Err(file_error(
                path,
                format!(
                    "Connector configuration at '{shown}' has an invalid 'initial_state' {other}"
                ),
            ))
        }
    };
    Ok(ConnectorDefinition {
        name,
        config,
        initial_state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ConnectorDefinition, ConfigError> {
        parse_connector_definition(Path::new("/etc/conn.json"), s.as_bytes())
    }

    #[test]
    fn flat_json_object() {
        let d =
            parse(r#"{"name":"a","connector.class":"FileStreamSource","tasks.max":1,"flag":true}"#)
                .unwrap();
        assert_eq!(d.name, "a");
        assert_eq!(d.config["tasks.max"], "1");
        assert_eq!(d.config["flag"], "true");
        assert_eq!(d.initial_state, None);
        let e = parse(r#"{"connector.class":"X"}"#).unwrap_err().to_string();
        assert_eq!(e, "Connector configuration at '/etc/conn.json' is missing the mandatory 'name' configuration");
        let e = parse(r#"{"name":"a","x":null}"#).unwrap_err().to_string();
        assert!(e.contains("'x'") && e.contains("/etc/conn.json"), "{e}");
    }

    #[test]
    fn request_json_object() {
        let d = parse(
            r#"{"name":"a","config":{"connector.class":"X"},"initial_state":"paused","extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(d.name, "a");
        assert_eq!(d.config["name"], "a");
        assert_eq!(d.config["connector.class"], "X");
        assert_eq!(d.initial_state.as_deref(), Some("PAUSED"));

        let d = parse(r#"{"name":"a","config":{"name":"a","k":"v"}}"#).unwrap();
        assert_eq!(d.config["k"], "v");
        assert_eq!(d.initial_state, None);

        let e = parse(r#"{"name":"a","config":{"name":"b"}}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "Connector name configuration in 'config' doesn't match the one specified in 'name' at '/etc/conn.json'");
        assert!(
            parse(r#"{"name":"a","config":{}, "initial_state":"SLEEPING"}"#)
                .unwrap_err()
                .to_string()
                .contains("initial_state")
        );
        assert!(parse(r#"{"name":"a","config":["x"]}"#)
            .unwrap_err()
            .to_string()
            .contains("'config'"));
        // A scalar `config` makes the whole file a flat map of strings, as with Jackson.
        assert_eq!(
            parse(r#"{"name":"a","config":"x"}"#).unwrap().config["config"],
            "x"
        );
        assert!(parse(r#"{"config":{"k":"v"}}"#)
            .unwrap_err()
            .to_string()
            .contains("mandatory 'name'"));
    }

    #[test]
    fn properties_fallback() {
        let d = parse("name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\n")
            .unwrap();
        assert_eq!(d.name, "local-file-source");
        assert_eq!(d.config["tasks.max"], "1");
        assert!(parse("connector.class=X\n")
            .unwrap_err()
            .to_string()
            .contains("missing the mandatory 'name'"));
        // A JSON array is not an object: it falls through to .properties parsing.
        assert!(parse("[1,2]").is_err());
        let e = parse("name=a\nx=\\uZZZZ\n").unwrap_err().to_string();
        assert!(e.contains("/etc/conn.json") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn names_must_pass_the_connector_name_rule() {
        let long = "n".repeat(40_000);
        for text in [
            format!("name={long}\n"),
            format!(r#"{{"name":"{long}"}}"#),
            format!(r#"{{"name":"{long}","config":{{}}}}"#),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "Connector configuration at '/etc/conn.json' has an invalid 'name' \
                     ({}...(40000 bytes)): Connector name is too long: 40000 bytes, the limit \
                     is 255",
                    "n".repeat(64)
                )
            );
        }
        assert_eq!(
            parse(&format!("name={}\n", "n".repeat(255)))
                .unwrap()
                .name
                .len(),
            255
        );
        let e = parse(r#"{"name":""}"#).unwrap_err().to_string();
        assert!(
            e.ends_with("has an invalid 'name' (): String may not be empty"),
            "{e}"
        );
        let e = parse(r#"{"name":"a\u0007b"}"#).unwrap_err().to_string();
        assert!(
            e.ends_with("(a\\u{7}b): String may not contain control sequences but had the following ASCII chars: 7"),
            "{e}"
        );
    }

    #[test]
    fn load_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.properties");
        std::fs::write(&f, "name=x\n").unwrap();
        assert_eq!(load_connector_file(&f).unwrap().name, "x");
        let e = load_connector_file(&dir.path().join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.json"), "{e}");
    }
}
