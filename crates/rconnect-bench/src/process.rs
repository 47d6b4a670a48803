//! Child processes of the driver: spawned with their output in a log file, tied to the
//! driver's life, and reaped with `wait4` so their CPU time and peak memory are known.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

/// How a child ended, from `wait4`.
#[derive(Clone, Copy, Debug)]
pub struct Finished {
    /// Exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    /// User plus system CPU time of the whole process.
    pub cpu: Duration,
    /// Peak resident set size in bytes (`ru_maxrss`).
    pub max_rss: u64,
}

/// A running child process; killed (SIGKILL) and reaped on drop.
pub struct Proc {
    name: String,
    pid: u32,
    log: PathBuf,
    started: Instant,
    finished: Option<Finished>,
}

impl Proc {
    /// Spawns `cmd` with stdin closed and stdout/stderr appended to `log`. `started` is taken
    /// just before the fork.
    ///
    /// The child gets `PR_SET_PDEATHSIG(SIGKILL)`, so it dies with the driver's main thread
    /// (the driver spawns from its main thread only).
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Proc> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening log {}", log.display()))?;
        let err = out.try_clone().context("duplicating the log handle")?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", cmd.get_program()))?;
        // The pid is reaped with wait4 below; std's Child neither waits nor kills on drop.
        Ok(Proc {
            name: name.to_string(),
            pid: child.id(),
            log: log.to_path_buf(),
            started,
            finished: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// When the process was spawned.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read(&self.log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Reaps the process if it has exited, without blocking.
    pub fn try_finish(&mut self) -> Result<Option<Finished>> {
        if self.finished.is_none() {
            self.finished = wait4(self.pid, true)
                .with_context(|| format!("waiting for {} (pid {})", self.name, self.pid))?;
        }
        Ok(self.finished)
    }

    /// An error (with the log tail) if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(f) = self.try_finish()? {
            bail!(
                "{} exited unexpectedly ({})\n--- {} ---\n{}",
                self.name,
                describe_exit(f.code),
                self.log.display(),
                self.log_tail(40)
            );
        }
        Ok(())
    }

    /// Waits up to `timeout` for the process to exit; SIGKILLs it and fails after that.
    pub fn wait_finish(&mut self, timeout: Duration) -> Result<Finished> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(f) = self.try_finish()? {
                return Ok(f);
            }
            if Instant::now() >= deadline {
                self.kill();
                bail!(
                    "{} did not exit within {timeout:?}\n--- {} ---\n{}",
                    self.name,
                    self.log.display(),
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// SIGTERM, then up to `grace` for a clean exit, then SIGKILL.
    pub fn terminate(&mut self, grace: Duration) -> Result<Finished> {
        if let Some(f) = self.try_finish()? {
            return Ok(f);
        }
        signal(self.pid, libc::SIGTERM);
        self.wait_finish(grace)
    }

    /// SIGKILL and reap (no-op once reaped).
    pub fn kill(&mut self) {
        if self.finished.is_none() {
            signal(self.pid, libc::SIGKILL);
            if let Ok(f) = wait4(self.pid, false) {
                self.finished = f;
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// "exit code N" or "killed by a signal".
pub fn describe_exit(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: plain syscall on a child we have not reaped yet, so the pid is still ours.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

fn wait4(pid: u32, nohang: bool) -> Result<Option<Finished>> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if nohang { libc::WNOHANG } else { 0 };
    // SAFETY: valid pointers to locals; pid is our unreaped child.
    let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut usage) };
    if rc == 0 {
        return Ok(None);
    }
    if rc < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Some(Finished {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * 1024,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_cpu_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sh.log");
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo hello; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 3",
        ]);
        let mut p = Proc::spawn("sh", cmd, &log).unwrap();
        let f = p.wait_finish(Duration::from_secs(30)).unwrap();
        assert_eq!(f.code, Some(3));
        assert!(f.cpu > Duration::ZERO);
        assert!(f.max_rss > 0);
        assert_eq!(p.log_tail(5), "hello");
        assert!(p
            .check_alive()
            .unwrap_err()
            .to_string()
            .contains("exit code 3"));
    }

    #[test]
    fn terminate_stops_a_sleeper() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let mut p = Proc::spawn("sleep", cmd, &dir.path().join("s.log")).unwrap();
        p.check_alive().unwrap();
        let f = p.terminate(Duration::from_secs(5)).unwrap();
        assert_eq!(f.code, None);
    }
}
