//! Keys and values of the config and status topics, byte for byte as Java Connect writes
//! them (internals.md §2.1, §4, §9), and their lenient parsing.
//!
//! Values are compact JSON with struct fields in Java's schema order; see [`crate`] docs for
//! the escaping rules. Parsing is schemaless like Java's `JsonConverter` with
//! `schemas.enable=false`: integers may be any JSON integer that fits, unknown fields are
//! ignored.

use rconnect_runtime::config_store::{RestartRequest, SessionKey};
use rconnect_runtime::herder::{ConnectorTaskId, State, TargetState};
use rconnect_runtime::status::{Status, TopicStatus};
use rconnect_sdk::Props;
use serde_json::Value as Json;

use crate::json;

/// Prefix of connector config keys.
pub const CONNECTOR_PREFIX: &str = "connector-";
/// Prefix of target-state keys.
pub const TARGET_STATE_PREFIX: &str = "target-state-";
/// Prefix of task config keys.
pub const TASK_PREFIX: &str = "task-";
/// Prefix of task-config commit keys.
pub const COMMIT_PREFIX: &str = "commit-";
/// Prefix of KIP-745 restart request keys.
pub const RESTART_PREFIX: &str = "restart-connector-";
/// Prefix of exactly-once task count records.
pub const TASK_COUNT_PREFIX: &str = "tasks-fencing-";
/// The session key's key.
pub const SESSION_KEY_KEY: &str = "session-key";
/// Prefix of cluster-wide logger level keys (KIP-976).
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";
/// Prefix of connector status keys.
pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
/// Prefix of task status keys.
pub const TASK_STATUS_PREFIX: &str = "status-task-";
/// Prefix of topic-tracking status keys.
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";

/// `connector-<name>`.
pub fn connector_key(name: &str) -> String {
    format!("{CONNECTOR_PREFIX}{name}")
}

/// `target-state-<name>`.
pub fn target_state_key(name: &str) -> String {
    format!("{TARGET_STATE_PREFIX}{name}")
}

/// `task-<name>-<n>`.
pub fn task_key(connector: &str, task: i32) -> String {
    format!("{TASK_PREFIX}{connector}-{task}")
}

/// `commit-<name>`.
pub fn commit_key(name: &str) -> String {
    format!("{COMMIT_PREFIX}{name}")
}

/// `restart-connector-<name>`.
pub fn restart_key(name: &str) -> String {
    format!("{RESTART_PREFIX}{name}")
}

/// `tasks-fencing-<name>`.
pub fn task_count_key(name: &str) -> String {
    format!("{TASK_COUNT_PREFIX}{name}")
}

/// `status-connector-<name>`.
pub fn connector_status_key(name: &str) -> String {
    format!("{CONNECTOR_STATUS_PREFIX}{name}")
}

/// `status-task-<name>-<n>`.
pub fn task_status_key(id: &ConnectorTaskId) -> String {
    format!("{TASK_STATUS_PREFIX}{}-{}", id.connector, id.task)
}

/// `status-topic-<topic>:connector-<name>`.
pub fn topic_status_key(topic: &str, connector: &str) -> String {
    format!("{TOPIC_STATUS_PREFIX}{topic}:connector-{connector}")
}

/// The topic and connector of a `status-topic-<topic>:connector-<name>` key.
pub fn parse_topic_status_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(TOPIC_STATUS_PREFIX)?;
    let (topic, connector) = rest.split_once(':')?;
    let connector = connector.strip_prefix("connector-")?;
    (!topic.is_empty() && !connector.is_empty()).then_some((topic, connector))
}

/// `{"topic":{"name":..,"connector":..,"task":..,"discoverTimestamp":..}}`, as Java's
/// JsonConverter writes the topic-status struct.
pub fn topic_status_value(status: &TopicStatus) -> Vec<u8> {
    let mut out = String::from("{\"topic\":{\"name\":");
    json::string(&mut out, &status.topic);
    out.push_str(",\"connector\":");
    json::string(&mut out, &status.connector);
    out.push_str(&format!(
        ",\"task\":{},\"discoverTimestamp\":{}}}}}",
        status.task, status.discover_timestamp
    ));
    out.into_bytes()
}

/// Parses a topic-status value; the error says what is wrong.
pub fn parse_topic_status_value(bytes: &[u8]) -> Result<TopicStatus, String> {
    let v: Json = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let t = v
        .get("topic")
        .and_then(Json::as_object)
        .ok_or("'topic' is missing or not an object")?;
    let text = |k: &str| {
        t.get(k)
            .and_then(Json::as_str)
            .map(str::to_string)
            .ok_or(format!("'topic.{k}' is missing or not a string"))
    };
    let int = |k: &str| {
        t.get(k)
            .and_then(Json::as_i64)
            .ok_or(format!("'topic.{k}' is missing or not an integer"))
    };
    Ok(TopicStatus {
        topic: text("name")?,
        connector: text("connector")?,
        task: int("task")? as i32,
        discover_timestamp: int("discoverTimestamp")?,
    })
}

fn properties_value(props: &Props) -> Vec<u8> {
    let mut out = String::from("{\"properties\":");
    json::string_map(&mut out, props);
    out.push('}');
    out.into_bytes()
}

/// `{"properties":{...}}` of a `connector-<name>` record.
pub fn connector_config_value(config: &Props) -> Vec<u8> {
    properties_value(config)
}

/// `{"properties":{...}}` of a `task-<name>-<n>` record.
pub fn task_config_value(config: &Props) -> Vec<u8> {
    properties_value(config)
}

/// `{"tasks":<n>}` of a `commit-<name>` record.
pub fn commit_value(tasks: i32) -> Vec<u8> {
    format!("{{\"tasks\":{tasks}}}").into_bytes()
}

/// `{"task-count":<n>}` of a `tasks-fencing-<name>` record.
pub fn task_count_value(count: i32) -> Vec<u8> {
    format!("{{\"task-count\":{count}}}").into_bytes()
}

/// Java's name of a target state.
pub fn target_state_name(state: TargetState) -> &'static str {
    match state {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

fn parse_target_state(s: &str) -> Option<TargetState> {
    match s {
        "STARTED" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// `{"state":"…","state.v2":"…"}`; `state` says PAUSED for STOPPED, for pre-3.5 readers.
pub fn target_state_value(state: TargetState) -> Vec<u8> {
    let legacy = match state {
        TargetState::Stopped => TargetState::Paused,
        other => other,
    };
    format!(
        "{{\"state\":\"{}\",\"state.v2\":\"{}\"}}",
        target_state_name(legacy),
        target_state_name(state)
    )
    .into_bytes()
}

/// `{"key":"<base64>","algorithm":"…","creation-timestamp":<ms>}`.
pub fn session_key_value(key: &SessionKey) -> Vec<u8> {
    use base64::Engine as _;
    let mut out = String::from("{\"key\":");
    json::string(
        &mut out,
        &base64::engine::general_purpose::STANDARD.encode(&key.key),
    );
    out.push_str(",\"algorithm\":");
    json::string(&mut out, &key.algorithm);
    out.push_str(&format!(
        ",\"creation-timestamp\":{}}}",
        key.creation_timestamp
    ));
    out.into_bytes()
}

/// `{"include-tasks":bool,"only-failed":bool}`.
pub fn restart_request_value(request: &RestartRequest) -> Vec<u8> {
    format!(
        "{{\"include-tasks\":{},\"only-failed\":{}}}",
        request.include_tasks, request.only_failed
    )
    .into_bytes()
}

/// `{"level":"<level>"}` of a `logger-cluster-<namespace>` record.
pub fn logger_level_value(level: &str) -> Vec<u8> {
    let mut out = String::from("{\"level\":");
    json::string(&mut out, level);
    out.push('}');
    out.into_bytes()
}

/// Java's name of a status state.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Unassigned => "UNASSIGNED",
        State::Running => "RUNNING",
        State::Paused => "PAUSED",
        State::Stopped => "STOPPED",
        State::Failed => "FAILED",
        State::Restarting => "RESTARTING",
        State::Destroyed => "DESTROYED",
    }
}

fn parse_state(s: &str) -> Option<State> {
    Some(match s {
        "UNASSIGNED" => State::Unassigned,
        "RUNNING" => State::Running,
        "PAUSED" => State::Paused,
        "STOPPED" => State::Stopped,
        "FAILED" => State::Failed,
        "RESTARTING" => State::Restarting,
        "DESTROYED" => State::Destroyed,
        _ => return None,
    })
}

/// `{"state":"…","trace":…,"worker_id":"…","generation":<n>}`, or None (a tombstone) for
/// DESTROYED.
pub fn status_value(status: &Status) -> Option<Vec<u8>> {
    if status.state == State::Destroyed {
        return None;
    }
    let mut out = String::from("{\"state\":\"");
    out.push_str(state_name(status.state));
    out.push_str("\",\"trace\":");
    json::opt_string(&mut out, status.trace.as_deref());
    out.push_str(",\"worker_id\":");
    json::string(&mut out, &status.worker_id);
    out.push_str(&format!(",\"generation\":{}}}", status.generation));
    Some(out.into_bytes())
}

/// Parses a status value; the error says what is wrong.
pub fn parse_status_value(bytes: &[u8]) -> Result<Status, String> {
    let v: Json = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let Json::Object(m) = v else {
        return Err(format!("expected a JSON object but found {v}"));
    };
    let state = m
        .get("state")
        .and_then(Json::as_str)
        .ok_or("'state' is missing or not a string")?;
    let state = parse_state(state).ok_or_else(|| format!("unknown state '{state}'"))?;
    let trace = match m.get("trace") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("'trace' is not a string: {other}")),
    };
    let worker_id = m
        .get("worker_id")
        .and_then(Json::as_str)
        .ok_or("'worker_id' is missing or not a string")?
        .to_string();
    let generation = m
        .get("generation")
        .and_then(Json::as_i64)
        .ok_or("'generation' is missing or not an integer")?;
    // Java reads the Long and takes intValue(), which wraps.
    let generation = generation as i32;
    Ok(Status {
        state,
        trace,
        worker_id,
        generation,
    })
}

/// Java's `String.split("-")`: trailing empty pieces are dropped.
fn java_split_dash(key: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = key.split('-').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// Java's `Integer.parseInt` (an optional sign, then ASCII digits).
fn java_parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Splits `<prefix pieces>-<connector>-<n>` as Java does: split on `-`, at least
/// `min_pieces` pieces, the last is the task number, the ones after the first `skip`
/// pieces form the connector name (which may contain `-`).
fn split_task_key(key: &str, skip: usize, min_pieces: usize) -> Option<ConnectorTaskId> {
    let parts = java_split_dash(key);
    if parts.len() < min_pieces {
        return None;
    }
    let task = java_parse_int(parts[parts.len() - 1])?;
    Some(ConnectorTaskId {
        connector: parts[skip..parts.len() - 1].join("-"),
        task,
    })
}

/// Parses a config-topic `task-<name>-<n>` key (Java `parseTaskId`).
pub fn parse_task_key(key: &str) -> Option<ConnectorTaskId> {
    split_task_key(key, 1, 3)
}

/// Parses a `status-task-<name>-<n>` key (Java `parseConnectorTaskId`).
pub fn parse_task_status_key(key: &str) -> Option<ConnectorTaskId> {
    split_task_key(key, 2, 4)
}

/// A decoded config-topic record.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigRecord {
    /// `connector-<name>`; None is a deletion.
    ConnectorConfig { name: String, config: Option<Props> },
    /// `target-state-<name>`; None is a tombstone.
    TargetState {
        name: String,
        state: Option<TargetState>,
    },
    /// `task-<name>-<n>`.
    TaskConfig { id: ConnectorTaskId, config: Props },
    /// `commit-<name>`.
    Commit { connector: String, tasks: i32 },
    /// `tasks-fencing-<name>`.
    TaskCount { connector: String, count: i32 },
    /// `session-key`.
    SessionKey(SessionKey),
    /// `restart-connector-<name>`.
    Restart(RestartRequest),
    /// `logger-cluster-<namespace>`; None is a tombstone.
    LoggerLevel {
        namespace: String,
        level: Option<String>,
    },
}

/// Why a config-topic record was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A key this version does not know (e.g. from a newer Java worker).
    UnknownKey,
    /// The value does not have the expected shape.
    Invalid(String),
}

/// Decodes a record value: None for a tombstone (or an empty value), else its JSON.
pub fn decode_value(value: Option<&[u8]>) -> Result<Option<Json>, String> {
    match value {
        None | Some([]) => Ok(None),
        Some(bytes) => serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| format!("invalid JSON: {e}")),
    }
}

fn object<'a>(
    value: Option<&'a Json>,
    what: &str,
) -> Result<&'a serde_json::Map<String, Json>, SkipReason> {
    match value {
        Some(Json::Object(m)) => Ok(m),
        None => Err(SkipReason::Invalid(format!("{what} is unexpectedly null"))),
        Some(other) => Err(SkipReason::Invalid(format!(
            "{what} is in the wrong format: {other}"
        ))),
    }
}

fn properties(m: &serde_json::Map<String, Json>, what: &str) -> Result<Props, SkipReason> {
    let Some(Json::Object(props)) = m.get("properties") else {
        return Err(SkipReason::Invalid(format!(
            "{what}: 'properties' field should be a Map but is {}",
            m.get("properties").unwrap_or(&Json::Null)
        )));
    };
    let mut out = Props::new();
    for (k, v) in props {
        match v {
            Json::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            // Java keeps null values; a Props map cannot, and a null value means "unset".
            Json::Null => {}
            other => {
                tracing::warn!(key = %k, value = %other, "{what}: non-string property value taken as its JSON text");
                out.insert(k.clone(), other.to_string());
            }
        }
    }
    Ok(out)
}

fn int_field(
    m: &serde_json::Map<String, Json>,
    field: &str,
    what: &str,
) -> Result<i32, SkipReason> {
    m.get(field)
        .and_then(Json::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| {
            SkipReason::Invalid(format!(
                "{what}: '{field}' field should be an Integer but is {}",
                m.get(field).unwrap_or(&Json::Null)
            ))
        })
}

/// Decodes a config-topic record by its key (dispatch order of internals.md §2.1).
pub fn parse_config_record(key: &str, value: Option<&Json>) -> Result<ConfigRecord, SkipReason> {
    if let Some(name) = key.strip_prefix(TARGET_STATE_PREFIX) {
        let what = format!("target state for connector '{name}'");
        if value.is_none() {
            return Ok(ConfigRecord::TargetState {
                name: name.to_string(),
                state: None,
            });
        }
        let m = object(value, &what)?;
        // Readers prefer state.v2 and fall back on state when it is absent or not a string;
        // an unknown state name (in either) makes the record invalid, as in Java.
        let raw = match m.get("state.v2") {
            Some(Json::String(s)) => s.as_str(),
            other => {
                if let Some(v) = other.filter(|v| !v.is_null()) {
                    tracing::error!(
                        "Invalid data for {what}: 'state.v2' field should be a String but is {v}"
                    );
                }
                m.get("state").and_then(Json::as_str).ok_or_else(|| {
                    SkipReason::Invalid(format!(
                        "{what}: 'state' field should be a String but is {}",
                        m.get("state").unwrap_or(&Json::Null)
                    ))
                })?
            }
        };
        let state = parse_target_state(raw)
            .ok_or_else(|| SkipReason::Invalid(format!("invalid {what}: {raw}")))?;
        return Ok(ConfigRecord::TargetState {
            name: name.to_string(),
            state: Some(state),
        });
    }
    if let Some(name) = key.strip_prefix(CONNECTOR_PREFIX) {
        let config = match value {
            None => None,
            Some(_) => {
                let what = format!("configuration for connector '{name}'");
                Some(properties(object(value, &what)?, &what)?)
            }
        };
        return Ok(ConfigRecord::ConnectorConfig {
            name: name.to_string(),
            config,
        });
    }
    if key.starts_with(TASK_PREFIX) {
        let id = parse_task_key(key).ok_or_else(|| {
            SkipReason::Invalid(format!("{key} couldn't be parsed as a task config key"))
        })?;
        let what = format!("task configuration for task {id}");
        let config = properties(object(value, &what)?, &what)?;
        return Ok(ConfigRecord::TaskConfig { id, config });
    }
    if let Some(name) = key.strip_prefix(COMMIT_PREFIX) {
        let what = format!("connector tasks configuration commit for connector '{name}'");
        let tasks = int_field(object(value, &what)?, "tasks", &what)?;
        return Ok(ConfigRecord::Commit {
            connector: name.to_string(),
            tasks,
        });
    }
    if let Some(name) = key.strip_prefix(RESTART_PREFIX) {
        let what = format!("restart request for connector '{name}'");
        let m = object(value, &what)?;
        let flag = |field: &str| match m.get(field) {
            Some(Json::Bool(b)) => *b,
            other => {
                tracing::warn!(
                    "Invalid data for {what}: '{field}' field should be a Boolean but is {}, defaulting to false",
                    other.unwrap_or(&Json::Null)
                );
                false
            }
        };
        return Ok(ConfigRecord::Restart(RestartRequest {
            connector: name.to_string(),
            include_tasks: flag("include-tasks"),
            only_failed: flag("only-failed"),
        }));
    }
    if let Some(name) = key.strip_prefix(TASK_COUNT_PREFIX) {
        let what = format!("task count record for connector '{name}'");
        let count = int_field(object(value, &what)?, "task-count", &what)?;
        return Ok(ConfigRecord::TaskCount {
            connector: name.to_string(),
            count,
        });
    }
    if key == SESSION_KEY_KEY {
        return parse_session_key(value).map(ConfigRecord::SessionKey);
    }
    if let Some(namespace) = key.strip_prefix(LOGGER_CLUSTER_PREFIX) {
        let level = match value {
            None => None,
            Some(_) => {
                let what = format!("logger level for namespace '{namespace}'");
                let m = object(value, &what)?;
                Some(
                    m.get("level")
                        .and_then(Json::as_str)
                        .ok_or_else(|| {
                            SkipReason::Invalid(format!(
                                "{what}: 'level' field should be a String but is {}",
                                m.get("level").unwrap_or(&Json::Null)
                            ))
                        })?
                        .to_string(),
                )
            }
        };
        return Ok(ConfigRecord::LoggerLevel {
            namespace: namespace.to_string(),
            level,
        });
    }
    Err(SkipReason::UnknownKey)
}

fn parse_session_key(value: Option<&Json>) -> Result<SessionKey, SkipReason> {
    use base64::Engine as _;
    let m = object(value, "session key")?;
    let algorithm = m
        .get("algorithm")
        .and_then(Json::as_str)
        .ok_or_else(|| SkipReason::Invalid("session key: no algorithm was specified".into()))?;
    let key = m
        .get("key")
        .and_then(Json::as_str)
        .ok_or_else(|| SkipReason::Invalid("session key: no key was specified".into()))?;
    let creation_timestamp = m
        .get("creation-timestamp")
        .and_then(Json::as_i64)
        .ok_or_else(|| {
            SkipReason::Invalid(format!(
                "session key: 'creation-timestamp' should be a Long but is {}",
                m.get("creation-timestamp").unwrap_or(&Json::Null)
            ))
        })?;
    // Java's basic decoder accepts the padding but does not require it.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let key = lenient
        .decode(key)
        .map_err(|e| SkipReason::Invalid(format!("session key: invalid base64 key: {e}")))?;
    Ok(SessionKey {
        key,
        algorithm: algorithm.to_string(),
        creation_timestamp,
    })
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

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn topic_status_records() {
        let t = TopicStatus {
            topic: "a.b-c".into(),
            connector: "my:conn".into(),
            task: 2,
            discover_timestamp: 42,
        };
        let key = topic_status_key(&t.topic, &t.connector);
        assert_eq!(key, "status-topic-a.b-c:connector-my:conn");
        assert_eq!(parse_topic_status_key(&key), Some(("a.b-c", "my:conn")));
        assert_eq!(parse_topic_status_key("status-topic-x"), None);
        assert_eq!(parse_topic_status_key("status-topic-x:conn-y"), None);
        let value = topic_status_value(&t);
        assert_eq!(
            std::str::from_utf8(&value).unwrap(),
            r#"{"topic":{"name":"a.b-c","connector":"my:conn","task":2,"discoverTimestamp":42}}"#
        );
        assert_eq!(parse_topic_status_value(&value), Ok(t));
        assert_eq!(
            parse_topic_status_value(
                br#"{"topic":{"name":"x","connector":"c","task":"1","discoverTimestamp":1}}"#
            ),
            Err("'topic.task' is missing or not an integer".to_string())
        );
    }

    #[test]
    fn config_topic_keys() {
        assert_eq!(connector_key("fs"), "connector-fs");
        assert_eq!(target_state_key("fs"), "target-state-fs");
        assert_eq!(task_key("my-fs", 1), "task-my-fs-1");
        assert_eq!(commit_key("fs"), "commit-fs");
        assert_eq!(restart_key("fs"), "restart-connector-fs");
        assert_eq!(task_count_key("fs"), "tasks-fencing-fs");
        assert_eq!(SESSION_KEY_KEY, "session-key");
    }

    #[test]
    fn config_topic_values_are_javas_bytes() {
        let config = props(&[
            ("connector.class", "FileStreamSource"),
            ("file", "/in\t\"x\"\u{1}é"),
            ("name", "fs"),
        ]);
        assert_eq!(
            text(connector_config_value(&config)),
            r#"{"properties":{"connector.class":"FileStreamSource","file":"/in\t\"x\"\u0001é","name":"fs"}}"#
        );
        assert_eq!(
            text(task_config_value(&props(&[("task.class", "T")]))),
            r#"{"properties":{"task.class":"T"}}"#
        );
        assert_eq!(
            text(task_config_value(&Props::new())),
            r#"{"properties":{}}"#
        );
        assert_eq!(text(commit_value(2)), r#"{"tasks":2}"#);
        assert_eq!(text(task_count_value(3)), r#"{"task-count":3}"#);
        assert_eq!(
            text(target_state_value(TargetState::Started)),
            r#"{"state":"STARTED","state.v2":"STARTED"}"#
        );
        assert_eq!(
            text(target_state_value(TargetState::Paused)),
            r#"{"state":"PAUSED","state.v2":"PAUSED"}"#
        );
        assert_eq!(
            text(target_state_value(TargetState::Stopped)),
            r#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        let key = SessionKey {
            key: b"0123456789abcdef0123456789abcde".to_vec(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_123,
        };
        assert_eq!(
            text(session_key_value(&key)),
            r#"{"key":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ==","algorithm":"HmacSHA256","creation-timestamp":1700000000123}"#
        );
        assert_eq!(
            text(restart_request_value(&RestartRequest {
                connector: "fs".into(),
                include_tasks: true,
                only_failed: false
            })),
            r#"{"include-tasks":true,"only-failed":false}"#
        );
        assert_eq!(text(logger_level_value("DEBUG")), r#"{"level":"DEBUG"}"#);
    }

    #[test]
    fn status_values_are_javas_bytes() {
        let running = Status {
            state: State::Running,
            trace: None,
            worker_id: "10.0.0.5:8083".into(),
            generation: 7,
        };
        assert_eq!(
            text(status_value(&running).unwrap()),
            r#"{"state":"RUNNING","trace":null,"worker_id":"10.0.0.5:8083","generation":7}"#
        );
        let failed = Status {
            state: State::Failed,
            trace: Some("org.apache.kafka.connect.errors.ConnectException: boom\n\tat x\n".into()),
            worker_id: "h:1".into(),
            generation: 0,
        };
        assert_eq!(
            text(status_value(&failed).unwrap()),
            r#"{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: boom\n\tat x\n","worker_id":"h:1","generation":0}"#
        );
        assert_eq!(
            parse_status_value(&status_value(&failed).unwrap()),
            Ok(failed)
        );
        let destroyed = Status {
            state: State::Destroyed,
            ..running.clone()
        };
        assert_eq!(status_value(&destroyed), None);
        for state in [
            State::Unassigned,
            State::Paused,
            State::Stopped,
            State::Restarting,
        ] {
            let s = Status {
                state,
                ..running.clone()
            };
            assert_eq!(parse_status_value(&status_value(&s).unwrap()), Ok(s));
        }
        assert_eq!(connector_status_key("c"), "status-connector-c");
        assert_eq!(
            task_status_key(&ConnectorTaskId {
                connector: "my-c".into(),
                task: 2
            }),
            "status-task-my-c-2"
        );
    }

    #[test]
    fn status_value_parsing_is_lenient_but_checked() {
        // Field order does not matter; the generation may be any JSON integer.
        let s =
            parse_status_value(br#"{"generation":3,"worker_id":"w","state":"PAUSED"}"#).unwrap();
        assert_eq!((s.state, s.generation, s.trace), (State::Paused, 3, None));
        assert!(parse_status_value(br#"{"state":"RUNNING","worker_id":"w"}"#).is_err());
        assert!(
            parse_status_value(br#"{"state":"BOGUS","worker_id":"w","generation":1}"#).is_err()
        );
        assert!(
            parse_status_value(br#"{"state":"RUNNING","worker_id":"w","generation":1.5}"#).is_err()
        );
        assert!(parse_status_value(b"[1]").is_err());
        assert!(parse_status_value(b"{").is_err());
    }

    #[test]
    fn task_keys_split_like_java() {
        let id = |c: &str, t: i32| {
            Some(ConnectorTaskId {
                connector: c.into(),
                task: t,
            })
        };
        assert_eq!(parse_task_key("task-fs-0"), id("fs", 0));
        assert_eq!(
            parse_task_key("task-my-file-source-12"),
            id("my-file-source", 12)
        );
        assert_eq!(parse_task_key("task-a--1"), id("a-", 1));
        assert_eq!(parse_task_key("task-fs"), None);
        assert_eq!(parse_task_key("task-fs-x"), None);
        assert_eq!(parse_task_key("task-fs-"), None);
        assert_eq!(
            parse_task_status_key("status-task-my-conn-3"),
            id("my-conn", 3)
        );
        assert_eq!(parse_task_status_key("status-task-c-0"), id("c", 0));
        assert_eq!(parse_task_status_key("status-task-c"), None);
        assert_eq!(parse_task_status_key("status-task-c-zero"), None);
        // Java's split drops trailing empty pieces.
        assert_eq!(parse_task_status_key("status-task-c-1-"), id("c", 1));
    }

    fn parse(key: &str, value: &str) -> Result<ConfigRecord, SkipReason> {
        let json = decode_value(Some(value.as_bytes())).unwrap();
        parse_config_record(key, json.as_ref())
    }

    #[test]
    fn config_records_decode() {
        assert_eq!(
            parse(
                "connector-my-fs",
                r#"{"properties":{"a":"1","n":null,"x":2}}"#
            ),
            Ok(ConfigRecord::ConnectorConfig {
                name: "my-fs".into(),
                config: Some(props(&[("a", "1"), ("x", "2")]))
            })
        );
        assert_eq!(
            parse_config_record("connector-fs", None),
            Ok(ConfigRecord::ConnectorConfig {
                name: "fs".into(),
                config: None
            })
        );
        assert_eq!(
            parse("task-my-fs-1", r#"{"properties":{"t":"v"}}"#),
            Ok(ConfigRecord::TaskConfig {
                id: ConnectorTaskId {
                    connector: "my-fs".into(),
                    task: 1
                },
                config: props(&[("t", "v")])
            })
        );
        assert_eq!(
            parse("commit-fs", r#"{"tasks":2}"#),
            Ok(ConfigRecord::Commit {
                connector: "fs".into(),
                tasks: 2
            })
        );
        assert_eq!(
            parse("tasks-fencing-fs", r#"{"task-count":2}"#),
            Ok(ConfigRecord::TaskCount {
                connector: "fs".into(),
                count: 2
            })
        );
        assert_eq!(
            parse("logger-cluster-org.apache", r#"{"level":"DEBUG"}"#),
            Ok(ConfigRecord::LoggerLevel {
                namespace: "org.apache".into(),
                level: Some("DEBUG".into())
            })
        );
        assert_eq!(
            parse("restart-connector-fs", r#"{"include-tasks":true}"#),
            Ok(ConfigRecord::Restart(RestartRequest {
                connector: "fs".into(),
                include_tasks: true,
                only_failed: false
            }))
        );
        assert_eq!(
            parse(
                "restart-connector-fs",
                r#"{"include-tasks":"yes","only-failed":true}"#
            ),
            Ok(ConfigRecord::Restart(RestartRequest {
                connector: "fs".into(),
                include_tasks: false,
                only_failed: true
            }))
        );
        assert_eq!(
            parse(
                "session-key",
                r#"{"key":"YWI","algorithm":"HmacSHA256","creation-timestamp":5}"#
            ),
            Ok(ConfigRecord::SessionKey(SessionKey {
                key: b"ab".to_vec(),
                algorithm: "HmacSHA256".into(),
                creation_timestamp: 5
            }))
        );
        assert_eq!(parse("something-new", "{}"), Err(SkipReason::UnknownKey));
    }

    #[test]
    fn target_state_prefers_v2() {
        let ts = |s| {
            Ok(ConfigRecord::TargetState {
                name: "c".into(),
                state: Some(s),
            })
        };
        assert_eq!(
            parse(
                "target-state-c",
                r#"{"state":"PAUSED","state.v2":"STOPPED"}"#
            ),
            ts(TargetState::Stopped)
        );
        assert_eq!(
            parse("target-state-c", r#"{"state":"PAUSED"}"#),
            ts(TargetState::Paused)
        );
        assert_eq!(
            parse("target-state-c", r#"{"state":"STARTED","state.v2":5}"#),
            ts(TargetState::Started)
        );
        // An unknown name is not silently replaced by the legacy field (Java fails the record).
        assert!(matches!(
            parse(
                "target-state-c",
                r#"{"state":"PAUSED","state.v2":"SLEEPING"}"#
            ),
            Err(SkipReason::Invalid(_))
        ));
        assert!(matches!(
            parse("target-state-c", r#"{"state":1}"#),
            Err(SkipReason::Invalid(_))
        ));
        assert_eq!(
            parse_config_record("target-state-c", None),
            Ok(ConfigRecord::TargetState {
                name: "c".into(),
                state: None
            })
        );
    }

    #[test]
    fn malformed_config_values_are_invalid() {
        for (key, value) in [
            ("connector-c", r#"{"props":{}}"#),
            ("connector-c", r#""text""#),
            ("task-c-0", r#"{"properties":[1]}"#),
            ("task-c", r#"{"properties":{}}"#),
            ("commit-c", r#"{"tasks":"2"}"#),
            ("commit-c", r#"{"tasks":2.5}"#),
            ("commit-c", r#"{"tasks":4294967296}"#),
            (
                "session-key",
                r#"{"key":"!!","algorithm":"HmacSHA256","creation-timestamp":1}"#,
            ),
            ("session-key", r#"{"key":"YWI=","creation-timestamp":1}"#),
            ("session-key", r#"{"key":"YWI=","algorithm":"HmacSHA256"}"#),
            ("tasks-fencing-c", r#"{}"#),
            ("logger-cluster-x", r#"{"level":3}"#),
        ] {
            assert!(
                matches!(parse(key, value), Err(SkipReason::Invalid(_))),
                "{key} {value} should be invalid"
            );
        }
        assert!(matches!(
            parse_config_record("task-c-0", None),
            Err(SkipReason::Invalid(_))
        ));
        assert!(matches!(
            parse_config_record("commit-c", None),
            Err(SkipReason::Invalid(_))
        ));
        assert!(decode_value(Some(b"{")).is_err());
        assert_eq!(decode_value(Some(b"")), Ok(None));
    }
}
