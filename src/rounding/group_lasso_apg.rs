//! The group lasso `min_W 1/2 ||H W - Y||_F^2 + beta sum_k ||w_k||_2` (row `k` of `W` is the
//! output weight vector of neuron `k`) by an accelerated proximal gradient method, for the
//! refits whose conic form would be large.
//!
//! The conic form of the refit ([`super::refit::group_lasso_problem`]) has `n c` equality rows
//! with `K` nonzeros each; at `n = 1000`, `c = 10` and `K = 400` that is four million nonzeros,
//! and the interior-point solver spends tens of seconds on its ordering and factorisations. Here
//! one iteration costs two products with the Gram matrix `G = H'H` (formed once when `K <= n`,
//! otherwise applied as `H'(H W)`):
//!
//! ```text
//!     V = Z - (G Z - H'Y) / L,        W+ = prox(V),   prox(v)_k = max(0, 1 - beta / (L ||v_k||)) v_k
//!     t+ = (1 + sqrt(1 + 4 t^2)) / 2, Z+ = W+ + (t - 1) / t+ (W+ - W)
//! ```
//!
//! (FISTA) with `L >= lambda_max(G)` from a power iteration (times 1.1, then doubled whenever
//! the descent condition of the step fails), and the gradient restart of O'Donoghue & Candes
//! (momentum reset when `<Z - W+, W+ - W> > 0`). It stops when the fixed-point residual
//! `L ||W+ - Z||` is at most `tolerance (1 + ||H'Y||)` (default 1e-8), or at its iteration or
//! time limit, which bounds the distance of `0` to the
//! subdifferential at `W+` by twice that amount. The refit then runs its Newton polish on the
//! support, as after a conic solve.

use crate::error::{Error, Result};
use crate::linalg::{matmul, Op};
use nalgebra::{DMatrix, DMatrixView};

/// Settings of the proximal gradient solve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApgSettings {
    /// Iteration limit (default 20 000).
    pub max_iterations: u32,
    /// Relative fixed-point residual at which it stops (default 1e-8; the refit's Newton
    /// polish then solves the problem on the support to machine precision).
    pub tolerance: f64,
    /// Wall-clock limit in seconds (default none); the iterate at the limit is returned,
    /// marked as not converged.
    pub time_limit_seconds: Option<f64>,
}

impl Default for ApgSettings {
    fn default() -> Self {
        Self { max_iterations: 20_000, tolerance: 1e-8, time_limit_seconds: None }
    }
}

/// The result.
#[derive(Clone, Debug)]
pub struct ApgOutcome {
    /// K x c.
    pub w: DMatrix<f64>,
    /// Iterations taken.
    pub iterations: u32,
    /// Relative fixed-point residual at the end.
    pub residual: f64,
    /// Whether the residual reached the tolerance.
    pub converged: bool,
}

/// `H'H`, either formed (when `K <= n`) or applied through `H` (two products of `n K c`
/// flops instead of one of `K^2 c`).
enum Gram {
    Formed(DMatrix<f64>),
    Through(DMatrix<f64>),
}

impl Gram {
    fn apply(&self, w: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        match self {
            Gram::Formed(g) => matmul(g, Op::N, w, Op::N),
            Gram::Through(h) => matmul(h, Op::T, &matmul(h, Op::N, w, Op::N)?, Op::N),
        }
    }
}

/// `1/2 <W, G W> - <B, W>` (the smooth part up to the constant `1/2 ||Y||^2`) and its gradient.
fn smooth(g: &Gram, b: &DMatrix<f64>, w: &DMatrix<f64>) -> Result<(f64, DMatrix<f64>)> {
    let gw = g.apply(w)?;
    let val = 0.5 * gw.dot(w) - b.dot(w);
    Ok((val, gw - b))
}

/// Row-wise group soft-thresholding with threshold `tau`.
fn prox(v: &DMatrix<f64>, tau: f64) -> DMatrix<f64> {
    let mut out = v.clone();
    for k in 0..v.nrows() {
        let nrm = v.row(k).norm();
        let f = if nrm > tau { 1.0 - tau / nrm } else { 0.0 };
        out.row_mut(k).scale_mut(f);
    }
    out
}

/// Solves the group lasso for columns `h` (n x K) and targets `y` (n x c) from `W = 0`.
pub fn solve(h: DMatrixView<f64>, y: DMatrixView<f64>, beta: f64, s: &ApgSettings) -> Result<ApgOutcome> {
    let (n, k) = h.shape();
    let c = y.ncols();
    if y.nrows() != n {
        return Err(Error::InvalidArgument(format!("group lasso: H has {n} rows but Y has {}", y.nrows())));
    }
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a finite number >= 0, found {beta}")));
    }
    if k == 0 {
        return Ok(ApgOutcome { w: DMatrix::zeros(0, c), iterations: 0, residual: 0.0, converged: true });
    }
    let hd = h.clone_owned();
    let yd = y.clone_owned();
    let b = matmul(&hd, Op::T, &yd, Op::N)?;
    let g = if k <= n { Gram::Formed(matmul(&hd, Op::T, &hd, Op::N)?) } else { Gram::Through(hd) };
    let scale = 1.0 + b.norm();
    // lambda_max(G) by power iteration from a fixed start.
    let mut v = DMatrix::from_element(k, 1, 1.0 / (k as f64).sqrt());
    let mut lmax: f64 = 0.0;
    for _ in 0..100 {
        let gv = g.apply(&v)?;
        let nrm = gv.norm();
        if nrm == 0.0 {
            break;
        }
        lmax = nrm;
        v = gv / nrm;
    }
    let mut lip = (1.1 * lmax).max(1e-12);
    let mut w = DMatrix::zeros(k, c);
    let mut z = w.clone();
    let mut t = 1.0f64;
    let mut residual = f64::INFINITY;
    let mut iterations = 0;
    let clock = std::time::Instant::now();
    for it in 1..=s.max_iterations {
        iterations = it;
        let (fz, grad) = smooth(&g, &b, &z)?;
        // Step with backtracking on the descent condition (L only grows).
        let w_new = loop {
            let cand = prox(&(&z - &grad / lip), beta / lip);
            let d = &cand - &z;
            let (fc, _) = smooth(&g, &b, &cand)?;
            if fc <= fz + grad.dot(&d) + 0.5 * lip * d.norm_squared() * (1.0 + 1e-12) + 1e-15 * fz.abs() {
                break cand;
            }
            lip *= 2.0;
        };
        residual = lip * (&w_new - &z).norm() / scale;
        if !residual.is_finite() {
            return Err(Error::Backend { backend: "group-lasso apg", message: "non-finite iterate".into() });
        }
        if residual <= s.tolerance {
            w = w_new;
            break;
        }
        if s.time_limit_seconds.is_some_and(|l| clock.elapsed().as_secs_f64() >= l) {
            w = w_new;
            break;
        }
        let restart = (&z - &w_new).dot(&(&w_new - &w)) > 0.0;
        let t_new = if restart { 1.0 } else { 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt()) };
        z = if restart { w_new.clone() } else { &w_new + (&w_new - &w) * ((t - 1.0) / t_new) };
        t = t_new;
        w = w_new;
    }
    Ok(ApgOutcome { w, iterations, residual, converged: residual <= s.tolerance })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BackendKind, SolveSettings};
    use crate::rounding::refit::{group_lasso_problem, group_lasso_value};
    use rand::{Rng, SeedableRng};

    /// The proximal gradient value equals the interior-point solution of the conic form
    /// (Clarabel at 1e-10) on random instances, for a small and a large beta.
    #[test]
    fn matches_the_conic_solution() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for (n, k, c, beta) in [(30, 12, 1, 0.1), (40, 25, 3, 0.5), (25, 40, 2, 0.05), (20, 8, 2, 50.0)] {
            // drawn row by row
            let h = DMatrix::from_row_iterator(n, k, (0..n * k).map(|_| rng.random_range(0.0..1.0f64).max(0.3) - 0.3));
            let y = DMatrix::from_row_iterator(n, c, (0..n * c).map(|_| rng.random_range(-1.0..1.0)));
            let apg = solve(h.as_view(), y.as_view(), beta, &ApgSettings::default()).unwrap();
            assert!(apg.converged, "not converged: residual {}", apg.residual);
            let v_apg = group_lasso_value(h.as_view(), apg.w.as_view(), y.as_view(), beta);
            let prob = group_lasso_problem(h.as_view(), y.as_view(), beta);
            let sol = crate::backend::solve(&prob, BackendKind::Clarabel, &SolveSettings { tolerance: Some(1e-10), ..Default::default() }).unwrap();
            let w_ip = DMatrix::from_fn(k, c, |g, l| sol.x[g * c + l]);
            let v_ip = group_lasso_value(h.as_view(), w_ip.as_view(), y.as_view(), beta);
            assert!((v_apg - v_ip).abs() <= 1e-7 * (1.0 + v_ip.abs()), "n {n} K {k} c {c} beta {beta}: apg {v_apg} vs interior point {v_ip}");
        }
    }
}
