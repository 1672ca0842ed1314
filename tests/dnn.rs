//! The `dnn` backend against independent references: Clarabel on the same relaxation, the exact
//! optimum p* (scalar output), real networks' objectives, warm against cold solves, limits.

mod dnn_common;

use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::certify::sdp::certify_dnn;
use convex_relu::data::{synth, Dataset};
use convex_relu::dnn::{self, DnnMethod, DnnProblem, DnnSettings};
use convex_relu::formulation::sdp::{compile, SdpForm};
use convex_relu::network::Network;
use convex_relu::pipeline::{self, PipelineSettings};
use convex_relu::formulation::Formulation;
use nalgebra::DMatrix;
use dnn_common::{assert_below_networks, clarabel, gaussian, random_data};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;


/// The ADMM (these tests are about it; the interior-point method has tests/dnn_ipm.rs).
fn tight(tol: f64) -> DnnSettings {
    DnnSettings { method: DnnMethod::Admm, tolerance: tol, quiet: true, ..Default::default() }
}

#[test]
fn dnn_matches_clarabel_and_its_bound_is_valid_on_small_instances() {
    // Instances on which the ADMM reaches 1e-7 within its default iteration limit (the
    // 3-class spirals do not: see docs/benchmarks-sdp.md).
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::reference_1d(), 0.1),
        (synth::reference_1d(), 1.0),
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
    ];
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        let sol = dnn::solve(&prob, &tight(1e-7), None).unwrap();
        assert_eq!(sol.status, Status::Solved, "{} n = {}", data.source, data.n());
        let lam = sol.lambda(&prob).unwrap();
        let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
        let (p_clar, lb_clar) = clarabel(&data, beta);
        let rel = (sol.primal_objective - p_clar).abs() / p_clar.abs().max(1e-12);
        assert!(rel < 1e-6, "{}: dnn {} vs clarabel {} (rel {rel:.2e})", data.source, sol.primal_objective, p_clar);
        assert!(lb.certified, "{lb}");
        // Each certified bound lies below the other solver's optimum, and ours is tight.
        assert!(lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{}: LB {} above clarabel {}", data.source, lb.value, p_clar);
        assert!(lb_clar <= sol.primal_objective + 1e-5 * (1.0 + p_clar.abs()));
        let gap = (sol.primal_objective - lb.value) / lb.value.abs();
        assert!(gap < 1e-4, "{}: certified gap {gap:.2e}", data.source);
    }
}

#[test]
fn lower_bound_is_below_the_exact_optimum() {
    // reference_1d: p* = 0.71707776 (published reference value).
    let data = synth::reference_1d();
    let prob = DnnProblem::new(&data, 0.1).unwrap();
    for max_iterations in [5, 200, 100_000] {
        let sol = dnn::solve(&prob, &DnnSettings { max_iterations, ..tight(1e-7) }, None).unwrap();
        let lb = certify_dnn(&prob, &sol.z, None, &[]);
        assert!(lb.certified && lb.value <= 0.71707776, "{max_iterations} iterations: {lb}");
    }
    // A random scalar instance whose p* the exact C-ReLU program gives (all patterns, Clarabel).
    let data = random_data(11, 8, 2, 1);
    let p_star = pipeline::exact_optimum(&data, 0.2, BackendKind::Clarabel, &SolveSettings::default(), &Default::default()).unwrap();
    let prob = DnnProblem::new(&data, 0.2).unwrap();
    let sol = dnn::solve(&prob, &tight(1e-7), None).unwrap();
    let lb = certify_dnn(&prob, &sol.z, None, &[]);
    assert!(lb.certified && lb.value <= p_star + 1e-7, "LB {} vs p* {p_star}", lb.value);
}

#[test]
fn the_lift_of_a_network_is_feasible_with_the_same_objective() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for trial in 0..20 {
        let (n, d, c, m) = (3 + trial % 5, 1 + trial % 3, 1 + trial % 2, 1 + trial % 4);
        let data = random_data(100 + trial as u64, n, d, c);
        let net = Network { u: gaussian(&mut rng, d, m), v: gaussian(&mut rng, c, m) };
        let prob = DnnProblem::new(&data, 0.3).unwrap();
        // S = sum_j z_j z_j' with z_j = (s(X u_j), u_j, v_j).
        let h = net.hidden(data.x.as_view());
        let q = n + d + c;
        let mut s = DMatrix::zeros(q, q);
        for j in 0..m {
            let z: Vec<f64> = (0..n).map(|i| h[(i, j)]).chain((0..d).map(|l| net.u[(l, j)])).chain((0..c).map(|k| net.v[(k, j)])).collect();
            for a in 0..q {
                for b in 0..q {
                    s[(a, b)] += z[a] * z[b];
                }
            }
        }
        let want = net.objective(&data, 0.3);
        let got = prob.objective(&s);
        assert!((got - want).abs() <= 1e-10 * (1.0 + want), "objective {got} vs network {want}");
        let lam = prob.t.forward(&s).unwrap();
        for i in 0..2 * n {
            for j in 0..2 * n {
                assert!(lam[(i, j)] >= -1e-10, "Lambda[{i},{j}] = {}", lam[(i, j)]);
            }
        }
        for i in 0..n {
            assert!(lam[(i, n + i)].abs() <= 1e-10);
        }
    }
}

#[test]
fn the_certified_bound_is_below_every_network_tried() {
    let data = synth::spirals(8, 3, 0.0, 2).unwrap();
    let prob = DnnProblem::new(&data, 0.1).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for max_iterations in [1, 50, 2000] {
        let sol = dnn::solve(&prob, &DnnSettings { max_iterations, ..tight(1e-9) }, None).unwrap();
        let lb = certify_dnn(&prob, &sol.z, None, &[]);
        assert!(lb.certified, "{lb}");
        assert_below_networks(lb.value, &data, 0.1, &mut rng);
    }
}

#[test]
fn warm_started_path_gives_the_cold_values() {
    let data = synth::reference_1d();
    let base = PipelineSettings {
        formulation: Formulation::Sdp,
        backend: BackendKind::Dnn,
        dnn_method: DnnMethod::Admm,
        solve: SolveSettings { tolerance: Some(1e-7), ..Default::default() },
        ..Default::default()
    };
    let betas = [1.0, 0.3, 0.1];
    let path = pipeline::run_path(&data, &base, &betas).unwrap();
    assert_eq!(path.len(), 3);
    for (out, &beta) in path.iter().zip(&betas) {
        let cold = pipeline::run(&data, &PipelineSettings { beta, ..base.clone() }).unwrap();
        let (w, c) = (out.report.objective.unwrap(), cold.report.objective.unwrap());
        assert!((w - c).abs() <= 1e-5 * (1.0 + c.abs()), "beta {beta}: warm {w} vs cold {c}");
        assert!(out.report.certified && out.report.lower_bound.unwrap() <= c + 1e-6);
        assert_eq!(out.report.beta, beta);
    }
    assert!(path[1].report.notes.iter().any(|n| n.contains("warm-started")));
}

#[test]
fn time_limit_returns_on_time_with_a_certified_bound() {
    let data = synth::spirals(40, 3, 0.0, 3).unwrap();
    let s = PipelineSettings {
        formulation: Formulation::Sdp,
        backend: BackendKind::Dnn,
        solve: SolveSettings { time_limit_seconds: Some(0.5), tolerance: Some(1e-12), ..Default::default() },
        dnn_method: DnnMethod::Admm,
        ..Default::default()
    };
    let t0 = Instant::now();
    let out = pipeline::run(&data, &s).unwrap();
    assert_eq!(out.report.status, "time_limit");
    assert!(out.report.solve_seconds < 2.0, "solve took {} s", out.report.solve_seconds);
    assert!(t0.elapsed().as_secs_f64() < 30.0);
    assert!(out.report.certified);
    assert!(out.report.lower_bound.unwrap() <= out.report.upper_bound.unwrap());
}

#[test]
fn memory_guard_and_bad_settings_are_clear_errors() {
    let data = synth::reference_1d();
    let prob = DnnProblem::new(&data, 0.1).unwrap();
    let err = dnn::solve(&prob, &DnnSettings { memory_limit_bytes: 1000, ..tight(1e-6) }, None).unwrap_err().to_string();
    assert!(err.contains("GB") && err.contains("limit"), "{err}");
    let err = dnn::solve(&prob, &DnnSettings { relaxation: 2.5, ..tight(1e-6) }, None).unwrap_err().to_string();
    assert!(err.contains("relaxation"), "{err}");
    assert!(DnnProblem::new(&data, -1.0).is_err());
    // dnn refuses general conic problems and the full form, naming the alternative.
    let comp = compile(&data, 0.1, SdpForm::Reduced).unwrap();
    let err = backend::solve(&comp.problem, BackendKind::Dnn, &SolveSettings::default()).unwrap_err().to_string();
    assert!(err.contains("clarabel or scs"), "{err}");
    let s = PipelineSettings { formulation: Formulation::SdpFull, backend: BackendKind::Dnn, ..Default::default() };
    let err = pipeline::run(&data, &s).unwrap_err().to_string();
    assert!(err.contains("--formulation sdp"), "{err}");
}
