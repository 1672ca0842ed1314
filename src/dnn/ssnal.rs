//! The semismooth Newton augmented Lagrangian method of the `dnn` solver (`--dnn-method ssnal`):
//! a short ADMM phase ([`super::admm`]) for a moderate-accuracy start, then a
//! proximal augmented Lagrangian method whose subproblems are solved by a semismooth Newton
//! method with conjugate gradients. Memory `O(q^2)` like the ADMM; every Newton step and every
//! line-search trial is one eigendecomposition of order `q`, plus matrix products whose cost
//! falls with the rank of the solution.
//!
//! # Status
//!
//! It reaches a relative KKT residual of 1e-7 on small instances (the cases of
//! `tests/dnn_ssnal.rs`: the one-dimensional reference set, a planted teacher with n = 8, Gaussian
//! data with n = 12, a tied 6-point spiral) with Clarabel's value, and its certified bound
//! (computed from its multiplier like any other) is valid whatever its status. Already on a
//! 15-point spiral its gap stalls near 4e-7 (20 s). On the benchmark instances it converges
//! linearly and slowly: through the CLI with a 60 s limit it certifies 0.729 on the iris training
//! half (optimum 0.766; the ADMM in the same time: 0.682) and 0.853 on full iris (optimum 1.159;
//! the ADMM: 0.451); docs/dnn.md has the whole table. What limits it, as measured: the Newton systems are badly
//! conditioned once `sigma` is large (their curvature ranges from `tau/sigma` on the directions
//! that neither the PSD projection nor the active inequalities touch to `sigma ||M||^2`), so
//! conjugate gradients without a preconditioner hit their cap, while with `sigma` kept moderate
//! the multipliers (large on nearly degenerate data: `||Z||` is about 1e3 on the spiral) move
//! too slowly. A preconditioner for the Newton system, or the dual formulation of SDPNAL+ where
//! the Newton variable is the multiplier, are the next steps. Still, in equal time it certifies
//! more than the ADMM on every real data set measured (the banknote training half, q = 693, after
//! 600 s through the CLI: 0.4098 against 0.2104), so `auto` picks it wherever the interior-point
//! method does not fit.
//!
//! # The augmented Lagrangian
//!
//! The solver works on the scaled variable `S` of the ADMM (the `a` block divided by
//! `d_a = ||X||_2`, the data `X / d_a`), where the program reads
//!
//! ```text
//!     minimise   f(S) = beta/2 (tr S_uu + tr S_vv) + 1/2 ||d_a S_av - Y||^2
//!     subject to S PSD,   M(S) = [T S T']_[AB] in K
//! ```
//!
//! with `K = { M >= 0 entrywise, diag(M_AB) = 0 }`. Its dual cone `K*` is the set of symmetric
//! matrices that are `>= 0` off the diagonal of `AB` (free there); `Pi_K*` clips the negative
//! entries except on that diagonal. With multipliers `Gamma` (PSD) and `Zk` (in `K*`), a
//! penalty `sigma > 0` and a proximal centre `S0` with weight `tau`, one outer iteration
//! minimises
//!
//! ```text
//!     phi(S) = f(S) + 1/(2 sigma) ||Pi_PSD(Gamma - sigma S)||^2 + 1/(2 sigma) ||Pi_K*(Zk - sigma M(S))||^2
//!              + tau/(2 sigma) ||S - S0||^2
//! ```
//!
//! (a smooth, strongly convex function), then updates `Gamma <- Pi_PSD(Gamma - sigma S)`,
//! `Zk <- Pi_K*(Zk - sigma M(S))`. The multipliers stay exactly in their cones; at a minimiser
//! of `phi` the stationarity residual `grad f(S) - Gamma - M*(Zk)` equals
//! `-tau/sigma (S - S0)`, which vanishes as the outer iterations settle.
//!
//! # The Newton step
//!
//! `grad phi(S) = grad f(S) - Pi_PSD(Gamma - sigma S) - M*(Pi_K*(Zk - sigma M(S))) + tau/sigma (S - S0)`
//! is piecewise smooth. An element of its generalised Hessian applied to `H` is
//!
//! ```text
//!     d_a^2/2 [H_av in the av and va blocks] + sigma J(H) + sigma M*(D o M(H)) + tau/sigma H
//! ```
//!
//! where `D` is the 0/1 mask of the entries of `Zk - sigma M(S)` that are positive or free, and
//! `J(H) = Q (Omega o (Q' H Q)) Q'` is the derivative of `Pi_PSD` at `Gamma - sigma S = Q diag(l) Q'`,
//! `Omega_ij = 1` when `l_i, l_j > 0`, `0` when both are `<= 0`, and `l_i / (l_i - l_j)` for
//! `l_i > 0 >= l_j`. With `r` positive eigenvalues, `J(H)` costs `8 min(r, q - r) q^2` flops
//! (the block of ones or its complement is applied through the `r` or `q - r` eigenvectors, never
//! as a full `Q' H Q`). The constraint part `M*(D o M(H))` is applied in one pass over the four
//! `n x n` blocks of the `[AB]` block, without forming the `2 n x 2 n` matrices `M(H)` and
//! `D o M(H)` (on the banknote training half, q = 693, one BLAS thread, 60 Newton steps and about
//! 3 150 CG iterations took 63.1 and 64.7 s against 71.2 and 79.6 s before; two alternating
//! runs each; applying the PSD Jacobian and this part on two threads at once, with one BLAS
//! thread, then gave 60.6 and 62.7 s against 65.4 and 63.0 s, within the noise, and was not
//! kept). The Newton system is solved by conjugate gradients to a relative residual
//! `min(0.1, ||grad phi||^0.5)`, and the step length by Armijo backtracking on `phi`.
//!
//! # Stopping and reported measures
//!
//! After every outer iteration, with `S` the current point:
//!
//! ```text
//!     primal  max( ||Gamma+ - Gamma|| / sigma / (1 + ||S||),  ||Zk+ - Zk|| / sigma / (1 + ||M(S)||) )
//!     dual    ||grad f(S) - Gamma+ - M*(Zk+)|| / (1 + ||grad f(S)||)
//!     gap     |pobj - dobj| / (1 + |pobj| + |dobj|),   pobj = f(S),  dobj = <W, Y> - 1/2 ||W||^2,  W = Y - S_av
//! ```
//!
//! (`||Gamma+ - Gamma|| / sigma` bounds the distance of `S` to the PSD cone, and likewise for
//! `K`). The solve is `solved` when all three are below the tolerance. The penalty grows by 3
//! (up to `sigma_max`) whenever an outer iteration cuts the larger of the primal and dual
//! measures by less than 30%: with the proximal term both measures fall as `sigma` grows
//! (residual balancing as in an ADMM would lower it and stall). It falls by 3 (not below
//! `min(1, sigma0)`) after a subproblem that Newton-CG left unsolved. A solve stopped by the
//! time limit inside a subproblem returns the point and multipliers of the last completed
//! outer iteration. The returned primal point is `Pi_PSD(S)` in the original scale; the multiplier of the
//! lifted constraints is `Z` with `Z_[AB] = -Zk / d_a^2`, `Z_AV = (S_av - Y) / 2` and zeros
//! elsewhere (the convention of [`super::DnnSolution::z`], from which the certificate starts).
//!
//! The method follows the design of SDPNAL+ (Yang, Sun & Toh 2015), applied here to the primal:
//! the relaxation has about `2 n^2` inequality constraints but only `q^2 / 2` unknowns in `S`,
//! so the Newton systems live in the smaller space.

use super::admm::{self, scale_a_block};
use super::{Congruence, DnnMethod, DnnProblem, DnnSettings, DnnSolution, DnnState};
use crate::backend::Status;
use crate::error::{Error, Result};
use crate::linalg::{gemm, matmul, sym_eigen, symmetrize, EigenRange, Op};
use nalgebra::DMatrix;
use serde::Serialize;
use std::time::Instant;

/// Settings of the Newton phase. Defaults in [`SsnalSettings::default`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SsnalSettings {
    /// ADMM iterations of the first phase at most (default 200; 0 starts the Newton phase from
    /// zero or from the warm start).
    pub admm_iterations: u32,
    /// The first phase stops early at this relative KKT residual (default 1e-3).
    pub admm_tolerance: f64,
    /// Initial penalty `sigma` (default 1).
    pub sigma: f64,
    /// Largest penalty the balancing rule may reach (default 1e5).
    pub sigma_max: f64,
    /// Proximal weight `tau` (default 1; the proximal term is `tau/(2 sigma) ||S - S0||^2`).
    pub tau: f64,
    /// Newton steps per subproblem at most (default 30).
    pub newton_per_subproblem: u32,
    /// Conjugate-gradient iterations per Newton step at most (default 500).
    pub cg_iterations: u32,
}

impl Default for SsnalSettings {
    fn default() -> Self {
        Self { admm_iterations: 200, admm_tolerance: 1e-3, sigma: 1.0, sigma_max: 1e5, tau: 1.0, newton_per_subproblem: 30, cg_iterations: 500 }
    }
}

impl SsnalSettings {
    /// Range checks.
    pub fn validate(&self) -> Result<()> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !pos(self.admm_tolerance) || !pos(self.sigma) || !pos(self.tau) || !pos(self.sigma_max) {
            return Err(Error::InvalidArgument(format!(
                "ssnal: admm_tolerance, sigma, sigma_max and tau must be positive, found {}, {}, {}, {}",
                self.admm_tolerance, self.sigma, self.sigma_max, self.tau
            )));
        }
        if self.sigma > self.sigma_max {
            return Err(Error::InvalidArgument(format!("ssnal: sigma {} is above sigma_max {}", self.sigma, self.sigma_max)));
        }
        if self.newton_per_subproblem == 0 || self.cg_iterations == 0 {
            return Err(Error::InvalidArgument("ssnal: newton_per_subproblem and cg_iterations must be at least 1".into()));
        }
        Ok(())
    }
}

/// The scaled program (module docs).
struct Program {
    t: Congruence,
    d_a: f64,
    y: DMatrix<f64>,
    beta: f64,
    n: usize,
    d: usize,
    c: usize,
    q: usize,
}

impl Program {
    fn new(problem: &DnnProblem, d_a: f64) -> Self {
        let t = Congruence::new(problem.t.x() / d_a, problem.t.c());
        let (n, d, c, q) = (t.n(), t.d(), t.c(), t.q());
        Self { t, d_a, y: problem.y.clone(), beta: problem.beta, n, d, c, q }
    }

    /// `M(S) = [T S T']_[AB]` (2n x 2n), for symmetric `S`.
    fn lift(&self, s: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (n, d) = (self.n, self.d);
        let x = self.t.x();
        let s_au = s.view((0, n), (n, d)).clone_owned();
        let s_uu = s.view((n, n), (d, d)).clone_owned();
        let w = matmul(&s_au, Op::N, x, Op::T)?; // S_au X'
        let xs = matmul(x, Op::N, &s_uu, Op::N)?;
        let xsx = matmul(&xs, Op::N, x, Op::T)?;
        let mut m = DMatrix::zeros(2 * n, 2 * n);
        for j in 0..n {
            for i in 0..n {
                let a = s[(i, j)];
                m[(i, j)] = a;
                m[(i, n + j)] = a - w[(i, j)];
                m[(n + i, j)] = a - w[(j, i)];
                m[(n + i, n + j)] = a - w[(i, j)] - w[(j, i)] + xsx[(i, j)];
            }
        }
        Ok(m)
    }

    /// `M*(m) = T' [m on AB, 0 elsewhere] T` (q x q), for symmetric `m` (2n x 2n).
    fn lift_adjoint(&self, m: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let n = self.n;
        let aa = DMatrix::from_fn(n, n, |i, j| m[(i, j)] + m[(i, n + j)] + m[(n + i, j)] + m[(n + i, n + j)]);
        let ab_bb = DMatrix::from_fn(n, n, |i, j| m[(i, n + j)] + m[(n + i, n + j)]);
        let bb = m.view((n, n), (n, n)).clone_owned();
        self.adjoint_from_blocks(&aa, &ab_bb, &bb)
    }

    /// `M*(m)` from the three `n x n` sums it needs of a symmetric `m`: `aa = m_AA + m_AB + m_BA +
    /// m_BB`, `ab_bb = m_AB + m_BB` and `bb = m_BB` (the `au` block is `-ab_bb X`, the `uu` block
    /// `X' bb X`).
    fn adjoint_from_blocks(&self, aa: &DMatrix<f64>, ab_bb: &DMatrix<f64>, bb: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (n, d, q) = (self.n, self.d, self.q);
        let x = self.t.x();
        let t_au = matmul(ab_bb, Op::N, x, Op::N)?;
        let bbx = matmul(bb, Op::N, x, Op::N)?;
        let xbbx = matmul(x, Op::T, &bbx, Op::N)?;
        let mut s = DMatrix::zeros(q, q);
        s.view_mut((0, 0), (n, n)).copy_from(aa);
        for j in 0..d {
            for i in 0..n {
                s[(i, n + j)] = -t_au[(i, j)];
                s[(n + j, i)] = -t_au[(i, j)];
            }
        }
        s.view_mut((n, n), (d, d)).copy_from(&xbbx);
        symmetrize(&mut s);
        Ok(s)
    }

    /// `M*(D o M(H))` for symmetric `H` and a symmetric 0/1 mask `D` (2n x 2n): the constraint
    /// part of the Newton operator, in one pass over the four `n x n` blocks without forming the
    /// `2n x 2n` matrices `M(H)` and `D o M(H)` (the same value as
    /// `lift_adjoint(&(lift(h) o mask))`, up to rounding; about a third of the memory traffic).
    fn lift_masked_adjoint(&self, h: &DMatrix<f64>, mask: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (n, d) = (self.n, self.d);
        let x = self.t.x();
        let h_au = h.view((0, n), (n, d)).clone_owned();
        let h_uu = h.view((n, n), (d, d)).clone_owned();
        let w = matmul(&h_au, Op::N, x, Op::T)?; // H_au X'
        let wt = matmul(x, Op::N, &h_au, Op::T)?; // X H_ua = w'
        let xh = matmul(x, Op::N, &h_uu, Op::N)?;
        let xhx = matmul(&xh, Op::N, x, Op::T)?;
        let mut aa = DMatrix::zeros(n, n);
        let mut ab_bb = DMatrix::zeros(n, n);
        let mut bb = DMatrix::zeros(n, n);
        for j in 0..n {
            let (m_aa, m_ab) = (mask.column(j), mask.column(n + j));
            let (h_col, w_col, wt_col, xhx_col) = (h.column(j), w.column(j), wt.column(j), xhx.column(j));
            for i in 0..n {
                let a = h_col[i];
                let (wij, wji) = (w_col[i], wt_col[i]);
                let v_aa = m_aa[i] * a;
                let v_ab = m_ab[i] * (a - wij);
                let v_ba = m_aa[n + i] * (a - wji);
                let v_bb = m_ab[n + i] * (a - wij - wji + xhx_col[i]);
                aa[(i, j)] = v_aa + v_ab + v_ba + v_bb;
                ab_bb[(i, j)] = v_ab + v_bb;
                bb[(i, j)] = v_bb;
            }
        }
        self.adjoint_from_blocks(&aa, &ab_bb, &bb)
    }

    /// `R = d_a S_av - Y` (n x c).
    fn residual(&self, s: &DMatrix<f64>) -> DMatrix<f64> {
        let v = self.n + self.d;
        DMatrix::from_fn(self.n, self.c, |i, k| self.d_a * s[(i, v + k)] - self.y[(i, k)])
    }

    fn objective(&self, s: &DMatrix<f64>) -> f64 {
        let r = self.residual(s);
        let tr: f64 = (self.n..self.q).map(|i| s[(i, i)]).sum();
        0.5 * r.norm_squared() + 0.5 * self.beta * tr
    }

    /// `grad f(S)` in the trace inner product of symmetric matrices.
    fn gradient(&self, s: &DMatrix<f64>) -> DMatrix<f64> {
        let mut g = DMatrix::zeros(self.q, self.q);
        for i in self.n..self.q {
            g[(i, i)] = 0.5 * self.beta;
        }
        let r = self.residual(s);
        let v = self.n + self.d;
        for k in 0..self.c {
            for i in 0..self.n {
                let val = 0.5 * self.d_a * r[(i, k)];
                g[(i, v + k)] = val;
                g[(v + k, i)] = val;
            }
        }
        g
    }

    /// `H -> d_a^2 / 2 H_av` on the `av` and `va` blocks (the Hessian of the loss), added to `out`.
    fn add_loss_hessian(&self, h: &DMatrix<f64>, out: &mut DMatrix<f64>) {
        let v = self.n + self.d;
        let w = 0.5 * self.d_a * self.d_a;
        for k in 0..self.c {
            for i in 0..self.n {
                out[(i, v + k)] += w * h[(i, v + k)];
                out[(v + k, i)] += w * h[(v + k, i)];
            }
        }
    }
}

/// Whether entry `(i, j)` of a 2n x 2n matrix is on the diagonal of its `AB` block (free in `K*`).
fn free_entry(i: usize, j: usize, n: usize) -> bool {
    (i < n && j == i + n) || (j < n && i == j + n)
}

/// `Pi_K*(v)` and the 0/1 mask of the entries where it is the identity (positive or free).
fn project_dual_cone(v: &DMatrix<f64>, n: usize) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut proj = v.clone();
    let mut mask = DMatrix::zeros(v.nrows(), v.ncols());
    for j in 0..v.ncols() {
        for i in 0..v.nrows() {
            if free_entry(i, j, n) || v[(i, j)] > 0.0 {
                mask[(i, j)] = 1.0;
            } else {
                proj[(i, j)] = 0.0;
            }
        }
    }
    (proj, mask)
}

/// The derivative of `Pi_PSD` at `A = Q diag(l) Q'` (module docs), kept as the eigenvectors of
/// the positive and the non-positive eigenvalues and the mixed weights.
struct PsdJacobian {
    pos: DMatrix<f64>,
    neg: DMatrix<f64>,
    /// `l_i / (l_i - l_j)`, `i` positive, `j` non-positive (r x (q - r)).
    nu: DMatrix<f64>,
}

impl PsdJacobian {
    fn new(values: &[f64], vectors: &DMatrix<f64>) -> Self {
        let q = vectors.nrows();
        let pos_idx: Vec<usize> = (0..values.len()).filter(|&i| values[i] > 0.0).collect();
        let neg_idx: Vec<usize> = (0..values.len()).filter(|&i| values[i] <= 0.0).collect();
        let pos = DMatrix::from_fn(q, pos_idx.len(), |i, j| vectors[(i, pos_idx[j])]);
        let neg = DMatrix::from_fn(q, neg_idx.len(), |i, j| vectors[(i, neg_idx[j])]);
        let nu = DMatrix::from_fn(pos_idx.len(), neg_idx.len(), |i, j| {
            let (li, lj) = (values[pos_idx[i]], values[neg_idx[j]]);
            li / (li - lj)
        });
        Self { pos, neg, nu }
    }

    /// `Qp (Omega o (Q' H Q)) Q'` for `Omega = [[1, w], [w', 0]]` in the basis `[Qp, Qm]`:
    /// `R + R'` with `R = Qp (1/2 Hpp Qp' + (w o Hpm) Qm')`.
    fn block_apply(qp: &DMatrix<f64>, qm: &DMatrix<f64>, w: &DMatrix<f64>, h: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let q = h.nrows();
        if qp.ncols() == 0 {
            return Ok(DMatrix::zeros(q, q));
        }
        let u = matmul(qp, Op::T, h, Op::N)?; // Qp' H (r x q)
        let hpp = matmul(&u, Op::N, qp, Op::N)? * 0.5;
        let mut l = matmul(&hpp, Op::N, qp, Op::T)?; // 1/2 Hpp Qp' (r x q)
        if qm.ncols() > 0 {
            let mut hpm = matmul(&u, Op::N, qm, Op::N)?;
            hpm.component_mul_assign(w);
            gemm(1.0, &hpm, Op::N, qm, Op::T, 1.0, &mut l)?;
        }
        let mut r = matmul(qp, Op::N, &l, Op::N)?;
        let rt = r.transpose();
        r += rt;
        Ok(r)
    }

    fn apply(&self, h: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (r, q) = (self.pos.ncols(), h.nrows());
        if r <= q - r {
            Self::block_apply(&self.pos, &self.neg, &self.nu, h)
        } else {
            // J(H) = H - Q ((1 - Omega) o Q'HQ) Q', whose block of ones is on the other side.
            let w = self.nu.map(|v| 1.0 - v).transpose();
            Ok(h - Self::block_apply(&self.neg, &self.pos, &w, h)?)
        }
    }
}

/// The multipliers and penalty of one outer iteration.
struct Multipliers {
    gamma: DMatrix<f64>,
    zk: DMatrix<f64>,
    sigma: f64,
    tau: f64,
    centre: DMatrix<f64>,
}

/// Everything `phi` needs at one point.
struct Point {
    s: DMatrix<f64>,
    /// Eigenpairs of `Gamma - sigma S`.
    values: Vec<f64>,
    vectors: DMatrix<f64>,
    /// `Pi_K*(Zk - sigma M(S))` and its mask.
    kproj: DMatrix<f64>,
    kmask: DMatrix<f64>,
    phi: f64,
}

impl Point {
    fn new(prog: &Program, mult: &Multipliers, s: DMatrix<f64>) -> Result<Self> {
        let sigma = mult.sigma;
        let a = &mult.gamma - &s * sigma;
        let e = sym_eigen(&a, EigenRange::All)?;
        let lifted = prog.lift(&s)?;
        let (kproj, kmask) = project_dual_cone(&(&mult.zk - &lifted * sigma), prog.n);
        let psd: f64 = e.values.iter().map(|&l| if l > 0.0 { l * l } else { 0.0 }).sum();
        let phi = prog.objective(&s) + (psd + kproj.norm_squared()) / (2.0 * sigma) + mult.tau / (2.0 * sigma) * (&s - &mult.centre).norm_squared();
        Ok(Self { s, values: e.values, vectors: e.vectors, kproj, kmask, phi })
    }

    /// `Pi_PSD(Gamma - sigma S)`.
    fn psd_part(&self) -> Result<DMatrix<f64>> {
        let w: Vec<f64> = self.values.iter().map(|&l| l.max(0.0)).collect();
        crate::linalg::congruence_diag(&self.vectors, &w)
    }

    /// `grad phi` and the stationarity part `grad f - Gamma+ - M*(Zk+)` (without the proximal term).
    fn gradient(&self, prog: &Program, mult: &Multipliers) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
        let stat = prog.gradient(&self.s) - self.psd_part()? - prog.lift_adjoint(&self.kproj)?;
        let g = &stat + (&self.s - &mult.centre) * (mult.tau / mult.sigma);
        Ok((g, stat))
    }
}

/// `y <- y + a x`.
fn add_scaled(y: &mut DMatrix<f64>, a: f64, x: &DMatrix<f64>) {
    for (yi, xi) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *yi += a * xi;
    }
}

/// Conjugate gradients on `apply(x) = b` from zero, to `||r|| <= tol ||b||` or `max` iterations or
/// the deadline. Returns the iterate and the iterations taken.
fn conjugate_gradients(
    mut apply: impl FnMut(&DMatrix<f64>) -> Result<DMatrix<f64>>,
    b: &DMatrix<f64>,
    tol: f64,
    max: u32,
    out_of_time: impl Fn() -> bool,
) -> Result<(DMatrix<f64>, u32)> {
    let mut x = DMatrix::zeros(b.nrows(), b.ncols());
    let mut r = b.clone();
    let mut p = r.clone();
    let mut rr = r.norm_squared();
    let target = tol * tol * rr;
    let mut k = 0;
    while k < max && rr > target && !out_of_time() {
        k += 1;
        let ap = apply(&p)?;
        let pap = p.dot(&ap);
        if !(pap > 0.0) {
            break;
        }
        let alpha = rr / pap;
        add_scaled(&mut x, alpha, &p);
        add_scaled(&mut r, -alpha, &ap);
        let rr_new = r.norm_squared();
        p = &r + &p * (rr_new / rr);
        rr = rr_new;
    }
    Ok((x, k))
}

/// Solves the relaxation by the two-phase method (module docs), from `warm` when given.
///
/// Errors: invalid settings, a memory estimate above the limit, a LAPACK failure. Limits and
/// non-finite iterates are statuses.
///
/// Zero rows and groups of equal rows of `X` are solved out first ([`super::reduce`]), since
/// the program then has no strictly feasible point and its multipliers are unbounded; a warm
/// start is used only when no rows tie (it lives in the unreduced space).
pub fn solve(problem: &DnnProblem, settings: &DnnSettings, warm: Option<&DnnState>) -> Result<DnnSolution> {
    let trivial = super::reduce::RowReduction::of(problem).is_trivial();
    super::reduce::solve_on_reduced_rows(problem, |p| solve_untied(p, settings, if trivial { warm } else { None }))
}

fn solve_untied(problem: &DnnProblem, settings: &DnnSettings, warm: Option<&DnnState>) -> Result<DnnSolution> {
    settings.validate()?;
    let ss = &settings.ssnal;
    ss.validate()?;
    let start = Instant::now();
    let (n, q) = (problem.t.n(), problem.t.q());
    let deadline = settings.time_limit_seconds;
    let out_of_time = || deadline.is_some_and(|t| start.elapsed().as_secs_f64() >= t);
    let _blas = (q < 400).then(crate::linalg::SingleBlasThread::new);

    // Phase I: a short ADMM run (it checks the memory estimate too).
    let phase1 = if ss.admm_iterations > 0 {
        let s1 = DnnSettings {
            tolerance: ss.admm_tolerance.max(settings.tolerance),
            max_iterations: ss.admm_iterations.min(settings.max_iterations),
            time_limit_seconds: deadline.map(|t| 0.3 * t),
            quiet: true,
            verbose: false,
            ..settings.clone()
        };
        Some(admm::solve(problem, &s1, warm)?)
    } else {
        let mem = problem.memory_estimate()?;
        if mem > settings.memory_limit_bytes {
            return Err(Error::TooLarge(format!(
                "the dnn solver needs about {:.2} GB for q = {q} (n = {n}), above the limit of {:.2} GB",
                mem as f64 / 1e9,
                settings.memory_limit_bytes as f64 / 1e9
            )));
        }
        None
    };
    let d_a = match (settings.scale_a, &phase1, warm) {
        (Some(v), _, _) => v,
        (None, Some(sol), _) => sol.state.scale_a,
        (None, None, Some(w)) => w.scale_a,
        (None, None, None) => admm::default_scale_a(problem)?,
    };
    let prog = Program::new(problem, d_a);
    // Starting point: the phase-I point (or the warm start), in the scaled variable.
    let start_from = |s: &DMatrix<f64>, z: &DMatrix<f64>| -> (DMatrix<f64>, DMatrix<f64>) {
        let s_hat = scale_a_block(s, n, 1.0 / d_a);
        let zab = DMatrix::from_fn(2 * n, 2 * n, |i, j| -z[(i, j)] * d_a * d_a);
        (s_hat, project_dual_cone(&zab, n).0)
    };
    let (mut s, zk) = match (&phase1, warm) {
        (Some(sol), _) => start_from(&sol.s, &sol.z),
        (None, Some(w)) if w.s.nrows() == q && w.lambda2.nrows() == problem.t.p() => {
            start_from(&scale_a_block(&w.p, n, w.scale_a), &(&w.lambda2 * w.kappa))
        }
        _ => (DMatrix::zeros(q, q), DMatrix::zeros(2 * n, 2 * n)),
    };
    let gamma = {
        let g0 = prog.gradient(&s) - prog.lift_adjoint(&zk)?;
        let e = sym_eigen(&g0, EigenRange::All)?;
        crate::linalg::congruence_diag(&e.vectors, &e.values.iter().map(|&l| l.max(0.0)).collect::<Vec<_>>())?
    };
    let mut mult = Multipliers { gamma, zk, sigma: ss.sigma, tau: ss.tau, centre: s.clone() };
    let mut iterations = phase1.as_ref().map_or(0, |p| p.iterations);
    let mut status = Status::IterationLimit;
    let (mut primal, mut dual, mut gap) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let mut last_print = start;
    let mut cg_total = 0u64;
    let mut cg_capped = 0u32;
    let mut newton_total = 0u32;
    let mut outer = 0u32;
    let mut inner_tol = 0.1f64;
    let mut last_kkt = f64::INFINITY;

    'outer: while iterations < settings.max_iterations {
        outer += 1;
        mult.centre = s.clone();
        let mut pt = Point::new(&prog, &mult, s.clone())?;
        // Inner: semismooth Newton on phi.
        let mut newton = 0;
        let mut inner_converged = false;
        let stat = loop {
            let (g, stat) = pt.gradient(&prog, &mult)?;
            let gnorm = g.norm();
            let scale = 1.0 + prog.gradient(&pt.s).norm();
            if gnorm / scale <= inner_tol {
                inner_converged = true;
                break stat;
            }
            if newton >= ss.newton_per_subproblem {
                break stat;
            }
            if out_of_time() {
                // `s` and the multipliers stay those of the last completed outer iteration,
                // which are consistent with each other (the certificate starts from them).
                status = Status::TimeLimit;
                break 'outer;
            }
            if iterations >= settings.max_iterations {
                break stat;
            }
            newton += 1;
            newton_total += 1;
            iterations += 1;
            let jac = PsdJacobian::new(&pt.values, &pt.vectors);
            let sigma = mult.sigma;
            let prox = mult.tau / sigma;
            let kmask = &pt.kmask;
            let hess = |h: &DMatrix<f64>| -> Result<DMatrix<f64>> {
                let mut out = jac.apply(h)? * sigma;
                out += prog.lift_masked_adjoint(h, kmask)? * sigma;
                add_scaled(&mut out, prox, h);
                prog.add_loss_hessian(h, &mut out);
                Ok(out)
            };
            let cg_tol = 0.1f64.min((gnorm / scale).sqrt()).max(1e-12);
            let (dir, k) = conjugate_gradients(hess, &(-&g), cg_tol, ss.cg_iterations, &out_of_time)?;
            cg_total += k as u64;
            if k >= ss.cg_iterations {
                cg_capped += 1;
            }
            // Armijo backtracking on phi.
            let slope = g.dot(&dir);
            if !(slope < 0.0) {
                break stat;
            }
            let mut step = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let trial = Point::new(&prog, &mult, &pt.s + &dir * step)?;
                if trial.phi <= pt.phi + 1e-4 * step * slope {
                    accepted = Some(trial);
                    break;
                }
                step *= 0.5;
            }
            match accepted {
                Some(t) => pt = t,
                None => break stat,
            }
            if !pt.phi.is_finite() {
                status = Status::NumericalError;
                s = pt.s.clone();
                break 'outer;
            }
        };
        s = pt.s.clone();
        // Multiplier update and measures.
        let gamma_new = pt.psd_part()?;
        let zk_new = pt.kproj.clone();
        let sigma = mult.sigma;
        let lifted = prog.lift(&s)?;
        let p_psd = (&gamma_new - &mult.gamma).norm() / sigma / (1.0 + s.norm());
        let p_k = (&zk_new - &mult.zk).norm() / sigma / (1.0 + lifted.norm());
        primal = p_psd.max(p_k);
        dual = stat.norm() / (1.0 + prog.gradient(&s).norm());
        let pobj = prog.objective(&s);
        let r = prog.residual(&s);
        let dobj = -r.dot(&prog.y) - 0.5 * r.norm_squared();
        gap = (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs());
        mult.gamma = gamma_new;
        mult.zk = zk_new;
        let elapsed = start.elapsed().as_secs_f64();
        if settings.verbose || (!settings.quiet && elapsed > 3.0 && start.elapsed().as_secs_f64() - last_print.duration_since(start).as_secs_f64() >= 5.0) {
            eprintln!(
                "dnn-ssnal: outer {outer:>3}  newton {newton_total:>4}  cg {cg_total:>6} (capped {cg_capped})  pobj {pobj:.8e}  dobj {dobj:.8e}  primal {primal:.2e}  dual {dual:.2e}  gap {gap:.2e}  sigma {sigma:.1e}  {elapsed:.1} s"
            );
            last_print = Instant::now();
        }
        if !(primal.is_finite() && dual.is_finite() && gap.is_finite()) {
            status = Status::NumericalError;
            break;
        }
        if primal.max(dual).max(gap) <= settings.tolerance {
            status = Status::Solved;
            break;
        }
        if out_of_time() {
            status = Status::TimeLimit;
            break;
        }
        // The proximal term makes both residuals fall as sigma grows (unlike the penalty of an
        // ADMM, which trades one for the other): raise sigma when an outer iteration did not cut
        // the larger residual by 30%.
        // A subproblem that Newton-CG could not solve (its systems grow worse conditioned with
        // sigma) lowers it instead.
        let kkt = primal.max(dual);
        if !inner_converged {
            mult.sigma = (sigma / 3.0).max(ss.sigma.min(1.0));
        } else if kkt > 0.7 * last_kkt {
            mult.sigma = (sigma * 3.0).min(ss.sigma_max);
        }
        last_kkt = kkt;
        inner_tol = (0.2 * primal.max(dual)).min(0.1).max(0.1 * settings.tolerance);
    }

    // The multipliers of the last completed outer iteration and the primal point projected on
    // the PSD cone.
    let zk_final = mult.zk.clone();
    let e = sym_eigen(&s, EigenRange::All)?;
    let s_psd = crate::linalg::congruence_diag(&e.vectors, &e.values.iter().map(|&l| l.max(0.0)).collect::<Vec<_>>())?;
    let s_orig = scale_a_block(&s_psd, n, d_a);
    let p = problem.t.p();
    let (dd, c) = (problem.t.d(), problem.t.c());
    let mut z = DMatrix::zeros(p, p);
    for j in 0..2 * n {
        for i in 0..2 * n {
            z[(i, j)] = -zk_final[(i, j)] / (d_a * d_a);
        }
    }
    let r = prog.residual(&s);
    let lv = 2 * n + dd;
    for k in 0..c {
        for i in 0..n {
            z[(i, lv + k)] = 0.5 * r[(i, k)];
            z[(lv + k, i)] = 0.5 * r[(i, k)];
        }
    }
    let primal_objective = problem.objective(&s_orig);
    let dual_objective = admm::dual_objective(problem, &z);
    let mut l = problem.t.forward(&s_orig)?;
    for i in 2 * n..2 * n + dd {
        l.row_mut(i).fill(0.0);
        l.column_mut(i).fill(0.0);
    }
    let gamma_orig = scale_a_block(&mult.gamma, n, 1.0 / d_a);
    if settings.verbose {
        eprintln!("dnn-ssnal: {} after {outer} outer, {newton_total} Newton steps, {cg_total} CG iterations, {:.2} s", status.name(), start.elapsed().as_secs_f64());
    }
    let state = DnnState { s: s_orig.clone(), p: s_orig.clone(), l, lambda1: -gamma_orig, lambda2: z.clone(), rho: 1.0, kappa: 1.0, scale_a: 1.0 };
    Ok(DnnSolution {
        method: DnnMethod::Ssnal,
        status,
        s: s_orig,
        z,
        primal_objective,
        dual_objective,
        primal_residual: primal,
        dual_residual: dual,
        gap,
        iterations,
        single_precision_iterations: 0,
        preconditioned_iterations: 0,
        single_capacitance_iterations: 0,
        inequalities_dropped: 0,
        solve_seconds: start.elapsed().as_secs_f64(),
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(k: usize, seed: u64) -> DMatrix<f64> {
        let mut st = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let m = DMatrix::from_fn(k, k, |_, _| {
            st = st.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((st >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        });
        (&m + m.transpose()) * 0.5
    }

    fn program(n: usize, d: usize, c: usize) -> Program {
        let x = sym(n.max(d), 3).view((0, 0), (n, d)).clone_owned();
        let y = sym(n.max(c), 4).view((0, 0), (n, c)).clone_owned();
        let problem = DnnProblem { t: Congruence::new(x, c), y, beta: 0.3 };
        Program::new(&problem, 1.7)
    }

    #[test]
    fn lift_and_its_adjoint_match_the_congruence_on_the_ab_block() {
        let prog = program(6, 3, 2);
        let (n, p) = (prog.n, prog.t.p());
        let s = sym(prog.q, 7);
        let full = prog.t.forward(&s).unwrap();
        let m = prog.lift(&s).unwrap();
        assert!((&m - full.view((0, 0), (2 * n, 2 * n))).norm() < 1e-12);
        let w = sym(2 * n, 9);
        let mut embedded = DMatrix::zeros(p, p);
        embedded.view_mut((0, 0), (2 * n, 2 * n)).copy_from(&w);
        let want = prog.t.adjoint(&embedded).unwrap();
        assert!((prog.lift_adjoint(&w).unwrap() - &want).norm() < 1e-12);
        // <M(S), W> = <S, M*(W)>
        assert!((m.dot(&w) - s.dot(&want)).abs() < 1e-12);
    }

    #[test]
    fn fused_masked_operator_matches_lift_mask_adjoint() {
        let prog = program(7, 3, 2);
        let n = prog.n;
        let h = sym(prog.q, 11);
        // A symmetric 0/1 mask with ones on the free diagonal of AB, like the dual cone's.
        let r = sym(2 * n, 13);
        let mask = DMatrix::from_fn(2 * n, 2 * n, |i, j| if r[(i, j)] > 0.0 || free_entry(i, j, n) { 1.0 } else { 0.0 });
        assert!(mask.sum() > 0.0 && mask.sum() < (4 * n * n) as f64);
        let mut mh = prog.lift(&h).unwrap();
        mh.component_mul_assign(&mask);
        let want = prog.lift_adjoint(&mh).unwrap();
        let got = prog.lift_masked_adjoint(&h, &mask).unwrap();
        assert!((&got - &want).norm() <= 1e-12 * (1.0 + want.norm()), "{}", (&got - &want).norm());
        // Self-adjoint: <K, M*(D o M(H))> = <D o M(K), M(H)>.
        let k = sym(prog.q, 17);
        let mut mk = prog.lift(&k).unwrap();
        mk.component_mul_assign(&mask);
        assert!((k.dot(&got) - mk.dot(&prog.lift(&h).unwrap())).abs() < 1e-10);
    }

    #[test]
    fn psd_jacobian_matches_finite_differences_on_both_sides_of_the_rank_split() {
        for (q, shift) in [(7usize, 0.3f64), (7, -0.3)] {
            let mut a = sym(q, 11);
            for i in 0..q {
                a[(i, i)] += shift;
            }
            let h = sym(q, 12);
            let proj = |m: &DMatrix<f64>| {
                let e = sym_eigen(m, EigenRange::All).unwrap();
                crate::linalg::congruence_diag(&e.vectors, &e.values.iter().map(|&l| l.max(0.0)).collect::<Vec<_>>()).unwrap()
            };
            let e = sym_eigen(&a, EigenRange::All).unwrap();
            let jac = PsdJacobian::new(&e.values, &e.vectors);
            let eps = 1e-6;
            let fd = (proj(&(&a + &h * eps)) - proj(&(&a - &h * eps))) / (2.0 * eps);
            let got = jac.apply(&h).unwrap();
            assert!((&got - &fd).norm() < 1e-6 * (1.0 + fd.norm()), "q = {q}, shift {shift}: {}", (&got - &fd).norm());
        }
    }

    #[test]
    fn gradient_and_loss_hessian_match_finite_differences() {
        let prog = program(5, 2, 3);
        let s = sym(prog.q, 21);
        let h = sym(prog.q, 22);
        let eps = 1e-6;
        let fd = (prog.objective(&(&s + &h * eps)) - prog.objective(&(&s - &h * eps))) / (2.0 * eps);
        assert!((prog.gradient(&s).dot(&h) - fd).abs() < 1e-6);
        let mut hh = DMatrix::zeros(prog.q, prog.q);
        prog.add_loss_hessian(&h, &mut hh);
        let fd2 = (prog.gradient(&(&s + &h * eps)) - prog.gradient(&(&s - &h * eps))) / (2.0 * eps);
        assert!((hh - fd2).norm() < 1e-6);
    }
}
