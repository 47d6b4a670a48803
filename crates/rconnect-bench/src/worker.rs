//! An `rconnect standalone` worker process configured from the sample files of `config/`,
//! and the REST calls the benchmark makes to it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use serde_json::Value as Json;

use crate::process::Proc;
use crate::procfs;

/// Name of the sample source connector (`config/connect-file-source.properties`).
pub const SAMPLE_SOURCE: &str = "local-file-source";
/// Name of the sample sink connector (`config/connect-file-sink.properties`).
pub const SAMPLE_SINK: &str = "local-file-sink";
/// The topic both samples use.
pub const SAMPLE_TOPIC: &str = "connect-test";

/// Returns `text` (a `.properties` file) with the keys of `overrides` set: an existing
/// `key=value` line is replaced in place, a missing key is appended. Comments, blank lines
/// and other keys are kept as they are.
pub fn override_properties(text: &str, overrides: &[(&str, String)]) -> String {
    let mut used = vec![false; overrides.len()];
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        let trimmed = line.trim_start();
        let key = if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            None
        } else {
            let end = trimmed
                .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
                .unwrap_or(trimmed.len());
            Some(&trimmed[..end])
        };
        match key.and_then(|k| overrides.iter().position(|(o, _)| *o == k)) {
            Some(i) => {
                used[i] = true;
                out.push_str(&property_line(overrides[i].0, &overrides[i].1));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    for (i, (k, v)) in overrides.iter().enumerate() {
        if !used[i] {
            out.push_str(&property_line(k, v));
            out.push('\n');
        }
    }
    out
}

fn property_line(key: &str, value: &str) -> String {
    format!("{key}={}", value.replace('\\', "\\\\"))
}

/// The three sample files of `config/`, read once.
#[derive(Clone, Debug)]
pub struct Samples {
    worker: String,
    source: String,
    sink: String,
}

impl Samples {
    /// Reads `connect-standalone.properties`, `connect-file-source.properties` and
    /// `connect-file-sink.properties` from `dir`.
    pub fn load(dir: &Path) -> Result<Samples> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        Ok(Samples {
            worker: read("connect-standalone.properties")?,
            source: read("connect-file-source.properties")?,
            sink: read("connect-file-sink.properties")?,
        })
    }

    /// Writes the samples into `dir` with the broker, REST port, offsets file and data files
    /// overridden (plus `consumer.session.timeout.ms=6000`, which tansu needs for quick group
    /// joins), and a small `test.txt` for the sample source.
    pub fn write(&self, dir: &Path, bootstrap: &str, rest_port: u16) -> Result<WorkerFiles> {
        let path = |name: &str| dir.join(name);
        let text = |p: &Path| p.to_string_lossy().into_owned();
        let files = WorkerFiles {
            worker: path("connect-standalone.properties"),
            source: path("connect-file-source.properties"),
            sink: path("connect-file-sink.properties"),
            source_input: path("test.txt"),
            sink_output: path("test.sink.txt"),
            rest_port,
        };
        let worker = override_properties(
            &self.worker,
            &[
                ("bootstrap.servers", bootstrap.to_string()),
                (
                    "offset.storage.file.filename",
                    text(&path("connect.offsets")),
                ),
                ("listeners", format!("http://127.0.0.1:{rest_port}")),
                ("consumer.session.timeout.ms", "6000".into()),
            ],
        );
        let source = override_properties(&self.source, &[("file", text(&files.source_input))]);
        let sink = override_properties(&self.sink, &[("file", text(&files.sink_output))]);
        for (p, content) in [
            (&files.worker, worker),
            (&files.source, source),
            (&files.sink, sink),
            (&files.source_input, "foo\nbar\n".to_string()),
        ] {
            std::fs::write(p, content).with_context(|| format!("writing {}", p.display()))?;
        }
        Ok(files)
    }
}

/// Paths of one worker's configuration and sample data.
#[derive(Clone, Debug)]
pub struct WorkerFiles {
    /// Worker properties.
    pub worker: PathBuf,
    /// Sample source connector properties.
    pub source: PathBuf,
    /// Sample sink connector properties.
    pub sink: PathBuf,
    /// The file the sample source reads.
    pub source_input: PathBuf,
    /// The file the sample sink writes.
    pub sink_output: PathBuf,
    /// The REST port in `listeners`.
    pub rest_port: u16,
}

/// A running `rconnect standalone` process; killed on drop.
pub struct Worker {
    proc: Proc,
    base: String,
    http: ureq::Agent,
}

impl Worker {
    /// Spawns `bin standalone worker.properties source.properties sink.properties`.
    pub fn start(bin: &Path, files: &WorkerFiles, log: &Path) -> Result<Worker> {
        Worker::start_with(
            bin,
            files,
            &[files.source.as_path(), files.sink.as_path()],
            log,
        )
    }

    /// Spawns `bin standalone worker.properties connectors...` (no connector files: a worker
    /// that only serves REST until connectors are created through it).
    pub fn start_with(
        bin: &Path,
        files: &WorkerFiles,
        connectors: &[&Path],
        log: &Path,
    ) -> Result<Worker> {
        let mut cmd = Command::new(bin);
        cmd.arg("standalone").arg(&files.worker).args(connectors);
        let proc = Proc::spawn("rconnect", cmd, log)?;
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Worker {
            proc,
            base: format!("http://127.0.0.1:{}", files.rest_port),
            http,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// When the process was spawned.
    pub fn started(&self) -> Instant {
        self.proc.started()
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> Result<procfs::Memory> {
        procfs::memory(self.pid())
    }

    /// CPU time used so far.
    pub fn cpu_time(&self) -> Result<Duration> {
        procfs::cpu_time(self.pid())
    }

    /// An error with the log tail if the worker has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        self.proc.check_alive()
    }

    /// The last `lines` lines of the worker's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.proc.log_tail(lines)
    }

    /// Polls `GET /` every `interval` until it answers 200; returns the time since spawn.
    pub fn wait_rest(&mut self, interval: Duration, timeout: Duration) -> Result<Duration> {
        let url = format!("{}/", self.base);
        let deadline = self.started() + timeout;
        loop {
            if let Ok((200, _)) = self.get(&url) {
                return Ok(self.started().elapsed());
            }
            self.check_alive()?;
            if Instant::now() >= deadline {
                bail!(
                    "GET {url} did not answer 200 within {timeout:?}\n{}",
                    self.log_tail(40)
                );
            }
            std::thread::sleep(interval);
        }
    }

    /// Polls `GET /connectors?expand=status` every `interval` until every connector of
    /// `names` and all its tasks (at least one) are RUNNING; returns the time since spawn.
    pub fn wait_running(
        &mut self,
        names: &[&str],
        interval: Duration,
        timeout: Duration,
    ) -> Result<Duration> {
        let url = format!("{}/connectors?expand=status", self.base);
        let deadline = self.started() + timeout;
        let mut last = String::new();
        loop {
            if let Ok((200, body)) = self.get(&url) {
                if let Ok(json) = serde_json::from_str::<Json>(&body) {
                    if names.iter().all(|n| all_running(&json, n)) {
                        return Ok(self.started().elapsed());
                    }
                }
                last = body;
            }
            self.check_alive()?;
            if Instant::now() >= deadline {
                bail!(
                    "connectors {names:?} not all RUNNING within {timeout:?}; last status: {last}\n{}",
                    self.log_tail(40)
                );
            }
            std::thread::sleep(interval);
        }
    }

    /// `POST /connectors` with `name` and `config`; expects 201.
    pub fn create_connector(&self, name: &str, config: &[(&str, String)]) -> Result<()> {
        let config: serde_json::Map<String, Json> = config
            .iter()
            .map(|(k, v)| (k.to_string(), Json::String(v.clone())))
            .collect();
        let body = serde_json::json!({ "name": name, "config": config }).to_string();
        let url = format!("{}/connectors", self.base);
        let mut response = self
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body)
            .with_context(|| format!("POST {url}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        if status != 201 {
            bail!("POST {url} ({name}) answered {status}: {text}");
        }
        Ok(())
    }

    /// `DELETE /connectors/{name}`; expects 2xx.
    pub fn delete_connector(&self, name: &str) -> Result<()> {
        let url = format!("{}/connectors/{name}", self.base);
        let response = self
            .http
            .delete(&url)
            .call()
            .with_context(|| format!("DELETE {url}"))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            bail!("DELETE {url} answered {status}");
        }
        Ok(())
    }

    /// SIGTERM and up to 30 s for a clean exit (then SIGKILL and an error).
    pub fn stop(&mut self) -> Result<()> {
        self.proc.terminate(Duration::from_secs(30)).map(|_| ())
    }

    fn get(&self, url: &str) -> Result<(u16, String)> {
        let mut response = self.http.get(url).call()?;
        let status = response.status().as_u16();
        Ok((status, response.body_mut().read_to_string()?))
    }
}

/// True when `status[name]` shows the connector and all its tasks (at least one) RUNNING.
fn all_running(status: &Json, name: &str) -> bool {
    let s = &status[name]["status"];
    let tasks = s["tasks"].as_array();
    s["connector"]["state"] == "RUNNING"
        && tasks.is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "RUNNING"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_in_place_and_append() {
        let text = "# c\nbootstrap.servers=localhost:9092\n\nfile = test.txt\n#listeners=x\n";
        let out = override_properties(
            text,
            &[
                ("bootstrap.servers", "127.0.0.1:1".into()),
                ("file", "C:\\x".into()),
                ("listeners", "http://127.0.0.1:2".into()),
            ],
        );
        assert_eq!(
            out,
            "# c\nbootstrap.servers=127.0.0.1:1\n\nfile=C:\\\\x\n#listeners=x\nlisteners=http://127.0.0.1:2\n"
        );
    }

    #[test]
    fn running_needs_connector_and_every_task() {
        let json: Json = serde_json::from_str(
            r#"{"a":{"status":{"connector":{"state":"RUNNING"},"tasks":[{"id":0,"state":"RUNNING"}]}},
                "b":{"status":{"connector":{"state":"RUNNING"},"tasks":[]}},
                "c":{"status":{"connector":{"state":"RUNNING"},"tasks":[{"state":"RUNNING"},{"state":"FAILED"}]}}}"#,
        )
        .unwrap();
        assert!(all_running(&json, "a"));
        assert!(!all_running(&json, "b"));
        assert!(!all_running(&json, "c"));
        assert!(!all_running(&json, "missing"));
    }

    #[test]
    fn samples_are_written_with_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let samples = Samples::load(&config).unwrap();
        let files = samples.write(dir.path(), "127.0.0.1:9", 1234).unwrap();
        let worker = std::fs::read_to_string(&files.worker).unwrap();
        assert!(worker.contains("\nbootstrap.servers=127.0.0.1:9\n"));
        assert!(worker.contains("\nlisteners=http://127.0.0.1:1234\n"));
        assert!(worker.contains("consumer.session.timeout.ms=6000"));
        assert!(!worker.contains("/tmp/connect.offsets"));
        let sink = std::fs::read_to_string(&files.sink).unwrap();
        assert!(sink.contains(&format!("file={}", files.sink_output.display())));
        assert!(sink.contains("topics=connect-test"));
    }
}
