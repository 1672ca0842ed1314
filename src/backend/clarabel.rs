//! The Clarabel interior-point backend (clarabel 0.11, PSD cones via the system LAPACK).
//!
//! * PSD packing: Clarabel's `PSDTriangleConeT(k)` uses the toolkit's own packing (upper
//!   triangle, column by column, off-diagonals times sqrt 2), so data passes unchanged.
//! * Chordal decomposition stays on (Clarabel's default) with `chordal_decomposition_complete_dual`
//!   set, so the returned `z` has full size and is a valid dual for the original PSD cone.
//! * Status mapping: `Solved` -> solved; `AlmostSolved`, `InsufficientProgress` -> inaccurate;
//!   `(Almost)PrimalInfeasible` -> primal infeasible; `(Almost)DualInfeasible` -> dual infeasible;
//!   `MaxIterations` -> iteration limit; `MaxTime` -> time limit; anything else -> numerical error.
//! * Tolerance `t` (when set) goes to `tol_gap_abs`, `tol_gap_rel`, `tol_feas`, `tol_ktratio`
//!   and the infeasibility tolerances; the reduced-accuracy tolerances are kept at
//!   Clarabel's ratio (reduced = sqrt of the full-accuracy tolerance, as its defaults 5e-5 vs 1e-8 roughly are).

use super::{Backend, BackendKind, ConicSolution, SolveSettings, Status};
use crate::conic::{Cone, ConicProblem, Csc};
use crate::error::{Error, Result};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use std::time::Instant;

/// Clarabel, called in-process.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClarabelBackend;

fn to_clarabel(m: &Csc) -> CscMatrix<f64> {
    let m = if m.is_csc() { m.clone() } else { m.to_csc() };
    let (rows, cols) = m.shape();
    let (indptr, indices, data) = m.into_raw_storage();
    CscMatrix::new(rows, cols, indptr, indices, data)
}

fn cone(c: &Cone) -> SupportedConeT<f64> {
    match *c {
        Cone::Zero(k) => SupportedConeT::ZeroConeT(k),
        Cone::Nonnegative(k) => SupportedConeT::NonnegativeConeT(k),
        Cone::SecondOrder(k) => SupportedConeT::SecondOrderConeT(k),
        Cone::Psd(k) => SupportedConeT::PSDTriangleConeT(k),
    }
}

fn status(s: SolverStatus) -> Status {
    match s {
        SolverStatus::Solved => Status::Solved,
        SolverStatus::AlmostSolved | SolverStatus::InsufficientProgress => Status::Inaccurate,
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Status::PrimalInfeasible,
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => Status::DualInfeasible,
        SolverStatus::MaxIterations => Status::IterationLimit,
        SolverStatus::MaxTime => Status::TimeLimit,
        _ => Status::NumericalError,
    }
}

fn psd_orders(problem: &ConicProblem) -> Vec<usize> {
    problem.cones.iter().filter_map(|c| if let Cone::Psd(k) = c { Some(*k) } else { None }).collect()
}

/// Clarabel settings for the toolkit's [`SolveSettings`].
pub fn settings(s: &SolveSettings) -> DefaultSettings<f64> {
    let mut out = DefaultSettings::<f64> { verbose: s.verbose, chordal_decomposition_complete_dual: true, ..Default::default() };
    if let Some(t) = s.tolerance {
        out.tol_gap_abs = t;
        out.tol_gap_rel = t;
        out.tol_feas = t;
        out.tol_ktratio = t.sqrt().min(out.tol_ktratio);
        out.tol_infeas_abs = t;
        out.tol_infeas_rel = t;
        let reduced = t.sqrt().min(1e-2);
        out.reduced_tol_gap_abs = reduced;
        out.reduced_tol_gap_rel = reduced;
        out.reduced_tol_feas = reduced;
        out.reduced_tol_infeas_abs = reduced;
        out.reduced_tol_infeas_rel = reduced;
    }
    if let Some(k) = s.max_iterations {
        out.max_iter = k;
    }
    if let Some(t) = s.time_limit_seconds {
        out.time_limit = t;
    }
    out
}

impl Backend for ClarabelBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Clarabel
    }

    fn solve(&self, problem: &ConicProblem, s: &SolveSettings) -> Result<ConicSolution> {
        problem.validate()?;
        s.validate()?;
        crate::limits::check_bytes(crate::limits::solver_bytes(problem, true), || {
            format!("Clarabel on this problem (n = {}, m = {}, PSD orders {:?})", problem.num_vars(), problem.num_rows(), psd_orders(problem))
        })?;
        let start = Instant::now();
        let p = to_clarabel(&problem.p);
        let a = to_clarabel(&problem.a);
        let cones: Vec<_> = problem.cones.iter().map(cone).collect();
        let mut solver = DefaultSolver::new(&p, &problem.q, &a, &problem.b, &cones, settings(s))
            .map_err(|e| Error::Backend { backend: "clarabel", message: e.to_string() })?;
        solver.solve();
        let sol = &solver.solution;
        Ok(ConicSolution {
            status: status(sol.status),
            backend: BackendKind::Clarabel,
            x: sol.x.clone(),
            s: sol.s.clone(),
            z: sol.z.clone(),
            primal_objective: sol.obj_val,
            dual_objective: sol.obj_val_dual,
            iterations: sol.iterations,
            solve_seconds: start.elapsed().as_secs_f64(),
        })
    }
}
