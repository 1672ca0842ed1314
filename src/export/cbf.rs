//! Conic benchmark format (CBF, `.cbf`), version 3: writer and a reader for the same subset.
//!
//! ## The CBF problem
//!
//! CBF states `min/max c'x + c0` over scalar variables `x` lying in cones (`VAR`), with
//! scalar constraints `g = A x + b` lying in cones (`CON`: `L=` is `g = 0`, `L+` is `g >= 0`,
//! `L-` is `g <= 0`, `Q` is `g_1 >= ||g_{2..}||`) and affine matrix constraints
//! `G_p = sum_j x_j H_pj + D_p` PSD (`PSDCON`, data in `HCOORD` and `DCOORD`).
//!
//! ## How the toolkit's standard form maps
//!
//! Ours is `min 1/2 x'Px + q'x` s.t. `s = b - A x in K`, i.e. "**`-A x + b` in `K`**":
//!
//! * `OBJSENSE MIN`, `OBJACOORD` = `q`: the CBF objective is ours, same sign;
//! * `VAR`: `n` free variables (`F n`);
//! * zero, nonnegative and second-order rows become `CON` rows in cones `L=`, `L+`, `Q`, in
//!   our order, with `ACOORD` = **`-A`** and `BCOORD` = **`+b`**;
//! * each PSD cone of order `k` becomes a `PSDCON` of order `k`; its rows are `svec(G)`, so the
//!   scaling is undone: `HCOORD` holds `-A[row, j]` and `DCOORD` holds `b[row]`, each divided
//!   by sqrt 2 for off-diagonal entries, and only the **lower triangle** (`r >= c`, 0-based
//!   as everything in CBF) is listed, as the format requires;
//! * a quadratic objective (`P != 0`) is not expressible (CBF is linear): error.
//!
//! ## Reading
//!
//! [`from_str`] reads `VER` 1 to 3 with `OBJSENSE MIN`; `VAR` cones `F`, `L+`, `L-`, `L=`, `Q`
//! (a non-free variable cone becomes rows `s = x_J` (or `-x_J` for `L-`) in that cone);
//! `CON` cones `L=`, `L+`, `L-` (negated into `L+`), `Q`; `PSDCON`; and the coordinate sections
//! `OBJACOORD`, `OBJBCOORD` (must be 0), `ACOORD`, `BCOORD`, `HCOORD`, `DCOORD`. Rows are
//! reordered so that the cones come in the toolkit's order (zero, nonnegative, second-order,
//! PSD); within a kind the file's order is kept, so a file written by [`to_string`] reads back
//! to the same problem. Anything else (`OBJSENSE MAX`, `INT`, `PSDVAR`, exponential and power
//! cones) is rejected with the line number.

use super::{num, ProblemMeta};
use crate::conic::{csc, svec_index, Cone, ConicProblem, CscBuilder, Triangle};
use crate::error::{Error, Result};
use std::f64::consts::SQRT_2;
use std::fmt::Write;
use std::path::Path;

/// The CBF text of `problem` (see the module docs for the mapping).
pub fn to_string(problem: &ConicProblem, meta: &ProblemMeta) -> Result<String> {
    problem.validate()?;
    if problem.p.nnz() > 0 {
        return Err(Error::invalid_problem("P", "a zero matrix (CBF has a linear objective only)", format!("{} nonzeros", problem.p.nnz())));
    }
    let n = problem.num_vars();
    let ranges = problem.cone_ranges();
    // scalar rows come first in our cone order; PSD rows after them.
    let scalar_rows: usize = problem.cones.iter().filter(|c| !matches!(c, Cone::Psd(_))).map(|c| c.dim()).sum();
    let scalar_cones: Vec<&Cone> = problem.cones.iter().filter(|c| !matches!(c, Cone::Psd(_))).collect();
    let psd: Vec<(usize, usize)> = problem.cones.iter().zip(&ranges).filter_map(|(c, r)| if let Cone::Psd(k) = c { Some((*k, r.0)) } else { None }).collect();
    // global row -> Some((psd index, r, c, scale)) for PSD rows (lower triangle r >= c)
    let mut psd_row = vec![None; problem.num_rows()];
    for (p, &(k, lo)) in psd.iter().enumerate() {
        for j in 0..k {
            for i in 0..=j {
                let scale = if i == j { 1.0 } else { 1.0 / SQRT_2 };
                psd_row[lo + svec_index(i, j, k, Triangle::Upper)] = Some((p, j, i, scale));
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "# CBF written by {}: min q'x s.t. -A x + b in K (scalar rows), sum_j x_j H_j + D PSD", super::generator());
    if let Some(f) = &meta.formulation {
        let _ = writeln!(out, "# formulation: {}", f.replace('\n', " "));
    }
    let _ = writeln!(out, "VER\n3\n\nOBJSENSE\nMIN\n\nVAR\n{n} 1\nF {n}\n");
    if !psd.is_empty() {
        let _ = writeln!(out, "PSDCON\n{}", psd.len());
        for &(k, _) in &psd {
            let _ = writeln!(out, "{k}");
        }
        out.push('\n');
    }
    if scalar_rows > 0 {
        let _ = writeln!(out, "CON\n{scalar_rows} {}", scalar_cones.len());
        for c in &scalar_cones {
            let (tag, k) = match **c {
                Cone::Zero(k) => ("L=", k),
                Cone::Nonnegative(k) => ("L+", k),
                Cone::SecondOrder(k) => ("Q", k),
                Cone::Psd(_) => unreachable!(),
            };
            let _ = writeln!(out, "{tag} {k}");
        }
        out.push('\n');
    }
    let obj: Vec<(usize, f64)> = problem.q.iter().copied().enumerate().filter(|&(_, v)| v != 0.0).collect();
    if !obj.is_empty() {
        let _ = writeln!(out, "OBJACOORD\n{}", obj.len());
        for (j, v) in obj {
            let _ = writeln!(out, "{j} {}", num(v));
        }
        out.push('\n');
    }
    let mut acoord = Vec::new();
    let mut hcoord = Vec::new();
    let a = if problem.a.is_csc() { problem.a.clone() } else { problem.a.to_csc() };
    for (col, col_vec) in a.outer_iterator().enumerate() {
        for (row, &v) in col_vec.iter() {
            if v == 0.0 {
                continue;
            }
            match psd_row[row] {
                None => acoord.push((row, col, -v)),
                Some((p, r, c, scale)) => hcoord.push((p, col, r, c, -v * scale)),
            }
        }
    }
    acoord.sort_by_key(|e| (e.0, e.1));
    hcoord.sort_by_key(|e| (e.0, e.1, e.2, e.3));
    let mut bcoord = Vec::new();
    let mut dcoord = Vec::new();
    for (row, &v) in problem.b.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        match psd_row[row] {
            None => bcoord.push((row, v)),
            Some((p, r, c, scale)) => dcoord.push((p, r, c, v * scale)),
        }
    }
    dcoord.sort_by_key(|e| (e.0, e.1, e.2));
    if !acoord.is_empty() {
        let _ = writeln!(out, "ACOORD\n{}", acoord.len());
        for (i, j, v) in acoord {
            let _ = writeln!(out, "{i} {j} {}", num(v));
        }
        out.push('\n');
    }
    if !bcoord.is_empty() {
        let _ = writeln!(out, "BCOORD\n{}", bcoord.len());
        for (i, v) in bcoord {
            let _ = writeln!(out, "{i} {}", num(v));
        }
        out.push('\n');
    }
    if !hcoord.is_empty() {
        let _ = writeln!(out, "HCOORD\n{}", hcoord.len());
        for (p, j, r, c, v) in hcoord {
            let _ = writeln!(out, "{p} {j} {r} {c} {}", num(v));
        }
        out.push('\n');
    }
    if !dcoord.is_empty() {
        let _ = writeln!(out, "DCOORD\n{}", dcoord.len());
        for (p, r, c, v) in dcoord {
            let _ = writeln!(out, "{p} {r} {c} {}", num(v));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Line cursor over the non-blank, non-comment lines of a CBF file.
struct Lines<'a> {
    path: &'a Path,
    lines: Vec<(usize, &'a str)>,
    pos: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, path: &'a Path) -> Self {
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        Lines { path, lines, pos: 0 }
    }

    fn err(&self, line: Option<usize>, message: impl Into<String>) -> Error {
        Error::Parse { path: self.path.to_path_buf(), line, column: None, message: message.into() }
    }

    fn next(&mut self, what: &str) -> Result<(usize, Vec<&'a str>)> {
        let (no, l) = *self.lines.get(self.pos).ok_or_else(|| self.err(None, format!("unexpected end of file: expected {what}")))?;
        self.pos += 1;
        Ok((no, l.split_whitespace().collect()))
    }

    fn parse<T: std::str::FromStr>(&self, no: usize, tok: &str, what: &str) -> Result<T> {
        tok.parse().map_err(|_| self.err(Some(no), format!("expected {what}, found `{tok}`")))
    }

    /// A line of exactly `count` tokens.
    fn fields(&mut self, count: usize, what: &str) -> Result<(usize, Vec<&'a str>)> {
        let (no, f) = self.next(what)?;
        if f.len() != count {
            return Err(self.err(Some(no), format!("expected {what} ({count} fields), found {} fields", f.len())));
        }
        Ok((no, f))
    }

    fn count(&mut self, what: &str) -> Result<usize> {
        let (no, f) = self.fields(1, what)?;
        self.parse(no, f[0], what)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Free,
    Cone(Cone),
}

fn scalar_cone(tag: &str, k: usize) -> Option<(Kind, f64)> {
    Some(match tag {
        "F" => (Kind::Free, 1.0),
        "L=" => (Kind::Cone(Cone::Zero(k)), 1.0),
        "L+" => (Kind::Cone(Cone::Nonnegative(k)), 1.0),
        "L-" => (Kind::Cone(Cone::Nonnegative(k)), -1.0),
        "Q" => (Kind::Cone(Cone::SecondOrder(k)), 1.0),
        _ => return None,
    })
}

/// A group of rows of the problem being assembled: its cone and its entries (local row indices).
struct Group {
    cone: Cone,
    a: Vec<(usize, usize, f64)>,
    b: Vec<(usize, f64)>,
}

/// Reads the CBF subset described in the module docs (`path` is for error messages).
pub fn from_str(text: &str, path: &Path) -> Result<ConicProblem> {
    let mut ls = Lines::new(text, path);
    let mut n: Option<usize> = None;
    let mut groups: Vec<Group> = Vec::new();
    let mut con_rows: Option<Vec<(usize, usize, f64)>> = None; // CBF row -> (group, local row, sign)
    let mut psd_groups: Option<Vec<(usize, usize)>> = None; // PSDCON p -> (group, order)
    let mut q: Vec<(usize, usize, f64)> = Vec::new(); // (line, j, v)
    let mut ver_seen = false;
    let mut sense_seen = false;
    while ls.pos < ls.lines.len() {
        let (no, f) = ls.next("a keyword")?;
        let key = f[0];
        let need_n = |ls: &Lines, n: Option<usize>| n.ok_or_else(|| ls.err(Some(no), format!("{key} before VAR")));
        match key {
            "VER" => {
                let v: u32 = ls.count("the version number")? as u32;
                if !(1..=3).contains(&v) {
                    return Err(ls.err(Some(no + 1), format!("expected CBF version 1, 2 or 3, found {v}")));
                }
                ver_seen = true;
            }
            "OBJSENSE" => {
                let (lno, s) = ls.fields(1, "MIN or MAX")?;
                if s[0] != "MIN" {
                    return Err(ls.err(Some(lno), format!("expected OBJSENSE MIN (the toolkit minimises; negate the objective yourself), found {}", s[0])));
                }
                sense_seen = true;
            }
            "VAR" => {
                let (lno, h) = ls.fields(2, "`<variables> <cones>`")?;
                let nv: usize = ls.parse(lno, h[0], "the number of variables")?;
                let kc: usize = ls.parse(lno, h[1], "the number of variable cones")?;
                let mut start = 0;
                for _ in 0..kc {
                    let (cno, c) = ls.fields(2, "`<cone> <dimension>`")?;
                    let k: usize = ls.parse(cno, c[1], "a cone dimension")?;
                    let (kind, sign) = scalar_cone(c[0], k).ok_or_else(|| ls.err(Some(cno), format!("unsupported variable cone `{}` (supported: F, L+, L-, L=, Q)", c[0])))?;
                    if let Kind::Cone(cone) = kind {
                        let a = (0..k).map(|t| (t, start + t, -sign)).collect();
                        groups.push(Group { cone, a, b: Vec::new() });
                    }
                    start += k;
                }
                if start != nv {
                    return Err(ls.err(Some(lno), format!("VAR: cone dimensions sum to {start}, expected {nv}")));
                }
                n = Some(nv);
            }
            "PSDCON" => {
                let count = ls.count("the number of PSD constraints")?;
                let mut v = Vec::new();
                for _ in 0..count {
                    let (cno, c) = ls.fields(1, "a PSD constraint order")?;
                    let k: usize = ls.parse(cno, c[0], "a matrix order")?;
                    v.push((groups.len(), k));
                    groups.push(Group { cone: Cone::Psd(k), a: Vec::new(), b: Vec::new() });
                }
                psd_groups = Some(v);
            }
            "CON" => {
                let (lno, h) = ls.fields(2, "`<rows> <cones>`")?;
                let m: usize = ls.parse(lno, h[0], "the number of constraint rows")?;
                let kc: usize = ls.parse(lno, h[1], "the number of constraint cones")?;
                let mut rows = Vec::with_capacity(m);
                for _ in 0..kc {
                    let (cno, c) = ls.fields(2, "`<cone> <dimension>`")?;
                    let k: usize = ls.parse(cno, c[1], "a cone dimension")?;
                    match scalar_cone(c[0], k) {
                        Some((Kind::Cone(cone), sign)) => {
                            rows.extend((0..k).map(|t| (groups.len(), t, sign)));
                            groups.push(Group { cone, a: Vec::new(), b: Vec::new() });
                        }
                        _ => return Err(ls.err(Some(cno), format!("unsupported constraint cone `{}` (supported: L=, L+, L-, Q)", c[0]))),
                    }
                }
                if rows.len() != m {
                    return Err(ls.err(Some(lno), format!("CON: cone dimensions sum to {}, expected {m}", rows.len())));
                }
                con_rows = Some(rows);
            }
            "OBJACOORD" => {
                let nv = need_n(&ls, n)?;
                for _ in 0..ls.count("the number of entries")? {
                    let (eno, e) = ls.fields(2, "`<variable> <value>`")?;
                    let j: usize = ls.parse(eno, e[0], "a variable index")?;
                    if j >= nv {
                        return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                    }
                    q.push((eno, j, ls.parse(eno, e[1], "a number")?));
                }
            }
            "OBJBCOORD" => {
                let (eno, e) = ls.fields(1, "the objective constant")?;
                let c: f64 = ls.parse(eno, e[0], "a number")?;
                if c != 0.0 {
                    return Err(ls.err(Some(eno), format!("objective constant {c} is not supported (the standard form has none)")));
                }
            }
            "ACOORD" | "BCOORD" => {
                let nv = need_n(&ls, n)?;
                let rows = con_rows.as_ref().ok_or_else(|| ls.err(Some(no), format!("{key} before CON")))?.clone();
                let width = if key == "ACOORD" { 3 } else { 2 };
                for _ in 0..ls.count("the number of entries")? {
                    let (eno, e) = ls.fields(width, if width == 3 { "`<row> <variable> <value>`" } else { "`<row> <value>`" })?;
                    let i: usize = ls.parse(eno, e[0], "a row index")?;
                    let &(g, local, sign) = rows.get(i).ok_or_else(|| ls.err(Some(eno), format!("row index {i} out of range (CON has {} rows)", rows.len())))?;
                    let v: f64 = ls.parse(eno, e[width - 1], "a number")?;
                    if width == 3 {
                        let j: usize = ls.parse(eno, e[1], "a variable index")?;
                        if j >= nv {
                            return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                        }
                        // ours: A = -sign * A_cbf
                        groups[g].a.push((local, j, -sign * v));
                    } else {
                        groups[g].b.push((local, sign * v));
                    }
                }
            }
            "HCOORD" | "DCOORD" => {
                let nv = need_n(&ls, n)?;
                let psd = psd_groups.as_ref().ok_or_else(|| ls.err(Some(no), format!("{key} before PSDCON")))?.clone();
                let h = key == "HCOORD";
                let width = if h { 5 } else { 4 };
                for _ in 0..ls.count("the number of entries")? {
                    let (eno, e) = ls.fields(width, if h { "`<psdcon> <variable> <row> <col> <value>`" } else { "`<psdcon> <row> <col> <value>`" })?;
                    let p: usize = ls.parse(eno, e[0], "a PSD constraint index")?;
                    let &(g, k) = psd.get(p).ok_or_else(|| ls.err(Some(eno), format!("PSD constraint index {p} out of range ({} declared)", psd.len())))?;
                    let off = if h { 1 } else { 0 };
                    let r: usize = ls.parse(eno, e[1 + off], "a row index")?;
                    let c: usize = ls.parse(eno, e[2 + off], "a column index")?;
                    if r >= k || c >= k {
                        return Err(ls.err(Some(eno), format!("matrix entry ({r}, {c}) out of range (order {k})")));
                    }
                    let v: f64 = ls.parse(eno, e[3 + off], "a number")?;
                    let local = svec_index(r, c, k, Triangle::Upper);
                    let scale = if r == c { 1.0 } else { SQRT_2 };
                    if h {
                        let j: usize = ls.parse(eno, e[1], "a variable index")?;
                        if j >= nv {
                            return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                        }
                        groups[g].a.push((local, j, -v * scale));
                    } else {
                        groups[g].b.push((local, v * scale));
                    }
                }
            }
            other => {
                return Err(ls.err(
                    Some(no),
                    format!("unsupported or unknown CBF keyword `{other}` (supported: VER, OBJSENSE, VAR, PSDCON, CON, OBJACOORD, OBJBCOORD, ACOORD, BCOORD, HCOORD, DCOORD)"),
                ))
            }
        }
    }
    if !ver_seen {
        return Err(ls.err(None, "missing VER section"));
    }
    if !sense_seen {
        return Err(ls.err(None, "missing OBJSENSE section"));
    }
    let n = n.ok_or_else(|| ls.err(None, "missing VAR section"))?;
    let mut qv = vec![0.0; n];
    for (_, j, v) in q {
        qv[j] += v;
    }
    // toolkit cone order; stable within a kind
    groups.sort_by_key(|g| g.cone.rank());
    let m: usize = groups.iter().map(|g| g.cone.dim()).sum();
    let mut a = CscBuilder::new(m, n);
    let mut b = vec![0.0; m];
    let mut off = 0;
    for g in &groups {
        for &(r, j, v) in &g.a {
            a.push(off + r, j, v);
        }
        for &(r, v) in &g.b {
            b[off + r] += v;
        }
        off += g.cone.dim();
    }
    debug_assert_eq!(off, m);
    let problem = ConicProblem { p: csc::zeros(n, n), q: qv, a: a.build(), b, cones: groups.iter().map(|g| g.cone).collect() };
    problem.validate().map_err(|e| ls.err(None, e.to_string()))?;
    Ok(problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    #[test]
    fn round_trip_catalogue() {
        for e in catalogue::all() {
            if e.problem.p.nnz() > 0 {
                assert!(to_string(&e.problem, &ProblemMeta::default()).is_err());
                continue;
            }
            let text = to_string(&e.problem, &ProblemMeta::default()).unwrap();
            let back = from_str(&text, Path::new("t.cbf")).unwrap_or_else(|err| panic!("{}: {err}\n{text}", e.name));
            assert_eq!(back.cones, e.problem.cones, "{}", e.name);
            assert_eq!(back.q, e.problem.q, "{}", e.name);
            let (d1, d2) = (back.a.to_dense(), e.problem.a.to_dense());
            assert!((&d1 - &d2).iter().all(|v| v.abs() < 1e-14), "{}", e.name);
            for (x, y) in back.b.iter().zip(&e.problem.b) {
                assert!((x - y).abs() < 1e-14, "{}", e.name);
            }
        }
    }

    #[test]
    fn errors_name_the_line() {
        let msg = from_str("VER\n3\nOBJSENSE\nMAX\n", Path::new("x.cbf")).unwrap_err().to_string();
        assert!(msg.contains("line 4") && msg.contains("MIN"), "{msg}");
        let msg = from_str("VER\n3\nOBJSENSE\nMIN\nVAR\n2 1\nF 2\nOBJACOORD\n1\n5 1.0\n", Path::new("x.cbf")).unwrap_err().to_string();
        assert!(msg.contains("line 10") && msg.contains("out of range"), "{msg}");
        let msg = from_str("VER\n3\nINT\n1\n0\n", Path::new("x.cbf")).unwrap_err().to_string();
        assert!(msg.contains("INT"), "{msg}");
    }
}
