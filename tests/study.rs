//! The study row never reads test labels: permuting them leaves every chosen model (rounded,
//! polished and locally trained networks, the wide local network, kernel ridges) and every training number unchanged,
//! while the test accuracies are recomputed on the permuted labels.

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::study::{evaluate_split, StudySettings};
use convex_relu::train::TrainSettings;
use nalgebra::{DMatrix, RowDVector};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn blobs(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = [[1.5, 0.0], [-0.8, 1.2], [-0.8, -1.2]];
    let mut x = DMatrix::zeros(n, 2);
    let mut y = DMatrix::zeros(n, 3);
    for i in 0..n {
        let k = i % 3;
        for t in 0..2 {
            let e: f64 = StandardNormal.sample(&mut rng);
            x[(i, t)] = centres[k][t] + 0.9 * e;
        }
        y[(i, k)] = 1.0;
    }
    Dataset::from_arrays(x, y, TargetKind::Onehot, "blobs")
}

#[test]
fn selection_never_reads_test_data() {
    let train = blobs(18, 1);
    let test = blobs(30, 2);
    let mut permuted = test.clone();
    let mut order: Vec<usize> = (0..test.n()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(3));
    permuted.y = test.y.select_rows(&order);
    assert_ne!(permuted.y, test.y);
    let s = StudySettings { train: TrainSettings { restarts: 2, iterations: 300, polish: 50, ..Default::default() }, wide_width: 30, ..Default::default() };
    let a = evaluate_split(&train, &test, &s).unwrap();
    let b = evaluate_split(&train, &permuted, &s).unwrap();
    assert_eq!(a.networks, b.networks, "a chosen network depends on the test labels");
    assert_eq!(a.ridges, b.ridges);
    assert_eq!(a.lower_bound, b.lower_bound);
    assert_eq!(a.upper_bound, b.upper_bound);
    assert_eq!(a.methods.last().unwrap().method, "local training (wide)");
    for (ma, mb) in a.methods.iter().zip(&b.methods) {
        assert_eq!(ma.objective, mb.objective, "{}", ma.method);
        assert_eq!(ma.train_accuracy, mb.train_accuracy, "{}", ma.method);
    }
    // The test accuracies are really computed on the labels given: recompute one by hand.
    let net = &a.networks[1];
    let f = net.predict(permuted.x.as_view());
    let argmax = |r: RowDVector<f64>| (0..r.len()).fold(0, |b, k| if r[k] > r[b] { k } else { b });
    let hits = (0..permuted.n()).filter(|&i| argmax(f.row(i).into_owned()) == argmax(permuted.y.row(i).into_owned())).count();
    assert_eq!(b.methods[1].test_accuracy, hits as f64 / permuted.n() as f64);
    // Bounds: LB certified and below every network's training objective.
    let lb = a.lower_bound.expect("certified");
    assert!(lb <= a.upper_bound + 1e-9);
    assert!(a.methods[1].objective.unwrap() <= a.methods[0].objective.unwrap(), "polish made the rounding worse");
}
