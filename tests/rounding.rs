//! Rounding: every check compares against an independent computation written here (closed
//! forms, a proximal-gradient loop, Network::objective), never against the code under test.

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::error::Error;
use convex_relu::lift::{lift, lifted_objective, LiftBlocks};
use convex_relu::network::Network;
use convex_relu::rounding::{self, group_lasso, refit, round, GaussianRounding, RefitSettings, Rounding, RoundingSettings, TosRounding};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// rows x cols standard Gaussian draws, drawn row by row.
fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows, cols, (0..rows * cols).map(|_| StandardNormal.sample(rng)))
}

/// Random data: X Gaussian, Y = output of a random teacher network of width 3 plus noise.
fn random_data(n: usize, d: usize, c: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = gaussian(n, d, &mut rng);
    let teacher = Network { u: gaussian(d, 3, &mut rng), v: gaussian(c, 3, &mut rng) };
    let y = teacher.predict(x.as_view()) + gaussian(n, c, &mut rng) * 0.3;
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("test seed {seed}"))
}

fn relu_col(x: &DMatrix<f64>, u: &DVector<f64>) -> DVector<f64> {
    (x * u).map(|t| t.max(0.0))
}

/// Gaussian rounding of a near-optimal network's lift on the SPEC section 6 set: never below p*
/// (an honest network), and with the defaults (both signs, max(100, 2(n + d + c)) = 100 samples)
/// within 2% of it. Observed (lift of the 360-direction grid refit, objective 0.71972): defaults
/// 0.72572; 400 samples x 3 repetitions 0.71819. (On the 1440-grid lift: 100 samples
/// 0.72086, 400 x 5 0.71731, only 22 samples 0.75038.) p* = 0.71707776.
#[test]
fn gaussian_rounding_of_a_near_optimal_lift_on_the_reference_set() {
    let data = convex_relu::data::synth::reference_1d();
    let p_star = 0.71707776;
    let k = 360;
    let dirs = DMatrix::from_fn(2, k, |i, j| {
        let th = 2.0 * std::f64::consts::PI * j as f64 / k as f64;
        if i == 0 { th.cos() } else { th.sin() }
    });
    let near = refit(&data, dirs.as_view(), 0.1, &RefitSettings::default()).unwrap();
    let lambda = lift(&near.network, data.x.as_view());
    let r = round(&lambda, &data, 0.1, &RoundingSettings::default()).unwrap();
    assert!(r.objective >= p_star - 1e-7);
    assert!(r.objective <= 1.02 * p_star, "{}", r.objective);
    let mut s = RoundingSettings::default();
    s.gaussian.samples = Some(400);
    s.gaussian.repetitions = 3;
    let r2 = round(&lambda, &data, 0.1, &s).unwrap();
    eprintln!("defaults {}, 400 x 3: {}", r.objective, r2.objective);
    // Both end at p* after the polish; more samples must not be worse beyond solver accuracy.
    assert!(r2.objective >= p_star - 1e-7 && r2.objective <= r.objective.min(1.005 * p_star) + 1e-7, "{} vs {}", r2.objective, r.objective);
}

/// Closed form of the one-group lasso min 1/2||h w' - Y||^2 + beta ||w||:
/// w = (1 - beta / ||Y'h||)_+ Y'h / ||h||^2, and its value.
fn one_group(h: &DVector<f64>, y: &DMatrix<f64>, beta: f64) -> (DVector<f64>, f64) {
    let yth = y.tr_mul(h);
    let nrm = yth.dot(&yth).sqrt();
    let scale = (1.0 - beta / nrm).max(0.0) / h.dot(h);
    let w = yth * scale;
    let mut val = 0.0;
    for i in 0..y.nrows() {
        for l in 0..y.ncols() {
            let r = h[i] * w[l] - y[(i, l)];
            val += 0.5 * r * r;
        }
    }
    (w.clone(), val + beta * w.dot(&w).sqrt())
}

fn tight() -> RefitSettings {
    let mut s = RefitSettings::default();
    s.solve.tolerance = Some(1e-10);
    s
}

#[test]
fn one_group_lasso_matches_the_closed_form() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (c, beta) in [(1, 0.5), (3, 0.5), (3, 1e3)] {
        let h = gaussian(10, 1, &mut rng).map(|t: f64| t.max(0.0) + 0.1);
        let y = gaussian(10, c, &mut rng);
        let sol = group_lasso(h.as_view(), y.as_view(), beta, &tight()).unwrap();
        let (w, val) = one_group(&h.column(0).into_owned(), &y, beta);
        for l in 0..c {
            assert!((sol.w[(0, l)] - w[l]).abs() < 1e-6, "c {c} beta {beta}: {} vs {}", sol.w[(0, l)], w[l]);
        }
        assert!((sol.solver_objective - val).abs() < 1e-6 * (1.0 + val), "{} vs {val}", sol.solver_objective);
    }
}

/// Proximal gradient (ISTA with block soft-thresholding), run to a fixed point.
fn prox_grad(h: &DMatrix<f64>, y: &DMatrix<f64>, beta: f64) -> DMatrix<f64> {
    let lip = h.singular_values().max().powi(2);
    let eta = 1.0 / lip;
    let mut w = DMatrix::<f64>::zeros(h.ncols(), y.ncols());
    for _ in 0..200_000 {
        let grad = h.tr_mul(&(h * &w - y));
        let mut next = &w - &(grad * eta);
        for mut row in next.row_iter_mut() {
            let nrm = row.norm();
            let s = if nrm > 0.0 { (1.0 - eta * beta / nrm).max(0.0) } else { 0.0 };
            row.apply(|e| *e *= s);
        }
        let change = (&next - &w).iter().map(|e| e.abs()).fold(0.0, f64::max);
        w = next;
        if change < 1e-15 {
            break;
        }
    }
    w
}

#[test]
fn multi_group_lasso_matches_proximal_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let h = gaussian(12, 5, &mut rng).map(|t: f64| t.max(0.0));
    let y = gaussian(12, 2, &mut rng);
    for beta in [0.3, 1.5] {
        let reference = prox_grad(&h, &y, beta);
        // Default settings (Clarabel's own tolerance): the Newton polish makes W exact.
        let sol = group_lasso(h.as_view(), y.as_view(), beta, &RefitSettings::default()).unwrap();
        assert!(sol.polished);
        let err = (&sol.w - &reference).iter().map(|e| e.abs()).fold(0.0, f64::max);
        eprintln!("beta {beta}: max |W - W_ref| = {err:e} (polished)");
        assert!(err < 1e-9, "beta {beta}: max |W - W_ref| = {err:e}\n{}\n{reference}", sol.w);
        // Without the polish, the interior-point W at tolerance 1e-10 is within 1e-5.
        let raw = group_lasso(h.as_view(), y.as_view(), beta, &RefitSettings { polish: false, ..tight() }).unwrap();
        let err = (&raw.w - &reference).iter().map(|e| e.abs()).fold(0.0, f64::max);
        eprintln!("beta {beta}: max |W - W_ref| = {err:e} (interior point only)");
        assert!(err < 1e-5);
        // At least one group is zero at beta = 1.5 (a genuinely sparse case).
        if beta == 1.5 {
            assert!(reference.row_iter().any(|r| r.norm_squared() == 0.0), "{reference}");
        }
    }
}

#[test]
fn refit_network_objective_equals_the_group_lasso_value() {
    let data = random_data(15, 3, 2, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let dirs = gaussian(3, 8, &mut rng);
    let beta = 0.2;
    let r = refit(&data, dirs.as_view(), beta, &tight()).unwrap();
    assert!(r.network.width() >= 1);
    let independent = r.network.objective(&data, beta);
    assert_eq!(r.objective, independent);
    assert!((r.objective - r.group_lasso_value).abs() < 1e-10 * (1.0 + r.objective));
    assert!((r.objective - r.solver_objective).abs() < 1e-6 * (1.0 + r.objective), "{} vs {}", r.objective, r.solver_objective);
    // Balanced: ||u_j|| = ||v_j|| for every neuron.
    for j in 0..r.network.width() {
        let (u, v) = (r.network.u.column(j), r.network.v.column(j));
        assert!((u.dot(&u).sqrt() - v.dot(&v).sqrt()).abs() < 1e-12);
    }
    // Every neuron's direction is one of the given ones (normalised).
    for j in 0..r.network.width() {
        let u = r.network.u.column(j).into_owned();
        let u = &u / u.dot(&u).sqrt();
        let hit = dirs.column_iter().any(|d| (d / d.dot(&d).sqrt() - &u).iter().all(|e| e.abs() < 1e-12));
        assert!(hit);
    }
    // Independent: the same value from the proximal-gradient reference on the same columns.
    let h = DMatrix::from_fn(data.n(), 8, |i, k| {
        let d = dirs.column(k);
        let u = d / d.dot(&d).sqrt();
        relu_col(&data.x, &u)[i]
    });
    let w = prox_grad(&h, &data.y, beta);
    let val = rounding::group_lasso_value(h.as_view(), w.as_view(), data.y.as_view(), beta);
    assert!((r.objective - val).abs() < 1e-6 * (1.0 + val), "{} vs {val}", r.objective);
}

#[test]
fn deduplication_is_exact() {
    let data = random_data(12, 3, 1, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let base = gaussian(3, 4, &mut rng);
    // Duplicates: the same directions rescaled (identical normalised columns).
    let mut dup = DMatrix::zeros(3, 10);
    for k in 0..4 {
        dup.column_mut(k).copy_from(&base.column(k));
        dup.column_mut(k + 4).copy_from(&(base.column(k) * (1.0 + k as f64)));
    }
    dup.column_mut(8).copy_from(&(base.column(0) * 0.01));
    dup.column_mut(9).copy_from(&(base.column(2) * 7.0));
    let beta = 0.3;
    let a = refit(&data, base.as_view(), beta, &tight()).unwrap();
    let b = refit(&data, dup.as_view(), beta, &tight()).unwrap();
    assert_eq!(b.distinct_columns, a.distinct_columns);
    assert!((a.objective - b.objective).abs() < 1e-7 * (1.0 + a.objective), "{} vs {}", a.objective, b.objective);
}

/// A single-neuron network and its lift (rank one).
fn single_neuron(d: usize, c: usize, seed: u64) -> (Dataset, Network) {
    let data = random_data(10, d, c, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
    let net = Network { u: gaussian(d, 1, &mut rng), v: gaussian(c, 1, &mut rng) };
    (data, net)
}

#[test]
fn gaussian_rounding_of_a_rank_one_lift_finds_the_best_second_layer_for_its_direction() {
    for (d, c, seed) in [(3, 1, 10), (2, 3, 11), (4, 2, 12)] {
        let (data, net) = single_neuron(d, c, seed);
        let beta = 0.1;
        let lambda = lift(&net, data.x.as_view());
        let mut settings = RoundingSettings::default();
        settings.refit = tight();
        settings.gaussian.samples = Some(20);
        settings.gaussian.both_signs = false;
        // the refit alone (no eigen candidates, no C-ReLU refit, no polish): tests/rounding_staged.rs covers those
        settings.staged = convex_relu::rounding::StagedSettings { eigen: false, polish_candidates: 0, crelu: false, ..Default::default() };
        let r = round(&lambda, &data, beta, &settings).unwrap();
        // Independent optimum for this direction: the closed-form one-group lasso.
        let u = net.u.column(0).into_owned();
        let u = &u / u.dot(&u).sqrt();
        let (_, best) = one_group(&relu_col(&data.x, &u), &data.y, beta);
        let net_obj = net.objective(&data, beta);
        assert!(best <= net_obj + 1e-12);
        assert!(r.objective <= net_obj + 1e-9, "{} > {net_obj}", r.objective);
        assert!((r.objective - best).abs() < 1e-6 * (1.0 + best), "d {d} c {c}: {} vs closed form {best}", r.objective);
        assert!(r.width <= 1);
        assert_eq!(r.distinct_columns, 1, "every oriented sample of a rank-one lift is the neuron's direction");
        // Both signs: at least as good as the oriented direction alone.
        settings.gaussian.both_signs = true;
        let r2 = round(&lambda, &data, beta, &settings).unwrap();
        assert!(r2.objective <= best + 1e-6 * (1.0 + best));
    }
}

#[test]
fn rounded_objective_is_honest_and_deterministic() {
    let data = random_data(12, 3, 2, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    // A generic PSD matrix: the lift of a 4-neuron network plus a random PSD perturbation.
    let net = Network { u: gaussian(3, 4, &mut rng), v: gaussian(2, 4, &mut rng) };
    let p = LiftBlocks { n: 12, d: 3, c: 2 }.order();
    let g = DMatrix::<f64>::from_fn(p, 3, |_, _| { let v: f64 = StandardNormal.sample(&mut rng); v });
    let lambda = lift(&net, data.x.as_view()) + &g * g.transpose() * 0.05;
    let beta = 0.2;
    for method in [Rounding::Gaussian, Rounding::Tos] {
        let mut s = RoundingSettings { method, ..Default::default() };
        s.gaussian.repetitions = 2;
        s.tos.iterations = 300;
        let a = round(&lambda, &data, beta, &s).unwrap();
        assert_eq!(a.method, method);
        assert_eq!(a.objective, a.network.objective(&data, beta), "{method}");
        assert_eq!(a.width, a.network.width());
        let b = round(&lambda, &data, beta, &s).unwrap();
        assert_eq!(a.network, b.network, "{method}: not deterministic");
        assert_eq!(a.objective, b.objective);
        s.gaussian.seed = 1;
        s.tos.seed = 1;
        let c = round(&lambda, &data, beta, &s).unwrap();
        assert_eq!(c.objective, c.network.objective(&data, beta));
        // The Gaussian refit can always choose W = 0, so it is never worse than the empty network.
        let empty = 0.5 * data.y.iter().map(|e| e * e).sum::<f64>();
        if method == Rounding::Gaussian {
            assert!(a.objective <= empty + 1e-9);
            assert_eq!(a.repetition_objectives.len(), 2);
            // eigen candidates and the polish can only improve on the best repetition
            assert!(a.objective <= a.repetition_objectives.iter().cloned().fold(f64::INFINITY, f64::min));
        }
    }
}

#[test]
fn invalid_inputs_are_rejected() {
    let data = random_data(5, 2, 1, 30);
    let bad = DMatrix::<f64>::zeros(5, 5);
    assert!(matches!(round(&bad, &data, 0.1, &RoundingSettings::default()), Err(Error::InvalidArgument(_))));
    let p = LiftBlocks { n: 5, d: 2, c: 1 }.order();
    let ok = DMatrix::<f64>::identity(p, p);
    assert!(matches!(round(&ok, &data, -1.0, &RoundingSettings::default()), Err(Error::InvalidArgument(_))));
    let mut s = RoundingSettings::default();
    s.gaussian = GaussianRounding { repetitions: 0, ..Default::default() };
    assert!(matches!(round(&ok, &data, 0.1, &s), Err(Error::InvalidArgument(_))));
    let s = RoundingSettings { method: Rounding::Tos, tos: TosRounding { rank: Some(0), ..Default::default() }, ..Default::default() };
    assert!(matches!(round(&ok, &data, 0.1, &s), Err(Error::InvalidArgument(_))));
    // The zero matrix: Gaussian gives the empty network (objective 1/2||Y||^2), TOS reports degenerate input.
    let zero = DMatrix::<f64>::zeros(p, p);
    let r = round(&zero, &data, 0.1, &RoundingSettings::default()).unwrap();
    assert_eq!(r.width, 0);
    assert_eq!(r.objective, 0.5 * data.y.iter().map(|e| e * e).sum::<f64>());
    let s = RoundingSettings { method: Rounding::Tos, ..Default::default() };
    assert!(matches!(round(&zero, &data, 0.1, &s), Err(Error::Degenerate(_))));
}

/// TOS is a heuristic: on the lift of a random multi-neuron network, the network read off its
/// last iterate reproduces the lifted objective (often exactly, factorisation residual ~1e-16)
/// or stops near it. Observed over these 12 instances (default settings, 3000 iterations): 3
/// exact factorisations (residual <= 1e-12, objective equal to the lift),
/// last iterate within +7% of the lifted objective (worst 8.470 vs 7.920); the best iterate
/// (selected by training objective) is never worse than the last and is often better than the
/// lift itself, since the lifted networks are random, not optimal.
#[test]
fn tos_on_the_lift_of_a_small_network_comes_close_to_its_objective() {
    let mut exact = 0;
    for (n, d, c, m) in [(8, 3, 1, 2), (10, 3, 2, 3), (12, 4, 1, 4), (15, 3, 3, 5)] {
        for seed in 0..3u64 {
            let data = random_data(n, d, c, 50 + seed);
            let mut rng = ChaCha8Rng::seed_from_u64(60 + seed);
            let net = Network { u: gaussian(d, m, &mut rng), v: gaussian(c, m, &mut rng) };
            let beta = 0.1;
            let lambda = lift(&net, data.x.as_view());
            let lifted = lifted_objective(&lambda, LiftBlocks { n, d, c }, data.y.as_view(), beta);
            let target = net.objective(&data, beta);
            assert!((lifted - target).abs() < 1e-9 * (1.0 + target));
            let s = RoundingSettings { method: Rounding::Tos, ..Default::default() };
            let r = round(&lambda, &data, beta, &s).unwrap();
            let (best, last) = (r.repetition_objectives[0], r.repetition_objectives[1]);
            let residual = r.factorisation_residual.unwrap();
            eprintln!("n {n} d {d} c {c} m {m} seed {seed}: lifted {target:.5}, TOS best {best:.5}, last {last:.5}, residual {residual:.1e}");
            assert_eq!(r.samples_used, m, "default rank = numerical rank of the lift");
            assert_eq!(r.objective, best);
            assert_eq!(r.objective, r.network.objective(&data, beta));
            assert!(best <= last);
            assert!(last <= 1.08 * target, "{last} vs {target}");
            if residual < 1e-10 {
                // An exact factorisation satisfying the constraints is a decomposition of the lift.
                assert!((last - target).abs() < 1e-8 * (1.0 + target), "{last} vs {target}");
                exact += 1;
            }
        }
    }
    assert!(exact >= 3, "only {exact} of 12 exact");
}

/// SPEC section 6: for the 1-D reference set the global optimum is 0.71707776. Refitting on a
/// grid of K directions on the unit circle (d = 2: x and bias) is a real network, so it is never
/// below p*, and approaches it as the grid is refined (observed: K = 90: 0.72440, 360: 0.71972,
/// 1440: 0.71752).
#[test]
fn refit_on_a_fine_direction_grid_approaches_the_reference_optimum() {
    let data = convex_relu::data::synth::reference_1d();
    let p_star = 0.71707776;
    let k = 1440;
    let dirs = DMatrix::from_fn(2, k, |i, j| {
        let th = 2.0 * std::f64::consts::PI * j as f64 / k as f64;
        if i == 0 { th.cos() } else { th.sin() }
    });
    let r = refit(&data, dirs.as_view(), 0.1, &RefitSettings::default()).unwrap();
    assert!(r.objective >= p_star - 1e-7, "{} below p*", r.objective);
    assert!(r.objective <= p_star + 1e-3, "{} vs p* {p_star}", r.objective);
}


/// The optimality conditions of the whole group lasso at `w`, checked here from the residual
/// `R = Y - H W`: `||h_k' R|| <= beta (1 + slack)` for a zero group, `h_k' R = beta w_k / ||w_k||`
/// (to `slack beta`) for a nonzero one. Returns the largest violation relative to `beta`.
fn group_lasso_kkt_violation(h: &DMatrix<f64>, y: &DMatrix<f64>, w: &DMatrix<f64>, beta: f64) -> f64 {
    let r = y - h * w;
    let mut worst: f64 = 0.0;
    for k in 0..h.ncols() {
        let g = r.tr_mul(&h.column(k).into_owned()); // c x 1: (h_k' R)'
        let wk = w.row(k).transpose();
        let nw = wk.norm();
        let v = if nw == 0.0 { (g.norm() - beta).max(0.0) } else { (g - wk * (beta / nw)).norm() };
        worst = worst.max(v / beta);
    }
    worst
}

/// `max_k ||h_k' Y||`: at or above it as `beta`, the group lasso's solution is zero.
fn largest_correlation(h: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    (0..h.ncols()).map(|k| y.tr_mul(&h.column(k).into_owned()).norm()).fold(0.0, f64::max)
}

/// `1/2 ||H W - Y||^2 + beta sum_k ||w_k||`, computed here.
fn group_lasso_objective(h: &DMatrix<f64>, y: &DMatrix<f64>, w: &DMatrix<f64>, beta: f64) -> f64 {
    0.5 * (h * w - y).norm_squared() + beta * w.row_iter().map(|r| r.norm()).sum::<f64>()
}

/// The ReLU features `max(0, X u_k)` of `k` random directions on `n` random rows of dimension `d`.
fn relu_features(n: usize, d: usize, k: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let x = gaussian(n, d, rng);
    (x * gaussian(d, k, rng)).map(|t| t.max(0.0))
}

/// The screened refit (working sets of groups) against the same refit on every group at once,
/// and against the optimality conditions of the whole problem: many more columns than the first
/// working set (300 ReLU features of random directions, of which a few dozen end up used).
#[test]
fn screened_group_lasso_solves_the_whole_problem() {
    // In the last case Clarabel fails on a working set at tolerance 1e-10 (a tiny beta), so the
    // refit hands over to the whole problem, which it solves.
    for (seed, c, frac) in [(11u64, 1usize, 0.05), (12, 2, 0.1), (13, 3, 0.02), (14, 6, 0.0005)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = relu_features(40, 3, 300, &mut rng);
        let y = gaussian(40, c, &mut rng);
        let beta = frac * largest_correlation(&h, &y);
        let screened = group_lasso(h.as_view(), y.as_view(), beta, &tight()).unwrap();
        let whole = group_lasso(h.as_view(), y.as_view(), beta, &RefitSettings { screen: false, ..tight() }).unwrap();
        let (vs, vw) = (group_lasso_objective(&h, &y, &screened.w, beta), group_lasso_objective(&h, &y, &whole.w, beta));
        let support = screened.w.row_iter().filter(|r| r.norm() > 0.0).count();
        let kkt = group_lasso_kkt_violation(&h, &y, &screened.w, beta);
        eprintln!("seed {seed}, c {c}: screened {vs:.12} ({support} groups, optimality violation {kkt:.1e}), whole {vw:.12}");
        assert!(support > 0 && support < 300, "support {support}");
        assert!((vs - vw).abs() <= 1e-8 * vw, "screened {vs} vs whole {vw}");
        assert!(kkt <= 1e-6, "optimality violated by {kkt:e}");
        assert!(screened.status.has_solution());
    }
}

/// At `beta` above every correlation `||h_k' Y||` the solution is `W = 0` (closed form); just
/// below, it is not.
#[test]
fn screened_group_lasso_is_zero_exactly_above_the_largest_correlation() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let h = relu_features(30, 2, 200, &mut rng);
    let y = gaussian(30, 2, &mut rng);
    let largest = largest_correlation(&h, &y);
    let above = group_lasso(h.as_view(), y.as_view(), 1.001 * largest, &tight()).unwrap();
    assert!(above.w.iter().all(|&e| e == 0.0));
    let below = group_lasso(h.as_view(), y.as_view(), 0.98 * largest, &tight()).unwrap();
    assert!(below.w.iter().any(|&e| e != 0.0));
    assert!(group_lasso_kkt_violation(&h, &y, &below.w, 0.98 * largest) <= 1e-6);
}

/// A refit whose optimal support is most of its columns (ten outputs, a tiny beta): the first
/// working set comes back nearly full, the screening hands over to the whole problem, and the
/// result is still the whole problem's solution.
#[test]
fn screened_group_lasso_with_a_dense_support() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let h = relu_features(60, 4, 90, &mut rng);
    let y = gaussian(60, 10, &mut rng);
    let beta = 1e-3 * largest_correlation(&h, &y);
    let screened = group_lasso(h.as_view(), y.as_view(), beta, &RefitSettings::default()).unwrap();
    let whole = group_lasso(h.as_view(), y.as_view(), beta, &RefitSettings { screen: false, ..RefitSettings::default() }).unwrap();
    let value = |w: &DMatrix<f64>| group_lasso_objective(&h, &y, w, beta);
    let support = screened.w.row_iter().filter(|r| r.norm() > 0.0).count();
    let kkt = group_lasso_kkt_violation(&h, &y, &screened.w, beta);
    eprintln!("dense: {support} of 90 groups, screened {:.12}, whole {:.12}, optimality violation {kkt:.1e}", value(&screened.w), value(&whole.w));
    assert!(support > 64, "support {support}");
    assert!((value(&screened.w) - value(&whole.w)).abs() <= 1e-8 * value(&whole.w));
    assert!(kkt <= 1e-6, "optimality violated by {kkt:e}");
}
