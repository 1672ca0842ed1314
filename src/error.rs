//! The one error type of the crate.
//!
//! Solver outcomes such as "infeasible" or "iteration limit" are *statuses*
//! ([`crate::backend::Status`]), not errors: an [`Error`] means the request itself could
//! not be carried out (bad input, a missing backend, an I/O failure).

use std::path::PathBuf;

/// Everything that can go wrong in convex-relu.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A conic problem is inconsistent: `field` names the offending part
    /// (for example `"A.nrows"`, `"cones[2]"`, `"q[7]"`).
    #[error("invalid problem: {field}: expected {expected}, found {found}")]
    InvalidProblem { field: String, expected: String, found: String },

    /// A file could not be parsed. `line`/`column` are 1-based when known.
    #[error("{}: {message}", location(path, *line, column.as_ref()))]
    Parse { path: PathBuf, line: Option<usize>, column: Option<String>, message: String },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, #[source] source: std::io::Error },

    /// A request or setting is out of its allowed range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The requested backend was not compiled into this build.
    #[error("backend `{0}` is not compiled into this build (enable its cargo feature)")]
    BackendUnavailable(&'static str),

    /// A backend failed before producing a solution (setup error, C-level failure).
    #[error("backend `{backend}` failed: {message}")]
    Backend { backend: &'static str, message: String },

    /// A computation would not fit into the available memory or time budget.
    #[error("too large: {0}")]
    TooLarge(String),

    /// Data that is degenerate for the requested operation.
    #[error("degenerate data: {0}")]
    Degenerate(String),
}

fn location(path: &std::path::Path, line: Option<usize>, column: Option<&String>) -> String {
    let mut s = path.display().to_string();
    if let Some(l) = line {
        s.push_str(&format!(", line {l}"));
    }
    if let Some(c) = column {
        s.push_str(&format!(", column {c}"));
    }
    s
}

impl Error {
    /// Shorthand for [`Error::InvalidProblem`].
    pub fn invalid_problem(field: impl Into<String>, expected: impl ToString, found: impl ToString) -> Self {
        Error::InvalidProblem { field: field.into(), expected: expected.to_string(), found: found.to_string() }
    }

    /// Shorthand for an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
