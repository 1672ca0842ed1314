//! `dnn`: a solver built for the facially reduced SDP (doubly nonnegative) relaxation.
//!
//! # The program
//!
//! Data `X` (n x d), targets `Y` (n x c), weight decay `beta > 0`. The variable is `S`, symmetric
//! PSD of order `q = n + d + c` with blocks `a (n), u (d), v (c)`, and `Lambda = T S T'` is the
//! lifted matrix of order `p = 2n + d + c` with blocks `A, B, U, V` (see [`congruence`] for `T`):
//!
//! ```text
//!     minimise   1/2 ||S_av - Y||_F^2 + beta/2 (tr S_uu + tr S_vv)
//!     subject to S PSD,   Lambda_[AB] >= 0 entrywise,   diag(Lambda_AB) = 0
//! ```
//!
//! where `Lambda_[AB]` is the leading 2n x 2n block of `Lambda`. This is the same program as the
//! `sdp` formulation compiled for Clarabel and SCS ([`crate::formulation::sdp`]); here it is never
//! written as a sparse conic problem (whose constraint matrix has about `n^2 (d+1)^2` nonzeros):
//! every constraint is a block of the congruence `T S T'`, applied in `O(n^2 d)` flops.
//!
//! # The method: ADMM on a splitting with an exactly solvable linear step
//!
//! Write `C0 = beta/2 diag(0_a, I_u, I_v)` and let `h(L)` be the rest of the objective as a
//! function of `L = Lambda`:
//! `h(L) = 1/2 ||L_AV - Y||^2 + indicator(L_[AB] in K)` with
//! `K = { M : M >= 0 entrywise, diag(M_AB) = 0 }`. With a scaling `kappa > 0` of the second
//! constraint, the program is
//!
//! ```text
//!     min  <C0, S> + indicator_PSD(P) + h(L~ / kappa)   s.t.   S - P = 0,   kappa T S T' - L~ = 0
//! ```
//!
//! a two-block ADMM in `S` and `(P, L~)` with multipliers `Lambda1` (q x q) and `Lambda2` (p x p)
//! and penalty `rho`:
//!
//! 1. `S`-step: `(I + kappa^2 G (x) G) S = P - (Lambda1 + C0)/rho + kappa T'(L~ - Lambda2/rho) T`,
//!    with `G = T'T`. The operator `S -> S + kappa^2 G S G` is diagonalised once by the
//!    eigendecomposition `G = Q diag(g) Q'`: `S = Q [ (Q' R Q) ./ (1 + kappa^2 g g') ] Q'`.
//! 2. `P`-step: `P = Pi_PSD(S + Lambda1/rho)` (one symmetric eigendecomposition of order q; only
//!    the positive part of the spectrum is back-transformed).
//! 3. `L~`-step: the proximal map of `h`, entry by entry: `Pi_K` on the `[AB]` block (clip
//!    negatives, zero the diagonal of `AB`), a scalar least-squares step on the `AV` block, the
//!    identity elsewhere.
//! 4. Multipliers: `Lambda1 += rho (S - P)`, `Lambda2 += rho (kappa T S T' - L~)` (with
//!    over-relaxation `alpha` in steps 2-4, as usual for ADMM).
//!
//! `rho` is adapted by residual balancing. The multiplier of the lifted constraints in the
//! original scale is `Z = kappa Lambda2`: the dual objective is `<W, Y> - 1/2 ||W||^2` with
//! `W = -2 Z_AV`, and the dual slack `C0 + T' Z T` must be PSD. The certified lower bound
//! ([`crate::certify`]) is computed from `Z` after the solve, whatever the solver's status.
//!
//! # Stopping
//!
//! Every `check_every` iterations the relative KKT residuals are measured:
//!
//! ```text
//!     primal  max( ||S - P|| / (1 + max(||S||, ||P||)),  ||kappa T S T' - L~|| / (1 + max(||.||, ||L~||)) )
//!     dual    rho ||(P - P_old) + kappa T'(L~ - L~_old) T|| / (1 + ||C0||)      (the ADMM dual residual)
//!     gap     |pobj - dobj| / (1 + |pobj| + |dobj|),    pobj = f(P),  dobj = <W, Y> - 1/2 ||W||^2
//! ```
//!
//! and the solve stops `solved` when all three are below the tolerance (default 1e-6), or at
//! the iteration limit, the wall-clock limit (checked every iteration) or on non-finite values.
//!
//! This is the first (ADMM) phase of the two-phase design of SDPNAL+ (Yang, Sun & Toh 2015); the
//! second, a semismooth Newton augmented Lagrangian phase, is [`ssnal`] (see its module docs for
//! what it reaches and where it stalls; `auto` picks it where the interior-point method does not fit).

pub mod admm;
pub mod congruence;
pub mod ipm;
pub mod reduce;
pub mod ssnal;

pub use congruence::Congruence;

use crate::backend::{SolveSettings, Status};
use crate::data::Dataset;
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use serde::Serialize;

/// The relaxation's data: the congruence (with `X`), the targets and `beta`.
#[derive(Clone, Debug)]
pub struct DnnProblem {
    /// `T` and `X`.
    pub t: Congruence,
    /// Targets `Y` (n x c).
    pub y: DMatrix<f64>,
    /// Weight decay.
    pub beta: f64,
}

impl DnnProblem {
    /// The relaxation of `data` with weight decay `beta`. Rejects empty or non-finite data and a
    /// non-positive `beta`.
    pub fn new(data: &Dataset, beta: f64) -> Result<Self> {
        crate::formulation::sdp::check_data(data, beta)?;
        let (n, d, c) = (data.n(), data.d(), data.c());
        let x = DMatrix::from_fn(n, d, |i, j| data.x[(i, j)]);
        let y = DMatrix::from_fn(n, c, |i, k| data.y[(i, k)]);
        Ok(Self { t: Congruence::new(x, c), y, beta })
    }

    /// The same problem with another `beta` (for a warm-started path).
    pub fn with_beta(&self, beta: f64) -> Result<Self> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
        }
        Ok(Self { beta, ..self.clone() })
    }

    /// Objective `1/2 ||S_av - Y||^2 + beta/2 (tr S_uu + tr S_vv)`.
    pub fn objective(&self, s: &DMatrix<f64>) -> f64 {
        let (n, d, c) = (self.t.n(), self.t.d(), self.t.c());
        let mut loss = 0.0;
        for k in 0..c {
            for i in 0..n {
                let r = s[(i, n + d + k)] - self.y[(i, k)];
                loss += r * r;
            }
        }
        let tr: f64 = (n..n + d + c).map(|i| s[(i, i)]).sum();
        0.5 * loss + 0.5 * self.beta * tr
    }

    /// Bytes the solver holds at once (dense p x p and q x q work matrices, LAPACK workspace),
    /// with checked arithmetic; `Err(TooLarge)` if the count itself overflows.
    pub fn memory_estimate(&self) -> Result<u64> {
        let p = self.t.p() as u64;
        let q = self.t.q() as u64;
        let pp = p.checked_mul(p);
        let qq = q.checked_mul(q);
        let words = pp
            .and_then(|pp| pp.checked_mul(8))
            .and_then(|a| qq.and_then(|qq| qq.checked_mul(14)).and_then(|b| a.checked_add(b)))
            .and_then(|w| w.checked_add(q.checked_mul(64)?));
        words.and_then(|w| w.checked_mul(8)).ok_or_else(|| Error::TooLarge(format!("the relaxation of order q = {q} is too large to count")))
    }
}

/// Which method the `dnn` solver runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DnnMethod {
    /// The interior-point method when `q <= AUTO_IPM_MAX_ORDER`, its memory estimate fits the
    /// limit and, with a time limit, its predicted time ([`ipm::predicted_seconds`]) fits the
    /// limit, or when `q <= AUTO_IPM_LARGE_MAX_ORDER`, it fits the memory and the time limit is
    /// none or at least [`AUTO_IPM_LARGE_MIN_SECONDS`]; otherwise the working-set method ([`DnnMethod::WorkingSet`]) when its rounds' Schur
    /// complement fits the memory and is small enough ([`AUTO_WORKING_SET_MAX_ORDER`]) or the time
    /// limit (none, or at least [`AUTO_WORKING_SET_ROUNDS`] predicted rounds) leaves it time for
    /// its first rounds, and the semismooth Newton method ([`DnnMethod::Ssnal`]) otherwise. The
    /// choice is made before solving, from the sizes and the settings alone, and reported.
    ///
    /// The fallback was the ADMM until the `ssnal` method was measured beside it in equal time on
    /// the benchmark instances (docs/dnn.md): its certified bound was higher on every real data set
    /// (the banknote training half, q = 693, after 600 s: 0.4098 against 0.2104; digits PCA-20,
    /// q = 1031, after 240 s: 0.6236 against a vacuous -2.4712) and 0.6% lower on the 60-point
    /// spiral.
    Auto,
    /// The ADMM ([`admm`]): memory `O(p^2)`, moderate accuracy.
    Admm,
    /// The primal-dual interior-point method ([`ipm`]): high accuracy. From `q >= 70` its
    /// iterations run on preconditioned GMRES, on the augmented system near the end, with memory
    /// `O(q^2 + terms^2)`; the normal matrix (`O(q^4)`) is formed only if GMRES fails on both.
    InteriorPoint,
    /// A short ADMM phase, then a semismooth Newton augmented Lagrangian method ([`ssnal`]):
    /// memory `O(q^2)`; reaches 1e-6 on small instances, converges linearly and slowly on the
    /// benchmark instances (module docs). What `Auto` picks where the interior-point method does
    /// not fit.
    Ssnal,
    /// The interior-point method on a working set of the sign constraints, grown by the most
    /// violated ones ([`ipm::working_set`]): memory `O((|working set| + n)^2 + q^2)`, no normal
    /// matrix.
    WorkingSet,
}

/// Largest order `q` for which [`DnnMethod::Auto`] picks the interior-point method (if it also
/// fits the memory, [`ipm::fits_in_memory`], and, with a time limit, its predicted time). Since
/// the augmented system ([`DnnSettings::ipm_augmented`]) it needs no normal matrix on the
/// instances measured, and it was ahead of or level with the working-set method on every one of
/// them (two cores, each method alone through the CLI, `--beta 0.1`, seconds of wall time and
/// peak memory): full iris (q = 158) 18.5 s and 316 MB; wine (q = 195) 23.8 s and 518 MB against
/// 47.9 s and 158 MB; the ionosphere training half (q = 212) 29.8 s and 489 MB against 42.7 s and
/// 116 MB; the sonar data (q = 271) 87.4 s and 917 MB against 88.3 s and 255 MB, certified to
/// 5.3e-7 against 4.1e-6; half the breast-cancer data (q = 354) `solved` in 107 s and 1.2 GB,
/// where the working set was stopped by its 200 s limit; half the pima data (q = 395), certified
/// to 7.0e-6 (0.9944054, `inaccurate`) in 309.6 s and 1.5 GB, where the working set certified
/// 0.9938249 by its 400 s limit (416.4 s, 308 MB). Before the augmented system the range
/// ended at 220 (the normal matrix then took 2.2 GB and 75 s at q = 212).
pub const AUTO_IPM_MAX_ORDER: usize = 400;

/// Above [`AUTO_IPM_MAX_ORDER`] and up to this order, [`DnnMethod::Auto`] picks the interior-point
/// method on the whole program when it fits the memory and there is no time limit or one of at
/// least [`AUTO_IPM_LARGE_MIN_SECONDS`]. Its predicted time ([`ipm::predicted_seconds`]) is not
/// asked to fit there: at these sizes neither it nor the working-set method finishes within
/// minutes, and a stop (by the time limit, or at the stall where its steps collapse) still
/// certifies its last or best iterate. What counts is which certifies more when the limit comes.
/// Measured on a two-core machine, each method alone through the CLI, `--beta 0.1`, a 600 s
/// limit (docs/dnn.md):
/// - the banknote training half (q = 693): interior point 0.7119 (stopped by its stall after
///   466 s, a certified relative gap of 1.4e-2), the working set 0.6846-0.6893;
/// - the whole breast-cancer data, standardised, with bias (q = 695; 449 distinct rows):
///   interior point 0.7180738 in 269 s (`inaccurate`, gap 2.0e-6), the working set 0.6178.
pub const AUTO_IPM_LARGE_MAX_ORDER: usize = 700;

/// The shortest time limit under which [`DnnMethod::Auto`] picks the interior-point method above
/// [`AUTO_IPM_MAX_ORDER`] ([`AUTO_IPM_LARGE_MAX_ORDER`]). Its first iterations certify nothing
/// useful (the gap measure is above 1 for about 15 iterations), while the working set's first
/// rounds already do; on the banknote training half its bound passes the working set's after
/// about 200 s (measured under a 240 s limit, docs/dnn.md).
pub const AUTO_IPM_LARGE_MIN_SECONDS: f64 = 240.0;

/// Above the interior-point method's range, [`DnnMethod::Auto`] picks the working-set method when
/// the Schur complement its rounds factor every iteration starts at most this large
/// ([`working_set_first_order`]), and the semismooth Newton method otherwise. The cost of a
/// round grows with the cube of that order. Measured on a two-core machine, each method alone
/// under a 600 s limit (docs/benchmarks-sdp.md):
/// - banknote training half, order 4 116: working set certified 0.6832, `ssnal` 0.4098;
/// - digits PCA-20, order 14 000: `ssnal` certified 0.7176, the working set 0.6721 (two rounds).
///
/// Above this order the working set is still picked when there is no time limit or when the
/// limit leaves time for [`AUTO_WORKING_SET_ROUNDS`] rounds of
/// [`predicted_working_set_round_seconds`]: its rounds grow dearer, but its third round is where
/// its bound overtakes the semismooth Newton method's (digits under 1 200 s: the working set
/// 0.8131 after three rounds, `ssnal` 0.7680).
pub const AUTO_WORKING_SET_MAX_ORDER: usize = 8_000;

/// The rounds of [`predicted_working_set_round_seconds`] a time limit must allow for
/// [`DnnMethod::Auto`] to pick the working-set method above [`AUTO_WORKING_SET_MAX_ORDER`]. On
/// digits PCA-20 (order 14 000, a predicted round of 305 s) three rounds ended after 904.8 s
/// of solving (the third one's bound 0.8131, against `ssnal`'s 0.7680 under the same 1 200 s
/// limit), while under 600 s only two rounds fitted (0.6721, against `ssnal`'s 0.7176): 3.5
/// rounds, 1 067 s there, leaves a margin over the three.
pub const AUTO_WORKING_SET_ROUNDS: f64 = 3.5;

/// Iterations of a working-set round in [`predicted_working_set_round_seconds`] (measured 14-23
/// per round on the banknote training half, 57 over the first three rounds on digits PCA-20).
pub const WORKING_SET_ROUND_ITERATIONS: f64 = 20.0;

/// A prediction of the seconds a working-set round takes after the first:
/// [`WORKING_SET_ROUND_ITERATIONS`] factorisations of its Schur complement, of order
/// [`working_set_first_order`], at [`ipm::PREDICTED_FLOPS_PER_SECOND`]: 305 s on digits PCA-20,
/// whose first two rounds took about 350 s of solving and its first three 904.8 s.
pub fn predicted_working_set_round_seconds(problem: &DnnProblem) -> f64 {
    WORKING_SET_ROUND_ITERATIONS * ipm::predicted_cholesky_seconds(working_set_first_order(problem) as f64)
}

/// The order of the Schur complement of the working-set method's second round: `n c` loss terms
/// plus the inequalities one round adds ([`ipm::working_set::default_added`]). Saturates on
/// overflow (then the method is not picked).
pub fn working_set_first_order(problem: &DnnProblem) -> usize {
    let n = problem.t.n();
    n.saturating_mul(problem.t.c()).saturating_add(ipm::working_set::default_added(n))
}

/// Whether the working-set method's second round (its Schur complement of order
/// [`working_set_first_order`]) fits `settings.memory_limit_bytes`.
fn working_set_fits(problem: &DnnProblem, settings: &DnnSettings) -> bool {
    let added = ipm::working_set::default_added(problem.t.n()) as u64;
    ipm::preconditioned_memory_estimate_for(problem, working_set_first_order(problem), added).is_ok_and(|b| b <= settings.memory_limit_bytes)
}

impl DnnMethod {
    /// Name as printed and parsed (`auto`, `admm`, `ipm`, `ipm-working-set`, `ssnal`).
    pub fn name(self) -> &'static str {
        match self {
            DnnMethod::Auto => "auto",
            DnnMethod::Admm => "admm",
            DnnMethod::InteriorPoint => "ipm",
            DnnMethod::Ssnal => "ssnal",
            DnnMethod::WorkingSet => "ipm-working-set",
        }
    }

    /// Parses a name of [`DnnMethod::name`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(DnnMethod::Auto),
            "admm" => Ok(DnnMethod::Admm),
            "ipm" => Ok(DnnMethod::InteriorPoint),
            "ssnal" => Ok(DnnMethod::Ssnal),
            "ipm-working-set" => Ok(DnnMethod::WorkingSet),
            other => Err(Error::InvalidArgument(format!("unknown dnn method `{other}`; expected auto, admm, ipm, ipm-working-set or ssnal"))),
        }
    }

    /// The method `Auto` resolves to on `problem` (the others resolve to themselves).
    pub fn resolve(self, problem: &DnnProblem, settings: &DnnSettings) -> DnnMethod {
        match self {
            DnnMethod::Auto => {
                let fits = ipm::fits_in_memory(problem, settings);
                let in_time = settings.time_limit_seconds.map_or(true, |t| ipm::predicted_seconds(problem, settings) <= t);
                let q = problem.t.q();
                let large_in_time = settings.time_limit_seconds.map_or(true, |t| t >= AUTO_IPM_LARGE_MIN_SECONDS);
                let small = q <= AUTO_IPM_MAX_ORDER && in_time;
                let large = q > AUTO_IPM_MAX_ORDER && q <= AUTO_IPM_LARGE_MAX_ORDER && large_in_time;
                if fits && (small || large) {
                    DnnMethod::InteriorPoint
                } else if working_set_fits(problem, settings)
                    && (working_set_first_order(problem) <= AUTO_WORKING_SET_MAX_ORDER
                        || settings.time_limit_seconds.map_or(true, |t| t >= AUTO_WORKING_SET_ROUNDS * predicted_working_set_round_seconds(problem)))
                {
                    DnnMethod::WorkingSet
                } else {
                    DnnMethod::Ssnal
                }
            }
            m => m,
        }
    }
}

/// Solves the relaxation with the method of `settings.method` (resolved by
/// [`DnnMethod::resolve`]); `warm` is used by the ADMM only.
pub fn solve(problem: &DnnProblem, settings: &DnnSettings, warm: Option<&DnnState>) -> Result<DnnSolution> {
    match settings.method.resolve(problem, settings) {
        DnnMethod::InteriorPoint => ipm::solve(problem, settings),
        DnnMethod::Ssnal => ssnal::solve(problem, settings, warm),
        DnnMethod::WorkingSet => ipm::working_set::solve(problem, settings),
        _ => admm::solve(problem, settings, warm),
    }
}

/// Settings of the `dnn` solver. Defaults are in [`DnnSettings::default`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnnSettings {
    /// The method (default [`DnnMethod::Auto`]).
    pub method: DnnMethod,
    /// Relative KKT tolerance (default 1e-6).
    pub tolerance: f64,
    /// Iteration limit (default 200000; the wall-clock limit is the usual control on large data).
    pub max_iterations: u32,
    /// Wall-clock limit in seconds (default none).
    pub time_limit_seconds: Option<f64>,
    /// Print a line per residual check to stderr (default false). Independently of this, a
    /// progress line goes to stderr every 5 s once a solve has run for 3 s, unless `quiet`.
    pub verbose: bool,
    /// Suppress the progress lines (default false).
    pub quiet: bool,
    /// Initial penalty `rho` (default 1).
    pub rho: f64,
    /// Scaling `kappa` of the congruence constraint (default `None`: `1 / sqrt(lambda_max(T'T))`,
    /// measured best among 1, 1/sqrt and 1/lambda_max on the reference and spiral instances).
    pub kappa: Option<f64>,
    /// Scale `d_a` of the `a` block of `S` (the solver works on `S^ = D^(-1) S D^(-1)`,
    /// `D = diag(d_a I_n, I_d, I_c)`); default `None`: `||X||_2`, which makes the blocks of `S^`
    /// comparable at a solution (without it, `S_aa` is `||X||^2` times larger than `S_uu`).
    pub scale_a: Option<f64>,
    /// Over-relaxation `alpha` in (0, 2) (default 1.6).
    pub relaxation: f64,
    /// Halpern acceleration with restarts of the Peaceman-Rachford step (default false: on the
    /// spirals it did not beat plain over-relaxed ADMM; the relaxation `alpha` is then 2).
    pub halpern: bool,
    /// Anderson acceleration memory (default 0: off). Ignored with `halpern`.
    pub anderson_memory: u32,
    /// Longest Halpern epoch before a forced restart (default 2000 iterations).
    pub restart_max: u32,
    /// Iterations between residual checks (default 10).
    pub check_every: u32,
    /// Rebalance `rho` every this many iterations (default 50; 0 disables).
    pub adapt_every: u32,
    /// Refuse to start when [`DnnProblem::memory_estimate`] exceeds this many bytes (default:
    /// three quarters of the memory the kernel reports available, or 16 GiB if unknown).
    pub memory_limit_bytes: u64,
    /// Settings of the Newton phase of [`DnnMethod::Ssnal`].
    pub ssnal: ssnal::SsnalSettings,
    /// Interior-point method: when the normal matrix has at least this order, it is factored in
    /// single precision (each direction then solved by GMRES in double precision) until that
    /// misses a relative residual of 1e-11 or its extra steps cost more than the cheaper factor
    /// saves, then in double precision (default `Some(2500)`, i.e. `q >= 70`; `None`: always
    /// double precision). See [`ipm`] for the rule.
    pub ipm_single_precision_from: Option<usize>,
    /// Interior-point method: when the normal matrix has at least this order, the first
    /// iterations never form it; each direction is solved by GMRES preconditioned by the exact
    /// inverse of its Kronecker part plus its [`DnnSettings::ipm_preconditioner_terms`] terms of
    /// largest leverage (module docs of [`ipm`]), until the predictor misses a relative residual
    /// of 1e-9; from then on the augmented system ([`DnnSettings::ipm_augmented`]), and `M`
    /// factored in double precision only if that misses it too (default `Some(2500)`, i.e.
    /// `q >= 70`; `None`: never). It takes precedence over `ipm_single_precision_from`.
    pub ipm_preconditioned_from: Option<usize>,
    /// Number of rank-one terms of `Hf + g' D g` the interior-point method's preconditioner keeps
    /// (default `None`: `m / 25` for `m` inequalities, within `[200, 4000]`; measurements in
    /// [`ipm::preconditioner_terms`]).
    pub ipm_preconditioner_terms: Option<usize>,
    /// Interior-point method: when the preconditioner keeps every term (the rounds of
    /// [`DnnMethod::WorkingSet`]) and its capacitance matrix has at least this order, that
    /// matrix is factored in single precision (GMRES on the exact system removes the error) until
    /// GMRES misses a relative residual of 1e-9 on it or its extra steps cost more than the
    /// cheaper factor saves, then in double precision for the rest of the solve (default
    /// `Some(3000)`; `None`: always double precision).
    pub ipm_single_capacitance_from: Option<usize>,
    /// Interior-point method: where GMRES on the normal equations misses its accuracy with the
    /// low-rank preconditioner, first move the inequalities of large weight to augmented form
    /// (their multiplier steps become unknowns of the system, so that applying it never
    /// multiplies by a weight near `1 / mu`; [`ipm`] module docs), and factor the normal matrix
    /// only if GMRES misses its accuracy on that system too (default `true`).
    pub ipm_augmented: bool,
    /// Working-set method: after each round, drop the working inequalities that are inactive at
    /// its point (multiplier at most 1e-4 of the largest, normalised entry at least 1e-3; each at
    /// most once), so that the Schur complement factored every iteration holds the binding
    /// inequalities and the newly violated ones rather than every one ever added (default `true`;
    /// measurements in [`ipm::working_set`]).
    pub working_set_drop_inactive: bool,
    /// Inequalities added per round by the working-set method ([`DnnMethod::WorkingSet`]; default
    /// `None`: [`ipm::working_set::default_added`], `4 n` and at least 1 000).
    pub working_set_added: Option<usize>,
}

impl Default for DnnSettings {
    fn default() -> Self {
        Self {
            method: DnnMethod::Auto,
            tolerance: 1e-6,
            max_iterations: 200_000,
            time_limit_seconds: None,
            verbose: false,
            quiet: false,
            rho: 1.0,
            kappa: None,
            scale_a: None,
            relaxation: 1.6,
            halpern: false,
            anderson_memory: 0,
            restart_max: 2000,
            check_every: 10,
            adapt_every: 50,
            memory_limit_bytes: crate::backend::resources::default_memory_limit(),
            ssnal: ssnal::SsnalSettings::default(),
            ipm_single_precision_from: Some(ipm::DEFAULT_SINGLE_PRECISION_FROM),
            ipm_preconditioned_from: Some(ipm::DEFAULT_PRECONDITIONED_FROM),
            ipm_preconditioner_terms: None,
            ipm_single_capacitance_from: Some(ipm::DEFAULT_SINGLE_CAPACITANCE_FROM),
            ipm_augmented: true,
            working_set_drop_inactive: true,
            working_set_added: None,
        }
    }
}

impl DnnSettings {
    /// The defaults with the backend-independent settings (tolerance, limits, verbosity) applied.
    pub fn from_solve(s: &SolveSettings) -> Self {
        let mut out = Self::default();
        if let Some(t) = s.tolerance {
            out.tolerance = t;
        }
        if let Some(k) = s.max_iterations {
            out.max_iterations = k;
        }
        out.time_limit_seconds = s.time_limit_seconds;
        out.verbose = s.verbose;
        if let Some(m) = s.memory_limit_bytes {
            out.memory_limit_bytes = m;
        }
        out
    }

    /// Range checks.
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !pos(self.tolerance) {
            return Err(Error::InvalidArgument(format!("tolerance must be a positive number, found {}", self.tolerance)));
        }
        if self.max_iterations == 0 {
            return Err(Error::InvalidArgument("iteration limit must be at least 1".into()));
        }
        if let Some(t) = self.time_limit_seconds {
            if !pos(t) {
                return Err(Error::InvalidArgument(format!("time limit must be a positive number of seconds, found {t}")));
            }
        }
        if !pos(self.rho) {
            return Err(Error::InvalidArgument(format!("dnn: rho must be positive, found {}", self.rho)));
        }
        if let Some(k) = self.scale_a {
            if !pos(k) {
                return Err(Error::InvalidArgument(format!("dnn: scale_a must be positive, found {k}")));
            }
        }
        if let Some(k) = self.kappa {
            if !pos(k) {
                return Err(Error::InvalidArgument(format!("dnn: kappa must be positive, found {k}")));
            }
        }
        if !(self.relaxation > 0.0 && self.relaxation < 2.0) {
            return Err(Error::InvalidArgument(format!("dnn: relaxation must lie in (0, 2), found {}", self.relaxation)));
        }
        if self.check_every == 0 {
            return Err(Error::InvalidArgument("dnn: check_every must be at least 1".into()));
        }
        Ok(())
    }
}

/// Everything needed to continue a solve: pass it back as the warm start of the next one
/// (same data; `beta` may differ).
#[derive(Clone, Debug)]
pub struct DnnState {
    /// `S` (q x q).
    pub s: DMatrix<f64>,
    /// `P`, the PSD copy of `S`.
    pub p: DMatrix<f64>,
    /// `L~ = kappa Lambda` (p x p).
    pub l: DMatrix<f64>,
    /// Multiplier of `S = P`.
    pub lambda1: DMatrix<f64>,
    /// Multiplier of `kappa T S T' = L~`.
    pub lambda2: DMatrix<f64>,
    /// Penalty.
    pub rho: f64,
    /// Scaling used (a warm start is rescaled if the next solve uses another).
    pub kappa: f64,
    /// Scale `d_a` of the `a` block (`s`, `p`, `lambda1` are those of the scaled variable).
    pub scale_a: f64,
}

/// The result of a `dnn` solve.
#[derive(Clone, Debug)]
pub struct DnnSolution {
    /// The method that ran.
    pub method: DnnMethod,
    /// Outcome, in the backends' vocabulary.
    pub status: Status,
    /// The PSD iterate `P` (the primal point returned; PSD to working precision).
    pub s: DMatrix<f64>,
    /// Multiplier of the lifted constraints in the original scale, `Z = kappa Lambda2` (p x p).
    pub z: DMatrix<f64>,
    /// `f(P)`.
    pub primal_objective: f64,
    /// `<W, Y> - 1/2 ||W||^2` with `W = -2 Z_AV` (not a bound; see [`crate::certify`]).
    pub dual_objective: f64,
    /// Relative primal residual at the last check.
    pub primal_residual: f64,
    /// Relative dual residual at the last check.
    pub dual_residual: f64,
    /// Relative gap `|pobj - dobj| / (1 + |pobj| + |dobj|)` at the last check.
    pub gap: f64,
    /// Iterations taken.
    pub iterations: u32,
    /// Interior-point iterations whose normal matrix was factored in single precision (0 for
    /// the other methods).
    pub single_precision_iterations: u32,
    /// Interior-point iterations solved by preconditioned GMRES without a factorisation (0 for
    /// the other methods).
    pub preconditioned_iterations: u32,
    /// Preconditioned interior-point iterations whose capacitance matrix was factored in single
    /// precision ([`DnnSettings::ipm_single_capacitance_from`]; 0 for the other methods).
    pub single_capacitance_iterations: u32,
    /// Working inequalities dropped as inactive between rounds of [`DnnMethod::WorkingSet`]
    /// ([`DnnSettings::working_set_drop_inactive`]; 0 for the other methods).
    pub inequalities_dropped: u32,
    /// Wall-clock seconds (set-up included).
    pub solve_seconds: f64,
    /// The final state, for warm starts.
    pub state: DnnState,
}

impl DnnSolution {
    /// `Lambda = T S T'` of the returned point.
    pub fn lambda(&self, problem: &DnnProblem) -> Result<DMatrix<f64>> {
        problem.t.forward(&self.s)
    }
}
