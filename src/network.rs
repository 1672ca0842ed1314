//! Two-layer ReLU networks `f(X) = s(X U) V'` and their training objective
//!
//! ```text
//!     L(U, V) = 1/2 ||s(X U) V' - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2)
//! ```
//!
//! with exactly these constants everywhere (sum, not mean), so every number the toolkit
//! prints is comparable. `U` is d x m (one column per hidden neuron), `V` is c x m.
//!
//! Gradient (with `Z = X U`, `H = s(Z)`, residual `R = H V' - Y`, n x c, and the subgradient
//! `s'(0) = 0`, i.e. the mask `1[Z > 0]`):
//!
//! ```text
//!     dL/dV = R' H + beta V                      (c x m)
//!     dL/dU = X' ((R V) o 1[Z > 0]) + beta U     (d x m)
//! ```
//!
//! Accuracy ([`Network::accuracy`]): for `signed` targets the predicted class is +1 when
//! `f(x) >= 0` and -1 otherwise; for `onehot` targets it is the argmax of `f(x)` (the first
//! maximum on ties); numeric targets have no accuracy.
//!
//! Weight files ([`Network::save`], [`Network::load`]) are JSON:
//!
//! ```text
//!     { "format": "convex-relu-network", "version": 1, "d": D, "c": C, "width": M,
//!       "u": [[..M numbers..] x D rows], "v": [[..M numbers..] x C rows] }
//! ```
//!
//! (`u` and `v` row-major, as the matrices `U` and `V`; other top-level fields such as `meta`
//! are ignored when reading). In memory both layers are nalgebra [`DMatrix<f64>`]
//! (column-major); the file is always written row by row.

use crate::data::{argmax, Dataset, TargetKind};
use crate::error::{Error, Result};
use crate::dense::{matmul, row_major, sum_of_squares, tr};
use nalgebra::{DMatrix, DMatrixView};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// The `format` tag of weight files.
pub const NETWORK_FORMAT: &str = "convex-relu-network";
/// The current weight file version.
pub const NETWORK_FORMAT_VERSION: u64 = 1;

/// A two-layer ReLU network without biases (a bias is a ones column of X).
///
/// Its serde form (not the weight file: see [`Network::to_json`]) writes each layer as
/// `{"v": 1, "dim": [rows, cols], "data": [row-major entries]}` ([`crate::dense::serde_matrix`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// First layer, d x m.
    #[serde(with = "crate::dense::serde_matrix")]
    pub u: DMatrix<f64>,
    /// Second layer, c x m.
    #[serde(with = "crate::dense::serde_matrix")]
    pub v: DMatrix<f64>,
}

impl Network {
    /// A network from its layers; errors when `u` (d x m) and `v` (c x m) disagree on m.
    pub fn new(u: DMatrix<f64>, v: DMatrix<f64>) -> Result<Network> {
        if u.ncols() != v.ncols() {
            return Err(Error::InvalidArgument(format!(
                "U has {} columns (neurons) but V has {}",
                u.ncols(),
                v.ncols()
            )));
        }
        Ok(Network { u, v })
    }

    /// Hidden width m.
    pub fn width(&self) -> usize {
        self.u.ncols()
    }

    /// Input dimension d.
    pub fn d(&self) -> usize {
        self.u.nrows()
    }

    /// Output dimension c.
    pub fn c(&self) -> usize {
        self.v.nrows()
    }

    /// Check that the network's d and c match the data set (call before evaluating on data
    /// from the user: the arithmetic below assumes matching shapes).
    pub fn check_compatible(&self, data: &Dataset) -> Result<()> {
        if self.u.ncols() != self.v.ncols() || self.d() != data.d() || self.c() != data.c() || data.x.nrows() != data.y.nrows() {
            return Err(Error::InvalidArgument(format!(
                "network (d = {}, c = {}, U {}x{}, V {}x{}) does not fit data `{}` (d = {}, c = {})",
                self.d(),
                self.c(),
                self.u.nrows(),
                self.u.ncols(),
                self.v.nrows(),
                self.v.ncols(),
                data.source,
                data.d(),
                data.c()
            )));
        }
        Ok(())
    }

    /// Hidden activations `s(X U)` (n x m).
    pub fn hidden(&self, x: DMatrixView<f64>) -> DMatrix<f64> {
        let mut h = matmul(&x, &self.u);
        h.apply(|t| *t = t.max(0.0));
        h
    }

    /// Outputs `s(X U) V'` (n x c).
    pub fn predict(&self, x: DMatrixView<f64>) -> DMatrix<f64> {
        matmul(&self.hidden(x), &tr(&self.v))
    }

    /// `1/2 ||s(XU)V' - Y||_F^2` (squares summed row by row).
    pub fn loss(&self, data: &Dataset) -> f64 {
        let r = self.predict(data.x.as_view()) - &data.y;
        0.5 * sum_of_squares(&r)
    }

    /// `beta/2 (||U||_F^2 + ||V||_F^2)` (squares summed row by row).
    pub fn penalty(&self, beta: f64) -> f64 {
        0.5 * beta * (sum_of_squares(&self.u) + sum_of_squares(&self.v))
    }

    /// The training objective `L(U, V)` of the module docs.
    pub fn objective(&self, data: &Dataset, beta: f64) -> f64 {
        self.loss(data) + self.penalty(beta)
    }

    /// The objective and its gradient `(L, dL/dU, dL/dV)` (module docs; `s'(0) = 0`).
    pub fn objective_and_gradient(&self, data: &Dataset, beta: f64) -> (f64, DMatrix<f64>, DMatrix<f64>) {
        let z = matmul(&data.x, &self.u);
        let h = z.map(|t| t.max(0.0));
        let mut r = matmul(&h, &tr(&self.v));
        r -= &data.y;
        let obj = 0.5 * sum_of_squares(&r) + self.penalty(beta);
        let mut gv = matmul(&tr(&r), &h);
        gv.zip_apply(&self.v, |g, v| *g += beta * v);
        let mut gz = matmul(&r, &self.v);
        gz.zip_apply(&z, |g, zz| {
            if zz <= 0.0 {
                *g = 0.0;
            }
        });
        let mut gu = matmul(&tr(&data.x), &gz);
        gu.zip_apply(&self.u, |g, u| *g += beta * u);
        (obj, gu, gv)
    }

    /// The gradient `(dL/dU, dL/dV)` of the training objective (module docs).
    pub fn gradient(&self, data: &Dataset, beta: f64) -> (DMatrix<f64>, DMatrix<f64>) {
        let (_, gu, gv) = self.objective_and_gradient(data, beta);
        (gu, gv)
    }

    /// Fraction of correctly classified rows (module docs); `None` for numeric targets or an
    /// empty data set.
    pub fn accuracy(&self, data: &Dataset) -> Option<f64> {
        accuracy_of(&self.predict(data.x.as_view()), data)
    }

    /// Rescale every neuron so that `||u_j|| = ||v_j||` (the function is unchanged, the penalty
    /// can only decrease: it becomes `beta sum_j ||u_j|| ||v_j||`). Dead neurons are zeroed.
    pub fn balance(&mut self) {
        for j in 0..self.width() {
            let nu = self.u.column(j).iter().map(|a| a * a).sum::<f64>().sqrt();
            let nv = self.v.column(j).iter().map(|a| a * a).sum::<f64>().sqrt();
            if nu == 0.0 || nv == 0.0 {
                self.u.column_mut(j).fill(0.0);
                self.v.column_mut(j).fill(0.0);
            } else {
                let t = (nv / nu).sqrt();
                self.u.column_mut(j).apply(|a| *a *= t);
                self.v.column_mut(j).apply(|a| *a /= t);
            }
        }
    }

    /// The weight file as JSON (module docs).
    pub fn to_json(&self) -> Value {
        let rows = |a: &DMatrix<f64>| Value::from(a.row_iter().map(|r| Value::from(r.iter().copied().collect::<Vec<f64>>())).collect::<Vec<_>>());
        serde_json::json!({
            "format": NETWORK_FORMAT,
            "version": NETWORK_FORMAT_VERSION,
            "d": self.d(),
            "c": self.c(),
            "width": self.width(),
            "u": rows(&self.u),
            "v": rows(&self.v),
        })
    }

    /// Write the weights to `path` (JSON, module docs). Refuses to replace an existing file
    /// unless `overwrite` is true, and refuses non-finite weights.
    pub fn save(&self, path: impl AsRef<Path>, overwrite: bool) -> Result<()> {
        let path = path.as_ref();
        if self.u.ncols() != self.v.ncols() {
            return Err(Error::InvalidArgument(format!("cannot save {}: U and V disagree on the width", path.display())));
        }
        if let Some(((i, j), _)) = row_major(&self.u).find(|(_, a)| !a.is_finite()) {
            return Err(Error::InvalidArgument(format!("cannot save {}: U[{i}, {j}] is not finite", path.display())));
        }
        if let Some(((i, j), _)) = row_major(&self.v).find(|(_, a)| !a.is_finite()) {
            return Err(Error::InvalidArgument(format!("cannot save {}: V[{i}, {j}] is not finite", path.display())));
        }
        crate::files::write_json(path, &self.to_json(), overwrite)
    }

    /// Read weights written by [`Network::save`]. Errors name the file and the offending field
    /// (or the JSON line and column for a syntax error).
    pub fn load(path: impl AsRef<Path>) -> Result<Network> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json_str(&text, path)
    }

    /// Parse a weight file's text; `path` is used in error messages.
    pub fn from_json_str(text: &str, path: &Path) -> Result<Network> {
        let value: Value = crate::files::parse_json(text, path)?;
        let fail = |field: &str, msg: String| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: format!("field `{field}`: {msg}"),
        };
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
        if format.as_str() != Some(NETWORK_FORMAT) {
            return Err(fail("format", format!("expected \"{NETWORK_FORMAT}\", found {}", kind(format))));
        }
        let version = get("version")?;
        if version.as_u64() != Some(NETWORK_FORMAT_VERSION) {
            return Err(fail("version", format!("expected {NETWORK_FORMAT_VERSION}, found {}", kind(version))));
        }
        let dim = |name: &str| -> Result<usize> {
            let v = get(name)?;
            match v.as_u64() {
                Some(k) if k >= 1 => usize::try_from(k).map_err(|_| fail(name, format!("expected a size, found {k}"))),
                _ => Err(fail(name, format!("expected a positive integer, found {}", kind(v)))),
            }
        };
        let (d, c, m) = (dim("d")?, dim("c")?, dim("width")?);
        let matrix = |name: &str, rows: usize, rows_name: &str| -> Result<DMatrix<f64>> {
            let v = get(name)?;
            let Value::Array(rs) = v else {
                return Err(fail(name, format!("expected an array of {rows} rows, found {}", kind(v))));
            };
            if rs.len() != rows {
                return Err(fail(name, format!("expected {rows} rows ({rows_name} = {rows}), found {}", rs.len())));
            }
            let mut a = DMatrix::zeros(rows, m);
            for (i, r) in rs.iter().enumerate() {
                let Value::Array(cells) = r else {
                    return Err(fail(&format!("{name}[{i}]"), format!("expected an array of {m} numbers, found {}", kind(r))));
                };
                if cells.len() != m {
                    return Err(fail(&format!("{name}[{i}]"), format!("expected {m} numbers (width = {m}), found {}", cells.len())));
                }
                for (j, cell) in cells.iter().enumerate() {
                    match cell.as_f64() {
                        Some(x) if x.is_finite() => a[(i, j)] = x,
                        _ => return Err(fail(&format!("{name}[{i}][{j}]"), format!("expected a finite number, found {}", kind(cell)))),
                    }
                }
            }
            Ok(a)
        };
        let u = matrix("u", d, "d")?;
        let v = matrix("v", c, "c")?;
        Ok(Network { u, v })
    }
}

/// Accuracy of predictions `f` (n x c) against the targets of `data` (module docs).
pub fn accuracy_of(f: &DMatrix<f64>, data: &Dataset) -> Option<f64> {
    let n = data.n();
    if n == 0 || f.nrows() != n || f.ncols() != data.c() {
        return None;
    }
    let correct = match data.target_kind {
        TargetKind::Numeric => return None,
        TargetKind::Signed => (0..n).filter(|&i| (f[(i, 0)] >= 0.0) == (data.y[(i, 0)] > 0.0)).count(),
        TargetKind::Onehot => (0..n)
            .filter(|&i| argmax(f.row(i).iter().copied()) == argmax(data.y.row(i).iter().copied()))
            .count(),
    };
    Some(correct as f64 / n as f64)
}
