//! The ADMM iteration of the `dnn` solver (the method and the stopping rule are in the parent
//! module's documentation).

use super::{DnnProblem, DnnSettings, DnnSolution, DnnState};
use crate::backend::Status;
use crate::error::{Error, Result};
use crate::linalg::{congruence_diag, gemm, matmul, sym_eigen, symmetrize, EigenRange, Op};
use nalgebra::DMatrix;
use std::time::Instant;

/// Residuals measured at a check.
#[derive(Clone, Copy, Debug, Default)]
struct Residuals {
    primal: f64,
    dual: f64,
    gap: f64,
    pobj: f64,
    dobj: f64,
}

impl Residuals {
    fn kkt(&self) -> f64 {
        self.primal.max(self.dual).max(self.gap)
    }
}

/// `C0 = beta/2 diag(0_a, I_u, I_v)`.
fn c0_matrix(problem: &DnnProblem) -> DMatrix<f64> {
    let (n, q) = (problem.t.n(), problem.t.q());
    DMatrix::from_fn(q, q, |i, j| if i == j && i >= n { 0.5 * problem.beta } else { 0.0 })
}

/// The proximal map of `h~ / rho` at `m` (module docs of `dnn`), in place.
fn prox_h(problem: &DnnProblem, kappa: f64, rho: f64, m: &mut DMatrix<f64>) {
    let (n, d) = (problem.t.n(), problem.t.d());
    let c = problem.t.c();
    let lv = 2 * n + d;
    // [AB] block: projection onto K.
    for j in 0..2 * n {
        for i in 0..2 * n {
            let on_ab_diagonal = (i < n && j == i + n) || (j < n && i == j + n);
            let v = m[(i, j)];
            m[(i, j)] = if on_ab_diagonal { 0.0 } else { v.max(0.0) };
        }
    }
    // AV block: argmin_l 1/2 (l/kappa - y)^2 + rho (l - m)^2 (the entry appears twice in the
    // symmetric Frobenius norm).
    let den = 1.0 / (kappa * kappa) + 2.0 * rho;
    for k in 0..c {
        for i in 0..n {
            let l = (problem.y[(i, k)] / kappa + 2.0 * rho * m[(i, lv + k)]) / den;
            m[(i, lv + k)] = l;
            m[(lv + k, i)] = l;
        }
    }
}

/// `W = -2 Z_AV` for `Z = kappa Lambda2`, and the dual objective `<W, Y> - 1/2 ||W||^2`.
pub(super) fn dual_objective(problem: &DnnProblem, z: &DMatrix<f64>) -> f64 {
    let (n, d, c) = (problem.t.n(), problem.t.d(), problem.t.c());
    let lv = 2 * n + d;
    let mut val = 0.0;
    for k in 0..c {
        for i in 0..n {
            let w = -2.0 * z[(i, lv + k)];
            val += w * problem.y[(i, k)] - 0.5 * w * w;
        }
    }
    val
}

/// `(m_1 * s_1, m_2 * s_2, ...)` flattened (column-major) into one vector.
fn flatten(parts: &[(&DMatrix<f64>, f64)]) -> Vec<f64> {
    let mut out = Vec::with_capacity(parts.iter().map(|(m, _)| m.len()).sum());
    for (m, s) in parts {
        out.extend(m.as_slice().iter().map(|v| v * s));
    }
    out
}

/// Type-II Anderson acceleration with a residual safeguard: `w+ = T(w) - (dW + dG) gamma`,
/// `gamma = argmin ||g - dG gamma||` (ridge-regularised normal equations).
struct Anderson {
    memory: usize,
    dw: Vec<Vec<f64>>,
    dg: Vec<Vec<f64>>,
    last: Option<(Vec<f64>, Vec<f64>, f64)>,
    rho: f64,
}

impl Anderson {
    fn new(memory: usize) -> Self {
        Self { memory, dw: Vec::new(), dg: Vec::new(), last: None, rho: f64::NAN }
    }

    fn step(&mut self, w: &[f64], g: &[f64], tw: &[f64], rho: f64) -> Vec<f64> {
        let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if rho != self.rho {
            self.dw.clear();
            self.dg.clear();
            self.last = None;
            self.rho = rho;
        }
        if let Some((w0, g0, g0norm)) = self.last.take() {
            if gnorm > 2.0 * g0norm {
                // Safeguard: the extrapolation made things worse; forget the history.
                self.dw.clear();
                self.dg.clear();
            } else {
                self.dw.push(w.iter().zip(&w0).map(|(a, b)| a - b).collect());
                self.dg.push(g.iter().zip(&g0).map(|(a, b)| a - b).collect());
                if self.dw.len() > self.memory {
                    self.dw.remove(0);
                    self.dg.remove(0);
                }
            }
        }
        self.last = Some((w.to_vec(), g.to_vec(), gnorm));
        let m = self.dg.len();
        if m == 0 {
            return tw.to_vec();
        }
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut h = DMatrix::zeros(m, m);
        let mut rhs = nalgebra::DVector::zeros(m);
        for i in 0..m {
            for j in 0..=i {
                let v = dot(&self.dg[i], &self.dg[j]);
                h[(i, j)] = v;
                h[(j, i)] = v;
            }
            rhs[i] = dot(&self.dg[i], g);
        }
        let reg = 1e-10 * (0..m).map(|i| h[(i, i)]).fold(0.0, f64::max) + 1e-300;
        for i in 0..m {
            h[(i, i)] += reg;
        }
        let Some(gamma) = h.cholesky().map(|c| c.solve(&rhs)) else { return tw.to_vec() };
        if gamma.iter().any(|v| !v.is_finite()) {
            return tw.to_vec();
        }
        let mut out = tw.to_vec();
        for i in 0..m {
            let gi = gamma[i];
            for ((o, a), b) in out.iter_mut().zip(&self.dw[i]).zip(&self.dg[i]) {
                *o -= gi * (a + b);
            }
        }
        out
    }
}

/// `M <- W M W` for the diagonal row weights `w` (entry `(i, j)` times `w_i w_j`).
fn weigh(m: &mut DMatrix<f64>, w: &[f64]) {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            m[(i, j)] *= w[i] * w[j];
        }
    }
}

/// The row weights `w` of the lifted constraint `kappa W T S T' W = L~`: 1 on the rows that carry
/// a constraint or the loss (A, B, V), 0 on the U rows. With the U rows in the split, every
/// entry of `Lambda_UU`, `Lambda_AU`, `Lambda_BU`, `Lambda_UV` (free in the program) would act as a
/// proximal term on `S` and slow the iteration down.
/// With the variable scaled (`S = D S^ D`, `D = diag(d_a I, I, I)`), the A and B rows carry
/// the weight `d_a` (`T D = diag(d_a, d_a, 1, 1) T(X / d_a)`).
fn row_weights(problem: &DnnProblem, d_a: f64) -> Vec<f64> {
    let (n, d, c) = (problem.t.n(), problem.t.d(), problem.t.c());
    let mut w = vec![1.0; 2 * n + d + c];
    for x in &mut w[..2 * n] {
        *x = d_a;
    }
    for x in &mut w[2 * n..2 * n + d] {
        *x = 0.0;
    }
    w
}

/// `D M D` for `D = diag(f I_n, I, I)` (rows and columns of the `a` block times `f`).
pub(super) fn scale_a_block(m: &DMatrix<f64>, n: usize, f: f64) -> DMatrix<f64> {
    let mut out = m.clone();
    for j in 0..out.ncols() {
        for i in 0..out.nrows() {
            let fi = if i < n { f } else { 1.0 };
            let fj = if j < n { f } else { 1.0 };
            out[(i, j)] *= fi * fj;
        }
    }
    out
}

/// The scale `d_a` of the `a` block: `||X||_2`, so that the scaled data `X / d_a` has norm 1 and
/// the blocks of the scaled variable are of comparable size at a solution
/// (`||s(X u)|| <= ||X|| ||u||`).
pub(super) fn default_scale_a(problem: &DnnProblem) -> Result<f64> {
    let x = problem.t.x();
    let xtx = x.transpose() * x;
    let e = sym_eigen(&xtx, EigenRange::All)?;
    let top = e.values.last().copied().unwrap_or(1.0);
    Ok(if top > 1e-24 { top.sqrt() } else { 1.0 })
}

/// Solves the relaxation by ADMM, from `warm` when given (same `n, d, c`; otherwise from zero).
///
/// Errors: invalid settings, a memory estimate above `settings.memory_limit_bytes`, a LAPACK
/// failure. Solver outcomes (limits, non-finite iterates) are statuses.
pub fn solve(problem: &DnnProblem, settings: &DnnSettings, warm: Option<&DnnState>) -> Result<DnnSolution> {
    settings.validate()?;
    let start = Instant::now();
    let mem = problem.memory_estimate()?;
    if mem > settings.memory_limit_bytes {
        return Err(Error::TooLarge(format!(
            "the dnn solver needs about {:.2} GB for q = {} (n = {}), above the limit of {:.2} GB",
            mem as f64 / 1e9,
            problem.t.q(),
            problem.t.n(),
            settings.memory_limit_bytes as f64 / 1e9
        )));
    }
    let (q, p, n) = (problem.t.q(), problem.t.p(), problem.t.n());
    // One BLAS thread below order 400 (measured faster there; see `SingleBlasThread`).
    let _blas = (q < 400).then(crate::linalg::SingleBlasThread::new);
    // Work on the scaled variable S^ = D^(-1) S D^(-1) (see `default_scale_a`).
    let d_a = match settings.scale_a {
        Some(v) => v,
        None => default_scale_a(problem)?,
    };
    let t_owned = super::Congruence::new(problem.t.x() / d_a, problem.t.c());
    let t = &t_owned;

    // G = T'W^2 T = Q diag(g) Q', once.
    let wts = row_weights(problem, d_a);
    let mut w2 = DMatrix::zeros(p, p);
    for i in 0..p {
        w2[(i, i)] = wts[i] * wts[i];
    }
    let gram = sym_eigen(&t.adjoint(&w2)?, EigenRange::All)?; // T' W^2 T
    let gmax = gram.values.last().copied().unwrap_or(1.0).max(1e-12);
    let kappa = settings.kappa.unwrap_or(1.0 / gmax.sqrt());
    let gv = &gram.values;
    let qg = &gram.vectors;
    let inv_den = DMatrix::from_fn(q, q, |i, j| 1.0 / (1.0 + kappa * kappa * gv[i] * gv[j]));
    let c0 = c0_matrix(problem);
    let c0_norm = c0.norm();

    let fits = |w: &DnnState| w.s.nrows() == q && w.l.nrows() == p && w.lambda1.nrows() == q && w.lambda2.nrows() == p;
    let (mut s, mut pm, mut l, mut lam1, mut lam2, mut rho) = match warm {
        Some(w) if fits(w) => {
            // L~ = kappa Lambda and Z = kappa Lambda2 are kept in the original scale; S^ and its
            // multiplier follow the scale of the a block.
            let r = kappa / w.kappa;
            let f = w.scale_a / d_a;
            (scale_a_block(&w.s, n, f), scale_a_block(&w.p, n, f), &w.l * r, scale_a_block(&w.lambda1, n, 1.0 / f), &w.lambda2 / r, w.rho)
        }
        _ => (DMatrix::zeros(q, q), DMatrix::zeros(q, q), DMatrix::zeros(p, p), DMatrix::zeros(q, q), DMatrix::zeros(p, p), settings.rho),
    };
    let alpha = if settings.halpern { 2.0 } else { settings.relaxation };
    let mut res = Residuals { primal: f64::INFINITY, dual: f64::INFINITY, gap: f64::INFINITY, ..Default::default() };
    let mut status = Status::IterationLimit;
    let mut iterations = 0u32;
    let mut last_print = start;
    let mut tmp = DMatrix::zeros(q, q);
    // Halpern anchor (restarted): w_{k+1} = w_0 / (k + 2) + (k + 1) / (k + 2) T(w_k).
    let mut anchor = (pm.clone(), l.clone(), lam1.clone(), lam2.clone());
    let mut inner = 0u32;
    let mut r0 = f64::INFINITY;
    let mut r_prev = f64::INFINITY;
    let mut restarts = 0u32;
    let mut report = (pm.clone(), lam2.clone());
    let mut aa = Anderson::new(settings.anderson_memory as usize);

    // How many eigenvalues the last projection kept (it chooses the eigensolver of the next).
    let mut positive_eigenvalues = q;
    for it in 1..=settings.max_iterations {
        iterations = it;
        // 1. S-step.
        let mut rhs_l = &l - &lam2 / rho;
        weigh(&mut rhs_l, &wts);
        let mut r = t.adjoint(&rhs_l)? * kappa;
        r += &pm;
        r -= (&lam1 + &c0) / rho;
        gemm(1.0, qg, Op::T, &r, Op::N, 0.0, &mut tmp)?; // Q' R
        let mut rh = matmul(&tmp, Op::N, qg, Op::N)?; // Q' R Q
        rh.component_mul_assign(&inv_den);
        gemm(1.0, qg, Op::N, &rh, Op::N, 0.0, &mut tmp)?;
        s = matmul(&tmp, Op::N, qg, Op::T)?;
        symmetrize(&mut s);
        let mut ks = t.forward(&s)? * kappa;
        weigh(&mut ks, &wts);

        // 2. P-step (relaxed).
        let m1 = &s * alpha + &pm * (1.0 - alpha) + &lam1 / rho;
        let bound = m1.norm() + 1.0;
        let p_new = psd_part(&m1, bound, &mut positive_eigenvalues)?;
        let lam1_new = (&m1 - &p_new) * rho;

        // 3. L-step (relaxed).
        let mut l_new = &ks * alpha + &l * (1.0 - alpha) + &lam2 / rho;
        let m2 = l_new.clone();
        prox_h(problem, kappa, rho, &mut l_new);
        let lam2_new = (&m2 - &l_new) * rho;

        let check = it % settings.check_every == 0 || it == settings.max_iterations;
        if check {
            let rp1 = (&s - &p_new).norm() / (1.0 + s.norm().max(p_new.norm()));
            let rp2 = (&ks - &l_new).norm() / (1.0 + ks.norm().max(l_new.norm()));
            let mut dl = &l_new - &l;
            weigh(&mut dl, &wts);
            let mut dr = t.adjoint(&dl)? * kappa;
            dr += &p_new - &pm;
            let dual = rho * dr.norm() / (1.0 + c0_norm + lam1_new.norm());
            let pobj = problem.objective(&scale_a_block(&p_new, n, d_a));
            // The multiplier of Lambda itself: kappa W Lambda^ W = L~ = kappa Lambda, so Z = kappa Lambda2.
            let dobj = dual_objective(problem, &(&lam2_new * kappa));
            let gap = (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs());
            res = Residuals { primal: rp1.max(rp2), dual, gap, pobj, dobj };
            report = (p_new.clone(), lam2_new.clone());
        }

        if settings.halpern {
            // Fixed-point residual in the rho-weighted norm.
            let fp = (rho * ((&p_new - &pm).norm_squared() + (&l_new - &l).norm_squared())
                + ((&lam1_new - &lam1).norm_squared() + (&lam2_new - &lam2).norm_squared()) / rho)
                .sqrt();
            if inner == 0 {
                r0 = fp;
            }
            let w = 1.0 / (inner as f64 + 2.0);
            pm = &anchor.0 * w + &p_new * (1.0 - w);
            l = &anchor.1 * w + &l_new * (1.0 - w);
            lam1 = &anchor.2 * w + &lam1_new * (1.0 - w);
            lam2 = &anchor.3 * w + &lam2_new * (1.0 - w);
            inner += 1;
            let restart = fp <= 0.2 * r0 || (fp <= 0.8 * r0 && fp > r_prev) || inner >= settings.restart_max.max(1);
            r_prev = fp;
            if restart {
                // Restart at the last T(w) and rebalance rho there.
                pm = p_new;
                l = l_new;
                lam1 = lam1_new;
                lam2 = lam2_new;
                restarts += 1;
                if settings.adapt_every > 0 && res.primal.is_finite() {
                    if res.primal > 5.0 * res.dual {
                        rho *= 2.0;
                    } else if res.dual > 5.0 * res.primal {
                        rho /= 2.0;
                    }
                }
                anchor = (pm.clone(), l.clone(), lam1.clone(), lam2.clone());
                inner = 0;
                r_prev = f64::INFINITY;
            }
        } else if settings.anderson_memory > 0 {
            // Anderson acceleration (type II) of the map w -> T(w), w = (P, L~, Lambda1, Lambda2),
            // in the rho-weighted norm; memory cleared when the residual grows or rho changes.
            let sr = rho.sqrt();
            let wv = flatten(&[(&pm, sr), (&l, sr), (&lam1, 1.0 / sr), (&lam2, 1.0 / sr)]);
            let tw = flatten(&[(&p_new, sr), (&l_new, sr), (&lam1_new, 1.0 / sr), (&lam2_new, 1.0 / sr)]);
            let g: Vec<f64> = tw.iter().zip(&wv).map(|(a, b)| a - b).collect();
            let next = aa.step(&wv, &g, &tw, rho);
            let mut off = 0;
            for (m, scale) in [(&mut pm, sr), (&mut l, sr), (&mut lam1, 1.0 / sr), (&mut lam2, 1.0 / sr)] {
                let len = m.len();
                for (dst, src) in m.as_mut_slice().iter_mut().zip(&next[off..off + len]) {
                    *dst = src / scale;
                }
                off += len;
            }
        } else {
            pm = p_new;
            l = l_new;
            lam1 = lam1_new;
            lam2 = lam2_new;
        }

        if check {
            if !res.kkt().is_finite() || !rho.is_finite() {
                status = Status::NumericalError;
                break;
            }
            let elapsed = start.elapsed().as_secs_f64();
            let now = Instant::now();
            if settings.verbose || (!settings.quiet && elapsed > 3.0 && now.duration_since(last_print).as_secs_f64() >= 5.0) {
                eprintln!(
                    "dnn: iter {it:>6}  pobj {:.8e}  dobj {:.8e}  primal {:.2e}  dual {:.2e}  gap {:.2e}  rho {:.2e}  restarts {restarts}  {:.1} s",
                    res.pobj, res.dobj, res.primal, res.dual, res.gap, rho, elapsed
                );
                last_print = now;
            }
            if res.kkt() <= settings.tolerance {
                status = Status::Solved;
                break;
            }
            if !settings.halpern && settings.adapt_every > 0 && it % settings.adapt_every == 0 {
                if res.primal > 10.0 * res.dual {
                    rho *= 2.0;
                } else if res.dual > 10.0 * res.primal {
                    rho /= 2.0;
                }
            }
        }
        if let Some(limit) = settings.time_limit_seconds {
            if start.elapsed().as_secs_f64() >= limit {
                status = Status::TimeLimit;
                break;
            }
        }
    }
    let state = DnnState { s, p: pm.clone(), l, lambda1: lam1, lambda2: lam2.clone(), rho, kappa, scale_a: d_a };
    // Report T(w) at the last check (P exactly PSD there), or the current iterate.
    let (pm, lam2) = if iterations >= settings.check_every { report } else { (pm, lam2) };
    let z = &lam2 * kappa;
    let pm = scale_a_block(&pm, n, d_a);
    let primal_objective = problem.objective(&pm);
    let dual_objective = dual_objective(problem, &z);
    Ok(DnnSolution {
        method: super::DnnMethod::Admm,
        status,
        s: pm,
        z,
        primal_objective,
        dual_objective,
        primal_residual: res.primal,
        dual_residual: res.dual,
        gap: res.gap,
        iterations,
        single_precision_iterations: 0,
        preconditioned_iterations: 0,
        single_capacitance_iterations: 0,
        inequalities_dropped: 0,
        solve_seconds: start.elapsed().as_secs_f64(),
        state,
    })
}

/// The projection of the symmetric `m` onto the PSD cone, `Q max(L, 0) Q'` (every eigenvalue of
/// `m` is at most `bound`). When the last projection kept few eigenvalues (at most
/// [`FEW_POSITIVE`] of the order), only those in `(0, bound]` are computed (`dsyevr` by
/// bisection: 0.014 s for 5 of 693); otherwise the whole spectrum ([`sym_eigen`] with
/// `EigenRange::All`: `dsyevd` from order 64, about 0.05 s at 693, where bisection for 690 of
/// them takes 0.19 s). `positive` carries the count from one
/// call to the next.
fn psd_part(m: &DMatrix<f64>, bound: f64, positive: &mut usize) -> Result<DMatrix<f64>> {
    let q = m.nrows();
    let eig = if (*positive as f64) <= FEW_POSITIVE * q as f64 {
        sym_eigen(m, EigenRange::Values { lo: 0.0, hi: bound })?
    } else {
        let mut e = sym_eigen(m, EigenRange::All)?;
        for v in e.values.iter_mut() {
            if !(*v > 0.0) {
                *v = 0.0;
            }
        }
        e
    };
    *positive = eig.values.iter().filter(|&&v| v > 0.0).count();
    congruence_diag(&eig.vectors, &eig.values)
}

/// The share of the order below which [`psd_part`] computes only the positive eigenvalues
/// (the crossover measured at order 693 lies between 70 and 200 of 693).
const FEW_POSITIVE: f64 = 0.15;

#[cfg(test)]
mod tests {
    use super::*;

    /// Both eigensolver paths of `psd_part` give the projection onto the PSD cone: against
    /// nalgebra's eigendecomposition, on a matrix with many positive eigenvalues (order 80, past
    /// the divide-and-conquer threshold), and the count carried to the next call.
    #[test]
    fn psd_part_is_the_projection_on_both_paths() {
        let q = 80;
        // Eigenvalues (k - 30) / 10 + 0.05: 50 positive, none near zero (so the count is exact).
        let base = DMatrix::from_fn(q, q, |i, j| (((i * 7 + j * 13) % 17) as f64 - 8.0) / 8.0);
        let vecs = ((&base + base.transpose()) * 0.5).symmetric_eigen().eigenvectors;
        let vals: Vec<f64> = (0..q).map(|k| (k as f64 - 30.0) / 10.0 + 0.05).collect();
        let a = congruence_diag(&vecs, &vals).unwrap();
        let want = congruence_diag(&vecs, &vals.iter().map(|v| v.max(0.0)).collect::<Vec<_>>()).unwrap();
        let positives = vals.iter().filter(|&&v| v > 0.0).count();
        assert_eq!(positives, 50);
        let bound = a.norm() + 1.0;
        for start in [0, q] {
            let mut count = start;
            let got = psd_part(&a, bound, &mut count).unwrap();
            assert!((&got - &want).amax() < 1e-12 * (1.0 + want.amax()), "start {start}");
            assert_eq!(count, positives, "start {start}");
        }
    }
}
