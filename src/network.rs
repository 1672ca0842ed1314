//! Two-layer ReLU networks `f(X) = s(X U) V'` and their training objective
//!
//! ```text
//!     L(U, V) = 1/2 ||s(X U) V' - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2)
//! ```
//!
//! with exactly these constants everywhere (sum, not mean), so every number the toolkit
//! prints is comparable. `U` is d x m (one column per hidden neuron), `V` is c x m.

use crate::data::Dataset;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// A two-layer ReLU network without biases (a bias is a ones column of X).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// First layer, d x m.
    pub u: Array2<f64>,
    /// Second layer, c x m.
    pub v: Array2<f64>,
}

impl Network {
    /// Hidden width m.
    pub fn width(&self) -> usize {
        self.u.ncols()
    }

    /// Hidden activations `s(X U)` (n x m).
    pub fn hidden(&self, x: ArrayView2<f64>) -> Array2<f64> {
        x.dot(&self.u).mapv(|t| t.max(0.0))
    }

    /// Outputs `s(X U) V'` (n x c).
    pub fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        self.hidden(x).dot(&self.v.t())
    }

    /// `1/2 ||s(XU)V' - Y||_F^2`.
    pub fn loss(&self, data: &Dataset) -> f64 {
        let r = self.predict(data.x.view()) - &data.y;
        0.5 * r.iter().map(|e| e * e).sum::<f64>()
    }

    /// `beta/2 (||U||_F^2 + ||V||_F^2)`.
    pub fn penalty(&self, beta: f64) -> f64 {
        0.5 * beta * (self.u.iter().map(|e| e * e).sum::<f64>() + self.v.iter().map(|e| e * e).sum::<f64>())
    }

    /// The training objective `L(U, V)` of the module docs.
    pub fn objective(&self, data: &Dataset, beta: f64) -> f64 {
        self.loss(data) + self.penalty(beta)
    }
}
