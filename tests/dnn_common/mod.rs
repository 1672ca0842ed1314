//! Data shared by the `dnn` test files (tests/dnn.rs, tests/dnn_ipm.rs).
#![allow(dead_code)] // each test file uses a subset of the helpers

use convex_relu::data::{Dataset, TargetKind};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// An `r x c` matrix of standard normal draws.
pub fn gaussian(rng: &mut ChaCha8Rng, r: usize, c: usize) -> Array2<f64> {
    Array2::from_shape_fn((r, c), |_| StandardNormal.sample(rng))
}

/// Gaussian data whose last column is a bias (no two rows equal, none zero) and Gaussian targets.
pub fn random_data(seed: u64, n: usize, d: usize, c: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = gaussian(&mut rng, n, d);
    x.column_mut(d - 1).fill(1.0);
    Dataset::from_arrays(x, gaussian(&mut rng, n, c), TargetKind::Numeric, "random")
}

/// Asserts that `lb` lies below the objective of 30 random width-4 networks (drawn from `rng`) and
/// of a trained width-6 network on `data` at weight decay `beta`.
pub fn assert_below_networks(lb: f64, data: &Dataset, beta: f64, rng: &mut ChaCha8Rng) {
    for _ in 0..30 {
        let net = convex_relu::network::Network { u: gaussian(rng, data.d(), 4) * 0.7, v: gaussian(rng, data.c(), 4) * 0.7 };
        assert!(lb <= net.objective(data, beta) + 1e-12);
    }
    let trained = convex_relu::pipeline::baseline(data, beta, 6, 3, 500, 1).unwrap();
    assert!(lb <= trained + 1e-12, "{lb} vs trained {trained}");
}
