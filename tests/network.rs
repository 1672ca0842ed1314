//! Network objective, gradient, accuracy and weight files, against independent references
//! (hand arithmetic, central finite differences).

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::network::Network;
use nalgebra::{dmatrix, DMatrix};
use proptest::prelude::*;

fn data(x: DMatrix<f64>, y: DMatrix<f64>, kind: TargetKind) -> Dataset {
    Dataset::from_arrays(x, y, kind, "hand")
}

#[test]
fn objective_matches_hand_computation() {
    // U = [u1 u2] with u1 = (1, 0), u2 = (-1, 1); V = [2 1]; beta = 0.5.
    // x1 = ( 1, 0): XU = ( 1, -1) -> s = (1, 0) -> f = 2*1 + 1*0 = 2, y = 1, r = 1
    // x2 = ( 0, 1): XU = ( 0,  1) -> s = (0, 1) -> f = 1,             y = 1, r = 0
    // x3 = (-1, 2): XU = (-1,  3) -> s = (0, 3) -> f = 3,             y = 0, r = 3
    // loss = 1/2 (1 + 0 + 9) = 5
    // penalty = beta/2 (||U||^2 + ||V||^2) = 0.25 * ((1 + 0 + 1 + 1) + (4 + 1)) = 0.25 * 8 = 2
    // L = 7
    let net = Network { u: dmatrix![1.0, -1.0; 0.0, 1.0], v: dmatrix![2.0, 1.0] };
    let d = data(dmatrix![1.0, 0.0; 0.0, 1.0; -1.0, 2.0], dmatrix![1.0; 1.0; 0.0], TargetKind::Numeric);
    assert_eq!(net.predict(d.x.as_view()), dmatrix![2.0; 1.0; 3.0]);
    assert_eq!(net.loss(&d), 5.0);
    assert_eq!(net.penalty(0.5), 2.0);
    assert_eq!(net.objective(&d, 0.5), 7.0);
    // Gradient by hand: H = s(XU) = [[1,0],[0,1],[0,3]], R = (1, 0, 3)'.
    // dV = R'H + beta V = (1*1 + 0 + 0, 0 + 0 + 3*3) + 0.5*(2, 1) = (1, 9) + (1, 0.5) = (2, 9.5)
    // RV = [[2,1],[0,0],[6,3]]; mask 1[XU > 0] = [[1,0],[0,1],[0,1]] (x2's u1-entry 0 is a kink: 0)
    // G = [[2,0],[0,0],[0,3]]; X'G = [[1*2, -1*3], [0, 2*3]] = [[2,-3],[0,6]]
    // dU = X'G + beta U = [[2.5, -3.5], [0, 6.5]]
    let (gu, gv) = net.gradient(&d, 0.5);
    assert_eq!(gv, dmatrix![2.0, 9.5]);
    assert_eq!(gu, dmatrix![2.5, -3.5; 0.0, 6.5]);
}

#[test]
fn vector_output_objective_by_hand() {
    // one neuron u = (1), v = (1, -2)'; x = (2), (-1); Y = [[1, 0], [0, 1]]; beta = 1
    // x = 2: s = 2, f = (2, -4), r = (1, -4) -> 17;  x = -1: s = 0, f = 0, r = (0, -1) -> 1
    // loss = 1/2 (17 + 1) = 9; penalty = 1/2 (1 + 1 + 4) = 3; L = 12
    let net = Network { u: dmatrix![1.0], v: dmatrix![1.0; -2.0] };
    let d = data(dmatrix![2.0; -1.0], dmatrix![1.0, 0.0; 0.0, 1.0], TargetKind::Onehot);
    assert_eq!(net.objective(&d, 1.0), 12.0);
    // accuracy by argmax: row 0 predicts (2, -4) -> class 0 = target 0; row 1 predicts (0, 0) ->
    // first maximum, class 0, target 1 -> wrong: 1/2
    assert_eq!(net.accuracy(&d), Some(0.5));
}

#[test]
fn accuracy_signed_and_numeric() {
    let net = Network { u: dmatrix![1.0, -1.0], v: dmatrix![1.0, -1.0] };
    // f(x) = s(x) - s(-x) = x: signs of x are the predicted classes (f >= 0 -> +1)
    let d = data(dmatrix![2.0; -1.0; 0.5; -3.0], dmatrix![1.0; -1.0; -1.0; -1.0], TargetKind::Signed);
    assert_eq!(net.accuracy(&d), Some(0.75));
    let d = data(dmatrix![2.0], dmatrix![1.0], TargetKind::Numeric);
    assert_eq!(net.accuracy(&d), None);
}

#[test]
fn balance_keeps_the_function_and_lowers_the_penalty() {
    // neuron 1: u = (4, 0), v = 1 -> t = sqrt(||v|| / ||u||) = 1/2 -> u = (2, 0), v = 2;
    // neuron 2: u = 0 (dead), v = 3 -> zeroed.
    // penalty (beta = 1): before 1/2 (16 + 1 + 9) = 13, after 1/2 (4 + 4) = 4 = ||u_1|| ||v_1||.
    let mut net = Network { u: dmatrix![4.0, 0.0; 0.0, 0.0], v: dmatrix![1.0, 3.0] };
    let x = dmatrix![1.0, 2.0; -1.0, 0.5];
    let f = net.predict(x.as_view());
    assert_eq!(net.penalty(1.0), 13.0);
    net.balance();
    assert_eq!(net.predict(x.as_view()), f);
    assert_eq!(net.u, dmatrix![2.0, 0.0; 0.0, 0.0]);
    assert_eq!(net.v, dmatrix![2.0, 0.0]);
    assert_eq!(net.penalty(1.0), 4.0);
}

fn indices((r, c): (usize, usize)) -> impl Iterator<Item = (usize, usize)> {
    (0..r).flat_map(move |i| (0..c).map(move |j| (i, j)))
}

fn objective_fd(net: &Network, d: &Dataset, beta: f64) -> (DMatrix<f64>, DMatrix<f64>) {
    let h = 1e-6;
    let mut gu = DMatrix::zeros(net.u.nrows(), net.u.ncols());
    let mut gv = DMatrix::zeros(net.v.nrows(), net.v.ncols());
    for idx in indices(net.u.shape()) {
        let mut p = net.clone();
        p.u[idx] += h;
        let mut m = net.clone();
        m.u[idx] -= h;
        gu[idx] = (p.objective(d, beta) - m.objective(d, beta)) / (2.0 * h);
    }
    for idx in indices(net.v.shape()) {
        let mut p = net.clone();
        p.v[idx] += h;
        let mut m = net.clone();
        m.v[idx] -= h;
        gv[idx] = (p.objective(d, beta) - m.objective(d, beta)) / (2.0 * h);
    }
    (gu, gv)
}

fn case() -> impl Strategy<Value = (Network, Dataset, f64)> {
    (1..6usize, 1..4usize, 1..5usize, 1..3usize).prop_flat_map(|(n, d, m, c)| {
        (
            prop::collection::vec(-2.0..2.0f64, n * d),
            prop::collection::vec(-2.0..2.0f64, n * c),
            prop::collection::vec(-2.0..2.0f64, d * m),
            prop::collection::vec(-2.0..2.0f64, c * m),
            0.0..1.0f64,
        )
            .prop_map(move |(xs, ys, us, vs, beta)| {
                let x = DMatrix::from_row_slice(n, d, &xs);
                let y = DMatrix::from_row_slice(n, c, &ys);
                let u = DMatrix::from_row_slice(d, m, &us);
                let v = DMatrix::from_row_slice(c, m, &vs);
                (Network { u, v }, Dataset::from_arrays(x, y, TargetKind::Numeric, "prop"), beta)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn gradient_matches_central_differences((net, d, beta) in case()) {
        // stay away from the kinks: every pre-activation at least 1e-3 from zero
        let z = &d.x * &net.u;
        prop_assume!(z.iter().all(|t| t.abs() > 1e-3));
        let (gu, gv) = net.gradient(&d, beta);
        let (fu, fv) = objective_fd(&net, &d, beta);
        for (a, b) in gu.iter().zip(fu.iter()).chain(gv.iter().zip(fv.iter())) {
            prop_assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "analytic {} vs finite difference {}", a, b);
        }
    }
}
