//! How the cost of the `dnn` solver grows with the size of the relaxation: seconds per ADMM
//! iteration and seconds of one certificate, against `q = n + d + c`, with least-squares
//! exponents and a log-log plot (plotters, SVG).
//!
//! ```text
//! cargo run --release --example bench_sdp -- --write-only --out out/bench-sdp     # the instance CSVs
//! OPENBLAS_NUM_THREADS=1 cargo run --release --example dnn_scaling -- \
//!     --csv out/bench-sdp/spiral60.csv,out/bench-sdp/iris-half.csv,... --iterations 200 \
//!     [--beta 0.1] [--plot docs/figures/dnn-scaling.svg]
//! ```
//!
//! Each instance runs `--iterations` ADMM iterations from zero (no tolerance stop: the tolerance
//! is set to 1e-300), so the time is the cost of that many iterations whatever the accuracy
//! reached; the certificate is then computed once from the final multiplier. Instances are
//! read as the benchmark writes them (last column the class, one-hot targets, no further
//! processing).

use convex_relu::certify::sdp::certify_dnn;
use convex_relu::data::{self, CsvOptions, TargetColumn, TargetEncoding};
use convex_relu::dnn::{self, DnnProblem, DnnSettings};
use std::path::Path;
use std::time::Instant;

mod common;
use common::{loglog_exponent, loglog_plot};

fn main() -> convex_relu::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let known = ["--csv", "--iterations", "--beta", "--plot"];
    for a in args.iter().filter(|a| a.starts_with("--")) {
        if !known.contains(&a.as_str()) {
            return Err(convex_relu::Error::InvalidArgument(format!("unknown option {a} (known: {})", known.join(" "))));
        }
    }
    let csvs = get("--csv").ok_or_else(|| convex_relu::Error::InvalidArgument("--csv a.csv,b.csv,... is required".into()))?;
    let iterations: u32 = get("--iterations").map(|v| v.parse()).transpose().map_err(|e| convex_relu::Error::InvalidArgument(format!("--iterations: {e}")))?.unwrap_or(200);
    let beta: f64 = get("--beta").map(|v| v.parse()).transpose().map_err(|e| convex_relu::Error::InvalidArgument(format!("--beta: {e}")))?.unwrap_or(0.1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("dnn scaling: {iterations} ADMM iterations per instance, beta = {beta}, OPENBLAS_NUM_THREADS = {}, load average at start {}", std::env::var("OPENBLAS_NUM_THREADS").unwrap_or_else(|_| "unset".into()), load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    println!();
    println!("| instance | n | d | c | q | memory estimate MB | s / iteration | certificate s | certified LB after {iterations} it. |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let options = CsvOptions { target: TargetColumn::Last, encoding: TargetEncoding::Onehot, ..CsvOptions::default() };
    let mut per_iteration = Vec::new();
    let mut certificate = Vec::new();
    for path in csvs.split(',') {
        let data = data::read_csv(Path::new(path), &options)?;
        let problem = DnnProblem::new(&data, beta)?;
        let q = problem.t.q();
        let settings = DnnSettings { max_iterations: iterations, tolerance: 1e-300, quiet: true, ..Default::default() };
        let sol = dnn::solve(&problem, &settings, None)?;
        let per = sol.solve_seconds / sol.iterations.max(1) as f64;
        let lam = sol.lambda(&problem)?;
        let t0 = Instant::now();
        let bound = certify_dnn(&problem, &sol.z, Some(&lam), &[]);
        let cert = t0.elapsed().as_secs_f64();
        let name = Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or(path);
        println!(
            "| {name} | {} | {} | {} | {q} | {:.0} | {per:.4} | {cert:.2} | {} |",
            data.n(),
            data.d(),
            data.c(),
            problem.memory_estimate()? as f64 / 1e6,
            if bound.certified { format!("{:.6}", bound.value) } else { "not certified".into() }
        );
        per_iteration.push((q as f64, per));
        certificate.push((q as f64, cert));
    }
    println!();
    for (name, pts) in [("s / iteration", &per_iteration), ("certificate s", &certificate)] {
        match loglog_exponent(pts) {
            Some(e) => println!("{name}: least-squares exponent in q: {e:.2}"),
            None => println!("{name}: fewer than 3 instances, no exponent"),
        }
    }
    if let Some(p) = get("--plot") {
        let series = [("s / iteration".to_string(), per_iteration), ("certificate s".to_string(), certificate)];
        loglog_plot(Path::new(&p), "dnn: seconds against the order q of the relaxation (log-log)", "q = n + d + c", "seconds", "q", &series)
            .map_err(|e| convex_relu::Error::InvalidArgument(format!("plot {p}: {e}")))?;
        println!("plot: {p}");
    }
    Ok(())
}
