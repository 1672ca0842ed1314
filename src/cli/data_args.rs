//! The data options shared by `train`, `solve` and `tightness`, and the loader behind them.

use convex_relu::data::{self, synth, transform, CsvOptions, Dataset, TargetColumn, TargetEncoding};
use convex_relu::error::{Error, Result};

/// Which data, which target column, how it is encoded and transformed.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Data: a CSV file (header row, numeric features), the name of a data set in
    /// models/datasets (e.g. iris, wine, sonar; $CONVEX_RELU_MODELS overrides the models dir),
    /// or the built-in `reference-1d` (docs/background.md, section 6).
    #[arg(long, value_name = "FILE.csv|NAME")]
    pub data: String,
    /// Target column: a header name, or a 1-based column position (1 = first column).
    /// Default: the last column.
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Target encoding: numeric (c = 1), signed (two classes as -1/+1, first class in sorted
    /// order is -1), onehot (one output per class, sorted), auto (numeric if the column is
    /// numeric, onehot otherwise).
    #[arg(long, value_enum, default_value_t = TargetEncoding::Auto)]
    pub targets: TargetEncoding,
    /// Standardise every feature column (subtract the mean, divide by the population standard
    /// deviation; constant columns are only centred). Applied before --bias.
    #[arg(long)]
    pub standardize: bool,
    /// Append a column of ones named `bias` to the features (a first-layer bias; it is
    /// weight-decayed like every other weight).
    #[arg(long)]
    pub bias: bool,
    /// Set every row whose features all lie within TOL of an earlier row's (after
    /// --standardize and --bias) equal to that row. This changes the data: every bound reported
    /// is then a bound for the modified data (the report's `data` field says so). Nearly but not
    /// exactly equal rows make the SDP relaxation nearly degenerate and its interior-point
    /// method stall (the banknote data has two such pairs, within 1e-5); exactly equal rows are
    /// merged by the solvers without changing anything.
    #[arg(long, value_name = "TOL")]
    pub merge_rows_within: Option<f64>,
}

/// Loads the data set the options name, then standardises and appends the bias as asked.
pub fn load_data(args: &DataArgs) -> Result<Dataset> {
    let mut data = if args.data == "reference-1d" {
        if args.target.is_some() {
            return Err(Error::InvalidArgument("--target does not apply to the built-in data set reference-1d".into()));
        }
        synth::reference_1d()
    } else {
        let options = CsvOptions {
            target: args.target.as_deref().map_or(TargetColumn::Last, TargetColumn::from_arg),
            encoding: args.targets,
            ..CsvOptions::default()
        };
        let path = data::resolve(&args.data).map_err(|e| {
            Error::InvalidArgument(format!("cannot load `{}`: {e} (the built-in data set is reference-1d)", args.data))
        })?;
        let data = data::read_csv(&path, &options)?;
        if args.targets == TargetEncoding::Auto {
            eprintln!("note: --targets auto read the target column as {}", data.target_summary());
        }
        data
    };
    if args.standardize {
        transform::standardize(&mut data)?;
    }
    if args.bias {
        transform::append_bias(&mut data);
    }
    if let Some(tol) = args.merge_rows_within {
        let merged = transform::merge_near_rows(&mut data, tol).map_err(|e| Error::InvalidArgument(format!("--merge-rows-within: {e}")))?;
        if merged.rows_moved > 0 {
            let what = format!("{} rows set equal to an earlier row within {tol:e} (largest change {:.1e}); the bounds are for the data so modified", merged.rows_moved, merged.largest_change);
            eprintln!("note: --merge-rows-within: {what}");
            data.source = format!("{}; {what}", data.source);
        }
    }
    Ok(data)
}
