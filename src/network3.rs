//! Three-layer ReLU networks built from `K` parallel sub-networks `d -> m1 -> 1 -> output`
//! (scalar output), and their training objective.
//!
//! ```text
//!     f(X) = sum_k s( s(X W1_k) w2_k ) w3_k
//!     L    = 1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2),   ||W1_k||_F <= 1
//! ```
//!
//! `s(t) = max(t, 0)` entrywise; `W1_k` is d x m1 (one column per first-layer neuron), `w2_k` has
//! m1 entries, `w3_k` is a number. The first layer carries no penalty but is constrained to the
//! unit Frobenius ball; the constants are exactly these everywhere (sum over samples, not mean),
//! so the numbers are comparable with the convex program of `formulation::three_layer`. A
//! first-layer bias is a column of ones in `X`, as for two layers.
//!
//! Rescaling: `(w2_k, w3_k) -> (t w2_k, w3_k / t)` for `t > 0` leaves `f` unchanged (the ReLU is
//! positively homogeneous), so at an optimum `||w2_k|| = |w3_k|` and the penalty is
//! `beta sum_k ||w2_k|| |w3_k|`; likewise `(W1_k, w2_k) -> (W1_k / r, r w2_k)` with
//! `r = ||W1_k||_F < 1` keeps `f` and lowers the penalty. [`Network3::balance`] applies both.
//!
//! Gradient (for the non-convex baseline), with `Z_k = X W1_k`, `H_k = s(Z_k)`, `a_k = H_k w2_k`,
//! `g_k = s(a_k)`, residual `r = f - y` and the subgradient `s'(0) = 0`:
//!
//! ```text
//!     dL/dw3_k = r' g_k + beta w3_k
//!     e_k      = (w3_k r) o 1[a_k > 0]
//!     dL/dw2_k = H_k' e_k + beta w2_k
//!     dL/dW1_k = X' ((e_k w2_k') o 1[Z_k > 0])
//! ```
//!
//! Weight files ([`Network3::save`], [`Network3::load`]) are JSON:
//!
//! ```text
//!     { "format": "convex-relu-network3", "version": 1, "d": D, "sub_width": M1, "width": K,
//!       "w1": [K x [D x [M1 numbers]]], "w2": [K x [M1 numbers]], "w3": [K numbers] }
//! ```
//!
//! Other top-level fields (such as `meta`) are ignored when reading. Loading checks every shape
//! and names the offending field; it does not check the norm constraint (a file may hold any
//! weights): [`Network3::check_feasible`] does.

use crate::data::Dataset;
use crate::dense::{gemm, lane_dot, matmul, sum_of_squares, tr};
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, DVector};
use serde_json::Value;
use std::path::Path;

/// The `format` tag of three-layer weight files.
pub const NETWORK3_FORMAT: &str = "convex-relu-network3";
/// The current version of three-layer weight files.
pub const NETWORK3_FORMAT_VERSION: u64 = 1;
/// Slack allowed on `||W1_k||_F <= 1` by [`Network3::check_feasible`] (relative, for rounding).
pub const NORM_TOLERANCE: f64 = 1e-9;

/// `K` parallel three-layer sub-networks (module docs).
///
/// The first layers are stored side by side: `w1` is d x (K m1) and its columns
/// `k m1 .. (k + 1) m1` are `W1_k` ([`Network3::first_layer`]), so that `X W1_k` for every `k`
/// is one product `X w1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network3 {
    /// First layers side by side, d x (K m1): `[W1_0, W1_1, ..]`.
    pub w1: DMatrix<f64>,
    /// Second layers, K x m1 (row `k` is `w2_k`).
    pub w2: DMatrix<f64>,
    /// Output weights, K.
    pub w3: DVector<f64>,
}

impl Network3 {
    /// A network from its layers (`w1` d x (K m1) as in [`Network3::w1`], `w2` K x m1, `w3` K);
    /// errors name the layer whose shape disagrees.
    pub fn new(w1: DMatrix<f64>, w2: DMatrix<f64>, w3: DVector<f64>) -> Result<Network3> {
        let (k, m1) = w2.shape();
        if w1.ncols() != k * m1 {
            return Err(Error::InvalidArgument(format!(
                "w2 is {k} x {m1} ({k} sub-networks of sub-width {m1}) but w1 has {} columns (expected {} = {k} x {m1}, one block of {m1} per sub-network)",
                w1.ncols(),
                k * m1
            )));
        }
        if w3.len() != k {
            return Err(Error::InvalidArgument(format!("w3 has {} entries but w2 has {k} sub-networks", w3.len())));
        }
        if m1 == 0 {
            return Err(Error::InvalidArgument("sub-width m1 must be at least 1, found 0".into()));
        }
        Ok(Network3 { w1, w2, w3 })
    }

    /// A network from its sub-networks' first layers `W1_k` (each d x m1), `w2` (K x m1) and `w3`
    /// (K); errors name the layer whose shape disagrees. `d` and `m1` are given so that `K = 0`
    /// has a shape.
    pub fn from_first_layers(d: usize, m1: usize, first: &[DMatrix<f64>], w2: DMatrix<f64>, w3: DVector<f64>) -> Result<Network3> {
        let k = first.len();
        if let Some((i, w)) = first.iter().enumerate().find(|(_, w)| w.shape() != (d, m1)) {
            return Err(Error::InvalidArgument(format!("w1[{i}] is {} x {} but expected d x m1 = {d} x {m1}", w.nrows(), w.ncols())));
        }
        if w2.shape() != (k, m1) {
            return Err(Error::InvalidArgument(format!(
                "w2 is {} x {} but w1 has {k} sub-networks of sub-width {m1} (expected w2 {k} x {m1})",
                w2.nrows(),
                w2.ncols()
            )));
        }
        if w3.len() != k {
            return Err(Error::InvalidArgument(format!("w3 has {} entries but w1 has {k} sub-networks", w3.len())));
        }
        if m1 == 0 {
            return Err(Error::InvalidArgument("sub-width m1 must be at least 1, found 0".into()));
        }
        let mut w1 = DMatrix::zeros(d, k * m1);
        for (i, w) in first.iter().enumerate() {
            w1.columns_mut(i * m1, m1).copy_from(w);
        }
        Network3::new(w1, w2, w3)
    }

    /// The network with no sub-network (f = 0) for inputs of dimension `d`.
    pub fn empty(d: usize, m1: usize) -> Network3 {
        Network3 { w1: DMatrix::zeros(d, 0), w2: DMatrix::zeros(0, m1), w3: DVector::zeros(0) }
    }

    /// Number of sub-networks K.
    pub fn width(&self) -> usize {
        self.w2.nrows()
    }

    /// Input dimension d.
    pub fn d(&self) -> usize {
        self.w1.nrows()
    }

    /// First-layer neurons per sub-network, m1.
    pub fn sub_width(&self) -> usize {
        self.w2.ncols()
    }

    /// `W1_k` (d x m1), a view of columns `k m1 .. (k + 1) m1` of `w1`.
    pub fn first_layer(&self, k: usize) -> DMatrixView<'_, f64> {
        let m1 = self.sub_width();
        self.w1.columns(k * m1, m1)
    }

    /// `W1_k` (d x m1), mutable.
    pub fn first_layer_mut(&mut self, k: usize) -> DMatrixViewMut<'_, f64> {
        let m1 = self.sub_width();
        self.w1.columns_mut(k * m1, m1)
    }

    /// `||W1_k||_F`, squares summed row by row.
    fn first_layer_norm(&self, k: usize) -> f64 {
        sum_of_squares(&self.first_layer(k)).sqrt()
    }

    /// Errors unless the data have d columns, scalar output and as many targets as rows.
    pub fn check_compatible(&self, data: &Dataset) -> Result<()> {
        if self.d() != data.d() || data.c() != 1 || data.x.nrows() != data.y.nrows() {
            return Err(Error::InvalidArgument(format!(
                "three-layer network (d = {}, scalar output) does not fit data `{}` (d = {}, c = {})",
                self.d(),
                data.source,
                data.d(),
                data.c()
            )));
        }
        Ok(())
    }

    /// `max_k ||W1_k||_F` (0 for K = 0).
    pub fn max_first_layer_norm(&self) -> f64 {
        (0..self.width()).map(|k| self.first_layer_norm(k)).fold(0.0, f64::max)
    }

    /// Errors when some `||W1_k||_F > 1 + NORM_TOLERANCE` (the objective is only the model's
    /// objective on the constraint set) or a weight is not finite.
    pub fn check_feasible(&self) -> Result<()> {
        if self.w1.iter().chain(self.w2.iter()).chain(self.w3.iter()).any(|a| !a.is_finite()) {
            return Err(Error::InvalidArgument("the three-layer network has a non-finite weight".into()));
        }
        for k in 0..self.width() {
            let nrm = self.first_layer_norm(k);
            if nrm > 1.0 + NORM_TOLERANCE {
                return Err(Error::InvalidArgument(format!(
                    "sub-network {k}: ||W1||_F = {nrm} exceeds 1 (the model constrains every first layer to the unit Frobenius ball)"
                )));
            }
        }
        Ok(())
    }

    /// `a_k = s(Z_k) w2_k` for the block `Z_k` of `z` (n x m1), each entry a [`lane_dot`].
    fn second_layer_input(&self, z: &DMatrix<f64>, k: usize) -> DVector<f64> {
        let m1 = self.sub_width();
        let w2 = self.w2.row(k);
        DVector::from_fn(z.nrows(), |i, _| lane_dot((0..m1).map(|j| (z[(i, k * m1 + j)].max(0.0), w2[j]))))
    }

    /// Outputs `f(X)` (length n). Panics only on a shape mismatch: call
    /// [`Network3::check_compatible`] first on user data.
    pub fn predict(&self, x: DMatrixView<f64>) -> DVector<f64> {
        let z = matmul(&x, &self.w1);
        let mut f = DVector::zeros(x.nrows());
        for k in 0..self.width() {
            let a = self.second_layer_input(&z, k);
            let w3 = self.w3[k];
            f.zip_apply(&a, |f, a| *f += w3 * a.max(0.0));
        }
        f
    }

    /// `1/2 ||f(X) - y||^2`.
    pub fn loss(&self, data: &Dataset) -> f64 {
        let f = self.predict(data.x.as_view());
        0.5 * f.iter().zip(data.y.column(0).iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
    }

    /// `beta/2 sum_k (||w2_k||^2 + w3_k^2)` (squares summed row by row).
    pub fn penalty(&self, beta: f64) -> f64 {
        0.5 * beta * (sum_of_squares(&self.w2) + self.w3.iter().map(|a| a * a).sum::<f64>())
    }

    /// The training objective `L` of the module docs (the norm constraint is not checked here:
    /// see [`Network3::checked_objective`]).
    pub fn objective(&self, data: &Dataset, beta: f64) -> f64 {
        self.loss(data) + self.penalty(beta)
    }

    /// [`Network3::objective`] after checking shapes against `data` and the norm constraint.
    pub fn checked_objective(&self, data: &Dataset, beta: f64) -> Result<f64> {
        self.check_compatible(data)?;
        self.check_feasible()?;
        Ok(self.objective(data, beta))
    }

    /// `(L, dL/dw1, dL/dw2, dL/dw3)` (module docs; `s'(0) = 0`), each gradient shaped like its
    /// layer (`dL/dw1` is d x (K m1), `dL/dW1_k` in the columns of block `k`).
    pub fn objective_and_gradient(&self, data: &Dataset, beta: f64) -> (f64, DMatrix<f64>, DMatrix<f64>, DVector<f64>) {
        let x = &data.x;
        let (n, kk, m1) = (x.nrows(), self.width(), self.sub_width());
        // Z = X w1: the blocks Z_k = X W1_k side by side (n x K m1).
        let z = matmul(x, &self.w1);
        let mut as_ = Vec::with_capacity(kk);
        let mut f = DVector::<f64>::zeros(n);
        for k in 0..kk {
            let a = self.second_layer_input(&z, k);
            let w3 = self.w3[k];
            f.zip_apply(&a, |f, a| *f += w3 * a.max(0.0));
            as_.push(a);
        }
        let r = &f - data.y.column(0);
        let obj = 0.5 * r.dot(&r) + self.penalty(beta);
        let mut g1 = DMatrix::zeros(self.w1.nrows(), self.w1.ncols());
        let mut g2 = DMatrix::zeros(kk, m1);
        let mut g3 = DVector::zeros(kk);
        let mut dz = DMatrix::zeros(n, m1);
        for k in 0..kk {
            let g = as_[k].map(|t| t.max(0.0));
            g3[k] = r.dot(&g) + beta * self.w3[k];
            let e = DVector::from_fn(n, |i, _| if as_[k][i] > 0.0 { self.w3[k] * r[i] } else { 0.0 });
            for j in 0..m1 {
                // H_k' e, summed over the samples in order.
                let hj = z.column(k * m1 + j).iter().zip(e.iter()).fold(0.0, |s, (zz, e)| s + zz.max(0.0) * e);
                g2[(k, j)] = hj + beta * self.w2[(k, j)];
            }
            for j in 0..m1 {
                let w2 = self.w2[(k, j)];
                for i in 0..n {
                    dz[(i, j)] = if z[(i, k * m1 + j)] > 0.0 { e[i] * w2 } else { 0.0 };
                }
            }
            gemm(1.0, &tr(x), &dz, 0.0, &mut g1.columns_mut(k * m1, m1));
        }
        (obj, g1, g2, g3)
    }

    /// Rescale every sub-network without changing `f`: `W1_k` to unit Frobenius norm (its scale
    /// moved into `w2_k`), then `||w2_k|| = |w3_k|` (module docs). The penalty can only decrease.
    /// Sub-networks that compute zero for every input of the form used here (zero `W1_k`,
    /// `w2_k` or `w3_k`) are zeroed.
    pub fn balance(&mut self) {
        for k in 0..self.width() {
            let r = self.first_layer_norm(k);
            let n2 = self.w2.row(k).iter().map(|a| a * a).sum::<f64>().sqrt();
            let n3 = self.w3[k].abs();
            if r == 0.0 || n2 == 0.0 || n3 == 0.0 {
                self.first_layer_mut(k).fill(0.0);
                self.w2.row_mut(k).fill(0.0);
                self.w3[k] = 0.0;
                continue;
            }
            self.first_layer_mut(k).apply(|a| *a /= r);
            let n2 = n2 * r;
            let t = (n3 / n2).sqrt();
            self.w2.row_mut(k).apply(|a| *a = *a * r * t);
            self.w3[k] /= t;
        }
    }

    /// The weight file as JSON (module docs).
    pub fn to_json(&self) -> Value {
        let rows = |a: DMatrixView<f64>| -> Vec<Value> { a.row_iter().map(|r| Value::from(r.iter().copied().collect::<Vec<f64>>())).collect() };
        let w1: Vec<Value> = (0..self.width()).map(|k| Value::from(rows(self.first_layer(k)))).collect();
        let w2 = rows(self.w2.as_view());
        serde_json::json!({
            "format": NETWORK3_FORMAT,
            "version": NETWORK3_FORMAT_VERSION,
            "d": self.d(),
            "sub_width": self.sub_width(),
            "width": self.width(),
            "w1": w1,
            "w2": w2,
            "w3": self.w3.as_slice().to_vec(),
        })
    }

    /// Write the weights to `path`; refuses to replace an existing file unless `overwrite`, and
    /// refuses non-finite weights.
    pub fn save(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<()> {
        let path = path.as_ref();
        if self.w1.iter().chain(self.w2.iter()).chain(self.w3.iter()).any(|a| !a.is_finite()) {
            return Err(Error::InvalidArgument(format!("cannot save {}: a weight is not finite", path.display())));
        }
        crate::files::write_json(path, &self.to_json(), overwrite)
    }

    /// Read weights written by [`Network3::save`]; errors name the file and the field.
    pub fn load(path: impl AsRef<Path>) -> Result<Network3> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json_str(&text, path)
    }

    /// Parse a weight file's text; `path` is used in error messages.
    pub fn from_json_str(text: &str, path: &Path) -> Result<Network3> {
        let value: Value = crate::files::parse_json(text, path)?;
        let fail = |field: &str, msg: String| Error::Parse { path: path.to_path_buf(), line: None, column: None, message: format!("field `{field}`: {msg}") };
        let kind = |v: &Value| -> String {
            match v {
                Value::Null => "null".into(),
                Value::Bool(b) => format!("{b}"),
                Value::Number(n) => format!("{n}"),
                Value::String(s) => format!("\"{s}\""),
                Value::Array(a) => format!("an array of {}", a.len()),
                Value::Object(_) => "an object".into(),
            }
        };
        let Value::Object(obj) = &value else {
            return Err(fail("(top level)", format!("expected a JSON object, found {}", kind(&value))));
        };
        let get = |name: &str| obj.get(name).ok_or_else(|| fail(name, "expected a value, found no such field".into()));
        let format = get("format")?;
        if format.as_str() != Some(NETWORK3_FORMAT) {
            let hint = if format.as_str() == Some(crate::network::NETWORK_FORMAT) { " (this is a two-layer network file)" } else { "" };
            return Err(fail("format", format!("expected \"{NETWORK3_FORMAT}\", found {}{hint}", kind(format))));
        }
        let version = get("version")?;
        if version.as_u64() != Some(NETWORK3_FORMAT_VERSION) {
            return Err(fail("version", format!("expected {NETWORK3_FORMAT_VERSION}, found {}", kind(version))));
        }
        let size = |name: &str, min: u64| -> Result<usize> {
            let v = get(name)?;
            match v.as_u64() {
                Some(k) if k >= min => usize::try_from(k).map_err(|_| fail(name, format!("expected a size, found {k}"))),
                _ => Err(fail(name, format!("expected an integer >= {min}, found {}", kind(v)))),
            }
        };
        let (d, m1, kk) = (size("d", 1)?, size("sub_width", 1)?, size("width", 0)?);
        let array = |v: &Value, field: &str, len: usize, what: &str| -> Result<Vec<Value>> {
            match v {
                Value::Array(a) if a.len() == len => Ok(a.clone()),
                Value::Array(a) => Err(fail(field, format!("expected {len} entries ({what}), found {}", a.len()))),
                other => Err(fail(field, format!("expected an array of {len} entries ({what}), found {}", kind(other)))),
            }
        };
        let number = |v: &Value, field: &str| -> Result<f64> {
            match v.as_f64() {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(fail(field, format!("expected a finite number, found {}", kind(v)))),
            }
        };
        // Sizes from the file: check the total before allocating.
        let total = kk.checked_mul(d).and_then(|a| a.checked_mul(m1)).filter(|&t| t <= 1 << 28);
        if total.is_none() {
            return Err(fail("width", format!("{kk} sub-networks of {d} x {m1} weights is too large")));
        }
        let mut w1 = DMatrix::zeros(d, kk * m1);
        let l1 = array(get("w1")?, "w1", kk, "width = number of sub-networks")?;
        for (k, sub) in l1.iter().enumerate() {
            let rows = array(sub, &format!("w1[{k}]"), d, "d rows")?;
            for (i, row) in rows.iter().enumerate() {
                let cells = array(row, &format!("w1[{k}][{i}]"), m1, "sub_width numbers")?;
                for (j, c) in cells.iter().enumerate() {
                    w1[(i, k * m1 + j)] = number(c, &format!("w1[{k}][{i}][{j}]"))?;
                }
            }
        }
        let mut w2 = DMatrix::zeros(kk, m1);
        let l2 = array(get("w2")?, "w2", kk, "width = number of sub-networks")?;
        for (k, row) in l2.iter().enumerate() {
            let cells = array(row, &format!("w2[{k}]"), m1, "sub_width numbers")?;
            for (j, c) in cells.iter().enumerate() {
                w2[(k, j)] = number(c, &format!("w2[{k}][{j}]"))?;
            }
        }
        let mut w3 = DVector::zeros(kk);
        let l3 = array(get("w3")?, "w3", kk, "width = number of sub-networks")?;
        for (k, c) in l3.iter().enumerate() {
            w3[k] = number(c, &format!("w3[{k}]"))?;
        }
        Ok(Network3 { w1, w2, w3 })
    }
}

/// A weight file of either kind, told apart by its `format` field: a two-layer
/// `convex-relu-network` or a three-layer `convex-relu-network3` file.
#[derive(Clone, Debug, PartialEq)]
pub enum SavedNetwork {
    Two(crate::network::Network),
    Three(Network3),
}

impl SavedNetwork {
    /// Reads a weight file of either kind; errors name the file and the field.
    pub fn load(path: impl AsRef<Path>) -> Result<SavedNetwork> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json_str(&text, path)
    }

    /// Parses a weight file's text (`path` is used in error messages). A `format` other than the
    /// three-layer one is read as a two-layer file, whose error then names both formats.
    pub fn from_json_str(text: &str, path: &Path) -> Result<SavedNetwork> {
        let value = crate::files::parse_json(text, path)?;
        if value.get("format").and_then(Value::as_str) == Some(NETWORK3_FORMAT) {
            return Network3::from_json_str(text, path).map(SavedNetwork::Three);
        }
        crate::network::Network::from_json_str(text, path).map(SavedNetwork::Two).map_err(|e| match e {
            Error::Parse { path, line, column, message } if message.starts_with("field `format`") => Error::Parse {
                path,
                line,
                column,
                message: format!("{message} (expected format \"{}\" or \"{NETWORK3_FORMAT}\")", crate::network::NETWORK_FORMAT),
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TargetKind;

    fn tiny() -> (Network3, Dataset) {
        // W1_0 = [0.6 -0.2; 0.1 0.5], W1_1 = [-0.3 0.4; 0.7 0.1]
        let w1 = [DMatrix::from_row_slice(2, 2, &[0.6, -0.2, 0.1, 0.5]), DMatrix::from_row_slice(2, 2, &[-0.3, 0.4, 0.7, 0.1])];
        let w2 = DMatrix::from_row_slice(2, 2, &[1.5, -0.7, 0.9, 1.1]);
        let w3 = DVector::from_vec(vec![0.8, -1.2]);
        let x = DMatrix::from_row_slice(4, 2, &[1.0, 0.5, -0.4, 1.0, 0.3, -1.0, -1.0, -0.2]);
        let y = DMatrix::from_row_slice(4, 1, &[0.3, -0.1, 0.7, 0.2]);
        (Network3::from_first_layers(2, 2, &w1, w2, w3).unwrap(), Dataset::from_arrays(x, y, TargetKind::Numeric, "tiny"))
    }

    /// The prediction against a hand loop over samples, neurons and sub-networks.
    #[test]
    fn predict_matches_a_direct_loop() {
        let (net, data) = tiny();
        let f = net.predict(data.x.as_view());
        for i in 0..4 {
            let mut fi = 0.0;
            for k in 0..2 {
                let mut a = 0.0;
                for j in 0..2 {
                    let z: f64 = (0..2).map(|l| data.x[(i, l)] * net.first_layer(k)[(l, j)]).sum();
                    a += z.max(0.0) * net.w2[(k, j)];
                }
                fi += a.max(0.0) * net.w3[k];
            }
            assert!((f[i] - fi).abs() < 1e-14);
        }
        let pen = 0.05 * (1.5f64.powi(2) + 0.49 + 0.81 + 1.21 + 0.64 + 1.44);
        assert!((net.penalty(0.1) - pen).abs() < 1e-14);
    }

    /// Gradient against central finite differences.
    #[test]
    fn gradient_matches_finite_differences() {
        let (net, data) = tiny();
        let beta = 0.3;
        let (obj, g1, g2, g3) = net.objective_and_gradient(&data, beta);
        assert!((obj - net.objective(&data, beta)).abs() < 1e-12);
        let h = 1e-6;
        let fd = |f: &dyn Fn(&mut Network3)| {
            let mut p = net.clone();
            f(&mut p);
            p.objective(&data, beta)
        };
        for idx @ (k, l, j) in [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)] {
            let num = (fd(&|n| n.first_layer_mut(k)[(l, j)] += h) - fd(&|n| n.first_layer_mut(k)[(l, j)] -= h)) / (2.0 * h);
            let g = g1[(l, k * 2 + j)];
            assert!((num - g).abs() < 1e-6, "w1{idx:?}: {num} vs {g}");
        }
        for idx in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let num = (fd(&|n| n.w2[idx] += h) - fd(&|n| n.w2[idx] -= h)) / (2.0 * h);
            assert!((num - g2[idx]).abs() < 1e-6, "w2{idx:?}: {num} vs {}", g2[idx]);
        }
        for k in 0..2 {
            let num = (fd(&|n| n.w3[k] += h) - fd(&|n| n.w3[k] -= h)) / (2.0 * h);
            assert!((num - g3[k]).abs() < 1e-6);
        }
    }

    #[test]
    fn balance_keeps_the_function_and_lowers_the_penalty() {
        let (mut net, data) = tiny();
        let f0 = net.predict(data.x.as_view());
        let p0 = net.penalty(1.0);
        net.balance();
        let f1 = net.predict(data.x.as_view());
        assert!(f0.iter().zip(f1.iter()).all(|(a, b)| (a - b).abs() < 1e-12));
        assert!(net.penalty(1.0) <= p0 + 1e-12);
        assert!((net.max_first_layer_norm() - 1.0).abs() < 1e-12);
        for k in 0..2 {
            let n2 = net.w2.row(k).iter().map(|a| a * a).sum::<f64>().sqrt();
            assert!((n2 - net.w3[k].abs()).abs() < 1e-12);
        }
        net.check_feasible().unwrap();
    }

    #[test]
    fn json_round_trip_and_shape_errors() {
        let (net, _) = tiny();
        let dir = std::env::temp_dir().join(format!("convex-relu-net3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net3.json");
        let _ = std::fs::remove_file(&path);
        net.save(&path, false).unwrap();
        assert_eq!(Network3::load(&path).unwrap(), net);
        // never overwritten without the flag
        let err = net.save(&path, false).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        net.save(&path, true).unwrap();
        // wrong shapes name the field
        let mut v = net.to_json();
        v["w2"][1] = serde_json::json!([1.0]);
        let err = Network3::from_json_str(&v.to_string(), &path).unwrap_err().to_string();
        assert!(err.contains("w2[1]") && err.contains("expected 2 entries"), "{err}");
        let mut v = net.to_json();
        v["width"] = serde_json::json!(3);
        let err = Network3::from_json_str(&v.to_string(), &path).unwrap_err().to_string();
        assert!(err.contains("`w1`") && err.contains("expected 3 entries"), "{err}");
        let two = crate::network::Network { u: DMatrix::zeros(2, 1), v: DMatrix::zeros(1, 1) };
        let err = Network3::from_json_str(&two.to_json().to_string(), &path).unwrap_err().to_string();
        assert!(err.contains("two-layer"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn constructor_and_feasibility_errors() {
        // two sub-networks of 3 x 2 first layers against w2 2 x 3
        let two_blocks = [DMatrix::zeros(3, 2), DMatrix::zeros(3, 2)];
        let e = Network3::from_first_layers(3, 2, &two_blocks, DMatrix::zeros(2, 3), DVector::zeros(2)).unwrap_err();
        assert!(e.to_string().contains("w2 is 2 x 3"), "{e}");
        // the same side by side (w1 3 x 4)
        let e = Network3::new(DMatrix::zeros(3, 4), DMatrix::zeros(2, 3), DVector::zeros(2)).unwrap_err();
        assert!(e.to_string().contains("w2 is 2 x 3"), "{e}");
        let e = Network3::from_first_layers(3, 3, &two_blocks, DMatrix::zeros(2, 3), DVector::zeros(2)).unwrap_err();
        assert!(e.to_string().contains("w1[0] is 3 x 2"), "{e}");
        let e = Network3::from_first_layers(3, 0, &[DMatrix::zeros(3, 0), DMatrix::zeros(3, 0)], DMatrix::zeros(2, 0), DVector::zeros(2)).unwrap_err();
        assert!(e.to_string().contains("m1 must be at least 1"), "{e}");
        let e = Network3::new(DMatrix::zeros(3, 0), DMatrix::zeros(2, 0), DVector::zeros(2)).unwrap_err();
        assert!(e.to_string().contains("m1 must be at least 1"), "{e}");
        let (mut net, data) = tiny();
        net.first_layer_mut(0)[(0, 0)] = 2.0;
        assert!(net.checked_objective(&data, 0.1).unwrap_err().to_string().contains("exceeds 1"));
    }
}
