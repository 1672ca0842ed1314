//! A certified lower bound on the SDP relaxation (hence on the global optimum p*) from any
//! approximate dual vector, valid whatever the solver's accuracy (docs/background.md, section 7).
//!
//! # Derivation
//!
//! Both forms of [`crate::formulation::sdp`] have variables `x = (w, r)` with `w = svec(W)`
//! (`W = S` reduced, `W = Lambda` full), objective `f(x) = 1/2 ||r||^2 + q_w' w` and constraints
//!
//! ```text
//!     A_o x + s_o = b_o,  s_o in {0}^m0 x R^m1_+        ("other" rows: zero and nonnegative cones)
//!     -w + s_P = 0,       s_P = svec(W) PSD             (the PSD rows)
//! ```
//!
//! Take any `z_o = (z_0, z_+)` from the solver and *repair* it: `z_0` is free, `z_+ <- max(z_+, 0)`.
//! The solver's PSD dual is discarded. For every feasible `x`, `z_0' s_0 = 0` and `z_+' s_+ >= 0`, so
//!
//! ```text
//!     f(x) >= f(x) + z_o'(A_o x - b_o)
//!           = [1/2 ||r||^2 + g_r' r] + (q_w + A_{o,w}' z_o)' w - b_o' z_o,     g_r = A_{o,r}' z_o
//!          >= -1/2 ||g_r||^2 + <E, W> - b_o' z_o,                             E = smat(q_w + A_{o,w}' z_o)
//! ```
//!
//! (the `r` part is minimised exactly: `P = I` on `r`; `svec(E)' svec(W) = <E, W>`). With `W` PSD,
//! `<E, W> >= min(0, lambda_min(E)) tr W`. If `z` were an exact dual optimum, `E` would be the
//! PSD dual slack and the shift would vanish; for an approximate `z` the shift absorbs the dual
//! residual. It remains to bound `tr W` on the points that matter.
//!
//! **Trace bound.** Let `UB` be the objective of any feasible point (the lift of any network, in
//! particular the zero network: `UB <= 1/2 ||Y||_F^2`). The relaxation optimum is the infimum of `f`
//! over feasible points with `f <= UB`, and on those points (the loss is >= 0)
//!
//! ```text
//!     tr Lambda_UU + tr Lambda_VV <= 2 UB / beta.
//! ```
//!
//! For the A and B blocks use the constraints. In either form `Lambda = T S T'` with `b = a - X u`
//! (for the full form this is `M Lambda M' = 0` with `Lambda` PSD, which forces `Lambda M' = 0`).
//! Row `i`: `Lambda_{B_i B_i} = Lambda_{A_i A_i} - 2 x_i' Lambda_{U A_i} + x_i' Lambda_UU x_i` and the
//! complementarity `Lambda_{A_i B_i} = Lambda_{A_i A_i} - x_i' Lambda_{U A_i} = 0` give
//!
//! ```text
//!     Lambda_{A_i A_i} + Lambda_{B_i B_i} = x_i' Lambda_UU x_i,
//! ```
//!
//! and both terms on the left are diagonal entries of a PSD matrix, hence >= 0. Summing over `i`:
//! `tr Lambda_AA + tr Lambda_BB = <X'X, Lambda_UU> <= ||X||_2^2 tr Lambda_UU`. Therefore
//!
//! ```text
//!     reduced:  tr S      = tr Lambda_AA + tr Lambda_UU + tr Lambda_VV                 <= tau
//!     full:     tr Lambda = tr Lambda_AA + tr Lambda_BB + tr Lambda_UU + tr Lambda_VV  <= tau
//!     tau = (1 + ||X||_2^2) * 2 UB / beta
//! ```
//!
//! and the certified bound is
//!
//! ```text
//!     LB = -1/2 ||g_r||^2 - b_o' z_o + min(0, lambda_min(E)) * tau  <=  relaxation optimum  <=  p*.
//! ```
//!
//! **Weighted variant.** For `alpha in (0, 1/||X||_2^2)` let `H = blockdiag(alpha I_A, [alpha I_B,]
//! I_d - alpha X'X, I_c)` (the B block only in the full form). Then
//! `<H, W> = alpha (tr Lambda_AA [+ tr Lambda_BB]) + <I - alpha X'X, Lambda_UU> + tr Lambda_VV`
//! `<= tr Lambda_UU + tr Lambda_VV <= 2 UB / beta` (using the identity above for the reduced form
//! too, where `tr S_aa <= tr Lambda_AA + tr Lambda_BB`). If `E + t H` is PSD (`t >= 0`), then
//! `<E, W> >= -t <H, W> >= -t 2 UB / beta`; `t = max(0, -lambda_min(H^(-1/2) E H^(-1/2)))`. This
//! weighs the A (and B) block of `E` by `1/alpha`, which helps when the negative curvature of `E`
//! lives in the U, V blocks. Every candidate is a valid bound; the best over a small grid of
//! `alpha` (and the unweighted shift) is returned.
//!
//! **Floating point.** `lambda_min(E)` is computed by a symmetric eigensolver whose error is of
//! order `k eps ||E||_F`; we subtract `1e-12 k (1 + ||E||_F)` from it, and `||X||_2^2` is
//! inflated by a relative `1e-10`. The remaining arithmetic (inner products) has relative error
//! around `1e-15`; we subtract `1e-12 (1 + |LB|)` from the final value. This is not interval
//! arithmetic; within those (generous) margins the bound is valid.
//!
//! `certified` is false (and the value must not be printed as a bound) when `beta <= 0`, when
//! `z` has the wrong length or non-finite entries, or when any computed quantity is not finite.

use crate::backend::ConicSolution;
use crate::conic::{csc, dot, smat, Cone, Triangle};
use crate::formulation::sdp::CompiledSdp;
use crate::network::Network;
use serde::Serialize;
use std::fmt;

/// The numbers that make up a [`CertifiedBound`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct BoundDetails {
    /// `-1/2 ||g_r||^2 - b_o' z_o` (the bound before the eigenvalue shift).
    pub lagrangian_value: f64,
    /// `lambda_min(E)` (after the floating-point margin).
    pub lambda_min: f64,
    /// The trace bound `tau`.
    pub trace_bound: f64,
    /// The shift actually used (<= 0): `min(0, lambda_min) * tau`, or the weighted variant's
    /// `-t * 2 UB / beta` when that is better.
    pub shift: f64,
    /// The weight `alpha` of the weighted variant when it was used.
    pub weight_alpha: Option<f64>,
    /// The feasible objective `UB` used in `tau`.
    pub upper_bound_used: f64,
    /// `||X||_2^2` (with its margin).
    pub x_norm_sq: f64,
    /// The most negative nonnegative-cone dual entry before clipping (0 if none).
    pub clipped_negative_dual: f64,
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

const METHOD: &str = "repaired dual: nonneg duals clipped, PSD dual recomputed, eigenvalue shift times a trace bound (plain or block-weighted) from UB and beta";

fn uncertified(value: f64, why: &str) -> CertifiedBound {
    CertifiedBound { value, certified: false, method: format!("not certified: {why}"), details: BoundDetails::default() }
}

/// The certified lower bound from the dual of `solution` (see the module docs); `incumbents`
/// are networks whose objectives tighten `UB` (the zero network is always used).
///
/// Besides `incumbents`, the networks read off the primal solution by [`eigen_networks`] are
/// tried (any real network's objective is a valid `UB`; a small `UB` shrinks the trace bound).
pub fn certify_solution(compiled: &CompiledSdp, solution: &ConicSolution, incumbents: &[Network]) -> CertifiedBound {
    let mut nets = incumbents.to_vec();
    if let Ok(lambda) = compiled.lambda_from_x(&solution.x) {
        for net in eigen_networks(&lambda, compiled.layout.lift_blocks()) {
            if let Some(refit) = ridge_refit(&net, compiled.data_x(), compiled.data_y(), compiled.beta) {
                nets.push(refit);
            }
            nets.push(net);
        }
    }
    certify(compiled, &solution.z, &nets)
}

/// Networks read off a (near-)lifted matrix: for `Lambda ~ sum_k mu_k w_k w_k'` (eigenpairs,
/// `mu_k > 0`, decreasing), the network of the top `r` components has neurons
/// `u_k = sqrt(mu_k) w_k[U]`, `v_k = sqrt(mu_k) w_k[V]`, for `r = 1, 2, 4, ...` and all. Only
/// used as incumbents (upper bounds) for the certificate; not a rounding method.
pub fn eigen_networks(lambda: &nalgebra::DMatrix<f64>, blocks: crate::lift::LiftBlocks) -> Vec<Network> {
    let p = blocks.order();
    if lambda.nrows() != p || lambda.ncols() != p || lambda.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let sym = (lambda + lambda.transpose()) * 0.5;
    let eig = sym.symmetric_eigen();
    let mut order: Vec<usize> = (0..p).filter(|&k| eig.eigenvalues[k] > 0.0).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let mut out = Vec::new();
    let mut r = 1;
    while !order.is_empty() {
        let r_eff = r.min(order.len());
        let u = ndarray::Array2::from_shape_fn((blocks.d, r_eff), |(i, j)| eig.eigenvalues[order[j]].sqrt() * eig.eigenvectors[(blocks.u() + i, order[j])]);
        let v = ndarray::Array2::from_shape_fn((blocks.c, r_eff), |(i, j)| eig.eigenvalues[order[j]].sqrt() * eig.eigenvectors[(blocks.v() + i, order[j])]);
        out.push(Network { u, v });
        if r_eff == order.len() {
            break;
        }
        r *= 2;
    }
    out
}

/// The certified lower bound from any dual vector `z` (length = rows of the problem).
pub fn certify(compiled: &CompiledSdp, z: &[f64], incumbents: &[Network]) -> CertifiedBound {
    let problem = &compiled.problem;
    let layout = &compiled.layout;
    let beta = compiled.beta;
    if !(beta.is_finite() && beta > 0.0) {
        return uncertified(f64::NAN, "beta must be positive for the trace bound");
    }
    if z.len() != problem.num_rows() {
        return uncertified(f64::NAN, "dual vector has the wrong length");
    }
    if z.iter().any(|v| !v.is_finite()) {
        return uncertified(f64::NAN, "dual vector has non-finite entries");
    }
    // Upper bound UB: the zero network (1/2 ||Y||^2) and any incumbent.
    let y = compiled.data_y();
    let xmat = compiled.data_x();
    let mut ub = 0.5 * y.iter().map(|v| v * v).sum::<f64>();
    for net in incumbents {
        if net.u.nrows() != xmat.ncols() || net.v.nrows() != y.ncols() || net.u.ncols() != net.v.ncols() {
            continue;
        }
        let xa = ndarray::Array2::from_shape_fn((xmat.nrows(), xmat.ncols()), |(i, j)| xmat[(i, j)]);
        let ya = ndarray::Array2::from_shape_fn((y.nrows(), y.ncols()), |(i, j)| y[(i, j)]);
        let data = crate::data::Dataset::from_arrays(xa, ya, crate::data::TargetKind::Numeric, "certify");
        let obj = net.objective(&data, beta);
        if obj.is_finite() {
            ub = ub.min(obj);
        }
    }
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
    let Some((plo, phi)) = psd_range else { return uncertified(f64::NAN, "no PSD block") };
    // A' z_o (the PSD rows carry zero in zo).
    let atz = csc::mul_transpose(&problem.a, &zo);
    let nw = layout.svec_len();
    debug_assert_eq!(phi - plo, nw);
    let g_r = &atz[nw..];
    let e_vec: Vec<f64> = (0..nw).map(|t| problem.q[t] + atz[t]).collect();
    // r-part: P = I on r and q_r = 0.
    let lagrangian_value = -0.5 * dot(g_r, g_r) - dot(&problem.b, &zo);
    let e = smat(&e_vec, Triangle::Upper).expect("triangular");
    let k = e.nrows();
    let e_norm = e.norm();
    let lmin_raw = crate::conic::check::min_eigenvalue(e.clone());
    let lambda_min = lmin_raw - 1e-12 * k as f64 * (1.0 + e_norm);
    // ||X||_2^2 = lambda_max(X'X)
    let xtx = xmat.transpose() * xmat;
    let x_norm_sq = xtx.symmetric_eigenvalues().iter().cloned().fold(0.0, f64::max) * (1.0 + 1e-10) + 1e-12;
    let trace_bound = (1.0 + x_norm_sq) * 2.0 * ub / beta;
    let mut shift = lambda_min.min(0.0) * trace_bound;
    let mut weight_alpha = None;
    if shift < 0.0 {
        // Weighted variant (module docs): H = blockdiag(alpha I [A, and B for the full form],
        // I - alpha X'X [U], I [V]) has <H, W> <= 2 UB / beta; keep the best alpha.
        for theta in [0.05, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99] {
            let alpha = theta / x_norm_sq;
            if let Some(s) = weighted_shift(&e, &xtx, layout, alpha, 2.0 * ub / beta) {
                if s > shift {
                    shift = s;
                    weight_alpha = Some(alpha);
                }
            }
        }
    }
    let raw = lagrangian_value + shift;
    let value = raw - 1e-12 * (1.0 + raw.abs());
    let details = BoundDetails { lagrangian_value, lambda_min, trace_bound, shift, weight_alpha, upper_bound_used: ub, x_norm_sq, clipped_negative_dual: clipped };
    if !value.is_finite() {
        return CertifiedBound { value, certified: false, method: "not certified: non-finite result".into(), details };
    }
    CertifiedBound { value, certified: true, method: METHOD.into(), details }
}

/// The weighted shift `-t * h` with `E + t H` PSD, `H = blockdiag(alpha I, [alpha I,] I - alpha X'X, I)`
/// and `h >= <H, W>` (module docs), or `None` when `H` is not safely positive definite.
///
/// `t` is computed as `-lambda_min(D E D) / (1 - delta)` with `D ~ H^(-1/2)` and
/// `delta >= ||D H D - I||_2` measured (Frobenius norm), which makes the step rigorous even though
/// `D` is only a numerical inverse square root: `D (E + t H) D = D E D + t D H D` is PSD when
/// `lambda_min(D E D) + t (1 - delta) >= 0`.
fn weighted_shift(e: &nalgebra::DMatrix<f64>, xtx: &nalgebra::DMatrix<f64>, layout: &crate::formulation::sdp::SdpLayout, alpha: f64, h: f64) -> Option<f64> {
    use crate::formulation::sdp::SdpForm;
    use nalgebra::DMatrix;
    let (n, d, c) = (layout.n, layout.d, layout.c);
    let na = match layout.form {
        SdpForm::Reduced => n,
        SdpForm::Full => 2 * n,
    };
    let k = na + d + c;
    if e.nrows() != k || !(alpha > 0.0) {
        return None;
    }
    let hu = DMatrix::<f64>::identity(d, d) - xtx * alpha;
    let eig = hu.clone().symmetric_eigen();
    if eig.eigenvalues.iter().any(|&g| !(g > 1e-8)) {
        return None;
    }
    let inv_sqrt = DMatrix::from_diagonal(&eig.eigenvalues.map(|g| 1.0 / g.sqrt()));
    let du = &eig.eigenvectors * inv_sqrt * eig.eigenvectors.transpose();
    let mut dm = DMatrix::<f64>::zeros(k, k);
    let mut hm = DMatrix::<f64>::zeros(k, k);
    for i in 0..na {
        dm[(i, i)] = 1.0 / alpha.sqrt();
        hm[(i, i)] = alpha;
    }
    dm.view_mut((na, na), (d, d)).copy_from(&du);
    hm.view_mut((na, na), (d, d)).copy_from(&hu);
    for i in na + d..k {
        dm[(i, i)] = 1.0;
        hm[(i, i)] = 1.0;
    }
    let dhd = &dm * &hm * &dm;
    let delta = (dhd - DMatrix::<f64>::identity(k, k)).norm() + 1e-14 * k as f64;
    if delta >= 0.5 {
        return None;
    }
    let f = &dm * e * &dm;
    let f = (&f + f.transpose()) * 0.5;
    let f_norm = f.norm();
    let mu = crate::conic::check::min_eigenvalue(f) - 1e-12 * k as f64 * (1.0 + f_norm);
    let t = (-mu).max(0.0) / (1.0 - delta);
    let shift = -t * h;
    shift.is_finite().then_some(shift)
}

/// The network with the same first layer, the second layer refitted by ridge regression
/// (`V' = (H'H + beta I)^(-1) H'Y`, `H = s(X U)`, optimal for fixed `U` up to rescaling), then each
/// neuron rescaled to `||u_j|| = ||v_j||` (same outputs, smaller penalty). A real network.
pub fn ridge_refit(net: &Network, x: &nalgebra::DMatrix<f64>, y: &nalgebra::DMatrix<f64>, beta: f64) -> Option<Network> {
    use nalgebra::DMatrix;
    let (d, m) = net.u.dim();
    let u = DMatrix::from_fn(d, m, |i, j| net.u[(i, j)]);
    let h = (x * &u).map(|t| t.max(0.0));
    let gram = h.transpose() * &h + DMatrix::<f64>::identity(m, m) * beta;
    let vt = gram.cholesky()?.solve(&(h.transpose() * y)); // m x c
    let mut uo = net.u.clone();
    let mut vo = ndarray::Array2::zeros((y.ncols(), m));
    for j in 0..m {
        let nu = u.column(j).norm();
        let nv = vt.row(j).norm();
        let t = if nu > 0.0 && nv > 0.0 { (nv / nu).sqrt() } else { 1.0 };
        for i in 0..d {
            uo[(i, j)] = net.u[(i, j)] * t;
        }
        for k in 0..y.ncols() {
            vo[(k, j)] = vt[(j, k)] / t;
        }
    }
    let out = Network { u: uo, v: vo };
    out.u.iter().chain(out.v.iter()).all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Dataset, TargetKind};
    use crate::formulation::sdp::{compile, SdpForm};
    use crate::lift::{lift, LiftBlocks};
    use ndarray::array;

    #[test]
    fn eigen_network_of_a_rank_one_lift_has_the_same_objective() {
        let data = crate::data::synth::reference_1d();
        let net = Network { u: array![[1.3], [-0.4]], v: array![[0.8]] };
        let lambda = lift(&net, data.x.view());
        let nets = eigen_networks(&lambda, LiftBlocks { n: data.n(), d: data.d(), c: data.c() });
        let want = net.objective(&data, 0.1);
        let got = nets.first().expect("one network").objective(&data, 0.1);
        assert!((got - want).abs() < 1e-9 * (1.0 + want), "{got} vs {want}");
    }

    #[test]
    fn ridge_refit_never_worsens_a_balanced_objective_much_and_is_a_real_network() {
        let data = Dataset::from_arrays(array![[1.0, 0.5], [-0.3, 1.0], [0.7, -1.2], [0.1, 0.1]], array![[1.0], [0.0], [2.0], [0.5]], TargetKind::Numeric, "t");
        let net = Network { u: array![[1.0, -1.0], [0.5, 0.2]], v: array![[0.3, 0.9]] };
        let x = nalgebra::DMatrix::from_fn(4, 2, |i, j| data.x[(i, j)]);
        let y = nalgebra::DMatrix::from_fn(4, 1, |i, j| data.y[(i, j)]);
        let refit = ridge_refit(&net, &x, &y, 0.1).unwrap();
        assert_eq!(refit.u.dim(), (2, 2));
        // the ridge fit is optimal for fixed U with penalty beta/2 ||V||^2 and U's penalty fixed;
        // rebalancing only lowers the penalty
        assert!(refit.objective(&data, 0.1) <= net.objective(&data, 0.1) + 1e-12);
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
