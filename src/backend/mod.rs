//! Solver backends behind one interface.
//!
//! Each backend is compiled in by its cargo feature (`clarabel`, `scs`; both default).
//! [`backend`] returns the requested one or [`Error::BackendUnavailable`]: there is never a
//! silent fallback from one solver to another, and every [`ConicSolution`] records which
//! backend produced it.
//!
//! Sign conventions are Clarabel's for both backends: `A x + s = b`, `s in K`, `z in K*`,
//! `P x + q + A' z = 0` (SCS calls `z` "y" and uses the same signs).

#[cfg(feature = "clarabel")]
pub mod clarabel;
#[cfg(feature = "scs")]
pub mod scs;
pub mod resources;

use crate::conic::ConicProblem;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The solvers convex-relu can call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Clarabel 0.11 (interior point, Rust): accurate, memory grows with the square of the PSD block.
    Clarabel,
    /// SCS 3.3.1 (ADMM, C): first order, one eigendecomposition per iteration, loose by default.
    Scs,
    /// convex-relu's own solver for the SDP relaxation (`--formulation sdp` only): interior
    /// point, working set, semismooth Newton or ADMM on the structure of the relaxation
    /// (`--dnn-method`), dense matrices of order n + d + c and 2n + d + c, no sparse constraint
    /// matrix (see `crate::dnn`).
    Dnn,
}

impl BackendKind {
    /// Every kind, whether compiled in or not.
    pub const ALL: [BackendKind; 3] = [BackendKind::Clarabel, BackendKind::Scs, BackendKind::Dnn];
    /// The backends that solve any conic problem (`dnn` solves only the SDP relaxation).
    pub const CONIC: [BackendKind; 2] = [BackendKind::Clarabel, BackendKind::Scs];

    /// Lower-case name (`clarabel`, `scs`).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Clarabel => "clarabel",
            BackendKind::Scs => "scs",
            BackendKind::Dnn => "dnn",
        }
    }

    /// Whether this build contains the backend.
    pub fn is_available(self) -> bool {
        match self {
            BackendKind::Clarabel => cfg!(feature = "clarabel"),
            BackendKind::Scs => cfg!(feature = "scs"),
            BackendKind::Dnn => true,
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "clarabel" => Ok(BackendKind::Clarabel),
            "scs" => Ok(BackendKind::Scs),
            "dnn" => Ok(BackendKind::Dnn),
            other => Err(Error::InvalidArgument(format!("unknown backend `{other}` (expected clarabel, scs or dnn)"))),
        }
    }
}

/// Outcome of a solve. These are values, not errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Converged to the requested tolerances.
    Solved,
    /// Stopped at reduced accuracy (Clarabel "AlmostSolved"/"Insufficient progress", SCS "inaccurate").
    Inaccurate,
    /// A certificate of primal infeasibility was found.
    PrimalInfeasible,
    /// A certificate of dual infeasibility (unboundedness) was found.
    DualInfeasible,
    /// The iteration limit was reached.
    IterationLimit,
    /// The time limit was reached.
    TimeLimit,
    /// The solver failed numerically.
    NumericalError,
}

impl Status {
    /// True for [`Status::Solved`] and [`Status::Inaccurate`]: the returned point is meaningful.
    pub fn has_solution(self) -> bool {
        matches!(self, Status::Solved | Status::Inaccurate)
    }

    /// snake_case name, as printed in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Status::Solved => "solved",
            Status::Inaccurate => "inaccurate",
            Status::PrimalInfeasible => "primal_infeasible",
            Status::DualInfeasible => "dual_infeasible",
            Status::IterationLimit => "iteration_limit",
            Status::TimeLimit => "time_limit",
            Status::NumericalError => "numerical_error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings common to every backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolveSettings {
    /// Target tolerance for feasibility and the relative gap. `None` (the default) keeps each
    /// backend's own defaults: Clarabel 1e-8, SCS 1e-4 (its `eps_abs`/`eps_rel`).
    pub tolerance: Option<f64>,
    /// Iteration limit; `None` (default) keeps the backend's own (Clarabel 200, SCS 100000).
    pub max_iterations: Option<u32>,
    /// Wall-clock limit in seconds; `None` (default) for none.
    pub time_limit_seconds: Option<f64>,
    /// Let the backend print its iteration log to stdout (default false).
    pub verbose: bool,
    /// Memory a solve may use, in bytes, checked against the backend's estimate before it
    /// allocates ([`resources`]). `None` (default): 75 % of `MemAvailable`, or 16 GiB if unknown
    /// (Clarabel: at most 4 GiB);
    /// `Some(u64::MAX)`: no limit.
    #[serde(default)]
    pub memory_limit_bytes: Option<u64>,
}

impl Default for SolveSettings {
    fn default() -> Self {
        Self { tolerance: None, max_iterations: None, time_limit_seconds: None, verbose: false, memory_limit_bytes: None }
    }
}

impl SolveSettings {
    /// Rejects non-positive or non-finite tolerances and limits.
    pub fn validate(&self) -> Result<()> {
        if let Some(t) = self.tolerance {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::InvalidArgument(format!("tolerance must be a positive number, found {t}")));
            }
        }
        if let Some(t) = self.time_limit_seconds {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::InvalidArgument(format!("time limit must be a positive number of seconds, found {t}")));
            }
        }
        if self.memory_limit_bytes == Some(0) {
            return Err(Error::InvalidArgument("memory limit must be at least 1 byte".into()));
        }
        if self.max_iterations == Some(0) {
            return Err(Error::InvalidArgument("iteration limit must be at least 1".into()));
        }
        Ok(())
    }
}

/// What a backend returns: the status, the primal-dual point and the solver's own summary.
#[derive(Clone, Debug, Serialize)]
pub struct ConicSolution {
    /// Outcome.
    pub status: Status,
    /// The backend that actually ran.
    pub backend: BackendKind,
    /// Primal variables (length n).
    pub x: Vec<f64>,
    /// Primal slacks in `K` (length m, toolkit packing).
    pub s: Vec<f64>,
    /// Dual variables in `K*` (length m, toolkit packing).
    pub z: Vec<f64>,
    /// The solver's primal objective `1/2 x'Px + q'x`.
    pub primal_objective: f64,
    /// The solver's dual objective.
    pub dual_objective: f64,
    /// Iterations taken.
    pub iterations: u32,
    /// Wall-clock seconds of the solve (setup included).
    pub solve_seconds: f64,
}

/// A conic solver.
pub trait Backend {
    /// Which solver this is.
    fn kind(&self) -> BackendKind;
    /// Validates `problem` and solves it. Solver outcomes are in [`ConicSolution::status`];
    /// an `Err` means the problem or settings were rejected or the solver could not start.
    fn solve(&self, problem: &ConicProblem, settings: &SolveSettings) -> Result<ConicSolution>;
}

/// The backend of the given kind, or [`Error::BackendUnavailable`] if it is not compiled in.
pub fn backend(kind: BackendKind) -> Result<Box<dyn Backend>> {
    match kind {
        #[cfg(feature = "clarabel")]
        BackendKind::Clarabel => Ok(Box::new(clarabel::ClarabelBackend)),
        #[cfg(feature = "scs")]
        BackendKind::Scs => Ok(Box::new(scs::ScsBackend)),
        BackendKind::Dnn => Err(Error::InvalidArgument(
            "the dnn backend solves the SDP relaxation from its data (`solve --formulation sdp --backend dnn`); \
             it does not take general conic problems (use clarabel or scs)"
                .into(),
        )),
        #[allow(unreachable_patterns)]
        other => Err(Error::BackendUnavailable(other.name())),
    }
}

/// Solves `problem` with the backend `kind` (a shorthand for `backend(kind)?.solve(..)`).
pub fn solve(problem: &ConicProblem, kind: BackendKind, settings: &SolveSettings) -> Result<ConicSolution> {
    backend(kind)?.solve(problem, settings)
}
