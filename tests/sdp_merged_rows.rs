//! The SDP relaxation on Clarabel and SCS when `X` has zero rows or equal rows: the pipeline
//! solves the program on merged rows (`formulation::sdp_merged`) and reports the original
//! program's value, point and certified bound. References: the `dnn` interior-point method on the
//! original data (which merges through its own route, `dnn::reduce`), the lifted constraints of
//! the original program checked on the returned `Lambda`, and for untied data the unmerged route
//! run by hand.

use convex_relu::backend::{self, BackendKind, SolveSettings};
use convex_relu::certify::sdp::certify_solution;
use convex_relu::data::{synth, transform, Dataset};
use convex_relu::dnn::{self, DnnMethod, DnnProblem, DnnSettings};
use convex_relu::formulation::sdp::{compile, SdpForm};
use convex_relu::formulation::Formulation;
use convex_relu::pipeline::{self, PipelineSettings};
use nalgebra::DMatrix;

const BETA: f64 = 0.1;

fn spirals(n: usize, bias: bool) -> Dataset {
    let mut d = synth::spirals(n, 3, 0.0, 1).unwrap();
    if bias {
        transform::append_bias(&mut d);
    }
    d
}

/// The interior-point method's value (primal objective at a point feasible to ~1e-10).
fn ipm_value(data: &Dataset) -> f64 {
    let p = DnnProblem::new(data, BETA).unwrap();
    let st = DnnSettings { method: DnnMethod::InteriorPoint, tolerance: 1e-8, quiet: true, ..Default::default() };
    let sol = dnn::solve(&p, &st, None).unwrap();
    assert!(sol.primal_residual < 1e-8, "ipm residual {}", sol.primal_residual);
    sol.primal_objective
}

fn settings(backend: BackendKind) -> PipelineSettings {
    PipelineSettings { formulation: Formulation::Sdp, beta: BETA, backend, certify: true, ..Default::default() }
}

/// The original program's objective at `lambda` and its worst violation of the lifted
/// constraints: PSD, `Lambda_[AB] >= 0` off the diagonal of `AB`, `diag(Lambda_AB) = 0`.
fn check_original(data: &Dataset, lambda: &DMatrix<f64>) -> (f64, f64, f64, f64) {
    let (n, d, c) = (data.n(), data.d(), data.c());
    assert_eq!(lambda.nrows(), 2 * n + d + c);
    let min_eig = convex_relu::linalg::min_eigenvalue(lambda).unwrap();
    let mut min_ab = f64::INFINITY;
    let mut diag_ab: f64 = 0.0;
    for i in 0..2 * n {
        for j in 0..2 * n {
            if (i < n && j == i + n) || (j < n && i == j + n) {
                diag_ab = diag_ab.max(lambda[(i, j)].abs());
            } else {
                min_ab = min_ab.min(lambda[(i, j)]);
            }
        }
    }
    let (lv, lu) = (2 * n + d, 2 * n);
    let mut loss = 0.0;
    for i in 0..n {
        for k in 0..c {
            loss += (lambda[(i, lv + k)] - data.y[(i, k)]).powi(2);
        }
    }
    let tr: f64 = (lu..lv + c).map(|i| lambda[(i, i)]).sum();
    (0.5 * loss + 0.5 * BETA * tr, min_eig, min_ab, diag_ab)
}

/// `backend` through the pipeline on tied data: the merge note, the value within `value_tol`
/// (relative) of the interior-point method's, and the certified bound below that value and within
/// `bound_tol` of it. Returns the outcome and the reference value.
fn tied_run(data: &Dataset, backend: BackendKind, note: &str, value_tol: f64, bound_tol: f64) -> (pipeline::Outcome, f64) {
    let reference = ipm_value(data);
    let out = pipeline::run(data, &settings(backend)).unwrap();
    let r = &out.report;
    assert!(r.notes.iter().any(|s| s.contains(note)), "{:?}", r.notes);
    let value = r.objective.unwrap();
    let rel = (value - reference).abs() / reference;
    assert!(rel <= value_tol, "{backend:?} {value} vs ipm {reference}: rel {rel:.2e} (status {})", r.status);
    let lb = r.lower_bound.expect("certified");
    assert!(lb <= reference + 1e-9 && lb >= reference - bound_tol, "bound {lb} vs ipm {reference}");
    (out, reference)
}

/// Clarabel through the pipeline on tied data: the note, the value against the interior-point
/// method, the certified bound, and the point's feasibility for the original program.
fn clarabel_case(data: &Dataset, note: &str, value_tol: f64) {
    let (out, reference) = tied_run(data, BackendKind::Clarabel, note, value_tol, 1e-5);
    let r = &out.report;
    assert!(out.problem.is_none(), "the merged program must not be offered for export");
    let (value, lb) = (r.objective.unwrap(), r.lower_bound.unwrap());
    // When the dual was refined, the value before refinement is on the same (original) scale.
    let method = r.lower_bound_method.as_deref().unwrap();
    if let Some(i) = method.find("steps from ") {
        let before: f64 = method[i + 11..].trim_end_matches(')').parse().unwrap();
        assert!(before <= lb + 1e-8 && before >= reference - 1e-3, "before refinement {before}, bound {lb}, ipm {reference}");
    }
    let (f, min_eig, min_ab, diag_ab) = check_original(data, out.lambda.as_ref().unwrap());
    assert!(min_eig >= -1e-7 && min_ab >= -1e-7 && diag_ab <= 1e-7, "eig {min_eig:e}, [AB] {min_ab:e}, diag AB {diag_ab:e}");
    // The value is the original objective at the returned point (constant included).
    assert!((f - value).abs() <= 1e-7 * (1.0 + value), "objective at Lambda {f} vs reported {value}");
}

#[test]
fn zero_rows_spiral_9_matches_the_interior_point_method() {
    clarabel_case(&spirals(9, false), "merged 3 zero rows: the conic program solved has 6 data rows instead of 9", 1e-6);
}

#[test]
fn equal_rows_spiral_9_and_30_with_bias_match_the_interior_point_method() {
    clarabel_case(&spirals(9, true), "merged 1 group of equal rows (3 rows): the conic program solved has 7 data rows", 1e-6);
    clarabel_case(&spirals(30, true), "merged 1 group of equal rows (3 rows): the conic program solved has 28 data rows", 1e-6);
}

/// On the 30-point spiral without bias Clarabel still stops `inaccurate` on the merged program
/// (its primal residual stalls near 1e-7; the zero rows were not its only difficulty): the value
/// is only within 1e-4 of the reference and the point violates the original program's
/// constraints by up to ~4e-6, but the bound stays a bound.
#[test]
fn zero_rows_spiral_30_is_closer_and_still_certified() {
    let data = spirals(30, false);
    let (out, _) = tied_run(&data, BackendKind::Clarabel, "merged 3 zero rows", 1e-4, 1e-3);
    let (_, min_eig, min_ab, diag_ab) = check_original(&data, out.lambda.as_ref().unwrap());
    assert!(min_eig >= -1e-5 && min_ab >= -1e-5 && diag_ab <= 1e-5, "eig {min_eig:e}, [AB] {min_ab:e}, diag AB {diag_ab:e}");
}

/// SCS takes the same route: its bound is below the reference and its value near it.
#[test]
fn scs_on_merged_rows_is_certified_below_the_interior_point_value() {
    tied_run(&spirals(9, true), BackendKind::Scs, "group of equal rows", 1e-3, 1e-2);
}

/// Without tied rows nothing is merged: the pipeline's value, bound and `Lambda` are bit for bit
/// those of the unmerged route (compile, solve, certify with the rounded network). Clarabel is
/// deterministic with one BLAS thread (`make test` sets `OPENBLAS_NUM_THREADS=1`).
#[test]
fn untied_data_is_solved_exactly_as_before() {
    let data = synth::planted_relu(12, 2, 2, 3, 0.1, 4).unwrap().0;
    let out = pipeline::run(&data, &settings(BackendKind::Clarabel)).unwrap();
    assert!(out.report.notes.iter().all(|s| !s.contains("merged")), "{:?}", out.report.notes);
    assert!(out.problem.is_some());
    let comp = compile(&data, BETA, SdpForm::Reduced).unwrap();
    let sol = backend::solve(&comp.problem, BackendKind::Clarabel, &SolveSettings::default()).unwrap();
    assert_eq!(out.report.objective.unwrap().to_bits(), sol.primal_objective.to_bits());
    let lam = comp.recover_lambda(&sol).unwrap();
    assert_eq!(out.lambda.as_ref().unwrap(), &lam);
    let nets: Vec<_> = out.network.iter().cloned().collect();
    let b = certify_solution(&comp, &sol, &nets);
    assert_eq!(out.report.lower_bound.unwrap().to_bits(), b.value.to_bits());
}

/// `--export` keeps writing the unmerged program.
#[test]
fn export_compiles_the_unmerged_program() {
    let data = spirals(9, false);
    let (problem, meta) = pipeline::compile_for_export(&data, &settings(BackendKind::Clarabel)).unwrap();
    let raw = compile(&data, BETA, SdpForm::Reduced).unwrap();
    assert_eq!(problem.num_rows(), raw.problem.num_rows());
    assert_eq!(problem.num_vars(), raw.problem.num_vars());
    assert_eq!(meta.n, Some(9));
}
