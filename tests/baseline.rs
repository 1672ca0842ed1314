//! Acceptance test of the non-convex baseline against the exact optimum of SPEC section 6
//! (computed independently by the exact convex program over all 15 activation patterns).

use convex_relu::data::synth;
use convex_relu::train::{train, Optimizer, TrainSettings};

const P_STAR: f64 = 0.71707776;

#[test]
fn reference_1d_best_of_20_restarts_is_within_one_percent_of_p_star() {
    let data = synth::reference_1d();
    let settings = TrainSettings { width: 16, beta: 0.1, restarts: 20, seed: 0, ..Default::default() };
    let t = std::time::Instant::now();
    let r = train(&data, &settings).unwrap();
    let secs = t.elapsed().as_secs_f64();
    eprintln!("best {:.8} (restart {}), restarts {:?}, {secs:.1} s", r.objective, r.best_restart, r.restart_objectives);
    // never below the global optimum (p* is printed to 8 digits: allow 1e-8 of rounding)
    for &o in &r.restart_objectives {
        assert!(o >= P_STAR - 1e-8 - 1e-9, "restart objective {o} below p* = {P_STAR}");
    }
    assert!(r.objective <= P_STAR * 1.01, "best {} not within 1% of p* = {P_STAR}", r.objective);
    // the reported objective is that of the returned network
    assert!((r.network.objective(&data, 0.1) - r.objective).abs() < 1e-12);
}

#[test]
fn reference_1d_other_seeds_also_reach_one_percent() {
    let data = synth::reference_1d();
    for seed in [1u64, 2] {
        let settings = TrainSettings { width: 16, beta: 0.1, restarts: 8, seed, ..Default::default() };
        let r = train(&data, &settings).unwrap();
        // stronger than required (1%): the schedule reaches p* to 0.1% on every seed tried
        assert!(r.objective <= P_STAR * 1.001 && r.objective >= P_STAR - 1e-8, "seed {seed}: {}", r.objective);
    }
}

#[test]
fn momentum_also_gets_close_on_reference_1d() {
    let data = synth::reference_1d();
    let settings = TrainSettings { width: 16, beta: 0.1, restarts: 5, optimizer: Optimizer::Momentum, ..Default::default() };
    let r = train(&data, &settings).unwrap();
    assert!(r.objective >= P_STAR - 1e-8, "{}", r.objective);
    assert!(r.objective <= P_STAR * 1.05, "momentum best {}", r.objective);
}

#[test]
fn planted_teacher_objective_is_matched_or_beaten() {
    // The teacher network (balanced: same function, smallest penalty for it) has zero loss on
    // noiseless planted data, so its objective beta * sum_j ||u_j|| ||v_j|| is an independent
    // upper bound on p*. Training a wider student must reach it (up to 1%).
    let beta = 1e-2;
    let (data, mut teacher) = synth::planted_relu(40, 3, 2, 2, 0.0, 11).unwrap();
    teacher.balance();
    let bound = teacher.objective(&data, beta);
    assert!(teacher.loss(&data) < 1e-20);
    let settings = TrainSettings { width: 8, beta, restarts: 5, iterations: 4000, seed: 0, ..Default::default() };
    let r = train(&data, &settings).unwrap();
    eprintln!("planted: student {} vs teacher {bound}", r.objective);
    assert!(r.objective <= bound * 1.01, "student {} vs teacher {bound}", r.objective);
}
