//! The non-convex baseline: local training of a two-layer ReLU network on the objective of
//! [`crate::network`],
//!
//! ```text
//!     L(U, V) = 1/2 ||s(X U) V' - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2),
//! ```
//!
//! by full-batch first-order methods from several seeded random starts; the best training
//! objective over all restarts is kept. Its value is an upper bound on the global optimum p*
//! (it is the objective of a real network); the convex programs give the lower bounds.
//!
//! Details (all deterministic for [`TrainSettings::seed`]):
//! - Restart `r` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `r`
//!   (`set_stream(r)`), so restarts are independent and the result does not depend on the
//!   number of restarts that precede one.
//! - Initialisation (He scaling): `U_kj ~ N(0, 2/d)`, `V_kj ~ N(0, 1/m)`.
//! - Step sizes follow a cosine schedule from `lr` to `lr * 1e-3`:
//!   `lr_t = lr (1e-3 + (1 - 1e-3) (1 + cos(pi t / T)) / 2)`.
//! - [`Optimizer::Adam`]: `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, bias-corrected.
//!   Default `lr = 0.02`.
//! - [`Optimizer::Momentum`]: heavy-ball gradient descent `w <- w + mu (w - w_prev) - lr_t g`
//!   with `mu = 0.9`. Default `lr = 1 / (||X||_2^2 + beta)` (the inverse curvature of the loss
//!   for unit-norm neurons; `||X||_2` estimated by power iteration), with the safeguard below.
//! - Safeguard: when the objective becomes non-finite or exceeds 10x the best value of the run,
//!   the run returns to its best point, clears its optimiser state and halves `lr`.
//! - Each run keeps its best iterate, which is then polished by L-BFGS (memory 10, Armijo
//!   backtracking `L(w + t p) <= L(w) + 1e-4 t g'p`, steepest descent whenever the L-BFGS
//!   direction is not a descent direction; it stops after [`TrainSettings::polish`] iterations or
//!   when no step decreases the objective). Every accepted step decreases `L`, so the polish never
//!   makes a run worse. The objective is only piecewise smooth (kinks where `x_i' u_j = 0`); the
//!   gradient uses `s'(0) = 0`.
//! - Finally every neuron is rescaled to `||u_j|| = ||v_j||` ([`Network::balance`]: the
//!   function is unchanged and the penalty can only decrease).

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::dense::{lane_dot, row_major};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// First-order method for the baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Adam (Kingma & Ba 2015) with bias correction.
    #[default]
    Adam,
    /// Gradient descent with heavy-ball momentum 0.9.
    Momentum,
}

/// Settings for [`train`]. Defaults are listed per field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Hidden width m (default 16).
    pub width: usize,
    /// Weight decay beta >= 0 (default 0.1).
    pub beta: f64,
    /// Number of random restarts (default 10).
    pub restarts: usize,
    /// Iterations (full-batch steps) per restart (default 5 000).
    pub iterations: usize,
    /// Initial learning rate; `None` picks the optimiser's default (module docs).
    pub learning_rate: Option<f64>,
    /// The optimiser (default Adam).
    pub optimizer: Optimizer,
    /// Seed of all random draws (default 0).
    pub seed: u64,
    /// Iterations of the L-BFGS polish after the first-order run (default 500; 0 = none).
    pub polish: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self { width: 16, beta: 0.1, restarts: 10, iterations: 5_000, learning_rate: None, optimizer: Optimizer::Adam, seed: 0, polish: 500 }
    }
}

impl TrainSettings {
    /// Check the ranges: width >= 1, restarts >= 1, beta finite and >= 0, learning rate finite
    /// and > 0 when given.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 {
            return Err(Error::InvalidArgument("width must be at least 1, found 0".into()));
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainResult {
    /// The network with the lowest training objective.
    pub network: Network,
    /// Its training objective `L(U, V)`.
    pub objective: f64,
    /// Index of the restart that produced it.
    pub best_restart: usize,
    /// The final (best) objective of every restart, in restart order.
    pub restart_objectives: Vec<f64>,
    /// The objective at every iteration of the best restart (before each step), followed by
    /// the final objective after balancing.
    pub loss_curve: Vec<f64>,
    /// The learning rate the runs started with.
    pub learning_rate: f64,
}

/// Progress report passed to the callback of [`train_with_progress`].
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Current restart (0-based).
    pub restart: usize,
    /// Iterations done in this restart.
    pub iteration: usize,
    /// Total iterations over all restarts done so far.
    pub done: usize,
    /// Total iterations over all restarts.
    pub total: usize,
    /// Best objective seen so far over all restarts.
    pub best: f64,
}

/// Train with the given settings; see the module docs.
pub fn train(data: &Dataset, settings: &TrainSettings) -> Result<TrainResult> {
    train_with_progress(data, settings, &mut |_| {})
}

/// One run of the trainer started from `init` instead of a random start (no restarts; the
/// `restarts` and `seed` fields are ignored): the first-order phase keeps its best iterate, which
/// includes `init` itself, then the L-BFGS polish and the balancing only decrease the objective,
/// so the returned objective is at most `init`'s. Used to polish rounded networks.
pub fn train_from(data: &Dataset, settings: &TrainSettings, init: Network) -> Result<TrainResult> {
    init.check_compatible(data)?;
    let settings = TrainSettings { width: init.width().max(1), restarts: 1, ..settings.clone() };
    settings.validate()?;
    let lr = settings.learning_rate.unwrap_or_else(|| default_learning_rate(data, &settings));
    let start = init.objective(data, settings.beta);
    let outcome = run(data, &settings, lr, init.clone(), &mut |_, _| {});
    // Guard against non-finite arithmetic: never return something worse than the start.
    let (network, objective) = if outcome.objective <= start { (outcome.network, outcome.objective) } else { (init, start) };
    Ok(TrainResult { network, objective, best_restart: 0, restart_objectives: vec![objective], loss_curve: outcome.curve, learning_rate: lr })
}

/// Largest singular value of `x`, by power iteration on `X'X` (deterministic start; the entries
/// of `X v` are [`lane_dot`]s of the rows, those of `X' (X v)` sums in sample order).
fn spectral_norm(x: &DMatrix<f64>) -> f64 {
    let (n, d) = x.shape();
    if d == 0 || n == 0 {
        return 0.0;
    }
    let mut v = DVector::from_fn(d, |j, _| 1.0 + 0.1 * j as f64);
    let mut s = 0.0;
    for _ in 0..100 {
        let xv = DVector::from_fn(n, |i, _| lane_dot(x.row(i).iter().copied().zip(v.iter().copied())));
        let w = DVector::from_fn(d, |j, _| x.column(j).iter().zip(xv.iter()).fold(0.0, |a, (b, c)| a + b * c));
        let nw = w.dot(&w).sqrt();
        if nw == 0.0 || !nw.is_finite() {
            return s;
        }
        let nv = v.dot(&v).sqrt();
        s = (nw / nv).sqrt();
        v = w / nw;
    }
    s
}

/// The default initial learning rate for `optimizer` (module docs).
pub fn default_learning_rate(data: &Dataset, settings: &TrainSettings) -> f64 {
    match settings.optimizer {
        Optimizer::Adam => 0.02,
        Optimizer::Momentum => {
            let s = spectral_norm(&data.x);
            let lr = 1.0 / (s * s + settings.beta);
            if lr.is_finite() && lr > 0.0 {
                lr
            } else {
                1e-3
            }
        }
    }
}

struct RunOutcome {
    network: Network,
    objective: f64,
    curve: Vec<f64>,
}

/// Train and report progress to `progress` (called every 100 iterations and at the end of each
/// restart). See the module docs.
pub fn train_with_progress(data: &Dataset, settings: &TrainSettings, progress: &mut dyn FnMut(Progress)) -> Result<TrainResult> {
    settings.validate()?;
    data.validate()?;
    if data.n() == 0 || data.d() == 0 || data.c() == 0 {
        return Err(Error::InvalidArgument(format!(
            "cannot train on data `{}` with n = {}, d = {}, c = {}",
            data.source,
            data.n(),
            data.d(),
            data.c()
        )));
    }
    const MAX_ENTRIES: usize = 1 << 28;
    let sizes = [data.n().checked_mul(settings.width), (data.d() + data.c()).checked_mul(settings.width)];
    if sizes.iter().any(|s| s.map_or(true, |s| s > MAX_ENTRIES)) {
        return Err(Error::TooLarge(format!(
            "width {} on n = {}, d = {}, c = {} needs more than {MAX_ENTRIES} entries per matrix",
            settings.width,
            data.n(),
            data.d(),
            data.c()
        )));
    }
    let lr = settings.learning_rate.unwrap_or_else(|| default_learning_rate(data, settings));
    let total = settings.restarts.saturating_mul(settings.iterations);
    let mut best: Option<(usize, RunOutcome)> = None;
    let mut restart_objectives = Vec::with_capacity(settings.restarts);
    for r in 0..settings.restarts {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rng.set_stream(r as u64);
        let init = initial_network(&mut rng, data.d(), data.c(), settings.width);
        let best_so_far = best.as_ref().map_or(f64::INFINITY, |(_, o)| o.objective);
        let outcome = run(data, settings, lr, init, &mut |it, cur| {
            progress(Progress { restart: r, iteration: it, done: r.saturating_mul(settings.iterations).saturating_add(it), total, best: best_so_far.min(cur) })
        });
        restart_objectives.push(outcome.objective);
        if best.as_ref().map_or(true, |(_, b)| outcome.objective < b.objective) {
            best = Some((r, outcome));
        }
        let b = best.as_ref().map_or(f64::INFINITY, |(_, o)| o.objective);
        progress(Progress { restart: r, iteration: settings.iterations, done: (r + 1).saturating_mul(settings.iterations), total, best: b });
    }
    let (best_restart, outcome) = best.ok_or_else(|| Error::InvalidArgument("no restarts".into()))?;
    Ok(TrainResult {
        network: outcome.network,
        objective: outcome.objective,
        best_restart,
        restart_objectives,
        loss_curve: outcome.curve,
        learning_rate: lr,
    })
}

/// He-scaled Gaussian initialisation (module docs).
fn initial_network(rng: &mut ChaCha8Rng, d: usize, c: usize, m: usize) -> Network {
    let su = (2.0 / d as f64).sqrt();
    let sv = (1.0 / m as f64).sqrt();
    // drawn row by row
    let u = DMatrix::from_row_iterator(d, m, (0..d * m).map(|_| su * rng.sample::<f64, _>(StandardNormal)));
    let v = DMatrix::from_row_iterator(c, m, (0..c * m).map(|_| sv * rng.sample::<f64, _>(StandardNormal)));
    Network { u, v }
}

fn cosine(lr: f64, t: usize, total: usize) -> f64 {
    let floor = 1e-3;
    let frac = if total <= 1 { 0.0 } else { t as f64 / (total - 1) as f64 };
    lr * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos()))
}

/// Optimiser state for one parameter matrix.
struct Slot {
    m: DMatrix<f64>,
    v: DMatrix<f64>,
}

impl Slot {
    fn new((r, c): (usize, usize)) -> Self {
        Slot { m: DMatrix::zeros(r, c), v: DMatrix::zeros(r, c) }
    }
    fn reset(&mut self) {
        self.m.fill(0.0);
        self.v.fill(0.0);
    }
}

fn step(opt: Optimizer, w: &mut DMatrix<f64>, g: &DMatrix<f64>, s: &mut Slot, lr: f64, t: usize) {
    assert!(w.shape() == g.shape() && w.shape() == s.m.shape() && w.shape() == s.v.shape());
    match opt {
        Optimizer::Adam => {
            let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
            let t = t.min(100_000) as i32;
            let c1 = 1.0 - b1.powi(t);
            let c2 = 1.0 - b2.powi(t);
            for (((w, &g), m), v) in w.iter_mut().zip(g.iter()).zip(s.m.iter_mut()).zip(s.v.iter_mut()) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
        }
        Optimizer::Momentum => {
            // s.m holds the velocity w - w_prev.
            let mu = 0.9;
            for ((w, &g), vel) in w.iter_mut().zip(g.iter()).zip(s.m.iter_mut()) {
                *vel = mu * *vel - lr * g;
                *w += *vel;
            }
        }
    }
}

fn run(data: &Dataset, settings: &TrainSettings, lr0: f64, init: Network, progress: &mut dyn FnMut(usize, f64)) -> RunOutcome {
    let mut net = init;
    let mut su = Slot::new(net.u.shape());
    let mut sv = Slot::new(net.v.shape());
    let mut best_net = net.clone();
    let mut best_obj = f64::INFINITY;
    let mut curve = Vec::with_capacity(settings.iterations + 1);
    let mut lr_scale = 1.0;
    let mut t_opt = 0; // Adam's step counter (reset by the safeguard)
    for it in 0..settings.iterations {
        let (obj, gu, gv) = net.objective_and_gradient(data, settings.beta);
        curve.push(obj);
        if !obj.is_finite() || obj > 10.0 * best_obj.max(f64::MIN_POSITIVE) {
            // safeguard: back to the best point, smaller steps
            net = best_net.clone();
            su.reset();
            sv.reset();
            t_opt = 0;
            lr_scale *= 0.5;
            continue;
        }
        if obj < best_obj {
            best_obj = obj;
            best_net.clone_from(&net);
        }
        if gu.iter().chain(gv.iter()).all(|g| *g == 0.0) {
            break; // stationary (e.g. all neurons dead and V = 0)
        }
        t_opt += 1;
        let lr = cosine(lr0, it, settings.iterations) * lr_scale;
        step(settings.optimizer, &mut net.u, &gu, &mut su, lr, t_opt);
        step(settings.optimizer, &mut net.v, &gv, &mut sv, lr, t_opt);
        if it % 100 == 0 {
            progress(it, best_obj);
        }
    }
    let last = net.objective(data, settings.beta);
    if last.is_finite() && last < best_obj {
        best_net = net;
    }
    let mut best_net = lbfgs_polish(data, settings.beta, best_net, settings.polish);
    best_net.balance();
    let objective = best_net.objective(data, settings.beta);
    curve.push(objective);
    RunOutcome { network: best_net, objective, curve }
}

/// The weights as one vector: `U` then `V`, each row by row (the order of the weight files).
fn flatten(net: &Network) -> Vec<f64> {
    row_major(&net.u).chain(row_major(&net.v)).map(|(_, e)| e).collect()
}

/// The inverse of [`flatten`] for a network shaped like `like`.
fn unflatten(w: &[f64], like: &Network) -> Network {
    let nu = like.u.len();
    let u = DMatrix::from_row_slice(like.u.nrows(), like.u.ncols(), &w[..nu]);
    let v = DMatrix::from_row_slice(like.v.nrows(), like.v.ncols(), &w[nu..]);
    Network { u, v }
}

fn eval(data: &Dataset, beta: f64, w: &[f64], like: &Network) -> (f64, Vec<f64>) {
    let net = unflatten(w, like);
    let (obj, gu, gv) = net.objective_and_gradient(data, beta);
    (obj, row_major(&gu).chain(row_major(&gv)).map(|(_, e)| e).collect())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// L-BFGS with Armijo backtracking (module docs). Returns a network whose objective is at most
/// that of `start`.
fn lbfgs_polish(data: &Dataset, beta: f64, start: Network, iterations: usize) -> Network {
    const MEMORY: usize = 10;
    if iterations == 0 {
        return start;
    }
    let mut w = flatten(&start);
    let (mut f, mut g) = eval(data, beta, &w, &start);
    if !f.is_finite() {
        return start;
    }
    let mut hist: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = std::collections::VecDeque::new();
    for _ in 0..iterations {
        let gnorm = dot(&g, &g).sqrt();
        if gnorm == 0.0 || !gnorm.is_finite() {
            break;
        }
        // two-loop recursion: p = -H g
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, y, rho) in hist.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        let gamma = hist.back().map_or(1.0 / gnorm, |(s, y, _)| dot(s, y) / dot(y, y));
        q.iter_mut().for_each(|qi| *qi *= gamma);
        for ((s, y, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut p: Vec<f64> = q.iter().map(|x| -x).collect();
        let mut slope = dot(&g, &p);
        if slope >= 0.0 || !slope.is_finite() {
            hist.clear();
            p = g.iter().map(|x| -x / gnorm).collect();
            slope = -gnorm;
        }
        // Armijo backtracking from t = 1
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let wn: Vec<f64> = w.iter().zip(&p).map(|(wi, pi)| wi + t * pi).collect();
            let (fn_, gn) = eval(data, beta, &wn, &start);
            if fn_.is_finite() && fn_ <= f + 1e-4 * t * slope {
                accepted = Some((wn, fn_, gn));
                break;
            }
            t *= 0.5;
        }
        let Some((wn, fn_, gn)) = accepted else {
            if hist.is_empty() {
                break; // not even a steepest-descent step decreases L
            }
            hist.clear();
            continue;
        };
        let s: Vec<f64> = wn.iter().zip(&w).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() && sy.is_finite() {
            if hist.len() == MEMORY {
                hist.pop_front();
            }
            hist.push_back((s, y, 1.0 / sy));
        }
        let done = f - fn_ <= 1e-15 * f.abs().max(1e-300);
        w = wn;
        f = fn_;
        g = gn;
        if done && hist.is_empty() {
            break;
        }
    }
    unflatten(&w, &start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth;

    #[test]
    fn deterministic_and_restart_independent() {
        let data = synth::reference_1d();
        let s = TrainSettings { width: 4, restarts: 3, iterations: 300, ..Default::default() };
        let a = train(&data, &s).unwrap();
        let b = train(&data, &s).unwrap();
        assert_eq!(a.restart_objectives, b.restart_objectives);
        assert_eq!(a.network, b.network);
        // restart r does not depend on how many restarts precede or follow it
        let s2 = TrainSettings { restarts: 2, ..s.clone() };
        assert_eq!(train(&data, &s2).unwrap().restart_objectives[..], a.restart_objectives[..2]);
        // the reported objective is the network's objective
        assert!((a.network.objective(&data, s.beta) - a.objective).abs() < 1e-12);
        assert_eq!(a.objective, a.restart_objectives.iter().copied().fold(f64::INFINITY, f64::min));
        assert_eq!(*a.loss_curve.last().unwrap(), a.objective);
    }

    #[test]
    fn polish_never_increases_the_objective() {
        let data = synth::reference_1d();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..5 {
            let start = initial_network(&mut rng, 2, 1, 6);
            let before = start.objective(&data, 0.1);
            let after = lbfgs_polish(&data, 0.1, start, 200).objective(&data, 0.1);
            assert!(after <= before, "{after} > {before}");
        }
    }

    #[test]
    fn rejects_bad_settings() {
        let data = synth::reference_1d();
        for s in [
            TrainSettings { width: 0, ..Default::default() },
            TrainSettings { restarts: 0, ..Default::default() },
            TrainSettings { beta: -1.0, ..Default::default() },
            TrainSettings { beta: f64::NAN, ..Default::default() },
            TrainSettings { learning_rate: Some(0.0), ..Default::default() },
        ] {
            assert!(matches!(train(&data, &s), Err(Error::InvalidArgument(_))), "{s:?}");
        }
        let huge = TrainSettings { width: usize::MAX / 2, ..Default::default() };
        assert!(matches!(train(&data, &huge), Err(Error::TooLarge(_))));
    }

    #[test]
    fn momentum_decreases_the_objective() {
        let data = synth::reference_1d();
        let s = TrainSettings { width: 8, restarts: 2, iterations: 2000, optimizer: Optimizer::Momentum, ..Default::default() };
        let r = train(&data, &s).unwrap();
        assert!(r.objective < r.loss_curve[0], "{} vs {}", r.objective, r.loss_curve[0]);
        assert!(r.objective.is_finite());
    }
}
