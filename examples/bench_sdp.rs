//! The SDP relaxation side by side, in one run, on the same data: the paper's pipeline (cvxpy
//! building the full form, SCS at eps 1e-4), cvxpy's reduced form with Clarabel, and our CLI
//! routes `convex-relu solve --formulation sdp --backend {clarabel,scs,dnn} --json` (`dnn-ipm`,
//! `dnn-admm`, `dnn-ssnal`: the `dnn` backend with `--dnn-method ipm` / `admm` / `ssnal`; `dnn`
//! lets it choose).
//!
//! Every route runs as a subprocess under `/usr/bin/time -f '%e %M'` (wall seconds, peak
//! resident memory of the largest process), in its own process group, killed after its time
//! limit plus a margin. The instances are written as CSV files (header `x0..x{d-1},label`,
//! values printed with 17 significant digits) and both cvxpy and our CLI read those files, so
//! every route solves exactly the same numbers.
//!
//! ```text
//! scripts/bench-sdp.sh [--instances spiral60,iris-half] [--routes clarabel,scs,dnn,paper,cvxpy-clarabel]
//!                      [--time-limit 600] [--beta 0.1] [--tolerance T] [--out out/bench-sdp] [--plot docs/benchmarks-sdp-scaling.svg]
//! cargo run --release --example bench_sdp -- --write-only       # only write the instance CSVs
//! cargo run --release --example bench_sdp -- --from-results out/bench-sdp/results.csv --plot docs/benchmarks-sdp-scaling.svg
//! ```
//!
//! `--from-results` prints the table and draws the plot again from the `results.csv` of an
//! earlier run (for example after concatenating the rows of several runs) without solving.
//!
//! Instances (all beta = 0.1 unless `--beta`, targets one-hot):
//!
//! | name          | rows | processing                                                              |
//! |---------------|------|-------------------------------------------------------------------------|
//! | spiral60      | 60   | `synth::spirals(60, 3, 0.2, seed 1)`, raw (d = 2, c = 3)                |
//! | iris-head75   | 75   | the first 75 rows of iris, raw features, no bias (d = 4, c = 2)         |
//! | iris-half     | 75   | stratified half of iris (`train_test_split(0.5, seed 0)`), standardised, bias |
//! | iris          | 150  | all of iris, standardised, bias (d = 5, c = 3)                          |
//! | ionosphere-half | 175 | stratified half of ionosphere, standardised, bias (d = 35, c = 2)      |
//! | banknote-half | 686  | stratified half of banknote, standardised, bias (d = 5, c = 2)          |
//! | digits-pca20  | 1000 | 1000 seeded rows of digits, centred, projected on the first 20 principal components of those rows, standardised, bias (d = 21, c = 10) |
//!
//! Columns of the table: route status, wall seconds and peak MB of the subprocess, the solver's
//! own seconds, the primal objective as the route reports it (not a bound), the certified lower
//! bound (our routes only: `lower_bound` of the JSON report when `certified`), and the relative
//! gap `(primal - LB) / |LB|`. The scaling plot (`--plot`) draws wall time against n on log-log
//! axes for every route with a finished instance, with the least-squares exponent where a
//! route finished at least three instances.

use convex_relu::data::{self, synth, transform, CsvOptions, Dataset, TargetColumn, TargetEncoding};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{loglog_exponent, loglog_plot};

const ALL_INSTANCES: [&str; 7] = ["spiral60", "iris-head75", "iris-half", "iris", "ionosphere-half", "banknote-half", "digits-pca20"];
const DEFAULT_INSTANCES: &str = "spiral60,iris-half,iris,ionosphere-half,banknote-half,digits-pca20";
const ALL_ROUTES: [&str; 9] = ["clarabel", "scs", "dnn", "dnn-ipm", "dnn-ipm-working-set", "dnn-admm", "dnn-ssnal", "paper", "cvxpy-clarabel"];

fn named(name: &str) -> Dataset {
    let options = CsvOptions { target: TargetColumn::Last, encoding: TargetEncoding::Onehot, ..CsvOptions::default() };
    let path = data::resolve(name).unwrap_or_else(|e| panic!("data set {name}: {e}"));
    data::read_csv(&path, &options).unwrap_or_else(|e| panic!("data set {name}: {e}"))
}

fn standardised_with_bias(mut d: Dataset) -> Dataset {
    transform::standardize(&mut d).expect("standardise");
    transform::append_bias(&mut d);
    d
}

fn half(name: &str, rows: usize) -> Dataset {
    let all = named(name);
    let (train, _) = transform::train_test_split(&all, 0.5, 0, true).expect("split");
    let keep: Vec<usize> = (0..train.n().min(rows)).collect();
    standardised_with_bias(train.select_rows(&keep).expect("rows"))
}

/// 1000 seeded rows of digits, centred, projected on the top 20 principal components of those
/// rows ([`transform::Pca`]).
fn digits_pca20() -> Dataset {
    let all = named("digits");
    let mut idx: Vec<usize> = (0..all.n()).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(0));
    idx.truncate(1000);
    idx.sort_unstable();
    let mut out = all.select_rows(&idx).expect("rows");
    let pca = transform::Pca::fit(out.x.as_view(), 20).expect("principal components");
    pca.apply_to(&mut out).expect("principal components");
    out.source = "digits, 1000 seeded rows, PCA-20".into();
    standardised_with_bias(out)
}

fn instance(name: &str) -> Dataset {
    match name {
        "spiral60" => synth::spirals(60, 3, 0.2, 1).expect("spirals"),
        "iris-head75" => {
            let all = named("iris");
            let keep: Vec<usize> = (0..75).collect();
            let mut d = all.select_rows(&keep).expect("rows");
            // only the classes present in these rows (setosa, versicolor)
            let used: Vec<usize> = (0..d.c()).filter(|&k| d.y.column(k).iter().any(|&v| v != 0.0)).collect();
            d.y = d.y.select_columns(&used);
            d.class_names = used.iter().map(|&k| d.class_names[k].clone()).collect();
            d
        }
        "iris-half" => half("iris", 75),
        "iris" => standardised_with_bias(named("iris")),
        "ionosphere-half" => half("ionosphere", 175),
        "banknote-half" => half("banknote", 686),
        "digits-pca20" => digits_pca20(),
        other => panic!("unknown instance {other} (known: {})", ALL_INSTANCES.join(", ")),
    }
}

/// Writes `x0..x{d-1},label` with the class name of each row (one-hot targets).
fn write_csv(data: &Dataset, path: &Path) -> std::io::Result<()> {
    let labels = data.class_labels().expect("class targets");
    let mut s = String::new();
    let head: Vec<String> = (0..data.d()).map(|j| format!("x{j}")).chain(std::iter::once("label".to_string())).collect();
    s.push_str(&head.join(","));
    s.push('\n');
    for (i, &l) in labels.iter().enumerate() {
        let row: Vec<String> = data.x.row(i).iter().map(|v| format!("{v:.17e}")).collect();
        let _ = writeln!(s, "{},{}", row.join(","), data.class_names[l]);
    }
    std::fs::write(path, s)
}

#[derive(Clone, Debug)]
struct Row {
    instance: String,
    n: usize,
    d: usize,
    c: usize,
    route: String,
    status: String,
    wall: Option<f64>,
    peak_mb: Option<f64>,
    solve_s: Option<f64>,
    primal: Option<f64>,
    lower: Option<f64>,
}

impl Row {
    fn gap(&self) -> Option<f64> {
        match (self.primal, self.lower) {
            (Some(p), Some(l)) if l != 0.0 => Some((p - l) / l.abs()),
            _ => None,
        }
    }
}

/// Runs `cmd` under `/usr/bin/time` in its own process group; kills the group after `limit`.
/// Returns (exit ok, stdout, stderr, wall, peak MB, killed).
fn timed(cmd: &[String], limit: f64, scratch: &Path) -> (bool, String, String, Option<f64>, Option<f64>, bool) {
    use std::os::unix::process::CommandExt;
    let tfile = scratch.join("time.txt");
    let ofile = scratch.join("stdout.txt");
    let efile = scratch.join("stderr.txt");
    let _ = std::fs::remove_file(&tfile);
    let mut child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&tfile)
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&ofile).expect("scratch file"))
        .stderr(std::fs::File::create(&efile).expect("scratch file"))
        .process_group(0)
        .spawn()
        .expect("start /usr/bin/time (Debian package `time`)");
    let start = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if !killed && start.elapsed().as_secs_f64() > limit {
            // the whole group: /usr/bin/time and the solver under it
            let _ = Command::new("kill").arg("-KILL").arg("--").arg(format!("-{}", child.id())).status();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(&ofile).unwrap_or_default();
    let err = std::fs::read_to_string(&efile).unwrap_or_default();
    let times = std::fs::read_to_string(&tfile).unwrap_or_default();
    let last = times.lines().rev().find(|l| l.split_whitespace().count() == 2).unwrap_or("");
    let mut it = last.split_whitespace().map(|v| v.parse::<f64>().ok());
    let wall = it.next().flatten().or_else(|| killed.then(|| start.elapsed().as_secs_f64()));
    let peak = it.next().flatten().map(|kb| kb / 1024.0);
    (status.success() && !killed, out, err, wall, peak, killed)
}

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

struct Options {
    out: PathBuf,
    beta: f64,
    time_limit: f64,
    /// `--tolerance` passed to our CLI routes (each backend's own default when absent).
    tolerance: Option<String>,
    python: String,
    cli: String,
}

fn run_route(route: &str, name: &str, data: &Dataset, csv: &Path, o: &Options) -> Row {
    let mut row = Row {
        instance: name.into(),
        n: data.n(),
        d: data.d(),
        c: data.c(),
        route: route.into(),
        status: String::new(),
        wall: None,
        peak_mb: None,
        solve_s: None,
        primal: None,
        lower: None,
    };
    let limit = format!("{}", o.time_limit);
    let beta = format!("{}", o.beta);
    let csv_s = csv.display().to_string();
    let cmd: Vec<String> = match route {
        "clarabel" | "scs" | "dnn" | "dnn-ipm" | "dnn-ipm-working-set" | "dnn-admm" | "dnn-ssnal" => {
            // dnn-ipm, dnn-admm, dnn-ssnal: the dnn backend with its method fixed (`dnn` lets it choose).
            let (backend, method) = match route.split_once('-') {
                Some((b, m)) => (b, Some(m)),
                None => (route, None),
            };
            let help = Command::new(&o.cli).args(["solve", "-h"]).output();
            // the --backend line lists the compiled-in kinds: "[possible values: clarabel, scs, ...]"
            let known = help
                .map(|h| {
                    String::from_utf8_lossy(&h.stdout)
                        .lines()
                        .filter(|l| l.contains("possible values") && l.contains("clarabel"))
                        .any(|l| l.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == backend))
                })
                .unwrap_or(false);
            if !known {
                row.status = "unavailable".into();
                return row;
            }
            let mut cmd: Vec<String> = [&o.cli, "solve", "--data", &csv_s, "--targets", "onehot", "--formulation", "sdp", "--beta", &beta, "--backend", backend, "--time-limit", &limit, "--json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if let Some(m) = method {
                cmd.extend(["--dnn-method".to_string(), m.to_string()]);
            }
            if let Some(t) = &o.tolerance {
                cmd.extend(["--tolerance".to_string(), t.clone()]);
            }
            cmd
        }
        "paper" | "cvxpy-clarabel" => {
            let (form, solver) = if route == "paper" { ("full", "SCS") } else { ("reduced", "CLARABEL") };
            [&o.python, "benches/cvxpy_sdp.py", "--csv", &csv_s, "--form", form, "--solver", solver, "--beta", &beta, "--time-limit", &limit]
                .iter()
                .map(|s| s.to_string())
                .collect()
        }
        other => panic!("unknown route {other} (known: {})", ALL_ROUTES.join(", ")),
    };
    // our routes and cvxpy's SCS stop themselves; cvxpy's Clarabel may not (it checks the clock
    // only between iterations): the hard kill comes after the limit plus a margin. Our CLI may
    // take 1.25 x the limit by design (the rounding after a solve gets a quarter of it, see
    // pipeline::rounding_budget) plus the certificate's refinement (at most 20 s).
    let hard = o.time_limit * 1.35 + 60.0;
    let (ok, out, err, wall, peak, killed) = timed(&cmd, hard, &o.out);
    row.wall = wall;
    row.peak_mb = peak;
    if killed {
        row.status = format!("killed after {hard:.0} s");
        return row;
    }
    let json = out.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok());
    // The CLI exits 3 (stopped early) or 4 (solver failure) with a full report: a status, not an error.
    match (ok || json.is_some(), json) {
        (true, Some(v)) => {
            row.status = v.get("status").and_then(Value::as_str).unwrap_or("?").to_string();
            row.primal = num(&v, "objective");
            row.solve_s = num(&v, "solve_seconds");
            if v.get("certified").and_then(Value::as_bool) == Some(true) {
                row.lower = num(&v, "lower_bound");
            }
        }
        _ => {
            let msg = err.lines().find(|l| l.starts_with("error") || l.contains("Error")).unwrap_or_else(|| err.lines().last().unwrap_or("failed"));
            row.status = if msg.contains("too large") { "refused (too large)".into() } else { format!("error: {}", msg.chars().take(60).collect::<String>()) };
            eprintln!("  {name} {route}: {}", err.trim());
        }
    }
    row
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| instance | n, d, c, q | route | status | wall s | peak MB | solver s | primal objective | certified LB | rel. gap |");
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {}, {}, {}, {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.instance,
            r.n,
            r.d,
            r.c,
            r.n + r.d + r.c,
            r.route,
            r.status,
            fmt_opt(r.wall, 2),
            fmt_opt(r.peak_mb, 0),
            fmt_opt(r.solve_s, 2),
            fmt_opt(r.primal, 7),
            fmt_opt(r.lower, 7),
            r.gap().map_or("-".into(), |g| format!("{g:.1e}"))
        );
    }
    s
}

/// Least-squares slope of log(time) against log(n); needs at least three instances (two
/// points of different data sets say nothing about scaling).
fn finished(r: &Row) -> bool {
    matches!(r.status.as_str(), "solved" | "inaccurate" | "optimal" | "optimal_inaccurate")
}

fn plot(rows: &[Row], routes: &[String], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let series: Vec<(String, Vec<(f64, f64)>)> = routes
        .iter()
        .map(|r| (r.clone(), rows.iter().filter(|x| &x.route == r && finished(x)).filter_map(|x| Some((x.n as f64, x.wall?.max(1e-2)))).collect()))
        .collect();
    loglog_plot(path, "SDP relaxation: wall time against n (log-log)", "n (rows)", "wall seconds", "n", &series)
}

/// Prints `error: msg` and exits with status 2 (bad options are the user's to fix, not a panic).
fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// The value of `flag` as a positive finite number, or [`fail`] naming the flag and the value.
fn positive(flag: &str, value: &str) -> f64 {
    match value.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => v,
        _ => fail(&format!("{flag} {value}: expected a positive number")),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_else(|_| "?".into())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let known = ["--out", "--beta", "--time-limit", "--tolerance", "--instances", "--routes", "--plot", "--python", "--cli", "--write-only", "--from-results"];
    for a in args.iter().filter(|a| a.starts_with("--")) {
        if !known.contains(&a.as_str()) {
            fail(&format!("unknown option {a} (known: {})", known.join(" ")));
        }
    }
    let o = Options {
        out: PathBuf::from(get("--out").unwrap_or_else(|| "out/bench-sdp".into())),
        beta: get("--beta").map(|v| positive("--beta", &v)).unwrap_or(0.1),
        time_limit: get("--time-limit").map(|v| positive("--time-limit", &v)).unwrap_or(600.0),
        tolerance: get("--tolerance").inspect(|v| {
            positive("--tolerance", v);
        }),
        python: get("--python").unwrap_or_else(|| ".venv/bin/python".into()),
        cli: get("--cli").unwrap_or_else(|| "target/release/convex-relu".into()),
    };
    let instances: Vec<String> = get("--instances").unwrap_or_else(|| DEFAULT_INSTANCES.into()).split(',').map(str::to_string).collect();
    let routes: Vec<String> = get("--routes").unwrap_or_else(|| ALL_ROUTES.join(",")).split(',').map(str::to_string).collect();
    for r in &routes {
        if !ALL_ROUTES.contains(&r.as_str()) {
            fail(&format!("unknown route {r} (known: {})", ALL_ROUTES.join(", ")));
        }
    }
    if let Some(file) = get("--from-results") {
        // table and plot again from a results.csv of an earlier run (e.g. after merging runs)
        let rows = read_results(Path::new(&file));
        let routes: Vec<String> = routes.into_iter().filter(|r| rows.iter().any(|x| &x.route == r)).collect();
        report(&rows, &routes, get("--plot"));
        return;
    }
    std::fs::create_dir_all(&o.out).expect("create the output directory");
    let data: Vec<(String, Dataset, PathBuf)> = instances
        .iter()
        .map(|name| {
            let d = instance(name);
            let path = o.out.join(format!("{name}.csv"));
            write_csv(&d, &path).expect("write instance");
            (name.clone(), d, path)
        })
        .collect();
    if args.iter().any(|a| a == "--write-only") {
        for (name, d, path) in &data {
            println!("{name}: n={} d={} c={} q={} -> {}", d.n(), d.d(), d.c(), d.n() + d.d() + d.c(), path.display());
        }
        return;
    }
    let tolerance = o.tolerance.as_deref().map_or_else(|| "each backend's default".to_string(), |t| t.to_string());
    println!("beta = {}, time limit {} s per route, tolerance of our routes {tolerance}, load average at start {}", o.beta, o.time_limit, load_average());
    let mut rows = Vec::new();
    let mut csv = String::from("instance,n,d,c,route,status,wall_s,peak_mb,solver_s,primal,certified_lb,rel_gap,load_avg\n");
    for (name, d, path) in &data {
        for route in &routes {
            let row = run_route(route, name, d, path, &o);
            let la = load_average();
            eprintln!(
                "{name:<16} {route:<15} {:<22} wall {:>8} s  peak {:>7} MB  primal {:>12}  LB {:>12}  (load {la})",
                row.status,
                fmt_opt(row.wall, 2),
                fmt_opt(row.peak_mb, 0),
                fmt_opt(row.primal, 7),
                fmt_opt(row.lower, 7)
            );
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                row.instance,
                row.n,
                row.d,
                row.c,
                row.route,
                row.status.replace(',', ";"),
                fmt_opt(row.wall, 3),
                fmt_opt(row.peak_mb, 1),
                fmt_opt(row.solve_s, 3),
                fmt_opt(row.primal, 9),
                fmt_opt(row.lower, 9),
                row.gap().map_or("-".into(), |g| format!("{g:.3e}")),
                la
            );
            rows.push(row);
            std::fs::write(o.out.join("results.csv"), &csv).expect("write results");
        }
    }
    println!("load average at the end of the runs {}", load_average());
    report(&rows, &routes, get("--plot"));
}

/// Prints the table and the exponents, and draws the plot if asked.
fn report(rows: &[Row], routes: &[String], plot_path: Option<String>) {
    println!("\n{}", table(rows));
    for route in routes {
        let pts: Vec<(f64, f64)> = rows.iter().filter(|r| &r.route == route && finished(r)).filter_map(|r| Some((r.n as f64, r.wall?))).collect();
        match loglog_exponent(&pts) {
            Some(e) => println!("{route}: wall time ~ n^{e:.2} over {} instances", pts.len()),
            None => println!("{route}: {} finished instance(s), no exponent (needs 3)", pts.len()),
        }
    }
    if let Some(p) = plot_path {
        match plot(rows, routes, Path::new(&p)) {
            Ok(()) => println!("plot: {p}"),
            Err(e) => eprintln!("plot {p}: {e}"),
        }
    }
}

/// Rows of a `results.csv` written by this driver.
fn read_results(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opt = |v: &str| if v == "-" { None } else { v.parse::<f64>().ok() };
    text.lines()
        .skip(1)
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            assert!(f.len() >= 12, "{}, line {}: expected 13 fields, found {}", path.display(), i + 2, f.len());
            let int = |v: &str| v.parse::<usize>().unwrap_or_else(|_| panic!("{}, line {}: `{v}` is not a count", path.display(), i + 2));
            Row {
                instance: f[0].into(),
                n: int(f[1]),
                d: int(f[2]),
                c: int(f[3]),
                route: f[4].into(),
                status: f[5].into(),
                wall: opt(f[6]),
                peak_mb: opt(f[7]),
                solve_s: opt(f[8]),
                primal: opt(f[9]),
                lower: opt(f[10]),
            }
        })
        .collect()
}
