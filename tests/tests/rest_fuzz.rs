//! Schema-driven fuzzing of the REST API (issue 12): schemathesis (PyPI `schemathesis`,
//! installed by `scripts/install-schemathesis` into `.tools/schemathesis`) reads the
//! OpenAPI document rconnect serves at `/openapi.json` and sends generated requests to a
//! standalone worker.
//!
//! The check (`tests/fuzz/java_style_errors.py`): no 5xx, except the 500s Java answers for
//! the same input (bodies Jackson cannot parse or bind, `null` bodies, and a few herder
//! exceptions), each with Java's `{"error_code":500,"message":...}` body. Any other server
//! error (an internal error, a recursion limit, a timeout, a dropped connection) fails.
//!
//! Bounded: `RCONNECT_FUZZ_MAX_EXAMPLES` examples per operation (default 25) and
//! `RCONNECT_FUZZ_MAX_SECONDS` for the whole run (default 120), with a fixed seed
//! (`RCONNECT_FUZZ_SEED`, default 1) so a failure can be replayed.
//!
//! Needs python3 with venv and pip (or an installed `.tools/schemathesis`); without them the
//! test says so and fails, unless `RCONNECT_SKIP_FUZZ_TESTS=1` is set.

use std::process::{Command, Stdio};
use std::time::Duration;

use rconnect_tests::{free_port, rconnect_bin, repo_root, Broker};

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

/// The `st` command, installed on demand.
fn schemathesis() -> Result<String, String> {
    let out = Command::new(repo_root().join("scripts/install-schemathesis"))
        .output()
        .map_err(|e| format!("cannot run scripts/install-schemathesis: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/install-schemathesis failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn fuzzed_requests_get_no_server_errors_java_would_not_give() {
    let st = match schemathesis() {
        Ok(st) => st,
        Err(why) => {
            if std::env::var("RCONNECT_SKIP_FUZZ_TESTS").as_deref() == Ok("1") {
                println!("SKIPPED the REST fuzz run: {why} (RCONNECT_SKIP_FUZZ_TESTS=1)");
                return;
            }
            panic!(
                "the REST fuzz run needs schemathesis: {why}. Set RCONNECT_SKIP_FUZZ_TESTS=1 to \
                 skip it"
            );
        }
    };
    let broker = Broker::start();
    // The worker runs in a scratch directory: fuzzed FileStream connectors write files
    // relative to it.
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             offset.storage.file.filename={}/offsets\nlisteners=http://127.0.0.1:{port}\n\
             consumer.session.timeout.ms=6000\nconsumer.heartbeat.interval.ms=1000\n",
            broker.bootstrap(),
            dir.path().display()
        ),
    )
    .expect("write worker.properties");
    let log = std::fs::File::create(dir.path().join("rconnect.log")).expect("log file");
    let mut worker = Command::new(rconnect_bin())
        .arg("standalone")
        .arg(&props)
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().expect("dup log"))
        .stderr(log)
        .spawn()
        .expect("start rconnect");
    let http = rconnect_tests::Http::with_timeout(Duration::from_secs(5));
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..300 {
        if matches!(
            http.try_request("GET", &format!("{base}/connectors"), None),
            Ok((200, _))
        ) {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "rconnect did not answer on {base}");

    let report = dir.path().join("report");
    let status = Command::new(&st)
        .args([
            "run",
            &format!("{base}/openapi.json"),
            "--checks",
            "java_style_server_errors",
            "--max-examples",
            &env_or("RCONNECT_FUZZ_MAX_EXAMPLES", "25"),
            "--max-time",
            &env_or("RCONNECT_FUZZ_MAX_SECONDS", "120"),
            "--seed",
            &env_or("RCONNECT_FUZZ_SEED", "1"),
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
            "--report-dir",
            report.to_str().unwrap(),
        ])
        .env("PYTHONPATH", repo_root().join("tests/fuzz"))
        .env("SCHEMATHESIS_HOOKS", "java_style_errors")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .status()
        .expect("run schemathesis");
    let alive = worker.try_wait().expect("worker status").is_none();
    let _ = worker.kill();
    let _ = worker.wait();
    let tail = rconnect_tests::log_tail(&dir.path().join("rconnect.log"), 40);
    assert!(alive, "rconnect exited during the fuzz run; log:\n{tail}");
    assert!(
        status.success(),
        "schemathesis found server errors Java would not give (its output is above); \
         rconnect log:\n{tail}"
    );
}
