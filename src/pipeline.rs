//! End-to-end runs as library functions: data -> program -> solver -> network -> certified
//! bounds, returned as one serde-serialisable [`Report`] for every formulation (the CLI's
//! `solve --json` prints exactly these keys; [`std::fmt::Display`] is for people).
//!
//! # The numbers of a report (objective `L` of docs/background.md, section 0, sums not means)
//!
//! * `objective`: the convex program's optimum **as the solver reports it**. C-ReLU
//!   (exact/gated/sampled): the C-ReLU objective evaluated directly at the solver's point. SDP:
//!   the solver's primal objective of the relaxation -- an estimate, *not* a bound (docs/background.md, section 7).
//! * `lower_bound` (LB): a certified lower bound on `p*`, or null. C-ReLU: the dual certificate
//!   of [`crate::certify`] (needs every activation pattern). SDP: the repaired-dual bound of
//!   [`crate::certify::sdp`], computed with the rounded network as incumbent (its objective bounds
//!   the trace of the relaxation's solution). `certified` says whether LB is a bound.
//! * `upper_bound` (UB): the training objective `L` of a real network -- the recovered network
//!   (exact, sampled), the rounded network (SDP); null for gated (its solution is not a network).
//! * `gap = (UB - LB) / UB` when both exist; `globally_optimal` is
//!   `UB - LB <= tolerance * max(|UB|, 1e-2)` with [`GLOBAL_OPTIMALITY_TOLERANCE`] = 1e-4
//!   (relative, with the absolute floor [`GLOBAL_OPTIMALITY_ABS_FLOOR`] so that a zero optimum
//!   can be certified) and a certified LB. Non-finite numbers are never reported (dropped with a
//!   note; a dropped LB is not certified).
//! * `exact_optimum` (`p*`): scalar output (c = 1) and every pattern enumerable, when asked for:
//!   the exact C-ReLU optimum (docs/background.md, section 1; = p* to the solver's accuracy).
//!   Then `relaxation_gap = (p* - LB) / p*` and `rounding_gap = (UB - p*) / p*` (docs/background.md, section 2).
//!
//! Every number names the backend that produced it (`backend`; `exact_optimum_backend`;
//! the certificate SOCPs of the C-ReLU dual bound always run on Clarabel and say so in
//! `lower_bound_method`). Nothing falls back to another backend: a failed solve is a status.

use crate::backend::{self, BackendKind, ConicSolution, SolveSettings};
use crate::certify;
use crate::dnn;
use crate::conic::ConicProblem;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::export::{LayoutBlock, ProblemMeta};
use crate::formulation::{self, sdp, CompileSettings, Formulation};
use crate::network::Network;
use crate::patterns::{self, Budget, Patterns};
use crate::rounding::{self, Rounding, RoundingSettings};
use crate::train::{self, TrainSettings};
use nalgebra::DMatrix;
use serde::Serialize;
use std::fmt;
use std::time::Instant;

/// Relative tolerance on `(UB - LB) / UB` under which a run is declared globally optimal.
pub const GLOBAL_OPTIMALITY_TOLERANCE: f64 = 1e-4;

/// The absolute floor of the global-optimality test: `UB - LB <= tol * max(|UB|, floor)`, so an
/// optimum of (nearly) zero is certified when `UB - LB <= 1e-4 * 1e-2 = 1e-6`.
pub const GLOBAL_OPTIMALITY_ABS_FLOOR: f64 = 1e-2;

/// The reference optimum of docs/background.md, section 6 (`synth::reference_1d()`, beta = 0.1).
pub const REFERENCE_1D_OPTIMUM: f64 = 0.71707776;

/// What to run. Defaults: exact, beta 0.1, Clarabel, 64 gates, seed 0, Gaussian rounding with
/// its default number of samples, certify, no separate exact optimum.
#[derive(Clone, Debug)]
pub struct PipelineSettings {
    pub formulation: Formulation,
    /// Weight decay `beta > 0`.
    pub beta: f64,
    pub backend: BackendKind,
    pub solve: SolveSettings,
    /// Gaussian gates (sampled).
    pub gates: usize,
    /// Seed of the gate sampler and of the rounding.
    pub seed: u64,
    /// Limits on exact pattern enumeration.
    pub budget: Budget,
    /// Rounding method (SDP formulations).
    pub rounding: Rounding,
    /// Gaussian samples per repetition (`None`: the method's default); must be >= 1.
    pub samples: Option<usize>,
    /// Compute the lower bound (dual certificate).
    pub certify: bool,
    /// Also compute `p*` by the exact C-ReLU program (c = 1, enumerable patterns).
    pub exact_optimum: bool,
    /// Rounded networks polished by local training (default 3; 0 = none); see rounding::staged.
    pub polish_candidates: usize,
    /// With a solve time limit, bound the rounding after an SDP solve by [`rounding_budget`] of
    /// it (default true; studies that time the rounding themselves turn it off).
    pub bound_rounding: bool,
    /// The `dnn` backend's method (default [`dnn::DnnMethod::Auto`]: the interior-point method
    /// up to order `q = 400`, and up to `q = 700` under a time limit of at least 240 s or none,
    /// the working-set or the semismooth Newton method above; see
    /// [`dnn::DnnMethod::resolve`]).
    pub dnn_method: dnn::DnnMethod,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            formulation: Formulation::Exact,
            beta: 0.1,
            backend: BackendKind::Clarabel,
            solve: SolveSettings::default(),
            gates: 64,
            seed: 0,
            budget: Budget::default(),
            rounding: Rounding::Gaussian,
            samples: None,
            certify: true,
            exact_optimum: false,
            polish_candidates: crate::rounding::StagedSettings::default().polish_candidates,
            bound_rounding: true,
            dnn_method: dnn::DnnMethod::Auto,
        }
    }
}

impl PipelineSettings {
    /// Range checks (beta > 0, samples >= 1, gates >= 1).
    pub fn validate(&self) -> Result<()> {
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(Error::InvalidArgument(format!("beta must be a positive number, found {}", self.beta)));
        }
        if self.samples == Some(0) {
            return Err(Error::InvalidArgument("--samples must be at least 1, found 0".into()));
        }
        if self.gates == 0 && self.formulation == Formulation::Sampled {
            return Err(Error::InvalidArgument("--gates must be at least 1, found 0".into()));
        }
        self.solve.validate()
    }

    fn rounding_settings(&self, method: Rounding) -> RoundingSettings {
        let mut r = RoundingSettings { method, ..Default::default() };
        r.gaussian.samples = self.samples;
        r.gaussian.seed = self.seed;
        r.tos.seed = self.seed;
        r.staged.polish_candidates = self.polish_candidates;
        // A solve under a wall-clock limit keeps the rounding after it bounded too.
        if self.bound_rounding {
            r.staged.time_budget_seconds = self.solve.time_limit_seconds.map(rounding_budget);
        }
        r
    }
}

/// The report's `lower_bound_method`: how the bound was certified, from whose dual, and whether
/// that dual was refined first (with the value before).
fn bound_method(bound: &certify::sdp::CertifiedBound, source: &str) -> String {
    let refined = match bound.details.refinement_steps {
        0 => String::new(),
        k => format!(", multiplier refined in {k} steps from {:.8}", bound.details.value_before_refinement),
    };
    format!("{} (dual of {source}{refined})", bound.method)
}

/// The wall-clock budget of the rounding (refits and polish) after a solve limited to `limit`
/// seconds: a quarter of it, at least 10 s.
pub fn rounding_budget(limit: f64) -> f64 {
    (0.25 * limit).max(10.0)
}

/// How the SDP solution was rounded.
#[derive(Clone, Debug, Serialize)]
pub struct RoundingInfo {
    /// `gaussian` or `tos`.
    pub method: Rounding,
    /// Gaussian: samples drawn; TOS: the rank.
    pub samples: usize,
    /// Width of the rounded network.
    pub width: usize,
    /// Its training objective (= `upper_bound`).
    pub objective: f64,
    pub seed: u64,
    /// Gaussian: best training objective read off Lambda without fitting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled_objective: Option<f64>,
    /// Gaussian: best training objective after the group-lasso refit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refitted_objective: Option<f64>,
    /// Gaussian, scalar output: training objective of the C-ReLU refit on the candidates' patterns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crelu_objective: Option<f64>,
    /// Gaussian, scalar output: why the C-ReLU refit did not run (memory limit, solver failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crelu_skipped: Option<String>,
    /// Gaussian: best training objective after the local polish (absent when the polish is off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polished_objective: Option<f64>,
    /// Gaussian: stages skipped because the rounding's time budget (a quarter of `--time-limit`,
    /// at least 10 s) ran out; absent when nothing was skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_for_time: Vec<String>,
    /// Wall-clock seconds of the whole rounding (samples, refits, polish).
    pub seconds: f64,
}

impl RoundingInfo {
    fn of(r: &rounding::RoundingResult, seconds: f64) -> RoundingInfo {
        let st = r.stages.as_ref();
        RoundingInfo {
            method: r.method,
            samples: r.samples_drawn,
            width: r.width,
            objective: r.objective,
            seed: r.seed,
            sampled_objective: st.map(|s| s.sampled).filter(|v| v.is_finite()),
            refitted_objective: st.map(|s| s.refitted),
            crelu_objective: st.and_then(|s| s.crelu.as_ref()).map(|c| c.objective),
            crelu_skipped: st.and_then(|s| s.crelu_skipped.clone()),
            polished_objective: st.and_then(|s| s.polished),
            skipped_for_time: st.map(|s| s.skipped_for_time.clone()).unwrap_or_default(),
            seconds,
        }
    }
}

/// One end-to-end run (see the module docs for every key).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub status: String,
    pub backend: String,
    pub formulation: String,
    pub data: String,
    pub n: usize,
    pub d: usize,
    pub c: usize,
    pub beta: f64,
    /// Number of activation patterns (null for SDP).
    pub patterns: Option<usize>,
    pub gates: Option<usize>,
    pub objective: Option<f64>,
    /// What `objective` is.
    pub objective_label: String,
    pub lower_bound: Option<f64>,
    pub certified: bool,
    pub lower_bound_method: Option<String>,
    pub upper_bound: Option<f64>,
    /// Where the upper bound comes from (`recovered network`, `rounded network (gaussian)`).
    pub upper_bound_source: Option<String>,
    pub width: Option<usize>,
    pub gap: Option<f64>,
    pub globally_optimal: bool,
    pub tolerance: f64,
    pub exact_optimum: Option<f64>,
    pub exact_optimum_backend: Option<String>,
    pub relaxation_gap: Option<f64>,
    pub rounding_gap: Option<f64>,
    pub iterations: u32,
    /// Relative primal residual as the solver measured it (the `dnn` backend; null otherwise).
    pub primal_residual: Option<f64>,
    /// Relative dual residual as the solver measured it (`dnn`; null otherwise).
    pub dual_residual: Option<f64>,
    /// Relative duality gap as the solver measured it (`dnn`; null otherwise). Not a bound:
    /// the certified `gap` is computed from `lower_bound` and `upper_bound`.
    pub solver_gap: Option<f64>,
    /// The method the `dnn` backend ran (`ipm`, `ipm-working-set`, `admm` or `ssnal`; null for the
    /// other backends).
    pub dnn_method: Option<String>,
    /// Of `iterations`, how many the `dnn` interior-point method solved by GMRES with its
    /// low-rank preconditioner, without forming the normal matrix (null for the other methods
    /// and backends).
    pub preconditioned_iterations: Option<u32>,
    /// Of `iterations`, how many the `dnn` interior-point method factored in single precision
    /// (null for the other methods and backends).
    pub single_precision_iterations: Option<u32>,
    pub compile_seconds: f64,
    pub solve_seconds: f64,
    pub certify_seconds: Option<f64>,
    pub seed: u64,
    pub rounding: Option<RoundingInfo>,
    pub notes: Vec<String>,
}

impl Report {
    /// Fills `gap`, `globally_optimal`, `relaxation_gap`, `rounding_gap` from the bounds.
    /// A non-finite number is never reported: it is dropped with a note, and a dropped lower
    /// bound is not certified.
    fn finish(&mut self) {
        self.tolerance = GLOBAL_OPTIMALITY_TOLERANCE;
        for (name, v) in [
            ("objective", &mut self.objective),
            ("lower bound", &mut self.lower_bound),
            ("upper bound", &mut self.upper_bound),
            ("exact optimum", &mut self.exact_optimum),
        ] {
            if let Some(x) = *v {
                if !x.is_finite() {
                    *v = None;
                    self.notes.push(format!("the {name} came out as {x} (arithmetic overflow or a failed solve) and is not reported"));
                }
            }
        }
        if self.lower_bound.is_none() {
            self.certified = false;
        }
        self.gap = match (self.upper_bound, self.lower_bound) {
            (Some(u), Some(l)) => Some((u - l) / u.abs().max(1e-300)).filter(|g| g.is_finite()),
            _ => None,
        };
        // Relative test with an absolute floor, so that a zero optimum (e.g. y = 0) can be
        // certified: UB - LB <= tol * max(|UB|, GLOBAL_OPTIMALITY_ABS_FLOOR).
        self.globally_optimal = self.certified
            && match (self.upper_bound, self.lower_bound) {
                (Some(u), Some(l)) => u - l <= GLOBAL_OPTIMALITY_TOLERANCE * u.abs().max(GLOBAL_OPTIMALITY_ABS_FLOOR),
                _ => false,
            };
        if let Some(p) = self.exact_optimum {
            let den = p.abs().max(1e-300);
            self.relaxation_gap = self.lower_bound.map(|l| (p - l) / den);
            self.rounding_gap = self.upper_bound.map(|u| (u - p) / den);
        }
    }
}

fn f8(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.8}"))
}

fn e3(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |x| format!("{x:.3e}"))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data            {} (n = {}, d = {}, c = {})", self.data, self.n, self.d, self.c)?;
        let pats = self.patterns.map_or(String::new(), |p| format!(", {p} patterns"));
        writeln!(f, "program         {}, beta = {}{}", self.formulation, self.beta, pats)?;
        let method = match self.dnn_method.as_deref() {
            Some("ipm") => " (interior point)",
            Some("admm") => " (ADMM)",
            Some("ssnal") => " (semismooth Newton ALM)",
            Some("ipm-working-set") => " (interior point on a working set of the sign constraints)",
            _ => "",
        };
        writeln!(f, "backend         {}{method} -> {} in {} iterations, {:.3} s", self.backend, self.status, self.iterations, self.solve_seconds)?;
        writeln!(f, "objective       {}  ({})", f8(self.objective), self.objective_label)?;
        let lb_label = if self.certified { "certified lower bound" } else { "no certified lower bound" };
        writeln!(f, "lower bound     {}  ({lb_label})", f8(self.lower_bound))?;
        let src = self.upper_bound_source.clone().unwrap_or_else(|| "no network".into());
        let w = self.width.map_or(String::new(), |w| format!(", width {w}"));
        writeln!(f, "upper bound     {}  ({src}{w})", f8(self.upper_bound))?;
        if let Some(g) = self.gap {
            writeln!(f, "gap             {:.3e} relative (UB - LB) / UB", g)?;
        }
        if let Some(p) = self.exact_optimum {
            let b = self.exact_optimum_backend.as_deref().unwrap_or("-");
            writeln!(f, "exact optimum   {p:.8}  (exact C-ReLU, {b})")?;
            writeln!(f, "relaxation gap  {}  (p* - LB) / p*", e3(self.relaxation_gap))?;
            writeln!(f, "rounding gap    {}  (UB - p*) / p*", e3(self.rounding_gap))?;
        }
        if self.globally_optimal {
            writeln!(f, "result          solved to global optimality (gap <= {:e})", self.tolerance)?;
        }
        for n in &self.notes {
            writeln!(f, "note            {n}")?;
        }
        Ok(())
    }
}

/// A run's report plus the artefacts the CLI may write.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub report: Report,
    /// The recovered or rounded network (the one behind `upper_bound`).
    pub network: Option<Network>,
    /// The compiled problem (`None` for the `dnn` backend, which never builds one, and when the
    /// relaxation was solved on merged rows; compile it with [`compile_for_export`] to export it).
    pub problem: Option<ConicProblem>,
    /// Meta block for [`crate::export::write`]: formulation, n, d, c, beta, variable layout.
    pub meta: ProblemMeta,
    /// SDP only: the relaxation's `Lambda` (blocks A, B, U, V).
    pub lambda: Option<DMatrix<f64>>,
}

fn blank_report(data: &Dataset, s: &PipelineSettings) -> Report {
    let mut r = Report::blank(data, s.formulation.name(), s.backend, s.beta, s.seed);
    r.gates = (s.formulation == Formulation::Sampled).then_some(s.gates);
    r
}

impl Report {
    /// An empty report for `data`: the run's identity filled in, every result unset.
    pub fn blank(data: &Dataset, formulation: &str, backend: BackendKind, beta: f64, seed: u64) -> Report {
        Report {
            status: String::new(),
            backend: backend.name().into(),
            formulation: formulation.into(),
            data: data.source.clone(),
            n: data.n(),
            d: data.d(),
            c: data.c(),
            beta,
            patterns: None,
            gates: None,
            objective: None,
            objective_label: String::new(),
            lower_bound: None,
            certified: false,
            lower_bound_method: None,
            upper_bound: None,
            upper_bound_source: None,
            width: None,
            gap: None,
            globally_optimal: false,
            tolerance: GLOBAL_OPTIMALITY_TOLERANCE,
            exact_optimum: None,
            exact_optimum_backend: None,
            relaxation_gap: None,
            rounding_gap: None,
            iterations: 0,
            primal_residual: None,
            dual_residual: None,
            solver_gap: None,
            preconditioned_iterations: None,
            single_precision_iterations: None,
            dnn_method: None,
            compile_seconds: 0.0,
            solve_seconds: 0.0,
            certify_seconds: None,
            seed,
            rounding: None,
            notes: Vec::new(),
        }
    }
}

fn meta_for(data: &Dataset, s: &PipelineSettings, blocks: Vec<LayoutBlock>) -> ProblemMeta {
    ProblemMeta {
        formulation: Some(s.formulation.name().into()),
        n: Some(data.n()),
        d: Some(data.d()),
        c: Some(data.c()),
        beta: Some(s.beta),
        layout: blocks,
        ..ProblemMeta::generated()
    }
}

/// Rejects multi-output data for the C-ReLU programs with a pointer to the alternatives.
pub fn check_scalar_output(data: &Dataset, formulation: Formulation) -> Result<()> {
    if formulation.is_crelu() && data.c() != 1 {
        return Err(Error::InvalidArgument(format!(
            "the {formulation} C-ReLU program needs scalar output (c = 1), but the data has c = {} outputs \
             (onehot targets); use --targets signed for two classes, or --formulation sdp for vector output",
            data.c()
        )));
    }
    Ok(())
}

/// Runs the formulation of `settings` on `data` end to end (module docs).
pub fn run(data: &Dataset, settings: &PipelineSettings) -> Result<Outcome> {
    settings.validate()?;
    data.check_scale()?;
    check_scalar_output(data, settings.formulation)?;
    let mut out = match settings.formulation.sdp_form() {
        Some(form) => run_sdp(data, settings, form)?,
        None => run_crelu(data, settings)?,
    };
    if settings.exact_optimum && out.report.exact_optimum.is_none() {
        // The exact C-ReLU program is a general conic problem: the dnn backend cannot solve it,
        // so it runs on Clarabel then, and the report names the backend that did.
        let exact_backend = crelu_backend(settings.backend);
        match exact_optimum(data, settings.beta, exact_backend, &settings.solve, &settings.budget) {
            Ok(p) => {
                out.report.exact_optimum = Some(p);
                out.report.exact_optimum_backend = Some(exact_backend.name().into());
            }
            Err(e) => out.report.notes.push(format!("no exact optimum: {e}")),
        }
    }
    out.report.finish();
    Ok(out)
}

/// The backend for the C-ReLU programs when `backend` was asked for the relaxation: itself,
/// except `dnn` (which only solves the relaxation), for which Clarabel runs.
pub fn crelu_backend(backend: BackendKind) -> BackendKind {
    match backend {
        BackendKind::Dnn => BackendKind::Clarabel,
        other => other,
    }
}

/// `p*` by the exact C-ReLU program over every pattern (c = 1; errors when the patterns cannot
/// all be enumerated within `budget`, or the solve does not reach `solved`).
pub fn exact_optimum(data: &Dataset, beta: f64, backend: BackendKind, solve: &SolveSettings, budget: &Budget) -> Result<f64> {
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!("the exact optimum is only computed for scalar output, c = {}", data.c())));
    }
    let compiled = formulation::crelu::exact(data, beta, budget)?;
    let sol = backend::solve(&compiled.problem, backend, solve)?;
    if sol.status != backend::Status::Solved {
        return Err(Error::InvalidArgument(format!("the exact C-ReLU solve on {} ended {}", sol.backend, sol.status)));
    }
    // The objective of the recovered network: a real network, so never below p*, and equal to
    // p* at the solver's accuracy. (The C-ReLU objective at a slightly infeasible point, e.g.
    // SCS's at its default 1e-4, can fall below p*.)
    Ok(compiled.layout.recover_network(&sol.x)?.objective(data, beta))
}

fn run_crelu(data: &Dataset, s: &PipelineSettings) -> Result<Outcome> {
    let mut r = blank_report(data, s);
    let compile = CompileSettings { beta: s.beta, gates: s.gates, seed: s.seed, budget: s.budget.clone() };
    let t0 = Instant::now();
    let compiled = formulation::compile(s.formulation, data, &compile)?;
    r.compile_seconds = t0.elapsed().as_secs_f64();
    let layout = &compiled.layout;
    let meta = meta_for(data, s, layout.blocks.iter().map(|b| LayoutBlock { name: b.name.clone(), start: b.start, len: b.len }).collect());
    let sol = backend::solve(&compiled.problem, s.backend, &s.solve)?;
    fill_solver(&mut r, &sol);
    r.patterns = Some(layout.patterns.len());
    r.objective_label = "C-ReLU objective at the solver's point".into();
    let mut network = None;
    if sol.status.has_solution() {
        r.objective = Some(layout.crelu_objective(data, &sol.x)?);
        let yhat = match s.formulation {
            Formulation::Gated => layout.fitted(data, &sol.x)?,
            _ => {
                let net = layout.recover_network(&sol.x)?;
                r.upper_bound = Some(net.objective(data, s.beta));
                r.upper_bound_source = Some("recovered network".into());
                r.width = Some(net.width());
                let yhat: Vec<f64> = net.predict(data.x.as_view()).column(0).iter().copied().collect();
                network = Some(net);
                yhat
            }
        };
        if s.certify {
            let all: Option<Patterns> = if layout.exhaustive {
                Some(Patterns { list: layout.patterns.clone(), exhaustive: true, rank: 0 })
            } else {
                match patterns::enumerate(data.x.as_view(), &s.budget) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        r.notes.push(format!("no certificate: {e}"));
                        None
                    }
                }
            };
            if let Some(all) = all {
                let cert = certify::dual_bound(data, s.beta, &yhat, &all, BackendKind::Clarabel, &SolveSettings::default())?;
                r.certify_seconds = Some(cert.seconds);
                if cert.certified {
                    r.lower_bound = Some(cert.lower_bound);
                    r.certified = true;
                    r.lower_bound_method =
                        Some(format!("dual certificate over all {} patterns (pricing SOCPs on clarabel)", cert.patterns));
                }
            }
        }
        if s.formulation == Formulation::Exact && layout.exhaustive && sol.status == backend::Status::Solved && s.exact_optimum {
            // the recovered network's objective (>= p*; see `exact_optimum`)
            r.exact_optimum = r.upper_bound;
            r.exact_optimum_backend = Some(sol.backend.name().into());
        }
    } else {
        r.notes.push(format!("the solver returned no solution ({})", sol.status));
    }
    Ok(Outcome { report: r, network, problem: Some(compiled.problem), meta, lambda: None })
}

fn fill_solver(r: &mut Report, sol: &ConicSolution) {
    r.status = sol.status.name().into();
    // Every program here is feasible (the zero network) and bounded below (by 0): an
    // infeasibility "certificate" can only be a numerical failure.
    if matches!(sol.status, backend::Status::PrimalInfeasible | backend::Status::DualInfeasible) {
        r.status = backend::Status::NumericalError.name().into();
        r.notes.push(format!("{} reported {}, impossible for this always feasible, bounded program: treated as a numerical failure", sol.backend, sol.status));
    }
    r.backend = sol.backend.name().into();
    r.iterations = sol.iterations;
    r.solve_seconds = sol.solve_seconds;
}

/// Rounds `lam` to a network and records it in the report as the upper bound.
fn round_into(r: &mut Report, lam: &DMatrix<f64>, data: &Dataset, s: &PipelineSettings) -> Result<Network> {
    let clock = Instant::now();
    let rounded = rounding::round(lam, data, s.beta, &s.rounding_settings(s.rounding))?;
    r.upper_bound = Some(rounded.objective);
    r.upper_bound_source = Some(format!("rounded network ({})", rounded.method));
    r.width = Some(rounded.width);
    r.rounding = Some(RoundingInfo::of(&rounded, clock.elapsed().as_secs_f64()));
    Ok(rounded.network)
}

fn run_sdp(data: &Dataset, s: &PipelineSettings, form: sdp::SdpForm) -> Result<Outcome> {
    if s.backend == BackendKind::Dnn {
        if form != sdp::SdpForm::Reduced {
            return Err(Error::InvalidArgument(format!(
                "the dnn backend solves the facially reduced relaxation (--formulation sdp), not {}",
                form.name()
            )));
        }
        return run_dnn(data, s, None).map(|(out, _)| out);
    }
    let mut r = blank_report(data, s);
    let t0 = Instant::now();
    // The reduced form is compiled on merged data when rows of X are tied (`sdp_merged`); the
    // point, the objective and the bound are mapped back to the original program.
    let merged = formulation::sdp_merged::compile(data, s.beta, form)?;
    let compiled = &merged.compiled;
    r.compile_seconds = t0.elapsed().as_secs_f64();
    if let Some(note) = merged.note() {
        r.notes.push(note);
    }
    // The merged program's layout is not the exported one's: no blocks then (as for dnn).
    let blocks = if merged.is_merged() {
        Vec::new()
    } else {
        compiled.layout.variables.iter().map(|b| LayoutBlock { name: b.name.clone(), start: b.offset, len: b.len }).collect()
    };
    let meta = meta_for(data, s, blocks);
    let sol = backend::solve(&compiled.problem, s.backend, &s.solve)?;
    fill_solver(&mut r, &sol);
    if let Some(note) = near_rows_note(data, &r.status) {
        r.notes.push(note);
    }
    r.objective_label = if merged.is_merged() {
        format!("relaxation value as {} reports it on the merged program, plus its constant; not a bound", sol.backend)
    } else {
        format!("relaxation value as {} reports it; not a bound", sol.backend)
    };
    let mut network = None;
    let mut lambda = None;
    if sol.status.has_solution() {
        r.objective = Some(merged.objective(&sol));
        let lam = merged.recover_lambda(&sol)?;
        network = Some(round_into(&mut r, &lam, data, s)?);
        lambda = Some(lam);
    } else {
        r.notes.push(format!("the solver returned no solution ({}); no rounding", sol.status));
    }
    if s.certify {
        let t1 = Instant::now();
        let incumbents: Vec<Network> = network.iter().cloned().collect();
        let bound = merged.certify_with(&sol, &incumbents, certify::sdp::RefineSettings::for_time_limit(s.solve.time_limit_seconds));
        r.certify_seconds = Some(t1.elapsed().as_secs_f64());
        r.certified = bound.certified && bound.value.is_finite();
        r.lower_bound = r.certified.then_some(bound.value);
        r.lower_bound_method = Some(bound_method(&bound, &sol.backend.to_string()));
    }
    // The merged program is not the one `--export` writes: leave it out (the CLI compiles the
    // unmerged one with `compile_for_export`).
    let problem = (!merged.is_merged()).then_some(merged.compiled.problem);
    Ok(Outcome { report: r, network, problem, meta, lambda })
}

/// The largest difference of an entry below which [`near_rows_note`] reports two rows as nearly
/// equal.
pub const NEARLY_EQUAL_ROWS: f64 = 1e-4;

/// The largest `n` for which [`near_rows_note`] looks for nearly equal rows (`O(n^2 d)`).
const NEARLY_EQUAL_ROWS_MAX_N: usize = 5_000;

/// A note for a relaxation solve that did not reach its tolerance on data with rows nearly but
/// not exactly equal (within [`NEARLY_EQUAL_ROWS`]): such rows leave the relaxation nearly
/// without a strictly feasible point, which stalls interior-point methods (docs/dnn.md;
/// exactly equal rows are merged before solving).
fn near_rows_note(data: &Dataset, status: &str) -> Option<String> {
    if status == backend::Status::Solved.name() || data.n() > NEARLY_EQUAL_ROWS_MAX_N {
        return None;
    }
    let (count, (i, j, diff)) = crate::data::transform::nearly_equal_rows(data.x.as_view(), NEARLY_EQUAL_ROWS)?;
    Some(format!(
        "{count} pair(s) of rows lie within {NEARLY_EQUAL_ROWS:e} of each other without being equal (closest: rows {} and {}, {diff:.1e} apart); \
         such rows leave the relaxation nearly without a strictly feasible point and can stall its solvers; \
         --merge-rows-within sets them equal (a change of the data)",
        i + 1,
        j + 1
    ))
}

/// The SDP relaxation on the `dnn` backend, warm-started from `warm` when given (same data);
/// returns the outcome and the solver state for the next warm start.
pub fn run_dnn(data: &Dataset, s: &PipelineSettings, warm: Option<&dnn::DnnState>) -> Result<(Outcome, dnn::DnnState)> {
    s.validate()?;
    let mut r = blank_report(data, s);
    let t0 = Instant::now();
    let problem = dnn::DnnProblem::new(data, s.beta)?;
    r.compile_seconds = t0.elapsed().as_secs_f64();
    let meta = meta_for(data, s, Vec::new());
    let settings = dnn::DnnSettings { method: s.dnn_method, ..dnn::DnnSettings::from_solve(&s.solve) };
    let sol = dnn::solve(&problem, &settings, warm)?;
    r.status = sol.status.name().into();
    r.backend = BackendKind::Dnn.name().into();
    r.iterations = sol.iterations;
    r.solve_seconds = sol.solve_seconds;
    r.primal_residual = Some(sol.primal_residual);
    r.dual_residual = Some(sol.dual_residual);
    r.solver_gap = Some(sol.gap);
    r.dnn_method = Some(sol.method.name().into());
    if let Some(note) = near_rows_note(data, &r.status) {
        r.notes.push(note);
    }
    if matches!(sol.method, dnn::DnnMethod::InteriorPoint | dnn::DnnMethod::WorkingSet) {
        r.preconditioned_iterations = Some(sol.preconditioned_iterations);
        r.single_precision_iterations = Some(sol.single_precision_iterations);
    }
    r.objective_label = "relaxation value as dnn reports it (primal objective at its PSD iterate); not a bound".into();
    if sol.method == dnn::DnnMethod::WorkingSet && sol.status != crate::backend::Status::Solved {
        r.notes.push(format!(
            "the working-set method stopped before its point satisfied every sign constraint (violation {:.1e}): the objective is that of a relaxation of the relaxation; the lower bound is certified for the whole relaxation",
            sol.primal_residual
        ));
    }
    r.objective = sol.primal_objective.is_finite().then_some(sol.primal_objective);
    let lam = sol.lambda(&problem)?;
    let mut network = None;
    if sol.primal_objective.is_finite() {
        match round_into(&mut r, &lam, data, s) {
            Ok(net) => network = Some(net),
            Err(e) => r.notes.push(format!("rounding failed: {e}")),
        }
    }
    if s.certify {
        let t1 = Instant::now();
        let incumbents: Vec<Network> = network.iter().cloned().collect();
        let refine = certify::sdp::RefineSettings::for_time_limit(s.solve.time_limit_seconds);
        let bound = certify::sdp::certify_dnn_with(&problem, &sol.z, Some(&lam), &incumbents, refine);
        r.certify_seconds = Some(t1.elapsed().as_secs_f64());
        r.certified = bound.certified && bound.value.is_finite();
        r.lower_bound = r.certified.then_some(bound.value);
        r.lower_bound_method = Some(bound_method(&bound, "dnn"));
    }
    r.finish();
    let out = Outcome { report: r, network, problem: None, meta, lambda: Some(lam) };
    Ok((out, sol.state))
}

/// Compiles the program of `settings` without solving it: the problem and the meta block that
/// `solve --export` writes (for the `dnn` backend, which builds no problem, the same reduced
/// relaxation the CLI exports).
pub fn compile_for_export(data: &Dataset, s: &PipelineSettings) -> Result<(ConicProblem, ProblemMeta)> {
    s.validate()?;
    check_scalar_output(data, s.formulation)?;
    match s.formulation.sdp_form() {
        Some(form) => {
            let compiled = sdp::compile(data, s.beta, form)?;
            let blocks = compiled.layout.variables.iter().map(|b| LayoutBlock { name: b.name.clone(), start: b.offset, len: b.len }).collect();
            Ok((compiled.problem, meta_for(data, s, blocks)))
        }
        None => {
            let compile = CompileSettings { beta: s.beta, gates: s.gates, seed: s.seed, budget: s.budget.clone() };
            let compiled = formulation::compile(s.formulation, data, &compile)?;
            let blocks = compiled.layout.blocks.iter().map(|b| LayoutBlock { name: b.name.clone(), start: b.start, len: b.len }).collect();
            Ok((compiled.problem, meta_for(data, s, blocks)))
        }
    }
}

/// Runs `settings` once per value of `betas`, in order, one outcome per beta. With the `dnn`
/// backend's ADMM each solve is warm-started from the previous one (same data); its
/// interior-point method and the other backends solve each beta from scratch (a note says so).
pub fn run_path(data: &Dataset, settings: &PipelineSettings, betas: &[f64]) -> Result<Vec<Outcome>> {
    if betas.is_empty() {
        return Err(Error::InvalidArgument("the beta path is empty".into()));
    }
    let mut out = Vec::with_capacity(betas.len());
    let mut state: Option<dnn::DnnState> = None;
    for &beta in betas {
        let s = PipelineSettings { beta, ..settings.clone() };
        if s.backend == BackendKind::Dnn && s.formulation == Formulation::Sdp {
            s.validate()?;
            let (mut o, st) = run_dnn(data, &s, state.as_ref())?;
            if state.is_some() {
                o.report.notes.push(match o.report.dnn_method.as_deref() {
                    Some("admm") => "warm-started from the previous beta".into(),
                    _ => "solved from scratch (the interior-point method does not warm-start)".into(),
                });
            }
            state = Some(st);
            out.push(o);
        } else {
            out.push(run(data, &s)?);
        }
    }
    Ok(out)
}

/// A solved relaxation: what the CLI and the rounding consume.
#[derive(Clone, Debug)]
pub struct Relaxation {
    /// The compiled program (form, layout, map back); on merged rows when `X` has tied rows
    /// ([`formulation::sdp_merged`]).
    pub program: formulation::sdp_merged::MergedSdp,
    /// The backend's solution (status, which backend ran, primal-dual point) of
    /// `program.compiled`.
    pub solution: crate::backend::ConicSolution,
    /// `Lambda` (order `2n + d + c`, blocks A, B, U, V) of the original program read from the
    /// primal solution; PSD up to the solver's accuracy (clip negative eigenvalues before factoring).
    pub lambda: DMatrix<f64>,
    /// The certified lower bound from the dual (labelled uncertified when it is not a bound).
    pub bound: crate::certify::sdp::CertifiedBound,
}

impl Relaxation {
    /// The solver's primal objective (plus the merged program's constant): an *estimate* of the
    /// relaxation optimum, not a bound (use [`Relaxation::bound`] for that).
    pub fn primal_objective(&self) -> f64 {
        self.program.objective(&self.solution)
    }

    /// The certified lower bound with `incumbents` tightening `UB` (networks of the original data).
    pub fn certify(&self, incumbents: &[crate::network::Network]) -> crate::certify::sdp::CertifiedBound {
        self.program.certify(&self.solution, incumbents)
    }
}

/// The SDP relaxation in one call on a conic backend: compiles (the reduced form on merged rows
/// when `X` has tied rows), solves with `backend`, recovers `Lambda` and certifies a lower bound
/// (the networks in `incumbents` only tighten `UB` in the certificate).
pub fn solve_relaxation(
    data: &Dataset,
    beta: f64,
    form: sdp::SdpForm,
    backend: crate::backend::BackendKind,
    settings: &crate::backend::SolveSettings,
    incumbents: &[crate::network::Network],
) -> Result<Relaxation> {
    let program = formulation::sdp_merged::compile(data, beta, form)?;
    let solution = crate::backend::solve(&program.compiled.problem, backend, settings)?;
    let lambda = program.recover_lambda(&solution)?;
    let bound = program.certify(&solution, incumbents);
    Ok(Relaxation { program, solution, lambda, bound })
}


// =============================================================================================
// Tightness: the comparison table
// =============================================================================================

/// Settings of [`tightness`].
#[derive(Clone, Debug)]
pub struct TightnessSettings {
    pub beta: f64,
    pub backend: BackendKind,
    pub solve: SolveSettings,
    pub seed: u64,
    pub samples: Option<usize>,
    /// Widths of the non-convex baseline.
    pub widths: Vec<usize>,
    /// Restarts per width (best kept).
    pub restarts: usize,
    /// Iterations per restart.
    pub iterations: usize,
    pub budget: Budget,
    /// The `dnn` backend's method (default auto).
    pub dnn_method: dnn::DnnMethod,
}

impl Default for TightnessSettings {
    fn default() -> Self {
        Self {
            beta: 0.1,
            backend: BackendKind::Clarabel,
            solve: SolveSettings::default(),
            seed: 0,
            samples: None,
            widths: vec![5, 10, 100],
            restarts: 5,
            iterations: 2000,
            budget: Budget::default(),
            dnn_method: dnn::DnnMethod::Auto,
        }
    }
}

/// One row of the comparison table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// What was computed.
    pub method: String,
    /// Its value (null when it failed).
    pub value: Option<f64>,
    /// `certified lower bound`, `solver value (not a bound)`, `upper bound (network)`, `exact optimum`.
    pub kind: String,
    /// Backend / source.
    pub source: String,
}

/// The comparison table and its summary.
#[derive(Clone, Debug, Serialize)]
pub struct Tightness {
    pub data: String,
    pub n: usize,
    pub d: usize,
    pub c: usize,
    pub beta: f64,
    pub rows: Vec<Row>,
    /// Best certified lower bound and best upper bound over the table.
    pub lower_bound: Option<f64>,
    pub upper_bound: Option<f64>,
    /// The rows the best bounds come from.
    pub lower_bound_source: Option<String>,
    pub upper_bound_source: Option<String>,
    pub gap: Option<f64>,
    pub globally_optimal: bool,
    pub tolerance: f64,
    pub exact_optimum: Option<f64>,
    /// `(p* - LB) / p*` with the SDP's certified LB.
    pub relaxation_gap: Option<f64>,
    /// `(UB_gaussian - p*) / p*` for the Gaussian-rounded network.
    pub rounding_gap: Option<f64>,
    pub notes: Vec<String>,
}

impl fmt::Display for Tightness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data {} (n = {}, d = {}, c = {}), beta = {}", self.data, self.n, self.d, self.c, self.beta)?;
        writeln!(f, "{:<44} {:>14}  {:<28} {}", "method", "value", "kind", "source")?;
        for r in &self.rows {
            writeln!(f, "{:<44} {:>14}  {:<28} {}", r.method, f8(r.value), r.kind, r.source)?;
        }
        let src = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        writeln!(f, "best certified LB {} ({})", f8(self.lower_bound), src(&self.lower_bound_source))?;
        writeln!(f, "best UB           {} ({})", f8(self.upper_bound), src(&self.upper_bound_source))?;
        writeln!(f, "gap (UB - LB)/UB  {}", e3(self.gap))?;
        if self.exact_optimum.is_some() {
            writeln!(f, "relaxation gap (p* - LB)/p* = {}, rounding gap (UB - p*)/p* = {}", e3(self.relaxation_gap), e3(self.rounding_gap))?;
        }
        if self.globally_optimal {
            writeln!(f, "solved to global optimality (UB and certified LB within {:e} relative)", self.tolerance)?;
        } else {
            writeln!(f, "not certified globally optimal (tolerance {:e})", self.tolerance)?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

/// Best of `restarts` non-convex runs at `width` (train::TrainSettings otherwise default).
pub fn baseline(data: &Dataset, beta: f64, width: usize, restarts: usize, iterations: usize, seed: u64) -> Result<f64> {
    let st = TrainSettings { width, beta, restarts, iterations, seed, ..TrainSettings::default() };
    Ok(train::train(data, &st)?.objective)
}

/// The relaxation (reduced form) with both roundings, the non-convex baseline at several
/// widths and, for c = 1 with enumerable patterns, the exact optimum.
pub fn tightness(data: &Dataset, t: &TightnessSettings) -> Result<Tightness> {
    if t.widths.is_empty() || t.widths.contains(&0) {
        return Err(Error::InvalidArgument("--widths must be a non-empty list of positive widths".into()));
    }
    if t.restarts == 0 {
        return Err(Error::InvalidArgument("--restarts must be at least 1, found 0".into()));
    }
    let s = PipelineSettings {
        formulation: Formulation::Sdp,
        beta: t.beta,
        backend: t.backend,
        solve: t.solve.clone(),
        seed: t.seed,
        samples: t.samples,
        budget: t.budget.clone(),
        exact_optimum: data.c() == 1,
        dnn_method: t.dnn_method,
        ..Default::default()
    };
    let out = run(data, &s)?;
    let rep = &out.report;
    let mut rows = Vec::new();
    let mut notes = rep.notes.clone();
    let be = rep.backend.clone();
    rows.push(Row { method: "SDP relaxation (reduced), certified".into(), value: rep.lower_bound, kind: "certified lower bound".into(), source: format!("dual of {be}") });
    rows.push(Row { method: "SDP relaxation (reduced), solver value".into(), value: rep.objective, kind: "solver value (not a bound)".into(), source: format!("{be}, {}", rep.status) });
    rows.push(Row { method: "rounded network (gaussian)".into(), value: rep.upper_bound, kind: "upper bound (network)".into(), source: format!("Lambda from {be}") });
    if let Some(lam) = &out.lambda {
        match rounding::round(lam, data, t.beta, &s.rounding_settings(Rounding::Tos)) {
            Ok(rt) => {
                rows.push(Row { method: "rounded network (tos)".into(), value: Some(rt.objective), kind: "upper bound (network)".into(), source: format!("Lambda from {be}") });
            }
            Err(e) => notes.push(format!("tos rounding failed: {e}")),
        }
    }
    for &w in &t.widths {
        let v = baseline(data, t.beta, w, t.restarts, t.iterations, t.seed)?;
        rows.push(Row {
            method: format!("non-convex training, width {w}"),
            value: Some(v),
            kind: "upper bound (network)".into(),
            source: format!("best of {} restarts, {} iterations", t.restarts, t.iterations),
        });
    }
    if let Some(p) = rep.exact_optimum {
        rows.push(Row { method: "exact C-ReLU optimum p*".into(), value: Some(p), kind: "exact optimum".into(), source: rep.exact_optimum_backend.clone().unwrap_or_default() });
        // The exact program's dual certificate is another certified lower bound.
        let ex = run(data, &PipelineSettings { formulation: Formulation::Exact, exact_optimum: false, backend: crelu_backend(s.backend), ..s.clone() })?;
        if let Some(l) = ex.report.lower_bound {
            rows.push(Row { method: "exact C-ReLU, dual certificate".into(), value: Some(l), kind: "certified lower bound".into(), source: "clarabel pricing SOCPs".into() });
        }
        if let Some(u) = ex.report.upper_bound {
            rows.push(Row { method: "exact C-ReLU, recovered network".into(), value: Some(u), kind: "upper bound (network)".into(), source: ex.report.backend.clone() });
        }
    } else if data.c() == 1 {
        notes.push("exact optimum not available (patterns not enumerable within the budget)".into());
    }
    // Best bounds over the table: only certified lower bounds and real networks count.
    let best = |kind: &str, better: fn(f64, f64) -> bool| {
        rows.iter()
            .filter(|r| r.kind == kind)
            .filter_map(|r| r.value.map(|v| (v, r.method.clone())))
            .fold(None, |acc: Option<(f64, String)>, (v, m)| match acc {
                Some((a, am)) if !better(v, a) => Some((a, am)),
                _ => Some((v, m)),
            })
    };
    let lb = best("certified lower bound", |v, a| v > a);
    let ub = best("upper bound (network)", |v, a| v < a);
    let (lower_bound, lower_bound_source) = (lb.as_ref().map(|x| x.0), lb.map(|x| x.1));
    let (upper_bound, upper_bound_source) = (ub.as_ref().map(|x| x.0), ub.map(|x| x.1));
    let gap = match (upper_bound, lower_bound) {
        (Some(u), Some(l)) => Some((u - l) / u.abs().max(1e-300)),
        _ => None,
    };
    Ok(Tightness {
        data: data.source.clone(),
        n: data.n(),
        d: data.d(),
        c: data.c(),
        beta: t.beta,
        rows,
        lower_bound,
        upper_bound,
        lower_bound_source,
        upper_bound_source,
        gap,
        globally_optimal: match (upper_bound, lower_bound) {
            (Some(u), Some(l)) => u - l <= GLOBAL_OPTIMALITY_TOLERANCE * u.abs().max(GLOBAL_OPTIMALITY_ABS_FLOOR),
            _ => false,
        },
        tolerance: GLOBAL_OPTIMALITY_TOLERANCE,
        exact_optimum: rep.exact_optimum,
        relaxation_gap: rep.relaxation_gap,
        rounding_gap: rep.rounding_gap,
        notes,
    })
}

// =============================================================================================
// Demo: the main job on the embedded instance
// =============================================================================================

/// The demo's report: exact C-ReLU and the SDP relaxation on `synth::reference_1d()`, beta 0.1.
#[derive(Clone, Debug, Serialize)]
pub struct Demo {
    pub data: String,
    pub beta: f64,
    /// docs/background.md, section 6.
    pub reference_optimum: f64,
    /// Our exact C-ReLU optimum (Clarabel).
    pub exact_optimum: Option<f64>,
    /// `|ours - reference| / reference`.
    pub reference_relative_error: Option<f64>,
    /// Exact C-ReLU run (objective, recovered network = UB, dual certificate = LB).
    pub exact: Report,
    /// SDP relaxation run (reduced, Clarabel; certified LB; Gaussian-rounded network = UB).
    pub sdp: Report,
    pub relaxation_gap: Option<f64>,
    pub rounding_gap: Option<f64>,
    /// Non-convex baseline rows.
    pub baseline: Vec<Row>,
}

impl fmt::Display for Demo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "convex-relu demo: {} at beta = {}", self.data, self.beta)?;
        writeln!(f)?;
        writeln!(f, "exact C-ReLU optimum     {}  (reference 0.71707776, docs/background.md, section 6; rel. error {})", f8(self.exact_optimum), e3(self.reference_relative_error))?;
        writeln!(f, "recovered network        {}  (upper bound, width {})", f8(self.exact.upper_bound), self.exact.width.map_or("-".into(), |w| w.to_string()))?;
        writeln!(f, "dual certificate         {}  (certified lower bound)", f8(self.exact.lower_bound))?;
        if self.exact.globally_optimal {
            writeln!(f, "                         -> C-ReLU solved to global optimality (gap {})", e3(self.exact.gap))?;
        }
        writeln!(f)?;
        writeln!(f, "SDP relaxation (reduced form, {}, {})", self.sdp.backend, self.sdp.status)?;
        writeln!(f, "  solver value           {}  (not a bound)", f8(self.sdp.objective))?;
        writeln!(f, "  certified lower bound  {}", f8(self.sdp.lower_bound))?;
        writeln!(f, "  Gaussian-rounded net   {}  (upper bound, width {})", f8(self.sdp.upper_bound), self.sdp.width.map_or("-".into(), |w| w.to_string()))?;
        writeln!(f, "  relaxation gap         {}  (p* - LB) / p*", e3(self.relaxation_gap))?;
        writeln!(f, "  rounding gap           {}  (UB - p*) / p*", e3(self.rounding_gap))?;
        writeln!(f)?;
        writeln!(f, "non-convex baseline")?;
        for r in &self.baseline {
            writeln!(f, "  {:<36} {}  ({})", r.method, f8(r.value), r.source)?;
        }
        Ok(())
    }
}

/// Runs the demo (a few seconds in release mode). `restarts`/`iterations`: the baseline's.
pub fn demo(restarts: usize, iterations: usize, seed: u64) -> Result<Demo> {
    let data = crate::data::synth::reference_1d();
    let beta = 0.1;
    let base = PipelineSettings { beta, seed, exact_optimum: true, ..Default::default() };
    let exact = run(&data, &PipelineSettings { formulation: Formulation::Exact, ..base.clone() })?.report;
    let mut sdp = run(&data, &PipelineSettings { formulation: Formulation::Sdp, exact_optimum: false, ..base.clone() })?.report;
    sdp.exact_optimum = exact.exact_optimum;
    sdp.exact_optimum_backend = exact.exact_optimum_backend.clone();
    sdp.finish();
    let mut rows = Vec::new();
    for w in [2, 4, 8] {
        let v = baseline(&data, beta, w, restarts.max(1), iterations.max(1), seed)?;
        rows.push(Row {
            method: format!("width {w}"),
            value: Some(v),
            kind: "upper bound (network)".into(),
            source: format!("best of {restarts} restarts, {iterations} iterations"),
        });
    }
    Ok(Demo {
        data: data.source.clone(),
        beta,
        reference_optimum: REFERENCE_1D_OPTIMUM,
        exact_optimum: exact.exact_optimum,
        reference_relative_error: exact.exact_optimum.map(|p| (p - REFERENCE_1D_OPTIMUM).abs() / REFERENCE_1D_OPTIMUM),
        relaxation_gap: sdp.relaxation_gap,
        rounding_gap: sdp.rounding_gap,
        exact,
        sdp,
        baseline: rows,
    })
}

#[cfg(test)]
mod hardening_tests {
    use super::*;

    /// A NaN lower bound used to be reported `certified: true` with `lower_bound: null`.
    #[test]
    fn non_finite_numbers_are_never_certified() {
        let data = crate::data::synth::reference_1d();
        let mut r = blank_report(&data, &PipelineSettings::default());
        r.lower_bound = Some(f64::NAN);
        r.certified = true;
        r.upper_bound = Some(f64::INFINITY);
        r.objective = Some(1.0);
        r.finish();
        assert!(!r.certified && r.lower_bound.is_none() && r.upper_bound.is_none() && r.gap.is_none());
        assert!(!r.globally_optimal);
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
        // a zero optimum is certified through the absolute floor
        let mut z = blank_report(&data, &PipelineSettings::default());
        (z.lower_bound, z.upper_bound, z.certified) = (Some(-1e-9), Some(1e-9), true);
        z.finish();
        assert!(z.globally_optimal);
    }
}
