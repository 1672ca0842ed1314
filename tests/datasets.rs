//! The named real data sets in models/datasets, checked against the provenance table of
//! /work/shared/datasets/README.md (rows, features, class counts), and name resolution.

use convex_relu::data::{self, CsvOptions, Dataset, TargetColumn, TargetEncoding, TargetKind};

/// (name, rows, features, class counts in sorted class order)
type Row = (&'static str, usize, usize, &'static [(&'static str, usize)]);

#[test]
fn named_data_sets_match_the_provenance_table() {
    let table: &[Row] = &[
        ("ionosphere", 351, 34, &[("bad", 126), ("good", 225)]),
        ("pima", 768, 8, &[("neg", 500), ("pos", 268)]),
        ("sonar", 208, 60, &[("M", 111), ("R", 97)]),
        ("breast_cancer_wisconsin", 683, 9, &[("benign", 444), ("malignant", 239)]),
        ("banknote", 1372, 4, &[("forged", 610), ("genuine", 762)]),
        ("iris", 150, 4, &[("setosa", 50), ("versicolor", 50), ("virginica", 50)]),
        ("wine", 178, 13, &[("class_0", 59), ("class_1", 71), ("class_2", 48)]),
    ];
    for &(name, n, d, classes) in table {
        let ds = Dataset::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((ds.n(), ds.d(), ds.c()), (n, d, classes.len()), "{name}");
        assert_eq!(ds.target_kind, TargetKind::Onehot, "{name}");
        let names: Vec<&str> = classes.iter().map(|c| c.0).collect();
        assert_eq!(ds.class_names, names, "{name}");
        for (k, &(_, count)) in classes.iter().enumerate() {
            assert_eq!(ds.y.column(k).sum(), count as f64, "{name} class {k}");
        }
    }
    // digits' labels are the digits 0..9: `auto` reads them as a numeric target ...
    let digits = Dataset::load("digits").unwrap();
    assert_eq!((digits.n(), digits.d(), digits.c()), (1797, 64, 1));
    assert_eq!(digits.target_kind, TargetKind::Numeric);
    // ... and `onehot` as 10 classes, sorted numerically
    let opts = CsvOptions { encoding: TargetEncoding::Onehot, ..Default::default() };
    let digits = data::load_named("digits", &opts).unwrap();
    assert_eq!((digits.n(), digits.d(), digits.c()), (1797, 64, 10));
    assert_eq!(digits.class_names, (0..10).map(|k| k.to_string()).collect::<Vec<_>>());
    // class sizes counted with `cut -d, -f65 digits.csv | sort | uniq -c`
    let counts = [178.0, 182.0, 177.0, 183.0, 181.0, 182.0, 181.0, 179.0, 174.0, 180.0];
    for (k, &count) in counts.iter().enumerate() {
        assert_eq!(digits.y.column(k).sum(), count, "digit {k}");
    }
}

#[test]
fn signed_binary_tasks_and_first_row_values() {
    let opts = CsvOptions { encoding: TargetEncoding::Signed, ..Default::default() };
    let sonar = data::load_named("sonar", &opts).unwrap();
    assert_eq!(sonar.target_kind, TargetKind::Signed);
    assert_eq!(sonar.class_names, vec!["M", "R"]);
    assert_eq!(sonar.y.iter().filter(|v| **v == -1.0).count(), 111);
    // iris first row: 5.1,3.5,1.4,0.2,setosa
    let iris = Dataset::load("iris").unwrap();
    assert_eq!(iris.x.row(0).iter().copied().collect::<Vec<f64>>(), vec![5.1, 3.5, 1.4, 0.2]);
    assert_eq!(iris.feature_names[0], "sepal_length_cm");
    // a feature as numeric target by name: petal width of row 0
    let opts = CsvOptions { target: TargetColumn::Name("petal_width_cm".into()), encoding: TargetEncoding::Auto, ..Default::default() };
    let err = data::load_named("iris", &opts).unwrap_err().to_string();
    // the label column is now a feature and not numeric
    assert!(err.contains("line 2, column 5 (label)") && err.contains("`setosa`"), "{err}");
    let signed_iris = data::load_named("iris", &CsvOptions { encoding: TargetEncoding::Signed, ..Default::default() });
    let e = signed_iris.unwrap_err().to_string();
    assert!(e.contains("iris.csv, column 5 (label)") && e.contains("found 3"), "{e}");
}

#[test]
fn unknown_name_lists_available_ones_and_paths_work() {
    let e = Dataset::load("no_such_set").unwrap_err().to_string();
    assert!(e.contains("no_such_set") && e.contains("iris") && e.contains("wine") && e.contains("sonar"), "{e}");
    let path = format!("{}/models/datasets/wine.csv", env!("CARGO_MANIFEST_DIR"));
    assert_eq!(Dataset::load(&path).unwrap().n(), 178);
    assert!(data::available_names().contains(&"banknote".to_string()));
    let e = Dataset::load("/nonexistent/dir/x.csv").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/dir/x.csv: no such file") && e.contains("iris"), "{e}");
}
