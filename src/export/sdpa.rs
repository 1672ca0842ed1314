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
                for targets in &mut row_map[lo..hi] {
                    let pos = 2 * zero_t + 1;
                    targets.push((1, pos, pos, 1.0));
                    targets.push((1, pos + 1, pos + 1, -1.0));
                    zero_t += 1;
                }
            }
            Cone::Nonnegative(_) => {
                for targets in &mut row_map[lo..hi] {
                    let pos = 2 * n_zero + nonneg_t + 1;
                    targets.push((1, pos, pos, 1.0));
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
    entries.sort_by_key(|e| (e.0, e.1, e.2, e.3));

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

/// Reads an SDPA sparse file into the standard form (`path` is for error messages).
///
/// The inverse of the writer's mapping, `c -> q`, `F_0 -> -b`, `F_i -> -A[:, i]`: each
/// diagonal (negative-size) block becomes nonnegative rows, each matrix block a PSD cone with
/// the svec scaling applied (off-diagonal entries times sqrt 2). An entry with `i > j` in a
/// matrix block is taken as its mirror `(j, i)` (only one of the two should be listed);
/// off-diagonal entries in a diagonal block are an error. Equalities exported as pairs of LP
/// rows come back as those two nonnegative rows (SDPA has no equality rows), so the read-back
/// problem has the same optimum but not the same rows as the original. Comments (lines
/// starting with `"` or `*` before the data), and the separators `, ( ) { }` are accepted;
/// text after the numbers of a line is ignored.
pub fn from_str(text: &str, path: &std::path::Path) -> Result<ConicProblem> {
    use crate::conic::{csc, svec_len, CscBuilder, Triangle};
    let err = |line: Option<usize>, message: String| Error::Parse { path: path.to_path_buf(), line, column: None, message };
    // (line number, numeric tokens of the line up to the first non-numeric one)
    let mut lines: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut in_header = true;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if in_header && (t.starts_with('"') || t.starts_with('*')) {
            continue;
        }
        if t.is_empty() {
            continue;
        }
        in_header = false;
        let toks: Vec<&str> = t
            .split(|c: char| c.is_whitespace() || ",(){}".contains(c))
            .filter(|s| !s.is_empty())
            .take_while(|s| s.parse::<f64>().is_ok())
            .collect();
        if !toks.is_empty() {
            lines.push((i + 1, toks));
        }
    }
    let mut toks = lines.iter().flat_map(|(no, t)| t.iter().map(move |s| (*no, *s)));
    let mut next = |what: &str| toks.next().ok_or_else(|| err(None, format!("unexpected end of file: expected {what}")));
    let int = |(no, s): (usize, &str), what: &str| s.parse::<i64>().map_err(|_| err(Some(no), format!("expected {what}, found `{s}`")));
    let real = |(no, s): (usize, &str)| s.parse::<f64>().map_err(|_| err(Some(no), format!("expected a number, found `{s}`")));
    let t = next("the number of variables (mDIM)")?;
    let n = usize::try_from(int(t, "the number of variables (mDIM)")?).map_err(|_| err(Some(t.0), "mDIM must be non-negative".into()))?;
    let t = next("the number of blocks (nBLOCK)")?;
    let nblocks = usize::try_from(int(t, "the number of blocks (nBLOCK)")?).map_err(|_| err(Some(t.0), "nBLOCK must be non-negative".into()))?;
    let mut sizes = Vec::with_capacity(nblocks);
    for _ in 0..nblocks {
        let t = next("a block size")?;
        let v = int(t, "a block size")?;
        if v == 0 {
            return Err(err(Some(t.0), "block size 0".into()));
        }
        sizes.push(v);
    }
    let mut q = Vec::with_capacity(n);
    for _ in 0..n {
        q.push(real(next("an objective coefficient")?)?);
    }
    // Our rows: all diagonal blocks first (nonnegative), then matrix blocks (PSD), in file order.
    let mut offset = vec![0usize; nblocks];
    let mut rows = 0;
    for (k, &sz) in sizes.iter().enumerate() {
        if sz < 0 {
            offset[k] = rows;
            rows += (-sz) as usize;
        }
    }
    let n_lp = rows;
    let mut cones = Vec::new();
    if n_lp > 0 {
        cones.push(Cone::Nonnegative(n_lp));
    }
    for (k, &sz) in sizes.iter().enumerate() {
        if sz > 0 {
            offset[k] = rows;
            rows += svec_len(sz as usize);
            cones.push(Cone::Psd(sz as usize));
        }
    }
    let mut a = CscBuilder::new(rows, n);
    let mut b = vec![0.0; rows];
    while let Some(t0) = toks.next() {
        let mut entry = vec![t0];
        for _ in 0..4 {
            entry.push(toks.next().ok_or_else(|| err(Some(t0.0), "an entry needs 5 numbers: matrix block i j value".into()))?);
        }
        let no = t0.0;
        let mat = int(entry[0], "a matrix number")?;
        let blk = int(entry[1], "a block number")?;
        let i = int(entry[2], "a row index")?;
        let j = int(entry[3], "a column index")?;
        let v = real(entry[4])?;
        if mat < 0 || mat as usize > n {
            return Err(err(Some(no), format!("matrix number {mat} out of range 0..={n}")));
        }
        if blk < 1 || blk as usize > nblocks {
            return Err(err(Some(no), format!("block number {blk} out of range 1..={nblocks}")));
        }
        let k = (blk - 1) as usize;
        let order = sizes[k].unsigned_abs() as i64;
        if i < 1 || j < 1 || i > order || j > order {
            return Err(err(Some(no), format!("entry ({i}, {j}) out of range for block {blk} of order {order}")));
        }
        let (i, j) = ((i - 1) as usize, (j - 1) as usize);
        let (row, scale) = if sizes[k] < 0 {
            if i != j {
                return Err(err(Some(no), format!("off-diagonal entry ({}, {}) in diagonal block {blk}", i + 1, j + 1)));
            }
            (offset[k] + i, 1.0)
        } else {
            (offset[k] + svec_index(i, j, order as usize, Triangle::Upper), if i == j { 1.0 } else { SQRT_2 })
        };
        if mat == 0 {
            b[row] -= v * scale;
        } else {
            a.push(row, (mat - 1) as usize, -v * scale);
        }
    }
    let problem = ConicProblem { p: csc::zeros(n, n), q, a: a.build(), b, cones };
    problem.validate().map_err(|e| err(None, e.to_string()))?;
    Ok(problem)
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
    fn reads_back_lp_text() {
        let e = catalogue::by_name("lp-2d").unwrap();
        let text = to_string(&e.problem, &ProblemMeta::default()).unwrap();
        let back = from_str(&text, std::path::Path::new("t.dat-s")).unwrap();
        // no equalities: the read-back problem is the original
        assert_eq!(back.cones, e.problem.cones);
        assert_eq!(back.q, e.problem.q);
        assert_eq!(back.b, e.problem.b);
        assert_eq!(back.a, e.problem.a);
    }

    #[test]
    fn reader_errors_name_the_line() {
        let p = std::path::Path::new("x.dat-s");
        let msg = from_str("\"c\n1\n1\n-2\n1.0\n1 1 1 2 3.0\n", p).unwrap_err().to_string();
        assert!(msg.contains("line 6") && msg.contains("off-diagonal"), "{msg}");
        let msg = from_str("1\n1\n2\n1.0\n1 3 1 1 3.0\n", p).unwrap_err().to_string();
        assert!(msg.contains("line 5") && msg.contains("block number 3"), "{msg}");
        let msg = from_str("2\n1\n", p).unwrap_err().to_string();
        assert!(msg.contains("end of file"), "{msg}");
        // SDPA's own example layout with separators and a mirrored entry
        let ok = from_str("*c\n1 =mdim\n1 =nblock\n{2}\n{1.0}\n0 1 2 1 -1.0\n1 1 1 1 1.0\n1 1 2 2 1.0\n", p).unwrap();
        assert_eq!(ok.cones, vec![Cone::Psd(2)]);
        assert!((ok.b[1] - SQRT_2).abs() < 1e-15);
    }

    #[test]
    fn rejects_soc_and_quadratic() {
        let soc = catalogue::by_name("socp-disc").unwrap().problem;
        assert!(to_string(&soc, &ProblemMeta::default()).unwrap_err().to_string().contains("second-order"));
        let qp = catalogue::by_name("qp-simplex").unwrap().problem;
        assert!(to_string(&qp, &ProblemMeta::default()).unwrap_err().to_string().contains("P"));
    }
}
