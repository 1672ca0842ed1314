//! The `convex-relu` command-line tool.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Train two-layer ReLU networks through convex programs, with certified optimality gaps.
#[derive(Debug, Parser)]
#[command(
    name = "convex-relu",
    version,
    about,
    after_help = "Exit codes: 0 solved (or no solver run), 1 error, 2 usage error, 3 a solve stopped early \
                  (inaccurate, iteration or time limit), 4 a solve failed (infeasible, unbounded, numerical error); \
                  see README.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Non-convex baseline: train by full-batch Adam / momentum from seeded random restarts.
    Train(cli::train::TrainArgs),
    /// Solve a two-layer convex program (exact / gated / sampled C-ReLU, sdp / sdp-full relaxation) and report bounds.
    Solve(cli::solve::Args),
    /// Compare the relaxation bound, rounded networks, non-convex training and the exact optimum.
    Tightness(cli::tightness::Args),
    /// The main job on the embedded reference instance (reference-1d, beta = 0.1).
    Demo(cli::demo::Args),
    /// Solve a conic problem file (.json, .cbf or .dat-s) and check the answer independently.
    SolveFile(cli::solve_file::Args),
    /// The completely positive program: export its description, check a network's lift.
    Cpp(cli::cpp::Args),
    /// Convert a conic problem file between formats (.json, .dat-s, .cbf; by extension).
    Convert(cli::convert::Args),
    /// Evaluate the training objective of a saved two- or three-layer network on data.
    Evaluate(cli::three_layer::EvaluateArgs),
    /// One instance of a data x beta x seed study grid by index (Slurm arrays, GNU parallel).
    Grid(cli::grid::Args),
}

fn main() -> ExitCode {
    // Heap settings for the solvers' many short-lived blocks (module docs of the allocator).
    convex_relu::allocator::tune_for_large_solves();
    let cli = Cli::parse();
    cli::exit::run_guarded(move || {
        let result = match &cli.command {
            Command::Train(args) => cli::train::run(args),
            Command::Solve(args) => cli::solve::run(args),
            Command::Tightness(args) => cli::tightness::run(args),
            Command::Demo(args) => cli::demo::run(args),
            Command::SolveFile(args) => cli::solve_file::run(args),
            Command::Convert(args) => cli::convert::run(args),
            Command::Cpp(args) => cli::cpp::run(args),
            Command::Evaluate(args) => cli::three_layer::evaluate(args),
            Command::Grid(args) => cli::grid::run(args),
        };
        if let Err(e) = &result {
            report_error(e);
        }
        cli::exit::exit_code(&result)
    })
}

fn report_error(e: &convex_relu::Error) {
    let mut msg = format!("error: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!(": {text}"));
        }
        source = s.source();
    }
    eprintln!("{msg}");
}
