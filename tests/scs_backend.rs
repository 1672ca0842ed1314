//! The SCS backend on problems with known optima, infeasibility certificates, limits, and a
//! cross-check against Clarabel that guards the PSD packing permutation.
#![cfg(feature = "scs")]

use convex_relu::backend::scs::ScsBackend;
use convex_relu::backend::{self, Backend, BackendKind, ConicSolution, SolveSettings, Status};
use convex_relu::conic::{check_solution, csc, dot, svec, svec_index, Cone, ConicProblem, CscBuilder, Triangle};
use nalgebra::DMatrix;
use std::f64::consts::SQRT_2;

fn scs(p: &ConicProblem, tol: Option<f64>) -> ConicSolution {
    let s = SolveSettings { tolerance: tol, ..Default::default() };
    let sol = backend::solve(p, BackendKind::Scs, &s).expect("scs runs");
    assert_eq!(sol.backend, BackendKind::Scs);
    sol
}

/// Solves with SCS at `tol`, checks the status, the objective against `opt` and the KKT
/// residuals recomputed from the returned vectors.
fn assert_solves(p: &ConicProblem, tol: f64, opt: f64) -> ConicSolution {
    let sol = scs(p, Some(tol));
    assert_eq!(sol.status, Status::Solved, "{sol:?}");
    let kkt = check_solution(p, &sol.x, &sol.s, &sol.z);
    let scale = 100.0 * tol * (1.0 + opt.abs());
    assert!((sol.primal_objective - opt).abs() <= scale, "primal objective {} vs {opt}", sol.primal_objective);
    assert!((kkt.primal_objective - opt).abs() <= scale, "recomputed objective {} vs {opt}", kkt.primal_objective);
    assert!((sol.dual_objective - opt).abs() <= scale, "dual objective {} vs {opt}", sol.dual_objective);
    assert!((kkt.dual_objective - sol.dual_objective).abs() <= scale, "SCS dobj {} vs recomputed {}", sol.dual_objective, kkt.dual_objective);
    assert!(kkt.passes(100.0 * tol), "{kkt:?}");
    sol
}

/// min -x1 - x2 + x3  s.t.  x3 = 1, x1 + 2 x2 <= 4, 3 x1 + x2 <= 6, x1, x2 >= 0.
/// Optimum x = (8/5, 6/5, 1), value -14/5 + 1 = -1.8.
fn lp() -> ConicProblem {
    let mut a = CscBuilder::new(5, 3);
    a.push(0, 2, 1.0); // zero: x3 = 1
    a.push(1, 0, 1.0); // x1 + 2 x2 <= 4
    a.push(1, 1, 2.0);
    a.push(2, 0, 3.0); // 3 x1 + x2 <= 6
    a.push(2, 1, 1.0);
    a.push(3, 0, -1.0); // x1 >= 0
    a.push(4, 1, -1.0); // x2 >= 0
    ConicProblem {
        p: csc::zeros(3, 3),
        q: vec![-1.0, -1.0, 1.0],
        a: a.build(),
        b: vec![1.0, 4.0, 6.0, 0.0, 0.0],
        cones: vec![Cone::Zero(1), Cone::Nonnegative(2), Cone::Nonnegative(2)],
    }
}

#[test]
fn lp_with_equality() {
    let sol = assert_solves(&lp(), 1e-8, -1.8);
    for (x, want) in sol.x.iter().zip([1.6, 1.2, 1.0]) {
        assert!((x - want).abs() < 1e-5, "{:?}", sol.x);
    }
}

/// min 1/2 (x1^2 + x2^2) + x1 x2 / 2 - x1 - x2  s.t. x1 + x2 <= 1: optimum (1/2, 1/2), value
/// 1/2 (1/4 + 1/4) + 1/8 - 1 = -0.625. Exercises P (upper triangle with an off-diagonal).
#[test]
fn qp_uses_upper_triangle_of_p() {
    let mut p = CscBuilder::new(2, 2);
    p.push(0, 0, 1.0);
    p.push(0, 1, 0.5);
    p.push(1, 1, 1.0);
    let mut a = CscBuilder::new(1, 2);
    a.push(0, 0, 1.0);
    a.push(0, 1, 1.0);
    let prob = ConicProblem { p: p.build(), q: vec![-1.0, -1.0], a: a.build(), b: vec![1.0], cones: vec![Cone::Nonnegative(1)] };
    let sol = assert_solves(&prob, 1e-8, -0.625);
    assert!((sol.x[0] - 0.5).abs() < 1e-5 && (sol.x[1] - 0.5).abs() < 1e-5, "{:?}", sol.x);
}

/// min x1 + x2  s.t. ||(x1, x2)|| <= 1, ||(x1 - 1, x2)|| <= 2: optimum -sqrt 2 at -(1, 1)/sqrt 2
/// (the second cone has slack 2 - ||(-1.707, -0.707)|| = 0.152).
#[test]
fn socp() {
    let mut a = CscBuilder::new(6, 2);
    a.push(1, 0, -1.0);
    a.push(2, 1, -1.0);
    a.push(4, 0, -1.0);
    a.push(5, 1, -1.0);
    let prob = ConicProblem {
        p: csc::zeros(2, 2),
        q: vec![1.0, 1.0],
        a: a.build(),
        b: vec![1.0, 0.0, 0.0, 2.0, -1.0, 0.0],
        cones: vec![Cone::SecondOrder(3), Cone::SecondOrder(3)],
    };
    let sol = assert_solves(&prob, 1e-8, -SQRT_2);
    assert!((sol.x[0] + 1.0 / SQRT_2).abs() < 1e-5, "{:?}", sol.x);
}

/// Variables x = svec_upper(X) of a symmetric k x k X; the PSD block is `-x + s = 0`.
fn psd_identity_block(k: usize, eq: &[(Vec<(usize, f64)>, f64)], q: Vec<f64>) -> ConicProblem {
    let n = k * (k + 1) / 2;
    let m = eq.len() + n;
    let mut a = CscBuilder::new(m, n);
    let mut b = vec![0.0; m];
    for (r, (row, rhs)) in eq.iter().enumerate() {
        for &(c, v) in row {
            a.push(r, c, v);
        }
        b[r] = *rhs;
    }
    for i in 0..n {
        a.push(eq.len() + i, i, -1.0);
    }
    ConicProblem { p: csc::zeros(n, n), q, a: a.build(), b, cones: vec![Cone::Zero(eq.len()), Cone::Psd(k)] }
}

/// min trace(X) s.t. X_12 = 1, X PSD (2 x 2): value 2 at X = [[1, 1], [1, 1]].
#[test]
fn sdp_trace_2x2() {
    let k = 2;
    let off = svec_index(0, 1, k, Triangle::Upper);
    let mut q = vec![0.0; 3];
    q[svec_index(0, 0, k, Triangle::Upper)] = 1.0;
    q[svec_index(1, 1, k, Triangle::Upper)] = 1.0;
    // svec holds sqrt2 * X_12, so X_12 = 1 is x[off] / sqrt 2 = 1.
    let prob = psd_identity_block(k, &[(vec![(off, 1.0 / SQRT_2)], 1.0)], q);
    let sol = assert_solves(&prob, 1e-8, 2.0);
    assert!((sol.x[off] - SQRT_2).abs() < 1e-5);
}

/// The max-cut SDP of the 5-cycle: max 1/4 <L, X> s.t. diag X = 1, X PSD, value
/// (25 + 5 sqrt 5) / 8; posed as min -1/4 svec(L)' x.
fn maxcut_c5() -> ConicProblem {
    let k = 5;
    let mut l = DMatrix::<f64>::zeros(k, k);
    for i in 0..k {
        let j = (i + 1) % k;
        l[(i, i)] += 1.0;
        l[(j, j)] += 1.0;
        l[(i, j)] -= 1.0;
        l[(j, i)] -= 1.0;
    }
    convex_relu::catalogue::maxcut(&l)
}

#[test]
fn sdp_maxcut_five_cycle() {
    let opt = -(25.0 + 5.0 * 5f64.sqrt()) / 8.0;
    assert_solves(&maxcut_c5(), 1e-8, opt);
}

/// An LMI-form SDP with a dense, non-symmetric-looking constraint matrix over two PSD blocks
/// and a nonnegative cone:
///   min c'y  s.t.  C1 - sum_i y_i A_i  PSD (4x4),  C2 - sum_i y_i B_i  PSD (3x3),  y >= -1.
/// Every PSD row of A is distinct, so a wrong packing permutation changes the problem.
#[cfg(feature = "clarabel")]
fn lmi_sdp() -> ConicProblem {
    let nvars = 4;
    let sym = |k: usize, seed: f64| {
        let mut m = DMatrix::<f64>::zeros(k, k);
        for i in 0..k {
            for j in i..k {
                let v = ((seed + 1.7 * i as f64 + 0.9 * j as f64 + 0.31 * (i * j) as f64).sin() * 10.0).round() / 10.0;
                m[(i, j)] = v;
                m[(j, i)] = v;
            }
        }
        m
    };
    let (k1, k2) = (4, 3);
    let c1 = DMatrix::<f64>::identity(k1, k1) * 3.0 + sym(k1, 0.2) * 0.3;
    let c2 = DMatrix::<f64>::identity(k2, k2) * 2.0;
    let n1 = k1 * (k1 + 1) / 2;
    let n2 = k2 * (k2 + 1) / 2;
    let m = nvars + n1 + n2;
    let mut a = CscBuilder::new(m, nvars);
    let mut b = vec![0.0; m];
    for (i, bi) in b.iter_mut().enumerate().take(nvars) {
        a.push(i, i, -1.0); // y_i >= -1  <=>  -y_i + s = 1
        *bi = 1.0;
        for (r, v) in svec(&sym(k1, 1.0 + i as f64), Triangle::Upper).into_iter().enumerate() {
            a.push(nvars + r, i, v);
        }
        for (r, v) in svec(&sym(k2, 7.0 + 2.0 * i as f64), Triangle::Upper).into_iter().enumerate() {
            a.push(nvars + n1 + r, i, v);
        }
    }
    b[nvars..nvars + n1].copy_from_slice(&svec(&c1, Triangle::Upper));
    b[nvars + n1..].copy_from_slice(&svec(&c2, Triangle::Upper));
    ConicProblem {
        p: csc::zeros(nvars, nvars),
        q: vec![1.0, -0.5, 0.25, 2.0],
        a: a.build(),
        b,
        cones: vec![Cone::Nonnegative(nvars), Cone::Psd(k1), Cone::Psd(k2)],
    }
}

#[cfg(feature = "clarabel")]
#[test]
fn sdp_matches_clarabel() {
    let p = lmi_sdp();
    let settings = SolveSettings { tolerance: Some(1e-7), ..Default::default() };
    let cl = backend::solve(&p, BackendKind::Clarabel, &settings).expect("clarabel runs");
    let sc = backend::solve(&p, BackendKind::Scs, &settings).expect("scs runs");
    assert_eq!(cl.status, Status::Solved, "{cl:?}");
    assert_eq!(sc.status, Status::Solved, "{sc:?}");
    let (oc, os) = (dot(&p.q, &cl.x), dot(&p.q, &sc.x));
    assert!((oc - os).abs() <= 1e-5 * (1.0 + oc.abs()), "clarabel {oc} vs scs {os}");
    // The slacks and duals come back in the toolkit's packing: compare them entrywise.
    let dist = |u: &[f64], v: &[f64]| u.iter().zip(v).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(dist(&cl.s, &sc.s) < 1e-4, "s differs: {:?} vs {:?}", cl.s, sc.s);
    assert!(dist(&cl.z, &sc.z) < 1e-4, "z differs: {:?} vs {:?}", cl.z, sc.z);
    let kkt = check_solution(&p, &sc.x, &sc.s, &sc.z);
    assert!(kkt.passes(1e-5), "{kkt:?}");
    // the LMI constraints are active: the optimum is not the trivial y = -1 corner
    assert!(cl.z[4..].iter().any(|v| v.abs() > 1e-3));
}

#[cfg(feature = "clarabel")]
#[test]
fn maxcut_matches_clarabel() {
    let p = maxcut_c5();
    let settings = SolveSettings { tolerance: Some(1e-7), ..Default::default() };
    let cl = backend::solve(&p, BackendKind::Clarabel, &settings).unwrap();
    let sc = backend::solve(&p, BackendKind::Scs, &settings).unwrap();
    assert_eq!((cl.status, sc.status), (Status::Solved, Status::Solved));
    let (oc, os) = (dot(&p.q, &cl.x), dot(&p.q, &sc.x));
    assert!((oc - os).abs() <= 1e-5 * (1.0 + oc.abs()), "clarabel {oc} vs scs {os}");
}

/// x >= 1 and x <= 0.
#[test]
fn primal_infeasible() {
    let mut a = CscBuilder::new(2, 1);
    a.push(0, 0, -1.0);
    a.push(1, 0, 1.0);
    let p = ConicProblem { p: csc::zeros(1, 1), q: vec![1.0], a: a.build(), b: vec![-1.0, 0.0], cones: vec![Cone::Nonnegative(2)] };
    let sol = scs(&p, None);
    assert_eq!(sol.status, Status::PrimalInfeasible, "{sol:?}");
    // Certificate: z in K*, A'z = 0, b'z = -1 (SCS's normalisation).
    let kkt = check_solution(&p, &[0.0], &[0.0, 0.0], &sol.z);
    assert!(kkt.dual_cone_violation < 1e-6, "{kkt:?}");
    let atz = csc::mul_transpose(&p.a, &sol.z);
    assert!(atz[0].abs() < 1e-6, "A'z = {atz:?}");
    assert!((dot(&p.b, &sol.z) + 1.0).abs() < 1e-6, "b'z = {}", dot(&p.b, &sol.z));
    assert!(sol.primal_objective.is_infinite() && sol.primal_objective > 0.0);
}

/// min -x1 s.t. x1 >= 0, ||x2|| <= x1 (a SOC), unbounded along x1.
#[test]
fn unbounded() {
    let mut a = CscBuilder::new(3, 2);
    a.push(0, 0, -1.0);
    a.push(1, 0, -1.0);
    a.push(2, 1, -1.0);
    let p = ConicProblem { p: csc::zeros(2, 2), q: vec![-1.0, 0.0], a: a.build(), b: vec![0.0; 3], cones: vec![Cone::Nonnegative(1), Cone::SecondOrder(2)] };
    let sol = scs(&p, None);
    assert_eq!(sol.status, Status::DualInfeasible, "{sol:?}");
    // Certificate: A x + s = 0, s in K, q'x = -1.
    let kkt = check_solution(&p, &sol.x, &sol.s, &[0.0; 3]);
    assert!(kkt.primal_residual < 1e-6 && kkt.slack_cone_violation < 1e-6, "{kkt:?}");
    assert!((dot(&p.q, &sol.x) + 1.0).abs() < 1e-6);
}

#[test]
fn iteration_limit_reports_inaccurate_with_report() {
    let p = maxcut_c5();
    let settings = SolveSettings { tolerance: Some(1e-12), max_iterations: Some(30), ..Default::default() };
    let (sol, report) = ScsBackend.solve_detailed(&p, &settings).unwrap();
    assert_eq!(sol.status, Status::Inaccurate, "{sol:?} {report:?}");
    assert!(report.hit_max_iters && !report.hit_time_limit, "{report:?}");
    assert_eq!(report.status_val, 2);
    assert_eq!(sol.iterations, 30);
    assert!(report.status.contains("max_iters"), "{report:?}");
}

#[test]
fn time_limit_stops_the_solve() {
    let p = maxcut_random(60);
    let settings = SolveSettings { tolerance: Some(1e-14), time_limit_seconds: Some(0.02), ..Default::default() };
    let (sol, report) = ScsBackend.solve_detailed(&p, &settings).unwrap();
    assert!(report.hit_time_limit && !report.hit_max_iters, "{report:?}");
    assert!(report.status.contains("time_limit_secs"), "{report:?}");
    assert!(matches!(sol.status, Status::Inaccurate | Status::TimeLimit), "{sol:?}");
    assert!(sol.iterations < 100_000);
}

#[test]
fn empty_problem_is_an_error_not_a_crash() {
    let p = ConicProblem { p: csc::zeros(1, 1), q: vec![1.0], a: csc::zeros(0, 1), b: vec![], cones: vec![] };
    let err = ScsBackend.solve(&p, &SolveSettings::default()).unwrap_err();
    assert!(err.to_string().contains("at least one"), "{err}");
}

#[test]
fn rejects_invalid_problem_and_settings() {
    let mut p = lp();
    p.cones = vec![Cone::Nonnegative(2), Cone::Zero(3)];
    assert!(ScsBackend.solve(&p, &SolveSettings::default()).is_err());
    let bad = SolveSettings { tolerance: Some(-1.0), ..Default::default() };
    assert!(ScsBackend.solve(&lp(), &bad).is_err());
}

#[test]
fn default_tolerance_is_loose_but_close() {
    let p = maxcut_c5();
    let sol = scs(&p, None);
    assert!(sol.status.has_solution(), "{sol:?}");
    let opt = -(25.0 + 5.0 * 5f64.sqrt()) / 8.0;
    assert!((sol.primal_objective - opt).abs() < 1e-2, "{}", sol.primal_objective);
    assert!(sol.solve_seconds > 0.0 && sol.iterations > 0);
}

/// Max-cut SDP of a deterministic pseudo-random graph on `k` vertices (edge probability 1/2).
fn maxcut_random(k: usize) -> ConicProblem {
    let mut l = DMatrix::<f64>::zeros(k, k);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..k {
        for j in i + 1..k {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if state >> 63 == 1 {
                l[(i, i)] += 1.0;
                l[(j, j)] += 1.0;
                l[(i, j)] -= 1.0;
                l[(j, i)] -= 1.0;
            }
        }
    }
    convex_relu::catalogue::maxcut(&l)
}
