//! Per-process figures from `/proc`: resident memory and CPU time.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};

/// Memory figures of `/proc/PID/status`, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident set size now.
    pub rss: u64,
    /// `VmHWM`: peak resident set size since the process started.
    pub hwm: u64,
}

/// Reads `VmRSS` and `VmHWM` of `pid`.
pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status(&text).with_context(|| format!("parsing {path}"))
}

fn parse_status(text: &str) -> Result<Memory> {
    let field = |name: &str| -> Result<u64> {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(':'))
            .with_context(|| format!("no {name} line"))?;
        let kb: u64 = line[name.len() + 1..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .with_context(|| format!("bad {name} line {line:?}"))?;
        Ok(kb * 1024)
    };
    Ok(Memory {
        rss: field("VmRSS")?,
        hwm: field("VmHWM")?,
    })
}

/// User plus system CPU time `pid` has used so far (all its threads), from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let ticks = parse_stat_ticks(&text).with_context(|| format!("parsing {path}"))?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second()?,
    ))
}

/// CPU time of each live thread of `pid`, with its name (`comm`, at most 15 bytes, e.g.
/// `rdk:broker1`): user + system from `/proc/PID/task/TID/stat` (clock ticks), and the time
/// on CPU in nanoseconds from `/proc/PID/task/TID/schedstat` where the kernel has it. Threads
/// that exit while the directory is read are skipped.
pub fn thread_cpu_times(pid: u32) -> Result<Vec<ThreadCpu>> {
    let dir = format!("/proc/{pid}/task");
    let hz = clock_ticks_per_second()?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {dir}"))? {
        let entry = entry.with_context(|| format!("reading {dir}"))?;
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let path = entry.path().join("stat");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let ticks =
            parse_stat_ticks(&text).with_context(|| format!("parsing {}", path.display()))?;
        let run = std::fs::read_to_string(entry.path().join("schedstat"))
            .ok()
            .and_then(|s| parse_schedstat_ns(&s))
            .map(Duration::from_nanos);
        out.push(ThreadCpu {
            tid,
            name: parse_stat_comm(&text).to_string(),
            cpu: Duration::from_secs_f64(ticks as f64 / hz),
            run,
        });
    }
    Ok(out)
}

/// One thread's CPU time so far.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadCpu {
    /// Thread id.
    pub tid: u32,
    /// Thread name (`comm`).
    pub name: String,
    /// User + system time (clock-tick resolution).
    pub cpu: Duration,
    /// Time on CPU from schedstat (nanosecond resolution), if the kernel provides it.
    pub run: Option<Duration>,
}

/// The first field of a schedstat line: nanoseconds spent on a CPU.
fn parse_schedstat_ns(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

fn clock_ticks_per_second() -> Result<f64> {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz <= 0 {
        bail!("sysconf(_SC_CLK_TCK) returned {hz}");
    }
    Ok(hz as f64)
}

/// The command name of a stat line: between the first `(` and the last `)`.
fn parse_stat_comm(text: &str) -> &str {
    match (text.find('('), text.rfind(')')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        _ => "",
    }
}

/// utime + stime (fields 14 and 15) in clock ticks. The command name (field 2) may contain
/// spaces and parentheses, so fields are counted from the last `)`.
fn parse_stat_ticks(text: &str) -> Result<u64> {
    let rest = &text[text.rfind(')').context("no ')' in stat")? + 1..];
    // rest starts at field 3 (state): utime is field 14, i.e. index 11 here.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.len() < 13 {
        bail!("only {} fields after the command name", fields.len());
    }
    let utime: u64 = fields[11].parse().context("utime")?;
    let stime: u64 = fields[12].parse().context("stime")?;
    Ok(utime + stime)
}

/// Busy and total CPU time of the whole machine so far (all cores), from the `cpu` line of
/// `/proc/stat`: busy is everything but `idle` and `iowait`.
pub fn machine_cpu() -> Result<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let (busy, total) = parse_machine_cpu(&text).context("parsing /proc/stat")?;
    let hz = clock_ticks_per_second()?;
    Ok((
        Duration::from_secs_f64(busy as f64 / hz),
        Duration::from_secs_f64(total as f64 / hz),
    ))
}

fn parse_machine_cpu(text: &str) -> Result<(u64, u64)> {
    let line = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("no cpu line")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().context("cpu field"))
        .collect::<Result<_>>()?;
    if ticks.len() < 4 {
        bail!("cpu line has {} fields", ticks.len());
    }
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks[3] + ticks.get(4).copied().unwrap_or(0);
    Ok((total - idle, total))
}

/// CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(
            parse_status(text).unwrap(),
            Memory {
                rss: 1024 * 1024,
                hwm: 2048 * 1024
            }
        );
        assert!(parse_status("VmRSS: 1 kB\n").is_err());
    }

    #[test]
    fn stat_with_odd_command_name() {
        let text = "123 (a b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(parse_stat_ticks(text).unwrap(), 300);
        assert_eq!(parse_stat_comm(text), "a b) c");
        assert_eq!(parse_schedstat_ns("123456 789 10\n"), Some(123456));
        assert_eq!(parse_schedstat_ns(""), None);
        assert!(parse_stat_ticks("1 (x) S 1 2").is_err());
    }

    #[test]
    fn machine_cpu_line() {
        let text = "cpu  10 1 5 80 4 0 0 0 0 0\ncpu0 5 0 2 40 2 0 0 0 0 0\n";
        assert_eq!(parse_machine_cpu(text).unwrap(), (16, 100));
        assert!(parse_machine_cpu("cpu0 1 2 3 4\n").is_err());
    }

    #[test]
    fn own_process_is_readable() {
        let pid = std::process::id();
        let m = memory(pid).unwrap();
        assert!(m.rss > 0 && m.hwm >= m.rss);
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {}
        assert!(cpu_time(pid).unwrap() > Duration::ZERO);
        assert!(thread_cpu_time() > Duration::ZERO);
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
        let threads = thread_cpu_times(pid).unwrap();
        let me = threads.iter().find(|t| t.tid == tid).expect("this thread");
        assert!(me.cpu > Duration::ZERO || me.run.is_some_and(|r| r > Duration::ZERO));
    }
}
