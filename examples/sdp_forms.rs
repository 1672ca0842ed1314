//! Timing of the two forms of the SDP relaxation (`sdp` = facially reduced, `sdp-full` = the
//! paper's form) with Clarabel and SCS on a few small seeded instances, with the certified lower
//! bound of each solve (see `convex_relu::certify::sdp`).
//!
//! ```text
//! cargo run --release --example sdp_forms                      # all instances, both forms, both backends
//! cargo run --release --example sdp_forms -- --instances spiral15,teacher25 --backends clarabel
//! cargo run --release --example sdp_forms -- --write-only      # only write the instance CSVs
//! cargo run --release --example sdp_forms -- --max-iterations 10   # early stop: the LB stays valid
//! ```
//!
//! Every instance is also written to `<out>/<name>.csv` (default `out/sdp-instances`; header
//! `x0..x{d-1},y0..y{c-1}`), so `benches/cvxpy_sdp.py` solves exactly the same data, and the
//! results go to `<out>/results-rust.csv`.

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::formulation::sdp::{compile, SdpForm};
use convex_relu::network::Network;
use convex_relu::certify::sdp::certify_solution;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, StandardNormal};
use std::fmt::Write as _;
use std::time::Instant;

/// 3-arm spiral in the plane (d = 2, c = 3 one-hot), `n` points, seeded.
fn spiral(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.2).unwrap();
    let classes = 3;
    let mut x = DMatrix::zeros(n, 2);
    let mut y = DMatrix::zeros(n, classes);
    for i in 0..n {
        let k = i % classes;
        let t = (i / classes) as f64 / ((n / classes).max(2) - 1) as f64;
        let theta = 4.0 * k as f64 + 4.0 * t + noise.sample(&mut rng);
        x[(i, 0)] = t * theta.sin();
        x[(i, 1)] = t * theta.cos();
        y[(i, k)] = 1.0;
    }
    Dataset::from_arrays(x, y, TargetKind::Onehot, format!("spiral n={n} seed={seed}"))
}

/// Gaussian inputs, targets from a random ReLU teacher of width 3 plus noise 0.1.
fn teacher(n: usize, d: usize, c: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // drawn row by row
    let mut g = |r: usize, k: usize| DMatrix::from_row_iterator(r, k, (0..r * k).map(|_| StandardNormal.sample(&mut rng)));
    let x: DMatrix<f64> = g(n, d);
    let net = Network { u: g(d, 3), v: g(c, 3) };
    let noise: DMatrix<f64> = g(n, c) * 0.1;
    let y = net.predict(x.as_view()) + noise;
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("planted teacher n={n} d={d} c={c} seed={seed}"))
}

fn write_csv(data: &Dataset, path: &std::path::Path) -> std::io::Result<()> {
    let mut s = String::new();
    let head: Vec<String> = (0..data.d()).map(|j| format!("x{j}")).chain((0..data.c()).map(|k| format!("y{k}"))).collect();
    s.push_str(&head.join(","));
    s.push('\n');
    for i in 0..data.n() {
        let row: Vec<String> = data.x.row(i).iter().chain(data.y.row(i).iter()).map(|v| format!("{v:.17e}")).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    std::fs::write(path, s)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let out = std::path::PathBuf::from(get("--out").unwrap_or_else(|| "out/sdp-instances".into()));
    let beta: f64 = get("--beta").map(|b| b.parse().expect("--beta")).unwrap_or(0.1);
    let time_limit: f64 = get("--time-limit").map(|b| b.parse().expect("--time-limit")).unwrap_or(120.0);
    let max_iterations: Option<u32> = get("--max-iterations").map(|b| b.parse().expect("--max-iterations"));
    let write_only = args.iter().any(|a| a == "--write-only");
    let mut instances: Vec<(String, Dataset)> = vec![
        ("spiral15".into(), spiral(15, 1)),
        ("spiral21".into(), spiral(21, 1)),
        ("spiral30".into(), spiral(30, 1)),
        ("teacher25".into(), teacher(25, 2, 5, 2)),
    ];
    if let Some(sel) = get("--instances") {
        let keep: Vec<&str> = sel.split(',').collect();
        instances.retain(|(name, _)| keep.contains(&name.as_str()));
    }
    let backends: Vec<BackendKind> = get("--backends")
        .unwrap_or_else(|| "clarabel,scs".into())
        .split(',')
        .map(|b| b.parse().expect("--backends"))
        .collect();
    let forms: Vec<SdpForm> = get("--forms")
        .unwrap_or_else(|| "sdp,sdp-full".into())
        .split(',')
        .map(|f| match f {
            "sdp" => SdpForm::Reduced,
            "sdp-full" => SdpForm::Full,
            other => panic!("unknown form {other}"),
        })
        .collect();
    std::fs::create_dir_all(&out).expect("create output directory");
    for (name, data) in &instances {
        write_csv(data, &out.join(format!("{name}.csv"))).expect("write instance");
    }
    if write_only {
        println!("wrote {} instances to {}", instances.len(), out.display());
        return;
    }
    let mut csv = String::from("instance,n,d,c,form,backend,psd_order,vars,rows,status,seconds,iterations,primal_objective,certified_lower_bound\n");
    println!("beta = {beta}, time limit {time_limit} s per solve; LB = certified lower bound from the repaired dual");
    println!("{:<10} {:>3} {:>2} {:>2} {:<9} {:<9} {:>4} {:>6} {:<16} {:>8} {:>5} {:>12} {:>12}", "instance", "n", "d", "c", "form", "backend", "ord", "vars", "status", "seconds", "iters", "objective", "LB");
    for (name, data) in &instances {
        for &form in &forms {
            let comp = compile(data, beta, form).expect("compile");
            for &kind in &backends {
                let settings = SolveSettings { time_limit_seconds: Some(time_limit), max_iterations, ..Default::default() };
                let start = Instant::now();
                let res = backend::solve(&comp.problem, kind, &settings);
                let secs = start.elapsed().as_secs_f64();
                let (status, iters, obj, lb) = match &res {
                    Ok(sol) => {
                        let b = certify_solution(&comp, sol, &[]);
                        if std::env::var_os("SDP_FORMS_DETAILS").is_some() {
                            eprintln!("  {name} {form} {kind}: {b}; {:?}", b.details);
                        }
                        let lb = if b.certified { format!("{:.6}", b.value) } else { "uncertified".into() };
                        (sol.status.name().to_string(), sol.iterations.to_string(), format!("{:.6}", sol.primal_objective), lb)
                    }
                    Err(e) => {
                        eprintln!("  {name} {form} {kind}: {e}");
                        ("error".to_string(), "-".into(), "-".into(), "-".into())
                    }
                };
                println!(
                    "{:<10} {:>3} {:>2} {:>2} {:<9} {:<9} {:>4} {:>6} {:<16} {:>8.3} {:>5} {:>12} {:>12}",
                    name,
                    data.n(),
                    data.d(),
                    data.c(),
                    form.name(),
                    kind.name(),
                    comp.layout.psd_order,
                    comp.problem.num_vars(),
                    status,
                    secs,
                    iters,
                    obj,
                    lb
                );
                let _ = writeln!(
                    csv,
                    "{name},{},{},{},{},{},{},{},{},{status},{secs:.4},{iters},{obj},{lb}",
                    data.n(),
                    data.d(),
                    data.c(),
                    form.name(),
                    kind.name(),
                    comp.layout.psd_order,
                    comp.problem.num_vars(),
                    comp.problem.num_rows()
                );
            }
        }
    }
    std::fs::write(out.join("results-rust.csv"), csv).expect("write results");
}
