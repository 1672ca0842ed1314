//! Formulations: a [`Dataset`] compiled into a [`ConicProblem`] plus the [`Layout`] that names
//! every block of the variable vector `x` and maps a solution back (one file per program).
//!
//! * [`crelu`]: the two-layer programs of docs/background.md, section 1 -- `exact` (C-ReLU over all patterns,
//!   optimum = p*), `gated` (cone constraints dropped, a lower bound with all patterns),
//!   `sampled` (C-ReLU over Gaussian-gate patterns, an upper bound and a real network).
//! * [`sdp`]: the SDP (doubly nonnegative) relaxation of the completely positive program of
//!   docs/background.md, section 2, in the paper's full form and the facially reduced form; a lower bound.
//! * [`cpp`]: the completely positive program itself, as an exportable description and a checker.
//! * [`three_layer`]: parallel three-layer networks as a group-l1 program over configurations
//!   (exact enumeration, sampling, pricing); run end to end by [`crate::three_layer_run`].

pub mod cpp;
pub mod crelu;
pub mod sdp;
pub mod sdp_merged;
pub mod three_layer;

use crate::conic::ConicProblem;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::patterns::{Budget, Pattern};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which program to build. A closed set: add a variant (and a `compile` arm) per program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Formulation {
    /// C-ReLU over every activation pattern: optimum = p* (scalar output).
    Exact,
    /// No cone constraints, one `u_i` per pattern, all patterns: a lower bound on p*.
    Gated,
    /// C-ReLU over the patterns of `m` Gaussian gates: an upper bound (a real network).
    Sampled,
    /// SDP relaxation of the CPP, facially reduced (`S` PSD of order n + d + c): a lower bound.
    Sdp,
    /// SDP relaxation of the CPP in the paper's full form (`Lambda` PSD of order 2n + d + c).
    #[serde(rename = "sdp-full")]
    #[value(name = "sdp-full")]
    SdpFull,
    /// Three-layer networks: the convex program over configurations (needs --sub-width).
    #[serde(rename = "three-layer")]
    #[value(name = "three-layer")]
    ThreeLayer,
}

impl Formulation {
    /// Lower-case name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Formulation::Exact => "exact",
            Formulation::Gated => "gated",
            Formulation::Sampled => "sampled",
            Formulation::Sdp => "sdp",
            Formulation::SdpFull => "sdp-full",
            Formulation::ThreeLayer => "three-layer",
        }
    }

    /// The SDP form of an SDP formulation (`None` for the C-ReLU programs).
    pub fn sdp_form(self) -> Option<sdp::SdpForm> {
        match self {
            Formulation::Sdp => Some(sdp::SdpForm::Reduced),
            Formulation::SdpFull => Some(sdp::SdpForm::Full),
            _ => None,
        }
    }

    /// Whether this is one of the C-ReLU programs (scalar output, activation patterns).
    pub fn is_crelu(self) -> bool {
        self.sdp_form().is_none() && self != Formulation::ThreeLayer
    }
}

impl fmt::Display for Formulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Formulation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        <Self as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| Error::InvalidArgument(format!("unknown formulation `{s}` (expected exact, gated, sampled, sdp, sdp-full or three-layer)")))
    }
}

/// Settings of [`compile`]. Defaults: beta = 0.1, 64 gates, seed 0, the default pattern budget.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileSettings {
    /// Weight decay `beta > 0`.
    pub beta: f64,
    /// Number of Gaussian gates (sampled formulations).
    pub gates: usize,
    /// Seed of the gate sampler.
    pub seed: u64,
    /// Limits on exact pattern enumeration.
    pub budget: Budget,
}

impl Default for CompileSettings {
    fn default() -> Self {
        Self { beta: 0.1, gates: 64, seed: 0, budget: Budget::default() }
    }
}

/// One named block of the variable vector: `x[start .. start + len]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Name (`v`, `w`, `t`, `s`, `r`, `u`, ...).
    pub name: String,
    /// First index in `x`.
    pub start: usize,
    /// Number of entries.
    pub len: usize,
}

/// The variable map of a compiled program (like CVXPY's inverse data).
#[derive(Clone, Debug)]
pub struct Layout {
    /// The program.
    pub formulation: Formulation,
    /// Blocks of `x` in order; they tile `0..num_vars`.
    pub blocks: Vec<Block>,
    /// Samples, features, outputs of the data the program was built from.
    pub n: usize,
    pub d: usize,
    pub c: usize,
    /// Weight decay.
    pub beta: f64,
    /// Activation patterns of the program (empty for programs without patterns).
    pub patterns: Vec<Pattern>,
    /// Whether `patterns` is every pattern of the data.
    pub exhaustive: bool,
}

impl Layout {
    /// The block called `name`.
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// `x[block]` for the block called `name`.
    pub fn slice<'a>(&self, name: &str, x: &'a [f64]) -> Result<&'a [f64]> {
        let b = self.block(name).ok_or_else(|| Error::InvalidArgument(format!("{} layout has no block `{name}`", self.formulation)))?;
        x.get(b.start..b.start + b.len)
            .ok_or_else(|| Error::InvalidArgument(format!("solution vector of length {} is shorter than block `{name}`", x.len())))
    }

    /// Length of `x`.
    pub fn num_vars(&self) -> usize {
        self.blocks.iter().map(|b| b.start + b.len).max().unwrap_or(0)
    }
}

/// A program in conic standard form and its layout.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub problem: ConicProblem,
    pub layout: Layout,
}

/// Builds the program `kind` for `data` (squared loss). For the SDP formulations the returned
/// [`Layout`] only names the variable blocks (`svec(W)`, `r`); use [`sdp::compile`] for the map
/// back to `Lambda`.
pub fn compile(kind: Formulation, data: &Dataset, settings: &CompileSettings) -> Result<Compiled> {
    match kind {
        Formulation::Exact => crelu::exact(data, settings.beta, &settings.budget),
        Formulation::Gated => crelu::gated(data, settings.beta, &settings.budget),
        Formulation::Sampled => crelu::sampled(data, settings.beta, settings.gates, settings.seed),
        Formulation::ThreeLayer => Err(Error::InvalidArgument(
            "the three-layer program needs a sub-width and a configuration set: use formulation::three_layer::compile".into(),
        )),
        Formulation::Sdp | Formulation::SdpFull => {
            let form = kind.sdp_form().expect("an SDP formulation");
            let sdp = sdp::compile(data, settings.beta, form)?;
            let blocks = sdp.layout.variables.iter().map(|b| Block { name: b.name.clone(), start: b.offset, len: b.len }).collect();
            let layout = Layout {
                formulation: kind,
                blocks,
                n: sdp.layout.n,
                d: sdp.layout.d,
                c: sdp.layout.c,
                beta: settings.beta,
                patterns: Vec::new(),
                exhaustive: false,
            };
            Ok(Compiled { problem: sdp.problem, layout })
        }
    }
}
