//! `rconnect distributed`: Java's `ConnectDistributed` main.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rconnect_config::WorkerConfig;
use rconnect_group::{ConnectProtocol, GroupConfig, GroupMember};
use rconnect_runtime::distributed::herder::DistributedHerder;
use rconnect_runtime::worker::{Worker, WorkerSettings};
use rconnect_storage::{
    ensure_internal_topics, KafkaConfigStore, KafkaOffsetStore, KafkaStatusStore,
};
use tracing::info;

use crate::boot::{boot, run_main, run_until_signal, serve, Failure};
use crate::log_redaction::LogRedaction;

const USAGE: &str = "Usage: ConnectDistributed worker.properties";

pub fn main(args: &[String]) -> ExitCode {
    if args.is_empty() || args.iter().any(|a| a == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::from(1);
    }
    let redaction = crate::log_redaction::LogRedaction::default();
    let log_control = crate::init_logging(&redaction);
    // Java ignores arguments after the worker file.
    run_main(|rest_runtime| run(&args[0], redaction, log_control, rest_runtime))
}

fn millis(ms: i32) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

async fn run(
    worker_file: &str,
    redaction: LogRedaction,
    log_control: std::sync::Arc<crate::log_filter::ReloadableFilter>,
    rest_runtime: tokio::runtime::Handle,
) -> Result<(), Failure> {
    let setup = |e: anyhow::Error| Failure::Setup(e);
    let b = boot(
        worker_file,
        WorkerConfig::distributed,
        log_control,
        &rest_runtime,
    )
    .await
    .map_err(setup)?;
    let d = b.config.distributed.clone().expect("distributed config");
    ensure_internal_topics(&b.config)
        .await
        .map_err(|e| setup(e.into()))?;
    let offsets = Arc::new(
        KafkaOffsetStore::start(&b.config)
            .await
            .map_err(|e| setup(e.into()))?,
    );
    let status = Arc::new(
        KafkaStatusStore::start(&b.config)
            .await
            .map_err(|e| setup(e.into()))?,
    );
    let configs = Arc::new(
        KafkaConfigStore::start(&b.config)
            .await
            .map_err(|e| setup(e.into()))?,
    );
    info!(
        "Starting connectors and tasks using config offset {}",
        rconnect_runtime::config_store::ConfigStore::snapshot(configs.as_ref()).offset
    );

    let settings = WorkerSettings {
        worker_id: b.advertised.worker_id.clone(),
        config: b.config.clone(),
    };
    let (worker, events) = Worker::new(
        settings,
        Arc::new(crate::plugins_cmd::worker_registry(&b.config, b.builtins).await),
        offsets,
        status,
        b.kafka.clone(),
    );
    redaction.attach(worker.known_secrets());
    let worker_metrics = worker.metrics();
    let protocol =
        ConnectProtocol::parse(d.connect_protocol.name()).map_err(|e| setup(e.into()))?;
    let client_id = b
        .config
        .originals()
        .get("client.id")
        .filter(|c| !c.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("connect-{}", b.advertised.worker_id));
    let member = GroupMember::new(GroupConfig {
        bootstrap_servers: b.config.bootstrap_servers.clone(),
        group_id: d.group_id.clone(),
        client_id,
        session_timeout: millis(d.session_timeout_ms),
        rebalance_timeout: millis(d.rebalance_timeout_ms),
        heartbeat_interval: millis(d.heartbeat_interval_ms),
        protocol,
        security: b.security.clone(),
        ..GroupConfig::default()
    });
    let herder = DistributedHerder::start(
        worker,
        events,
        configs,
        member,
        b.advertised.url.clone(),
        b.cluster_id.clone(),
    );

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
        "Kafka Connect started in {} ms",
        b.started.elapsed().as_millis()
    );

    run_until_signal(rest, herder.stop()).await;
    Ok(())
}
