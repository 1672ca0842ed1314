//! The classification study of docs/reproduction.md: per data set and bias setting, SDP
//! relaxation + staged rounding (before / after the polish), local training at the polished
//! width, NNGP and NTK kernel ridge regression; certified lower bound; wall times. Writes a
//! Markdown table on stdout and two SVG plots (plotters).
//!
//! ```text
//! cargo run --release --example paper_study -- --datasets iris --bias both --out docs/figures
//! cargo run --release --example paper_study -- --datasets ionosphere,pima,banknote --max-rows 100 --out docs/figures --tag small
//! cargo run --release --example paper_study -- --datasets digits-pca20 --train-rows 1000 --bias yes --backend dnn --time-limit 150
//! ```
//!
//! Options: `--datasets a,b` (names in models/datasets; `NAME-pcaK` = NAME with its features
//! replaced by their top K principal components, fitted on the training rows only),
//! `--train-rows N` (the split puts N rows into the training part instead of half; stratified,
//! so up to one row per class off), `--bias yes|no|both` (default both),
//! `--beta` (0.1), `--max-rows N` (training rows used; a seeded stratified subsample of the
//! training half when it is larger; default: all), `--backend clarabel|scs|dnn` (default:
//! Clarabel when q = n + d + c <= 90, else SCS), `--time-limit` seconds for the relaxation
//! (default 120), `--polish N` (rounded networks polished, default 3), `--out DIR` (plots, default
//! none), `--tag NAME` (plot file suffix), `--force` (overwrite plots), `--plot-from a.md,b.md`
//! (no solving: plot the rows of tables this program printed earlier, saved to files),
//! `--equal-time` (also local training with as many restarts as fit in the SDP route's time),
//! `--wide M` (also local training at width M, the paper's wide baseline; default 300, 0 = off).
//!
//! Protocol (nothing is chosen on test data): 50/50 stratified split (seed 0), for `NAME-pcaK`
//! the principal components fitted on the training rows and applied to both parts, features
//! standardised with the training half's statistics (`transform::split_and_fit`), one-hot
//! targets, the bias column appended after standardising; subsample seed 1. Every choice inside a row is described in
//! `convex_relu::study`.

use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::data::transform::{append_bias, split_and_fit, train_test_split, FittedSplit, SplitSettings};
use convex_relu::data::{load_named, CsvOptions, TargetEncoding};
use convex_relu::study::{evaluate_split, SplitOutcome, StudySettings};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the plots need of a row: LB, objectives (round, polish, local), test accuracies (5 methods).
struct Row {
    label: String,
    lb: Option<f64>,
    objectives: [Option<f64>; 3],
    test_accuracy: [f64; 5],
    /// Local training at equal time (objective), when run.
    equal_time: Option<f64>,
    /// Wide local training (objective), when run.
    wide: Option<f64>,
}

impl Row {
    fn of(label: String, o: &SplitOutcome) -> Row {
        Row {
            label,
            lb: o.lower_bound,
            objectives: [o.methods[0].objective, o.methods[1].objective, o.methods[2].objective],
            test_accuracy: [0, 1, 2, 3, 4].map(|i| o.methods[i].test_accuracy),
            equal_time: o.methods.iter().find(|m| m.method == "local training (equal time)").and_then(|m| m.objective),
            wide: o.methods.iter().find(|m| m.method == "local training (wide)").and_then(|m| m.objective),
        }
    }

    /// A row of the Markdown table this program prints (`| data | bias | ... |`).
    fn parse(line: &str) -> Option<Row> {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 16 || cells[0] == "data" || cells[0].starts_with("---") {
            return None;
        }
        let num = |s: &str| s.parse::<f64>().ok();
        let te = |s: &str| s.split('/').nth(1).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
        Some(Row {
            label: format!("{}{}", cells[0], if cells[1] == "yes" { "+b" } else { "" }),
            lb: num(cells[5]),
            objectives: [num(cells[6]), num(cells[7]), num(cells[8])],
            test_accuracy: [te(cells[10]), te(cells[11]), te(cells[12]), te(cells[13]), te(cells[14])],
            equal_time: cells.get(16).and_then(|c| num(c)),
            wide: cells.get(19).and_then(|c| num(c)),
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let datasets: Vec<String> = get("--datasets").unwrap_or_else(|| "iris".into()).split(',').map(String::from).collect();
    let beta: f64 = get("--beta").map(|v| v.parse().expect("--beta: a number")).unwrap_or(0.1);
    let max_rows: Option<usize> = get("--max-rows").map(|v| v.parse().expect("--max-rows: an integer"));
    let train_rows: Option<usize> = get("--train-rows").map(|v| v.parse().expect("--train-rows: an integer"));
    let time_limit: f64 = get("--time-limit").map(|v| v.parse().expect("--time-limit: seconds")).unwrap_or(120.0);
    let polish: usize = get("--polish").map(|v| v.parse().expect("--polish: an integer")).unwrap_or(3);
    let backend_arg = get("--backend");
    let out_dir = get("--out").map(PathBuf::from);
    let tag = get("--tag").unwrap_or_else(|| datasets.join("-"));
    let force = args.iter().any(|a| a == "--force");
    let equal_time = args.iter().any(|a| a == "--equal-time");
    let wide: usize = get("--wide").map(|v| v.parse().expect("--wide: an integer (0 = off)")).unwrap_or(300);
    let biases: Vec<bool> = match get("--bias").as_deref() {
        Some("yes") => vec![true],
        Some("no") => vec![false],
        _ => vec![false, true],
    };
    if let Some(dir) = &out_dir {
        for f in ["tightness", "accuracy"] {
            let p = dir.join(format!("{f}-{tag}.svg"));
            if p.exists() && !force {
                eprintln!("error: {} exists; pass --force to overwrite it", p.display());
                std::process::exit(2);
            }
        }
    }
    let mut rows = Vec::new();
    if let Some(files) = get("--plot-from") {
        // Plots only, from tables this program printed earlier (no solving).
        for f in files.split(',') {
            let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("reading {f}: {e}"));
            rows.extend(text.lines().filter_map(Row::parse));
        }
        let dir = out_dir.expect("--plot-from needs --out DIR");
        write_plots(&dir, &tag, &rows);
        return;
    }
    let split = train_rows.map_or("50/50".to_string(), |m| format!("{m} training rows"));
    println!("beta = {beta}; split seed 0 ({split}, stratified); subsample seed 1; relaxation time limit {time_limit} s; polish {polish}");
    println!("| data | bias | rows | backend | status | LB | round | polish | local | gap | round tr/te | polish tr/te | local tr/te | NNGP tr/te | NTK tr/te | s: sdp+round / +polish / local / nngp / ntk | local, equal time: obj | tr/te | restarts | local, wide: obj | tr/te | s |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let t0 = Instant::now();
    for name in &datasets {
        let opts = CsvOptions { encoding: TargetEncoding::Onehot, ..Default::default() };
        let (base, pca) = pca_spec(name);
        let full = load_named(base, &opts).unwrap_or_else(|e| panic!("loading {base}: {e}"));
        let test_fraction = match train_rows {
            Some(m) if m > 0 && m < full.n() => 1.0 - m as f64 / full.n() as f64,
            Some(m) => panic!("--train-rows: expected 1 to {} for {base}, found {m}", full.n() - 1),
            None => 0.5,
        };
        // Principal components and standardiser fitted on the training rows only.
        let ss = SplitSettings { test_fraction, seed: 0, stratify: true, pca, standardize: true };
        let FittedSplit { train: tr_half, test: te, .. } = split_and_fit(&full, &ss).unwrap_or_else(|e| panic!("{name}: {e}"));
        for &bias in &biases {
            let (mut tr_h, mut te_b) = (tr_half.clone(), te.clone());
            if bias {
                append_bias(&mut tr_h);
                append_bias(&mut te_b);
            }
            let tr = match max_rows {
                Some(m) if tr_h.n() > m => train_test_split(&tr_h, 1.0 - m as f64 / tr_h.n() as f64, 1, true).expect("subsample").0,
                _ => tr_h.clone(),
            };
            let q = tr.n() + tr.d() + tr.c();
            let backend = match backend_arg.as_deref() {
                Some("clarabel") => BackendKind::Clarabel,
                Some("scs") => BackendKind::Scs,
                Some("dnn") => BackendKind::Dnn,
                Some(other) => panic!("--backend: expected clarabel, scs or dnn, found {other}"),
                None if q <= 90 => BackendKind::Clarabel,
                None => BackendKind::Scs,
            };
            let s = StudySettings {
                beta,
                backend,
                solve: SolveSettings { time_limit_seconds: Some(time_limit), ..Default::default() },
                polish_candidates: polish,
                equal_time,
                wide_width: wide,
                ..Default::default()
            };
            let out = evaluate_split(&tr, &te_b, &s).unwrap_or_else(|e| panic!("{name}: {e}"));
            let m = &out.methods;
            let lb = out.lower_bound;
            let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
            let gap = lb.map_or("-".to_string(), |l| format!("{:.3}", (out.upper_bound - l) / l));
            let tt = |i: usize| format!("{:.3}/{:.3}", m[i].train_accuracy, m[i].test_accuracy);
            let named = |name: &str| m.iter().position(|x| x.method == name);
            let eq = named("local training (equal time)")
                .map_or("- | - | -".to_string(), |i| format!("{} | {} | {}", f(m[i].objective), tt(i), m[i].detail.rsplit(", ").next().unwrap_or("")));
            let wd = named("local training (wide)").map_or("- | - | -".to_string(), |i| format!("{} | {} | {:.1}", f(m[i].objective), tt(i), m[i].seconds));
            println!(
                "| {name} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {gap} | {} | {} | {} | {} | {} | {:.1} / {:.1} / {:.1} / {:.2} / {:.2} | {eq} | {wd} |",
                if bias { "yes" } else { "no" },
                tr.n(),
                tr_h.n(),
                backend.name(),
                out.status,
                f(lb),
                f(m[0].objective),
                f(m[1].objective),
                f(m[2].objective),
                tt(0),
                tt(1),
                tt(2),
                tt(3),
                tt(4),
                m[0].seconds,
                m[1].seconds,
                m[2].seconds,
                m[3].seconds,
                m[4].seconds
            );
            rows.push(Row::of(format!("{name}{}", if bias { "+b" } else { "" }), &out));
        }
    }
    println!("\nwall time {:.1} s", t0.elapsed().as_secs_f64());
    if let Some(dir) = out_dir {
        write_plots(&dir, &tag, &rows);
    }
}

/// `NAME-pcaK` -> (`NAME`, Some(K)); any other name -> (name, None).
fn pca_spec(name: &str) -> (&str, Option<usize>) {
    match name.rsplit_once("-pca").map(|(b, k)| (b, k.parse::<usize>())) {
        Some((base, Ok(k))) if !base.is_empty() => (base, Some(k)),
        _ => (name, None),
    }
}

fn write_plots(dir: &Path, tag: &str, rows: &[Row]) {
    std::fs::create_dir_all(dir).expect("create the plot directory");
    let p1 = dir.join(format!("tightness-{tag}.svg"));
    tightness_plot(&p1, rows).expect("tightness plot");
    let p2 = dir.join(format!("accuracy-{tag}.svg"));
    accuracy_plot(&p2, rows).expect("accuracy plot");
    println!("wrote {} and {}", p1.display(), p2.display());
}

type Series<'a> = (&'a str, RGBColor, Box<dyn Fn(&Row) -> Option<f64> + 'a>);

fn dot_plot(path: &Path, rows: &[Row], title: &str, y_desc: &str, series: Vec<Series>, y0: f64) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut ymax: f64 = 0.0;
    let mut y0 = y0;
    for r in rows {
        for (_, _, f) in &series {
            if let Some(v) = f(r).filter(|v| v.is_finite()) {
                ymax = ymax.max(v);
                y0 = y0.min(v - 0.05 * v.abs());
            }
        }
    }
    let ymax = if ymax > y0 { ymax * 1.08 } else { y0 + 1.0 };
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..n - 0.5, y0..ymax)?;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    chart
        .configure_mesh()
        .x_labels(rows.len().max(1))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 { labels.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
        })
        .y_desc(y_desc)
        .draw()?;
    let k = series.len() as f64;
    for (si, (name, color, f)) in series.iter().enumerate() {
        let off = (si as f64 - (k - 1.0) / 2.0) * 0.12;
        let pts: Vec<(f64, f64)> = rows.iter().enumerate().filter_map(|(i, r)| f(r).filter(|v| v.is_finite()).map(|v| (i as f64 + off, v))).collect();
        let c = *color;
        chart
            .draw_series(pts.iter().map(move |&(x, y)| Circle::new((x, y), 5, c.filled())))?
            .label(*name)
            .legend(move |(x, y)| Circle::new((x, y), 5, c.filled()));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

fn tightness_plot(path: &Path, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    let series: Vec<Series> = vec![
        ("certified LB", BLACK, Box::new(|o: &Row| o.lb)),
        ("SDP + rounding", RED, Box::new(|o: &Row| o.objectives[0])),
        ("SDP + rounding + polish", BLUE, Box::new(|o: &Row| o.objectives[1])),
        ("local training (same width)", GREEN, Box::new(|o: &Row| o.objectives[2])),
        ("local training (equal time)", MAGENTA, Box::new(|o: &Row| o.equal_time)),
        ("local training (wide)", CYAN, Box::new(|o: &Row| o.wide)),
    ];
    dot_plot(path, rows, "Training objective: certified lower bound and networks", "training objective", series, 0.0)
}

fn accuracy_plot(path: &Path, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    let pick = |i: usize| -> Box<dyn Fn(&Row) -> Option<f64>> { Box::new(move |o: &Row| Some(o.test_accuracy[i])) };
    let series: Vec<Series> = vec![
        ("SDP + rounding", RED, pick(0)),
        ("SDP + rounding + polish", BLUE, pick(1)),
        ("local training", GREEN, pick(2)),
        ("NNGP", MAGENTA, pick(3)),
        ("NTK", CYAN, pick(4)),
    ];
    dot_plot(path, rows, "Test accuracy (50/50 split)", "test accuracy", series, 0.4)
}
