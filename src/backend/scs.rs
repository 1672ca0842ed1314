//! The SCS backend: not wired yet (work in progress in crates/scs-sys).
use super::{Backend, BackendKind, ConicSolution, SolveSettings};
use crate::conic::ConicProblem;
use crate::error::{Error, Result};

/// SCS 3.3.1 through the scs-sys shim.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScsBackend;

impl Backend for ScsBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Scs
    }
    fn solve(&self, _problem: &ConicProblem, _settings: &SolveSettings) -> Result<ConicSolution> {
        Err(Error::Backend { backend: "scs", message: "not wired yet".into() })
    }
}
