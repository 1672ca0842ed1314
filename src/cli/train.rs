//! `convex-relu train`: the non-convex baseline (full-batch Adam / momentum from seeded random
//! starts) on a CSV file or a named data set. See `convex_relu::train` for the method.

use convex_relu::train::{train_with_progress, Optimizer, TrainSettings};
use convex_relu::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Train a two-layer ReLU network by local optimisation (the non-convex baseline).
///
/// Objective: 1/2 ||s(X U) V' - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2) (sum over samples, not
/// mean). Reports the best training objective over the restarts.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: super::data_args::DataArgs,

    /// Weight decay beta >= 0 in the objective.
    #[arg(long, value_name = "B")]
    pub beta: f64,

    /// Depth: 2 (default) or 3 (parallel three-layer sub-networks, see --sub-width; then --width
    /// is the number of sub-networks).
    #[arg(long, value_name = "L", default_value_t = 2)]
    pub layers: u8,

    /// With --layers 3: first-layer neurons per sub-network (m1).
    #[arg(long, value_name = "M1")]
    pub sub_width: Option<usize>,

    /// Hidden width m (number of ReLU neurons).
    #[arg(long, value_name = "M")]
    pub width: usize,

    /// Number of random restarts; the best training objective is kept.
    #[arg(long, value_name = "K", default_value_t = TrainSettings::default().restarts)]
    pub restarts: usize,

    /// Seed of all random draws (restart r uses stream r of ChaCha8 seeded with S).
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,

    /// Full-batch iterations per restart.
    #[arg(long, value_name = "N", default_value_t = TrainSettings::default().iterations)]
    pub iterations: usize,

    /// Optimiser: adam (default learning rate 0.02) or momentum (heavy ball 0.9, step size
    /// from the data's spectral norm). Both use a cosine learning-rate schedule.
    #[arg(long, value_enum, default_value_t = Optimizer::Adam)]
    pub optimizer: Optimizer,

    /// Iterations of the L-BFGS polish after the first-order run (0 = none).
    #[arg(long, value_name = "N", default_value_t = TrainSettings::default().polish)]
    pub polish: usize,

    /// Initial learning rate (default: the optimiser's own, see --optimizer).
    #[arg(long, value_name = "LR")]
    pub learning_rate: Option<f64>,

    /// Write the best network's weights to this JSON file (refuses to overwrite an existing
    /// file without --force).
    #[arg(long, value_name = "OUT.json")]
    pub save_network: Option<PathBuf>,

    /// Allow --save-network to replace an existing file (its old name, overwrite, is still accepted).
    #[arg(long = "force", alias = "overwrite")]
    pub overwrite: bool,

    /// Print one JSON object on stdout instead of the human-readable summary.
    #[arg(long)]
    pub json: bool,

    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Run `convex-relu train`.
pub fn run(args: &TrainArgs) -> Result<()> {
    if let Some(p) = &args.save_network {
        convex_relu::files::check_output(p, args.overwrite, "--save-network")?;
    }
    match (args.layers, args.sub_width) {
        (3, _) => return super::three_layer::train(args),
        (2, None) => {}
        (2, Some(_)) => return Err(convex_relu::Error::InvalidArgument("--sub-width applies to --layers 3 only".into())),
        (l, _) => return Err(convex_relu::Error::InvalidArgument(format!("--layers must be 2 or 3, found {l}"))),
    }
    let dataset = super::data_args::load_data(&args.data)?;
    let settings = TrainSettings {
        width: args.width,
        beta: args.beta,
        restarts: args.restarts,
        iterations: args.iterations,
        learning_rate: args.learning_rate,
        optimizer: args.optimizer,
        seed: args.seed,
        polish: args.polish,
    };
    settings.validate()?;

    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let bar = if show_bar {
        let b = indicatif::ProgressBar::new(settings.restarts.saturating_mul(settings.iterations) as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} it  {msg}") {
            b.set_style(style);
        }
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let start = std::time::Instant::now();
    let result = train_with_progress(&dataset, &settings, &mut |p| {
        bar.set_position(p.done as u64);
        bar.set_message(format!("restart {}/{}  best {:.6}", p.restart + 1, settings.restarts, p.best));
    })?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();

    let net = &result.network;
    if let Some(p) = &args.save_network {
        net.save(p, args.overwrite)?;
    }
    let loss = net.loss(&dataset);
    let penalty = net.penalty(settings.beta);
    let accuracy = net.accuracy(&dataset);
    let alive = (0..net.width()).filter(|&j| net.u.column(j).iter().any(|a| *a != 0.0)).count();

    if args.json {
        let out = serde_json::json!({
            "command": "train",
            "data": dataset.source,
            "n": dataset.n(),
            "d": dataset.d(),
            "c": dataset.c(),
            "target_kind": dataset.target_kind,
            "class_names": dataset.class_names,
            "standardize": args.data.standardize,
            "bias": args.data.bias,
            "beta": settings.beta,
            "width": settings.width,
            "active_neurons": alive,
            "restarts": settings.restarts,
            "iterations": settings.iterations,
            "polish": settings.polish,
            "optimizer": settings.optimizer,
            "learning_rate": result.learning_rate,
            "seed": settings.seed,
            "objective": result.objective,
            "loss": loss,
            "penalty": penalty,
            "train_accuracy": accuracy,
            "best_restart": result.best_restart,
            "restart_objectives": result.restart_objectives,
            "seconds": seconds,
            "network_file": args.save_network.as_ref().map(|p| p.display().to_string()),
        });
        println!("{out}");
    } else {
        println!("data         {} (n = {}, d = {}, c = {}, {:?} targets)", dataset.source, dataset.n(), dataset.d(), dataset.c(), dataset.target_kind);
        println!("network      width {} ({} active), beta {}", settings.width, alive, settings.beta);
        println!(
            "training     {:?}, {} restarts x {} iterations, lr {:.3e}, seed {}",
            settings.optimizer, settings.restarts, settings.iterations, result.learning_rate, settings.seed
        );
        println!("objective    {:.8}  (loss {:.8} + penalty {:.8}; best of restarts, restart {})", result.objective, loss, penalty, result.best_restart);
        let mut sorted = result.restart_objectives.clone();
        sorted.sort_by(f64::total_cmp);
        if let (Some(lo), Some(hi)) = (sorted.first(), sorted.last()) {
            println!("restarts     min {:.8}, median {:.8}, max {:.8}", lo, sorted[sorted.len() / 2], hi);
        }
        if let Some(a) = accuracy {
            println!("train acc.   {:.4}", a);
        }
        if let Some(p) = &args.save_network {
            println!("saved        {}", p.display());
        }
        println!("time         {seconds:.2} s");
    }
    Ok(())
}
