//! End-to-end tests of `scripts/quickstart`, run from a fresh `git clone` of this repository
//! (so they test what is committed, not the working tree) with `CARGO_TARGET_DIR` pointing at
//! the target directory these tests were built in: the clone has no `target/` of its own, so
//! the script passes only if it asks cargo where the binary is, and the dependencies are not
//! rebuilt.
//!
//! The quickstart uses the fixed ports of the samples, 9092 (broker) and 8083 (REST API).
//! The tests of this file take [`FIXED_PORTS`] so that they never run at the same time, and no
//! other test uses those ports (they all take free ports). If something else on the machine
//! holds 8083 or 9092, the tests fail and say so.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rconnect_tests::{repo_root, tansu_bin};

const KAFKA_PORT: u16 = 9092;
const REST_PORT: u16 = 8083;

/// Held by each test for its whole run: the quickstart's ports are fixed.
static FIXED_PORTS: Mutex<()> = Mutex::new(());

fn fixed_ports() -> MutexGuard<'static, ()> {
    FIXED_PORTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Binds `port` on every interface, failing the test clearly when another process has it.
fn hold(port: u16) -> TcpListener {
    TcpListener::bind(("0.0.0.0", port)).unwrap_or_else(|e| {
        panic!(
            "port {port} is already in use on this machine ({e}): the quickstart tests need \
             ports {KAFKA_PORT} and {REST_PORT} free; `ss -ltnp 'sport = :{port}'` shows what \
             holds it"
        )
    })
}

/// The target directory this test executable was built in
/// (`<target>/<profile>/deps/quickstart-<hash>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    exe.ancestors()
        .nth(3)
        .expect("the test executable lives in <target>/<profile>/deps")
        .to_path_buf()
}

/// A fresh clone of the repository's committed HEAD, made once per run of this file. It
/// lives at a fixed path in the target directory, replaced on every run: cargo names the
/// artifacts of workspace crates after their path, so a new path per run would add a full
/// set of them to the target directory each time.
fn fresh_clone() -> PathBuf {
    static CLONE: OnceLock<PathBuf> = OnceLock::new();
    CLONE.get_or_init(clone_repo).clone()
}

fn clone_repo() -> PathBuf {
    let dir = target_dir().join("quickstart-test");
    let clone = dir.join("repo");
    if clone.exists() {
        fs::remove_dir_all(&clone)
            .unwrap_or_else(|e| panic!("cannot remove the old clone {}: {e}", clone.display()));
    }
    fs::create_dir_all(&dir).unwrap();
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(repo_root())
        .arg(&clone)
        .output()
        .expect("run git clone");
    assert!(
        out.status.success(),
        "git clone {} failed: {}",
        repo_root().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    clone
}

struct Run {
    status: ExitStatus,
    output: String,
    elapsed: Duration,
}

/// Runs `<clone>/scripts/quickstart --once` with `env`, its stdout and stderr together in one
/// text. After `limit`, the script gets SIGTERM (its trap stops what it started), then
/// SIGKILL 40 s later; the test fails either way.
fn run_quickstart(clone: &Path, tmp: &Path, env: &[(&str, &str)], limit: Duration) -> Run {
    run_quickstart_with(clone, tmp, env, limit, &["--once"], |_, _| {})
}

/// [`run_quickstart`] with `args`; `watch` is called with the output so far and the
/// script's pid until it exits.
fn run_quickstart_with(
    clone: &Path,
    tmp: &Path,
    env: &[(&str, &str)],
    limit: Duration,
    args: &[&str],
    mut watch: impl FnMut(&str, u32),
) -> Run {
    let log = tmp.join("quickstart-output.log");
    let out = fs::File::create(&log).unwrap();
    let mut cmd = Command::new(clone.join("scripts/quickstart"));
    cmd.args(args)
        .current_dir(clone)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RCONNECT_TANSU", tansu_bin())
        .env("QUICKSTART_PROFILE", "dev")
        .env_remove("QUICKSTART_KEEP")
        .env_remove("QUICKSTART_LINES")
        .env_remove("QUICKSTART_TIMEOUT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start scripts/quickstart");
    let read = || fs::read_to_string(&log).unwrap_or_default();
    loop {
        if let Some(status) = child.try_wait().expect("wait for scripts/quickstart") {
            let output = read();
            let _ = fs::remove_file(&log);
            return Run {
                status,
                output,
                elapsed: started.elapsed(),
            };
        }
        watch(&read(), child.id());
        if started.elapsed() > limit {
            // SAFETY: plain syscall on our own, not yet reaped child.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let term = Instant::now();
            while child.try_wait().ok().flatten().is_none()
                && term.elapsed() < Duration::from_secs(40)
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "scripts/quickstart did not finish within {limit:?}; output:\n{}",
                read()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The clone's build replaced `<target>/debug/rconnect` with its own; puts the working
/// tree's back for the end-to-end tests that run after this file.
fn rebuild_working_tree_binary() {
    let status = Command::new("cargo")
        .args(["build", "-q", "-p", "rconnect"])
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", target_dir())
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "rebuilding the working tree's rconnect failed"
    );
}

/// Entries left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// With `busy` held by the test, the script stops at once, names the port and starts nothing.
fn fails_fast_when_port_busy(busy: u16) {
    let _ports = fixed_ports();
    let other = if busy == REST_PORT {
        KAFKA_PORT
    } else {
        REST_PORT
    };
    drop(hold(other));
    let _held = hold(busy);
    let clone = fresh_clone();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    fs::create_dir(&scratch).unwrap();
    let run = run_quickstart(
        &clone,
        tmp.path(),
        &[("TMPDIR", scratch.to_str().unwrap())],
        Duration::from_secs(5),
    );
    assert!(
        !run.status.success(),
        "quickstart succeeded with port {busy} taken:\n{}",
        run.output
    );
    assert!(
        run.output.contains(&format!("port {busy}")),
        "the output names port {busy} ({:?}):\n{}",
        run.elapsed,
        run.output
    );
    assert!(
        !run.output.contains(&format!("port {other}")),
        "only the busy port is reported:\n{}",
        run.output
    );
    assert!(
        !run.output.contains("building rconnect"),
        "stops before building:\n{}",
        run.output
    );
    assert_eq!(leftovers(&scratch), Vec::<String>::new());
}

#[test]
fn rest_port_in_use_fails_fast_and_names_8083() {
    fails_fast_when_port_busy(REST_PORT);
}

#[test]
fn broker_port_in_use_fails_fast_and_names_9092() {
    fails_fast_when_port_busy(KAFKA_PORT);
}

#[test]
fn once_run_with_cargo_target_dir_moves_the_lines_and_cleans_up() {
    let _ports = fixed_ports();
    drop(hold(KAFKA_PORT));
    drop(hold(REST_PORT));
    let clone = fresh_clone();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    fs::create_dir(&scratch).unwrap();
    let run = run_quickstart(
        &clone,
        tmp.path(),
        &[
            ("TMPDIR", scratch.to_str().unwrap()),
            ("QUICKSTART_LINES", "3"),
        ],
        // A first build of the clone's workspace crates on a busy 2-core machine.
        Duration::from_secs(900),
    );
    rebuild_working_tree_binary();
    assert!(
        run.status.success(),
        "quickstart --once failed ({}):\n{}",
        run.status,
        run.output
    );
    let sink = run
        .output
        .split("test.sink.txt holds 3 lines:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no sink contents in the output:\n{}", run.output));
    let sink_lines: Vec<&str> = sink.lines().take(3).collect();
    assert_eq!(
        sink_lines,
        ["hello rconnect 1", "hello rconnect 2", "hello rconnect 3"],
        "{}",
        run.output
    );
    let expected_bin = target_dir().join("debug/rconnect");
    assert!(
        run.output
            .contains(&format!("using {}", expected_bin.display())),
        "the binary comes from CARGO_TARGET_DIR:\n{}",
        run.output
    );
    assert_eq!(
        leftovers(&scratch),
        Vec::<String>::new(),
        "the scratch directory is removed:\n{}",
        run.output
    );
    // Both ports free again: the worker and the broker were stopped.
    drop(hold(REST_PORT));
    drop(hold(KAFKA_PORT));
}

#[test]
fn interrupt_stops_the_worker_before_the_broker_and_keep_keeps_the_logs() {
    let _ports = fixed_ports();
    drop(hold(KAFKA_PORT));
    drop(hold(REST_PORT));
    let clone = fresh_clone();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    fs::create_dir(&scratch).unwrap();
    let mut interrupted = false;
    let run = run_quickstart_with(
        &clone,
        tmp.path(),
        &[
            ("TMPDIR", scratch.to_str().unwrap()),
            ("QUICKSTART_LINES", "2"),
            ("QUICKSTART_KEEP", "1"),
        ],
        Duration::from_secs(900),
        &[],
        |output, pid| {
            // Ctrl-C on a terminal reaches the script (its children run in their own session).
            if !interrupted && output.contains("Ctrl-C to stop") {
                // SAFETY: plain syscall on our own, not yet reaped child.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGINT);
                }
                interrupted = true;
            }
        },
    );
    rebuild_working_tree_binary();
    assert!(
        interrupted,
        "never reached the interactive wait:\n{}",
        run.output
    );
    assert_eq!(run.status.code(), Some(130), "{}", run.output);
    let kept: Vec<String> = leftovers(&scratch);
    assert_eq!(
        kept.len(),
        1,
        "QUICKSTART_KEEP keeps one directory: {kept:?}"
    );
    let work = scratch.join(&kept[0]);
    assert!(
        run.output.contains(&format!("kept {}", work.display())),
        "says where:\n{}",
        run.output
    );
    // The worker stopped cleanly, with the broker still up: its sink committed and left the
    // group instead of retrying against a dead broker.
    let worker_log = fs::read_to_string(work.join("rconnect.log")).unwrap();
    assert!(worker_log.contains("Kafka Connect stopped"), "{worker_log}");
    assert!(
        !worker_log.contains("Connection refused"),
        "the broker went away before the worker:\n{worker_log}"
    );
    assert_eq!(
        fs::read_to_string(work.join("test.sink.txt")).unwrap(),
        "hello rconnect 1\nhello rconnect 2\n"
    );
    drop(hold(REST_PORT));
    drop(hold(KAFKA_PORT));
}
