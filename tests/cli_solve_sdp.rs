//! `convex-relu solve --formulation sdp`, `tightness` and `demo` end to end, and their errors.

use std::path::PathBuf;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("binary runs")
}

/// The JSON report; the exit code must follow the README's policy: 0 for `solved`, 3 for a
/// solve stopped early (`inaccurate`, iteration or time limit), as the relaxation often is.
fn json(out: &std::process::Output) -> serde_json::Value {
    let code = out.status.code();
    assert!(matches!(code, Some(0) | Some(3)), "exit {code:?}: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    if let Some(status) = v["status"].as_str() {
        let want = if status == "solved" { 0 } else { 3 };
        assert_eq!(code, Some(want), "status {status}");
    }
    v
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_solve_sdp").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first 5 rows of each iris class (15 rows, 3 classes).
fn iris15(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/datasets/iris.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    let mut counts = std::collections::HashMap::new();
    for l in lines {
        let class = l.rsplit(',').next().unwrap().to_string();
        let k = counts.entry(class).or_insert(0);
        if *k < 5 {
            *k += 1;
            out.push(l.to_string());
        }
    }
    assert_eq!(out.len(), 16);
    let path = dir.join("iris15.csv");
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    path
}

#[test]
fn sdp_on_iris15_onehot() {
    let dir = tmp_dir("iris15");
    let csv = iris15(&dir);
    let export = dir.join("problem.json");
    let net = dir.join("net.json");
    let args = [
        "solve", "--data", csv.to_str().unwrap(), "--targets", "onehot", "--standardize", "--bias", "--beta", "0.1",
        "--formulation", "sdp", "--samples", "50", "--export", export.to_str().unwrap(), "--save-network",
        net.to_str().unwrap(), "--json",
    ];
    let v = json(&run(&args));
    assert_eq!(v["c"], 3);
    assert_eq!(v["n"], 15);
    assert_eq!(v["d"], 5);
    assert_eq!(v["formulation"], "sdp");
    assert_eq!(v["backend"], "clarabel");
    assert!(v["patterns"].is_null());
    assert_eq!(v["certified"], true, "{v}");
    let lb = v["lower_bound"].as_f64().unwrap();
    let ub = v["upper_bound"].as_f64().unwrap();
    assert!(lb.is_finite() && ub.is_finite() && lb <= ub, "{lb} {ub}");
    assert_eq!(v["rounding"]["method"], "gaussian");
    assert!(export.is_file() && net.is_file());
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert!(meta.to_string().contains("\"sdp\""), "export names the formulation");
    // no overwrite without --force
    let again = run(&args);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn tightness_on_reference_1d() {
    let out = run(&[
        "tightness", "--data", "reference-1d", "--beta", "0.1", "--widths", "2,4", "--restarts", "2", "--iterations", "300",
        "--json",
    ]);
    let v = json(&out);
    let p = v["exact_optimum"].as_f64().unwrap();
    assert!((p - 0.71707776).abs() < 1e-6 * p);
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["method"] == "rounded network (tos)"));
    assert!(rows.iter().any(|r| r["method"] == "non-convex training, width 4"));
    assert!(v["lower_bound"].as_f64().unwrap() <= p + 1e-7 && p <= v["upper_bound"].as_f64().unwrap() + 1e-7);
    assert!(v["relaxation_gap"].is_number() && v["rounding_gap"].is_number());
}

#[test]
fn demo_json_matches_the_reference() {
    let v = json(&run(&["demo", "--restarts", "1", "--iterations", "300", "--json"]));
    let p = v["exact_optimum"].as_f64().unwrap();
    assert!((p - 0.71707776).abs() <= 1e-6 * 0.71707776, "{p}");
    assert_eq!(v["sdp"]["certified"], true);
    assert!(v["sdp"]["lower_bound"].as_f64().unwrap() <= p + 1e-7);
}

#[test]
fn errors_are_clear() {
    let out = run(&["solve", "--data", "no_such_set", "--beta", "0.1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown data set"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--samples", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("samples"));

    let dir = tmp_dir("errors");
    let csv = iris15(&dir);
    let out = run(&["solve", "--data", csv.to_str().unwrap(), "--targets", "onehot", "--beta", "0.1", "--formulation", "exact"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c = 1") && err.contains("--targets signed"), "{err}");
}

#[test]
fn exact_export_and_save_network_round_trip() {
    let dir = tmp_dir("exact_export");
    let (p, n) = (dir.join("p.json"), dir.join("net.json"));
    let args = ["solve", "--data", "reference-1d", "--beta", "0.1", "--export", p.to_str().unwrap(), "--save-network", n.to_str().unwrap(), "--json"];
    let v = json(&run(&args));
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let meta = &file["meta"];
    assert_eq!(meta["formulation"], "exact");
    assert_eq!((meta["n"].as_u64(), meta["d"].as_u64(), meta["c"].as_u64()), (Some(8), Some(2), Some(1)));
    let names: Vec<&str> = meta["layout"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["v", "w", "t", "s", "r"]);
    let net = convex_relu::network::Network::load(&n).unwrap();
    let obj = net.objective(&convex_relu::data::synth::reference_1d(), 0.1);
    assert!((obj - v["upper_bound"].as_f64().unwrap()).abs() < 1e-9);
    assert!(!run(&args).status.success(), "refuses to overwrite");
    let mut forced = args.to_vec();
    forced.push("--force");
    json(&run(&forced));
    let gated = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "gated", "--save-network", dir.join("g.json").to_str().unwrap()]);
    assert!(!gated.status.success() && String::from_utf8_lossy(&gated.stderr).contains("not a network"));
}

/// A relaxation stopped after 3 Clarabel iterations: the status says so, and the lower bound is
/// still certified and below the exact optimum p* = 0.71707776 of SPEC section 6 (the repaired
/// dual is valid whatever the solver's accuracy), while the solver's own value is not a bound.
#[test]
fn early_stopped_relaxation_still_gives_a_certified_bound() {
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--max-iterations", "3", "--json"]);
    let v = json(&out);
    assert_eq!(v["status"], "iteration_limit", "{v}");
    assert_eq!(v["backend"], "clarabel");
    assert_eq!(v["certified"], true, "{v}");
    let lb = v["lower_bound"].as_f64().expect("a certified lower bound");
    assert!(lb <= 0.71707776, "lower bound {lb} above p*");
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--time-limit", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("time limit"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `--backend dnn`: the report names it, carries the solver's residuals, and its certified lower
/// bound lies below Clarabel's optimum of the same relaxation (and below the rounded network).
#[test]
fn dnn_backend_and_beta_path_from_the_command_line() {
    let dnn = json(&run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--backend", "dnn", "--tolerance", "1e-7", "--json"]));
    let clar = json(&run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--backend", "clarabel", "--json"]));
    assert_eq!(dnn["backend"], "dnn");
    assert_eq!(dnn["status"], "solved");
    assert!(dnn["primal_residual"].as_f64().unwrap() <= 1e-7 && dnn["solver_gap"].as_f64().unwrap() <= 1e-7);
    assert_eq!(dnn["certified"], true);
    let (lb, opt) = (dnn["lower_bound"].as_f64().unwrap(), clar["objective"].as_f64().unwrap());
    assert!(lb <= opt + 1e-7 && (opt - lb) / opt < 1e-5, "dnn LB {lb} vs clarabel {opt}");
    assert!(lb <= dnn["upper_bound"].as_f64().unwrap());
    assert_eq!(dnn["dnn_method"], "ipm");
    // How the interior-point iterations were solved: counts within the iterations, and null for
    // a backend they do not apply to.
    let its = dnn["iterations"].as_u64().unwrap();
    assert!(dnn["preconditioned_iterations"].as_u64().unwrap() <= its && dnn["single_precision_iterations"].as_u64().unwrap() <= its, "{dnn}");
    assert!(clar["preconditioned_iterations"].is_null() && clar["single_precision_iterations"].is_null(), "{clar}");
    let admm = json(&run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--backend", "dnn", "--dnn-method", "admm", "--max-iterations", "50", "--json"]));
    assert_eq!(admm["dnn_method"], "admm");
    assert!(admm["preconditioned_iterations"].is_null() && admm["single_precision_iterations"].is_null(), "{admm}");
    // A beta path: one JSON object per line, in order; the ADMM warm-starts after the first, the
    // interior-point method (auto here) solves each from scratch and says so.
    for (method, note) in [("admm", "warm-started"), ("auto", "from scratch")] {
        let out = run(&["solve", "--data", "reference-1d", "--beta", "1,0.1", "--formulation", "sdp", "--backend", "dnn", "--dnn-method", method, "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["beta"], 1.0);
        assert_eq!(lines[1]["beta"], 0.1);
        assert!(lines[1]["notes"].to_string().contains(note), "{method}: {}", lines[1]["notes"]);
    }
    let err = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--backend", "dnn", "--dnn-method", "newton"]);
    assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("expected auto, admm, ipm, ipm-working-set or ssnal"));
    // The working-set method from the command line: named in the report, solved, certified.
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--backend", "dnn", "--dnn-method", "ipm-working-set", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(v["dnn_method"], "ipm-working-set");
    assert_eq!(v["status"], "solved");
    // Every round runs on the preconditioner (exact there): the counts are summed over rounds.
    let (its, pre) = (v["iterations"].as_u64().unwrap(), v["preconditioned_iterations"].as_u64().unwrap());
    assert!(pre > 0 && pre <= its, "{v}");
    assert_eq!(v["certified"], true);
    let (obj, lb) = (v["objective"].as_f64().unwrap(), v["lower_bound"].as_f64().unwrap());
    assert!(lb <= obj && (obj - lb) / lb.abs() < 1e-5, "{lb} .. {obj}");
    // The option is never silently ignored: another backend or formulation refuses it.
    for extra in [["--backend", "clarabel", "--formulation", "sdp"], ["--backend", "dnn", "--formulation", "exact"]] {
        let mut a = vec!["solve", "--data", "reference-1d", "--beta", "0.1", "--dnn-method", "ipm"];
        a.extend(extra);
        let err = run(&a);
        assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("applies to the SDP relaxation with --backend dnn only"), "{a:?}");
    }
    // Refusals name the problem.
    let err = run(&["solve", "--data", "reference-1d", "--beta", "1,0.1", "--formulation", "sdp", "--backend", "dnn", "--export", "x.json"]);
    assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("single --beta"));
    let err = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp-full", "--backend", "dnn"]);
    assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("--formulation sdp"));
}

/// `--merge-rows-within` sets a row within the tolerance of an earlier one equal to it, says so
/// in the report, and solves the same program as the file with that row edited by hand; a row
/// farther away is left alone, and a bad tolerance is refused with the flag's name.
#[test]
fn merge_rows_within_solves_the_data_with_the_near_row_set_equal() {
    let dir = tmp_dir("merge_rows");
    let rows = ["x1,x2,y", "0.5,1.0,0.3", "-1.0,0.25,-0.2", "0.5000004,1.0,0.9", "2.0,-0.5,0.1", "1.5,0.75,0.4", "-0.5,-1.0,-0.6", "0.5003,1.0,0.2"];
    let near = dir.join("near.csv");
    std::fs::write(&near, rows.join("\n") + "\n").unwrap();
    let mut edited_rows = rows;
    edited_rows[3] = "0.5,1.0,0.9";
    let edited = dir.join("edited.csv");
    std::fs::write(&edited, edited_rows.join("\n") + "\n").unwrap();
    let common = ["--targets", "numeric", "--beta", "0.1", "--formulation", "sdp", "--backend", "dnn", "--dnn-method", "ipm", "--json"];
    let solve = |path: &PathBuf, extra: &[&str]| {
        let mut args = vec!["solve", "--data", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&common);
        run(&args)
    };
    let merged_out = solve(&near, &["--merge-rows-within", "1e-5"]);
    let merged = json(&merged_out);
    let reference = json(&solve(&edited, &[]));
    let stderr = String::from_utf8_lossy(&merged_out.stderr);
    assert!(stderr.contains("1 rows set equal to an earlier row"), "{stderr}");
    assert!(merged["data"].as_str().unwrap().contains("the bounds are for the data so modified"), "{}", merged["data"]);
    for key in ["objective", "lower_bound"] {
        let (a, b) = (merged[key].as_f64().unwrap(), reference[key].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{key}: {a} against {b}");
    }
    // The last row (3e-4 away) is beyond the tolerance: the data without the flag differs from
    // the edited file, and with the flag nothing else moved.
    let unmerged = json(&solve(&near, &[]));
    assert!(!unmerged["data"].as_str().unwrap().contains("set equal"));
    // A solve stopped early on the data as given names the closest pair of nearly equal rows
    // (rows 1 and 3 of the file, 4e-7 apart; rows 1 and 7 are 3e-4 apart, beyond 1e-4) and the
    // option; on the modified data only the pair beyond 1e-4 is left, so no note.
    let notes = |v: &serde_json::Value| v["notes"].as_array().map(|a| a.iter().filter_map(|n| n.as_str()).collect::<Vec<_>>().join(" | ")).unwrap_or_default();
    let stopped = json(&solve(&near, &["--max-iterations", "2"]));
    assert_eq!(stopped["status"], "iteration_limit");
    let text = notes(&stopped);
    assert!(text.contains("1 pair(s) of rows") && text.contains("rows 1 and 3, 4.0e-7 apart") && text.contains("--merge-rows-within"), "{text}");
    let stopped_merged = json(&solve(&near, &["--max-iterations", "2", "--merge-rows-within", "1e-5"]));
    assert!(!notes(&stopped_merged).contains("pair(s) of rows"), "{}", notes(&stopped_merged));
    for bad in ["--merge-rows-within=-1", "--merge-rows-within=nan"] {
        let out = solve(&near, &[bad]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--merge-rows-within") && err.contains("finite and nonnegative"), "{err}");
    }
}
