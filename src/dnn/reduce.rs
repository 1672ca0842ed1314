//! Rows of `X` that the constraints tie together, and the smaller program without them.
//!
//! # The facts
//!
//! Write `phi_r` for the Gram vectors of `Lambda = T S T'` (`Lambda_rs = <phi_r, phi_s>`), so that
//! `phi_{B_i} = phi_{A_i} - psi_i` with `psi_i` the image of `x_i` (linear in `x_i`).
//!
//! - **Zero rows.** If `x_i = 0` then `phi_{B_i} = phi_{A_i}`, and `Lambda_{A_i B_i} = 0` gives
//!   `phi_{A_i} = 0`: the row `a_i` of `S` is zero at every feasible point.
//! - **Equal rows.** If `x_j = x_i` then `w = phi_{A_j} - phi_{A_i} = phi_{B_j} - phi_{B_i}` and
//!   `0 = Lambda_{A_j B_j} = -<w, phi_{B_i}> - <phi_{A_i}, w> + ||w||^2`, while
//!   `Lambda_{A_i B_j} = -<phi_{A_i}, w> >= 0` and `Lambda_{A_j B_i} = -<w, phi_{B_i}> >= 0`; so
//!   `||w||^2 <= 0`: the rows `a_i` and `a_j` of `S` are equal at every feasible point.
//!
//! Either way the program has no strictly feasible point, its multipliers are unbounded, and
//! interior-point methods (Clarabel, this crate's own) lose accuracy. Only exactly equal rows
//! are merged: nearly equal rows are not tied, and merging them would change the program.
//!
//! # The reduced program
//!
//! With groups `g` of equal nonzero rows (size `w_g`, common row `x_g`, mean target `ybar_g`),
//! every feasible `S` is `S = P M P'` where `P` maps the reduced variable `M` (blocks `a` of
//! size `G`, `u`, `v`) to `S`: `P[a_j, g] = 1 / sqrt(w_g)` for `j` in `g`, the identity on `u`
//! and `v` (zero rows map to nothing). `M` is feasible for the program with data
//! `x'_g = sqrt(w_g) x_g`, `y'_g = sqrt(w_g) ybar_g`, and
//!
//! ```text
//!     f(P M P') = f'(M) + sum_g 1/2 sum_{j in g} ||y_j - ybar_g||^2 + sum_{x_i = 0} 1/2 ||y_i||^2.
//! ```
//!
//! The scaling `1 / sqrt(w_g)` keeps `tr S_aa = tr M_aa` and `S_uu = M_uu`, so the redundant
//! constraints of the certificate keep their form. A certificate may therefore test `P' E P`
//! instead of `E` ([`RowReduction::compress`]): every feasible `S` has this form.

use super::{Congruence, DnnProblem, DnnSolution, DnnState};
use crate::error::Result;
use nalgebra::DMatrix;
use std::collections::HashMap;

/// The zero rows and the groups of equal nonzero rows of `X`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowReduction {
    /// Rows of the original data, sizes `n, d, c`.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Outputs.
    pub c: usize,
    /// Groups of equal nonzero rows, each sorted, ordered by their first row.
    pub groups: Vec<Vec<usize>>,
    /// Rows with `x_i = 0`.
    pub zero: Vec<usize>,
}

impl RowReduction {
    /// The reduction of `problem`'s data (rows compared bit for bit; `-0.0` equals `0.0`).
    pub fn of(problem: &DnnProblem) -> Self {
        Self::of_x(problem.t.x(), problem.t.c())
    }

    /// The reduction of data `x` (n x d) with `c` outputs (rows compared bit for bit; `-0.0`
    /// equals `0.0`): the conic routes build it from the dataset, the `dnn` solver from its problem.
    pub fn of_x(x: &DMatrix<f64>, c: usize) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let mut zero = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
        for i in 0..n {
            let row: Vec<f64> = x.row(i).iter().map(|&v| if v == 0.0 { 0.0 } else { v }).collect();
            if row.iter().all(|&v| v == 0.0) {
                zero.push(i);
                continue;
            }
            let key: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
            match index.get(&key) {
                Some(&g) => groups[g].push(i),
                None => {
                    index.insert(key, groups.len());
                    groups.push(vec![i]);
                }
            }
        }
        Self { n, d, c, groups, zero }
    }

    /// True when nothing is merged or removed.
    pub fn is_trivial(&self) -> bool {
        self.zero.is_empty() && self.groups.iter().all(|g| g.len() == 1)
    }

    /// Order `q'` of the reduced variable.
    pub fn reduced_order(&self) -> usize {
        self.groups.len() + self.d + self.c
    }

    /// The reduced program and the constant `f(P M P') - f'(M)`.
    pub fn reduced_problem(&self, problem: &DnnProblem) -> (DnnProblem, f64) {
        let (xr, yr, constant) = self.reduced_data(problem.t.x(), &problem.y);
        (DnnProblem { t: Congruence::new(xr, self.c), y: yr, beta: problem.beta }, constant)
    }

    /// The reduced data `X'` (G x d), `Y'` (G x c) and the constant `f(P M P') - f'(M)` from the
    /// original `x` (n x d) and `y` (n x c): `x'_g = sqrt(w_g) x_g`, `y'_g = sqrt(w_g) ybar_g`.
    pub fn reduced_data(&self, x: &DMatrix<f64>, y: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>, f64) {
        let gn = self.groups.len();
        let mut xr = DMatrix::zeros(gn, self.d);
        let mut yr = DMatrix::zeros(gn, self.c);
        let mut constant: f64 = self.zero.iter().map(|&i| 0.5 * y.row(i).norm_squared()).sum();
        for (g, rows) in self.groups.iter().enumerate() {
            let w = rows.len() as f64;
            let sw = w.sqrt();
            for r in 0..self.d {
                xr[(g, r)] = sw * x[(rows[0], r)];
            }
            for k in 0..self.c {
                let mean = rows.iter().map(|&j| y[(j, k)]).sum::<f64>() / w;
                yr[(g, k)] = sw * mean;
                constant += rows.iter().map(|&j| 0.5 * (y[(j, k)] - mean).powi(2)).sum::<f64>();
            }
        }
        (xr, yr, constant)
    }

    /// A one-line description of what is merged (`None` when nothing is), for reports.
    pub fn note(&self) -> Option<String> {
        if self.is_trivial() {
            return None;
        }
        let plural = |k: usize| if k == 1 { "" } else { "s" };
        let tied = self.groups.iter().filter(|g| g.len() > 1).count();
        let in_tied: usize = self.groups.iter().filter(|g| g.len() > 1).map(|g| g.len()).sum();
        let mut parts = Vec::new();
        if !self.zero.is_empty() {
            parts.push(format!("{} zero row{}", self.zero.len(), plural(self.zero.len())));
        }
        if tied > 0 {
            parts.push(format!("{tied} group{} of equal rows ({in_tied} rows)", plural(tied)));
        }
        Some(format!(
            "merged {}: the conic program solved has {} data rows instead of {} (docs/dnn.md, \"Rows that the constraints tie together\")",
            parts.join(" and "),
            self.groups.len(),
            self.n
        ))
    }

    /// `P` (q x q'): the reduced variable's coordinates in the original ones.
    pub fn basis(&self) -> DMatrix<f64> {
        let (n, gn) = (self.n, self.groups.len());
        let mut p = DMatrix::zeros(n + self.d + self.c, gn + self.d + self.c);
        for (g, rows) in self.groups.iter().enumerate() {
            let f = 1.0 / (rows.len() as f64).sqrt();
            for &j in rows {
                p[(j, g)] = f;
            }
        }
        for r in 0..self.d + self.c {
            p[(n + r, gn + r)] = 1.0;
        }
        p
    }

    /// `P M P'`: a reduced point in the original coordinates.
    pub fn expand(&self, m: &DMatrix<f64>) -> DMatrix<f64> {
        let p = self.basis();
        let mut s = &p * m * p.transpose();
        crate::linalg::symmetrize(&mut s);
        s
    }

    /// `P' E P`: the part of a dual slack `E` that a certificate needs to be PSD.
    pub fn compress(&self, e: &DMatrix<f64>) -> DMatrix<f64> {
        let p = self.basis();
        let mut out = p.transpose() * e * &p;
        crate::linalg::symmetrize(&mut out);
        out
    }

    /// A multiplier of the original lifted constraints (order `2n + d + c`, the certificate's
    /// convention) from one of the reduced program (`zr`, order `2G + d + c`, nonzero only on the
    /// `[AB]` and `AV` blocks) such that `P' (C0 + T'ZT) P` is the reduced dual slack and the
    /// Lagrangian value is the reduced one plus the constant of [`RowReduction::reduced_problem`].
    ///
    /// Each `[AB]` entry between groups `g, h` goes to the entry between their first rows, times
    /// `sqrt(w_g w_h)`; on the `AV` block, row `j` of group `g` gets the loss multiplier
    /// `W_j = W'_g / sqrt(w_g) + (y_j - ybar_g)` (`W = -2 Z_AV`), and a zero row gets `W_j = y_j`.
    pub fn expand_multiplier(&self, problem: &DnnProblem, zr: &DMatrix<f64>) -> DMatrix<f64> {
        let (n, d, c) = (self.n, self.d, self.c);
        let gn = self.groups.len();
        let p = 2 * n + d + c;
        let mut z = DMatrix::zeros(p, p);
        let full_row = |r: usize| if r < gn { self.groups[r][0] } else { n + self.groups[r - gn][0] };
        let weight = |r: usize| (self.groups[if r < gn { r } else { r - gn }].len() as f64).sqrt();
        for j in 0..2 * gn {
            for i in 0..2 * gn {
                let v = zr[(i, j)];
                if v != 0.0 {
                    z[(full_row(i), full_row(j))] += v * weight(i) * weight(j);
                }
            }
        }
        let (lv, lv_r) = (2 * n + d, 2 * gn + d);
        let y = &problem.y;
        for (g, rows) in self.groups.iter().enumerate() {
            let sw = (rows.len() as f64).sqrt();
            for k in 0..c {
                let w_g = -2.0 * zr[(g, lv_r + k)];
                let mean = rows.iter().map(|&j| y[(j, k)]).sum::<f64>() / rows.len() as f64;
                for &j in rows {
                    let v = -0.5 * (w_g / sw + y[(j, k)] - mean);
                    z[(j, lv + k)] = v;
                    z[(lv + k, j)] = v;
                }
            }
        }
        for &i in &self.zero {
            for k in 0..c {
                let v = -0.5 * y[(i, k)];
                z[(i, lv + k)] = v;
                z[(lv + k, i)] = v;
            }
        }
        z
    }
}

/// Runs `solve` on the program with zero rows and equal rows solved out, and maps its solution
/// (primal point, multiplier, state, objectives) back to `problem`. When nothing ties, `solve`
/// runs on `problem` itself.
pub fn solve_on_reduced_rows(problem: &DnnProblem, solve: impl FnOnce(&DnnProblem) -> Result<DnnSolution>) -> Result<DnnSolution> {
    let reduction = RowReduction::of(problem);
    if reduction.is_trivial() {
        return solve(problem);
    }
    let start = std::time::Instant::now();
    let (reduced, _) = reduction.reduced_problem(problem);
    let mut sol = solve(&reduced)?;
    let z = reduction.expand_multiplier(problem, &sol.z);
    let s = reduction.expand(&sol.s);
    let mut l = problem.t.forward(&s)?;
    let (n, d) = (problem.t.n(), problem.t.d());
    for i in 2 * n..2 * n + d {
        l.row_mut(i).fill(0.0);
        l.column_mut(i).fill(0.0);
    }
    let lambda1 = reduction.expand(&sol.state.lambda1);
    sol.state = DnnState { s: s.clone(), p: s.clone(), l, lambda1, lambda2: z.clone(), ..sol.state.clone() };
    sol.primal_objective = problem.objective(&s);
    sol.dual_objective = super::admm::dual_objective(problem, &z);
    sol.s = s;
    sol.z = z;
    sol.solve_seconds = start.elapsed().as_secs_f64();
    Ok(sol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> DnnProblem {
        // rows 0, 2, 4 equal; row 3 zero; row 1 alone.
        let x = DMatrix::from_row_slice(5, 2, &[1.0, 2.0, 0.5, -1.0, 1.0, 2.0, 0.0, -0.0, 1.0, 2.0]);
        let y = DMatrix::from_row_slice(5, 2, &[1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]);
        DnnProblem { t: Congruence::new(x, 2), y, beta: 0.3 }
    }

    #[test]
    fn finds_groups_and_zero_rows() {
        let r = RowReduction::of(&problem());
        assert_eq!(r.groups, vec![vec![0, 2, 4], vec![1]]);
        assert_eq!(r.zero, vec![3]);
        assert!(!r.is_trivial());
        assert_eq!(r.reduced_order(), 2 + 2 + 2);
        assert!(r.note().unwrap().starts_with("merged 1 zero row and 1 group of equal rows (3 rows): the conic program solved has 2 data rows instead of 5"));
    }

    #[test]
    fn objective_of_an_expanded_point_is_the_reduced_one_plus_the_constant() {
        let pr = problem();
        let r = RowReduction::of(&pr);
        let (red, constant) = r.reduced_problem(&pr);
        let k = r.reduced_order();
        let b = DMatrix::from_fn(k, k, |i, j| ((i * 5 + j * 3) % 7) as f64 * 0.1 - 0.2);
        let m = &b * b.transpose();
        let s = r.expand(&m);
        assert!((pr.objective(&s) - (red.objective(&m) + constant)).abs() < 1e-12);
        // The lifted constraints of the expanded point are those of the reduced point, scaled:
        // Lambda_{A_i B_j} = Lambda'_{A'_g B'_h} / sqrt(w_g w_h).
        let l = pr.t.forward(&s).unwrap();
        let lr = red.t.forward(&m).unwrap();
        let (n, gn) = (5, 2);
        let w = [3.0f64, 1.0];
        for (i, g) in [(0usize, 0usize), (2, 0), (4, 0), (1, 1)] {
            for (j, h) in [(0usize, 0usize), (2, 0), (1, 1)] {
                let f = (w[g] * w[h]).sqrt();
                assert!((l[(i, n + j)] * f - lr[(g, gn + h)]).abs() < 1e-12);
                assert!((l[(n + i, n + j)] * f - lr[(gn + g, gn + h)]).abs() < 1e-12);
            }
        }
        // The zero row's a-row is zero.
        assert!(l.row(3).iter().all(|v| v.abs() < 1e-15));
    }

    #[test]
    fn expanded_multiplier_gives_the_reduced_slack_and_lagrangian_value() {
        let pr = problem();
        let r = RowReduction::of(&pr);
        let (red, constant) = r.reduced_problem(&pr);
        let (gn, d, c) = (2, 2, 2);
        let pr_ = 2 * gn + d + c;
        // A reduced multiplier: arbitrary on [AB] and AV.
        let mut zr = DMatrix::zeros(pr_, pr_);
        for j in 0..2 * gn {
            for i in 0..2 * gn {
                zr[(i, j)] = -(((i + 2 * j) % 5) as f64) * 0.1;
            }
        }
        zr = (&zr + zr.transpose()) * 0.5;
        for g in 0..gn {
            for k in 0..c {
                let v = 0.1 * (g as f64) - 0.3 * (k as f64) + 0.05;
                zr[(g, 2 * gn + d + k)] = v;
                zr[(2 * gn + d + k, g)] = v;
            }
        }
        let z = r.expand_multiplier(&pr, &zr);
        let slack = |p: &DnnProblem, z: &DMatrix<f64>| {
            let mut e = p.t.adjoint(z).unwrap();
            for i in p.t.n()..p.t.q() {
                e[(i, i)] += 0.5 * p.beta;
            }
            e
        };
        let e_full = r.compress(&slack(&pr, &z));
        let e_red = slack(&red, &zr);
        assert!((&e_full - &e_red).norm() < 1e-12, "{e_full} vs {e_red}");
        let ell = |p: &DnnProblem, z: &DMatrix<f64>| {
            let (n, d) = (p.t.n(), p.t.d());
            let mut v = 0.0;
            for k in 0..p.t.c() {
                for i in 0..n {
                    let w = -2.0 * z[(i, 2 * n + d + k)];
                    v += w * p.y[(i, k)] - 0.5 * w * w;
                }
            }
            v
        };
        assert!((ell(&pr, &z) - (ell(&red, &zr) + constant)).abs() < 1e-12);
    }
}
