//! The packaging files of deploy/ and the Dockerfile: the container entrypoint starts a real
//! distributed worker from Confluent-style CONNECT_* variables, the systemd units pass
//! `systemd-analyze verify`, the Dockerfile passes hadolint and the Kubernetes manifests
//! validate against the Kubernetes API schemas (linters from `scripts/install-ops-tools`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rconnect_tests::{free_port, rconnect_bin, repo_root, Broker, Http};

fn packaging_tools() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/install-ops-tools"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/install-ops-tools");
    assert!(
        out.status.success(),
        "scripts/install-ops-tools failed (it needs python3 and PyPI)"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn entrypoint() -> PathBuf {
    repo_root().join("deploy/docker/docker-entrypoint.sh")
}

#[test]
fn entrypoint_runs_a_distributed_worker_from_connect_environment() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let group = rconnect_tests::unique_name("entrypoint");
    let mut child = Command::new("sh")
        .arg(entrypoint())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RCONNECT_BIN", rconnect_bin())
        .env("RCONNECT_CONFIG_DIR", dir.path())
        .env("CONNECT_BOOTSTRAP_SERVERS", broker.bootstrap())
        .env("CONNECT_GROUP_ID", &group)
        .env("CONNECT_CONFIG_STORAGE_TOPIC", format!("{group}-configs"))
        .env("CONNECT_OFFSET_STORAGE_TOPIC", format!("{group}-offsets"))
        .env("CONNECT_STATUS_STORAGE_TOPIC", format!("{group}-status"))
        .env("CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR", "1")
        .env("CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR", "1")
        .env("CONNECT_STATUS_STORAGE_REPLICATION_FACTOR", "1")
        .env("CONNECT_REST_PORT", port.to_string())
        .env("CONNECT_REST_ADVERTISED_HOST_NAME", "127.0.0.1")
        .env("CONNECT_PLUGIN_PATH", dir.path())
        // tansu joins slowly with the default session timeout (docs/tansu.md).
        .env("CONNECT_SESSION_TIMEOUT_MS", "6000")
        .env("CONNECT_HEARTBEAT_INTERVAL_MS", "1000")
        .env("CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS", "0")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the entrypoint");

    let http = Http::new();
    let health = format!("http://127.0.0.1:{port}/health");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut last = (0, String::new());
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the worker exited with {status}");
        }
        last = http
            .try_request("GET", &health, None)
            .unwrap_or((0, String::new()));
        if last.0 == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(last.0, 200, "GET /health: {last:?}");

    let written = std::fs::read_to_string(dir.path().join("worker.properties"))
        .expect("the entrypoint writes worker.properties");
    for line in [
        format!("bootstrap.servers={}", broker.bootstrap()),
        format!("group.id={group}"),
        format!("listeners=http://0.0.0.0:{port}"),
        "key.converter=org.apache.kafka.connect.json.JsonConverter".to_string(),
        "scheduled.rebalance.max.delay.ms=0".to_string(),
        "rest.advertised.host.name=127.0.0.1".to_string(),
    ] {
        assert!(written.lines().any(|l| l == line), "{line} in:\n{written}");
    }
    assert!(
        !written.contains("rest.port"),
        "CONNECT_REST_PORT became a listener:\n{written}"
    );
}

#[test]
fn entrypoint_names_the_missing_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, text) = run(Command::new("sh")
        .arg(entrypoint())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RCONNECT_BIN", rconnect_bin())
        .env("RCONNECT_CONFIG_DIR", dir.path())
        .env("CONNECT_BOOTSTRAP_SERVERS", "127.0.0.1:1"));
    assert!(!ok, "{text}");
    assert!(
        text.contains("missing environment: CONNECT_GROUP_ID CONNECT_CONFIG_STORAGE_TOPIC CONNECT_OFFSET_STORAGE_TOPIC CONNECT_STATUS_STORAGE_TOPIC"),
        "{text}"
    );
    // With arguments it is plain rconnect.
    let (ok, text) = run(Command::new("sh")
        .arg(entrypoint())
        .arg("--version")
        .env("RCONNECT_BIN", rconnect_bin()));
    assert!(ok && text.starts_with("rconnect "), "{text}");
}

/// `systemd-analyze verify` on a copy of `unit` whose binary path is this build's.
fn verify_unit(unit: &Path) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(unit).expect("read unit");
    let text = text.replace(
        "/usr/local/bin/rconnect",
        rconnect_bin().to_str().expect("utf-8 path"),
    );
    let copy = dir.path().join(unit.file_name().expect("file name"));
    std::fs::write(&copy, text).expect("write unit");
    run(Command::new("systemd-analyze").arg("verify").arg(&copy))
}

#[test]
fn systemd_units_verify() {
    for unit in ["rconnect.service", "rconnect-standalone.service"] {
        let (ok, text) = verify_unit(&repo_root().join("deploy/systemd").join(unit));
        // verify reports unknown or malformed directives on stderr and still exits 0.
        assert!(ok && text.trim().is_empty(), "{unit}:\n{text}");
    }
    // The check itself catches a bad directive.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("rconnect.service");
    std::fs::write(
        &bad,
        std::fs::read_to_string(repo_root().join("deploy/systemd/rconnect.service"))
            .unwrap()
            .replace("Restart=on-failure", "Restart=sometimes"),
    )
    .unwrap();
    let (_, text) = verify_unit(&bad);
    assert!(text.contains("sometimes"), "{text}");
}

#[test]
fn dockerfile_and_kubernetes_manifests_pass_their_linters() {
    let bin = packaging_tools();
    let (ok, text) = run(Command::new(bin.join("hadolint"))
        .arg("--no-color")
        .arg(repo_root().join("Dockerfile")));
    assert!(ok, "hadolint Dockerfile:\n{text}");

    let manifests: Vec<PathBuf> = std::fs::read_dir(repo_root().join("deploy/kubernetes"))
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(manifests.len() >= 4, "{manifests:?}");
    let (ok, text) = run(Command::new(bin.join("kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .args(&manifests));
    assert!(ok, "kubernetes-validate:\n{text}");

    // The validator itself rejects a wrong manifest.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: \"three\"\n",
    )
    .unwrap();
    let (ok, text) = run(Command::new(bin.join("kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .arg(&bad));
    assert!(!ok && text.contains("replicas"), "{text}");
}
