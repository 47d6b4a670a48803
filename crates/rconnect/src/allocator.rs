//! The worker's memory allocator: jemalloc on Linux, for Rust and C code alike.
//!
//! A task loop allocates a batch of records (strings, buffers, a transformation chain's
//! structs) and frees it a little later. Under glibc's malloc, allocating and freeing took
//! about a fifth of a worker's time under a transformation chain; with jemalloc the chain's
//! CPU per record fell, though its instruction count hardly moved (docs/BENCHMARKS.md,
//! twelfth session).
//!
//! jemalloc is linked unprefixed (`tikv-jemalloc-sys`'s `unprefixed_malloc_on_supported_platforms`):
//! its `malloc` and `free` replace the C library's for the whole process, so librdkafka's
//! messages, produce buffers and delivery events, which one thread allocates and another
//! frees, are jemalloc's too (thirteenth session: 1-3% fewer instructions per record). Plugins
//! loaded from `plugin.path` call the same `malloc`; each side still frees only what it
//! allocated (the plugin ABI). (The worker used to re-execute itself with a larger glibc
//! per-thread cache, `GLIBC_TUNABLES=glibc.malloc.tcache_count=4096`; with jemalloc that no
//! longer changed its instructions per record, and it no longer does.)

// Unprefixed (`malloc`, `free`, ...), jemalloc replaces the C library's allocator for the
// whole process; naming the crate keeps it linked even where Rust code calls none of it.
#[cfg(target_os = "linux")]
use tikv_jemalloc_sys as _;

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` (its `malloc_conf`, unprefixed like `malloc`; the
/// `MALLOC_CONF` environment variable still overrides it).
///
/// - `narenas:2`: a worker's threads are few (the reactor's, the blocking pool's); jemalloc's
///   default of four arenas per CPU only adds idle memory.
/// - `dirty_decay_ms:5000`: freed pages go back to the system after 5 s instead of 10 s, so
///   a worker that moved a burst of records returns to its idle size sooner.
#[cfg(target_os = "linux")]
#[export_name = "malloc_conf"]
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

    extern "C" {
        fn malloc(size: usize) -> *mut std::ffi::c_void;
        fn free(ptr: *mut std::ffi::c_void);
        fn malloc_usable_size(ptr: *mut std::ffi::c_void) -> usize;
    }

    #[test]
    fn c_code_allocates_from_jemalloc() {
        // What librdkafka calls. A one-byte block is jemalloc's smallest size class (8 bytes);
        // glibc's malloc would give a 24-byte chunk.
        // SAFETY: the block is checked for null, measured and freed once, by the same
        // allocator that returned it.
        let usable = unsafe {
            let p = malloc(1);
            assert!(!p.is_null());
            let n = malloc_usable_size(p);
            free(p);
            n
        };
        assert_eq!(usable, 8);
    }
}
