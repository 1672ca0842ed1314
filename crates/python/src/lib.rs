//! `convex_relu._native`: the Rust side of the Python package `convex_relu`.
//!
//! The functions here are thin: they turn numpy arrays into a [`Dataset`], build the same
//! settings structs the command line builds, run the library with the GIL released
//! ([`Python::detach`]) and hand back JSON text produced by `serde_json` from the library's own
//! serialisable types (a [`pipeline::Report`] is the object `convex-relu solve --json` prints;
//! for `formulation = "three-layer"` it is a [`three_layer_run::ThreeLayerReport`], run by
//! [`three_layer_run::run`] with the settings of `solve --formulation three-layer`). Networks
//! travel as the weight files' JSON objects (`convex-relu-network` or `convex-relu-network3`).
//! The Python layer (python/convex_relu) turns that text into dicts and frozen classes and does
//! the user-facing argument checks.
//!
//! Arrays: `x` is n x d, `y` is n x c, both float64 in any memory order (C, Fortran or strided
//! views are read as they are; the data are copied once into the solver's own [`Dataset`]).
//! The numpy crate hands out `ndarray` views; they are copied into the library's nalgebra
//! matrices here ([`matrix`], [`vector`]) and results are copied back ([`to_numpy`]), so
//! `ndarray` appears only at this boundary.
//!
//! Errors: the library's [`Error`] becomes `SolverError` (a `RuntimeError`) when a backend
//! failed, `OSError` for a failed read or write, and `ValueError` for everything else (bad input,
//! out-of-range settings, unparsable files); the message is the library's message unchanged.

use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::dnn::DnnMethod;
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::error::Error;
use convex_relu::formulation::Formulation;
use convex_relu::network::Network;
use convex_relu::network3::{Network3, SavedNetwork};
use convex_relu::patterns::Budget;
use convex_relu::pipeline::{self, Outcome, PipelineSettings, TightnessSettings};
use convex_relu::rounding::Rounding;
use convex_relu::formulation::three_layer::ConfigBudget;
use convex_relu::three_layer_run::{self, ConfigChoice, ThreeLayerSettings};
use nalgebra::{DMatrix, DVector};
use numpy::{PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3, ToPyArray};
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
        "three-layer" => Ok(Formulation::ThreeLayer),
        other => Err(value_error(format!(
            "unknown formulation `{other}` (expected exact, gated, sampled, sdp, sdp-full or three-layer)"
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

/// A float64 numpy matrix (any memory order) copied into a nalgebra matrix.
fn matrix(a: &PyReadonlyArray2<'_, f64>) -> DMatrix<f64> {
    let a = a.as_array();
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)])
}

/// A float64 numpy vector copied into a nalgebra vector.
fn vector(a: &PyReadonlyArray1<'_, f64>) -> DVector<f64> {
    let a = a.as_array();
    DVector::from_iterator(a.len(), a.iter().copied())
}

/// A nalgebra matrix copied into a new (C-order) numpy array.
fn to_numpy<'py>(py: Python<'py>, m: &DMatrix<f64>) -> Bound<'py, PyArray2<f64>> {
    ndarray::Array2::from_shape_fn(m.shape(), |(i, j)| m[(i, j)]).to_pyarray(py)
}

/// A validated data set from two float64 arrays (any memory order).
fn dataset(x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray2<'_, f64>, targets: &str, source: &str) -> PyResult<Dataset> {
    let kind = parse_target_kind(targets)?;
    let data = Dataset::from_arrays(matrix(&x), matrix(&y), kind, source);
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
    /// `auto`, `admm`, `ipm`, `ipm-working-set` or `ssnal`; only with the `dnn` backend on the SDP relaxation (`None`: auto).
    dnn_method: Option<String>,
    tolerance: Option<f64>,
    max_iterations: Option<u32>,
    time_limit: Option<f64>,
    verbose: bool,
}

impl SolverOptions {
    fn backend(&self) -> PyResult<BackendKind> {
        BackendKind::from_str(&self.backend).map_err(to_py)
    }

    /// The `dnn` method, refused (never ignored) unless the backend is `dnn` and `applies`.
    fn dnn_method(&self, applies: bool) -> PyResult<DnnMethod> {
        let Some(text) = &self.dnn_method else { return Ok(DnnMethod::Auto) };
        let method = DnnMethod::parse(text).map_err(|e| value_error(e.to_string()))?;
        if !(applies && self.backend()? == BackendKind::Dnn) {
            return Err(value_error(format!(
                "dnn_method {} applies to the SDP relaxation with backend dnn only (backend is {})",
                method.name(),
                self.backend
            )));
        }
        Ok(method)
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

/// The options of `solve` and `solve_path` (a dict with these keys, built by the Python layer).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct RunOptions {
    formulation: String,
    solver: SolverOptions,
    gates: usize,
    seed: u64,
    max_patterns: u64,
    rounding: String,
    samples: Option<usize>,
    certify: bool,
    exact_optimum: bool,
    /// Three-layer only: first-layer neurons per sub-network.
    sub_width: Option<usize>,
    /// Three-layer only: `auto`, `exact` or a number of sampled sub-networks.
    configs: String,
}

/// What one solve runs: a two-layer pipeline or the three-layer program.
enum RunSettings {
    Two(PipelineSettings),
    Three(ThreeLayerSettings),
}

impl RunOptions {
    /// The settings, field by field as the command line's `solve` sets them (its checks and
    /// messages included).
    fn settings(&self, beta: f64) -> PyResult<RunSettings> {
        let formulation = parse_formulation(&self.formulation)?;
        if formulation == Formulation::ThreeLayer {
            return self.three_layer(beta).map(RunSettings::Three);
        }
        if self.sub_width.is_some() || self.configs != "auto" {
            return Err(value_error(format!(
                "sub_width and configs apply to formulation `three-layer` only (formulation is `{}`)",
                self.formulation
            )));
        }
        let s = PipelineSettings {
            formulation,
            beta,
            backend: self.solver.backend()?,
            solve: self.solver.settings()?,
            gates: self.gates,
            seed: self.seed,
            budget: Budget { max_patterns: self.max_patterns, ..Budget::default() },
            rounding: parse_rounding(&self.rounding)?,
            samples: self.samples,
            certify: self.certify,
            exact_optimum: self.exact_optimum,
            dnn_method: self.solver.dnn_method(formulation == Formulation::Sdp)?,
            ..PipelineSettings::default()
        };
        s.validate().map_err(to_py)?;
        Ok(RunSettings::Two(s))
    }

    /// `solve --formulation three-layer --sub-width M1 --configs C` (src/cli/three_layer.rs):
    /// `certify = false` also switches off column generation, as `--no-certify` does.
    fn three_layer(&self, beta: f64) -> PyResult<ThreeLayerSettings> {
        self.solver.dnn_method(false)?;
        let sub_width = self.sub_width.ok_or_else(|| {
            value_error("formulation `three-layer` needs sub_width = M1 (first-layer neurons per sub-network)")
        })?;
        if self.exact_optimum {
            return Err(value_error(
                "exact_optimum applies to the two-layer formulations only (the three-layer certificate is in lower_bound)",
            ));
        }
        let s = ThreeLayerSettings {
            beta,
            sub_width,
            configs: self.configs.parse::<ConfigChoice>().map_err(to_py)?,
            seed: self.seed,
            backend: self.solver.backend()?,
            solve: self.solver.settings()?,
            budget: ConfigBudget {
                patterns: Budget { max_patterns: self.max_patterns, ..Budget::default() },
                ..ConfigBudget::default()
            },
            certify: self.certify,
            column_generation: self.certify,
            ..ThreeLayerSettings::default()
        };
        s.validate().map_err(to_py)?;
        Ok(s)
    }
}

/// Report JSON and network JSON (a two- or three-layer weight file's object, or None).
type RunJson = (String, Option<String>);

/// `serde_json::to_string`'s result for Python.
fn json_text(text: serde_json::Result<String>) -> PyResult<String> {
    text.map_err(|e| value_error(e.to_string()))
}

fn outcome_json(out: &Outcome) -> PyResult<RunJson> {
    Ok((json_text(serde_json::to_string(&out.report))?, out.network.as_ref().map(|n| n.to_json().to_string())))
}

/// Runs one solve (two- or three-layer) with the GIL released.
fn run_one(py: Python<'_>, data: &Dataset, settings: &RunSettings) -> PyResult<RunJson> {
    match settings {
        RunSettings::Two(s) => outcome_json(&py.detach(|| pipeline::run(data, s)).map_err(to_py)?),
        RunSettings::Three(s) => {
            let out = py.detach(|| three_layer_run::run(data, s)).map_err(to_py)?;
            Ok((json_text(serde_json::to_string(&out.report))?, out.network.as_ref().map(|n| n.to_json().to_string())))
        }
    }
}

/// Runs one solve; returns (report JSON, network JSON or None).
#[pyfunction]
fn solve(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
    targets: &str,
    source: &str,
    run: RunOptions,
) -> PyResult<RunJson> {
    let data = dataset(x, y, targets, source)?;
    let settings = run.settings(beta)?;
    run_one(py, &data, &settings)
}

/// Runs a beta path (warm-started by the dnn backend's ADMM); one (report, network) pair per beta.
#[pyfunction]
fn solve_path(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    betas: Vec<f64>,
    targets: &str,
    source: &str,
    run: RunOptions,
) -> PyResult<Vec<RunJson>> {
    let data = dataset(x, y, targets, source)?;
    let first = *betas.first().ok_or_else(|| value_error("the beta path is empty"))?;
    let RunSettings::Two(s) = run.settings(first)? else {
        return Err(value_error(format!(
            "formulation `three-layer` takes a single beta (found a path of {} values): call solve() once per beta",
            betas.len()
        )));
    };
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
        dnn_method: solver.dnn_method(true)?,
        ..Default::default()
    };
    let out = py.detach(|| pipeline::tightness(&data, &t)).map_err(to_py)?;
    json_text(serde_json::to_string(&out))
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
    let formulation = parse_formulation(formulation)?;
    if formulation == Formulation::ThreeLayer {
        return Err(value_error(
            "export: the three-layer program is built during the run (its configurations come from enumeration or \
             sampling and column generation), so it cannot be exported without solving; use the command line: \
             convex-relu solve --formulation three-layer --export FILE",
        ));
    }
    let s = PipelineSettings {
        formulation,
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
    Network::new(matrix(&u), matrix(&v)).map_err(to_py)
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

/// Reads a weight file of either kind (two- or three-layer, told apart by its `format`);
/// returns its JSON text as the library re-serialises it (validated).
#[pyfunction]
fn network_load_any(path: PathBuf) -> PyResult<String> {
    match SavedNetwork::load(&path).map_err(to_py)? {
        SavedNetwork::Two(n) => Ok(n.to_json().to_string()),
        SavedNetwork::Three(n) => Ok(n.to_json().to_string()),
    }
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
    let x = matrix(&x);
    if x.ncols() != net.d() {
        return Err(value_error(format!("X has {} columns but the network expects d = {}", x.ncols(), net.d())));
    }
    Ok(to_numpy(py, &net.predict(x.as_view())))
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

/// A three-layer network from `w1` (K x d x m1: `w1[k]` is `W1_k`), `w2` (K x m1) and `w3` (K).
fn network3(w1: PyReadonlyArray3<'_, f64>, w2: PyReadonlyArray2<'_, f64>, w3: PyReadonlyArray1<'_, f64>) -> PyResult<Network3> {
    let a = w1.as_array();
    let (k, d, m1) = a.dim();
    let first: Vec<DMatrix<f64>> = (0..k).map(|b| DMatrix::from_fn(d, m1, |i, j| a[(b, i, j)])).collect();
    Network3::from_first_layers(d, m1, &first, matrix(&w2), vector(&w3)).map_err(to_py)
}

/// Checks the shapes of a three-layer network's layers (the library's messages).
#[pyfunction]
fn network3_check(w1: PyReadonlyArray3<'_, f64>, w2: PyReadonlyArray2<'_, f64>, w3: PyReadonlyArray1<'_, f64>) -> PyResult<()> {
    network3(w1, w2, w3).map(|_| ())
}

/// Reads a three-layer weight file; returns its JSON text as the library re-serialises it.
#[pyfunction]
fn network3_load(path: PathBuf) -> PyResult<String> {
    Network3::load(&path).map(|n| n.to_json().to_string()).map_err(to_py)
}

/// Writes a three-layer weight file (refuses to replace a file unless `overwrite`).
#[pyfunction]
fn network3_save(
    w1: PyReadonlyArray3<'_, f64>,
    w2: PyReadonlyArray2<'_, f64>,
    w3: PyReadonlyArray1<'_, f64>,
    path: PathBuf,
    overwrite: bool,
) -> PyResult<()> {
    network3(w1, w2, w3)?.save(&path, overwrite).map_err(to_py)
}

/// `f(X) = sum_k s(s(X W1_k) w2_k) w3_k` as an n x 1 array.
#[pyfunction]
fn network3_predict<'py>(
    py: Python<'py>,
    w1: PyReadonlyArray3<'py, f64>,
    w2: PyReadonlyArray2<'py, f64>,
    w3: PyReadonlyArray1<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let net = network3(w1, w2, w3)?;
    let x = matrix(&x);
    if x.ncols() != net.d() {
        return Err(value_error(format!("X has {} columns but the network expects d = {}", x.ncols(), net.d())));
    }
    let f = net.predict(x.as_view());
    Ok(to_numpy(py, &DMatrix::from_column_slice(f.len(), 1, f.as_slice())))
}

/// The three-layer objective `1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2)`, after
/// checking the shapes and the constraint `||W1_k||_F <= 1` (`Network3::checked_objective`).
#[pyfunction]
fn network3_objective(
    w1: PyReadonlyArray3<'_, f64>,
    w2: PyReadonlyArray2<'_, f64>,
    w3: PyReadonlyArray1<'_, f64>,
    x: PyReadonlyArray2<'_, f64>,
    y: PyReadonlyArray2<'_, f64>,
    beta: f64,
) -> PyResult<f64> {
    let net = network3(w1, w2, w3)?;
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(value_error(format!("beta must be a non-negative number, found {beta}")));
    }
    let data = dataset(x, y, "numeric", "arrays")?;
    net.checked_objective(&data, beta).map_err(to_py)
}

/// The built-in reference data set (n = 8, X = [x, 1], y = sin(3x)): (X, Y, source).
#[pyfunction]
fn reference_1d<'py>(py: Python<'py>) -> (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>, String) {
    let d = convex_relu::data::synth::reference_1d();
    (to_numpy(py, &d.x), to_numpy(py, &d.y), d.source)
}

/// `convex-relu demo --json` as JSON text.
#[pyfunction]
#[pyo3(signature = (restarts=3, iterations=2000, seed=0))]
fn demo(py: Python<'_>, restarts: usize, iterations: usize, seed: u64) -> PyResult<String> {
    let out = py.detach(|| pipeline::demo(restarts, iterations, seed)).map_err(to_py)?;
    json_text(serde_json::to_string(&out))
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
    m.add_function(wrap_pyfunction!(network_load_any, m)?)?;
    m.add_function(wrap_pyfunction!(network3_check, m)?)?;
    m.add_function(wrap_pyfunction!(network3_load, m)?)?;
    m.add_function(wrap_pyfunction!(network3_save, m)?)?;
    m.add_function(wrap_pyfunction!(network3_predict, m)?)?;
    m.add_function(wrap_pyfunction!(network3_objective, m)?)?;
    m.add_function(wrap_pyfunction!(reference_1d, m)?)?;
    m.add_function(wrap_pyfunction!(demo, m)?)?;
    m.add_function(wrap_pyfunction!(available_backends, m)?)?;
    m.add_function(wrap_pyfunction!(global_optimality_tolerance, m)?)?;
    Ok(())
}
