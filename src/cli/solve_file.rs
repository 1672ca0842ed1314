//! `convex-relu solve-file`: solve a conic problem stored in a file.

use clap::Args as ClapArgs;
use convex_relu::backend;
use convex_relu::conic::check_solution;
use convex_relu::export;
use convex_relu::Result;
use serde_json::json;
use std::path::PathBuf;

/// Solve a conic problem file (convex-relu JSON, CBF or SDPA) and check the answer independently.
///
/// The problem is solved as stored; the `settings` object inside a JSON file is ignored
/// (the options below set the solver). After the solve, the residuals of the returned point
/// are recomputed from the problem data alone (the solver-independent KKT check).
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The problem file: `.json` (convex-relu / Clarabel JSON), `.cbf` (conic benchmark format)
    /// or `.dat-s` (SDPA sparse; equalities written as pairs of inequalities stay that way).
    pub problem: PathBuf,
    #[command(flatten)]
    pub solver: super::solver_args::SolverArgs,
    /// Print one JSON object on stdout instead of the human summary: status, backend,
    /// objective, dual_objective, iterations, solve_seconds, residuals {primal_residual,
    /// dual_residual, gap, slack_cone_violation, dual_cone_violation, primal_objective,
    /// dual_objective} recomputed from the problem data, and the problem's format and sizes.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    let file = export::read(&args.problem)?;
    let problem = &file.problem;
    let settings = args.solver.settings()?;
    args.solver.dnn_method(false)?;
    let logs = super::exit::LogsToStderr::new(args.json && args.solver.verbose);
    let sol = backend::solve(problem, args.solver.backend, &settings)?;
    drop(logs);
    super::exit::record_status(sol.status.name());
    let chk = check_solution(problem, &sol.x, &sol.s, &sol.z);
    if args.json {
        let out = json!({
            "problem": args.problem.display().to_string(),
            "format": file.format.name(),
            "n": problem.num_vars(),
            "m": problem.num_rows(),
            "status": sol.status.name(),
            "backend": sol.backend.name(),
            "objective": sol.primal_objective,
            "dual_objective": sol.dual_objective,
            "iterations": sol.iterations,
            "solve_seconds": sol.solve_seconds,
            "residuals": {
                "primal_residual": chk.primal_residual,
                "dual_residual": chk.dual_residual,
                "gap": chk.relative_gap,
                "slack_cone_violation": chk.slack_cone_violation,
                "dual_cone_violation": chk.dual_cone_violation,
                "primal_objective": chk.primal_objective,
                "dual_objective": chk.dual_objective,
            },
        });
        println!("{out}");
    } else {
        println!("problem         {} ({}; n = {}, m = {})", args.problem.display(), file.format, problem.num_vars(), problem.num_rows());
        if let Some(f) = &file.meta.formulation {
            println!("formulation     {f}");
        }
        println!("backend         {}", sol.backend);
        println!("status          {}", sol.status);
        println!("objective       {:.10e}", sol.primal_objective);
        println!("dual objective  {:.10e}", sol.dual_objective);
        println!("iterations      {}", sol.iterations);
        println!("solve time      {:.3} s", sol.solve_seconds);
        println!("KKT check (recomputed from the problem data):");
        println!("  primal residual ||Ax + s - b||_inf   {:.3e}", chk.primal_residual);
        println!("  dual residual   ||Px + q + A'z||_inf {:.3e}", chk.dual_residual);
        println!("  relative gap                         {:.3e}", chk.relative_gap);
        println!("  cone violations (s in K, z in K*)    {:.3e}, {:.3e}", chk.slack_cone_violation, chk.dual_cone_violation);
    }
    Ok(())
}
