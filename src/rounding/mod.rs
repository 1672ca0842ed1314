//! Rounding a lifted (SDP) solution `Lambda` back to a real two-layer network (docs/background.md, section 3).
//!
//! Input: a PSD matrix `Lambda` of order `2n + d + c` in the block order of [`crate::lift`]
//! (A, B, U, V), the **training** data and `beta`. Output: a [`RoundingResult`] whose
//! `objective` is [`Network::objective`] of the returned network on the training data, so it is
//! an honest upper bound on `p*`. Test data never enters.
//!
//! Methods ([`Rounding`]):
//! * [`Rounding::Gaussian`] (primary): staged ([`staged`]): networks read off `Lambda`
//!   (sampled), Gaussian samples of the lifted neuron and the leading eigenvectors, their U parts
//!   (both signs) as first-layer directions, an exact convex refit of the second layer (group
//!   lasso, refitted; for scalar output also C-ReLU on the candidates' activation patterns,
//!   [`crelu_refit`]), then a local polish of the best few by the trainer (polished); see
//!   [`gaussian`], [`refit`] and [`staged`]. The stage values are in [`RoundingResult::stages`].
//! * [`Rounding::Tos`] (comparison, the reference code's): Davis-Yin three-operator splitting on
//!   the factorisation `W W' ~ Lambda` with the ReLU constraints; see [`tos`].
//!
//! Formulas, defaults and the tests are described in docs/rounding.md.

pub mod crelu_refit;
pub mod eigen;
pub mod gaussian;
pub mod group_lasso_apg;
pub mod refit;
pub mod staged;
pub mod tos;

pub use gaussian::{gaussian_rounding, GaussianRounding};
pub use refit::{group_lasso, group_lasso_value, refit, Refit, RefitSettings};
pub use crelu_refit::{crelu_refit, CreluRefit};
pub use staged::{staged_rounding, CreluStage, Stages, StagedSettings};
pub use tos::{tos_rounding, TosRounding};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::lift::{lifted_objective, LiftBlocks};
use crate::network::Network;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The rounding methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Randomized Gaussian rounding with an exact group-lasso refit (default).
    Gaussian,
    /// Three-operator-splitting factorisation (the reference code's rounding).
    Tos,
}

impl Rounding {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::Gaussian => "gaussian",
            Rounding::Tos => "tos",
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of [`round`]: the method and each method's own settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundingSettings {
    /// Which method runs (default Gaussian).
    pub method: Rounding,
    /// Gaussian rounding settings.
    pub gaussian: GaussianRounding,
    /// Settings of the group-lasso refit (used by the Gaussian method).
    pub refit: RefitSettings,
    /// Three-operator-splitting settings.
    pub tos: TosRounding,
    /// Eigen candidates and polish of the Gaussian method (default: eigen on, 3 polished).
    pub staged: StagedSettings,
}

impl Default for RoundingSettings {
    fn default() -> Self {
        Self { method: Rounding::Gaussian, gaussian: GaussianRounding::default(), refit: RefitSettings::default(), tos: TosRounding::default(), staged: StagedSettings::default() }
    }
}

/// A rounded network and how it was obtained.
#[derive(Clone, Debug, Serialize)]
pub struct RoundingResult {
    /// The method that ran.
    pub method: Rounding,
    /// The network (d x m first layer, c x m second layer).
    pub network: Network,
    /// [`Network::objective`] of `network` on the training data: an upper bound on `p*`.
    pub objective: f64,
    /// The lifted objective of the input `Lambda` (the SDP value when `Lambda` is its optimum).
    pub lifted_objective: f64,
    /// Gaussian: oriented, non-negligible sampled directions passed to the best refit; TOS: the rank R.
    pub samples_used: usize,
    /// Gaussian: samples drawn over all repetitions; TOS: the rank R.
    pub samples_drawn: usize,
    /// Gaussian: distinct nonzero activation columns in the best refit; TOS: R.
    pub distinct_columns: usize,
    /// Hidden width of `network`.
    pub width: usize,
    /// Gaussian: training objective of every repetition; TOS: [best, last iterate].
    pub repetition_objectives: Vec<f64>,
    /// Seed used.
    pub seed: u64,
    /// TOS only: `||W W' - Lambda||_F / ||Lambda||_F` at the last iterate.
    pub factorisation_residual: Option<f64>,
    /// Gaussian only: the training objective after each stage (sampled, refitted, polished).
    pub stages: Option<Stages>,
}

/// Checks `lambda` against the data: square of order `2n + d + c`, finite; `beta` finite, `>= 0`.
pub fn validate_input(lambda: &DMatrix<f64>, data: &Dataset, beta: f64) -> Result<LiftBlocks> {
    let blocks = LiftBlocks { n: data.n(), d: data.d(), c: data.c() };
    let p = blocks.order();
    if lambda.nrows() != p || lambda.ncols() != p {
        return Err(Error::InvalidArgument(format!(
            "rounding: Lambda must be {p} x {p} (2n + d + c with n = {}, d = {}, c = {}), found {} x {}",
            blocks.n, blocks.d, blocks.c, lambda.nrows(), lambda.ncols()
        )));
    }
    if let Some(i) = lambda.iter().position(|e| !e.is_finite()) {
        return Err(Error::InvalidArgument(format!("rounding: Lambda entry {} (column-major) is not finite", i)));
    }
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a finite number >= 0, found {beta}")));
    }
    Ok(blocks)
}

/// Rounds the lifted solution `lambda` to a network on the training data `data`.
pub fn round(lambda: &DMatrix<f64>, data: &Dataset, beta: f64, settings: &RoundingSettings) -> Result<RoundingResult> {
    let blocks = validate_input(lambda, data, beta)?;
    let lifted = lifted_objective(lambda, blocks, data.y.as_view(), beta);
    match settings.method {
        Rounding::Gaussian => {
            let out = staged_rounding(lambda, data, beta, &settings.gaussian, &settings.refit, &settings.staged)?;
            let used = out.stages.candidates.first().map_or(0, |c| c.directions);
            Ok(RoundingResult {
                method: Rounding::Gaussian,
                width: out.network.width(),
                objective: out.objective,
                network: out.network,
                lifted_objective: lifted,
                samples_used: used,
                samples_drawn: out.samples_drawn,
                distinct_columns: out.distinct_columns,
                repetition_objectives: out.repetition_objectives,
                seed: settings.gaussian.seed,
                factorisation_residual: None,
                stages: Some(out.stages),
            })
        }
        Rounding::Tos => {
            let out = tos_rounding(lambda, data, beta, &settings.tos)?;
            Ok(RoundingResult {
                method: Rounding::Tos,
                width: out.network.width(),
                objective: out.objective,
                network: out.network,
                lifted_objective: lifted,
                samples_used: out.rank,
                samples_drawn: out.rank,
                distinct_columns: out.rank,
                repetition_objectives: vec![out.objective, out.final_objective],
                seed: settings.tos.seed,
                factorisation_residual: Some(out.final_residual),
                stages: None,
            })
        }
    }
}
