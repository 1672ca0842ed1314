//! Writing conic problems to files other tools read, and reading them back.
//!
//! | [`Format`] | extension | write | read | who reads it |
//! |---|---|---|---|---|
//! | [`Format::Json`] | `.json` | yes | yes | this toolkit (`solve-file`), Clarabel's `load_from_file` (Rust and Python) |
//! | [`Format::Sdpa`] | `.dat-s` | yes | yes (equalities come back as pairs of inequalities) | CSDP, SDPA, DSDP (SDPA sparse format) |
//! | [`Format::Cbf`] | `.cbf` | yes | yes | MOSEK, CBLIB tools, and other CBF readers (conic benchmark format, version 3) |
//!
//! Each module documents its own sign and packing conventions; `docs/formats.md` has the
//! overview with examples. The format is always chosen from the file extension
//! ([`Format::from_path`]); an unknown extension is an error listing the supported ones.
//!
//! [`write`] refuses to replace an existing file unless `overwrite` is true.

pub mod cbf;
pub mod json;
pub mod linear;
pub mod sdpa;

use crate::conic::ConicProblem;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// A problem file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Clarabel-compatible JSON with a version and a meta block (`.json`); see [`json`].
    Json,
    /// SDPA sparse format (`.dat-s`); see [`sdpa`].
    Sdpa,
    /// Conic benchmark format, version 3 (`.cbf`); see [`cbf`].
    Cbf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Json, Format::Sdpa, Format::Cbf];

    /// The file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Sdpa => "dat-s",
            Format::Cbf => "cbf",
        }
    }

    /// Short name (`json`, `sdpa`, `cbf`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Sdpa => "sdpa",
            Format::Cbf => "cbf",
        }
    }

    /// The format of `path`, from its extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Format> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        Format::ALL.into_iter().find(|f| name.ends_with(&format!(".{}", f.extension()))).ok_or_else(|| {
            let supported: Vec<String> = Format::ALL.iter().map(|f| format!(".{} ({})", f.extension(), f.name())).collect();
            Error::InvalidArgument(format!(
                "cannot tell the file format of `{}` from its extension; supported extensions: {}",
                path.display(),
                supported.join(", ")
            ))
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One named block of the variable vector `x`: entries `start .. start + len`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutBlock {
    /// What the block holds (e.g. `"svec(Lambda)"`, `"v[3]"`).
    pub name: String,
    /// First index in `x`.
    pub start: usize,
    /// Number of entries.
    pub len: usize,
}

/// Provenance and structure of an exported problem. Every field is optional: a file written
/// for a bare [`ConicProblem`] carries an empty meta block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProblemMeta {
    /// The program and version that wrote the file (e.g. `"convex-relu 0.1.0"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// Name of the formulation (e.g. `"exact-crelu"`, `"cpp-sdp"`) or catalogue entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formulation: Option<String>,
    /// Number of samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<usize>,
    /// Number of features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<usize>,
    /// Number of outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c: Option<usize>,
    /// Weight-decay parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Named blocks of `x`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layout: Vec<LayoutBlock>,
    /// Free-form notes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ProblemMeta {
    /// A meta block naming this crate as the generator.
    pub fn generated() -> Self {
        ProblemMeta { generator: Some(generator()), ..Default::default() }
    }
}

/// `"convex-relu <version>"`.
pub fn generator() -> String {
    format!("convex-relu {}", env!("CARGO_PKG_VERSION"))
}

/// A problem read from a file, with whatever meta data the format carries
/// (only JSON carries any; other formats give an empty [`ProblemMeta`]).
#[derive(Clone, Debug)]
pub struct ProblemFile {
    /// The problem, validated.
    pub problem: ConicProblem,
    /// The meta block.
    pub meta: ProblemMeta,
    /// The format it was read from.
    pub format: Format,
}

/// Writes `problem` to `path` in the format given by its extension. Refuses to replace an
/// existing file unless `overwrite` is true. The problem is validated first; for SDPA and CBF a
/// quadratic objective is written in epigraph form and, for SDPA, second-order cones as PSD
/// blocks ([`linear`]); the optimum is unchanged.
pub fn write(problem: &ConicProblem, meta: &ProblemMeta, path: impl AsRef<Path>, overwrite: bool) -> Result<Format> {
    let path = path.as_ref();
    let format = Format::from_path(path)?;
    problem.validate()?;
    let text = to_string(problem, meta, format)?;
    crate::files::write_text(path, &text, overwrite)?;
    Ok(format)
}

/// The file contents `write` would produce for `format`.
pub fn to_string(problem: &ConicProblem, meta: &ProblemMeta, format: Format) -> Result<String> {
    match format {
        Format::Json => json::to_string(problem, meta),
        Format::Sdpa => sdpa::to_string(problem, meta),
        Format::Cbf => cbf::to_string(problem, meta),
    }
}

/// Reads the problem in `path` (format from the extension).
pub fn read(path: impl AsRef<Path>) -> Result<ProblemFile> {
    let path = path.as_ref();
    let format = Format::from_path(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let (problem, meta) = match format {
        Format::Json => json::from_str(&text, path)?,
        Format::Cbf => (cbf::from_str(&text, path)?, ProblemMeta::default()),
        Format::Sdpa => (sdpa::from_str(&text, path)?, ProblemMeta::default()),
    };
    Ok(ProblemFile { problem, meta, format })
}


/// Formats a number so that it reads back exactly (shortest round-trip, exponent form).
pub(crate) fn num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.json")).unwrap(), Format::Json);
        assert_eq!(Format::from_path(Path::new("x.DAT-S")).unwrap(), Format::Sdpa);
        assert_eq!(Format::from_path(Path::new("x.cbf")).unwrap(), Format::Cbf);
        let msg = Format::from_path(Path::new("x.mps")).unwrap_err().to_string();
        assert!(msg.contains(".json") && msg.contains(".dat-s") && msg.contains(".cbf") && msg.contains("x.mps"), "{msg}");
        assert!(Format::from_path(Path::new("dat-s")).is_err());
    }

    #[test]
    fn numbers_round_trip() {
        for v in [0.0, 1.0, -0.25, std::f64::consts::SQRT_2, 1e-300, -7.5e200] {
            assert_eq!(num(v).parse::<f64>().unwrap(), v);
        }
    }
}
