//! Data sets: features `X` (n x d, one row per sample) and targets `Y` (n x c), both nalgebra
//! [`DMatrix<f64>`] (column-major storage; see [`crate::dense`] for the helpers that read them
//! row by row).
//!
//! Targets are `numeric` (regression, c = 1), `signed` (two classes as -1/+1, c = 1) or
//! `onehot` (c = number of classes, rows of the identity).
//!
//! Conventions:
//! - Class order is the sorted order of the class names (numerically when every name is a
//!   number, lexicographically otherwise). For `signed` targets the first class is -1 and the
//!   second +1; for `onehot` targets column k belongs to the k-th class.
//! - A first-layer bias is a column of ones named `bias` appended to `X`
//!   ([`transform::append_bias`]); standardise *before* appending it, or it is centred to zero.
//! - Named data sets live in `models/datasets/NAME.csv` ([`models_dir`], [`load_named`]).
//!
//! Submodules: [`csv`] (reading, with errors naming file, line and column), [`transform`]
//! (standardisation, bias column, seeded splits, principal components) and [`synth`] (seeded
//! generators).

pub mod csv;
pub mod synth;
pub mod transform;

use crate::error::{Error, Result};
use crate::dense::row_major;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use self::csv::{read_csv, CsvOptions, TargetColumn};

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

/// The requested encoding of a target column (what the user asks for; the result is a
/// [`TargetKind`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TargetEncoding {
    /// `numeric` when every target cell is a finite number, `onehot` otherwise.
    #[default]
    Auto,
    /// The target column as real numbers (c = 1).
    Numeric,
    /// Exactly two classes as -1 (first in sorted order) and +1 (c = 1).
    Signed,
    /// One column per class, classes in sorted order (c = number of classes).
    Onehot,
}

/// Features and targets, with names for reporting.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// n x d features (one row per sample).
    pub x: DMatrix<f64>,
    /// n x c targets (one row per sample).
    pub y: DMatrix<f64>,
    /// How `y` encodes the targets.
    pub target_kind: TargetKind,
    /// d feature names.
    pub feature_names: Vec<String>,
    /// Class names (signed: [negative, positive]; onehot: one per column); empty for numeric.
    pub class_names: Vec<String>,
    /// Where the data came from (file path, generator and seed).
    pub source: String,
}

/// Largest magnitude of a feature or target value the convex programs accept (1e30): their
/// arithmetic squares and sums these values, and beyond this scale the solvers' answers (and the
/// bounds computed from them) are not meaningful. [`Dataset::check_scale`] refuses larger data.
pub const MAX_MAGNITUDE: f64 = 1e30;

impl Dataset {
    /// One line saying how the targets were encoded: `numeric (c = 1)`, or the classes with
    /// their counts (`onehot, 3 classes: setosa (50), versicolor (50), virginica (50)`).
    pub fn target_summary(&self) -> String {
        match self.target_kind {
            TargetKind::Numeric => format!("numeric (c = {})", self.c()),
            kind => {
                let counts: Vec<usize> = match kind {
                    TargetKind::Signed => vec![
                        self.y.iter().filter(|&&v| v < 0.0).count(),
                        self.y.iter().filter(|&&v| v > 0.0).count(),
                    ],
                    _ => (0..self.y.ncols()).map(|k| self.y.column(k).iter().filter(|&&v| v > 0.5).count()).collect(),
                };
                let mut parts: Vec<String> = self.class_names.iter().zip(&counts).take(12).map(|(c, k)| format!("{c} ({k})")).collect();
                if self.class_names.len() > 12 {
                    parts.push("...".into());
                }
                let name = if kind == TargetKind::Signed { "signed (-1/+1)" } else { "onehot" };
                format!("{name}, {} classes: {}", self.class_names.len(), parts.join(", "))
            }
        }
    }

    /// Refuses non-finite values and values beyond [`MAX_MAGNITUDE`] in `x` or `y`, naming the
    /// first offending entry (rescale the data, e.g. `--standardize` for the features).
    pub fn check_scale(&self) -> Result<()> {
        let check = |m: &DMatrix<f64>, what: &str, names: &dyn Fn(usize) -> String| -> Result<()> {
            for ((i, j), v) in row_major(m) {
                if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
                    return Err(Error::InvalidArgument(format!(
                        "{what} value {v:e} in row {} ({}) is beyond the scale the programs can handle (|value| <= {MAX_MAGNITUDE:e}); \
                         rescale the data (e.g. --standardize for the features, or divide the targets by a constant)",
                        i + 1,
                        names(j)
                    )));
                }
            }
            Ok(())
        };
        check(&self.x, "feature", &|j| self.feature_names.get(j).map_or(format!("column {}", j + 1), |n| format!("feature `{n}`")))?;
        check(&self.y, "target", &|j| format!("target column {}", j + 1))
    }

    /// A numeric-target data set from arrays, with generated names.
    pub fn from_arrays(x: DMatrix<f64>, y: DMatrix<f64>, target_kind: TargetKind, source: impl Into<String>) -> Self {
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

    /// Load a named data set from `models/datasets` or a CSV file, with default CSV options
    /// (last column is the target, automatic encoding). See [`load_named`].
    pub fn load(name_or_path: &str) -> Result<Dataset> {
        load_named(name_or_path, &CsvOptions::default())
    }

    /// The rows `rows` (in that order) as a new data set with the same names.
    /// Errors if an index is out of range.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = rows.iter().find(|&&i| i >= self.n()) {
            return Err(Error::InvalidArgument(format!("row index {bad} out of range for a data set of {} rows", self.n())));
        }
        Ok(Dataset {
            x: self.x.select_rows(rows),
            y: self.y.select_rows(rows),
            target_kind: self.target_kind,
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
            source: self.source.clone(),
        })
    }

    /// Class index of every row (argmax for onehot, 0/1 for signed -1/+1); `None` for numeric.
    pub fn class_labels(&self) -> Option<Vec<usize>> {
        match self.target_kind {
            TargetKind::Numeric => None,
            TargetKind::Signed => Some(self.y.column(0).iter().map(|&t| usize::from(t > 0.0)).collect()),
            TargetKind::Onehot => Some(self.y.row_iter().map(|r| argmax(r.iter().copied())).collect()),
        }
    }

    /// Check that `x` and `y` have the same number of rows, names match the column counts and
    /// every entry is finite.
    pub fn validate(&self) -> Result<()> {
        if self.x.nrows() != self.y.nrows() {
            return Err(Error::InvalidArgument(format!(
                "data set `{}`: X has {} rows but Y has {}",
                self.source,
                self.x.nrows(),
                self.y.nrows()
            )));
        }
        if self.feature_names.len() != self.d() {
            return Err(Error::InvalidArgument(format!(
                "data set `{}`: {} feature names for {} columns",
                self.source,
                self.feature_names.len(),
                self.d()
            )));
        }
        if let Some(((i, j), _)) = row_major(&self.x).find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!("data set `{}`: X[{i}, {j}] is not finite", self.source)));
        }
        if let Some(((i, j), _)) = row_major(&self.y).find(|(_, v)| !v.is_finite()) {
            return Err(Error::InvalidArgument(format!("data set `{}`: Y[{i}, {j}] is not finite", self.source)));
        }
        Ok(())
    }
}

/// Index of the first maximum (0 for an empty iterator; NaN never wins).
pub(crate) fn argmax(it: impl Iterator<Item = f64>) -> usize {
    let mut best = 0;
    let mut best_v = f64::NEG_INFINITY;
    for (k, v) in it.enumerate() {
        if v > best_v {
            best = k;
            best_v = v;
        }
    }
    best
}

/// Environment variable that overrides the `models/` directory.
pub const MODELS_ENV: &str = "CONVEX_RELU_MODELS";

/// The `models/` directory (the problem depot): `$CONVEX_RELU_MODELS` when set and non-empty,
/// otherwise `models/` beside this crate's `Cargo.toml` (fixed at compile time).
pub fn models_dir() -> PathBuf {
    match std::env::var_os(MODELS_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models")),
    }
}

/// Names of the data sets in `models/datasets` (file stems of `*.csv`, sorted).
pub fn available_names() -> Vec<String> {
    let dir = models_dir().join("datasets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension().and_then(|s| s.to_str()) == Some("csv"))
                .then(|| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
                .flatten()
        })
        .collect();
    names.sort();
    names
}

/// Resolve `name_or_path`: a bare name (no path separator, no extension) such as `iris` that
/// exists as `models/datasets/NAME.csv` loads that file; anything else is read as a CSV file
/// path. An argument that is neither gives an error listing the available names.
pub fn resolve(name_or_path: &str) -> Result<PathBuf> {
    let is_bare = !name_or_path.is_empty()
        && !name_or_path.contains(['/', '\\', '.'])
        && name_or_path.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-');
    if is_bare {
        let candidate = models_dir().join("datasets").join(format!("{name_or_path}.csv"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if let Ok(meta) = std::fs::metadata(path) {
        let kind = if meta.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
        return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{kind}; --data needs a CSV file"))));
    }
    let names = available_names();
    let list = if names.is_empty() {
        format!("none found in {}", models_dir().join("datasets").display())
    } else {
        names.join(", ")
    };
    if is_bare {
        Err(Error::InvalidArgument(format!(
            "unknown data set `{name_or_path}`: not a named data set and not a file (available names: {list})"
        )))
    } else {
        Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no such file (and not a named data set; available names: {list})"),
            ),
        ))
    }
}

/// Load a named data set (see [`resolve`]) or a CSV file with the given options.
pub fn load_named(name_or_path: &str, options: &CsvOptions) -> Result<Dataset> {
    let path = resolve(name_or_path)?;
    read_csv(&path, options)
}
