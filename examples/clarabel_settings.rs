//! Clarabel's settings on the reduced SDP relaxation: one solve per call, with the linear solver,
//! its threads and the pre-processing chosen on the command line (the measurements behind the
//! choice of defaults in `backend::clarabel`, see docs/backends.md).
//!
//! ```text
//! cargo run --release --example clarabel_settings -- out/bench-sdp/spiral60.csv --method faer --threads 1
//! cargo run --release --example clarabel_settings -- FILE.csv --method qdldl --equilibrate false --presolve false
//! cargo run --release --example clarabel_settings -- FILE.csv --setup-only    # only the setup (its peak memory)
//! ```
//!
//! The CSV is read as `convex-relu solve --data FILE.csv --targets onehot` reads it (last column
//! = class name). Prints one line: method, threads, status, iterations, seconds, objective, and
//! the problem's size (variables, rows, nonzeros of A, PSD order).

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SupportedConeT};
use convex_relu::backend::clarabel::settings;
use convex_relu::backend::SolveSettings;
use convex_relu::conic::Cone;
use convex_relu::data::{self, CsvOptions, TargetColumn, TargetEncoding};
use convex_relu::formulation::sdp::{compile, SdpForm};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let path = args.first().expect("usage: clarabel_settings FILE.csv [--method faer|qdldl|auto] [--threads N] [--equilibrate BOOL] [--presolve BOOL] [--beta B]");
    let options = CsvOptions { target: TargetColumn::Last, encoding: TargetEncoding::Onehot, ..CsvOptions::default() };
    let data = data::read_csv(std::path::Path::new(path), &options).expect("read the CSV");
    let beta: f64 = get("--beta").map_or(0.1, |b| b.parse().expect("--beta"));
    let comp = compile(&data, beta, SdpForm::Reduced).expect("compile");
    let pr = &comp.problem;
    let mut s: DefaultSettings<f64> = settings(&SolveSettings::default());
    if let Some(m) = get("--method") {
        s.direct_solve_method = m;
    }
    if let Some(t) = get("--threads") {
        s.max_threads = t.parse().expect("--threads");
    }
    if let Some(e) = get("--equilibrate") {
        s.equilibrate_enable = e.parse().expect("--equilibrate true|false");
    }
    if let Some(p) = get("--presolve") {
        s.presolve_enable = p.parse().expect("--presolve true|false");
    }
    if let Some(c) = get("--chordal") {
        s.chordal_decomposition_enable = c.parse().expect("--chordal true|false");
    }
    s.verbose = args.iter().any(|a| a == "--verbose");
    let conv = |m: &convex_relu::conic::Csc| {
        let m = if m.is_csc() { m.clone() } else { m.to_csc() };
        let (r, c) = m.shape();
        let (p, i, v) = m.into_raw_storage();
        CscMatrix::new(r, c, p, i, v)
    };
    let cones: Vec<SupportedConeT<f64>> = pr
        .cones
        .iter()
        .map(|c| match *c {
            Cone::Zero(k) => SupportedConeT::ZeroConeT(k),
            Cone::Nonnegative(k) => SupportedConeT::NonnegativeConeT(k),
            Cone::SecondOrder(k) => SupportedConeT::SecondOrderConeT(k),
            Cone::Psd(k) => SupportedConeT::PSDTriangleConeT(k),
        })
        .collect();
    let label = format!("method={} threads={} equilibrate={} presolve={}", s.direct_solve_method, s.max_threads, s.equilibrate_enable, s.presolve_enable);
    let t0 = Instant::now();
    let mut solver = DefaultSolver::new(&conv(&pr.p), &pr.q, &conv(&pr.a), &pr.b, &cones, s).expect("setup");
    let setup = t0.elapsed().as_secs_f64();
    if args.iter().any(|a| a == "--setup-only") {
        // the memory Clarabel allocates before its first iteration (measure with /usr/bin/time)
        let mb = |b: Option<u64>| b.unwrap_or(u64::MAX) as f64 / 1048576.0;
        println!(
            "{path}: setup {setup:.2}s, estimates: clarabel {:.0} MB, scs {:.0} MB",
            mb(convex_relu::backend::clarabel::memory_estimate(pr)),
            mb(convex_relu::backend::scs::memory_estimate(pr))
        );
        return;
    }
    solver.solve();
    let sol = &solver.solution;
    println!(
        "{} n={} vars={} rows={} nnzA={} psd={} | {label} | {:?} iters={} setup={setup:.2}s total={:.2}s objective={:.9}",
        path,
        data.n(),
        pr.num_vars(),
        pr.num_rows(),
        pr.a.nnz(),
        comp.layout.psd_order,
        sol.status,
        sol.iterations,
        t0.elapsed().as_secs_f64(),
        sol.obj_val
    );
}
