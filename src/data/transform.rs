//! Transforms of a [`Dataset`]: column standardisation, a bias column and seeded splits.
//!
//! - Standardisation: `x_ij <- (x_ij - mean_j) / sd_j` with the mean and the population standard
//!   deviation `sd_j = sqrt(1/n sum_i (x_ij - mean_j)^2)` of the **training** rows only
//!   ([`Standardizer::fit`]); the same statistics are applied to test rows
//!   ([`Standardizer::apply`]). A constant column (`sd_j <= 1e-12 (1 + |mean_j|)`) is centred
//!   and not scaled (its scale is 1).
//! - Bias: [`append_bias`] appends a column of ones named `bias` (apply it after
//!   standardising, or the ones are centred to zero).
//! - Split: [`train_test_split`] shuffles the rows with `ChaCha8Rng::seed_from_u64(seed)`
//!   (optionally within each class: stratified) and puts `round(test_fraction * n)` rows
//!   (per class when stratified) into the test part; both parts keep the original row order.

use super::{Dataset, TargetKind};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Per-column statistics for standardisation (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Column means of the training rows.
    pub mean: Array1<f64>,
    /// Column scales: the population standard deviation, or 1 for a constant column.
    pub scale: Array1<f64>,
}

impl Standardizer {
    /// Statistics of the columns of `x` (the training rows). Errors on an empty matrix.
    pub fn fit(x: ArrayView2<f64>) -> Result<Standardizer> {
        let n = x.nrows();
        if n == 0 {
            return Err(Error::InvalidArgument("cannot standardise a data set with no rows".into()));
        }
        // Each column is divided by its largest magnitude first, so that sums and squares of
        // huge entries (up to f64::MAX) cannot overflow; the statistics are scaled back after.
        let mut mean = Array1::zeros(x.ncols());
        let mut scale = Array1::ones(x.ncols());
        for j in 0..x.ncols() {
            let col = x.column(j);
            if let Some(v) = col.iter().find(|v| !v.is_finite()) {
                return Err(Error::InvalidArgument(format!("cannot standardise column {}: it holds the non-finite value {v}", j + 1)));
            }
            let big = col.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            if big == 0.0 {
                continue;
            }
            let m = col.iter().map(|v| v / big).sum::<f64>() / n as f64;
            let var = col.iter().map(|v| (v / big - m) * (v / big - m)).sum::<f64>() / n as f64;
            let sd = var.sqrt();
            mean[j] = m * big;
            if sd > 1e-12 * (1.0 + m.abs()) {
                scale[j] = sd * big;
            }
        }
        Ok(Standardizer { mean, scale })
    }

    /// `(x - mean) / scale`, column by column. Errors when the column count differs.
    pub fn apply(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::InvalidArgument(format!(
                "standardiser fitted on {} columns applied to {} columns",
                self.mean.len(),
                x.ncols()
            )));
        }
        // x / scale - mean / scale: no intermediate overflows for entries near f64::MAX.
        Ok(&x / &self.scale - &(&self.mean / &self.scale))
    }

    /// Apply to the features of a data set in place.
    pub fn apply_to(&self, data: &mut Dataset) -> Result<()> {
        data.x = self.apply(data.x.view())?;
        Ok(())
    }
}

/// Standardise `data.x` with its own statistics and return them (to apply to test data).
pub fn standardize(data: &mut Dataset) -> Result<Standardizer> {
    let s = Standardizer::fit(data.x.view())?;
    s.apply_to(data)?;
    Ok(s)
}

/// Append a column of ones named `bias` to the features.
pub fn append_bias(data: &mut Dataset) {
    let n = data.n();
    let mut x = Array2::ones((n, data.d() + 1));
    x.slice_mut(ndarray::s![.., ..data.d()]).assign(&data.x);
    data.x = x;
    data.feature_names.push("bias".into());
}

/// Split into (train, test) with a seeded shuffle; see the module docs. `test_fraction` must be
/// in [0, 1). Stratification needs class targets (signed or onehot).
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u64, stratify: bool) -> Result<(Dataset, Dataset)> {
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(Error::InvalidArgument(format!("test fraction must be in [0, 1), found {test_fraction}")));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let groups: Vec<Vec<usize>> = if stratify {
        let labels = data.class_labels().ok_or_else(|| {
            Error::InvalidArgument("a stratified split needs class targets (signed or onehot), found numeric".into())
        })?;
        let k = labels.iter().copied().max().map_or(0, |m| m + 1);
        let mut g = vec![Vec::new(); k];
        for (i, &l) in labels.iter().enumerate() {
            g[l].push(i);
        }
        g
    } else {
        vec![(0..data.n()).collect()]
    };
    let mut test = Vec::new();
    let mut train = Vec::new();
    for mut g in groups {
        g.shuffle(&mut rng);
        let nt = (test_fraction * g.len() as f64).round() as usize;
        let nt = nt.min(g.len());
        test.extend_from_slice(&g[..nt]);
        train.extend_from_slice(&g[nt..]);
    }
    if train.is_empty() {
        return Err(Error::InvalidArgument(format!("test fraction {test_fraction} leaves no training rows")));
    }
    train.sort_unstable();
    test.sort_unstable();
    let mut tr = data.select_rows(&train)?;
    let mut te = data.select_rows(&test)?;
    tr.source = format!("{} [train, seed {seed}]", data.source);
    te.source = format!("{} [test, seed {seed}]", data.source);
    // keep the kind explicit (select_rows copies it)
    debug_assert!(tr.target_kind == te.target_kind || data.target_kind == TargetKind::Numeric);
    Ok((tr, te))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standardise_by_hand() {
        // column 0: 1, 2, 3 -> mean 2, population sd sqrt(2/3); column 1 constant 5.
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]];
        let s = Standardizer::fit(x.view()).unwrap();
        assert_eq!(s.mean.to_vec(), vec![2.0, 5.0]);
        assert!((s.scale[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0);
        let z = s.apply(x.view()).unwrap();
        let r = (1.5f64).sqrt(); // 1 / sqrt(2/3)
        assert!((z[(0, 0)] + r).abs() < 1e-14 && z[(1, 0)].abs() < 1e-14 && (z[(2, 0)] - r).abs() < 1e-14);
        assert!(z.column(1).iter().all(|v| *v == 0.0));
        // test rows use the training statistics
        let t = s.apply(array![[4.0, 6.0]].view()).unwrap();
        assert!((t[(0, 0)] - 2.0 * r).abs() < 1e-14 && t[(0, 1)] == 1.0);
        assert!(s.apply(array![[1.0]].view()).is_err());
    }

    #[test]
    fn bias_column() {
        let mut d = Dataset::from_arrays(array![[1.0], [2.0]], array![[0.0], [1.0]], TargetKind::Numeric, "t");
        append_bias(&mut d);
        assert_eq!(d.x, array![[1.0, 1.0], [2.0, 1.0]]);
        assert_eq!(d.feature_names, vec!["x0", "bias"]);
    }

    #[test]
    fn split_is_seeded_disjoint_and_stratified() {
        let n = 20;
        let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
        let y = Array2::from_shape_fn((n, 1), |(i, _)| if i < 5 { 1.0 } else { -1.0 });
        let d = Dataset { class_names: vec!["a".into(), "b".into()], ..Dataset::from_arrays(x, y, TargetKind::Signed, "t") };
        let (tr, te) = train_test_split(&d, 0.4, 7, true).unwrap();
        assert_eq!(tr.n() + te.n(), n);
        assert_eq!(te.n(), 8); // round(0.4*15) + round(0.4*5) = 6 + 2
        assert_eq!(te.y.iter().filter(|v| **v > 0.0).count(), 2);
        let mut all: Vec<f64> = tr.x.iter().chain(te.x.iter()).copied().collect();
        all.sort_by(f64::total_cmp);
        assert_eq!(all, (0..n).map(|i| i as f64).collect::<Vec<_>>());
        let (tr2, te2) = train_test_split(&d, 0.4, 7, true).unwrap();
        assert_eq!((tr.x, te.x), (tr2.x, te2.x));
        assert!(train_test_split(&d, 1.0, 7, false).is_err());
    }
}
