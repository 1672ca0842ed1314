//! The constraints of the interior-point method in `svec` coordinates of `S`: the entries `g(S) >= 0` and
//! `h(S) = 0` of `Lambda = T S T'`, their sparse rows and adjoint, and the objective's gradient and Hessian.

use crate::dnn::DnnProblem;
use crate::error::Result;
use nalgebra::DMatrix;

pub(super) const SQRT2: f64 = std::f64::consts::SQRT_2;

/// `svec` index of the entry `(i, j)`, `i <= j` (upper triangle packed by columns).
#[inline]
pub(super) fn sv(i: usize, j: usize) -> usize {
    debug_assert!(i <= j);
    j * (j + 1) / 2 + i
}

/// `svec(A)`: the upper triangle by columns, off-diagonal entries times `sqrt 2`.
pub(super) fn svec(a: &DMatrix<f64>) -> Vec<f64> {
    let q = a.nrows();
    let mut out = Vec::with_capacity(q * (q + 1) / 2);
    for j in 0..q {
        for i in 0..=j {
            out.push(if i == j { a[(i, i)] } else { SQRT2 * 0.5 * (a[(i, j)] + a[(j, i)]) });
        }
    }
    out
}

/// The inverse of [`svec`].
pub(super) fn smat(v: &[f64], q: usize) -> DMatrix<f64> {
    let mut a = DMatrix::zeros(q, q);
    for j in 0..q {
        for i in 0..=j {
            let x = v[sv(i, j)];
            if i == j {
                a[(i, i)] = x;
            } else {
                a[(i, j)] = x / SQRT2;
                a[(j, i)] = x / SQRT2;
            }
        }
    }
    a
}

/// One constraint: the pair of rows `(r, s)` of `Lambda` (row `i < n` is `A_i`, `n + i` is `B_i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Entry {
    pub(super) r: usize,
    pub(super) s: usize,
}

/// The constraint structure of one problem.
pub(super) struct Constraints<'a> {
    pub(super) problem: &'a DnnProblem,
    /// Inequalities in a fixed order: `AA (i < j)`, `BB (i < j)`, `AB (i != j)`.
    pub(super) ineq: Vec<Entry>,
}

impl<'a> Constraints<'a> {
    pub(super) fn new(problem: &'a DnnProblem) -> Self {
        Self { problem, ineq: Self::all_inequalities(problem.t.n()) }
    }

    /// A subset of the inequalities (a working set), in the given order.
    pub(super) fn with_inequalities(problem: &'a DnnProblem, ineq: Vec<Entry>) -> Self {
        Self { problem, ineq }
    }

    /// Every inequality of the program, in the fixed order `AA (i < j)`, `BB (i < j)`, `AB (i != j)`.
    pub(super) fn all_inequalities(n: usize) -> Vec<Entry> {
        let mut ineq = Vec::with_capacity(2 * n * n.saturating_sub(1));
        for j in 0..n {
            for i in 0..j {
                ineq.push(Entry { r: i, s: j });
            }
        }
        for j in 0..n {
            for i in 0..j {
                ineq.push(Entry { r: n + i, s: n + j });
            }
        }
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    ineq.push(Entry { r: i, s: n + j });
                }
            }
        }
        ineq
    }

    pub(super) fn m(&self) -> usize {
        self.ineq.len()
    }

    /// `g(S)` from `Lambda = T S T'`.
    pub(super) fn g_of(&self, lambda: &DMatrix<f64>) -> Vec<f64> {
        self.ineq.iter().map(|e| lambda[(e.r, e.s)]).collect()
    }

    /// `h(S)` from `Lambda`.
    pub(super) fn h_of(&self, lambda: &DMatrix<f64>) -> Vec<f64> {
        let n = self.problem.t.n();
        (0..n).map(|i| lambda[(i, n + i)]).collect()
    }

    /// The lifted matrix `-(sum_k w_k E_k + sum_i y_i F_i) / 2`, symmetrised, with `E_k`, `F_i`
    /// the two positions of each entry (the multiplier convention of the certificate).
    pub(super) fn lifted_multiplier(&self, w: &[f64], y: &[f64]) -> DMatrix<f64> {
        let p = self.problem.t.p();
        let n = self.problem.t.n();
        let mut m = DMatrix::zeros(p, p);
        for (e, &v) in self.ineq.iter().zip(w) {
            m[(e.r, e.s)] -= 0.5 * v;
            m[(e.s, e.r)] -= 0.5 * v;
        }
        for (i, &v) in y.iter().enumerate() {
            m[(i, n + i)] -= 0.5 * v;
            m[(n + i, i)] -= 0.5 * v;
        }
        m
    }

    /// `g'w + h'y` (q x q).
    pub(super) fn adjoint(&self, w: &[f64], y: &[f64]) -> Result<DMatrix<f64>> {
        let m = self.lifted_multiplier(w, y);
        Ok(-self.problem.t.adjoint(&m)?)
    }

    /// The sparse `svec` row of `<sym(t_r t_s'), S>`, merged into `out` (cleared first) using the
    /// dense scratch `acc` (all zeros on entry and on return).
    pub(super) fn row(&self, e: Entry, acc: &mut [f64], touched: &mut Vec<usize>, out: &mut Vec<(usize, f64)>) {
        let t = &self.problem.t;
        let mut tr = Vec::with_capacity(t.d() + 1);
        let mut ts = Vec::with_capacity(t.d() + 1);
        t.row_entries(e.r, &mut tr);
        t.row_entries(e.s, &mut ts);
        touched.clear();
        for &(k, a) in &tr {
            for &(l, b) in &ts {
                let (idx, v) = if k == l { (sv(k, k), a * b) } else { (sv(k.min(l), k.max(l)), a * b / SQRT2) };
                touched.push(idx);
                acc[idx] += v;
            }
        }
        out.clear();
        touched.sort_unstable();
        touched.dedup();
        for &idx in touched.iter() {
            out.push((idx, acc[idx]));
            acc[idx] = 0.0;
        }
    }
}

/// The objective's pieces: `grad f(S)` (q x q) and `f(S)`.
pub(super) fn gradient(problem: &DnnProblem, s: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, d, c, q) = (problem.t.n(), problem.t.d(), problem.t.c(), problem.t.q());
    let mut g = DMatrix::zeros(q, q);
    for i in n..q {
        g[(i, i)] = 0.5 * problem.beta;
    }
    let v0 = n + d;
    for k in 0..c {
        for i in 0..n {
            let r = 0.5 * (s[(i, v0 + k)] - problem.y[(i, k)]);
            g[(i, v0 + k)] = r;
            g[(v0 + k, i)] = r;
        }
    }
    g
}

/// `Hf dS`: half of `dS_av` on the `av` and `va` blocks.
pub(super) fn hess_f(problem: &DnnProblem, ds: &DMatrix<f64>) -> DMatrix<f64> {
    let (n, d, c, q) = (problem.t.n(), problem.t.d(), problem.t.c(), problem.t.q());
    let mut h = DMatrix::zeros(q, q);
    let v0 = n + d;
    for k in 0..c {
        for i in 0..n {
            let r = 0.5 * ds[(i, v0 + k)];
            h[(i, v0 + k)] = r;
            h[(v0 + k, i)] = r;
        }
    }
    h
}

pub(super) fn inner(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| x * y).sum()
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(super) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svec_round_trip_and_inner_product() {
        let q = 5;
        let a = DMatrix::from_fn(q, q, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0 + if i == j { 3.0 } else { 0.0 });
        let a = (&a + a.transpose()) * 0.5;
        let b = DMatrix::from_fn(q, q, |i, j| (i + j) as f64 * 0.3 - 1.0);
        let b = (&b + b.transpose()) * 0.5;
        let back = smat(&svec(&a), q);
        assert!((&back - &a).norm() < 1e-14);
        assert!((dot(&svec(&a), &svec(&b)) - inner(&a, &b)).abs() < 1e-12);
    }
}
