//! `solve --formulation three-layer`, `train --layers 3` and `evaluate` through the binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("run convex-relu")
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("convex-relu-cli3-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    serde_json::from_str(text.trim()).unwrap()
}

fn stderr_of(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure, stdout: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// 5 points on [-1, 1] with a wiggly target.
fn data_file(dir: &std::path::Path) -> String {
    let ys = [0.2, -0.6, 0.5, -0.3, 0.8];
    let mut s = String::from("x,y\n");
    for (i, y) in ys.iter().enumerate() {
        s.push_str(&format!("{},{y}\n", -1.0 + 0.5 * i as f64));
    }
    let p = dir.join("wiggly5.csv");
    std::fs::write(&p, s).unwrap();
    p.display().to_string()
}

#[test]
fn solve_train_and_evaluate() {
    let dir = tmpdir("main");
    let data = data_file(&dir);
    let net = dir.join("net3.json");
    let net_s = net.display().to_string();
    let _ = std::fs::remove_file(&net);
    let base = ["--data", data.as_str(), "--bias", "--beta", "0.05"];
    let mut args = vec!["solve"];
    args.extend(base);
    let prog = dir.join("prog.json");
    let prog_s = prog.display().to_string();
    let _ = std::fs::remove_file(&prog);
    args.extend(["--formulation", "three-layer", "--sub-width", "2", "--configs", "exact", "--json", "--save-network", net_s.as_str()]);
    args.extend(["--export", prog_s.as_str()]);
    let v = json_of(&run(&args));
    // the exported program (Clarabel-compatible JSON), solved again from the file
    let f = json_of(&run(&["solve-file", prog_s.as_str(), "--json"]));
    let (a, b) = (f["objective"].as_f64().unwrap(), v["objective"].as_f64().unwrap());
    assert!((a - b).abs() <= 1e-6 * b, "solve-file {a} vs solve {b}");
    for key in ["objective", "lower_bound", "upper_bound", "certified", "gap", "globally_optimal", "configurations", "sub_networks", "sub_width"] {
        assert!(v.get(key).is_some(), "missing key {key} in {v}");
    }
    assert_eq!(v["certified"], true);
    assert_eq!(v["globally_optimal"], true);
    assert_eq!(v["formulation"], "three-layer");
    let ub = v["upper_bound"].as_f64().unwrap();
    let lb = v["lower_bound"].as_f64().unwrap();
    assert!(lb <= ub && (ub - lb) / ub < 1e-4);
    // the saved network evaluates to the upper bound
    let mut args = vec!["evaluate"];
    args.extend(base);
    args.extend(["--network", net_s.as_str(), "--json"]);
    let e = json_of(&run(&args));
    assert_eq!(e["layers"], 3);
    assert!((e["objective"].as_f64().unwrap() - ub).abs() <= 1e-9 * ub);
    // never overwritten without --force
    let mut args = vec!["solve"];
    args.extend(base);
    args.extend(["--formulation", "three-layer", "--sub-width", "2", "--save-network", net_s.as_str()]);
    assert!(stderr_of(&run(&args)).contains("--force"));
    // non-convex training never below the certified lower bound
    let mut args = vec!["train"];
    args.extend(base);
    args.extend(["--layers", "3", "--sub-width", "2", "--width", "3", "--restarts", "3", "--iterations", "800", "--json", "--quiet"]);
    let t = json_of(&run(&args));
    assert!(t["objective"].as_f64().unwrap() >= lb * (1.0 - 1e-9));
    assert_eq!(t["certified"], false);
    // a network file of the wrong shape
    let mut bad: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&net).unwrap()).unwrap();
    bad["d"] = serde_json::json!(3);
    let badp = dir.join("bad.json");
    std::fs::write(&badp, bad.to_string()).unwrap();
    let badp_s = badp.display().to_string();
    let mut args = vec!["evaluate"];
    args.extend(base);
    args.extend(["--network", badp_s.as_str()]);
    let msg = stderr_of(&run(&args));
    assert!(msg.contains("w1[0]") && msg.contains("expected 3 entries"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn three_layer_argument_errors() {
    let dir = tmpdir("errors");
    let data = data_file(&dir);
    let base = ["--data", data.as_str(), "--bias", "--beta", "0.05"];
    let mut a = vec!["solve"];
    a.extend(base);
    a.extend(["--formulation", "three-layer"]);
    assert!(stderr_of(&run(&a)).contains("--sub-width"));
    let mut a = vec!["solve"];
    a.extend(base);
    a.extend(["--formulation", "three-layer", "--sub-width", "0"]);
    assert!(stderr_of(&run(&a)).contains("at least 1"));
    let mut a = vec!["solve"];
    a.extend(base);
    a.extend(["--formulation", "three-layer", "--sub-width", "2", "--configs", "lots"]);
    assert!(stderr_of(&run(&a)).contains("--configs"));
    let mut a = vec!["solve"];
    a.extend(base);
    a.extend(["--formulation", "exact", "--sub-width", "2"]);
    assert!(stderr_of(&run(&a)).contains("three-layer only"));
    let mut a = vec!["train"];
    a.extend(base);
    a.extend(["--layers", "3", "--width", "2"]);
    assert!(stderr_of(&run(&a)).contains("--sub-width"));
    let mut a = vec!["train"];
    a.extend(base);
    a.extend(["--layers", "4", "--width", "2"]);
    assert!(stderr_of(&run(&a)).contains("2 or 3"));
    std::fs::remove_dir_all(&dir).ok();
}
