//! `rconnect`: a Kafka Connect-compatible worker.
//!
//! `rconnect standalone worker.properties [connector.properties|connector.json ...]`
//! behaves as `connect-standalone`: same arguments, files, exit codes (worker.md §2).

mod boot;
mod builtins;
mod distributed;
mod kafka_security;
mod log_filter;
mod log_redaction;
mod malloc_tuning;
mod plugins_cmd;
mod rest_security;
mod standalone;

use std::process::ExitCode;

const USAGE: &str = "\
rconnect: a Kafka Connect-compatible worker

Usage:
  rconnect standalone <worker.properties> [<connector.properties|connector.json> ...]
  rconnect distributed <worker.properties>
  rconnect plugins list [--plugin-path DIR[,DIR...]]
  rconnect --version
  rconnect --help

The files and keys are those of Apache Kafka's connect-standalone and connect-distributed.
Logging follows RUST_LOG (default: info).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--help") | Some("-h") | Some("help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version") | Some("-V") | Some("version") => {
            println!(
                "rconnect {} (Kafka Connect {} compatible)",
                env!("CARGO_PKG_VERSION"),
                rconnect_runtime::standalone::KAFKA_VERSION
            );
            ExitCode::SUCCESS
        }
        Some("standalone") => {
            malloc_tuning::apply();
            standalone::main(&args[1..])
        }
        Some("plugins") => plugins_cmd::main(&args[1..]),
        Some("distributed") => {
            malloc_tuning::apply();
            distributed::main(&args[1..])
        }
        Some(other) => {
            eprintln!("Unknown command {other:?}.\n\n{USAGE}");
            ExitCode::from(1)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(1)
        }
    }
}

/// Logs to stderr through `tracing`, filtered by `RUST_LOG` (default
/// [`log_filter::DEFAULT_FILTER`]). Installs the log subscriber; lines go through `redaction`
/// (see [`log_redaction`]). The returned control lets `/admin/loggers` change the filter.
pub(crate) fn init_logging(
    redaction: &log_redaction::LogRedaction,
) -> std::sync::Arc<log_filter::ReloadableFilter> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{reload, EnvFilter};
    let initial = std::env::var("RUST_LOG")
        .ok()
        .filter(|f| EnvFilter::try_new(f).is_ok())
        .unwrap_or_else(|| log_filter::DEFAULT_FILTER.to_string());
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&initial));
    // Colours only on a terminal: log files stay greppable.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(redaction.clone())
                .with_ansi(ansi)
                .with_target(true),
        )
        .init();
    std::sync::Arc::new(log_filter::ReloadableFilter::new(handle, initial))
}
