//! Certified bounds on the global optimum p* of the training objective.
//!
//! Sections: (1) the two-layer dual certificate from any candidate (scalar output,
//! docs/background.md, section 1); (2) upper bounds; further sections (SDP values, gaps) are added alongside.

use crate::backend::{self, BackendKind, SolveSettings, Status};
use crate::conic::{Cone, ConicProblem, CscBuilder};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::patterns::{Pattern, Patterns};
use nalgebra::DMatrix;
use serde::Serialize;
use std::time::Instant;

// =============================================================================================
// 1. Dual certificate for the scalar-output two-layer problem
// =============================================================================================
//
// The dual of C-ReLU (all patterns) is
//
//     max_z  -1/2 ||z||^2 + z'y   s.t.  |z' D_i X u| <= beta  for all i, u in cone_i, ||u|| <= 1,
//
// cone_i = {u : (2D_i - I) X u >= 0}. By weak duality every feasible z gives a lower bound on
// p*. From a candidate with predictions yhat: z0 = y - yhat, s = max_i s_i with
//
//     s_i = max_{+-} max { +-g_i'u : u in cone_i, ||u|| <= 1 },   g_i = X' D_i z0,
//
// then z = alpha z0 is feasible for every alpha in [0, beta / s]; the best such alpha is
// alpha* = clamp(z0'y / ||z0||^2, 0, beta / s) (the textbook z0 * min(1, beta/s) is one point of the
// segment; alpha* is never worse), and the bound is -1/2 alpha*^2 ||z0||^2 + alpha* z0'y.
//
// Conservative s_i. The inner maximum is an SOCP solved approximately, so its primal value could
// under-estimate s_i and make the "bound" invalid. Instead we use its dual: for every lambda >= 0,
//
//     max { g'u : A u >= 0, ||u|| <= 1 } <= || g + A' lambda ||      (A = (2D_i - I) X)
//
// (g'u <= g'u + lambda'Au = (g + A'lambda)'u <= ||g + A'lambda|| for feasible u). We take the
// dual multipliers of the nonnegative rows from the solver (Clarabel: `z` of the nonnegative
// cone), clip them to >= 0, and evaluate ||g + A'lambda|| ourselves in floating point, inflated
// by a relative 1e-12 for rounding. This is a valid upper bound whatever the solver's accuracy or
// status (lambda = 0 gives ||g||, used when the solver returns nothing usable). So the bound is
// certified exactly when the pattern list is exhaustive; solver statuses are reported only as
// a measure of tightness.

/// The result of [`dual_bound`].
#[derive(Clone, Debug, Serialize)]
pub struct DualCertificate {
    /// The lower bound `-1/2 ||z||^2 + z'y` (valid for p* when `certified`).
    pub lower_bound: f64,
    /// True when every pattern of the data was examined (exhaustive list): then
    /// `lower_bound <= p*` rigorously (up to floating-point rounding of the final sums).
    pub certified: bool,
    /// The conservative `s = max_i s_i` (an upper bound on the true maximum correlation).
    pub max_correlation: f64,
    /// The largest per-pattern primal value found by the solver (a lower estimate of the true
    /// maximum; `max_correlation - this` measures the slack of the certificate).
    pub max_correlation_primal: f64,
    /// The scaling `alpha` applied to `z0 = y - yhat`.
    pub scale: f64,
    /// Patterns examined.
    pub patterns: usize,
    /// SOCP solves performed (patterns whose crude bound ||g|| could not matter are skipped).
    pub solves: usize,
    /// Solves that did not return status `solved` (their dual was still used, see module docs).
    pub unsolved: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The pricing SOCP `max g'u s.t. (2D - I) X u >= 0, ||u|| <= 1` as a minimisation:
/// `x = u`, `q = -g`, rows: n nonnegative rows `-(2D - I) X u + s = 0`, then SOC(d+1) rows
/// `(1, u)`: `[0; -I] u + s = [1; 0]`.
fn pricing_problem(x: &DMatrix<f64>, pattern: &Pattern, g: &[f64]) -> ConicProblem {
    let (n, d) = x.shape();
    let mut a = CscBuilder::new(n + d + 1, d);
    for j in 0..n {
        let sg = if pattern.get(j) { 1.0 } else { -1.0 };
        for k in 0..d {
            a.push(j, k, -sg * x[(j, k)]);
        }
    }
    for k in 0..d {
        a.push(n + 1 + k, k, -1.0);
    }
    let mut b = vec![0.0; n + d + 1];
    b[n] = 1.0;
    ConicProblem {
        p: CscBuilder::new(d, d).build(),
        q: g.iter().map(|v| -v).collect(),
        a: a.build(),
        b,
        cones: vec![Cone::Nonnegative(n), Cone::SecondOrder(d + 1)],
    }
}

/// `||g + A' lambda||` with `A = (2D - I) X`, `lambda` clipped to `>= 0` (non-finite -> 0),
/// inflated by a relative 1e-12: an upper bound on `max {g'u : A u >= 0, ||u|| <= 1}`.
pub fn pricing_upper_bound(x: &DMatrix<f64>, pattern: &Pattern, g: &[f64], lambda: &[f64]) -> f64 {
    let (n, d) = x.shape();
    let mut v = g.to_vec();
    for j in 0..n {
        let l = lambda.get(j).copied().unwrap_or(0.0);
        let l = if l.is_finite() { l.max(0.0) } else { 0.0 };
        if l == 0.0 {
            continue;
        }
        let sg = if pattern.get(j) { 1.0 } else { -1.0 };
        for k in 0..d {
            v[k] += l * sg * x[(j, k)];
        }
    }
    v.iter().map(|a| a * a).sum::<f64>().sqrt() * (1.0 + 1e-12)
}

/// Dual lower bound from predictions `yhat` (length n) over the given patterns, every pricing
/// SOCP solved with `backend`. See the section docs for the conservative evaluation.
pub fn dual_bound(
    data: &Dataset,
    beta: f64,
    yhat: &[f64],
    patterns: &Patterns,
    backend: BackendKind,
    settings: &SolveSettings,
) -> Result<DualCertificate> {
    let start = Instant::now();
    let (n, d) = (data.n(), data.d());
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!("the two-layer dual certificate needs scalar output, c = {}", data.c())));
    }
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
    }
    if yhat.len() != n {
        return Err(Error::InvalidArgument(format!("{} predictions for n = {n} samples", yhat.len())));
    }
    let y: Vec<f64> = data.y.column(0).iter().copied().collect();
    let z0: Vec<f64> = y.iter().zip(yhat).map(|(a, b)| a - b).collect();
    let mut s_max = 0.0f64;
    let mut s_primal = 0.0f64;
    let mut solves = 0;
    let mut unsolved = 0;
    // Visit patterns by decreasing crude bound ||g_i||: once ||g_i|| <= current s, the pattern
    // cannot raise s and is skipped (lambda = 0 is a valid dual point).
    let mut work: Vec<(f64, Vec<f64>, &Pattern)> = patterns
        .list
        .iter()
        .map(|p| {
            let g: Vec<f64> =
                (0..d).map(|k| (0..n).filter(|&j| p.get(j)).map(|j| data.x[(j, k)] * z0[j]).sum()).collect();
            let ng = g.iter().map(|a| a * a).sum::<f64>().sqrt() * (1.0 + 1e-12);
            (ng, g, p)
        })
        .collect();
    work.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ng, g, p) in &work {
        if *ng <= s_max {
            break;
        }
        for sign in [1.0, -1.0] {
            let gs: Vec<f64> = g.iter().map(|v| sign * v).collect();
            let prob = pricing_problem(&data.x, p, &gs);
            let sol = backend::solve(&prob, backend, settings)?;
            solves += 1;
            if sol.status != Status::Solved {
                unsolved += 1;
            }
            let ub = if sol.z.len() >= n { pricing_upper_bound(&data.x, p, &gs, &sol.z[..n]) } else { *ng };
            let ub = ub.min(*ng);
            s_max = s_max.max(ub);
            if sol.status.has_solution() {
                s_primal = s_primal.max(-sol.primal_objective);
            }
        }
    }
    let zz: f64 = z0.iter().map(|a| a * a).sum();
    let zy: f64 = z0.iter().zip(&y).map(|(a, b)| a * b).sum();
    let cap = if s_max > 0.0 { beta / s_max } else { f64::INFINITY };
    let scale = if zz > 0.0 { (zy / zz).clamp(0.0, cap) } else { 0.0 };
    let lower_bound = -0.5 * scale * scale * zz + scale * zy;
    Ok(DualCertificate {
        lower_bound,
        certified: patterns.exhaustive,
        max_correlation: s_max,
        max_correlation_primal: s_primal,
        scale,
        patterns: patterns.len(),
        solves,
        unsolved,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// [`dual_bound`] with the predictions of a candidate network.
pub fn dual_bound_network(
    data: &Dataset,
    beta: f64,
    net: &Network,
    patterns: &Patterns,
    backend: BackendKind,
    settings: &SolveSettings,
) -> Result<DualCertificate> {
    if net.u.nrows() != data.d() || net.v.nrows() != data.c() {
        return Err(Error::InvalidArgument(format!(
            "network of shape d = {}, c = {} for data with d = {}, c = {}",
            net.u.nrows(),
            net.v.nrows(),
            data.d(),
            data.c()
        )));
    }
    let yhat = net.predict(data.x.as_view());
    dual_bound(data, beta, &yhat.column(0).iter().copied().collect::<Vec<f64>>(), patterns, backend, settings)
}

// =============================================================================================
// 2. Upper bounds
// =============================================================================================

/// Any network's training objective is an upper bound on p* (it is a feasible point).
pub fn upper_bound(data: &Dataset, beta: f64, net: &Network) -> f64 {
    net.objective(data, beta)
}
