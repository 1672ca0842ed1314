//! Transforms of a [`Dataset`]: column standardisation, a bias column, seeded splits and
//! principal components.
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
//! - Principal components: [`Pca::fit`] on the **training** rows `X` (n x d) takes their mean
//!   `m` and population covariance `C = 1/n sum_i (x_i - m)(x_i - m)'`, and keeps the
//!   eigenvectors `v_1..v_k` of its `k` largest eigenvalues `l_1 >= ... >= l_k` (LAPACK
//!   `dsyevr`). [`Pca::apply`] maps any row `x` (training or test) to `z_j = (x - m)' v_j`, with
//!   the training `m` and `v_j`. On the training rows the new columns have mean 0, variance
//!   `l_j` and are mutually orthogonal. Sign convention: the entry of largest magnitude of each
//!   `v_j` (the first one on a tie) is positive, so a fit is reproducible. Features are named
//!   `pc1..pck`.
//! - Nearly equal rows: [`merge_near_rows`] sets every row within a tolerance (largest absolute
//!   difference of an entry) of an earlier row equal to it; an explicit change of the data, for
//!   relaxations that stall on rows that are nearly but not exactly equal.
//! - Split, then fit on the training part: [`split_and_fit`] first splits ([`train_test_split`]),
//!   then, on the **training part only**, fits the principal components (optional,
//!   [`SplitSettings::pca`]) and then the standardiser of the (projected) training features
//!   (optional, [`SplitSettings::standardize`]), and applies each to both parts in that order.
//!   Nothing fitted depends on the test rows: whatever they hold, the transformed training part
//!   and the fitted statistics are bitwise the same. With components and standardisation the
//!   training part's new columns have mean 0 and covariance `I` (without standardisation:
//!   `diag(l_1..l_k)`). No bias column is added (append it afterwards).

use super::{Dataset, TargetKind};
use crate::error::{Error, Result};
use crate::linalg::{sym_eigen, EigenRange};
use crate::dense::{matmul, row_major, tr};
use nalgebra::{DMatrix, DMatrixView, DVector};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Per-column statistics for standardisation (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Column means of the training rows.
    #[serde(with = "crate::dense::serde_vector")]
    pub mean: DVector<f64>,
    /// Column scales: the population standard deviation, or 1 for a constant column.
    #[serde(with = "crate::dense::serde_vector")]
    pub scale: DVector<f64>,
}

impl Standardizer {
    /// Statistics of the columns of `x` (the training rows). Errors on an empty matrix.
    pub fn fit(x: DMatrixView<f64>) -> Result<Standardizer> {
        let n = x.nrows();
        if n == 0 {
            return Err(Error::InvalidArgument("cannot standardise a data set with no rows".into()));
        }
        // Each column is divided by its largest magnitude first, so that sums and squares of
        // huge entries (up to f64::MAX) cannot overflow; the statistics are scaled back after.
        let mut mean = DVector::zeros(x.ncols());
        let mut scale = DVector::from_element(x.ncols(), 1.0);
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
    pub fn apply(&self, x: DMatrixView<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::InvalidArgument(format!(
                "standardiser fitted on {} columns applied to {} columns",
                self.mean.len(),
                x.ncols()
            )));
        }
        // x / scale - mean / scale: no intermediate overflows for entries near f64::MAX.
        let shift = self.mean.component_div(&self.scale);
        Ok(DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] / self.scale[j] - shift[j]))
    }

    /// Apply to the features of a data set in place.
    pub fn apply_to(&self, data: &mut Dataset) -> Result<()> {
        data.x = self.apply(data.x.as_view())?;
        Ok(())
    }
}

/// A principal-component projection fitted on training rows (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Column means of the training rows (d).
    #[serde(with = "crate::dense::serde_vector")]
    pub mean: DVector<f64>,
    /// d x k: orthonormal columns `v_1..v_k`, by decreasing variance.
    #[serde(with = "crate::dense::serde_matrix")]
    pub components: DMatrix<f64>,
    /// The k largest eigenvalues of the training rows' population covariance, decreasing: the
    /// variances of the projected training columns.
    #[serde(with = "crate::dense::serde_vector")]
    pub variances: DVector<f64>,
}

impl Pca {
    /// Fit `k` components on the rows of `x` (the training rows). Errors on no rows, `k = 0`,
    /// `k > d`, non-finite entries, or a covariance too large for the memory budget.
    pub fn fit(x: DMatrixView<f64>, k: usize) -> Result<Pca> {
        let (n, d) = x.shape();
        if n == 0 {
            return Err(Error::InvalidArgument("cannot fit principal components on a data set with no rows".into()));
        }
        if k == 0 || k > d {
            return Err(Error::InvalidArgument(format!("principal components: asked for {k}, expected 1 to {d} (the number of feature columns)")));
        }
        if let Some(((i, j), v)) = row_major(&x).find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!("cannot fit principal components: row {}, column {} holds the non-finite value {v}", i + 1, j + 1)));
        }
        // The covariance (d x d) twice (ours and LAPACK's copy) plus the eigenvectors.
        crate::limits::check_bytes(3.0 * 8.0 * d as f64 * d as f64, || format!("the {d} x {d} covariance of the principal components"))?;
        // Divide by the largest magnitude first so that squares of huge entries cannot
        // overflow; eigenvectors are unchanged and eigenvalues scale back by big^2.
        let big = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let big = if big > 0.0 { big } else { 1.0 };
        let scaled = x / big;
        // Column means, each summed row by row.
        let mean_s = DVector::from_fn(d, |j, _| scaled.column(j).iter().fold(0.0, |a, v| a + v) / n as f64);
        let centred = DMatrix::from_fn(n, d, |i, j| scaled[(i, j)] - mean_s[j]);
        let cov = matmul(&tr(&centred), &centred) / n as f64;
        let eig = sym_eigen(&cov, EigenRange::All)?;
        if eig.values.len() != d {
            return Err(Error::Backend { backend: "lapack", message: format!("dsyevr returned {} of {d} eigenpairs", eig.values.len()) });
        }
        let mut components = DMatrix::zeros(d, k);
        let mut variances = DVector::zeros(k);
        for j in 0..k {
            let col = d - 1 - j; // eigenvalues ascending
            let v = eig.vectors.column(col);
            let pivot = (0..d).fold(0, |b, i| if v[i].abs() > v[b].abs() { i } else { b });
            let sign = if v[pivot] < 0.0 { -1.0 } else { 1.0 };
            for i in 0..d {
                components[(i, j)] = sign * v[i];
            }
            // Rounding can leave a zero eigenvalue slightly negative.
            variances[j] = eig.values[col].max(0.0) * big * big;
        }
        Ok(Pca { mean: mean_s * big, components, variances })
    }

    /// `(x - mean) components`: n x k. Errors when the column count differs from the fit's.
    pub fn apply(&self, x: DMatrixView<f64>) -> Result<DMatrix<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::InvalidArgument(format!(
                "principal components fitted on {} columns applied to {} columns",
                self.mean.len(),
                x.ncols()
            )));
        }
        let centred = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - self.mean[j]);
        Ok(matmul(&centred, &self.components))
    }

    /// Replace the features of a data set by their projections, named `pc1..pck`.
    pub fn apply_to(&self, data: &mut Dataset) -> Result<()> {
        data.x = self.apply(data.x.as_view())?;
        data.feature_names = (1..=self.components.ncols()).map(|j| format!("pc{j}")).collect();
        Ok(())
    }
}

/// Settings of [`split_and_fit`] (see the module docs); the defaults are those of the study in
/// docs/reproduction.md.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSettings {
    /// Fraction of the rows (of each class when stratified) put into the test part, rounded to
    /// whole rows; in [0, 1) (default 0.5).
    pub test_fraction: f64,
    /// Seed of the shuffle (default 0).
    pub seed: u64,
    /// Split within each class; needs class targets (default true).
    pub stratify: bool,
    /// Replace the features by their top `K` principal components, fitted on the training part;
    /// `K` from 1 to d (default `None`: keep the features).
    pub pca: Option<usize>,
    /// Standardise the (projected) features with the training part's statistics (default true).
    pub standardize: bool,
}

impl Default for SplitSettings {
    fn default() -> Self {
        Self { test_fraction: 0.5, seed: 0, stratify: true, pca: None, standardize: true }
    }
}

/// The outcome of [`split_and_fit`]: both parts, transformed, and what was fitted on the
/// training part.
#[derive(Clone, Debug)]
pub struct FittedSplit {
    /// The training part, transformed.
    pub train: Dataset,
    /// The test part, transformed with what was fitted on the training part.
    pub test: Dataset,
    /// The principal components (when [`SplitSettings::pca`] is set).
    pub pca: Option<Pca>,
    /// The standardiser, fitted after the projection (when [`SplitSettings::standardize`]).
    pub standardizer: Option<Standardizer>,
}

/// Split `data`, then fit the principal components and the standardiser on the training part
/// only and apply them to both parts (module docs). Errors when `data` has no rows, when
/// `K = 0` or `K > d`, when the split leaves no training rows (all named with the data set's
/// source), and on the other errors of [`train_test_split`] and [`Pca::fit`].
pub fn split_and_fit(data: &Dataset, s: &SplitSettings) -> Result<FittedSplit> {
    if data.n() == 0 {
        return Err(Error::InvalidArgument(format!("cannot split data set `{}`: it has no rows", data.source)));
    }
    if let Some(k) = s.pca {
        if k == 0 || k > data.d() {
            return Err(Error::InvalidArgument(format!(
                "principal components of data set `{}`: expected 1 to {} (its number of feature columns), found {k}",
                data.source,
                data.d()
            )));
        }
    }
    let (mut train, mut test) = train_test_split(data, s.test_fraction, s.seed, s.stratify).map_err(|e| match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("splitting data set `{}`: {m}", data.source)),
        e => e,
    })?;
    let pca = match s.pca {
        Some(k) => {
            let p = Pca::fit(train.x.as_view(), k)?;
            p.apply_to(&mut train)?;
            p.apply_to(&mut test)?;
            Some(p)
        }
        None => None,
    };
    let standardizer = if s.standardize {
        let st = Standardizer::fit(train.x.as_view())?;
        st.apply_to(&mut train)?;
        st.apply_to(&mut test)?;
        Some(st)
    } else {
        None
    };
    Ok(FittedSplit { train, test, pca, standardizer })
}

/// Standardise `data.x` with its own statistics and return them (to apply to test data).
pub fn standardize(data: &mut Dataset) -> Result<Standardizer> {
    let s = Standardizer::fit(data.x.as_view())?;
    s.apply_to(data)?;
    Ok(s)
}

/// Append a column of ones named `bias` to the features.
pub fn append_bias(data: &mut Dataset) {
    let n = data.n();
    let d = data.d();
    let mut x = DMatrix::from_element(n, d + 1, 1.0);
    x.columns_mut(0, d).copy_from(&data.x);
    data.x = x;
    data.feature_names.push("bias".into());
}

/// What [`merge_near_rows`] changed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearRowMerge {
    /// Rows set equal to an earlier row (rows already exactly equal to it are not counted).
    pub rows_moved: usize,
    /// The largest change of one entry (at most the tolerance).
    pub largest_change: f64,
}

/// Sets every row of `data.x` that lies within `tolerance` of an earlier row (largest absolute
/// difference of an entry), and is not itself set equal to another, equal to that row. Rows are
/// taken in order, each compared with the rows kept so far; the targets are not touched.
///
/// Why: rows that are nearly but not exactly equal leave the SDP relaxation nearly without a
/// strictly feasible point (exactly equal rows are merged by the solvers, docs/dnn.md), and its
/// interior-point method stalls there. Setting them equal changes the data, so every bound
/// computed afterwards is a bound for the modified data. `tolerance` must be finite and
/// nonnegative; `O(n k d)` time for `k` distinct rows.
pub fn merge_near_rows(data: &mut Dataset, tolerance: f64) -> Result<NearRowMerge> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::InvalidArgument(format!("the tolerance for merging rows must be finite and nonnegative, found {tolerance}")));
    }
    let (n, d) = (data.n(), data.d());
    let mut kept: Vec<usize> = Vec::new();
    let mut out = NearRowMerge { rows_moved: 0, largest_change: 0.0 };
    for i in 0..n {
        let near = kept.iter().map(|&r| (r, largest_difference(data.x.as_view(), i, r, tolerance))).find(|&(_, diff)| diff <= tolerance);
        match near {
            Some((r, change)) => {
                if change > 0.0 {
                    for j in 0..d {
                        data.x[(i, j)] = data.x[(r, j)];
                    }
                    out.rows_moved += 1;
                    out.largest_change = out.largest_change.max(change);
                }
            }
            None => kept.push(i),
        }
    }
    Ok(out)
}

/// The largest absolute difference of an entry between rows `i` and `j` of `x`; once it exceeds
/// `stop_above` the scan stops and returns a value above it.
fn largest_difference(x: DMatrixView<f64>, i: usize, j: usize, stop_above: f64) -> f64 {
    let mut diff = 0.0f64;
    for k in 0..x.ncols() {
        diff = diff.max((x[(i, k)] - x[(j, k)]).abs());
        if diff > stop_above {
            break;
        }
    }
    diff
}

/// Pairs of rows of `x` within `tolerance` of each other (largest absolute difference of an
/// entry) without being equal: how many, and the closest `(i, j, difference)`. `None` when there
/// are none. `O(n^2 d)` time.
pub fn nearly_equal_rows(x: DMatrixView<f64>, tolerance: f64) -> Option<(usize, (usize, usize, f64))> {
    let n = x.nrows();
    let mut count = 0;
    let mut closest: Option<(usize, usize, f64)> = None;
    for i in 0..n {
        for j in (i + 1)..n {
            let diff = largest_difference(x, i, j, tolerance);
            if diff > 0.0 && diff <= tolerance {
                count += 1;
                if closest.map_or(true, |c| diff < c.2) {
                    closest = Some((i, j, diff));
                }
            }
        }
    }
    closest.map(|c| (count, c))
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
    use nalgebra::dmatrix;
    use rand::Rng;

    /// Rows within the tolerance of an earlier kept row become equal to it (an exactly equal
    /// row is not counted), rows beyond it are kept, and there is no chaining: a row near a
    /// moved row but beyond the tolerance of the row it moved to is kept as it is.
    #[test]
    fn merge_near_rows_by_hand() {
        let x = dmatrix![0.0, 0.0; 1e-6, 0.0; 1.0, 1.0; 1.0 + 2e-6, 1.0 - 1e-6; 0.0, 0.0; 1.6e-5, 0.0; 3.0, 3.0];
        let mut data = Dataset::from_arrays(x.clone(), DMatrix::zeros(7, 1), TargetKind::Numeric, "test");
        let m = merge_near_rows(&mut data, 1e-5).unwrap();
        assert_eq!(m.rows_moved, 2);
        assert!((m.largest_change - 2e-6).abs() < 1e-15, "{}", m.largest_change);
        assert_eq!(data.x.row(1), x.row(0));
        assert_eq!(data.x.row(3), x.row(2));
        for i in [0, 2, 4, 5, 6] {
            assert_eq!(data.x.row(i), x.row(i), "row {i}");
        }
        let mut untouched = Dataset::from_arrays(x.clone(), DMatrix::zeros(7, 1), TargetKind::Numeric, "test");
        assert_eq!(merge_near_rows(&mut untouched, 1e-7).unwrap().rows_moved, 0);
        assert_eq!(untouched.x, x);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(merge_near_rows(&mut untouched, bad).is_err());
        }
        // The pairs within 1e-5 that are not equal: (0, 1), (1, 4), (2, 3); (0, 4) is equal.
        let (count, (i, j, diff)) = nearly_equal_rows(x.as_view(), 1e-5).unwrap();
        assert_eq!(count, 3);
        assert_eq!((i, j), (0, 1));
        assert!((diff - 1e-6).abs() < 1e-18);
        assert!(nearly_equal_rows(x.as_view(), 1e-7).is_none());
    }

    #[test]
    fn standardise_by_hand() {
        // column 0: 1, 2, 3 -> mean 2, population sd sqrt(2/3); column 1 constant 5.
        let x = dmatrix![1.0, 5.0; 2.0, 5.0; 3.0, 5.0];
        let s = Standardizer::fit(x.as_view()).unwrap();
        assert_eq!(s.mean.as_slice(), &[2.0, 5.0]);
        assert!((s.scale[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0);
        let z = s.apply(x.as_view()).unwrap();
        let r = (1.5f64).sqrt(); // 1 / sqrt(2/3)
        assert!((z[(0, 0)] + r).abs() < 1e-14 && z[(1, 0)].abs() < 1e-14 && (z[(2, 0)] - r).abs() < 1e-14);
        assert!(z.column(1).iter().all(|v| *v == 0.0));
        // test rows use the training statistics
        let t = s.apply(dmatrix![4.0, 6.0].as_view()).unwrap();
        assert!((t[(0, 0)] - 2.0 * r).abs() < 1e-14 && t[(0, 1)] == 1.0);
        assert!(s.apply(dmatrix![1.0].as_view()).is_err());
    }

    #[test]
    fn bias_column() {
        let mut d = Dataset::from_arrays(dmatrix![1.0; 2.0], dmatrix![0.0; 1.0], TargetKind::Numeric, "t");
        append_bias(&mut d);
        assert_eq!(d.x, dmatrix![1.0, 1.0; 2.0, 1.0]);
        assert_eq!(d.feature_names, vec!["x0", "bias"]);
    }

    #[test]
    fn pca_closed_form_in_the_plane() {
        // Rows m + a_i u + b_i v with orthonormal u, v: the covariance is
        // (1/4) sum a_i^2 u u' + (1/4) sum b_i^2 v v' = 2 u u' + 0.5 v v', so the components are u
        // and v (largest entries positive for theta = 0.3) and the projections are exactly a, b.
        let t = 0.3f64;
        let (u, v) = ([t.cos(), t.sin()], [-t.sin(), t.cos()]);
        let m = [1.5, -4.0];
        let (a, b) = ([2.0, -2.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]);
        let x = DMatrix::from_fn(4, 2, |i, j| m[j] + a[i] * u[j] + b[i] * v[j]);
        let p = Pca::fit(x.as_view(), 2).unwrap();
        assert!((p.variances[0] - 2.0).abs() < 1e-13 && (p.variances[1] - 0.5).abs() < 1e-13, "{:?}", p.variances);
        for j in 0..2 {
            assert!((p.mean[j] - m[j]).abs() < 1e-14);
            assert!((p.components[(j, 0)] - u[j]).abs() < 1e-13 && (p.components[(j, 1)] - v[j]).abs() < 1e-13, "{:?}", p.components);
        }
        let z = p.apply(x.as_view()).unwrap();
        for i in 0..4 {
            assert!((z[(i, 0)] - a[i]).abs() < 1e-13 && (z[(i, 1)] - b[i]).abs() < 1e-13, "{z:?}");
        }
        // A new (test) row is centred with the training mean: m + 3u - 7v -> (3, -7).
        let row = DMatrix::from_fn(1, 2, |_, j| m[j] + 3.0 * u[j] - 7.0 * v[j]);
        let zt = p.apply(row.as_view()).unwrap();
        assert!((zt[(0, 0)] - 3.0).abs() < 1e-13 && (zt[(0, 1)] + 7.0).abs() < 1e-13);
        // One component: only u.
        let p1 = Pca::fit(x.as_view(), 1).unwrap();
        assert_eq!(p1.components.shape(), (2, 1));
        assert!((p1.apply(row.as_view()).unwrap()[(0, 0)] - 3.0).abs() < 1e-13);
    }

    #[test]
    fn pca_matches_the_svd_of_the_centred_rows() {
        // Independent reference: nalgebra's SVD of the centred data (not the covariance's
        // eigendecomposition): eigenvalues s_j^2 / n, eigenspace spanned by the right singular
        // vectors. Columns get very different scales so the top eigenvalues are distinct.
        let (n, d, k) = (40, 6, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x = DMatrix::from_row_iterator(n, d, (0..n * d).map(|e| (rng.random::<f64>() - 0.5) * (1.0 + 2.0 * (e % d) as f64) + 10.0));
        let p = Pca::fit(x.as_view(), k).unwrap();
        let mean: Vec<f64> = (0..d).map(|j| x.column(j).sum() / n as f64).collect();
        let c = DMatrix::from_fn(n, d, |i, j| x[(i, j)] - mean[j]);
        let svd = c.svd(false, true);
        let mut sv: Vec<(f64, usize)> = svd.singular_values.iter().copied().zip(0..).collect();
        sv.sort_by(|a, b| b.0.total_cmp(&a.0));
        let vt = svd.v_t.unwrap();
        for j in 0..k {
            let lam = sv[j].0 * sv[j].0 / n as f64;
            assert!((p.variances[j] - lam).abs() < 1e-10 * lam, "variance {j}: {} vs {lam}", p.variances[j]);
        }
        // Same k-dimensional subspace: the projectors V_k V_k' agree.
        for a in 0..d {
            for b in 0..d {
                let pa: f64 = (0..k).map(|j| p.components[(a, j)] * p.components[(b, j)]).sum();
                let pb: f64 = (0..k).map(|j| vt[(sv[j].1, a)] * vt[(sv[j].1, b)]).sum();
                assert!((pa - pb).abs() < 1e-9, "projector ({a}, {b}): {pa} vs {pb}");
            }
        }
        // Projected training columns: mean 0, orthogonal, variances = the eigenvalues.
        let z = p.apply(x.as_view()).unwrap();
        for j in 0..k {
            assert!(z.column(j).sum().abs() < 1e-10);
            for l in 0..k {
                let g = z.column(j).dot(&z.column(l)) / n as f64;
                let want = if j == l { p.variances[j] } else { 0.0 };
                assert!((g - want).abs() < 1e-10, "gram ({j}, {l}) = {g}, expected {want}");
            }
            let pivot = (0..d).fold(0, |b, i| if p.components[(i, j)].abs() > p.components[(b, j)].abs() { i } else { b });
            assert!(p.components[(pivot, j)] > 0.0, "sign convention");
        }
        let mut data = Dataset::from_arrays(x.clone(), DMatrix::zeros(n, 1), TargetKind::Numeric, "t");
        p.apply_to(&mut data).unwrap();
        assert_eq!(data.feature_names, vec!["pc1", "pc2", "pc3"]);
    }

    #[test]
    fn pca_bad_input_errors() {
        let x = dmatrix![1.0, 2.0; 3.0, 5.0];
        assert!(Pca::fit(x.as_view(), 0).unwrap_err().to_string().contains("expected 1 to 2"));
        assert!(Pca::fit(x.as_view(), 3).is_err());
        assert!(Pca::fit(DMatrix::<f64>::zeros(0, 2).as_view(), 1).is_err());
        let e = Pca::fit(dmatrix![1.0, f64::NAN].as_view(), 1).unwrap_err().to_string();
        assert!(e.contains("row 1, column 2"), "{e}");
        let p = Pca::fit(x.as_view(), 1).unwrap();
        assert!(p.apply(dmatrix![1.0, 2.0, 3.0].as_view()).is_err());
        // Huge entries: 200 rows alternating (1, 2) and (3, 5), times 1e153. The covariance
        // sums 200 products of about 1e306 (over f64::MAX unless scaled first), yet its
        // entries (about 1e306) are finite.
        let rows = DMatrix::from_fn(200, 2, |i, j| x[(i % 2, j)]);
        let p = Pca::fit(rows.as_view(), 1).unwrap();
        let h = Pca::fit((&rows * 1e153).as_view(), 1).unwrap();
        let r = h.variances[0] / 1e153 / 1e153;
        assert!(r.is_finite() && (r / p.variances[0] - 1.0).abs() < 1e-12, "{r} vs {}", p.variances[0]);
        assert!((h.components[(0, 0)] - p.components[(0, 0)]).abs() < 1e-12);
    }

    #[test]
    fn split_is_seeded_disjoint_and_stratified() {
        let n = 20;
        let x = DMatrix::from_fn(n, 1, |i, _| i as f64);
        let y = DMatrix::from_fn(n, 1, |i, _| if i < 5 { 1.0 } else { -1.0 });
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

    /// n rows, d correlated features with distinct variances (a seeded random mix of columns of
    /// scales 1, 3, 5, ...), onehot targets of 3 classes (row i in class i mod 3).
    fn correlated(n: usize, d: usize, seed: u64) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // drawn row by row
        let g = DMatrix::from_row_iterator(n, d, (0..n * d).map(|e| (rng.random::<f64>() - 0.5) * (1.0 + 2.0 * (e % d) as f64)));
        let mix = DMatrix::from_row_iterator(d, d, (0..d * d).map(|e| if e / d == e % d { 1.0 } else { 0.3 * (rng.random::<f64>() - 0.5) }));
        let x = matmul(&g, &mix).add_scalar(7.0);
        let y = DMatrix::from_fn(n, 3, |i, k| if i % 3 == k { 1.0 } else { 0.0 });
        let classes = vec!["a".into(), "b".into(), "c".into()];
        Dataset { class_names: classes, ..Dataset::from_arrays(x, y, TargetKind::Onehot, "corr") }
    }

    /// The indices of the rows `split_and_fit` puts into the test part: the same split of a copy
    /// whose only feature is the row index (the split depends on the targets and the seed only).
    fn test_rows(data: &Dataset, s: &SplitSettings) -> Vec<usize> {
        let tagged = Dataset { x: DMatrix::from_fn(data.n(), 1, |i, _| i as f64), ..data.clone() };
        let (_, te) = train_test_split(&tagged, s.test_fraction, s.seed, s.stratify).unwrap();
        te.x.column(0).iter().map(|&v| v as usize).collect()
    }

    fn bits(a: &DMatrix<f64>) -> Vec<u64> {
        row_major(a).map(|(_, v)| v.to_bits()).collect()
    }

    #[test]
    fn split_and_fit_ignores_the_test_rows() {
        let data = correlated(60, 5, 11);
        let s = SplitSettings { test_fraction: 0.4, seed: 3, pca: Some(3), ..Default::default() };
        let a = split_and_fit(&data, &s).unwrap();
        let rows = test_rows(&data, &s);
        assert_eq!((a.train.n(), a.test.n(), rows.len()), (36, 24, 24));
        // Replace every test row by huge values (about 1e150, different in each row).
        let mut changed = data.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for &i in &rows {
            for j in 0..data.d() {
                changed.x[(i, j)] = (rng.random::<f64>() - 0.5) * 1e150;
            }
        }
        let b = split_and_fit(&changed, &s).unwrap();
        assert_ne!(bits(&a.test.x), bits(&b.test.x), "the test rows did change");
        assert_eq!(bits(&a.train.x), bits(&b.train.x), "transformed training rows");
        let (pa, pb) = (a.pca.as_ref().unwrap(), b.pca.as_ref().unwrap());
        assert_eq!(bits(&pa.components), bits(&pb.components), "fitted components");
        assert_eq!(pa.mean.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), pb.mean.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(pa.variances.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), pb.variances.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(a.standardizer, b.standardizer);
        // The check can fail: components fitted on all rows do depend on the test rows.
        let all_a = Pca::fit(data.x.as_view(), 3).unwrap();
        let all_b = Pca::fit(changed.x.as_view(), 3).unwrap();
        assert!((&all_a.components - &all_b.components).iter().any(|v| v.abs() > 1e-3));
        // Independent of split_and_fit's plumbing: the training part is exactly the training
        // rows (those not in `rows`) projected with a fit on those rows alone.
        let train_rows: Vec<usize> = (0..data.n()).filter(|i| !rows.contains(i)).collect();
        let own = Pca::fit(data.select_rows(&train_rows).unwrap().x.as_view(), 3).unwrap();
        assert_eq!(bits(&own.components), bits(&pa.components));
        // The test part is centred with the training mean and projected on the training axes.
        let t0 = data.x.rows(rows[0], 1);
        let z = a.standardizer.as_ref().unwrap().apply(own.apply(t0).unwrap().as_view()).unwrap();
        assert_eq!(bits(&z), bits(&a.test.x.rows(0, 1).into_owned()));
    }

    #[test]
    fn split_and_fit_training_columns_are_uncorrelated_with_decreasing_variance() {
        // On the training part, principal components have mean 0 and a diagonal covariance with
        // decreasing entries (the top eigenvalues); with all d of them the diagonal sums to the
        // trace of the raw training covariance (an orthogonal change of basis keeps the trace).
        // Standardised, the covariance is the identity.
        let (n, d) = (50, 4);
        let data = correlated(n, d, 2);
        for k in [2, d] {
            let s = SplitSettings { seed: 5, pca: Some(k), standardize: false, ..Default::default() };
            let f = split_and_fit(&data, &s).unwrap();
            let z = &f.train.x;
            let nt = z.nrows() as f64;
            assert_eq!(z.ncols(), k);
            let cov = matmul(&tr(z), z) / nt;
            for j in 0..k {
                let mean = z.column(j).sum() / nt;
                assert!(mean.abs() < 1e-10, "column {j} mean {mean}");
                for l in 0..k {
                    if j != l {
                        assert!(cov[(j, l)].abs() < 1e-10, "cov ({j}, {l}) = {}", cov[(j, l)]);
                    }
                }
                if j + 1 < k {
                    assert!(cov[(j, j)] > cov[(j + 1, j + 1)] + 1e-3, "{cov:?}");
                }
            }
            if k == d {
                let rows: Vec<usize> = {
                    let te = test_rows(&data, &s);
                    (0..n).filter(|i| !te.contains(i)).collect()
                };
                let x = data.select_rows(&rows).unwrap().x;
                let m = x.row_mean();
                let trace: f64 = x.row_iter().map(|r| (r - &m).map(|v| v * v).sum()).sum::<f64>() / nt;
                let sum: f64 = (0..k).map(|j| cov[(j, j)]).sum();
                assert!((sum - trace).abs() < 1e-10 * trace, "{sum} vs {trace}");
            }
            let w = split_and_fit(&data, &SplitSettings { standardize: true, ..s }).unwrap().train.x;
            let cw = matmul(&tr(&w), &w) / nt;
            for j in 0..k {
                assert!((w.column(j).sum() / nt).abs() < 1e-10);
                for l in 0..k {
                    let want = if j == l { 1.0 } else { 0.0 };
                    assert!((cw[(j, l)] - want).abs() < 1e-10, "standardised cov ({j}, {l}) = {}", cw[(j, l)]);
                }
            }
        }
    }

    #[test]
    fn split_and_fit_errors() {
        let data = correlated(12, 3, 1);
        let err = |s: SplitSettings| split_and_fit(&data, &s).unwrap_err().to_string();
        let e = err(SplitSettings { pca: Some(0), ..Default::default() });
        assert!(e.contains("principal components of data set `corr`: expected 1 to 3") && e.contains("found 0"), "{e}");
        let e = err(SplitSettings { pca: Some(4), ..Default::default() });
        assert!(e.contains("expected 1 to 3") && e.contains("found 4"), "{e}");
        assert!(split_and_fit(&data, &SplitSettings { pca: Some(3), ..Default::default() }).is_ok());
        // Empty training part: one row per class, 60% of each class to the test part.
        let tiny = correlated(3, 3, 1);
        let e = split_and_fit(&tiny, &SplitSettings { test_fraction: 0.6, pca: Some(2), ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("splitting data set `corr`") && e.contains("leaves no training rows"), "{e}");
        let none = Dataset { x: DMatrix::zeros(0, 3), y: DMatrix::zeros(0, 3), ..data.clone() };
        let e = split_and_fit(&none, &SplitSettings::default()).unwrap_err().to_string();
        assert!(e.contains("`corr`: it has no rows"), "{e}");
        let e = err(SplitSettings { test_fraction: 1.0, ..Default::default() });
        assert!(e.contains("test fraction must be in [0, 1)"), "{e}");
    }
}
