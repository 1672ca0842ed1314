//! Kim & Pilanci (2024): how close is C-ReLU on the patterns of m Gaussian gates ("sampled") to
//! the exact optimum p* (C-ReLU over all patterns)?
//!
//! Gaussian data X (n x 3, n = 20 and 40), targets from a planted ReLU teacher (4 neurons,
//! Gaussian weights, output weights +-1) plus N(0, 0.1^2) noise, beta = 0.1. For each draw: one
//! exact solve, then one sampled solve per gate count m = 1, 2, 4, ..., 128 (fresh gates per m).
//! Prints the ratio sampled / exact (median, 90% quantile, max over draws; quantiles by linear interpolation) and writes
//! out/kim_pilanci.tsv and out/kim_pilanci.svg.
//!
//! Run: `cargo run --release --example kim_pilanci [-- DRAWS_N20 [DRAWS_N40]]` (default 20 and 10
//! draws; the n = 40 exact program has 1.5k patterns and 137k cone rows: use --release, the dev
//! profile compiles Clarabel's generic solver at opt-level 0).

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::formulation::{crelu, Compiled};
use convex_relu::network::Network;
use convex_relu::patterns::Budget;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::fmt::Write as _;
use std::time::Instant;

const D: usize = 3;
const BETA: f64 = 0.1;
const GATES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];
const SIZES: [usize; 2] = [20, 40];

fn teacher_data(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    let x = Array2::from_shape_fn((n, D), |_| g());
    let u = Array2::from_shape_fn((D, 4), |_| g());
    let v = Array2::from_shape_vec((1, 4), vec![1.0, -1.0, 1.0, -1.0]).unwrap();
    let mut y = Network { u, v }.predict(x.view());
    y.mapv_inplace(|t| t + 0.1 * g());
    Dataset::from_arrays(x, y, TargetKind::Numeric, format!("gaussian teacher n={n} seed={seed}"))
}

fn optimum(c: &Compiled, data: &Dataset) -> f64 {
    let sol = backend::solve(&c.problem, BackendKind::Clarabel, &SolveSettings { tolerance: Some(1e-8), ..Default::default() })
        .expect("clarabel runs");
    assert!(sol.status.has_solution(), "status {}", sol.status);
    c.layout.crelu_objective(data, &sol.x).unwrap()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    // linear interpolation between order statistics (type 7)
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

struct Row {
    n: usize,
    m: usize,
    median: f64,
    q90: f64,
    max: f64,
    patterns: f64,
}

fn main() {
    // draws per size: `kim_pilanci [DRAWS_N20 [DRAWS_N40]]`, default 20 and 10
    let arg = |k: usize, default: usize| -> usize {
        std::env::args().nth(k).map(|s| s.parse().expect("draw counts must be numbers")).unwrap_or(default)
    };
    let draws_per = [arg(1, 20), arg(2, 10)];
    let start = Instant::now();
    let mut rows = Vec::new();
    for (si, &n) in SIZES.iter().enumerate() {
        let draws = draws_per[si];
        let mut ratios = vec![Vec::new(); GATES.len()];
        let mut npat = vec![0usize; GATES.len()];
        let mut exact_pats = 0;
        for k in 0..draws {
            let data = teacher_data(n, 1000 * n as u64 + k as u64);
            let ex = crelu::exact(&data, BETA, &Budget::default()).expect("exact compiles");
            exact_pats = ex.layout.patterns.len();
            let p = optimum(&ex, &data);
            for (gi, &m) in GATES.iter().enumerate() {
                let sa = crelu::sampled(&data, BETA, m, 77_000 + 1000 * k as u64 + m as u64).expect("sampled compiles");
                npat[gi] += sa.layout.patterns.len();
                let v = optimum(&sa, &data);
                ratios[gi].push(v / p);
            }
            eprintln!("n = {n}: draw {}/{draws} (p* = {p:.5}, {:.0} s elapsed)", k + 1, start.elapsed().as_secs_f64());
        }
        eprintln!("n = {n}: exact C-ReLU has {exact_pats} patterns");
        for (gi, &m) in GATES.iter().enumerate() {
            let mut r = ratios[gi].clone();
            r.sort_by(f64::total_cmp);
            rows.push(Row {
                n,
                m,
                median: quantile(&r, 0.5),
                q90: quantile(&r, 0.9),
                max: *r.last().unwrap(),
                patterns: npat[gi] as f64 / draws as f64,
            });
        }
    }
    let mut table = String::new();
    writeln!(table, "n\tgates\tpatterns\tmedian\tq90\tmax").unwrap();
    for r in &rows {
        writeln!(table, "{}\t{}\t{:.1}\t{:.4}\t{:.4}\t{:.4}", r.n, r.m, r.patterns, r.median, r.q90, r.max).unwrap();
    }
    let draws = format!("{} / {} draws for n = {} / {}", draws_per[0], draws_per[1], SIZES[0], SIZES[1]);
    println!("sampled / exact optimum, d = {D}, beta = {BETA}, {draws} ({:.0} s)", start.elapsed().as_secs_f64());
    println!("| n | gates m | distinct patterns (mean) | median | 90% | max |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {:.1} | {:.4} | {:.4} | {:.4} |", r.n, r.m, r.patterns, r.median, r.q90, r.max);
    }
    std::fs::create_dir_all("out").expect("create out/");
    std::fs::write("out/kim_pilanci.tsv", &table).expect("write tsv");
    std::fs::write("out/kim_pilanci.svg", svg(&rows, &draws)).expect("write svg");
    println!("wrote out/kim_pilanci.tsv and out/kim_pilanci.svg");
}

/// A hand-written SVG: ratio against log2(m), one colour per n; median solid, 90% dashed, max dotted.
fn svg(rows: &[Row], draws: &str) -> String {
    let (w, h, l, r, t, b) = (720.0, 440.0, 70.0, 170.0, 40.0, 60.0);
    let ymax = rows.iter().map(|r| r.max).fold(1.1f64, f64::max);
    let lmax = ymax.log10() * 1.02;
    let xs = |m: usize| l + (m as f64).log2() / 7.0 * (w - l - r);
    // logarithmic ratio axis from 1 to ymax
    let ys = |v: f64| t + (lmax - v.max(1.0).log10()) / lmax * (h - t - b);
    let mut s = String::new();
    writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#).unwrap();
    writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#).unwrap();
    writeln!(s, r#"<text x="{}" y="22" text-anchor="middle" font-size="14">Sampled C-ReLU / exact optimum (d = {D}, beta = {BETA}, {draws})</text>"#, (w - r + l) / 2.0).unwrap();
    // axes and grid
    writeln!(s, r#"<line x1="{l}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#, h - b, w - r, h - b).unwrap();
    writeln!(s, r#"<line x1="{l}" y1="{t}" x2="{l}" y2="{}" stroke="black"/>"#, h - b).unwrap();
    for &m in &GATES {
        let x = xs(m);
        writeln!(s, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="black"/><text x="{x}" y="{}" text-anchor="middle">{m}</text>"#, h - b, h - b + 5.0, h - b + 20.0).unwrap();
    }
    for v in [1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0] {
        if v > ymax * 1.02 {
            break;
        }
        let y = ys(v);
        writeln!(s, r##"<line x1="{l}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{v}</text>"##, w - r, l - 6.0, y + 4.0).unwrap();
    }
    writeln!(s, r#"<text x="{}" y="{}" text-anchor="middle">number of Gaussian gates m (log scale)</text>"#, (l + w - r) / 2.0, h - 15.0).unwrap();
    writeln!(s, r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">sampled / exact (log scale)</text>"#, (t + h - b) / 2.0, (t + h - b) / 2.0).unwrap();
    let colours = ["#1f77b4", "#d62728"];
    let mut ly = t + 10.0;
    for (ci, &n) in SIZES.iter().enumerate() {
        let c = colours[ci % colours.len()];
        for (label, dash, f) in [
            ("median", "", (|r: &Row| r.median) as fn(&Row) -> f64),
            ("90%", "6,4", |r: &Row| r.q90),
            ("max", "2,3", |r: &Row| r.max),
        ] {
            let pts: Vec<String> = rows.iter().filter(|r| r.n == n).map(|r| format!("{:.1},{:.1}", xs(r.m), ys(f(r)))).collect();
            writeln!(s, r#"<polyline fill="none" stroke="{c}" stroke-width="2" stroke-dasharray="{dash}" points="{}"/>"#, pts.join(" ")).unwrap();
            writeln!(s, r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{}" y="{}">n = {n}, {label}</text>"#, w - r + 10.0, w - r + 40.0, w - r + 46.0, ly + 4.0).unwrap();
            ly += 18.0;
        }
    }
    writeln!(s, "</svg>").unwrap();
    s
}
