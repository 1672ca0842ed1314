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
//! kept while it lengthens the step; none where the directions come from GMRES with the inexact
//! low-rank preconditioner, whose every direction costs as much as its factorisation).
//! The other components follow: `ds = g dS + p_g`,
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
//! - a corrector direction misses 1e-11.
//!
//! The first rule wastes the single-precision factorisation of the iteration it redoes (full
//! iris: 3.5 s of an 11.2 s iteration). Moving to double precision as soon as a predictor takes
//! more than half of the GMRES cap was measured and removed: it saved that on full iris, but on
//! the ionosphere training half it left single precision at iteration 12 instead of 21, where
//! single-precision iterations with 11-20 GMRES steps still took 28-30 s against 42-44 s in
//! double precision (120 s lost by iteration 20).
//!
//! The returned point, its residuals and the certificate are computed as before, in double
//! precision; [`DnnSolution::single_precision_iterations`] says how many iterations used the
//! single-precision factor.
//!
//! # Without the normal matrix: preconditioned GMRES
//!
//! When `N` is at least [`DnnSettings::ipm_preconditioned_from`] (default 2500, `q >= 70`; it
//! takes precedence over single precision), the first iterations never form `M`. Each direction
//! is solved by GMRES on the KKT system (`M` applied through the congruence, as above),
//! right-preconditioned by
//!
//! ```text
//!     P = W^(-1) (x)s W^(-1) + sum_{k kept} w_k a_k a_k'
//! ```
//!
//! with the equalities `h` exact: the Kronecker part is inverted exactly (`H -> W H W`), and of
//! the rank-one terms of `Hf + g' D g` it keeps the [`DnnSettings::ipm_preconditioner_terms`]
//! (default `m / 25` within `[200, 4000]`, [`preconditioner_terms`]) of largest leverage `w_k a_k' (W (x)s W) a_k`, added back by the
//! Sherman-Morrison-Woodbury identity through a dense capacitance matrix of order `terms + n`
//! (`preconditioner` module: every entry is a product of two entries of `T W T'`). A direction
//! taken is solved to `1e-4` times the iterate's worst measure (at most 1e-6) while that
//! measure is above 1e-3, and to 1e-13 after: an inexact solve perturbs only the linearised
//! complementarity, since `dZ` and the slacks' step come from the dual and primal equations
//! (`direction::working_residual`, with the measurements). An iteration
//! then costs a few dozen products of order `q` instead of an `N^3 / 3` factorisation.
//!
//! Why so few terms suffice: the terms left out raise the preconditioned spectrum by at most the
//! sum of their leverages, and in practice much less. Measured on a dumped iterate of the iris
//! training half (`q = 83`, 11 100 inequalities; generalised eigenvalues of `(M, P)` by a dense
//! Python check, not shipped): with no term kept the spectrum reached 7.6e8 at `mu = 5.8e-6`;
//! with the 300 of largest leverage, 17.7; with 1 000, 2.1 (and 2.3 at `mu = 7.5e-9`).
//!
//! Near the end GMRES on the normal equations stops converging: the weights `w_k = z_k / s_k`
//! of the active inequalities grow like `1 / mu` (up to 1e15), and applying `M` multiplies the
//! rounding error of `a_k' dS` by them, so the residual GMRES computes is no more accurate than
//! that. The first time the predictor (or the direction taken) misses a relative residual of
//! 1e-9, the iteration is redone on the **augmented system** ([`DnnSettings::ipm_augmented`]):
//! the kept inequalities of leverage at least [`AUGMENTED_LEVERAGE`] (the active ones) become
//! rows of their own, with `y_k = -dz_k` as unknowns,
//!
//! ```text
//!     (Hf + K + sum_{k not in A} w_k a_k a_k') dS + sum_{k in A} a_k y_k - h' dy = b_I
//!     h dS = e,      a_k' dS - y_k / w_k = ((r_c)_k - z_k (p_g)_k) / z_k      (k in A)
//! ```
//!
//! (`b_I` is `b` without the terms of `A`), which is the same system with `y_k` eliminated, but
//! whose product never multiplies by a large weight (`1 / w_k` is small). The preconditioner is
//! the same capacitance matrix: an augmented term's unknown there is `y_k` itself, and its
//! right-hand side gains `-r_k` as an equality's gains `-e_i`. From then on the preconditioner
//! keeps every term of leverage at least [`AUGMENTED_LEVERAGE`] (up to [`AUGMENTED_KEEP_FACTOR`]
//! times its usual count, as the memory limit allows), so that the active set is inside it, and
//! `dz_k = -y_k` comes from the solve rather than from `w_k` times a small difference.
//! Measured with the probe (two cores, one run each, the same session): the iris training half
//! (tolerance 4e-7) `solved` in 20 iterations, none factored, 1.45-1.64 s against 1.87-1.95 s
//! with three factored; full iris (1e-6) `solved` in 23.6 s, none factored, against 46.0 s with
//! five factored; the ionosphere training half (1e-6) `solved` in 32.4 s and 487 MB, none
//! factored, against 75 s and 2.2 GB (the previous session's benchmark). Only if GMRES misses
//! its accuracy on the augmented system too does the method form and factor `M` in double
//! precision (that iteration is redone). If `M` does not fit in memory, the method stops there
//! instead and returns its best iterate (status by its measures, the certificate as always).
//! Measured (probe and benchmark, two cores): full iris (`q = 158`) at tolerance 1e-5 `solved`
//! in 37-45 s (24 of 28 iterations without a factorisation; 166 s before), at 1e-6 in 43-71 s
//! with a certified gap of 3.9e-6 to 5.6e-6 (187 s before; the spread is the end game, where the
//! factored iterations stall at a gap measure of 1.8e-6 in some runs and not in others); the ionosphere training half (`q = 212`) `solved`
//! in 98 s (18 minutes before); the iris training half within the noise (4.3-4.6 s against
//! 4.5-4.8 s, `q = 83`, where a factorisation takes 0.1-0.2 s). On the banknote training half
//! (`q = 693`, 940 000 inequalities, no room for `M`) an iteration took 22-170 s, the GMRES
//! steps growing with `1 / mu`: 10 iterations in 560 s, far behind the semismooth Newton method.
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
//!
//! # Layout
//!
//! This module holds the iteration (starting point, predictor, correctors, step, stopping) and
//! its resource estimates; the pieces it calls each have their own module:
//! `constraints` (`g`, `h` and their sparse rows in `svec` coordinates, the objective's
//! derivatives), `scaling` (Nesterov-Todd), `normal` (forming and factoring `M`, in single or
//! double precision), `preconditioner` (the low-rank preconditioner that replaces it in the
//! first iterations), `equalities` (their elimination) and `direction` (one direction:
//! the KKT solve with its refinement or GMRES).

mod constraints;
mod direction;
mod equalities;
mod normal;
mod preconditioner;
mod scaling;
pub mod working_set;

use super::{DnnProblem, DnnSettings, DnnSolution, DnnState};
use crate::backend::Status;
use crate::error::{Error, Result};
use crate::linalg::{matmul, sym_eigen, symmetrize, EigenRange, Op};
use constraints::{dot, gradient, inner, norm, Constraints};
use direction::{Accuracy, Context, Direction};
use equalities::Equalities;
use nalgebra::DMatrix;
use normal::{factor_normal, untouched_pages_stay_unmapped, Factor, NormalBuffer, Precision};
use scaling::nt_scaling;
use preconditioner::CapacitancePrecision;
pub use preconditioner::DEFAULT_SINGLE_CAPACITANCE_FROM;
use std::time::Instant;

/// Refinement steps a double-precision factor typically needs (measured 2 on every iteration of
/// the iris training half); single precision is kept while its extra steps cost less than it saves.
const REFINEMENT_STEPS_DOUBLE_TYPICAL: usize = 2;

/// A single-precision factor is kept while the refined predictor direction reaches this
/// relative residual; above it the method factors in double precision from then on.
const SINGLE_PRECISION_RESIDUAL: f64 = 1e-11;

/// Without a factor of `M`, the preconditioned GMRES is kept while the predictor reaches this
/// relative residual, or the looser one the iteration asks for (`direction::working_residual`;
/// a double-precision factor with refinement reaches 1e-11 to 1e-10 in the last iterations on
/// full iris); above it the method factors `M` in double precision from then on (the iteration
/// is redone).
const PRECONDITIONED_RESIDUAL: f64 = 1e-9;

/// The leverage `w_k a_k' (W (x)s W) a_k` from which a kept inequality is put in augmented form,
/// and from which, once the method uses the augmented system, every term is kept in the
/// preconditioner (module docs). A term of leverage above 1 dominates the Kronecker part in its
/// own direction. (On the iris training half, the augmented set was the same 775 inequalities
/// with 1e-3 as with 1.)
pub const AUGMENTED_LEVERAGE: f64 = 1.0;

/// Once the method uses the augmented system, the preconditioner keeps at most this many times
/// [`DnnSettings::ipm_preconditioner_terms`] (module docs), fewer if the memory limit requires.
pub const AUGMENTED_KEEP_FACTOR: usize = 4;

/// In a working-set round, the method falls back to factoring the normal matrix where GMRES
/// stops reaching its accuracy only while one factored iteration is predicted
/// ([`predicted_iteration_seconds`]) to cost at most this many of the last iteration (about a
/// round and a half: a round takes 15-22 iterations); otherwise the round stops there with its
/// best iterate (`inaccurate` when within 1e3 times the tolerance) and the loop goes on.
/// Measured with the probe (`METHOD=ipm-working-set`, tolerance 1e-6): on the ionosphere
/// training half (q = 212, predicted 64 s against 0.6-0.7 s) a round's factored iteration took
/// 40 s, and with the fallback refused the loop ends after 15 rounds in 50.8 s, certified within
/// 4.6e-6; on full iris (q = 158, predicted 10.6 s against 0.8-0.95 s) refusing it ended the
/// last rounds `inaccurate` and the loop at a certified gap of 1.3e-5 in 67.7 s, where factoring
/// ends it `solved` within 2e-7 in 124 s; on iris-half a factorisation costs about five
/// preconditioned iterations.
const FACTORED_FALLBACK_RATIO: f64 = 30.0;

/// GMRES steps a predictor typically needs when the low-rank preconditioner keeps every term and
/// its capacitance matrix is factored in double precision (measured 0-3 on the banknote
/// training half's working set, first rounds); the steps beyond these are counted as what a
/// single-precision capacitance factor costs. Late in a round a double-precision factor may need
/// more as well, so the rule may move to double precision early: the cost of that error is at
/// most the difference between the two factorisations.
const EXACT_PRECONDITIONER_TYPICAL_STEPS: usize = 3;

/// The default of [`DnnSettings::ipm_preconditioned_from`]: the same threshold as single
/// precision. Measured with the probe: the iris training half (q = 83) 3.30 s against 4.49 s
/// direct (17 of 19 iterations preconditioned), full iris (q = 158) at tolerance 1e-5 45.6 s
/// against 166 s (24 of 28).
pub const DEFAULT_PRECONDITIONED_FROM: usize = 2500;

/// The number of terms the preconditioner keeps when [`DnnSettings::ipm_preconditioner_terms`]
/// is `None`: `m / 25` for `m` inequalities, within `[200, 4000]`. Measured with the probe
/// (seconds to `solved`, two cores):
///
/// | terms | iris-half, `m = 11 100`, 1e-6 | full iris, `m = 44 700`, 1e-5 | ionosphere-half, `m = 60 900`, 1e-6 |
/// |---:|---:|---:|---:|
/// | 200 | 6.8-7.8 | | |
/// | 300 | 4.8-4.9 | | |
/// | 500 | 2.8-3.2 | 92.9 (21 of 27 iterations preconditioned) | |
/// | 1000 | 3.3 | 47.3 (25 of 28) | 185 (28 of 31) |
/// | 2000 | 4.3-5.5 | 49.3 (24 of 28) | 111 (31 of 32) |
///
/// Too few terms and GMRES fails earlier, leaving more iterations to the factorisation; too many
/// and each step pays for a larger capacitance matrix.
pub fn preconditioner_terms(problem: &DnnProblem, settings: &DnnSettings) -> usize {
    settings.ipm_preconditioner_terms.unwrap_or_else(|| {
        let n = problem.t.n();
        (2 * n * n.saturating_sub(1) / 25).clamp(200, 4000)
    })
}

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
/// solve with the factors already computed ([`direction::TRIAL_RESIDUAL`]). Measured with the probe: 2 -> 4
/// (with the trials) took full iris from 35 iterations and a stall at a gap measure of 1.9e-6
/// (293 s) to 28 iterations and `solved` (230 s), iris-half 21 -> 19; 6 gained nothing more.
const CENTRALITY_CORRECTORS: usize = 4;

/// How many centrality correctors an iteration may try: none when its directions come from
/// GMRES with the low-rank preconditioner (neither the working set's exact one nor the augmented
/// system), [`CENTRALITY_CORRECTORS`] otherwise.
///
/// A corrector costs one more direction and saves part of an iteration. Where a matrix is
/// factored (the normal matrix, the augmented system, the working set's exact Schur complement)
/// a direction is a few triangular solves or GMRES steps and the factorisation dominates, so
/// correctors pay. With the low-rank preconditioner the "factorisation" is a small capacitance
/// matrix and every direction a GMRES run of 5-25 steps that costs as much as it or more (0.003 s
/// against 0.005-0.015 s per trial on iris-half, 0.05-0.1 s against 0.03-0.15 s on full iris).
/// Measured with `solve --backend dnn --dnn-method ipm` (two runs each; docs/dnn.md has the
/// table): iris-half 1.66-1.79 s and 20 iterations before, 0.99-1.21 s and 26 iterations with
/// this rule; full iris 16.0-22.2 s and 28 iterations before, 15.7-16.9 s and 39 iterations.
/// A rule by measured times (one corrector per trial direction's time within the
/// factorisation's) was tried first: it made runs differ where the two times are close, and
/// full iris then ended anywhere between 18 and 35 s.
fn centrality_corrector_limit(precision: Precision, exact_preconditioner: bool, augmented: bool) -> usize {
    if precision == Precision::Preconditioned && !exact_preconditioner && !augmented {
        0
    } else {
        CENTRALITY_CORRECTORS
    }
}

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
/// equations have lost the accuracy the next digits need; the best iterate is returned). The
/// window starts again when the method moves to the augmented system, whose directions are
/// the remedy for that loss.
const PROGRESS_WINDOW: usize = 3;

const PROGRESS_FACTOR: f64 = 0.9;

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
        // The capacitance matrix of the low-rank preconditioner (at most 4000 terms by default).
        .and_then(|a| a.checked_add(4000u64.checked_add(n)?.checked_pow(2)?))
        .ok_or_else(too_large)?;
    words.checked_mul(8).ok_or_else(too_large)
}

/// A conservative prediction of the seconds one iteration takes: the factorisation's
/// `N^3 / 3` flops at [`PREDICTED_FLOPS_PER_SECOND`].
pub fn predicted_iteration_seconds(problem: &DnnProblem) -> f64 {
    let q = problem.t.q() as f64;
    predicted_cholesky_seconds(q * (q + 1.0) / 2.0)
}

/// Seconds a Cholesky factorisation of a dense matrix of this order is predicted to take:
/// `order^3 / 3` flops at [`PREDICTED_FLOPS_PER_SECOND`].
pub fn predicted_cholesky_seconds(order: f64) -> f64 {
    order.powi(3) / 3.0 / PREDICTED_FLOPS_PER_SECOND
}

/// A conservative prediction of the seconds a whole solve takes, which [`super::DnnMethod::Auto`]
/// compares with the time limit: [`TYPICAL_ITERATIONS`] iterations, each factoring `M`, or, with
/// the preconditioner ([`DnnSettings::ipm_preconditioned_from`]), [`TYPICAL_ITERATIONS`]
/// preconditioned iterations plus [`DIRECT_TAIL_ITERATIONS`] factored ones.
pub fn predicted_seconds(problem: &DnnProblem, settings: &DnnSettings) -> f64 {
    let preconditioned = starts_preconditioned(problem, settings);
    if preconditioned && settings.ipm_augmented {
        // With the augmented system no factored tail was needed on any instance measured
        // (module docs): 40 preconditioned iterations, 1.1-1.2 times the measured time on full
        // iris and the sonar data (q = 271).
        TYPICAL_ITERATIONS * predicted_preconditioned_iteration_seconds(problem)
    } else if preconditioned {
        TYPICAL_ITERATIONS * predicted_preconditioned_iteration_seconds(problem) + DIRECT_TAIL_ITERATIONS * predicted_iteration_seconds(problem)
    } else {
        TYPICAL_ITERATIONS * predicted_iteration_seconds(problem)
    }
}

/// Factored iterations after the preconditioner stops converging, in [`predicted_seconds`]:
/// measured 4 on full iris at tolerance 1e-5, 8 at 1e-6 (four of them a stall), 1 on the
/// ionosphere training half. The prediction is then 86 s on full iris (measured 43-71 s at 1e-6)
/// and 430 s on the ionosphere training half (measured 98 s).
pub const DIRECT_TAIL_ITERATIONS: f64 = 6.0;

/// A prediction of the seconds one iteration takes without a normal matrix:
/// [`PRECONDITIONED_STEPS_PER_ITERATION`] GMRES steps of `12 q^3` flops (the products with `W`
/// and `W^(-1)`) plus `40 m` (the constraint loops) at a third of
/// [`PREDICTED_FLOPS_PER_SECOND`].
pub fn predicted_preconditioned_iteration_seconds(problem: &DnnProblem) -> f64 {
    let (n, q) = (problem.t.n() as f64, problem.t.q() as f64);
    let m = 2.0 * n * (n - 1.0).max(0.0);
    PRECONDITIONED_STEPS_PER_ITERATION * (12.0 * q.powi(3) + 40.0 * m) / (PREDICTED_FLOPS_PER_SECOND / 3.0)
}

/// GMRES steps per iteration assumed by [`predicted_preconditioned_iteration_seconds`] (measured
/// 40-90 over the four to six directions of an iteration on full iris while the preconditioner
/// holds; the rest of an iteration, the scaling and the correctors' eigendecompositions, counts
/// as the remainder).
pub const PRECONDITIONED_STEPS_PER_ITERATION: f64 = 200.0;

/// Number of bytes the interior-point method holds when it never forms the normal matrix: the
/// two GMRES bases of `N + n` entries per step, the capacitance matrix of the preconditioner
/// (`terms + n` squared, in double precision: it is formed in the buffer that is factored, and a
/// single-precision factor is dropped before a double-precision one is formed), `O(m)` vectors per constraint (slacks, multipliers, weights,
/// leverages, directions) and `O(p^2)` matrices. `Err(TooLarge)` when the count overflows.
pub fn preconditioned_memory_estimate(problem: &DnnProblem, terms: usize) -> Result<u64> {
    let n = problem.t.n() as u64;
    let m = n.checked_mul(n.saturating_sub(1)).and_then(|v| v.checked_mul(2)).ok_or_else(|| Error::TooLarge(format!("a relaxation with n = {n} rows")))?;
    preconditioned_memory_estimate_for(problem, terms, m)
}

/// Whether the interior-point method starts on the low-rank preconditioner, without forming the
/// normal matrix: its order `N = q (q + 1) / 2` is at least
/// [`DnnSettings::ipm_preconditioned_from`].
pub fn starts_preconditioned(problem: &DnnProblem, settings: &DnnSettings) -> bool {
    let q = problem.t.q();
    settings.ipm_preconditioned_from.is_some_and(|k| q * (q + 1) / 2 >= k)
}

/// Whether the interior-point method fits `settings.memory_limit_bytes`: with its normal matrix
/// ([`memory_estimate`]), or, where its first iterations run without it, on the preconditioner
/// alone, with room for the augmented system's larger capacitance matrix
/// ([`AUGMENTED_KEEP_FACTOR`] times the terms) when [`DnnSettings::ipm_augmented`] is on. In the
/// second case a solve that needs the normal matrix stops instead, with its best iterate.
pub fn fits_in_memory(problem: &DnnProblem, settings: &DnnSettings) -> bool {
    if memory_estimate(problem).is_ok_and(|m| m <= settings.memory_limit_bytes) {
        return true;
    }
    let preconditioned = starts_preconditioned(problem, settings);
    let factor = if settings.ipm_augmented { AUGMENTED_KEEP_FACTOR } else { 1 };
    preconditioned && preconditioned_memory_estimate(problem, preconditioner_terms(problem, settings).saturating_mul(factor)).is_ok_and(|m| m <= settings.memory_limit_bytes)
}

/// [`preconditioned_memory_estimate`] with `m` inequalities (a working set).
pub(super) fn preconditioned_memory_estimate_for(problem: &DnnProblem, terms: usize, m: u64) -> Result<u64> {
    let (n, q, p) = (problem.t.n() as u64, problem.t.q() as u64, problem.t.p() as u64);
    let too_large = || Error::TooLarge(format!("the relaxation of order q = {q} is too large for the interior-point method to count"));
    let nsv = q.checked_mul(q + 1).map(|v| v / 2).ok_or_else(too_large)?;
    let vectors = 2 * (direction::GMRES_MAX_STEPS_PRECONDITIONED as u64 + 2);
    let words = vectors
        .checked_mul(nsv + n)
        // the capacitance matrix, formed in place of its factor
        .and_then(|a| a.checked_add((terms as u64).checked_add(n)?.checked_pow(2)?))
        .and_then(|a| a.checked_add(m.checked_mul(24)?))
        .and_then(|a| a.checked_add(p.checked_mul(p)?.checked_mul(12)?))
        .and_then(|a| a.checked_add(q.checked_mul(q)?.checked_mul(40)?))
        .ok_or_else(too_large)?;
    words.checked_mul(8).ok_or_else(too_large)
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
/// `X = L L'`: `-1 / lambda_min(L^(-1) dX L^(-T))` (LAPACK and BLAS on both cores; the smallest
/// eigenvalue alone).
fn psd_step(x: &DMatrix<f64>, dx: &DMatrix<f64>) -> Result<f64> {
    let Some(l) = crate::linalg::cholesky_factor(x)? else { return Ok(0.0) };
    let mut m = dx.clone();
    crate::linalg::triangular_solve(&l, &mut m, true, false)?;
    crate::linalg::triangular_solve(&l, &mut m, false, true)?;
    symmetrize(&mut m);
    let lo = crate::linalg::min_eigenvalue(&m)?;
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
    solve_interior_on(problem, settings, None)
}

/// The interior-point method on the inequalities `ineq` only (all of them when `None`): the
/// rounds of [`working_set`]. Its multiplier, zero on the inequalities left out, is a multiplier
/// of the whole program.
fn solve_interior_on(problem: &DnnProblem, settings: &DnnSettings, ineq: Option<Vec<constraints::Entry>>) -> Result<DnnSolution> {
    settings.validate()?;
    let start = Instant::now();
    let subset = ineq.is_some();
    let cons = match ineq {
        Some(e) => Constraints::with_inequalities(problem, e),
        None => Constraints::new(problem),
    };
    // The normal matrix is formed only if it fits; without it the method runs on the
    // preconditioned GMRES alone and stops where that no longer reaches its accuracy.
    let preconditioned = starts_preconditioned(problem, settings);
    let mem = memory_estimate(problem)?;
    let can_factor = mem <= settings.memory_limit_bytes;
    let mem_preconditioned = if subset {
        preconditioned_memory_estimate_for(problem, preconditioner_terms(problem, settings), cons.m() as u64)?
    } else {
        preconditioned_memory_estimate(problem, preconditioner_terms(problem, settings))?
    };
    if !can_factor && !(preconditioned && mem_preconditioned <= settings.memory_limit_bytes) {
        return Err(Error::TooLarge(format!(
            "the dnn interior-point method needs about {:.2} GB for q = {} (n = {}) ({:.2} GB without its normal matrix), above the limit of {:.2} GB; \
             --dnn-method auto picks {} here; the first-order methods (ssnal, admm) need about {:.2} GB",
            mem as f64 / 1e9,
            problem.t.q(),
            problem.t.n(),
            mem_preconditioned as f64 / 1e9,
            settings.memory_limit_bytes as f64 / 1e9,
            super::DnnMethod::Auto.resolve(problem, settings).name(),
            problem.memory_estimate()? as f64 / 1e9
        )));
    }
    let t = &problem.t;
    let (n, q) = (t.n(), t.q());
    let nsv = q * (q + 1) / 2;
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
    let mut last_iter_seconds = if preconditioned { predicted_preconditioned_iteration_seconds(problem) } else { predicted_iteration_seconds(problem) };
    let mut stalls = 0;
    let mut precision = if settings.ipm_single_precision_from.is_some_and(|k| nsv >= k) { Precision::Single } else { Precision::Double };
    if preconditioned {
        precision = Precision::Preconditioned;
    }
    let mut preconditioned_iterations = 0u32;
    let mut single_capacitance_iterations = 0u32;
    let terms = preconditioner_terms(problem, settings);
    // The capacitance matrix in single precision when the preconditioner keeps every term (the
    // working set's rounds: it is then the exact Schur complement, and its factorisation is most
    // of an iteration) and is large; double precision from the first iteration where GMRES does
    // not reach the working residual on it, or where its extra steps cost more than it saves.
    let every_term = terms >= cons.m().saturating_add(n.saturating_mul(t.c()));
    let mut capacitance = if every_term && settings.ipm_single_capacitance_from.is_some_and(|k| terms.min(cons.m().saturating_add(n.saturating_mul(t.c()))).saturating_add(n) >= k) {
        CapacitancePrecision::Single
    } else {
        CapacitancePrecision::Double
    };
    let mut single_iterations = 0u32;
    // The augmented system (module docs): off until GMRES on the normal equations misses its
    // accuracy. It then keeps every term of leverage at least AUGMENTED_LEVERAGE, up to
    // AUGMENTED_KEEP_FACTOR times the usual count, as many as the memory limit allows.
    let mut augmented = false;
    let augmented_keep = (1..=AUGMENTED_KEEP_FACTOR)
        .rev()
        .map(|f| terms.saturating_mul(f))
        .find(|&k| preconditioned_memory_estimate_for(problem, k, m as u64).is_ok_and(|b| b <= settings.memory_limit_bytes))
        .unwrap_or(terms);

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
            if settings.verbose {
                eprintln!("dnn-ipm:   neither the worst measure nor mu fell by {:.0}% over {PROGRESS_WINDOW} iterations: stopping", 100.0 * (1.0 - PROGRESS_FACTOR));
            }
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
        let working = direction::working_residual(precision, now.worst());
        // The residual GMRES without a factor of M must reach for that mode to be kept.
        let gmres_target = PRECONDITIONED_RESIDUAL.max(working);
        // Where GMRES with the preconditioner no longer reaches its accuracy, the method factors
        // M, but in a working-set round only if one factored iteration costs at most
        // FACTORED_FALLBACK_RATIO preconditioned ones (otherwise the round stops with its best
        // iterate).
        let factoring_pays = can_factor && (!subset || predicted_iteration_seconds(problem) <= FACTORED_FALLBACK_RATIO * last_iter_seconds);

        let Some(nt) = nt_scaling(&pt.s, &pt.zm) else {
            if settings.verbose {
                eprintln!("dnn-ipm:   the scaling failed (S or Z not numerically positive definite): stopping");
            }
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
            let Some(normal) = factor_normal(&cons, &eq, &nt, &dvec, nsv, precision, (terms, capacitance, augmented.then_some((AUGMENTED_LEVERAGE, augmented_keep))), &mut buffer)? else {
                if precision == Precision::Preconditioned && capacitance == CapacitancePrecision::Single {
                    if settings.verbose {
                        eprintln!("dnn-ipm:   the capacitance matrix is not positive definite in single precision: double precision from here");
                    }
                    capacitance = CapacitancePrecision::Double;
                    continue;
                }
                if precision == Precision::Preconditioned && !can_factor {
                    if settings.verbose {
                        eprintln!("dnn-ipm:   the capacitance matrix is not positive definite even regularised, and the normal matrix does not fit: stopping");
                    }
                    break;
                }
                if precision != Precision::Double {
                    precision = Precision::Double;
                    continue;
                }
                break;
            };
            let factor_only = t_factor.elapsed().as_secs_f64();
            let aug = match (&normal.factor, augmented) {
                (Factor::LowRank(pc), true) => Some(pc.augmented_set(AUGMENTED_LEVERAGE)),
                _ => None,
            };
            let ctx = Context { problem, cons: &cons, eq: &eq, nt: &nt, dvec: &dvec, normal: &normal, r_d: &r_d, p_g: &p_g, hv: &hv, slack: &pt.slack, z: &pt.z, aug: aug.as_ref(), working };
            let t_solve = Instant::now();
            let aff = ctx.direction(&rc_aff, &rcs_aff, Accuracy::Working, None)?;
            if let Some((CapacitancePrecision::Single, cap_seconds)) = normal.factor.capacitance() {
                // Keep single precision while GMRES reaches the working residual and its extra
                // steps cost less than the factorisation time saved (a double factorisation
                // takes about twice as long, so the time saved is about the single one's, timed
                // without forming the matrix; the four directions as for the normal matrix below).
                let per_step = t_solve.elapsed().as_secs_f64() / (aff.refinements + 1) as f64;
                let costly = (aff.refinements.saturating_sub(EXACT_PRECONDITIONER_TYPICAL_STEPS)) as f64 * 4.0 * per_step > cap_seconds;
                if settings.verbose {
                    eprintln!("dnn-ipm:   single-precision capacitance: {:.2} s to form and factor, predictor residual {:.1e} after {} GMRES steps of {per_step:.3} s", cap_seconds, aff.residual, aff.refinements);
                }
                if !(aff.residual <= gmres_target) || costly {
                    if settings.verbose {
                        eprintln!("dnn-ipm:   double-precision capacitance from here");
                    }
                    capacitance = CapacitancePrecision::Double;
                    if !(aff.residual <= gmres_target) {
                        continue;
                    }
                }
            }
            if precision == Precision::Preconditioned && !(aff.residual <= gmres_target) && !augmented && settings.ipm_augmented {
                if settings.verbose {
                    eprintln!("dnn-ipm:   GMRES with the low-rank preconditioner reached only {:.1e} after {} steps: augmented system from here", aff.residual, aff.refinements);
                }
                augmented = true;
                history.clear();
                continue;
            }
            if precision == Precision::Preconditioned && !(aff.residual <= gmres_target) {
                if settings.verbose {
                    let next = if factoring_pays {
                        "factored normal matrix (double precision) from here".to_string()
                    } else if can_factor {
                        format!("factoring the normal matrix would take about {:.1} s against {last_iter_seconds:.2} s per iteration: stopping", predicted_iteration_seconds(problem))
                    } else {
                        "the normal matrix does not fit: stopping".to_string()
                    };
                    eprintln!("dnn-ipm:   GMRES with the low-rank preconditioner reached only {:.1e} after {} steps: {next}", aff.residual, aff.refinements);
                }
                if !factoring_pays {
                    break;
                }
                precision = Precision::Double;
                continue;
            }
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
            }
            factored = Some((normal, aff, aug));
        }
        let Some((normal, aff, aug)) = factored else {
            status = Status::NumericalError;
            break;
        };
        match normal.factor.precision() {
            Precision::Single => single_iterations += 1,
            Precision::Preconditioned => {
                preconditioned_iterations += 1;
                if normal.factor.capacitance().is_some_and(|(p, _)| p == CapacitancePrecision::Single) {
                    single_capacitance_iterations += 1;
                }
            }
            Precision::Double => {}
        }
        let factor_seconds = t_factor.elapsed().as_secs_f64();
        if settings.verbose {
            if let Some(a) = &aug {
                eprintln!("dnn-ipm:   {} inequalities in augmented form", a.len());
            }
        }
        let ctx = Context { problem, cons: &cons, eq: &eq, nt: &nt, dvec: &dvec, normal: &normal, r_d: &r_d, p_g: &p_g, hv: &hv, slack: &pt.slack, z: &pt.z, aug: aug.as_ref(), working };
        let a_aff = step_length(&pt, &aff)?.min(1.0);
        let mu_aff = (inner(&(&pt.s + &aff.ds_mat * a_aff), &(&pt.zm + &aff.dz_mat * a_aff))
            + (0..m).map(|k| (pt.slack[k] + a_aff * aff.dslack[k]) * (pt.z[k] + a_aff * aff.dz[k])).sum::<f64>())
            / nu;
        let sigma = (mu_aff.max(0.0) / mu).powi(3).clamp(0.0, 1.0);

        // Corrector: centring plus Mehrotra's second-order term, in the scaled frame where the
        // scaled point is diag(lambda): solve lambda o X = sigma mu I - lambda^2 - dS~ o dZ~.
        let ds_t = nt.scale_primal(&aff.ds_mat)?;
        let dz_t = nt.scale_dual(&aff.dz_mat)?;
        let prod = matmul(&ds_t, Op::N, &dz_t, Op::N)?;
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
        // None with the inexact low-rank preconditioner (`centrality_corrector_limit`).
        let mut taken = 0;
        let max_correctors = centrality_corrector_limit(normal.factor.precision(), every_term, aug.is_some());
        for _ in 0..max_correctors {
            if alpha >= 1.0 {
                break;
            }
            let target = (alpha + 0.2).min(1.0);
            let (lo, hi) = (0.1 * sigma * mu, 10.0 * sigma * mu);
            let mut rhs2 = rhs.clone();
            let s_t = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(&nt.lambda)) + nt.scale_primal(&dir.ds_mat)? * target;
            let z_t = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(&nt.lambda)) + nt.scale_dual(&dir.dz_mat)? * target;
            let mut v = matmul(&s_t, Op::N, &z_t, Op::N)?;
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
            taken += 1;
            alpha = alpha2;
            rhs = rhs2;
            rc = rc2;
            rcs = rcs2;
        }
        // The direction taken, refined to working accuracy (the trials were refined only to
        // TRIAL_RESIDUAL).
        let dir = ctx.direction(&rc, &rcs, Accuracy::Working, Some(dir))?;
        let limits = step_limits(&pt, &dir)?;
        let alpha = (STEP_TO_BOUNDARY * limits.into_iter().fold(f64::INFINITY, f64::min)).min(1.0);
        if normal.factor.capacitance().is_some_and(|(p, _)| p == CapacitancePrecision::Single) && !(dir.residual <= gmres_target) {
            capacitance = CapacitancePrecision::Double;
        }
        if normal.factor.precision() == Precision::Preconditioned && !(dir.residual <= gmres_target) && !augmented && settings.ipm_augmented {
            if settings.verbose {
                eprintln!("dnn-ipm:   the direction reached only {:.1e}: augmented system from the next iteration", dir.residual);
            }
            augmented = true;
            history.clear();
        } else if (normal.factor.precision() == Precision::Single && !(dir.residual <= SINGLE_PRECISION_RESIDUAL)) || (normal.factor.precision() == Precision::Preconditioned && factoring_pays && !(dir.residual <= gmres_target)) {
            precision = Precision::Double;
        }
        if settings.verbose {
            // Which cone limits the step, how far the iterate is from the central path, and the
            // sign constraint whose slack limits the step (with the cosine of its two rows of `X`:
            // nearly parallel rows tie the constraints together, docs/dnn.md).
            let [ps, pz, pl, pm] = limits;
            let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
            for k in 0..m {
                let v = pt.slack[k] * pt.z[k] / mu;
                lo = lo.min(v);
                hi = hi.max(v);
            }
            let (mut llo, mut lhi) = (f64::INFINITY, 0.0f64);
            for l in &nt.lambda {
                llo = llo.min(l * l / mu);
                lhi = lhi.max(l * l / mu);
            }
            eprintln!("dnn-ipm:   step limits: S {ps:.3}  Z {pz:.3}  slacks {pl:.3}  multipliers {pm:.3};  s z / mu in [{lo:.1e}, {hi:.1e}], lambda^2 / mu in [{llo:.1e}, {lhi:.1e}]");
            let tightest = (0..m).filter(|&k| dir.dslack[k] < 0.0).min_by(|&a, &b| (-pt.slack[a] / dir.dslack[a]).total_cmp(&(-pt.slack[b] / dir.dslack[b])));
            if let Some(k) = tightest {
                let e = cons.ineq[k];
                let (i, j) = (e.r % n, e.s % n);
                let x = t.x();
                let (xi, xj) = (x.row(i), x.row(j));
                let cos = xi.dot(&xj) / (xi.norm() * xj.norm()).max(f64::MIN_POSITIVE);
                let block = |r: usize| if r < n { 'A' } else { 'B' };
                eprintln!(
                    "dnn-ipm:   tightest sign constraint: entry ({}{i}, {}{j}) (rows {i} and {j} of X after equal rows are merged, 1 - |cos| {:.1e}), slack {:.2e}, multiplier {:.2e}, relative steps {:.1e} and {:.1e}",
                    block(e.r),
                    block(e.s),
                    1.0 - cos.abs(),
                    pt.slack[k],
                    pt.z[k],
                    dir.dslack[k] / pt.slack[k],
                    dir.dz[k] / pt.z[k]
                );
            }
            eprintln!(
                "dnn-ipm:   sigma {sigma:.2e}  step {alpha:.3}  correctors {taken} of {max_correctors}  regularisation {:.1e}  linear solve {:?}, residual {:.1e} after {} + {} refinement or GMRES steps  {:.2} s ({factor_seconds:.2} s forming, factoring and the predictor)",
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
        eprintln!("dnn-ipm: {preconditioned_iterations} of {iterations} iterations preconditioned without a factorisation, {single_iterations} factored in single precision");
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
        preconditioned_iterations,
        single_capacitance_iterations,
        inequalities_dropped: 0,
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
    Ok(step_limits(pt, dir)?.into_iter().fold(f64::INFINITY, f64::min))
}

/// The largest step each cone allows along `dir`: `S`, `Z`, the slacks, the multipliers.
fn step_limits(pt: &Point, dir: &Direction) -> Result<[f64; 4]> {
    Ok([psd_step(&pt.s, &dir.ds_mat)?, psd_step(&pt.zm, &dir.dz_mat)?, nonneg_step(&pt.slack, &dir.dslack), nonneg_step(&pt.z, &dir.dz)])
}

#[cfg(test)]
mod tests {
    use super::{centrality_corrector_limit, Precision, CENTRALITY_CORRECTORS};

    /// No correctors with the inexact low-rank preconditioner; the full count with a factor,
    /// the working set's exact Schur complement or the augmented system.
    #[test]
    fn correctors_only_where_a_matrix_is_factored() {
        assert_eq!(centrality_corrector_limit(Precision::Preconditioned, false, false), 0);
        assert_eq!(centrality_corrector_limit(Precision::Preconditioned, true, false), CENTRALITY_CORRECTORS);
        assert_eq!(centrality_corrector_limit(Precision::Preconditioned, false, true), CENTRALITY_CORRECTORS);
        assert_eq!(centrality_corrector_limit(Precision::Double, false, false), CENTRALITY_CORRECTORS);
        assert_eq!(centrality_corrector_limit(Precision::Single, false, false), CENTRALITY_CORRECTORS);
    }
}
