//! C-ReLU refit on the activation patterns of candidate directions (scalar output only).
//!
//! Given candidate first-layer directions `u_1, ..., u_K` (columns of a d x K matrix) on training
//! data `X` (n x d) with one target column `y`, the patterns `D_k = diag(1[X u_k >= 0])` are
//! collected, the all-zero pattern dropped and duplicates removed (first occurrence kept, at most
//! `min(max_patterns, MAX_SIGN_ROWS / (2n))` of them, in the order of the columns). On these `P` patterns the exact convex
//! program of Pilanci & Ergen (C-ReLU, [`crate::formulation::crelu`]) is solved:
//!
//! ```text
//!   min 1/2 || sum_i D_i X (v_i - w_i) - y ||^2 + beta sum_i (||v_i|| + ||w_i||)
//!   s.t. (2 D_i - I) X v_i >= 0,  (2 D_i - I) X w_i >= 0
//! ```
//!
//! Its optimum is the best network whose every neuron has one of these patterns: unlike the
//! group-lasso refit ([`super::refit`]), which fixes each neuron's direction, it also moves the
//! directions inside their pattern cones. Every group-lasso refit on directions whose patterns
//! are among the `D_i` is feasible for it (a neuron `(u, w)` with `1[X u >= 0] = D_i` is
//! `v_i = |w| u` or `w_i = |w| u`, same fit, same penalty), so on the same candidates its optimum
//! is at most the group-lasso optimum; with every pattern of the data it is `p*`.
//!
//! The network is recovered as in [`crate::formulation::Layout::recover_network`] (merge
//! collinear same-sign vectors, drop negligible ones, balance). Interior-point solutions are
//! accurate only to about the square root of the tolerance in ill-conditioned directions, so the
//! recovered network's directions are passed once more through the exact group-lasso refit
//! (whose Newton polish is accurate to machine precision), and the better of the two networks
//! by [`crate::network::Network::objective`] on the training data is returned: an honest upper bound on `p*`.
//!
//! Size: the program has `2 d P + 2 P + n` variables and `n + 2 n P + 2 P (d + 1)` cone rows;
//! its memory is estimated and checked against [`crate::limits`] before it is built.

use super::refit::{refit, Refit, RefitSettings};
use crate::backend;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::formulation::{crelu, Formulation};
use crate::patterns::{self, Pattern, Patterns};
use nalgebra::DMatrixView;

/// Default cap on the number of distinct patterns of the C-ReLU refit.
pub const DEFAULT_MAX_PATTERNS: usize = 2_000;

/// Largest number of sign-constraint rows `2 n P` of the program: the pattern cap is lowered to
/// `max(1, MAX_SIGN_ROWS / (2 n))` on large data, so that the refit stays a small part of the
/// rounding's cost (the first patterns in candidate order are kept).
pub const MAX_SIGN_ROWS: usize = 500_000;

/// Result of [`crelu_refit`].
#[derive(Clone, Debug)]
pub struct CreluRefit {
    /// The better of the recovered network and its group-lasso refit (`refit.objective` is
    /// [`crate::network::Network::objective`] of `refit.network`).
    pub refit: Refit,
    /// Distinct non-zero patterns the program was solved on.
    pub patterns: usize,
    /// Distinct non-zero patterns of the candidates before the cap.
    pub patterns_found: usize,
    /// The backend's objective of the C-ReLU solve (not a bound: solver accuracy).
    pub solver_objective: f64,
    /// [`crate::network::Network::objective`] of the network recovered from the solve, before the group-lasso pass.
    pub recovered_objective: f64,
}

/// The distinct non-zero patterns `1[X u_k >= 0]` of the nonzero columns of `directions`, in
/// column order.
pub fn candidate_patterns(x: DMatrixView<f64>, directions: DMatrixView<f64>) -> Vec<Pattern> {
    patterns::dedup(
        directions
            .column_iter()
            .filter(|u| u.iter().any(|e| *e != 0.0))
            .map(|u| Pattern::of_direction(x, u.as_slice())),
    )
}

/// Solves C-ReLU on the patterns of `directions` (module docs). `Ok(None)` when no direction is
/// active on any training row. Errors: `InvalidArgument` for vector output, a size mismatch or
/// `max_patterns == 0`; `TooLarge` when the program would exceed the memory limit; `Backend`
/// when the solver ends without a solution.
pub fn crelu_refit(data: &Dataset, directions: DMatrixView<f64>, beta: f64, rs: &RefitSettings, max_patterns: usize) -> Result<Option<CreluRefit>> {
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!("the C-ReLU refit needs scalar output (c = 1), the data have c = {}", data.c())));
    }
    if directions.nrows() != data.d() {
        return Err(Error::InvalidArgument(format!("C-ReLU refit: directions have {} rows, the data have d = {}", directions.nrows(), data.d())));
    }
    if max_patterns == 0 {
        return Err(Error::InvalidArgument("C-ReLU refit: the pattern cap must be at least 1".into()));
    }
    let mut list = candidate_patterns(data.x.as_view(), directions);
    let found = list.len();
    if found == 0 {
        return Ok(None);
    }
    let cap = max_patterns.min((MAX_SIGN_ROWS / (2 * data.n()).max(1)).max(1));
    list.truncate(cap);
    let (n, d, p) = (data.n() as f64, data.d() as f64, list.len() as f64);
    // Stored entries: fit rows (<= 2 n d P), sign rows (2 n d P), cones (2 P d); 16 bytes each
    // (value and row index, twice for the solver's copy), plus vectors of the rows and columns.
    let entries = 4.0 * n * d * p + 2.0 * p * d + n;
    let rows = n + 2.0 * n * p + 2.0 * p * (d + 1.0);
    let cols = 2.0 * d * p + 2.0 * p + n;
    let bytes = 2.0 * 16.0 * entries + 8.0 * 8.0 * (rows + cols);
    crate::limits::check_bytes(bytes, || format!("C-ReLU refit on {} patterns of n = {}, d = {} data", list.len(), data.n(), data.d()))?;
    let pats = Patterns { list, exhaustive: false, rank: data.d() };
    let np = pats.len();
    let compiled = crelu::crelu_with_patterns(data, beta, pats, Formulation::Sampled)?;
    let sol = backend::solve(&compiled.problem, rs.backend, &rs.solve)?;
    if !sol.status.has_solution() {
        return Err(Error::Backend { backend: rs.backend.name(), message: format!("C-ReLU refit ended with status {}", sol.status) });
    }
    let recovered = compiled.layout.recover_network(&sol.x)?;
    let recovered_objective = recovered.objective(data, beta);
    let mut best = refit(data, recovered.u.as_view(), beta, rs)?;
    if recovered_objective < best.objective {
        best.network = recovered;
        best.objective = recovered_objective;
    }
    best.directions = directions.ncols();
    Ok(Some(CreluRefit { refit: best, patterns: np, patterns_found: found, solver_objective: sol.primal_objective, recovered_objective }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TargetKind;
    use nalgebra::{dmatrix, DMatrix};

    #[test]
    fn patterns_are_deduplicated_and_zero_dropped() {
        let x = dmatrix![1.0, 0.0; 0.0, 1.0; -1.0, -1.0];
        // u1 and 2 u1 share a pattern; u3 = (-1, -1) is active only on row 2; the zero column is skipped.
        let dirs = dmatrix![1.0, 2.0, -1.0, 0.0; 1.0, 2.0, -1.0, 0.0];
        let p = candidate_patterns(x.as_view(), dirs.as_view());
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].to_bools(), vec![true, true, false]);
        assert_eq!(p[1].to_bools(), vec![false, false, true]);
    }

    #[test]
    fn vector_output_and_bad_sizes_are_rejected() {
        let x = DMatrix::from_fn(4, 2, |i, j| (i + j) as f64);
        let y2 = DMatrix::zeros(4, 2);
        let data2 = Dataset::from_arrays(x.clone(), y2, TargetKind::Numeric, "t");
        let dirs = dmatrix![1.0; 0.0];
        assert!(matches!(crelu_refit(&data2, dirs.as_view(), 0.1, &RefitSettings::default(), 10), Err(Error::InvalidArgument(_))));
        let data1 = Dataset::from_arrays(x, DMatrix::zeros(4, 1), TargetKind::Numeric, "t");
        let bad = dmatrix![1.0; 0.0; 0.0];
        assert!(matches!(crelu_refit(&data1, bad.as_view(), 0.1, &RefitSettings::default(), 10), Err(Error::InvalidArgument(_))));
        assert!(matches!(crelu_refit(&data1, dirs.as_view(), 0.1, &RefitSettings::default(), 0), Err(Error::InvalidArgument(_))));
        // No direction active anywhere: nothing to solve.
        let inactive = dmatrix![-1.0; -1.0];
        assert!(crelu_refit(&data1, inactive.as_view(), 0.1, &RefitSettings::default(), 10).unwrap().is_none());
    }
}
