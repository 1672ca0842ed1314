//! The paper's kernel baselines: kernel ridge regression with the NNGP and NTK kernels of an
//! infinitely wide one-hidden-layer ReLU network.
//!
//! Network: `f(x) = m^(-1/2) sum_j v_j s(w_j' x)` with `w_j ~ N(0, I_d)`, `v_j ~ N(0, 1)`, `s` the
//! ReLU. With `theta` the angle between `x` and `x'` (0 when either is zero), the closed forms
//! (Cho & Saul's arc-cosine kernels of degree 1 and 0) are
//!
//! ```text
//!     NNGP  K(x, x') = E_w[s(w'x) s(w'x')]          = |x| |x'| (sin theta + (pi - theta) cos theta) / (2 pi)
//!     NTK   T(x, x') = K(x, x') + x'x' E_w[1(w'x > 0) 1(w'x' > 0)]
//!                    = K(x, x') + (x . x') (pi - theta) / (2 pi)
//! ```
//!
//! (the NTK sums the second-layer gradient `s(w'x) / sqrt(m)`, giving `K`, and the first-layer
//! gradient `v_j 1(w_j'x > 0) x / sqrt(m)`, giving the second term, as `m -> infinity`).
//!
//! Kernel ridge regression on one-hot (or signed) targets `Y`: `A = (K + lambda I)^(-1) Y`,
//! prediction `K(x, X) A`, class = argmax (sign for c = 1). The ridge `lambda` is chosen on a
//! validation split of the **training** data only ([`KrrSettings`]): a seeded, stratified split
//! holding out `validation_fraction` (default 0.25) of the training rows; for each `lambda` in
//! `grid * tr(K) / n` (grid default `10^-6 .. 10^1`, 8 values) the model is fitted on the rest and
//! scored on the held-out rows by accuracy (ties broken by the squared error, then by the larger
//! `lambda`); the chosen `lambda` is then refitted on all training rows.

use crate::data::transform::train_test_split;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network::accuracy_of;
use crate::dense::matmul;
use nalgebra::{DMatrix, DMatrixView, DVectorView};
use serde::Serialize;
use std::f64::consts::PI;

/// The two kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Arc-cosine kernel of degree 1 (the NNGP of the ReLU layer).
    Nngp,
    /// NNGP plus the degree-0 arc-cosine term times `x . x'` (the NTK).
    Ntk,
}

impl Kernel {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Nngp => "nngp",
            Kernel::Ntk => "ntk",
        }
    }

    /// The kernel value for two points (module docs).
    pub fn eval(self, a: DVectorView<f64>, b: DVectorView<f64>) -> f64 {
        let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
        if na == 0.0 || nb == 0.0 {
            return 0.0;
        }
        let ab = a.dot(&b);
        let cos = (ab / (na * nb)).clamp(-1.0, 1.0);
        let th = cos.acos();
        let nngp = na * nb * (th.sin() + (PI - th) * cos) / (2.0 * PI);
        match self {
            Kernel::Nngp => nngp,
            Kernel::Ntk => nngp + ab * (PI - th) / (2.0 * PI),
        }
    }

    /// The matrix `K(A_i, B_j)` (rows of `a` against rows of `b`).
    pub fn matrix(self, a: DMatrixView<f64>, b: DMatrixView<f64>) -> DMatrix<f64> {
        // The points as contiguous columns.
        let (at, bt) = (a.transpose(), b.transpose());
        DMatrix::from_fn(a.nrows(), b.nrows(), |i, j| self.eval(at.column(i), bt.column(j)))
    }
}

/// Settings of [`fit`]; defaults in the module docs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KrrSettings {
    /// Fraction of the training rows held out to choose the ridge (default 0.25).
    pub validation_fraction: f64,
    /// Seed of the validation split (default 0).
    pub seed: u64,
    /// Candidate ridges relative to `tr(K) / n` (default 1e-6, 1e-5, ..., 10).
    pub grid: Vec<f64>,
}

impl Default for KrrSettings {
    fn default() -> Self {
        Self { validation_fraction: 0.25, seed: 0, grid: (0..8).map(|k| 10f64.powi(k - 6)).collect() }
    }
}

/// A fitted kernel ridge regression.
#[derive(Clone, Debug)]
pub struct KrrModel {
    pub kernel: Kernel,
    /// The chosen ridge (absolute).
    pub lambda: f64,
    /// Validation accuracy of every grid value, in grid order.
    pub validation_accuracy: Vec<f64>,
    /// Training inputs (n x d).
    pub x: DMatrix<f64>,
    /// Coefficients `A` (n x c).
    pub alpha: DMatrix<f64>,
}

impl KrrModel {
    /// Predictions `K(x, X) A` for the rows of `x`.
    pub fn predict(&self, x: DMatrixView<f64>) -> DMatrix<f64> {
        matmul(&self.kernel.matrix(x, self.x.as_view()), &self.alpha)
    }

    /// Classification accuracy on `data` (`None` for numeric targets).
    pub fn accuracy(&self, data: &Dataset) -> Option<f64> {
        accuracy_of(&self.predict(data.x.as_view()), data)
    }
}

/// Solves `(K + lambda I) A = Y` by Cholesky.
fn solve_ridge(k: &DMatrix<f64>, y: &DMatrix<f64>, lambda: f64) -> Result<DMatrix<f64>> {
    let n = k.nrows();
    let m = DMatrix::from_fn(n, n, |i, j| k[(i, j)] + if i == j { lambda } else { 0.0 });
    let chol = m.cholesky().ok_or_else(|| Error::Degenerate(format!("kernel ridge: K + {lambda:e} I is not positive definite")))?;
    Ok(chol.solve(y))
}

fn fit_fixed(kernel: Kernel, data: &Dataset, lambda: f64) -> Result<KrrModel> {
    let k = kernel.matrix(data.x.as_view(), data.x.as_view());
    let alpha = solve_ridge(&k, &data.y, lambda)?;
    Ok(KrrModel { kernel, lambda, validation_accuracy: Vec::new(), x: data.x.clone(), alpha })
}

/// Kernel ridge regression on the training data `train`, the ridge chosen on a validation split
/// of `train` (module docs). Needs class targets (signed or onehot).
pub fn fit(kernel: Kernel, train: &Dataset, s: &KrrSettings) -> Result<KrrModel> {
    if s.grid.is_empty() || s.grid.iter().any(|g| !(g.is_finite() && *g > 0.0)) {
        return Err(Error::InvalidArgument(format!("kernel ridge: the grid must be nonempty and positive, found {:?}", s.grid)));
    }
    let n = train.n();
    if n < 4 {
        return Err(Error::InvalidArgument(format!("kernel ridge: needs at least 4 training rows, found {n}")));
    }
    let bytes = n.checked_mul(n).and_then(|v| v.checked_mul(16));
    if bytes.map_or(true, |b| b > 8usize << 30) {
        return Err(Error::TooLarge(format!("kernel ridge on {n} rows needs two dense {n} x {n} matrices (more than 8 GiB)")));
    }
    let (fit_part, val) = train_test_split(train, s.validation_fraction, s.seed, true)?;
    if val.n() == 0 {
        return Err(Error::InvalidArgument(format!("kernel ridge: validation fraction {} leaves no validation rows", s.validation_fraction)));
    }
    let kf = kernel.matrix(fit_part.x.as_view(), fit_part.x.as_view());
    let kv = kernel.matrix(val.x.as_view(), fit_part.x.as_view());
    let scale = (0..kf.nrows()).map(|i| kf[(i, i)]).sum::<f64>() / kf.nrows() as f64;
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let mut best: Option<(f64, f64, f64)> = None; // (accuracy, -error, lambda)
    let mut accs = Vec::with_capacity(s.grid.len());
    for &g in &s.grid {
        let lambda = g * scale;
        let Ok(alpha) = solve_ridge(&kf, &fit_part.y, lambda) else {
            accs.push(f64::NAN);
            continue;
        };
        let pred = matmul(&kv, &alpha);
        let acc = accuracy_of(&pred, &val).ok_or_else(|| Error::InvalidArgument("kernel ridge needs class targets (signed or onehot)".into()))?;
        let err = crate::dense::sum_of_squares(&(&pred - &val.y));
        accs.push(acc);
        let key = (acc, -err, lambda);
        if best.map_or(true, |b| key.0 > b.0 || (key.0 == b.0 && (key.1 > b.1 || (key.1 == b.1 && key.2 > b.2)))) {
            best = Some(key);
        }
    }
    let (_, _, lambda) = best.ok_or_else(|| Error::Degenerate("kernel ridge: no ridge value gave a solvable system".into()))?;
    let mut model = fit_fixed(kernel, train, lambda)?;
    model.validation_accuracy = accs;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::dvector;

    #[test]
    fn closed_forms_at_special_angles() {
        let a = dvector![2.0, 0.0];
        // theta = 0: NNGP = |a|^2 / 2, NTK = |a|^2 / 2 + |a|^2 / 2
        assert!((Kernel::Nngp.eval(a.as_view(), a.as_view()) - 2.0).abs() < 1e-12);
        assert!((Kernel::Ntk.eval(a.as_view(), a.as_view()) - 4.0).abs() < 1e-12);
        // theta = pi/2: NNGP = |a||b| / (2 pi), second NTK term 0
        let b = dvector![0.0, 3.0];
        assert!((Kernel::Nngp.eval(a.as_view(), b.as_view()) - 6.0 / (2.0 * PI)).abs() < 1e-12);
        assert!((Kernel::Ntk.eval(a.as_view(), b.as_view()) - 6.0 / (2.0 * PI)).abs() < 1e-12);
        // theta = pi: both zero
        let c = dvector![-1.0, 0.0];
        assert!(Kernel::Nngp.eval(a.as_view(), c.as_view()).abs() < 1e-12);
        assert!(Kernel::Ntk.eval(a.as_view(), c.as_view()).abs() < 1e-12);
    }
}
