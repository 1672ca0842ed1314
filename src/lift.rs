//! The lift of a two-layer network into the completely positive program's matrix space
//! (Prakhya, Birdal & Yurtsever 2024; docs/background.md, section 2).
//!
//! Each neuron `(u_j, v_j)` becomes `z_j = (a_j, b_j, u_j, v_j)` with `a_j = s(X u_j)` and
//! `b_j = s(-X u_j)`, so that `X u_j = a_j - b_j`, `a_j, b_j >= 0`, `a_j o b_j = 0`. The lifted
//! matrix is `Lambda = sum_j z_j z_j'` of order `p = 2n + d + c`, with blocks in the order
//! **A (n), B (n), U (d), V (c)**. The network output is the block `Lambda_AV` (n x c) and
//! `||U||_F^2 + ||V||_F^2 = tr Lambda_UU + tr Lambda_VV`, so the CPP objective of the lift equals
//! the network's training objective. This is the oracle the relaxation tests use.

use crate::network::Network;
use nalgebra::{DMatrix, DMatrixView};

/// Block offsets of the lifted matrix: A at 0, B at n, U at 2n, V at 2n + d.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiftBlocks {
    /// Samples.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Outputs.
    pub c: usize,
}

impl LiftBlocks {
    /// Order `2n + d + c` of Lambda.
    pub fn order(&self) -> usize {
        2 * self.n + self.d + self.c
    }
    /// First row of the A block.
    pub fn a(&self) -> usize {
        0
    }
    /// First row of the B block.
    pub fn b(&self) -> usize {
        self.n
    }
    /// First row of the U block.
    pub fn u(&self) -> usize {
        2 * self.n
    }
    /// First row of the V block.
    pub fn v(&self) -> usize {
        2 * self.n + self.d
    }
}

/// The lifted vector `z_j` of neuron `j` (length `2n + d + c`).
pub fn lift_neuron(network: &Network, x: DMatrixView<f64>, j: usize) -> Vec<f64> {
    let (n, d, c) = (x.nrows(), network.u.nrows(), network.v.nrows());
    let u = network.u.column(j);
    // x_i' u, summed over the columns in order
    let mut xu = vec![0.0; n];
    for (col, &uj) in x.column_iter().zip(u.iter()) {
        xu.iter_mut().zip(col.iter()).for_each(|(s, a)| *s += a * uj);
    }
    let mut z = Vec::with_capacity(2 * n + d + c);
    z.extend(xu.iter().map(|t| t.max(0.0)));
    z.extend(xu.iter().map(|t| (-t).max(0.0)));
    z.extend(u.iter().copied());
    z.extend(network.v.column(j).iter().copied());
    z
}

/// `Lambda = sum_j z_j z_j'` for the network on data `x` (n x d).
pub fn lift(network: &Network, x: DMatrixView<f64>) -> DMatrix<f64> {
    let blocks = LiftBlocks { n: x.nrows(), d: network.u.nrows(), c: network.v.nrows() };
    let p = blocks.order();
    let mut lambda = DMatrix::zeros(p, p);
    for j in 0..network.width() {
        let z = DMatrix::from_vec(p, 1, lift_neuron(network, x, j));
        lambda += &z * z.transpose();
    }
    lambda
}

/// The CPP / SDP objective `1/2 ||Lambda_AV - Y||_F^2 + beta/2 (tr Lambda_UU + tr Lambda_VV)`.
pub fn lifted_objective(lambda: &DMatrix<f64>, blocks: LiftBlocks, y: DMatrixView<f64>, beta: f64) -> f64 {
    let mut loss = 0.0;
    for i in 0..blocks.n {
        for k in 0..blocks.c {
            let r = lambda[(blocks.a() + i, blocks.v() + k)] - y[(i, k)];
            loss += r * r;
        }
    }
    let tr_u: f64 = (0..blocks.d).map(|i| lambda[(blocks.u() + i, blocks.u() + i)]).sum();
    let tr_v: f64 = (0..blocks.c).map(|i| lambda[(blocks.v() + i, blocks.v() + i)]).sum();
    0.5 * loss + 0.5 * beta * (tr_u + tr_v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::reference_1d;
    use nalgebra::dmatrix;

    #[test]
    fn lift_objective_equals_network_objective() {
        let data = reference_1d();
        let net = Network { u: dmatrix![1.0, -0.5, 0.3; 0.2, 0.4, -1.0], v: dmatrix![0.7, -1.2, 0.5] };
        let lambda = lift(&net, data.x.as_view());
        let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
        let a = lifted_objective(&lambda, blocks, data.y.as_view(), 0.1);
        let b = net.objective(&data, 0.1);
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}
