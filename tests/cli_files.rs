//! The `solve-file` and `convert` subcommands, run as the real binary.

use convex_relu::catalogue;
use convex_relu::export::{self, ProblemMeta};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_files").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_entry(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let meta = ProblemMeta { formulation: Some(name.into()), ..ProblemMeta::generated() };
    export::write(&catalogue::by_name(name).unwrap().problem, &meta, &path, false).unwrap();
    path
}

fn solve_json(path: &Path, backend: &str) -> serde_json::Value {
    let out = run(&["solve-file", path.to_str().unwrap(), "--backend", backend, "--tolerance", "1e-9", "--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.trim().lines().count(), 1, "one JSON object on one line: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap()
}

fn check_json_output(v: &serde_json::Value, backend: &str, expected: f64, tol: f64) {
    for key in ["status", "backend", "objective", "dual_objective", "iterations", "solve_seconds", "residuals"] {
        assert!(v.get(key).is_some(), "missing key {key} in {v}");
    }
    for key in ["primal_residual", "dual_residual", "gap"] {
        assert!(v["residuals"][key].as_f64().unwrap() <= tol, "{key} in {v}");
    }
    assert_eq!(v["status"], "solved");
    assert_eq!(v["backend"], backend);
    assert!((v["objective"].as_f64().unwrap() - expected).abs() <= tol * (1.0 + expected.abs()), "{v}");
    assert!((v["dual_objective"].as_f64().unwrap() - expected).abs() <= tol * (1.0 + expected.abs()), "{v}");
}

#[test]
fn solve_file_json_output_has_the_documented_keys() {
    let dir = scratch("solve_json");
    let path = write_entry(&dir, "sdp-maxcut-c5");
    let v = solve_json(&path, "clarabel");
    check_json_output(&v, "clarabel", -(25.0 + 5.0 * 5f64.sqrt()) / 8.0, 1e-6);
}

#[test]
fn solve_file_json_output_has_the_documented_keys_scs() {
    let dir = scratch("solve_json_scs");
    let path = write_entry(&dir, "sdp-maxcut-c5");
    let v = solve_json(&path, "scs");
    check_json_output(&v, "scs", -(25.0 + 5.0 * 5f64.sqrt()) / 8.0, 1e-4);
}

#[test]
fn solve_file_human_summary() {
    let dir = scratch("solve_human");
    let path = write_entry(&dir, "lp-2d");
    let out = run(&["solve-file", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for part in ["backend         clarabel", "status          solved", "objective", "-2.8000", "primal residual", "lp-2d"] {
        assert!(s.contains(part), "missing `{part}` in\n{s}");
    }
}

#[test]
fn solve_file_reports_infeasibility_as_a_status() {
    let dir = scratch("solve_infeasible");
    let path = write_entry(&dir, "lp-infeasible");
    let out = run(&["solve-file", path.to_str().unwrap(), "--json"]);
    // the report is printed; the exit code says the solve failed (README: 4)
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["status"], "primal_infeasible");
}

#[test]
fn solve_file_bad_input_fails_with_a_message() {
    let dir = scratch("solve_bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"P\": {\"m\": 1,").unwrap();
    let out = run(&["solve-file", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("line 1") && err.contains("column"), "{err}");
    assert!(out.stdout.is_empty());

    let missing = run(&["solve-file", dir.join("nope.json").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("nope.json"), "{}", text(&missing.stderr));

    let wrong_ext = run(&["solve-file", dir.join("p.txt").to_str().unwrap()]);
    assert!(!wrong_ext.status.success());
    assert!(text(&wrong_ext.stderr).contains(".json"));

    let bad_tol = run(&["solve-file", write_entry(&dir, "lp-2d").to_str().unwrap(), "--tolerance=-1"]);
    assert!(!bad_tol.status.success());
    assert!(text(&bad_tol.stderr).contains("tolerance"), "{}", text(&bad_tol.stderr));
}

#[test]
fn convert_writes_sdpa_and_cbf_and_refuses_to_overwrite() {
    let dir = scratch("convert");
    let json = write_entry(&dir, "sdp-theta-c5");
    for ext in ["dat-s", "cbf", "json"] {
        let out_path = dir.join(format!("out.{ext}"));
        let out = run(&["convert", json.to_str().unwrap(), out_path.to_str().unwrap()]);
        assert!(out.status.success(), "{ext}: {}", text(&out.stderr));
        let written = std::fs::read_to_string(&out_path).unwrap();
        let expected = export::to_string(&export::read(&json).unwrap().problem, &export::read(&json).unwrap().meta, export::Format::from_path(&out_path).unwrap()).unwrap();
        assert_eq!(written, expected, "{ext}");
        // again without --force: refused, file unchanged
        let again = run(&["convert", json.to_str().unwrap(), out_path.to_str().unwrap()]);
        assert!(!again.status.success());
        let err = text(&again.stderr);
        assert!(err.contains("already exists") && err.contains("--force"), "{err}");
        assert_eq!(std::fs::read_to_string(&out_path).unwrap(), written);
        let forced = run(&["convert", json.to_str().unwrap(), out_path.to_str().unwrap(), "--force"]);
        assert!(forced.status.success(), "{}", text(&forced.stderr));
    }
    // CBF is readable too: cbf -> json solves to the same value
    let back = dir.join("back.json");
    let out = run(&["convert", dir.join("out.cbf").to_str().unwrap(), back.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = solve_json(&back, "clarabel");
    check_json_output(&v, "clarabel", -(5f64.sqrt()), 1e-6);
    // SDPA reads back too (equalities as pairs of inequalities): same optimum
    let out = run(&["convert", dir.join("out.dat-s").to_str().unwrap(), dir.join("from-sdpa.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    check_json_output(&solve_json(&dir.join("from-sdpa.json"), "clarabel"), "clarabel", -(5f64.sqrt()), 1e-6);
    let v = solve_json(&dir.join("out.dat-s"), "clarabel");
    assert_eq!(v["format"], "sdpa");
    // SOC goes to SDPA as an arrow PSD block (it used to be refused): same optimum
    let soc = write_entry(&dir, "socp-disc");
    let target = dir.join("soc.dat-s");
    let out = run(&["convert", soc.to_str().unwrap(), target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = solve_json(&target, "clarabel");
    let socp = convex_relu::catalogue::by_name("socp-disc").unwrap();
    let convex_relu::catalogue::Expected::Optimal(opt) = socp.expected else { panic!() };
    check_json_output(&v, "clarabel", opt, 1e-6);
}

#[test]
fn help_explains_every_option() {
    let out = run(&["solve-file", "--help"]);
    let s = text(&out.stdout);
    for opt in ["--backend", "--tolerance", "--max-iterations", "--time-limit", "--verbose", "--json", "clarabel", "scs"] {
        assert!(s.contains(opt), "solve-file --help lacks {opt}:\n{s}");
    }
    let out = run(&["convert", "--help"]);
    let s = text(&out.stdout);
    for opt in ["--force", ".dat-s", ".cbf", ".json"] {
        assert!(s.contains(opt), "convert --help lacks {opt}:\n{s}");
    }
}
