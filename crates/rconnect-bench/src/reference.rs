//! Client settings of the bare librdkafka reference (`bench-ref`).
//!
//! They mirror what the rconnect runtime actually hands librdkafka for a task's clients
//! (rconnect-config `WorkerConfig::task_producer_config` / `task_consumer_config`, translated
//! to librdkafka keys, plus the runtime's `partitioner=murmur2_random`), with the worker
//! config the benchmark uses (`consumer.session.timeout.ms=6000`). Everything else is left at
//! librdkafka's defaults on both sides. If the runtime's forced settings change, change them
//! here too, or the comparison is no longer like for like.

use rdkafka::config::ClientConfig;

/// The producer settings as `(key, value)` pairs, without `bootstrap.servers`.
pub const PRODUCER_SETTINGS: &[(&str, &str)] = &[
    ("client.id", "bench-ref-producer"),
    ("acks", "all"),
    ("max.in.flight.requests.per.connection", "1"),
    ("enable.idempotence", "false"),
    ("delivery.timeout.ms", "2147483647"),
    ("partitioner", "murmur2_random"),
    // The runtime bounds each task producer's queue (see `RdKafkaClients::producer`);
    // librdkafka's default of 100,000 lets the reference run ~20% faster on its own.
    ("queue.buffering.max.messages", "20000"),
];

/// The consumer settings as `(key, value)` pairs, without `bootstrap.servers` and `group.id`.
pub const CONSUMER_SETTINGS: &[(&str, &str)] = &[
    ("client.id", "bench-ref-consumer"),
    ("enable.auto.commit", "false"),
    ("auto.offset.reset", "earliest"),
    ("session.timeout.ms", "6000"),
    // Forced by the runtime for its task consumers (see `RdKafkaClients::consumer`).
    ("fetch.queue.backoff.ms", "10"),
];

/// The reference producer's config for `bootstrap`.
pub fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    for (k, v) in PRODUCER_SETTINGS {
        config.set(*k, *v);
    }
    config
}

/// The reference consumer's config for `bootstrap` in consumer group `group`.
pub fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group);
    for (k, v) in CONSUMER_SETTINGS {
        config.set(*k, *v);
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
