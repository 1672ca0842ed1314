//! `convex-relu solve`: compile a two-layer program (C-ReLU or the SDP relaxation), solve it,
//! recover or round a network, certify a lower bound, and report. The work is done by
//! [`convex_relu::pipeline::run`]; this module parses arguments, loads the data and writes the
//! optional artefacts (`--export`, `--save-network`).
//!
//! Reported numbers (JSON keys): the keys of [`convex_relu::pipeline::Report`] (see the module
//! docs of `pipeline` for their meaning: `objective`, `lower_bound`, `certified`,
//! `upper_bound`, `gap`, `globally_optimal`, `exact_optimum`, `relaxation_gap`, `rounding_gap`, ...).
//!
//! Data: the built-in `reference-1d` (docs/background.md, section 6), a name from models/datasets (e.g. `iris`)
//! or a CSV file; `--standardize` is applied before `--bias`.

use super::data_args::{load_data, DataArgs};
use convex_relu::error::{Error, Result};
use convex_relu::export;
use convex_relu::formulation::Formulation;
use convex_relu::patterns::Budget;
use convex_relu::pipeline::{self, PipelineSettings};
use convex_relu::rounding::Rounding;
use std::path::PathBuf;

/// Arguments of `convex-relu solve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Weight decay beta > 0, or a comma-separated path (`1,0.1,0.01`): one report per value,
    /// solved in order (the dnn backend warm-starts each solve from the previous one).
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    pub beta: Vec<f64>,
    /// Which program to solve: exact, gated, sampled (C-ReLU, c = 1), sdp (reduced), sdp-full,
    /// three-layer (needs --sub-width).
    #[arg(long, value_enum, default_value_t = Formulation::Exact)]
    pub formulation: Formulation,
    /// Three-layer formulation: first-layer neurons per sub-network (m1 >= 1).
    #[arg(long, value_name = "M1")]
    pub sub_width: Option<usize>,
    /// Three-layer formulation: `exact` (every realisable configuration), N (the configurations
    /// of N random sub-networks: an upper bound, certified only when the data are small enough
    /// to enumerate), or `auto` (exact when it fits the budget, else 1000 sampled sub-networks).
    #[arg(long, value_name = "exact|auto|N", default_value = "auto")]
    pub configs: String,
    /// Number of Gaussian gates (sampled).
    #[arg(long, default_value_t = 64)]
    pub gates: usize,
    /// Seed of the gate sampler and of the rounding.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub solver: super::solver_args::SolverArgs,
    /// Largest number of patterns an exact enumeration may produce.
    #[arg(long, default_value_t = Budget::default().max_patterns)]
    pub max_patterns: u64,
    /// Rounding of the SDP solution to a network.
    #[arg(long, value_enum, default_value_t = Rounding::Gaussian)]
    pub rounding: Rounding,
    /// Gaussian rounding samples per repetition (default max(100, 2 (n + d + c))).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Rounded networks (best refits) polished by local training from the rounded weights
    /// (Adam 1000 + L-BFGS 500 iterations each); 0 turns the polish off.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub polish: usize,
    /// Also compute the exact optimum p* (c = 1, enumerable patterns) and the gaps to it.
    #[arg(long)]
    pub exact_optimum: bool,
    /// Skip the lower bound (certificate).
    #[arg(long)]
    pub no_certify: bool,
    /// Write the recovered / rounded network as JSON.
    #[arg(long)]
    pub save_network: Option<PathBuf>,
    /// Export the compiled problem (.json, .dat-s, .cbf; for the last two the quadratic
    /// objective is written in epigraph form, see docs/formats.md).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Allow --export and --save-network to replace existing files.
    #[arg(long, alias = "overwrite")]
    pub force: bool,
    /// Print one JSON object on stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
}


/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    // Every output is checked before the compute (a finished solve is never thrown away).
    let outputs: Vec<(&str, &std::path::Path)> =
        [("--export", &args.export), ("--save-network", &args.save_network)].into_iter().filter_map(|(o, p)| p.as_deref().map(|p| (o, p))).collect();
    convex_relu::files::check_distinct(&outputs)?;
    for (option, path) in &outputs {
        convex_relu::files::check_output(path, args.force, option)?;
    }
    if let Some(path) = &args.export {
        export::Format::from_path(path)?;
    }
    if args.formulation == Formulation::ThreeLayer {
        return super::three_layer::solve(args);
    }
    if args.sub_width.is_some() || args.configs != "auto" {
        return Err(Error::InvalidArgument("--sub-width and --configs apply to --formulation three-layer only".into()));
    }
    if let (Some(path), Formulation::Gated) = (&args.save_network, args.formulation) {
        return Err(Error::InvalidArgument(format!(
            "--save-network {}: the gated program's solution is not a network (use exact, sampled or sdp)",
            path.display()
        )));
    }
    if args.beta.len() > 1 && (args.export.is_some() || args.save_network.is_some()) {
        return Err(Error::InvalidArgument(format!(
            "--export and --save-network need a single --beta (found a path of {} values)",
            args.beta.len()
        )));
    }
    let data = load_data(&args.data)?;
    let settings = PipelineSettings {
        formulation: args.formulation,
        beta: args.beta[0],
        backend: args.solver.backend,
        solve: args.solver.settings()?,
        gates: args.gates,
        seed: args.seed,
        budget: Budget { max_patterns: args.max_patterns, ..Budget::default() },
        rounding: args.rounding,
        samples: args.samples,
        certify: !args.no_certify,
        exact_optimum: args.exact_optimum,
        polish_candidates: args.polish,
        bound_rounding: true,
        dnn_method: args.solver.dnn_method(matches!(args.formulation, Formulation::Sdp))?,
    };
    let logs = super::exit::LogsToStderr::new(args.json && args.solver.verbose);
    if args.beta.len() > 1 {
        let outs = pipeline::run_path(&data, &settings, &args.beta)?;
        drop(logs);
        for out in outs {
            super::exit::record_status(&out.report.status);
            if args.json {
                println!("{}", serde_json::to_string(&out.report).expect("report serialises"));
            } else {
                println!("{}", out.report);
            }
        }
        return Ok(());
    }
    let out = pipeline::run(&data, &settings)?;
    drop(logs);
    super::exit::record_status(&out.report.status);
    if let Some(path) = &args.export {
        let compiled;
        let (problem, meta) = match &out.problem {
            Some(p) => (p, &out.meta),
            None => {
                // The dnn backend builds no conic problem, and the conic backends solve the
                // relaxation on merged rows when X has tied rows: export the unmerged program.
                compiled = pipeline::compile_for_export(&data, &settings)?;
                (&compiled.0, &compiled.1)
            }
        };
        export::write(problem, meta, path, args.force)?;
    }
    if let Some(path) = &args.save_network {
        match &out.network {
            Some(net) => net.save(path, args.force)?,
            None => {
                return Err(Error::InvalidArgument(format!(
                    "--save-network {}: the run produced no network ({} formulation, status {})",
                    path.display(),
                    args.formulation,
                    out.report.status
                )))
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&out.report).expect("report serialises"));
    } else {
        print!("{}", out.report);
    }
    Ok(())
}
