//! Config providers attacked through REST, end to end through the real binary: KIP-993
//! `allowed.paths`, reads that cannot block or grow (FIFOs, `/dev/zero`), and resolved
//! values never coming back in validation answers or status traces.
//!
//! Build the binary first: `cargo build -p rconnect`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rconnect_tests::{free_port, Broker, Http, Worker};
use serde_json::{json, Value};

const SECRET_INSIDE: &str = "inside-Secret-7f3a";
const SECRET_OUTSIDE: &str = "outside-Secret-91bc";
const SECRET_ENV: &str = "env-Secret-c0ffee";
const SECRET_PATH: &str = "path-Secret-5e5e";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        fs::create_dir(&allowed).unwrap();
        fs::create_dir(dir.path().join("outside")).unwrap();
        fs::write(
            allowed.join("secrets.properties"),
            format!("pw={SECRET_INSIDE}\nsrcfile=/etc/hostname/{SECRET_PATH}\ntopic=t\n"),
        )
        .unwrap();
        fs::write(
            dir.path().join("outside/secrets.properties"),
            format!("pw={SECRET_OUTSIDE}\n"),
        )
        .unwrap();
        mkfifo(&allowed.join("fifo"));
        Files { dir }
    }

    fn allowed(&self) -> PathBuf {
        self.dir.path().join("allowed")
    }

    fn inside(&self) -> String {
        self.allowed()
            .join("secrets.properties")
            .display()
            .to_string()
    }

    fn outside(&self) -> String {
        self.dir
            .path()
            .join("outside/secrets.properties")
            .display()
            .to_string()
    }

    fn fifo(&self) -> String {
        self.allowed().join("fifo").display().to_string()
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

/// A standalone worker declaring `file` and `dir` providers, with `allowed.paths` when given.
fn start_worker(broker: &Broker, files: &Files, allowed: Option<&Path>) -> (Worker, u16) {
    let port = free_port();
    let name = if allowed.is_some() {
        "restricted"
    } else {
        "open"
    };
    let mut props = format!(
        "bootstrap.servers={}\n\
         key.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n\
         offset.storage.file.filename={}\n\
         offset.flush.interval.ms=1000\n\
         listeners=http://127.0.0.1:{port}\n\
         config.providers=file,dir\n\
         config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n\
         config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider\n",
        broker.bootstrap(),
        files
            .dir
            .path()
            .join(format!("{name}.offsets"))
            .display(),
    );
    if let Some(a) = allowed {
        props.push_str(&format!(
            "config.providers.file.param.allowed.paths={a}\nconfig.providers.dir.param.allowed.paths={a}\n",
            a = a.display()
        ));
    }
    let path = files.dir.path().join(format!("{name}.properties"));
    fs::write(&path, props).unwrap();
    let mut worker = Worker::start(
        &["standalone", path.to_str().unwrap()],
        &[("RCONNECT_E2E_ENV_SECRET", SECRET_ENV)],
    );
    worker.wait_for_rest(port, Duration::from_secs(30));
    (worker, port)
}

/// `PUT /connector-plugins/FileStreamSource/config/validate` with `topic` set to `topic`.
fn validate(http: &Http, port: u16, topic: &str) -> (u16, String) {
    http.put_json(
        &format!("http://127.0.0.1:{port}/connector-plugins/FileStreamSource/config/validate"),
        &json!({
            "connector.class": "FileStreamSource",
            "name": "probe",
            "file": "/tmp/rconnect-probe-input",
            "topic": topic,
        }),
    )
}

fn assert_no_secret(body: &str) {
    for s in [SECRET_INSIDE, SECRET_OUTSIDE, SECRET_ENV, SECRET_PATH] {
        assert!(!body.contains(s), "{s} leaked in: {body}");
    }
}

/// The `topic` value the validate answer shows.
fn topic_value(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap();
    v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "topic")
        .map(|c| c["value"]["value"].clone())
        .unwrap_or(Value::Null)
}

fn vm_rss_kb(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// Waits until `GET /connectors/{name}/status` satisfies `done`; the last body.
fn wait_status(http: &Http, port: u16, name: &str, done: impl Fn(&Value) -> bool) -> String {
    let url = format!("http://127.0.0.1:{port}/connectors/{name}/status");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = http.get(&url);
        if code == 200 && done(&serde_json::from_str(&body).unwrap()) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "status never as expected: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn allowed_paths_refuse_outside_references_with_java_text() {
    let broker = Broker::start();
    let files = Files::new();
    let (worker, port) = start_worker(&broker, &files, Some(&files.allowed()));
    let http = Http::with_timeout(Duration::from_secs(60));

    for (reference, path) in [
        (format!("${{file:{}:pw}}", files.outside()), files.outside()),
        (
            format!(
                "${{file:{}/../outside/secrets.properties:pw}}",
                files.allowed().display()
            ),
            format!(
                "{}/../outside/secrets.properties",
                files.allowed().display()
            ),
        ),
        (
            "${file:/etc/shadow:root}".to_string(),
            "/etc/shadow".to_string(),
        ),
        (
            "${dir:/proc/self:environ}".to_string(),
            "/proc/self".to_string(),
        ),
    ] {
        let (code, body) = validate(&http, port, &reference);
        assert_eq!(code, 400, "{reference}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["message"],
            json!(format!("The path {path} is not allowed to be accessed")),
            "{reference}"
        );
        assert_no_secret(&body);
    }

    // Inside the allowed path: resolved for validation, shown as sent.
    let reference = format!("${{file:{}:pw}}", files.inside());
    let (code, body) = validate(&http, port, &reference);
    assert_eq!(code, 200, "{body}");
    assert_eq!(topic_value(&body), json!(reference));
    assert_no_secret(&body);

    // A FIFO inside the allowed path answers with an error instead of hanging.
    let reference = format!("${{file:{}:k}}", files.fifo());
    let (code, body) = validate(&http, port, &reference);
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("is a FIFO, not a regular file"), "{body}");
    assert!(body.contains(&reference), "{body}");
    assert_no_secret(&worker.log());
}

#[test]
fn without_allowed_paths_values_still_never_come_back() {
    let broker = Broker::start();
    let files = Files::new();
    let (worker, port) = start_worker(&broker, &files, None);
    let http = Http::with_timeout(Duration::from_secs(60));

    // Readable (Java's default: every path), validated, but answered as sent.
    for reference in [
        format!("${{file:{}:pw}}", files.outside()),
        "${dir:/proc/self:environ}".to_string(),
    ] {
        let (code, body) = validate(&http, port, &reference);
        assert_eq!(code, 200, "{reference}: {body}");
        assert_eq!(topic_value(&body), json!(reference));
        assert_no_secret(&body);
    }

    // /dev/zero: a clear error, and the worker does not grow.
    let (code, body) = validate(&http, port, "${file:/dev/zero:x}");
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("/dev/zero is a character device, not a regular file"),
        "{body}"
    );
    let rss_kb = vm_rss_kb(worker.pid());
    eprintln!("worker VmRSS after ${{file:/dev/zero:x}}: {rss_kb} kB");
    assert!(
        rss_kb < 100 * 1024,
        "worker RSS {rss_kb} kB after /dev/zero"
    );

    // FIFOs: errors, not hangs, however many arrive at once (each used to pin a thread
    // of tokio's blocking pool for good).
    let fifo = format!("${{file:{}:k}}", files.fifo());
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..64)
            .map(|_| scope.spawn(|| validate(&http, port, &fifo)))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (code, body) in answers {
        assert_eq!(code, 400, "{body}");
        assert!(body.contains("is a FIFO, not a regular file"), "{body}");
    }

    // The REST server and providers still serve afterwards.
    let (code, _) = validate(&http, port, &format!("${{file:{}:pw}}", files.inside()));
    assert_eq!(code, 200);
    assert_no_secret(&worker.log());
}

#[test]
fn failure_traces_carry_references_not_values() {
    let broker = Broker::start();
    let files = Files::new();
    let (worker, port) = start_worker(&broker, &files, Some(&files.allowed()));
    let http = Http::with_timeout(Duration::from_secs(60));
    let inside = files.inside();

    // The file source fails opening a resolved path that names a secret.
    let (code, body) = http.post_json(
        &format!("http://127.0.0.1:{port}/connectors"),
        &json!({
            "name": "leaky",
            "config": {
                "connector.class": "FileStreamSource",
                "file": format!("${{file:{inside}:srcfile}}"),
                "topic": format!("${{file:{inside}:topic}}"),
            }
        }),
    );
    assert_eq!(code, 201, "{body}");
    let status = wait_status(&http, port, "leaky", |s| s["tasks"][0]["state"] == "FAILED");
    assert_no_secret(&status);
    assert!(
        status.contains(&format!("${{file:{inside}:srcfile}}")),
        "the trace names the reference: {status}"
    );
    let (_, config) = http.get(&format!("http://127.0.0.1:{port}/connectors/leaky/config"));
    assert_no_secret(&config);
    let (_, topics) = http.get(&format!("http://127.0.0.1:{port}/connectors/leaky/topics"));
    assert_no_secret(&topics);

    // A reference whose read starts failing (the file became a FIFO): the restarted
    // connector is FAILED with a trace naming the reference, and nothing hangs.
    let (code, body) = http.post_json(
        &format!("http://127.0.0.1:{port}/connectors"),
        &json!({
            "name": "swapped",
            "config": {
                "connector.class": "FileStreamSource",
                "file": "/tmp/rconnect-swapped-input",
                "topic": format!("${{file:{}/swap.properties:topic}}", files.allowed().display()),
            }
        }),
    );
    // Not there yet: Java's answer for an unreadable file is an error.
    assert_eq!(code, 400, "{body}");
    fs::write(files.allowed().join("swap.properties"), "topic=swap\n").unwrap();
    let (code, body) = http.post_json(
        &format!("http://127.0.0.1:{port}/connectors"),
        &json!({
            "name": "swapped",
            "config": {
                "connector.class": "FileStreamSource",
                "file": "/tmp/rconnect-swapped-input",
                "topic": format!("${{file:{}/swap.properties:topic}}", files.allowed().display()),
            }
        }),
    );
    assert_eq!(code, 201, "{body}");
    wait_status(&http, port, "swapped", |s| {
        s["connector"]["state"] == "RUNNING"
    });
    fs::remove_file(files.allowed().join("swap.properties")).unwrap();
    mkfifo(&files.allowed().join("swap.properties"));
    // The answer may already carry the failure; the status is what is checked.
    let _ = http.post_empty(&format!(
        "http://127.0.0.1:{port}/connectors/swapped/restart"
    ));
    let status = wait_status(&http, port, "swapped", |s| {
        s["connector"]["state"] == "FAILED"
    });
    assert!(status.contains("is a FIFO, not a regular file"), "{status}");
    assert_no_secret(&status);
    // No log line carries a resolved value either: not the runtime's failure warnings,
    // not the file connector's own error about the path it could not open.
    let log = worker.log();
    assert!(
        log.lines().any(
            |l| l.contains("task failed") && l.contains(&format!("${{file:{inside}:srcfile}}"))
        ),
        "no task failure logged with the reference:\n{log}"
    );
    assert_no_secret(&log);
}
