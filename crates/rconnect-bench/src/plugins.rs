//! Start-up with 100 plugins: copies of the example datagen library, each under its own
//! class names, in one `plugin.path`; a worker with no connectors is started on them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::broker::{free_port, Broker};
use crate::process::Proc;
use crate::scenarios::{Env, REST_POLL};
use crate::worker::override_properties;

/// How many plugin libraries the scenario loads.
pub const PLUGIN_COPIES: usize = 100;

/// One start-up with the plugins.
#[derive(Clone, Copy, Debug)]
pub struct PluginStartup {
    /// Spawn → first 200 on `GET /`.
    pub rest: Duration,
    /// The worker's own figure for loading the libraries (its log line).
    pub load: Duration,
}

/// The example datagen library next to the rconnect binary (same profile).
fn datagen_library(rconnect: &Path) -> Result<PathBuf> {
    let dir = rconnect
        .parent()
        .context("rconnect has no parent directory")?;
    let lib = dir.join(format!(
        "{}rconnect_example_datagen.{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION
    ));
    if !lib.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p rconnect-example-datagen`",
            lib.display()
        );
    }
    Ok(lib)
}

/// Writes `PLUGIN_COPIES` copies with the class prefix `io.rconnect.examples.` patched to
/// `io.rconnect.copyNNNN.` (same length), one per sub-directory.
fn make_copies(original: &[u8], dir: &Path) -> Result<()> {
    let from = b"io.rconnect.examples.";
    let hits: Vec<usize> = original
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    if hits.is_empty() {
        bail!("the datagen library has no class prefix to patch");
    }
    for n in 0..PLUGIN_COPIES {
        let mut bytes = original.to_vec();
        let to = format!("io.rconnect.copy{n:04}.");
        for &i in &hits {
            bytes[i..i + from.len()].copy_from_slice(to.as_bytes());
        }
        let sub = dir.join(format!("copy{n:04}"));
        std::fs::create_dir_all(&sub)?;
        std::fs::write(sub.join(format!("libdatagen{n:04}.so")), bytes)?;
    }
    Ok(())
}

/// The load time from the worker's `Loaded N plugin components ... in X ms` line.
fn load_time(log: &str) -> Option<Duration> {
    let line = log.lines().find(|l| l.contains("plugin components from"))?;
    let ms: u64 = line
        .rsplit(" in ")
        .next()?
        .trim()
        .strip_suffix(" ms")?
        .parse()
        .ok()?;
    Some(Duration::from_millis(ms))
}

/// `runs` start-ups of a worker whose `plugin.path` holds the copies.
pub fn plugin_startup(env: &Env, runs: usize) -> Result<Vec<PluginStartup>> {
    let dir = env.work.join("plugins");
    let plugin_path = dir.join("plugin.path");
    std::fs::create_dir_all(&plugin_path)?;
    let original = std::fs::read(datagen_library(&env.rconnect)?)?;
    make_copies(&original, &plugin_path)?;
    let broker = Broker::start(&env.tansu, &dir.join("tansu.log"))?;
    let sample = std::fs::read_to_string(env.config_dir.join("connect-standalone.properties"))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let mut out = Vec::with_capacity(runs);
    for run in 0..runs {
        let port = free_port()?;
        let props = dir.join(format!("worker-{run}.properties"));
        let text = override_properties(
            &sample,
            &[
                ("bootstrap.servers", broker.bootstrap()),
                (
                    "offset.storage.file.filename",
                    dir.join(format!("offsets-{run}")).display().to_string(),
                ),
                ("listeners", format!("http://127.0.0.1:{port}")),
                ("plugin.path", plugin_path.display().to_string()),
            ],
        );
        std::fs::write(&props, text)?;
        let log = dir.join(format!("worker-{run}.log"));
        let mut cmd = Command::new(&env.rconnect);
        cmd.arg("standalone").arg(&props);
        let spawned = Instant::now();
        let mut proc = Proc::spawn("rconnect", cmd, &log)?;
        let url = format!("http://127.0.0.1:{port}/");
        let rest = loop {
            if let Ok(r) = agent.get(&url).call() {
                if r.status().as_u16() == 200 {
                    break spawned.elapsed();
                }
            }
            proc.check_alive()?;
            if spawned.elapsed() > Duration::from_secs(30) {
                bail!(
                    "worker with {PLUGIN_COPIES} plugins did not serve REST\n{}",
                    proc.log_tail(30)
                );
            }
            std::thread::sleep(REST_POLL);
        };
        proc.terminate(Duration::from_secs(30))?;
        let load = load_time(&std::fs::read_to_string(&log)?)
            .with_context(|| format!("no plugin load line in {}", log.display()))?;
        eprintln!(
            "  plugin start-up run {}: REST {:.1} ms, loading {} ms",
            run + 1,
            rest.as_secs_f64() * 1000.0,
            load.as_millis()
        );
        out.push(PluginStartup { rest, load });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_time_from_the_worker_log() {
        let log = "x\n2026 INFO rconnect: Loaded 100 plugin components from 100 libraries in plugin.path (0 skipped) in 42 ms\n";
        assert_eq!(load_time(log), Some(Duration::from_millis(42)));
        assert_eq!(load_time("nothing"), None);
    }

    #[test]
    fn copies_get_their_own_class_names() {
        let dir = tempfile::tempdir().unwrap();
        let lib = b"..io.rconnect.examples.DataGen..io.rconnect.examples.Task..".to_vec();
        make_copies(&lib, dir.path()).unwrap();
        let copy = std::fs::read(dir.path().join("copy0007/libdatagen0007.so")).unwrap();
        assert_eq!(
            copy,
            b"..io.rconnect.copy0007.DataGen..io.rconnect.copy0007.Task..".to_vec()
        );
    }
}
