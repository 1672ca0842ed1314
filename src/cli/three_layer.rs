//! The three-layer parts of the command line: `solve --formulation three-layer`,
//! `train --layers 3` and `evaluate` (the objective of any saved two- or three-layer network on
//! data). The work is done by `convex_relu::three_layer_run` and `convex_relu::train3`.

use super::data_args::{load_data, DataArgs};
use convex_relu::error::{Error, Result};
use convex_relu::export;
use convex_relu::formulation::three_layer::ConfigBudget;
use convex_relu::network3::SavedNetwork;
use convex_relu::patterns::Budget;
use convex_relu::three_layer_run::{self, ConfigChoice, ThreeLayerSettings};
use convex_relu::train3::{train_with_progress, Train3Settings};
use std::io::IsTerminal;
use std::path::PathBuf;

/// `solve --formulation three-layer` (called from `solve::run`).
pub fn solve(args: &super::solve::Args) -> Result<()> {
    let m1 = args.sub_width.ok_or_else(|| {
        Error::InvalidArgument("--formulation three-layer needs --sub-width M1 (first-layer neurons per sub-network)".into())
    })?;
    let configs: ConfigChoice = args.configs.parse()?;
    let [beta] = args.beta[..] else {
        return Err(Error::InvalidArgument(format!("--formulation three-layer takes a single --beta (found {} values)", args.beta.len())));
    };
    args.solver.dnn_method(false)?;
    let settings = ThreeLayerSettings {
        beta,
        sub_width: m1,
        configs,
        seed: args.seed,
        backend: args.solver.backend,
        solve: args.solver.settings()?,
        budget: ConfigBudget { patterns: Budget { max_patterns: args.max_patterns, ..Budget::default() }, ..ConfigBudget::default() },
        // --no-certify also skips the pricing that drives column generation: the plain sampled program
        certify: !args.no_certify,
        column_generation: !args.no_certify,
        ..ThreeLayerSettings::default()
    };
    settings.validate()?;
    let data = load_data(&args.data)?;
    let out = three_layer_run::run(&data, &settings)?;
    if let Some(path) = &args.export {
        export::write(&out.problem, &out.meta, path, args.force)?;
    }
    if let Some(path) = &args.save_network {
        match &out.network {
            Some(net) => net.save(path, args.force)?,
            None => {
                return Err(Error::InvalidArgument(format!(
                    "--save-network {}: the run produced no network (status {})",
                    path.display(),
                    out.report.base.status
                )))
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&out.report).expect("report serialises"));
    } else {
        print!("{}", out.report);
    }
    Ok(())
}

/// `train --layers 3` (called from `train::run`).
pub fn train(args: &super::train::TrainArgs) -> Result<()> {
    let m1 = args
        .sub_width
        .ok_or_else(|| Error::InvalidArgument("--layers 3 needs --sub-width M1 (first-layer neurons per sub-network)".into()))?;
    let settings = Train3Settings {
        sub_width: m1,
        width: args.width,
        beta: args.beta,
        restarts: args.restarts,
        iterations: args.iterations,
        learning_rate: args.learning_rate,
        seed: args.seed,
    };
    settings.validate()?;
    if args.optimizer != convex_relu::train::Optimizer::Adam {
        return Err(Error::InvalidArgument("--layers 3 trains with projected Adam only (--optimizer adam; --polish is not used)".into()));
    }
    if let Some(p) = &args.save_network {
        if p.exists() && !args.overwrite {
            return Err(Error::InvalidArgument(format!("{} exists; refusing to overwrite it (pass --overwrite)", p.display())));
        }
    }
    let data = load_data(&args.data)?;
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
    let result = train_with_progress(&data, &settings, &mut |p| {
        bar.set_position(p.done as u64);
        bar.set_message(format!("restart {}/{}  best {:.6}", p.restart + 1, settings.restarts, p.best));
    })?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let net = &result.network;
    if let Some(p) = &args.save_network {
        net.save(p, args.overwrite)?;
    }
    let alive = (0..net.width()).filter(|&k| net.w3[k] != 0.0).count();
    if args.json {
        let out = serde_json::json!({
            "command": "train",
            "layers": 3,
            "data": data.source,
            "n": data.n(),
            "d": data.d(),
            "c": data.c(),
            "beta": settings.beta,
            "sub_width": m1,
            "width": settings.width,
            "active_sub_networks": alive,
            "sub_networks": alive,
            "restarts": settings.restarts,
            "iterations": settings.iterations,
            "optimizer": "projected adam",
            "learning_rate": result.learning_rate,
            "seed": settings.seed,
            "objective": result.objective,
            "lower_bound": null,
            "upper_bound": result.objective,
            "certified": false,
            "gap": null,
            "globally_optimal": false,
            "loss": net.loss(&data),
            "penalty": net.penalty(settings.beta),
            "best_restart": result.best_restart,
            "restart_objectives": result.restart_objectives,
            "seconds": seconds,
            "network_file": args.save_network.as_ref().map(|p| p.display().to_string()),
        });
        println!("{out}");
    } else {
        println!("data         {} (n = {}, d = {})", data.source, data.n(), data.d());
        println!("network      three layers, {} sub-networks of sub-width {m1} ({alive} active), beta {}", settings.width, settings.beta);
        println!("training     projected Adam, {} restarts x {} iterations, lr {:.3e}, seed {}", settings.restarts, settings.iterations, result.learning_rate, settings.seed);
        println!("objective    {:.8}  (upper bound: a real network; best of restarts, restart {})", result.objective, result.best_restart);
        if let Some(p) = &args.save_network {
            println!("saved        {}", p.display());
        }
        println!("time         {seconds:.2} s");
    }
    Ok(())
}

/// Arguments of `convex-relu evaluate`.
#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Weight decay beta >= 0 of the objective.
    #[arg(long)]
    pub beta: f64,
    /// A saved two-layer (`convex-relu-network`) or three-layer (`convex-relu-network3`) weight file.
    #[arg(long, value_name = "FILE.json")]
    pub network: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `convex-relu evaluate`: the training objective (exact constants) of a saved network.
pub fn evaluate(args: &EvaluateArgs) -> Result<()> {
    if !(args.beta.is_finite() && args.beta >= 0.0) {
        return Err(Error::InvalidArgument(format!("beta must be finite and >= 0, found {}", args.beta)));
    }
    let saved = SavedNetwork::load(&args.network)?;
    let data = load_data(&args.data)?;
    let (layers, objective, loss, penalty, width) = match saved {
        SavedNetwork::Three(net) => {
            let obj = net.checked_objective(&data, args.beta)?;
            (3, obj, net.loss(&data), net.penalty(args.beta), net.width())
        }
        SavedNetwork::Two(net) => {
            net.check_compatible(&data)?;
            (2, net.objective(&data, args.beta), net.loss(&data), net.penalty(args.beta), net.width())
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({"command": "evaluate", "layers": layers, "data": data.source, "n": data.n(), "beta": args.beta,
                "width": width, "objective": objective, "loss": loss, "penalty": penalty, "upper_bound": objective})
        );
    } else {
        println!("network      {} ({layers} layers, width {width})", args.network.display());
        println!("objective    {objective:.10}  (loss {loss:.10} + penalty {penalty:.10}; an upper bound on the optimum)");
    }
    Ok(())
}
