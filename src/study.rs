//! One row of the classification study (docs/reproduction.md): on a (train, test) split, the SDP
//! relaxation with the staged rounding (before and after the polish), local training, and the
//! NNGP / NTK kernel ridge baselines, with the certified lower bound and wall times.
//!
//! Every choice is made on the training rows: the relaxation, the rounding's candidate selection
//! and the polish compare training objectives; local training keeps its best restart by training
//! objective; the kernel ridge is chosen on a validation split of the training rows. The test
//! rows are only used to score the finished models (tests/study.rs permutes the test labels and
//! checks that every chosen model is unchanged).
//!
//! Numbers: `lower_bound` is the certified lower bound on the training objective of every network
//! (any width) on the training rows, from the relaxation's dual with the polished network as
//! incumbent; `upper_bound` is the smallest training objective among the networks (each a
//! real network, so each an upper bound on the global optimum).

use crate::backend::{BackendKind, SolveSettings};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::formulation::Formulation;
use crate::kernels::{self, Kernel, KrrSettings};
use crate::network::Network;
use crate::pipeline::{self, PipelineSettings};
use crate::rounding::{round, RoundingSettings};
use crate::train::{train, TrainSettings};
use serde::Serialize;
use std::time::Instant;

/// Settings of [`evaluate_split`].
#[derive(Clone, Debug)]
pub struct StudySettings {
    /// Weight decay (default 0.1).
    pub beta: f64,
    /// Relaxation backend (default Clarabel).
    pub backend: BackendKind,
    /// Its settings (tolerance, time limit).
    pub solve: SolveSettings,
    /// Rounded networks polished (default 3).
    pub polish_candidates: usize,
    /// Local training: restarts, iterations, L-BFGS polish, seed (default 3, 2000, 300, 0); the
    /// width is that of the polished SDP network.
    pub train: TrainSettings,
    /// Kernel ridge settings.
    pub krr: KrrSettings,
    /// Seed of the rounding (default 0).
    pub seed: u64,
    /// Also run local training with as many restarts as fit in the SDP route's wall time
    /// (relaxation + rounding + polish), at the polished width (default false).
    pub equal_time: bool,
    /// Also run wide local training at this width (the paper's baseline uses 300) with the
    /// settings of [`StudySettings::train`]; 0 = off (default).
    pub wide_width: usize,
}

impl Default for StudySettings {
    fn default() -> Self {
        Self {
            beta: 0.1,
            backend: BackendKind::Clarabel,
            solve: SolveSettings::default(),
            polish_candidates: 3,
            train: TrainSettings { restarts: 3, iterations: 2000, polish: 300, ..Default::default() },
            krr: KrrSettings::default(),
            seed: 0,
            equal_time: false,
            wide_width: 0,
        }
    }
}

/// One method's scores.
#[derive(Clone, Debug, Serialize)]
pub struct MethodScore {
    pub method: String,
    /// Training objective (networks only).
    pub objective: Option<f64>,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Wall seconds of the method (the SDP rows include the relaxation solve).
    pub seconds: f64,
    /// Hidden width (networks) or chosen ridge (kernels).
    pub detail: String,
}

/// The outcome of [`evaluate_split`].
#[derive(Clone, Debug, Serialize)]
pub struct SplitOutcome {
    /// Rows: `sdp+round`, `sdp+round+polish`, `local training`, `nngp`, `ntk`, then with
    /// [`StudySettings::equal_time`] `local training (equal time)`, then with
    /// [`StudySettings::wide_width`] `> 0` `local training (wide)` (look rows up by name).
    pub methods: Vec<MethodScore>,
    /// Certified lower bound on the training objective (`None` if not certified).
    pub lower_bound: Option<f64>,
    /// Smallest training objective among the networks.
    pub upper_bound: f64,
    /// Best objective read off the relaxation without fitting (rounding stage 1).
    pub sampled_objective: f64,
    /// Relaxation solver status.
    pub status: String,
    /// The networks, for inspection: rounded, polished, local (the baseline restarts).
    #[serde(skip)]
    pub networks: [Network; 3],
    /// Chosen ridges (nngp, ntk).
    pub ridges: [f64; 2],
}

fn acc(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

impl MethodScore {
    /// The scores of a network with training objective `objective`.
    fn network(method: &str, net: &Network, objective: f64, train: &Dataset, test: &Dataset, seconds: f64, detail: String) -> Self {
        Self {
            method: method.into(),
            objective: Some(objective),
            train_accuracy: acc(net.accuracy(train)),
            test_accuracy: acc(net.accuracy(test)),
            seconds,
            detail,
        }
    }
}

/// Runs every method on `train` and scores it on `train` and `test` (module docs).
pub fn evaluate_split(train_set: &Dataset, test: &Dataset, s: &StudySettings) -> Result<SplitOutcome> {
    if train_set.d() != test.d() || train_set.c() != test.c() {
        return Err(Error::InvalidArgument(format!(
            "study: train has d = {}, c = {} but test has d = {}, c = {}",
            train_set.d(),
            train_set.c(),
            test.d(),
            test.c()
        )));
    }
    let t0 = Instant::now();
    let ps = PipelineSettings {
        formulation: Formulation::Sdp,
        beta: s.beta,
        backend: s.backend,
        solve: s.solve.clone(),
        seed: s.seed,
        polish_candidates: s.polish_candidates,
        // The study times the rounding itself (and compares it with a second, unbounded one).
        bound_rounding: false,
        ..Default::default()
    };
    let out = pipeline::run(train_set, &ps)?;
    let polished = out.network.clone().ok_or_else(|| Error::Degenerate(format!("study: the relaxation gave no network ({})", out.report.status)))?;
    let lambda = out.lambda.as_ref().ok_or_else(|| Error::Degenerate("study: the relaxation gave no Lambda".into()))?;
    let sdp_total = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut rs = RoundingSettings::default();
    rs.gaussian.seed = s.seed;
    rs.staged.polish_candidates = 0;
    let rounded = round(lambda, train_set, s.beta, &rs)?;
    let round_only = t1.elapsed().as_secs_f64();
    let stages = out.report.rounding.as_ref();
    let polish_obj = polished.objective(train_set, s.beta);
    let mut methods = vec![
        MethodScore::network(
            "sdp+round",
            &rounded.network,
            rounded.objective,
            train_set,
            test,
            out.report.compile_seconds + out.report.solve_seconds + round_only,
            format!("m = {}", rounded.width),
        ),
        MethodScore::network(
            "sdp+round+polish",
            &polished,
            polish_obj,
            train_set,
            test,
            sdp_total - out.report.certify_seconds.unwrap_or(0.0),
            format!("m = {}", polished.width()),
        ),
    ];
    let t2 = Instant::now();
    let ts = TrainSettings { width: polished.width().max(1), beta: s.beta, ..s.train.clone() };
    let local = train(train_set, &ts)?;
    methods.push(MethodScore::network("local training", &local.network, local.objective, train_set, test, t2.elapsed().as_secs_f64(), format!("m = {}", ts.width)));
    let mut ridges = [0.0; 2];
    for (i, kernel) in [Kernel::Nngp, Kernel::Ntk].into_iter().enumerate() {
        let t = Instant::now();
        let model = kernels::fit(kernel, train_set, &s.krr)?;
        ridges[i] = model.lambda;
        methods.push(MethodScore {
            method: kernel.name().into(),
            objective: None,
            train_accuracy: acc(model.accuracy(train_set)),
            test_accuracy: acc(model.accuracy(test)),
            seconds: t.elapsed().as_secs_f64(),
            detail: format!("ridge {:.2e}", model.lambda),
        });
    }
    let mut upper_bound = rounded.objective.min(polish_obj).min(local.objective);
    if s.equal_time {
        // Further batches of the baseline's restarts (seeds seed + 1, seed + 2, ...) until the
        // SDP route's wall time is used; the best training objective over all batches is kept.
        let budget = methods[1].seconds;
        let t = Instant::now();
        let mut best = local.clone();
        let mut restarts = ts.restarts;
        let mut batch = 0u64;
        while t.elapsed().as_secs_f64() + methods[2].seconds < budget && restarts < 100_000 {
            batch += 1;
            let more = train(train_set, &TrainSettings { seed: ts.seed.wrapping_add(batch), ..ts.clone() })?;
            restarts += ts.restarts;
            if more.objective < best.objective {
                best = more;
            }
        }
        upper_bound = upper_bound.min(best.objective);
        let seconds = t.elapsed().as_secs_f64() + methods[2].seconds;
        methods.push(MethodScore::network("local training (equal time)", &best.network, best.objective, train_set, test, seconds, format!("m = {}, {restarts} restarts", ts.width)));
    }
    if s.wide_width > 0 {
        let t = Instant::now();
        let ws = TrainSettings { width: s.wide_width, beta: s.beta, ..s.train.clone() };
        let wide = train(train_set, &ws)?;
        upper_bound = upper_bound.min(wide.objective);
        let detail = format!("m = {}, {} restarts", ws.width, ws.restarts);
        methods.push(MethodScore::network("local training (wide)", &wide.network, wide.objective, train_set, test, t.elapsed().as_secs_f64(), detail));
    }
    Ok(SplitOutcome {
        methods,
        lower_bound: out.report.lower_bound,
        upper_bound,
        sampled_objective: stages.and_then(|r| r.sampled_objective).unwrap_or(f64::NAN),
        status: out.report.status.clone(),
        networks: [rounded.network, polished, local.network],
        ridges,
    })
}
