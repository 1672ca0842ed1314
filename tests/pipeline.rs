//! The end-to-end pipeline on small enumerable data (scalar output): the chain
//! certified LB <= relaxation optimum <= p* <= rounded network objective, report keys, and
//! Clarabel / SCS agreement on a small catalogue of relaxation instances.

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::data::{synth, Dataset, TargetKind};
use convex_relu::formulation::{sdp, Formulation};
use convex_relu::pipeline::{self, PipelineSettings, REFERENCE_1D_OPTIMUM};
use convex_relu::certify::sdp as sdp_bound;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn random_data(n: usize, d: usize, c: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // drawn row by row
    let x = DMatrix::from_row_iterator(n, d, (0..n * d).map(|_| StandardNormal.sample(&mut rng)));
    let y = DMatrix::from_row_iterator(n, c, (0..n * c).map(|_| StandardNormal.sample(&mut rng)));
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("gaussian n = {n}, d = {d}, c = {c}, seed {seed}"))
}

/// LB <= SDP value <= p* <= UB, each up to a solver tolerance relative to p*.
fn check_chain(data: &Dataset, beta: f64) -> pipeline::Report {
    let s = PipelineSettings { formulation: Formulation::Sdp, beta, exact_optimum: true, ..Default::default() };
    let out = pipeline::run(data, &s).expect("pipeline runs");
    let r = out.report;
    assert!(r.status == "solved" || r.status == "inaccurate", "{r}");
    assert_eq!(r.backend, "clarabel");
    assert!(r.certified, "{r}");
    let lb = r.lower_bound.unwrap();
    let val = r.objective.unwrap();
    let p = r.exact_optimum.expect("p* on enumerable data");
    let ub = r.upper_bound.unwrap();
    let tol = 1e-6 * (1.0 + p.abs());
    assert!(lb <= val + tol, "LB {lb} > SDP value {val}");
    assert!(val <= p + tol, "SDP value {val} > p* {p}");
    assert!(p <= ub + tol, "p* {p} > UB {ub}");
    assert!(r.patterns.is_none());
    let rg = r.relaxation_gap.unwrap();
    let ug = r.rounding_gap.unwrap();
    assert!(rg >= -1e-6 && ug >= -1e-6, "gaps {rg} {ug}");
    assert!((r.gap.unwrap() - (ub - lb) / ub).abs() < 1e-12);
    assert!(out.network.is_some() && out.lambda.is_some());
    r
}

#[test]
fn chain_on_reference_1d() {
    let r = check_chain(&synth::reference_1d(), 0.1);
    assert!((r.exact_optimum.unwrap() - REFERENCE_1D_OPTIMUM).abs() < 1e-6 * REFERENCE_1D_OPTIMUM);
}

#[test]
fn chain_on_random_n8_d2() {
    check_chain(&random_data(8, 2, 1, 7), 0.2);
}

#[test]
fn crelu_report_keys_and_exact_optimum() {
    let data = synth::reference_1d();
    let s = PipelineSettings { formulation: Formulation::Exact, exact_optimum: true, ..Default::default() };
    let r = pipeline::run(&data, &s).unwrap().report;
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "status", "backend", "formulation", "n", "d", "c", "beta", "patterns", "objective", "lower_bound", "certified",
        "upper_bound", "gap", "globally_optimal", "exact_optimum", "relaxation_gap", "rounding_gap", "solve_seconds",
        "seed", "rounding",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["patterns"], 15);
    assert!(r.certified && r.globally_optimal, "{r}");
    assert!(r.gap.unwrap() <= pipeline::GLOBAL_OPTIMALITY_TOLERANCE);
    assert!(r.to_string().contains("global optimality"));
}

#[test]
fn crelu_rejects_vector_output_and_zero_samples() {
    let data = random_data(6, 2, 3, 1);
    let err = pipeline::run(&data, &PipelineSettings::default()).unwrap_err().to_string();
    assert!(err.contains("c = 1") && err.contains("--formulation sdp"), "{err}");
    let s = PipelineSettings { formulation: Formulation::Sdp, samples: Some(0), ..Default::default() };
    assert!(pipeline::run(&data, &s).unwrap_err().to_string().contains("samples"));
}

/// Clarabel (default tolerance) and SCS (1e-7) on three small reduced relaxations: values within
/// 1e-4 relative, and each certified bound below both values.
#[test]
fn clarabel_and_scs_agree_on_small_relaxations() {
    let instances = [
        (synth::reference_1d(), 0.1),
        (random_data(6, 2, 1, 3), 0.1),
        (random_data(5, 2, 2, 4), 0.05),
    ];
    for (data, beta) in instances {
        let compiled = sdp::compile(&data, beta, sdp::SdpForm::Reduced).unwrap();
        let cl = backend::solve(&compiled.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
        let sc = backend::solve(&compiled.problem, BackendKind::Scs, &SolveSettings { tolerance: Some(1e-7), ..Default::default() })
            .unwrap();
        assert_eq!(cl.backend, BackendKind::Clarabel);
        assert_eq!(sc.backend, BackendKind::Scs);
        assert!(cl.status.has_solution() && sc.status.has_solution(), "{} {} on {}", cl.status, sc.status, data.source);
        let (a, b) = (cl.primal_objective, sc.primal_objective);
        assert!((a - b).abs() <= 1e-4 * a.abs().max(b.abs()), "{}: clarabel {a} scs {b}", data.source);
        let tol = 1e-6 * (1.0 + a.abs());
        for sol in [&cl, &sc] {
            let bound = sdp_bound::certify_solution(&compiled, sol, &[]);
            assert!(bound.certified, "{}: {bound}", data.source);
            assert!(bound.value <= a + tol && bound.value <= b + tol, "{}: bound {} vs {a}, {b}", data.source, bound.value);
        }
    }
}
