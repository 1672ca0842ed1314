//! Seeded synthetic data sets. Every generator is deterministic for its seed
//! (`ChaCha8Rng::seed_from_u64(seed)`), independent of platform and thread.
//!
//! - [`reference_1d`]: the deterministic 1-D reference set of docs/background.md, section 6.
//! - [`planted_relu`]: Gaussian features `x_i ~ N(0, I_d)` and targets from a planted ReLU
//!   teacher `Y = s(X U*) V*' + sigma E` (vector output, c >= 1) with `U*_{kj} ~ N(0, 1/d)`,
//!   `V*_{kj} ~ N(0, 1/m)` and `E` standard Gaussian noise.
//! - [`gaussian`]: Gaussian features with Gaussian numeric targets (no structure).
//! - [`spirals`]: k interleaved spiral arms in the plane (2-D features, onehot targets).

use super::{Dataset, TargetKind};
use crate::error::{Error, Result};
use crate::network::Network;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The deterministic 1-D reference set of docs/background.md, section 6: n = 8, x_i = -1 + 2i/7,
/// X = [x, 1] (bias column), y_i = sin(3 x_i). At beta = 0.1 the global optimum is 0.71707776.
pub fn reference_1d() -> Dataset {
    let n = 8;
    let mut x = DMatrix::zeros(n, 2);
    let mut y = DMatrix::zeros(n, 1);
    for i in 0..n {
        let xi = -1.0 + 2.0 * i as f64 / 7.0;
        x[(i, 0)] = xi;
        x[(i, 1)] = 1.0;
        y[(i, 0)] = (3.0 * xi).sin();
    }
    let mut data = Dataset::from_arrays(x, y, TargetKind::Numeric, "reference-1d (docs/background.md, section 6)");
    data.feature_names = vec!["x".into(), "bias".into()];
    data
}

/// A `rows x cols` matrix of `N(0, sd^2)` draws, drawn row by row.
fn gauss_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize, sd: f64) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows, cols, (0..rows * cols).map(|_| sd * rng.sample::<f64, _>(StandardNormal)))
}

/// Gaussian features `X ~ N(0, 1)^(n x d)` and Gaussian numeric targets `Y ~ N(0, 1)^(n x c)`.
pub fn gaussian(n: usize, d: usize, c: usize, seed: u64) -> Result<Dataset> {
    if n == 0 || d == 0 || c == 0 {
        return Err(Error::InvalidArgument(format!("gaussian data needs n, d, c >= 1, found n={n}, d={d}, c={c}")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = gauss_matrix(&mut rng, n, d, 1.0);
    let y = gauss_matrix(&mut rng, n, c, 1.0);
    Ok(Dataset::from_arrays(x, y, TargetKind::Numeric, format!("gaussian(n={n}, d={d}, c={c}, seed={seed})")))
}

/// Gaussian features and targets from a planted teacher network of width `width` and output
/// dimension `c` (see the module docs), plus additive Gaussian noise of standard deviation
/// `noise`. Returns the data set and the teacher network.
pub fn planted_relu(n: usize, d: usize, width: usize, c: usize, noise: f64, seed: u64) -> Result<(Dataset, Network)> {
    if n == 0 || d == 0 || c == 0 || width == 0 {
        return Err(Error::InvalidArgument(format!(
            "planted ReLU data needs n, d, width, c >= 1, found n={n}, d={d}, width={width}, c={c}"
        )));
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::InvalidArgument(format!("noise must be finite and >= 0, found {noise}")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = gauss_matrix(&mut rng, n, d, 1.0);
    let u = gauss_matrix(&mut rng, d, width, (1.0 / d as f64).sqrt());
    let v = gauss_matrix(&mut rng, c, width, (1.0 / width as f64).sqrt());
    let teacher = Network { u, v };
    let mut y = teacher.predict(x.as_view());
    if noise > 0.0 {
        y += &gauss_matrix(&mut rng, n, c, noise);
    }
    let data = Dataset::from_arrays(
        x,
        y,
        TargetKind::Numeric,
        format!("planted-relu(n={n}, d={d}, width={width}, c={c}, noise={noise}, seed={seed})"),
    );
    Ok((data, teacher))
}

/// `k` interleaved spirals with `n` points in total (class j gets `n / k` points, the first
/// `n % k` classes one more). For class j and the t-th of its `n_j` points,
/// `r = t / max(n_j - 1, 1)`, `theta = 4 (j + r) + noise * N(0, 1)` (radians), and the point is
/// `r (sin theta, cos theta)`. Targets are onehot with classes named `0`..`k-1`.
pub fn spirals(n: usize, k: usize, noise: f64, seed: u64) -> Result<Dataset> {
    if k < 2 || n < k {
        return Err(Error::InvalidArgument(format!("spirals need k >= 2 classes and n >= k points, found n={n}, k={k}")));
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::InvalidArgument(format!("noise must be finite and >= 0, found {noise}")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = DMatrix::zeros(n, 2);
    let mut y = DMatrix::zeros(n, k);
    let mut i = 0;
    for j in 0..k {
        let nj = n / k + usize::from(j < n % k);
        for t in 0..nj {
            let r = t as f64 / (nj.max(2) - 1) as f64;
            let theta = 4.0 * (j as f64 + r) + noise * rng.sample::<f64, _>(StandardNormal);
            x[(i, 0)] = r * theta.sin();
            x[(i, 1)] = r * theta.cos();
            y[(i, j)] = 1.0;
            i += 1;
        }
    }
    let mut data = Dataset::from_arrays(x, y, TargetKind::Onehot, format!("spirals(n={n}, k={k}, noise={noise}, seed={seed})"));
    data.class_names = (0..k).map(|j| j.to_string()).collect();
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_shaped() {
        let (a, ta) = planted_relu(30, 4, 3, 2, 0.0, 5).unwrap();
        let (b, tb) = planted_relu(30, 4, 3, 2, 0.0, 5).unwrap();
        assert_eq!(a.x, b.x);
        assert_eq!(a.y, b.y);
        assert_eq!(ta, tb);
        assert_eq!((a.n(), a.d(), a.c(), ta.width()), (30, 4, 2, 3));
        // noiseless targets are exactly the teacher's output
        assert_eq!(a.y, ta.predict(a.x.as_view()));
        let (c, _) = planted_relu(30, 4, 3, 2, 0.0, 6).unwrap();
        assert_ne!(a.x, c.x);

        let s = spirals(61, 3, 0.2, 1).unwrap();
        assert_eq!((s.n(), s.d(), s.c()), (61, 2, 3));
        assert_eq!(s.target_kind, TargetKind::Onehot);
        assert!(s.y.row_iter().all(|r| r.sum() == 1.0));
        let counts: Vec<f64> = (0..3).map(|j| s.y.column(j).sum()).collect();
        assert_eq!(counts, vec![21.0, 20.0, 20.0]);
        assert_eq!(s.x, spirals(61, 3, 0.2, 1).unwrap().x);
        assert!(s.x.iter().all(|v| v.abs() <= 1.0));

        let g = gaussian(10, 3, 1, 0).unwrap();
        assert_eq!(g.x, gaussian(10, 3, 1, 0).unwrap().x);
        assert!(planted_relu(0, 1, 1, 1, 0.0, 0).is_err());
        assert!(spirals(5, 1, 0.0, 0).is_err());
    }
}
