//! Staged rounding (eigen candidates, refit, polish): the polish never increases the objective,
//! the lift of a single-neuron network rounds back to that network's objective, and every stage
//! value is the objective of a real network computed here by Network::objective.

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::lift::{lift, LiftBlocks};
use convex_relu::network::Network;
use convex_relu::rounding::{refit, round, RefitSettings, RoundingSettings, StagedSettings};
use convex_relu::train::{train_from, TrainSettings};
use nalgebra::DMatrix;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |_| StandardNormal.sample(rng))
}

fn random_data(n: usize, d: usize, c: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = gaussian(n, d, &mut rng);
    let teacher = Network { u: gaussian(d, 3, &mut rng), v: gaussian(c, 3, &mut rng) };
    let y = teacher.predict(x.view()) + gaussian(n, c, &mut rng) * 0.3;
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
            Network { u: Array2::zeros((3, width)), v: Array2::zeros((2, width)) },
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
    let lambda = lift(&net, data.x.view()) + &g * g.transpose() * 0.05;
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
        for mut row in data.x.rows_mut() {
            if row.dot(&dir.column(0)) < 0.0 {
                row.mapv_inplace(|e| -e);
            }
        }
        let tight = RefitSettings { solve: convex_relu::backend::SolveSettings { tolerance: Some(1e-10), ..Default::default() }, ..Default::default() };
        let one = refit(&data, dir.view(), beta, &tight).unwrap();
        assert_eq!(one.network.width(), 1, "seed {seed}: the direction must be active");
        let net = one.network;
        let want = net.objective(&data, beta);
        let lambda = lift(&net, data.x.view());
        let mut s = RoundingSettings { refit: tight.clone(), ..Default::default() };
        s.staged.polish_candidates = 0;
        let r = round(&lambda, &data, beta, &s).unwrap();
        let st = r.stages.as_ref().unwrap();
        assert!((st.sampled - want).abs() <= 1e-9 * (1.0 + want), "d {d} c {c}: read-off {} vs {want}", st.sampled);
        assert!((r.objective - want).abs() <= 1e-7 * (1.0 + want), "d {d} c {c}: {} vs {want}", r.objective);
        s.staged = StagedSettings::default();
        let rp = round(&lambda, &data, beta, &s).unwrap();
        assert!(rp.objective <= r.objective, "polish made it worse: {} > {}", rp.objective, r.objective);
    }
}
