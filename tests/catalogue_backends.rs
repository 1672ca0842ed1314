//! Every compiled-in backend solves every catalogue problem; answers are checked against the
//! catalogue's independently known values, and the returned vectors are re-checked by the
//! solver-independent KKT check. A backend the build is expected to have (the default features)
//! that is missing fails the test: there are no silent skips.

use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::catalogue::{self, Expected};
use convex_relu::conic::check_solution;

/// (backend, tolerance passed to it, tolerance on the objective and KKT measures)
fn backends() -> Vec<(BackendKind, f64, f64)> {
    vec![(BackendKind::Clarabel, 1e-9, 1e-6), (BackendKind::Scs, 1e-8, 1e-4)]
}

#[test]
fn default_build_has_both_backends() {
    for kind in BackendKind::ALL {
        assert!(kind.is_available(), "backend {kind} is not compiled in; the default features must include it");
        // dnn solves the SDP relaxation from its data, not general conic problems.
        assert_eq!(backend::backend(kind).is_ok(), kind != BackendKind::Dnn, "{kind}");
    }
}

#[test]
fn every_backend_solves_the_whole_catalogue() {
    for (kind, solver_tol, check_tol) in backends() {
        let settings = SolveSettings { tolerance: Some(solver_tol), ..Default::default() };
        for entry in catalogue::all() {
            let sol = backend::solve(&entry.problem, kind, &settings).unwrap_or_else(|e| panic!("{kind} on {}: {e}", entry.name));
            assert_eq!(sol.backend, kind);
            match entry.expected {
                Expected::Optimal(value) => {
                    assert_eq!(sol.status, Status::Solved, "{kind} on {}", entry.name);
                    let chk = check_solution(&entry.problem, &sol.x, &sol.s, &sol.z);
                    let scale = 1.0 + value.abs();
                    assert!((chk.primal_objective - value).abs() <= check_tol * scale, "{kind} on {}: objective {} vs {value}", entry.name, chk.primal_objective);
                    assert!((chk.dual_objective - value).abs() <= check_tol * scale, "{kind} on {}: dual objective {} vs {value}", entry.name, chk.dual_objective);
                    assert!(chk.primal_residual <= check_tol && chk.dual_residual <= check_tol, "{kind} on {}: {chk:?}", entry.name);
                    assert!(chk.slack_cone_violation <= check_tol && chk.dual_cone_violation <= check_tol, "{kind} on {}: {chk:?}", entry.name);
                }
                Expected::PrimalInfeasible => assert_eq!(sol.status, Status::PrimalInfeasible, "{kind} on {}", entry.name),
                Expected::DualInfeasible => assert_eq!(sol.status, Status::DualInfeasible, "{kind} on {}", entry.name),
            }
        }
    }
}

#[test]
fn validate_names_the_problem() {
    let mut p = catalogue::by_name("lp-2d").unwrap().problem;
    p.b.pop();
    let msg = p.validate().unwrap_err().to_string();
    assert!(msg.contains("A") && msg.contains("expected 3 x 2") && msg.contains("found 4 x 2"), "{msg}");
    let mut p = catalogue::by_name("lp-2d").unwrap().problem;
    p.q[1] = f64::NAN;
    let msg = p.validate().unwrap_err().to_string();
    assert!(msg.contains("q[1]") && msg.contains("finite"), "{msg}");
    let mut p = catalogue::by_name("sdp-maxcut-c5").unwrap().problem;
    p.cones.reverse();
    let msg = p.validate().unwrap_err().to_string();
    assert!(msg.contains("cones[1]") && msg.contains("order"), "{msg}");
    let mut p = catalogue::by_name("sdp-maxcut-c5").unwrap().problem;
    p.cones[1] = convex_relu::conic::Cone::Psd(4);
    let msg = p.validate().unwrap_err().to_string();
    assert!(msg.contains("cones") && msg.contains("20") && msg.contains("15"), "{msg}");
}
