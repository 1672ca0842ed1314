//! Issue 10, items 8-14: honest outputs. Each test failed on the code before the fix (a wrong
//! or unlabelled number, a silent inference, a panic, exit code 0 for a failed solve, a lost
//! solve, a reference to a file the repository does not contain).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hardening_outputs").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_str().unwrap().to_string()
}

/// A 1-d regression CSV with `f(i)` as the feature and `g(i)` as the target.
fn csv(f: impl Fn(usize) -> String, g: impl Fn(usize) -> String) -> String {
    let mut s = String::from("x,y\n");
    for i in 0..8 {
        s.push_str(&format!("{},{}\n", f(i), g(i)));
    }
    s
}

// ---------------------------------------------------------------- item 8

#[test]
fn data_beyond_the_arithmetic_scale_is_refused_not_certified() {
    let dir = scratch("scale");
    let huge_x = write(&dir, "hx.csv", &csv(|i| format!("{}e300", i + 1), |i| format!("{}", (i as f64).sin())));
    let huge_y = write(&dir, "hy.csv", &csv(|i| format!("{}", i as f64 / 7.0 - 0.5), |i| format!("{}e200", i + 1)));
    for (file, what) in [(&huge_x, "feature"), (&huge_y, "target")] {
        let out = run(&["solve", "--data", file, "--beta", "0.1", "--json"]);
        assert_eq!(code(&out), 1, "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(err.contains(what) && err.contains("scale"), "{err}");
        assert!(!text(&out.stdout).contains("\"certified\":true"));
    }
    // --standardize brings the huge features to a usable scale instead of zeroing them.
    let out = run(&["solve", "--data", &huge_x, "--beta", "0.1", "--standardize", "--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["certified"], true);
    assert!(v["lower_bound"].as_f64().unwrap().is_finite());
    assert!(v["patterns"].as_u64().unwrap() > 1, "standardised column is not constant: {v}");
}

#[test]
fn standardize_keeps_columns_above_1e154() {
    use convex_relu::data::{transform, Dataset, TargetKind};
    use nalgebra::DMatrix;
    let x = DMatrix::from_row_slice(3, 1, &[1e200, 2e200, 3e200]);
    let mut d = Dataset::from_arrays(x, DMatrix::zeros(3, 1), TargetKind::Numeric, "t");
    transform::standardize(&mut d).unwrap();
    let want = [-(1.5f64).sqrt(), 0.0, 1.5f64.sqrt()];
    for (got, w) in d.x.iter().zip(want) {
        assert!((got - w).abs() < 1e-12, "{got} vs {w}");
    }
}

// ---------------------------------------------------------------- item 9

#[test]
fn auto_targets_say_what_they_inferred_and_refuse_damaged_numeric_columns() {
    let dir = scratch("targets");
    let damaged = write(&dir, "d.csv", &csv(|i| format!("{}", i as f64 / 7.0), |i| if i == 5 { "NaN".into() } else { format!("{}", i as f64 * 0.3) }));
    let out = run(&["solve", "--data", &damaged, "--beta", "0.1"]);
    assert_eq!(code(&out), 1);
    let err = text(&out.stderr);
    assert!(err.contains("line 7") && err.contains("numeric in 7 of 8") && err.contains("--targets"), "{err}");
    let classes = write(&dir, "c.csv", &csv(|i| format!("{}", i as f64 / 7.0), |i| ["cat", "dog"][i % 2].into()));
    let out = run(&["solve", "--data", &classes, "--beta", "0.1", "--formulation", "sdp", "--no-certify"]);
    let err = text(&out.stderr);
    assert!(err.contains("onehot, 2 classes: cat (4), dog (4)"), "{err}");
}

// ---------------------------------------------------------------- item 10

#[test]
fn json_with_verbose_keeps_stdout_one_object_and_logs_on_stderr() {
    for backend in ["clarabel", "scs"] {
        let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--json", "--verbose", "--backend", backend]);
        let stdout = text(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{backend}: stdout is not one JSON object ({e}):\n{stdout}"));
        assert_eq!(v["backend"], backend);
        assert!(text(&out.stderr).len() > 200, "{backend}: the log went to stderr");
    }
}

#[test]
fn closed_or_full_stdout_exits_cleanly() {
    if Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_convex-relu"))
            .args(["solve", "--data", "reference-1d", "--beta", "0.1"])
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        assert_eq!(code(&out), 1);
        let err = text(&out.stderr);
        assert!(err.contains("error: writing the output") && !err.contains("panicked"), "{err}");
    }
    // A reader that has gone away (`| head -0`): no panic message.
    let mut child = Command::new(env!("CARGO_BIN_EXE_convex-relu"))
        .args(["solve", "--data", "reference-1d", "--beta", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------- item 11

#[test]
fn outputs_are_checked_before_the_compute_and_never_collide() {
    let dir = scratch("outputs");
    let missing = dir.join("no-such-dir").join("x.json");
    let t0 = std::time::Instant::now();
    // sdp-full on iris would take minutes: the refusal must come first.
    let out = run(&["solve", "--data", "iris", "--beta", "0.1", "--formulation", "sdp-full", "--export", missing.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("does not exist"), "{}", text(&out.stderr));
    assert!(t0.elapsed().as_secs_f64() < 20.0);
    let same = dir.join("same.json");
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--export", same.to_str().unwrap(), "--save-network", dir.join(".").join("same.json").to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("same file"), "{}", text(&out.stderr));
    assert!(!same.exists());
    // One overwrite flag: --force everywhere (--overwrite still accepted).
    for cmd in ["solve", "train", "convert", "cpp"] {
        let help = text(&run(&[cmd, "--help"]).stdout);
        assert!(help.contains("--force"), "{cmd} --help lacks --force");
        assert!(!help.contains("--overwrite"), "{cmd} --help still shows --overwrite");
    }
    let net = dir.join("net.json");
    std::fs::write(&net, "keep").unwrap();
    let out = run(&["train", "--data", "reference-1d", "--beta", "0.1", "--width", "2", "--restarts", "1", "--iterations", "10", "--quiet", "--save-network", net.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert_eq!(std::fs::read_to_string(&net).unwrap(), "keep");
    for flag in ["--force", "--overwrite"] {
        let out = run(&["train", "--data", "reference-1d", "--beta", "0.1", "--width", "2", "--restarts", "1", "--iterations", "10", "--quiet", "--save-network", net.to_str().unwrap(), flag]);
        assert_eq!(code(&out), 0, "{flag}: {}", text(&out.stderr));
    }
}

// ---------------------------------------------------------------- item 12

#[test]
fn exit_codes_follow_the_documented_policy() {
    let ok = run(&["solve", "--data", "reference-1d", "--beta", "0.1"]);
    assert_eq!(code(&ok), 0);
    let limit = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--max-iterations", "2", "--json"]);
    assert_eq!(code(&limit), 3, "{}", text(&limit.stdout));
    assert!(text(&limit.stdout).contains("iteration_limit"));
    let bad = run(&["solve", "--data", "reference-1d", "--beta=-1"]);
    assert_eq!(code(&bad), 1);
    let usage = run(&["solve", "--no-such-option"]);
    assert_eq!(code(&usage), 2);
    // an infeasible problem file: 4
    let dir = scratch("exit");
    let e = convex_relu::catalogue::by_name("lp-infeasible").unwrap();
    let file = dir.join("inf.json");
    convex_relu::export::write(&e.problem, &Default::default(), &file, false).unwrap();
    let inf = run(&["solve-file", file.to_str().unwrap()]);
    assert_eq!(code(&inf), 4, "{}", text(&inf.stdout));
    let help = text(&run(&["--help"]).stdout);
    assert!(help.contains("Exit codes") && help.contains("3 a solve stopped early"), "{help}");
}

// ---------------------------------------------------------------- item 13

#[test]
fn small_items() {
    let dir = scratch("small");
    // a directory as --data
    let out = run(&["solve", "--data", dir.to_str().unwrap(), "--beta", "0.1"]);
    assert!(text(&out.stderr).contains("a directory"), "{}", text(&out.stderr));
    // a FIFO as --data: named as such (reading it would block)
    let fifo = dir.join("pipe.csv");
    if Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        let out = run(&["solve", "--data", fifo.to_str().unwrap(), "--beta", "0.1"]);
        assert!(text(&out.stderr).contains("not a regular file"), "{}", text(&out.stderr));
    }
    // duplicate header names
    let dup = write(&dir, "dup.csv", "a,a,y\n1,2,3\n2,1,4\n");
    let out = run(&["solve", "--data", &dup, "--beta", "0.1", "--target", "a"]);
    assert!(text(&out.stderr).contains("duplicate header name `a`"), "{}", text(&out.stderr));
    // demo --restarts 0
    let out = run(&["demo", "--restarts", "0"]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).contains("--restarts"));
    // --widths default shown as it must be typed
    assert!(text(&run(&["tightness", "--help"]).stdout).contains("5,10,100"));
    // y = 0: optimum 0 is certified with the absolute floor
    let zero = write(&dir, "zero.csv", &csv(|i| format!("{}", i as f64 / 7.0 - 0.5), |_| "0".into()));
    let out = run(&["solve", "--data", &zero, "--beta", "0.1", "--bias", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v["globally_optimal"], true, "{v}");
    // --exact-optimum with SCS: never below p* (the value is a real network's objective)
    let out = run(&["solve", "--data", "reference-1d", "--beta", "0.1", "--backend", "scs", "--exact-optimum", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let p = v["exact_optimum"].as_f64().unwrap();
    assert!(p >= 0.71707776 - 1e-7, "{p}");
}

// ---------------------------------------------------------------- item 14

#[test]
fn nothing_a_user_sees_refers_to_a_missing_spec_file() {
    let mut seen = String::new();
    for cmd in [vec!["--help"], vec!["solve", "--help"], vec!["train", "--help"], vec!["tightness", "--help"], vec!["demo", "--help"], vec!["solve-file", "--help"], vec!["cpp", "--help"], vec!["convert", "--help"], vec!["solve", "--data", "reference-1d", "--beta", "0.1"], vec!["solve", "--data", "reference-1d", "--beta", "0.1", "--json"]] {
        let out = run(&cmd);
        seen.push_str(&text(&out.stdout));
        seen.push_str(&text(&out.stderr));
    }
    assert!(!seen.contains("SPEC"), "a user-visible SPEC reference");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for sub in ["docs", "src", "examples"] {
        let mut stack = vec![root.join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
    }
    for f in files {
        let t = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!t.contains("SPEC"), "{} mentions SPEC", f.display());
    }
    assert!(root.join("docs/background.md").exists());
}
