//! The offsets REST API (KIP-875) over the worker's stores (Java `Worker.connectorOffsets`
//! and `Worker.modifyConnectorOffsets`): a source connector's offsets live in the offset
//! store under `["<connector>",{partition}]`, a sink connector's are the committed offsets
//! of its consumer group.
//!
//! The herders decide whether a request may run (the connector exists, is STOPPED, this
//! worker is the leader); this module reads and writes, with Java's messages.

use rconnect_sdk::connector::SourceOffsetChange;
use rconnect_sdk::offset::OffsetMap;
use rconnect_sdk::record::TopicPartition;
use rconnect_sdk::Props;
use serde_json::{json, Value as Json};
use tracing::{error, info};

use crate::clients::{GroupOffsetsClient, GroupOffsetsError};
use crate::herder::{
    ConnectorOffset, ConnectorOffsets, ConnectorType, HerderError, HerderResult, Message,
    OffsetChange, TargetState,
};
use crate::offsets::{connector_offsets, offset_key};
use crate::plugins::ConnectorFactory;
use crate::worker::Worker;

const KAFKA_TOPIC_KEY: &str = "kafka_topic";
const KAFKA_PARTITION_KEY: &str = "kafka_partition";
const KAFKA_OFFSET_KEY: &str = "kafka_offset";

/// Java's 400 unless the connector is STOPPED and has no tasks: only then have its tasks at
/// least been asked to stop, so nothing writes offsets behind the request's back.
pub fn check_stopped(name: &str, target: TargetState, task_count: usize) -> HerderResult<()> {
    if target != TargetState::Stopped || task_count != 0 {
        return Err(HerderError::BadRequest(format!(
            "Connectors must be in the STOPPED state before their offsets can be modified. This \
             can be done for the specified connector by issuing a 'PUT' request to the \
             '/connectors/{name}/stop' endpoint"
        )));
    }
    Ok(())
}

/// Java `AbstractHerder.alterConnectorOffsets`: an empty request never reaches the worker
/// (the REST layer answers 400 before; this is the herder's own guard).
pub fn check_not_empty(offsets: &[OffsetChange]) -> HerderResult<()> {
    if offsets.is_empty() {
        return Err(HerderError::Internal(
            "The offsets to be altered may not be null or empty".into(),
        ));
    }
    Ok(())
}

/// The success message (Java `completeModifyOffsetsCallback`). Connectors have no
/// `alterOffsets` hook in the SDK, so the framework's write is all there is to report.
/// Java `Worker#modifySourceConnectorOffsets`'s answers: plain when the connector's
/// `alterOffsets` hook said it handled the change, with a caveat when it did not.
fn success(is_reset: bool, connector_handled: bool) -> Message {
    let kind = if is_reset { "reset" } else { "altered" };
    Message {
        message: if connector_handled {
            format!("The offsets for this connector have been {kind} successfully")
        } else {
            format!(
                "The Connect framework-managed offsets for this connector have been {kind} \
                 successfully. However, if this connector manages offsets externally, they will \
                 need to be manually {kind} in the system that the connector uses."
            )
        },
    }
}

/// The connector's own `alterOffsets` hook (KIP-875), called on a fresh, unstarted instance
/// as Java does; its error refuses the request (Java passes a `ConnectException` through
/// unwrapped, so 500 with the connector's message) before anything is written.
fn connector_alters(
    worker: &Worker,
    name: &str,
    config: &Props,
    offsets: Offsets<'_>,
) -> HerderResult<bool> {
    let class = config.get("connector.class").map_or("", String::as_str);
    let plugin = worker
        .plugins
        .connector(class)
        .map_err(|e| HerderError::Internal(e.to_string()))?;
    let answer = match (&plugin.factory, offsets) {
        (ConnectorFactory::Source { connector, .. }, Offsets::Source(changes)) => {
            connector().alter_offsets(config, changes)
        }
        (ConnectorFactory::Sink { connector, .. }, Offsets::Sink(changes)) => {
            connector().alter_offsets(config, changes)
        }
        _ => {
            return Err(HerderError::Internal(format!(
                "{class} is not a {}",
                offsets.kind()
            )))
        }
    };
    answer.map_err(|e| {
        error!(connector = %name, "Failed to modify offsets for connector {name}: {e}");
        HerderError::Internal(e.to_string())
    })
}

/// What a connector's `alterOffsets` hook is shown.
#[derive(Clone, Copy)]
enum Offsets<'a> {
    Source(&'a [SourceOffsetChange]),
    Sink(&'a [(TopicPartition, Option<i64>)]),
}

impl Offsets<'_> {
    fn kind(self) -> &'static str {
        match self {
            Offsets::Source(_) => "source connector",
            Offsets::Sink(_) => "sink connector",
        }
    }
}

/// The consumer group of a sink connector: `connect-<name>` unless overridden
/// (`consumer.group.id` in the worker, `consumer.override.group.id` in the connector).
pub fn sink_group_id(worker: &Worker, name: &str, config: &Props) -> String {
    worker
        .settings
        .config
        .task_consumer_config(name, 0, config)
        .remove("group.id")
        .unwrap_or_else(|| format!("connect-{name}"))
}

fn sink_client(
    worker: &Worker,
    name: &str,
    config: &Props,
) -> Result<Box<dyn GroupOffsetsClient>, String> {
    // Java's `Worker#adminConfigs` checks the connector's `admin.override.*` here too.
    rconnect_config::client_overrides::check_overrides(
        worker
            .settings
            .config
            .connector_client_config_override_policy,
        rconnect_config::client_overrides::ClientType::Admin,
        config,
    )?;
    let admin = worker
        .settings
        .config
        .connector_admin_config(&format!("connector-worker-adminclient-{name}"), config);
    worker.kafka.group_offsets(&admin)
}

/// `GET /connectors/{c}/offsets` for the connector configured with `config`.
pub async fn offsets(
    worker: &Worker,
    name: &str,
    config: &Props,
) -> HerderResult<ConnectorOffsets> {
    if worker.connector_type(config) == ConnectorType::Sink {
        return sink_offsets(worker, name, config).await;
    }
    let offsets = connector_offsets(worker.offsets.as_ref(), name).await;
    Ok(ConnectorOffsets {
        offsets: offsets
            .into_iter()
            .map(|(partition, offset)| ConnectorOffset { partition, offset })
            .collect(),
    })
}

/// Entries keyed by partition in the iteration order of a Java `HashMap<TopicPartition, _>`
/// filled in the given order: Java lists a sink connector's offsets from the admin client's
/// `partitionsToOffsetAndMetadata()` map (`Worker#sinkConnectorOffsets`), so clients see
/// them in that order.
fn java_hash_map_order(entries: Vec<(TopicPartition, i64)>) -> Vec<(TopicPartition, i64)> {
    fn java_string_hash(s: &str) -> i32 {
        s.encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
    }
    let mut capacity = 16usize;
    while entries.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut keyed: Vec<(usize, usize, (TopicPartition, i64))> = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            // `TopicPartition#hashCode`.
            let h = 31i32
                .wrapping_add(e.0.partition)
                .wrapping_mul(31)
                .wrapping_add(java_string_hash(&e.0.topic)) as u32;
            (((h ^ (h >> 16)) as usize) & (capacity - 1), i, e)
        })
        .collect();
    keyed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

async fn sink_offsets(
    worker: &Worker,
    name: &str,
    config: &Props,
) -> HerderResult<ConnectorOffsets> {
    let failed = || {
        HerderError::Internal(format!(
            "Failed to retrieve consumer group offsets for sink connector {name}"
        ))
    };
    let group = sink_group_id(worker, name, config);
    let client = sink_client(worker, name, config).map_err(|e| {
        error!(connector = %name, "Failed to retrieve consumer group offsets for sink connector {name}: {e}");
        failed()
    })?;
    let listed = client.list(&group).await.map_err(|e| {
        error!(connector = %name, "Failed to retrieve consumer group offsets for sink connector {name}: {e}");
        failed()
    })?;
    Ok(ConnectorOffsets {
        offsets: java_hash_map_order(listed)
            .into_iter()
            .map(|(tp, offset)| {
                let mut partition = OffsetMap::new();
                partition.insert(KAFKA_TOPIC_KEY, tp.topic);
                partition.insert(KAFKA_PARTITION_KEY, tp.partition);
                let position = OffsetMap::with_entry(KAFKA_OFFSET_KEY, offset);
                ConnectorOffset {
                    partition,
                    offset: Some(position),
                }
            })
            .collect(),
    })
}

/// Alters (`Some`) or resets (`None`) the offsets of a connector whose herder checked that
/// it may be done now.
pub async fn modify(
    worker: &Worker,
    name: &str,
    config: &Props,
    offsets: Option<Vec<OffsetChange>>,
) -> HerderResult<Message> {
    if worker.connector_type(config) == ConnectorType::Sink {
        modify_sink(worker, name, config, offsets).await
    } else {
        modify_source(worker, name, config, offsets).await
    }
}

/// Keeps the last offset given for each partition, as Java's `ConnectorOffsets.toMap`
/// (a map keyed by the partition) does.
fn deduplicated(offsets: Vec<OffsetChange>) -> Vec<OffsetChange> {
    let mut out: Vec<OffsetChange> = Vec::with_capacity(offsets.len());
    for change in offsets {
        match out.iter_mut().find(|c| c.partition == change.partition) {
            Some(existing) => existing.offset = change.offset,
            None => out.push(change),
        }
    }
    out
}

/// Java's `String.valueOf` of a value Jackson bound into a `Map<String, ?>`.
fn java_string(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(a) => format!(
            "[{}]",
            a.iter().map(java_string).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Java `SinkUtils.parseSinkConnectorOffsets`: each partition must name `kafka_topic` and
/// `kafka_partition`, each offset be `null` or hold `kafka_offset`; numbers may be given as
/// strings. The last offset given for a Kafka partition wins.
pub fn parse_sink_offsets(
    offsets: &[OffsetChange],
) -> HerderResult<Vec<(TopicPartition, Option<i64>)>> {
    let bad = |m: String| HerderError::BadRequest(m);
    let mut parsed: Vec<(TopicPartition, Option<i64>)> = Vec::with_capacity(offsets.len());
    for change in offsets {
        let Some(partition) = &change.partition else {
            return Err(bad(
                "The partition for a sink connector offset cannot be null or missing".into(),
            ));
        };
        let (Some(topic), Some(number)) = (
            partition.get(KAFKA_TOPIC_KEY),
            partition.get(KAFKA_PARTITION_KEY),
        ) else {
            return Err(bad(format!(
                "The partition for a sink connector offset must contain the keys \
                 '{KAFKA_TOPIC_KEY}' and '{KAFKA_PARTITION_KEY}'"
            )));
        };
        if topic.is_null() {
            return Err(bad(
                "Kafka topic names must be valid strings and may not be null".into(),
            ));
        }
        if number.is_null() {
            return Err(bad(
                "Kafka partitions must be valid numbers and may not be null".into(),
            ));
        }
        let number = java_string(number).parse::<i32>().map_err(|_| {
            bad(format!(
                "Failed to parse the following Kafka partition value in the provided offsets: \
                 '{}'. Partition values for sink connectors need to be integers.",
                java_string(number)
            ))
        })?;
        let tp = TopicPartition::new(java_string(topic), number);
        let offset = match &change.offset {
            None => None,
            Some(offset) => {
                let Some(value) = offset.get(KAFKA_OFFSET_KEY) else {
                    return Err(bad(format!(
                        "The offset for a sink connector should either be null or contain the \
                         key '{KAFKA_OFFSET_KEY}'"
                    )));
                };
                Some(java_string(value).parse::<i64>().map_err(|_| {
                    bad(format!(
                        "Failed to parse the following Kafka offset value in the provided \
                         offsets: '{}'. Offset values for sink connectors need to be integers.",
                        java_string(value)
                    ))
                })?)
            }
        };
        match parsed.iter_mut().find(|(t, _)| *t == tp) {
            Some(existing) => existing.1 = offset,
            None => parsed.push((tp, offset)),
        }
    }
    Ok(parsed)
}

const ZOMBIE_HINT: &str = "If the connector is in a stopped state, this operation can be safely \
     retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to \
     get rid of the zombie sink tasks.";

async fn modify_sink(
    worker: &Worker,
    name: &str,
    config: &Props,
    offsets: Option<Vec<OffsetChange>>,
) -> HerderResult<Message> {
    let modify_failed = || {
        HerderError::Internal(format!(
            "Failed to modify offsets for sink connector {name}"
        ))
    };
    let parsed = match offsets {
        Some(o) => Some(parse_sink_offsets(&deduplicated(o))?),
        None => None,
    };
    let group = sink_group_id(worker, name, config);
    let client = sink_client(worker, name, config).map_err(|e| {
        error!(connector = %name, "Failed to modify offsets for sink connector {name}: {e}");
        modify_failed()
    })?;
    let Some(parsed) = parsed else {
        // Java lists the group's offsets first to hand them, as resets, to the connector's
        // `alterOffsets` hook.
        let current = client.list(&group).await.map_err(|e| {
            error!(connector = %name, %group, "Failed to list consumer group offsets for sink connector {name}: {e}");
            HerderError::Internal(format!(
                "Failed to reset consumer group offsets for sink connector {name}"
            ))
        })?;
        let resets: Vec<(TopicPartition, Option<i64>)> =
            current.into_iter().map(|(tp, _)| (tp, None)).collect();
        let handled = connector_alters(worker, name, config, Offsets::Sink(&resets))?;
        return match client.delete_group(&group).await {
            Ok(()) => Ok(success(true, handled)),
            Err(e) => {
                error!(connector = %name, %group, "Failed to reset consumer group offsets for sink connector {name}: {e}");
                Err(HerderError::Internal(match e {
                    GroupOffsetsError::ActiveMembers(_) => format!(
                        "Failed to reset consumer group offsets for connector {name} either \
                         because its tasks haven't stopped completely yet or the connector was \
                         resumed before the request to reset its offsets could be successfully \
                         completed. {ZOMBIE_HINT}"
                    ),
                    GroupOffsetsError::Failed(_) => {
                        format!("Failed to reset consumer group offsets for sink connector {name}")
                    }
                }))
            }
        };
    };
    // Java builds every new offset before sending anything, so one negative offset fails
    // the whole request and changes nothing.
    if parsed.iter().any(|(_, o)| o.is_some_and(|o| o < 0)) {
        error!(connector = %name, "Failed to modify offsets for sink connector {name}: invalid negative offset");
        return Err(modify_failed());
    }
    let handled = connector_alters(worker, name, config, Offsets::Sink(&parsed))?;
    let to_alter: Vec<(TopicPartition, i64)> = parsed
        .iter()
        .filter_map(|(tp, o)| o.map(|o| (tp.clone(), o)))
        .collect();
    let to_delete: Vec<TopicPartition> = parsed
        .iter()
        .filter(|(_, o)| o.is_none())
        .map(|(tp, _)| tp.clone())
        .collect();
    info!(connector = %name, %group, "altering {} and deleting {} consumer group offset(s)", to_alter.len(), to_delete.len());
    // One after the other: deleting offsets rewrites the group's other offsets (see
    // `GroupOffsetsClient::delete_offsets`), which must include the altered ones.
    let mut result = Ok(());
    if !to_alter.is_empty() {
        result = client.alter(&group, &to_alter).await;
    }
    if result.is_ok() && !to_delete.is_empty() {
        result = client.delete_offsets(&group, &to_delete).await;
    }
    match result {
        Ok(()) => Ok(success(false, handled)),
        Err(e) => {
            error!(connector = %name, %group, "Failed to alter consumer group offsets for connector {name}: {e}");
            Err(HerderError::Internal(match e {
                GroupOffsetsError::ActiveMembers(_) => format!(
                    "Failed to alter consumer group offsets for connector {name} either because \
                     its tasks haven't stopped completely yet or the connector was resumed \
                     before the request to alter its offsets could be successfully completed. \
                     {ZOMBIE_HINT}"
                ),
                GroupOffsetsError::Failed(_) => {
                    format!("Failed to alter consumer group offsets for connector {name}")
                }
            }))
        }
    }
}

/// Java `OffsetUtils.validateFormat`: partition and offset maps may hold only primitive
/// values (a data error, so 500).
fn validate_format(map: Option<&OffsetMap>) -> HerderResult<()> {
    for (k, v) in map.into_iter().flatten() {
        let kind = match v {
            Json::Object(_) => "MAP",
            Json::Array(_) => "ARRAY",
            _ => continue,
        };
        return Err(HerderError::Internal(format!(
            "Offsets may only contain primitive types as values, but field {k} contains {kind}"
        )));
    }
    Ok(())
}

/// The offset-store key of a source partition; a `null` partition is written as Java's
/// writer writes it, `["<connector>",null]`.
fn source_key(name: &str, partition: Option<&OffsetMap>) -> Vec<u8> {
    match partition {
        Some(p) => offset_key(name, p),
        None => serde_json::to_vec(&json!([name, null])).expect("JSON of a string"),
    }
}

async fn modify_source(
    worker: &Worker,
    name: &str,
    config: &Props,
    offsets: Option<Vec<OffsetChange>>,
) -> HerderResult<Message> {
    let is_reset = offsets.is_none();
    let changes: Vec<OffsetChange> = match offsets {
        Some(o) => deduplicated(o),
        // Every partition the store knows for the connector gets a tombstone.
        None => connector_offsets(worker.offsets.as_ref(), name)
            .await
            .into_iter()
            .map(|(partition, _)| OffsetChange {
                partition: Some(partition),
                offset: None,
            })
            .collect(),
    };
    for c in &changes {
        validate_format(c.partition.as_ref())?;
        validate_format(c.offset.as_ref())?;
    }
    if changes.is_empty() {
        info!(connector = %name, "No offsets found for source connector {name} - this can occur due to a prior attempt to reset offsets or if the source connector hasn't committed any offsets yet");
        return Ok(success(is_reset, true));
    }
    let shown: Vec<SourceOffsetChange> = changes
        .iter()
        .map(|c| (c.partition.clone(), c.offset.clone()))
        .collect();
    let handled = connector_alters(worker, name, config, Offsets::Source(&shown))?;
    let entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = changes
        .iter()
        .map(|c| {
            (
                source_key(name, c.partition.as_ref()),
                c.offset
                    .as_ref()
                    .map(|o| serde_json::to_vec(o).expect("JSON of a JSON map")),
            )
        })
        .collect();
    info!(connector = %name, "writing {} source offset(s)", entries.len());
    worker.offsets.set(entries).await.map_err(|e| {
        error!(connector = %name, "Failed to modify offsets for source connector {name}: {e}");
        HerderError::Internal(format!(
            "Failed to modify offsets for source connector {name}"
        ))
    })?;
    Ok(success(is_reset, handled))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sink_offsets_follow_java_hash_map_order() {
        let order = |topic: &str| -> Vec<i32> {
            let entries = (0..4)
                .map(|p| {
                    (
                        TopicPartition {
                            topic: topic.to_string(),
                            partition: p,
                        },
                        0i64,
                    )
                })
                .collect();
            java_hash_map_order(entries)
                .into_iter()
                .map(|(tp, _)| tp.partition)
                .collect()
        };
        // Java 3.9 listed the partitions of `jxq-t1` starting with 3.
        assert_eq!(order("jxq-t1"), vec![3, 2, 1, 0]);
        assert_eq!(order("rxq-t1"), vec![0, 1, 2, 3]);
    }

    use super::*;

    fn change(partition: Json, offset: Json) -> OffsetChange {
        serde_json::from_value(json!({"partition": partition, "offset": offset})).unwrap()
    }

    fn bad_request(offsets: &[OffsetChange]) -> String {
        match parse_sink_offsets(offsets) {
            Err(HerderError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn sink_offsets_parse_like_java() {
        let parsed = parse_sink_offsets(&[
            change(
                json!({"kafka_topic": "t", "kafka_partition": 0}),
                json!({"kafka_offset": 5}),
            ),
            change(
                json!({"kafka_topic": "t", "kafka_partition": "1"}),
                json!({"kafka_offset": "7"}),
            ),
            change(
                json!({"kafka_topic": "u", "kafka_partition": 2}),
                Json::Null,
            ),
            // The same Kafka partition again: the last one wins.
            change(
                json!({"kafka_partition": "0", "kafka_topic": "t"}),
                json!({"kafka_offset": 9}),
            ),
        ])
        .unwrap();
        assert_eq!(
            parsed,
            vec![
                (TopicPartition::new("t", 0), Some(9)),
                (TopicPartition::new("t", 1), Some(7)),
                (TopicPartition::new("u", 2), None),
            ]
        );
    }

    #[test]
    fn sink_offset_errors_are_java_400s() {
        let ok_offset = json!({"kafka_offset": 1});
        assert_eq!(
            bad_request(&[change(Json::Null, ok_offset.clone())]),
            "The partition for a sink connector offset cannot be null or missing"
        );
        assert_eq!(
            bad_request(&[change(json!({"kafka_topic": "t"}), ok_offset.clone())]),
            "The partition for a sink connector offset must contain the keys 'kafka_topic' and \
             'kafka_partition'"
        );
        assert_eq!(
            bad_request(&[change(
                json!({"kafka_topic": null, "kafka_partition": 0}),
                ok_offset.clone()
            )]),
            "Kafka topic names must be valid strings and may not be null"
        );
        assert_eq!(
            bad_request(&[change(
                json!({"kafka_topic": "t", "kafka_partition": null}),
                ok_offset.clone()
            )]),
            "Kafka partitions must be valid numbers and may not be null"
        );
        for (value, shown) in [
            (json!("a"), "a"),
            (json!(1.5), "1.5"),
            (json!(" 1"), " 1"),
            (json!(4_000_000_000i64), "4000000000"),
            (json!({"x": 1}), "{x=1}"),
        ] {
            assert_eq!(
                bad_request(&[change(
                    json!({"kafka_topic": "t", "kafka_partition": value}),
                    ok_offset.clone()
                )]),
                format!(
                    "Failed to parse the following Kafka partition value in the provided \
                     offsets: '{shown}'. Partition values for sink connectors need to be \
                     integers."
                )
            );
        }
        let tp = json!({"kafka_topic": "t", "kafka_partition": 0});
        assert_eq!(
            bad_request(&[change(tp.clone(), json!({"offset": 1}))]),
            "The offset for a sink connector should either be null or contain the key \
             'kafka_offset'"
        );
        for (value, shown) in [
            (json!("x"), "x"),
            (Json::Null, "null"),
            (json!(true), "true"),
        ] {
            assert_eq!(
                bad_request(&[change(tp.clone(), json!({ "kafka_offset": value }))]),
                format!(
                    "Failed to parse the following Kafka offset value in the provided offsets: \
                     '{shown}'. Offset values for sink connectors need to be integers."
                )
            );
        }
    }

    #[test]
    fn source_offsets_must_be_primitive_and_deduplicate() {
        let ok = change(json!({"filename": "a"}), json!({"position": 1}));
        assert!(validate_format(ok.partition.as_ref()).is_ok());
        let nested = change(json!({"filename": {"x": 1}}), json!({"position": 1}));
        assert_eq!(
            validate_format(nested.partition.as_ref()),
            Err(HerderError::Internal(
                "Offsets may only contain primitive types as values, but field filename \
                 contains MAP"
                    .into()
            ))
        );
        let listed = change(json!({"filename": "a"}), json!({"position": [1]}));
        assert!(matches!(
            validate_format(listed.offset.as_ref()),
            Err(HerderError::Internal(m)) if m.ends_with("field position contains ARRAY")
        ));
        // Key order does not make another partition.
        let out = deduplicated(vec![
            change(json!({"a": 1, "b": 2}), json!({"p": 1})),
            change(json!({"b": 2, "a": 1}), Json::Null),
            change(Json::Null, json!({"p": 3})),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].offset, None);
        assert_eq!(source_key("c", out[1].partition.as_ref()), br#"["c",null]"#);
        assert_eq!(
            source_key("c", out[0].partition.as_ref()),
            br#"["c",{"a":1,"b":2}]"#
        );
    }

    #[test]
    fn only_stopped_connectors_without_tasks_may_change_offsets() {
        assert!(check_stopped("c", TargetState::Stopped, 0).is_ok());
        for (state, tasks) in [
            (TargetState::Started, 0),
            (TargetState::Paused, 0),
            (TargetState::Stopped, 1),
        ] {
            assert_eq!(
                check_stopped("c", state, tasks),
                Err(HerderError::BadRequest(
                    "Connectors must be in the STOPPED state before their offsets can be \
                     modified. This can be done for the specified connector by issuing a 'PUT' \
                     request to the '/connectors/c/stop' endpoint"
                        .into()
                ))
            );
        }
        assert_eq!(
            success(false, true).message,
            "The offsets for this connector have been altered successfully"
        );
        assert_eq!(
            success(true, true).message,
            "The offsets for this connector have been reset successfully"
        );
        assert_eq!(
            success(false, false).message,
            "The Connect framework-managed offsets for this connector have been altered \
             successfully. However, if this connector manages offsets externally, they will need \
             to be manually altered in the system that the connector uses."
        );
        assert_eq!(
            success(true, false).message,
            "The Connect framework-managed offsets for this connector have been reset \
             successfully. However, if this connector manages offsets externally, they will need \
             to be manually reset in the system that the connector uses."
        );
    }
}
