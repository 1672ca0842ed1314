//! `convex-relu demo`: the main job on the embedded instance `synth::reference_1d()` at
//! beta = 0.1 (no files needed); see [`convex_relu::pipeline::demo`].

use convex_relu::error::Result;
use convex_relu::pipeline;

/// Arguments of `convex-relu demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Restarts of the non-convex baseline per width.
    #[arg(long, default_value_t = 3)]
    pub restarts: usize,
    /// Iterations per restart of the baseline.
    #[arg(long, default_value_t = 2000)]
    pub iterations: usize,
    /// Seed of the rounding and the baseline.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    if args.restarts == 0 || args.iterations == 0 {
        return Err(convex_relu::Error::InvalidArgument(format!(
            "--restarts and --iterations must be at least 1, found {} and {}",
            args.restarts, args.iterations
        )));
    }
    let out = pipeline::demo(args.restarts, args.iterations, args.seed)?;
    super::exit::record_status(&out.exact.status);
    super::exit::record_status(&out.sdp.status);
    if args.json {
        println!("{}", serde_json::to_string(&out).expect("serialises"));
    } else {
        print!("{out}");
    }
    Ok(())
}
