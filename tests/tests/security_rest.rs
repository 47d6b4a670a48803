//! REST abuse must not reach the data path: idle connections under a low open-file limit,
//! and validate requests stuck in blocking config-provider reads, while a FileStreamSource
//! -> Kafka -> FileStreamSink pipeline runs.
//!
//! Build the binary first: `cargo build -p rconnect && cargo test -p rconnect-tests`.

use std::ffi::CString;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, sample_config_with, Broker, Http, Worker};
use serde_json::json;

/// The sample pipeline (`local-file-source` -> `connect-test` -> `local-file-sink`) in a
/// scratch directory, with offsets flushed every 500 ms.
struct Pipeline {
    dir: tempfile::TempDir,
    port: u16,
    args: Vec<String>,
    input: PathBuf,
    output: PathBuf,
    offsets: PathBuf,
    next_line: usize,
}

impl Pipeline {
    fn new(broker: &Broker, extra: &[(&str, String)]) -> Pipeline {
        broker.create_topic("connect-test", 1, &[]);
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let input = dir.path().join("test.txt");
        let output = dir.path().join("test.sink.txt");
        let offsets = dir.path().join("connect.offsets");
        let mut worker = vec![
            ("bootstrap.servers", broker.bootstrap()),
            (
                "offset.storage.file.filename",
                offsets.display().to_string(),
            ),
            ("offset.flush.interval.ms", "500".to_string()),
            ("listeners", format!("http://127.0.0.1:{port}")),
            // tansu: a consumer group joins in about 3 s with a short session timeout.
            ("consumer.session.timeout.ms", "6000".to_string()),
        ];
        worker.extend(extra.iter().cloned());
        let worker_props = sample_config_with("connect-standalone.properties", &worker, dir.path());
        let source_props = sample_config_with(
            "connect-file-source.properties",
            &[("file", input.display().to_string())],
            dir.path(),
        );
        let sink_props = sample_config_with(
            "connect-file-sink.properties",
            &[("file", output.display().to_string())],
            dir.path(),
        );
        fs::write(&input, "").unwrap();
        let args = [&worker_props, &source_props, &sink_props]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        Pipeline {
            dir,
            port,
            args,
            input,
            output,
            offsets,
            next_line: 0,
        }
    }

    fn args(&self) -> Vec<&str> {
        let mut args = vec!["standalone"];
        args.extend(self.args.iter().map(String::as_str));
        args
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Appends `n` new lines to the source file.
    fn append(&mut self, n: usize) {
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&self.input)
            .unwrap();
        for _ in 0..n {
            writeln!(f, "line {}", self.next_line).unwrap();
            self.next_line += 1;
        }
    }

    fn sink_lines(&self) -> usize {
        fs::read_to_string(&self.output)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// The source task's committed file position, from the standalone offsets file.
    fn committed_position(&self) -> Option<u64> {
        let text = fs::read_to_string(&self.offsets).ok()?;
        let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
        doc["entries"].as_array()?.iter().find_map(|entry| {
            let key = entry[0].as_str()?;
            if !key.contains("local-file-source") {
                return None;
            }
            let value: serde_json::Value = serde_json::from_str(entry[1].as_str()?).ok()?;
            value["position"].as_u64()
        })
    }

    fn input_len(&self) -> u64 {
        fs::metadata(&self.input).unwrap().len()
    }

    /// Waits until every line appended so far is in the sink and its end is committed as
    /// the source offset; panics with `what` and the log tail otherwise.
    fn wait_caught_up(&self, worker: &Worker, timeout: Duration, what: &str) {
        let deadline = Instant::now() + timeout;
        loop {
            let (lines, position) = (self.sink_lines(), self.committed_position());
            if lines >= self.next_line && position == Some(self.input_len()) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what}: after {timeout:?} the sink has {lines} of {} lines and the \
                     committed source position is {position:?} of {} bytes\n{}",
                    self.next_line,
                    self.input_len(),
                    worker.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Whether the server has closed `conn` (EOF or reset), without blocking.
fn closed_by_server(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match conn.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => panic!(
            "an idle connection received {n} bytes: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => true,
        Err(e) => panic!("reading an idle connection failed: {e}"),
    }
}

/// 500 idle connections to a worker whose open-file limit is 256 are closed after the idle
/// timeout (those past the connection cap wait in the backlog and are closed in turn), the
/// REST API answers afterwards, and the pipeline moves lines and commits offsets throughout.
#[test]
fn idle_connections_are_closed_and_the_pipeline_keeps_committing() {
    const OPEN_FILE_LIMIT: u64 = 256;
    const IDLE_MS: u64 = 2000;
    const CONNECTIONS: usize = 500;
    let broker = Broker::start();
    let mut p = Pipeline::new(
        &broker,
        &[("rconnect.rest.idle.timeout.ms", IDLE_MS.to_string())],
    );
    let mut w = Worker::start_with_open_file_limit(&p.args(), &[], OPEN_FILE_LIMIT);
    w.wait_for_rest(p.port, Duration::from_secs(30));
    // A quarter of the open-file limit.
    let cap = 64;
    w.wait_for_log(
        &format!("REST server accepts at most {cap} connections at once"),
        Duration::from_secs(5),
    );
    p.append(100);
    p.wait_caught_up(&w, Duration::from_secs(60), "before the idle connections");

    let opened = Instant::now();
    // Each with the time its handshake completed: the server's idle timer cannot start earlier.
    let mut idle: Vec<(TcpStream, Instant)> = (0..CONNECTIONS)
        .map(|i| {
            let conn = TcpStream::connect(("127.0.0.1", p.port))
                .unwrap_or_else(|e| panic!("idle connection {i}: {e}"));
            let connected = Instant::now();
            conn.set_nonblocking(true).unwrap();
            (conn, connected)
        })
        .collect();
    // Accepted `cap` at a time, each closed after the idle timeout; generous margin.
    let waves = CONNECTIONS.div_ceil(cap) as u64;
    let bound = Duration::from_millis(waves * IDLE_MS) + Duration::from_secs(30);
    let mut committed_during = Vec::new();
    while !idle.is_empty() {
        assert!(
            opened.elapsed() < bound,
            "{} of {CONNECTIONS} idle connections still open after {bound:?}\n{}",
            idle.len(),
            w.log_tail(40)
        );
        // The data path keeps going while the idle connections are open.
        p.append(10);
        std::thread::sleep(Duration::from_millis(500));
        committed_during.extend(p.committed_position());
        let mut closed_early = Vec::new();
        idle.retain_mut(|(conn, connected)| {
            let closed = closed_by_server(conn);
            if closed && connected.elapsed() < Duration::from_millis(IDLE_MS) {
                closed_early.push(connected.elapsed());
            }
            !closed
        });
        // Those past the cap wait in the listen backlog: the server closes each only after
        // it was idle for the timeout, none is dropped early.
        assert!(
            closed_early.is_empty(),
            "connections closed {closed_early:?} after they were opened, before the idle timeout"
        );
    }
    let all_closed_after = opened.elapsed();
    eprintln!("all {CONNECTIONS} idle connections closed after {all_closed_after:?}");
    committed_during.dedup();
    assert!(
        committed_during.len() > 1,
        "the source offset never advanced while the idle connections were open: {committed_during:?}"
    );

    let (code, body) = Http::with_timeout(Duration::from_secs(10)).get(&p.url("/connectors"));
    assert_eq!(code, 200, "{body}");
    p.append(10);
    p.wait_caught_up(&w, Duration::from_secs(30), "after the idle connections");
    let log = w.log();
    assert!(
        log.contains("connections open, its cap"),
        "no warning about the connection cap\n{}",
        w.log_tail(40)
    );
    assert!(
        !log.contains("Too many open files"),
        "the worker ran out of descriptors\n{}",
        w.log_tail(60)
    );
    assert!(w.stop().success(), "graceful stop exits 0");
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a plain syscall on a NUL-terminated path that outlives it.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// 600 concurrent validate requests whose config-provider reference names a FIFO (each
/// read blocks until a writer opens it, i.e. forever) cannot stop the pipeline or connector
/// creation: the reads occupy the REST runtime's blocking pool, never the data path's.
#[test]
fn blocked_validations_do_not_stall_the_data_path() {
    const REQUESTS: usize = 600;
    let broker = Broker::start();
    let mut p = Pipeline::new(
        &broker,
        &[
            ("config.providers", "file".to_string()),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider".to_string(),
            ),
        ],
    );
    let fifo = p.dir.path().join("secrets.fifo");
    mkfifo(&fifo);
    let mut w = Worker::start(&p.args(), &[]);
    w.wait_for_rest(p.port, Duration::from_secs(30));
    p.append(100);
    p.wait_caught_up(&w, Duration::from_secs(60), "before the validations");

    let url = p.url("/connector-plugins/FileStreamSource/config/validate");
    let body = json!({
        "connector.class": "FileStreamSource",
        "topic": "connect-test",
        "file": format!("${{file:{}:k}}", fifo.display()),
    });
    let clients: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            std::thread::spawn(move || {
                // Every request blocks in the worker: the client gives up after a while.
                let http = Http::with_timeout(Duration::from_secs(5));
                http.try_request("PUT", &url, Some(("application/json", &body.to_string())))
                    .ok()
            })
        })
        .collect();
    // Let the requests reach the provider reads.
    std::thread::sleep(Duration::from_secs(2));

    // The pipeline still moves lines and commits offsets.
    p.append(50);
    p.wait_caught_up(&w, Duration::from_secs(30), "with validations blocked");

    // A connector created now still starts and runs its task.
    let second_input = p.dir.path().join("second.txt");
    fs::write(&second_input, "second 0\nsecond 1\n").unwrap();
    let create = json!({"name": "second-source", "config": {
        "connector.class": "FileStreamSource",
        "file": second_input.display().to_string(),
        "topic": "connect-test",
    }});
    let (code, created) =
        Http::with_timeout(Duration::from_secs(30)).post_json(&p.url("/connectors"), &create);
    assert_eq!(code, 201, "{created}\n{}", w.log_tail(40));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(&p.output).unwrap_or_default();
        if text.lines().any(|l| l == "second 1") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new connector's lines never reached the sink\n{}",
            w.log_tail(60)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let answered: Vec<_> = clients
        .into_iter()
        .map(|c| c.join().expect("a client thread"))
        .collect();
    // The FIFO never had a writer: a validation is either still waiting (a provider that
    // blocks) or refused because the provider will not read a FIFO, never answered with data.
    let bad: Vec<_> = answered
        .iter()
        .flatten()
        .filter(|(code, body)| *code != 400 || !body.contains("is a FIFO"))
        .collect();
    assert!(
        bad.is_empty(),
        "a validation reading the FIFO was answered: {bad:?}"
    );
    p.append(10);
    p.wait_caught_up(&w, Duration::from_secs(30), "after the validations");
    let (code, body) = Http::with_timeout(Duration::from_secs(10)).get(&p.url("/connectors"));
    assert_eq!(code, 200, "{body}");
    // The provider reads still block on the FIFO: stopping must not wait for them.
    assert!(w.stop().success(), "graceful stop exits 0");
}
