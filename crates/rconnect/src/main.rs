//! `rconnect`: a Kafka Connect-compatible worker.
//!
//! `rconnect standalone worker.properties [connector.properties|connector.json ...]`
//! behaves as `connect-standalone`: same arguments, files, exit codes (worker.md §2).

mod boot;
mod builtins;
mod distributed;
mod log_redaction;
mod malloc_tuning;
mod plugins_cmd;
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

/// Logs to stderr through `tracing`, filtered by `RUST_LOG` (default `info`).
/// Installs the log subscriber; lines go through `redaction` (see [`log_redaction`]).
pub(crate) fn init_logging(redaction: &log_redaction::LogRedaction) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,librdkafka=warn,rdkafka=warn"));
    // Colours only on a terminal: log files stay greppable.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(redaction.clone())
        .with_ansi(ansi)
        .with_target(true)
        .init();
}
