//! Benchmark driver for the exact C-ReLU program: builds and solves a few seeded instances with
//! convex-relu + Clarabel and writes them (data, patterns, our optimum and timings) to a JSON
//! file that benches/cvxpy_exact.py re-solves with cvxpy + Clarabel on the same patterns.
//!
//! Run through scripts/bench-cvxpy.sh, or: `cargo run --release --example bench_exact -- out/bench/instances.json`
//! (release matters: in the dev profile Clarabel's generic solver, monomorphised in this crate, runs
//! at opt-level 0 and is ~10x slower).
//! Times are the best of REPEATS runs: `compile` = pattern enumeration + conic assembly,
//! `solve` = Clarabel (setup included) as measured by the backend.

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::formulation::crelu;
use convex_relu::network::Network;
use convex_relu::patterns::Budget;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde_json::json;
use std::time::Instant;

const REPEATS: usize = 3;
const BETA: f64 = 0.1;

fn instance(n: usize, d: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    // drawn row by row
    let x = DMatrix::from_row_iterator(n, d, (0..n * d).map(|_| g()));
    let u = DMatrix::from_row_iterator(d, 3, (0..d * 3).map(|_| g()));
    let v = DMatrix::from_row_slice(1, 3, &[1.0, -1.0, 0.5]);
    let mut y = Network { u, v }.predict(x.as_view());
    y.apply(|t| *t += 0.1 * g()); // one column: row order
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("bench n={n} d={d} seed={seed}"))
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "out/bench/instances.json".into());
    let sizes = [(10, 2), (20, 2), (40, 2), (15, 3), (25, 3), (40, 3), (12, 4)];
    let settings = SolveSettings { tolerance: Some(1e-8), ..Default::default() };
    let mut list = Vec::new();
    for (k, &(n, d)) in sizes.iter().enumerate() {
        let data = instance(n, d, 500 + k as u64);
        let (mut best_compile, mut best_solve) = (f64::INFINITY, f64::INFINITY);
        let mut result = None;
        for _ in 0..REPEATS {
            let t = Instant::now();
            let c = crelu::exact(&data, BETA, &Budget::default()).expect("compiles");
            best_compile = best_compile.min(t.elapsed().as_secs_f64());
            let sol = backend::solve(&c.problem, BackendKind::Clarabel, &settings).expect("clarabel runs");
            best_solve = best_solve.min(sol.solve_seconds);
            let obj = c.layout.crelu_objective(&data, &sol.x).unwrap();
            result = Some((c, sol, obj));
        }
        let (c, sol, obj) = result.unwrap();
        eprintln!(
            "n = {n:3} d = {d}: {:5} patterns, objective {obj:.8}, compile {best_compile:.4} s, solve {best_solve:.4} s ({})",
            c.layout.patterns.len(),
            sol.status
        );
        let patterns: Vec<String> =
            c.layout.patterns.iter().map(|p| p.to_bools().iter().map(|&b| if b { '1' } else { '0' }).collect()).collect();
        list.push(json!({
            "name": format!("gauss-n{n}-d{d}"),
            "n": n, "d": d, "beta": BETA,
            "x": data.x.row_iter().map(|r| r.iter().copied().collect::<Vec<f64>>()).collect::<Vec<_>>(),
            "y": data.y.column(0).iter().copied().collect::<Vec<f64>>(),
            "patterns": patterns,
            "rust": {
                "status": sol.status.name(),
                "objective": obj,
                "solver_objective": sol.primal_objective,
                "compile_seconds": best_compile,
                "solve_seconds": best_solve,
                "iterations": sol.iterations,
                "variables": c.problem.num_vars(),
                "rows": c.problem.num_rows(),
                "nnz": c.problem.a.nnz(),
            }
        }));
    }
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("create output directory");
    }
    std::fs::write(&out, serde_json::to_string(&json!({ "repeats": REPEATS, "instances": list })).unwrap()).expect("write");
    eprintln!("wrote {out}");
}
