//! Command-line subcommands, one module each. Every module exposes a clap `Args` struct and a
//! `run(&Args) -> convex_relu::Result<()>`; `main.rs` only dispatches.

pub mod convert;
pub mod cpp;
pub mod data_args;
pub mod demo;
pub mod exit;
pub mod grid;
pub mod solve;
pub mod solve_file;
pub mod solver_args;
pub mod three_layer;
pub mod tightness;
pub mod train;
