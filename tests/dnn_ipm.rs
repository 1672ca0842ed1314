//! The `dnn` backend's interior-point method against independent references: Clarabel on the
//! same relaxation (compiled as a sparse conic problem), the exact optimum p* of scalar instances,
//! the objectives of real networks, and its own limits.

mod dnn_common;

use convex_relu::backend::{BackendKind, SolveSettings, Status};
use convex_relu::certify::sdp::certify_dnn;
use convex_relu::data::{synth, transform, Dataset, TargetKind};
use convex_relu::dnn::reduce::RowReduction;
use convex_relu::dnn::{self, DnnMethod, DnnProblem, DnnSettings};
use convex_relu::formulation::Formulation;
use convex_relu::pipeline::{self, PipelineSettings};
use dnn_common::{assert_below_networks, clarabel_reference as clarabel, random_data};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn ipm(tol: f64) -> DnnSettings {
    DnnSettings { method: DnnMethod::InteriorPoint, tolerance: tol, quiet: true, ..Default::default() }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

#[test]
fn ipm_matches_clarabel_and_certifies_within_1e_6() {
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::reference_1d(), 0.1),
        (synth::reference_1d(), 1.0),
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (random_data(6, 16, 4, 2), 0.05),
    ];
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        let sol = dnn::solve(&prob, &ipm(1e-8), None).unwrap();
        let label = format!("{} n = {} beta = {beta}", data.source, data.n());
        assert_eq!(sol.method, DnnMethod::InteriorPoint);
        assert_eq!(sol.status, Status::Solved, "{label}");
        let lam = sol.lambda(&prob).unwrap();
        let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
        let (status, p_clar, lb_clar) = clarabel(&data, beta);
        assert!(status.has_solution(), "{label}: clarabel {status}");
        assert!(rel(sol.primal_objective, p_clar) < 1e-6, "{label}: ipm {} vs clarabel {p_clar}", sol.primal_objective);
        assert!(lb.certified, "{label}: {lb}");
        // Each certified bound lies below the other solver's value; ours is within 1e-6.
        assert!(lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel {p_clar}", lb.value);
        assert!(lb_clar <= sol.primal_objective + 1e-7 * (1.0 + p_clar.abs()));
        assert!((sol.primal_objective - lb.value) / lb.value.abs() < 1e-6, "{label}: certified gap {} .. {}", lb.value, sol.primal_objective);
    }
}

#[test]
fn ipm_in_mixed_precision_matches_clarabel() {
    // Single-precision factors from the first iteration (by default only from q = 100 on), on
    // instances small enough for Clarabel: the directions refined in double precision must lead
    // to the same optimum and a certificate as tight as in double precision.
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (random_data(6, 16, 4, 2), 0.05),
    ];
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        let sol = dnn::solve(&prob, &DnnSettings { ipm_single_precision_from: Some(0), ..ipm(1e-8) }, None).unwrap();
        let label = format!("{} n = {} beta = {beta}", data.source, data.n());
        assert_eq!(sol.status, Status::Solved, "{label}");
        assert!(sol.single_precision_iterations > 0, "{label}: no iteration in single precision");
        let lam = sol.lambda(&prob).unwrap();
        let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
        let (status, p_clar, _) = clarabel(&data, beta);
        assert!(status.has_solution(), "{label}: clarabel {status}");
        assert!(rel(sol.primal_objective, p_clar) < 1e-6, "{label}: mixed {} vs clarabel {p_clar}", sol.primal_objective);
        assert!(lb.certified && lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel {p_clar}", lb.value);
        assert!((sol.primal_objective - lb.value) / lb.value.abs() < 1e-6, "{label}: certified gap {} .. {}", lb.value, sol.primal_objective);
        // Double precision only: never a single-precision factor.
        let double = dnn::solve(&prob, &DnnSettings { ipm_single_precision_from: None, ..ipm(1e-8) }, None).unwrap();
        assert_eq!(double.single_precision_iterations, 0, "{label}");
    }
}

#[test]
fn ipm_with_the_low_rank_preconditioner_matches_clarabel() {
    // Directions by GMRES preconditioned by the Kronecker part plus a few terms of largest
    // leverage (by default only from q = 70 on), on instances small enough for Clarabel, with
    // so few terms kept that GMRES has work to do: same optimum, certificate as tight.
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (random_data(6, 16, 4, 2), 0.05),
    ];
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        for terms in [0, 20] {
            let settings = DnnSettings { ipm_preconditioned_from: Some(0), ipm_preconditioner_terms: Some(terms), ..ipm(1e-8) };
            let sol = dnn::solve(&prob, &settings, None).unwrap();
            let label = format!("{} n = {} beta = {beta}, {terms} terms", data.source, data.n());
            assert_eq!(sol.status, Status::Solved, "{label}");
            assert!(sol.preconditioned_iterations > 0, "{label}: no iteration without a factorisation");
            let lam = sol.lambda(&prob).unwrap();
            let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
            let (status, p_clar, _) = clarabel(&data, beta);
            assert!(status.has_solution(), "{label}: clarabel {status}");
            assert!(rel(sol.primal_objective, p_clar) < 1e-6, "{label}: preconditioned {} vs clarabel {p_clar}", sol.primal_objective);
            assert!(lb.certified && lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel {p_clar}", lb.value);
            assert!((sol.primal_objective - lb.value) / lb.value.abs() < 1e-6, "{label}: certified gap {} .. {}", lb.value, sol.primal_objective);
        }
        let direct = dnn::solve(&prob, &DnnSettings { ipm_preconditioned_from: None, ..ipm(1e-8) }, None).unwrap();
        assert_eq!(direct.preconditioned_iterations, 0);
    }
}

#[test]
fn ipm_on_the_augmented_system_matches_clarabel_and_factors_less() {
    // Where GMRES on the normal equations misses its accuracy near the end, the method moves the
    // active inequalities to augmented form instead of factoring the normal matrix: the same
    // optimum and as tight a certificate as Clarabel's, with fewer factored iterations than
    // with the augmented system turned off (the factored fallback), on at least one instance.
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (random_data(6, 16, 4, 2), 0.05),
    ];
    let mut fewer = 0;
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        let (status, p_clar, _) = clarabel(&data, beta);
        assert!(status.has_solution(), "clarabel {status}");
        let mut factored = Vec::new();
        for augmented in [true, false] {
            let settings = DnnSettings { ipm_preconditioned_from: Some(0), ipm_preconditioner_terms: Some(20), ipm_augmented: augmented, ..ipm(1e-8) };
            let sol = dnn::solve(&prob, &settings, None).unwrap();
            let label = format!("{} n = {} beta = {beta}, augmented {augmented}", data.source, data.n());
            assert_eq!(sol.status, Status::Solved, "{label}");
            let lam = sol.lambda(&prob).unwrap();
            let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
            assert!(rel(sol.primal_objective, p_clar) < 1e-6, "{label}: {} vs clarabel {p_clar}", sol.primal_objective);
            assert!(lb.certified && lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel {p_clar}", lb.value);
            assert!((sol.primal_objective - lb.value) / lb.value.abs() < 1e-6, "{label}: certified gap {} .. {}", lb.value, sol.primal_objective);
            factored.push(sol.iterations - sol.preconditioned_iterations);
        }
        if factored[0] < factored[1] {
            fewer += 1;
        }
    }
    assert!(fewer > 0, "the augmented system never spared a factorisation");
}

#[test]
fn ipm_on_data_with_equal_and_zero_rows_matches_clarabel_on_the_merged_data() {
    // The 3-class spiral starts every arm at the origin: three zero rows, or with a bias column
    // three equal rows. Both tie rows of S together and leave the program without a strictly
    // feasible point; the reference is Clarabel on the merged data plus the constant.
    let plain = synth::spirals(12, 3, 0.0, 1).unwrap();
    let mut with_bias = plain.clone();
    transform::append_bias(&mut with_bias);
    for data in [plain, with_bias] {
        let beta = 0.1;
        let prob = DnnProblem::new(&data, beta).unwrap();
        let red = RowReduction::of(&prob);
        assert!(!red.is_trivial());
        let (reduced, constant) = red.reduced_problem(&prob);
        let merged = Dataset::from_arrays(reduced.t.x().clone(), reduced.y.clone(), TargetKind::Numeric, "merged");
        let (status, p_merged, _) = clarabel(&merged, beta);
        assert_eq!(status, Status::Solved);
        let reference = p_merged + constant;
        let sol = dnn::solve(&prob, &ipm(1e-8), None).unwrap();
        assert_eq!(sol.status, Status::Solved);
        assert!(rel(sol.primal_objective, reference) < 1e-6, "ipm {} vs merged clarabel {reference}", sol.primal_objective);
        let lb = certify_dnn(&prob, &sol.z, None, &[]);
        assert!(lb.certified && lb.value <= reference + 1e-7 && (reference - lb.value) / reference < 1e-6, "{lb} vs {reference}");
        // The returned point is feasible for the original program.
        let lam = sol.lambda(&prob).unwrap();
        let n = data.n();
        for i in 0..2 * n {
            for j in 0..2 * n {
                assert!(lam[(i, j)] >= -1e-8, "Lambda[{i},{j}] = {}", lam[(i, j)]);
            }
        }
        // Clarabel on the original data (no strictly feasible point) agrees to its lower accuracy.
        let (_, p_orig, lb_orig) = clarabel(&data, beta);
        assert!(rel(p_orig, reference) < 1e-4, "clarabel on the original data {p_orig} vs {reference}");
        assert!(lb_orig <= reference + 1e-7);
    }
}

#[test]
fn ipm_bound_is_below_p_star_and_every_network_whatever_the_iteration_count() {
    // Scalar output: p* from the exact C-ReLU program (all patterns, Clarabel).
    let data = random_data(11, 8, 2, 1);
    let p_star = pipeline::exact_optimum(&data, 0.2, BackendKind::Clarabel, &SolveSettings::default(), &Default::default()).unwrap();
    let prob = DnnProblem::new(&data, 0.2).unwrap();
    let sol = dnn::solve(&prob, &ipm(1e-8), None).unwrap();
    let lb = certify_dnn(&prob, &sol.z, None, &[]);
    assert!(lb.certified && lb.value <= p_star + 1e-7, "LB {} vs p* {p_star}", lb.value);
    // reference_1d, beta 0.1: p* = 0.71707776 (published reference value).
    let data = synth::reference_1d();
    let prob = DnnProblem::new(&data, 0.1).unwrap();
    for max_iterations in [1, 4, 100] {
        let sol = dnn::solve(&prob, &DnnSettings { max_iterations, ..ipm(1e-8) }, None).unwrap();
        let lb = certify_dnn(&prob, &sol.z, None, &[]);
        assert!(lb.certified && lb.value <= 0.71707776, "{max_iterations} iterations: {lb}");
    }
    // Spirals (zero rows): every network's objective lies above the bound, early stops included.
    let data = synth::spirals(8, 3, 0.0, 2).unwrap();
    let prob = DnnProblem::new(&data, 0.1).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for max_iterations in [1, 3, 10, 100] {
        let sol = dnn::solve(&prob, &DnnSettings { max_iterations, ..ipm(1e-9) }, None).unwrap();
        let lb = certify_dnn(&prob, &sol.z, None, &[]);
        assert!(lb.certified, "{lb}");
        assert_below_networks(lb.value, &data, 0.1, &mut rng);
    }
}

#[test]
fn ipm_time_limit_path_and_method_choice() {
    // A time limit stops before it is exceeded, with a certified bound.
    let data = synth::spirals(45, 3, 0.0, 3).unwrap();
    let s = PipelineSettings {
        formulation: Formulation::Sdp,
        backend: BackendKind::Dnn,
        dnn_method: DnnMethod::InteriorPoint,
        solve: SolveSettings { time_limit_seconds: Some(0.3), tolerance: Some(1e-12), ..Default::default() },
        ..Default::default()
    };
    let out = pipeline::run(&data, &s).unwrap();
    assert_eq!(out.report.status, "time_limit");
    assert_eq!(out.report.dnn_method.as_deref(), Some("ipm"));
    assert!(out.report.solve_seconds < 1.0, "solve took {} s", out.report.solve_seconds);
    assert!(out.report.certified && out.report.lower_bound.unwrap() <= out.report.upper_bound.unwrap());

    // A beta path solves each value from scratch and says so; the values are the cold ones.
    let data = synth::reference_1d();
    let base = PipelineSettings { formulation: Formulation::Sdp, backend: BackendKind::Dnn, dnn_method: DnnMethod::InteriorPoint, ..Default::default() };
    let path = pipeline::run_path(&data, &base, &[1.0, 0.1]).unwrap();
    let cold = pipeline::run(&data, &PipelineSettings { beta: 0.1, ..base.clone() }).unwrap();
    assert_eq!(path[1].report.objective, cold.report.objective);
    assert!(path[1].report.notes.iter().any(|n| n.contains("from scratch")));

    // Auto: the interior-point method on small programs, otherwise the working-set method when
    // its rounds' Schur complement fits and is small (order n c + max(4 n, 1000) <= 8000) or the
    // time limit leaves it 3.5 predicted rounds, the semismooth Newton method otherwise;
    // the interior-point method refuses up front, naming the estimate and the alternative.
    let small = DnnProblem::new(&synth::reference_1d(), 0.1).unwrap();
    assert_eq!(DnnMethod::Auto.resolve(&small, &DnnSettings::default()), DnnMethod::InteriorPoint);
    // ... and the working-set method when a time limit is below the interior-point method's
    // predicted time.
    let spiral = DnnProblem::new(&synth::spirals(45, 3, 0.0, 3).unwrap(), 0.1).unwrap();
    let predicted = dnn::ipm::predicted_seconds(&spiral, &DnnSettings::default());
    assert_eq!(predicted, dnn::ipm::TYPICAL_ITERATIONS * dnn::ipm::predicted_iteration_seconds(&spiral));
    let limited = |t: f64| DnnSettings { time_limit_seconds: Some(t), ..DnnSettings::default() };
    assert_eq!(DnnMethod::Auto.resolve(&spiral, &limited(0.5 * predicted)), DnnMethod::WorkingSet);
    assert_eq!(DnnMethod::Auto.resolve(&spiral, &limited(2.0 * predicted)), DnnMethod::InteriorPoint);
    let larger = DnnProblem::new(&random_data(1, 90, 3, 2), 0.1).unwrap();
    let tight_memory = DnnSettings { memory_limit_bytes: 40_000_000, ..ipm(1e-6) };
    assert!(dnn::ipm::memory_estimate(&larger).unwrap() > 40_000_000);
    assert!(larger.memory_estimate().unwrap() < 40_000_000);
    assert_eq!(DnnMethod::Auto.resolve(&larger, &tight_memory), DnnMethod::WorkingSet);
    // The semismooth Newton method where neither fits: memory below the working set's rounds
    // (order 90 * 3 + 1000 = 1270, about 13 MB for its Schur complement alone) ...
    let tighter = DnnSettings { memory_limit_bytes: 12_000_000, ..ipm(1e-6) };
    assert!(larger.memory_estimate().unwrap() < 12_000_000);
    assert_eq!(DnnMethod::Auto.resolve(&larger, &tighter), DnnMethod::Ssnal);
    // ... or many outputs: n = 700, c = 10 puts it at 7000 + 2800 = 9800 > 8000, where the
    // working set needs the time for 3.5 predicted rounds of 20 factorisations of that order
    // (20 * 9800^3 / 3 flops at 6e10 flop/s: 104.6 s each, 366.2 s in all); without a time limit
    // it has that time.
    let wide = DnnProblem::new(&random_data(1, 700, 2, 10), 0.1).unwrap();
    assert_eq!(dnn::working_set_first_order(&wide), 9800);
    let round = dnn::predicted_working_set_round_seconds(&wide);
    assert!((round - 20.0 * 9800f64.powi(3) / 3.0 / 6e10).abs() < 1e-9 * round, "{round}");
    assert_eq!(DnnMethod::Auto.resolve(&wide, &limited(3.4 * round)), DnnMethod::Ssnal);
    assert_eq!(DnnMethod::Auto.resolve(&wide, &limited(3.6 * round)), DnnMethod::WorkingSet);
    assert_eq!(DnnMethod::Auto.resolve(&wide, &DnnSettings::default()), DnnMethod::WorkingSet);
    let narrow = DnnProblem::new(&random_data(1, 700, 2, 2), 0.1).unwrap();
    assert_eq!(narrow.t.q(), 704);
    assert_eq!(DnnMethod::Auto.resolve(&narrow, &DnnSettings::default()), DnnMethod::WorkingSet);
    // Between q = 400 and 700 the interior-point method on the whole program, when it fits the
    // memory and the time limit is none or long enough for it to pass the working set's bound,
    // whatever its predicted time.
    let large = DnnProblem::new(&random_data(1, 500, 2, 2), 0.1).unwrap();
    assert_eq!(large.t.q(), 504);
    let roomy = DnnSettings { memory_limit_bytes: 8_000_000_000, ..DnnSettings::default() };
    assert!(dnn::ipm::fits_in_memory(&large, &roomy));
    assert_eq!(DnnMethod::Auto.resolve(&large, &roomy), DnnMethod::InteriorPoint);
    let at = |t: f64| DnnSettings { time_limit_seconds: Some(t), ..roomy.clone() };
    assert!(dnn::ipm::predicted_seconds(&large, &roomy) > dnn::AUTO_IPM_LARGE_MIN_SECONDS);
    assert_eq!(DnnMethod::Auto.resolve(&large, &at(dnn::AUTO_IPM_LARGE_MIN_SECONDS)), DnnMethod::InteriorPoint);
    assert_eq!(DnnMethod::Auto.resolve(&large, &at(0.5 * dnn::AUTO_IPM_LARGE_MIN_SECONDS)), DnnMethod::WorkingSet);
    let cramped = DnnSettings { memory_limit_bytes: 100_000_000, ..roomy.clone() };
    assert!(!dnn::ipm::fits_in_memory(&large, &cramped));
    assert_ne!(DnnMethod::Auto.resolve(&large, &cramped), DnnMethod::InteriorPoint);
    // Up to q = 400 the interior-point method, even where its normal matrix (order 43 365 here,
    // about 8 GB) would not fit: it runs on the preconditioner and the augmented system; its
    // predicted time then counts no factored iteration. Without room for the augmented
    // system's capacitance matrix, the working set.
    let mid = DnnProblem::new(&random_data(1, 290, 2, 2), 0.1).unwrap();
    assert_eq!(mid.t.q(), 294);
    let below_normal = DnnSettings { memory_limit_bytes: 3_000_000_000, ..DnnSettings::default() };
    assert!(dnn::ipm::memory_estimate(&mid).unwrap() > below_normal.memory_limit_bytes);
    assert_eq!(DnnMethod::Auto.resolve(&mid, &below_normal), DnnMethod::InteriorPoint);
    // At or below q = 400 the predicted time must fit a time limit, even one of 240 s or more.
    let edge = DnnProblem::new(&random_data(1, 396, 2, 2), 0.1).unwrap();
    assert_eq!(edge.t.q(), dnn::AUTO_IPM_MAX_ORDER);
    let edge_predicted = dnn::ipm::predicted_seconds(&edge, &below_normal);
    assert!(edge_predicted > dnn::AUTO_IPM_LARGE_MIN_SECONDS + 1.0, "{edge_predicted}");
    let edge_over = DnnSettings { time_limit_seconds: Some(dnn::AUTO_IPM_LARGE_MIN_SECONDS + 1.0), ..below_normal.clone() };
    assert_ne!(DnnMethod::Auto.resolve(&edge, &edge_over), DnnMethod::InteriorPoint);
    let edge_fits = DnnSettings { time_limit_seconds: Some(edge_predicted), ..below_normal.clone() };
    assert_eq!(DnnMethod::Auto.resolve(&edge, &edge_fits), DnnMethod::InteriorPoint);
    let mid_predicted = dnn::ipm::predicted_seconds(&mid, &below_normal);
    assert_eq!(mid_predicted, dnn::ipm::TYPICAL_ITERATIONS * dnn::ipm::predicted_preconditioned_iteration_seconds(&mid));
    let no_augmented = DnnSettings { ipm_augmented: false, ..below_normal.clone() };
    assert!(dnn::ipm::predicted_seconds(&mid, &no_augmented) > mid_predicted);
    let terms = dnn::ipm::preconditioner_terms(&mid, &below_normal);
    let augmented_bytes = dnn::ipm::preconditioned_memory_estimate(&mid, 4 * terms).unwrap();
    let too_small = DnnSettings { memory_limit_bytes: augmented_bytes - 1, ..below_normal.clone() };
    assert_ne!(DnnMethod::Auto.resolve(&mid, &too_small), DnnMethod::InteriorPoint);
    // Without the preconditioned mode the method refuses, naming both estimates and the
    // alternatives ...
    let direct_only = DnnSettings { ipm_preconditioned_from: None, ..tight_memory.clone() };
    let err = dnn::solve(&larger, &direct_only, None).unwrap_err().to_string();
    assert!(err.contains("GB") && err.contains("ssnal") && err.contains("admm") && err.contains("without its normal matrix"), "{err}");
    // ... and the method `auto` would pick under the same settings.
    assert_eq!(DnnMethod::Auto.resolve(&larger, &direct_only), DnnMethod::WorkingSet);
    assert!(err.contains("auto picks ipm-working-set here"), "{err}");
    // ... with it (the default from q = 70) it runs without ever forming the normal matrix, and
    // whatever its status, the bound from its multiplier is certified and below its value.
    assert!(dnn::ipm::preconditioned_memory_estimate(&larger, 1000).unwrap() < 40_000_000);
    let sol = dnn::solve(&larger, &tight_memory, None).unwrap();
    assert_eq!(sol.method, DnnMethod::InteriorPoint);
    // (every iteration but possibly the last, the one where GMRES stopped converging and the
    // method stopped instead of factoring)
    assert!(sol.preconditioned_iterations > 0 && sol.preconditioned_iterations + 1 >= sol.iterations, "{} of {} preconditioned", sol.preconditioned_iterations, sol.iterations);
    let lam = sol.lambda(&larger).unwrap();
    let lb = certify_dnn(&larger, &sol.z, Some(&lam), &[]);
    assert!(lb.certified && lb.value <= sol.primal_objective + 1e-9, "{lb} above {}", sol.primal_objective);
    // Too little memory even for that: refused.
    let tiny = DnnSettings { memory_limit_bytes: 4_000_000, ..ipm(1e-6) };
    let err = dnn::solve(&larger, &tiny, None).unwrap_err().to_string();
    assert!(err.contains("without its normal matrix"), "{err}");
    assert!(DnnMethod::parse("newton").unwrap_err().to_string().contains("auto, admm, ipm, ipm-working-set or ssnal"));
    assert_eq!(DnnMethod::parse("ipm-working-set").unwrap(), DnnMethod::WorkingSet);
}

#[test]
fn working_set_matches_clarabel_and_its_early_bounds_stay_below_the_optimum() {
    // The interior-point method on a growing working set of the sign constraints, with so few
    // added per round that it takes several rounds: the same optimum as Clarabel on the whole
    // relaxation and a certificate as tight. Stopped after the first rounds, it returns the best
    // finished round, whose multiplier (zero on the inequalities left out) still certifies a
    // bound below the optimum.
    let cases: Vec<(Dataset, f64)> = vec![
        (synth::planted_relu(8, 2, 3, 5, 0.1, 2).unwrap().0, 0.5),
        (random_data(5, 12, 3, 3), 0.2),
        (random_data(6, 16, 4, 2), 0.05),
    ];
    let mut dropped_somewhere = false;
    for (data, beta) in cases {
        let prob = DnnProblem::new(&data, beta).unwrap();
        let m = 2 * data.n() * (data.n() - 1);
        let settings = DnnSettings { method: DnnMethod::WorkingSet, working_set_added: Some(m / 6), ..ipm(1e-8) };
        let sol = dnn::solve(&prob, &settings, None).unwrap();
        let label = format!("{} n = {} beta = {beta}", data.source, data.n());
        assert_eq!(sol.method, DnnMethod::WorkingSet);
        assert_eq!(sol.status, Status::Solved, "{label}");
        let lam = sol.lambda(&prob).unwrap();
        let lb = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
        let (status, p_clar, _) = clarabel(&data, beta);
        assert!(status.has_solution(), "{label}: clarabel {status}");
        assert!(rel(sol.primal_objective, p_clar) < 1e-6, "{label}: working set {} vs clarabel {p_clar}", sol.primal_objective);
        assert!(lb.certified && lb.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: LB {} above clarabel {p_clar}", lb.value);
        assert!((sol.primal_objective - lb.value) / lb.value.abs() < 1e-6, "{label}: certified gap {} .. {}", lb.value, sol.primal_objective);
        // The capacitance matrices factored in single precision from the first round (GMRES on
        // the exact system removes the error, or the rounds move to double precision): the same
        // optimum and as tight a certificate.
        let single = dnn::solve(&prob, &DnnSettings { ipm_single_capacitance_from: Some(0), ..settings.clone() }, None).unwrap();
        assert_eq!(single.status, Status::Solved, "{label}: single-precision capacitance");
        assert!(single.single_capacitance_iterations > 0, "{label}: no iteration used the single-precision capacitance");
        assert_eq!(sol.single_capacitance_iterations, 0, "{label}: below the default order the capacitance is factored in double precision");
        let lb_s = certify_dnn(&prob, &single.z, Some(&single.lambda(&prob).unwrap()), &[]);
        assert!(rel(single.primal_objective, p_clar) < 1e-6, "{label}: single-precision capacitance {} vs clarabel {p_clar}", single.primal_objective);
        assert!(lb_s.certified && lb_s.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: single-precision capacitance LB {} above clarabel {p_clar}", lb_s.value);
        assert!((single.primal_objective - lb_s.value) / lb_s.value.abs() < 1e-6, "{label}: single-precision capacitance, certified gap {} .. {}", lb_s.value, single.primal_objective);
        // Keeping every inequality ever added (no dropping of the inactive ones between
        // rounds): the same optimum.
        let kept = dnn::solve(&prob, &DnnSettings { working_set_drop_inactive: false, ..settings.clone() }, None).unwrap();
        assert_eq!(kept.status, Status::Solved, "{label}: without dropping");
        assert!(rel(kept.primal_objective, p_clar) < 1e-6, "{label}: without dropping {} vs clarabel {p_clar}", kept.primal_objective);
        assert_eq!(kept.inequalities_dropped, 0, "{label}");
        dropped_somewhere |= sol.inequalities_dropped > 0;
        // Every inequality of the whole program holds at the point returned.
        let g_min = (0..data.n()).flat_map(|i| (0..data.n()).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| lam[(i, data.n() + j)]).fold(f64::INFINITY, f64::min);
        assert!(g_min >= -1e-7 * (1.0 + lam.norm()), "{label}: Lambda_AB entry {g_min}");
        // Stopped early: the iteration budget runs out in a later round.
        let early = dnn::solve(&prob, &DnnSettings { max_iterations: 16, ..settings.clone() }, None).unwrap();
        assert_eq!(early.status, Status::IterationLimit, "{label}");
        let lam_e = early.lambda(&prob).unwrap();
        let lb_e = certify_dnn(&prob, &early.z, Some(&lam_e), &[]);
        assert!(lb_e.certified, "{label}: {lb_e}");
        assert!(lb_e.value <= p_clar + 1e-7 * (1.0 + p_clar.abs()), "{label}: early LB {} above clarabel {p_clar}", lb_e.value);
        assert!(early.primal_residual > settings.tolerance, "{label}: an early stop reports the violation of the inequalities left out");
    }
    // By default the inactive working inequalities leave the set between rounds.
    assert!(dropped_somewhere, "no case dropped an inactive inequality");
}
