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
    /// Solve a two-layer convex program (exact / gated / sampled C-ReLU) and report bounds.
    Solve(cli::solve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: convex_relu::Result<()> = match cli.command {
        Command::Solve(args) => cli::solve::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
