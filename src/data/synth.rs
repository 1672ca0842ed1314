//! Seeded synthetic data sets.

use super::{Dataset, TargetKind};
use ndarray::Array2;

/// The deterministic 1-D reference set of SPEC section 6: n = 8, x_i = -1 + 2i/7,
/// X = [x, 1] (bias column), y_i = sin(3 x_i). At beta = 0.1 the global optimum is 0.71707776.
pub fn reference_1d() -> Dataset {
    let n = 8;
    let mut x = Array2::zeros((n, 2));
    let mut y = Array2::zeros((n, 1));
    for i in 0..n {
        let xi = -1.0 + 2.0 * i as f64 / 7.0;
        x[(i, 0)] = xi;
        x[(i, 1)] = 1.0;
        y[(i, 0)] = (3.0 * xi).sin();
    }
    let mut data = Dataset::from_arrays(x, y, TargetKind::Numeric, "reference-1d (SPEC section 6)");
    data.feature_names = vec!["x".into(), "bias".into()];
    data
}
