//! `rconnect`: a Kafka Connect-compatible worker.
//!
//! `rconnect standalone worker.properties [connector.properties|connector.json ...]`
//! behaves as `connect-standalone`: same arguments, files, exit codes (worker.md §2).

mod allocator;
mod boot;
mod builtins;
mod distributed;
mod kafka_security;
mod log_filter;
mod log_redaction;
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
Logging: RCONNECT_LOG or RUST_LOG filter it (default: info); RCONNECT_LOG_FORMAT=json
writes one JSON object per line.";

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
        Some("standalone") => standalone::main(&args[1..]),
        Some("plugins") => plugins_cmd::main(&args[1..]),
        Some("distributed") => distributed::main(&args[1..]),
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

/// How log lines are written (`RCONNECT_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, for log shippers (Fluent Bit, Vector, Filebeat).
    Json,
}

impl LogFormat {
    /// Reads `RCONNECT_LOG_FORMAT`; an unknown value is reported on stderr (naming the
    /// variable) and text is used, so a typo never keeps a worker from starting.
    fn from_env(value: Option<&str>) -> (LogFormat, Option<String>) {
        match value.map(str::trim) {
            None | Some("") => (LogFormat::Text, None),
            Some(v) if v.eq_ignore_ascii_case("text") => (LogFormat::Text, None),
            Some(v) if v.eq_ignore_ascii_case("json") => (LogFormat::Json, None),
            Some(v) => (
                LogFormat::Text,
                Some(format!(
                    "RCONNECT_LOG_FORMAT={v:?} is not a log format (text or json); writing text"
                )),
            ),
        }
    }
}

/// The log filter: `RCONNECT_LOG`, else `RUST_LOG`, else [`log_filter::DEFAULT_FILTER`]; a
/// filter that does not parse is reported (naming its variable) and the next one is used.
fn log_filter_from_env(
    rconnect_log: Option<&str>,
    rust_log: Option<&str>,
) -> (String, Vec<String>) {
    use tracing_subscriber::EnvFilter;
    let mut warnings = Vec::new();
    for (name, value) in [("RCONNECT_LOG", rconnect_log), ("RUST_LOG", rust_log)] {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match EnvFilter::try_new(value) {
            Ok(_) => return (value.to_string(), warnings),
            Err(e) => warnings.push(format!("{name}={value:?} is not a log filter ({e})")),
        }
    }
    (log_filter::DEFAULT_FILTER.to_string(), warnings)
}

/// Logs to stderr through `tracing`, filtered by `RCONNECT_LOG` or `RUST_LOG` (default
/// [`log_filter::DEFAULT_FILTER`]), as text or as JSON lines (`RCONNECT_LOG_FORMAT`).
/// Installs the log subscriber; lines go through `redaction` (see [`log_redaction`]). The
/// returned control lets `/admin/loggers` change the filter.
pub(crate) fn init_logging(
    redaction: &log_redaction::LogRedaction,
) -> std::sync::Arc<log_filter::ReloadableFilter> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{reload, EnvFilter, Layer as _};
    let (initial, mut warnings) = log_filter_from_env(
        std::env::var("RCONNECT_LOG").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let (format, format_warning) =
        LogFormat::from_env(std::env::var("RCONNECT_LOG_FORMAT").ok().as_deref());
    warnings.extend(format_warning);
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&initial));
    let output = match format {
        LogFormat::Text => {
            // Colours only on a terminal: log files stay greppable.
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            tracing_subscriber::fmt::layer()
                .with_writer(redaction.clone())
                .with_ansi(ansi)
                .with_target(true)
                .boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(redaction.clone())
            .with_target(true)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .init();
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    std::sync::Arc::new(log_filter::ReloadableFilter::new(handle, initial))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_unless_json_is_asked_for() {
        assert_eq!(LogFormat::from_env(None), (LogFormat::Text, None));
        assert_eq!(LogFormat::from_env(Some("JSON")), (LogFormat::Json, None));
        assert_eq!(LogFormat::from_env(Some(" text ")), (LogFormat::Text, None));
        let (format, warning) = LogFormat::from_env(Some("yaml"));
        assert_eq!(format, LogFormat::Text);
        assert!(warning.unwrap().contains("RCONNECT_LOG_FORMAT=\"yaml\""));
    }

    #[test]
    fn rconnect_log_wins_over_rust_log_and_bad_filters_are_named() {
        assert_eq!(
            log_filter_from_env(Some("debug"), Some("warn")).0,
            "debug".to_string()
        );
        assert_eq!(log_filter_from_env(None, Some("warn")).0, "warn");
        let (filter, warnings) = log_filter_from_env(Some("x=notalevel"), Some("warn"));
        assert_eq!(filter, "warn");
        assert!(warnings[0].starts_with("RCONNECT_LOG="), "{warnings:?}");
        let (filter, _) = log_filter_from_env(None, None);
        assert_eq!(filter, log_filter::DEFAULT_FILTER);
    }
}
