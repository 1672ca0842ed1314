//! Process-wide settings of the C allocator (glibc `malloc`) for the command-line tool.
//!
//! The relaxation solvers allocate many short-lived dense matrices and vectors of a few to a few
//! tens of megabytes per linear-solve step (at `q = 693`: the lifted matrix of order
//! `p = 2n + d + c`, 15 MB; vectors over the 909 900 sign constraints, 7 MB; matrices of order
//! `q`, 4 MB). With glibc's defaults every such block is either mapped afresh (`mmap`, above the
//! dynamic threshold) or returned to the system when the top of the heap is trimmed, and the
//! next allocation pays page faults and the kernel's zeroing of every page again. Measured with
//! the development probe on the banknote training half (interior-point method, first iterations,
//! two cores): 9.1-10.4 s per iteration with the defaults against 6.7-8.3 s with the settings
//! below (the same iterations; by environment variables, before this module existed).
//!
//! [`tune_for_large_solves`] therefore sets, once at start-up of the binary:
//! - `M_MMAP_THRESHOLD` = 64 MiB: blocks below it come from the heap and are reused; larger ones
//!   (capacitance matrices, normal matrices) are still mapped and returned on free, so that the
//!   peak memory of one solve is not raised by fragments of the previous large blocks;
//! - `M_TRIM_THRESHOLD` = 256 MiB: at most that much free memory stays at the top of the heap;
//! - `M_TOP_PAD` = 64 MiB: the heap grows by at least that much at a time.
//!
//! It leaves everything as it is when any of glibc's own environment variables for these
//! settings (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_`) is set, and on
//! other platforms and C libraries. The library never calls it: a program embedding the crate
//! (the Python module among them) keeps its own allocator policy.

/// Blocks below this size come from the heap (bytes).
pub const MMAP_THRESHOLD_BYTES: i32 = 64 << 20;
/// Free memory kept at the top of the heap (bytes).
pub const TRIM_THRESHOLD_BYTES: i32 = 256 << 20;
/// Extra memory requested each time the heap grows (bytes).
pub const TOP_PAD_BYTES: i32 = 64 << 20;

/// Applies the settings of the module docs. Returns whether they were applied (false when the
/// user set one of glibc's variables, on other platforms, or if glibc refused one).
pub fn tune_for_large_solves() -> bool {
    if ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"].iter().any(|v| std::env::var_os(v).is_some()) {
        return false;
    }
    apply()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // SAFETY: mallopt only changes allocator parameters; it is called before any other thread
    // of this process allocates (at the start of main), and glibc serialises it with malloc.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
            && libc::mallopt(libc::M_TOP_PAD, TOP_PAD_BYTES) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}
