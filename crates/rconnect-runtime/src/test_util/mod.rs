//! In-memory fakes at the runtime's seams, for in-process tests of the task loops and the
//! herders: Kafka clients ([`FakeKafka`]), the offset, status and config stores, and
//! scriptable plugins ([`SourceScript`], [`SinkScript`]) wired into a [`Harness`] that
//! builds a real [`Worker`] over them.
//!
//! Compiled for the crate's own tests and, with the `test-util` feature, for other
//! crates' tests. Never for what a user runs: end-to-end tests use a real broker.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use rconnect_runtime::test_util::Harness;
//!
//! let h = Harness::new(&[("offset.flush.interval.ms", "100")]);
//! assert!(h.worker.task_ids().is_empty());
//! # }
//! ```

mod kafka;
mod plugins;
mod stores;

use std::sync::Arc;

use rconnect_config::WorkerConfig;
use rconnect_sdk::Props;
use tokio::sync::mpsc;

pub use kafka::{
    eventually, ConsumerCall, FakeCluster, FakeConsumer, FakeGroupOffsets, FakeKafka, FakeProducer,
    SentRecord,
};
pub use plugins::{
    registry, PollStep, PreCommit, PutStep, SinkCall, SinkScript, SourceCall, SourceScript, SINK,
    SOURCE, UTF8,
};
pub use stores::{ConfigWrite, MemoryConfigStore, MemoryOffsetStore, RecordingStatusStore};

use crate::herder::ConnectorTaskId;
use crate::plugins::PluginRegistry;
use crate::worker::{ConnectorEvent, Worker, WorkerSettings};

/// `(key, value)` pairs as [`Props`].
pub fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Task `task` of `connector`.
pub fn task_id(connector: &str, task: i32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_string(),
        task,
    }
}

/// A standalone [`Worker`] over fakes, with the scriptable plugins registered.
pub struct Harness {
    pub worker: Arc<Worker>,
    /// The worker's connector events (task reconfiguration requests), for a herder.
    pub events: Option<mpsc::UnboundedReceiver<ConnectorEvent>>,
    pub kafka: FakeKafka,
    pub offsets: MemoryOffsetStore,
    pub status: Arc<RecordingStatusStore>,
    pub source: SourceScript,
    pub sink: SinkScript,
}

impl Harness {
    /// A worker whose config is the test defaults (UTF-8 converters, no topic tracking)
    /// overridden by `overrides`.
    ///
    /// # Panics
    /// Outside a tokio runtime, or if the config is invalid.
    pub fn new(overrides: &[(&str, &str)]) -> Harness {
        Self::with_plugins(overrides, |_| {})
    }

    /// [`Harness::new`] with more plugins (transformations, predicates, converters, ...)
    /// registered by `register`.
    pub fn with_plugins(
        overrides: &[(&str, &str)],
        register: impl FnOnce(&mut PluginRegistry),
    ) -> Harness {
        let mut config = props(&[
            ("bootstrap.servers", "fake:9092"),
            ("key.converter", UTF8),
            ("value.converter", UTF8),
            ("header.converter", UTF8),
            (
                "offset.storage.file.filename",
                "/nonexistent/rconnect-test-offsets",
            ),
        ]);
        config.extend(props(overrides));
        let config = WorkerConfig::standalone(config).expect("test worker config");
        let source = SourceScript::default();
        let sink = SinkScript::default();
        let kafka = FakeKafka::default();
        let offsets = MemoryOffsetStore::default();
        let status = Arc::new(RecordingStatusStore::default());
        let mut plugins = registry(&source, &sink);
        register(&mut plugins);
        let (worker, events) = Worker::new(
            WorkerSettings {
                worker_id: "fake-worker:8083".into(),
                config: Arc::new(config),
            },
            Arc::new(plugins),
            Arc::new(offsets.clone()),
            status.clone(),
            Arc::new(kafka.clone()),
        );
        Harness {
            worker,
            events: Some(events),
            kafka,
            offsets,
            status,
            source,
            sink,
        }
    }
}
