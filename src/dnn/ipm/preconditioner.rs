//! A preconditioner for the KKT system of a direction that never forms the normal matrix: the
//! Kronecker part inverted exactly, plus the terms of `Hf + g' D g` that matter most, added back
//! by the Sherman-Morrison-Woodbury identity.
//!
//! Every term of `Hf + g' D g` and every equality row is `a_k = svec(sym(t_r t_s'))` for a pair
//! `(r, s)` of rows of `T`, with a weight `w_k` (`z_k / s_k` for an inequality, 1 for an `av`
//! coordinate of the loss). With `K = W^(-1) (x)s W^(-1)`, whose inverse is `H -> W H W`, and
//! `P = T W T'`, every inner product the identity needs is an entry product:
//!
//! ```text
//!     a_k' K^(-1) a_l = 1/2 (P_{r_k r_l} P_{s_k s_l} + P_{r_k s_l} P_{s_k r_l}).
//! ```
//!
//! The *leverage* of a term, `w_k a_k' K^(-1) a_k`, is its trace in the metric of `K`; the terms
//! left out shift the preconditioned spectrum up by at most the sum of their leverages. So the
//! preconditioner keeps the `r` terms of largest leverage (the active inequalities, whose weights
//! grow like `1 / mu`, come first) in
//!
//! ```text
//!     P = K + sum_{k kept} w_k a_k a_k'
//! ```
//!
//! and solves the KKT system `P x - h' dy = b`, `h x = e` through its capacitance matrix. With
//! `V` the kept rows followed by the equality rows `h` and `u = D V_kept x`,
//! `x = K^(-1) (b - V' [u; -dy])`, where `[u; -dy]` solves
//!
//! ```text
//!     (V K^(-1) V' + diag(1 / w_kept, 0)) [u; -dy] = V K^(-1) b - [0; e]
//! ```
//!
//! (order `r + n`, factored once per iteration). Applying the preconditioner costs two products
//! of order `q`, one congruence and its adjoint, and a pair of triangular solves of order `r + n`.
//! GMRES on the exact KKT system (`M` applied through the congruence) removes the terms left out.

use super::constraints::{smat, svec, Constraints};
use crate::error::{Error, Result};
use crate::linalg::{cholesky_in_place, cholesky_solve, sandwich, symmetrize, Op};
use nalgebra::DMatrix;

/// The preconditioner of one iteration.
pub(super) struct LowRankPreconditioner {
    /// `W` (the Nesterov-Todd scaling matrix, `W Z W = S`).
    w: DMatrix<f64>,
    /// The pairs `(r, s)` of rows of `T` kept, followed by the `n` equality pairs.
    pairs: Vec<(usize, usize)>,
    /// Cholesky factor of the capacitance matrix (lower triangle).
    factor: DMatrix<f64>,
    /// Number of equality rows (the last pairs).
    equalities: usize,
}

impl LowRankPreconditioner {
    /// Builds the preconditioner from `W`, keeping at most `max_terms` terms of `Hf + g' D g`
    /// (those of largest leverage). `Ok(None)` if the capacitance matrix is not positive definite
    /// even with a small regularisation.
    pub(super) fn new(cons: &Constraints, w: DMatrix<f64>, dvec: &[f64], max_terms: usize) -> Result<Option<Self>> {
        let t = &cons.problem.t;
        let (n, d, c) = (t.n(), t.d(), t.c());
        let pw = t.forward(&w)?;
        let lev = |r: usize, s: usize, wt: f64| wt * 0.5 * (pw[(r, r)] * pw[(s, s)] + pw[(r, s)] * pw[(r, s)]);
        // Candidates: the inequalities, then the av coordinates of the loss (rows A_i, V_k).
        let mut cand: Vec<(f64, usize, usize, f64)> = Vec::with_capacity(cons.m() + n * c);
        for (e, &wt) in cons.ineq.iter().zip(dvec) {
            cand.push((lev(e.r, e.s, wt), e.r, e.s, wt));
        }
        let lv = 2 * n + d;
        for k in 0..c {
            for i in 0..n {
                cand.push((lev(i, lv + k, 1.0), i, lv + k, 1.0));
            }
        }
        let keep = max_terms.min(cand.len());
        if keep < cand.len() {
            cand.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
            cand.truncate(keep);
        }
        let mut pairs: Vec<(usize, usize)> = cand.iter().map(|&(_, r, s, _)| (r, s)).collect();
        pairs.extend((0..n).map(|i| (i, n + i)));
        let size = pairs.len();
        size.checked_mul(size).and_then(|v| v.checked_mul(8)).ok_or_else(|| Error::TooLarge(format!("a capacitance matrix of order {size}")))?;
        let base = DMatrix::from_fn(size, size, |k, l| {
            let (rk, sk) = pairs[k];
            let (rl, sl) = pairs[l];
            0.5 * (pw[(rk, rl)] * pw[(sk, sl)] + pw[(rk, sl)] * pw[(sk, rl)])
        });
        for attempt in 0..3 {
            let mut cap = base.clone();
            for (k, &(_, _, _, wt)) in cand.iter().enumerate() {
                cap[(k, k)] += 1.0 / wt;
            }
            if attempt > 0 {
                let reg = 1e-14 * 100f64.powi(attempt - 1);
                for k in 0..size {
                    cap[(k, k)] *= 1.0 + reg;
                }
            }
            if cholesky_in_place(&mut cap)? {
                return Ok(Some(Self { w, pairs, factor: cap, equalities: n }));
            }
        }
        Ok(None)
    }

    /// Solves `P x - h' dy = b`, `h x = e` (module docs).
    pub(super) fn solve(&self, cons: &Constraints, b: &[f64], e: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let t = &cons.problem.t;
        let q = t.q();
        let bm = smat(b, q);
        let kb = sandwich(&self.w, Op::N, &bm, Op::N)?;
        let lam = t.forward(&kb)?;
        let size = self.pairs.len();
        let kept = size - self.equalities;
        let mut rhs = DMatrix::from_fn(size, 1, |k, _| lam[(self.pairs[k].0, self.pairs[k].1)]);
        for (i, v) in e.iter().enumerate() {
            rhs[(kept + i, 0)] -= v;
        }
        cholesky_solve(&self.factor, &mut rhs)?;
        // V' [u; -dy]: the symmetric lifted matrix with half of each coefficient at (r, s) and (s, r).
        let mut lifted = DMatrix::zeros(t.p(), t.p());
        for (k, &(r, s)) in self.pairs.iter().enumerate() {
            lifted[(r, s)] += 0.5 * rhs[(k, 0)];
            lifted[(s, r)] += 0.5 * rhs[(k, 0)];
        }
        let corr = t.adjoint(&lifted)?;
        let mut x = sandwich(&self.w, Op::N, &(bm - corr), Op::N)?;
        symmetrize(&mut x);
        let dy = (0..self.equalities).map(|i| -rhs[(kept + i, 0)]).collect();
        Ok((svec(&x), dy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnn::ipm::constraints::Entry;
    use crate::dnn::ipm::normal::form_normal;
    use crate::dnn::DnnProblem;

    /// A small problem, a positive definite `W` and positive weights of every size.
    fn setup() -> (DnnProblem, DMatrix<f64>, Vec<f64>) {
        let (n, d, c) = (5, 3, 2);
        let x = DMatrix::from_fn(n, d, |i, j| ((i * 5 + j * 3) % 7) as f64 * 0.4 - 1.1);
        let problem = DnnProblem { t: crate::dnn::congruence::Congruence::new(x, c), y: DMatrix::zeros(n, c), beta: 0.1 };
        let q = problem.t.q();
        let a = DMatrix::from_fn(q, q, |i, j| (((i * 7 + j * 11) % 13) as f64 - 6.0) / 6.0);
        let w = &a * a.transpose() + DMatrix::identity(q, q) * 0.3;
        let m = 2 * n * (n - 1);
        let dvec = (0..m).map(|k| 10f64.powi((k % 9) as i32 - 4)).collect();
        (problem, w, dvec)
    }

    /// The dense KKT system `[[M, -h'], [h, 0]]` with `M = Hf + W^(-1) (x)s W^(-1) + g' D g`
    /// formed entry by entry, solved by LU.
    fn dense_kkt_solution(cons: &Constraints, w: &DMatrix<f64>, dvec: &[f64], b: &[f64], e: &[f64]) -> nalgebra::DVector<f64> {
        let t = &cons.problem.t;
        let (n, q) = (t.n(), t.q());
        let nsv = q * (q + 1) / 2;
        let w_inv = w.clone().try_inverse().unwrap();
        let mut buf = vec![0.0; nsv * nsv];
        form_normal(cons, &w_inv, dvec, nsv, &mut buf);
        let lower = DMatrix::from_vec(nsv, nsv, buf);
        let m = DMatrix::from_fn(nsv, nsv, |i, j| if i >= j { lower[(i, j)] } else { lower[(j, i)] });
        let mut h = DMatrix::zeros(n, nsv);
        let (mut acc, mut touched, mut row) = (vec![0.0; nsv], Vec::new(), Vec::new());
        for i in 0..n {
            cons.row(Entry { r: i, s: n + i }, &mut acc, &mut touched, &mut row);
            for &(k, v) in &row {
                h[(i, k)] = v;
            }
        }
        let mut kkt = DMatrix::zeros(nsv + n, nsv + n);
        kkt.view_mut((0, 0), (nsv, nsv)).copy_from(&m);
        kkt.view_mut((0, nsv), (nsv, n)).copy_from(&(-h.transpose()));
        kkt.view_mut((nsv, 0), (n, nsv)).copy_from(&h);
        let rhs = nalgebra::DVector::from_iterator(nsv + n, b.iter().chain(e).copied());
        kkt.lu().solve(&rhs).unwrap()
    }

    /// Keeping every term, the preconditioner is the KKT system itself: its solve matches a
    /// dense LU of `[[M, -h'], [h, 0]]` with `M` formed entry by entry.
    #[test]
    fn with_every_term_kept_the_preconditioner_solves_the_kkt_system() {
        let (problem, w, dvec) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let b: Vec<f64> = (0..nsv).map(|k| ((k * 13) % 9) as f64 - 4.0).collect();
        let e: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 - 1.0).collect();
        let want = dense_kkt_solution(&cons, &w, &dvec, &b, &e);
        let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, usize::MAX).unwrap().unwrap();
        let (x, dy) = pc.solve(&cons, &b, &e).unwrap();
        let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
        let err = (&got - &want).amax() / want.amax();
        assert!(err < 1e-8, "relative error {err:.3e}");
    }

    /// With fewer terms it is an approximation that keeps the terms of largest leverage: the
    /// equalities still hold exactly, and the error is smaller than with the identity for the
    /// terms left out (keeping none).
    #[test]
    fn with_some_terms_kept_the_equalities_hold_and_the_error_shrinks() {
        let (problem, w, dvec) = setup();
        let cons = Constraints::new(&problem);
        let (n, q) = (problem.t.n(), problem.t.q());
        let nsv = q * (q + 1) / 2;
        let b: Vec<f64> = (0..nsv).map(|k| ((k * 5) % 7) as f64 - 3.0).collect();
        let e: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 * 0.3).collect();
        let want = dense_kkt_solution(&cons, &w, &dvec, &b, &e);
        let mut last = f64::INFINITY;
        for keep in [0, 10, 30] {
            let pc = LowRankPreconditioner::new(&cons, w.clone(), &dvec, keep).unwrap().unwrap();
            let (x, dy) = pc.solve(&cons, &b, &e).unwrap();
            let lam = problem.t.forward(&smat(&x, q)).unwrap();
            for i in 0..n {
                assert!((lam[(i, n + i)] - e[i]).abs() < 1e-9 * (1.0 + e[i].abs()), "keep {keep}: equality {i}");
            }
            let got = nalgebra::DVector::from_iterator(nsv + n, x.iter().chain(&dy).copied());
            let err = (&got - &want).norm();
            assert!(err < last, "keep {keep}: error {err:.3e} not below {last:.3e}");
            last = err;
        }
    }
}
