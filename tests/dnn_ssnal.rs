//! The `dnn` backend's semismooth Newton augmented Lagrangian method
//! (`--dnn-method ssnal`) against independent references: Clarabel on the same relaxation and
//! the objectives of real networks. On small instances it must reach `solved` with Clarabel's
//! value; whatever its status (a time limit included), its certified bound must be valid.

mod dnn_common;

use convex_relu::backend::Status;
use convex_relu::certify::sdp::certify_dnn;
use convex_relu::data::{synth, Dataset};
use convex_relu::dnn::ssnal::SsnalSettings;
use convex_relu::dnn::{self, DnnMethod, DnnProblem, DnnSettings};
use dnn_common::{assert_below_networks, clarabel, random_data};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn ssnal(tol: f64, time_limit: f64) -> DnnSettings {
    DnnSettings { method: DnnMethod::Ssnal, tolerance: tol, time_limit_seconds: Some(time_limit), quiet: true, ..Default::default() }
}

#[test]
fn ssnal_bound_is_valid_and_a_solved_status_means_clarabels_value() {
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::reference_1d(), 0.1),
        (synth::reference_1d(), 1.0),
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (synth::spirals(6, 3, 0.0, 1).unwrap(), 0.1), // tied rows: solved on the reduced program
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (data, beta) in cases {
        let label = format!("{} n = {} beta = {beta}", data.source, data.n());
        let prob = DnnProblem::new(&data, beta).unwrap();
        let sol = dnn::solve(&prob, &ssnal(1e-7, 20.0), None).unwrap();
        assert_eq!(sol.method, DnnMethod::Ssnal);
        let (p_clar, lb_clar) = clarabel(&data, beta);
        let lam = sol.lambda(&prob).unwrap();
        let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
        assert!(lb.certified, "{label}: {lb}");
        eprintln!("{label}: {} in {:.2} s, value {} LB {} (clarabel {p_clar})", sol.status, sol.solve_seconds, sol.primal_objective, lb.value);
        assert!(lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel's {p_clar}", lb.value);
        assert_below_networks(lb.value, &data, beta, &mut rng);
        // The primal point is PSD and (nearly) feasible, so its value cannot be far below the optimum.
        assert!(lb_clar <= sol.primal_objective + 1e-3 * (1.0 + p_clar.abs()), "{label}: {} vs clarabel LB {lb_clar}", sol.primal_objective);
        // These small instances are within reach of the method (the large ones are not: module docs).
        assert_eq!(sol.status, Status::Solved, "{label}");
        {
            let rel = |a: f64| (a - p_clar).abs() / p_clar.abs().max(1e-12);
            assert!(rel(sol.primal_objective) < 1e-6, "{label}: ssnal {} vs clarabel {p_clar}", sol.primal_objective);
            assert!(rel(lb.value) < 1e-6, "{label}: LB {} vs clarabel {p_clar}", lb.value);
        }
    }
}

#[test]
fn ssnal_stops_on_time_with_a_valid_bound() {
    let data = synth::planted_relu(30, 2, 3, 5, 0.1, 2).unwrap().0;
    let beta = 0.1;
    let prob = DnnProblem::new(&data, beta).unwrap();
    let limit = 1.5;
    let t0 = Instant::now();
    let sol = dnn::solve(&prob, &ssnal(1e-10, limit), None).unwrap();
    let elapsed = t0.elapsed().as_secs_f64();
    assert_eq!(sol.status, Status::TimeLimit);
    assert!(elapsed < limit + 1.0, "took {elapsed} s for a limit of {limit} s");
    let lam = sol.lambda(&prob).unwrap();
    let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
    let (p_clar, _) = clarabel(&data, beta);
    assert!(lb.value <= p_clar + 1e-7 * (1.0 + p_clar), "LB {} above clarabel's {p_clar}", lb.value);
}

#[test]
fn ssnal_settings_are_checked() {
    let prob = DnnProblem::new(&synth::reference_1d(), 0.1).unwrap();
    let bad = [
        SsnalSettings { sigma: 2e5, ..Default::default() },
        SsnalSettings { tau: 0.0, ..Default::default() },
        SsnalSettings { cg_iterations: 0, ..Default::default() },
        SsnalSettings { admm_tolerance: f64::NAN, ..Default::default() },
    ];
    for s in bad {
        let settings = DnnSettings { method: DnnMethod::Ssnal, ssnal: s.clone(), quiet: true, ..Default::default() };
        let err = dnn::solve(&prob, &settings, None).unwrap_err().to_string();
        assert!(err.contains("ssnal"), "{s:?}: {err}");
    }
    assert_eq!(DnnMethod::parse("ssnal").unwrap(), DnnMethod::Ssnal);
}

#[test]
fn ssnal_warm_started_along_beta_gives_the_cold_values() {
    let data = synth::reference_1d();
    let first = DnnProblem::new(&data, 1.0).unwrap();
    let sol1 = dnn::solve(&first, &ssnal(1e-7, 20.0), None).unwrap();
    for beta in [0.1, 0.01] {
        let prob = first.with_beta(beta).unwrap();
        let warm = dnn::solve(&prob, &ssnal(1e-7, 20.0), Some(&sol1.state)).unwrap();
        let cold = dnn::solve(&prob, &ssnal(1e-7, 20.0), None).unwrap();
        let (p_clar, _) = clarabel(&data, beta);
        for (what, sol) in [("warm", &warm), ("cold", &cold)] {
            assert_eq!(sol.status, Status::Solved, "{what} beta = {beta}");
            assert!((sol.primal_objective - p_clar).abs() < 1e-6 * (1.0 + p_clar), "{what} beta = {beta}: {} vs clarabel {p_clar}", sol.primal_objective);
        }
    }
}
