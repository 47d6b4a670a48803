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

/// stderr, redacting what it is given (the fmt layer writes each event in one call).
pub struct RedactingStderr(Option<Arc<KnownSecrets>>);

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.0 {
            None => std::io::stderr().write(buf),
            Some(secrets) => {
                let text = secrets.redact_any(&String::from_utf8_lossy(buf));
                std::io::stderr().write_all(text.as_bytes())?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for LogRedaction {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingStderr(self.0.get().cloned())
    }
}
