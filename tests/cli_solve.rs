//! `convex-relu solve` end to end on the built-in reference data (SPEC section 6: p* = 0.71707776
//! at beta = 0.1): the JSON report has the documented keys and lower <= p* <= upper.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("binary runs")
}

#[test]
fn solve_reference_1d_json() {
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "exact", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in ["status", "backend", "formulation", "n", "d", "c", "patterns", "objective", "upper_bound", "lower_bound", "solve_seconds"] {
        assert!(v.get(key).is_some(), "missing key {key}: {v}");
    }
    assert_eq!(v["status"], "solved");
    assert_eq!(v["backend"], "clarabel");
    assert_eq!(v["patterns"], 15);
    let p = 0.71707776;
    let obj = v["objective"].as_f64().unwrap();
    let ub = v["upper_bound"].as_f64().unwrap();
    let lb = v["lower_bound"].as_f64().unwrap();
    assert!((obj - p).abs() < 1e-6 * p, "objective {obj}");
    assert!(lb <= p + 1e-8 && p <= ub + 1e-8 && ub - lb < 1e-5, "bounds {lb} {ub}");
}

#[test]
fn solve_rejects_unknown_data_with_a_clear_message() {
    let out = run(&["solve", "--data", "no-such.csv", "--beta", "0.1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reference-1d"), "{err}");
}
