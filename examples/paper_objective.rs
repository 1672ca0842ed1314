//! Objective experiments of the paper (Prakhya, Birdal & Yurtsever 2024), reproduced honestly:
//! certified lower bound of the reduced SDP relaxation (Clarabel) vs. the Gaussian-rounded
//! network and non-convex training at several widths. See docs/reproduction.md.
//!
//! ```text
//! cargo run --release --example paper_objective -- --part random --count 10      # (a)
//! cargo run --release --example paper_objective -- --part spiral                 # (b)
//! ```
//!
//! Options: `--part random|spiral|all|scalar` (default all; `scalar` is the c = 1 variant of the
//! planted teacher, where the exact optimum p* is computed by C-ReLU over every pattern, only run
//! when asked for), `--count N` random data sets (default 10,
//! seeds 1..=N), `--betas 0.1,0.01`, `--widths 5,10,100,300`, `--restarts 3`,
//! `--iterations 2000`, `--polish 300`, `--noise 0` (teacher noise), `--time-limit 300`
//! (Clarabel, seconds), `--first-seed 1`, `--plot-beta 0.01` (the beta of the tightness plot,
//! drawn with plotters into `OUT/objective-random-beta{B}.svg`), `--out out/paper`,
//! `--from-csv FILE` (no solving: summary and plot again from a CSV this program wrote).
//!
//! Per data set and beta: the staged rounding's stage values (`sampled`, `refitted`,
//! `unpolished` = best before the polish, `polished` = the returned network), local training at
//! the polished network's width (`local same`) and with further batches of restarts until the SDP
//! route's wall time is used (`local eq`, restarts in brackets), and local training at each of
//! `--widths` (width 300 is the paper's wide baseline). The summary counts wins / ties / losses of
//! the polished network against each of them (tie: relative difference <= 1e-4).
//!
//! Every reported objective is the training objective `L(U, V)` (docs/background.md, section 0) of a real
//! network, hence an upper bound on p*; `LB` is the *certified* lower bound of the relaxation
//! (dual side, `certify::sdp`), re-certified with the rounded and trained networks as incumbents
//! (they only tighten the trace bound). The relative gap of a method is `(objective - LB) / LB`;
//! a method is "certified optimal" when that gap is <= 1e-3.

use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::data::{synth, Dataset};
use convex_relu::formulation::sdp::SdpForm;
use convex_relu::network::Network;
use convex_relu::rounding::{round, RoundingSettings};
use convex_relu::train::{train, TrainSettings};
use std::fmt::Write as _;
use std::time::Instant;

const TOL: f64 = 1e-3;
/// Relative difference below which two training objectives count as a tie.
const TIE: f64 = 1e-4;

struct Row {
    name: String,
    beta: f64,
    status: String,
    sdp_seconds: f64,
    lb: f64,
    certified: bool,
    primal: f64,
    rounded: f64,
    rounded_width: usize,
    trained: Vec<f64>,
    seconds: f64,
    /// Staged rounding: best network read off Lambda, best group-lasso refit, best unpolished
    /// (min of the two; also the C-ReLU refit when c = 1), seconds of the SDP route (relaxation
    /// with its certificate + rounding + polish). `rounded` is the polished (returned) network.
    sampled: f64,
    refitted: f64,
    unpolished: f64,
    route_seconds: f64,
    /// Local training at the polished network's width (same settings as the other widths).
    local_same: f64,
    /// Local training at that width with further batches of restarts until `route_seconds`.
    local_equal: f64,
    local_equal_restarts: usize,
}

impl Row {
    fn gap(&self, obj: f64) -> f64 {
        (obj - self.lb) / self.lb.abs().max(1e-300)
    }
}

fn run_one(name: &str, data: &Dataset, beta: f64, widths: &[usize], ts: &TrainSettings, time_limit: f64) -> Row {
    let start = Instant::now();
    let settings = SolveSettings { time_limit_seconds: Some(time_limit), ..Default::default() };
    let relax = convex_relu::pipeline::solve_relaxation(data, beta, SdpForm::Reduced, BackendKind::Clarabel, &settings, &[]).expect("sdp solve");
    let sdp_seconds = start.elapsed().as_secs_f64();
    let rounding = round(&relax.lambda, data, beta, &RoundingSettings::default()).expect("rounding");
    let route_seconds = start.elapsed().as_secs_f64();
    let st = rounding.stages.as_ref().expect("gaussian rounding reports its stages");
    let crelu = st.crelu.as_ref().map_or(f64::INFINITY, |c| c.objective);
    let unpolished = st.sampled.min(st.refitted).min(crelu);
    let (sampled, refitted) = (st.sampled, st.refitted);
    // Local training at the polished network's width, then at equal time: further batches of
    // the same restarts (seeds 1, 2, ...) until the SDP route's wall time is used.
    let t_local = Instant::now();
    let same = TrainSettings { width: rounding.width.max(1), beta, ..ts.clone() };
    let local = train(data, &same).expect("train");
    let mut best_equal = local.objective;
    let mut restarts = same.restarts;
    let mut batch = 0u64;
    while t_local.elapsed().as_secs_f64() < route_seconds && restarts < 100_000 {
        batch += 1;
        let more = train(data, &TrainSettings { seed: same.seed.wrapping_add(batch), ..same.clone() }).expect("train");
        restarts += same.restarts;
        best_equal = best_equal.min(more.objective);
    }
    let mut nets: Vec<Network> = vec![rounding.network.clone(), local.network.clone()];
    let mut trained = Vec::new();
    for &w in widths {
        let s = TrainSettings { width: w, beta, ..ts.clone() };
        let r = train(data, &s).expect("train");
        trained.push(r.objective);
        nets.push(r.network);
    }
    // re-certify with every network as incumbent (tightens the trace bound; still a valid LB)
    let b = relax.certify(&nets);
    let (lb, certified) = if b.certified && (!relax.bound.certified || b.value >= relax.bound.value) {
        (b.value, true)
    } else {
        (relax.bound.value, relax.bound.certified)
    };
    Row {
        name: name.to_string(),
        beta,
        status: relax.solution.status.name().to_string(),
        sdp_seconds,
        lb,
        certified,
        primal: relax.primal_objective(),
        rounded: rounding.objective,
        rounded_width: rounding.width,
        trained,
        seconds: start.elapsed().as_secs_f64(),
        sampled,
        refitted,
        unpolished,
        route_seconds,
        local_same: local.objective,
        local_equal: best_equal,
        local_equal_restarts: restarts,
    }
}

fn print_row(r: &Row, widths: &[usize]) {
    let mut s = format!(
        "{:<14} {:>5} {:<11} {:>7.1} {:>11.6}{} {:>11.6} {:>11.6} ({:>3}) {:>9.2e}",
        r.name,
        r.beta,
        r.status,
        r.sdp_seconds,
        r.lb,
        if r.certified { " " } else { "?" },
        r.primal,
        r.rounded,
        r.rounded_width,
        r.gap(r.rounded)
    );
    let _ = write!(
        s,
        " {:>11.6} {:>11.6} {:>11.6} {:>11.6} {:>11.6} ({:>4}) {:>7.1}",
        r.sampled, r.refitted, r.unpolished, r.local_same, r.local_equal, r.local_equal_restarts, r.route_seconds
    );
    for (k, _) in widths.iter().enumerate() {
        let _ = write!(s, " {:>11.6} {:>9.2e}", r.trained[k], r.gap(r.trained[k]));
    }
    let _ = write!(s, " {:>7.1}", r.seconds);
    println!("{s}");
}

fn header(widths: &[usize]) {
    let mut s = format!(
        "{:<14} {:>5} {:<11} {:>7} {:>12} {:>11} {:>17} {:>9}",
        "data", "beta", "sdp-status", "sdp-s", "certLB", "sdp-primal", "polished (width)", "gap"
    );
    let _ = write!(s, " {:>11} {:>11} {:>11} {:>11} {:>18} {:>7}", "sampled", "refitted", "unpolished", "local same", "local eq (rst)", "route-s");
    for w in widths {
        let _ = write!(s, " {:>11} {:>9}", format!("train m={w}"), "gap");
    }
    let _ = write!(s, " {:>7}", "total-s");
    println!("{s}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn summary(rows: &[Row], widths: &[usize], betas: &[f64], label: &str) {
    println!("\nSummary ({label}): relative gap (objective - certified LB) / LB; 'opt' = gap <= {TOL:e} (certified global optimum)");
    println!("{:>5} {:>4} {:<12} {:>10} {:>10} {:>10} {:>8}", "beta", "sets", "method", "mean gap", "median", "max", "opt");
    for &beta in betas {
        let rs: Vec<&Row> = rows.iter().filter(|r| r.beta == beta).collect();
        if rs.is_empty() {
            continue;
        }
        let mut methods: Vec<(String, Vec<f64>)> = vec![
            ("unpolished".into(), rs.iter().map(|r| r.gap(r.unpolished)).collect()),
            ("polished".into(), rs.iter().map(|r| r.gap(r.rounded)).collect()),
            ("local same m".into(), rs.iter().map(|r| r.gap(r.local_same)).collect()),
            ("local eq time".into(), rs.iter().map(|r| r.gap(r.local_equal)).collect()),
        ];
        for (k, w) in widths.iter().enumerate() {
            methods.push((format!("train m={w}"), rs.iter().map(|r| r.gap(r.trained[k])).collect()));
        }
        for (name, gaps) in methods {
            let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let max = gaps.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let opt = gaps.iter().filter(|&&g| g <= TOL).count();
            println!("{:>5} {:>4} {:<12} {:>10.3e} {:>10.3e} {:>10.3e} {:>4}/{:<3}", beta, rs.len(), name, mean, median(gaps.clone()), max, opt, rs.len());
        }
        // Wins / ties / losses of the polished SDP network (training objective, relative tie
        // tolerance TIE) against local training at the same width, at equal time, and at each width.
        let wtl = |other: &dyn Fn(&Row) -> f64| -> (usize, usize, usize) {
            let mut c = (0, 0, 0);
            for r in &rs {
                let (a, b) = (r.rounded, other(r));
                if (a - b).abs() <= TIE * a.abs().max(b.abs()) {
                    c.1 += 1;
                } else if a < b {
                    c.0 += 1;
                } else {
                    c.2 += 1;
                }
            }
            c
        };
        println!("      polished SDP network vs (wins / ties / losses; tie = relative difference <= {TIE:e}):");
        let (w, t, l) = wtl(&|r: &Row| r.local_same);
        println!("        local training, same width:        {w:>3} / {t:>3} / {l:>3}");
        let (w, t, l) = wtl(&|r: &Row| r.local_equal);
        println!("        local training, same width, equal time: {w:>3} / {t:>3} / {l:>3}  (restarts: median {:.0})", median(rs.iter().map(|r| r.local_equal_restarts as f64).collect()));
        for (k, wd) in widths.iter().enumerate() {
            let (w, t, l) = wtl(&|r: &Row| r.trained[k]);
            println!("        local training, width {wd:<4}             {w:>3} / {t:>3} / {l:>3}");
        }
        let never_worse = rs.iter().filter(|r| r.rounded <= r.unpolished).count();
        let improved = rs.iter().filter(|r| r.rounded < r.unpolished * (1.0 - TIE)).count();
        println!(
            "      polish: never worse than the unpolished rounding on {never_worse}/{}, improved it (by > {TIE:e} relative) on {improved}; median improvement {:.2e}; median route {:.1} s",
            rs.len(),
            median(rs.iter().map(|r| (r.unpolished - r.rounded) / r.unpolished).collect()),
            median(rs.iter().map(|r| r.route_seconds).collect())
        );
        let mut statuses: Vec<String> = rs.iter().map(|r| r.status.clone()).collect();
        statuses.sort();
        statuses.dedup();
        let tally: Vec<String> = statuses.iter().map(|st| format!("{st} {}", rs.iter().filter(|r| &r.status == st).count())).collect();
        let lbgap: Vec<f64> = rs.iter().map(|r| (r.primal - r.lb) / r.lb).collect();
        println!(
            "      Clarabel status: {}; (solver primal - certified LB) / LB: median {:.1e}, max {:.1e}",
            tally.join(", "),
            median(lbgap.clone()),
            lbgap.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        );
        let uncert = rs.iter().filter(|r| !r.certified).count();
        if uncert > 0 {
            println!("      WARNING: {uncert} lower bound(s) not certified (marked '?')");
        }
    }
}

/// The tightness plot (plotters, SVG backend), one beta: per data set (sorted by the polished
/// network's gap), the relative gap `(objective - LB) / LB` of the unpolished and polished SDP
/// networks and of local training (same width, equal time, and each of `--widths`), log scale.
fn write_svg(rows: &[Row], widths: &[usize], beta: f64, path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let mut rs: Vec<&Row> = rows.iter().filter(|r| r.beta == beta).collect();
    if rs.is_empty() {
        return Ok(());
    }
    rs.sort_by(|a, b| a.gap(a.rounded).total_cmp(&b.gap(b.rounded)));
    type Get = Box<dyn Fn(&Row) -> f64>;
    let mut series: Vec<(String, RGBColor, Get)> = vec![
        ("SDP + rounding (unpolished)".into(), RGBColor(214, 39, 40), Box::new(|r: &Row| r.unpolished)),
        ("SDP + rounding + polish".into(), RGBColor(0, 0, 0), Box::new(|r: &Row| r.rounded)),
        ("local, same width".into(), RGBColor(44, 160, 44), Box::new(|r: &Row| r.local_same)),
        ("local, same width, equal time".into(), RGBColor(148, 103, 189), Box::new(|r: &Row| r.local_equal)),
    ];
    let palette = [RGBColor(255, 127, 14), RGBColor(31, 119, 180), RGBColor(140, 86, 75), RGBColor(23, 190, 207), RGBColor(127, 127, 127)];
    for (k, w) in widths.iter().enumerate() {
        series.push((format!("local, width {w}"), palette[k % palette.len()], Box::new(move |r: &Row| r.trained[k])));
    }
    let floor = 1e-4f64;
    let vals: Vec<f64> = rs.iter().flat_map(|r| series.iter().map(move |(_, _, f)| r.gap(f(r)))).filter(|v| v.is_finite()).collect();
    let ymax = vals.iter().cloned().fold(1e-2, f64::max) * 1.5;
    let ymin = vals.iter().cloned().filter(|v| *v > 0.0).fold(1.0, f64::min).max(floor) / 1.5;
    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = rs.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Planted teacher, beta = {beta}: relative gap to the certified lower bound ({} data sets)", rs.len()), ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            -0.5..n - 0.5,
            (ymin..ymax).log_scale().with_key_points(
                [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0].into_iter().filter(|v| *v >= ymin && *v <= ymax).collect(),
            ),
        )?;
    chart
        .configure_mesh()
        .x_desc("data set, sorted by the polished network's gap")
        .y_desc("(objective - LB) / LB (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y}"))
        .draw()?;
    for (si, (name, c, f)) in series.iter().enumerate() {
        let c = *c;
        let pts: Vec<(f64, f64)> = rs.iter().enumerate().map(|(i, r)| (i as f64, r.gap(f(r)).max(ymin))).filter(|p| p.1.is_finite()).collect();
        if si == 1 {
            chart.draw_series(pts.iter().map(|&(x, y)| Rectangle::new([(x - 0.3, y * 0.985), (x + 0.3, y / 0.985)], c.filled())))?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 3), (x + 8, y + 3)], c.filled()));
        } else {
            chart.draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 3, c.stroke_width(1))))?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 4, y), 3, c.stroke_width(1)));
        }
    }
    chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE.mix(0.85)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

fn write_csv(rows: &[Row], widths: &[usize], path: &std::path::Path) -> std::io::Result<()> {
    let mut s = String::from("data,beta,sdp_status,sdp_seconds,certified_lb,certified,sdp_primal,rounded,rounded_width");
    for w in widths {
        let _ = write!(s, ",train_m{w}");
    }
    s.push_str(",seconds,sampled,refitted,unpolished,route_seconds,local_same,local_equal,local_equal_restarts\n");
    for r in rows {
        let _ = write!(s, "{},{},{},{:.3},{:.10},{},{:.10},{:.10},{}", r.name, r.beta, r.status, r.sdp_seconds, r.lb, r.certified, r.primal, r.rounded, r.rounded_width);
        for t in &r.trained {
            let _ = write!(s, ",{t:.10}");
        }
        let _ = writeln!(
            s,
            ",{:.2},{:.10},{:.10},{:.10},{:.2},{:.10},{:.10},{}",
            r.seconds, r.sampled, r.refitted, r.unpolished, r.route_seconds, r.local_same, r.local_equal, r.local_equal_restarts
        );
    }
    std::fs::write(path, s)
}

/// (c) Scalar-output planted teacher: here the exact optimum p* is computable (C-ReLU over every
/// activation pattern), which separates the relaxation's gap (p* - LB) from the rounding's
/// (network - p*). Prints one row per data set and beta, then counts.
fn scalar_part(count: usize, first_seed: u64, betas: &[f64], noise: f64, ts: &TrainSettings, time_limit: f64) {
    use convex_relu::backend::{self, BackendKind as BK};
    use convex_relu::formulation::crelu;
    use convex_relu::patterns::Budget;
    println!("\n(c) planted teacher, scalar output: n = 25, d = 2, c = 1, teacher width 100, noise {noise}, seeds {first_seed}..={}", first_seed + count as u64 - 1);
    println!(
        "{:<12} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}",
        "data", "beta", "certLB", "p*", "sampled", "refitted", "c-relu", "polished", "local m", "m=300", "pats"
    );
    let mut rows: Vec<(f64, f64, f64, f64, f64, f64, f64, f64)> = Vec::new();
    for seed in first_seed..first_seed + count as u64 {
        let (data, _) = synth::planted_relu(25, 2, 100, 1, noise, seed).expect("data");
        for &beta in betas {
            let ex = crelu::exact(&data, beta, &Budget::default()).expect("exact program");
            let sol = backend::solve(&ex.problem, BK::Clarabel, &SolveSettings { tolerance: Some(1e-9), ..Default::default() }).expect("exact solve");
            assert!(sol.status.has_solution(), "exact solve: {}", sol.status);
            let pstar = ex.layout.crelu_objective(&data, &sol.x).expect("objective");
            let settings = SolveSettings { time_limit_seconds: Some(time_limit), ..Default::default() };
            let relax = convex_relu::pipeline::solve_relaxation(&data, beta, SdpForm::Reduced, BackendKind::Clarabel, &settings, &[]).expect("sdp solve");
            let r = round(&relax.lambda, &data, beta, &RoundingSettings::default()).expect("rounding");
            let st = r.stages.as_ref().expect("stages");
            let cr = st.crelu.as_ref().expect("c = 1: C-ReLU stage");
            let local = train(&data, &TrainSettings { width: r.width.max(1), beta, ..ts.clone() }).expect("train");
            let wide = train(&data, &TrainSettings { width: 300, beta, ..ts.clone() }).expect("train");
            let b = relax.certify(&[r.network.clone(), local.network.clone(), wide.network.clone()]);
            let lb = if b.certified && (!relax.bound.certified || b.value >= relax.bound.value) { b.value } else { relax.bound.value };
            println!(
                "{:<12} {:>5} {:>10.6} {:>10.6} {:>10.6} {:>10.6} {:>10.6} {:>10.6} {:>10.6} {:>10.6} {:>3}/{:<3}",
                format!("scalar-{seed}"),
                beta,
                lb,
                pstar,
                st.sampled,
                st.refitted,
                cr.objective,
                r.objective,
                local.objective,
                wide.objective,
                cr.patterns,
                ex.layout.patterns.len()
            );
            rows.push((beta, lb, pstar, st.refitted, cr.objective, r.objective, local.objective, wide.objective));
        }
    }
    const AT: f64 = 1e-6;
    println!("\nSummary (c): relative to p*; 'at p*' = within {AT:e} of p* (relative); 'tight' = relaxation gap <= {AT:e}");
    for &beta in betas {
        let rs: Vec<_> = rows.iter().filter(|r| r.0 == beta).collect();
        if rs.is_empty() {
            continue;
        }
        let rel = |f: &dyn Fn(&(f64, f64, f64, f64, f64, f64, f64, f64)) -> f64| -> (f64, f64, usize) {
            let v: Vec<f64> = rs.iter().map(|r| (f(r) - r.2) / r.2).collect();
            let at = v.iter().filter(|x| **x <= AT).count();
            (median(v.clone()), v.iter().cloned().fold(f64::NEG_INFINITY, f64::max), at)
        };
        let relax: Vec<f64> = rs.iter().map(|r| (r.2 - r.1) / r.2).collect();
        println!(
            "  beta {beta}: {} sets; relaxation gap (p* - LB) / p*: median {:.2e}, max {:.2e}, tight on {}",
            rs.len(),
            median(relax.clone()),
            relax.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            relax.iter().filter(|x| **x <= AT).count()
        );
        for (name, f) in [
            ("group-lasso refit", Box::new(|r: &(f64, f64, f64, f64, f64, f64, f64, f64)| r.3) as Box<dyn Fn(&(f64, f64, f64, f64, f64, f64, f64, f64)) -> f64>),
            ("c-relu refit", Box::new(|r: &(f64, f64, f64, f64, f64, f64, f64, f64)| r.4)),
            ("polished (returned)", Box::new(|r: &(f64, f64, f64, f64, f64, f64, f64, f64)| r.5)),
            ("local, same width", Box::new(|r: &(f64, f64, f64, f64, f64, f64, f64, f64)| r.6)),
            ("local, width 300", Box::new(|r: &(f64, f64, f64, f64, f64, f64, f64, f64)| r.7)),
        ] {
            let (med, max, at) = rel(&*f);
            println!("    {name:<20} (objective - p*) / p*: median {med:.2e}, max {max:.2e}, at p* on {at}/{}", rs.len());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let list = |flag: &str, def: &str| -> Vec<f64> { get(flag).unwrap_or_else(|| def.into()).split(',').map(|v| v.parse().expect(flag)).collect() };
    let part = get("--part").unwrap_or_else(|| "all".into());
    let count: usize = get("--count").map(|v| v.parse().expect("--count")).unwrap_or(10);
    let first_seed: u64 = get("--first-seed").map(|v| v.parse().expect("--first-seed")).unwrap_or(1);
    let betas = list("--betas", "0.1,0.01");
    let widths: Vec<usize> = list("--widths", "5,10,100,300").into_iter().map(|w| w as usize).collect();
    let restarts: usize = get("--restarts").map(|v| v.parse().expect("--restarts")).unwrap_or(3);
    let iterations: usize = get("--iterations").map(|v| v.parse().expect("--iterations")).unwrap_or(2000);
    let polish: usize = get("--polish").map(|v| v.parse().expect("--polish")).unwrap_or(300);
    let noise: f64 = get("--noise").map(|v| v.parse().expect("--noise")).unwrap_or(0.0);
    let time_limit: f64 = get("--time-limit").map(|v| v.parse().expect("--time-limit")).unwrap_or(300.0);
    let plot_beta: f64 = get("--plot-beta").map(|v| v.parse().expect("--plot-beta")).unwrap_or(0.01);
    let out = std::path::PathBuf::from(get("--out").unwrap_or_else(|| "out/paper".into()));
    std::fs::create_dir_all(&out).expect("create out dir");
    if let Some(csv) = get("--from-csv") {
        // re-summarise a (possibly interrupted) run from its CSV: same summary and plot
        let text = std::fs::read_to_string(&csv).expect("read --from-csv");
        let mut lines = text.lines();
        let head: Vec<&str> = lines.next().expect("header").split(',').collect();
        let widths: Vec<usize> = head.iter().filter_map(|h| h.strip_prefix("train_m")).map(|w| w.parse().unwrap()).collect();
        let rows: Vec<Row> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let p = |i: usize| f[i].parse::<f64>().unwrap();
                // columns added with the staged rounding (NaN in older CSVs)
                let named = |name: &str| head.iter().position(|h| *h == name).map_or(f64::NAN, |i| p(i));
                Row {
                    name: f[0].into(),
                    beta: p(1),
                    status: f[2].into(),
                    sdp_seconds: p(3),
                    lb: p(4),
                    certified: f[5] == "true",
                    primal: p(6),
                    rounded: p(7),
                    rounded_width: f[8].parse().unwrap(),
                    trained: (0..widths.len()).map(|k| p(9 + k)).collect(),
                    seconds: p(9 + widths.len()),
                    sampled: named("sampled"),
                    refitted: named("refitted"),
                    unpolished: named("unpolished"),
                    route_seconds: named("route_seconds"),
                    local_same: named("local_same"),
                    local_equal: named("local_equal"),
                    local_equal_restarts: named("local_equal_restarts") as usize,
                }
            })
            .collect();
        let sets = rows.iter().filter(|r| r.beta == rows[0].beta).count();
        summary(&rows, &widths, &betas, &format!("{sets} data sets from {csv}"));
        let svg = out.join(format!("objective-random-beta{plot_beta}.svg"));
        write_svg(&rows, &widths, plot_beta, &svg).expect("svg");
        println!("wrote {}", svg.display());
        return;
    }
    let ts = TrainSettings { restarts, iterations, polish, seed: 0, ..Default::default() };
    println!(
        "non-convex baseline: Adam, {iterations} full-batch iterations + {polish} L-BFGS polish, best of {restarts} restarts (seed 0); \
         rounding: staged (Gaussian + eigen candidates, group-lasso refit, polish of the best 3), default settings (seed 0); SDP: reduced form, Clarabel, time limit {time_limit} s"
    );
    let t0 = Instant::now();
    if part == "random" || part == "all" {
        println!("\n(a) planted teacher: n = 25, d = 2, c = 5, teacher width 100, noise {noise}, seeds {first_seed}..={}", first_seed + count as u64 - 1);
        header(&widths);
        let mut rows = Vec::new();
        for seed in first_seed..first_seed + count as u64 {
            let (data, _) = synth::planted_relu(25, 2, 100, 5, noise, seed).expect("data");
            for &beta in &betas {
                let r = run_one(&format!("planted-{seed}"), &data, beta, &widths, &ts, time_limit);
                print_row(&r, &widths);
                rows.push(r);
            }
            write_csv(&rows, &widths, &out.join("objective-random.csv")).expect("csv");
        }
        summary(&rows, &widths, &betas, &format!("{count} planted data sets"));
        let svg = out.join(format!("objective-random-beta{plot_beta}.svg"));
        write_svg(&rows, &widths, plot_beta, &svg).expect("svg");
        println!("wrote {} and {}", out.join("objective-random.csv").display(), svg.display());
    }
    if part == "scalar" {
        scalar_part(count, first_seed, &betas, noise, &ts, time_limit);
    }
    if part == "spiral" || part == "all" {
        let data = synth::spirals(60, 3, 0.2, 1).expect("spirals");
        println!("\n(b) {} (q = {})", data.source, data.n() + data.d() + data.c());
        header(&widths);
        let mut rows = Vec::new();
        for &beta in &betas {
            let r = run_one("spiral-60", &data, beta, &widths, &ts, time_limit);
            print_row(&r, &widths);
            rows.push(r);
            write_csv(&rows, &widths, &out.join("objective-spiral.csv")).expect("csv");
        }
        summary(&rows, &widths, &betas, "spiral n = 60");
        println!("wrote {}", out.join("objective-spiral.csv").display());
    }
    println!("\nwall time {:.1} s", t0.elapsed().as_secs_f64());
}
