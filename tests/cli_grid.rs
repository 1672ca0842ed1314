//! `convex-relu grid`: instances by index, the same report as `solve`, and clear errors.

use std::path::PathBuf;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("binary runs")
}

fn spec(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_grid");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn grid_instances_equal_the_matching_solve() {
    let g = spec("g.json", r#"{"data": ["reference-1d"], "beta": [0.1, 1.0], "seed": [0, 3], "formulation": "exact"}"#);
    let g = g.to_str().unwrap();
    let out = run(&["grid", "--spec", g, "--count"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4");
    // index 3 = (beta 1.0, seed 3): seed varies fastest.
    let out = run(&["grid", "--spec", g, "--index", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["index"], 3);
    assert_eq!(line["beta"], 1.0);
    assert_eq!(line["seed"], 3);
    let solo = run(&["solve", "--data", "reference-1d", "--beta", "1", "--seed", "3", "--formulation", "exact", "--json"]);
    let solo: serde_json::Value = serde_json::from_slice(&solo.stdout).unwrap();
    let (a, b) = (line["report"]["objective"].as_f64().unwrap(), solo["objective"].as_f64().unwrap());
    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    assert_eq!(line["report"]["lower_bound"], solo["lower_bound"]);
}

#[test]
fn grid_errors_name_the_problem() {
    let g = spec("small.json", r#"{"data": ["reference-1d"], "beta": [0.1]}"#);
    let out = run(&["grid", "--spec", g.to_str().unwrap(), "--index", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the grid has 1 instances"), "{}", String::from_utf8_lossy(&out.stderr));
    let bad = spec("bad.json", r#"{"data": ["reference-1d"], "beta": [0.1], "betas": [1]}"#);
    let out = run(&["grid", "--spec", bad.to_str().unwrap(), "--count"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bad.json") && err.contains("betas"), "{err}");
    let empty = spec("empty.json", r#"{"data": [], "beta": [0.1]}"#);
    let out = run(&["grid", "--spec", empty.to_str().unwrap(), "--count"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("`data` must list"));
    let out = run(&["grid", "--spec", "/nonexistent/g.json", "--count"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("/nonexistent/g.json"));
}
