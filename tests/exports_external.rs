//! Issue 10, items 1-2: `solve --export` to SDPA and CBF works for the toolkit's own programs
//! (quadratic objective in epigraph form, second-order cones as arrow blocks for SDPA), and the
//! external solvers reach the optimum Clarabel finds in-process on the original problem.
//! Before the fix every such export failed with "SDPA has a linear objective only".

use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::conic::ConicProblem;
use convex_relu::data::{synth, Dataset};
use convex_relu::export::{self, ProblemMeta};
use convex_relu::formulation::{self, sdp, CompileSettings, Formulation};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("exports_external").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(cmd: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {cmd}")).output().map(|o| o.status.success()).unwrap_or(false)
}

fn number_after(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(key)? + key.len()..];
    rest.split(|c: char| c.is_whitespace() || c == '=' || c == ':').find(|t| !t.is_empty())?.parse().ok()
}

fn clarabel_optimum(p: &ConicProblem) -> f64 {
    let sol = backend::solve(p, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    assert_eq!(sol.status, Status::Solved, "{:?}", sol.primal_objective);
    sol.primal_objective
}

/// The SDP relaxation (reduced form) of a small instance, and the exact C-ReLU program of the
/// built-in 1-d instance (second-order cones and a quadratic objective).
fn programs() -> Vec<(&'static str, ConicProblem)> {
    let small: Dataset = synth::gaussian(6, 2, 1, 3).unwrap();
    let relax = sdp::compile(&small, 0.1, sdp::SdpForm::Reduced).unwrap().problem;
    let exact = formulation::compile(Formulation::Exact, &synth::reference_1d(), &CompileSettings::default()).unwrap().problem;
    assert!(relax.p.nnz() > 0 && exact.p.nnz() > 0);
    vec![("sdp-relaxation", relax), ("exact-crelu", exact)]
}

/// Clarabel on a read-back SDPA file (equalities as pairs of inequalities: no interior, so
/// reduced accuracy is accepted; the value is still compared).
fn clarabel_value(p: &ConicProblem) -> f64 {
    let sol = backend::solve(p, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    assert!(sol.status.has_solution(), "{}", sol.status);
    sol.primal_objective
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn csdp_and_sdpa_solve_the_exported_programs_to_the_native_optimum() {
    assert!(have("csdp"), "csdp is not installed (Debian package coinor-csdp; scripts/setup.sh)");
    let dir = scratch("sdpa");
    for (name, problem) in programs() {
        let native = clarabel_optimum(&problem);
        let file = dir.join(format!("{name}.dat-s"));
        export::write(&problem, &ProblemMeta::default(), &file, false).unwrap();
        // read back in-process: same optimum
        assert!(close(clarabel_value(&export::read(&file).unwrap().problem), native, 1e-5), "{name}: read back");
        let out = Command::new("csdp").arg(&file).current_dir(&dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "csdp on {name}: {:?}\n{stdout}", out.status);
        for key in ["Primal objective value", "Dual objective value"] {
            let v = number_after(&stdout, key).unwrap_or_else(|| panic!("{key} missing:\n{stdout}"));
            assert!(close(v, native, 1e-5), "csdp {key} on {name}: {v} vs Clarabel {native}");
        }
        if have("sdpa") {
            // SDPA's default parameters stop early (Cholesky failure, pFEAS) on the exact C-ReLU
            // export; its parameter set `-pt 1` solves it (docs/formats.md).
            let mut cmd = Command::new("sdpa");
            cmd.arg("-ds").arg(&file).arg("-o").arg(dir.join(format!("{name}.out")));
            if name == "exact-crelu" {
                cmd.arg("-pt").arg("1");
            }
            let out = cmd.current_dir(&dir).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("pdOPT") || stdout.contains("pdFEAS"), "sdpa on {name}:\n{stdout}");
            let v = number_after(&stdout, "objValPrimal").unwrap();
            assert!(close(v, native, 1e-5), "sdpa objValPrimal on {name}: {v} vs Clarabel {native}");
        } else {
            eprintln!("note: sdpa is not installed; skipped");
        }
    }
}

#[test]
fn cbf_exports_of_the_programs_read_back_to_the_native_optimum() {
    let dir = scratch("cbf");
    for (name, problem) in programs() {
        let native = clarabel_optimum(&problem);
        let file = dir.join(format!("{name}.cbf"));
        export::write(&problem, &ProblemMeta::default(), &file, false).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("epigraph variable"), "{name}: the epigraph is documented in the file");
        let back = export::read(&file).unwrap().problem;
        assert_eq!(back.num_vars(), problem.num_vars() + 1);
        assert_eq!(back.p.nnz(), 0);
        assert!(close(clarabel_optimum(&back), native, 1e-6), "{name}");
    }
}

/// DSDP solves the exported catalogue (tests/formats.rs) but not these programs; see
/// docs/formats.md ("DSDP"). This test records the measured behaviour so that a change in
/// it (either way) is noticed: DSDP stops without reaching the optimum on the relaxation.
#[test]
fn dsdp_behaviour_on_the_exported_relaxation_is_as_documented() {
    if !have("dsdp5") {
        eprintln!("note: dsdp5 is not installed; skipped");
        return;
    }
    let dir = scratch("dsdp");
    let (name, problem) = programs().remove(0);
    let native = clarabel_optimum(&problem);
    let file = dir.join(format!("{name}.dat-s"));
    export::write(&problem, &ProblemMeta::default(), &file, false).unwrap();
    let out = Command::new("dsdp5").arg(&file).current_dir(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = number_after(&stdout, "DSDP Solution:").unwrap_or(f64::NAN);
    // DSDP prints minus our objective.
    eprintln!("dsdp5 on {name}: {} (native {native})", -v);
    assert!(!close(-v, native, 1e-4), "DSDP now solves the exported relaxation ({}); update docs/formats.md", -v);
}
