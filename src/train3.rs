//! The non-convex baseline for three layers: local training of [`Network3`] on its objective
//!
//! ```text
//!     L = 1/2 ||sum_k s(s(X W1_k) w2_k) w3_k - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2),
//!     ||W1_k||_F <= 1,
//! ```
//!
//! by full-batch projected Adam from several seeded starts; the best objective over the restarts
//! is kept. It is the objective of a real network, hence an upper bound on the global optimum
//! computed by the convex program of `formulation::three_layer`. Conventions follow
//! [`crate::train`]:
//!
//! - Restart `r` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `r`.
//! - Initialisation: `W1_k` with i.i.d. N(0, 1) entries scaled to unit Frobenius norm,
//!   `w2_k ~ N(0, 1/m1)`, `w3_k ~ N(0, 1/K)`.
//! - Adam (`beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, bias-corrected; default `lr = 0.02`) with
//!   the cosine schedule `lr_t = lr (1e-3 + (1 - 1e-3)(1 + cos(pi t / T)) / 2)`; after every step
//!   each `W1_k` is projected onto the unit Frobenius ball (`W1_k / max(1, ||W1_k||_F)`).
//! - Safeguard: a non-finite objective or one above 10x the run's best returns to the best point,
//!   clears the Adam state and halves the step.
//! - Each run keeps its best iterate; finally [`Network3::balance`] rescales every sub-network
//!   (function unchanged, penalty not larger).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network3::Network3;
use crate::train::Progress;
use crate::dense::sum_of_squares;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

/// Settings for [`train`]. Defaults: sub-width 2, width 8, beta 0.1, 10 restarts, 5000
/// iterations, learning rate 0.02, seed 0.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Train3Settings {
    /// First-layer neurons per sub-network m1 (>= 1).
    pub sub_width: usize,
    /// Number of sub-networks K (>= 1).
    pub width: usize,
    /// Weight decay beta >= 0.
    pub beta: f64,
    pub restarts: usize,
    pub iterations: usize,
    /// Initial Adam step (`None`: 0.02).
    pub learning_rate: Option<f64>,
    pub seed: u64,
}

impl Default for Train3Settings {
    fn default() -> Self {
        Self { sub_width: 2, width: 8, beta: 0.1, restarts: 10, iterations: 5000, learning_rate: None, seed: 0 }
    }
}

impl Train3Settings {
    /// Range checks.
    pub fn validate(&self) -> Result<()> {
        if self.sub_width == 0 {
            return Err(Error::InvalidArgument("--sub-width (m1) must be at least 1, found 0".into()));
        }
        if self.width == 0 {
            return Err(Error::InvalidArgument("--width (number of sub-networks K) must be at least 1, found 0".into()));
        }
        if self.restarts == 0 {
            return Err(Error::InvalidArgument("restarts must be at least 1, found 0".into()));
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(Error::InvalidArgument(format!("beta must be finite and >= 0, found {}", self.beta)));
        }
        if let Some(lr) = self.learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(Error::InvalidArgument(format!("learning rate must be finite and > 0, found {lr}")));
            }
        }
        Ok(())
    }
}

/// The outcome of [`train`].
#[derive(Clone, Debug)]
pub struct Train3Result {
    pub network: Network3,
    pub objective: f64,
    pub best_restart: usize,
    pub restart_objectives: Vec<f64>,
    pub learning_rate: f64,
}

/// Train with the given settings (module docs).
pub fn train(data: &Dataset, s: &Train3Settings) -> Result<Train3Result> {
    train_with_progress(data, s, &mut |_| {})
}

fn cosine(lr: f64, t: usize, total: usize) -> f64 {
    let floor = 1e-3;
    let frac = if total <= 1 { 0.0 } else { t as f64 / (total - 1) as f64 };
    lr * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos()))
}

/// Adam moments for one parameter matrix or vector (entries in storage order).
struct Moments {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Moments {
    fn new(len: usize) -> Self {
        Moments { m: vec![0.0; len], v: vec![0.0; len] }
    }
    fn reset(&mut self) {
        self.m.fill(0.0);
        self.v.fill(0.0);
    }
    fn step(&mut self, w: &mut [f64], g: &[f64], lr: f64, t: usize) {
        assert!(w.len() == g.len() && w.len() == self.m.len());
        let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
        let t = t.min(100_000) as i32;
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        for (((w, &g), m), v) in w.iter_mut().zip(g).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
    }
}

/// `||W1_k||_F`, squares summed row by row.
fn block_norm(net: &Network3, k: usize) -> f64 {
    sum_of_squares(&net.first_layer(k)).sqrt()
}

fn project(net: &mut Network3) {
    for k in 0..net.width() {
        let r = block_norm(net, k);
        if r > 1.0 {
            net.first_layer_mut(k).apply(|a| *a /= r);
        }
    }
}

fn initial(rng: &mut ChaCha8Rng, d: usize, m1: usize, k: usize) -> Network3 {
    // Draws in the order sub-network, row, column (then w2 row by row, then w3).
    let mut w1 = DMatrix::zeros(d, k * m1);
    for b in 0..k {
        for i in 0..d {
            for j in 0..m1 {
                w1[(i, b * m1 + j)] = rng.sample::<f64, _>(StandardNormal);
            }
        }
    }
    let s2 = (1.0 / m1 as f64).sqrt();
    let s3 = (1.0 / k as f64).sqrt();
    let w2 = DMatrix::from_row_iterator(k, m1, (0..k * m1).map(|_| s2 * rng.sample::<f64, _>(StandardNormal)));
    let w3 = DVector::from_iterator(k, (0..k).map(|_| s3 * rng.sample::<f64, _>(StandardNormal)));
    let mut net = Network3 { w1, w2, w3 };
    for b in 0..k {
        let r = block_norm(&net, b).max(1e-300);
        net.first_layer_mut(b).apply(|a| *a /= r);
    }
    net
}

/// Train, reporting progress every 100 iterations and at the end of each restart (the same
/// [`Progress`] as the two-layer baseline).
pub fn train_with_progress(data: &Dataset, s: &Train3Settings, progress: &mut dyn FnMut(Progress)) -> Result<Train3Result> {
    s.validate()?;
    data.validate()?;
    if data.c() != 1 {
        return Err(Error::InvalidArgument(format!(
            "three-layer training has scalar output (c = 1), the data has c = {}; use --targets signed for two classes",
            data.c()
        )));
    }
    if data.n() == 0 || data.d() == 0 {
        return Err(Error::InvalidArgument(format!("cannot train on data with n = {}, d = {}", data.n(), data.d())));
    }
    const MAX_ENTRIES: usize = 1 << 28;
    let sizes = [data.n().checked_mul(s.sub_width).and_then(|a| a.checked_mul(s.width)), data.d().checked_mul(s.sub_width).and_then(|a| a.checked_mul(s.width))];
    if sizes.iter().any(|v| v.map_or(true, |v| v > MAX_ENTRIES)) {
        return Err(Error::TooLarge(format!(
            "{} sub-networks of sub-width {} on n = {}, d = {} need more than {MAX_ENTRIES} entries",
            s.width,
            s.sub_width,
            data.n(),
            data.d()
        )));
    }
    let lr0 = s.learning_rate.unwrap_or(0.02);
    let total = s.restarts.saturating_mul(s.iterations);
    let mut best: Option<(usize, Network3, f64)> = None;
    let mut objs = Vec::with_capacity(s.restarts);
    for r in 0..s.restarts {
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        rng.set_stream(r as u64);
        let mut net = initial(&mut rng, data.d(), s.sub_width, s.width);
        let mut m1 = Moments::new(net.w1.len());
        let mut m2 = Moments::new(net.w2.len());
        let mut m3 = Moments::new(net.w3.len());
        let mut best_net = net.clone();
        let mut best_obj = f64::INFINITY;
        let mut scale = 1.0;
        let mut t_opt = 0;
        let before = best.as_ref().map_or(f64::INFINITY, |b| b.2);
        for it in 0..s.iterations {
            let (obj, g1, g2, g3) = net.objective_and_gradient(data, s.beta);
            if !obj.is_finite() || obj > 10.0 * best_obj.max(f64::MIN_POSITIVE) {
                net = best_net.clone();
                m1.reset();
                m2.reset();
                m3.reset();
                t_opt = 0;
                scale *= 0.5;
                continue;
            }
            if obj < best_obj {
                best_obj = obj;
                best_net.clone_from(&net);
            }
            t_opt += 1;
            let lr = cosine(lr0, it, s.iterations) * scale;
            m1.step(net.w1.as_mut_slice(), g1.as_slice(), lr, t_opt);
            m2.step(net.w2.as_mut_slice(), g2.as_slice(), lr, t_opt);
            m3.step(net.w3.as_mut_slice(), g3.as_slice(), lr, t_opt);
            project(&mut net);
            if it % 100 == 0 {
                progress(Progress { restart: r, iteration: it, done: r.saturating_mul(s.iterations).saturating_add(it), total, best: before.min(best_obj) });
            }
        }
        let last = net.objective(data, s.beta);
        if last.is_finite() && last < best_obj {
            best_net = net;
        }
        best_net.balance();
        let obj = best_net.objective(data, s.beta);
        objs.push(obj);
        if best.as_ref().map_or(true, |b| obj < b.2) {
            best = Some((r, best_net, obj));
        }
        let b = best.as_ref().map_or(f64::INFINITY, |b| b.2);
        progress(Progress { restart: r, iteration: s.iterations, done: (r + 1).saturating_mul(s.iterations), total, best: b });
    }
    let (best_restart, network, objective) = best.ok_or_else(|| Error::InvalidArgument("no restarts".into()))?;
    Ok(Train3Result { network, objective, best_restart, restart_objectives: objs, learning_rate: lr0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth;

    #[test]
    fn deterministic_feasible_and_decreasing() {
        let data = synth::reference_1d();
        let s = Train3Settings { sub_width: 2, width: 3, restarts: 2, iterations: 400, ..Default::default() };
        let a = train(&data, &s).unwrap();
        let b = train(&data, &s).unwrap();
        assert_eq!(a.restart_objectives, b.restart_objectives);
        assert_eq!(a.network, b.network);
        a.network.check_feasible().unwrap();
        assert!((a.network.objective(&data, s.beta) - a.objective).abs() < 1e-12);
        // better than the zero network (objective 1/2 ||y||^2)
        let zero = 0.5 * data.y.iter().map(|v| v * v).sum::<f64>();
        assert!(a.objective < zero, "{} vs {zero}", a.objective);
    }

    #[test]
    fn rejects_bad_settings() {
        let data = synth::reference_1d();
        for s in [
            Train3Settings { sub_width: 0, ..Default::default() },
            Train3Settings { width: 0, ..Default::default() },
            Train3Settings { restarts: 0, ..Default::default() },
            Train3Settings { beta: -1.0, ..Default::default() },
        ] {
            assert!(matches!(train(&data, &s), Err(Error::InvalidArgument(_))), "{s:?}");
        }
    }
}
