//! Client settings of the bare librdkafka reference (`bench-ref`).
//!
//! They mirror what the rconnect runtime actually hands librdkafka for a task's clients
//! (rconnect-config `WorkerConfig::task_producer_config` / `task_consumer_config`, translated
//! to librdkafka keys), with the worker config the benchmark uses
//! (`consumer.session.timeout.ms=6000`), plus the defaults the runtime forces, taken from the
//! same lists it uses ([`TASK_PRODUCER_DEFAULTS`], [`TASK_CONSUMER_DEFAULTS`]). Everything
//! else is left at librdkafka's defaults on both sides. If the translated settings change,
//! change them here too, or the comparison is no longer like for like.

use rconnect_config::{TASK_CONSUMER_DEFAULTS, TASK_PRODUCER_DEFAULTS};
use rdkafka::config::ClientConfig;

/// The producer settings as `(key, value)` pairs, without `bootstrap.servers`.
pub fn producer_settings() -> Vec<(&'static str, &'static str)> {
    [
        ("client.id", "bench-ref-producer"),
        ("acks", "all"),
        ("max.in.flight.requests.per.connection", "1"),
        ("enable.idempotence", "false"),
        ("delivery.timeout.ms", "2147483647"),
    ]
    .into_iter()
    .chain(TASK_PRODUCER_DEFAULTS.iter().copied())
    .collect()
}

/// The consumer settings as `(key, value)` pairs, without `bootstrap.servers` and `group.id`.
pub fn consumer_settings() -> Vec<(&'static str, &'static str)> {
    [
        ("client.id", "bench-ref-consumer"),
        ("enable.auto.commit", "false"),
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "6000"),
    ]
    .into_iter()
    .chain(TASK_CONSUMER_DEFAULTS.iter().copied())
    .collect()
}

/// The reference producer's config for `bootstrap`.
pub fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    for (k, v) in producer_settings() {
        config.set(k, v);
    }
    config
}

/// The reference consumer's config for `bootstrap` in consumer group `group`.
pub fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group);
    for (k, v) in consumer_settings() {
        config.set(k, v);
    }
    config
}

/// The settings as one line for the report, e.g. `acks=all, ...`.
pub fn describe(settings: &[(&str, &str)]) -> String {
    settings
        .iter()
        .filter(|(k, _)| *k != "client.id")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
