//! `convex-relu tightness`: the comparison table of [`convex_relu::pipeline::tightness`] --
//! certified SDP lower bound and the solver's value (labelled), Gaussian- and TOS-rounded
//! networks, the non-convex baseline at several widths, and the exact optimum when c = 1 and
//! the patterns are enumerable.

use super::data_args::{load_data, DataArgs};
use convex_relu::error::{Error, Result};
use convex_relu::pipeline::{self, TightnessSettings};

/// Arguments of `convex-relu tightness`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Weight decay beta > 0.
    #[arg(long)]
    pub beta: f64,
    /// Widths of the non-convex baseline (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "5,10,100")]
    pub widths: Vec<usize>,
    /// Restarts per width (best kept).
    #[arg(long, default_value_t = 5)]
    pub restarts: usize,
    /// Iterations per restart.
    #[arg(long, default_value_t = 2000)]
    pub iterations: usize,
    /// Gaussian rounding samples per repetition.
    #[arg(long)]
    pub samples: Option<usize>,
    #[command(flatten)]
    pub solver: super::solver_args::SolverArgs,
    /// Seed of the rounding and of the baseline.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    if args.samples == Some(0) {
        return Err(Error::InvalidArgument("--samples must be at least 1, found 0".into()));
    }
    if !(args.beta.is_finite() && args.beta > 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be a positive number, found {}", args.beta)));
    }
    let data = load_data(&args.data)?;
    let t = TightnessSettings {
        beta: args.beta,
        backend: args.solver.backend,
        solve: args.solver.settings()?,
        seed: args.seed,
        samples: args.samples,
        widths: args.widths.clone(),
        restarts: args.restarts,
        iterations: args.iterations,
        dnn_method: args.solver.dnn_method(true)?,
        ..Default::default()
    };
    let logs = super::exit::LogsToStderr::new(args.json && args.solver.verbose);
    let out = pipeline::tightness(&data, &t)?;
    drop(logs);
    // The relaxation's status is in the source of its "solver value" row ("backend, status").
    if let Some(row) = out.rows.iter().find(|r| r.kind == "solver value (not a bound)") {
        if let Some((_, status)) = row.source.rsplit_once(", ") {
            super::exit::record_status(status);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&out).expect("serialises"));
    } else {
        print!("{out}");
    }
    Ok(())
}
