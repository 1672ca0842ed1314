//! Issue 10, items 3-6: sizes from input files and options never wrap, never exhaust memory, and
//! damaged files are errors naming the line. Every test here panicked, aborted, took minutes or
//! was silently accepted before the fix.

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::conic::{csc, Cone, ConicProblem};
use convex_relu::export::{self, cbf, sdpa, ProblemMeta};
use convex_relu::patterns::{self, Budget};
use convex_relu::Error;
use nalgebra::DMatrix;
use std::path::Path;
use std::time::Instant;

fn problem_with_cone(cone: Cone) -> ConicProblem {
    ConicProblem { p: csc::zeros(1, 1), q: vec![1.0], a: csc::zeros(3, 1), b: vec![0.0; 3], cones: vec![cone] }
}

// ---------------------------------------------------------------- item 3: checked arithmetic

#[test]
fn psd_order_near_2_pow_64_is_rejected_everywhere() {
    for k in [usize::MAX, usize::MAX / 2 + 1, 1usize << 33] {
        let p = problem_with_cone(Cone::Psd(k));
        let msg = p.validate().unwrap_err().to_string();
        assert!(msg.contains("cones[0]") && msg.contains(&k.to_string()), "{msg}");
        for kind in BackendKind::ALL {
            if kind.is_available() {
                assert!(backend::solve(&p, kind, &SolveSettings::default()).is_err(), "{kind}");
            }
        }
        assert!(sdpa::to_string(&p, &ProblemMeta::default()).is_err());
        assert!(cbf::to_string(&p, &ProblemMeta::default()).is_err());
    }
    // Two cones whose row counts add past usize::MAX.
    let p = ConicProblem { p: csc::zeros(1, 1), q: vec![1.0], a: csc::zeros(3, 1), b: vec![0.0; 3], cones: vec![Cone::Nonnegative(usize::MAX), Cone::Nonnegative(4)] };
    assert!(p.validate().is_err());
}

#[test]
fn json_file_with_a_huge_psd_order_is_a_parse_error() {
    let text = r#"{"P": {"m": 1, "n": 1, "colptr": [0, 0], "rowval": [], "nzval": []}, "q": [1.0],
        "A": {"m": 3, "n": 1, "colptr": [0, 0], "rowval": [], "nzval": []}, "b": [0, 0, 0],
        "cones": [{"PSDTriangleConeT": 18446744073709551615}]}"#;
    let msg = export::json::from_str(text, Path::new("huge.json")).unwrap_err().to_string();
    assert!(msg.contains("huge.json") && msg.contains("cones[0]"), "{msg}");
    // 6074001000 * 6074001001 / 2 wraps to a small number in 64 bits only after overflow checks are off.
    let text = text.replace("18446744073709551615", "6074001000");
    assert!(export::json::from_str(&text, Path::new("huge.json")).is_err());
}

// ---------------------------------------------------------------- item 4: declared sizes

#[test]
fn empty_problem_is_an_error_not_a_solver_panic() {
    let p = ConicProblem { p: csc::zeros(0, 0), q: vec![], a: csc::zeros(0, 0), b: vec![], cones: vec![] };
    assert!(p.validate().unwrap_err().to_string().contains("at least one variable"));
    for kind in BackendKind::ALL {
        if kind.is_available() {
            assert!(backend::solve(&p, kind, &SolveSettings::default()).is_err(), "{kind}");
        }
    }
    let text = r#"{"P": {"m": 0, "n": 0, "colptr": [0], "rowval": [], "nzval": []}, "q": [],
        "A": {"m": 0, "n": 0, "colptr": [0], "rowval": [], "nzval": []}, "b": [], "cones": []}"#;
    assert!(export::json::from_str(text, Path::new("e.json")).is_err());
}

const CBF_HEAD: &str = "VER\n3\nOBJSENSE\nMIN\nVAR\n1 1\nF 1\n";

#[test]
fn cbf_sizes_near_2_pow_64_are_errors() {
    let p = Path::new("big.cbf");
    for text in [
        format!("{CBF_HEAD}CON\n18446744073709551615 1\nL+ 18446744073709551615\nOBJACOORD\n1\n0 1.0\n"),
        format!("{CBF_HEAD}CON\n3 2\nL+ 18446744073709551615\nL+ 4\n"),
        format!("{CBF_HEAD}PSDCON\n1\n18446744073709551615\nOBJACOORD\n1\n0 1.0\n"),
        format!("{CBF_HEAD}PSDCON\n1\n6074001000\nOBJACOORD\n1\n0 1.0\nHCOORD\n1\n0 0 0 0 1.0\n"),
        "VER\n3\nOBJSENSE\nMIN\nVAR\n18446744073709551615 1\nF 18446744073709551615\n".to_string(),
        "VER\n3\nOBJSENSE\nMIN\nVAR\n1000000000000 1\nL+ 1000000000000\n".to_string(),
    ] {
        let t0 = Instant::now();
        let e = cbf::from_str(&text, p).unwrap_err();
        assert!(matches!(e, Error::Parse { .. } | Error::TooLarge(_)), "{e}");
        assert!(t0.elapsed().as_secs_f64() < 2.0, "{text}");
    }
}

#[test]
fn sdpa_block_sizes_the_file_cannot_support_are_refused_before_allocating() {
    let p = Path::new("big.dat-s");
    // A 20000 block (and a 99999 one) declared by a tiny file: used to take 8.6 GB / abort.
    for order in ["20000", "99999", "-99999999999", "9223372036854775807", "-9223372036854775808"] {
        let text = format!("\"tiny\n1 = mDIM\n1 = nBLOCK\n{order} = bLOCKsTRUCT\n1.0\n0 1 1 1 1.0\n1 1 1 1 1.0\n");
        let t0 = Instant::now();
        let msg = sdpa::from_str(&text, p).unwrap_err().to_string();
        assert!(msg.contains("line 4") && msg.contains("block 1"), "{order}: {msg}");
        assert!(t0.elapsed().as_secs_f64() < 2.0);
    }
    // Several blocks whose rows add past usize::MAX.
    let text = "1\n2\n-9223372036854775807 -9223372036854775807\n1.0\n1 1 1 1 1.0\n";
    assert!(sdpa::from_str(text, p).is_err());
    // mDIM and nBLOCK larger than the file.
    let msg = sdpa::from_str("18446744073709551615\n1\n1\n", p).unwrap_err().to_string();
    assert!(msg.contains("line 1") && msg.contains("mDIM"), "{msg}");
    let msg = sdpa::from_str("1\n9223372036854775807\n1\n", p).unwrap_err().to_string();
    assert!(msg.contains("line 2") && msg.contains("nBLOCK"), "{msg}");
}

// ---------------------------------------------------------------- item 5: budgets first

#[test]
fn a_billion_gates_are_refused_before_sampling() {
    let data = convex_relu::data::synth::reference_1d();
    let t0 = Instant::now();
    let e = convex_relu::formulation::crelu::sampled(&data, 0.1, 1_000_000_000, 0).unwrap_err();
    assert!(matches!(e, Error::TooLarge(_)) && e.to_string().contains("1000000000 Gaussian gates"), "{e}");
    assert!(t0.elapsed().as_secs_f64() < 1.0);
}

#[test]
fn exact_enumeration_refusal_is_fast_for_many_rows() {
    // 80000 rows in general position in the plane: 160000 cells, over a budget of 1000 patterns.
    // The refusal used to take ~20 s (quadratic merge of parallel rows before the budget check).
    let n = 80_000;
    let x = DMatrix::from_fn(n, 2, |i, j| {
        let t = i as f64 * 0.7548776662466927;
        if j == 0 { t.cos() } else { t.sin() * (1.0 + 0.1 * (i as f64).sqrt()) }
    });
    let t0 = Instant::now();
    let e = patterns::enumerate(x.as_view(), &Budget { max_patterns: 1000, ..Budget::default() }).unwrap_err();
    assert!(matches!(e, Error::TooLarge(_)), "{e}");
    assert!(t0.elapsed().as_secs_f64() < 8.0, "refusal took {:?}", t0.elapsed());
}

// ---------------------------------------------------------------- item 6: damaged files

#[test]
fn truncated_sdpa_file_is_an_error_with_the_line() {
    let e = convex_relu::catalogue::by_name("sdp-maxcut-c5").unwrap();
    let text = sdpa::to_string(&e.problem, &ProblemMeta::default()).unwrap();
    let p = Path::new("cut.dat-s");
    assert!(sdpa::from_str(&text, p).is_ok());
    let lines = text.lines().count();
    // Cut inside the last entry line (a few bytes short of the end).
    for cut in [3, 8, 10] {
        let cut_text = &text[..text.trim_end().len() - cut];
        let msg = sdpa::from_str(cut_text, p).unwrap_err().to_string();
        assert!(msg.contains(&format!("line {lines}")), "cut {cut}: {msg}");
    }
    // An objective vector one short: the entries would have been read as objective coefficients.
    let mut bad: Vec<String> = text.lines().map(String::from).collect();
    let c_line = bad.iter().position(|l| l.contains("bLOCKsTRUCT")).unwrap() + 1;
    let c: Vec<&str> = bad[c_line].split_whitespace().collect();
    bad[c_line] = c[..c.len() - 1].join(" ");
    let msg = sdpa::from_str(&bad.join("\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn duplicate_sdpa_entries_are_errors_with_both_lines() {
    let p = Path::new("dup.dat-s");
    let base = "1\n1\n2\n1.0\n0 1 1 1 1.0\n1 1 1 1 1.0\n1 1 2 2 1.0\n";
    assert!(sdpa::from_str(base, p).is_ok());
    let msg = sdpa::from_str(&format!("{base}1 1 1 1 2.0\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line 8") && msg.contains("duplicate") && msg.contains("line 6"), "{msg}");
    // (i, j) and (j, i) are the same position of a matrix block
    let msg = sdpa::from_str(&format!("{base}1 1 1 2 0.5\n1 1 2 1 0.5\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line 9") && msg.contains("duplicate"), "{msg}");
}

#[test]
fn duplicate_cbf_sections_and_coordinates_are_errors_with_the_line() {
    let p = Path::new("dup.cbf");
    let ok = format!("{CBF_HEAD}CON\n1 1\nL+ 1\nOBJACOORD\n1\n0 1.0\nACOORD\n1\n0 0 1.0\n");
    assert!(cbf::from_str(&ok, p).is_ok());
    let msg = cbf::from_str(&format!("{ok}OBJACOORD\n1\n0 2.0\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line 17") && msg.contains("second OBJACOORD") && msg.contains("line 11"), "{msg}");
    let msg = cbf::from_str(&format!("{ok}VAR\n1 1\nF 1\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line 17") && msg.contains("second VAR"), "{msg}");
    let msg = cbf::from_str(&ok.replace("ACOORD\n1\n0 0 1.0\n", "ACOORD\n2\n0 0 1.0\n0 0 3.0\n"), p).unwrap_err().to_string();
    assert!(msg.contains("line 17") && msg.contains("duplicate"), "{msg}");
}
