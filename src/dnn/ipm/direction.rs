//! One search direction: the KKT system solved with the factored normal matrix, refined
//! (stationary steps on a double-precision factor, GMRES on a single-precision one).

use super::constraints::{dot, hess_f, norm, smat, svec, Constraints};
use super::equalities::Equalities;
use super::normal::{Factor, Normal, Precision};
use super::preconditioner::Augmented;
use super::scaling::NtScaling;
use crate::dnn::DnnProblem;
use crate::error::Result;
use crate::linalg::{sandwich, symmetrize, Op};
use nalgebra::DMatrix;

/// Most refinement steps per direction (each costs one pair of triangular solves, `O(N^2)`).
pub(super) const REFINEMENT_STEPS: usize = 4;

/// Relative KKT residual at which a trial direction (the corrector and the centrality
/// correctors before one is taken) stops being refined.
pub(super) const TRIAL_RESIDUAL: f64 = 1e-10;

/// Relative residual at which GMRES stops (a double-precision factor with refinement reaches
/// 1e-16 to 1e-11 over a solve; the directions need no more than this).
pub(super) const GMRES_TOLERANCE: f64 = 1e-13;

/// With the low-rank preconditioner, a direction taken is solved to this multiple of the
/// iterate's worst measure (primal, dual, gap), at most [`LOOSEST_PRECONDITIONED_RESIDUAL`],
/// while that measure is above [`LOOSE_SOLVES_ABOVE`] ([`working_residual`]).
///
/// Why a looser solve is enough there: the direction's `dZ` comes from the dual equation and its
/// slack step from the primal one, so the dual residual and the sign constraints' residual still
/// fall exactly with the step; the solve's error enters only the linearised complementarity (and
/// the `n` equalities), which an iterate at measure `w` needs to no better than a small fraction
/// of `w` (an inexact interior-point method). Measured with the probe (two cores, paired with the
/// build that solved every direction to 1e-13, medians): the iris training half (tolerance 4e-7)
/// 1.73 s against 2.21 s, full iris (1e-6) 42.5 s against 46.2 s (both `solved` in 30
/// iterations), the ionosphere training half (1e-6) 72.9 s and 30 iterations against 83.1 s and
/// 32; on the banknote working set (600 s) 10 rounds instead of 8 or 9. Loose solves to the end (no [`LOOSE_SOLVES_ABOVE`]) gave 1.66-1.70 s on the iris
/// training half, but left full iris `inaccurate` at a gap measure of 1.5e-6 (31 iterations)
/// where every direction to 1e-13 ends `solved` at 8.7e-7 (30): its factored end game is
/// sensitive to how well centred the iterate it starts from is. A multiple of 1e-2 stalled the
/// iris training half at 3e-4 (residuals of 5e-7 at measures of 5e-4).
pub(super) const PRECONDITIONED_RESIDUAL_PER_MEASURE: f64 = 1e-4;

/// The loosest relative residual of a direction taken with the low-rank preconditioner
/// ([`PRECONDITIONED_RESIDUAL_PER_MEASURE`]).
pub(super) const LOOSEST_PRECONDITIONED_RESIDUAL: f64 = 1e-6;

/// Below this worst measure every direction is solved to [`GMRES_TOLERANCE`]
/// ([`PRECONDITIONED_RESIDUAL_PER_MEASURE`]).
pub(super) const LOOSE_SOLVES_ABOVE: f64 = 1e-3;

/// The relative residual to which a direction taken is solved at an iterate whose worst measure
/// is `worst`: with the low-rank preconditioner and `worst` above [`LOOSE_SOLVES_ABOVE`],
/// `PRECONDITIONED_RESIDUAL_PER_MEASURE * worst`, at most [`LOOSEST_PRECONDITIONED_RESIDUAL`];
/// otherwise (and with a factor of `M`, single or double precision) [`GMRES_TOLERANCE`].
pub(super) fn working_residual(precision: Precision, worst: f64) -> f64 {
    match precision {
        Precision::Preconditioned if worst > LOOSE_SOLVES_ABOVE && worst.is_finite() => (PRECONDITIONED_RESIDUAL_PER_MEASURE * worst).min(LOOSEST_PRECONDITIONED_RESIDUAL),
        _ => GMRES_TOLERANCE,
    }
}

/// Most GMRES steps per direction when the factor is in single precision.
pub(super) const GMRES_MAX_STEPS: usize = 20;

/// Most GMRES steps per direction with the low-rank preconditioner (no factor of `M`).
pub(super) const GMRES_MAX_STEPS_PRECONDITIONED: usize = 150;

/// Restarts of GMRES with the low-rank preconditioner.
pub(super) const GMRES_RESTARTS: usize = 4;

/// A search direction.
pub(super) struct Direction {
    pub(super) ds_mat: DMatrix<f64>,
    pub(super) dy: Vec<f64>,
    pub(super) dslack: Vec<f64>,
    pub(super) dz: Vec<f64>,
    pub(super) dz_mat: DMatrix<f64>,
    /// Relative residual `||KKT r|| / ||rhs||` of the refined linear solve.
    pub(super) residual: f64,
    /// Refinement steps taken (GMRES steps with a single-precision factor).
    pub(super) refinements: usize,
}

/// How accurately a direction is solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Accuracy {
    /// The predictor and the direction taken: stationary refinement until the residual stops
    /// halving (at most [`REFINEMENT_STEPS`]), or GMRES to [`working_residual`] ([`GMRES_TOLERANCE`] on a single-precision factor).
    Working,
    /// The corrector and the centrality correctors before one is taken: refined only to a
    /// relative residual of [`TRIAL_RESIDUAL`] (on a double-precision factor usually no step:
    /// each is a pair of triangular solves with the factor, which read all of it).
    Trial,
}

/// What a direction solve needs from the current iterate.
pub(super) struct Context<'a> {
    pub(super) problem: &'a DnnProblem,
    pub(super) cons: &'a Constraints<'a>,
    pub(super) eq: &'a Equalities,
    pub(super) nt: &'a NtScaling,
    pub(super) dvec: &'a [f64],
    pub(super) normal: &'a Normal,
    pub(super) r_d: &'a DMatrix<f64>,
    pub(super) p_g: &'a [f64],
    pub(super) hv: &'a [f64],
    pub(super) slack: &'a [f64],
    pub(super) z: &'a [f64],
    /// The inequalities kept in augmented form ([`Augmented`]; only with the low-rank
    /// preconditioner). The vector `dy` of the KKT system then carries their unknowns `y_k` after
    /// the `n` equality multipliers, and `e` their right-hand sides after the equalities'.
    pub(super) aug: Option<&'a Augmented>,
    /// Relative residual at which GMRES stops for a direction taken ([`working_residual`]); a
    /// trial stops at the larger of this and [`TRIAL_RESIDUAL`].
    pub(super) working: f64,
}

impl Context<'_> {
    /// Solves `M dS - h' dy = b`, `h dS = e` with the factors (plus `reg` on the diagonal of
    /// `M`), through the elimination of the equalities ([`Equalities`]), or with the low-rank
    /// preconditioner when there is no factor.
    pub(super) fn solve_kkt(&self, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        if let Factor::LowRank(pc) = &self.normal.factor {
            let n = self.problem.t.n();
            let aug = self.aug.map(|a| (a, &e[n..]));
            let (x, mut dy, y) = pc.solve_augmented(self.cons, b, &e[..n], aug)?;
            dy.extend(y);
            return Ok((x, dy));
        }
        self.eq.solve(&self.normal.factor, &self.normal.pivot_columns, b, e)
    }

    /// `K (x, dy) = (M x - h' dy, h x)`, with `M` applied through the congruence (the
    /// unregularised matrix): one congruence `T dS T'` gives both `g dS` and `h dS`, and one
    /// adjoint gives `g' D g dS - h' dy`.
    pub(super) fn apply_kkt(&self, x: &[f64], dy: &[f64]) -> Result<(DMatrix<f64>, Vec<f64>)> {
        let n = self.problem.t.n();
        let ds = smat(x, self.problem.t.q());
        let lam = self.problem.t.forward(&ds)?;
        let g = self.cons.g_of(&lam);
        let mut gd: Vec<f64> = g.iter().zip(self.dvec).map(|(a, b)| a * b).collect();
        if let Some(a) = self.aug {
            for (j, &k) in a.index.iter().enumerate() {
                gd[k] = dy[n + j];
            }
        }
        let minus_dy: Vec<f64> = dy[..n].iter().map(|v| -v).collect();
        let mut top = hess_f(self.problem, &ds) + sandwich(&self.nt.w_inv, Op::N, &ds, Op::N)?;
        top += self.cons.adjoint(&gd, &minus_dy)?;
        let mut second = self.cons.h_of(&lam);
        if let Some(a) = self.aug {
            second.extend(a.index.iter().enumerate().map(|(j, &k)| g[k] - dy[n + j] / self.dvec[k]));
        }
        Ok((top, second))
    }

    /// The residual `(b - (M x - h' dy), e - h x)` of the KKT system.
    pub(super) fn kkt_residual(&self, bm: &DMatrix<f64>, e: &[f64], x: &[f64], dy: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let (top, hx) = self.apply_kkt(x, dy)?;
        Ok((svec(&(bm - top)), e.iter().zip(&hx).map(|(a, b)| a - b).collect()))
    }

    /// Iterative refinement with `M` applied through the congruence: the residual of the
    /// unregularised system (so refinement also removes the effect of `reg`), until it stops
    /// shrinking by half. Returns the solution, its relative residual and the steps taken.
    pub(super) fn refine_stationary(&self, bm: &DMatrix<f64>, b: &[f64], e: &[f64], start: Option<(Vec<f64>, Vec<f64>)>, good_enough: f64) -> Result<(Vec<f64>, Vec<f64>, f64, usize)> {
        let (mut x, mut dy) = match start {
            Some(s) => s,
            None => self.solve_kkt(b, e)?,
        };
        let bnorm = norm(b) + norm(e);
        let mut last = f64::INFINITY;
        let mut residual = 0.0;
        let mut refinements = 0;
        for step in 0..=REFINEMENT_STEPS {
            let (r1, r2) = self.kkt_residual(bm, e, &x, &dy)?;
            let rnorm = norm(&r1) + norm(&r2);
            residual = if bnorm > 0.0 { rnorm / bnorm } else { rnorm };
            if step == REFINEMENT_STEPS || !(rnorm < 0.5 * last) || rnorm <= good_enough.max(1e-15) * bnorm {
                break;
            }
            last = rnorm;
            refinements += 1;
            let (cx, cy) = self.solve_kkt(&r1, &r2)?;
            for (a, b) in x.iter_mut().zip(&cx) {
                *a += b;
            }
            for (a, b) in dy.iter_mut().zip(&cy) {
                *a += b;
            }
        }
        Ok((x, dy, residual, refinements))
    }

    /// GMRES on the KKT system, right-preconditioned by the (single-precision) factored solve.
    /// The factor's error is concentrated on the ill-conditioned directions, which a Krylov
    /// method removes in fewer steps than stationary refinement (full iris: single precision
    /// lasted 14 iterations with GMRES, 11 with refinement, before the step counts made it
    /// cost more than it saved).
    /// Starts from `start` (a trial direction being finished) or from the factored solve, and
    /// stops at the relative residual `tolerance` ([`working_residual`] for a direction taken,
    /// the larger of that and [`TRIAL_RESIDUAL`] for a trial), after [`GMRES_MAX_STEPS`] steps, or when a step cuts
    /// the residual by less than 10%.
    pub(super) fn refine_gmres(&self, bm: &DMatrix<f64>, b: &[f64], e: &[f64], start: Option<(Vec<f64>, Vec<f64>)>, tolerance: f64) -> Result<(Vec<f64>, Vec<f64>, f64, usize)> {
        let (mut x, mut dy, mut residual, mut steps) = self.gmres_cycle(bm, b, e, start, tolerance)?;
        if self.normal.factor.precision() != Precision::Preconditioned {
            return Ok((x, dy, residual, steps));
        }
        // Without a factor of M the recurrence's residual drifts from the true one on the
        // ill-conditioned systems of the last iterations: restart from the point reached while
        // a cycle still halves the true residual.
        for _ in 0..GMRES_RESTARTS {
            if residual <= tolerance {
                break;
            }
            let (x2, dy2, r2, k2) = self.gmres_cycle(bm, b, e, Some((x.clone(), dy.clone())), tolerance)?;
            steps += k2;
            if !(r2 < 0.5 * residual) {
                if r2 < residual {
                    (x, dy, residual) = (x2, dy2, r2);
                }
                break;
            }
            (x, dy, residual) = (x2, dy2, r2);
        }
        Ok((x, dy, residual, steps))
    }

    /// One cycle of GMRES ([`Self::refine_gmres`]).
    fn gmres_cycle(&self, bm: &DMatrix<f64>, b: &[f64], e: &[f64], start: Option<(Vec<f64>, Vec<f64>)>, tolerance: f64) -> Result<(Vec<f64>, Vec<f64>, f64, usize)> {
        let nsv = b.len();
        let stack = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().chain(y).copied().collect() };
        let (x0, y0) = match start {
            Some(s) => s,
            None => self.solve_kkt(b, e)?,
        };
        let bnorm = norm(b) + norm(e);
        let relative = |r1: &[f64], r2: &[f64]| {
            let r = norm(r1) + norm(r2);
            if bnorm > 0.0 { r / bnorm } else { r }
        };
        let (r1, r2) = self.kkt_residual(bm, e, &x0, &y0)?;
        let r0 = stack(&r1, &r2);
        let beta = norm(&r0);
        let target = tolerance * norm(&stack(b, e));
        if !(beta > target) {
            return Ok((x0, y0, relative(&r1, &r2), 0));
        }
        let (max, stagnation) = if self.normal.factor.precision() == Precision::Preconditioned { (GMRES_MAX_STEPS_PRECONDITIONED, 0.999) } else { (GMRES_MAX_STEPS, 0.9) };
        let mut basis: Vec<Vec<f64>> = vec![r0.iter().map(|v| v / beta).collect()];
        let mut preconditioned: Vec<Vec<f64>> = Vec::with_capacity(max);
        // Hessenberg columns, reduced to upper triangular by Givens rotations as they come.
        let mut hess: Vec<Vec<f64>> = Vec::with_capacity(max);
        let (mut cs, mut sn): (Vec<f64>, Vec<f64>) = (Vec::with_capacity(max), Vec::with_capacity(max));
        let mut g = vec![beta];
        let mut k = 0;
        while k < max {
            let (zx, zy) = self.solve_kkt(&basis[k][..nsv], &basis[k][nsv..])?;
            let (top, hz) = self.apply_kkt(&zx, &zy)?;
            let mut w = stack(&svec(&top), &hz);
            preconditioned.push(stack(&zx, &zy));
            let mut col = vec![0.0; k + 2];
            for (i, v) in basis.iter().enumerate() {
                let hij = dot(&w, v);
                col[i] = hij;
                for (a, b) in w.iter_mut().zip(v) {
                    *a -= hij * b;
                }
            }
            let hn = norm(&w);
            col[k + 1] = hn;
            for i in 0..k {
                let t = cs[i] * col[i] + sn[i] * col[i + 1];
                col[i + 1] = -sn[i] * col[i] + cs[i] * col[i + 1];
                col[i] = t;
            }
            let r = col[k].hypot(col[k + 1]);
            if !(r > 0.0) {
                break;
            }
            cs.push(col[k] / r);
            sn.push(col[k + 1] / r);
            col[k] = r;
            col[k + 1] = 0.0;
            hess.push(col);
            let gk = g[k];
            g[k] = cs[k] * gk;
            g.push(-sn[k] * gk);
            k += 1;
            let (res, prev) = (g[k].abs(), g[k - 1].hypot(g[k]));
            if res <= target || !(hn > 0.0) || res > stagnation * prev {
                break;
            }
            basis.push(w.iter().map(|v| v / hn).collect());
        }
        // Back substitution: upper triangular k x k.
        let mut coef = vec![0.0; k];
        for i in (0..k).rev() {
            let mut v = g[i];
            for j in i + 1..k {
                v -= hess[j][i] * coef[j];
            }
            coef[i] = v / hess[i][i];
        }
        let mut x = x0;
        let mut dy = y0;
        for (c, z) in coef.iter().zip(&preconditioned) {
            for (a, b) in x.iter_mut().zip(&z[..nsv]) {
                *a += c * b;
            }
            for (a, b) in dy.iter_mut().zip(&z[nsv..]) {
                *a += c * b;
            }
        }
        let (r1, r2) = self.kkt_residual(bm, e, &x, &dy)?;
        Ok((x, dy, relative(&r1, &r2), k))
    }

    /// The normal-equation system of a direction: `M dS - h' dy = b` (`b` also as a matrix)
    /// and `h dS = e`.
    pub(super) fn system(&self, rc: &DMatrix<f64>, rcs: &[f64]) -> Result<(DMatrix<f64>, Vec<f64>, Vec<f64>)> {
        let n = self.problem.t.n();
        let winv = &self.nt.w_inv;
        // b = W^-1 R_c W^-1 - r_d + g'((r_c - z o p_g) / s)
        let mut w: Vec<f64> = (0..self.slack.len()).map(|k| (rcs[k] - self.z[k] * self.p_g[k]) / self.slack[k]).collect();
        let mut e: Vec<f64> = self.hv.iter().map(|v| -v).collect();
        // An inequality in augmented form moves its term from b to its own row:
        // a_k' dS - y_k / w_k = ((r_c)_k - z_k (p_g)_k) / z_k.
        if let Some(a) = self.aug {
            for &k in &a.index {
                e.push(w[k] / self.dvec[k]);
                w[k] = 0.0;
            }
        }
        let bm = sandwich(winv, Op::N, rc, Op::N)? - self.r_d + self.cons.adjoint(&w, &vec![0.0; n])?;
        let b = svec(&bm);
        Ok((bm, b, e))
    }

    /// The direction for the complementarity right-hand sides `rc` (PSD pair) and `rcs` (sign
    /// constraints), solved to `accuracy` by stationary refinement on a double-precision factor
    /// or GMRES on a single-precision one, starting from the factored solve or from `from`, a
    /// trial direction for the same right-hand sides being finished (the step count returned
    /// then includes the trial's own).
    pub(super) fn direction(&self, rc: &DMatrix<f64>, rcs: &[f64], accuracy: Accuracy, from: Option<Direction>) -> Result<Direction> {
        let (bm, b, e) = self.system(rc, rcs)?;
        let earlier = from.as_ref().map_or(0, |d| d.refinements);
        let start = from.map(|d| {
            let mut dy = d.dy;
            if let Some(a) = self.aug {
                dy.extend(a.index.iter().map(|&k| -d.dz[k]));
            }
            (svec(&d.ds_mat), dy)
        });
        let (x, dy, residual, refinements) = match (self.normal.factor.precision(), accuracy) {
            (Precision::Double, Accuracy::Working) => self.refine_stationary(&bm, &b, &e, start, 0.0)?,
            (Precision::Double, Accuracy::Trial) => self.refine_stationary(&bm, &b, &e, start, TRIAL_RESIDUAL)?,
            (Precision::Single | Precision::Preconditioned, Accuracy::Working) => self.refine_gmres(&bm, &b, &e, start, self.working)?,
            (Precision::Single | Precision::Preconditioned, Accuracy::Trial) => self.refine_gmres(&bm, &b, &e, start, TRIAL_RESIDUAL.max(self.working))?,
        };
        self.assemble(x, dy, rcs, residual, earlier + refinements)
    }

    /// The whole direction from the solution `(dS, dy)` of the normal equations.
    pub(super) fn assemble(&self, x: Vec<f64>, mut dy: Vec<f64>, rcs: &[f64], residual: f64, refinements: usize) -> Result<Direction> {
        let q = self.problem.t.q();
        let y = dy.split_off(self.problem.t.n());
        let ds_mat = smat(&x, q);
        let lam = self.problem.t.forward(&ds_mat)?;
        let dslack: Vec<f64> = self.cons.g_of(&lam).iter().zip(self.p_g).map(|(a, b)| a + b).collect();
        let mut dz: Vec<f64> = (0..self.slack.len()).map(|k| (rcs[k] - self.z[k] * dslack[k]) / self.slack[k]).collect();
        // In augmented form the multiplier's step is an unknown of the system (`y_k = -dz_k`),
        // not `w_k` times a small difference.
        if let Some(a) = self.aug {
            for (j, &k) in a.index.iter().enumerate() {
                dz[k] = -y[j];
            }
        }
        // dZ from the dual equation (not from the complementarity), so that the dual residual
        // shrinks exactly by the step: dZ = r_d + Hf dS - g'dz - h'dy.
        let mut dz_mat = self.r_d + hess_f(self.problem, &ds_mat) - self.cons.adjoint(&dz, &dy)?;
        symmetrize(&mut dz_mat);
        Ok(Direction { ds_mat, dy, dslack, dz, dz_mat, residual, refinements })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_residual_is_loose_only_far_from_the_end_and_without_a_factor() {
        assert_eq!(working_residual(Precision::Preconditioned, 5.0), LOOSEST_PRECONDITIONED_RESIDUAL);
        assert!((working_residual(Precision::Preconditioned, 2e-3) - 2e-7).abs() < 1e-20);
        assert_eq!(working_residual(Precision::Preconditioned, 1e-3), GMRES_TOLERANCE);
        assert_eq!(working_residual(Precision::Preconditioned, f64::NAN), GMRES_TOLERANCE);
        assert_eq!(working_residual(Precision::Preconditioned, f64::INFINITY), GMRES_TOLERANCE);
        for p in [Precision::Single, Precision::Double] {
            assert_eq!(working_residual(p, 5.0), GMRES_TOLERANCE);
        }
    }
}
