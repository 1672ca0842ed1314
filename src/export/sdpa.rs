//! SDPA sparse format (`.dat-s`), read by CSDP, SDPA and DSDP.
//!
//! ## The SDPA problem
//!
//! SDPA's *primal* problem over free variables `x in R^m` (SDPA's `m` is our `n`):
//!
//! ```text
//!     minimise    c' x
//!     subject to  X = sum_i F_i x_i - F_0  is PSD     (block diagonal; "diagonal" blocks are LP rows)
//! ```
//!
//! and its dual `maximise <F_0, Y>` s.t. `<F_i, Y> = c_i`, `Y` PSD.
//!
//! ## How the toolkit's standard form maps
//!
//! Ours is `min 1/2 x'Px + q'x` s.t. `s = b - A x in K`. Every cone row is an affine function
//! of `x` that must lie in a cone, which is exactly SDPA's primal with
//!
//! * `c = q` (so **SDPA's primal objective equals ours**, same sign);
//! * `F_0 = -mat(b)` and `F_i = -mat(A[:, i])`, so that `sum_i F_i x_i - F_0 = mat(b - A x) = mat(s)`;
//! * **nonnegative rows** become entries of one diagonal (LP) block, written with a negative
//!   block size as the format requires;
//! * **zero-cone rows** `a'x = b` are written as the two LP rows `b - a'x >= 0` and
//!   `a'x - b >= 0` (in that order, at LP positions `2t+1`, `2t+2` for the `t`-th equality,
//!   before the nonnegative rows). This is exact but leaves the SDPA primal without a strictly
//!   feasible point; the interior-point codes still converge on the catalogue (tested), with
//!   somewhat lower accuracy than on inequality-only problems;
//! * each **PSD cone** of order `k` becomes a `k x k` block; the svec scaling is undone
//!   (`mat` of an off-diagonal svec entry is the entry divided by sqrt 2), and only entries with
//!   `i <= j` are written (DSDP silently ignores `i > j`);
//! * a **second-order cone** cannot be expressed: [`to_string`] returns an error;
//! * a **quadratic objective** (`P != 0`) cannot be expressed: error.
//!
//! ## What the solvers print (measured on the catalogue, see tests/formats.rs)
//!
//! * **CSDP** calls SDPA's dual its primal: `max tr(C X)` s.t. `A_i . X = a_i` with
//!   `C = F_0`, `A_i = F_i`, `a = c`. Its "Primal objective value" and "Dual objective value"
//!   both approximate **our optimum with the same sign** (strong duality).
//! * **SDPA** prints `objValPrimal` (SDPA's primal = our objective, same sign) and `objValDual`.
//! * **DSDP** (`dsdp5`) maximises `-c'y` internally and prints "DSDP Primal/Dual objective"
//!   with the **sign flipped**: our optimum is minus its printed value.
//!
//! Numbers are written in shortest round-trip exponent form (`-7.0710678118654757e-1`).

use super::{num, ProblemMeta};
use crate::conic::{svec_index, Cone, ConicProblem};
use crate::error::{Error, Result};
use std::f64::consts::SQRT_2;
use std::fmt::Write;

/// The SDPA sparse text of `problem` (see the module docs for the mapping).
pub fn to_string(problem: &ConicProblem, meta: &ProblemMeta) -> Result<String> {
    problem.validate()?;
    if problem.p.nnz() > 0 {
        return Err(Error::invalid_problem("P", "a zero matrix (SDPA has a linear objective only)", format!("{} nonzeros", problem.p.nnz())));
    }
    if let Some(i) = problem.cones.iter().position(|c| matches!(c, Cone::SecondOrder(_))) {
        return Err(Error::invalid_problem(format!("cones[{i}]"), "zero, nonnegative or PSD cones (SDPA cannot express second-order cones)", "a second-order cone"));
    }
    let n = problem.num_vars();
    if n == 0 {
        return Err(Error::invalid_problem("q", "at least one variable (SDPA needs m >= 1)", 0));
    }
    if problem.num_rows() == 0 {
        return Err(Error::invalid_problem("cones", "at least one constraint row (SDPA needs a block)", 0));
    }

    // Row -> list of (block, i, j, factor): the SDPA entry gets factor * (-A_ri) (resp. -b_r).
    let mut row_map: Vec<Vec<(usize, usize, usize, f64)>> = vec![Vec::new(); problem.num_rows()];
    let mut n_zero = 0;
    let mut n_nonneg = 0;
    for c in &problem.cones {
        match *c {
            Cone::Zero(k) => n_zero += k,
            Cone::Nonnegative(k) => n_nonneg += k,
            _ => {}
        }
    }
    let lp_size = 2 * n_zero + n_nonneg;
    let mut blocks: Vec<i64> = Vec::new();
    if lp_size > 0 {
        blocks.push(-(lp_size as i64));
    }
    let (mut zero_t, mut nonneg_t) = (0usize, 0usize);
    for (cone, (lo, hi)) in problem.cones.iter().zip(problem.cone_ranges()) {
        match *cone {
            Cone::Zero(_) => {
                for r in lo..hi {
                    let pos = 2 * zero_t + 1;
                    row_map[r].push((1, pos, pos, 1.0));
                    row_map[r].push((1, pos + 1, pos + 1, -1.0));
                    zero_t += 1;
                }
            }
            Cone::Nonnegative(_) => {
                for r in lo..hi {
                    let pos = 2 * n_zero + nonneg_t + 1;
                    row_map[r].push((1, pos, pos, 1.0));
                    nonneg_t += 1;
                }
            }
            Cone::Psd(k) => {
                blocks.push(k as i64);
                let blk = blocks.len();
                for j in 0..k {
                    for i in 0..=j {
                        let scale = if i == j { 1.0 } else { 1.0 / SQRT_2 };
                        row_map[lo + svec_index(i, j, k, crate::conic::Triangle::Upper)].push((blk, i + 1, j + 1, scale));
                    }
                }
            }
            Cone::SecondOrder(_) => unreachable!("rejected above"),
        }
    }

    // (matno, blk, i, j) -> value
    let mut entries: Vec<(usize, usize, usize, usize, f64)> = Vec::new();
    for (r, &bv) in problem.b.iter().enumerate() {
        if bv != 0.0 {
            for &(blk, i, j, f) in &row_map[r] {
                entries.push((0, blk, i, j, -f * bv));
            }
        }
    }
    let a = if problem.a.is_csc() { problem.a.clone() } else { problem.a.to_csc() };
    for (col, col_vec) in a.outer_iterator().enumerate() {
        for (r, &v) in col_vec.iter() {
            if v != 0.0 {
                for &(blk, i, j, f) in &row_map[r] {
                    entries.push((col + 1, blk, i, j, -f * v));
                }
            }
        }
    }
    entries.sort_by(|x, y| (x.0, x.1, x.2, x.3).cmp(&(y.0, y.1, y.2, y.3)));

    let mut out = String::new();
    let _ = writeln!(out, "\"SDPA sparse format written by {}: min c'x s.t. sum_i F_i x_i - F_0 PSD", super::generator());
    if let Some(f) = &meta.formulation {
        let _ = writeln!(out, "* formulation: {}", f.replace('\n', " "));
    }
    let _ = writeln!(out, "* {n} variables, {} rows: {n_zero} equalities (as {} LP rows), {n_nonneg} inequalities, {} PSD blocks", problem.num_rows(), 2 * n_zero, problem.cones.iter().filter(|c| matches!(c, Cone::Psd(_))).count());
    let _ = writeln!(out, "{n} = mDIM");
    let _ = writeln!(out, "{} = nBLOCK", blocks.len());
    let _ = writeln!(out, "{} = bLOCKsTRUCT", blocks.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(" "));
    let _ = writeln!(out, "{}", problem.q.iter().map(|&v| num(v)).collect::<Vec<_>>().join(" "));
    for (mat, blk, i, j, v) in entries {
        let _ = writeln!(out, "{mat} {blk} {i} {j} {}", num(v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    #[test]
    fn offdiag_sdp_text() {
        let e = catalogue::by_name("sdp-offdiag").unwrap();
        let text = to_string(&e.problem, &ProblemMeta::default()).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('"') && !l.starts_with('*')).collect();
        assert_eq!(lines[0], "3 = mDIM");
        assert_eq!(lines[1], "2 = nBLOCK");
        assert_eq!(lines[2], "-2 2 = bLOCKsTRUCT");
        // every PSD entry has i <= j
        for l in &lines[4..] {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f[1] == "2" {
                assert!(f[2].parse::<usize>().unwrap() <= f[3].parse::<usize>().unwrap(), "{l}");
            }
        }
    }

    #[test]
    fn rejects_soc_and_quadratic() {
        let soc = catalogue::by_name("socp-disc").unwrap().problem;
        assert!(to_string(&soc, &ProblemMeta::default()).unwrap_err().to_string().contains("second-order"));
        let qp = catalogue::by_name("qp-simplex").unwrap().problem;
        assert!(to_string(&qp, &ProblemMeta::default()).unwrap_err().to_string().contains("P"));
    }
}
