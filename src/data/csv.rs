//! Reading data sets from CSV files.
//!
//! Format: one header row, then one row per sample; fields separated by a delimiter (`,` by
//! default), optionally enclosed in double quotes (`""` inside quotes is a literal quote; a
//! quoted field cannot span lines). Blank lines are skipped, `\r\n` line ends and a UTF-8 byte
//! order mark are accepted, and cells are trimmed of surrounding whitespace.
//!
//! One column is the target ([`TargetColumn`]; default: the last column); every other column is
//! a feature and must hold finite numbers. The target is encoded according to
//! [`TargetEncoding`]: `numeric` (c = 1), `signed` (two classes, the first in sorted order is
//! -1, the second +1, c = 1), `onehot` (c = number of classes, column k = k-th class in sorted
//! order) or `auto` (`numeric` when every target cell is a finite number, `onehot` otherwise).
//! Class names are sorted numerically when they are all numbers, lexicographically otherwise.
//!
//! Errors are [`Error::Parse`] with the file, the 1-based line and the 1-based column (with its
//! header name), and a message saying what was expected and what was found.

use super::{Dataset, TargetEncoding, TargetKind};
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use std::path::Path;

/// Which column holds the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TargetColumn {
    /// The last column (the default).
    #[default]
    Last,
    /// The column with this header name.
    Name(String),
    /// The column at this **1-based** position (1 = first column), as in error messages.
    Position(usize),
}

impl TargetColumn {
    /// Parse a command-line value: a positive integer is a 1-based position, `last` is the last
    /// column, anything else a header name.
    pub fn from_arg(s: &str) -> TargetColumn {
        let t = s.trim();
        if t.eq_ignore_ascii_case("last") {
            TargetColumn::Last
        } else if let Ok(k) = t.parse::<usize>() {
            TargetColumn::Position(k)
        } else {
            TargetColumn::Name(t.to_string())
        }
    }
}

impl std::fmt::Display for TargetColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetColumn::Last => write!(f, "last"),
            TargetColumn::Name(s) => write!(f, "`{s}`"),
            TargetColumn::Position(k) => write!(f, "position {k}"),
        }
    }
}

/// Options for [`read_csv`].
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Target column (default: the last one).
    pub target: TargetColumn,
    /// Target encoding (default: auto).
    pub encoding: TargetEncoding,
    /// Field delimiter (default: `,`).
    pub delimiter: char,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self { target: TargetColumn::Last, encoding: TargetEncoding::Auto, delimiter: ',' }
    }
}

/// Read a CSV file into a [`Dataset`]. See the module documentation for the format.
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        perr(path, Some(line), None, "expected UTF-8 text, found invalid bytes".to_string())
    })?;
    parse_csv(&text, path, options)
}

fn perr(path: &Path, line: Option<usize>, column: Option<String>, message: String) -> Error {
    Error::Parse { path: path.to_path_buf(), line, column, message }
}

/// Split one line into trimmed, unquoted fields. `Err(message)` on an unterminated quote.
fn split_line(line: &str, delim: char) -> std::result::Result<Vec<String>, (usize, String)> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(ch) = chars.next() {
        if in_quotes {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(ch);
            }
        } else if ch == delim {
            fields.push(if was_quoted { cur.clone() } else { cur.trim().to_string() });
            cur.clear();
            was_quoted = false;
        } else if ch == '"' && cur.trim().is_empty() {
            cur.clear();
            in_quotes = true;
            was_quoted = true;
        } else if was_quoted && ch.is_whitespace() {
            // whitespace after a closing quote
        } else {
            if was_quoted {
                return Err((fields.len() + 1, format!("expected a delimiter after a closing quote, found `{ch}`")));
            }
            cur.push(ch);
        }
    }
    if in_quotes {
        return Err((fields.len() + 1, "expected a closing quote before the end of the line, found none".into()));
    }
    fields.push(if was_quoted { cur } else { cur.trim().to_string() });
    Ok(fields)
}

fn col_label(j: usize, header: &[String]) -> String {
    match header.get(j) {
        Some(name) if !name.is_empty() => format!("{} ({name})", j + 1),
        _ => format!("{}", j + 1),
    }
}

fn parse_finite(cell: &str) -> std::result::Result<f64, String> {
    if cell.is_empty() {
        return Err("expected a finite number, found an empty cell".into());
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("expected a finite number, found `{cell}`")),
        Err(_) => Err(format!("expected a number, found `{cell}`")),
    }
}

/// Sort class names: numerically when all are numbers, lexicographically otherwise.
pub fn sort_class_names(names: &mut [String]) {
    let nums: Option<Vec<f64>> = names.iter().map(|s| s.parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    if nums.is_some() {
        names.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    } else {
        names.sort();
    }
}

/// Parse CSV `text`; `path` is used for the data set's source and in error messages.
pub fn parse_csv(text: &str, path: &Path, options: &CsvOptions) -> Result<Dataset> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l))).filter(|(_, l)| !l.trim().is_empty());

    let Some((header_line, header_text)) = lines.next() else {
        return Err(perr(path, Some(1), None, "empty file: expected a header row and data rows, found nothing".into()));
    };
    let header = split_line(header_text, options.delimiter)
        .map_err(|(col, msg)| perr(path, Some(header_line), Some(col.to_string()), msg))?;
    let ncols = header.len();
    if ncols < 2 {
        return Err(perr(
            path,
            Some(header_line),
            None,
            format!("expected a header with at least 2 columns (features and a target), found {ncols} (is the delimiter `{}`?)", options.delimiter),
        ));
    }

    // Duplicate header names make `--target NAME` ambiguous and the feature names misleading.
    for (j, h) in header.iter().enumerate() {
        if let Some(first) = header[..j].iter().position(|g| g == h) {
            return Err(perr(
                path,
                Some(header_line),
                Some(col_label(j, &header)),
                format!("duplicate header name `{h}` (also column {}); header names must be distinct", first + 1),
            ));
        }
    }

    // Resolve the target column.
    let target = match &options.target {
        TargetColumn::Last => Some(ncols - 1),
        TargetColumn::Name(name) => header.iter().position(|h| h == name),
        TargetColumn::Position(k) => (*k >= 1 && *k <= ncols).then(|| k - 1),
    };
    let Some(target) = target else {
        return Err(perr(
            path,
            Some(header_line),
            Some(options.target.to_string()),
            format!(
                "missing target column: expected a header name (one of {}) or a 1-based position 1..={ncols}, found {}",
                header.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                options.target
            ),
        ));
    };

    let d = ncols - 1;
    let mut xs: Vec<f64> = Vec::new();
    let mut targets: Vec<(usize, String)> = Vec::new();
    for (line_no, line) in lines {
        let fields = split_line(line, options.delimiter)
            .map_err(|(col, msg)| perr(path, Some(line_no), Some(col_label(col - 1, &header)), msg))?;
        if fields.len() != ncols {
            let col = if fields.len() < ncols { fields.len() } else { ncols };
            return Err(perr(
                path,
                Some(line_no),
                Some(col_label(col, &header)),
                format!("ragged row: expected {ncols} fields as in the header (line {header_line}), found {}", fields.len()),
            ));
        }
        for (j, cell) in fields.iter().enumerate() {
            if j == target {
                continue;
            }
            let v = parse_finite(cell).map_err(|m| perr(path, Some(line_no), Some(col_label(j, &header)), format!("feature cell: {m}")))?;
            xs.push(v);
        }
        targets.push((line_no, fields[target].clone()));
    }
    let n = targets.len();
    if n == 0 {
        return Err(perr(
            path,
            Some(header_line + 1),
            None,
            format!("expected at least one data row after the header (line {header_line}), found none"),
        ));
    }
    if xs.len() != n * d {
        return Err(Error::InvalidArgument(format!("{} feature values for {n} rows of {d} features", xs.len())));
    }
    let x = DMatrix::from_row_slice(n, d, &xs);
    let feature_names: Vec<String> = header.iter().enumerate().filter(|&(j, _)| j != target).map(|(_, h)| h.clone()).collect();
    let tcol = col_label(target, &header);

    let numeric_cells = targets.iter().filter(|(_, s)| parse_finite(s).is_ok()).count();
    let all_numeric = numeric_cells == n;
    let kind = match options.encoding {
        TargetEncoding::Auto => {
            if all_numeric {
                TargetKind::Numeric
            } else if numeric_cells * 2 >= n {
                // Mostly numbers: a damaged numeric column, not class names. Refuse instead of
                // silently turning regression into one class per distinct value.
                let (line_no, cell) = targets.iter().find(|(_, s)| parse_finite(s).is_err()).expect("a non-numeric cell");
                return Err(perr(
                    path,
                    Some(*line_no),
                    Some(tcol),
                    format!(
                        "--targets auto: the target column is numeric in {numeric_cells} of {n} rows but not here (`{cell}`, {} such cells); \
                         fix those cells, or say what you mean with --targets numeric / onehot / signed",
                        n - numeric_cells
                    ),
                ));
            } else {
                TargetKind::Onehot
            }
        }
        TargetEncoding::Numeric => TargetKind::Numeric,
        TargetEncoding::Signed => TargetKind::Signed,
        TargetEncoding::Onehot => TargetKind::Onehot,
    };

    let (y, class_names) = match kind {
        TargetKind::Numeric => {
            let mut y = DMatrix::zeros(n, 1);
            for (i, (line_no, s)) in targets.iter().enumerate() {
                y[(i, 0)] = parse_finite(s)
                    .map_err(|m| perr(path, Some(*line_no), Some(tcol.clone()), format!("numeric target: {m}")))?;
            }
            (y, Vec::new())
        }
        TargetKind::Signed | TargetKind::Onehot => {
            if let Some((line_no, _)) = targets.iter().find(|(_, s)| s.is_empty()) {
                return Err(perr(path, Some(*line_no), Some(tcol), "expected a class name, found an empty cell".into()));
            }
            let mut classes: Vec<String> = targets.iter().map(|(_, s)| s.clone()).collect();
            classes.sort();
            classes.dedup();
            sort_class_names(&mut classes);
            let shown = |c: &[String]| {
                let mut s = c.iter().take(10).map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
                if c.len() > 10 {
                    s.push_str(", ...");
                }
                s
            };
            if classes.len() < 2 {
                return Err(perr(
                    path,
                    None,
                    Some(tcol),
                    format!("expected at least 2 classes in the target column, found 1 ({})", shown(&classes)),
                ));
            }
            if kind == TargetKind::Signed && classes.len() != 2 {
                return Err(perr(
                    path,
                    None,
                    Some(tcol),
                    format!(
                        "signed targets: expected exactly 2 classes, found {} ({}); use onehot targets",
                        classes.len(),
                        shown(&classes)
                    ),
                ));
            }
            let lookup: std::collections::HashMap<&str, usize> = classes.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
            let index = |s: &str| lookup.get(s).copied().unwrap_or(0);
            let y = if kind == TargetKind::Signed {
                DMatrix::from_fn(n, 1, |i, _| if index(&targets[i].1) == 0 { -1.0 } else { 1.0 })
            } else {
                let mut y = DMatrix::zeros(n, classes.len());
                for (i, (_, s)) in targets.iter().enumerate() {
                    y[(i, index(s))] = 1.0;
                }
                y
            };
            (y, classes)
        }
    };

    Ok(Dataset { x, y, target_kind: kind, feature_names, class_names, source: path.display().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, opts: &CsvOptions) -> Result<Dataset> {
        parse_csv(text, Path::new("mem.csv"), opts)
    }

    fn err(text: &str, opts: &CsvOptions) -> String {
        match parse(text, opts) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_features_and_onehot_targets() {
        let d = parse("a,b,label\n1,2,y\n3,4.5,x\n\n5,6,z\n", &CsvOptions::default()).unwrap();
        assert_eq!(d.n(), 3);
        assert_eq!(d.d(), 2);
        assert_eq!(d.c(), 3);
        assert_eq!(d.target_kind, TargetKind::Onehot);
        assert_eq!(d.class_names, vec!["x", "y", "z"]);
        assert_eq!(d.feature_names, vec!["a", "b"]);
        assert_eq!(d.x[(1, 1)], 4.5);
        // row 0 is `y` -> column 1
        assert_eq!(d.y.row(0).iter().copied().collect::<Vec<f64>>(), vec![0.0, 1.0, 0.0]);
        assert_eq!(d.y.row(2).iter().copied().collect::<Vec<f64>>(), vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn numeric_auto_and_target_by_name_and_position() {
        let text = "t,a,b\n0.5,1,2\n-1,3,4\n";
        let by_name = CsvOptions { target: TargetColumn::Name("t".into()), ..Default::default() };
        let d = parse(text, &by_name).unwrap();
        assert_eq!(d.target_kind, TargetKind::Numeric);
        assert_eq!(d.y.column(0).iter().copied().collect::<Vec<f64>>(), vec![0.5, -1.0]);
        assert_eq!(d.feature_names, vec!["a", "b"]);
        let by_pos = CsvOptions { target: TargetColumn::from_arg("1"), ..Default::default() };
        let d2 = parse(text, &by_pos).unwrap();
        assert_eq!(d2.y, d.y);
        assert_eq!(d2.x, d.x);
    }

    #[test]
    fn signed_sorted_classes() {
        let opts = CsvOptions { encoding: TargetEncoding::Signed, ..Default::default() };
        let d = parse("a,l\n1,pos\n2,neg\n3,pos\n", &opts).unwrap();
        assert_eq!(d.class_names, vec!["neg", "pos"]);
        assert_eq!(d.y.column(0).iter().copied().collect::<Vec<f64>>(), vec![1.0, -1.0, 1.0]);
        // numeric class names sort numerically: 2 < 10
        let d = parse("a,l\n1,10\n2,2\n", &opts).unwrap();
        assert_eq!(d.class_names, vec!["2", "10"]);
        assert_eq!(d.y.column(0).iter().copied().collect::<Vec<f64>>(), vec![1.0, -1.0]);
    }

    #[test]
    fn quoted_fields() {
        let d = parse("\"a, 1\",\"l\"\n\"1.5\",\"say \"\"hi\"\"\"\n2,other\n", &CsvOptions::default()).unwrap();
        assert_eq!(d.feature_names, vec!["a, 1"]);
        assert_eq!(d.class_names, vec!["other", "say \"hi\""]);
    }

    #[test]
    fn error_empty_file() {
        let m = err("", &CsvOptions::default());
        assert!(m.contains("mem.csv, line 1") && m.contains("empty file"), "{m}");
        let m = err("\n  \n", &CsvOptions::default());
        assert!(m.contains("empty file"), "{m}");
    }

    #[test]
    fn error_header_only() {
        let m = err("a,b\n", &CsvOptions::default());
        assert!(m.contains("mem.csv, line 2") && m.contains("expected at least one data row"), "{m}");
    }

    #[test]
    fn error_ragged_row() {
        let m = err("a,b,label\n1,2,x\n3,y\n", &CsvOptions::default());
        assert!(m.contains("mem.csv, line 3, column 3 (label)"), "{m}");
        assert!(m.contains("expected 3 fields") && m.contains("found 2"), "{m}");
        let m = err("a,b,label\n1,2,x,9\n", &CsvOptions::default());
        assert!(m.contains("line 2, column 4") && m.contains("found 4"), "{m}");
    }

    #[test]
    fn error_non_numeric_feature() {
        let m = err("a,b,label\n1,2,x\n\n3,abc,y\n", &CsvOptions::default());
        assert!(m.contains("mem.csv, line 4, column 2 (b)"), "{m}");
        assert!(m.contains("expected a number, found `abc`"), "{m}");
        let m = err("a,b,label\n1,,x\n", &CsvOptions::default());
        assert!(m.contains("line 2, column 2 (b)") && m.contains("empty cell"), "{m}");
    }

    #[test]
    fn error_non_finite_feature() {
        for bad in ["NaN", "inf", "-Infinity"] {
            let m = err(&format!("a,b,label\n1,2,x\n{bad},1,y\n"), &CsvOptions::default());
            assert!(m.contains("mem.csv, line 3, column 1 (a)"), "{m}");
            assert!(m.contains(&format!("expected a finite number, found `{bad}`")), "{m}");
        }
    }

    #[test]
    fn error_single_class() {
        let m = err("a,label\n1,x\n2,x\n", &CsvOptions::default());
        assert!(m.contains("mem.csv, column 2 (label)"), "{m}");
        assert!(m.contains("expected at least 2 classes") && m.contains("found 1 (`x`)"), "{m}");
    }

    #[test]
    fn error_missing_target_column() {
        let opts = CsvOptions { target: TargetColumn::Name("species".into()), ..Default::default() };
        let m = err("a,label\n1,x\n2,y\n", &opts);
        assert!(m.contains("mem.csv, line 1, column `species`"), "{m}");
        assert!(m.contains("missing target column") && m.contains("`a`, `label`"), "{m}");
        let opts = CsvOptions { target: TargetColumn::Position(7), ..Default::default() };
        let m = err("a,label\n1,x\n2,y\n", &opts);
        assert!(m.contains("line 1, column position 7") && m.contains("1..=2"), "{m}");
    }

    #[test]
    fn error_signed_needs_two_classes() {
        let opts = CsvOptions { encoding: TargetEncoding::Signed, ..Default::default() };
        let m = err("a,label\n1,x\n2,y\n3,z\n", &opts);
        assert!(m.contains("mem.csv, column 2 (label)"), "{m}");
        assert!(m.contains("expected exactly 2 classes, found 3 (`x`, `y`, `z`)"), "{m}");
    }

    #[test]
    fn error_numeric_target_not_a_number() {
        let opts = CsvOptions { encoding: TargetEncoding::Numeric, ..Default::default() };
        let m = err("a,t\n1,0.5\n2,oops\n", &opts);
        assert!(m.contains("mem.csv, line 3, column 2 (t)") && m.contains("found `oops`"), "{m}");
    }

    #[test]
    fn error_unterminated_quote() {
        let m = err("a,label\n\"1,x\n", &CsvOptions::default());
        assert!(m.contains("line 2, column 1 (a)") && m.contains("closing quote"), "{m}");
    }

    #[test]
    fn error_from_a_real_file_names_the_file() {
        let dir = std::env::temp_dir().join(format!("convex-relu-csv-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.csv");
        std::fs::write(&p, "a,b,label\r\n1,2,x\r\n1,zz,y\r\n").unwrap();
        let m = read_csv(&p, &CsvOptions::default()).unwrap_err().to_string();
        assert!(m.contains(&format!("{}, line 3, column 2 (b)", p.display())), "{m}");
        let missing = dir.join("nope.csv");
        let m = read_csv(&missing, &CsvOptions::default()).unwrap_err().to_string();
        assert!(m.contains("nope.csv"), "{m}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
