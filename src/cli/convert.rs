//! `convex-relu convert`: rewrite a problem file in another format.

use clap::Args as ClapArgs;
use convex_relu::export;
use convex_relu::Result;
use std::path::PathBuf;

/// Convert a conic problem file to another format; formats are chosen by the file extensions.
///
/// Readable and writable: `.json` (convex-relu JSON), `.dat-s` (SDPA sparse; second-order cones
/// become PSD blocks, a quadratic objective an epigraph variable, equalities pairs of
/// inequalities), `.cbf` (conic benchmark format v3; a quadratic objective becomes an epigraph
/// variable in a rotated cone). The JSON meta
/// block is carried over when converting JSON to JSON and named in the comments of the other
/// formats. See docs/formats.md for every sign and packing convention.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The input file (`.json`, `.dat-s` or `.cbf`).
    pub input: PathBuf,
    /// The output file (`.json`, `.dat-s` or `.cbf`).
    pub output: PathBuf,
    /// Replace OUTPUT if it already exists (without this, an existing file is an error).
    #[arg(long, alias = "overwrite")]
    pub force: bool,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<()> {
    // Check the output extension before reading, so a typo fails fast.
    let out_format = export::Format::from_path(&args.output)?;
    convex_relu::files::check_output(&args.output, args.force, "OUTPUT")?;
    let file = export::read(&args.input)?;
    let mut meta = file.meta.clone();
    if meta.generator.is_none() {
        meta.generator = Some(export::generator());
    }
    export::write(&file.problem, &meta, &args.output, args.force)?;
    eprintln!(
        "wrote {} ({}; n = {}, m = {}) from {} ({})",
        args.output.display(),
        out_format,
        file.problem.num_vars(),
        file.problem.num_rows(),
        args.input.display(),
        file.format
    );
    Ok(())
}
