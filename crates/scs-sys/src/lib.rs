//! Raw bindings to SCS 3.3.1 through a small flat C shim (`shim/scs_shim.{h,c}`), plus a safe
//! wrapper, [`solve`].
//!
//! SCS is built from the pinned source distribution `scs==3.3.1` (see `build.rs` and
//! `scripts/fetch-scs.sh`) with 32-bit `scs_int` (`int`), `double` floats, `USE_LAPACK` (PSD
//! cone) and `CTRLC=0` (no signal handler). Rust mirrors only the shim's structs, whose
//! layouts are ours and stable; SCS's own `ScsSettings`/`ScsInfo` (whose layouts changed within
//! 3.x) are filled and read in C.
//!
//! SCS solves `min 1/2 x'Px + c'x  s.t.  Ax + s = b, s in K` with the dual `y in K*` and
//! `Px + c + A'y = 0`. Cone rows come in the order zero (`z`), nonnegative (`l`), second-order
//! (`q`, a list of sizes), PSD (`s`, a list of orders; lower triangle, column by column,
//! off-diagonals times sqrt 2).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_double, c_int, CStr};
use std::fmt;

/// SCS exit flags (`scs.h`).
pub const SCS_INFEASIBLE_INACCURATE: c_int = -7;
pub const SCS_UNBOUNDED_INACCURATE: c_int = -6;
pub const SCS_SIGINT: c_int = -5;
pub const SCS_FAILED: c_int = -4;
pub const SCS_INDETERMINATE: c_int = -3;
/// Primal infeasible (dual unbounded).
pub const SCS_INFEASIBLE: c_int = -2;
/// Primal unbounded (dual infeasible).
pub const SCS_UNBOUNDED: c_int = -1;
pub const SCS_UNFINISHED: c_int = 0;
pub const SCS_SOLVED: c_int = 1;
pub const SCS_SOLVED_INACCURATE: c_int = 2;
/// The shim's own flag: `scs_init` returned NULL (invalid data or a failed factorisation).
pub const SCS_SHIM_INIT_FAILED: c_int = -100;

/// Mirror of `ShimProblem` (shim/scs_shim.h).
#[repr(C)]
#[derive(Debug)]
pub struct ShimProblem {
    pub m: c_int,
    pub n: c_int,
    pub a_x: *const c_double,
    pub a_i: *const c_int,
    pub a_p: *const c_int,
    pub p_x: *const c_double,
    pub p_i: *const c_int,
    pub p_p: *const c_int,
    pub b: *const c_double,
    pub c: *const c_double,
    pub z: c_int,
    pub l: c_int,
    pub q: *const c_int,
    pub qsize: c_int,
    pub s: *const c_int,
    pub ssize: c_int,
}

/// Mirror of `ShimSettings` (shim/scs_shim.h). [`ShimSettings::default`] holds SCS's defaults
/// (with `verbose = 0`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShimSettings {
    pub max_iters: c_int,
    pub eps_abs: c_double,
    pub eps_rel: c_double,
    pub eps_infeas: c_double,
    /// Seconds; 0 for no limit.
    pub time_limit_secs: c_double,
    pub verbose: c_int,
    pub normalize: c_int,
    pub adaptive_scale: c_int,
    pub scale: c_double,
    pub alpha: c_double,
    pub rho_x: c_double,
    pub acceleration_lookback: c_int,
    pub acceleration_interval: c_int,
}

/// Mirror of `ShimInfo` (shim/scs_shim.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ShimInfo {
    pub status_val: c_int,
    pub iter: c_int,
    pub hit_max_iters: c_int,
    pub hit_time_limit: c_int,
    pub pobj: c_double,
    pub dobj: c_double,
    pub res_pri: c_double,
    pub res_dual: c_double,
    pub gap: c_double,
    pub res_infeas: c_double,
    pub res_unbdd_a: c_double,
    pub res_unbdd_p: c_double,
    pub setup_time_ms: c_double,
    pub solve_time_ms: c_double,
    pub scale: c_double,
    pub comp_slack: c_double,
    pub status: [c_char; 128],
    pub lin_sys_solver: [c_char; 128],
}

extern "C" {
    pub fn scs_shim_default_settings(out: *mut ShimSettings);
    pub fn scs_shim_solve(
        prob: *const ShimProblem,
        stgs: *const ShimSettings,
        x: *mut c_double,
        y: *mut c_double,
        s: *mut c_double,
        info: *mut ShimInfo,
    ) -> c_int;
    pub fn scs_shim_version() -> *const c_char;
    pub fn scs_shim_struct_sizes(problem: *mut c_int, settings: *mut c_int, info: *mut c_int);
}

impl Default for ShimSettings {
    fn default() -> Self {
        let mut s = std::mem::MaybeUninit::<ShimSettings>::zeroed();
        // SAFETY: the shim writes every field of a valid ShimSettings.
        unsafe {
            scs_shim_default_settings(s.as_mut_ptr());
            s.assume_init()
        }
    }
}

fn c_str(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

impl ShimInfo {
    /// SCS's status string, e.g. `"solved"` or `"solved (inaccurate - reached max_iters)"`.
    pub fn status_str(&self) -> String {
        c_str(&self.status)
    }
    /// The linear-system solver SCS used (e.g. `"sparse-direct-amd-qdldl"`).
    pub fn lin_sys_solver_str(&self) -> String {
        c_str(&self.lin_sys_solver)
    }
}

impl fmt::Debug for ShimInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShimInfo")
            .field("status_val", &self.status_val)
            .field("status", &self.status_str())
            .field("iter", &self.iter)
            .field("hit_max_iters", &self.hit_max_iters)
            .field("hit_time_limit", &self.hit_time_limit)
            .field("pobj", &self.pobj)
            .field("dobj", &self.dobj)
            .field("res_pri", &self.res_pri)
            .field("res_dual", &self.res_dual)
            .field("gap", &self.gap)
            .field("res_infeas", &self.res_infeas)
            .field("res_unbdd_a", &self.res_unbdd_a)
            .field("res_unbdd_p", &self.res_unbdd_p)
            .field("setup_time_ms", &self.setup_time_ms)
            .field("solve_time_ms", &self.solve_time_ms)
            .field("lin_sys_solver", &self.lin_sys_solver_str())
            .finish()
    }
}

/// SCS's version string (`"3.3.1"`).
pub fn version() -> String {
    // SAFETY: scs_version returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(scs_shim_version()) }.to_string_lossy().into_owned()
}

/// A sparse matrix in CSC form with 32-bit indices, as SCS takes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CscI32 {
    pub rows: usize,
    pub cols: usize,
    /// Column pointers, length `cols + 1`.
    pub colptr: Vec<i32>,
    /// Row indices, length nnz (sorted within each column).
    pub rowval: Vec<i32>,
    /// Values, length nnz.
    pub nzval: Vec<f64>,
}

/// A problem in SCS's form (see the crate docs). `p = None` means `P = 0`.
#[derive(Clone, Debug, Default)]
pub struct Problem {
    pub a: CscI32,
    pub p: Option<CscI32>,
    pub b: Vec<f64>,
    pub c: Vec<f64>,
    /// Zero-cone rows.
    pub z: usize,
    /// Nonnegative-cone rows.
    pub l: usize,
    /// Second-order cone sizes.
    pub q: Vec<usize>,
    /// PSD cone orders (lower-triangle packing).
    pub s: Vec<usize>,
}

/// The result of [`solve`]: SCS's `x`, `y`, `s` and its info.
#[derive(Clone, Debug)]
pub struct Solution {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub s: Vec<f64>,
    pub info: ShimInfo,
}

fn to_int(v: usize, what: &str) -> Result<c_int, String> {
    c_int::try_from(v).map_err(|_| format!("{what} = {v} exceeds SCS's 32-bit integers"))
}

fn check_csc(m: &CscI32, what: &str) -> Result<(), String> {
    let nnz = m.nzval.len();
    if m.colptr.len() != m.cols + 1 {
        return Err(format!("{what}: colptr has length {}, expected {}", m.colptr.len(), m.cols + 1));
    }
    if m.rowval.len() != nnz {
        return Err(format!("{what}: {} row indices for {nnz} values", m.rowval.len()));
    }
    if m.colptr[0] != 0 || m.colptr[m.cols] as usize != nnz || m.colptr.windows(2).any(|w| w[0] > w[1]) {
        return Err(format!("{what}: column pointers are not a nondecreasing sequence from 0 to nnz"));
    }
    if m.rowval.iter().any(|&r| r < 0 || r as usize >= m.rows) {
        return Err(format!("{what}: row index out of range"));
    }
    to_int(m.rows, &format!("{what}.rows"))?;
    to_int(m.cols, &format!("{what}.cols"))?;
    to_int(nnz, &format!("{what}.nnz"))?;
    Ok(())
}

/// Solves `problem` with SCS. `Err` only for inconsistent input (checked here, before any C
/// call); every solver outcome, including `scs_init` failures ([`SCS_SHIM_INIT_FAILED`]), is in
/// `info.status_val`.
pub fn solve(problem: &Problem, settings: &ShimSettings) -> Result<Solution, String> {
    let m = problem.b.len();
    let n = problem.c.len();
    if problem.a.rows != m || problem.a.cols != n {
        return Err(format!("A is {} x {}, expected {m} x {n}", problem.a.rows, problem.a.cols));
    }
    check_csc(&problem.a, "A")?;
    if let Some(p) = &problem.p {
        if p.rows != n || p.cols != n {
            return Err(format!("P is {} x {}, expected {n} x {n}", p.rows, p.cols));
        }
        check_csc(p, "P")?;
    }
    let cone_rows = problem.z + problem.l + problem.q.iter().sum::<usize>() + problem.s.iter().map(|k| k * (k + 1) / 2).sum::<usize>();
    if cone_rows != m {
        return Err(format!("cones cover {cone_rows} rows, A has {m}"));
    }
    let q: Vec<c_int> = problem.q.iter().map(|&k| to_int(k, "SOC size")).collect::<Result<_, _>>()?;
    let s: Vec<c_int> = problem.s.iter().map(|&k| to_int(k, "PSD order")).collect::<Result<_, _>>()?;
    let (p_x, p_i, p_p) = match &problem.p {
        Some(p) if !p.nzval.is_empty() => (p.nzval.as_ptr(), p.rowval.as_ptr(), p.colptr.as_ptr()),
        _ => (std::ptr::null(), std::ptr::null(), std::ptr::null()),
    };
    let raw = ShimProblem {
        m: to_int(m, "m")?,
        n: to_int(n, "n")?,
        a_x: problem.a.nzval.as_ptr(),
        a_i: problem.a.rowval.as_ptr(),
        a_p: problem.a.colptr.as_ptr(),
        p_x,
        p_i,
        p_p,
        b: problem.b.as_ptr(),
        c: problem.c.as_ptr(),
        z: to_int(problem.z, "z")?,
        l: to_int(problem.l, "l")?,
        q: q.as_ptr(),
        qsize: to_int(q.len(), "number of SOCs")?,
        s: s.as_ptr(),
        ssize: to_int(s.len(), "number of PSD cones")?,
    };
    let mut x = vec![0.0; n];
    let mut y = vec![0.0; m];
    let mut sl = vec![0.0; m];
    let mut info = std::mem::MaybeUninit::<ShimInfo>::zeroed();
    // SAFETY: every pointer in `raw` points into a live Vec of the length the shim reads
    // (checked above); x, y, sl have lengths n, m, m; the shim initialises all of `info`.
    let info = unsafe {
        scs_shim_solve(&raw, settings, x.as_mut_ptr(), y.as_mut_ptr(), sl.as_mut_ptr(), info.as_mut_ptr());
        info.assume_init()
    };
    Ok(Solution { x, y, s: sl, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_layouts_match_the_shim() {
        let (mut p, mut s, mut i) = (0, 0, 0);
        unsafe { scs_shim_struct_sizes(&mut p, &mut s, &mut i) };
        assert_eq!(p as usize, std::mem::size_of::<ShimProblem>());
        assert_eq!(s as usize, std::mem::size_of::<ShimSettings>());
        assert_eq!(i as usize, std::mem::size_of::<ShimInfo>());
    }

    #[test]
    fn version_and_defaults() {
        assert_eq!(version(), "3.3.1");
        let d = ShimSettings::default();
        assert_eq!(d.max_iters, 100_000);
        assert_eq!(d.eps_abs, 1e-4);
        assert_eq!(d.eps_rel, 1e-4);
        assert_eq!(d.eps_infeas, 1e-7);
        assert_eq!(d.verbose, 0);
    }

    #[test]
    fn tiny_lp() {
        // min x s.t. x >= 1: -x + s = -1, s >= 0.
        let prob = Problem {
            a: CscI32 { rows: 1, cols: 1, colptr: vec![0, 1], rowval: vec![0], nzval: vec![-1.0] },
            p: None,
            b: vec![-1.0],
            c: vec![1.0],
            l: 1,
            ..Default::default()
        };
        let sol = solve(&prob, &ShimSettings { eps_abs: 1e-9, eps_rel: 1e-9, ..Default::default() }).unwrap();
        assert_eq!(sol.info.status_val, SCS_SOLVED, "{:?}", sol.info);
        assert!((sol.x[0] - 1.0).abs() < 1e-6);
        assert!((sol.y[0] - 1.0).abs() < 1e-6);
        assert!((sol.info.pobj - 1.0).abs() < 1e-6);
    }

    #[test]
    fn rejects_inconsistent_input() {
        let prob = Problem { a: CscI32 { rows: 2, cols: 1, colptr: vec![0, 0], ..Default::default() }, b: vec![0.0], c: vec![1.0], l: 1, ..Default::default() };
        assert!(solve(&prob, &ShimSettings::default()).is_err());
    }
}
