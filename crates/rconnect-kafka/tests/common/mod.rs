//! Shared helpers for the integration tests (included with `mod common;`).

#![allow(dead_code)]

use std::time::Duration;

use rconnect_kafka::{ConsumerEvent, KafkaConfig};
use tokio::sync::mpsc::UnboundedReceiver;

/// Consumer settings tansu needs for prompt group joins.
pub fn group_consumer(bootstrap: &str, group: &str, client_id: &str) -> KafkaConfig {
    KafkaConfig::sink_consumer(bootstrap, group, client_id)
        .with("session.timeout.ms", "6000")
        .with("heartbeat.interval.ms", "500")
        .with("log_level", "3")
}

/// Drains the events that are already queued.
pub fn drain(events: &mut UnboundedReceiver<ConsumerEvent>) -> Vec<ConsumerEvent> {
    let mut out = Vec::new();
    while let Ok(e) = events.try_recv() {
        out.push(e);
    }
    out
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

pub const LONG: Duration = Duration::from_secs(60);
