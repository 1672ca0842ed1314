//! Staged rounding (eigen candidates, refit, polish): the polish never increases the objective,
//! the lift of a single-neuron network rounds back to that network's objective, and every stage
//! value is the objective of a real network computed here by Network::objective.

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::lift::{lift, LiftBlocks};
use convex_relu::network::Network;
use convex_relu::rounding::{refit, round, RefitSettings, RoundingSettings, StagedSettings};
use convex_relu::train::{train_from, TrainSettings};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// rows x cols standard Gaussian draws, drawn row by row.
fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    DMatrix::from_row_iterator(rows, cols, (0..rows * cols).map(|_| StandardNormal.sample(rng)))
}

fn random_data(n: usize, d: usize, c: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = gaussian(n, d, &mut rng);
    let teacher = Network { u: gaussian(d, 3, &mut rng), v: gaussian(c, 3, &mut rng) };
    let y = teacher.predict(x.as_view()) + gaussian(n, c, &mut rng) * 0.3;
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("test seed {seed}"))
}

/// Local training started from a network never returns a larger objective than the start's,
/// whatever the start (random, zero, already good) and budget (including no iterations).
#[test]
fn polishing_never_increases_the_objective() {
    let beta = 0.1;
    for seed in 0..6u64 {
        let data = random_data(15, 3, 2, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 50);
        let width = 1 + seed as usize % 4;
        let starts = [
            Network { u: gaussian(3, width, &mut rng), v: gaussian(2, width, &mut rng) },
            Network { u: gaussian(3, width, &mut rng) * 5.0, v: gaussian(2, width, &mut rng) * 5.0 },
            Network { u: DMatrix::zeros(3, width), v: DMatrix::zeros(2, width) },
        ];
        for (k, start) in starts.into_iter().enumerate() {
            let before = start.objective(&data, beta);
            for (iterations, lbfgs, lr) in [(0, 0, 0.005), (200, 0, 0.005), (200, 100, 0.5), (0, 50, 0.01)] {
                let ts = TrainSettings { beta, iterations, polish: lbfgs, learning_rate: Some(lr), ..Default::default() };
                let out = train_from(&data, &ts, start.clone()).unwrap();
                assert!(out.objective <= before, "seed {seed} start {k}: {} > {before}", out.objective);
                assert_eq!(out.objective, out.network.objective(&data, beta));
            }
        }
    }
    // A start that is already the global optimum (c = 1, p* from the exact program): every step
    // can only move away from it, so a trainer that returned its last iterate instead of its best
    // one would be caught here (large and moderate steps, with and without L-BFGS).
    for data in [convex_relu::data::synth::reference_1d(), random_data(10, 2, 1, 40)] {
        let (pstar, opt) = exact_optimum(&data, beta);
        let before = opt.objective(&data, beta);
        assert!((before - pstar).abs() <= 1e-6 * pstar);
        for (iterations, lbfgs, lr) in [(50, 0, 0.1), (300, 0, 0.02), (50, 20, 0.5)] {
            let ts = TrainSettings { beta, iterations, polish: lbfgs, learning_rate: Some(lr), ..Default::default() };
            let out = train_from(&data, &ts, opt.clone()).unwrap();
            assert!(out.objective <= before, "optimal start, {iterations} Adam at {lr}, {lbfgs} L-BFGS: {} > {before}", out.objective);
        }
    }
    // Inside the rounding: every polished candidate is at most its refitted value, and the
    // returned objective is the smallest stage value.
    let data = random_data(12, 3, 2, 20);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let net = Network { u: gaussian(3, 4, &mut rng), v: gaussian(2, 4, &mut rng) };
    let p = LiftBlocks { n: 12, d: 3, c: 2 }.order();
    let g = DMatrix::<f64>::from_fn(p, 3, |_, _| {
        let v: f64 = StandardNormal.sample(&mut rng);
        v
    });
    let lambda = lift(&net, data.x.as_view()) + &g * g.transpose() * 0.05;
    let r = round(&lambda, &data, 0.2, &RoundingSettings::default()).unwrap();
    let st = r.stages.as_ref().expect("gaussian rounding reports its stages");
    assert!(st.candidates.iter().filter(|c| c.polished.is_some()).count() >= 1);
    for c in &st.candidates {
        if let Some(p) = c.polished {
            assert!(p <= c.refitted, "{}: polished {p} > refitted {}", c.source, c.refitted);
        }
    }
    let best = st.sampled.min(st.refitted).min(st.polished.unwrap());
    assert_eq!(r.objective, best);
    assert_eq!(r.objective, r.network.objective(&data, 0.2));
    eprintln!("sampled {} refitted {} polished {:?}", st.sampled, st.refitted, st.polished);
}

/// The lift of a single-neuron network whose second layer is already optimal for its direction
/// (the closed-form one-group lasso, via refit on that one direction; the data lie on its positive
/// side so that `-u` is inactive) rounds back to exactly
/// that network's objective: the eigen read-off is the network itself, and the refits cannot
/// beat the optimum for that direction. Without polish the returned objective equals it; with
/// the polish it can only be smaller.
#[test]
fn rounding_the_lift_of_a_single_neuron_network_returns_its_objective() {
    let beta = 0.1;
    for (d, c, seed) in [(3, 1, 10u64), (2, 3, 11), (4, 2, 12)] {
        let mut data = random_data(10, d, c, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
        let dir = gaussian(d, 1, &mut rng);
        // Every row on the positive side of the direction, so that -u is inactive and the
        // single neuron is the best network on the directions {u, -u} the lift contains.
        for mut row in data.x.row_iter_mut() {
            if row.iter().zip(dir.column(0).iter()).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
                row.apply(|e| *e = -*e);
            }
        }
        let tight = RefitSettings { solve: convex_relu::backend::SolveSettings { tolerance: Some(1e-10), ..Default::default() }, ..Default::default() };
        let one = refit(&data, dir.as_view(), beta, &tight).unwrap();
        assert_eq!(one.network.width(), 1, "seed {seed}: the direction must be active");
        let net = one.network;
        let want = net.objective(&data, beta);
        let lambda = lift(&net, data.x.as_view());
        let mut s = RoundingSettings { refit: tight.clone(), ..Default::default() };
        s.staged.polish_candidates = 0;
        // For c = 1 the C-ReLU stage may move the direction inside its pattern cone and do
        // better than the neuron (checked below); the read-off and group-lasso path is checked
        // without it.
        s.staged.crelu = false;
        let r = round(&lambda, &data, beta, &s).unwrap();
        let st = r.stages.as_ref().unwrap();
        assert!((st.sampled - want).abs() <= 1e-9 * (1.0 + want), "d {d} c {c}: read-off {} vs {want}", st.sampled);
        assert!((r.objective - want).abs() <= 1e-7 * (1.0 + want), "d {d} c {c}: {} vs {want}", r.objective);
        if c == 1 {
            s.staged.crelu = true;
            let rc = round(&lambda, &data, beta, &s).unwrap();
            let cr = rc.stages.as_ref().unwrap().crelu.as_ref().expect("c = 1: C-ReLU stage").objective;
            assert!(cr <= want + 1e-7 * (1.0 + want) && rc.objective <= r.objective, "c-relu stage {cr} / {} above the neuron's {want}", rc.objective);
        }
        s.staged = StagedSettings::default();
        let rp = round(&lambda, &data, beta, &s).unwrap();
        assert!(rp.objective <= r.objective, "polish made it worse: {} > {}", rp.objective, r.objective);
    }
}

/// p* (the exact C-ReLU optimum over every pattern, Clarabel at 1e-9) and an optimal network.
fn exact_optimum(data: &Dataset, beta: f64) -> (f64, Network) {
    use convex_relu::backend::{self, BackendKind, SolveSettings};
    use convex_relu::formulation::crelu;
    use convex_relu::patterns::Budget;
    let c = crelu::exact(data, beta, &Budget::default()).unwrap();
    let sol = backend::solve(&c.problem, BackendKind::Clarabel, &SolveSettings { tolerance: Some(1e-9), ..Default::default() }).unwrap();
    assert!(sol.status.has_solution(), "exact solve: {}", sol.status);
    let p = c.layout.crelu_objective(data, &sol.x).unwrap();
    (p, c.layout.recover_network(&sol.x).unwrap())
}

fn tight_refit() -> RefitSettings {
    RefitSettings { solve: convex_relu::backend::SolveSettings { tolerance: Some(1e-9), ..Default::default() }, ..Default::default() }
}

/// The C-ReLU refit on the candidates' patterns (c = 1) returns a real network, so its objective
/// is never below p* (computed independently by the exact program over every pattern); it is at
/// most the group-lasso refit on the same directions; and when the candidates contain the
/// directions of an optimal network it reaches p* (to 1e-6).
#[test]
fn crelu_refit_is_above_p_star_and_reaches_it_on_the_patterns_of_an_optimal_network() {
    use convex_relu::rounding::crelu_refit;
    let beta = 0.1;
    let mut cases = vec![(convex_relu::data::synth::reference_1d(), 0u64)];
    for seed in [30u64, 31, 32] {
        cases.push((random_data(10, 2, 1, seed), seed));
    }
    let mut group_lasso_above = 0;
    for (data, seed) in cases {
        let (pstar, opt) = exact_optimum(&data, beta);
        assert!((opt.objective(&data, beta) - pstar).abs() <= 1e-6 * pstar, "seed {seed}: recovered optimum");
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 7);
        // Random directions only: a network, hence >= p*; and <= the group lasso on them.
        for k in [1usize, 3, 8] {
            let dirs = gaussian(data.d(), k, &mut rng);
            let gl = refit(&data, dirs.as_view(), beta, &tight_refit()).unwrap();
            let Some(cr) = crelu_refit(&data, dirs.as_view(), beta, &tight_refit(), 100).unwrap() else { continue };
            assert_eq!(cr.refit.objective, cr.refit.network.objective(&data, beta));
            assert!(cr.refit.objective >= pstar - 1e-8 * (1.0 + pstar), "seed {seed} k {k}: {} < p* {pstar}", cr.refit.objective);
            assert!(cr.refit.objective <= gl.objective + 1e-7 * (1.0 + gl.objective), "seed {seed} k {k}: c-relu {} > group lasso {}", cr.refit.objective, gl.objective);
        }
        // Directions with the patterns of an optimal network (its directions, perturbed inside
        // their pattern cones so that the group lasso, which keeps directions fixed, cannot
        // reach p*), among random ones: the C-ReLU refit reaches p*.
        let mut moved = opt.u.clone();
        for mut col in moved.column_iter_mut() {
            let want = convex_relu::patterns::Pattern::of_direction(data.x.as_view(), &col.iter().copied().collect::<Vec<f64>>());
            let norm = col.dot(&col).sqrt();
            for scale in [0.3, 0.1, 0.03, 0.01, 0.0] {
                let cand = &col + gaussian(data.d(), 1, &mut rng).column(0) * (scale * norm);
                if convex_relu::patterns::Pattern::of_direction(data.x.as_view(), cand.as_slice()) == want {
                    col.copy_from(&cand);
                    break;
                }
            }
        }
        let extra = gaussian(data.d(), 5, &mut rng);
        let mut dirs = DMatrix::zeros(data.d(), extra.ncols() + moved.ncols());
        dirs.columns_mut(0, extra.ncols()).copy_from(&extra);
        dirs.columns_mut(extra.ncols(), moved.ncols()).copy_from(&moved);
        let cr = crelu_refit(&data, dirs.as_view(), beta, &tight_refit(), 100).unwrap().unwrap();
        assert!(cr.refit.objective >= pstar - 1e-8 * (1.0 + pstar));
        assert!((cr.refit.objective - pstar).abs() <= 1e-6 * pstar, "seed {seed}: c-relu refit {} vs p* {pstar}", cr.refit.objective);
        // The group lasso on the same directions does not move them: typically above p*.
        let gl = refit(&data, dirs.as_view(), beta, &tight_refit()).unwrap();
        eprintln!("seed {seed}: p* {pstar:.8} c-relu {:.8} group lasso {:.8} ({} patterns)", cr.refit.objective, gl.objective, cr.patterns);
        if gl.objective > pstar + 1e-5 * pstar {
            group_lasso_above += 1;
        }
    }
    assert!(group_lasso_above >= 2, "the perturbed directions should keep the group lasso above p* on most cases");
}

/// Inside the staged rounding (c = 1, reference-1d): the C-ReLU stage is reported, is a real
/// network's objective >= p*, competes with the refits (the returned objective is the smallest
/// stage value), and once the candidates cover every pattern of the data it equals p*.
#[test]
fn staged_rounding_reports_the_crelu_stage_and_reaches_p_star_with_all_patterns() {
    use convex_relu::patterns::{enumerate, Budget};
    let beta = 0.1;
    let data = convex_relu::data::synth::reference_1d();
    let (pstar, opt) = exact_optimum(&data, beta);
    let all = enumerate(data.x.as_view(), &Budget::default()).unwrap().len();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let p = LiftBlocks { n: data.n(), d: data.d(), c: 1 }.order();
    let g = DMatrix::<f64>::from_fn(p, 2, |_, _| {
        let v: f64 = StandardNormal.sample(&mut rng);
        v
    });
    let lambda = lift(&opt, data.x.as_view()) + &g * g.transpose() * 0.01;
    let mut s = RoundingSettings { refit: tight_refit(), ..Default::default() };
    s.staged.polish_candidates = 0;
    for samples in [20usize, 2000] {
        s.gaussian.samples = Some(samples);
        let r = round(&lambda, &data, beta, &s).unwrap();
        let st = r.stages.as_ref().unwrap();
        let cr = st.crelu.as_ref().expect("c = 1: the C-ReLU stage runs");
        assert!(cr.objective >= pstar - 1e-8, "{samples} samples: c-relu {} < p* {pstar}", cr.objective);
        assert!(cr.objective <= st.refitted + 1e-7, "{samples}: c-relu {} > group lasso {}", cr.objective, st.refitted);
        assert_eq!(r.objective, st.sampled.min(st.refitted).min(cr.objective));
        assert_eq!(r.objective, r.network.objective(&data, beta));
        eprintln!("{samples} samples: patterns {} of {all}, c-relu {} refitted {} p* {pstar}", cr.patterns, cr.objective, st.refitted);
        if samples == 2000 {
            assert_eq!(cr.patterns, all, "2000 samples cover every pattern");
            assert!((cr.objective - pstar).abs() <= 1e-6 * pstar, "all patterns: {} vs p* {pstar}", cr.objective);
        }
    }
    s.staged.crelu = false;
    assert!(round(&lambda, &data, beta, &s).unwrap().stages.unwrap().crelu.is_none());
}

/// A rounding whose time budget is already spent runs the first Gaussian refit only, lists
/// every skipped stage, returns a real network (its objective recomputed here), and is never
/// better than the same rounding without a budget (it considers a subset of the candidates).
#[test]
fn a_spent_time_budget_skips_the_later_stages_and_still_returns_a_network() {
    let beta = 0.1;
    let data = random_data(12, 3, 2, 21);
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let net = Network { u: gaussian(3, 4, &mut rng), v: gaussian(2, 4, &mut rng) };
    let lambda = lift(&net, data.x.as_view());
    let mut s = RoundingSettings::default();
    s.staged.polish_iterations = 50;
    s.staged.polish_lbfgs = 20;
    let free = round(&lambda, &data, beta, &s).unwrap();
    assert!(free.stages.as_ref().unwrap().skipped_for_time.is_empty());
    s.staged.time_budget_seconds = Some(1e-9);
    let bounded = round(&lambda, &data, beta, &s).unwrap();
    let st = bounded.stages.as_ref().unwrap();
    for stage in ["eigen refits", "polish of 3 candidate(s)"] {
        assert!(st.skipped_for_time.iter().any(|x| x == stage), "{stage} not skipped: {:?}", st.skipped_for_time);
    }
    assert!(st.polished.is_none(), "a polish ran after the budget");
    let recomputed = bounded.network.objective(&data, beta);
    assert!((recomputed - bounded.objective).abs() <= 1e-12 * (1.0 + recomputed), "{recomputed} vs {}", bounded.objective);
    assert!(bounded.objective >= free.objective - 1e-12, "bounded {} better than unbounded {}", bounded.objective, free.objective);
    s.staged.time_budget_seconds = Some(-1.0);
    assert!(round(&lambda, &data, beta, &s).is_err(), "a negative budget must be refused");
}
