//! Data and references shared by the `dnn` test files (tests/dnn.rs, tests/dnn_ipm.rs,
//! tests/dnn_ssnal.rs).
#![allow(dead_code)] // each test file uses a subset of the helpers

use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::certify::sdp::certify_solution;
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::formulation::sdp::{compile, SdpForm};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// An `r x c` matrix of standard normal draws, drawn row by row.
pub fn gaussian(rng: &mut ChaCha8Rng, r: usize, c: usize) -> DMatrix<f64> {
    DMatrix::from_row_iterator(r, c, (0..r * c).map(|_| StandardNormal.sample(rng)))
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

/// Clarabel's status, value and certified bound on the reduced relaxation of `data` (the
/// independent reference of the `dnn` tests).
pub fn clarabel_reference(data: &Dataset, beta: f64) -> (Status, f64, f64) {
    let comp = compile(data, beta, SdpForm::Reduced).unwrap();
    let sol = backend::solve(&comp.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    let lb = certify_solution(&comp, &sol, &[]);
    assert!(lb.certified);
    (sol.status, sol.primal_objective, lb.value)
}

/// [`clarabel_reference`] for instances Clarabel must solve: its value and certified bound.
pub fn clarabel(data: &Dataset, beta: f64) -> (f64, f64) {
    let (status, value, lb) = clarabel_reference(data, beta);
    assert!(status.has_solution(), "clarabel {status}");
    (value, lb)
}
