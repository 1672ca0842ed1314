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
//! * a **second-order cone** is first rewritten as an arrow PSD block, and a **quadratic
//!   objective** (`P != 0`) as an epigraph variable `t` (the last variable) with the PSD block
//!   `[[2t, (R x)'], [R x, I]]`, `P = R'R` (both exact; see [`super::linear`]). The optimum of
//!   the file is then the optimum of the original problem, and its first `n` variables are the
//!   original ones.
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
    let n_original = problem.num_vars();
    let (epi, has_epigraph) = super::linear::epigraph(problem, super::linear::EpigraphCone::Psd)?;
    let (linear, n_soc) = super::linear::soc_as_psd(&epi)?;
    let problem = &linear;
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
            Cone::SecondOrder(_) => unreachable!("rewritten as PSD blocks above"),
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
    if has_epigraph {
        let _ = writeln!(out, "* variable {} (the last) is the epigraph variable t >= 1/2 x'Px of the quadratic objective (last PSD block [[2t, (Rx)'], [Rx, I]], P = R'R); variables 1..{n_original} are the original ones", n_original + 1);
    }
    if n_soc > 0 {
        let _ = writeln!(out, "* {n_soc} second-order cones written as arrow PSD blocks [[s0, s'], [s, s0 I]]");
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
/// matrix block is taken as its mirror `(j, i)` (only one of the two may be listed);
/// off-diagonal entries in a diagonal block are an error. Equalities exported as pairs of LP
/// rows come back as those two nonnegative rows (SDPA has no equality rows), so the read-back
/// problem has the same optimum but not the same rows as the original. Comments (lines
/// starting with `"` or `*` before the data), and the separators `, ( ) { }` are accepted;
/// text after the numbers of a line is ignored.
///
/// Defences (each an error naming the line):
/// * the header numbers (`mDIM`, `nBLOCK`, the block sizes, the `mDIM` objective coefficients)
///   may span lines, but the objective vector must end its line, and every **entry is one line
///   of exactly five numbers** (`matrix block i j value`): a truncated last line is an error;
/// * a **duplicate entry** (the same matrix, block and position, `(i, j)` and `(j, i)` being
///   the same position of a matrix block) is an error, as in CSDP (SDPA would add them);
/// * sizes are checked against the file's own content before anything is allocated: `mDIM` and
///   `nBLOCK` cannot exceed the numbers in the file, and **every row of every block must occur
///   in some entry** (a block declared larger than its data is refused); block sizes are added
///   with checked arithmetic, and the memory of the problem is estimated first
///   ([`crate::limits`]).
pub fn from_str(text: &str, path: &std::path::Path) -> Result<ConicProblem> {
    use crate::conic::{csc, svec_len_checked, CscBuilder, Triangle};
    use std::collections::HashMap;
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
    let total_tokens: usize = lines.iter().map(|l| l.1.len()).sum();
    // Cursor over the header tokens: (line index, token index).
    let (mut li, mut ti) = (0usize, 0usize);
    let mut next = |what: &str| -> Result<(usize, &str)> {
        while li < lines.len() && ti >= lines[li].1.len() {
            li += 1;
            ti = 0;
        }
        let (no, toks) = lines.get(li).ok_or_else(|| err(None, format!("unexpected end of file: expected {what}")))?;
        ti += 1;
        Ok((*no, toks[ti - 1]))
    };
    let int = |(no, s): (usize, &str), what: &str| s.parse::<i64>().map_err(|_| err(Some(no), format!("expected {what}, found `{s}`")));
    let real = |(no, s): (usize, &str)| s.parse::<f64>().map_err(|_| err(Some(no), format!("expected a number, found `{s}`")));
    let t = next("the number of variables (mDIM)")?;
    let n = usize::try_from(int(t, "the number of variables (mDIM)")?).map_err(|_| err(Some(t.0), "mDIM must be non-negative".into()))?;
    if n > total_tokens {
        return Err(err(Some(t.0), format!("mDIM = {n} objective coefficients declared, but the file holds only {total_tokens} numbers")));
    }
    let t = next("the number of blocks (nBLOCK)")?;
    let nblocks = usize::try_from(int(t, "the number of blocks (nBLOCK)")?).map_err(|_| err(Some(t.0), "nBLOCK must be non-negative".into()))?;
    if nblocks > total_tokens {
        return Err(err(Some(t.0), format!("nBLOCK = {nblocks} blocks declared, but the file holds only {total_tokens} numbers")));
    }
    let mut sizes = Vec::with_capacity(nblocks);
    let mut size_lines = Vec::with_capacity(nblocks);
    for _ in 0..nblocks {
        let t = next("a block size")?;
        let v = int(t, "a block size")?;
        if v == 0 {
            return Err(err(Some(t.0), "block size 0".into()));
        }
        sizes.push(v);
        size_lines.push(t.0);
    }
    let mut q = Vec::with_capacity(n);
    let mut last_c_line = None;
    for _ in 0..n {
        let t = next("an objective coefficient")?;
        q.push(real(t)?);
        last_c_line = Some(t.0);
    }
    // The objective vector ends its line; entries start on the next line.
    if let (Some(no), Some((lno, toks))) = (last_c_line, lines.get(li)) {
        if *lno == no && ti < toks.len() {
            return Err(err(
                Some(no),
                format!("{} numbers after the mDIM = {n} objective coefficients on the same line (wrong mDIM, or a damaged file)", toks.len() - ti),
            ));
        }
    }
    let first_entry_line = if ti > 0 { li + 1 } else { li };
    if n == 0 {
        return Err(err(None, "mDIM = 0: a problem needs at least one variable".into()));
    }

    // Entries: one line each, five numbers.
    struct Entry {
        line: usize,
        mat: usize,
        blk: usize,
        i: usize,
        j: usize,
        v: f64,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: HashMap<(usize, usize, usize, usize), usize> = HashMap::new();
    let mut per_block = vec![0usize; nblocks];
    for (no, toks) in &lines[first_entry_line.min(lines.len())..] {
        let no = *no;
        if toks.len() != 5 {
            return Err(err(Some(no), format!("an entry is one line of 5 numbers `matrix block i j value`, found {} (a truncated or damaged line)", toks.len())));
        }
        let mat = int((no, toks[0]), "a matrix number")?;
        let blk = int((no, toks[1]), "a block number")?;
        let i = int((no, toks[2]), "a row index")?;
        let j = int((no, toks[3]), "a column index")?;
        let v = real((no, toks[4]))?;
        if mat < 0 || mat as u64 > n as u64 {
            return Err(err(Some(no), format!("matrix number {mat} out of range 0..={n}")));
        }
        if blk < 1 || blk as u64 > nblocks as u64 {
            return Err(err(Some(no), format!("block number {blk} out of range 1..={nblocks}")));
        }
        let k = (blk - 1) as usize;
        let order = sizes[k].unsigned_abs();
        if i < 1 || j < 1 || i as u64 > order || j as u64 > order {
            return Err(err(Some(no), format!("entry ({i}, {j}) out of range for block {blk} of order {order}")));
        }
        if sizes[k] < 0 && i != j {
            return Err(err(Some(no), format!("off-diagonal entry ({i}, {j}) in diagonal block {blk}")));
        }
        let (i, j) = ((i - 1) as usize, (j - 1) as usize);
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        if let Some(first) = seen.insert((mat as usize, k, i, j), no) {
            return Err(err(
                Some(no),
                format!(
                    "duplicate entry for matrix {mat}, block {blk}, position ({}, {}): first given on line {first} (list each position once; (i, j) and (j, i) are the same position)",
                    i + 1,
                    j + 1
                ),
            ));
        }
        per_block[k] += 1;
        entries.push(Entry { line: no, mat: mat as usize, blk: k, i, j, v });
    }
    drop(seen);

    // Every row of every block must occur in some entry (checked by counting first, so that no
    // allocation follows a size the file has no data for).
    for (k, &sz) in sizes.iter().enumerate() {
        let order = sz.unsigned_abs();
        let per_entry = if sz < 0 { 1 } else { 2 };
        if order > per_block[k] as u64 * per_entry {
            return Err(err(
                Some(size_lines[k]),
                format!(
                    "block {} declares order {order} but has only {} entries in the file, too few to touch each of its rows (every row of a block must occur in some entry)",
                    k + 1,
                    per_block[k]
                ),
            ));
        }
    }
    let mut used: Vec<Vec<bool>> = sizes.iter().map(|&sz| vec![false; sz.unsigned_abs() as usize]).collect();
    for e in &entries {
        used[e.blk][e.i] = true;
        used[e.blk][e.j] = true;
    }
    for (k, u) in used.iter().enumerate() {
        if let Some(r) = u.iter().position(|&x| !x) {
            return Err(err(
                Some(size_lines[k]),
                format!("row {} of block {} (order {}) occurs in no entry: the block is larger than its data (every row of a block must occur in some entry)", r + 1, k + 1, u.len()),
            ));
        }
    }
    drop(used);

    // Our rows: all diagonal blocks first (nonnegative), then matrix blocks (PSD), in file order.
    let overflow = |k: usize| err(Some(size_lines[k]), "the block sizes add up to more rows than fit in memory".into());
    let mut offset = vec![0usize; nblocks];
    let mut rows = 0usize;
    for (k, &sz) in sizes.iter().enumerate() {
        if sz < 0 {
            offset[k] = rows;
            rows = rows.checked_add(sz.unsigned_abs() as usize).ok_or_else(|| overflow(k))?;
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
            let len = svec_len_checked(sz as usize).ok_or_else(|| overflow(k))?;
            rows = rows.checked_add(len).ok_or_else(|| overflow(k))?;
            cones.push(Cone::Psd(sz as usize));
        }
    }
    let psd_orders = sizes.iter().filter(|&&s| s > 0).map(|&s| s as f64);
    crate::limits::check_bytes(crate::limits::problem_bytes(n as f64, rows as f64, entries.len() as f64, psd_orders), || {
        format!("the problem in {} ({n} variables, {rows} rows)", path.display())
    })?;
    let mut a = CscBuilder::new(rows, n);
    let mut b = vec![0.0; rows];
    for e in &entries {
        let (row, scale) = if sizes[e.blk] < 0 {
            (offset[e.blk] + e.i, 1.0)
        } else {
            (offset[e.blk] + svec_index(e.i, e.j, sizes[e.blk] as usize, Triangle::Upper), if e.i == e.j { 1.0 } else { SQRT_2 })
        };
        if e.mat == 0 {
            b[row] -= e.v * scale;
        } else {
            a.push(row, e.mat - 1, -e.v * scale);
        }
        let _ = e.line;
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

    /// Second-order cones and quadratic objectives used to be refused ("SDPA has a linear
    /// objective only"); now they are rewritten, and the file read back has the same optimum.
    #[cfg(feature = "clarabel")]
    #[test]
    fn soc_and_quadratic_are_exported_with_the_same_optimum() {
        use crate::backend::{solve, BackendKind, SolveSettings, Status};
        let settings = SolveSettings { tolerance: Some(1e-9), ..Default::default() };
        for name in ["socp-disc", "qp-simplex"] {
            let e = catalogue::by_name(name).unwrap();
            let catalogue::Expected::Optimal(v) = e.expected else { panic!() };
            let text = to_string(&e.problem, &ProblemMeta::default()).unwrap();
            let back = from_str(&text, std::path::Path::new("t.dat-s")).unwrap();
            assert!(back.cones.iter().all(|c| !matches!(c, Cone::SecondOrder(_))));
            let sol = solve(&back, BackendKind::Clarabel, &settings).unwrap();
            assert_eq!(sol.status, Status::Solved, "{name}");
            assert!((sol.primal_objective - v).abs() < 1e-6 * (1.0 + v.abs()), "{name}: {} vs {v}", sol.primal_objective);
        }
    }
}
