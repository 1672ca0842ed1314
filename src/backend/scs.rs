//! The SCS backend: SCS 3.3.1 (ADMM, C) through the flat shim of `crates/scs-sys`.
//!
//! SCS's standard form is the toolkit's: `min 1/2 x'Px + q'x  s.t.  Ax + s = b, s in K`, with
//! `P` given as its upper triangle. What differs, and what this adapter converts:
//!
//! # Cones
//! SCS takes one count per cone kind, with rows in the fixed order zero, nonnegative,
//! second-order, PSD ([`ConicProblem::validate`] already enforces that order). Consecutive
//! cones therefore merge: `z` = sum of the zero-cone sizes, `l` = sum of the nonnegative-cone
//! sizes, `q` = the list of second-order cone sizes, `s` = the list of PSD orders.
//!
//! # PSD packing
//! The toolkit packs a PSD block of order `k` as the **upper** triangle, column by column
//! (entry `(i, j)`, `i <= j`, at `j(j+1)/2 + i`); SCS packs the **lower** triangle, column by
//! column (entry `(i, j)`, `i >= j`, at `j k - j(j-1)/2 + (i - j)`). Both scale off-diagonal
//! entries by `sqrt 2`, so only the order of the rows differs. With
//! `perm = `[`upper_to_lower_permutation`]`(k)`, row `offset + u` of the toolkit's `A` and `b`
//! becomes row `offset + perm[u]` of SCS's, and the returned `s` and `y` are mapped back by
//! `s_toolkit[offset + u] = s_scs[offset + perm[u]]` (same for `z`). Rows of the other cones
//! keep their positions.
//!
//! # Signs
//! SCS calls the dual `y` and uses the toolkit's (Clarabel's) signs: `y in K*`,
//! `P x + q + A' y = 0`, so `z = y` (after the PSD permutation). SCS's `pobj = 1/2 x'Px + q'x`
//! and `dobj = -1/2 x'Px - b'y`, the toolkit's definitions, are passed through unchanged.
//! Certificates: on primal infeasibility SCS returns `y` with `A'y = 0`, `y in K*`,
//! `b'y = -1` (and `x`, `s` set to NaN, objectives `+inf`); on dual infeasibility (unboundedness)
//! it returns `x`, `s` with `Ax + s = 0`, `s in K`, `q'x = -1` (and `y` NaN, objectives `-inf`).
//!
//! # Status mapping
//!
//! | SCS exit flag                                   | [`Status`]                              |
//! |-------------------------------------------------|-----------------------------------------|
//! | `SCS_SOLVED` (1)                                | `Solved`                                |
//! | `SCS_SOLVED_INACCURATE` (2)                     | `Inaccurate` (1)                        |
//! | `SCS_INFEASIBLE` (-2)                           | `PrimalInfeasible`                      |
//! | `SCS_UNBOUNDED` (-1)                            | `DualInfeasible`                        |
//! | `SCS_INFEASIBLE_INACCURATE` (-7)                | `TimeLimit` or `IterationLimit` (2)     |
//! | `SCS_UNBOUNDED_INACCURATE` (-6)                 | `TimeLimit` or `IterationLimit` (2)     |
//! | `SCS_FAILED` (-4), `SCS_INDETERMINATE` (-3)     | `NumericalError`                        |
//! | `SCS_SIGINT` (-5; never: built with `CTRLC=0`)  | `NumericalError`                        |
//! | `scs_init` failure (data rejected, KKT factorisation failed) | `Err(Error::Backend)`      |
//! | `m = 0` or `n = 0` (SCS rejects these; checked before calling it) | `Err(Error::Backend)` |
//!
//! (1) SCS returns "inaccurate" only when it stops at `max_iters` or `time_limit_secs` with
//!     `tau > 0`; the point is its best guess, not converged to the tolerances. As in cvxpy,
//!     this maps to `Inaccurate` (a point is returned, [`Status::has_solution`] is true);
//!     [`ScsReport::hit_max_iters`] / [`ScsReport::hit_time_limit`] say which limit stopped it.
//!     Check such a point (e.g. with [`crate::conic::check_solution`]) before trusting it.
//! (2) An "inaccurate" certificate is only SCS's guess at the limit (`kappa > tau`); no
//!     certificate met `eps_infeas`, so it is reported as the limit that stopped the solve
//!     (the time limit when SCS says so, the iteration limit otherwise), not as infeasibility.
//!     The raw flag is in [`ScsReport::status_val`].
//!
//! # Settings
//! * `tolerance = t` sets `eps_abs = eps_rel = t` and `eps_infeas = min(t, 1e-7)` (SCS's
//!   default `eps_infeas` is 1e-7); `None` keeps SCS's defaults (`eps_abs = eps_rel = 1e-4`).
//! * `max_iterations` -> `max_iters` (SCS default 100000); `time_limit_seconds` ->
//!   `time_limit_secs` (SCS checks it every 25 iterations); `verbose` -> `verbose`.
//! * Everything else stays at SCS 3.3.1's defaults (normalisation, adaptive scaling,
//!   Anderson acceleration, the sparse direct QDLDL+AMD linear-system solver).

use super::resources;
use super::{Backend, BackendKind, ConicSolution, SolveSettings, Status};
use crate::conic::{upper_to_lower_permutation, Cone, ConicProblem, Csc};
use crate::error::{Error, Result};
use scs_sys::{CscI32, ShimSettings};
use serde::Serialize;
use std::time::Instant;

/// SCS 3.3.1 through the scs-sys shim.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScsBackend;

/// SCS's own summary of a solve, beyond what [`ConicSolution`] carries.
#[derive(Clone, Debug, Serialize)]
pub struct ScsReport {
    /// SCS's raw exit flag (`scs.h`: 1 solved, 2 solved inaccurate, -1 unbounded, -2 infeasible,
    /// -6/-7 their inaccurate variants, -3 indeterminate, -4 failed).
    pub status_val: i32,
    /// SCS's status string, e.g. `"solved (inaccurate - reached max_iters)"`.
    pub status: String,
    /// The solve stopped at `max_iters`.
    pub hit_max_iters: bool,
    /// The solve stopped at `time_limit_secs`.
    pub hit_time_limit: bool,
    /// Primal residual `||Ax + s - b||_inf` as SCS reports it (unscaled data).
    pub res_pri: f64,
    /// Dual residual `||Px + q + A'y||_inf` as SCS reports it.
    pub res_dual: f64,
    /// Duality gap `|x'Px + q'x + b'y|` as SCS reports it.
    pub gap: f64,
    /// Infeasibility certificate residual.
    pub res_infeas: f64,
    /// Unboundedness certificate residual (`||Ax + s||`).
    pub res_unbdd_a: f64,
    /// Unboundedness certificate residual (`||Px||`).
    pub res_unbdd_p: f64,
    /// SCS's setup time (normalisation, factorisation), milliseconds.
    pub setup_ms: f64,
    /// SCS's iteration time, milliseconds.
    pub solve_ms: f64,
    /// The linear-system solver SCS used.
    pub lin_sys_solver: String,
}

/// SCS's problem data for `problem` plus the row permutation used: `rows[r]` is the SCS row
/// of toolkit row `r` (identity outside PSD blocks).
pub fn to_scs(problem: &ConicProblem) -> (scs_sys::Problem, Vec<usize>) {
    let m = problem.num_rows();
    let mut rows: Vec<usize> = (0..m).collect();
    let (mut z, mut l, mut q, mut s) = (0usize, 0usize, Vec::new(), Vec::new());
    for (cone, (lo, _hi)) in problem.cones.iter().zip(problem.cone_ranges()) {
        match *cone {
            Cone::Zero(k) => z += k,
            Cone::Nonnegative(k) => l += k,
            Cone::SecondOrder(k) => q.push(k),
            Cone::Psd(k) => {
                s.push(k);
                for (u, lower) in upper_to_lower_permutation(k).into_iter().enumerate() {
                    rows[lo + u] = lo + lower;
                }
            }
        }
    }
    let mut b = vec![0.0; m];
    for (r, &v) in problem.b.iter().enumerate() {
        b[rows[r]] = v;
    }
    let a = csc_i32(&problem.a, Some(&rows));
    let p = if problem.p.nnz() == 0 { None } else { Some(csc_i32(&problem.p, None)) };
    (scs_sys::Problem { a, p, b, c: problem.q.clone(), z, l, q, s }, rows)
}

/// CSC with 32-bit indices, rows renumbered by `rows` (and re-sorted within each column).
fn csc_i32(m: &Csc, rows: Option<&[usize]>) -> CscI32 {
    if !m.is_csc() {
        return csc_i32(&m.to_csc(), rows);
    }
    let (nrows, ncols) = m.shape();
    let mut colptr = Vec::with_capacity(ncols + 1);
    let mut rowval = Vec::with_capacity(m.nnz());
    let mut nzval = Vec::with_capacity(m.nnz());
    colptr.push(0i32);
    let mut col_entries: Vec<(usize, f64)> = Vec::new();
    for col in m.outer_iterator() {
        col_entries.clear();
        col_entries.extend(col.iter().map(|(r, &v)| (rows.map_or(r, |p| p[r]), v)));
        col_entries.sort_unstable_by_key(|e| e.0);
        for &(r, v) in &col_entries {
            rowval.push(r as i32);
            nzval.push(v);
        }
        colptr.push(rowval.len() as i32);
    }
    CscI32 { rows: nrows, cols: ncols, colptr, rowval, nzval }
}

/// SCS settings for the toolkit's [`SolveSettings`] (see the module docs).
pub fn settings(s: &SolveSettings) -> ShimSettings {
    let mut out = ShimSettings { verbose: s.verbose as i32, ..ShimSettings::default() };
    if let Some(t) = s.tolerance {
        out.eps_abs = t;
        out.eps_rel = t;
        out.eps_infeas = out.eps_infeas.min(t);
    }
    if let Some(k) = s.max_iterations {
        out.max_iters = i32::try_from(k).unwrap_or(i32::MAX);
    }
    if let Some(t) = s.time_limit_seconds {
        out.time_limit_secs = t;
    }
    out
}

/// The toolkit status of an SCS exit flag (see the table in the module docs).
pub fn status(status_val: i32, hit_time_limit: bool) -> Status {
    match status_val {
        scs_sys::SCS_SOLVED => Status::Solved,
        scs_sys::SCS_SOLVED_INACCURATE => Status::Inaccurate,
        scs_sys::SCS_INFEASIBLE => Status::PrimalInfeasible,
        scs_sys::SCS_UNBOUNDED => Status::DualInfeasible,
        scs_sys::SCS_INFEASIBLE_INACCURATE | scs_sys::SCS_UNBOUNDED_INACCURATE => {
            if hit_time_limit {
                Status::TimeLimit
            } else {
                Status::IterationLimit
            }
        }
        _ => Status::NumericalError,
    }
}

impl ScsBackend {
    /// Like [`Backend::solve`], also returning SCS's own summary.
    pub fn solve_detailed(&self, problem: &ConicProblem, s: &SolveSettings) -> Result<(ConicSolution, ScsReport)> {
        problem.validate()?;
        s.validate()?;
        check_memory(problem, s)?;
        if problem.num_rows() == 0 || problem.num_vars() == 0 {
            return Err(Error::Backend {
                backend: "scs",
                message: format!("SCS needs at least one variable and one constraint row (n = {}, m = {})", problem.num_vars(), problem.num_rows()),
            });
        }
        let limit = i32::MAX as usize;
        let nnz = problem.a.nnz().max(problem.p.nnz());
        if problem.num_rows() > limit || problem.num_vars() > limit || nnz > limit {
            return Err(Error::TooLarge(format!(
                "SCS takes 32-bit indices: n = {}, m = {}, {} stored entries (each at most {limit})",
                problem.num_vars(),
                problem.num_rows(),
                nnz
            )));
        }
        let start = Instant::now();
        let (data, rows) = to_scs(problem);
        let raw = scs_sys::solve(&data, &settings(s)).map_err(|message| Error::Backend { backend: "scs", message })?;
        let info = raw.info;
        if info.status_val == scs_sys::SCS_SHIM_INIT_FAILED {
            return Err(Error::Backend { backend: "scs", message: info.status_str() });
        }
        let mut s_out = vec![0.0; rows.len()];
        let mut z_out = vec![0.0; rows.len()];
        for (r, &k) in rows.iter().enumerate() {
            s_out[r] = raw.s[k];
            z_out[r] = raw.y[k];
        }
        let report = ScsReport {
            status_val: info.status_val,
            status: info.status_str(),
            hit_max_iters: info.hit_max_iters != 0,
            hit_time_limit: info.hit_time_limit != 0,
            res_pri: info.res_pri,
            res_dual: info.res_dual,
            gap: info.gap,
            res_infeas: info.res_infeas,
            res_unbdd_a: info.res_unbdd_a,
            res_unbdd_p: info.res_unbdd_p,
            setup_ms: info.setup_time_ms,
            solve_ms: info.solve_time_ms,
            lin_sys_solver: info.lin_sys_solver_str(),
        };
        let solution = ConicSolution {
            status: status(info.status_val, report.hit_time_limit),
            backend: BackendKind::Scs,
            x: raw.x,
            s: s_out,
            z: z_out,
            primal_objective: info.pobj,
            dual_objective: info.dobj,
            iterations: info.iter.max(0) as u32,
            solve_seconds: start.elapsed().as_secs_f64(),
        };
        Ok((solution, report))
    }
}

impl Backend for ScsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Scs
    }

    fn solve(&self, problem: &ConicProblem, settings: &SolveSettings) -> Result<ConicSolution> {
        self.solve_detailed(problem, settings).map(|(sol, _)| sol)
    }
}

/// Bytes per PSD entry `k^2` of a cone of order `k`: SCS's projection keeps the matrix, its
/// eigenvectors and LAPACK workspace (about four `k x k` arrays of doubles).
pub const BYTES_PER_PSD_SQUARE: u64 = 32;

/// An estimate of the memory SCS needs for `problem`, in bytes (`None` on overflow): the data
/// and its KKT matrix `[I + P, A'; A, -I]` (12 bytes per nonzero, each stored about three times),
/// the LDL factor estimated by the fill of eliminating the rows first (`sum_i nnz(row i)^2 / 2`
/// entries of 12 bytes), about 30 vectors of length `m + n`, and the PSD projection workspaces.
/// Much smaller than Clarabel's: no dense `k(k+1)/2` scaling block.
pub fn memory_estimate(problem: &ConicProblem) -> Option<u64> {
    let mut row_nnz = vec![0u64; problem.num_rows()];
    if problem.a.is_csc() {
        for &r in problem.a.indices() {
            if let Some(c) = row_nnz.get_mut(r) {
                *c += 1;
            }
        }
    } else {
        for (r, row) in problem.a.outer_iterator().enumerate() {
            if let Some(c) = row_nnz.get_mut(r) {
                *c = row.nnz() as u64;
            }
        }
    }
    let fill = row_nnz.iter().try_fold(0u64, |acc, &c| acc.checked_add(c.checked_mul(c)? / 2))?;
    let nnz = (problem.a.nnz() as u64).checked_add(problem.p.nnz() as u64)?;
    let dims = (problem.num_rows() as u64).checked_add(problem.num_vars() as u64)?;
    let mut psd = Some(0u64);
    for c in &problem.cones {
        if let Cone::Psd(k) = *c {
            psd = psd?.checked_add(resources::mul3(k as u64, k as u64, BYTES_PER_PSD_SQUARE)?);
        }
    }
    resources::sum(&[nnz.checked_mul(36), fill.checked_mul(12), dims.checked_mul(240), psd, Some(32 << 20)])
}

/// Refuses `problem` with [`crate::error::Error::TooLarge`] when [`memory_estimate`] exceeds
/// the memory limit ([`resources`]).
pub fn check_memory(problem: &ConicProblem, s: &SolveSettings) -> Result<()> {
    resources::check(
        memory_estimate(problem),
        resources::effective_limit(s.memory_limit_bytes),
        "SCS on this problem (its KKT factor and PSD projections)",
        resources::DEFAULT_LIMIT_NOTE,
        "for the SDP relaxation use `--backend dnn`, or solve a smaller problem",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::{csc, svec, CscBuilder, Triangle};
    use nalgebra::DMatrix;

    #[test]
    fn psd_rows_are_permuted_to_lower_packing() {
        // One nonnegative row, then a PSD(3) block with A = identity and b = svec_upper(M).
        let m = DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);
        let up = svec(&m, Triangle::Upper);
        let mut a = CscBuilder::new(7, 7);
        for i in 0..7 {
            a.push(i, i, 1.0);
        }
        let mut b = vec![9.0];
        b.extend(&up);
        let p = ConicProblem { p: csc::zeros(7, 7), q: vec![0.0; 7], a: a.build(), b, cones: vec![Cone::Nonnegative(1), Cone::Psd(3)] };
        let (d, rows) = to_scs(&p);
        assert_eq!((d.z, d.l, d.q.clone(), d.s.clone()), (0, 1, vec![], vec![3]));
        assert_eq!(d.b[0], 9.0);
        assert_eq!(&d.b[1..], &svec(&m, Triangle::Lower)[..]);
        assert!(d.p.is_none());
        // Column u of A has its single 1 in SCS row rows[u].
        for (u, &row) in rows.iter().enumerate() {
            assert_eq!(d.a.rowval[d.a.colptr[u] as usize] as usize, row);
        }
    }

    #[test]
    fn consecutive_cones_merge() {
        let cones = vec![Cone::Zero(1), Cone::Zero(2), Cone::Nonnegative(1), Cone::Nonnegative(3), Cone::SecondOrder(3), Cone::SecondOrder(2), Cone::Psd(2), Cone::Psd(1)];
        let m: usize = cones.iter().map(|c| c.dim()).sum();
        let p = ConicProblem { p: csc::zeros(1, 1), q: vec![0.0], a: csc::zeros(m, 1), b: vec![0.0; m], cones };
        let (d, _) = to_scs(&p);
        assert_eq!((d.z, d.l, d.q, d.s), (3, 4, vec![3, 2], vec![2, 1]));
    }

    #[test]
    fn status_table() {
        assert_eq!(status(1, false), Status::Solved);
        assert_eq!(status(2, true), Status::Inaccurate);
        assert_eq!(status(-2, false), Status::PrimalInfeasible);
        assert_eq!(status(-1, false), Status::DualInfeasible);
        assert_eq!(status(-7, false), Status::IterationLimit);
        assert_eq!(status(-6, true), Status::TimeLimit);
        for v in [-3, -4, -5, 0, 7] {
            assert_eq!(status(v, false), Status::NumericalError);
        }
    }

    #[test]
    fn settings_mapping() {
        let d = settings(&SolveSettings::default());
        assert_eq!((d.eps_abs, d.eps_rel, d.eps_infeas, d.max_iters, d.time_limit_secs, d.verbose), (1e-4, 1e-4, 1e-7, 100_000, 0.0, 0));
        let s = settings(&SolveSettings { tolerance: Some(1e-9), max_iterations: Some(50), time_limit_seconds: Some(2.5), verbose: true, memory_limit_bytes: None });
        assert_eq!((s.eps_abs, s.eps_rel, s.eps_infeas, s.max_iters, s.time_limit_secs, s.verbose), (1e-9, 1e-9, 1e-9, 50, 2.5, 1));
        let s = settings(&SolveSettings { tolerance: Some(1e-3), ..Default::default() });
        assert_eq!(s.eps_infeas, 1e-7);
    }
}
