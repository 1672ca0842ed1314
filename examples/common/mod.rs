//! Code shared by the benchmark examples (not an example itself): the least-squares log-log
//! exponent and the log-log plot (plotters, SVG backend).

#![allow(dead_code)]

use std::path::Path;

/// Least-squares slope of `ln y` against `ln x`; `None` for fewer than three points or a
/// constant `x`.
pub fn loglog_exponent(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let k = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
    let mx = lx.iter().sum::<f64>() / k;
    let my = ly.iter().sum::<f64>() / k;
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Draws `series` (name, points) on log-log axes into the SVG file `path`, each labelled with
/// its fitted exponent in `x_symbol` where there are three points or more. Nothing is drawn for
/// an empty set of points.
pub fn loglog_plot(path: &Path, caption: &str, x_desc: &str, y_desc: &str, x_symbol: &str, series: &[(String, Vec<(f64, f64)>)]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let (xmin, xmax) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), &(x, _)| (a.min(x), b.max(x)));
    let (ymin, ymax) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), &(_, y)| (a.min(y), b.max(y)));
    let root = SVGBackend::new(path, (800, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((xmin * 0.8..xmax * 1.25).log_scale(), (ymin * 0.5..ymax * 2.0).log_scale())?;
    chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
    let colours = [RED, BLUE, GREEN, MAGENTA, BLACK, CYAN];
    for (i, (name, pts)) in series.iter().filter(|(_, p)| !p.is_empty()).enumerate() {
        let colour = colours[i % colours.len()];
        let label = match loglog_exponent(pts) {
            Some(e) => format!("{name} (~ {x_symbol}^{e:.2})"),
            None => name.clone(),
        };
        let mut sorted = pts.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(sorted.clone(), colour.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart.draw_series(sorted.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
    }
    chart.configure_series_labels().position(SeriesLabelPosition::UpperLeft).background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
