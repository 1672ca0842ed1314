//! Rewriting a problem for formats with a **linear objective** and fewer cone kinds.
//!
//! SDPA has only a linear objective, LP rows and PSD blocks; CBF has a linear objective. The
//! toolkit's programs minimise `1/2 x'Px + q'x` and use second-order cones, so before writing
//! them these two rewrites are applied (both exact: the optimal value is unchanged, and the
//! original variables keep their indices `0..n`):
//!
//! * **Epigraph of the quadratic** ([`epigraph`]). Factor `P = R'R` (`R` is `k x n`, `k` the
//!   rank of `P`: the square roots of the diagonal when `P` is diagonal, the scaled eigenvectors
//!   of the block of `P` on its nonzero rows otherwise), add one variable `t` (index `n`) and
//!   minimise `q'x + t` subject to `t >= 1/2 ||R x||^2`, written as
//!   * [`EpigraphCone::SecondOrder`] (for CBF): the rotated cone `2 t * 1 >= ||R x||^2`, i.e.
//!     `((t + 1)/sqrt 2, (t - 1)/sqrt 2, R x)` in the second-order cone of dimension `k + 2`;
//!   * [`EpigraphCone::Psd`] (for SDPA): the PSD block of order `k + 1`
//!     `[[2t, (R x)'], [R x, I_k]]` (PSD exactly when `2t >= ||R x||^2`, by the Schur complement).
//! * **Second-order cones as PSD blocks** ([`soc_as_psd`], for SDPA): `(s_0, s_1..)` in the
//!   second-order cone of dimension `k` exactly when the arrow matrix
//!   `[[s_0, s_1..'], [s_1.., s_0 I_{k-1}]]` (order `k`) is PSD.

use crate::conic::{svec_index, Cone, ConicProblem, CscBuilder, Triangle};
use crate::error::{Error, Result};
use std::f64::consts::SQRT_2;

/// How the epigraph `t >= 1/2 x'Px` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpigraphCone {
    /// A rotated second-order cone, written as a standard one of dimension `rank(P) + 2`.
    SecondOrder,
    /// A PSD block of order `rank(P) + 1`.
    Psd,
}

/// The rows of `R` with `R'R = P`: each a list of `(variable, value)`.
fn factor(problem: &ConicProblem) -> Result<Vec<Vec<(usize, f64)>>> {
    let n = problem.num_vars();
    let mut diag = vec![0.0; n];
    let mut off_diagonal = false;
    for (&v, (r, c)) in problem.p.iter() {
        if r == c {
            diag[r] += v;
        } else if v != 0.0 {
            off_diagonal = true;
        }
    }
    if !off_diagonal {
        let mut rows = Vec::new();
        for (j, &v) in diag.iter().enumerate() {
            if v < 0.0 {
                return Err(Error::invalid_problem(format!("P[{j},{j}]"), "a non-negative diagonal (P positive semidefinite)", v));
            }
            if v > 0.0 {
                rows.push(vec![(j, v.sqrt())]);
            }
        }
        return Ok(rows);
    }
    // Dense eigen-decomposition of P on its nonzero rows.
    let mut idx: Vec<usize> = problem.p.iter().flat_map(|(_, (r, c))| [r, c]).collect();
    idx.sort_unstable();
    idx.dedup();
    let k = idx.len();
    crate::limits::check_bytes(3.0 * 8.0 * (k as f64) * (k as f64), || format!("factoring the quadratic objective on {k} variables"))?;
    let pos = |j: usize| idx.binary_search(&j).expect("index of a nonzero of P");
    let mut m = nalgebra::DMatrix::<f64>::zeros(k, k);
    for (&v, (r, c)) in problem.p.iter() {
        let (i, j) = (pos(r), pos(c));
        m[(i, j)] += v;
        if i != j {
            m[(j, i)] += v;
        }
    }
    let eig = m.symmetric_eigen();
    let top = eig.eigenvalues.iter().fold(0.0f64, |a, &l| a.max(l.abs()));
    let mut rows = Vec::new();
    for (e, &l) in eig.eigenvalues.iter().enumerate() {
        if l < -1e-10 * top {
            return Err(Error::invalid_problem("P", "a positive semidefinite matrix", format!("an eigenvalue {l:e}")));
        }
        if l > 1e-14 * top {
            let s = l.sqrt();
            rows.push(idx.iter().enumerate().map(|(i, &j)| (j, s * eig.eigenvectors[(i, e)])).filter(|&(_, v)| v != 0.0).collect());
        }
    }
    Ok(rows)
}

/// Row map of a rewrite: new row `r` is the sum of `factor * (old row)` over its sources, plus
/// `extra` entries on new columns and a constant added to `b`.
struct Rows {
    sources: Vec<Vec<(usize, f64)>>,
    extra: Vec<Vec<(usize, f64)>>,
    constant: Vec<f64>,
}

impl Rows {
    fn with_len(m: usize) -> Self {
        Rows { sources: vec![Vec::new(); m], extra: vec![Vec::new(); m], constant: vec![0.0; m] }
    }

    fn build(self, old: &ConicProblem, n_new: usize, cones: Vec<Cone>, q: Vec<f64>) -> Result<ConicProblem> {
        let m = self.sources.len();
        // old row -> list of (new row, factor)
        let mut targets: Vec<Vec<(usize, f64)>> = vec![Vec::new(); old.num_rows()];
        for (r, src) in self.sources.iter().enumerate() {
            for &(old_row, f) in src {
                targets[old_row].push((r, f));
            }
        }
        let mut a = CscBuilder::new(m, n_new);
        for (&v, (row, col)) in old.a.iter() {
            for &(r, f) in &targets[row] {
                a.push(r, col, f * v);
            }
        }
        let mut b = self.constant;
        for (old_row, list) in targets.iter().enumerate() {
            for &(r, f) in list {
                b[r] += f * old.b[old_row];
            }
        }
        for (r, list) in self.extra.iter().enumerate() {
            for &(col, v) in list {
                a.push(r, col, v);
            }
        }
        let out = ConicProblem { p: crate::conic::csc::zeros(n_new, n_new), q, a: a.build(), b, cones };
        out.validate()?;
        Ok(out)
    }
}

/// `problem` with its quadratic objective moved into an epigraph variable `t` (index `n`), see
/// the module docs. A problem with `P = 0` is returned unchanged (and `false`).
pub fn epigraph(problem: &ConicProblem, cone: EpigraphCone) -> Result<(ConicProblem, bool)> {
    problem.validate()?;
    if problem.p.nnz() == 0 || problem.p.iter().all(|(&v, _)| v == 0.0) {
        return Ok((problem.clone(), false));
    }
    let r = factor(problem)?;
    let k = r.len();
    let n = problem.num_vars();
    let t = n;
    let m_old = problem.num_rows();
    let epi_rows = match cone {
        EpigraphCone::SecondOrder => k + 2,
        EpigraphCone::Psd => crate::conic::svec_len_checked(k + 1).ok_or_else(|| Error::TooLarge(format!("an epigraph block of order {}", k + 1)))?,
    };
    crate::limits::check_bytes(8.0 * 4.0 * (m_old + epi_rows) as f64, || format!("the epigraph form ({epi_rows} extra rows)"))?;
    // Keep the old rows in place, except that a second-order epigraph goes before the PSD cones.
    let mut rows = Rows::with_len(m_old + epi_rows);
    let mut cones = Vec::new();
    let mut at = 0;
    let ranges = problem.cone_ranges();
    let emit_old = |rows: &mut Rows, at: &mut usize, cones: &mut Vec<Cone>, i: usize| {
        let (lo, hi) = ranges[i];
        for (o, old) in (lo..hi).enumerate() {
            rows.sources[*at + o].push((old, 1.0));
        }
        *at += hi - lo;
        cones.push(problem.cones[i]);
    };
    let first_psd = problem.cones.iter().position(|c| matches!(c, Cone::Psd(_))).unwrap_or(problem.cones.len());
    for i in 0..first_psd {
        emit_old(&mut rows, &mut at, &mut cones, i);
    }
    // s = b - A x: a row "s = alpha t + beta_0 - (R x)_i" has A = [-R_i, -alpha], b = beta_0.
    match cone {
        EpigraphCone::SecondOrder => {
            rows.extra[at].push((t, -1.0 / SQRT_2));
            rows.constant[at] = 1.0 / SQRT_2;
            rows.extra[at + 1].push((t, -1.0 / SQRT_2));
            rows.constant[at + 1] = -1.0 / SQRT_2;
            for (i, ri) in r.iter().enumerate() {
                rows.extra[at + 2 + i] = ri.iter().map(|&(j, v)| (j, -v)).collect();
            }
            at += k + 2;
            cones.push(Cone::SecondOrder(k + 2));
        }
        EpigraphCone::Psd => {}
    }
    for i in first_psd..problem.cones.len() {
        emit_old(&mut rows, &mut at, &mut cones, i);
    }
    if cone == EpigraphCone::Psd {
        // [[2t, w'], [w, I_k]], w = R x, in the upper svec packing
        let order = k + 1;
        rows.extra[at + svec_index(0, 0, order, Triangle::Upper)].push((t, -2.0));
        for (i, ri) in r.iter().enumerate() {
            let row = at + svec_index(0, i + 1, order, Triangle::Upper);
            rows.extra[row] = ri.iter().map(|&(j, v)| (j, -SQRT_2 * v)).collect();
            rows.constant[at + svec_index(i + 1, i + 1, order, Triangle::Upper)] = 1.0;
        }
        at += epi_rows;
        cones.push(Cone::Psd(order));
    }
    debug_assert_eq!(at, m_old + epi_rows);
    let mut q = problem.q.clone();
    q.push(1.0);
    Ok((rows.build(problem, n + 1, cones, q)?, true))
}

/// `problem` with every second-order cone written as an arrow PSD block (module docs); the
/// blocks follow the original PSD cones. Returns the number of cones rewritten.
pub fn soc_as_psd(problem: &ConicProblem) -> Result<(ConicProblem, usize)> {
    problem.validate()?;
    let socs: Vec<usize> = (0..problem.cones.len()).filter(|&i| matches!(problem.cones[i], Cone::SecondOrder(_))).collect();
    if socs.is_empty() {
        return Ok((problem.clone(), 0));
    }
    let ranges = problem.cone_ranges();
    let mut m_new = 0usize;
    for (i, c) in problem.cones.iter().enumerate() {
        let add = match *c {
            Cone::SecondOrder(k) => crate::conic::svec_len_checked(k),
            other => other.dim_checked(),
        };
        m_new = add.and_then(|a| m_new.checked_add(a)).ok_or_else(|| Error::TooLarge(format!("the arrow block of cones[{i}]")))?;
    }
    let psd_orders = problem.cones.iter().map(|c| match *c {
        Cone::SecondOrder(k) | Cone::Psd(k) => k as f64,
        _ => 0.0,
    });
    crate::limits::check_bytes(crate::limits::problem_bytes(problem.num_vars() as f64, m_new as f64, problem.a.nnz() as f64, psd_orders), || {
        "the PSD form of the second-order cones".to_string()
    })?;
    let mut rows = Rows::with_len(m_new);
    let mut cones = Vec::new();
    let mut at = 0;
    for (i, c) in problem.cones.iter().enumerate() {
        if matches!(c, Cone::SecondOrder(_)) {
            continue;
        }
        let (lo, hi) = ranges[i];
        for (o, old) in (lo..hi).enumerate() {
            rows.sources[at + o].push((old, 1.0));
        }
        at += hi - lo;
        cones.push(*c);
    }
    for &i in &socs {
        let Cone::SecondOrder(k) = problem.cones[i] else { unreachable!() };
        let (lo, _) = ranges[i];
        for j in 0..k {
            rows.sources[at + svec_index(j, j, k, Triangle::Upper)].push((lo, 1.0));
        }
        for j in 1..k {
            // svec holds sqrt 2 times the off-diagonal entry s_j
            rows.sources[at + svec_index(0, j, k, Triangle::Upper)].push((lo + j, SQRT_2));
        }
        at += crate::conic::svec_len(k);
        cones.push(Cone::Psd(k));
    }
    debug_assert_eq!(at, m_new);
    Ok((rows.build(problem, problem.num_vars(), cones, problem.q.clone())?, socs.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    #[cfg(feature = "clarabel")]
    fn optimum(p: &ConicProblem) -> f64 {
        let s = crate::backend::SolveSettings { tolerance: Some(1e-9), ..Default::default() };
        let sol = crate::backend::solve(p, crate::backend::BackendKind::Clarabel, &s).unwrap();
        assert_eq!(sol.status, crate::backend::Status::Solved);
        sol.primal_objective
    }

    /// Every rewrite of every catalogue entry keeps the optimum (Clarabel on both sides).
    #[cfg(feature = "clarabel")]
    #[test]
    fn rewrites_keep_the_optimum() {
        for e in catalogue::all() {
            let crate::catalogue::Expected::Optimal(v) = e.expected else { continue };
            for cone in [EpigraphCone::SecondOrder, EpigraphCone::Psd] {
                let (ep, changed) = epigraph(&e.problem, cone).unwrap();
                assert_eq!(changed, e.problem.p.nnz() > 0);
                assert_eq!(ep.p.nnz(), 0);
                let (lin, _) = soc_as_psd(&ep).unwrap();
                assert!(lin.cones.iter().all(|c| !matches!(c, Cone::SecondOrder(_))));
                for p in [&ep, &lin] {
                    let got = optimum(p);
                    assert!((got - v).abs() <= 1e-6 * (1.0 + v.abs()), "{} {cone:?}: {got} vs {v}", e.name);
                }
            }
        }
    }

    #[test]
    fn dense_quadratic_is_factored() {
        // P = [[2, 1], [1, 2]] (upper triangle stored): R'R must give back P.
        let mut p = CscBuilder::new(2, 2);
        p.push(0, 0, 2.0);
        p.push(0, 1, 1.0);
        p.push(1, 1, 2.0);
        let prob = ConicProblem { p: p.build(), q: vec![0.0, 0.0], a: crate::conic::csc::zeros(0, 2), b: vec![], cones: vec![] };
        let r = factor(&prob).unwrap();
        let mut back = [[0.0; 2]; 2];
        for row in &r {
            for &(i, a) in row {
                for &(j, b) in row {
                    back[i][j] += a * b;
                }
            }
        }
        for (got, want) in back.iter().flatten().zip([2.0, 1.0, 1.0, 2.0]) {
            assert!((got - want).abs() < 1e-12);
        }
    }
}
