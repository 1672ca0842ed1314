//! Data sets: features `X` (n x d, one row per sample) and targets `Y` (n x c).
//!
//! Targets are `numeric` (regression, c = 1), `signed` (two classes as -1/+1, c = 1) or
//! `onehot` (c = number of classes, rows of the identity).

pub mod synth;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How the target column was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// Real-valued regression target, c = 1.
    Numeric,
    /// Two classes encoded -1 / +1, c = 1; accuracy by sign.
    Signed,
    /// One column per class, 1 for the class and 0 elsewhere; accuracy by argmax.
    Onehot,
}

/// Features and targets, with names for reporting.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// n x d features.
    pub x: Array2<f64>,
    /// n x c targets.
    pub y: Array2<f64>,
    /// How `y` encodes the targets.
    pub target_kind: TargetKind,
    /// d feature names.
    pub feature_names: Vec<String>,
    /// Class names (signed: [negative, positive]; onehot: one per column); empty for numeric.
    pub class_names: Vec<String>,
    /// Where the data came from (file path, generator and seed).
    pub source: String,
}

impl Dataset {
    /// A numeric-target data set from arrays, with generated names.
    pub fn from_arrays(x: Array2<f64>, y: Array2<f64>, target_kind: TargetKind, source: impl Into<String>) -> Self {
        let feature_names = (0..x.ncols()).map(|j| format!("x{j}")).collect();
        Self { x, y, target_kind, feature_names, class_names: Vec::new(), source: source.into() }
    }

    /// Number of samples.
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    /// Number of features.
    pub fn d(&self) -> usize {
        self.x.ncols()
    }

    /// Number of outputs.
    pub fn c(&self) -> usize {
        self.y.ncols()
    }
}
