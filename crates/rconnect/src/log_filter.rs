//! The process's log filter, changeable at run time through `/admin/loggers` (Java:
//! `LoggingResource`, KIP-495): a reload handle of the tracing subscriber's `EnvFilter`.

use std::sync::Mutex;

use rconnect_rest::LogFilterControl;
use tracing_subscriber::reload;
use tracing_subscriber::{EnvFilter, Registry};

/// The filter `RUST_LOG` gives when it is unset.
pub(crate) const DEFAULT_FILTER: &str = "info,librdkafka=warn,rdkafka=warn";

/// Rebuilds the `EnvFilter` from the levels `/admin/loggers` keeps.
pub(crate) struct ReloadableFilter {
    handle: reload::Handle<EnvFilter, Registry>,
    /// The filter the process started with (`RUST_LOG` or [`DEFAULT_FILTER`]).
    initial: String,
    /// Serializes reloads, so two concurrent `PUT`s cannot interleave their filters.
    reloading: Mutex<()>,
}

impl ReloadableFilter {
    pub(crate) fn new(handle: reload::Handle<EnvFilter, Registry>, initial: String) -> Self {
        ReloadableFilter {
            handle,
            initial,
            reloading: Mutex::new(()),
        }
    }
}

/// log4j level name → tracing level name (log4j's FATAL is tracing's ERROR, ALL is TRACE).
fn tracing_level(log4j: &str) -> &'static str {
    match log4j {
        "OFF" => "off",
        "FATAL" | "ERROR" => "error",
        "WARN" => "warn",
        "INFO" => "info",
        "DEBUG" => "debug",
        _ => "trace",
    }
}

fn log4j_level(tracing: &str) -> Option<&'static str> {
    Some(match tracing.trim().to_ascii_lowercase().as_str() {
        "off" => "OFF",
        "error" => "ERROR",
        "warn" => "WARN",
        "info" => "INFO",
        "debug" => "DEBUG",
        "trace" => "TRACE",
        _ => return None,
    })
}

/// Only names tracing's directive syntax takes as a plain target; others (with `[`, `{`,
/// `=`, `,` or spaces) cannot name a tracing target and are recorded but not applied.
fn plain_target(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// The root level and `target=level` directives of a filter string.
fn split_directives(filter: &str) -> (Option<&'static str>, Vec<(String, String)>) {
    let mut root = None;
    let mut named = Vec::new();
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match directive.split_once('=') {
            None => root = log4j_level(directive).or(root),
            Some((target, level)) if plain_target(target) => {
                if let Some(level) = log4j_level(level) {
                    named.push((target.to_string(), level.to_string()));
                }
            }
            Some(_) => {}
        }
    }
    (root, named)
}

impl LogFilterControl for ReloadableFilter {
    fn initial_levels(&self) -> (String, Vec<(String, String)>) {
        let (root, named) = split_directives(&self.initial);
        (root.unwrap_or("ERROR").to_string(), named)
    }

    fn apply(&self, root: &str, loggers: &[(String, String)]) -> Result<(), String> {
        let _guard = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        // Directives of the starting filter that name spans or fields are kept; the plain
        // ones are replaced by the levels kept by `/admin/loggers`.
        let mut directives: Vec<String> = self
            .initial
            .split(',')
            .map(str::trim)
            .filter(|d| match d.split_once('=') {
                None => false,
                Some((target, _)) => !plain_target(target),
            })
            .map(str::to_string)
            .collect();
        directives.insert(0, tracing_level(root).to_string());
        for (name, level) in loggers.iter().filter(|(n, _)| plain_target(n)) {
            directives.push(format!("{name}={}", tracing_level(level)));
        }
        let filter = EnvFilter::try_new(directives.join(",")).map_err(|e| e.to_string())?;
        self.handle.reload(filter).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_map_to_log4j_levels() {
        let (root, named) = split_directives("info,librdkafka=warn,a[span]=debug,b=bogus");
        assert_eq!(root, Some("INFO"));
        assert_eq!(named, vec![("librdkafka".to_string(), "WARN".to_string())]);
        assert_eq!(tracing_level("FATAL"), "error");
        assert_eq!(tracing_level("ALL"), "trace");
        assert!(!plain_target("a=b"));
        assert!(plain_target("rconnect_runtime::worker"));
    }

    #[test]
    fn reload_replaces_the_filter() {
        let (layer, handle) = reload::Layer::new(EnvFilter::new("info"));
        let _keep = layer;
        let control = ReloadableFilter::new(handle.clone(), "info,x[s]=debug".to_string());
        control
            .apply(
                "WARN",
                &[
                    ("my.target".into(), "TRACE".into()),
                    ("a b".into(), "INFO".into()),
                ],
            )
            .unwrap();
        let now = handle.with_current(|f| f.to_string()).unwrap();
        assert!(now.contains("my.target=trace"), "{now}");
        assert!(now.contains("x[s]=debug"), "{now}");
        assert!(!now.contains("a b"), "{now}");
    }
}
