//! Starts the worker with a larger glibc per-thread allocation cache.
//!
//! glibc keeps at most 7 freed chunks per size class in a thread's cache. A task loop
//! allocates a whole batch of records (strings, buffers, librdkafka's messages and
//! events) and frees it a little later, so nearly every malloc and free fell through to
//! glibc's slower shared paths: a tenth of the worker's instructions per record
//! (docs/BENCHMARKS.md). glibc reads its tunables only from the environment at process
//! start, so a worker started without `GLIBC_TUNABLES` replaces itself (same pid, same
//! arguments) with one that has `glibc.malloc.tcache_count` raised. Setting
//! `GLIBC_TUNABLES` yourself, even to an empty value, turns this off.

/// The tunable the worker runs with when the user sets none.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub const TUNABLES: &str = "glibc.malloc.tcache_count=4096";

/// Re-executes the current program with [`TUNABLES`] unless `GLIBC_TUNABLES` is already
/// set. Returns only when nothing was done or the re-exec failed (then the worker runs
/// untuned, which is merely slower).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn apply() {
    use std::os::unix::process::CommandExt;

    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let error = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .env("GLIBC_TUNABLES", TUNABLES)
        .exec();
    eprintln!(
        "rconnect: could not restart with {TUNABLES} ({error}); running with glibc's defaults"
    );
}

/// Other platforms keep their allocator's defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn apply() {}
