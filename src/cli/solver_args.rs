//! The solver options shared by every subcommand that runs a conic solver.

use clap::Args;
use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::error::Result;

/// Which solver runs, and how long and how accurately.
#[derive(Args, Debug, Clone)]
pub struct SolverArgs {
    /// Which solver to run. There is no fallback: if it is not compiled in, or it fails, the
    /// command says so instead of trying the other one.
    #[arg(long, value_enum, default_value_t = BackendKind::Clarabel)]
    pub backend: BackendKind,
    /// Feasibility and relative-gap tolerance passed to the solver (default: the solver's own,
    /// Clarabel 1e-8, SCS 1e-4).
    #[arg(long, value_name = "T")]
    pub tolerance: Option<f64>,
    /// Iteration limit (default: the solver's own, Clarabel 200, SCS 100000).
    #[arg(long, value_name = "N")]
    pub max_iterations: Option<u32>,
    /// Wall-clock limit for each solve, in seconds (default: none). After an SDP solve, the
    /// rounding (refits and polish) gets a further quarter of it, at least 10 s.
    #[arg(long, value_name = "S")]
    pub time_limit: Option<f64>,
    /// Print the solver's iteration log to stdout.
    #[arg(long)]
    pub verbose: bool,
    /// Memory a solve may use (bytes, or with a K/M/G/T suffix, e.g. 8G; `none` for no limit).
    /// The solver's need is estimated before it starts and the solve is refused above the limit.
    /// Default: 75% of the memory available (MemAvailable in /proc/meminfo), or 16G if unknown;
    /// for Clarabel at most 4G (above that each of its iterations takes minutes).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    pub memory_limit: Option<u64>,
    /// The `dnn` backend's method: `ipm` (interior point: high accuracy; each direction by
    /// GMRES with a low-rank preconditioner, a capacitance matrix of a few thousand terms; the
    /// normal matrix, of order q (q + 1) / 2 with q = n + d + c, only if GMRES fails), `admm` (first order: memory like q^2, moderate accuracy),
    /// `ssnal` (a short ADMM, then a semismooth Newton augmented Lagrangian method; memory like
    /// q^2, reaches 1e-6 on small instances only, certifies more than admm in equal time on the
    /// larger ones), `ipm-working-set` (ipm on a working set of the sign constraints grown by the
    /// most violated ones: a certified bound after every round; ahead of ssnal on
    /// the banknote training half, and on digits from about 1000 s on), or `auto` (the default: ipm up to q = 400 when its
    /// memory estimate and predicted time fit the limits, and up to q = 700 when its memory
    /// estimate fits and the time limit is none or at least 240 s; otherwise ipm-working-set when its rounds' Schur
    /// complement, of order n c + max(4 n, 1000), fits the memory and is at most 8000 or the
    /// time limit (none, or 3.5 of its predicted rounds) leaves it time for its first rounds,
    /// ssnal otherwise). Only with `--backend dnn`.
    #[arg(long, value_name = "METHOD", value_parser = parse_dnn_method)]
    pub dnn_method: Option<convex_relu::dnn::DnnMethod>,
}

fn parse_dnn_method(text: &str) -> std::result::Result<convex_relu::dnn::DnnMethod, String> {
    convex_relu::dnn::DnnMethod::parse(text).map_err(|e| e.to_string())
}

fn parse_memory_limit(text: &str) -> std::result::Result<u64, String> {
    convex_relu::backend::resources::parse_size(text).map_err(|e| e.to_string())
}

impl SolverArgs {
    /// The `dnn` method: the one given (an error unless the backend is `dnn` and `dnn_applies`,
    /// so that the option is never silently ignored), `auto` otherwise.
    pub fn dnn_method(&self, dnn_applies: bool) -> Result<convex_relu::dnn::DnnMethod> {
        match self.dnn_method {
            None => Ok(convex_relu::dnn::DnnMethod::Auto),
            Some(m) if dnn_applies && self.backend == BackendKind::Dnn => Ok(m),
            Some(m) => Err(convex_relu::error::Error::InvalidArgument(format!(
                "--dnn-method {} applies to the SDP relaxation with --backend dnn only (backend is {})",
                m.name(),
                self.backend.name()
            ))),
        }
    }

    /// The validated [`SolveSettings`].
    pub fn settings(&self) -> Result<SolveSettings> {
        let s = SolveSettings { tolerance: self.tolerance, max_iterations: self.max_iterations, time_limit_seconds: self.time_limit, verbose: self.verbose, memory_limit_bytes: self.memory_limit };
        s.validate()?;
        Ok(s)
    }
}
