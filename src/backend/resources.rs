//! Resource guards shared by the backends: the memory limit and its default, and byte sizes
//! computed with checked arithmetic.
//!
//! A backend estimates the memory a solve needs *before* it allocates anything (see
//! `clarabel::memory_estimate` and `scs::memory_estimate`) and refuses with
//! [`Error::TooLarge`] when the estimate exceeds the limit, instead of growing until the
//! operating system kills the process.
//!
//! Limit ([`SolveSettings::memory_limit_bytes`](super::SolveSettings)):
//! * `None` (the default): [`default_memory_limit`] = 75 % of `MemAvailable` in `/proc/meminfo`
//!   at the time of the solve, or 16 GiB where that file cannot be read (not Linux);
//!   Clarabel caps this default at 4 GiB (`clarabel::DEFAULT_LIMIT_CAP`);
//! * `Some(b)`: `b` bytes; `Some(u64::MAX)` switches the guard off (`--memory-limit none`).

use crate::error::{Error, Result};

/// Limit used when `/proc/meminfo` cannot be read: 16 GiB.
pub const FALLBACK_MEMORY_LIMIT: u64 = 16 << 30;

/// Share of `MemAvailable` a solve may use by default (three quarters).
pub const AVAILABLE_SHARE: f64 = 0.75;

/// `MemAvailable` from `/proc/meminfo`, in bytes, if the file exists and parses.
pub fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

/// The `MemAvailable:  <kB> kB` line of a `/proc/meminfo` text, in bytes.
pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line.split_whitespace().skip(1);
    let kb: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => kb.checked_mul(1024),
        Some(_) => None,
    }
}

/// The default memory limit: 75 % of `MemAvailable`, or [`FALLBACK_MEMORY_LIMIT`] (16 GiB)
/// if it is unknown.
pub fn default_memory_limit() -> u64 {
    match mem_available() {
        Some(b) => (b as f64 * AVAILABLE_SHARE) as u64,
        None => FALLBACK_MEMORY_LIMIT,
    }
}

/// The limit a solve runs under: `explicit`, or the default when `None`.
pub fn effective_limit(explicit: Option<u64>) -> u64 {
    explicit.unwrap_or_else(default_memory_limit)
}

/// Parses a size for `--memory-limit`: a number of bytes with an optional binary suffix
/// `K`, `M`, `G`, `T` (powers of 1024; `KiB`, `MB`, ... are accepted too), possibly fractional
/// (`1.5G`), or `none` / `off` for no limit (returned as `u64::MAX`).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("off") {
        return Ok(u64::MAX);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let shift = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "memory limit `{text}`: unknown unit `{unit}` (expected a number of bytes with K, M, G or T, or `none`)"
            )))
        }
    };
    let value: f64 = num.parse().map_err(|_| {
        Error::InvalidArgument(format!("memory limit `{text}`: expected a number of bytes with K, M, G or T (e.g. 8G), or `none`"))
    })?;
    let bytes = value * (1u64 << shift) as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(Error::InvalidArgument(format!("memory limit `{text}` is out of range (at least 1 byte)")));
    }
    Ok(bytes as u64)
}

/// `bytes` as a short human-readable size (`1.5 GiB`).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes == u64::MAX {
        "unlimited".into()
    } else if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

/// Checked sum of byte counts (`None` on overflow).
pub fn sum(parts: &[Option<u64>]) -> Option<u64> {
    parts.iter().try_fold(0u64, |acc, p| acc.checked_add((*p)?))
}

/// Checked `a * b * c` (`None` on overflow).
pub fn mul3(a: u64, b: u64, c: u64) -> Option<u64> {
    a.checked_mul(b)?.checked_mul(c)
}

/// Refuses an estimate above the limit with [`Error::TooLarge`]: `what` names the solver and
/// the dominant part, `limit_note` where the limit comes from, `suggestion` what to do instead.
/// An estimate that overflowed (`None`) is refused too.
pub fn check(estimate: Option<u64>, limit: u64, what: &str, limit_note: &str, suggestion: &str) -> Result<()> {
    match estimate {
        Some(e) if e <= limit => Ok(()),
        Some(e) => Err(Error::TooLarge(format!(
            "{what} needs about {} of memory (estimated before solving), above the limit of {} ({}); {suggestion}",
            human(e),
            human(limit),
            limit_note
        ))),
        None => Err(Error::TooLarge(format!("{what}: the memory estimate overflows 64 bits; {suggestion}"))),
    }
}

/// How the general default limit is described in refusals.
pub const DEFAULT_LIMIT_NOTE: &str = "default: 75% of MemAvailable; set another with --memory-limit";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meminfo() {
        let text = "MemTotal:       24000000 kB\nMemFree:         1000 kB\nMemAvailable:   16000000 kB\n";
        assert_eq!(parse_mem_available(text), Some(16_000_000 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: x kB\n"), None);
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("8G").unwrap(), 8 << 30);
        assert_eq!(parse_size("8GiB").unwrap(), 8 << 30);
        assert_eq!(parse_size("1.5g").unwrap(), 3 << 29);
        assert_eq!(parse_size("500 MB").unwrap(), 500 << 20);
        assert_eq!(parse_size("none").unwrap(), u64::MAX);
        assert!(parse_size("8X").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("1e30T").is_err());
    }

    #[test]
    fn check_refuses_above_limit_and_overflow() {
        assert!(check(Some(10), 10, "x", "n", "y").is_ok());
        let e = check(Some(11 << 30), 10 << 30, "clarabel", "n", "use dnn").unwrap_err().to_string();
        assert!(e.contains("11.0 GiB") && e.contains("10.0 GiB") && e.contains("use dnn"), "{e}");
        assert!(check(None, u64::MAX, "x", "n", "y").is_err());
        assert_eq!(sum(&[Some(u64::MAX), Some(1)]), None);
        assert_eq!(mul3(1 << 32, 1 << 32, 2), None);
    }

    #[test]
    fn default_limit_is_positive() {
        assert!(default_memory_limit() > 0);
    }
}
