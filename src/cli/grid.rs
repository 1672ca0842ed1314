//! `convex-relu grid`: one instance of a study grid by index, for schedulers that run processes
//! (Slurm job arrays, GNU parallel). The grid is the product data x beta x seed of a JSON spec,
//! enumerated in that order (the seed varies fastest):
//!
//! ```text
//! index = (i_data * |beta| + i_beta) * |seed| + i_seed
//! ```
//!
//! `--count` prints the number of instances; `--index K` runs instance K and prints one JSON line
//! `{"index", "data", "beta", "seed", "report"}` (or `"error"` instead of `"report"`), so the
//! lines of all instances concatenate into one JSON-lines table:
//!
//! ```text
//! N=$(convex-relu grid --spec g.json --count)
//! sbatch --array=0-$((N-1)) --wrap 'convex-relu grid --spec g.json --index $SLURM_ARRAY_TASK_ID >> out/$SLURM_ARRAY_TASK_ID.jsonl'
//! seq 0 $((N-1)) | parallel convex-relu grid --spec g.json --index {} > table.jsonl
//! ```

use super::data_args::{load_data, DataArgs};
use convex_relu::backend::{BackendKind, SolveSettings};
use convex_relu::data::TargetEncoding;
use convex_relu::error::{Error, Result};
use convex_relu::formulation::Formulation;
use convex_relu::pipeline::{self, PipelineSettings};
use serde::Deserialize;
use std::path::PathBuf;

/// Arguments of `convex-relu grid`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The grid spec (JSON; see docs/python.md, "Sweeps").
    #[arg(long, value_name = "GRID.json")]
    pub spec: PathBuf,
    /// Run the instance with this index (0-based) and print its JSON line.
    #[arg(long, value_name = "K", conflicts_with = "count")]
    pub index: Option<usize>,
    /// Print the number of instances and exit.
    #[arg(long)]
    pub count: bool,
}

/// The grid spec. Lists span the grid; the other fields apply to every instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Data sets (CSV paths or names, as `--data`).
    pub data: Vec<String>,
    /// Weight decays.
    pub beta: Vec<f64>,
    /// Seeds (default `[0]`).
    #[serde(default = "default_seeds")]
    pub seed: Vec<u64>,
    /// Formulation name (default `sdp`).
    #[serde(default = "default_formulation")]
    pub formulation: String,
    /// Backend name (default `clarabel`).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Target encoding (default `auto`).
    #[serde(default = "default_targets")]
    pub targets: String,
    /// Standardise the features (default false).
    #[serde(default)]
    pub standardize: bool,
    /// Append a bias column (default false).
    #[serde(default)]
    pub bias: bool,
    /// Solver tolerance (default: the backend's).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Wall-clock limit per instance in seconds (default none).
    #[serde(default)]
    pub time_limit: Option<f64>,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}
fn default_formulation() -> String {
    "sdp".into()
}
fn default_backend() -> String {
    "clarabel".into()
}
fn default_targets() -> String {
    "auto".into()
}

impl Spec {
    /// Reads and checks a spec file (every error names the file).
    pub fn read(path: &std::path::Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let spec: Spec = serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: Some(e.line()),
            column: Some(e.column().to_string()),
            message: e.to_string(),
        })?;
        for (field, len) in [("data", spec.data.len()), ("beta", spec.beta.len()), ("seed", spec.seed.len())] {
            if len == 0 {
                return Err(Error::InvalidArgument(format!("{}: `{field}` must list at least one value", path.display())));
            }
        }
        Ok(spec)
    }

    /// Number of instances, with checked arithmetic.
    pub fn count(&self) -> Result<usize> {
        self.data
            .len()
            .checked_mul(self.beta.len())
            .and_then(|v| v.checked_mul(self.seed.len()))
            .ok_or_else(|| Error::TooLarge("the grid has more instances than fit in a machine word".into()))
    }

    /// `(data, beta, seed)` of instance `k`.
    pub fn instance(&self, k: usize) -> Result<(&str, f64, u64)> {
        let n = self.count()?;
        if k >= n {
            return Err(Error::InvalidArgument(format!("--index {k} is out of range: the grid has {n} instances (0..{})", n.saturating_sub(1))));
        }
        let (ns, nb) = (self.seed.len(), self.beta.len());
        Ok((&self.data[k / (nb * ns)], self.beta[(k / ns) % nb], self.seed[k % ns]))
    }
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    let spec = Spec::read(&args.spec)?;
    if args.count {
        println!("{}", spec.count()?);
        return Ok(());
    }
    let Some(k) = args.index else {
        return Err(Error::InvalidArgument("grid needs --index K (or --count)".into()));
    };
    let (data_name, beta, seed) = spec.instance(k)?;
    let formulation: Formulation = spec.formulation.parse()?;
    let backend: BackendKind = spec.backend.parse()?;
    let targets = <TargetEncoding as clap::ValueEnum>::from_str(&spec.targets, true)
        .map_err(|_| Error::InvalidArgument(format!("{}: unknown targets `{}` (expected auto, numeric, signed or onehot)", args.spec.display(), spec.targets)))?;
    let data_args = DataArgs { data: data_name.to_string(), target: None, targets, standardize: spec.standardize, bias: spec.bias, merge_rows_within: None };
    let settings = PipelineSettings {
        formulation,
        beta,
        backend,
        seed,
        solve: SolveSettings { tolerance: spec.tolerance, time_limit_seconds: spec.time_limit, ..SolveSettings::default() },
        ..PipelineSettings::default()
    };
    let result = load_data(&data_args).and_then(|data| pipeline::run(&data, &settings));
    let line = match result {
        Ok(out) => {
            super::exit::record_status(&out.report.status);
            serde_json::json!({"index": k, "data": data_name, "beta": beta, "seed": seed, "report": out.report})
        }
        Err(e) => {
            // The instance failed; the line says so and the exit code is the error's.
            let line = serde_json::json!({"index": k, "data": data_name, "beta": beta, "seed": seed, "error": e.to_string()});
            println!("{line}");
            return Err(e);
        }
    };
    println!("{line}");
    Ok(())
}
