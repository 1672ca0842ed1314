//! `convex-relu cpp`: the completely positive program of a data set as a first-class object.
//!
//! * `--export OUT.json` writes its description (format `convex-relu-cpp`, docs/cpp.md): the data
//!   X, Y, beta, the constraint map M = [-I, I, X, 0], the complementarity pairs, the block layout
//!   and the cone named `completely_positive` with its nonnegative coordinates (the A and B blocks).
//! * `--check NETWORK.json` lifts a saved network (`Lambda = sum_j z_j z_j'`,
//!   `z_j = (s(X u_j), s(-X u_j), u_j, v_j)`) and verifies that the lift is feasible for the CPP,
//!   the decomposition being the certificate of complete positivity, and that its CPP objective
//!   equals the network's training objective.

use super::data_args::{load_data, DataArgs};
use convex_relu::error::{Error, Result};
use convex_relu::formulation::cpp::{check_network, CppDescription};
use convex_relu::network::Network;
use std::path::PathBuf;

/// Arguments of `convex-relu cpp`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Weight decay beta > 0.
    #[arg(long)]
    pub beta: f64,
    /// Write the CPP description as JSON to this file.
    #[arg(long, value_name = "OUT.json")]
    pub export: Option<PathBuf>,
    /// Overwrite the --export file if it exists.
    #[arg(long, alias = "overwrite")]
    pub force: bool,
    /// Check that the lift of this saved network (from `train` or `solve --save-network`) is
    /// feasible for the CPP with the same objective.
    #[arg(long, value_name = "NETWORK.json")]
    pub check: Option<PathBuf>,
    /// Print the check as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    if !(args.beta.is_finite() && args.beta > 0.0) {
        return Err(Error::InvalidArgument(format!("--beta must be a positive number, found {}", args.beta)));
    }
    if args.export.is_none() && args.check.is_none() {
        return Err(Error::InvalidArgument("nothing to do: pass --export OUT.json and/or --check NETWORK.json".into()));
    }
    if let Some(path) = &args.export {
        convex_relu::files::check_output(path, args.force, "--export")?;
    }
    let data = load_data(&args.data)?;
    if let Some(path) = &args.export {
        let description = CppDescription::new(&data, args.beta)?;
        convex_relu::files::write_text(path, &(description.to_json() + "\n"), args.force)?;
        if !args.json {
            println!("wrote the completely positive program (n = {}, d = {}, c = {}) to {}", data.n(), data.d(), data.c(), path.display());
        }
    }
    if let Some(path) = &args.check {
        let network = Network::load(path)?;
        let check = check_network(&data, args.beta, &network)?;
        if args.json {
            println!("{}", serde_json::to_string(&check).map_err(|e| Error::InvalidArgument(e.to_string()))?);
        } else {
            println!("lift of {} ({} generators)", path.display(), check.generators);
            println!("  max |M Lambda M'|          {:.3e}", check.m_residual);
            println!("  max |diag Lambda_AB|       {:.3e}", check.complementarity_residual);
            println!("  generator sign violation   {:.3e}", check.generator_sign_violation);
            println!("  CPP objective              {:.10}", check.cpp_objective);
            println!("  network objective          {:.10}", check.network_objective);
            println!("  {}", if check.feasible { "feasible: the lift is a point of the CPP with the network's objective" } else { "NOT feasible" });
        }
    }
    Ok(())
}
