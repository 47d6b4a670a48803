//! Every request is logged with method, path, status and latency.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use support::TestServer;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn requests_are_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    // The server runs on its own thread, so the subscriber has to be global.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let s = TestServer::start();
    assert_eq!(s.get("/connectors?expand=info").status, 200);
    assert_eq!(s.send_empty("DELETE", "/connectors/x").status, 404);
    s.shutdown().expect("clean stop");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = |needle: &str| {
        log.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no log line with {needle:?} in:\n{log}"))
            .to_string()
    };
    let get = line("\"GET /connectors?expand=info\" 200");
    assert!(
        get.contains("INFO") && get.contains("rconnect_rest::request"),
        "{get}"
    );
    assert!(get.contains("latency_ms="), "{get}");
    line("\"DELETE /connectors/x\" 404");
}
