//! Kim & Pilanci (2024): how close is C-ReLU on the patterns of m Gaussian gates ("sampled") to
//! the exact optimum p* (C-ReLU over all patterns)?
//!
//! Gaussian data X (n x 3, n = 20 and 40), targets from a planted ReLU teacher (4 neurons,
//! Gaussian weights, output weights +-1) plus N(0, 0.1^2) noise, beta = 0.1. For each draw: one
//! exact solve, then one sampled solve per gate count m = 1, 2, 4, ..., 128 (fresh gates per m).
//! Prints the ratio sampled / exact (median, 90% quantile, max over draws; quantiles by linear interpolation) and writes
//! DIR/kim_pilanci.tsv and DIR/kim_pilanci.svg (`--out DIR`, default `out`; the plot is drawn with
//! plotters, SVG backend). `--plot-from TSV [--draws TEXT]` redraws the plot from a saved table
//! without solving.
//!
//! Run: `cargo run --release --example kim_pilanci [-- DRAWS_N20 [DRAWS_N40]] [--out DIR]` (default 20 and 10
//! draws; the n = 40 exact program has 1.5k patterns and 137k cone rows: use --release, the dev
//! profile compiles Clarabel's generic solver at opt-level 0).

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::data::{Dataset, TargetKind};
use convex_relu::formulation::{crelu, Compiled};
use convex_relu::network::Network;
use convex_relu::patterns::Budget;
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

const D: usize = 3;
const BETA: f64 = 0.1;
const GATES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];
const SIZES: [usize; 2] = [20, 40];

fn teacher_data(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
    // drawn row by row
    let x = DMatrix::from_row_iterator(n, D, (0..n * D).map(|_| g()));
    let u = DMatrix::from_row_iterator(D, 4, (0..D * 4).map(|_| g()));
    let v = DMatrix::from_row_slice(1, 4, &[1.0, -1.0, 1.0, -1.0]);
    let mut y = Network { u, v }.predict(x.as_view());
    y.apply(|t| *t += 0.1 * g()); // one column: row order
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
    // `kim_pilanci [DRAWS_N20 [DRAWS_N40]] [--out DIR] [--plot-from TSV --draws TEXT]`
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).map(|i| args.get(i + 1).cloned().unwrap_or_else(|| panic!("{name} needs a value")));
    let out = PathBuf::from(flag("--out").unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out).expect("create the output directory");
    if let Some(tsv) = flag("--plot-from") {
        let rows = read_tsv(Path::new(&tsv));
        let draws = flag("--draws").unwrap_or_else(|| "saved table".into());
        let svg = out.join("kim_pilanci.svg");
        plot(&rows, &draws, &svg).expect("plot");
        println!("wrote {}", svg.display());
        return;
    }
    let positional: Vec<&String> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i < args.len() {
            if args[i].starts_with("--") {
                i += 2;
            } else {
                v.push(&args[i]);
                i += 1;
            }
        }
        v
    };
    let arg = |k: usize, default: usize| -> usize { positional.get(k).map(|s| s.parse().expect("draw counts must be numbers")).unwrap_or(default) };
    let draws_per = [arg(0, 20), arg(1, 10)];
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
    let (tsv, svg) = (out.join("kim_pilanci.tsv"), out.join("kim_pilanci.svg"));
    std::fs::write(&tsv, &table).expect("write tsv");
    plot(&rows, &draws, &svg).expect("plot");
    println!("wrote {} and {}", tsv.display(), svg.display());
}

/// The ratio plot (plotters, SVG backend): ratio against m on log-log axes, one colour per n;
/// median (solid, circles), 90% quantile (triangles), maximum (thin, crosses).
fn plot(rows: &[Row], draws: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (820, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let ymax = rows.iter().map(|r| r.max).fold(1.1f64, f64::max) * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Sampled C-ReLU / exact optimum (d = {D}, beta = {BETA}, {draws})"), ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (0.8f64..160.0).log_scale().with_key_points(GATES.iter().map(|&m| m as f64).collect()),
            (0.95f64..ymax).log_scale().with_key_points([1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0].into_iter().filter(|&v| v < ymax).collect()),
        )?;
    chart
        .configure_mesh()
        .x_desc("number of Gaussian gates m (log scale)")
        .y_desc("sampled / exact (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y}"))
        .draw()?;
    let colours = [BLUE, RED];
    for (ci, &n) in SIZES.iter().enumerate() {
        let c = colours[ci % colours.len()];
        let of = |f: fn(&Row) -> f64| -> Vec<(f64, f64)> { rows.iter().filter(|r| r.n == n).map(|r| (r.m as f64, f(r))).collect() };
        let med = of(|r| r.median);
        chart.draw_series(LineSeries::new(med.clone(), c.stroke_width(2)))?.label(format!("n = {n}, median")).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
        });
        chart.draw_series(med.iter().map(|&(x, y)| Circle::new((x, y), 4, c.filled())))?;
        let q = of(|r| r.q90);
        chart.draw_series(LineSeries::new(q.clone(), c.mix(0.7).stroke_width(1)))?.label(format!("n = {n}, 90% quantile")).legend(move |(x, y)| {
            TriangleMarker::new((x + 10, y), 5, c.filled())
        });
        chart.draw_series(q.iter().map(|&(x, y)| TriangleMarker::new((x, y), 5, c.filled())))?;
        let mx = of(|r| r.max);
        chart.draw_series(LineSeries::new(mx.clone(), c.mix(0.4).stroke_width(1)))?.label(format!("n = {n}, max")).legend(move |(x, y)| {
            Cross::new((x + 10, y), 4, c.stroke_width(2))
        });
        chart.draw_series(mx.iter().map(|&(x, y)| Cross::new((x, y), 4, c.stroke_width(2))))?;
    }
    chart.draw_series(LineSeries::new(vec![(0.8, 1.0), (160.0, 1.0)], BLACK.mix(0.5)))?;
    chart.configure_series_labels().position(SeriesLabelPosition::UpperRight).background_style(WHITE.mix(0.85)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Rows of a TSV written by this example (`n gates patterns median q90 max`).
fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "{} line {}: expected 6 tab-separated fields, found {}", path.display(), i + 1, f.len());
            let num = |k: usize| -> f64 { f[k].parse().unwrap_or_else(|_| panic!("{} line {}: field {} is not a number: {:?}", path.display(), i + 1, k + 1, f[k])) };
            Row { n: num(0) as usize, m: num(1) as usize, patterns: num(2), median: num(3), q90: num(4), max: num(5) }
        })
        .collect()
}
