//! The log writer: every line goes to stderr with the values config providers resolved
//! replaced by their `${provider:path:key}` references, whoever wrote it (the runtime or a
//! connector plugin logging its own config). Java logs such values as they are.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use rconnect_runtime::worker::KnownSecrets;
use tracing_subscriber::fmt::MakeWriter;

/// Handed to the log subscriber at start-up and given the worker's [`KnownSecrets`] once
/// the worker exists; lines before that are written as they are (no connector config has
/// been resolved yet).
#[derive(Clone, Default)]
pub struct LogRedaction(Arc<OnceLock<Arc<KnownSecrets>>>);

impl LogRedaction {
    /// Starts redacting with `secrets`.
    pub fn attach(&self, secrets: Arc<KnownSecrets>) {
        let _ = self.0.set(secrets);
    }
}

/// `inner`, redacting what it is given (the fmt layer writes each event in one call, so a
/// value is never split between two writes).
pub struct Redacting<W> {
    secrets: Option<Arc<KnownSecrets>>,
    inner: W,
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.secrets {
            None => self.inner.write(buf),
            Some(secrets) => {
                let text = secrets.redact_any(&String::from_utf8_lossy(buf));
                self.inner.write_all(text.as_bytes())?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<'a> MakeWriter<'a> for LogRedaction {
    type Writer = Redacting<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting {
            secrets: self.0.get().cloned(),
            inner: std::io::stderr(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rconnect_config::Secrets;

    #[test]
    fn lines_are_redacted_once_attached() {
        let redaction = LogRedaction::default();
        assert!(redaction.make_writer().secrets.is_none());
        let mut s = Secrets::default();
        s.add("w0rker-secret", "${file:/w:pw}");
        redaction.attach(Arc::new(KnownSecrets::new(s)));
        let mut w = Redacting {
            secrets: redaction.make_writer().secrets,
            inner: Vec::new(),
        };
        w.write_all(b"INFO connecting with w0rker-secret\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(w.inner).unwrap(),
            "INFO connecting with ${file:/w:pw}\n"
        );
    }
}
