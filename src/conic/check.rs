//! Solver-independent verification of a returned solution.
//!
//! From the vectors `(x, s, z)` alone this recomputes
//!
//! * the primal residual `||A x + s - b||_inf`,
//! * the dual residual `||P x + q + A' z||_inf`,
//! * the cone violations: the distance of `s` from `K` and of `z` from the dual cone `K*`
//!   (zero cone: `s = 0`, `z` free; nonnegative and second-order and PSD cones are self-dual),
//! * the primal objective `1/2 x'Px + q'x`, the dual objective `-1/2 x'Px - b'z`, and their gap.
//!
//! A backend's own claims are never trusted by the tests: they are checked here.

use super::{csc, dot, smat, Cone, ConicProblem, Triangle};
use serde::Serialize;

/// The recomputed optimality measures of a candidate primal-dual point.
#[derive(Clone, Debug, Serialize)]
pub struct KktCheck {
    /// `||A x + s - b||_inf`.
    pub primal_residual: f64,
    /// `||P x + q + A' z||_inf`.
    pub dual_residual: f64,
    /// Largest violation of `s in K` (0 when inside).
    pub slack_cone_violation: f64,
    /// Largest violation of `z in K*` (0 when inside).
    pub dual_cone_violation: f64,
    /// `1/2 x'Px + q'x`.
    pub primal_objective: f64,
    /// `-1/2 x'Px - b'z`.
    pub dual_objective: f64,
    /// `|primal - dual| / max(1, |primal|, |dual|)`.
    pub relative_gap: f64,
}

impl KktCheck {
    /// True when every measure is below `tol` (residuals scaled by `1 + ||b||_inf`, `1 + ||q||_inf`).
    pub fn passes(&self, tol: f64) -> bool {
        self.primal_residual <= tol
            && self.dual_residual <= tol
            && self.slack_cone_violation <= tol
            && self.dual_cone_violation <= tol
            && self.relative_gap <= tol
    }
}

/// Recomputes every optimality measure of `(x, s, z)` for `problem`.
pub fn check_solution(problem: &ConicProblem, x: &[f64], s: &[f64], z: &[f64]) -> KktCheck {
    let ax = csc::mul(&problem.a, x);
    let primal_residual = ax.iter().zip(s).zip(&problem.b).map(|((a, s), b)| (a + s - b).abs()).fold(0.0, f64::max);
    let px = csc::sym_upper_mul(&problem.p, x);
    let atz = csc::mul_transpose(&problem.a, z);
    let dual_residual = px.iter().zip(&problem.q).zip(&atz).map(|((p, q), a)| (p + q + a).abs()).fold(0.0, f64::max);
    let mut slack_cone_violation: f64 = 0.0;
    let mut dual_cone_violation: f64 = 0.0;
    for (cone, (lo, hi)) in problem.cones.iter().zip(problem.cone_ranges()) {
        slack_cone_violation = slack_cone_violation.max(cone_violation(cone, &s[lo..hi], false));
        dual_cone_violation = dual_cone_violation.max(cone_violation(cone, &z[lo..hi], true));
    }
    let xpx = dot(x, &px);
    let primal_objective = 0.5 * xpx + dot(&problem.q, x);
    let dual_objective = -0.5 * xpx - dot(&problem.b, z);
    let relative_gap = (primal_objective - dual_objective).abs() / 1f64.max(primal_objective.abs()).max(dual_objective.abs());
    KktCheck { primal_residual, dual_residual, slack_cone_violation, dual_cone_violation, primal_objective, dual_objective, relative_gap }
}

/// Distance-like violation of `v` being in `cone` (or its dual cone when `dual`).
pub fn cone_violation(cone: &Cone, v: &[f64], dual: bool) -> f64 {
    match cone {
        Cone::Zero(_) => {
            if dual {
                0.0
            } else {
                v.iter().fold(0.0, |m, x| m.max(x.abs()))
            }
        }
        Cone::Nonnegative(_) => v.iter().fold(0.0, |m, &x| m.max(-x)),
        Cone::SecondOrder(_) => {
            let norm = v[1..].iter().map(|x| x * x).sum::<f64>().sqrt();
            (norm - v[0]).max(0.0)
        }
        Cone::Psd(_) => match smat(v, Triangle::Upper) {
            Some(m) => (-min_eigenvalue(m)).max(0.0),
            None => f64::INFINITY,
        },
    }
}

/// Smallest eigenvalue of a symmetric matrix (0 for an empty one).
pub fn min_eigenvalue(m: nalgebra::DMatrix<f64>) -> f64 {
    if m.nrows() == 0 {
        return 0.0;
    }
    m.symmetric_eigenvalues().iter().cloned().fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::CscBuilder;

    #[test]
    fn exact_lp_solution_passes() {
        // min x s.t. x >= 1  <=>  -x + s = -1, s >= 0; optimum x = 1, z = 1.
        let mut a = CscBuilder::new(1, 1);
        a.push(0, 0, -1.0);
        let p = ConicProblem { p: csc::zeros(1, 1), q: vec![1.0], a: a.build(), b: vec![-1.0], cones: vec![Cone::Nonnegative(1)] };
        let c = check_solution(&p, &[1.0], &[0.0], &[1.0]);
        assert!(c.passes(1e-12), "{c:?}");
        let bad = check_solution(&p, &[0.5], &[0.0], &[1.0]);
        assert!(bad.primal_residual > 0.4);
        let outside = cone_violation(&Cone::SecondOrder(3), &[1.0, 1.0, 1.0], false);
        assert!((outside - (2f64.sqrt() - 1.0)).abs() < 1e-12);
    }
}
