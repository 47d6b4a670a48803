//! What the standalone and distributed herders share (Java's `AbstractHerder`): statuses,
//! plugins, validation, source offsets and the answers that do not depend on the mode.

use rconnect_config::{check_connector_name, InvalidConnectorName};
use rconnect_sdk::Props;

use crate::herder::*;
use crate::standalone::KAFKA_VERSION;
use crate::validation;
use crate::worker::Worker;

/// `tasks.max` (at least 1) and `tasks.max.enforce` of a connector config.
pub fn max_tasks(config: &Props) -> (usize, bool) {
    let max = config
        .get("tasks.max")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let enforce = config
        .get("tasks.max.enforce")
        .map(|v| !v.trim().eq_ignore_ascii_case("false"))
        .unwrap_or(true);
    (max, enforce)
}

/// The connector-name rule ([`check_connector_name`]) for a connector about to be created or
/// reconfigured: an over-long name is refused here with a 400 naming the limit, before
/// validation, forwarding or any write. An empty name or control characters are left to config
/// validation (the `name` key's validator applies the same rule), which answers Java's
/// aggregated 400 (`AbstractHerder.maybeAddConfigErrors`) with every other error of the config.
pub fn check_name(name: &str) -> HerderResult<()> {
    match check_connector_name(name) {
        Err(e @ InvalidConnectorName::TooLong { .. }) => {
            Err(HerderError::BadRequest(e.to_string()))
        }
        Err(InvalidConnectorName::Empty | InvalidConnectorName::ControlCharacters(_)) | Ok(()) => {
            Ok(())
        }
    }
}

/// `PATCH /connectors/{c}/config`: a `None` value deletes the key, others overwrite.
pub fn apply_patch(
    mut config: Props,
    patch: std::collections::BTreeMap<String, Option<String>>,
) -> Props {
    for (k, v) in patch {
        match v {
            Some(v) => config.insert(k, v),
            None => config.remove(&k),
        };
    }
    config
}

/// `GET /`.
pub fn server_info(cluster_id: &str) -> ServerInfo {
    ServerInfo {
        version: KAFKA_VERSION.to_string(),
        commit: env!("CARGO_PKG_VERSION").to_string(),
        kafka_cluster_id: cluster_id.to_string(),
    }
}

/// `GET /health` once the worker is ready.
pub fn healthy() -> (u16, WorkerStatus) {
    (
        200,
        WorkerStatus {
            status: "healthy".into(),
            message: "Worker has completed startup and is ready to handle requests.".into(),
        },
    )
}

/// `GET /health` before the worker is ready; `stage` says what it is doing.
pub fn starting(stage: &str) -> (u16, WorkerStatus) {
    (
        503,
        WorkerStatus {
            status: "starting".into(),
            message: format!("Worker is still starting up.{stage}"),
        },
    )
}

/// `GET /connectors/{c}/status` from the status store.
pub fn connector_state(
    worker: &Worker,
    name: &str,
    connector_type: ConnectorType,
) -> HerderResult<ConnectorStateInfo> {
    let c = worker
        .status
        .connector(name)
        .ok_or_else(|| HerderError::NotFound(format!("No status found for connector {name}")))?;
    let tasks = worker
        .status
        .tasks(name)
        .into_iter()
        .map(|(id, s)| TaskState {
            id,
            state: s.state,
            worker_id: s.worker_id,
            trace: s.trace,
        })
        .collect();
    Ok(ConnectorStateInfo {
        name: name.to_string(),
        connector: ConnectorState {
            state: c.state,
            worker_id: c.worker_id,
            trace: c.trace,
        },
        tasks,
        connector_type,
    })
}

/// `GET /connectors/{c}/tasks/{t}/status`.
pub fn task_state(worker: &Worker, id: &ConnectorTaskId) -> HerderResult<TaskState> {
    let s = worker
        .status
        .task(id)
        .ok_or_else(|| HerderError::NotFound(format!("No status found for task {id}")))?;
    Ok(TaskState {
        id: id.task,
        state: s.state,
        worker_id: s.worker_id,
        trace: s.trace,
    })
}

/// `GET /connector-plugins/{p}/config`.
pub fn plugin_config(worker: &Worker, plugin: &str) -> HerderResult<Vec<ConfigKeyInfo>> {
    let (_, def) = validation::plugin_config_def(&worker.plugins, plugin)?;
    Ok(def.keys().iter().map(validation::key_info).collect())
}

/// `PUT /connector-plugins/{p}/config/validate`.
pub async fn validate(worker: &Worker, config: &Props) -> HerderResult<ConfigInfos> {
    // Java validates the values config providers resolve to, not the references, and
    // answers with those values (so a validate call could read any file the worker can).
    // Here the answer shows the config as sent and every message built from a resolved
    // value carries its reference instead.
    let resolved = worker
        .resolve_config(config)
        .await
        .map_err(|e| HerderError::BadRequest(e.to_string()))?;
    // For log lines written while the connector validates (its own included).
    let _held = worker.known_secrets().hold(&resolved.secrets);
    let infos = validation::validate(
        &worker.plugins,
        &resolved.props,
        worker
            .settings
            .config
            .connector_client_config_override_policy,
    )
    .map_err(|e| validation::redact_error(e, &resolved.secrets))?;
    Ok(validation::shown_as_sent(infos, config, &resolved.secrets))
}

/// Java's 403 for the topic-tracking endpoints when `topic.tracking.enable=false`.
fn topic_tracking_enabled(worker: &Worker) -> HerderResult<()> {
    if worker.settings.config.topic_tracking_enable {
        Ok(())
    } else {
        Err(HerderError::Forbidden("Topic tracking is disabled.".into()))
    }
}

/// The active topics of `connector`, sorted (Java: no existence check, an unknown connector
/// has none; 403 when `topic.tracking.enable=false`).
pub fn active_topics(worker: &Worker, connector: &str) -> HerderResult<Vec<String>> {
    topic_tracking_enabled(worker)?;
    // A topic named by a config provider value shows as its reference (when this worker
    // resolved the connector's configs), as everything else REST answers does.
    let mut topics: Vec<String> = worker
        .status
        .topics(connector)
        .into_iter()
        .map(|t| worker.redact(connector, &t.topic))
        .collect();
    topics.sort();
    Ok(topics)
}

/// Forgets the active topics of `connector`: any worker may write the tombstones, so
/// nothing is forwarded (as Java).
pub fn reset_active_topics(worker: &Worker, connector: &str) -> HerderResult<()> {
    topic_tracking_enabled(worker)?;
    if !worker.settings.config.topic_tracking_allow_reset {
        return Err(HerderError::Forbidden(
            "Topic tracking reset is disabled.".into(),
        ));
    }
    for t in worker.status.topics(connector) {
        worker.status.delete_topic(connector, &t.topic);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_overwrites_adds_and_deletes() {
        let config: Props = [("a", "1"), ("b", "2")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let patch = [("a", Some("9")), ("b", None), ("c", Some("3"))]
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        let out = apply_patch(config, patch);
        assert_eq!(out.get("a").map(String::as_str), Some("9"));
        assert_eq!(out.get("b"), None);
        assert_eq!(out.get("c").map(String::as_str), Some("3"));
        assert_eq!(
            max_tasks(
                &[("tasks.max".to_string(), " 3 ".to_string())]
                    .into_iter()
                    .collect()
            ),
            (3, true)
        );
    }

    #[test]
    fn herders_refuse_only_over_long_names_before_validation() {
        let e = check_name(&"n".repeat(40_000)).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(
            e,
            HerderError::BadRequest(
                "Connector name is too long: 40000 bytes, the limit is 255".into()
            )
        );
        assert!(check_name(&"n".repeat(256)).is_err());
        assert_eq!(check_name(&"n".repeat(255)), Ok(()));
        // Java's checks answer through validation, in Java's aggregated message.
        assert_eq!(check_name(""), Ok(()));
        assert_eq!(check_name("a\nb"), Ok(()));
    }
}
