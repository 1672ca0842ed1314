//! Exported problem files: JSON round trips and Clarabel's own loader, SDPA files re-solved by
//! the external SDP solvers (CSDP required; SDPA and DSDP when installed), CBF round trips,
//! and one test per malformed JSON input asserting the error names the field.

use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::catalogue::{self, Entry, Expected};
use convex_relu::conic::{check_solution, ConicProblem};
use convex_relu::export::{self, cbf, Format, LayoutBlock, ProblemMeta};
use convex_relu::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh, empty directory for one test under cargo's per-target scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_same_problem(a: &ConicProblem, b: &ConicProblem, what: &str) {
    assert_eq!(a.cones, b.cones, "{what}: cones");
    assert_eq!(a.q, b.q, "{what}: q");
    assert_eq!(a.b, b.b, "{what}: b");
    assert_eq!(a.p, b.p, "{what}: P");
    assert_eq!(a.a, b.a, "{what}: A");
}

/// Solves with the backend and checks the entry's known answer (objective tolerance relative).
fn check_solves(problem: &ConicProblem, entry: &Entry, kind: BackendKind, tol: f64) {
    let settings = SolveSettings { tolerance: Some(if kind == BackendKind::Clarabel { 1e-9 } else { 1e-8 }), ..Default::default() };
    let sol = backend::solve(problem, kind, &settings).unwrap_or_else(|e| panic!("{kind} on {}: {e}", entry.name));
    match entry.expected {
        Expected::Optimal(v) => {
            assert_eq!(sol.status, Status::Solved, "{kind} on {}", entry.name);
            let chk = check_solution(problem, &sol.x, &sol.s, &sol.z);
            assert!((chk.primal_objective - v).abs() <= tol * (1.0 + v.abs()), "{kind} on {}: {} vs {v}", entry.name, chk.primal_objective);
        }
        Expected::PrimalInfeasible => assert_eq!(sol.status, Status::PrimalInfeasible, "{}", entry.name),
        Expected::DualInfeasible => assert_eq!(sol.status, Status::DualInfeasible, "{}", entry.name),
    }
}

fn meta_for(entry: &Entry) -> ProblemMeta {
    ProblemMeta { formulation: Some(entry.name.to_string()), ..ProblemMeta::generated() }
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_round_trip_of_the_catalogue_solves_to_the_known_values() {
    let dir = scratch("json_round_trip");
    for entry in catalogue::all() {
        let path = dir.join(format!("{}.json", entry.name));
        assert_eq!(export::write(&entry.problem, &meta_for(&entry), &path, false).unwrap(), Format::Json);
        let file = export::read(&path).unwrap();
        assert_eq!(file.format, Format::Json);
        assert_eq!(file.meta, meta_for(&entry));
        assert_same_problem(&file.problem, &entry.problem, entry.name);
        check_solves(&file.problem, &entry, BackendKind::Clarabel, 1e-6);
    }
}

#[test]
fn json_round_trip_of_the_catalogue_solves_to_the_known_values_scs() {
    let dir = scratch("json_round_trip_scs");
    for entry in catalogue::all() {
        let path = dir.join(format!("{}.json", entry.name));
        export::write(&entry.problem, &meta_for(&entry), &path, false).unwrap();
        check_solves(&export::read(&path).unwrap().problem, &entry, BackendKind::Scs, 1e-4);
    }
}

#[cfg(feature = "clarabel")]
#[test]
fn clarabel_own_loader_reads_and_solves_our_json() {
    use clarabel::solver::{DefaultSolver, IPSolver, SolverJSONReadWrite, SolverStatus};
    let dir = scratch("clarabel_loader");
    for entry in catalogue::all() {
        let path = dir.join(format!("{}.json", entry.name));
        export::write(&entry.problem, &meta_for(&entry), &path, false).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        // `None`: Clarabel takes the settings object from the file, so this also checks that object.
        let solver = DefaultSolver::<f64>::load_from_file(&mut f, None).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        drop(solver);
        // Solve quietly: the same file with explicit settings (Clarabel's defaults are verbose).
        let quiet = clarabel::solver::DefaultSettings::<f64> { verbose: false, ..Default::default() };
        let mut solver = DefaultSolver::<f64>::load_from_file(&mut std::fs::File::open(&path).unwrap(), Some(quiet)).unwrap();
        solver.solve();
        match entry.expected {
            Expected::Optimal(v) => {
                assert_eq!(solver.solution.status, SolverStatus::Solved, "{}", entry.name);
                assert!((solver.solution.obj_val - v).abs() <= 1e-6 * (1.0 + v.abs()), "{}: {} vs {v}", entry.name, solver.solution.obj_val);
            }
            Expected::PrimalInfeasible => assert_eq!(solver.solution.status, SolverStatus::PrimalInfeasible, "{}", entry.name),
            Expected::DualInfeasible => assert_eq!(solver.solution.status, SolverStatus::DualInfeasible, "{}", entry.name),
        }
    }
}

#[cfg(feature = "clarabel")]
#[test]
fn files_written_by_clarabel_save_to_file_are_readable() {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{DefaultSettings, DefaultSolver, SolverJSONReadWrite};
    let dir = scratch("clarabel_save");
    for entry in catalogue::all() {
        let to = |m: &convex_relu::conic::Csc| {
            let (r, c) = m.shape();
            let (p, i, v) = m.clone().into_raw_storage();
            CscMatrix::new(r, c, p, i, v)
        };
        let cones: Vec<_> = entry
            .problem
            .cones
            .iter()
            .map(|c| match *c {
                convex_relu::conic::Cone::Zero(k) => clarabel::solver::SupportedConeT::ZeroConeT(k),
                convex_relu::conic::Cone::Nonnegative(k) => clarabel::solver::SupportedConeT::NonnegativeConeT(k),
                convex_relu::conic::Cone::SecondOrder(k) => clarabel::solver::SupportedConeT::SecondOrderConeT(k),
                convex_relu::conic::Cone::Psd(k) => clarabel::solver::SupportedConeT::PSDTriangleConeT(k),
            })
            .collect();
        let settings = DefaultSettings::<f64> { verbose: false, ..Default::default() };
        let solver = DefaultSolver::new(&to(&entry.problem.p), &entry.problem.q, &to(&entry.problem.a), &entry.problem.b, &cones, settings).unwrap();
        let path = dir.join(format!("{}.json", entry.name));
        solver.save_to_file(&mut std::fs::File::create(&path).unwrap()).unwrap();
        // no "format"/"version"/"meta": read as version 1 with an empty meta block
        let file = export::read(&path).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(file.meta, ProblemMeta::default());
        assert_eq!(file.problem.cones, entry.problem.cones, "{}", entry.name);
        check_solves(&file.problem, &entry, BackendKind::Clarabel, 1e-6);
    }
}

#[test]
fn meta_block_round_trips() {
    let dir = scratch("meta");
    let meta = ProblemMeta {
        generator: Some("test".into()),
        formulation: Some("cpp-sdp".into()),
        n: Some(8),
        d: Some(2),
        c: Some(1),
        beta: Some(0.1),
        layout: vec![LayoutBlock { name: "svec(X)".into(), start: 0, len: 15 }],
        notes: vec!["a note".into(), "another".into()],
    };
    let entry = catalogue::by_name("sdp-maxcut-c5").unwrap();
    let path = dir.join("m.json");
    export::write(&entry.problem, &meta, &path, false).unwrap();
    assert_eq!(export::read(&path).unwrap().meta, meta);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "convex-relu-conic");
    assert_eq!(v["version"], 1);
    assert_eq!(v["cones"], serde_json::json!([{"ZeroConeT": 5}, {"PSDTriangleConeT": 5}]));
    assert_eq!(v["A"]["m"], 20);
    assert_eq!(v["A"]["colptr"].as_array().unwrap().len(), 16);
}

#[test]
fn write_refuses_to_overwrite_unless_asked() {
    let dir = scratch("overwrite");
    let entry = catalogue::by_name("lp-2d").unwrap();
    for ext in ["json", "dat-s", "cbf"] {
        let path = dir.join(format!("p.{ext}"));
        export::write(&entry.problem, &ProblemMeta::default(), &path, false).unwrap();
        let before = std::fs::read(&path).unwrap();
        let msg = export::write(&entry.problem, &ProblemMeta::default(), &path, false).unwrap_err().to_string();
        assert!(msg.contains("already exists") && msg.contains("overwrite"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        export::write(&entry.problem, &ProblemMeta::default(), &path, true).unwrap();
    }
    let msg = export::write(&entry.problem, &ProblemMeta::default(), dir.join("p.lp"), false).unwrap_err().to_string();
    assert!(msg.contains(".json") && msg.contains(".dat-s") && msg.contains(".cbf"), "{msg}");
    let back = export::read(dir.join("p.dat-s")).unwrap();
    assert_eq!(back.format, Format::Sdpa);
    assert_same_problem(&back.problem, &entry.problem, "lp-2d through SDPA");
}

// ---------------------------------------------------------------- malformed JSON

/// A valid file's JSON value, to be broken by each case.
fn valid_json() -> serde_json::Value {
    let entry = catalogue::by_name("sdp-offdiag").unwrap();
    serde_json::from_str(&export::to_string(&entry.problem, &ProblemMeta::default(), Format::Json).unwrap()).unwrap()
}

fn read_broken(name: &str, text: &str) -> Error {
    let dir = scratch(&format!("malformed_{name}"));
    let path = dir.join("bad.json");
    std::fs::write(&path, text).unwrap();
    export::read(&path).expect_err(name)
}

fn broken_message(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v = valid_json();
    edit(&mut v);
    let err = read_broken(name, &serde_json::to_string_pretty(&v).unwrap());
    assert!(matches!(err, Error::Parse { .. }), "{name}: {err:?}");
    err.to_string()
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{msg}` does not mention `{p}`");
    }
}

#[test]
fn malformed_json_errors_name_the_field() {
    use serde_json::json;
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
        ("missing_q", Box::new(|v| { v.as_object_mut().unwrap().remove("q"); }), vec!["`q`", "missing"]),
        ("missing_colptr", Box::new(|v| { v["A"].as_object_mut().unwrap().remove("colptr"); }), vec!["`A.colptr`", "missing"]),
        ("q_wrong_type", Box::new(|v| v["q"] = json!("abc")), vec!["`q`", "array of numbers", "string \"abc\""]),
        ("b_entry_wrong_type", Box::new(|v| v["b"][2] = json!(null)), vec!["`b[2]`", "a number", "null"]),
        ("m_negative", Box::new(|v| v["A"]["m"] = json!(-1)), vec!["`A.m`", "non-negative integer", "-1"]),
        ("colptr_length", Box::new(|v| { v["A"]["colptr"].as_array_mut().unwrap().pop(); }), vec!["`A.colptr`", "length n + 1 = 4", "length 3"]),
        ("rowval_range", Box::new(|v| v["A"]["rowval"][0] = json!(99)), vec!["`A.rowval[0]`", "< m = 4", "99"]),
        ("nzval_length", Box::new(|v| { v["A"]["nzval"].as_array_mut().unwrap().push(json!(1.0)); }), vec!["`A.nzval`", "length colptr[n] = ", "found length"]),
        ("rowval_unsorted", Box::new(|v| { let r = v["A"]["rowval"].as_array_mut().unwrap(); r.swap(1, 2); }), vec!["`A.rowval[2]`", "strictly increasing"]),
        ("unknown_cone", Box::new(|v| v["cones"][0] = json!({"ExponentialConeT": []})), vec!["`cones[0]`", "ZeroConeT", "\"ExponentialConeT\""]),
        ("cone_size_type", Box::new(|v| v["cones"][1] = json!({"PSDTriangleConeT": "two"})), vec!["`cones[1].PSDTriangleConeT`", "non-negative integer", "string"]),
        ("cone_dims", Box::new(|v| v["cones"][1] = json!({"PSDTriangleConeT": 3})), vec!["cones", "summing to 4", "found 7"]),
        ("q_length", Box::new(|v| { v["q"].as_array_mut().unwrap().push(json!(0.0)); }), vec!["P", "4 x 4", "found 3 x 3"]),
        ("p_lower", Box::new(|v| v["P"] = json!({"m": 3, "n": 3, "colptr": [0, 1, 1, 1], "rowval": [2], "nzval": [1.0]})), vec!["P", "upper triangle"]),
        ("format_tag", Box::new(|v| v["format"] = json!("something-else")), vec!["`format`", "convex-relu-conic"]),
        ("version", Box::new(|v| v["version"] = json!(2)), vec!["`version`", "1", "number 2"]),
        ("meta_type", Box::new(|v| v["meta"]["n"] = json!("eight")), vec!["`meta`"]),
        ("settings_type", Box::new(|v| v["settings"] = json!(3)), vec!["`settings`", "object"]),
        ("top_level_array", Box::new(|v| *v = json!([1, 2])), vec!["top level", "object", "array"]),
    ];
    for (name, edit, parts) in cases {
        let msg = broken_message(name, edit);
        assert_mentions(&msg, &parts);
        assert!(msg.contains("bad.json"), "{name}: {msg}");
    }
}

#[test]
fn truncated_or_invalid_json_gives_line_and_column() {
    let text = export::to_string(&catalogue::by_name("sdp-offdiag").unwrap().problem, &ProblemMeta::default(), Format::Json).unwrap();
    let cut = &text[..text.len() / 2];
    let err = read_broken("truncated", cut);
    match &err {
        Error::Parse { line: Some(l), column: Some(_), .. } => assert!(*l >= 1),
        other => panic!("expected a parse error with a location, got {other:?}"),
    }
    assert_mentions(&err.to_string(), &["line", "column", "invalid JSON"]);
    let err = read_broken("syntax", "{\n  \"q\": [1, 2,, 3]\n}");
    assert!(matches!(err, Error::Parse { line: Some(2), .. }), "{err:?}");
    let err = read_broken("empty", "");
    assert!(matches!(err, Error::Parse { line: Some(_), .. }), "{err:?}");
}

#[test]
fn reading_a_missing_file_is_an_io_error() {
    let err = export::read(scratch("missing").join("nope.json")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

// ---------------------------------------------------------------- SDPA and the external solvers

/// The SDPA-expressible catalogue entries with a known optimum: no SOC, no quadratic term.
fn sdpa_entries() -> Vec<(Entry, f64)> {
    catalogue::all()
        .into_iter()
        .filter_map(|e| match e.expected {
            Expected::Optimal(v) if e.problem.p.nnz() == 0 && !e.problem.cones.iter().any(|c| matches!(c, convex_relu::conic::Cone::SecondOrder(_))) => Some((e, v)),
            _ => None,
        })
        .collect()
}

fn have(binary: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {binary}")).output().map(|o| o.status.success()).unwrap_or(false)
}

/// The first number after `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let rest = rest.trim_start_matches(|c: char| c == ':' || c == '=' || c.is_whitespace());
    rest.split_whitespace().next()?.parse().ok()
}

fn write_sdpa(dir: &Path, entry: &Entry) -> PathBuf {
    let path = dir.join(format!("{}.dat-s", entry.name));
    export::write(&entry.problem, &meta_for(entry), &path, true).unwrap();
    path
}

fn clarabel_value(entry: &Entry) -> f64 {
    let sol = backend::solve(&entry.problem, BackendKind::Clarabel, &SolveSettings { tolerance: Some(1e-9), ..Default::default() }).unwrap();
    assert_eq!(sol.status, Status::Solved);
    sol.primal_objective
}

fn scs_value(entry: &Entry) -> f64 {
    let sol = backend::solve(&entry.problem, BackendKind::Scs, &SolveSettings { tolerance: Some(1e-8), ..Default::default() }).unwrap();
    assert_eq!(sol.status, Status::Solved, "scs on {}", entry.name);
    sol.primal_objective
}

fn close(found: f64, expected: f64, tol: f64) -> bool {
    (found - expected).abs() <= tol * (1.0 + expected.abs())
}

#[test]
fn sdpa_files_have_psd_entries_in_the_upper_triangle_only() {
    let dir = scratch("sdpa_upper");
    for (entry, _) in sdpa_entries() {
        let text = std::fs::read_to_string(write_sdpa(&dir, &entry)).unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('"') && !l.starts_with('*')).collect();
        let blocks: Vec<i64> = body[2].split_whitespace().take_while(|t| t.parse::<i64>().is_ok()).map(|t| t.parse().unwrap()).collect();
        for l in &body[4..] {
            let f: Vec<usize> = l.split_whitespace().take(4).map(|t| t.parse().unwrap()).collect();
            let size = blocks[f[1] - 1];
            assert!(f[2] <= f[3], "{}: entry with i > j: {l}", entry.name);
            if size < 0 {
                assert_eq!(f[2], f[3], "{}: off-diagonal entry in an LP block: {l}", entry.name);
            }
        }
    }
}

#[test]
fn csdp_solves_the_exported_catalogue_to_the_known_values() {
    assert!(
        have("csdp"),
        "the CSDP binary `csdp` is not installed; run the project's setup script (it installs the Debian packages coinor-csdp, sdpa and dsdp)"
    );
    let dir = scratch("csdp");
    let mut solved_psd = 0;
    for (entry, value) in sdpa_entries() {
        let file = write_sdpa(&dir, &entry);
        let sol = dir.join(format!("{}.sol", entry.name));
        let out = Command::new("csdp").arg(&file).arg(&sol).current_dir(&dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "csdp on {}: exit {:?}\n{stdout}", entry.name, out.status);
        // CSDP's "primal" is SDPA's dual (max <F0, Y>); at the optimum both printed values are our optimum, same sign.
        let primal = number_after(&stdout, "Primal objective value").unwrap_or_else(|| panic!("no primal objective in\n{stdout}"));
        let dual = number_after(&stdout, "Dual objective value").unwrap();
        let clarabel = clarabel_value(&entry);
        let scs = scs_value(&entry);
        for (what, v) in [("primal", primal), ("dual", dual)] {
            assert!(close(v, value, 1e-6), "csdp {what} objective on {}: {v} vs known {value}", entry.name);
            assert!(close(v, clarabel, 1e-6), "csdp {what} objective on {}: {v} vs Clarabel {clarabel}", entry.name);
            assert!(close(v, scs, 1e-5), "csdp {what} objective on {}: {v} vs SCS {scs}", entry.name);
        }
        // The first line of CSDP's solution file is y, which is our x: check its objective too.
        let y: Vec<f64> = std::fs::read_to_string(&sol).unwrap().lines().next().unwrap().split_whitespace().map(|t| t.parse().unwrap()).collect();
        assert!(close(entry.problem.objective(&y), value, 1e-6), "{}: objective of CSDP's x", entry.name);
        solved_psd += entry.has_psd as usize;
    }
    assert!(solved_psd >= 3, "expected the SDP catalogue entries to be checked");
}

#[test]
fn sdpa_solves_the_exported_catalogue_to_the_known_values() {
    if !have("sdpa") {
        eprintln!("note: `sdpa` is not installed; skipping (run the project's setup script to install it)");
        return;
    }
    let dir = scratch("sdpa");
    for (entry, value) in sdpa_entries() {
        let file = write_sdpa(&dir, &entry);
        let out_file = dir.join(format!("{}.out", entry.name));
        let out = Command::new("sdpa").arg("-ds").arg(&file).arg("-o").arg(&out_file).current_dir(&dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "sdpa on {}: {:?}\n{stdout}", entry.name, out.status);
        // SDPA's primal is min c'x: objValPrimal is our objective, same sign.
        let primal = number_after(&stdout, "objValPrimal").unwrap_or_else(|| panic!("no objValPrimal in\n{stdout}"));
        let dual = number_after(&stdout, "objValDual").unwrap();
        // At its default precision SDPA stops with pdOPT or, on the problems whose equalities
        // became pairs of LP rows, pdFEAS with a relative gap near 1e-7: both are answers.
        assert!(stdout.contains("pdOPT") || stdout.contains("pdFEAS"), "sdpa on {}: neither pdOPT nor pdFEAS\n{stdout}", entry.name);
        for (what, v) in [("primal", primal), ("dual", dual)] {
            assert!(close(v, value, 1e-5), "sdpa {what} objective on {}: {v} vs known {value}", entry.name);
        }
    }
}

#[test]
fn dsdp_solves_the_exported_catalogue_to_the_known_values() {
    if !have("dsdp5") {
        eprintln!("note: `dsdp5` is not installed; skipping (run the project's setup script to install it)");
        return;
    }
    let dir = scratch("dsdp");
    for (entry, value) in sdpa_entries() {
        let file = write_sdpa(&dir, &entry);
        let out = Command::new("dsdp5").arg(&file).current_dir(&dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "dsdp5 on {}: {:?}\n{stdout}", entry.name, out.status);
        // DSDP maximises -c'y: both printed values are MINUS our optimum.
        let p = number_after(&stdout, "P Objective  :").unwrap_or_else(|| panic!("no P Objective in\n{stdout}"));
        let d = number_after(&stdout, "DSDP Solution:").unwrap();
        for (what, v) in [("P Objective", p), ("DSDP Solution", d)] {
            assert!(close(-v, value, 1e-5), "dsdp {what} on {}: -({v}) vs known {value}", entry.name);
        }
    }
}

#[test]
fn sdpa_read_back_solves_to_the_known_values() {
    // Equalities come back as pairs of inequalities: same optimum, different rows.
    let dir = scratch("sdpa_read_back");
    for (entry, _) in sdpa_entries() {
        let back = export::read(write_sdpa(&dir, &entry)).unwrap();
        assert_eq!(back.problem.num_vars(), entry.problem.num_vars());
        assert_eq!(back.problem.q, entry.problem.q);
        check_solves(&back.problem, &entry, BackendKind::Clarabel, 1e-6);
    }
}

/// Second-order cones and quadratic objectives used to make the SDPA export fail; now they are
/// rewritten (arrow blocks, epigraph block) and the file solves to the catalogue's value.
#[test]
fn sdpa_export_of_soc_and_quadratic_solves_to_the_known_values() {
    let dir = scratch("sdpa_soc_qp");
    for name in ["socp-disc", "qp-simplex"] {
        let entry = catalogue::by_name(name).unwrap();
        let path = dir.join(format!("{name}.dat-s"));
        export::write(&entry.problem, &ProblemMeta::default(), &path, false).unwrap();
        let back = export::read(&path).unwrap();
        check_solves(&back.problem, &entry, BackendKind::Clarabel, 1e-6);
    }
}

// ---------------------------------------------------------------- CBF

#[test]
fn cbf_round_trip_of_the_catalogue_solves_to_the_known_values() {
    let dir = scratch("cbf");
    for entry in catalogue::all() {
        let path = dir.join(format!("{}.cbf", entry.name));
        if entry.problem.p.nnz() > 0 {
            // epigraph form (a rotated cone on one more variable): same optimum
            export::write(&entry.problem, &ProblemMeta::default(), &path, false).unwrap();
            let back = export::read(&path).unwrap();
            assert_eq!(back.problem.num_vars(), entry.problem.num_vars() + 1);
            check_solves(&back.problem, &entry, BackendKind::Clarabel, 1e-6);
            continue;
        }
        export::write(&entry.problem, &meta_for(&entry), &path, false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // structure: version 3, minimisation, free variables, -A and +b
        assert!(text.contains("VER\n3\n") && text.contains("OBJSENSE\nMIN\n"), "{text}");
        assert!(text.contains(&format!("VAR\n{n} 1\nF {n}\n", n = entry.problem.num_vars())), "{text}");
        assert_eq!(entry.has_psd, text.contains("PSDCON"), "{}", entry.name);
        let file = export::read(&path).unwrap();
        assert_eq!(file.format, Format::Cbf);
        let back = file.problem;
        assert_eq!(back.cones, entry.problem.cones, "{}", entry.name);
        assert_eq!(back.q, entry.problem.q, "{}", entry.name);
        let diff = (&back.a.to_dense() - &entry.problem.a.to_dense()).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(diff < 1e-14, "{}: A differs by {diff}", entry.name);
        assert!(back.b.iter().zip(&entry.problem.b).all(|(x, y)| (x - y).abs() < 1e-14), "{}", entry.name);
        check_solves(&back, &entry, BackendKind::Clarabel, 1e-6);
    }
}

#[test]
fn cbf_psd_data_is_the_lower_triangle_without_svec_scaling() {
    // sdp-offdiag: min X11 + X22 s.t. X12 = 1, X PSD (x = svec X, PSD rows s = x).
    let entry = catalogue::by_name("sdp-offdiag").unwrap();
    let text = export::to_string(&entry.problem, &ProblemMeta::default(), Format::Cbf).unwrap();
    let h = text.split("HCOORD\n").nth(1).unwrap();
    let lines: Vec<&str> = h.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    // G = sum_j x_j H_j: x = (X11, sqrt2 X12, X22): H_0 = E11, H_1 = (E12 + E21)/sqrt 2, H_2 = E22
    assert_eq!(lines.len(), 3, "{h}");
    assert_eq!(lines[0], "0 0 0 0 1e0");
    let f: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&f[..4], &["0", "1", "1", "0"]);
    assert!((f[4].parse::<f64>().unwrap() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
    assert_eq!(lines[2], "0 2 1 1 1e0");
    assert!(!text.contains("DCOORD"), "b is zero on the PSD rows");
    let _ = cbf::to_string;
}
