//! `convex-relu`: the command-line tool. See `convex-relu --help`.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Train ReLU networks through convex programs and report certified optimality gaps.
#[derive(Parser)]
#[command(name = "convex-relu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a conic problem file (.json, .cbf or .dat-s) and check the answer independently.
    SolveFile(cli::solve_file::Args),
    /// Convert a conic problem file between formats (.json, .dat-s, .cbf; by extension).
    Convert(cli::convert::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: convex_relu::Result<()> = match &cli.command {
        Command::SolveFile(args) => cli::solve_file::run(args),
        Command::Convert(args) => cli::convert::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
