//! NNGP / NTK kernels against a Monte Carlo estimate over a random wide network, and the kernel
//! ridge regression against its defining linear system.

use convex_relu::data::{Dataset, TargetKind};
use convex_relu::kernels::{fit, Kernel, KrrSettings};
use nalgebra::{dvector, DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A network of width m = 200 000 with w_j ~ N(0, I), v_j ~ N(0, 1): the empirical NNGP
/// (1/m) sum s(w_j'x) s(w_j'x') and the empirical NTK (the inner product of the parameter
/// gradients of f = m^(-1/2) sum v_j s(w_j'x)) match the closed forms within 0.02 |x| |x'|.
/// The Monte Carlo standard error is below 2 |x||x'| / sqrt(m) = 0.0045 |x||x'|, so the
/// tolerance is more than four standard errors; a wrong constant (e.g. 1/pi instead of
/// 1/(2 pi)) or a wrong angle term misses it by far more.
#[test]
fn arc_cosine_kernels_match_a_random_wide_network() {
    let d = 3;
    let m = 200_000;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // drawn row by row
    let w = DMatrix::from_row_iterator(m, d, (0..m * d).map(|_| StandardNormal.sample(&mut rng)));
    let v = DVector::from_iterator(m, (0..m).map(|_| -> f64 { StandardNormal.sample(&mut rng) }));
    let points = [dvector![1.0, 0.0, 0.0], dvector![0.6, 0.8, 0.0], dvector![-1.0, 0.5, 2.0], dvector![0.3, -0.2, 0.1], dvector![-0.9, 0.1, -0.2]];
    let pre: Vec<DVector<f64>> = points.iter().map(|p| &w * p).collect();
    for a in 0..points.len() {
        for b in a..points.len() {
            let (pa, pb) = (&pre[a], &pre[b]);
            let mut nngp = 0.0;
            let mut ntk2 = 0.0;
            for j in 0..m {
                nngp += pa[j].max(0.0) * pb[j].max(0.0);
                if pa[j] > 0.0 && pb[j] > 0.0 {
                    ntk2 += v[j] * v[j];
                }
            }
            nngp /= m as f64;
            let ntk = nngp + ntk2 / m as f64 * points[a].dot(&points[b]);
            let scale = points[a].dot(&points[a]).sqrt() * points[b].dot(&points[b]).sqrt();
            let (kn, kt) = (Kernel::Nngp.eval(points[a].as_view(), points[b].as_view()), Kernel::Ntk.eval(points[a].as_view(), points[b].as_view()));
            assert!((kn - nngp).abs() <= 0.02 * scale, "NNGP ({a},{b}): closed form {kn} vs Monte Carlo {nngp}");
            assert!((kt - ntk).abs() <= 0.02 * scale, "NTK ({a},{b}): closed form {kt} vs Monte Carlo {ntk}");
        }
    }
}

fn blobs(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]];
    let mut x = DMatrix::zeros(n, 3);
    let mut y = DMatrix::zeros(n, 3);
    for i in 0..n {
        let k = i % 3;
        for t in 0..2 {
            let e: f64 = StandardNormal.sample(&mut rng);
            x[(i, t)] = centres[k][t] + 0.7 * e;
        }
        x[(i, 2)] = 1.0;
        y[(i, k)] = 1.0;
    }
    Dataset::from_arrays(x, y, TargetKind::Onehot, "blobs")
}

/// The fitted coefficients solve (K + lambda I) A = Y on the training rows (checked by
/// multiplying out), the chosen ridge is one of the grid values, and on well-separated blobs the
/// held-out accuracy is high for both kernels.
#[test]
fn kernel_ridge_solves_its_system_and_classifies_blobs() {
    let train = blobs(60, 1);
    let test = blobs(90, 2);
    for kernel in [Kernel::Nngp, Kernel::Ntk] {
        let s = KrrSettings::default();
        let model = fit(kernel, &train, &s).unwrap();
        let k = kernel.matrix(train.x.as_view(), train.x.as_view());
        let resid = &k * &model.alpha + &model.alpha * model.lambda - &train.y;
        assert!(resid.iter().all(|e| e.abs() < 1e-6), "{}: residual", kernel.name());
        assert_eq!(model.validation_accuracy.len(), s.grid.len());
        let acc = model.accuracy(&test).unwrap();
        assert!(acc >= 0.9, "{}: test accuracy {acc}", kernel.name());
    }
    let numeric = Dataset::from_arrays(train.x.clone(), train.y.columns(0, 1).into_owned(), TargetKind::Numeric, "n");
    assert!(fit(Kernel::Nngp, &numeric, &KrrSettings::default()).is_err());
}
