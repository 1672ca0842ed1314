//! Randomized Gaussian rounding with an exact convex refit (docs/background.md, section 3; the toolkit's
//! primary rounding).
//!
//! 1. Factor the (symmetrised) PSD solution: `Lambda = Q diag(lambda) Q'` (LAPACK, positive
//!    part of the spectrum, [`crate::linalg::sym_eigen`]), clip negative eigenvalues, `L = Q diag(sqrt(max(lambda, 0)))`.
//!    Eigenvalues at or below `1e-12 * max(lambda)` are treated as zero (their columns of `L`
//!    are dropped; this changes a sample by at most 1e-6 of its typical size).
//! 2. Draw `K` samples `xi = L g`, `g ~ N(0, I)` (ChaCha8, seeded): each is a
//!    Goemans-Williamson-style sample of a lifted neuron `z = (a, b, u, v)`, whose covariance is
//!    `Lambda` (clipped).
//! 3. Signs: `xi` and `-xi` are equally likely. By default ([`GaussianRounding::both_signs`])
//!    both `u` and `-u` enter the refit (the refit chooses). Otherwise each sample is oriented
//!    like a true lifted neuron, whose `a, b` parts are nonnegative: flipped, if needed, to make
//!    `1'(xi_A + xi_B) >= 0` (this recovers the neuron exactly from a rank-one lift). Measured on
//!    the lift of a near-optimal width-4 network on the docs/background.md, section 6 set (p* = 0.717078):
//!    oriented, 100 / 400 samples: 0.7392 / 0.7220; both signs, 100 / 400 samples: 0.7209 /
//!    0.7206, so both signs are better even at an equal number of refit columns.
//! 4. The U part (rows 2n .. 2n + d) is the candidate direction; directions with norm at or below
//!    `1e-9 * sqrt(tr (L L')_UU)` (the root-mean-square sample norm) are dropped, the rest
//!    normalised.
//! 5. All directions of one repetition are refitted at once by the group lasso
//!    ([`super::refit`]); with `repetitions = R > 1` this is repeated with fresh samples from the
//!    same seeded stream and the network with the smallest **training** objective is kept.
//!
//! Default number of samples: `max(100, min(2 (n + d + c), 4e6 / (2 n c)))`, resolved from the
//! data; the second term ([`REFIT_NONZEROS`]) keeps the refit's constraint matrix, which has
//! `2 K n c` nonzeros, below four million (it binds only on large multi-class sets: 200 samples
//! for n = 1000, c = 10, where `2 q` would give a matrix of 41 million nonzeros whose ordering
//! alone took Clarabel minutes). An optimal
//! network needs at most `n c + 1` neurons (docs/background.md, section 2); twice the order `q = n + d + c` of
//! the reduced lifted matrix gives every direction of its range several draws, and the floor of
//! 100 matters for tiny sets (on the docs/background.md, section 6 set, 22 samples gave 0.7504, 100 gave
//! 0.7209, p* = 0.7171). The group lasso has `2K (c + 1)` SOC rows (both signs) plus `n c`
//! equalities: milliseconds for K in the hundreds.

use super::refit::{refit, Refit, RefitSettings};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::lift::LiftBlocks;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Budget of nonzeros of the refit's constraint matrix that the default number of samples
/// respects: `2 K` columns (both signs) times the `n c` residual rows.
pub const REFIT_NONZEROS: usize = 4_000_000;

/// Settings of the Gaussian rounding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianRounding {
    /// Samples per repetition; `None` (default) means `max(100, min(2 (n + d + c), 4e6 / (2 n c)))`.
    pub samples: Option<usize>,
    /// Independent repetitions (best training objective kept); default 1.
    pub repetitions: usize,
    /// Seed of the ChaCha8 stream; default 0.
    pub seed: u64,
    /// Refit on both `u` and `-u` of every sample instead of orienting it (default true).
    pub both_signs: bool,
}

impl Default for GaussianRounding {
    fn default() -> Self {
        Self { samples: None, repetitions: 1, seed: 0, both_signs: true }
    }
}

impl GaussianRounding {
    /// Samples per repetition for `blocks`: the explicit count, or
    /// `max(100, min(2 q, REFIT_NONZEROS / (2 n c)))` (module docs).
    pub fn samples_for(&self, blocks: LiftBlocks) -> usize {
        self.samples.unwrap_or_else(|| {
            let q = blocks.n.saturating_add(blocks.d).saturating_add(blocks.c);
            let per_sample = 2usize.saturating_mul(blocks.n).saturating_mul(blocks.c).max(1);
            q.saturating_mul(2).min(REFIT_NONZEROS / per_sample).max(100)
        })
    }

    /// Rejects zero samples or repetitions.
    pub fn validate(&self) -> Result<()> {
        if self.samples == Some(0) {
            return Err(Error::InvalidArgument("gaussian rounding: samples must be at least 1".into()));
        }
        if self.repetitions == 0 {
            return Err(Error::InvalidArgument("gaussian rounding: repetitions must be at least 1".into()));
        }
        Ok(())
    }
}

/// The parts of the clipped factor `L` the sampler needs.
pub struct Factor {
    /// U rows of `L` (d x r).
    pub lu: DMatrix<f64>,
    /// `1'(L_A + L_B)` (length r): the orientation functional.
    pub orient: Vec<f64>,
    /// Root-mean-square norm of the U part of a sample, `sqrt(tr (L L')_UU)`.
    pub rms_u: f64,
}

/// Factors `lambda` (order `blocks.order()`) as described in the module docs.
pub fn factor(lambda: &DMatrix<f64>, blocks: LiftBlocks) -> Factor {
    let sym = (lambda + lambda.transpose()) * 0.5;
    let hi = sym.norm() + 1.0;
    // LAPACK (positive part of the spectrum only); an eigensolver failure leaves no factor.
    let eig = crate::linalg::sym_eigen(&sym, crate::linalg::EigenRange::Values { lo: 0.0, hi })
        .unwrap_or_else(|_| crate::linalg::SymEigen { values: Vec::new(), vectors: DMatrix::zeros(sym.nrows(), 0) });
    let max = eig.values.iter().cloned().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..eig.values.len()).filter(|&i| eig.values[i] > 1e-12 * max && eig.values[i] > 0.0).collect();
    let r = keep.len();
    let mut lu = DMatrix::zeros(blocks.d, r);
    let mut orient = vec![0.0; r];
    for (j, &i) in keep.iter().enumerate() {
        let s = eig.values[i].sqrt();
        for row in 0..blocks.d {
            lu[(row, j)] = eig.vectors[(blocks.u() + row, i)] * s;
        }
        orient[j] = (0..2 * blocks.n).map(|row| eig.vectors[(row, i)]).sum::<f64>() * s;
    }
    let rms_u = lu.iter().map(|e| e * e).sum::<f64>().sqrt();
    Factor { lu, orient, rms_u }
}

/// Draws `k` samples and returns the candidate directions as columns (d x K', K' <= k, or
/// <= 2k with `both_signs`), unnormalised but oriented; near-zero ones are dropped.
pub fn sample_directions(f: &Factor, k: usize, both_signs: bool, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let (d, r) = (f.lu.nrows(), f.lu.ncols());
    let mut out: Vec<Vec<f64>> = Vec::new();
    let mut g = vec![0.0; r];
    for _ in 0..k {
        g.iter_mut().for_each(|e| *e = StandardNormal.sample(rng));
        let mut u: Vec<f64> = (0..d).map(|i| (0..r).map(|j| f.lu[(i, j)] * g[j]).sum()).collect();
        let nrm = u.iter().map(|e| e * e).sum::<f64>().sqrt();
        if nrm.is_nan() || nrm <= 1e-9 * f.rms_u {
            continue;
        }
        if both_signs {
            out.push(u.iter().map(|e| -e).collect());
        } else if f.orient.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
            u.iter_mut().for_each(|e| *e = -*e);
        }
        out.push(u);
    }
    DMatrix::from_fn(d, out.len(), |i, j| out[j][i])
}

/// Outcome of [`gaussian_rounding`].
#[derive(Clone, Debug)]
pub struct GaussianOutcome {
    /// The best refit (smallest training objective).
    pub best: Refit,
    /// Training objective of each repetition, in order.
    pub repetition_objectives: Vec<f64>,
    /// Samples drawn in total.
    pub samples_drawn: usize,
}

/// Gaussian rounding of `lambda` on the training data `data` (module docs).
pub fn gaussian_rounding(lambda: &DMatrix<f64>, data: &Dataset, beta: f64, g: &GaussianRounding, rs: &RefitSettings) -> Result<GaussianOutcome> {
    g.validate()?;
    let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
    let f = factor(lambda, blocks);
    let k = g.samples_for(blocks);
    let mut rng = ChaCha8Rng::seed_from_u64(g.seed);
    let mut best: Option<Refit> = None;
    let mut objs = Vec::with_capacity(g.repetitions);
    for _ in 0..g.repetitions {
        let dirs = sample_directions(&f, k, g.both_signs, &mut rng);
        let r = refit(data, dirs.as_view(), beta, rs)?;
        objs.push(r.objective);
        if best.as_ref().map_or(true, |b| r.objective < b.objective) {
            best = Some(r);
        }
    }
    Ok(GaussianOutcome { best: best.expect("repetitions >= 1"), repetition_objectives: objs, samples_drawn: k * g.repetitions })
}
