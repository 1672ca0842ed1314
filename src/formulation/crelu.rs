//! Convex ReLU programs for scalar output (docs/background.md, section 1; Pilanci & Ergen 2020).
//!
//! **C-ReLU** (`exact` with all patterns, `sampled` with Gaussian-gate patterns), variables
//! `v_i, w_i in R^d` per pattern `D_i`:
//!
//! ```text
//!   min 1/2 || sum_i D_i X (v_i - w_i) - y ||^2 + beta sum_i (||v_i|| + ||w_i||)
//!   s.t. (2 D_i - I) X v_i >= 0,  (2 D_i - I) X w_i >= 0
//! ```
//!
//! Conic form, `x = [v (dP); w (dP); t (P); s (P); r (n)]` (blocks named `v`, `w`, `t`, `s`, `r`
//! in the [`Layout`]; `v_i = v[i d .. (i+1) d]`, pattern-major), objective
//! `1/2 ||r||^2 + beta 1'(t + s)`:
//!
//! * zero cone, n rows: `F v - F w - r = y`, `F = [D_1 X, ..., D_P X]`;
//! * nonnegative cone, 2nP rows: `(2D_i - I) X v_i >= 0` for every i, then the same for `w_i`;
//! * P + P second-order cones of dimension d + 1: `(t_i, v_i)`, then `(s_i, w_i)`.
//!
//! **Gated** (cone constraints dropped), `x = [u (dP); t (P); r (n)]`:
//! `min 1/2||r||^2 + beta 1't`, `sum_i D_i X u_i - r = y`, `(t_i, u_i)` in SOC(d+1). With all
//! patterns its optimum is a lower bound on p*; its solution is not a network.
//!
//! **Recovery** ([`Layout::recover_network`]): every `v_i` with `||v_i|| > 0` is a neuron
//! `u = v_i / sqrt(||v_i||)` with output weight `+sqrt(||v_i||)`, every `w_i` the same with
//! `-sqrt(||w_i||)`. Interior-point solutions are not sparse, so before that the vectors are
//! grouped: same sign and cosine >= `1 - merge_tolerance` (default 1e-8) are summed (for
//! collinear vectors this changes neither the fit, `s(X a) + s(X b) = s(X (a + b))`, nor the
//! penalty `||a|| + ||b|| = ||a + b||`), and groups with `||v|| <= drop_tolerance * max ||v||`
//! (relative, default 1e-7) are dropped. The recovered network's own objective
//! ([`Network::objective`]) is then an honest upper bound; at an optimal solution it equals the
//! convex optimum to solver accuracy.

use super::{Block, Compiled, Formulation, Layout};
use crate::conic::{Cone, ConicProblem, CscBuilder};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::patterns::{self, Budget, Pattern, Patterns};
use nalgebra::DMatrix;

fn check_data(data: &Dataset, beta: f64) -> Result<()> {
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
    }
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!(
            "the C-ReLU programs need scalar output (c = 1), the data has c = {} target columns \
             (vector output: use the SDP relaxation)",
            data.c()
        )));
    }
    if data.n() == 0 || data.d() == 0 {
        return Err(Error::InvalidArgument(format!("empty data set (n = {}, d = {})", data.n(), data.d())));
    }
    if data.x.iter().chain(data.y.iter()).any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("data contain a non-finite value".into()));
    }
    Ok(())
}

/// C-ReLU over every activation pattern of `data.x` (exact: optimum = p*).
pub fn exact(data: &Dataset, beta: f64, budget: &Budget) -> Result<Compiled> {
    check_data(data, beta)?;
    let pats = patterns::enumerate(data.x.as_view(), budget)?;
    crelu_with_patterns(data, beta, pats, Formulation::Exact)
}

/// C-ReLU over the patterns of `gates` Gaussian gates (seeded): an upper bound on p*.
pub fn sampled(data: &Dataset, beta: f64, gates: usize, seed: u64) -> Result<Compiled> {
    check_data(data, beta)?;
    if gates == 0 {
        return Err(Error::InvalidArgument("the sampled formulation needs at least one gate".into()));
    }
    // Memory before sampling: the gates (d numbers each) and their patterns, and the program of
    // the distinct patterns (at most min(gates, number of cells); per pattern 2d variables, 2n
    // cone rows, about 4nd stored entries).
    let (n, d) = (data.n() as f64, data.d() as f64);
    let g = gates as f64;
    let distinct = g.min(patterns::max_patterns(data.n(), data.d()));
    let bytes = g * (8.0 * d + 24.0 + patterns::pattern_bytes(1.0, data.n())) + distinct * (8.0 * (2.0 * d + 2.0 * n) + 16.0 * 4.0 * n * d);
    crate::limits::check_bytes(bytes, || format!("{gates} Gaussian gates on n = {}, d = {} data", data.n(), data.d()))?;
    let pats = patterns::sample_gaussian(data.x.as_view(), gates, seed);
    crelu_with_patterns(data, beta, pats, Formulation::Sampled)
}

/// The gated program over every activation pattern: a lower bound on p*.
pub fn gated(data: &Dataset, beta: f64, budget: &Budget) -> Result<Compiled> {
    check_data(data, beta)?;
    let pats = patterns::enumerate(data.x.as_view(), budget)?;
    gated_with_patterns(data, beta, pats)
}

/// C-ReLU on a given pattern list. `kind` is recorded in the layout.
pub fn crelu_with_patterns(data: &Dataset, beta: f64, pats: Patterns, kind: Formulation) -> Result<Compiled> {
    check_data(data, beta)?;
    let (n, d) = (data.n(), data.d());
    let np = pats.len();
    if np == 0 {
        return Err(Error::InvalidArgument("no non-zero activation pattern".into()));
    }
    if let Some(p) = pats.list.iter().find(|p| p.len() != n) {
        return Err(Error::InvalidArgument(format!("pattern of length {} for n = {n} samples", p.len())));
    }
    let (v0, w0, t0, s0, r0) = (0, d * np, 2 * d * np, 2 * d * np + np, 2 * d * np + 2 * np);
    let nvar = r0 + n;
    let rows_zero = n;
    let rows_nonneg = 2 * n * np;
    let rows_soc = 2 * np * (d + 1);
    let m = rows_zero + rows_nonneg + rows_soc;
    let x = &data.x;
    let mut a = CscBuilder::new(m, nvar);
    let mut b = vec![0.0; m];
    // zero cone: F v - F w - r = y
    push_fit_rows(&mut a, &mut b, data, &pats.list, r0, &[(v0, 1.0), (w0, -1.0)]);
    // nonnegative: -(2D_i - I) X v_i + s = 0, s >= 0
    for (half, base) in [(0, v0), (1, w0)] {
        for (i, p) in pats.list.iter().enumerate() {
            let row0 = rows_zero + half * n * np + i * n;
            for j in 0..n {
                let sg = if p.get(j) { 1.0 } else { -1.0 };
                for k in 0..d {
                    a.push(row0 + j, base + i * d + k, -sg * x[(j, k)]);
                }
            }
        }
    }
    // SOC: (t_i, v_i), then (s_i, w_i)
    let row = push_norm_cones(&mut a, rows_zero + rows_nonneg, t0, v0, np, d);
    push_norm_cones(&mut a, row, s0, w0, np, d);
    let (pm, q) = objective(nvar, n, r0, t0, beta);
    let mut cones = vec![Cone::Zero(rows_zero), Cone::Nonnegative(rows_nonneg)];
    cones.extend(vec![Cone::SecondOrder(d + 1); 2 * np]);
    let problem = ConicProblem { p: pm, q, a: a.build(), b, cones };
    let blocks = vec![
        Block { name: "v".into(), start: v0, len: d * np },
        Block { name: "w".into(), start: w0, len: d * np },
        Block { name: "t".into(), start: t0, len: np },
        Block { name: "s".into(), start: s0, len: np },
        Block { name: "r".into(), start: r0, len: n },
    ];
    let layout = Layout { formulation: kind, blocks, n, d, c: 1, beta, patterns: pats.list, exhaustive: pats.exhaustive };
    Ok(Compiled { problem, layout })
}

/// The `n` zero-cone rows `sum_g sign_g sum_i D_i X v_{g,i} - r = y`: for every group of pattern
/// blocks `(start, sign)` (block `i` of a group at `start + i d`), and the residual `r` at `r0`.
fn push_fit_rows(a: &mut CscBuilder, b: &mut [f64], data: &Dataset, patterns: &[Pattern], r0: usize, groups: &[(usize, f64)]) {
    let (n, d) = (data.n(), data.d());
    for j in 0..n {
        b[j] = data.y[(j, 0)];
        a.push(j, r0 + j, -1.0);
    }
    for (i, p) in patterns.iter().enumerate() {
        for j in (0..n).filter(|&j| p.get(j)) {
            for k in 0..d {
                for &(start, sign) in groups {
                    a.push(j, start + i * d + k, sign * data.x[(j, k)]);
                }
            }
        }
    }
}

/// Rows `(t_i, v_i) in SOC(d + 1)` for `i < np`, as `s = (t_i, v_i)` (`A = -I` on those columns,
/// `b = 0`), starting at `row`; the norm variables start at column `t0`, the groups (of length
/// `d`) at `v0`. Returns the next free row.
fn push_norm_cones(a: &mut CscBuilder, mut row: usize, t0: usize, v0: usize, np: usize, d: usize) -> usize {
    for i in 0..np {
        a.push(row, t0 + i, -1.0);
        for k in 0..d {
            a.push(row + 1 + k, v0 + i * d + k, -1.0);
        }
        row += d + 1;
    }
    row
}

/// The objective `1/2 ||r||^2 + beta * (sum of the norm variables)`: `P = I` on the `n` residual
/// variables at `r0`, `q = beta` on the norm variables, which occupy columns `t0..r0`.
fn objective(nvar: usize, n: usize, r0: usize, t0: usize, beta: f64) -> (crate::conic::Csc, Vec<f64>) {
    let mut pm = CscBuilder::new(nvar, nvar);
    for j in 0..n {
        pm.push(r0 + j, r0 + j, 1.0);
    }
    let mut q = vec![0.0; nvar];
    for e in q.iter_mut().take(r0).skip(t0) {
        *e = beta;
    }
    (pm.build(), q)
}

/// The gated program on a given pattern list.
pub fn gated_with_patterns(data: &Dataset, beta: f64, pats: Patterns) -> Result<Compiled> {
    check_data(data, beta)?;
    let (n, d) = (data.n(), data.d());
    let np = pats.len();
    if np == 0 {
        return Err(Error::InvalidArgument("no non-zero activation pattern".into()));
    }
    let (u0, t0, r0) = (0, d * np, d * np + np);
    let nvar = r0 + n;
    let m = n + np * (d + 1);
    let mut a = CscBuilder::new(m, nvar);
    let mut b = vec![0.0; m];
    push_fit_rows(&mut a, &mut b, data, &pats.list, r0, &[(u0, 1.0)]);
    push_norm_cones(&mut a, n, t0, u0, np, d);
    let (pm, q) = objective(nvar, n, r0, t0, beta);
    let mut cones = vec![Cone::Zero(n)];
    cones.extend(vec![Cone::SecondOrder(d + 1); np]);
    let problem = ConicProblem { p: pm, q, a: a.build(), b, cones };
    let blocks = vec![
        Block { name: "u".into(), start: u0, len: d * np },
        Block { name: "t".into(), start: t0, len: np },
        Block { name: "r".into(), start: r0, len: n },
    ];
    let layout =
        Layout { formulation: Formulation::Gated, blocks, n, d, c: 1, beta, patterns: pats.list, exhaustive: pats.exhaustive };
    Ok(Compiled { problem, layout })
}

/// Settings of [`Layout::recover_network_with`]; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    /// Same-sign vectors with cosine >= 1 - merge_tolerance are summed (default 1e-8).
    pub merge_tolerance: f64,
    /// Groups with norm <= drop_tolerance * (largest group norm) are dropped (default 1e-7).
    pub drop_tolerance: f64,
}

impl Default for Recovery {
    fn default() -> Self {
        Self { merge_tolerance: 1e-8, drop_tolerance: 1e-7 }
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

impl Layout {
    /// The pattern-wise vectors `(sign, v)` of a C-ReLU solution: `(+1, v_i)` and `(-1, w_i)`.
    fn crelu_vectors(&self, x: &[f64]) -> Result<Vec<(f64, Vec<f64>)>> {
        if !matches!(self.formulation, Formulation::Exact | Formulation::Sampled) {
            return Err(Error::InvalidArgument(format!(
                "the {} program's solution is not a network (only exact and sampled C-ReLU solutions are)",
                self.formulation
            )));
        }
        let d = self.d;
        let mut out = Vec::new();
        for (sign, name) in [(1.0, "v"), (-1.0, "w")] {
            for chunk in self.slice(name, x)?.chunks(d) {
                out.push((sign, chunk.to_vec()));
            }
        }
        Ok(out)
    }

    /// The C-ReLU objective `1/2||sum D_i X (v_i - w_i) - y||^2 + beta sum (||v_i|| + ||w_i||)`
    /// evaluated directly at `x` (not through the epigraph variables `t`, `s`, `r`).
    pub fn crelu_objective(&self, data: &Dataset, x: &[f64]) -> Result<f64> {
        let fit = self.fitted(data, x)?;
        let loss: f64 = fit.iter().enumerate().map(|(j, f)| 0.5 * (f - data.y[(j, 0)]).powi(2)).sum();
        let pen: f64 = match self.formulation {
            Formulation::Gated => self.slice("u", x)?.chunks(self.d).map(norm).sum(),
            _ => self.crelu_vectors(x)?.iter().map(|(_, v)| norm(v)).sum(),
        };
        Ok(loss + self.beta * pen)
    }

    /// Fitted values `sum_i D_i X (v_i - w_i)` (gated: `sum_i D_i X u_i`).
    pub fn fitted(&self, data: &Dataset, x: &[f64]) -> Result<Vec<f64>> {
        if data.n() != self.n || data.d() != self.d {
            return Err(Error::InvalidArgument(format!(
                "data of size {} x {} for a program built on {} x {}",
                data.n(),
                data.d(),
                self.n,
                self.d
            )));
        }
        let vecs: Vec<(f64, Vec<f64>)> = match self.formulation {
            Formulation::Gated => self.slice("u", x)?.chunks(self.d).map(|c| (1.0, c.to_vec())).collect(),
            _ => self.crelu_vectors(x)?,
        };
        let np = self.patterns.len();
        let mut fit = vec![0.0; self.n];
        for (idx, (sign, v)) in vecs.iter().enumerate() {
            let p = &self.patterns[idx % np];
            for (j, f) in fit.iter_mut().enumerate() {
                if p.get(j) {
                    *f += sign * data.x.row(j).iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
                }
            }
        }
        Ok(fit)
    }

    /// The network of a C-ReLU solution with the default [`Recovery`] settings.
    pub fn recover_network(&self, x: &[f64]) -> Result<Network> {
        self.recover_network_with(x, &Recovery::default())
    }

    /// The network of a C-ReLU solution (see the module docs: merge, drop, rescale).
    pub fn recover_network_with(&self, x: &[f64], settings: &Recovery) -> Result<Network> {
        let vecs = self.crelu_vectors(x)?;
        let mut groups: Vec<(f64, Vec<f64>)> = Vec::new();
        for (sign, v) in vecs {
            let nv = norm(&v);
            if nv == 0.0 || !nv.is_finite() {
                continue;
            }
            let hit = groups.iter_mut().find(|(s, g)| {
                *s == sign && {
                    let ng = norm(g);
                    g.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() >= (1.0 - settings.merge_tolerance) * ng * nv
                }
            });
            match hit {
                Some((_, g)) => g.iter_mut().zip(&v).for_each(|(a, b)| *a += b),
                None => groups.push((sign, v)),
            }
        }
        let top = groups.iter().map(|(_, g)| norm(g)).fold(0.0f64, f64::max);
        groups.retain(|(_, g)| norm(g) > settings.drop_tolerance * top);
        let m = groups.len();
        let mut u = DMatrix::zeros(self.d, m);
        let mut v = DMatrix::zeros(1, m);
        for (j, (sign, g)) in groups.iter().enumerate() {
            let ng = norm(g);
            let sq = ng.sqrt();
            for k in 0..self.d {
                u[(k, j)] = g[k] / sq;
            }
            v[(0, j)] = sign * sq;
        }
        Ok(Network { u, v })
    }
}

/// `1/2 ||yhat - y||^2` helper for tests and reports.
pub fn squared_loss(yhat: &[f64], data: &Dataset) -> f64 {
    yhat.iter().enumerate().map(|(j, f)| 0.5 * (f - data.y[(j, 0)]).powi(2)).sum()
}
