//! Three-operator-splitting (Davis-Yin) factorisation rounding: the comparison method of the
//! reference code (Prakhya, Birdal & Yurtsever 2024; docs/background.md, section 3).
//!
//! Fit `W W' ~ Lambda` with `W` (p x R, one column per neuron, rows in the lift's block order
//! A, B, U, V) over the set `{ M W = 0 } ∩ C`, where `M = [-I_n, I_n, X, 0]` (so that
//! `X u = a - b` for every column) and `C = { W_A >= 0, W_B >= 0, W_A o W_B = 0 }`:
//!
//! ```text
//!     min_W  h(W) = 1/4 || W W' - Lambda ||_F^2 + i_{MW = 0}(W) + i_C(W),
//!     grad h(W) = (W W' - Lambda) W.
//! ```
//!
//! Iteration (Davis-Yin with relaxation 1; `P_M` the orthogonal projector onto `M W = 0`,
//! `P_M(Z) = Z - M' (M M')^(-1) M Z` with `M M' = 2 I + X X'` factored once by Cholesky;
//! `Pi_C` the projection onto `C`, applied to each pair `(a_i, b_i)` of each column: keep
//! `(max(a_i, 0), 0)` if `a_i >= b_i`, else `(0, max(b_i, 0))`, which is the nearest point of
//! `{a, b >= 0, a b = 0}`; `C` is not convex, so this is a heuristic):
//!
//! ```text
//!     W_g = P_M(Z)
//!     W_f = Pi_C(2 W_g - Z - gamma * grad h(W_g))
//!     Z   = Z + (W_f - W_g)
//! ```
//!
//! Start: `Z_0 = Q_R sqrt(Lambda_R) + sigma * sqrt(lambda_max / p) * G` (top-R eigenpairs,
//! `G` standard Gaussian from the seeded ChaCha8 stream, `sigma` = [`TosRounding::init_noise`]).
//! Default step `gamma = 0.5 / lambda_max(Lambda)` (the gradient's Lipschitz constant near a
//! factorisation is about `3 lambda_max`). The network is read off `W_g`: `U = W_U` (d x R),
//! `V = W_V` (c x R). Every [`TosRounding::check_every`] iterations (and at the end) its honest
//! training objective is evaluated and the best network seen is returned: selection uses the
//! training objective only.

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::lift::LiftBlocks;
use crate::network::Network;
use nalgebra::{Cholesky, DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Settings of the three-operator-splitting rounding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TosRounding {
    /// Rank R (columns of W = neurons); `None` (default): the numerical rank of Lambda
    /// (eigenvalues above 1e-6 of the largest), capped at `n c + 1`.
    pub rank: Option<usize>,
    /// Iterations (default 3000).
    pub iterations: usize,
    /// Step gamma; `None` (default): `0.5 / lambda_max(Lambda)`.
    pub step: Option<f64>,
    /// Relative scale of the Gaussian perturbation of the start (default 0.1).
    pub init_noise: f64,
    /// Seed of the start's perturbation (default 0).
    pub seed: u64,
    /// Evaluate the read-off network every this many iterations (default 10).
    pub check_every: usize,
}

impl Default for TosRounding {
    fn default() -> Self {
        Self { rank: None, iterations: 3000, step: None, init_noise: 0.1, seed: 0, check_every: 10 }
    }
}

impl TosRounding {
    /// Rejects zero rank/iterations/check interval and non-positive steps.
    pub fn validate(&self) -> Result<()> {
        if self.rank == Some(0) {
            return Err(Error::InvalidArgument("tos rounding: rank must be at least 1".into()));
        }
        if self.iterations == 0 || self.check_every == 0 {
            return Err(Error::InvalidArgument("tos rounding: iterations and check_every must be at least 1".into()));
        }
        if let Some(s) = self.step {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::InvalidArgument(format!("tos rounding: step must be positive, found {s}")));
            }
        }
        if !(self.init_noise.is_finite() && self.init_noise >= 0.0) {
            return Err(Error::InvalidArgument(format!("tos rounding: init_noise must be >= 0, found {}", self.init_noise)));
        }
        Ok(())
    }
}

/// Outcome of [`tos_rounding`].
#[derive(Clone, Debug)]
pub struct TosOutcome {
    /// Best network seen (by training objective).
    pub network: Network,
    /// Its training objective.
    pub objective: f64,
    /// Training objective of the network read off the last iterate.
    pub final_objective: f64,
    /// `||W W' - Lambda||_F / ||Lambda||_F` at the last iterate `W_g`.
    pub final_residual: f64,
    /// `||W_f - W_g||_F / ||W_g||_F` at the last iteration (0 when both constraint sets hold).
    pub final_gap: f64,
    /// Rank R used.
    pub rank: usize,
    /// Step gamma used.
    pub step: f64,
}

struct Projector {
    x: DMatrix<f64>,
    chol: Cholesky<f64, nalgebra::Dyn>,
    blocks: LiftBlocks,
}

impl Projector {
    fn new(x: DMatrix<f64>, blocks: LiftBlocks) -> Result<Self> {
        let mmt = DMatrix::<f64>::identity(blocks.n, blocks.n) * 2.0 + &x * x.transpose();
        let chol = Cholesky::new(mmt).ok_or_else(|| Error::Degenerate("2I + XX' is not positive definite (non-finite data?)".into()))?;
        Ok(Self { x, chol, blocks })
    }

    /// `Z - M' (MM')^-1 M Z`.
    fn project(&self, z: &DMatrix<f64>) -> DMatrix<f64> {
        let b = self.blocks;
        let (n, d) = (b.n, b.d);
        let za = z.rows(b.a(), n);
        let zb = z.rows(b.b(), n);
        let zu = z.rows(b.u(), d);
        let mz = -za + zb + &self.x * zu;
        let y = self.chol.solve(&mz);
        let mut out = z.clone();
        let xty = self.x.transpose() * &y;
        {
            let mut oa = out.rows_mut(b.a(), n);
            oa += &y;
        }
        {
            let mut ob = out.rows_mut(b.b(), n);
            ob -= &y;
        }
        {
            let mut ou = out.rows_mut(b.u(), d);
            ou -= &xty;
        }
        out
    }
}

fn project_c(w: &mut DMatrix<f64>, b: LiftBlocks) {
    for col in 0..w.ncols() {
        for i in 0..b.n {
            let (a, bb) = (w[(b.a() + i, col)], w[(b.b() + i, col)]);
            if a >= bb {
                w[(b.a() + i, col)] = a.max(0.0);
                w[(b.b() + i, col)] = 0.0;
            } else {
                w[(b.a() + i, col)] = 0.0;
                w[(b.b() + i, col)] = bb.max(0.0);
            }
        }
    }
}

fn read_network(w: &DMatrix<f64>, b: LiftBlocks) -> Network {
    Network {
        u: w.rows(b.u(), b.d).into_owned(),
        v: w.rows(b.v(), b.c).into_owned(),
    }
}

/// TOS rounding of `lambda` on the training data `data` (module docs).
pub fn tos_rounding(lambda: &DMatrix<f64>, data: &Dataset, beta: f64, s: &TosRounding) -> Result<TosOutcome> {
    s.validate()?;
    let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
    let p = blocks.order();
    let sym = (lambda + lambda.transpose()) * 0.5;
    let eig = SymmetricEigen::new(sym.clone());
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[j].total_cmp(&eig.eigenvalues[i]));
    let lmax = eig.eigenvalues[order[0]].max(0.0);
    if lmax.is_nan() || lmax <= 0.0 {
        return Err(Error::Degenerate("tos rounding: Lambda has no positive eigenvalue".into()));
    }
    let rank = s.rank.unwrap_or_else(|| {
        let numerical = order.iter().filter(|&&i| eig.eigenvalues[i] > 1e-6 * lmax).count();
        numerical.min(blocks.n * blocks.c + 1).max(1)
    });
    let step = s.step.unwrap_or(0.5 / lmax);
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let noise = s.init_noise * (lmax / p as f64).sqrt();
    let mut z = DMatrix::from_fn(p, rank, |i, j| {
        let base = if j < p { eig.eigenvectors[(i, order[j])] * eig.eigenvalues[order[j]].max(0.0).sqrt() } else { 0.0 };
        let g: f64 = StandardNormal.sample(&mut rng);
        base + noise * g
    });
    let xm = data.x.clone();
    let proj = Projector::new(xm, blocks)?;

    let mut best: Option<(Network, f64)> = None;
    let consider = |w: &DMatrix<f64>, best: &mut Option<(Network, f64)>| -> f64 {
        let net = read_network(w, blocks);
        let obj = net.objective(data, beta);
        if obj.is_finite() && best.as_ref().map_or(true, |(_, b)| obj < *b) {
            *best = Some((net, obj));
        }
        obj
    };
    let mut wg = proj.project(&z);
    let mut gap = 0.0;
    for it in 0..s.iterations {
        wg = proj.project(&z);
        let grad = &wg * (wg.transpose() * &wg) - &sym * &wg;
        let mut wf = &wg * 2.0 - &z - grad * step;
        project_c(&mut wf, blocks);
        let diff = &wf - &wg;
        gap = diff.norm() / wg.norm().max(f64::MIN_POSITIVE);
        z += diff;
        if !z.iter().all(|e| e.is_finite()) {
            return Err(Error::Degenerate(format!("tos rounding diverged at iteration {it} (step {step:e} too large?)")));
        }
        if it % s.check_every == 0 {
            consider(&wg, &mut best);
        }
    }
    let final_objective = consider(&wg, &mut best);
    let residual = (&wg * wg.transpose() - &sym).norm() / sym.norm();
    let (network, objective) = best.expect("at least one evaluation");
    Ok(TosOutcome { network, objective, final_objective, final_residual: residual, final_gap: gap, rank, step })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lift::lift;
    use nalgebra::dmatrix;

    #[test]
    fn projector_maps_onto_the_constraint_and_is_idempotent() {
        let xm = dmatrix![1.0, 0.5; -0.3, 2.0; 0.7, -1.1];
        let blocks = LiftBlocks { n: 3, d: 2, c: 1 };
        let proj = Projector::new(xm.clone(), blocks).unwrap();
        let z = DMatrix::from_fn(blocks.order(), 2, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
        let w = proj.project(&z);
        let mw = -w.rows(0, 3) + w.rows(3, 3) + &xm * w.rows(6, 2);
        assert!(mw.norm() < 1e-12, "{mw}");
        assert!((proj.project(&w) - &w).norm() < 1e-12);
        // Orthogonality: <z - Pz, Pz> = 0.
        assert!((&z - &w).dot(&w).abs() < 1e-10);
    }

    #[test]
    fn exact_factor_of_a_lift_is_a_fixed_point() {
        let data = crate::data::synth::reference_1d();
        let net = crate::network::Network { u: dmatrix![1.0, -0.7; 0.2, 0.3], v: dmatrix![0.9, -0.4] };
        let l = lift(&net, data.x.as_view());
        let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
        let w = DMatrix::from_fn(blocks.order(), 2, |i, j| crate::lift::lift_neuron(&net, data.x.as_view(), j)[i]);
        let proj = Projector::new(data.x.clone(), blocks).unwrap();
        assert!((proj.project(&w) - &w).norm() < 1e-12);
        let mut wc = w.clone();
        project_c(&mut wc, blocks);
        assert_eq!(wc, w);
        assert!((&w * w.transpose() - l).norm() < 1e-12);
    }
}
