//! JSON problem files: Clarabel's JSON problem layout plus a format tag, a version and a meta block.
//!
//! ```json
//! {
//!   "format": "convex-relu-conic",
//!   "version": 1,
//!   "meta": {"generator": "convex-relu 0.1.0", "formulation": "sdp-maxcut-c5", "layout": [{"name": "svec(X)", "start": 0, "len": 15}]},
//!   "P": {"m": 2, "n": 2, "colptr": [0, 1, 2], "rowval": [0, 1], "nzval": [1.0, 1.0]},
//!   "q": [-1.0, -1.0],
//!   "A": {"m": 1, "n": 2, "colptr": [0, 1, 2], "rowval": [0, 0], "nzval": [1.0, 1.0]},
//!   "b": [1.0],
//!   "cones": [{"ZeroConeT": 1}],
//!   "settings": { ... Clarabel's default settings ... }
//! }
//! ```
//!
//! * **Sign convention**: exactly the toolkit's standard form (and Clarabel's):
//!   `min 1/2 x'Px + q'x` s.t. `A x + s = b`, `s in K`. No sign is changed on export.
//! * **Matrices** are CSC with 0-based indices: `colptr` has `n + 1` entries starting at 0 and
//!   ending at the number of stored entries; `rowval` (row indices, strictly increasing within
//!   a column, `< m`) and `nzval` have that many. `P` holds the **upper triangle** only.
//! * **Cones**, in the order zero, nonnegative, second-order, PSD: `{"ZeroConeT": k}`,
//!   `{"NonnegativeConeT": k}`, `{"SecondOrderConeT": k}` (k = rows) and
//!   `{"PSDTriangleConeT": k}` (k = matrix order, `k(k+1)/2` rows).
//! * **PSD packing**: Clarabel's and the toolkit's: upper triangle, column by column,
//!   off-diagonal entries times sqrt 2 (see [`crate::conic::svec`]).
//! * **settings**: Clarabel's `DefaultSettings` defaults, written out in full (with
//!   `time_limit` infinity written as the largest f64, as Clarabel's own `save_to_file` does),
//!   so that Clarabel's loaders solve the file with their usual defaults. convex-relu ignores
//!   this object when reading (`solve-file` takes its settings from the command line).
//! * `format`, `version` and `meta` are extra fields; Clarabel's loader ignores them (tested).
//!   Files without `format` (e.g. written by Clarabel's `save_to_file`) are read as version 1.
//!
//! Reading validates every field and names it in the error, with what was expected and what
//! was found; JSON syntax errors carry the line and column.

use super::ProblemMeta;
use crate::conic::{Cone, ConicProblem, Csc};
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::path::Path;

/// The value of the `"format"` field.
pub const FORMAT_TAG: &str = "convex-relu-conic";
/// The current (and only) value of the `"version"` field.
pub const VERSION: u64 = 1;

/// Clarabel 0.11.1's `DefaultSettings::default()` as JSON (with `time_limit` = f64::MAX for
/// infinity, the substitution Clarabel's own JSON writer and reader make). A unit test checks
/// this against the clarabel crate when the `clarabel` feature is on.
pub fn clarabel_default_settings() -> Value {
    let fields: [(&str, Value); 43] = [
        ("max_iter", json!(200)),
        ("time_limit", json!(f64::MAX)),
        ("verbose", json!(true)),
        ("max_step_fraction", json!(0.99)),
        ("tol_gap_abs", json!(1e-8)),
        ("tol_gap_rel", json!(1e-8)),
        ("tol_feas", json!(1e-8)),
        ("tol_infeas_abs", json!(1e-8)),
        ("tol_infeas_rel", json!(1e-8)),
        ("tol_ktratio", json!(1e-6)),
        ("reduced_tol_gap_abs", json!(5e-5)),
        ("reduced_tol_gap_rel", json!(5e-5)),
        ("reduced_tol_feas", json!(1e-4)),
        ("reduced_tol_infeas_abs", json!(5e-12)),
        ("reduced_tol_infeas_rel", json!(5e-5)),
        ("reduced_tol_ktratio", json!(1e-4)),
        ("equilibrate_enable", json!(true)),
        ("equilibrate_max_iter", json!(10)),
        ("equilibrate_min_scaling", json!(1e-4)),
        ("equilibrate_max_scaling", json!(1e4)),
        ("linesearch_backtrack_step", json!(0.8)),
        ("min_switch_step_length", json!(1e-1)),
        ("min_terminate_step_length", json!(1e-4)),
        ("max_threads", json!(0)),
        ("direct_kkt_solver", json!(true)),
        ("direct_solve_method", json!("auto")),
        ("static_regularization_enable", json!(true)),
        ("static_regularization_constant", json!(1e-8)),
        ("static_regularization_proportional", json!(f64::EPSILON * f64::EPSILON)),
        ("dynamic_regularization_enable", json!(true)),
        ("dynamic_regularization_eps", json!(1e-13)),
        ("dynamic_regularization_delta", json!(2e-7)),
        ("iterative_refinement_enable", json!(true)),
        ("iterative_refinement_reltol", json!(1e-13)),
        ("iterative_refinement_abstol", json!(1e-12)),
        ("iterative_refinement_max_iter", json!(10)),
        ("iterative_refinement_stop_ratio", json!(5.0)),
        ("presolve_enable", json!(true)),
        ("input_sparse_dropzeros", json!(false)),
        ("chordal_decomposition_enable", json!(true)),
        ("chordal_decomposition_merge_method", json!("clique_graph")),
        ("chordal_decomposition_compact", json!(true)),
        ("chordal_decomposition_complete_dual", json!(true)),
    ];
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}


fn matrix_json(m: &Csc) -> Value {
    let m = if m.is_csc() { m.clone() } else { m.to_csc() };
    let (rows, cols) = m.shape();
    let mut colptr = Vec::with_capacity(cols + 1);
    let mut rowval = Vec::with_capacity(m.nnz());
    let mut nzval = Vec::with_capacity(m.nnz());
    colptr.push(0usize);
    for col in m.outer_iterator() {
        let mut entries: Vec<(usize, f64)> = col.iter().map(|(r, &v)| (r, v)).collect();
        entries.sort_by_key(|e| e.0);
        for (r, v) in entries {
            rowval.push(r);
            nzval.push(v);
        }
        colptr.push(rowval.len());
    }
    json!({"m": rows, "n": cols, "colptr": colptr, "rowval": rowval, "nzval": nzval})
}

fn cone_json(c: &Cone) -> Value {
    match *c {
        Cone::Zero(k) => json!({"ZeroConeT": k}),
        Cone::Nonnegative(k) => json!({"NonnegativeConeT": k}),
        Cone::SecondOrder(k) => json!({"SecondOrderConeT": k}),
        Cone::Psd(k) => json!({"PSDTriangleConeT": k}),
    }
}

/// The JSON text of `problem` with `meta` (one top-level field per line).
pub fn to_string(problem: &ConicProblem, meta: &ProblemMeta) -> Result<String> {
    let fields: Vec<(&str, Value)> = vec![
        ("format", json!(FORMAT_TAG)),
        ("version", json!(VERSION)),
        ("meta", serde_json::to_value(meta).map_err(|e| Error::InvalidArgument(format!("meta: {e}")))?),
        ("P", matrix_json(&problem.p)),
        ("q", json!(problem.q)),
        ("A", matrix_json(&problem.a)),
        ("b", json!(problem.b)),
        ("cones", Value::Array(problem.cones.iter().map(cone_json).collect())),
        ("settings", clarabel_default_settings()),
    ];
    let mut out = String::from("{\n");
    for (i, (name, value)) in fields.iter().enumerate() {
        // serde_json writes finite f64 in shortest round-trip form; validate() rejected non-finite.
        let text = serde_json::to_string(value).map_err(|e| Error::InvalidArgument(format!("{name}: {e}")))?;
        out.push_str(&format!("  \"{name}\": {text}{}\n", if i + 1 < fields.len() { "," } else { "" }));
    }
    out.push_str("}\n");
    Ok(out)
}

/// What kind of JSON value `v` is, for error messages.
fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("string \"{short}\"")
        }
        Value::Array(a) => format!("an array of length {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn err(&self, field: &str, expected: impl std::fmt::Display, found: impl std::fmt::Display) -> Error {
        Error::Parse { path: self.path.to_path_buf(), line: None, column: None, message: format!("field `{field}`: expected {expected}, found {found}") }
    }

    fn get<'v>(&self, obj: &'v Map<String, Value>, parent: &str, key: &str) -> Result<&'v Value> {
        let field = if parent.is_empty() { key.to_string() } else { format!("{parent}.{key}") };
        obj.get(key).ok_or_else(|| self.err(&field, "this field to be present", "it missing"))
    }

    fn usize(&self, v: &Value, field: &str) -> Result<usize> {
        v.as_u64().and_then(|u| usize::try_from(u).ok()).ok_or_else(|| self.err(field, "a non-negative integer", kind(v)))
    }

    fn usize_array(&self, v: &Value, field: &str) -> Result<Vec<usize>> {
        let arr = v.as_array().ok_or_else(|| self.err(field, "an array of non-negative integers", kind(v)))?;
        arr.iter().enumerate().map(|(i, x)| self.usize(x, &format!("{field}[{i}]"))).collect()
    }

    fn f64_array(&self, v: &Value, field: &str) -> Result<Vec<f64>> {
        let arr = v.as_array().ok_or_else(|| self.err(field, "an array of numbers", kind(v)))?;
        arr.iter()
            .enumerate()
            .map(|(i, x)| x.as_f64().ok_or_else(|| self.err(&format!("{field}[{i}]"), "a number", kind(x))))
            .collect()
    }

    fn matrix(&self, v: &Value, field: &str) -> Result<Csc> {
        let obj = v.as_object().ok_or_else(|| self.err(field, "a CSC matrix object {m, n, colptr, rowval, nzval}", kind(v)))?;
        let m = self.usize(self.get(obj, field, "m")?, &format!("{field}.m"))?;
        let n = self.usize(self.get(obj, field, "n")?, &format!("{field}.n"))?;
        let colptr = self.usize_array(self.get(obj, field, "colptr")?, &format!("{field}.colptr"))?;
        let rowval = self.usize_array(self.get(obj, field, "rowval")?, &format!("{field}.rowval"))?;
        let nzval = self.f64_array(self.get(obj, field, "nzval")?, &format!("{field}.nzval"))?;
        if colptr.len() != n + 1 {
            return Err(self.err(&format!("{field}.colptr"), format!("length n + 1 = {}", n + 1), format!("length {}", colptr.len())));
        }
        if colptr[0] != 0 {
            return Err(self.err(&format!("{field}.colptr[0]"), "0", colptr[0]));
        }
        if let Some(j) = (0..n).find(|&j| colptr[j + 1] < colptr[j]) {
            return Err(self.err(&format!("{field}.colptr[{}]", j + 1), format!("a value >= colptr[{j}] = {} (non-decreasing)", colptr[j]), colptr[j + 1]));
        }
        let nnz = colptr[n];
        if rowval.len() != nnz {
            return Err(self.err(&format!("{field}.rowval"), format!("length colptr[n] = {nnz}"), format!("length {}", rowval.len())));
        }
        if nzval.len() != nnz {
            return Err(self.err(&format!("{field}.nzval"), format!("length colptr[n] = {nnz}"), format!("length {}", nzval.len())));
        }
        if let Some(k) = rowval.iter().position(|&r| r >= m) {
            return Err(self.err(&format!("{field}.rowval[{k}]"), format!("a row index < m = {m}"), rowval[k]));
        }
        for j in 0..n {
            for k in colptr[j] + 1..colptr[j + 1] {
                if rowval[k] <= rowval[k - 1] {
                    return Err(self.err(
                        &format!("{field}.rowval[{k}]"),
                        format!("row indices strictly increasing within column {j} (> {})", rowval[k - 1]),
                        rowval[k],
                    ));
                }
            }
        }
        Csc::try_new_csc((m, n), colptr, rowval, nzval).map_err(|(_, _, _, e)| self.err(field, "a valid CSC matrix", e))
    }

    fn cone(&self, v: &Value, field: &str) -> Result<Cone> {
        const KNOWN: &str = "one of {\"ZeroConeT\": k}, {\"NonnegativeConeT\": k}, {\"SecondOrderConeT\": k}, {\"PSDTriangleConeT\": k}";
        let obj = v.as_object().filter(|o| o.len() == 1).ok_or_else(|| self.err(field, KNOWN, kind(v)))?;
        let (name, size) = obj.iter().next().expect("one entry");
        let make: fn(usize) -> Cone = match name.as_str() {
            "ZeroConeT" => Cone::Zero,
            "NonnegativeConeT" => Cone::Nonnegative,
            "SecondOrderConeT" => Cone::SecondOrder,
            "PSDTriangleConeT" => Cone::Psd,
            other => return Err(self.err(field, KNOWN, format!("unknown or unsupported cone \"{other}\""))),
        };
        Ok(make(self.usize(size, &format!("{field}.{name}"))?))
    }
}

/// Parses and validates a JSON problem file's text (`path` is for error messages).
pub fn from_str(text: &str, path: &Path) -> Result<(ConicProblem, ProblemMeta)> {
    let root: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: Some(e.line()),
        column: Some(e.column().to_string()),
        message: format!("invalid JSON: {e}"),
    })?;
    let r = Reader { path };
    let obj = root.as_object().ok_or_else(|| r.err("(top level)", "a JSON object", kind(&root)))?;
    if let Some(tag) = obj.get("format") {
        if tag.as_str() != Some(FORMAT_TAG) {
            return Err(r.err("format", format!("\"{FORMAT_TAG}\""), kind(tag)));
        }
        let version = r.get(obj, "", "version")?;
        if version.as_u64() != Some(VERSION) {
            return Err(r.err("version", format!("{VERSION} (the only version this build reads)"), kind(version)));
        }
    }
    let meta = match obj.get("meta") {
        None | Some(Value::Null) => ProblemMeta::default(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| r.err("meta", "a meta object (generator, formulation, n, d, c, beta, layout, notes; all optional)", e))?,
    };
    if let Some(s) = obj.get("settings") {
        if !s.is_object() {
            return Err(r.err("settings", "an object (Clarabel settings)", kind(s)));
        }
    }
    let p = r.matrix(r.get(obj, "", "P")?, "P")?;
    let q = r.f64_array(r.get(obj, "", "q")?, "q")?;
    let a = r.matrix(r.get(obj, "", "A")?, "A")?;
    let b = r.f64_array(r.get(obj, "", "b")?, "b")?;
    let cones_v = r.get(obj, "", "cones")?;
    let cones_arr = cones_v.as_array().ok_or_else(|| r.err("cones", "an array of cones", kind(cones_v)))?;
    let cones = cones_arr.iter().enumerate().map(|(i, c)| r.cone(c, &format!("cones[{i}]"))).collect::<Result<Vec<_>>>()?;
    let problem = ConicProblem { p, q, a, b, cones };
    problem.validate().map_err(|e| Error::Parse { path: path.to_path_buf(), line: None, column: None, message: e.to_string() })?;
    Ok((problem, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "clarabel")]
    #[test]
    fn default_settings_match_the_clarabel_crate() {
        let s = clarabel::solver::DefaultSettings::<f64> { time_limit: f64::MAX, ..Default::default() };
        let from_crate = serde_json::to_value(&s).unwrap();
        assert_eq!(from_crate, clarabel_default_settings());
    }

    #[test]
    fn round_trip_catalogue_text() {
        for e in crate::catalogue::all() {
            let text = to_string(&e.problem, &ProblemMeta::generated()).unwrap();
            let (back, meta) = from_str(&text, Path::new("t.json")).unwrap();
            assert_eq!(back.p, e.problem.p);
            assert_eq!(back.a, e.problem.a);
            assert_eq!(back.q, e.problem.q);
            assert_eq!(back.b, e.problem.b);
            assert_eq!(back.cones, e.problem.cones);
            assert_eq!(meta, ProblemMeta::generated());
        }
    }
}
