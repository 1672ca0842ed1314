//! Resource guards of the Clarabel backend: the memory estimate refuses oversized PSD problems
//! before allocating, and a wall-clock time limit is honoured even when a single iteration
//! (one factorisation of the dense PSD block) takes much longer than the limit.
#![cfg(feature = "clarabel")]

use convex_relu::backend::clarabel::{grace_seconds, memory_estimate, BYTES_PER_PSD_ENTRY};
use convex_relu::backend::{self, BackendKind, SolveSettings, Status};
use convex_relu::conic::{Cone, ConicProblem, CscBuilder};
use convex_relu::data::{self, transform, CsvOptions, TargetColumn, TargetEncoding};
use convex_relu::error::Error;
use convex_relu::formulation::sdp::{compile, SdpForm};
use nalgebra::DMatrix;
use std::time::Instant;

/// Max-cut SDP of the complete graph on `k` vertices with weights `1 + (i*j mod 7)`.
fn maxcut(k: usize) -> ConicProblem {
    let mut l = DMatrix::zeros(k, k);
    for i in 0..k {
        for j in i + 1..k {
            let w = 1.0 + ((i * j) % 7) as f64;
            l[(i, i)] += w;
            l[(j, j)] += w;
            l[(i, j)] -= w;
            l[(j, i)] -= w;
        }
    }
    convex_relu::catalogue::maxcut(&l)
}

fn full_iris() -> convex_relu::data::Dataset {
    let options = CsvOptions { target: TargetColumn::Last, encoding: TargetEncoding::Onehot, ..CsvOptions::default() };
    let mut d = data::read_csv(data::resolve("iris").unwrap(), &options).unwrap();
    transform::standardize(&mut d).unwrap();
    transform::append_bias(&mut d);
    d
}

#[test]
fn estimate_covers_the_dense_scaling_block_and_grows_like_its_square() {
    // the Hs block alone is (k(k+1)/2)^2 doubles
    for k in [10usize, 40, 80] {
        let m = (k * (k + 1) / 2) as u64;
        let e = memory_estimate(&maxcut(k)).unwrap();
        assert!(e >= 8 * m * m, "k = {k}: estimate {e} below the scaling block alone {}", 8 * m * m);
        assert!(e >= BYTES_PER_PSD_ENTRY * m * m);
    }
    let (e40, e80) = (memory_estimate(&maxcut(40)).unwrap() as f64, memory_estimate(&maxcut(80)).unwrap() as f64);
    // 80 = 2 x 40: m grows about 4x, the dense part 16x (the fixed base keeps the ratio lower)
    assert!(e80 / e40 > 5.0, "{e80} / {e40}");
}

#[test]
fn estimate_overflow_is_none_and_refused() {
    // a cone so large that (k(k+1)/2)^2 * 48 overflows 64 bits; no matrix of that size is built
    let p = ConicProblem {
        p: CscBuilder::new(1, 1).build(),
        q: vec![0.0],
        a: CscBuilder::new(1, 1).build(),
        b: vec![0.0],
        cones: vec![Cone::Psd(1 << 20)],
    };
    assert_eq!(memory_estimate(&p), None);
    let s = SolveSettings { memory_limit_bytes: Some(u64::MAX), ..Default::default() };
    assert!(matches!(convex_relu::backend::clarabel::check_memory(&p, &s), Err(Error::TooLarge(_))));
}

#[test]
fn full_iris_is_refused_up_front() {
    let comp = compile(&full_iris(), 0.1, SdpForm::Reduced).unwrap();
    assert_eq!(comp.layout.psd_order, 158);
    let start = Instant::now();
    // the default limit (75% of the available memory) on a machine with up to 24 GiB, and an
    // explicit 4 GiB: both must refuse before allocating anything
    for limit in [None, Some(4u64 << 30)] {
        let s = SolveSettings { memory_limit_bytes: limit, ..Default::default() };
        match backend::solve(&comp.problem, BackendKind::Clarabel, &s) {
            Err(Error::TooLarge(msg)) => {
                assert!(msg.contains("GiB") && msg.contains("158") && msg.contains("--backend dnn"), "{msg}");
            }
            other => panic!("expected a refusal, got {:?}", other.map(|s| s.status)),
        }
    }
    assert!(start.elapsed().as_secs_f64() < 5.0, "the refusal must come before the solve");
}

#[test]
fn small_problem_passes_and_tiny_limit_refuses() {
    let p = maxcut(8);
    let ok = backend::solve(&p, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    assert_eq!(ok.status, Status::Solved);
    let s = SolveSettings { memory_limit_bytes: Some(1 << 20), ..Default::default() };
    assert!(matches!(backend::solve(&p, BackendKind::Clarabel, &s), Err(Error::TooLarge(_))));
}

#[test]
fn time_limit_returns_on_time_inside_a_long_iteration() {
    // order 75: the KKT system has a dense 2850 x 2850 block; one interior-point iteration
    // (setup and factorisation) takes about a second, the whole solve far longer than the limit
    let p = maxcut(75);
    let limit = 0.1;
    let s = SolveSettings { time_limit_seconds: Some(limit), ..Default::default() };
    let start = Instant::now();
    let sol = backend::solve(&p, BackendKind::Clarabel, &s).unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(sol.status, Status::TimeLimit);
    assert!(elapsed <= limit + grace_seconds(limit) + 0.3, "returned after {elapsed:.2} s for a limit of {limit} s");
    assert_eq!(sol.x.len(), p.num_vars());
    assert_eq!(sol.z.len(), p.num_rows());
    assert!(!sol.status.has_solution());
    // the instance does test the watchdog: Clarabel alone, with the same time limit, overruns it
    // by far (it only checks the clock between iterations)
    let own = direct_clarabel_seconds(&p, limit);
    eprintln!("watchdog returned after {elapsed:.2} s; Clarabel alone after {own:.2} s (limit {limit} s)");
    assert!(own > limit + grace_seconds(limit) + 0.3, "Clarabel alone stopped after {own:.2} s: the instance is too small to test the watchdog");
}

/// Seconds Clarabel itself takes to stop with `time_limit = limit` (no watchdog thread).
fn direct_clarabel_seconds(p: &ConicProblem, limit: f64) -> f64 {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{DefaultSolver, IPSolver, SupportedConeT};
    let conv = |m: &convex_relu::conic::Csc| {
        let m = m.to_csc();
        let (r, c) = m.shape();
        let (ip, ix, v) = m.into_raw_storage();
        CscMatrix::new(r, c, ip, ix, v)
    };
    let cones: Vec<SupportedConeT<f64>> = p
        .cones
        .iter()
        .map(|c| match *c {
            Cone::Zero(k) => SupportedConeT::ZeroConeT(k),
            Cone::Psd(k) => SupportedConeT::PSDTriangleConeT(k),
            ref other => panic!("unexpected cone {other:?}"),
        })
        .collect();
    let settings = convex_relu::backend::clarabel::settings(&SolveSettings { time_limit_seconds: Some(limit), ..Default::default() });
    let start = Instant::now();
    let mut solver = DefaultSolver::new(&conv(&p.p), &p.q, &conv(&p.a), &p.b, &cones, settings).unwrap();
    solver.solve();
    start.elapsed().as_secs_f64()
}

#[test]
fn time_limit_keeps_the_result_of_a_solve_that_finishes_in_time() {
    let p = maxcut(12);
    let s = SolveSettings { time_limit_seconds: Some(60.0), ..Default::default() };
    let with = backend::solve(&p, BackendKind::Clarabel, &s).unwrap();
    let without = backend::solve(&p, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    assert_eq!(with.status, Status::Solved);
    assert!((with.primal_objective - without.primal_objective).abs() <= 1e-7 * without.primal_objective.abs());
}

#[cfg(feature = "scs")]
#[test]
fn scs_estimate_is_far_below_clarabels_and_guards_too() {
    use convex_relu::backend::{clarabel, scs};
    let p = maxcut(40);
    let (e_scs, e_cla) = (scs::memory_estimate(&p).unwrap(), clarabel::memory_estimate(&p).unwrap());
    // SCS has no dense k(k+1)/2 scaling block
    assert!(e_scs * 2 < e_cla, "scs {e_scs} vs clarabel {e_cla}");
    let tiny = SolveSettings { memory_limit_bytes: Some(1 << 20), ..Default::default() };
    assert!(matches!(backend::solve(&p, BackendKind::Scs, &tiny), Err(Error::TooLarge(_))));
    assert!(backend::solve(&p, BackendKind::Scs, &SolveSettings::default()).unwrap().status.has_solution());
}
