//! Memory budgets, checked **before** anything proportional to an input-declared size is
//! allocated.
//!
//! Sizes read from files and options (matrix orders, row counts, numbers of gates) are turned
//! into a byte estimate with floating-point arithmetic (which cannot wrap) and compared with
//! [`max_bytes`]. Over the budget, the caller returns [`Error::TooLarge`] naming the size and
//! the estimate, instead of asking the allocator for it (which would abort the process or
//! exhaust the machine).
//!
//! The budget is half of the machine's physical memory (from `/proc/meminfo`; 4 GiB where that
//! cannot be read); the environment variable `CONVEX_RELU_MAX_MEMORY_GIB` (a positive number of
//! GiB) replaces it.

use crate::error::{Error, Result};

/// The memory budget in bytes where the physical memory cannot be read (4 GiB).
pub const DEFAULT_MAX_BYTES: f64 = 4.0 * (1u64 << 30) as f64;

/// The environment variable that overrides [`DEFAULT_MAX_BYTES`], in GiB.
pub const ENV_MAX_MEMORY: &str = "CONVEX_RELU_MAX_MEMORY_GIB";

/// The memory budget in bytes: `CONVEX_RELU_MAX_MEMORY_GIB` when set to a positive number,
/// else half of `MemTotal` in `/proc/meminfo`, else [`DEFAULT_MAX_BYTES`].
pub fn max_bytes() -> f64 {
    std::env::var(ENV_MAX_MEMORY)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|g| g.is_finite() && *g > 0.0)
        .map(|g| g * (1u64 << 30) as f64)
        .or_else(physical_half)
        .unwrap_or(DEFAULT_MAX_BYTES)
}

fn physical_half() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    (kib > 0.0).then_some(kib * 1024.0 / 2.0)
}

/// Human-readable byte count (`1.5 GiB`).
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `Ok` when `bytes` fits the budget; otherwise [`Error::TooLarge`] with `what` (e.g.
/// "the PSD block of order 20000 declared on line 3") and the estimate.
pub fn check_bytes(bytes: f64, what: impl FnOnce() -> String) -> Result<()> {
    let limit = max_bytes();
    if bytes.is_finite() && bytes <= limit {
        return Ok(());
    }
    Err(Error::TooLarge(format!(
        "{} would need about {} of memory, over the budget of {} (set {ENV_MAX_MEMORY} to change it)",
        what(),
        human_bytes(bytes),
        human_bytes(limit)
    )))
}

/// Bytes to hold a problem with `n` variables, `m` rows, `nnz` stored entries and the given
/// PSD orders: vectors `q, b, x, s, z` and the sparse matrices, plus a dense `k x k` matrix per
/// PSD cone (the cone checks and projections unpack each block).
pub fn problem_bytes(n: f64, m: f64, nnz: f64, psd_orders: impl IntoIterator<Item = f64>) -> f64 {
    let dense: f64 = psd_orders.into_iter().map(|k| 8.0 * k * k).sum();
    8.0 * (2.0 * n + 3.0 * m) + 16.0 * nnz + dense
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_is_an_error_naming_the_size() {
        assert!(check_bytes(1e6, || "small".into()).is_ok());
        let msg = check_bytes(1e30, || "the PSD block of order 99999".into()).unwrap_err().to_string();
        assert!(msg.contains("order 99999") && msg.contains("budget") && msg.contains(ENV_MAX_MEMORY), "{msg}");
        assert!(check_bytes(f64::INFINITY, || "x".into()).is_err());
        assert!(check_bytes(f64::NAN, || "x".into()).is_err());
        assert_eq!(human_bytes(1536.0), "1.5 KiB");
    }
}
