//! Side-by-side timing of the two backends on random max-cut SDPs (the same problem object is
//! handed to both in one run). Not a test: speed is measured here, correctness in tests/.
//!
//!     cargo run --release --example bench_backends [-- 20 40 60 100]
//!
//! Problem: max 1/4 <L, X> s.t. diag X = 1, X PSD, with L the Laplacian of a seeded random graph
//! (edge probability 1/2), built by `catalogue::maxcut`. Clarabel runs only up to
//! k = 60 (its dense PSD scaling block grows like (k(k+1)/2)^2).

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::conic::{check_solution, ConicProblem};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn maxcut(k: usize, seed: u64) -> ConicProblem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut l = DMatrix::<f64>::zeros(k, k);
    for j in 0..k {
        for i in 0..j {
            if rng.random_bool(0.5) {
                l[(i, i)] += 1.0;
                l[(j, j)] += 1.0;
                l[(i, j)] -= 1.0;
                l[(j, i)] -= 1.0;
            }
        }
    }
    convex_relu::catalogue::maxcut(&l)
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![20, 40, 60, 100] } else { sizes };
    println!("{:>5} {:>9} {:>10} {:>12} {:>9} {:>7} {:>16} {:>9} {:>9}", "k", "backend", "tolerance", "status", "seconds", "iters", "objective", "pres", "gap");
    for &k in &sizes {
        let p = maxcut(k, k as u64);
        let mut clarabel_seconds = None;
        for (kind, tol) in [(BackendKind::Clarabel, None), (BackendKind::Scs, None), (BackendKind::Scs, Some(1e-7))] {
            if kind == BackendKind::Clarabel && k > 60 {
                continue;
            }
            let sol = match backend::solve(&p, kind, &SolveSettings { tolerance: tol, ..Default::default() }) {
                Ok(s) => s,
                Err(e) => {
                    println!("{k:>5} {:>9} error: {e}", kind.name());
                    continue;
                }
            };
            let kkt = check_solution(&p, &sol.x, &sol.s, &sol.z);
            let ratio = match (kind, clarabel_seconds) {
                (BackendKind::Clarabel, _) => {
                    clarabel_seconds = Some(sol.solve_seconds);
                    String::new()
                }
                (_, Some(c)) => format!("  clarabel/scs time = {:.1}", c / sol.solve_seconds),
                _ => String::new(),
            };
            println!(
                "{k:>5} {:>9} {:>10} {:>12} {:>9.3} {:>7} {:>16.8} {:>9.1e} {:>9.1e}{ratio}",
                kind.name(),
                tol.map_or("default".to_string(), |t| format!("{t:e}")),
                sol.status.name(),
                sol.solve_seconds,
                sol.iterations,
                sol.primal_objective,
                kkt.primal_residual,
                kkt.relative_gap,
            );
        }
    }
}
