//! What config providers resolved for each connector, to keep it out of status traces,
//! REST answers and log lines (Java lets resolved values through in all three).

use std::collections::HashMap;
use std::sync::Mutex;

use rconnect_config::Secrets;

/// The resolved values of each connector's configs (connector and tasks) on this worker.
#[derive(Debug, Default)]
pub struct KnownSecrets {
    by_connector: Mutex<HashMap<String, Secrets>>,
}

impl KnownSecrets {
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
            .or_default()
            .extend(secrets);
    }

    /// Drops what is known of `connector` (deleted).
    pub fn forget(&self, connector: &str) {
        self.by_connector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(connector);
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
            None => text.to_string(),
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
        known.forget("a");
        assert_eq!(known.redact("a", "bad pa55word"), "bad pa55word");
    }
}
