//! What config providers resolved for each connector, to keep it out of status traces,
//! REST answers and log lines (Java lets resolved values through in all three).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rconnect_config::Secrets;

/// The resolved values of each connector's configs (connector and tasks) on this worker.
#[derive(Debug, Default)]
pub struct KnownSecrets {
    /// Resolved in the worker's own config; part of every connector's values.
    worker: Secrets,
    by_connector: Mutex<HashMap<String, Secrets>>,
    /// Every connector's values, for text not tied to one connector (log lines).
    all: RwLock<Arc<Secrets>>,
    /// Values held while a request (validation) runs, by hold number.
    held: Mutex<HashMap<u64, Secrets>>,
    next_hold: AtomicU64,
}

/// Values known for as long as it lives (see [`KnownSecrets::hold`]).
#[must_use]
pub struct Held {
    known: Arc<KnownSecrets>,
    key: u64,
}

impl Drop for Held {
    fn drop(&mut self) {
        let removed = self
            .known
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
        if removed.is_some() {
            self.known.rebuild_all();
        }
    }
}

impl KnownSecrets {
    /// Knowing the values resolved in the worker's own config from the start.
    pub fn new(worker: Secrets) -> KnownSecrets {
        KnownSecrets {
            all: RwLock::new(Arc::new(worker.clone())),
            worker,
            ..KnownSecrets::default()
        }
    }

    /// Adds what resolving a config of `connector` produced. Values are kept until the
    /// connector is forgotten: a stale value only makes a message redact more.
    pub fn remember(&self, connector: &str, secrets: &Secrets) {
        if secrets.is_empty() {
            return;
        }
        self.by_connector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(connector.to_string())
            .or_insert_with(|| self.worker.clone())
            .extend(secrets);
        self.add_to_all(secrets);
    }

    fn add_to_all(&self, secrets: &Secrets) {
        let mut all = self.all.write().unwrap_or_else(|p| p.into_inner());
        let mut merged = Secrets::clone(&all);
        merged.extend(secrets);
        *all = Arc::new(merged);
    }

    /// `all` again from what is known now (after values were dropped).
    fn rebuild_all(&self) {
        let mut merged = self.worker.clone();
        for s in self
            .by_connector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            merged.extend(s);
        }
        for s in self.held.lock().unwrap_or_else(|p| p.into_inner()).values() {
            merged.extend(s);
        }
        *self.all.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(merged);
    }

    /// Drops what is known of `connector` (deleted).
    pub fn forget(&self, connector: &str) {
        let removed = self
            .by_connector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connector);
        if removed.is_some() {
            self.rebuild_all();
        }
    }

    /// Knows `secrets` until the returned guard drops: for values resolved outside any
    /// running connector (validation), so that log lines written meanwhile are redacted
    /// without keeping every value ever validated.
    pub fn hold(self: &Arc<Self>, secrets: &Secrets) -> Held {
        let key = self.next_hold.fetch_add(1, Ordering::Relaxed);
        if !secrets.is_empty() {
            self.held
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, secrets.clone());
            self.add_to_all(secrets);
        }
        Held {
            known: self.clone(),
            key,
        }
    }

    /// `text` with every value resolved for any connector replaced by its reference.
    pub fn redact_any(&self, text: &str) -> String {
        let all = self.all.read().unwrap_or_else(|p| p.into_inner()).clone();
        all.redact(text)
    }

    /// `text` with every value resolved for `connector` replaced by its reference.
    pub fn redact(&self, connector: &str, text: &str) -> String {
        match self
            .by_connector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(connector)
        {
            Some(s) => s.redact(text),
            None => self.worker.redact(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_per_connector_until_forgotten() {
        let known = KnownSecrets::default();
        let mut s = Secrets::default();
        s.add("pa55word", "${file:/s:pw}");
        known.remember("a", &s);
        known.remember("b", &Secrets::default());
        assert_eq!(known.redact("a", "bad pa55word"), "bad ${file:/s:pw}");
        assert_eq!(known.redact("b", "bad pa55word"), "bad pa55word");
        assert_eq!(known.redact_any("bad pa55word"), "bad ${file:/s:pw}");
        known.forget("a");
        assert_eq!(known.redact("a", "bad pa55word"), "bad pa55word");
        assert_eq!(known.redact_any("bad pa55word"), "bad pa55word");
    }

    #[test]
    fn worker_values_are_redacted_everywhere() {
        let mut w = Secrets::default();
        w.add("worker-jaas-secret", "${file:/w:jaas}");
        let known = KnownSecrets::new(w);
        assert_eq!(
            known.redact("any", "x worker-jaas-secret"),
            "x ${file:/w:jaas}"
        );
        let mut c = Secrets::default();
        c.add("connector-secret", "${env:C}");
        known.remember("c", &c);
        known.forget("other");
        assert_eq!(
            known.redact("c", "worker-jaas-secret connector-secret"),
            "${file:/w:jaas} ${env:C}"
        );
        known.forget("c");
        assert_eq!(known.redact_any("worker-jaas-secret"), "${file:/w:jaas}");
    }

    #[test]
    fn held_values_are_known_until_released() {
        let known = Arc::new(KnownSecrets::default());
        let mut s = Secrets::default();
        s.add("validated-value", "${env:V}");
        let held = known.hold(&s);
        assert_eq!(known.redact_any("saw validated-value"), "saw ${env:V}");
        drop(held);
        assert_eq!(
            known.redact_any("saw validated-value"),
            "saw validated-value"
        );
        assert!(known.held.lock().unwrap().is_empty());
    }
}
