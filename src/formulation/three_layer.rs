//! Three-layer ReLU networks as a convex group-l1 program over *configurations*
//! (after Ergen & Pilanci 2021, "Global Optimality Beyond Two Layers"). The model is that of
//! [`crate::network3`]: `K` parallel sub-networks `d -> m1 -> 1`,
//! `f(X) = sum_k s(s(X W1_k) w2_k) w3_k`, `||W1_k||_F <= 1`, penalty
//! `beta/2 sum_k (||w2_k||^2 + w3_k^2)`, scalar output.
//!
//! # Configurations
//!
//! A configuration `c` fixes everything that is discrete about one sub-network: for each of its
//! first-layer neurons `j` the activation pattern `D1_cj = diag(1[X w1_j >= 0])` and the sign
//! `sigma_cj` of `w2_j` ([`Neuron`]), the second-layer pattern `D2_c = diag(1[s(X W1) w2 >= 0])`
//! and the sign `s_c` of `w3` ([`Config`]). On the set of weights with configuration `c` the
//! sub-network is linear: `s_c |w3| D2_c sum_j D1_cj X w1_j w2_j`.
//!
//! # The convex program
//!
//! One vector `v_cj in R^d` per (configuration, neuron):
//!
//! ```text
//!   min  1/2 || sum_c s_c D2_c sum_j D1_cj X v_cj - y ||^2 + beta sum_{c,j} ||v_cj||
//!   s.t. sigma_cj (2 D1_cj - I) X v_cj >= 0             (first-layer patterns)
//!        (2 D2_c - I) sum_j D1_cj X v_cj >= 0            (second-layer pattern)
//! ```
//!
//! *Every feasible point is a network with the same objective* (recovery, below), and every
//! network of sub-width `m1` maps to a feasible point with no larger objective
//! (`v_cj = w1_j w2_j |w3|`; the penalty `beta sum_j ||v_cj|| <= beta |w3| ||w2|| ||W1||_F
//! <= beta/2 (||w2||^2 + w3^2)` by Cauchy-Schwarz and AM-GM). Hence: with every realisable
//! configuration the optimum is the global optimum `p*` of the three-layer training problem (for
//! any number K of sub-networks); with any set of configurations it is an upper bound on `p*`;
//! adding configurations that are not realisable cannot go below `p*`.
//!
//! **Recovery** ([`Layout3::recover`]): with `t_c = sum_j ||v_cj||`,
//! `w1_j = sigma_cj v_cj / sqrt(||v_cj|| t_c)`, `w2_j = sigma_cj sqrt(||v_cj||)`,
//! `w3 = s_c sqrt(t_c)`. Then `w1_j w2_j w3 = s_c v_cj`, the first layer has the configured
//! patterns (the cone constraints say so), `||W1||_F^2 = sum_j ||v_cj|| / t_c = 1`, and the penalty
//! is `beta/2 (t_c + t_c) = beta t_c`: the network's objective equals the program's.
//! Interior-point solutions are not sparse: configurations with `t_c` below a relative
//! threshold are pruned, and the program is solved again on the kept configurations (the
//! pipeline does this), so the recovered network realises the program's value.
//!
//! **Forcing `w2 >= 0`** (all `sigma = +1`) makes the second ReLU the identity (`D2 = I`), and the
//! program separates into the two-layer C-ReLU program: the two-layer optimum
//! ([`nonnegative_second_layer`] builds those configurations; a test checks the equality).
//!
//! # Conic form
//!
//! `x = [v (d N); t (N); r (n)]` for `N` neurons in total (configurations in order, neurons in
//! order, `v_g = v[g d .. (g+1) d]`), objective `1/2 ||r||^2 + beta 1't`; zero cone (n rows):
//! `sum_c s_c D2_c sum_j D1_cj X v_cj - r = y`; nonnegative rows: per configuration the rows
//! `sigma_j (2 D1_j - I)_ii x_i' v_j >= 0` of each neuron, then the second-layer rows (rows whose
//! coefficients are all zero are left out, so the cone has an interior); then one second-order
//! cone `(t_g, v_g)` of dimension d + 1 per neuron.
//!
//! # Exact enumeration ([`enumerate`])
//!
//! The first-layer patterns are the two-layer patterns of `X` ([`crate::patterns::enumerate`]);
//! a configuration uses `k = min(m1, 2P)` *distinct* (pattern, sign) pairs (a repeated pair is
//! the same as one neuron with the summed vector, and a neuron with `v = 0` is allowed, so
//! nothing is lost), and pairs whose signs are all negative are skipped (their output is 0).
//! For each such tuple the realisable second-layer patterns are the sign vectors of the
//! polyhedral cone `H = {h = sum_j D1_j X v_j : v_j in the first-layer cones}`: `D2` is realised
//! exactly when the LP `{h_i >= 0 (i in D2), h_i <= -1 (i not in D2)}` over that cone is feasible
//! (scale invariance turns the strict `< 0` into `<= -1`; for `D2 = all ones` the row
//! `sum_i h_i >= 1` excludes `h = 0`). They are found by depth-first search over the samples: a
//! prefix of signs is extended only when its LP is feasible, and a feasible point of the parent
//! settles one child without an LP. A prefix is discarded only on a primal-infeasibility
//! certificate from the LP solver that passes our own check (`y >= 0`, `||G'y||` small against
//! `g'y > 0`); any other outcome keeps it, so doubtful cases only add configurations, which
//! cannot change the optimum. Rows that no neuron activates have `h_i = 0` and are fixed to 1.
//!
//! The count is estimated before anything is allocated -- `T = C(2P, k) - C(P, k)` tuples times
//! `min(2^n, 2 sum_{i<r'} C(n-1, i))` second-layer patterns (`r' = min(n, k rank X)`) times 2
//! signs -- and refused over [`ConfigBudget`] with the estimate and a pointer to sampling; the
//! enumeration also stops with [`Error::TooLarge`] once it exceeds the budget's configuration or
//! LP count.
//!
//! # Sampling ([`sample`])
//!
//! `N` random sub-networks (`W1` and `w2` with i.i.d. N(0, 1) entries, ChaCha8 seeded): read off
//! the patterns and signs (dead neurons dropped, repeated pairs merged), add both output signs,
//! deduplicate in order of first appearance. Every sampled configuration is realisable, so the
//! sampled program is an upper bound on `p*` and its solution a real network.
//!
//! # Pricing and the certificate ([`price`])
//!
//! The dual of the program over a configuration set `C` is
//! `max_z -1/2 ||z||^2 + z'y` s.t. `rho_c(z) <= beta` for `c in C`, with
//!
//! ```text
//!   rho_c(z) = max { s_c z' D2_c sum_j D1_cj X v_j : v in the cones of c, sum_j ||v_j|| <= 1 }
//! ```
//!
//! (the dual norm of the group-l1 penalty restricted to the configuration's cone). `rho_c` is a
//! small SOCP per configuration. Given any prediction `yhat` and `z0 = y - yhat`, if
//! `s >= max_c rho_c(z0)` over *every* realisable configuration, then `z = alpha z0` with
//! `alpha = clamp(z0'y / ||z0||^2, 0, beta / s)` is dual feasible for the exact program, and
//! `-1/2 ||z||^2 + z'y <= p*`: a certified lower bound. `s` is made rigorous as in
//! [`crate::certify`]: for any multipliers `lambda >= 0` of the cone rows `A v >= 0`,
//! `rho_c <= max_j ||(g + A' lambda)_j||` with `g = A_c' z0`; we evaluate it ourselves with the
//! solver's multipliers (clipped), and `lambda = 0` gives the crude bound `max_j ||g_j||` used to
//! skip configurations that cannot matter. At an optimum of the exact program `s = beta` and the
//! bound equals the optimum; configurations with `rho_c > beta` are the columns that would
//! improve a restricted program (column generation, in [`crate::three_layer_run`]). Without
//! every configuration there is no certificate.

use crate::backend::{self, BackendKind, SolveSettings, Status};
use crate::conic::{Cone, ConicProblem, CscBuilder};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network3::Network3;
use crate::patterns::{self, binomial, max_patterns, Budget, Pattern};
use crate::dense::matmul;
use nalgebra::{DMatrix, DMatrixView, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::collections::HashSet;

/// One first-layer neuron of a configuration: its activation pattern and the sign of its
/// second-layer weight (`positive` = `sigma = +1`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Neuron {
    pub pattern: Pattern,
    pub positive: bool,
}

impl Neuron {
    /// `sigma` as +-1.
    pub fn sign(&self) -> f64 {
        if self.positive {
            1.0
        } else {
            -1.0
        }
    }
}

/// A configuration of one sub-network (module docs): neurons (sorted, distinct), the
/// second-layer pattern and the output sign.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Config {
    pub neurons: Vec<Neuron>,
    pub second: Pattern,
    pub output_positive: bool,
}

impl Config {
    /// `s_c` as +-1.
    pub fn output_sign(&self) -> f64 {
        if self.output_positive {
            1.0
        } else {
            -1.0
        }
    }
}

/// How a configuration set was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigSource {
    /// Every realisable configuration ([`enumerate`]).
    Exact,
    /// Read off random sub-networks ([`sample`]).
    Sampled,
    /// Only `w2 >= 0` configurations ([`nonnegative_second_layer`]).
    NonnegativeSecondLayer,
    /// Given by the caller (e.g. a column-generation working set).
    Given,
}

/// A list of distinct configurations.
#[derive(Clone, Debug)]
pub struct ConfigSet {
    pub list: Vec<Config>,
    /// True when `list` holds every realisable configuration of sub-width `sub_width`.
    pub exhaustive: bool,
    /// The sub-width m1 the configurations were built for.
    pub sub_width: usize,
    pub source: ConfigSource,
    /// LPs solved by the enumeration (0 otherwise).
    pub lps: u64,
    /// First-layer patterns used.
    pub first_layer_patterns: usize,
}

impl ConfigSet {
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Limits on the exact enumeration of configurations (checked before allocating, and while
/// enumerating). Defaults: the pattern budget's defaults, an estimate of at most 2 000 000
/// configurations, at most 200 000 configurations found, at most 1 000 000 LPs.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigBudget {
    /// Limits on the first-layer pattern enumeration.
    pub patterns: Budget,
    /// Largest a-priori estimate (module docs) accepted.
    pub max_estimate: f64,
    /// Largest number of configurations the enumeration may produce.
    pub max_configurations: usize,
    /// Largest number of LPs the enumeration may solve.
    pub max_lps: u64,
}

impl Default for ConfigBudget {
    fn default() -> Self {
        Self { patterns: Budget::default(), max_estimate: 2e6, max_configurations: 200_000, max_lps: 1_000_000 }
    }
}

fn check_inputs(data: &Dataset, m1: usize) -> Result<()> {
    if m1 == 0 {
        return Err(Error::InvalidArgument("the three-layer sub-width m1 must be at least 1, found 0".into()));
    }
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!(
            "the three-layer program has scalar output (c = 1), the data has c = {} target columns (use --targets signed for two classes)",
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

// ---------------------------------------------------------------------------------------------
// Rows of one configuration
// ---------------------------------------------------------------------------------------------

/// A sparse row over a configuration's local variables (`v_j` at `j d .. (j+1) d`).
type Row = Vec<(usize, f64)>;

/// The first-layer rows `sigma_j (2 D1_j - I)_ii x_i' v_j >= 0` of every neuron (zero rows
/// left out).
fn first_layer_rows(x: DMatrixView<f64>, neurons: &[Neuron]) -> Vec<Row> {
    let (n, d) = x.shape();
    let mut rows = Vec::new();
    for (j, nu) in neurons.iter().enumerate() {
        for i in 0..n {
            let sg = nu.sign() * if nu.pattern.get(i) { 1.0 } else { -1.0 };
            let row: Row = (0..d).filter(|&l| x[(i, l)] != 0.0).map(|l| (j * d + l, sg * x[(i, l)])).collect();
            if !row.is_empty() {
                rows.push(row);
            }
        }
    }
    rows
}

/// `h_i = sum_j D1_j[i] x_i' v_j` as a row for every sample (empty when no neuron is active).
fn hidden_rows(x: DMatrixView<f64>, neurons: &[Neuron]) -> Vec<Row> {
    let (n, d) = x.shape();
    (0..n)
        .map(|i| {
            let mut row = Row::new();
            for (j, nu) in neurons.iter().enumerate() {
                if nu.pattern.get(i) {
                    row.extend((0..d).filter(|&l| x[(i, l)] != 0.0).map(|l| (j * d + l, x[(i, l)])));
                }
            }
            row
        })
        .collect()
}

/// The cone rows `A v >= 0` of configuration `c` (first-layer rows of each neuron, then the
/// second-layer rows `(2 D2 - I)_ii h_i >= 0`), zero rows left out.
fn cone_rows(x: DMatrixView<f64>, c: &Config) -> Vec<Row> {
    let mut rows = first_layer_rows(x, &c.neurons);
    for (i, h) in hidden_rows(x, &c.neurons).into_iter().enumerate() {
        if !h.is_empty() {
            let sg = if c.second.get(i) { 1.0 } else { -1.0 };
            rows.push(h.into_iter().map(|(col, v)| (col, sg * v)).collect());
        }
    }
    rows
}

/// The sub-network output of configuration `c` at local vectors `v` (concatenated):
/// `s_c D2 sum_j D1_j X v_j`.
fn config_output(x: DMatrixView<f64>, c: &Config, v: &[f64]) -> Vec<f64> {
    let (n, d) = x.shape();
    let s = c.output_sign();
    (0..n)
        .map(|i| {
            if !c.second.get(i) {
                return 0.0;
            }
            let mut h = 0.0;
            for (j, nu) in c.neurons.iter().enumerate() {
                if nu.pattern.get(i) {
                    h += (0..d).map(|l| x[(i, l)] * v[j * d + l]).sum::<f64>();
                }
            }
            s * h
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Exact enumeration
// ---------------------------------------------------------------------------------------------

/// The a-priori estimate of the number of configurations (module docs) for `p` first-layer
/// patterns, `n` samples, rank `r`, sub-width `m1`, and the number of tuples.
pub fn estimate(p: usize, n: usize, r: usize, m1: usize) -> (f64, f64) {
    let pairs = 2 * p as u64;
    let k = (m1 as u64).min(pairs);
    let tuples = (binomial(pairs, k) - binomial(p as u64, k)).max(0.0);
    let rr = (k as usize).saturating_mul(r.max(1)).min(n);
    let second = max_patterns(n, rr).min(2f64.powi(n.min(1000) as i32));
    (tuples * second * 2.0, tuples)
}

/// `LP {u : G u >= g}` feasibility (module docs): `Some(u)` for a point the solver found (or
/// `Some(empty)` when it reported something other than a checked infeasibility certificate),
/// `None` only for a checked certificate.
fn lp_feasible(rows: &[(Row, f64)], nv: usize, settings: &SolveSettings) -> Result<Option<Vec<f64>>> {
    let m = rows.len();
    let mut a = CscBuilder::new(m, nv);
    let mut b = vec![0.0; m];
    for (i, (row, g)) in rows.iter().enumerate() {
        for &(col, val) in row {
            a.push(i, col, -val);
        }
        b[i] = -g;
    }
    let prob = ConicProblem { p: CscBuilder::new(nv, nv).build(), q: vec![0.0; nv], a: a.build(), b, cones: vec![Cone::Nonnegative(m)] };
    let sol = backend::solve(&prob, BackendKind::Clarabel, settings)?;
    if sol.status == Status::PrimalInfeasible && sol.z.len() == m {
        // Farkas: y >= 0, G'y = 0, g'y > 0.
        let y: Vec<f64> = sol.z.iter().map(|v| v.max(0.0)).collect();
        let gy: f64 = rows.iter().zip(&y).map(|((_, g), yi)| g * yi).sum();
        let mut gty = vec![0.0; nv];
        for ((row, _), yi) in rows.iter().zip(&y) {
            for &(col, val) in row {
                gty[col] += val * yi;
            }
        }
        let res = gty.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let scale = rows.iter().flat_map(|(r, _)| r.iter().map(|e| e.1.abs())).fold(0.0f64, f64::max) * y.iter().sum::<f64>();
        if gy > 0.0 && res <= 1e-7 * gy.max(1e-300) + 1e-12 * scale {
            return Ok(None);
        }
        return Ok(Some(Vec::new()));
    }
    if sol.status.has_solution() {
        return Ok(Some(sol.x));
    }
    Ok(Some(Vec::new()))
}

/// Realisable second-layer patterns of one tuple of neurons (module docs), by depth-first search
/// with LP feasibility. `lps` counts the LPs solved.
fn second_layer_patterns(x: DMatrixView<f64>, neurons: &[Neuron], lps: &mut u64, max_lps: u64) -> Result<Vec<Pattern>> {
    let (n, d) = x.shape();
    let nv = neurons.len() * d;
    let first = first_layer_rows(x, neurons);
    let z = hidden_rows(x, neurons);
    let hval = |i: usize, u: &[f64]| -> f64 { z[i].iter().map(|&(c, v)| v * u[c]).sum() };
    let settings = SolveSettings::default();
    let build = |bits: &[bool], leaf_ones: bool| -> Vec<(Row, f64)> {
        let mut rows: Vec<(Row, f64)> = first.iter().map(|r| (r.clone(), 0.0)).collect();
        for (i, &b) in bits.iter().enumerate() {
            if z[i].is_empty() {
                continue;
            }
            if b {
                rows.push((z[i].clone(), 0.0));
            } else {
                rows.push((z[i].iter().map(|&(c, v)| (c, -v)).collect(), 1.0));
            }
        }
        if leaf_ones {
            let mut sum = vec![0.0; nv];
            for row in &z {
                for &(c, v) in row {
                    sum[c] += v;
                }
            }
            rows.push((sum.into_iter().enumerate().filter(|(_, v)| *v != 0.0).collect(), 1.0));
        }
        rows
    };
    let mut out = Vec::new();
    // stack of (prefix, witness or empty = unknown but feasible)
    let mut stack: Vec<(Vec<bool>, Vec<f64>)> = vec![(Vec::new(), vec![0.0; nv])];
    let solve = |bits: &[bool], leaf_ones: bool, lps: &mut u64| -> Result<Option<Vec<f64>>> {
        *lps += 1;
        if *lps > max_lps {
            return Err(Error::TooLarge(format!(
                "exact configuration enumeration needs more than {max_lps} LPs (budget); use sampled configurations (--configs N) instead"
            )));
        }
        lp_feasible(&build(bits, leaf_ones), nv, &settings)
    };
    while let Some((bits, w)) = stack.pop() {
        let i = bits.len();
        if i == n {
            if bits.iter().all(|&b| b) {
                let total: f64 = if w.is_empty() { 0.0 } else { (0..n).map(|k| hval(k, &w)).sum() };
                if total <= 1e-12 && solve(&bits, true, lps)?.is_none() {
                    continue;
                }
            }
            out.push(Pattern::from_bools(&bits));
            continue;
        }
        let push = |b: bool, wit: Vec<f64>, stack: &mut Vec<(Vec<bool>, Vec<f64>)>| {
            let mut nb = bits.clone();
            nb.push(b);
            stack.push((nb, wit));
        };
        if z[i].is_empty() {
            push(true, w, &mut stack);
            continue;
        }
        let (h, hn) = if w.is_empty() {
            (f64::NAN, 0.0)
        } else {
            (hval(i, &w), z[i].iter().map(|&(c, v)| (v * w[c]).abs()).sum::<f64>())
        };
        let tiny = 1e-9 * hn.max(1e-300);
        let mut children: Vec<(bool, Option<Vec<f64>>)> = Vec::new();
        if h >= 0.0 {
            children.push((true, Some(w.clone())));
            children.push((false, None));
        } else if h < -tiny {
            let t = (1.0 / -h).max(1.0);
            children.push((false, Some(w.iter().map(|a| a * t).collect())));
            children.push((true, None));
        } else {
            children.push((true, None));
            children.push((false, None));
        }
        for (b, wit) in children {
            match wit {
                Some(wit) => push(b, wit, &mut stack),
                None => {
                    let mut nb = bits.clone();
                    nb.push(b);
                    if let Some(u) = solve(&nb, false, lps)? {
                        stack.push((nb, u));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Every realisable configuration of sub-width `m1` (module docs). LPs run on Clarabel.
pub fn enumerate(data: &Dataset, m1: usize, budget: &ConfigBudget) -> Result<ConfigSet> {
    check_inputs(data, m1)?;
    let x = data.x.as_view();
    let n = data.n();
    let pats = patterns::enumerate(x, &budget.patterns)?;
    let p = pats.len();
    let (est, tuples) = estimate(p, n, pats.rank, m1);
    if est > budget.max_estimate {
        return Err(Error::TooLarge(format!(
            "exact enumeration of three-layer configurations (sub-width {m1}) on n = {n} samples with {p} first-layer patterns: \
             up to {est:.3e} configurations from {tuples:.3e} neuron tuples, budget {:.3e}; use sampled configurations \
             (--configs N, N random sub-networks) instead, which give an upper bound without a certificate",
            budget.max_estimate
        )));
    }
    let pairs: Vec<Neuron> =
        pats.list.iter().flat_map(|q| [Neuron { pattern: q.clone(), positive: true }, Neuron { pattern: q.clone(), positive: false }]).collect();
    let k = m1.min(pairs.len());
    let mut list = Vec::new();
    let mut lps = 0u64;
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        let mut neurons: Vec<Neuron> = idx.iter().map(|&i| pairs[i].clone()).collect();
        if neurons.iter().any(|nu| nu.positive) {
            neurons.sort();
            for second in second_layer_patterns(x, &neurons, &mut lps, budget.max_lps)? {
                if second.is_zero() {
                    continue;
                }
                for s in [true, false] {
                    list.push(Config { neurons: neurons.clone(), second: second.clone(), output_positive: s });
                }
                if list.len() > budget.max_configurations {
                    return Err(Error::TooLarge(format!(
                        "exact enumeration of three-layer configurations exceeded {} configurations (estimate {est:.3e}); \
                         use sampled configurations (--configs N) instead",
                        budget.max_configurations
                    )));
                }
            }
        }
        // next combination
        let mut i = k;
        loop {
            if i == 0 {
                return Ok(ConfigSet { list, exhaustive: true, sub_width: m1, source: ConfigSource::Exact, lps, first_layer_patterns: p });
            }
            i -= 1;
            if idx[i] < pairs.len() - k + i {
                idx[i] += 1;
                for t in i + 1..k {
                    idx[t] = idx[t - 1] + 1;
                }
                break;
            }
        }
    }
}

/// Configurations with `w2 >= 0` only: every set of `min(m1, P)` distinct first-layer patterns,
/// all signs `+1`, `D2 = I`, both output signs. The program over them is the two-layer C-ReLU
/// program (module docs).
pub fn nonnegative_second_layer(data: &Dataset, m1: usize, budget: &ConfigBudget) -> Result<ConfigSet> {
    check_inputs(data, m1)?;
    let pats = patterns::enumerate(data.x.as_view(), &budget.patterns)?;
    let p = pats.len();
    let k = m1.min(p);
    let est = 2.0 * binomial(p as u64, k as u64);
    if est > budget.max_configurations as f64 {
        return Err(Error::TooLarge(format!("{est:.3e} configurations with w2 >= 0, budget {}", budget.max_configurations)));
    }
    let ones = Pattern::from_bools(&vec![true; data.n()]);
    let mut list = Vec::new();
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        let neurons: Vec<Neuron> = idx.iter().map(|&i| Neuron { pattern: pats.list[i].clone(), positive: true }).collect();
        for s in [true, false] {
            list.push(Config { neurons: neurons.clone(), second: ones.clone(), output_positive: s });
        }
        let mut i = k;
        loop {
            if i == 0 {
                return Ok(ConfigSet {
                    list,
                    exhaustive: false,
                    sub_width: m1,
                    source: ConfigSource::NonnegativeSecondLayer,
                    lps: 0,
                    first_layer_patterns: p,
                });
            }
            i -= 1;
            if idx[i] < p - k + i {
                idx[i] += 1;
                for t in i + 1..k {
                    idx[t] = idx[t - 1] + 1;
                }
                break;
            }
        }
    }
}

/// The configuration of one sub-network `(W1 (d x m1), w2)` on `x` with output sign `s`
/// (dead neurons dropped, repeated pairs merged); `None` when its output is zero on every
/// sample.
pub fn config_of(x: DMatrixView<f64>, w1: DMatrixView<f64>, w2: &[f64], output_positive: bool) -> Option<Config> {
    let n = x.nrows();
    let z = matmul(&x, &w1);
    let mut neurons = Vec::new();
    let mut h = vec![0.0; n];
    for j in 0..w1.ncols() {
        let col: Vec<f64> = z.column(j).iter().copied().collect();
        let pat = Pattern::from_values(&col);
        for i in 0..n {
            h[i] += col[i].max(0.0) * w2[j];
        }
        if pat.is_zero() || w2[j] == 0.0 {
            continue;
        }
        neurons.push(Neuron { pattern: pat, positive: w2[j] > 0.0 });
    }
    neurons.sort();
    neurons.dedup();
    let second = Pattern::from_values(&h);
    if neurons.iter().all(|nu| !nu.positive) || (0..n).all(|i| !(second.get(i) && h[i] > 0.0)) {
        return None;
    }
    Some(Config { neurons, second, output_positive })
}

/// Configurations of `count` random sub-networks of sub-width `m1` (module docs), seeded.
pub fn sample(data: &Dataset, m1: usize, count: usize, seed: u64) -> Result<ConfigSet> {
    check_inputs(data, m1)?;
    if count == 0 {
        return Err(Error::InvalidArgument("the number of sampled sub-networks must be at least 1, found 0".into()));
    }
    let d = data.d();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut list = Vec::new();
    for _ in 0..count {
        // drawn row by row
        let w1 = DMatrix::from_row_iterator(d, m1, (0..d * m1).map(|_| StandardNormal.sample(&mut rng)));
        let w2: Vec<f64> = (0..m1).map(|_| StandardNormal.sample(&mut rng)).collect();
        for s in [true, false] {
            if let Some(c) = config_of(data.x.as_view(), w1.as_view(), &w2, s) {
                if seen.insert(c.clone()) {
                    list.push(c);
                }
            }
        }
    }
    Ok(ConfigSet { list, exhaustive: false, sub_width: m1, source: ConfigSource::Sampled, lps: 0, first_layer_patterns: 0 })
}

// ---------------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------------

/// The variable map of a compiled three-layer program.
#[derive(Clone, Debug)]
pub struct Layout3 {
    pub n: usize,
    pub d: usize,
    pub beta: f64,
    pub sub_width: usize,
    pub configs: Vec<Config>,
    /// First global neuron index of each configuration (plus the total at the end).
    pub offsets: Vec<usize>,
    /// Start of the `v`, `t` and `r` blocks in `x`.
    pub v0: usize,
    pub t0: usize,
    pub r0: usize,
}

/// A compiled program and its layout.
#[derive(Clone, Debug)]
pub struct Program3 {
    pub problem: ConicProblem,
    pub layout: Layout3,
}

/// Largest number of nonzeros of A accepted by [`compile`].
pub const MAX_NONZEROS: usize = 200_000_000;

/// The convex program over `configs` (module docs, conic form).
pub fn compile(data: &Dataset, beta: f64, m1: usize, configs: &[Config]) -> Result<Program3> {
    check_inputs(data, m1)?;
    if !(beta.is_finite() && beta > 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a positive number, found {beta}")));
    }
    if configs.is_empty() {
        return Err(Error::InvalidArgument("no configuration to build the three-layer program from".into()));
    }
    let (n, d) = (data.n(), data.d());
    let x = data.x.as_view();
    if let Some(c) = configs.iter().find(|c| c.second.len() != n || c.neurons.iter().any(|nu| nu.pattern.len() != n)) {
        return Err(Error::InvalidArgument(format!("configuration with patterns of length {} for n = {n} samples", c.second.len())));
    }
    if let Some(c) = configs.iter().find(|c| c.neurons.len() > m1 || c.neurons.is_empty()) {
        return Err(Error::InvalidArgument(format!("configuration with {} neurons for sub-width {m1}", c.neurons.len())));
    }
    let mut offsets = Vec::with_capacity(configs.len() + 1);
    let mut total = 0usize;
    for c in configs {
        offsets.push(total);
        total = total.checked_add(c.neurons.len()).ok_or_else(|| Error::TooLarge("neuron count overflows".into()))?;
    }
    offsets.push(total);
    // size estimate (checked) before building
    let too_large = || Error::TooLarge(format!("the three-layer program over {} configurations on n = {n}, d = {d}", configs.len()));
    let per_cfg = n.checked_mul(d).and_then(|a| a.checked_mul(2 * m1 + 1)).ok_or_else(too_large)?;
    let nnz = per_cfg.checked_mul(configs.len()).ok_or_else(too_large)?;
    if nnz > MAX_NONZEROS {
        return Err(Error::TooLarge(format!(
            "the three-layer program over {} configurations would have up to {nnz} nonzeros (limit {MAX_NONZEROS}); use fewer configurations",
            configs.len()
        )));
    }
    let (v0, t0) = (0, d * total);
    let r0 = t0 + total;
    let nvar = r0 + n;
    let all_rows: Vec<Vec<Row>> = configs.iter().map(|c| cone_rows(x, c)).collect();
    let n_nonneg: usize = all_rows.iter().map(|r| r.len()).sum();
    let m = n + n_nonneg + total * (d + 1);
    let mut a = CscBuilder::new(m, nvar);
    let mut b = vec![0.0; m];
    for i in 0..n {
        b[i] = data.y[(i, 0)];
        a.push(i, r0 + i, -1.0);
    }
    for (ci, c) in configs.iter().enumerate() {
        let s = c.output_sign();
        for (j, nu) in c.neurons.iter().enumerate() {
            let g = offsets[ci] + j;
            for i in (0..n).filter(|&i| c.second.get(i) && nu.pattern.get(i)) {
                for l in 0..d {
                    a.push(i, v0 + g * d + l, s * x[(i, l)]);
                }
            }
        }
    }
    let mut row = n;
    for (ci, rows) in all_rows.iter().enumerate() {
        let base = v0 + offsets[ci] * d;
        for r in rows {
            for &(col, val) in r {
                a.push(row, base + col, -val);
            }
            row += 1;
        }
    }
    for g in 0..total {
        a.push(row, t0 + g, -1.0);
        for l in 0..d {
            a.push(row + 1 + l, v0 + g * d + l, -1.0);
        }
        row += d + 1;
    }
    let mut pm = CscBuilder::new(nvar, nvar);
    for i in 0..n {
        pm.push(r0 + i, r0 + i, 1.0);
    }
    let mut q = vec![0.0; nvar];
    q[t0..r0].iter_mut().for_each(|e| *e = beta);
    let mut cones = vec![Cone::Zero(n)];
    if n_nonneg > 0 {
        cones.push(Cone::Nonnegative(n_nonneg));
    }
    cones.extend(vec![Cone::SecondOrder(d + 1); total]);
    let problem = ConicProblem { p: pm.build(), q, a: a.build(), b, cones };
    let layout = Layout3 { n, d, beta, sub_width: m1, configs: configs.to_vec(), offsets, v0, t0, r0 };
    Ok(Program3 { problem, layout })
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

impl Layout3 {
    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.r0 + self.n
    }

    /// The named blocks of `x` (`v`, `t`, `r`) as (name, start, len).
    pub fn blocks(&self) -> Vec<(String, usize, usize)> {
        vec![("v".into(), self.v0, self.t0 - self.v0), ("t".into(), self.t0, self.r0 - self.t0), ("r".into(), self.r0, self.n)]
    }

    fn check_x(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.num_vars() {
            return Err(Error::InvalidArgument(format!("solution of length {} for a program with {} variables", x.len(), self.num_vars())));
        }
        Ok(())
    }

    /// The local vectors `v_c` (concatenated) of configuration `ci`.
    pub fn config_vectors<'a>(&self, ci: usize, x: &'a [f64]) -> &'a [f64] {
        &x[self.v0 + self.offsets[ci] * self.d..self.v0 + self.offsets[ci + 1] * self.d]
    }

    /// `t_c = sum_j ||v_cj||` of every configuration.
    pub fn group_norms(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_x(x)?;
        Ok((0..self.configs.len()).map(|ci| self.config_vectors(ci, x).chunks(self.d).map(norm).sum()).collect())
    }

    /// Fitted values `sum_c s_c D2_c sum_j D1_cj X v_cj`.
    pub fn fitted(&self, data: &Dataset, x: &[f64]) -> Result<Vec<f64>> {
        self.check_x(x)?;
        if data.n() != self.n || data.d() != self.d {
            return Err(Error::InvalidArgument(format!("data of size {} x {} for a program built on {} x {}", data.n(), data.d(), self.n, self.d)));
        }
        let mut f = vec![0.0; self.n];
        for (ci, c) in self.configs.iter().enumerate() {
            for (fi, o) in f.iter_mut().zip(config_output(data.x.as_view(), c, self.config_vectors(ci, x))) {
                *fi += o;
            }
        }
        Ok(f)
    }

    /// The program's objective evaluated directly at `x` (not through `t` and `r`).
    pub fn objective(&self, data: &Dataset, x: &[f64]) -> Result<f64> {
        let f = self.fitted(data, x)?;
        let loss: f64 = f.iter().enumerate().map(|(i, fi)| 0.5 * (fi - data.y[(i, 0)]).powi(2)).sum();
        Ok(loss + self.beta * self.group_norms(x)?.iter().sum::<f64>())
    }

    /// Largest violation of the cone constraints at `x`, relative to `max_c t_c` (0 when
    /// feasible): a check that the point is a network.
    pub fn max_violation(&self, data: &Dataset, x: &[f64]) -> Result<f64> {
        let t = self.group_norms(x)?;
        let top = t.iter().fold(0.0f64, |a, &b| a.max(b)).max(1e-300);
        let mut worst = 0.0f64;
        for (ci, c) in self.configs.iter().enumerate() {
            let v = self.config_vectors(ci, x);
            for r in cone_rows(data.x.as_view(), c) {
                let val: f64 = r.iter().map(|&(col, a)| a * v[col]).sum();
                worst = worst.max(-val / top);
            }
        }
        Ok(worst)
    }

    /// Indices of the configurations with `t_c > drop_tolerance * max_c t_c`.
    pub fn support(&self, x: &[f64], drop_tolerance: f64) -> Result<Vec<usize>> {
        let t = self.group_norms(x)?;
        let top = t.iter().fold(0.0f64, |a, &b| a.max(b));
        Ok((0..t.len()).filter(|&i| t[i] > drop_tolerance * top && t[i] > 0.0).collect())
    }

    /// Merge configurations whose sub-network outputs on the data are positively collinear
    /// (cosine >= 1 - `cos_tolerance`): within such a group, the configuration with the smallest
    /// penalty per unit of output `t_c / ||o_c||` is scaled up to produce the group's summed output
    /// (scaling by a positive factor keeps every cone constraint) and the others are zeroed.
    /// The fit is unchanged up to the tolerance and the penalty does not increase; configurations
    /// with zero output are zeroed (that only lowers the penalty). Returns the new `x` (with `t`
    /// and `r` made consistent).
    pub fn merge_collinear(&self, data: &Dataset, x: &[f64], cos_tolerance: f64) -> Result<Vec<f64>> {
        let t = self.group_norms(x)?;
        let xv = data.x.as_view();
        let mut items: Vec<(f64, usize, Vec<f64>, f64)> = Vec::new();
        for (ci, c) in self.configs.iter().enumerate() {
            if t[ci] == 0.0 {
                continue;
            }
            let o = config_output(xv, c, self.config_vectors(ci, x));
            let no = norm(&o);
            if no > 0.0 {
                items.push((t[ci] / no, ci, o, no));
            }
        }
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        // groups: (representative, its output, its norm, summed norm)
        let mut groups: Vec<(usize, Vec<f64>, f64, f64)> = Vec::new();
        for (_, ci, o, no) in items {
            let hit = groups.iter_mut().find(|g| g.1.iter().zip(&o).map(|(a, b)| a * b).sum::<f64>() >= (1.0 - cos_tolerance) * g.2 * no);
            match hit {
                Some(g) => g.3 += no,
                None => groups.push((ci, o, no, no)),
            }
        }
        let mut out = x.to_vec();
        out[self.v0..self.t0].iter_mut().for_each(|a| *a = 0.0);
        for (ci, _, no, total) in groups {
            let scale = total / no;
            let (a, b) = (self.v0 + self.offsets[ci] * self.d, self.v0 + self.offsets[ci + 1] * self.d);
            for k in a..b {
                out[k] = x[k] * scale;
            }
        }
        for g in 0..self.offsets[self.configs.len()] {
            let v = &out[self.v0 + g * self.d..self.v0 + (g + 1) * self.d];
            out[self.t0 + g] = norm(v);
        }
        let f = self.fitted(data, &out)?;
        for i in 0..self.n {
            out[self.r0 + i] = f[i] - data.y[(i, 0)];
        }
        Ok(out)
    }

    /// The network of a solution (module docs): one sub-network per configuration with
    /// `t_c > drop_tolerance * max t_c`; neurons beyond a configuration's own are zero columns.
    pub fn recover(&self, x: &[f64], drop_tolerance: f64) -> Result<Network3> {
        let keep = self.support(x, drop_tolerance)?;
        let (d, m1) = (self.d, self.sub_width);
        let mut w1 = DMatrix::zeros(d, keep.len() * m1);
        let mut w2 = DMatrix::zeros(keep.len(), m1);
        let mut w3 = DVector::zeros(keep.len());
        for (k, &ci) in keep.iter().enumerate() {
            let c = &self.configs[ci];
            let v = self.config_vectors(ci, x);
            let t: f64 = v.chunks(d).map(norm).sum();
            for (j, (nu, vj)) in c.neurons.iter().zip(v.chunks(d)).enumerate() {
                let nv = norm(vj);
                if nv == 0.0 {
                    continue;
                }
                let sc = nu.sign() / (nv * t).sqrt();
                for l in 0..d {
                    w1[(l, k * m1 + j)] = sc * vj[l];
                }
                w2[(k, j)] = nu.sign() * nv.sqrt();
            }
            w3[k] = c.output_sign() * t.sqrt();
        }
        Network3::new(w1, w2, w3)
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing
// ---------------------------------------------------------------------------------------------

/// The price `rho_c(z)` of one configuration (module docs).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Price {
    /// The SOCP's value as the solver reports it (a lower estimate of `rho_c`; 0 without a
    /// solution).
    pub primal: f64,
    /// A rigorous upper bound on `rho_c` (dual multipliers evaluated in floating point).
    pub upper: f64,
    /// The crude bound `max_j ||g_j||` (multipliers 0).
    pub crude: f64,
}

/// `g_j = s_c X' D1_j D2 z` for every neuron of `c` (concatenated).
fn gradient(x: DMatrixView<f64>, c: &Config, z: &[f64]) -> Vec<f64> {
    let (n, d) = x.shape();
    let s = c.output_sign();
    let mut g = vec![0.0; c.neurons.len() * d];
    for (j, nu) in c.neurons.iter().enumerate() {
        for i in (0..n).filter(|&i| c.second.get(i) && nu.pattern.get(i)) {
            for l in 0..d {
                g[j * d + l] += s * x[(i, l)] * z[i];
            }
        }
    }
    g
}

/// `max_j ||w_j|| (1 + 1e-12)` over the neuron blocks of `w`.
fn block_max_norm(w: &[f64], d: usize) -> f64 {
    w.chunks(d).map(norm).fold(0.0, f64::max) * (1.0 + 1e-12)
}

/// The crude bound on `rho_c(z)` (no solve).
pub fn crude_price(x: DMatrixView<f64>, c: &Config, z: &[f64]) -> f64 {
    block_max_norm(&gradient(x, c, z), x.ncols())
}

/// `rho_c(z)` by its SOCP on Clarabel (module docs): variables `[v (k d); t (k)]`,
/// `min -g'v` s.t. the cone rows, `1 - sum t >= 0`, `(t_j, v_j)` in SOC(d + 1).
pub fn price(x: DMatrixView<f64>, c: &Config, z: &[f64], settings: &SolveSettings) -> Result<Price> {
    let d = x.ncols();
    let k = c.neurons.len();
    let g = gradient(x, c, z);
    let crude = block_max_norm(&g, d);
    let rows = cone_rows(x, c);
    let nv = k * d + k;
    let m = rows.len() + 1 + k * (d + 1);
    let mut a = CscBuilder::new(m, nv);
    let mut b = vec![0.0; m];
    for (i, r) in rows.iter().enumerate() {
        for &(col, val) in r {
            a.push(i, col, -val);
        }
    }
    let mut row = rows.len();
    for j in 0..k {
        a.push(row, k * d + j, 1.0);
    }
    b[row] = 1.0;
    row += 1;
    for j in 0..k {
        a.push(row, k * d + j, -1.0);
        for l in 0..d {
            a.push(row + 1 + l, j * d + l, -1.0);
        }
        row += d + 1;
    }
    let mut q: Vec<f64> = g.iter().map(|v| -v).collect();
    q.extend(vec![0.0; k]);
    let prob = ConicProblem {
        p: CscBuilder::new(nv, nv).build(),
        q,
        a: a.build(),
        b,
        cones: std::iter::once(Cone::Nonnegative(rows.len() + 1)).chain(std::iter::repeat(Cone::SecondOrder(d + 1)).take(k)).collect(),
    };
    let sol = backend::solve(&prob, BackendKind::Clarabel, settings)?;
    let mut upper = crude;
    if sol.z.len() >= rows.len() {
        let mut w = g.clone();
        for (r, &lam) in rows.iter().zip(&sol.z) {
            let lam = if lam.is_finite() { lam.max(0.0) } else { 0.0 };
            if lam == 0.0 {
                continue;
            }
            for &(col, val) in r {
                w[col] += lam * val;
            }
        }
        upper = upper.min(block_max_norm(&w, d));
    }
    let primal = if sol.status.has_solution() { (-sol.primal_objective).max(0.0) } else { 0.0 };
    Ok(Price { primal, upper, crude })
}

/// The outcome of [`certify`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct Certificate3 {
    /// `-1/2 ||alpha z0||^2 + alpha z0'y`: a lower bound on `p*` when `certified`.
    pub lower_bound: f64,
    /// True when the configurations priced were every realisable one.
    pub certified: bool,
    /// Rigorous upper bound on `max_c rho_c(z0)` (over configurations not priced: their crude
    /// bound).
    pub max_price: f64,
    /// Largest solver value of a price (lower estimate).
    pub max_price_primal: f64,
    pub scale: f64,
    /// Indices (into the priced list) with solver price above `beta (1 + violation_tolerance)`,
    /// most violated first.
    pub violators: Vec<usize>,
    pub configurations: usize,
    pub solves: usize,
    pub seconds: f64,
}

/// Price `configs` on the residual `z0 = y - yhat` (module docs), collecting violators
/// (`rho > beta (1 + violation_tolerance)`) and the dual lower bound. Configurations whose crude
/// bound is at most `max(beta, current max)` are not solved.
pub fn certify(data: &Dataset, beta: f64, yhat: &[f64], configs: &ConfigSet, violation_tolerance: f64) -> Result<Certificate3> {
    let start = std::time::Instant::now();
    let n = data.n();
    if yhat.len() != n {
        return Err(Error::InvalidArgument(format!("{} predictions for n = {n} samples", yhat.len())));
    }
    let x = data.x.as_view();
    let y: Vec<f64> = data.y.column(0).iter().copied().collect();
    let z0: Vec<f64> = y.iter().zip(yhat).map(|(a, b)| a - b).collect();
    let mut order: Vec<(f64, usize)> = configs.list.iter().enumerate().map(|(i, c)| (crude_price(x, c, &z0), i)).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let settings = SolveSettings::default();
    let mut s_max = 0.0f64;
    let mut s_primal = 0.0f64;
    let mut solves = 0;
    let mut viol: Vec<(f64, usize)> = Vec::new();
    for &(crude, i) in &order {
        if crude <= s_max.max(beta) {
            s_max = s_max.max(crude);
            break;
        }
        let p = price(x, &configs.list[i], &z0, &settings)?;
        solves += 1;
        s_max = s_max.max(p.upper);
        s_primal = s_primal.max(p.primal);
        if p.primal > beta * (1.0 + violation_tolerance) {
            viol.push((p.primal, i));
        }
    }
    viol.sort_by(|a, b| b.0.total_cmp(&a.0));
    let zz: f64 = z0.iter().map(|a| a * a).sum();
    let zy: f64 = z0.iter().zip(&y).map(|(a, b)| a * b).sum();
    let cap = if s_max > 0.0 { beta / s_max } else { f64::INFINITY };
    let scale = if zz > 0.0 { (zy / zz).clamp(0.0, cap) } else { 0.0 };
    Ok(Certificate3 {
        lower_bound: -0.5 * scale * scale * zz + scale * zy,
        certified: configs.exhaustive,
        max_price: s_max,
        max_price_primal: s_primal,
        scale,
        violators: viol.into_iter().map(|v| v.1).collect(),
        configurations: configs.len(),
        solves,
        seconds: start.elapsed().as_secs_f64(),
    })
}
