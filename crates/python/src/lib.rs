//! `convex_relu._native`: the Rust side of the Python package `convex_relu`.
//!
//! The functions here are thin: they turn numpy arrays into a [`Dataset`], build the same
//! settings structs the command line builds, run the library with the GIL released
//! ([`Python::detach`]) and hand back JSON text produced by `serde_json` from the library's own
//! serialisable types (a [`pipeline::Report`] is the object `convex-relu solve --json` prints).
//! The Python layer (python/convex_relu) turns that text into dicts and frozen classes and does
//! the user-facing argument checks.
//!
//! Arrays: `x` is n x d, `y` is n x c, both float64 in any memory order (C, Fortran or strided
//! views are read as they are; the data are copied once into the solver's own [`Dataset`]).
//!
//! Errors: the library's [`Error`] becomes `SolverError` (a `RuntimeError`) when a backend
//! failed, `OSError` for a failed read or write, and `ValueError` for everything else (bad input,
//! out-of-range settings, unparsable files); the message is the library's message unchanged.

use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::error::Error;
use convex_relu::formulation::Formulation;
use convex_relu::network::Network;
use convex_relu::patterns::Budget;
use convex_relu::pipeline::{self, Outcome, PipelineSettings, TightnessSettings};
use convex_relu::rounding::Rounding;
use numpy::{PyArray2, PyReadonlyArray2, ToPyArray};
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::str::FromStr;

create_exception!(_native, SolverError, PyRuntimeError, "A solver (backend) failed before producing a solution.");

/// The library's error as the matching Python exception, with the library's message.
fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Backend { .. } => SolverError::new_err(msg),
        Error::Io { .. } => PyOSError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

fn value_error(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}

fn parse_formulation(name: &str) -> PyResult<Formulation> {
    match name {
        "exact" => Ok(Formulation::Exact),
        "gated" => Ok(Formulation::Gated),
        "sampled" => Ok(Formulation::Sampled),
        "sdp" => Ok(Formulation::Sdp),
        "sdp-full" => Ok(Formulation::SdpFull),
        "three-layer" => Err(value_error(
            "formulation `three-layer` is not available in the Python package yet (use the command line: \
             convex-relu solve --formulation three-layer)",
        )),
        other => Err(value_error(format!(
            "unknown formulation `{other}` (expected exact, gated, sampled, sdp or sdp-full)"
        ))),
    }
}

fn parse_rounding(name: &str) -> PyResult<Rounding> {
    match name {
        "gaussian" => Ok(Rounding::Gaussian),
        "tos" => Ok(Rounding::Tos),
        other => Err(value_error(format!("unknown rounding `{other}` (expected gaussian or tos)"))),
    }
}

fn parse_target_kind(name: &str) -> PyResult<TargetKind> {
    match name {
        "numeric" => Ok(TargetKind::Numeric),
        "signed" => Ok(TargetKind::Signed),
        "onehot" => Ok(TargetKind::Onehot),
        other => Err(value_error(format!("unknown target kind `{other}` (expected numeric, signed or onehot)"))),
    }
}

/// A validated data set from two float64 arrays (any memory order).
fn dataset(x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>, targets: &str, source: &str) -> PyResult<Dataset> {
    let kind = parse_target_kind(targets)?;
    let data = Dataset::from_arrays(x.as_array().to_owned(), y.as_array().to_owned(), kind, source);
    data.validate().map_err(to_py)?;
    if data.n() == 0 || data.d() == 0 || data.c() == 0 {
        return Err(value_error(format!(
            "empty data: X is {} x {} and Y is {} x {} (need at least one row, feature and output)",
            data.x.nrows(),
            data.x.ncols(),
            data.y.nrows(),
            data.y.ncols()
        )));
    }
    Ok(data)
}

/// The solver options every entry point shares (a dict with these keys).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct SolverOptions {
    backend: String,
    tolerance: Option<f64>,
    max_iterations: Option<u32>,
    time_limit: Option<f64>,
    verbose: bool,
}

impl SolverOptions {
    fn backend(&self) -> PyResult<BackendKind> {
        BackendKind::from_str(&self.backend).map_err(to_py)
    }

    fn settings(&self) -> PyResult<SolveSettings> {
        let s = SolveSettings {
            tolerance: self.tolerance,
            max_iterations: self.max_iterations,
            time_limit_seconds: self.time_limit,
            verbose: self.verbose,
            ..SolveSettings::default()
        };
        s.validate().map_err(to_py)?;
        Ok(s)
    }
}

/// The settings of `pipeline::run`, field by field as the command line's `solve` sets them.
#[allow(clippy::too_many_arguments)]
fn pipeline_settings(
    formulation: &str,
    beta: f64,
    solver: &SolverOptions,
    gates: usize,
    seed: u64,
    max_patterns: u64,
    rounding: &str,
    samples: Option<usize>,
    certify: bool,
    exact_optimum: bool,
) -> PyResult<PipelineSettings> {
    let s = PipelineSettings {
        formulation: parse_formulation(formulation)?,
        beta,
        backend: solver.backend()?,
        solve: solver.settings()?,
        gates,
        seed,
        budget: Budget { max_patterns, ..Budget::default() },
        rounding: parse_rounding(rounding)?,
        samples,
        certify,
        exact_optimum,
        ..PipelineSettings::default()
    };
    s.validate().map_err(to_py)?;
    Ok(s)
}

fn outcome_json(out: &Outcome) -> PyResult<(String, Option<String>)> {
    let report = serde_json::to_string(&out.report).map_err(|e| value_error(e.to_string()))?;
    let network = out.network.as_ref().map(|n| n.to_json().to_string());
    Ok((report, network))
}

/// Runs one solve; returns (report JSON, network JSON or None).
#[pyfunction]
#[pyo3(signature = (x, y, beta, targets, source, formulation, solver, gates, seed, max_patterns, rounding, samples, certify, exact_optimum))]
#[allow(clippy::too_many_arguments)]
fn solve(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
    targets: &str,
    source: &str,
    formulation: &str,
    solver: SolverOptions,
    gates: usize,
    seed: u64,
    max_patterns: u64,
    rounding: &str,
    samples: Option<usize>,
    certify: bool,
    exact_optimum: bool,
) -> PyResult<(String, Option<String>)> {
    let data = dataset(x, y, targets, source)?;
    let s = pipeline_settings(formulation, beta, &solver, gates, seed, max_patterns, rounding, samples, certify, exact_optimum)?;
    let out = py.detach(|| pipeline::run(&data, &s)).map_err(to_py)?;
    outcome_json(&out)
}

/// Runs a beta path (warm-started on the dnn backend); one (report, network) pair per beta.
#[pyfunction]
#[pyo3(signature = (x, y, betas, targets, source, formulation, solver, gates, seed, max_patterns, rounding, samples, certify, exact_optimum))]
#[allow(clippy::too_many_arguments)]
fn solve_path(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    betas: Vec<f64>,
    targets: &str,
    source: &str,
    formulation: &str,
    solver: SolverOptions,
    gates: usize,
    seed: u64,
    max_patterns: u64,
    rounding: &str,
    samples: Option<usize>,
    certify: bool,
    exact_optimum: bool,
) -> PyResult<Vec<(String, Option<String>)>> {
    let data = dataset(x, y, targets, source)?;
    let first = *betas.first().ok_or_else(|| value_error("the beta path is empty"))?;
    let s = pipeline_settings(formulation, first, &solver, gates, seed, max_patterns, rounding, samples, certify, exact_optimum)?;
    for &b in &betas {
        if !(b.is_finite() && b > 0.0) {
            return Err(value_error(format!("beta must be a positive number, found {b}")));
        }
    }
    let outs = py.detach(|| pipeline::run_path(&data, &s, &betas)).map_err(to_py)?;
    outs.iter().map(outcome_json).collect()
}

/// The comparison table (`convex-relu tightness --json`) as JSON text.
#[pyfunction]
#[pyo3(signature = (x, y, beta, targets, source, solver, seed, samples, widths, restarts, iterations))]
#[allow(clippy::too_many_arguments)]
fn tightness(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
    targets: &str,
    source: &str,
    solver: SolverOptions,
    seed: u64,
    samples: Option<usize>,
    widths: Vec<usize>,
    restarts: usize,
    iterations: usize,
) -> PyResult<String> {
    if samples == Some(0) {
        return Err(value_error("samples must be at least 1, found 0"));
    }
    if !(beta.is_finite() && beta > 0.0) {
        return Err(value_error(format!("beta must be a positive number, found {beta}")));
    }
    let data = dataset(x, y, targets, source)?;
    let t = TightnessSettings {
        beta,
        backend: solver.backend()?,
        solve: solver.settings()?,
        seed,
        samples,
        widths,
        restarts,
        iterations,
        ..Default::default()
    };
    let out = py.detach(|| pipeline::tightness(&data, &t)).map_err(to_py)?;
    serde_json::to_string(&out).map_err(|e| value_error(e.to_string()))
}

/// Writes the compiled program (.json, .dat-s or .cbf, by extension) as `solve --export` does;
/// returns the format's name.
#[pyfunction]
#[pyo3(signature = (x, y, beta, targets, source, formulation, path, overwrite, gates, seed, max_patterns))]
#[allow(clippy::too_many_arguments)]
fn export(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
    targets: &str,
    source: &str,
    formulation: &str,
    path: PathBuf,
    overwrite: bool,
    gates: usize,
    seed: u64,
    max_patterns: u64,
) -> PyResult<&'static str> {
    let data = dataset(x, y, targets, source)?;
    convex_relu::export::Format::from_path(&path).map_err(to_py)?;
    let s = PipelineSettings {
        formulation: parse_formulation(formulation)?,
        beta,
        gates,
        seed,
        budget: Budget { max_patterns, ..Budget::default() },
        ..PipelineSettings::default()
    };
    py.detach(|| {
        let (problem, meta) = pipeline::compile_for_export(&data, &s)?;
        convex_relu::export::write(&problem, &meta, &path, overwrite)
    })
    .map(|f| f.name())
    .map_err(to_py)
}

fn network(u: PyReadonlyArray2<'_, f64>, v: PyReadonlyArray2<'_, f64>) -> PyResult<Network> {
    Network::new(u.as_array().to_owned(), v.as_array().to_owned()).map_err(to_py)
}

/// Reads a weight file; returns its JSON text as the library re-serialises it (validated).
#[pyfunction]
fn network_load(path: PathBuf) -> PyResult<String> {
    Network::load(&path).map(|n| n.to_json().to_string()).map_err(to_py)
}

/// Parses weight-file text (`path` is only used in error messages).
#[pyfunction]
fn network_from_json(text: &str, path: PathBuf) -> PyResult<String> {
    Network::from_json_str(text, &path).map(|n| n.to_json().to_string()).map_err(to_py)
}

/// Writes a weight file (refuses to replace a file unless `overwrite`).
#[pyfunction]
fn network_save(u: PyReadonlyArray2<'_, f64>, v: PyReadonlyArray2<'_, f64>, path: PathBuf, overwrite: bool) -> PyResult<()> {
    network(u, v)?.save(&path, overwrite).map_err(to_py)
}

/// `s(X U) V'` (n x c).
#[pyfunction]
fn network_predict<'py>(
    py: Python<'py>,
    u: PyReadonlyArray2<'py, f64>,
    v: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let net = network(u, v)?;
    let x = x.as_array();
    if x.ncols() != net.d() {
        return Err(value_error(format!("X has {} columns but the network expects d = {}", x.ncols(), net.d())));
    }
    Ok(net.predict(x).to_pyarray(py))
}

/// The training objective `1/2 ||s(X U) V' - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2)`.
#[pyfunction]
fn network_objective(
    u: PyReadonlyArray2<'_, f64>,
    v: PyReadonlyArray2<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
) -> PyResult<f64> {
    let net = network(u, v)?;
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(value_error(format!("beta must be a non-negative number, found {beta}")));
    }
    let data = dataset(x, y, "numeric", "arrays")?;
    net.check_compatible(&data).map_err(to_py)?;
    Ok(net.objective(&data, beta))
}

/// The built-in reference data set (n = 8, X = [x, 1], y = sin(3x)): (X, Y, source).
#[pyfunction]
fn reference_1d<'py>(py: Python<'py>) -> (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>, String) {
    let d = convex_relu::data::synth::reference_1d();
    (d.x.to_pyarray(py), d.y.to_pyarray(py), d.source)
}

/// `convex-relu demo --json` as JSON text.
#[pyfunction]
#[pyo3(signature = (restarts=3, iterations=2000, seed=0))]
fn demo(py: Python<'_>, restarts: usize, iterations: usize, seed: u64) -> PyResult<String> {
    let out = py.detach(|| pipeline::demo(restarts, iterations, seed)).map_err(to_py)?;
    serde_json::to_string(&out).map_err(|e| value_error(e.to_string()))
}

/// Backends compiled into this build.
#[pyfunction]
fn available_backends() -> Vec<&'static str> {
    BackendKind::ALL.iter().filter(|b| b.is_available()).map(|b| b.name()).collect()
}

/// The library's global-optimality tolerance (relative gap).
#[pyfunction]
fn global_optimality_tolerance() -> f64 {
    pipeline::GLOBAL_OPTIMALITY_TOLERANCE
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SolverError", m.py().get_type::<SolverError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(solve_path, m)?)?;
    m.add_function(wrap_pyfunction!(tightness, m)?)?;
    m.add_function(wrap_pyfunction!(export, m)?)?;
    m.add_function(wrap_pyfunction!(network_load, m)?)?;
    m.add_function(wrap_pyfunction!(network_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(network_save, m)?)?;
    m.add_function(wrap_pyfunction!(network_predict, m)?)?;
    m.add_function(wrap_pyfunction!(network_objective, m)?)?;
    m.add_function(wrap_pyfunction!(reference_1d, m)?)?;
    m.add_function(wrap_pyfunction!(demo, m)?)?;
    m.add_function(wrap_pyfunction!(available_backends, m)?)?;
    m.add_function(wrap_pyfunction!(global_optimality_tolerance, m)?)?;
    Ok(())
}
