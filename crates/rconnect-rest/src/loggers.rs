//! `/admin/loggers` (KIP-495, KIP-976): log levels read and changed at run time.
//!
//! Java keeps this state in `org.apache.kafka.connect.runtime.Loggers` on top of the log4j 1
//! hierarchy. rconnect has no logger objects (tracing has targets and a filter), so the
//! hierarchy is modelled here: the loggers that exist are `root` and every name a `PUT`
//! named or that the worker's log filter names; a logger without a level of its own
//! inherits from its nearest dotted ancestor that has one, then from `root`. Each change
//! is handed to a [`LogFilterControl`], which turns the levels into the process's tracing
//! filter (a logger name is used as a tracing target, e.g. `rconnect_runtime::worker`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Applies logger levels to the running process's log filter. rconnect's binary implements
/// it with a reload handle of its tracing subscriber; without one, levels are only recorded.
pub trait LogFilterControl: Send + Sync {
    /// The root level and the named loggers' levels the filter starts with (log4j names:
    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `OFF`).
    fn initial_levels(&self) -> (String, Vec<(String, String)>);

    /// Replaces the filter: `root` for every target no entry of `loggers` matches, and each
    /// `(target, level)` for its target and the targets below it.
    fn apply(&self, root: &str, loggers: &[(String, String)]) -> Result<(), String>;
}

/// Java's `LoggerLevel` entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

/// log4j 1's `Level.toLevel(name.toUpperCase(), null)`: the canonical name, or `None`.
pub(crate) fn parse_level(s: &str) -> Option<&'static str> {
    Some(match s.to_uppercase().as_str() {
        "ALL" => "ALL",
        "TRACE" => "TRACE",
        "DEBUG" => "DEBUG",
        "INFO" => "INFO",
        "WARN" => "WARN",
        "ERROR" => "ERROR",
        "FATAL" => "FATAL",
        "OFF" => "OFF",
        _ => return None,
    })
}

const ROOT: &str = "root";

#[derive(Default)]
struct State {
    root: String,
    /// Every logger that exists, with its own level (`None`: inherited).
    loggers: BTreeMap<String, Option<String>>,
    last_modified: BTreeMap<String, i64>,
}

impl State {
    fn effective(&self, name: &str) -> String {
        let mut candidate = name;
        loop {
            if let Some(Some(level)) = self.loggers.get(candidate) {
                return level.clone();
            }
            match candidate.rfind('.') {
                Some(i) => candidate = &candidate[..i],
                None => return self.root.clone(),
            }
        }
    }

    fn level_of(&self, name: &str) -> LoggerLevel {
        let level = if name == ROOT {
            self.root.clone()
        } else {
            self.effective(name)
        };
        LoggerLevel {
            level,
            last_modified: self.last_modified.get(name).copied(),
        }
    }
}

/// The worker's loggers (Java's `Loggers`).
pub struct LoggerLevels {
    state: Mutex<State>,
    control: Option<Arc<dyn LogFilterControl>>,
}

impl LoggerLevels {
    /// Loggers backed by `control`, starting from its initial levels.
    pub fn new(control: Arc<dyn LogFilterControl>) -> LoggerLevels {
        let (root, named) = control.initial_levels();
        let state = State {
            root,
            loggers: named.into_iter().map(|(n, l)| (n, Some(l))).collect(),
            last_modified: BTreeMap::new(),
        };
        LoggerLevels {
            state: Mutex::new(state),
            control: Some(control),
        }
    }

    /// Loggers that only record levels (root `INFO`), for servers without a log filter.
    pub fn detached() -> LoggerLevels {
        LoggerLevels {
            state: Mutex::new(State {
                root: "INFO".to_string(),
                ..State::default()
            }),
            control: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the log levels, so the state is used as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Java's `Loggers#allLevels`: every logger with a level of its own, and root.
    pub(crate) fn all(&self) -> BTreeMap<String, LoggerLevel> {
        let state = self.lock();
        let mut out: BTreeMap<String, LoggerLevel> = state
            .loggers
            .iter()
            .filter(|(_, level)| level.is_some())
            .map(|(name, _)| (name.clone(), state.level_of(name)))
            .collect();
        out.insert(ROOT.to_string(), state.level_of(ROOT));
        out
    }

    /// Java's `Loggers#level`: `None` when no logger of that name exists.
    pub(crate) fn get(&self, name: &str) -> Option<LoggerLevel> {
        let state = self.lock();
        if name.eq_ignore_ascii_case(ROOT) {
            return Some(state.level_of(ROOT));
        }
        state
            .loggers
            .contains_key(name)
            .then(|| state.level_of(name))
    }

    /// Java's `Loggers#setLevel`: `namespace` (created if absent) and every logger whose
    /// name starts with it (a plain string prefix, as in Java), or every logger for `root`.
    /// Loggers already at `level` are listed but keep their timestamp. Returns the names,
    /// sorted.
    pub(crate) fn set(&self, namespace: &str, level: &str) -> Vec<String> {
        let mut state = self.lock();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut targets: Vec<String> = if namespace.eq_ignore_ascii_case(ROOT) {
            let mut all: Vec<String> = state.loggers.keys().cloned().collect();
            all.push(ROOT.to_string());
            all
        } else {
            state.loggers.entry(namespace.to_string()).or_insert(None);
            state
                .loggers
                .keys()
                .filter(|name| name.starts_with(namespace))
                .cloned()
                .collect()
        };
        // Levels are compared before any is changed, as Java walks a snapshot whose
        // effective levels move as it goes only through explicit levels set on the way;
        // setting in name order (parents first) reproduces that.
        targets.sort();
        for name in &targets {
            let current = state.level_of(name).level;
            if current == level {
                continue;
            }
            if name == ROOT {
                state.root = level.to_string();
            } else {
                state.loggers.insert(name.clone(), Some(level.to_string()));
            }
            state.last_modified.insert(name.clone(), now);
        }
        if let Some(control) = &self.control {
            let named: Vec<(String, String)> = state
                .loggers
                .iter()
                .filter_map(|(n, l)| l.as_ref().map(|l| (n.clone(), l.clone())))
                .collect();
            if let Err(e) = control.apply(&state.root, &named) {
                tracing::warn!(
                    "Could not apply the log level of {namespace} to the log filter: {e}"
                );
            }
        }
        tracing::info!("Set the log level of {namespace} and its children to {level}");
        targets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Mutex<Vec<String>>);

    impl LogFilterControl for Recorder {
        fn initial_levels(&self) -> (String, Vec<(String, String)>) {
            ("INFO".into(), vec![("rdkafka".into(), "WARN".into())])
        }
        fn apply(&self, root: &str, loggers: &[(String, String)]) -> Result<(), String> {
            let mut s = root.to_string();
            for (n, l) in loggers {
                s.push_str(&format!(",{n}={l}"));
            }
            self.0.lock().unwrap().push(s);
            Ok(())
        }
    }

    #[test]
    fn levels_follow_log4j_semantics() {
        let control = Arc::new(Recorder(Mutex::new(vec![])));
        let loggers = LoggerLevels::new(control.clone());
        assert_eq!(loggers.get("root").unwrap().level, "INFO");
        assert_eq!(loggers.get("rdkafka").unwrap().level, "WARN");
        assert!(loggers.get("a").is_none());

        assert_eq!(loggers.set("a.b", "DEBUG"), vec!["a.b"]);
        // `a` does not exist yet; `a.b.c` inherits from `a.b` once created.
        assert!(loggers.get("a").is_none());
        assert_eq!(loggers.set("a.b.c", "DEBUG"), vec!["a.b.c"]);
        assert_eq!(loggers.get("a.b.c").unwrap().last_modified, None);
        assert!(
            !loggers.all().contains_key("a.b.c"),
            "already at DEBUG: no own level"
        );

        // A plain prefix, as Java's `startsWith`: `a.bx` is a child of `a.b` too.
        loggers.set("a.bx", "ERROR");
        assert_eq!(loggers.set("a.b", "WARN"), vec!["a.b", "a.b.c", "a.bx"]);
        assert_eq!(loggers.get("a.bx").unwrap().level, "WARN");
        assert!(loggers.get("a.b").unwrap().last_modified.is_some());

        let all = loggers.set("root", "TRACE");
        assert_eq!(all, vec!["a.b", "a.b.c", "a.bx", "rdkafka", "root"]);
        assert!(loggers.all().values().all(|l| l.level == "TRACE"));
        assert_eq!(
            control.0.lock().unwrap().last().unwrap(),
            "TRACE,a.b=TRACE,a.bx=TRACE,rdkafka=TRACE"
        );
    }

    #[test]
    fn level_names() {
        assert_eq!(parse_level("debug"), Some("DEBUG"));
        assert_eq!(parse_level("Off"), Some("OFF"));
        assert_eq!(parse_level("bogus"), None);
    }
}
