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
//! * Linear solver: faer's supernodal LDL (`direct_solve_method = "faer"`, the `faer-sparse`
//!   feature) with [`FAER_THREADS`] threads, not Clarabel's default QDLDL; on the SDP
//!   relaxation this is 4-6x faster (measurements in docs/backends.md).
//!
//! # Memory guard
//! Before anything is allocated, [`memory_estimate`] adds up what Clarabel holds for the
//! problem; the dominant part is, for each PSD cone of order `k` with `m = k(k+1)/2`, the dense
//! `m x m` scaling block `Hs` (in the cone), its packed copy and index map in the KKT matrix,
//! the permuted KKT copy inside the LDL solver and the (dense) factor of that block:
//! [`BYTES_PER_PSD_ENTRY`] bytes per entry of `m^2`. The solve is refused with
//! [`Error::TooLarge`] when the estimate exceeds the memory limit: the explicit
//! `memory_limit_bytes`, else 75 % of `MemAvailable` capped at [`DEFAULT_LIMIT_CAP`] (4 GiB),
//! beyond which each iteration's dense factorisation takes minutes. Full iris with bias
//! (`k = 158`, about 9.5 GiB) is refused by default.
//!
//! # Time limit
//! Clarabel checks `time_limit` only between iterations, and one factorisation of a large
//! dense PSD block can take minutes. With a time limit the solve therefore runs on a worker
//! thread and the caller waits at most `limit + grace` ([`grace_seconds`]); if the worker has
//! not answered by then, `solve` returns status `time_limit` with no point (`x`, `s`, `z` all
//! NaN, objectives NaN). The abandoned worker is told to stop through Clarabel's termination
//! callback, which it reaches at the end of its current iteration; until then it keeps its
//! memory and a core (at the latest until the process exits). Without a time limit the solve
//! runs on the calling thread.

use super::resources;
use super::{Backend, BackendKind, ConicSolution, SolveSettings, Status};
use crate::conic::{Cone, ConicProblem, Csc};
use crate::error::{Error, Result};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultInfo, DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Clarabel, called in-process.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClarabelBackend;

/// Clarabel's linear solver for the KKT systems: faer's supernodal LDL.
pub const DIRECT_SOLVE_METHOD: &str = "faer";

/// Threads of the faer factorisation (Clarabel's `max_threads`).
pub const FAER_THREADS: u32 = 1;

/// Bytes per entry of `m^2` (`m = k(k+1)/2`) of every PSD cone of order `k`. What Clarabel
/// holds per entry: the dense scaling block `Hs` (8), its packed copy in the cone (4), its
/// upper triangle in the KKT matrix with row indices and index map (12), the LDL solver's
/// permuted KKT copy (8), and the factor, in which the PSD rows and the `svec` variables they
/// couple both become dense (about 2 m^2 entries). Measured peak resident memory of whole
/// solves with faer: 59 bytes per entry at k = 65 (272 MB) and 60 at k = 81 (665 MB); 64
/// leaves a margin (docs/backends.md).
pub const BYTES_PER_PSD_ENTRY: u64 = 64;

/// Bytes per nonzero of `A` and `P` (the copies Clarabel keeps: user data, equilibrated data,
/// KKT matrix, its permuted copy, the factor's share: value and index each).
pub const BYTES_PER_NONZERO: u64 = 96;

/// Bytes per row or column (about 40 vectors of doubles: iterates, residuals, steps, scalings).
pub const BYTES_PER_DIMENSION: u64 = 320;

/// Fixed overhead (the solver's code, threads' stacks, allocator slack).
pub const BASE_BYTES: u64 = 64 << 20;

/// The memory Clarabel needs for `problem`, in bytes (see the module docs); `None` if the
/// count overflows 64 bits.
pub fn memory_estimate(problem: &ConicProblem) -> Option<u64> {
    let mut psd = Some(0u64);
    for c in &problem.cones {
        if let Cone::Psd(k) = *c {
            let k = k as u64;
            let m = k.checked_mul(k.checked_add(1)?)? / 2;
            psd = psd?.checked_add(resources::mul3(m, m, BYTES_PER_PSD_ENTRY)?);
        }
    }
    let nnz = (problem.a.nnz() as u64).checked_add(problem.p.nnz() as u64)?;
    let dims = (problem.num_rows() as u64).checked_add(problem.num_vars() as u64)?;
    resources::sum(&[psd, nnz.checked_mul(BYTES_PER_NONZERO), dims.checked_mul(BYTES_PER_DIMENSION), Some(BASE_BYTES)])
}

/// Clarabel's default memory limit is the general default (75 % of `MemAvailable`) but at most
/// this, 4 GiB: a PSD block that needs more (`k` above about 110) costs minutes per
/// interior-point iteration (a dense LDL of order `k(k+1)/2`), so the whole solve would take
/// hours. An explicit limit (`--memory-limit`) replaces it.
pub const DEFAULT_LIMIT_CAP: u64 = 4 << 30;

/// The limit Clarabel runs under: the explicit one, else min(default, [`DEFAULT_LIMIT_CAP`]).
pub fn memory_limit(s: &SolveSettings) -> u64 {
    s.memory_limit_bytes.unwrap_or_else(|| resources::default_memory_limit().min(DEFAULT_LIMIT_CAP))
}

/// Refuses `problem` with [`Error::TooLarge`] when [`memory_estimate`] exceeds the limit.
pub fn check_memory(problem: &ConicProblem, s: &SolveSettings) -> Result<()> {
    let largest = problem.cones.iter().filter_map(|c| if let Cone::Psd(k) = *c { Some(k) } else { None }).max();
    let what = match largest {
        Some(k) => format!(
            "Clarabel on this problem (PSD cone of order {k}: a dense scaling block of ({k}*{}/2)^2 doubles plus its KKT factor)",
            k.saturating_add(1)
        ),
        None => "Clarabel on this problem".to_string(),
    };
    resources::check(
        memory_estimate(problem),
        memory_limit(s),
        &what,
        "Clarabel's default: 75% of MemAvailable, at most 4 GiB; set another with --memory-limit",
        "for the SDP relaxation use `--backend dnn` (built for it), or solve a smaller problem",
    )
}

/// How long the caller waits past the time limit for Clarabel's own stop (it checks the clock
/// between iterations) before returning `time_limit` without a point: 5 % of the limit, at
/// least 0.25 s and at most 2 s.
pub fn grace_seconds(limit: f64) -> f64 {
    (0.05 * limit).clamp(0.25, 2.0)
}

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

/// Clarabel settings for the toolkit's [`SolveSettings`].
pub fn settings(s: &SolveSettings) -> DefaultSettings<f64> {
    let mut out = DefaultSettings::<f64> {
        verbose: s.verbose,
        chordal_decomposition_complete_dual: true,
        direct_solve_method: DIRECT_SOLVE_METHOD.to_string(),
        max_threads: FAER_THREADS,
        ..Default::default()
    };
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

/// Sets up and runs Clarabel on the calling thread. `cancel`, when given, is polled by the
/// termination callback after every iteration; `iterations` records the last iteration seen.
fn run(
    problem: &ConicProblem,
    settings: DefaultSettings<f64>,
    start: Instant,
    cancel: Option<(Arc<AtomicBool>, Arc<AtomicU32>)>,
) -> Result<ConicSolution> {
    let p = to_clarabel(&problem.p);
    let a = to_clarabel(&problem.a);
    let cones: Vec<_> = problem.cones.iter().map(cone).collect();
    let mut solver = DefaultSolver::new(&p, &problem.q, &a, &problem.b, &cones, settings)
        .map_err(|e| Error::Backend { backend: "clarabel", message: e.to_string() })?;
    if let Some((flag, iterations)) = cancel {
        solver.set_termination_callback(move |info: &DefaultInfo<f64>| {
            iterations.store(info.iterations, Ordering::Relaxed);
            flag.load(Ordering::Relaxed)
        });
    }
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

/// Runs Clarabel on a worker thread and waits at most `limit + grace` (see the module docs).
fn run_with_deadline(problem: &ConicProblem, settings: DefaultSettings<f64>, limit: f64, start: Instant) -> Result<ConicSolution> {
    let cancel = Arc::new(AtomicBool::new(false));
    let iterations = Arc::new(AtomicU32::new(0));
    let (tx, rx) = mpsc::sync_channel(1);
    let owned = problem.clone();
    let hooks = (Arc::clone(&cancel), Arc::clone(&iterations));
    std::thread::Builder::new()
        .name("clarabel".into())
        .stack_size(64 << 20)
        .spawn(move || {
            let out = run(&owned, settings, start, Some(hooks));
            // The caller may have given up already: then nobody receives, which is fine.
            let _ = tx.send(out);
        })
        .map_err(|e| Error::Backend { backend: "clarabel", message: format!("cannot start the solver thread: {e}") })?;
    let deadline = Duration::from_secs_f64(limit + grace_seconds(limit));
    let wait = deadline.saturating_sub(start.elapsed());
    match rx.recv_timeout(wait) {
        Ok(out) => out,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            cancel.store(true, Ordering::Relaxed);
            let (n, m) = (problem.num_vars(), problem.num_rows());
            Ok(ConicSolution {
                status: Status::TimeLimit,
                backend: BackendKind::Clarabel,
                x: vec![f64::NAN; n],
                s: vec![f64::NAN; m],
                z: vec![f64::NAN; m],
                primal_objective: f64::NAN,
                dual_objective: f64::NAN,
                iterations: iterations.load(Ordering::Relaxed),
                solve_seconds: start.elapsed().as_secs_f64(),
            })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(Error::Backend { backend: "clarabel", message: "the solver thread stopped without a result (it panicked)".into() })
        }
    }
}

impl Backend for ClarabelBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Clarabel
    }

    fn solve(&self, problem: &ConicProblem, s: &SolveSettings) -> Result<ConicSolution> {
        problem.validate()?;
        s.validate()?;
        check_memory(problem, s)?;
        let start = Instant::now();
        match s.time_limit_seconds {
            Some(limit) => run_with_deadline(problem, settings(s), limit, start),
            None => run(problem, settings(s), start, None),
        }
    }
}
