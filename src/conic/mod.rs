//! The conic standard form every formulation compiles to and every backend solves.
//!
//! ```text
//!     minimise    1/2 x' P x + q' x
//!     subject to  A x + s = b,   s in K = K_1 x ... x K_k
//! ```
//!
//! * `P` is symmetric positive semidefinite and stored as its **upper triangle** in CSC.
//! * `A` is `m x n` in CSC (sprs, compressed sparse columns).
//! * The cones are listed in the order **zero, nonnegative, second-order, PSD**: both
//!   Clarabel and SCS accept this order and SCS requires it; [`ConicProblem::validate`] enforces it.
//! * A PSD cone of order `k` occupies `k(k+1)/2` rows holding `svec` of the slack in the
//!   toolkit's packing: upper triangle, column by column, off-diagonals times sqrt 2
//!   (see [`svec`]). Backends with another packing permute (the SCS adapter does).
//! * Duals follow Clarabel's sign convention: `z in K*` and `P x + q + A' z = 0`; the dual
//!   objective is `-1/2 x'Px - b'z`.

pub mod check;
pub mod csc;
pub mod svec;

pub use check::{check_solution, KktCheck};
pub use csc::{CscBuilder, Csc};
pub use svec::{smat, svec, svec_index, svec_len, svec_len_checked, svec_order, upper_to_lower_permutation, Triangle};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A closed convex cone of the standard form. The number is the cone's **dimension in rows
/// of A** except for [`Cone::Psd`], which carries the matrix order `k` (rows: `k(k+1)/2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cone {
    /// `{0}^k`: equality constraints.
    Zero(usize),
    /// `R^k_+`.
    Nonnegative(usize),
    /// `{(t, x) in R x R^(k-1) : ||x|| <= t}`, `k >= 1`.
    SecondOrder(usize),
    /// Symmetric PSD matrices of order `k`, stored as `svec` (upper triangle, scaled).
    Psd(usize),
}

impl Cone {
    /// Number of rows of `A` the cone occupies (saturating at `usize::MAX` for a PSD order
    /// whose packing does not fit; [`Cone::dim_checked`] says so instead).
    pub fn dim(&self) -> usize {
        match *self {
            Cone::Zero(k) | Cone::Nonnegative(k) | Cone::SecondOrder(k) => k,
            Cone::Psd(k) => svec_len(k),
        }
    }

    /// Number of rows of `A` the cone occupies, or `None` when `k(k+1)/2` overflows.
    pub fn dim_checked(&self) -> Option<usize> {
        match *self {
            Cone::Zero(k) | Cone::Nonnegative(k) | Cone::SecondOrder(k) => Some(k),
            Cone::Psd(k) => svec::svec_len_checked(k),
        }
    }

    /// Position of this cone kind in the required order (zero < nonnegative < SOC < PSD).
    pub fn rank(&self) -> u8 {
        match self {
            Cone::Zero(_) => 0,
            Cone::Nonnegative(_) => 1,
            Cone::SecondOrder(_) => 2,
            Cone::Psd(_) => 3,
        }
    }

    /// Human-readable name used in error messages and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Cone::Zero(_) => "zero",
            Cone::Nonnegative(_) => "nonnegative",
            Cone::SecondOrder(_) => "second-order",
            Cone::Psd(_) => "psd",
        }
    }
}

/// `min 1/2 x'Px + q'x  s.t.  Ax + s = b, s in K` (see the module docs for conventions).
#[derive(Clone, Debug)]
pub struct ConicProblem {
    /// `n x n`, upper triangle only, CSC.
    pub p: Csc,
    /// Linear objective, length `n`.
    pub q: Vec<f64>,
    /// `m x n` constraint matrix, CSC.
    pub a: Csc,
    /// Right-hand side, length `m`.
    pub b: Vec<f64>,
    /// Cones in the order zero, nonnegative, second-order, PSD; their dimensions sum to `m`.
    pub cones: Vec<Cone>,
}

impl ConicProblem {
    /// Number of variables `n`.
    pub fn num_vars(&self) -> usize {
        self.q.len()
    }

    /// Number of constraint rows `m`.
    pub fn num_rows(&self) -> usize {
        self.b.len()
    }

    /// Checks every structural requirement and names the first one violated:
    /// dimensions of P, q, A, b; P upper triangular; cone sizes summing to m; cone order;
    /// finite numbers everywhere; at least one variable. Sizes are added with checked arithmetic,
    /// so cone sizes read from a file cannot wrap around.
    pub fn validate(&self) -> Result<()> {
        let n = self.q.len();
        let m = self.b.len();
        if n == 0 {
            return Err(Error::invalid_problem("q", "at least one variable (n >= 1)", "n = 0"));
        }
        if self.p.rows() != n || self.p.cols() != n {
            return Err(Error::invalid_problem("P", format!("{n} x {n} (n = len(q))"), format!("{} x {}", self.p.rows(), self.p.cols())));
        }
        if self.a.rows() != m || self.a.cols() != n {
            return Err(Error::invalid_problem("A", format!("{m} x {n} (len(b) x len(q))"), format!("{} x {}", self.a.rows(), self.a.cols())));
        }
        for (&v, (row, col)) in self.p.iter() {
            if row > col {
                return Err(Error::invalid_problem("P", "upper triangle only (row <= column)", format!("entry at row {row}, column {col}")));
            }
            if !v.is_finite() {
                return Err(Error::invalid_problem(format!("P[{row},{col}]"), "a finite number", v));
            }
        }
        for (&v, (row, col)) in self.a.iter() {
            if !v.is_finite() {
                return Err(Error::invalid_problem(format!("A[{row},{col}]"), "a finite number", v));
            }
        }
        if let Some(i) = self.q.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_problem(format!("q[{i}]"), "a finite number", self.q[i]));
        }
        if let Some(i) = self.b.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_problem(format!("b[{i}]"), "a finite number", self.b[i]));
        }
        let mut rows = 0usize;
        let mut last_rank = 0u8;
        for (i, cone) in self.cones.iter().enumerate() {
            let size_ok = match *cone {
                Cone::Zero(_) | Cone::Nonnegative(_) => true,
                Cone::SecondOrder(k) | Cone::Psd(k) => k >= 1,
            };
            if !size_ok {
                return Err(Error::invalid_problem(format!("cones[{i}]"), format!("a {} cone of size >= 1", cone.name()), "size 0"));
            }
            if cone.rank() < last_rank {
                return Err(Error::invalid_problem(
                    format!("cones[{i}]"),
                    "cone order zero, nonnegative, second-order, psd",
                    format!("a {} cone after a later kind", cone.name()),
                ));
            }
            last_rank = cone.rank();
            let dim = cone.dim_checked().ok_or_else(|| {
                Error::invalid_problem(format!("cones[{i}]"), "a PSD order k whose k(k+1)/2 rows fit in memory", format!("order {}", match cone { Cone::Psd(k) => *k, _ => 0 }))
            })?;
            rows = rows.checked_add(dim).ok_or_else(|| {
                Error::invalid_problem("cones", format!("dimensions summing to {m} (rows of A)"), format!("a sum past 2^64 at cones[{i}]"))
            })?;
        }
        if rows != m {
            return Err(Error::invalid_problem("cones", format!("dimensions summing to {m} (rows of A)"), rows));
        }
        Ok(())
    }

    /// Row ranges `(start, end)` of each cone in `A`, in order.
    pub fn cone_ranges(&self) -> Vec<(usize, usize)> {
        let mut start = 0;
        self.cones
            .iter()
            .map(|c| {
                let r = (start, start + c.dim());
                start = r.1;
                r
            })
            .collect()
    }

    /// Objective value `1/2 x'Px + q'x` at `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        let px = csc::sym_upper_mul(&self.p, x);
        0.5 * dot(x, &px) + dot(&self.q, x)
    }
}

/// Euclidean inner product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
