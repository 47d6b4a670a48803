//! The worker's memory allocator: jemalloc on Linux.
//!
//! A task loop allocates a batch of records (strings, buffers, a transformation chain's
//! structs) and frees it a little later. Under glibc's malloc, allocating and freeing took
//! about a fifth of a worker's time under a transformation chain; with jemalloc the chain's
//! CPU per record fell, though its instruction count hardly moved (docs/BENCHMARKS.md,
//! twelfth session). Only Rust's allocations
//! go to jemalloc: librdkafka's own C allocations stay with the C library's malloc. (The
//! worker used to re-execute itself with a larger glibc per-thread cache,
//! `GLIBC_TUNABLES=glibc.malloc.tcache_count=4096`; with jemalloc that no longer changed its
//! instructions per record, and it no longer does.)

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` (its `malloc_conf`, which the `MALLOC_CONF`
/// environment variable still overrides).
///
/// - `narenas:2`: a worker's threads are few (the reactor's, the blocking pool's); jemalloc's
///   default of four arenas per CPU only adds idle memory.
/// - `dirty_decay_ms:5000`: freed pages go back to the system after 5 s instead of 10 s, so
///   a worker that moved a burst of records returns to its idle size sooner.
#[cfg(target_os = "linux")]
#[export_name = "_rjem_malloc_conf"]
#[used]
pub static MALLOC_CONF: Option<&'static u8> = Some(&OPTIONS[0]);

#[cfg(target_os = "linux")]
const OPTIONS: &[u8] = b"narenas:2,dirty_decay_ms:5000\0";

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn jemalloc_reads_the_workers_options() {
        // MALLOC_CONF in the environment would override them; tests run without it.
        if std::env::var_os("MALLOC_CONF").is_none() {
            let narenas = tikv_jemalloc_ctl::opt::narenas::read().expect("opt.narenas");
            // jemalloc's own default is four per CPU.
            assert_eq!(narenas, 2);
        }
    }
}
