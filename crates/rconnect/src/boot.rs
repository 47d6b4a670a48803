//! Start-up steps both modes share: worker config, Kafka cluster id, REST listeners,
//! advertised URL, and signals.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rconnect_config::{load_properties_file, RestAdvertisement, WorkerConfig};
use rconnect_group::Security;
use rconnect_rest::{ConnectionLimits, Listener, RestServer};
use rconnect_runtime::kafka_adapter::RdKafkaClients;
use rconnect_runtime::standalone::KAFKA_VERSION;
use rconnect_sdk::Props;
use tracing::{info, warn};

/// What start-up produced before the herder exists.
pub struct Booted {
    pub config: Arc<WorkerConfig>,
    pub kafka: Arc<RdKafkaClients>,
    pub cluster_id: String,
    /// TLS and SASL of the worker's own Kafka connections (the group client).
    pub security: Security,
    pub rest: RestServer,
    pub advertised: RestAdvertisement,
    pub started: std::time::Instant,
    /// The built-in plugins this worker offers (`rconnect.builtin.connectors.exclude` applied).
    pub builtins: rconnect_runtime::plugins::PluginRegistry,
    /// `rconnect.metrics.listener`, bound.
    pub metrics_listener: Option<rconnect_rest::MetricsListener>,
}

fn load_worker_props(path: &str) -> anyhow::Result<Props> {
    if path.is_empty() {
        return Ok(Props::new());
    }
    Ok(load_properties_file(Path::new(path))?)
}

/// Loads and checks the worker config with `parse` (standalone or distributed), fetches
/// the cluster id, binds the REST listeners.
///
/// The listeners are bound on `rest_runtime` (see [`run_main`]), where they are served.
pub async fn boot(
    worker_file: &str,
    parse: fn(Props) -> Result<WorkerConfig, rconnect_config::ConfigError>,
    log_control: Arc<dyn rconnect_rest::LogFilterControl>,
    rest_runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Booted> {
    let started = std::time::Instant::now();
    info!(
        "Kafka Connect worker (rconnect {}) Kafka version: {KAFKA_VERSION}",
        env!("CARGO_PKG_VERSION")
    );
    let mut props = load_worker_props(worker_file)?;
    crate::kafka_security::apply_static_jaas(&mut props)?;
    let config = parse(props).with_context(|| format!("invalid worker config {worker_file}"))?;
    // Before contacting Kafka: a bad name must not wait for the broker to be refused.
    let builtins = crate::builtins::registry(&config.builtin_connectors_exclude)
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    // TLS material and users too: a bad keystore or JAAS file must not wait for the broker.
    let tls = crate::rest_security::server_tls(&config)
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    crate::rest_security::configure_forwarding_tls(&config)
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    let auth = crate::rest_security::basic_auth(&config)
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    rconnect_config::ssl::check_client_stores(config.originals())
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    let config = Arc::new(config);
    let kafka = Arc::new(RdKafkaClients::new());
    let security = crate::kafka_security::group_security(&config)
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    let cluster_id = fetch_cluster_id(&config, &security).await?;
    info!("Kafka cluster ID: {cluster_id}");
    let to_rest = |ls: &[rconnect_config::Listener]| -> Vec<Listener> {
        ls.iter()
            .map(|l| Listener {
                scheme: l.protocol.clone(),
                host: l.host.clone(),
                port: l.port,
            })
            .collect()
    };
    let listeners = to_rest(&config.listeners);
    let admin_listeners = config.admin_listeners.as_deref().map(to_rest);
    // Bound where they are served: a socket belongs to the runtime it was registered on.
    let mut rest = rest_runtime
        .spawn(
            async move { RestServer::bind_all(&listeners, admin_listeners.as_deref(), tls).await },
        )
        .await
        .context("the REST server's runtime stopped while binding the listeners")?
        .context("cannot start the REST server")?
        .with_connection_limits(connection_limits(&config))
        .with_log_filter_control(log_control);
    if let Some(auth) = auth {
        rest = rest.with_basic_auth(auth);
    }
    let bound_port = config
        .advertised_listener_index()
        .and_then(|i| rest.local_addrs().get(i).map(|a| a.port()))
        .unwrap_or(0);
    let local_host = tokio::task::spawn_blocking(rconnect_config::worker::local_host_address)
        .await
        .unwrap_or_else(|_| "127.0.0.1".into());
    let advertised = config.rest_advertisement(bound_port, &local_host);
    info!("Advertised URI: {}", advertised.url);
    let metrics_listener = bind_metrics_listener(&config, rest_runtime)
        .await
        .with_context(|| format!("invalid worker config {worker_file}"))?;
    Ok(Booted {
        config,
        kafka,
        cluster_id,
        security,
        rest,
        advertised,
        started,
        builtins,
        metrics_listener,
    })
}

/// Binds `rconnect.metrics.listener` (on `rest_runtime`, where it is served) if set.
async fn bind_metrics_listener(
    config: &WorkerConfig,
    rest_runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Option<rconnect_rest::MetricsListener>> {
    let text = config
        .parsed()
        .string(rconnect_config::worker::METRICS_LISTENER_CONFIG)
        .unwrap_or_default()
        .trim()
        .to_string();
    if text.is_empty() {
        return Ok(None);
    }
    let parsed = rconnect_config::Listener::parse(&text).map_err(|e| {
        anyhow::anyhow!("{}: {e}", rconnect_config::worker::METRICS_LISTENER_CONFIG)
    })?;
    let listener = Listener {
        scheme: parsed.protocol,
        host: parsed.host,
        port: parsed.port,
    };
    let bound = rest_runtime
        .spawn(async move { rconnect_rest::MetricsListener::bind(&listener).await })
        .await
        .context("the REST server's runtime stopped while binding the metrics listener")??;
    Ok(Some(bound))
}

/// Serves `GET /metrics` on `rconnect.metrics.listener` (if set) until the process ends.
fn serve_metrics(
    listener: Option<rconnect_rest::MetricsListener>,
    herder: Arc<dyn rconnect_runtime::herder::Herder>,
    metrics: Arc<rconnect_runtime::metrics::Metrics>,
    rest_runtime: &tokio::runtime::Handle,
) {
    if let Some(listener) = listener {
        rest_runtime.spawn(async move {
            if let Err(e) = listener
                .serve(herder, metrics, std::future::pending())
                .await
            {
                warn!("the metrics listener stopped: {e}");
            }
        });
    }
}

/// The `rconnect.rest.*` connection limits of the worker config (the cap is fitted to the
/// open-file limit when serving starts).
fn connection_limits(config: &WorkerConfig) -> ConnectionLimits {
    let ms = |v: i64| Duration::from_millis(v.max(1) as u64);
    ConnectionLimits {
        idle_timeout: ms(config.rest_idle_timeout_ms),
        header_read_timeout: ms(config.rest_header_read_timeout_ms),
        max_connections: config.rest_max_connections.max(1) as usize,
    }
}

/// The cluster id, as Java fetches it before serving (failure aborts start-up): one
/// Metadata request over the group client's connection, secured as the worker's
/// `security.protocol` says, so that an untrusted certificate or wrong credentials stop the
/// worker at once with the broker's reason.
async fn fetch_cluster_id(config: &WorkerConfig, security: &Security) -> anyhow::Result<String> {
    let timeout = Duration::from_secs(30);
    let servers = config.bootstrap_servers.join(",");
    match rconnect_group::fetch_cluster_id(
        &config.bootstrap_servers,
        "rconnect-worker",
        timeout,
        security,
    )
    .await
    {
        Ok(id) => Ok(id.unwrap_or_default()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot reach the Kafka cluster at {servers} to fetch its id: {e}"
        )),
    }
}

/// The REST server running for a herder, until [`Serving::stop`].
pub struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), rconnect_rest::RestError>>,
    /// The automatic restarts (`rconnect.auto.restart.enable`), stopped with the REST server
    /// so that a stopping worker restarts nothing.
    auto_restart: Option<tokio::task::JoinHandle<()>>,
}

/// What a worker serves besides its herder: the REST API (with `/metrics`), the metrics
/// listener and the automatic restarts.
pub struct Services {
    pub rest: RestServer,
    pub metrics_listener: Option<rconnect_rest::MetricsListener>,
    pub metrics: Arc<rconnect_runtime::metrics::Metrics>,
}

/// Starts serving the REST API (and `/metrics`) for `herder` on `rest_runtime`: requests,
/// and whatever they spawn or run on blocking threads, stay off the data path's runtime.
/// Starts the metrics listener and the automatic restarts the worker config asks for.
pub fn serve(
    services: Services,
    config: &WorkerConfig,
    worker_id: &str,
    herder: Arc<dyn rconnect_runtime::herder::Herder>,
    rest_runtime: &tokio::runtime::Handle,
) -> Serving {
    let Services {
        rest,
        metrics_listener,
        metrics,
    } = services;
    let auto_restart = start_auto_restart(config, herder.clone(), worker_id, metrics.clone());
    serve_metrics(
        metrics_listener,
        herder.clone(),
        metrics.clone(),
        rest_runtime,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = rest_runtime.spawn(rest.with_metrics(metrics).serve(herder, async move {
        let _ = stopped.await;
    }));
    Serving {
        stop,
        task,
        auto_restart,
    }
}

impl Serving {
    /// Stops taking requests (Java stops the REST server before the herder).
    pub async fn stop(self) {
        if let Some(auto) = self.auto_restart {
            auto.abort();
        }
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Starts the automatic restarts of FAILED connectors and tasks when
/// `rconnect.auto.restart.enable` is set; the handle stops them (before the herder stops, so a
/// stopping worker restarts nothing).
fn start_auto_restart(
    config: &rconnect_config::WorkerConfig,
    herder: Arc<dyn rconnect_runtime::herder::Herder>,
    worker_id: &str,
    metrics: Arc<rconnect_runtime::metrics::Metrics>,
) -> Option<tokio::task::JoinHandle<()>> {
    rconnect_runtime::auto_restart::RestartPolicy::from_config(config).map(|policy| {
        rconnect_runtime::auto_restart::spawn(herder, worker_id.to_string(), policy, metrics)
    })
}

/// Waits for SIGINT or SIGTERM (on Windows: Ctrl-C, Ctrl-Break, console close, shutdown),
/// then stops the REST server and calls `stop_herder`: Java's shutdown hook order.
pub async fn run_until_signal<F: std::future::Future<Output = ()>>(rest: Serving, stop_herder: F) {
    wait_for_signal().await;
    info!("Kafka Connect stopping");
    rest.stop().await;
    stop_herder.await;
    info!("Kafka Connect stopped");
}

/// Resolves on SIGINT or SIGTERM.
#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            warn!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Resolves on the console's Ctrl-C or Ctrl-Break, or when its window is closed: Windows has
/// no SIGTERM, and a service wrapper (WinSW, NSSM) stops a console program with Ctrl-C, also
/// when the system shuts down. Windows ends the process about 5 s after a close event, so
/// the stop may be cut short then, as by a SIGKILL after SIGTERM. The shutdown event is
/// listened for too, though Windows does not send it to a process that loaded user32.dll (as
/// rconnect.exe does).
#[cfg(windows)]
async fn wait_for_signal() {
    use tokio::signal::windows::{ctrl_break, ctrl_close, ctrl_shutdown};
    let (mut brk, mut close, mut shutdown) = match (ctrl_break(), ctrl_close(), ctrl_shutdown()) {
        (Ok(b), Ok(c), Ok(s)) => (b, c, s),
        (b, c, s) => {
            let e = [b.err(), c.err(), s.err()].into_iter().flatten().next();
            warn!("cannot listen for Ctrl-Break, console close or shutdown: {e:?}; only Ctrl-C stops the worker gracefully");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = brk.recv() => {}
        _ = close.recv() => {}
        _ = shutdown.recv() => {}
    }
}

/// Runs `body` on a multi-threaded runtime (the data path's: connectors, task loops, offset
/// flushes, Kafka clients) and maps its outcome to Java's exit codes. `body` gets the handle
/// of a second runtime, the REST server's ([`rconnect_rest::rest_runtime`]).
pub fn run_main<F, B>(body: B) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<(), Failure>>,
    B: FnOnce(tokio::runtime::Handle) -> F,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("Stopping due to error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rest_runtime = match rconnect_rest::rest_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("Stopping due to error: cannot start the REST server's runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let code = match runtime.block_on(body(rest_runtime.handle().clone())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(Failure::Setup(e)) => {
            tracing::error!("Stopping due to error: {e:#}");
            std::process::ExitCode::from(2)
        }
        Err(Failure::Start(e)) => {
            tracing::error!("Failed to create connector: {e:#}");
            std::process::ExitCode::from(3)
        }
    };
    // Requests may be stuck in blocking calls (a provider reading a FIFO): do not wait.
    rest_runtime.shutdown_timeout(Duration::from_millis(100));
    // librdkafka handles may still be closing; do not wait on them.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Exit codes as Java's: 2 for an error before start, 3 for failing to create connectors.
pub enum Failure {
    Setup(anyhow::Error),
    Start(anyhow::Error),
}
