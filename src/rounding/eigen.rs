//! Networks read directly off a (near-)lifted matrix by its leading eigenvectors, and the ridge
//! refit of a network's second layer. They serve as incumbents (upper bounds `UB`) for the
//! certified lower bounds of [`crate::certify::sdp`]: any real network's objective is a valid
//! `UB`, and a small `UB` tightens the certificate.

use crate::network::Network;
use nalgebra::DMatrix;

/// Networks read off a (near-)lifted matrix: for `Lambda ~ sum_k mu_k w_k w_k'` (eigenpairs,
/// `mu_k > 0`, decreasing; each `w_k` oriented so that its A and B parts sum to >= 0), the network of the top `r` components has neurons
/// `u_k = sqrt(mu_k) w_k[U]`, `v_k = sqrt(mu_k) w_k[V]`, for `r = 1, 2, 4, ...` and all. Only
/// used as incumbents (upper bounds) for the certificate; not a rounding method.
pub fn eigen_networks(lambda: &DMatrix<f64>, blocks: crate::lift::LiftBlocks) -> Vec<Network> {
    let p = blocks.order();
    if lambda.nrows() != p || lambda.ncols() != p || lambda.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let sym = (lambda + lambda.transpose()) * 0.5;
    let hi = sym.norm() + 1.0;
    let Ok(eig) = crate::linalg::sym_eigen(&sym, crate::linalg::EigenRange::Values { lo: 0.0, hi }) else { return Vec::new() };
    let mut order: Vec<usize> = (0..eig.values.len()).filter(|&k| eig.values[k] > 0.0).collect();
    order.sort_by(|&a, &b| eig.values[b].total_cmp(&eig.values[a]));
    // Orientation: an eigenvector's sign is arbitrary, but a lifted neuron's A and B parts
    // (s(Xu), s(-Xu)) are nonnegative: flip each so that its A and B parts sum to >= 0.
    let sign: Vec<f64> = (0..eig.values.len())
        .map(|k| if (0..2 * blocks.n).map(|row| eig.vectors[(row, k)]).sum::<f64>() < 0.0 { -1.0 } else { 1.0 })
        .collect();
    let mut out = Vec::new();
    let mut r = 1;
    while !order.is_empty() {
        let r_eff = r.min(order.len());
        let u = DMatrix::from_fn(blocks.d, r_eff, |i, j| sign[order[j]] * eig.values[order[j]].sqrt() * eig.vectors[(blocks.u() + i, order[j])]);
        let v = DMatrix::from_fn(blocks.c, r_eff, |i, j| sign[order[j]] * eig.values[order[j]].sqrt() * eig.vectors[(blocks.v() + i, order[j])]);
        out.push(Network { u, v });
        if r_eff == order.len() {
            break;
        }
        r *= 2;
    }
    out
}

/// The network with the same first layer, the second layer refitted by ridge regression
/// (`V' = (H'H + beta I)^(-1) H'Y`, `H = s(X U)`, optimal for fixed `U` up to rescaling), then each
/// neuron rescaled to `||u_j|| = ||v_j||` (same outputs, smaller penalty). A real network.
pub fn ridge_refit(net: &Network, x: &DMatrix<f64>, y: &DMatrix<f64>, beta: f64) -> Option<Network> {
    let (d, m) = net.u.shape();
    let u = &net.u;
    let h = (x * u).map(|t| t.max(0.0));
    let gram = h.transpose() * &h + DMatrix::<f64>::identity(m, m) * beta;
    let vt = gram.cholesky()?.solve(&(h.transpose() * y)); // m x c
    let mut uo = net.u.clone();
    let mut vo = DMatrix::zeros(y.ncols(), m);
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
    use crate::lift::{lift, LiftBlocks};
    use nalgebra::dmatrix;

    #[test]
    fn eigen_network_of_a_rank_one_lift_has_the_same_objective() {
        let data = crate::data::synth::reference_1d();
        let net = Network { u: dmatrix![1.3; -0.4], v: dmatrix![0.8] };
        let lambda = lift(&net, data.x.as_view());
        let nets = eigen_networks(&lambda, LiftBlocks { n: data.n(), d: data.d(), c: data.c() });
        let want = net.objective(&data, 0.1);
        let got = nets.first().expect("one network").objective(&data, 0.1);
        assert!((got - want).abs() < 1e-9 * (1.0 + want), "{got} vs {want}");
    }

    #[test]
    fn ridge_refit_never_worsens_a_balanced_objective_much_and_is_a_real_network() {
        let data = Dataset::from_arrays(dmatrix![1.0, 0.5; -0.3, 1.0; 0.7, -1.2; 0.1, 0.1], dmatrix![1.0; 0.0; 2.0; 0.5], TargetKind::Numeric, "t");
        let net = Network { u: dmatrix![1.0, -1.0; 0.5, 0.2], v: dmatrix![0.3, 0.9] };
        let refit = ridge_refit(&net, &data.x, &data.y, 0.1).unwrap();
        assert_eq!(refit.u.shape(), (2, 2));
        // the ridge fit is optimal for fixed U with penalty beta/2 ||V||^2 and U's penalty fixed;
        // rebalancing only lowers the penalty
        assert!(refit.objective(&data, 0.1) <= net.objective(&data, 0.1) + 1e-12);
    }
}
