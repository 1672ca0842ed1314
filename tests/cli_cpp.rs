//! `convex-relu cpp`: export of the completely positive program and the lift check of a network
//! trained by the non-convex baseline (an independent producer of networks).

use convex_relu::data::synth;
use convex_relu::network::Network;
use std::path::PathBuf;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convex-relu")).args(args).output().expect("binary runs")
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli_cpp").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn export_and_check_a_trained_network() {
    let dir = tmp_dir("export_check");
    let net = dir.join("net.json");
    let cpp = dir.join("cpp.json");
    let out = run(&["train", "--data", "reference-1d", "--beta", "0.1", "--width", "5", "--restarts", "2", "--iterations", "300", "--quiet", "--save-network", net.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["cpp", "--data", "reference-1d", "--beta", "0.1", "--export", cpp.to_str().unwrap(), "--check", net.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check["feasible"], true, "{check}");
    assert_eq!(check["generators"], 5);
    // the CPP objective of the lift is the network's own training objective, computed here
    let network = Network::load(&net).unwrap();
    let expected = network.objective(&synth::reference_1d(), 0.1);
    let cpp_objective = check["cpp_objective"].as_f64().unwrap();
    assert!((cpp_objective - expected).abs() <= 1e-10 * (1.0 + expected), "{cpp_objective} vs {expected}");
    let description: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cpp).unwrap()).unwrap();
    assert_eq!(description["cone"], "completely_positive", "{description}");
    // the file is not overwritten without --force
    let again = run(&["cpp", "--data", "reference-1d", "--beta", "0.1", "--export", cpp.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
}

#[test]
fn cpp_without_a_task_or_with_a_bad_network_file_fails_clearly() {
    let out = run(&["cpp", "--data", "reference-1d", "--beta", "0.1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
    let dir = tmp_dir("bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"format\": \"convex-relu-network\"").unwrap();
    let out = run(&["cpp", "--data", "reference-1d", "--beta", "0.1", "--check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"), "{}", String::from_utf8_lossy(&out.stderr));
}
