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

use super::shift::{best_shift, Shift, ShiftBlocks};
use crate::backend::ConicSolution;
use crate::conic::{csc, dot, smat, Cone, Triangle};
use crate::dnn::DnnProblem;
use crate::formulation::sdp::{CompiledSdp, SdpForm};
use crate::network::Network;
use crate::rounding::eigen::{eigen_networks, ridge_refit};
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

/// The smallest objective among the zero network and `incumbents` (wrong shapes and
/// non-finite objectives skipped).
pub fn upper_bound(x: &DMatrix<f64>, y: &DMatrix<f64>, beta: f64, incumbents: &[Network]) -> f64 {
    let mut ub = 0.5 * y.iter().map(|v| v * v).sum::<f64>();
    let xa = ndarray::Array2::from_shape_fn((x.nrows(), x.ncols()), |(i, j)| x[(i, j)]);
    let ya = ndarray::Array2::from_shape_fn((y.nrows(), y.ncols()), |(i, j)| y[(i, j)]);
    let data = crate::data::Dataset::from_arrays(xa, ya, crate::data::TargetKind::Numeric, "certify");
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
fn shifted(ell: f64, e: &DMatrix<f64>, blocks: ShiftBlocks, x: &DMatrix<f64>, beta: f64, ub: f64, clipped: f64) -> CertifiedBound {
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
            let lmin = lmin - 1e-12 * k * (1.0 + e.norm());
            let xnorm = xe.values.last().copied().unwrap_or(0.0) * (1.0 + 1e-10) + 1e-12;
            let raw = ell + lmin.min(0.0) * (1.0 + xnorm) * 2.0 * ub / beta;
            raw - 1e-12 * (1.0 + raw.abs())
        }
        _ => f64::NAN,
    };
    details.single_trace_bound_value = single;
    let shifted = best_shift(e, blocks, &xtx, beta).map(|Shift { mu, nu, margin }| {
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
            return CertifiedBound { value: single, certified: true, method: METHOD_SINGLE.into(), details };
        }
        _ => return CertifiedBound { value: f64::NAN, certified: false, method: "not certified: no verified shift and no finite trace bound".into(), details },
    };
    CertifiedBound { value, certified: true, method: METHOD.into(), details }
}

/// The certified lower bound from the dual of a conic `solution` (Clarabel, SCS); `incumbents`
/// are networks whose objectives tighten `UB` (the zero network and the networks read off the
/// primal solution are always tried).
pub fn certify_solution(compiled: &CompiledSdp, solution: &ConicSolution, incumbents: &[Network]) -> CertifiedBound {
    let lambda = compiled.lambda_from_x(&solution.x).ok();
    let nets = with_eigen_networks(lambda.as_ref(), compiled.layout.lift_blocks(), compiled.data_x(), compiled.data_y(), compiled.beta, incumbents);
    certify(compiled, &solution.z, &nets)
}

/// The certified lower bound from any dual vector `z` of the compiled problem (length = rows).
pub fn certify(compiled: &CompiledSdp, z: &[f64], incumbents: &[Network]) -> CertifiedBound {
    let problem = &compiled.problem;
    let layout = &compiled.layout;
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
    // Repair z: zero cone free, nonnegative cone clipped, PSD part dropped.
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
            Cone::SecondOrder(_) => return uncertified(f64::NAN, "unexpected second-order cone"),
        }
    }
    if psd_range.is_none() {
        return uncertified(f64::NAN, "no PSD block");
    }
    let atz = csc::mul_transpose(&problem.a, &zo);
    let nw = layout.svec_len();
    let g_r = &atz[nw..];
    let e_vec: Vec<f64> = (0..nw).map(|t| problem.q[t] + atz[t]).collect();
    let ell = -0.5 * dot(g_r, g_r) - dot(&problem.b, &zo);
    let Some(e) = smat(&e_vec, Triangle::Upper) else { return uncertified(f64::NAN, "dual slack is not a packed symmetric matrix") };
    let na = match layout.form {
        SdpForm::Reduced => {
            // Zero or equal rows of X: every feasible S is P M P' (`dnn::reduce`), so P'EP PSD
            // suffices (as for the dnn multiplier below).
            let reduction = crate::dnn::reduce::RowReduction::of_x(compiled.data_x(), layout.c);
            if !reduction.is_trivial() {
                let ek = reduction.compress(&e);
                let blocks = ShiftBlocks { na: reduction.groups.len(), d: layout.d, c: layout.c };
                return shifted(ell, &ek, blocks, compiled.data_x(), beta, ub, clipped);
            }
            layout.n
        }
        SdpForm::Full => 2 * layout.n,
    };
    let blocks = ShiftBlocks { na, d: layout.d, c: layout.c };
    shifted(ell, &e, blocks, compiled.data_x(), beta, ub, clipped)
}

/// The certified lower bound from the `dnn` solver's multiplier `z` (order p); `lambda` is the
/// primal `Lambda` when available (its eigen-networks tighten `UB`).
pub fn certify_dnn(problem: &DnnProblem, z: &DMatrix<f64>, lambda: Option<&DMatrix<f64>>, incumbents: &[Network]) -> CertifiedBound {
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
    // Repair.
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
    let Ok(mut e) = t.adjoint(&zr) else { return uncertified(f64::NAN, "adjoint failed") };
    for i in n..n + d + c {
        e[(i, i)] += 0.5 * beta;
    }
    // Zero rows and equal rows of X tie rows of S together on the whole feasible set
    // (`dnn::reduce`): every feasible S is P M P', so P'EP PSD suffices.
    let reduction = crate::dnn::reduce::RowReduction::of(problem);
    if !reduction.is_trivial() {
        let ek = reduction.compress(&e);
        return shifted(ell, &ek, ShiftBlocks { na: reduction.groups.len(), d, c }, t.x(), beta, ub, clipped);
    }
    shifted(ell, &e, ShiftBlocks { na: n, d, c }, t.x(), beta, ub, clipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formulation::sdp::{compile, SdpForm};


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
