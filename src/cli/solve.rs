//! `convex-relu solve`: compile a two-layer program, solve it, recover the network, certify.
//!
//! Reported numbers (JSON keys): `objective` = the program's optimum (C-ReLU objective evaluated
//! directly at the solver's point); `upper_bound` = the recovered network's own training
//! objective (exact/sampled; null for gated, whose solution is not a network); `lower_bound` =
//! the dual certificate from the candidate (recovered network, or the gated fit), null when the
//! patterns of the data cannot all be enumerated (too large / degenerate) or `--no-certify`.
//!
//! Integration hooks (TODO for the integrator, kept out of this module on purpose):
//! * `--data FILE.csv`: only the built-in `reference-1d` is accepted here; wire
//!   `convex_relu::data::load_dataset(path_or_name, target, encoding)` in [`load_data`].
//! * `--export`: wire `convex_relu::export::write(&compiled, path)` in [`run`].
//! * `--save-network`: wire the network JSON writer of the data module in [`run`].

use clap::ValueEnum;
use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::certify;
use convex_relu::data::{synth, Dataset};
use convex_relu::error::{Error, Result};
use convex_relu::formulation::{self, CompileSettings, Formulation};
use convex_relu::patterns::{self, Budget, Patterns};
use ndarray::{concatenate, Array2, Axis};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// How to encode the target column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Targets {
    /// Numeric when the column parses as numbers with more than two values, else signed.
    Auto,
    /// Real-valued regression target.
    Numeric,
    /// Two classes as -1 / +1.
    Signed,
}

/// Arguments of `convex-relu solve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data: a CSV file, or the built-in name `reference-1d` (SPEC section 6).
    #[arg(long)]
    pub data: String,
    /// Target column name (CSV data; default: the last column).
    #[arg(long)]
    pub target: Option<String>,
    /// Target encoding.
    #[arg(long, value_enum, default_value_t = Targets::Auto)]
    pub targets: Targets,
    /// Append a column of ones to X (a first-layer bias, weight-decayed like any weight).
    #[arg(long)]
    pub bias: bool,
    /// Weight decay beta > 0.
    #[arg(long)]
    pub beta: f64,
    /// Which program to solve.
    #[arg(long, value_enum, default_value_t = Formulation::Exact)]
    pub formulation: Formulation,
    /// Number of Gaussian gates (sampled).
    #[arg(long, default_value_t = 64)]
    pub gates: usize,
    /// Seed of the gate sampler.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Solver backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Clarabel)]
    pub backend: BackendKind,
    /// Solver tolerance (default: the backend's own).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Largest number of patterns an exact enumeration may produce.
    #[arg(long, default_value_t = Budget::default().max_patterns)]
    pub max_patterns: u64,
    /// Skip the dual certificate (lower bound).
    #[arg(long)]
    pub no_certify: bool,
    /// Write the recovered network as JSON.
    #[arg(long)]
    pub save_network: Option<PathBuf>,
    /// Export the compiled problem (.json, .dat-s, .cbf).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
}

/// The data set named by `--data` (see the module docs for what is wired).
pub fn load_data(args: &Args) -> Result<Dataset> {
    let data = match args.data.as_str() {
        "reference-1d" => {
            if args.target.is_some() {
                return Err(Error::InvalidArgument("--target does not apply to the built-in data set reference-1d".into()));
            }
            synth::reference_1d()
        }
        // TODO(integrator): `convex_relu::data::load_dataset(&args.data, args.target.as_deref(), encoding)`.
        other => {
            return Err(Error::InvalidArgument(format!(
                "cannot load `{other}`: this build only knows the built-in data set `reference-1d` \
                 (CSV loading is not wired into `solve` yet)"
            )))
        }
    };
    Ok(if args.bias { with_bias(data) } else { data })
}

fn with_bias(mut data: Dataset) -> Dataset {
    let ones = Array2::ones((data.n(), 1));
    data.x = concatenate(Axis(1), &[data.x.view(), ones.view()]).expect("same number of rows");
    data.feature_names.push("bias".into());
    data
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    if let Some(path) = &args.export {
        // TODO(integrator): `convex_relu::export::write(&compiled, path)` after compiling.
        return Err(Error::InvalidArgument(format!("--export {}: problem export is not wired into `solve` yet", path.display())));
    }
    if let Some(path) = &args.save_network {
        // TODO(integrator): save `net` with the data module's network JSON writer after recovery.
        return Err(Error::InvalidArgument(format!(
            "--save-network {}: network JSON saving is not wired into `solve` yet",
            path.display()
        )));
    }
    let data = load_data(args)?;
    let budget = Budget { max_patterns: args.max_patterns, ..Budget::default() };
    let settings = CompileSettings { beta: args.beta, gates: args.gates, seed: args.seed, budget };
    let t0 = Instant::now();
    let compiled = formulation::compile(args.formulation, &data, &settings)?;
    let compile_seconds = t0.elapsed().as_secs_f64();
    let solve_settings = SolveSettings { tolerance: args.tolerance, ..Default::default() };
    let sol = backend::solve(&compiled.problem, args.backend, &solve_settings)?;
    let layout = &compiled.layout;

    let mut objective = None;
    let mut upper = None;
    let mut lower = None;
    let mut width = None;
    let mut certify_seconds = None;
    let mut note = Vec::<String>::new();
    if sol.status.has_solution() {
        objective = Some(layout.crelu_objective(&data, &sol.x)?);
        let yhat = match args.formulation {
            Formulation::Gated => layout.fitted(&data, &sol.x)?,
            _ => {
                let net = layout.recover_network(&sol.x)?;
                upper = Some(net.objective(&data, args.beta));
                width = Some(net.width());
                net.predict(data.x.view()).column(0).to_vec()
            }
        };
        if !args.no_certify {
            let all: Option<Patterns> = if layout.exhaustive {
                // the layout's list is already every pattern (rank is not used by the certificate)
                Some(Patterns { list: layout.patterns.clone(), exhaustive: true, rank: 0 })
            } else {
                match patterns::enumerate(data.x.view(), &budget) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        note.push(format!("no certificate: {e}"));
                        None
                    }
                }
            };
            if let Some(all) = all {
                let cert = certify::dual_bound(&data, args.beta, &yhat, &all, BackendKind::Clarabel, &SolveSettings::default())?;
                certify_seconds = Some(cert.seconds);
                if cert.certified {
                    lower = Some(cert.lower_bound);
                }
            }
        }
    }

    if args.json {
        let out = json!({
            "status": sol.status.name(),
            "backend": sol.backend.name(),
            "formulation": args.formulation.name(),
            "data": data.source,
            "n": data.n(),
            "d": data.d(),
            "c": data.c(),
            "beta": args.beta,
            "gates": if args.formulation == Formulation::Sampled { Some(args.gates) } else { None },
            "seed": args.seed,
            "patterns": layout.patterns.len(),
            "objective": objective,
            "upper_bound": upper,
            "lower_bound": lower,
            "width": width,
            "iterations": sol.iterations,
            "compile_seconds": compile_seconds,
            "solve_seconds": sol.solve_seconds,
            "certify_seconds": certify_seconds,
            "notes": note,
        });
        println!("{out}");
    } else {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.8}"));
        println!("data         {} (n = {}, d = {}, c = {})", data.source, data.n(), data.d(), data.c());
        println!("program      {} C-ReLU, beta = {}, {} patterns", args.formulation, args.beta, layout.patterns.len());
        println!("backend      {} -> {} in {} iterations, {:.3} s", sol.backend, sol.status, sol.iterations, sol.solve_seconds);
        println!("objective    {}", f(objective));
        println!("upper bound  {}  (recovered network{})", f(upper), width.map_or(String::new(), |w| format!(", width {w}")));
        println!("lower bound  {}  (dual certificate)", f(lower));
        if let (Some(u), Some(l)) = (upper, lower) {
            println!("gap          {:.3e} (relative {:.3e})", u - l, (u - l) / u.abs().max(1e-300));
        }
        for n in note {
            println!("note         {n}");
        }
    }
    Ok(())
}
