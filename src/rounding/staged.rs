//! Staged rounding: everything the relaxation knows, then a local polish.
//!
//! Input: the (near-)optimal lifted matrix `Lambda = sum_k mu_k w_k w_k'` (eigenpairs, positive
//! part, `mu_k > 1e-12 max mu`) of order `2n + d + c`, the **training** data and `beta`. Every
//! choice below compares [`crate::network::Network::objective`] on the training data; nothing else
//! is read, so the result cannot depend on any test data.
//!
//! Stages (each reported, so the user sees what each step bought):
//! 1. **sampled**: networks read directly off `Lambda`, without any fitting:
//!    * the eigen read-offs `u_k = sqrt(mu_k) w_k[U]`, `v_k = sqrt(mu_k) w_k[V]` of the top
//!      `r = 1, 2, 4, ..., all` components ([`super::eigen::eigen_networks`]);
//!    * one Gaussian network per repetition: `K` samples `xi = L g` (`L L' = Lambda`, `g ~ N(0, I)`,
//!      ChaCha8 seeded with the rounding seed, stream 1), each oriented so that its A and B parts
//!      sum to `>= 0` (as for a true lifted neuron), as neurons `(xi_U, xi_V) / sqrt(K)`, whose
//!      lift has expectation `Lambda`.
//!    The stage value is the smallest of their objectives.
//! 2. **refitted**: candidate first-layer directions, each with both signs, and the exact convex
//!    refit of the second layer ([`super::refit`], group lasso) on each candidate set:
//!    * every Gaussian repetition's directions (the U parts of `L g`, stream 0 of the seed, as in
//!      [`super::gaussian`]);
//!    * the U parts of the leading eigenvectors (all kept components, at most `K`), both signs;
//!    * the union of the first Gaussian repetition's and the eigen directions.
//!    The stage value is the smallest refitted objective.
//! 2b. **C-ReLU refit** (scalar output only, [`StagedSettings::crelu`]): the exact convex
//!    C-ReLU program restricted to the distinct activation patterns `1[X u >= 0]` of all the
//!    candidate directions of stage 2 ([`super::crelu_refit`]); it also moves each neuron's
//!    direction inside its pattern cone, so it is at most the group-lasso refit on the same
//!    directions (to solver accuracy). Its network competes with the group-lasso refits (it is
//!    one more refitted candidate, and can be polished); its value is reported on its own
//!    ([`Stages::crelu`]). It is optional: if it hits the memory limit or its solver fails, the
//!    rounding continues without it and says why ([`Stages::crelu_skipped`]).
//! 3. **polished**: the best [`StagedSettings::polish_candidates`] refitted networks (distinct
//!    objectives) are each used as the start of one run of the local trainer
//!    ([`crate::train::train_from`]: Adam with the budget below, then L-BFGS, then balancing),
//!    which never increases the objective. The stage value is the smallest polished objective.
//!
//! The returned network is the best one over all stages, so the returned objective is the smallest
//! of the stage values: an honest upper bound on `p*`.
//!
//! Defaults ([`StagedSettings`]): eigen candidates on; 3 polished candidates; Adam 1 000
//! iterations at learning rate 0.005 (a quarter of the trainer's default, as the start is already
//! good), L-BFGS 500 iterations. Cost of the polish: `O(iterations * n * m * (d + c))` per
//! candidate, seconds for the data sets of docs/reproduction.md.

use super::crelu_refit::crelu_refit;
use super::gaussian::{sample_directions, Factor, GaussianRounding};
use super::refit::{refit, Refit, RefitSettings};
use crate::data::Dataset;
use crate::error::Result;
use crate::lift::LiftBlocks;
use crate::network::Network;
use crate::train::{train_from, Optimizer, TrainSettings};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Settings of the stages after the Gaussian refit (defaults in the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagedSettings {
    /// Add the leading eigenvectors' directions (and the eigen read-offs) as candidates (default true).
    pub eigen: bool,
    /// Refitted networks polished by local training (default 3; 0 = no polish).
    pub polish_candidates: usize,
    /// Adam iterations of each polish run (default 1 000).
    pub polish_iterations: usize,
    /// L-BFGS iterations after Adam (default 500).
    pub polish_lbfgs: usize,
    /// Adam learning rate of the polish (default 0.005).
    pub polish_learning_rate: f64,
    /// For scalar output: also solve C-ReLU on the candidates' activation patterns (default true).
    #[serde(default = "default_true")]
    pub crelu: bool,
    /// Cap on the distinct patterns of the C-ReLU refit (default 2 000; the first ones in
    /// candidate order are kept).
    #[serde(default = "default_max_patterns")]
    pub crelu_max_patterns: usize,
    /// Wall-clock budget of the whole rounding in seconds (default none). The first Gaussian
    /// refit always runs (its solver gets the budget as its time limit); the further refits, the
    /// C-ReLU refit and each polish run start only while the budget lasts, and what was skipped
    /// is listed in [`Stages::skipped_for_time`].
    #[serde(default)]
    pub time_budget_seconds: Option<f64>,
}

fn default_true() -> bool {
    true
}

fn default_max_patterns() -> usize {
    super::crelu_refit::DEFAULT_MAX_PATTERNS
}

impl Default for StagedSettings {
    fn default() -> Self {
        Self { eigen: true, polish_candidates: 3, polish_iterations: 1_000, polish_lbfgs: 500, polish_learning_rate: 0.005, crelu: true, crelu_max_patterns: super::crelu_refit::DEFAULT_MAX_PATTERNS, time_budget_seconds: None }
    }
}

/// One refitted candidate and what the polish made of it.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Where its directions came from (`gaussian 0`, `eigen`, `gaussian 0 + eigen`, ...).
    pub source: String,
    /// Directions passed to the refit.
    pub directions: usize,
    /// Training objective after the refit.
    pub refitted: f64,
    /// Training objective after the polish (`None` when not polished).
    pub polished: Option<f64>,
}

/// What the C-ReLU refit (stage 2b) did.
#[derive(Clone, Debug, Serialize)]
pub struct CreluStage {
    /// Training objective of its network.
    pub objective: f64,
    /// Distinct patterns the program was solved on.
    pub patterns: usize,
    /// Distinct patterns of the candidates before the cap.
    pub patterns_found: usize,
    /// Seconds spent.
    pub seconds: f64,
}

/// The stage values (training objectives) of a staged rounding.
#[derive(Clone, Debug, Serialize)]
pub struct Stages {
    /// Best network read off `Lambda` without fitting (module docs, stage 1).
    pub sampled: f64,
    /// Best group-lasso refitted network (stage 2).
    pub refitted: f64,
    /// The C-ReLU refit on the candidates' patterns (stage 2b; `None` for vector output or when
    /// turned off).
    pub crelu: Option<CreluStage>,
    /// Why the C-ReLU refit did not run although it was on and the output is scalar (memory
    /// limit, solver failure, no active direction); `None` otherwise.
    pub crelu_skipped: Option<String>,
    /// Best polished network (stage 3); `None` when the polish is off.
    pub polished: Option<f64>,
    /// Every refitted candidate, best first.
    pub candidates: Vec<Candidate>,
    /// Seconds spent in the polish.
    pub polish_seconds: f64,
    /// Stages skipped because [`StagedSettings::time_budget_seconds`] ran out (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_for_time: Vec<String>,
}

/// Outcome of [`staged_rounding`].
#[derive(Clone, Debug)]
pub struct StagedOutcome {
    /// The best network over all stages.
    pub network: Network,
    /// Its training objective (the minimum of the stage values).
    pub objective: f64,
    /// The stage values.
    pub stages: Stages,
    /// Gaussian samples drawn for the refits (all repetitions).
    pub samples_drawn: usize,
    /// Training objective of each Gaussian repetition's refit.
    pub repetition_objectives: Vec<f64>,
    /// Distinct columns of the best refit.
    pub distinct_columns: usize,
}

/// The columns of `parts` side by side (every part has `rows` rows).
fn side_by_side(rows: usize, parts: &[&DMatrix<f64>]) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(rows, parts.iter().map(|p| p.ncols()).sum());
    let mut at = 0;
    for p in parts {
        out.columns_mut(at, p.ncols()).copy_from(*p);
        at += p.ncols();
    }
    out
}

/// Positive eigenpairs of the symmetrised `lambda`, in the eigensolver's order, above
/// `1e-12 * max`.
fn positive_eigen(lambda: &DMatrix<f64>) -> (Vec<f64>, DMatrix<f64>) {
    let sym = (lambda + lambda.transpose()) * 0.5;
    let hi = sym.norm() + 1.0;
    let eig = crate::linalg::sym_eigen(&sym, crate::linalg::EigenRange::Values { lo: 0.0, hi })
        .unwrap_or_else(|_| crate::linalg::SymEigen { values: Vec::new(), vectors: DMatrix::zeros(sym.nrows(), 0) });
    let max = eig.values.iter().cloned().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..eig.values.len()).filter(|&i| eig.values[i] > 0.0 && eig.values[i] > 1e-12 * max).collect();
    let vals = keep.iter().map(|&i| eig.values[i]).collect();
    let vecs = DMatrix::from_fn(sym.nrows(), keep.len(), |r, j| eig.vectors[(r, keep[j])]);
    (vals, vecs)
}

/// Staged rounding of `lambda` on the training data `data` (module docs).
pub fn staged_rounding(lambda: &DMatrix<f64>, data: &Dataset, beta: f64, g: &GaussianRounding, rs: &RefitSettings, s: &StagedSettings) -> Result<StagedOutcome> {
    g.validate()?;
    if !(s.polish_learning_rate.is_finite() && s.polish_learning_rate > 0.0) {
        return Err(crate::error::Error::InvalidArgument(format!("polish learning rate must be finite and > 0, found {}", s.polish_learning_rate)));
    }
    if let Some(b) = s.time_budget_seconds {
        if !(b.is_finite() && b > 0.0) {
            return Err(crate::error::Error::InvalidArgument(format!("rounding time budget must be a positive number of seconds, found {b}")));
        }
    }
    let clock = Instant::now();
    let left = || s.time_budget_seconds.map(|b| b - clock.elapsed().as_secs_f64());
    let over = || left().is_some_and(|l| l <= 0.0);
    // Each refit's solver gets what is left of the budget as its time limit.
    let budgeted = || {
        let mut r = rs.clone();
        if let Some(l) = left() {
            let l = l.max(1.0);
            r.solve.time_limit_seconds = Some(r.solve.time_limit_seconds.map_or(l, |t| t.min(l)));
        }
        r
    };
    // A refit after the first that its solver stopped at the budget's time limit is skipped
    // (`None`, reported), not an error.
    let optional = |res: Result<Refit>, label: &str, skipped: &mut Vec<String>| -> Result<Option<Refit>> {
        match res {
            Ok(rf) => Ok(Some(rf)),
            Err(crate::error::Error::Backend { .. }) if s.time_budget_seconds.is_some() => {
                skipped.push(format!("{label} (stopped at the time budget)"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    };
    let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
    let (vals, vecs) = positive_eigen(lambda);
    let r = vals.len();
    let sq: Vec<f64> = vals.iter().map(|v| v.sqrt()).collect();
    let lu = DMatrix::from_fn(blocks.d, r, |i, j| vecs[(blocks.u() + i, j)] * sq[j]);
    let lv = DMatrix::from_fn(blocks.c, r, |i, j| vecs[(blocks.v() + i, j)] * sq[j]);
    let orient: Vec<f64> = (0..r).map(|j| (0..2 * blocks.n).map(|row| vecs[(row, j)]).sum::<f64>() * sq[j]).collect();
    let rms_u = lu.iter().map(|e| e * e).sum::<f64>().sqrt();
    let f = Factor { lu: lu.clone(), orient: orient.clone(), rms_u };
    let k = g.samples_for(blocks);

    // Stage 1: networks read off Lambda.
    let mut best_raw: Option<(Network, f64)> = None;
    let mut consider_raw = |net: Network| {
        let o = net.objective(data, beta);
        if o.is_finite() && best_raw.as_ref().map_or(true, |(_, b)| o < *b) {
            best_raw = Some((net, o));
        }
    };
    if s.eigen {
        for net in super::eigen::eigen_networks(lambda, blocks) {
            consider_raw(net);
        }
    }
    let mut raw_rng = ChaCha8Rng::seed_from_u64(g.seed);
    raw_rng.set_stream(1);
    let scale = 1.0 / (k as f64).sqrt();
    for _ in 0..g.repetitions {
        let mut u = DMatrix::zeros(blocks.d, k);
        let mut v = DMatrix::zeros(blocks.c, k);
        let mut gv = vec![0.0; r];
        for col in 0..k {
            gv.iter_mut().for_each(|e| *e = StandardNormal.sample(&mut raw_rng));
            let o: f64 = orient.iter().zip(&gv).map(|(a, b)| a * b).sum();
            let sign = if o < 0.0 { -scale } else { scale };
            for i in 0..blocks.d {
                u[(i, col)] = sign * (0..r).map(|j| lu[(i, j)] * gv[j]).sum::<f64>();
            }
            for i in 0..blocks.c {
                v[(i, col)] = sign * (0..r).map(|j| lv[(i, j)] * gv[j]).sum::<f64>();
            }
        }
        consider_raw(Network { u, v });
    }

    // Stage 2: candidate direction sets, each refitted exactly. The directions are drawn first
    // (the same stream and order as one repetition after the other), then the three kinds of
    // refit run side by side on their own threads: they are independent, each is deterministic,
    // and the results are collected in the fixed order below, so the outcome does not depend on
    // the threads (on the iris training half the refits took 0.33 s one after the other).
    let mut rng = ChaCha8Rng::seed_from_u64(g.seed);
    let gaussian_dirs: Vec<DMatrix<f64>> = (0..g.repetitions).map(|_| sample_directions(&f, k, g.both_signs, &mut rng)).collect();
    let eig_dirs = (s.eigen && r > 0).then(|| {
        // Leading eigenvectors first (largest mu), at most K of them, both signs.
        let mut order: Vec<usize> = (0..r).collect();
        order.sort_by(|&a, &b| vals[b].total_cmp(&vals[a]));
        order.truncate(k);
        let mut cols: Vec<Vec<f64>> = Vec::new();
        for &j in &order {
            let u: Vec<f64> = (0..blocks.d).map(|i| vecs[(blocks.u() + i, j)]).collect();
            if u.iter().map(|e| e * e).sum::<f64>().sqrt() > 1e-12 {
                cols.push(u.iter().map(|e| -e).collect());
                cols.push(u);
            }
        }
        DMatrix::from_fn(blocks.d, cols.len(), |i, j| cols[j][i])
    });
    let union = eig_dirs.as_ref().zip(gaussian_dirs.first()).map(|(e, fd)| side_by_side(blocks.d, &[fd, e]));
    let mut skipped_for_time: Vec<String> = Vec::new();
    // The eigen and union refits start with the first Gaussian one, if budget is left.
    let late = over();
    let eigen_late = eig_dirs.is_some() && late;
    let union_late = union.is_some() && late;
    // The Gaussian repetitions, one after the other (only the first is required), and the index
    // of the first one skipped for time.
    let gaussian_job = || -> (Vec<Result<Refit>>, Option<usize>) {
        let mut out = Vec::new();
        for (rep, dirs) in gaussian_dirs.iter().enumerate() {
            if rep > 0 && over() {
                return (out, Some(rep));
            }
            let res = refit(data, dirs.as_view(), beta, &budgeted());
            let failed = res.is_err();
            out.push(res);
            if failed {
                break;
            }
        }
        (out, None)
    };
    let join = |h: std::thread::ScopedJoinHandle<'_, Result<Refit>>| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
    let ((gaussian_results, gaussian_skipped), eigen_result, union_result) = std::thread::scope(|sc| {
        let eigen = eig_dirs.as_ref().filter(|_| !eigen_late).map(|d| sc.spawn(move || refit(data, d.as_view(), beta, &budgeted())));
        let both = union.as_ref().filter(|_| !union_late).map(|d| sc.spawn(move || refit(data, d.as_view(), beta, &budgeted())));
        let gaussian = gaussian_job();
        (gaussian, eigen.map(join), both.map(join))
    });
    let mut refits: Vec<(String, Refit)> = Vec::new();
    let mut repetition_objectives = Vec::with_capacity(g.repetitions);
    for (rep, res) in gaussian_results.into_iter().enumerate() {
        // Only the first refit is required.
        let rf = if rep == 0 { res? } else {
            match optional(res, &format!("gaussian refit {rep}"), &mut skipped_for_time)? {
                Some(rf) => rf,
                None => break,
            }
        };
        repetition_objectives.push(rf.objective);
        refits.push((format!("gaussian {rep}"), rf));
    }
    if let Some(rep) = gaussian_skipped {
        skipped_for_time.push(format!("gaussian refits {rep}..{}", g.repetitions));
    }
    if eigen_late {
        skipped_for_time.push("eigen refits".into());
    }
    if let Some(res) = eigen_result {
        if let Some(rf) = optional(res, "eigen refits", &mut skipped_for_time)? {
            refits.push(("eigen".into(), rf));
        }
    }
    if union_late {
        skipped_for_time.push("gaussian 0 + eigen refit".into());
    }
    if let Some(res) = union_result {
        if let Some(rf) = optional(res, "gaussian 0 + eigen refit", &mut skipped_for_time)? {
            refits.push(("gaussian 0 + eigen".into(), rf));
        }
    }
    let mut all_dirs: Vec<DMatrix<f64>> = gaussian_dirs.into_iter().take(repetition_objectives.len()).collect();
    all_dirs.extend(eig_dirs.filter(|_| !eigen_late));
    let refitted = refits.iter().map(|(_, rf)| rf.objective).fold(f64::INFINITY, f64::min);
    // Stage 2b: C-ReLU on the candidates' patterns (scalar output).
    let mut crelu_stage = None;
    let mut crelu_skipped: Option<String> = None;
    if s.crelu && blocks.c == 1 && over() {
        skipped_for_time.push("c-relu refit".into());
        crelu_skipped = Some("the rounding's time budget ran out".into());
    } else if s.crelu && blocks.c == 1 {
        let t = Instant::now();
        let parts: Vec<&DMatrix<f64>> = all_dirs.iter().collect();
        let dirs = side_by_side(blocks.d, &parts);
        // An optional extra candidate: when it cannot run (memory limit, solver failure) the
        // rounding goes on without it and the reason is reported in `Stages::crelu_skipped`.
        match crelu_refit(data, dirs.as_view(), beta, &budgeted(), s.crelu_max_patterns) {
            Ok(Some(cr)) => {
                crelu_stage = Some(CreluStage { objective: cr.refit.objective, patterns: cr.patterns, patterns_found: cr.patterns_found, seconds: t.elapsed().as_secs_f64() });
                refits.push((format!("c-relu on {} candidate patterns", cr.patterns), cr.refit));
            }
            Ok(None) => crelu_skipped = Some("no candidate direction is active on any training row".into()),
            Err(e @ (crate::error::Error::TooLarge(_) | crate::error::Error::Backend { .. })) => crelu_skipped = Some(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    refits.sort_by(|a, b| a.1.objective.total_cmp(&b.1.objective));
    let (mut best_net, mut best_obj) = (refits[0].1.network.clone(), refits[0].1.objective);
    let distinct_columns = refits[0].1.distinct_columns;
    let sampled = best_raw.as_ref().map_or(f64::INFINITY, |(_, o)| *o);
    if let Some((net, o)) = best_raw {
        if o < best_obj {
            best_net = net;
            best_obj = o;
        }
    }

    // Stage 3: polish the best few refitted networks (distinct objectives).
    let t0 = Instant::now();
    let mut candidates: Vec<Candidate> =
        refits.iter().map(|(src, rf)| Candidate { source: src.clone(), directions: rf.directions, refitted: rf.objective, polished: None }).collect();
    let mut polished_best: Option<f64> = None;
    if s.polish_candidates > 0 {
        let ts = TrainSettings {
            beta,
            restarts: 1,
            iterations: s.polish_iterations,
            learning_rate: Some(s.polish_learning_rate),
            optimizer: Optimizer::Adam,
            seed: g.seed,
            polish: s.polish_lbfgs,
            ..TrainSettings::default()
        };
        // The candidates: the best refits of distinct objectives. Their polish runs are
        // independent and deterministic, so they run side by side on their own threads and are
        // collected in this order.
        let mut chosen: Vec<usize> = Vec::new();
        for (idx, (_, rf)) in refits.iter().enumerate() {
            if chosen.len() >= s.polish_candidates {
                break;
            }
            if !chosen.iter().any(|&j| (refits[j].1.objective - rf.objective).abs() <= 1e-12 * (1.0 + refits[j].1.objective.abs())) {
                chosen.push(idx);
            }
        }
        if over() {
            skipped_for_time.push(format!("polish of {} candidate(s)", s.polish_candidates));
            chosen.clear();
        }
        let outcomes: Vec<Result<crate::train::TrainResult>> = std::thread::scope(|sc| {
            let handles: Vec<_> = chosen.iter().map(|&idx| {
                let (ts, start) = (&ts, refits[idx].1.network.clone());
                sc.spawn(move || train_from(data, ts, start))
            }).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
        for (&idx, out) in chosen.iter().zip(outcomes) {
            let out = out?;
            candidates[idx].polished = Some(out.objective);
            polished_best = Some(polished_best.map_or(out.objective, |p: f64| p.min(out.objective)));
            if out.objective < best_obj {
                best_obj = out.objective;
                best_net = out.network;
            }
        }
    }
    let polish_seconds = t0.elapsed().as_secs_f64();
    Ok(StagedOutcome {
        objective: best_net.objective(data, beta),
        network: best_net,
        stages: Stages { sampled, refitted, crelu: crelu_stage, crelu_skipped, polished: polished_best, candidates, polish_seconds, skipped_for_time },
        samples_drawn: k * g.repetitions,
        repetition_objectives,
        distinct_columns,
    })
}
