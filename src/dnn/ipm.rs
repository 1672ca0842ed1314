//! A primal-dual interior-point method for the relaxation, with the normal equations formed
//! densely in the coordinates of `S` (the `dnn` solver's high-accuracy method).
//!
//! # The program in inequality form
//!
//! With `Lambda = T S T'` (see [`super::congruence`]) and `t_r` the rows of `T`, every constraint
//! is an inner product with a matrix of rank at most two, `Lambda_rs = <sym(t_r t_s'), S>`:
//!
//! ```text
//!     minimise   f(S) = 1/2 ||S_av - Y||^2 + beta/2 (tr S_uu + tr S_vv)
//!     subject to g(S) = (Lambda_{A_i A_j}, Lambda_{B_i B_j} (i < j),  Lambda_{A_i B_j} (i != j))  >= 0
//!                h(S) = (Lambda_{A_i B_i})_i = 0,            S PSD.
//! ```
//!
//! The diagonals of `Lambda_AA` and `Lambda_BB` are left out: `S` PSD implies them. There are
//! `m = 2 n (n - 1)` inequalities and `n` equalities on `N = q (q + 1) / 2` unknowns.
//!
//! # The method
//!
//! Infeasible primal-dual path following with Mehrotra's predictor-corrector, on the variables
//! `S` (PSD), the slacks `s = g(S) >= 0`, and the multipliers `z >= 0` (of `g`), `y` (of `h`) and
//! `Z` (PSD, of `S`). The complementarity of the PSD pair uses the Nesterov-Todd scaling:
//! with `S = L_S L_S'`, `Z = L_Z L_Z'` (Cholesky) and the SVD `L_Z' L_S = U Sigma V'`, the matrix
//! `G = L_S V Sigma^(-1/2)` gives `G^(-1) S G^(-T) = G' Z G = Sigma` (diagonal), `W = G G'` and
//! `W Z W = S`. A search direction solves the linearised optimality conditions
//!
//! ```text
//!     Hf dS + W^(-1) dS W^(-1) + g' D g dS - h' dy = W^(-1) R_c W^(-1) - r_d + g'((r_c - z o p_g) / s)
//!     h dS = -h(S)
//! ```
//!
//! with `D = diag(z / s)`, the dual residual `r_d = grad f(S) - g'z - h'y - Z`, the primal
//! residual `p_g = g(S) - s`, and right-hand sides `R_c` (PSD cone) and `r_c` (slacks) that are
//! `-S` and `-s o z` for the predictor, and carry the centring term `sigma mu` and Mehrotra's
//! second-order correction (computed in the scaled frame where `Sigma` is diagonal) for the
//! corrector, then up to four of Gondzio's centrality correctors (each aims at a step 0.2 longer
//! and pulls every complementarity product, eigenvalue or entry, into `[0.1, 10] sigma mu`; it is
//! kept while it lengthens the step). The other components follow: `ds = g dS + p_g`,
//! `dz = (r_c - z o ds) / s`, and `dZ = r_d + Hf dS - g'dz - h'dy` from the dual equation (not
//! `W^(-1) (R_c - dS) W^(-1)`, equal in exact arithmetic), so that the dual residual falls exactly
//! with the step.
//!
//! The normal matrix `M = Hf + W^(-1) (x)s W^(-1) + g' D g` (order `N`) is formed explicitly:
//! the Kronecker part entry by entry in `svec` coordinates (off-diagonal entries times `sqrt 2`),
//! the constraint part as a sum of sparse rank-one terms (the row of `Lambda_{A_i A_j}` has one
//! nonzero, that of `Lambda_{A_i B_j}` has `d + 1`, that of `Lambda_{B_i B_j}` about `d^2 / 2`),
//! and `Hf` is `1/2` on the `av` coordinates. `M` is factored by LAPACK `dpotrf` (both cores
//! through OpenBLAS). The `n` equalities are eliminated before the factorisation: the row of
//! `Lambda_{A_i B_i}` is `S_{a_i a_i} - sum_k X_ik S_{a_i u_k}`, so each one fixes the diagonal
//! coordinate `S_{a_i a_i}` (touched by no other equality) as a function of the `a_i u` coordinates
//! (touched by this one only), every solution of `h dS = e` is `P x_f + x0`, and `M` is replaced in
//! place by `P' M P` (a sparse congruence: `O(N n d)` flops) with the identity on the eliminated
//! coordinates; their multipliers `dy` come from their rows of `M` (`Equalities`). The
//! Schur complement `h M^(-1) h'` this replaces needed `n` right-hand sides per iteration (0.56 s
//! of an 8.5 s iteration at q = 158), and the matrix buffer is kept from one iteration to the next
//! (allocating and zeroing 1.26 GB took another 0.5-0.65 s). If the factorisation fails, the diagonal is scaled by `1 + 1e-14` (then
//! `1e-12`, `1e-10`). The predictor and the direction finally taken are refined (up to four
//! steps, while the residual halves) with `M` applied through the congruence, never from the
//! factored copy, so the refinement also removes the regularisation. The corrector and the
//! centrality correctors are first solved as trials, refined only until their relative residual
//! is 1e-10 (on a double-precision factor usually no step at all; the one taken is then refined
//! further, by up to four steps, or by GMRES on a single-precision factor): each refinement step is a pair of triangular solves that
//! read the whole lower triangle of the factor (`4 N^2` bytes, 0.63 GB at q = 158; not timed on its own), and only the one taken needs
//! working accuracy. (Leaving the predictor
//! unrefined too made spiral n = 30 and the planted teacher stall before 1e-6: its errors enter
//! the corrector through Mehrotra's second-order term.)
//!
//! # Mixed precision
//!
//! When `N` is at least [`DnnSettings::ipm_single_precision_from`] (default 2500, `q >= 70`),
//! the first iterations form and factor `M` in single precision (`spotrf`: about half the time
//! of `dpotrf` at order 12 561 on the reference machine, and half the memory traffic of the
//! forming loop). A direction is then computed by GMRES on the whole KKT system (`M` applied
//! through the congruence in double precision, the equalities included), right-preconditioned
//! by the single-precision solve, to a relative residual of 1e-13 (trials to 1e-10). The factor's error sits on the
//! few ill-conditioned directions, which the Krylov method removes in a few steps. The method
//! moves to double precision for good at the first iteration where
//!
//! - the refined predictor misses a relative residual of 1e-11 (the iteration is then redone in
//!   double precision), or `spotrf` fails; or
//! - the GMRES steps beyond the two that a double-precision factor typically needs, counted over
//!   about four directions per iteration (a rough figure: up to six are solved), cost more than the single-precision factorisation
//!   saves (the double one takes about twice as long); or
//! - a corrector direction misses 1e-11; or
//! - the predictor took more than half of the GMRES cap ([`GMRES_MAX_STEPS`]): the steps grow
//!   from one iteration to the next, and the next predictor would likely miss 1e-11 and waste its
//!   single-precision factorisation (full iris: 3.5 s of an 11.2 s iteration before this rule).
//!
//! The returned point, its residuals and the certificate are computed as before, in double
//! precision; [`DnnSolution::single_precision_iterations`] says how many iterations used the
//! single-precision factor.
//!
//! The cost of an iteration is dominated by the factorisation, `N^3 / 3` flops: a whole iteration
//! takes about 0.1 s at `q = 65`, 0.25 s at `q = 83` and 6.8-7.4 s at `q = 158` in double precision
//! (`dpotrf` alone 6.2 s) on this project's two-core reference machine (measured, nothing else
//! running); the memory by the lower triangle of the `N x N` matrix, `4 N^2` bytes resident
//! (0.63 GB at `q = 158`; the upper triangle is allocated but never touched). That is why this method is for
//! small and medium relaxations, and the ADMM ([`super::admm`]) for the rest.
//!
//! # Stopping
//!
//! ```text
//!     primal  sqrt(||g(S) - s||^2 + ||h(S)||^2) / (1 + ||g(S)||)
//!     dual    ||r_d||_F / (1 + ||grad f(S)||_F)
//!     gap     (<S, Z> + s'z) / (1 + |f(S)|)
//! ```
//!
//! all below the tolerance: `solved`. The wall-clock limit is checked before each iteration
//! against the duration of the previous one (the first is predicted from the flop count), so a
//! solve stops with `time_limit` before the limit rather than after it. Steps that stall (a step
//! length below 1e-2 twice in a row once the measures are within 1e3 times the tolerance, below
//! 1e-8 before that) or a factorisation that fails even after
//! regularisation stop with `inaccurate` when the residuals are within 1e3 times the tolerance,
//! `numerical_error` otherwise.
//!
//! # Multiplier of the lifted constraints
//!
//! The certificate ([`crate::certify::sdp::certify_dnn`]) takes the multiplier `Z~` of
//! `Lambda = T S T'` (order `p`): `-z_k / 2` at both positions of each inequality's entry,
//! `-y_i / 2` at both positions of `Lambda_{A_i B_i}`, and `(S_av - Y) / 2` on the `AV` and `VA`
//! blocks, so that `C0 + T' Z~ T = grad f(S) - g'z - h'y = Z + r_d`.

use super::{DnnProblem, DnnSettings, DnnSolution, DnnState};
use crate::backend::Status;
use crate::error::{Error, Result};
use crate::linalg::{cholesky_in_place, cholesky_in_place_f32, cholesky_solve, cholesky_solve_f32, sym_eigen, symmetrize, EigenRange};
use nalgebra::DMatrix;
use std::time::Instant;

const SQRT2: f64 = std::f64::consts::SQRT_2;

/// Most refinement steps per direction (each costs one pair of triangular solves, `O(N^2)`).
const REFINEMENT_STEPS: usize = 4;

/// Relative KKT residual at which a trial direction (the corrector and the centrality
/// correctors before one is taken) stops being refined.
const TRIAL_RESIDUAL: f64 = 1e-10;

/// Relative residual at which GMRES stops (a double-precision factor with refinement reaches
/// 1e-16 to 1e-11 over a solve; the directions need no more than this).
const GMRES_TOLERANCE: f64 = 1e-13;

/// Most GMRES steps per direction when the factor is in single precision.
const GMRES_MAX_STEPS: usize = 20;

/// Refinement steps a double-precision factor typically needs (measured 2 on every iteration of
/// the iris training half); single precision is kept while its extra steps cost less than it saves.
const REFINEMENT_STEPS_DOUBLE_TYPICAL: usize = 2;

/// A single-precision factor is kept while the refined predictor direction reaches this
/// relative residual; above it the method factors in double precision from then on.
const SINGLE_PRECISION_RESIDUAL: f64 = 1e-11;

/// The default of [`DnnSettings::ipm_single_precision_from`]: normal matrices of lower order
/// (`q < 70`) are factored in double precision from the start. Measured side by side with the
/// probe, three runs each, alternating: the iris training half (q = 83, `N` = 3 486) 4.50, 4.77,
/// 5.01 s in mixed precision against 5.18, 4.85, 5.41 s in double (19 iterations either way,
/// 10 of them single). An earlier measurement, when the rest of an iteration cost more, had it
/// within the noise (10.20 s against 10.57 s) and set the threshold at 5000 (`q >= 100`). Below
/// 2 500 (spiral60, q = 65) a factorisation takes 0.05 s and single precision changed the
/// trajectory (a stall at 1.4e-4 against 6.9e-5).
pub const DEFAULT_SINGLE_PRECISION_FROM: usize = 2500;

/// Fraction of the distance to the boundary of the cones that a step takes. 0.95 keeps the
/// iterates better centred than 0.99: 1-4 iterations fewer on every probe instance (a rule
/// growing it to 0.99 with the previous step was measured too, and lost on two of them).
const STEP_TO_BOUNDARY: f64 = 0.95;

/// Most centrality correctors per iteration (Gondzio). Each is a trial direction, usually one
/// solve with the factors already computed ([`TRIAL_RESIDUAL`]). Measured with the probe: 2 -> 4
/// (with the trials) took full iris from 35 iterations and a stall at a gap measure of 1.9e-6
/// (293 s) to 28 iterations and `solved` (230 s), iris-half 21 -> 19; 6 gained nothing more.
const CENTRALITY_CORRECTORS: usize = 4;

/// In the end game (the worst measure within [`END_GAME`] times the tolerance, where a stop
/// returns `inaccurate` rather than `numerical_error`), steps shorter than this count as a stall
/// and [`STALLS_TO_STOP`] in a row stop the method: there the steps collapse within one or two
/// iterations (full iris: 0.676, 0.003, 0.000, 0.000) once the directions have lost the accuracy
/// the next digits need, and the earlier rule (three steps below 1e-8) spent two or three more
/// iterations (8 s each) finding that out. Elsewhere only steps below [`MIN_STEP`] count (the
/// shortest step measured away from the end on the probe instances was 0.26).
const SHORT_STEP: f64 = 1e-2;
const MIN_STEP: f64 = 1e-8;
const STALLS_TO_STOP: usize = 2;
const END_GAME: f64 = 1e3;

/// No progress: over this many iterations neither the worst of the three measures nor the
/// complementarity `mu` fell by more than `PROGRESS_FACTOR`, so the method stops (the normal
/// equations have lost the accuracy the next digits need; the best iterate is returned).
const PROGRESS_WINDOW: usize = 3;
const PROGRESS_FACTOR: f64 = 0.9;

/// `svec` index of the entry `(i, j)`, `i <= j` (upper triangle packed by columns).
#[inline]
fn sv(i: usize, j: usize) -> usize {
    debug_assert!(i <= j);
    j * (j + 1) / 2 + i
}

/// `svec(A)`: the upper triangle by columns, off-diagonal entries times `sqrt 2`.
fn svec(a: &DMatrix<f64>) -> Vec<f64> {
    let q = a.nrows();
    let mut out = Vec::with_capacity(q * (q + 1) / 2);
    for j in 0..q {
        for i in 0..=j {
            out.push(if i == j { a[(i, i)] } else { SQRT2 * 0.5 * (a[(i, j)] + a[(j, i)]) });
        }
    }
    out
}

/// The inverse of [`svec`].
fn smat(v: &[f64], q: usize) -> DMatrix<f64> {
    let mut a = DMatrix::zeros(q, q);
    for j in 0..q {
        for i in 0..=j {
            let x = v[sv(i, j)];
            if i == j {
                a[(i, i)] = x;
            } else {
                a[(i, j)] = x / SQRT2;
                a[(j, i)] = x / SQRT2;
            }
        }
    }
    a
}

/// Whether pages of a zeroed allocation that are never touched stay unmapped, so that the
/// untouched upper triangle of the normal matrix costs no memory: Linux with transparent huge
/// pages not set to `always` (a 2 MB page spans about 20 columns of the matrix at q = 158 and
/// always holds some of the lower triangle) and overcommit not strict (mode 2 charges the whole
/// allocation). Anywhere else (another system, unreadable settings) the estimate counts the
/// whole matrix.
fn untouched_pages_stay_unmapped() -> bool {
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory");
    match (thp, overcommit) {
        (Ok(t), Ok(o)) => !t.contains("[always]") && o.trim() != "2",
        _ => false,
    }
}

/// Number of bytes the interior-point method holds at once for a problem with the given sizes:
/// the lower triangle of the normal matrix plus a tenth (`4.4 N^2`: the `N x N` buffer is
/// allocated zeroed, so the operating system maps the pages of its upper triangle, which nothing
/// ever reads or writes, only on first use, that is never; measured peak of the whole command on
/// full iris, q = 158: 713 MB against 1 257 MB when the buffer was written in full; `8 N^2`
/// where untouched pages may still be mapped or charged: transparent huge pages `always`, strict
/// overcommit, or not Linux), the `N x n` pivot columns of the eliminated
/// equalities, and `O(p^2 + m)` vectors. `Err(TooLarge)` when the count overflows.
pub fn memory_estimate(problem: &DnnProblem) -> Result<u64> {
    let (n, q, p) = (problem.t.n() as u64, problem.t.q() as u64, problem.t.p() as u64);
    let too_large = || Error::TooLarge(format!("the relaxation of order q = {q} is too large for the interior-point method to count"));
    let nsv = q.checked_mul(q + 1).map(|v| v / 2).ok_or_else(too_large)?;
    // The lower triangle plus a tenth (the measured peak on full iris was 8% above the lower
    // triangle alone); the whole matrix where untouched pages may still be charged or mapped.
    let matrix = if untouched_pages_stay_unmapped() {
        nsv.checked_mul(nsv + 1).map(|v| v / 2 + v / 20)
    } else {
        nsv.checked_mul(nsv)
    };
    let words = matrix
        .and_then(|a| a.checked_add(nsv.checked_mul(n + 8)?))
        .and_then(|a| a.checked_add(p.checked_mul(p)?.checked_mul(12)?))
        .and_then(|a| a.checked_add(n.checked_mul(n)?.checked_mul(20)?))
        .ok_or_else(too_large)?;
    words.checked_mul(8).ok_or_else(too_large)
}

/// A conservative prediction of the seconds one iteration takes: the factorisation's
/// `N^3 / 3` flops at [`PREDICTED_FLOPS_PER_SECOND`].
pub fn predicted_iteration_seconds(problem: &DnnProblem) -> f64 {
    let q = problem.t.q() as f64;
    let nsv = q * (q + 1.0) / 2.0;
    nsv.powi(3) / 3.0 / PREDICTED_FLOPS_PER_SECOND
}

/// The factorisation speed assumed by [`predicted_iteration_seconds`]: below the effective speed
/// of whole iterations measured on two cores of the reference machine (forming, factoring and
/// solving at q = 212: 8.3e10 to 9.1e10 flop/s of `N^3 / 3` in double-precision iterations, 1.4e11
/// averaged over the mixed-precision run; 4e10 before the equalities were eliminated and the
/// solves blocked).
pub const PREDICTED_FLOPS_PER_SECOND: f64 = 6e10;

/// The number of iterations [`super::DnnMethod::Auto`] budgets for (measured 19 on iris-half,
/// 30 on full iris, 32 on the ionosphere training half, 13-25 on the small spirals). With [`PREDICTED_FLOPS_PER_SECOND`] the
/// prediction is 2.3 times the measured time on full iris (440 s against 188 s) and on the
/// ionosphere training half (2 560 s against 1 089 s): conservative, so that `auto` picks the
/// method only when it will finish.
pub const TYPICAL_ITERATIONS: f64 = 40.0;

/// One constraint: the pair of rows `(r, s)` of `Lambda` (row `i < n` is `A_i`, `n + i` is `B_i`).
#[derive(Clone, Copy, Debug)]
struct Entry {
    r: usize,
    s: usize,
}

/// The constraint structure of one problem.
struct Constraints<'a> {
    problem: &'a DnnProblem,
    /// Inequalities in a fixed order: `AA (i < j)`, `BB (i < j)`, `AB (i != j)`.
    ineq: Vec<Entry>,
}

impl<'a> Constraints<'a> {
    fn new(problem: &'a DnnProblem) -> Self {
        let n = problem.t.n();
        let mut ineq = Vec::with_capacity(2 * n * n.saturating_sub(1));
        for j in 0..n {
            for i in 0..j {
                ineq.push(Entry { r: i, s: j });
            }
        }
        for j in 0..n {
            for i in 0..j {
                ineq.push(Entry { r: n + i, s: n + j });
            }
        }
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    ineq.push(Entry { r: i, s: n + j });
                }
            }
        }
        Self { problem, ineq }
    }

    fn m(&self) -> usize {
        self.ineq.len()
    }

    /// `g(S)` from `Lambda = T S T'`.
    fn g_of(&self, lambda: &DMatrix<f64>) -> Vec<f64> {
        self.ineq.iter().map(|e| lambda[(e.r, e.s)]).collect()
    }

    /// `h(S)` from `Lambda`.
    fn h_of(&self, lambda: &DMatrix<f64>) -> Vec<f64> {
        let n = self.problem.t.n();
        (0..n).map(|i| lambda[(i, n + i)]).collect()
    }

    /// The lifted matrix `-(sum_k w_k E_k + sum_i y_i F_i) / 2`, symmetrised, with `E_k`, `F_i`
    /// the two positions of each entry (the multiplier convention of the certificate).
    fn lifted_multiplier(&self, w: &[f64], y: &[f64]) -> DMatrix<f64> {
        let p = self.problem.t.p();
        let n = self.problem.t.n();
        let mut m = DMatrix::zeros(p, p);
        for (e, &v) in self.ineq.iter().zip(w) {
            m[(e.r, e.s)] -= 0.5 * v;
            m[(e.s, e.r)] -= 0.5 * v;
        }
        for (i, &v) in y.iter().enumerate() {
            m[(i, n + i)] -= 0.5 * v;
            m[(n + i, i)] -= 0.5 * v;
        }
        m
    }

    /// `g'w + h'y` (q x q).
    fn adjoint(&self, w: &[f64], y: &[f64]) -> Result<DMatrix<f64>> {
        let m = self.lifted_multiplier(w, y);
        Ok(-self.problem.t.adjoint(&m)?)
    }

    /// The sparse `svec` row of `<sym(t_r t_s'), S>`, merged into `out` (cleared first) using the
    /// dense scratch `acc` (all zeros on entry and on return).
    fn row(&self, e: Entry, acc: &mut [f64], touched: &mut Vec<usize>, out: &mut Vec<(usize, f64)>) {
        let (n, d) = (self.problem.t.n(), self.problem.t.d());
        let x = self.problem.t.x();
        let trow = |r: usize, buf: &mut Vec<(usize, f64)>| {
            buf.clear();
            if r < n {
                buf.push((r, 1.0));
            } else {
                let i = r - n;
                buf.push((i, 1.0));
                for k in 0..d {
                    let v = x[(i, k)];
                    if v != 0.0 {
                        buf.push((n + k, -v));
                    }
                }
            }
        };
        let mut tr = Vec::with_capacity(d + 1);
        let mut ts = Vec::with_capacity(d + 1);
        trow(e.r, &mut tr);
        trow(e.s, &mut ts);
        touched.clear();
        for &(k, a) in &tr {
            for &(l, b) in &ts {
                let (idx, v) = if k == l { (sv(k, k), a * b) } else { (sv(k.min(l), k.max(l)), a * b / SQRT2) };
                touched.push(idx);
                acc[idx] += v;
            }
        }
        out.clear();
        touched.sort_unstable();
        touched.dedup();
        for &idx in touched.iter() {
            out.push((idx, acc[idx]));
            acc[idx] = 0.0;
        }
    }
}

/// The objective's pieces: `grad f(S)` (q x q) and `f(S)`.
fn gradient(problem: &DnnProblem, s: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, d, c, q) = (problem.t.n(), problem.t.d(), problem.t.c(), problem.t.q());
    let mut g = DMatrix::zeros(q, q);
    for i in n..q {
        g[(i, i)] = 0.5 * problem.beta;
    }
    let v0 = n + d;
    for k in 0..c {
        for i in 0..n {
            let r = 0.5 * (s[(i, v0 + k)] - problem.y[(i, k)]);
            g[(i, v0 + k)] = r;
            g[(v0 + k, i)] = r;
        }
    }
    g
}

/// `Hf dS`: half of `dS_av` on the `av` and `va` blocks.
fn hess_f(problem: &DnnProblem, ds: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, d, c, q) = (problem.t.n(), problem.t.d(), problem.t.c(), problem.t.q());
    let mut h = DMatrix::zeros(q, q);
    let v0 = n + d;
    for k in 0..c {
        for i in 0..n {
            let r = 0.5 * ds[(i, v0 + k)];
            h[(i, v0 + k)] = r;
            h[(v0 + k, i)] = r;
        }
    }
    h
}

fn inner(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| x * y).sum()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// The Nesterov-Todd scaling at `(S, Z)`.
struct NtScaling {
    /// `G` with `G^(-1) S G^(-T) = G' Z G = diag(lambda)`.
    g: DMatrix<f64>,
    /// `G^(-1)`.
    g_inv: DMatrix<f64>,
    /// `W^(-1) = G^(-T) G^(-1)`.
    w_inv: DMatrix<f64>,
    /// The scaled point `lambda` (the singular values of `L_Z' L_S`).
    lambda: Vec<f64>,
}

impl NtScaling {
    /// `R_c = G X G'` where `X` solves `lambda o X = rhs` (`o` the symmetrised product,
    /// `lambda` diagonal): `X_ij = 2 rhs_ij / (lambda_i + lambda_j)`.
    fn complementarity_rhs(&self, rhs: &DMatrix<f64>) -> DMatrix<f64> {
        let q = rhs.nrows();
        let x = DMatrix::from_fn(q, q, |i, j| 2.0 * rhs[(i, j)] / (self.lambda[i] + self.lambda[j]));
        let mut rc = &self.g * x * self.g.transpose();
        symmetrize(&mut rc);
        rc
    }
}

fn nt_scaling(s: &DMatrix<f64>, z: &DMatrix<f64>) -> Option<NtScaling> {
    let ls = s.clone().cholesky()?.l();
    let lz = z.clone().cholesky()?.l();
    let prod = lz.transpose() * &ls;
    let svd = prod.svd(false, true);
    let vt = svd.v_t?;
    let lam: Vec<f64> = svd.singular_values.iter().copied().collect();
    if lam.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
        return None;
    }
    let q = s.nrows();
    // G = L_S V Sigma^(-1/2);  G^(-1) = Sigma^(1/2) V' L_S^(-1).
    let v = vt.transpose();
    let mut g = &ls * &v;
    for j in 0..q {
        let f = 1.0 / lam[j].sqrt();
        g.column_mut(j).scale_mut(f);
    }
    let ls_inv = ls.solve_lower_triangular(&DMatrix::identity(q, q))?;
    let mut g_inv = &vt * &ls_inv;
    for i in 0..q {
        let f = lam[i].sqrt();
        g_inv.row_mut(i).scale_mut(f);
    }
    let mut w_inv = g_inv.transpose() * &g_inv;
    symmetrize(&mut w_inv);
    Some(NtScaling { g, g_inv, w_inv, lambda: lam })
}

/// The starting value of every sign multiplier: `||I_q||_F / ||g'1||_F` (module docs).
fn start_multiplier(cons: &Constraints, q: usize) -> Result<f64> {
    let ones = vec![1.0; cons.m()];
    let norm_g1 = cons.adjoint(&ones, &vec![0.0; cons.problem.t.n()])?.norm();
    Ok(if norm_g1 > 0.0 && norm_g1.is_finite() { (q as f64).sqrt() / norm_g1 } else { 1.0 })
}

/// True when, over the last `PROGRESS_WINDOW` iterations, neither the worst measure nor `mu`
/// fell below `PROGRESS_FACTOR` times its earlier value.
fn no_progress(history: &[(f64, f64)]) -> bool {
    let k = history.len();
    if k <= PROGRESS_WINDOW {
        return false;
    }
    let (w0, m0) = history[k - 1 - PROGRESS_WINDOW];
    let (w1, m1) = history[k - 1];
    w1 > PROGRESS_FACTOR * w0 && m1 > PROGRESS_FACTOR * m0
}

/// Largest `alpha` with `X + alpha dX` PSD (infinity when `dX` is PSD), from the Cholesky factor
/// of `X`.
fn psd_step(x: &DMatrix<f64>, dx: &DMatrix<f64>) -> Result<f64> {
    let Some(ch) = x.clone().cholesky() else { return Ok(0.0) };
    let l = ch.l();
    let q = x.nrows();
    let Some(li) = l.solve_lower_triangular(&DMatrix::identity(q, q)) else { return Ok(0.0) };
    let mut m = &li * dx * li.transpose();
    symmetrize(&mut m);
    let e = sym_eigen(&m, EigenRange::All)?;
    let lo = e.values.first().copied().unwrap_or(0.0);
    Ok(if lo < 0.0 { -1.0 / lo } else { f64::INFINITY })
}

fn nonneg_step(x: &[f64], dx: &[f64]) -> f64 {
    let mut a = f64::INFINITY;
    for (v, dv) in x.iter().zip(dx) {
        if *dv < 0.0 {
            a = a.min(-v / dv);
        }
    }
    a
}

/// A search direction.
struct Direction {
    ds_mat: DMatrix<f64>,
    dy: Vec<f64>,
    dslack: Vec<f64>,
    dz: Vec<f64>,
    dz_mat: DMatrix<f64>,
    /// Relative residual `||KKT r|| / ||rhs||` of the refined linear solve.
    residual: f64,
    /// Refinement steps taken (GMRES steps with a single-precision factor).
    refinements: usize,
}

/// The factored normal equations of one iteration.
struct Normal {
    /// Cholesky factor of the reduced normal matrix (order `N`, the rows and columns of the
    /// eliminated coordinates replaced by the identity; [`Equalities`]).
    factor: Factor,
    /// The columns of `M` (with its regularisation) at the eliminated coordinates, before the
    /// elimination (N x n).
    pivot_columns: DMatrix<f64>,
    /// Regularisation added to the diagonal of `M`.
    reg: f64,
}

impl Normal {
    /// The factor's buffer, for the next iteration's normal matrix.
    fn into_buffer(self) -> NormalBuffer {
        match self.factor {
            Factor::Double(m) => NormalBuffer::Double(m.data.into()),
            Factor::Single(v) => NormalBuffer::Single(v),
        }
    }
}

/// A normal matrix buffer kept from one iteration to the next: allocating and zeroing 1.26 GB
/// took 0.5-0.65 s per iteration at q = 158. Nothing needs zeroing, since [`form_normal`] assigns
/// every entry of the lower triangle and LAPACK reads only that triangle.
enum NormalBuffer {
    None,
    Double(Vec<f64>),
    Single(Vec<f32>),
}

/// The equalities `h(S) = 0` solved for one coordinate each. The row of `Lambda_{A_i B_i}` is
/// `S_{a_i a_i} - sum_k X_ik S_{a_i u_k}`: in `svec` coordinates `c_i x_{p_i} + sum_a h_i[a] x_a`
/// with the pivot `p_i = sv(i, i)`, which no other equality touches, and links `a` in the `au`
/// block, each touched by this equality only. So `h x = e` holds exactly when
/// `x_{p_i} = e_i / c_i + sum_a t_i[a] x_a` with `t_i[a] = -h_i[a] / c_i`: every solution is
/// `x = P x_f + x0` (`x_f` the other coordinates, `x0 = e_i / c_i` on the pivots), and the KKT
/// system `M x - h' dy = b`, `h x = e` becomes `P' M P x_f = P' (b - M x0)` (since `P' h' = 0`),
/// with `dy_i = ((M x)_{p_i} - b_{p_i}) / c_i` from the pivot rows. Before this, the equalities
/// went through the Schur complement `h M^(-1) h'`, whose `n` right-hand sides cost 0.56 s per
/// iteration at q = 158 (double precision; the factorisation takes 6.2 s).
struct Equalities {
    /// `(p_i, c_i)`.
    pivots: Vec<(usize, f64)>,
    /// Every link `(a, i, t_i[a])`, in increasing order of the coordinate `a`.
    links: Vec<(usize, usize, f64)>,
    /// For each coordinate: `Some((i, t_i[a]))` when it is a link of equality `i`.
    link_of: Vec<Option<(usize, f64)>>,
}

impl Equalities {
    fn new(cons: &Constraints, nsv: usize) -> Result<Self> {
        let n = cons.problem.t.n();
        let mut acc = vec![0.0; nsv];
        let mut touched = Vec::new();
        let mut row = Vec::new();
        let mut pivots = Vec::with_capacity(n);
        let mut link_of = vec![None; nsv];
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            let p = sv(i, i);
            let c = row.iter().find(|&&(a, _)| a == p).map(|&(_, v)| v).unwrap_or(0.0);
            if !(c.abs() > 0.0) {
                return Err(Error::Backend { backend: "dnn ipm", message: format!("equality {i} has no pivot coefficient") });
            }
            for &(a, v) in row.iter().filter(|&&(a, _)| a != p) {
                if link_of[a].is_some() || a < n * (n + 1) / 2 {
                    return Err(Error::Backend { backend: "dnn ipm", message: format!("coordinate {a} of equality {i} is not in the au block or is shared") });
                }
                link_of[a] = Some((i, -v / c));
            }
            pivots.push((p, c));
        }
        let links = link_of.iter().enumerate().filter_map(|(a, l)| l.map(|(i, t)| (a, i, t))).collect();
        Ok(Self { pivots, links, link_of })
    }

    /// Replaces the normal matrix `M` (lower triangle of the column-major buffer `buf`, order
    /// `nsv`) by `P' M P` on the free coordinates and the identity on the pivots; returns the
    /// pivot columns of `M` before the change. Every entry `(r, c)` with a link among `r, c`
    /// changes: `M'[r,c] = M[r,c] + t_c M[r,p(c)] + t_r M[p(r),c] + t_r t_c M[p(r),p(c)]`.
    fn eliminate<T: NormalEntry>(&self, buf: &mut [T], nsv: usize) -> DMatrix<f64> {
        let at = |buf: &[T], r: usize, c: usize| -> f64 {
            let (r, c) = if r >= c { (r, c) } else { (c, r) };
            buf[c * nsv + r].to_f64()
        };
        let n = self.pivots.len();
        let mut cols = DMatrix::zeros(nsv, n);
        for (i, &(p, _)) in self.pivots.iter().enumerate() {
            for r in 0..nsv {
                cols[(r, i)] = at(buf, r, p);
            }
        }
        for c in 0..nsv {
            let col = &mut buf[c * nsv..(c + 1) * nsv];
            match self.link_of[c] {
                Some((ic, tc)) => {
                    // Column c is a link: every row r >= c changes.
                    let pc = &cols.column(ic);
                    for r in c..nsv {
                        let mut v = col[r].to_f64() + tc * pc[r];
                        if let Some((ir, tr)) = self.link_of[r] {
                            let pr = self.pivots[ir].0;
                            v += tr * cols[(c, ir)] + tr * tc * pc[pr];
                        }
                        col[r] = T::of(v);
                    }
                }
                None => {
                    let first = self.links.partition_point(|&(r, _, _)| r < c);
                    for &(r, ir, tr) in &self.links[first..] {
                        col[r] = T::of(col[r].to_f64() + tr * cols[(c, ir)]);
                    }
                }
            }
        }
        for &(p, _) in &self.pivots {
            for r in 0..nsv {
                let (rr, cc) = if r >= p { (r, p) } else { (p, r) };
                buf[cc * nsv + rr] = T::of(if r == p { 1.0 } else { 0.0 });
            }
        }
        cols
    }

    /// Solves `M x - h' dy = b`, `h x = e` with `factor`, the factor of the matrix that
    /// [`Equalities::eliminate`] made of `M`, and the pivot columns of `M` it returned.
    fn solve(&self, factor: &Factor, cols: &DMatrix<f64>, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let nsv = b.len();
        let x0: Vec<f64> = self.pivots.iter().zip(e).map(|(&(_, c), &v)| v / c).collect();
        // r = P' (b - M x0), zero on the pivots.
        let mut r = b.to_vec();
        for (i, &v) in x0.iter().enumerate() {
            if v != 0.0 {
                for (ra, ca) in r.iter_mut().zip(cols.column(i).iter()) {
                    *ra -= v * ca;
                }
            }
        }
        for &(a, i, t) in &self.links {
            r[a] += t * r[self.pivots[i].0];
        }
        for &(p, _) in &self.pivots {
            r[p] = 0.0;
        }
        let mut u = DMatrix::from_vec(nsv, 1, r);
        factor.solve(nsv, &mut u)?;
        let mut x: Vec<f64> = u.data.into();
        let mut linked = vec![-0.0; self.pivots.len()];
        for &(a, i, t) in &self.links {
            linked[i] += t * x[a];
        }
        for (i, &(p, _)) in self.pivots.iter().enumerate() {
            x[p] = x0[i] + linked[i];
        }
        let xv = nalgebra::DVectorView::from_slice(&x, nsv);
        let dy: Vec<f64> = self.pivots.iter().enumerate().map(|(i, &(p, c))| (cols.column(i).dot(&xv) - b[p]) / c).collect();
        Ok((x, dy))
    }
}

/// Solves the relaxation by the interior-point method. The warm start of the ADMM does not
/// apply (an interior-point method starts from an interior point); the returned `state` is one
/// the ADMM can continue from.
///
/// Zero rows and groups of equal rows of `X` are solved out first ([`super::reduce`]): the
/// method runs on the reduced program (which has strictly feasible points where the original has
/// none) and the solution and multiplier are mapped back.
pub fn solve(problem: &DnnProblem, settings: &DnnSettings) -> Result<DnnSolution> {
    super::reduce::solve_on_reduced_rows(problem, |p| solve_interior(p, settings))
}

fn solve_interior(problem: &DnnProblem, settings: &DnnSettings) -> Result<DnnSolution> {
    settings.validate()?;
    let start = Instant::now();
    let mem = memory_estimate(problem)?;
    if mem > settings.memory_limit_bytes {
        return Err(Error::TooLarge(format!(
            "the dnn interior-point method needs about {:.2} GB for q = {} (n = {}), above the limit of {:.2} GB; \
             the ADMM (method admm) needs about {:.2} GB",
            mem as f64 / 1e9,
            problem.t.q(),
            problem.t.n(),
            settings.memory_limit_bytes as f64 / 1e9,
            problem.memory_estimate()? as f64 / 1e9
        )));
    }
    let t = &problem.t;
    let (n, q) = (t.n(), t.q());
    let nsv = q * (q + 1) / 2;
    let cons = Constraints::new(problem);
    let eq = Equalities::new(&cons, nsv)?;
    let mut buffer = NormalBuffer::None;
    let m = cons.m();
    let nu = (q + m) as f64;

    // Starting point (infeasible): S = diag(d_a I, I, I), Z = diag(I / d_a, I, I) with
    // d_a = ||X||_2 (the a block of a lifted network is about ||X||^2 times the u block; the
    // ADMM scales by the same d_a), s = 1, y = 0, and every z equal to z0 = ||I_q||_F / ||g'1||_F,
    // which balances the two parts of the dual residual (the multiplier term g'z then has the
    // norm of Z = I). With z = 1 instead, g'z dominates by a factor of about sqrt(m) and the
    // first 10-20 iterations only repair the dual residual.
    let z0 = start_multiplier(&cons, q)?;
    let d_a = super::admm::default_scale_a(problem)?;
    let mut s0 = DMatrix::identity(q, q);
    let mut zz0 = DMatrix::identity(q, q);
    for i in 0..n {
        s0[(i, i)] = d_a;
        zz0[(i, i)] = 1.0 / d_a;
    }
    let mut pt = Point { s: s0, zm: zz0, slack: vec![1.0; m], z: vec![z0; m], y: vec![0.0; n] };
    let mut history: Vec<(f64, f64)> = Vec::new();
    let mut best: Option<(Point, Measures)> = None;
    let mut status;
    let mut iterations = 0u32;
    // The first iteration's duration is predicted from the factorisation's flop count; later
    // ones from the previous iteration.
    let mut last_iter_seconds = predicted_iteration_seconds(problem);
    let mut stalls = 0;
    let mut precision = if settings.ipm_single_precision_from.is_some_and(|k| nsv >= k) { Precision::Single } else { Precision::Double };
    let mut single_iterations = 0u32;

    loop {
        let lambda = t.forward(&pt.s)?;
        let gv = cons.g_of(&lambda);
        let hv = cons.h_of(&lambda);
        let p_g: Vec<f64> = gv.iter().zip(&pt.slack).map(|(a, b)| a - b).collect();
        let grad = gradient(problem, &pt.s);
        let r_d = &grad - cons.adjoint(&pt.z, &pt.y)? - &pt.zm;
        let pobj = problem.objective(&pt.s);
        let comp = inner(&pt.s, &pt.zm) + dot(&pt.slack, &pt.z);
        let mu = comp / nu;
        let now = Measures {
            primal: (dot(&p_g, &p_g) + dot(&hv, &hv)).sqrt() / (1.0 + norm(&gv)),
            dual: r_d.norm() / (1.0 + grad.norm()),
            gap: comp / (1.0 + pobj.abs()),
        };
        let elapsed = start.elapsed().as_secs_f64();
        if settings.verbose || (!settings.quiet && elapsed > 3.0) {
            eprintln!(
                "dnn-ipm: iter {iterations:>3}  pobj {pobj:.10e}  primal {:.2e}  dual {:.2e}  gap {:.2e}  mu {mu:.2e}  {elapsed:.1} s",
                now.primal, now.dual, now.gap
            );
        }
        if !now.worst().is_finite() {
            status = Status::NumericalError;
            break;
        }
        if best.as_ref().map_or(true, |(_, b)| now.worst() <= b.worst()) {
            best = Some((pt.clone(), now));
        }
        if now.worst() <= settings.tolerance {
            status = Status::Solved;
            break;
        }
        if iterations >= settings.max_iterations {
            status = Status::IterationLimit;
            break;
        }
        history.push((now.worst(), mu));
        if no_progress(&history) {
            status = Status::NumericalError;
            break;
        }
        if let Some(limit) = settings.time_limit_seconds {
            if elapsed + last_iter_seconds > limit {
                status = Status::TimeLimit;
                break;
            }
        }
        let it_start = Instant::now();
        iterations += 1;

        let Some(nt) = nt_scaling(&pt.s, &pt.zm) else {
            status = Status::NumericalError;
            break;
        };
        let dvec: Vec<f64> = pt.z.iter().zip(&pt.slack).map(|(a, b)| a / b).collect();
        let t_factor = Instant::now();
        let rc_aff = -&pt.s;
        let rcs_aff: Vec<f64> = pt.slack.iter().zip(&pt.z).map(|(a, b)| -a * b).collect();
        // Factor the normal matrix (in single precision while the refined predictor reaches
        // SINGLE_PRECISION_RESIDUAL, in double precision from the first time it does not), then
        // the predictor (affine scaling) direction.
        let mut factored = None;
        while factored.is_none() {
            let Some(normal) = factor_normal(&cons, &eq, &nt.w_inv, &dvec, nsv, precision, &mut buffer)? else {
                if precision == Precision::Single {
                    precision = Precision::Double;
                    continue;
                }
                break;
            };
            let factor_only = t_factor.elapsed().as_secs_f64();
            let ctx = Context { problem, cons: &cons, eq: &eq, nt: &nt, dvec: &dvec, normal: &normal, r_d: &r_d, p_g: &p_g, hv: &hv, slack: &pt.slack, z: &pt.z };
            let t_solve = Instant::now();
            let aff = ctx.direction(&rc_aff, &rcs_aff, Accuracy::Working, None)?;
            if precision == Precision::Single {
                if !(aff.residual <= SINGLE_PRECISION_RESIDUAL) {
                    precision = Precision::Double;
                    continue;
                }
                // Keep single precision while its extra refinement steps cost less than the
                // factorisation time it saves (a double factorisation takes about twice as long).
                // The count of four directions per iteration (predictor, corrector, one or two
                // centrality correctors) is a rough figure: up to six are solved, the trials
                // only to TRIAL_RESIDUAL.
                let per_step = t_solve.elapsed().as_secs_f64() / (aff.refinements + 1) as f64;
                if (aff.refinements.saturating_sub(REFINEMENT_STEPS_DOUBLE_TYPICAL)) as f64 * 4.0 * per_step > factor_only {
                    precision = Precision::Double;
                }
                // The GMRES steps grow from one iteration to the next (full iris: 2, 2, 2, 3, 4, 5,
                // 8, 10, 17, then more than 20); past half the cap, the next predictor would likely
                // miss SINGLE_PRECISION_RESIDUAL and its single-precision factorisation be wasted.
                if aff.refinements > GMRES_MAX_STEPS / 2 {
                    precision = Precision::Double;
                }
            }
            factored = Some((normal, aff));
        }
        let Some((normal, aff)) = factored else {
            status = Status::NumericalError;
            break;
        };
        if normal.factor.precision() == Precision::Single {
            single_iterations += 1;
        }
        let factor_seconds = t_factor.elapsed().as_secs_f64();
        let ctx = Context { problem, cons: &cons, eq: &eq, nt: &nt, dvec: &dvec, normal: &normal, r_d: &r_d, p_g: &p_g, hv: &hv, slack: &pt.slack, z: &pt.z };
        let a_aff = step_length(&pt, &aff)?.min(1.0);
        let mu_aff = (inner(&(&pt.s + &aff.ds_mat * a_aff), &(&pt.zm + &aff.dz_mat * a_aff))
            + (0..m).map(|k| (pt.slack[k] + a_aff * aff.dslack[k]) * (pt.z[k] + a_aff * aff.dz[k])).sum::<f64>())
            / nu;
        let sigma = (mu_aff.max(0.0) / mu).powi(3).clamp(0.0, 1.0);

        // Corrector: centring plus Mehrotra's second-order term, in the scaled frame where the
        // scaled point is diag(lambda): solve lambda o X = sigma mu I - lambda^2 - dS~ o dZ~.
        let ds_t = &nt.g_inv * &aff.ds_mat * nt.g_inv.transpose();
        let dz_t = nt.g.transpose() * &aff.dz_mat * &nt.g;
        let prod = &ds_t * &dz_t;
        let mut rhs = DMatrix::zeros(q, q);
        for j in 0..q {
            for i in 0..q {
                let mut v = -0.5 * (prod[(i, j)] + prod[(j, i)]);
                if i == j {
                    v += sigma * mu - nt.lambda[i] * nt.lambda[i];
                }
                rhs[(i, j)] = v;
            }
        }
        let mut rcs: Vec<f64> = (0..m).map(|k| sigma * mu - pt.slack[k] * pt.z[k] - aff.dslack[k] * aff.dz[k]).collect();
        let mut rc = nt.complementarity_rhs(&rhs);
        let mut dir = ctx.direction(&rc, &rcs, Accuracy::Trial, None)?;
        let mut alpha = (STEP_TO_BOUNDARY * step_length(&pt, &dir)?).min(1.0);
        // Gondzio's centrality correctors: aim a longer step at a point whose complementarity
        // products lie in [0.1, 10] sigma mu; keep the correction while it lengthens the step.
        // Each is a trial direction: refined only to TRIAL_RESIDUAL (on a double-precision
        // factor usually one solve with the factors already computed, O(N^2) against O(N^3)).
        for _ in 0..CENTRALITY_CORRECTORS {
            if alpha >= 1.0 {
                break;
            }
            let target = (alpha + 0.2).min(1.0);
            let (lo, hi) = (0.1 * sigma * mu, 10.0 * sigma * mu);
            let mut rhs2 = rhs.clone();
            let s_t = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(&nt.lambda)) + (&nt.g_inv * &dir.ds_mat * nt.g_inv.transpose()) * target;
            let z_t = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(&nt.lambda)) + (nt.g.transpose() * &dir.dz_mat * &nt.g) * target;
            let mut v = &s_t * &z_t;
            symmetrize(&mut v);
            let e = sym_eigen(&v, EigenRange::All)?;
            let shifts: Vec<f64> = e.values.iter().map(|&l| l.clamp(lo, hi) - l).map(|c| c.max(-hi)).collect();
            rhs2 += crate::linalg::congruence_diag(&e.vectors, &shifts)?;
            let rcs2: Vec<f64> = (0..m)
                .map(|k| {
                    let v = (pt.slack[k] + target * dir.dslack[k]) * (pt.z[k] + target * dir.dz[k]);
                    rcs[k] + (v.clamp(lo, hi) - v).max(-hi)
                })
                .collect();
            let rc2 = nt.complementarity_rhs(&rhs2);
            let dir2 = ctx.direction(&rc2, &rcs2, Accuracy::Trial, None)?;
            let alpha2 = (STEP_TO_BOUNDARY * step_length(&pt, &dir2)?).min(1.0);
            if alpha2 < alpha + 0.1 * (target - alpha) {
                break;
            }
            dir = dir2;
            alpha = alpha2;
            rhs = rhs2;
            rc = rc2;
            rcs = rcs2;
        }
        // The direction taken, refined to working accuracy (the trials were refined only to
        // TRIAL_RESIDUAL).
        let dir = ctx.direction(&rc, &rcs, Accuracy::Working, Some(dir))?;
        let alpha = (STEP_TO_BOUNDARY * step_length(&pt, &dir)?).min(1.0);
        if normal.factor.precision() == Precision::Single && !(dir.residual <= SINGLE_PRECISION_RESIDUAL) {
            precision = Precision::Double;
        }
        if settings.verbose {
            eprintln!(
                "dnn-ipm:   sigma {sigma:.2e}  step {alpha:.3}  regularisation {:.1e}  {:?} precision, solve residual {:.1e} after {} + {} refinement or GMRES steps  {:.2} s ({factor_seconds:.2} s forming, factoring and the predictor)",
                normal.reg,
                normal.factor.precision(),
                dir.residual,
                aff.refinements,
                dir.refinements,
                it_start.elapsed().as_secs_f64()
            );
        }
        let short = if now.worst() <= END_GAME * settings.tolerance { SHORT_STEP } else { MIN_STEP };
        if alpha > short {
            stalls = 0;
        } else {
            stalls += 1;
            if stalls >= STALLS_TO_STOP {
                status = Status::NumericalError;
                break;
            }
        }
        pt.step(&dir, alpha);
        buffer = normal.into_buffer();
        last_iter_seconds = it_start.elapsed().as_secs_f64();
    }
    if settings.verbose {
        eprintln!("dnn-ipm: {single_iterations} of {iterations} iterations factored in single precision");
    }
    // On a failure (a stall, a factorisation that fails), return the best iterate seen (in the
    // worst of the three measures); its status is `inaccurate` when that is within 1e3 times the
    // tolerance. A time or iteration limit returns the last iterate: the iterates were still
    // progressing, and the best by the worst measure is often the starting point (full iris
    // stopped after 6 iterations: certified bound -29889 from the start, -1109 from the last).
    let (pt, measures) = match (status, best) {
        (Status::Solved | Status::TimeLimit | Status::IterationLimit, _) | (_, None) => {
            let m = residuals(problem, &cons, &pt)?;
            (pt, m)
        }
        (st, Some((b, bm))) => {
            if st == Status::NumericalError && bm.worst() <= 1e3 * settings.tolerance {
                status = Status::Inaccurate;
            }
            (b, bm)
        }
    };
    let Point { s: s_mat, zm: z_mat, z, y, .. } = pt;
    let (pres, dres, gap) = (measures.primal, measures.dual, measures.gap);

    // The multiplier of the lifted constraints, in the certificate's convention.
    let (d, c) = (t.d(), t.c());
    let mut zl = cons.lifted_multiplier(&z, &y);
    let lv = 2 * n + d;
    for k in 0..c {
        for i in 0..n {
            let v = 0.5 * (s_mat[(i, n + d + k)] - problem.y[(i, k)]);
            zl[(i, lv + k)] = v;
            zl[(lv + k, i)] = v;
        }
    }
    let primal_objective = problem.objective(&s_mat);
    let dual_objective = super::admm::dual_objective(problem, &zl);
    // A state the ADMM can continue from (kappa = 1, no scaling of the a block).
    let mut l = t.forward(&s_mat)?;
    for j in 0..t.p() {
        for i in 0..t.p() {
            let u = |r: usize| r >= 2 * n && r < 2 * n + d;
            if u(i) || u(j) {
                l[(i, j)] = 0.0;
            }
        }
    }
    let state = DnnState { s: s_mat.clone(), p: s_mat.clone(), l, lambda1: -z_mat, lambda2: zl.clone(), rho: 1.0, kappa: 1.0, scale_a: 1.0 };
    Ok(DnnSolution {
        method: super::DnnMethod::InteriorPoint,
        status,
        s: s_mat,
        z: zl,
        primal_objective,
        dual_objective,
        primal_residual: pres,
        dual_residual: dres,
        gap,
        iterations,
        single_precision_iterations: single_iterations,
        solve_seconds: start.elapsed().as_secs_f64(),
        state,
    })
}

/// The three relative measures of the stopping rule (module docs).
#[derive(Clone, Copy, Debug)]
struct Measures {
    primal: f64,
    dual: f64,
    gap: f64,
}

impl Measures {
    fn worst(&self) -> f64 {
        self.primal.max(self.dual).max(self.gap)
    }
}

/// An iterate: `S`, `Z`, the slacks and the multipliers of the inequalities and equalities.
#[derive(Clone, Debug)]
struct Point {
    s: DMatrix<f64>,
    zm: DMatrix<f64>,
    slack: Vec<f64>,
    z: Vec<f64>,
    y: Vec<f64>,
}

impl Point {
    fn step(&mut self, dir: &Direction, alpha: f64) {
        self.s += &dir.ds_mat * alpha;
        symmetrize(&mut self.s);
        self.zm += &dir.dz_mat * alpha;
        symmetrize(&mut self.zm);
        for (v, dv) in self.slack.iter_mut().zip(&dir.dslack) {
            *v += alpha * dv;
        }
        for (v, dv) in self.z.iter_mut().zip(&dir.dz) {
            *v += alpha * dv;
        }
        for (v, dv) in self.y.iter_mut().zip(&dir.dy) {
            *v += alpha * dv;
        }
    }
}

/// The measures at `pt`.
fn residuals(problem: &DnnProblem, cons: &Constraints, pt: &Point) -> Result<Measures> {
    let lambda = problem.t.forward(&pt.s)?;
    let gv = cons.g_of(&lambda);
    let hv = cons.h_of(&lambda);
    let p_g: Vec<f64> = gv.iter().zip(&pt.slack).map(|(a, b)| a - b).collect();
    let grad = gradient(problem, &pt.s);
    let r_d = &grad - cons.adjoint(&pt.z, &pt.y)? - &pt.zm;
    let comp = inner(&pt.s, &pt.zm) + dot(&pt.slack, &pt.z);
    Ok(Measures {
        primal: (dot(&p_g, &p_g) + dot(&hv, &hv)).sqrt() / (1.0 + norm(&gv)),
        dual: r_d.norm() / (1.0 + grad.norm()),
        gap: comp / (1.0 + problem.objective(&pt.s).abs()),
    })
}

/// Largest step in `[0, inf)` that keeps every cone variable of `pt + alpha dir` in its cone.
fn step_length(pt: &Point, dir: &Direction) -> Result<f64> {
    Ok(psd_step(&pt.s, &dir.ds_mat)?.min(psd_step(&pt.zm, &dir.dz_mat)?).min(nonneg_step(&pt.slack, &dir.dslack)).min(nonneg_step(&pt.z, &dir.dz)))
}

/// The precision in which the normal matrix is formed and factored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    /// `spotrf`: half the memory traffic and about half the time of `dpotrf` (measured 3.4 s
    /// against 6.5 s at order 12 561 on two cores); refinement in double precision recovers the
    /// accuracy while the matrix is well enough conditioned.
    Single,
    Double,
}

/// An entry type of the normal matrix buffer.
///
/// # Safety
/// Implemented only for `f32` and `f64`: [`zeroed_buffer`] relies on all-zero bytes being a
/// valid value (0.0).
unsafe trait NormalEntry: Copy + std::ops::AddAssign {
    fn of(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

// SAFETY: all-zero bytes are 0.0.
unsafe impl NormalEntry for f64 {
    #[inline]
    fn of(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

// SAFETY: all-zero bytes are 0.0.
unsafe impl NormalEntry for f32 {
    #[inline]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// How accurately a direction is solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accuracy {
    /// The predictor and the direction taken: stationary refinement until the residual stops
    /// halving (at most [`REFINEMENT_STEPS`]), or GMRES to [`GMRES_TOLERANCE`].
    Working,
    /// The corrector and the centrality correctors before one is taken: refined only to a
    /// relative residual of [`TRIAL_RESIDUAL`] (on a double-precision factor usually no step:
    /// each is a pair of triangular solves with the factor, which read all of it).
    Trial,
}

/// The Cholesky factor of the normal matrix, in the precision it was computed in.
enum Factor {
    Double(DMatrix<f64>),
    Single(Vec<f32>),
}

impl Factor {
    /// Solves `M X = B` in place (single precision: to single-precision accuracy).
    fn solve(&self, nsv: usize, b: &mut DMatrix<f64>) -> Result<()> {
        match self {
            Factor::Double(f) => cholesky_solve(f, b),
            Factor::Single(f) => cholesky_solve_f32(f, nsv, b),
        }
    }

    fn precision(&self) -> Precision {
        match self {
            Factor::Double(_) => Precision::Double,
            Factor::Single(_) => Precision::Single,
        }
    }
}

/// Writes the lower triangle of the normal matrix `M = Hf + W^(-1) (x)s W^(-1) + g' D g` into
/// the column-major buffer `buf` (order `nsv`; its old contents are irrelevant: the Kronecker
/// part assigns every entry of the lower triangle before `Hf` and `g' D g` are added to some,
/// and the upper triangle is never touched), on two threads: each writes one range of columns (column `b` of the lower triangle holds `nsv - b` entries, so the split at
/// `nsv (1 - 1/sqrt 2)` halves the work).
fn form_normal<T: NormalEntry + Send>(cons: &Constraints, w_inv: &DMatrix<f64>, dvec: &[f64], nsv: usize, buf: &mut [T]) {
    let split = ((nsv as f64 * (1.0 - std::f64::consts::FRAC_1_SQRT_2)) as usize).min(nsv);
    let (left, right) = buf.split_at_mut(split * nsv);
    std::thread::scope(|scope| {
        scope.spawn(|| form_columns(cons, w_inv, dvec, nsv, 0..split, left));
        form_columns(cons, w_inv, dvec, nsv, split..nsv, right);
    });
}

/// The columns `cols` of [`form_normal`]'s matrix, into `buf` (which holds exactly those columns).
fn form_columns<T: NormalEntry>(cons: &Constraints, w_inv: &DMatrix<f64>, dvec: &[f64], nsv: usize, cols: std::ops::Range<usize>, buf: &mut [T]) {
    let off = cols.start;
    let problem = cons.problem;
    let (n, d, q) = (problem.t.n(), problem.t.d(), problem.t.q());
    let mut acc = vec![0.0; nsv];
    let mut touched = Vec::new();
    let mut row = Vec::new();
    // Kronecker part, lower triangle: entry (a, b), a = (i, j) >= b = (k, l).
    for l in 0..q {
        for k in 0..=l {
            let b = sv(k, l);
            if !cols.contains(&b) {
                continue;
            }
            let sb = if k == l { 1.0 / SQRT2 } else { 1.0 };
            let col = &mut buf[(b - off) * nsv..(b - off + 1) * nsv];
            for j in l..q {
                let i0 = if j == l { k } else { 0 };
                let pjl = w_inv[(j, l)];
                let pjk = w_inv[(j, k)];
                for i in i0..=j {
                    let sa = if i == j { 1.0 / SQRT2 } else { 1.0 };
                    col[sv(i, j)] = T::of(2.0 * sa * sb * 0.5 * (w_inv[(i, k)] * pjl + w_inv[(i, l)] * pjk));
                }
            }
        }
    }
    // Hf: 1/2 on the av coordinates.
    for k in 0..problem.t.c() {
        for i in 0..n {
            let a = sv(i, n + d + k);
            if cols.contains(&a) {
                buf[(a - off) * nsv + a] += T::of(0.5);
            }
        }
    }
    // g' D g.
    for (e, &w) in cons.ineq.iter().zip(dvec) {
        cons.row(*e, &mut acc, &mut touched, &mut row);
        for (bi, &(b, vb)) in row.iter().enumerate() {
            if !cols.contains(&b) {
                continue;
            }
            let col = &mut buf[(b - off) * nsv..(b - off + 1) * nsv];
            let f = w * vb;
            for &(a, va) in &row[bi..] {
                col[a] += T::of(f * va);
            }
        }
    }
}

/// A zeroed buffer of `len` floats, or `Err(TooLarge)` when it cannot be allocated (instead of the
/// abort of `vec!`). Allocated zeroed, so its pages are mapped only when first touched: the upper
/// triangle of the normal matrix never is.
fn zeroed_buffer<T: NormalEntry>(len: usize) -> Result<Vec<T>> {
    let too_large = || Error::TooLarge(format!("cannot allocate the interior-point method's normal matrix ({len} entries of {} bytes)", std::mem::size_of::<T>()));
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| too_large())?;
    // SAFETY: `layout` has a non-zero size; `T` is f32 or f64, for which all-zero bytes are the
    // value 0.0, so the zeroed allocation holds `len` initialised values; the pointer comes from
    // the global allocator with exactly this layout, as `Vec::from_raw_parts` requires.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(too_large());
        }
        Ok(Vec::from_raw_parts(ptr, len, len))
    }
}

/// Forms the normal matrix `M` in `buffer` (allocated when it holds none of the right
/// precision), eliminates the equalities ([`Equalities`]) and factors it.
/// `Ok(None)` when `M` is not positive definite even after regularisation (in single precision:
/// when `spotrf` fails; the caller then moves to double precision).
fn factor_normal(cons: &Constraints, eq: &Equalities, w_inv: &DMatrix<f64>, dvec: &[f64], nsv: usize, precision: Precision, buffer: &mut NormalBuffer) -> Result<Option<Normal>> {
    let len = nsv.checked_mul(nsv).ok_or_else(|| Error::TooLarge(format!("a normal matrix of order {nsv}")))?;
    let attempts = if precision == Precision::Single { 1 } else { 4 };
    for attempt in 0..attempts {
        // Regularisation relative to each diagonal entry (the entries span many orders of
        // magnitude near the end); refinement against the unregularised M removes its effect.
        let reg = if attempt == 0 { 0.0 } else { 1e-14 * 100f64.powi(attempt - 1) };
        let (factor, pivot_columns) = match precision {
            Precision::Double => {
                let mut mm = match std::mem::replace(buffer, NormalBuffer::None) {
                    NormalBuffer::Double(v) if v.len() == len => v,
                    _ => zeroed_buffer::<f64>(len)?,
                };
                form_normal(cons, w_inv, dvec, nsv, &mut mm);
                for a in 0..nsv {
                    mm[a * nsv + a] *= 1.0 + reg;
                }
                let cols = eq.eliminate(&mut mm, nsv);
                let mut mm = DMatrix::from_vec(nsv, nsv, mm);
                if !cholesky_in_place(&mut mm)? {
                    *buffer = NormalBuffer::Double(mm.data.into());
                    continue;
                }
                (Factor::Double(mm), cols)
            }
            Precision::Single => {
                let mut mm = match std::mem::replace(buffer, NormalBuffer::None) {
                    NormalBuffer::Single(v) if v.len() == len => v,
                    _ => zeroed_buffer::<f32>(len)?,
                };
                form_normal(cons, w_inv, dvec, nsv, &mut mm);
                let cols = eq.eliminate(&mut mm, nsv);
                if !cholesky_in_place_f32(&mut mm, nsv)? {
                    *buffer = NormalBuffer::Single(mm);
                    continue;
                }
                (Factor::Single(mm), cols)
            }
        };
        return Ok(Some(Normal { factor, pivot_columns, reg }));
    }
    Ok(None)
}

/// What a direction solve needs from the current iterate.
struct Context<'a> {
    problem: &'a DnnProblem,
    cons: &'a Constraints<'a>,
    eq: &'a Equalities,
    nt: &'a NtScaling,
    dvec: &'a [f64],
    normal: &'a Normal,
    r_d: &'a DMatrix<f64>,
    p_g: &'a [f64],
    hv: &'a [f64],
    slack: &'a [f64],
    z: &'a [f64],
}

impl Context<'_> {
    /// `M dS` applied through the congruence (for iterative refinement).
    fn apply_m(&self, ds: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let lam = self.problem.t.forward(ds)?;
        let gd: Vec<f64> = self.cons.g_of(&lam).iter().zip(self.dvec).map(|(a, b)| a * b).collect();
        let mut out = hess_f(self.problem, ds) + &self.nt.w_inv * ds * &self.nt.w_inv;
        out += self.cons.adjoint(&gd, &vec![0.0; self.problem.t.n()])?;
        Ok(out)
    }

    /// Solves `M dS - h' dy = b`, `h dS = e` with the factors (plus `reg` on the diagonal of
    /// `M`), through the elimination of the equalities ([`Equalities`]).
    fn solve_kkt(&self, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        self.eq.solve(&self.normal.factor, &self.normal.pivot_columns, b, e)
    }

    /// `K (x, dy) = (M x - h' dy, h x)`, with `M` applied through the congruence (the
    /// unregularised matrix).
    fn apply_kkt(&self, x: &[f64], dy: &[f64]) -> Result<(DMatrix<f64>, Vec<f64>)> {
        let xm = smat(x, self.problem.t.q());
        let top = self.apply_m(&xm)? - self.cons.adjoint(&vec![0.0; self.slack.len()], dy)?;
        let lam = self.problem.t.forward(&xm)?;
        Ok((top, self.cons.h_of(&lam)))
    }

    /// The residual `(b - (M x - h' dy), e - h x)` of the KKT system.
    fn kkt_residual(&self, bm: &DMatrix<f64>, e: &[f64], x: &[f64], dy: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let (top, hx) = self.apply_kkt(x, dy)?;
        Ok((svec(&(bm - top)), e.iter().zip(&hx).map(|(a, b)| a - b).collect()))
    }

    /// Iterative refinement with `M` applied through the congruence: the residual of the
    /// unregularised system (so refinement also removes the effect of `reg`), until it stops
    /// shrinking by half. Returns the solution, its relative residual and the steps taken.
    fn refine_stationary(&self, bm: &DMatrix<f64>, b: &[f64], e: &[f64], start: Option<(Vec<f64>, Vec<f64>)>, good_enough: f64) -> Result<(Vec<f64>, Vec<f64>, f64, usize)> {
        let (mut x, mut dy) = match start {
            Some(s) => s,
            None => self.solve_kkt(b, e)?,
        };
        let bnorm = norm(b) + norm(e);
        let mut last = f64::INFINITY;
        let mut residual = 0.0;
        let mut refinements = 0;
        for step in 0..=REFINEMENT_STEPS {
            let (r1, r2) = self.kkt_residual(bm, e, &x, &dy)?;
            let rnorm = norm(&r1) + norm(&r2);
            residual = if bnorm > 0.0 { rnorm / bnorm } else { rnorm };
            if step == REFINEMENT_STEPS || !(rnorm < 0.5 * last) || rnorm <= good_enough.max(1e-15) * bnorm {
                break;
            }
            last = rnorm;
            refinements += 1;
            let (cx, cy) = self.solve_kkt(&r1, &r2)?;
            for (a, b) in x.iter_mut().zip(&cx) {
                *a += b;
            }
            for (a, b) in dy.iter_mut().zip(&cy) {
                *a += b;
            }
        }
        Ok((x, dy, residual, refinements))
    }

    /// GMRES on the KKT system, right-preconditioned by the (single-precision) factored solve.
    /// The factor's error is concentrated on the ill-conditioned directions, which a Krylov
    /// method removes in fewer steps than stationary refinement (full iris: single precision
    /// lasted 14 iterations with GMRES, 11 with refinement, before the step counts made it
    /// cost more than it saved).
    /// Starts from `start` (a trial direction being finished) or from the factored solve, and
    /// stops at the relative residual `tolerance` ([`GMRES_TOLERANCE`] for a direction taken,
    /// [`TRIAL_RESIDUAL`] for a trial), after [`GMRES_MAX_STEPS`] steps, or when a step cuts
    /// the residual by less than 10%.
    fn refine_gmres(&self, bm: &DMatrix<f64>, b: &[f64], e: &[f64], start: Option<(Vec<f64>, Vec<f64>)>, tolerance: f64) -> Result<(Vec<f64>, Vec<f64>, f64, usize)> {
        let nsv = b.len();
        let stack = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().chain(y).copied().collect() };
        let (x0, y0) = match start {
            Some(s) => s,
            None => self.solve_kkt(b, e)?,
        };
        let bnorm = norm(b) + norm(e);
        let relative = |r1: &[f64], r2: &[f64]| {
            let r = norm(r1) + norm(r2);
            if bnorm > 0.0 { r / bnorm } else { r }
        };
        let (r1, r2) = self.kkt_residual(bm, e, &x0, &y0)?;
        let r0 = stack(&r1, &r2);
        let beta = norm(&r0);
        let target = tolerance * norm(&stack(b, e));
        if !(beta > target) {
            return Ok((x0, y0, relative(&r1, &r2), 0));
        }
        let max = GMRES_MAX_STEPS;
        let mut basis: Vec<Vec<f64>> = vec![r0.iter().map(|v| v / beta).collect()];
        let mut preconditioned: Vec<Vec<f64>> = Vec::with_capacity(max);
        // Hessenberg columns, reduced to upper triangular by Givens rotations as they come.
        let mut hess: Vec<Vec<f64>> = Vec::with_capacity(max);
        let (mut cs, mut sn): (Vec<f64>, Vec<f64>) = (Vec::with_capacity(max), Vec::with_capacity(max));
        let mut g = vec![beta];
        let mut k = 0;
        while k < max {
            let (zx, zy) = self.solve_kkt(&basis[k][..nsv], &basis[k][nsv..])?;
            let (top, hz) = self.apply_kkt(&zx, &zy)?;
            let mut w = stack(&svec(&top), &hz);
            preconditioned.push(stack(&zx, &zy));
            let mut col = vec![0.0; k + 2];
            for (i, v) in basis.iter().enumerate() {
                let hij = dot(&w, v);
                col[i] = hij;
                for (a, b) in w.iter_mut().zip(v) {
                    *a -= hij * b;
                }
            }
            let hn = norm(&w);
            col[k + 1] = hn;
            for i in 0..k {
                let t = cs[i] * col[i] + sn[i] * col[i + 1];
                col[i + 1] = -sn[i] * col[i] + cs[i] * col[i + 1];
                col[i] = t;
            }
            let r = col[k].hypot(col[k + 1]);
            if !(r > 0.0) {
                break;
            }
            cs.push(col[k] / r);
            sn.push(col[k + 1] / r);
            col[k] = r;
            col[k + 1] = 0.0;
            hess.push(col);
            let gk = g[k];
            g[k] = cs[k] * gk;
            g.push(-sn[k] * gk);
            k += 1;
            let (res, prev) = (g[k].abs(), g[k - 1].hypot(g[k]));
            if res <= target || !(hn > 0.0) || res > 0.9 * prev {
                break;
            }
            basis.push(w.iter().map(|v| v / hn).collect());
        }
        // Back substitution: upper triangular k x k.
        let mut coef = vec![0.0; k];
        for i in (0..k).rev() {
            let mut v = g[i];
            for j in i + 1..k {
                v -= hess[j][i] * coef[j];
            }
            coef[i] = v / hess[i][i];
        }
        let mut x = x0;
        let mut dy = y0;
        for (c, z) in coef.iter().zip(&preconditioned) {
            for (a, b) in x.iter_mut().zip(&z[..nsv]) {
                *a += c * b;
            }
            for (a, b) in dy.iter_mut().zip(&z[nsv..]) {
                *a += c * b;
            }
        }
        let (r1, r2) = self.kkt_residual(bm, e, &x, &dy)?;
        Ok((x, dy, relative(&r1, &r2), k))
    }

    /// The normal-equation system of a direction: `M dS - h' dy = b` (`b` also as a matrix)
    /// and `h dS = e`.
    fn system(&self, rc: &DMatrix<f64>, rcs: &[f64]) -> Result<(DMatrix<f64>, Vec<f64>, Vec<f64>)> {
        let n = self.problem.t.n();
        let winv = &self.nt.w_inv;
        // b = W^-1 R_c W^-1 - r_d + g'((r_c - z o p_g) / s)
        let w: Vec<f64> = (0..self.slack.len()).map(|k| (rcs[k] - self.z[k] * self.p_g[k]) / self.slack[k]).collect();
        let bm = winv * rc * winv - self.r_d + self.cons.adjoint(&w, &vec![0.0; n])?;
        let b = svec(&bm);
        let e: Vec<f64> = self.hv.iter().map(|v| -v).collect();
        Ok((bm, b, e))
    }

    /// The direction for the complementarity right-hand sides `rc` (PSD pair) and `rcs` (sign
    /// constraints), solved to `accuracy` by stationary refinement on a double-precision factor
    /// or GMRES on a single-precision one, starting from the factored solve or from `from`, a
    /// trial direction for the same right-hand sides being finished (the step count returned
    /// then includes the trial's own).
    fn direction(&self, rc: &DMatrix<f64>, rcs: &[f64], accuracy: Accuracy, from: Option<Direction>) -> Result<Direction> {
        let (bm, b, e) = self.system(rc, rcs)?;
        let earlier = from.as_ref().map_or(0, |d| d.refinements);
        let start = from.map(|d| (svec(&d.ds_mat), d.dy));
        let (x, dy, residual, refinements) = match (self.normal.factor.precision(), accuracy) {
            (Precision::Double, Accuracy::Working) => self.refine_stationary(&bm, &b, &e, start, 0.0)?,
            (Precision::Double, Accuracy::Trial) => self.refine_stationary(&bm, &b, &e, start, TRIAL_RESIDUAL)?,
            (Precision::Single, Accuracy::Working) => self.refine_gmres(&bm, &b, &e, start, GMRES_TOLERANCE)?,
            (Precision::Single, Accuracy::Trial) => self.refine_gmres(&bm, &b, &e, start, TRIAL_RESIDUAL)?,
        };
        self.assemble(x, dy, rcs, residual, earlier + refinements)
    }

    /// The whole direction from the solution `(dS, dy)` of the normal equations.
    fn assemble(&self, x: Vec<f64>, dy: Vec<f64>, rcs: &[f64], residual: f64, refinements: usize) -> Result<Direction> {
        let q = self.problem.t.q();
        let ds_mat = smat(&x, q);
        let lam = self.problem.t.forward(&ds_mat)?;
        let dslack: Vec<f64> = self.cons.g_of(&lam).iter().zip(self.p_g).map(|(a, b)| a + b).collect();
        let dz: Vec<f64> = (0..self.slack.len()).map(|k| (rcs[k] - self.z[k] * dslack[k]) / self.slack[k]).collect();
        // dZ from the dual equation (not from the complementarity), so that the dual residual
        // shrinks exactly by the step: dZ = r_d + Hf dS - g'dz - h'dy.
        let mut dz_mat = self.r_d + hess_f(self.problem, &ds_mat) - self.cons.adjoint(&dz, &dy)?;
        symmetrize(&mut dz_mat);
        Ok(Direction { ds_mat, dy, dslack, dz, dz_mat, residual, refinements })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svec_round_trip_and_inner_product() {
        let q = 5;
        let a = DMatrix::from_fn(q, q, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0 + if i == j { 3.0 } else { 0.0 });
        let a = (&a + a.transpose()) * 0.5;
        let b = DMatrix::from_fn(q, q, |i, j| (i + j) as f64 * 0.3 - 1.0);
        let b = (&b + b.transpose()) * 0.5;
        let back = smat(&svec(&a), q);
        assert!((&back - &a).norm() < 1e-14);
        assert!((dot(&svec(&a), &svec(&b)) - inner(&a, &b)).abs() < 1e-12);
    }

    /// The elimination of the equalities solves the same KKT system as a dense LU of
    /// `[[M, -h'], [h, 0]]`, in double and (to single-precision accuracy) in single precision.
    #[test]
    fn eliminated_equalities_solve_the_kkt_system() {
        let (n, d, c) = (5, 3, 2);
        let x = DMatrix::from_fn(n, d, |i, j| if (i, j) == (2, 1) { 0.0 } else { ((i * 5 + j * 3) % 7) as f64 * 0.4 - 1.1 });
        let problem = DnnProblem { t: crate::dnn::congruence::Congruence::new(x, c), y: DMatrix::zeros(n, c), beta: 0.1 };
        let q = problem.t.q();
        let nsv = q * (q + 1) / 2;
        let cons = Constraints::new(&problem);
        let eq = Equalities::new(&cons, nsv).unwrap();
        let a = DMatrix::from_fn(nsv, nsv, |i, j| (((i * 31 + j * 17) % 23) as f64 - 11.0) / 11.0);
        let m = &a * a.transpose() + DMatrix::identity(nsv, nsv) * 0.5;
        let mut h = DMatrix::zeros(n, nsv);
        let (mut acc, mut touched, mut row) = (vec![0.0; nsv], Vec::new(), Vec::new());
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            for &(k, v) in &row {
                h[(i, k)] = v;
            }
        }
        let b: Vec<f64> = (0..nsv).map(|k| ((k * 13) % 9) as f64 - 4.0).collect();
        let e: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 - 1.0).collect();
        let mut kkt = DMatrix::zeros(nsv + n, nsv + n);
        kkt.view_mut((0, 0), (nsv, nsv)).copy_from(&m);
        kkt.view_mut((0, nsv), (nsv, n)).copy_from(&(-h.transpose()));
        kkt.view_mut((nsv, 0), (n, nsv)).copy_from(&h);
        let rhs = nalgebra::DVector::from_iterator(nsv + n, b.iter().chain(&e).copied());
        let want = kkt.lu().solve(&rhs).unwrap();
        let scale = want.amax();

        let mut buf: Vec<f64> = m.as_slice().to_vec();
        let cols = eq.eliminate(&mut buf, nsv);
        let mut f = DMatrix::from_vec(nsv, nsv, buf);
        assert!(cholesky_in_place(&mut f).unwrap());
        let (xs, dy) = eq.solve(&Factor::Double(f), &cols, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, xs.iter().chain(&dy).copied());
        assert!((&got - &want).amax() <= 1e-9 * scale, "double: {:.3e}", (&got - &want).amax());

        let mut buf32: Vec<f32> = m.as_slice().iter().map(|&v| v as f32).collect();
        let cols32 = eq.eliminate(&mut buf32, nsv);
        assert!(cholesky_in_place_f32(&mut buf32, nsv).unwrap());
        let (xs, dy) = eq.solve(&Factor::Single(buf32), &cols32, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, xs.iter().chain(&dy).copied());
        assert!((&got - &want).amax() <= 1e-3 * scale, "single: {:.3e}", (&got - &want).amax());
    }
}
