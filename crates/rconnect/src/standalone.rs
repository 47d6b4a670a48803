//! `rconnect standalone`: Java's `ConnectStandalone` main.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rconnect_config::{load_connector_file, WorkerConfig};
use rconnect_runtime::herder::{Herder, TargetState};
use rconnect_runtime::offsets::FileOffsetStore;
use rconnect_runtime::standalone::StandaloneHerder;
use rconnect_runtime::status::MemoryStatusStore;
use rconnect_runtime::worker::{Worker, WorkerSettings};
use tracing::info;

use crate::boot::{boot, run_main, run_until_signal, serve, Failure};
use crate::log_redaction::LogRedaction;

const USAGE: &str =
    "Usage: ConnectStandalone worker.properties [connector1.properties connector2.json ...]";

pub fn main(args: &[String]) -> ExitCode {
    if args.is_empty() || args.iter().any(|a| a == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::from(1);
    }
    let redaction = crate::log_redaction::LogRedaction::default();
    let log_control = crate::init_logging(&redaction);
    run_main(|rest_runtime| run(args, redaction, log_control, rest_runtime))
}

async fn run(
    args: &[String],
    redaction: LogRedaction,
    log_control: std::sync::Arc<crate::log_filter::ReloadableFilter>,
    rest_runtime: tokio::runtime::Handle,
) -> Result<(), Failure> {
    let b = boot(
        &args[0],
        WorkerConfig::standalone,
        log_control,
        &rest_runtime,
    )
    .await
    .map_err(Failure::Setup)?;
    let offsets_file = b
        .config
        .offset_storage_file_filename
        .clone()
        .unwrap_or_default();
    let offsets =
        Arc::new(FileOffsetStore::open(&offsets_file).map_err(|e| Failure::Setup(e.into()))?);
    let settings = WorkerSettings {
        worker_id: b.advertised.worker_id.clone(),
        config: b.config.clone(),
    };
    let (worker, events) = Worker::new(
        settings,
        Arc::new(crate::plugins_cmd::worker_registry(&b.config, b.builtins).await),
        offsets,
        Arc::new(MemoryStatusStore::default()),
        b.kafka.clone(),
    );
    redaction.attach(worker.known_secrets());
    let worker_metrics = worker.metrics();
    let herder = StandaloneHerder::new(worker, events, b.cluster_id.clone());

    let rest = serve(
        crate::boot::Services {
            rest: b.rest,
            metrics_listener: b.metrics_listener,
            metrics: worker_metrics,
        },
        &b.config,
        &b.advertised.worker_id,
        herder.clone(),
        &rest_runtime,
    );
    info!(
        "REST server ready after {} ms",
        b.started.elapsed().as_millis()
    );

    for file in &args[1..] {
        if let Err(e) = create_from_file(&herder, file).await {
            rest.stop().await;
            herder.stop().await;
            return Err(Failure::Start(e));
        }
    }
    herder.set_ready();
    info!(
        "Kafka Connect started in {} ms",
        b.started.elapsed().as_millis()
    );

    run_until_signal(rest, herder.stop()).await;
    Ok(())
}

async fn create_from_file(herder: &StandaloneHerder, file: &str) -> anyhow::Result<()> {
    let def = load_connector_file(Path::new(file))?;
    let initial = match def.initial_state.as_deref() {
        None => None,
        Some(s) => Some(TargetState::from_initial_state(s).with_context(|| {
            format!("{file}: invalid initial_state {s:?}; expected RUNNING, PAUSED or STOPPED")
        })?),
    };
    let created = herder
        .put_connector_config(&def.name, def.config, initial, false)
        .await
        .with_context(|| format!("{file}: connector {}", def.name))?;
    info!(connector = %def.name, "created connector {} from {file}", created.result.name);
    Ok(())
}
