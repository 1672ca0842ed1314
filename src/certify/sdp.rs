//! Certified lower bounds on the SDP relaxation (hence on the global optimum p*) from any
//! approximate dual, valid whatever the solver's accuracy or status.
//!
//! # From a conic solution (Clarabel, SCS; `sdp` and `sdp-full`)
//!
//! Both compiled forms ([`crate::formulation::sdp`]) have variables `x = (w, r)` with
//! `w = svec(W)` (`W = S` reduced, `W = Lambda` full), objective `f(x) = 1/2 ||r||^2 + q_w' w` and
//! constraints `A_o x + s_o = b_o` (zero and nonnegative cones, "other" rows) and `-w + s_P = 0`
//! (the PSD rows). Take the solver's `z_o = (z_0, z_+)` and *repair* it: `z_0` is free,
//! `z_+ <- max(z_+, 0)`; the PSD dual is discarded. For every feasible `x`,
//!
//! ```text
//!     f(x) >= f(x) + z_o'(A_o x - b_o) >= ell + <E, W>,
//!     ell = -1/2 ||g_r||^2 - b_o' z_o,   g_r = A_{o,r}' z_o,   E = smat(q_w + A_{o,w}' z_o)
//! ```
//!
//! (the `r` part minimised exactly: `P = I` on `r`). In the reduced form, when `X` has zero or
//! equal rows every feasible `S` is `P M P'` ([`crate::dnn::reduce`]), so `P' E P` is tested
//! instead of `E` (the pipeline solves such data on merged rows anyway,
//! [`crate::formulation::sdp_merged`]; this serves programs compiled on the raw rows).
//!
//! # From the `dnn` solver
//!
//! Its multiplier `Z` (order `p`, on `Lambda = T S T'`) is repaired the same way: zero outside
//! the `[AB]` and `AV` blocks, `Z <- min(Z, 0)` on the `[AB]` block except the diagonal of `AB`
//! (equality constraints, free). Then `h(L) >= <Z, L> - h*(Z)` (Fenchel-Young, `h` the loss plus
//! the indicator of the lifted constraints) gives
//!
//! ```text
//!     f(S) >= ell + <E, S>,   ell = <W, Y> - 1/2 ||W||^2,   W = -2 Z_AV,   E = C0 + T' Z T
//! ```
//!
//! with `C0 = beta/2 diag(0, I_U, I_V)`.
//!
//! # Refinement
//!
//! An approximate multiplier (a first-order method stopped early) leaves `E` with a few negative
//! eigenvalues, and the shift below pays for them at the price `UB`. Before certifying,
//! [`certify_dnn_with`] takes up to [`RefineSettings::max_steps`] supergradient steps on the
//! concave function `Z -> ell - mu(E(Z)) UB` over the `[AB]` block: with `(lambda_i, v_i)` the
//! negative eigenpairs of `E` and `u_i` the rows `A, B` of `T v_i`, the direction is
//! `G = sum_i |lambda_i| u_i u_i'` (so `T'GT` is PSD and `E` rises along every `v_i`). Each
//! candidate `Z + t G` is repaired like any multiplier (the sign constraint clips it), its shift
//! is verified by Cholesky, and a step is taken only when the certified value rises; so the
//! result is never below the unrefined bound and is a bound for the same reasons. `ell` depends
//! only on the `AV` block, which the refinement leaves alone.
//!
//! Conic duals ([`certify_with`]) are refined the same way over the rows that leave `ell`
//! unchanged (rows of the zero and nonnegative cones with `b_i = 0` and no coefficient on `r`):
//! the direction is `sum_i |lambda_i| A_w svec(v_i v_i')`, since `<E, V>` has gradient
//! `A_w svec(V)` in `z`.
//!
//! # The shift
//!
//! In both cases `ell - mu UB` is a lower bound when `E + mu J + nu N` is PSD for multipliers
//! `mu, nu >= 0` of two redundant constraints; [`super::shift`] finds the smallest verified `mu`.
//! `UB` is the smallest objective among the zero network (`1/2 ||Y||^2`), the incumbents given
//! (the rounded network) and the networks read off the primal solution
//! ([`crate::rounding::eigen`]). The final value is lowered by `1e-12 (1 + |value|)` for the
//! rounding of the inner products.
//!
//! `certified` is false (and the value must not be printed as a bound) when `z` has the wrong
//! length or non-finite entries, when any computed quantity is not finite, or when no shift
//! passes the Cholesky test.

use super::shift::{best_shift, gamma, Shift, ShiftBlocks};
use crate::backend::ConicSolution;
use crate::conic::{csc, dot, smat, svec, Cone, Triangle};
use crate::dnn::DnnProblem;
use crate::formulation::sdp::{CompiledSdp, SdpForm};
use crate::network::Network;
use crate::rounding::eigen::{eigen_networks, ridge_refit};
use crate::linalg::{sym_eigen, EigenRange};
use nalgebra::DMatrix;
use serde::Serialize;
use std::fmt;

/// The numbers that make up a [`CertifiedBound`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct BoundDetails {
    /// `ell`, the bound before the shift.
    pub lagrangian_value: f64,
    /// The shift `-mu UB` (<= 0).
    pub shift: f64,
    /// Multiplier of the penalty bound `beta/2 (tr W_UU + tr W_VV) <= UB`.
    pub mu: f64,
    /// Multiplier of the trace inequality `tr W_aa <= <X'X, W_UU>`.
    pub nu: f64,
    /// The diagonal margin of the Cholesky test.
    pub cholesky_margin: f64,
    /// The feasible objective `UB` used.
    pub upper_bound_used: f64,
    /// The most negative nonnegative-cone dual entry before clipping (0 if none).
    pub clipped_negative_dual: f64,
    /// The bound the single trace bound gives, `ell + min(0, lambda_min(E)) (1 + ||X||^2) 2 UB / beta`
    /// (the toolkit's earlier certificate, kept for comparison; the reported value is never below it).
    pub single_trace_bound_value: f64,
    /// Accepted refinement steps of the multiplier (dnn certificates; 0 for conic duals).
    pub refinement_steps: usize,
    /// The bound before the refinement (equal to the value when no step was accepted).
    pub value_before_refinement: f64,
}

/// A lower bound on the relaxation optimum, labelled with whether it is certified.
#[derive(Clone, Debug, Serialize)]
pub struct CertifiedBound {
    /// The value. Only a bound when `certified`.
    pub value: f64,
    /// True when `value` is provably <= the relaxation optimum (see the module docs).
    pub certified: bool,
    /// How it was obtained.
    pub method: String,
    /// The ingredients.
    pub details: BoundDetails,
}

impl fmt::Display for CertifiedBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.certified {
            write!(f, "certified lower bound {:.8} ({})", self.value, self.method)
        } else {
            write!(f, "UNCERTIFIED estimate {:.8} (not a bound; {})", self.value, self.method)
        }
    }
}

const METHOD: &str = "repaired dual, PSD shift over the multipliers of two redundant constraints (penalty <= UB, tr S_aa <= <X'X, S_uu>), verified by Cholesky";

const METHOD_SINGLE: &str = "repaired dual, eigenvalue shift times the single trace bound tr W <= (1 + ||X||^2) 2 UB / beta";

fn uncertified(value: f64, why: &str) -> CertifiedBound {
    CertifiedBound { value, certified: false, method: format!("not certified: {why}"), details: BoundDetails::default() }
}

/// A dual slack `E` as computed, with a bound on its rounding error: `||E_exact - e||_2 <=
/// forming_error`, where `E_exact` is the slack of the (exactly representable) multiplier.
#[derive(Clone, Debug)]
pub(crate) struct Slack {
    pub(crate) e: DMatrix<f64>,
    pub(crate) forming_error: f64,
}

/// The smallest objective among the zero network and `incumbents` (wrong shapes and
/// non-finite objectives skipped).
pub fn upper_bound(x: &DMatrix<f64>, y: &DMatrix<f64>, beta: f64, incumbents: &[Network]) -> f64 {
    let mut ub = 0.5 * y.iter().map(|v| v * v).sum::<f64>();
    let data = crate::data::Dataset::from_arrays(x.clone(), y.clone(), crate::data::TargetKind::Numeric, "certify");
    for net in incumbents {
        if net.u.nrows() != x.ncols() || net.v.nrows() != y.ncols() || net.u.ncols() != net.v.ncols() {
            continue;
        }
        let obj = net.objective(&data, beta);
        if obj.is_finite() {
            ub = ub.min(obj);
        }
    }
    ub
}

/// `incumbents` plus the networks read off `lambda` (and their ridge refits).
fn with_eigen_networks(lambda: Option<&DMatrix<f64>>, blocks: crate::lift::LiftBlocks, x: &DMatrix<f64>, y: &DMatrix<f64>, beta: f64, incumbents: &[Network]) -> Vec<Network> {
    let mut nets = incumbents.to_vec();
    if let Some(lambda) = lambda {
        for net in eigen_networks(lambda, blocks) {
            if let Some(refit) = ridge_refit(&net, x, y, beta) {
                nets.push(refit);
            }
            nets.push(net);
        }
    }
    nets
}

/// `ell - mu UB` with the verified shift of `e` (module docs).
fn shifted(ell: f64, e: &Slack, blocks: ShiftBlocks, x: &DMatrix<f64>, beta: f64, ub: f64, clipped: f64) -> CertifiedBound {
    let Slack { e, forming_error } = e;
    let xtx = x.transpose() * x;
    let mut details = BoundDetails { lagrangian_value: ell, upper_bound_used: ub, clipped_negative_dual: clipped, ..Default::default() };
    if !ell.is_finite() || !ub.is_finite() {
        return CertifiedBound { value: f64::NAN, certified: false, method: "not certified: non-finite Lagrangian value or UB".into(), details };
    }
    // The single trace bound (tr W <= (1 + ||X||^2) 2 UB / beta), with a margin on lambda_min
    // for the eigensolver's error.
    let k = e.nrows() as f64;
    let single = match (crate::linalg::min_eigenvalue(e), crate::linalg::sym_eigen(&xtx, crate::linalg::EigenRange::All)) {
        (Ok(lmin), Ok(xe)) => {
            let lmin = lmin - 1e-12 * k * (1.0 + e.norm()) - forming_error;
            let xnorm = xe.values.last().copied().unwrap_or(0.0) * (1.0 + 1e-10) + 1e-12;
            let raw = ell + lmin.min(0.0) * (1.0 + xnorm) * 2.0 * ub / beta;
            raw - 1e-12 * (1.0 + raw.abs())
        }
        _ => f64::NAN,
    };
    details.single_trace_bound_value = single;
    let shifted = best_shift(e, blocks, &xtx, beta, *forming_error).map(|Shift { mu, nu, margin }| {
        details.mu = mu;
        details.nu = nu;
        details.cholesky_margin = margin;
        details.shift = -mu * ub;
        let raw = ell - mu * ub;
        raw - 1e-12 * (1.0 + raw.abs())
    });
    let value = match shifted {
        Some(v) if v.is_finite() && !(single > v) => v,
        _ if single.is_finite() => {
            details.shift = single - ell;
            details.value_before_refinement = single;
            return CertifiedBound { value: single, certified: true, method: METHOD_SINGLE.into(), details };
        }
        _ => return CertifiedBound { value: f64::NAN, certified: false, method: "not certified: no verified shift and no finite trace bound".into(), details },
    };
    details.value_before_refinement = value;
    CertifiedBound { value, certified: true, method: METHOD.into(), details }
}

/// The certified lower bound from the dual of a conic `solution` (Clarabel, SCS); `incumbents`
/// are networks whose objectives tighten `UB` (the zero network and the networks read off the
/// primal solution are always tried).
pub fn certify_solution(compiled: &CompiledSdp, solution: &ConicSolution, incumbents: &[Network]) -> CertifiedBound {
    certify_solution_with(compiled, solution, incumbents, RefineSettings::default())
}

/// [`certify_solution`] with explicit refinement settings.
pub fn certify_solution_with(compiled: &CompiledSdp, solution: &ConicSolution, incumbents: &[Network], refine: RefineSettings) -> CertifiedBound {
    let lambda = compiled.lambda_from_x(&solution.x).ok();
    let nets = with_eigen_networks(lambda.as_ref(), compiled.layout.lift_blocks(), compiled.data_x(), compiled.data_y(), compiled.beta, incumbents);
    certify_with(compiled, &solution.z, &nets, refine)
}

/// The certified lower bound from any dual vector `z` of the compiled problem (length = rows),
/// refined first ([`RefineSettings`] defaults).
pub fn certify(compiled: &CompiledSdp, z: &[f64], incumbents: &[Network]) -> CertifiedBound {
    certify_with(compiled, z, incumbents, RefineSettings::default())
}

/// [`certify`] with explicit refinement settings.
pub fn certify_with(compiled: &CompiledSdp, z: &[f64], incumbents: &[Network], settings: RefineSettings) -> CertifiedBound {
    let problem = &compiled.problem;
    let beta = compiled.beta;
    if !(beta.is_finite() && beta > 0.0) {
        return uncertified(f64::NAN, "beta must be positive");
    }
    if z.len() != problem.num_rows() {
        return uncertified(f64::NAN, "dual vector has the wrong length");
    }
    if z.iter().any(|v| !v.is_finite()) {
        return uncertified(f64::NAN, "dual vector has non-finite entries");
    }
    let ub = upper_bound(compiled.data_x(), compiled.data_y(), beta, incumbents);
    let (tie, blocks) = tie_of(compiled);
    let magnitudes = AbsConstraints::of(compiled);
    let (mut best, mut zo, mut e) = match conic_bound(compiled, z, ub, tie.as_ref(), blocks, &magnitudes) {
        Ok(x) => x,
        Err(b) => return b,
    };
    if !best.certified {
        return best;
    }
    // Refinement (module docs), over the rows that leave `ell` unchanged: sign and equality rows
    // of the lifted entries with `b_i = 0` and no coefficient on the `r` variables.
    let nw = compiled.layout.svec_len();
    let mut movable = vec![false; z.len()];
    let mut in_cones = vec![false; z.len()];
    for (cone, (lo, hi)) in problem.cones.iter().zip(problem.cone_ranges()) {
        if matches!(cone, Cone::Zero(_) | Cone::Nonnegative(_)) {
            for i in lo..hi {
                movable[i] = problem.b[i] == 0.0;
                in_cones[i] = true;
            }
        }
    }
    for (col, column) in problem.a.outer_iterator().enumerate() {
        if col >= nw {
            for (row, _) in column.iter() {
                movable[row] = false;
            }
        }
    }
    let start = std::time::Instant::now();
    let cols = problem.a.cols();
    let mut scale = 1.0;
    while best.details.refinement_steps < settings.max_steps && start.elapsed().as_secs_f64() < settings.max_seconds {
        let Ok(eig) = sym_eigen(&e, EigenRange::All) else { break };
        let mut dir = vec![0.0; z.len()];
        let mut max_a2: f64 = 0.0;
        for (k, &lam) in eig.values.iter().enumerate() {
            if lam >= 0.0 {
                break;
            }
            let v = lift_tied(tie.as_ref(), eig.vectors.column(k).into_owned());
            let mut x = svec(&(&v * v.transpose()), Triangle::Upper);
            x.resize(cols, 0.0);
            let mut a = csc::mul(&problem.a, &x);
            for (ai, &m) in a.iter_mut().zip(&movable) {
                if !m {
                    *ai = 0.0;
                }
            }
            max_a2 = max_a2.max(dot(&a, &a));
            for (di, ai) in dir.iter_mut().zip(&a) {
                *di -= lam * ai;
            }
        }
        if max_a2 == 0.0 || !max_a2.is_finite() {
            break;
        }
        // Candidates: steps around 1 / max ||a_k||^2 along `dir`, scaled by the last successful
        // factor; then steps along the supergradient of the certified value in z (all rows of the
        // zero and nonnegative cones): grad ell = -A_r (A_r' z) - b, plus 2 UB / beta
        // A_w svec(v v') for the shift's direction v, around Polyak's step towards ell.
        let mut candidates: Vec<(f64, Vec<f64>)> = Vec::new();
        for f in [4.0 * scale, scale, 0.25 * scale, 0.0625 * scale] {
            candidates.push((f, zo.iter().zip(&dir).map(|(a, b)| a + f / max_a2 * b).collect()));
        }
        if let Some(v) = shift_direction(&e, blocks, compiled.data_x(), &best).map(|v| lift_tied(tie.as_ref(), v)) {
            let mut x = svec(&(&v * v.transpose()), Triangle::Upper);
            x.resize(cols, 0.0);
            let shift_part = csc::mul(&problem.a, &x);
            let atz = csc::mul_transpose(&problem.a, &zo);
            let mut r_only = vec![0.0; cols];
            r_only[nw..].copy_from_slice(&atz[nw..]);
            let ell_part = csc::mul(&problem.a, &r_only);
            let w = 2.0 * ub / beta;
            let grad: Vec<f64> = (0..z.len()).map(|i| if in_cones[i] { w * shift_part[i] - ell_part[i] - problem.b[i] } else { 0.0 }).collect();
            let gn2 = dot(&grad, &grad);
            if gn2 > 0.0 && gn2.is_finite() {
                let polyak = best.details.mu * ub / gn2;
                for f in [4.0, 1.0, 0.25, 0.0625, 0.015625] {
                    candidates.push((scale, zo.iter().zip(&grad).map(|(a, g)| a + f * polyak * g).collect()));
                }
            }
        }
        let mut improved: Option<(f64, CertifiedBound, Vec<f64>, DMatrix<f64>)> = None;
        for (f, candidate) in candidates {
            let Ok((b, zc, ec)) = conic_bound(compiled, &candidate, ub, tie.as_ref(), blocks, &magnitudes) else { continue };
            let to_beat = improved.as_ref().map_or(best.value, |(_, bb, _, _)| bb.value);
            if b.certified && b.value > to_beat {
                improved = Some((f, b, zc, ec));
            }
        }
        let Some((f, b, zc, ec)) = improved else { break };
        accept_step(&mut best, b);
        scale = f;
        zo = zc;
        e = ec;
    }
    best
}

/// Rows of `X` tied together (reduced form only): the certificate tests `P'EP`.
struct Tie {
    reduction: crate::dnn::reduce::RowReduction,
    basis: DMatrix<f64>,
}

/// The tie of a compiled relaxation's data (`None` in the full form or without tied rows) and the
/// blocks of the matrix the shift is computed on.
fn tie_of(compiled: &CompiledSdp) -> (Option<Tie>, ShiftBlocks) {
    let layout = &compiled.layout;
    let (d, c) = (layout.d, layout.c);
    match layout.form {
        SdpForm::Reduced => {
            let reduction = crate::dnn::reduce::RowReduction::of_x(compiled.data_x(), c);
            if reduction.is_trivial() {
                (None, ShiftBlocks { na: layout.n, d, c })
            } else {
                let na = reduction.groups.len();
                let basis = reduction.basis();
                (Some(Tie { reduction, basis }), ShiftBlocks { na, d, c })
            }
        }
        SdpForm::Full => (None, ShiftBlocks { na: 2 * layout.n, d, c }),
    }
}

/// A vector of the matrix the shift is computed on, in the coordinates of `S` (`P v` when rows
/// are tied).
fn lift_tied(tie: Option<&Tie>, v: nalgebra::DVector<f64>) -> nalgebra::DVector<f64> {
    match tie {
        Some(t) => &t.basis * v,
        None => v,
    }
}

/// `P'EP` for tied rows, with its rounding error: the columns of `P` are orthonormal with
/// nonnegative entries, so `||P'(E_exact - E)P||_2 <= ||E_exact - E||_2` and the product's own
/// rounding is at most `gamma_(2n+2) ||P'|E|P||_F <= gamma_(2n+2) ||E||_F` (up to the rounding of
/// `P`'s entries, which scales each column by the same factor and so leaves its range unchanged).
fn compress(reduction: &crate::dnn::reduce::RowReduction, slack: Slack) -> Slack {
    let n = slack.e.nrows();
    let own = gamma(2 * n + 2) * slack.e.norm();
    Slack { forming_error: (slack.forming_error + own) * (1.0 + 1e-6), e: reduction.compress(&slack.e) }
}

/// Repairs `z` (zero cone free, nonnegative cone clipped, PSD part dropped) and certifies it:
/// the bound, the repaired vector and the slack `E`; `Err` with an uncertified bound when the
/// problem does not have the expected cones.
/// `|A|` of a compiled problem and its longest column among the `w` variables: what the bound on
/// the rounding of `E = smat(q + A'z)` needs, computed once per certificate.
struct AbsConstraints {
    abs_a: crate::conic::csc::Csc,
    longest: usize,
}

impl AbsConstraints {
    fn of(compiled: &CompiledSdp) -> Self {
        let a = &compiled.problem.a;
        let longest = a.outer_iterator().take(compiled.layout.svec_len()).map(|col| col.nnz()).max().unwrap_or(0);
        Self { abs_a: a.map(|v| v.abs()), longest }
    }
}

fn conic_bound(compiled: &CompiledSdp, z: &[f64], ub: f64, tie: Option<&Tie>, blocks: ShiftBlocks, magnitudes: &AbsConstraints) -> std::result::Result<(CertifiedBound, Vec<f64>, DMatrix<f64>), CertifiedBound> {
    let problem = &compiled.problem;
    let layout = &compiled.layout;
    let mut zo = vec![0.0; z.len()];
    let mut clipped: f64 = 0.0;
    let mut psd_range = None;
    for (cone, (lo, hi)) in problem.cones.iter().zip(problem.cone_ranges()) {
        match cone {
            Cone::Zero(_) => zo[lo..hi].copy_from_slice(&z[lo..hi]),
            Cone::Nonnegative(_) => {
                for i in lo..hi {
                    clipped = clipped.min(z[i]);
                    zo[i] = z[i].max(0.0);
                }
            }
            Cone::Psd(_) => psd_range = Some((lo, hi)),
            Cone::SecondOrder(_) => return Err(uncertified(f64::NAN, "unexpected second-order cone")),
        }
    }
    if psd_range.is_none() {
        return Err(uncertified(f64::NAN, "no PSD block"));
    }
    let atz = csc::mul_transpose(&problem.a, &zo);
    let nw = layout.svec_len();
    let g_r = &atz[nw..];
    let e_vec: Vec<f64> = (0..nw).map(|t| problem.q[t] + atz[t]).collect();
    let ell = -0.5 * dot(g_r, g_r) - dot(&problem.b, &zo);
    let Some(e) = smat(&e_vec, Triangle::Upper) else { return Err(uncertified(f64::NAN, "dual slack is not a packed symmetric matrix")) };
    // Rounding of E: each entry of A_w'z sums at most `longest` products, then q_w is added and
    // smat divides the off-diagonal entries by sqrt 2; smat is an isometry from svec.
    let abs_z: Vec<f64> = zo.iter().map(|v| v.abs()).collect();
    let abs_atz = csc::mul_transpose(&magnitudes.abs_a, &abs_z);
    let magnitude = (0..nw).map(|t| (problem.q[t].abs() + abs_atz[t]).powi(2)).sum::<f64>().sqrt();
    let slack = Slack { forming_error: gamma(magnitudes.longest + 3) * magnitude * (1.0 + 1e-6), e };
    // Zero or equal rows of X (reduced form): every feasible S is P M P' (`dnn::reduce`), so
    // P'EP PSD suffices, as for the dnn multiplier.
    let slack = match tie {
        Some(tie) => compress(&tie.reduction, slack),
        None => slack,
    };
    let bound = shifted(ell, &slack, blocks, compiled.data_x(), compiled.beta, ub, clipped);
    Ok((bound, zo, slack.e))
}

/// The certified lower bound from the `dnn` solver's multiplier `z` (order p); `lambda` is the
/// primal `Lambda` when available (its eigen-networks tighten `UB`).
pub fn certify_dnn(problem: &DnnProblem, z: &DMatrix<f64>, lambda: Option<&DMatrix<f64>>, incumbents: &[Network]) -> CertifiedBound {
    certify_dnn_with(problem, z, lambda, incumbents, RefineSettings::default())
}

/// [`certify_dnn`] with explicit refinement settings.
pub fn certify_dnn_with(problem: &DnnProblem, z: &DMatrix<f64>, lambda: Option<&DMatrix<f64>>, incumbents: &[Network], settings: RefineSettings) -> CertifiedBound {
    let t = &problem.t;
    let (n, d, c, p) = (t.n(), t.d(), t.c(), t.p());
    let beta = problem.beta;
    if z.nrows() != p || z.ncols() != p {
        return uncertified(f64::NAN, "multiplier has the wrong order");
    }
    if z.iter().any(|v| !v.is_finite()) {
        return uncertified(f64::NAN, "multiplier has non-finite entries");
    }
    let blocks = crate::lift::LiftBlocks { n, d, c };
    let nets = with_eigen_networks(lambda, blocks, t.x(), &problem.y, beta, incumbents);
    let ub = upper_bound(t.x(), &problem.y, beta, &nets);
    let (zr, ell, clipped) = repair_dnn(problem, z);
    // Zero rows and equal rows of X tie rows of S together on the whole feasible set
    // (`dnn::reduce`): every feasible S is P M P', so P'EP PSD suffices.
    let reduction = crate::dnn::reduce::RowReduction::of(problem);
    let basis = (!reduction.is_trivial()).then(|| reduction.basis());
    let na = if basis.is_some() { reduction.groups.len() } else { n };
    let abs_t = crate::dnn::Congruence::new(t.x().map(|v| -v.abs()), c);
    let slack = |zr: &DMatrix<f64>| -> Option<Slack> {
        let slack = dnn_slack(t, &abs_t, zr, beta)?;
        Some(if basis.is_some() { compress(&reduction, slack) } else { slack })
    };
    let Some(e) = slack(&zr) else { return uncertified(f64::NAN, "adjoint failed") };
    let blocks = ShiftBlocks { na, d, c };
    let mut best = shifted(ell, &e, blocks, t.x(), beta, ub, clipped);
    if !best.certified {
        return best;
    }
    refine(&mut best, zr, e, &Refinement { problem, basis: basis.as_ref(), blocks, ub, clipped, slack: &slack }, settings);
    best
}

/// `E = C0 + T'ZT` for a repaired multiplier, with a bound on its rounding error: every entry is
/// a sum of products along chains of at most `2p + 4` operations (the products with `X` and
/// `X'`, the block sums, the symmetrisation), so the error is at most
/// `gamma_(2p+5) (|T|'|Z||T| + |C0|)` entrywise, and its spectral norm at most the Frobenius norm
/// of that. `abs_t` is the congruence for the data `-|X|`, whose adjoint of `|Z|` is `|T|'|Z||T|`.
fn dnn_slack(t: &crate::dnn::Congruence, abs_t: &crate::dnn::Congruence, zr: &DMatrix<f64>, beta: f64) -> Option<Slack> {
    let (n, d, c, p) = (t.n(), t.d(), t.c(), t.p());
    let mut e = t.adjoint(zr).ok()?;
    let mut magnitude = abs_t.adjoint(&zr.abs()).ok()?;
    for i in n..n + d + c {
        e[(i, i)] += 0.5 * beta;
        magnitude[(i, i)] += 0.5 * beta;
    }
    Some(Slack { forming_error: gamma(2 * p + 5) * magnitude.norm() * (1.0 + 1e-6), e })
}

/// The repaired multiplier (zero outside `[AB]` and `AV`, `min(Z, 0)` on `[AB]` except the free
/// diagonal of `AB`, symmetrised), its Lagrangian value `ell` and the most negative clipped
/// entry (module docs). Every candidate of the refinement goes through it too.
fn repair_dnn(problem: &DnnProblem, z: &DMatrix<f64>) -> (DMatrix<f64>, f64, f64) {
    let t = &problem.t;
    let (n, d, c, p) = (t.n(), t.d(), t.c(), t.p());
    let lv = 2 * n + d;
    let mut zr = DMatrix::zeros(p, p);
    let mut clipped: f64 = 0.0;
    for j in 0..2 * n {
        for i in 0..2 * n {
            let free = (i < n && j == i + n) || (j < n && i == j + n);
            let v = 0.5 * (z[(i, j)] + z[(j, i)]);
            zr[(i, j)] = if free {
                v
            } else {
                clipped = clipped.min(-v);
                v.min(0.0)
            };
        }
    }
    let mut ell = 0.0;
    for k in 0..c {
        for i in 0..n {
            let v = 0.5 * (z[(i, lv + k)] + z[(lv + k, i)]);
            zr[(i, lv + k)] = v;
            zr[(lv + k, i)] = v;
            let w = -2.0 * v;
            ell += w * problem.y[(i, k)] - 0.5 * w * w;
        }
    }
    (zr, ell, clipped)
}

/// How far [`certify_dnn_with`] and [`certify_with`] refine an approximate dual before
/// certifying (module docs, "Refinement").
#[derive(Clone, Copy, Debug)]
pub struct RefineSettings {
    /// Most accepted steps (default 200; 0 turns the refinement off).
    pub max_steps: usize,
    /// Wall-clock budget in seconds, checked before each step (default 20; the pipeline uses
    /// [`RefineSettings::for_time_limit`]).
    pub max_seconds: f64,
}

impl Default for RefineSettings {
    fn default() -> Self {
        Self { max_steps: 200, max_seconds: 20.0 }
    }
}

impl RefineSettings {
    /// The defaults, with the time budget cut to a tenth of a solve's wall-clock limit (at least
    /// one second) when there is one, so that the certificate stays in proportion to the solve.
    pub fn for_time_limit(limit_seconds: Option<f64>) -> Self {
        let mut s = Self::default();
        if let Some(limit) = limit_seconds {
            s.max_seconds = s.max_seconds.min((0.1 * limit).max(1.0));
        }
        s
    }
}

/// What a refinement step needs besides the multiplier.
struct Refinement<'a, F: Fn(&DMatrix<f64>) -> Option<Slack>> {
    problem: &'a DnnProblem,
    basis: Option<&'a DMatrix<f64>>,
    blocks: ShiftBlocks,
    ub: f64,
    clipped: f64,
    slack: &'a F,
}

/// Supergradient ascent on the bound `ell - mu(E(Z)) UB` over the `[AB]` block of the repaired
/// multiplier (module docs, "Refinement"). Every trial point is repaired and certified in full,
/// and a step is taken only when its certified value is higher, so the result is never below
/// the unrefined bound.
fn refine<F: Fn(&DMatrix<f64>) -> Option<Slack>>(best: &mut CertifiedBound, mut zr: DMatrix<f64>, mut e: Slack, r: &Refinement<F>, settings: RefineSettings) {
    let start = std::time::Instant::now();
    let t = &r.problem.t;
    let (n, d) = (t.n(), t.d());
    let mut scale = 1.0;
    while best.details.refinement_steps < settings.max_steps && start.elapsed().as_secs_f64() < settings.max_seconds {
        // G = sum over the negative eigenpairs (lambda, v) of E of |lambda| u u', u the rows A, B
        // of T P v: adding t G to Z raises E by t T'GT, PSD, except where Z <= 0 clips.
        let Ok(eig) = sym_eigen(&e.e, EigenRange::All) else { return };
        let mut g = DMatrix::<f64>::zeros(2 * n, 2 * n);
        let mut max_u4: f64 = 0.0;
        for (k, &lam) in eig.values.iter().enumerate() {
            if lam >= 0.0 {
                break;
            }
            let v = eig.vectors.column(k);
            let w: nalgebra::DVector<f64> = match r.basis {
                Some(p) => p * v,
                None => v.into_owned(),
            };
            let xw = t.x() * w.rows(n, d);
            let mut u = nalgebra::DVector::zeros(2 * n);
            for i in 0..n {
                u[i] = w[i];
                u[n + i] = w[i] - xw[i];
            }
            max_u4 = max_u4.max(u.norm_squared().powi(2));
            g.ger(-lam, &u, &u, 1.0);
        }
        if max_u4 == 0.0 || !max_u4.is_finite() {
            return;
        }
        // Candidates: steps around 1 / max ||u||^4 (which would lift the most negative eigenvalue
        // to about zero if nothing clipped), scaled by the last successful factor; then steps
        // along the supergradient of the certified value itself (both blocks), around Polyak's
        // step towards `ell` (the bound if the shift vanished).
        let mut candidates: Vec<(f64, DMatrix<f64>)> = Vec::new();
        for f in [4.0 * scale, scale, 0.25 * scale, 0.0625 * scale] {
            let mut moved = zr.clone();
            let mut ab = moved.view_mut((0, 0), (2 * n, 2 * n));
            ab += &g * (f / max_u4);
            candidates.push((f, moved));
        }
        if let Some(gz) = certificate_supergradient(r, &zr, &e.e, best) {
            let gn2 = gz.norm_squared();
            if gn2 > 0.0 && gn2.is_finite() {
                let polyak = best.details.mu * r.ub / gn2;
                for f in [4.0, 1.0, 0.25, 0.0625, 0.015625] {
                    candidates.push((scale, &zr + &gz * (f * polyak)));
                }
            }
        }
        let mut improved: Option<(f64, CertifiedBound, DMatrix<f64>, Slack)> = None;
        for (f, moved) in candidates {
            // The candidate is repaired like any multiplier (this clips the sign constraint).
            let (zt, ell_t, _) = repair_dnn(r.problem, &moved);
            let Some(et) = (r.slack)(&zt) else { continue };
            let b = shifted(ell_t, &et, r.blocks, t.x(), r.problem.beta, r.ub, r.clipped);
            let to_beat = improved.as_ref().map_or(best.value, |(_, bb, _, _)| bb.value);
            if b.certified && b.value > to_beat {
                improved = Some((f, b, zt, et));
            }
        }
        let Some((f, b, zt, et)) = improved else { return };
        accept_step(best, b);
        scale = f;
        zr = zt;
        e = et;
    }
}

/// Replaces `best` by the better bound `b` of a refinement step, keeping the value before the
/// refinement and counting the step.
fn accept_step(best: &mut CertifiedBound, b: CertifiedBound) {
    let (before, steps) = (best.details.value_before_refinement, best.details.refinement_steps + 1);
    *best = b;
    best.details.value_before_refinement = before;
    best.details.refinement_steps = steps;
}

/// The direction along which the shift's eigenvalue moves with `E`: for the eigenvector `w` of the
/// smallest eigenvalue of the Schur complement `F(nu)` at the current shift (unit norm),
/// `v = (-(E_aa + nu I)^(-1) E_ar w, w)`, so `d lambda_min(F) / dE = v v'`. `None` when there is
/// no shift to reduce (`mu = 0`) or the `a` block is not positive definite.
fn shift_direction(e: &DMatrix<f64>, blocks: ShiftBlocks, x: &DMatrix<f64>, best: &CertifiedBound) -> Option<nalgebra::DVector<f64>> {
    let (mu, nu) = (best.details.mu, best.details.nu);
    if !(mu > 0.0) {
        return None;
    }
    let (na, d) = (blocks.na, blocks.d);
    let k = e.nrows();
    let mut eaa = e.view((0, 0), (na, na)).clone_owned();
    for i in 0..na {
        eaa[(i, i)] += nu;
    }
    let ear = e.view((0, na), (na, k - na)).clone_owned();
    let ch = eaa.cholesky()?;
    let sol = ch.solve(&ear);
    let mut f = e.view((na, na), (k - na, k - na)).clone_owned() - ear.transpose() * &sol;
    let xtx = x.transpose() * x;
    for i in 0..d {
        for j in 0..d {
            f[(i, j)] -= nu * xtx[(i, j)];
        }
    }
    crate::linalg::symmetrize(&mut f);
    let eig = sym_eigen(&f, EigenRange::All).ok()?;
    let w = eig.vectors.column(0).into_owned();
    let va = -(&sol * &w);
    let mut v = nalgebra::DVector::zeros(k);
    v.rows_mut(0, na).copy_from(&va);
    v.rows_mut(na, k - na).copy_from(&w);
    Some(v)
}

/// The supergradient of the certified value `ell(Z) - mu(E(Z)) UB` in `Z` (blocks `[AB]` and
/// `AV`), from the eigenvector `w` of the smallest eigenvalue of the Schur complement `F(nu)` at the
/// current shift: `E` moves along `v v'`, `v = (-(E_aa + nu I)^(-1) E_ar w, w)`.
fn certificate_supergradient<F: Fn(&DMatrix<f64>) -> Option<Slack>>(r: &Refinement<F>, zr: &DMatrix<f64>, e: &DMatrix<f64>, best: &CertifiedBound) -> Option<DMatrix<f64>> {
    let t = &r.problem.t;
    let (n, d, c, p) = (t.n(), t.d(), t.c(), t.p());
    let v = shift_direction(e, r.blocks, t.x(), best)?;
    let ws: nalgebra::DVector<f64> = match r.basis {
        Some(pb) => pb * v,
        None => v,
    };
    let xw = t.x() * ws.rows(n, d);
    let scale = 2.0 * r.ub / r.problem.beta;
    let lv = 2 * n + d;
    let mut u = nalgebra::DVector::zeros(p);
    for i in 0..n {
        u[i] = ws[i];
        u[n + i] = ws[i] - xw[i];
    }
    for kk in 0..c {
        u[lv + kk] = ws[n + d + kk];
    }
    let mut g = DMatrix::zeros(p, p);
    for j in 0..2 * n {
        for i in 0..2 * n {
            g[(i, j)] = scale * u[i] * u[j];
        }
    }
    for kk in 0..c {
        for i in 0..n {
            let zav = zr[(i, lv + kk)];
            let val = scale * u[i] * u[lv + kk] + (-2.0 * r.problem.y[(i, kk)] - 4.0 * zav) * 0.5;
            g[(i, lv + kk)] = val;
            g[(lv + kk, i)] = val;
        }
    }
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formulation::sdp::{compile, SdpForm};


    /// `a * b` as an unevaluated sum `(p, e)` (TwoProduct with a fused multiply-add).
    fn two_product(a: f64, b: f64) -> (f64, f64) {
        let p = a * b;
        (p, a.mul_add(b, -p))
    }

    /// `a + b` as an unevaluated sum (Knuth's TwoSum).
    fn two_sum(a: f64, b: f64) -> (f64, f64) {
        let s = a + b;
        let bb = s - a;
        (s, (a - (s - bb)) + (b - bb))
    }

    /// A sum of products in twice the working precision (Ogita, Rump & Oishi's Dot2): the
    /// independent reference for the rounding of `T'ZT`.
    fn dot2(terms: impl Iterator<Item = (f64, f64)>) -> f64 {
        let (mut s, mut c) = (0.0, 0.0);
        for (a, b) in terms {
            let (p, pe) = two_product(a, b);
            let (t, te) = two_sum(s, p);
            s = t;
            c += pe + te;
        }
        s + c
    }

    #[test]
    fn the_rounding_bound_of_the_dnn_slack_covers_its_error() {
        // Data and multiplier with large entries of both signs, so T'ZT cancels heavily.
        let (n, d, c) = (14, 3, 2);
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let x = DMatrix::from_fn(n, d, |_, _| 37.0 * next());
        let p = 2 * n + d + c;
        let mut z = DMatrix::from_fn(p, p, |_, _| 1e3 * next());
        z = (&z + z.transpose()) * 0.5;
        let t = crate::dnn::Congruence::new(x.clone(), c);
        let abs_t = crate::dnn::Congruence::new(x.map(|v| -v.abs()), c);
        let beta = 0.1;
        let slack = dnn_slack(&t, &abs_t, &z, beta).unwrap();
        let td = t.dense();
        let q = n + d + c;
        let mut err2 = 0.0;
        for i in 0..q {
            for j in 0..q {
                let c0 = if i >= n && i == j { 0.5 * beta } else { 0.0 };
                // T'ZT entry by entry: each product T_ri Z_rs split exactly into two parts.
                let reference = dot2(
                    (0..p)
                        .flat_map(|r| (0..p).map(move |s| (r, s)))
                        .flat_map(|(r, s)| {
                            let (hi, lo) = two_product(td[(r, i)], z[(r, s)]);
                            [(hi, td[(s, j)]), (lo, td[(s, j)])]
                        })
                        .chain(std::iter::once((c0, 1.0))),
                );
                err2 += (slack.e[(i, j)] - reference).powi(2);
            }
        }
        let err = err2.sqrt();
        assert!(err > 0.0, "no rounding at all: the test does not exercise the bound");
        assert!(err <= slack.forming_error, "rounding {err:.3e} above the bound {:.3e}", slack.forming_error);
        // and the bound is not vacuous: a small multiple of u times the magnitudes
        assert!(slack.forming_error < 1e-10 * slack.e.norm().max(1.0) * 1e4, "{:.3e}", slack.forming_error);
    }

    #[test]
    fn refinement_budget_follows_the_time_limit() {
        assert_eq!(RefineSettings::for_time_limit(None).max_seconds, 20.0);
        assert_eq!(RefineSettings::for_time_limit(Some(60.0)).max_seconds, 6.0);
        assert_eq!(RefineSettings::for_time_limit(Some(2.0)).max_seconds, 1.0);
        assert_eq!(RefineSettings::for_time_limit(Some(3600.0)).max_seconds, 20.0);
    }

    #[test]
    fn garbage_dual_is_uncertified_or_a_very_low_bound() {
        let data = crate::data::synth::reference_1d();
        let comp = compile(&data, 0.1, SdpForm::Reduced).unwrap();
        let wrong_len = certify(&comp, &[0.0; 3], &[]);
        assert!(!wrong_len.certified);
        assert!(wrong_len.to_string().contains("UNCERTIFIED"));
        let nan = certify(&comp, &vec![f64::NAN; comp.problem.num_rows()], &[]);
        assert!(!nan.certified);
        // z = 0 gives the trivial bound (E = diag of beta/2 on U, V: PSD, so no shift): 0 - 0 = 0
        let zero = certify(&comp, &vec![0.0; comp.problem.num_rows()], &[]);
        assert!(zero.certified && zero.value <= 0.0 && zero.value > -1e-9, "{zero}");
        // a large random dual still gives a valid (very low) bound
        let z: Vec<f64> = (0..comp.problem.num_rows()).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let b = certify(&comp, &z, &[]);
        assert!(b.certified && b.value <= 0.71707776, "{b}");
    }
}
