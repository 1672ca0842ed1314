//! Development probe: the `dnn` solver on one instance, optionally beside Clarabel (`--clarabel`)
//! and SCS (`--scs`, with both certified bounds), printing each solver's value and certified bound.
//! `--clarabel` solves both the program on the raw rows and the one with tied rows merged
//! ([`convex_relu::formulation::sdp_merged`], what `solve` runs).
//!
//!     cargo run --release --example dnn_probe -- [ref1d | spiral N | teacher N | csv] [beta] [tol] [-v] [--clarabel] [--scs]
//!
//! `csv` reads `CSV=path` (last column the class, one-hot, standardised). Solver knobs from the
//! environment (defaults otherwise): `KAPPA`, `RHO`, `ADAPT` (rebalance period), `MAXIT`, `TL`
//! (seconds), `HALPERN`, `AA` (Anderson memory), `SCALEA` (scale of the a block), `METHOD` (auto, admm, ipm, ipm-working-set, ssnal; default admm), `SIGMA`, `SIGMAX`, `TAU`, `ADMMIT`, `CGIT` (ssnal settings), `MIXED=0` (interior point in double precision only), `BIAS` (append a bias column), `RAW` (csv: no standardisation),
//! `CTOL` (Clarabel's tolerance on the merged program), `CVERBOSE` (its log).
use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::certify::sdp::{certify_dnn, certify_solution};
use convex_relu::dnn::{self, DnnProblem, DnnSettings};
use convex_relu::formulation::sdp::{compile, SdpForm};
use std::time::Instant;

fn main() -> convex_relu::Result<()> {
    // The same heap settings as the command-line tool.
    convex_relu::allocator::tune_for_large_solves();
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map(String::as_str).unwrap_or("ref1d");
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(30);
    let beta: f64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0.1);
    let tol: f64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1e-6);
    let clarabel = args.iter().any(|a| a == "--clarabel");
    let data = match kind {
        "spiral" => convex_relu::data::synth::spirals(size, 3, 0.0, 1)?,
        "teacher" => convex_relu::data::synth::planted_relu(size, 2, 3, 5, 0.1, 2)?.0,
        "csv" => {
            let path = std::env::var("CSV").expect("CSV=path");
            let opts = convex_relu::data::csv::CsvOptions { encoding: convex_relu::data::TargetEncoding::Onehot, ..Default::default() };
            let mut d = convex_relu::data::csv::read_csv(&path, &opts)?;
            if std::env::var("RAW").is_err() {
                convex_relu::data::transform::standardize(&mut d)?;
            }
            d
        }
        _ => convex_relu::data::synth::reference_1d(),
    };
    let mut data = data;
    if std::env::var("BIAS").is_ok() {
        convex_relu::data::transform::append_bias(&mut data);
    }
    println!("data {kind} n={} d={} c={} beta={beta}", data.n(), data.d(), data.c());
    let prob = DnnProblem::new(&data, beta)?;
    let kappa = std::env::var("KAPPA").ok().and_then(|s| s.parse().ok());
    let rho = std::env::var("RHO").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let adapt_every = std::env::var("ADAPT").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    let max_iterations = std::env::var("MAXIT").ok().and_then(|s| s.parse().ok()).unwrap_or(50000);
    let halpern = std::env::var("HALPERN").is_ok();
    let anderson_memory = std::env::var("AA").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let time_limit_seconds = std::env::var("TL").ok().and_then(|s| s.parse().ok());
    let scale_a = std::env::var("SCALEA").ok().and_then(|s| s.parse().ok());
    let method = dnn::DnnMethod::parse(&std::env::var("METHOD").unwrap_or_else(|_| "admm".into()))?;
    let env_f = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<f64>().ok());
    let mut ssnal = dnn::ssnal::SsnalSettings::default();
    if let Some(v) = env_f("SIGMA") {
        ssnal.sigma = v;
    }
    if let Some(v) = env_f("SIGMAX") {
        ssnal.sigma_max = v;
    }
    if let Some(v) = env_f("TAU") {
        ssnal.tau = v;
    }
    if let Some(v) = env_f("ADMMIT") {
        ssnal.admm_iterations = v as u32;
    }
    if let Some(v) = env_f("CGIT") {
        ssnal.cg_iterations = v as u32;
    }
    let ipm_single_precision_from = match std::env::var("MIXED").ok().as_deref() {
        Some("0") => None,
        Some(k) => k.parse().ok().or(DnnSettings::default().ipm_single_precision_from),
        None => DnnSettings::default().ipm_single_precision_from,
    };
    // PRECOND=0: factor the normal matrix from the first iteration; PRECOND=k: the low-rank
    // preconditioner from normal matrices of order k; PTERMS: the number of terms it keeps.
    let ipm_preconditioned_from = match std::env::var("PRECOND").ok().as_deref() {
        Some("0") => None,
        Some(k) => k.parse().ok().or(DnnSettings::default().ipm_preconditioned_from),
        None => DnnSettings::default().ipm_preconditioned_from,
    };
    let ipm_preconditioner_terms = env_f("PTERMS").map(|v| v as usize);
    // SCAP=none: the working set's capacitance matrices always in double precision; SCAP=k: in
    // single precision from order k.
    let ipm_single_capacitance_from = match std::env::var("SCAP").ok().as_deref() {
        Some("none") => None,
        Some(k) => k.parse().ok().or(DnnSettings::default().ipm_single_capacitance_from),
        None => DnnSettings::default().ipm_single_capacitance_from,
    };
    // WSADD=k: inequalities added per working-set round; WSDROP=0: keep the inactive ones.
    let working_set_added = env_f("WSADD").map(|v| v as usize);
    let working_set_drop_inactive = std::env::var("WSDROP").map_or(true, |v| v != "0");
    // AUG=0: no augmented system (the normal matrix is factored where GMRES misses its accuracy).
    let ipm_augmented = std::env::var("AUG").map_or(true, |v| v != "0");
    let st = DnnSettings { ipm_augmented, working_set_added, working_set_drop_inactive, method, ipm_single_precision_from, ipm_preconditioned_from, ipm_preconditioner_terms, ipm_single_capacitance_from, scale_a, tolerance: tol, kappa, rho, adapt_every, max_iterations, halpern, time_limit_seconds, anderson_memory, ssnal, verbose: args.iter().any(|a| a == "-v"), ..Default::default() };
    let t0 = Instant::now();
    let sol = dnn::solve(&prob, &st, None)?;
    let lam = sol.lambda(&prob)?;
    if std::env::var("NORMS").is_ok() {
        println!("norms: ||S|| {:.3e}  ||Z|| {:.3e}  ||Lambda1|| {:.3e}  max|Z| {:.3e}", sol.s.norm(), sol.z.norm(), sol.state.lambda1.norm(), sol.z.amax());
    }
    let b = certify_dnn(&prob, &sol.z, Some(&lam), &[]);
    println!(
        "dnn {}: {} it={} {:.2}s pobj={:.9} dobj={:.9} rp={:.1e} rd={:.1e} gap={:.1e} | LB={:.9} ({}, refined from {:.9} in {} steps) mu={:.3e} nu={:.3e} ub={:.6} [{:.2}s total]",
        sol.method.name(), sol.status, sol.iterations, sol.solve_seconds, sol.primal_objective, sol.dual_objective, sol.primal_residual, sol.dual_residual, sol.gap,
        b.value, b.certified, b.details.value_before_refinement, b.details.refinement_steps, b.details.mu, b.details.nu, b.details.upper_bound_used, t0.elapsed().as_secs_f64()
    );
    if args.iter().any(|a| a == "--scs") {
        let comp = compile(&data, beta, SdpForm::Reduced)?;
        let t0 = Instant::now();
        let s = convex_relu::backend::solve(&comp.problem, BackendKind::Scs, &SolveSettings { tolerance: Some(1e-5), time_limit_seconds: Some(300.0), ..Default::default() })?;
        let b = certify_solution(&comp, &s, &[]);
        println!("scs: {} {:.2}s pobj={:.9} LB={:.9} (before refinement {:.9} in {} steps; single trace bound {:.9}) mu={:.3e} nu={:.3e}", s.status, t0.elapsed().as_secs_f64(), s.primal_objective, b.value, b.details.value_before_refinement, b.details.refinement_steps, b.details.single_trace_bound_value, b.details.mu, b.details.nu);
    }
    if clarabel {
        let comp = compile(&data, beta, SdpForm::Reduced)?;
        let t0 = Instant::now();
        let s = convex_relu::backend::solve(&comp.problem, BackendKind::Clarabel, &SolveSettings::default())?;
        let b = certify_solution(&comp, &s, &[]);
        println!("clarabel (raw rows): {} {:.2}s pobj={:.9} LB={:.9} (before refinement {:.9} in {} steps) mu={:.3e}", s.status, t0.elapsed().as_secs_f64(), s.primal_objective, b.value, b.details.value_before_refinement, b.details.refinement_steps, b.details.mu);
        // The route `solve` takes: tied rows merged, value and bound mapped back.
        let merged = convex_relu::formulation::sdp_merged::compile(&data, beta, SdpForm::Reduced)?;
        let t0 = Instant::now();
        let ctol = std::env::var("CTOL").ok().and_then(|s| s.parse().ok());
        let s = convex_relu::backend::solve(&merged.compiled.problem, BackendKind::Clarabel, &SolveSettings { tolerance: ctol, verbose: std::env::var("CVERBOSE").is_ok(), ..Default::default() })?;
        let b = merged.certify(&s, &[]);
        println!(
            "clarabel (merged rows, {}): {} {:.2}s pobj={:.9} LB={:.9} mu={:.3e}",
            merged.note().unwrap_or_else(|| "nothing to merge".into()),
            s.status,
            t0.elapsed().as_secs_f64(),
            merged.objective(&s),
            b.value,
            b.details.mu
        );
    }
    Ok(())
}
