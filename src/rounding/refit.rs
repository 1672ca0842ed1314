//! Exact refit of the second layer for fixed first-layer directions: the convex group lasso.
//!
//! With unit directions `u_1..u_K` fixed and `h_k = s(X u_k)` (the columns of `H`, n x K),
//! the weight-decay training problem over the second layer and the scales of the first is
//!
//! ```text
//!     min_W  1/2 || H W - Y ||_F^2 + beta * sum_k ||w_k||_2          (W: K x c, row k = w_k')
//! ```
//!
//! because the neuron `(t u_k, w_k / t)` has output `h_k w_k'` for every `t > 0` and its penalty
//! `beta/2 (t^2 + ||w_k||^2 / t^2)` is smallest, `beta ||w_k||`, at `t^2 = ||w_k||`. The network
//! is therefore `u_k sqrt(||w_k||)`, `v_k = w_k / sqrt(||w_k||)`, and its training objective
//! equals the group-lasso value of `W` (to rounding).
//!
//! Conic form (solved by the chosen backend, Clarabel by default): variables
//! `x = [w (K c, group-major: w_k at k c .. k c + c); t (K); r (n c, r_(i,l) at i c + l)]`,
//!
//! ```text
//!     minimise    1/2 ||r||^2 + beta * sum_k t_k
//!     subject to  H W - r = Y                     (zero cone, n c rows)
//!                 (t_k, w_k) in SOC(c + 1)         (one per group)
//! ```
//!
//! Preprocessing (exact):
//! * zero columns (`X u_k <= 0` on every sample) are removed: they cannot change the fit;
//! * **deduplication**: columns whose *normalised* versions `h_k / ||h_k||` agree to within
//!   [`RefitSettings::dedup_tolerance`] (max-abs difference; default 1e-10, i.e. numerically
//!   identical) are merged into one group, represented by the column of **largest norm**. This is
//!   exact: if `h_k = alpha h_j` with `alpha >= 1`, any solution using `w_j` can move it to
//!   `w_k + w_j / alpha` with the same output and a penalty no larger. Columns that are merely
//!   close (or that share an activation pattern with different values) are *not* merged.
//!
//! Screening (exact, [`RefitSettings::screen`]): a refit with many groups is solved on small
//! working sets of groups until every group left out satisfies its optimality condition at
//! `w_k = 0`, `||h_k' (Y - H W)|| <= beta` (see [`group_lasso`]).
//!
//! Postprocessing: interior-point solutions are never exactly sparse and, as the objective is
//! only strongly convex in poorly conditioned directions, their `W` is accurate to about the
//! square root of the solver tolerance. With [`RefitSettings::polish`] (default) the support
//! `{k : ||w_k|| > drop_relative * max_j ||w_j||}` (default `drop_relative` 1e-6) is kept, the
//! other groups are set to exactly zero and the smooth problem on the support is solved to
//! machine precision by damped Newton ([`newton_polish`]); the result is accepted only if it
//! satisfies the zero groups' optimality condition and does not increase the value. Groups with
//! `||w_k|| <= drop_relative * max_j ||w_j||` are then dropped from the network. The reported
//! objective is always [`Network::objective`] of the returned network.

use crate::backend::{self, BackendKind, SolveSettings, Status};
use crate::conic::{Cone, ConicProblem, CscBuilder};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::dense::{matmul, row_norm, sum_of_squares};
use nalgebra::{DMatrix, DMatrixView, DVector};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Settings of the group-lasso refit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefitSettings {
    /// Backend solving the group lasso (default Clarabel).
    pub backend: BackendKind,
    /// Backend settings (default: the backend's own tolerances).
    pub solve: SolveSettings,
    /// Groups with `||w_k|| <= drop_relative * max ||w_k||` are dropped (default 1e-6).
    pub drop_relative: f64,
    /// Max-abs tolerance on normalised columns for exact deduplication (default 1e-10).
    pub dedup_tolerance: f64,
    /// Newton polish of the backend's solution on its support (default true).
    pub polish: bool,
    /// Refits whose conic form would have more than this many nonzeros (`n c K`) are solved by
    /// the accelerated proximal gradient method of [`super::group_lasso_apg`] instead of
    /// `backend` (default 1 000 000; `usize::MAX` keeps every refit on the backend). Which solver
    /// ran is in [`GroupLassoSolution::solver`].
    #[serde(default = "default_first_order_above")]
    pub first_order_above: usize,
    /// Solve refits with more than [`SCREEN_START`] groups on a working set of groups, grown
    /// until every group left out satisfies its optimality condition at the working set's
    /// solution (default true; exact, see [`group_lasso`]). `false` solves every refit on all its
    /// groups at once.
    #[serde(default = "default_screen")]
    pub screen: bool,
}

fn default_screen() -> bool {
    true
}

fn default_first_order_above() -> usize {
    1_000_000
}

impl Default for RefitSettings {
    fn default() -> Self {
        Self { backend: BackendKind::Clarabel, solve: SolveSettings::default(), drop_relative: 1e-6, dedup_tolerance: 1e-10, polish: true, first_order_above: default_first_order_above(), screen: true }
    }
}

impl RefitSettings {
    /// Rejects negative or non-finite thresholds and invalid solve settings.
    pub fn validate(&self) -> Result<()> {
        self.solve.validate()?;
        if !(self.drop_relative.is_finite() && (0.0..1.0).contains(&self.drop_relative)) {
            return Err(Error::InvalidArgument(format!("drop_relative must be in [0, 1), found {}", self.drop_relative)));
        }
        if !(self.dedup_tolerance.is_finite() && self.dedup_tolerance >= 0.0) {
            return Err(Error::InvalidArgument(format!("dedup_tolerance must be >= 0, found {}", self.dedup_tolerance)));
        }
        Ok(())
    }
}

/// A solved group lasso `min 1/2||H W - Y||^2 + beta sum ||w_k||`.
#[derive(Clone, Debug)]
pub struct GroupLassoSolution {
    /// K x c; row k is `w_k'`.
    pub w: DMatrix<f64>,
    /// Backend status.
    pub status: Status,
    /// The backend's primal objective (equals the group-lasso value at its solution).
    pub solver_objective: f64,
    /// Whether the Newton polish ([`newton_polish`]) was accepted.
    pub polished: bool,
    /// The solver that ran: the backend's name, or `proximal-gradient`.
    pub solver: &'static str,
}

/// `1/2 ||H W - Y||_F^2 + beta * sum_k ||w_k||_2`, computed directly.
pub fn group_lasso_value(h: DMatrixView<f64>, w: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64) -> f64 {
    let r = matmul(&h, &w) - y;
    let loss = 0.5 * sum_of_squares(&r);
    let pen: f64 = (0..w.nrows()).map(|g| row_norm(&w, g)).sum();
    loss + beta * pen
}

/// The conic program of the module docs for columns `h` (n x K) and targets `y` (n x c).
pub fn group_lasso_problem(h: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64) -> ConicProblem {
    let (n, k) = h.shape();
    let c = y.ncols();
    let (wo, to, ro) = (0, k * c, k * c + k);
    let nv = ro + n * c;
    let mut p = CscBuilder::new(nv, nv);
    for j in 0..n * c {
        p.push(ro + j, ro + j, 1.0);
    }
    let mut q = vec![0.0; nv];
    q[to..to + k].iter_mut().for_each(|e| *e = beta);
    let m = n * c + k * (c + 1);
    let mut a = CscBuilder::new(m, nv);
    let mut b = vec![0.0; m];
    for i in 0..n {
        for l in 0..c {
            let row = i * c + l;
            for g in 0..k {
                a.push(row, wo + g * c + l, h[(i, g)]);
            }
            a.push(row, ro + row, -1.0);
            b[row] = y[(i, l)];
        }
    }
    let mut cones = vec![Cone::Zero(n * c)];
    for g in 0..k {
        let base = n * c + g * (c + 1);
        a.push(base, to + g, -1.0);
        for l in 0..c {
            a.push(base + 1 + l, wo + g * c + l, -1.0);
        }
        cones.push(Cone::SecondOrder(c + 1));
    }
    ConicProblem { p: p.build(), q, a: a.build(), b, cones }
}

/// The size of a screened refit's first working set (at most all `K` groups); refits with no
/// more groups than this are solved at once. The optimal supports measured on the benchmark
/// instances are small against `K` (iris training half: about 40 of 330 groups; banknote
/// training half: about 100-200 of 2 000).
pub const SCREEN_START: usize = 64;

/// A working set whose solution uses at least this fraction of its groups ends the screening:
/// the next solve is on every group. Measured supports: at most 77% of the set on the banknote
/// training half and 65% on the iris half (where screening pays), 99-100% on digits PCA-20 with
/// `c = 10` (where it does not: its refitted networks use 370-770 of 400-800 columns).
pub const DENSE_SUPPORT: f64 = 0.9;

/// Relative slack of the optimality condition `||h_k' (Y - H W)|| <= beta` of a group left out
/// of the working set: a group above `beta (1 + SCREEN_SLACK)` fails it (the Newton polish
/// accepts its zero groups with the same slack).
pub const SCREEN_SLACK: f64 = 1e-7;

/// Solves the group lasso for columns `h` (n x K) and targets `y` (n x c) with the backend, then
/// (with [`RefitSettings::polish`]) polishes the solution by Newton's method on its support.
///
/// With [`RefitSettings::screen`] and more than [`SCREEN_START`] groups it is solved on a small
/// working set of groups, rebuilt after each solve (the working-set strategy of Celer, Massias,
/// Gramfort & Salmon 2018). A group `k` left out of the set has zero in its subdifferential at
/// `w_k = 0` exactly when `||h_k' R|| <= beta`, with `R = Y - H W` the residual of the set's
/// solution `W`. So when no group left out fails that test (up to [`SCREEN_SLACK`]), `W` with
/// zeros outside the set solves the whole problem, to the accuracy of the solve on the set: the
/// screening is exact, it only makes the solves smaller. Otherwise the next set is the support
/// of `W` and the groups of largest score `(||h_k' R|| - beta) / ||h_k||` (the failing ones
/// first), `p` groups in all, with `p` the larger of twice the support and the previous `p`,
/// doubled whenever a round leaves no fewer failing groups than the one before, and set to `K`
/// when the support fills nine tenths of the set ([`DENSE_SUPPORT`]); `p` reaches `K`
/// at worst, and the set is then the whole problem. The first set holds the [`SCREEN_START`]
/// groups of largest correlation `||h_k' Y|| / ||h_k||`; when every `||h_k' Y||` is at most
/// `beta`, `W = 0` is the solution and nothing is solved.
pub fn group_lasso(h: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64, settings: &RefitSettings) -> Result<GroupLassoSolution> {
    let (n, k) = h.shape();
    let c = y.ncols();
    if y.nrows() != n {
        return Err(Error::InvalidArgument(format!("group lasso: H has {n} rows but Y has {}", y.nrows())));
    }
    if !settings.screen || k <= SCREEN_START {
        return group_lasso_all(h, y, beta, settings);
    }
    let clock = std::time::Instant::now();
    let column_norms: Vec<f64> = (0..k).map(|g| h.column(g).norm().max(f64::MIN_POSITIVE)).collect();
    // ||h_k' R|| for every group, R = Y - H W (n x c).
    let correlations = |r: &DMatrix<f64>| -> Vec<f64> {
        let hr = matmul(&h.transpose(), r);
        (0..k).map(|g| row_norm(&hr, g)).collect()
    };
    let y_owned = y.clone_owned();
    let mut corr = correlations(&y_owned);
    if corr.iter().all(|&v| v <= beta) {
        let w = DMatrix::zeros(k, c);
        let v = group_lasso_value(h, w.as_view(), y, beta);
        return Ok(GroupLassoSolution { w, status: Status::Solved, solver_objective: v, polished: false, solver: "none" });
    }
    let mut support: Vec<usize> = Vec::new();
    let mut size = SCREEN_START;
    let mut last_failing = usize::MAX;
    loop {
        // The next working set: the support, then the groups of largest score.
        let mut inside = vec![false; k];
        let mut working = support.clone();
        working.iter().for_each(|&g| inside[g] = true);
        let mut order: Vec<usize> = (0..k).filter(|&g| !inside[g]).collect();
        let score = |g: usize| (corr[g] - beta) / column_norms[g];
        order.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
        working.extend(order.iter().take(size.saturating_sub(working.len())));
        working.sort_unstable();
        working.iter().for_each(|&g| inside[g] = true);
        let mut sub = settings.clone();
        if let Some(t) = settings.solve.time_limit_seconds {
            sub.solve.time_limit_seconds = Some((t - clock.elapsed().as_secs_f64()).max(0.0));
        }
        let hw = DMatrix::from_fn(n, working.len(), |i, j| h[(i, working[j])]);
        let sol = match group_lasso_all(hw.as_view(), y, beta, &sub) {
            Ok(sol) => sol,
            // A working set the backend fails on (seen at tolerance 1e-10 with a tiny beta, where
            // the same backend solved the whole problem): the whole problem, as without screening.
            Err(Error::Backend { .. }) => return group_lasso_all(h, y, beta, &sub),
            Err(e) => return Err(e),
        };
        let mut w = DMatrix::zeros(k, c);
        for (j, &g) in working.iter().enumerate() {
            for l in 0..c {
                w[(g, l)] = sol.w[(j, l)];
            }
        }
        let residual = &y_owned - matmul(&hw, &sol.w);
        corr = correlations(&residual);
        let failing = (0..k).filter(|&g| !inside[g] && corr[g] > beta * (1.0 + SCREEN_SLACK)).count();
        let out_of_time = settings.solve.time_limit_seconds.is_some_and(|t| clock.elapsed().as_secs_f64() >= t);
        // The support as the refit keeps it: an interior-point W is never exactly sparse.
        let norms: Vec<f64> = (0..k).map(|g| row_norm(&w, g)).collect();
        let largest = norms.iter().cloned().fold(0.0, f64::max);
        support = (0..k).filter(|&g| norms[g] > 0.0 && norms[g] > settings.drop_relative * largest).collect();
        if failing == 0 || out_of_time || working.len() == k {
            // Any W is a network; one whose left-out groups still fail is reported as inaccurate.
            let status = if failing == 0 { sol.status } else { Status::Inaccurate };
            return Ok(GroupLassoSolution { w, status, solver_objective: sol.solver_objective, polished: sol.polished, solver: sol.solver });
        }
        size = size.max(2 * support.len());
        if failing >= last_failing {
            size = size.saturating_mul(2);
        }
        // A support that fills the working set: the solution is not sparse at this scale, and
        // growing sets would only add solves (digits: 64 of 64, then 128 of 128). The whole
        // problem next.
        if support.len() as f64 >= DENSE_SUPPORT * working.len() as f64 {
            size = k;
        }
        size = size.min(k);
        last_failing = failing;
    }
}

/// [`group_lasso`] on every group at once: the backend (or, above
/// [`RefitSettings::first_order_above`], the proximal gradient method), then the Newton polish.
fn group_lasso_all(h: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64, settings: &RefitSettings) -> Result<GroupLassoSolution> {
    let (n, k) = h.shape();
    let c = y.ncols();
    if k == 0 {
        let w = DMatrix::zeros(0, c);
        let v = group_lasso_value(h, w.as_view(), y, beta);
        return Ok(GroupLassoSolution { w, status: Status::Solved, solver_objective: v, polished: false, solver: "none" });
    }
    let nonzeros = n.saturating_mul(c).saturating_mul(k);
    let (mut w, status, solver_objective, solver) = if nonzeros > settings.first_order_above {
        let apg_settings = super::group_lasso_apg::ApgSettings { time_limit_seconds: settings.solve.time_limit_seconds, ..Default::default() };
        let apg = super::group_lasso_apg::solve(h, y, beta, &apg_settings)?;
        // Any W is a network; an unconverged one is reported as inaccurate.
        let status = if apg.converged { Status::Solved } else { Status::Inaccurate };
        let v = group_lasso_value(h, apg.w.as_view(), y, beta);
        (apg.w, status, v, "proximal-gradient")
    } else {
        let problem = group_lasso_problem(h, y, beta);
        let sol = backend::solve(&problem, settings.backend, &settings.solve)?;
        if !sol.status.has_solution() {
            return Err(Error::Backend { backend: settings.backend.name(), message: format!("group-lasso refit ended with status {}", sol.status) });
        }
        (DMatrix::from_fn(k, c, |g, l| sol.x[g * c + l]), sol.status, sol.primal_objective, settings.backend.name())
    };
    let mut polished = false;
    if settings.polish {
        if let Some(p) = newton_polish(h, y, beta, w.as_view(), settings.drop_relative) {
            w = p;
            polished = true;
        }
    }
    Ok(GroupLassoSolution { w, status, solver_objective, polished, solver })
}

/// Largest `|S| c` the Newton polish factors densely.
pub const NEWTON_MAX_UNKNOWNS: usize = 1500;

/// Newton polish of an approximate group-lasso solution `w0` (K x c).
///
/// Support `S = { k : ||w0_k|| > drop_relative * max ||w0_j|| }`. On `S` the objective is smooth
/// and (for `H_S` of full column rank) strictly convex, with gradient
/// `H_S'(H_S W - Y) + beta w_k / ||w_k||` and Hessian `(H_S' H_S) (x) I_c + beta blockdiag(
/// (I - w_k w_k' / ||w_k||^2) / ||w_k||)`; damped Newton (backtracking on the objective) runs to
/// machine precision from `w0`. The result, with the other groups set to exactly zero, is
/// accepted only if it converged, no kept group collapsed to zero, the optimality condition of
/// the zero groups holds (`||h_j' (H W - Y)|| <= beta (1 + 1e-7)`) and its value is no larger
/// than that of `w0`. Otherwise `None` (the caller keeps `w0`). Supports with more than
/// [`NEWTON_MAX_UNKNOWNS`] unknowns (`|S| c`) are not polished (dense Hessian).
pub fn newton_polish(h: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64, w0: DMatrixView<f64>, drop_relative: f64) -> Option<DMatrix<f64>> {
    let (n, k) = h.shape();
    let c = y.ncols();
    let norms: Vec<f64> = (0..k).map(|g| row_norm(&w0, g)).collect();
    let max = norms.iter().cloned().fold(0.0, f64::max);
    let support: Vec<usize> = (0..k).filter(|&g| norms[g] > 0.0 && norms[g] > drop_relative * max).collect();
    let s = support.len();
    if s * c > NEWTON_MAX_UNKNOWNS {
        return None;
    }
    let hs = DMatrix::from_fn(n, s, |i, j| h[(i, support[j])]);
    let ym = y.clone_owned();
    let gram = hs.transpose() * &hs;
    let hty = hs.transpose() * &ym;
    let value = |w: &DMatrix<f64>| -> f64 {
        let r = &hs * w - &ym;
        0.5 * r.norm_squared() + beta * (0..s).map(|g| w.row(g).norm()).sum::<f64>()
    };
    let mut w = DMatrix::from_fn(s, c, |g, l| w0[(support[g], l)]);
    let mut f = value(&w);
    let mut converged = s == 0;
    for _ in 0..50 {
        if s == 0 {
            break;
        }
        let mut grad = &gram * &w - &hty;
        let mut hess = DMatrix::<f64>::zeros(s * c, s * c);
        for g in 0..s {
            let wg = w.row(g).transpose();
            let nw = wg.norm();
            if nw == 0.0 {
                return None;
            }
            for l in 0..c {
                grad[(g, l)] += beta * wg[l] / nw;
            }
            for g2 in 0..s {
                for l in 0..c {
                    hess[(g * c + l, g2 * c + l)] += gram[(g, g2)];
                }
            }
            for l in 0..c {
                for l2 in 0..c {
                    let id = if l == l2 { 1.0 } else { 0.0 };
                    hess[(g * c + l, g * c + l2)] += beta * (id - wg[l] * wg[l2] / (nw * nw)) / nw;
                }
            }
        }
        let gvec = DVector::from_fn(s * c, |i, _| grad[(i / c, i % c)]);
        let chol = hess.cholesky()?;
        let step = chol.solve(&gvec);
        let dir = DMatrix::from_fn(s, c, |g, l| step[g * c + l]);
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let cand = &w - &dir * t;
            let fc = value(&cand);
            if fc <= f {
                w = cand;
                f = fc;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        let small = step.norm() * t <= 1e-14 * (1.0 + w.norm());
        if !accepted || small {
            converged = true;
            break;
        }
    }
    if !converged {
        return None;
    }
    let mut out = DMatrix::zeros(k, c);
    for (g, &kk) in support.iter().enumerate() {
        if w.row(g).norm() == 0.0 {
            return None;
        }
        for l in 0..c {
            out[(kk, l)] = w[(g, l)];
        }
    }
    // Optimality of the groups set to zero, and no loss against w0.
    let r = matmul(&h, &out) - y;
    for j in (0..k).filter(|j| !support.contains(j)) {
        // r' h_j, summed over the samples in order
        let g = DVector::from_fn(c, |l, _| r.column(l).iter().zip(h.column(j).iter()).fold(0.0, |s, (a, b)| s + a * b));
        if g.dot(&g).sqrt() > beta * (1.0 + 1e-7) {
            return None;
        }
    }
    let (vp, v0) = (group_lasso_value(h, out.as_view(), y, beta), group_lasso_value(h, w0, y, beta));
    (vp <= v0 + 1e-12 * (1.0 + v0.abs())).then_some(out)
}

/// Result of [`refit`].
#[derive(Clone, Debug)]
pub struct Refit {
    /// The refitted network (one neuron per kept group), balanced: `||u_k|| = ||v_k||`.
    pub network: Network,
    /// [`Network::objective`] of `network` on the training data.
    pub objective: f64,
    /// Group-lasso value of the kept groups' `W`, computed directly (equals `objective` to rounding).
    pub group_lasso_value: f64,
    /// The backend's objective of the group-lasso solve.
    pub solver_objective: f64,
    /// Whether the Newton polish was accepted.
    pub polished: bool,
    /// Directions passed in.
    pub directions: usize,
    /// Directions whose column `s(X u)` was zero, or that had zero norm.
    pub zero_columns: usize,
    /// Distinct columns after exact deduplication (the groups of the first solve).
    pub distinct_columns: usize,
    /// Backend status of the solve (`Solved` also when no solve was needed).
    pub status: Status,
}

/// Normalised copies of the nonzero columns of `directions` (d x K); zero columns are skipped.
fn normalised_directions(directions: DMatrixView<f64>) -> Vec<Vec<f64>> {
    directions
        .column_iter()
        .filter_map(|col| {
            let nrm = col.iter().fold(0.0, |s, e| s + e * e).sqrt(); // squares summed in order
            (nrm > 0.0 && nrm.is_finite()).then(|| col.iter().map(|e| e / nrm).collect())
        })
        .collect()
}

/// Indices (into `cols`) of one representative per class of identical normalised columns (the
/// one of largest norm); `cols` are the nonzero columns, `norms` their norms.
fn dedup(cols: &[Vec<f64>], norms: &[f64], tol: f64) -> Vec<usize> {
    // Bucket by activation pattern (support): identical normalised columns share it.
    let mut buckets: HashMap<Vec<u64>, Vec<usize>> = HashMap::new();
    for (j, col) in cols.iter().enumerate() {
        let mut key = vec![0u64; col.len().div_ceil(64)];
        for (i, &v) in col.iter().enumerate() {
            if v > 0.0 {
                key[i / 64] |= 1 << (i % 64);
            }
        }
        buckets.entry(key).or_default().push(j);
    }
    let mut reps: Vec<usize> = Vec::new();
    let mut keys: Vec<_> = buckets.into_iter().collect();
    keys.sort_by_key(|(_, v)| v[0]);
    for (_, members) in keys {
        let mut classes: Vec<usize> = Vec::new(); // current representative of each class
        for &j in &members {
            let found = classes.iter_mut().find(|r| {
                cols[**r].iter().zip(&cols[j]).all(|(a, b)| (a / norms[**r] - b / norms[j]).abs() <= tol)
            });
            match found {
                Some(r) => {
                    if norms[j] > norms[*r] {
                        *r = j;
                    }
                }
                None => classes.push(j),
            }
        }
        reps.extend(classes);
    }
    reps.sort_unstable();
    reps
}

/// Refits the second layer for the first-layer directions given as the columns of
/// `directions` (d x K; normalised here, zero columns ignored). See the module docs.
pub fn refit(data: &Dataset, directions: DMatrixView<f64>, beta: f64, settings: &RefitSettings) -> Result<Refit> {
    settings.validate()?;
    let (d, c) = (data.d(), data.c());
    if directions.nrows() != d {
        return Err(Error::InvalidArgument(format!("refit: directions have {} rows, data has d = {d}", directions.nrows())));
    }
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a finite number >= 0, found {beta}")));
    }
    let k_in = directions.ncols();
    let units = normalised_directions(directions);
    let mut cols = Vec::new();
    let mut norms = Vec::new();
    let mut dirs = Vec::new();
    // The samples as contiguous columns, for the products x_i' u.
    let xt = data.x.transpose();
    for u in units {
        let ua = DVector::from_column_slice(&u);
        let h: Vec<f64> = xt.column_iter().map(|xi| xi.dot(&ua).max(0.0)).collect();
        let nrm = h.iter().map(|e| e * e).sum::<f64>().sqrt();
        if nrm > 0.0 {
            cols.push(h);
            norms.push(nrm);
            dirs.push(u);
        }
    }
    let zero_columns = k_in - cols.len();
    let reps = dedup(&cols, &norms, settings.dedup_tolerance);
    let distinct = reps.len();

    let solve_on = |groups: &[usize]| -> Result<GroupLassoSolution> {
        let h = DMatrix::from_fn(data.n(), groups.len(), |i, g| cols[groups[g]][i]);
        group_lasso(h.as_view(), data.y.as_view(), beta, settings)
    };
    let groups = reps;
    let sol = solve_on(&groups)?;
    let nrm: Vec<f64> = (0..sol.w.nrows()).map(|g| row_norm(&sol.w, g)).collect();
    let max = nrm.iter().cloned().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..nrm.len()).filter(|&g| nrm[g] > 0.0 && nrm[g] > settings.drop_relative * max).collect();
    // Assemble the balanced network from the kept groups.
    let m = keep.len();
    let mut u = DMatrix::zeros(d, m);
    let mut v = DMatrix::zeros(c, m);
    let mut w_kept = DMatrix::zeros(m, c);
    for (j, &g) in keep.iter().enumerate() {
        let w = sol.w.row(g);
        let s = row_norm(&sol.w, g).sqrt();
        for i in 0..d {
            u[(i, j)] = dirs[groups[g]][i] * s;
        }
        for l in 0..c {
            v[(l, j)] = w[l] / s;
            w_kept[(j, l)] = w[l];
        }
    }
    let h_kept = DMatrix::from_fn(data.n(), m, |i, j| cols[groups[keep[j]]][i]);
    let network = Network { u, v };
    let objective = network.objective(data, beta);
    let glv = group_lasso_value(h_kept.as_view(), w_kept.as_view(), data.y.as_view(), beta);
    Ok(Refit {
        network,
        objective,
        group_lasso_value: glv,
        solver_objective: sol.solver_objective,
        polished: sol.polished,
        directions: k_in,
        zero_columns,
        distinct_columns: distinct,
        status: sol.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::dmatrix;

    #[test]
    fn dedup_merges_positive_multiples_keeping_the_largest() {
        let cols = vec![vec![1.0, 0.0, 2.0], vec![2.0, 0.0, 4.0], vec![1.0, 0.0, 2.1], vec![0.5, 0.0, 1.0]];
        let norms: Vec<f64> = cols.iter().map(|c| c.iter().map(|e: &f64| e * e).sum::<f64>().sqrt()).collect();
        assert_eq!(dedup(&cols, &norms, 1e-10), vec![1, 2]);
    }

    #[test]
    fn empty_and_inactive_directions_give_the_empty_network() {
        let data = Dataset::from_arrays(dmatrix![1.0, 0.0; 0.0, 1.0], dmatrix![1.0; -1.0], crate::data::TargetKind::Numeric, "t");
        // Direction (-1, -1) is inactive on both samples.
        let r = refit(&data, dmatrix![-1.0; -1.0].as_view(), 0.1, &RefitSettings::default()).unwrap();
        assert_eq!(r.network.width(), 0);
        assert_eq!(r.zero_columns, 1);
        assert!((r.objective - 1.0).abs() < 1e-15);
    }
}
