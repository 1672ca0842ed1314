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
//! * a quadratic objective (`P != 0`) is first moved into an epigraph variable `t` (the last
//!   variable): `t >= 1/2 ||R x||^2` with `P = R'R`, written as the rotated cone
//!   `2 t * 1 >= ||R x||^2` in the standard form `((t + 1)/sqrt 2, (t - 1)/sqrt 2, R x)` in `Q`
//!   (see [`super::linear`]); the optimum is unchanged.
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
    let n_original = problem.num_vars();
    let (linear, has_epigraph) = super::linear::epigraph(problem, super::linear::EpigraphCone::SecondOrder)?;
    let problem = &linear;
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
    if has_epigraph {
        let _ = writeln!(out, "# variable {n_original} (0-based, the last) is the epigraph variable t >= 1/2 x'Px of the quadratic objective:");
        let _ = writeln!(out, "# ((t + 1)/sqrt 2, (t - 1)/sqrt 2, R x) in Q, i.e. the rotated cone 2 t >= ||R x||^2 with P = R'R; variables 0..{} are the original ones", n_original - 1);
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
    /// Line of the file that declared the group (for error messages).
    line: usize,
    a: Vec<(usize, usize, f64)>,
    b: Vec<(usize, f64)>,
    /// Local rows (PSD: matrix rows and columns) the coordinates touch.
    touched: Vec<usize>,
    /// For a `VAR` cone: its first variable and sign (rows `s = sign * x`, filled in at the end).
    from_var: Option<(usize, f64)>,
}

/// A run of consecutive `CON` rows in one cone: CBF rows `start .. start + len` are the local
/// rows `0 .. len` of `group`, with `sign` (-1 for `L-`).
struct ConRun {
    start: usize,
    len: usize,
    group: usize,
    sign: f64,
}

/// Reads the CBF subset described in the module docs (`path` is for error messages).
///
/// Defences (each an error naming the line): a section given twice; a coordinate given twice
/// (the same entry of the same section); declared sizes the file's own content does not
/// support -- **every variable and every constraint row (scalar or PSD) must occur in some
/// coordinate entry** -- checked by counting before anything proportional to a declared size
/// is allocated; sizes added with checked arithmetic; the memory of the problem estimated first
/// ([`crate::limits`]).
pub fn from_str(text: &str, path: &Path) -> Result<ConicProblem> {
    use std::collections::{HashMap, HashSet};
    let mut ls = Lines::new(text, path);
    let mut n: Option<(usize, usize)> = None; // (variables, line)
    let mut groups: Vec<Group> = Vec::new();
    let mut con_runs: Option<(Vec<ConRun>, usize)> = None; // runs, total rows
    let mut psd_groups: Option<Vec<(usize, usize)>> = None; // PSDCON p -> (group, order)
    let mut q: Vec<(usize, usize, f64)> = Vec::new(); // (line, j, v)
    let mut sections: HashMap<String, usize> = HashMap::new();
    let mut seen_coord: HashSet<(u8, usize, usize, usize, usize)> = HashSet::new();
    let mut var_used: Vec<(usize, usize)> = Vec::new(); // (line, variable) occurrences
    let mut ver_seen = false;
    let mut sense_seen = false;
    let mut dup = |ls: &Lines, key: (u8, usize, usize, usize, usize), eno: usize| -> Result<()> {
        if seen_coord.insert(key) {
            Ok(())
        } else {
            Err(ls.err(Some(eno), "duplicate coordinate: this entry was already given in this section (list each coordinate once)"))
        }
    };
    while ls.pos < ls.lines.len() {
        let (no, f) = ls.next("a keyword")?;
        let key = f[0];
        if let Some(first) = sections.insert(key.to_string(), no) {
            return Err(ls.err(Some(no), format!("second {key} section (the first is on line {first}); each section may appear once")));
        }
        let need_n = |ls: &Lines, n: Option<(usize, usize)>| n.map(|x| x.0).ok_or_else(|| ls.err(Some(no), format!("{key} before VAR")));
        match key {
            "VER" => {
                let v = ls.count("the version number")?;
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
                let mut start = 0usize;
                for _ in 0..kc {
                    let (cno, c) = ls.fields(2, "`<cone> <dimension>`")?;
                    let k: usize = ls.parse(cno, c[1], "a cone dimension")?;
                    let (kind, sign) = scalar_cone(c[0], k).ok_or_else(|| ls.err(Some(cno), format!("unsupported variable cone `{}` (supported: F, L+, L-, L=, Q)", c[0])))?;
                    if let Kind::Cone(cone) = kind {
                        groups.push(Group { cone, line: cno, a: Vec::new(), b: Vec::new(), touched: Vec::new(), from_var: Some((start, sign)) });
                    }
                    start = start.checked_add(k).filter(|&s| s <= nv).ok_or_else(|| ls.err(Some(cno), format!("VAR: cone dimensions add up to more than {nv}")))?;
                }
                if start != nv {
                    return Err(ls.err(Some(lno), format!("VAR: cone dimensions sum to {start}, expected {nv}")));
                }
                n = Some((nv, lno));
            }
            "PSDCON" => {
                let count = ls.count("the number of PSD constraints")?;
                let mut v = Vec::new();
                for _ in 0..count {
                    let (cno, c) = ls.fields(1, "a PSD constraint order")?;
                    let k: usize = ls.parse(cno, c[0], "a matrix order")?;
                    if k == 0 {
                        return Err(ls.err(Some(cno), "PSD constraint of order 0"));
                    }
                    v.push((groups.len(), k));
                    groups.push(Group { cone: Cone::Psd(k), line: cno, a: Vec::new(), b: Vec::new(), touched: Vec::new(), from_var: None });
                }
                psd_groups = Some(v);
            }
            "CON" => {
                let (lno, h) = ls.fields(2, "`<rows> <cones>`")?;
                let m: usize = ls.parse(lno, h[0], "the number of constraint rows")?;
                let kc: usize = ls.parse(lno, h[1], "the number of constraint cones")?;
                let mut runs = Vec::new();
                let mut total = 0usize;
                for _ in 0..kc {
                    let (cno, c) = ls.fields(2, "`<cone> <dimension>`")?;
                    let k: usize = ls.parse(cno, c[1], "a cone dimension")?;
                    match scalar_cone(c[0], k) {
                        Some((Kind::Cone(cone), sign)) => {
                            runs.push(ConRun { start: total, len: k, group: groups.len(), sign });
                            groups.push(Group { cone, line: cno, a: Vec::new(), b: Vec::new(), touched: Vec::new(), from_var: None });
                            total = total.checked_add(k).filter(|&t| t <= m).ok_or_else(|| ls.err(Some(cno), format!("CON: cone dimensions add up to more than {m}")))?;
                        }
                        _ => return Err(ls.err(Some(cno), format!("unsupported constraint cone `{}` (supported: L=, L+, L-, Q)", c[0]))),
                    }
                }
                if total != m {
                    return Err(ls.err(Some(lno), format!("CON: cone dimensions sum to {total}, expected {m}")));
                }
                con_runs = Some((runs, m));
            }
            "OBJACOORD" => {
                let nv = need_n(&ls, n)?;
                for _ in 0..ls.count("the number of entries")? {
                    let (eno, e) = ls.fields(2, "`<variable> <value>`")?;
                    let j: usize = ls.parse(eno, e[0], "a variable index")?;
                    if j >= nv {
                        return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                    }
                    dup(&ls, (0, j, 0, 0, 0), eno)?;
                    var_used.push((eno, j));
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
                let (runs, m) = con_runs.as_ref().ok_or_else(|| ls.err(Some(no), format!("{key} before CON")))?;
                let m = *m;
                let width = if key == "ACOORD" { 3 } else { 2 };
                let tag = if width == 3 { 1 } else { 2 };
                for _ in 0..ls.count("the number of entries")? {
                    let (eno, e) = ls.fields(width, if width == 3 { "`<row> <variable> <value>`" } else { "`<row> <value>`" })?;
                    let i: usize = ls.parse(eno, e[0], "a row index")?;
                    if i >= m {
                        return Err(ls.err(Some(eno), format!("row index {i} out of range (CON has {m} rows)")));
                    }
                    let run = &runs[runs.partition_point(|r| r.start + r.len <= i)];
                    let (g, local, sign) = (run.group, i - run.start, run.sign);
                    let v: f64 = ls.parse(eno, e[width - 1], "a number")?;
                    groups[g].touched.push(local);
                    if width == 3 {
                        let j: usize = ls.parse(eno, e[1], "a variable index")?;
                        if j >= nv {
                            return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                        }
                        dup(&ls, (tag, i, j, 0, 0), eno)?;
                        var_used.push((eno, j));
                        // ours: A = -sign * A_cbf
                        groups[g].a.push((local, j, -sign * v));
                    } else {
                        dup(&ls, (tag, i, 0, 0, 0), eno)?;
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
                    let (lo, hi) = if r <= c { (r, c) } else { (c, r) };
                    groups[g].touched.extend([r, c]);
                    if h {
                        let j: usize = ls.parse(eno, e[1], "a variable index")?;
                        if j >= nv {
                            return Err(ls.err(Some(eno), format!("variable index {j} out of range (n = {nv})")));
                        }
                        dup(&ls, (3, p, j, lo, hi), eno)?;
                        var_used.push((eno, j));
                        groups[g].a.push((local, j, -v * scale));
                    } else {
                        dup(&ls, (4, p, lo, hi, 0), eno)?;
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
    let (n, var_line) = n.ok_or_else(|| ls.err(None, "missing VAR section"))?;
    drop(seen_coord);

    // Content support, counted before allocating anything of a declared size: every variable
    // occurs in some coordinate, and so does every row of every constraint group.
    if n > var_used.len() {
        return Err(ls.err(Some(var_line), format!("VAR declares {n} variables but the file has only {} coordinates naming a variable (every variable must occur in some coordinate)", var_used.len())));
    }
    let unsupported = |g: &Group, what: String| ls.err(Some(g.line), format!("{what} (every row of a constraint must occur in some coordinate)"));
    for g in groups.iter().filter(|g| g.from_var.is_none()) {
        let rows_per_entry = if matches!(g.cone, Cone::Psd(_)) { 2 } else { 1 };
        let order = match g.cone {
            Cone::Psd(k) => k,
            other => other.dim(),
        };
        if order > (g.a.len() + g.b.len()).saturating_mul(rows_per_entry) {
            return Err(unsupported(g, format!("a {} constraint of size {order} has only {} coordinates", g.cone.name(), g.a.len() + g.b.len())));
        }
    }
    let mut used = vec![false; n];
    for &(_, j) in &var_used {
        used[j] = true;
    }
    if let Some(j) = used.iter().position(|&u| !u) {
        return Err(ls.err(Some(var_line), format!("variable {j} occurs in no coordinate (every variable must occur in some coordinate)")));
    }
    for g in groups.iter().filter(|g| g.from_var.is_none()) {
        let size = match g.cone {
            Cone::Psd(k) => k,
            other => other.dim(),
        };
        let mut touched = vec![false; size];
        for &r in &g.touched {
            touched[r] = true;
        }
        if let Some(r) = touched.iter().position(|&t| !t) {
            return Err(unsupported(g, format!("row {r} of this {} constraint occurs in no coordinate", g.cone.name())));
        }
    }
    // Variable cones become rows s = sign * x_J.
    for g in &mut groups {
        if let Some((start, sign)) = g.from_var {
            g.a = (0..g.cone.dim()).map(|t| (t, start + t, -sign)).collect();
        }
    }
    let mut qv = vec![0.0; n];
    for (_, j, v) in q {
        qv[j] += v;
    }
    // toolkit cone order; stable within a kind
    groups.sort_by_key(|g| g.cone.rank());
    let mut m = 0usize;
    for g in &groups {
        let d = g.cone.dim_checked().ok_or_else(|| ls.err(Some(g.line), "the constraint sizes add up to more rows than fit in memory"))?;
        m = m.checked_add(d).ok_or_else(|| ls.err(Some(g.line), "the constraint sizes add up to more rows than fit in memory"))?;
    }
    let nnz: usize = groups.iter().map(|g| g.a.len()).sum();
    let psd_orders = groups.iter().filter_map(|g| if let Cone::Psd(k) = g.cone { Some(k as f64) } else { None });
    crate::limits::check_bytes(crate::limits::problem_bytes(n as f64, m as f64, nnz as f64, psd_orders), || {
        format!("the problem in {} ({n} variables, {m} rows)", path.display())
    })?;
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
                // epigraph form: one more variable, one more (second-order) cone
                let back = from_str(&to_string(&e.problem, &ProblemMeta::default()).unwrap(), Path::new("t.cbf")).unwrap();
                assert_eq!(back.num_vars(), e.problem.num_vars() + 1, "{}", e.name);
                assert_eq!(back.cones.len(), e.problem.cones.len() + 1, "{}", e.name);
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
